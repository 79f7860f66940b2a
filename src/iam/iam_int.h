/*
 * Shared between the files of the iam module only: the helpers every service uses.
 * Never included from outside src/iam/.
 */
#ifndef HV_IAM_INT_H
#define HV_IAM_INT_H

#include "db/db.h"
#include "events/events.h"
#include "iam/iam.h"

/* Runs fn(ctx, payload) in a write transaction on ctx->db: rolls back when it fails (its
 * error passed up unchanged), and wakes the event dispatcher after a commit so that the
 * events fn published are delivered. */
static inline hv_err hv_iam__in_transaction(hv_ctx *ctx, hv_err (*fn)(hv_ctx *ctx, void *payload),
                                            void *payload) {
    hv_err rc = hv_db_begin(ctx->db, ctx);

    if (rc)
        return rc;
    rc = fn(ctx, payload);
    if (rc) {
        hv_db_rollback(ctx->db);
        return rc;
    }
    rc = hv_db_commit(ctx->db, ctx);
    if (rc == HV_OK)
        hv_events_kick();
    return rc;
}

#endif
