/* Users. */
#include "model/model_int.h"

static const char *sql_user_get =
    "SELECT id, username, password_hash, sysadmin, email, realname, comment, creation_time,"
    " update_time FROM users WHERE username = ?";

hv_err hv_model_user_get(hv_user *out, hv_ctx *ctx, const char *username) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_user_get, "t", username);

    if (rc)
        return rc;
    if (row) {
        out->id = hv_stmt_int(st, 0);
        out->username = hv_model__text(ctx, st, 1);
        out->password_hash = hv_model__text(ctx, st, 2);
        out->sysadmin = hv_stmt_int(st, 3) != 0;
        out->email = hv_model__text(ctx, st, 4);
        out->realname = hv_model__text(ctx, st, 5);
        out->comment = hv_model__text(ctx, st, 6);
        out->creation_time = hv_stmt_int(st, 7);
        out->update_time = hv_stmt_int(st, 8);
    }
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "user %s not found", username);
}

static const char *sql_user_insert =
    "INSERT INTO users (username, email, realname, comment, password_hash, sysadmin,"
    " creation_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

hv_err hv_model_user_create(int64_t *out_id, hv_ctx *ctx, const hv_user *u) {
    int64_t now = hv_now_ms();
    hv_err rc = hv_model__exec(NULL, ctx, sql_user_insert, "tttttiii", u->username, u->email,
                               u->realname ? u->realname : "", u->comment ? u->comment : "",
                               u->password_hash, (int64_t)u->sysadmin, now, now);

    if (rc == HV_OK)
        *out_id = hv_db_last_id(ctx->db);
    return rc;
}

static const char *sql_user_count = "SELECT count(*) FROM users";

hv_err hv_model_user_count(int64_t *out, hv_ctx *ctx) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_user_count, "");

    if (rc)
        return rc;
    *out = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    return HV_OK;
}
