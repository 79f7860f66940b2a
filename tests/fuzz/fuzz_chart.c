/*
 * libFuzzer target for the Helm chart reader of the additions (src/registry/addition.c,
 * included to reach its static chart_file): the input is a pushed chart layer, gzip'd tar
 * bytes as a client sent them.  They are read through a blob reader over memory and searched for
 * the files the additions serve (values.yaml, README.md) and Chart.yaml.  Whatever the bytes, the
 * reader must end with a file of at most FILE_MAX bytes, no file, or a refusal (BAD_REQUEST for a
 * corrupt or truncated archive, TOO_LARGE past a limit) with its message; never IO or
 * INTERNAL, never a read outside the buffers.
 *
 * Mutations of compressed bytes rarely survive inflation, so an input that starts with 'T'
 * is a tar (the rest), gzip'd here before it is read: the fuzzer then works on the tar
 * headers themselves.  No gzip or zlib stream starts with 'T' (0x54 is no valid zlib CMF
 * byte), so every other input is read as it is, exercising the gzip layer.
 *
 * The seeds in corpus/chart/ are written by corpus/chart/.make_seeds.py (Python's tarfile
 * and gzip in ustar, GNU and pax formats, and GNU tar; the tar-* ones are the 'T' form):
 * tiny real charts with Chart.yaml, values.yaml, README.md and a sub-chart under charts/;
 * truncated archives; the start of a gzip bomb; headers with huge octal and base-256 sizes;
 * GNU long names and pax path records; two gzip members; a zlib stream; an uncompressed tar;
 * empty input.
 */
#include "../../src/registry/addition.c"
#include "blob/blob_int.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const wanted[] = {"values.yaml", "README.md", "Chart.yaml"};

/* A blob reader over the input: the one driver function chart_file uses. */
typedef struct mem_reader {
    hv_blob_reader base;
    const uint8_t *data;
    size_t size;
} mem_reader;

static hv_err mem_read(hv_blob_reader *br, hv_ctx *ctx, uint64_t offset, void *buf, size_t n,
                       size_t *got) {
    mem_reader *r = (mem_reader *)br;

    (void)ctx;
    *got = offset < r->size ? (n < r->size - offset ? n : r->size - (size_t)offset) : 0;
    if (*got)
        memcpy(buf, r->data + offset, *got);
    return HV_OK;
}

static const hv_blob_driver mem_driver = {.version = HV_BLOB_DRIVER_VERSION, .read = mem_read};
static hv_blob_store mem_store = {.driver = &mem_driver};

/* gzip of data (stored blocks: fast, and the tar bytes pass unchanged); free() it. */
static uint8_t *gzip_stored(const uint8_t *data, size_t size, size_t *out_len) {
    z_stream zs = {0};
    uint8_t *out;
    size_t cap;

    if (deflateInit2(&zs, 0, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    cap = deflateBound(&zs, (uLong)size);
    out = malloc(cap);
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)size;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        abort();
    *out_len = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *packed = NULL;

    if (size > 0 && data[0] == 'T') {
        packed = gzip_stored(data + 1, size - 1, &size);
        data = packed;
    }

    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
        hv_ctx ctx = {.arena = hv_arena_new()};
        mem_reader blob = {.base.store = &mem_store, .data = data, .size = size};
        const char *out = NULL;
        size_t len = 0;
        hv_err rc;

        rc = chart_file(&out, &len, &ctx, &blob.base, wanted[i]);
        if (rc == HV_OK) {
            volatile unsigned char sum = 0;
            if (!out && len != 0)
                abort();
            if (out && len > FILE_MAX)
                abort();
            for (size_t j = 0; out && j < len; j++) /* every byte readable (ASan) */
                sum ^= (unsigned char)out[j];
            (void)sum;
        } else if ((rc != HV_E_BAD_REQUEST && rc != HV_E_TOO_LARGE) || ctx.err.code != rc ||
                   ctx.err.message[0] == '\0' || out || len) {
            abort();
        }
        hv_arena_free(ctx.arena);
    }
    free(packed);
    return 0;
}
