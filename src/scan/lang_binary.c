/*
 * Executable ELF files: the Go toolchain's build information and cargo-auditable's
 * dependency list, both read from the file's bytes without running anything.
 *
 * Go (debug/buildinfo's format): a 32-byte header "\xff Go buildinf:", pointer size, flags,
 * in section .go.buildinfo (or, with the section headers stripped, 16-byte aligned in the
 * first 64 KiB of the data segment).  Go >= 1.18 (flags bit 2) follows it with two
 * uvarint-length-prefixed strings, the Go version and the module information; older
 * toolchains put two pointers at offset 16 to Go string headers {data, len} in the image,
 * found through the PT_LOAD segments.  The module information, between 16-byte sentinels,
 * has tab-separated lines "mod path version sum", "dep path version sum", and "=> path
 * version sum" that replaces the line before it (unless it names a directory).
 *
 * Rust: cargo-auditable puts zlib-compressed JSON {"packages": [{"name", "version",
 * "source", "kind"}]} in section .dep-v0; build-time dependencies ("kind": "build") are not
 * in the binary and are left out, as are local crates.
 */
#include "scan/lang_int.h"

#include <string.h>
#include <zlib.h>

static const char go_magic[] = "\xff Go buildinf:";

/* One ELF file being read: all offsets checked against len before use. */
typedef struct elf {
    const unsigned char *d;
    size_t len;
    bool is64, be;
} elf;

static uint64_t rd(const elf *e, uint64_t off, unsigned n) {
    uint64_t v = 0;

    if (off > e->len || n > e->len - off)
        return 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)e->d[off + (e->be ? n - 1 - i : i)] << (8 * i);
    return v;
}

/* The word of the file's class at off. */
static uint64_t rdw(const elf *e, uint64_t off) {
    return rd(e, off, e->is64 ? 8 : 4);
}

/* Whether [off, off + n) lies inside the file. */
static bool inside(const elf *e, uint64_t off, uint64_t n) {
    return off <= e->len && n <= e->len - off;
}

/* The section named name: its file offset and size; false when there is none. */
static bool section(const elf *e, const char *name, uint64_t *off, uint64_t *size) {
    uint64_t shoff = rdw(e, e->is64 ? 0x28 : 0x20);
    unsigned entsize = (unsigned)rd(e, e->is64 ? 0x3a : 0x2e, 2);
    unsigned num = (unsigned)rd(e, e->is64 ? 0x3c : 0x30, 2);
    unsigned strndx = (unsigned)rd(e, e->is64 ? 0x3e : 0x32, 2);
    uint64_t stroff, strsize, nlen = strlen(name) + 1;

    if (entsize < (e->is64 ? 64u : 40u) || strndx >= num ||
        !inside(e, shoff, (uint64_t)entsize * num))
        return false;
    stroff = rdw(e, shoff + (uint64_t)strndx * entsize + (e->is64 ? 0x18 : 0x10));
    strsize = rdw(e, shoff + (uint64_t)strndx * entsize + (e->is64 ? 0x20 : 0x14));
    if (!inside(e, stroff, strsize))
        return false;
    for (unsigned i = 0; i < num; i++) {
        uint64_t sh = shoff + (uint64_t)i * entsize, nameoff = rd(e, sh, 4);
        uint32_t type = (uint32_t)rd(e, sh + 4, 4);
        if (nameoff >= strsize || strsize - nameoff < nlen ||
            memcmp(e->d + stroff + nameoff, name, nlen) != 0 || type == 8 /* SHT_NOBITS */)
            continue;
        *off = rdw(e, sh + (e->is64 ? 0x18 : 0x10));
        *size = rdw(e, sh + (e->is64 ? 0x20 : 0x14));
        return inside(e, *off, *size);
    }
    return false;
}

/* Program header i's type, flags, file offset, virtual address and file size. */
static bool segment(const elf *e, unsigned i, uint32_t *type, uint32_t *flags, uint64_t *off,
                    uint64_t *vaddr, uint64_t *filesz) {
    uint64_t phoff = rdw(e, e->is64 ? 0x20 : 0x1c);
    unsigned entsize = (unsigned)rd(e, e->is64 ? 0x36 : 0x2a, 2);
    unsigned num = (unsigned)rd(e, e->is64 ? 0x38 : 0x2c, 2);
    uint64_t ph = phoff + (uint64_t)i * entsize;

    if (i >= num || entsize < (e->is64 ? 56u : 32u) || !inside(e, ph, entsize))
        return false;
    *type = (uint32_t)rd(e, ph, 4);
    *flags = (uint32_t)rd(e, ph + (e->is64 ? 4 : 24), 4);
    *off = rdw(e, ph + (e->is64 ? 8 : 4));
    *vaddr = rdw(e, ph + (e->is64 ? 16 : 8));
    *filesz = rdw(e, ph + (e->is64 ? 32 : 16));
    return true;
}

/* The file offset of virtual address va with at least n bytes there, or UINT64_MAX. */
static uint64_t va_to_off(const elf *e, uint64_t va, uint64_t n) {
    uint32_t type, flags;
    uint64_t off, vaddr, filesz;

    for (unsigned i = 0; segment(e, i, &type, &flags, &off, &vaddr, &filesz); i++) {
        if (type != 1 /* PT_LOAD */ || va < vaddr || va - vaddr > filesz ||
            n > filesz - (va - vaddr) || !inside(e, off + (va - vaddr), n))
            continue;
        return off + (va - vaddr);
    }
    return UINT64_MAX;
}

/* The file offset of Go's buildinfo header, or UINT64_MAX. */
static uint64_t go_header(const elf *e) {
    uint64_t off, size;
    uint32_t type, flags;
    uint64_t vaddr;

    if (section(e, ".go.buildinfo", &off, &size))
        return size >= 32 && !memcmp(e->d + off, go_magic, 14) ? off : UINT64_MAX;
    /* no section headers: like Go's reader, the first 64 KiB of the data segment (the first
     * writable, not executable PT_LOAD) */
    for (unsigned i = 0; segment(e, i, &type, &flags, &off, &vaddr, &size); i++) {
        if (type != 1 || (flags & 3) != 2 /* PF_W, not PF_X */)
            continue;
        if (size > 65536)
            size = 65536;
        for (uint64_t at = 0; inside(e, off, size) && size >= 32 && at <= size - 32; at += 16)
            if (!memcmp(e->d + off + at, go_magic, 14))
                return off + at;
        break;
    }
    return UINT64_MAX;
}

/* A uvarint-prefixed string at *off (Go >= 1.18), advancing *off; false when cut short. */
static bool go_inline_string(const elf *e, uint64_t *off, const char **s, size_t *n) {
    uint64_t v = 0;
    unsigned shift = 0;

    for (;;) {
        unsigned char b;
        if (*off >= e->len || shift > 63)
            return false;
        b = e->d[(*off)++];
        v |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (!inside(e, *off, v))
        return false;
    *s = (const char *)e->d + *off;
    *n = (size_t)v;
    *off += v;
    return true;
}

/* The Go string whose header {data, len} is at virtual address va (the pre-1.18 form). */
static bool go_pointer_string(const elf *e, uint64_t va, unsigned psize, const char **s,
                              size_t *n) {
    uint64_t hdr = va_to_off(e, va, 2 * (uint64_t)psize), data, slen, off;

    if (hdr == UINT64_MAX)
        return false;
    data = rd(e, hdr, psize);
    slen = rd(e, hdr + psize, psize);
    off = va_to_off(e, data, slen);
    if (off == UINT64_MAX)
        return false;
    *s = (const char *)e->d + off;
    *n = (size_t)slen;
    return true;
}

/* Field i (from 0) of a tab-separated line, copied; "" when the line has fewer. */
static const char *field(hv_ctx *ctx, const char *line, unsigned i) {
    const char *end;

    for (; i > 0; i--) {
        line = strchr(line, '\t');
        if (!line)
            return "";
        line++;
    }
    end = strchr(line, '\t');
    return end ? hv_arena_strndup(ctx->arena, line, (size_t)(end - line)) : line;
}

static void go_modules(hv_scan_pkgs *out, hv_ctx *ctx, const char *path, const char *ver,
                       size_t vlen, const char *mod, size_t mlen) {
    const char *pos, *end, *name = NULL, *version = NULL;
    char *v = hv_arena_strndup(ctx->arena, ver, vlen), *line;

    /* the module information sits between two 16-byte sentinels */
    if (mlen >= 33 && mod[mlen - 17] == '\n') {
        pos = mod + 16;
        end = mod + mlen - 16;
        for (line = hv_scan__lang_line(ctx, &pos, end); line;
             line = hv_scan__lang_line(ctx, &pos, end)) {
            const char *tag = field(ctx, line, 0);
            if (!strcmp(tag, "mod") || !strcmp(tag, "dep")) {
                hv_scan__lang_add(out, ctx, HV_ECO_GO, name, version, NULL, path);
                name = field(ctx, line, 1);
                version = field(ctx, line, 2);
            } else if (!strcmp(tag, "=>") && name && !strchr("./", *field(ctx, line, 1))) {
                /* a module replaced by another; one replaced by a directory ("../dep",
                 * version "(devel)") keeps its own name and version */
                name = field(ctx, line, 1);
                version = field(ctx, line, 2);
            }
        }
        hv_scan__lang_add(out, ctx, HV_ECO_GO, name, version, NULL, path);
    }
    /* "go1.19.8", or "go1.22.0 X:boringcrypto" with experiments */
    if (hv_str_has_prefix(v, "go")) {
        v[strcspn(v, " ")] = '\0';
        hv_scan__lang_add(out, ctx, HV_ECO_GO, "stdlib", v + 2, NULL, path);
    }
}

static void go_binary(hv_scan_pkgs *out, hv_ctx *ctx, const char *path, const elf *e) {
    uint64_t hdr = go_header(e), off;
    const char *ver, *mod;
    size_t vlen, mlen;
    unsigned psize;
    elf ge = *e;

    if (hdr == UINT64_MAX || !inside(e, hdr, 32))
        return;
    psize = e->d[hdr + 14];
    ge.be = (e->d[hdr + 15] & 1) != 0;
    if (e->d[hdr + 15] & 2) {
        off = hdr + 32;
        if (!go_inline_string(e, &off, &ver, &vlen) || !go_inline_string(e, &off, &mod, &mlen))
            return;
    } else {
        if ((psize != 4 && psize != 8) ||
            !go_pointer_string(&ge, rd(&ge, hdr + 16, psize), psize, &ver, &vlen) ||
            !go_pointer_string(&ge, rd(&ge, hdr + 16 + psize, psize), psize, &mod, &mlen))
            return;
    }
    go_modules(out, ctx, path, ver, vlen, mod, mlen);
}

/* cargo-auditable's list; the JSON is inflated into at most limit bytes. */
static hv_err rust_binary(hv_scan_pkgs *out, hv_ctx *ctx, const char *path, const elf *e) {
    uint64_t off, size;
    size_t limit = e->len < (8u << 20) ? 4 * e->len + 4096 : 32u << 20;
    json_t *doc = NULL, *p;
    z_stream z = {0};
    hv_buf b;
    hv_err rc = HV_OK;
    size_t i;
    int zrc;

    if (!section(e, ".dep-v0", &off, &size))
        return HV_OK;
    hv_buf_init(&b, limit);
    if (inflateInit(&z) != Z_OK)
        return HV_FAIL(ctx, HV_E_INTERNAL, "zlib: cannot start inflating");
    z.next_in = (unsigned char *)e->d + off;
    z.avail_in = (uInt)size;
    do {
        unsigned char chunk[16384];
        z.next_out = chunk;
        z.avail_out = sizeof(chunk);
        zrc = inflate(&z, Z_NO_FLUSH);
        if (zrc != Z_OK && zrc != Z_STREAM_END) {
            rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: .dep-v0 is not zlib data", path);
            goto out;
        }
        rc = hv_buf_append(&b, chunk, sizeof(chunk) - z.avail_out);
        if (rc) {
            rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: .dep-v0 inflates past %zu bytes", path, limit);
            goto out;
        }
    } while (zrc != Z_STREAM_END && (z.avail_in > 0 || z.avail_out == 0));
    if (zrc != Z_STREAM_END) {
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: .dep-v0 is cut short", path);
        goto out;
    }
    rc = hv_scan__lang_json(&doc, ctx, path, (const unsigned char *)b.data, b.len);
    if (rc)
        goto out;
    json_array_foreach(json_object_get(doc, "packages"), i, p) {
        const char *kind = hv_scan__lang_jstr(p, "kind"), *source = hv_scan__lang_jstr(p, "source");
        if ((kind && strcmp(kind, "runtime") != 0) || !source || !strcmp(source, "local"))
            continue;
        hv_scan__lang_add(out, ctx, HV_ECO_CRATES_IO, hv_scan__lang_jstr(p, "name"),
                          hv_scan__lang_jstr(p, "version"), NULL, path);
    }
out:
    json_decref(doc);
    inflateEnd(&z);
    hv_buf_free(&b);
    return rc;
}

HV_SCAN__LANG_WANTS(hv_scan__binary_wants) {
    (void)path;
    return (mode & 0111) != 0 && size >= 52;
}

HV_SCAN__LANG_PARSE(hv_scan__binary_parse) {
    elf e = {.d = data, .len = len};

    /* executables that are not ELF (scripts) have nothing for this analyzer */
    if (len < 52 || memcmp(data,
                           "\x7f"
                           "ELF",
                           4) != 0)
        return HV_OK;
    if ((data[4] != 1 && data[4] != 2) || (data[5] != 1 && data[5] != 2))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: ELF of unknown class or byte order", path);
    e.is64 = data[4] == 2;
    e.be = data[5] == 2;
    if (e.is64 && len < 64)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: ELF header cut short", path);
    go_binary(out, ctx, path, &e);
    return rust_binary(out, ctx, path, &e);
}
