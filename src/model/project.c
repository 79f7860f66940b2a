/* Projects and repositories. */
#include "model/model_int.h"

#include <string.h>

#define PROJECT_SELECT                                                                             \
    "SELECT p.id, p.name, coalesce(m.value, 'false'), coalesce(p.owner_id, 0),"                    \
    " coalesce(u.username, ''), p.creation_time, p.update_time, p.cve_allowlist FROM project p"    \
    " LEFT JOIN project_metadata m ON m.project_id = p.id AND m.name = 'public'"                   \
    " LEFT JOIN users u ON u.id = p.owner_id"

static void read_project(hv_project *out, hv_ctx *ctx, hv_stmt *st) {
    out->id = hv_stmt_int(st, 0);
    out->name = hv_model__text(ctx, st, 1);
    out->public = strcmp(hv_stmt_text(st, 2), "true") == 0;
    out->owner_id = hv_stmt_int(st, 3);
    out->owner_name = hv_model__text(ctx, st, 4);
    out->creation_time = hv_stmt_int(st, 5);
    out->update_time = hv_stmt_int(st, 6);
    out->cve_allowlist_json = hv_model__text(ctx, st, 7);
}

static const char *sql_project_get = PROJECT_SELECT " WHERE p.name = ?";

hv_err hv_model_project_get(hv_project *out, hv_ctx *ctx, const char *name) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_project_get, "t", name);

    if (rc)
        return rc;
    if (row)
        read_project(out, ctx, st);
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "project %s not found", name);
}

static const char *sql_project_get_by_id = PROJECT_SELECT " WHERE p.id = ?";

hv_err hv_model_project_get_by_id(hv_project *out, hv_ctx *ctx, int64_t id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_project_get_by_id, "i", id);

    if (rc)
        return rc;
    if (row)
        read_project(out, ctx, st);
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "project %lld not found", (long long)id);
}

static const char *sql_project_insert =
    "INSERT INTO project (name, owner_id, creation_time, update_time) VALUES (?, ?, ?, ?)";
static const char *sql_project_meta =
    "INSERT INTO project_metadata (project_id, name, value) VALUES (?, ?, ?)";

hv_err hv_model_project_create(int64_t *out_id, hv_ctx *ctx, const char *name, bool public,
                               int64_t owner_id) {
    int64_t now = hv_now_ms();
    hv_err rc = hv_model__exec(NULL, ctx, sql_project_insert, "tiii", name, owner_id, now, now);

    if (rc)
        return rc;
    *out_id = hv_db_last_id(ctx->db);
    return hv_model__exec(NULL, ctx, sql_project_meta, "itt", *out_id, "public",
                          public ? "true" : "false");
}

static const char *sql_repo_get = "SELECT id, project_id, name FROM repository WHERE name = ?";

hv_err hv_model_repository_get(hv_repository *out, hv_ctx *ctx, const char *name) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_repo_get, "t", name);

    if (rc)
        return rc;
    if (row) {
        out->id = hv_stmt_int(st, 0);
        out->project_id = hv_stmt_int(st, 1);
        out->name = hv_model__text(ctx, st, 2);
    }
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_NAME_UNKNOWN, "repository %s is not known", name);
}

static const char *sql_repo_insert =
    "INSERT INTO repository (project_id, name, creation_time, update_time) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (name) DO NOTHING";

hv_err hv_model_repository_ensure(hv_repository *out, hv_ctx *ctx, int64_t project_id,
                                  const char *name) {
    int64_t now = hv_now_ms();
    hv_err rc = hv_model__exec(NULL, ctx, sql_repo_insert, "itii", project_id, name, now, now);

    return rc ? rc : hv_model_repository_get(out, ctx, name);
}

static const char *sql_repo_names =
    "SELECT name FROM repository WHERE name > ? ORDER BY name LIMIT ?";

hv_err hv_model_repository_names(const char ***out, size_t *n, hv_ctx *ctx, const char *last,
                                 int64_t limit) {
    return hv_model__strings(out, n, ctx, sql_repo_names, "ti", last ? last : "", limit);
}

static const char *sql_setting_get = "SELECT value FROM setting WHERE name = ?";

hv_err hv_model_setting_get(const char **value, hv_ctx *ctx, const char *name, const char *def) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_setting_get, "t", name);

    if (rc)
        return rc;
    *value = row ? hv_model__text(ctx, st, 0) : def;
    hv_stmt_reset(st);
    return HV_OK;
}

static const char *sql_setting_set = "INSERT INTO setting (name, value) VALUES (?, ?)"
                                     " ON CONFLICT (name) DO UPDATE SET value = excluded.value";

hv_err hv_model_setting_set(hv_ctx *ctx, const char *name, const char *value) {
    return hv_model__exec(NULL, ctx, sql_setting_set, "tt", name, value);
}
