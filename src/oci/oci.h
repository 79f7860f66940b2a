/*
 * oci — the pure part of the OCI Distribution and Image specs: repository names, tags,
 * digests, media types, manifest and index parsing with validation, and Accept negotiation.
 * No I/O and no database: everything here is a function of its input, which makes each
 * parser a libFuzzer target (tests/fuzz/).
 */
#ifndef HV_OCI_H
#define HV_OCI_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_MT_OCI_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define HV_MT_OCI_INDEX        "application/vnd.oci.image.index.v1+json"
#define HV_MT_OCI_CONFIG       "application/vnd.oci.image.config.v1+json"
#define HV_MT_OCI_EMPTY        "application/vnd.oci.empty.v1+json"
#define HV_MT_DOCKER_MANIFEST  "application/vnd.docker.distribution.manifest.v2+json"
#define HV_MT_DOCKER_LIST      "application/vnd.docker.distribution.manifest.list.v2+json"
#define HV_MT_DOCKER_V1        "application/vnd.docker.distribution.manifest.v1+json"
#define HV_MT_DOCKER_V1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

#define HV_OCI_NAME_MAX 255 /* whole repository name, as distribution enforces */
#define HV_OCI_TAG_MAX  128 /* [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127} */
/* The most the parser reads as a manifest: the ceiling of the max_manifest setting, which is
 * the limit that decides (413) below it.  A plain number, so the setting's help can say it. */
#define HV_OCI_MANIFEST_MAX 16777216 /* 16 MiB */

/*
 * Repository name grammar of the distribution spec:
 *   [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
 * and at most HV_OCI_NAME_MAX bytes.
 */
bool hv_oci_name_valid(const char *name, size_t len);

/* Tag grammar: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}. */
bool hv_oci_tag_valid(const char *tag, size_t len);

/*
 * Digest grammar "algorithm:encoded".  Returns HV_OK for "sha256:" + 64 lower-case hex;
 * HV_E_DIGEST_INVALID (message says why) for anything malformed, and for well-formed
 * digests of algorithms Haven does not store (sha512 and others), with a message naming
 * the algorithm.
 */
hv_err hv_oci_digest_check(hv_ctx *ctx, const char *digest, size_t len);

/* True when a manifest reference (path segment) has the shape of a digest (contains ':'). */
bool hv_oci_reference_is_digest(const char *reference);

/* A content descriptor.  Strings live in the ctx arena; absent ones are NULL. */
typedef struct hv_oci_descriptor {
    const char *media_type;
    const char *digest;
    int64_t size;
    const char *artifact_type;
    /* platform of an index entry */
    const char *os;
    const char *architecture;
    const char *variant;
    /* the "annotations" object re-serialised compactly, or NULL */
    const char *annotations_json;
} hv_oci_descriptor;

typedef enum { HV_OCI_MANIFEST, HV_OCI_INDEX } hv_oci_kind;

/* A parsed, validated manifest or index.  Everything lives in the ctx arena. */
typedef struct hv_oci_manifest {
    hv_oci_kind kind;
    /* the media type it is stored and served under */
    const char *media_type;
    /* "artifactType", else (image manifests) config.mediaType; NULL for a plain index */
    const char *artifact_type;
    hv_oci_descriptor config;  /* image manifests only */
    hv_oci_descriptor *layers; /* image manifests: layers; indexes: none */
    size_t n_layers;
    hv_oci_descriptor *manifests; /* indexes only */
    size_t n_manifests;
    bool has_subject;
    hv_oci_descriptor subject;
    const char *annotations_json; /* top-level annotations re-serialised, or NULL */
    /* the body's length plus the sizes it lists (config and layers, or an index's entries);
     * the sizes are the client's numbers, so the sum is checked, never wrapped */
    int64_t total_size;
} hv_oci_manifest;

/*
 * Parses and validates a manifest body sent with Content-Type content_type (may be NULL or
 * empty).  Accepts OCI image manifests and indexes and Docker schema2 manifests and
 * manifest lists.  The media type is the body's "mediaType" when present, else the
 * Content-Type; when both are present they must agree.
 * Errors: HV_E_TOO_LARGE over HV_OCI_MANIFEST_MAX; HV_E_MANIFEST_INVALID for bad JSON, a
 * wrong schemaVersion, a missing or malformed field (the message names it), schema1
 * (refused with a message saying to push schema2 or OCI), an unknown media type, or sizes
 * that add up past INT64_MAX;
 * HV_E_DIGEST_INVALID is never returned: a bad descriptor digest is MANIFEST_INVALID.
 */
hv_err hv_oci_manifest_parse(hv_oci_manifest *out, hv_ctx *ctx, const char *content_type,
                             const char *body, size_t len);

/* True for the four manifest media types Haven stores. */
bool hv_oci_media_type_is_manifest(const char *media_type);
bool hv_oci_media_type_is_index(const char *media_type);

/*
 * Accept negotiation.  accept is the comma-joined value of every Accept header (may be NULL).
 * True when media_type is acceptable: no Accept header, an entry equal to it (parameters
 * ignored), or a wildcard for every type or for every subtype of its type.
 */
bool hv_oci_accepts(const char *accept, const char *media_type);

#endif
