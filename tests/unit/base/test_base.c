/*
 * base: the error table, the error slot, bounded buffers, arenas, SHA-256 (one-shot,
 * incremental and resumed from a copied state) and strict number parsing.
 */
#include "base/base.h"
#include "test.h"

#include <stdint.h>
#include <stdlib.h>

static void test_error_table(void) {
    /* written out by hand: the table is the contract with clients, not an implementation */
    static const struct {
        hv_err code;
        const char *name;
        int http;
        const char *oci;
        const char *harbor;
    } want[] = {
        {HV_OK, "HV_OK", 200, NULL, NULL},
        {HV_E_INTERNAL, "HV_E_INTERNAL", 500, "UNKNOWN", "INTERNAL_SERVER_ERROR"},
        {HV_E_IO, "HV_E_IO", 500, "UNKNOWN", "INTERNAL_SERVER_ERROR"},
        {HV_E_DB, "HV_E_DB", 500, "UNKNOWN", "INTERNAL_SERVER_ERROR"},
        {HV_E_UNAVAILABLE, "HV_E_UNAVAILABLE", 503, "UNAVAILABLE", "SERVICE_UNAVAILABLE"},
        {HV_E_BAD_REQUEST, "HV_E_BAD_REQUEST", 400, "UNSUPPORTED", "BAD_REQUEST"},
        {HV_E_NOT_FOUND, "HV_E_NOT_FOUND", 404, "NOT_FOUND", "NOT_FOUND"},
        {HV_E_METHOD, "HV_E_METHOD", 405, "UNSUPPORTED", "METHOD_NOT_ALLOWED"},
        {HV_E_CONFLICT, "HV_E_CONFLICT", 409, "UNSUPPORTED", "CONFLICT"},
        {HV_E_UNSUPPORTED, "HV_E_UNSUPPORTED", 415, "UNSUPPORTED", "UNSUPPORTED_MEDIA_TYPE"},
        {HV_E_TOO_LARGE, "HV_E_TOO_LARGE", 413, "SIZE_INVALID", "PAYLOAD_TOO_LARGE"},
        {HV_E_RANGE, "HV_E_RANGE", 416, "BLOB_UPLOAD_INVALID", "BAD_REQUEST"},
        {HV_E_BLOB_UNKNOWN, "HV_E_BLOB_UNKNOWN", 404, "BLOB_UNKNOWN", "NOT_FOUND"},
        {HV_E_BLOB_UPLOAD_INVALID, "HV_E_BLOB_UPLOAD_INVALID", 400, "BLOB_UPLOAD_INVALID",
         "BAD_REQUEST"},
        {HV_E_BLOB_UPLOAD_UNKNOWN, "HV_E_BLOB_UPLOAD_UNKNOWN", 404, "BLOB_UPLOAD_UNKNOWN",
         "NOT_FOUND"},
        {HV_E_DIGEST_INVALID, "HV_E_DIGEST_INVALID", 400, "DIGEST_INVALID", "BAD_REQUEST"},
        {HV_E_MANIFEST_BLOB_UNKNOWN, "HV_E_MANIFEST_BLOB_UNKNOWN", 400, "MANIFEST_BLOB_UNKNOWN",
         "BAD_REQUEST"},
        {HV_E_MANIFEST_INVALID, "HV_E_MANIFEST_INVALID", 400, "MANIFEST_INVALID", "BAD_REQUEST"},
        {HV_E_MANIFEST_UNKNOWN, "HV_E_MANIFEST_UNKNOWN", 404, "MANIFEST_UNKNOWN", "NOT_FOUND"},
        {HV_E_NAME_INVALID, "HV_E_NAME_INVALID", 400, "NAME_INVALID", "BAD_REQUEST"},
        {HV_E_NAME_UNKNOWN, "HV_E_NAME_UNKNOWN", 404, "NAME_UNKNOWN", "NOT_FOUND"},
        {HV_E_SIZE_INVALID, "HV_E_SIZE_INVALID", 400, "SIZE_INVALID", "BAD_REQUEST"},
        {HV_E_UNAUTHORIZED, "HV_E_UNAUTHORIZED", 401, "UNAUTHORIZED", "UNAUTHORIZED"},
        {HV_E_DENIED, "HV_E_DENIED", 403, "DENIED", "FORBIDDEN"},
        {HV_E_POLICY, "HV_E_POLICY", 412, "DENIED", "PRECONDITION"},
        {HV_E_TOOMANYREQUESTS, "HV_E_TOOMANYREQUESTS", 429, "TOOMANYREQUESTS", "TOO_MANY_REQUESTS"},
        {HV_E_CONFIG, "HV_E_CONFIG", 500, "UNKNOWN", "INTERNAL_SERVER_ERROR"},
    };
    size_t n = sizeof(want) / sizeof(want[0]);

    CHECK_INT(HV_OK, 0);
    CHECK_INT(HV_ERR__COUNT, n);
    for (size_t i = 0; i < n; i++) {
        const hv_err_info *info = hv_err_lookup(want[i].code);

        CHECK_INT(want[i].code, i);
        CHECK_STR(info->name, want[i].name);
        CHECK_INT(info->http_status, want[i].http);
        CHECK_STR(info->oci_code, want[i].oci);
        CHECK_STR(info->harbor_code, want[i].harbor);
    }
}

static void test_fail(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    char long_arg[2 * HV_ERROR_MSG_MAX];
    int line;
    hv_err rc;

    line = __LINE__ + 1;
    rc = HV_FAIL(&ctx, HV_E_DIGEST_INVALID, "expected %s, got %d", "sha256:x", 42);
    CHECK_INT(rc, HV_E_DIGEST_INVALID);
    CHECK_INT(ctx.err.code, HV_E_DIGEST_INVALID);
    CHECK_STR(ctx.err.message, "expected sha256:x, got 42");
    CHECK_STR(ctx.err.file, __FILE__);
    CHECK_INT(ctx.err.line, line);

    /* the last failure wins */
    HV_FAIL(&ctx, HV_E_NAME_UNKNOWN, "repository %s not found", "a/b");
    CHECK_INT(ctx.err.code, HV_E_NAME_UNKNOWN);
    CHECK_STR(ctx.err.message, "repository a/b not found");

    /* a long message is cut, not overflowed */
    memset(long_arg, 'x', sizeof(long_arg) - 1);
    long_arg[sizeof(long_arg) - 1] = '\0';
    HV_FAIL(&ctx, HV_E_INTERNAL, "%s", long_arg);
    CHECK_INT(strlen(ctx.err.message), HV_ERROR_MSG_MAX - 1);

    hv_error_clear(&ctx);
    CHECK_INT(ctx.err.code, HV_OK);
    CHECK_STR(ctx.err.message, "");
    CHECK(ctx.err.file == NULL);
    CHECK_INT(ctx.err.line, 0);
    hv_arena_free(ctx.arena);
}

static void test_buf(void) {
    hv_buf b;
    char big[2000];

    hv_buf_init(&b, 10);
    CHECK(b.data == NULL);
    CHECK_INT(b.len, 0);
    CHECK_INT(hv_buf_append(&b, "hello", 5), HV_OK);
    CHECK_INT(hv_buf_append(&b, "world", 5), HV_OK);
    CHECK_INT(b.len, 10);
    CHECK_STR(b.data, "helloworld");
    /* one byte over the limit: refused, buffer unchanged */
    CHECK_INT(hv_buf_append(&b, "!", 1), HV_E_TOO_LARGE);
    CHECK_INT(b.len, 10);
    CHECK_STR(b.data, "helloworld");
    CHECK_INT(hv_buf_append(&b, "", 0), HV_OK);
    CHECK_INT(hv_buf_appendf(&b, "%d", 1), HV_E_TOO_LARGE);
    CHECK_STR(b.data, "helloworld");
    hv_buf_reset(&b);
    CHECK_INT(b.len, 0);
    CHECK_STR(b.data, "");
    CHECK_INT(hv_buf_appendf(&b, "%s-%d", "ab", 12), HV_OK);
    CHECK_STR(b.data, "ab-12");
    hv_buf_free(&b);
    CHECK(b.data == NULL);
    hv_buf_free(&b);

    /* a limit far from the first allocation: growth stops at the limit */
    hv_buf_init(&b, 1500);
    memset(big, 'z', sizeof(big));
    CHECK_INT(hv_buf_append(&b, big, 1000), HV_OK);
    CHECK_INT(hv_buf_append(&b, big, 501), HV_E_TOO_LARGE);
    CHECK_INT(hv_buf_append(&b, big, 500), HV_OK);
    CHECK_INT(b.len, 1500);
    CHECK(b.cap <= 1501);
    CHECK_INT(b.data[1500], '\0');
    hv_buf_free(&b);

    /* appendf of more than its small stack buffer */
    hv_buf_init(&b, 4096);
    big[1999] = '\0';
    CHECK_INT(hv_buf_appendf(&b, "<%s>", big), HV_OK);
    CHECK_INT(b.len, 2001);
    CHECK_INT(b.data[0], '<');
    CHECK_INT(b.data[2000], '>');
    hv_buf_free(&b);
}

static void test_arena(void) {
    hv_arena *a = hv_arena_new();
    unsigned char *p, *big;
    char *s;
    bool zero = true;

    for (int i = 0; i < 1000; i++) {
        p = hv_arena_alloc(a, (size_t)i % 37 + 1);
        CHECK_INT((uintptr_t)p % 16, 0);
        for (int j = 0; j < i % 37 + 1; j++)
            zero = zero && p[j] == 0;
        memset(p, 0xAB, (size_t)i % 37 + 1);
    }
    CHECK(zero);
    big = hv_arena_alloc(a, 100000);
    CHECK_INT((uintptr_t)big % 16, 0);
    CHECK(big[0] == 0 && big[99999] == 0);
    memset(big, 1, 100000);
    /* small allocations still work after a big one */
    p = hv_arena_alloc(a, 8);
    CHECK(p[0] == 0);
    CHECK(hv_arena_strdup(a, NULL) == NULL);
    s = hv_arena_strdup(a, "repository");
    CHECK_STR(s, "repository");
    s = hv_arena_strndup(a, "library/ubuntu", 7);
    CHECK_STR(s, "library");
    s = hv_arena_printf(a, "%s:%d", "tag", 7);
    CHECK_STR(s, "tag:7");
    hv_arena_free(a);
    hv_arena_free(NULL);
}

#define ABC_DIGEST "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_sha256(void) {
    char one[HV_DIGEST_MAX], inc[HV_DIGEST_MAX], resumed[HV_DIGEST_MAX];
    hv_sha256 h, copy;
    unsigned char data[10000];

    hv_sha256_digest(one, "abc", 3);
    CHECK_STR(one, ABC_DIGEST);
    CHECK_INT(strlen(one), HV_DIGEST_MAX - 1);
    hv_sha256_digest(one, "", 0);
    CHECK_STR(one, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    hv_sha256_init(&h);
    hv_sha256_update(&h, "a", 1);
    hv_sha256_update(&h, "", 0);
    hv_sha256_update(&h, "bc", 2);
    hv_sha256_final(&h, inc);
    CHECK_STR(inc, ABC_DIGEST);

    /* across block boundaries, in uneven pieces */
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 31 + 7);
    hv_sha256_digest(one, data, sizeof(data));
    hv_sha256_init(&h);
    for (size_t off = 0, step = 1; off < sizeof(data); off += step, step = step * 3 % 257 + 1)
        hv_sha256_update(&h, data + off, off + step > sizeof(data) ? sizeof(data) - off : step);
    hv_sha256_final(&h, inc);
    CHECK_STR(inc, one);

    /* the state is plain bytes: a copy made mid-way continues to the same digest */
    hv_sha256_init(&h);
    hv_sha256_update(&h, data, 4097);
    memcpy(&copy, &h, sizeof(h));
    memset(&h, 0xEE, sizeof(h));
    hv_sha256_update(&copy, data + 4097, sizeof(data) - 4097);
    hv_sha256_final(&copy, resumed);
    CHECK_STR(resumed, one);
    /* and by assignment, with the original going on too */
    hv_sha256_init(&h);
    hv_sha256_update(&h, data, 63);
    copy = h;
    hv_sha256_update(&h, data + 63, sizeof(data) - 63);
    hv_sha256_update(&copy, data + 63, sizeof(data) - 63);
    hv_sha256_final(&h, inc);
    hv_sha256_final(&copy, resumed);
    CHECK_STR(inc, one);
    CHECK_STR(resumed, one);
}

static bool u64(const char *s, uint64_t *v) {
    return hv_parse_u64(s, strlen(s), v);
}

static void test_parse_u64(void) {
    uint64_t v = 0;

    CHECK(u64("0", &v) && v == 0);
    CHECK(u64("7", &v) && v == 7);
    CHECK(u64("007", &v) && v == 7);
    CHECK(u64("1234567890", &v) && v == 1234567890u);
    CHECK(u64("9223372036854775807", &v) && v == 9223372036854775807ULL);
    /* 19 digits is the most it reads, so it never overflows */
    CHECK(u64("9999999999999999999", &v) && v == 9999999999999999999ULL);
    v = 42;
    CHECK(!u64("18446744073709551615", &v));
    CHECK(!u64("10000000000000000000", &v));
    CHECK(!u64("", &v));
    CHECK(!u64("-1", &v));
    CHECK(!u64("+1", &v));
    CHECK(!u64(" 1", &v));
    CHECK(!u64("1 ", &v));
    CHECK(!u64("1a", &v));
    CHECK(!u64("0x10", &v));
    CHECK(!u64("1.0", &v));
    CHECK(v == 42); /* untouched on failure */
    /* the length, not a NUL, ends the number */
    CHECK(hv_parse_u64("12345", 2, &v) && v == 12);
    CHECK(hv_parse_u64("9-", 1, &v) && v == 9);
    CHECK(!hv_parse_u64("12", 0, &v));
}

/* hex both ways: either case in, lower case out, anything else refused */
static void test_hex(void) {
    unsigned char bytes[4] = {0};
    char text[9];

    CHECK(hv_unhex(bytes, "00aBcDfF", 4));
    CHECK(bytes[0] == 0 && bytes[1] == 0xab && bytes[2] == 0xcd && bytes[3] == 0xff);
    hv_hex(text, bytes, 4);
    CHECK_STR(text, "00abcdff");
    CHECK(!hv_unhex(bytes, "00abcdfg", 4));
    CHECK(!hv_unhex(bytes, "0 abcdff", 4));
    CHECK(!hv_unhex(bytes, "00ab", 4)); /* too short: stops at the NUL */
    CHECK_INT(hv_hex_digit('7'), 7);
    CHECK_INT(hv_hex_digit('x'), -1);
}

TEST_MAIN(test_error_table, test_fail, test_buf, test_arena, test_sha256, test_parse_u64, test_hex)
