/*
 * /audit-logs (the whole log: system administrators, or a robot granted audit-log:list of
 * kind system) and /projects/{project_name}/logs (one project's rows: whoever may list the
 * project's logs).  Rows are written by the audit subscriber of the event bus
 * (src/audit/); these endpoints only read them, newest first unless sorted otherwise.
 */
#include "audit/audit.h"
#include "api/api_int.h"

static json_t *audit_json(const hv_audit_log *e) {
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "id", (json_int_t)e->id, "username",
                     e->username, "resource", e->resource, "resource_type", e->resource_type,
                     "operation", e->operation, "op_time", hv_api__time(e->op_time));
}

static hv_err page(hv_req *r, const hv_list *list, int64_t project_id) {
    hv_audit_log *rows;
    size_t n;
    int64_t total;
    json_t *items;
    hv_err rc = hv_audit_list(&rows, &n, &total, &r->ctx, list, project_id);

    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, audit_json(&rows[i]));
    return hv_api__page(r, list, total, items);
}

static hv_err list_all(hv_req *r) {
    hv_list list;
    hv_err rc = hv_api__can(r, NULL, "audit-log", "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc)
        return rc;
    return page(r, &list, 0);
}

static hv_err list_project(hv_req *r) {
    hv_project project;
    hv_list list;
    hv_err rc = hv_iam_project_get(&project, &r->ctx, r->params[0]);

    if (rc == HV_OK)
        rc = hv_api__can(r, &project, "log", "list");
    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc)
        return rc;
    return page(r, &list, project.id);
}

HV_API_HANDLER(list_all_handler, list_all);
HV_API_HANDLER(list_project_handler, list_project);

const hv_api__route hv_api__audit_routes[] = {
    {"GET", "/audit-logs", &list_all_handler},
    {"GET", "/projects/{project_name}/logs", &list_project_handler},
    {NULL, NULL, NULL},
};
