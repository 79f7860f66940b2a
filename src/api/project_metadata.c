/*
 * /projects/{p}/metadatas: a project's settings one key at a time.  A body carries exactly
 * one pair whose value is a string; which keys exist and what values they take are the
 * rules of src/iam/projects.c, the same as for the metadata of a ProjectReq.  PUT sets a key
 * that is not set yet, as Harbor's metadata manager does.  The singular /metadata is served
 * too: published guides spell it so.
 */
#include "api/api_int.h"
#include "iam/iam.h"

#include <string.h>

static hv_err list_metadata(hv_req *r) {
    const char **names, **values;
    size_t n;
    hv_project p;
    json_t *o;
    hv_err rc = hv_api__project_load(&p, r, "metadata", "list");

    if (rc == HV_OK)
        rc = hv_iam_project_metadata_list(&names, &values, &n, &r->ctx, &p);
    if (rc)
        return rc;
    o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, names[i], json_string(values[i]));
    return hv_api__json(r, 200, o);
}

/* The one pair of a metadata body (arena).  want: the key it must have, or NULL. */
static hv_err one_pair(const char **key_out, const char **value_out, hv_req *r, const char *want) {
    json_t *body = NULL, *v;
    const char *key;
    hv_err rc = hv_api__json_body(&body, r);

    if (rc)
        return rc;
    if (json_object_size(body) != 1) {
        json_decref(body);
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "only allow one key/value pair");
    }
    json_object_foreach(body, key, v) {
        if (want && strcmp(key, want) != 0)
            rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "the body must set %s, not %s", want, key);
        else if (!json_is_string(v))
            rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "the value of %s must be a string", key);
        else
            *value_out = hv_arena_strdup(r->ctx.arena, json_string_value(v));
        *key_out = hv_arena_strdup(r->ctx.arena, key);
    }
    json_decref(body);
    return rc;
}

static hv_err add_metadata(hv_req *r) {
    const char *key, *value;
    hv_project p;
    hv_err rc = hv_api__project_load(&p, r, "metadata", "create");

    if (rc == HV_OK)
        rc = one_pair(&key, &value, r, NULL);
    if (rc == HV_OK)
        rc = hv_iam_project_metadata_add(&r->ctx, &p, key, value);
    return rc ? rc : hv_api__ok(r);
}

static hv_err get_metadata(hv_req *r) {
    const char *value;
    hv_project p;
    hv_err rc = hv_api__project_load(&p, r, "metadata", "read");

    if (rc == HV_OK)
        rc = hv_iam_project_metadata_get(&value, &r->ctx, &p, r->params[1]);
    return rc ? rc : hv_api__json(r, 200, json_pack("{s:s}", r->params[1], value));
}

static hv_err update_metadata(hv_req *r) {
    const char *key, *value;
    hv_project p;
    hv_err rc = hv_api__project_load(&p, r, "metadata", "update");

    if (rc == HV_OK)
        rc = one_pair(&key, &value, r, r->params[1]);
    if (rc == HV_OK)
        rc = hv_iam_project_metadata_update(&r->ctx, &p, key, value);
    return rc ? rc : hv_api__ok(r);
}

static hv_err delete_metadata(hv_req *r) {
    hv_project p;
    hv_err rc = hv_api__project_load(&p, r, "metadata", "delete");

    if (rc == HV_OK)
        rc = hv_iam_project_metadata_delete(&r->ctx, &p, r->params[1]);
    return rc ? rc : hv_api__ok(r);
}

HV_API_HANDLER(list_meta_handler, list_metadata);
HV_API_HANDLER(add_meta_handler, add_metadata);
HV_API_HANDLER(get_meta_handler, get_metadata);
HV_API_HANDLER(update_meta_handler, update_metadata);
HV_API_HANDLER(delete_meta_handler, delete_metadata);

const hv_api__route hv_api__project_metadata_routes[] = {
    {"GET", "/projects/{project_name_or_id}/metadatas", &list_meta_handler},
    {"POST", "/projects/{project_name_or_id}/metadatas", &add_meta_handler},
    {"GET", "/projects/{project_name_or_id}/metadatas/{meta_name}", &get_meta_handler},
    {"PUT", "/projects/{project_name_or_id}/metadatas/{meta_name}", &update_meta_handler},
    {"DELETE", "/projects/{project_name_or_id}/metadatas/{meta_name}", &delete_meta_handler},
    /* the misspelling of guides */
    {"GET", "/projects/{project_name_or_id}/metadata", &list_meta_handler},
    {"POST", "/projects/{project_name_or_id}/metadata", &add_meta_handler},
    {"GET", "/projects/{project_name_or_id}/metadata/{meta_name}", &get_meta_handler},
    {"PUT", "/projects/{project_name_or_id}/metadata/{meta_name}", &update_meta_handler},
    {"DELETE", "/projects/{project_name_or_id}/metadata/{meta_name}", &delete_meta_handler},
    {NULL, NULL, NULL},
};
