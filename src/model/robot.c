/*
 * Robot accounts and their permissions.
 *
 * A robot is one row of `robot` plus the rows of `robot_permission` that belong to it; the
 * permissions are always loaded with the robot (an arena array), so a caller never sees a
 * robot without knowing what it may do.  Creating a robot inserts its permissions; updating
 * one replaces them (delete, then insert) — call inside a transaction to make that atomic.
 */
#include "model/model_int.h"

#include <string.h>

#define ROBOT_COLUMNS                                                                              \
    "r.id, r.name, r.description, r.level, coalesce(r.project_id, 0), r.secret_hash,"              \
    " r.disabled, r.duration, r.expires_at, r.creator_type, r.creator_ref, r.creation_time,"       \
    " r.update_time"
#define ROBOT_SELECT "SELECT " ROBOT_COLUMNS " FROM robot r"

static void read_robot(hv_robot *out, hv_ctx *ctx, hv_stmt *st) {
    memset(out, 0, sizeof(*out));
    out->id = hv_stmt_int(st, 0);
    out->name = hv_model__text(ctx, st, 1);
    out->description = hv_model__text(ctx, st, 2);
    out->level = hv_model__text(ctx, st, 3);
    out->project_id = hv_stmt_int(st, 4);
    out->secret_hash = hv_model__text(ctx, st, 5);
    out->disabled = hv_stmt_int(st, 6) != 0;
    out->duration = hv_stmt_int(st, 7);
    out->expires_at = hv_stmt_int(st, 8);
    out->creator_type = hv_model__text(ctx, st, 9);
    out->creator_ref = hv_stmt_int(st, 10);
    out->creation_time = hv_stmt_int(st, 11);
    out->update_time = hv_stmt_int(st, 12);
}

static const char *sql_perm_list = "SELECT kind, namespace, resource, action FROM robot_permission"
                                   " WHERE robot_id = ? ORDER BY position";

/* Loads the permissions of r into the arena. */
static hv_err load_permissions(hv_robot *r, hv_ctx *ctx) {
    size_t cap = 16, n = 0;
    hv_robot_permission *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_perm_list, "i", r->id);

    if (rc)
        return rc;
    while (row) {
        v = hv_arena_grow(ctx->arena, v, &cap, n, sizeof(*v));
        v[n].kind = hv_model__text(ctx, st, 0);
        v[n].namespace_ = hv_model__text(ctx, st, 1);
        v[n].resource = hv_model__text(ctx, st, 2);
        v[n].action = hv_model__text(ctx, st, 3);
        n++;
        rc = hv_stmt_step(st, ctx, &row);
        if (rc)
            break;
    }
    hv_stmt_reset(st);
    r->permissions = v;
    r->n_permissions = n;
    return rc;
}

static const char *sql_perm_insert =
    "INSERT INTO robot_permission (robot_id, kind, namespace, resource, action, position)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
static const char *sql_perm_delete = "DELETE FROM robot_permission WHERE robot_id = ?";

static hv_err insert_permissions(hv_ctx *ctx, int64_t robot_id, const hv_robot_permission *p,
                                 size_t n) {
    hv_err rc = HV_OK;

    for (size_t i = 0; rc == HV_OK && i < n; i++)
        rc = hv_model__exec(NULL, ctx, sql_perm_insert, "itttti", robot_id, p[i].kind,
                            p[i].namespace_, p[i].resource, p[i].action, (int64_t)i);
    return rc;
}

static const char *sql_robot_insert =
    "INSERT INTO robot (name, description, level, project_id, secret_hash, disabled, duration,"
    " expires_at, creator_type, creator_ref, creation_time, update_time)"
    " VALUES (?, ?, ?, nullif(?, 0), ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";

hv_err hv_model_robot_create(int64_t *out_id, hv_ctx *ctx, const hv_robot *r) {
    int64_t now = r->creation_time ? r->creation_time : hv_now_ms();
    int64_t id = 0;
    hv_err rc = hv_model__insert(
        &id, ctx, sql_robot_insert, "tttitiiitiii", r->name, r->description ? r->description : "",
        r->level, r->project_id, r->secret_hash, (int64_t)r->disabled, r->duration, r->expires_at,
        r->creator_type ? r->creator_type : "local", r->creator_ref, now, now);

    if (rc == HV_E_CONFLICT)
        return HV_FAIL(ctx, HV_E_CONFLICT, "a robot named %s already exists", r->name);
    if (rc)
        return rc;
    rc = insert_permissions(ctx, id, r->permissions, r->n_permissions);
    if (rc == HV_OK)
        *out_id = id;
    return rc;
}

static const char *sql_robot_get = ROBOT_SELECT " WHERE r.id = ?";

hv_err hv_model_robot_get(hv_robot *out, hv_ctx *ctx, int64_t id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_robot_get, "i", id);

    if (rc)
        return rc;
    if (row)
        read_robot(out, ctx, st);
    hv_stmt_reset(st);
    if (!row)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "robot %lld not found", (long long)id);
    return load_permissions(out, ctx);
}

static const char *sql_robot_get_by_name = ROBOT_SELECT " WHERE r.name = ?";

hv_err hv_model_robot_get_by_name(hv_robot *out, hv_ctx *ctx, const char *name) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_robot_get_by_name, "t", name);

    if (rc)
        return rc;
    if (row)
        read_robot(out, ctx, st);
    hv_stmt_reset(st);
    if (!row)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "robot %s not found", name);
    return load_permissions(out, ctx);
}

/* Harbor's clients send both spellings: the Go struct's (Level, ProjectID) and the API's. */
static const hv_model__column robot_columns[] = {
    {"id", "r.id", 'i'},
    {"name", "r.name", 't'},
    {"level", "r.level", 't'},
    {"Level", "r.level", 't'},
    {"project_id", "coalesce(r.project_id, 0)", 'i'},
    {"ProjectID", "coalesce(r.project_id, 0)", 'i'},
    {"disable", "(r.disabled <> 0)", 'b'},
    {"creation_time", "r.creation_time", 'm'},
    {"update_time", "r.update_time", 'm'},
    {NULL, NULL, 0},
};

hv_err hv_model_robot_list(hv_robot **out, size_t *n, int64_t *total, hv_ctx *ctx,
                           const hv_list *list) {
    hv_stmt *st = NULL;
    hv_robot *v = NULL;
    size_t cap = 16, count = 0;
    bool row;
    hv_err rc;

    *out = NULL;
    *n = 0;
    rc = hv_model__list(&st, total, ctx, ROBOT_SELECT, robot_columns, "r.id", list, NULL, 0);
    if (rc)
        goto out;
    v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_robot(&v[count++], ctx, st);
    }
    /* the permissions after the list statement is done with its rows */
    for (size_t i = 0; rc == HV_OK && i < count; i++)
        rc = load_permissions(&v[i], ctx);
    if (rc == HV_OK) {
        *out = v;
        *n = count;
    }
out:
    hv_stmt_free(st);
    return rc;
}

static const char *sql_robot_update =
    "UPDATE robot SET description = ?, disabled = ?, duration = ?, expires_at = ?,"
    " update_time = ? WHERE id = ?";

hv_err hv_model_robot_update(hv_ctx *ctx, const hv_robot *r) {
    int64_t changes = 0;
    hv_err rc = hv_model__exec(&changes, ctx, sql_robot_update, "tiiiii",
                               r->description ? r->description : "", (int64_t)r->disabled,
                               r->duration, r->expires_at, hv_now_ms(), r->id);

    if (rc)
        return rc;
    if (changes == 0)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "robot %lld not found", (long long)r->id);
    rc = hv_model__exec(NULL, ctx, sql_perm_delete, "i", r->id);
    if (rc)
        return rc;
    return insert_permissions(ctx, r->id, r->permissions, r->n_permissions);
}

static const char *sql_robot_secret =
    "UPDATE robot SET secret_hash = ?, update_time = ? WHERE id = ?";

hv_err hv_model_robot_set_secret(hv_ctx *ctx, int64_t id, const char *secret_hash) {
    int64_t changes = 0;
    hv_err rc =
        hv_model__exec(&changes, ctx, sql_robot_secret, "tii", secret_hash, hv_now_ms(), id);

    if (rc)
        return rc;
    return changes ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "robot %lld not found", (long long)id);
}

static const char *sql_robot_delete = "DELETE FROM robot WHERE id = ?";

hv_err hv_model_robot_delete(hv_ctx *ctx, int64_t id) {
    int64_t changes = 0;
    hv_err rc;

    /* robot_permission cascades only with foreign keys on; do not depend on it */
    rc = hv_model__exec(NULL, ctx, sql_perm_delete, "i", id);
    if (rc)
        return rc;
    rc = hv_model__exec(&changes, ctx, sql_robot_delete, "i", id);
    if (rc)
        return rc;
    return changes ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "robot %lld not found", (long long)id);
}
