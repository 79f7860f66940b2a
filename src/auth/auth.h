/*
 * auth — who the caller is and what they may do.
 *
 * Authentication turns an Authorization header into an identity: HTTP Basic for users
 * (argon2id hashes; a successful check is cached briefly under a keyed hash of the
 * credentials, never the password, so a correct login does not cost an argon2id run on every
 * request).  Authorisation is one function, hv_auth_can, that every handler asks; the
 * access issue extends it with members, robots and the RBAC matrix without touching handlers.
 */
#ifndef HV_AUTH_H
#define HV_AUTH_H

#include "base/base.h"

#include <stdbool.h>
#include <stdint.h>

struct hv_project;

typedef enum { HV_ID_ANONYMOUS, HV_ID_USER } hv_identity_kind;

/* The caller.  name lives in the request arena. */
typedef struct hv_identity {
    hv_identity_kind kind;
    int64_t user_id;
    const char *name;
    bool sysadmin;
} hv_identity;

typedef enum {
    HV_ACT_PULL,   /* read a repository */
    HV_ACT_PUSH,   /* write a repository */
    HV_ACT_DELETE, /* delete artifacts, tags, blobs of a repository */
    HV_ACT_CATALOG /* list every repository */
} hv_action;

/*
 * Authenticates an Authorization header value (NULL or empty: anonymous).
 * HV_E_UNAUTHORIZED for wrong credentials or an unsupported scheme.
 * Needs ctx->db and ctx->arena.
 */
hv_err hv_auth_authenticate(hv_identity *out, hv_ctx *ctx, const char *authorization);

/*
 * May `who` perform `action` on `project` (NULL for system-wide actions)?
 * HV_OK, or HV_E_UNAUTHORIZED when an anonymous caller should log in, HV_E_DENIED when an
 * authenticated one may not; the message says which action on what.
 */
hv_err hv_auth_can(hv_ctx *ctx, const hv_identity *who, const struct hv_project *project,
                   hv_action action);

/* argon2id hash of password, in libsodium's self-describing string form (caller frees). */
hv_err hv_auth_password_hash(char **out, hv_ctx *ctx, const char *password);
/* True when password matches hash. */
bool hv_auth_password_verify(const char *hash, const char *password);

/* Initialises libsodium and the credential cache key; call once at start. */
hv_err hv_auth_init(hv_ctx *ctx);

#endif
