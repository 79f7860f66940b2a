/*
 * Copying a database (copy.c, what havend migrate does): the tables come from the catalog,
 * each after the tables it references; a SQLite database with rows in every kind of column
 * (NULLs in integer columns, blobs with NUL bytes, text with quotes and backslashes) is
 * copied into a database of the test's engine (dbtest.h: SQLite, or PostgreSQL under
 * HAVEN_TEST_POSTGRES), the digests of source and copy agree, a changed row changes the
 * digest, and new rows get ids after the copied ones.
 */
#include "db/db.h"
#include "dbtest.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static char root[] = "/tmp/haven-copy-test-XXXXXX";
static hv_db *src, *dst;

static void setup(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    char path[600], target[512];

    if (!mkdtemp(root))
        abort();
    snprintf(path, sizeof(path), "%s/source.db", root);
    CHECK_INT(hv_db_open(&src, &ctx, path), HV_OK);
    CHECK_INT(hv_db_migrate(src, &ctx), HV_OK);
    test_db_target(target, sizeof(target), root);
    if (strcmp(target, path) == 0) /* SQLite: another file */
        snprintf(target, sizeof(target), "%s/copy.db", root);
    CHECK_INT(hv_db_open(&dst, &ctx, target), HV_OK);
    CHECK_INT(hv_db_migrate(dst, &ctx), HV_OK);
    hv_arena_free(ctx.arena);
}

static size_t position(const hv_db_table *t, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].name, name) == 0)
            return i;
    }
    return n;
}

static void test_tables_parents_first(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_db_table *t = NULL;
    size_t n = 0;

    CHECK_INT(hv_db_tables(&t, &n, dst, &ctx), HV_OK);
    CHECK(position(t, n, "users") < position(t, n, "project"));
    CHECK(position(t, n, "project") < position(t, n, "repository"));
    CHECK(position(t, n, "repository") < position(t, n, "artifact"));
    CHECK(position(t, n, "artifact") < position(t, n, "tag"));
    CHECK(position(t, n, "label") < position(t, n, "artifact_label"));
    CHECK(position(t, n, "schema_migrations") < n);
    for (size_t i = 0; i < n; i++) {
        for (size_t p = 0; p < t[i].n_parents; p++)
            CHECK(strcmp(t[i].parents[p], t[i].name) == 0 || position(t, n, t[i].parents[p]) < i);
    }
    /* the columns, in order */
    CHECK(t[position(t, n, "blob")].n_columns == 4); /* digest, size, creation_time, last_ref */
    CHECK_STR(t[position(t, n, "blob")].columns[0], "digest");
    hv_db_tables_free(t, n);
    hv_arena_free(ctx.arena);
}

static void fill(void) {
    hv_ctx ctx = {.arena = hv_arena_new(), .db = src};
    hv_stmt *st;

    CHECK_INT(hv_db_exec(src, &ctx,
                         "INSERT INTO users (id, username, email, realname, password_hash, "
                         "sysadmin, creation_time, update_time) VALUES "
                         "(1, 'admin', NULL, 'it''s \"me\" \\ here', 'h1', 1, 10, 11), "
                         "(7, 'dev', 'dev@x', '', NULL, 0, 12, 13);"
                         "INSERT INTO project (id, name, owner_id, creation_time, update_time) "
                         "VALUES (3, 'library', 1, 20, 21), (9, 'team', 7, 22, 23);"
                         "UPDATE quota SET hard = 1000, used = 5 WHERE project_id = 9;"
                         "INSERT INTO label (id, name, scope, project_id, creation_time, "
                         "update_time) VALUES (4, 'g', 'g', NULL, 1, 1), (5, 'p', 'p', 9, 1, 1);"
                         "INSERT INTO blob (digest, size, creation_time) VALUES ('sha256:aa', 5, "
                         "1);"),
              HV_OK);
    CHECK_INT(hv_db_prepare(&st, src, &ctx,
                            "INSERT INTO upload (uuid, repository, project_id, hash_state, "
                            "creation_time, update_time) VALUES ('u1', 'team/x', 9, ?, 1, 1)"),
              HV_OK);
    hv_stmt_bind_blob(st, 1, "a\0b\0c", 5);
    CHECK_INT(hv_stmt_step(st, &ctx, NULL), HV_OK);
    hv_stmt_reset(st);
    hv_arena_free(ctx.arena);
}

static void test_copy_and_compare(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_db_table *t = NULL;
    size_t n = 0;
    char a[HV_DIGEST_MAX], b[HV_DIGEST_MAX];
    int64_t na, nb, copied, total = 0;
    hv_stmt *st;
    bool row;

    fill();
    CHECK_INT(hv_db_tables(&t, &n, src, &ctx), HV_OK);
    CHECK_INT(hv_db_begin(dst, &ctx), HV_OK);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].name, "schema_migrations") == 0 || strcmp(t[i].name, "blob_total") == 0)
            continue;
        CHECK_INT(hv_db_copy_table(&copied, dst, src, &ctx, &t[i]), HV_OK);
        total += copied;
    }
    CHECK_INT(hv_db_sequences_reset(dst, &ctx), HV_OK);
    CHECK_INT(hv_db_commit(dst, &ctx), HV_OK);
    CHECK_INT(total, 2 + 2 + 2 + 2 + 1 + 1); /* users, projects, quotas, labels, blob, upload */
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].name, "schema_migrations") == 0 || strcmp(t[i].name, "blob_total") == 0)
            continue;
        CHECK_INT(hv_db_table_digest(&na, a, src, &ctx, &t[i]), HV_OK);
        CHECK_INT(hv_db_table_digest(&nb, b, dst, &ctx, &t[i]), HV_OK);
        CHECK_INT(nb, na);
        CHECK_STR(b, a);
    }
    /* the quota row the target's trigger made for project 9 was replaced by the source's */
    CHECK_INT(hv_db_prepare(&st, dst, &ctx, "SELECT hard FROM quota WHERE project_id = 9"), HV_OK);
    CHECK_INT(hv_stmt_step(st, &ctx, &row), HV_OK);
    CHECK(row && hv_stmt_int(st, 0) == 1000);
    hv_stmt_reset(st);
    /* a changed row changes the digest */
    CHECK_INT(hv_db_exec(dst, &ctx, "UPDATE users SET realname = 'x' WHERE id = 7"), HV_OK);
    CHECK_INT(hv_db_table_digest(&na, a, src, &ctx, &t[position(t, n, "users")]), HV_OK);
    CHECK_INT(hv_db_table_digest(&nb, b, dst, &ctx, &t[position(t, n, "users")]), HV_OK);
    CHECK(strcmp(a, b) != 0);
    /* new rows get ids after the copied ones */
    CHECK_INT(hv_db_prepare(&st, dst, &ctx,
                            "INSERT INTO users (username, creation_time, update_time) "
                            "VALUES ('new', 1, 1) RETURNING id"),
              HV_OK);
    CHECK_INT(hv_stmt_step(st, &ctx, &row), HV_OK);
    CHECK(row && hv_stmt_int(st, 0) == 8);
    hv_stmt_reset(st);
    hv_db_tables_free(t, n);
    hv_arena_free(ctx.arena);
}

static void teardown(void) {
    char cmd[160];

    hv_db_close(src);
    hv_db_close(dst);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

TEST_MAIN(setup, test_tables_parents_first, test_copy_and_compare, teardown)
