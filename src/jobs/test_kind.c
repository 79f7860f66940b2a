/*
 * HAVEN_TEST_SLEEP, a job type for Haven's own tests (havend registers it only with the
 * setting test_job_kinds): it sleeps `ms` milliseconds in steps of 50, logging every 200,
 * returning early when asked to stop, and fails its first `fail` attempts.  Parameters:
 * {"ms": N, "fail": N}, both optional (0).
 */
#include "jobs/jobs.h"

#include <jansson.h>
#include <time.h>

static hv_err sleep_job(hv_ctx *ctx, hv_job *job, void *arg) {
    json_t *p = json_loads(hv_job_params(job), 0, NULL);
    int64_t ms = json_integer_value(json_object_get(p, "ms"));
    int64_t fail = json_integer_value(json_object_get(p, "fail"));
    struct timespec step = {0, 50 * 1000000};

    (void)arg;
    json_decref(p);
    for (int64_t slept = 0; slept < ms; slept += 50) {
        if (hv_job_stopping(job))
            return HV_FAIL(ctx, HV_E_UNAVAILABLE, "stopped after %lld ms", (long long)slept);
        if (slept % 200 == 0)
            hv_job_log(job, HV_LOG_INFO, "slept %lld of %lld ms", (long long)slept, (long long)ms);
        nanosleep(&step, NULL);
    }
    if (hv_job_attempt(job) <= fail)
        return HV_FAIL(ctx, HV_E_IO, "attempt %d fails on request", hv_job_attempt(job));
    hv_job_log(job, HV_LOG_INFO, "done");
    return HV_OK;
}

static const hv_job_kind test_sleep = {
    .name = "HAVEN_TEST_SLEEP", .run = sleep_job, .max_attempts = 3, .backoff_ms = 200};

void hv_jobs_register_test_kinds(void) {
    hv_jobs_register(&test_sleep);
}
