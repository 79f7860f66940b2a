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
#include <stdlib.h>
#include <string.h>

#define BATCH 500

static hv_gc_config config;

typedef struct counts {
    int64_t artifacts, links, blobs, bytes, removed;
} counts;

static hv_err stopped(hv_ctx *ctx, hv_job *job) {
    hv_job_log(job, HV_LOG_INFO, "stop requested: the next run finishes the work");
    return HV_FAIL(ctx, HV_E_UNAVAILABLE, "garbage collection was stopped");
}

static hv_err delete_untagged(hv_ctx *ctx, hv_job *job, counts *c) {
    int64_t after = 0;
    hv_gc_artifact *v;
    size_t n;
    hv_err rc;

    do {
        rc = hv_model_gc_untagged(&v, &n, ctx, after, BATCH);
        for (size_t i = 0; rc == HV_OK && i < n; i++) {
            bool deleted = false;
            if (hv_job_stopping(job))
                return stopped(ctx, job);
            after = v[i].id;
            rc = hv_registry_gc_delete_untagged(&deleted, ctx, &v[i]);
            if (rc == HV_E_POLICY) { /* immutable, or held by an index since */
                hv_job_log(job, HV_LOG_INFO, "kept %s@%s: %s", v[i].repository, v[i].digest,
                           ctx->err.message);
                hv_error_clear(ctx);
                rc = HV_OK;
            }
            if (rc == HV_OK && deleted) {
                c->artifacts++;
                hv_job_log(job, HV_LOG_INFO, "deleted untagged artifact %s@%s", v[i].repository,
                           v[i].digest);
            }
        }
    } while (rc == HV_OK && n == BATCH);
    return rc;
}

static hv_err unlink_orphans(hv_ctx *ctx, hv_job *job, int64_t cutoff, counts *c) {
    int64_t after_project = 0;
    const char *after_digest = "";
    hv_gc_link *v;
    size_t n;
    hv_err rc;

    do {
        rc = hv_model_gc_orphan_links(&v, &n, ctx, cutoff, after_project, after_digest, BATCH);
        for (size_t i = 0; rc == HV_OK && i < n; i++) {
            bool done = false;
            if (hv_job_stopping(job))
                return stopped(ctx, job);
            after_project = v[i].project_id;
            after_digest = v[i].digest;
            rc = hv_registry_gc_unlink_orphan(&done, ctx, &v[i], cutoff);
            c->links += done;
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
#define BLOBS_PER_TX 50

static hv_err delete_blobs(hv_ctx *ctx, hv_job *job, int64_t cutoff, counts *c) {
    const char *after = "";
    const char **digests;
    int64_t *sizes;
    size_t n;
    hv_err rc;

    do {
        rc = hv_model_gc_garbage_blobs(&digests, &sizes, &n, ctx, cutoff, after, BATCH);
        for (size_t i = 0; rc == HV_OK && i < n; i += BLOBS_PER_TX) {
            blob_tx b = {.digests = digests + i,
                         .sizes = sizes + i,
                         .n = n - i < BLOBS_PER_TX ? n - i : BLOBS_PER_TX,
                         .cutoff = cutoff};
            if (hv_job_stopping(job))
                return stopped(ctx, job);
            rc = hv_events_transaction(ctx, delete_blob_rows, &b);
            if (rc == HV_OK) {
                c->blobs += b.found.blobs;
                c->bytes += b.found.bytes;
            }
            after = digests[i + b.n - 1];
        }
    } while (rc == HV_OK && n == BATCH);
    return rc;
}

typedef struct tombstone_tx {
    const char *digest;
    bool removed;
} tombstone_tx;

/* The bytes go while the tombstone is locked: a push of the digest, which takes the
 * tombstone back before it places its bytes, waits until they are gone. */
static hv_err remove_bytes(hv_ctx *ctx, void *payload) {
    tombstone_tx *t = payload;
    bool claimed = false;
    hv_err rc = hv_model_gc_tombstone_claim(&claimed, ctx, t->digest);

    t->removed = false;
    if (rc || !claimed)
        return rc;
    rc = hv_blob_remove(config.blobs, ctx, t->digest);
    if (rc == HV_E_BLOB_UNKNOWN) { /* removed by a run that crashed before its commit */
        hv_error_clear(ctx);
        rc = HV_OK;
    }
    if (rc == HV_OK)
        rc = hv_model_gc_tombstone_done(ctx, t->digest);
    t->removed = rc == HV_OK;
    return rc;
}

static hv_err remove_tombstones(hv_ctx *ctx, hv_job *job, counts *c) {
    const char *after = "";
    const char **digests;
    size_t n;
    hv_err rc;

    do {
        rc = hv_model_gc_tombstones(&digests, &n, ctx, after, BATCH);
        for (size_t i = 0; rc == HV_OK && i < n; i++) {
            tombstone_tx t = {.digest = digests[i]};
            if (hv_job_stopping(job))
                return stopped(ctx, job);
            after = digests[i];
            rc = hv_events_transaction(ctx, remove_bytes, &t);
            c->removed += t.removed;
        }
    } while (rc == HV_OK && n == BATCH);
    return rc;
}

static bool flag(json_t *params, const char *name) {
    json_t *v = json_object_get(params, name);

    return json_is_true(v) || (json_is_string(v) && strcmp(json_string_value(v), "true") == 0);
}

static hv_err run(hv_ctx *ctx, hv_job *job, void *arg) {
    json_t *params = json_loads(hv_job_params(job), 0, NULL);
    bool untagged = flag(params, "delete_untagged"), dry_run = flag(params, "dry_run");
    int64_t cutoff = hv_now_ms() - config.grace_ms;
    uint64_t t0 = hv_mono_ns();
    counts c = {0};
    hv_err rc = HV_OK;

    (void)arg;
    json_decref(params);
    hv_job_log(job, HV_LOG_INFO, "start to run gc in job.");
    hv_job_log(job, HV_LOG_INFO,
               "parameters: delete_untagged=%s, dry_run=%s, grace period %lld s (blobs last "
               "referenced before then are collected), storage %s",
               untagged ? "true" : "false", dry_run ? "true" : "false",
               (long long)(config.grace_ms / 1000), hv_blob_driver_name(config.blobs));
    if (dry_run) {
        rc = hv_model_gc_estimate(&c.artifacts, &c.blobs, &c.bytes, ctx, cutoff, untagged);
        if (rc == HV_OK)
            hv_job_log(job, HV_LOG_INFO,
                       "dry run, nothing deleted: would delete %lld artifact(s) and %lld blob(s), "
                       "freeing %lld byte(s)",
                       (long long)c.artifacts, (long long)c.blobs, (long long)c.bytes);
    } else {
        /* first what a crashed or stopped run left, then this run's own */
        rc = remove_tombstones(ctx, job, &c);
        if (rc == HV_OK && untagged)
            rc = delete_untagged(ctx, job, &c);
        if (rc == HV_OK)
            rc = unlink_orphans(ctx, job, cutoff, &c);
        if (rc == HV_OK)
            rc = delete_blobs(ctx, job, cutoff, &c);
        if (rc == HV_OK)
            rc = remove_tombstones(ctx, job, &c);
        if (rc == HV_OK)
            hv_job_log(job, HV_LOG_INFO,
                       "deleted %lld artifact(s) and %lld blob(s), freeing %lld byte(s); %lld "
                       "unused project link(s) released, %lld blob file(s) removed from storage",
                       (long long)c.artifacts, (long long)c.blobs, (long long)c.bytes,
                       (long long)c.links, (long long)c.removed);
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
    if (p->workers < 1 || p->workers > 5)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "workers must be between 1 and 5, not %lld",
                       (long long)p->workers);
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
