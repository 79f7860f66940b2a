/*
 * Authentication and authorisation.
 *
 * Basic credentials are checked against the user's argon2id hash.  A successful check is
 * remembered for CACHE_TTL_MS under HMAC-SHA256(process key, user, password, stored hash):
 * the password itself is never kept, the key never leaves the process, and a changed
 * password (a new stored hash) misses the cache at once.
 *
 * hv_auth_can is the single permission check.  Today: system administrators may do
 * everything; anyone may pull from a public project; everything else needs a role that the
 * access issue (members, robots, RBAC) adds here.
 */
#include "auth/auth.h"
#include "model/model.h"

#include <openssl/hmac.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#define CACHE_SLOTS  4096
#define CACHE_TTL_MS 60000
#define CRED_MAX     1024

static unsigned char cache_key[32];
static struct {
    unsigned char mac[32];
    int64_t expires;
} cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

hv_err hv_auth_init(hv_ctx *ctx, const hv_auth_config *cfg) {
    (void)cfg;
    if (sodium_init() < 0)
        return HV_FAIL(ctx, HV_E_INTERNAL, "libsodium failed to initialise");
    hv_random(cache_key, sizeof(cache_key));
    return HV_OK;
}

hv_err hv_auth_password_hash(char **out, hv_ctx *ctx, const char *password) {
    char hash[crypto_pwhash_STRBYTES];

    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return HV_FAIL(ctx, HV_E_INTERNAL, "password hashing ran out of memory");
    *out = hv_strdup(hash);
    return HV_OK;
}

bool hv_auth_password_verify(const char *hash, const char *password) {
    return hash && crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static void credential_mac(unsigned char mac[32], hv_ctx *ctx, const char *user,
                           const char *password, const char *hash) {
    /* HMAC over "user \0 password \0 hash" */
    char *msg = hv_arena_printf(ctx->arena, "%s%c%s%c%s", user, 0, password, 0, hash);
    size_t len = strlen(user) + strlen(password) + strlen(hash) + 2;
    unsigned int mac_len = 32;

    HMAC(EVP_sha256(), cache_key, sizeof(cache_key), (const unsigned char *)msg, len, mac,
         &mac_len);
    sodium_memzero(msg, len);
}

static bool cache_hit(const unsigned char mac[32]) {
    size_t slot = ((size_t)mac[0] << 8 | mac[1]) % CACHE_SLOTS;
    bool hit;

    pthread_mutex_lock(&cache_lock);
    hit = cache[slot].expires > hv_now_ms() && hv_secure_equal(cache[slot].mac, mac, 32);
    pthread_mutex_unlock(&cache_lock);
    return hit;
}

static void cache_store(const unsigned char mac[32]) {
    size_t slot = ((size_t)mac[0] << 8 | mac[1]) % CACHE_SLOTS;

    pthread_mutex_lock(&cache_lock);
    memcpy(cache[slot].mac, mac, 32);
    cache[slot].expires = hv_now_ms() + CACHE_TTL_MS;
    pthread_mutex_unlock(&cache_lock);
}

static hv_err basic(hv_identity *out, hv_ctx *ctx, const char *b64) {
    size_t len = strlen(b64);
    unsigned char *plain;
    unsigned char mac[32];
    char *user, *password, *colon;
    hv_user u;
    long n;

    if (len > CRED_MAX)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "credentials too long");
    plain = hv_arena_alloc(ctx->arena, len + 4);
    n = hv_base64_decode(plain, b64, len);
    if (n < 0)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "malformed Basic credentials");
    plain[n] = '\0';
    if (memchr(plain, '\0', (size_t)n))
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "malformed Basic credentials");
    user = (char *)plain;
    colon = strchr(user, ':');
    if (!colon)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "malformed Basic credentials");
    *colon = '\0';
    password = colon + 1;
    /* containers/image sends "Basic Og==" (empty user and password) when it has no
     * credentials after a Basic challenge: that is an anonymous caller */
    if (!*user && !*password)
        return HV_OK;
    if (hv_model_user_get(&u, ctx, user) != HV_OK) {
        if (ctx->err.code != HV_E_NOT_FOUND)
            return ctx->err.code;
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "invalid username or password");
    }
    if (!u.password_hash)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "invalid username or password");
    credential_mac(mac, ctx, user, password, u.password_hash);
    if (!cache_hit(mac)) {
        if (!hv_auth_password_verify(u.password_hash, password))
            return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "invalid username or password");
        cache_store(mac);
    }
    out->kind = HV_ID_USER;
    out->user_id = u.id;
    out->name = u.username;
    out->sysadmin = u.sysadmin;
    return HV_OK;
}

hv_err hv_auth_authenticate(hv_identity *out, hv_ctx *ctx, const char *authorization,
                            hv_auth_realm realm) {
    (void)realm;
    memset(out, 0, sizeof(*out));
    out->kind = HV_ID_ANONYMOUS;
    out->name = "anonymous";
    if (!authorization || !*authorization)
        return HV_OK;
    if (strncasecmp(authorization, "Basic ", 6) == 0)
        return basic(out, ctx, authorization + 6);
    return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "unsupported authorization scheme; use Basic");
}

/* Harbor's public-project policies: what anyone may do in a public project. */
static bool public_allows(const char *resource, const char *action) {
    static const char *const pairs[][2] = {{"", "read"},
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

    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        if (strcmp(pairs[i][0], resource) == 0 && strcmp(pairs[i][1], action) == 0)
            return true;
    }
    return false;
}

hv_err hv_auth_can(hv_ctx *ctx, const hv_identity *who, const hv_project *project,
                   const char *resource, const char *action) {
    const char *what = project ? project->name : "the system";

    if (who->kind == HV_ID_USER && who->sysadmin && !who->via_token)
        return HV_OK;
    if (project && project->public && public_allows(resource, action))
        return HV_OK;
    if (who->kind == HV_ID_ANONYMOUS)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "authentication required to %s %s of %s", action,
                       *resource ? resource : "project", what);
    return HV_FAIL(ctx, HV_E_DENIED, "%s may not %s %s of %s", who->name, action,
                   *resource ? resource : "project", what);
}
