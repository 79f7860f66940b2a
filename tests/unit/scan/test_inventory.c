/*
 * The inventory core on its own: the walker's limits and notes over the fuzz corpus's layers,
 * the merge of hand-built layers (replacement, whiteouts, opaque directories, attribution),
 * OS detection and purls, the package databases' edge cases, a layer's stored JSON through
 * the model on the test engine, and licences in the SPDX document.
 */
#include "dbtest.h"
#include "model/model.h"
#include "scan/scan_int.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static unsigned char *slurp(size_t *len, const char *rel) {
    const char *src = getenv("HAVEN_SOURCE_DIR");
    char path[512];
    FILE *f;
    unsigned char *buf;

    snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/%s", src ? src : ".", rel);
    f = fopen(path, "rb");
    if (!f) {
        perror(path);
        abort();
    }
    buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static hv_err walk_file(hv_scan_layer *l, hv_ctx *ctx, const char *rel, const hv_scan_limits *lim) {
    size_t len;
    unsigned char *data = slurp(&len, rel);
    hv_err rc = hv_scan__walk_memory(l, ctx, "sha256:test", data, len, lim);

    free(data);
    return rc;
}

static bool has_note(const hv_scan_layer *l, const char *text) {
    for (size_t i = 0; i < l->notes.n; i++) {
        if (strstr(l->notes.v[i], text))
            return true;
    }
    return false;
}

static void test_walker_limits(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_scan_layer l;
    hv_scan_limits lim = hv_scan__default_limits;

    CHECK_INT(walk_file(&l, &ctx, "tar/debian.tar.gz", &lim), HV_OK);
    CHECK_INT(l.n_found, 1);
    CHECK_STR(l.found[0].path, "var/lib/dpkg/status");
    CHECK_INT(l.n_os_files, 2);
    CHECK_INT(walk_file(&l, &ctx, "tar/debian.tar.zst", &lim), HV_OK);
    CHECK_INT(l.n_found, 1);

    lim.entries = 2;
    CHECK_INT(walk_file(&l, &ctx, "tar/debian.tar.gz", &lim), HV_E_BAD_REQUEST);
    CHECK(strstr(ctx.err.message, "layer sha256:test has more than 2 entries") != NULL);

    lim = hv_scan__default_limits;
    lim.ratio = 100;
    lim.ratio_after = 1 << 20;
    CHECK_INT(walk_file(&l, &ctx, "tar/bomb.tar.gz", &lim), HV_E_BAD_REQUEST);
    CHECK(strstr(ctx.err.message, "times its size (a decompression bomb?)") != NULL);
    lim = hv_scan__default_limits;
    lim.bytes = 1 << 20;
    CHECK_INT(walk_file(&l, &ctx, "tar/bomb.tar.gz", &lim), HV_E_BAD_REQUEST);
    CHECK(strstr(ctx.err.message, "unpacks to more than 1048576 bytes") != NULL);

    lim = hv_scan__default_limits;
    CHECK_INT(walk_file(&l, &ctx, "tar/truncated.tar.gz", &lim), HV_E_BAD_REQUEST);
    CHECK(strstr(ctx.err.message, "layer sha256:test") != NULL);
    CHECK_INT(walk_file(&l, &ctx, "tar/garbage", &lim), HV_E_BAD_REQUEST);
    CHECK(strstr(ctx.err.message, "is not a readable tar archive") != NULL);

    lim.path = 200;
    CHECK_INT(walk_file(&l, &ctx, "tar/hostile.tar", &lim), HV_OK);
    CHECK(has_note(&l, "../../etc/passwd: path leaves the root, skipped"));
    CHECK(has_note(&l, "a/../../b: path leaves the root, skipped"));
    CHECK(has_note(&l, "path too long, skipped"));
    /* "/abs/…" is the root's abs/…; "./var/./lib/…" cleaned */
    CHECK_INT(l.n_found, 1);
    CHECK_STR(l.found[0].path, "var/lib/dpkg/status.d/zlib");

    CHECK_INT(walk_file(&l, &ctx, "tar/whiteouts.tar", &lim), HV_OK);
    CHECK_INT(l.whiteouts.n, 1);
    CHECK_STR(l.whiteouts.v[0], "var/lib/dpkg/status");
    CHECK_INT(l.opaque.n, 1);
    CHECK_STR(l.opaque.v[0], "lib/apk/db");
    CHECK(has_note(&l, "whiteout of nothing, ignored"));
    hv_arena_free(ctx.arena);
}

/* A layer of one analyzed file holding the packages named (eco, "name@version" …). */
static hv_scan_layer one_file(hv_ctx *ctx, const char *path, hv_scan_eco eco, const char *pkgs) {
    hv_scan_layer l = {0};
    char *list = hv_arena_strdup(ctx->arena, pkgs);

    l.found = hv_arena_alloc(ctx->arena, sizeof(*l.found));
    l.found[0] = (hv_scan_found){.path = path};
    l.n_found = l.cap_found = 1;
    for (char *t = list, *next; t; t = next) {
        char *at = strchr(t, '@');
        next = strchr(t, ' ');
        if (next)
            *next++ = '\0';
        *at = '\0';
        hv_scan_pkg p = {.eco = eco, .name = t, .version = at + 1, .path = path};
        hv_scan_pkgs_add(&l.pkgs, ctx, &p);
    }
    l.found[0].n = l.pkgs.n;
    return l;
}

static const hv_scan_pkg *find(const hv_scan_inventory *inv, const char *name) {
    for (size_t i = 0; i < inv->n_pkgs; i++) {
        if (strcmp(inv->pkgs[i].name, name) == 0)
            return &inv->pkgs[i];
    }
    return NULL;
}

static void test_merge(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_scan_layer L[4];
    const char *digests[] = {"sha256:l0", "sha256:l1", "sha256:l2", "sha256:l3"};
    hv_scan_inventory inv;

    L[0] = one_file(&ctx, "lib/apk/db/installed", HV_ECO_ALPINE, "musl@1 zlib@1");
    L[0].os_files = hv_arena_alloc(ctx.arena, sizeof(hv_scan_file));
    L[0].os_files[0] = (hv_scan_file){.path = "etc/alpine-release", .text = "3.18.4\n"};
    L[0].n_os_files = 1;
    /* an upgrade: zlib replaced, curl added; the OS too */
    L[1] = one_file(&ctx, "lib/apk/db/installed", HV_ECO_ALPINE, "musl@1 zlib@2 curl@8");
    L[1].os_files = hv_arena_alloc(ctx.arena, sizeof(hv_scan_file));
    L[1].os_files[0] = (hv_scan_file){.path = "etc/alpine-release", .text = "3.19.1\n"};
    L[1].n_os_files = 1;
    L[2] = one_file(&ctx, "var/lib/dpkg/status", HV_ECO_DEBIAN, "tzdata@2024a");
    L[3] = (hv_scan_layer){0};

    hv_scan__merge(&inv, &ctx, L, digests, 3);
    CHECK_STR(inv.os_family, "alpine");
    CHECK_STR(inv.os_version, "3.19.1");
    CHECK_INT(inv.n_pkgs, 4);
    CHECK_STR(find(&inv, "musl")->layer, "sha256:l0");
    CHECK_STR(find(&inv, "zlib")->version, "2");
    CHECK_STR(find(&inv, "zlib")->layer, "sha256:l1");
    CHECK_STR(find(&inv, "curl")->layer, "sha256:l1");
    CHECK_STR(find(&inv, "curl")->purl, "pkg:apk/alpine/curl@8?distro=alpine-3.19.1");
    CHECK_STR(find(&inv, "tzdata")->purl, "pkg:deb/debian/tzdata@2024a?distro=alpine-3.19.1");

    /* a whiteout of the directory removes what is below it; an opaque one the lower
     * layers' files, and not the same layer's */
    hv_scan__strs_add(&L[3].whiteouts, &ctx, "var/lib/dpkg");
    hv_scan__merge(&inv, &ctx, L, digests, 4);
    CHECK_INT(inv.n_pkgs, 3);
    CHECK(find(&inv, "tzdata") == NULL);
    L[3] = one_file(&ctx, "lib/apk/db/installed", HV_ECO_ALPINE, "busybox@1");
    hv_scan__strs_add(&L[3].opaque, &ctx, "lib/apk");
    hv_scan__merge(&inv, &ctx, L, digests, 4);
    CHECK_INT(inv.n_pkgs, 2);
    CHECK_STR(find(&inv, "busybox")->layer, "sha256:l3");
    /* an opaque root hides every lower file, release files too */
    L[3].opaque.v[0] = "";
    hv_scan__merge(&inv, &ctx, L, digests, 4);
    CHECK_INT(inv.n_pkgs, 1);
    CHECK(inv.os_family == NULL);
    hv_arena_free(ctx.arena);
}

static hv_scan_inventory detect(hv_ctx *ctx, const char *p1, const char *t1, const char *p2,
                                const char *t2) {
    hv_scan_file f[2] = {{p1, t1}, {p2, t2}};
    hv_scan_inventory inv = {0};

    hv_scan__os_detect(&inv, ctx, f, p2 ? 2 : 1);
    return inv;
}

static void test_os(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_scan_inventory inv;
    hv_scan_pkg p;

    inv = detect(&ctx, "etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n",
                 "etc/debian_version", "bookworm/sid\n");
    CHECK_STR(inv.os_family, "ubuntu");
    CHECK_STR(inv.os_version, "22.04");
    p = (hv_scan_pkg){
        .eco = HV_ECO_DEBIAN, .name = "libc6", .version = "2.35-0ubuntu3.6", .arch = "amd64"};
    hv_scan__os_purl(&p, &ctx, &inv);
    CHECK_INT(p.eco, HV_ECO_UBUNTU);
    CHECK_STR(p.purl, "pkg:deb/ubuntu/libc6@2.35-0ubuntu3.6?arch=amd64&distro=ubuntu-22.04");

    inv = detect(&ctx, "etc/alpine-release", "3.20.0_alpha20240329\n", "etc/apk/repositories",
                 "https://dl-cdn.alpinelinux.org/alpine/edge/main\n");
    CHECK_STR(inv.os_version, "edge");
    inv = detect(&ctx, "etc/alpine-release", "3.19.1\n", "etc/apk/repositories",
                 "https://dl-cdn.alpinelinux.org/alpine/v3.19/main\n");
    CHECK_STR(inv.os_version, "3.19.1");
    inv = detect(&ctx, "etc/alpine-release", "3.18.6\n", "etc/apk/repositories",
                 "https://dl-cdn.alpinelinux.org/alpine/v3.19/main\n");
    CHECK_STR(inv.os_version, "3.19");

    inv = detect(&ctx, "usr/lib/os-release",
                 "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=39\nPRETTY_NAME='Fedora 39'\n", NULL,
                 NULL);
    CHECK_STR(inv.os_family, "fedora");
    CHECK_STR(inv.os_version, "39");
    CHECK_STR(inv.os_name, "Fedora 39");
    p = (hv_scan_pkg){.eco = HV_ECO_RPM, .name = "bash", .version = "1:5.2.26-1.fc39"};
    hv_scan__os_purl(&p, &ctx, &inv);
    CHECK_STR(p.purl, "pkg:rpm/fedora/bash@5.2.26-1.fc39?epoch=1&distro=fedora-39");

    inv = detect(&ctx, "etc/centos-release", "CentOS Stream release 9\n", NULL, NULL);
    CHECK_STR(inv.os_family, "centos");
    CHECK_STR(inv.os_version, "9");
    inv = detect(&ctx, "etc/os-release", "ID=plan9\n", NULL, NULL);
    CHECK(inv.os_family == NULL);
    p = (hv_scan_pkg){.eco = HV_ECO_DEBIAN, .name = "g++", .version = "4:12.2.0-3"};
    hv_scan__os_purl(&p, &ctx, &inv);
    CHECK_STR(p.purl, "pkg:deb/debian/g%2B%2B@4%3A12.2.0-3");
    hv_arena_free(ctx.arena);
}

static hv_err parse(hv_scan_pkgs *out, hv_ctx *ctx,
                    hv_err (*fn)(hv_scan_pkgs *, hv_ctx *, const char *, const unsigned char *,
                                 size_t),
                    const char *path, const char *text) {
    memset(out, 0, sizeof(*out));
    return fn(out, ctx, path, (const unsigned char *)text, strlen(text));
}

static void test_databases(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_scan_pkgs l;
    size_t len;
    unsigned char *db;

    CHECK(hv_scan__dpkg_wants("var/lib/dpkg/status.d/base", 0100644, 10));
    CHECK(!hv_scan__dpkg_wants("var/lib/dpkg/status.d/base.md5sums", 0100644, 10));
    CHECK(!hv_scan__dpkg_wants("var/lib/dpkg/status-old", 0100644, 10));
    CHECK_INT(parse(&l, &ctx, hv_scan__dpkg_parse, "var/lib/dpkg/status",
                    "Package: libc6\nStatus: install ok installed\nVersion: 2.36-9\n"
                    "Source: glibc (2.36-9+deb12u1)\nDescription: x\n more\n\n"
                    "Package: old\nStatus: deinstall ok config-files\nVersion: 1\n\n"
                    "Package: half\nStatus: install ok half-installed\nVersion: 1\n"),
              HV_OK);
    CHECK_INT(l.n, 1);
    CHECK_STR(l.v[0].src_name, "glibc");
    CHECK_STR(l.v[0].src_version, "2.36-9+deb12u1");
    /* distroless: no Status, installed */
    CHECK_INT(parse(&l, &ctx, hv_scan__dpkg_parse, "var/lib/dpkg/status.d/zlib",
                    "Package: zlib1g\nVersion: 1:1.2.13\nSource: zlib\n"),
              HV_OK);
    CHECK_INT(l.n, 1);
    CHECK_STR(l.v[0].src_name, "zlib");
    CHECK(l.v[0].src_version == NULL);
    CHECK_INT(parse(&l, &ctx, hv_scan__dpkg_parse, "var/lib/dpkg/status", "Package: x\n\n"),
              HV_E_BAD_REQUEST);
    CHECK_STR(ctx.err.message, "a stanza lacks Version");

    CHECK_INT(parse(&l, &ctx, hv_scan__apk_parse, "lib/apk/db/installed",
                    "P:libcrypto3\nV:3.1.4-r5\nA:aarch64\nL:Apache-2.0\no:openssl\n\n\n"),
              HV_OK);
    CHECK_INT(l.n, 1);
    CHECK_STR(l.v[0].src_name, "openssl");
    CHECK_STR(l.v[0].license, "Apache-2.0");

    db = slurp(&len, "rpm/rpmdb.sqlite");
    memset(&l, 0, sizeof(l));
    CHECK_INT(hv_scan__rpm_parse(&l, &ctx, "var/lib/rpm/rpmdb.sqlite", db, len), HV_OK);
    CHECK_INT(l.n, 1);
    CHECK_STR(l.v[0].name, "fz");
    CHECK_STR(l.v[0].version, "3:1-2");
    CHECK_STR(l.v[0].src_name, "fz");
    CHECK_STR(l.v[0].src_version, "3:1-2");
    CHECK_STR(l.v[0].license, "MIT");
    CHECK_STR(l.v[0].arch, "noarch");
    free(db);
    /* the same header in an NDB Packages.db */
    db = slurp(&len, "rpm/Packages.db");
    memset(&l, 0, sizeof(l));
    CHECK_INT(hv_scan__rpm_parse(&l, &ctx, "var/lib/rpm/Packages.db", db, len), HV_OK);
    CHECK_INT(l.n, 1);
    CHECK_STR(l.v[0].version, "3:1-2");
    db[32] = 'X'; /* the first slot's magic */
    CHECK_INT(hv_scan__rpm_parse(&l, &ctx, "var/lib/rpm/Packages.db", db, len), HV_E_BAD_REQUEST);
    CHECK_STR(ctx.err.message, "NDB slot 0 is damaged");
    free(db);
    /* and in a Berkeley DB hash written by db5.3_load (twice, as two keys) */
    db = slurp(&len, "rpm/Packages");
    memset(&l, 0, sizeof(l));
    CHECK_INT(hv_scan__rpm_parse(&l, &ctx, "var/lib/rpm/Packages", db, len), HV_OK);
    CHECK_INT(l.n, 2);
    CHECK_STR(l.v[1].version, "3:1-2");
    CHECK_STR(l.v[1].license, "MIT");
    free(db);
    CHECK_INT(parse(&l, &ctx, hv_scan__rpm_parse, "var/lib/rpm/Packages", "\x61\x15\x06\x00"),
              HV_E_BAD_REQUEST);
    CHECK_STR(ctx.err.message,
              "not an rpm database (SQLite, NDB, or a little-endian Berkeley DB hash)");
    db = slurp(&len, "rpm/bad-header.sqlite");
    memset(&l, 0, sizeof(l));
    CHECK_INT(hv_scan__rpm_parse(&l, &ctx, "var/lib/rpm/rpmdb.sqlite", db, len), HV_E_BAD_REQUEST);
    free(db);
    hv_arena_free(ctx.arena);
}

static void test_stored_layer(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    char root[] = "/tmp/haven-scan-XXXXXX", target[256];
    hv_db *db = NULL;
    hv_scan_layer l, back;
    const char *json = NULL;

    if (!mkdtemp(root))
        abort();
    test_db_target(target, sizeof(target), root);
    CHECK_INT(hv_db_open(&db, &ctx, target), HV_OK);
    ctx.db = db;
    CHECK_INT(hv_db_migrate(db, &ctx), HV_OK);
    CHECK_INT(walk_file(&l, &ctx, "tar/debian.tar.gz", &hv_scan__default_limits), HV_OK);
    hv_scan__strs_add(&l.whiteouts, &ctx, "usr/share/doc");
    hv_scan__strs_add(&l.notes, &ctx, "x: why");

    CHECK_INT(hv_model_scan_layer_get(&json, &ctx, "sha256:l", 1), HV_E_NOT_FOUND);
    CHECK_INT(hv_model_scan_layer_put(&ctx, "sha256:l", 1, hv_scan__layer_json(&ctx, &l)), HV_OK);
    CHECK_INT(hv_model_scan_layer_get(&json, &ctx, "sha256:l", 2), HV_E_NOT_FOUND);
    CHECK_INT(hv_model_scan_layer_get(&json, &ctx, "sha256:l", 1), HV_OK);
    CHECK_INT(hv_scan__layer_parse(&back, &ctx, "sha256:l", json), HV_OK);
    CHECK_STR(hv_scan__layer_json(&ctx, &back), hv_scan__layer_json(&ctx, &l));
    CHECK_INT(back.pkgs.n, 3);
    CHECK_INT(back.n_os_files, 2);
    CHECK_STR(back.whiteouts.v[0], "usr/share/doc");
    CHECK_INT(hv_model_scan_layer_put(&ctx, "sha256:l", 2, "{\"files\":[]}"), HV_OK);
    CHECK_INT(hv_model_scan_layer_get(&json, &ctx, "sha256:l", 2), HV_OK);
    CHECK_INT(hv_scan__layer_parse(&back, &ctx, "sha256:l", json), HV_E_INTERNAL);
    hv_db_close(db);
    hv_arena_free(ctx.arena);
}

static void test_sbom_licenses(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_scan_pkg pkgs[] = {
        {.eco = HV_ECO_ALPINE, .name = "a", .version = "1", .license = "GPL-2.0-only OR MIT"},
        {.eco = HV_ECO_RPM, .name = "b", .version = "1", .license = "GPL v2 or later"},
        {.eco = HV_ECO_RPM, .name = "c", .version = "1", .license = "MIT AND"},
    };
    hv_scan_inventory inv = {.pkgs = pkgs, .n_pkgs = 3};
    hv_scan_sbom_subject s = {"p/r", "sha256:x", "haven", "0"};
    json_t *doc = hv_scan_sbom_spdx(&s, &inv), *p;

    p = json_array_get(json_object_get(doc, "packages"), 1);
    CHECK_STR(json_string_value(json_object_get(p, "licenseDeclared")), "GPL-2.0-only OR MIT");
    p = json_array_get(json_object_get(doc, "packages"), 2);
    CHECK_STR(json_string_value(json_object_get(p, "licenseDeclared")), "NOASSERTION");
    CHECK_STR(json_string_value(json_object_get(p, "comment")), "License: GPL v2 or later");
    p = json_array_get(json_object_get(doc, "packages"), 3);
    CHECK_STR(json_string_value(json_object_get(p, "licenseDeclared")), "NOASSERTION");
    /* no OS: the packages hang off the image */
    CHECK_STR(json_string_value(json_object_get(
                  json_array_get(json_object_get(doc, "relationships"), 1), "spdxElementId")),
              "SPDXRef-Image");
    json_decref(doc);
    hv_arena_free(ctx.arena);
}

TEST_MAIN(test_walker_limits, test_merge, test_os, test_databases, test_stored_layer,
          test_sbom_licenses)
