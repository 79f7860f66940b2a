/*
 * The engine: this node's pool of worker threads and the pool's own thread.
 *
 * Each worker has a slot (its current job and the log lines not yet written) and a database
 * connection.  It sleeps until a kick (an enqueue on this node) or the poll interval, then
 * claims and runs jobs until none is ready.  A claim and the end of a run are each one
 * transaction that also refreshes the job's execution.
 *
 * The pool's thread wakes every tick (the poll interval, or a third of the lease if that is
 * shorter): it records the pool's heartbeat, renews the leases of the jobs its workers run
 * (learning of stop requests and of leases lost to another node), writes the log lines the
 * jobs produced, and fires the schedules that are due.  Log lines of a job are written in
 * order: whoever writes them (this thread, or the worker at the end) holds the slot's flush
 * lock while it does, and never from inside a transaction.
 */
#include "db/db.h"
#include "events/events.h"
#include "jobs/jobs_int.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_KINDS       64
#define LOG_PENDING_MAX (8u << 20) /* log bytes a job may have waiting for the next flush */
#define LINE_MAX        2048

static const hv_job_kind *kinds[MAX_KINDS];
static size_t n_kinds;

void hv_jobs_register(const hv_job_kind *kind) {
    if (n_kinds == MAX_KINDS || kind->max_attempts < 1)
        abort();
    kinds[n_kinds++] = kind;
}

const hv_job_kind *hv_jobs__kind(const char *name) {
    for (size_t i = 0; i < n_kinds; i++)
        if (strcmp(kinds[i]->name, name) == 0)
            return kinds[i];
    return NULL;
}

const hv_job_kind *const *hv_jobs__kinds(size_t *n) {
    *n = n_kinds;
    return kinds;
}

struct hv_job {
    hv_job_row row; /* row.id 0: the slot is idle */
    const hv_job_kind *kind;
    hv_buf pending; /* log lines not yet written */
    atomic_bool stop_requested, lost;
};

typedef struct slot {
    int index;
    pthread_t thread;
    hv_db *db;
    pthread_mutex_t flush_lock;
    hv_job job; /* id, pending: under `lock` */
} slot;

static hv_jobs_config config = {.lease_ms = 30000, .poll_ms = 1000};
static char pool_id[37];
static int64_t started_at;
static slot *slots;
static int n_slots;
static pthread_t pool_thread;
static hv_db *pool_db;
static bool running;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pool_wake = PTHREAD_COND_INITIALIZER;
static uint64_t kicks;
static atomic_bool stopping;

int64_t hv_jobs__lease_ms(void) {
    return config.lease_ms;
}

void hv_jobs_kick(void) {
    pthread_mutex_lock(&lock);
    kicks++;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
}

hv_err hv_jobs_enqueue(int64_t *out_id, hv_ctx *ctx, const char *kind, const char *params,
                       int64_t execution_id) {
    const hv_job_kind *k = hv_jobs__kind(kind);

    if (!k)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "unknown job type %s", kind);
    return hv_model_job_add(out_id, ctx, kind, params ? params : "{}", k->max_attempts, hv_now_ms(),
                            execution_id);
}

/* ---------------------------------------------------------------- inside a job */

int64_t hv_job_id(const hv_job *job) {
    return job->row.id;
}

int64_t hv_job_execution_id(const hv_job *job) {
    return job->row.execution_id;
}

const char *hv_job_params(const hv_job *job) {
    return job->row.params;
}

int hv_job_attempt(const hv_job *job) {
    return (int)job->row.attempts;
}

bool hv_job_stopping(hv_job *job) {
    return atomic_load(&job->stop_requested) || atomic_load(&job->lost) || atomic_load(&stopping);
}

static const char *level_name(hv_log_level level) {
    switch (level) {
    case HV_LOG_DEBUG:
        return "DEBUG";
    case HV_LOG_WARN:
        return "WARNING";
    case HV_LOG_ERROR:
        return "ERROR";
    default:
        return "INFO";
    }
}

void hv_job_log(hv_job *job, hv_log_level level, const char *fmt, ...) {
    char when[32], line[LINE_MAX];
    va_list ap;
    hv_err rc;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    hv_time_format(when, hv_now_ms());
    hv_log(HV_LOG_DEBUG, "job %lld: %s", (long long)job->row.id, line);
    pthread_mutex_lock(&lock);
    rc = hv_buf_appendf(&job->pending, "%s [%s] %s\n", when, level_name(level), line);
    pthread_mutex_unlock(&lock);
    if (rc)
        hv_log(HV_LOG_WARN, "job %lld: log lines dropped (more than %u bytes waiting)",
               (long long)job->row.id, LOG_PENDING_MAX);
}

/* Writes the slot's waiting log lines (never inside a transaction: see the top). */
static void flush_log(slot *s, hv_db *db) {
    hv_ctx ctx = {.arena = NULL, .db = db, .actor = "jobs"};
    hv_buf lines;
    int64_t id;

    pthread_mutex_lock(&s->flush_lock);
    pthread_mutex_lock(&lock);
    id = s->job.row.id;
    lines = s->job.pending;
    hv_buf_init(&s->job.pending, LOG_PENDING_MAX);
    pthread_mutex_unlock(&lock);
    if (id && lines.len > 0) {
        ctx.arena = hv_arena_new();
        /* one row per flush: the lines keep their order, and a busy job costs a row a tick */
        if (lines.data[lines.len - 1] == '\n')
            lines.data[--lines.len] = '\0';
        if (hv_model_job_log_add(&ctx, id, lines.data) != HV_OK)
            hv_log(HV_LOG_WARN, "job %lld: cannot write its log: %s", (long long)id,
                   ctx.err.message);
        hv_arena_free(ctx.arena);
    }
    hv_buf_free(&lines);
    pthread_mutex_unlock(&s->flush_lock);
}

/* ---------------------------------------------------------------- claiming and finishing */

typedef struct claim_tx {
    slot *s;
    hv_job_row row;
    bool found;
} claim_tx;

static hv_err claim(hv_ctx *ctx, void *payload) {
    claim_tx *c = payload;
    hv_err rc = hv_model_job_claim(&c->row, &c->found, ctx, pool_id, c->s->index, hv_now_ms(),
                                   config.lease_ms);

    if (rc == HV_OK && c->found && c->row.execution_id)
        rc = hv_model_execution_refresh(ctx, c->row.execution_id);
    return rc;
}

typedef struct finish_tx {
    const hv_job_row *row;
    const char *state; /* NULL: release */
    const char *message;
    int64_t run_after;
} finish_tx;

static hv_err finish(hv_ctx *ctx, void *payload) {
    finish_tx *f = payload;
    bool held;
    hv_err rc = f->state ? hv_model_job_finish(&held, ctx, f->row->id, pool_id, f->state,
                                               f->message, f->run_after)
                         : hv_model_job_release(&held, ctx, f->row->id, pool_id);

    if (rc == HV_OK && held && f->row->execution_id)
        rc = hv_model_execution_refresh(ctx, f->row->execution_id);
    return rc;
}

/* Runs the attempt of a claimed job and decides how it ends (f). */
static void run_attempt(hv_ctx *ctx, hv_job *job, finish_tx *f) {
    const hv_job_row *row = &job->row;
    const hv_job_kind *k = job->kind;
    hv_err rc;

    f->run_after = 0;
    f->message = "";
    if (!k) {
        f->state = "Error";
        f->message = hv_arena_printf(ctx->arena, "no handler for job type %s", row->kind);
        hv_job_log(job, HV_LOG_ERROR, "%s", f->message);
        return;
    }
    if (row->stop_requested) {
        f->state = "Stopped";
        hv_job_log(job, HV_LOG_INFO, "stopped before it ran again");
        return;
    }
    if (row->attempts > k->max_attempts) {
        f->state = "Error";
        f->message = hv_arena_printf(ctx->arena,
                                     "gave up after %d attempts: the node running the last one "
                                     "stopped answering",
                                     k->max_attempts);
        hv_job_log(job, HV_LOG_ERROR, "%s", f->message);
        return;
    }
    hv_job_log(job, HV_LOG_INFO, "%s job %lld: attempt %lld of %d on pool %s, worker %d", row->kind,
               (long long)row->id, (long long)row->attempts, k->max_attempts, pool_id,
               (int)row->lease_worker);
    rc = k->run(ctx, job, k->arg);
    if (atomic_load(&job->stop_requested)) {
        f->state = "Stopped";
        hv_job_log(job, HV_LOG_INFO, "stopped on request");
    } else if (atomic_load(&job->lost)) {
        f->state = "Error"; /* not written: the lease is another node's */
    } else if (atomic_load(&stopping) && rc != HV_OK) {
        f->state = NULL;
        hv_job_log(job, HV_LOG_INFO, "interrupted by a shutdown of this node; it runs again");
    } else if (rc == HV_OK) {
        f->state = "Success";
    } else {
        f->message = hv_arena_strdup(ctx->arena, ctx->err.message);
        if (rc != HV_E_BAD_REQUEST && row->attempts < k->max_attempts) {
            int64_t wait = k->backoff_ms << (row->attempts - 1 < 20 ? row->attempts - 1 : 20);
            f->state = "Pending";
            f->run_after = hv_now_ms() + wait;
            hv_job_log(job, HV_LOG_WARN, "attempt failed: %s; retrying in %lld ms", f->message,
                       (long long)wait);
        } else {
            f->state = "Error";
            hv_job_log(job, HV_LOG_ERROR, "failed: %s", f->message);
        }
    }
}

/* Claims and runs one job; false when none was ready. */
static bool run_one(slot *s) {
    hv_ctx ctx = {.arena = hv_arena_new(), .db = s->db, .actor = "jobs"};
    claim_tx c = {.s = s};
    finish_tx f = {0};
    hv_job *job = &s->job;
    hv_err rc;

    rc = hv_events_transaction(&ctx, claim, &c);
    if (rc || !c.found) {
        if (rc)
            hv_log(HV_LOG_ERROR, "jobs: claiming: %s", ctx.err.message);
        hv_arena_free(ctx.arena);
        return false;
    }
    pthread_mutex_lock(&lock);
    job->row = c.row;
    job->kind = hv_jobs__kind(c.row.kind);
    atomic_store(&job->stop_requested, false);
    atomic_store(&job->lost, false);
    pthread_mutex_unlock(&lock);

    ctx.actor = c.row.kind;
    run_attempt(&ctx, job, &f);
    flush_log(s, s->db);
    f.row = &c.row;
    if (!atomic_load(&job->lost)) {
        hv_error_clear(&ctx);
        rc = hv_events_transaction(&ctx, finish, &f);
        if (rc)
            hv_log(HV_LOG_ERROR, "jobs: ending job %lld: %s", (long long)c.row.id, ctx.err.message);
    }
    if (f.state && strcmp(f.state, "Pending") == 0)
        hv_jobs_kick(); /* another worker may take the retry when it is due */
    pthread_mutex_lock(&lock);
    job->row.id = 0;
    job->kind = NULL;
    pthread_mutex_unlock(&lock);
    hv_arena_free(ctx.arena);
    return true;
}

static void timed_wait(pthread_cond_t *cond, int64_t ms) {
    struct timespec until;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_cond_timedwait(cond, &lock, &until);
}

static void *worker_main(void *arg) {
    slot *s = arg;
    uint64_t seen;

    pthread_mutex_lock(&lock);
    seen = kicks;
    while (!atomic_load(&stopping)) {
        pthread_mutex_unlock(&lock);
        while (!atomic_load(&stopping) && run_one(s))
            ;
        pthread_mutex_lock(&lock);
        if (seen == kicks && !atomic_load(&stopping))
            timed_wait(&wake, config.poll_ms);
        seen = kicks;
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* ---------------------------------------------------------------- the pool's thread */

static void renew_leases(hv_ctx *ctx) {
    for (int i = 0; i < n_slots; i++) {
        bool held, stop;
        int64_t id;

        pthread_mutex_lock(&lock);
        id = slots[i].job.row.id;
        pthread_mutex_unlock(&lock);
        if (!id)
            continue;
        if (hv_model_job_renew(&held, &stop, ctx, id, pool_id, hv_now_ms() + config.lease_ms)) {
            hv_log(HV_LOG_WARN, "jobs: renewing the lease of job %lld: %s", (long long)id,
                   ctx->err.message);
            hv_error_clear(ctx);
            continue;
        }
        pthread_mutex_lock(&lock);
        if (slots[i].job.row.id == id) {
            if (!held) {
                hv_log(HV_LOG_WARN, "jobs: job %lld was taken over by another node", (long long)id);
                atomic_store(&slots[i].job.lost, true);
            }
            if (stop)
                atomic_store(&slots[i].job.stop_requested, true);
        }
        pthread_mutex_unlock(&lock);
    }
}

static void *pool_main(void *unused) {
    int64_t tick = config.poll_ms < config.lease_ms / 3 ? config.poll_ms : config.lease_ms / 3;
    char host[256] = "localhost";
    hv_job_pool me = {.id = pool_id,
                      .pid = getpid(),
                      .host = host,
                      .concurrency = n_slots,
                      .start_at = started_at};

    (void)unused;
    gethostname(host, sizeof(host) - 1);
    if (tick < 10)
        tick = 10;
    pthread_mutex_lock(&lock);
    while (!atomic_load(&stopping)) {
        hv_ctx ctx = {.db = pool_db, .actor = "scheduler"};
        pthread_mutex_unlock(&lock);
        ctx.arena = hv_arena_new();
        me.heartbeat_at = hv_now_ms();
        if (hv_model_job_pool_put(&ctx, &me) != HV_OK) {
            hv_log(HV_LOG_WARN, "jobs: pool heartbeat: %s", ctx.err.message);
            hv_error_clear(&ctx);
        }
        renew_leases(&ctx);
        for (int i = 0; i < n_slots; i++)
            flush_log(&slots[i], pool_db);
        hv_jobs_schedule_tick(&ctx);
        hv_arena_free(ctx.arena);
        pthread_mutex_lock(&lock);
        if (!atomic_load(&stopping))
            timed_wait(&pool_wake, tick);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

hv_err hv_jobs_start(hv_ctx *ctx, const hv_jobs_config *cfg) {
    config = *cfg;
    hv_uuid(pool_id);
    started_at = hv_now_ms();
    atomic_store(&stopping, false);
    if (config.open_db(&pool_db, config.payload) != HV_OK)
        return HV_FAIL(ctx, HV_E_INTERNAL, "jobs: cannot open the database");
    slots = hv_calloc((size_t)(cfg->workers > 0 ? cfg->workers : 1), sizeof(*slots));
    for (int i = 0; i < cfg->workers; i++) {
        slot *s = &slots[i];
        s->index = i;
        pthread_mutex_init(&s->flush_lock, NULL);
        hv_buf_init(&s->job.pending, LOG_PENDING_MAX);
        if (config.open_db(&s->db, config.payload) != HV_OK)
            return HV_FAIL(ctx, HV_E_INTERNAL, "jobs: cannot open the database");
        if (pthread_create(&s->thread, NULL, worker_main, s) != 0)
            return HV_FAIL(ctx, HV_E_INTERNAL, "jobs: cannot start a worker thread");
        n_slots++;
    }
    if (pthread_create(&pool_thread, NULL, pool_main, NULL) != 0)
        return HV_FAIL(ctx, HV_E_INTERNAL, "jobs: cannot start the pool's thread");
    running = true;
    hv_log(HV_LOG_INFO, "jobs: pool %s with %d workers (lease %lld ms, poll %lld ms)", pool_id,
           n_slots, (long long)config.lease_ms, (long long)config.poll_ms);
    return HV_OK;
}

void hv_jobs_stop(void) {
    pthread_mutex_lock(&lock);
    atomic_store(&stopping, true);
    pthread_cond_broadcast(&wake);
    pthread_cond_broadcast(&pool_wake);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < n_slots; i++)
        pthread_join(slots[i].thread, NULL);
    if (running)
        pthread_join(pool_thread, NULL);
    for (int i = 0; i < n_slots; i++) {
        hv_db_close(slots[i].db);
        hv_buf_free(&slots[i].job.pending);
        pthread_mutex_destroy(&slots[i].flush_lock);
    }
    hv_db_close(pool_db);
    pool_db = NULL;
    free(slots);
    slots = NULL;
    n_slots = 0;
    running = false;
}
