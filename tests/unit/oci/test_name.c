/* Repository names, tags, digests and the shape of a manifest reference. */
#include "oci/oci.h"
#include "test.h"

#include <stdlib.h>

static bool name_ok(const char *s) {
    return hv_oci_name_valid(s, strlen(s));
}

static bool tag_ok(const char *s) {
    return hv_oci_tag_valid(s, strlen(s));
}

static void test_names(void) {
    const char *good[] = {"a", "library/ubuntu", "my-project/my_app", "a.b/c__d/e---f",
                          "0", "a/b/c/d/e",      "foo-bar-baz",       "x1.y2_z3"};
    const char *bad[] = {"",    "A",    "Library/ubuntu", "-a",   "a-",    "a_",
                         ".a",  "a..b", "a___b",          "a._b", "a-_b",  "a/",
                         "/a",  "a//b", "a/-b",           "a b",  "a:tag", "a/B",
                         "a@b", "ä",    "a/.b",           "a._",  "a_.b",  "a/b_"};

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!name_ok(good[i]))
            fprintf(stderr, "rejected %s\n", good[i]);
        CHECK(name_ok(good[i]));
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (name_ok(bad[i]))
            fprintf(stderr, "accepted %s\n", bad[i]);
        CHECK(!name_ok(bad[i]));
    }
    /* the length is the caller's: a path segment need not end in NUL */
    CHECK(hv_oci_name_valid("library/ubuntu/manifests", 14));
    CHECK(!hv_oci_name_valid("abc", 0));
}

static void test_name_length(void) {
    char name[HV_OCI_NAME_MAX + 2];

    memset(name, 'a', sizeof(name));
    name[HV_OCI_NAME_MAX - 10] = '/';
    CHECK(hv_oci_name_valid(name, HV_OCI_NAME_MAX));
    CHECK(!hv_oci_name_valid(name, HV_OCI_NAME_MAX + 1));
}

static void test_tags(void) {
    char tag[HV_OCI_TAG_MAX + 1];

    CHECK(tag_ok("latest"));
    CHECK(tag_ok("v1.2.3"));
    CHECK(tag_ok("_private"));
    CHECK(tag_ok("Release-2024_01.rc-1"));
    CHECK(tag_ok("9"));
    CHECK(!tag_ok(""));
    CHECK(!tag_ok(".hidden"));
    CHECK(!tag_ok("-dash"));
    CHECK(!tag_ok("a:b"));
    CHECK(!tag_ok("a/b"));
    CHECK(!tag_ok("a b"));
    CHECK(!tag_ok("a+b"));
    CHECK(!tag_ok("sha256:abc"));
    memset(tag, 'x', sizeof(tag));
    CHECK(hv_oci_tag_valid(tag, HV_OCI_TAG_MAX));
    CHECK(!hv_oci_tag_valid(tag, HV_OCI_TAG_MAX + 1));
}

#define HEX64 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static hv_err digest(hv_ctx *ctx, const char *s) {
    hv_error_clear(ctx);
    return hv_oci_digest_check(ctx, s, strlen(s));
}

static void test_digests(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    const char *malformed[] = {
        "",
        "sha256",
        ":" HEX64,
        "sha256:",
        "SHA256:" HEX64,
        "sha256:" HEX64 "0",
        "sha256:"
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        "sha256:"
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "sha256:"
        "g a7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        "sha256:" HEX64 ":x",
        "sha512:abc",
        "sha+:abc",
        "+sha:abc",
        "sha++256:abc",
        "a:b c",
        "a:b/c",
        " sha256:" HEX64,
    };

    CHECK_INT(digest(&ctx, "sha256:" HEX64), HV_OK);
    CHECK_INT(ctx.err.code, HV_OK);
    for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        hv_err rc = digest(&ctx, malformed[i]);

        if (rc != HV_E_DIGEST_INVALID)
            fprintf(stderr, "accepted digest \"%s\"\n", malformed[i]);
        CHECK_INT(rc, HV_E_DIGEST_INVALID);
        CHECK(strstr(ctx.err.message, "unsupported") == NULL);
    }

    /* well-formed, but not an algorithm the registry stores */
    CHECK_INT(digest(&ctx, "sha512:" HEX64 HEX64), HV_E_DIGEST_INVALID);
    CHECK(strstr(ctx.err.message, "unsupported digest algorithm sha512") != NULL);
    CHECK_INT(digest(&ctx, "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"),
              HV_E_DIGEST_INVALID);
    CHECK(strstr(ctx.err.message, "unsupported digest algorithm multihash+base58") != NULL);
    CHECK_INT(digest(&ctx, "blake3:abc=_-XYZ"), HV_E_DIGEST_INVALID);
    CHECK(strstr(ctx.err.message, "unsupported digest algorithm blake3") != NULL);

    /* the length bounds the scan: a digest followed by more path is still checked alone */
    hv_error_clear(&ctx);
    CHECK_INT(hv_oci_digest_check(&ctx, "sha256:" HEX64 "/blobs", 71), HV_OK);
    CHECK_INT(hv_oci_digest_check(&ctx, "sha256:" HEX64, 70), HV_E_DIGEST_INVALID);
    hv_arena_free(ctx.arena);
}

static void test_long_algorithm_message(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    size_t n = 5000;
    char *d = malloc(n + 3);

    memset(d, 'a', n);
    memcpy(d + n, ":x", 3);
    CHECK_INT(hv_oci_digest_check(&ctx, d, n + 2), HV_E_DIGEST_INVALID);
    CHECK(strlen(ctx.err.message) < 200);
    free(d);
    hv_arena_free(ctx.arena);
}

static void test_reference_shape(void) {
    CHECK(hv_oci_reference_is_digest("sha256:" HEX64));
    CHECK(hv_oci_reference_is_digest("sha512:x"));
    CHECK(!hv_oci_reference_is_digest("latest"));
    CHECK(!hv_oci_reference_is_digest(""));
    CHECK(!hv_oci_reference_is_digest(NULL));
}

TEST_MAIN(test_names, test_name_length, test_tags, test_digests, test_long_algorithm_message,
          test_reference_shape)
