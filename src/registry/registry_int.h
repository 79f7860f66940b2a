/* Shared between the files of the registry module only. */
#ifndef HV_REGISTRY_INT_H
#define HV_REGISTRY_INT_H

#include "registry/registry.h"

struct hv_registry {
    hv_blob_store *blobs;
    hv_registry_config cfg;
};

/* Links a blob to the project and, when it was not linked yet, charges its size to the
 * project's quota, in the caller's transaction (quota.c).  HV_E_DENIED "Quota exceeded…"
 * when that would pass the project's hard limit. */
hv_err hv_registry__link_blob(hv_ctx *ctx, int64_t project_id, const char *digest, int64_t size);

/* Before an artifact's row goes: unlinks from the project the blobs (config, layers, the
 * manifest itself) that no other artifact of the project references, and refunds their
 * sizes (quota.c). */
hv_err hv_registry__release_artifact(hv_ctx *ctx, int64_t project_id, const hv_artifact *a);

/* ---- quotas, continued (quota.c) */
/* Unlinks a blob from the project and refunds its size, in the caller's transaction.
 * HV_E_BLOB_UNKNOWN when it is not linked.  Every removal of a project's blob link goes
 * through here or hv_registry__release_artifact, every addition through
 * hv_registry__link_blob: that keeps the usage equal to the sum of the linked blobs. */
hv_err hv_registry__unlink_blob(hv_ctx *ctx, int64_t project_id, const char *digest);
/* ---- end of quotas */

/* *immutable when an enabled immutable-tag rule of the project matches repository and tag
 * (immutable.c). */
hv_err hv_registry__immutable(bool *immutable, hv_ctx *ctx, const hv_target *t, const char *tag);

/* ---- immutable tags, continued (immutable.c) */
/* The enabled rules of a project, read and parsed once (in ctx->arena) to test many tags,
 * e.g. a page of artifacts with_immutable_status. */
typedef struct hv_registry__immutable_rules hv_registry__immutable_rules;
hv_err hv_registry__immutable_load(hv_registry__immutable_rules **out, hv_ctx *ctx,
                                   int64_t project_id);
/* Whether tag of repository (the full name, "<project>/<repo>") is immutable under rules. */
bool hv_registry__immutable_match(const hv_registry__immutable_rules *rules, const char *repository,
                                  const char *tag);
/* ---- end of immutable tags */

/* In the caller's transaction (manifest.c): deletes a tag (HV_E_POLICY when immutable), or an
 * artifact with its tags and accessories (HV_E_POLICY when an index references it or one of
 * its tags is immutable), publishing the events. */
hv_err hv_registry__tag_remove(hv_ctx *ctx, const hv_target *t, const char *tag,
                               const char *digest);
hv_err hv_registry__artifact_remove(hv_ctx *ctx, const hv_target *t, const hv_artifact *a);

#endif
