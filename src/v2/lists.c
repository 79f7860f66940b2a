/* /v2/ itself, the catalog, tag lists and referrers. */
#include "v2/v2_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define LIST_MAX 10000 /* entries per page when the client gives no n */

static hv_err base_run(hv_req *r) {
    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    hv_resp_body(r, 200, "application/json", "{}", 2);
    return HV_OK;
}

static void render_json(hv_req *r, int status, const char *content_type, json_t *root) {
    char *body = json_dumps(root, JSON_COMPACT);

    hv_resp_body(r, status, content_type, body, strlen(body));
    free(body);
    json_decref(root);
}

/* Reads ?n= and ?last=; n = -1 when absent. */
static hv_err paging(hv_req *r, int64_t *n, const char **last) {
    const char *s = hv_req_query(r, "n");
    uint64_t v;

    *last = hv_req_query(r, "last");
    *n = -1;
    if (!s)
        return HV_OK;
    if (!hv_parse_u64(s, strlen(s), &v))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "n must be a non-negative integer, not %s", s);
    *n = v > LIST_MAX ? LIST_MAX : (int64_t)v;
    return HV_OK;
}

/* Renders a page of names under key; asks one more than n to know whether to link on. */
static hv_err page(hv_req *r, const char *key, const char **names, size_t count, int64_t n,
                   const char *base) {
    json_t *root = json_object(), *list = json_array();
    size_t shown = n >= 0 && count > (size_t)n ? (size_t)n : count;

    for (size_t i = 0; i < shown; i++)
        json_array_append_new(list, json_string(names[i]));
    if (strcmp(key, "tags") == 0)
        json_object_set_new(root, "name", json_string(r->params[0]));
    json_object_set_new(root, key, list);
    if (shown < count && shown > 0) {
        char *esc = hv_arena_strdup(r->ctx.arena, names[shown - 1]);
        hv_resp_header(r, "Link",
                       hv_arena_printf(r->ctx.arena, "<%s?n=%lld&last=%s>; rel=\"next\"", base,
                                       (long long)n, esc));
    }
    render_json(r, 200, "application/json", root);
    return HV_OK;
}

/* As Harbor: whoever may not list the catalog is challenged (401, Basic), also when logged in. */
static hv_err catalog_begin(hv_req *r) {
    hv_err rc = hv_auth_can(&r->ctx, &r->who, NULL, "catalog", "read");
    return rc == HV_E_DENIED ? hv_v2__unauthorized(r) : rc;
}

static hv_err catalog_run(hv_req *r) {
    const char **names, *last;
    size_t count;
    int64_t n;
    hv_err rc = paging(r, &n, &last);

    if (rc)
        return rc;
    if (n == 0)
        return page(r, "repositories", NULL, 0, 0, "");
    rc = hv_registry_catalog(&names, &count, &r->ctx, last, n >= 0 ? n + 1 : LIST_MAX);
    if (rc)
        return rc;
    return page(r, "repositories", names, count, n, "/v2/_catalog");
}

static hv_err pull(hv_req *r) {
    return hv_v2__target(r, "pull");
}

static hv_err tags_run(hv_req *r) {
    const char **names, *last;
    size_t count;
    int64_t n;
    hv_err rc = paging(r, &n, &last);

    if (rc)
        return rc;
    rc = hv_registry_tags(&names, &count, &r->ctx, &V2(r)->t, last, n >= 0 ? n + 1 : LIST_MAX);
    if (rc)
        return rc;
    return page(r, "tags", names, count, n,
                hv_arena_printf(r->ctx.arena, "/v2/%s/tags/list", r->params[0]));
}

static json_t *descriptor(const hv_artifact *a) {
    json_t *d = json_object();

    json_object_set_new(d, "mediaType", json_string(a->media_type));
    json_object_set_new(d, "digest", json_string(a->digest));
    json_object_set_new(d, "size", json_integer(a->size));
    if (a->artifact_type)
        json_object_set_new(d, "artifactType", json_string(a->artifact_type));
    if (a->annotations_json) {
        json_t *ann = json_loads(a->annotations_json, 0, NULL);
        if (ann)
            json_object_set_new(d, "annotations", ann);
    }
    return d;
}

static hv_err referrers_run(hv_req *r) {
    const char *type = hv_req_query(r, "artifactType");
    hv_artifact *found;
    size_t count;
    json_t *root, *list;
    hv_err rc;

    if (type && !*type)
        type = NULL;
    rc = hv_registry_referrers(&found, &count, &r->ctx, &V2(r)->t, r->params[1], type);
    if (rc)
        return rc;
    list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, descriptor(&found[i]));
    root = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType",
                     "application/vnd.oci.image.index.v1+json", "manifests", list);
    if (type)
        hv_resp_header(r, "OCI-Filters-Applied", "artifactType");
    render_json(r, 200, "application/vnd.oci.image.index.v1+json", root);
    return HV_OK;
}

const hv_handler hv_v2__base = {.run = base_run};
const hv_handler hv_v2__catalog = {.begin = catalog_begin, .run = catalog_run};
const hv_handler hv_v2__tags = {.begin = pull, .run = tags_run};
const hv_handler hv_v2__referrers = {.begin = pull, .run = referrers_run};
