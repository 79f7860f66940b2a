/*
 * Authentication: an Authorization header becomes an identity.
 *
 * Basic credentials name a user (argon2id hash in users) or, with the prefix "robot$", a
 * robot (stored name without the prefix; its secret hashed the same way).  A successful
 * check is remembered for CACHE_TTL_MS under HMAC-SHA256(process key, name, password, stored
 * hash): the password itself is never kept, the key never leaves the process, and a changed
 * password (a new stored hash) misses the cache at once.
 *
 * Every check costs one argon2id run, whether the name exists or not: an unknown user or
 * robot, or an account without a password, is checked against a hash computed once at start
 * from a random password, so the time of a refusal does not tell which names exist.
 *
 * Failed logins are counted per (client network, login name) by the throttle (throttle.c):
 * a pair that failed too often is refused for a while with HV_E_TOOMANYREQUESTS (and the
 * seconds to wait in the error slot) before any hash is computed; the same name from
 * another network logs in at once.  A success clears the pair's count.
 *
 * Bearer tokens (token.c) are accepted on the registry API only.  Nothing here logs a
 * password, secret or token.
 */
#include "auth/auth_int.h"
#include "model/model.h"

#include <openssl/hmac.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CACHE_SLOTS  4096
#define CACHE_TTL_MS 60000
#define CRED_MAX     1024

hv_auth__settings hv_auth__cfg;

static unsigned char cache_key[32];
static struct {
    unsigned char mac[32];
    int64_t expires;
} cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* What an unknown name's password is checked against (see the top of the file). */
static char *dummy_hash;

hv_err hv_auth_init(hv_ctx *ctx, const hv_auth_config *cfg) {
    unsigned char nobody[32];
    char nobody_hex[2 * sizeof(nobody) + 1];
    hv_err rc;

    if (sodium_init() < 0)
        return HV_FAIL(ctx, HV_E_INTERNAL, "libsodium failed to initialise");
    /* before anything starts a thread: the hashing processes are forked here */
    if ((rc = hv_auth__hasher_start(ctx)) != HV_OK)
        return rc;
    hv_random(nobody, sizeof(nobody));
    hv_hex(nobody_hex, nobody, sizeof(nobody));
    free(dummy_hash);
    dummy_hash = NULL;
    if ((rc = hv_auth_password_hash(&dummy_hash, ctx, nobody_hex)) != HV_OK)
        return rc;
    pthread_mutex_lock(&cache_lock);
    hv_random(cache_key, sizeof(cache_key));
    memset(cache, 0, sizeof(cache));
    pthread_mutex_unlock(&cache_lock);
    hv_auth__throttle_reset();

    free(hv_auth__cfg.service);
    free(hv_auth__cfg.issuer);
    hv_auth__cfg.token_ttl = cfg->token_ttl > 0 ? cfg->token_ttl : 1800;
    hv_auth__cfg.service = hv_strdup(cfg->service ? cfg->service : "harbor-registry");
    hv_auth__cfg.issuer = hv_strdup(cfg->issuer ? cfg->issuer : "harbor-token-issuer");
    rc = hv_auth__secrets_init(ctx, cfg->secret_key, cfg->data_dir);
    if (rc)
        return rc;
    return hv_auth__token_init(ctx, cfg->data_dir);
}

/* ---------------------------------------------------------------- the credential cache */

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

    int64_t now = hv_now_ms();

    pthread_mutex_lock(&cache_lock);
    hit = cache[slot].expires > now && hv_secure_equal(cache[slot].mac, mac, 32);
    /* a hit extends the entry: safe, as the key covers the stored hash (a password change
     * misses at once) and the user is looked up on every request; without it every busy
     * client paid argon2id at the same moment when its entry ran out */
    if (hit)
        cache[slot].expires = now + CACHE_TTL_MS;
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

/* Checks password against hash, through the cache.  hash NULL or empty (no such account, or
 * one without a password): false, after as long as a wrong password takes. */
static bool check_secret(hv_ctx *ctx, const char *name, const char *password, const char *hash) {
    unsigned char mac[32];

    if (!hash || !*hash) {
        hv_auth_password_verify(dummy_hash, password);
        return false;
    }
    credential_mac(mac, ctx, name, password, hash);
    if (cache_hit(mac))
        return true;
    if (!hv_auth_password_verify(hash, password))
        return false;
    cache_store(mac);
    return true;
}

/* ---------------------------------------------------------------- Basic */

static hv_err robot_login(hv_identity *out, hv_ctx *ctx, const char *login, const char *secret) {
    const char *stored = login + strlen(HV_AUTH_ROBOT_PREFIX);
    hv_robot r;
    hv_err rc;

    rc = *stored ? hv_model_robot_get_by_name(&r, ctx, stored) : HV_E_NOT_FOUND;
    if (rc && rc != HV_E_NOT_FOUND)
        return rc;
    if (!check_secret(ctx, login, secret, rc ? NULL : r.secret_hash)) {
        hv_auth__throttle_failed(ctx->client, login);
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "invalid robot name or secret for %s", login);
    }
    hv_auth__throttle_succeeded(ctx->client, login);
    if (r.disabled)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "robot account %s is disabled", login);
    if (r.expires_at != -1 && r.expires_at <= hv_now_ms() / 1000)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED,
                       "robot account %s has expired; refresh its expiry or create a new one",
                       login);
    out->kind = HV_ID_ROBOT;
    out->robot_id = r.id;
    out->project_robot = r.level && strcmp(r.level, "project") == 0;
    out->name = hv_arena_strdup(ctx->arena, login);
    out->permissions = r.permissions;
    out->n_permissions = r.n_permissions;
    return HV_OK;
}

static hv_err user_login(hv_identity *out, hv_ctx *ctx, const char *user, const char *password) {
    hv_user u;
    hv_err rc = hv_model_user_get(&u, ctx, user);

    if (rc && rc != HV_E_NOT_FOUND)
        return rc;
    if (!check_secret(ctx, user, password, rc ? NULL : u.password_hash)) {
        hv_auth__throttle_failed(ctx->client, user);
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "invalid username or password");
    }
    hv_auth__throttle_succeeded(ctx->client, user);
    out->kind = HV_ID_USER;
    out->user_id = u.id;
    out->name = u.username;
    out->sysadmin = u.sysadmin;
    return HV_OK;
}

static hv_err basic(hv_identity *out, hv_ctx *ctx, const char *b64) {
    size_t len = strlen(b64);
    unsigned char *plain;
    char *user, *password, *colon;
    int64_t wait;
    long n;
    hv_err rc;

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
    if (!colon) {
        rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED, "malformed Basic credentials");
        goto out;
    }
    *colon = '\0';
    password = colon + 1;
    /* containers/image sends "Basic Og==" (empty user and password) when it has no
     * credentials after a Basic challenge: that is an anonymous caller */
    if (!*user && !*password) {
        rc = HV_OK;
        goto out;
    }
    wait = hv_auth__throttle_wait(ctx->client, user);
    if (wait > 0) {
        rc = HV_FAIL(ctx, HV_E_TOOMANYREQUESTS,
                     "too many failed logins for %s from this address; retry in %lld seconds", user,
                     (long long)wait);
        ctx->err.retry_after = wait;
        goto out;
    }
    if (hv_str_has_prefix(user, HV_AUTH_ROBOT_PREFIX))
        rc = robot_login(out, ctx, user, password);
    else
        rc = user_login(out, ctx, user, password);
out:
    /* the password stays in the arena no longer than needed */
    sodium_memzero(plain, (size_t)n);
    if (out->name == user) /* never points into the wiped buffer */
        out->name = "anonymous";
    return rc;
}

hv_err hv_auth_authenticate(hv_identity *out, hv_ctx *ctx, const char *authorization,
                            hv_auth_realm realm) {
    memset(out, 0, sizeof(*out));
    out->kind = HV_ID_ANONYMOUS;
    out->name = "anonymous";
    if (!authorization || !*authorization)
        return HV_OK;
    if (strncasecmp(authorization, "Basic ", 6) == 0)
        return basic(out, ctx, authorization + 6);
    if (strncasecmp(authorization, "Bearer ", 7) == 0) {
        const char *token = authorization + 7;
        hv_identity id;
        hv_err rc;

        if (realm != HV_AUTH_REGISTRY)
            return HV_FAIL(ctx, HV_E_UNAUTHORIZED,
                           "bearer tokens are accepted only on /v2; use Basic credentials");
        while (*token == ' ')
            token++;
        rc = hv_auth__token_verify(&id, ctx, token);
        if (rc == HV_OK)
            *out = id;
        return rc;
    }
    return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "unsupported authorization scheme; use Basic");
}
