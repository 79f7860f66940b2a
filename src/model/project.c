/* Projects, users and repositories. */
#include "model/model_int.h"

#include <string.h>

hv_err hv_model__strings(const char ***out, size_t *n, hv_ctx *ctx, hv_stmt *st, int64_t limit) {
    size_t cap = limit > 0 && limit < 1024 ? (size_t)limit : 1024, count = 0;
    const char **v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    bool row;
    hv_err rc;

    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        if (count == cap) {
            const char **bigger = hv_arena_alloc(ctx->arena, 2 * cap * sizeof(*v));
            memcpy(bigger, v, cap * sizeof(*v));
            v = bigger;
            cap *= 2;
        }
        v[count++] = hv_model__text(ctx, st, 0);
    }
    hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

static const char *sql_project_get =
    "SELECT p.id, p.name, coalesce(m.value, 'false') FROM project p"
    " LEFT JOIN project_metadata m ON m.project_id = p.id AND m.name = 'public'"
    " WHERE p.name = ?";

hv_err hv_model_project_get(hv_project *out, hv_ctx *ctx, const char *name) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__prepare(&st, ctx, sql_project_get);

    if (rc)
        return rc;
    hv_stmt_bind_text(st, 1, name);
    rc = hv_stmt_step(st, ctx, &row);
    if (rc == HV_OK && row) {
        out->id = hv_stmt_int(st, 0);
        out->name = hv_model__text(ctx, st, 1);
        out->public = strcmp(hv_stmt_text(st, 2), "true") == 0;
    }
    hv_stmt_reset(st);
    if (rc == HV_OK && !row)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "project %s not found", name);
    return rc;
}

static const char *sql_project_insert =
    "INSERT INTO project (name, owner_id, creation_time, update_time) VALUES (?, ?, ?, ?)";
static const char *sql_project_meta =
    "INSERT INTO project_metadata (project_id, name, value) VALUES (?, ?, ?)";

hv_err hv_model_project_create(int64_t *out_id, hv_ctx *ctx, const char *name, bool public,
                               int64_t owner_id) {
    int64_t now = hv_now_ms();
    hv_stmt *st;
    hv_err rc = hv_model__prepare(&st, ctx, sql_project_insert);

    if (rc)
        return rc;
    hv_stmt_bind_text(st, 1, name);
    if (owner_id)
        hv_stmt_bind_int(st, 2, owner_id);
    hv_stmt_bind_int(st, 3, now);
    hv_stmt_bind_int(st, 4, now);
    rc = hv_model__run(st, ctx);
    if (rc)
        return rc;
    *out_id = hv_db_last_id(ctx->db);
    rc = hv_model__prepare(&st, ctx, sql_project_meta);
    if (rc)
        return rc;
    hv_stmt_bind_int(st, 1, *out_id);
    hv_stmt_bind_text(st, 2, "public");
    hv_stmt_bind_text(st, 3, public ? "true" : "false");
    return hv_model__run(st, ctx);
}

static const char *sql_user_get =
    "SELECT id, username, password_hash, sysadmin FROM users WHERE username = ?";

hv_err hv_model_user_get(hv_user *out, hv_ctx *ctx, const char *username) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__prepare(&st, ctx, sql_user_get);

    if (rc)
        return rc;
    hv_stmt_bind_text(st, 1, username);
    rc = hv_stmt_step(st, ctx, &row);
    if (rc == HV_OK && row) {
        out->id = hv_stmt_int(st, 0);
        out->username = hv_model__text(ctx, st, 1);
        out->password_hash = hv_model__text(ctx, st, 2);
        out->sysadmin = hv_stmt_int(st, 3) != 0;
    }
    hv_stmt_reset(st);
    if (rc == HV_OK && !row)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "user %s not found", username);
    return rc;
}

static const char *sql_user_insert =
    "INSERT INTO users (username, password_hash, sysadmin, creation_time, update_time)"
    " VALUES (?, ?, ?, ?, ?)";

hv_err hv_model_user_create(int64_t *out_id, hv_ctx *ctx, const char *username,
                            const char *password_hash, bool sysadmin) {
    int64_t now = hv_now_ms();
    hv_stmt *st;
    hv_err rc = hv_model__prepare(&st, ctx, sql_user_insert);

    if (rc)
        return rc;
    hv_stmt_bind_text(st, 1, username);
    hv_stmt_bind_text(st, 2, password_hash);
    hv_stmt_bind_int(st, 3, sysadmin);
    hv_stmt_bind_int(st, 4, now);
    hv_stmt_bind_int(st, 5, now);
    rc = hv_model__run(st, ctx);
    if (rc == HV_OK)
        *out_id = hv_db_last_id(ctx->db);
    return rc;
}

static const char *sql_user_count = "SELECT count(*) FROM users";

hv_err hv_model_user_count(int64_t *out, hv_ctx *ctx) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__prepare(&st, ctx, sql_user_count);

    if (rc)
        return rc;
    rc = hv_stmt_step(st, ctx, &row);
    *out = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    return rc;
}

static const char *sql_repo_get = "SELECT id, project_id, name FROM repository WHERE name = ?";

hv_err hv_model_repository_get(hv_repository *out, hv_ctx *ctx, const char *name) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__prepare(&st, ctx, sql_repo_get);

    if (rc)
        return rc;
    hv_stmt_bind_text(st, 1, name);
    rc = hv_stmt_step(st, ctx, &row);
    if (rc == HV_OK && row) {
        out->id = hv_stmt_int(st, 0);
        out->project_id = hv_stmt_int(st, 1);
        out->name = hv_model__text(ctx, st, 2);
    }
    hv_stmt_reset(st);
    if (rc == HV_OK && !row)
        rc = HV_FAIL(ctx, HV_E_NAME_UNKNOWN, "repository %s is not known", name);
    return rc;
}

static const char *sql_repo_insert =
    "INSERT INTO repository (project_id, name, creation_time, update_time) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (name) DO NOTHING";

hv_err hv_model_repository_ensure(hv_repository *out, hv_ctx *ctx, int64_t project_id,
                                  const char *name) {
    int64_t now = hv_now_ms();
    hv_stmt *st;
    hv_err rc = hv_model__prepare(&st, ctx, sql_repo_insert);

    if (rc)
        return rc;
    hv_stmt_bind_int(st, 1, project_id);
    hv_stmt_bind_text(st, 2, name);
    hv_stmt_bind_int(st, 3, now);
    hv_stmt_bind_int(st, 4, now);
    rc = hv_model__run(st, ctx);
    if (rc)
        return rc;
    return hv_model_repository_get(out, ctx, name);
}

static const char *sql_repo_names =
    "SELECT name FROM repository WHERE name > ? ORDER BY name LIMIT ?";

hv_err hv_model_repository_names(const char ***out, size_t *n, hv_ctx *ctx, const char *last,
                                 int64_t limit) {
    hv_stmt *st;
    hv_err rc = hv_model__prepare(&st, ctx, sql_repo_names);

    if (rc)
        return rc;
    hv_stmt_bind_text(st, 1, last ? last : "");
    hv_stmt_bind_int(st, 2, limit);
    return hv_model__strings(out, n, ctx, st, limit);
}
