/* Range (blob GET) and Content-Range (upload PATCH) parsing. */
#include "http/http.h"
#include "test.h"

static hv_ctx ctx;

/* Expects header against size to give [start, end]. */
#define RANGE_OK(header, size, want_start, want_end)                                               \
    do {                                                                                           \
        uint64_t s_ = 12345, e_ = 12345;                                                           \
        hv_error_clear(&ctx);                                                                      \
        CHECK_INT(hv_http_range_parse(&s_, &e_, &ctx, (header), (size)), HV_OK);                   \
        CHECK(s_ == (uint64_t)(want_start));                                                       \
        CHECK(e_ == (uint64_t)(want_end));                                                         \
    } while (0)

/* Expects header against size to fail with want, leaving the outputs alone. */
#define RANGE_ERR(header, size, want)                                                              \
    do {                                                                                           \
        uint64_t s_ = 12345, e_ = 12345;                                                           \
        hv_error_clear(&ctx);                                                                      \
        CHECK_INT(hv_http_range_parse(&s_, &e_, &ctx, (header), (size)), (want));                  \
        CHECK_INT(ctx.err.code, (want));                                                           \
        CHECK(s_ == 12345 && e_ == 12345);                                                         \
    } while (0)

#define CRANGE_OK(header, want_start, want_end)                                                    \
    do {                                                                                           \
        uint64_t s_ = 12345, e_ = 12345;                                                           \
        hv_error_clear(&ctx);                                                                      \
        CHECK_INT(hv_http_content_range_parse(&s_, &e_, &ctx, (header)), HV_OK);                   \
        CHECK(s_ == (uint64_t)(want_start));                                                       \
        CHECK(e_ == (uint64_t)(want_end));                                                         \
    } while (0)

#define CRANGE_ERR(header)                                                                         \
    do {                                                                                           \
        uint64_t s_ = 12345, e_ = 12345;                                                           \
        hv_error_clear(&ctx);                                                                      \
        CHECK_INT(hv_http_content_range_parse(&s_, &e_, &ctx, (header)), HV_E_RANGE);              \
        CHECK(s_ == 12345 && e_ == 12345);                                                         \
    } while (0)

static void test_range_satisfiable(void) {
    RANGE_OK("bytes=0-0", 10, 0, 0);
    RANGE_OK("bytes=0-9", 10, 0, 9);
    RANGE_OK("bytes=2-5", 10, 2, 5);
    RANGE_OK("bytes=9-9", 10, 9, 9);
    /* the last position is clamped to the end of the blob */
    RANGE_OK("bytes=5-100", 10, 5, 9);
    RANGE_OK("bytes=0-99999999999999999999999999", 10, 0, 9);
    RANGE_OK("bytes=3-", 10, 3, 9);
    RANGE_OK("bytes=0-", 1, 0, 0);
    /* suffixes: the last n bytes, all of them when n is larger */
    RANGE_OK("bytes=-1", 10, 9, 9);
    RANGE_OK("bytes=-4", 10, 6, 9);
    RANGE_OK("bytes=-10", 10, 0, 9);
    RANGE_OK("bytes=-500", 10, 0, 9);
    RANGE_OK("bytes=-99999999999999999999999999", 10, 0, 9);
    /* case of the unit, blanks around the value and around list commas, leading zeros */
    RANGE_OK("Bytes=1-2", 10, 1, 2);
    RANGE_OK("  bytes=1-2\t", 10, 1, 2);
    RANGE_OK("bytes= 1-2 ,", 10, 1, 2);
    RANGE_OK("bytes=007-008", 10, 7, 8);
    /* 64-bit sizes */
    RANGE_OK("bytes=4294967296-", 4294967297ULL, 4294967296ULL, 4294967296ULL);
    RANGE_OK("bytes=-1", UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - 1);
    RANGE_OK("bytes=18446744073709551613-18446744073709551614", UINT64_MAX, 18446744073709551613ULL,
             18446744073709551614ULL);
}

static void test_range_unsatisfiable(void) {
    RANGE_ERR("bytes=10-", 10, HV_E_RANGE);
    RANGE_ERR("bytes=10-20", 10, HV_E_RANGE);
    RANGE_ERR("bytes=99999999999999999999999-", 10, HV_E_RANGE);
    RANGE_ERR("bytes=-0", 10, HV_E_RANGE);
    /* nothing in an empty blob can be asked for */
    RANGE_ERR("bytes=0-0", 0, HV_E_RANGE);
    RANGE_ERR("bytes=0-", 0, HV_E_RANGE);
    RANGE_ERR("bytes=-5", 0, HV_E_RANGE);
    CHECK(strstr(ctx.err.message, "not satisfiable") != NULL);
    CHECK_INT(hv_err_lookup(ctx.err.code)->http_status, 416);
}

static void test_range_malformed(void) {
    const char *bad[] = {
        NULL,          "",           "bytes",       "bytes=",        "bytes=,",       "bytes=-",
        "bytes=a-b",   "bytes=1",    "bytes=1-2-3", "bytes=5-4",     "bytes=1 -2",    "bytes=1- 2",
        "bytes = 1-2", "bytes=--1",  "bytes=+1-2",  "bytes=0x1-",    "items=0-1",     "0-1",
        "bytes=1-2;x", "bytes=-1-2", "bytesx=1-2",  "bytes=0-1,2-3", "bytes=0-1, -1", "bytes=1-2 3",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t s = 0, e = 0;
        hv_err rc;

        hv_error_clear(&ctx);
        rc = hv_http_range_parse(&s, &e, &ctx, bad[i], 100);
        if (rc != HV_E_BAD_REQUEST)
            fprintf(stderr, "Range \"%s\" gave %s\n", bad[i] ? bad[i] : "(null)",
                    hv_err_lookup(rc)->name);
        CHECK_INT(rc, HV_E_BAD_REQUEST);
    }
    /* malformed before unsatisfiable, even for an empty blob */
    RANGE_ERR("bytes=x", 0, HV_E_BAD_REQUEST);
    RANGE_ERR("bytes=0-1,5-6", 0, HV_E_BAD_REQUEST);
    CHECK(strstr(ctx.err.message, "several ranges") != NULL);
}

static void test_content_range(void) {
    CRANGE_OK("0-0", 0, 0);
    CRANGE_OK("0-1023", 0, 1023);
    CRANGE_OK("1024-2047", 1024, 2047);
    CRANGE_OK(" 5-9 ", 5, 9);
    CRANGE_OK("bytes 0-9/*", 0, 9);
    CRANGE_OK("bytes 0-9/10", 0, 9);
    CRANGE_OK("bytes 0-9", 0, 9);
    CRANGE_OK("Bytes  10-19/*", 10, 19);
    CRANGE_OK("bytes=0-9", 0, 9);
    CRANGE_OK("9223372036854775806-9223372036854775807", 9223372036854775806LL, INT64_MAX);

    CRANGE_ERR(NULL);
    CRANGE_ERR("");
    CRANGE_ERR("   ");
    CRANGE_ERR("5");
    CRANGE_ERR("5-");
    CRANGE_ERR("-5");
    CRANGE_ERR("a-b");
    CRANGE_ERR("1-2-3");
    CRANGE_ERR("1 - 2");
    CRANGE_ERR("+1-2");
    CRANGE_ERR("1-2x");
    CRANGE_ERR("bytes 0-9/");
    CRANGE_ERR("bytes 0-9/9");
    CRANGE_ERR("bytes 0-9/x");
    CRANGE_ERR("bytes 0-9/*x");
    CRANGE_ERR("bytes=0-9/*");
    CRANGE_ERR("0-9/*");
    CRANGE_ERR("bytes 0-9,10-19");
    CRANGE_ERR("items 0-9");
    /* past INT64_MAX (what blob offsets are) is refused, never wrapped */
    CRANGE_ERR("0-9223372036854775808");
    CRANGE_ERR("9223372036854775808-9223372036854775809");
    CRANGE_ERR("18446744073709551614-18446744073709551615");
    CRANGE_ERR("0-18446744073709551616");
    CRANGE_ERR("18446744073709551616-18446744073709551617");
    CRANGE_ERR("0-99999999999999999999999999");
    CRANGE_ERR("bytes 0-9/99999999999999999999999999");
    /* the end before the start */
    CRANGE_ERR("10-9");
    CHECK(strstr(ctx.err.message, "ends before it starts") != NULL);
    CHECK_INT(hv_err_lookup(ctx.err.code)->http_status, 416);
}

static void setup(void) {
    ctx.arena = hv_arena_new();
}

static void teardown(void) {
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_range_satisfiable, test_range_unsatisfiable, test_range_malformed,
          test_content_range, teardown)
