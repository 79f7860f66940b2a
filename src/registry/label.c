/*
 * Labels and their attachment to artifacts, with Harbor's rules (harbor-api.md §1.3, §1.4).
 *
 * A label is global (scope "g": created, changed and deleted by system administrators, read
 * by anyone logged in) or belongs to a project (scope "p": Harbor's label permissions on that
 * project, which let anyone read those of a public project).  Its name is required, unique
 * within its scope and project (the model's 409) and at most 128 characters; a description
 * at most 1024; a color, when given, is "#RRGGBB".  Only global labels and labels of the
 * artifact's own project can be attached to an artifact (400).  Whether the caller may touch
 * a label depends on the label's scope and project, so those checks are made here; whether
 * it may touch an artifact's labels is the handler's plain check on the artifact's project.
 */
#include "db/db.h"
#include "events/events.h"
#include "registry/registry_int.h"

#include <string.h>

#define NAME_MAX_LEN 128
#define DESC_MAX_LEN 1024

/* ---------------------------------------------------------------- helpers */

static hv_err require_login(hv_ctx *ctx, const hv_identity *who) {
    if (who->kind == HV_ID_ANONYMOUS)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "log in to work with labels");
    return HV_OK;
}

static bool is_global(const char *scope) {
    return strcmp(scope, "g") == 0;
}

/* who's `action` on labels of the label's scope: the system's for global labels, the
 * project's for project labels. */
static hv_err label_access(hv_ctx *ctx, const hv_identity *who, const hv_label *l,
                           const char *action) {
    hv_project p;
    hv_err rc;

    if (is_global(l->scope))
        return hv_auth_can(ctx, who, NULL, "label", action);
    rc = hv_model_project_get_by_id(&p, ctx, l->project_id);
    return rc ? rc : hv_auth_can(ctx, who, &p, "label", action);
}

/* "#" followed by six hexadecimal digits. */
static bool color_valid(const char *c) {
    if (strlen(c) != 7 || c[0] != '#')
        return false;
    for (int i = 1; i < 7; i++) {
        if (!strchr("0123456789abcdefABCDEF", c[i]))
            return false;
    }
    return true;
}

/* The rules of name, description and color. */
static hv_err check_fields(hv_ctx *ctx, const hv_label *l) {
    if (!l->name || !*l->name)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "name is required");
    if (strlen(l->name) > NAME_MAX_LEN)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "name is longer than %d characters", NAME_MAX_LEN);
    if (l->description && strlen(l->description) > DESC_MAX_LEN)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "description is longer than %d characters",
                       DESC_MAX_LEN);
    if (l->color && *l->color && !color_valid(l->color))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "color must be \"#\" and six hexadecimal digits, like #1D5100");
    return HV_OK;
}

/* An exact or fuzzy term of a label list (arena). */
static hv_query_term term(hv_ctx *ctx, const char *key, hv_query_op op, const char *value) {
    const char **v = hv_arena_alloc(ctx->arena, sizeof(*v));

    v[0] = value;
    return (hv_query_term){.key = key, .op = op, .values = v, .n_values = 1};
}

/* ---------------------------------------------------------------- labels */

hv_err hv_registry_label_list(hv_label **out, size_t *n, int64_t *total, hv_ctx *ctx,
                              const hv_identity *who, const hv_registry_label_filter *f,
                              const hv_list *list) {
    const char *scope = f->scope && *f->scope ? f->scope : "g";
    hv_query_term fixed[3];
    size_t n_fixed = 0;
    int64_t project_id = 0;
    hv_project p;
    hv_err rc;

    /* project labels follow the project's permissions (checked below) */
    if (is_global(scope)) {
        rc = require_login(ctx, who);
        if (rc)
            return rc;
    }
    if (!is_global(scope) && strcmp(scope, "p") != 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "invalid scope: %s (g or p)", scope);
    if (!is_global(scope)) {
        if (f->project_id <= 0)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "must specify project ID or project name when listing labels in "
                           "project scope: project_id=<id>");
        rc = hv_model_project_get_by_id(&p, ctx, f->project_id);
        if (rc == HV_OK)
            rc = hv_auth_can(ctx, who, &p, "label", "list");
        if (rc)
            return rc;
        project_id = f->project_id;
    }
    fixed[n_fixed++] = term(ctx, "scope", HV_Q_EXACT, scope);
    fixed[n_fixed++] = term(ctx, "project_id", HV_Q_EXACT,
                            hv_arena_printf(ctx->arena, "%lld", (long long)project_id));
    if (f->name && *f->name)
        fixed[n_fixed++] = term(ctx, "name", HV_Q_FUZZY, f->name);
    return hv_model_label_list(out, n, total, ctx, list, fixed, n_fixed);
}

hv_err hv_registry_label_may_create(hv_ctx *ctx, const hv_identity *who) {
    return require_login(ctx, who);
}

hv_err hv_registry_label_create(int64_t *out_id, hv_ctx *ctx, const hv_identity *who,
                                const hv_registry_label_input *in) {
    hv_label l = {.name = in->name,
                  .description = in->description,
                  .color = in->color,
                  .scope = in->scope,
                  .project_id = in->project_id};
    hv_project p;
    hv_err rc = require_login(ctx, who);

    if (rc == HV_OK)
        rc = check_fields(ctx, &l);
    if (rc)
        return rc;
    if (!l.scope || (strcmp(l.scope, "g") != 0 && strcmp(l.scope, "p") != 0))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "scope must be \"g\" (a global label) or \"p\" (a project's label)");
    if (is_global(l.scope)) {
        l.project_id = 0;
        rc = hv_auth_can(ctx, who, NULL, "label", "create");
    } else if (l.project_id <= 0) {
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "project_id is required for a project label");
    } else {
        rc = hv_model_project_get_by_id(&p, ctx, l.project_id);
        if (rc == HV_OK)
            rc = hv_auth_can(ctx, who, &p, "label", "create");
    }
    return rc ? rc : hv_model_label_create(out_id, ctx, &l);
}

hv_err hv_registry_label_get(hv_label *out, hv_ctx *ctx, const hv_identity *who, int64_t id,
                             const char *action) {
    hv_err rc = hv_model_label_get(out, ctx, id);

    if (rc == HV_E_NOT_FOUND && who->kind == HV_ID_ANONYMOUS)
        rc = require_login(ctx, who); /* existence is not told to anonymous callers */
    /* global labels: any logged-in caller reads them; project labels follow the project's
     * permissions, which let anyone read those of a public project */
    if (rc == HV_OK && is_global(out->scope) && strcmp(action, "read") == 0)
        rc = require_login(ctx, who);
    else if (rc == HV_OK)
        rc = label_access(ctx, who, out, action);
    return rc;
}

hv_err hv_registry_label_update(hv_ctx *ctx, hv_label *l, const hv_registry_label_input *in) {
    hv_err rc;

    if (in->name)
        l->name = in->name;
    if (in->description)
        l->description = in->description;
    if (in->color)
        l->color = in->color;
    rc = check_fields(ctx, l);
    return rc ? rc : hv_model_label_update(ctx, l);
}

hv_err hv_registry_label_delete(hv_ctx *ctx, const hv_identity *who, int64_t id) {
    hv_label l;
    hv_err rc = hv_registry_label_get(&l, ctx, who, id, "delete");

    return rc ? rc : hv_model_label_delete(ctx, l.id);
}

/* ---------------------------------------------------------------- labels of artifacts */

struct attachment {
    const hv_project *project;
    int64_t artifact_id;
    int64_t label_id;
};

/* The label is read in the transaction that attaches it, so that it cannot move between
 * the check of its project and the attachment. */
static hv_err attach_in(hv_ctx *ctx, void *payload) {
    const struct attachment *a = payload;
    hv_label l;
    hv_err rc = hv_model_label_get(&l, ctx, a->label_id);

    if (rc == HV_OK && !is_global(l.scope) && l.project_id != a->project->id)
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST,
                     "label %s belongs to another project: only global labels and labels of "
                     "project %s can be added to its artifacts",
                     l.name, a->project->name);
    if (rc == HV_OK)
        rc = hv_model_artifact_label_add(ctx, a->artifact_id, l.id);
    return rc;
}

hv_err hv_registry_label_attach(hv_ctx *ctx, const hv_project *p, int64_t artifact_id,
                                int64_t label_id) {
    struct attachment a = {.project = p, .artifact_id = artifact_id, .label_id = label_id};

    if (label_id <= 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "id must be the id of a label");
    return hv_events_transaction(ctx, attach_in, &a);
}

hv_err hv_registry_label_detach(hv_ctx *ctx, int64_t artifact_id, int64_t label_id) {
    return hv_model_artifact_label_remove(ctx, artifact_id, label_id);
}
