/*
 * db — one SQL interface for the metadata store.  Today's engine is SQLite in WAL mode
 * (one connection per thread, synchronous=FULL so a committed push is durable); PostgreSQL
 * joins behind the same functions.  SQL uses '?' placeholders.  Statements are prepared once
 * per connection and cached by the address of their SQL text, so callers pass string
 * literals.  Only src/model/ writes SQL.
 */
#ifndef HV_DB_H
#define HV_DB_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hv_db hv_db;
typedef struct hv_stmt hv_stmt;

/* Opens the database at path (created if missing).  HV_E_DB with SQLite's message. */
hv_err hv_db_open(hv_db **out, hv_ctx *ctx, const char *path);
void hv_db_close(hv_db *db); /* accepts NULL */

/* Applies the migrations not yet applied, each in its own transaction. */
hv_err hv_db_migrate(hv_db *db, hv_ctx *ctx);

/* A write transaction (taken immediately, so it cannot fail later on a lock upgrade).
 * HV_E_UNAVAILABLE when the database stays locked past the busy timeout. */
hv_err hv_db_begin(hv_db *db, hv_ctx *ctx);
hv_err hv_db_commit(hv_db *db, hv_ctx *ctx);
void hv_db_rollback(hv_db *db); /* no-op outside a transaction */

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
/* Steps; *row says whether a row is available.  HV_E_CONFLICT on a uniqueness violation. */
hv_err hv_stmt_step(hv_stmt *st, hv_ctx *ctx, bool *row);
/* Column values, borrowed until the next step or reset. */
const char *hv_stmt_text(hv_stmt *st, int col);
int64_t hv_stmt_int(hv_stmt *st, int col);
const void *hv_stmt_blob(hv_stmt *st, int col, size_t *len);
bool hv_stmt_is_null(hv_stmt *st, int col);
void hv_stmt_reset(hv_stmt *st);

int64_t hv_db_last_id(hv_db *db);
int64_t hv_db_changes(hv_db *db);

#endif
