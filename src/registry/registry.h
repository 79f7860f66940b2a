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
    bool redirect_blobs;   /* blob downloads go to the store's presigned URLs */
} hv_registry_config;

/* The blob store is borrowed and must outlive the registry. */
hv_err hv_registry_open(hv_registry **out, hv_ctx *ctx, hv_blob_store *blobs,
                        const hv_registry_config *cfg);
void hv_registry_free(hv_registry *reg); /* accepts NULL */
size_t hv_registry_max_manifest(const hv_registry *reg);

/* Whether the database answers (for /health): HV_OK, or the engine's error in ctx. */
hv_err hv_registry_ping(hv_ctx *ctx);

/* First start: the `admin` user (password given, or generated and printed once) and the
 * public project `library`.  Does nothing when users exist. */
hv_err hv_registry_bootstrap(hv_ctx *ctx, const char *admin_password);

/* A repository addressed by a request, with its project, once the caller was allowed. */
typedef struct hv_target {
    const char *name;
    hv_project project;
    hv_repository repo; /* id 0 when the repository does not exist yet */
    const char *tag;    /* the tag resolved with it (hv_registry_target_ref), else NULL */
    hv_artifact tagged; /* the artifact tag names, id 0 when none */
} hv_target;

/*
 * Resolves a repository name for an action by who.  HV_E_NAME_INVALID for names outside the
 * grammar or without a project component; HV_E_UNAUTHORIZED/HV_E_DENIED from hv_auth_can
 * (an anonymous caller gets UNAUTHORIZED even for unknown projects, so existence does not
 * leak); HV_E_NAME_UNKNOWN when the project does not exist.
 */
hv_err hv_registry_target(hv_target *out, hv_ctx *ctx, const hv_identity *who, const char *name,
                          const char *action);
/* The same for a request about reference of the repository (may be NULL): when it is a tag,
 * the artifact it names is found in the same database round trip (out->tag, out->tagged),
 * for hv_registry_manifest_get. */
hv_err hv_registry_target_ref(hv_target *out, hv_ctx *ctx, const hv_identity *who, const char *name,
                              const char *action, const char *reference);
/* The same for a permission on another resource of the project (Harbor's copy needs
 * "artifact" create on the target and read on the source, not repository push and pull). */
hv_err hv_registry_target_as(hv_target *out, hv_ctx *ctx, const hv_identity *who, const char *name,
                             const char *resource, const char *action);

/* Blobs of the target's project.  HV_E_BLOB_UNKNOWN, HV_E_DIGEST_INVALID. */
hv_err hv_registry_blob_stat(uint64_t *size, hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                             const char *digest);
/* How long a presigned blob URL of a redirect is valid, in seconds. */
#define HV_REGISTRY_REDIRECT_TTL 1200
/* When the registry redirects blob downloads (redirect_blobs), a presigned URL of blob
 * digest of the project in *url (in ctx's arena); else *url is NULL.  As blob_stat. */
hv_err hv_registry_blob_redirect(const char **url, hv_ctx *ctx, hv_registry *reg,
                                 const hv_target *t, const char *digest);
/* Opens a blob that hv_registry_blob_stat found in the project, of the size it gave, for
 * reading from offset from on (*out and from as hv_blob_open). */
hv_err hv_registry_blob_open(hv_blob_reader **out, hv_ctx *ctx, hv_registry *reg,
                             const char *digest, uint64_t size, uint64_t from);
hv_err hv_registry_blob_delete(hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                               const char *digest);
/*
 * Links blob digest into t's project (through its quota): from repository `from` when who
 * may pull from it and it holds the blob; with `from` NULL, from any project holding the
 * blob that who may pull from (the OCI spec's automatic content discovery; a blob already
 * in t's project is simply there).  HV_E_BLOB_UNKNOWN when it cannot (the caller then starts
 * an upload): the blob is absent or only where who may not read.  HV_E_DENIED when the
 * quota is exceeded.
 */
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
 * Finds the manifest by tag or digest and opens its bytes (*body owned by the caller, who
 * closes it with hv_blob_reader_close).
 * accept is the joined Accept header (NULL: anything).  A client that does not accept an
 * index it asked for by tag gets the index's linux/amd64 manifest, as distribution does;
 * otherwise a media type the client does not accept is HV_E_MANIFEST_UNKNOWN (Haven never
 * converts manifests).  A pull (not a HEAD) is recorded as an artifact.pulled event; a HEAD
 * opens the body for no read (hv_blob_open).
 * HV_E_MANIFEST_UNKNOWN, HV_E_NAME_UNKNOWN, HV_E_DIGEST_INVALID.
 */
hv_err hv_registry_manifest_get(hv_artifact *out, hv_blob_reader **body, hv_ctx *ctx,
                                hv_registry *reg, const hv_target *t, const char *reference,
                                const char *accept, bool pull);
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
/* The page `list` of the repositories of project_id (0: of every project) that vis covers,
 * with their artifact counts (arena).  q and sort keys: id, name, project_id, description,
 * pull_count, creation_time, update_time; newest first by default. */
hv_err hv_registry_repository_list(hv_repository_detail **out, size_t *n, int64_t *total,
                                   hv_ctx *ctx, const hv_list *list, int64_t project_id,
                                   const hv_visibility *vis);
/* The repository called name ("<project>/<repository>").  HV_E_NOT_FOUND when absent. */
hv_err hv_registry_repository_detail(hv_repository_detail *out, hv_ctx *ctx, const char *name);
/* HV_E_NOT_FOUND when absent. */
hv_err hv_registry_repository_set_description(hv_ctx *ctx, int64_t id, const char *description);
/* Project and repository counts of what vis covers, and with_storage the bytes stored. */
hv_err hv_registry_statistics(hv_statistics *out, hv_ctx *ctx, const hv_visibility *vis,
                              bool with_storage);
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

/* ---- quotas of /quotas (quota.c) */
/*
 * The storage quota of every project (Harbor's "project" reference) as /quotas shows and
 * changes it.  The caller checks the system permission first (quota:list, quota:read,
 * quota:update).  Records returned through hv_quota live in ctx->arena.  The usage is never
 * set here: only the blob links of pushes, mounts and deletions change it.
 */

/* A page of quotas.  reference must be "project" and reference_id a project id (NULL or ""
 * for either: no filter); anything else matches nothing, as in Harbor: *n and *total are 0
 * and list is not looked at.  HV_E_BAD_REQUEST for a q key or sort field quotas do not have
 * (hv_model_quota_list names the keys). */
hv_err hv_registry_quota_list(hv_quota **out, size_t *n, int64_t *total, hv_ctx *ctx,
                              const hv_list *list, const char *reference, const char *reference_id);
/* Quota id.  HV_E_NOT_FOUND. */
hv_err hv_registry_quota_get(hv_quota *out, hv_ctx *ctx, int64_t id);

/* One entry of a QuotaUpdateReq's "hard" as the request gave it (resource borrowed). */
typedef struct hv_registry_quota_limit {
    const char *resource;
    bool is_integer; /* false: the value was something else (string, fraction, null, …) */
    int64_t value;   /* when is_integer */
} hv_registry_quota_limit;

/* A QuotaUpdateReq: its "hard" entries in the request's order; n_hard 0 when "hard" is
 * absent, empty or not an object. */
typedef struct hv_registry_quota_input {
    const hv_registry_quota_limit *hard;
    size_t n_hard;
} hv_registry_quota_input;

/*
 * Sets the hard limit of quota id, checked in Harbor's order: no limits at all is
 * HV_E_BAD_REQUEST, then an unknown quota HV_E_NOT_FOUND, then each limit HV_E_BAD_REQUEST
 * unless it is storage with -1 (unlimited) or a positive number of bytes.  A limit below the
 * usage is accepted and refuses further pushes.  One transaction.
 */
hv_err hv_registry_quota_update(hv_ctx *ctx, int64_t id, const hv_registry_quota_input *in);
/* ---- end of quotas of /quotas */

/* ---- labels and immutable tag rules (label.c, immutable_rule.c), by reg-labels */

/*
 * Labels (label.c): global (scope "g", project_id 0; managed with the system's label
 * permissions, read by anyone logged in) or of a project (scope "p"; the project's label
 * permissions, so anyone reads those of a public project).  Rule violations are
 * HV_E_BAD_REQUEST with a message naming the field; an anonymous caller is asked to log in
 * (HV_E_UNAUTHORIZED) rather than told whether a label exists; HV_E_DENIED from
 * hv_auth_can.  Records returned through hv_label live in ctx->arena.
 */

/* What a request gives for a label (strings borrowed for the call).  NULL: not given, so
 * kept on update.  scope and project_id are read on creation only. */
typedef struct hv_registry_label_input {
    const char *name;
    const char *description;
    const char *color;
    const char *scope;  /* "g" or "p" */
    int64_t project_id; /* scope "p": the project; anything else may be 0 */
} hv_registry_label_input;

/* A label list: scope NULL or "" is "g"; project_id (scope "p" only) 0 when missing or not
 * a positive integer; name NULL or "" for no narrowing, else a part of the name. */
typedef struct hv_registry_label_filter {
    const char *scope;
    int64_t project_id;
    const char *name;
} hv_registry_label_filter;

/* A page of labels of one scope (and project), after who's permission: logged in for global
 * labels, "label list" on the project for project labels.  *out (n records) lives in
 * ctx->arena.  HV_E_UNAUTHORIZED; HV_E_BAD_REQUEST for a scope other than g and p, a
 * project scope without a project, or a q key or sort field labels do not have;
 * HV_E_NOT_FOUND for an unknown project; HV_E_DENIED. */
hv_err hv_registry_label_list(hv_label **out, size_t *n, int64_t *total, hv_ctx *ctx,
                              const hv_identity *who, const hv_registry_label_filter *f,
                              const hv_list *list);
/* May who create labels at all?  HV_E_UNAUTHORIZED for an anonymous caller.  Asked before
 * the body is read; hv_registry_label_create checks it again. */
hv_err hv_registry_label_may_create(hv_ctx *ctx, const hv_identity *who);
/* Creates the label in describes, checked in Harbor's order: name (required, at most 128
 * characters), description (at most 1024), color ("#RRGGBB" when not empty), scope, then
 * project_id for a project label and who's "label create" on it (or the system's for a
 * global label).  *out_id is the new id.  HV_E_UNAUTHORIZED, HV_E_BAD_REQUEST,
 * HV_E_NOT_FOUND for an unknown project, HV_E_DENIED, HV_E_CONFLICT for a name taken in the
 * scope and project. */
hv_err hv_registry_label_create(int64_t *out_id, hv_ctx *ctx, const hv_identity *who,
                                const hv_registry_label_input *in);
/* Label id into *out, if who may do action ("read", "update", "delete") to it.
 * HV_E_NOT_FOUND (HV_E_UNAUTHORIZED for an anonymous caller), HV_E_UNAUTHORIZED,
 * HV_E_DENIED. */
hv_err hv_registry_label_get(hv_label *out, hv_ctx *ctx, const hv_identity *who, int64_t id,
                             const char *action);
/* Changes name, description and color of l (from hv_registry_label_get(..., "update")) where
 * in gives them, checked as on creation; scope and project stay.  l is changed in place.
 * HV_E_BAD_REQUEST, HV_E_NOT_FOUND, HV_E_CONFLICT. */
hv_err hv_registry_label_update(hv_ctx *ctx, hv_label *l, const hv_registry_label_input *in);
/* Deletes label id with its attachments, if who may.  HV_E_NOT_FOUND, HV_E_UNAUTHORIZED,
 * HV_E_DENIED. */
hv_err hv_registry_label_delete(hv_ctx *ctx, const hv_identity *who, int64_t id);
/* Attaches label label_id to artifact artifact_id of project p, in one transaction.  The
 * caller has checked "artifact-label create" on p.  HV_E_BAD_REQUEST for an id that is not
 * positive and for a label of another project; HV_E_NOT_FOUND; HV_E_CONFLICT when it is
 * attached already. */
hv_err hv_registry_label_attach(hv_ctx *ctx, const hv_project *p, int64_t artifact_id,
                                int64_t label_id);
/* Detaches it (after "artifact-label delete").  HV_E_NOT_FOUND when it is not attached. */
hv_err hv_registry_label_detach(hv_ctx *ctx, int64_t artifact_id, int64_t label_id);

/*
 * Immutable tag rules of a project (immutable_rule.c), Harbor's ImmutableRule.  The caller
 * has checked the project's "immutable-tag" permission for the action.  A rule is checked
 * field by field (HV_E_BAD_REQUEST naming the field) and stored normalised (see
 * hv_immutable_rule); the same rule twice in a project is HV_E_CONFLICT.  Records returned
 * through hv_immutable_rule live in ctx->arena.
 */

/* One selector as a request gave it (strings borrowed for the call).  A field that is
 * absent or not a string is NULL. */
typedef struct hv_registry_immutable_selector {
    const char *kind;       /* "doublestar" */
    const char *decoration; /* matches|excludes, or repoMatches|repoExcludes */
    const char *pattern;    /* a doublestar pattern, at most 512 characters */
    const char *extras;     /* at most 256 characters */
} hv_registry_immutable_selector;

/* A rule as a request gave it, its JSON shape already read (one selector of each kind;
 * params, which no template takes, are the parser's).  action and template are NULL when
 * absent or null, and "" when given as something other than a string, which is refused as
 * any other wrong value.  A create reads tag, repository, priority and disabled as they are;
 * an update changes only what the set flags say and keeps the rest of the stored rule. */
typedef struct hv_registry_immutable_rule_input {
    const char *action;   /* "immutable" */
    const char *template; /* "immutable_template" */
    bool set_tag;
    hv_registry_immutable_selector tag;
    bool set_repository;
    hv_registry_immutable_selector repository;
    bool set_priority;
    int64_t priority;
    bool set_disabled;
    bool disabled;
} hv_registry_immutable_rule_input;

/* A page of the rules of project_id (q and sort as hv_model_immutable_list).  *out (n
 * records) lives in ctx->arena.  HV_E_BAD_REQUEST for a q key or sort field rules do not
 * have. */
hv_err hv_registry_immutable_rule_list(hv_immutable_rule **out, size_t *n, int64_t *total,
                                       hv_ctx *ctx, int64_t project_id, const hv_list *list);
/* Rule id of project_id.  HV_E_NOT_FOUND. */
hv_err hv_registry_immutable_rule_get(hv_immutable_rule *out, hv_ctx *ctx, int64_t project_id,
                                      int64_t id);
/* Creates the rule in describes in project_id, checked in order: action, template, the tag
 * selector, the repository selector (kind, decoration, pattern, extras each), then, in the
 * transaction that inserts it, the limit of 15 rules.  *out_id is the new id.
 * HV_E_BAD_REQUEST, HV_E_CONFLICT. */
hv_err hv_registry_immutable_rule_create(int64_t *out_id, hv_ctx *ctx, int64_t project_id,
                                         const hv_registry_immutable_rule_input *in);
/* Updates rule (from hv_registry_immutable_rule_get) with in, checking the result as a
 * whole as on creation; rule is changed in place.  HV_E_BAD_REQUEST, HV_E_NOT_FOUND,
 * HV_E_CONFLICT. */
hv_err hv_registry_immutable_rule_update(hv_ctx *ctx, hv_immutable_rule *rule,
                                         const hv_registry_immutable_rule_input *in);
/* Deletes rule id of project_id.  HV_E_NOT_FOUND. */
hv_err hv_registry_immutable_rule_delete(hv_ctx *ctx, int64_t project_id, int64_t id);
/* ---- end of labels and immutable tag rules */

/* ---- garbage collection (gc.c) */
/* Deletes an untagged artifact the collector found (hv_model_gc_untagged) as a deletion by
 * the API would, if it is still untagged, unlisted by an index and not an accessory of an
 * artifact that is there (*deleted says whether it was), in one transaction. */
hv_err hv_registry_gc_delete_untagged(bool *deleted, hv_ctx *ctx, const hv_gc_artifact *a);
/* Removes an orphan link the collector found if it is still one, refunding the project's
 * quota (*done says whether it did), in one transaction. */
hv_err hv_registry_gc_unlink_orphan(bool *done, hv_ctx *ctx, const hv_gc_link *l, int64_t cutoff);
/* ---- end of garbage collection */

#endif
