/*
 * Harbor's executions (one run of a feature, whose tasks are the jobs naming it) and the
 * cron schedules that start them.  An execution's status is kept in its row, set from its
 * tasks' states whenever one of them changes (hv_model_execution_refresh, in the transaction
 * of that change); its metrics are counted from the tasks when read.
 */
#include "model/model_int.h"

#include <string.h>

static const char *sql_execution_add =
    "INSERT INTO execution (vendor_type, vendor_id, trigger_type, extra_attrs, alone, start_time,"
    " update_time) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id";

hv_err hv_model_execution_add(int64_t *out_id, hv_ctx *ctx, const char *vendor_type,
                              int64_t vendor_id, const char *trigger, const char *extra_attrs,
                              bool alone) {
    int64_t now = hv_now_ms();
    hv_err rc =
        hv_model__insert(out_id, ctx, sql_execution_add, "tittiii", vendor_type, vendor_id, trigger,
                         extra_attrs ? extra_attrs : "{}", (int64_t)alone, now, now);

    if (rc == HV_E_CONFLICT) { /* the index execution_alone */
        hv_error_clear(ctx);
        rc = HV_FAIL(ctx, HV_E_CONFLICT, "an execution of %s %lld is already Pending or Running",
                     vendor_type, (long long)vendor_id);
    }
    return rc;
}

static const char *sql_execution_busy =
    "SELECT 1 FROM execution WHERE vendor_type = ? AND vendor_id = ? AND alone = 1"
    " AND status IN ('Pending', 'Running')";

hv_err hv_model_execution_busy(bool *out, hv_ctx *ctx, const char *vendor_type, int64_t vendor_id) {
    hv_stmt *st;
    hv_err rc = hv_model__query(&st, out, ctx, sql_execution_busy, "ti", vendor_type, vendor_id);

    if (rc == HV_OK)
        hv_stmt_reset(st);
    return rc;
}

/* "from" in lower case: hv_model__list counts the rows from the first " FROM " on */
#define COUNT_TASKS(cond) "(SELECT count(*) from job j WHERE j.execution_id = e.id" cond ")"
#define EXECUTION_SELECT                                                                                                                             \
    "SELECT e.id, e.vendor_type, e.vendor_id, e.trigger_type, e.status, e.status_message,"                                                           \
    " e.extra_attrs, e.start_time, coalesce(e.end_time, 0), e.update_time, " COUNT_TASKS(                                                            \
        "") ", " COUNT_TASKS(" AND j.state = 'Pending'") ", " COUNT_TASKS(" AND j.state = "                                                          \
                                                                          "'Running'") ","                                                           \
                                                                                       " " COUNT_TASKS(" AND j.state = 'Success'") ", " COUNT_TASKS( \
                                                                                           " AND "                                                   \
                                                                                           "j."                                                      \
                                                                                           "state"                                                   \
                                                                                           " = "                                                     \
                                                                                           "'Erro"                                                   \
                                                                                           "r'") ", " COUNT_TASKS(" AND j.state = 'Stopped'") " FROM execution e"

static void read_execution(hv_execution *x, hv_ctx *ctx, hv_stmt *st) {
    x->id = hv_stmt_int(st, 0);
    x->vendor_type = hv_model__text(ctx, st, 1);
    x->vendor_id = hv_stmt_int(st, 2);
    x->trigger = hv_model__text(ctx, st, 3);
    x->status = hv_model__text(ctx, st, 4);
    x->status_message = hv_model__text(ctx, st, 5);
    x->extra_attrs = hv_model__text(ctx, st, 6);
    x->start_time = hv_stmt_int(st, 7);
    x->end_time = hv_stmt_int(st, 8);
    x->update_time = hv_stmt_int(st, 9);
    x->tasks = hv_stmt_int(st, 10);
    x->pending = hv_stmt_int(st, 11);
    x->running = hv_stmt_int(st, 12);
    x->succeeded = hv_stmt_int(st, 13);
    x->failed = hv_stmt_int(st, 14);
    x->stopped = hv_stmt_int(st, 15);
}

static const char *sql_execution_get = EXECUTION_SELECT " WHERE e.id = ?";

hv_err hv_model_execution_get(hv_execution *out, hv_ctx *ctx, int64_t id, const char *vendor_type) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_execution_get, "i", id);

    if (rc)
        return rc;
    if (row)
        read_execution(out, ctx, st);
    hv_stmt_reset(st);
    if (!row || (vendor_type && strcmp(out->vendor_type, vendor_type) != 0))
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "execution %lld not found", (long long)id);
    return HV_OK;
}

static const hv_model__column execution_columns[] = {
    {"id", "e.id", 'i'},
    {"vendor_type", "e.vendor_type", 't'},
    {"vendor_id", "e.vendor_id", 'i'},
    {"status", "e.status", 't'},
    {"trigger", "e.trigger_type", 't'},
    {"start_time", "e.start_time", 'm'},
    {"creation_time", "e.start_time", 'm'},
    {"end_time", "coalesce(e.end_time, 0)", 'm'},
    {"update_time", "e.update_time", 'm'},
    {NULL, NULL, 0},
};

hv_err hv_model_execution_list(hv_execution **out, size_t *n, int64_t *total, hv_ctx *ctx,
                               const char *vendor_type, const hv_list *list) {
    hv_query_term fixed = {
        .key = "vendor_type", .op = HV_Q_EXACT, .values = &vendor_type, .n_values = 1};
    size_t cap = 16, count = 0;
    hv_execution *v;
    hv_stmt *st = NULL;
    bool row;
    hv_err rc;

    *out = NULL;
    *n = 0;
    rc = hv_model__list(&st, total, ctx, EXECUTION_SELECT, execution_columns, "e.id DESC", list,
                        &fixed, 1);
    if (rc)
        goto out;
    v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_execution(&v[count++], ctx, st);
    }
    if (rc == HV_OK) {
        *out = v;
        *n = count;
    }
out:
    hv_stmt_free(st);
    return rc;
}

static const char *sql_last_error =
    "SELECT status_message FROM job WHERE execution_id = ? AND state = 'Error'"
    " ORDER BY end_time DESC, id DESC LIMIT 1";
static const char *sql_execution_set =
    "UPDATE execution SET status = ?, status_message = ?, end_time = ?, update_time = ?"
    " WHERE id = ?";
static const char *sql_execution_set_running =
    "UPDATE execution SET status = ?, update_time = ? WHERE id = ? AND status <> ?";

hv_err hv_model_execution_refresh(hv_ctx *ctx, int64_t id) {
    hv_execution x;
    const char *status, *message = "";
    hv_err rc = hv_model_execution_get(&x, ctx, id, NULL);
    int64_t now = hv_now_ms();

    if (rc)
        return rc;
    if (x.pending + x.running > 0) {
        bool started = x.running > 0 || x.pending < x.tasks;
        status = started ? "Running" : "Pending";
        return hv_model__exec(NULL, ctx, sql_execution_set_running, "tiit", status, now, id,
                              status);
    }
    if (x.failed > 0) {
        const char **msgs;
        size_t n;
        status = "Error";
        rc = hv_model__strings(&msgs, &n, ctx, sql_last_error, "i", id);
        if (rc)
            return rc;
        if (n > 0)
            message = msgs[0];
    } else if (x.stopped > 0) {
        status = "Stopped";
    } else {
        status = "Success";
    }
    return hv_model__exec(NULL, ctx, sql_execution_set, "ttiii", status, message,
                          x.end_time ? x.end_time : now, now, id);
}

/* ---- schedules */

#define SCHEDULE_COLUMNS                                                                           \
    "id, vendor_type, vendor_id, cron_type, cron, params, next_fire_at, creation_time,"            \
    " update_time"

static void read_schedule(hv_schedule *s, hv_ctx *ctx, hv_stmt *st) {
    s->id = hv_stmt_int(st, 0);
    s->vendor_type = hv_model__text(ctx, st, 1);
    s->vendor_id = hv_stmt_int(st, 2);
    s->cron_type = hv_model__text(ctx, st, 3);
    s->cron = hv_model__text(ctx, st, 4);
    s->params = hv_model__text(ctx, st, 5);
    s->next_fire_at = hv_stmt_int(st, 6);
    s->creation_time = hv_stmt_int(st, 7);
    s->update_time = hv_stmt_int(st, 8);
}

static const char *sql_schedule_put =
    "INSERT INTO schedule (vendor_type, vendor_id, cron_type, cron, params, next_fire_at,"
    " creation_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (vendor_type, vendor_id) DO UPDATE SET cron_type = excluded.cron_type,"
    " cron = excluded.cron, params = excluded.params, next_fire_at = excluded.next_fire_at,"
    " update_time = excluded.update_time";

hv_err hv_model_schedule_put(hv_ctx *ctx, const hv_schedule *s) {
    int64_t now = hv_now_ms();

    return hv_model__exec(NULL, ctx, sql_schedule_put, "titttiii", s->vendor_type, s->vendor_id,
                          s->cron_type, s->cron, s->params, s->next_fire_at, now, now);
}

static const char *sql_schedule_get =
    "SELECT " SCHEDULE_COLUMNS " FROM schedule WHERE vendor_type = ? AND vendor_id = ?";

hv_err hv_model_schedule_get(hv_schedule *out, hv_ctx *ctx, const char *vendor_type,
                             int64_t vendor_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_schedule_get, "ti", vendor_type, vendor_id);

    if (rc)
        return rc;
    if (row)
        read_schedule(out, ctx, st);
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "no %s schedule", vendor_type);
}

static const char *sql_schedule_delete =
    "DELETE FROM schedule WHERE vendor_type = ? AND vendor_id = ?";

hv_err hv_model_schedule_delete(bool *changed, hv_ctx *ctx, const char *vendor_type,
                                int64_t vendor_id) {
    int64_t n = 0;
    hv_err rc = hv_model__exec(&n, ctx, sql_schedule_delete, "ti", vendor_type, vendor_id);

    *changed = n > 0;
    return rc;
}

static const hv_model__column schedule_columns[] = {
    {"id", "id", 'i'},     {"vendor_type", "vendor_type", 't'}, {"vendor_id", "vendor_id", 'i'},
    {"cron", "cron", 't'}, {"update_time", "update_time", 'm'}, {NULL, NULL, 0},
};

/* Reads every row of st into *out (arena). */
static hv_err read_schedules(hv_schedule **out, size_t *n, hv_ctx *ctx, hv_stmt *st, bool row) {
    size_t cap = 8, count = 0;
    hv_schedule *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_err rc = HV_OK;

    while (row) {
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_schedule(&v[count++], ctx, st);
        rc = hv_stmt_step(st, ctx, &row);
        if (rc)
            break;
    }
    *out = v;
    *n = count;
    return rc;
}

hv_err hv_model_schedule_list(hv_schedule **out, size_t *n, int64_t *total, hv_ctx *ctx,
                              const hv_list *list) {
    hv_stmt *st = NULL;
    bool row = false;
    hv_err rc = hv_model__list(&st, total, ctx, "SELECT " SCHEDULE_COLUMNS " FROM schedule",
                               schedule_columns, "id", list, NULL, 0);

    if (rc == HV_OK)
        rc = hv_stmt_step(st, ctx, &row);
    if (rc == HV_OK)
        rc = read_schedules(out, n, ctx, st, row);
    hv_stmt_free(st);
    return rc;
}

static const char *sql_schedule_due =
    "SELECT " SCHEDULE_COLUMNS " FROM schedule WHERE next_fire_at <= ? ORDER BY next_fire_at, id";

hv_err hv_model_schedule_due(hv_schedule **out, size_t *n, hv_ctx *ctx, int64_t now) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_schedule_due, "i", now);

    if (rc)
        return rc;
    rc = read_schedules(out, n, ctx, st, row);
    hv_stmt_reset(st);
    return rc;
}

static const char *sql_schedule_advance =
    "UPDATE schedule SET next_fire_at = ? WHERE id = ? AND next_fire_at = ?";

hv_err hv_model_schedule_advance(bool *won, hv_ctx *ctx, int64_t id, int64_t from, int64_t to) {
    int64_t n = 0;
    hv_err rc = hv_model__exec(&n, ctx, sql_schedule_advance, "iii", to, id, from);

    *won = n > 0;
    return rc;
}
