/*
 * The filesystem blob driver.
 *
 *   <root>/blobs/sha256/<2 hex>/<64 hex>   stored blobs, never modified in place
 *   <root>/staging/<64 hex>.<uuid>         staged blobs: durable bytes awaiting a transaction
 *   <root>/uploads/<uuid>                  uploads in progress
 *
 * Durability: staging makes the bytes and their staged name durable, then fsyncs staging/:
 * an upload, fdatasync'ed by its writer, is hard-linked there; small content is written under
 * a hidden name, fdatasync'ed and renamed there, so that a staged name always holds whole,
 * verified bytes.  Placing renames the staged name over the blob's, atomic on one filesystem,
 * and syncs nothing; a committed finish fsyncs the blob's directory.  A crash before that may
 * lose the rename but never the staged name, and opening the store renames every staged name
 * into place (over a stored copy too: the staged bytes were verified, the stored ones perhaps
 * not) and removes hidden leftovers.  The 256 blob directories are made when the store opens,
 * so that staging seldom has to make one.
 *
 * Integrity: an upload has one writer at a time, held by an exclusive OFD lock on its file
 * from hv_blob_upload_open to close; another writer is refused at once, never queued (it
 * would hold a server thread).  Placing renames over a stored copy of the same digest, so a
 * verified upload repairs a damaged one; staging small content compares the stored bytes
 * first.  A placed upload shares its file with the blob until a committed finish removes the
 * upload's name; when the transaction does not commit (or a crash comes first), the upload's
 * next writer goes on in a copy (unshare()), so that writing to an upload never changes a
 * blob.
 */
#include "blob/blob_int.h"

#include <assert.h>
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
    char uuid[64];
} fs_writer;

typedef struct fs_staged {
    hv_blob_staged base;
    bool noop;   /* the stored copy has these bytes already: nothing is staged */
    bool upload; /* staged from upload uuid, whose name a committed finish removes */
    bool placed;
    char uuid[64]; /* of the staged name */
    char digest[HV_DIGEST_MAX];
} fs_staged;

#define PATH_LEN 4096

static hv_err io_fail(hv_ctx *ctx, const char *what, const char *path) {
    return HV_FAIL(ctx, HV_E_IO, "storage error: %s %s: %s", what, path, strerror(errno));
}

static void blob_path(char out[PATH_LEN], fs_store *s, const char *digest) {
    const char *hex = digest + 7; /* "sha256:" checked by the caller */
    snprintf(out, PATH_LEN, "%s/blobs/sha256/%.2s/%s", s->root, hex, hex);
}

static void blob_dir(char out[PATH_LEN], fs_store *s, const char *digest) {
    snprintf(out, PATH_LEN, "%s/blobs/sha256/%.2s", s->root, digest + 7);
}

static void upload_path(char out[PATH_LEN], fs_store *s, const char *uuid) {
    snprintf(out, PATH_LEN, "%s/uploads/%s", s->root, uuid);
}

static void staged_path(char out[PATH_LEN], fs_store *s, const char *digest, const char *uuid) {
    snprintf(out, PATH_LEN, "%s/staging/%s.%s", s->root, digest + 7, uuid);
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

typedef struct fs_reader {
    hv_blob_reader base;
    int fd;
} fs_reader;

static hv_err fs_open(hv_blob_reader **out, hv_blob_store *bs, hv_ctx *ctx, const char *digest,
                      uint64_t size, uint64_t from) {
    char path[PATH_LEN];
    struct stat st;
    fs_reader *r;
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
    (void)from;
    if ((uint64_t)st.st_size != size) {
        close(f);
        return HV_FAIL(ctx, HV_E_IO, "storage error: blob %s has %llu bytes in %s, not %llu",
                       digest, (unsigned long long)st.st_size, path, (unsigned long long)size);
    }
    r = hv_calloc(1, sizeof(*r));
    r->base.store = bs;
    r->fd = f;
    *out = &r->base;
    return HV_OK;
}

static hv_err fs_read(hv_blob_reader *br, hv_ctx *ctx, uint64_t offset, void *buf, size_t n,
                      size_t *got) {
    fs_reader *r = (fs_reader *)br;
    ssize_t k;

    assert(r->fd >= 0);
    do
        k = pread(r->fd, buf, n, (off_t)offset);
    while (k < 0 && errno == EINTR);
    if (k < 0)
        return HV_FAIL(ctx, HV_E_IO, "storage error: reading a blob: %s", strerror(errno));
    *got = (size_t)k;
    return HV_OK;
}

static int fs_take_fd(hv_blob_reader *br) {
    fs_reader *r = (fs_reader *)br;
    int fd = r->fd;

    r->fd = -1;
    return fd;
}

static void fs_reader_close(hv_blob_reader *br) {
    fs_reader *r = (fs_reader *)br;

    if (r->fd >= 0)
        close(r->fd);
    free(r);
}

static hv_err fs_get(char **out, size_t *len, hv_blob_store *bs, hv_ctx *ctx, const char *digest,
                     size_t max) {
    char path[PATH_LEN], *buf = NULL;
    struct stat st;
    size_t at = 0;
    hv_err rc = HV_OK;
    int fd;

    blob_path(path, (fs_store *)bs, digest);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return HV_FAIL(ctx, HV_E_BLOB_UNKNOWN, "blob %s is not stored", digest);
        return io_fail(ctx, "open", path);
    }
    if (fstat(fd, &st) != 0) {
        rc = io_fail(ctx, "stat", path);
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        rc = HV_FAIL(ctx, HV_E_TOO_LARGE, "blob %s has more than %zu bytes", digest, max);
        goto out;
    }
    buf = hv_malloc((size_t)st.st_size + 1);
    while (at < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + at, (size_t)st.st_size - at);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            rc = k < 0 ? io_fail(ctx, "read", path)
                       : HV_FAIL(ctx, HV_E_IO, "storage error: %s ended early", path);
            goto out;
        }
        at += (size_t)k;
    }
    buf[at] = '\0';
    *out = buf;
    *len = at;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return rc;
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
    assert(strlen(uuid) < sizeof(w->uuid));
    fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
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
    snprintf(w->uuid, sizeof(w->uuid), "%s", uuid);
    *out = &w->base;
    return HV_OK;
}

/*
 * The upload's file is a blob's too: a completion placed it, then its transaction did not
 * commit (COMMIT failed, or the server stopped and opening the store placed it).  Writing to
 * it would change that blob, so the upload goes on in a copy of its first keep bytes, locked
 * before it takes the upload's name so that no other writer gets in between.  Rare, hence a
 * plain copy.
 */
static hv_err unshare(fs_writer *w, hv_ctx *ctx, uint64_t keep) {
    fs_store *s = (fs_store *)w->base.store;
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    char tmp[PATH_LEN], path[PATH_LEN], dir[PATH_LEN];
    size_t block = 1 << 20;
    char *buf = hv_malloc(block);
    uint64_t at = 0;
    hv_err rc = HV_OK;
    int fd;

    snprintf(tmp, sizeof(tmp), "%s/uploads/.copy-%s", s->root, w->uuid);
    upload_path(path, s, w->uuid);
    snprintf(dir, sizeof(dir), "%s/uploads", s->root);
    fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = io_fail(ctx, "create", tmp);
        goto out;
    }
    if (fcntl(fd, F_OFD_SETLK, &lock) != 0) {
        rc = io_fail(ctx, "lock", tmp);
        goto out;
    }
    while (rc == HV_OK && at < keep) {
        ssize_t r = pread(w->fd, buf, keep - at < block ? (size_t)(keep - at) : block, (off_t)at);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            errno = EIO; /* shorter than fstat said */
        if (r <= 0)
            rc = io_fail(ctx, "read", path);
        else if (write_all(fd, buf, (size_t)r) != 0)
            rc = io_fail(ctx, "write", tmp);
        else
            at += (uint64_t)r;
    }
    if (rc == HV_OK && fdatasync(fd) != 0)
        rc = io_fail(ctx, "fsync", tmp);
    if (rc == HV_OK && rename(tmp, path) != 0)
        rc = io_fail(ctx, "rename", path);
    if (rc == HV_OK && fsync_dir(dir) != 0)
        rc = io_fail(ctx, "fsync", dir);
out:
    free(buf);
    if (rc) {
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        return rc;
    }
    close(w->fd); /* the blob's file, and the lock on it: the copy's lock holds the upload */
    w->fd = fd;
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
    if (st.st_nlink > 1) {
        hv_err rc = unshare(w, ctx, offset);
        if (rc)
            return rc;
    } else if ((uint64_t)st.st_size > offset && ftruncate(w->fd, (off_t)offset) != 0)
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

/* Makes directory path, and that durable, unless it is there; -1 (errno set) on failure. */
static int make_dir(const char *path, const char *parent) {
    if (mkdir(path, 0755) == 0)
        return fsync_dir(parent);
    return errno == EEXIST ? 0 : -1;
}

/* Makes sure blob digest's directory is there, so that placing needs no sync for it. */
static hv_err blob_dir_ready(fs_store *s, hv_ctx *ctx, const char *digest) {
    char dir[PATH_LEN], parent[PATH_LEN];

    blob_dir(dir, s, digest);
    snprintf(parent, sizeof(parent), "%s/blobs/sha256", s->root);
    if (make_dir(dir, parent) != 0)
        return io_fail(ctx, "mkdir", dir);
    return HV_OK;
}

static hv_err sync_staging(fs_store *s, hv_ctx *ctx) {
    char dir[PATH_LEN];

    snprintf(dir, sizeof(dir), "%s/staging", s->root);
    if (fsync_dir(dir) != 0)
        return io_fail(ctx, "fsync", dir);
    return HV_OK;
}

static fs_staged *staged_new(fs_store *s, const char *digest, const char *uuid) {
    fs_staged *st = hv_calloc(1, sizeof(*st));

    assert(strlen(uuid) < sizeof(st->uuid) && strlen(digest) < sizeof(st->digest));
    st->base.store = &s->base;
    snprintf(st->uuid, sizeof(st->uuid), "%s", uuid);
    snprintf(st->digest, sizeof(st->digest), "%s", digest);
    return st;
}

static hv_err fs_stage_upload(hv_blob_staged **out, hv_blob_store *bs, hv_ctx *ctx,
                              const char *uuid, const char *digest) {
    fs_store *s = (fs_store *)bs;
    char from[PATH_LEN], to[PATH_LEN];
    fs_staged *st;
    hv_err rc;

    rc = blob_dir_ready(s, ctx, digest);
    if (rc)
        return rc;
    upload_path(from, s, uuid);
    staged_path(to, s, digest, uuid);
    /* a second name, not a move: until the transaction commits the file is the session's */
    if (link(from, to) != 0)
        return io_fail(ctx, "link", to);
    rc = sync_staging(s, ctx);
    if (rc) {
        unlink(to);
        return rc;
    }
    st = staged_new(s, digest, uuid);
    st->upload = true;
    *out = &st->base;
    return HV_OK;
}

static hv_err fs_stage_bytes(hv_blob_staged **out, hv_blob_store *bs, hv_ctx *ctx,
                             const char *digest, const void *data, size_t n) {
    fs_store *s = (fs_store *)bs;
    char tmp[PATH_LEN], to[PATH_LEN], uuid[37];
    fs_staged *st;
    hv_err rc = HV_OK;
    int fd;

    /* content-addressed, but a stored copy is only trusted once its bytes are compared: one
     * that differs (damaged) is replaced when placed.  Manifests are small; a read is cheaper
     * than the write and the syncs it saves. */
    if (stored_as(s, digest, data, n)) {
        st = staged_new(s, digest, "");
        st->noop = true;
        *out = &st->base;
        return HV_OK;
    }
    rc = blob_dir_ready(s, ctx, digest);
    if (rc)
        return rc;
    hv_uuid(uuid);
    snprintf(tmp, sizeof(tmp), "%s/staging/.%s", s->root, uuid);
    staged_path(to, s, digest, uuid);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return io_fail(ctx, "create", tmp);
    if (write_all(fd, data, n) != 0)
        rc = io_fail(ctx, "write", tmp);
    else if (fdatasync(fd) != 0)
        rc = io_fail(ctx, "fsync", tmp);
    close(fd);
    if (rc == HV_OK && rename(tmp, to) != 0)
        rc = io_fail(ctx, "rename", to);
    if (rc == HV_OK)
        rc = sync_staging(s, ctx);
    if (rc) {
        unlink(tmp);
        unlink(to);
        return rc;
    }
    st = staged_new(s, digest, uuid);
    *out = &st->base;
    return HV_OK;
}

static hv_err fs_place(hv_blob_staged *bst, hv_ctx *ctx) {
    fs_staged *st = (fs_staged *)bst;
    fs_store *s = (fs_store *)bst->store;
    char from[PATH_LEN], to[PATH_LEN];

    if (st->noop)
        return HV_OK;
    staged_path(from, s, st->digest, st->uuid);
    blob_path(to, s, st->digest);
    if (rename(from, to) != 0)
        return io_fail(ctx, "rename", to);
    st->placed = true;
    return HV_OK;
}

static hv_err fs_finish(hv_blob_staged *bst, hv_ctx *ctx, bool committed) {
    fs_staged *st = (fs_staged *)bst;
    fs_store *s = (fs_store *)bst->store;
    char path[PATH_LEN];
    hv_err rc = HV_OK;

    assert(!committed || st->placed || st->noop);
    if (committed && !st->noop) {
        blob_dir(path, s, st->digest);
        if (fsync_dir(path) != 0)
            rc = io_fail(ctx, "fsync", path);
    }
    if (!st->noop) {
        /* gone once placed, unless rename(2) found it naming the blob's file already */
        staged_path(path, s, st->digest, st->uuid);
        unlink(path);
    }
    if (committed && st->upload) {
        upload_path(path, s, st->uuid);
        unlink(path); /* else the purge removes it: its session is gone */
    }
    free(st);
    return rc;
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
    .version = HV_BLOB_DRIVER_VERSION,
    .name = "filesystem",
    .stat = fs_stat,
    .open = fs_open,
    .read = fs_read,
    .take_fd = fs_take_fd,
    .reader_close = fs_reader_close,
    .get = fs_get,
    .remove = fs_remove,
    .upload_open = fs_upload_open,
    .at = fs_at,
    .write = fs_write,
    .sync = fs_sync,
    .close = fs_close,
    .stage_upload = fs_stage_upload,
    .stage_bytes = fs_stage_bytes,
    .place = fs_place,
    .finish = fs_finish,
    .upload_remove = fs_upload_remove,
    .upload_list = fs_upload_list,
    .free = fs_free,
};

/* Whether name is a staged one: <64 lowercase hex>.<uuid>. */
static bool is_staged_name(const char *name) {
    for (int i = 0; i < 64; i++) {
        if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
            return false;
    }
    return name[64] == '.' && name[65] != '\0';
}

/* Places every blob a crash left staged (its transaction may have committed) and removes the
 * hidden leftovers of staging small content. */
static hv_err recover(fs_store *s, hv_ctx *ctx) {
    char dir[PATH_LEN], from[PATH_LEN], to[PATH_LEN], bdir[PATH_LEN], digest[HV_DIGEST_MAX];
    hv_err rc = HV_OK;
    struct dirent *e;
    DIR *d;

    snprintf(dir, sizeof(dir), "%s/staging", s->root);
    d = opendir(dir);
    if (!d)
        return io_fail(ctx, "list", dir);
    while (rc == HV_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(from, sizeof(from), "%s/staging/%s", s->root, e->d_name);
        if (!is_staged_name(e->d_name)) {
            unlink(from);
            continue;
        }
        snprintf(digest, sizeof(digest), "sha256:%.64s", e->d_name);
        hv_log(HV_LOG_INFO, "placing blob %s, staged by a push that was cut short", digest);
        blob_path(to, s, digest);
        blob_dir(bdir, s, digest);
        if (rename(from, to) != 0)
            rc = io_fail(ctx, "rename", to);
        else if (fsync_dir(bdir) != 0)
            rc = io_fail(ctx, "fsync", bdir);
    }
    closedir(d);
    return rc;
}

/* The store's struct, without touching the folders. */
static fs_store *fs_new(const char *root) {
    fs_store *s = hv_calloc(1, sizeof(*s));

    hv_blob__init(&s->base, &fs_driver);
    s->root = hv_strdup(root);
    return s;
}

hv_err hv_blob_fs_open(hv_blob_store **out, hv_ctx *ctx, const char *root) {
    char path[PATH_LEN], parent[PATH_LEN];
    bool made = false;
    fs_store *s;
    hv_err rc;

    snprintf(parent, sizeof(parent), "%s/blobs/sha256", root);
    if (mkdir_p(parent) != 0)
        return io_fail(ctx, "create", parent);
    for (int i = 0; i < 256; i++) {
        snprintf(path, sizeof(path), "%s/blobs/sha256/%02x", root, i);
        if (mkdir(path, 0755) == 0)
            made = true;
        else if (errno != EEXIST)
            return io_fail(ctx, "create", path);
    }
    if (made && fsync_dir(parent) != 0)
        return io_fail(ctx, "fsync", parent);
    snprintf(path, sizeof(path), "%s/uploads", root);
    if (mkdir_p(path) != 0)
        return io_fail(ctx, "create", path);
    snprintf(path, sizeof(path), "%s/staging", root);
    if (make_dir(path, root) != 0)
        return io_fail(ctx, "create", path);
    s = fs_new(root);
    rc = recover(s, ctx);
    if (rc) {
        fs_free(&s->base);
        return rc;
    }
    *out = &s->base;
    return HV_OK;
}

hv_err hv_blob_fs_open_readonly(hv_blob_store **out, hv_ctx *ctx, const char *root) {
    char path[PATH_LEN];
    struct stat st;

    snprintf(path, sizeof(path), "%s/blobs/sha256", root);
    if (stat(path, &st) != 0)
        return io_fail(ctx, "open", path);
    *out = &fs_new(root)->base;
    return HV_OK;
}
