/*
 * The job queue (src/jobs/ runs it): jobs, their logs, paused queues and the worker pools of
 * the nodes.  A claim is one UPDATE of the row a sub-select picks: SQLite runs it inside the
 * caller's write transaction, one at a time; PostgreSQL's sub-select locks the row with FOR
 * UPDATE SKIP LOCKED, so nodes claiming at once take different jobs.  Every change to a
 * Running job is conditional on the lease's owner, so a node whose lease ran out (and whose
 * job another node took) changes nothing.
 */
#include "model/model_int.h"

#include <string.h>

#define JOB_COLUMNS                                                                                \
    "id, kind, params, state, attempts, max_attempts, run_after, lease_owner,"                     \
    " coalesce(lease_worker, 0), coalesce(lease_expires, 0), stop_requested,"                      \
    " coalesce(execution_id, 0), status_message, creation_time, update_time,"                      \
    " coalesce(start_time, 0), coalesce(end_time, 0)"

static void read_job(hv_job_row *j, hv_ctx *ctx, hv_stmt *st) {
    j->id = hv_stmt_int(st, 0);
    j->kind = hv_model__text(ctx, st, 1);
    j->params = hv_model__text(ctx, st, 2);
    j->state = hv_model__text(ctx, st, 3);
    j->attempts = hv_stmt_int(st, 4);
    j->max_attempts = hv_stmt_int(st, 5);
    j->run_after = hv_stmt_int(st, 6);
    j->lease_owner = hv_model__text(ctx, st, 7);
    j->lease_worker = hv_stmt_int(st, 8);
    j->lease_expires = hv_stmt_int(st, 9);
    j->stop_requested = hv_stmt_int(st, 10) != 0;
    j->execution_id = hv_stmt_int(st, 11);
    j->status_message = hv_model__text(ctx, st, 12);
    j->creation_time = hv_stmt_int(st, 13);
    j->update_time = hv_stmt_int(st, 14);
    j->start_time = hv_stmt_int(st, 15);
    j->end_time = hv_stmt_int(st, 16);
}

/* Reads every row of a statement stepped once (row: whether it gave one); resets it. */
static hv_err read_jobs(hv_job_row **out, size_t *n, hv_ctx *ctx, hv_stmt *st, bool row) {
    size_t cap = 8, count = 0;
    hv_job_row *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_err rc = HV_OK;

    while (row) {
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_job(&v[count++], ctx, st);
        rc = hv_stmt_step(st, ctx, &row);
        if (rc)
            break;
    }
    hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

static const char *sql_job_add =
    "INSERT INTO job (kind, params, max_attempts, run_after, execution_id, creation_time,"
    " update_time) VALUES (?, ?, ?, ?, nullif(?, 0), ?, ?) RETURNING id";

hv_err hv_model_job_add(int64_t *out_id, hv_ctx *ctx, const char *kind, const char *params,
                        int64_t max_attempts, int64_t run_after, int64_t execution_id) {
    int64_t now = hv_now_ms();
    hv_stmt *st;
    bool row;
    hv_err rc;

    rc = hv_db_prepare(&st, ctx->db, ctx, sql_job_add);
    if (rc)
        return rc;
    hv_stmt_bind_text(st, 1, kind);
    hv_stmt_bind_text(st, 2, params);
    hv_stmt_bind_int(st, 3, max_attempts);
    hv_stmt_bind_int(st, 4, run_after);
    hv_stmt_bind_int(st, 5, execution_id > 0 ? execution_id : 0); /* 0: NULL, no execution */
    hv_stmt_bind_int(st, 6, now);
    hv_stmt_bind_int(st, 7, now);
    rc = hv_stmt_step(st, ctx, &row);
    if (rc == HV_OK && row && out_id)
        *out_id = hv_stmt_int(st, 0);
    hv_stmt_reset(st);
    return rc;
}

#define CLAIM_SET                                                                                  \
    "UPDATE job SET state = 'Running', lease_owner = ?1, lease_worker = ?2, lease_expires = ?4,"   \
    " attempts = attempts + 1, start_time = coalesce(start_time, ?3), update_time = ?3"            \
    " WHERE id = (SELECT j.id FROM job j WHERE ((j.state = 'Pending' AND j.run_after <= ?3)"       \
    " OR (j.state = 'Running' AND j.lease_expires < ?3)) AND NOT EXISTS (SELECT 1 FROM"            \
    " job_queue q WHERE q.kind = j.kind AND q.paused = 1) ORDER BY j.run_after, j.id LIMIT 1"
static const char *sql_job_claim = CLAIM_SET ") RETURNING " JOB_COLUMNS;
static const char *sql_job_claim_pg = CLAIM_SET " FOR UPDATE SKIP LOCKED) RETURNING " JOB_COLUMNS;

hv_err hv_model_job_claim(hv_job_row *out, bool *found, hv_ctx *ctx, const char *owner,
                          int64_t worker, int64_t now, int64_t lease_ms) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, HV_MODEL__SQL(ctx, sql_job_claim, sql_job_claim_pg),
                                "tiii", owner, worker, now, now + lease_ms);

    if (rc)
        return rc;
    if (row)
        read_job(out, ctx, st);
    hv_stmt_reset(st);
    *found = row;
    return HV_OK;
}

static const char *sql_job_renew =
    "UPDATE job SET lease_expires = ?, update_time = ? WHERE id = ? AND lease_owner = ?"
    " AND state = 'Running' RETURNING stop_requested";

hv_err hv_model_job_renew(bool *held, bool *stop, hv_ctx *ctx, int64_t id, const char *owner,
                          int64_t expires) {
    hv_stmt *st;
    bool row;
    hv_err rc =
        hv_model__query(&st, &row, ctx, sql_job_renew, "iiit", expires, hv_now_ms(), id, owner);

    if (rc)
        return rc;
    *held = row;
    *stop = row && hv_stmt_int(st, 0) != 0;
    hv_stmt_reset(st);
    return HV_OK;
}

static const char *sql_job_end =
    "UPDATE job SET state = ?, status_message = ?, end_time = ?, update_time = ?,"
    " lease_owner = NULL, lease_worker = NULL, lease_expires = NULL"
    " WHERE id = ? AND lease_owner = ? AND state = 'Running'";
static const char *sql_job_retry =
    "UPDATE job SET state = 'Pending', status_message = ?, run_after = ?, update_time = ?,"
    " lease_owner = NULL, lease_worker = NULL, lease_expires = NULL"
    " WHERE id = ? AND lease_owner = ? AND state = 'Running'";

hv_err hv_model_job_finish(bool *held, hv_ctx *ctx, int64_t id, const char *owner,
                           const char *state, const char *message, int64_t run_after) {
    int64_t now = hv_now_ms(), changed = 0;
    hv_err rc;

    if (strcmp(state, "Pending") == 0)
        rc = hv_model__exec(&changed, ctx, sql_job_retry, "tiiit", message, run_after, now, id,
                            owner);
    else
        rc = hv_model__exec(&changed, ctx, sql_job_end, "ttiiit", state, message, now, now, id,
                            owner);
    *held = changed > 0;
    return rc;
}

static const char *sql_job_release =
    "UPDATE job SET state = 'Pending', attempts = attempts - 1, run_after = ?, update_time = ?,"
    " lease_owner = NULL, lease_worker = NULL, lease_expires = NULL"
    " WHERE id = ? AND lease_owner = ? AND state = 'Running'";

hv_err hv_model_job_release(bool *held, hv_ctx *ctx, int64_t id, const char *owner) {
    int64_t now = hv_now_ms(), changed = 0;
    hv_err rc = hv_model__exec(&changed, ctx, sql_job_release, "iiit", now, now, id, owner);

    *held = changed > 0;
    return rc;
}

static const char *sql_job_get = "SELECT " JOB_COLUMNS " FROM job WHERE id = ?";

hv_err hv_model_job_get(hv_job_row *out, hv_ctx *ctx, int64_t id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_job_get, "i", id);

    if (rc)
        return rc;
    if (row)
        read_job(out, ctx, st);
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "job %lld not found", (long long)id);
}

static const char *sql_job_of_execution =
    "SELECT " JOB_COLUMNS " FROM job WHERE execution_id = ? ORDER BY id";

hv_err hv_model_job_list_execution(hv_job_row **out, size_t *n, hv_ctx *ctx, int64_t execution_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_job_of_execution, "i", execution_id);

    return rc ? rc : read_jobs(out, n, ctx, st, row);
}

static const char *sql_job_running =
    "SELECT " JOB_COLUMNS " FROM job WHERE state = 'Running' AND (?1 IS NULL OR lease_owner = ?1)"
    " ORDER BY lease_owner, lease_worker";

hv_err hv_model_job_running(hv_job_row **out, size_t *n, hv_ctx *ctx, const char *owner) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_job_running, "t", owner);

    return rc ? rc : read_jobs(out, n, ctx, st, row);
}

static const char *sql_job_stop_pending =
    "UPDATE job SET state = 'Stopped', end_time = ?, update_time = ? WHERE id = ?"
    " AND state = 'Pending'";
static const char *sql_job_stop_running =
    "UPDATE job SET stop_requested = 1, update_time = ? WHERE id = ? AND state = 'Running'";

hv_err hv_model_job_stop(int64_t *changed, hv_ctx *ctx, int64_t id) {
    int64_t now = hv_now_ms(), a = 0, b = 0;
    hv_err rc = hv_model__exec(&a, ctx, sql_job_stop_pending, "iii", now, now, id);

    if (rc == HV_OK)
        rc = hv_model__exec(&b, ctx, sql_job_stop_running, "ii", now, id);
    *changed = a + b;
    return rc;
}

static const char *sql_execution_stop_pending =
    "UPDATE job SET state = 'Stopped', end_time = ?, update_time = ? WHERE execution_id = ?"
    " AND state = 'Pending'";
static const char *sql_execution_stop_running =
    "UPDATE job SET stop_requested = 1, update_time = ? WHERE execution_id = ?"
    " AND state = 'Running'";

hv_err hv_model_job_stop_execution(hv_ctx *ctx, int64_t execution_id) {
    int64_t now = hv_now_ms();
    hv_err rc =
        hv_model__exec(NULL, ctx, sql_execution_stop_pending, "iii", now, now, execution_id);

    return rc ? rc : hv_model__exec(NULL, ctx, sql_execution_stop_running, "ii", now, execution_id);
}

static const char *sql_kind_stop_pending =
    "UPDATE job SET state = 'Stopped', end_time = ?1, update_time = ?1 WHERE state = 'Pending'"
    " AND (?2 IS NULL OR kind = ?2)";
static const char *sql_kind_stop_running =
    "UPDATE job SET stop_requested = 1, update_time = ?1 WHERE state = 'Running'"
    " AND (?2 IS NULL OR kind = ?2)";
static const char *sql_kind_executions =
    "SELECT DISTINCT execution_id FROM job WHERE execution_id IS NOT NULL"
    " AND update_time = ?1 AND (?2 IS NULL OR kind = ?2)";

hv_err hv_model_job_stop_kind(hv_ctx *ctx, const char *kind) {
    int64_t now = hv_now_ms();
    const char **ids = NULL;
    size_t n = 0;
    hv_err rc = hv_model__exec(NULL, ctx, sql_kind_stop_pending, "it", now, kind);

    if (rc == HV_OK)
        rc = hv_model__exec(NULL, ctx, sql_kind_stop_running, "it", now, kind);
    /* the executions of the jobs just stopped follow them */
    if (rc == HV_OK)
        rc = hv_model__strings(&ids, &n, ctx, sql_kind_executions, "it", now, kind);
    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        uint64_t id = 0;
        if (hv_parse_u64(ids[i], strlen(ids[i]), &id))
            rc = hv_model_execution_refresh(ctx, (int64_t)id);
    }
    return rc;
}

static const char *sql_log_add = "INSERT INTO job_log (job_id, line) VALUES (?, ?)";

hv_err hv_model_job_log_add(hv_ctx *ctx, int64_t job_id, const char *line) {
    return hv_model__exec(NULL, ctx, sql_log_add, "it", job_id, line);
}

static const char *sql_log = "SELECT line FROM job_log WHERE job_id = ? ORDER BY id";

hv_err hv_model_job_log(const char ***out, size_t *n, hv_ctx *ctx, int64_t job_id) {
    return hv_model__strings(out, n, ctx, sql_log, "i", job_id);
}

static const char *sql_queues =
    "SELECT k.kind, (SELECT count(*) FROM job j WHERE j.kind = k.kind AND j.state = 'Pending'),"
    " coalesce((SELECT min(j.run_after) FROM job j WHERE j.kind = k.kind AND j.state = 'Pending'"
    " AND j.run_after <= ?), 0),"
    " coalesce((SELECT q.paused FROM job_queue q WHERE q.kind = k.kind), 0)"
    " FROM (SELECT kind FROM job WHERE state = 'Pending' UNION SELECT kind FROM job_queue) k"
    " ORDER BY k.kind";

hv_err hv_model_job_queues(hv_job_queue **out, size_t *n, hv_ctx *ctx, int64_t now) {
    size_t cap = 8, count = 0;
    hv_job_queue *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_queues, "i", now);

    if (rc)
        return rc;
    while (row) {
        int64_t oldest = hv_stmt_int(st, 2);
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        v[count].kind = hv_model__text(ctx, st, 0);
        v[count].count = hv_stmt_int(st, 1);
        v[count].latency = oldest > 0 ? (now - oldest) / 1000 : 0;
        v[count].paused = hv_stmt_int(st, 3) != 0;
        count++;
        rc = hv_stmt_step(st, ctx, &row);
        if (rc)
            break;
    }
    hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

static const char *sql_queue_pause = "INSERT INTO job_queue (kind, paused) VALUES (?, ?)"
                                     " ON CONFLICT (kind) DO UPDATE SET paused = excluded.paused";

hv_err hv_model_job_queue_set_paused(hv_ctx *ctx, const char *kind, bool paused) {
    return hv_model__exec(NULL, ctx, sql_queue_pause, "ti", kind, (int64_t)paused);
}

static const char *sql_queue_paused = "SELECT paused FROM job_queue WHERE kind = ?";

hv_err hv_model_job_queue_paused(bool *out, hv_ctx *ctx, const char *kind) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_queue_paused, "t", kind);

    if (rc)
        return rc;
    *out = row && hv_stmt_int(st, 0) != 0;
    hv_stmt_reset(st);
    return HV_OK;
}

static const char *sql_pool_put =
    "INSERT INTO job_pool (id, pid, host, concurrency, start_at, heartbeat_at)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET heartbeat_at = "
    "excluded.heartbeat_at";

hv_err hv_model_job_pool_put(hv_ctx *ctx, const hv_job_pool *p) {
    return hv_model__exec(NULL, ctx, sql_pool_put, "titiii", p->id, p->pid, p->host, p->concurrency,
                          p->start_at, p->heartbeat_at);
}

static const char *sql_pool_list =
    "SELECT id, pid, host, concurrency, start_at, heartbeat_at FROM job_pool"
    " WHERE heartbeat_at >= ? ORDER BY start_at, id";

hv_err hv_model_job_pool_list(hv_job_pool **out, size_t *n, hv_ctx *ctx, int64_t since) {
    size_t cap = 4, count = 0;
    hv_job_pool *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_pool_list, "i", since);

    if (rc)
        return rc;
    while (row) {
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        v[count].id = hv_model__text(ctx, st, 0);
        v[count].pid = hv_stmt_int(st, 1);
        v[count].host = hv_model__text(ctx, st, 2);
        v[count].concurrency = hv_stmt_int(st, 3);
        v[count].start_at = hv_stmt_int(st, 4);
        v[count].heartbeat_at = hv_stmt_int(st, 5);
        count++;
        rc = hv_stmt_step(st, ctx, &row);
        if (rc)
            break;
    }
    hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}
