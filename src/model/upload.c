/* Uploads in progress and the event outbox. */
#include "model/model_int.h"

#include <string.h>

static const char *sql_upload_insert =
    "INSERT INTO upload (uuid, repository, project_id, size, hash_state, creation_time,"
    " update_time) VALUES (?, ?, ?, ?, ?, ?, ?)";

hv_err hv_model_upload_create(hv_ctx *ctx, const hv_upload *u) {
    int64_t now = hv_now_ms();
    hv_stmt *st;
    hv_err rc = hv_model__prepare(&st, ctx, sql_upload_insert);

    if (rc)
        return rc;
    hv_stmt_bind_text(st, 1, u->uuid);
    hv_stmt_bind_text(st, 2, u->repository);
    hv_stmt_bind_int(st, 3, u->project_id);
    hv_stmt_bind_int(st, 4, u->size);
    hv_stmt_bind_blob(st, 5, &u->hash, sizeof(u->hash));
    hv_stmt_bind_int(st, 6, now);
    hv_stmt_bind_int(st, 7, now);
    return hv_model__run(st, ctx);
}

static const char *sql_upload_get =
    "SELECT uuid, repository, project_id, size, hash_state, update_time FROM upload"
    " WHERE uuid = ?";

hv_err hv_model_upload_get(hv_upload *out, hv_ctx *ctx, const char *uuid) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__prepare(&st, ctx, sql_upload_get);

    if (rc)
        return rc;
    hv_stmt_bind_text(st, 1, uuid);
    rc = hv_stmt_step(st, ctx, &row);
    if (rc == HV_OK && row) {
        size_t len;
        const void *state = hv_stmt_blob(st, 4, &len);
        out->uuid = hv_model__text(ctx, st, 0);
        out->repository = hv_model__text(ctx, st, 1);
        out->project_id = hv_stmt_int(st, 2);
        out->size = hv_stmt_int(st, 3);
        out->update_time = hv_stmt_int(st, 5);
        if (len != sizeof(out->hash))
            rc = HV_FAIL(ctx, HV_E_BLOB_UPLOAD_INVALID, "upload %s has a damaged state", uuid);
        else
            memcpy(&out->hash, state, len);
    }
    hv_stmt_reset(st);
    if (rc == HV_OK && !row)
        rc = HV_FAIL(ctx, HV_E_BLOB_UPLOAD_UNKNOWN, "upload %s is not known", uuid);
    return rc;
}

static const char *sql_upload_update =
    "UPDATE upload SET size = ?, hash_state = ?, update_time = ? WHERE uuid = ?";

hv_err hv_model_upload_update(hv_ctx *ctx, const hv_upload *u) {
    hv_stmt *st;
    hv_err rc = hv_model__prepare(&st, ctx, sql_upload_update);

    if (rc)
        return rc;
    hv_stmt_bind_int(st, 1, u->size);
    hv_stmt_bind_blob(st, 2, &u->hash, sizeof(u->hash));
    hv_stmt_bind_int(st, 3, hv_now_ms());
    hv_stmt_bind_text(st, 4, u->uuid);
    rc = hv_model__run(st, ctx);
    if (rc == HV_OK && hv_db_changes(ctx->db) == 0)
        rc = HV_FAIL(ctx, HV_E_BLOB_UPLOAD_UNKNOWN, "upload %s is not known", u->uuid);
    return rc;
}

static const char *sql_upload_delete = "DELETE FROM upload WHERE uuid = ?";

hv_err hv_model_upload_delete(hv_ctx *ctx, const char *uuid) {
    hv_stmt *st;
    hv_err rc = hv_model__prepare(&st, ctx, sql_upload_delete);

    if (rc)
        return rc;
    hv_stmt_bind_text(st, 1, uuid);
    rc = hv_model__run(st, ctx);
    if (rc == HV_OK && hv_db_changes(ctx->db) == 0)
        rc = HV_FAIL(ctx, HV_E_BLOB_UPLOAD_UNKNOWN, "upload %s is not known", uuid);
    return rc;
}

static const char *sql_upload_stale = "SELECT uuid FROM upload WHERE update_time < ?";

hv_err hv_model_upload_stale(const char ***out, size_t *n, hv_ctx *ctx, int64_t cutoff_ms) {
    hv_stmt *st;
    hv_err rc = hv_model__prepare(&st, ctx, sql_upload_stale);

    if (rc)
        return rc;
    hv_stmt_bind_int(st, 1, cutoff_ms);
    return hv_model__strings(out, n, ctx, st, 0);
}

static const char *sql_outbox_add =
    "INSERT INTO outbox (type, payload, creation_time) VALUES (?, ?, ?)";

hv_err hv_model_outbox_add(hv_ctx *ctx, const char *type, const char *payload) {
    hv_stmt *st;
    hv_err rc = hv_model__prepare(&st, ctx, sql_outbox_add);

    if (rc)
        return rc;
    hv_stmt_bind_text(st, 1, type);
    hv_stmt_bind_text(st, 2, payload);
    hv_stmt_bind_int(st, 3, hv_now_ms());
    return hv_model__run(st, ctx);
}

static const char *sql_outbox_next = "SELECT id, type, payload FROM outbox ORDER BY id LIMIT ?";

hv_err hv_model_outbox_next(hv_event_row **out, size_t *n, hv_ctx *ctx, int64_t limit) {
    hv_event_row *v = hv_arena_alloc(ctx->arena, (size_t)limit * sizeof(*v));
    size_t count = 0;
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__prepare(&st, ctx, sql_outbox_next);

    if (rc)
        return rc;
    hv_stmt_bind_int(st, 1, limit);
    while (count < (size_t)limit) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v[count].id = hv_stmt_int(st, 0);
        v[count].type = hv_model__text(ctx, st, 1);
        v[count].payload = hv_model__text(ctx, st, 2);
        count++;
    }
    hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

static const char *sql_outbox_delete = "DELETE FROM outbox WHERE id <= ?";

hv_err hv_model_outbox_delete_upto(hv_ctx *ctx, int64_t id) {
    hv_stmt *st;
    hv_err rc = hv_model__prepare(&st, ctx, sql_outbox_delete);

    if (rc)
        return rc;
    hv_stmt_bind_int(st, 1, id);
    return hv_model__run(st, ctx);
}
