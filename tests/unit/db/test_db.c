/*
 * The db interface, one test file for both engines: SQLite in a temporary directory, and
 * PostgreSQL when HAVEN_TEST_POSTGRES names a server (dbtest.h).  Placeholders (bare, numbered,
 * inside literals and comments), 64-bit integers, NULLs, blobs with NUL bytes, booleans read
 * as integers, constraint violations as HV_E_CONFLICT, row counts, RETURNING, rollback, the
 * migrations applied once, singletons, and the redaction of a URL's password.
 */
#include "db/db.h"
#include "dbtest.h"
#include "test.h"

#include <stdlib.h>
#include <unistd.h>

static char root[] = "/tmp/haven-db-test-XXXXXX";
static char target[512];
static hv_db *db;

static hv_ctx new_ctx(void) {
    hv_ctx ctx = {.arena = hv_arena_new(), .db = db};
    return ctx;
}

static void setup(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};

    if (!mkdtemp(root))
        abort();
    test_db_target(target, sizeof(target), root);
    CHECK_INT(hv_db_open(&db, &ctx, target), HV_OK);
    CHECK_INT(
        hv_db_exec(db, &ctx, "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT UNIQUE, n BIGINT)"),
        HV_OK);
    hv_arena_free(ctx.arena);
}

static void test_placeholders(void) {
    hv_ctx ctx = new_ctx();
    hv_stmt *st;
    bool row = false;
    /* '?' in a literal, a quoted name and comments is text; ?2 is reused; the bare ? after
     * ?2 is the third parameter, as SQLite numbers it */
    static const char *sql = "SELECT ?1 || '?' || ?2 AS \"a?b\", ?2 || ? /* ? */ -- ?\n";

    CHECK_INT(hv_db_prepare(&st, db, &ctx, sql), HV_OK);
    hv_stmt_bind_text(st, 1, "x");
    hv_stmt_bind_text(st, 2, "y");
    hv_stmt_bind_text(st, 3, "z");
    CHECK_INT(hv_stmt_step(st, &ctx, &row), HV_OK);
    CHECK(row);
    CHECK_STR(hv_stmt_text(st, 0), "x?y");
    CHECK_STR(hv_stmt_text(st, 1), "yz");
    hv_stmt_reset(st);
    /* the cached statement again, with other values */
    CHECK_INT(hv_db_prepare(&st, db, &ctx, sql), HV_OK);
    hv_stmt_bind_text(st, 1, "1");
    hv_stmt_bind_text(st, 2, "2");
    hv_stmt_bind_text(st, 3, "3");
    CHECK_INT(hv_stmt_step(st, &ctx, &row), HV_OK);
    CHECK_STR(hv_stmt_text(st, 0), "1?2");
    hv_stmt_reset(st);
    hv_arena_free(ctx.arena);
}

static void test_values(void) {
    hv_ctx ctx = new_ctx();
    hv_stmt *st;
    bool row = false;
    size_t len = 0;
    const unsigned char bytes[] = {0, 1, 0xff, 0, 'a'};
    const unsigned char *got;

    CHECK_INT(
        hv_db_prepare(&st, db, &ctx, "SELECT ?, ?, ?, (1 = 1), (1 = 0), CAST(NULL AS TEXT), ? + 1"),
        HV_OK);
    hv_stmt_bind_int(st, 1, INT64_MAX);
    hv_stmt_bind_text(st, 2, NULL);
    hv_stmt_bind_blob(st, 3, bytes, sizeof(bytes));
    hv_stmt_bind_int(st, 4, -5);
    CHECK_INT(hv_stmt_step(st, &ctx, &row), HV_OK);
    CHECK(row);
    CHECK_INT(hv_stmt_int(st, 0), INT64_MAX);
    CHECK(hv_stmt_is_null(st, 1));
    CHECK(hv_stmt_text(st, 1) == NULL);
    got = hv_stmt_blob(st, 2, &len);
    CHECK_INT(len, sizeof(bytes));
    CHECK(got && memcmp(got, bytes, sizeof(bytes)) == 0);
    CHECK_INT(hv_stmt_int(st, 3), 1);
    CHECK_INT(hv_stmt_int(st, 4), 0);
    CHECK(hv_stmt_is_null(st, 5));
    CHECK_INT(hv_stmt_int(st, 6), -4);
    CHECK_INT(hv_stmt_step(st, &ctx, &row), HV_OK);
    CHECK(!row);
    hv_stmt_reset(st);
    hv_arena_free(ctx.arena);
}

static void test_writes(void) {
    hv_ctx ctx = new_ctx();
    static const char *insert = "INSERT INTO t (id, name, n) VALUES (?, ?, ?) RETURNING id";
    hv_stmt *st;
    bool row = false;

    for (int64_t i = 1; i <= 3; i++) {
        CHECK_INT(hv_db_prepare(&st, db, &ctx, insert), HV_OK);
        hv_stmt_bind_int(st, 1, i * 10);
        hv_stmt_bind_text(st, 2, i == 1 ? "one" : i == 2 ? "two" : "three");
        hv_stmt_bind_int(st, 3, i);
        CHECK_INT(hv_stmt_step(st, &ctx, &row), HV_OK);
        CHECK(row);
        CHECK_INT(hv_stmt_int(st, 0), i * 10);
        hv_stmt_reset(st);
    }
    /* a uniqueness violation */
    CHECK_INT(hv_db_prepare(&st, db, &ctx, insert), HV_OK);
    hv_stmt_bind_int(st, 1, 99);
    hv_stmt_bind_text(st, 2, "two");
    hv_stmt_bind_int(st, 3, 0);
    CHECK_INT(hv_stmt_step(st, &ctx, &row), HV_E_CONFLICT);
    hv_stmt_reset(st);
    hv_error_clear(&ctx);
    /* rows changed */
    CHECK_INT(hv_db_prepare(&st, db, &ctx, "UPDATE t SET n = n + 1 WHERE n >= ?"), HV_OK);
    hv_stmt_bind_int(st, 1, 2);
    CHECK_INT(hv_stmt_step(st, &ctx, NULL), HV_OK);
    hv_stmt_reset(st);
    CHECK_INT(hv_db_changes(db), 2);
    /* a rolled-back transaction leaves nothing */
    CHECK_INT(hv_db_begin(db, &ctx), HV_OK);
    CHECK_INT(hv_db_exec(db, &ctx, "DELETE FROM t"), HV_OK);
    hv_db_rollback(db);
    CHECK_INT(hv_db_prepare(&st, db, &ctx, "SELECT count(*), sum(n) FROM t"), HV_OK);
    CHECK_INT(hv_stmt_step(st, &ctx, &row), HV_OK);
    CHECK_INT(hv_stmt_int(st, 0), 3);
    CHECK_INT(hv_stmt_int(st, 1), 1 + 3 + 4);
    hv_stmt_reset(st);
    hv_arena_free(ctx.arena);
}

static void test_migrations_once(void) {
    hv_ctx ctx = new_ctx();
    hv_stmt *st;
    bool row = false;
    int64_t applied;

    CHECK_INT(hv_db_migrate(db, &ctx), HV_OK);
    CHECK_INT(hv_db_prepare(&st, db, &ctx, "SELECT count(*) FROM schema_migrations"), HV_OK);
    CHECK_INT(hv_stmt_step(st, &ctx, &row), HV_OK);
    applied = hv_stmt_int(st, 0);
    hv_stmt_reset(st);
    CHECK(applied >= 8);
    CHECK_INT(hv_db_migrate(db, &ctx), HV_OK); /* nothing more to do */
    CHECK_INT(hv_db_prepare(&st, db, &ctx, "SELECT count(*) FROM schema_migrations"), HV_OK);
    CHECK_INT(hv_stmt_step(st, &ctx, &row), HV_OK);
    CHECK_INT(hv_stmt_int(st, 0), applied);
    hv_stmt_reset(st);
    hv_arena_free(ctx.arena);
}

/* A singleton is held by one connection at a time, for as long as it lives (asking again
 * keeps it); the connection's end lets another take it.  SQLite serves one node, whose every
 * connection holds it. */
static void test_singleton(void) {
    hv_ctx ctx = new_ctx();
    hv_db *a = NULL, *b = NULL;
    bool held = false, pg = hv_db_engine_of(db) == HV_DB_POSTGRES;

    CHECK_INT(hv_db_open(&a, &ctx, target), HV_OK);
    CHECK_INT(hv_db_open(&b, &ctx, target), HV_OK);
    CHECK_INT(hv_db_singleton(&held, a, &ctx, "purge"), HV_OK);
    CHECK(held);
    for (int i = 0; i < 3; i++) {
        CHECK_INT(hv_db_singleton(&held, a, &ctx, "purge"), HV_OK);
        CHECK(held);
    }
    CHECK_INT(hv_db_singleton(&held, b, &ctx, "purge"), HV_OK);
    CHECK(held == !pg);
    CHECK_INT(hv_db_singleton(&held, b, &ctx, "gc"), HV_OK); /* another name: free */
    CHECK(held);
    hv_db_close(a); /* the node stops, or dies */
    a = NULL;
    for (int i = 0; i < 50 && pg; i++) { /* the server notices the session's end at once */
        CHECK_INT(hv_db_singleton(&held, b, &ctx, "purge"), HV_OK);
        if (held)
            break;
        usleep(20000);
    }
    CHECK_INT(hv_db_singleton(&held, b, &ctx, "purge"), HV_OK);
    CHECK(held);
    hv_db_close(b);
    hv_arena_free(ctx.arena);
}

static void test_redact(void) {
    hv_arena *a = hv_arena_new();

    CHECK_STR(hv_db_redact(a, "postgres://haven:s3cret@db:5432/haven?sslmode=require"),
              "postgres://haven:xxxxx@db:5432/haven?sslmode=require");
    CHECK_STR(hv_db_redact(a, "postgresql://haven@db/haven"), "postgresql://haven@db/haven");
    CHECK_STR(hv_db_redact(a, "postgres://haven:p@ss@db"), "postgres://haven:xxxxx@db");
    CHECK_STR(hv_db_redact(a, "postgres://h:pw@db?x=a@b"), "postgres://h:xxxxx@db?x=a@b");
    CHECK_STR(hv_db_redact(a, "postgres://db/haven?user=a@b"), "postgres://db/haven?user=a@b");
    CHECK_STR(hv_db_redact(a, "/var/lib/haven/haven.db"), "/var/lib/haven/haven.db");
    CHECK(hv_db_is_url("POSTGRES://x/y") && !hv_db_is_url("mysql://x/y"));
    hv_arena_free(a);
}

static void teardown(void) {
    char cmd[160];

    hv_db_close(db);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

TEST_MAIN(setup, test_placeholders, test_values, test_writes, test_migrations_once, test_singleton,
          test_redact, teardown)
