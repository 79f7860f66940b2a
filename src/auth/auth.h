/*
 * auth — who the caller is and what they may do.
 *
 * Authentication turns an Authorization header into an identity:
 *   - Basic for users (argon2id hashes) and robots ("robot$<project>+<name>" or
 *     "robot$<name>", secret hashed the same way).  A successful check is cached briefly under
 *     a keyed hash of the credentials and the stored hash, never the password, so a correct
 *     login does not cost an argon2id run on every request; an unknown name costs one too,
 *     so timing does not tell which names exist.  Repeated failures for one name from one
 *     client network are refused for a while (HV_E_TOOMANYREQUESTS); the same name from
 *     elsewhere is not.
 *   - Bearer registry tokens (RS256 JWTs issued by /service/token), only on /v2.
 *
 * Authorisation is one function, hv_auth_can(identity, project, resource, action), with
 * Harbor's resource and action names and its role matrix (harbor-rbac.md): system
 * administrators may do everything; project members by their roles; robots by their granted
 * permissions; token holders by the token's access; anyone the public read policies of a
 * public project.
 */
#ifndef HV_AUTH_H
#define HV_AUTH_H

#include "base/base.h"

#include <stdbool.h>
#include <stdint.h>

struct hv_project;

typedef enum { HV_ID_ANONYMOUS, HV_ID_USER, HV_ID_ROBOT } hv_identity_kind;

/* Project roles, with Harbor's ids. */
enum {
    HV_ROLE_PROJECT_ADMIN = 1,
    HV_ROLE_DEVELOPER = 2,
    HV_ROLE_GUEST = 3,
    HV_ROLE_MAINTAINER = 4,
    HV_ROLE_LIMITED_GUEST = 5
};

/* One permission of a robot: kind "system" (namespace "/") or "project" (a project name, or
 * "*" for every project). */
typedef struct hv_robot_permission {
    const char *kind;
    const char *namespace_;
    const char *resource;
    const char *action;
} hv_robot_permission;

/* One grant of a registry token: the repository actions on a repository name. */
typedef struct hv_token_access {
    const char *name; /* repository name */
    unsigned actions; /* HV_TOKEN_PULL | HV_TOKEN_PUSH | HV_TOKEN_DELETE */
} hv_token_access;

#define HV_TOKEN_PULL   1u
#define HV_TOKEN_PUSH   2u
#define HV_TOKEN_DELETE 4u

/* The caller.  Strings and arrays live in the request arena. */
typedef struct hv_identity {
    hv_identity_kind kind;
    int64_t user_id;  /* users */
    int64_t robot_id; /* robots */
    const char *name; /* username, "robot$…", or "anonymous" */
    bool sysadmin;    /* users only; never set through a token */
    /* robots: their permissions, and whether they are project-level (whose push on
     * repositories implies pull, as in Harbor; a system robot's does not) */
    bool project_robot;
    const hv_robot_permission *permissions;
    size_t n_permissions;
    /* token holders: the token's access (the identity is the token's subject) */
    bool via_token;
    const hv_token_access *access;
    size_t n_access;
} hv_identity;

/* Where the credentials are used: tokens are accepted only on the registry API. */
typedef enum { HV_AUTH_REGISTRY, HV_AUTH_API } hv_auth_realm;

/*
 * Authenticates an Authorization header value (NULL or empty: anonymous).
 * HV_E_UNAUTHORIZED for wrong credentials, a disabled or expired robot, a bad, expired or
 * foreign token, or an unsupported scheme; HV_E_TOOMANYREQUESTS after repeated failures of
 * the name from ctx->client's network (ctx->err.retry_after: the seconds left).
 * Needs ctx->db and ctx->arena; ctx->client may be NULL (failures then count under the name).
 */
hv_err hv_auth_authenticate(hv_identity *out, hv_ctx *ctx, const char *authorization,
                            hv_auth_realm realm);

/*
 * May `who` perform `action` on `resource` of `project` (NULL: a system resource)?
 * Resource and action names are Harbor's ("repository"/"pull", "member"/"create", ...;
 * "" is the project itself).  HV_OK; HV_E_UNAUTHORIZED for an anonymous caller who should
 * log in; HV_E_DENIED otherwise, with a message naming the action.
 */
hv_err hv_auth_can(hv_ctx *ctx, const hv_identity *who, const struct hv_project *project,
                   const char *resource, const char *action);

/* The role ids `who` holds in project (0..5 entries; none for sysadmins unless members). */
hv_err hv_auth_roles(int roles[5], size_t *n, hv_ctx *ctx, const hv_identity *who,
                     const struct hv_project *project);

/* True when Harbor's matrix lets role do (resource, action) in a project. */
bool hv_auth_role_allows(int role, const char *resource, const char *action);

/* Calls fn for each (resource, action) of the project matrix (for /permissions). */
void hv_auth_project_matrix(void (*fn)(const char *resource, const char *action, void *payload),
                            void *payload);

/* Whether a robot may be granted (resource, action) with this kind ("system"/"project"),
 * and the list of what may be, for /permissions. */
bool hv_auth_robot_assignable(const char *kind, const char *resource, const char *action);
void hv_auth_robot_catalogue(const char *kind,
                             void (*fn)(const char *resource, const char *action, void *payload),
                             void *payload);

/* argon2id hash of a password or secret, in libsodium's string form (caller frees).  Both
 * this and verify run in one of the hashing processes that hv_auth_init started (one per
 * CPU) and wait for their turn there.  Passwords longer than 4096 bytes are refused. */
hv_err hv_auth_password_hash(char **out, hv_ctx *ctx, const char *password);
/* True when password matches hash. */
bool hv_auth_password_verify(const char *hash, const char *password);

/*
 * Registry tokens.  hv_auth_token_issue signs a JWT for `who` granting, of each requested
 * scope ("repository:<name>:<actions>", several per string separated by spaces), the
 * actions who may perform (hv_auth_can on the repository's project); other scope types get
 * no actions.  *token is in the arena; *expires_in in seconds.
 */
hv_err hv_auth_token_issue(const char **token, int64_t *expires_in, hv_ctx *ctx,
                           const hv_identity *who, const char *const *scopes, size_t n_scopes);

typedef struct hv_auth_config {
    /* the key the secret store is sealed under: 64 hex digits, the same on every node of a
     * database; NULL: <data_dir>/secret.key, generated on first start (data_dir NULL too: a
     * key that lives only in this process, for tests) */
    const char *secret_key;
    const char *data_dir; /* also where an earlier Haven's token.key is taken from */
    int64_t token_ttl;    /* seconds */
    const char *service;  /* token audience, "harbor-registry" */
    const char *issuer;   /* "harbor-token-issuer" */
} hv_auth_config;

/*
 * Initialises libsodium, the credential cache key, the secret store and the token signing
 * key (the first node on a database generates it into the store; see token.c).  Needs
 * ctx->db, migrated.  Call once at start.  HV_E_CONFIG when the secret key is malformed or
 * does not open the database's secrets (another key sealed them), naming secret_key.
 */
hv_err hv_auth_init(hv_ctx *ctx, const hv_auth_config *cfg);

/*
 * The secret store: small values every node needs (keys, credentials of remote services),
 * by name, kept in the database sealed with AES-256-GCM under a key derived from secret_key
 * (secret.c).  get opens the value stored under name into the arena (NUL-terminated, *len
 * bytes): HV_E_NOT_FOUND when there is none, HV_E_CONFIG when it does not open under this
 * node's key.  put stores value unless another value is stored already, and opens whichever
 * is stored, so that nodes generating a secret at the same time all use the first one.
 */
hv_err hv_auth_secret_get(void **out, size_t *len, hv_ctx *ctx, const char *name);
hv_err hv_auth_secret_put(void **out, size_t *len, hv_ctx *ctx, const char *name, const void *value,
                          size_t value_len);
/* A credential of a remote service (a scanner's, a registry's) sealed the same way, bound to
 * purpose (e.g. "scanner.access_credential"), as hex text in the arena to store; unseal
 * opens it (HV_E_CONFIG as hv_auth_secret_get).  "" stays "" both ways. */
hv_err hv_auth_seal_text(const char **out, hv_ctx *ctx, const char *purpose, const char *value);
hv_err hv_auth_unseal_text(const char **out, hv_ctx *ctx, const char *purpose, const char *sealed);

#endif
