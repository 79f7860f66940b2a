/*
 * /labels and the labels of artifacts (harbor-api.md §1.3, §1.4).
 *
 * A label is global (scope "g": created, changed and deleted by system administrators, read
 * by anyone logged in) or belongs to a project (scope "p": Harbor's label permissions on that
 * project).  Its name is unique within its scope and project (409), at most 128 characters;
 * a color, when given, is "#RRGGBB".  A label is attached to an artifact with POST
 * …/artifacts/{reference}/labels {"id": n} (artifact-label create) and detached with DELETE
 * …/artifacts/{reference}/labels/{label_id} (artifact-label delete); only global labels and
 * labels of the artifact's own project can be attached (400).
 */
#include "api/api_int.h"
#include "db/db.h"
#include "registry/registry.h"

#include <string.h>

#define NAME_MAX_LEN 128
#define DESC_MAX_LEN 1024

/* ---------------------------------------------------------------- helpers */

static hv_err require_login(hv_req *r) {
    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "log in to work with labels");
    return HV_OK;
}

static bool is_global(const hv_label *l) {
    return strcmp(l->scope, "g") == 0;
}

/* The caller's `action` on labels of the label's scope: the system's for global labels,
 * the project's for project labels. */
static hv_err label_access(hv_req *r, const hv_label *l, const char *action) {
    hv_project p;
    hv_err rc;

    if (is_global(l))
        return hv_api__can(r, NULL, "label", action);
    rc = hv_model_project_get_by_id(&p, &r->ctx, l->project_id);
    return rc ? rc : hv_api__can(r, &p, "label", action);
}

/* A global label may be read by anyone logged in; a project label needs label:read there. */
static hv_err load_label(hv_label *l, hv_req *r, const char *action) {
    int64_t id;
    hv_err rc = hv_api__id(&id, r, r->params[0], "label id");

    if (rc == HV_OK)
        rc = hv_model_label_get(l, &r->ctx, id);
    if (rc == HV_E_NOT_FOUND && r->who.kind == HV_ID_ANONYMOUS)
        rc = require_login(r); /* existence is not told to anonymous callers */
    /* global labels: any logged-in caller reads them; project labels follow the project's
     * permissions, which let anyone read those of a public project */
    if (rc == HV_OK && is_global(l) && strcmp(action, "read") == 0)
        rc = require_login(r);
    else if (rc == HV_OK)
        rc = label_access(r, l, action);
    return rc;
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

/* Checks name, description and color of a body into l (fields the body lacks are kept). */
static hv_err parse_fields(hv_label *l, hv_req *r, json_t *body) {
    hv_err rc = hv_api__str(&l->name, r, body, "name");

    if (rc == HV_OK)
        rc = hv_api__str(&l->description, r, body, "description");
    if (rc == HV_OK)
        rc = hv_api__str(&l->color, r, body, "color");
    if (rc)
        return rc;
    if (!l->name || !*l->name)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "name is required");
    if (strlen(l->name) > NAME_MAX_LEN)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "name is longer than %d characters",
                       NAME_MAX_LEN);
    if (l->description && strlen(l->description) > DESC_MAX_LEN)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "description is longer than %d characters",
                       DESC_MAX_LEN);
    if (l->color && *l->color && !color_valid(l->color))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "color must be \"#\" and six hexadecimal digits, like #1D5100");
    return HV_OK;
}

static json_t *label_json(const hv_label *l) {
    json_t *o = json_object();

    json_object_set_new(o, "id", json_integer(l->id));
    json_object_set_new(o, "name", json_string(l->name));
    json_object_set_new(o, "description", json_string(l->description ? l->description : ""));
    json_object_set_new(o, "color", json_string(l->color ? l->color : ""));
    json_object_set_new(o, "scope", json_string(l->scope));
    json_object_set_new(o, "project_id", json_integer(l->project_id));
    json_object_set_new(o, "creation_time", hv_api__time(l->creation_time));
    json_object_set_new(o, "update_time", hv_api__time(l->update_time));
    return o;
}

/* ---------------------------------------------------------------- /labels */

static hv_err list_labels(hv_req *r) {
    const char *scope = hv_req_query(r, "scope");
    const char *project = hv_req_query(r, "project_id");
    const char *name = hv_req_query(r, "name");
    const char **scope_v, **project_v, **name_v;
    hv_query_term fixed[3];
    size_t n_fixed = 0, n;
    uint64_t pid = 0;
    hv_project p;
    hv_list l;
    hv_label *labels;
    int64_t total;
    json_t *items;
    hv_err rc = hv_api__list_params(&l, r);

    if (rc)
        return rc;
    if (!scope || !*scope)
        scope = "g";
    /* project labels follow the project's permissions (checked below) */
    if (strcmp(scope, "g") == 0) {
        rc = require_login(r);
        if (rc)
            return rc;
    }
    if (strcmp(scope, "g") != 0 && strcmp(scope, "p") != 0)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "invalid scope: %s (g or p)", scope);
    if (strcmp(scope, "p") == 0) {
        if (!project || !hv_parse_u64(project, strlen(project), &pid) || pid == 0 ||
            pid > INT64_MAX)
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "must specify project ID or project name when listing labels in "
                           "project scope: project_id=<id>");
        rc = hv_model_project_get_by_id(&p, &r->ctx, (int64_t)pid);
        if (rc == HV_OK)
            rc = hv_api__can(r, &p, "label", "list");
        if (rc)
            return rc;
    }
    scope_v = hv_arena_alloc(r->ctx.arena, sizeof(*scope_v));
    scope_v[0] = scope;
    fixed[n_fixed++] =
        (hv_query_term){.key = "scope", .op = HV_Q_EXACT, .values = scope_v, .n_values = 1};
    project_v = hv_arena_alloc(r->ctx.arena, sizeof(*project_v));
    project_v[0] = hv_arena_printf(r->ctx.arena, "%llu", (unsigned long long)pid);
    fixed[n_fixed++] =
        (hv_query_term){.key = "project_id", .op = HV_Q_EXACT, .values = project_v, .n_values = 1};
    if (name && *name) {
        name_v = hv_arena_alloc(r->ctx.arena, sizeof(*name_v));
        name_v[0] = name;
        fixed[n_fixed++] =
            (hv_query_term){.key = "name", .op = HV_Q_FUZZY, .values = name_v, .n_values = 1};
    }
    rc = hv_model_label_list(&labels, &n, &total, &r->ctx, &l, fixed, n_fixed);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, label_json(&labels[i]));
    return hv_api__page(r, &l, total, items);
}

static hv_err create_label(hv_req *r) {
    json_t *body = NULL;
    hv_label l = {0};
    int64_t id;
    hv_project p;
    hv_err rc = require_login(r);

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&l.scope, r, body, "scope");
    if (rc == HV_OK)
        rc = hv_api__int(&l.project_id, r, body, "project_id");
    if (rc == HV_OK)
        rc = parse_fields(&l, r, body);
    if (rc)
        goto out;
    if (!l.scope || (strcmp(l.scope, "g") != 0 && strcmp(l.scope, "p") != 0)) {
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                     "scope must be \"g\" (a global label) or \"p\" (a project's label)");
        goto out;
    }
    if (is_global(&l)) {
        l.project_id = 0;
        rc = hv_api__can(r, NULL, "label", "create");
    } else if (l.project_id <= 0) {
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "project_id is required for a project label");
    } else {
        rc = hv_model_project_get_by_id(&p, &r->ctx, l.project_id);
        if (rc == HV_OK)
            rc = hv_api__can(r, &p, "label", "create");
    }
    if (rc == HV_OK)
        rc = hv_model_label_create(&id, &r->ctx, &l);
    if (rc == HV_OK)
        rc = hv_api__created(r,
                             hv_arena_printf(r->ctx.arena, "/api/v2.0/labels/%lld", (long long)id));
out:
    json_decref(body);
    return rc;
}

static hv_err get_label(hv_req *r) {
    hv_label l;
    hv_err rc = load_label(&l, r, "read");

    return rc ? rc : hv_api__json(r, 200, label_json(&l));
}

/* PUT changes name, description and color; scope and project stay. */
static hv_err update_label(hv_req *r) {
    json_t *body = NULL;
    hv_label l;
    hv_err rc = load_label(&l, r, "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = parse_fields(&l, r, body);
    if (rc == HV_OK)
        rc = hv_model_label_update(&r->ctx, &l);
    if (rc == HV_OK)
        rc = hv_api__ok(r);
    json_decref(body);
    return rc;
}

static hv_err delete_label(hv_req *r) {
    hv_label l;
    hv_err rc = load_label(&l, r, "delete");

    if (rc == HV_OK)
        rc = hv_model_label_delete(&r->ctx, l.id);
    return rc ? rc : hv_api__ok(r);
}

/* ---------------------------------------------------------------- labels of artifacts */

/* The artifact of …/projects/{p}/repositories/{r}/artifacts/{reference}, when the caller may
 * do `action` on its labels; *p is its project.  An anonymous caller is asked to log in
 * rather than told whether the project exists. */
static hv_err load_artifact(hv_artifact_view *art, hv_project *p, hv_req *r, const char *action) {
    hv_artifact_options none = {0};
    const char *name;
    hv_target t;
    hv_err rc = hv_model_project_get(p, &r->ctx, r->params[0]);

    if (rc == HV_E_NOT_FOUND && r->who.kind == HV_ID_ANONYMOUS) {
        hv_error_clear(&r->ctx);
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    }
    if (rc == HV_OK)
        rc = hv_api__can(r, p, "artifact-label", action);
    if (rc == HV_OK)
        rc = hv_api__repository_name(&name, r, p, r->params[1]);
    if (rc == HV_OK)
        rc = hv_registry_repository(&t, &r->ctx, p, name);
    if (rc == HV_OK)
        rc = hv_registry_artifact_get(art, &r->ctx, &t, r->params[2], &none);
    return rc;
}

static hv_err attach_label(hv_req *r) {
    json_t *body = NULL;
    hv_artifact_view art;
    hv_project p;
    hv_label l;
    int64_t id = 0;
    hv_err rc = load_artifact(&art, &p, r, "create");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__int(&id, r, body, "id");
    if (rc == HV_OK && id <= 0)
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "id must be the id of a label");
    if (rc == HV_OK)
        rc = hv_model_label_get(&l, &r->ctx, id);
    if (rc == HV_OK && !is_global(&l) && l.project_id != p.id)
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                     "label %s belongs to another project: only global labels and labels of "
                     "project %s can be added to its artifacts",
                     l.name, p.name);
    if (rc == HV_OK)
        rc = hv_model_artifact_label_add(&r->ctx, art.info.a.id, l.id);
    if (rc == HV_OK)
        rc = hv_api__ok(r);
    json_decref(body);
    return rc;
}

static hv_err detach_label(hv_req *r) {
    hv_artifact_view art;
    hv_project p;
    int64_t id;
    hv_err rc = load_artifact(&art, &p, r, "delete");

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[3], "label id");
    if (rc == HV_OK)
        rc = hv_model_artifact_label_remove(&r->ctx, art.info.a.id, id);
    return rc ? rc : hv_api__ok(r);
}

HV_API_HANDLER(list_handler, list_labels);
HV_API_HANDLER(create_handler, create_label);
HV_API_HANDLER(get_handler, get_label);
HV_API_HANDLER(update_handler, update_label);
HV_API_HANDLER(delete_handler, delete_label);
HV_API_HANDLER(attach_handler, attach_label);
HV_API_HANDLER(detach_handler, detach_label);

const hv_api__route hv_api__label_routes[] = {
    {"GET", "/labels", &list_handler},
    {"POST", "/labels", &create_handler},
    {"GET", "/labels/{label_id}", &get_handler},
    {"PUT", "/labels/{label_id}", &update_handler},
    {"DELETE", "/labels/{label_id}", &delete_handler},
    {"POST", "/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/labels",
     &attach_handler},
    {"DELETE",
     "/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/labels/"
     "{label_id}",
     &detach_handler},
    {NULL, NULL, NULL},
};
