/*
 * Quota accounting.  A project is charged for a blob once, when the blob is first linked to
 * it, inside the transaction that links it; SQLite's single writer (and on PostgreSQL the
 * project's quota row, locked first by every link, unlink and release: hv_model_quota_lock)
 * makes check-and-charge atomic, so concurrent pushes can never overshoot.
 * Deleting an artifact unlinks and refunds the blobs that only it referenced; deleting a
 * blob through /v2 unlinks and refunds it.  So a project's usage is always the sum of the
 * sizes of the blobs linked to it.
 *
 * Events: quota.warning when a charge takes the usage to 85% of the hard limit or past it
 * (once, on the crossing), and quota.exceeded when a charge is refused; both carry project,
 * used and hard (Harbor's QUOTA_WARNING and QUOTA_EXCEED).
 *
 * The services of /quotas live here too: listing with Harbor's reference filters, reading,
 * and changing a hard limit, checked as Harbor's project quota driver checks it.  They only
 * read the usage; it changes through the links above alone.
 */
#include "db/db.h"
#include "events/events.h"
#include "registry/registry_int.h"

#include <string.h>

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
    hv_err rc = hv_model_quota_lock(ctx, project_id);

    if (rc == HV_OK)
        rc = hv_model_blob_link(&added, ctx, project_id, digest);
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
    hv_err rc = hv_model_quota_lock(ctx, project_id);

    if (rc == HV_OK)
        rc = hv_model_blob_linked(&size, ctx, project_id, digest);

    if (rc == HV_OK)
        rc = hv_model_blob_unlink(ctx, project_id, digest);
    if (rc == HV_OK)
        rc = hv_model_quota_refund(ctx, project_id, size);
    return rc;
}

hv_err hv_registry__release_artifact(hv_ctx *ctx, int64_t project_id, const hv_artifact *a) {
    const char **digests;
    int64_t *sizes;
    size_t n = 0;
    hv_err rc = hv_model_quota_lock(ctx, project_id);

    /* after the lock: a push into the project that shares these blobs has committed, and
     * the query (a new snapshot at READ COMMITTED) sees its references */
    if (rc == HV_OK)
        rc = hv_model_artifact_exclusive_blobs(&digests, &sizes, &n, ctx, project_id, a);

    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        rc = hv_model_blob_unlink(ctx, project_id, digests[i]);
        if (rc == HV_OK)
            rc = hv_model_quota_refund(ctx, project_id, sizes[i]);
    }
    return rc;
}

/* ---------------------------------------------------------------- /quotas services */

/* An exact term key=value on the quota list's keys (in ctx->arena). */
static void exact_term(hv_query_term *t, hv_ctx *ctx, const char *key, const char *value) {
    t->key = key;
    t->op = HV_Q_EXACT;
    t->values = hv_arena_alloc(ctx->arena, sizeof(*t->values));
    t->values[0] = value;
    t->n_values = 1;
}

hv_err hv_registry_quota_list(hv_quota **out, size_t *n, int64_t *total, hv_ctx *ctx,
                              const hv_list *list, const char *reference,
                              const char *reference_id) {
    hv_query_term fixed;
    size_t n_fixed = 0;
    uint64_t id;

    *out = NULL;
    *n = 0;
    *total = 0;
    /* like Harbor, a reference other than "project" or an id that is not one matches
     * nothing, before the list's own q and sort are looked at */
    if (reference && *reference && strcmp(reference, "project") != 0)
        return HV_OK;
    if (reference_id && *reference_id) {
        if (!hv_parse_u64(reference_id, strlen(reference_id), &id) || id > INT64_MAX)
            return HV_OK;
        exact_term(&fixed, ctx, "reference_id", reference_id);
        n_fixed = 1;
    }
    return hv_model_quota_list(out, n, total, ctx, list, &fixed, n_fixed);
}

hv_err hv_registry_quota_get(hv_quota *out, hv_ctx *ctx, int64_t id) {
    return hv_model_quota_get(out, ctx, id);
}

/* The storage limit of a non-empty set of limits. */
static hv_err hard_storage(int64_t *out, hv_ctx *ctx, const hv_registry_quota_input *in) {
    bool found = false;

    for (size_t i = 0; i < in->n_hard; i++) {
        const hv_registry_quota_limit *l = &in->hard[i];

        if (strcmp(l->resource, "storage") != 0)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "resource %s not support: only storage has a quota", l->resource);
        if (!l->is_integer || (l->value <= 0 && l->value != -1))
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "invalid value for resource storage: use -1 (unlimited) or a "
                           "positive number of bytes");
        *out = l->value;
        found = true;
    }
    if (!found)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "resource storage not found");
    return HV_OK;
}

struct hard_limit {
    int64_t id, hard;
};

static hv_err set_hard(hv_ctx *ctx, void *payload) {
    const struct hard_limit *h = payload;

    return hv_model_quota_set_hard(ctx, h->id, h->hard);
}

hv_err hv_registry_quota_update(hv_ctx *ctx, int64_t id, const hv_registry_quota_input *in) {
    hv_quota q;
    int64_t hard = 0;
    hv_err rc;

    /* in Harbor's order: a body without limits (400), then the quota (404), then the limits */
    if (in->n_hard == 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "hard required in body: {\"hard\": {\"storage\": <bytes, or -1>}}");
    rc = hv_model_quota_get(&q, ctx, id);
    if (rc == HV_OK)
        rc = hard_storage(&hard, ctx, in);
    if (rc == HV_OK) {
        struct hard_limit h = {id, hard};
        rc = hv_events_transaction(ctx, set_hard, &h);
    }
    return rc;
}
