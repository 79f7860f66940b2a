/*
 * The registry unit tests' fixture: a real database (migrated, bootstrapped with the admin
 * user and the public project library; SQLite, or PostgreSQL under HAVEN_TEST_POSTGRES, see
 * dbtest.h) and a filesystem blob store in a temporary directory, and a registry over them.
 * TEST_MAIN(setup, …, teardown) brackets the tests.
 */
#ifndef HV_REGISTRY_FIXTURE_H
#define HV_REGISTRY_FIXTURE_H

#include "db/db.h"
#include "dbtest.h"
#include "registry/registry.h"
#include "test.h"

#include <stdlib.h>

static char root[] = "/tmp/haven-registry-test-XXXXXX"; /* mkdtemp's template */
static char db_path[512];                               /* the SQLite file or the PostgreSQL URL */
static hv_db *db;
static hv_blob_store *blobs;
static hv_registry *reg;
static hv_identity admin = {.kind = HV_ID_USER, .user_id = 1, .name = "admin", .sysadmin = true};

/* A context on the fixture's database acting as admin; free its arena when done. */
static hv_ctx new_ctx(void) {
    hv_ctx ctx = {.arena = hv_arena_new(), .db = db, .actor = "admin"};
    return ctx;
}

static void setup(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_registry_config cfg = {.upload_ttl_ms = 60000, .max_manifest = 4 << 20};
    hv_auth_config acfg = {.data_dir = root,
                           .token_ttl = 1800,
                           .service = "harbor-registry",
                           .issuer = "harbor-token-issuer"};

    if (!mkdtemp(root))
        abort();
    test_db_target(db_path, sizeof(db_path), root);
    CHECK_INT(hv_db_open(&db, &ctx, db_path), HV_OK);
    ctx.db = db;
    CHECK_INT(hv_db_migrate(db, &ctx), HV_OK);
    CHECK_INT(hv_auth_init(&ctx, &acfg), HV_OK);
    CHECK_INT(hv_registry_bootstrap(&ctx, "pw-for-tests"), HV_OK);
    CHECK_INT(hv_blob_fs_open(&blobs, &ctx, root), HV_OK);
    CHECK_INT(hv_registry_open(&reg, &ctx, blobs, &cfg), HV_OK);
    hv_arena_free(ctx.arena);
}

static void teardown(void) {
    char cmd[160];

    hv_registry_free(reg);
    hv_blob_close(blobs);
    hv_db_close(db);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

#endif
