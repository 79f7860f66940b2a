/*
 * libFuzzer target for the Authorization header: Basic credentials (base64, user:password,
 * robot names) and Bearer tokens (JWT parsing and verification) against an in-memory
 * database with the schema applied.  Whatever the input, authentication either fails
 * cleanly or yields an identity with a name; it must never yield a system administrator.
 */
#include "auth/auth.h"
#include "db/db.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hv_db *db;

static void setup(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_auth_config cfg = {.data_dir = NULL,
                          .token_ttl = 60,
                          .service = "harbor-registry",
                          .issuer = "harbor-token-issuer"};

    if (hv_db_open(&db, &ctx, ":memory:"))
        abort();
    ctx.db = db;
    if (hv_db_migrate(db, &ctx) || hv_auth_init(&ctx, &cfg))
        abort();
    hv_arena_free(ctx.arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_identity who;
    char *header;

    if (!db)
        setup();
    ctx.db = db;
    header = malloc(size + 1);
    memcpy(header, data, size);
    header[size] = '\0';
    for (int realm = HV_AUTH_REGISTRY; realm <= HV_AUTH_API; realm++) {
        if (hv_auth_authenticate(&who, &ctx, header, (hv_auth_realm)realm) == HV_OK) {
            assert(who.name);
            assert(!who.sysadmin); /* the database has no users */
        }
        hv_error_clear(&ctx);
    }
    free(header);
    hv_arena_free(ctx.arena);
    return 0;
}
