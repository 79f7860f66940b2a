/* The model's query layer: prepare (cached), bind from a type string, step, collect. */
#include "model/model_int.h"

#include <assert.h>
#include <stdarg.h>
#include <string.h>

static hv_err prepare(hv_stmt **st, hv_ctx *ctx, const char *sql, const char *types, va_list ap) {
    hv_err rc = hv_db_prepare(st, ctx->db, ctx, sql);

    if (rc)
        return rc;
    for (int i = 0; types[i]; i++) {
        switch (types[i]) {
        case 't':
            hv_stmt_bind_text(*st, i + 1, va_arg(ap, const char *));
            break;
        case 'i':
            hv_stmt_bind_int(*st, i + 1, va_arg(ap, int64_t));
            break;
        case 'b': {
            const void *p = va_arg(ap, const void *);
            hv_stmt_bind_blob(*st, i + 1, p, va_arg(ap, size_t));
            break;
        }
        default:
            assert(!"unknown bind type");
        }
    }
    return HV_OK;
}

static hv_err vquery(hv_stmt **st, bool *row, hv_ctx *ctx, const char *sql, const char *types,
                     va_list ap) {
    hv_err rc = prepare(st, ctx, sql, types, ap);

    if (rc)
        return rc;
    rc = hv_stmt_step(*st, ctx, row);
    if (rc)
        hv_stmt_reset(*st);
    return rc;
}

hv_err hv_model__query(hv_stmt **st, bool *row, hv_ctx *ctx, const char *sql, const char *types,
                       ...) {
    va_list ap;
    hv_err rc;

    va_start(ap, types);
    rc = vquery(st, row, ctx, sql, types, ap);
    va_end(ap);
    return rc;
}

hv_err hv_model__exec(int64_t *changes, hv_ctx *ctx, const char *sql, const char *types, ...) {
    hv_stmt *st;
    va_list ap;
    hv_err rc;

    va_start(ap, types);
    rc = prepare(&st, ctx, sql, types, ap);
    va_end(ap);
    if (rc)
        return rc;
    rc = hv_stmt_step(st, ctx, NULL);
    hv_stmt_reset(st);
    if (rc == HV_OK && changes)
        *changes = hv_db_changes(ctx->db);
    return rc;
}

hv_err hv_model__insert(int64_t *id, hv_ctx *ctx, const char *sql, const char *types, ...) {
    hv_stmt *st;
    va_list ap;
    bool row = false;
    hv_err rc;

    va_start(ap, types);
    rc = vquery(&st, &row, ctx, sql, types, ap);
    va_end(ap);
    *id = rc == HV_OK && row ? hv_stmt_int(st, 0) : 0;
    if (rc == HV_OK)
        hv_stmt_reset(st);
    return rc;
}

hv_err hv_model__strings(const char ***out, size_t *n, hv_ctx *ctx, const char *sql,
                         const char *types, ...) {
    size_t cap = 64, count = 0;
    const char **v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_stmt *st;
    va_list ap;
    bool row;
    hv_err rc;

    va_start(ap, types);
    rc = prepare(&st, ctx, sql, types, ap);
    va_end(ap);
    if (rc)
        return rc;
    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        v[count++] = hv_model__text(ctx, st, 0);
    }
    hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

hv_err hv_model__digest_sizes(const char ***digests, int64_t **sizes, size_t *n, hv_ctx *ctx,
                              hv_stmt *st, bool row) {
    size_t dcap = 16, zcap = 16, count = 0;
    const char **d = hv_arena_alloc(ctx->arena, dcap * sizeof(*d));
    int64_t *z = hv_arena_alloc(ctx->arena, zcap * sizeof(*z));
    hv_err rc = HV_OK;

    while (row) {
        d = hv_arena_grow(ctx->arena, d, &dcap, count, sizeof(*d));
        z = hv_arena_grow(ctx->arena, z, &zcap, count, sizeof(*z));
        d[count] = hv_model__text(ctx, st, 0);
        z[count++] = hv_stmt_int(st, 1);
        rc = hv_stmt_step(st, ctx, &row);
        if (rc)
            break;
    }
    if (rc == HV_OK)
        hv_stmt_reset(st);
    *digests = d;
    *sizes = z;
    *n = count;
    return rc;
}

hv_err hv_model_ping(hv_ctx *ctx) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, "SELECT 1", "");

    if (rc == HV_OK)
        hv_stmt_reset(st);
    return rc;
}
