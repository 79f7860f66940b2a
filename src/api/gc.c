/*
 * /system/gc: garbage collection runs (Harbor's GCHistory, from the executions of
 * GARBAGE_COLLECTION), as system_jobs.c serves them; here the parameters delete_untagged,
 * dry_run and workers.  Permissions: garbage-collection.
 */
#include "gc/gc.h"
#include "api/api_int.h"

#include <string.h>

static hv_err kick(int64_t *id, hv_req *r, const char *type, const char *cron, json_t *params) {
    hv_gc_params p = {.workers = 1};
    hv_err rc = HV_OK;

    if (params)
        rc = hv_api__bool(&p.delete_untagged, r, params, "delete_untagged");
    if (rc == HV_OK && params)
        rc = hv_api__bool(&p.dry_run, r, params, "dry_run");
    if (rc == HV_OK && params)
        rc = hv_api__int(&p.workers, r, params, "workers");
    if (rc == HV_OK && type && strcmp(type, "Manual") == 0)
        return hv_gc_start(id, &r->ctx, &p);
    return rc ? rc : hv_gc_schedule(&r->ctx, type, cron, &p);
}

static const hv_api__system_job gc = {.vendor = HV_GC_VENDOR,
                                      .resource = "garbage-collection",
                                      .path = "/system/gc",
                                      .id_name = "the gc id",
                                      .kick = kick};

HV_API__SYSTEM_JOB_ROUTES(hv_api__gc_routes, gc, "/system/gc");
