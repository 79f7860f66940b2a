/*
 * Robot accounts: the rules of Harbor's v2 robots, behind /robots and /permissions.
 *
 * A robot is system-level (name "robot$<name>", any permissions of kind system and kind
 * project) or project-level (name "robot$<project>+<name>", exactly one permission of kind
 * project on its own project).  Its secret is 32 random characters [A-Za-z0-9], shown once
 * to the caller of create (or refresh), stored only as an argon2id hash.
 *
 * Who may: system robots are managed with the system's robot permissions (sysadmins, or a
 * robot granted robot:<action> of kind system), project robots with the project's (project
 * admins, or a robot granted it there).  A creator who is not a sysadmin may only grant what
 * it holds itself: each requested (resource, action) is checked with hv_auth_can for the
 * creator, so a robot never opens a door its creator could not.
 *
 * The checks of a create or update run in the order Harbor reports them (name, description,
 * level, duration, then each permission in turn), so that the first problem of a request is
 * the one named.  Creation and deletion publish robot.created / robot.deleted in the
 * transaction of the change (the audit log listens).
 *
 * The legacy API (Harbor's robotv1, /projects/{p}/robots) manages the project robots of the
 * project in its path: the caller's permission on that project is checked first, as Harbor
 * does there; its access lists name resources as paths ("/project/<id>/repository"), and a
 * robot it creates without a duration gets the configured robot_token_duration.
 */
#include "iam/iam_int.h"

#include <stdlib.h>
#include <string.h>

#define ROBOT_PREFIX    "robot$"
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
static void random_secret(char out[HV_IAM_ROBOT_SECRET_LEN + 1]) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t n = 0;

    while (n < HV_IAM_ROBOT_SECRET_LEN) {
        unsigned char buf[64];
        hv_random(buf, sizeof(buf));
        for (size_t i = 0; i < sizeof(buf) && n < HV_IAM_ROBOT_SECRET_LEN; i++) {
            if (buf[i] < 248) /* 248 = 4 * 62 */
                out[n++] = alphabet[buf[i] % 62];
        }
    }
    out[HV_IAM_ROBOT_SECRET_LEN] = '\0';
}

static bool is_sysadmin(const hv_identity *who) {
    return who->kind == HV_ID_USER && who->sysadmin && !who->via_token;
}

/* Expiry in unix seconds of a robot created at creation_ms for duration days (-1: never). */
static int64_t expiry(int64_t creation_ms, int64_t duration) {
    return duration == -1 ? -1 : creation_ms / 1000 + duration * SECONDS_PER_DAY;
}

const char *hv_iam_robot_full_name(hv_ctx *ctx, const hv_robot *rb) {
    return hv_arena_printf(ctx->arena, ROBOT_PREFIX "%s", rb->name);
}

hv_err hv_iam_robot_check_name(hv_ctx *ctx, const char *name) {
    if (!name || !name_valid(name) || strlen(name) > NAME_MAX_LEN)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "robot name must be lower-case letters and digits, optionally separated by "
                       "single '.', '_' or '-', at most %d characters",
                       NAME_MAX_LEN);
    return HV_OK;
}

/* ---------------------------------------------------------------- what is asked for */

/* A create or update request, validated. */
typedef struct robot_spec {
    hv_robot_permission *perms;
    const hv_project **projects; /* per permission: its project, NULL for system or "*" */
    size_t n_perms;
    const hv_project *project; /* a project-level robot's project */
} robot_spec;

/* A resource as the legacy API writes it, "/project/<id>/<resource>", to the resource of a
 * permission on `project`, which that id must be (Harbor's getRawResource and the check that
 * the policy is one of the project's). */
static hv_err legacy_resource(const char **out, hv_ctx *ctx, const hv_project *project,
                              const hv_iam_robot_access *a) {
    static const char prefix[] = "/project/";
    bool prefixed = hv_str_has_prefix(a->resource, prefix);
    const char *id = prefixed ? a->resource + strlen(prefix) : "", *slash, *res;
    uint64_t v;

    if (!prefixed || !(slash = strchr(id, '/')) || !hv_parse_u64(id, (size_t)(slash - id), &v) ||
        !slash[1])
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "bad resource %s: the legacy robot API writes /project/<id>/<resource>",
                       a->resource);
    for (res = slash + 1; *res; res++) {
        if (!((*res >= 'a' && *res <= 'z') || *res == '-'))
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "bad resource %s", a->resource);
    }
    if (v != (uint64_t)project->id)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s action of %s resource not exist in project %s",
                       a->action, a->resource, project->name);
    *out = slash + 1;
    return HV_OK;
}

static hv_err check_access(robot_spec *s, hv_ctx *ctx, const hv_iam_robot_input *in,
                           const hv_iam_robot_grant *g, const char *kind, const char *namespace_,
                           const hv_project *project) {
    if (g->n_access == 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "each permission needs a non-empty access list of {resource, action}");
    for (size_t i = 0; i < g->n_access; i++) {
        hv_iam_robot_access a = g->access[i];
        hv_robot_permission *p;
        hv_err rc;

        if (!a.resource || !a.action)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "each access must be an object with a string resource and action");
        if (in->project && a.resource[0] == '/') {
            rc = legacy_resource(&a.resource, ctx, in->project, &g->access[i]);
            if (rc)
                return rc;
        }
        if (a.effect && *a.effect && strcmp(a.effect, "allow") != 0)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "access effect must be empty or \"allow\", not \"%s\"", a.effect);
        if (!hv_auth_robot_assignable(kind, a.resource, a.action))
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "%s:%s cannot be granted to a robot with a permission of kind %s; "
                           "GET /api/v2.0/permissions lists what can",
                           a.resource, a.action, kind);
        if (s->n_perms == ACCESS_MAX)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a robot may have at most %d accesses",
                           ACCESS_MAX);
        p = &s->perms[s->n_perms];
        p->kind = kind;
        p->namespace_ = namespace_;
        p->resource = hv_arena_strdup(ctx->arena, a.resource);
        p->action = hv_arena_strdup(ctx->arena, a.action);
        s->projects[s->n_perms] = project;
        s->n_perms++;
    }
    return HV_OK;
}

/* The permissions of a robot of `level`: kinds, namespaces (existing projects), and that
 * every (resource, action) may be granted. */
static hv_err check_permissions(robot_spec *s, hv_ctx *ctx, const hv_iam_robot_input *in) {
    bool project_level = strcmp(in->level, "project") == 0;
    hv_err rc;

    if (in->n_permissions == 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a robot needs at least one permission");
    if (project_level && in->n_permissions != 1)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "a project robot has exactly one permission, of kind project on its "
                       "project; create a system robot for several projects");
    s->perms = hv_arena_alloc(ctx->arena, ACCESS_MAX * sizeof(*s->perms));
    s->projects = hv_arena_alloc(ctx->arena, ACCESS_MAX * sizeof(*s->projects));
    for (size_t i = 0; i < in->n_permissions; i++) {
        const hv_iam_robot_grant *g = &in->permissions[i];
        const char *kind = g->kind;
        const char *ns = g->namespace_;
        hv_project *project = NULL;

        if (!kind)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "each permission must be an object with a kind, system or project");
        if (strcmp(kind, "system") == 0) {
            if (project_level)
                return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                               "a project robot cannot have permissions of kind system");
            kind = "system";
            ns = "/";
        } else if (strcmp(kind, "project") == 0) {
            kind = "project";
            if ((!ns || !*ns) && in->project)
                ns = in->project->name;
            if (!ns || !*ns)
                return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                               "a permission of kind project needs a namespace: a project name%s",
                               project_level ? "" : " or *");
            if (strcmp(ns, "*") == 0) {
                if (project_level)
                    return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                                   "a project robot's namespace must be its project, not *");
                ns = "*";
            } else {
                project = hv_arena_alloc(ctx->arena, sizeof(*project));
                rc = hv_model_project_get(project, ctx, ns);
                if (rc)
                    return rc;
                if (in->project && project->id != in->project->id)
                    return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                                   "a robot of project %s has its permission on %s, not on %s",
                                   in->project->name, in->project->name, project->name);
                ns = project->name;
                if (project_level)
                    s->project = project;
            }
        } else {
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "permission kind must be system or project, not \"%s\"", kind);
        }
        rc = check_access(s, ctx, in, g, kind, ns, project);
        if (rc)
            return rc;
    }
    return HV_OK;
}

/* The checks shared by create and update, after the name. */
static hv_err check_spec(robot_spec *s, hv_ctx *ctx, const hv_iam_robot_input *in) {
    memset(s, 0, sizeof(*s));
    if (in->description && strlen(in->description) > DESC_MAX_LEN)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "description is longer than %d characters",
                       DESC_MAX_LEN);
    if (!in->level || (strcmp(in->level, "system") != 0 && strcmp(in->level, "project") != 0))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "level must be system or project, not %s",
                       in->level ? in->level : "(none)");
    if (!in->has_duration || (in->duration != -1 && in->duration < 1) ||
        in->duration > DURATION_MAX)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "duration must be -1 (never expires) or a number of days from 1 to %d",
                       DURATION_MAX);
    return check_permissions(s, ctx, in);
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
static hv_err check_no_escalation(hv_ctx *ctx, const hv_identity *who, const robot_spec *s) {
    if (is_sysadmin(who))
        return HV_OK;
    for (size_t i = 0; i < s->n_perms; i++) {
        const hv_robot_permission *p = &s->perms[i];
        const hv_project *project = s->projects[i];
        bool held;

        if (strcmp(p->kind, "project") == 0 && strcmp(p->namespace_, "*") == 0) {
            held = who->kind == HV_ID_ROBOT && holds_everywhere(who, p);
        } else {
            /* the robot resource "project" is the project itself, "" to hv_auth_can */
            const char *resource =
                project && strcmp(p->resource, "project") == 0 ? "" : p->resource;
            held = hv_auth_can(ctx, who, project, resource, p->action) == HV_OK;
            hv_error_clear(ctx);
        }
        if (!held)
            return HV_FAIL(ctx, HV_E_DENIED,
                           "%s may not grant %s:%s on %s: a robot may only be given permissions "
                           "its creator holds",
                           who->name, p->resource, p->action,
                           strcmp(p->kind, "system") == 0 ? "the system" : p->namespace_);
    }
    return HV_OK;
}

/* ---------------------------------------------------------------- create */

typedef struct create_tx {
    hv_robot *rb; /* to store; then as stored */
    const hv_project *project;
} create_tx;

static hv_err create_in_tx(hv_ctx *ctx, void *payload) {
    create_tx *t = payload;
    int64_t id;
    hv_err rc = hv_model_robot_create(&id, ctx, t->rb);

    if (rc == HV_OK)
        rc = hv_events_publish_fields(ctx, "robot.created", "robot",
                                      hv_iam_robot_full_name(ctx, t->rb), "project",
                                      t->project ? t->project->name : NULL, NULL);
    if (rc == HV_OK)
        rc = hv_model_robot_get(t->rb, ctx, id);
    return rc;
}

/* What the legacy API leaves out of a request: the level (project) and the duration (the
 * configured robot_token_duration, as Harbor gives a robot created with none). */
static hv_err legacy_defaults(hv_iam_robot_input *in, hv_ctx *ctx) {
    const char *days;
    uint64_t v;
    hv_err rc;

    if (!in->level)
        in->level = "project";
    else if (strcmp(in->level, "project") != 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "the robots of a project are of level project, not %s; create system "
                       "robots with POST /api/v2.0/robots",
                       in->level);
    if (in->has_duration)
        return HV_OK;
    rc = hv_iam_setting_get(&days, ctx, "robot_token_duration");
    if (rc == HV_OK && hv_parse_u64(days, strlen(days), &v) && v > 0 && v <= DURATION_MAX) {
        in->has_duration = true;
        in->duration = (int64_t)v;
    }
    return rc;
}

hv_err hv_iam_robot_create(hv_robot *out, char secret[HV_IAM_ROBOT_SECRET_LEN + 1], hv_ctx *ctx,
                           const hv_identity *who, const hv_iam_robot_input *request) {
    hv_iam_robot_input in_ = *request, *in = &in_;
    robot_spec s = {0};
    hv_robot rb = {0};
    char *hash = NULL;
    int64_t now = hv_now_ms();
    create_tx t;
    hv_err rc;

    secret[0] = '\0';
    /* the legacy API asks about the project of its path first, as Harbor does there; the
     * robot's permission is then on that project, so one check serves either way */
    rc = in->project ? hv_auth_can(ctx, who, in->project, "robot", "create") : HV_OK;
    if (rc == HV_OK && in->project)
        rc = legacy_defaults(in, ctx);
    if (rc == HV_OK)
        rc = hv_iam_robot_check_name(ctx, in->name);
    if (rc == HV_OK)
        rc = check_spec(&s, ctx, in);
    if (rc == HV_OK && !in->project)
        rc = hv_auth_can(ctx, who, s.project, "robot", "create");
    if (rc == HV_OK)
        rc = check_no_escalation(ctx, who, &s);
    if (rc)
        goto out;

    rb.name = s.project ? hv_arena_printf(ctx->arena, "%s+%s", s.project->name, in->name)
                        : hv_arena_strdup(ctx->arena, in->name);
    rb.description = in->description ? hv_arena_strdup(ctx->arena, in->description) : "";
    rb.level = strcmp(in->level, "project") == 0 ? "project" : "system";
    rb.project_id = s.project ? s.project->id : 0;
    rb.disabled = in->disable;
    rb.duration = in->duration;
    rb.creation_time = now; /* an update computes the expiry again from it */
    rb.expires_at = expiry(now, in->duration);
    rb.creator_type = who->kind == HV_ID_ROBOT ? "robot" : "local";
    rb.creator_ref = who->kind == HV_ID_ROBOT ? who->robot_id : who->user_id;
    rb.permissions = s.perms;
    rb.n_permissions = s.n_perms;
    random_secret(secret);
    rc = hv_auth_password_hash(&hash, ctx, secret);
    if (rc)
        goto out;
    rb.secret_hash = hash;

    t = (create_tx){.rb = &rb, .project = s.project};
    rc = hv_events_transaction(ctx, create_in_tx, &t);
    if (rc)
        goto out;
    *out = rb;
out:
    if (rc)
        memset(secret, 0, HV_IAM_ROBOT_SECRET_LEN + 1);
    free(hash);
    return rc;
}

/* ---------------------------------------------------------------- read */

hv_err hv_iam_robot_get(hv_robot *out, hv_project **project, hv_ctx *ctx, const hv_identity *who,
                        int64_t id, const char *action) {
    hv_err rc = hv_model_robot_get(out, ctx, id);

    *project = NULL;
    if (rc)
        return rc;
    if (strcmp(out->level, "project") != 0)
        return hv_auth_can(ctx, who, NULL, "robot", action);
    *project = hv_arena_alloc(ctx->arena, sizeof(**project));
    rc = hv_model_project_get_by_id(*project, ctx, out->project_id);
    if (rc)
        return rc;
    return hv_auth_can(ctx, who, *project, "robot", action);
}

hv_err hv_iam_project_robot_get(hv_robot *out, hv_ctx *ctx, const hv_identity *who,
                                const hv_project *project, int64_t id, const char *action) {
    hv_err rc = hv_auth_can(ctx, who, project, "robot", action);

    if (rc == HV_OK)
        rc = hv_model_robot_get(out, ctx, id);
    if (rc == HV_OK && (strcmp(out->level, "project") != 0 || out->project_id != project->id))
        rc = HV_E_NOT_FOUND;
    if (rc == HV_E_NOT_FOUND) {
        hv_error_clear(ctx);
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "cannot find robot with project id: %lld and id: %lld",
                     (long long)project->id, (long long)id);
    }
    return rc;
}

/* Splits the client's q into the level and project it names (NULL when absent) and the
 * other terms. */
static hv_err split_terms(const char **level, const char **project, hv_query_term **rest,
                          size_t *n_rest, hv_ctx *ctx, const hv_list *list) {
    *level = NULL;
    *project = NULL;
    *n_rest = 0;
    *rest = hv_arena_alloc(ctx->arena, (list->n_terms + 2) * sizeof(**rest));
    for (size_t i = 0; i < list->n_terms; i++) {
        const hv_query_term *t = &list->terms[i];
        bool is_level = strcmp(t->key, "Level") == 0 || strcmp(t->key, "level") == 0;
        bool is_project = strcmp(t->key, "ProjectID") == 0 || strcmp(t->key, "project_id") == 0;

        if (is_level || is_project) {
            if (t->op != HV_Q_EXACT)
                return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s takes one exact value", t->key);
            if (is_level)
                *level = t->values[0];
            else
                *project = t->values[0];
            continue;
        }
        (*rest)[*n_rest] = *t;
        /* names are stored without the prefix that clients see */
        if (strcmp(t->key, "name") == 0 && t->n_values == 1 &&
            hv_str_has_prefix(t->values[0], ROBOT_PREFIX)) {
            const char **v = hv_arena_alloc(ctx->arena, sizeof(*v));
            v[0] = t->values[0] + strlen(ROBOT_PREFIX);
            (*rest)[*n_rest].values = v;
        }
        (*n_rest)++;
    }
    return HV_OK;
}

/* The level and project a v2 list asks for: system by default; project needs its id. */
static hv_err list_scope(const char **level, int64_t *project_id, hv_ctx *ctx,
                         const char *project) {
    uint64_t id;

    if (!*level)
        *level = "system";
    if (strcmp(*level, "system") != 0 && strcmp(*level, "project") != 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "Level must be system or project, not %s", *level);
    *project_id = 0;
    if (strcmp(*level, "project") == 0) {
        if (!project)
            return HV_FAIL(
                ctx, HV_E_BAD_REQUEST,
                "listing project robots needs the project: q=Level=project,ProjectID=<id>");
        if (!hv_parse_u64(project, strlen(project), &id) || id == 0 || id > INT64_MAX)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "ProjectID must be a positive integer");
        *project_id = (int64_t)id;
    }
    return HV_OK;
}

/* The page of robots of level (and project_id, 0 for system robots) narrowed by terms, the
 * client's other terms (room for two more). */
static hv_err list_robots(hv_robot **out, size_t *n, int64_t *total, hv_ctx *ctx,
                          const hv_list *list, hv_query_term *terms, size_t n_terms,
                          const char *level, int64_t project_id) {
    const char **level_v = hv_arena_alloc(ctx->arena, sizeof(*level_v));
    const char **project_v = hv_arena_alloc(ctx->arena, sizeof(*project_v));
    hv_list scoped = *list;

    level_v[0] = level;
    project_v[0] = hv_arena_printf(ctx->arena, "%lld", (long long)project_id);
    terms[n_terms++] =
        (hv_query_term){.key = "level", .op = HV_Q_EXACT, .values = level_v, .n_values = 1};
    terms[n_terms++] =
        (hv_query_term){.key = "project_id", .op = HV_Q_EXACT, .values = project_v, .n_values = 1};
    scoped.terms = terms;
    scoped.n_terms = n_terms;
    return hv_model_robot_list(out, n, total, ctx, &scoped);
}

hv_err hv_iam_robot_list(hv_robot **out, size_t *n, int64_t *total, hv_ctx *ctx,
                         const hv_identity *who, const hv_list *list) {
    hv_query_term *terms;
    size_t n_terms;
    const char *level, *project_s;
    int64_t project_id = 0;
    hv_project project;
    hv_err rc = split_terms(&level, &project_s, &terms, &n_terms, ctx, list);

    if (rc == HV_OK)
        rc = list_scope(&level, &project_id, ctx, project_s);
    if (rc)
        return rc;
    if (project_id) {
        rc = hv_model_project_get_by_id(&project, ctx, project_id);
        if (rc == HV_OK)
            rc = hv_auth_can(ctx, who, &project, "robot", "list");
    } else {
        rc = hv_auth_can(ctx, who, NULL, "robot", "list");
    }
    if (rc)
        return rc;
    return list_robots(out, n, total, ctx, list, terms, n_terms, level, project_id);
}

hv_err hv_iam_project_robot_list(hv_robot **out, size_t *n, int64_t *total, hv_ctx *ctx,
                                 const hv_identity *who, const hv_project *project,
                                 const hv_list *list) {
    hv_query_term *terms;
    size_t n_terms;
    const char *level, *project_s;
    hv_err rc = hv_auth_can(ctx, who, project, "robot", "list");

    /* the path names the project: a Level or ProjectID in q does not widen the list */
    if (rc == HV_OK)
        rc = split_terms(&level, &project_s, &terms, &n_terms, ctx, list);
    if (rc)
        return rc;
    return list_robots(out, n, total, ctx, list, terms, n_terms, "project", project->id);
}

/* ---------------------------------------------------------------- update */

/* The name of an update may be the robot's full name, its stored name or its short name. */
static bool same_name(hv_ctx *ctx, const hv_robot *rb, const char *name) {
    const char *plus = strchr(rb->name, '+');

    return strcmp(name, hv_iam_robot_full_name(ctx, rb)) == 0 || strcmp(name, rb->name) == 0 ||
           (plus && strcmp(name, plus + 1) == 0);
}

static hv_err update_in_tx(hv_ctx *ctx, void *payload) {
    return hv_model_robot_update(ctx, payload);
}

hv_err hv_iam_robot_update(hv_ctx *ctx, const hv_identity *who, hv_robot *rb,
                           const hv_project *project, const hv_iam_robot_input *in) {
    robot_spec s;
    hv_err rc = check_spec(&s, ctx, in);

    if (rc)
        return rc;
    if (strcmp(in->level, rb->level) != 0 || (in->name && !same_name(ctx, rb, in->name)))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "the name and level of a robot cannot be changed; create another robot");
    if (project && (!s.project || s.project->id != project->id))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "the permission of project robot %s must be on its project %s",
                       hv_iam_robot_full_name(ctx, rb), project->name);
    rc = check_no_escalation(ctx, who, &s);
    if (rc)
        return rc;
    if (in->description)
        rb->description = hv_arena_strdup(ctx->arena, in->description);
    if (in->set_disable)
        rb->disabled = in->disable;
    rb->duration = in->duration;
    rb->expires_at = expiry(rb->creation_time, in->duration);
    rb->permissions = s.perms;
    rb->n_permissions = s.n_perms;
    return hv_events_transaction(ctx, update_in_tx, rb);
}

hv_err hv_iam_robot_set_disabled(hv_ctx *ctx, hv_robot *rb, bool disabled) {
    rb->disabled = disabled;
    return hv_events_transaction(ctx, update_in_tx, rb);
}

hv_err hv_iam_robot_refresh_secret(char generated[HV_IAM_ROBOT_SECRET_LEN + 1], hv_ctx *ctx,
                                   const hv_robot *rb, const char *chosen) {
    char *hash = NULL;
    hv_err rc;

    generated[0] = '\0';
    if (chosen && *chosen) {
        if (!secret_valid(chosen))
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "the secret must be 8 to 128 characters with at least one upper-case "
                           "letter, one lower-case letter and one digit");
    } else {
        random_secret(generated);
        chosen = generated;
    }
    rc = hv_auth_password_hash(&hash, ctx, chosen);
    if (rc == HV_OK)
        rc = hv_model_robot_set_secret(ctx, rb->id, hash);
    if (rc)
        memset(generated, 0, HV_IAM_ROBOT_SECRET_LEN + 1);
    free(hash);
    return rc;
}

/* ---------------------------------------------------------------- delete */

typedef struct delete_tx {
    const hv_robot *rb;
    const hv_project *project;
} delete_tx;

static hv_err delete_in_tx(hv_ctx *ctx, void *payload) {
    delete_tx *t = payload;
    hv_err rc = hv_model_robot_delete(ctx, t->rb->id);

    if (rc == HV_OK)
        rc = hv_events_publish_fields(ctx, "robot.deleted", "robot",
                                      hv_iam_robot_full_name(ctx, t->rb), "project",
                                      t->project ? t->project->name : NULL, NULL);
    return rc;
}

hv_err hv_iam_robot_delete(hv_ctx *ctx, const hv_identity *who, int64_t id) {
    hv_robot rb;
    hv_project *project;
    delete_tx t;
    hv_err rc = hv_iam_robot_get(&rb, &project, ctx, who, id, "delete");

    if (rc)
        return rc;
    t = (delete_tx){.rb = &rb, .project = project};
    return hv_events_transaction(ctx, delete_in_tx, &t);
}

hv_err hv_iam_project_robot_delete(hv_ctx *ctx, const hv_identity *who, const hv_project *project,
                                   int64_t id) {
    hv_robot rb;
    delete_tx t = {.rb = &rb, .project = project};
    hv_err rc = hv_iam_project_robot_get(&rb, ctx, who, project, id, "delete");

    return rc ? rc : hv_events_transaction(ctx, delete_in_tx, &t);
}

/* ---------------------------------------------------------------- /permissions */

/* Whether the user is the admin of at least one project. */
static hv_err admin_of_a_project(bool *out, hv_ctx *ctx, const hv_identity *who) {
    hv_list all = {.page = 1, .page_size = 0};
    hv_project *projects;
    size_t n;
    int64_t total;
    hv_err rc;

    *out = false;
    rc = hv_model_project_list(&projects, &n, &total, ctx, &all, who->user_id);
    for (size_t i = 0; rc == HV_OK && i < n && !*out; i++) {
        int roles[5];
        size_t n_roles;
        rc = hv_model_member_roles(roles, &n_roles, ctx, projects[i].id, who->user_id);
        for (size_t k = 0; rc == HV_OK && k < n_roles; k++)
            *out |= roles[k] == HV_ROLE_PROJECT_ADMIN;
    }
    return rc;
}

hv_err hv_iam_robot_permission_kinds(bool *system, hv_ctx *ctx, const hv_identity *who) {
    bool sysadmin = is_sysadmin(who), project_admin = false;
    hv_err rc;

    *system = sysadmin;
    if (!sysadmin && who->kind == HV_ID_USER && !who->via_token) {
        rc = admin_of_a_project(&project_admin, ctx, who);
        if (rc)
            return rc;
    }
    if (!sysadmin && !project_admin)
        return HV_FAIL(ctx, HV_E_DENIED,
                       "only system administrators and project administrators may list the "
                       "permissions that robots can be given");
    return HV_OK;
}
