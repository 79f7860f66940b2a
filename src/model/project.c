/*
 * Projects, their metadata, and repositories.
 *
 * A project is one row of `project`; its settings are Harbor's string key/value pairs in
 * `project_metadata` ("public" = "true", ...), and its CVE allowlist is kept as Harbor's JSON
 * in the row.  Lists show what a caller may see: for a user who is not an administrator the
 * query joins the user's memberships and keeps public projects and those the user is a
 * member of.
 */
#include "model/model_int.h"

#include <string.h>

#define PROJECT_COLUMNS                                                                            \
    "p.id, p.name, coalesce(m.value, 'false'), coalesce(p.owner_id, 0),"                           \
    " coalesce(u.username, ''), p.creation_time, p.update_time, p.cve_allowlist"
#define PROJECT_FROM                                                                               \
    " FROM project p"                                                                              \
    " LEFT JOIN project_metadata m ON m.project_id = p.id AND m.name = 'public'"                   \
    " LEFT JOIN users u ON u.id = p.owner_id"
#define PROJECT_SELECT "SELECT " PROJECT_COLUMNS PROJECT_FROM

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

/* The repository and the artifact of a tag in the same round trip: a /v2 request wants the
 * first two, a manifest GET by tag all three (a NULL tag matches no tag). */
static const char *sql_project_repository_get =
    "SELECT " PROJECT_COLUMNS ", coalesce(r.id, 0), " HV_MODEL__ARTIFACT_COLUMNS PROJECT_FROM
    " LEFT JOIN repository r ON r.project_id = p.id AND r.name = ?"
    " LEFT JOIN tag t ON t.repository_id = r.id AND t.name = ?"
    " LEFT JOIN artifact a ON a.id = t.artifact_id WHERE p.name = ?";

hv_err hv_model_project_repository_get(hv_project *project, hv_repository *repo,
                                       hv_artifact *tagged, hv_ctx *ctx, const char *project_name,
                                       const char *repo_name, const char *tag) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_project_repository_get, "ttt", repo_name, tag,
                                project_name);

    if (rc)
        return rc;
    memset(tagged, 0, sizeof(*tagged));
    if (row) {
        read_project(project, ctx, st);
        repo->id = hv_stmt_int(st, 8);
        repo->project_id = project->id;
        repo->name = hv_arena_strdup(ctx->arena, repo_name);
        if (!hv_stmt_is_null(st, 9))
            hv_model__read_artifact(tagged, ctx, st, 9);
    }
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "project %s not found", project_name);
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

static const char *sql_blob_projects =
    PROJECT_SELECT " JOIN project_blob pb ON pb.project_id = p.id WHERE pb.blob_digest = ?"
                   " ORDER BY coalesce(m.value, 'false') = 'true' DESC, p.id LIMIT ?";

hv_err hv_model_blob_projects(hv_project **out, size_t *n, hv_ctx *ctx, const char *digest,
                              int64_t limit) {
    hv_project *v = hv_arena_alloc(ctx->arena, (size_t)limit * sizeof(*v));
    size_t count = 0;
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_blob_projects, "ti", digest, limit);

    while (rc == HV_OK && row && count < (size_t)limit) {
        read_project(&v[count++], ctx, st);
        rc = hv_stmt_step(st, ctx, &row);
    }
    if (rc == HV_OK)
        hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

static const char *sql_project_insert =
    "INSERT INTO project (name, owner_id, creation_time, update_time) VALUES (?, ?, ?, ?)"
    " RETURNING id";
static const char *sql_project_meta =
    "INSERT INTO project_metadata (project_id, name, value) VALUES (?, ?, ?)";

static const char *sql_project_exists = "SELECT 1 FROM project WHERE name = ?";

hv_err hv_model_project_create(int64_t *out_id, hv_ctx *ctx, const char *name, bool public,
                               int64_t owner_id) {
    int64_t now = hv_now_ms();
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_project_exists, "t", name);

    if (rc)
        return rc;
    hv_stmt_reset(st);
    if (row)
        return HV_FAIL(ctx, HV_E_CONFLICT, "the project named %s already exists", name);
    rc = hv_model__insert(out_id, ctx, sql_project_insert, "tiii", name, owner_id, now, now);
    if (rc == HV_E_CONFLICT) { /* created meanwhile by a transaction on another connection */
        hv_error_clear(ctx);
        return HV_FAIL(ctx, HV_E_CONFLICT, "the project named %s already exists", name);
    }
    if (rc)
        return rc;
    return hv_model__exec(NULL, ctx, sql_project_meta, "itt", *out_id, "public",
                          public ? "true" : "false");
}

static const hv_model__column project_columns[] = {
    {"project_id", "p.id", 'i'},
    {"name", "p.name", 't'},
    {"public", "(m.value = 'true')", 'b'},
    {"owner", "coalesce(u.username, '')", 't'},
    {"owner_id", "coalesce(p.owner_id, 0)", 'i'},
    {"creation_time", "p.creation_time", 'm'},
    {"update_time", "p.update_time", 'm'},
    {NULL, NULL, 0},
};

/* The same, plus the visibility condition on the membership join `vm` (never asked for by
 * clients, but harmless if they do: it can only narrow what they see). */
static const hv_model__column project_visible_columns[] = {
    {"project_id", "p.id", 'i'},
    {"name", "p.name", 't'},
    {"public", "(m.value = 'true')", 'b'},
    {"owner", "coalesce(u.username, '')", 't'},
    {"owner_id", "coalesce(p.owner_id, 0)", 'i'},
    {"creation_time", "p.creation_time", 'm'},
    {"update_time", "p.update_time", 'm'},
    {"visible", "(m.value = 'true' OR vm.id IS NOT NULL)", 'b'},
    {NULL, NULL, 0},
};

hv_err hv_model_project_list(hv_project **out, size_t *n, int64_t *total, hv_ctx *ctx,
                             const hv_list *list, int64_t visible_to) {
    static const char *yes[] = {"true"};
    hv_query_term fixed = {.key = "public", .op = HV_Q_EXACT, .values = yes, .n_values = 1};
    const hv_model__column *cols = project_columns;
    const char *select = PROJECT_SELECT;
    hv_stmt *st = NULL;
    hv_project *v;
    size_t cap = 16, count = 0;
    bool row;
    hv_err rc;

    *out = NULL;
    *n = 0;
    if (visible_to > 0) {
        /* the id is ours, not the client's: formatting it into the join is safe */
        select = hv_arena_printf(ctx->arena,
                                 PROJECT_SELECT " LEFT JOIN member vm ON vm.project_id = p.id"
                                                " AND vm.entity_type = 'u' AND vm.entity_id = %lld",
                                 (long long)visible_to);
        cols = project_visible_columns;
        fixed.key = "visible";
    }
    rc = hv_model__list(&st, total, ctx, select, cols, "p.name, p.id", list, &fixed,
                        visible_to < 0 ? 0 : 1);
    if (rc)
        goto out;
    v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_project(&v[count++], ctx, st);
    }
    if (rc == HV_OK) {
        *out = v;
        *n = count;
    }
out:
    hv_stmt_free(st);
    return rc;
}

static const char *sql_meta_list =
    "SELECT name, value FROM project_metadata WHERE project_id = ? ORDER BY name";

hv_err hv_model_project_metadata(const char ***names, const char ***values, size_t *n, hv_ctx *ctx,
                                 int64_t project_id) {
    size_t cap = 16, count = 0;
    const char **k = hv_arena_alloc(ctx->arena, cap * sizeof(*k));
    const char **v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_meta_list, "i", project_id);

    if (rc)
        return rc;
    while (row) {
        if (count == cap) {
            const char **bk = hv_arena_alloc(ctx->arena, 2 * cap * sizeof(*k));
            const char **bv = hv_arena_alloc(ctx->arena, 2 * cap * sizeof(*v));
            memcpy(bk, k, cap * sizeof(*k));
            memcpy(bv, v, cap * sizeof(*v));
            k = bk;
            v = bv;
            cap *= 2;
        }
        k[count] = hv_model__text(ctx, st, 0);
        v[count] = hv_model__text(ctx, st, 1);
        count++;
        rc = hv_stmt_step(st, ctx, &row);
        if (rc)
            break;
    }
    hv_stmt_reset(st);
    *names = k;
    *values = v;
    *n = count;
    return rc;
}

static const char *sql_project_touch = "UPDATE project SET update_time = ? WHERE id = ?";

static hv_err touch(hv_ctx *ctx, int64_t project_id) {
    return hv_model__exec(NULL, ctx, sql_project_touch, "ii", hv_now_ms(), project_id);
}

static const char *sql_meta_set = "INSERT INTO project_metadata (project_id, name, value)"
                                  " VALUES (?, ?, ?) ON CONFLICT (project_id, name)"
                                  " DO UPDATE SET value = excluded.value";

hv_err hv_model_project_set_metadata(hv_ctx *ctx, int64_t project_id, const char *name,
                                     const char *value) {
    hv_err rc = hv_model__exec(NULL, ctx, sql_meta_set, "itt", project_id, name, value);

    return rc ? rc : touch(ctx, project_id);
}

static const char *sql_meta_delete =
    "DELETE FROM project_metadata WHERE project_id = ? AND name = ?";

hv_err hv_model_project_delete_metadata(hv_ctx *ctx, int64_t project_id, const char *name) {
    int64_t changes = 0;
    hv_err rc = hv_model__exec(&changes, ctx, sql_meta_delete, "it", project_id, name);

    if (rc)
        return rc;
    if (changes == 0)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "metadata %s of project %lld not found", name,
                       (long long)project_id);
    return touch(ctx, project_id);
}

static const char *sql_project_allowlist =
    "UPDATE project SET cve_allowlist = ?, update_time = ? WHERE id = ?";

hv_err hv_model_project_set_cve_allowlist(hv_ctx *ctx, int64_t project_id, const char *json) {
    int64_t changes = 0;
    hv_err rc =
        hv_model__exec(&changes, ctx, sql_project_allowlist, "tii", json, hv_now_ms(), project_id);

    if (rc == HV_OK && changes == 0)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "project %lld not found", (long long)project_id);
    return rc;
}

/* Metadata, members, robots, uploads and blob links go with the row (ON DELETE CASCADE);
 * repositories do not, so a project that still has some cannot be deleted. */
static const char *sql_project_delete = "DELETE FROM project WHERE id = ?";

/* System robots name projects in their permissions; a permission dies with its project, so
 * that a new project of the same name does not inherit it (Harbor keys them by id). */
static const char *sql_project_robot_permissions =
    "DELETE FROM robot_permission WHERE kind = 'project'"
    " AND namespace = (SELECT name FROM project WHERE id = ?)";

hv_err hv_model_project_delete(hv_ctx *ctx, int64_t project_id) {
    int64_t changes = 0;
    hv_err rc = hv_model__exec(NULL, ctx, sql_project_robot_permissions, "i", project_id);

    if (rc == HV_OK)
        rc = hv_model__exec(&changes, ctx, sql_project_delete, "i", project_id);

    if (rc == HV_OK && changes == 0)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "project %lld not found", (long long)project_id);
    return rc;
}

static const char *sql_project_repo_count = "SELECT count(*) FROM repository WHERE project_id = ?";

hv_err hv_model_project_repo_count(int64_t *out, hv_ctx *ctx, int64_t project_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_project_repo_count, "i", project_id);

    if (rc)
        return rc;
    *out = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    return HV_OK;
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
