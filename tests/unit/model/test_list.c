/*
 * Harbor's list conventions (hv_model__list, src/model/list.c) through real entity lists on a
 * real SQLite database: the audit log (integer, text and time columns, a project the caller
 * imposes) and users (a boolean column).  Every q operator: exact, fuzzy (the client's % and
 * _ taken literally), range with open ends, {any} and (all); unknown keys and sort fields
 * refused naming them; sorting by several fields, descending with '-'; values that do not
 * parse as their column's type refused; paging past the end empty with the right total.
 */
#include "db/db.h"
#include "model/model.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static char root[] = "/tmp/haven-list-test-XXXXXX";
static hv_db *db;

/* 2024-01-01T00:00:00Z and whole days after it, in ms */
#define DAY  (86400 * 1000LL)
#define JAN1 (1704067200 * 1000LL)

static const hv_audit_log rows[] = {
    {0, 1, "alice", "library/app:v1", "artifact", "create", JAN1},
    {0, 1, "bob", "library/app:v2", "artifact", "delete", JAN1 + DAY},
    {0, 2, "carol", "proj/x_y:1", "artifact", "create", JAN1 + 2 * DAY},
    {0, 2, "dave", "proj/x%y:1", "artifact", "pull", JAN1 + 3 * DAY},
    {0, 0, "erin", "C:\\dir\\file", "user", "create", JAN1 + 4 * DAY},
};
#define N_ROWS 5
static const char *const projects[] = {NULL, "library", "proj"}; /* by id */

static hv_ctx new_ctx(void) {
    hv_ctx ctx = {.arena = hv_arena_new(), .db = db, .actor = "admin"};
    return ctx;
}

static void setup(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    char path[128];
    static const char *names[] = {"root", "ann", "ben"};

    if (!mkdtemp(root))
        abort();
    snprintf(path, sizeof(path), "%s/haven.db", root);
    CHECK_INT(hv_db_open(&db, &ctx, path), HV_OK);
    ctx.db = db;
    CHECK_INT(hv_db_migrate(db, &ctx), HV_OK);
    for (size_t i = 0; i < 3; i++) {
        hv_user u = {.username = names[i],
                     .email = hv_arena_printf(ctx.arena, "%s@example.com", names[i]),
                     .realname = names[i],
                     .password_hash = "x",
                     .sysadmin = i == 0};
        int64_t id;
        CHECK_INT(hv_model_user_create(&id, &ctx, &u), HV_OK);
    }
    for (int64_t i = 1; i <= 2; i++) { /* the projects of the rows, ids 1 and 2 */
        int64_t id;
        CHECK_INT(hv_model_project_create(&id, &ctx, projects[i], true, 1), HV_OK);
        CHECK_INT(id, i);
    }
    for (size_t i = 0; i < N_ROWS; i++)
        CHECK_INT(hv_model_audit_add(&ctx, &rows[i], projects[rows[i].project_id]), HV_OK);
    hv_arena_free(ctx.arena);
}

static void teardown(void) {
    char cmd[128];
    hv_db_close(db);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

/* ---------------------------------------------------------------- helpers */

/* One term: key, op, values (NULL-terminated list; "" stands for an open range end). */
static hv_query_term term(hv_ctx *ctx, const char *key, hv_query_op op, const char *v0,
                          const char *v1, const char *v2) {
    const char **values = hv_arena_alloc(ctx->arena, 3 * sizeof(*values));
    const char *given[] = {v0, v1, v2};
    size_t n = 0;

    for (size_t i = 0; i < 3 && given[i]; i++)
        values[n++] = op == HV_Q_RANGE && given[i][0] == '\0' ? NULL : given[i];
    return (hv_query_term){.key = key, .op = op, .values = values, .n_values = n};
}

/* The audit log as a string of usernames' first letters in list order ("abc"), or "!" and
 * the error in ctx->err. */
static const char *audit(hv_ctx *ctx, const hv_query_term *terms, size_t n_terms, const char *sort,
                         int64_t page, int64_t page_size, int64_t project_id, int64_t *total) {
    hv_list list = {
        .terms = terms, .n_terms = n_terms, .sort = sort, .page = page, .page_size = page_size};
    hv_audit_log *out = NULL;
    size_t n = 0;
    int64_t ignored;
    char *s;
    hv_err rc;

    hv_error_clear(ctx);
    rc = hv_model_audit_list(&out, &n, total ? total : &ignored, ctx, &list, project_id);
    if (rc)
        return "!";
    s = hv_arena_alloc(ctx->arena, n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = out[i].username[0];
    return s;
}

/* Audit entries matching one term, in id order. */
static const char *q1(hv_ctx *ctx, const char *key, hv_query_op op, const char *v0, const char *v1,
                      const char *v2) {
    hv_query_term t = term(ctx, key, op, v0, v1, v2);
    return audit(ctx, &t, 1, "id", 1, 0, 0, NULL);
}

/* Users matching one term, by username, as "first letters". */
static const char *users(hv_ctx *ctx, const char *key, hv_query_op op, const char *value) {
    hv_query_term t = term(ctx, key, op, value, NULL, NULL);
    hv_list list = {.terms = &t, .n_terms = 1, .sort = "username", .page = 1};
    hv_user *out = NULL;
    size_t n = 0;
    int64_t total = -1;
    char *s;

    hv_error_clear(ctx);
    if (hv_model_user_list(&out, &n, &total, ctx, &list))
        return "!";
    CHECK_INT(total, (int64_t)n);
    s = hv_arena_alloc(ctx->arena, n + 1);
    for (size_t i = 0; i < n; i++)
        s[i] = out[i].username[0];
    return s;
}

#define CHECK_REFUSED(got, words)                                                                  \
    do {                                                                                           \
        CHECK_STR(got, "!");                                                                       \
        CHECK_INT(ctx.err.code, HV_E_BAD_REQUEST);                                                 \
        if (!strstr(ctx.err.message, words)) {                                                     \
            test_failures++;                                                                       \
            fprintf(stderr, "%s:%d: message \"%s\" does not say \"%s\"\n", __FILE__, __LINE__,     \
                    ctx.err.message, words);                                                       \
        }                                                                                          \
    } while (0)

/* ---------------------------------------------------------------- tests */

static void test_exact(void) {
    hv_ctx ctx = new_ctx();

    CHECK_STR(q1(&ctx, "username", HV_Q_EXACT, "alice", NULL, NULL), "a");
    CHECK_STR(q1(&ctx, "username", HV_Q_EXACT, "ali", NULL, NULL), "");
    CHECK_STR(q1(&ctx, "operation", HV_Q_EXACT, "create", NULL, NULL), "ace");
    CHECK_STR(q1(&ctx, "project_id", HV_Q_EXACT, "2", NULL, NULL), "cd");
    CHECK_STR(q1(&ctx, "project_id", HV_Q_EXACT, "0", NULL, NULL), "e");
    CHECK_STR(q1(&ctx, "project_id", HV_Q_EXACT, "-1", NULL, NULL), "");
    CHECK_STR(q1(&ctx, "op_time", HV_Q_EXACT, "2024-01-02T00:00:00", NULL, NULL), "b");
    CHECK_STR(q1(&ctx, "op_time", HV_Q_EXACT, "2024-01-02 00:00:00", NULL, NULL), "b");
    CHECK_STR(q1(&ctx, "op_time", HV_Q_EXACT, "1704153600", NULL, NULL), "b"); /* epoch s */
    /* values are bound, never pasted into the SQL */
    CHECK_STR(q1(&ctx, "username", HV_Q_EXACT, "x' OR '1'='1", NULL, NULL), "");
    hv_arena_free(ctx.arena);
}

static void test_fuzzy(void) {
    hv_ctx ctx = new_ctx();

    CHECK_STR(q1(&ctx, "resource", HV_Q_FUZZY, "app", NULL, NULL), "ab");
    CHECK_STR(q1(&ctx, "resource", HV_Q_FUZZY, "library/app:v1", NULL, NULL), "a");
    CHECK_STR(q1(&ctx, "resource", HV_Q_FUZZY, "", NULL, NULL), "abcde");
    /* % and _ are the characters themselves, not wildcards */
    CHECK_STR(q1(&ctx, "resource", HV_Q_FUZZY, "x_y", NULL, NULL), "c");
    CHECK_STR(q1(&ctx, "resource", HV_Q_FUZZY, "x%y", NULL, NULL), "d");
    CHECK_STR(q1(&ctx, "resource", HV_Q_FUZZY, "%", NULL, NULL), "d");
    CHECK_STR(q1(&ctx, "resource", HV_Q_FUZZY, "_", NULL, NULL), "c");
    CHECK_STR(q1(&ctx, "resource", HV_Q_FUZZY, "app%", NULL, NULL), "");
    CHECK_STR(q1(&ctx, "resource", HV_Q_FUZZY, "l_brary", NULL, NULL), "");
    /* and so is the escape character */
    CHECK_STR(q1(&ctx, "resource", HV_Q_FUZZY, "\\dir\\", NULL, NULL), "e");
    CHECK_STR(q1(&ctx, "resource", HV_Q_FUZZY, "\\", NULL, NULL), "e");
    /* an integer column matches on its decimal text */
    CHECK_STR(q1(&ctx, "project_id", HV_Q_FUZZY, "2", NULL, NULL), "cd");
    hv_arena_free(ctx.arena);
}

static void test_range(void) {
    hv_ctx ctx = new_ctx();

    /* both ends included */
    CHECK_STR(q1(&ctx, "op_time", HV_Q_RANGE, "2024-01-02T00:00:00", "2024-01-03T00:00:00", NULL),
              "bc");
    CHECK_STR(q1(&ctx, "op_time", HV_Q_RANGE, "2024-01-03T00:00:00", "", NULL), "cde");
    CHECK_STR(q1(&ctx, "op_time", HV_Q_RANGE, "", "2024-01-01T00:00:00", NULL), "a");
    CHECK_STR(q1(&ctx, "op_time", HV_Q_RANGE, "", "", NULL), "abcde");
    CHECK_STR(q1(&ctx, "op_time", HV_Q_RANGE, "2024-01-04T00:00:00", "2024-01-02T00:00:00", NULL),
              "");
    CHECK_STR(q1(&ctx, "op_time", HV_Q_RANGE, "1704240000", "", NULL), "cde"); /* epoch s */
    {
        /* only the lower end given: values = {min} */
        hv_query_term t = term(&ctx, "id", HV_Q_RANGE, "4", NULL, NULL);
        CHECK_INT(t.n_values, 1);
        CHECK_STR(audit(&ctx, &t, 1, "id", 1, 0, 0, NULL), "de");
    }
    CHECK_STR(q1(&ctx, "id", HV_Q_RANGE, "2", "3", NULL), "bc");
    CHECK_STR(q1(&ctx, "id", HV_Q_RANGE, "-5", "1", NULL), "a");
    CHECK_STR(q1(&ctx, "username", HV_Q_RANGE, "b", "d", NULL), "bc"); /* text: "dave" > "d" */
    hv_arena_free(ctx.arena);
}

static void test_any_and_all(void) {
    hv_ctx ctx = new_ctx();
    hv_query_term none = {.key = "username", .op = HV_Q_ANY, .values = NULL, .n_values = 0};

    CHECK_STR(q1(&ctx, "username", HV_Q_ANY, "alice", "carol", "nobody"), "ac");
    CHECK_STR(q1(&ctx, "operation", HV_Q_ANY, "pull", "delete", NULL), "bd");
    CHECK_STR(q1(&ctx, "project_id", HV_Q_ANY, "0", "1", NULL), "abe");
    CHECK_STR(audit(&ctx, &none, 1, "id", 1, 0, 0, NULL), "");
    /* (all): every value must hold, which on one column means a single value */
    CHECK_STR(q1(&ctx, "operation", HV_Q_ALL, "create", NULL, NULL), "ace");
    CHECK_STR(q1(&ctx, "operation", HV_Q_ALL, "create", "delete", NULL), "");
    CHECK_STR(q1(&ctx, "operation", HV_Q_ALL, "create", "create", NULL), "ace");
    /* values inside {} are parsed as their column's type too */
    CHECK_REFUSED(q1(&ctx, "project_id", HV_Q_ANY, "1", "two", NULL), "project_id");
    {
        /* many values: refused past the limit, not written past the bind array */
        const char **values = hv_arena_alloc(ctx.arena, 100 * sizeof(*values));
        hv_query_term t = {.key = "username", .op = HV_Q_ANY, .values = values, .n_values = 100};
        for (size_t i = 0; i < 100; i++)
            values[i] = hv_arena_printf(ctx.arena, "user%zu", i);
        values[99] = "bob";
        CHECK_REFUSED(audit(&ctx, &t, 1, "id", 1, 0, 0, NULL), "too many");
        t.n_values = 50;
        values[49] = "dave";
        CHECK_STR(audit(&ctx, &t, 1, "id", 1, 0, 0, NULL), "d");
    }
    hv_arena_free(ctx.arena);
}

static void test_terms_combine(void) {
    hv_ctx ctx = new_ctx();
    hv_query_term t[2];
    int64_t total = -1;

    t[0] = term(&ctx, "operation", HV_Q_EXACT, "create", NULL, NULL);
    t[1] = term(&ctx, "resource", HV_Q_FUZZY, "/", NULL, NULL);
    CHECK_STR(audit(&ctx, t, 2, "id", 1, 0, 0, &total), "ac");
    CHECK_INT(total, 2);
    /* the project the caller imposes is ANDed with the client's terms: q cannot widen it */
    CHECK_STR(audit(&ctx, NULL, 0, "id", 1, 0, 2, &total), "cd");
    CHECK_INT(total, 2);
    t[0] = term(&ctx, "project_id", HV_Q_EXACT, "1", NULL, NULL);
    CHECK_STR(audit(&ctx, t, 1, "id", 1, 0, 2, &total), "");
    CHECK_INT(total, 0);
    t[0] = term(&ctx, "project_id", HV_Q_ANY, "1", "2", NULL);
    CHECK_STR(audit(&ctx, t, 1, "id", 1, 0, 2, &total), "cd");
    t[0] = term(&ctx, "operation", HV_Q_EXACT, "pull", NULL, NULL);
    CHECK_STR(audit(&ctx, t, 1, "id", 1, 0, 2, &total), "d");
    CHECK_INT(total, 1);
    hv_arena_free(ctx.arena);
}

static void test_unknown_keys(void) {
    hv_ctx ctx = new_ctx();
    hv_query_term t[2];

    CHECK_REFUSED(q1(&ctx, "nope", HV_Q_EXACT, "1", NULL, NULL), "nope");
    CHECK_REFUSED(q1(&ctx, "a.username", HV_Q_EXACT, "alice", NULL, NULL), "a.username");
    CHECK_REFUSED(q1(&ctx, "Username", HV_Q_EXACT, "alice", NULL, NULL), "Username");
    /* a known key does not let an unknown one after it through */
    t[0] = term(&ctx, "username", HV_Q_EXACT, "alice", NULL, NULL);
    t[1] = term(&ctx, "1=1 OR username", HV_Q_FUZZY, "a", NULL, NULL);
    CHECK_REFUSED(audit(&ctx, t, 2, "id", 1, 0, 0, NULL), "1=1 OR username");
    /* a key of another entity */
    CHECK_REFUSED(q1(&ctx, "sysadmin_flag", HV_Q_EXACT, "true", NULL, NULL), "sysadmin_flag");
    CHECK_REFUSED(users(&ctx, "operation", HV_Q_EXACT, "create"), "operation");
    hv_arena_free(ctx.arena);
}

static void test_sort(void) {
    hv_ctx ctx = new_ctx();

    /* the audit log's own order: newest first */
    CHECK_STR(audit(&ctx, NULL, 0, NULL, 1, 0, 0, NULL), "edcba");
    CHECK_STR(audit(&ctx, NULL, 0, "", 1, 0, 0, NULL), "edcba");
    CHECK_STR(audit(&ctx, NULL, 0, "op_time", 1, 0, 0, NULL), "abcde");
    CHECK_STR(audit(&ctx, NULL, 0, "-id", 1, 0, 0, NULL), "edcba");
    CHECK_STR(audit(&ctx, NULL, 0, "username", 1, 0, 0, NULL), "abcde");
    /* several fields, the first deciding: operation ascending, then newest first */
    CHECK_STR(audit(&ctx, NULL, 0, "operation,-op_time", 1, 0, 0, NULL), "ecabd");
    CHECK_STR(audit(&ctx, NULL, 0, "operation,op_time", 1, 0, 0, NULL), "acebd");
    CHECK_STR(audit(&ctx, NULL, 0, "-operation,username", 1, 0, 0, NULL), "dbace");
    CHECK_STR(audit(&ctx, NULL, 0, "resource_type,-project_id,id", 1, 0, 0, NULL), "cdabe");
    /* ties fall back to the default order (newest first) */
    CHECK_STR(audit(&ctx, NULL, 0, "resource_type", 1, 0, 0, NULL), "dcbae");
    /* unknown fields are refused by name; nothing of them reaches the SQL */
    CHECK_REFUSED(audit(&ctx, NULL, 0, "nope", 1, 0, 0, NULL), "nope");
    CHECK_REFUSED(audit(&ctx, NULL, 0, "id,-nope", 1, 0, 0, NULL), "nope");
    CHECK_REFUSED(audit(&ctx, NULL, 0, "id;DROP TABLE audit_log", 1, 0, 0, NULL),
                  "id;DROP TABLE audit_log");
    CHECK_REFUSED(audit(&ctx, NULL, 0, "id DESC", 1, 0, 0, NULL), "id DESC");
    CHECK_REFUSED(audit(&ctx, NULL, 0, "+id", 1, 0, 0, NULL), "+id");
    CHECK_REFUSED(audit(&ctx, NULL, 0, "--id", 1, 0, 0, NULL), "-id");
    CHECK_REFUSED(audit(&ctx, NULL, 0, "-", 1, 0, 0, NULL), "cannot sort");
    CHECK_REFUSED(audit(&ctx, NULL, 0, "id,,username", 1, 0, 0, NULL), "cannot sort");
    CHECK_STR(audit(&ctx, NULL, 0, "id", 1, 0, 0, NULL), "abcde"); /* the table is still there */
    hv_arena_free(ctx.arena);
}

static void test_values_of_the_wrong_type(void) {
    hv_ctx ctx = new_ctx();

    /* integers */
    CHECK_REFUSED(q1(&ctx, "project_id", HV_Q_EXACT, "abc", NULL, NULL),
                  "project_id must be an integer, not abc");
    CHECK_REFUSED(q1(&ctx, "project_id", HV_Q_EXACT, "", NULL, NULL), "project_id");
    CHECK_REFUSED(q1(&ctx, "project_id", HV_Q_EXACT, "1.5", NULL, NULL), "1.5");
    CHECK_REFUSED(q1(&ctx, "project_id", HV_Q_EXACT, "1 ", NULL, NULL), "project_id");
    CHECK_REFUSED(q1(&ctx, "project_id", HV_Q_EXACT, "-", NULL, NULL), "project_id");
    CHECK_REFUSED(q1(&ctx, "project_id", HV_Q_EXACT, "--1", NULL, NULL), "project_id");
    CHECK_REFUSED(q1(&ctx, "id", HV_Q_EXACT, "9223372036854775808", NULL, NULL), "id");
    CHECK_REFUSED(q1(&ctx, "id", HV_Q_EXACT, "99999999999999999999999", NULL, NULL), "id");
    CHECK_STR(q1(&ctx, "id", HV_Q_EXACT, "9223372036854775807", NULL, NULL), "");
    CHECK_REFUSED(q1(&ctx, "id", HV_Q_RANGE, "1", "x", NULL), "id must be an integer, not x");
    CHECK_REFUSED(q1(&ctx, "id", HV_Q_RANGE, "x", "", NULL), "id must be an integer, not x");
    /* times */
    CHECK_REFUSED(q1(&ctx, "op_time", HV_Q_EXACT, "yesterday", NULL, NULL),
                  "op_time must be a time like 2006-01-02T15:04:05, not yesterday");
    CHECK_REFUSED(q1(&ctx, "op_time", HV_Q_EXACT, "2024-13-01T00:00:00", NULL, NULL), "op_time");
    CHECK_REFUSED(q1(&ctx, "op_time", HV_Q_EXACT, "2024-01-01T00:00:00junk", NULL, NULL),
                  "op_time");
    CHECK_REFUSED(q1(&ctx, "op_time", HV_Q_EXACT, "2024-01-01", NULL, NULL), "op_time");
    CHECK_REFUSED(q1(&ctx, "op_time", HV_Q_EXACT, "-1", NULL, NULL), "op_time");
    CHECK_REFUSED(q1(&ctx, "op_time", HV_Q_RANGE, "", "soon", NULL), "soon");
    /* booleans */
    CHECK_STR(users(&ctx, "sysadmin_flag", HV_Q_EXACT, "true"), "r");
    CHECK_STR(users(&ctx, "sysadmin_flag", HV_Q_EXACT, "1"), "r");
    CHECK_STR(users(&ctx, "sysadmin_flag", HV_Q_EXACT, "false"), "ab");
    CHECK_STR(users(&ctx, "sysadmin_flag", HV_Q_EXACT, "0"), "ab");
    CHECK_REFUSED(users(&ctx, "sysadmin_flag", HV_Q_EXACT, "yes"),
                  "sysadmin_flag must be true or false, not yes");
    CHECK_REFUSED(users(&ctx, "sysadmin_flag", HV_Q_EXACT, "TRUE"), "sysadmin_flag");
    CHECK_REFUSED(users(&ctx, "sysadmin_flag", HV_Q_EXACT, ""), "sysadmin_flag");
    /* text takes anything, and users' other keys work through the same layer */
    CHECK_STR(users(&ctx, "username", HV_Q_FUZZY, "n"), "ab");
    CHECK_STR(users(&ctx, "email", HV_Q_EXACT, "ben@example.com"), "b");
    CHECK_REFUSED(users(&ctx, "user_id", HV_Q_EXACT, "me"), "user_id");
    hv_arena_free(ctx.arena);
}

static void test_paging(void) {
    hv_ctx ctx = new_ctx();
    hv_query_term create = term(&ctx, "operation", HV_Q_EXACT, "create", NULL, NULL);
    int64_t total = -1;

    CHECK_STR(audit(&ctx, NULL, 0, "id", 1, 2, 0, &total), "ab");
    CHECK_INT(total, N_ROWS);
    CHECK_STR(audit(&ctx, NULL, 0, "id", 2, 2, 0, &total), "cd");
    CHECK_INT(total, N_ROWS);
    CHECK_STR(audit(&ctx, NULL, 0, "id", 3, 2, 0, &total), "e");
    CHECK_INT(total, N_ROWS);
    /* past the end: nothing, and still the whole count */
    total = -1;
    CHECK_STR(audit(&ctx, NULL, 0, "id", 4, 2, 0, &total), "");
    CHECK_INT(total, N_ROWS);
    total = -1;
    CHECK_STR(audit(&ctx, NULL, 0, "id", 1000000, 100, 0, &total), "");
    CHECK_INT(total, N_ROWS);
    /* the count is of the filtered rows; paging applies after sorting */
    CHECK_STR(audit(&ctx, &create, 1, "-id", 1, 2, 0, &total), "ec");
    CHECK_INT(total, 3);
    CHECK_STR(audit(&ctx, &create, 1, "-id", 2, 2, 0, &total), "a");
    CHECK_INT(total, 3);
    CHECK_STR(audit(&ctx, &create, 1, "-id", 3, 2, 0, &total), "");
    CHECK_INT(total, 3);
    /* page_size 0: everything; page 0 reads as the first */
    CHECK_STR(audit(&ctx, NULL, 0, "id", 1, 0, 0, &total), "abcde");
    CHECK_STR(audit(&ctx, NULL, 0, "id", 0, 2, 0, &total), "ab");
    CHECK_STR(audit(&ctx, NULL, 0, "id", 1, 100, 0, &total), "abcde");
    CHECK_INT(total, N_ROWS);
    /* a refused query says nothing about the total */
    total = -1;
    CHECK_REFUSED(audit(&ctx, NULL, 0, "nope", 1, 2, 0, &total), "nope");
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_exact, test_fuzzy, test_range, test_any_and_all, test_terms_combine,
          test_unknown_keys, test_sort, test_values_of_the_wrong_type, test_paging, teardown)
