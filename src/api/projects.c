/*
 * /projects: projects, their summary and deletability.
 *
 * The handlers read the request (a ProjectReq into hv_iam_project_input), ask auth whether
 * the caller may, call one service of src/iam/projects.c, which holds the rules (names,
 * metadata, the allowlist, who may create), the transactions and the events, and render
 * Harbor's JSON.  Permissions are Harbor's: the project itself ("" read/update/delete),
 * "metadata" and, for robots, the system permission project:create.
 */
#include "api/api_int.h"
#include "iam/iam.h"

#include <string.h>

/* ---------------------------------------------------------------- lookups */

/* Resolves {project_name_or_id}.  An anonymous caller is asked to log in rather than told
 * whether a project exists (as Harbor's RequireProjectAccess does). */
hv_err hv_api__project_of_path(hv_project *p, hv_req *r) {
    hv_err rc = hv_api__project(p, r, r->params[0]);

    if (rc == HV_E_NOT_FOUND && r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    return rc;
}

/* The project of the path, when the caller may do `action` on `resource` of it. */
hv_err hv_api__project_load(hv_project *p, hv_req *r, const char *resource, const char *action) {
    hv_err rc = hv_api__project_of_path(p, r);

    return rc ? rc : hv_api__can(r, p, resource, action);
}

/* ---------------------------------------------------------------- parsing */

/* The metadata of a ProjectReq as pairs (arena); null values are left out, other values
 * that are not strings are passed as NULL for the service to refuse. */
static hv_err parse_metadata(hv_iam_project_meta **out, size_t *n, hv_req *r, json_t *md) {
    const char *key;
    json_t *v;
    size_t k = 0;

    *out = NULL;
    *n = 0;
    if (!md || json_is_null(md))
        return HV_OK;
    if (!json_is_object(md))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "metadata must be an object of strings");
    *out = hv_arena_alloc(r->ctx.arena, (json_object_size(md) + 1) * sizeof(**out));
    json_object_foreach(md, key, v) {
        if (json_is_null(v))
            continue;
        (*out)[k].key = hv_arena_strdup(r->ctx.arena, key);
        (*out)[k].value =
            json_is_string(v) ? hv_arena_strdup(r->ctx.arena, json_string_value(v)) : NULL;
        k++;
    }
    *n = k;
    return HV_OK;
}

/* The metadata and cve_allowlist of a ProjectReq into *in; *wl holds the allowlist. */
static hv_err parse_settings(hv_iam_project_input *in, hv_iam_cve_allowlist *wl, hv_req *r,
                             json_t *body) {
    hv_iam_project_meta *meta;
    json_t *v;
    hv_err rc = parse_metadata(&meta, &in->n_metadata, r, json_object_get(body, "metadata"));

    in->metadata = meta;
    v = json_object_get(body, "cve_allowlist");
    if (rc == HV_OK && v && !json_is_null(v)) {
        rc = hv_api__parse_allowlist(wl, r, v);
        in->cve_allowlist = wl;
    }
    return rc;
}

/* ---------------------------------------------------------------- rendering */

/* Harbor reports the "highest" of several roles in current_user_role_id. */
static int highest_role(const int *roles, size_t n) {
    static const int power[6] = {0, 50, 30, 20, 40, 10};
    int best = 0;

    for (size_t i = 0; i < n; i++) {
        if (roles[i] >= 1 && roles[i] <= 5 && (best == 0 || power[roles[i]] > power[best]))
            best = roles[i];
    }
    return best;
}

hv_err hv_api__project_json(json_t **out, hv_req *r, const hv_project *p, bool detail) {
    hv_iam_project_view v;
    json_t *o, *ids;
    hv_err rc = hv_iam_project_describe(&v, &r->ctx, &r->who, p, detail);

    if (rc)
        return rc;
    o = json_object();
    json_object_set_new(o, "project_id", json_integer(p->id));
    json_object_set_new(o, "owner_id", json_integer(p->owner_id));
    json_object_set_new(o, "name", json_string(p->name));
    json_object_set_new(o, "creation_time", hv_api__time(p->creation_time));
    json_object_set_new(o, "update_time", hv_api__time(p->update_time));
    json_object_set_new(o, "deleted", json_false());
    json_object_set_new(o, "owner_name", json_string(detail ? p->owner_name : ""));
    json_object_set_new(o, "togglable", json_true());
    json_object_set_new(o, "current_user_role_id", json_integer(highest_role(v.roles, v.n_roles)));
    ids = json_array();
    for (size_t i = 0; i < v.n_roles; i++)
        json_array_append_new(ids, json_integer(v.roles[i]));
    json_object_set_new(o, "current_user_role_ids", ids);
    json_object_set_new(o, "repo_count", json_integer(v.repo_count));
    if (detail) {
        json_t *md = json_object();
        for (size_t i = 0; i < v.n_metadata; i++)
            json_object_set_new(md, v.metadata_names[i], json_string(v.metadata_values[i]));
        json_object_set_new(o, "metadata", md);
        json_object_set_new(o, "cve_allowlist",
                            hv_api__allowlist_json(p->cve_allowlist_json, p->id, p->id,
                                                   p->creation_time, p->update_time));
    }
    *out = o;
    return HV_OK;
}

/* ---------------------------------------------------------------- /projects */

/* HEAD /projects?project_name=: does it exist (for any logged-in caller)? */
static hv_err head_project(hv_req *r) {
    const char *name = hv_req_query(r, "project_name");
    hv_project p;
    hv_err rc;

    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    if (!name || !*name)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "the project_name query parameter is required");
    rc = hv_iam_project_get(&p, &r->ctx, name);
    return rc ? rc : hv_api__ok(r);
}

static hv_err bool_param(bool *out, bool *given, hv_req *r, const char *name) {
    const char *v = hv_req_query(r, name);

    *given = v && *v;
    if (*given && !hv_parse_bool(v, out))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s must be true or false, not %s", name, v);
    return HV_OK;
}

static hv_err list_projects(hv_req *r) {
    hv_iam_project_filter f = {.name = hv_req_query(r, "name"), .owner = hv_req_query(r, "owner")};
    bool detail = true, detail_given;
    hv_project *projects;
    hv_list list;
    size_t n;
    int64_t total;
    json_t *items;
    hv_err rc;

    if (strcmp(r->method, "HEAD") == 0)
        return head_project(r);
    rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = bool_param(&f.public, &f.public_set, r, "public");
    if (rc == HV_OK)
        rc = bool_param(&detail, &detail_given, r, "with_detail");
    if (rc == HV_OK)
        rc = hv_iam_project_list(&projects, &n, &total, &r->ctx, &r->who, &list, &f);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *o;
        rc = hv_api__project_json(&o, r, &projects[i], detail);
        if (rc) {
            json_decref(items);
            return rc;
        }
        json_array_append_new(items, o);
    }
    return hv_api__page(r, &list, total, items);
}

static hv_err create_project(hv_req *r) {
    hv_iam_project_input in = {.storage_limit = -1};
    hv_iam_cve_allowlist wl = {0};
    json_t *body = NULL, *v;
    int64_t id;
    hv_err rc = hv_iam_project_may_create(&r->ctx, &r->who);

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&in.name, r, body, "project_name");
    if (rc == HV_OK)
        rc = hv_api__bool(&in.public, r, body, "public");
    if (rc == HV_OK)
        rc = hv_api__int(&in.storage_limit, r, body, "storage_limit");
    if (rc == HV_OK) {
        v = json_object_get(body, "registry_id");
        in.registry_id_set = v && !json_is_null(v);
        in.registry_id = json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
        rc = parse_settings(&in, &wl, r, body);
    }
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_iam_project_create(&id, &r->ctx, &r->who, &in);
    if (rc)
        return rc;
    {
        const char *in_name = hv_req_header(r, "X-Resource-Name-In-Location");
        bool by_name = in_name && strcmp(in_name, "true") == 0;
        return hv_api__created(
            r, by_name ? hv_arena_printf(r->ctx.arena, "/api/v2.0/projects/%s", in.name)
                       : hv_arena_printf(r->ctx.arena, "/api/v2.0/projects/%lld", (long long)id));
    }
}

static hv_err get_project(hv_req *r) {
    hv_project p;
    json_t *o;
    hv_err rc = hv_api__project_load(&p, r, "", "read");

    if (rc == HV_OK)
        rc = hv_api__project_json(&o, r, &p, true);
    return rc ? rc : hv_api__json(r, 200, o);
}

/* Metadata keys merge over the existing ones; project_name, public, storage_limit and
 * registry_id are ignored, as in Harbor (quotas change through /quotas). */
static hv_err update_project(hv_req *r) {
    hv_iam_project_input in = {0};
    hv_iam_cve_allowlist wl = {0};
    hv_project p;
    json_t *body = NULL;
    hv_err rc = hv_api__project_load(&p, r, "", "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        return rc;
    rc = parse_settings(&in, &wl, r, body);
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_iam_project_update(&r->ctx, &p, &in);
    return rc ? rc : hv_api__ok(r);
}

static hv_err delete_project(hv_req *r) {
    hv_project p;
    hv_err rc = hv_api__project_load(&p, r, "", "delete");

    if (rc == HV_OK)
        rc = hv_iam_project_delete(&r->ctx, &p);
    return rc ? rc : hv_api__ok(r);
}

static hv_err deletable(hv_req *r) {
    hv_project p;
    bool yes = false;
    const char *why = "";
    hv_err rc = hv_api__project_load(&p, r, "", "delete");

    if (rc == HV_OK)
        rc = hv_iam_project_deletable(&yes, &why, &r->ctx, &p);
    if (rc)
        return rc;
    return hv_api__json(r, 200, json_pack("{s:b, s:s}", "deletable", yes, "message", why));
}

static hv_err summary(hv_req *r) {
    hv_iam_project_summary s;
    hv_project p;
    json_t *o;
    hv_err rc = hv_api__project_load(&p, r, "", "read");

    if (rc == HV_OK)
        rc = hv_iam_project_summarize(&s, &r->ctx, &r->who, &p);
    if (rc)
        return rc;
    o = json_pack("{s:I}", "repo_count", (json_int_t)s.repo_count);
    if (s.has_member_counts) {
        const int64_t *c = s.member_counts;
        json_object_set_new(o, "project_admin_count", json_integer(c[HV_ROLE_PROJECT_ADMIN]));
        json_object_set_new(o, "maintainer_count", json_integer(c[HV_ROLE_MAINTAINER]));
        json_object_set_new(o, "developer_count", json_integer(c[HV_ROLE_DEVELOPER]));
        json_object_set_new(o, "guest_count", json_integer(c[HV_ROLE_GUEST]));
        json_object_set_new(o, "limited_guest_count", json_integer(c[HV_ROLE_LIMITED_GUEST]));
    }
    if (s.has_quota)
        json_object_set_new(o, "quota",
                            json_pack("{s:{s:I}, s:{s:I}}", "hard", "storage",
                                      (json_int_t)s.quota.hard, "used", "storage",
                                      (json_int_t)s.quota.used));
    return hv_api__json(r, 200, o);
}

HV_API_HANDLER(list_handler, list_projects);
HV_API_HANDLER(create_handler, create_project);
HV_API_HANDLER(get_handler, get_project);
HV_API_HANDLER(update_handler, update_project);
HV_API_HANDLER(delete_handler, delete_project);
HV_API_HANDLER(deletable_handler, deletable);
HV_API_HANDLER(summary_handler, summary);

const hv_api__route hv_api__project_routes[] = {
    {"GET", "/projects", &list_handler},
    {"POST", "/projects", &create_handler},
    {"GET", "/projects/{project_name_or_id}", &get_handler},
    {"PUT", "/projects/{project_name_or_id}", &update_handler},
    {"DELETE", "/projects/{project_name_or_id}", &delete_handler},
    {"GET", "/projects/{project_name_or_id}/_deletable", &deletable_handler},
    {"GET", "/projects/{project_name_or_id}/summary", &summary_handler},
    {NULL, NULL, NULL},
};
