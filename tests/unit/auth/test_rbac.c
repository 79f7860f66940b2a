/*
 * Authorisation: Harbor v2.12.4's role matrix (spot checks of every role, and the whole
 * table against harbor-rbac.md when the reference is at hand), the public-project policies,
 * the robot catalogue, and hv_auth_can for system administrators, each role, robots with
 * project and system permissions, a robot of another project, token holders and anonymous
 * callers on public and private projects.
 */
#include "fixture.c"

#include <stdlib.h>

static void setup(void) {
    fixture_setup();
}

/* ---------------------------------------------------------------- the matrix */

struct row {
    const char *resource, *action;
    int admin, maint, dev, guest, limited, public_;
};

/* Rows of harbor-rbac.md, several per resource; columns in the markdown's order. */
static const struct row spot[] = {
    {"", "read", 1, 1, 1, 1, 1, 1},
    {"", "update", 1, 0, 0, 0, 0, 0},
    {"", "delete", 1, 0, 0, 0, 0, 0},
    {"member", "create", 1, 0, 0, 0, 0, 0},
    {"member", "list", 1, 1, 1, 1, 0, 0},
    {"metadata", "read", 1, 1, 0, 0, 0, 0},
    {"metadata", "update", 1, 0, 0, 0, 0, 0},
    {"log", "list", 1, 1, 1, 1, 0, 0},
    {"label", "create", 1, 1, 0, 0, 0, 0},
    {"label", "read", 1, 1, 1, 1, 0, 1},
    {"quota", "read", 1, 1, 1, 1, 1, 0},
    {"repository", "read", 1, 1, 1, 1, 1, 0},
    {"repository", "delete", 1, 1, 0, 0, 0, 0},
    {"repository", "pull", 1, 1, 1, 1, 1, 1},
    {"repository", "push", 1, 1, 1, 0, 0, 0},
    {"tag-retention", "operate", 1, 1, 1, 0, 0, 0},
    {"immutable-tag", "list", 1, 1, 0, 0, 0, 0},
    {"configuration", "read", 1, 1, 1, 1, 1, 0},
    {"configuration", "update", 1, 0, 0, 0, 0, 0},
    {"robot", "read", 1, 1, 1, 1, 0, 0},
    {"robot", "create", 1, 0, 0, 0, 0, 0},
    {"notification-policy", "list", 1, 1, 0, 0, 0, 0},
    {"notification-policy", "read", 1, 0, 0, 0, 0, 0},
    {"scan", "create", 1, 1, 0, 0, 0, 0},
    {"scan", "read", 1, 1, 1, 1, 1, 1},
    {"sbom", "read", 1, 1, 1, 1, 1, 0},
    {"sbom", "stop", 1, 1, 0, 0, 0, 0},
    {"scanner", "read", 1, 1, 1, 1, 1, 1},
    {"scanner", "create", 1, 0, 0, 0, 0, 0},
    {"artifact", "create", 1, 1, 1, 0, 0, 0},
    {"artifact", "delete", 1, 1, 0, 0, 0, 0},
    {"artifact", "list", 1, 1, 1, 1, 1, 1},
    {"artifact-addition", "read", 1, 1, 1, 1, 1, 1},
    {"tag", "create", 1, 1, 1, 0, 0, 0},
    {"tag", "delete", 1, 1, 0, 0, 0, 0},
    {"accessory", "list", 1, 1, 1, 1, 1, 1},
    {"artifact-label", "delete", 1, 1, 1, 0, 0, 0},
    {"preheat-policy", "list", 1, 0, 0, 0, 0, 0},
    {"export-cve", "create", 1, 1, 1, 0, 0, 0},
    {"export-cve", "list", 1, 1, 1, 0, 0, 0},
    /* not in the matrix at all */
    {"repository", "scanner-pull", 0, 0, 0, 0, 0, 0},
    {"catalog", "read", 0, 0, 0, 0, 0, 0},
    {"project", "read", 0, 0, 0, 0, 0, 0},
};

static hv_err can_public(hv_ctx *ctx, const char *resource, const char *action) {
    hv_identity anon = {.kind = HV_ID_ANONYMOUS, .name = "anonymous"};
    return hv_auth_can(ctx, &anon, &pub, resource, action);
}

static void check_row(hv_ctx *ctx, const struct row *r) {
    static const int roles[] = {HV_ROLE_PROJECT_ADMIN, HV_ROLE_MAINTAINER, HV_ROLE_DEVELOPER,
                                HV_ROLE_GUEST, HV_ROLE_LIMITED_GUEST};
    const int want[] = {r->admin, r->maint, r->dev, r->guest, r->limited};

    for (int i = 0; i < 5; i++) {
        if (hv_auth_role_allows(roles[i], r->resource, r->action) != (want[i] != 0)) {
            fprintf(stderr, "role %d on (%s, %s): want %d\n", roles[i], r->resource, r->action,
                    want[i]);
            CHECK(!"matrix row");
        }
    }
    if ((can_public(ctx, r->resource, r->action) == HV_OK) != (r->public_ != 0)) {
        fprintf(stderr, "public project on (%s, %s): want %d\n", r->resource, r->action,
                r->public_);
        CHECK(!"public policy");
    }
}

static void test_matrix_spots(void) {
    hv_ctx ctx = new_ctx();

    load_projects(&ctx);
    for (size_t i = 0; i < sizeof(spot) / sizeof(spot[0]); i++)
        check_row(&ctx, &spot[i]);
    CHECK(!hv_auth_role_allows(0, "", "read"));
    CHECK(!hv_auth_role_allows(6, "", "read"));
    hv_arena_free(ctx.arena);
}

static void count_row(const char *resource, const char *action, void *payload) {
    size_t *n = payload;
    (*n)++;
    /* each (resource, action) once, each held by the project administrator */
    CHECK(hv_auth_role_allows(HV_ROLE_PROJECT_ADMIN, resource, action));
    CHECK(action && *action);
}

/* Every row of harbor-rbac.md, when the reference is at hand (HAVEN_RBAC_MD, or
 * ../shared/reference/ beside the source tree). */
static void test_matrix_reference(void) {
    const char *src = getenv("HAVEN_SOURCE_DIR");
    const char *env = getenv("HAVEN_RBAC_MD");
    char path[1024], line[1024];
    size_t rows = 0, enumerated = 0;
    hv_ctx ctx = new_ctx();
    FILE *f;

    load_projects(&ctx);
    hv_auth_project_matrix(count_row, &enumerated);
    CHECK_INT(enumerated, 75);

    if (env)
        snprintf(path, sizeof(path), "%s", env);
    else
        snprintf(path, sizeof(path), "%s/../shared/reference/harbor-rbac.md", src ? src : ".");
    f = fopen(path, "r");
    if (!f) {
        printf("skipping the comparison with harbor-rbac.md: %s not found\n", path);
        hv_arena_free(ctx.arena);
        return;
    }
    while (fgets(line, sizeof(line), f)) {
        char *cells[8], *p = line;
        int n = 0;
        struct row r;

        if (strncmp(line, "| ", 2) != 0 || strncmp(line, "| resource", 10) == 0)
            continue;
        p++;
        while (n < 8) {
            char *bar = strchr(p, '|'), *end;
            if (!bar)
                break;
            *bar = '\0';
            while (*p == ' ')
                p++;
            end = p + strlen(p);
            while (end > p && end[-1] == ' ')
                *--end = '\0';
            cells[n++] = p;
            p = bar + 1;
        }
        if (n != 8)
            continue;
        r.resource = strncmp(cells[0], "(project itself", 15) == 0 ? "" : cells[0];
        r.action = cells[1];
        r.admin = *cells[2] != '\0';
        r.maint = *cells[3] != '\0';
        r.dev = *cells[4] != '\0';
        r.guest = *cells[5] != '\0';
        r.limited = *cells[6] != '\0';
        r.public_ = *cells[7] != '\0';
        check_row(&ctx, &r);
        rows++;
    }
    fclose(f);
    CHECK_INT(rows, enumerated);
    hv_arena_free(ctx.arena);
}

/* ---------------------------------------------------------------- robot catalogue */

static void count_pair(const char *resource, const char *action, void *payload) {
    size_t *n = payload;
    (void)resource;
    (void)action;
    (*n)++;
}

static void test_robot_catalogue(void) {
    size_t n_system = 0, n_project = 0, n_bad = 0;

    hv_auth_robot_catalogue("system", count_pair, &n_system);
    hv_auth_robot_catalogue("project", count_pair, &n_project);
    hv_auth_robot_catalogue("nope", count_pair, &n_bad);
    CHECK_INT(n_system, 70);
    CHECK_INT(n_project, 70);
    CHECK_INT(n_bad, 0);

    CHECK(hv_auth_robot_assignable("system", "project", "create"));
    CHECK(hv_auth_robot_assignable("system", "catalog", "read"));
    CHECK(hv_auth_robot_assignable("system", "audit-log", "list"));
    CHECK(hv_auth_robot_assignable("system", "garbage-collection", "stop"));
    CHECK(hv_auth_robot_assignable("system", "quota", "update"));      /* extra */
    CHECK(hv_auth_robot_assignable("system", "user-group", "delete")); /* extra */
    CHECK(hv_auth_robot_assignable("system", "robot", "create"));      /* extra */
    CHECK(!hv_auth_robot_assignable("system", "repository", "push"));
    CHECK(!hv_auth_robot_assignable("system", "export-cve", "create")); /* moved in 2.12 */
    CHECK(!hv_auth_robot_assignable("system", "label", "list"));

    CHECK(hv_auth_robot_assignable("project", "repository", "pull"));
    CHECK(hv_auth_robot_assignable("project", "repository", "push"));
    CHECK(hv_auth_robot_assignable("project", "artifact", "delete"));
    CHECK(hv_auth_robot_assignable("project", "project", "read"));
    CHECK(hv_auth_robot_assignable("project", "export-cve", "create")); /* extra */
    CHECK(hv_auth_robot_assignable("project", "member", "update"));     /* extra */
    CHECK(hv_auth_robot_assignable("project", "label", "list"));
    CHECK(!hv_auth_robot_assignable("project", "repository", "create"));
    CHECK(!hv_auth_robot_assignable("project", "project", "create"));
    CHECK(!hv_auth_robot_assignable("project", "catalog", "read"));
    CHECK(!hv_auth_robot_assignable("project", "*", "*"));
    CHECK(!hv_auth_robot_assignable("other", "repository", "pull"));
}

/* ---------------------------------------------------------------- hv_auth_can */

static void test_sysadmin(void) {
    hv_ctx ctx = new_ctx();
    hv_identity admin = user_identity(0);
    int roles[5];
    size_t n = 9;

    load_projects(&ctx);
    CHECK_INT(hv_auth_can(&ctx, &admin, NULL, "catalog", "read"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &admin, NULL, "user", "create"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &admin, &library, "repository", "delete"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &admin, &library, "", "delete"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &admin, &pub, "anything", "at-all"), HV_OK);
    /* not a member of library */
    CHECK_INT(hv_auth_roles(roles, &n, &ctx, &admin, &library), HV_OK);
    CHECK_INT(n, 0);
    hv_arena_free(ctx.arena);
}

static void test_members(void) {
    hv_ctx ctx = new_ctx();
    int roles[5];
    size_t n;

    load_projects(&ctx);
    for (int role = 1; role <= 5; role++) {
        hv_identity who = user_identity(role);
        CHECK_INT(hv_auth_roles(roles, &n, &ctx, &who, &library), HV_OK);
        CHECK_INT(n, 1);
        CHECK_INT(roles[0], role);
        CHECK_INT(hv_auth_roles(roles, &n, &ctx, &who, &pub), HV_OK);
        CHECK_INT(n, 0);
        /* everyone with a role reads the project and pulls */
        CHECK_INT(hv_auth_can(&ctx, &who, &library, "", "read"), HV_OK);
        CHECK_INT(hv_auth_can(&ctx, &who, &library, "repository", "pull"), HV_OK);
        /* nobody but a system administrator touches the system */
        CHECK_INT(hv_auth_can(&ctx, &who, NULL, "catalog", "read"), HV_E_DENIED);
    }
    hv_identity padmin = user_identity(HV_ROLE_PROJECT_ADMIN),
                maint = user_identity(HV_ROLE_MAINTAINER), dev = user_identity(HV_ROLE_DEVELOPER),
                guest = user_identity(HV_ROLE_GUEST),
                limited = user_identity(HV_ROLE_LIMITED_GUEST), outsider = user_identity(6);

    CHECK_INT(hv_auth_can(&ctx, &padmin, &library, "member", "create"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &padmin, &library, "", "delete"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &maint, &library, "member", "create"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &maint, &library, "repository", "delete"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &maint, &library, "metadata", "update"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &dev, &library, "repository", "push"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &dev, &library, "repository", "delete"), HV_E_DENIED);
    CHECK_STR(ctx.err.message, "user dev may not delete repository of project library");
    CHECK_INT(hv_auth_can(&ctx, &guest, &library, "repository", "push"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &guest, &library, "member", "list"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &limited, &library, "member", "list"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &limited, &library, "repository", "read"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &limited, &library, "", "update"), HV_E_DENIED);
    CHECK_STR(ctx.err.message, "user limited may not update project library");

    /* not a member: nothing in a private project, the public policies in a public one */
    CHECK_INT(hv_auth_can(&ctx, &outsider, &library, "repository", "pull"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &outsider, &library, "", "read"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &outsider, &pub, "repository", "pull"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &outsider, &pub, "repository", "push"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &outsider, NULL, "catalog", "read"), HV_E_DENIED);
    CHECK_STR(ctx.err.message, "user outsider may not read catalog (a system resource)");
    /* a member of library holds no role in pub beyond the public policies */
    CHECK_INT(hv_auth_can(&ctx, &padmin, &pub, "member", "create"), HV_E_DENIED);
    hv_arena_free(ctx.arena);
}

static void test_robots(void) {
    hv_ctx ctx = new_ctx();
    hv_robot_permission ci[] = {
        {"project", "library", "repository", "push"},
        {"project", "library", "artifact", "delete"},
        {"project", "library", "project", "read"},
    };
    hv_robot_permission ops[] = {
        {"system", "/", "project", "create"},   {"system", "/", "catalog", "read"},
        {"project", "*", "repository", "pull"}, {"project", "*", "scan", "*"},
        {"project", "library", "*", "list"},
    };
    hv_robot_permission other[] = {
        {"project", "other", "repository", "pull"},
        {"project", "other", "repository", "push"},
        {"project", "other", "*", "*"},
    };
    hv_identity robot_ci = {.kind = HV_ID_ROBOT,
                            .robot_id = 1,
                            .project_robot = true,
                            .name = "robot$library+ci",
                            .permissions = ci,
                            .n_permissions = 3};
    hv_identity robot_ops = {.kind = HV_ID_ROBOT,
                             .robot_id = 2,
                             .name = "robot$ops",
                             .permissions = ops,
                             .n_permissions = 5};
    hv_identity robot_other = {.kind = HV_ID_ROBOT,
                               .robot_id = 3,
                               .project_robot = true,
                               .name = "robot$other+ci",
                               .permissions = other,
                               .n_permissions = 3};
    int roles[5];
    size_t n;

    load_projects(&ctx);
    /* project permissions */
    CHECK_INT(hv_auth_can(&ctx, &robot_ci, &library, "repository", "push"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &robot_ci, &library, "repository", "pull"),
              HV_OK); /* push ⇒ pull, for a project-level robot */
    CHECK_INT(hv_auth_can(&ctx, &robot_ci, &library, "artifact", "delete"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &robot_ci, &library, "", "read"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &robot_ci, &library, "repository", "delete"), HV_E_DENIED);
    CHECK_STR(ctx.err.message,
              "robot robot$library+ci may not delete repository of project library");
    CHECK_INT(hv_auth_can(&ctx, &robot_ci, &library, "", "delete"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &robot_ci, NULL, "catalog", "read"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &robot_ci, NULL, "project", "create"), HV_E_DENIED);
    /* the public policies hold for robots too, nothing more */
    CHECK_INT(hv_auth_can(&ctx, &robot_ci, &pub, "repository", "pull"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &robot_ci, &pub, "repository", "push"), HV_E_DENIED);
    CHECK_INT(hv_auth_roles(roles, &n, &ctx, &robot_ci, &library), HV_OK);
    CHECK_INT(n, 0);

    /* system permissions, "*" namespaces, resources and actions */
    CHECK_INT(hv_auth_can(&ctx, &robot_ops, NULL, "project", "create"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &robot_ops, NULL, "catalog", "read"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &robot_ops, NULL, "user", "create"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &robot_ops, NULL, "repository", "pull"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &robot_ops, &library, "repository", "pull"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &robot_ops, &pub, "repository", "pull"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &robot_ops, &library, "repository", "push"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &robot_ops, &library, "scan", "stop"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &robot_ops, &library, "tag", "list"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &robot_ops, &library, "tag", "delete"), HV_E_DENIED);
    /* a system permission does not reach into projects */
    CHECK_INT(hv_auth_can(&ctx, &robot_ops, &library, "project", "create"), HV_E_DENIED);

    /* a robot of another project: nothing here beyond the public policies */
    CHECK_INT(hv_auth_can(&ctx, &robot_other, &library, "repository", "pull"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &robot_other, &library, "", "read"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &robot_other, &pub, "repository", "pull"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &robot_other, &pub, "repository", "push"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &robot_other, NULL, "catalog", "read"), HV_E_DENIED);
    hv_arena_free(ctx.arena);
}

static void test_anonymous(void) {
    hv_ctx ctx = new_ctx();
    hv_identity anon = {.kind = HV_ID_ANONYMOUS, .name = "anonymous"};
    static const char *const public_rows[][2] = {{"", "read"},
                                                 {"label", "read"},
                                                 {"label", "list"},
                                                 {"repository", "list"},
                                                 {"repository", "pull"},
                                                 {"scan", "read"},
                                                 {"scanner", "read"},
                                                 {"tag", "list"},
                                                 {"artifact", "read"},
                                                 {"artifact", "list"},
                                                 {"artifact-addition", "read"},
                                                 {"accessory", "list"}};

    load_projects(&ctx);
    for (size_t i = 0; i < sizeof(public_rows) / sizeof(public_rows[0]); i++) {
        CHECK_INT(hv_auth_can(&ctx, &anon, &pub, public_rows[i][0], public_rows[i][1]), HV_OK);
        CHECK_INT(hv_auth_can(&ctx, &anon, &library, public_rows[i][0], public_rows[i][1]),
                  HV_E_UNAUTHORIZED);
    }
    CHECK_INT(hv_auth_can(&ctx, &anon, &pub, "repository", "push"), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "push repository of project pub"));
    CHECK_INT(hv_auth_can(&ctx, &anon, &pub, "repository", "read"), HV_E_UNAUTHORIZED);
    CHECK_INT(hv_auth_can(&ctx, &anon, &pub, "member", "list"), HV_E_UNAUTHORIZED);
    CHECK_INT(hv_auth_can(&ctx, &anon, NULL, "catalog", "read"), HV_E_UNAUTHORIZED);
    CHECK_INT(hv_auth_can(&ctx, &anon, &library, "repository", "pull"), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "anonymous"));
    CHECK(contains(ctx.err.message, "pull repository of project library"));
    hv_arena_free(ctx.arena);
}

static void test_token_holders(void) {
    hv_ctx ctx = new_ctx();
    hv_token_access access[] = {{"library/app", HV_TOKEN_PULL | HV_TOKEN_PUSH},
                                {"libraryx/app", HV_TOKEN_DELETE}};
    hv_identity admin = user_identity(0);

    admin.via_token = true;
    admin.access = access;
    admin.n_access = 2;
    load_projects(&ctx);
    /* the token's grants are per project, as Harbor keys them */
    CHECK_INT(hv_auth_can(&ctx, &admin, &library, "repository", "push"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &admin, &library, "repository", "pull"), HV_OK);
    /* "libraryx" is not "library" */
    CHECK_INT(hv_auth_can(&ctx, &admin, &library, "repository", "delete"), HV_E_DENIED);
    CHECK(contains(ctx.err.message, "token of admin"));
    /* a system administrator's token is still only its access */
    CHECK_INT(hv_auth_can(&ctx, &admin, &library, "member", "create"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &admin, NULL, "catalog", "read"), HV_E_DENIED);
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_matrix_spots, test_matrix_reference, test_robot_catalogue, test_sysadmin,
          test_members, test_robots, test_anonymous, test_token_holders, fixture_teardown)
