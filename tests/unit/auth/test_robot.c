/*
 * Robot accounts in the model on a real SQLite database: created with their permissions,
 * read back by id and by name, listed with Harbor's q keys (both spellings), updated (the
 * permissions replaced), the secret changed, and deleted with their permissions.
 */
#include "db/db.h"
#include "model/model.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[] = "/tmp/haven-robot-test-XXXXXX";
static hv_db *db;
static int64_t library_id, other_id;

static hv_ctx new_ctx(void) {
    hv_ctx ctx = {.arena = hv_arena_new(), .db = db, .actor = "test"};
    return ctx;
}

static void setup(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    char path[128];

    if (!mkdtemp(root))
        abort();
    snprintf(path, sizeof(path), "%s/haven.db", root);
    CHECK_INT(hv_db_open(&db, &ctx, path), HV_OK);
    ctx.db = db;
    CHECK_INT(hv_db_migrate(db, &ctx), HV_OK);
    hv_user u = {.username = "owner", .email = "owner@example.com", .password_hash = "x"};
    int64_t owner;
    CHECK_INT(hv_model_user_create(&owner, &ctx, &u), HV_OK);
    CHECK_INT(hv_model_project_create(&library_id, &ctx, "library", false, owner), HV_OK);
    CHECK_INT(hv_model_project_create(&other_id, &ctx, "other", true, owner), HV_OK);
    hv_arena_free(ctx.arena);
}

static void teardown(void) {
    char cmd[128];
    hv_db_close(db);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

static hv_robot_permission ci_perms[] = {
    {"project", "library", "repository", "pull"},
    {"project", "library", "repository", "push"},
    {"project", "library", "artifact", "delete"},
};
static hv_robot_permission sys_perms[] = {
    {"system", "/", "project", "create"},
    {"project", "*", "repository", "pull"},
};

static void test_create_get(void) {
    hv_ctx ctx = new_ctx();
    hv_robot r = {.name = "library+ci",
                  .description = "CI pusher",
                  .level = "project",
                  .project_id = library_id,
                  .secret_hash = "hash",
                  .duration = 30,
                  .expires_at = 1735689600,
                  .permissions = ci_perms,
                  .n_permissions = 3};
    hv_robot got;
    int64_t id, id2;

    CHECK_INT(hv_model_robot_create(&id, &ctx, &r), HV_OK);
    CHECK(id > 0);
    CHECK_INT(hv_model_robot_create(&id2, &ctx, &r), HV_E_CONFLICT);

    CHECK_INT(hv_model_robot_get(&got, &ctx, id), HV_OK);
    CHECK_STR(got.name, "library+ci");
    CHECK_STR(got.description, "CI pusher");
    CHECK_STR(got.level, "project");
    CHECK_INT(got.project_id, library_id);
    CHECK_STR(got.secret_hash, "hash");
    CHECK(!got.disabled);
    CHECK_INT(got.duration, 30);
    CHECK_INT(got.expires_at, 1735689600);
    CHECK_STR(got.creator_type, "local");
    CHECK(got.creation_time > 0);
    CHECK_INT(got.n_permissions, 3);
    if (got.n_permissions == 3) {
        CHECK_STR(got.permissions[1].kind, "project");
        CHECK_STR(got.permissions[1].namespace_, "library");
        CHECK_STR(got.permissions[1].resource, "repository");
        CHECK_STR(got.permissions[1].action, "push");
    }

    CHECK_INT(hv_model_robot_get_by_name(&got, &ctx, "library+ci"), HV_OK);
    CHECK_INT(got.id, id);
    CHECK_INT(got.n_permissions, 3);
    CHECK_INT(hv_model_robot_get_by_name(&got, &ctx, "nobody"), HV_E_NOT_FOUND);
    CHECK_INT(hv_model_robot_get(&got, &ctx, 9999), HV_E_NOT_FOUND);

    /* a system robot: no project */
    r = (hv_robot){.name = "ops",
                   .level = "system",
                   .secret_hash = "h2",
                   .duration = -1,
                   .expires_at = -1,
                   .permissions = sys_perms,
                   .n_permissions = 2};
    CHECK_INT(hv_model_robot_create(&id2, &ctx, &r), HV_OK);
    CHECK_INT(hv_model_robot_get(&got, &ctx, id2), HV_OK);
    CHECK_INT(got.project_id, 0);
    CHECK_STR(got.description, "");
    CHECK_INT(got.expires_at, -1);
    CHECK_INT(got.n_permissions, 2);
    hv_arena_free(ctx.arena);
}

static void test_list(void) {
    hv_ctx ctx = new_ctx();
    hv_robot *v;
    size_t n;
    int64_t total, id;
    const char *project[] = {"project"};
    const char *system[] = {"system"};
    char lib[24];
    const char *libv[] = {lib};
    hv_robot r = {.name = "other+bot",
                  .level = "project",
                  .project_id = other_id,
                  .secret_hash = "h",
                  .duration = -1,
                  .expires_at = -1};

    snprintf(lib, sizeof(lib), "%lld", (long long)library_id);
    CHECK_INT(hv_model_robot_create(&id, &ctx, &r), HV_OK);

    hv_list all = {0};
    CHECK_INT(hv_model_robot_list(&v, &n, &total, &ctx, &all), HV_OK);
    CHECK_INT(total, 3);
    CHECK_INT(n, 3);

    hv_query_term t1[] = {{"Level", HV_Q_EXACT, project, 1}, {"ProjectID", HV_Q_EXACT, libv, 1}};
    hv_list l1 = {.terms = t1, .n_terms = 2};
    CHECK_INT(hv_model_robot_list(&v, &n, &total, &ctx, &l1), HV_OK);
    CHECK_INT(total, 1);
    CHECK_INT(n, 1);
    if (n == 1) {
        CHECK_STR(v[0].name, "library+ci");
        CHECK_INT(v[0].n_permissions, 3);
    }

    hv_query_term t2[] = {{"level", HV_Q_EXACT, system, 1}};
    hv_list l2 = {.terms = t2, .n_terms = 1};
    CHECK_INT(hv_model_robot_list(&v, &n, &total, &ctx, &l2), HV_OK);
    CHECK_INT(total, 1);
    if (n == 1)
        CHECK_STR(v[0].name, "ops");

    const char *fuzzy[] = {"bot"};
    hv_query_term t3[] = {{"name", HV_Q_FUZZY, fuzzy, 1}};
    hv_list l3 = {.terms = t3, .n_terms = 1};
    CHECK_INT(hv_model_robot_list(&v, &n, &total, &ctx, &l3), HV_OK);
    CHECK_INT(total, 1);

    /* paging keeps the total */
    hv_list l4 = {.sort = "-name", .page = 2, .page_size = 2};
    CHECK_INT(hv_model_robot_list(&v, &n, &total, &ctx, &l4), HV_OK);
    CHECK_INT(total, 3);
    CHECK_INT(n, 1);
    if (n == 1)
        CHECK_STR(v[0].name, "library+ci");

    hv_query_term t5[] = {{"secret_hash", HV_Q_EXACT, fuzzy, 1}};
    hv_list l5 = {.terms = t5, .n_terms = 1};
    CHECK_INT(hv_model_robot_list(&v, &n, &total, &ctx, &l5), HV_E_BAD_REQUEST);
    hv_arena_free(ctx.arena);
}

static void test_update_delete(void) {
    hv_ctx ctx = new_ctx();
    hv_robot got;
    hv_robot_permission perms[] = {{"project", "library", "repository", "pull"}};

    CHECK_INT(hv_model_robot_get_by_name(&got, &ctx, "library+ci"), HV_OK);
    got.description = "pull only";
    got.disabled = true;
    got.duration = -1;
    got.expires_at = -1;
    got.permissions = perms;
    got.n_permissions = 1;
    CHECK_INT(hv_model_robot_update(&ctx, &got), HV_OK);
    CHECK_INT(hv_model_robot_get(&got, &ctx, got.id), HV_OK);
    CHECK_STR(got.description, "pull only");
    CHECK(got.disabled);
    CHECK_INT(got.expires_at, -1);
    CHECK_INT(got.n_permissions, 1);
    if (got.n_permissions == 1)
        CHECK_STR(got.permissions[0].action, "pull");

    CHECK_INT(hv_model_robot_set_secret(&ctx, got.id, "newhash"), HV_OK);
    CHECK_INT(hv_model_robot_get(&got, &ctx, got.id), HV_OK);
    CHECK_STR(got.secret_hash, "newhash");
    CHECK_INT(hv_model_robot_set_secret(&ctx, 9999, "x"), HV_E_NOT_FOUND);

    CHECK_INT(hv_model_robot_delete(&ctx, got.id), HV_OK);
    CHECK_INT(hv_model_robot_get(&got, &ctx, got.id), HV_E_NOT_FOUND);
    CHECK_INT(hv_model_robot_delete(&ctx, got.id), HV_E_NOT_FOUND);
    got.id = 9999;
    CHECK_INT(hv_model_robot_update(&ctx, &got), HV_E_NOT_FOUND);
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_create_get, test_list, test_update_delete, teardown)
