/*
 * CVE allowlists (harbor-api.md §1.13): Harbor's CVEAllowlist as a request gives it and as
 * a response shows it, for a project's (ProjectReq.cve_allowlist, projects.c) and for the
 * system's (GET/PUT /system/CVEAllowlist, here).  The rules are iam's.
 */
#include "api/api_int.h"

#include <stdlib.h>

hv_err hv_api__parse_allowlist(hv_iam_cve_allowlist *out, hv_req *r, json_t *wl) {
    json_t *items, *expires;
    const char **ids;
    hv_err rc;

    if (!json_is_object(wl))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "cve_allowlist must be an object");
    rc = hv_api__int(&out->project_id, r, wl, "project_id");
    if (rc)
        return rc;
    items = json_object_get(wl, "items");
    if (items && !json_is_null(items) && !json_is_array(items))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "cve_allowlist.items must be an array");
    expires = json_object_get(wl, "expires_at");
    if (expires && !json_is_null(expires) && !json_is_integer(expires))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "cve_allowlist.expires_at must be an integer");
    ids = hv_arena_alloc(r->ctx.arena, (json_array_size(items) + 1) * sizeof(*ids));
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i), *id = json_object_get(it, "cve_id");

        if (!json_is_object(it) || !json_is_string(id) || !*json_string_value(id))
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "each item of cve_allowlist.items must be {\"cve_id\": \"CVE-...\"}");
        ids[i] = hv_arena_strdup(r->ctx.arena, json_string_value(id));
    }
    out->cve_ids = ids;
    out->n_cve_ids = json_array_size(items);
    out->has_expires_at = json_is_integer(expires);
    out->expires_at = json_is_integer(expires) ? (int64_t)json_integer_value(expires) : 0;
    return HV_OK;
}

json_t *hv_api__allowlist_json(const char *text, int64_t id, int64_t project_id, int64_t created,
                               int64_t updated) {
    json_t *stored = NULL, *o = json_object(), *items, *expires, *t;
    json_error_t e;

    if (text)
        stored = json_loads(text, 0, &e);
    items = json_object_get(stored, "items");
    expires = json_object_get(stored, "expires_at");
    t = json_object_get(stored, "creation_time");
    if (json_is_integer(t))
        created = json_integer_value(t);
    t = json_object_get(stored, "update_time");
    if (json_is_integer(t))
        updated = json_integer_value(t);
    json_object_set_new(o, "id", json_integer(id));
    json_object_set_new(o, "project_id", json_integer(project_id));
    json_object_set_new(o, "items", json_is_array(items) ? json_incref(items) : json_array());
    if (json_is_integer(expires))
        json_object_set(o, "expires_at", expires);
    json_object_set_new(o, "creation_time", hv_api__time(created));
    json_object_set_new(o, "update_time", hv_api__time(updated));
    json_decref(stored);
    return o;
}

/* ---------------------------------------------------------------- /system/CVEAllowlist */

/* Any logged-in user reads it, as in Harbor. */
static hv_err get_system_allowlist(hv_req *r) {
    const char *text;
    int64_t now = hv_now_ms();
    hv_err rc = r->who.kind == HV_ID_ANONYMOUS
                    ? HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "log in to read the CVE allowlist")
                    : HV_OK;

    if (rc == HV_OK)
        rc = hv_iam_system_allowlist_get(&text, &r->ctx);
    return rc ? rc : hv_api__json(r, 200, hv_api__allowlist_json(text, 0, 0, now, now));
}

static hv_err put_system_allowlist(hv_req *r) {
    json_t *body = NULL;
    hv_iam_cve_allowlist wl = {0};
    hv_err rc = hv_api__can(r, NULL, "configuration", "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__parse_allowlist(&wl, r, body);
    if (rc == HV_OK)
        rc = hv_iam_system_allowlist_set(&r->ctx, &wl);
    if (rc == HV_OK)
        rc = hv_api__ok(r);
    json_decref(body);
    return rc;
}

HV_API_HANDLER(h_get, get_system_allowlist);
HV_API_HANDLER(h_put, put_system_allowlist);

const hv_api__route hv_api__allowlist_routes[] = {
    {"GET", "/system/CVEAllowlist", &h_get},
    {"PUT", "/system/CVEAllowlist", &h_put},
    {NULL, NULL, NULL},
};
