/*
 * apk's database: lib/apk/db/installed (usr/lib/apk/db/installed on newer Alpine), records
 * separated by blank lines, each line "X:value" with a one-letter key: P name, V version,
 * A arch, o origin (the source package, what Alpine's secdb names), L license.  The other
 * keys (files, checksums, dependencies) are not needed.
 */
#include "scan/scan_int.h"

#include <string.h>

bool hv_scan__apk_wants(const char *path, uint32_t mode, uint64_t size) {
    (void)mode;
    (void)size;
    return strcmp(path, "lib/apk/db/installed") == 0 ||
           strcmp(path, "usr/lib/apk/db/installed") == 0;
}

static hv_err emit(hv_scan_pkgs *out, hv_ctx *ctx, hv_scan_pkg *p, bool any) {
    if (!any)
        return HV_OK;
    if (!p->name || !p->version)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a record lacks its %s line",
                       p->name ? "V (version)" : "P (name)");
    hv_scan_pkgs_add(out, ctx, p);
    return HV_OK;
}

hv_err hv_scan__apk_parse(hv_scan_pkgs *out, hv_ctx *ctx, const char *path,
                          const unsigned char *data, size_t len) {
    const char *s = (const char *)data, *end = s + len;
    hv_scan_pkg p = {.eco = HV_ECO_ALPINE};
    bool any = false;
    hv_err rc;

    (void)path;
    if (memchr(data, '\0', len))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a NUL byte: not an apk database");
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t line = nl ? (size_t)(nl - s) : (size_t)(end - s);

        if (line > 0 && s[line - 1] == '\r')
            line--;
        if (line == 0) {
            rc = emit(out, ctx, &p, any);
            if (rc)
                return rc;
            p = (hv_scan_pkg){.eco = HV_ECO_ALPINE};
            any = false;
        } else if (line < 2 || s[1] != ':') {
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a line that is not KEY:value: %.*s",
                           (int)(line > 40 ? 40 : line), s);
        } else {
            const char **slot = NULL;

            switch (s[0]) {
            case 'P':
                slot = &p.name;
                break;
            case 'V':
                slot = &p.version;
                break;
            case 'A':
                slot = &p.arch;
                break;
            case 'o':
                slot = &p.src_name;
                break;
            case 'L':
                slot = &p.license;
                break;
            default:
                break;
            }
            any = true;
            if (slot)
                *slot = hv_arena_strndup(ctx->arena, s + 2, line - 2);
        }
        s += (nl ? (size_t)(nl - s) + 1 : (size_t)(end - s));
    }
    return emit(out, ctx, &p, any);
}
