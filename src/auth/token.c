/*
 * Registry tokens: RS256 JWTs as Harbor's /service/token issues them and as docker, podman
 * and skopeo present them on /v2.
 *
 * The signing key is an RSA 2048 key in PEM, kept in the secret store (secret.c) so that
 * every node on one database signs and verifies with the same key: the first node to start
 * generates it (or takes the <data_dir>/token.key an earlier Haven wrote, so the tokens it
 * issued stay valid), the others read the one stored.  Its `kid` is libtrust's key id,
 * which docker's distribution also computes: SHA-256 of the DER SubjectPublicKeyInfo, the
 * first 240 bits in base32, in groups of four joined by ':'.
 *
 * Verification is strict and says what was wrong without echoing the token: exactly three
 * base64url parts, a header whose alg is exactly "RS256" (never "none", never an HMAC whose
 * key would be our public key), a valid signature with our key, then the audience, issuer
 * and validity window (60 s leeway, as Harbor's JwtLeeway).
 */
#include "auth/auth_int.h"
#include "model/model.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY_BITS   2048
#define LEEWAY     60          /* seconds */
#define TOKEN_MAX  (64 * 1024) /* bytes of a presented token */
#define ACCESS_MAX 1024        /* entries of a presented token's access claim */
#define SCOPES_MAX 100         /* scopes in one token request */
#define KID_LEN    59          /* 12 groups of 4, 11 colons */

#define TOKEN_KEY_SECRET "token_signing_key" /* its name in the secret store */

static EVP_PKEY *signing_key;
static char kid[KID_LEN + 1];

/* ---------------------------------------------------------------- base64url */

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Unpadded base64url of n bytes, in the arena. */
static char *b64url_encode(hv_arena *a, const unsigned char *p, size_t n) {
    char *out = hv_arena_alloc(a, (n + 2) / 3 * 4 + 1), *o = out;
    size_t i;

    for (i = 0; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = b64url_chars[v >> 18 & 63];
        *o++ = b64url_chars[v >> 12 & 63];
        *o++ = b64url_chars[v >> 6 & 63];
        *o++ = b64url_chars[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        *o++ = b64url_chars[v >> 18 & 63];
        *o++ = b64url_chars[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        *o++ = b64url_chars[v >> 18 & 63];
        *o++ = b64url_chars[v >> 12 & 63];
        *o++ = b64url_chars[v >> 6 & 63];
    }
    *o = '\0';
    return out;
}

static int b64url_value(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

/* Decodes canonical unpadded base64url into the arena; false on anything else. */
static bool b64url_decode(unsigned char **out, size_t *out_len, hv_arena *a, const char *s,
                          size_t n) {
    unsigned char *buf = hv_arena_alloc(a, n / 4 * 3 + 3);
    uint32_t acc = 0;
    size_t len = 0;
    int bits = 0;

    if (n % 4 == 1)
        return false;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_value(s[i]);
        if (v < 0)
            return false;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[len++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* non-zero padding bits: not the canonical encoding */
        return false;
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return true;
}

/* ---------------------------------------------------------------- the key */

/* libtrust's KeyID: base32(SHA-256(DER SubjectPublicKeyInfo)[:30]) in groups of 4. */
static hv_err compute_kid(hv_ctx *ctx, EVP_PKEY *key) {
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    unsigned char *der = NULL, hash[EVP_MAX_MD_SIZE];
    unsigned int hash_len = 0;
    char plain[48];
    int der_len = i2d_PUBKEY(key, &der);
    size_t o = 0;

    if (der_len <= 0)
        return HV_FAIL(ctx, HV_E_INTERNAL, "cannot encode the token public key");
    if (!EVP_Digest(der, (size_t)der_len, hash, &hash_len, EVP_sha256(), NULL)) {
        OPENSSL_free(der);
        return HV_FAIL(ctx, HV_E_INTERNAL, "cannot hash the token public key");
    }
    OPENSSL_free(der);
    /* 30 bytes = 240 bits = 48 base32 characters, no padding */
    for (int i = 0; i < 30; i += 5) {
        uint64_t v = 0;
        for (int j = 0; j < 5; j++)
            v = v << 8 | hash[i + j];
        for (int j = 7; j >= 0; j--)
            plain[o++] = b32[v >> (5 * j) & 31];
    }
    o = 0;
    for (int i = 0; i < 48; i++) {
        if (i && i % 4 == 0)
            kid[o++] = ':';
        kid[o++] = plain[i];
    }
    kid[o] = '\0';
    return HV_OK;
}

const char *hv_auth__token_kid(void) {
    return kid;
}

/* A private key from PEM text; NULL unless it is an RSA key of at least KEY_BITS. */
static EVP_PKEY *parse_key(const void *pem, size_t len) {
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

    BIO_free(bio);
    if (key && (!EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_get_bits(key) < KEY_BITS)) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    return key;
}

/* The PEM of a key file of an earlier Haven (<data_dir>/token.key), in the arena. */
static hv_err read_old_key(char **pem, size_t *len, hv_ctx *ctx, const char *path) {
    hv_buf b;
    char chunk[4096];
    size_t n;
    EVP_PKEY *key;
    hv_err rc = HV_OK;
    FILE *f = fopen(path, "r");

    if (!f)
        return HV_FAIL(ctx, HV_E_CONFIG, "cannot read the token signing key %s: %s", path,
                       strerror(errno));
    hv_buf_init(&b, 64 * 1024);
    while (rc == HV_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = hv_buf_append(&b, chunk, n);
    fclose(f);
    key = rc ? NULL : parse_key(b.data, b.len);
    if (!key) {
        hv_buf_free(&b);
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "%s is not an RSA private key of at least %d bits in PEM; remove it to "
                       "have a new one generated (tokens already issued become invalid)",
                       path, KEY_BITS);
    }
    EVP_PKEY_free(key);
    *pem = hv_arena_strndup(ctx->arena, b.data, b.len);
    *len = b.len;
    sodium_memzero(b.data, b.len);
    hv_buf_free(&b);
    return HV_OK;
}

/* A new signing key as PEM (PKCS#8), in the arena. */
static hv_err generate_key(char **pem, size_t *len, hv_ctx *ctx) {
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)KEY_BITS);
    BIO *mem = BIO_new(BIO_s_mem());
    char *data;
    long n;
    hv_err rc = HV_OK;

    if (!key || !mem || !PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL)) {
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "cannot generate the token signing key");
        goto out;
    }
    n = BIO_get_mem_data(mem, &data);
    *pem = hv_arena_strndup(ctx->arena, data, (size_t)n);
    *len = (size_t)n;
    OPENSSL_cleanse(data, (size_t)n);
out:
    BIO_free(mem);
    EVP_PKEY_free(key);
    return rc;
}

/*
 * Tokens whose signature was verified already, by SHA-256 of the whole token.  A client
 * presents the same token for every request of a pull; the RSA check (and OpenSSL's
 * per-call setup) was a third of the server's CPU per request.  A signature, once valid,
 * stays valid for the process's key, and the claims (exp, nbf, aud, ...) are still checked
 * on every use, so the table only remembers "these bytes were signed by us".
 */
#define SIGNATURE_SLOTS 4096

static struct {
    unsigned char hash[32];
    bool used;
} verified[SIGNATURE_SLOTS];
static pthread_mutex_t verified_lock = PTHREAD_MUTEX_INITIALIZER;

/* A new key (hv_auth_init again, as tests do) invalidates every remembered signature. */
static void signatures_forget(void) {
    pthread_mutex_lock(&verified_lock);
    memset(verified, 0, sizeof(verified));
    pthread_mutex_unlock(&verified_lock);
}

static size_t signature_slot(const unsigned char hash[32]) {
    return ((size_t)hash[0] << 8 | hash[1]) % SIGNATURE_SLOTS;
}

static bool signature_known(const char *token, size_t len) {
    unsigned char hash[32];
    size_t slot;
    bool known;

    SHA256((const unsigned char *)token, len, hash);
    slot = signature_slot(hash);
    pthread_mutex_lock(&verified_lock);
    known = verified[slot].used && memcmp(verified[slot].hash, hash, 32) == 0;
    pthread_mutex_unlock(&verified_lock);
    return known;
}

static void signature_remember(const char *token, size_t len) {
    unsigned char hash[32];
    size_t slot;

    SHA256((const unsigned char *)token, len, hash);
    slot = signature_slot(hash);
    pthread_mutex_lock(&verified_lock);
    memcpy(verified[slot].hash, hash, 32);
    verified[slot].used = true;
    pthread_mutex_unlock(&verified_lock);
}

hv_err hv_auth__token_init(hv_ctx *ctx, const char *data_dir) {
    char path[4096], *candidate = NULL;
    void *pem;
    size_t len = 0;
    EVP_PKEY *key;
    hv_err rc;

    signatures_forget();
    rc = hv_auth_secret_get(&pem, &len, ctx, TOKEN_KEY_SECRET);
    if (rc == HV_E_NOT_FOUND) {
        /* the first start on this database: an earlier Haven's key file keeps the tokens it
         * issued valid; otherwise a new key */
        bool old;
        size_t candidate_len = 0;

        hv_error_clear(ctx);
        snprintf(path, sizeof(path), "%s/token.key", data_dir ? data_dir : "");
        old = data_dir && access(path, F_OK) == 0;
        rc = old ? read_old_key(&candidate, &candidate_len, ctx, path)
                 : generate_key(&candidate, &candidate_len, ctx);
        if (rc == HV_OK)
            rc = hv_auth_secret_put(&pem, &len, ctx, TOKEN_KEY_SECRET, candidate, candidate_len);
        if (rc == HV_OK && old && (len != candidate_len || memcmp(pem, candidate, len) != 0))
            hv_log(HV_LOG_WARN,
                   "another node stored the token signing key first: tokens signed with %s "
                   "are no longer accepted",
                   path);
        else if (rc == HV_OK && old)
            hv_log(HV_LOG_INFO,
                   "the token signing key %s is now kept in the database; the file is no "
                   "longer read and may be deleted",
                   path);
        if (candidate)
            sodium_memzero(candidate, candidate_len);
    }
    if (rc)
        return rc;
    key = parse_key(pem, len);
    sodium_memzero(pem, len);
    if (!key)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "the token signing key stored in the database is not "
                       "an RSA private key of at least %d bits",
                       KEY_BITS);
    rc = compute_kid(ctx, key);
    if (rc) {
        EVP_PKEY_free(key);
        return rc;
    }
    EVP_PKEY_free(signing_key);
    signing_key = key;
    return HV_OK;
}

/* ---------------------------------------------------------------- issuing */

static const char *const action_names[] = {"pull", "push", "delete"};

/* The HV_TOKEN_* bit of an action name; "*" is all three; 0 when unknown. */
static unsigned action_bits(const char *a, size_t n) {
    if (n == 1 && a[0] == '*')
        return HV_TOKEN_PULL | HV_TOKEN_PUSH | HV_TOKEN_DELETE;
    for (unsigned i = 0; i < 3; i++) {
        if (strlen(action_names[i]) == n && memcmp(action_names[i], a, n) == 0)
            return 1u << i;
    }
    return 0;
}

/* The actions of a repository scope who may perform. */
static hv_err repository_grant(unsigned *granted, hv_ctx *ctx, const hv_identity *who,
                               const char *name, unsigned wanted) {
    const char *slash = strchr(name, '/');
    char *project_name =
        hv_arena_strndup(ctx->arena, name, slash ? (size_t)(slash - name) : strlen(name));
    hv_project project;
    hv_err rc;

    *granted = 0;
    rc = hv_model_project_get(&project, ctx, project_name);
    if (rc == HV_E_NOT_FOUND) {
        hv_error_clear(ctx);
        return HV_OK;
    }
    if (rc)
        return rc;
    for (unsigned i = 0; i < 3; i++) {
        if (!(wanted & (1u << i)))
            continue;
        rc = hv_auth_can(ctx, who, &project, "repository", action_names[i]);
        if (rc == HV_OK) {
            *granted |= 1u << i;
        } else if (rc == HV_E_DENIED || rc == HV_E_UNAUTHORIZED) {
            hv_error_clear(ctx);
        } else {
            return rc;
        }
    }
    return HV_OK;
}

/* One scope "type:name:actions" (the name may hold ':') into an access entry. */
static hv_err add_scope(json_t *access, hv_ctx *ctx, const hv_identity *who, const char *s,
                        size_t n) {
    const char *first = memchr(s, ':', n), *last = first;
    char *type, *name = "", *actions = "";
    json_t *list = json_array();
    hv_err rc = HV_OK;

    for (const char *p = s + n; first && p > first; p--) {
        if (p[-1] == ':') {
            last = p - 1;
            break;
        }
    }
    if (!first) {
        type = hv_arena_strndup(ctx->arena, s, n);
    } else if (last == first) { /* "type:name" */
        type = hv_arena_strndup(ctx->arena, s, (size_t)(first - s));
        name = hv_arena_strndup(ctx->arena, first + 1, (size_t)(s + n - first - 1));
    } else {
        type = hv_arena_strndup(ctx->arena, s, (size_t)(first - s));
        name = hv_arena_strndup(ctx->arena, first + 1, (size_t)(last - first - 1));
        actions = hv_arena_strndup(ctx->arena, last + 1, (size_t)(s + n - last - 1));
    }
    if (strcmp(type, "repository") == 0) {
        unsigned wanted = 0, granted = 0;
        for (const char *a = actions; *a;) {
            size_t len = strcspn(a, ",");
            wanted |= action_bits(a, len);
            a += len + (a[len] == ',');
        }
        if (wanted && *name)
            rc = repository_grant(&granted, ctx, who, name, wanted);
        for (unsigned i = 0; i < 3; i++) {
            if (granted & (1u << i))
                json_array_append_new(list, json_string(action_names[i]));
        }
    } else if (strcmp(type, "registry") == 0 && strcmp(name, "catalog") == 0 &&
               who->kind == HV_ID_USER && who->sysadmin && !who->via_token) {
        /* kept as asked, for system administrators only */
        for (const char *a = actions; *a;) {
            size_t len = strcspn(a, ",");
            if (len)
                json_array_append_new(list, json_stringn(a, len));
            a += len + (a[len] == ',');
        }
    }
    if (rc) {
        json_decref(list);
        return rc;
    }
    /* names are bytes from a URL: jansson refuses invalid UTF-8, and so do we */
    json_t *type_j = json_string(type), *name_j = json_string(name);
    if (!type_j || !name_j) {
        json_decref(type_j);
        json_decref(name_j);
        json_decref(list);
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a scope is not valid UTF-8");
    }
    json_array_append_new(
        access, json_pack("{s:o, s:o, s:o}", "type", type_j, "name", name_j, "actions", list));
    return HV_OK;
}

static void random_alnum(char *out, size_t n) {
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    size_t i = 0;

    while (i < n) {
        unsigned char buf[32];
        hv_random(buf, sizeof(buf));
        for (size_t j = 0; j < sizeof(buf) && i < n; j++) {
            if (buf[j] < 248) /* 248 = 4 * 62: no modulo bias */
                out[i++] = chars[buf[j] % 62];
        }
    }
    out[n] = '\0';
}

/* base64url(header) "." base64url(payload) "." base64url(RS256 signature), in the arena. */
static hv_err sign_jwt(const char **out, hv_ctx *ctx, json_t *header, json_t *payload) {
    char *h = json_dumps(header, JSON_COMPACT), *p = json_dumps(payload, JSON_COMPACT);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    char *input;
    hv_err rc = HV_OK;

    if (!h || !p || !md) {
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "cannot encode the token");
        goto out;
    }
    input = hv_arena_printf(ctx->arena, "%s.%s",
                            b64url_encode(ctx->arena, (unsigned char *)h, strlen(h)),
                            b64url_encode(ctx->arena, (unsigned char *)p, strlen(p)));
    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, signing_key) != 1 ||
        EVP_DigestSign(md, NULL, &sig_len, (unsigned char *)input, strlen(input)) != 1) {
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "cannot sign the token");
        goto out;
    }
    sig = hv_arena_alloc(ctx->arena, sig_len);
    if (EVP_DigestSign(md, sig, &sig_len, (unsigned char *)input, strlen(input)) != 1) {
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "cannot sign the token");
        goto out;
    }
    *out = hv_arena_printf(ctx->arena, "%s.%s", input, b64url_encode(ctx->arena, sig, sig_len));
out:
    EVP_MD_CTX_free(md);
    free(h);
    free(p);
    return rc;
}

hv_err hv_auth_token_issue(const char **token, int64_t *expires_in, hv_ctx *ctx,
                           const hv_identity *who, const char *const *scopes, size_t n_scopes) {
    json_t *access = json_array(), *header = NULL, *payload = NULL;
    int64_t now = hv_now_ms() / 1000;
    size_t count = 0;
    char jti[17];
    hv_err rc = HV_OK;

    if (!signing_key) {
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "the token service is not initialised");
        goto out;
    }
    for (size_t i = 0; i < n_scopes; i++) {
        for (const char *s = scopes[i]; *s;) {
            size_t len = strcspn(s, " ");
            if (len) {
                if (++count > SCOPES_MAX) {
                    rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "too many scopes: at most %d at once",
                                 SCOPES_MAX);
                    goto out;
                }
                rc = add_scope(access, ctx, who, s, len);
                if (rc)
                    goto out;
            }
            s += len + (s[len] == ' ');
        }
    }
    random_alnum(jti, 16);
    header = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "kid", kid);
    payload =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:O}", "iss", hv_auth__cfg.issuer, "sub",
                  who->kind == HV_ID_ANONYMOUS ? "" : who->name, "aud", hv_auth__cfg.service, "exp",
                  (json_int_t)(now + hv_auth__cfg.token_ttl), "nbf", (json_int_t)now, "iat",
                  (json_int_t)now, "jti", jti, "access", access);
    if (!header || !payload) {
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "cannot encode the token claims");
        goto out;
    }
    rc = sign_jwt(token, ctx, header, payload);
    if (rc == HV_OK)
        *expires_in = hv_auth__cfg.token_ttl;
out:
    json_decref(access);
    json_decref(header);
    json_decref(payload);
    return rc;
}

/* ---------------------------------------------------------------- verifying */

/* Decodes one part of the token as a JSON object (caller decrefs). */
static json_t *decode_json(hv_ctx *ctx, const char *s, size_t n) {
    unsigned char *raw;
    size_t len;
    json_t *j;

    if (!b64url_decode(&raw, &len, ctx->arena, s, n))
        return NULL;
    j = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static bool audience_ok(json_t *aud) {
    size_t i;
    json_t *v;

    if (json_is_string(aud))
        return strcmp(json_string_value(aud), hv_auth__cfg.service) == 0;
    json_array_foreach(aud, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), hv_auth__cfg.service) == 0)
            return true;
    }
    return false;
}

/* The access claim as hv_token_access entries: repositories only, pull/push/delete/"*". */
static hv_err read_access(hv_identity *out, hv_ctx *ctx, json_t *access) {
    hv_token_access *v;
    size_t i, n = 0;
    json_t *e;

    if (!access || json_is_null(access))
        return HV_OK;
    if (!json_is_array(access))
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "malformed token: access is not a list");
    if (json_array_size(access) > ACCESS_MAX)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "malformed token: more than %d access entries",
                       ACCESS_MAX);
    v = hv_arena_alloc(ctx->arena, (json_array_size(access) + 1) * sizeof(*v));
    json_array_foreach(access, i, e) {
        const char *type = json_string_value(json_object_get(e, "type"));
        const char *name = json_string_value(json_object_get(e, "name"));
        json_t *actions = json_object_get(e, "actions"), *a;
        unsigned bits = 0;
        size_t j;

        if (!json_is_object(e) || !type || !name)
            return HV_FAIL(ctx, HV_E_UNAUTHORIZED,
                           "malformed token: an access entry lacks its "
                           "type or name");
        if (strcmp(type, "repository") != 0)
            continue;
        json_array_foreach(actions, j, a) {
            if (json_is_string(a))
                bits |= action_bits(json_string_value(a), json_string_length(a));
        }
        if (!bits)
            continue;
        v[n].name = hv_arena_strdup(ctx->arena, name);
        v[n].actions = bits;
        n++;
    }
    out->access = v;
    out->n_access = n;
    return HV_OK;
}

hv_err hv_auth__token_verify(hv_identity *out, hv_ctx *ctx, const char *token) {
    size_t len = strlen(token);
    const char *dot1, *dot2;
    json_t *header = NULL, *claims = NULL, *j;
    unsigned char *sig;
    size_t sig_len;
    EVP_MD_CTX *md = NULL;
    const char *alg, *sub;
    int64_t now = hv_now_ms() / 1000;
    hv_err rc = HV_OK;

    if (!signing_key)
        return HV_FAIL(ctx, HV_E_INTERNAL, "the token service is not initialised");
    if (len > TOKEN_MAX)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "token too long (at most %d bytes)", TOKEN_MAX);
    dot1 = strchr(token, '.');
    dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (!dot1 || !dot2 || strchr(dot2 + 1, '.') || dot1 == token || dot2 == dot1 + 1 || !dot2[1])
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED,
                       "malformed token: a JWT has three non-empty parts separated by '.'");
    header = decode_json(ctx, token, (size_t)(dot1 - token));
    if (!header) {
        rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED, "malformed token: the header is not base64url JSON");
        goto out;
    }
    alg = json_string_value(json_object_get(header, "alg"));
    if (!alg || strcmp(alg, "RS256") != 0) {
        rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED, "token algorithm is not accepted: only RS256 is");
        goto out;
    }
    if (!b64url_decode(&sig, &sig_len, ctx->arena, dot2 + 1, strlen(dot2 + 1))) {
        rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED, "malformed token: the signature is not base64url");
        goto out;
    }
    if (!signature_known(token, len)) {
        md = EVP_MD_CTX_new();
        if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, signing_key) != 1) {
            rc = HV_FAIL(ctx, HV_E_INTERNAL, "cannot verify tokens");
            goto out;
        }
        if (EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)token,
                             (size_t)(dot2 - token)) != 1) {
            rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED,
                         "token signature is invalid: it was not issued by this registry or was "
                         "altered; get a new token");
            goto out;
        }
        signature_remember(token, len);
    }
    claims = decode_json(ctx, dot1 + 1, (size_t)(dot2 - dot1 - 1));
    if (!claims) {
        rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED, "malformed token: the claims are not base64url JSON");
        goto out;
    }
    if (!audience_ok(json_object_get(claims, "aud"))) {
        rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED, "token audience is wrong: it must be %s",
                     hv_auth__cfg.service);
        goto out;
    }
    j = json_object_get(claims, "iss");
    if (!json_is_string(j) || strcmp(json_string_value(j), hv_auth__cfg.issuer) != 0) {
        rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED, "token issuer is wrong: it must be %s",
                     hv_auth__cfg.issuer);
        goto out;
    }
    j = json_object_get(claims, "exp");
    if (!json_is_number(j)) {
        rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED, "malformed token: no expiry (exp)");
        goto out;
    }
    if ((double)now > json_number_value(j) + LEEWAY) {
        rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED, "token expired; get a new one");
        goto out;
    }
    j = json_object_get(claims, "nbf");
    if (j && !json_is_number(j)) {
        rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED, "malformed token: nbf is not a number");
        goto out;
    }
    if (j && (double)now + LEEWAY < json_number_value(j)) {
        rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED, "token is not valid yet (nbf is in the future)");
        goto out;
    }
    j = json_object_get(claims, "sub");
    sub = j ? json_string_value(j) : "";
    if (!sub) {
        rc = HV_FAIL(ctx, HV_E_UNAUTHORIZED, "malformed token: sub is not a string");
        goto out;
    }
    memset(out, 0, sizeof(*out));
    out->via_token = true;
    if (!*sub) {
        out->kind = HV_ID_ANONYMOUS;
        out->name = "anonymous";
    } else {
        out->kind = hv_str_has_prefix(sub, HV_AUTH_ROBOT_PREFIX) ? HV_ID_ROBOT : HV_ID_USER;
        out->name = hv_arena_strdup(ctx->arena, sub);
    }
    rc = read_access(out, ctx, json_object_get(claims, "access"));
out:
    EVP_MD_CTX_free(md);
    json_decref(header);
    json_decref(claims);
    return rc;
}
