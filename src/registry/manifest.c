/*
 * Manifests: validation against what the project stores, the artifact record with its
 * blobs, children and subject, tags, and deletion.  The manifest's bytes are staged as a
 * blob (made durable) before the transaction that records them takes the write lock, and
 * placed as its last step, so that no fsync runs under the lock.
 *
 * A push also records what Harbor shows of an artifact (describe(), before the
 * transaction, since it may read the config blob; the index-dependent parts inside it):
 *   - type: from artifactType when the manifest has one, else from the config's media type:
 *     IMAGE (OCI and Docker image configs), CHART (Helm), CNAB, WASM (its config, or an
 *     image config with the module.wasm.image/variant=compat or run.oci.handler=wasm
 *     annotation), SBOM (Harbor's SBOM type, or any type naming sbom, spdx or cyclonedx),
 *     else UNKNOWN.  An index is CNAB when its org.opencontainers.artifactType annotation
 *     says so, IMAGE when every child is an IMAGE, else UNKNOWN.
 *   - extra_attrs: for images (and annotation-style WASM) architecture, os, created, author
 *     and config from the config blob; for charts (and CNAB configs) the config itself.  A
 *     config over CONFIG_MAX, unreadable or not a JSON object is skipped, not refused.
 *   - accessory_type: a manifest with a subject is an accessory typed by its artifactType
 *     (signature.notation, signature.cosign, sbom.harbor, accelerator.nydus, else
 *     subject.accessory); so is a cosign signature pushed by tag scheme (tag
 *     sha256-<hex>.sig with a simple-signing layer), whose subject sha256:<hex> is stored
 *     as its subject digest, so that the referrers API and deletion with the subject treat
 *     both alike.  The subject need not exist yet: it is found by digest when asked.
 *   - total_size: Harbor's size (manifest, config and layers; an index and its children).
 * Deleting an index also deletes its children that have no tag and no other index, as
 * Harbor does.
 */
#include "db/db.h"
#include "events/events.h"
#include "oci/oci.h"
#include "registry/registry_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MT_DOCKER_CONFIG  "application/vnd.docker.container.image.v1+json"
#define MT_HELM_CONFIG    "application/vnd.cncf.helm.config.v1+json"
#define MT_CNAB_CONFIG    "application/vnd.cnab.config.v1+json"
#define MT_CNAB_MANIFEST  "application/vnd.cnab.manifest.v1"
#define MT_WASM_CONFIG    "application/vnd.wasm.config.v1+json"
#define MT_HARBOR_SBOM    "application/vnd.goharbor.harbor.sbom.v1"
#define MT_NOTATION       "application/vnd.cncf.notary.signature"
#define MT_COSIGN_SIG     "application/vnd.dev.cosign.artifact.sig.v1+json"
#define MT_COSIGN_SIMPLE  "application/vnd.dev.cosign.simplesigning.v1+json"
#define NYDUS_BOOTSTRAP   "containerd.io/snapshot/nydus-bootstrap"
#define COSIGN_TAG_PREFIX "sha256-"
#define COSIGN_TAG_SUFFIX ".sig"
#define CONFIG_MAX        (1u << 20)

/* What describe() learns before the transaction; kind.type and kind.total_size of an index
 * are completed inside it, from its children. */
typedef struct description {
    hv_artifact_kind kind;
    const char *subject; /* the subject digest, also from the cosign tag scheme */
    /* index entries: "os.version", "os.features" and "urls" of each, in order */
    const char **os_version, **os_features, **urls;
} description;

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

/* ---------------------------------------------------------------- what an artifact is */

static bool eq(const char *a, const char *b) {
    return a && b && strcmp(a, b) == 0;
}

/* The annotation `key` of a re-serialised annotations object, in the arena, or NULL. */
static const char *annotation(hv_ctx *ctx, const char *annotations_json, const char *key) {
    json_t *o, *v;
    const char *out = NULL;

    if (!annotations_json)
        return NULL;
    o = json_loads(annotations_json, 0, NULL);
    v = json_object_get(o, key);
    if (json_is_string(v))
        out = hv_arena_strdup(ctx->arena, json_string_value(v));
    json_decref(o);
    return out;
}

static bool contains_ci(const char *s, const char *word) {
    size_t n = strlen(word);

    for (; s && *s; s++) {
        if (strncasecmp(s, word, n) == 0)
            return true;
    }
    return false;
}

static bool sbom_type(const char *t) {
    return eq(t, MT_HARBOR_SBOM) || contains_ci(t, "sbom") || contains_ci(t, "spdx") ||
           contains_ci(t, "cyclonedx");
}

static bool image_config(const char *t) {
    return eq(t, HV_MT_OCI_CONFIG) || eq(t, MT_DOCKER_CONFIG);
}

/* WASM pushed the annotation way: an image whose manifest says it runs as WebAssembly. */
static bool wasm_annotated(hv_ctx *ctx, const hv_oci_manifest *m) {
    return eq(annotation(ctx, m->annotations_json, "module.wasm.image/variant"), "compat") ||
           eq(annotation(ctx, m->annotations_json, "run.oci.handler"), "wasm");
}

/* The type of an image manifest (not an index). */
static const char *manifest_type(hv_ctx *ctx, const hv_oci_manifest *m) {
    const char *config = m->config.media_type;
    /* the parser sets artifact_type to the config's media type when artifactType is absent */
    const char *t = m->artifact_type ? m->artifact_type : config;

    if (eq(t, MT_WASM_CONFIG) || (image_config(t) && wasm_annotated(ctx, m)))
        return "WASM";
    if (sbom_type(t))
        return "SBOM";
    if (eq(t, MT_HELM_CONFIG))
        return "CHART";
    if (eq(t, MT_CNAB_CONFIG))
        return "CNAB";
    if (image_config(t))
        return "IMAGE";
    return "UNKNOWN";
}

/* The accessory type of a manifest with a subject (harbor-api.md §6.2). */
static const char *subject_accessory_type(hv_ctx *ctx, const hv_oci_manifest *m) {
    const char *t = m->artifact_type ? m->artifact_type : m->config.media_type;

    if (eq(t, MT_NOTATION))
        return "signature.notation";
    if (eq(t, MT_COSIGN_SIG))
        return "signature.cosign";
    if (eq(t, MT_HARBOR_SBOM))
        return "sbom.harbor";
    if (m->kind == HV_OCI_MANIFEST && image_config(t) && m->n_layers > 0 &&
        annotation(ctx, m->layers[m->n_layers - 1].annotations_json, NYDUS_BOOTSTRAP))
        return "accelerator.nydus";
    return "subject.accessory";
}

/* The subject of a cosign signature pushed by tag scheme: tag "sha256-<64 hex>.sig" and a
 * simple-signing layer.  NULL otherwise. */
static const char *cosign_tag_subject(hv_ctx *ctx, const hv_oci_manifest *m, const char *tag) {
    size_t plen = strlen(COSIGN_TAG_PREFIX), slen = strlen(COSIGN_TAG_SUFFIX);
    bool simple = false;

    if (!tag || m->kind != HV_OCI_MANIFEST || strlen(tag) != plen + 64 + slen ||
        !hv_str_has_prefix(tag, COSIGN_TAG_PREFIX) || strcmp(tag + plen + 64, COSIGN_TAG_SUFFIX))
        return NULL;
    for (size_t i = 0; i < 64; i++) {
        char c = tag[plen + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return NULL;
    }
    for (size_t i = 0; i < m->n_layers; i++)
        simple = simple || eq(m->layers[i].media_type, MT_COSIGN_SIMPLE);
    return simple ? hv_arena_printf(ctx->arena, "sha256:%.64s", tag + plen) : NULL;
}

/* Reads a blob of at most CONFIG_MAX bytes as a JSON object; NULL (and a debug line) when
 * it is larger, unreadable or not an object.  The caller json_decrefs. */
static json_t *read_config(hv_ctx *ctx, hv_registry *reg, const hv_oci_descriptor *d) {
    char *buf = NULL;
    size_t got = 0;
    json_t *v = NULL;

    if (d->size <= 0 || (uint64_t)d->size > CONFIG_MAX)
        return NULL;
    if (hv_blob_read_all(&buf, &got, reg->blobs, ctx, d->digest, CONFIG_MAX) != HV_OK) {
        hv_log(HV_LOG_WARN, "config %s: %s", d->digest, ctx->err.message);
        hv_error_clear(ctx);
        return NULL;
    }
    v = json_loadb(buf, got, 0, NULL);
    if (v && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
    if (!v)
        hv_log(HV_LOG_DEBUG, "config %s: not a JSON object of at most %u bytes; no extra_attrs",
               d->digest, CONFIG_MAX);
    free(buf);
    return v;
}

static void set_string(json_t *o, const char *key, json_t *from, const char *fallback) {
    json_t *v = json_object_get(from, key);

    json_object_set_new(o, key, json_is_string(v) ? json_copy(v) : json_string(fallback));
}

/* Harbor's extra_attrs of an image: architecture, os, created, author (else a label naming
 * one) and config. */
static json_t *image_attrs(json_t *config) {
    json_t *o = json_object(), *inner = json_object_get(config, "config");
    json_t *labels = json_object_get(inner, "Labels"),
           *created = json_object_get(config, "created");
    const char *author = json_string_value(json_object_get(config, "author"));
    static const char *const author_labels[] = {"org.opencontainers.image.authors", "maintainer"};

    set_string(o, "architecture", config, "");
    set_string(o, "os", config, "");
    json_object_set_new(o, "created", json_is_string(created) ? json_copy(created) : json_null());
    for (size_t i = 0; (!author || !*author) && i < 2; i++)
        author = json_string_value(json_object_get(labels, author_labels[i]));
    json_object_set_new(o, "author", json_string(author ? author : ""));
    json_object_set_new(o, "config", json_is_object(inner) ? json_deep_copy(inner) : json_object());
    return o;
}

/* Harbor's extra_attrs of a WASM artifact pushed the wasm-to-oci way. */
static json_t *wasm_attrs(const hv_oci_manifest *m, hv_ctx *ctx) {
    json_t *o = json_object();

    json_object_set_new(o, "manifest.config.mediaType", json_string(MT_WASM_CONFIG));
    if (m->n_layers > 0) {
        const char *title =
            annotation(ctx, m->layers[0].annotations_json, "org.opencontainers.image.title");
        json_object_set_new(o, "manifest.layers.mediaType", json_string(m->layers[0].media_type));
        json_object_set_new(o, "org.opencontainers.image.title", json_string(title ? title : ""));
    }
    return o;
}

static const char *dump(hv_ctx *ctx, json_t *v) {
    char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    const char *out = hv_arena_strdup(ctx->arena, s);

    free(s);
    return out;
}

/* The platform extras, annotations and urls of each index entry, read from the body (which
 * the parser has validated). */
static void describe_entries(description *d, hv_ctx *ctx, const hv_oci_manifest *m,
                             const char *body, size_t len) {
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *entries = json_object_get(root, "manifests");

    d->os_version = hv_arena_alloc(ctx->arena, (m->n_manifests + 1) * sizeof(char *));
    d->os_features = hv_arena_alloc(ctx->arena, (m->n_manifests + 1) * sizeof(char *));
    d->urls = hv_arena_alloc(ctx->arena, (m->n_manifests + 1) * sizeof(char *));
    for (size_t i = 0; i < m->n_manifests && i < json_array_size(entries); i++) {
        json_t *e = json_array_get(entries, i), *p = json_object_get(e, "platform");
        json_t *version = json_object_get(p, "os.version");
        json_t *features = json_object_get(p, "os.features");

        if (json_is_string(version))
            d->os_version[i] = hv_arena_strdup(ctx->arena, json_string_value(version));
        if (json_is_array(features))
            d->os_features[i] = dump(ctx, features);
        if (json_is_array(json_object_get(e, "urls")))
            d->urls[i] = dump(ctx, json_object_get(e, "urls"));
    }
    json_decref(root);
}

/* What a manifest is, as far as it can be told without the database. */
static void describe(description *d, hv_ctx *ctx, hv_registry *reg, const hv_oci_manifest *m,
                     const char *tag, const char *body, size_t len) {
    json_t *config = NULL, *attrs = NULL;

    memset(d, 0, sizeof(*d));
    d->subject = m->has_subject ? m->subject.digest : cosign_tag_subject(ctx, m, tag);
    if (m->has_subject)
        d->kind.accessory_type = subject_accessory_type(ctx, m);
    else if (d->subject)
        d->kind.accessory_type = "signature.cosign";
    /* an index's size is its own and its children's (describe_children) */
    d->kind.total_size = m->kind == HV_OCI_INDEX ? (int64_t)len : m->total_size;
    if (m->kind == HV_OCI_INDEX) {
        const char *at = annotation(ctx, m->annotations_json, "org.opencontainers.artifactType");
        if (eq(at, MT_CNAB_MANIFEST) || eq(at, MT_CNAB_CONFIG)) {
            d->kind.type = "CNAB";
            d->kind.config_media_type = at;
        }
        describe_entries(d, ctx, m, body, len);
        return;
    }
    d->kind.type = manifest_type(ctx, m);
    d->kind.config_media_type = m->config.media_type;
    if (strcmp(d->kind.type, "WASM") == 0 && !image_config(m->config.media_type)) {
        attrs = wasm_attrs(m, ctx);
    } else if (strcmp(d->kind.type, "IMAGE") == 0 || strcmp(d->kind.type, "WASM") == 0 ||
               strcmp(d->kind.type, "CHART") == 0 || strcmp(d->kind.type, "CNAB") == 0) {
        config = read_config(ctx, reg, &m->config);
        if (config && strcmp(d->kind.type, "CHART") != 0 && strcmp(d->kind.type, "CNAB") != 0)
            attrs = image_attrs(config);
        else if (config)
            attrs = json_incref(config);
        if (attrs && strcmp(d->kind.type, "WASM") == 0)
            json_object_set_new(attrs, "manifest.config.mediaType",
                                json_string(m->config.media_type));
    }
    d->kind.extra_attrs_json = dump(ctx, attrs);
    json_decref(attrs);
    json_decref(config);
}

/* The parts of an index's description that come from its children: their sizes, and IMAGE
 * when every child is an image. */
static hv_err describe_children(description *d, hv_ctx *ctx, const hv_target *t,
                                const hv_oci_manifest *m) {
    bool images = true;

    for (size_t i = 0; i < m->n_manifests; i++) {
        hv_artifact_info child;
        hv_err rc = hv_model_artifact_info(&child, ctx, t->repo.id, m->manifests[i].digest);
        if (rc)
            return rc;
        if (__builtin_add_overflow(d->kind.total_size, child.kind.total_size, &d->kind.total_size))
            return HV_FAIL(ctx, HV_E_MANIFEST_INVALID,
                           "the sizes of the index's manifests add up to more than %lld bytes: "
                           "a descriptor's size is wrong",
                           (long long)INT64_MAX);
        images = images && eq(child.kind.type, "IMAGE");
    }
    if (!d->kind.type)
        d->kind.type = images ? "IMAGE" : "UNKNOWN";
    return HV_OK;
}

/* Records the artifact and what it references; publishes artifact.pushed (with the tag it
 * was pushed by, if any) when it is new. */
static hv_err record(hv_artifact *a, hv_ctx *ctx, hv_target *t, const hv_oci_manifest *m,
                     description *d, const char *tag) {
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
        for (size_t i = 0; rc == HV_OK && i < m->n_manifests; i++) {
            const hv_oci_descriptor *e = &m->manifests[i];
            rc = hv_model_artifact_add_reference(ctx, a->id, e);
            if (rc == HV_OK)
                rc = hv_model_artifact_reference_details(ctx, a->id, e->digest, d->os_version[i],
                                                         d->os_features[i], e->annotations_json,
                                                         d->urls[i]);
        }
        if (rc == HV_OK)
            rc = describe_children(d, ctx, t, m);
    }
    if (rc == HV_OK)
        rc = hv_model_artifact_set_kind(ctx, a->id, &d->kind);
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

/* What the transaction of a manifest PUT works on. */
struct put {
    hv_target *t;
    const hv_oci_manifest *m;
    const description *d;
    const hv_artifact *a;
    const char *tag;
    hv_blob_staged *staged;
    bool placed; /* by an earlier run of the transaction, which the database gave up */
};

/* The transaction of a manifest PUT (hv_events_transaction runs it again when the database
 * gives it up): each run starts from the description and artifact as they were before it. */
static hv_err put_in_transaction(hv_ctx *ctx, void *payload) {
    struct put *p = payload;
    description d = *p->d;
    hv_artifact a = *p->a;
    int64_t previous;
    /* again inside the transaction, which share-locks the links it reads until it commits:
     * garbage collection, which locks a link before removing it, cannot take one in between
     * (it locks the link before the project's quota row, as this transaction does) */
    hv_err rc = check_references(ctx, p->t, p->m);

    if (rc == HV_OK)
        rc = record(&a, ctx, p->t, p->m, &d, p->tag);
    if (rc == HV_OK && p->tag) {
        hv_artifact current;
        /* an immutable tag may be pushed again only with the digest it has */
        rc = hv_model_artifact_by_tag(&current, ctx, p->t->repo.id, p->tag);
        if (rc == HV_OK && current.id != a.id)
            rc = check_mutable(ctx, p->t, p->tag);
        else if (rc == HV_E_MANIFEST_UNKNOWN) {
            hv_error_clear(ctx);
            rc = HV_OK;
        }
    }
    if (rc == HV_OK && p->tag) {
        rc = hv_model_tag_put(&previous, ctx, p->t->repo.id, p->tag, a.id);
        if (rc == HV_OK && previous != a.id)
            rc = hv_events_publish_fields(ctx, "tag.created", "repository", p->t->name, "tag",
                                          p->tag, "digest", a.digest, NULL);
    }
    if (rc == HV_OK && !p->placed) {
        rc = hv_blob_staged_place(p->staged, ctx);
        p->placed = rc == HV_OK;
    }
    return rc;
}

hv_err hv_registry_manifest_put(char digest_out[HV_DIGEST_MAX], const char **subject, hv_ctx *ctx,
                                hv_registry *reg, hv_target *t, const char *reference,
                                const char *content_type, const char *body, size_t len) {
    hv_oci_manifest m;
    hv_artifact a = {0};
    description d;
    const char *tag = NULL;
    struct put p = {.t = t, .m = &m, .d = &d, .a = &a};
    hv_err rc, finished;

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
    describe(&d, ctx, reg, &m, tag, body, len);
    if (!m.has_subject && eq(d.subject, digest_out)) { /* a tag naming itself as its subject */
        d.subject = NULL;
        d.kind.accessory_type = NULL;
    }

    a.digest = digest_out;
    a.media_type = m.media_type;
    a.artifact_type = m.artifact_type;
    a.size = (int64_t)len;
    a.subject_digest = d.subject;
    a.annotations_json = m.annotations_json;
    /* durable before the write lock is taken; placed last inside the transaction, so that a
     * refused push (quota, immutability) stores nothing and a commit only names stored bytes */
    rc = hv_blob_stage_bytes(&p.staged, reg->blobs, ctx, digest_out, body, len);
    if (rc)
        return rc;
    p.tag = tag;
    rc = hv_events_transaction(ctx, put_in_transaction, &p);
    finished = hv_blob_staged_finish(p.staged, ctx, rc == HV_OK);
    if (rc == HV_OK)
        rc = finished;
    if (rc)
        return rc;
    *subject = m.has_subject ? m.subject.digest : NULL;
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
    if (!t->tag || strcmp(t->tag, reference) != 0)
        return hv_model_artifact_by_tag(out, ctx, t->repo.id, reference);
    if (!t->tagged.id) /* resolved with the target, in its round trip */
        return HV_FAIL(ctx, HV_E_MANIFEST_UNKNOWN, "tag %s is not known", reference);
    *out = t->tagged;
    return HV_OK;
}

hv_err hv_registry_manifest_get(hv_artifact *out, hv_blob_reader **body, hv_ctx *ctx,
                                hv_registry *reg, const hv_target *t, const char *reference,
                                const char *accept, bool pull) {
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
    rc = hv_blob_open_cached(body, reg->blobs, ctx, out->digest, (uint64_t)out->size,
                             pull ? 0 : (uint64_t)out->size);
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

/* The artifacts being removed, innermost first: a cosign signature found by tag scheme
 * names its subject by its tag, so two of them can name each other, and the cascade must
 * not go round. */
typedef struct removing {
    int64_t id;
    const struct removing *outer;
} removing;

static hv_err remove_artifact(hv_ctx *ctx, const hv_target *t, const hv_artifact *a,
                              const removing *outer);

static bool being_removed(const removing *chain, int64_t id) {
    for (; chain; chain = chain->outer) {
        if (chain->id == id)
            return true;
    }
    return false;
}

/* After an index is gone: its children that no other index lists and that have no tag go
 * too, as Harbor deletes them. */
static hv_err remove_children(hv_ctx *ctx, const hv_target *t, const hv_artifact_ref *refs,
                              size_t n, const removing *chain) {
    hv_err rc = HV_OK;

    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        hv_artifact child;
        const char **tags;
        size_t n_tags;
        int64_t parents;

        rc = hv_model_artifact_get(&child, ctx, t->repo.id, refs[i].child_digest);
        if (rc == HV_E_MANIFEST_UNKNOWN) { /* listed twice, or gone with an earlier child */
            hv_error_clear(ctx);
            rc = HV_OK;
            continue;
        }
        if (rc == HV_OK)
            rc = hv_model_artifact_parents(&parents, ctx, &child);
        if (rc == HV_OK)
            rc = hv_model_artifact_tags(&tags, &n_tags, ctx, child.id);
        if (rc == HV_OK && parents == 0 && n_tags == 0 && !being_removed(chain, child.id))
            rc = remove_artifact(ctx, t, &child, chain);
    }
    return rc;
}

static hv_err remove_artifact(hv_ctx *ctx, const hv_target *t, const hv_artifact *a,
                              const removing *outer) {
    removing self = {a->id, outer};
    const char **tags;
    size_t n_tags, n_parents, n_accessories, n_refs = 0;
    hv_artifact *accessories;
    hv_artifact_ref *refs = NULL;
    int64_t parents = 0;
    hv_err rc;

    /* first, before what decides the deletion is read: see hv_model_quota_lock */
    rc = hv_model_quota_lock(ctx, t->project.id);
    if (rc == HV_OK)
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
    /* accessories (signatures, SBOMs, referrers) are deleted with their subject: after it, so
     * that an accessory the subject's own index lists is no longer held by that index */
    if (rc == HV_OK)
        rc = hv_model_referrers(&accessories, &n_accessories, ctx, t->repo.id, a->digest, NULL);
    if (rc == HV_OK && hv_oci_media_type_is_index(a->media_type))
        rc = hv_model_artifact_references(&refs, &n_refs, ctx, a);
    if (rc == HV_OK)
        rc = hv_registry__release_artifact(ctx, t->project.id, a);
    if (rc == HV_OK)
        rc = hv_model_artifact_delete(ctx, a->id);
    if (rc == HV_OK)
        rc = hv_events_publish_fields(ctx, "artifact.deleted", "repository", t->name, "digest",
                                      a->digest, NULL);
    if (rc == HV_OK && n_refs > 0)
        rc = remove_children(ctx, t, refs, n_refs, &self);
    for (size_t i = 0; rc == HV_OK && i < n_accessories; i++) {
        hv_artifact accessory;
        if (being_removed(&self, accessories[i].id))
            continue;
        rc = hv_model_artifact_get(&accessory, ctx, t->repo.id, accessories[i].digest);
        if (rc == HV_E_MANIFEST_UNKNOWN) { /* gone already, as a child of the index */
            hv_error_clear(ctx);
            rc = HV_OK;
            continue;
        }
        if (rc == HV_OK)
            rc = remove_artifact(ctx, t, &accessory, &self);
    }
    return rc;
}

hv_err hv_registry__artifact_remove(hv_ctx *ctx, const hv_target *t, const hv_artifact *a) {
    return remove_artifact(ctx, t, a, NULL);
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
