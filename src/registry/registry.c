/*
 * The registry service: start-up bootstrap, resolving a repository name to its project with
 * the permission check, blobs of a project, listings, and event payloads.
 */
#include "db/db.h"
#include "events/events.h"
#include "oci/oci.h"
#include "registry/registry_int.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

hv_err hv_registry_open(hv_registry **out, hv_ctx *ctx, hv_blob_store *blobs,
                        const hv_registry_config *cfg) {
    hv_registry *reg;

    /* one limit decides: the parser's own is only the ceiling of this one */
    if (cfg->max_manifest == 0 || cfg->max_manifest > HV_OCI_MANIFEST_MAX)
        return HV_FAIL(ctx, HV_E_CONFIG, "max_manifest must be 1 to %d bytes, not %zu",
                       HV_OCI_MANIFEST_MAX, cfg->max_manifest);
    reg = hv_calloc(1, sizeof(*reg));
    reg->blobs = blobs;
    reg->cfg = *cfg;
    *out = reg;
    return HV_OK;
}

void hv_registry_free(hv_registry *reg) {
    free(reg);
}

size_t hv_registry_max_manifest(const hv_registry *reg) {
    return reg->cfg.max_manifest;
}

hv_err hv_registry_ping(hv_ctx *ctx) {
    return hv_model_ping(ctx);
}

hv_err hv_registry_bootstrap(hv_ctx *ctx, const char *admin_password) {
    char generated[33];
    char *hash = NULL;
    int64_t users, id, project_id, member_id;
    hv_err rc;

    rc = hv_model_user_count(&users, ctx);
    if (rc || users > 0)
        return rc;
    if (!admin_password || !*admin_password) {
        unsigned char raw[16];
        hv_random(raw, sizeof(raw));
        hv_hex(generated, raw, sizeof(raw));
        admin_password = generated;
        /* printed once, on stdout, never logged */
        printf("havend: first start: the password of user 'admin' is %s\n"
               "havend: it is not shown again; set HAVEN_ADMIN_PASSWORD to choose it\n",
               generated);
        fflush(stdout);
    }
    rc = hv_auth_password_hash(&hash, ctx, admin_password);
    if (rc)
        return rc;
    rc = hv_db_begin(ctx->db, ctx);
    if (rc)
        goto out;
    hv_user admin = {.username = "admin",
                     .realname = "system admin",
                     .comment = "admin user",
                     .password_hash = hash,
                     .sysadmin = true};
    rc = hv_model_user_create(&id, ctx, &admin);
    if (rc == HV_OK)
        rc = hv_model_project_create(&project_id, ctx, "library", true, id);
    if (rc == HV_OK) /* as Harbor does: the admin is the library's project admin */
        rc = hv_model_member_create(&member_id, ctx, project_id, id, HV_ROLE_PROJECT_ADMIN);
    if (rc == HV_OK)
        rc = hv_db_commit(ctx->db, ctx);
    else
        hv_db_rollback(ctx->db);
    if (rc == HV_E_CONFLICT) {
        /* nodes sharing a PostgreSQL database started together: another one created them */
        hv_error_clear(ctx);
        rc = HV_OK;
    } else if (rc == HV_OK) {
        hv_log(HV_LOG_INFO, "first start: created user admin and public project library");
    }
out:
    free(hash);
    return rc;
}

/* hv_registry_target_as, with the artifact of tag (may be NULL) found along. */
static hv_err resolve(hv_target *out, hv_ctx *ctx, const hv_identity *who, const char *name,
                      const char *resource, const char *action, const char *tag) {
    const char *slash;
    char *project;
    hv_err rc;

    memset(out, 0, sizeof(*out));
    if (!hv_oci_name_valid(name, strlen(name)))
        return HV_FAIL(ctx, HV_E_NAME_INVALID, "invalid repository name %s", name);
    slash = strchr(name, '/');
    if (!slash)
        return HV_FAIL(ctx, HV_E_NAME_INVALID,
                       "repository name %s has no project: use <project>/<repository>", name);
    out->name = name;
    out->tag = tag;
    project = hv_arena_strndup(ctx->arena, name, (size_t)(slash - name));
    rc = hv_model_project_repository_get(&out->project, &out->repo, &out->tagged, ctx, project,
                                         name, tag);
    if (rc == HV_E_NOT_FOUND) {
        if (who->kind == HV_ID_ANONYMOUS)
            return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "authentication required");
        return HV_FAIL(ctx, HV_E_NAME_UNKNOWN,
                       "project %s does not exist: create it before pushing to %s", project, name);
    }
    if (rc)
        return rc;
    return hv_auth_can(ctx, who, &out->project, resource, action);
}

hv_err hv_registry_target(hv_target *out, hv_ctx *ctx, const hv_identity *who, const char *name,
                          const char *action) {
    return resolve(out, ctx, who, name, "repository", action, NULL);
}

hv_err hv_registry_target_ref(hv_target *out, hv_ctx *ctx, const hv_identity *who, const char *name,
                              const char *action, const char *reference) {
    bool tag = reference && !hv_oci_reference_is_digest(reference) &&
               hv_oci_tag_valid(reference, strlen(reference));

    return resolve(out, ctx, who, name, "repository", action, tag ? reference : NULL);
}

hv_err hv_registry_target_as(hv_target *out, hv_ctx *ctx, const hv_identity *who, const char *name,
                             const char *resource, const char *action) {
    return resolve(out, ctx, who, name, resource, action, NULL);
}

hv_err hv_registry_blob_stat(uint64_t *size, hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                             const char *digest) {
    int64_t linked;
    hv_err rc = hv_oci_digest_check(ctx, digest, strlen(digest));

    (void)reg;
    if (rc)
        return rc;
    rc = hv_model_blob_linked(&linked, ctx, t->project.id, digest);
    if (rc == HV_OK)
        *size = (uint64_t)linked;
    return rc;
}

hv_err hv_registry_blob_redirect(const char **url, hv_ctx *ctx, hv_registry *reg,
                                 const hv_target *t, const char *digest) {
    uint64_t known;
    char *signed_url = NULL;
    hv_err rc;

    *url = NULL;
    if (!reg->cfg.redirect_blobs)
        return HV_OK;
    rc = hv_registry_blob_stat(&known, ctx, reg, t, digest);
    if (rc == HV_OK)
        rc = hv_blob_presign(&signed_url, reg->blobs, ctx, digest, HV_REGISTRY_REDIRECT_TTL);
    if (rc == HV_OK)
        *url = hv_arena_strdup(ctx->arena, signed_url);
    free(signed_url);
    return rc;
}

hv_err hv_registry_blob_open(hv_blob_reader **out, hv_ctx *ctx, hv_registry *reg,
                             const char *digest, uint64_t size, uint64_t from) {
    return hv_blob_open(out, reg->blobs, ctx, digest, size, from);
}

hv_err hv_registry_blob_delete(hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                               const char *digest) {
    hv_err rc = hv_oci_digest_check(ctx, digest, strlen(digest));

    (void)reg;
    if (rc)
        return rc;
    /* only the project's link goes; the bytes stay until garbage collection finds them
     * unreferenced, so a concurrent pull of another project never breaks; the project's
     * quota is refunded with the link */
    rc = hv_db_begin(ctx->db, ctx);
    if (rc)
        return rc;
    rc = hv_registry__unlink_blob(ctx, t->project.id, digest);
    if (rc) {
        hv_db_rollback(ctx->db);
        return rc;
    }
    return hv_db_commit(ctx->db, ctx);
}

struct mount_args {
    const hv_target *t;
    const char *digest;
    int64_t size;
};

static hv_err mount_in(hv_ctx *ctx, void *payload) {
    struct mount_args *a = payload;

    return hv_registry__link_blob(ctx, a->t->project.id, a->digest, a->size);
}

/* Links the blob into t's project, through the quota. */
static hv_err mount_link(hv_ctx *ctx, const hv_target *t, const char *digest, int64_t size) {
    struct mount_args a = {t, digest, size};

    return hv_events_transaction(ctx, mount_in, &a);
}

/* A source of the blob for a mount without `from`: a project that holds it and that who may
 * pull from; HV_E_BLOB_UNKNOWN when there is none.  Only the first MOUNT_CANDIDATES
 * projects holding the blob are looked at (public ones first): past them the client
 * uploads, which is always correct. */
#define MOUNT_CANDIDATES 64

static hv_err mount_source(hv_ctx *ctx, const hv_identity *who, const char *digest) {
    hv_project *found;
    size_t n;
    hv_err rc = hv_model_blob_projects(&found, &n, ctx, digest, MOUNT_CANDIDATES);

    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        rc = hv_auth_can(ctx, who, &found[i], "repository", "pull");
        if (rc == HV_OK)
            return HV_OK;
        if (rc == HV_E_DENIED || rc == HV_E_UNAUTHORIZED) {
            hv_error_clear(ctx);
            rc = HV_OK;
        }
    }
    return rc ? rc : HV_E_BLOB_UNKNOWN;
}

hv_err hv_registry_blob_mount(hv_ctx *ctx, hv_registry *reg, const hv_identity *who,
                              const hv_target *t, const char *from, const char *digest) {
    hv_target source;
    uint64_t size;
    int64_t stored;
    hv_err rc;

    rc = hv_oci_digest_check(ctx, digest, strlen(digest));
    if (rc)
        return rc;
    if (from) {
        rc = hv_registry_target(&source, ctx, who, from, "pull");
        if (rc == HV_OK)
            rc = hv_registry_blob_stat(&size, ctx, reg, &source, digest);
        if (rc) {
            hv_error_clear(ctx);
            return HV_E_BLOB_UNKNOWN;
        }
        if (source.project.id == t->project.id)
            return HV_OK;
        return mount_link(ctx, t, digest, (int64_t)size);
    }
    /* no `from`: the OCI distribution spec's automatic content discovery, over what the
     * caller may read only, so a mount never tells of a blob it could not pull */
    rc = hv_model_blob_linked(&stored, ctx, t->project.id, digest);
    if (rc != HV_E_BLOB_UNKNOWN)
        return rc; /* HV_OK: the project has it already */
    hv_error_clear(ctx);
    rc = mount_source(ctx, who, digest);
    if (rc == HV_OK)
        rc = hv_model_blob_size(&stored, ctx, digest);
    if (rc == HV_E_BLOB_UNKNOWN) {
        hv_error_clear(ctx);
        return HV_E_BLOB_UNKNOWN;
    }
    return rc ? rc : mount_link(ctx, t, digest, stored);
}

hv_err hv_registry_tags(const char ***out, size_t *count, hv_ctx *ctx, const hv_target *t,
                        const char *last, int64_t n) {
    if (!t->repo.id)
        return HV_FAIL(ctx, HV_E_NAME_UNKNOWN, "repository %s is not known", t->name);
    return hv_model_tag_names(out, count, ctx, t->repo.id, last, n);
}

hv_err hv_registry_catalog(const char ***out, size_t *count, hv_ctx *ctx, const char *last,
                           int64_t n) {
    return hv_model_repository_names(out, count, ctx, last, n);
}

hv_err hv_registry_referrers(hv_artifact **out, size_t *count, hv_ctx *ctx, const hv_target *t,
                             const char *subject, const char *artifact_type) {
    hv_err rc = hv_oci_digest_check(ctx, subject, strlen(subject));

    if (rc)
        return rc;
    if (!t->repo.id) {
        *out = NULL;
        *count = 0;
        return HV_OK;
    }
    return hv_model_referrers(out, count, ctx, t->repo.id, subject, artifact_type);
}
