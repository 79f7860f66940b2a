/*
 * Users.
 *
 * A user is one row of `users`.  Usernames and non-empty emails are unique; create and update
 * look them up first (inside the caller's transaction, which is taken immediately, so the
 * check cannot race) to say which of the two is taken.  Deleting a user removes its
 * memberships and leaves the projects it owned without an owner.
 */
#include "model/model_int.h"

#include <string.h>

#define USER_SELECT                                                                                \
    "SELECT u.id, u.username, u.password_hash, u.sysadmin, coalesce(u.email, ''), u.realname,"     \
    " u.comment, u.creation_time, u.update_time FROM users u"

static void read_user(hv_user *out, hv_ctx *ctx, hv_stmt *st) {
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

static const char *sql_user_get = USER_SELECT " WHERE u.username = ?";

hv_err hv_model_user_get(hv_user *out, hv_ctx *ctx, const char *username) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_user_get, "t", username);

    if (rc)
        return rc;
    if (row)
        read_user(out, ctx, st);
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "user %s not found", username);
}

static const char *sql_user_get_by_id = USER_SELECT " WHERE u.id = ?";

hv_err hv_model_user_get_by_id(hv_user *out, hv_ctx *ctx, int64_t id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_user_get_by_id, "i", id);

    if (rc)
        return rc;
    if (row)
        read_user(out, ctx, st);
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "user %lld not found", (long long)id);
}

static const char *sql_email_owner = "SELECT id FROM users WHERE email = ? AND email <> ''";

/* HV_E_CONFLICT when a user other than `self` (0: anyone) has this email. */
static hv_err email_free(hv_ctx *ctx, const char *email, int64_t self) {
    hv_stmt *st;
    bool row;
    int64_t owner = 0;
    hv_err rc;

    if (!email || !*email)
        return HV_OK;
    rc = hv_model__query(&st, &row, ctx, sql_email_owner, "t", email);
    if (rc)
        return rc;
    if (row)
        owner = hv_stmt_int(st, 0);
    hv_stmt_reset(st);
    if (row && owner != self)
        return HV_FAIL(ctx, HV_E_CONFLICT, "email %s is already used by another user", email);
    return HV_OK;
}

static const char *sql_user_exists = "SELECT 1 FROM users WHERE username = ?";

static const char *sql_user_insert =
    "INSERT INTO users (username, email, realname, comment, password_hash, sysadmin,"
    " creation_time, update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";

hv_err hv_model_user_create(int64_t *out_id, hv_ctx *ctx, const hv_user *u) {
    int64_t now = hv_now_ms();
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_user_exists, "t", u->username);

    if (rc)
        return rc;
    hv_stmt_reset(st);
    if (row)
        return HV_FAIL(ctx, HV_E_CONFLICT, "username %s is already used", u->username);
    rc = email_free(ctx, u->email, 0);
    if (rc)
        return rc;
    rc = hv_model__insert(out_id, ctx, sql_user_insert, "tttttiii", u->username, u->email,
                          u->realname ? u->realname : "", u->comment ? u->comment : "",
                          u->password_hash, (int64_t)u->sysadmin, now, now);
    if (rc == HV_E_CONFLICT) { /* created meanwhile by a transaction on another connection */
        hv_error_clear(ctx);
        return HV_FAIL(ctx, HV_E_CONFLICT, "username %s or email %s is already used", u->username,
                       u->email ? u->email : "");
    }
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

static const hv_model__column user_columns[] = {
    {"user_id", "u.id", 'i'},
    {"username", "u.username", 't'},
    {"email", "coalesce(u.email, '')", 't'},
    {"realname", "u.realname", 't'},
    {"comment", "u.comment", 't'},
    {"sysadmin_flag", "(u.sysadmin <> 0)", 'b'},
    {"creation_time", "u.creation_time", 'm'},
    {"update_time", "u.update_time", 'm'},
    {NULL, NULL, 0},
};

hv_err hv_model_user_list(hv_user **out, size_t *n, int64_t *total, hv_ctx *ctx,
                          const hv_list *list) {
    hv_stmt *st = NULL;
    hv_user *v;
    size_t cap = 16, count = 0;
    bool row;
    hv_err rc;

    *out = NULL;
    *n = 0;
    rc = hv_model__list(&st, total, ctx, USER_SELECT, user_columns, "u.id", list, NULL, 0);
    if (rc)
        goto out;
    v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_user(&v[count++], ctx, st);
    }
    if (rc == HV_OK) {
        *out = v;
        *n = count;
    }
out:
    hv_stmt_free(st);
    return rc;
}

/* NOT_FOUND when the statement changed no row. */
static hv_err changed_one(hv_ctx *ctx, int64_t changes, int64_t id) {
    if (changes == 0)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "user %lld not found", (long long)id);
    return HV_OK;
}

static const char *sql_user_update =
    "UPDATE users SET email = ?, realname = ?, comment = ?, update_time = ? WHERE id = ?";

hv_err hv_model_user_update(hv_ctx *ctx, const hv_user *u) {
    int64_t changes = 0;
    hv_err rc = email_free(ctx, u->email, u->id);

    if (rc)
        return rc;
    rc = hv_model__exec(&changes, ctx, sql_user_update, "tttii", u->email,
                        u->realname ? u->realname : "", u->comment ? u->comment : "", hv_now_ms(),
                        u->id);
    return rc ? rc : changed_one(ctx, changes, u->id);
}

static const char *sql_user_password =
    "UPDATE users SET password_hash = ?, update_time = ? WHERE id = ?";

hv_err hv_model_user_set_password(hv_ctx *ctx, int64_t id, const char *password_hash) {
    int64_t changes = 0;
    hv_err rc =
        hv_model__exec(&changes, ctx, sql_user_password, "tii", password_hash, hv_now_ms(), id);

    return rc ? rc : changed_one(ctx, changes, id);
}

static const char *sql_user_sysadmin =
    "UPDATE users SET sysadmin = ?, update_time = ? WHERE id = ?";

hv_err hv_model_user_set_sysadmin(hv_ctx *ctx, int64_t id, bool sysadmin) {
    int64_t changes = 0;
    hv_err rc =
        hv_model__exec(&changes, ctx, sql_user_sysadmin, "iii", (int64_t)sysadmin, hv_now_ms(), id);

    return rc ? rc : changed_one(ctx, changes, id);
}

static const char *sql_user_members =
    "DELETE FROM member WHERE entity_type = 'u' AND entity_id = ?";
static const char *sql_user_disown = "UPDATE project SET owner_id = NULL WHERE owner_id = ?";
static const char *sql_user_delete = "DELETE FROM users WHERE id = ?";

hv_err hv_model_user_delete(hv_ctx *ctx, int64_t id) {
    int64_t changes = 0;
    hv_err rc = hv_model__exec(NULL, ctx, sql_user_members, "i", id);

    if (rc == HV_OK)
        rc = hv_model__exec(NULL, ctx, sql_user_disown, "i", id);
    if (rc == HV_OK)
        rc = hv_model__exec(&changes, ctx, sql_user_delete, "i", id);
    return rc ? rc : changed_one(ctx, changes, id);
}
