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
/* The same for a permission on another resource of the project (Harbor's copy needs
 * "artifact" create on the target and read on the source, not repository push and pull). */
hv_err hv_registry_target_as(hv_target *out, hv_ctx *ctx, const hv_identity *who, const char *name,
                             const char *resource, const char *action);

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

/* ---- repositories (repository.c) */
/*
 * Deletes repository `name` of project p with every artifact and tag in it, in one
 * transaction: indexes before their children, accessories with their subjects, each through
 * the same path as a single artifact deletion (events, quota refunds), then the repository,
 * publishing repository.deleted {repository, project}.  The caller has checked that it may.
 * HV_E_NOT_FOUND when there is no such repository; HV_E_POLICY (nothing deleted) when one of
 * its tags is immutable.
 */
hv_err hv_registry_repository_delete(hv_ctx *ctx, hv_registry *reg, const hv_project *p,
                                     const char *name);
/* ---- end of repositories */

/* ---- Harbor's artifact model (artifact.c, addition.c) */

/* What an artifact view holds besides the artifact's row: Harbor's with_* options. */
typedef struct hv_artifact_options {
    bool with_tag;              /* the artifact's tags (Harbor's default: true) */
    bool with_label;            /* its labels */
    bool with_accessory;        /* its accessories */
    bool with_immutable_status; /* whether each tag is immutable */
    bool with_signature;        /* whether it (and so each tag) is signed */
} hv_artifact_options;

typedef struct hv_tag_view {
    hv_tag_info tag;
    bool immutable;
    bool is_signed;
} hv_tag_view;

/* An artifact with what the options asked for.  Everything lives in ctx->arena. */
typedef struct hv_artifact_view {
    hv_artifact_info info;
    hv_tag_view *tags;
    size_t n_tags;
    hv_artifact_ref *references; /* an index's entries */
    size_t n_references;
    hv_artifact_label *labels;
    size_t n_labels;
    hv_artifact_info *accessories;
    size_t n_accessories;
    bool is_signed; /* with_signature: a signature.* accessory exists */
} hv_artifact_view;

/* Resolves repository `name` (full, "<project>/<repo>") of project p for the API, whose
 * handlers check Harbor's artifact permissions themselves.  HV_E_NOT_FOUND when p has no
 * such repository. */
hv_err hv_registry_repository(hv_target *out, hv_ctx *ctx, const hv_project *p, const char *name);

/* Artifacts of a scope of project p (accessories and untagged index children left out; see
 * hv_model_artifact_list for the q keys).  HV_E_BAD_REQUEST for a bad q or sort. */
hv_err hv_registry_artifact_list(hv_artifact_view **out, size_t *n, int64_t *total, hv_ctx *ctx,
                                 const hv_project *p, const hv_artifact_scope *scope,
                                 const hv_list *list, const hv_artifact_options *o);
/* The artifact a reference (tag or digest) names.  HV_E_NOT_FOUND; HV_E_DIGEST_INVALID or
 * HV_E_BAD_REQUEST for a malformed reference. */
hv_err hv_registry_artifact_get(hv_artifact_view *out, hv_ctx *ctx, const hv_target *t,
                                const char *reference, const hv_artifact_options *o);
/* Deletes the artifact with its tags, accessories and untagged children, in one
 * transaction.  HV_E_NOT_FOUND; HV_E_POLICY while an index references it ("the deleting
 * artifact is referenced by others") or when one of its tags is immutable. */
hv_err hv_registry_artifact_delete(hv_ctx *ctx, const hv_target *t, const char *reference);
/*
 * Copies the artifact `from` ("<project>/<repo>:<tag>" or "<project>/<repo>@<digest>"),
 * which `who` must be allowed to pull, into repository dst (created when missing), in one
 * transaction: its children and accessories too, each with its tags; its blobs are linked
 * into dst's project through the quota.  *reference is the tag or digest of `from`.
 * HV_E_BAD_REQUEST for a malformed `from`; HV_E_NOT_FOUND; HV_E_DENIED for an accessory and
 * when the quota is exceeded; HV_E_POLICY when a tag of dst that would move is immutable.
 */
hv_err hv_registry_artifact_copy(const char **reference, hv_ctx *ctx, const hv_identity *who,
                                 hv_target *dst, const char *from);

/* Tags of an artifact (o: with_immutable_status, with_signature).  HV_E_NOT_FOUND. */
hv_err hv_registry_tag_list(hv_tag_view **out, size_t *n, int64_t *total, hv_ctx *ctx,
                            const hv_target *t, const char *reference, const hv_list *list,
                            const hv_artifact_options *o);
/* Adds tag `name` to the artifact.  HV_E_BAD_REQUEST for an invalid name; HV_E_CONFLICT when
 * the repository has the tag (HV_E_POLICY when that tag is immutable); HV_E_NOT_FOUND. */
hv_err hv_registry_tag_create(hv_ctx *ctx, const hv_target *t, const char *reference,
                              const char *name);
/* Removes tag `name` of the artifact.  HV_E_NOT_FOUND when the artifact does not have it;
 * HV_E_POLICY when it is immutable. */
hv_err hv_registry_tag_delete(hv_ctx *ctx, const hv_target *t, const char *reference,
                              const char *name);
/* Accessories of an artifact; *subject_id is the artifact's id.  HV_E_NOT_FOUND. */
hv_err hv_registry_accessory_list(hv_artifact_info **out, size_t *n, int64_t *total,
                                  int64_t *subject_id, hv_ctx *ctx, const hv_target *t,
                                  const char *reference, const hv_list *list);
/*
 * An addition of an artifact (addition.c): build_history (images: the config's history as
 * JSON), values.yaml, readme.md and dependencies (Helm charts pushed as OCI artifacts).
 * *body (len bytes, arena) and *content_type.  HV_E_BAD_REQUEST when the artifact's type
 * has no such addition; HV_E_NOT_FOUND; HV_E_TOO_LARGE for contents over the limits.
 */
hv_err hv_registry_artifact_addition(const char **body, size_t *len, const char **content_type,
                                     hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                                     const char *reference, const char *addition);

/* Subscribes the pull statistics (artifact and tag pull time, pull counts) to
 * artifact.pulled.  Call once, before hv_events_start. */
void hv_registry_pull_stats_init(void);
/* ---- end of artifacts */

#endif
