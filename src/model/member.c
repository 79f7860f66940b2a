/*
 * Project members: a user ('u'; groups 'g' later) holding a role in a project.  One row per
 * (project, entity); the entity's name is joined from its table, not stored.
 */
#include "model/model_int.h"

#include <string.h>

#define MEMBER_SELECT                                                                              \
    "SELECT mb.id, mb.project_id, mb.entity_type, mb.entity_id, coalesce(u.username, ''),"         \
    " mb.role FROM member mb LEFT JOIN users u ON mb.entity_type = 'u' AND u.id = mb.entity_id"

static void read_member(hv_member *out, hv_ctx *ctx, hv_stmt *st) {
    out->id = hv_stmt_int(st, 0);
    out->project_id = hv_stmt_int(st, 1);
    out->entity_type = hv_model__text(ctx, st, 2);
    out->entity_id = hv_stmt_int(st, 3);
    out->entity_name = hv_model__text(ctx, st, 4);
    out->role = (int)hv_stmt_int(st, 5);
}

static const hv_model__column member_columns[] = {
    {"id", "mb.id", 'i'},
    {"project_id", "mb.project_id", 'i'},
    {"entity_name", "coalesce(u.username, '')", 't'},
    {"entity_id", "mb.entity_id", 'i'},
    {"entity_type", "mb.entity_type", 't'},
    {"role_id", "mb.role", 'i'},
    {"creation_time", "mb.creation_time", 'm'},
    {"update_time", "mb.update_time", 'm'},
    {NULL, NULL, 0},
};

hv_err hv_model_member_list(hv_member **out, size_t *n, int64_t *total, hv_ctx *ctx,
                            int64_t project_id, const char *entityname, const hv_list *list) {
    const char *pid = hv_arena_printf(ctx->arena, "%lld", (long long)project_id);
    const char **pid_v = hv_arena_alloc(ctx->arena, sizeof(*pid_v));
    const char **name_v = hv_arena_alloc(ctx->arena, sizeof(*name_v));
    hv_query_term fixed[2] = {
        {.key = "project_id", .op = HV_Q_EXACT, .values = pid_v, .n_values = 1},
        {.key = "entity_name", .op = HV_Q_FUZZY, .values = name_v, .n_values = 1},
    };
    hv_stmt *st = NULL;
    hv_member *v;
    size_t cap = 16, count = 0;
    bool row;
    hv_err rc;

    pid_v[0] = pid;
    name_v[0] = entityname;
    *out = NULL;
    *n = 0;
    rc = hv_model__list(&st, total, ctx, MEMBER_SELECT, member_columns,
                        "coalesce(u.username, ''), mb.id", list, fixed,
                        entityname && *entityname ? 2 : 1);
    if (rc)
        goto out;
    v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_member(&v[count++], ctx, st);
    }
    if (rc == HV_OK) {
        *out = v;
        *n = count;
    }
out:
    hv_stmt_free(st);
    return rc;
}

static const char *sql_member_get = MEMBER_SELECT " WHERE mb.project_id = ? AND mb.id = ?";

hv_err hv_model_member_get(hv_member *out, hv_ctx *ctx, int64_t project_id, int64_t id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_member_get, "ii", project_id, id);

    if (rc)
        return rc;
    if (row)
        read_member(out, ctx, st);
    hv_stmt_reset(st);
    return row ? HV_OK
               : HV_FAIL(ctx, HV_E_NOT_FOUND, "member %lld of project %lld not found",
                         (long long)id, (long long)project_id);
}

static const char *sql_member_exists =
    "SELECT 1 FROM member WHERE project_id = ? AND entity_type = 'u' AND entity_id = ?";
static const char *sql_member_insert =
    "INSERT INTO member (project_id, entity_type, entity_id, role, creation_time, update_time)"
    " VALUES (?, 'u', ?, ?, ?, ?) RETURNING id";

hv_err hv_model_member_create(int64_t *out_id, hv_ctx *ctx, int64_t project_id, int64_t user_id,
                              int role) {
    int64_t now = hv_now_ms();
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_member_exists, "ii", project_id, user_id);

    if (rc)
        return rc;
    hv_stmt_reset(st);
    if (row)
        return HV_FAIL(ctx, HV_E_CONFLICT, "the user is already a member of this project");
    rc = hv_model__insert(out_id, ctx, sql_member_insert, "iiiii", project_id, user_id,
                          (int64_t)role, now, now);
    if (rc == HV_E_CONFLICT) { /* added meanwhile by a transaction on another connection */
        hv_error_clear(ctx);
        return HV_FAIL(ctx, HV_E_CONFLICT, "the user is already a member of this project");
    }
    return rc;
}

static const char *sql_member_update =
    "UPDATE member SET role = ?, update_time = ? WHERE project_id = ? AND id = ?";

hv_err hv_model_member_update(hv_ctx *ctx, int64_t project_id, int64_t id, int role) {
    int64_t changes = 0;
    hv_err rc = hv_model__exec(&changes, ctx, sql_member_update, "iiii", (int64_t)role, hv_now_ms(),
                               project_id, id);

    if (rc == HV_OK && changes == 0)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "member %lld of project %lld not found", (long long)id,
                       (long long)project_id);
    return rc;
}

static const char *sql_member_delete = "DELETE FROM member WHERE project_id = ? AND id = ?";

hv_err hv_model_member_delete(hv_ctx *ctx, int64_t project_id, int64_t id) {
    int64_t changes = 0;
    hv_err rc = hv_model__exec(&changes, ctx, sql_member_delete, "ii", project_id, id);

    if (rc == HV_OK && changes == 0)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "member %lld of project %lld not found", (long long)id,
                       (long long)project_id);
    return rc;
}

static const char *sql_member_roles =
    "SELECT role FROM member WHERE project_id = ? AND entity_type = 'u' AND entity_id = ?";

hv_err hv_model_member_roles(int roles[5], size_t *n, hv_ctx *ctx, int64_t project_id,
                             int64_t user_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_member_roles, "ii", project_id, user_id);

    *n = 0;
    if (rc)
        return rc;
    while (row) {
        if (*n < 5)
            roles[(*n)++] = (int)hv_stmt_int(st, 0);
        rc = hv_stmt_step(st, ctx, &row);
        if (rc)
            break;
    }
    hv_stmt_reset(st);
    return rc;
}

static const char *sql_member_counts =
    "SELECT role, count(*) FROM member WHERE project_id = ? GROUP BY role";

hv_err hv_model_member_counts(int64_t counts[6], hv_ctx *ctx, int64_t project_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_member_counts, "i", project_id);

    for (int i = 0; i < 6; i++)
        counts[i] = 0;
    if (rc)
        return rc;
    while (row) {
        int64_t role = hv_stmt_int(st, 0);
        if (role >= 1 && role <= 5)
            counts[role] = hv_stmt_int(st, 1);
        rc = hv_stmt_step(st, ctx, &row);
        if (rc)
            break;
    }
    hv_stmt_reset(st);
    return rc;
}
