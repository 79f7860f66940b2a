/*
 * The blob-store contract, run against every driver (today: filesystem).  A driver passes
 * when committed blobs read back byte for byte, an upload is invisible until committed,
 * reopening an upload at an offset cuts off unacknowledged bytes, and removal works.
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
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, 0, &w), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, "abc", 3), HV_OK);
    CHECK_INT(hv_blob_writer_close(w, &ctx, true), HV_OK);
    /* bytes written past the acknowledged offset (a crash mid-chunk) are cut off */
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, 3, &w), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, "XYZXYZ", 6), HV_OK);
    CHECK_INT(hv_blob_writer_close(w, &ctx, false), HV_OK);
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, 3, &w), HV_OK);
    CHECK_INT(hv_blob_write(w, &ctx, "def", 3), HV_OK);
    CHECK_INT(hv_blob_writer_close(w, &ctx, true), HV_OK);
    /* an offset beyond what is stored means lost bytes */
    CHECK_INT(hv_blob_upload_open(s, &ctx, uuid, 100, &w), HV_E_RANGE);
    hv_error_clear(&ctx);
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

TEST_MAIN(setup, test_put_and_open, test_upload_lifecycle, teardown)
