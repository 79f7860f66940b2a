/*
 * Blob uploads: POST (session, one-request with ?digest=, cross-repository mount), PATCH
 * (a chunk, streamed), PUT (completion with an optional last chunk), GET (status) and
 * DELETE (cancel) on /v2/<name>/blobs/uploads/[<uuid>].  Bodies stream straight into the
 * registry's upload stream; nothing is buffered whole.
 */
#include "v2/v2_int.h"

#include <stdio.h>
#include <string.h>

static hv_err push(hv_req *r) {
    return hv_v2__target(r, "push");
}

static void location_upload(hv_req *r, const char *uuid, int64_t size) {
    hv_resp_header(r, "Location",
                   hv_arena_printf(r->ctx.arena, "/v2/%s/blobs/uploads/%s", r->params[0], uuid));
    hv_resp_header(r, "Docker-Upload-UUID", uuid);
    hv_resp_header(r, "Range",
                   hv_arena_printf(r->ctx.arena, "0-%lld", (long long)(size > 0 ? size - 1 : 0)));
}

static void location_blob(hv_req *r, const char *digest) {
    hv_resp_header(r, "Location",
                   hv_arena_printf(r->ctx.arena, "/v2/%s/blobs/%s", r->params[0], digest));
    hv_resp_header(r, "Docker-Content-Digest", digest);
}

static hv_err chunk(hv_req *r, const char *data, size_t len) {
    return hv_registry_upload_write(V2(r)->stream, &r->ctx, data, len);
}

static void cleanup(hv_req *r) {
    hv_v2 *v = V2(r);

    if (v) {
        hv_registry_upload_abort(v->stream);
        v->stream = NULL;
    }
}

/* POST: a mount when asked and possible (from `from`, or without it from any repository
 * the caller may pull), else a new session. */
static hv_err start(hv_req *r) {
    hv_v2 *v = V2(r);
    const char *mount = hv_req_query(r, "mount"), *from = hv_req_query(r, "from");
    char uuid[37];
    hv_err rc;

    if (from && !*from)
        from = NULL;
    if (mount) {
        rc = hv_registry_blob_mount(&r->ctx, v->reg, &r->who, &v->t, from, mount);
        if (rc == HV_OK) {
            location_blob(r, mount);
            hv_resp_empty(r, 201);
            return HV_OK;
        }
        if (rc != HV_E_BLOB_UNKNOWN)
            return rc;
    }
    rc = hv_registry_upload_start(uuid, &r->ctx, v->reg, &v->t);
    if (rc)
        return rc;
    location_upload(r, uuid, 0);
    hv_resp_empty(r, 202);
    return HV_OK;
}

/* Headers of a body-carrying upload request: open the stream before any byte is read. */
static hv_err open_stream(hv_req *r, const char *uuid, const char *digest) {
    hv_v2 *v = V2(r);
    const char *range = hv_req_header(r, "Content-Range");
    uint64_t a, b;
    hv_err rc;

    if (range) {
        rc = hv_http_content_range_parse(&a, &b, &r->ctx, range);
        if (rc)
            return rc;
        v->range_start = (int64_t)a;
        v->range_end = (int64_t)b;
    }
    return hv_registry_upload_begin(&v->stream, &r->ctx, v->reg, &v->t, uuid, v->range_start,
                                    digest);
}

/* Finishes the stream; checks the chunk was as long as its Content-Range said. */
static hv_err finish(hv_req *r, int64_t *size, const char **uuid) {
    hv_v2 *v = V2(r);
    hv_upload_stream *s = v->stream;
    /* in 64 unsigned bits: 0-9223372036854775807 announces 2^63 bytes */
    uint64_t announced = (uint64_t)(v->range_end - v->range_start) + 1;

    if (v->range_start >= 0 && r->bytes_in != announced)
        return HV_FAIL(&r->ctx, HV_E_RANGE,
                       "Content-Range %lld-%lld announces %llu bytes but %llu arrived",
                       (long long)v->range_start, (long long)v->range_end,
                       (unsigned long long)announced, (unsigned long long)r->bytes_in);
    v->stream = NULL;
    return hv_registry_upload_finish(s, &r->ctx, size, uuid);
}

static hv_err monolithic_begin(hv_req *r) {
    hv_err rc = push(r);
    return rc ? rc : open_stream(r, NULL, hv_req_query(r, "digest"));
}

static hv_err complete_run(hv_req *r) {
    int64_t size;
    const char *uuid;
    hv_err rc = finish(r, &size, &uuid);

    if (rc)
        return rc;
    location_blob(r, hv_req_query(r, "digest"));
    hv_resp_empty(r, 201);
    return HV_OK;
}

static hv_err patch_begin(hv_req *r) {
    hv_err rc = push(r);
    return rc ? rc : open_stream(r, r->params[1], NULL);
}

static hv_err patch_run(hv_req *r) {
    int64_t size;
    const char *uuid;
    hv_err rc = finish(r, &size, &uuid);

    if (rc)
        return rc;
    location_upload(r, uuid, size);
    hv_resp_empty(r, 202);
    return HV_OK;
}

static hv_err put_begin(hv_req *r) {
    const char *digest = hv_req_query(r, "digest");
    hv_err rc = push(r);

    if (rc)
        return rc;
    if (!digest || !*digest)
        return HV_FAIL(&r->ctx, HV_E_DIGEST_INVALID,
                       "completing an upload needs ?digest=<digest of the whole blob>");
    return open_stream(r, r->params[1], digest);
}

static hv_err status(hv_req *r) {
    hv_v2 *v = V2(r);
    hv_upload up;
    hv_err rc = hv_registry_upload_status(&up, &r->ctx, v->reg, &v->t, r->params[1]);

    if (rc)
        return rc;
    location_upload(r, up.uuid, up.size);
    hv_resp_empty(r, 204);
    return HV_OK;
}

static hv_err cancel(hv_req *r) {
    hv_v2 *v = V2(r);
    hv_err rc = hv_registry_upload_cancel(&r->ctx, v->reg, &v->t, r->params[1]);

    if (rc)
        return rc;
    hv_resp_empty(r, 204);
    return HV_OK;
}

const hv_handler hv_v2__upload_start = {.begin = push, .run = start};
const hv_handler hv_v2__upload_monolithic = {
    .begin = monolithic_begin, .chunk = chunk, .run = complete_run, .cleanup = cleanup};
const hv_handler hv_v2__upload_patch = {
    .begin = patch_begin, .chunk = chunk, .run = patch_run, .cleanup = cleanup};
const hv_handler hv_v2__upload_put = {
    .begin = put_begin, .chunk = chunk, .run = complete_run, .cleanup = cleanup};
const hv_handler hv_v2__upload_status = {.begin = push, .run = status};
const hv_handler hv_v2__upload_cancel = {.begin = push, .run = cancel};
