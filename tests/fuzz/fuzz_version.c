/*
 * libFuzzer target for the version comparators.  The first byte picks the scheme (modulo the
 * number of schemes); the rest is two versions separated by a newline.  Whatever they hold,
 * a comparison either fails with HV_E_BAD_REQUEST (and says so in the context) exactly when
 * one of them is not valid, or gives an order: a version equals itself and swapping the two
 * flips the sign.
 */
#include "scan/scan.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N_SCHEMES (HV_VS_COMPOSER + 1)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp_or_fail(hv_scan_scheme s, const char *a, const char *b) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    int cmp = 2;
    hv_err rc = hv_scan_version_cmp(&cmp, &ctx, s, a, b);
    bool valid = hv_scan_version_valid(s, a) && hv_scan_version_valid(s, b);

    if (rc != HV_OK && (rc != HV_E_BAD_REQUEST || ctx.err.code != rc || valid))
        abort();
    if (rc == HV_OK && (!valid || cmp < -1 || cmp > 1))
        abort();
    hv_arena_free(ctx.arena);
    return rc == HV_OK ? cmp : 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hv_scan_scheme s;
    char *a, *b;
    int ab, ba;

    if (size == 0)
        return 0;
    s = (hv_scan_scheme)(data[0] % N_SCHEMES);
    /* exactly the bytes given, so that reading past them is caught */
    a = malloc(size);
    memcpy(a, data + 1, size - 1);
    a[size - 1] = '\0';
    b = strchr(a, '\n');
    if (b)
        *b++ = '\0';
    else
        b = a + strlen(a);
    ab = cmp_or_fail(s, a, b);
    ba = cmp_or_fail(s, b, a);
    if (ab != 2 && (ba != -ab || cmp_or_fail(s, a, a) != 0))
        abort();
    free(a);
    return 0;
}
