/* The driver-independent front of the blob store: each call goes to the store's driver. */
#include "blob/blob_int.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

void hv_blob__init(hv_blob_store *s, const hv_blob_driver *d) {
    assert(d->version == HV_BLOB_DRIVER_VERSION);
    s->driver = d;
}

const char *hv_blob_driver_name(hv_blob_store *s) {
    return s->driver->name;
}

void hv_blob_close(hv_blob_store *s) {
    if (s)
        s->driver->free(s);
}

hv_err hv_blob_stat(hv_blob_store *s, hv_ctx *ctx, const char *digest, uint64_t *size) {
    return s->driver->stat(s, ctx, digest, size);
}

hv_err hv_blob_open(hv_blob_reader **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                    uint64_t size, uint64_t from) {
    return s->driver->open(out, s, ctx, digest, size, from < size ? from : size);
}

hv_err hv_blob_read(hv_blob_reader *r, hv_ctx *ctx, uint64_t offset, void *buf, size_t n,
                    size_t *got) {
    return r->store->driver->read(r, ctx, offset, buf, n, got);
}

int hv_blob_reader_take_fd(hv_blob_reader *r) {
    return r->store->driver->take_fd ? r->store->driver->take_fd(r) : -1;
}

void hv_blob_reader_close(hv_blob_reader *r) {
    if (r)
        r->store->driver->reader_close(r);
}

hv_err hv_blob_read_all(char **out, size_t *len, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                        size_t max) {
    hv_blob_reader *r = NULL;
    uint64_t size;
    size_t at = 0;
    char *buf = NULL;
    hv_err rc = hv_blob_stat(s, ctx, digest, &size);

    if (rc)
        return rc;
    if (size > max)
        return HV_FAIL(ctx, HV_E_TOO_LARGE, "blob %s has %llu bytes, more than the %zu read here",
                       digest, (unsigned long long)size, max);
    rc = hv_blob_open(&r, s, ctx, digest, size, 0);
    if (rc)
        return rc;
    buf = hv_malloc((size_t)size + 1);
    while (at < size) {
        size_t got;
        rc = hv_blob_read(r, ctx, at, buf + at, (size_t)size - at, &got);
        if (rc == HV_OK && got == 0)
            rc = HV_FAIL(ctx, HV_E_IO, "blob %s ends after %zu of its %llu bytes", digest, at,
                         (unsigned long long)size);
        if (rc)
            goto out;
        at += got;
    }
    buf[at] = '\0';
    *out = buf;
    *len = at;
    buf = NULL;
out:
    free(buf);
    hv_blob_reader_close(r);
    return rc;
}

hv_err hv_blob_presign(char **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                       int64_t expires) {
    if (!s->driver->presign)
        return HV_FAIL(ctx, HV_E_UNSUPPORTED, "the %s blob store cannot presign URLs",
                       s->driver->name);
    return s->driver->presign(out, s, ctx, digest, expires);
}

hv_err hv_blob_remove(hv_blob_store *s, hv_ctx *ctx, const char *digest) {
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
