/* Manifests: GET/HEAD, PUT and DELETE /v2/<name>/manifests/<tag or digest>. */
#include "v2/v2_int.h"

#include <string.h>

static hv_err pull(hv_req *r) {
    return hv_v2__target_ref(r, "pull", r->params[1]);
}

static hv_err manifest_get(hv_req *r) {
    hv_v2 *v = V2(r);
    hv_artifact a;
    hv_blob_reader *body = NULL;
    hv_err rc;

    rc = hv_registry_manifest_get(&a, &body, &r->ctx, v->reg, &v->t, r->params[1],
                                  hv_req_header_all(r, "Accept"), strcmp(r->method, "GET") == 0);
    if (rc)
        return rc;
    hv_resp_header(r, "Docker-Content-Digest", a.digest);
    hv_resp_header(r, "ETag", hv_arena_printf(r->ctx.arena, "\"%s\"", a.digest));
    hv_v2__send_blob(r, 200, a.media_type, body, 0, (uint64_t)a.size);
    return HV_OK;
}

/* Headers of a manifest PUT: permission, and the size limit before any byte is read. */
static hv_err put_begin(hv_req *r) {
    const char *length = hv_req_header(r, "Content-Length");
    size_t max = hv_registry_max_manifest(V2(r)->reg);
    uint64_t n;
    hv_err rc = hv_v2__target(r, "push");

    if (rc)
        return rc;
    r->body.max = max;
    if (length && hv_parse_u64(length, strlen(length), &n) && n > max)
        return HV_FAIL(&r->ctx, HV_E_TOO_LARGE,
                       "manifest of %llu bytes is over the limit of %zu bytes",
                       (unsigned long long)n, max);
    return HV_OK;
}

static hv_err manifest_put(hv_req *r) {
    hv_v2 *v = V2(r);
    char digest[HV_DIGEST_MAX];
    const char *subject = NULL;
    hv_err rc;

    rc = hv_registry_manifest_put(digest, &subject, &r->ctx, v->reg, &v->t, r->params[1],
                                  hv_req_header(r, "Content-Type"),
                                  r->body.data ? r->body.data : "", r->body.len);
    if (rc)
        return rc;
    hv_resp_header(r, "Location",
                   hv_arena_printf(r->ctx.arena, "/v2/%s/manifests/%s", r->params[0], digest));
    hv_resp_header(r, "Docker-Content-Digest", digest);
    if (subject)
        hv_resp_header(r, "OCI-Subject", subject);
    hv_resp_empty(r, 201);
    return HV_OK;
}

static hv_err del(hv_req *r) {
    return hv_v2__target(r, "delete");
}

static hv_err manifest_delete(hv_req *r) {
    hv_v2 *v = V2(r);
    hv_err rc = hv_registry_manifest_delete(&r->ctx, v->reg, &v->t, r->params[1]);

    if (rc)
        return rc;
    hv_resp_empty(r, 202);
    return HV_OK;
}

const hv_handler hv_v2__manifest_get = {.begin = pull, .run = manifest_get};
/* body_max is the largest configurable limit; put_begin applies the configured one */
const hv_handler hv_v2__manifest_put = {
    .begin = put_begin, .run = manifest_put, .body_max = HV_OCI_MANIFEST_MAX};
const hv_handler hv_v2__manifest_delete = {.begin = del, .run = manifest_delete};
