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

static const char *sql_prune =
    "DELETE FROM schedule WHERE vendor_type = ?"
    " AND NOT EXISTS (SELECT 1 FROM retention_policy p WHERE p.id = schedule.vendor_id)";

hv_err hv_model_retention_prune_schedules(hv_ctx *ctx, const char *vendor_type) {
    return hv_model__exec(NULL, ctx, sql_prune, "t", vendor_type);
}

/* ---- tasks */

static const char *sql_task_add =
    "INSERT INTO retention_task (job_id, execution_id, repository) VALUES (?, ?, ?)";

hv_err hv_model_retention_task_add(hv_ctx *ctx, int64_t job_id, int64_t execution_id,
                                   const char *repository) {
    return hv_model__exec(NULL, ctx, sql_task_add, "iit", job_id, execution_id, repository);
}

static const char *sql_task_set =
    "UPDATE retention_task SET total = ?, retained = ? WHERE job_id = ?";

hv_err hv_model_retention_task_set(hv_ctx *ctx, int64_t job_id, int64_t total, int64_t retained) {
    return hv_model__exec(NULL, ctx, sql_task_set, "iii", total, retained, job_id);
}

#define TASK_SELECT                                                                                \
    "SELECT t.job_id, t.execution_id, t.repository, j.state, t.total, t.retained,"                 \
    " coalesce(j.start_time, 0), coalesce(j.end_time, 0), j.update_time"                           \
    " FROM retention_task t JOIN job j ON j.id = t.job_id"

static void read_task(hv_retention_task *t, hv_ctx *ctx, hv_stmt *st) {
    t->job_id = hv_stmt_int(st, 0);
    t->execution_id = hv_stmt_int(st, 1);
    t->repository = hv_model__text(ctx, st, 2);
    t->state = hv_model__text(ctx, st, 3);
    t->total = hv_stmt_int(st, 4);
    t->retained = hv_stmt_int(st, 5);
    t->start_time = hv_stmt_int(st, 6);
    t->end_time = hv_stmt_int(st, 7);
    t->update_time = hv_stmt_int(st, 8);
}

static const hv_model__column task_columns[] = {
    {"id", "t.job_id", 'i'},
    {"execution_id", "t.execution_id", 'i'},
    {"repository", "t.repository", 't'},
    {"status", "j.state", 't'},
    {NULL, NULL, 0},
};

hv_err hv_model_retention_task_list(hv_retention_task **out, size_t *n, int64_t *total, hv_ctx *ctx,
                                    int64_t execution_id, const hv_list *list) {
    const char *id = hv_arena_printf(ctx->arena, "%lld", (long long)execution_id);
    hv_query_term fixed = {.key = "execution_id", .op = HV_Q_EXACT, .values = &id, .n_values = 1};
    size_t cap = 16, count = 0;
    hv_retention_task *v;
    hv_stmt *st = NULL;
    bool row;
    hv_err rc;

    *out = NULL;
    *n = 0;
    rc = hv_model__list(&st, total, ctx, TASK_SELECT, task_columns, "t.job_id", list, &fixed, 1);
    if (rc)
        goto out;
    v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_task(&v[count++], ctx, st);
    }
    if (rc == HV_OK) {
        *out = v;
        *n = count;
    }
out:
    hv_stmt_free(st);
    return rc;
}

static const char *sql_task_get = TASK_SELECT " WHERE t.job_id = ? AND t.execution_id = ?";

hv_err hv_model_retention_task_get(hv_retention_task *out, hv_ctx *ctx, int64_t execution_id,
                                   int64_t job_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_task_get, "ii", job_id, execution_id);

    if (rc)
        return rc;
    if (row)
        read_task(out, ctx, st);
    hv_stmt_reset(st);
    return row ? HV_OK
               : HV_FAIL(ctx, HV_E_NOT_FOUND, "task %lld of execution %lld not found",
                         (long long)job_id, (long long)execution_id);
}
