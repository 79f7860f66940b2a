/*
 * The vulnerability database: import and opening.
 *
 * Where it lives.  data_dir/vulndb.sqlite is a symbolic link to one generation,
 * data_dir/vulndb/<time>-<random>.sqlite.  An import writes a new generation from scratch
 * in one transaction, then points the link at it with rename(2), which is atomic: a reader
 * opens the generation the link names then and keeps it (its WAL files are named after it,
 * so they never meet another generation's), and the import removes older generations,
 * whose open files stay readable until closed.  An import that fails leaves the link as it
 * was.  One import runs at a time (data_dir/vulndb/lock).
 *
 * Why a file of its own rather than tables of the metadata database: the data is public,
 * rebuilt whole from its feeds at every update (hundreds of thousands of rows), and read
 * only by the scanner.  Kept apart it needs no migrations, no backups, no
 * copying by `havend migrate`, and updating it never holds the metadata's single SQLite
 * writer lock for the seconds an import takes.  In scale-out every node keeps its own copy
 * in its data directory and updates it from the same feed; scans read it locally.
 *
 * Reading.  Records are parsed one at a time, each in an arena of its own, whatever the
 * size of the input: an OSV zip is read entry by entry through libarchive, the Debian
 * tracker's single JSON object is cut into one object per source package by a small
 * scanner of JSON's nesting (split_*), and a secdb file (a few hundred kilobytes) is read
 * whole.  No record may pass HV_SCAN__RECORD_MAX.
 */
#include "scan/vulndb_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

hv_err hv_scan__store(hv_scan__import *imp, const hv_scan__advisory *adv) {
    hv_err rc = hv_model_vulndb_put(imp->ctx, &adv->rec);

    for (size_t i = 0; rc == HV_OK && i < adv->n_affected; i++)
        rc = hv_model_vulndb_put_affected(imp->ctx, &adv->affected[i]);
    if (rc == HV_OK) {
        imp->stats->records++;
        imp->stats->affected += (int64_t)adv->n_affected;
    }
    return rc;
}

/* A context for one record: the import's database, an arena of its own. */
static hv_ctx record_ctx(const hv_ctx *base) {
    hv_ctx r = *base;

    r.arena = hv_arena_new();
    hv_error_clear(&r);
    return r;
}

/* Ends a record's context: a malformed record is logged and counted; any other error goes
 * up to the import's context and stops it. */
static hv_err record_done(hv_ctx *base, hv_ctx *r, hv_scan_vulndb_stats *stats, hv_err rc,
                          const char *where) {
    if (rc == HV_E_BAD_REQUEST) {
        hv_log(HV_LOG_WARN, "vulndb import: %s: %s; record skipped", where, r->err.message);
        stats->malformed++;
        rc = HV_OK;
    } else if (rc) {
        base->err = r->err;
    }
    hv_arena_free(r->arena);
    return rc;
}

static hv_err osv_record(hv_ctx *ctx, hv_scan_vulndb_stats *stats, const char *where,
                         const char *data, size_t len) {
    hv_ctx r = record_ctx(ctx);
    hv_scan__import imp = {&r, stats};
    hv_scan__advisory adv;
    hv_err rc = hv_scan__osv_parse(&adv, &r, data, len);

    if (rc == HV_OK && adv.withdrawn)
        stats->withdrawn++;
    else if (rc == HV_OK)
        rc = hv_scan__store(&imp, &adv);
    return record_done(ctx, &r, stats, rc, where);
}

/* Reads a whole file into b (at most b->max bytes). */
static hv_err read_file(hv_buf *b, hv_ctx *ctx, const char *path) {
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    hv_err rc = HV_OK;

    if (!f)
        return HV_FAIL(ctx, HV_E_IO, "cannot open %s: %s", path, strerror(errno));
    while (rc == HV_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (hv_buf_append(b, chunk, n) != HV_OK)
            rc = HV_FAIL(ctx, HV_E_TOO_LARGE, "%s is larger than %u MiB", path,
                         HV_SCAN__RECORD_MAX >> 20);
    }
    if (rc == HV_OK && ferror(f))
        rc = HV_FAIL(ctx, HV_E_IO, "cannot read %s: %s", path, strerror(errno));
    fclose(f);
    return rc;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static hv_err osv_zip(hv_ctx *ctx, hv_scan_vulndb_stats *stats, const char *path) {
    struct archive *ar = archive_read_new();
    struct archive_entry *e;
    hv_buf b;
    hv_err rc = HV_OK;
    int r;

    hv_buf_init(&b, HV_SCAN__RECORD_MAX);
    archive_read_support_format_zip(ar);
    if (archive_read_open_filename(ar, path, 65536) != ARCHIVE_OK) {
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: not a zip archive: %s", path,
                     archive_error_string(ar));
        goto out;
    }
    while ((r = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
        const char *name = archive_entry_pathname(e);
        char chunk[65536];
        la_ssize_t n;
        bool big = false;

        if (archive_entry_filetype(e) != AE_IFREG || !name || !ends_with(name, ".json"))
            continue;
        hv_buf_reset(&b);
        while ((n = archive_read_data(ar, chunk, sizeof(chunk))) > 0) {
            if (!big && hv_buf_append(&b, chunk, (size_t)n) != HV_OK)
                big = true; /* read on to the next entry */
        }
        if (n < 0) {
            rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: %s: %s", path, name, archive_error_string(ar));
            goto out;
        }
        if (big) {
            hv_log(HV_LOG_WARN, "vulndb import: %s: %s is larger than %u MiB; record skipped", path,
                   name, HV_SCAN__RECORD_MAX >> 20);
            stats->malformed++;
            continue;
        }
        char *where = hv_printf("%s: %s", path, name);

        rc = osv_record(ctx, stats, where, b.data ? b.data : "", b.len);
        free(where);
        if (rc)
            goto out;
    }
    if (r != ARCHIVE_EOF)
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: %s", path, archive_error_string(ar));
out:
    archive_read_free(ar);
    hv_buf_free(&b);
    return rc;
}

static hv_err osv_file(hv_ctx *ctx, hv_scan_vulndb_stats *stats, const char *path) {
    hv_buf b;
    hv_err rc;

    hv_buf_init(&b, HV_SCAN__RECORD_MAX);
    rc = read_file(&b, ctx, path);
    if (rc == HV_E_TOO_LARGE) {
        hv_log(HV_LOG_WARN, "vulndb import: %s; record skipped", ctx->err.message);
        hv_error_clear(ctx);
        stats->malformed++;
        rc = HV_OK;
    } else if (rc == HV_OK) {
        rc = osv_record(ctx, stats, path, b.data ? b.data : "", b.len);
    }
    hv_buf_free(&b);
    return rc;
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.json file of a directory, in name order. */
static hv_err osv_dir(hv_ctx *ctx, hv_scan_vulndb_stats *stats, const char *path) {
    DIR *d = opendir(path);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    hv_err rc = HV_OK;

    if (!d)
        return HV_FAIL(ctx, HV_E_IO, "cannot read the directory %s: %s", path, strerror(errno));
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || !ends_with(de->d_name, ".json"))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = hv_realloc(names, cap * sizeof(*names));
        }
        names[n++] = hv_printf("%s/%s", path, de->d_name);
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), name_cmp);
    for (size_t i = 0; i < n; i++) {
        if (rc == HV_OK)
            rc = osv_file(ctx, stats, names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

static hv_err osv_source(hv_ctx *ctx, hv_scan_vulndb_stats *stats, const char *path) {
    struct stat st;
    char magic[4] = {0};
    FILE *f;

    if (stat(path, &st) != 0)
        return HV_FAIL(ctx, HV_E_IO, "cannot read %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return osv_dir(ctx, stats, path);
    f = fopen(path, "rb");
    if (!f)
        return HV_FAIL(ctx, HV_E_IO, "cannot open %s: %s", path, strerror(errno));
    if (fread(magic, 1, sizeof(magic), f) != sizeof(magic))
        magic[0] = 0;
    fclose(f);
    if (memcmp(magic, "PK\3\4", 4) == 0 || memcmp(magic, "PK\5\6", 4) == 0)
        return osv_zip(ctx, stats, path);
    return osv_file(ctx, stats, path);
}

/* ---------------------------------------------------------------- Debian tracker */

/* Cuts a JSON object {k1: v1, k2: v2, …} arriving in chunks into {k1: v1}, {k2: v2}, …
 * without holding more than one member. */
typedef struct split {
    int depth;
    bool in_str, esc, started, done;
    hv_buf member; /* "{" and the member's text so far */
    long line;
} split;

static hv_err debian_member(hv_ctx *ctx, hv_scan_vulndb_stats *stats, const char *path, split *s) {
    hv_ctx r = record_ctx(ctx);
    hv_scan__import imp = {&r, stats};
    json_error_t jerr;
    json_t *doc;
    const char *package = NULL;
    json_t *cves = NULL;
    hv_err rc = hv_buf_append(&s->member, "}", 1);
    char where[64];

    snprintf(where, sizeof(where), "the member ending on line %ld", s->line);
    if (rc) {
        rc = HV_FAIL(&r, HV_E_BAD_REQUEST, "too large");
        return record_done(ctx, &r, stats, rc, where);
    }
    doc = json_loadb(s->member.data, s->member.len, 0, &jerr);
    json_object_foreach(doc, package, cves) {
        break;
    }
    if (!doc || !package)
        rc =
            HV_FAIL(&r, HV_E_BAD_REQUEST, "%s: not JSON (%s)", path, doc ? "no member" : jerr.text);
    else
        rc = hv_scan__debian_package(&imp, package, cves);
    json_decref(doc);
    hv_buf_reset(&s->member);
    return record_done(ctx, &r, stats, rc, where);
}

static hv_err debian_feed(hv_ctx *ctx, hv_scan_vulndb_stats *stats, const char *path, split *s,
                          const char *p, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        hv_err rc;

        if (c == '\n')
            s->line++;
        if (s->done || !s->started) {
            if (isspace((unsigned char)c))
                continue;
            if (s->done || c != '{')
                return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                               "%s: line %ld: the Debian tracker's JSON is one object", path,
                               s->line);
            s->started = true;
            s->depth = 1;
            continue;
        }
        if (!s->in_str && s->depth == 1 && (c == ',' || c == '}')) {
            if (s->member.len > 1) {
                rc = debian_member(ctx, stats, path, s);
                if (rc)
                    return rc;
            }
            if (hv_buf_append(&s->member, "{", 1) != HV_OK)
                return HV_FAIL(ctx, HV_E_INTERNAL, "cannot start a member");
            s->done = c == '}';
            continue;
        }
        if (s->in_str) {
            if (s->esc)
                s->esc = false;
            else if (c == '\\')
                s->esc = true;
            else if (c == '"')
                s->in_str = false;
        } else if (c == '"') {
            s->in_str = true;
        } else if (c == '{' || c == '[') {
            s->depth++;
        } else if (c == '}' || c == ']') {
            s->depth--;
        }
        if (s->member.max == s->member.len) /* a member past the limit: keep scanning */
            continue;
        if (hv_buf_append(&s->member, &c, 1) != HV_OK)
            s->member.max = s->member.len;
    }
    return HV_OK;
}

static hv_err debian_source(hv_ctx *ctx, hv_scan_vulndb_stats *stats, const char *path) {
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t n;
    split s = {.line = 1};
    hv_err rc = HV_OK;

    if (!f)
        return HV_FAIL(ctx, HV_E_IO, "cannot open %s: %s", path, strerror(errno));
    hv_buf_init(&s.member, HV_SCAN__RECORD_MAX);
    if (hv_buf_append(&s.member, "{", 1) != HV_OK)
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "cannot start a member");
    while (rc == HV_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = debian_feed(ctx, stats, path, &s, chunk, n);
    if (rc == HV_OK && ferror(f))
        rc = HV_FAIL(ctx, HV_E_IO, "cannot read %s: %s", path, strerror(errno));
    if (rc == HV_OK && !s.done)
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: the JSON object ends early (line %ld)", path,
                     s.line);
    fclose(f);
    hv_buf_free(&s.member);
    return rc;
}

static hv_err alpine_source(hv_ctx *ctx, hv_scan_vulndb_stats *stats, const char *path) {
    hv_ctx r = record_ctx(ctx);
    hv_scan__import imp = {&r, stats};
    json_error_t jerr;
    json_t *doc = NULL;
    hv_buf b;
    hv_err rc;

    hv_buf_init(&b, HV_SCAN__RECORD_MAX);
    rc = read_file(&b, &r, path);
    if (rc == HV_OK) {
        doc = json_loadb(b.data ? b.data : "", b.len, 0, &jerr);
        if (!json_is_object(doc))
            rc = HV_FAIL(&r, HV_E_BAD_REQUEST, "%s: not a JSON object (%s, line %d)", path,
                         doc ? "another value" : jerr.text, jerr.line);
    }
    if (rc == HV_OK)
        rc = hv_scan__alpine_secdb(&imp, path, doc);
    json_decref(doc);
    hv_buf_free(&b);
    if (rc)
        ctx->err = r.err; /* a secdb that is not one stops the import */
    hv_arena_free(r.arena);
    return rc;
}

/* ---------------------------------------------------------------- generations */

static const char *format_names[] = {"osv", "debian", "alpine"};

static int lock_imports(hv_ctx *ctx, const char *dir) {
    char *path = hv_printf("%s/lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

    free(path);
    if (fd < 0) {
        HV_FAIL(ctx, HV_E_IO, "cannot create %s/lock: %s", dir, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        HV_FAIL(ctx, HV_E_UNAVAILABLE, "another import of the vulnerability database is running");
        return -1;
    }
    return fd;
}

/* Removes every generation but keep (and their WAL files). */
static void remove_old(const char *dir, const char *keep) {
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t k = strlen(keep);

    if (!d)
        return;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "lock") == 0 ||
            strncmp(de->d_name, keep, k) == 0)
            continue;
        if (unlinkat(dirfd(d), de->d_name, 0) != 0)
            hv_log(HV_LOG_WARN, "vulndb: cannot remove %s/%s: %s", dir, de->d_name,
                   strerror(errno));
    }
    closedir(d);
}

static hv_err fill(hv_ctx *ctx, hv_scan_vulndb_stats *stats, const hv_scan_vulndb_source *src,
                   size_t n) {
    hv_buf sources;
    char now[32];
    hv_err rc = hv_model_vulndb_schema(ctx);

    hv_buf_init(&sources, 1 << 20);
    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        if (src[i].format == HV_VULNDB_OSV)
            rc = osv_source(ctx, stats, src[i].path);
        else if (src[i].format == HV_VULNDB_DEBIAN)
            rc = debian_source(ctx, stats, src[i].path);
        else
            rc = alpine_source(ctx, stats, src[i].path);
        if (rc == HV_OK && hv_buf_appendf(&sources, "%s%s:%s", i ? ", " : "",
                                          format_names[src[i].format], src[i].path) != HV_OK)
            rc = HV_FAIL(ctx, HV_E_TOO_LARGE, "too many sources");
    }
    hv_time_format(now, hv_now_ms());
    if (rc == HV_OK)
        rc = hv_model_vulndb_meta_set(ctx, "updated_at", now);
    if (rc == HV_OK)
        rc = hv_model_vulndb_meta_set(ctx, "sources", sources.data ? sources.data : "");
    hv_buf_free(&sources);
    return rc;
}

hv_err hv_scan_vulndb_import(hv_scan_vulndb_stats *out, hv_ctx *ctx, const char *data_dir,
                             const hv_scan_vulndb_source *sources, size_t n_sources) {
    char *dir = hv_printf("%s/vulndb", data_dir), *gen = NULL, *path = NULL, *tmp = NULL;
    char *link = hv_printf("%s/vulndb.sqlite", data_dir);
    unsigned char rnd[4];
    char hex[9];
    hv_ctx ictx = *ctx;
    hv_db *db = NULL;
    int lock = -1;
    hv_err rc = HV_OK;

    memset(out, 0, sizeof(*out));
    if ((mkdir(data_dir, 0700) != 0 && errno != EEXIST) ||
        (mkdir(dir, 0755) != 0 && errno != EEXIST)) {
        rc = HV_FAIL(ctx, HV_E_IO, "cannot create %s: %s", dir, strerror(errno));
        goto out;
    }
    lock = lock_imports(ctx, dir);
    if (lock < 0) {
        rc = ctx->err.code;
        goto out;
    }
    hv_random(rnd, sizeof(rnd));
    hv_hex(hex, rnd, sizeof(rnd));
    gen = hv_printf("%013lld-%s.sqlite", (long long)hv_now_ms(), hex);
    path = hv_printf("%s/%s", dir, gen);
    rc = hv_db_open(&db, ctx, path);
    if (rc)
        goto out;
    ictx.db = db;
    rc = hv_db_begin(db, &ictx);
    if (rc == HV_OK)
        rc = fill(&ictx, out, sources, n_sources);
    if (rc == HV_OK)
        rc = hv_db_commit(db, &ictx);
    if (rc) {
        hv_db_rollback(db);
        ctx->err = ictx.err;
        goto out;
    }
    hv_db_close(db); /* checkpoints: the generation is one file from here */
    db = NULL;
    tmp = hv_printf("%s/.vulndb.sqlite.new", data_dir);
    unlink(tmp);
    char *target = hv_printf("vulndb/%s", gen);
    int r = symlink(target, tmp);

    free(target);
    if (r != 0 || rename(tmp, link) != 0) {
        rc =
            HV_FAIL(ctx, HV_E_IO, "cannot point %s at the new database: %s", link, strerror(errno));
        goto out;
    }
    remove_old(dir, gen);
out:
    hv_db_close(db);
    if (rc && path) {
        static const char *const files[] = {"", "-wal", "-shm"};

        for (size_t i = 0; i < 3; i++) {
            char *f = hv_printf("%s%s", path, files[i]);

            unlink(f);
            free(f);
        }
    }
    if (lock >= 0)
        close(lock);
    free(dir);
    free(gen);
    free(path);
    free(tmp);
    free(link);
    return rc;
}

hv_err hv_scan_vulndb_open(hv_scan_vulndb **out, hv_ctx *ctx, const char *data_dir) {
    char *link = hv_printf("%s/vulndb.sqlite", data_dir);
    char real[PATH_MAX];
    hv_db *db = NULL;
    hv_err rc;

    *out = NULL;
    if (!realpath(link, real)) {
        rc = HV_FAIL(ctx, errno == ENOENT ? HV_E_NOT_FOUND : HV_E_IO,
                     "no vulnerability database in %s (%s): import one with havend vulndb import",
                     data_dir, strerror(errno));
        free(link);
        return rc;
    }
    free(link);
    rc = hv_db_open(&db, ctx, real);
    if (rc)
        return rc;
    *out = hv_calloc(1, sizeof(**out));
    (*out)->db = db;
    return HV_OK;
}

void hv_scan_vulndb_close(hv_scan_vulndb *db) {
    if (!db)
        return;
    hv_db_close(db->db);
    free(db);
}

hv_err hv_scan_vulndb_status_get(hv_scan_vulndb_status *out, hv_ctx *ctx, hv_scan_vulndb *db) {
    hv_ctx vctx = *ctx;
    hv_err rc;

    vctx.db = db->db;
    memset(out, 0, sizeof(*out));
    rc = hv_model_vulndb_meta_get(&out->updated_at, &vctx, "updated_at");
    if (rc == HV_OK)
        rc = hv_model_vulndb_meta_get(&out->sources, &vctx, "sources");
    if (rc == HV_OK)
        rc = hv_model_vulndb_counts(&out->records, &out->affected, &vctx);
    if (rc)
        ctx->err = vctx.err;
    return rc;
}
