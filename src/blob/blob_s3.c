/*
 * The S3 blob driver: blobs in a bucket of any S3-compatible object store, so that several
 * havend nodes share them.  Keys, under the configured root:
 *
 *   blobs/sha256/<2 hex>/<64 hex>          stored blobs
 *   uploads/<uuid>/started                 an upload exists (written when it is created)
 *   uploads/<uuid>/<20-digit offset>       the upload's bytes from that offset on
 *   staging/<uuid>/<64 hex>                staged blobs: whole, verified bytes awaiting a
 *                                          transaction
 *
 * Every writer has a "folder" of its own (uploads/<uuid>/, staging/<uuid>/) but for the
 * blobs', which only a deletion and a placing of two blobs sharing their first byte can
 * meet in: S3 has no folders, but servers that keep objects as files do, and some (s3rver,
 * the test server) remove a folder whose last object is deleted while another request is
 * creating a file in it.
 *
 * Uploads.  An object cannot be appended to, and S3's multipart uploads want parts of 5 MiB
 * (but the last) and are only readable once completed, so an upload is kept as a run of
 * objects, one per piece it was sent in: a writer buffers at most CHUNK_MAX bytes and stores
 * them as the object named by their offset when the buffer is full and when it is synced
 * (the end of a PATCH).  An acknowledged chunk is thus in the bucket, and any node can take
 * the next one; the SHA-256 state stays in the database, as with the filesystem.  Positioning
 * a writer (hv_blob_writer_at) lists the upload's objects, checks that they hold every byte
 * before the offset, and deletes what lies past it (a chunk that was never acknowledged);
 * an object that runs across the offset is cut by writing its first part again.
 *
 * One writer at a time is enforced inside this process (a set of uploads that have a
 * writer); S3 has no locks to keep two nodes out of one upload.  The registry refuses the
 * second of two such writers when it records the chunk (its row update is conditional on the
 * size it started from), but both may have stored objects at the same offset, the loser's
 * replacing the winner's.  So completion does not trust the hash state alone: staging reads
 * every byte of the upload back, hashes it and refuses (HV_E_DIGEST_INVALID) an upload whose
 * stored bytes are not the digest's.  That read is the price of verifying across nodes; it
 * comes with the assembly, which has to pass the bytes through here anyway.
 *
 * Staging assembles the upload's objects into staging/<uuid>/<hex>: a plain PUT below
 * PART_MIN, else a multipart upload of PART_SIZE parts (the objects are read back in ranges
 * and re-sent; UploadPartCopy would spare the upload bandwidth of objects that are parts
 * already, but the bytes are read for the hash anyway and not every S3-compatible server has
 * it).  Placing is a server-side CopyObject to the blob's key, the transaction's last step:
 * no byte passes through here, and S3 has made the copy durable when it answers, so a
 * committed finish only deletes the staged object and the upload.  Nothing committed ever
 * names a blob whose placing could be lost, and opening the store only deletes staged
 * objects that a crash left behind (older than STAGING_GRACE_MS, so that another node's
 * push in progress keeps its own).  CopyObject copies at most 5 GiB (copy_max, lower for a
 * server whose limit is lower): a larger blob is placed by a multipart upload at the blob's
 * key whose parts are copied from the staged object (UploadPartCopy), so no byte passes
 * through here either, and the blob appears whole when the upload completes, or never (it
 * is aborted on failure).  Staging itself never completes anything at the blob's key.
 *
 * Reads.  The caller knows a blob's size from the metadata, so opening a reader sends its
 * one request, a GET with Range from where the first read will be (none for a HEAD), and
 * checks that the object has that size; the reader goes on from that stream as long as
 * reads are sequential; a read elsewhere, or a transfer that broke, starts a new GET there
 * (once per read).  presign gives a client a URL to fetch the blob from S3 itself.
 *
 * Errors.  net retries what another try may cure (no connection, timeouts, 429, 5xx) with
 * backoff; what still fails is HV_E_UNAVAILABLE (503) with S3's code and message, and the
 * operation leaves nothing half-written behind a name that a reader uses.
 */
#include "blob/blob_int.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MAX        (8u << 20)   /* an upload's object holds at most this */
#define PART_MIN         (5u << 20)   /* S3's smallest part but the last */
#define PART_SIZE        (8u << 20)   /* the parts staging sends */
#define PARTS_MAX        10000        /* S3's most parts: blobs up to 78 GiB */
#define COPY_MAX         (5ull << 30) /* CopyObject's largest object */
#define STAGING_GRACE_MS (3600 * 1000)
#define KEY_LEN          1024
#define PREFIX_MAX       512
#define MARKER           "started"

typedef struct s3_store {
    hv_blob_store base;
    hv_blob__s3 c;
    uint64_t copy_max; /* the largest object placed with one CopyObject */
    pthread_mutex_t lock;
    char **held; /* uploads that have a writer in this process */
    size_t n_held, cap_held;
} s3_store;

typedef struct s3_reader {
    hv_blob_reader base;
    char key[KEY_LEN];
    const char *digest;
    char digest_buf[HV_DIGEST_MAX];
    uint64_t size, pos;
    hv_net_stream *stream;
} s3_reader;

typedef struct s3_writer {
    hv_blob_writer base;
    char uuid[64];
    uint64_t pos; /* where the buffered bytes go */
    bool fresh;   /* created by this writer: nothing stored yet */
    char *buf;
    size_t len, cap;
} s3_writer;

typedef struct s3_staged {
    hv_blob_staged base;
    bool noop;   /* the stored copy has these bytes already: nothing is staged */
    bool upload; /* staged from upload uuid, which a committed finish removes */
    uint64_t size;
    char uuid[64];
    char key[KEY_LEN]; /* the staged object */
    char digest[HV_DIGEST_MAX];
} s3_staged;

#define STORE(x) ((s3_store *)(x))

/* ---------------------------------------------------------------- keys */

static void blob_key(char out[KEY_LEN], s3_store *s, const char *digest) {
    snprintf(out, KEY_LEN, "%sblobs/sha256/%.2s/%s", s->c.prefix, digest + 7, digest + 7);
}

static void upload_prefix(char out[KEY_LEN], s3_store *s, const char *uuid) {
    snprintf(out, KEY_LEN, "%suploads/%s/", s->c.prefix, uuid);
}

static void chunk_key(char out[KEY_LEN], s3_store *s, const char *uuid, uint64_t offset) {
    snprintf(out, KEY_LEN, "%suploads/%s/%020llu", s->c.prefix, uuid, (unsigned long long)offset);
}

static void marker_key(char out[KEY_LEN], s3_store *s, const char *uuid) {
    snprintf(out, KEY_LEN, "%suploads/%s/" MARKER, s->c.prefix, uuid);
}

static void staged_key(char out[KEY_LEN], s3_store *s, const char *digest, const char *uuid) {
    snprintf(out, KEY_LEN, "%sstaging/%s/%s", s->c.prefix, uuid, digest + 7);
}

/* ---------------------------------------------------------------- calls */

/* Sends call, whose answer's body is not needed.  A 2xx is HV_OK, and so is a 404 when
 * *status is asked for (the caller decides); anything else is HV_E_UNAVAILABLE saying what
 * was being done. */
static hv_err simple(s3_store *s, hv_ctx *ctx, const hv_blob__s3_call *call, const char *what,
                     long *status) {
    hv_net_response resp;
    hv_err rc = hv_blob__s3_send(&resp, &s->c, ctx, call);

    if (rc == HV_OK && status)
        *status = resp.status;
    if (rc == HV_OK && !(resp.status >= 200 && resp.status < 300) &&
        !(status && resp.status == 404))
        rc = hv_blob__s3_fail(ctx, &resp, what);
    hv_net_response_free(&resp);
    return rc;
}

/* An answer to a copy or a completion: S3 may send a 200 whose body is an error, when it fails
 * after the answer began. */
static bool copy_failed(const hv_net_response *resp) {
    return resp->status != 200 || (resp->body.data && strstr(resp->body.data, "<Error>"));
}

static hv_err put_object(s3_store *s, hv_ctx *ctx, const char *key, const void *data, size_t n,
                         const char *what) {
    hv_blob__s3_call call = {.method = "PUT", .key = key, .body = data, .body_len = n};

    return simple(s, ctx, &call, what, NULL);
}

static hv_err delete_object(s3_store *s, hv_ctx *ctx, const char *key) {
    hv_blob__s3_call call = {.method = "DELETE", .key = key};
    long status;

    return simple(s, ctx, &call, "delete an object", &status); /* gone already is fine */
}

/* Size of object key by HEAD; *found false when there is none. */
static hv_err head_object(s3_store *s, hv_ctx *ctx, const char *key, bool *found, uint64_t *size) {
    hv_blob__s3_call call = {.method = "HEAD", .key = key};
    hv_net_response resp;
    char length[32] = "0";
    hv_err rc = hv_blob__s3_send(&resp, &s->c, ctx, &call);

    if (rc == HV_OK && resp.status != 200 && resp.status != 404)
        rc = hv_blob__s3_fail(ctx, &resp, "look an object up");
    if (rc == HV_OK) {
        *found = resp.status == 200;
        hv_net_response_header(&resp, "Content-Length", length, sizeof(length));
        if (size)
            *size = strtoull(length, NULL, 10);
    }
    hv_net_response_free(&resp);
    return rc;
}

/* Bytes [from, from + n) of object key into buf, exactly. */
struct fill {
    char *buf;
    size_t len, want;
};

static bool fill_sink(const void *data, size_t n, void *payload) {
    struct fill *f = payload;

    if (n > f->want - f->len)
        return false;
    memcpy(f->buf + f->len, data, n);
    f->len += n;
    return true;
}

static hv_err get_range(s3_store *s, hv_ctx *ctx, const char *key, uint64_t from, char *buf,
                        size_t n) {
    struct fill f = {.buf = buf, .want = n};
    hv_blob__s3_call call = {.method = "GET", .key = key, .sink = fill_sink, .payload = &f};
    char range[64];
    hv_net_response resp;
    hv_err rc;

    if (n == 0)
        return HV_OK;
    snprintf(range, sizeof(range), "Range: bytes=%llu-%llu", (unsigned long long)from,
             (unsigned long long)(from + n - 1));
    call.headers[call.n_headers++] = range;
    rc = hv_blob__s3_send(&resp, &s->c, ctx, &call);
    if (rc == HV_E_IO)
        rc = HV_FAIL(ctx, HV_E_UNAVAILABLE,
                     "the object storage sent more of %s than was asked for; retry later", key);
    else if (rc == HV_OK && resp.status != 206 && !(resp.status == 200 && from == 0))
        rc = hv_blob__s3_fail(ctx, &resp, "read an upload");
    else if (rc == HV_OK && f.len != n)
        rc = HV_FAIL(ctx, HV_E_UNAVAILABLE,
                     "the object storage sent %zu of the %zu bytes asked of %s; retry later", f.len,
                     n, key);
    hv_net_response_free(&resp);
    return rc;
}

/* ---------------------------------------------------------------- blobs */

static hv_err s3_stat(hv_blob_store *bs, hv_ctx *ctx, const char *digest, uint64_t *size) {
    char key[KEY_LEN];
    bool found = false;
    hv_err rc;

    blob_key(key, STORE(bs), digest);
    rc = head_object(STORE(bs), ctx, key, &found, size);
    if (rc == HV_OK && !found)
        return HV_FAIL(ctx, HV_E_BLOB_UNKNOWN, "blob %s is not stored", digest);
    return rc;
}

/* The object's whole size from a GET's answer (Content-Range of a 206, Content-Length of a
 * 200); false when it says none. */
static bool answered_size(const hv_net_response *resp, uint64_t *size) {
    char value[128];
    const char *slash;

    if (resp->status == 200 &&
        hv_net_response_header(resp, "Content-Length", value, sizeof(value))) {
        *size = strtoull(value, NULL, 10);
        return true;
    }
    if (!hv_net_response_header(resp, "Content-Range", value, sizeof(value)))
        return false;
    slash = strchr(value, '/');
    if (!slash || slash[1] < '0' || slash[1] > '9')
        return false;
    *size = strtoull(slash + 1, NULL, 10);
    return true;
}

/* Starts a GET of the reader's object from offset to its end, and checks that the object
 * has the size the metadata gave. */
static hv_err reader_start(s3_reader *r, hv_ctx *ctx, uint64_t offset) {
    hv_blob__s3_call call = {.method = "GET", .key = r->key};
    char range[64];
    hv_net_response resp;
    uint64_t stored = r->size;
    hv_err rc;

    hv_net_stream_close(r->stream);
    r->stream = NULL;
    snprintf(range, sizeof(range), "Range: bytes=%llu-", (unsigned long long)offset);
    call.headers[call.n_headers++] = range;
    rc = hv_blob__s3_stream(&r->stream, &resp, &STORE(r->base.store)->c, ctx, &call);
    if (rc == HV_OK && resp.status == 404)
        rc = HV_FAIL(ctx, HV_E_BLOB_UNKNOWN, "blob %s is not stored", r->digest);
    else if (rc == HV_OK && resp.status != 206 && !(resp.status == 200 && offset == 0))
        rc = hv_blob__s3_fail(ctx, &resp, "read a blob");
    else if (rc == HV_OK && answered_size(&resp, &stored) && stored != r->size)
        rc = HV_FAIL(ctx, HV_E_IO,
                     "storage error: blob %s has %llu bytes in the object storage, not %llu",
                     r->digest, (unsigned long long)stored, (unsigned long long)r->size);
    hv_net_response_free(&resp);
    if (rc) {
        hv_net_stream_close(r->stream);
        r->stream = NULL;
        return rc;
    }
    r->pos = offset;
    return HV_OK;
}

static hv_err s3_read(hv_blob_reader *br, hv_ctx *ctx, uint64_t offset, void *buf, size_t n,
                      size_t *got) {
    s3_reader *r = (s3_reader *)br;
    hv_err rc = HV_OK;

    *got = 0;
    if (offset >= r->size || n == 0)
        return HV_OK;
    for (int tries = 0; tries < 2; tries++) {
        if (!r->stream || r->pos != offset) {
            rc = reader_start(r, ctx, offset);
            if (rc)
                return rc;
        }
        rc = hv_net_stream_read(r->stream, ctx, buf, n, got);
        if (rc == HV_OK && *got > 0) {
            r->pos += *got;
            return HV_OK;
        }
        /* the transfer broke, or ended before the blob's size: start again here, once */
        hv_net_stream_close(r->stream);
        r->stream = NULL;
        if (tries == 0) {
            hv_log(HV_LOG_WARN, "reading blob %s at %llu: %s; trying again", r->digest,
                   (unsigned long long)offset, rc ? ctx->err.message : "it ended early");
            hv_error_clear(ctx);
        }
    }
    if (rc == HV_OK)
        rc = HV_FAIL(ctx, HV_E_UNAVAILABLE,
                     "the object storage ended blob %s at byte %llu of %llu; retry later",
                     r->digest, (unsigned long long)offset, (unsigned long long)r->size);
    return rc;
}

static void s3_reader_close(hv_blob_reader *br);

static hv_err s3_open(hv_blob_reader **out, hv_blob_store *bs, hv_ctx *ctx, const char *digest,
                      uint64_t size, uint64_t from) {
    s3_reader *r = hv_calloc(1, sizeof(*r));
    hv_err rc = HV_OK;

    r->base.store = bs;
    blob_key(r->key, STORE(bs), digest);
    snprintf(r->digest_buf, sizeof(r->digest_buf), "%s", digest);
    r->digest = r->digest_buf;
    r->size = size;
    if (from < size) /* the one request of a read; a HEAD (nothing to read) sends none */
        rc = reader_start(r, ctx, from);
    if (rc) {
        s3_reader_close(&r->base);
        return rc;
    }
    *out = &r->base;
    return HV_OK;
}

static void s3_reader_close(hv_blob_reader *br) {
    s3_reader *r = (s3_reader *)br;

    hv_net_stream_close(r->stream);
    free(r);
}

static hv_err s3_get(char **out, size_t *len, hv_blob_store *bs, hv_ctx *ctx, const char *digest,
                     size_t max) {
    hv_blob__s3_call call = {.method = "GET", .max_body = max ? max : 1};
    hv_net_response resp;
    char key[KEY_LEN];
    hv_err rc;

    blob_key(key, STORE(bs), digest);
    call.key = key;
    rc = hv_blob__s3_send(&resp, &STORE(bs)->c, ctx, &call);
    if (rc == HV_OK && resp.status == 404)
        rc = HV_FAIL(ctx, HV_E_BLOB_UNKNOWN, "blob %s is not stored", digest);
    else if (rc == HV_OK && resp.status != 200)
        rc = hv_blob__s3_fail(ctx, &resp, "read a blob");
    else if (rc == HV_OK && resp.body.len > max)
        rc = HV_FAIL(ctx, HV_E_TOO_LARGE, "blob %s has more than %zu bytes", digest, max);
    if (rc == HV_OK) {
        *len = resp.body.len;
        *out = resp.body.data ? resp.body.data : hv_strdup("");
        resp.body.data = NULL;
    }
    hv_net_response_free(&resp);
    return rc;
}

static hv_err s3_presign(char **out, hv_blob_store *bs, hv_ctx *ctx, const char *digest,
                         int64_t expires) {
    hv_arena *a = hv_arena_new();
    char key[KEY_LEN];

    (void)ctx;
    blob_key(key, STORE(bs), digest);
    *out = hv_strdup(hv_blob__s3_presign(&STORE(bs)->c, a, key, expires));
    hv_arena_free(a);
    return HV_OK;
}

static hv_err s3_remove(hv_blob_store *bs, hv_ctx *ctx, const char *digest) {
    char key[KEY_LEN];

    blob_key(key, STORE(bs), digest);
    return delete_object(STORE(bs), ctx, key);
}

/* ---------------------------------------------------------------- uploads */

/* Takes upload uuid for a writer of this process; false when another has it. */
static bool hold(s3_store *s, const char *uuid) {
    bool ok = true;

    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_held && ok; i++)
        ok = strcmp(s->held[i], uuid) != 0;
    if (ok) {
        if (s->n_held == s->cap_held) {
            s->cap_held = s->cap_held ? 2 * s->cap_held : 16;
            s->held = hv_realloc(s->held, s->cap_held * sizeof(*s->held));
        }
        s->held[s->n_held++] = hv_strdup(uuid);
    }
    pthread_mutex_unlock(&s->lock);
    return ok;
}

static void release(s3_store *s, const char *uuid) {
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->n_held; i++) {
        if (strcmp(s->held[i], uuid) == 0) {
            free(s->held[i]);
            s->held[i] = s->held[--s->n_held];
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
}

static hv_err s3_upload_open(hv_blob_store *bs, hv_ctx *ctx, const char *uuid, bool create,
                             hv_blob_writer **out) {
    s3_store *s = STORE(bs);
    char key[KEY_LEN];
    bool found = true;
    s3_writer *w;
    hv_err rc;

    assert(strlen(uuid) < sizeof(w->uuid) && !strchr(uuid, '/'));
    if (!hold(s, uuid))
        return HV_FAIL(ctx, HV_E_RANGE,
                       "upload %s is taking a chunk from another request; once that is "
                       "answered, ask where the upload ends (GET) and send the chunk that "
                       "starts there",
                       uuid);
    marker_key(key, s, uuid);
    if (create)
        rc = put_object(s, ctx, key, "", 0, "start an upload");
    else
        rc = head_object(s, ctx, key, &found, NULL);
    if (rc == HV_OK && !found)
        rc = HV_FAIL(ctx, HV_E_BLOB_UPLOAD_UNKNOWN, "upload %s is not known", uuid);
    if (rc) {
        release(s, uuid);
        return rc;
    }
    w = hv_calloc(1, sizeof(*w));
    w->base.store = bs;
    w->fresh = create;
    snprintf(w->uuid, sizeof(w->uuid), "%s", uuid);
    *out = &w->base;
    return HV_OK;
}

/* The objects of an upload that hold its bytes, in offset order. */
typedef struct chunk {
    uint64_t start, size;
} chunk;

typedef struct chunks {
    size_t prefix_len;
    chunk *v;
    size_t n, cap;
} chunks;

static void collect_chunk(const char *key, uint64_t size, int64_t mtime_ms, void *payload) {
    chunks *c = payload;
    const char *name = key + c->prefix_len;
    char *end;
    unsigned long long start = strtoull(name, &end, 10);

    (void)mtime_ms;
    if (strlen(name) != 20 || *end) /* the marker */
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 16;
        c->v = hv_realloc(c->v, c->cap * sizeof(*c->v));
    }
    c->v[c->n].start = start;
    c->v[c->n].size = size;
    c->n++;
}

static hv_err list_chunks(chunks *out, s3_store *s, hv_ctx *ctx, const char *uuid) {
    char prefix[KEY_LEN];
    hv_err rc;

    upload_prefix(prefix, s, uuid);
    memset(out, 0, sizeof(*out));
    out->prefix_len = strlen(prefix);
    rc = hv_blob__s3_list(&s->c, ctx, prefix, collect_chunk, out);
    if (rc) {
        free(out->v);
        out->v = NULL;
    }
    return rc;
}

/* How many bytes from 0 on the chunks hold without a gap. */
static uint64_t covered(const chunks *c) {
    uint64_t end = 0;

    for (size_t i = 0; i < c->n && c->v[i].start == end; i++)
        end += c->v[i].size;
    return end;
}

static hv_err s3_at(hv_blob_writer *bw, hv_ctx *ctx, uint64_t offset) {
    s3_writer *w = (s3_writer *)bw;
    s3_store *s = STORE(bw->store);
    chunks c;
    char key[KEY_LEN];
    char *head = NULL;
    hv_err rc;

    w->len = 0;
    if (w->fresh && offset == 0) {
        w->pos = 0;
        return HV_OK;
    }
    rc = list_chunks(&c, s, ctx, w->uuid);
    if (rc)
        return rc;
    if (covered(&c) < offset) {
        rc = HV_FAIL(ctx, HV_E_RANGE,
                     "the upload holds %llu bytes but %llu were acknowledged; start it again",
                     (unsigned long long)covered(&c), (unsigned long long)offset);
        goto out;
    }
    for (size_t i = 0; i < c.n && rc == HV_OK; i++) {
        chunk *k = &c.v[i];
        chunk_key(key, s, w->uuid, k->start);
        if (k->start >= offset) { /* never acknowledged */
            rc = delete_object(s, ctx, key);
        } else if (k->start + k->size > offset) { /* runs across the offset: keep its head */
            size_t keep = (size_t)(offset - k->start);
            head = hv_malloc(keep ? keep : 1);
            rc = get_range(s, ctx, key, 0, head, keep);
            if (rc == HV_OK)
                rc = put_object(s, ctx, key, head, keep, "cut an upload back");
            free(head);
            head = NULL;
        }
    }
    w->pos = offset;
out:
    free(c.v);
    return rc;
}

/* Stores the buffered bytes as the object at their offset. */
static hv_err flush(s3_writer *w, hv_ctx *ctx) {
    char key[KEY_LEN];
    hv_err rc;

    if (w->len == 0)
        return HV_OK;
    chunk_key(key, STORE(w->base.store), w->uuid, w->pos);
    rc = put_object(STORE(w->base.store), ctx, key, w->buf, w->len, "store a chunk of an upload");
    if (rc)
        return rc;
    w->pos += w->len;
    w->len = 0;
    w->fresh = false;
    return HV_OK;
}

static hv_err s3_write(hv_blob_writer *bw, hv_ctx *ctx, const void *data, size_t n) {
    s3_writer *w = (s3_writer *)bw;
    const char *p = data;

    while (n > 0) {
        size_t take = CHUNK_MAX - w->len < n ? CHUNK_MAX - w->len : n;
        if (w->len + take > w->cap) {
            size_t cap = w->cap ? w->cap : 64 << 10;
            while (cap < w->len + take)
                cap *= 2;
            w->cap = cap < CHUNK_MAX ? cap : CHUNK_MAX;
            w->buf = hv_realloc(w->buf, w->cap);
        }
        memcpy(w->buf + w->len, p, take);
        w->len += take;
        p += take;
        n -= take;
        if (w->len == CHUNK_MAX) {
            hv_err rc = flush(w, ctx);
            if (rc)
                return rc;
        }
    }
    return HV_OK;
}

static hv_err s3_sync(hv_blob_writer *bw, hv_ctx *ctx) {
    return flush((s3_writer *)bw, ctx);
}

static void s3_close(hv_blob_writer *bw) {
    s3_writer *w = (s3_writer *)bw;

    release(STORE(bw->store), w->uuid);
    free(w->buf);
    free(w);
}

struct removal {
    s3_store *s;
    hv_ctx *ctx;
    hv_err rc;
};

static void remove_key(const char *key, uint64_t size, int64_t mtime_ms, void *payload) {
    struct removal *r = payload;
    hv_err rc;

    (void)size;
    (void)mtime_ms;
    rc = delete_object(r->s, r->ctx, key);
    if (rc && !r->rc)
        r->rc = rc;
}

static hv_err s3_upload_remove(hv_blob_store *bs, hv_ctx *ctx, const char *uuid) {
    struct removal r = {STORE(bs), ctx, HV_OK};
    char prefix[KEY_LEN];
    hv_err rc;

    upload_prefix(prefix, STORE(bs), uuid);
    rc = hv_blob__s3_list(&STORE(bs)->c, ctx, prefix, remove_key, &r);
    return rc ? rc : r.rc;
}

/* Uploads from a listing of uploads/: one call per uuid, with its newest object's time. */
struct upload_walk {
    size_t prefix_len;
    char uuid[64];
    int64_t mtime_ms;
    void (*fn)(const char *uuid, int64_t mtime_ms, void *payload);
    void *payload;
};

static void walk_upload(const char *key, uint64_t size, int64_t mtime_ms, void *payload) {
    struct upload_walk *u = payload;
    const char *name = key + u->prefix_len;
    size_t len = strcspn(name, "/");

    (void)size;
    if (len == 0 || len >= sizeof(u->uuid))
        return;
    if (strlen(u->uuid) != len || strncmp(u->uuid, name, len) != 0) {
        if (u->uuid[0])
            u->fn(u->uuid, u->mtime_ms, u->payload);
        snprintf(u->uuid, sizeof(u->uuid), "%.*s", (int)len, name);
        u->mtime_ms = 0;
    }
    if (mtime_ms > u->mtime_ms)
        u->mtime_ms = mtime_ms;
}

static hv_err s3_upload_list(hv_blob_store *bs, hv_ctx *ctx,
                             void (*fn)(const char *uuid, int64_t mtime_ms, void *payload),
                             void *payload) {
    s3_store *s = STORE(bs);
    struct upload_walk u = {.fn = fn, .payload = payload};
    char prefix[KEY_LEN];
    hv_err rc;

    snprintf(prefix, sizeof(prefix), "%suploads/", s->c.prefix);
    u.prefix_len = strlen(prefix);
    rc = hv_blob__s3_list(&s->c, ctx, prefix, walk_upload, &u);
    if (rc == HV_OK && u.uuid[0])
        fn(u.uuid, u.mtime_ms, payload);
    return rc;
}

/* ---------------------------------------------------------------- staging */

static s3_staged *staged_new(s3_store *s, const char *digest, const char *uuid) {
    s3_staged *st = hv_calloc(1, sizeof(*st));

    assert(strlen(uuid) < sizeof(st->uuid) && strlen(digest) < sizeof(st->digest));
    st->base.store = &s->base;
    snprintf(st->uuid, sizeof(st->uuid), "%s", uuid);
    snprintf(st->digest, sizeof(st->digest), "%s", digest);
    staged_key(st->key, s, digest, uuid);
    return st;
}

/* An upload's bytes on their way into the staged object, hashed as they pass. */
typedef struct assembly {
    s3_store *s;
    const char *key;
    hv_sha256 hash;
    char *part;
    size_t len;
    char upload_id[512];
    char (*etags)[128];
    int parts;
} assembly;

static hv_err multipart_start(assembly *a, hv_ctx *ctx) {
    hv_blob__s3_call call = {
        .method = "POST", .key = a->key, .query = "uploads=", .max_body = 64 << 10};
    hv_net_response resp;
    hv_err rc = hv_blob__s3_send(&resp, &a->s->c, ctx, &call);

    if (rc == HV_OK &&
        (resp.status != 200 ||
         !hv_blob__xml_value(resp.body.data, NULL, "UploadId", a->upload_id, sizeof(a->upload_id))))
        rc = hv_blob__s3_fail(ctx, &resp, "start a multipart upload");
    hv_net_response_free(&resp);
    return rc;
}

/* Sends the buffered bytes as the next part. */
static hv_err multipart_part(assembly *a, hv_ctx *ctx) {
    hv_arena *ar = hv_arena_new();
    hv_blob__s3_call call = {.method = "PUT", .key = a->key, .body = a->part, .body_len = a->len};
    hv_net_response resp;
    hv_err rc;

    if (a->parts == PARTS_MAX) {
        hv_arena_free(ar);
        return HV_FAIL(ctx, HV_E_TOO_LARGE,
                       "a blob in object storage has at most %d parts of %u "
                       "bytes",
                       PARTS_MAX, PART_SIZE);
    }
    call.query = hv_arena_printf(ar, "partNumber=%d&uploadId=%s", a->parts + 1,
                                 hv_net_uri_encode(ar, a->upload_id, true));
    rc = hv_blob__s3_send(&resp, &a->s->c, ctx, &call);
    if (rc == HV_OK && resp.status != 200)
        rc = hv_blob__s3_fail(ctx, &resp, "store a part of a blob");
    if (rc == HV_OK) {
        a->etags = hv_realloc(a->etags, (size_t)(a->parts + 1) * sizeof(*a->etags));
        if (!hv_net_response_header(&resp, "ETag", a->etags[a->parts], sizeof(*a->etags)))
            rc = HV_FAIL(ctx, HV_E_UNAVAILABLE,
                         "the object storage stored a part without an ETag; retry later");
        else
            a->parts++;
    }
    hv_net_response_free(&resp);
    hv_arena_free(ar);
    a->len = 0;
    return rc;
}

static hv_err multipart_complete(assembly *a, hv_ctx *ctx) {
    hv_arena *ar = hv_arena_new();
    hv_blob__s3_call call = {.method = "POST", .key = a->key, .max_body = 64 << 10};
    hv_net_response resp;
    hv_buf body;
    hv_err rc;

    hv_buf_init(&body, (size_t)PARTS_MAX * 256);
    rc = hv_buf_appendf(&body, "<CompleteMultipartUpload>");
    for (int i = 0; i < a->parts && rc == HV_OK; i++)
        rc = hv_buf_appendf(&body, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1,
                            a->etags[i]);
    if (rc == HV_OK)
        rc = hv_buf_appendf(&body, "</CompleteMultipartUpload>");
    assert(rc == HV_OK);
    call.query = hv_arena_printf(ar, "uploadId=%s", hv_net_uri_encode(ar, a->upload_id, true));
    call.body = body.data;
    call.body_len = body.len;
    rc = hv_blob__s3_send(&resp, &a->s->c, ctx, &call);
    if (rc == HV_OK && copy_failed(&resp))
        rc = hv_blob__s3_fail(ctx, &resp, "complete a multipart upload");
    hv_net_response_free(&resp);
    hv_buf_free(&body);
    hv_arena_free(ar);
    return rc;
}

static void multipart_abort(assembly *a) {
    hv_arena *ar = hv_arena_new();
    hv_blob__s3_call call = {.method = "DELETE", .key = a->key};
    hv_ctx scratch = {0};

    call.query = hv_arena_printf(ar, "uploadId=%s", hv_net_uri_encode(ar, a->upload_id, true));
    if (simple(a->s, &scratch, &call, "abort a multipart upload", NULL))
        hv_log(HV_LOG_WARN, "%s", scratch.err.message);
    hv_arena_free(ar);
}

/* Reads the upload's chunks in order into the part buffer, hashing them, sending a part
 * whenever it is full (when multipart) . */
static hv_err assemble(assembly *a, hv_ctx *ctx, const char *uuid, const chunks *c, size_t cap,
                       bool multipart) {
    char key[KEY_LEN];

    for (size_t i = 0; i < c->n; i++) {
        uint64_t at = 0;
        chunk_key(key, a->s, uuid, c->v[i].start);
        while (at < c->v[i].size) {
            size_t take = cap - a->len;
            hv_err rc;
            if (take > c->v[i].size - at)
                take = (size_t)(c->v[i].size - at);
            rc = get_range(a->s, ctx, key, at, a->part + a->len, take);
            if (rc)
                return rc;
            hv_sha256_update(&a->hash, a->part + a->len, take);
            a->len += take;
            at += take;
            if (multipart && a->len == cap) {
                rc = multipart_part(a, ctx);
                if (rc)
                    return rc;
            }
        }
    }
    return HV_OK;
}

static hv_err s3_stage_upload(hv_blob_staged **out, hv_blob_store *bs, hv_ctx *ctx,
                              const char *uuid, const char *digest) {
    s3_store *s = STORE(bs);
    s3_staged *st = staged_new(s, digest, uuid);
    assembly a = {.s = s, .key = st->key};
    uint64_t total;
    bool multipart;
    char got[HV_DIGEST_MAX];
    chunks c;
    hv_err rc;

    rc = list_chunks(&c, s, ctx, uuid);
    if (rc) {
        free(st);
        return rc;
    }
    total = covered(&c);
    for (size_t i = 0; i < c.n; i++) { /* only the run from 0 (normally all of them) */
        if (c.v[i].start >= total) {
            c.n = i;
            break;
        }
    }
    multipart = total >= PART_MIN;
    hv_sha256_init(&a.hash);
    a.part = hv_malloc(multipart ? PART_SIZE : (size_t)total + 1);
    if (multipart)
        rc = multipart_start(&a, ctx);
    if (rc == HV_OK)
        rc = assemble(&a, ctx, uuid, &c, multipart ? PART_SIZE : (size_t)total, multipart);
    if (rc == HV_OK) {
        hv_sha256_final(&a.hash, got);
        if (strcmp(got, digest) != 0)
            rc = HV_FAIL(ctx, HV_E_DIGEST_INVALID,
                         "the stored bytes of upload %s have digest %s, not %s (two requests "
                         "wrote to it at once?); start the upload again",
                         uuid, got, digest);
    }
    if (rc == HV_OK && multipart && (a.len > 0 || a.parts == 0))
        rc = multipart_part(&a, ctx);
    if (rc == HV_OK)
        rc = multipart ? multipart_complete(&a, ctx)
                       : put_object(s, ctx, st->key, a.part, a.len, "stage a blob");
    if (rc && multipart && a.upload_id[0])
        multipart_abort(&a);
    free(a.part);
    free(a.etags);
    free(c.v);
    if (rc) {
        free(st);
        return rc;
    }
    st->upload = true;
    st->size = total;
    *out = &st->base;
    return HV_OK;
}

static hv_err s3_stage_bytes(hv_blob_staged **out, hv_blob_store *bs, hv_ctx *ctx,
                             const char *digest, const void *data, size_t n) {
    s3_store *s = STORE(bs);
    hv_blob__s3_call call = {.method = "GET", .max_body = n ? n : 1};
    hv_net_response resp;
    char key[KEY_LEN], uuid[37];
    s3_staged *st;
    hv_err rc;

    /* a stored copy is only trusted once its bytes are compared (see blob_fs.c) */
    blob_key(key, s, digest);
    call.key = key;
    rc = hv_blob__s3_send(&resp, &s->c, ctx, &call);
    if (rc == HV_E_TOO_LARGE) { /* longer: not these bytes */
        hv_error_clear(ctx);
        rc = HV_OK;
    } else if (rc == HV_OK && resp.status == 200 && resp.body.len == n &&
               (n == 0 || memcmp(resp.body.data, data, n) == 0)) {
        hv_net_response_free(&resp);
        st = staged_new(s, digest, "");
        st->noop = true;
        *out = &st->base;
        return HV_OK;
    } else if (rc == HV_OK && resp.status != 200 && resp.status != 404) {
        rc = hv_blob__s3_fail(ctx, &resp, "read a stored manifest");
    }
    hv_net_response_free(&resp);
    if (rc)
        return rc;
    hv_uuid(uuid);
    st = staged_new(s, digest, uuid);
    rc = put_object(s, ctx, st->key, data, n, "stage a blob");
    if (rc) {
        free(st);
        return rc;
    }
    st->size = n;
    *out = &st->base;
    return HV_OK;
}

/* Copies bytes [first, last] of the staged object as the next part of a's upload. */
static hv_err multipart_copy_part(assembly *a, hv_ctx *ctx, const char *source, uint64_t first,
                                  uint64_t last) {
    hv_arena *ar = hv_arena_new();
    hv_blob__s3_call call = {.method = "PUT", .key = a->key, .max_body = 64 << 10};
    hv_net_response resp;
    hv_err rc;

    call.query = hv_arena_printf(ar, "partNumber=%d&uploadId=%s", a->parts + 1,
                                 hv_net_uri_encode(ar, a->upload_id, true));
    call.headers[call.n_headers++] = source;
    call.headers[call.n_headers++] =
        hv_arena_printf(ar, "x-amz-copy-source-range: bytes=%llu-%llu", (unsigned long long)first,
                        (unsigned long long)last);
    rc = hv_blob__s3_send(&resp, &a->s->c, ctx, &call);
    if (rc == HV_OK && copy_failed(&resp))
        rc = hv_blob__s3_fail(ctx, &resp, "copy a part of a blob");
    if (rc == HV_OK) {
        a->etags = hv_realloc(a->etags, (size_t)(a->parts + 1) * sizeof(*a->etags));
        if (!hv_blob__xml_value(resp.body.data, NULL, "ETag", a->etags[a->parts],
                                sizeof(*a->etags)))
            rc = HV_FAIL(ctx, HV_E_UNAVAILABLE,
                         "the object storage copied a part without an ETag; retry later");
        else
            a->parts++;
    }
    hv_net_response_free(&resp);
    hv_arena_free(ar);
    return rc;
}

/* Places a staged object larger than one CopyObject takes: a multipart upload at the blob's
 * key whose parts are copied from it (UploadPartCopy), completed (the blob appears whole) or
 * aborted (it never appears). */
static hv_err place_in_parts(s3_staged *st, hv_ctx *ctx, const char *key, const char *source) {
    s3_store *s = STORE(st->base.store);
    uint64_t part = s->copy_max;
    assembly a = {.s = s, .key = key};
    hv_err rc;

    if (st->size / part >= PARTS_MAX) /* parts larger than copy_max would be refused */
        return HV_FAIL(ctx, HV_E_TOO_LARGE,
                       "blob %s has %llu bytes, more than %d copies of %llu bytes; raise "
                       "s3_copy_max",
                       st->digest, (unsigned long long)st->size, PARTS_MAX,
                       (unsigned long long)part);
    rc = multipart_start(&a, ctx);
    for (uint64_t at = 0; rc == HV_OK && at < st->size; at += part) {
        uint64_t last = at + part < st->size ? at + part - 1 : st->size - 1;
        rc = multipart_copy_part(&a, ctx, source, at, last);
    }
    if (rc == HV_OK)
        rc = multipart_complete(&a, ctx);
    if (rc && a.upload_id[0])
        multipart_abort(&a);
    free(a.etags);
    return rc;
}

static hv_err s3_place(hv_blob_staged *bst, hv_ctx *ctx) {
    s3_staged *st = (s3_staged *)bst;
    s3_store *s = STORE(bst->store);
    hv_arena *a;
    hv_blob__s3_call call = {.method = "PUT", .max_body = 64 << 10};
    hv_net_response resp;
    char key[KEY_LEN];
    const char *source;
    hv_err rc;

    if (st->noop)
        return HV_OK;
    a = hv_arena_new();
    blob_key(key, s, st->digest);
    source = hv_arena_printf(a, "x-amz-copy-source: /%s/%s", s->c.bucket,
                             hv_net_uri_encode(a, st->key, false));
    if (st->size > s->copy_max) {
        rc = place_in_parts(st, ctx, key, source);
        hv_arena_free(a);
        return rc;
    }
    call.key = key;
    call.headers[call.n_headers++] = source;
    rc = hv_blob__s3_send(&resp, &s->c, ctx, &call);
    if (rc == HV_OK && copy_failed(&resp))
        rc = hv_blob__s3_fail(ctx, &resp, "place a blob");
    hv_net_response_free(&resp);
    hv_arena_free(a);
    return rc;
}

static hv_err s3_finish(hv_blob_staged *bst, hv_ctx *ctx, bool committed) {
    s3_staged *st = (s3_staged *)bst;
    s3_store *s = STORE(bst->store);
    hv_ctx scratch = {0}; /* what fails here is left for recovery and the purge */

    (void)ctx;
    if (!st->noop && delete_object(s, &scratch, st->key))
        hv_log(HV_LOG_WARN, "leaving staged object %s: %s", st->key, scratch.err.message);
    hv_error_clear(&scratch);
    if (committed && st->upload && s3_upload_remove(bst->store, &scratch, st->uuid))
        hv_log(HV_LOG_WARN, "leaving upload %s to the purge: %s", st->uuid, scratch.err.message);
    free(st);
    return HV_OK;
}

static void s3_free(hv_blob_store *bs) {
    s3_store *s = STORE(bs);

    for (size_t i = 0; i < s->n_held; i++)
        free(s->held[i]);
    free(s->held);
    pthread_mutex_destroy(&s->lock);
    hv_blob__s3_free(&s->c);
    free(s);
}

static const hv_blob_driver s3_driver = {
    .version = HV_BLOB_DRIVER_VERSION,
    .name = "s3",
    .stat = s3_stat,
    .open = s3_open,
    .read = s3_read,
    .reader_close = s3_reader_close,
    .get = s3_get,
    .presign = s3_presign,
    .remove = s3_remove,
    .upload_open = s3_upload_open,
    .at = s3_at,
    .write = s3_write,
    .sync = s3_sync,
    .close = s3_close,
    .stage_upload = s3_stage_upload,
    .stage_bytes = s3_stage_bytes,
    .place = s3_place,
    .finish = s3_finish,
    .upload_remove = s3_upload_remove,
    .upload_list = s3_upload_list,
    .free = s3_free,
};

/* Deletes what a crash left staged: its transaction never committed (placing comes before
 * COMMIT, and a placed copy is durable), so nothing needs it. */
struct sweep {
    s3_store *s;
    hv_ctx *ctx;
    int64_t cutoff;
    hv_err rc;
};

static void sweep_staged(const char *key, uint64_t size, int64_t mtime_ms, void *payload) {
    struct sweep *w = payload;

    (void)size;
    if (mtime_ms >= w->cutoff || w->rc)
        return;
    hv_log(HV_LOG_INFO, "deleting %s, staged by a push that was cut short", key);
    w->rc = delete_object(w->s, w->ctx, key);
}

hv_err hv_blob_s3_open(hv_blob_store **out, hv_ctx *ctx, const hv_blob_s3_config *cfg) {
    s3_store *s = hv_calloc(1, sizeof(*s));
    struct sweep w = {.s = s, .ctx = ctx, .cutoff = hv_now_ms() - STAGING_GRACE_MS};
    char prefix[KEY_LEN];
    hv_err rc;

    rc = hv_blob__s3_init(&s->c, ctx, cfg);
    if (rc) {
        free(s);
        return rc;
    }
    hv_blob__init(&s->base, &s3_driver);
    pthread_mutex_init(&s->lock, NULL);
    s->copy_max = cfg->copy_max && cfg->copy_max < COPY_MAX ? cfg->copy_max : COPY_MAX;
    if (strlen(s->c.prefix) > PREFIX_MAX) {
        rc = HV_FAIL(ctx, HV_E_CONFIG, "s3_root: at most %d characters", PREFIX_MAX);
        goto out;
    }
    /* the first listing also tells whether the bucket is there and takes the keys */
    snprintf(prefix, sizeof(prefix), "%sstaging/", s->c.prefix);
    rc = hv_blob__s3_list(&s->c, ctx, prefix, sweep_staged, &w);
    if (rc == HV_OK)
        rc = w.rc;
out:
    if (rc) {
        s3_free(&s->base);
        return rc;
    }
    *out = &s->base;
    return HV_OK;
}
