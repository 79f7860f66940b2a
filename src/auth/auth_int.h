/*
 * Shared between the files of the auth module only: the configuration kept by hv_auth_init
 * and the token functions auth.c calls.
 *
 *   auth.c      initialisation, Basic (users and robots), the credential cache and the
 *               Authorization header dispatcher
 *   hasher.c    argon2id password hashing, in helper processes
 *   throttle.c  the failed-login throttle
 *   rbac.c      the role matrix, public-project policies, robot catalogue and hv_auth_can
 *   token.c     the signing key, registry tokens (issue and verify), base64url
 *   secret.c    the secret store: secret_key, sealing, the database's secrets
 */
#ifndef HV_AUTH_INT_H
#define HV_AUTH_INT_H

#include "auth/auth.h"

#define HV_AUTH_ROBOT_PREFIX "robot$"

/* The configuration given to hv_auth_init (strings owned here, set once at start). */
typedef struct hv_auth__settings {
    int64_t token_ttl;
    char *service;
    char *issuer;
} hv_auth__settings;

extern hv_auth__settings hv_auth__cfg;

/* Sets up the secret store's key from secret_key (64 hex digits) or, when NULL, from
 * <data_dir>/secret.key (generated when absent; data_dir NULL: a random key), and checks
 * that it opens the database's secrets.  HV_E_CONFIG / HV_E_IO. */
hv_err hv_auth__secrets_init(hv_ctx *ctx, const char *secret_key, const char *data_dir);

/* Loads the token signing key from the secret store, storing one first when there is none:
 * <data_dir>/token.key when an earlier Haven left one (data_dir may be NULL), else a new
 * key.  HV_E_CONFIG / HV_E_DB. */
hv_err hv_auth__token_init(hv_ctx *ctx, const char *data_dir);

/* The key id of the signing key in libtrust's format (borrowed, static). */
const char *hv_auth__token_kid(void);

/* Verifies a compact JWT and fills *out (strings in ctx->arena) with its subject and access.
 * HV_E_UNAUTHORIZED with what was wrong. */
hv_err hv_auth__token_verify(hv_identity *out, hv_ctx *ctx, const char *token);

/* Forks the password hashing processes (one per CPU) unless they run already.  Call
 * before the process starts threads: hv_auth_init does. */
hv_err hv_auth__hasher_start(hv_ctx *ctx);

/*
 * The failed-login throttle, per (client network, login name); client is the address text
 * of the request (NULL: unknown, then the name alone counts).  reset empties the table and
 * draws a new key (hv_auth_init).  wait: the seconds the pair is still refused, or 0.
 * failed counts a failure (five within a minute refuse the pair for 30 s); succeeded forgets
 * the pair.  The table has a fixed size.
 */
void hv_auth__throttle_reset(void);
int64_t hv_auth__throttle_wait(const char *client, const char *name);
void hv_auth__throttle_failed(const char *client, const char *name);
void hv_auth__throttle_succeeded(const char *client, const char *name);

#endif
