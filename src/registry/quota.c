/*
 * Quota accounting.  A project is charged for a blob once, when the blob is first linked to
 * it, inside the transaction that links it; SQLite's single writer (and, later, a row lock
 * on PostgreSQL) makes check-and-charge atomic, so concurrent pushes can never overshoot.
 * Deleting an artifact unlinks and refunds the blobs that only it referenced; deleting a
 * blob through /v2 unlinks and refunds it.  So a project's usage is always the sum of the
 * sizes of the blobs linked to it.
 *
 * Events: quota.warning when a charge takes the usage to 85% of the hard limit or past it
 * (once, on the crossing), and quota.exceeded when a charge is refused; both carry project,
 * used and hard (Harbor's QUOTA_WARNING and QUOTA_EXCEED).
 */
#include "events/events.h"
#include "registry/registry_int.h"

/* Harbor warns at 85% of the limit. */
#define WARN_PERCENT 85

static const char *num(hv_ctx *ctx, int64_t v) {
    return hv_arena_printf(ctx->arena, "%lld", (long long)v);
}

/* used >= 85% of hard, computed without forming hard * 85 (which may not fit in 64 bits). */
static bool over_threshold(int64_t used, int64_t hard) {
    int64_t threshold = hard / 100 * WARN_PERCENT + (hard % 100 * WARN_PERCENT + 99) / 100;

    return used >= threshold;
}

/*
 * A refused charge: the caller rolls its transaction back, so an event written to the outbox
 * here would vanish with it.  The event goes to the volatile queue instead of a separate
 * transaction after the rollback: a refusal changes nothing (it is a notification, like a
 * pull), it needs no write of its own on a path that clients retry against a full project
 * while other pushes still need the writer lock, and it can be sent from here, where the
 * refusal is known, rather than from every caller.  The price is the volatile queue's:
 * a crash may lose the last few.
 */
static void exceeded(hv_ctx *ctx, int64_t project_id) {
    hv_error refusal = ctx->err; /* the DENIED message the client gets; keep it */
    hv_quota q;

    if (hv_model_quota_get_by_project(&q, ctx, project_id) == HV_OK)
        hv_events_publish_volatile_fields(ctx, "quota.exceeded", "project", q.project_name, "used",
                                          num(ctx, q.used), "hard", num(ctx, q.hard), "details",
                                          refusal.message, NULL);
    ctx->err = refusal;
}

hv_err hv_registry__link_blob(hv_ctx *ctx, int64_t project_id, const char *digest, int64_t size) {
    bool added = false;
    hv_quota q;
    hv_err rc = hv_model_blob_link(&added, ctx, project_id, digest);

    if (rc || !added)
        return rc;
    rc = hv_model_quota_charge(ctx, project_id, size);
    if (rc == HV_E_DENIED)
        exceeded(ctx, project_id);
    if (rc)
        return rc;
    rc = hv_model_quota_get_by_project(&q, ctx, project_id);
    if (rc == HV_OK && q.hard > 0 && size > 0 && over_threshold(q.used, q.hard) &&
        !over_threshold(q.used - size, q.hard))
        rc = hv_events_publish_fields(ctx, "quota.warning", "project", q.project_name, "used",
                                      num(ctx, q.used), "hard", num(ctx, q.hard), NULL);
    return rc;
}

hv_err hv_registry__unlink_blob(hv_ctx *ctx, int64_t project_id, const char *digest) {
    int64_t size = 0;
    hv_err rc = hv_model_blob_linked(&size, ctx, project_id, digest);

    if (rc == HV_OK)
        rc = hv_model_blob_unlink(ctx, project_id, digest);
    if (rc == HV_OK)
        rc = hv_model_quota_refund(ctx, project_id, size);
    return rc;
}

hv_err hv_registry__release_artifact(hv_ctx *ctx, int64_t project_id, const hv_artifact *a) {
    const char **digests;
    int64_t *sizes;
    size_t n;
    hv_err rc = hv_model_artifact_exclusive_blobs(&digests, &sizes, &n, ctx, project_id, a);

    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        rc = hv_model_blob_unlink(ctx, project_id, digests[i]);
        if (rc == HV_OK)
            rc = hv_model_quota_refund(ctx, project_id, sizes[i]);
    }
    return rc;
}
