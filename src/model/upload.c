/* Uploads in progress and the event outbox. */
#include "model/model_int.h"

#include <string.h>

static const char *sql_upload_insert =
    "INSERT INTO upload (uuid, repository, project_id, size, hash_state, creation_time,"
    " update_time) VALUES (?, ?, ?, ?, ?, ?, ?)";

hv_err hv_model_upload_create(hv_ctx *ctx, const hv_upload *u) {
    int64_t now = hv_now_ms();

    return hv_model__exec(NULL, ctx, sql_upload_insert, "ttiibii", u->uuid, u->repository,
                          u->project_id, u->size, (const void *)&u->hash, sizeof(u->hash), now,
                          now);
}

static const char *sql_upload_get =
    "SELECT uuid, repository, project_id, size, hash_state, update_time FROM upload"
    " WHERE uuid = ?";

hv_err hv_model_upload_get(hv_upload *out, hv_ctx *ctx, const char *uuid) {
    hv_stmt *st;
    bool row;
    size_t len = 0;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_upload_get, "t", uuid);

    if (rc)
        return rc;
    if (row) {
        const void *state = hv_stmt_blob(st, 4, &len);
        out->uuid = hv_model__text(ctx, st, 0);
        out->repository = hv_model__text(ctx, st, 1);
        out->project_id = hv_stmt_int(st, 2);
        out->size = hv_stmt_int(st, 3);
        out->update_time = hv_stmt_int(st, 5);
        if (len == sizeof(out->hash))
            memcpy(&out->hash, state, len);
    }
    hv_stmt_reset(st);
    if (!row)
        return HV_FAIL(ctx, HV_E_BLOB_UPLOAD_UNKNOWN, "upload %s is not known", uuid);
    if (len != sizeof(out->hash))
        return HV_FAIL(ctx, HV_E_BLOB_UPLOAD_INVALID, "upload %s has a damaged state", uuid);
    return HV_OK;
}

static const char *sql_upload_update = "UPDATE upload SET size = ?, hash_state = ?, update_time = ?"
                                       " WHERE uuid = ? AND size = ?";

hv_err hv_model_upload_update(hv_ctx *ctx, const hv_upload *u, int64_t from) {
    int64_t changed = 0;
    hv_upload now;
    hv_err rc = hv_model__exec(&changed, ctx, sql_upload_update, "ibiti", u->size,
                               (const void *)&u->hash, sizeof(u->hash), hv_now_ms(), u->uuid, from);

    if (rc || changed > 0)
        return rc;
    rc = hv_model_upload_get(&now, ctx, u->uuid);
    if (rc == HV_OK)
        rc = HV_FAIL(ctx, HV_E_RANGE,
                     "upload %s went on to %lld bytes while this chunk was written at %lld; ask "
                     "where it ends (GET) and send the chunk that starts there",
                     u->uuid, (long long)now.size, (long long)from);
    return rc;
}

static const char *sql_upload_delete = "DELETE FROM upload WHERE uuid = ?";

hv_err hv_model_upload_delete(hv_ctx *ctx, const char *uuid) {
    int64_t changed = 0;
    hv_err rc = hv_model__exec(&changed, ctx, sql_upload_delete, "t", uuid);

    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_BLOB_UPLOAD_UNKNOWN, "upload %s is not known", uuid);
    return rc;
}

static const char *sql_upload_stale = "SELECT uuid FROM upload WHERE update_time < ?";

hv_err hv_model_upload_stale(const char ***out, size_t *n, hv_ctx *ctx, int64_t cutoff_ms) {
    return hv_model__strings(out, n, ctx, sql_upload_stale, "i", cutoff_ms);
}

static const char *sql_outbox_add =
    "INSERT INTO outbox (type, payload, creation_time) VALUES (?, ?, ?)";

hv_err hv_model_outbox_add(hv_ctx *ctx, const char *type, const char *payload) {
    return hv_model__exec(NULL, ctx, sql_outbox_add, "tti", type, payload, hv_now_ms());
}

static const char *sql_outbox_next = "SELECT id, type, payload FROM outbox ORDER BY id LIMIT ?";
static const char *sql_outbox_next_pg =
    "SELECT id, type, payload FROM outbox ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED";

hv_err hv_model_outbox_claim(hv_event_row **out, size_t *n, hv_ctx *ctx, int64_t limit) {
    hv_event_row *v = hv_arena_alloc(ctx->arena, (size_t)limit * sizeof(*v));
    size_t count = 0;
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(
        &st, &row, ctx, HV_MODEL__SQL(ctx, sql_outbox_next, sql_outbox_next_pg), "i", limit);

    while (rc == HV_OK && row && count < (size_t)limit) {
        v[count].id = hv_stmt_int(st, 0);
        v[count].type = hv_model__text(ctx, st, 1);
        v[count].payload = hv_model__text(ctx, st, 2);
        count++;
        rc = hv_stmt_step(st, ctx, &row);
    }
    if (rc == HV_OK)
        hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

static const char *sql_outbox_delete = "DELETE FROM outbox WHERE id = ?";

hv_err hv_model_outbox_done(hv_ctx *ctx, const hv_event_row *rows, size_t n) {
    hv_err rc = HV_OK;

    for (size_t i = 0; rc == HV_OK && i < n; i++)
        rc = hv_model__exec(NULL, ctx, sql_outbox_delete, "i", rows[i].id);
    return rc;
}
