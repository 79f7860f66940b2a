/*
 * /robots and /permissions: Harbor's v2 robot accounts.
 *
 * The handlers read the request into an hv_iam_robot_input, call the robots service of
 * src/iam/ (which holds the rules of names, levels, durations and permissions, the check
 * that a robot is never granted more than its creator holds, the secrets, the transactions
 * and the events), and render Harbor's JSON.  The only check made here is that the caller
 * is logged in.
 *
 * The order of the answers is Harbor's: POST names a bad robot name before anything else
 * in its body; PUT, PATCH and DELETE first find the robot and check the caller's permission
 * on it, and only then read the body.
 */
#include "api/api_int.h"
#include "iam/iam.h"

#include <string.h>

/* ---------------------------------------------------------------- helpers */

static hv_err require_login(hv_req *r) {
    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "log in to manage robot accounts");
    return HV_OK;
}

/* Loads the robot of the path, checking the caller's `action` on it. */
static hv_err load(hv_robot *rb, hv_project **project, hv_req *r, const char *action) {
    int64_t id;
    hv_err rc = require_login(r);

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[0], "robot id");
    if (rc == HV_OK)
        rc = hv_iam_robot_get(rb, project, &r->ctx, &r->who, id, action);
    return rc;
}

/* ---------------------------------------------------------------- JSON */

json_t *hv_api__robot_json(hv_req *r, const hv_robot *rb) {
    json_t *o = json_object();
    json_t *perms = json_array();

    json_object_set_new(o, "id", json_integer(rb->id));
    json_object_set_new(o, "name", json_string(hv_iam_robot_full_name(&r->ctx, rb)));
    json_object_set_new(o, "description", json_string(rb->description ? rb->description : ""));
    json_object_set_new(o, "level", json_string(rb->level));
    json_object_set_new(o, "duration", json_integer(rb->duration));
    json_object_set_new(o, "editable", json_true());
    json_object_set_new(o, "disable", json_boolean(rb->disabled));
    json_object_set_new(o, "expires_at", json_integer(rb->expires_at));
    /* one entry per (kind, namespace), in the order they were granted */
    for (size_t i = 0; i < rb->n_permissions; i++) {
        const hv_robot_permission *p = &rb->permissions[i];
        json_t *group = NULL;
        size_t g;
        json_t *it;

        json_array_foreach(perms, g, it) {
            if (strcmp(json_string_value(json_object_get(it, "kind")), p->kind) == 0 &&
                strcmp(json_string_value(json_object_get(it, "namespace")), p->namespace_) == 0) {
                group = it;
                break;
            }
        }
        if (!group) {
            group = json_pack("{s:s, s:s, s:[]}", "kind", p->kind, "namespace", p->namespace_,
                              "access");
            json_array_append_new(perms, group);
        }
        json_array_append_new(json_object_get(group, "access"),
                              json_pack("{s:s, s:s, s:s}", "resource", p->resource, "action",
                                        p->action, "effect", ""));
    }
    json_object_set_new(o, "permissions", perms);
    json_object_set_new(o, "creator_type",
                        json_string(rb->creator_type ? rb->creator_type : "local"));
    json_object_set_new(o, "creator_ref", json_integer(rb->creator_ref));
    json_object_set_new(o, "creation_time", hv_api__time(rb->creation_time));
    json_object_set_new(o, "update_time", hv_api__time(rb->update_time));
    return o;
}

hv_err hv_api__robot_created(hv_req *r, const hv_robot *rb, const char *secret, bool with_expiry) {
    json_t *o = json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)rb->id, "name",
                          hv_iam_robot_full_name(&r->ctx, rb), "secret", secret, "creation_time",
                          hv_api__time(rb->creation_time));
    const char *path = r->path;
    size_t len = strlen(path);

    if (with_expiry)
        json_object_set_new(o, "expires_at", json_integer(rb->expires_at));
    /* the collection's path and the id, as Harbor builds it */
    while (len > 1 && path[len - 1] == '/')
        len--;
    hv_resp_header(r, "Location",
                   hv_arena_printf(r->ctx.arena, "%.*s/%lld", (int)len, path, (long long)rb->id));
    return hv_api__json(r, 201, o);
}

hv_err hv_api__robot_page(hv_req *r, const hv_list *l, int64_t total, const hv_robot *robots,
                          size_t n) {
    json_t *items = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, hv_api__robot_json(r, &robots[i]));
    return hv_api__page(r, l, total, items);
}

/* ---------------------------------------------------------------- request bodies */

/* The "access" list of a permission; entries that are not objects have no strings. */
static void read_access(hv_iam_robot_grant *g, hv_req *r, json_t *access) {
    hv_iam_robot_access *out;
    size_t i;
    json_t *a;

    if (!json_is_array(access))
        return;
    out = hv_arena_alloc(r->ctx.arena, json_array_size(access) * sizeof(*out));
    json_array_foreach(access, i, a) {
        out[i].resource = json_string_value(json_object_get(a, "resource"));
        out[i].action = json_string_value(json_object_get(a, "action"));
        out[i].effect = json_string_value(json_object_get(a, "effect"));
    }
    g->access = out;
    g->n_access = json_array_size(access);
}

/* The "permissions" list; the service checks it (its strings are borrowed from body). */
static void read_permissions(hv_iam_robot_input *in, hv_req *r, json_t *body) {
    json_t *perms = json_object_get(body, "permissions");
    hv_iam_robot_grant *out;
    size_t i;
    json_t *perm;

    if (!json_is_array(perms))
        return;
    out = hv_arena_alloc(r->ctx.arena, json_array_size(perms) * sizeof(*out));
    json_array_foreach(perms, i, perm) {
        out[i].kind = json_string_value(json_object_get(perm, "kind"));
        out[i].namespace_ = json_string_value(json_object_get(perm, "namespace"));
        read_access(&out[i], r, json_object_get(perm, "access"));
    }
    in->permissions = out;
    in->n_permissions = json_array_size(perms);
}

hv_err hv_api__robot_input(hv_iam_robot_input *in, hv_req *r, json_t *body) {
    json_t *duration = json_object_get(body, "duration");
    json_t *disable = json_object_get(body, "disable");
    hv_err rc;

    memset(in, 0, sizeof(*in));
    rc = hv_api__str(&in->name, r, body, "name");
    if (rc == HV_OK)
        rc = hv_api__str(&in->description, r, body, "description");
    if (rc == HV_OK)
        rc = hv_api__str(&in->level, r, body, "level");
    if (rc == HV_OK)
        rc = hv_api__bool(&in->disable, r, body, "disable");
    if (rc)
        return rc;
    in->set_disable = disable && !json_is_null(disable);
    in->has_duration = json_is_integer(duration);
    in->duration = (int64_t)json_integer_value(duration);
    read_permissions(in, r, body);
    return HV_OK;
}

/* ---------------------------------------------------------------- handlers */

static hv_err create_robot(hv_req *r) {
    json_t *body = NULL;
    const char *name = NULL;
    hv_iam_robot_input in;
    hv_robot rb;
    char secret[HV_IAM_ROBOT_SECRET_LEN + 1] = "";
    hv_err rc = require_login(r);

    if (rc)
        return rc;
    rc = hv_api__json_body(&body, r);
    if (rc)
        goto out;
    /* the name first, as Harbor does: a bad name is the clearest error to report */
    rc = hv_api__str(&name, r, body, "name");
    if (rc == HV_OK)
        rc = hv_iam_robot_check_name(&r->ctx, name);
    if (rc == HV_OK)
        rc = hv_api__robot_input(&in, r, body);
    if (rc == HV_OK)
        rc = hv_iam_robot_create(&rb, secret, &r->ctx, &r->who, &in);
    if (rc)
        goto out;
    rc = hv_api__robot_created(r, &rb, secret, true);
out:
    memset(secret, 0, sizeof(secret));
    json_decref(body);
    return rc;
}

static hv_err list_robots(hv_req *r) {
    hv_list l;
    hv_robot *robots;
    size_t n;
    int64_t total;
    hv_err rc = require_login(r);

    if (rc == HV_OK)
        rc = hv_api__list_params(&l, r);
    if (rc == HV_OK)
        rc = hv_iam_robot_list(&robots, &n, &total, &r->ctx, &r->who, &l);
    return rc ? rc : hv_api__robot_page(r, &l, total, robots, n);
}

static hv_err get_robot(hv_req *r) {
    hv_robot rb;
    hv_project *project;
    hv_err rc = load(&rb, &project, r, "read");

    if (rc)
        return rc;
    return hv_api__json(r, 200, hv_api__robot_json(r, &rb));
}

static hv_err update_robot(hv_req *r) {
    json_t *body = NULL;
    hv_iam_robot_input in;
    hv_robot rb;
    hv_project *project;
    hv_err rc = load(&rb, &project, r, "update");

    if (rc)
        return rc;
    rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__robot_input(&in, r, body);
    if (rc == HV_OK)
        rc = hv_iam_robot_update(&r->ctx, &r->who, &rb, project, &in);
    if (rc == HV_OK)
        rc = hv_api__ok(r);
    json_decref(body);
    return rc;
}

static hv_err delete_robot(hv_req *r) {
    int64_t id;
    hv_err rc = require_login(r);

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[0], "robot id");
    if (rc == HV_OK)
        rc = hv_iam_robot_delete(&r->ctx, &r->who, id);
    if (rc)
        return rc;
    return hv_api__ok(r);
}

/* PATCH: a new secret, generated (and returned) or chosen by the caller (not echoed). */
static hv_err refresh_secret(hv_req *r) {
    json_t *body = NULL;
    hv_robot rb;
    hv_project *project;
    const char *chosen = NULL;
    char generated[HV_IAM_ROBOT_SECRET_LEN + 1] = "";
    hv_err rc = load(&rb, &project, r, "update");

    if (rc)
        return rc;
    if (r->body.len > 0) {
        rc = hv_api__json_body(&body, r);
        if (rc == HV_OK)
            rc = hv_api__str(&chosen, r, body, "secret");
    }
    if (rc == HV_OK)
        rc = hv_iam_robot_refresh_secret(generated, &r->ctx, &rb, chosen);
    if (rc == HV_OK)
        rc = hv_api__json(r, 200, json_pack("{s:s}", "secret", generated));
    memset(generated, 0, sizeof(generated));
    json_decref(body);
    return rc;
}

/* ---------------------------------------------------------------- /permissions */

static void add_permission(const char *resource, const char *action, void *payload) {
    json_array_append_new(payload, json_pack("{s:s, s:s}", "resource", resource, "action", action));
}

static hv_err get_permissions(hv_req *r) {
    bool with_system;
    json_t *system, *project;
    hv_err rc = require_login(r);

    if (rc == HV_OK)
        rc = hv_iam_robot_permission_kinds(&with_system, &r->ctx, &r->who);
    if (rc)
        return rc;
    system = json_array();
    project = json_array();
    if (with_system)
        hv_auth_robot_catalogue("system", add_permission, system);
    hv_auth_robot_catalogue("project", add_permission, project);
    return hv_api__json(r, 200, json_pack("{s:o, s:o}", "system", system, "project", project));
}

HV_API_HANDLER(list_handler, list_robots);
HV_API_HANDLER(create_handler, create_robot);
HV_API_HANDLER(get_handler, get_robot);
HV_API_HANDLER(update_handler, update_robot);
HV_API_HANDLER(delete_handler, delete_robot);
HV_API_HANDLER(refresh_handler, refresh_secret);
HV_API_HANDLER(permissions_handler, get_permissions);

const hv_api__route hv_api__robot_routes[] = {
    {"GET", "/robots", &list_handler},
    {"POST", "/robots", &create_handler},
    {"GET", "/robots/{robot_id}", &get_handler},
    {"PUT", "/robots/{robot_id}", &update_handler},
    {"PATCH", "/robots/{robot_id}", &refresh_handler},
    {"DELETE", "/robots/{robot_id}", &delete_handler},
    {"GET", "/permissions", &permissions_handler},
    {NULL, NULL, NULL},
};
