/* The scanner's inventory of each layer, by layer digest (scan's JSON, stored as it is). */
#include "model/model_int.h"

static const char *sql_scan_layer_get =
    "SELECT inventory FROM scan_layer WHERE digest = ? AND version = ?";

hv_err hv_model_scan_layer_get(const char **json, hv_ctx *ctx, const char *digest, int version) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_scan_layer_get, "ti", digest, (int64_t)version);

    if (rc)
        return rc;
    if (row)
        *json = hv_arena_strdup(ctx->arena, hv_stmt_text(st, 0));
    hv_stmt_reset(st);
    if (!row)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "layer %s has no inventory of version %d", digest,
                       version);
    return HV_OK;
}

static const char *sql_scan_layer_put =
    "INSERT INTO scan_layer (digest, version, inventory, creation_time) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (digest) DO UPDATE SET version = excluded.version,"
    " inventory = excluded.inventory, creation_time = excluded.creation_time";

hv_err hv_model_scan_layer_put(hv_ctx *ctx, const char *digest, int version, const char *json) {
    return hv_model__exec(NULL, ctx, sql_scan_layer_put, "titi", digest, (int64_t)version, json,
                          hv_now_ms());
}
