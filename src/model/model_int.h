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

/* Runs a query and collects the first column of every row as arena strings. */
hv_err hv_model__strings(const char ***out, size_t *n, hv_ctx *ctx, const char *sql,
                         const char *types, ...);

/* A copy of column col in the arena (NULL stays NULL). */
static inline const char *hv_model__text(hv_ctx *ctx, hv_stmt *st, int col) {
    return hv_arena_strdup(ctx->arena, hv_stmt_text(st, col));
}

#endif
