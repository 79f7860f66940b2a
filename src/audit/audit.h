/*
 * audit — the audit log as a subscriber of the event bus.  Every change that publishes an
 * event (a push, a pull, a deletion, a project or robot created or deleted) becomes one row of
 * audit_log: who (the event's operator), on what (e.g. "library/app:v1"), of which type
 * (artifact, tag, repository, project, robot), which operation (create, delete, pull) and
 * when (the event's occur_at).  Features never call the audit log; they publish, and it
 * listens.
 *
 * With the setting audit_log_forward_endpoint ("host:port"), each entry is also sent to that
 * syslog endpoint over TCP (RFC 5424 messages, octet-counting framing), from a queue and a
 * sender thread of its own (forward.c), so that no request or event waits on the network;
 * with skip_audit_log_database true as well, entries go only there, not to audit_log.
 */
#ifndef HV_AUDIT_H
#define HV_AUDIT_H

#include "base/base.h"
#include "model/model.h"

#include <stdbool.h>

/* Subscribes the audit log to the event bus.  Call once, before hv_events_start. */
void hv_audit_init(void);

/*
 * Records one event (its type and JSON payload) as an audit_log row on ctx->db.  Event types
 * the audit log does not know are ignored (HV_OK).  HV_E_BAD_REQUEST when the payload is not
 * a JSON object or lacks the field the type needs; database errors as they come.
 * The subscriber calls this and logs a failure; tests call it directly.
 */
hv_err hv_audit_record(hv_ctx *ctx, const char *type, const char *payload);

/* The page `list` of the audit log (of project_id; 0: of every project), newest first
 * unless sorted otherwise; rows in the arena.  q keys: username, resource, resource_type,
 * operation, op_time. */
hv_err hv_audit_list(hv_audit_log **out, size_t *n, int64_t *total, hv_ctx *ctx,
                     const hv_list *list, int64_t project_id);

/* ---- purging (purge.c): the job kind PURGE_AUDIT_LOG, run through src/jobs/ as Harbor's
 * executions.  A run deletes the rows older than its retention whose operation it includes,
 * the oldest first, in batches of HV_AUDIT_PURGE_BATCH rows (one statement each), so that
 * millions of rows stall no push; it checks the stop flag between batches, and a run cut
 * short is finished by the next.  A dry run counts them and deletes nothing.  The log says
 * how many rows were (or would be) purged. */

/* The executions' vendor_type and the job type. */
#define HV_AUDIT_PURGE_VENDOR "PURGE_AUDIT_LOG"
#define HV_AUDIT_PURGE_BATCH  10000

/* Harbor's purge parameters. */
typedef struct hv_audit_purge_params {
    int64_t retention_hour;         /* at least 1: rows older than this many hours go */
    const char *include_operations; /* comma-separated, of create, delete and pull; NULL: all */
    bool dry_run;
} hv_audit_purge_params;

/* Registers the job kind.  Before hv_jobs_start. */
void hv_audit_purge_init(void);
/* Starts a run now (trigger MANUAL).  HV_E_BAD_REQUEST for bad parameters, saying why;
 * HV_E_CONFLICT while another run is Pending or Running. */
hv_err hv_audit_purge_start(int64_t *out_id, hv_ctx *ctx, const hv_audit_purge_params *p);
/* Sets the schedule (type Hourly, Daily, Weekly or Custom with cron) or, with type None,
 * deletes it.  HV_E_BAD_REQUEST as hv_jobs_schedule_put or for bad parameters. */
hv_err hv_audit_purge_schedule(hv_ctx *ctx, const char *type, const char *cron,
                               const hv_audit_purge_params *p);

#endif
