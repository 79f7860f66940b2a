/*
 * Tag retention policies: one row per project (unique project_id), the policy as the
 * normalised JSON text that the retention service writes and evaluates.
 */
#include "model/model_int.h"

static const char *sql_insert =
    "INSERT INTO retention_policy (project_id, policy, creation_time, update_time)"
    " VALUES (?, ?, ?, ?) RETURNING id";
static const char *sql_exists = "SELECT id FROM retention_policy WHERE project_id = ?";

hv_err hv_model_retention_create(int64_t *out_id, hv_ctx *ctx, int64_t project_id,
                                 const char *policy) {
    int64_t now = hv_now_ms();
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_exists, "i", project_id);

    if (rc)
        return rc;
    hv_stmt_reset(st);
    if (row)
        return HV_FAIL(ctx, HV_E_CONFLICT, "the project has a retention policy");
    /* a policy inserted meanwhile by another connection fails the unique index: conflict */
    return hv_model__insert(out_id, ctx, sql_insert, "itii", project_id, policy, now, now);
}

static const char *sql_get = "SELECT id, project_id, policy, creation_time, update_time"
                             " FROM retention_policy WHERE id = ?";

hv_err hv_model_retention_get(hv_retention_policy *out, hv_ctx *ctx, int64_t id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_get, "i", id);

    if (rc)
        return rc;
    if (row) {
        out->id = hv_stmt_int(st, 0);
        out->project_id = hv_stmt_int(st, 1);
        out->policy = hv_model__text(ctx, st, 2);
        out->creation_time = hv_stmt_int(st, 3);
        out->update_time = hv_stmt_int(st, 4);
    }
    hv_stmt_reset(st);
    if (!row)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "retention policy %lld not found", (long long)id);
    return HV_OK;
}

static const char *sql_update =
    "UPDATE retention_policy SET policy = ?, update_time = ? WHERE id = ?";

hv_err hv_model_retention_update(hv_ctx *ctx, int64_t id, const char *policy) {
    int64_t changes;
    hv_err rc = hv_model__exec(&changes, ctx, sql_update, "tii", policy, hv_now_ms(), id);

    if (rc == HV_OK && changes == 0)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "retention policy %lld not found", (long long)id);
    return rc;
}

static const char *sql_delete = "DELETE FROM retention_policy WHERE id = ?";

hv_err hv_model_retention_delete(hv_ctx *ctx, int64_t id) {
    int64_t changes;
    hv_err rc = hv_model__exec(&changes, ctx, sql_delete, "i", id);

    if (rc == HV_OK && changes == 0)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "retention policy %lld not found", (long long)id);
    return rc;
}
