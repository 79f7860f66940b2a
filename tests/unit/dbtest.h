/*
 * The database of a unit test: a SQLite file in the test's directory, or, when the
 * environment has HAVEN_TEST_POSTGRES (the URL of a database on a PostgreSQL server that the
 * test may connect to and create databases from, as `make unit` sets it for its second run),
 * a new database of its own on that server.  So the same tests run on both engines.
 */
#ifndef HV_DBTEST_H
#define HV_DBTEST_H

#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes the target to open into out (n bytes): a path under dir, or a new database's URL.
 * Aborts when the server refuses. */
static void test_db_target(char *out, size_t n, const char *dir) {
    const char *server = getenv("HAVEN_TEST_POSTGRES");
    static int seq;
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_db *admin = NULL;
    const char *slash;
    char name[64], sql[128];

    if (!server || !*server) {
        snprintf(out, n, "%s/haven.db", dir);
        hv_arena_free(ctx.arena);
        return;
    }
    snprintf(name, sizeof(name), "haven_unit_%d_%d", (int)getpid(), ++seq);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    if (hv_db_open(&admin, &ctx, server) != HV_OK || hv_db_exec(admin, &ctx, sql) != HV_OK) {
        fprintf(stderr, "HAVEN_TEST_POSTGRES: %s\n", ctx.err.message);
        abort();
    }
    hv_db_close(admin);
    hv_arena_free(ctx.arena);
    slash = strrchr(strstr(server, "://") + 3, '/'); /* the database part of the URL */
    if (slash)
        snprintf(out, n, "%.*s/%s", (int)(slash - server), server, name);
    else
        snprintf(out, n, "%s/%s", server, name);
}

#endif
