/*
 * The blob-store contract, run against every driver (today: filesystem).  A driver passes
 * when committed blobs read back byte for byte, an upload is invisible until committed,
 * reopening an upload at an offset cuts off unacknowledged bytes, an upload has one writer
 * at a time, a damaged stored copy is replaced by the next put or commit, and removal
 * works.
 */
#include "blob/blob.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char root[] = "/tmp/haven-blob-test-XXXXXX";

static hv_blob_store *open_store(hv_ctx *ctx) {
    hv_blob_store *s = NULL;
    CHECK_INT(hv_blob_fs_open(&s, ctx, root), HV_OK);
    return s;
}

static void read_all(int fd, char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
}

static void test_put_and_open(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_blob_store *s = open_store(&ctx);
    const char data[] = "hello, blob";
    char digest[HV_DIGEST_MAX], back[sizeof(data)];
    uint64_t size = 0;
    int fd = -1;

    hv_sha256_digest(digest, data, sizeof(data) - 1);
    CHECK_INT(hv_blob_stat(s, &ctx, digest, &size), HV_E_BLOB_UNKNOWN);
    CHECK_INT(hv_blob_put(s, &ctx, digest, data, sizeof(data) - 1), HV_OK);
    CHECK_INT(hv_blob_put(s, &ctx, digest, data, sizeof(data) - 1), HV_OK); /* idempotent */
    CHECK_INT(hv_blob_stat(s, &ctx, digest, &size), HV_OK);
    CHECK_INT(size, sizeof(data) - 1);
    CHECK_INT(hv_blob_open(s, &ctx, digest, &fd, &size), HV_OK);
    memset(back, 0, sizeof(back));
    read_all(fd, back, sizeof(data) - 1);
    close(fd);
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
    int fd, uploads = 0;

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
    CHECK_INT(hv_blob_upload_commit(s, &ctx, uuid, digest), HV_OK);
    CHECK_INT(hv_blob_open(s, &ctx, digest, &fd, &size), HV_OK);
    CHECK_INT(size, 6);
    read_all(fd, back, 6);
    close(fd);
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

static void check_stored(hv_blob_store *s, hv_ctx *ctx, const char *digest, const char *want) {
    char back[64] = {0};
    uint64_t size;
    int fd;

    CHECK_INT(hv_blob_open(s, ctx, digest, &fd, &size), HV_OK);
    CHECK_INT(size, strlen(want));
    read_all(fd, back, strlen(want));
    close(fd);
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
    CHECK_INT(hv_blob_put(s, &ctx, digest, data, strlen(data)), HV_OK);
    damage(digest, strlen(data));
    CHECK_INT(hv_blob_put(s, &ctx, digest, data, strlen(data)), HV_OK);
    check_stored(s, &ctx, digest, data);

    damage(digest, strlen(data));
    hv_uuid(uuid);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, true, &w), HV_OK);
    CHECK_INT(hv_blob_writer_at(w, &ctx, 0), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, data, strlen(data)), HV_OK);
    CHECK_INT(hv_blob_writer_sync(w, &ctx), HV_OK);
    CHECK_INT(hv_blob_upload_commit(s, &ctx, uuid, digest), HV_OK);
    hv_blob_writer_close(w);
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
          test_damaged_copy_is_replaced, teardown)
