/*
 * The PURGE_AUDIT_LOG job (audit.h says what it does) and the checks of its parameters.
 */
#include "audit/audit.h"
#include "jobs/jobs.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOUR_MS (3600 * INT64_C(1000))

static const char *const operations[] = {"create", "delete", "pull"};

/* Checks include_operations and writes it back canonical (each known operation once, in
 * the order above) into out[size]. */
static hv_err canonical_ops(char *out, size_t size, hv_ctx *ctx, const char *ops) {
    bool want[3] = {ops == NULL, ops == NULL, ops == NULL};
    size_t len = 0;

    for (const char *s = ops; s && *s;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s), i;
        while (n && *s == ' ')
            s++, n--;
        while (n && s[n - 1] == ' ')
            n--;
        for (i = 0; i < 3; i++) {
            if (strlen(operations[i]) == n && strncmp(operations[i], s, n) == 0)
                break;
        }
        if (i == 3)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "include_operations: \"%.*s\" is not an operation; use create, "
                           "delete and pull, separated by commas",
                           (int)n, s);
        want[i] = true;
        s = comma ? comma + 1 : s + n;
        if (!comma)
            break;
    }
    for (size_t i = 0; i < 3; i++) {
        if (want[i])
            len += (size_t)snprintf(out + len, size - len, "%s%s", len ? "," : "", operations[i]);
    }
    if (len == 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "include_operations names no operation; use create, delete and pull, "
                       "separated by commas");
    return HV_OK;
}

/* The parameters as the job and the execution keep them (malloc'd), or NULL after an error. */
static char *params_json(hv_ctx *ctx, const hv_audit_purge_params *p) {
    char ops[32];
    json_t *o;
    char *s;

    if (p->retention_hour < 1) {
        HV_FAIL(ctx, HV_E_BAD_REQUEST,
                "audit_retention_hour must be a number of hours of at least 1, not %lld",
                (long long)p->retention_hour);
        return NULL;
    }
    if (canonical_ops(ops, sizeof(ops), ctx, p->include_operations))
        return NULL;
    o = json_pack("{s:I, s:s, s:b}", "audit_retention_hour", (json_int_t)p->retention_hour,
                  "include_operations", ops, "dry_run", p->dry_run);
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

static hv_err run(hv_ctx *ctx, hv_job *job, void *arg) {
    json_t *params = json_loads(hv_job_params(job), 0, NULL);
    int64_t hours = (int64_t)json_integer_value(json_object_get(params, "audit_retention_hour"));
    const char *ops = json_string_value(json_object_get(params, "include_operations"));
    bool dry_run = json_is_true(json_object_get(params, "dry_run"));
    int64_t before = hv_now_ms() - hours * HOUR_MS, total = 0, batches = 0, n = 0;
    uint64_t t0 = hv_mono_ns();
    hv_err rc = HV_OK;

    (void)arg;
    if (hours < 1 || !ops) {
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "bad parameters: %s", hv_job_params(job));
        goto out;
    }
    ops = hv_arena_strdup(ctx->arena, ops);
    hv_job_log(job, HV_LOG_INFO,
               "purge audit log: rows older than %lld hour(s) with operation %s, dry_run=%s",
               (long long)hours, ops, dry_run ? "true" : "false");
    if (dry_run) {
        rc = hv_model_audit_purge_count(&total, ctx, before, ops);
        if (rc == HV_OK)
            hv_job_log(job, HV_LOG_INFO, "dry run, nothing deleted: would purge %lld row(s)",
                       (long long)total);
        goto out;
    }
    do {
        if (hv_job_stopping(job)) {
            hv_job_log(job, HV_LOG_INFO, "stop requested after purging %lld row(s)",
                       (long long)total);
            rc = HV_FAIL(ctx, HV_E_UNAVAILABLE, "the audit log purge was stopped");
            goto out;
        }
        rc = hv_model_audit_purge(&n, ctx, before, ops, HV_AUDIT_PURGE_BATCH);
        if (rc == HV_OK && n > 0) {
            total += n;
            batches++;
        }
    } while (rc == HV_OK && n == HV_AUDIT_PURGE_BATCH);
    if (rc == HV_OK)
        hv_job_log(job, HV_LOG_INFO, "purged %lld row(s) in %lld batch(es) in %.3f s",
                   (long long)total, (long long)batches, (double)(hv_mono_ns() - t0) / 1e9);
out:
    json_decref(params);
    return rc;
}

static const hv_job_kind kind = {.name = HV_AUDIT_PURGE_VENDOR,
                                 .run = run,
                                 .max_attempts = 3,
                                 .backoff_ms = 5000,
                                 .alone = true};

void hv_audit_purge_init(void) {
    hv_jobs_register(&kind);
}

hv_err hv_audit_purge_start(int64_t *out_id, hv_ctx *ctx, const hv_audit_purge_params *p) {
    char *params = params_json(ctx, p);
    hv_err rc = params ? hv_jobs_execution_start(out_id, ctx, HV_AUDIT_PURGE_VENDOR, 0, "MANUAL",
                                                 HV_AUDIT_PURGE_VENDOR, params)
                       : ctx->err.code;

    if (rc == HV_E_CONFLICT)
        rc = HV_FAIL(ctx, rc,
                     "an audit log purge is already running; stop it or wait until it ends");
    free(params);
    return rc;
}

hv_err hv_audit_purge_schedule(hv_ctx *ctx, const char *type, const char *cron,
                               const hv_audit_purge_params *p) {
    char *params;
    hv_err rc;

    if (type && strcmp(type, "None") == 0)
        return hv_jobs_schedule_delete(ctx, HV_AUDIT_PURGE_VENDOR, 0);
    params = params_json(ctx, p);
    if (!params)
        return ctx->err.code;
    rc = hv_jobs_schedule_put(ctx, HV_AUDIT_PURGE_VENDOR, 0, type, cron, params);
    free(params);
    return rc;
}
