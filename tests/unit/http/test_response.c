/*
 * Building responses without a connection: any number of headers, error bodies that keep a
 * 500's internals (SQLite's words, file paths) for the log, and streamed bodies whose
 * payload is freed once when something else answers instead.
 */
#include "http/http.h"
#include "test.h"

static hv_req new_req(hv_api_kind api) {
    hv_req r = {.api = api, .resp_fd = -1};

    r.ctx.arena = hv_arena_new();
    r.ctx.request_id = "req-0123";
    return r;
}

static void test_many_headers(void) {
    hv_req r = new_req(HV_API_OCI);

    for (int i = 0; i < 1000; i++)
        hv_resp_header(&r, hv_arena_printf(r.ctx.arena, "X-Item-%d", i), "v");
    CHECK_INT(r.n_headers, 1000);
    CHECK_STR(r.headers[0][0], "X-Item-0");
    CHECK_STR(r.headers[999][0], "X-Item-999");
    CHECK_STR(r.headers[999][1], "v");
    /* an error response starts its headers again */
    hv_fail_at(&r.ctx, __FILE__, __LINE__, HV_E_NOT_FOUND, "nothing here");
    hv_resp_error(&r);
    CHECK_INT(r.status, 404);
    CHECK_INT(r.n_headers, 1);
    CHECK_STR(r.headers[0][0], "Content-Type");
    hv_arena_free(r.ctx.arena);
}

/* The body of an error of code with message, rendered for api. */
static const char *error_body(hv_req *r, hv_err code, const char *message) {
    hv_fail_at(&r->ctx, __FILE__, __LINE__, code, "%s", message);
    hv_resp_error(r);
    return r->resp_body;
}

static void test_internal_errors_keep_their_details(void) {
    static const hv_err internal[] = {HV_E_INTERNAL, HV_E_IO, HV_E_DB, HV_E_CONFIG};
    const char *detail = "database error in step: disk I/O error (/var/lib/haven/haven.db)";

    for (size_t i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
        for (int api = HV_API_OCI; api <= HV_API_HARBOR; api++) {
            hv_req r = new_req((hv_api_kind)api);
            const char *body = error_body(&r, internal[i], detail);

            CHECK_INT(r.status, 500);
            CHECK(strstr(body, "\"internal error; request id req-0123\"") != NULL);
            CHECK(strstr(body, "/var/lib") == NULL);
            CHECK(strstr(body, "disk I/O") == NULL);
            hv_arena_free(r.ctx.arena);
        }
    }
    /* what a client can act on keeps its message, 503 included */
    {
        hv_req r = new_req(HV_API_OCI);
        CHECK(strstr(error_body(&r, HV_E_UNAVAILABLE, "the database is busy; retry later"),
                     "retry later") != NULL);
        CHECK(strstr(error_body(&r, HV_E_RANGE, "send the chunk that starts at 10"),
                     "starts at 10") != NULL);
        CHECK_INT(r.status, 416);
        hv_arena_free(r.ctx.arena);
    }
}

static ssize_t no_bytes(void *payload, uint64_t pos, char *buf, size_t max) {
    (void)payload, (void)pos, (void)buf, (void)max;
    return -1;
}

static void count_free(void *payload) {
    (*(int *)payload)++;
}

static void test_a_replaced_stream_is_freed_once(void) {
    hv_req r = new_req(HV_API_OCI);
    int first = 0, second = 0;

    hv_resp_stream(&r, 200, "application/octet-stream", 10, no_bytes, count_free, &first);
    CHECK_INT(r.status, 200);
    CHECK_INT(r.resp_len, 10);
    hv_resp_stream(&r, 206, NULL, 5, no_bytes, count_free, &second);
    CHECK_INT(first, 1);
    CHECK_INT(second, 0);
    hv_fail_at(&r.ctx, __FILE__, __LINE__, HV_E_UNAVAILABLE,
               "the object storage cannot be "
               "reached; retry later");
    hv_resp_error(&r);
    CHECK_INT(second, 1);
    CHECK(r.resp_read == NULL);
    CHECK_INT(r.status, 503);
    CHECK(strstr(r.resp_body, "object storage") != NULL);
    hv_arena_free(r.ctx.arena);
}

/* The 500s log their detail; not wanted in the test output. */
static void quiet(void) {
    hv_log_threshold = HV_LOG_OFF;
}

TEST_MAIN(quiet, test_many_headers, test_internal_errors_keep_their_details,
          test_a_replaced_stream_is_freed_once)
