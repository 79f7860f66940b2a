/* Secrets every node needs, by name: stored as auth seals them (this file never sees them in
 * the clear). */
#include "model/model_int.h"

#include <string.h>

static const char *sql_secret_get = "SELECT value FROM secret WHERE name = ?";

hv_err hv_model_secret_get(const void **value, size_t *len, hv_ctx *ctx, const char *name) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_secret_get, "t", name);

    if (rc)
        return rc;
    if (row) {
        const void *v = hv_stmt_blob(st, 0, len);
        void *copy = hv_arena_alloc(ctx->arena, *len + 1);

        memcpy(copy, v, *len);
        *value = copy;
    }
    hv_stmt_reset(st);
    if (!row)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "no secret %s is stored", name);
    return HV_OK;
}

static const char *sql_secret_add = "INSERT INTO secret (name, value, creation_time)"
                                    " VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING";

hv_err hv_model_secret_add(hv_ctx *ctx, const char *name, const void *value, size_t len) {
    return hv_model__exec(NULL, ctx, sql_secret_add, "tbi", name, value, len, hv_now_ms());
}
