/*
 * dpkg's database: var/lib/dpkg/status (RFC 822 stanzas, one per package, separated by blank
 * lines; a field's continuation lines start with a space or tab) and var/lib/dpkg/status.d/<name>
 * (distroless: one stanza per file, *.md5sums beside them).  A package counts when its
 * Status says "installed" (status.d stanzas may have no Status: they are installed).  Its
 * source is Source ("name" or "name (version)"), else the binary package itself.
 */
#include "scan/scan_int.h"

#include <string.h>

bool hv_scan__dpkg_wants(const char *path, uint32_t mode, uint64_t size) {
    const char *rest;

    (void)mode;
    (void)size;
    if (strcmp(path, "var/lib/dpkg/status") == 0)
        return true;
    if (!hv_str_has_prefix(path, "var/lib/dpkg/status.d/"))
        return false;
    rest = path + strlen("var/lib/dpkg/status.d/");
    return *rest && !strchr(rest, '/') && !strstr(rest, ".md5sums");
}

typedef struct stanza {
    const char *package, *status, *version, *arch, *source;
    size_t package_len, status_len, version_len, arch_len, source_len;
    bool any;
} stanza;

static const char *trim(const char *s, size_t *len) {
    while (*len && (*s == ' ' || *s == '\t')) {
        s++;
        (*len)--;
    }
    while (*len && (s[*len - 1] == ' ' || s[*len - 1] == '\t' || s[*len - 1] == '\r'))
        (*len)--;
    return s;
}

static char *dup(hv_ctx *ctx, const char *s, size_t len) {
    return s ? hv_arena_strndup(ctx->arena, s, len) : NULL;
}

static hv_err emit(hv_scan_pkgs *out, hv_ctx *ctx, const stanza *st, bool need_status) {
    hv_scan_pkg p = {.eco = HV_ECO_DEBIAN};
    char *status, *source;

    if (!st->any)
        return HV_OK;
    if (!st->package || !st->version)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a stanza lacks %s",
                       st->package ? "Version" : "Package");
    if (st->status) {
        /* "want flag status": the third word */
        status = dup(ctx, st->status, st->status_len);
        const char *third = strrchr(status, ' ');
        if (!third || strcmp(third + 1, "installed") != 0)
            return HV_OK;
    } else if (need_status) {
        return HV_OK;
    }
    p.name = dup(ctx, st->package, st->package_len);
    p.version = dup(ctx, st->version, st->version_len);
    p.arch = dup(ctx, st->arch, st->arch_len);
    if (st->source) {
        source = dup(ctx, st->source, st->source_len);
        char *paren = strchr(source, '(');
        if (paren) {
            char *end = strchr(paren, ')');
            size_t vlen = end ? (size_t)(end - paren - 1) : strlen(paren + 1);
            const char *v = trim(paren + 1, &vlen);
            p.src_version = dup(ctx, v, vlen);
            size_t nlen = (size_t)(paren - source);
            const char *name = trim(source, &nlen);
            p.src_name = dup(ctx, name, nlen);
        } else {
            p.src_name = source;
        }
    }
    hv_scan_pkgs_add(out, ctx, &p);
    return HV_OK;
}

hv_err hv_scan__dpkg_parse(hv_scan_pkgs *out, hv_ctx *ctx, const char *path,
                           const unsigned char *data, size_t len) {
    const char *s = (const char *)data, *end = s + len;
    bool need_status = strcmp(path, "var/lib/dpkg/status") == 0;
    stanza st = {0};
    hv_err rc;

    if (memchr(data, '\0', len))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a NUL byte: not a dpkg database");
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t line = nl ? (size_t)(nl - s) : (size_t)(end - s);
        const char *colon;
        size_t vlen;

        if (line == 0 || (line == 1 && s[0] == '\r')) {
            rc = emit(out, ctx, &st, need_status);
            if (rc)
                return rc;
            memset(&st, 0, sizeof(st));
        } else if (s[0] != ' ' && s[0] != '\t') {
            colon = memchr(s, ':', line);
            if (!colon)
                return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a line without a field name: %.*s",
                               (int)(line > 40 ? 40 : line), s);
            size_t name = (size_t)(colon - s);
            vlen = line - name - 1;
            const char *v = trim(colon + 1, &vlen);
            st.any = true;
#define FIELD(f, n)                                                                                \
    if (name == strlen(n) && strncasecmp(s, n, name) == 0) {                                       \
        st.f = v;                                                                                  \
        st.f##_len = vlen;                                                                         \
    }
            FIELD(package, "Package")
            FIELD(status, "Status")
            FIELD(version, "Version")
            FIELD(arch, "Architecture")
            FIELD(source, "Source")
#undef FIELD
        }
        s += line + (nl ? 1 : 0);
    }
    return emit(out, ctx, &st, need_status);
}
