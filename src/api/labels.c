/*
 * /labels and the labels of artifacts (harbor-api.md §1.3, §1.4).
 *
 * A label is global (scope "g") or belongs to a project (scope "p"); it is attached to an
 * artifact with POST …/artifacts/{reference}/labels {"id": n} (artifact-label create) and
 * detached with DELETE …/artifacts/{reference}/labels/{label_id} (artifact-label delete).
 * The rules (fields, scopes, who may touch which label, which labels an artifact takes) are
 * the registry's (src/registry/label.c); these handlers parse, check, call and render.
 */
#include "api/api_int.h"
#include "registry/registry.h"

#include <string.h>

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

/* name, description and color of a body (fields it lacks stay NULL). */
static hv_err parse_fields(hv_registry_label_input *in, hv_req *r, json_t *body) {
    hv_err rc = hv_api__str(&in->name, r, body, "name");

    if (rc == HV_OK)
        rc = hv_api__str(&in->description, r, body, "description");
    return rc ? rc : hv_api__str(&in->color, r, body, "color");
}

/* ---------------------------------------------------------------- /labels */

static hv_err list_labels(hv_req *r) {
    const char *project = hv_req_query(r, "project_id");
    hv_registry_label_filter f = {.scope = hv_req_query(r, "scope"),
                                  .name = hv_req_query(r, "name")};
    uint64_t pid;
    hv_list l;
    hv_label *labels;
    size_t n;
    int64_t total;
    json_t *items;
    hv_err rc = hv_api__list_params(&l, r);

    if (rc)
        return rc;
    if (project && hv_parse_u64(project, strlen(project), &pid) && pid <= INT64_MAX)
        f.project_id = (int64_t)pid;
    rc = hv_registry_label_list(&labels, &n, &total, &r->ctx, &r->who, &f, &l);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, label_json(&labels[i]));
    return hv_api__page(r, &l, total, items);
}

static hv_err create_label(hv_req *r) {
    json_t *body = NULL;
    hv_registry_label_input in = {0};
    int64_t id;
    hv_err rc = hv_registry_label_may_create(&r->ctx, &r->who);

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&in.scope, r, body, "scope");
    if (rc == HV_OK)
        rc = hv_api__int(&in.project_id, r, body, "project_id");
    if (rc == HV_OK)
        rc = parse_fields(&in, r, body);
    if (rc == HV_OK)
        rc = hv_registry_label_create(&id, &r->ctx, &r->who, &in);
    if (rc == HV_OK)
        rc = hv_api__created(r,
                             hv_arena_printf(r->ctx.arena, "/api/v2.0/labels/%lld", (long long)id));
    json_decref(body);
    return rc;
}

static hv_err get_label(hv_req *r) {
    hv_label l;
    int64_t id;
    hv_err rc = hv_api__id(&id, r, r->params[0], "label id");

    if (rc == HV_OK)
        rc = hv_registry_label_get(&l, &r->ctx, &r->who, id, "read");
    return rc ? rc : hv_api__json(r, 200, label_json(&l));
}

/* PUT changes name, description and color; scope and project stay. */
static hv_err update_label(hv_req *r) {
    json_t *body = NULL;
    hv_registry_label_input in = {0};
    hv_label l;
    int64_t id;
    hv_err rc = hv_api__id(&id, r, r->params[0], "label id");

    if (rc == HV_OK)
        rc = hv_registry_label_get(&l, &r->ctx, &r->who, id, "update");
    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = parse_fields(&in, r, body);
    if (rc == HV_OK)
        rc = hv_registry_label_update(&r->ctx, &l, &in);
    if (rc == HV_OK)
        rc = hv_api__ok(r);
    json_decref(body);
    return rc;
}

static hv_err delete_label(hv_req *r) {
    int64_t id;
    hv_err rc = hv_api__id(&id, r, r->params[0], "label id");

    if (rc == HV_OK)
        rc = hv_registry_label_delete(&r->ctx, &r->who, id);
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
    hv_err rc = hv_iam_project_get(p, &r->ctx, r->params[0]);

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
    int64_t id = 0;
    hv_err rc = load_artifact(&art, &p, r, "create");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__int(&id, r, body, "id");
    if (rc == HV_OK)
        rc = hv_registry_label_attach(&r->ctx, &p, art.info.a.id, id);
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
        rc = hv_registry_label_detach(&r->ctx, art.info.a.id, id);
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
