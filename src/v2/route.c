/*
 * Routing of /v2 paths.  Repository names contain slashes, so a path is split at the last
 * occurrence of the resource part: /v2/<name>/blobs/uploads/<uuid>, /blobs/<digest>,
 * /manifests/<reference>, /referrers/<digest>, /tags/list.  The reference, digest or uuid
 * never contains a slash.
 */
#include "oci/oci.h"
#include "v2/v2_int.h"

#include <string.h>

static const char *find_last(const char *s, const char *needle) {
    const char *found = NULL, *p = s;

    while ((p = strstr(p, needle)) != NULL) {
        found = p;
        p++;
    }
    return found;
}

/* Splits rest at the last `part`: name before, tail after (which must hold no slash). */
static bool split(hv_req *r, const char *rest, const char *part) {
    const char *at = find_last(rest, part);
    const char *tail;

    if (!at || at == rest)
        return false;
    tail = at + strlen(part);
    if (strchr(tail, '/'))
        return false;
    r->params[0] = hv_arena_strndup(r->ctx.arena, rest, (size_t)(at - rest));
    r->params[1] = hv_arena_strdup(r->ctx.arena, tail);
    return true;
}

static bool is(hv_req *r, const char *method) {
    return strcmp(r->method, method) == 0;
}

static const hv_handler *method_not_allowed(hv_req *r) {
    HV_FAIL(&r->ctx, HV_E_METHOD, "%s is not allowed on %s", r->method, r->path);
    return NULL;
}

static const hv_handler *route(hv_req *r, void *payload) {
    hv_v2 *v = hv_arena_alloc(r->ctx.arena, sizeof(*v));
    const char *rest;
    size_t len;

    v->reg = payload;
    v->range_start = v->range_end = -1;
    r->state = v;
    if (strcmp(r->path, "/v2") == 0 || strcmp(r->path, "/v2/") == 0)
        return is(r, "GET") || is(r, "HEAD") ? &hv_v2__base : method_not_allowed(r);
    rest = r->path + 4; /* after "/v2/" */
    len = strlen(rest);
    if (strcmp(rest, "_catalog") == 0)
        return is(r, "GET") ? &hv_v2__catalog : method_not_allowed(r);
    if (len > 10 && strcmp(rest + len - 10, "/tags/list") == 0) {
        r->params[0] = hv_arena_strndup(r->ctx.arena, rest, len - 10);
        return is(r, "GET") ? &hv_v2__tags : method_not_allowed(r);
    }
    if (split(r, rest, "/manifests/")) {
        if (is(r, "GET") || is(r, "HEAD"))
            return &hv_v2__manifest_get;
        if (is(r, "PUT"))
            return &hv_v2__manifest_put;
        if (is(r, "DELETE"))
            return &hv_v2__manifest_delete;
        return method_not_allowed(r);
    }
    if (split(r, rest, "/referrers/"))
        return is(r, "GET") ? &hv_v2__referrers : method_not_allowed(r);
    if (len > 14 && strcmp(rest + len - 14, "/blobs/uploads") == 0) {
        r->params[0] = hv_arena_strndup(r->ctx.arena, rest, len - 14);
        r->params[1] = "";
    } else if (!split(r, rest, "/blobs/uploads/")) {
        if (split(r, rest, "/blobs/")) {
            if (is(r, "GET") || is(r, "HEAD"))
                return &hv_v2__blob_get;
            if (is(r, "DELETE"))
                return &hv_v2__blob_delete;
            return method_not_allowed(r);
        }
        HV_FAIL(&r->ctx, HV_E_NOT_FOUND, "no such endpoint: %s", r->path);
        return NULL;
    }
    /* uploads */
    if (r->params[1][0] == '\0') {
        if (!is(r, "POST"))
            return method_not_allowed(r);
        return hv_req_query(r, "digest") && !hv_req_query(r, "mount") ? &hv_v2__upload_monolithic
                                                                      : &hv_v2__upload_start;
    }
    if (is(r, "PATCH"))
        return &hv_v2__upload_patch;
    if (is(r, "PUT"))
        return &hv_v2__upload_put;
    if (is(r, "GET"))
        return &hv_v2__upload_status;
    if (is(r, "DELETE"))
        return &hv_v2__upload_cancel;
    return method_not_allowed(r);
}

void hv_v2_mount(hv_http_server *s, hv_registry *reg) {
    hv_http_mount(s, "/v2/", HV_API_OCI, route, reg);
}

/*
 * The one permission check of a repository request.  As Harbor (goharbor/harbor#11271), a
 * request without any Authorization header is challenged even where anonymous callers may
 * pull: the client fetches a token first, so that it meets its 401s before it writes.  A
 * caller whose credentials are good but do not grant the action gets a 401 too, not a 403:
 * the token specification's insufficient_scope (the challenge says so), the only answer on
 * which docker, containerd and podman ask for a token with the wider scope.
 */
hv_err hv_v2__target(hv_req *r, const char *action) {
    return hv_v2__target_ref(r, action, NULL);
}

hv_err hv_v2__target_ref(hv_req *r, const char *action, const char *reference) {
    hv_err rc;

    /* only a valid name goes into the challenge header (no quotes, no commas) */
    if (hv_oci_name_valid(r->params[0], strlen(r->params[0])))
        r->challenge_scope = hv_arena_printf(r->ctx.arena, "repository:%s:%s", r->params[0],
                                             strcmp(action, "push") == 0 ? "pull,push" : action);
    if (!hv_req_header(r, "Authorization"))
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED,
                       "authentication required: get a token from the token service");
    rc = hv_registry_target_ref(&V2(r)->t, &r->ctx, &r->who, r->params[0], action, reference);
    return rc == HV_E_DENIED ? hv_v2__unauthorized(r) : rc;
}

hv_err hv_v2__unauthorized(hv_req *r) {
    r->ctx.err.code = HV_E_UNAUTHORIZED; /* the message and where it was noticed stay */
    return HV_E_UNAUTHORIZED;
}
