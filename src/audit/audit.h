/*
 * audit — the audit log as a subscriber of the event bus.  Every change that publishes an
 * event (a push, a pull, a deletion, a project or robot created or deleted) becomes one row of
 * audit_log: who (the event's operator), on what (e.g. "library/app:v1"), of which type
 * (artifact, tag, repository, project, robot), which operation (create, delete, pull) and
 * when (the event's occur_at).  Features never call the audit log; they publish, and it
 * listens.
 */
#ifndef HV_AUDIT_H
#define HV_AUDIT_H

#include "base/base.h"
#include "model/model.h"

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

#endif
