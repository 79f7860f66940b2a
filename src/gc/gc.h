/*
 * gc — online garbage collection, a job kind (GARBAGE_COLLECTION) run through src/jobs/ as
 * Harbor's executions, while pushes and pulls go on.
 *
 * The database decides what is garbage (src/model/gc.c says exactly what): with
 * delete_untagged, untagged artifacts are deleted first, through the registry's deletion path
 * (events, quota refunds); then blobs linked to a project that no artifact of it uses are
 * unlinked (refunding the quota), and blobs nothing links or references are deleted, each
 * only once gc_grace_period has passed since it was last uploaded or linked (a push uploads
 * its blobs before the manifest that names them) and never in a project with an upload open.
 * A deleted blob's row becomes a tombstone in the same transaction, and its bytes are
 * removed from the store after that commit; so a crash leaves no row naming missing bytes,
 * and the next run removes what the tombstones still name.  A dry run deletes nothing and
 * reports what a run would delete now.
 */
#ifndef HV_GC_H
#define HV_GC_H

#include "base/base.h"
#include "blob/blob.h"

#include <stdbool.h>
#include <stdint.h>

/* The executions' vendor_type and the job type. */
#define HV_GC_VENDOR "GARBAGE_COLLECTION"

typedef struct hv_gc_config {
    hv_blob_store *blobs; /* borrowed; outlives the jobs */
    int64_t grace_ms;
} hv_gc_config;

/* Registers the job kind; cfg is copied.  Before hv_jobs_start. */
void hv_gc_init(const hv_gc_config *cfg);

/* The most workers a run takes, as Harbor checks. */
#define HV_GC_WORKERS_MAX 5

/* Harbor's GC parameters. */
typedef struct hv_gc_params {
    bool delete_untagged;
    bool dry_run;
    int64_t workers; /* 1..HV_GC_WORKERS_MAX: threads removing blob files or objects at once */
} hv_gc_params;

/* Starts a run now (trigger MANUAL).  HV_E_BAD_REQUEST for workers outside 1..5;
 * HV_E_CONFLICT while another run is Pending or Running. */
hv_err hv_gc_start(int64_t *out_id, hv_ctx *ctx, const hv_gc_params *p);
/* Sets the schedule (type Hourly, Daily, Weekly or Custom with cron) or, with type None,
 * deletes it.  HV_E_BAD_REQUEST as hv_jobs_schedule_put or for workers. */
hv_err hv_gc_schedule(hv_ctx *ctx, const char *type, const char *cron, const hv_gc_params *p);

#endif
