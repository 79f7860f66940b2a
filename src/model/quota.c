/* Quotas: usage is the sum of the sizes of the blobs linked to a project. */
#include "model/model_int.h"

#include <string.h>

static const char *sql_quota_ensure =
    "INSERT INTO quota (project_id, hard, used, creation_time, update_time)"
    " VALUES (?, -1, 0, ?, ?) ON CONFLICT (project_id) DO NOTHING";
static const char *sql_quota_charge = "UPDATE quota SET used = used + ?1, update_time = ?2"
                                      " WHERE project_id = ?3 AND (hard < 0 OR used + ?1 <= hard)";
static const char *sql_quota_get = "SELECT hard, used FROM quota WHERE project_id = ?";

hv_err hv_model_quota_charge(hv_ctx *ctx, int64_t project_id, int64_t size) {
    int64_t now = hv_now_ms(), changed = 0;
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__exec(NULL, ctx, sql_quota_ensure, "iii", project_id, now, now);

    if (rc == HV_OK)
        rc = hv_model__exec(&changed, ctx, sql_quota_charge, "iii", size, now, project_id);
    if (rc || changed > 0)
        return rc;
    rc = hv_model__query(&st, &row, ctx, sql_quota_get, "i", project_id);
    if (rc)
        return rc;
    int64_t hard = row ? hv_stmt_int(st, 0) : -1, used = row ? hv_stmt_int(st, 1) : 0;
    hv_stmt_reset(st);
    return HV_FAIL(ctx, HV_E_DENIED,
                   "Quota exceeded when processing the request of adding %lld of storage "
                   "resource, which when updated to current usage of %lld will exceed the "
                   "configured upper limit of %lld.",
                   (long long)size, (long long)used, (long long)hard);
}

static const char *sql_quota_refund =
    "UPDATE quota SET used = max(used - ?, 0), update_time = ? WHERE project_id = ?";

hv_err hv_model_quota_refund(hv_ctx *ctx, int64_t project_id, int64_t size) {
    return hv_model__exec(NULL, ctx, sql_quota_refund, "iii", size, hv_now_ms(), project_id);
}

/* Blobs of the artifact (its manifest, config and layers) that no other artifact of the
 * project references, and that are still linked to the project. */
static const char *sql_exclusive =
    "SELECT b.digest, b.size FROM blob b JOIN project_blob pb ON pb.blob_digest = b.digest"
    " AND pb.project_id = ?1"
    " WHERE b.digest IN (SELECT blob_digest FROM artifact_blob WHERE artifact_id = ?2"
    "                    UNION SELECT ?3)"
    " AND NOT EXISTS (SELECT 1 FROM artifact_blob ab JOIN artifact o ON o.id = ab.artifact_id"
    "                 JOIN repository r ON r.id = o.repository_id"
    "                 WHERE ab.blob_digest = b.digest AND o.id <> ?2 AND r.project_id = ?1)"
    " AND NOT EXISTS (SELECT 1 FROM artifact o JOIN repository r ON r.id = o.repository_id"
    "                 WHERE o.digest = b.digest AND o.id <> ?2 AND r.project_id = ?1)";

hv_err hv_model_artifact_exclusive_blobs(const char ***digests, int64_t **sizes, size_t *n,
                                         hv_ctx *ctx, int64_t project_id, const hv_artifact *a) {
    size_t cap = 16, count = 0;
    const char **d = hv_arena_alloc(ctx->arena, cap * sizeof(*d));
    int64_t *z = hv_arena_alloc(ctx->arena, cap * sizeof(*z));
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_exclusive, "iit", project_id, a->id, a->digest);

    while (rc == HV_OK && row) {
        if (count == cap) {
            const char **d2 = hv_arena_alloc(ctx->arena, 2 * cap * sizeof(*d2));
            int64_t *z2 = hv_arena_alloc(ctx->arena, 2 * cap * sizeof(*z2));
            memcpy(d2, d, cap * sizeof(*d2));
            memcpy(z2, z, cap * sizeof(*z2));
            d = d2;
            z = z2;
            cap *= 2;
        }
        d[count] = hv_model__text(ctx, st, 0);
        z[count++] = hv_stmt_int(st, 1);
        rc = hv_stmt_step(st, ctx, &row);
    }
    if (rc == HV_OK)
        hv_stmt_reset(st);
    *digests = d;
    *sizes = z;
    *n = count;
    return rc;
}

static const char *sql_immutable_rules =
    "SELECT rule FROM immutable_rule WHERE project_id = ? AND disabled = 0"
    " ORDER BY priority, id";

hv_err hv_model_immutable_rules(const char ***rules, size_t *n, hv_ctx *ctx, int64_t project_id) {
    return hv_model__strings(rules, n, ctx, sql_immutable_rules, "i", project_id);
}
