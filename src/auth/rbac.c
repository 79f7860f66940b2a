/*
 * Authorisation: Harbor's RBAC (harbor-rbac.md, harbor-api.md §2) as static tables and the
 * one permission check, hv_auth_can.
 *
 * The project matrix below is Harbor v2.12.4's (src/common/rbac/project/rbac_role.go and
 * rbac_util.go), generated from harbor-rbac.md: one row per (resource, action) with the
 * roles that hold it and whether anyone holds it on a public project.  test_rbac.c compares
 * it with the markdown row by row when the reference is at hand.  The robot catalogue is
 * src/common/rbac/const.go's PoliciesMap plus the NolimitProvider extras of 2.12.
 *
 * Who may do what:
 *   - system administrators (users, not through a token): everything;
 *   - anyone (anonymous, users, robots, token holders): the public-project policies on a
 *     public project;
 *   - token holders: repository pull/push/delete on the projects their token names;
 *   - robots: their permissions (kind "system" for system resources, kind "project" with the
 *     project's name or "*" for project resources; "*" matches any resource or action; as
 *     in Harbor, a project-level robot's push on repositories implies pull);
 *   - users: the union of their roles in the project.
 */
#include "auth/auth_int.h"
#include "model/model.h"

#include <string.h>

#define ADMIN      (1u << HV_ROLE_PROJECT_ADMIN)
#define MAINTAINER (1u << HV_ROLE_MAINTAINER)
#define DEVELOPER  (1u << HV_ROLE_DEVELOPER)
#define GUEST      (1u << HV_ROLE_GUEST)
#define LIMITED    (1u << HV_ROLE_LIMITED_GUEST)

static const struct rule {
    const char *resource; /* "" is the project itself */
    const char *action;
    unsigned roles; /* 1u << role id */
    bool public;    /* granted to anyone on a public project */
} matrix[] = {
    {"", "read", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, true},
    {"", "update", ADMIN, false},
    {"", "delete", ADMIN, false},
    {"member", "create", ADMIN, false},
    {"member", "read", ADMIN | MAINTAINER | DEVELOPER | GUEST, false},
    {"member", "update", ADMIN, false},
    {"member", "delete", ADMIN, false},
    {"member", "list", ADMIN | MAINTAINER | DEVELOPER | GUEST, false},
    {"metadata", "create", ADMIN, false},
    {"metadata", "read", ADMIN | MAINTAINER, false},
    {"metadata", "update", ADMIN, false},
    {"metadata", "delete", ADMIN, false},
    {"log", "list", ADMIN | MAINTAINER | DEVELOPER | GUEST, false},
    {"label", "create", ADMIN | MAINTAINER, false},
    {"label", "read", ADMIN | MAINTAINER | DEVELOPER | GUEST, true},
    {"label", "update", ADMIN | MAINTAINER, false},
    {"label", "delete", ADMIN | MAINTAINER, false},
    {"label", "list", ADMIN | MAINTAINER | DEVELOPER | GUEST, true},
    {"quota", "read", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, false},
    {"repository", "create", ADMIN | MAINTAINER | DEVELOPER, false},
    {"repository", "read", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, false},
    {"repository", "update", ADMIN | MAINTAINER | DEVELOPER, false},
    {"repository", "delete", ADMIN | MAINTAINER, false},
    {"repository", "list", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, true},
    {"repository", "pull", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, true},
    {"repository", "push", ADMIN | MAINTAINER | DEVELOPER, false},
    {"tag-retention", "create", ADMIN | MAINTAINER | DEVELOPER, false},
    {"tag-retention", "read", ADMIN | MAINTAINER | DEVELOPER, false},
    {"tag-retention", "update", ADMIN | MAINTAINER | DEVELOPER, false},
    {"tag-retention", "delete", ADMIN | MAINTAINER | DEVELOPER, false},
    {"tag-retention", "list", ADMIN | MAINTAINER | DEVELOPER, false},
    {"tag-retention", "operate", ADMIN | MAINTAINER | DEVELOPER, false},
    {"immutable-tag", "create", ADMIN | MAINTAINER, false},
    {"immutable-tag", "update", ADMIN | MAINTAINER, false},
    {"immutable-tag", "delete", ADMIN | MAINTAINER, false},
    {"immutable-tag", "list", ADMIN | MAINTAINER, false},
    {"configuration", "read", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, false},
    {"configuration", "update", ADMIN, false},
    {"robot", "create", ADMIN, false},
    {"robot", "read", ADMIN | MAINTAINER | DEVELOPER | GUEST, false},
    {"robot", "update", ADMIN, false},
    {"robot", "delete", ADMIN, false},
    {"robot", "list", ADMIN | MAINTAINER | DEVELOPER | GUEST, false},
    {"notification-policy", "create", ADMIN, false},
    {"notification-policy", "update", ADMIN, false},
    {"notification-policy", "delete", ADMIN, false},
    {"notification-policy", "list", ADMIN | MAINTAINER, false},
    {"notification-policy", "read", ADMIN, false},
    {"scan", "create", ADMIN | MAINTAINER, false},
    {"scan", "read", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, true},
    {"scan", "stop", ADMIN | MAINTAINER, false},
    {"sbom", "create", ADMIN | MAINTAINER, false},
    {"sbom", "stop", ADMIN | MAINTAINER, false},
    {"sbom", "read", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, false},
    {"scanner", "read", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, true},
    {"scanner", "create", ADMIN, false},
    {"artifact", "create", ADMIN | MAINTAINER | DEVELOPER, false},
    {"artifact", "read", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, true},
    {"artifact", "delete", ADMIN | MAINTAINER, false},
    {"artifact", "list", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, true},
    {"artifact-addition", "read", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, true},
    {"tag", "list", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, true},
    {"tag", "create", ADMIN | MAINTAINER | DEVELOPER, false},
    {"tag", "delete", ADMIN | MAINTAINER, false},
    {"accessory", "list", ADMIN | MAINTAINER | DEVELOPER | GUEST | LIMITED, true},
    {"artifact-label", "create", ADMIN | MAINTAINER | DEVELOPER, false},
    {"artifact-label", "delete", ADMIN | MAINTAINER | DEVELOPER, false},
    {"preheat-policy", "create", ADMIN, false},
    {"preheat-policy", "read", ADMIN, false},
    {"preheat-policy", "update", ADMIN, false},
    {"preheat-policy", "delete", ADMIN, false},
    {"preheat-policy", "list", ADMIN, false},
    {"export-cve", "create", ADMIN | MAINTAINER | DEVELOPER, false},
    {"export-cve", "read", ADMIN | MAINTAINER | DEVELOPER, false},
    {"export-cve", "list", ADMIN | MAINTAINER | DEVELOPER, false},
};

struct pair {
    const char *resource;
    const char *action;
};

static const struct pair robot_system[] = {
    {"audit-log", "list"},
    {"preheat-instance", "read"},
    {"preheat-instance", "create"},
    {"preheat-instance", "delete"},
    {"preheat-instance", "list"},
    {"preheat-instance", "update"},
    {"project", "list"},
    {"project", "create"},
    {"replication-policy", "read"},
    {"replication-policy", "create"},
    {"replication-policy", "delete"},
    {"replication-policy", "list"},
    {"replication-policy", "update"},
    {"replication", "read"},
    {"replication", "create"},
    {"replication", "list"},
    {"replication-adapter", "list"},
    {"registry", "read"},
    {"registry", "create"},
    {"registry", "delete"},
    {"registry", "list"},
    {"registry", "update"},
    {"scan-all", "read"},
    {"scan-all", "update"},
    {"scan-all", "stop"},
    {"scan-all", "create"},
    {"system-volumes", "read"},
    {"garbage-collection", "read"},
    {"garbage-collection", "create"},
    {"garbage-collection", "list"},
    {"garbage-collection", "update"},
    {"garbage-collection", "stop"},
    {"purge-audit", "read"},
    {"purge-audit", "create"},
    {"purge-audit", "list"},
    {"purge-audit", "update"},
    {"purge-audit", "stop"},
    {"jobservice-monitor", "list"},
    {"jobservice-monitor", "stop"},
    {"scanner", "read"},
    {"scanner", "create"},
    {"scanner", "delete"},
    {"scanner", "list"},
    {"scanner", "update"},
    {"label", "read"},
    {"label", "create"},
    {"label", "delete"},
    {"label", "update"},
    {"security-hub", "read"},
    {"security-hub", "list"},
    {"catalog", "read"},
    {"quota", "read"},
    {"quota", "list"},
    {"robot", "create"},
    {"robot", "read"},
    {"robot", "list"},
    {"robot", "delete"},
    {"user", "create"},
    {"user", "read"},
    {"user", "update"},
    {"user", "list"},
    {"user", "delete"},
    {"ldap-user", "create"},
    {"ldap-user", "list"},
    {"quota", "update"},
    {"user-group", "create"},
    {"user-group", "read"},
    {"user-group", "update"},
    {"user-group", "list"},
    {"user-group", "delete"},
};
static const struct pair robot_project[] = {
    {"log", "list"},
    {"project", "read"},
    {"project", "delete"},
    {"project", "update"},
    {"metadata", "read"},
    {"metadata", "create"},
    {"metadata", "delete"},
    {"metadata", "list"},
    {"metadata", "update"},
    {"repository", "read"},
    {"repository", "update"},
    {"repository", "delete"},
    {"repository", "list"},
    {"repository", "pull"},
    {"repository", "push"},
    {"artifact", "read"},
    {"artifact", "create"},
    {"artifact", "list"},
    {"artifact", "delete"},
    {"scan", "create"},
    {"scan", "read"},
    {"scan", "stop"},
    {"sbom", "create"},
    {"sbom", "stop"},
    {"sbom", "read"},
    {"tag", "create"},
    {"tag", "list"},
    {"tag", "delete"},
    {"accessory", "list"},
    {"artifact-addition", "read"},
    {"artifact-label", "create"},
    {"artifact-label", "delete"},
    {"scanner", "create"},
    {"scanner", "read"},
    {"preheat-policy", "read"},
    {"preheat-policy", "create"},
    {"preheat-policy", "delete"},
    {"preheat-policy", "list"},
    {"preheat-policy", "update"},
    {"immutable-tag", "create"},
    {"immutable-tag", "delete"},
    {"immutable-tag", "list"},
    {"immutable-tag", "update"},
    {"notification-policy", "read"},
    {"notification-policy", "create"},
    {"notification-policy", "delete"},
    {"notification-policy", "list"},
    {"notification-policy", "update"},
    {"tag-retention", "read"},
    {"tag-retention", "create"},
    {"tag-retention", "delete"},
    {"tag-retention", "list"},
    {"tag-retention", "update"},
    {"label", "read"},
    {"label", "create"},
    {"label", "delete"},
    {"label", "list"},
    {"label", "update"},
    {"quota", "read"},
    {"robot", "create"},
    {"robot", "read"},
    {"robot", "list"},
    {"robot", "delete"},
    {"export-cve", "create"},
    {"export-cve", "read"},
    {"member", "create"},
    {"member", "read"},
    {"member", "update"},
    {"member", "list"},
    {"member", "delete"},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct rule *find_rule(const char *resource, const char *action) {
    for (size_t i = 0; i < COUNT(matrix); i++) {
        if (strcmp(matrix[i].resource, resource) == 0 && strcmp(matrix[i].action, action) == 0)
            return &matrix[i];
    }
    return NULL;
}

bool hv_auth_role_allows(int role, const char *resource, const char *action) {
    const struct rule *r = find_rule(resource, action);

    return r && role >= HV_ROLE_PROJECT_ADMIN && role <= HV_ROLE_LIMITED_GUEST &&
           (r->roles & (1u << role));
}

void hv_auth_project_matrix(void (*fn)(const char *resource, const char *action, void *payload),
                            void *payload) {
    for (size_t i = 0; i < COUNT(matrix); i++)
        fn(matrix[i].resource, matrix[i].action, payload);
}

static const struct pair *catalogue(const char *kind, size_t *n) {
    if (strcmp(kind, "system") == 0) {
        *n = COUNT(robot_system);
        return robot_system;
    }
    if (strcmp(kind, "project") == 0) {
        *n = COUNT(robot_project);
        return robot_project;
    }
    *n = 0;
    return NULL;
}

bool hv_auth_robot_assignable(const char *kind, const char *resource, const char *action) {
    size_t n;
    const struct pair *p = catalogue(kind, &n);

    for (size_t i = 0; i < n; i++) {
        if (strcmp(p[i].resource, resource) == 0 && strcmp(p[i].action, action) == 0)
            return true;
    }
    return false;
}

void hv_auth_robot_catalogue(const char *kind,
                             void (*fn)(const char *resource, const char *action, void *payload),
                             void *payload) {
    size_t n;
    const struct pair *p = catalogue(kind, &n);

    for (size_t i = 0; i < n; i++)
        fn(p[i].resource, p[i].action, payload);
}

hv_err hv_auth_roles(int roles[5], size_t *n, hv_ctx *ctx, const hv_identity *who,
                     const hv_project *project) {
    *n = 0;
    if (who->kind != HV_ID_USER || who->via_token || who->user_id <= 0 || !project)
        return HV_OK;
    return hv_model_member_roles(roles, n, ctx, project->id, who->user_id);
}

static bool public_allows(const char *resource, const char *action) {
    const struct rule *r = find_rule(resource, action);

    return r && r->public;
}

/* The first path component of a repository name is its project. */
static bool in_project(const char *repository, const char *project) {
    size_t len = strlen(project);

    return strncmp(repository, project, len) == 0 &&
           (repository[len] == '/' || repository[len] == '\0');
}

static bool token_allows(const hv_identity *who, const hv_project *project, const char *resource,
                         const char *action) {
    unsigned bit = 0;

    if (!project || strcmp(resource, "repository") != 0)
        return false;
    if (strcmp(action, "pull") == 0)
        bit = HV_TOKEN_PULL;
    else if (strcmp(action, "push") == 0)
        bit = HV_TOKEN_PUSH;
    else if (strcmp(action, "delete") == 0)
        bit = HV_TOKEN_DELETE;
    for (size_t i = 0; bit && i < who->n_access; i++) {
        if ((who->access[i].actions & bit) && in_project(who->access[i].name, project->name))
            return true;
    }
    return false;
}

static bool robot_permission_matches(const hv_identity *who, const hv_robot_permission *p,
                                     const hv_project *project, const char *resource,
                                     const char *action) {
    bool resource_ok, action_ok;

    if (!project) {
        if (strcmp(p->kind, "system") != 0)
            return false;
    } else if (strcmp(p->kind, "project") != 0 ||
               (strcmp(p->namespace_, project->name) != 0 && strcmp(p->namespace_, "*") != 0)) {
        return false;
    }
    /* Harbor names the project itself "project" in a robot's permissions */
    resource_ok = strcmp(p->resource, resource) == 0 || strcmp(p->resource, "*") == 0 ||
                  (project && !*resource && strcmp(p->resource, "project") == 0);
    action_ok = strcmp(p->action, action) == 0 || strcmp(p->action, "*") == 0 ||
                (who->project_robot && project && strcmp(resource, "repository") == 0 &&
                 strcmp(action, "pull") == 0 && strcmp(p->action, "push") == 0);
    return resource_ok && action_ok;
}

static bool robot_allows(const hv_identity *who, const hv_project *project, const char *resource,
                         const char *action) {
    for (size_t i = 0; i < who->n_permissions; i++) {
        if (robot_permission_matches(who, &who->permissions[i], project, resource, action))
            return true;
    }
    return false;
}

static hv_err user_allows(bool *ok, hv_ctx *ctx, const hv_identity *who, const hv_project *project,
                          const char *resource, const char *action) {
    int roles[5];
    size_t n;
    hv_err rc = hv_auth_roles(roles, &n, ctx, who, project);

    *ok = false;
    for (size_t i = 0; rc == HV_OK && i < n && !*ok; i++)
        *ok = hv_auth_role_allows(roles[i], resource, action);
    return rc;
}

hv_err hv_auth_can(hv_ctx *ctx, const hv_identity *who, const hv_project *project,
                   const char *resource, const char *action) {
    const char *caller, *what;
    bool ok = false;
    hv_err rc;

    if (who->kind == HV_ID_USER && who->sysadmin && !who->via_token)
        return HV_OK;
    if (project && project->public && public_allows(resource, action))
        return HV_OK;
    if (who->via_token) {
        ok = token_allows(who, project, resource, action);
    } else if (who->kind == HV_ID_ROBOT) {
        ok = robot_allows(who, project, resource, action);
    } else if (who->kind == HV_ID_USER && project) {
        rc = user_allows(&ok, ctx, who, project, resource, action);
        if (rc)
            return rc;
    }
    if (ok)
        return HV_OK;

    if (!project)
        what = hv_arena_printf(ctx->arena, "%s (a system resource)", resource);
    else if (!*resource)
        what = hv_arena_printf(ctx->arena, "project %s", project->name);
    else
        what = hv_arena_printf(ctx->arena, "%s of project %s", resource, project->name);
    if (who->kind == HV_ID_ANONYMOUS)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "authentication required: %s may not %s %s; log in",
                       who->via_token ? "an anonymous token" : "anonymous", action, what);
    if (who->via_token)
        return HV_FAIL(ctx, HV_E_DENIED, "the token of %s does not grant %s on %s", who->name,
                       action, what);
    caller = who->kind == HV_ID_ROBOT ? "robot" : "user";
    return HV_FAIL(ctx, HV_E_DENIED, "%s %s may not %s %s", caller, who->name, action, what);
}
