/*
 * blob — content-addressed storage of blobs (layers, configs, manifests) and of uploads in
 * progress.  One interface, pluggable drivers (struct hv_blob_driver); the filesystem
 * driver keeps blobs at <root>/blobs/sha256/<2 hex>/<64 hex> and uploads at
 * <root>/uploads/<uuid>; the S3 driver (blob_s3.c) keeps the same names as keys of a bucket,
 * an upload as one object per piece it was sent in.  Blobs are read through readers (read at
 * any offset; the filesystem's gives its file descriptor up for sendfile) and written through
 * an upload's writer, so that a driver needs no files.
 *
 * Bytes become a blob in three phases around the transaction that records them, so that the
 * slow part (making bytes durable) never runs while the database's write lock is held:
 *
 *   hv_blob_stage_upload / hv_blob_stage_bytes   before the transaction: the bytes are made
 *                                                durable where no reader looks (slow)
 *   hv_blob_staged_place                         the transaction's last step: the staged
 *                                                bytes take the blob's name (cheap)
 *   hv_blob_staged_finish                        after COMMIT or ROLLBACK: committed, the
 *                                                placing is made durable; else the staged
 *                                                bytes are dropped
 *
 * A reader never sees a partial blob, and a crash at any point leaves committed metadata
 * naming stored bytes: a staged blob is durable before the transaction begins, and the
 * store places what is still staged when it opens.  That may store a blob whose transaction
 * never committed: harmless, since reads go through metadata, and a later push of the same
 * content adopts it.
 *
 * The phases fit object storage as well: an S3 driver stages by writing the object under a
 * temporary key, places with a server-side copy to the blob's key (or stages at that key and
 * places with nothing), and finishes by deleting the temporary key.
 */
#ifndef HV_BLOB_H
#define HV_BLOB_H

#include "base/base.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct hv_blob_store hv_blob_store;
typedef struct hv_blob_reader hv_blob_reader;
typedef struct hv_blob_writer hv_blob_writer;
typedef struct hv_blob_staged hv_blob_staged;

/* The version of struct hv_blob_driver that this header describes.  A driver says which one
 * it was written against, so that a change to the struct's meaning is caught when a store
 * is opened rather than by a crash (libgit2's git_odb_backend does the same). */
#define HV_BLOB_DRIVER_VERSION 4

typedef struct hv_blob_driver {
    int version; /* HV_BLOB_DRIVER_VERSION */
    const char *name;
    hv_err (*stat)(hv_blob_store *s, hv_ctx *ctx, const char *digest, uint64_t *size);
    /* readers: read at any offset; a driver may stream sequential reads, and start the
     * stream at open, from `from` */
    hv_err (*open)(hv_blob_reader **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                   uint64_t size, uint64_t from);
    hv_err (*read)(hv_blob_reader *r, hv_ctx *ctx, uint64_t offset, void *buf, size_t n,
                   size_t *got);
    int (*take_fd)(hv_blob_reader *r); /* optional: a file descriptor for sendfile */
    void (*reader_close)(hv_blob_reader *r);
    /* all of a blob of at most max bytes in one request, its size unknown beforehand: *out
     * malloc'd and NUL-terminated; HV_E_TOO_LARGE past max */
    hv_err (*get)(char **out, size_t *len, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                  size_t max);
    /* optional: a URL that serves the blob without us for expires seconds */
    hv_err (*presign)(char **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                      int64_t expires);
    hv_err (*remove)(hv_blob_store *s, hv_ctx *ctx, const char *digest);
    hv_err (*upload_open)(hv_blob_store *s, hv_ctx *ctx, const char *uuid, bool create,
                          hv_blob_writer **out);
    hv_err (*at)(hv_blob_writer *w, hv_ctx *ctx, uint64_t offset);
    hv_err (*write)(hv_blob_writer *w, hv_ctx *ctx, const void *data, size_t n);
    hv_err (*sync)(hv_blob_writer *w, hv_ctx *ctx);
    void (*close)(hv_blob_writer *w);
    hv_err (*stage_upload)(hv_blob_staged **out, hv_blob_store *s, hv_ctx *ctx, const char *uuid,
                           const char *digest);
    hv_err (*stage_bytes)(hv_blob_staged **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                          const void *data, size_t n);
    hv_err (*place)(hv_blob_staged *st, hv_ctx *ctx);
    hv_err (*finish)(hv_blob_staged *st, hv_ctx *ctx, bool committed);
    hv_err (*upload_remove)(hv_blob_store *s, hv_ctx *ctx, const char *uuid);
    hv_err (*upload_list)(hv_blob_store *s, hv_ctx *ctx,
                          void (*fn)(const char *uuid, int64_t mtime_ms, void *payload),
                          void *payload);
    void (*free)(hv_blob_store *s);
} hv_blob_driver;

/* Opens the filesystem store under root, creating its folders, and places the blobs that a
 * crash left staged (see above); no other process may be using the store meanwhile. */
hv_err hv_blob_fs_open(hv_blob_store **out, hv_ctx *ctx, const char *root);
/* The filesystem store under root, for reading only, beside a daemon that may be using it:
 * creates nothing and places nothing.  HV_E_IO when root holds no store. */
hv_err hv_blob_fs_open_readonly(hv_blob_store **out, hv_ctx *ctx, const char *root);

/* Where an S3 store is and how to sign for it.  Strings are copied. */
typedef struct hv_blob_s3_config {
    const char *bucket;
    const char *region;   /* "us-east-1" when NULL */
    const char *endpoint; /* "http(s)://host[:port]"; NULL: https://s3.<region>.amazonaws.com */
    const char *root;     /* key prefix of everything the store writes ("" or NULL: none) */
    bool path_style;      /* endpoint/bucket/key rather than bucket.endpoint/key */
    const char *access_key;
    const char *secret_key;
    uint64_t copy_max; /* largest object placed with one CopyObject (0: S3's 5 GiB); larger
                          ones are copied in parts of this size */
} hv_blob_s3_config;

/* Opens the store in an S3 bucket (blob_s3.c describes its layout), checking that the
 * bucket answers.  HV_E_CONFIG for a bad setting; HV_E_UNAVAILABLE when the bucket cannot
 * be reached or refuses the keys. */
hv_err hv_blob_s3_open(hv_blob_store **out, hv_ctx *ctx, const hv_blob_s3_config *cfg);
void hv_blob_close(hv_blob_store *s); /* accepts NULL */
/* The driver's name ("filesystem", "s3"). */
const char *hv_blob_driver_name(hv_blob_store *s);

/* The largest blob a store's cache keeps. */
#define HV_BLOB_CACHE_ITEM_MAX (4u << 20)

/*
 * Gives s a cache of small blobs (at most HV_BLOB_CACHE_ITEM_MAX bytes each) of at most
 * budget bytes in all (0, as a store starts: none), the least recently used evicted first,
 * shared by every thread: what hv_blob_open_cached and hv_blob_read_all read is kept there,
 * whole and with its digest checked, and every read of a blob the cache holds is served from
 * it.  Blobs are immutable, so a copy stays right; hv_blob_remove drops it.  Call it before
 * the store is used.
 */
void hv_blob_cache(hv_blob_store *s, size_t budget);

/* Size of a committed blob; HV_E_BLOB_UNKNOWN when absent. */
hv_err hv_blob_stat(hv_blob_store *s, hv_ctx *ctx, const char *digest, uint64_t *size);
/*
 * Opens committed blob digest, of size bytes as the metadata records it, for reading; the
 * first read will be at offset from (size when nothing will be read, as for a HEAD).  A blob
 * the cache holds is read from memory; otherwise an object store's reader sends its request
 * now, one ranged GET from `from` on, so that a failure comes before the caller starts an
 * answer, and a read costs no lookup of the size.
 * *out belongs to the caller, who closes it with hv_blob_reader_close.  HV_E_BLOB_UNKNOWN
 * when absent; HV_E_IO when the stored blob has another size (it is damaged);
 * HV_E_UNAVAILABLE.
 */
hv_err hv_blob_open(hv_blob_reader **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                    uint64_t size, uint64_t from);
/*
 * As hv_blob_open, for a blob that is read whole and often (a manifest): one of at most
 * HV_BLOB_CACHE_ITEM_MAX bytes that the cache does not hold is read whole in one request
 * (unless nothing will be read), checked against digest and size, kept in the cache when
 * there is room, and served from memory, so that its reader never gives out bytes that are
 * not the digest's.  HV_E_IO when the stored bytes are not the digest's; as hv_blob_open
 * otherwise.
 */
hv_err hv_blob_open_cached(hv_blob_reader **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                           uint64_t size, uint64_t from);
/* Reads up to n bytes at offset into buf; *got is 0 only at the end.  Sequential reads are
 * the fast path (an object store streams them from one request).  HV_E_IO,
 * HV_E_UNAVAILABLE. */
hv_err hv_blob_read(hv_blob_reader *r, hv_ctx *ctx, uint64_t offset, void *buf, size_t n,
                    size_t *got);
/* The reader's file descriptor, given up to the caller (who closes it) for sendfile; -1 when
 * the store has none, and the reader is then read with hv_blob_read. */
int hv_blob_reader_take_fd(hv_blob_reader *r);
void hv_blob_reader_close(hv_blob_reader *r); /* accepts NULL */
/* Reads all of blob digest into *out (malloc'd, NUL-terminated; the caller frees it): from
 * the cache, or in one request whose bytes are checked against digest and kept in the cache
 * when small.  HV_E_TOO_LARGE when it has more than max bytes; HV_E_IO when the stored bytes
 * are not the digest's; HV_E_BLOB_UNKNOWN, HV_E_UNAVAILABLE. */
hv_err hv_blob_read_all(char **out, size_t *len, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                        size_t max);
/* A URL at which a client fetches blob digest for expires seconds without us (an object
 * store's presigned GET), in *out (malloc'd); HV_E_UNSUPPORTED when the store has none. */
hv_err hv_blob_presign(char **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                       int64_t expires);
/* Deletes blob digest (and the cache's copy). */
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
 * crash, a refused chunk), are cut off.  HV_E_RANGE when the upload is shorter.  Every
 * writer is positioned before it writes: an upload that was placed as a blob but not
 * committed continues here in a copy, leaving the blob's bytes alone. */
hv_err hv_blob_writer_at(hv_blob_writer *w, hv_ctx *ctx, uint64_t offset);
hv_err hv_blob_write(hv_blob_writer *w, hv_ctx *ctx, const void *data, size_t n);
/* Makes the bytes written so far durable. */
hv_err hv_blob_writer_sync(hv_blob_writer *w, hv_ctx *ctx);
/* Closes the writer, giving up its hold on the upload, and frees it; accepts NULL. */
void hv_blob_writer_close(hv_blob_writer *w);
hv_err hv_blob_upload_remove(hv_blob_store *s, hv_ctx *ctx, const char *uuid);
/* Calls fn for every upload in the store with its last-modified time. */
hv_err hv_blob_upload_list(hv_blob_store *s, hv_ctx *ctx,
                           void (*fn)(const char *uuid, int64_t mtime_ms, void *payload),
                           void *payload);

/*
 * Stages upload uuid, complete and synced (hv_blob_writer_sync), as blob digest: its bytes
 * are made durable where no reader looks, and the upload is left as it is until a committed
 * finish.  The caller has verified that the bytes hash to digest (recovery may place them)
 * and holds the upload's writer, so that nothing writes to it until the handle is finished.
 * *out belongs to the caller, who ends it with hv_blob_staged_finish.  HV_E_IO.
 */
hv_err hv_blob_stage_upload(hv_blob_staged **out, hv_blob_store *s, hv_ctx *ctx, const char *uuid,
                            const char *digest);
/* Stages small content (a manifest) as blob digest, which the caller computed from it.  When
 * the stored copy has exactly these bytes, nothing is written and the handle places nothing;
 * a stored copy whose bytes differ (damaged) is replaced when the handle is placed.  *out as
 * above.  HV_E_IO. */
hv_err hv_blob_stage_bytes(hv_blob_staged **out, hv_blob_store *s, hv_ctx *ctx, const char *digest,
                           const void *data, size_t n);
/* Gives the staged bytes their blob's name, replacing a stored copy (which a caller that
 * verified the bytes may know nothing about): visible at once, durable only after a committed
 * finish.  Cheap, no sync: the last step of the transaction that records the blob.  HV_E_IO,
 * after which the transaction rolls back. */
hv_err hv_blob_staged_place(hv_blob_staged *st, hv_ctx *ctx);
/*
 * Ends st after its transaction and frees it; accepts NULL.  committed: makes the placing
 * durable (HV_E_IO when that fails: the metadata is committed but the blob may not survive a
 * crash) and removes the upload that was staged.  Not committed: drops the staged bytes,
 * leaves the upload as it was, never fails and leaves ctx alone (it holds the error that
 * rolled back); bytes already placed stay as a blob no metadata names.
 */
hv_err hv_blob_staged_finish(hv_blob_staged *st, hv_ctx *ctx, bool committed);

/*
 * Copies blob digest, of size bytes, from store src into store dst (havend migrate), unless
 * dst holds a blob of that name and size already (*copied is then false).  The bytes go
 * through an upload of dst, hashed on the way, and are staged, placed and finished as a
 * push's are, so dst never shows a partial or wrong blob.  HV_E_DIGEST_INVALID when src's
 * bytes are not size bytes of digest; as hv_blob_open and hv_blob_write otherwise.
 */
hv_err hv_blob_copy(bool *copied, hv_blob_store *dst, hv_blob_store *src, hv_ctx *ctx,
                    const char *digest, uint64_t size);

#endif
