/*
 * An image's inventory from its layers.  Each layer's inventory (what walk.c found: the
 * packages of each file, whiteouts, opaque directories, release files, notes) is stored as
 * JSON by the layer's digest, so that a layer shared by many images is read once; the
 * image's inventory is then the merge of its layers in order, as Trivy's applier does:
 *
 *   for each layer, bottom up: its opaque directories hide everything below them in lower
 *   layers, its whiteouts remove the path (and everything under it), then each file it
 *   analyzed replaces the lower layers' copy of that file, packages and all;
 *
 * the OS is named by the merged release files, and each package is attributed to the first
 * layer whose files hold it (same ecosystem, name and version), which is the layer that
 * installed it even when a later layer rewrote the database.
 */
#include "blob/blob.h"
#include "model/model.h"
#include "oci/oci.h"
#include "scan/scan_int.h"

#include <stdlib.h>
#include <string.h>

/* Bumped when the analyzers find something else in the same bytes: stored layers of an
 * older version are walked again. */
#define LAYER_VERSION 1

/* Ecosystems as the stored JSON names them (OSV's names). */
static const char *const eco_names[HV_ECO_COUNT] = {
    [HV_ECO_NONE] = "",
    [HV_ECO_DEBIAN] = "Debian",
    [HV_ECO_UBUNTU] = "Ubuntu",
    [HV_ECO_ALPINE] = "Alpine",
    [HV_ECO_RPM] = "RPM",
    [HV_ECO_NPM] = "npm",
    [HV_ECO_PYPI] = "PyPI",
    [HV_ECO_GO] = "Go",
    [HV_ECO_MAVEN] = "Maven",
    [HV_ECO_CRATES_IO] = "crates.io",
    [HV_ECO_RUBYGEMS] = "RubyGems",
    [HV_ECO_PACKAGIST] = "Packagist",
    [HV_ECO_NUGET] = "NuGet",
};

static hv_scan_eco eco_named(const char *name) {
    for (int i = 1; i < HV_ECO_COUNT; i++) {
        if (strcmp(eco_names[i], name) == 0)
            return (hv_scan_eco)i;
    }
    return HV_ECO_NONE;
}

static bool is_os_eco(hv_scan_eco e) {
    return e == HV_ECO_DEBIAN || e == HV_ECO_UBUNTU || e == HV_ECO_ALPINE || e == HV_ECO_RPM;
}

/* ---------------------------------------------------------------- stored layers */

static void set_str(json_t *o, const char *key, const char *v) {
    if (v)
        json_object_set_new(o, key, json_string(v));
}

json_t *hv_scan__pkg_json(const hv_scan_pkg *p) {
    json_t *o = json_object();

    json_object_set_new(o, "ecosystem", json_string(eco_names[p->eco]));
    set_str(o, "name", p->name);
    set_str(o, "version", p->version);
    set_str(o, "src_name", p->src_name);
    set_str(o, "src_version", p->src_version);
    set_str(o, "arch", p->arch);
    set_str(o, "license", p->license);
    set_str(o, "purl", p->purl);
    set_str(o, "path", p->path);
    set_str(o, "layer", p->layer);
    return o;
}

static json_t *strs_json(const hv_scan_strs *l) {
    json_t *a = json_array();

    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->v[i]));
    return a;
}

char *hv_scan__layer_json(hv_ctx *ctx, const hv_scan_layer *l) {
    json_t *o = json_object(), *files = json_array(), *os = json_object();
    char *s, *copy;

    for (size_t i = 0; i < l->n_found; i++) {
        json_t *f = json_object(), *pkgs = json_array();
        for (size_t k = 0; k < l->found[i].n; k++)
            json_array_append_new(pkgs, hv_scan__pkg_json(&l->pkgs.v[l->found[i].first + k]));
        json_object_set_new(f, "path", json_string(l->found[i].path));
        json_object_set_new(f, "packages", pkgs);
        json_array_append_new(files, f);
    }
    for (size_t i = 0; i < l->n_os_files; i++)
        json_object_set_new(os, l->os_files[i].path, json_string(l->os_files[i].text));
    json_object_set_new(o, "files", files);
    json_object_set_new(o, "release_files", os);
    json_object_set_new(o, "whiteouts", strs_json(&l->whiteouts));
    json_object_set_new(o, "opaque", strs_json(&l->opaque));
    json_object_set_new(o, "notes", strs_json(&l->notes));
    s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!s)
        abort();
    copy = hv_arena_strdup(ctx->arena, s);
    free(s);
    return copy;
}

static const char *get_str(hv_ctx *ctx, json_t *o, const char *key) {
    return hv_arena_strdup(ctx->arena, json_string_value(json_object_get(o, key)));
}

static hv_err strs_parse(hv_scan_strs *out, hv_ctx *ctx, json_t *a) {
    size_t i;
    json_t *v;

    json_array_foreach(a, i, v) {
        if (!json_is_string(v))
            return HV_FAIL(ctx, HV_E_INTERNAL, "a stored layer inventory holds a non-string");
        hv_scan__strs_add(out, ctx, json_string_value(v));
    }
    return HV_OK;
}

hv_err hv_scan__layer_parse(hv_scan_layer *out, hv_ctx *ctx, const char *digest, const char *json) {
    json_error_t jerr;
    json_t *o = json_loads(json, 0, &jerr), *files, *f, *os, *v, *p;
    const char *key;
    size_t i, k;
    hv_err rc = HV_OK;

    memset(out, 0, sizeof(*out));
    files = json_object_get(o, "files");
    os = json_object_get(o, "release_files");
    if (!json_is_array(files) || !json_is_object(os)) {
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "the stored inventory of layer %s is damaged", digest);
        goto out;
    }
    json_array_foreach(files, i, f) {
        hv_scan_found found = {.path = get_str(ctx, f, "path"), .first = out->pkgs.n};
        json_array_foreach(json_object_get(f, "packages"), k, p) {
            hv_scan_pkg pkg = {
                .eco = eco_named(json_string_value(json_object_get(p, "ecosystem")) ?: ""),
                .name = json_string_value(json_object_get(p, "name")),
                .version = json_string_value(json_object_get(p, "version")),
                .src_name = json_string_value(json_object_get(p, "src_name")),
                .src_version = json_string_value(json_object_get(p, "src_version")),
                .arch = json_string_value(json_object_get(p, "arch")),
                .license = json_string_value(json_object_get(p, "license")),
                .purl = json_string_value(json_object_get(p, "purl")),
                .path = json_string_value(json_object_get(p, "path")),
            };
            if (!pkg.name || !pkg.version || !found.path) {
                rc = HV_FAIL(ctx, HV_E_INTERNAL, "the stored inventory of layer %s is damaged",
                             digest);
                goto out;
            }
            hv_scan_pkgs_add(&out->pkgs, ctx, &pkg);
        }
        found.n = out->pkgs.n - found.first;
        out->found =
            hv_scan__grow(ctx, out->found, &out->cap_found, out->n_found, sizeof(*out->found));
        out->found[out->n_found++] = found;
    }
    json_object_foreach(os, key, v) {
        out->os_files = hv_scan__grow(ctx, out->os_files, &out->cap_os_files, out->n_os_files,
                                      sizeof(*out->os_files));
        out->os_files[out->n_os_files++] =
            (hv_scan_file){.path = hv_arena_strdup(ctx->arena, key),
                           .text = hv_arena_strdup(ctx->arena, json_string_value(v) ?: "")};
    }
    rc = strs_parse(&out->whiteouts, ctx, json_object_get(o, "whiteouts"));
    if (!rc)
        rc = strs_parse(&out->opaque, ctx, json_object_get(o, "opaque"));
    if (!rc)
        rc = strs_parse(&out->notes, ctx, json_object_get(o, "notes"));
out:
    json_decref(o);
    return rc;
}

/* ---------------------------------------------------------------- merging layers */

/* A file of the merged image: packages found in it, or a release file's text. */
typedef struct entry {
    const char *path;
    size_t layer;
    const hv_scan_pkg *pkgs;
    size_t n;
    const char *text;
} entry;

typedef struct entries {
    entry *v;
    size_t n, cap;
} entries;

/* Whether path is dir or lies under it ("" is the root, above everything). */
static bool under(const char *path, const char *dir) {
    size_t n = strlen(dir);

    return n == 0 || (strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

static void remove_under(entries *e, const char *dir, bool self) {
    size_t k = 0;

    for (size_t i = 0; i < e->n; i++) {
        bool gone = under(e->v[i].path, dir) && (self || strcmp(e->v[i].path, dir) != 0);
        if (!gone)
            e->v[k++] = e->v[i];
    }
    e->n = k;
}

static void put(entries *e, hv_ctx *ctx, const entry *x) {
    for (size_t i = 0; i < e->n; i++) {
        if (strcmp(e->v[i].path, x->path) == 0) {
            e->v[i] = *x;
            return;
        }
    }
    e->v = hv_scan__grow(ctx, e->v, &e->cap, e->n, sizeof(*e->v));
    e->v[e->n++] = *x;
}

static bool same_pkg(const hv_scan_pkg *a, const hv_scan_pkg *b) {
    return a->eco == b->eco && strcmp(a->name, b->name) == 0 && strcmp(a->version, b->version) == 0;
}

/* The first layer (up to last) whose files hold a package like p. */
static size_t first_layer(const hv_scan_layer *layers, size_t last, const hv_scan_pkg *p) {
    for (size_t l = 0; l < last; l++) {
        for (size_t i = 0; i < layers[l].pkgs.n; i++) {
            if (same_pkg(&layers[l].pkgs.v[i], p))
                return l;
        }
    }
    return last;
}

static int pkg_order(const void *a, const void *b) {
    const hv_scan_pkg *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    if (c == 0)
        c = strcmp(x->version, y->version);
    if (c == 0)
        c = strcmp(x->path, y->path);
    return c;
}

void hv_scan__merge(hv_scan_inventory *out, hv_ctx *ctx, const hv_scan_layer *layers,
                    const char *const *digests, size_t n) {
    entries files = {0}, os = {0};
    hv_scan_file *rel;
    size_t total = 0, k = 0;

    memset(out, 0, sizeof(*out));
    for (size_t l = 0; l < n; l++) {
        const hv_scan_layer *L = &layers[l];

        for (size_t i = 0; i < L->opaque.n; i++) {
            remove_under(&files, L->opaque.v[i], false);
            remove_under(&os, L->opaque.v[i], false);
        }
        for (size_t i = 0; i < L->whiteouts.n; i++) {
            remove_under(&files, L->whiteouts.v[i], true);
            remove_under(&os, L->whiteouts.v[i], true);
        }
        for (size_t i = 0; i < L->n_found; i++) {
            entry x = {.path = L->found[i].path,
                       .layer = l,
                       .pkgs = L->pkgs.v + L->found[i].first,
                       .n = L->found[i].n};
            put(&files, ctx, &x);
        }
        for (size_t i = 0; i < L->n_os_files; i++) {
            entry x = {.path = L->os_files[i].path, .layer = l, .text = L->os_files[i].text};
            put(&os, ctx, &x);
        }
    }
    rel = hv_arena_alloc(ctx->arena, (os.n + 1) * sizeof(*rel));
    for (size_t i = 0; i < os.n; i++)
        rel[i] = (hv_scan_file){.path = os.v[i].path, .text = os.v[i].text};
    hv_scan__os_detect(out, ctx, rel, os.n);

    for (size_t i = 0; i < files.n; i++)
        total += files.v[i].n;
    out->pkgs = hv_arena_alloc(ctx->arena, (total + 1) * sizeof(*out->pkgs));
    for (size_t i = 0; i < files.n; i++) {
        for (size_t j = 0; j < files.v[i].n; j++) {
            hv_scan_pkg *p = &out->pkgs[k++];

            *p = files.v[i].pkgs[j];
            p->layer = digests[first_layer(layers, files.v[i].layer, p)];
            if (is_os_eco(p->eco) && !p->purl)
                hv_scan__os_purl(p, ctx, out);
        }
    }
    out->n_pkgs = k;
    qsort(out->pkgs, out->n_pkgs, sizeof(*out->pkgs), pkg_order);
}

/* ---------------------------------------------------------------- images */

/* The layer's inventory: stored, else walked (and stored when store_layers). */
static hv_err layer_get(hv_scan_layer *out, hv_ctx *ctx, hv_blob_store *store,
                        const hv_oci_descriptor *d, bool store_layers) {
    const char *json = NULL;
    hv_blob_reader *r = NULL;
    uint64_t size;
    hv_err rc;

    if (ctx->db) {
        rc = hv_model_scan_layer_get(&json, ctx, d->digest, LAYER_VERSION);
        if (rc == HV_OK)
            return hv_scan__layer_parse(out, ctx, d->digest, json);
        if (rc != HV_E_NOT_FOUND)
            return rc;
        hv_error_clear(ctx);
    }
    rc = hv_blob_stat(store, ctx, d->digest, &size);
    if (!rc)
        rc = hv_blob_open(&r, store, ctx, d->digest, size, 0);
    if (!rc)
        rc = hv_scan__walk_blob(out, ctx, d->digest, r, &hv_scan__default_limits);
    hv_blob_reader_close(r);
    if (rc || !store_layers || !ctx->db)
        return rc;
    return hv_model_scan_layer_put(ctx, d->digest, LAYER_VERSION, hv_scan__layer_json(ctx, out));
}

static bool is_layer(const char *media_type) {
    return media_type &&
           (strstr(media_type, ".layer.v1.tar") || strstr(media_type, "rootfs.diff.tar"));
}

static bool is_image_config(const char *media_type) {
    return media_type &&
           (strcmp(media_type, "application/vnd.oci.image.config.v1+json") == 0 ||
            strcmp(media_type, "application/vnd.docker.container.image.v1+json") == 0);
}

static hv_err read_manifest(hv_oci_manifest *out, hv_ctx *ctx, hv_blob_store *store,
                            const char *digest, const char *media_type) {
    char *body = NULL;
    size_t len;
    hv_err rc = hv_blob_read_all(&body, &len, store, ctx, digest, HV_OCI_MANIFEST_MAX);

    if (rc == HV_E_BLOB_UNKNOWN)
        rc = HV_FAIL(ctx, HV_E_MANIFEST_UNKNOWN, "manifest %s is not stored", digest);
    if (!rc)
        rc = hv_oci_manifest_parse(out, ctx, media_type, body, len);
    free(body);
    return rc;
}

static hv_err image(hv_scan_image *out, hv_ctx *ctx, hv_blob_store *store, const hv_oci_manifest *m,
                    bool store_layers) {
    hv_scan_layer *layers = hv_arena_alloc(ctx->arena, (m->n_layers + 1) * sizeof(*layers));
    const char **digests = hv_arena_alloc(ctx->arena, (m->n_layers + 1) * sizeof(*digests));
    hv_scan_strs notes = {0};
    hv_err rc;

    if (!is_image_config(m->config.media_type))
        return HV_FAIL(ctx, HV_E_UNSUPPORTED, "%s is not a container image (its config is %s)",
                       out->digest, m->config.media_type ? m->config.media_type : "absent");
    for (size_t i = 0; i < m->n_layers; i++) {
        const hv_oci_descriptor *d = &m->layers[i];

        if (!is_layer(d->media_type))
            return HV_FAIL(ctx, HV_E_UNSUPPORTED, "layer %s has media type %s, not a tar archive",
                           d->digest, d->media_type ? d->media_type : "(none)");
        rc = layer_get(&layers[i], ctx, store, d, store_layers);
        if (rc)
            return rc;
        digests[i] = d->digest;
        for (size_t k = 0; k < layers[i].notes.n; k++)
            hv_scan__strs_add(
                &notes, ctx,
                hv_arena_printf(ctx->arena, "%s: %s", d->digest, layers[i].notes.v[k]));
    }
    hv_scan__merge(&out->inv, ctx, layers, digests, m->n_layers);
    out->notes = notes.v;
    out->n_notes = notes.n;
    return HV_OK;
}

hv_err hv_scan_inventory_image(hv_scan_image **out, size_t *n, hv_ctx *ctx, hv_blob_store *store,
                               const char *repository, const char *reference, bool store_layers) {
    const char *digest = reference, *media_type = NULL;
    hv_oci_manifest m;
    hv_scan_image *v;
    hv_err rc;

    if (repository) {
        hv_repository repo;
        hv_artifact a;

        rc = hv_model_repository_get(&repo, ctx, repository);
        if (!rc)
            rc = hv_oci_reference_is_digest(reference)
                     ? hv_model_artifact_get(&a, ctx, repo.id, reference)
                     : hv_model_artifact_by_tag(&a, ctx, repo.id, reference);
        if (rc)
            return rc;
        digest = a.digest;
        media_type = a.media_type;
    } else {
        rc = hv_oci_digest_check(ctx, reference, strlen(reference));
        if (rc)
            return rc;
    }
    rc = read_manifest(&m, ctx, store, digest, media_type);
    if (rc)
        return rc;
    if (m.kind == HV_OCI_MANIFEST) {
        v = hv_arena_alloc(ctx->arena, sizeof(*v));
        v->digest = digest;
        rc = image(v, ctx, store, &m, store_layers);
        *out = v;
        *n = 1;
        return rc;
    }
    v = hv_arena_alloc(ctx->arena, (m.n_manifests + 1) * sizeof(*v));
    *n = 0;
    for (size_t i = 0; i < m.n_manifests; i++) {
        const hv_oci_descriptor *d = &m.manifests[i];
        hv_oci_manifest child;
        hv_scan_image *img = &v[*n];

        /* buildx's attestations are entries of platform unknown/unknown */
        if (!d->os || strcmp(d->os, "unknown") == 0 ||
            !hv_oci_media_type_is_manifest(d->media_type) ||
            hv_oci_media_type_is_index(d->media_type))
            continue;
        rc = read_manifest(&child, ctx, store, d->digest, d->media_type);
        if (rc)
            return rc;
        img->digest = d->digest;
        img->platform = hv_arena_printf(ctx->arena, "%s/%s%s%s", d->os, d->architecture ?: "",
                                        d->variant ? "/" : "", d->variant ?: "");
        rc = image(img, ctx, store, &child, store_layers);
        if (rc)
            return rc;
        (*n)++;
    }
    *out = v;
    if (*n == 0)
        return HV_FAIL(ctx, HV_E_UNSUPPORTED, "index %s lists no container image", digest);
    return HV_OK;
}

json_t *hv_scan_inventory_json(const hv_scan_image *img) {
    json_t *o = json_object(), *os = json_object(), *pkgs = json_array(), *notes = json_array();

    set_str(o, "digest", img->digest);
    set_str(o, "platform", img->platform);
    set_str(os, "family", img->inv.os_family);
    set_str(os, "version", img->inv.os_version);
    set_str(os, "name", img->inv.os_name);
    json_object_set_new(o, "os", os);
    for (size_t i = 0; i < img->inv.n_pkgs; i++)
        json_array_append_new(pkgs, hv_scan__pkg_json(&img->inv.pkgs[i]));
    json_object_set_new(o, "packages", pkgs);
    for (size_t i = 0; i < img->n_notes; i++)
        json_array_append_new(notes, json_string(img->notes[i]));
    json_object_set_new(o, "notes", notes);
    return o;
}
