/*
 * The job queue and its engine on a real database (SQLite, or PostgreSQL under
 * HAVEN_TEST_POSTGRES): claims in order, nothing claimed twice, a lease that runs out taken
 * over by another pool (whose predecessor then changes nothing), paused queues, stops,
 * executions following their tasks, schedules moved on once; then the engine itself running
 * a registered kind with retries and a log.
 */
#include "db/db.h"
#include "dbtest.h"
#include "jobs/jobs.h"
#include "test.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char root[] = "/tmp/haven-jobs-test-XXXXXX";
static char target[512];
static hv_db *db;

static hv_ctx new_ctx(void) {
    hv_ctx ctx = {.arena = hv_arena_new(), .db = db, .actor = "test"};
    return ctx;
}

static void setup(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};

    if (!mkdtemp(root))
        abort();
    test_db_target(target, sizeof(target), root);
    CHECK_INT(hv_db_open(&db, &ctx, target), HV_OK);
    ctx.db = db;
    CHECK_INT(hv_db_migrate(db, &ctx), HV_OK);
    hv_arena_free(ctx.arena);
}

static void teardown(void) {
    char cmd[160];

    hv_db_close(db);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

static bool claim(hv_job_row *out, hv_ctx *ctx, const char *owner, int64_t lease_ms) {
    bool found = false;

    CHECK_INT(hv_db_begin(db, ctx), HV_OK);
    CHECK_INT(hv_model_job_claim(out, &found, ctx, owner, 0, hv_now_ms(), lease_ms), HV_OK);
    CHECK_INT(hv_db_commit(db, ctx), HV_OK);
    return found;
}

static void test_claims_and_leases(void) {
    hv_ctx ctx = new_ctx();
    hv_job_row j;
    int64_t a, b, x;
    bool held, stop;
    hv_execution e;

    CHECK_INT(hv_model_execution_add(&x, &ctx, "UNIT", 0, "MANUAL", "{}", false), HV_OK);
    CHECK_INT(hv_model_job_add(&a, &ctx, "K", "{\"n\":1}", 2, hv_now_ms(), x), HV_OK);
    CHECK_INT(hv_model_job_add(&b, &ctx, "K", "{}", 2, hv_now_ms() + 3600000, 0), HV_OK);
    /* the ready one; the other waits for its run_after */
    CHECK(claim(&j, &ctx, "pool-a", 60000));
    CHECK_INT(j.id, a);
    CHECK_STR(j.state, "Running");
    CHECK_STR(j.params, "{\"n\":1}");
    CHECK_INT(j.attempts, 1);
    CHECK(!claim(&j, &ctx, "pool-b", 60000));
    CHECK_INT(hv_model_execution_refresh(&ctx, x), HV_OK);
    CHECK_INT(hv_model_execution_get(&e, &ctx, x, "UNIT"), HV_OK);
    CHECK_STR(e.status, "Running");
    CHECK_INT(e.running, 1);
    CHECK_INT(hv_model_execution_get(&e, &ctx, x, "OTHER"), HV_E_NOT_FOUND);
    hv_error_clear(&ctx);
    /* the lease runs out: another pool takes the job; the first one no longer holds it */
    CHECK_INT(hv_model_job_renew(&held, &stop, &ctx, a, "pool-a", hv_now_ms() - 1), HV_OK);
    CHECK(held && !stop);
    CHECK(claim(&j, &ctx, "pool-b", 60000));
    CHECK_INT(j.id, a);
    CHECK_INT(j.attempts, 2);
    CHECK_STR(j.lease_owner, "pool-b");
    CHECK_INT(hv_model_job_renew(&held, &stop, &ctx, a, "pool-a", hv_now_ms() + 1000), HV_OK);
    CHECK(!held);
    CHECK_INT(hv_model_job_finish(&held, &ctx, a, "pool-a", "Error", "late", 0), HV_OK);
    CHECK(!held);
    /* a stop request reaches the holder with its next renewal */
    CHECK_INT(hv_model_job_stop_execution(&ctx, x), HV_OK);
    CHECK_INT(hv_model_job_renew(&held, &stop, &ctx, a, "pool-b", hv_now_ms() + 1000), HV_OK);
    CHECK(held && stop);
    CHECK_INT(hv_model_job_finish(&held, &ctx, a, "pool-b", "Stopped", "", 0), HV_OK);
    CHECK(held);
    CHECK_INT(hv_model_execution_refresh(&ctx, x), HV_OK);
    CHECK_INT(hv_model_execution_get(&e, &ctx, x, NULL), HV_OK);
    CHECK_STR(e.status, "Stopped");
    CHECK(e.end_time > 0);
    /* the waiting job is stopped at once */
    CHECK_INT(hv_model_job_stop_kind(&ctx, "K"), HV_OK);
    CHECK_INT(hv_model_job_get(&j, &ctx, b), HV_OK);
    CHECK_STR(j.state, "Stopped");
    hv_arena_free(ctx.arena);
}

/* An `alone` execution shuts out a second one of its vendor until it ends; others are free. */
static void test_alone_executions(void) {
    hv_ctx ctx = new_ctx();
    int64_t x, y, z;
    bool busy;

    CHECK_INT(hv_model_execution_add(&x, &ctx, "ALONE", 7, "MANUAL", "{}", true), HV_OK);
    CHECK_INT(hv_model_execution_add(&y, &ctx, "ALONE", 7, "SCHEDULE", "{}", true), HV_E_CONFLICT);
    CHECK(strstr(ctx.err.message, "already Pending or Running") != NULL);
    hv_error_clear(&ctx);
    CHECK_INT(hv_model_execution_busy(&busy, &ctx, "ALONE", 7), HV_OK);
    CHECK(busy);
    CHECK_INT(hv_model_execution_busy(&busy, &ctx, "ALONE", 8), HV_OK);
    CHECK(!busy);
    CHECK_INT(hv_model_execution_add(&y, &ctx, "ALONE", 8, "MANUAL", "{}", true), HV_OK);
    CHECK_INT(hv_model_execution_add(&z, &ctx, "ALONE", 7, "MANUAL", "{}", false), HV_OK);
    /* without tasks it is Success at once: the vendor may run again */
    CHECK_INT(hv_model_execution_refresh(&ctx, x), HV_OK);
    CHECK_INT(hv_model_execution_busy(&busy, &ctx, "ALONE", 7), HV_OK);
    CHECK(!busy);
    CHECK_INT(hv_model_execution_add(&z, &ctx, "ALONE", 7, "MANUAL", "{}", true), HV_OK);
    hv_arena_free(ctx.arena);
}

static void test_paused_retry_release(void) {
    hv_ctx ctx = new_ctx();
    hv_job_row j;
    int64_t id;
    bool held, paused;

    CHECK_INT(hv_model_job_add(&id, &ctx, "P", "{}", 3, hv_now_ms(), 0), HV_OK);
    CHECK_INT(hv_model_job_queue_set_paused(&ctx, "P", true), HV_OK);
    CHECK_INT(hv_model_job_queue_paused(&paused, &ctx, "P"), HV_OK);
    CHECK(paused);
    CHECK(!claim(&j, &ctx, "pool-a", 60000));
    CHECK_INT(hv_model_job_queue_set_paused(&ctx, "P", false), HV_OK);
    CHECK(claim(&j, &ctx, "pool-a", 60000));
    /* a retry waits for its time; a release gives the attempt back */
    CHECK_INT(
        hv_model_job_finish(&held, &ctx, id, "pool-a", "Pending", "boom", hv_now_ms() + 100000),
        HV_OK);
    CHECK(held);
    CHECK(!claim(&j, &ctx, "pool-a", 60000));
    CHECK_INT(hv_model_job_get(&j, &ctx, id), HV_OK);
    CHECK_STR(j.status_message, "boom");
    CHECK_INT(hv_model_job_add(&id, &ctx, "P", "{}", 3, hv_now_ms(), 0), HV_OK);
    CHECK(claim(&j, &ctx, "pool-a", 60000));
    CHECK_INT(hv_model_job_release(&held, &ctx, id, "pool-a"), HV_OK);
    CHECK(held);
    CHECK(claim(&j, &ctx, "pool-b", 60000));
    CHECK_INT(j.id, id);
    CHECK_INT(j.attempts, 1);
    hv_arena_free(ctx.arena);
}

static void test_schedule_fires_once(void) {
    hv_ctx ctx = new_ctx();
    hv_schedule s;
    bool won;

    CHECK_INT(hv_jobs_schedule_put(&ctx, "UNIT", 7, "Custom", "0 0 1 * * *", "{}"), HV_OK);
    CHECK_INT(hv_jobs_schedule_get(&s, &ctx, "UNIT", 7), HV_OK);
    CHECK_STR(s.cron, "0 0 1 * * *");
    CHECK(s.next_fire_at > hv_now_ms());
    CHECK_INT(hv_model_schedule_advance(&won, &ctx, s.id, s.next_fire_at, s.next_fire_at + 1),
              HV_OK);
    CHECK(won);
    CHECK_INT(hv_model_schedule_advance(&won, &ctx, s.id, s.next_fire_at, s.next_fire_at + 2),
              HV_OK);
    CHECK(!won);
    CHECK_INT(hv_jobs_schedule_put(&ctx, "UNIT", 7, "Custom", "61 * * * * *", "{}"),
              HV_E_BAD_REQUEST);
    CHECK(strstr(ctx.err.message, "invalid cron") != NULL);
    hv_error_clear(&ctx);
    CHECK_INT(hv_jobs_schedule_put(&ctx, "UNIT", 7, "Yearly", "", "{}"), HV_E_BAD_REQUEST);
    hv_error_clear(&ctx);
    CHECK_INT(hv_jobs_schedule_delete(&ctx, "UNIT", 7), HV_OK);
    CHECK_INT(hv_jobs_schedule_get(&s, &ctx, "UNIT", 7), HV_E_NOT_FOUND);
    hv_arena_free(ctx.arena);
}

static atomic_int runs;

static hv_err flaky(hv_ctx *ctx, hv_job *job, void *arg) {
    (void)arg;
    atomic_fetch_add(&runs, 1);
    hv_job_log(job, HV_LOG_INFO, "run %d", hv_job_attempt(job));
    if (hv_job_attempt(job) < 2)
        return HV_FAIL(ctx, HV_E_IO, "first run fails");
    return HV_OK;
}

static const hv_job_kind flaky_kind = {
    .name = "UNIT_FLAKY", .run = flaky, .max_attempts = 3, .backoff_ms = 10};

static hv_err open_db(struct hv_db **out, void *payload) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_err rc = hv_db_open(out, &ctx, payload);

    hv_arena_free(ctx.arena);
    return rc;
}

static void test_engine(void) {
    hv_ctx ctx = new_ctx();
    hv_jobs_config cfg = {
        .workers = 2, .poll_ms = 20, .lease_ms = 3000, .open_db = open_db, .payload = target};
    hv_execution e = {0};
    const char *log = NULL;
    int64_t x = 0;

    hv_jobs_register(&flaky_kind);
    CHECK_INT(hv_jobs_start(&ctx, &cfg), HV_OK);
    CHECK_INT(hv_jobs_execution_start(&x, &ctx, "UNIT_FLAKY", 0, "MANUAL", "UNIT_FLAKY", NULL),
              HV_OK);
    for (int i = 0; i < 500; i++) {
        struct timespec ms10 = {0, 10000000};
        CHECK_INT(hv_jobs_execution_get(&e, &ctx, x, "UNIT_FLAKY"), HV_OK);
        if (strcmp(e.status, "Success") == 0)
            break;
        nanosleep(&ms10, NULL);
    }
    hv_jobs_stop();
    CHECK_STR(e.status, "Success");
    CHECK_INT(atomic_load(&runs), 2);
    CHECK_INT(hv_jobs_execution_log(&log, &ctx, x, "UNIT_FLAKY"), HV_OK);
    CHECK(log && strstr(log, "[INFO] run 1\n") &&
          strstr(log, "first run fails; retrying in 10 ms"));
    CHECK(log && strstr(log, "[INFO] run 2"));
    CHECK_INT(hv_jobs_enqueue(NULL, &ctx, "NO_SUCH_KIND", NULL, 0), HV_E_BAD_REQUEST);
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_claims_and_leases, test_alone_executions, test_paused_retry_release,
          test_schedule_fires_once, test_engine, teardown)
