/*
 * /users: local user accounts, the caller's own account, and what the caller may do.
 *
 * A user may read and change their own profile and password; everything else about users
 * is the system resource "user" (sysadmins, and robots granted it).  Self-registration is
 * off, so only those may create users.  The answers never carry a password or its hash.
 * The rules (Harbor's validation of names, passwords, emails) are the iam service's; these
 * handlers parse, check the permission, call it and render.
 */
#include "api/api_int.h"
#include "iam/iam.h"

#include <string.h>

static json_t *user_json(const hv_user *u) {
    json_t *o = json_object();

    json_object_set_new(o, "user_id", json_integer(u->id));
    json_object_set_new(o, "username", json_string(u->username));
    json_object_set_new(o, "email", json_string(u->email ? u->email : ""));
    json_object_set_new(o, "realname", json_string(u->realname ? u->realname : ""));
    json_object_set_new(o, "comment", json_string(u->comment ? u->comment : ""));
    json_object_set_new(o, "sysadmin_flag", json_boolean(u->sysadmin));
    json_object_set_new(o, "admin_role_in_auth", json_false());
    json_object_set_new(o, "creation_time", hv_api__time(u->creation_time));
    json_object_set_new(o, "update_time", hv_api__time(u->update_time));
    return o;
}

/* The id of /users/{id}, and whether the caller may do `action` to that user. */
static hv_err target(int64_t *id, hv_req *r, const char *action) {
    hv_err rc = hv_api__id(id, r, r->params[0], "user_id");

    return rc ? rc : hv_iam_user_authorize(&r->ctx, &r->who, *id, action);
}

static hv_err list_users(hv_req *r) {
    hv_list list;
    hv_user *users;
    size_t n;
    int64_t total;
    json_t *items;
    hv_err rc = hv_api__can(r, NULL, "user", "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = hv_iam_user_list(&users, &n, &total, &r->ctx, &list, hv_req_query(r, "username"),
                              hv_req_query(r, "email"));
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, user_json(&users[i]));
    return hv_api__page(r, &list, total, items);
}

static hv_err create_user(hv_req *r) {
    hv_iam_user_input in = {0};
    int64_t id;
    json_t *body = NULL;
    hv_err rc = hv_api__can(r, NULL, "user", "create");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&in.username, r, body, "username");
    if (rc == HV_OK)
        rc = hv_api__str(&in.email, r, body, "email");
    if (rc == HV_OK)
        rc = hv_api__str(&in.realname, r, body, "realname");
    if (rc == HV_OK)
        rc = hv_api__str(&in.comment, r, body, "comment");
    if (rc == HV_OK)
        rc = hv_api__str(&in.password, r, body, "password");
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_iam_user_create(&id, &r->ctx, &in);
    if (rc)
        return rc;
    return hv_api__created(r, hv_arena_printf(r->ctx.arena, "/api/v2.0/users/%lld", (long long)id));
}

static hv_err search_users(hv_req *r) {
    const char *username = hv_req_query(r, "username");
    hv_list list;
    hv_user *users;
    size_t n;
    int64_t total;
    json_t *items;
    hv_err rc;

    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required to search users");
    if (!username || !*username)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "the username query parameter is required");
    rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = hv_iam_user_search(&users, &n, &total, &r->ctx, &list, username);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, json_pack("{s:I, s:s}", "user_id", (json_int_t)users[i].id,
                                               "username", users[i].username));
    return hv_api__page(r, &list, total, items);
}

static hv_err current_user(hv_req *r) {
    hv_user u;
    hv_err rc = hv_iam_user_current(&u, &r->ctx, &r->who);

    return rc ? rc : hv_api__json(r, 200, user_json(&u));
}

/* ?scope=/system or /project/<id>; ?relative=true names resources without the scope. */
static hv_err current_permissions(hv_req *r) {
    const char *scope = hv_req_query(r, "scope");
    const char *relative = hv_req_query(r, "relative");
    hv_iam_permission *perms;
    size_t n;
    json_t *items;
    hv_err rc;

    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    if (relative && strcmp(relative, "true") != 0 && strcmp(relative, "false") != 0)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "relative must be true or false");
    rc = hv_iam_user_permissions(&perms, &n, &r->ctx, &r->who, scope);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *resource = perms[i].resource, *name;

        if (relative && strcmp(relative, "true") == 0)
            name = *resource ? resource : ".";
        else if (*resource)
            name = hv_arena_printf(r->ctx.arena, "%s/%s", scope, resource);
        else
            name = scope;
        json_array_append_new(items,
                              json_pack("{s:s, s:s}", "resource", name, "action", perms[i].action));
    }
    return hv_api__json(r, 200, items);
}

static hv_err get_user(hv_req *r) {
    int64_t id;
    hv_user u;
    hv_err rc = target(&id, r, "read");

    if (rc == HV_OK)
        rc = hv_iam_user_get(&u, &r->ctx, id);
    return rc ? rc : hv_api__json(r, 200, user_json(&u));
}

/* Fields that are left out keep their values. */
static hv_err update_user(hv_req *r) {
    hv_iam_user_input in = {0};
    json_t *body = NULL;
    int64_t id;
    hv_err rc = target(&id, r, "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&in.email, r, body, "email");
    if (rc == HV_OK)
        rc = hv_api__str(&in.realname, r, body, "realname");
    if (rc == HV_OK)
        rc = hv_api__str(&in.comment, r, body, "comment");
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_iam_user_update(&r->ctx, id, &in);
    return rc ? rc : hv_api__ok(r);
}

static hv_err delete_user(hv_req *r) {
    int64_t id;
    hv_err rc = hv_api__id(&id, r, r->params[0], "user_id");

    if (rc == HV_OK)
        rc = hv_api__can(r, NULL, "user", "delete");
    if (rc == HV_OK)
        rc = hv_iam_user_delete(&r->ctx, &r->who, id);
    return rc ? rc : hv_api__ok(r);
}

static hv_err set_sysadmin(hv_req *r) {
    json_t *body = NULL, *flag;
    int64_t id;
    hv_err rc = hv_api__id(&id, r, r->params[0], "user_id");

    if (rc == HV_OK)
        rc = hv_iam_user_authorize_sysadmin(&r->ctx, &r->who, id);
    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        return rc;
    flag = json_object_get(body, "sysadmin_flag");
    if (!json_is_boolean(flag))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "sysadmin_flag must be true or false");
    else
        rc = hv_iam_user_set_sysadmin(&r->ctx, id, json_is_true(flag));
    json_decref(body);
    return rc ? rc : hv_api__ok(r);
}

static hv_err set_password(hv_req *r) {
    const char *old_pw = NULL, *new_pw = NULL;
    json_t *body = NULL;
    int64_t id;
    hv_err rc = target(&id, r, "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&old_pw, r, body, "old_password");
    if (rc == HV_OK)
        rc = hv_api__str(&new_pw, r, body, "new_password");
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_iam_user_set_password(&r->ctx, &r->who, id, old_pw, new_pw);
    return rc ? rc : hv_api__ok(r);
}

static hv_err set_cli_secret(hv_req *r) {
    int64_t id;
    hv_err rc = target(&id, r, "update");

    return rc ? rc : hv_iam_user_set_cli_secret(&r->ctx, id);
}

HV_API_HANDLER(list_handler, list_users);
HV_API_HANDLER(create_handler, create_user);
HV_API_HANDLER(search_handler, search_users);
HV_API_HANDLER(current_handler, current_user);
HV_API_HANDLER(permissions_handler, current_permissions);
HV_API_HANDLER(get_handler, get_user);
HV_API_HANDLER(update_handler, update_user);
HV_API_HANDLER(delete_handler, delete_user);
HV_API_HANDLER(sysadmin_handler, set_sysadmin);
HV_API_HANDLER(password_handler, set_password);
HV_API_HANDLER(cli_secret_handler, set_cli_secret);

const hv_api__route hv_api__user_routes[] = {
    {"GET", "/users", &list_handler},
    {"POST", "/users", &create_handler},
    {"GET", "/users/search", &search_handler},
    {"GET", "/users/current", &current_handler},
    {"GET", "/users/current/permissions", &permissions_handler},
    {"GET", "/users/{user_id}", &get_handler},
    {"PUT", "/users/{user_id}", &update_handler},
    {"DELETE", "/users/{user_id}", &delete_handler},
    {"PUT", "/users/{user_id}/sysadmin", &sysadmin_handler},
    {"PUT", "/users/{user_id}/password", &password_handler},
    {"PUT", "/users/{user_id}/cli_secret", &cli_secret_handler},
    {NULL, NULL, NULL},
};
