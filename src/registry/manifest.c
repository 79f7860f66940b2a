/*
 * Manifests: validation against what the project stores, the artifact record with its
 * blobs, children and subject, tags, and deletion.  The manifest's bytes are stored as a
 * blob (durably) before the transaction that makes them visible commits.
 */
#include "db/db.h"
#include "events/events.h"
#include "oci/oci.h"
#include "registry/registry_int.h"

#include <string.h>
#include <unistd.h>

/* Every blob of an image manifest must be in the project; every child of an index must be a
 * manifest of the repository. */
static hv_err check_references(hv_ctx *ctx, const hv_target *t, const hv_oci_manifest *m) {
    int64_t size;
    hv_artifact child;
    hv_err rc;

    if (m->kind == HV_OCI_MANIFEST) {
        rc = hv_model_blob_linked(&size, ctx, t->project.id, m->config.digest);
        if (rc == HV_E_BLOB_UNKNOWN)
            return HV_FAIL(ctx, HV_E_MANIFEST_BLOB_UNKNOWN,
                           "config blob %s is not in the repository: push it first",
                           m->config.digest);
        if (rc)
            return rc;
        for (size_t i = 0; i < m->n_layers; i++) {
            rc = hv_model_blob_linked(&size, ctx, t->project.id, m->layers[i].digest);
            if (rc == HV_E_BLOB_UNKNOWN)
                return HV_FAIL(ctx, HV_E_MANIFEST_BLOB_UNKNOWN,
                               "layer %zu (%s) is not in the repository: push it first", i,
                               m->layers[i].digest);
            if (rc)
                return rc;
        }
        return HV_OK;
    }
    for (size_t i = 0; i < m->n_manifests; i++) {
        if (!t->repo.id)
            rc = HV_E_MANIFEST_UNKNOWN;
        else
            rc = hv_model_artifact_get(&child, ctx, t->repo.id, m->manifests[i].digest);
        if (rc == HV_E_MANIFEST_UNKNOWN)
            return HV_FAIL(ctx, HV_E_MANIFEST_BLOB_UNKNOWN,
                           "manifest %s listed in the index is not in the repository: push "
                           "it first",
                           m->manifests[i].digest);
        if (rc)
            return rc;
    }
    return HV_OK;
}

/* Records the artifact and what it references; publishes artifact.pushed (with the tag it
 * was pushed by, if any) when it is new. */
static hv_err record(hv_artifact *a, hv_ctx *ctx, hv_target *t, const hv_oci_manifest *m,
                     const char *tag) {
    bool created;
    hv_err rc;

    rc = hv_model_repository_ensure(&t->repo, ctx, t->project.id, t->name);
    if (rc)
        return rc;
    a->repository_id = t->repo.id;
    rc = hv_model_blob_put(ctx, a->digest, a->size);
    if (rc == HV_OK)
        rc = hv_registry__link_blob(ctx, t->project.id, a->digest, a->size);
    if (rc == HV_OK)
        rc = hv_model_artifact_put(&created, ctx, a);
    if (rc || !created)
        return rc;
    if (m->kind == HV_OCI_MANIFEST) {
        rc = hv_model_artifact_add_blob(ctx, a->id, m->config.digest);
        for (size_t i = 0; rc == HV_OK && i < m->n_layers; i++)
            rc = hv_model_artifact_add_blob(ctx, a->id, m->layers[i].digest);
    } else {
        for (size_t i = 0; rc == HV_OK && i < m->n_manifests; i++)
            rc = hv_model_artifact_add_reference(ctx, a->id, &m->manifests[i]);
    }
    if (rc == HV_OK)
        rc = hv_events_publish_fields(ctx, "artifact.pushed", "repository", t->name, "digest",
                                      a->digest, "tag", tag, "media_type", a->media_type, "subject",
                                      a->subject_digest, NULL);
    return rc;
}

/* Refuses (HV_E_POLICY, Harbor's message) to change or delete an immutable tag. */
static hv_err check_mutable(hv_ctx *ctx, const hv_target *t, const char *tag) {
    bool immutable = false;
    hv_err rc = hv_registry__immutable(&immutable, ctx, t, tag);

    if (rc == HV_OK && immutable)
        rc = HV_FAIL(ctx, HV_E_POLICY,
                     "Failed to process request due to '%s:%s' configured as immutable.", t->name,
                     tag);
    return rc;
}

hv_err hv_registry_manifest_put(char digest_out[HV_DIGEST_MAX], const char **subject, hv_ctx *ctx,
                                hv_registry *reg, hv_target *t, const char *reference,
                                const char *content_type, const char *body, size_t len) {
    hv_oci_manifest m;
    hv_artifact a = {0};
    const char *tag = NULL;
    int64_t previous;
    hv_err rc;

    if (len > reg->cfg.max_manifest)
        return HV_FAIL(ctx, HV_E_TOO_LARGE, "manifest of %zu bytes is over the limit of %zu", len,
                       reg->cfg.max_manifest);
    hv_sha256_digest(digest_out, body, len);
    if (hv_oci_reference_is_digest(reference)) {
        rc = hv_oci_digest_check(ctx, reference, strlen(reference));
        if (rc)
            return rc;
        if (strcmp(reference, digest_out) != 0)
            return HV_FAIL(ctx, HV_E_DIGEST_INVALID,
                           "the manifest has digest %s, not %s as its URL says", digest_out,
                           reference);
    } else {
        if (!hv_oci_tag_valid(reference, strlen(reference)))
            return HV_FAIL(ctx, HV_E_MANIFEST_INVALID,
                           "invalid tag %s: tags match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}",
                           reference);
        tag = reference;
    }
    rc = hv_oci_manifest_parse(&m, ctx, content_type, body, len);
    if (rc)
        return rc;
    rc = check_references(ctx, t, &m);
    if (rc)
        return rc;
    rc = hv_blob_put(reg->blobs, ctx, digest_out, body, len);
    if (rc)
        return rc;

    a.digest = digest_out;
    a.media_type = m.media_type;
    a.artifact_type = m.artifact_type;
    a.size = (int64_t)len;
    a.subject_digest = m.has_subject ? m.subject.digest : NULL;
    a.annotations_json = m.annotations_json;
    rc = hv_db_begin(ctx->db, ctx);
    if (rc)
        return rc;
    rc = record(&a, ctx, t, &m, tag);
    if (rc == HV_OK && tag) {
        hv_artifact current;
        /* an immutable tag may be pushed again only with the digest it has */
        rc = hv_model_artifact_by_tag(&current, ctx, t->repo.id, tag);
        if (rc == HV_OK && current.id != a.id)
            rc = check_mutable(ctx, t, tag);
        else if (rc == HV_E_MANIFEST_UNKNOWN) {
            hv_error_clear(ctx);
            rc = HV_OK;
        }
    }
    if (rc == HV_OK && tag) {
        rc = hv_model_tag_put(&previous, ctx, t->repo.id, tag, a.id);
        if (rc == HV_OK && previous != a.id)
            rc = hv_events_publish_fields(ctx, "tag.created", "repository", t->name, "tag", tag,
                                          "digest", a.digest, NULL);
    }
    if (rc) {
        hv_db_rollback(ctx->db);
        return rc;
    }
    rc = hv_db_commit(ctx->db, ctx);
    if (rc)
        return rc;
    hv_events_kick();
    *subject = a.subject_digest;
    return HV_OK;
}

/* The artifact a reference names. */
static hv_err lookup(hv_artifact *out, hv_ctx *ctx, const hv_target *t, const char *reference) {
    if (!t->repo.id)
        return HV_FAIL(ctx, HV_E_NAME_UNKNOWN, "repository %s is not known", t->name);
    if (hv_oci_reference_is_digest(reference)) {
        hv_err rc = hv_oci_digest_check(ctx, reference, strlen(reference));
        if (rc)
            return rc;
        return hv_model_artifact_get(out, ctx, t->repo.id, reference);
    }
    if (!hv_oci_tag_valid(reference, strlen(reference)))
        return HV_FAIL(ctx, HV_E_MANIFEST_UNKNOWN, "%s is not a valid tag", reference);
    return hv_model_artifact_by_tag(out, ctx, t->repo.id, reference);
}

hv_err hv_registry_manifest_get(hv_artifact *out, int *fd, hv_ctx *ctx, hv_registry *reg,
                                const hv_target *t, const char *reference, const char *accept,
                                bool pull) {
    uint64_t size;
    hv_err rc = lookup(out, ctx, t, reference);

    if (rc)
        return rc;
    if (!hv_oci_accepts(accept, out->media_type) && hv_oci_media_type_is_index(out->media_type) &&
        !hv_oci_reference_is_digest(reference)) {
        hv_artifact index = *out;
        rc = hv_model_artifact_child(out, ctx, &index, "linux", "amd64");
        if (rc)
            return rc;
    }
    if (!hv_oci_accepts(accept, out->media_type))
        return HV_FAIL(ctx, HV_E_MANIFEST_UNKNOWN,
                       "the manifest is %s, which the client does not accept (Accept: %s)",
                       out->media_type, accept);
    rc = hv_blob_open(reg->blobs, ctx, out->digest, fd, &size);
    if (rc)
        return rc;
    if (pull)
        hv_events_publish_volatile_fields(
            ctx, "artifact.pulled", "repository", t->name, "digest", out->digest, "tag",
            hv_oci_reference_is_digest(reference) ? NULL : reference, NULL);
    return HV_OK;
}

hv_err hv_registry__tag_remove(hv_ctx *ctx, const hv_target *t, const char *tag,
                               const char *digest) {
    hv_err rc = check_mutable(ctx, t, tag);

    if (rc == HV_OK)
        rc = hv_model_tag_delete(ctx, t->repo.id, tag);
    if (rc == HV_OK)
        rc = hv_events_publish_fields(ctx, "tag.deleted", "repository", t->name, "tag", tag,
                                      "digest", digest, NULL);
    return rc;
}

hv_err hv_registry__artifact_remove(hv_ctx *ctx, const hv_target *t, const hv_artifact *a) {
    const char **tags;
    size_t n_tags, n_parents, n_accessories;
    hv_artifact *accessories;
    int64_t parents;
    hv_err rc;

    rc = hv_model_artifact_parents(&parents, ctx, a);
    n_parents = (size_t)parents;
    if (rc == HV_OK && n_parents > 0)
        rc = HV_FAIL(ctx, HV_E_POLICY,
                     "the deleting artifact is referenced by others: %s is part of %zu index(es) "
                     "of %s; delete them first",
                     a->digest, n_parents, t->name);
    if (rc == HV_OK)
        rc = hv_model_artifact_tags(&tags, &n_tags, ctx, a->id);
    for (size_t i = 0; rc == HV_OK && i < n_tags; i++)
        rc = check_mutable(ctx, t, tags[i]);
    for (size_t i = 0; rc == HV_OK && i < n_tags; i++)
        rc = hv_events_publish_fields(ctx, "tag.deleted", "repository", t->name, "tag", tags[i],
                                      "digest", a->digest, NULL);
    /* accessories (signatures, SBOMs, referrers) are deleted with their subject */
    if (rc == HV_OK)
        rc = hv_model_referrers(&accessories, &n_accessories, ctx, t->repo.id, a->digest, NULL);
    for (size_t i = 0; rc == HV_OK && i < n_accessories; i++)
        rc = hv_registry__artifact_remove(ctx, t, &accessories[i]);
    if (rc == HV_OK)
        rc = hv_registry__release_artifact(ctx, t->project.id, a);
    if (rc == HV_OK)
        rc = hv_model_artifact_delete(ctx, a->id);
    if (rc == HV_OK)
        rc = hv_events_publish_fields(ctx, "artifact.deleted", "repository", t->name, "digest",
                                      a->digest, NULL);
    return rc;
}

hv_err hv_registry_manifest_delete(hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                                   const char *reference) {
    hv_artifact a;
    hv_err rc;

    (void)reg;
    rc = hv_db_begin(ctx->db, ctx);
    if (rc)
        return rc;
    rc = lookup(&a, ctx, t, reference);
    if (rc == HV_OK && !hv_oci_reference_is_digest(reference))
        rc = hv_registry__tag_remove(ctx, t, reference, a.digest);
    else if (rc == HV_OK)
        rc = hv_registry__artifact_remove(ctx, t, &a);
    if (rc) {
        hv_db_rollback(ctx->db);
        return rc;
    }
    rc = hv_db_commit(ctx->db, ctx);
    if (rc == HV_OK)
        hv_events_kick();
    return rc;
}
