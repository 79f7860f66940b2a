/*
 * Copying a database to the other engine (havend migrate): the schema is read from the
 * engine's catalog (SQLite's sqlite_master and pragmas, PostgreSQL's pg_catalog), never
 * from a list kept by hand, so a table a migration adds is copied without anyone
 * remembering to.  Tables come parents first, by their foreign keys; rows are copied with
 * every column as it is (ids included) in multi-row INSERTs; a table's rows are compared
 * across engines by a digest over a canonical form of its values in a canonical order
 * (text compares bytewise on both: SQLite's BINARY, the "C" collation of every PostgreSQL
 * text column).  The table and column names come from the catalog and are quoted.
 */
#include "db/db.h"
#include "db/db_int.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARAMS_MAX 30000 /* bound values per INSERT: below both engines' limits */
#define ROWS_MAX   500   /* rows per INSERT */

static const char *sql_tables_sqlite =
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite!_%' ESCAPE '!'";
static const char *sql_tables_pg =
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')";
static const char *sql_columns_sqlite = "SELECT name FROM pragma_table_info(?) ORDER BY cid";
static const char *sql_columns_pg =
    "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(quote_ident(?)) "
    "AND attnum > 0 AND NOT attisdropped ORDER BY attnum";
static const char *sql_parents_sqlite = "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)";
static const char *sql_parents_pg =
    "SELECT DISTINCT p.relname FROM pg_constraint k JOIN pg_class p ON p.oid = k.confrelid "
    "WHERE k.contype = 'f' AND k.conrelid = to_regclass(quote_ident(?))";
static const char *sql_identities_pg =
    "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND "
    "a.attnum > 0 AND NOT a.attisdropped AND "
    "pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL";

/* "name" with its quotes doubled, in a. */
static const char *quoted(hv_arena *a, const char *name) {
    char *out = hv_arena_alloc(a, 2 * strlen(name) + 3), *q = out;

    *q++ = '"';
    for (const char *p = name; *p; p++) {
        if (*p == '"')
            *q++ = '"';
        *q++ = *p;
    }
    *q++ = '"';
    *q = '\0';
    return out;
}

/* The first column of every row of sql (with text parameter arg when not NULL). */
static hv_err names(char ***out, size_t *n, hv_db *db, hv_ctx *ctx, const char *sql,
                    const char *arg) {
    hv_stmt *st = NULL;
    char **v = NULL;
    size_t count = 0;
    bool row;
    hv_err rc = hv_db_prepare_dynamic(&st, db, ctx, sql);

    if (rc)
        return rc;
    if (arg)
        hv_stmt_bind_text(st, 1, arg);
    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v = hv_realloc(v, (count + 1) * sizeof(*v));
        v[count++] = hv_strdup(hv_stmt_text(st, 0));
    }
    hv_stmt_free(st);
    if (rc) {
        for (size_t i = 0; i < count; i++)
            free(v[i]);
        free(v);
        return rc;
    }
    *out = v;
    *n = count;
    return HV_OK;
}

static void names_free(char **v, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void hv_db_tables_free(hv_db_table *t, size_t n) {
    for (size_t i = 0; t && i < n; i++) {
        free(t[i].name);
        names_free(t[i].columns, t[i].n_columns);
        names_free(t[i].parents, t[i].n_parents);
    }
    free(t);
}

static bool placed(const hv_db_table *done, size_t n_done, const char *name) {
    for (size_t i = 0; i < n_done; i++) {
        if (strcmp(done[i].name, name) == 0)
            return true;
    }
    return false;
}

/* A table whose parents are all placed (itself aside). */
static bool ready(const hv_db_table *t, const hv_db_table *done, size_t n_done) {
    for (size_t i = 0; i < t->n_parents; i++) {
        if (strcmp(t->parents[i], t->name) != 0 && !placed(done, n_done, t->parents[i]))
            return false;
    }
    return true;
}

hv_err hv_db_tables(hv_db_table **out, size_t *n, hv_db *db, hv_ctx *ctx) {
    bool pg = hv_db_engine_of(db) == HV_DB_POSTGRES;
    char **all = NULL;
    size_t n_all = 0, n_done = 0;
    hv_db_table *found = NULL, *done = NULL;
    hv_err rc = names(&all, &n_all, db, ctx, pg ? sql_tables_pg : sql_tables_sqlite, NULL);

    if (rc)
        return rc;
    qsort(all, n_all, sizeof(*all), by_name);
    found = hv_calloc(n_all + 1, sizeof(*found));
    done = hv_calloc(n_all + 1, sizeof(*done));
    for (size_t i = 0; i < n_all && rc == HV_OK; i++) {
        found[i].name = all[i];
        all[i] = NULL;
        rc = names(&found[i].columns, &found[i].n_columns, db, ctx,
                   pg ? sql_columns_pg : sql_columns_sqlite, found[i].name);
        if (rc == HV_OK)
            rc = names(&found[i].parents, &found[i].n_parents, db, ctx,
                       pg ? sql_parents_pg : sql_parents_sqlite, found[i].name);
    }
    /* parents first: each round places the first (by name) table whose parents are placed */
    while (rc == HV_OK && n_done < n_all) {
        size_t i = 0;
        while (i < n_all && (!found[i].name || !ready(&found[i], done, n_done)))
            i++;
        if (i == n_all) {
            rc = HV_FAIL(ctx, HV_E_DB, "the foreign keys of the schema's tables form a cycle");
            break;
        }
        done[n_done++] = found[i];
        found[i] = (hv_db_table){0};
    }
    hv_db_tables_free(found, n_all);
    free(all);
    if (rc) {
        hv_db_tables_free(done, n_done);
        return rc;
    }
    *out = done;
    *n = n_done;
    return HV_OK;
}

const hv_db_table *hv_db_table_find(const hv_db_table *t, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].name, name) == 0)
            return &t[i];
    }
    return NULL;
}

/* Appends t's columns, quoted and separated by commas. */
static hv_err append_columns(hv_buf *b, hv_arena *a, const hv_db_table *t) {
    hv_err rc = HV_OK;

    for (size_t i = 0; i < t->n_columns && rc == HV_OK; i++)
        rc = hv_buf_appendf(b, "%s%s", i ? ", " : "", quoted(a, t->columns[i]));
    return rc;
}

/* The statement built in b, copied into a.  Its buffer holds the largest the callers build
 * (ROWS_MAX rows of at most PARAMS_MAX values), so an append never fails. */
static const char *built(hv_buf *b, hv_arena *a, hv_err rc) {
    const char *out = hv_arena_strdup(a, b->data);

    assert(rc == HV_OK);
    (void)rc;
    hv_buf_free(b);
    return out;
}

/* "SELECT "a", "b" FROM "t"", ordered by every column when asked, in a. */
static const char *select_of(hv_arena *a, const hv_db_table *t, bool ordered) {
    hv_buf b;
    hv_err rc;

    hv_buf_init(&b, 1 << 20);
    rc = hv_buf_appendf(&b, "SELECT ");
    if (rc == HV_OK)
        rc = append_columns(&b, a, t);
    if (rc == HV_OK)
        rc = hv_buf_appendf(&b, " FROM %s", quoted(a, t->name));
    for (size_t i = 0; ordered && i < t->n_columns && rc == HV_OK; i++)
        rc = hv_buf_appendf(&b, "%s%zu NULLS FIRST", i ? ", " : " ORDER BY ", i + 1);
    return built(&b, a, rc);
}

/* "INSERT INTO "t" ("a", "b") VALUES (?, ?), …" for rows rows, in a. */
static const char *insert_of(hv_arena *a, const hv_db_table *t, size_t rows) {
    hv_buf b;
    hv_err rc;

    hv_buf_init(&b, 16 << 20);
    rc = hv_buf_appendf(&b, "INSERT INTO %s (", quoted(a, t->name));
    if (rc == HV_OK)
        rc = append_columns(&b, a, t);
    if (rc == HV_OK)
        rc = hv_buf_appendf(&b, ") VALUES ");
    for (size_t r = 0; r < rows && rc == HV_OK; r++) {
        rc = hv_buf_appendf(&b, "%s(", r ? ", " : "");
        for (size_t i = 0; i < t->n_columns && rc == HV_OK; i++)
            rc = hv_buf_appendf(&b, "%s?", i ? ", " : "");
        if (rc == HV_OK)
            rc = hv_buf_appendf(&b, ")");
    }
    return built(&b, a, rc);
}

/* A value read from the source, kept until its row's INSERT is sent. */
typedef struct value {
    hv_db_type type;
    int64_t i;
    char *bytes; /* text (NUL-terminated) or blob */
    size_t len;
} value;

/* Keeps the current row of from in v (cols values). */
static void keep_row(value *v, hv_stmt *from, size_t cols) {
    for (size_t i = 0; i < cols; i++) {
        int col = (int)i;
        const void *p = NULL;
        v[i] = (value){.type = hv_stmt_type(from, col)};
        if (v[i].type == HV_DB_INTEGER) {
            v[i].i = hv_stmt_int(from, col);
            continue;
        }
        if (v[i].type == HV_DB_BLOB)
            p = hv_stmt_blob(from, col, &v[i].len);
        else if (v[i].type == HV_DB_TEXT) {
            p = hv_stmt_text(from, col);
            v[i].len = strlen(p);
        }
        if (v[i].type != HV_DB_NULL) {
            v[i].bytes = hv_malloc(v[i].len + 1);
            memcpy(v[i].bytes, p, v[i].len);
            v[i].bytes[v[i].len] = '\0';
        }
    }
}

static void drop_values(value *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(v[i].bytes);
        v[i] = (value){0};
    }
}

/* Inserts the n values kept (n / the table's columns rows) in one statement. */
static hv_err insert_kept(hv_db *dst, hv_ctx *ctx, hv_arena *a, const hv_db_table *t, value *v,
                          size_t n) {
    hv_stmt *st = NULL;
    hv_err rc;

    if (n == 0)
        return HV_OK;
    rc = hv_db_prepare_dynamic(&st, dst, ctx, insert_of(a, t, n / t->n_columns));
    for (size_t i = 0; i < n && rc == HV_OK; i++) {
        int idx = (int)i + 1;
        switch (v[i].type) {
        case HV_DB_NULL:
            hv_stmt_bind_null(st, idx);
            break;
        case HV_DB_INTEGER:
            hv_stmt_bind_int(st, idx, v[i].i);
            break;
        case HV_DB_BLOB:
            hv_stmt_bind_blob(st, idx, v[i].bytes, v[i].len);
            break;
        case HV_DB_TEXT:
            hv_stmt_bind_text(st, idx, v[i].bytes);
            break;
        }
    }
    if (rc == HV_OK)
        rc = hv_stmt_step(st, ctx, NULL);
    hv_stmt_free(st);
    return rc;
}

hv_err hv_db_copy_table(int64_t *copied, hv_db *dst, hv_db *src, hv_ctx *ctx,
                        const hv_db_table *t) {
    hv_arena *a = hv_arena_new();
    size_t cols = t->n_columns, per = PARAMS_MAX / cols, n = 0;
    value *kept;
    hv_stmt *from = NULL;
    bool row;
    hv_err rc;

    if (per > ROWS_MAX)
        per = ROWS_MAX;
    kept = hv_calloc(per * cols, sizeof(*kept));
    *copied = 0;
    rc = hv_db_exec(dst, ctx, hv_arena_printf(a, "DELETE FROM %s", quoted(a, t->name)));
    if (rc == HV_OK)
        rc = hv_db_prepare_dynamic(&from, src, ctx, select_of(a, t, false));
    while (rc == HV_OK) {
        rc = hv_stmt_step(from, ctx, &row);
        if (rc || !row)
            break;
        keep_row(kept + n, from, cols);
        n += cols;
        (*copied)++;
        if (n == per * cols) {
            rc = insert_kept(dst, ctx, a, t, kept, n);
            drop_values(kept, n);
            n = 0;
        }
    }
    if (rc == HV_OK)
        rc = insert_kept(dst, ctx, a, t, kept, n);
    drop_values(kept, n);
    free(kept);
    hv_stmt_free(from);
    hv_arena_free(a);
    return rc;
}

/* Feeds one value into h in a form that is the same on both engines: a type letter, the
 * length, the bytes (an integer as decimal text). */
static void hash_value(hv_sha256 *h, hv_stmt *st, int col) {
    char head[48], num[24];
    const void *p = NULL;
    size_t len = 0;
    hv_db_type type = hv_stmt_type(st, col);

    if (type == HV_DB_INTEGER) {
        len = (size_t)snprintf(num, sizeof(num), "%lld", (long long)hv_stmt_int(st, col));
        p = num;
    } else if (type == HV_DB_BLOB) {
        p = hv_stmt_blob(st, col, &len);
    } else if (type == HV_DB_TEXT) {
        p = hv_stmt_text(st, col);
        len = strlen(p);
    }
    snprintf(head, sizeof(head), "%c%zu:", "nitb"[type], len);
    hv_sha256_update(h, head, strlen(head));
    if (len)
        hv_sha256_update(h, p, len);
}

hv_err hv_db_table_digest(int64_t *rows, char digest[HV_DIGEST_MAX], hv_db *db, hv_ctx *ctx,
                          const hv_db_table *t) {
    hv_arena *a = hv_arena_new();
    hv_stmt *st = NULL;
    hv_sha256 h;
    bool row;
    hv_err rc = hv_db_prepare_dynamic(&st, db, ctx, select_of(a, t, true));

    *rows = 0;
    hv_sha256_init(&h);
    while (rc == HV_OK) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        for (size_t i = 0; i < t->n_columns; i++)
            hash_value(&h, st, (int)i);
        hv_sha256_update(&h, "\n", 1);
        (*rows)++;
    }
    hv_sha256_final(&h, digest);
    hv_stmt_free(st);
    hv_arena_free(a);
    return rc;
}

hv_err hv_db_sequences_reset(hv_db *db, hv_ctx *ctx) {
    hv_arena *a;
    hv_stmt *list = NULL, *set = NULL;
    bool row;
    hv_err rc;

    if (hv_db_engine_of(db) != HV_DB_POSTGRES)
        return HV_OK; /* SQLite's AUTOINCREMENT follows the largest id by itself */
    a = hv_arena_new();
    rc = hv_db_prepare_dynamic(&list, db, ctx, sql_identities_pg);
    while (rc == HV_OK) {
        const char *table, *column;
        rc = hv_stmt_step(list, ctx, &row);
        if (rc || !row)
            break;
        table = hv_stmt_text(list, 0);
        column = hv_stmt_text(list, 1);
        rc = hv_db_prepare_dynamic(
            &set, db, ctx,
            hv_arena_printf(a,
                            "SELECT setval(pg_get_serial_sequence(quote_ident(?), ?), "
                            "coalesce((SELECT max(%s) FROM %s), 0) + 1, false)",
                            quoted(a, column), quoted(a, table)));
        if (rc)
            break;
        hv_stmt_bind_text(set, 1, table);
        hv_stmt_bind_text(set, 2, column);
        rc = hv_stmt_step(set, ctx, NULL);
        hv_stmt_free(set);
        set = NULL;
    }
    hv_stmt_free(list);
    hv_arena_free(a);
    return rc;
}
