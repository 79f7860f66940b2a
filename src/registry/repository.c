/*
 * Deleting a repository: every artifact goes through hv_registry__artifact_remove, the path
 * of a single artifact deletion (immutable tags refuse, events are published, blobs the
 * project no longer needs are unlinked and refunded), all in one transaction, so either the
 * whole repository goes or nothing does.
 *
 * Order matters: an artifact that an index lists is refused while the index exists, and an
 * accessory goes with its subject.  So the artifacts are taken in batches of "roots" (no index
 * of the repository lists them, their subject is not in it), which removes indexes before
 * their children and subjects with their accessories; each batch frees the next.
 */
#include "db/db.h"
#include "events/events.h"
#include "registry/registry_int.h"

#define BATCH 128

static hv_err empty_repository(hv_ctx *ctx, const hv_target *t) {
    hv_artifact *roots;
    size_t n;
    int64_t left;
    hv_err rc;

    for (;;) {
        rc = hv_model_repository_roots(&roots, &n, ctx, t->repo.id, BATCH, false);
        if (rc == HV_OK && n == 0) {
            /* only accessories naming each other as subjects (cosign's tag scheme allows
             * it) can be left without a root: take one, its loop goes with it */
            rc = hv_model_repository_roots(&roots, &n, ctx, t->repo.id, 1, true);
        }
        if (rc || n == 0)
            break;
        for (size_t i = 0; rc == HV_OK && i < n; i++) {
            hv_artifact still;
            /* an earlier removal of the batch may have taken this one along */
            rc = hv_model_artifact_get(&still, ctx, t->repo.id, roots[i].digest);
            if (rc == HV_E_MANIFEST_UNKNOWN) {
                hv_error_clear(ctx);
                rc = HV_OK;
                continue;
            }
            if (rc == HV_OK)
                rc = hv_registry__artifact_remove(ctx, t, &still);
        }
        if (rc)
            return rc;
    }
    if (rc)
        return rc;
    rc = hv_model_repository_all_artifacts(&left, ctx, t->repo.id);
    if (rc == HV_OK && left > 0)
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "repository %s still holds %lld artifacts after emptying",
                     t->name, (long long)left);
    return rc;
}

hv_err hv_registry_repository_delete(hv_ctx *ctx, hv_registry *reg, const hv_project *p,
                                     const char *name) {
    hv_target t = {.name = name, .project = *p};
    hv_err rc;

    (void)reg;
    rc = hv_db_begin(ctx->db, ctx);
    if (rc)
        return rc;
    rc = hv_model_repository_get(&t.repo, ctx, name);
    if (rc == HV_E_NAME_UNKNOWN || (rc == HV_OK && t.repo.project_id != p->id))
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "repository %s not found", name);
    if (rc == HV_OK)
        rc = empty_repository(ctx, &t);
    if (rc == HV_OK)
        rc = hv_model_repository_delete(ctx, t.repo.id);
    if (rc == HV_OK)
        rc = hv_events_publish_fields(ctx, "repository.deleted", "repository", name, "project",
                                      p->name, NULL);
    if (rc) {
        hv_db_rollback(ctx->db);
        return rc;
    }
    rc = hv_db_commit(ctx->db, ctx);
    if (rc == HV_OK)
        hv_events_kick();
    return rc;
}

hv_err hv_registry_repository_list(hv_repository_detail **out, size_t *n, int64_t *total,
                                   hv_ctx *ctx, const hv_list *list, int64_t project_id,
                                   const hv_visibility *vis) {
    return hv_model_repository_list(out, n, total, ctx, list, project_id, vis);
}

hv_err hv_registry_repository_detail(hv_repository_detail *out, hv_ctx *ctx, const char *name) {
    return hv_model_repository_detail(out, ctx, name);
}

hv_err hv_registry_repository_set_description(hv_ctx *ctx, int64_t id, const char *description) {
    return hv_model_repository_set_description(ctx, id, description);
}

hv_err hv_registry_statistics(hv_statistics *out, hv_ctx *ctx, const hv_visibility *vis,
                              bool with_storage) {
    return hv_model_statistics(out, ctx, vis, with_storage);
}
