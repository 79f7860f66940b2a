/*
 * The world the auth tests run in, included by each test_*.c of this folder: a temporary
 * data directory with a real SQLite database, secret key and token key, a system
 * administrator, one user per project role in the private project "library", an outsider,
 * and the public project "pub".
 */
#include "auth/auth.h"
#include "db/db.h"
#include "model/model.h"
#include "test.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[] = "/tmp/haven-auth-test-XXXXXX";
static hv_db *db;
static hv_project library, pub;

/* users: index = role id (1..5); 0 the system administrator; 6 an outsider */
static const char *const user_names[] = {"admin", "padmin",  "dev",     "guest",
                                         "maint", "limited", "outsider"};
static int64_t user_ids[7];

static inline hv_ctx new_ctx(void) {
    hv_ctx ctx = {.arena = hv_arena_new(), .db = db, .actor = "test"};
    return ctx;
}

static inline hv_identity user_identity(int i) {
    hv_identity who = {
        .kind = HV_ID_USER, .user_id = user_ids[i], .name = user_names[i], .sysadmin = i == 0};
    return who;
}

static inline void fixture_setup(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_auth_config cfg = {.data_dir = root,
                          .token_ttl = 1800,
                          .service = "harbor-registry",
                          .issuer = "harbor-token-issuer"};
    int64_t id, lib_id;
    char path[128];

    if (!mkdtemp(root))
        abort();
    snprintf(path, sizeof(path), "%s/haven.db", root);
    CHECK_INT(hv_db_open(&db, &ctx, path), HV_OK);
    ctx.db = db;
    CHECK_INT(hv_db_migrate(db, &ctx), HV_OK);
    CHECK_INT(hv_auth_init(&ctx, &cfg), HV_OK);
    for (int i = 0; i < 7; i++) {
        hv_user u = {.username = user_names[i], .sysadmin = i == 0};
        char *hash = NULL;
        CHECK_INT(hv_auth_password_hash(&hash, &ctx, "Passw0rd"), HV_OK);
        u.password_hash = hash;
        u.email = hv_arena_printf(ctx.arena, "%s@example.com", user_names[i]);
        CHECK_INT(hv_model_user_create(&user_ids[i], &ctx, &u), HV_OK);
        free(hash);
    }
    CHECK_INT(hv_model_project_create(&lib_id, &ctx, "library", false, user_ids[0]), HV_OK);
    CHECK_INT(hv_model_project_create(&id, &ctx, "pub", true, user_ids[0]), HV_OK);
    for (int role = 1; role <= 5; role++)
        CHECK_INT(hv_model_member_create(&id, &ctx, lib_id, user_ids[role], role), HV_OK);
    hv_arena_free(ctx.arena);
}

static inline void fixture_teardown(void) {
    char cmd[128];
    hv_db_close(db);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

/* Loads the projects into an arena (library and pub are read in each test's context). */
static inline void load_projects(hv_ctx *ctx) {
    CHECK_INT(hv_model_project_get(&library, ctx, "library"), HV_OK);
    CHECK_INT(hv_model_project_get(&pub, ctx, "pub"), HV_OK);
}

/* "Basic base64(user:password)" in the arena. */
static inline const char *basic_header(hv_ctx *ctx, const char *user, const char *password) {
    char *plain = hv_arena_printf(ctx->arena, "%s:%s", user, password);
    size_t n = strlen(plain);
    unsigned char *b64 = hv_arena_alloc(ctx->arena, 4 * (n / 3 + 1) + 1);

    EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)n);
    return hv_arena_printf(ctx->arena, "Basic %s", (char *)b64);
}

static inline bool contains(const char *haystack, const char *needle) {
    return haystack && strstr(haystack, needle) != NULL;
}
