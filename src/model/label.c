/*
 * Labels and their attachment to artifacts.  A label is global (scope 'g', no project) or
 * belongs to one project (scope 'p'); its name is unique within its scope and project (the
 * label_name index).  Deleting a label, an artifact or a project removes the attachments
 * with it (ON DELETE CASCADE).  The labels of an artifact are read with the artifact
 * (hv_model_artifact_labels, artifact_list.c).
 */
#include "model/model_int.h"

#include <string.h>

#define LABEL_COLUMNS                                                                              \
    "l.id, l.name, l.description, l.color, l.scope, coalesce(l.project_id, 0),"                    \
    " l.creation_time, l.update_time"
#define LABEL_SELECT "SELECT " LABEL_COLUMNS " FROM label l"

static void read_label(hv_label *out, hv_ctx *ctx, hv_stmt *st) {
    out->id = hv_stmt_int(st, 0);
    out->name = hv_model__text(ctx, st, 1);
    out->description = hv_model__text(ctx, st, 2);
    out->color = hv_model__text(ctx, st, 3);
    out->scope = hv_model__text(ctx, st, 4);
    out->project_id = hv_stmt_int(st, 5);
    out->creation_time = hv_stmt_int(st, 6);
    out->update_time = hv_stmt_int(st, 7);
}

/* Collects every row of a statement prepared by the caller into an arena array. */
static hv_err read_labels(hv_label **out, size_t *n, hv_ctx *ctx, hv_stmt *st, bool row) {
    size_t cap = 8, count = 0;
    hv_label *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_err rc = HV_OK;

    while (row) {
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_label(&v[count++], ctx, st);
        rc = hv_stmt_step(st, ctx, &row);
        if (rc)
            break;
    }
    *out = v;
    *n = rc ? 0 : count;
    return rc;
}

static hv_err name_taken(hv_ctx *ctx, const hv_label *l) {
    if (strcmp(l->scope, "g") == 0)
        return HV_FAIL(ctx, HV_E_CONFLICT, "a global label named %s already exists", l->name);
    return HV_FAIL(ctx, HV_E_CONFLICT, "the project already has a label named %s", l->name);
}

static const char *sql_label_insert =
    "INSERT INTO label (name, description, color, scope, project_id, creation_time, update_time)"
    " VALUES (?, ?, ?, ?, nullif(?, 0), ?, ?) RETURNING id";

hv_err hv_model_label_create(int64_t *out_id, hv_ctx *ctx, const hv_label *l) {
    int64_t now = hv_now_ms();
    hv_err rc = hv_model__insert(out_id, ctx, sql_label_insert, "ttttiii", l->name,
                                 l->description ? l->description : "", l->color ? l->color : "",
                                 l->scope, l->project_id, now, now);

    if (rc == HV_E_CONFLICT)
        return name_taken(ctx, l);
    return rc;
}

static const char *sql_label_get = LABEL_SELECT " WHERE l.id = ?";

hv_err hv_model_label_get(hv_label *out, hv_ctx *ctx, int64_t id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_label_get, "i", id);

    if (rc)
        return rc;
    if (row)
        read_label(out, ctx, st);
    hv_stmt_reset(st);
    if (!row)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "label %lld not found", (long long)id);
    return HV_OK;
}

static const hv_model__column label_columns[] = {
    {"id", "l.id", 'i'},
    {"name", "l.name", 't'},
    {"description", "l.description", 't'},
    {"color", "l.color", 't'},
    {"scope", "l.scope", 't'},
    {"project_id", "coalesce(l.project_id, 0)", 'i'},
    {"creation_time", "l.creation_time", 'm'},
    {"update_time", "l.update_time", 'm'},
    {NULL, NULL, 0},
};

hv_err hv_model_label_list(hv_label **out, size_t *n, int64_t *total, hv_ctx *ctx,
                           const hv_list *list, const hv_query_term *fixed, size_t n_fixed) {
    hv_stmt *st = NULL;
    bool row;
    hv_err rc;

    *out = NULL;
    *n = 0;
    rc = hv_model__list(&st, total, ctx, LABEL_SELECT, label_columns, "l.id", list, fixed, n_fixed);
    if (rc == HV_OK)
        rc = hv_stmt_step(st, ctx, &row);
    if (rc == HV_OK)
        rc = read_labels(out, n, ctx, st, row);
    hv_stmt_free(st);
    return rc;
}

static const char *sql_label_update =
    "UPDATE label SET name = ?, description = ?, color = ?, update_time = ? WHERE id = ?";

hv_err hv_model_label_update(hv_ctx *ctx, const hv_label *l) {
    int64_t changed = 0;
    hv_err rc = hv_model__exec(&changed, ctx, sql_label_update, "tttii", l->name,
                               l->description ? l->description : "", l->color ? l->color : "",
                               hv_now_ms(), l->id);

    if (rc == HV_E_CONFLICT)
        return name_taken(ctx, l);
    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "label %lld not found", (long long)l->id);
    return rc;
}

static const char *sql_label_delete = "DELETE FROM label WHERE id = ?";

hv_err hv_model_label_delete(hv_ctx *ctx, int64_t id) {
    int64_t changed = 0;
    hv_err rc = hv_model__exec(&changed, ctx, sql_label_delete, "i", id);

    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "label %lld not found", (long long)id);
    return rc;
}

static const char *sql_attach =
    "INSERT INTO artifact_label (artifact_id, label_id, creation_time) VALUES (?, ?, ?)"
    " ON CONFLICT DO NOTHING";

hv_err hv_model_artifact_label_add(hv_ctx *ctx, int64_t artifact_id, int64_t label_id) {
    int64_t changed = 0;
    hv_err rc =
        hv_model__exec(&changed, ctx, sql_attach, "iii", artifact_id, label_id, hv_now_ms());

    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_CONFLICT, "label %lld is already attached to the artifact",
                     (long long)label_id);
    return rc;
}

static const char *sql_detach = "DELETE FROM artifact_label WHERE artifact_id = ? AND label_id = ?";

hv_err hv_model_artifact_label_remove(hv_ctx *ctx, int64_t artifact_id, int64_t label_id) {
    int64_t changed = 0;
    hv_err rc = hv_model__exec(&changed, ctx, sql_detach, "ii", artifact_id, label_id);

    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "label %lld is not attached to the artifact",
                     (long long)label_id);
    return rc;
}
