/*
 * jobs — durable background work, in the database, on any number of nodes.
 *
 * A job is a row: a kind (Harbor's job type, GARBAGE_COLLECTION, ...), JSON parameters and a
 * state.  Pending jobs wait for their run_after time; a worker claims one atomically (see
 * hv_model_job_claim) and it becomes Running, leased to the worker's pool (one per node) for
 * job_lease seconds.  The pool renews the leases of its running jobs a few times per lease, so
 * a job whose node died is claimed again once its lease runs out, by whichever node comes
 * first.  A run that returns an error is retried after a backoff that doubles each time,
 * until its kind's attempt limit; then it is Error.  Success, Error and Stopped are final.
 * Since a run may be cut short at any point and run again, a job's work is idempotent: a
 * second run finishes what the first started.
 *
 * Stopping is cooperative: a stop sets a flag in the row, which the pool reads when it renews
 * the lease; the job checks hv_job_stopping between steps and returns.  A job's log lines
 * are kept in the database (flushed with each renewal and at the end), so any node reads
 * them, during the run and after a restart.
 *
 * Harbor's executions sit on top: an execution is one run of a feature (vendor_type, with
 * its trigger MANUAL, SCHEDULE or EVENT); its tasks are the jobs that name it, and its status
 * follows theirs.  Schedules are cron expressions per (vendor_type, vendor_id), whose
 * next_fire_at is moved on by a conditional UPDATE: the node that moves it starts the
 * execution, so a firing happens once per cluster, and after downtime a missed firing runs
 * once (the next time is computed from now, not from the missed one).
 *
 * Kinds register a handler before hv_jobs_start (havend's wiring), so features add kinds
 * without touching this module.
 */
#ifndef HV_JOBS_H
#define HV_JOBS_H

#include "base/base.h"
#include "model/model.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct hv_job hv_job;

/* Runs one attempt of a job on a worker thread.  ctx->db is the worker's own connection
 * (outside any transaction); ctx->arena lives for the attempt.  HV_OK: Success.  An error
 * (its message in ctx->err) is retried, except HV_E_BAD_REQUEST (parameters that will
 * never work). */
typedef hv_err (*hv_job_fn)(hv_ctx *ctx, hv_job *job, void *arg);

typedef struct hv_job_kind {
    const char *name; /* Harbor's job type, e.g. "GARBAGE_COLLECTION" */
    hv_job_fn run;
    void *arg;
    int max_attempts;   /* runs before the job is Error; at least 1 */
    int64_t backoff_ms; /* wait before the second run; doubled for each further one */
    /* Optional, Harbor's launcher: enqueues the tasks of a new execution of this kind (with
     * hv_jobs_enqueue, inside the transaction that adds the execution) instead of the one job
     * with the execution's parameters.  An execution given no task is Success at once. */
    hv_err (*launch)(hv_ctx *ctx, int64_t execution_id, int64_t vendor_id, const char *params,
                     void *arg);
    /* One execution at a time per vendor_id: starting one while another is Pending or Running
     * fails with HV_E_CONFLICT (the database decides, for every node at once), and a schedule
     * that comes due meanwhile skips that firing. */
    bool alone;
} hv_job_kind;

/* Registers a kind (borrowed: keep it static).  Only before hv_jobs_start. */
void hv_jobs_register(const hv_job_kind *kind);

/* Registers HAVEN_TEST_SLEEP, a job type for Haven's own tests (test_kind.c). */
void hv_jobs_register_test_kinds(void);

typedef struct hv_jobs_config {
    int workers;      /* worker threads of this node; 0: none (the node only enqueues) */
    int64_t poll_ms;  /* how often idle workers and the scheduler look at the database */
    int64_t lease_ms; /* how long a claim holds without renewal */
    hv_err (*open_db)(struct hv_db **out, void *payload); /* a connection per thread */
    void *payload;
} hv_jobs_config;

/* Starts the workers and the pool's thread (lease renewal, log flushing, heartbeat and the
 * scheduler).  HV_E_INTERNAL when a thread or connection cannot be made. */
hv_err hv_jobs_start(hv_ctx *ctx, const hv_jobs_config *cfg);
/* Asks the running jobs to stop, waits for them and stops the threads; a job cut short by
 * this goes back to Pending (another node, or the next start, runs it).  Accepts no start. */
void hv_jobs_stop(void);

/* Adds a Pending job of a registered kind within the caller's transaction on ctx->db; call
 * hv_jobs_kick after commit.  execution_id 0: none. */
hv_err hv_jobs_enqueue(int64_t *out_id, hv_ctx *ctx, const char *kind, const char *params,
                       int64_t execution_id);
/* Wakes this node's idle workers (after committing an enqueue). */
void hv_jobs_kick(void);

/* ---- inside a job */
int64_t hv_job_id(const hv_job *job);
int64_t hv_job_execution_id(const hv_job *job); /* 0: none */
const char *hv_job_params(const hv_job *job);   /* JSON object text */
int hv_job_attempt(const hv_job *job);          /* 1 for the first run */
/* Whether the job should return now: it was asked to stop, this node is shutting down, or
 * its lease was lost. */
bool hv_job_stopping(hv_job *job);
/* Appends a line to the job's log: "<RFC 3339 time> [<LEVEL>] <message>". */
void hv_job_log(hv_job *job, hv_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- executions (Harbor's execution/task model) */

/* Starts an execution of vendor_type with its tasks (params: the execution's extra_attrs):
 * one job of kind `kind` with params, or those the kind's launch enqueues, in one
 * transaction, and wakes the workers.  trigger: MANUAL, SCHEDULE or EVENT.  HV_E_CONFLICT
 * when the kind runs alone and an execution of vendor_type and vendor_id is still Pending or
 * Running. */
hv_err hv_jobs_execution_start(int64_t *out_id, hv_ctx *ctx, const char *vendor_type,
                               int64_t vendor_id, const char *trigger, const char *kind,
                               const char *params);
/* HV_E_NOT_FOUND when absent or of another vendor_type (NULL: any). */
hv_err hv_jobs_execution_get(hv_execution *out, hv_ctx *ctx, int64_t id, const char *vendor_type);
hv_err hv_jobs_execution_list(hv_execution **out, size_t *n, int64_t *total, hv_ctx *ctx,
                              const char *vendor_type, const hv_list *list);
/* Stops the execution's tasks (Pending ones at once; Running ones at their next check).
 * HV_E_NOT_FOUND as get. */
hv_err hv_jobs_execution_stop(hv_ctx *ctx, int64_t id, const char *vendor_type);
/* The logs of the execution's tasks, one after the other (arena).  HV_E_NOT_FOUND as get. */
hv_err hv_jobs_execution_log(const char **out, hv_ctx *ctx, int64_t id, const char *vendor_type);

/* Starts an execution (vendor_type the kind, MANUAL) of a test job type (HAVEN_TEST_*, only
 * registered with test_job_kinds); *job_id is its task.  HV_E_NOT_FOUND for any other kind. */
hv_err hv_jobs_test_start(int64_t *job_id, int64_t *execution_id, hv_ctx *ctx, const char *kind,
                          const char *params);

/* ---- the job service as Harbor's /jobservice shows it */

/* The pools of the nodes alive (heartbeat within three leases). */
hv_err hv_jobs_pools(hv_job_pool **out, size_t *n, hv_ctx *ctx);
/* A worker of a pool and what it runs (job NULL when idle). */
typedef struct hv_jobs_worker {
    const char *pool_id;
    int64_t index;
    const hv_job_row *job;
} hv_jobs_worker;
/* The workers of pool_id ("all": of every pool).  HV_E_NOT_FOUND for an unknown pool. */
hv_err hv_jobs_workers(hv_jobs_worker **out, size_t *n, hv_ctx *ctx, const char *pool_id);
hv_err hv_jobs_job_get(hv_job_row *out, hv_ctx *ctx, int64_t id);
/* The job's log, its lines joined (arena).  HV_E_NOT_FOUND. */
hv_err hv_jobs_job_log(const char **out, hv_ctx *ctx, int64_t id);
/* HV_E_NOT_FOUND; a job that is finished already is left as it is. */
hv_err hv_jobs_job_stop(hv_ctx *ctx, int64_t id);
/* Every registered kind and every kind with a queue, by kind. */
hv_err hv_jobs_queues(hv_job_queue **out, size_t *n, hv_ctx *ctx);
/* action "stop" (its Pending jobs are Stopped, Running ones asked to stop), "pause" (no job
 * of the kind is claimed) or "resume", on one kind or "all".  The kind SCHEDULER is the
 * scheduler: paused, no schedule fires (a firing missed meanwhile runs once on resume).
 * HV_E_BAD_REQUEST for another action; HV_E_NOT_FOUND for an unknown kind. */
hv_err hv_jobs_queue_action(hv_ctx *ctx, const char *kind, const char *action);
/* Whether kind's queue is paused; "all": whether the scheduler is. */
hv_err hv_jobs_queue_paused(bool *out, hv_ctx *ctx, const char *kind);

/* ---- schedules */

/* Harbor's schedule types and their crons: Hourly "0 0 * * * *", Daily "0 0 0 * * *",
 * Weekly "0 0 0 * * 0" (a cron given with them wins), Custom (cron required).  Stores the
 * schedule of (vendor_type, vendor_id), which starts an execution of vendor_type (trigger
 * SCHEDULE) as hv_jobs_execution_start does with the kind of that name and params. HV_E_BAD_REQUEST
 * for another type or a malformed cron, saying why. */
hv_err hv_jobs_schedule_put(hv_ctx *ctx, const char *vendor_type, int64_t vendor_id,
                            const char *type, const char *cron, const char *params);
/* HV_E_NOT_FOUND when there is none. */
hv_err hv_jobs_schedule_get(hv_schedule *out, hv_ctx *ctx, const char *vendor_type,
                            int64_t vendor_id);
/* Deletes it; nothing when there is none. */
hv_err hv_jobs_schedule_delete(hv_ctx *ctx, const char *vendor_type, int64_t vendor_id);
hv_err hv_jobs_schedule_list(hv_schedule **out, size_t *n, int64_t *total, hv_ctx *ctx,
                             const hv_list *list);
/* Fires the schedules that are due (the pool's thread calls it every poll); returns how many
 * this node started. */
int hv_jobs_schedule_tick(hv_ctx *ctx);

#endif
