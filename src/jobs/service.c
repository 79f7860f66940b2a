/*
 * What the API and features ask of the job service: executions and their logs, the pools,
 * workers and queues of /jobservice, and schedules with their firing.  Each change is one
 * transaction (hv_events_transaction), followed by a kick of this node's workers when it
 * enqueued a job.
 */
#include "db/db.h"
#include "events/events.h"
#include "jobs/jobs_int.h"

#include <string.h>

/* ---------------------------------------------------------------- executions */

typedef struct start_tx {
    int64_t *out_id;
    const char *vendor_type, *trigger, *kind, *params;
    int64_t vendor_id;
} start_tx;

/* Adds an execution and its tasks within the caller's transaction. */
static hv_err add_execution(int64_t *out_id, hv_ctx *ctx, const char *vendor_type,
                            int64_t vendor_id, const char *trigger, const char *kind,
                            const char *params) {
    const hv_job_kind *k = hv_jobs__kind(kind);
    hv_err rc =
        hv_model_execution_add(out_id, ctx, vendor_type, vendor_id, trigger, params, k && k->alone);

    if (rc || !k || !k->launch)
        return rc ? rc : hv_jobs_enqueue(NULL, ctx, kind, params, *out_id);
    rc = k->launch(ctx, *out_id, vendor_id, params, k->arg);
    return rc ? rc : hv_model_execution_refresh(ctx, *out_id);
}

static hv_err start_execution(hv_ctx *ctx, void *payload) {
    start_tx *s = payload;

    return add_execution(s->out_id, ctx, s->vendor_type, s->vendor_id, s->trigger, s->kind,
                         s->params);
}

hv_err hv_jobs_execution_start(int64_t *out_id, hv_ctx *ctx, const char *vendor_type,
                               int64_t vendor_id, const char *trigger, const char *kind,
                               const char *params) {
    start_tx s = {out_id, vendor_type, trigger, kind, params ? params : "{}", vendor_id};
    hv_err rc = hv_events_transaction(ctx, start_execution, &s);

    if (rc == HV_OK)
        hv_jobs_kick();
    return rc;
}

hv_err hv_jobs_test_start(int64_t *job_id, int64_t *execution_id, hv_ctx *ctx, const char *kind,
                          const char *params) {
    hv_job_row *tasks;
    size_t n = 0;
    hv_err rc;

    if (!kind || !hv_str_has_prefix(kind, "HAVEN_TEST_") || !hv_jobs__kind(kind))
        return HV_FAIL(ctx, HV_E_NOT_FOUND,
                       "job type %s cannot be started here (only test job types can, with the "
                       "setting test_job_kinds)",
                       kind ? kind : "(none)");
    rc = hv_jobs_execution_start(execution_id, ctx, kind, 0, "MANUAL", kind, params);
    if (rc == HV_OK)
        rc = hv_model_job_list_execution(&tasks, &n, ctx, *execution_id);
    if (rc == HV_OK && n > 0)
        *job_id = tasks[0].id;
    return rc;
}

hv_err hv_jobs_execution_get(hv_execution *out, hv_ctx *ctx, int64_t id, const char *vendor_type) {
    return hv_model_execution_get(out, ctx, id, vendor_type);
}

hv_err hv_jobs_execution_list(hv_execution **out, size_t *n, int64_t *total, hv_ctx *ctx,
                              const char *vendor_type, const hv_list *list) {
    return hv_model_execution_list(out, n, total, ctx, vendor_type, list);
}

typedef struct stop_tx {
    int64_t id;
    const char *vendor_type;
} stop_tx;

static hv_err stop_execution(hv_ctx *ctx, void *payload) {
    stop_tx *s = payload;
    hv_execution x;
    hv_err rc = hv_model_execution_get(&x, ctx, s->id, s->vendor_type);

    if (rc == HV_OK)
        rc = hv_model_job_stop_execution(ctx, s->id);
    return rc ? rc : hv_model_execution_refresh(ctx, s->id);
}

hv_err hv_jobs_execution_stop(hv_ctx *ctx, int64_t id, const char *vendor_type) {
    stop_tx s = {id, vendor_type};

    return hv_events_transaction(ctx, stop_execution, &s);
}

hv_err hv_jobs_execution_log(const char **out, hv_ctx *ctx, int64_t id, const char *vendor_type) {
    hv_execution x;
    hv_job_row *tasks;
    size_t n;
    hv_buf b;
    hv_err rc = hv_model_execution_get(&x, ctx, id, vendor_type);

    if (rc == HV_OK)
        rc = hv_model_job_list_execution(&tasks, &n, ctx, id);
    if (rc)
        return rc;
    hv_buf_init(&b, 64u << 20);
    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        const char *text;
        rc = hv_jobs_job_log(&text, ctx, tasks[i].id);
        if (rc == HV_OK)
            rc = hv_buf_appendf(&b, "%s", text);
        if (rc == HV_E_TOO_LARGE)
            rc = HV_FAIL(ctx, rc, "the log of execution %lld is larger than 64 MiB", (long long)id);
    }
    *out = hv_arena_strdup(ctx->arena, b.data ? b.data : "");
    hv_buf_free(&b);
    return rc;
}

/* ---------------------------------------------------------------- jobservice */

hv_err hv_jobs_pools(hv_job_pool **out, size_t *n, hv_ctx *ctx) {
    return hv_model_job_pool_list(out, n, ctx, hv_now_ms() - 3 * hv_jobs__lease_ms());
}

hv_err hv_jobs_workers(hv_jobs_worker **out, size_t *n, hv_ctx *ctx, const char *pool_id) {
    bool all = strcmp(pool_id, "all") == 0;
    hv_job_pool *pools;
    hv_job_row *jobs;
    size_t n_pools, n_jobs, count = 0, cap = 0;
    hv_jobs_worker *v;
    hv_err rc = hv_jobs_pools(&pools, &n_pools, ctx);

    if (rc == HV_OK)
        rc = hv_model_job_running(&jobs, &n_jobs, ctx, all ? NULL : pool_id);
    if (rc)
        return rc;
    for (size_t p = 0; p < n_pools; p++)
        if (all || strcmp(pools[p].id, pool_id) == 0)
            cap += (size_t)pools[p].concurrency;
    if (!all && cap == 0)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "worker pool %s not found", pool_id);
    v = hv_arena_alloc(ctx->arena, (cap + 1) * sizeof(*v));
    for (size_t p = 0; p < n_pools; p++) {
        if (!all && strcmp(pools[p].id, pool_id) != 0)
            continue;
        for (int64_t w = 0; w < pools[p].concurrency; w++) {
            v[count] = (hv_jobs_worker){.pool_id = pools[p].id, .index = w};
            for (size_t j = 0; j < n_jobs; j++)
                if (jobs[j].lease_owner && strcmp(jobs[j].lease_owner, pools[p].id) == 0 &&
                    jobs[j].lease_worker == w)
                    v[count].job = &jobs[j];
            count++;
        }
    }
    *out = v;
    *n = count;
    return HV_OK;
}

hv_err hv_jobs_job_get(hv_job_row *out, hv_ctx *ctx, int64_t id) {
    return hv_model_job_get(out, ctx, id);
}

hv_err hv_jobs_job_log(const char **out, hv_ctx *ctx, int64_t id) {
    hv_job_row row;
    const char **lines;
    size_t n;
    hv_buf b;
    hv_err rc = hv_model_job_get(&row, ctx, id);

    if (rc == HV_OK)
        rc = hv_model_job_log(&lines, &n, ctx, id);
    if (rc)
        return rc;
    hv_buf_init(&b, 64u << 20);
    for (size_t i = 0; rc == HV_OK && i < n; i++)
        rc = hv_buf_appendf(&b, "%s\n", lines[i]);
    if (rc)
        rc = HV_FAIL(ctx, rc, "the log of job %lld is larger than 64 MiB", (long long)id);
    *out = hv_arena_strdup(ctx->arena, b.data ? b.data : "");
    hv_buf_free(&b);
    return rc;
}

static hv_err stop_job(hv_ctx *ctx, void *payload) {
    int64_t id = *(int64_t *)payload, changed;
    hv_job_row row;
    hv_err rc = hv_model_job_get(&row, ctx, id);

    if (rc == HV_OK)
        rc = hv_model_job_stop(&changed, ctx, id);
    if (rc == HV_OK && row.execution_id)
        rc = hv_model_execution_refresh(ctx, row.execution_id);
    return rc;
}

hv_err hv_jobs_job_stop(hv_ctx *ctx, int64_t id) {
    return hv_events_transaction(ctx, stop_job, &id);
}

hv_err hv_jobs_queues(hv_job_queue **out, size_t *n, hv_ctx *ctx) {
    hv_job_queue *stored, *v;
    size_t n_stored, n_reg, count = 0;
    const hv_job_kind *const *reg = hv_jobs__kinds(&n_reg);
    hv_err rc = hv_model_job_queues(&stored, &n_stored, ctx, hv_now_ms());

    if (rc)
        return rc;
    v = hv_arena_alloc(ctx->arena, (n_stored + n_reg + 1) * sizeof(*v));
    memcpy(v, stored, n_stored * sizeof(*v));
    count = n_stored;
    for (size_t i = 0; i < n_reg; i++) {
        bool known = false;
        for (size_t j = 0; j < n_stored; j++)
            known = known || strcmp(stored[j].kind, reg[i]->name) == 0;
        if (!known)
            v[count++] = (hv_job_queue){.kind = reg[i]->name};
    }
    *out = v;
    *n = count;
    return HV_OK;
}

typedef struct queue_tx {
    const char *kind; /* NULL: every kind */
    const char *action;
} queue_tx;

static hv_err queue_action(hv_ctx *ctx, void *payload) {
    queue_tx *q = payload;
    size_t n;
    const hv_job_kind *const *reg = hv_jobs__kinds(&n);
    hv_err rc = HV_OK;

    if (strcmp(q->action, "stop") == 0)
        return hv_model_job_stop_kind(ctx, q->kind);
    if (q->kind)
        return hv_model_job_queue_set_paused(ctx, q->kind, strcmp(q->action, "pause") == 0);
    for (size_t i = 0; rc == HV_OK && i < n; i++)
        rc = hv_model_job_queue_set_paused(ctx, reg[i]->name, strcmp(q->action, "pause") == 0);
    return rc;
}

hv_err hv_jobs_queue_action(hv_ctx *ctx, const char *kind, const char *action) {
    queue_tx q = {strcmp(kind, "all") == 0 ? NULL : kind, action};
    hv_err rc;

    if (!action || (strcmp(action, "stop") != 0 && strcmp(action, "pause") != 0 &&
                    strcmp(action, "resume") != 0))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "action must be stop, pause or resume");
    if (q.kind && strcmp(q.kind, "SCHEDULER") != 0 && !hv_jobs__kind(q.kind))
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "job type %s not found", kind);
    if (q.kind && strcmp(q.kind, "SCHEDULER") == 0 && strcmp(action, "stop") == 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "the scheduler can be paused or resumed, not stopped");
    rc = hv_events_transaction(ctx, queue_action, &q);
    if (rc == HV_OK && strcmp(action, "resume") == 0)
        hv_jobs_kick();
    return rc;
}

hv_err hv_jobs_queue_paused(bool *out, hv_ctx *ctx, const char *kind) {
    return hv_model_job_queue_paused(out, ctx, strcmp(kind, "all") == 0 ? "SCHEDULER" : kind);
}

/* ---------------------------------------------------------------- schedules */

/* The cron of a schedule type, checked; NULL (and an error in ctx) when refused. */
static const char *schedule_cron(hv_ctx *ctx, const char *type, const char *cron, hv_cron *out) {
    static const struct {
        const char *type, *cron;
    } presets[] = {{"Hourly", "0 0 * * * *"},
                   {"Daily", "0 0 0 * * *"},
                   {"Weekly", "0 0 0 * * 0"},
                   {"Custom", NULL}};
    const char *why = NULL;

    for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
        if (!type || strcmp(type, presets[i].type) != 0)
            continue;
        if (!cron || !*cron)
            cron = presets[i].cron;
        if (!cron) {
            HV_FAIL(ctx, HV_E_BAD_REQUEST, "a Custom schedule needs a cron");
            return NULL;
        }
        if (!hv_cron_parse(out, cron, &why)) {
            HV_FAIL(ctx, HV_E_BAD_REQUEST, "invalid cron \"%s\": %s", cron, why);
            return NULL;
        }
        return cron;
    }
    HV_FAIL(ctx, HV_E_BAD_REQUEST,
            "invalid schedule type \"%s\": Hourly, Daily, Weekly, Custom, Manual or None",
            type ? type : "");
    return NULL;
}

/* The next firing after now; far in the future for a cron that never fires. */
static int64_t next_fire(const hv_cron *c, int64_t now) {
    int64_t t = hv_cron_next(c, now);

    return t > 0 ? t : INT64_MAX / 2;
}

hv_err hv_jobs_schedule_put(hv_ctx *ctx, const char *vendor_type, int64_t vendor_id,
                            const char *type, const char *cron, const char *params) {
    hv_cron c;
    hv_schedule s = {.vendor_type = vendor_type, .vendor_id = vendor_id, .cron_type = type};

    s.cron = schedule_cron(ctx, type, cron, &c);
    if (!s.cron)
        return ctx->err.code;
    s.params = params ? params : "{}";
    s.next_fire_at = next_fire(&c, hv_now_ms());
    return hv_model_schedule_put(ctx, &s);
}

hv_err hv_jobs_schedule_get(hv_schedule *out, hv_ctx *ctx, const char *vendor_type,
                            int64_t vendor_id) {
    return hv_model_schedule_get(out, ctx, vendor_type, vendor_id);
}

hv_err hv_jobs_schedule_delete(hv_ctx *ctx, const char *vendor_type, int64_t vendor_id) {
    bool changed;

    return hv_model_schedule_delete(&changed, ctx, vendor_type, vendor_id);
}

hv_err hv_jobs_schedule_list(hv_schedule **out, size_t *n, int64_t *total, hv_ctx *ctx,
                             const hv_list *list) {
    return hv_model_schedule_list(out, n, total, ctx, list);
}

typedef struct fire_tx {
    const hv_schedule *s;
    int64_t next;
    bool won, busy;
} fire_tx;

/* Moves the schedule on and, if this node did, starts its execution, in one transaction;
 * of a kind that runs alone, only when no execution of it is Pending or Running. */
static hv_err fire(hv_ctx *ctx, void *payload) {
    fire_tx *f = payload;
    const hv_job_kind *k = hv_jobs__kind(f->s->vendor_type);
    int64_t execution_id = 0;
    hv_err rc = hv_model_schedule_advance(&f->won, ctx, f->s->id, f->s->next_fire_at, f->next);

    f->busy = false;
    if (rc == HV_OK && f->won && k && k->alone)
        rc = hv_model_execution_busy(&f->busy, ctx, f->s->vendor_type, f->s->vendor_id);
    if (rc == HV_OK && f->won && !f->busy)
        rc = add_execution(&execution_id, ctx, f->s->vendor_type, f->s->vendor_id, "SCHEDULE",
                           f->s->vendor_type, f->s->params);
    return rc;
}

int hv_jobs_schedule_tick(hv_ctx *ctx) {
    hv_schedule *due;
    size_t n;
    bool paused = false;
    int started = 0;
    int64_t now = hv_now_ms();

    if (hv_model_job_queue_paused(&paused, ctx, "SCHEDULER") || paused ||
        hv_model_schedule_due(&due, &n, ctx, now)) {
        hv_error_clear(ctx);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        hv_cron c;
        fire_tx f = {.s = &due[i]};
        if (!hv_cron_parse(&c, due[i].cron, NULL))
            continue;
        f.next = next_fire(&c, now);
        if (hv_events_transaction(ctx, fire, &f) != HV_OK) {
            hv_log(HV_LOG_ERROR, "scheduler: firing the %s schedule: %s", due[i].vendor_type,
                   ctx->err.message);
            hv_error_clear(ctx);
        } else if (f.won) {
            char due_at[32];
            hv_time_format(due_at, due[i].next_fire_at);
            hv_log(HV_LOG_INFO, "scheduler: %s %s (cron \"%s\", due at %s)", due[i].vendor_type,
                   f.busy ? "skipped: its last run has not ended" : "fired", due[i].cron, due_at);
            started += !f.busy;
        }
    }
    if (started)
        hv_jobs_kick();
    return started;
}
