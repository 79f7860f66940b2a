/* The driver-independent front of the blob store: each call goes to the store's driver. */
#include "blob/blob_int.h"

void hv_blob_close(hv_blob_store *s) {
    if (s)
        s->driver->free(s);
}

hv_err hv_blob_stat(hv_blob_store *s, hv_ctx *ctx, const char *digest, uint64_t *size) {
    return s->driver->stat(s, ctx, digest, size);
}

hv_err hv_blob_open(hv_blob_store *s, hv_ctx *ctx, const char *digest, int *fd, uint64_t *size) {
    return s->driver->open(s, ctx, digest, fd, size);
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
