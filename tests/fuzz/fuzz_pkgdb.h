/*
 * The body of the package-database fuzz targets (fuzz_dpkg.c, fuzz_apk.c, fuzz_rpm.c): the
 * input is the database file.  Besides memory errors and time, it checks that the parser
 * either succeeds, every package with a name and a version, or fails with
 * HV_E_BAD_REQUEST and a reason.
 */
#ifndef HV_FUZZ_PKGDB_H
#define HV_FUZZ_PKGDB_H

#include "scan/scan_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef hv_err (*pkgdb_parse)(hv_scan_pkgs *out, hv_ctx *ctx, const char *path,
                              const unsigned char *data, size_t len);

static int fuzz_pkgdb(pkgdb_parse parse, const char *path, const uint8_t *data, size_t size) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_scan_pkgs pkgs = {0};
    /* an exact-size copy, so that reading past the end is caught by ASan */
    unsigned char *copy = malloc(size ? size : 1);
    hv_err rc;

    memcpy(copy, data, size);
    rc = parse(&pkgs, &ctx, path, copy, size);
    if (rc && (rc != HV_E_BAD_REQUEST || !ctx.err.message[0]))
        abort();
    for (size_t i = 0; !rc && i < pkgs.n; i++) {
        if (!pkgs.v[i].name || !pkgs.v[i].version)
            abort();
    }
    free(copy);
    hv_arena_free(ctx.arena);
    return 0;
}

#endif
