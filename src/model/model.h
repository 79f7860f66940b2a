/*
 * model — typed records of the metadata and every query on them; the only place that writes
 * SQL.  All functions work on ctx->db, inside the caller's transaction when there is one.
 * Strings of returned records live in ctx->arena.
 */
#ifndef HV_MODEL_H
#define HV_MODEL_H

#include "auth/auth.h"
#include "base/base.h"
#include "oci/oci.h"

#include <stdbool.h>
#include <stdint.h>

/* ---------------------------------------------------------------- lists
 * Harbor's list conventions, parsed by the API layer and checked here against each
 * entity's own columns (an unknown key or sort field is HV_E_BAD_REQUEST naming it). */
typedef enum {
    HV_Q_EXACT, /* k=v */
    HV_Q_FUZZY, /* k=~v */
    HV_Q_RANGE, /* k=[min~max]: values[0] min or NULL, values[1] max or NULL */
    HV_Q_ANY,   /* k={a b c} */
    HV_Q_ALL    /* k=(a b c) */
} hv_query_op;

typedef struct hv_query_term {
    const char *key;
    hv_query_op op;
    const char **values;
    size_t n_values;
} hv_query_term;

typedef struct hv_list {
    const hv_query_term *terms;
    size_t n_terms;
    const char *sort;  /* "name,-creation_time", or NULL for the entity's default order */
    int64_t page;      /* 1-based */
    int64_t page_size; /* 0: everything */
} hv_list;

typedef struct hv_project {
    int64_t id;
    const char *name;
    bool public;
    int64_t owner_id;
    const char *owner_name;
    int64_t creation_time; /* ms */
    int64_t update_time;
    const char *cve_allowlist_json; /* Harbor's CVEAllowlist JSON, or NULL */
} hv_project;

typedef struct hv_repository {
    int64_t id;
    int64_t project_id;
    const char *name;
} hv_repository;

typedef struct hv_user {
    int64_t id;
    const char *username;
    const char *email;
    const char *realname;
    const char *comment;
    const char *password_hash;
    bool sysadmin;
    int64_t creation_time; /* ms */
    int64_t update_time;
} hv_user;

/* A project member: a user ('u') with a role (HV_ROLE_*). */
typedef struct hv_member {
    int64_t id;
    int64_t project_id;
    const char *entity_type;
    int64_t entity_id;
    const char *entity_name;
    int role;
} hv_member;

/* A robot account; name is the stored name ("<project>+<name>" or "<name>"). */
typedef struct hv_robot {
    int64_t id;
    const char *name;
    const char *description;
    const char *level;  /* "system" | "project" */
    int64_t project_id; /* 0 for system robots */
    const char *secret_hash;
    bool disabled;
    int64_t duration;   /* days, -1 never */
    int64_t expires_at; /* unix seconds, -1 never */
    const char *creator_type;
    int64_t creator_ref;
    int64_t creation_time; /* ms */
    int64_t update_time;
    hv_robot_permission *permissions;
    size_t n_permissions;
} hv_robot;

typedef struct hv_audit_log {
    int64_t id;
    int64_t project_id; /* 0 when not about a project */
    const char *username;
    const char *resource;
    const char *resource_type;
    const char *operation;
    int64_t op_time; /* ms */
} hv_audit_log;

typedef struct hv_artifact {
    int64_t id;
    int64_t repository_id;
    const char *digest;
    const char *media_type;
    const char *artifact_type;
    int64_t size;
    const char *subject_digest;
    const char *annotations_json;
} hv_artifact;

typedef struct hv_upload {
    const char *uuid;
    const char *repository;
    int64_t project_id;
    int64_t size;
    hv_sha256 hash;
    int64_t update_time;
} hv_upload;

typedef struct hv_event_row {
    int64_t id;
    const char *type;
    const char *payload;
} hv_event_row;

/* Projects.  get: HV_E_NOT_FOUND when absent. */
hv_err hv_model_project_get(hv_project *out, hv_ctx *ctx, const char *name);
hv_err hv_model_project_get_by_id(hv_project *out, hv_ctx *ctx, int64_t id);
/* Project project_name, its repository repo_name (repo->id 0 when the repository does not
 * exist yet) and the artifact that the repository's tag names (tagged->id 0 when none; tag
 * may be NULL) in one query; HV_E_NOT_FOUND when the project does not exist. */
hv_err hv_model_project_repository_get(hv_project *project, hv_repository *repo,
                                       hv_artifact *tagged, hv_ctx *ctx, const char *project_name,
                                       const char *repo_name, const char *tag);
/* Creates the project with metadata "public"; HV_E_CONFLICT when the name is taken. */
hv_err hv_model_project_create(int64_t *out_id, hv_ctx *ctx, const char *name, bool public,
                               int64_t owner_id);
/* Projects visible to a user: every project when visible_to < 0, public ones when 0,
 * public ones and those the user is a member of otherwise.  q keys: name, public, owner,
 * project_id, creation_time, update_time. */
hv_err hv_model_project_list(hv_project **out, size_t *n, int64_t *total, hv_ctx *ctx,
                             const hv_list *list, int64_t visible_to);
/* Metadata as parallel arrays of names and values (arena). */
hv_err hv_model_project_metadata(const char ***names, const char ***values, size_t *n, hv_ctx *ctx,
                                 int64_t project_id);
/* Sets (inserts or replaces) one metadata key. */
hv_err hv_model_project_set_metadata(hv_ctx *ctx, int64_t project_id, const char *name,
                                     const char *value);
/* HV_E_NOT_FOUND when the key is not set. */
hv_err hv_model_project_delete_metadata(hv_ctx *ctx, int64_t project_id, const char *name);
hv_err hv_model_project_set_cve_allowlist(hv_ctx *ctx, int64_t project_id, const char *json);
/* Deletes the project (members, robots and metadata go with it). */
hv_err hv_model_project_delete(hv_ctx *ctx, int64_t project_id);
hv_err hv_model_project_repo_count(int64_t *out, hv_ctx *ctx, int64_t project_id);

/* Users.  get: HV_E_NOT_FOUND when absent. */
hv_err hv_model_user_get(hv_user *out, hv_ctx *ctx, const char *username);
hv_err hv_model_user_get_by_id(hv_user *out, hv_ctx *ctx, int64_t id);
/* Inserts u (username, email, realname, comment, password_hash, sysadmin); HV_E_CONFLICT
 * when the username or email is taken. */
hv_err hv_model_user_create(int64_t *out_id, hv_ctx *ctx, const hv_user *u);
hv_err hv_model_user_count(int64_t *out, hv_ctx *ctx);
/* q keys: username, email, realname, user_id, creation_time, update_time, sysadmin_flag. */
hv_err hv_model_user_list(hv_user **out, size_t *n, int64_t *total, hv_ctx *ctx,
                          const hv_list *list);
/* Updates email, realname and comment. */
hv_err hv_model_user_update(hv_ctx *ctx, const hv_user *u);
hv_err hv_model_user_set_password(hv_ctx *ctx, int64_t id, const char *password_hash);
hv_err hv_model_user_set_sysadmin(hv_ctx *ctx, int64_t id, bool sysadmin);
hv_err hv_model_user_delete(hv_ctx *ctx, int64_t id);

/* Members.  get: HV_E_NOT_FOUND; create: HV_E_CONFLICT when already a member. */
hv_err hv_model_member_list(hv_member **out, size_t *n, int64_t *total, hv_ctx *ctx,
                            int64_t project_id, const char *entityname, const hv_list *list);
hv_err hv_model_member_get(hv_member *out, hv_ctx *ctx, int64_t project_id, int64_t id);
hv_err hv_model_member_create(int64_t *out_id, hv_ctx *ctx, int64_t project_id, int64_t user_id,
                              int role);
hv_err hv_model_member_update(hv_ctx *ctx, int64_t project_id, int64_t id, int role);
hv_err hv_model_member_delete(hv_ctx *ctx, int64_t project_id, int64_t id);
/* The roles of a user in a project (0 or 1 today; groups may add more). */
hv_err hv_model_member_roles(int roles[5], size_t *n, hv_ctx *ctx, int64_t project_id,
                             int64_t user_id);
/* Members per role: counts[role] for role 1..5. */
hv_err hv_model_member_counts(int64_t counts[6], hv_ctx *ctx, int64_t project_id);

/* Robots.  get: HV_E_NOT_FOUND; create: HV_E_CONFLICT when the name is taken; its
 * creation_time is r->creation_time when set (what r->expires_at was computed from), else
 * now. */
hv_err hv_model_robot_create(int64_t *out_id, hv_ctx *ctx, const hv_robot *r);
hv_err hv_model_robot_get(hv_robot *out, hv_ctx *ctx, int64_t id);
hv_err hv_model_robot_get_by_name(hv_robot *out, hv_ctx *ctx, const char *name);
/* q keys: name, level (Level), project_id (ProjectID); with permissions. */
hv_err hv_model_robot_list(hv_robot **out, size_t *n, int64_t *total, hv_ctx *ctx,
                           const hv_list *list);
/* Updates description, disabled, duration, expires_at and replaces the permissions. */
hv_err hv_model_robot_update(hv_ctx *ctx, const hv_robot *r);
hv_err hv_model_robot_set_secret(hv_ctx *ctx, int64_t id, const char *secret_hash);
hv_err hv_model_robot_delete(hv_ctx *ctx, int64_t id);

/* Audit log.  q keys: username, resource, resource_type, operation, op_time. */
/* Adds entry as a row of project `project` (NULL, or a project that does not exist (any
 * more): 0); entry->id and entry->project_id are not read. */
hv_err hv_model_audit_add(hv_ctx *ctx, const hv_audit_log *entry, const char *project);
/* The same for n entries, entries[i] of projects[i], in a few statements (a round trip for
 * up to 128 rows). */
hv_err hv_model_audit_add_many(hv_ctx *ctx, const hv_audit_log *entries,
                               const char *const *projects, size_t n);
hv_err hv_model_audit_list(hv_audit_log **out, size_t *n, int64_t *total, hv_ctx *ctx,
                           const hv_list *list, int64_t project_id /* 0: all */);
/* Purging: the rows older than before_ms (op_time) whose operation is one of ops, a
 * comma-separated list such as "create,delete,pull".  count: how many there are; purge: deletes
 * at most limit of them (the oldest), *deleted says how many. */
hv_err hv_model_audit_purge_count(int64_t *out, hv_ctx *ctx, int64_t before_ms, const char *ops);
hv_err hv_model_audit_purge(int64_t *deleted, hv_ctx *ctx, int64_t before_ms, const char *ops,
                            int64_t limit);

/* Quotas.  charge adds size to the project's usage unless that passes its hard limit
 * (HV_E_DENIED with Harbor's message); a project without a quota row gets one (unlimited).
 * refund subtracts. */
hv_err hv_model_quota_charge(hv_ctx *ctx, int64_t project_id, int64_t size);
hv_err hv_model_quota_refund(hv_ctx *ctx, int64_t project_id, int64_t size);
/* Locks the project's quota row until the transaction ends (creating it if missing): the lock
 * that transactions changing the project's blob links and usage take first, so that on
 * PostgreSQL, where they run side by side, they happen one after the other per project.  A
 * no-op on SQLite, whose transactions already run one at a time. */
hv_err hv_model_quota_lock(hv_ctx *ctx, int64_t project_id);

/* ---- quotas, continued (quota.c) */

/* A project's storage quota, with its project's name and owner (Harbor's ref object). */
typedef struct hv_quota {
    int64_t id;
    int64_t project_id;
    const char *project_name;
    const char *owner_name;
    int64_t hard;          /* bytes; -1 unlimited */
    int64_t used;          /* bytes: the sizes of the blobs linked to the project, each once */
    int64_t creation_time; /* ms */
    int64_t update_time;
} hv_quota;

/* The quota row of a new project with its hard limit (replaces the limit of a row that
 * exists already, which migration 004's trigger inserts with the project). */
hv_err hv_model_quota_create(hv_ctx *ctx, int64_t project_id, int64_t hard);
/* HV_E_NOT_FOUND when absent. */
hv_err hv_model_quota_get(hv_quota *out, hv_ctx *ctx, int64_t id);
hv_err hv_model_quota_get_by_project(hv_quota *out, hv_ctx *ctx, int64_t project_id);
/* q and sort keys: id, reference_id (the project id), hard.storage (unlimited sorts as the
 * largest), used.storage, creation_time, update_time; newest first by default.  `fixed` are
 * terms the caller imposes on the same keys. */
hv_err hv_model_quota_list(hv_quota **out, size_t *n, int64_t *total, hv_ctx *ctx,
                           const hv_list *list, const hv_query_term *fixed, size_t n_fixed);
/* Sets the hard limit (may be below the usage: further charges are refused).
 * HV_E_NOT_FOUND when absent. */
hv_err hv_model_quota_set_hard(hv_ctx *ctx, int64_t id, int64_t hard);
/* The usage recomputed from the links: the sum of the sizes of the project's blobs. */
hv_err hv_model_quota_linked_size(int64_t *out, hv_ctx *ctx, int64_t project_id);
/* ---- end of quotas */

/* The blobs of an artifact (config, layers, its manifest) that no other artifact of the
 * project references, with their sizes. */
hv_err hv_model_artifact_exclusive_blobs(const char ***digests, int64_t **sizes, size_t *n,
                                         hv_ctx *ctx, int64_t project_id, const hv_artifact *a);

/* Whether the database answers a query (health checks).  The engine's error otherwise. */
hv_err hv_model_ping(hv_ctx *ctx);

/* Settings changed at run time; *value is def when unset. */
hv_err hv_model_setting_get(const char **value, hv_ctx *ctx, const char *name, const char *def);
hv_err hv_model_setting_set(hv_ctx *ctx, const char *name, const char *value);

/* Repositories.  get: HV_E_NAME_UNKNOWN when absent; ensure creates it when missing. */
hv_err hv_model_repository_get(hv_repository *out, hv_ctx *ctx, const char *name);
hv_err hv_model_repository_ensure(hv_repository *out, hv_ctx *ctx, int64_t project_id,
                                  const char *name);
/* Repository names after `last` (NULL: from the start), sorted, at most limit. */
hv_err hv_model_repository_names(const char ***out, size_t *n, hv_ctx *ctx, const char *last,
                                 int64_t limit);

/* Blobs: records, and their links to projects. */
hv_err hv_model_blob_put(hv_ctx *ctx, const char *digest, int64_t size);
/* *added says whether the link is new. */
hv_err hv_model_blob_link(bool *added, hv_ctx *ctx, int64_t project_id, const char *digest);
/* Size of a blob linked to the project; HV_E_BLOB_UNKNOWN when not linked. */
hv_err hv_model_blob_linked(int64_t *size, hv_ctx *ctx, int64_t project_id, const char *digest);
/* HV_E_BLOB_UNKNOWN when it was not linked. */
hv_err hv_model_blob_unlink(hv_ctx *ctx, int64_t project_id, const char *digest);
/* The projects the blob is linked to, public ones first, then by id; at most limit (in the
 * arena). */
hv_err hv_model_blob_projects(hv_project **out, size_t *n, hv_ctx *ctx, const char *digest,
                              int64_t limit);

/* Artifacts.  get/by_tag: HV_E_MANIFEST_UNKNOWN when absent. */
hv_err hv_model_artifact_get(hv_artifact *out, hv_ctx *ctx, int64_t repository_id,
                             const char *digest);
hv_err hv_model_artifact_by_tag(hv_artifact *out, hv_ctx *ctx, int64_t repository_id,
                                const char *tag);
/* Inserts the artifact unless (repository, digest) exists; sets a->id either way and
 * *created when it was new. */
hv_err hv_model_artifact_put(bool *created, hv_ctx *ctx, hv_artifact *a);
hv_err hv_model_artifact_add_blob(hv_ctx *ctx, int64_t artifact_id, const char *digest);
hv_err hv_model_artifact_add_reference(hv_ctx *ctx, int64_t parent_id,
                                       const hv_oci_descriptor *child);
/* The child of index parent_id for a platform, as an artifact of the same repository.
 * HV_E_MANIFEST_UNKNOWN when the index has no such child. */
hv_err hv_model_artifact_child(hv_artifact *out, hv_ctx *ctx, const hv_artifact *parent,
                               const char *os, const char *architecture);
/* How many indexes of the artifact's repository reference it. */
hv_err hv_model_artifact_parents(int64_t *out, hv_ctx *ctx, const hv_artifact *a);
/* Deletes the artifact with its tags and references (not its blobs). */
hv_err hv_model_artifact_delete(hv_ctx *ctx, int64_t artifact_id);
/* Artifacts of a repository whose subject is digest, optionally of one artifact type. */
hv_err hv_model_referrers(hv_artifact **out, size_t *n, hv_ctx *ctx, int64_t repository_id,
                          const char *subject, const char *artifact_type);
/* Tags of an artifact (for events on deletion). */
hv_err hv_model_artifact_tags(const char ***out, size_t *n, hv_ctx *ctx, int64_t artifact_id);

/* Tags.  put moves the tag when it exists: *previous is the artifact it pointed to, or 0. */
hv_err hv_model_tag_put(int64_t *previous, hv_ctx *ctx, int64_t repository_id, const char *name,
                        int64_t artifact_id);
/* HV_E_MANIFEST_UNKNOWN when the tag does not exist. */
hv_err hv_model_tag_delete(hv_ctx *ctx, int64_t repository_id, const char *name);
hv_err hv_model_tag_names(const char ***out, size_t *n, hv_ctx *ctx, int64_t repository_id,
                          const char *last, int64_t limit);

/* Uploads.  get: HV_E_BLOB_UPLOAD_UNKNOWN when absent. */
hv_err hv_model_upload_create(hv_ctx *ctx, const hv_upload *u);
hv_err hv_model_upload_get(hv_upload *out, hv_ctx *ctx, const char *uuid);
/* Records u's new size and hash state, only if the upload still holds `from` bytes (the
 * size the writer started at): HV_E_RANGE when another request moved it on meanwhile. */
hv_err hv_model_upload_update(hv_ctx *ctx, const hv_upload *u, int64_t from);
hv_err hv_model_upload_delete(hv_ctx *ctx, const char *uuid);
/* Uploads idle since before the cutoff. */
hv_err hv_model_upload_stale(const char ***out, size_t *n, hv_ctx *ctx, int64_t cutoff_ms);

/* Secrets every node needs (auth's store: values arrive sealed).  get: *value in the arena,
 * HV_E_NOT_FOUND when absent.  add stores value unless the name is taken (then nothing
 * changes: the first node's value stays, and get reads it). */
hv_err hv_model_secret_get(const void **value, size_t *len, hv_ctx *ctx, const char *name);
hv_err hv_model_secret_add(hv_ctx *ctx, const char *name, const void *value, size_t len);

/* The scanner's inventory of a layer (scan's JSON), as the analyzers of version computed it.
 * get: *json in the arena, HV_E_NOT_FOUND when absent or of another version; put stores or
 * replaces it. */
hv_err hv_model_scan_layer_get(const char **json, hv_ctx *ctx, const char *digest, int version);
hv_err hv_model_scan_layer_put(hv_ctx *ctx, const char *digest, int version, const char *json);

/* The event outbox.  claim returns up to limit of the oldest events (arena) and, inside the
 * caller's transaction, keeps them from every other dispatcher until it ends (on PostgreSQL,
 * rows locked by another are skipped, not waited for); done deletes the claimed rows. */
hv_err hv_model_outbox_add(hv_ctx *ctx, const char *type, const char *payload);
hv_err hv_model_outbox_claim(hv_event_row **out, size_t *n, hv_ctx *ctx, int64_t limit);
hv_err hv_model_outbox_done(hv_ctx *ctx, const hv_event_row *rows, size_t n);

/* ---- repositories as the Harbor API shows them, and /statistics (repository.c) */

/* Which projects a cross-project list or count covers: all of them, or the public ones plus
 * those user_id is a member of (when > 0) plus project_ids (a robot's projects). */
typedef struct hv_visibility {
    bool all;
    int64_t user_id;
    const int64_t *project_ids;
    size_t n_project_ids;
} hv_visibility;

typedef struct hv_repository_detail {
    int64_t id;
    int64_t project_id;
    const char *project_name;
    bool project_public;
    const char *name; /* "project/repository" */
    const char *description;
    int64_t artifact_count; /* what the artifact list shows: no accessories, no untagged
                               children of an index */
    int64_t pull_count;
    int64_t creation_time; /* ms */
    int64_t update_time;
} hv_repository_detail;

/* Repositories of project_id (0: of every project) that vis covers.  q and sort keys: id,
 * name, project_id, description, pull_count, creation_time, update_time; newest first by
 * default.  artifact_count is filled for the page's rows. */
hv_err hv_model_repository_list(hv_repository_detail **out, size_t *n, int64_t *total, hv_ctx *ctx,
                                const hv_list *list, int64_t project_id, const hv_visibility *vis);
/* By full name.  HV_E_NOT_FOUND when absent. */
hv_err hv_model_repository_detail(hv_repository_detail *out, hv_ctx *ctx, const char *name);
/* The artifacts of a repository that its artifact list shows by default: not accessories,
 * and tagged or not held by an index of the repository. */
hv_err hv_model_repository_artifact_count(int64_t *out, hv_ctx *ctx, int64_t repository_id);
/* Every artifact of the repository, accessories included. */
hv_err hv_model_repository_all_artifacts(int64_t *out, hv_ctx *ctx, int64_t repository_id);
/* HV_E_NOT_FOUND when absent. */
hv_err hv_model_repository_set_description(hv_ctx *ctx, int64_t id, const char *description);
/* Deletes the row (its tags and artifacts cascade: empty it first through the registry).
 * HV_E_NOT_FOUND when absent. */
hv_err hv_model_repository_delete(hv_ctx *ctx, int64_t id);
/* Up to limit artifacts of the repository that no index of it lists and whose subject is
 * not in it: the ones that can be deleted next when emptying it.  ignore_subjects drops the
 * second condition, to break a loop of accessories naming each other as subjects. */
hv_err hv_model_repository_roots(hv_artifact **out, size_t *n, hv_ctx *ctx, int64_t repository_id,
                                 int64_t limit, bool ignore_subjects);

typedef struct hv_statistics {
    int64_t public_projects, private_projects;
    int64_t public_repositories, private_repositories;
    int64_t storage; /* bytes of every stored blob, each once (with_storage only) */
} hv_statistics;

hv_err hv_model_statistics(hv_statistics *out, hv_ctx *ctx, const hv_visibility *vis,
                           bool with_storage);
/* ---- end of repositories */

/* ---- artifacts as the Harbor API shows them (artifact.c, artifact_list.c) */

/* What a push learns of an artifact beyond its manifest, stored when the row is created. */
typedef struct hv_artifact_kind {
    const char *type;              /* IMAGE, CHART, CNAB, WASM, SBOM or UNKNOWN */
    const char *config_media_type; /* the config's media type; NULL for an index */
    const char *extra_attrs_json;  /* a JSON object, or NULL */
    const char *accessory_type;    /* signature.cosign, ...; NULL unless an accessory */
    int64_t total_size;            /* manifest + config + layers, or index + children */
} hv_artifact_kind;

/* An artifact row with everything the API shows of it. */
typedef struct hv_artifact_info {
    hv_artifact a; /* a.media_type is the manifest's; a.size the manifest's length */
    hv_artifact_kind kind;
    int64_t project_id;
    const char *repository_name;
    int64_t push_time; /* ms */
    int64_t pull_time; /* ms; 0 when never pulled */
    int64_t pull_count;
} hv_artifact_info;

typedef struct hv_tag_info {
    int64_t id;
    int64_t repository_id;
    int64_t artifact_id;
    const char *name;
    int64_t push_time; /* ms */
    int64_t pull_time; /* ms; 0 when never pulled */
} hv_tag_info;

/* An entry of an index: the child (child_id 0 when it is not in the repository) and the
 * entry's platform, annotations and urls (JSON texts, or NULL). */
typedef struct hv_artifact_ref {
    int64_t parent_id;
    int64_t child_id;
    const char *child_digest;
    const char *os, *architecture, *variant, *os_version;
    const char *os_features_json, *annotations_json, *urls_json;
} hv_artifact_ref;

/* A label attached to an artifact. */
typedef struct hv_artifact_label {
    int64_t id;
    const char *name, *description, *color, *scope;
    int64_t project_id; /* 0 for global labels */
    int64_t creation_time, update_time;
} hv_artifact_label;

/* Where an artifact list looks: a project, or one repository of it. */
typedef struct hv_artifact_scope {
    int64_t project_id;
    int64_t repository_id;     /* 0: every repository of the project */
    bool latest_in_repository; /* only the most recently pushed artifact of each repository */
} hv_artifact_scope;

/* Stores what a push learned of a new artifact; the entry details of an index's child. */
hv_err hv_model_artifact_set_kind(hv_ctx *ctx, int64_t artifact_id, const hv_artifact_kind *k);
hv_err hv_model_artifact_reference_details(hv_ctx *ctx, int64_t parent_id, const char *child,
                                           const char *os_version, const char *os_features_json,
                                           const char *annotations_json, const char *urls_json);
/* By digest, tag or id.  HV_E_MANIFEST_UNKNOWN when absent. */
hv_err hv_model_artifact_info(hv_artifact_info *out, hv_ctx *ctx, int64_t repository_id,
                              const char *digest);
hv_err hv_model_artifact_info_by_tag(hv_artifact_info *out, hv_ctx *ctx, int64_t repository_id,
                                     const char *tag);
/* Artifacts of a scope without accessories, and by default without the untagged children
 * of indexes.  q keys: tags (=name, =~part, =* tagged, =nil untagged), labels (=id or
 * =(id id): all of them), base (=*: children of indexes too), digest, type, media_type (the
 * config's, an index's own), manifest_media_type, artifact_type, size, push_time,
 * pull_time, repository_name (also sort key `name`); newest push first by default. */
hv_err hv_model_artifact_list(hv_artifact_info **out, size_t *n, int64_t *total, hv_ctx *ctx,
                              const hv_artifact_scope *scope, const hv_list *list);
/* The accessories of subject in a repository.  q keys: type, digest, artifact_type, size,
 * creation_time (push time); newest first. */
hv_err hv_model_accessory_list(hv_artifact_info **out, size_t *n, int64_t *total, hv_ctx *ctx,
                               int64_t repository_id, const char *subject, const hv_list *list);
/* Whether an artifact of the repository is a signature.* accessory of subject. */
hv_err hv_model_artifact_signed(bool *out, hv_ctx *ctx, int64_t repository_id, const char *subject);
/* Every tag of an artifact, by name. */
hv_err hv_model_artifact_tag_infos(hv_tag_info **out, size_t *n, hv_ctx *ctx, int64_t artifact_id);
/* Tags of an artifact.  q keys: name, id, push_time, pull_time; by name by default. */
hv_err hv_model_tag_list(hv_tag_info **out, size_t *n, int64_t *total, hv_ctx *ctx,
                         int64_t artifact_id, const hv_list *list);
/* HV_E_NOT_FOUND when the repository has no such tag. */
hv_err hv_model_tag_get(hv_tag_info *out, hv_ctx *ctx, int64_t repository_id, const char *name);
/* A new tag; HV_E_CONFLICT when the repository has it already. */
hv_err hv_model_tag_create(int64_t *out_id, hv_ctx *ctx, int64_t repository_id, int64_t artifact_id,
                           const char *name);
/* The entries of an index, in the index's order. */
hv_err hv_model_artifact_references(hv_artifact_ref **out, size_t *n, hv_ctx *ctx,
                                    const hv_artifact *parent);
hv_err hv_model_artifact_labels(hv_artifact_label **out, size_t *n, hv_ctx *ctx,
                                int64_t artifact_id);
/* The blobs an artifact references (config and layers) with their sizes. */
hv_err hv_model_artifact_blobs(const char ***digests, int64_t **sizes, size_t *n, hv_ctx *ctx,
                               int64_t artifact_id);
/* Size of a stored blob; HV_E_BLOB_UNKNOWN when absent. */
hv_err hv_model_blob_size(int64_t *out, hv_ctx *ctx, const char *digest);
/* Every stored blob with its size, by digest (in the arena). */
hv_err hv_model_blobs(const char ***digests, int64_t **sizes, size_t *n, hv_ctx *ctx);
/* Copies an artifact row (kind, annotations, blobs, index entries) into another repository
 * unless it has that digest already; sets *out_id either way and *created when new. */
hv_err hv_model_artifact_copy(int64_t *out_id, bool *created, hv_ctx *ctx,
                              const hv_artifact_info *src, int64_t repository_id);
/* Records `count` pulls of repository@digest (by tag, or NULL) at time ms: the artifact's
 * pull time and count, the tag's pull time, the repository's pull count.  Unknown names
 * change nothing. */
hv_err hv_model_artifact_pulled(hv_ctx *ctx, const char *repository, const char *digest,
                                const char *tag, int64_t ms, int64_t count);
/* ---- end of artifacts */

/* ---- immutable tag rules (immutable.c) and labels (label.c) */

/* An immutable tag rule of a project.  `rule` is the rest of Harbor's ImmutableRule
 * (action, template, params, tag_selectors, scope_selectors) as normalised JSON text: the
 * API writes it, the registry matches with it. */
typedef struct hv_immutable_rule {
    int64_t id;
    int64_t project_id;
    int64_t priority;
    bool disabled;
    const char *rule;
    int64_t creation_time; /* ms */
    int64_t update_time;
} hv_immutable_rule;

/* Inserts r (project_id, priority, disabled, rule); HV_E_CONFLICT when the project has a
 * rule with the same text already. */
hv_err hv_model_immutable_create(int64_t *out_id, hv_ctx *ctx, const hv_immutable_rule *r);
/* HV_E_NOT_FOUND when the project has no such rule. */
hv_err hv_model_immutable_get(hv_immutable_rule *out, hv_ctx *ctx, int64_t project_id, int64_t id);
/* How many rules the project has, enabled or not. */
hv_err hv_model_immutable_count(int64_t *out, hv_ctx *ctx, int64_t project_id);
/* q and sort keys: id, priority, disabled, creation_time, update_time; by id by default. */
hv_err hv_model_immutable_list(hv_immutable_rule **out, size_t *n, int64_t *total, hv_ctx *ctx,
                               int64_t project_id, const hv_list *list);
/* Sets priority, disabled and rule of rule r->id of r->project_id.  HV_E_NOT_FOUND;
 * HV_E_CONFLICT when another rule of the project has the same text. */
hv_err hv_model_immutable_update(hv_ctx *ctx, const hv_immutable_rule *r);
/* HV_E_NOT_FOUND when the project has no such rule. */
hv_err hv_model_immutable_delete(hv_ctx *ctx, int64_t project_id, int64_t id);
/* The enabled rules of a project, as their JSON texts, by priority then id. */
hv_err hv_model_immutable_rules(const char ***rules, size_t *n, hv_ctx *ctx, int64_t project_id);

/* ---- retention policies (retention.c) */

/* A project's tag retention policy: the normalised RetentionPolicy JSON without its id. */
typedef struct hv_retention_policy {
    int64_t id;
    int64_t project_id;
    const char *policy;
    int64_t creation_time, update_time;
} hv_retention_policy;

/* HV_E_CONFLICT when the project has a policy already. */
hv_err hv_model_retention_create(int64_t *out_id, hv_ctx *ctx, int64_t project_id,
                                 const char *policy);
/* HV_E_NOT_FOUND when absent (also for the two below). */
hv_err hv_model_retention_get(hv_retention_policy *out, hv_ctx *ctx, int64_t id);
hv_err hv_model_retention_update(hv_ctx *ctx, int64_t id, const char *policy);
hv_err hv_model_retention_delete(hv_ctx *ctx, int64_t id);
/* Deletes the schedules of vendor_type whose policy is gone (with its project). */
hv_err hv_model_retention_prune_schedules(hv_ctx *ctx, const char *vendor_type);

/* A retention task: a job of a retention execution, the repository it evaluates and, once
 * it ran, how many artifacts it found and kept. */
typedef struct hv_retention_task {
    int64_t job_id, execution_id;
    const char *repository;
    const char *state; /* the job's */
    int64_t total, retained;
    int64_t start_time, end_time, update_time; /* the job's, ms; 0 when not yet */
} hv_retention_task;

hv_err hv_model_retention_task_add(hv_ctx *ctx, int64_t job_id, int64_t execution_id,
                                   const char *repository);
hv_err hv_model_retention_task_set(hv_ctx *ctx, int64_t job_id, int64_t total, int64_t retained);
/* The tasks of an execution, by job id (list: paging; q keys id, repository, status). */
hv_err hv_model_retention_task_list(hv_retention_task **out, size_t *n, int64_t *total, hv_ctx *ctx,
                                    int64_t execution_id, const hv_list *list);
/* HV_E_NOT_FOUND when the job is not a task of the execution. */
hv_err hv_model_retention_task_get(hv_retention_task *out, hv_ctx *ctx, int64_t execution_id,
                                   int64_t job_id);

/* A label: global (scope "g", project_id 0) or of a project (scope "p").  The same record
 * as the labels of an artifact (hv_artifact_label, read by hv_model_artifact_labels). */
typedef hv_artifact_label hv_label;

/* Inserts l (name, description, color, scope, project_id).  HV_E_CONFLICT when its scope
 * and project have a label of that name. */
hv_err hv_model_label_create(int64_t *out_id, hv_ctx *ctx, const hv_label *l);
/* HV_E_NOT_FOUND when absent. */
hv_err hv_model_label_get(hv_label *out, hv_ctx *ctx, int64_t id);
/* q and sort keys: id, name, description, color, scope, project_id (0 for global labels),
 * creation_time, update_time; by id by default.  `fixed` are terms the caller imposes. */
hv_err hv_model_label_list(hv_label **out, size_t *n, int64_t *total, hv_ctx *ctx,
                           const hv_list *list, const hv_query_term *fixed, size_t n_fixed);
/* Sets name, description and color of label l->id (l->scope names it in a conflict).
 * HV_E_NOT_FOUND; HV_E_CONFLICT when the name is taken in its scope and project. */
hv_err hv_model_label_update(hv_ctx *ctx, const hv_label *l);
/* Deletes the label and its attachments.  HV_E_NOT_FOUND. */
hv_err hv_model_label_delete(hv_ctx *ctx, int64_t id);
/* Attaches a label to an artifact (both must exist); HV_E_CONFLICT when it is attached. */
hv_err hv_model_artifact_label_add(hv_ctx *ctx, int64_t artifact_id, int64_t label_id);
/* HV_E_NOT_FOUND when the label is not attached to the artifact. */
hv_err hv_model_artifact_label_remove(hv_ctx *ctx, int64_t artifact_id, int64_t label_id);
/* ---- end of immutable tag rules and labels */

/* ---- scanner registrations (scanner.c) */

/* A registration of a scanner: Harbor's ScannerRegistration as stored.  access_credential
 * is sealed (auth's hv_auth_seal text), "" when there is none. */
typedef struct hv_scanner_reg {
    int64_t id;
    const char *uuid, *name, *description, *url, *auth, *access_credential;
    bool skip_cert_verify, use_internal_addr, disabled, is_default, builtin;
    int64_t creation_time, update_time;
} hv_scanner_reg;

/* Inserts r (id, times ignored); HV_E_CONFLICT naming the field (name or url) that another
 * registration has.  With r->is_default, the registration becomes the only default. */
hv_err hv_model_scanner_create(int64_t *out_id, hv_ctx *ctx, const hv_scanner_reg *r);
/* By uuid; HV_E_NOT_FOUND. */
hv_err hv_model_scanner_get(hv_scanner_reg *out, hv_ctx *ctx, const char *uuid);
/* The default registration; HV_E_NOT_FOUND when there is none. */
hv_err hv_model_scanner_default(hv_scanner_reg *out, hv_ctx *ctx);
/* The built-in registration; HV_E_NOT_FOUND when there is none. */
hv_err hv_model_scanner_builtin(hv_scanner_reg *out, hv_ctx *ctx);
/* q and sort keys: name, description, url, auth, disabled, is_default, creation_time,
 * update_time. */
hv_err hv_model_scanner_list(hv_scanner_reg **out, size_t *n, int64_t *total, hv_ctx *ctx,
                             const hv_list *list);
/* Sets every stored field of r->uuid but uuid, is_default, builtin and creation_time;
 * HV_E_NOT_FOUND, HV_E_CONFLICT as create. */
hv_err hv_model_scanner_update(hv_ctx *ctx, const hv_scanner_reg *r);
/* Makes uuid the only default registration; HV_E_NOT_FOUND. */
hv_err hv_model_scanner_set_default(hv_ctx *ctx, const char *uuid);
/* Deletes the registration (projects that chose it fall back to the default);
 * HV_E_NOT_FOUND. */
hv_err hv_model_scanner_delete(hv_ctx *ctx, const char *uuid);
/* The registration a project chose; *found false when it chose none. */
hv_err hv_model_scanner_of_project(hv_scanner_reg *out, bool *found, hv_ctx *ctx,
                                   int64_t project_id);
/* Sets the project's registration (uuid must exist: HV_E_NOT_FOUND). */
hv_err hv_model_scanner_set_project(hv_ctx *ctx, int64_t project_id, const char *uuid);
/* ---- end of scanner registrations */

/* ---- scan reports (scan_report.c) */

/* One report of an artifact digest by a scanner registration in one MIME type. */
typedef struct hv_scan_report_row {
    int64_t id;
    const char *uuid, *digest, *registration_uuid, *mime_type, *status;
    int64_t job_id;
    const char *report, *overview, *message; /* report and overview NULL until Success */
    int64_t start_time, end_time;            /* end_time 0 until it ends */
} hv_scan_report_row;

/* Starts the report of (digest, registration, mime) anew under uuid (Pending, now).
 * HV_E_CONFLICT when that report is Pending or Running already. */
hv_err hv_model_scan_report_begin(hv_ctx *ctx, const char *uuid, const char *digest,
                                  const char *registration_uuid, const char *mime);
hv_err hv_model_scan_report_set_job(hv_ctx *ctx, const char *uuid, int64_t job_id);
/* Marks report uuid Running; *found false when no report has that uuid (a newer scan
 * replaced it) or it has ended. */
hv_err hv_model_scan_report_running(bool *found, hv_ctx *ctx, const char *uuid);
/* Ends report uuid with status (Success with report and overview; Error or Stopped with
 * message). */
hv_err hv_model_scan_report_finish(hv_ctx *ctx, const char *uuid, const char *status,
                                   const char *report, const char *overview, const char *message);
/* The report of (digest, registration, mime); *found false when there is none. */
hv_err hv_model_scan_report_get(hv_scan_report_row *out, bool *found, hv_ctx *ctx,
                                const char *digest, const char *registration_uuid,
                                const char *mime);
/* By its uuid; HV_E_NOT_FOUND. */
hv_err hv_model_scan_report_by_uuid(hv_scan_report_row *out, hv_ctx *ctx, const char *uuid);
/* ---- end of scan reports */

/* ---- background work: jobs, executions, schedules (job.c, execution.c) */

/* A job of the queue (see src/jobs/jobs.h for what its states mean). */
typedef struct hv_job_row {
    int64_t id;
    const char *kind;
    const char *params; /* JSON object */
    const char *state;  /* Pending | Running | Success | Error | Stopped */
    int64_t attempts, max_attempts;
    int64_t run_after;       /* ms */
    const char *lease_owner; /* the pool holding it, or NULL */
    int64_t lease_worker;    /* the worker of that pool */
    int64_t lease_expires;   /* ms */
    bool stop_requested;
    int64_t execution_id; /* 0: none */
    const char *status_message;
    int64_t creation_time, update_time, start_time, end_time; /* ms; 0 when not yet */
} hv_job_row;

/* Adds a Pending job. */
hv_err hv_model_job_add(int64_t *out_id, hv_ctx *ctx, const char *kind, const char *params,
                        int64_t max_attempts, int64_t run_after, int64_t execution_id);
/* Claims the ready job that waited longest: Pending with run_after passed, or Running with
 * its lease run out (its node died), of a kind whose queue is not paused.  It becomes Running,
 * leased to owner's worker until now + lease_ms, attempts + 1.  *found false when none.
 * Inside the caller's transaction; on PostgreSQL rows other nodes are claiming are skipped. */
hv_err hv_model_job_claim(hv_job_row *out, bool *found, hv_ctx *ctx, const char *owner,
                          int64_t worker, int64_t now, int64_t lease_ms);
/* Moves the lease of a job owner holds to expires; *held false when owner no longer holds it
 * (the lease ran out and another node took the job, or it was stopped while Pending);
 * *stop when a stop was requested. */
hv_err hv_model_job_renew(bool *held, bool *stop, hv_ctx *ctx, int64_t id, const char *owner,
                          int64_t expires);
/* Ends the run owner holds: state Success, Error or Stopped (end_time set), or Pending again
 * at run_after (a retry).  *held as in renew. */
hv_err hv_model_job_finish(bool *held, hv_ctx *ctx, int64_t id, const char *owner,
                           const char *state, const char *message, int64_t run_after);
/* Gives a run owner holds back, uncounted: Pending again now, attempts as before the claim
 * (its node is shutting down).  *held as in renew. */
hv_err hv_model_job_release(bool *held, hv_ctx *ctx, int64_t id, const char *owner);
/* HV_E_NOT_FOUND when absent. */
hv_err hv_model_job_get(hv_job_row *out, hv_ctx *ctx, int64_t id);
/* The jobs of an execution (its tasks), by id. */
hv_err hv_model_job_list_execution(hv_job_row **out, size_t *n, hv_ctx *ctx, int64_t execution_id);
/* The Running jobs leased to owner (NULL: to anyone), by worker. */
hv_err hv_model_job_running(hv_job_row **out, size_t *n, hv_ctx *ctx, const char *owner);
/* Stops jobs: Pending ones become Stopped, Running ones are asked to stop.  By id, by
 * execution, or by kind (NULL: every kind); *changed counts the jobs touched. */
hv_err hv_model_job_stop(int64_t *changed, hv_ctx *ctx, int64_t id);
hv_err hv_model_job_stop_execution(hv_ctx *ctx, int64_t execution_id);
hv_err hv_model_job_stop_kind(hv_ctx *ctx, const char *kind);
/* A job's log: lines are appended; read in order. */
hv_err hv_model_job_log_add(hv_ctx *ctx, int64_t job_id, const char *line);
hv_err hv_model_job_log(const char ***out, size_t *n, hv_ctx *ctx, int64_t job_id);

/* A job type's queue: Pending jobs, seconds the oldest ready one has waited, paused. */
typedef struct hv_job_queue {
    const char *kind;
    int64_t count;
    int64_t latency;
    bool paused;
} hv_job_queue;

/* Every kind with jobs Pending or a paused queue, by kind. */
hv_err hv_model_job_queues(hv_job_queue **out, size_t *n, hv_ctx *ctx, int64_t now);
hv_err hv_model_job_queue_set_paused(hv_ctx *ctx, const char *kind, bool paused);
hv_err hv_model_job_queue_paused(bool *out, hv_ctx *ctx, const char *kind);

/* A node's worker pool. */
typedef struct hv_job_pool {
    const char *id;
    int64_t pid;
    const char *host;
    int64_t concurrency;
    int64_t start_at, heartbeat_at; /* ms */
} hv_job_pool;

/* Records the pool (or its heartbeat, when it exists). */
hv_err hv_model_job_pool_put(hv_ctx *ctx, const hv_job_pool *p);
/* Pools whose heartbeat is at or after since, oldest first. */
hv_err hv_model_job_pool_list(hv_job_pool **out, size_t *n, hv_ctx *ctx, int64_t since);

/* Harbor's execution, with its tasks' counts (metrics). */
typedef struct hv_execution {
    int64_t id;
    const char *vendor_type;
    int64_t vendor_id;
    const char *trigger; /* MANUAL | SCHEDULE | EVENT */
    const char *status;  /* Pending | Running | Stopped | Error | Success */
    const char *status_message;
    const char *extra_attrs;                   /* JSON object */
    int64_t start_time, end_time, update_time; /* ms; end_time 0 while not finished */
    int64_t tasks, pending, running, succeeded, failed, stopped;
} hv_execution;

/* alone: the database refuses it (HV_E_CONFLICT) while another `alone` execution of the same
 * vendor_type and vendor_id is Pending or Running. */
hv_err hv_model_execution_add(int64_t *out_id, hv_ctx *ctx, const char *vendor_type,
                              int64_t vendor_id, const char *trigger, const char *extra_attrs,
                              bool alone);
/* Whether an `alone` execution of vendor_type and vendor_id is Pending or Running. */
hv_err hv_model_execution_busy(bool *out, hv_ctx *ctx, const char *vendor_type, int64_t vendor_id);
/* HV_E_NOT_FOUND when absent, or of another vendor_type (when not NULL). */
hv_err hv_model_execution_get(hv_execution *out, hv_ctx *ctx, int64_t id, const char *vendor_type);
/* Executions of a vendor type.  q and sort keys: id, vendor_id, status, trigger, start_time
 * (also creation_time), end_time, update_time; newest first by default. */
hv_err hv_model_execution_list(hv_execution **out, size_t *n, int64_t *total, hv_ctx *ctx,
                               const char *vendor_type, const hv_list *list);
/* Sets the execution's status from its tasks' states (Running while one is Pending or
 * Running and one has started; then Error, Stopped or Success; Success without tasks), with
 * end_time when final. */
hv_err hv_model_execution_refresh(hv_ctx *ctx, int64_t id);

/* A cron schedule of a feature. */
typedef struct hv_schedule {
    int64_t id;
    const char *vendor_type;
    int64_t vendor_id;
    const char *cron_type; /* Hourly | Daily | Weekly | Custom */
    const char *cron;
    const char *params; /* JSON object */
    int64_t next_fire_at;
    int64_t creation_time, update_time;
} hv_schedule;

/* Creates or replaces the schedule of (vendor_type, vendor_id). */
hv_err hv_model_schedule_put(hv_ctx *ctx, const hv_schedule *s);
/* HV_E_NOT_FOUND when absent. */
hv_err hv_model_schedule_get(hv_schedule *out, hv_ctx *ctx, const char *vendor_type,
                             int64_t vendor_id);
/* *changed false when there was none. */
hv_err hv_model_schedule_delete(bool *changed, hv_ctx *ctx, const char *vendor_type,
                                int64_t vendor_id);
/* Every schedule (list: paging only), by id. */
hv_err hv_model_schedule_list(hv_schedule **out, size_t *n, int64_t *total, hv_ctx *ctx,
                              const hv_list *list);
/* Schedules whose next_fire_at has come. */
hv_err hv_model_schedule_due(hv_schedule **out, size_t *n, hv_ctx *ctx, int64_t now);
/* Moves next_fire_at from `from` to `to`; *won false when it was no longer `from` (another
 * node fired it). */
hv_err hv_model_schedule_advance(bool *won, hv_ctx *ctx, int64_t id, int64_t from, int64_t to);
/* ---- end of background work */

/* ---- garbage collection (gc.c) */

/* An untagged artifact: no tag, not listed by an index of its repository, not an accessory
 * whose subject is in the repository. */
typedef struct hv_gc_artifact {
    int64_t id;
    int64_t repository_id;
    const char *repository;
    int64_t project_id;
    const char *digest;
} hv_gc_artifact;

/* A blob's link to a project. */
typedef struct hv_gc_link {
    int64_t project_id;
    const char *digest;
} hv_gc_link;

/* Up to limit untagged artifacts with ids above after, by id. */
hv_err hv_model_gc_untagged(hv_gc_artifact **out, size_t *n, hv_ctx *ctx, int64_t after,
                            int64_t limit);
/* Up to limit links that no artifact of their project references, made before cutoff, of
 * projects with no upload open; after (after_project, after_digest), in that order. */
hv_err hv_model_gc_orphan_links(hv_gc_link **out, size_t *n, hv_ctx *ctx, int64_t cutoff,
                                int64_t after_project, const char *after_digest, int64_t limit);
/* Locks the link, then deletes it if it is still an orphan (*done); the caller refunds the
 * project's quota. */
hv_err hv_model_gc_unlink_orphan(bool *done, hv_ctx *ctx, int64_t project_id, const char *digest,
                                 int64_t cutoff);
/* Up to limit blobs linked to no project, referenced by no artifact, last referenced before
 * cutoff; digests above after, in order. */
hv_err hv_model_gc_garbage_blobs(const char ***digests, int64_t **sizes, size_t *n, hv_ctx *ctx,
                                 int64_t cutoff, const char *after, int64_t limit);
/* Deletes the blob's row if it is still garbage, leaving a tombstone (*done). */
hv_err hv_model_gc_delete_blob(bool *done, hv_ctx *ctx, const char *digest, int64_t cutoff);
/* Up to limit tombstones above after, in order. */
hv_err hv_model_gc_tombstones(const char ***out, size_t *n, hv_ctx *ctx, const char *after,
                              int64_t limit);
/* Locks the tombstone until the transaction ends; *claimed when it is there and the digest
 * was not stored again (a tombstone of a digest stored again is deleted). */
hv_err hv_model_gc_tombstone_claim(bool *claimed, hv_ctx *ctx, const char *digest);
hv_err hv_model_gc_tombstone_done(hv_ctx *ctx, const char *digest);
/* What a run would delete now: untagged artifacts (when delete_untagged), and blobs with
 * their bytes, counting those artifacts as deleted. */
hv_err hv_model_gc_estimate(int64_t *artifacts, int64_t *blobs, int64_t *bytes, hv_ctx *ctx,
                            int64_t cutoff, bool delete_untagged);
/* ---- end of garbage collection */

/* ---------------------------------------------------------------- vulnerability database
 * Tables of the scanner's vulnerability database, which is a SQLite file of its own (see
 * scan's vulndb.c): ctx->db is that file's connection, not the metadata's. */
typedef struct hv_vuln_record {
    const char *id;           /* the record's own id: "GHSA-…", "DSA-5514-1", "CVE-…" */
    const char *ids;          /* JSON array of the ids a report names it by (its CVEs, else id) */
    const char *description;  /* NULL: none */
    const char *severity;     /* the database's own label ("HIGH", "MODERATE"); NULL: none */
    const char *cvss3_vector; /* NULL: none */
    int64_t cvss3_score10;    /* base score x 10; -1: none */
    const char *cvss4_vector; /* NULL: none */
    int64_t cvss4_score10;    /* base score x 10; -1: none */
    const char *cwe_ids;      /* JSON array */
    const char *links;        /* JSON array */
} hv_vuln_record;

typedef struct hv_vuln_affected {
    const char *vuln_id;
    const char *ecosystem;   /* OSV's: "Debian:12", "Alpine:v3.19", "npm", "PyPI" */
    const char *package;     /* source package for OS ecosystems; PyPI names normalised */
    const char *ranges;      /* scan's compact text of the ranges (scan/vulndb_int.h) */
    const char *versions;    /* the same of the affected versions; NULL: none */
    int64_t vendor_severity; /* the vendor's severity of this package (scan's enum); 0: none */
} hv_vuln_affected;

/* Creates the tables in an empty database file. */
hv_err hv_model_vulndb_schema(hv_ctx *ctx);
/* Stores a record; one already stored under the same id stays as it is. */
hv_err hv_model_vulndb_put(hv_ctx *ctx, const hv_vuln_record *v);
hv_err hv_model_vulndb_put_affected(hv_ctx *ctx, const hv_vuln_affected *a);
/* The affected entries of one package of one ecosystem (arena). */
hv_err hv_model_vulndb_affected(hv_vuln_affected **out, size_t *n, hv_ctx *ctx,
                                const char *ecosystem, const char *package);
/* The record of that id (strings in the arena); HV_E_NOT_FOUND. */
hv_err hv_model_vulndb_get(hv_vuln_record *out, hv_ctx *ctx, const char *id);
/* A value of the database's metadata ("updated_at", "source"); *value NULL when unset. */
hv_err hv_model_vulndb_meta_get(const char **value, hv_ctx *ctx, const char *key);
hv_err hv_model_vulndb_meta_set(hv_ctx *ctx, const char *key, const char *value);
/* A read transaction around many lookups: one snapshot, and the file is locked and checked
 * once instead of at every statement (SQLite's deferred BEGIN, which takes no write lock). */
hv_err hv_model_vulndb_read_begin(hv_ctx *ctx);
hv_err hv_model_vulndb_read_end(hv_ctx *ctx);
/* How many records and affected packages it holds. */
hv_err hv_model_vulndb_counts(int64_t *records, int64_t *affected, hv_ctx *ctx);
/* ---- end of vulnerability database */

#endif
