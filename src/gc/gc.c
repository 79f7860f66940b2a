/*
 * The GARBAGE_COLLECTION job: the steps gc.h describes, each in batches of short
 * transactions so that pushes wait for none of them long, checking the stop flag between
 * batches.  Every step is safe to repeat: a second run after a crash or a stop finds what the
 * first left and finishes it.
 */
#include "gc/gc.h"
#include "events/events.h"
#include "jobs/jobs.h"
#include "registry/registry.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 500

static hv_gc_config config;

typedef struct counts {
    int64_t artifacts, links, blobs, bytes, removed;
} counts;

/* One run: its job, its parameters and what it did so far. */
typedef struct gc_run {
    hv_job *job;
    int64_t cutoff;  /* blobs and links older than this are collected */
    int64_t workers; /* threads removing blobs from the store */
    counts c;
} gc_run;

static hv_err stopped(hv_ctx *ctx, hv_job *job) {
    hv_job_log(job, HV_LOG_INFO, "stop requested: the next run finishes the work");
    return HV_FAIL(ctx, HV_E_UNAVAILABLE, "garbage collection was stopped");
}

static hv_err delete_untagged(hv_ctx *ctx, gc_run *g) {
    int64_t after = 0;
    hv_gc_artifact *v;
    size_t n;
    hv_err rc;

    do {
        rc = hv_model_gc_untagged(&v, &n, ctx, after, BATCH);
        for (size_t i = 0; rc == HV_OK && i < n; i++) {
            bool deleted = false;
            if (hv_job_stopping(g->job))
                return stopped(ctx, g->job);
            after = v[i].id;
            rc = hv_registry_gc_delete_untagged(&deleted, ctx, &v[i]);
            if (rc == HV_E_POLICY) { /* immutable, or held by an index since */
                hv_job_log(g->job, HV_LOG_INFO, "kept %s@%s: %s", v[i].repository, v[i].digest,
                           ctx->err.message);
                hv_error_clear(ctx);
                rc = HV_OK;
            }
            if (rc == HV_OK && deleted) {
                g->c.artifacts++;
                hv_job_log(g->job, HV_LOG_INFO, "deleted untagged artifact %s@%s", v[i].repository,
                           v[i].digest);
            }
        }
    } while (rc == HV_OK && n == BATCH);
    return rc;
}

static hv_err unlink_orphans(hv_ctx *ctx, gc_run *g) {
    int64_t after_project = 0;
    const char *after_digest = "";
    hv_gc_link *v;
    size_t n;
    hv_err rc;

    do {
        rc = hv_model_gc_orphan_links(&v, &n, ctx, g->cutoff, after_project, after_digest, BATCH);
        for (size_t i = 0; rc == HV_OK && i < n; i++) {
            bool done = false;
            if (hv_job_stopping(g->job))
                return stopped(ctx, g->job);
            after_project = v[i].project_id;
            after_digest = v[i].digest;
            rc = hv_registry_gc_unlink_orphan(&done, ctx, &v[i], g->cutoff);
            g->c.links += done;
        }
    } while (rc == HV_OK && n == BATCH);
    return rc;
}

typedef struct blob_tx {
    const char **digests;
    const int64_t *sizes;
    size_t n;
    int64_t cutoff;
    counts found; /* what this transaction deleted, added to c once it commits */
} blob_tx;

static hv_err delete_blob_rows(hv_ctx *ctx, void *payload) {
    blob_tx *b = payload;
    hv_err rc = HV_OK;

    memset(&b->found, 0, sizeof(b->found));
    for (size_t i = 0; rc == HV_OK && i < b->n; i++) {
        bool done = false;
        rc = hv_model_gc_delete_blob(&done, ctx, b->digests[i], b->cutoff);
        if (rc == HV_OK && done) {
            b->found.blobs++;
            b->found.bytes += b->sizes[i];
        }
    }
    return rc;
}

/* Blob rows in transactions of a few each, so that a push waits for none of them long. */
#define BLOBS_PER_TX 250

static hv_err delete_blobs(hv_ctx *ctx, gc_run *g) {
    const char *after = "";
    const char **digests;
    int64_t *sizes;
    size_t n;
    hv_err rc;

    do {
        rc = hv_model_gc_garbage_blobs(&digests, &sizes, &n, ctx, g->cutoff, after, BATCH);
        for (size_t i = 0; rc == HV_OK && i < n; i += BLOBS_PER_TX) {
            blob_tx b = {.digests = digests + i,
                         .sizes = sizes + i,
                         .n = n - i < BLOBS_PER_TX ? n - i : BLOBS_PER_TX,
                         .cutoff = g->cutoff};
            if (hv_job_stopping(g->job))
                return stopped(ctx, g->job);
            rc = hv_events_transaction(ctx, delete_blob_rows, &b);
            if (rc == HV_OK) {
                g->c.blobs += b.found.blobs;
                g->c.bytes += b.found.bytes;
            }
            after = digests[i + b.n - 1];
        }
    } while (rc == HV_OK && n == BATCH);
    return rc;
}

/* ---------------------------------------------------------------- removing bytes */

/* The blobs of one transaction, removed from the store by up to `workers` threads at once. */
typedef struct removal {
    const char **digests;
    size_t n;
    atomic_size_t next; /* the next digest a thread takes */
    pthread_mutex_t lock;
    hv_error err; /* the first failure; code HV_OK while there is none */
} removal;

static void *remove_some(void *arg) {
    removal *r = arg;
    hv_ctx ctx = {.arena = hv_arena_new(), .actor = "gc"};
    size_t i;

    while ((i = atomic_fetch_add(&r->next, 1)) < r->n) {
        hv_err rc = hv_blob_remove(config.blobs, &ctx, r->digests[i]);
        if (rc == HV_E_BLOB_UNKNOWN) /* removed by a run that crashed before its commit */
            rc = HV_OK;
        if (rc) {
            pthread_mutex_lock(&r->lock);
            if (r->err.code == HV_OK)
                r->err = ctx.err;
            pthread_mutex_unlock(&r->lock);
            hv_error_clear(&ctx);
        }
    }
    hv_arena_free(ctx.arena);
    return NULL;
}

/* Removes digests[0..n) from the store: this thread and workers - 1 more.  A thread that
 * cannot be started leaves its share to the others. */
static hv_err remove_all(hv_ctx *ctx, const char **digests, size_t n, int64_t workers) {
    removal r = {.digests = digests, .n = n};
    pthread_t threads[HV_GC_WORKERS_MAX];
    int64_t started = 0;

    atomic_init(&r.next, 0);
    pthread_mutex_init(&r.lock, NULL);
    for (int64_t i = 1; i < workers && (size_t)i < n; i++)
        if (pthread_create(&threads[started], NULL, remove_some, &r) == 0)
            started++;
    remove_some(&r);
    for (int64_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&r.lock);
    if (r.err.code == HV_OK)
        return HV_OK;
    ctx->err = r.err;
    return r.err.code;
}

typedef struct tombstone_tx {
    const char **digests;
    size_t n;
    int64_t workers;
    size_t removed;
} tombstone_tx;

/* The bytes go while their tombstones are locked: a push of one of the digests, which takes
 * the tombstone back before it places its bytes, waits until they are gone. */
static hv_err remove_bytes(hv_ctx *ctx, void *payload) {
    tombstone_tx *t = payload;
    const char **claimed = hv_arena_alloc(ctx->arena, t->n * sizeof(*claimed));
    size_t n = 0;
    hv_err rc = HV_OK;

    t->removed = 0;
    for (size_t i = 0; rc == HV_OK && i < t->n; i++) {
        bool mine = false;
        rc = hv_model_gc_tombstone_claim(&mine, ctx, t->digests[i]);
        if (rc == HV_OK && mine)
            claimed[n++] = t->digests[i];
    }
    if (rc == HV_OK)
        rc = remove_all(ctx, claimed, n, t->workers);
    for (size_t i = 0; rc == HV_OK && i < n; i++)
        rc = hv_model_gc_tombstone_done(ctx, claimed[i]);
    if (rc == HV_OK)
        t->removed = n;
    return rc;
}

/* Tombstones per transaction and worker: a push of one of their digests waits for the
 * removal of about this many blobs. */
#define TOMBSTONES_PER_WORKER 32

static hv_err remove_tombstones(hv_ctx *ctx, gc_run *g) {
    const char *after = "";
    const char **digests;
    size_t n, per_tx = (size_t)(TOMBSTONES_PER_WORKER * g->workers);
    hv_err rc;

    do {
        rc = hv_model_gc_tombstones(&digests, &n, ctx, after, BATCH);
        for (size_t i = 0; rc == HV_OK && i < n; i += per_tx) {
            tombstone_tx t = {.digests = digests + i,
                              .n = n - i < per_tx ? n - i : per_tx,
                              .workers = g->workers};
            if (hv_job_stopping(g->job))
                return stopped(ctx, g->job);
            rc = hv_events_transaction(ctx, remove_bytes, &t);
            g->c.removed += (int64_t)t.removed;
            after = digests[i + t.n - 1];
        }
    } while (rc == HV_OK && n == BATCH);
    return rc;
}

static bool flag(json_t *params, const char *name) {
    json_t *v = json_object_get(params, name);

    return json_is_true(v) || (json_is_string(v) && strcmp(json_string_value(v), "true") == 0);
}

typedef hv_err (*step_fn)(hv_ctx *ctx, gc_run *g);

/* Runs one step and logs how long it took. */
static hv_err step(hv_ctx *ctx, gc_run *g, const char *name, step_fn fn) {
    uint64_t t0 = hv_mono_ns();
    hv_err rc = fn(ctx, g);

    if (rc == HV_OK)
        hv_job_log(g->job, HV_LOG_INFO, "%s: %.3f s", name, (double)(hv_mono_ns() - t0) / 1e9);
    return rc;
}

/* The number of workers the parameters name (checked when the run or its schedule was set;
 * held to 1..HV_GC_WORKERS_MAX all the same, 1 when absent). */
static int64_t workers_of(json_t *params) {
    json_t *v = json_object_get(params, "workers");
    json_int_t n = json_is_integer(v) ? json_integer_value(v) : 1;

    return n < 1 ? 1 : n > HV_GC_WORKERS_MAX ? HV_GC_WORKERS_MAX : (int64_t)n;
}

static hv_err run(hv_ctx *ctx, hv_job *job, void *arg) {
    json_t *params = json_loads(hv_job_params(job), 0, NULL);
    bool untagged = flag(params, "delete_untagged"), dry_run = flag(params, "dry_run");
    gc_run g = {.job = job, .cutoff = hv_now_ms() - config.grace_ms, .workers = workers_of(params)};
    uint64_t t0 = hv_mono_ns();
    hv_err rc = HV_OK;

    (void)arg;
    json_decref(params);
    hv_job_log(job, HV_LOG_INFO, "start to run gc in job.");
    hv_job_log(job, HV_LOG_INFO,
               "parameters: delete_untagged=%s, dry_run=%s, workers=%lld, grace period %lld s "
               "(blobs last referenced before then are collected), storage %s",
               untagged ? "true" : "false", dry_run ? "true" : "false", (long long)g.workers,
               (long long)(config.grace_ms / 1000), hv_blob_driver_name(config.blobs));
    if (dry_run) {
        rc = hv_model_gc_estimate(&g.c.artifacts, &g.c.blobs, &g.c.bytes, ctx, g.cutoff, untagged);
        if (rc == HV_OK)
            hv_job_log(job, HV_LOG_INFO,
                       "dry run, nothing deleted: would delete %lld artifact(s) and %lld blob(s), "
                       "freeing %lld byte(s)",
                       (long long)g.c.artifacts, (long long)g.c.blobs, (long long)g.c.bytes);
    } else {
        /* first what a crashed or stopped run left, then this run's own */
        rc = step(ctx, &g, "blob files left by an earlier run removed", remove_tombstones);
        if (rc == HV_OK && untagged)
            rc = step(ctx, &g, "untagged artifacts deleted", delete_untagged);
        if (rc == HV_OK)
            rc = step(ctx, &g, "unused project links released", unlink_orphans);
        if (rc == HV_OK)
            rc = step(ctx, &g, "garbage blob records deleted", delete_blobs);
        if (rc == HV_OK)
            rc = step(ctx, &g, "blob files removed", remove_tombstones);
        if (rc == HV_OK)
            hv_job_log(job, HV_LOG_INFO,
                       "deleted %lld artifact(s) and %lld blob(s), freeing %lld byte(s); %lld "
                       "unused project link(s) released, %lld blob file(s) removed from storage",
                       (long long)g.c.artifacts, (long long)g.c.blobs, (long long)g.c.bytes,
                       (long long)g.c.links, (long long)g.c.removed);
    }
    if (rc == HV_OK)
        hv_job_log(job, HV_LOG_INFO, "GC job ran successfully. Total time: %.3f s",
                   (double)(hv_mono_ns() - t0) / 1e9);
    return rc;
}

static const hv_job_kind kind = {
    .name = HV_GC_VENDOR, .run = run, .max_attempts = 3, .backoff_ms = 5000, .alone = true};

void hv_gc_init(const hv_gc_config *cfg) {
    config = *cfg;
    hv_jobs_register(&kind);
}

/* The parameters as the job and the execution keep them (malloc'd). */
static char *params_json(const hv_gc_params *p) {
    json_t *o = json_pack("{s:b, s:b, s:I}", "delete_untagged", p->delete_untagged, "dry_run",
                          p->dry_run, "workers", (json_int_t)p->workers);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);

    json_decref(o);
    return s;
}

static hv_err check(hv_ctx *ctx, const hv_gc_params *p) {
    if (p->workers < 1 || p->workers > HV_GC_WORKERS_MAX)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "workers must be between 1 and %d, not %lld",
                       HV_GC_WORKERS_MAX, (long long)p->workers);
    return HV_OK;
}

hv_err hv_gc_start(int64_t *out_id, hv_ctx *ctx, const hv_gc_params *p) {
    char *params;
    hv_err rc = check(ctx, p);

    if (rc)
        return rc;
    params = params_json(p);
    rc = hv_jobs_execution_start(out_id, ctx, HV_GC_VENDOR, 0, "MANUAL", HV_GC_VENDOR, params);
    free(params);
    if (rc == HV_E_CONFLICT)
        rc = HV_FAIL(ctx, rc,
                     "a garbage collection is already running; stop it or wait until it ends");
    return rc;
}

hv_err hv_gc_schedule(hv_ctx *ctx, const char *type, const char *cron, const hv_gc_params *p) {
    char *params;
    hv_err rc;

    if (type && strcmp(type, "None") == 0)
        return hv_jobs_schedule_delete(ctx, HV_GC_VENDOR, 0);
    rc = check(ctx, p);
    if (rc)
        return rc;
    params = params_json(p);
    rc = hv_jobs_schedule_put(ctx, HV_GC_VENDOR, 0, type, cron, params);
    free(params);
    return rc;
}
