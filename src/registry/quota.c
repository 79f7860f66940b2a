/*
 * Quota accounting.  A project is charged for a blob once, when the blob is first linked to
 * it, inside the transaction that links it; SQLite's single writer (and, later, a row lock
 * on PostgreSQL) makes check-and-charge atomic, so concurrent pushes can never overshoot.
 * Deleting an artifact unlinks and refunds the blobs that only it referenced.
 */
#include "registry/registry_int.h"

hv_err hv_registry__link_blob(hv_ctx *ctx, int64_t project_id, const char *digest, int64_t size) {
    bool added = false;
    hv_err rc = hv_model_blob_link(&added, ctx, project_id, digest);

    if (rc == HV_OK && added)
        rc = hv_model_quota_charge(ctx, project_id, size);
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
