/*
 * Logging in with Basic credentials: users (right and wrong passwords, the anonymous
 * "Basic Og=="), robots (project and system robots, wrong secrets, disabled and expired
 * accounts), the identity each gets, and the failed-login throttle.
 */
#include "fixture.c"

#include <sodium.h>

static int64_t robot_id;

static void setup(void) {
    hv_ctx ctx;

    fixture_setup();
    ctx = new_ctx();
    load_projects(&ctx);
    hv_arena_free(ctx.arena);
}

/* Creates a robot with secret "S3cretS3cret" and returns its id. */
static int64_t make_robot(hv_ctx *ctx, const char *name, const char *level, int64_t project_id,
                          bool disabled, int64_t expires_at) {
    static hv_robot_permission perms[] = {
        {"project", "library", "repository", "pull"},
        {"project", "library", "repository", "push"},
    };
    hv_robot r = {.name = name,
                  .level = level,
                  .project_id = project_id,
                  .disabled = disabled,
                  .duration = expires_at == -1 ? -1 : 1,
                  .expires_at = expires_at,
                  .permissions = perms,
                  .n_permissions = 2};
    char *hash = NULL;
    int64_t id = 0;

    CHECK_INT(hv_auth_password_hash(&hash, ctx, "S3cretS3cret"), HV_OK);
    r.secret_hash = hash;
    CHECK_INT(hv_model_robot_create(&id, ctx, &r), HV_OK);
    free(hash);
    return id;
}

static void test_user(void) {
    hv_ctx ctx = new_ctx();
    hv_identity who;

    CHECK_INT(hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "dev", "Passw0rd"), HV_AUTH_API),
              HV_OK);
    CHECK_INT(who.kind, HV_ID_USER);
    CHECK_STR(who.name, "dev");
    CHECK_INT(who.user_id, user_ids[HV_ROLE_DEVELOPER]);
    CHECK(!who.sysadmin);
    CHECK(!who.via_token);
    /* a second time from the cache */
    CHECK_INT(
        hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "dev", "Passw0rd"), HV_AUTH_REGISTRY),
        HV_OK);
    CHECK_STR(who.name, "dev");

    CHECK_INT(
        hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "admin", "Passw0rd"), HV_AUTH_API),
        HV_OK);
    CHECK(who.sysadmin);

    CHECK_INT(hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "dev", "wrong"), HV_AUTH_API),
              HV_E_UNAUTHORIZED);
    CHECK_STR(ctx.err.message, "invalid username or password");
    CHECK(!contains(ctx.err.message, "wrong"));
    CHECK_INT(who.kind, HV_ID_ANONYMOUS);
    CHECK_INT(hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "nobody", "x"), HV_AUTH_API),
              HV_E_UNAUTHORIZED);

    /* anonymous: no header, and containers/image's empty credentials */
    CHECK_INT(hv_auth_authenticate(&who, &ctx, NULL, HV_AUTH_API), HV_OK);
    CHECK_INT(who.kind, HV_ID_ANONYMOUS);
    CHECK_INT(hv_auth_authenticate(&who, &ctx, "Basic Og==", HV_AUTH_REGISTRY), HV_OK);
    CHECK_INT(who.kind, HV_ID_ANONYMOUS);
    CHECK_STR(who.name, "anonymous");

    CHECK_INT(hv_auth_authenticate(&who, &ctx, "Basic !!!", HV_AUTH_API), HV_E_UNAUTHORIZED);
    CHECK_INT(hv_auth_authenticate(&who, &ctx, "Basic bm9jb2xvbg==", HV_AUTH_API),
              HV_E_UNAUTHORIZED);
    CHECK_INT(hv_auth_authenticate(&who, &ctx, "Digest x", HV_AUTH_API), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "unsupported"));
    hv_arena_free(ctx.arena);
}

static void test_password_cost(void) {
    hv_ctx ctx = new_ctx();
    char *hash = NULL;

    CHECK_INT(hv_auth_password_hash(&hash, &ctx, "pw"), HV_OK);
    CHECK(contains(hash, "$argon2id$"));
    CHECK(contains(hash, "$m=19456,t=2,"));
    CHECK(hv_auth_password_verify(hash, "pw"));
    CHECK(!hv_auth_password_verify(hash, "pW"));
    CHECK(!hv_auth_password_verify(NULL, "pw"));
    free(hash);
    hv_arena_free(ctx.arena);
}

static void test_robot(void) {
    hv_ctx ctx = new_ctx();
    hv_identity who;
    int64_t now = hv_now_ms() / 1000;

    robot_id = make_robot(&ctx, "library+ci", "project", library.id, false, -1);
    CHECK_INT(hv_auth_authenticate(&who, &ctx,
                                   basic_header(&ctx, "robot$library+ci", "S3cretS3cret"),
                                   HV_AUTH_REGISTRY),
              HV_OK);
    CHECK_INT(who.kind, HV_ID_ROBOT);
    CHECK_INT(who.robot_id, robot_id);
    CHECK_STR(who.name, "robot$library+ci");
    CHECK(!who.sysadmin);
    CHECK(!who.via_token);
    CHECK_INT(who.n_permissions, 2);
    if (who.n_permissions == 2)
        CHECK_STR(who.permissions[1].action, "push");

    /* a system robot, with an expiry in the future */
    make_robot(&ctx, "ops", "system", 0, false, now + 3600);
    CHECK_INT(hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "robot$ops", "S3cretS3cret"),
                                   HV_AUTH_API),
              HV_OK);
    CHECK_STR(who.name, "robot$ops");

    /* a robot is not a user, nor a user a robot */
    CHECK_INT(hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "library+ci", "S3cretS3cret"),
                                   HV_AUTH_API),
              HV_E_UNAUTHORIZED);
    CHECK_INT(
        hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "robot$dev", "Passw0rd"), HV_AUTH_API),
        HV_E_UNAUTHORIZED);
    CHECK_INT(hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "robot$", "x"), HV_AUTH_API),
              HV_E_UNAUTHORIZED);

    CHECK_INT(hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "robot$library+ci", "wrong"),
                                   HV_AUTH_API),
              HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "invalid robot name or secret"));
    CHECK(!contains(ctx.err.message, "wrong"));
    CHECK_INT(who.kind, HV_ID_ANONYMOUS);
    hv_arena_free(ctx.arena);
}

static void test_robot_disabled(void) {
    hv_ctx ctx = new_ctx();
    hv_identity who;

    make_robot(&ctx, "library+off", "project", library.id, true, -1);
    CHECK_INT(hv_auth_authenticate(&who, &ctx,
                                   basic_header(&ctx, "robot$library+off", "S3cretS3cret"),
                                   HV_AUTH_REGISTRY),
              HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "disabled"));
    CHECK_INT(who.kind, HV_ID_ANONYMOUS);
    hv_arena_free(ctx.arena);
}

static void test_robot_expired(void) {
    hv_ctx ctx = new_ctx();
    hv_identity who;
    int64_t now = hv_now_ms() / 1000;

    make_robot(&ctx, "library+old", "project", library.id, false, now - 1);
    CHECK_INT(hv_auth_authenticate(&who, &ctx,
                                   basic_header(&ctx, "robot$library+old", "S3cretS3cret"),
                                   HV_AUTH_REGISTRY),
              HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "expired"));
    CHECK_INT(who.kind, HV_ID_ANONYMOUS);

    /* expiring exactly now is expired too */
    make_robot(&ctx, "library+now", "project", library.id, false, now);
    CHECK_INT(hv_auth_authenticate(&who, &ctx,
                                   basic_header(&ctx, "robot$library+now", "S3cretS3cret"),
                                   HV_AUTH_REGISTRY),
              HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "expired"));
    hv_arena_free(ctx.arena);
}

static void test_throttle(void) {
    hv_ctx ctx = new_ctx();
    hv_identity who;

    /* four failures, then a success, clear the count */
    for (int i = 0; i < 4; i++)
        CHECK_INT(
            hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "guest", "nope"), HV_AUTH_API),
            HV_E_UNAUTHORIZED);
    CHECK_INT(
        hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "guest", "Passw0rd"), HV_AUTH_API),
        HV_OK);
    for (int i = 0; i < 4; i++)
        CHECK_INT(
            hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "guest", "nope"), HV_AUTH_API),
            HV_E_UNAUTHORIZED);
    CHECK_INT(
        hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "guest", "Passw0rd"), HV_AUTH_API),
        HV_OK);

    /* five failures within the window: the name is refused, even with the right password */
    for (int i = 0; i < 5; i++)
        CHECK_INT(
            hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "maint", "nope"), HV_AUTH_API),
            HV_E_UNAUTHORIZED);
    CHECK_INT(
        hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "maint", "Passw0rd"), HV_AUTH_API),
        HV_E_TOOMANYREQUESTS);
    CHECK(contains(ctx.err.message, "too many failed logins for maint from this address"));
    CHECK(contains(ctx.err.message, "; retry in "));
    CHECK(ctx.err.retry_after > 25 && ctx.err.retry_after <= 30);
    CHECK_INT(who.kind, HV_ID_ANONYMOUS);
    CHECK_INT(hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "maint", "nope"), HV_AUTH_API),
              HV_E_TOOMANYREQUESTS);
    /* other names are not affected */
    CHECK_INT(
        hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "limited", "Passw0rd"), HV_AUTH_API),
        HV_OK);

    /* unknown names and robots are throttled the same way (a success first clears the
     * failure test_robot left) */
    CHECK_INT(hv_auth_authenticate(&who, &ctx,
                                   basic_header(&ctx, "robot$library+ci", "S3cretS3cret"),
                                   HV_AUTH_REGISTRY),
              HV_OK);
    for (int i = 0; i < 5; i++)
        CHECK_INT(hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "robot$library+ci", "no"),
                                       HV_AUTH_REGISTRY),
                  HV_E_UNAUTHORIZED);
    CHECK_INT(hv_auth_authenticate(&who, &ctx,
                                   basic_header(&ctx, "robot$library+ci", "S3cretS3cret"),
                                   HV_AUTH_REGISTRY),
              HV_E_TOOMANYREQUESTS);
    for (int i = 0; i < 5; i++)
        CHECK_INT(hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "ghost", "no"), HV_AUTH_API),
                  HV_E_UNAUTHORIZED);
    CHECK_INT(hv_auth_authenticate(&who, &ctx, basic_header(&ctx, "ghost", "no"), HV_AUTH_API),
              HV_E_TOOMANYREQUESTS);
    hv_arena_free(ctx.arena);
}

/* Failures count per (client network, name): a name locked from one address still logs in
 * from another at once, so nobody can lock its owner out (test_throttle.c: the table). */
static hv_err api_login(hv_identity *who, hv_ctx *ctx, const char *user, const char *password) {
    return hv_auth_authenticate(who, ctx, basic_header(ctx, user, password), HV_AUTH_API);
}

static void test_throttle_per_client(void) {
    hv_ctx ctx = new_ctx();
    hv_identity who;

    ctx.client = "192.0.2.7";
    for (int i = 0; i < 5; i++)
        CHECK_INT(api_login(&who, &ctx, "padmin", "nope"), HV_E_UNAUTHORIZED);
    CHECK_INT(api_login(&who, &ctx, "padmin", "Passw0rd"), HV_E_TOOMANYREQUESTS);
    ctx.client = "198.51.100.1";
    CHECK_INT(api_login(&who, &ctx, "padmin", "Passw0rd"), HV_OK);
    CHECK_STR(who.name, "padmin");
    /* the owner's success lifts nothing of the attacker's */
    ctx.client = "192.0.2.7";
    CHECK_INT(api_login(&who, &ctx, "padmin", "Passw0rd"), HV_E_TOOMANYREQUESTS);
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_user, test_password_cost, test_robot, test_robot_disabled, test_robot_expired,
          test_throttle, test_throttle_per_client, fixture_teardown)
