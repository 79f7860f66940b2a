/*
 * /projects/{project_name_or_id}/members: who holds which role in a project.
 *
 * Members are users today (entity_type "u"); a request naming a group is refused until
 * user groups exist.  Every operation is the project resource "member" with Harbor's
 * actions (create, read, update, delete, list), so a project admin manages members, guests
 * and up may see them, and a limited guest may not.  The rules (roles, which user) and the
 * changes are the iam service's; these handlers parse, check the permission, call, render.
 */
#include "api/api_int.h"
#include "iam/iam.h"

static const char *role_name(int role) {
    switch (role) {
    case HV_ROLE_PROJECT_ADMIN:
        return "projectAdmin";
    case HV_ROLE_DEVELOPER:
        return "developer";
    case HV_ROLE_GUEST:
        return "guest";
    case HV_ROLE_MAINTAINER:
        return "maintainer";
    case HV_ROLE_LIMITED_GUEST:
        return "limitedGuest";
    default:
        return "";
    }
}

static json_t *member_json(const hv_member *m) {
    json_t *o = json_object();

    json_object_set_new(o, "id", json_integer(m->id));
    json_object_set_new(o, "project_id", json_integer(m->project_id));
    json_object_set_new(o, "entity_name", json_string(m->entity_name ? m->entity_name : ""));
    json_object_set_new(o, "role_name", json_string(role_name(m->role)));
    json_object_set_new(o, "role_id", json_integer(m->role));
    json_object_set_new(o, "entity_id", json_integer(m->entity_id));
    json_object_set_new(o, "entity_type", json_string(m->entity_type ? m->entity_type : "u"));
    return o;
}

/* The project of the path, when the caller may do `action` on its members.  An anonymous
 * caller is asked to log in rather than told whether the project exists. */
static hv_err load(hv_project *p, hv_req *r, const char *action) {
    hv_err rc = hv_api__project(p, r, r->params[0]);

    if (rc == HV_E_NOT_FOUND && r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    return rc ? rc : hv_api__can(r, p, "member", action);
}

/* role_id of a body: required, and one of the role ids (checked before reading further). */
static hv_err role_of(int64_t *out, hv_req *r, json_t *body) {
    json_t *v = json_object_get(body, "role_id");

    *out = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
    return hv_iam_member_check_role(&r->ctx, *out);
}

/* The user a member_user object names: user_id or username, both optional here. */
static hv_err member_user(hv_iam_member_input *in, hv_req *r, json_t *mu) {
    hv_err rc;

    if (!json_is_object(mu))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "member_user must be an object");
    rc = hv_api__int(&in->user_id, r, mu, "user_id");
    return rc ? rc : hv_api__str(&in->username, r, mu, "username");
}

static hv_err list_members(hv_req *r) {
    hv_project p;
    hv_list list;
    hv_member *members;
    size_t n;
    int64_t total;
    json_t *items;
    hv_err rc = load(&p, r, "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = hv_iam_member_list(&members, &n, &total, &r->ctx, p.id, hv_req_query(r, "entityname"),
                                &list);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, member_json(&members[i]));
    return hv_api__page(r, &list, total, items);
}

/* Groups cannot be represented yet, so a body naming one is refused here. */
static hv_err create_member(hv_req *r) {
    hv_iam_member_input in = {0};
    hv_project p;
    int64_t id;
    json_t *body = NULL, *group, *mu;
    hv_err rc = load(&p, r, "create");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        return rc;
    group = json_object_get(body, "member_group");
    mu = json_object_get(body, "member_user");
    rc = role_of(&in.role, r, body);
    if (rc == HV_OK && group && !json_is_null(group) &&
        !(json_is_object(group) && json_object_size(group) == 0))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "groups are not supported yet");
    if (rc == HV_OK && (!mu || json_is_null(mu)))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "member_user is required");
    if (rc == HV_OK)
        rc = member_user(&in, r, mu);
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_iam_member_create(&id, &r->ctx, p.id, &in);
    if (rc)
        return rc;
    return hv_api__created(r, hv_arena_printf(r->ctx.arena, "/api/v2.0/projects/%lld/members/%lld",
                                              (long long)p.id, (long long)id));
}

static hv_err get_member(hv_req *r) {
    hv_project p;
    hv_member m;
    int64_t id;
    hv_err rc = load(&p, r, "read");

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[1], "mid");
    if (rc == HV_OK)
        rc = hv_iam_member_get(&m, &r->ctx, p.id, id);
    return rc ? rc : hv_api__json(r, 200, member_json(&m));
}

static hv_err update_member(hv_req *r) {
    hv_project p;
    json_t *body = NULL;
    int64_t id, role;
    hv_err rc = load(&p, r, "update");

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[1], "mid");
    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = role_of(&role, r, body);
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_iam_member_update(&r->ctx, p.id, id, role);
    return rc ? rc : hv_api__ok(r);
}

static hv_err delete_member(hv_req *r) {
    hv_project p;
    int64_t id;
    hv_err rc = load(&p, r, "delete");

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[1], "mid");
    if (rc == HV_OK)
        rc = hv_iam_member_delete(&r->ctx, p.id, id);
    return rc ? rc : hv_api__ok(r);
}

HV_API_HANDLER(list_handler, list_members);
HV_API_HANDLER(create_handler, create_member);
HV_API_HANDLER(get_handler, get_member);
HV_API_HANDLER(update_handler, update_member);
HV_API_HANDLER(delete_handler, delete_member);

const hv_api__route hv_api__member_routes[] = {
    {"GET", "/projects/{project_name_or_id}/members", &list_handler},
    {"POST", "/projects/{project_name_or_id}/members", &create_handler},
    {"GET", "/projects/{project_name_or_id}/members/{mid}", &get_handler},
    {"PUT", "/projects/{project_name_or_id}/members/{mid}", &update_handler},
    {"DELETE", "/projects/{project_name_or_id}/members/{mid}", &delete_handler},
    {NULL, NULL, NULL},
};
