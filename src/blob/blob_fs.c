/*
 * The filesystem blob driver.
 *
 *   <root>/blobs/sha256/<2 hex>/<64 hex>   committed blobs, never modified
 *   <root>/uploads/<uuid>                  uploads in progress (and temporary puts)
 *
 * Durability: an upload is fdatasync'ed before its commit, renamed into place (atomic on
 * one filesystem) and the target directory fsync'ed, so once commit returns the blob
 * survives a crash, and a crash before that leaves only an upload file for the purge.
 *
 * Integrity: an upload has one writer at a time, held by an exclusive OFD lock on its file
 * from hv_blob_upload_open to close; another writer is refused at once, never queued (it
 * would hold a server thread).  A commit renames over a stored copy of the same digest, so
 * a verified upload repairs a damaged one; a put compares the stored bytes first.
 */
#include "blob/blob_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fs_store {
    hv_blob_store base;
    char *root;
} fs_store;

typedef struct fs_writer {
    hv_blob_writer base;
    int fd;
} fs_writer;

#define PATH_LEN 4096

static hv_err io_fail(hv_ctx *ctx, const char *what, const char *path) {
    return HV_FAIL(ctx, HV_E_IO, "storage error: %s %s: %s", what, path, strerror(errno));
}

static void blob_path(char out[PATH_LEN], fs_store *s, const char *digest) {
    const char *hex = digest + 7; /* "sha256:" checked by the caller */
    snprintf(out, PATH_LEN, "%s/blobs/sha256/%.2s/%s", s->root, hex, hex);
}

static void upload_path(char out[PATH_LEN], fs_store *s, const char *uuid) {
    snprintf(out, PATH_LEN, "%s/uploads/%s", s->root, uuid);
}

static int fsync_dir(const char *path) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

static int mkdir_p(const char *path) {
    char tmp[PATH_LEN];
    size_t len = strlen(path);

    if (len >= sizeof(tmp))
        return -1;
    memcpy(tmp, path, len + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static hv_err fs_stat(hv_blob_store *bs, hv_ctx *ctx, const char *digest, uint64_t *size) {
    char path[PATH_LEN];
    struct stat st;

    blob_path(path, (fs_store *)bs, digest);
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return HV_FAIL(ctx, HV_E_BLOB_UNKNOWN, "blob %s is not stored", digest);
        return io_fail(ctx, "stat", path);
    }
    *size = (uint64_t)st.st_size;
    return HV_OK;
}

static hv_err fs_open(hv_blob_store *bs, hv_ctx *ctx, const char *digest, int *fd, uint64_t *size) {
    char path[PATH_LEN];
    struct stat st;
    int f;

    blob_path(path, (fs_store *)bs, digest);
    f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0) {
        if (errno == ENOENT)
            return HV_FAIL(ctx, HV_E_BLOB_UNKNOWN, "blob %s is not stored", digest);
        return io_fail(ctx, "open", path);
    }
    if (fstat(f, &st) != 0) {
        close(f);
        return io_fail(ctx, "stat", path);
    }
    *fd = f;
    *size = (uint64_t)st.st_size;
    return HV_OK;
}

/* Renames src into place as blob digest and makes the rename durable. */
static hv_err place(fs_store *s, hv_ctx *ctx, const char *src, const char *digest) {
    char path[PATH_LEN], dir[PATH_LEN];
    struct stat st;

    blob_path(path, s, digest);
    snprintf(dir, sizeof(dir), "%s/blobs/sha256/%.2s", s->root, digest + 7);
    if (stat(dir, &st) != 0) {
        char parent[PATH_LEN];
        if (mkdir_p(dir) != 0)
            return io_fail(ctx, "mkdir", dir);
        snprintf(parent, sizeof(parent), "%s/blobs/sha256", s->root);
        if (fsync_dir(parent) != 0)
            return io_fail(ctx, "fsync", parent);
    }
    if (rename(src, path) != 0)
        return io_fail(ctx, "rename", path);
    if (fsync_dir(dir) != 0)
        return io_fail(ctx, "fsync", dir);
    return HV_OK;
}

/* Writes all n bytes; -1 (errno set) on failure. */
static int write_all(int fd, const void *data, size_t n) {
    const char *p = data;

    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Whether blob digest is stored with exactly these n bytes. */
static bool stored_as(fs_store *s, const char *digest, const char *data, size_t n) {
    char path[PATH_LEN], block[16384];
    struct stat st;
    size_t at = 0;
    bool same;
    int fd;

    blob_path(path, s, digest);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    same = fstat(fd, &st) == 0 && (uint64_t)st.st_size == n;
    while (same && at < n) {
        ssize_t r = read(fd, block, n - at < sizeof(block) ? n - at : sizeof(block));
        if (r < 0 && errno == EINTR)
            continue;
        same = r > 0 && memcmp(block, data + at, (size_t)r) == 0;
        at += same ? (size_t)r : 0;
    }
    close(fd);
    return same;
}

static hv_err fs_put(hv_blob_store *bs, hv_ctx *ctx, const char *digest, const void *data,
                     size_t n) {
    fs_store *s = (fs_store *)bs;
    char tmp[PATH_LEN], uuid[37];
    int fd;

    /* content-addressed, but a stored copy is only trusted once its bytes are compared:
     * one that differs (damaged) is replaced below.  Manifests are small; a read is cheaper
     * than the write and two syncs it saves. */
    if (stored_as(s, digest, data, n))
        return HV_OK;
    hv_uuid(uuid);
    snprintf(tmp, sizeof(tmp), "%s/uploads/.put-%s", s->root, uuid);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return io_fail(ctx, "create", tmp);
    if (write_all(fd, data, n) != 0) {
        io_fail(ctx, "write", tmp);
        goto fail;
    }
    if (fdatasync(fd) != 0) {
        io_fail(ctx, "fsync", tmp);
        goto fail;
    }
    close(fd);
    fd = -1;
    if (place(s, ctx, tmp, digest) != HV_OK)
        goto fail;
    return HV_OK;
fail:
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return ctx->err.code;
}

static hv_err fs_remove(hv_blob_store *bs, hv_ctx *ctx, const char *digest) {
    char path[PATH_LEN];

    blob_path(path, (fs_store *)bs, digest);
    if (unlink(path) != 0 && errno != ENOENT)
        return io_fail(ctx, "remove", path);
    return HV_OK;
}

static hv_err fs_upload_open(hv_blob_store *bs, hv_ctx *ctx, const char *uuid, bool create,
                             hv_blob_writer **out) {
    /* an OFD lock belongs to this open file, not to the process: it shuts out the other
     * threads of this daemon as well as other processes, and goes when the file is closed,
     * however the request (or the process) ends */
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    char path[PATH_LEN];
    fs_writer *w;
    int fd;

    upload_path(path, (fs_store *)bs, uuid);
    fd = open(path, O_WRONLY | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0 && errno == ENOENT && !create)
        return HV_FAIL(ctx, HV_E_BLOB_UPLOAD_UNKNOWN, "upload %s is not known", uuid);
    if (fd < 0)
        return io_fail(ctx, "open", path);
    if (fcntl(fd, F_OFD_SETLK, &lock) != 0) {
        int busy = errno == EAGAIN || errno == EACCES;
        hv_err rc = busy ? HV_FAIL(ctx, HV_E_RANGE,
                                   "upload %s is taking a chunk from another request; once that "
                                   "is answered, ask where the upload ends (GET) and send the "
                                   "chunk that starts there",
                                   uuid)
                         : io_fail(ctx, "lock", path);
        close(fd);
        return rc;
    }
    w = hv_calloc(1, sizeof(*w));
    w->base.store = bs;
    w->fd = fd;
    *out = &w->base;
    return HV_OK;
}

static hv_err fs_at(hv_blob_writer *bw, hv_ctx *ctx, uint64_t offset) {
    fs_writer *w = (fs_writer *)bw;
    struct stat st;

    if (fstat(w->fd, &st) != 0)
        return HV_FAIL(ctx, HV_E_IO, "storage error: stat of an upload: %s", strerror(errno));
    if ((uint64_t)st.st_size < offset)
        return HV_FAIL(ctx, HV_E_RANGE,
                       "the upload holds %lld bytes but %llu were acknowledged; start it again",
                       (long long)st.st_size, (unsigned long long)offset);
    if ((uint64_t)st.st_size > offset && ftruncate(w->fd, (off_t)offset) != 0)
        return HV_FAIL(ctx, HV_E_IO, "storage error: truncating an upload: %s", strerror(errno));
    if (lseek(w->fd, (off_t)offset, SEEK_SET) < 0)
        return HV_FAIL(ctx, HV_E_IO, "storage error: seeking in an upload: %s", strerror(errno));
    return HV_OK;
}

static hv_err fs_write(hv_blob_writer *bw, hv_ctx *ctx, const void *data, size_t n) {
    fs_writer *w = (fs_writer *)bw;

    if (write_all(w->fd, data, n) != 0)
        return HV_FAIL(ctx, HV_E_IO, "storage error: writing an upload: %s", strerror(errno));
    return HV_OK;
}

static hv_err fs_sync(hv_blob_writer *bw, hv_ctx *ctx) {
    fs_writer *w = (fs_writer *)bw;

    if (fdatasync(w->fd) != 0)
        return HV_FAIL(ctx, HV_E_IO, "storage error: syncing an upload: %s", strerror(errno));
    return HV_OK;
}

static void fs_close(hv_blob_writer *bw) {
    fs_writer *w = (fs_writer *)bw;

    close(w->fd); /* releases the lock */
    free(w);
}

static hv_err fs_upload_commit(hv_blob_store *bs, hv_ctx *ctx, const char *uuid,
                               const char *digest) {
    char path[PATH_LEN];

    upload_path(path, (fs_store *)bs, uuid);
    return place((fs_store *)bs, ctx, path, digest);
}

static hv_err fs_upload_remove(hv_blob_store *bs, hv_ctx *ctx, const char *uuid) {
    char path[PATH_LEN];

    upload_path(path, (fs_store *)bs, uuid);
    if (unlink(path) != 0 && errno != ENOENT)
        return io_fail(ctx, "remove", path);
    return HV_OK;
}

static hv_err fs_upload_list(hv_blob_store *bs, hv_ctx *ctx,
                             void (*fn)(const char *uuid, int64_t mtime_ms, void *payload),
                             void *payload) {
    fs_store *s = (fs_store *)bs;
    char dir[PATH_LEN];
    struct dirent *e;
    DIR *d;

    snprintf(dir, sizeof(dir), "%s/uploads", s->root);
    d = opendir(dir);
    if (!d)
        return io_fail(ctx, "list", dir);
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
            continue;
        fn(e->d_name, (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000, payload);
    }
    closedir(d);
    return HV_OK;
}

static void fs_free(hv_blob_store *bs) {
    fs_store *s = (fs_store *)bs;
    free(s->root);
    free(s);
}

static const hv_blob_driver fs_driver = {
    .name = "filesystem",
    .stat = fs_stat,
    .open = fs_open,
    .put = fs_put,
    .remove = fs_remove,
    .upload_open = fs_upload_open,
    .at = fs_at,
    .write = fs_write,
    .sync = fs_sync,
    .close = fs_close,
    .upload_commit = fs_upload_commit,
    .upload_remove = fs_upload_remove,
    .upload_list = fs_upload_list,
    .free = fs_free,
};

hv_err hv_blob_fs_open(hv_blob_store **out, hv_ctx *ctx, const char *root) {
    fs_store *s;
    char path[PATH_LEN];

    snprintf(path, sizeof(path), "%s/blobs/sha256", root);
    if (mkdir_p(path) != 0)
        return io_fail(ctx, "create", path);
    snprintf(path, sizeof(path), "%s/uploads", root);
    if (mkdir_p(path) != 0)
        return io_fail(ctx, "create", path);
    s = hv_calloc(1, sizeof(*s));
    s->base.driver = &fs_driver;
    s->root = hv_strdup(root);
    *out = &s->base;
    return HV_OK;
}
