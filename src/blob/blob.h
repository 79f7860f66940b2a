/*
 * blob — content-addressed storage of blobs (layers, configs, manifests) and of uploads in
 * progress.  One interface, pluggable drivers (struct hv_blob_driver); the filesystem
 * driver keeps blobs at <root>/blobs/sha256/<2 hex>/<64 hex> and uploads at
 * <root>/uploads/<uuid>.  An upload becomes a blob only through hv_blob_upload_commit,
 * which makes the bytes durable and then moves them into place atomically, so a reader
 * never sees a partial blob.
 */
#ifndef HV_BLOB_H
#define HV_BLOB_H

#include "base/base.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct hv_blob_store hv_blob_store;
typedef struct hv_blob_writer hv_blob_writer;

typedef struct hv_blob_driver {
    const char *name;
    hv_err (*stat)(hv_blob_store *s, hv_ctx *ctx, const char *digest, uint64_t *size);
    hv_err (*open)(hv_blob_store *s, hv_ctx *ctx, const char *digest, int *fd, uint64_t *size);
    hv_err (*put)(hv_blob_store *s, hv_ctx *ctx, const char *digest, const void *data, size_t n);
    hv_err (*remove)(hv_blob_store *s, hv_ctx *ctx, const char *digest);
    hv_err (*upload_open)(hv_blob_store *s, hv_ctx *ctx, const char *uuid, bool create,
                          hv_blob_writer **out);
    hv_err (*at)(hv_blob_writer *w, hv_ctx *ctx, uint64_t offset);
    hv_err (*write)(hv_blob_writer *w, hv_ctx *ctx, const void *data, size_t n);
    hv_err (*sync)(hv_blob_writer *w, hv_ctx *ctx);
    void (*close)(hv_blob_writer *w);
    hv_err (*upload_commit)(hv_blob_store *s, hv_ctx *ctx, const char *uuid, const char *digest);
    hv_err (*upload_remove)(hv_blob_store *s, hv_ctx *ctx, const char *uuid);
    hv_err (*upload_list)(hv_blob_store *s, hv_ctx *ctx,
                          void (*fn)(const char *uuid, int64_t mtime_ms, void *payload),
                          void *payload);
    void (*free)(hv_blob_store *s);
} hv_blob_driver;

/* Opens the filesystem store under root (creating its folders). */
hv_err hv_blob_fs_open(hv_blob_store **out, hv_ctx *ctx, const char *root);
void hv_blob_close(hv_blob_store *s); /* accepts NULL */

/* Size of a committed blob; HV_E_BLOB_UNKNOWN when absent. */
hv_err hv_blob_stat(hv_blob_store *s, hv_ctx *ctx, const char *digest, uint64_t *size);
/* Opens a committed blob for reading; the caller owns *fd.  HV_E_BLOB_UNKNOWN when absent. */
hv_err hv_blob_open(hv_blob_store *s, hv_ctx *ctx, const char *digest, int *fd, uint64_t *size);
/* Stores small content (a manifest) durably under its digest; idempotent.  A stored copy
 * whose bytes differ (damaged) is replaced. */
hv_err hv_blob_put(hv_blob_store *s, hv_ctx *ctx, const char *digest, const void *data, size_t n);
hv_err hv_blob_remove(hv_blob_store *s, hv_ctx *ctx, const char *digest);

/*
 * Opens upload uuid for writing, creating it when create (else HV_E_BLOB_UPLOAD_UNKNOWN
 * when it is not there), and makes the writer the upload's only one until it is closed:
 * HV_E_RANGE, at once, while another writer (another request, or another process on the
 * same store) has it.  The caller reads how far the upload got only after this, then
 * positions the writer there with hv_blob_writer_at: so two writers never interleave
 * bytes, and what a writer appends to is what its caller hashed.
 */
hv_err hv_blob_upload_open(hv_blob_store *s, hv_ctx *ctx, const char *uuid, bool create,
                           hv_blob_writer **out);
/* Positions w at offset; bytes past it, left by a write that was never acknowledged (a
 * crash, a refused chunk), are cut off.  HV_E_RANGE when the upload is shorter. */
hv_err hv_blob_writer_at(hv_blob_writer *w, hv_ctx *ctx, uint64_t offset);
hv_err hv_blob_write(hv_blob_writer *w, hv_ctx *ctx, const void *data, size_t n);
/* Makes the bytes written so far durable. */
hv_err hv_blob_writer_sync(hv_blob_writer *w, hv_ctx *ctx);
/* Closes the writer, giving up its hold on the upload, and frees it; accepts NULL. */
void hv_blob_writer_close(hv_blob_writer *w);
/* Moves a complete, synced upload into place as blob digest, durably, replacing a stored
 * copy (which a caller that verified the upload's bytes may know nothing about). */
hv_err hv_blob_upload_commit(hv_blob_store *s, hv_ctx *ctx, const char *uuid, const char *digest);
hv_err hv_blob_upload_remove(hv_blob_store *s, hv_ctx *ctx, const char *uuid);
/* Calls fn for every upload in the store with its last-modified time. */
hv_err hv_blob_upload_list(hv_blob_store *s, hv_ctx *ctx,
                           void (*fn)(const char *uuid, int64_t mtime_ms, void *payload),
                           void *payload);

#endif
