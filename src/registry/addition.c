/*
 * Additions of an artifact, as Harbor serves them under …/additions/<name>:
 *   build_history  images (and WASM): the config's "history" array, as JSON;
 *   values.yaml    Helm charts: the chart's values.yaml, from the chart tarball layer;
 *   readme.md      Helm charts: its README.md;
 *   dependencies   Helm charts: the "dependencies" of the chart metadata (the config), JSON.
 *
 * Everything read is bounded before it is allocated for: the manifest by the registry's
 * manifest limit, a config by CONFIG_MAX, a file of a chart by FILE_MAX.  The chart tarball
 * is streamed: gunzipped with zlib (at most UNPACKED_MAX bytes, so a small bomb cannot keep
 * a thread busy) through a small tar reader that keeps only the file asked for.  The tar
 * reader knows ustar names (prefix + name), pax "path" records and GNU long names, as
 * Helm's own archives (Go's archive/tar) and Python's tarfile write them.
 */
#include "oci/oci.h"
#include "registry/registry_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#define MT_HELM_CHART "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
#define CONFIG_MAX    (4u << 20)
#define FILE_MAX      (4u << 20)
#define UNPACKED_MAX  (256ull << 20)
#define PAX_MAX       (64u << 10)
#define TAR_BLOCK     512
#define GZ_CHUNK      (64u << 10)

#define CT_JSON     "application/json; charset=utf-8"
#define CT_TEXT     "text/plain; charset=utf-8"
#define CT_MARKDOWN "text/markdown; charset=utf-8"

/* ---------------------------------------------------------------- bounded reads */

/* Reads the whole blob digest (at most max bytes) into the arena, NUL-terminated. */
static hv_err read_blob(char **out, size_t *len, hv_ctx *ctx, hv_registry *reg, const char *digest,
                        size_t max) {
    char *buf;
    hv_err rc = hv_blob_read_all(&buf, len, reg->blobs, ctx, digest, max);

    if (rc)
        return rc;
    *out = hv_arena_strndup(ctx->arena, buf, *len);
    free(buf);
    return HV_OK;
}

/* The parsed manifest of an artifact (not an index). */
static hv_err read_manifest(hv_oci_manifest *m, hv_ctx *ctx, hv_registry *reg,
                            const hv_artifact *a) {
    char *body;
    size_t len;
    hv_err rc = read_blob(&body, &len, ctx, reg, a->digest, hv_registry_max_manifest(reg));

    return rc ? rc : hv_oci_manifest_parse(m, ctx, a->media_type, body, len);
}

/* The config of a manifest as a JSON object (the caller json_decrefs); an empty config
 * ({} or no bytes) is an empty object. */
static hv_err read_config(json_t **out, hv_ctx *ctx, hv_registry *reg, const hv_oci_manifest *m) {
    char *body;
    size_t len;
    json_error_t e;
    hv_err rc;

    *out = NULL;
    if (m->config.size == 0) {
        *out = json_object();
        return HV_OK;
    }
    rc = read_blob(&body, &len, ctx, reg, m->config.digest, CONFIG_MAX);
    if (rc)
        return rc;
    *out = json_loadb(body, len, 0, &e);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "the config %s is not a JSON object",
                       m->config.digest);
    }
    return HV_OK;
}

static const char *dump(hv_ctx *ctx, json_t *v, size_t *len) {
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    const char *out = hv_arena_strdup(ctx->arena, s);

    *len = strlen(out);
    free(s);
    return out;
}

/* ---------------------------------------------------------------- gunzip stream */

typedef struct gz_reader {
    hv_blob_reader *blob;
    uint64_t at; /* compressed bytes read */
    z_stream zs;
    unsigned char in[GZ_CHUNK];
    bool eof;        /* no more compressed input */
    bool member_end; /* the last inflate ended a gzip member */
    uint64_t total;  /* bytes produced */
} gz_reader;

/* Reads up to n unpacked bytes into out; *got < n only at the end of the stream. */
static hv_err gz_read(gz_reader *g, hv_ctx *ctx, unsigned char *out, size_t n, size_t *got) {
    *got = 0;
    g->zs.next_out = out;
    g->zs.avail_out = (uInt)n;
    while (g->zs.avail_out > 0) {
        if (g->zs.avail_in == 0 && !g->eof) {
            size_t r;
            hv_err rc = hv_blob_read(g->blob, ctx, g->at, g->in, sizeof(g->in), &r);
            if (rc)
                return rc;
            g->at += r;
            g->eof = r == 0;
            g->zs.next_in = g->in;
            g->zs.avail_in = (uInt)r;
        }
        if (g->zs.avail_in == 0 && g->eof)
            break;
        if (g->member_end) { /* another gzip member follows (RFC 1952 allows several) */
            inflateReset(&g->zs);
            g->member_end = false;
        }
        int z = inflate(&g->zs, Z_NO_FLUSH);
        if (z == Z_STREAM_END)
            g->member_end = true;
        else if (z != Z_OK && z != Z_BUF_ERROR)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "the chart is not a valid gzip stream (%s)",
                           g->zs.msg ? g->zs.msg : "corrupt data");
        else if (z == Z_BUF_ERROR && g->eof && g->zs.avail_in == 0)
            break;
    }
    *got = n - g->zs.avail_out;
    g->total += *got;
    if (g->total > UNPACKED_MAX)
        return HV_FAIL(ctx, HV_E_TOO_LARGE, "the chart unpacks to more than %llu bytes",
                       (unsigned long long)UNPACKED_MAX);
    return HV_OK;
}

/* Reads exactly n bytes (into out, or discarded when out is NULL). */
static hv_err gz_full(gz_reader *g, hv_ctx *ctx, unsigned char *out, uint64_t n) {
    unsigned char scratch[4096];

    while (n > 0) {
        size_t want = out ? (size_t)n : (n < sizeof(scratch) ? (size_t)n : sizeof(scratch));
        size_t got;
        hv_err rc = gz_read(g, ctx, out ? out : scratch, want, &got);
        if (rc)
            return rc;
        if (got < want)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "the chart archive is truncated");
        n -= got;
        if (out)
            out += got;
    }
    return HV_OK;
}

/* ---------------------------------------------------------------- tar */

/* A numeric header field: octal, or base-256 when its first byte has the high bit. */
static bool tar_number(const unsigned char *f, size_t len, uint64_t *out) {
    uint64_t v = 0;
    size_t i = 0;

    if (f[0] & 0x80) {
        v = f[0] & 0x7f;
        for (i = 1; i < len; i++) {
            if (v >> 56)
                return false;
            v = (v << 8) | f[i];
        }
        *out = v;
        return true;
    }
    while (i < len && (f[i] == ' ' || f[i] == '\0'))
        i++;
    for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v >> 60)
            return false;
        v = v * 8 + (uint64_t)(f[i] - '0');
    }
    *out = v;
    return true;
}

/* The "path" record of a pax header, or NULL. */
static const char *pax_path(hv_ctx *ctx, const char *data, size_t len) {
    size_t i = 0;

    while (i < len) {
        size_t rec = 0, j = i;
        while (j < len && data[j] >= '0' && data[j] <= '9' && rec <= len)
            rec = rec * 10 + (size_t)(data[j++] - '0'); /* stops long before wrapping */
        if (rec == 0 || rec > len - i || j >= len || data[j] != ' ')
            return NULL;
        const char *kv = data + j + 1, *end = data + i + rec - 1; /* end: the '\n' */
        if (end > kv && (size_t)(end - kv) > 5 && strncmp(kv, "path=", 5) == 0)
            return hv_arena_strndup(ctx->arena, kv + 5, (size_t)(end - kv - 5));
        i += rec;
    }
    return NULL;
}

/* Whether an archive entry is the chart's top-level file `want` ("<chart>/<want>"). */
static bool is_chart_file(const char *name, const char *want) {
    const char *slash;

    while (name[0] == '.' && name[1] == '/')
        name += 2;
    slash = strchr(name, '/');
    return slash && strcasecmp(slash + 1, want) == 0;
}

/* Finds file `want` in the gzip'd tar of blob: *out (arena) or NULL when absent. */
static hv_err chart_file(const char **out, size_t *len, hv_ctx *ctx, hv_blob_reader *blob,
                         const char *want) {
    gz_reader *g = hv_calloc(1, sizeof(*g));
    unsigned char h[TAR_BLOCK];
    const char *long_name = NULL;
    hv_err rc = HV_OK;

    *out = NULL;
    *len = 0;
    g->blob = blob;
    if (inflateInit2(&g->zs, 15 + 32) != Z_OK) {
        free(g);
        return HV_FAIL(ctx, HV_E_INTERNAL, "zlib: cannot start inflating");
    }
    for (;;) {
        size_t got;
        uint64_t size, padded;
        char name[256 + 2];
        bool zero = true;

        rc = gz_read(g, ctx, h, sizeof(h), &got);
        if (rc || got < sizeof(h))
            break; /* an archive without its end blocks: tolerated, as tar does */
        for (size_t i = 0; i < sizeof(h) && zero; i++)
            zero = h[i] == 0;
        if (zero)
            break;
        if (!tar_number(h + 124, 12, &size)) {
            rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "the chart archive has a bad entry size");
            break;
        }
        if (size > UNPACKED_MAX) { /* also keeps the rounding below from wrapping */
            rc = HV_FAIL(ctx, HV_E_TOO_LARGE, "the chart archive has an entry over %llu bytes",
                         (unsigned long long)UNPACKED_MAX);
            break;
        }
        padded = (size + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
        char type = (char)h[156];
        if (type == 'x' || type == 'L') { /* the name of the next entry */
            char *data;
            if (size > PAX_MAX) {
                rc = HV_FAIL(ctx, HV_E_TOO_LARGE, "the chart archive has a header over %u bytes",
                             PAX_MAX);
                break;
            }
            data = hv_arena_alloc(ctx->arena, padded + 1);
            rc = gz_full(g, ctx, (unsigned char *)data, padded);
            if (rc)
                break;
            if (type == 'L')
                long_name = hv_arena_strndup(ctx->arena, data, strnlen(data, (size_t)size));
            else if (pax_path(ctx, data, (size_t)size))
                long_name = pax_path(ctx, data, (size_t)size);
            continue;
        }
        if (long_name) {
            snprintf(name, sizeof(name), "%.256s", long_name);
        } else if (h[345]) { /* ustar prefix */
            snprintf(name, sizeof(name), "%.155s/%.100s", (const char *)h + 345, (const char *)h);
        } else {
            snprintf(name, sizeof(name), "%.100s", (const char *)h);
        }
        long_name = NULL;
        if ((type == '0' || type == '\0') && is_chart_file(name, want)) {
            char *data;
            if (size > FILE_MAX) {
                rc = HV_FAIL(ctx, HV_E_TOO_LARGE, "%s of the chart has more than %u bytes", want,
                             FILE_MAX);
                break;
            }
            data = hv_arena_alloc(ctx->arena, size + 1);
            rc = gz_full(g, ctx, (unsigned char *)data, size);
            if (rc == HV_OK) {
                *out = data;
                *len = (size_t)size;
            }
            break;
        }
        rc = gz_full(g, ctx, NULL, padded);
        if (rc)
            break;
    }
    inflateEnd(&g->zs);
    free(g);
    return rc;
}

/* ---------------------------------------------------------------- additions */

static hv_err unsupported(hv_ctx *ctx, const char *addition, const hv_artifact_info *info) {
    return HV_FAIL(ctx, HV_E_BAD_REQUEST, "addition %s isn't supported for %s%s", addition,
                   info->kind.type ? info->kind.type : "UNKNOWN",
                   hv_oci_media_type_is_index(info->a.media_type) ? " (an index)" : "");
}

static hv_err build_history(const char **body, size_t *len, hv_ctx *ctx, hv_registry *reg,
                            const hv_artifact_info *info) {
    hv_oci_manifest m;
    json_t *config, *history, *empty;
    hv_err rc = read_manifest(&m, ctx, reg, &info->a);

    if (rc == HV_OK)
        rc = read_config(&config, ctx, reg, &m);
    if (rc)
        return rc;
    history = json_object_get(config, "history");
    empty = json_array();
    *body = dump(ctx, json_is_array(history) ? history : empty, len);
    json_decref(empty);
    json_decref(config);
    return HV_OK;
}

/* The chart tarball of a Helm chart manifest: the chart layer, else (as Harbor) the first
 * layer that is not the config. */
static const hv_oci_descriptor *chart_layer(const hv_oci_manifest *m) {
    for (size_t i = 0; i < m->n_layers; i++) {
        if (m->layers[i].media_type && strcmp(m->layers[i].media_type, MT_HELM_CHART) == 0)
            return &m->layers[i];
    }
    for (size_t i = 0; i < m->n_layers; i++) {
        if (strcmp(m->layers[i].digest, m->config.digest) != 0)
            return &m->layers[i];
    }
    return NULL;
}

static hv_err chart_addition(const char **body, size_t *len, hv_ctx *ctx, hv_registry *reg,
                             const hv_artifact_info *info, const char *file) {
    hv_oci_manifest m;
    const hv_oci_descriptor *layer;
    int64_t size;
    hv_blob_reader *blob = NULL;
    hv_err rc = read_manifest(&m, ctx, reg, &info->a);

    *body = "";
    *len = 0;
    if (rc)
        return rc;
    layer = chart_layer(&m);
    if (!layer)
        return HV_OK;
    rc = hv_model_blob_size(&size, ctx, layer->digest);
    if (rc == HV_OK)
        rc = hv_blob_open(&blob, reg->blobs, ctx, layer->digest, (uint64_t)size, 0);
    if (rc)
        return rc;
    rc = chart_file(body, len, ctx, blob, file);
    hv_blob_reader_close(blob);
    if (rc == HV_OK && !*body)
        *body = "";
    return rc;
}

static hv_err chart_dependencies(const char **body, size_t *len, hv_ctx *ctx, hv_registry *reg,
                                 const hv_artifact_info *info) {
    hv_oci_manifest m;
    json_t *config, *deps, *empty;
    hv_err rc = read_manifest(&m, ctx, reg, &info->a);

    if (rc == HV_OK)
        rc = read_config(&config, ctx, reg, &m);
    if (rc)
        return rc;
    deps = json_object_get(config, "dependencies");
    empty = json_array();
    *body = dump(ctx, json_is_array(deps) ? deps : empty, len);
    json_decref(empty);
    json_decref(config);
    return HV_OK;
}

hv_err hv_registry_artifact_addition(const char **body, size_t *len, const char **content_type,
                                     hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                                     const char *reference, const char *addition) {
    hv_artifact_view v;
    hv_artifact_options none = {0};
    bool index, image, chart;
    hv_err rc = hv_registry_artifact_get(&v, ctx, t, reference, &none);

    if (rc)
        return rc;
    index = hv_oci_media_type_is_index(v.info.a.media_type);
    image = !index && v.info.kind.type &&
            (strcmp(v.info.kind.type, "IMAGE") == 0 || strcmp(v.info.kind.type, "WASM") == 0);
    chart = !index && v.info.kind.type && strcmp(v.info.kind.type, "CHART") == 0;
    if (image && strcasecmp(addition, "build_history") == 0) {
        *content_type = CT_JSON;
        return build_history(body, len, ctx, reg, &v.info);
    }
    if (chart && strcasecmp(addition, "values.yaml") == 0) {
        *content_type = CT_TEXT;
        return chart_addition(body, len, ctx, reg, &v.info, "values.yaml");
    }
    if (chart && strcasecmp(addition, "readme.md") == 0) {
        *content_type = CT_MARKDOWN;
        return chart_addition(body, len, ctx, reg, &v.info, "README.md");
    }
    if (chart && strcasecmp(addition, "dependencies") == 0) {
        *content_type = CT_JSON;
        return chart_dependencies(body, len, ctx, reg, &v.info);
    }
    return unsupported(ctx, addition, &v.info);
}
