/*
 * /quotas: the storage quota of every project (Harbor's "project" reference).  Reading and
 * listing need the system permissions quota:read and quota:list, changing a limit
 * quota:update (system administrators, or robots granted them), as in Harbor; project
 * members see their project's quota in /projects/{p}/summary instead.
 *
 * PUT takes {"hard":{"storage":n}} with n = -1 (unlimited) or a positive number of bytes;
 * a limit below the current usage is accepted and refuses further pushes.  The rules (the
 * reference filters, the checks of the limits, the transaction) are the registry's
 * (src/registry/quota.c); this file parses, checks the permission, calls and renders.
 */
#include "api/api_int.h"
#include "registry/registry.h"

static json_t *quota_json(const hv_quota *q) {
    return json_pack("{s:I, s:{s:I, s:s, s:s}, s:{s:I}, s:{s:I}, s:o, s:o}", "id",
                     (json_int_t)q->id, "ref", "id", (json_int_t)q->project_id, "name",
                     q->project_name, "owner_name", q->owner_name, "hard", "storage",
                     (json_int_t)q->hard, "used", "storage", (json_int_t)q->used, "creation_time",
                     hv_api__time(q->creation_time), "update_time", hv_api__time(q->update_time));
}

/* GET /quotas?reference=project&reference_id=<project id> */
static hv_err list_quotas(hv_req *r) {
    hv_quota *quotas;
    size_t n;
    int64_t total;
    hv_list list;
    json_t *items;
    hv_err rc = hv_api__can(r, NULL, "quota", "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = hv_registry_quota_list(&quotas, &n, &total, &r->ctx, &list,
                                    hv_req_query(r, "reference"), hv_req_query(r, "reference_id"));
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, quota_json(&quotas[i]));
    return hv_api__page(r, &list, total, items);
}

static hv_err get_quota(hv_req *r) {
    hv_quota q;
    int64_t id;
    hv_err rc = hv_api__can(r, NULL, "quota", "read");

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[0], "the quota id");
    if (rc == HV_OK)
        rc = hv_registry_quota_get(&q, &r->ctx, id);
    return rc ? rc : hv_api__json(r, 200, quota_json(&q));
}

/* The entries of a QuotaUpdateReq's "hard" (keys borrowed from body); none unless it is an
 * object. */
static void read_hard(hv_registry_quota_input *in, hv_req *r, json_t *body) {
    json_t *hard = json_object_get(body, "hard"), *v;
    hv_registry_quota_limit *limits;
    const char *key;
    size_t n = 0;

    in->hard = NULL;
    in->n_hard = 0;
    if (!json_is_object(hard) || json_object_size(hard) == 0)
        return;
    limits = hv_arena_alloc(r->ctx.arena, json_object_size(hard) * sizeof(*limits));
    json_object_foreach(hard, key, v) {
        limits[n].resource = key;
        limits[n].is_integer = json_is_integer(v);
        limits[n].value = limits[n].is_integer ? (int64_t)json_integer_value(v) : 0;
        n++;
    }
    in->hard = limits;
    in->n_hard = n;
}

static hv_err update_quota(hv_req *r) {
    json_t *body = NULL;
    hv_registry_quota_input in;
    int64_t id;
    hv_err rc = hv_api__can(r, NULL, "quota", "update");

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[0], "the quota id");
    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        return rc;
    read_hard(&in, r, body);
    rc = hv_registry_quota_update(&r->ctx, id, &in);
    json_decref(body);
    return rc ? rc : hv_api__ok(r);
}

HV_API_HANDLER(list_handler, list_quotas);
HV_API_HANDLER(get_handler, get_quota);
HV_API_HANDLER(update_handler, update_quota);

const hv_api__route hv_api__quota_routes[] = {
    {"GET", "/quotas", &list_handler},
    {"GET", "/quotas/{id}", &get_handler},
    {"PUT", "/quotas/{id}", &update_handler},
    {NULL, NULL, NULL},
};
