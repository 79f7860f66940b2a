/* Blob reads and deletes: GET/HEAD (with Range) and DELETE /v2/<name>/blobs/<digest>. */
#include "v2/v2_int.h"

#include <unistd.h>

static hv_err pull(hv_req *r) {
    return hv_v2__target(r, "pull");
}

static hv_err blob_get(hv_req *r) {
    hv_v2 *v = V2(r);
    const char *range = hv_req_header(r, "Range");
    uint64_t size, start, end;
    int fd;
    hv_err rc;

    rc = hv_registry_blob_open(&fd, &size, &r->ctx, v->reg, &v->t, r->params[1]);
    if (rc)
        return rc;
    hv_resp_header(r, "Docker-Content-Digest", r->params[1]);
    hv_resp_header(r, "Accept-Ranges", "bytes");
    hv_resp_header(r, "ETag", hv_arena_printf(r->ctx.arena, "\"%s\"", r->params[1]));
    hv_resp_header(r, "Cache-Control", "max-age=31536000");
    if (range) {
        rc = hv_http_range_parse(&start, &end, &r->ctx, range, size);
        if (rc == HV_OK) {
            hv_resp_header(r, "Content-Range",
                           hv_arena_printf(r->ctx.arena, "bytes %llu-%llu/%llu",
                                           (unsigned long long)start, (unsigned long long)end,
                                           (unsigned long long)size));
            hv_resp_fd(r, 206, "application/octet-stream", fd, start, end - start + 1);
            return HV_OK;
        }
        if (rc == HV_E_RANGE) {
            close(fd);
            r->n_headers = 0;
            hv_resp_header(r, "Content-Range",
                           hv_arena_printf(r->ctx.arena, "bytes */%llu", (unsigned long long)size));
            hv_resp_empty(r, 416);
            return HV_OK;
        }
        hv_error_clear(&r->ctx); /* a malformed Range is ignored (RFC 9110) */
    }
    hv_resp_fd(r, 200, "application/octet-stream", fd, 0, size);
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
