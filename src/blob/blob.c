/*
 * The driver-independent front of the blob store: each call goes to the store's driver, but
 * for reads of blobs the store's cache (cache.c) holds, which a reader of the cached copy
 * serves.  What enters the cache has been read whole and hashed here: a copy whose bytes were
 * changed in the store behind our back is refused, never kept.
 */
#include "blob/blob_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void hv_blob__init(hv_blob_store *s, const hv_blob_driver *d) {
    assert(d->version == HV_BLOB_DRIVER_VERSION);
    s->driver = d;
    s->cache = hv_blob__cache_new(0);
}

const char *hv_blob_driver_name(hv_blob_store *s) {
    return s->driver->name;
}

void hv_blob_close(hv_blob_store *s) {
    if (!s)
        return;
    hv_blob__cache_free(s->cache);
    s->driver->free(s);
}

void hv_blob_cache(hv_blob_store *s, size_t budget) {
    hv_blob__cache_free(s->cache);
    s->cache = hv_blob__cache_new(budget);
}

hv_err hv_blob_stat(hv_blob_store *s, hv_ctx *ctx, const char *digest, uint64_t *size) {
    return s->driver->stat(s, ctx, digest, size);
}

/* A reader of a cached copy; it holds the copy until it is closed. */
static hv_blob_reader *cached_reader(hv_blob_store *s, const hv_blob__cached *b) {
    hv_blob_reader *r = hv_calloc(1, sizeof(*r));

    r->store = s;
    r->cached = b;
    return r;
}

/* The cache's copy of digest when it has size bytes (else nothing is served from it: the
 * store's reader finds out what is wrong). */
static const hv_blob__cached *cached_copy(hv_blob_store *s, const char *digest, uint64_t size) {
    const hv_blob__cached *b = hv_blob__cache_get(s->cache, digest);

    if (b && b->len != size) {
        hv_blob__cache_release(s->cache, b);
        b = NULL;
    }
    return b;
}

/* HV_E_IO unless data is len bytes of digest. */
static hv_err check_bytes(hv_ctx *ctx, const char *digest, const char *data, size_t len) {
    char got[HV_DIGEST_MAX];

    assert(strncmp(digest, "sha256:", 7) == 0); /* the only digests the registry stores */
    hv_sha256_digest(got, data, len);
    if (strcmp(got, digest) != 0)
        return HV_FAIL(ctx, HV_E_IO,
                       "storage error: the stored bytes of blob %s have digest %s: the blob is "
                       "damaged; push it again",
                       digest, got);
    return HV_OK;
}

/* Blob digest whole, from the cache or in one request of at most max bytes, checked against
 * its digest (and kept when the cache takes it): *held is the cache's copy, or else *out and
 * *len the bytes read (malloc'd). */
static hv_err get_checked(const hv_blob__cached **held, char **out, size_t *len, hv_blob_store *s,
                          hv_ctx *ctx, const char *digest, size_t max) {
    char *buf = NULL;
    size_t n = 0;
    hv_err rc;

    *held = hv_blob__cache_get(s->cache, digest);
    if (*held && (*held)->len > max) {
        hv_blob__cache_release(s->cache, *held);
        *held = NULL;
        return HV_FAIL(ctx, HV_E_TOO_LARGE, "blob %s has more than the %zu bytes read here", digest,
                       max);
    }
    if (*held)
        return HV_OK;
    rc = s->driver->get(&buf, &n, s, ctx, digest, max);
    if (rc == HV_E_TOO_LARGE)
        return HV_FAIL(ctx, rc, "blob %s has more than the %zu bytes read here", digest, max);
    if (rc == HV_OK)
        rc = check_bytes(ctx, digest, buf, n);
    if (rc) {
        free(buf);
        return rc;
    }
    if (n <= HV_BLOB_CACHE_ITEM_MAX) {
        *held = hv_blob__cache_put(s->cache, digest, buf, n);
        return HV_OK;
    }
    *out = buf;
    *len = n;
    return HV_OK;
}

hv_err hv_blob_open(hv_blob_reader **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                    uint64_t size, uint64_t from) {
    const hv_blob__cached *b = cached_copy(s, digest, size);

    if (b) {
        *out = cached_reader(s, b);
        return HV_OK;
    }
    return s->driver->open(out, s, ctx, digest, size, from < size ? from : size);
}

hv_err hv_blob_open_cached(hv_blob_reader **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                           uint64_t size, uint64_t from) {
    const hv_blob__cached *b = NULL;
    char *buf = NULL;
    size_t len = 0;
    hv_err rc;

    if (size > HV_BLOB_CACHE_ITEM_MAX || from >= size)
        return hv_blob_open(out, s, ctx, digest, size, from);
    /* size fits the cache: what get_checked reads goes there, and b is its copy */
    rc = get_checked(&b, &buf, &len, s, ctx, digest, (size_t)size);
    if (rc == HV_E_TOO_LARGE || (rc == HV_OK && b->len != size)) {
        hv_blob__cache_release(s->cache, b);
        hv_error_clear(ctx);
        return HV_FAIL(ctx, HV_E_IO,
                       "storage error: blob %s has another size in the store than %llu", digest,
                       (unsigned long long)size);
    }
    if (rc)
        return rc;
    assert(b && !buf);
    *out = cached_reader(s, b);
    return HV_OK;
}

hv_err hv_blob_read(hv_blob_reader *r, hv_ctx *ctx, uint64_t offset, void *buf, size_t n,
                    size_t *got) {
    if (r->cached) {
        size_t len = r->cached->len;
        *got = offset < len ? (n < len - offset ? n : len - (size_t)offset) : 0;
        if (*got)
            memcpy(buf, r->cached->data + offset, *got);
        return HV_OK;
    }
    return r->store->driver->read(r, ctx, offset, buf, n, got);
}

int hv_blob_reader_take_fd(hv_blob_reader *r) {
    if (r->cached || !r->store->driver->take_fd)
        return -1;
    return r->store->driver->take_fd(r);
}

void hv_blob_reader_close(hv_blob_reader *r) {
    if (!r)
        return;
    if (r->cached) {
        hv_blob__cache_release(r->store->cache, r->cached);
        free(r);
        return;
    }
    r->store->driver->reader_close(r);
}

hv_err hv_blob_read_all(char **out, size_t *len, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                        size_t max) {
    const hv_blob__cached *b = NULL;
    hv_err rc = get_checked(&b, out, len, s, ctx, digest, max);

    if (rc || !b)
        return rc;
    *out = hv_malloc(b->len + 1);
    memcpy(*out, b->data, b->len);
    (*out)[b->len] = '\0';
    *len = b->len;
    hv_blob__cache_release(s->cache, b);
    return HV_OK;
}

hv_err hv_blob_presign(char **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                       int64_t expires) {
    if (!s->driver->presign)
        return HV_FAIL(ctx, HV_E_UNSUPPORTED, "the %s blob store cannot presign URLs",
                       s->driver->name);
    return s->driver->presign(out, s, ctx, digest, expires);
}

hv_err hv_blob_remove(hv_blob_store *s, hv_ctx *ctx, const char *digest) {
    hv_blob__cache_drop(s->cache, digest);
    return s->driver->remove(s, ctx, digest);
}

hv_err hv_blob_upload_open(hv_blob_store *s, hv_ctx *ctx, const char *uuid, bool create,
                           hv_blob_writer **out) {
    return s->driver->upload_open(s, ctx, uuid, create, out);
}

hv_err hv_blob_writer_at(hv_blob_writer *w, hv_ctx *ctx, uint64_t offset) {
    return w->store->driver->at(w, ctx, offset);
}

hv_err hv_blob_write(hv_blob_writer *w, hv_ctx *ctx, const void *data, size_t n) {
    return w->store->driver->write(w, ctx, data, n);
}

hv_err hv_blob_writer_sync(hv_blob_writer *w, hv_ctx *ctx) {
    return w->store->driver->sync(w, ctx);
}

void hv_blob_writer_close(hv_blob_writer *w) {
    if (w)
        w->store->driver->close(w);
}

hv_err hv_blob_stage_upload(hv_blob_staged **out, hv_blob_store *s, hv_ctx *ctx, const char *uuid,
                            const char *digest) {
    return s->driver->stage_upload(out, s, ctx, uuid, digest);
}

hv_err hv_blob_stage_bytes(hv_blob_staged **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                           const void *data, size_t n) {
    return s->driver->stage_bytes(out, s, ctx, digest, data, n);
}

hv_err hv_blob_staged_place(hv_blob_staged *st, hv_ctx *ctx) {
    return st->store->driver->place(st, ctx);
}

hv_err hv_blob_staged_finish(hv_blob_staged *st, hv_ctx *ctx, bool committed) {
    if (!st)
        return HV_OK;
    return st->store->driver->finish(st, ctx, committed);
}

hv_err hv_blob_upload_remove(hv_blob_store *s, hv_ctx *ctx, const char *uuid) {
    return s->driver->upload_remove(s, ctx, uuid);
}

hv_err hv_blob_upload_list(hv_blob_store *s, hv_ctx *ctx,
                           void (*fn)(const char *uuid, int64_t mtime_ms, void *payload),
                           void *payload) {
    return s->driver->upload_list(s, ctx, fn, payload);
}

/* Moves the bytes of r into upload w, hashing them; HV_E_DIGEST_INVALID unless they are
 * size bytes of digest. */
static hv_err copy_bytes(hv_blob_writer *w, hv_blob_reader *r, hv_ctx *ctx, const char *digest,
                         uint64_t size) {
    size_t block = 1 << 20;
    char *buf = hv_malloc(block), got_digest[HV_DIGEST_MAX];
    uint64_t at = 0;
    hv_sha256 h;
    hv_err rc = HV_OK;

    hv_sha256_init(&h);
    while (rc == HV_OK) {
        size_t got = 0;
        rc = hv_blob_read(r, ctx, at, buf, block, &got);
        if (rc || got == 0)
            break;
        hv_sha256_update(&h, buf, got);
        rc = hv_blob_write(w, ctx, buf, got);
        at += got;
    }
    free(buf);
    if (rc)
        return rc;
    hv_sha256_final(&h, got_digest);
    if (at != size || strcmp(got_digest, digest) != 0)
        return HV_FAIL(ctx, HV_E_DIGEST_INVALID,
                       "blob %s holds %llu bytes of digest %s, not %llu bytes of its own: it is "
                       "damaged",
                       digest, (unsigned long long)at, got_digest, (unsigned long long)size);
    return hv_blob_writer_sync(w, ctx);
}

hv_err hv_blob_copy(bool *copied, hv_blob_store *dst, hv_blob_store *src, hv_ctx *ctx,
                    const char *digest, uint64_t size) {
    hv_blob_reader *r = NULL;
    hv_blob_writer *w = NULL;
    hv_blob_staged *st = NULL;
    uint64_t have = 0;
    char uuid[37];
    hv_err rc = hv_blob_stat(dst, ctx, digest, &have);

    *copied = false;
    if (rc == HV_OK && have == size)
        return HV_OK;
    if (rc && rc != HV_E_BLOB_UNKNOWN)
        return rc;
    hv_error_clear(ctx);
    hv_uuid(uuid);
    rc = hv_blob_open(&r, src, ctx, digest, size, 0);
    if (rc == HV_OK)
        rc = hv_blob_upload_open(dst, ctx, uuid, true, &w);
    if (rc == HV_OK)
        rc = hv_blob_writer_at(w, ctx, 0);
    if (rc == HV_OK)
        rc = copy_bytes(w, r, ctx, digest, size);
    if (rc == HV_OK)
        rc = hv_blob_stage_upload(&st, dst, ctx, uuid, digest);
    if (rc == HV_OK)
        rc = hv_blob_staged_place(st, ctx);
    if (st) {
        hv_err done = hv_blob_staged_finish(st, ctx, rc == HV_OK);
        if (rc == HV_OK)
            rc = done;
    }
    hv_blob_writer_close(w);
    if (rc && w) { /* an upload that never became the blob: nothing needs it */
        hv_ctx scratch = {0};
        hv_blob_upload_remove(dst, &scratch, uuid);
    }
    hv_blob_reader_close(r);
    if (rc == HV_OK)
        *copied = true;
    return rc;
}
