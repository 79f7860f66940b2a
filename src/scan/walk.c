/*
 * The layer walker: reads a layer blob once, as a stream, through libarchive (tar, plain or
 * gzip- or zstd-compressed), and never unpacks it.  Each entry's path is cleaned (leading
 * "/" and "./" dropped, "." and ".." resolved; a path that climbs out of the root is
 * skipped and noted); whiteouts (".wh.<name>") and opaque directories (".wh..wh..opq") are
 * recorded for the merge, which applies them to lower layers; each regular file that an
 * analyzer wants (scan_int.h) is read whole into memory, up to the largest max_size of the
 * analyzers that want it, and handed to each of them.  The files that name the operating
 * system are kept as text for os.c.
 *
 * A hostile layer cannot make the walker use unbounded time or memory: entries, path
 * lengths, decompressed bytes (absolute, and relative to the compressed bytes read, against
 * decompression bombs) are bounded by hv_scan_limits, and a file is held only when an
 * analyzer asked for it, at most its max_size.
 */
#include "blob/blob.h"
#include "scan/scan_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK  (256u << 10)
#define OS_FILE_MAX (64u << 10)

const hv_scan_limits hv_scan__default_limits = {
    .entries = 1000000,
    .bytes = 64ull << 30,
    .ratio = 1000,
    .ratio_after = 64u << 20,
    .path = 4096,
};

void *hv_scan__grow(hv_ctx *ctx, void *v, size_t *cap, size_t count, size_t elem) {
    if (*cap == 0) {
        *cap = 16;
        return hv_arena_alloc(ctx->arena, *cap * elem);
    }
    return hv_arena_grow(ctx->arena, v, cap, count, elem);
}

void hv_scan__strs_add(hv_scan_strs *l, hv_ctx *ctx, const char *s) {
    l->v = hv_scan__grow(ctx, l->v, &l->cap, l->n, sizeof(*l->v));
    l->v[l->n++] = hv_arena_strdup(ctx->arena, s);
}

void hv_scan_pkgs_add(hv_scan_pkgs *l, hv_ctx *ctx, const hv_scan_pkg *p) {
    hv_arena *a = ctx->arena;
    hv_scan_pkg *d;

    l->v = hv_scan__grow(ctx, l->v, &l->cap, l->n, sizeof(*l->v));
    d = &l->v[l->n++];
    d->eco = p->eco;
    d->name = hv_arena_strdup(a, p->name);
    d->version = hv_arena_strdup(a, p->version);
    d->src_name = hv_arena_strdup(a, p->src_name);
    d->src_version = hv_arena_strdup(a, p->src_version);
    d->arch = hv_arena_strdup(a, p->arch);
    d->license = hv_arena_strdup(a, p->license);
    d->purl = hv_arena_strdup(a, p->purl);
    d->path = hv_arena_strdup(a, p->path);
    d->layer = hv_arena_strdup(a, p->layer);
}

/* Cleans raw into out (of cap bytes): NULL when it climbs out of the root; "" for the root. */
static const char *clean_path(char *out, size_t cap, const char *raw) {
    size_t n = 0;
    const char *p = raw;

    while (*p) {
        size_t len;

        while (*p == '/')
            p++;
        len = strcspn(p, "/");
        if (len == 0)
            break;
        if (len == 1 && p[0] == '.') {
            /* nothing */
        } else if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (n == 0)
                return NULL;
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
        } else {
            if (n + (n > 0) + len + 1 > cap)
                return NULL;
            if (n > 0)
                out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    out[n] = '\0';
    return out;
}

typedef struct walk {
    hv_scan_layer *out;
    hv_ctx *ctx;
    const char *digest;
    const hv_scan_limits *lim;
    hv_blob_reader *reader;
    uint64_t offset;
    unsigned char *chunk;
    hv_err read_err; /* the blob store's error, when a read failed */
} walk;

static la_ssize_t blob_read(struct archive *a, void *payload, const void **buf) {
    walk *w = payload;
    size_t got = 0;
    hv_err rc = hv_blob_read(w->reader, w->ctx, w->offset, w->chunk, READ_CHUNK, &got);

    if (rc) {
        w->read_err = rc;
        archive_set_error(a, EIO, "reading the blob failed");
        return -1;
    }
    w->offset += got;
    *buf = w->chunk;
    return (la_ssize_t)got;
}

static void note(walk *w, const char *path, const char *why) {
    hv_scan__strs_add(&w->out->notes, w->ctx, hv_arena_printf(w->ctx->arena, "%s: %s", path, why));
}

/* Records a whiteout entry; false when the base name is no whiteout. */
static bool whiteout(walk *w, const char *path) {
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dir = slash ? (size_t)(slash - path) : 0;

    if (!hv_str_has_prefix(base, ".wh."))
        return false;
    if (strcmp(base, ".wh..wh..opq") == 0) {
        hv_scan__strs_add(&w->out->opaque, w->ctx, hv_arena_strndup(w->ctx->arena, path, dir));
        return true;
    }
    if (base[4] == '\0' || strcmp(base + 4, ".") == 0 || strcmp(base + 4, "..") == 0) {
        note(w, path, "whiteout of nothing, ignored");
        return true;
    }
    hv_scan__strs_add(&w->out->whiteouts, w->ctx,
                      dir ? hv_arena_printf(w->ctx->arena, "%.*s/%s", (int)dir, path, base + 4)
                          : base + 4);
    return true;
}

/* Reads the current entry's size bytes into memory (arena). */
static hv_err read_entry(unsigned char **out, walk *w, struct archive *a, const char *path,
                         size_t size) {
    unsigned char *data = hv_arena_alloc(w->ctx->arena, size + 1);
    size_t got = 0;

    while (got < size) {
        la_ssize_t n = archive_read_data(a, data + got, size - got);
        if (n < 0)
            return HV_FAIL(w->ctx, HV_E_BAD_REQUEST, "layer %s: %s: %s", w->digest, path,
                           archive_error_string(a));
        if (n == 0)
            break;
        got += (size_t)n;
    }
    if (got != size)
        return HV_FAIL(w->ctx, HV_E_BAD_REQUEST, "layer %s: %s is cut short (%zu of %zu bytes)",
                       w->digest, path, got, size);
    *out = data;
    return HV_OK;
}

static const hv_scan_analyzer *const lists[] = {hv_scan_os_analyzers, hv_scan_lang_analyzers};

/* Hands a regular file to the analyzers that want it. */
static hv_err file(walk *w, struct archive *a, const char *path, uint32_t mode, uint64_t size) {
    const hv_scan_analyzer *want[16];
    size_t n_want = 0;
    bool os = hv_scan__os_file(path);
    unsigned char *data = NULL;
    hv_scan_layer *l = w->out;
    hv_err rc;

    for (size_t li = 0; li < sizeof(lists) / sizeof(lists[0]); li++) {
        for (const hv_scan_analyzer *an = lists[li]; an->name; an++) {
            if (!an->wants(path, mode, size))
                continue;
            if (size > an->max_size) {
                note(w, path,
                     hv_arena_printf(w->ctx->arena,
                                     "%" PRIu64 " bytes, more than %s reads (%" PRIu64 ")", size,
                                     an->name, an->max_size));
                continue;
            }
            if (n_want < sizeof(want) / sizeof(want[0]))
                want[n_want++] = an;
        }
    }
    if (os && size > OS_FILE_MAX) {
        note(w, path, "release file larger than 64 KiB, ignored");
        os = false;
    }
    if (n_want == 0 && !os)
        return HV_OK;
    rc = read_entry(&data, w, a, path, (size_t)size);
    if (rc)
        return rc;
    if (os) {
        l->os_files = hv_scan__grow(w->ctx, l->os_files, &l->cap_os_files, l->n_os_files,
                                    sizeof(*l->os_files));
        l->os_files[l->n_os_files++] = (hv_scan_file){
            .path = hv_arena_strdup(w->ctx->arena, path),
            .text = hv_arena_strndup(w->ctx->arena, (const char *)data, (size_t)size)};
    }
    if (n_want == 0)
        return HV_OK;
    l->found = hv_scan__grow(w->ctx, l->found, &l->cap_found, l->n_found, sizeof(*l->found));
    hv_scan_found *f = &l->found[l->n_found++];
    *f = (hv_scan_found){.path = hv_arena_strdup(w->ctx->arena, path), .first = l->pkgs.n};
    for (size_t i = 0; i < n_want; i++) {
        size_t first = l->pkgs.n;

        rc = want[i]->parse(&l->pkgs, w->ctx, path, data, (size_t)size);
        if (rc == HV_E_BAD_REQUEST) {
            note(w, path,
                 hv_arena_printf(w->ctx->arena, "%s: %s", want[i]->name, w->ctx->err.message));
            hv_error_clear(w->ctx);
            l->pkgs.n = first;
            continue;
        }
        if (rc)
            return rc;
        for (size_t k = first; k < l->pkgs.n; k++) {
            if (!l->pkgs.v[k].path)
                l->pkgs.v[k].path = f->path;
        }
    }
    f->n = l->pkgs.n - f->first;
    return HV_OK;
}

/* Whether the bytes unpacked so far pass the limits (absolute, and against the compressed
 * bytes read: a decompression bomb). */
static hv_err check_size(walk *w, struct archive *a) {
    uint64_t out = (uint64_t)archive_filter_bytes(a, 0), in = (uint64_t)archive_filter_bytes(a, -1);

    if (out > w->lim->bytes)
        return HV_FAIL(w->ctx, HV_E_BAD_REQUEST, "layer %s unpacks to more than %" PRIu64 " bytes",
                       w->digest, w->lim->bytes);
    if (out > w->lim->ratio_after && in > 0 && out / in > w->lim->ratio)
        return HV_FAIL(w->ctx, HV_E_BAD_REQUEST,
                       "layer %s unpacks to more than %" PRIu64
                       " times its size (a decompression bomb?)",
                       w->digest, w->lim->ratio);
    return HV_OK;
}

/* Reads past the current entry's bytes, block by block, checking the limits as it goes, so
 * that one huge entry nobody wants cannot run the decompressor unchecked. */
static hv_err skip_entry(walk *w, struct archive *a, const char *path) {
    const void *buf;
    size_t n;
    la_int64_t off;

    for (;;) {
        int r = archive_read_data_block(a, &buf, &n, &off);
        hv_err rc;

        if (r == ARCHIVE_EOF)
            return HV_OK;
        if (r < ARCHIVE_WARN)
            return w->read_err ? w->read_err
                               : HV_FAIL(w->ctx, HV_E_BAD_REQUEST, "layer %s: %s: %s", w->digest,
                                         path, archive_error_string(a));
        rc = check_size(w, a);
        if (rc)
            return rc;
    }
}

static hv_err walk_archive(walk *w, struct archive *a) {
    struct archive_entry *e;
    char *path = hv_arena_alloc(w->ctx->arena, w->lim->path + 1);
    uint64_t entries = 0;
    hv_err rc = HV_OK;

    for (;;) {
        int r = archive_read_next_header(a, &e);
        const char *raw, *clean;

        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            if (w->read_err)
                return w->read_err;
            return HV_FAIL(w->ctx, HV_E_BAD_REQUEST, "layer %s is not a readable tar archive: %s",
                           w->digest, archive_error_string(a));
        }
        if (++entries > w->lim->entries)
            return HV_FAIL(w->ctx, HV_E_BAD_REQUEST, "layer %s has more than %" PRIu64 " entries",
                           w->digest, w->lim->entries);
        rc = check_size(w, a);
        if (rc)
            return rc;
        raw = archive_entry_pathname(e);
        clean = NULL;
        if (!raw)
            note(w, "?", "entry without a path, skipped");
        else if (strlen(raw) > w->lim->path)
            note(w, hv_arena_strndup(w->ctx->arena, raw, 64), "path too long, skipped");
        else if (!(clean = clean_path(path, w->lim->path + 1, raw)))
            note(w, raw, "path leaves the root, skipped");
        if (clean && *clean && !whiteout(w, clean) && archive_entry_filetype(e) == AE_IFREG &&
            !archive_entry_hardlink(e) && archive_entry_size_is_set(e) &&
            archive_entry_size(e) >= 0)
            rc =
                file(w, a, clean, (uint32_t)archive_entry_mode(e), (uint64_t)archive_entry_size(e));
        if (!rc)
            rc = skip_entry(w, a, clean ? clean : "?");
        if (rc)
            return w->read_err ? w->read_err : rc;
    }
    return check_size(w, a);
}

static struct archive *new_reader(void) {
    struct archive *a = archive_read_new();

    if (!a)
        abort();
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_none(a);
    archive_read_support_format_tar(a);
    return a;
}

hv_err hv_scan__walk_memory(hv_scan_layer *out, hv_ctx *ctx, const char *digest, const void *data,
                            size_t len, const hv_scan_limits *lim) {
    walk w = {.out = out, .ctx = ctx, .digest = digest, .lim = lim};
    struct archive *a = new_reader();
    hv_err rc;

    memset(out, 0, sizeof(*out));
    if (archive_read_open_memory(a, data, len) != ARCHIVE_OK)
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "layer %s is not a readable tar archive: %s", digest,
                     archive_error_string(a));
    else
        rc = walk_archive(&w, a);
    archive_read_free(a);
    return rc;
}

hv_err hv_scan__walk_blob(hv_scan_layer *out, hv_ctx *ctx, const char *digest,
                          struct hv_blob_reader *r, const hv_scan_limits *lim) {
    walk w = {.out = out, .ctx = ctx, .digest = digest, .lim = lim, .reader = r};
    struct archive *a = new_reader();
    hv_err rc;

    memset(out, 0, sizeof(*out));
    w.chunk = hv_malloc(READ_CHUNK);
    if (archive_read_open(a, &w, NULL, blob_read, NULL) != ARCHIVE_OK)
        rc = w.read_err
                 ? w.read_err
                 : HV_FAIL(ctx, HV_E_BAD_REQUEST, "layer %s is not a readable tar archive: %s",
                           digest, archive_error_string(a));
    else
        rc = walk_archive(&w, a);
    archive_read_free(a);
    free(w.chunk);
    return rc;
}
