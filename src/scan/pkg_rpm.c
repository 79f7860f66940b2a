/*
 * rpm's database, in two of its formats: rpmdb.sqlite (rpm >= 4.16: var/lib/rpm,
 * usr/lib/sysimage/rpm, usr/share/rpm), opened from memory with sqlite3_deserialize, whose
 * Packages table holds a header blob per row; and NDB's Packages.db (SUSE), read here:
 *
 *   16-byte header (le32 magic "RpmP", version 0, generation, slot pages), 16 bytes more,
 *   then slot pages × 4096 bytes of 16-byte slots (le32 magic "Slot", package index, block
 *   offset, block count; index 0: a free slot); a package's blob is at block offset × 16:
 *   le32 magic "BlbS", package index, checksum, length, then the header blob.
 *
 * and Berkeley DB's hash Packages (older Red Hat releases; little-endian files, as every
 * such image is), read as go-rpmdb does: every hash page's data items are header blobs,
 * inline or, as rpm's always are, on a chain of overflow pages.
 *
 * Each header blob is parsed here:
 *
 *   be32 il (index entries), be32 dl (data bytes), il × {be32 tag, type, offset, count},
 *   then dl bytes of data that the entries point into.
 *
 * The tags read: NAME, VERSION, RELEASE, EPOCH, ARCH, SOURCERPM, LICENSE, VENDOR.  Every
 * offset and count is checked against the blob before it is used.  gpg-pubkey entries are
 * the keys rpm imported, no packages, and are left out.
 */
#include "scan/scan_int.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <string.h>

enum {
    TAG_NAME = 1000,
    TAG_VERSION = 1001,
    TAG_RELEASE = 1002,
    TAG_EPOCH = 1003,
    TAG_VENDOR = 1011,
    TAG_LICENSE = 1014,
    TAG_ARCH = 1022,
    TAG_SOURCERPM = 1044,
    TYPE_INT32 = 4,
    TYPE_STRING = 6,
    TYPE_STRING_ARRAY = 8,
    TYPE_I18NSTRING = 9,
};

#define HEADER_ENTRIES_MAX 0x10000
#define HEADER_DATA_MAX    (256u << 20)

#define NDB_SLOT_PAGES_MAX 2048

bool hv_scan__rpm_wants(const char *path, uint32_t mode, uint64_t size) {
    (void)mode;
    (void)size;
    return strcmp(path, "var/lib/rpm/rpmdb.sqlite") == 0 ||
           strcmp(path, "usr/lib/sysimage/rpm/rpmdb.sqlite") == 0 ||
           strcmp(path, "usr/share/rpm/rpmdb.sqlite") == 0 ||
           strcmp(path, "var/lib/rpm/Packages.db") == 0 ||
           strcmp(path, "usr/lib/sysimage/rpm/Packages.db") == 0 ||
           strcmp(path, "var/lib/rpm/Packages") == 0 ||
           strcmp(path, "usr/lib/sysimage/rpm/Packages") == 0;
}

static uint32_t le32(const unsigned char *p) {
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct header {
    const unsigned char *index, *data;
    uint32_t il, dl;
} header;

/* The entry of tag, or NULL. */
static const unsigned char *entry(const header *h, uint32_t tag) {
    for (uint32_t i = 0; i < h->il; i++) {
        if (be32(h->index + 16 * i) == tag)
            return h->index + 16 * i;
    }
    return NULL;
}

static const char *string(const header *h, hv_ctx *ctx, uint32_t tag) {
    const unsigned char *e = entry(h, tag);
    uint32_t type, off;
    const unsigned char *nul;

    if (!e)
        return NULL;
    type = be32(e + 4);
    off = be32(e + 8);
    if ((type != TYPE_STRING && type != TYPE_STRING_ARRAY && type != TYPE_I18NSTRING) ||
        off >= h->dl)
        return NULL;
    nul = memchr(h->data + off, '\0', h->dl - off);
    if (!nul)
        return NULL;
    return hv_arena_strndup(ctx->arena, (const char *)h->data + off, (size_t)(nul - h->data - off));
}

static bool int32(const header *h, uint32_t tag, uint32_t *out) {
    const unsigned char *e = entry(h, tag);
    uint32_t off;

    if (!e || be32(e + 4) != TYPE_INT32 || be32(e + 12) < 1)
        return false;
    off = be32(e + 8);
    if (off > h->dl || h->dl - off < 4 || off % 4)
        return false;
    *out = be32(h->data + off);
    return true;
}

/* "bash-5.1.8-6.el9.src.rpm" → name "bash", version "5.1.8-6.el9" (epoch prefixed). */
static void source(hv_scan_pkg *p, hv_ctx *ctx, const char *srpm, const char *epoch) {
    size_t len = strlen(srpm);
    char *s, *rel, *ver;

    if (len > 8 && strcmp(srpm + len - 8, ".src.rpm") == 0)
        len -= 8;
    else if (len > 10 && strcmp(srpm + len - 10, ".nosrc.rpm") == 0)
        len -= 10;
    else
        return;
    s = hv_arena_strndup(ctx->arena, srpm, len);
    rel = strrchr(s, '-');
    if (!rel)
        return;
    *rel = '\0';
    ver = strrchr(s, '-');
    if (!ver)
        return;
    *ver = '\0';
    p->src_name = s;
    p->src_version = epoch ? hv_arena_printf(ctx->arena, "%s:%s-%s", epoch, ver + 1, rel + 1)
                           : hv_arena_printf(ctx->arena, "%s-%s", ver + 1, rel + 1);
}

static hv_err header_parse(hv_scan_pkgs *out, hv_ctx *ctx, const unsigned char *blob, size_t len) {
    header h;
    hv_scan_pkg p = {.eco = HV_ECO_RPM};
    const char *version, *release, *srpm, *epoch = NULL;
    uint32_t e;

    if (len < 8)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a header of %zu bytes", len);
    h.il = be32(blob);
    h.dl = be32(blob + 4);
    if (h.il > HEADER_ENTRIES_MAX || h.dl > HEADER_DATA_MAX || 8 + 16 * (uint64_t)h.il + h.dl > len)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "a header of %" PRIu32 " entries and %" PRIu32
                       " data bytes does not fit in %zu bytes",
                       h.il, h.dl, len);
    h.index = blob + 8;
    h.data = h.index + 16 * (size_t)h.il;
    p.name = string(&h, ctx, TAG_NAME);
    version = string(&h, ctx, TAG_VERSION);
    release = string(&h, ctx, TAG_RELEASE);
    if (!p.name || !version)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a header without %s", p.name ? "VERSION" : "NAME");
    if (strcmp(p.name, "gpg-pubkey") == 0)
        return HV_OK;
    if (int32(&h, TAG_EPOCH, &e))
        epoch = hv_arena_printf(ctx->arena, "%" PRIu32, e);
    p.version = hv_arena_printf(ctx->arena, "%s%s%s%s%s", epoch ? epoch : "", epoch ? ":" : "",
                                version, release ? "-" : "", release ? release : "");
    p.arch = string(&h, ctx, TAG_ARCH);
    p.license = string(&h, ctx, TAG_LICENSE);
    srpm = string(&h, ctx, TAG_SOURCERPM);
    if (srpm)
        source(&p, ctx, srpm, epoch);
    hv_scan_pkgs_add(out, ctx, &p);
    return HV_OK;
}

static hv_err ndb_parse(hv_scan_pkgs *out, hv_ctx *ctx, const unsigned char *data, size_t len) {
    uint32_t pages;
    size_t slots;

    if (len < 32 || le32(data + 4) != 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "an NDB database of an unknown version");
    pages = le32(data + 12);
    if (pages == 0 || pages > NDB_SLOT_PAGES_MAX || (uint64_t)pages * 4096 > len)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "an NDB database of %" PRIu32 " slot pages in %zu bytes", pages, len);
    slots = (size_t)pages * 4096 / 16 - 2; /* the first two slots' room is the header's */
    for (size_t i = 0; i < slots; i++) {
        const unsigned char *slot = data + 32 + 16 * i, *blob;
        uint32_t pkg = le32(slot + 4);
        uint64_t off = (uint64_t)le32(slot + 8) * 16, n;
        hv_err rc;

        if (memcmp(slot, "Slot", 4) != 0)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "NDB slot %zu is damaged", i);
        if (pkg == 0)
            continue;
        if (off > len || len - off < 16)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "NDB package %" PRIu32 " lies past the file",
                           pkg);
        blob = data + off;
        n = le32(blob + 12);
        if (memcmp(blob, "BlbS", 4) != 0 || le32(blob + 4) != pkg || n > len - off - 16)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "NDB package %" PRIu32 "'s blob is damaged", pkg);
        rc = header_parse(out, ctx, blob + 16, (size_t)n);
        if (rc)
            return rc;
    }
    return HV_OK;
}

enum {
    BDB_HASH_MAGIC = 0x061561,
    BDB_PAGE_HEADER = 26,
    BDB_P_HASH_UNSORTED = 2,
    BDB_P_OVERFLOW = 7,
    BDB_P_HASH = 13,
    BDB_H_KEYDATA = 1,
    BDB_H_OFFPAGE = 3,
};

static uint16_t le16(const unsigned char *p) {
    return (uint16_t)(p[1] << 8 | p[0]);
}

/* The bytes of an overflow chain from page pgno, of tlen bytes in all (arena). */
static hv_err bdb_chain(const unsigned char **out, hv_ctx *ctx, const unsigned char *data,
                        size_t len, uint32_t psize, uint32_t pgno, uint32_t tlen) {
    unsigned char *buf;
    size_t got = 0, hops = 0, pages = len / psize;

    if (tlen > HEADER_DATA_MAX || tlen > len)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a Berkeley DB item of %" PRIu32 " bytes", tlen);
    buf = hv_arena_alloc(ctx->arena, tlen + 1);
    while (got < tlen) {
        const unsigned char *pg;
        size_t n;

        if (pgno == 0 || pgno >= pages || ++hops > pages)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a Berkeley DB overflow chain is broken");
        pg = data + (size_t)pgno * psize;
        if (pg[25] != BDB_P_OVERFLOW)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "page %" PRIu32 " is no overflow page", pgno);
        n = le16(pg + 22); /* the bytes this page holds */
        if (n > psize - BDB_PAGE_HEADER || n > tlen - got)
            n = tlen - got < psize - BDB_PAGE_HEADER ? tlen - got : psize - BDB_PAGE_HEADER;
        memcpy(buf + got, pg + BDB_PAGE_HEADER, n);
        got += n;
        pgno = le32(pg + 16);
    }
    *out = buf;
    return HV_OK;
}

static hv_err bdb_parse(hv_scan_pkgs *out, hv_ctx *ctx, const unsigned char *data, size_t len) {
    uint32_t psize = le32(data + 20), last;

    if (psize < 512 || psize > 65536 || (psize & (psize - 1)) || len < psize)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a Berkeley DB page size of %" PRIu32, psize);
    last = le32(data + 32);
    if ((uint64_t)last + 1 > len / psize)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a Berkeley DB of %" PRIu32 " pages is cut short",
                       last + 1);
    for (uint32_t p = 1; p <= last; p++) {
        const unsigned char *pg = data + (size_t)p * psize;
        uint16_t entries = le16(pg + 20);

        if (pg[25] != BDB_P_HASH && pg[25] != BDB_P_HASH_UNSORTED)
            continue;
        if (BDB_PAGE_HEADER + 2 * (size_t)entries > psize)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "page %" PRIu32 " has too many entries", p);
        for (uint16_t i = 1; i < entries; i += 2) { /* key, data, key, data… */
            uint16_t off = le16(pg + BDB_PAGE_HEADER + 2 * i);
            uint16_t end = le16(pg + BDB_PAGE_HEADER + 2 * (i - 1)); /* items grow downwards */
            const unsigned char *blob;
            size_t n;
            hv_err rc;

            if (off < BDB_PAGE_HEADER + 2 * entries || off >= psize || end > psize || end <= off)
                return HV_FAIL(ctx, HV_E_BAD_REQUEST, "page %" PRIu32 " item %u is damaged", p, i);
            if (pg[off] == BDB_H_OFFPAGE) {
                if (end - off < 12)
                    return HV_FAIL(ctx, HV_E_BAD_REQUEST, "page %" PRIu32 " item %u is cut short",
                                   p, i);
                n = le32(pg + off + 8);
                rc = bdb_chain(&blob, ctx, data, len, psize, le32(pg + off + 4), (uint32_t)n);
            } else if (pg[off] == BDB_H_KEYDATA) {
                blob = pg + off + 1;
                n = (size_t)(end - off - 1);
                rc = HV_OK;
            } else {
                continue; /* duplicates: rpm keeps none */
            }
            if (!rc)
                rc = header_parse(out, ctx, blob, n);
            if (rc)
                return rc;
        }
    }
    return HV_OK;
}

hv_err hv_scan__rpm_parse(hv_scan_pkgs *out, hv_ctx *ctx, const char *path,
                          const unsigned char *data, size_t len) {
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    unsigned char *copy;
    hv_err rc = HV_OK;
    int r;

    (void)path;
    if (len >= 4 && memcmp(data, "RpmP", 4) == 0)
        return ndb_parse(out, ctx, data, len);
    if (len >= 512 && le32(data + 12) == BDB_HASH_MAGIC)
        return bdb_parse(out, ctx, data, len);
    if (len < 100 || memcmp(data, "SQLite format 3", 16) != 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "not an rpm database (SQLite, NDB, or a little-endian Berkeley DB hash)");
    /* the copy is SQLite's to free; a WAL database is read as a rollback one, since its
     * bytes are all there is (rpm checkpoints on close) */
    copy = sqlite3_malloc64(len);
    if (!copy)
        abort();
    memcpy(copy, data, len);
    copy[18] = copy[19] = 1;
    if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        abort();
    r = sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
                            SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY);
    if (r == SQLITE_OK)
        r = sqlite3_prepare_v2(db, "SELECT blob FROM Packages", -1, &st, NULL);
    if (r != SQLITE_OK) {
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "not an rpm database: %s", sqlite3_errmsg(db));
        goto out;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *blob = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);

        rc = header_parse(out, ctx, blob, blob ? (size_t)n : 0);
        if (rc)
            goto out;
    }
    if (r != SQLITE_DONE)
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "reading its Packages table: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rc;
}
