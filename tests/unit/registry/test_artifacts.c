/*
 * The Helm chart reader of the additions (src/registry/addition.c, included to reach its
 * statics): tar entries named the ustar, pax and GNU ways, files of sub-charts ignored,
 * several gzip members, base-256 sizes, and what it refuses: corrupt gzip, truncated
 * archives, oversized files and archives that unpack past the limit.
 */
#include "../../../src/registry/addition.c"

#include "test.h"

#include <stdio.h>
#include <stdlib.h>

/* ---------------------------------------------------------------- building archives */

typedef struct tarball {
    unsigned char *data;
    size_t len, cap;
} tarball;

static void put(tarball *t, const void *p, size_t n) {
    if (t->len + n > t->cap) {
        t->cap = (t->len + n) * 2 + 4096;
        t->data = realloc(t->data, t->cap);
    }
    memcpy(t->data + t->len, p, n);
    t->len += n;
}

static void header(tarball *t, const char *name, const char *prefix, char type, uint64_t size,
                   bool base256) {
    unsigned char h[TAR_BLOCK] = {0};
    unsigned sum = 0;

    memcpy(h, name, strnlen(name, 100));
    memcpy(h + 100, "0000644", 7);
    if (base256) {
        h[124] = 0x80;
        for (int i = 0; i < 8; i++)
            h[135 - i] = (unsigned char)(size >> (8 * i));
    } else {
        char octal[32];
        snprintf(octal, sizeof(octal), "%011llo", (unsigned long long)size & 077777777777ull);
        memcpy(h + 124, octal, 12);
    }
    h[156] = (unsigned char)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    if (prefix)
        memcpy(h + 345, prefix, strnlen(prefix, 155));
    memset(h + 148, ' ', 8);
    for (int i = 0; i < TAR_BLOCK; i++)
        sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
    put(t, h, sizeof(h));
}

static void body(tarball *t, const void *p, size_t n) {
    static const unsigned char zeros[TAR_BLOCK];

    put(t, p, n);
    put(t, zeros, (TAR_BLOCK - n % TAR_BLOCK) % TAR_BLOCK);
}

static void file(tarball *t, const char *name, const char *content) {
    header(t, name, NULL, '0', strlen(content), false);
    body(t, content, strlen(content));
}

static void end(tarball *t) {
    static const unsigned char zeros[2 * TAR_BLOCK];
    put(t, zeros, sizeof(zeros));
}

/* gzip of data (one member). */
static void gzip_into(tarball *out, const unsigned char *data, size_t n) {
    z_stream zs = {0};
    unsigned char buf[65536];
    int z;

    deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    zs.next_in = (unsigned char *)data;
    zs.avail_in = (uInt)n;
    do {
        zs.next_out = buf;
        zs.avail_out = sizeof(buf);
        z = deflate(&zs, Z_FINISH);
        put(out, buf, sizeof(buf) - zs.avail_out);
    } while (z != Z_STREAM_END);
    deflateEnd(&zs);
}

/* A blob store in a temporary folder that the archives are stored in. */
static char root[] = "/tmp/haven-chart-test-XXXXXX";
static hv_blob_store *store;

static void setup(void) {
    hv_ctx ctx = {0};

    if (!mkdtemp(root) || hv_blob_fs_open(&store, &ctx, root) != HV_OK)
        abort();
}

static void teardown(void) {
    char cmd[128];

    hv_blob_close(store);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", root);
}

/* chart_file over the gzip of tar t, stored as a blob; *out "" when absent. */
static hv_err find(const char **out, const tarball *gz, const char *want) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    char digest[HV_DIGEST_MAX];
    hv_blob_staged *st = NULL;
    hv_blob_reader *blob = NULL;
    size_t len;
    hv_err rc;
    static char copy[4096];

    hv_sha256_digest(digest, gz->data, gz->len);
    if (hv_blob_stage_bytes(&st, store, &ctx, digest, gz->data, gz->len) ||
        hv_blob_staged_place(st, &ctx) || hv_blob_staged_finish(st, &ctx, true) ||
        hv_blob_open(&blob, store, &ctx, digest, gz->len, 0))
        abort();
    rc = chart_file(out, &len, &ctx, blob, want);
    hv_blob_reader_close(blob);
    snprintf(copy, sizeof(copy), "%.*s", *out ? (int)len : 0, *out ? *out : "");
    *out = copy;
    hv_arena_free(ctx.arena);
    return rc;
}

static void free_tar(tarball *t) {
    free(t->data);
    memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------- tests */

static void test_plain_chart(void) {
    tarball t = {0}, gz = {0};
    const char *out;

    file(&t, "mychart/Chart.yaml", "name: mychart\n");
    file(&t, "mychart/charts/sub/values.yaml", "sub: true\n");
    file(&t, "mychart/values.yaml", "replicas: 2\n");
    file(&t, "mychart/README.md", "# readme\n");
    end(&t);
    gzip_into(&gz, t.data, t.len);
    CHECK_INT(find(&out, &gz, "values.yaml"), HV_OK);
    CHECK_STR(out, "replicas: 2\n");
    CHECK_INT(find(&out, &gz, "README.md"), HV_OK);
    CHECK_STR(out, "# readme\n");
    CHECK_INT(find(&out, &gz, "readme.MD"), HV_OK); /* names compare case-insensitively */
    CHECK_STR(out, "# readme\n");
    CHECK_INT(find(&out, &gz, "requirements.yaml"), HV_OK);
    CHECK_STR(out, "");
    free_tar(&t);
    free_tar(&gz);
}

static void test_long_names(void) {
    tarball t = {0}, gz = {0};
    char pax[256], longdir[200];
    const char *out;

    memset(longdir, 'd', 150);
    longdir[150] = '\0';
    /* ustar: prefix + name */
    header(&t, "values.yaml", longdir, '0', 6, false);
    body(&t, "first\n", 6);
    end(&t);
    gzip_into(&gz, t.data, t.len);
    CHECK_INT(find(&out, &gz, "values.yaml"), HV_OK);
    CHECK_STR(out, "first\n");
    free_tar(&t);
    free_tar(&gz);

    /* pax "path" record, then GNU long name */
    snprintf(pax, sizeof(pax), "%s/README.md", longdir);
    char record[300];
    int n = (int)strlen(pax) + (int)strlen(" path=\n");
    int digits = n + 3 >= 100 ? 3 : 2;
    snprintf(record, sizeof(record), "%d path=%s\n", n + digits, pax);
    header(&t, "PaxHeader", NULL, 'x', strlen(record), false);
    body(&t, record, strlen(record));
    header(&t, "truncated-name", NULL, '0', 4, false);
    body(&t, "pax\n", 4);
    header(&t, "././@LongLink", NULL, 'L', strlen(pax) + 1, false);
    body(&t, pax, strlen(pax) + 1);
    header(&t, "other", NULL, '0', 4, false);
    body(&t, "gnu\n", 4);
    end(&t);
    gzip_into(&gz, t.data, t.len);
    CHECK_INT(find(&out, &gz, "README.md"), HV_OK);
    CHECK_STR(out, "pax\n");
    free_tar(&t);
    free_tar(&gz);

    header(&t, "././@LongLink", NULL, 'L', strlen(pax) + 1, false);
    body(&t, pax, strlen(pax) + 1);
    header(&t, "other", NULL, '0', 4, false);
    body(&t, "gnu\n", 4);
    end(&t);
    gzip_into(&gz, t.data, t.len);
    CHECK_INT(find(&out, &gz, "README.md"), HV_OK);
    CHECK_STR(out, "gnu\n");
    free_tar(&t);
    free_tar(&gz);
}

static void test_members_and_base256(void) {
    tarball t = {0}, gz = {0};
    const char *out;
    size_t half;

    file(&t, "c/Chart.yaml", "name: c\n");
    header(&t, "c/values.yaml", NULL, '0', 5, true);
    body(&t, "b256\n", 5);
    end(&t);
    half = t.len / 2;
    gzip_into(&gz, t.data, half);
    gzip_into(&gz, t.data + half, t.len - half);
    CHECK_INT(find(&out, &gz, "values.yaml"), HV_OK);
    CHECK_STR(out, "b256\n");
    free_tar(&t);
    free_tar(&gz);
}

static void test_refusals(void) {
    tarball t = {0}, gz = {0};
    const char *out;
    unsigned char *zeros;
    size_t big = (size_t)UNPACKED_MAX + (1u << 20);

    /* not gzip */
    put(&gz, "this is not gzip at all", 23);
    CHECK_INT(find(&out, &gz, "values.yaml"), HV_E_BAD_REQUEST);
    free_tar(&gz);

    /* truncated inside the wanted file */
    file(&t, "c/values.yaml", "0123456789");
    gzip_into(&gz, t.data, TAR_BLOCK + 4);
    CHECK_INT(find(&out, &gz, "values.yaml"), HV_E_BAD_REQUEST);
    free_tar(&gz);
    /* truncated before its end blocks: tolerated */
    gzip_into(&gz, t.data, t.len);
    CHECK_INT(find(&out, &gz, "values.yaml"), HV_OK);
    CHECK_STR(out, "0123456789");
    free_tar(&t);
    free_tar(&gz);

    /* a wanted file over FILE_MAX is refused before anything is allocated for it */
    header(&t, "c/values.yaml", NULL, '0', (uint64_t)FILE_MAX + 1, false);
    end(&t);
    gzip_into(&gz, t.data, t.len);
    CHECK_INT(find(&out, &gz, "values.yaml"), HV_E_TOO_LARGE);
    free_tar(&t);
    free_tar(&gz);

    /* an archive that unpacks past UNPACKED_MAX before the file: a bomb */
    header(&t, "c/padding", NULL, '0', big, false);
    zeros = calloc(1, big + TAR_BLOCK * 3);
    memcpy(zeros, t.data, t.len);
    file(&t, "c/values.yaml", "late\n");
    gzip_into(&gz, zeros, big + TAR_BLOCK);
    CHECK_INT(find(&out, &gz, "values.yaml"), HV_E_TOO_LARGE);
    free(zeros);
    free_tar(&t);
    free_tar(&gz);
}

static void test_numbers_and_names(void) {
    uint64_t v;
    hv_ctx ctx = {.arena = hv_arena_new()};

    CHECK(tar_number((const unsigned char *)"00000000017\0", 12, &v) && v == 15);
    CHECK(tar_number((const unsigned char *)"     17 \0\0\0\0", 12, &v) && v == 15);
    CHECK(!tar_number((const unsigned char *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12,
                      &v));
    CHECK(is_chart_file("c/values.yaml", "values.yaml"));
    CHECK(is_chart_file("./c/VALUES.yaml", "values.yaml"));
    CHECK(!is_chart_file("values.yaml", "values.yaml"));
    CHECK(!is_chart_file("c/charts/s/values.yaml", "values.yaml"));
    CHECK_STR(pax_path(&ctx, "11 path=ab\n", 11), "ab");
    CHECK(pax_path(&ctx, "30 path=ab\n", 11) == NULL); /* a record longer than the data */
    CHECK(pax_path(&ctx, "x path=ab\n", 10) == NULL);
    CHECK_STR(pax_path(&ctx, "11 size=10\n11 path=cd\n", 22), "cd");
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_plain_chart, test_long_names, test_members_and_base256, test_refusals,
          test_numbers_and_names, teardown)
