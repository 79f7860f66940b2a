/* Shared between the files of the model module only. */
#ifndef HV_MODEL_INT_H
#define HV_MODEL_INT_H

#include "db/db.h"
#include "model/model.h"

/* Prepares sql on ctx->db. */
static inline hv_err hv_model__prepare(hv_stmt **st, hv_ctx *ctx, const char *sql) {
    return hv_db_prepare(st, ctx->db, ctx, sql);
}

/* Steps a statement that returns no rows and resets it. */
static inline hv_err hv_model__run(hv_stmt *st, hv_ctx *ctx) {
    hv_err rc = hv_stmt_step(st, ctx, NULL);
    hv_stmt_reset(st);
    return rc;
}

/* A copy of column col in the arena (NULL stays NULL). */
static inline const char *hv_model__text(hv_ctx *ctx, hv_stmt *st, int col) {
    return hv_arena_strdup(ctx->arena, hv_stmt_text(st, col));
}

/* Collects the first column of every row into an arena array of strings; resets st. */
hv_err hv_model__strings(const char ***out, size_t *n, hv_ctx *ctx, hv_stmt *st, int64_t limit);

#endif
