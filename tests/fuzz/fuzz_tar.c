/*
 * libFuzzer target for the layer walker: the input is a layer (tar, plain or gzip- or
 * zstd-compressed) walked from memory with the analyzers of scan_int.h, under small limits
 * so that a decompression bomb or an archive of many entries is refused quickly.  Besides
 * memory errors and time, it checks what must hold for any layer: a walk either succeeds or
 * fails with HV_E_BAD_REQUEST and a message naming the layer; every path it records is
 * clean (no leading '/', no "." or ".." component, no empty component).
 */
#include "scan/scan_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool clean(const char *p) {
    if (*p == '/')
        return false;
    for (const char *c = p; *c; c += strcspn(c, "/"), c += *c == '/') {
        size_t n = strcspn(c, "/");
        if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
    }
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const hv_scan_limits lim = {
        .entries = 1000, .bytes = 16u << 20, .ratio = 100, .ratio_after = 1u << 20, .path = 256};
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_scan_layer l;
    hv_err rc = hv_scan__walk_memory(&l, &ctx, "sha256:fuzz", data, size, &lim);

    if (rc) {
        if (rc != HV_E_BAD_REQUEST || !strstr(ctx.err.message, "sha256:fuzz"))
            abort();
    } else {
        for (size_t i = 0; i < l.n_found; i++) {
            if (!clean(l.found[i].path))
                abort();
        }
        for (size_t i = 0; i < l.whiteouts.n; i++) {
            if (!clean(l.whiteouts.v[i]))
                abort();
        }
    }
    hv_arena_free(ctx.arena);
    return 0;
}
