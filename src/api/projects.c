/*
 * /projects: projects, their summary and deletability.
 *
 * A project's settings are Harbor's metadata, checked by project_metadata.c the same way
 * whether they arrive in a ProjectReq or one at a time through /metadatas.
 * Creating a project makes the creator its projectAdmin member; creating and deleting one
 * publish project.created and project.deleted in the transaction that makes the change.
 * Permissions are Harbor's: the project itself ("" read/update/delete), "metadata" and, for
 * robots, the system permission project:create.
 */
#include "api/api_int.h"
#include "db/db.h"
#include "events/events.h"

#include <stdlib.h>
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

/* ---------------------------------------------------------------- validation */

/* Harbor's name rule: ^[a-z0-9]+(?:[._-][a-z0-9]+)*$, 1 to 255 characters. */
static bool name_valid(const char *s) {
    size_t len = strlen(s);
    bool after_sep = true;

    if (len < 1 || len > 255)
        return false;
    for (size_t i = 0; i < len; i++) {
        bool alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9');
        if (alnum) {
            after_sep = false;
        } else if (strchr("._-", s[i]) && !after_sep) {
            after_sep = true;
        } else {
            return false;
        }
    }
    return !after_sep;
}

typedef struct meta_kv {
    const char *key;
    const char *value;
} meta_kv;

/*
 * The metadata of a ProjectReq, checked and normalised.  retention_id must be absent or ""
 * on creation (current == NULL) and absent or unchanged on update; proxy_speed_kb is checked
 * and then dropped, since only proxy-cache projects keep it.
 */
static hv_err req_metadata(meta_kv **out, size_t *n, hv_req *r, json_t *md,
                           const char *current_retention, bool creating) {
    const char *key;
    json_t *v;
    size_t k = 0;
    hv_err rc;

    *out = NULL;
    *n = 0;
    if (!md || json_is_null(md))
        return HV_OK;
    if (!json_is_object(md))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "metadata must be an object of strings");
    *out = hv_arena_alloc(r->ctx.arena, (json_object_size(md) + 1) * sizeof(**out));
    json_object_foreach(md, key, v) {
        const char *value, *norm = NULL;

        if (json_is_null(v))
            continue;
        if (!json_is_string(v))
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "metadata.%s must be a string", key);
        value = json_string_value(v);
        if (!hv_api__project_meta_known(key) && strcmp(key, "retention_id") != 0)
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "invalid metadata key: %s", key);
        /* generated clients send "" for a field they leave unset: it changes nothing */
        if (!*value)
            continue;
        if (strcmp(key, "retention_id") == 0) {
            if (creating)
                return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                               "retention_id must be empty when a project is created");
            if (strcmp(value, current_retention ? current_retention : "") != 0)
                return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                               "retention_id cannot be changed here: use the retention API");
            continue;
        }
        rc = hv_api__project_meta_check(&norm, r, key, value);
        if (rc)
            return rc;
        if (strcmp(key, "proxy_speed_kb") == 0)
            continue;
        (*out)[k].key = hv_arena_strdup(r->ctx.arena, key);
        (*out)[k].value = norm;
        k++;
    }
    *n = k;
    return HV_OK;
}

static const char *meta_find(const meta_kv *m, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(m[i].key, key) == 0)
            return m[i].value;
    }
    return NULL;
}

/*
 * A CVEAllowlist object in its stored form: {"items":[{"cve_id"}],"expires_at":n|null,
 * "creation_time":ms,"update_time":ms}.  project_id must be 0 (or absent) or `project_id`.
 * CVE ids must be non-empty and appear once.
 */
static hv_err allowlist_parse(const char **out, hv_req *r, json_t *wl, const hv_project *p) {
    json_t *items, *expires, *stored, *clean_items, *old = NULL;
    int64_t pid = 0, created = hv_now_ms();
    json_error_t e;
    hv_err rc;
    char *text;

    if (!json_is_object(wl))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "cve_allowlist must be an object");
    rc = hv_api__int(&pid, r, wl, "project_id");
    if (rc)
        return rc;
    if (p && pid != 0 && pid != p->id)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "project_id in cve_allowlist must be %lld but it's %lld", (long long)p->id,
                       (long long)pid);
    items = json_object_get(wl, "items");
    if (items && !json_is_null(items) && !json_is_array(items))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "cve_allowlist.items must be an array");
    expires = json_object_get(wl, "expires_at");
    if (expires && !json_is_null(expires) && !json_is_integer(expires))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "cve_allowlist.expires_at must be an integer");
    clean_items = json_array();
    for (size_t i = 0; items && i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i), *id = json_object_get(it, "cve_id");
        const char *cve = json_string_value(id);
        bool dup = false;

        if (!json_is_object(it) || !json_is_string(id) || !*cve) {
            json_decref(clean_items);
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "each item of cve_allowlist.items must be {\"cve_id\": \"CVE-...\"}");
        }
        for (size_t j = 0; j < json_array_size(clean_items) && !dup; j++)
            dup =
                strcmp(json_string_value(json_object_get(json_array_get(clean_items, j), "cve_id")),
                       cve) == 0;
        if (dup) {
            json_decref(clean_items);
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "duplicate CVE ID in allowlist: %s", cve);
        }
        json_array_append_new(clean_items, json_pack("{s:s}", "cve_id", cve));
    }
    if (p && p->cve_allowlist_json)
        old = json_loads(p->cve_allowlist_json, 0, &e);
    if (old && json_is_integer(json_object_get(old, "creation_time")))
        created = json_integer_value(json_object_get(old, "creation_time"));
    json_decref(old);
    stored = json_pack("{s:o, s:O, s:I, s:I}", "items", clean_items, "expires_at",
                       expires ? expires : json_null(), "creation_time", (json_int_t)created,
                       "update_time", (json_int_t)hv_now_ms());
    text = json_dumps(stored, JSON_COMPACT);
    json_decref(stored);
    *out = hv_arena_strdup(r->ctx.arena, text);
    free(text);
    return HV_OK;
}

/* ---------------------------------------------------------------- rendering */

static json_t *allowlist_json(const hv_project *p) {
    json_t *stored = NULL, *o = json_object(), *items, *expires, *t;
    int64_t created = p->creation_time, updated = p->update_time;
    json_error_t e;

    if (p->cve_allowlist_json)
        stored = json_loads(p->cve_allowlist_json, 0, &e);
    items = json_object_get(stored, "items");
    expires = json_object_get(stored, "expires_at");
    t = json_object_get(stored, "creation_time");
    if (json_is_integer(t))
        created = json_integer_value(t);
    t = json_object_get(stored, "update_time");
    if (json_is_integer(t))
        updated = json_integer_value(t);
    json_object_set_new(o, "id", json_integer(p->id));
    json_object_set_new(o, "project_id", json_integer(p->id));
    json_object_set_new(o, "items", json_is_array(items) ? json_incref(items) : json_array());
    if (json_is_integer(expires))
        json_object_set(o, "expires_at", expires);
    json_object_set_new(o, "creation_time", hv_api__time(created));
    json_object_set_new(o, "update_time", hv_api__time(updated));
    json_decref(stored);
    return o;
}

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
    int roles[5];
    size_t n_roles = 0, n_meta = 0;
    const char **names = NULL, **values = NULL;
    int64_t repos = 0;
    json_t *o, *ids;
    hv_err rc = hv_auth_roles(roles, &n_roles, &r->ctx, &r->who, p);

    if (rc == HV_OK)
        rc = hv_model_project_repo_count(&repos, &r->ctx, p->id);
    if (rc == HV_OK && detail)
        rc = hv_model_project_metadata(&names, &values, &n_meta, &r->ctx, p->id);
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
    json_object_set_new(o, "current_user_role_id", json_integer(highest_role(roles, n_roles)));
    ids = json_array();
    for (size_t i = 0; i < n_roles; i++)
        json_array_append_new(ids, json_integer(roles[i]));
    json_object_set_new(o, "current_user_role_ids", ids);
    json_object_set_new(o, "repo_count", json_integer(repos));
    if (detail) {
        json_t *md = json_object();
        for (size_t i = 0; i < n_meta; i++)
            json_object_set_new(md, names[i], json_string(values[i]));
        json_object_set_new(o, "metadata", md);
        json_object_set_new(o, "cve_allowlist", allowlist_json(p));
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
    rc = hv_model_project_get(&p, &r->ctx, name);
    return rc ? rc : hv_api__ok(r);
}

static hv_err bool_param(bool *out, bool *given, hv_req *r, const char *name) {
    const char *v = hv_req_query(r, name);

    *given = v && *v;
    if (*given && !hv_api__parse_bool(v, out))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s must be true or false, not %s", name, v);
    return HV_OK;
}

static void add_term(hv_query_term *t, hv_req *r, const char *key, hv_query_op op,
                     const char *value) {
    t->key = key;
    t->op = op;
    t->values = hv_arena_alloc(r->ctx.arena, sizeof(*t->values));
    t->values[0] = value;
    t->n_values = 1;
}

/*
 * Who sees what: administrators everything, anonymous callers public projects, users public
 * projects and those they are members of.  A robot sees every project when it holds
 * permissions on all of them ("*"), else the projects it holds permissions in (not the
 * other public ones: the model's visibility is by membership), else public ones.
 */
static int64_t visibility(hv_req *r, hv_query_term *extra, size_t *n_extra) {
    const hv_identity *w = &r->who;
    size_t n = 0;

    if (w->kind == HV_ID_ANONYMOUS)
        return 0;
    if (w->kind == HV_ID_USER)
        return w->sysadmin && !w->via_token ? -1 : w->user_id;
    extra->key = "name";
    extra->op = HV_Q_ANY;
    extra->values = hv_arena_alloc(r->ctx.arena, (w->n_permissions + 1) * sizeof(*extra->values));
    for (size_t i = 0; i < w->n_permissions; i++) {
        const hv_robot_permission *p = &w->permissions[i];
        if (strcmp(p->kind, "project") != 0)
            continue;
        if (strcmp(p->namespace_, "*") == 0)
            return -1;
        extra->values[n++] = p->namespace_;
    }
    if (n == 0)
        return 0;
    extra->n_values = n;
    *n_extra = 1;
    return -1;
}

static hv_err list_projects(hv_req *r) {
    const char *name = hv_req_query(r, "name"), *owner = hv_req_query(r, "owner");
    bool public = false, public_given, detail = true, detail_given;
    hv_query_term *terms;
    hv_project *projects;
    hv_list list;
    size_t n, k, n_extra = 0;
    int64_t total, visible_to;
    json_t *items;
    hv_err rc;

    if (strcmp(r->method, "HEAD") == 0)
        return head_project(r);
    rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = bool_param(&public, &public_given, r, "public");
    if (rc == HV_OK)
        rc = bool_param(&detail, &detail_given, r, "with_detail");
    if (rc)
        return rc;
    if (!detail_given)
        detail = true;
    terms = hv_arena_alloc(r->ctx.arena, (list.n_terms + 4) * sizeof(*terms));
    if (list.n_terms)
        memcpy(terms, list.terms, list.n_terms * sizeof(*terms));
    k = list.n_terms;
    if (name && *name)
        add_term(&terms[k++], r, "name", HV_Q_FUZZY, name);
    if (owner && *owner)
        add_term(&terms[k++], r, "owner", HV_Q_EXACT, owner);
    if (public_given)
        add_term(&terms[k++], r, "public", HV_Q_EXACT, public ? "true" : "false");
    visible_to = visibility(r, &terms[k], &n_extra);
    k += n_extra;
    list.terms = terms;
    list.n_terms = k;
    if (visible_to == 0 && public_given && !public) {
        /* anonymous callers asking for private projects get none */
        list.page_size = 0;
        return hv_api__page(r, &list, 0, json_array());
    }
    rc = hv_model_project_list(&projects, &n, &total, &r->ctx, &list, visible_to);
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

struct creation {
    const char *name;
    bool public;
    int64_t owner_id;
    meta_kv *meta;
    size_t n_meta;
    const char *allowlist;
    int64_t storage_limit; /* the quota's hard limit, -1 unlimited */
    int64_t id;
};

static hv_err create_in_tx(hv_req *r, void *payload) {
    struct creation *c = payload;
    hv_err rc = hv_model_project_create(&c->id, &r->ctx, c->name, c->public, c->owner_id);

    for (size_t i = 0; rc == HV_OK && i < c->n_meta; i++) {
        if (strcmp(c->meta[i].key, "public") != 0)
            rc = hv_model_project_set_metadata(&r->ctx, c->id, c->meta[i].key, c->meta[i].value);
    }
    if (rc == HV_OK && c->allowlist)
        rc = hv_model_project_set_cve_allowlist(&r->ctx, c->id, c->allowlist);
    if (rc == HV_OK) {
        int64_t member;
        rc = hv_model_member_create(&member, &r->ctx, c->id, c->owner_id, HV_ROLE_PROJECT_ADMIN);
    }
    if (rc == HV_OK)
        rc = hv_model_quota_create(&r->ctx, c->id, c->storage_limit);
    if (rc == HV_OK)
        rc = hv_events_publish_fields(&r->ctx, "project.created", "project", c->name, "resource",
                                      c->name, NULL);
    return rc;
}

/* Robots own nothing: what they create belongs to the first administrator, as in Harbor. */
static hv_err first_admin(int64_t *out, hv_req *r) {
    static const char *yes[] = {"true"};
    hv_query_term t = {.key = "sysadmin_flag", .op = HV_Q_EXACT, .values = yes, .n_values = 1};
    hv_list list = {.terms = &t, .n_terms = 1, .sort = "user_id", .page = 1, .page_size = 1};
    hv_user *users;
    size_t n;
    int64_t total;
    hv_err rc = hv_model_user_list(&users, &n, &total, &r->ctx, &list);

    if (rc)
        return rc;
    if (n == 0)
        return HV_FAIL(&r->ctx, HV_E_INTERNAL, "cannot create a project: no system administrator");
    *out = users[0].id;
    return HV_OK;
}

static hv_err create_project(hv_req *r) {
    struct creation c = {0};
    const char *restriction = "everyone", *public_meta;
    json_t *body = NULL, *v;
    bool public = false;
    int64_t storage_limit = -1;
    hv_err rc;

    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required to create a project");
    if (r->who.kind == HV_ID_ROBOT) {
        rc = hv_api__can(r, NULL, "project", "create");
        if (rc)
            return HV_FAIL(&r->ctx, HV_E_DENIED, "Only system level robot can create project");
    }
    rc = hv_model_setting_get(&restriction, &r->ctx, "project_creation_restriction", "everyone");
    if (rc)
        return rc;
    if (strcmp(restriction, "adminonly") == 0 && hv_api__can(r, NULL, "project", "create"))
        return HV_FAIL(&r->ctx, HV_E_DENIED, "Only system admin can create project");

    rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&c.name, r, body, "project_name");
    if (rc == HV_OK)
        rc = hv_api__bool(&public, r, body, "public");
    if (rc == HV_OK)
        rc = hv_api__int(&storage_limit, r, body, "storage_limit");
    if (rc == HV_OK && storage_limit < -1)
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                     "storage_limit must be -1 (unlimited) or a number of bytes");
    if (rc == HV_OK) {
        v = json_object_get(body, "registry_id");
        if (v && !json_is_null(v)) {
            if (hv_api__can(r, NULL, "project", "create") != HV_OK)
                rc = HV_FAIL(&r->ctx, HV_E_DENIED,
                             "Only system admin can create proxy cache project");
            else if (!json_is_integer(v) || json_integer_value(v) <= 0)
                rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                             "registry_id must be an integer greater than 0");
            else
                rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                             "proxy-cache projects (registry_id) are not supported yet");
        }
    }
    if (rc == HV_OK && !c.name)
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "project_name is required");
    if (rc == HV_OK && !name_valid(c.name))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                     "project name %s is invalid: use 1 to 255 lower-case letters, digits and "
                     "single . _ - between them",
                     c.name);
    if (rc == HV_OK)
        rc = req_metadata(&c.meta, &c.n_meta, r, json_object_get(body, "metadata"), NULL, true);
    if (rc == HV_OK) {
        v = json_object_get(body, "cve_allowlist");
        if (v && !json_is_null(v))
            rc = allowlist_parse(&c.allowlist, r, v, NULL);
    }
    json_decref(body);
    if (rc)
        return rc;
    /* "public" (deprecated) counts when metadata.public is absent */
    public_meta = meta_find(c.meta, c.n_meta, "public");
    c.public = public_meta ? strcmp(public_meta, "true") == 0 : public;

    /* as Harbor: the limit counts when a system administrator (or a system robot that may
     * create projects) gives one; 0 or anyone else's gets the default, unlimited */
    c.storage_limit = storage_limit;
    if (storage_limit == 0 || hv_api__can(r, NULL, "project", "create") != HV_OK)
        c.storage_limit = -1;
    hv_error_clear(&r->ctx);
    if (r->who.kind == HV_ID_USER)
        c.owner_id = r->who.user_id;
    else
        rc = first_admin(&c.owner_id, r);
    if (rc == HV_OK)
        rc = hv_api__in_transaction(r, create_in_tx, &c);
    if (rc)
        return rc;
    {
        const char *in_name = hv_req_header(r, "X-Resource-Name-In-Location");
        bool by_name = in_name && strcmp(in_name, "true") == 0;
        return hv_api__created(
            r, by_name ? hv_arena_printf(r->ctx.arena, "/api/v2.0/projects/%s", c.name)
                       : hv_arena_printf(r->ctx.arena, "/api/v2.0/projects/%lld", (long long)c.id));
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

struct update {
    const hv_project *p;
    meta_kv *meta;
    size_t n_meta;
    const char *allowlist;
};

static hv_err update_in_tx(hv_req *r, void *payload) {
    struct update *u = payload;
    hv_err rc = HV_OK;

    for (size_t i = 0; rc == HV_OK && i < u->n_meta; i++)
        rc = hv_model_project_set_metadata(&r->ctx, u->p->id, u->meta[i].key, u->meta[i].value);
    if (rc == HV_OK && u->allowlist)
        rc = hv_model_project_set_cve_allowlist(&r->ctx, u->p->id, u->allowlist);
    return rc;
}

/* Metadata keys merge over the existing ones; project_name, public, storage_limit and
 * registry_id are ignored, as in Harbor (quotas change through /quotas). */
static hv_err update_project(hv_req *r) {
    struct update u = {0};
    const char **names, **values, *retention = NULL;
    size_t n;
    hv_project p;
    json_t *body = NULL, *v;
    hv_err rc = hv_api__project_load(&p, r, "", "update");

    if (rc == HV_OK)
        rc = hv_model_project_metadata(&names, &values, &n, &r->ctx, p.id);
    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "retention_id") == 0)
            retention = values[i];
    }
    u.p = &p;
    rc = req_metadata(&u.meta, &u.n_meta, r, json_object_get(body, "metadata"), retention, false);
    if (rc == HV_OK) {
        v = json_object_get(body, "cve_allowlist");
        if (v && !json_is_null(v))
            rc = allowlist_parse(&u.allowlist, r, v, &p);
    }
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_api__in_transaction(r, update_in_tx, &u);
    return rc ? rc : hv_api__ok(r);
}

static const char *const not_deletable = "the project contains repositories, can not be deleted";

static hv_err delete_in_tx(hv_req *r, void *payload) {
    const hv_project *p = payload;
    int64_t repos;
    hv_err rc = hv_model_project_repo_count(&repos, &r->ctx, p->id);

    if (rc == HV_OK && repos > 0)
        rc = HV_FAIL(&r->ctx, HV_E_POLICY, "%s", not_deletable);
    if (rc == HV_OK)
        rc = hv_model_project_delete(&r->ctx, p->id);
    if (rc == HV_OK)
        rc = hv_events_publish_fields(&r->ctx, "project.deleted", "project", p->name, "resource",
                                      p->name, NULL);
    return rc;
}

static hv_err delete_project(hv_req *r) {
    hv_project p;
    hv_err rc = hv_api__project_load(&p, r, "", "delete");

    if (rc == HV_OK)
        rc = hv_api__in_transaction(r, delete_in_tx, &p);
    return rc ? rc : hv_api__ok(r);
}

static hv_err deletable(hv_req *r) {
    hv_project p;
    int64_t repos = 0;
    hv_err rc = hv_api__project_load(&p, r, "", "delete");

    if (rc == HV_OK)
        rc = hv_model_project_repo_count(&repos, &r->ctx, p.id);
    if (rc)
        return rc;
    return hv_api__json(r, 200,
                        json_pack("{s:b, s:s}", "deletable", repos == 0, "message",
                                  repos == 0 ? "" : not_deletable));
}

/* Member counts need member:list, the quota quota:read (as in Harbor). */
static hv_err summary(hv_req *r) {
    int64_t repos, counts[6];
    hv_project p;
    json_t *o;
    hv_err rc = hv_api__project_load(&p, r, "", "read");

    if (rc == HV_OK)
        rc = hv_model_project_repo_count(&repos, &r->ctx, p.id);
    if (rc)
        return rc;
    o = json_pack("{s:I}", "repo_count", (json_int_t)repos);
    if (hv_api__can(r, &p, "member", "list") == HV_OK) {
        rc = hv_model_member_counts(counts, &r->ctx, p.id);
        if (rc) {
            json_decref(o);
            return rc;
        }
        json_object_set_new(o, "project_admin_count", json_integer(counts[HV_ROLE_PROJECT_ADMIN]));
        json_object_set_new(o, "maintainer_count", json_integer(counts[HV_ROLE_MAINTAINER]));
        json_object_set_new(o, "developer_count", json_integer(counts[HV_ROLE_DEVELOPER]));
        json_object_set_new(o, "guest_count", json_integer(counts[HV_ROLE_GUEST]));
        json_object_set_new(o, "limited_guest_count", json_integer(counts[HV_ROLE_LIMITED_GUEST]));
    }
    if (hv_api__can(r, &p, "quota", "read") == HV_OK) {
        hv_quota q;
        rc = hv_model_quota_get_by_project(&q, &r->ctx, p.id);
        if (rc) {
            json_decref(o);
            return rc;
        }
        json_object_set_new(o, "quota",
                            json_pack("{s:{s:I}, s:{s:I}}", "hard", "storage", (json_int_t)q.hard,
                                      "used", "storage", (json_int_t)q.used));
    }
    hv_error_clear(&r->ctx);
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
