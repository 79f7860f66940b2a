/*
 * /users: local user accounts, the caller's own account, and what the caller may do.
 *
 * A user may read and change their own profile and password; everything else about users
 * is the system resource "user" (sysadmins, and robots granted it).  Self-registration is
 * off, so only those may create users.  The answers never carry a password or its hash.
 * Validation follows Harbor's users handler: usernames of 1-255 characters without spaces
 * or ,"~#%$: ; passwords of 8-128 characters with an upper-case and a lower-case letter and
 * a digit; a well-formed email, unique like the username; a comment of at most 30
 * characters.
 */
#include "api/api_int.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#define USERNAME_ILLEGAL ",\"~#%$:"

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

/* ---------------------------------------------------------------- validation */

static bool has_space_or_control(const char *s) {
    for (; *s; s++) {
        if ((unsigned char)*s <= ' ' || *s == 0x7f)
            return true;
    }
    return false;
}

static hv_err check_username(hv_req *r, const char *name) {
    size_t len = name ? strlen(name) : 0;

    if (len < 1 || len > 255)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "username must be 1 to 255 characters long");
    if (strpbrk(name, USERNAME_ILLEGAL) || has_space_or_control(name))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "username contains illegal characters: spaces and %s are not allowed",
                       USERNAME_ILLEGAL);
    return HV_OK;
}

static hv_err check_password(hv_req *r, const char *pw) {
    size_t len = pw ? strlen(pw) : 0;
    bool upper = false, lower = false, digit = false;

    for (size_t i = 0; i < len; i++) {
        upper |= pw[i] >= 'A' && pw[i] <= 'Z';
        lower |= pw[i] >= 'a' && pw[i] <= 'z';
        digit |= pw[i] >= '0' && pw[i] <= '9';
    }
    if (len >= 8 && len <= 128 && upper && lower && digit)
        return HV_OK;
    return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                   "the password or secret must be 8-128, inclusively, characters long with at "
                   "least 1 uppercase letter, 1 lowercase letter and 1 number");
}

static bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* The local part of Harbor's email pattern: dot-separated atoms of characters other than
 * <>()[]\.,;:@" and white space, or a quoted string. */
static bool email_local_ok(const char *s, size_t len) {
    bool atom_start = true;

    if (len >= 3 && s[0] == '"' && s[len - 1] == '"')
        return true;
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (atom_start)
                return false;
            atom_start = true;
            continue;
        }
        if (c <= ' ' || strchr("<>()[]\\,;:@\"", c))
            return false;
        atom_start = false;
    }
    return !atom_start;
}

/* Its domain: [a.b.c.d] with 1-3 digit parts, or labels of letters, digits and '-' ending in
 * a label of at least two letters. */
static bool email_domain_ok(const char *s, size_t len) {
    size_t label = 0, labels = 0;
    bool letters_only = true;

    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        int parts = 0, digits = 0;
        for (size_t i = 1; i < len - 1; i++) {
            if (s[i] >= '0' && s[i] <= '9') {
                if (++digits > 3)
                    return false;
            } else if (s[i] == '.' && digits > 0) {
                parts++;
                digits = 0;
            } else {
                return false;
            }
        }
        return parts == 3 && digits > 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (label == 0)
                return false;
            labels++;
            label = 0;
            letters_only = true;
        } else if (is_alnum(s[i]) || s[i] == '-') {
            label++;
            letters_only &= (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z');
        } else {
            return false;
        }
    }
    return labels >= 1 && label >= 2 && letters_only;
}

static hv_err check_email(hv_req *r, const char *email) {
    const char *at = email ? strrchr(email, '@') : NULL;
    size_t len = email ? strlen(email) : 0;

    if (len == 0)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "email can't be empty");
    if (len > 255 || !at || !email_local_ok(email, (size_t)(at - email)) ||
        !email_domain_ok(at + 1, strlen(at + 1)))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "email with illegal format: %s", email);
    return HV_OK;
}

static hv_err check_realname(hv_req *r, const char *realname) {
    if (!realname)
        return HV_OK;
    if (strlen(realname) > 255)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "realname with illegal length");
    if (strpbrk(realname, USERNAME_ILLEGAL))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "realname contains illegal characters");
    return HV_OK;
}

static hv_err check_comment(hv_req *r, const char *comment) {
    if (comment && strlen(comment) > 30)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "comment with illegal length: at most 30");
    return HV_OK;
}

/* ---------------------------------------------------------------- helpers */

static bool is_self(hv_req *r, int64_t id) {
    return r->who.kind == HV_ID_USER && r->who.user_id == id;
}

/* ---------------------------------------------------------------- handlers */

static hv_err list_users(hv_req *r) {
    static const char *fuzzy[] = {"username", "email"};
    hv_list list;
    hv_query_term *terms;
    hv_user *users;
    size_t n, k;
    int64_t total;
    json_t *items;
    hv_err rc = hv_api__can(r, NULL, "user", "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc)
        return rc;
    /* ?username= and ?email= are fuzzy filters on top of q */
    terms = hv_arena_alloc(r->ctx.arena, (list.n_terms + 2) * sizeof(*terms));
    if (list.n_terms)
        memcpy(terms, list.terms, list.n_terms * sizeof(*terms));
    k = list.n_terms;
    for (size_t i = 0; i < 2; i++) {
        const char *v = hv_req_query(r, fuzzy[i]);
        if (!v || !*v)
            continue;
        terms[k].key = fuzzy[i];
        terms[k].op = HV_Q_FUZZY;
        terms[k].values = hv_arena_alloc(r->ctx.arena, sizeof(*terms[k].values));
        terms[k].values[0] = v;
        terms[k].n_values = 1;
        k++;
    }
    list.terms = terms;
    list.n_terms = k;
    rc = hv_model_user_list(&users, &n, &total, &r->ctx, &list);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, user_json(&users[i]));
    return hv_api__page(r, &list, total, items);
}

static hv_err create_in_tx(hv_req *r, void *payload) {
    hv_user *u = payload;

    return hv_model_user_create(&u->id, &r->ctx, u);
}

static hv_err create_user(hv_req *r) {
    hv_user u = {0};
    const char *password = NULL;
    char *hash = NULL;
    json_t *body = NULL;
    hv_err rc = hv_api__can(r, NULL, "user", "create");

    /* self-registration is off: only those who may create users do */
    if (rc)
        return rc;
    rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&u.username, r, body, "username");
    if (rc == HV_OK)
        rc = hv_api__str(&u.email, r, body, "email");
    if (rc == HV_OK)
        rc = hv_api__str(&u.realname, r, body, "realname");
    if (rc == HV_OK)
        rc = hv_api__str(&u.comment, r, body, "comment");
    if (rc == HV_OK)
        rc = hv_api__str(&password, r, body, "password");
    json_decref(body);
    if (rc == HV_OK)
        rc = check_password(r, password);
    if (rc == HV_OK)
        rc = check_email(r, u.email);
    if (rc == HV_OK)
        rc = check_realname(r, u.realname);
    if (rc == HV_OK)
        rc = check_comment(r, u.comment);
    if (rc == HV_OK)
        rc = check_username(r, u.username);
    if (rc == HV_OK)
        rc = hv_auth_password_hash(&hash, &r->ctx, password);
    if (rc)
        return rc;
    u.password_hash = hash;
    rc = hv_api__in_transaction(r, create_in_tx, &u);
    free(hash);
    if (rc)
        return rc;
    return hv_api__created(r,
                           hv_arena_printf(r->ctx.arena, "/api/v2.0/users/%lld", (long long)u.id));
}

static hv_err search_users(hv_req *r) {
    const char *username = hv_req_query(r, "username");
    hv_list list;
    hv_query_term *terms;
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
    if (rc)
        return rc;
    terms = hv_arena_alloc(r->ctx.arena, (list.n_terms + 1) * sizeof(*terms));
    if (list.n_terms)
        memcpy(terms, list.terms, list.n_terms * sizeof(*terms));
    terms[list.n_terms].key = "username";
    terms[list.n_terms].op = HV_Q_FUZZY;
    terms[list.n_terms].values = &username;
    terms[list.n_terms].n_values = 1;
    list.terms = terms;
    list.n_terms++;
    rc = hv_model_user_list(&users, &n, &total, &r->ctx, &list);
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
    hv_err rc;

    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    if (r->who.kind != HV_ID_USER)
        return HV_FAIL(&r->ctx, HV_E_POLICY, "get current user not available for %s", r->who.name);
    rc = hv_model_user_get_by_id(&u, &r->ctx, r->who.user_id);
    if (rc)
        return rc;
    return hv_api__json(r, 200, user_json(&u));
}

struct perms {
    hv_req *r;
    const hv_project *project; /* NULL: the system scope */
    const char *scope;
    bool relative;
    json_t *items;
};

/* Keeps one (resource, action) of the scope's catalogue when the caller holds it. */
static void keep_if_allowed(const char *resource, const char *action, void *payload) {
    struct perms *p = payload;
    const char *name;

    if (hv_api__can(p->r, p->project, resource, action) != HV_OK) {
        hv_error_clear(&p->r->ctx);
        return;
    }
    if (p->relative)
        name = *resource ? resource : ".";
    else if (*resource)
        name = hv_arena_printf(p->r->ctx.arena, "%s/%s", p->scope, resource);
    else
        name = p->scope;
    json_array_append_new(p->items, json_pack("{s:s, s:s}", "resource", name, "action", action));
}

/* The permissions of the caller in a scope: "/project/<id>" (the project matrix) or
 * "/system" (the system catalogue), each checked with hv_auth_can so that roles, public
 * projects, robots and administrators count exactly as they do everywhere else. */
static hv_err current_permissions(hv_req *r) {
    const char *scope = hv_req_query(r, "scope");
    const char *relative = hv_req_query(r, "relative");
    struct perms p = {.r = r, .scope = scope, .items = json_array()};
    hv_project project;
    uint64_t id;

    if (r->who.kind == HV_ID_ANONYMOUS) {
        json_decref(p.items);
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    }
    if (relative && strcmp(relative, "true") != 0 && strcmp(relative, "false") != 0) {
        json_decref(p.items);
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "relative must be true or false");
    }
    p.relative = relative && strcmp(relative, "true") == 0;
    if (scope && strcmp(scope, "/system") == 0) {
        hv_auth_robot_catalogue("system", keep_if_allowed, &p);
    } else if (scope && hv_str_has_prefix(scope, "/project/") &&
               hv_parse_u64(scope + 9, strlen(scope + 9), &id) && id > 0 && id <= INT64_MAX) {
        if (hv_model_project_get_by_id(&project, &r->ctx, (int64_t)id) == HV_OK) {
            p.project = &project;
            hv_auth_project_matrix(keep_if_allowed, &p);
        } else if (r->ctx.err.code != HV_E_NOT_FOUND) {
            json_decref(p.items);
            return r->ctx.err.code;
        }
        hv_error_clear(&r->ctx);
    }
    return hv_api__json(r, 200, p.items);
}

/* The id of /users/{id}, and whether the caller may do `action` to that user: themselves,
 * or anyone with the system permission. */
static hv_err target(int64_t *id, hv_req *r, const char *action) {
    hv_err rc = hv_api__id(id, r, r->params[0], "user_id");

    if (rc)
        return rc;
    if (is_self(r, *id))
        return HV_OK;
    return hv_api__can(r, NULL, "user", action);
}

static hv_err get_user(hv_req *r) {
    int64_t id;
    hv_user u;
    hv_err rc = target(&id, r, "read");

    if (rc == HV_OK)
        rc = hv_model_user_get_by_id(&u, &r->ctx, id);
    if (rc)
        return rc;
    return hv_api__json(r, 200, user_json(&u));
}

static hv_err update_in_tx(hv_req *r, void *payload) {
    return hv_model_user_update(&r->ctx, payload);
}

/* Fields that are left out keep their values; those given are checked as on creation. */
static hv_err update_user(hv_req *r) {
    const char *email = NULL, *realname = NULL, *comment = NULL;
    json_t *body = NULL;
    int64_t id;
    hv_user u;
    hv_err rc = target(&id, r, "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&email, r, body, "email");
    if (rc == HV_OK)
        rc = hv_api__str(&realname, r, body, "realname");
    if (rc == HV_OK)
        rc = hv_api__str(&comment, r, body, "comment");
    json_decref(body);
    if (rc == HV_OK && email)
        rc = check_email(r, email);
    if (rc == HV_OK)
        rc = check_realname(r, realname);
    if (rc == HV_OK)
        rc = check_comment(r, comment);
    if (rc == HV_OK)
        rc = hv_model_user_get_by_id(&u, &r->ctx, id);
    if (rc)
        return rc;
    if (email)
        u.email = email;
    if (realname)
        u.realname = realname;
    if (comment)
        u.comment = comment;
    rc = hv_api__in_transaction(r, update_in_tx, &u);
    return rc ? rc : hv_api__ok(r);
}

static hv_err delete_in_tx(hv_req *r, void *payload) {
    return hv_model_user_delete(&r->ctx, *(int64_t *)payload);
}

static hv_err delete_user(hv_req *r) {
    int64_t id;
    hv_err rc = hv_api__id(&id, r, r->params[0], "user_id");

    if (rc == HV_OK)
        rc = hv_api__can(r, NULL, "user", "delete");
    if (rc)
        return rc;
    if (id == 1 || is_self(r, id))
        return HV_FAIL(&r->ctx, HV_E_DENIED, "User with ID %lld cannot be deleted", (long long)id);
    rc = hv_api__in_transaction(r, delete_in_tx, &id);
    return rc ? rc : hv_api__ok(r);
}

struct sysadmin_change {
    int64_t id;
    bool flag;
};

static hv_err sysadmin_in_tx(hv_req *r, void *payload) {
    struct sysadmin_change *c = payload;

    return hv_model_user_set_sysadmin(&r->ctx, c->id, c->flag);
}

static hv_err set_sysadmin(hv_req *r) {
    struct sysadmin_change c = {0};
    json_t *body = NULL, *flag;
    hv_err rc = hv_api__id(&c.id, r, r->params[0], "user_id");

    if (rc == HV_OK)
        rc = hv_api__can(r, NULL, "user", "update");
    if (rc == HV_OK && is_self(r, c.id))
        rc = HV_FAIL(&r->ctx, HV_E_DENIED, "you cannot change your own sysadmin flag");
    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        return rc;
    flag = json_object_get(body, "sysadmin_flag");
    if (!json_is_boolean(flag))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "sysadmin_flag must be true or false");
    else
        c.flag = json_is_true(flag);
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_api__in_transaction(r, sysadmin_in_tx, &c);
    return rc ? rc : hv_api__ok(r);
}

struct password_change {
    int64_t id;
    const char *hash;
};

static hv_err password_in_tx(hv_req *r, void *payload) {
    struct password_change *c = payload;

    return hv_model_user_set_password(&r->ctx, c->id, c->hash);
}

/* A user changing their own password proves the old one; an administrator setting someone
 * else's does not need it. */
static hv_err set_password(hv_req *r) {
    const char *old_pw = NULL, *new_pw = NULL;
    struct password_change c = {0};
    char *hash = NULL;
    json_t *body = NULL;
    hv_user u;
    hv_err rc = target(&c.id, r, "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&old_pw, r, body, "old_password");
    if (rc == HV_OK)
        rc = hv_api__str(&new_pw, r, body, "new_password");
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_model_user_get_by_id(&u, &r->ctx, c.id);
    if (rc)
        return rc;
    if (is_self(r, c.id)) {
        if (!old_pw || !*old_pw)
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "old_password is required");
        if (!hv_auth_password_verify(u.password_hash, old_pw))
            return HV_FAIL(&r->ctx, HV_E_DENIED, "Current password is incorrect");
    }
    rc = check_password(r, new_pw);
    if (rc)
        return rc;
    if (hv_auth_password_verify(u.password_hash, new_pw))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "New password is identical to old password");
    rc = hv_auth_password_hash(&hash, &r->ctx, new_pw);
    if (rc)
        return rc;
    c.hash = hash;
    rc = hv_api__in_transaction(r, password_in_tx, &c);
    free(hash);
    return rc ? rc : hv_api__ok(r);
}

/* CLI secrets exist only under OIDC authentication, which Haven does not run (yet). */
static hv_err set_cli_secret(hv_req *r) {
    int64_t id;
    hv_err rc = target(&id, r, "update");

    if (rc)
        return rc;
    return HV_FAIL(&r->ctx, HV_E_POLICY, "unable to update CLI secret under authmode: db_auth");
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
