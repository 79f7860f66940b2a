/*
 * Secrets every node needs (today the token signing key), kept in the database's secret
 * table, sealed so that a copy of the database alone does not give them away.
 *
 * The sealing key is derived with HKDF-SHA256 from secret_key, 32 random bytes that every
 * node is given (HAVEN_SECRET_KEY); an embedded install that is given none generates one into
 * <data_dir>/secret.key (mode 0600) on first start.  A value is sealed with AES-256-GCM
 * under a fresh 96-bit nonce, with its name as additional data (a value copied under another
 * name does not open), and stored as nonce | ciphertext | tag.
 *
 * The first node to need a secret generates it and stores it unless another node stored
 * one meanwhile (INSERT … ON CONFLICT DO NOTHING), then every node reads back the one
 * stored: they all end up with the first node's value, however many start together.
 *
 * A node given another secret_key than the database's first node cannot open what is
 * stored: that is a start-up error naming secret_key, never a silently different key.  A
 * sealed check value stored on first start makes it one even before any other secret
 * exists.
 */
#include "auth/auth_int.h"
#include "model/model.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_LEN   32
#define NONCE_LEN 12
#define TAG_LEN   16
#define VALUE_MAX (1024 * 1024) /* a sealed value, at most */

/* The check value: any value does, as only the right key opens it. */
#define CHECK_NAME  "secret_key.check"
#define CHECK_VALUE "haven"

static unsigned char seal_key[KEY_LEN];
static char key_origin[4200]; /* "secret_key" or the file it came from, for messages */

/* ---------------------------------------------------------------- secret_key */

/* Creates path holding data[0..len), mode 0600, through a temporary file linked into place:
 * never half written, and never replacing a file another process created meanwhile
 * (HV_E_CONFLICT then). */
static hv_err write_new_file(hv_ctx *ctx, const char *dir, const char *path, const void *data,
                             size_t len) {
    char tmp[4200];
    int fd = -1, dfd;
    hv_err rc = HV_OK;

    snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    unlink(tmp);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return HV_FAIL(ctx, HV_E_IO, "cannot create %s: %s", tmp, strerror(errno));
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const char *)data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = HV_FAIL(ctx, HV_E_IO, "cannot write %s: %s", tmp, strerror(errno));
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        rc = HV_FAIL(ctx, HV_E_IO, "cannot sync %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (link(tmp, path) != 0) {
        rc = errno == EEXIST ? HV_E_CONFLICT
                             : HV_FAIL(ctx, HV_E_IO, "cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
out:
    close(fd);
    unlink(tmp);
    return rc;
}

/* Reads the 64 hex digits of path (a final newline allowed) into key. */
static hv_err read_key_file(unsigned char key[KEY_LEN], hv_ctx *ctx, const char *path) {
    char text[2 * KEY_LEN + 2];
    struct stat st;
    size_t n;
    FILE *f = fopen(path, "r");

    if (!f)
        return HV_FAIL(ctx, HV_E_CONFIG, "cannot read %s: %s", path, strerror(errno));
    n = fread(text, 1, sizeof(text), f);
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        hv_log(HV_LOG_WARN, "%s is readable by others; chmod 600 it", path);
    fclose(f);
    if (n > 0 && text[n - 1] == '\n')
        n--;
    if (n != 2 * KEY_LEN || !hv_unhex(key, text, KEY_LEN))
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "%s does not hold 64 hexadecimal digits: restore it, or set secret_key "
                       "to the key this database was started with",
                       path);
    return HV_OK;
}

/* The key of an embedded install: <data_dir>/secret.key, generated on first start. */
static hv_err key_from_dir(unsigned char key[KEY_LEN], hv_ctx *ctx, const char *data_dir) {
    char path[4100], text[2 * KEY_LEN + 2];
    hv_err rc;

    snprintf(path, sizeof(path), "%s/secret.key", data_dir);
    snprintf(key_origin, sizeof(key_origin), "the key in %s", path);
    if (access(path, F_OK) == 0)
        return read_key_file(key, ctx, path);
    hv_random(key, KEY_LEN);
    hv_hex(text, key, KEY_LEN);
    text[2 * KEY_LEN] = '\n';
    rc = write_new_file(ctx, data_dir, path, text, sizeof(text) - 1);
    sodium_memzero(text, sizeof(text));
    if (rc == HV_E_CONFLICT) /* another process made it first: use that one */
        return read_key_file(key, ctx, path);
    if (rc == HV_OK)
        hv_log(HV_LOG_INFO, "generated the secret key %s", path);
    return rc;
}

/* seal_key = HKDF-SHA256(secret_key, info "haven secrets aes-256-gcm") */
static hv_err derive(hv_ctx *ctx, const unsigned char master[KEY_LEN]) {
    static const char info[] = "haven secrets aes-256-gcm";
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)master, KEY_LEN),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, sizeof(info) - 1),
        OSSL_PARAM_construct_end()};
    hv_err rc = HV_OK;

    if (!kctx || EVP_KDF_derive(kctx, seal_key, KEY_LEN, params) != 1)
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "cannot derive the sealing key (OpenSSL's HKDF)");
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return rc;
}

/* ---------------------------------------------------------------- sealing */

/* nonce | AES-256-GCM(value, aad name) | tag, in the arena. */
static hv_err seal(unsigned char **out, size_t *out_len, hv_ctx *ctx, const char *name,
                   const void *value, size_t len) {
    unsigned char *buf = hv_arena_alloc(ctx->arena, NONCE_LEN + len + TAG_LEN);
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0, fin = 0;
    hv_err rc = HV_OK;

    hv_random(buf, NONCE_LEN);
    if (!c || EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, seal_key, buf) != 1 ||
        EVP_EncryptUpdate(c, NULL, &n, (const unsigned char *)name, (int)strlen(name)) != 1 ||
        EVP_EncryptUpdate(c, buf + NONCE_LEN, &n, value, (int)len) != 1 ||
        EVP_EncryptFinal_ex(c, buf + NONCE_LEN + n, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, buf + NONCE_LEN + len) != 1)
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "cannot seal the secret %s", name);
    EVP_CIPHER_CTX_free(c);
    *out = buf;
    *out_len = NONCE_LEN + len + TAG_LEN;
    return rc;
}

/* Opens a sealed value into the arena (NUL-terminated); HV_E_CONFIG when it does not open
 * under our key. */
static hv_err unseal(void **out, size_t *out_len, hv_ctx *ctx, const char *name,
                     const unsigned char *sealed, size_t len) {
    EVP_CIPHER_CTX *c = NULL;
    unsigned char *buf;
    size_t n_plain;
    int n = 0, fin = 0;
    hv_err rc = HV_OK;

    if (len < NONCE_LEN + TAG_LEN || len > VALUE_MAX)
        goto mismatch;
    n_plain = len - NONCE_LEN - TAG_LEN;
    buf = hv_arena_alloc(ctx->arena, n_plain + 1);
    c = EVP_CIPHER_CTX_new();
    if (!c || EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, seal_key, sealed) != 1 ||
        EVP_DecryptUpdate(c, NULL, &n, (const unsigned char *)name, (int)strlen(name)) != 1 ||
        EVP_DecryptUpdate(c, buf, &n, sealed + NONCE_LEN, (int)n_plain) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
                            (void *)(sealed + NONCE_LEN + n_plain)) != 1 ||
        EVP_DecryptFinal_ex(c, buf + n, &fin) != 1) {
        EVP_CIPHER_CTX_free(c);
        goto mismatch;
    }
    EVP_CIPHER_CTX_free(c);
    *out = buf;
    *out_len = n_plain;
    return rc;
mismatch:
    return HV_FAIL(ctx, HV_E_CONFIG,
                   "%s does not open the secrets stored in the database (%s): the database's "
                   "first node was given another secret_key. Give every node that same "
                   "secret_key; a different one cannot be used with this database",
                   key_origin, name);
}

/* ---------------------------------------------------------------- public */

hv_err hv_auth_secret_get(void **out, size_t *len, hv_ctx *ctx, const char *name) {
    const void *sealed;
    size_t n;
    hv_err rc = hv_model_secret_get(&sealed, &n, ctx, name);

    if (rc)
        return rc;
    return unseal(out, len, ctx, name, sealed, n);
}

hv_err hv_auth_secret_put(void **out, size_t *len, hv_ctx *ctx, const char *name, const void *value,
                          size_t value_len) {
    unsigned char *sealed;
    size_t n;
    hv_err rc = seal(&sealed, &n, ctx, name, value, value_len);

    if (rc == HV_OK)
        rc = hv_model_secret_add(ctx, name, sealed, n);
    if (rc)
        return rc;
    return hv_auth_secret_get(out, len, ctx, name);
}

hv_err hv_auth__secrets_init(hv_ctx *ctx, const char *secret_key, const char *data_dir) {
    unsigned char master[KEY_LEN];
    void *check;
    size_t n;
    hv_err rc;

    if (secret_key) {
        snprintf(key_origin, sizeof(key_origin), "secret_key");
        if (strlen(secret_key) != 2 * KEY_LEN || !hv_unhex(master, secret_key, KEY_LEN))
            return HV_FAIL(ctx, HV_E_CONFIG, "secret_key must be 64 hexadecimal digits");
    } else if (data_dir) {
        rc = key_from_dir(master, ctx, data_dir);
        if (rc)
            return rc;
    } else {
        snprintf(key_origin, sizeof(key_origin), "a key of this process");
        hv_random(master, KEY_LEN);
    }
    rc = derive(ctx, master);
    sodium_memzero(master, sizeof(master));
    if (rc)
        return rc;
    rc = hv_auth_secret_get(&check, &n, ctx, CHECK_NAME);
    if (rc == HV_E_NOT_FOUND) {
        hv_error_clear(ctx);
        rc = hv_auth_secret_put(&check, &n, ctx, CHECK_NAME, CHECK_VALUE, strlen(CHECK_VALUE));
    }
    return rc; /* it opened: the key is the database's (GCM authenticates what it opens) */
}

/* ---------------------------------------------------------------- sealed text */

hv_err hv_auth_seal_text(const char **out, hv_ctx *ctx, const char *purpose, const char *value) {
    unsigned char *sealed;
    size_t n;
    char *hex;
    hv_err rc;

    if (!*value) {
        *out = "";
        return HV_OK;
    }
    rc = seal(&sealed, &n, ctx, purpose, value, strlen(value));
    if (rc)
        return rc;
    hex = hv_arena_alloc(ctx->arena, 2 * n + 1);
    hv_hex(hex, sealed, n);
    *out = hex;
    return HV_OK;
}

hv_err hv_auth_unseal_text(const char **out, hv_ctx *ctx, const char *purpose, const char *sealed) {
    size_t len = strlen(sealed);
    unsigned char *bytes;
    void *plain;
    size_t n;
    hv_err rc;

    if (!len) {
        *out = "";
        return HV_OK;
    }
    bytes = hv_arena_alloc(ctx->arena, len / 2 + 1);
    if (len % 2 || !hv_unhex(bytes, sealed, len / 2))
        return HV_FAIL(ctx, HV_E_CONFIG, "the sealed %s is not hexadecimal", purpose);
    rc = unseal(&plain, &n, ctx, purpose, bytes, len / 2);
    if (rc == HV_OK)
        *out = plain;
    return rc;
}
