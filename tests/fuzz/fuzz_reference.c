/*
 * libFuzzer target for the reference grammars: the input is tried as a repository name, a
 * tag and a digest (by length, not NUL-terminated, as path segments arrive), and as a
 * NUL-terminated reference.  Besides memory errors it checks that the answers agree: a tag
 * never looks like a digest, a valid digest always does, and so on.
 */
#include "oci/oci.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    const char *s = (const char *)data;
    /* an exact-size copy, so that reading past size is caught by ASan */
    char *exact = malloc(size ? size : 1);
    char *z = malloc(size + 1);
    bool name, tag, is_digest;
    hv_err rc;

    if (size)
        memcpy(exact, s, size);
    memcpy(z, s, size);
    z[size] = '\0';

    name = hv_oci_name_valid(exact, size);
    tag = hv_oci_tag_valid(exact, size);
    rc = hv_oci_digest_check(&ctx, exact, size);
    is_digest = hv_oci_reference_is_digest(z);

    if (name && (size == 0 || size > HV_OCI_NAME_MAX || memchr(s, ':', size)))
        abort();
    if (tag && (size == 0 || size > HV_OCI_TAG_MAX || is_digest))
        abort();
    if (rc != HV_OK && rc != HV_E_DIGEST_INVALID)
        abort();
    if (rc != HV_OK && (ctx.err.code != rc || ctx.err.message[0] == '\0'))
        abort();
    if (rc == HV_OK && (size != 71 || !is_digest || memcmp(s, "sha256:", 7) != 0))
        abort();
    if (rc == HV_OK && (name || tag))
        abort();

    free(z);
    free(exact);
    hv_arena_free(ctx.arena);
    return 0;
}
