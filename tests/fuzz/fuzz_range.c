/*
 * libFuzzer target for the Range and Content-Range parsers.  The first byte says how many
 * of the next bytes (0 to 8, little-endian) make the blob size, so that small sizes,
 * including 0, are common; the rest is the header.  A range that parses must lie inside
 * the blob; a Content-Range that parses must not end before it starts nor pass INT64_MAX.
 */
#include "http/http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    uint64_t blob_size = 0, start = 0, end = 0;
    size_t n, len;
    char *header;
    hv_err rc;

    if (size == 0)
        goto out;
    n = data[0] % 9;
    if (n > size - 1)
        n = size - 1;
    for (size_t i = 0; i < n; i++)
        blob_size |= (uint64_t)data[1 + i] << (8 * i);
    len = size - 1 - n;
    header = malloc(len + 1);
    memcpy(header, data + 1 + n, len);
    header[len] = '\0';

    rc = hv_http_range_parse(&start, &end, &ctx, header, blob_size);
    if (rc == HV_OK && (start > end || end >= blob_size))
        abort();
    if (rc != HV_OK && ((rc != HV_E_RANGE && rc != HV_E_BAD_REQUEST) || ctx.err.code != rc))
        abort();

    hv_error_clear(&ctx);
    rc = hv_http_content_range_parse(&start, &end, &ctx, header);
    if (rc == HV_OK && (start > end || end > INT64_MAX))
        abort();
    if (rc != HV_OK && (rc != HV_E_RANGE || ctx.err.code != rc))
        abort();
    free(header);
out:
    hv_arena_free(ctx.arena);
    return 0;
}
