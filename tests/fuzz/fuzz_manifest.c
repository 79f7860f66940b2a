/*
 * libFuzzer target for manifest parsing.  The first byte picks the Content-Type (absent,
 * empty, each stored type, schema1, with parameters, odd case, a non-manifest type) by its
 * value modulo 12, so a seed starts with one of the characters '0' to ';'; the rest is the
 * body.  The body is also tried as an Accept header.  A manifest that parses
 * must be self-consistent: a stored media type, a kind that matches it, complete
 * descriptors, a total size no smaller than the body.
 */
#include "oci/oci.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
    NULL,
    "",
    HV_MT_OCI_MANIFEST,
    HV_MT_OCI_INDEX,
    HV_MT_DOCKER_MANIFEST,
    HV_MT_DOCKER_LIST,
    HV_MT_DOCKER_V1,
    HV_MT_DOCKER_V1_SIGNED,
    HV_MT_OCI_MANIFEST "; charset=utf-8",
    " APPLICATION/VND.OCI.IMAGE.INDEX.V1+JSON ",
    "application/json",
    ";",
};

#define N_TYPES (sizeof(content_types) / sizeof(content_types[0]))

static void check_descriptor(const hv_oci_descriptor *d) {
    if (!d->media_type || !d->digest || d->size < 0 || !strchr(d->digest, ':'))
        abort();
    if (d->annotations_json && d->annotations_json[0] != '{')
        abort();
}

static void check_manifest(const hv_oci_manifest *m) {
    if (!hv_oci_media_type_is_manifest(m->media_type))
        abort();
    if ((m->kind == HV_OCI_INDEX) != hv_oci_media_type_is_index(m->media_type))
        abort();
    if (m->kind == HV_OCI_MANIFEST) {
        check_descriptor(&m->config);
        if (!m->layers || m->manifests || m->n_manifests || !m->artifact_type)
            abort();
    } else {
        if (!m->manifests || m->layers || m->n_layers || m->config.media_type)
            abort();
    }
    for (size_t i = 0; i < m->n_layers; i++)
        check_descriptor(&m->layers[i]);
    for (size_t i = 0; i < m->n_manifests; i++) {
        check_descriptor(&m->manifests[i]);
        if ((m->manifests[i].os == NULL) != (m->manifests[i].architecture == NULL))
            abort();
    }
    if (m->has_subject)
        check_descriptor(&m->subject);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    const char *content_type;
    char *body, *accept;
    size_t len;
    hv_oci_manifest m;
    hv_err rc;

    if (size == 0)
        goto out;
    content_type = content_types[data[0] % N_TYPES];
    len = size - 1;
    body = malloc(len ? len : 1); /* exact size: no NUL to lean on */
    memcpy(body, data + 1, len);
    rc = hv_oci_manifest_parse(&m, &ctx, content_type, body, len);
    if (rc == HV_OK && m.total_size < (int64_t)len)
        abort(); /* the sizes' sum wrapped */
    if (rc == HV_OK)
        check_manifest(&m);
    else if ((rc != HV_E_MANIFEST_INVALID && rc != HV_E_TOO_LARGE) || ctx.err.code != rc ||
             ctx.err.message[0] == '\0' || m.media_type)
        abort();
    free(body);

    accept = malloc(len + 1);
    memcpy(accept, data + 1, len);
    accept[len] = '\0';
    /* media types are case-insensitive */
    if (hv_oci_accepts(accept, HV_MT_OCI_INDEX) !=
        hv_oci_accepts(accept, "Application/VND.OCI.Image.Index.V1+JSON"))
        abort();
    hv_oci_accepts(accept, HV_MT_DOCKER_MANIFEST);
    hv_oci_media_type_is_manifest(accept);
    hv_oci_media_type_is_index(accept);
    free(accept);
out:
    hv_arena_free(ctx.arena);
    return 0;
}
