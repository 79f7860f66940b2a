/*
 * Manifest and index parsing (OCI image spec 1.1, Docker schema2) with jansson.
 *
 * A body goes through five gates, each with a message that names what is wrong:
 *   1. size (HV_E_TOO_LARGE) and schema1, refused outright, by Content-Type or by body;
 *   2. JSON: an object, duplicate keys refused (two parsers must never see two documents);
 *   3. the media type: the body's "mediaType", else the Content-Type, else inferred from
 *      the fields; when body and header both say, they must agree;
 *   4. the shape of that media type: descriptors, platforms, subject, annotations.  An image
 *      manifest may not carry "manifests" and an index may not carry "config" or "layers",
 *      so one document cannot be read as both (CVE-2021-41190);
 *   5. the sizes it lists, which must add up without passing INT64_MAX.
 * Every string of the result is copied into the ctx arena; the jansson tree is freed here.
 */
#include "oci/oci.h"
#include "oci/oci_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MEDIA_TYPE_PART_MAX 127 /* RFC 6838 4.2: restricted-name is 1 to 127 characters */
#define WHERE_MAX           64  /* "manifests[1234567].platform" and the like */
#define SHOWN_MAX           128 /* how much of a client's string a message quotes */

static const char schema1_msg[] =
    "schema1 manifests are not supported: push with a Docker schema2 or OCI client";

static const char *const stored_types[] = {HV_MT_OCI_MANIFEST, HV_MT_OCI_INDEX,
                                           HV_MT_DOCKER_MANIFEST, HV_MT_DOCKER_LIST};

/* ---------------------------------------------------------------- media types */

static bool restricted_first(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool restricted_char(char c) {
    return restricted_first(c) || (c && strchr("!#$&-^_.+", c) != NULL);
}

/* RFC 6838 4.2: type "/" subtype, each a restricted-name; no parameters. */
static bool media_type_shape(const char *s) {
    const char *slash = strchr(s, '/');
    const char *parts[2] = {s, slash ? slash + 1 : NULL};
    size_t lens[2] = {slash ? (size_t)(slash - s) : 0, slash ? strlen(slash + 1) : 0};

    if (!slash)
        return false;
    for (int p = 0; p < 2; p++) {
        if (lens[p] == 0 || lens[p] > MEDIA_TYPE_PART_MAX || !restricted_first(parts[p][0]))
            return false;
        for (size_t i = 1; i < lens[p]; i++) {
            if (!restricted_char(parts[p][i]))
                return false;
        }
    }
    return true;
}

/* The stored media type spelled s[0..len) in any case, or NULL. */
static const char *stored_type(const char *s, size_t len) {
    for (size_t i = 0; i < sizeof(stored_types) / sizeof(stored_types[0]); i++) {
        if (strlen(stored_types[i]) == len && strncasecmp(s, stored_types[i], len) == 0)
            return stored_types[i];
    }
    return NULL;
}

static bool schema1_type(const char *s, size_t len) {
    return (len == strlen(HV_MT_DOCKER_V1) && strncasecmp(s, HV_MT_DOCKER_V1, len) == 0) ||
           (len == strlen(HV_MT_DOCKER_V1_SIGNED) &&
            strncasecmp(s, HV_MT_DOCKER_V1_SIGNED, len) == 0);
}

static const char *stored_type_of(const char *media_type) {
    size_t len;
    const char *t;

    if (!media_type)
        return NULL;
    t = hv_oci__media_type_span(media_type, strlen(media_type), &len);
    return stored_type(t, len);
}

bool hv_oci_media_type_is_manifest(const char *media_type) {
    return stored_type_of(media_type) != NULL;
}

bool hv_oci_media_type_is_index(const char *media_type) {
    const char *t = stored_type_of(media_type);

    return t && (strcmp(t, HV_MT_OCI_INDEX) == 0 || strcmp(t, HV_MT_DOCKER_LIST) == 0);
}

/* ---------------------------------------------------------------- fields */

/* Writes the dotted name of field key inside where ("" for the top level). */
static const char *field_name(char *buf, size_t size, const char *where, const char *key) {
    snprintf(buf, size, "%s%s%s", where, where[0] ? "." : "", key);
    return buf;
}

static hv_err invalid(hv_ctx *ctx, const char *where, const char *key, const char *what) {
    char name[WHERE_MAX + 32];

    return HV_FAIL(ctx, HV_E_MANIFEST_INVALID, "manifest field %s %s",
                   field_name(name, sizeof(name), where, key), what);
}

/* An optional (or required) string field, copied into the arena; out may be NULL to check. */
static hv_err get_string(const char **out, hv_ctx *ctx, json_t *obj, const char *where,
                         const char *key, bool required) {
    json_t *v = json_object_get(obj, key);

    if (out)
        *out = NULL;
    if (!v)
        return required ? invalid(ctx, where, key, "is required") : HV_OK;
    if (!json_is_string(v))
        return invalid(ctx, where, key, "must be a string");
    if (out)
        *out = hv_arena_strdup(ctx->arena, json_string_value(v));
    return HV_OK;
}

static hv_err get_media_type(const char **out, hv_ctx *ctx, json_t *obj, const char *where,
                             const char *key, bool required) {
    hv_err rc = get_string(out, ctx, obj, where, key, required);

    if (rc == HV_OK && *out && !media_type_shape(*out))
        rc = invalid(ctx, where, key, "must be a media type of the form type/subtype");
    return rc;
}

/* "annotations": an object of strings, kept as compact JSON. */
static hv_err get_annotations(const char **out, hv_ctx *ctx, json_t *obj, const char *where) {
    json_t *v = json_object_get(obj, "annotations");
    const char *key;
    json_t *value;
    char *text;

    *out = NULL;
    if (!v)
        return HV_OK;
    if (!json_is_object(v))
        return invalid(ctx, where, "annotations", "must be an object of strings");
    json_object_foreach(v, key, value) {
        if (!json_is_string(value))
            return invalid(ctx, where, "annotations", "must be an object of strings");
    }
    text = json_dumps(v, JSON_COMPACT);
    if (!text)
        return HV_FAIL(ctx, HV_E_INTERNAL, "cannot serialise manifest annotations");
    *out = hv_arena_strdup(ctx->arena, text);
    free(text);
    return HV_OK;
}

static hv_err check_string_array(hv_ctx *ctx, json_t *obj, const char *where, const char *key) {
    json_t *v = json_object_get(obj, key);
    size_t i;
    json_t *item;

    if (!v)
        return HV_OK;
    if (!json_is_array(v))
        return invalid(ctx, where, key, "must be an array of strings");
    json_array_foreach(v, i, item) {
        if (!json_is_string(item))
            return invalid(ctx, where, key, "must be an array of strings");
    }
    return HV_OK;
}

/* ---------------------------------------------------------------- descriptors */

static hv_err parse_platform(hv_oci_descriptor *out, hv_ctx *ctx, json_t *desc, const char *where) {
    json_t *p = json_object_get(desc, "platform");
    char here[WHERE_MAX];
    hv_err rc;

    if (!p)
        return HV_OK;
    if (!json_is_object(p))
        return invalid(ctx, where, "platform", "must be an object");
    field_name(here, sizeof(here), where, "platform");
    rc = get_string(&out->architecture, ctx, p, here, "architecture", true);
    if (rc)
        goto out;
    rc = get_string(&out->os, ctx, p, here, "os", true);
    if (rc)
        goto out;
    rc = get_string(&out->variant, ctx, p, here, "variant", false);
    if (rc)
        goto out;
    rc = get_string(NULL, ctx, p, here, "os.version", false);
    if (rc)
        goto out;
    rc = check_string_array(ctx, p, here, "os.features");
out:
    return rc;
}

/* A descriptor at where; index entries may also carry a platform. */
static hv_err parse_descriptor(hv_oci_descriptor *out, hv_ctx *ctx, json_t *v, const char *where,
                               bool index_entry) {
    json_t *size;
    const char *why;
    size_t alg_len;
    hv_err rc;

    memset(out, 0, sizeof(*out));
    if (!json_is_object(v))
        return HV_FAIL(ctx, HV_E_MANIFEST_INVALID,
                       "manifest field %s must be a descriptor object (mediaType, digest, size)",
                       where);
    rc = get_media_type(&out->media_type, ctx, v, where, "mediaType", true);
    if (rc)
        goto out;
    rc = get_string(&out->digest, ctx, v, where, "digest", true);
    if (rc)
        goto out;
    why = hv_oci__digest_shape(out->digest, strlen(out->digest), &alg_len);
    if (why) {
        rc = HV_FAIL(ctx, HV_E_MANIFEST_INVALID, "manifest field %s.digest is not a digest: %s",
                     where, why);
        goto out;
    }
    size = json_object_get(v, "size");
    if (!size) {
        rc = invalid(ctx, where, "size", "is required");
        goto out;
    }
    if (!json_is_integer(size) || json_integer_value(size) < 0) {
        rc = invalid(ctx, where, "size", "must be a non-negative integer");
        goto out;
    }
    out->size = (int64_t)json_integer_value(size);
    rc = get_media_type(&out->artifact_type, ctx, v, where, "artifactType", false);
    if (rc)
        goto out;
    rc = check_string_array(ctx, v, where, "urls");
    if (rc)
        goto out;
    rc = get_string(NULL, ctx, v, where, "data", false);
    if (rc)
        goto out;
    rc = get_annotations(&out->annotations_json, ctx, v, where);
    if (rc)
        goto out;
    if (index_entry)
        rc = parse_platform(out, ctx, v, where);
out:
    return rc;
}

static hv_err parse_descriptor_array(hv_oci_descriptor **out, size_t *n, hv_ctx *ctx, json_t *root,
                                     const char *key, bool index_entries) {
    json_t *arr = json_object_get(root, key);
    json_t *item;
    size_t i;
    char where[WHERE_MAX];
    hv_err rc = HV_OK;

    *out = NULL;
    *n = 0;
    if (!arr)
        return invalid(ctx, "", key, "is required (it may be an empty array)");
    if (!json_is_array(arr))
        return invalid(ctx, "", key, "must be an array of descriptors");
    *n = json_array_size(arr);
    *out = hv_arena_alloc(ctx->arena, (*n ? *n : 1) * sizeof(**out));
    json_array_foreach(arr, i, item) {
        snprintf(where, sizeof(where), "%s[%zu]", key, i);
        rc = parse_descriptor(&(*out)[i], ctx, item, where, index_entries);
        if (rc)
            break;
    }
    return rc;
}

/* ---------------------------------------------------------------- documents */

/* subject, artifactType and annotations: the same for manifests and indexes. */
static hv_err parse_common(hv_oci_manifest *out, hv_ctx *ctx, json_t *root) {
    json_t *subject = json_object_get(root, "subject");
    hv_err rc;

    if (subject) {
        rc = parse_descriptor(&out->subject, ctx, subject, "subject", false);
        if (rc)
            goto out;
        out->has_subject = true;
    }
    rc = get_media_type(&out->artifact_type, ctx, root, "", "artifactType", false);
    if (rc)
        goto out;
    rc = get_annotations(&out->annotations_json, ctx, root, "");
out:
    return rc;
}

static hv_err parse_image(hv_oci_manifest *out, hv_ctx *ctx, json_t *root) {
    json_t *config = json_object_get(root, "config");
    hv_err rc;

    if (json_object_get(root, "manifests")) {
        rc = HV_FAIL(ctx, HV_E_MANIFEST_INVALID,
                     "manifest of type %s has a \"manifests\" field: an image manifest cannot "
                     "also be an index",
                     out->media_type);
        goto out;
    }
    if (!config) {
        rc = invalid(ctx, "", "config", "is required");
        goto out;
    }
    rc = parse_descriptor(&out->config, ctx, config, "config", false);
    if (rc)
        goto out;
    rc = parse_descriptor_array(&out->layers, &out->n_layers, ctx, root, "layers", false);
    if (rc)
        goto out;
    rc = parse_common(out, ctx, root);
    if (rc)
        goto out;
    if (!out->artifact_type)
        out->artifact_type = out->config.media_type;
out:
    return rc;
}

static hv_err parse_index(hv_oci_manifest *out, hv_ctx *ctx, json_t *root) {
    const char *stray = json_object_get(root, "config")   ? "config"
                        : json_object_get(root, "layers") ? "layers"
                                                          : NULL;
    hv_err rc;

    if (stray) {
        rc = HV_FAIL(ctx, HV_E_MANIFEST_INVALID,
                     "index of type %s has a \"%s\" field: an index cannot also be an image "
                     "manifest",
                     out->media_type, stray);
        goto out;
    }
    rc = parse_descriptor_array(&out->manifests, &out->n_manifests, ctx, root, "manifests", true);
    if (rc)
        goto out;
    rc = parse_common(out, ctx, root);
out:
    return rc;
}

/* total_size: each size may be anything up to INT64_MAX, so the sum is checked. */
static hv_err sum_sizes(hv_oci_manifest *m, hv_ctx *ctx, size_t len) {
    bool index = m->kind == HV_OCI_INDEX;
    const hv_oci_descriptor *v = index ? m->manifests : m->layers;
    size_t n = index ? m->n_manifests : m->n_layers;
    int64_t total = (int64_t)len;
    bool over = !index && __builtin_add_overflow(total, m->config.size, &total);

    for (size_t i = 0; i < n && !over; i++)
        over = __builtin_add_overflow(total, v[i].size, &total);
    if (over)
        return HV_FAIL(ctx, HV_E_MANIFEST_INVALID,
                       "the sizes of the manifest's %s add up to more than %lld bytes: a "
                       "descriptor's size is wrong",
                       index ? "entries" : "config and layers", (long long)INT64_MAX);
    m->total_size = total;
    return HV_OK;
}

static hv_err check_schema_version(hv_ctx *ctx, json_t *root) {
    json_t *v = json_object_get(root, "schemaVersion");

    if (!v)
        return invalid(ctx, "", "schemaVersion", "is required and must be 2");
    if (!json_is_integer(v))
        return invalid(ctx, "", "schemaVersion", "must be the integer 2");
    if (json_integer_value(v) == 1)
        return HV_FAIL(ctx, HV_E_MANIFEST_INVALID, "%s", schema1_msg);
    if (json_integer_value(v) != 2)
        return HV_FAIL(ctx, HV_E_MANIFEST_INVALID,
                       "manifest field schemaVersion must be 2, not %" JSON_INTEGER_FORMAT,
                       json_integer_value(v));
    return HV_OK;
}

/*
 * The media type the document is stored under: the body's mediaType, else the
 * Content-Type (ct[0..ct_len), parameters already dropped), else what its fields say.
 */
static hv_err resolve_media_type(const char **out, hv_ctx *ctx, json_t *root, const char *ct,
                                 size_t ct_len) {
    json_t *v = json_object_get(root, "mediaType");
    const char *body_type = NULL;
    size_t body_len = 0;

    *out = NULL;
    if (v) {
        if (!json_is_string(v))
            return invalid(ctx, "", "mediaType", "must be a string");
        body_type = json_string_value(v);
        body_len = strlen(body_type);
        if (schema1_type(body_type, body_len))
            return HV_FAIL(ctx, HV_E_MANIFEST_INVALID, "%s", schema1_msg);
    }
    if (body_type && ct_len > 0 && (body_len != ct_len || strncasecmp(body_type, ct, ct_len) != 0))
        return HV_FAIL(ctx, HV_E_MANIFEST_INVALID,
                       "manifest mediaType \"%.*s\" does not match Content-Type \"%.*s\": "
                       "set Content-Type to the manifest's mediaType",
                       (int)(body_len > SHOWN_MAX ? SHOWN_MAX : body_len), body_type,
                       (int)(ct_len > SHOWN_MAX ? SHOWN_MAX : ct_len), ct);
    if (body_type) {
        *out = stored_type(body_type, body_len);
    } else if (ct_len > 0) {
        body_type = ct;
        body_len = ct_len;
        *out = stored_type(ct, ct_len);
    } else if (json_object_get(root, "manifests")) {
        *out = HV_MT_OCI_INDEX;
    } else if (json_object_get(root, "config")) {
        *out = HV_MT_OCI_MANIFEST;
    } else {
        return HV_FAIL(ctx, HV_E_MANIFEST_INVALID,
                       "cannot tell the manifest's media type: set mediaType in the body or "
                       "the Content-Type header");
    }
    if (!*out)
        return HV_FAIL(ctx, HV_E_MANIFEST_INVALID,
                       "unsupported manifest media type \"%.*s\": push an OCI image manifest "
                       "or index, or a Docker schema2 manifest or manifest list",
                       (int)(body_len > SHOWN_MAX ? SHOWN_MAX : body_len), body_type);
    return HV_OK;
}

hv_err hv_oci_manifest_parse(hv_oci_manifest *out, hv_ctx *ctx, const char *content_type,
                             const char *body, size_t len) {
    json_t *root = NULL;
    json_error_t jerr;
    const char *ct = "";
    size_t ct_len = 0;
    hv_err rc;

    memset(out, 0, sizeof(*out));
    if (len > HV_OCI_MANIFEST_MAX) {
        rc = HV_FAIL(ctx, HV_E_TOO_LARGE, "manifest is %zu bytes, over the limit of %d bytes", len,
                     HV_OCI_MANIFEST_MAX);
        goto out;
    }
    if (content_type)
        ct = hv_oci__media_type_span(content_type, strlen(content_type), &ct_len);
    if (schema1_type(ct, ct_len)) {
        rc = HV_FAIL(ctx, HV_E_MANIFEST_INVALID, "%s", schema1_msg);
        goto out;
    }
    root = json_loadb(body ? body : "", body ? len : 0, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        rc = HV_FAIL(ctx, HV_E_MANIFEST_INVALID,
                     "manifest is not valid JSON: %s (line %d, column %d)", jerr.text, jerr.line,
                     jerr.column);
        goto out;
    }
    if (!json_is_object(root)) {
        rc = HV_FAIL(ctx, HV_E_MANIFEST_INVALID, "manifest must be a JSON object");
        goto out;
    }
    rc = check_schema_version(ctx, root);
    if (rc)
        goto out;
    rc = resolve_media_type(&out->media_type, ctx, root, ct, ct_len);
    if (rc)
        goto out;
    if (hv_oci_media_type_is_index(out->media_type)) {
        out->kind = HV_OCI_INDEX;
        rc = parse_index(out, ctx, root);
    } else {
        out->kind = HV_OCI_MANIFEST;
        rc = parse_image(out, ctx, root);
    }
    if (rc == HV_OK)
        rc = sum_sizes(out, ctx, len);
out:
    json_decref(root);
    if (rc)
        memset(out, 0, sizeof(*out));
    return rc;
}
