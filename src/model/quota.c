/*
 * Quotas: a project's storage limit (hard, -1 unlimited) and usage (used), the sum of the
 * sizes of the blobs linked to it, each counted once.  Every project has a row: migration 004
 * adds it when the project is inserted, and charge still creates a missing one (unlimited).
 *
 * charge is a conditional UPDATE (the limit is checked by the same statement that adds), so
 * inside the caller's write transaction check-and-charge is one atomic step: SQLite's single
 * writer (BEGIN IMMEDIATE) serialises concurrent charges, and on PostgreSQL the UPDATE's row
 * lock does the same (at READ COMMITTED a waiting UPDATE checks its WHERE again on the row
 * the other committed).  What a charge or refund decides from reads before it (is the blob
 * linked already, which blobs only this artifact holds) is made safe by hv_model_quota_lock,
 * taken first: the same row, locked for the whole transaction.
 */
#include "model/model_int.h"

#include <string.h>

static const char *sql_quota_ensure =
    "INSERT INTO quota (project_id, hard, used, creation_time, update_time)"
    " VALUES (?, -1, 0, ?, ?) ON CONFLICT (project_id) DO NOTHING";
/* Adding nothing (an empty blob) is always allowed, even over a lowered limit, as in Harbor. */
static const char *sql_quota_charge =
    "UPDATE quota SET used = used + ?1, update_time = ?2"
    " WHERE project_id = ?3 AND (hard < 0 OR ?1 <= 0 OR used + ?1 <= hard)";
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
    "UPDATE quota SET used = CASE WHEN used > ?1 THEN used - ?1 ELSE 0 END, update_time = ?2"
    " WHERE project_id = ?3";

hv_err hv_model_quota_refund(hv_ctx *ctx, int64_t project_id, int64_t size) {
    return hv_model__exec(NULL, ctx, sql_quota_refund, "iii", size, hv_now_ms(), project_id);
}

static const char *sql_quota_lock = "SELECT used FROM quota WHERE project_id = ? FOR UPDATE";

hv_err hv_model_quota_lock(hv_ctx *ctx, int64_t project_id) {
    int64_t now = hv_now_ms();
    hv_stmt *st;
    bool row;
    hv_err rc;

    if (hv_db_engine_of(ctx->db) != HV_DB_POSTGRES)
        return HV_OK;
    rc = hv_model__exec(NULL, ctx, sql_quota_ensure, "iii", project_id, now, now);
    if (rc == HV_OK)
        rc = hv_model__query(&st, &row, ctx, sql_quota_lock, "i", project_id);
    if (rc == HV_OK)
        hv_stmt_reset(st);
    return rc;
}

static const char *sql_quota_create =
    "INSERT INTO quota (project_id, hard, used, creation_time, update_time)"
    " VALUES (?1, ?2, 0, ?3, ?3)"
    " ON CONFLICT (project_id) DO UPDATE SET hard = excluded.hard, update_time = ?3";

hv_err hv_model_quota_create(hv_ctx *ctx, int64_t project_id, int64_t hard) {
    return hv_model__exec(NULL, ctx, sql_quota_create, "iii", project_id, hard, hv_now_ms());
}

#define QUOTA_SELECT                                                                               \
    "SELECT q.id, q.project_id, p.name, coalesce(u.username, ''), q.hard, q.used,"                 \
    " q.creation_time, q.update_time FROM quota q JOIN project p ON p.id = q.project_id"           \
    " LEFT JOIN users u ON u.id = p.owner_id"

static void read_quota(hv_quota *out, hv_ctx *ctx, hv_stmt *st) {
    out->id = hv_stmt_int(st, 0);
    out->project_id = hv_stmt_int(st, 1);
    out->project_name = hv_model__text(ctx, st, 2);
    out->owner_name = hv_model__text(ctx, st, 3);
    out->hard = hv_stmt_int(st, 4);
    out->used = hv_stmt_int(st, 5);
    out->creation_time = hv_stmt_int(st, 6);
    out->update_time = hv_stmt_int(st, 7);
}

static hv_err get_one(hv_quota *out, hv_ctx *ctx, const char *sql, int64_t key, const char *what) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql, "i", key);

    if (rc)
        return rc;
    if (row)
        read_quota(out, ctx, st);
    hv_stmt_reset(st);
    return row ? HV_OK
               : HV_FAIL(ctx, HV_E_NOT_FOUND, "quota %s%lld not found", what, (long long)key);
}

static const char *sql_quota_by_id = QUOTA_SELECT " WHERE q.id = ?";
static const char *sql_quota_by_project = QUOTA_SELECT " WHERE q.project_id = ?";

hv_err hv_model_quota_get(hv_quota *out, hv_ctx *ctx, int64_t id) {
    return get_one(out, ctx, sql_quota_by_id, id, "");
}

hv_err hv_model_quota_get_by_project(hv_quota *out, hv_ctx *ctx, int64_t project_id) {
    return get_one(out, ctx, sql_quota_by_project, project_id, "of project ");
}

/* Harbor sorts an unlimited hard limit as the largest one. */
static const hv_model__column quota_columns[] = {
    {"id", "q.id", 'i'},
    {"reference_id", "q.project_id", 'i'},
    {"hard.storage", "(CASE WHEN q.hard < 0 THEN 9223372036854775807 ELSE q.hard END)", 'i'},
    {"used.storage", "q.used", 'i'},
    {"creation_time", "q.creation_time", 'm'},
    {"update_time", "q.update_time", 'm'},
    {NULL, NULL, 0},
};

hv_err hv_model_quota_list(hv_quota **out, size_t *n, int64_t *total, hv_ctx *ctx,
                           const hv_list *list, const hv_query_term *fixed, size_t n_fixed) {
    hv_stmt *st = NULL;
    hv_quota *v;
    size_t cap = 16, count = 0;
    bool row;
    hv_err rc;

    *out = NULL;
    *n = 0;
    rc = hv_model__list(&st, total, ctx, QUOTA_SELECT, quota_columns,
                        "q.creation_time DESC, q.id DESC", list, fixed, n_fixed);
    if (rc)
        goto out;
    v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_quota(&v[count++], ctx, st);
    }
    if (rc == HV_OK) {
        *out = v;
        *n = count;
    }
out:
    hv_stmt_free(st);
    return rc;
}

static const char *sql_quota_set_hard = "UPDATE quota SET hard = ?, update_time = ? WHERE id = ?";

hv_err hv_model_quota_set_hard(hv_ctx *ctx, int64_t id, int64_t hard) {
    int64_t changed = 0;
    hv_err rc = hv_model__exec(&changed, ctx, sql_quota_set_hard, "iii", hard, hv_now_ms(), id);

    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "quota %lld not found", (long long)id);
    return rc;
}

static const char *sql_quota_linked_size =
    "SELECT coalesce(sum(b.size), 0) FROM project_blob pb JOIN blob b ON b.digest = pb.blob_digest"
    " WHERE pb.project_id = ?";

hv_err hv_model_quota_linked_size(int64_t *out, hv_ctx *ctx, int64_t project_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_quota_linked_size, "i", project_id);

    if (rc)
        return rc;
    *out = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    return HV_OK;
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
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_exclusive, "iit", project_id, a->id, a->digest);

    if (rc)
        return rc;
    return hv_model__digest_sizes(digests, sizes, n, ctx, st, row);
}
