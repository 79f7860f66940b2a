/*
 * /system/purgeaudit: audit-log purge runs (Harbor's ExecHistory, from the executions of
 * PURGE_AUDIT_LOG), as system_jobs.c serves them; here the parameters audit_retention_hour,
 * include_operations and dry_run.  Permissions: purge-audit.
 */
#include "api/api_int.h"
#include "audit/audit.h"

#include <string.h>

static hv_err kick(int64_t *id, hv_req *r, const char *type, const char *cron, json_t *params) {
    hv_audit_purge_params p = {0};
    hv_err rc = HV_OK;

    if (params)
        rc = hv_api__int(&p.retention_hour, r, params, "audit_retention_hour");
    if (rc == HV_OK && params)
        rc = hv_api__str(&p.include_operations, r, params, "include_operations");
    if (rc == HV_OK && params)
        rc = hv_api__bool(&p.dry_run, r, params, "dry_run");
    if (rc == HV_OK && type && strcmp(type, "Manual") == 0)
        return hv_audit_purge_start(id, &r->ctx, &p);
    return rc ? rc : hv_audit_purge_schedule(&r->ctx, type, cron, &p);
}

static const hv_api__system_job purge = {.vendor = HV_AUDIT_PURGE_VENDOR,
                                         .resource = "purge-audit",
                                         .path = "/system/purgeaudit",
                                         .id_name = "the purge id",
                                         .kick = kick};

HV_API__SYSTEM_JOB_ROUTES(hv_api__purgeaudit_routes, purge, "/system/purgeaudit");
