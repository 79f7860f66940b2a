/*
 * The blob-store contract, run against every driver: the filesystem's, and S3's when
 * HAVEN_TEST_S3_ENDPOINT names an S3 server (scripts/with-s3rver.sh starts one; CTest runs
 * this file both ways).  A driver passes when stored blobs read back byte for byte (also at
 * any offset, and larger than a part), an upload is invisible until placed, reopening an
 * upload at an offset cuts off unacknowledged bytes (also inside a stored piece), an upload
 * has one writer at a time, staged bytes are stored only once placed and dropped by a finish
 * that did not commit (leaving the upload as it was), a placed upload that did not commit
 * goes on without touching the blob, a damaged stored copy is replaced by the next placing,
 * and removal works.  The filesystem driver's recovery of staged blobs when it opens is
 * tested here too, and S3's refusal of an upload whose stored bytes are not its digest.
 *
 * What a test looks at behind the driver's back (how many staged entries there are, a copy
 * damaged on purpose) goes to the folder or, for S3, to the bucket with plain unsigned
 * requests (the test server takes them).
 */
#include "blob/blob.h"
#include "net/net.h"
#include "test.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/haven-blob-test-XXXXXX";
static const char *s3_endpoint; /* set: the S3 driver is under test */
static const char *s3_bucket;
static char s3_root[64]; /* a key prefix of its own for each run */

static hv_blob_store *open_store(hv_ctx *ctx) {
    hv_blob_store *s = NULL;
    hv_blob_s3_config cfg = {.bucket = s3_bucket,
                             .endpoint = s3_endpoint,
                             .root = s3_root,
                             .path_style = true,
                             .access_key = "S3RVER",
                             .secret_key = "S3RVER"};

    if (s3_endpoint)
        CHECK_INT(hv_blob_s3_open(&s, ctx, &cfg), HV_OK);
    else
        CHECK_INT(hv_blob_fs_open(&s, ctx, root), HV_OK);
    return s;
}

/* An unsigned request for key (under the run's root), or for the bucket with query, to the
 * test's S3 server; its body in *body (freed by the caller) when asked for.  Returns the
 * status. */
static long s3_raw(const char *method, const char *key, const char *query, const char *data,
                   char **body) {
    hv_ctx ctx = {0};
    hv_arena *a = hv_arena_new();
    hv_net_request req = {.method = method, .max_body = 16 << 20};
    hv_net_response resp;
    long status;

    req.url = key ? hv_arena_printf(a, "%s/%s/%s/%s", s3_endpoint, s3_bucket, s3_root,
                                    hv_net_uri_encode(a, key, false))
                  : hv_arena_printf(a, "%s/%s/%s", s3_endpoint, s3_bucket, query);
    req.body = data;
    req.body_len = data ? strlen(data) : 0;
    CHECK_INT(hv_net_perform(&resp, &ctx, &req), HV_OK);
    status = resp.status;
    if (body)
        *body = hv_strdup(resp.body.data ? resp.body.data : "");
    hv_net_response_free(&resp);
    hv_arena_free(a);
    return status;
}

/* Stores small content the way a manifest push does, outside any transaction. */
static void put(hv_blob_store *s, hv_ctx *ctx, const char *digest, const char *data, size_t n) {
    hv_blob_staged *st = NULL;

    CHECK_INT(hv_blob_stage_bytes(&st, s, ctx, digest, data, n), HV_OK);
    CHECK_INT(hv_blob_staged_place(st, ctx), HV_OK);
    CHECK_INT(hv_blob_staged_finish(st, ctx, true), HV_OK);
}

/* Stores a complete, synced upload the way a blob push does. */
static void commit_upload(hv_blob_store *s, hv_ctx *ctx, const char *uuid, const char *digest) {
    hv_blob_staged *st = NULL;

    CHECK_INT(hv_blob_stage_upload(&st, s, ctx, uuid, digest), HV_OK);
    CHECK_INT(hv_blob_staged_place(st, ctx), HV_OK);
    CHECK_INT(hv_blob_staged_finish(st, ctx, true), HV_OK);
}

static void count_upload(const char *uuid, int64_t mtime_ms, void *payload) {
    (void)uuid;
    (void)mtime_ms;
    (*(int *)payload)++;
}

/* How many entries folder name ("staging", "uploads") of the store holds. */
static int entries(const char *name) {
    char path[512];
    struct dirent *e;
    int n = 0;
    DIR *d;

    if (s3_endpoint && strcmp(name, "uploads") == 0) {
        hv_ctx ctx = {0};
        hv_blob_store *s = open_store(&ctx);
        CHECK_INT(hv_blob_upload_list(s, &ctx, count_upload, &n), HV_OK);
        hv_blob_close(s);
        return n;
    }
    if (s3_endpoint) {
        char *body = NULL, query[160];
        snprintf(query, sizeof(query), "?list-type=2&prefix=%s%%2F%s%%2F", s3_root, name);
        CHECK_INT(s3_raw("GET", NULL, query, NULL, &body), 200);
        for (const char *p = body; (p = strstr(p, "<Key>")) != NULL; p++)
            n++;
        free(body);
        return n;
    }
    snprintf(path, sizeof(path), "%s/%s", root, name);
    d = opendir(path);
    CHECK(d != NULL);
    while (d && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

/* Creates upload uuid holding data, synced, with its writer closed. */
static void upload(hv_blob_store *s, hv_ctx *ctx, const char *uuid, const char *data) {
    hv_blob_writer *w = NULL;

    CHECK_INT(hv_blob_upload_open(s, ctx, uuid, true, &w), HV_OK);
    CHECK_INT(hv_blob_writer_at(w, ctx, 0), HV_OK);
    CHECK_INT(hv_blob_write(w, ctx, data, strlen(data)), HV_OK);
    CHECK_INT(hv_blob_writer_sync(w, ctx), HV_OK);
    hv_blob_writer_close(w);
}

/* Reads the first n bytes of blob digest into buf through a reader; returns its size. */
static uint64_t read_back(hv_blob_store *s, hv_ctx *ctx, const char *digest, char *buf, size_t n) {
    hv_blob_reader *r = NULL;
    uint64_t size = 0;
    size_t at = 0, got = 1;

    CHECK_INT(hv_blob_stat(s, ctx, digest, &size), HV_OK);
    CHECK_INT(hv_blob_open(&r, s, ctx, digest, size, 0), HV_OK);
    while (r && at < n && got > 0) {
        CHECK_INT(hv_blob_read(r, ctx, at, buf + at, n - at, &got), HV_OK);
        at += got;
    }
    CHECK_INT(at, n);
    hv_blob_reader_close(r);
    return size;
}

static void test_put_and_open(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s = open_store(&ctx);
    const char data[] = "hello, blob";
    char digest[HV_DIGEST_MAX], back[sizeof(data)];
    uint64_t size = 0;

    hv_sha256_digest(digest, data, sizeof(data) - 1);
    CHECK_INT(hv_blob_stat(s, &ctx, digest, &size), HV_E_BLOB_UNKNOWN);
    put(s, &ctx, digest, data, sizeof(data) - 1);
    put(s, &ctx, digest, data, sizeof(data) - 1); /* idempotent */
    CHECK_INT(hv_blob_stat(s, &ctx, digest, &size), HV_OK);
    CHECK_INT(size, sizeof(data) - 1);
    memset(back, 0, sizeof(back));
    CHECK_INT(read_back(s, &ctx, digest, back, sizeof(data) - 1), sizeof(data) - 1);
    CHECK_STR(back, data);
    CHECK_INT(hv_blob_remove(s, &ctx, digest), HV_OK);
    CHECK_INT(hv_blob_stat(s, &ctx, digest, &size), HV_E_BLOB_UNKNOWN);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

static void test_upload_lifecycle(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s = open_store(&ctx);
    hv_blob_writer *w = NULL;
    char uuid[37], digest[HV_DIGEST_MAX], back[16] = {0};
    uint64_t size;
    int uploads = 0;

    hv_uuid(uuid);
    hv_sha256_digest(digest, "abcdef", 6);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, false, &w), HV_E_BLOB_UPLOAD_UNKNOWN);
    hv_error_clear(&ctx);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, true, &w), HV_OK);
    CHECK_INT(hv_blob_writer_at(w, &ctx, 0), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, "abc", 3), HV_OK);
    CHECK_INT(hv_blob_writer_sync(w, &ctx), HV_OK);
    hv_blob_writer_close(w);
    /* bytes written past the acknowledged offset (a crash mid-chunk) are cut off */
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, false, &w), HV_OK);
    CHECK_INT(hv_blob_writer_at(w, &ctx, 3), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, "XYZXYZ", 6), HV_OK);
    CHECK_INT(hv_blob_writer_sync(w, &ctx), HV_OK); /* stored, but never acknowledged */
    hv_blob_writer_close(w);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, false, &w), HV_OK);
    CHECK_INT(hv_blob_writer_at(w, &ctx, 3), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, "def", 3), HV_OK);
    CHECK_INT(hv_blob_writer_sync(w, &ctx), HV_OK);
    /* an offset beyond what is stored means lost bytes */
    CHECK_INT(hv_blob_writer_at(w, &ctx, 100), HV_E_RANGE);
    hv_error_clear(&ctx);
    hv_blob_writer_close(w);
    /* invisible until committed */
    CHECK_INT(hv_blob_stat(s, &ctx, digest, &size), HV_E_BLOB_UNKNOWN);
    CHECK_INT(hv_blob_upload_list(s, &ctx, count_upload, &uploads), HV_OK);
    CHECK_INT(uploads, 1);
    commit_upload(s, &ctx, uuid, digest);
    CHECK_INT(read_back(s, &ctx, digest, back, 6), 6);
    CHECK_STR(back, "abcdef");
    uploads = 0;
    CHECK_INT(hv_blob_upload_list(s, &ctx, count_upload, &uploads), HV_OK);
    CHECK_INT(uploads, 0);
    /* removing an upload that is gone is not an error */
    CHECK_INT(hv_blob_upload_remove(s, &ctx, uuid), HV_OK);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

/* An upload has one writer at a time: a second is refused at once, not queued, and the
 * upload is free again once the first is closed. */
static void test_upload_has_one_writer(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s = open_store(&ctx);
    hv_blob_writer *first = NULL, *second = NULL;
    char uuid[37];

    hv_uuid(uuid);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, true, &first), HV_OK);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, false, &second), HV_E_RANGE);
    CHECK(strstr(ctx.err.message, "another request") != NULL);
    CHECK(second == NULL);
    hv_error_clear(&ctx);
    hv_blob_writer_close(first);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, false, &second), HV_OK);
    hv_blob_writer_close(second);
    CHECK_INT(hv_blob_upload_remove(s, &ctx, uuid), HV_OK);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

/* Writes a file into folder name of the store (an object under it, for S3). */
static void plant(const char *name, const char *file, const char *data) {
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", name, file);
    if (s3_endpoint) {
        CHECK_INT(s3_raw("PUT", path, NULL, data, NULL), 200);
        return;
    }
    snprintf(path, sizeof(path), "%s/%s/%s", root, name, file);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(data, f);
        fclose(f);
    }
}

/* Overwrites the stored copy of digest with as many other bytes. */
static void damage(const char *digest, size_t size) {
    char file[160], *junk = hv_calloc(1, size + 1);

    memset(junk, '#', size);
    snprintf(file, sizeof(file), "sha256/%.2s/%s", digest + 7, digest + 7);
    plant("blobs", file, junk);
    free(junk);
}

static void check_stored(hv_blob_store *s, hv_ctx *ctx, const char *digest, const char *want) {
    char back[64] = {0};

    CHECK_INT(read_back(s, ctx, digest, back, strlen(want)), strlen(want));
    CHECK_STR(back, want);
}

/* A stored copy whose bytes are not its digest's is replaced by the next put or commit of
 * that content, never kept because its name matches. */
static void test_damaged_copy_is_replaced(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s = open_store(&ctx);
    hv_blob_writer *w = NULL;
    const char data[] = "the honest bytes";
    char digest[HV_DIGEST_MAX], uuid[37];

    hv_sha256_digest(digest, data, strlen(data));
    put(s, &ctx, digest, data, strlen(data));
    damage(digest, strlen(data));
    put(s, &ctx, digest, data, strlen(data));
    check_stored(s, &ctx, digest, data);

    damage(digest, strlen(data));
    hv_uuid(uuid);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, true, &w), HV_OK);
    CHECK_INT(hv_blob_writer_at(w, &ctx, 0), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, data, strlen(data)), HV_OK);
    CHECK_INT(hv_blob_writer_sync(w, &ctx), HV_OK);
    commit_upload(s, &ctx, uuid, digest);
    hv_blob_writer_close(w);
    check_stored(s, &ctx, digest, data);
    CHECK_INT(hv_blob_remove(s, &ctx, digest), HV_OK);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

/* Staged bytes are durable but invisible; placed, they are the blob; a committed finish
 * drops the upload and leaves nothing staged. */
static void test_stage_place_finish_stores(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s = open_store(&ctx);
    hv_blob_staged *st = NULL;
    char uuid[37], digest[HV_DIGEST_MAX];
    uint64_t size;

    hv_uuid(uuid);
    hv_sha256_digest(digest, "staged", 6);
    upload(s, &ctx, uuid, "staged");
    CHECK_INT(hv_blob_stage_upload(&st, s, &ctx, uuid, digest), HV_OK);
    CHECK_INT(entries("staging"), 1);
    CHECK_INT(entries("uploads"), 1);
    CHECK_INT(hv_blob_stat(s, &ctx, digest, &size), HV_E_BLOB_UNKNOWN);
    hv_error_clear(&ctx);
    CHECK_INT(hv_blob_staged_place(st, &ctx), HV_OK);
    check_stored(s, &ctx, digest, "staged");
    CHECK_INT(hv_blob_staged_finish(st, &ctx, true), HV_OK);
    check_stored(s, &ctx, digest, "staged");
    CHECK_INT(entries("staging"), 0);
    CHECK_INT(entries("uploads"), 0);
    CHECK_INT(hv_blob_staged_finish(NULL, &ctx, true), HV_OK);
    CHECK_INT(hv_blob_remove(s, &ctx, digest), HV_OK);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

/* A transaction refused before the placing: nothing stored, nothing staged, and the upload
 * as it was, open to more bytes. */
static void test_finish_before_place_stores_nothing(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s = open_store(&ctx);
    hv_blob_staged *st = NULL;
    hv_blob_writer *w = NULL;
    char uuid[37], digest[HV_DIGEST_MAX], longer[HV_DIGEST_MAX], back[16] = {0};
    uint64_t size;

    hv_uuid(uuid);
    hv_sha256_digest(digest, "refused", 7);
    hv_sha256_digest(longer, "refused, then more", 18);
    upload(s, &ctx, uuid, "refused");
    CHECK_INT(hv_blob_stage_upload(&st, s, &ctx, uuid, digest), HV_OK);
    ctx.err.code = HV_E_DENIED; /* the transaction's error, which finish leaves alone */
    CHECK_INT(hv_blob_staged_finish(st, &ctx, false), HV_OK);
    CHECK_INT(ctx.err.code, HV_E_DENIED);
    hv_error_clear(&ctx);
    CHECK_INT(hv_blob_stat(s, &ctx, digest, &size), HV_E_BLOB_UNKNOWN);
    hv_error_clear(&ctx);
    CHECK_INT(entries("staging"), 0);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, false, &w), HV_OK);
    CHECK_INT(hv_blob_writer_at(w, &ctx, 7), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, ", then more", 11), HV_OK);
    CHECK_INT(hv_blob_writer_sync(w, &ctx), HV_OK);
    commit_upload(s, &ctx, uuid, longer);
    hv_blob_writer_close(w);
    CHECK_INT(read_back(s, &ctx, longer, back, 7), 18);
    CHECK_STR(back, "refused");

    /* the same for small content */
    CHECK_INT(hv_blob_stage_bytes(&st, s, &ctx, digest, "refused", 7), HV_OK);
    CHECK_INT(entries("staging"), 1);
    CHECK_INT(hv_blob_staged_finish(st, &ctx, false), HV_OK);
    CHECK_INT(entries("staging"), 0);
    CHECK_INT(hv_blob_stat(s, &ctx, digest, &size), HV_E_BLOB_UNKNOWN);
    hv_error_clear(&ctx);
    CHECK_INT(hv_blob_remove(s, &ctx, longer), HV_OK);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

/* Placed, then not committed (COMMIT failed): the blob stays, unnamed by any metadata, and the
 * upload goes on, cut back and written again, without changing the blob's bytes. */
static void test_placed_upload_that_did_not_commit_leaves_the_blob_alone(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s = open_store(&ctx);
    hv_blob_staged *st = NULL;
    hv_blob_writer *w = NULL;
    char uuid[37], digest[HV_DIGEST_MAX], other[HV_DIGEST_MAX];

    hv_uuid(uuid);
    hv_sha256_digest(digest, "placed bytes", 12);
    hv_sha256_digest(other, "placed BYTES", 12);
    upload(s, &ctx, uuid, "placed bytes");
    CHECK_INT(hv_blob_stage_upload(&st, s, &ctx, uuid, digest), HV_OK);
    CHECK_INT(hv_blob_staged_place(st, &ctx), HV_OK);
    CHECK_INT(hv_blob_staged_finish(st, &ctx, false), HV_OK);
    check_stored(s, &ctx, digest, "placed bytes");
    CHECK_INT(entries("uploads"), 1);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, false, &w), HV_OK);
    CHECK_INT(hv_blob_writer_at(w, &ctx, 7), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, "BYTES", 5), HV_OK);
    CHECK_INT(hv_blob_writer_sync(w, &ctx), HV_OK);
    check_stored(s, &ctx, digest, "placed bytes");
    commit_upload(s, &ctx, uuid, other);
    hv_blob_writer_close(w);
    check_stored(s, &ctx, digest, "placed bytes");
    check_stored(s, &ctx, other, "placed BYTES");
    CHECK_INT(entries("uploads"), 0);
    CHECK_INT(hv_blob_remove(s, &ctx, digest), HV_OK);
    CHECK_INT(hv_blob_remove(s, &ctx, other), HV_OK);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

/* What a crash left staged is placed when the store opens, over a stored copy too (the staged
 * bytes were verified; its transaction may have committed); hidden leftovers go. */
static void test_open_places_what_a_crash_left_staged(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s;

    if (s3_endpoint) { /* S3 places before COMMIT: see test_s3_open_keeps_young_staged */
        hv_arena_free(ctx.arena);
        return;
    }
    s = open_store(&ctx);
    const char *lost = "committed, then the rename was lost", *fixed = "the verified bytes";
    char digest[HV_DIGEST_MAX], stored[HV_DIGEST_MAX], name[160];
    uint64_t size;

    hv_sha256_digest(digest, lost, strlen(lost));
    hv_sha256_digest(stored, fixed, strlen(fixed));
    put(s, &ctx, stored, fixed, strlen(fixed));
    damage(stored, strlen(fixed));
    hv_blob_close(s);

    snprintf(name, sizeof(name), "%s.0b7c5a3e-55a4-4f8e-9d1c-2f0b3a4c5d6e", digest + 7);
    plant("staging", name, lost);
    snprintf(name, sizeof(name), "%s.8f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", stored + 7);
    plant("staging", name, fixed);
    plant("staging", ".2c9d8e7f-6a5b-4c3d-2e1f-0a9b8c7d6e5f", "half a manif");
    CHECK_INT(entries("staging"), 3);
    s = open_store(&ctx);
    CHECK_INT(entries("staging"), 0);
    check_stored(s, &ctx, digest, lost);
    check_stored(s, &ctx, stored, fixed);
    CHECK_INT(hv_blob_remove(s, &ctx, digest), HV_OK);
    CHECK_INT(hv_blob_remove(s, &ctx, stored), HV_OK);
    CHECK_INT(hv_blob_stat(s, &ctx, digest, &size), HV_E_BLOB_UNKNOWN);
    hv_error_clear(&ctx);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

/* Staging small content that is stored already writes nothing and places nothing. */
static void test_stage_bytes_of_a_stored_copy_writes_nothing(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s = open_store(&ctx);
    const char data[] = "{\"schemaVersion\":2}";
    char digest[HV_DIGEST_MAX], path[512];
    hv_blob_staged *st = NULL;
    struct stat before, after;

    hv_sha256_digest(digest, data, strlen(data));
    put(s, &ctx, digest, data, strlen(data));
    snprintf(path, sizeof(path), "%s/blobs/sha256/%.2s/%s", root, digest + 7, digest + 7);
    CHECK(s3_endpoint || stat(path, &before) == 0);
    CHECK_INT(hv_blob_stage_bytes(&st, s, &ctx, digest, data, strlen(data)), HV_OK);
    CHECK_INT(entries("staging"), 0);
    CHECK_INT(hv_blob_staged_place(st, &ctx), HV_OK);
    CHECK_INT(hv_blob_staged_finish(st, &ctx, true), HV_OK);
    if (!s3_endpoint) {
        CHECK(stat(path, &after) == 0);
        CHECK_INT(after.st_ino, before.st_ino);
    }
    check_stored(s, &ctx, digest, data);
    CHECK_INT(hv_blob_remove(s, &ctx, digest), HV_OK);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

/* Positioned inside a piece that was stored whole (a chunk acknowledged only in part): the
 * piece's head is kept and the rest goes. */
static void test_at_cuts_inside_a_stored_piece(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s = open_store(&ctx);
    hv_blob_writer *w = NULL;
    char uuid[37], digest[HV_DIGEST_MAX], back[8] = {0};

    hv_uuid(uuid);
    hv_sha256_digest(digest, "abcdeXY", 7);
    upload(s, &ctx, uuid, "abc");
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, false, &w), HV_OK);
    CHECK_INT(hv_blob_writer_at(w, &ctx, 3), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, "defgh", 5), HV_OK);
    CHECK_INT(hv_blob_writer_sync(w, &ctx), HV_OK);
    hv_blob_writer_close(w);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, false, &w), HV_OK);
    CHECK_INT(hv_blob_writer_at(w, &ctx, 5), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, "XY", 2), HV_OK);
    CHECK_INT(hv_blob_writer_sync(w, &ctx), HV_OK);
    commit_upload(s, &ctx, uuid, digest);
    hv_blob_writer_close(w);
    CHECK_INT(read_back(s, &ctx, digest, back, 7), 7);
    CHECK_STR(back, "abcdeXY");
    CHECK_INT(hv_blob_remove(s, &ctx, digest), HV_OK);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

/* An upload larger than S3's smallest part, sent in uneven pieces across two requests, reads
 * back whole, sequentially and at any offset. */
static void test_large_upload_reads_back(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s = open_store(&ctx);
    hv_blob_writer *w = NULL;
    size_t n = (13u << 20) + 12345, piece = 100003, half = n / 2;
    unsigned char *data = hv_malloc(n), *back = hv_malloc(n);
    char uuid[37], digest[HV_DIGEST_MAX];
    hv_blob_reader *r = NULL;
    uint64_t size = 0, at = 0;
    size_t got = 1;

    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 7 + i / 4099);
    hv_sha256_digest(digest, data, n);
    hv_uuid(uuid);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, true, &w), HV_OK);
    CHECK_INT(hv_blob_writer_at(w, &ctx, 0), HV_OK);
    for (size_t i = 0; i < half; i += piece)
        CHECK_INT(hv_blob_write(w, &ctx, data + i, i + piece < half ? piece : half - i), HV_OK);
    CHECK_INT(hv_blob_writer_sync(w, &ctx), HV_OK);
    hv_blob_writer_close(w);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, false, &w), HV_OK);
    CHECK_INT(hv_blob_writer_at(w, &ctx, half), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, data + half, n - half), HV_OK);
    CHECK_INT(hv_blob_writer_sync(w, &ctx), HV_OK);
    commit_upload(s, &ctx, uuid, digest);
    hv_blob_writer_close(w);

    CHECK_INT(hv_blob_stat(s, &ctx, digest, &size), HV_OK);
    CHECK_INT(size, n);
    CHECK_INT(hv_blob_open(&r, s, &ctx, digest, size, 0), HV_OK);
    while (r && at < n && got > 0) {
        CHECK_INT(
            hv_blob_read(r, &ctx, at, back + at, n - at < (1u << 20) ? n - at : 1u << 20, &got),
            HV_OK);
        at += got;
    }
    CHECK_INT(at, n);
    CHECK(memcmp(back, data, n) == 0);
    /* back and forth */
    memset(back, 0, 64);
    CHECK_INT(hv_blob_read(r, &ctx, 9u << 20, back, 64, &got), HV_OK);
    CHECK(got > 0 && memcmp(back, data + (9u << 20), got) == 0);
    CHECK_INT(hv_blob_read(r, &ctx, 10, back, 64, &got), HV_OK);
    CHECK(got > 0 && memcmp(back, data + 10, got) == 0);
    CHECK_INT(hv_blob_read(r, &ctx, n, back, 64, &got), HV_OK);
    CHECK_INT(got, 0);
    hv_blob_reader_close(r);
    CHECK_INT(hv_blob_remove(s, &ctx, digest), HV_OK);
    free(data);
    free(back);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

/* S3 cannot keep two nodes out of one upload, so staging hashes the stored bytes again: an
 * upload whose stored piece another writer replaced is refused, not stored. */
static void test_s3_refuses_stored_bytes_that_are_not_the_digest(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s;
    hv_blob_staged *st = NULL;
    char uuid[37], digest[HV_DIGEST_MAX], key[128];
    uint64_t size;

    if (!s3_endpoint) {
        hv_arena_free(ctx.arena);
        return;
    }
    s = open_store(&ctx);
    hv_uuid(uuid);
    hv_sha256_digest(digest, "mine", 4);
    upload(s, &ctx, uuid, "mine");
    snprintf(key, sizeof(key), "uploads/%s/%020d", uuid, 0);
    CHECK_INT(s3_raw("PUT", key, NULL, "MINE", NULL), 200);
    CHECK_INT(hv_blob_stage_upload(&st, s, &ctx, uuid, digest), HV_E_DIGEST_INVALID);
    CHECK(st == NULL);
    hv_error_clear(&ctx);
    CHECK_INT(hv_blob_stat(s, &ctx, digest, &size), HV_E_BLOB_UNKNOWN);
    hv_error_clear(&ctx);
    CHECK_INT(entries("staging"), 0);
    CHECK_INT(hv_blob_upload_remove(s, &ctx, uuid), HV_OK);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

/* Reads a blob whole through hv_blob_open_cached into back (n bytes). */
static hv_err read_cached(hv_blob_store *s, hv_ctx *ctx, const char *digest, char *back, size_t n) {
    hv_blob_reader *r = NULL;
    size_t at = 0, got = 1;
    hv_err rc = hv_blob_open_cached(&r, s, ctx, digest, n, 0);

    while (rc == HV_OK && at < n && got > 0) {
        rc = hv_blob_read(r, ctx, at, back + at, n - at, &got);
        at += got;
    }
    hv_blob_reader_close(r);
    return rc;
}

/* With a cache, small blobs are served from memory once read, so a copy changed behind the
 * store's back afterwards is never served; one changed before it was read is refused
 * (HV_E_IO), not kept; a read of a blob the cache holds sends nothing to the store (the
 * driver's own reader would find it gone); hv_blob_read_all checks the bytes too, and
 * hv_blob_remove forgets the copy. */
static void test_cache_serves_checked_bytes(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s = open_store(&ctx);
    const char data[] = "{\"schemaVersion\": 2}", other[] = "the other honest bytes";
    char digest[HV_DIGEST_MAX], other_digest[HV_DIGEST_MAX], back[64] = {0}, *all = NULL;
    hv_blob_reader *r = NULL;
    size_t len = 0;

    /* without a cache, what hv_blob_open_cached serves is checked all the same */
    hv_sha256_digest(digest, data, strlen(data));
    put(s, &ctx, digest, data, strlen(data));
    damage(digest, strlen(data));
    CHECK_INT(read_cached(s, &ctx, digest, back, strlen(data)), HV_E_IO);
    hv_error_clear(&ctx);

    hv_blob_cache(s, 1 << 20);
    hv_sha256_digest(other_digest, other, strlen(other));
    put(s, &ctx, digest, data, strlen(data));
    put(s, &ctx, other_digest, other, strlen(other));

    damage(other_digest, strlen(other)); /* before any read: refused */
    CHECK_INT(read_cached(s, &ctx, other_digest, back, strlen(other)), HV_E_IO);
    CHECK(strstr(ctx.err.message, "damaged") != NULL);
    hv_error_clear(&ctx);
    CHECK_INT(hv_blob_read_all(&all, &len, s, &ctx, other_digest, 1024), HV_E_IO);
    hv_error_clear(&ctx);

    CHECK_INT(read_cached(s, &ctx, digest, back, strlen(data)), HV_OK);
    CHECK_STR(back, data);
    damage(digest, strlen(data)); /* after: the checked copy is served */
    memset(back, 0, sizeof(back));
    CHECK_INT(read_cached(s, &ctx, digest, back, strlen(data)), HV_OK);
    CHECK_STR(back, data);
    CHECK_INT(hv_blob_read_all(&all, &len, s, &ctx, digest, 1024), HV_OK);
    CHECK_INT(len, strlen(data));
    CHECK_STR(all, data);
    free(all);
    CHECK_INT(hv_blob_read_all(&all, &len, s, &ctx, digest, 4), HV_E_TOO_LARGE);
    hv_error_clear(&ctx);
    /* a plain reader of a cached blob reads the copy too, and gives no descriptor */
    CHECK_INT(hv_blob_open(&r, s, &ctx, digest, strlen(data), 0), HV_OK);
    CHECK_INT(hv_blob_reader_take_fd(r), -1);
    hv_blob_reader_close(r);
    /* the size the metadata gives must be the blob's */
    CHECK_INT(hv_blob_open_cached(&r, s, &ctx, digest, strlen(data) + 1, 0), HV_E_IO);
    hv_error_clear(&ctx);

    CHECK_INT(hv_blob_remove(s, &ctx, digest), HV_OK);
    CHECK_INT(read_cached(s, &ctx, digest, back, strlen(data)), HV_E_BLOB_UNKNOWN);
    hv_error_clear(&ctx);
    CHECK_INT(hv_blob_read_all(&all, &len, s, &ctx, digest, 1024), HV_E_BLOB_UNKNOWN);
    hv_error_clear(&ctx);
    CHECK_INT(hv_blob_remove(s, &ctx, other_digest), HV_OK);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

/* Opening an S3 store leaves a young staged object alone: it is another node's push in
 * progress (placing happens before COMMIT, so a crash never needs one placed). */
static void test_s3_open_keeps_young_staged(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s;
    char name[160], digest[HV_DIGEST_MAX];

    if (!s3_endpoint) {
        hv_arena_free(ctx.arena);
        return;
    }
    hv_sha256_digest(digest, "in flight", 9);
    snprintf(name, sizeof(name), "0b7c5a3e-55a4-4f8e-9d1c-2f0b3a4c5d6e/%s", digest + 7);
    plant("staging", name, "in flight");
    s = open_store(&ctx);
    CHECK_INT(entries("staging"), 1);
    snprintf(name, sizeof(name), "staging/0b7c5a3e-55a4-4f8e-9d1c-2f0b3a4c5d6e/%s", digest + 7);
    CHECK_INT(s3_raw("DELETE", name, NULL, NULL, NULL), 204);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

static void setup(void) {
    char uuid[37];

    s3_endpoint = getenv("HAVEN_TEST_S3_ENDPOINT");
    s3_bucket = getenv("HAVEN_TEST_S3_BUCKET");
    if (s3_endpoint && !s3_bucket)
        s3_bucket = "haven-test";
    hv_uuid(uuid);
    snprintf(s3_root, sizeof(s3_root), "run-%.8s", uuid);
    printf("blob store under test: %s\n", s3_endpoint ? "s3" : "filesystem");
    if (!mkdtemp(root))
        abort();
}

static void teardown(void) {
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

TEST_MAIN(setup, test_put_and_open, test_upload_lifecycle, test_upload_has_one_writer,
          test_damaged_copy_is_replaced, test_stage_place_finish_stores,
          test_finish_before_place_stores_nothing,
          test_placed_upload_that_did_not_commit_leaves_the_blob_alone,
          test_open_places_what_a_crash_left_staged,
          test_stage_bytes_of_a_stored_copy_writes_nothing, test_at_cuts_inside_a_stored_piece,
          test_large_upload_reads_back, test_s3_refuses_stored_bytes_that_are_not_the_digest,
          test_s3_open_keeps_young_staged, test_cache_serves_checked_bytes, teardown)
