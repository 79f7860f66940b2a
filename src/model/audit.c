/*
 * The audit log: one row per recorded operation (who, on what, which operation, when).
 * Rows are added, listed and purged (the oldest first, in batches); the list is Harbor's
 * q/sort/paging over a fixed set of columns, newest first unless the client sorts otherwise.
 */
#include "model/model_int.h"

#include <string.h>

/* the project's id looked up in the same statement: one round trip a row */
#define AUDIT_INSERT                                                                               \
    "INSERT INTO audit_log (project_id, username, resource, resource_type, operation, op_time)"    \
    " VALUES "
#define AUDIT_VALUES "(coalesce((SELECT id FROM project WHERE name = ?), 0), ?, ?, ?, ?, ?)"
static const char *sql_audit_insert = AUDIT_INSERT AUDIT_VALUES;

hv_err hv_model_audit_add(hv_ctx *ctx, const hv_audit_log *entry, const char *project) {
    return hv_model__exec(NULL, ctx, sql_audit_insert, "ttttti", project ? project : "",
                          entry->username, entry->resource, entry->resource_type, entry->operation,
                          entry->op_time);
}

/* Rows of one multi-row INSERT (6 parameters each, far below either engine's limit). */
#define AUDIT_ROWS_PER_STATEMENT 128

/* Rows [from, from + n) of entries in one statement. */
static hv_err add_rows(hv_ctx *ctx, const hv_audit_log *entries, const char *const *projects,
                       size_t from, size_t n) {
    hv_buf sql;
    hv_stmt *st = NULL;
    bool row;
    hv_err rc;

    hv_buf_init(&sql, sizeof(AUDIT_INSERT) + n * sizeof(", " AUDIT_VALUES));
    rc = hv_buf_append(&sql, AUDIT_INSERT, strlen(AUDIT_INSERT));
    for (size_t i = 0; rc == HV_OK && i < n; i++)
        rc = hv_buf_appendf(&sql, "%s" AUDIT_VALUES, i ? ", " : "");
    if (rc)
        rc = HV_FAIL(ctx, rc, "the audit log's INSERT of %zu rows does not fit its buffer", n);
    if (rc == HV_OK)
        rc = hv_db_prepare_dynamic(&st, ctx->db, ctx, sql.data);
    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        const hv_audit_log *e = &entries[from + i];
        int p = (int)i * 6;
        hv_stmt_bind_text(st, p + 1, projects[from + i] ? projects[from + i] : "");
        hv_stmt_bind_text(st, p + 2, e->username);
        hv_stmt_bind_text(st, p + 3, e->resource);
        hv_stmt_bind_text(st, p + 4, e->resource_type);
        hv_stmt_bind_text(st, p + 5, e->operation);
        hv_stmt_bind_int(st, p + 6, e->op_time);
    }
    if (rc == HV_OK)
        rc = hv_stmt_step(st, ctx, &row);
    hv_stmt_free(st);
    hv_buf_free(&sql);
    return rc;
}

hv_err hv_model_audit_add_many(hv_ctx *ctx, const hv_audit_log *entries,
                               const char *const *projects, size_t n) {
    hv_err rc = HV_OK;

    for (size_t i = 0; rc == HV_OK && i < n; i += AUDIT_ROWS_PER_STATEMENT)
        rc = add_rows(ctx, entries, projects, i,
                      n - i < AUDIT_ROWS_PER_STATEMENT ? n - i : AUDIT_ROWS_PER_STATEMENT);
    return rc;
}

static const hv_model__column audit_columns[] = {
    {"id", "a.id", 'i'},
    {"project_id", "coalesce(a.project_id, 0)", 'i'},
    {"username", "a.username", 't'},
    {"resource", "a.resource", 't'},
    {"resource_type", "a.resource_type", 't'},
    {"operation", "a.operation", 't'},
    {"op_time", "a.op_time", 'm'},
    {NULL, NULL, 0},
};

#define AUDIT_SELECT                                                                               \
    "SELECT a.id, coalesce(a.project_id, 0), a.username, a.resource, a.resource_type,"             \
    " a.operation, a.op_time FROM audit_log a"

hv_err hv_model_audit_list(hv_audit_log **out, size_t *n, int64_t *total, hv_ctx *ctx,
                           const hv_list *list, int64_t project_id) {
    hv_query_term fixed;
    const char *value;
    hv_stmt *st = NULL;
    hv_audit_log *v;
    size_t cap = 16, count = 0;
    bool row;
    hv_err rc;

    *out = NULL;
    *n = 0;
    if (project_id > 0) {
        value = hv_arena_printf(ctx->arena, "%lld", (long long)project_id);
        fixed =
            (hv_query_term){.key = "project_id", .op = HV_Q_EXACT, .values = &value, .n_values = 1};
    }
    rc = hv_model__list(&st, total, ctx, AUDIT_SELECT, audit_columns, "a.op_time DESC, a.id DESC",
                        list, project_id > 0 ? &fixed : NULL, project_id > 0 ? 1 : 0);
    if (rc)
        goto out;
    v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        v[count].id = hv_stmt_int(st, 0);
        v[count].project_id = hv_stmt_int(st, 1);
        v[count].username = hv_model__text(ctx, st, 2);
        v[count].resource = hv_model__text(ctx, st, 3);
        v[count].resource_type = hv_model__text(ctx, st, 4);
        v[count].operation = hv_model__text(ctx, st, 5);
        v[count].op_time = hv_stmt_int(st, 6);
        count++;
    }
    if (rc == HV_OK) {
        *out = v;
        *n = count;
    }
out:
    hv_stmt_free(st);
    return rc;
}

/* ?1 the time, ?2 the comma-separated operations */
#define PURGEABLE "op_time < ?1 AND (',' || ?2 || ',') LIKE ('%,' || operation || ',%')"
static const char *sql_audit_purge_count = "SELECT count(*) FROM audit_log WHERE " PURGEABLE;
static const char *sql_audit_purge =
    "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE " PURGEABLE
    " ORDER BY op_time LIMIT ?3)";

hv_err hv_model_audit_purge_count(int64_t *out, hv_ctx *ctx, int64_t before_ms, const char *ops) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_audit_purge_count, "it", before_ms, ops);

    if (rc)
        return rc;
    *out = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    return HV_OK;
}

hv_err hv_model_audit_purge(int64_t *deleted, hv_ctx *ctx, int64_t before_ms, const char *ops,
                            int64_t limit) {
    return hv_model__exec(deleted, ctx, sql_audit_purge, "iti", before_ms, ops, limit);
}
