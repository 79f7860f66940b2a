/*
 * Shared between the files of the model module only: a small query layer over db so that
 * each model function is its SQL and its mapping, not binding boilerplate.
 *
 * Arguments are described by a type string, one letter each:
 *   't'  const char *      (NULL binds NULL)
 *   'i'  int64_t           (pass int64_t: cast bools and ints)
 *   'b'  const void *, size_t
 */
#ifndef HV_MODEL_INT_H
#define HV_MODEL_INT_H

#include "db/db.h"
#include "model/model.h"

/* Prepares sql on ctx->db, binds the arguments and steps once; *row says whether a row is
 * there to read.  The caller reads it, then calls hv_stmt_reset(*st). */
hv_err hv_model__query(hv_stmt **st, bool *row, hv_ctx *ctx, const char *sql, const char *types,
                       ...);

/* Runs a statement that returns no rows; *changes (may be NULL) gets the rows it changed. */
hv_err hv_model__exec(int64_t *changes, hv_ctx *ctx, const char *sql, const char *types, ...);

/* Runs an INSERT … RETURNING id; *id gets the id, or 0 when no row was inserted (ON CONFLICT
 * DO NOTHING). */
hv_err hv_model__insert(int64_t *id, hv_ctx *ctx, const char *sql, const char *types, ...);

/* The SQL text of ctx's engine: the first for SQLite, the second for PostgreSQL.  Only for what
 * the engines spell differently (row locks); everything else is written once. */
#define HV_MODEL__SQL(ctx, sqlite, postgres)                                                       \
    (hv_db_engine_of((ctx)->db) == HV_DB_POSTGRES ? (postgres) : (sqlite))

/* Runs a query and collects the first column of every row as arena strings. */
hv_err hv_model__strings(const char ***out, size_t *n, hv_ctx *ctx, const char *sql,
                         const char *types, ...);

/* A column that lists may filter and sort on: the API's key, the SQL expression, and its
 * type: 't' text, 'i' integer, 'm' time (milliseconds; filtered with "2006-01-02T15:04:05"
 * or epoch seconds), 'b' boolean ("true"/"false"; expr is a condition, which PostgreSQL keeps
 * apart from integers), 'e' "one of a set is": expr is "SELECT 1 FROM … WHERE … AND <text>",
 * and a term on it is EXISTS (expr = value) or, fuzzy, EXISTS (expr LIKE pattern).  Fuzzy terms
 * ignore case (ASCII), on both engines. */
typedef struct hv_model__column {
    const char *key;
    const char *expr;
    char type;
} hv_model__column;

/*
 * Runs a list query: `select` is "SELECT <columns> FROM <tables>" (no WHERE), `cols` the
 * filterable columns (ending with a {NULL} entry), `order` the default ORDER BY, `fixed` the
 * terms the caller imposes (a project, ...) on top of the client's.  Sets *total to the
 * number of matching rows and *rows to the page's rows (free with hv_stmt_free).
 */
hv_err hv_model__list(hv_stmt **rows, int64_t *total, hv_ctx *ctx, const char *select,
                      const hv_model__column *cols, const char *order, const hv_list *list,
                      const hv_query_term *fixed, size_t n_fixed);

/* Collects rows of (text, integer) — a digest and a size — from a statement stepped once
 * already (row: whether it gave one) into arena arrays; resets st. */
hv_err hv_model__digest_sizes(const char ***digests, int64_t **sizes, size_t *n, hv_ctx *ctx,
                              hv_stmt *st, bool row);

/* A copy of column col in the arena (NULL stays NULL). */
static inline const char *hv_model__text(hv_ctx *ctx, hv_stmt *st, int col) {
    return hv_arena_strdup(ctx->arena, hv_stmt_text(st, col));
}

/* The columns of an artifact (table alias a), read by hv_model__read_artifact. */
#define HV_MODEL__ARTIFACT_COLUMNS                                                                 \
    "a.id, a.repository_id, a.digest, a.media_type, a.artifact_type, a.size,"                      \
    " a.subject_digest, a.annotations"

/* The artifact of HV_MODEL__ARTIFACT_COLUMNS, which start at column col of st's row. */
void hv_model__read_artifact(hv_artifact *a, hv_ctx *ctx, hv_stmt *st, int col);

#endif
