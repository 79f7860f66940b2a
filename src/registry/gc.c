/*
 * The registry's part of garbage collection: deleting an untagged artifact through the same
 * path as any deletion (its events, its quota refunds, its accessories and untagged
 * children), and removing a project's orphan link to a blob with its refund.  Each is one
 * transaction that checks again, inside it, what the collector saw outside it.
 */
#include "events/events.h"
#include "registry/registry.h"
#include "registry/registry_int.h"

typedef struct untagged_tx {
    const hv_gc_artifact *a;
    bool *deleted;
} untagged_tx;

static hv_err delete_untagged(hv_ctx *ctx, void *payload) {
    untagged_tx *u = payload;
    hv_target t = {.name = u->a->repository,
                   .repo = {.id = u->a->repository_id,
                            .project_id = u->a->project_id,
                            .name = u->a->repository}};
    hv_artifact a, subject;
    const char **tags;
    size_t n_tags = 0;
    int64_t parents = 0;
    hv_err rc = hv_model_quota_lock(ctx, u->a->project_id);

    *u->deleted = false;
    if (rc == HV_OK)
        rc = hv_model_project_get_by_id(&t.project, ctx, u->a->project_id);
    if (rc == HV_OK)
        rc = hv_model_artifact_get(&a, ctx, u->a->repository_id, u->a->digest);
    if (rc == HV_OK)
        rc = hv_model_artifact_tags(&tags, &n_tags, ctx, a.id);
    if (rc == HV_OK)
        rc = hv_model_artifact_parents(&parents, ctx, &a);
    if (rc == HV_OK && a.subject_digest &&
        hv_model_artifact_get(&subject, ctx, a.repository_id, a.subject_digest) == HV_OK)
        return HV_OK; /* an accessory of an artifact that is there */
    if (rc == HV_E_MANIFEST_UNKNOWN || rc == HV_E_NOT_FOUND) {
        hv_error_clear(ctx); /* deleted meanwhile */
        return HV_OK;
    }
    hv_error_clear(ctx);
    if (rc || n_tags > 0 || parents > 0)
        return rc;
    rc = hv_registry__artifact_remove(ctx, &t, &a);
    *u->deleted = rc == HV_OK;
    return rc;
}

hv_err hv_registry_gc_delete_untagged(bool *deleted, hv_ctx *ctx, const hv_gc_artifact *a) {
    untagged_tx u = {a, deleted};

    return hv_events_transaction(ctx, delete_untagged, &u);
}

typedef struct orphan_tx {
    const hv_gc_link *l;
    int64_t cutoff;
    bool *done;
} orphan_tx;

/* The link is locked (and removed) before the project's quota row is: a manifest push
 * share-locks the links it names before it takes that row, so the two wait in one order. */
static hv_err unlink_orphan(hv_ctx *ctx, void *payload) {
    orphan_tx *o = payload;
    int64_t size = 0;
    hv_err rc = hv_model_gc_unlink_orphan(o->done, ctx, o->l->project_id, o->l->digest, o->cutoff);

    if (rc == HV_OK && *o->done) /* the blob outlives its links: the blob deletion needs none */
        rc = hv_model_blob_size(&size, ctx, o->l->digest);
    if (rc == HV_OK && *o->done)
        rc = hv_model_quota_lock(ctx, o->l->project_id);
    if (rc == HV_OK && *o->done)
        rc = hv_model_quota_refund(ctx, o->l->project_id, size);
    return rc;
}

hv_err hv_registry_gc_unlink_orphan(bool *done, hv_ctx *ctx, const hv_gc_link *l, int64_t cutoff) {
    orphan_tx o = {l, cutoff, done};

    *done = false;
    return hv_events_transaction(ctx, unlink_orphan, &o);
}
