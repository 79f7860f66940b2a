/* Blob reads and deletes: GET/HEAD (with Range) and DELETE /v2/<name>/blobs/<digest>. */
#include "v2/v2_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A blob streamed from the store: where the response's bytes start in it. */
typedef struct blob_body {
    hv_blob_reader *blob;
    uint64_t offset;
    const char *request_id; /* in the request arena, which outlives the body */
} blob_body;

static ssize_t blob_body_read(void *payload, uint64_t pos, char *buf, size_t max) {
    blob_body *b = payload;
    hv_ctx ctx = {.request_id = b->request_id};
    size_t got = 0;
    hv_err rc = hv_blob_read(b->blob, &ctx, b->offset + pos, buf, max, &got);

    if (rc) {
        hv_log(HV_LOG_ERROR, "request %s: %s", b->request_id, ctx.err.message);
        return -1;
    }
    return got ? (ssize_t)got : -1; /* the blob is shorter than its size said */
}

static void blob_body_free(void *payload) {
    blob_body *b = payload;

    hv_blob_reader_close(b->blob);
    free(b);
}

void hv_v2__send_blob(hv_req *r, int status, const char *content_type, hv_blob_reader *blob,
                      uint64_t offset, uint64_t len) {
    int fd = hv_blob_reader_take_fd(blob);
    blob_body *b;

    if (fd >= 0) {
        hv_blob_reader_close(blob);
        hv_resp_fd(r, status, content_type, fd, offset, len);
        return;
    }
    b = hv_calloc(1, sizeof(*b));
    b->blob = blob;
    b->offset = offset;
    b->request_id = r->ctx.request_id;
    hv_resp_stream(r, status, content_type, len, blob_body_read, blob_body_free, b);
}

static hv_err pull(hv_req *r) {
    return hv_v2__target(r, "pull");
}

static hv_err blob_get(hv_req *r) {
    hv_v2 *v = V2(r);
    const char *range = hv_req_header(r, "Range");
    bool head = strcmp(r->method, "HEAD") == 0;
    uint64_t size, start = 0, end;
    hv_blob_reader *blob = NULL;
    const char *url = NULL;
    hv_err rc;

    if (!head) { /* a HEAD is answered here: it moves no bytes */
        rc = hv_registry_blob_redirect(&url, &r->ctx, v->reg, &v->t, r->params[1]);
        if (rc)
            return rc;
        if (url) {
            hv_resp_header(r, "Docker-Content-Digest", r->params[1]);
            hv_resp_header(r, "Location", url);
            hv_resp_empty(r, 307);
            return HV_OK;
        }
    }
    /* the size is the metadata's, so the store sees one request: the read, from where the
     * answer starts (none for a HEAD) */
    rc = hv_registry_blob_stat(&size, &r->ctx, v->reg, &v->t, r->params[1]);
    if (rc)
        return rc;
    end = size ? size - 1 : 0;
    if (range) {
        rc = hv_http_range_parse(&start, &end, &r->ctx, range, size);
        if (rc == HV_E_RANGE) {
            hv_resp_header(r, "Content-Range",
                           hv_arena_printf(r->ctx.arena, "bytes */%llu", (unsigned long long)size));
            hv_resp_empty(r, 416);
            return HV_OK;
        }
        if (rc) {
            hv_error_clear(&r->ctx); /* a malformed Range is ignored (RFC 9110) */
            range = NULL;
            start = 0;
            end = size ? size - 1 : 0;
        }
    }
    rc = hv_registry_blob_open(&blob, &r->ctx, v->reg, r->params[1], size, head ? size : start);
    if (rc)
        return rc;
    hv_resp_header(r, "Docker-Content-Digest", r->params[1]);
    hv_resp_header(r, "Accept-Ranges", "bytes");
    hv_resp_header(r, "ETag", hv_arena_printf(r->ctx.arena, "\"%s\"", r->params[1]));
    hv_resp_header(r, "Cache-Control", "max-age=31536000");
    if (range) {
        hv_resp_header(r, "Content-Range",
                       hv_arena_printf(r->ctx.arena, "bytes %llu-%llu/%llu",
                                       (unsigned long long)start, (unsigned long long)end,
                                       (unsigned long long)size));
        hv_v2__send_blob(r, 206, "application/octet-stream", blob, start, end - start + 1);
        return HV_OK;
    }
    hv_v2__send_blob(r, 200, "application/octet-stream", blob, 0, size);
    return HV_OK;
}

static hv_err del(hv_req *r) {
    return hv_v2__target(r, "delete");
}

static hv_err blob_delete(hv_req *r) {
    hv_v2 *v = V2(r);
    hv_err rc = hv_registry_blob_delete(&r->ctx, v->reg, &v->t, r->params[1]);

    if (rc)
        return rc;
    hv_resp_header(r, "Docker-Content-Digest", r->params[1]);
    hv_resp_empty(r, 202);
    return HV_OK;
}

const hv_handler hv_v2__blob_get = {.begin = pull, .run = blob_get};
const hv_handler hv_v2__blob_delete = {.begin = del, .run = blob_delete};
