/*
 * Shared between the files of the auth module only: the configuration kept by hv_auth_init
 * and the token functions auth.c calls.
 *
 *   auth.c   initialisation, passwords, Basic (users and robots), the credential cache, the
 *            failed-login throttle, and the Authorization header dispatcher
 *   rbac.c   the role matrix, public-project policies, robot catalogue and hv_auth_can
 *   token.c  the signing key, registry tokens (issue and verify), base64url
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

/* Loads the token signing key from <data_dir>/token.key, creating it (mode 0600) when absent;
 * data_dir NULL: a key that lives only in memory (tests).  HV_E_CONFIG / HV_E_IO. */
hv_err hv_auth__token_init(hv_ctx *ctx, const char *data_dir);

/* The key id of the signing key in libtrust's format (borrowed, static). */
const char *hv_auth__token_kid(void);

/* Verifies a compact JWT and fills *out (strings in ctx->arena) with its subject and access.
 * HV_E_UNAUTHORIZED with what was wrong. */
hv_err hv_auth__token_verify(hv_identity *out, hv_ctx *ctx, const char *token);

#endif
