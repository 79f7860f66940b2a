/*
 * Blob uploads.  The bytes stream into the blob store's upload file while SHA-256 runs over
 * them; a PATCH ends by syncing the bytes and then recording the new size and hash state in
 * the upload row, so the row never claims bytes that are not on disk.  Completion verifies
 * the digest, syncs and stages the file (hv_blob_stage_upload: durable, not yet visible)
 * before it takes the database's write lock; the transaction (run again when PostgreSQL gives
 * it up for a deadlock, hv_events_transaction) then records the blob and, as its last step,
 * places the file; after COMMIT the placing is made durable.  So no fsync
 * runs under the write lock, and a 201 is sent after bytes and metadata are both durable.
 *
 * The digest is checked against the hash state, not by reading the file again: the file's
 * bytes are the hashed bytes by construction.  A request that writes to a session holds the
 * upload's writer (the store's exclusive lock) from before it reads the row until after it
 * has updated or deleted it; a second request is refused with 416 at once, so chunks never
 * interleave and the row read under the lock is the truth the file is cut back to.  The row
 * update is also conditional on the size the writer started from, so a writer that got
 * past a lock that does not hold (nodes sharing a store without working locks) is refused
 * rather than recorded over another's chunk; such a store would also have to re-hash at
 * completion, and the S3 store (whose lock holds within one process only) does, as it reads
 * every byte back anyway to assemble the object (blob_s3.c).  The filesystem store does not:
 * a second pass over every byte, on the request that waits for the 201, costs about 0.65 s
 * of a core per GiB with OpenSSL's SHA-NI code (1.6 GB/s measured here), plus the read once
 * the file has left the page cache.
 */
#include "events/events.h"
#include "oci/oci.h"
#include "registry/registry_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hv_upload_stream {
    hv_registry *reg;
    const hv_target *t;
    hv_blob_writer *w;
    hv_upload up; /* the session, or a one-request upload (persisted false) */
    int64_t from; /* the size the upload had when this writer took it */
    bool persisted;
    char uuid[37];
    char digest[HV_DIGEST_MAX]; /* expected; empty for a PATCH */
};

hv_err hv_registry_upload_start(char uuid[37], hv_ctx *ctx, hv_registry *reg, const hv_target *t) {
    hv_upload up = {0};
    hv_blob_writer *w = NULL;
    hv_err rc;

    hv_uuid(uuid);
    up.uuid = uuid;
    up.repository = t->name;
    up.project_id = t->project.id;
    hv_sha256_init(&up.hash);
    /* the file exists before the row, so a row always has a file */
    rc = hv_blob_upload_open(reg->blobs, ctx, uuid, true, &w);
    if (rc)
        return rc;
    hv_blob_writer_close(w);
    rc = hv_model_upload_create(ctx, &up);
    if (rc)
        hv_blob_upload_remove(reg->blobs, ctx, uuid);
    return rc;
}

hv_err hv_registry_upload_status(hv_upload *out, hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                                 const char *uuid) {
    hv_err rc;

    (void)reg;
    if (strlen(uuid) != 36)
        return HV_FAIL(ctx, HV_E_BLOB_UPLOAD_UNKNOWN, "upload %s is not known", uuid);
    rc = hv_model_upload_get(out, ctx, uuid);
    if (rc)
        return rc;
    if (strcmp(out->repository, t->name) != 0)
        return HV_FAIL(ctx, HV_E_BLOB_UPLOAD_UNKNOWN, "upload %s is not known to %s", uuid,
                       t->name);
    return HV_OK;
}

hv_err hv_registry_upload_cancel(hv_ctx *ctx, hv_registry *reg, const hv_target *t,
                                 const char *uuid) {
    hv_upload up;
    hv_err rc = hv_registry_upload_status(&up, ctx, reg, t, uuid);

    if (rc)
        return rc;
    rc = hv_model_upload_delete(ctx, uuid);
    if (rc)
        return rc;
    return hv_blob_upload_remove(reg->blobs, ctx, uuid);
}

/* Opens session uuid for writing at start (-1: wherever it ends): the writer first, then
 * the row, which no other request can move on while the writer is held. */
static hv_err open_session(hv_upload_stream *s, hv_ctx *ctx, const char *uuid, int64_t start) {
    hv_err rc = hv_registry_upload_status(&s->up, ctx, s->reg, s->t, uuid);

    if (rc == HV_OK)
        rc = hv_blob_upload_open(s->reg->blobs, ctx, uuid, false, &s->w);
    if (rc == HV_OK)
        rc = hv_registry_upload_status(&s->up, ctx, s->reg, s->t, uuid);
    if (rc == HV_OK && start >= 0 && start != s->up.size)
        rc = HV_FAIL(ctx, HV_E_RANGE,
                     "chunk starts at byte %lld but the upload holds %lld bytes; send the "
                     "chunk that starts at %lld",
                     (long long)start, (long long)s->up.size, (long long)s->up.size);
    return rc;
}

hv_err hv_registry_upload_begin(hv_upload_stream **out, hv_ctx *ctx, hv_registry *reg,
                                const hv_target *t, const char *uuid, int64_t start,
                                const char *digest) {
    hv_upload_stream *s;
    hv_err rc;

    if (digest) {
        rc = hv_oci_digest_check(ctx, digest, strlen(digest));
        if (rc)
            return rc;
    }
    s = hv_calloc(1, sizeof(*s));
    s->reg = reg;
    s->t = t;
    if (digest)
        snprintf(s->digest, sizeof(s->digest), "%s", digest);
    if (uuid) {
        rc = open_session(s, ctx, uuid, start);
        if (rc)
            goto fail;
        s->persisted = true;
        snprintf(s->uuid, sizeof(s->uuid), "%s", uuid);
    } else {
        hv_uuid(s->uuid);
        s->up.project_id = t->project.id;
        s->up.repository = t->name;
        hv_sha256_init(&s->up.hash);
        rc = hv_blob_upload_open(reg->blobs, ctx, s->uuid, true, &s->w);
        if (rc)
            goto fail;
    }
    s->up.uuid = s->uuid;
    s->from = s->up.size;
    rc = hv_blob_writer_at(s->w, ctx, (uint64_t)s->up.size);
    if (rc)
        goto fail;
    *out = s;
    return HV_OK;
fail:
    hv_blob_writer_close(s->w);
    if (!uuid) {
        hv_ctx scratch = {0}; /* ctx keeps the error being returned */
        hv_blob_upload_remove(reg->blobs, &scratch, s->uuid);
    }
    free(s);
    return rc;
}

hv_err hv_registry_upload_write(hv_upload_stream *s, hv_ctx *ctx, const void *data, size_t n) {
    hv_err rc;

    if (n > (uint64_t)(INT64_MAX - s->up.size))
        return HV_FAIL(ctx, HV_E_SIZE_INVALID, "a blob cannot pass %lld bytes",
                       (long long)INT64_MAX);
    rc = hv_blob_write(s->w, ctx, data, n);
    if (rc)
        return rc;
    hv_sha256_update(&s->up.hash, data, n);
    s->up.size += (int64_t)n;
    return HV_OK;
}

void hv_registry_upload_abort(hv_upload_stream *s) {
    hv_ctx ctx = {0};

    if (!s)
        return;
    hv_blob_writer_close(s->w);
    if (!s->persisted)
        hv_blob_upload_remove(s->reg->blobs, &ctx, s->uuid);
    free(s);
}

/* What the transaction of an upload's completion works on. */
struct completion {
    hv_upload_stream *s;
    const char *digest;
    hv_blob_staged *staged;
    bool placed; /* by an earlier run of the transaction, which the database gave up */
};

/* The transaction of a completion (hv_events_transaction runs it again when the database
 * gives it up): the blob's row, its link through the quota, the session gone, bytes placed. */
static hv_err complete_in_transaction(hv_ctx *ctx, void *payload) {
    struct completion *c = payload;
    hv_upload_stream *s = c->s;
    hv_err rc = hv_model_blob_put(ctx, c->digest, s->up.size);

    if (rc == HV_OK)
        rc = hv_registry__link_blob(ctx, s->t->project.id, c->digest, s->up.size);
    if (rc == HV_OK && s->persisted)
        rc = hv_model_upload_delete(ctx, s->uuid);
    if (rc == HV_OK && !c->placed) {
        rc = hv_blob_staged_place(c->staged, ctx);
        c->placed = rc == HV_OK;
    }
    return rc;
}

/* Verifies and commits a complete upload: bytes staged, then metadata and the bytes placed. */
static hv_err complete(hv_upload_stream *s, hv_ctx *ctx) {
    char got[HV_DIGEST_MAX];
    hv_sha256 h = s->up.hash;
    struct completion c = {.s = s, .digest = got};
    hv_err rc, finished;

    hv_sha256_final(&h, got);
    if (strcmp(got, s->digest) != 0) {
        rc = HV_FAIL(ctx, HV_E_DIGEST_INVALID,
                     "the uploaded content has digest %s, not %s as the request said", got,
                     s->digest);
        if (s->persisted)
            hv_model_upload_delete(ctx, s->uuid);
        hv_blob_upload_remove(s->reg->blobs, ctx, s->uuid);
        return rc;
    }
    /*
     * The bytes are staged before the write lock is taken, and the metadata (with the quota
     * charge) is decided first inside it; the bytes are placed last, just before COMMIT.  A
     * refused push leaves the session as it was and nothing stored; a crash after the
     * placing leaves at worst a stored blob that no metadata names yet (a later push of the
     * same content adopts it).  The verified bytes are placed even when the digest is stored
     * already: that copy may be damaged (or left by a version that let chunks interleave),
     * and renaming over it costs what placing a new blob costs.
     */
    rc = hv_blob_stage_upload(&c.staged, s->reg->blobs, ctx, s->uuid, got);
    if (rc)
        return rc;
    rc = hv_events_transaction(ctx, complete_in_transaction, &c);
    finished = hv_blob_staged_finish(c.staged, ctx, rc == HV_OK);
    return rc ? rc : finished;
}

hv_err hv_registry_upload_finish(hv_upload_stream *s, hv_ctx *ctx, int64_t *size,
                                 const char **uuid) {
    hv_err rc;

    /* durable before a row names the bytes; the writer is closed (and the upload given up)
     * only after the row is updated or gone, so no other request sees one without the other */
    rc = hv_blob_writer_sync(s->w, ctx);
    if (rc)
        goto out;
    *size = s->up.size;
    *uuid = hv_arena_strdup(ctx->arena, s->uuid);
    if (s->digest[0])
        rc = complete(s, ctx);
    else
        rc = hv_model_upload_update(ctx, &s->up, s->from);
out:
    hv_blob_writer_close(s->w);
    if (rc && !s->persisted)
        hv_blob_upload_remove(s->reg->blobs, ctx, s->uuid);
    free(s);
    return rc;
}

struct purge {
    hv_ctx *ctx;
    hv_registry *reg;
    int64_t cutoff;
    bool all_orphans;
};

static void purge_file(const char *uuid, int64_t mtime_ms, void *payload) {
    struct purge *p = payload;
    hv_upload up;

    if (!p->all_orphans && mtime_ms >= p->cutoff)
        return;
    /* the blob store's temporary copies (.copy-<uuid>) and files of one-request uploads
     * have no session; staged blobs are not uploads (they are the store's to recover) */
    if (uuid[0] != '.' && strlen(uuid) == 36 && hv_model_upload_get(&up, p->ctx, uuid) == HV_OK)
        return;
    hv_error_clear(p->ctx);
    hv_log(HV_LOG_INFO, "purging upload file %s without a session", uuid);
    hv_blob_upload_remove(p->reg->blobs, p->ctx, uuid);
}

void hv_registry_purge_uploads(hv_ctx *ctx, hv_registry *reg, bool all_orphans) {
    struct purge p = {ctx, reg, hv_now_ms() - reg->cfg.upload_ttl_ms, all_orphans};
    const char **stale;
    size_t n;

    if (hv_model_upload_stale(&stale, &n, ctx, p.cutoff) == HV_OK) {
        for (size_t i = 0; i < n; i++) {
            hv_log(HV_LOG_INFO, "purging idle upload %s", stale[i]);
            if (hv_model_upload_delete(ctx, stale[i]) == HV_OK)
                hv_blob_upload_remove(reg->blobs, ctx, stale[i]);
        }
    }
    hv_error_clear(ctx);
    hv_blob_upload_list(reg->blobs, ctx, purge_file, &p);
    hv_error_clear(ctx);
}
