/*
 * /quotas: the storage quota of every project (Harbor's "project" reference).  Reading and
 * listing need the system permissions quota:read and quota:list, changing a limit
 * quota:update (system administrators, or robots granted them), as in Harbor; project
 * members see their project's quota in /projects/{p}/summary instead.
 *
 * PUT takes {"hard":{"storage":n}} with n = -1 (unlimited) or a positive number of bytes;
 * a limit below the current usage is accepted and refuses further pushes.  The usage is
 * kept by the registry service (src/registry/quota.c), never set here.
 */
#include "api/api_int.h"
#include "db/db.h"

#include <string.h>

static json_t *quota_json(const hv_quota *q) {
    return json_pack("{s:I, s:{s:I, s:s, s:s}, s:{s:I}, s:{s:I}, s:o, s:o}", "id",
                     (json_int_t)q->id, "ref", "id", (json_int_t)q->project_id, "name",
                     q->project_name, "owner_name", q->owner_name, "hard", "storage",
                     (json_int_t)q->hard, "used", "storage", (json_int_t)q->used, "creation_time",
                     hv_api__time(q->creation_time), "update_time", hv_api__time(q->update_time));
}

static void term(hv_query_term *t, hv_req *r, const char *key, const char *value) {
    t->key = key;
    t->op = HV_Q_EXACT;
    t->values = hv_arena_alloc(r->ctx.arena, sizeof(*t->values));
    t->values[0] = value;
    t->n_values = 1;
}

/* GET /quotas?reference=project&reference_id=<project id>: like Harbor, a reference other
 * than "project" or an id that is not one matches nothing. */
static hv_err list_quotas(hv_req *r) {
    const char *reference = hv_req_query(r, "reference"), *ref_id = hv_req_query(r, "reference_id");
    hv_query_term fixed;
    size_t n_fixed = 0, n;
    hv_quota *quotas;
    int64_t total;
    uint64_t id;
    hv_list list;
    json_t *items;
    hv_err rc = hv_api__can(r, NULL, "quota", "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc)
        return rc;
    if ((reference && *reference && strcmp(reference, "project") != 0) ||
        (ref_id && *ref_id && (!hv_parse_u64(ref_id, strlen(ref_id), &id) || id > INT64_MAX)))
        return hv_api__page(r, &list, 0, json_array());
    if (ref_id && *ref_id) {
        term(&fixed, r, "reference_id", ref_id);
        n_fixed = 1;
    }
    rc = hv_model_quota_list(&quotas, &n, &total, &r->ctx, &list, &fixed, n_fixed);
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
        rc = hv_model_quota_get(&q, &r->ctx, id);
    return rc ? rc : hv_api__json(r, 200, quota_json(&q));
}

/* The storage limit of a QuotaUpdateReq's non-empty "hard", checked as Harbor's project
 * driver does. */
static hv_err hard_storage(int64_t *out, hv_req *r, json_t *hard) {
    json_t *v;
    const char *key;
    bool found = false;

    json_object_foreach(hard, key, v) {
        if (strcmp(key, "storage") != 0)
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "resource %s not support: only storage has a quota", key);
        if (!json_is_integer(v) || (json_integer_value(v) <= 0 && json_integer_value(v) != -1))
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "invalid value for resource storage: use -1 (unlimited) or a "
                           "positive number of bytes");
        *out = (int64_t)json_integer_value(v);
        found = true;
    }
    if (!found)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "resource storage not found");
    return HV_OK;
}

static hv_err update_in_tx(hv_req *r, int64_t id, int64_t hard) {
    hv_err rc = hv_db_begin(r->ctx.db, &r->ctx);

    if (rc)
        return rc;
    rc = hv_model_quota_set_hard(&r->ctx, id, hard);
    if (rc) {
        hv_db_rollback(r->ctx.db);
        return rc;
    }
    return hv_db_commit(r->ctx.db, &r->ctx);
}

static hv_err update_quota(hv_req *r) {
    json_t *body = NULL, *hard_obj;
    hv_quota q;
    int64_t id, hard = 0;
    hv_err rc = hv_api__can(r, NULL, "quota", "update");

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[0], "the quota id");
    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        return rc;
    /* in Harbor's order: a body without limits (400), then the quota (404), then the limits */
    hard_obj = json_object_get(body, "hard");
    if (!json_is_object(hard_obj) || json_object_size(hard_obj) == 0)
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                     "hard required in body: {\"hard\": {\"storage\": <bytes, or -1>}}");
    if (rc == HV_OK)
        rc = hv_model_quota_get(&q, &r->ctx, id);
    if (rc == HV_OK)
        rc = hard_storage(&hard, r, hard_obj);
    json_decref(body);
    if (rc == HV_OK)
        rc = update_in_tx(r, id, hard);
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
