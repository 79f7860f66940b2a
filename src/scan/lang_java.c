/*
 * Java archives (*.jar, *.war, *.ear): zip files read from memory with libarchive.  Each
 * META-INF/maven/<group>/<artifact>/pom.properties names a Maven artifact (a shaded jar has
 * several); an archive without any is named by META-INF/MANIFEST.MF's main section (its
 * lines continue on lines that start with a space) and its file name; the manifest's
 * Bundle-License is the licence of an archive that is one artifact.  Jars inside
 * (WEB-INF/lib, BOOT-INF/lib, …) are read into memory and walked the same way, at most
 * JAR_DEPTH deep and within one byte budget for all entries read (twice the outer file's
 * size and 1 MiB), so a zip bomb costs no more than a small multiple of its size; a nested
 * jar past the budget is skipped.  Packages carry the outer file's path.
 */
#include "scan/lang_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

#define JAR_DEPTH 4

typedef struct jar_walk {
    hv_scan_pkgs *out;
    hv_ctx *ctx;
    const char *path; /* the outer file */
    size_t budget;    /* bytes that entries may still inflate into */
} jar_walk;

HV_SCAN__LANG_WANTS(hv_scan__jar_wants) {
    (void)mode;
    (void)size;
    return hv_scan__lang_ends(path, ".jar") || hv_scan__lang_ends(path, ".war") ||
           hv_scan__lang_ends(path, ".ear");
}

/* The current entry's bytes, at most max and within the budget; false when it is empty,
 * larger or cannot be read. */
static bool entry_bytes(jar_walk *w, struct archive *a, size_t max, hv_buf *b) {
    char chunk[16384];
    la_ssize_t n;

    hv_buf_init(b, max < w->budget ? max : w->budget);
    for (;;) {
        n = archive_read_data(a, chunk, sizeof(chunk));
        if (n == 0)
            break;
        if (n < 0 || hv_buf_append(b, chunk, (size_t)n) != HV_OK) {
            hv_buf_free(b);
            return false;
        }
    }
    if (b->len == 0) {
        hv_buf_free(b);
        return false;
    }
    w->budget -= b->len;
    return true;
}

static void pom_properties(jar_walk *w, const hv_buf *b) {
    const char *pos = b->data, *end = b->data + b->len;
    const char *group = NULL, *artifact = NULL, *version = NULL;
    char *line;

    for (line = hv_scan__lang_line(w->ctx, &pos, end); line;
         line = hv_scan__lang_line(w->ctx, &pos, end)) {
        const char *k, *v;
        if (!hv_scan__lang_split(line, '=', &k, &v))
            continue;
        if (!strcmp(k, "groupId"))
            group = v;
        else if (!strcmp(k, "artifactId"))
            artifact = v;
        else if (!strcmp(k, "version"))
            version = v;
    }
    if (group && artifact)
        hv_scan__lang_add(w->out, w->ctx, HV_ECO_MAVEN,
                          hv_arena_printf(w->ctx->arena, "%s:%s", group, artifact), version, NULL,
                          w->path);
}

/* The few fields of the manifest's main section that name an archive. */
typedef struct manifest {
    const char *vendor_id, *version, *bundle_version, *license;
} manifest;

/* One logical line of the manifest (its continuations joined in cur), then cur emptied. */
static void manifest_field(jar_walk *w, hv_buf *cur, manifest *m) {
    const char *k, *v;
    char *line;

    if (cur->len == 0)
        return;
    line = hv_arena_strndup(w->ctx->arena, cur->data, cur->len);
    hv_buf_reset(cur);
    if (!hv_scan__lang_split(line, ':', &k, &v))
        return;
    if (!strcmp(k, "Implementation-Vendor-Id"))
        m->vendor_id = v;
    else if (!strcmp(k, "Implementation-Version"))
        m->version = v;
    else if (!strcmp(k, "Bundle-Version"))
        m->bundle_version = v;
    else if (!strcmp(k, "Bundle-License"))
        m->license = v;
}

static void manifest_parse(jar_walk *w, const hv_buf *b, manifest *m) {
    const char *pos = b->data, *end = b->data + b->len;
    hv_buf cur;
    char *line;

    /* the joined line is never longer than the manifest */
    hv_buf_init(&cur, b->len);
    for (line = hv_scan__lang_line(w->ctx, &pos, end); line && *line;
         line = hv_scan__lang_line(w->ctx, &pos, end)) {
        bool more = line[0] == ' ';
        if (!more)
            manifest_field(w, &cur, m);
        if (hv_buf_append(&cur, line + more, strlen(line + more)) != HV_OK)
            break;
    }
    manifest_field(w, &cur, m);
    hv_buf_free(&cur);
}

/* An archive without pom.properties: "vendor-id:artifact" where the artifact is the file
 * name without its "-<version>.jar", and the manifest's version. */
static void from_manifest(jar_walk *w, const manifest *m, const char *file) {
    const char *version = m->version ? m->version : m->bundle_version;
    char *artifact = hv_arena_strdup(w->ctx->arena, hv_scan__lang_base(file)), *dot, *tail;

    dot = strrchr(artifact, '.');
    if (dot)
        *dot = '\0';
    tail = version ? hv_arena_printf(w->ctx->arena, "-%s", version) : NULL;
    if (tail && hv_scan__lang_ends(artifact, tail))
        artifact[strlen(artifact) - strlen(tail)] = '\0';
    hv_scan__lang_add(w->out, w->ctx, HV_ECO_MAVEN,
                      m->vendor_id ? hv_arena_printf(w->ctx->arena, "%s:%s", m->vendor_id, artifact)
                                   : artifact,
                      version, m->license, w->path);
}

/* Whether name is META-INF/maven/<group>/<artifact>/pom.properties. */
static bool is_pom_properties(const char *name) {
    const char *s;
    int slashes = 0;

    if (!hv_str_has_prefix(name, "META-INF/maven/") || !hv_scan__lang_ends(name, "/pom.properties"))
        return false;
    for (s = name + 15; *s; s++)
        slashes += *s == '/';
    return slashes == 2;
}

static hv_err walk(jar_walk *w, const void *data, size_t len, const char *file, int depth) {
    struct archive *a = archive_read_new();
    struct archive_entry *ent;
    manifest m = {0};
    bool poms = false, have_manifest = false;
    size_t own = 0, own_at = 0; /* this archive's artifacts from pom.properties, the last */
    hv_err rc = HV_OK;
    hv_buf b;
    int arc;

    archive_read_support_format_zip(a);
    if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
        rc = HV_FAIL(w->ctx, HV_E_BAD_REQUEST, "%s: not a zip archive (%s)", file,
                     archive_error_string(a));
        goto out;
    }
    for (;;) {
        const char *name;
        arc = archive_read_next_header(a, &ent);
        if (arc == ARCHIVE_EOF)
            break;
        if (arc != ARCHIVE_OK && arc != ARCHIVE_WARN) {
            rc = HV_FAIL(w->ctx, HV_E_BAD_REQUEST, "%s: broken zip archive (%s)", file,
                         archive_error_string(a));
            goto out;
        }
        name = archive_entry_pathname(ent);
        if (!name || archive_entry_filetype(ent) != AE_IFREG)
            continue;
        if (is_pom_properties(name)) {
            if (!entry_bytes(w, a, 64u << 10, &b))
                continue;
            own_at = w->out->n;
            pom_properties(w, &b);
            hv_buf_free(&b);
            own += w->out->n > own_at;
            poms = true;
        } else if (!strcmp(name, "META-INF/MANIFEST.MF")) {
            if (!entry_bytes(w, a, 1u << 20, &b))
                continue;
            manifest_parse(w, &b, &m);
            hv_buf_free(&b);
            have_manifest = true;
        } else if (depth < JAR_DEPTH && hv_scan__lang_ends(name, ".jar")) {
            if (!entry_bytes(w, a, w->budget, &b))
                continue;
            /* a nested file that is not a zip is not this archive's fault: skip it */
            if (b.len && walk(w, b.data, b.len, name, depth + 1) != HV_OK)
                hv_error_clear(w->ctx);
            hv_buf_free(&b);
        }
    }
    if (!poms && have_manifest)
        from_manifest(w, &m, file);
    /* the manifest's licence is the artifact's when the archive is one artifact (a shaded
     * jar's manifest speaks for the whole, not for each artifact inside) */
    if (own == 1 && m.license)
        w->out->v[own_at].license = m.license;
out:
    archive_read_free(a);
    return rc;
}

HV_SCAN__LANG_PARSE(hv_scan__jar_parse) {
    jar_walk w = {.out = out, .ctx = ctx, .path = path, .budget = 2 * len + (1u << 20)};

    return walk(&w, data, len, path, 0);
}
