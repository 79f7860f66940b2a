/*
 * The audit-log subscriber on a real SQLite database: each event type becomes the row a user
 * expects (resource, type, operation, who, when, project), unknown types are ignored, bad
 * payloads are refused without a row, and events published in a transaction reach the log
 * through the real event bus.  Also the list query: project scope, q, sort and paging.
 */
#include "audit/audit.h"
#include "db/db.h"
#include "events/events.h"
#include "model/model.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[] = "/tmp/haven-audit-test-XXXXXX";
static char db_path[128];
static hv_db *db;
static int64_t proj1;

static hv_ctx new_ctx(void) {
    hv_ctx ctx = {.arena = hv_arena_new(), .db = db, .actor = "tester"};
    return ctx;
}

static void setup(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};

    if (!mkdtemp(root))
        abort();
    snprintf(db_path, sizeof(db_path), "%s/haven.db", root);
    CHECK_INT(hv_db_open(&db, &ctx, db_path), HV_OK);
    ctx.db = db;
    CHECK_INT(hv_db_migrate(db, &ctx), HV_OK);
    hv_user owner = {.username = "owner", .email = "owner@example.com", .password_hash = "x"};
    int64_t owner_id = 0;
    CHECK_INT(hv_model_user_create(&owner_id, &ctx, &owner), HV_OK);
    CHECK_INT(hv_model_project_create(&proj1, &ctx, "proj1", false, owner_id), HV_OK);
    CHECK(proj1 > 0);
    hv_arena_free(ctx.arena);
}

static void teardown(void) {
    char cmd[160];

    hv_db_close(db);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

/* All rows, oldest first (by id). */
static hv_audit_log *rows(hv_ctx *ctx, size_t *n, int64_t project_id) {
    hv_list list = {.sort = "id", .page = 1, .page_size = 0};
    hv_audit_log *out = NULL;
    int64_t total = -1;

    CHECK_INT(hv_model_audit_list(&out, n, &total, ctx, &list, project_id), HV_OK);
    CHECK_INT(total, (int64_t)*n);
    return out;
}

static void check_row(const hv_audit_log *e, const char *username, const char *resource,
                      const char *type, const char *operation, int64_t project_id) {
    CHECK_STR(e->username, username);
    CHECK_STR(e->resource, resource);
    CHECK_STR(e->resource_type, type);
    CHECK_STR(e->operation, operation);
    CHECK_INT(e->project_id, project_id);
}

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_events_become_rows(void) {
    hv_ctx ctx = new_ctx();
    hv_audit_log *v;
    size_t n;

    CHECK_INT(hv_audit_record(&ctx, "artifact.pushed",
                              "{\"repository\":\"proj1/app\",\"digest\":\"" DIGEST "\","
                              "\"media_type\":\"application/vnd.oci.image.manifest.v1+json\","
                              "\"operator\":\"alice\",\"occur_at\":1700000000123}"),
              HV_OK);
    CHECK_INT(hv_audit_record(&ctx, "tag.created",
                              "{\"repository\":\"proj1/app\",\"tag\":\"v1\",\"digest\":\"" DIGEST
                              "\",\"operator\":\"alice\",\"occur_at\":1700000000124}"),
              HV_OK);
    CHECK_INT(hv_audit_record(&ctx, "artifact.pulled",
                              "{\"repository\":\"proj1/app\",\"tag\":\"v1\",\"digest\":\"" DIGEST
                              "\",\"operator\":\"robot$proj1+ci\",\"occur_at\":1700000001000}"),
              HV_OK);
    CHECK_INT(hv_audit_record(&ctx, "artifact.pulled",
                              "{\"repository\":\"proj1/app\",\"digest\":\"" DIGEST
                              "\",\"operator\":\"anonymous\",\"occur_at\":1700000002000}"),
              HV_OK);
    CHECK_INT(hv_audit_record(&ctx, "tag.deleted",
                              "{\"repository\":\"proj1/app\",\"tag\":\"v1\",\"digest\":\"" DIGEST
                              "\",\"operator\":\"bob\",\"occur_at\":1700000003000}"),
              HV_OK);
    CHECK_INT(hv_audit_record(&ctx, "artifact.deleted",
                              "{\"repository\":\"proj1/app\",\"digest\":\"" DIGEST
                              "\",\"operator\":\"bob\",\"occur_at\":1700000003001}"),
              HV_OK);
    CHECK_INT(hv_audit_record(&ctx, "project.created",
                              "{\"project\":\"proj1\",\"resource\":\"proj1\","
                              "\"operator\":\"admin\",\"occur_at\":1699999999000}"),
              HV_OK);
    CHECK_INT(hv_audit_record(&ctx, "robot.created",
                              "{\"robot\":\"robot$proj1+ci\",\"project\":\"proj1\","
                              "\"operator\":\"admin\",\"occur_at\":1700000000500}"),
              HV_OK);
    /* a system robot, and a project deleted before delivery: no project */
    CHECK_INT(hv_audit_record(&ctx, "robot.deleted",
                              "{\"robot\":\"robot$ops\",\"operator\":\"admin\","
                              "\"occur_at\":1700000004000}"),
              HV_OK);
    CHECK_INT(hv_audit_record(&ctx, "project.deleted",
                              "{\"project\":\"gone\",\"resource\":\"gone\",\"operator\":\"admin\","
                              "\"occur_at\":1700000005000}"),
              HV_OK);
    CHECK_INT(hv_audit_record(&ctx, "repository.deleted",
                              "{\"repository\":\"gone/app\",\"operator\":\"admin\","
                              "\"occur_at\":1700000005001}"),
              HV_OK);

    v = rows(&ctx, &n, 0);
    CHECK_INT(n, 11);
    if (n == 11) {
        check_row(&v[0], "alice", "proj1/app@" DIGEST, "artifact", "create", proj1);
        CHECK_INT(v[0].op_time, 1700000000123);
        check_row(&v[1], "alice", "proj1/app:v1", "tag", "create", proj1);
        check_row(&v[2], "robot$proj1+ci", "proj1/app:v1", "artifact", "pull", proj1);
        check_row(&v[3], "anonymous", "proj1/app@" DIGEST, "artifact", "pull", proj1);
        check_row(&v[4], "bob", "proj1/app:v1", "tag", "delete", proj1);
        check_row(&v[5], "bob", "proj1/app@" DIGEST, "artifact", "delete", proj1);
        check_row(&v[6], "admin", "proj1", "project", "create", proj1);
        check_row(&v[7], "admin", "robot$proj1+ci", "robot", "create", proj1);
        check_row(&v[8], "admin", "robot$ops", "robot", "delete", 0);
        check_row(&v[9], "admin", "gone", "project", "delete", 0);
        check_row(&v[10], "admin", "gone/app", "repository", "delete", 0);
    }
    hv_arena_free(ctx.arena);
}

static void test_ignored_and_refused(void) {
    hv_ctx ctx = new_ctx();
    size_t before, after;

    rows(&ctx, &before, 0);
    /* not an audited type: ignored */
    CHECK_INT(hv_audit_record(&ctx, "scan.completed", "{\"repository\":\"proj1/app\"}"), HV_OK);
    /* malformed or incomplete payloads: refused, nothing written */
    CHECK_INT(hv_audit_record(&ctx, "artifact.pushed", "not json"), HV_E_BAD_REQUEST);
    hv_error_clear(&ctx);
    CHECK_INT(hv_audit_record(&ctx, "artifact.pushed", "[1,2]"), HV_E_BAD_REQUEST);
    hv_error_clear(&ctx);
    CHECK_INT(hv_audit_record(&ctx, "artifact.pushed", "{\"repository\":\"proj1/app\"}"),
              HV_E_BAD_REQUEST);
    hv_error_clear(&ctx);
    CHECK_INT(hv_audit_record(&ctx, "tag.created", "{\"repository\":\"proj1/app\"}"),
              HV_E_BAD_REQUEST);
    hv_error_clear(&ctx);
    CHECK_INT(hv_audit_record(&ctx, "robot.created", "{\"project\":\"proj1\"}"), HV_E_BAD_REQUEST);
    hv_error_clear(&ctx);
    rows(&ctx, &after, 0);
    CHECK_INT(after, before);

    /* no operator, no time: anonymous, now */
    int64_t t0 = hv_now_ms();
    CHECK_INT(hv_audit_record(&ctx, "tag.created",
                              "{\"repository\":\"proj1/x\",\"tag\":\"t\",\"digest\":\"" DIGEST
                              "\"}"),
              HV_OK);
    hv_audit_log *v = rows(&ctx, &after, 0);
    CHECK_INT(after, before + 1);
    if (after == before + 1) {
        check_row(&v[after - 1], "anonymous", "proj1/x:t", "tag", "create", proj1);
        CHECK(v[after - 1].op_time >= t0 && v[after - 1].op_time <= hv_now_ms());
    }
    hv_arena_free(ctx.arena);
}

static void test_list_queries(void) {
    hv_ctx ctx = new_ctx();
    hv_audit_log *v = NULL;
    size_t n = 0;
    int64_t total = 0;
    const char *pull[] = {"pull"};
    const char *range[] = {"2023-11-14T22:13:21", "2023-11-14T22:13:22"};
    const char *fuzzy[] = {"robot"};
    hv_query_term t_pull = {.key = "operation", .op = HV_Q_EXACT, .values = pull, .n_values = 1};
    hv_query_term t_range = {.key = "op_time", .op = HV_Q_RANGE, .values = range, .n_values = 2};
    hv_query_term t_fuzzy = {.key = "username", .op = HV_Q_FUZZY, .values = fuzzy, .n_values = 1};
    hv_query_term t_bad = {.key = "password", .op = HV_Q_EXACT, .values = pull, .n_values = 1};
    hv_list list = {.terms = &t_pull, .n_terms = 1, .page = 1, .page_size = 10};

    /* pulls, newest first by default */
    CHECK_INT(hv_model_audit_list(&v, &n, &total, &ctx, &list, 0), HV_OK);
    CHECK_INT(total, 2);
    CHECK_INT(n, 2);
    if (n == 2) {
        CHECK_STR(v[0].username, "anonymous");
        CHECK_STR(v[1].username, "robot$proj1+ci");
    }
    /* sorted oldest first */
    list.sort = "op_time";
    CHECK_INT(hv_model_audit_list(&v, &n, &total, &ctx, &list, 0), HV_OK);
    if (n == 2)
        CHECK_STR(v[0].username, "robot$proj1+ci");

    /* a time range: 2023-11-14T22:13:21Z = 1700000001000 ms .. 22 = 1700000002000 */
    list = (hv_list){.terms = &t_range, .n_terms = 1, .page = 1, .page_size = 10};
    CHECK_INT(hv_model_audit_list(&v, &n, &total, &ctx, &list, 0), HV_OK);
    CHECK_INT(total, 2);

    /* fuzzy on username */
    list = (hv_list){.terms = &t_fuzzy, .n_terms = 1, .page = 1, .page_size = 10};
    CHECK_INT(hv_model_audit_list(&v, &n, &total, &ctx, &list, 0), HV_OK);
    CHECK_INT(total, 1);

    /* paging: total is the whole match, the page is page_size rows */
    list = (hv_list){.page = 2, .page_size = 3};
    CHECK_INT(hv_model_audit_list(&v, &n, &total, &ctx, &list, proj1), HV_OK);
    CHECK_INT(total, 9); /* 8 of the first test + one of the second */
    CHECK_INT(n, 3);
    list.page = 4;
    CHECK_INT(hv_model_audit_list(&v, &n, &total, &ctx, &list, proj1), HV_OK);
    CHECK_INT(n, 0);

    /* a key that is not a column */
    list = (hv_list){.terms = &t_bad, .n_terms = 1, .page = 1, .page_size = 10};
    CHECK_INT(hv_model_audit_list(&v, &n, &total, &ctx, &list, 0), HV_E_BAD_REQUEST);
    list = (hv_list){.sort = "-secret", .page = 1, .page_size = 10};
    hv_error_clear(&ctx);
    CHECK_INT(hv_model_audit_list(&v, &n, &total, &ctx, &list, 0), HV_E_BAD_REQUEST);
    hv_arena_free(ctx.arena);
}

static hv_err open_db(hv_db **out, void *payload) {
    hv_ctx ctx = {0};
    (void)payload;
    return hv_db_open(out, &ctx, db_path);
}

/* The real path: published in a transaction, delivered by the dispatcher thread. */
static void test_through_the_bus(void) {
    hv_ctx ctx = new_ctx();
    size_t before, after;
    hv_audit_log *v;

    rows(&ctx, &before, 0);
    hv_audit_init();
    CHECK_INT(hv_events_start(&ctx, open_db, NULL), HV_OK);
    ctx.actor = "carol";
    CHECK_INT(hv_db_begin(db, &ctx), HV_OK);
    /* a bad event first: logged, and the ones after it are still recorded */
    CHECK_INT(hv_events_publish(&ctx, "artifact.deleted", "{}"), HV_OK);
    CHECK_INT(hv_events_publish_fields(&ctx, "artifact.pushed", "repository", "proj1/bus", "digest",
                                       DIGEST, NULL),
              HV_OK);
    CHECK_INT(hv_db_commit(db, &ctx), HV_OK);
    hv_events_publish_volatile_fields(&ctx, "artifact.pulled", "repository", "proj1/bus", "digest",
                                      DIGEST, "tag", "latest", NULL);
    /* a rolled-back change leaves no trace */
    CHECK_INT(hv_db_begin(db, &ctx), HV_OK);
    CHECK_INT(hv_events_publish_fields(&ctx, "tag.created", "repository", "proj1/bus", "tag",
                                       "never", "digest", DIGEST, NULL),
              HV_OK);
    hv_db_rollback(db);
    hv_events_kick();
    hv_events_stop(); /* delivers what is pending */

    v = rows(&ctx, &after, 0);
    CHECK_INT(after, before + 2);
    if (after == before + 2) {
        /* the volatile queue is delivered before the outbox */
        const hv_audit_log *pull =
            strcmp(v[before].operation, "pull") == 0 ? &v[before] : &v[before + 1];
        const hv_audit_log *push = pull == &v[before] ? &v[before + 1] : &v[before];
        check_row(push, "carol", "proj1/bus@" DIGEST, "artifact", "create", proj1);
        check_row(pull, "carol", "proj1/bus:latest", "artifact", "pull", proj1);
    }
    hv_arena_free(ctx.arena);
}

/* Pulls come in thousands: their rows are written in batches (several multi-row INSERTs for
 * 300 of them), each as it would be alone. */
static void test_pulls_in_batches(void) {
    hv_ctx ctx = new_ctx();
    size_t before, after;
    hv_audit_log *v;
    char tag[16];

    rows(&ctx, &before, 0);
    CHECK_INT(hv_events_start(&ctx, open_db, NULL), HV_OK); /* subscribed by the test above */
    ctx.actor = "dave";
    for (int i = 0; i < 300; i++) {
        snprintf(tag, sizeof(tag), "t%d", i);
        hv_events_publish_volatile_fields(&ctx, "artifact.pulled", "repository",
                                          i % 2 ? "proj1/many" : "gone/many", "digest", DIGEST,
                                          "tag", tag, NULL);
    }
    hv_events_stop();
    v = rows(&ctx, &after, 0);
    CHECK_INT(after, before + 300);
    for (size_t i = 0; after == before + 300 && i < 300; i++) {
        snprintf(tag, sizeof(tag), "t%zu", i);
        check_row(&v[before + i], "dave",
                  hv_arena_printf(ctx.arena, "%s:%s", i % 2 ? "proj1/many" : "gone/many", tag),
                  "artifact", "pull", i % 2 ? proj1 : 0);
    }
    hv_arena_free(ctx.arena);
}

static void run_all(void) {
    setup();
    test_events_become_rows();
    test_ignored_and_refused();
    test_list_queries();
    test_through_the_bus();
    test_pulls_in_batches();
    teardown();
}

TEST_MAIN(run_all)
