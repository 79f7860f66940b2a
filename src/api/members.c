/*
 * /projects/{project_name_or_id}/members: who holds which role in a project.
 *
 * Members are users today (entity_type "u"); a request naming a group is refused until
 * user groups exist.  Every operation is the project resource "member" with Harbor's
 * actions (create, read, update, delete, list), so a project admin manages members, guests
 * and up may see them, and a limited guest may not.
 */
#include "api/api_int.h"
#include "db/db.h"

#include <string.h>

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

/* role_id of a body: required, 1 to 5. */
static hv_err role_of(int *out, hv_req *r, json_t *body) {
    json_t *v = json_object_get(body, "role_id");

    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 5)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "role_id must be 1 (projectAdmin), 2 (developer), 3 (guest), "
                       "4 (maintainer) or 5 (limitedGuest)");
    *out = (int)json_integer_value(v);
    return HV_OK;
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
        rc = hv_model_member_list(&members, &n, &total, &r->ctx, p.id,
                                  hv_req_query(r, "entityname"), &list);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, member_json(&members[i]));
    return hv_api__page(r, &list, total, items);
}

struct creation {
    int64_t project_id;
    int64_t user_id;
    int role;
    int64_t id;
};

static hv_err create_in_tx(hv_req *r, void *payload) {
    struct creation *c = payload;

    return hv_model_member_create(&c->id, &r->ctx, c->project_id, c->user_id, c->role);
}

/* The user a member_user object names, by user_id or else by username. */
static hv_err member_user(int64_t *out, hv_req *r, json_t *mu) {
    const char *username = NULL;
    int64_t id = 0;
    hv_user u;
    hv_err rc;

    if (!json_is_object(mu))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "member_user must be an object");
    rc = hv_api__int(&id, r, mu, "user_id");
    if (rc == HV_OK)
        rc = hv_api__str(&username, r, mu, "username");
    if (rc)
        return rc;
    if (id > 0)
        rc = hv_model_user_get_by_id(&u, &r->ctx, id);
    else if (username && *username)
        rc = hv_model_user_get(&u, &r->ctx, username);
    else
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "member_user needs a user_id or a username");
    if (rc == HV_OK)
        *out = u.id;
    return rc;
}

static hv_err create_member(hv_req *r) {
    struct creation c = {0};
    hv_project p;
    json_t *body = NULL, *group, *mu;
    hv_err rc = load(&p, r, "create");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        return rc;
    c.project_id = p.id;
    group = json_object_get(body, "member_group");
    mu = json_object_get(body, "member_user");
    rc = role_of(&c.role, r, body);
    if (rc == HV_OK && group && !json_is_null(group) &&
        !(json_is_object(group) && json_object_size(group) == 0))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "groups are not supported yet");
    if (rc == HV_OK && (!mu || json_is_null(mu)))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "member_user is required");
    if (rc == HV_OK)
        rc = member_user(&c.user_id, r, mu);
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_api__in_transaction(r, create_in_tx, &c);
    if (rc)
        return rc;
    return hv_api__created(r, hv_arena_printf(r->ctx.arena, "/api/v2.0/projects/%lld/members/%lld",
                                              (long long)p.id, (long long)c.id));
}

static hv_err get_member(hv_req *r) {
    hv_project p;
    hv_member m;
    int64_t id;
    hv_err rc = load(&p, r, "read");

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[1], "mid");
    if (rc == HV_OK)
        rc = hv_model_member_get(&m, &r->ctx, p.id, id);
    return rc ? rc : hv_api__json(r, 200, member_json(&m));
}

struct change {
    int64_t project_id;
    int64_t id;
    int role;
};

static hv_err update_in_tx(hv_req *r, void *payload) {
    struct change *c = payload;

    return hv_model_member_update(&r->ctx, c->project_id, c->id, c->role);
}

static hv_err update_member(hv_req *r) {
    struct change c = {0};
    hv_project p;
    json_t *body = NULL;
    hv_err rc = load(&p, r, "update");

    if (rc == HV_OK)
        rc = hv_api__id(&c.id, r, r->params[1], "mid");
    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = role_of(&c.role, r, body);
    json_decref(body);
    if (rc)
        return rc;
    c.project_id = p.id;
    rc = hv_api__in_transaction(r, update_in_tx, &c);
    return rc ? rc : hv_api__ok(r);
}

static hv_err delete_in_tx(hv_req *r, void *payload) {
    struct change *c = payload;

    return hv_model_member_delete(&r->ctx, c->project_id, c->id);
}

static hv_err delete_member(hv_req *r) {
    struct change c = {0};
    hv_project p;
    hv_err rc = load(&p, r, "delete");

    if (rc == HV_OK)
        rc = hv_api__id(&c.id, r, r->params[1], "mid");
    if (rc)
        return rc;
    c.project_id = p.id;
    rc = hv_api__in_transaction(r, delete_in_tx, &c);
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
