/*
 * /robots and /permissions: Harbor's v2 robot accounts.
 *
 * A robot is system-level (name "robot$<name>", any permissions of kind system and kind
 * project) or project-level (name "robot$<project>+<name>", exactly one permission of kind
 * project on its own project).  Its secret is 32 random characters [A-Za-z0-9], shown once in
 * the answer to POST (or PATCH), stored only as an argon2id hash.
 *
 * Who may: system robots are managed with the system's robot permissions (sysadmins, or a
 * robot granted robot:<action> of kind system), project robots with the project's (project
 * admins, or a robot granted it there).  A creator who is not a sysadmin may only grant what
 * it holds itself: each requested (resource, action) is checked with hv_auth_can for the
 * creator, so a robot never opens a door its creator could not.
 *
 * Creation and deletion publish robot.created / robot.deleted in the transaction of the
 * change (the audit log listens).
 */
#include "api/api_int.h"
#include "db/db.h"
#include "events/events.h"

#include <stdlib.h>
#include <string.h>

#define ROBOT_PREFIX    "robot$"
#define SECRET_LEN      32
#define NAME_MAX_LEN    255
#define DESC_MAX_LEN    1024
#define ACCESS_MAX      512
#define DURATION_MAX    2147483646 /* days; Harbor keeps it below MaxInt32 */
#define SECONDS_PER_DAY 86400

/* ---------------------------------------------------------------- helpers */

static bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* ^[a-z0-9]+(?:[._-][a-z0-9]+)*$ */
static bool name_valid(const char *s) {
    bool after_sep = true; /* the first character must be alphanumeric */

    if (!*s)
        return false;
    for (; *s; s++) {
        if (is_lower_alnum(*s)) {
            after_sep = false;
        } else if ((*s == '.' || *s == '_' || *s == '-') && !after_sep) {
            after_sep = true;
        } else {
            return false;
        }
    }
    return !after_sep;
}

/* 8 to 128 characters with at least one upper-case letter, one lower-case and one digit. */
static bool secret_valid(const char *s) {
    size_t len = strlen(s);
    bool upper = false, lower = false, digit = false;

    for (const char *p = s; *p; p++) {
        upper |= *p >= 'A' && *p <= 'Z';
        lower |= *p >= 'a' && *p <= 'z';
        digit |= *p >= '0' && *p <= '9';
    }
    return len >= 8 && len <= 128 && upper && lower && digit;
}

/* 32 uniformly random characters of [A-Za-z0-9] (rejection sampling: no modulo bias). */
static void random_secret(char out[SECRET_LEN + 1]) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = 0;

    while (n < SECRET_LEN) {
        unsigned char buf[64];
        hv_random(buf, sizeof(buf));
        for (size_t i = 0; i < sizeof(buf) && n < SECRET_LEN; i++) {
            if (buf[i] < 248) /* 248 = 4 * 62 */
                out[n++] = alphabet[buf[i] % 62];
        }
    }
    out[SECRET_LEN] = '\0';
}

static bool is_sysadmin(const hv_identity *who) {
    return who->kind == HV_ID_USER && who->sysadmin && !who->via_token;
}

static hv_err require_login(hv_req *r) {
    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "log in to manage robot accounts");
    return HV_OK;
}

static const char *full_name(hv_req *r, const hv_robot *rb) {
    return hv_arena_printf(r->ctx.arena, ROBOT_PREFIX "%s", rb->name);
}

/* Expiry in unix seconds of a robot created at creation_ms for duration days (-1: never). */
static int64_t expiry(int64_t creation_ms, int64_t duration) {
    return duration == -1 ? -1 : creation_ms / 1000 + duration * SECONDS_PER_DAY;
}

/* The project of a project-level robot (NULL for system robots), and the check of the
 * caller's `action` on robots there. */
static hv_err robot_access(hv_project **project, hv_req *r, const hv_robot *rb,
                           const char *action) {
    hv_err rc;

    *project = NULL;
    if (strcmp(rb->level, "project") != 0)
        return hv_api__can(r, NULL, "robot", action);
    *project = hv_arena_alloc(r->ctx.arena, sizeof(**project));
    rc = hv_model_project_get_by_id(*project, &r->ctx, rb->project_id);
    if (rc)
        return rc;
    return hv_api__can(r, *project, "robot", action);
}

/* ---------------------------------------------------------------- JSON */

static json_t *robot_json(hv_req *r, const hv_robot *rb) {
    json_t *o = json_object();
    json_t *perms = json_array();

    json_object_set_new(o, "id", json_integer(rb->id));
    json_object_set_new(o, "name", json_string(full_name(r, rb)));
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

/* ---------------------------------------------------------------- request bodies */

/* What a RobotCreate or Robot body asks for, validated. */
typedef struct robot_spec {
    const char *name; /* as sent (NULL when absent) */
    const char *description;
    const char *level;
    bool has_disable;
    bool disable;
    int64_t duration;
    hv_robot_permission *perms;
    const hv_project **projects; /* per permission: its project, NULL for system or "*" */
    size_t n_perms;
    const hv_project *project; /* a project-level robot's project */
} robot_spec;

static hv_err parse_access(robot_spec *s, hv_req *r, json_t *access, const char *kind,
                           const char *namespace_, const hv_project *project) {
    size_t i;
    json_t *a;

    if (!json_is_array(access) || json_array_size(access) == 0)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "each permission needs a non-empty access list of {resource, action}");
    json_array_foreach(access, i, a) {
        const char *resource = json_string_value(json_object_get(a, "resource"));
        const char *action = json_string_value(json_object_get(a, "action"));
        const char *effect = json_string_value(json_object_get(a, "effect"));
        hv_robot_permission *p;

        if (!json_is_object(a) || !resource || !action)
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "each access must be an object with a string resource and action");
        if (effect && *effect && strcmp(effect, "allow") != 0)
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "access effect must be empty or \"allow\", not \"%s\"", effect);
        if (!hv_auth_robot_assignable(kind, resource, action))
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "%s:%s cannot be granted to a robot with a permission of kind %s; "
                           "GET /api/v2.0/permissions lists what can",
                           resource, action, kind);
        if (s->n_perms == ACCESS_MAX)
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "a robot may have at most %d accesses",
                           ACCESS_MAX);
        p = &s->perms[s->n_perms];
        p->kind = kind;
        p->namespace_ = namespace_;
        p->resource = hv_arena_strdup(r->ctx.arena, resource);
        p->action = hv_arena_strdup(r->ctx.arena, action);
        s->projects[s->n_perms] = project;
        s->n_perms++;
    }
    return HV_OK;
}

/* Reads "permissions" for a robot of s->level: kinds, namespaces (existing projects), and
 * that every (resource, action) may be granted. */
static hv_err parse_permissions(robot_spec *s, hv_req *r, json_t *body) {
    json_t *perms = json_object_get(body, "permissions");
    bool project_level = strcmp(s->level, "project") == 0;
    size_t i;
    json_t *perm;
    hv_err rc;

    if (!json_is_array(perms) || json_array_size(perms) == 0)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "a robot needs at least one permission");
    if (project_level && json_array_size(perms) != 1)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "a project robot has exactly one permission, of kind project on its "
                       "project; create a system robot for several projects");
    s->perms = hv_arena_alloc(r->ctx.arena, ACCESS_MAX * sizeof(*s->perms));
    s->projects = hv_arena_alloc(r->ctx.arena, ACCESS_MAX * sizeof(*s->projects));
    json_array_foreach(perms, i, perm) {
        const char *kind = json_string_value(json_object_get(perm, "kind"));
        const char *ns = json_string_value(json_object_get(perm, "namespace"));
        hv_project *project = NULL;

        if (!json_is_object(perm) || !kind)
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "each permission must be an object with a kind, system or project");
        if (strcmp(kind, "system") == 0) {
            if (project_level)
                return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                               "a project robot cannot have permissions of kind system");
            kind = "system";
            ns = "/";
        } else if (strcmp(kind, "project") == 0) {
            kind = "project";
            if (!ns || !*ns)
                return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                               "a permission of kind project needs a namespace: a project name%s",
                               project_level ? "" : " or *");
            if (strcmp(ns, "*") == 0) {
                if (project_level)
                    return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                                   "a project robot's namespace must be its project, not *");
                ns = "*";
            } else {
                project = hv_arena_alloc(r->ctx.arena, sizeof(*project));
                rc = hv_model_project_get(project, &r->ctx, ns);
                if (rc)
                    return rc;
                ns = project->name;
                if (project_level)
                    s->project = project;
            }
        } else {
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "permission kind must be system or project, not \"%s\"", kind);
        }
        rc = parse_access(s, r, json_object_get(perm, "access"), kind, ns, project);
        if (rc)
            return rc;
    }
    return HV_OK;
}

/* Reads the fields shared by RobotCreate and Robot (PUT). */
static hv_err parse_spec(robot_spec *s, hv_req *r, json_t *body) {
    json_t *duration = json_object_get(body, "duration");
    json_t *disable = json_object_get(body, "disable");
    hv_err rc;

    memset(s, 0, sizeof(*s));
    rc = hv_api__str(&s->name, r, body, "name");
    if (rc == HV_OK)
        rc = hv_api__str(&s->description, r, body, "description");
    if (rc == HV_OK)
        rc = hv_api__str(&s->level, r, body, "level");
    if (rc == HV_OK)
        rc = hv_api__bool(&s->disable, r, body, "disable");
    if (rc)
        return rc;
    s->has_disable = disable && !json_is_null(disable);
    if (s->description && strlen(s->description) > DESC_MAX_LEN)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "description is longer than %d characters",
                       DESC_MAX_LEN);
    if (!s->level || (strcmp(s->level, "system") != 0 && strcmp(s->level, "project") != 0))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "level must be system or project, not %s",
                       s->level ? s->level : "(none)");
    if (!json_is_integer(duration) ||
        (json_integer_value(duration) != -1 && json_integer_value(duration) < 1) ||
        json_integer_value(duration) > DURATION_MAX)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "duration must be -1 (never expires) or a number of days from 1 to %d",
                       DURATION_MAX);
    s->duration = (int64_t)json_integer_value(duration);
    return parse_permissions(s, r, body);
}

/* Whether a robot creator holds a (kind project, namespace "*") permission itself. */
static bool holds_everywhere(const hv_identity *who, const hv_robot_permission *want) {
    for (size_t i = 0; i < who->n_permissions; i++) {
        const hv_robot_permission *p = &who->permissions[i];
        if (strcmp(p->kind, "project") == 0 && strcmp(p->namespace_, "*") == 0 &&
            (strcmp(p->resource, want->resource) == 0 || strcmp(p->resource, "*") == 0) &&
            (strcmp(p->action, want->action) == 0 || strcmp(p->action, "*") == 0))
            return true;
    }
    return false;
}

/* A creator who is not a sysadmin may grant only what it holds: the first permission it
 * lacks is HV_E_DENIED naming it. */
static hv_err check_no_escalation(hv_req *r, const robot_spec *s) {
    if (is_sysadmin(&r->who))
        return HV_OK;
    for (size_t i = 0; i < s->n_perms; i++) {
        const hv_robot_permission *p = &s->perms[i];
        const hv_project *project = s->projects[i];
        bool held;

        if (strcmp(p->kind, "project") == 0 && strcmp(p->namespace_, "*") == 0) {
            held = r->who.kind == HV_ID_ROBOT && holds_everywhere(&r->who, p);
        } else {
            /* the robot resource "project" is the project itself, "" to hv_auth_can */
            const char *resource =
                project && strcmp(p->resource, "project") == 0 ? "" : p->resource;
            held = hv_auth_can(&r->ctx, &r->who, project, resource, p->action) == HV_OK;
            hv_error_clear(&r->ctx);
        }
        if (!held)
            return HV_FAIL(&r->ctx, HV_E_DENIED,
                           "%s may not grant %s:%s on %s: a robot may only be given permissions "
                           "its creator holds",
                           r->who.name, p->resource, p->action,
                           strcmp(p->kind, "system") == 0 ? "the system" : p->namespace_);
    }
    return HV_OK;
}

/* ---------------------------------------------------------------- handlers */

static hv_err create_robot(hv_req *r) {
    json_t *body = NULL;
    const char *name = NULL;
    robot_spec s;
    hv_robot rb = {0};
    char secret[SECRET_LEN + 1] = "";
    char *hash = NULL;
    int64_t id, now = hv_now_ms();
    hv_err rc = require_login(r);

    if (rc)
        return rc;
    rc = hv_api__json_body(&body, r);
    if (rc)
        goto out;
    /* the name first, as Harbor does: a bad name is the clearest error to report */
    rc = hv_api__str(&name, r, body, "name");
    if (rc)
        goto out;
    if (!name || !name_valid(name) || strlen(name) > NAME_MAX_LEN) {
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                     "robot name must be lower-case letters and digits, optionally separated by "
                     "single '.', '_' or '-', at most %d characters",
                     NAME_MAX_LEN);
        goto out;
    }
    rc = parse_spec(&s, r, body);
    if (rc)
        goto out;
    rc = hv_api__can(r, s.project, "robot", "create");
    if (rc == HV_OK)
        rc = check_no_escalation(r, &s);
    if (rc)
        goto out;

    rb.name = s.project ? hv_arena_printf(r->ctx.arena, "%s+%s", s.project->name, s.name) : s.name;
    rb.description = s.description ? s.description : "";
    rb.level = s.level;
    rb.project_id = s.project ? s.project->id : 0;
    rb.disabled = s.disable;
    rb.duration = s.duration;
    rb.expires_at = expiry(now, s.duration);
    rb.creator_type = r->who.kind == HV_ID_ROBOT ? "robot" : "local";
    rb.creator_ref = r->who.kind == HV_ID_ROBOT ? r->who.robot_id : r->who.user_id;
    rb.permissions = s.perms;
    rb.n_permissions = s.n_perms;
    random_secret(secret);
    rc = hv_auth_password_hash(&hash, &r->ctx, secret);
    if (rc)
        goto out;
    rb.secret_hash = hash;

    rc = hv_db_begin(r->ctx.db, &r->ctx);
    if (rc)
        goto out;
    rc = hv_model_robot_create(&id, &r->ctx, &rb);
    if (rc == HV_OK)
        rc = hv_events_publish_fields(&r->ctx, "robot.created", "robot", full_name(r, &rb),
                                      "project", s.project ? s.project->name : NULL, NULL);
    if (rc == HV_OK)
        rc = hv_model_robot_get(&rb, &r->ctx, id);
    if (rc) {
        hv_db_rollback(r->ctx.db);
        goto out;
    }
    rc = hv_db_commit(r->ctx.db, &r->ctx);
    if (rc)
        goto out;
    hv_events_kick();
    hv_resp_header(r, "Location",
                   hv_arena_printf(r->ctx.arena, "/api/v2.0/robots/%lld", (long long)id));
    rc = hv_api__json(r, 201,
                      json_pack("{s:I, s:s, s:s, s:o, s:I}", "id", (json_int_t)id, "name",
                                full_name(r, &rb), "secret", secret, "creation_time",
                                hv_api__time(rb.creation_time), "expires_at",
                                (json_int_t)rb.expires_at));
out:
    memset(secret, 0, sizeof(secret));
    free(hash);
    json_decref(body);
    return rc;
}

/* Splits the client's q into the level and project it asks for and the other terms. */
static hv_err list_scope(const char **level, int64_t *project_id, hv_query_term **rest,
                         size_t *n_rest, hv_req *r, const hv_list *list) {
    const char *project = NULL;
    uint64_t id;

    *level = NULL;
    *n_rest = 0;
    *rest = hv_arena_alloc(r->ctx.arena, (list->n_terms + 2) * sizeof(**rest));
    for (size_t i = 0; i < list->n_terms; i++) {
        const hv_query_term *t = &list->terms[i];
        bool is_level = strcmp(t->key, "Level") == 0 || strcmp(t->key, "level") == 0;
        bool is_project = strcmp(t->key, "ProjectID") == 0 || strcmp(t->key, "project_id") == 0;

        if (is_level || is_project) {
            if (t->op != HV_Q_EXACT)
                return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s takes one exact value", t->key);
            if (is_level)
                *level = t->values[0];
            else
                project = t->values[0];
            continue;
        }
        (*rest)[*n_rest] = *t;
        /* names are stored without the prefix that clients see */
        if (strcmp(t->key, "name") == 0 && t->n_values == 1 &&
            hv_str_has_prefix(t->values[0], ROBOT_PREFIX)) {
            const char **v = hv_arena_alloc(r->ctx.arena, sizeof(*v));
            v[0] = t->values[0] + strlen(ROBOT_PREFIX);
            (*rest)[*n_rest].values = v;
        }
        (*n_rest)++;
    }
    if (!*level)
        *level = "system";
    if (strcmp(*level, "system") != 0 && strcmp(*level, "project") != 0)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "Level must be system or project, not %s",
                       *level);
    *project_id = 0;
    if (strcmp(*level, "project") == 0) {
        if (!project)
            return HV_FAIL(
                &r->ctx, HV_E_BAD_REQUEST,
                "listing project robots needs the project: q=Level=project,ProjectID=<id>");
        if (!hv_parse_u64(project, strlen(project), &id) || id == 0 || id > INT64_MAX)
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "ProjectID must be a positive integer");
        *project_id = (int64_t)id;
    }
    return HV_OK;
}

static hv_err list_robots(hv_req *r) {
    hv_list l, scoped;
    hv_query_term *terms;
    size_t n_terms;
    const char *level;
    const char **level_v, **project_v;
    int64_t project_id = 0, total;
    hv_project project;
    hv_robot *robots;
    size_t n;
    json_t *items;
    hv_err rc = require_login(r);

    if (rc == HV_OK)
        rc = hv_api__list_params(&l, r);
    if (rc == HV_OK)
        rc = list_scope(&level, &project_id, &terms, &n_terms, r, &l);
    if (rc)
        return rc;
    if (project_id) {
        rc = hv_model_project_get_by_id(&project, &r->ctx, project_id);
        if (rc == HV_OK)
            rc = hv_api__can(r, &project, "robot", "list");
    } else {
        rc = hv_api__can(r, NULL, "robot", "list");
    }
    if (rc)
        return rc;
    level_v = hv_arena_alloc(r->ctx.arena, sizeof(*level_v));
    project_v = hv_arena_alloc(r->ctx.arena, sizeof(*project_v));
    level_v[0] = level;
    project_v[0] = hv_arena_printf(r->ctx.arena, "%lld", (long long)project_id);
    terms[n_terms++] =
        (hv_query_term){.key = "level", .op = HV_Q_EXACT, .values = level_v, .n_values = 1};
    terms[n_terms++] =
        (hv_query_term){.key = "project_id", .op = HV_Q_EXACT, .values = project_v, .n_values = 1};
    scoped = l;
    scoped.terms = terms;
    scoped.n_terms = n_terms;
    rc = hv_model_robot_list(&robots, &n, &total, &r->ctx, &scoped);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, robot_json(r, &robots[i]));
    return hv_api__page(r, &l, total, items);
}

/* Loads the robot of the path, checking the caller's `action` on it. */
static hv_err load(hv_robot *rb, hv_project **project, hv_req *r, const char *action) {
    int64_t id;
    hv_err rc = require_login(r);

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[0], "robot id");
    if (rc == HV_OK)
        rc = hv_model_robot_get(rb, &r->ctx, id);
    if (rc == HV_OK)
        rc = robot_access(project, r, rb, action);
    return rc;
}

static hv_err get_robot(hv_req *r) {
    hv_robot rb;
    hv_project *project;
    hv_err rc = load(&rb, &project, r, "read");

    if (rc)
        return rc;
    return hv_api__json(r, 200, robot_json(r, &rb));
}

/* The name of a PUT body may be the robot's full name, its stored name or its short name. */
static bool same_name(hv_req *r, const hv_robot *rb, const char *name) {
    const char *plus = strchr(rb->name, '+');

    return strcmp(name, full_name(r, rb)) == 0 || strcmp(name, rb->name) == 0 ||
           (plus && strcmp(name, plus + 1) == 0);
}

static hv_err update_robot(hv_req *r) {
    json_t *body = NULL;
    robot_spec s;
    hv_robot rb;
    hv_project *project;
    hv_err rc = load(&rb, &project, r, "update");

    if (rc)
        return rc;
    rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = parse_spec(&s, r, body);
    if (rc)
        goto out;
    if (strcmp(s.level, rb.level) != 0 || (s.name && !same_name(r, &rb, s.name))) {
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                     "the name and level of a robot cannot be changed; create another robot");
        goto out;
    }
    if (project && (!s.project || s.project->id != project->id)) {
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                     "the permission of project robot %s must be on its project %s",
                     full_name(r, &rb), project->name);
        goto out;
    }
    rc = check_no_escalation(r, &s);
    if (rc)
        goto out;
    if (s.description)
        rb.description = s.description;
    if (s.has_disable)
        rb.disabled = s.disable;
    rb.duration = s.duration;
    rb.expires_at = expiry(rb.creation_time, s.duration);
    rb.permissions = s.perms;
    rb.n_permissions = s.n_perms;
    rc = hv_db_begin(r->ctx.db, &r->ctx);
    if (rc)
        goto out;
    rc = hv_model_robot_update(&r->ctx, &rb);
    if (rc) {
        hv_db_rollback(r->ctx.db);
        goto out;
    }
    rc = hv_db_commit(r->ctx.db, &r->ctx);
    if (rc == HV_OK)
        rc = hv_api__ok(r);
out:
    json_decref(body);
    return rc;
}

static hv_err delete_robot(hv_req *r) {
    hv_robot rb;
    hv_project *project;
    hv_err rc = load(&rb, &project, r, "delete");

    if (rc)
        return rc;
    rc = hv_db_begin(r->ctx.db, &r->ctx);
    if (rc)
        return rc;
    rc = hv_model_robot_delete(&r->ctx, rb.id);
    if (rc == HV_OK)
        rc = hv_events_publish_fields(&r->ctx, "robot.deleted", "robot", full_name(r, &rb),
                                      "project", project ? project->name : NULL, NULL);
    if (rc) {
        hv_db_rollback(r->ctx.db);
        return rc;
    }
    rc = hv_db_commit(r->ctx.db, &r->ctx);
    if (rc)
        return rc;
    hv_events_kick();
    return hv_api__ok(r);
}

/* PATCH: a new secret, generated (and returned) or chosen by the caller (not echoed). */
static hv_err refresh_secret(hv_req *r) {
    json_t *body = NULL;
    hv_robot rb;
    hv_project *project;
    const char *chosen = NULL;
    char generated[SECRET_LEN + 1] = "";
    char *hash = NULL;
    hv_err rc = load(&rb, &project, r, "update");

    if (rc)
        return rc;
    if (r->body.len > 0) {
        rc = hv_api__json_body(&body, r);
        if (rc == HV_OK)
            rc = hv_api__str(&chosen, r, body, "secret");
        if (rc)
            goto out;
    }
    if (chosen && *chosen) {
        if (!secret_valid(chosen)) {
            rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                         "the secret must be 8 to 128 characters with at least one upper-case "
                         "letter, one lower-case letter and one digit");
            goto out;
        }
    } else {
        random_secret(generated);
        chosen = generated;
    }
    rc = hv_auth_password_hash(&hash, &r->ctx, chosen);
    if (rc == HV_OK)
        rc = hv_model_robot_set_secret(&r->ctx, rb.id, hash);
    if (rc == HV_OK)
        rc = hv_api__json(r, 200, json_pack("{s:s}", "secret", generated));
out:
    memset(generated, 0, sizeof(generated));
    free(hash);
    json_decref(body);
    return rc;
}

/* ---------------------------------------------------------------- /permissions */

static void add_permission(const char *resource, const char *action, void *payload) {
    json_array_append_new(payload, json_pack("{s:s, s:s}", "resource", resource, "action", action));
}

/* Whether the user is the admin of at least one project. */
static hv_err admin_of_a_project(bool *out, hv_req *r) {
    hv_list all = {.page = 1, .page_size = 0};
    hv_project *projects;
    size_t n;
    int64_t total;
    hv_err rc;

    *out = false;
    rc = hv_model_project_list(&projects, &n, &total, &r->ctx, &all, r->who.user_id);
    for (size_t i = 0; rc == HV_OK && i < n && !*out; i++) {
        int roles[5];
        size_t n_roles;
        rc = hv_model_member_roles(roles, &n_roles, &r->ctx, projects[i].id, r->who.user_id);
        for (size_t k = 0; rc == HV_OK && k < n_roles; k++)
            *out |= roles[k] == HV_ROLE_PROJECT_ADMIN;
    }
    return rc;
}

static hv_err get_permissions(hv_req *r) {
    bool sysadmin = is_sysadmin(&r->who), project_admin = false;
    json_t *system, *project;
    hv_err rc = require_login(r);

    if (rc)
        return rc;
    if (!sysadmin && r->who.kind == HV_ID_USER && !r->who.via_token) {
        rc = admin_of_a_project(&project_admin, r);
        if (rc)
            return rc;
    }
    if (!sysadmin && !project_admin)
        return HV_FAIL(&r->ctx, HV_E_DENIED,
                       "only system administrators and project administrators may list the "
                       "permissions that robots can be given");
    system = json_array();
    project = json_array();
    if (sysadmin)
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
