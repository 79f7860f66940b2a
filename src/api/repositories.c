/*
 * /repositories and /projects/{project_name}/repositories[/{repository_name}]: list, read,
 * update the description, delete.
 *
 * A repository's name in a path is relative to its project and double-encoded when it holds
 * a slash ("a/b" → "a%2Fb" → "a%252Fb"): the server decodes the path once, this file decodes
 * the segment again.  Permissions are Harbor's: repository list/read/update/delete on the
 * project; the cross-project list shows what the caller may see (hv_api__visibility).
 * Deleting goes through the registry service, which empties the repository artifact by
 * artifact in one transaction (412 while one of its tags is immutable).
 */
#include "api/api_int.h"
#include "registry/registry.h"

#include <string.h>

/* ---------------------------------------------------------------- shared helpers */

hv_err hv_api__visibility(hv_visibility *out, hv_req *r) {
    const hv_identity *w = &r->who;
    int64_t *ids;
    size_t n = 0;

    memset(out, 0, sizeof(*out));
    if (w->kind == HV_ID_ANONYMOUS)
        return HV_OK;
    if (w->kind == HV_ID_USER) {
        out->all = w->sysadmin && !w->via_token;
        out->user_id = w->user_id;
        return HV_OK;
    }
    ids = hv_arena_alloc(r->ctx.arena, (w->n_permissions + 1) * sizeof(*ids));
    for (size_t i = 0; i < w->n_permissions; i++) {
        const hv_robot_permission *p = &w->permissions[i];
        hv_project project;
        hv_err rc;

        if (strcmp(p->kind, "project") != 0)
            continue;
        if (strcmp(p->namespace_, "*") == 0) {
            out->all = true;
            return HV_OK;
        }
        rc = hv_iam_project_get(&project, &r->ctx, p->namespace_);
        if (rc == HV_E_NOT_FOUND) { /* a permission outliving its project grants nothing */
            hv_error_clear(&r->ctx);
            continue;
        }
        if (rc)
            return rc;
        ids[n++] = project.id;
    }
    out->project_ids = ids;
    out->n_project_ids = n;
    return HV_OK;
}

hv_err hv_api__repository_name(const char **out, hv_req *r, const hv_project *p,
                               const char *segment) {
    size_t len = strlen(segment), k = 0;
    char *name = hv_arena_alloc(r->ctx.arena, len + 1);

    for (size_t i = 0; i < len; i++) {
        if (segment[i] != '%') {
            name[k++] = segment[i];
            continue;
        }
        int hi = i + 2 < len ? hv_hex_digit(segment[i + 1]) : -1;
        int lo = i + 2 < len ? hv_hex_digit(segment[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "invalid escape in repository name %s: encode '/' as %%252F", segment);
        name[k++] = (char)(hi * 16 + lo);
        i += 2;
    }
    name[k] = '\0';
    if (k == 0)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "the repository name is empty");
    *out = hv_arena_printf(r->ctx.arena, "%s/%s", p->name, name);
    return HV_OK;
}

/* ---------------------------------------------------------------- rendering */

static json_t *repository_json(const hv_repository_detail *d) {
    json_t *o = json_object();

    json_object_set_new(o, "id", json_integer(d->id));
    json_object_set_new(o, "project_id", json_integer(d->project_id));
    json_object_set_new(o, "name", json_string(d->name));
    json_object_set_new(o, "description", json_string(d->description ? d->description : ""));
    json_object_set_new(o, "artifact_count", json_integer(d->artifact_count));
    json_object_set_new(o, "pull_count", json_integer(d->pull_count));
    json_object_set_new(o, "creation_time", hv_api__time(d->creation_time));
    json_object_set_new(o, "update_time", hv_api__time(d->update_time));
    return o;
}

static hv_err page(hv_req *r, const hv_list *list, int64_t project_id, const hv_visibility *vis) {
    hv_repository_detail *rows;
    size_t n;
    int64_t total;
    json_t *items;
    hv_err rc = hv_registry_repository_list(&rows, &n, &total, &r->ctx, list, project_id, vis);

    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, repository_json(&rows[i]));
    return hv_api__page(r, list, total, items);
}

/* ---------------------------------------------------------------- lookups */

/* The {project_name} of the path (a name, as Harbor's repository endpoints take), when the
 * caller may `action` its repositories.  An anonymous caller is asked to log in rather than
 * told whether a project exists. */
static hv_err load_project(hv_project *p, hv_req *r, const char *action) {
    hv_err rc = hv_iam_project_get(p, &r->ctx, r->params[0]);

    if (rc == HV_E_NOT_FOUND && r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    return rc ? rc : hv_api__can(r, p, "repository", action);
}

/* The project and the repository of the path. */
static hv_err load(hv_project *p, hv_repository_detail *d, hv_req *r, const char *action) {
    const char *name;
    hv_err rc = load_project(p, r, action);

    if (rc == HV_OK)
        rc = hv_api__repository_name(&name, r, p, r->params[1]);
    if (rc == HV_OK)
        rc = hv_registry_repository_detail(d, &r->ctx, name);
    return rc;
}

/* ---------------------------------------------------------------- handlers */

static hv_err list_all(hv_req *r) {
    hv_visibility vis;
    hv_list list;
    hv_err rc = hv_api__list_params(&list, r);

    if (rc == HV_OK)
        rc = hv_api__visibility(&vis, r);
    return rc ? rc : page(r, &list, 0, &vis);
}

static hv_err list_project(hv_req *r) {
    const hv_visibility all = {.all = true};
    hv_project p;
    hv_list list;
    hv_err rc = load_project(&p, r, "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    return rc ? rc : page(r, &list, p.id, &all);
}

static hv_err get_repository(hv_req *r) {
    hv_project p;
    hv_repository_detail d;
    hv_err rc = load(&p, &d, r, "read");

    return rc ? rc : hv_api__json(r, 200, repository_json(&d));
}

/* Only the description changes, as in Harbor; a body without one clears it. */
static hv_err update_repository(hv_req *r) {
    const char *description = "";
    hv_project p;
    hv_repository_detail d;
    json_t *body = NULL;
    hv_err rc = load(&p, &d, r, "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&description, r, body, "description");
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_registry_repository_set_description(&r->ctx, d.id, description);
    return rc ? rc : hv_api__ok(r);
}

static hv_err delete_repository(hv_req *r) {
    const char *name;
    hv_project p;
    hv_err rc = load_project(&p, r, "delete");

    if (rc == HV_OK)
        rc = hv_api__repository_name(&name, r, &p, r->params[1]);
    if (rc == HV_OK)
        rc = hv_registry_repository_delete(&r->ctx, API(r)->reg, &p, name);
    return rc ? rc : hv_api__ok(r);
}

HV_API_HANDLER(list_all_handler, list_all);
HV_API_HANDLER(list_project_handler, list_project);
HV_API_HANDLER(get_handler, get_repository);
HV_API_HANDLER(update_handler, update_repository);
HV_API_HANDLER(delete_handler, delete_repository);

const hv_api__route hv_api__repository_routes[] = {
    {"GET", "/repositories", &list_all_handler},
    {"GET", "/projects/{project_name}/repositories", &list_project_handler},
    {"GET", "/projects/{project_name}/repositories/{repository_name}", &get_handler},
    {"PUT", "/projects/{project_name}/repositories/{repository_name}", &update_handler},
    {"DELETE", "/projects/{project_name}/repositories/{repository_name}", &delete_handler},
    {NULL, NULL, NULL},
};
