/*
 * registry — what push, pull and delete mean, independent of HTTP: name rules and the
 * project a repository belongs to, who may do what (through hv_auth_can), blob uploads with
 * their durability contract, manifest validation against what is stored, tags, referrers
 * and the catalog.  Every change is one short transaction that also publishes its events.
 */
#ifndef HV_REGISTRY_H
#define HV_REGISTRY_H

#include "auth/auth.h"
#include "base/base.h"
#include "blob/blob.h"
#include "model/model.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct hv_registry hv_registry;

typedef struct hv_registry_config {
    int64_t upload_ttl_ms; /* idle uploads older than this are purged */
    size_t max_manifest;   /* bytes */
} hv_registry_config;

/* The blob store is borrowed and must outlive the registry. */
hv_err hv_registry_open(hv_registry **out, hv_ctx *ctx, hv_blob_store *blobs,
                        const hv_registry_config *cfg);
void hv_registry_free(hv_registry *reg); /* accepts NULL */
size_t hv_registry_max_manifest(const hv_registry *reg);

/* First start: the `admin` user (password given, or generated and printed once) and the
 * public project `library`.  Does nothing when users exist. */
hv_err hv_registry_bootstrap(hv_ctx *ctx, const char *admin_password);

/* A repository addressed by a request, with its project, once the caller was allowed. */
typedef struct hv_target {
    const char *name;
    hv_project project;
    hv_repository repo; /* id 0 when the repository does not exist yet */
} hv_target;

/*
 * Resolves a repository name for an action by who.  HV_E_NAME_INVALID for names outside the
 * grammar or without a project component; HV_E_UNAUTHORIZED/HV_E_DENIED from hv_auth_can
 * (an anonymous caller gets UNAUTHORIZED even for unknown projects, so existence does not
 * leak); HV_E_NAME_UNKNOWN when the project does not exist.
 */
hv_err hv_registry_target(hv_target *out, hv_ctx *ctx, const hv_identity *who, const char *name,
                          const char *action);

/* Blobs of the target's project.  HV_E_BLOB_UNKNOWN, HV_E_DIGEST_INVALID. */
hv_err hv_registry_blob_stat(uint64_t *size, hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                             const char *digest);
hv_err hv_registry_blob_open(int *fd, uint64_t *size, hv_ctx *ctx, hv_registry *reg,
                             const hv_target *t, const char *digest);
hv_err hv_registry_blob_delete(hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                               const char *digest);
/* Links blob digest of repository `from` into t's project when who may pull from `from` and
 * it holds the blob.  HV_E_BLOB_UNKNOWN when it cannot (the caller then starts an upload). */
hv_err hv_registry_blob_mount(hv_ctx *ctx, hv_registry *reg, const hv_identity *who,
                              const hv_target *t, const char *from, const char *digest);

/* Uploads. */
hv_err hv_registry_upload_start(char uuid[37], hv_ctx *ctx, hv_registry *reg, const hv_target *t);
/* HV_E_BLOB_UPLOAD_UNKNOWN unless uuid is an upload of this repository. */
hv_err hv_registry_upload_status(hv_upload *out, hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                                 const char *uuid);
hv_err hv_registry_upload_cancel(hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                                 const char *uuid);

/*
 * Streaming a body into an upload.  begin opens upload uuid (NULL: a one-request upload
 * with no session) at `start` (-1 when the client gave no Content-Range; otherwise it must be
 * the upload's current size, else HV_E_RANGE).  `digest` (NULL for a PATCH) is checked for
 * shape before any byte is read.  finish makes the bytes durable; with a digest it verifies
 * it (HV_E_DIGEST_INVALID, and the upload is dropped), commits the blob into the project and
 * ends the session; without one it records the progress.  abort drops the writer after an
 * error or a broken connection (the session keeps its last acknowledged state).
 */
typedef struct hv_upload_stream hv_upload_stream;
hv_err hv_registry_upload_begin(hv_upload_stream **out, hv_ctx *ctx, hv_registry *reg,
                                const hv_target *t, const char *uuid, int64_t start,
                                const char *digest);
hv_err hv_registry_upload_write(hv_upload_stream *s, hv_ctx *ctx, const void *data, size_t n);
/* Sets *size to the upload's size; frees s. */
hv_err hv_registry_upload_finish(hv_upload_stream *s, hv_ctx *ctx, int64_t *size,
                                 const char **uuid);
void hv_registry_upload_abort(hv_upload_stream *s); /* accepts NULL */

/* Removes uploads idle past the TTL and upload files without a session.  At start
 * (all_orphans) every file without a session goes. */
void hv_registry_purge_uploads(hv_ctx *ctx, hv_registry *reg, bool all_orphans);

/* Manifests.  put: digest of the body into digest_out; *subject the subject digest or NULL. */
hv_err hv_registry_manifest_put(char digest_out[HV_DIGEST_MAX], const char **subject, hv_ctx *ctx,
                                hv_registry *reg, hv_target *t, const char *reference,
                                const char *content_type, const char *body, size_t len);
/*
 * Finds the manifest by tag or digest and opens its bytes (*fd owned by the caller).
 * accept is the joined Accept header (NULL: anything).  A client that does not accept an
 * index it asked for by tag gets the index's linux/amd64 manifest, as distribution does;
 * otherwise a media type the client does not accept is HV_E_MANIFEST_UNKNOWN (Haven never
 * converts manifests).  A pull (not a HEAD) is recorded as an artifact.pulled event.
 * HV_E_MANIFEST_UNKNOWN, HV_E_NAME_UNKNOWN, HV_E_DIGEST_INVALID.
 */
hv_err hv_registry_manifest_get(hv_artifact *out, int *fd, hv_ctx *ctx, hv_registry *reg,
                                const hv_target *t, const char *reference, const char *accept,
                                bool pull);
/* By digest: the artifact and its tags; by tag: the tag only. */
hv_err hv_registry_manifest_delete(hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                                   const char *reference);

/* Listings, sorted, after `last`, at most n entries. */
hv_err hv_registry_tags(const char ***out, size_t *count, hv_ctx *ctx, const hv_target *t,
                        const char *last, int64_t n);
hv_err hv_registry_catalog(const char ***out, size_t *count, hv_ctx *ctx, const char *last,
                           int64_t n);
hv_err hv_registry_referrers(hv_artifact **out, size_t *count, hv_ctx *ctx, const hv_target *t,
                             const char *subject, const char *artifact_type);

#endif
