/*
 * The blob-store contract, run against every driver (today: filesystem).  A driver passes
 * when stored blobs read back byte for byte, an upload is invisible until placed, reopening
 * an upload at an offset cuts off unacknowledged bytes, an upload has one writer at a time,
 * staged bytes are stored only once placed and dropped by a finish that did not commit
 * (leaving the upload as it was), a placed upload that did not commit goes on without
 * touching the blob, a damaged stored copy is replaced by the next placing, and removal
 * works.  The filesystem driver's recovery of staged blobs when it opens is tested here too.
 */
#include "blob/blob.h"
#include "test.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/haven-blob-test-XXXXXX";

static hv_blob_store *open_store(hv_ctx *ctx) {
    hv_blob_store *s = NULL;
    CHECK_INT(hv_blob_fs_open(&s, ctx, root), HV_OK);
    return s;
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

/* How many entries folder name of the store holds. */
static int entries(const char *name) {
    char path[512];
    struct dirent *e;
    int n = 0;
    DIR *d;

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

    CHECK_INT(hv_blob_open(&r, s, ctx, digest, &size), HV_OK);
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

static void count_upload(const char *uuid, int64_t mtime_ms, void *payload) {
    (void)uuid;
    (void)mtime_ms;
    (*(int *)payload)++;
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

/* Overwrites the stored copy of digest with as many other bytes. */
static void damage(const char *digest, size_t size) {
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/blobs/sha256/%.2s/%s", root, digest + 7, digest + 7);
    f = fopen(path, "r+");
    CHECK(f != NULL);
    for (size_t i = 0; f && i < size; i++)
        fputc('#', f);
    if (f)
        fclose(f);
}

/* Writes a file into folder name of the store. */
static void plant(const char *name, const char *file, const char *data) {
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s/%s", root, name, file);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(data, f);
        fclose(f);
    }
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
    hv_blob_store *s = open_store(&ctx);
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
    CHECK(stat(path, &before) == 0);
    CHECK_INT(hv_blob_stage_bytes(&st, s, &ctx, digest, data, strlen(data)), HV_OK);
    CHECK_INT(entries("staging"), 0);
    CHECK_INT(hv_blob_staged_place(st, &ctx), HV_OK);
    CHECK_INT(hv_blob_staged_finish(st, &ctx, true), HV_OK);
    CHECK(stat(path, &after) == 0);
    CHECK_INT(after.st_ino, before.st_ino);
    check_stored(s, &ctx, digest, data);
    CHECK_INT(hv_blob_remove(s, &ctx, digest), HV_OK);
    hv_blob_close(s);
    hv_arena_free(ctx.arena);
}

static void setup(void) {
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
          test_stage_bytes_of_a_stored_copy_writes_nothing, teardown)
