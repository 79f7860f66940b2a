/*
 * db — one SQL interface for the metadata store, two engines behind it: SQLite (embedded,
 * one file in the data directory) and PostgreSQL (scale-out, through libpq).  hv_db_open
 * picks the engine from what it is given: a postgres:// or postgresql:// URL selects
 * PostgreSQL, anything else is the path of a SQLite file.
 *
 * SQL uses '?' and '?NNN' placeholders (SQLite's numbering: a bare '?' takes the number after
 * the largest used so far); the PostgreSQL engine rewrites them to $n when it prepares.
 * Statements are prepared once per connection and cached by the address of their SQL text,
 * so callers pass string literals.  Only src/model/ writes SQL, and it writes SQL that both
 * engines accept; where they differ it asks hv_db_engine_of and passes the engine's text.
 *
 * Transactions (hv_db_begin): SQLite takes its single writer lock at BEGIN (BEGIN IMMEDIATE),
 * so write transactions run one at a time.  PostgreSQL runs them at READ COMMITTED, side by
 * side: what must not interleave (a project's quota and blob links) takes a row lock with
 * SELECT … FOR UPDATE in the model, and uniqueness is the constraints' job (HV_E_CONFLICT).
 */
#ifndef HV_DB_H
#define HV_DB_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hv_db hv_db;
typedef struct hv_stmt hv_stmt;

typedef enum { HV_DB_SQLITE, HV_DB_POSTGRES } hv_db_engine;

/* What a column value is, for code that copies rows it knows nothing about. */
typedef enum { HV_DB_NULL, HV_DB_INTEGER, HV_DB_TEXT, HV_DB_BLOB } hv_db_type;

/* Whether target names a PostgreSQL database (a postgres:// or postgresql:// URL). */
bool hv_db_is_url(const char *target);

/*
 * Opens the database: a PostgreSQL URL (libpq's URI syntax) or the path of a SQLite file
 * (created if missing).  HV_E_DB with the engine's message; HV_E_UNAVAILABLE when the
 * PostgreSQL server cannot be reached.  Messages never contain a password.
 */
hv_err hv_db_open(hv_db **out, hv_ctx *ctx, const char *target);
void hv_db_close(hv_db *db); /* accepts NULL */

hv_db_engine hv_db_engine_of(const hv_db *db);

/* Whether a connection may go back to a pool: it is not broken and is younger than
 * max_lifetime_ms (0: any age). */
bool hv_db_reusable(const hv_db *db, int64_t max_lifetime_ms);

/* target with the password of a URL replaced by "xxxxx", for logs (arena). */
const char *hv_db_redact(hv_arena *arena, const char *target);

/* Applies the migrations not yet applied, each in its own transaction.  On PostgreSQL the
 * whole run holds an advisory lock, so nodes starting together apply each migration once. */
hv_err hv_db_migrate(hv_db *db, hv_ctx *ctx);

/* A write transaction (see above).  HV_E_UNAVAILABLE when the database stays locked past
 * the lock timeout or the connection is lost. */
hv_err hv_db_begin(hv_db *db, hv_ctx *ctx);
hv_err hv_db_commit(hv_db *db, hv_ctx *ctx);
void hv_db_rollback(hv_db *db); /* no-op outside a transaction */

/*
 * Work that runs on one node of a cluster at a time (the upload purge; later the scheduler
 * and GC): sets *held when db's connection holds the singleton `name`, taking it when no
 * other connection does.  The holder keeps it for as long as the connection lives, so the
 * same node goes on doing the work; a node that stops or dies releases it with its
 * connection, and the next node to ask takes it.  Ask before each run: a connection lost
 * and made again has lost it.  Call it on a connection of its own (never a pooled one,
 * which would take it elsewhere).  PostgreSQL: a session-level advisory lock; SQLite serves
 * one node, which always holds it.  HV_E_UNAVAILABLE when the database cannot be reached.
 */
hv_err hv_db_singleton(bool *held, hv_db *db, hv_ctx *ctx, const char *name);

/* Whether the last failure was a deadlock or serialization failure: the transaction was
 * rolled back by the server and running it again may succeed. */
bool hv_db_retryable(const hv_db *db);

/* Runs SQL without parameters or results (may hold several statements). */
hv_err hv_db_exec(hv_db *db, hv_ctx *ctx, const char *sql);

/*
 * Returns the cached prepared statement for sql (borrowed from db).  Bind, step, read,
 * then hv_stmt_reset before preparing the same SQL again.
 */
hv_err hv_db_prepare(hv_stmt **out, hv_db *db, hv_ctx *ctx, const char *sql);
/* For SQL built at run time (list filters): prepared uncached; free with hv_stmt_free. */
hv_err hv_db_prepare_dynamic(hv_stmt **out, hv_db *db, hv_ctx *ctx, const char *sql);
void hv_stmt_free(hv_stmt *st); /* accepts NULL; only for hv_db_prepare_dynamic */
void hv_stmt_bind_text(hv_stmt *st, int idx, const char *s); /* NULL binds NULL; 1-based */
void hv_stmt_bind_int(hv_stmt *st, int idx, int64_t v);
void hv_stmt_bind_blob(hv_stmt *st, int idx, const void *p, size_t n);
/* A NULL of no particular type, for a column of any (hv_stmt_bind_text's NULL is text). */
void hv_stmt_bind_null(hv_stmt *st, int idx);
/* Steps; *row says whether a row is available.  HV_E_CONFLICT on a constraint violation. */
hv_err hv_stmt_step(hv_stmt *st, hv_ctx *ctx, bool *row);
/* Column values, borrowed until the next step or reset.  hv_stmt_int reads booleans as 0/1. */
const char *hv_stmt_text(hv_stmt *st, int col);
int64_t hv_stmt_int(hv_stmt *st, int col);
const void *hv_stmt_blob(hv_stmt *st, int col, size_t *len);
bool hv_stmt_is_null(hv_stmt *st, int col);
/* The type of a column's value in the current row (SQLite: the value's own; PostgreSQL: the
 * column's, integers and booleans being HV_DB_INTEGER, bytea HV_DB_BLOB, the rest text). */
hv_db_type hv_stmt_type(hv_stmt *st, int col);
void hv_stmt_reset(hv_stmt *st);

/* Rows changed by the last INSERT, UPDATE or DELETE on db. */
int64_t hv_db_changes(hv_db *db);

/* ---------------------------------------------------------------- copying (copy.c) */

/* A table of the schema as the engine's catalog describes it. */
typedef struct hv_db_table {
    char *name;
    char **columns; /* in the table's order */
    size_t n_columns;
    char **parents; /* the tables its foreign keys name */
    size_t n_parents;
} hv_db_table;

/* Every table of db's schema (schema_migrations included), each after the tables its
 * foreign keys name, else by name.  *out belongs to the caller (hv_db_tables_free).
 * HV_E_DB, also when the foreign keys form a cycle. */
hv_err hv_db_tables(hv_db_table **out, size_t *n, hv_db *db, hv_ctx *ctx);
void hv_db_tables_free(hv_db_table *t, size_t n); /* accepts NULL */
/* The table of that name among t, or NULL; borrowed from t. */
const hv_db_table *hv_db_table_find(const hv_db_table *t, size_t n, const char *name);
/* Makes the table of t's name in dst hold the rows of t in src, each column's value as it
 * is (ids included); *copied counts them.  Whatever dst's table held goes first: in a copy
 * of a whole schema into an empty one (in one transaction of dst, tables in the order of
 * hv_db_tables), that is what dst's triggers made of the tables copied before (the quota
 * row of each project).  HV_E_CONFLICT when a row breaks a constraint of dst; HV_E_DB,
 * HV_E_UNAVAILABLE. */
hv_err hv_db_copy_table(int64_t *copied, hv_db *dst, hv_db *src, hv_ctx *ctx, const hv_db_table *t);
/* The rows of t in db: their number and a SHA-256 of their values in a canonical order,
 * equal on both engines for equal rows (text compared bytewise). */
hv_err hv_db_table_digest(int64_t *rows, char digest[HV_DIGEST_MAX], hv_db *db, hv_ctx *ctx,
                          const hv_db_table *t);
/* PostgreSQL: moves the sequence of every identity column past the largest value in the
 * column, so that new rows get ids after rows copied with theirs.  Nothing on SQLite. */
hv_err hv_db_sequences_reset(hv_db *db, hv_ctx *ctx);

#endif
