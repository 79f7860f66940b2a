/*
 * Registry tokens: the key kept sealed in the secret store and its libtrust kid, issue and
 * authenticate round trips for users, robots and anonymous callers, scope parsing, and
 * every way a presented token is refused (tampering, alg none, HS256, expiry, nbf, audience,
 * issuer, the API realm).  Forged tokens are signed here with the key from the secret
 * store, so only the claim under test is wrong.
 */
#include "fixture.c"

#include <jansson.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

static EVP_PKEY *key;

static void setup(void) {
    hv_ctx ctx;
    void *pem = NULL;
    size_t len = 0;
    BIO *bio;

    fixture_setup();
    ctx = new_ctx();
    CHECK_INT(hv_auth_secret_get(&pem, &len, &ctx, "token_signing_key"), HV_OK);
    bio = BIO_new_mem_buf(pem, (int)len);
    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    CHECK(key != NULL);
    hv_arena_free(ctx.arena);
}

static void teardown(void) {
    EVP_PKEY_free(key);
    fixture_teardown();
}

/* ---------------------------------------------------------------- helpers */

static char *b64url(hv_ctx *ctx, const void *data, size_t n) {
    unsigned char *out = hv_arena_alloc(ctx->arena, 4 * (n / 3 + 1) + 1);
    int len = EVP_EncodeBlock(out, data, (int)n);

    while (len > 0 && out[len - 1] == '=')
        out[--len] = '\0';
    for (int i = 0; i < len; i++) {
        if (out[i] == '+')
            out[i] = '-';
        else if (out[i] == '/')
            out[i] = '_';
    }
    return (char *)out;
}

static unsigned char *unb64url(hv_ctx *ctx, const char *s, size_t n, size_t *len) {
    char *std = hv_arena_alloc(ctx->arena, n + 4);
    unsigned char *out = hv_arena_alloc(ctx->arena, n + 4);
    size_t i;
    int got;

    for (i = 0; i < n; i++)
        std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    while (i % 4)
        std[i++] = '=';
    got = EVP_DecodeBlock(out, (unsigned char *)std, (int)i);
    *len = got < 0 ? 0 : (size_t)got - (n % 4 == 2 ? 2 : n % 4 == 3 ? 1 : 0);
    out[*len] = '\0';
    return out;
}

/* The claims of a compact token (caller decrefs). */
static json_t *claims_of(hv_ctx *ctx, const char *token) {
    const char *dot1 = strchr(token, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    size_t len;
    unsigned char *raw;

    if (!dot2)
        return NULL;
    raw = unb64url(ctx, dot1 + 1, (size_t)(dot2 - dot1 - 1), &len);
    return json_loadb((char *)raw, len, 0, NULL);
}

static json_t *header_of(hv_ctx *ctx, const char *token) {
    const char *dot1 = strchr(token, '.');
    size_t len;
    unsigned char *raw = unb64url(ctx, token, (size_t)(dot1 - token), &len);

    return json_loadb((char *)raw, len, 0, NULL);
}

enum sign { SIGN_RS256, SIGN_NONE, SIGN_HS256 };

/* A token with the given header and claims (JSON text), signed as asked. */
static const char *forge(hv_ctx *ctx, const char *header, const char *claims, enum sign how) {
    char *input = hv_arena_printf(ctx->arena, "%s.%s", b64url(ctx, header, strlen(header)),
                                  b64url(ctx, claims, strlen(claims)));
    unsigned char sig[512];
    size_t sig_len = sizeof(sig);

    if (how == SIGN_NONE)
        return hv_arena_printf(ctx->arena, "%s.", input);
    if (how == SIGN_HS256) {
        /* the classic confusion: HMAC keyed with the public key */
        unsigned char *der = NULL;
        int der_len = i2d_PUBKEY(key, &der);
        unsigned int mac_len = 0;
        HMAC(EVP_sha256(), der, der_len, (unsigned char *)input, strlen(input), sig, &mac_len);
        OPENSSL_free(der);
        sig_len = mac_len;
    } else {
        EVP_MD_CTX *md = EVP_MD_CTX_new();
        CHECK(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
        CHECK(EVP_DigestSign(md, sig, &sig_len, (unsigned char *)input, strlen(input)) == 1);
        EVP_MD_CTX_free(md);
    }
    return hv_arena_printf(ctx->arena, "%s.%s", input, b64url(ctx, sig, sig_len));
}

static const char *rs256_header = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";

/* Claims valid now for "dev" with pull on library/app, with one field overridden. */
static const char *claims_with(hv_ctx *ctx, const char *iss, const char *aud, int64_t exp,
                               int64_t nbf) {
    return hv_arena_printf(ctx->arena,
                           "{\"iss\":\"%s\",\"sub\":\"dev\",\"aud\":\"%s\",\"exp\":%lld,"
                           "\"nbf\":%lld,\"iat\":%lld,\"jti\":\"abc\",\"access\":[{\"type\":"
                           "\"repository\",\"name\":\"library/app\",\"actions\":[\"pull\"]}]}",
                           iss, aud, (long long)exp, (long long)nbf, (long long)nbf);
}

static hv_err present(hv_identity *who, hv_ctx *ctx, const char *token, hv_auth_realm realm) {
    return hv_auth_authenticate(who, ctx, hv_arena_printf(ctx->arena, "Bearer %s", token), realm);
}

static const char *issue(hv_ctx *ctx, const hv_identity *who, const char *scope) {
    const char *token = NULL;
    int64_t expires_in = 0;
    const char *scopes[] = {scope};

    CHECK_INT(hv_auth_token_issue(&token, &expires_in, ctx, who, scopes, scope ? 1 : 0), HV_OK);
    CHECK_INT(expires_in, 1800);
    return token;
}

/* The actions granted for entry i of the token's access, joined by ','. */
static const char *granted(hv_ctx *ctx, const char *token, size_t i, const char **type,
                           const char **name) {
    json_t *claims = claims_of(ctx, token), *e, *a;
    char *out = "";
    size_t j;

    e = json_array_get(json_object_get(claims, "access"), i);
    if (!e) {
        json_decref(claims);
        return NULL;
    }
    *type = hv_arena_strdup(ctx->arena, json_string_value(json_object_get(e, "type")));
    *name = hv_arena_strdup(ctx->arena, json_string_value(json_object_get(e, "name")));
    json_array_foreach(json_object_get(e, "actions"), j, a) {
        out = hv_arena_printf(ctx->arena, "%s%s%s", out, *out ? "," : "", json_string_value(a));
    }
    json_decref(claims);
    return out;
}

/* ---------------------------------------------------------------- tests */

static void test_key(void) {
    hv_ctx ctx = new_ctx();
    const void *sealed;
    size_t sealed_len;
    unsigned char *der = NULL, hash[32];
    unsigned int hash_len;
    int der_len;
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    char want[60];
    size_t o = 0;
    int bit = 0;
    json_t *h;
    const char *token;

    /* the database holds it sealed, not as PEM */
    CHECK_INT(hv_model_secret_get(&sealed, &sealed_len, &ctx, "token_signing_key"), HV_OK);
    CHECK(sealed_len > 1000 && !memmem(sealed, sealed_len, "PRIVATE KEY", 11));
    CHECK(EVP_PKEY_is_a(key, "RSA"));
    CHECK_INT(EVP_PKEY_get_bits(key), 2048);

    /* libtrust's kid, computed independently */
    der_len = i2d_PUBKEY(key, &der);
    EVP_Digest(der, (size_t)der_len, hash, &hash_len, EVP_sha256(), NULL);
    OPENSSL_free(der);
    for (int c = 0; c < 48; c++) {
        int v = 0;
        for (int k = 0; k < 5; k++, bit++)
            v = v << 1 | (hash[bit / 8] >> (7 - bit % 8) & 1);
        if (c && c % 4 == 0)
            want[o++] = ':';
        want[o++] = b32[v];
    }
    want[o] = '\0';
    CHECK_INT(strlen(want), 59);

    hv_identity dev = user_identity(HV_ROLE_DEVELOPER);
    token = issue(&ctx, &dev, NULL);
    h = header_of(&ctx, token);
    CHECK_STR(json_string_value(json_object_get(h, "alg")), "RS256");
    CHECK_STR(json_string_value(json_object_get(h, "typ")), "JWT");
    CHECK_STR(json_string_value(json_object_get(h, "kid")), want);
    json_decref(h);

    /* a restart loads the same key: tokens issued before still verify */
    hv_auth_config cfg = {.data_dir = root,
                          .token_ttl = 1800,
                          .service = "harbor-registry",
                          .issuer = "harbor-token-issuer"};
    hv_identity who;
    CHECK_INT(hv_auth_init(&ctx, &cfg), HV_OK);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_OK);
    hv_arena_free(ctx.arena);
}

static void test_round_trip(void) {
    hv_ctx ctx = new_ctx();
    hv_identity dev = user_identity(HV_ROLE_DEVELOPER), who;
    const char *token, *type, *name;
    json_t *claims;
    int64_t now = hv_now_ms() / 1000;

    load_projects(&ctx);
    token = issue(&ctx, &dev, "repository:library/app:pull,push,delete");
    CHECK_STR(granted(&ctx, token, 0, &type, &name), "pull,push");
    CHECK_STR(type, "repository");
    CHECK_STR(name, "library/app");

    claims = claims_of(&ctx, token);
    CHECK_STR(json_string_value(json_object_get(claims, "iss")), "harbor-token-issuer");
    CHECK_STR(json_string_value(json_object_get(claims, "sub")), "dev");
    CHECK_STR(json_string_value(json_object_get(claims, "aud")), "harbor-registry");
    CHECK(json_integer_value(json_object_get(claims, "exp")) >= now + 1800);
    CHECK(json_integer_value(json_object_get(claims, "exp")) <= now + 1801);
    CHECK(llabs((long long)(json_integer_value(json_object_get(claims, "nbf")) - now)) <= 1);
    CHECK(llabs((long long)(json_integer_value(json_object_get(claims, "iat")) - now)) <= 1);
    const char *jti = json_string_value(json_object_get(claims, "jti"));
    CHECK(jti && strlen(jti) == 16 &&
          strspn(jti, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
                      "uvwxyz0123456789") == 16);
    json_decref(claims);

    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_OK);
    CHECK_INT(who.kind, HV_ID_USER);
    CHECK_STR(who.name, "dev");
    CHECK(who.via_token);
    CHECK(!who.sysadmin);
    CHECK_INT(who.n_access, 1);
    if (who.n_access == 1) {
        CHECK_STR(who.access[0].name, "library/app");
        CHECK_INT(who.access[0].actions, HV_TOKEN_PULL | HV_TOKEN_PUSH);
    }
    /* the token's access, and nothing else */
    CHECK_INT(hv_auth_can(&ctx, &who, &library, "repository", "push"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &who, &library, "repository", "pull"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &who, &library, "repository", "delete"), HV_E_DENIED);
    CHECK(contains(ctx.err.message, "dev"));
    CHECK_INT(hv_auth_can(&ctx, &who, &library, "artifact", "read"), HV_E_DENIED);
    CHECK_INT(hv_auth_can(&ctx, &who, NULL, "catalog", "read"), HV_E_DENIED);
    /* a public project's policies hold for everyone */
    CHECK_INT(hv_auth_can(&ctx, &who, &pub, "repository", "pull"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &who, &pub, "repository", "push"), HV_E_DENIED);

    /* a system administrator's token: never sysadmin itself, catalog kept */
    hv_identity admin = user_identity(0);
    const char *scopes[] = {"repository:library/app:*", "registry:catalog:*"};
    int64_t expires_in;
    CHECK_INT(hv_auth_token_issue(&token, &expires_in, &ctx, &admin, scopes, 2), HV_OK);
    CHECK_STR(granted(&ctx, token, 0, &type, &name), "pull,push,delete");
    CHECK_STR(granted(&ctx, token, 1, &type, &name), "*");
    CHECK_STR(type, "registry");
    CHECK_STR(name, "catalog");
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_OK);
    CHECK(who.via_token);
    CHECK(!who.sysadmin);
    CHECK_INT(hv_auth_can(&ctx, &who, &library, "repository", "delete"), HV_OK);
    CHECK_INT(hv_auth_can(&ctx, &who, &library, "member", "create"), HV_E_DENIED);
    hv_arena_free(ctx.arena);
}

static void test_robot_and_anonymous(void) {
    hv_ctx ctx = new_ctx();
    hv_robot_permission perms[] = {{"project", "library", "repository", "push"}};
    hv_identity robot = {.kind = HV_ID_ROBOT,
                         .robot_id = 7,
                         .project_robot = true,
                         .name = "robot$library+ci",
                         .permissions = perms,
                         .n_permissions = 1};
    hv_identity anon = {.kind = HV_ID_ANONYMOUS, .name = "anonymous"}, who;
    const char *token, *type, *name;
    json_t *claims;

    load_projects(&ctx);
    token = issue(&ctx, &robot, "repository:library/app:pull,push repository:pub/x:push,pull");
    CHECK_STR(granted(&ctx, token, 0, &type, &name), "pull,push");
    CHECK_STR(granted(&ctx, token, 1, &type, &name), "pull");
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_OK);
    CHECK_INT(who.kind, HV_ID_ROBOT);
    CHECK_STR(who.name, "robot$library+ci");
    CHECK(who.via_token);

    token = issue(&ctx, &anon, "repository:pub/x:pull,push repository:library/app:pull");
    claims = claims_of(&ctx, token);
    CHECK_STR(json_string_value(json_object_get(claims, "sub")), "");
    json_decref(claims);
    CHECK_STR(granted(&ctx, token, 0, &type, &name), "pull");
    CHECK_STR(granted(&ctx, token, 1, &type, &name), "");
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_OK);
    CHECK_INT(who.kind, HV_ID_ANONYMOUS);
    CHECK(who.via_token);
    CHECK_INT(hv_auth_can(&ctx, &who, &pub, "repository", "pull"), HV_OK);
    /* an anonymous caller who may not is asked to log in */
    CHECK_INT(hv_auth_can(&ctx, &who, &pub, "repository", "push"), HV_E_UNAUTHORIZED);
    CHECK_INT(hv_auth_can(&ctx, &who, &library, "repository", "pull"), HV_E_UNAUTHORIZED);
    hv_arena_free(ctx.arena);
}

static void test_scopes(void) {
    hv_ctx ctx = new_ctx();
    hv_identity dev = user_identity(HV_ROLE_DEVELOPER);
    const char *scopes[] = {"repository:library/app:tag:pull repository:library/b:push,bogus",
                            "registry:catalog:*", "repository:missing/x:pull",
                            "foo:bar:baz  repository:library/c",
                            "repository:library/d:scanner-pull,*"};
    const char *token, *type, *name;
    int64_t expires_in;

    CHECK_INT(hv_auth_token_issue(&token, &expires_in, &ctx, &dev, scopes, 5), HV_OK);
    /* the name may hold ':' -- split on the first and last */
    CHECK_STR(granted(&ctx, token, 0, &type, &name), "pull");
    CHECK_STR(name, "library/app:tag");
    CHECK_STR(granted(&ctx, token, 1, &type, &name), "push");
    CHECK_STR(name, "library/b");
    /* the catalog only for system administrators */
    CHECK_STR(granted(&ctx, token, 2, &type, &name), "");
    CHECK_STR(type, "registry");
    /* an unknown project grants nothing */
    CHECK_STR(granted(&ctx, token, 3, &type, &name), "");
    CHECK_STR(name, "missing/x");
    /* other types get nothing */
    CHECK_STR(granted(&ctx, token, 4, &type, &name), "");
    CHECK_STR(type, "foo");
    CHECK_STR(name, "bar");
    /* type:name without actions */
    CHECK_STR(granted(&ctx, token, 5, &type, &name), "");
    CHECK_STR(name, "library/c");
    /* "*" is every action the caller may do */
    CHECK_STR(granted(&ctx, token, 6, &type, &name), "pull,push");
    CHECK(granted(&ctx, token, 7, &type, &name) == NULL);
    CHECK_INT(ctx.err.code, HV_OK);

    /* no scope: a token without access (docker login) */
    token = issue(&ctx, &dev, NULL);
    CHECK(granted(&ctx, token, 0, &type, &name) == NULL);

    /* bounded */
    char *many = "";
    for (int i = 0; i < 101; i++)
        many = hv_arena_printf(ctx.arena, "%s repository:library/r%d:pull", many, i);
    const char *one[] = {many};
    CHECK_INT(hv_auth_token_issue(&token, &expires_in, &ctx, &dev, one, 1), HV_E_BAD_REQUEST);
    hv_arena_free(ctx.arena);
}

static void test_refused(void) {
    hv_ctx ctx = new_ctx();
    hv_identity who;
    int64_t now = hv_now_ms() / 1000;
    const char *iss = "harbor-token-issuer", *aud = "harbor-registry";
    const char *good =
        forge(&ctx, rs256_header, claims_with(&ctx, iss, aud, now + 600, now), SIGN_RS256);
    const char *token, *dot;
    char *bad;

    /* the forging is right: a good token passes */
    CHECK_INT(present(&who, &ctx, good, HV_AUTH_REGISTRY), HV_OK);
    CHECK_STR(who.name, "dev");

    /* on the API realm no token is accepted */
    CHECK_INT(present(&who, &ctx, good, HV_AUTH_API), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "only on /v2"));
    CHECK_INT(who.kind, HV_ID_ANONYMOUS);

    /* tampered payload: another subject under the original signature */
    dot = strrchr(good, '.');
    token = forge(&ctx, rs256_header,
                  "{\"iss\":\"harbor-token-issuer\",\"sub\":\"admin\",\"aud\":\"harbor-registry\","
                  "\"exp\":9999999999}",
                  SIGN_RS256);
    bad = hv_arena_printf(ctx.arena, "%.*s%s", (int)(strrchr(token, '.') - token), token, dot);
    CHECK_INT(present(&who, &ctx, bad, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "signature"));
    CHECK(!contains(ctx.err.message, bad));
    CHECK_INT(who.kind, HV_ID_ANONYMOUS);

    /* tampered signature */
    bad = hv_arena_strdup(ctx.arena, good);
    bad[strlen(bad) - 10] = bad[strlen(bad) - 10] == 'A' ? 'B' : 'A';
    CHECK_INT(present(&who, &ctx, bad, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "signature"));

    /* alg none, with and without a signature */
    token = forge(&ctx, "{\"alg\":\"none\",\"typ\":\"JWT\"}",
                  claims_with(&ctx, iss, aud, now + 600, now), SIGN_NONE);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
    bad = hv_arena_printf(ctx.arena, "%s%s", token, dot + 1);
    CHECK_INT(present(&who, &ctx, bad, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "algorithm"));
    token =
        forge(&ctx, "{\"typ\":\"JWT\"}", claims_with(&ctx, iss, aud, now + 600, now), SIGN_RS256);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "algorithm"));
    token =
        forge(&ctx, "{\"alg\":\"rs256\"}", claims_with(&ctx, iss, aud, now + 600, now), SIGN_RS256);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);

    /* HS256 keyed with our public key */
    token = forge(&ctx, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
                  claims_with(&ctx, iss, aud, now + 600, now), SIGN_HS256);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "algorithm"));

    /* expired: within the 60 s leeway still good, beyond it refused */
    token = forge(&ctx, rs256_header, claims_with(&ctx, iss, aud, now - 30, now - 600), SIGN_RS256);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_OK);
    token =
        forge(&ctx, rs256_header, claims_with(&ctx, iss, aud, now - 120, now - 600), SIGN_RS256);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "expired"));
    token = forge(&ctx, rs256_header,
                  "{\"iss\":\"harbor-token-issuer\",\"sub\":\"dev\","
                  "\"aud\":\"harbor-registry\"}",
                  SIGN_RS256);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "exp"));

    /* nbf in the future: within the leeway good, beyond it refused */
    token = forge(&ctx, rs256_header, claims_with(&ctx, iss, aud, now + 900, now + 30), SIGN_RS256);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_OK);
    token =
        forge(&ctx, rs256_header, claims_with(&ctx, iss, aud, now + 900, now + 300), SIGN_RS256);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "not valid yet"));

    /* another audience, another issuer */
    token = forge(&ctx, rs256_header, claims_with(&ctx, iss, "other-registry", now + 600, now),
                  SIGN_RS256);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "audience"));
    token = forge(&ctx, rs256_header, claims_with(&ctx, "someone-else", aud, now + 600, now),
                  SIGN_RS256);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "issuer"));
    /* an audience list holding ours is fine */
    token = forge(&ctx, rs256_header,
                  hv_arena_printf(ctx.arena,
                                  "{\"iss\":\"%s\",\"sub\":\"dev\",\"aud\":[\"x\",\"%s\"],"
                                  "\"exp\":%lld}",
                                  iss, aud, (long long)now + 600),
                  SIGN_RS256);
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_OK);

    /* malformed */
    const char *malformed[] = {"", "abc", "a.b", "a.b.c.d", "..", "a..c", "!!.??.##", good + 1};
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        CHECK_INT(present(&who, &ctx, malformed[i], HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
        CHECK_INT(who.kind, HV_ID_ANONYMOUS);
    }
    /* a token from another key (another registry) */
    EVP_PKEY *mine = key;
    key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
    token = forge(&ctx, rs256_header, claims_with(&ctx, iss, aud, now + 600, now), SIGN_RS256);
    EVP_PKEY_free(key);
    key = mine;
    CHECK_INT(present(&who, &ctx, token, HV_AUTH_REGISTRY), HV_E_UNAUTHORIZED);
    CHECK(contains(ctx.err.message, "signature"));
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_key, test_round_trip, test_robot_and_anonymous, test_scopes, test_refused,
          teardown)
