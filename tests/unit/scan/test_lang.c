/*
 * The language analyzers over real files: this machine's Python distributions and Debian's
 * jars (checked against Python's own readers), an npm install and a Go build made by the
 * test (skipped, saying so, when npm or go is missing), and small files written from each
 * format's documentation in tests/data/scan/.  ELF files in the pre-1.18 Go form and with a
 * cargo-auditable section are built here byte by byte.
 */
#include "scan/lang_test.h"
#include "test.h"

#include <ftw.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static hv_ctx ctx;
static hv_scan_pkgs pkgs;
static char tmp[64];

/* Runs analyzer name over the bytes of file (read) as path with mode; returns its result. */
static hv_err run(const char *name, const char *path, uint32_t mode, const void *data, size_t len) {
    const hv_scan_analyzer *a = lang_analyzer(name);

    memset(&pkgs, 0, sizeof(pkgs));
    hv_error_clear(&ctx);
    CHECK(a != NULL);
    if (!a)
        return HV_E_INTERNAL;
    CHECK(a->wants(path, mode, len));
    return a->parse(&pkgs, &ctx, path, data, len);
}

static char *slurp(const char *file, size_t *len) {
    FILE *f = fopen(file, "rb");
    char *d = NULL;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    d = hv_arena_alloc(ctx.arena, (size_t)n + 1);
    *len = fread(d, 1, (size_t)n, f);
    fclose(f);
    return d;
}

static hv_err run_file(const char *name, const char *path, uint32_t mode, const char *file) {
    size_t len = 0;
    char *d = slurp(file, &len);

    CHECK(d != NULL);
    return d ? run(name, path, mode, d, len) : HV_E_IO;
}

static hv_err run_data(const char *name, const char *path, const char *file) {
    return run_file(
        name, path, 0644,
        hv_arena_printf(ctx.arena, "%s/tests/data/scan/%s", getenv("HAVEN_SOURCE_DIR"), file));
}

static const hv_scan_pkg *find(const char *name) {
    for (size_t i = 0; i < pkgs.n; i++)
        if (!strcmp(pkgs.v[i].name, name))
            return &pkgs.v[i];
    return NULL;
}

/* Checks that pkgs holds name at version with purl (and license unless NULL is wanted). */
static void expect(const char *name, const char *version, const char *purl) {
    const hv_scan_pkg *p = find(name);

    CHECK(p != NULL);
    if (!p) {
        fprintf(stderr, "  no package %s\n", name);
        return;
    }
    CHECK_STR(p->version, version);
    if (purl)
        CHECK_STR(p->purl, purl);
}

static void test_wants(void) {
    static const struct {
        const char *analyzer, *path;
        uint32_t mode;
        bool want;
    } cases[] = {
        {"npm-package", "app/node_modules/semver/package.json", 0644, true},
        {"npm-package", "node_modules/@isaacs/cliui/package.json", 0644, true},
        {"npm-package", "a/node_modules/x/node_modules/y/package.json", 0644, true},
        {"npm-package", "node_modules/semver/lib/package.json", 0644, false},
        {"npm-package", "app/package.json", 0644, false},
        {"npm-package", "node_modules/@s/package.json", 0644, false},
        {"npm-lock", "app/package-lock.json", 0644, true},
        {"npm-lock", "app/node_modules/x/package-lock.json", 0644, false},
        {"npm-lock", "node_modules/.package-lock.json", 0644, false},
        {"python-dist", "usr/lib/python3/dist-packages/attrs-22.2.0.dist-info/METADATA", 0644,
         true},
        {"python-dist", "usr/lib/python3.11/site-packages/foo-1.0-py3.11.egg-info", 0644, true},
        {"python-dist", "x/foo.egg-info/PKG-INFO", 0644, true},
        {"python-dist", "x/foo.dist-info/RECORD", 0644, false},
        {"python-lock", "srv/poetry.lock", 0644, true},
        {"python-lock", "Pipfile.lock", 0644, true},
        {"binary", "usr/local/bin/app", 0755, true},
        {"binary", "usr/local/bin/app", 0644, false},
        {"jar", "app/lib/x.jar", 0644, true},
        {"jar", "srv/app.war", 0644, true},
        {"jar", "srv/app.ear", 0644, true},
        {"jar", "srv/app.jarx", 0644, false},
        {"cargo-lock", "src/Cargo.lock", 0644, true},
        {"gemspec", "var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec", 0644, true},
        {"gemspec", "specifications/rake-13.0.6.gemspec", 0644, true},
        {"gemspec", "src/rake.gemspec", 0644, false},
        {"gemspec", "src/myspecifications/rake.gemspec", 0644, false},
        {"gemspec", "usr/lib/ruby/gems/3.1.0/specifications/default/abbrev-0.1.0.gemspec", 0644,
         true},
        {"gemspec", "x/specifications/other/abbrev-0.1.0.gemspec", 0644, false},
        {"gemfile-lock", "app/Gemfile.lock", 0644, true},
        {"composer", "app/composer.lock", 0644, true},
        {"composer", "app/vendor/composer/installed.json", 0644, true},
        {"composer", "app/installed.json", 0644, false},
        {"dotnet-deps", "app/App.deps.json", 0644, true},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const hv_scan_analyzer *a = lang_analyzer(cases[i].analyzer);
        bool got = a && a->wants(cases[i].path, cases[i].mode, 100);
        if (got != cases[i].want)
            fprintf(stderr, "  %s wants %s: %d\n", cases[i].analyzer, cases[i].path, got);
        CHECK(got == cases[i].want);
    }
}

/* An empty file (whose bytes the walker may pass as NULL) is read without harm by all. */
static void test_empty_files(void) {
    for (const hv_scan_analyzer *a = hv_scan_lang_analyzers; a->name; a++) {
        hv_err rc;
        memset(&pkgs, 0, sizeof(pkgs));
        hv_error_clear(&ctx);
        rc = a->parse(&pkgs, &ctx, "x", NULL, 0);
        CHECK(rc == HV_OK || rc == HV_E_BAD_REQUEST);
        CHECK_INT(pkgs.n, 0);
    }
}

/* Runs command (through sh) in tmp; false when it fails. */
static bool sh(const char *command) {
    return system(hv_arena_printf(ctx.arena, "cd %s && %s", tmp, command)) == 0;
}

static int npm_seen, npm_missing;

/* Each installed package.json that npm-package wants must be found in the lock file too. */
static int npm_each(const char *file, const struct stat *st, int type, struct FTW *f) {
    const char *rel = file + strlen(tmp) + 1;
    const hv_scan_analyzer *a = lang_analyzer("npm-package");
    hv_scan_pkgs lock = pkgs, one = {0};
    size_t len = 0;
    char *d;

    (void)f;
    if (type != FTW_F || !a->wants(rel, st->st_mode, (uint64_t)st->st_size))
        return 0;
    d = slurp(file, &len);
    CHECK(a->parse(&one, &ctx, rel, (unsigned char *)d, len) == HV_OK);
    CHECK_INT(one.n, 1);
    for (size_t i = 0; i < one.n; i++) {
        bool in_lock = false;
        for (size_t j = 0; j < lock.n; j++)
            in_lock |= !strcmp(lock.v[j].name, one.v[i].name) &&
                       !strcmp(lock.v[j].version, one.v[i].version);
        if (!in_lock) {
            fprintf(stderr, "  %s@%s not in the lock file\n", one.v[i].name, one.v[i].version);
            npm_missing++;
        }
        npm_seen++;
    }
    return 0;
}

static void test_npm_install(void) {
    FILE *f;

    if (system("npm --version >/dev/null 2>&1") != 0) {
        printf("test_npm_install: skipped, no npm\n");
        return;
    }
    f = fopen(hv_arena_printf(ctx.arena, "%s/package.json", tmp), "w");
    fputs("{\"name\":\"t\",\"version\":\"1.0.0\",\"dependencies\":"
          "{\"semver\":\"7.5.4\",\"@isaacs/cliui\":\"8.0.2\"}}",
          f);
    fclose(f);
    if (!sh("timeout 300 npm install --no-audit --no-fund --loglevel=error >/dev/null")) {
        printf("test_npm_install: skipped, npm install failed (no registry?)\n");
        return;
    }
    CHECK(run_file("npm-package", "node_modules/semver/package.json", 0644,
                   hv_arena_printf(ctx.arena, "%s/node_modules/semver/package.json", tmp)) ==
          HV_OK);
    CHECK_INT(pkgs.n, 1);
    expect("semver", "7.5.4", "pkg:npm/semver@7.5.4");
    CHECK_STR(pkgs.v[0].license, "ISC");
    CHECK_STR(pkgs.v[0].path, "node_modules/semver/package.json");

    CHECK(run_file("npm-lock", "package-lock.json", 0644,
                   hv_arena_printf(ctx.arena, "%s/package-lock.json", tmp)) == HV_OK);
    expect("semver", "7.5.4", "pkg:npm/semver@7.5.4");
    expect("@isaacs/cliui", "8.0.2", "pkg:npm/%40isaacs/cliui@8.0.2");
    CHECK(find("t") == NULL); /* the project itself */
    npm_seen = npm_missing = 0;
    CHECK(nftw(tmp, npm_each, 16, FTW_PHYS) == 0);
    CHECK(npm_seen >= 10);
    CHECK_INT(npm_missing, 0);
    CHECK_INT(pkgs.n, (size_t)npm_seen);
}

static void test_npm_forms(void) {
    static const char old_license[] =
        "{\"name\":\"x\",\"version\":\"1.0.0\",\"license\":{\"type\":\"MIT\",\"url\":\"u\"}}";
    static const char licenses[] = "{\"name\":\"x\",\"version\":\"1.0.0\",\"licenses\":"
                                   "[{\"type\":\"MIT\"},{\"type\":\"Apache-2.0\"}]}";

    CHECK(run("npm-package", "node_modules/x/package.json", 0644, old_license,
              sizeof(old_license) - 1) == HV_OK);
    CHECK_STR(pkgs.n ? pkgs.v[0].license : NULL, "MIT");
    CHECK(run("npm-package", "node_modules/x/package.json", 0644, licenses, sizeof(licenses) - 1) ==
          HV_OK);
    CHECK_STR(pkgs.n ? pkgs.v[0].license : NULL, "MIT OR Apache-2.0");
    CHECK(run("npm-package", "node_modules/x/package.json", 0644, "{\"name\":", 8) ==
          HV_E_BAD_REQUEST);
    CHECK(strstr(ctx.err.message, "node_modules/x/package.json") != NULL);

    /* v1: nested by install location; dev ones are left out */
    CHECK(run_data("npm-lock", "app/package-lock.json", "npm-lock-v1.json") == HV_OK);
    CHECK_INT(pkgs.n, 3);
    expect("express", "4.17.1", "pkg:npm/express@4.17.1");
    expect("debug", "2.6.9", NULL);
    expect("ms", "2.0.0", NULL);
    CHECK(find("mocha") == NULL);
    /* v2: "packages" wins over the v1 "dependencies" it carries too; links are skipped */
    CHECK(run_data("npm-lock", "app/package-lock.json", "npm-lock-v2.json") == HV_OK);
    CHECK_INT(pkgs.n, 2);
    expect("ms", "2.1.3", NULL);
    expect("@types/node", "20.1.0", "pkg:npm/%40types/node@20.1.0");
    CHECK_STR(find("ms") ? find("ms")->license : NULL, "MIT");
}

/* Python's own reading of each distribution in /usr/lib/python3/dist-packages. */
static void test_python_dist_packages(void) {
    /* each distribution's metadata file (a dist-info's METADATA, an egg-info directory's
     * PKG-INFO, or an egg-info file), its name normalised as PEP 503 says, and version */
    FILE *p = popen("/usr/bin/python3 -c 'import importlib.metadata as m, re\n"
                    "for d in m.distributions(path=[\"/usr/lib/python3/dist-packages\"]):\n"
                    "    f = d._path\n"
                    "    if f.is_dir(): f = f / (\"METADATA\" if f.suffix == \".dist-info\" "
                    "else \"PKG-INFO\")\n"
                    "    n = re.sub(r\"[-_.]+\", \"-\", d.metadata[\"Name\"]).lower()\n"
                    "    if f.is_file(): print(f, n, d.version)'",
                    "r");
    char line[1024], file[900], name[256], version[64];
    int n = 0, eggs = 0;

    CHECK(p != NULL);
    while (p && fgets(line, sizeof(line), p)) {
        if (sscanf(line, "%899s %255s %63s", file, name, version) != 3)
            continue;
        CHECK(run_file("python-dist", file + 1, 0644, file) == HV_OK);
        CHECK_INT(pkgs.n, 1);
        if (pkgs.n == 1) {
            CHECK_STR(pkgs.v[0].name, name);
            CHECK_STR(pkgs.v[0].version, version);
        }
        eggs += strstr(file, ".egg-info") != NULL;
        n++;
    }
    if (p)
        pclose(p);
    CHECK(eggs >= 5);
    CHECK(n >= 5);
    CHECK(run_file("python-dist", "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
                   0644, "/usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA") == HV_OK);
    expect("pyyaml", "6.0", "pkg:pypi/pyyaml@6.0");
    CHECK_STR(pkgs.n ? pkgs.v[0].license : NULL, "MIT");
}

static void test_python_files(void) {
    static const char meta[] = "Metadata-Version: 2.1\nName: Foo.Bar_baz\nVersion: 1.0rc1\n"
                               "License: UNKNOWN\n"
                               "Classifier: License :: OSI Approved :: BSD License\n\n"
                               "Name: not-a-header\n";

    CHECK(run("python-dist", "x/Foo.Bar_baz-1.0rc1.egg-info", 0644, meta, sizeof(meta) - 1) ==
          HV_OK);
    expect("foo-bar-baz", "1.0rc1", "pkg:pypi/foo-bar-baz@1.0rc1");
    CHECK_STR(pkgs.n ? pkgs.v[0].license : NULL, "BSD License");
    /* core metadata 2.4's SPDX expression wins over the free text */
    CHECK(run("python-dist", "x/y-2.0.dist-info/METADATA", 0644,
              "Metadata-Version: 2.4\r\nName: y\r\nVersion: 2.0\r\nLicense: see the file\r\n"
              "License-Expression: MIT OR Apache-2.0\r\n\r\n",
              110) == HV_OK);
    CHECK_STR(pkgs.n ? pkgs.v[0].license : NULL, "MIT OR Apache-2.0");
    CHECK(run_data("python-lock", "app/poetry.lock", "poetry.lock") == HV_OK);
    CHECK_INT(pkgs.n, 2);
    expect("certifi", "2023.7.22", "pkg:pypi/certifi@2023.7.22");
    expect("charset-normalizer", "3.2.0", NULL);
    CHECK(run_data("python-lock", "app/Pipfile.lock", "Pipfile.lock") == HV_OK);
    CHECK_INT(pkgs.n, 2);
    expect("requests", "2.31.0", NULL);
    expect("zope-interface", "6.0", NULL);
    CHECK(find("pytest") == NULL);
}

/* go build of a module with a vendored dependency, one replaced by a directory and one
 * replaced by another module. */
static void test_go_build(void) {
    static const char *files[][2] = {
        {"dep/go.mod", "module example.com/dep\n\ngo 1.19\n"},
        {"dep/dep.go", "package dep\n\nfunc Hello() string { return \"hello\" }\n"},
        {"app/vendor/example.com/dep/dep.go",
         "package dep\n\nfunc Hello() string { return \"hello\" }\n"},
        {"app/vendor/example.com/lib/lib.go", "package lib\n\nfunc N() int { return 4 }\n"},
        {"app/vendor/example.com/old/old.go", "package old\n\nfunc M() int { return 5 }\n"},
        {"app/go.mod", "module example.com/app\n\ngo 1.19\n\nrequire (\n"
                       "\texample.com/dep v1.2.3\n\texample.com/lib v1.4.0\n"
                       "\texample.com/old v1.0.0\n)\n\n"
                       "replace example.com/dep v1.2.3 => ../dep\n\n"
                       "replace example.com/old v1.0.0 => example.com/new v1.1.0\n"},
        {"app/vendor/modules.txt",
         "# example.com/dep v1.2.3 => ../dep\n## explicit; go 1.19\nexample.com/dep\n"
         "# example.com/lib v1.4.0\n## explicit; go 1.19\nexample.com/lib\n"
         "# example.com/old v1.0.0 => example.com/new v1.1.0\n## explicit; go 1.19\n"
         "example.com/old\n"},
        {"app/main.go", "package main\n\nimport (\n\t\"example.com/dep\"\n\t\"example.com/lib\"\n"
                        "\t\"example.com/old\"\n\t\"fmt\"\n)\n\n"
                        "func main() { fmt.Println(dep.Hello(), lib.N(), old.M()) }\n"},
    };
    char gover[64] = "";
    FILE *p;

    if (system("go version >/dev/null 2>&1") != 0) {
        printf("test_go_build: skipped, no go\n");
        return;
    }
    CHECK(sh("mkdir -p dep app/vendor/example.com/dep app/vendor/example.com/lib "
             "app/vendor/example.com/old"));
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        FILE *f = fopen(hv_arena_printf(ctx.arena, "%s/%s", tmp, files[i][0]), "w");
        fputs(files[i][1], f);
        fclose(f);
    }
    CHECK(sh("cd app && GOFLAGS=-mod=vendor GOPROXY=off GOCACHE=$PWD/../gocache "
             "go build -o app . && chmod -R u+w ../gocache"));
    p = popen("go env GOVERSION", "r");
    CHECK(p && fgets(gover, sizeof(gover), p));
    if (p)
        pclose(p);
    gover[strcspn(gover, "\n")] = '\0';

    CHECK(run_file("binary", "usr/local/bin/app", 0755,
                   hv_arena_printf(ctx.arena, "%s/app/app", tmp)) == HV_OK);
    CHECK_INT(pkgs.n, 5);
    expect("example.com/app", "(devel)", NULL);
    expect("example.com/dep", "v1.2.3", "pkg:golang/example.com/dep@v1.2.3");
    expect("example.com/lib", "v1.4.0", "pkg:golang/example.com/lib@v1.4.0");
    expect("example.com/new", "v1.1.0", "pkg:golang/example.com/new@v1.1.0");
    CHECK(find("example.com/old") == NULL);
    expect("stdlib", gover + 2, NULL);
}

/* A tiny ELF64 little-endian file: sections laid out one after another from offset 0x100,
 * one PT_LOAD mapping the whole file at BASE, and the section headers at the end. */
#define BASE 0x400000u
typedef struct elf_section {
    const char *name;
    const unsigned char *data;
    size_t len;
} elf_section;

static void put(unsigned char *d, size_t off, uint64_t v, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        d[off + i] = (unsigned char)(v >> (8 * i));
}

static unsigned char *elf_build(size_t *len, const elf_section *s, unsigned n) {
    unsigned char *d = hv_arena_alloc(ctx.arena, 1u << 16);
    size_t off = 0x100, names = 0, shoff;
    size_t offs[8], name_offs[8];
    char strtab[256] = "";
    size_t strlen_ = 1;

    memcpy(d,
           "\x7f"
           "ELF\x02\x01\x01",
           7);
    put(d, 0x10, 2, 2);    /* ET_EXEC */
    put(d, 0x12, 0x3e, 2); /* x86-64 */
    put(d, 0x20, 0x40, 8); /* phoff */
    put(d, 0x36, 56, 2);
    put(d, 0x38, 1, 2);
    put(d, 0x3a, 64, 2);
    for (unsigned i = 0; i < n; i++) {
        offs[i] = off;
        memcpy(d + off, s[i].data, s[i].len);
        off = (off + s[i].len + 15) & ~(size_t)15;
        name_offs[i] = strlen_;
        memcpy(strtab + strlen_, s[i].name, strlen(s[i].name) + 1);
        strlen_ += strlen(s[i].name) + 1;
    }
    name_offs[n] = strlen_;
    memcpy(strtab + strlen_, ".shstrtab", 10);
    strlen_ += 10;
    names = off;
    memcpy(d + names, strtab, strlen_);
    shoff = (names + strlen_ + 15) & ~(size_t)15;
    for (unsigned i = 0; i <= n; i++) {
        size_t sh = shoff + 64 * (i + 1);
        put(d, sh, name_offs[i], 4);
        put(d, sh + 4, i == n ? 3 : 1, 4);
        put(d, sh + 0x10, i == n ? 0 : BASE + offs[i], 8);
        put(d, sh + 0x18, i == n ? names : offs[i], 8);
        put(d, sh + 0x20, i == n ? strlen_ : s[i].len, 8);
    }
    *len = shoff + 64 * (n + 2);
    put(d, 0x28, shoff, 8);
    put(d, 0x3c, n + 2, 2);
    put(d, 0x3e, n + 1, 2);
    /* PT_LOAD, RW, the whole file at BASE */
    put(d, 0x40, 1, 4);
    put(d, 0x44, 6, 4);
    put(d, 0x48, 0, 8);
    put(d, 0x50, BASE, 8);
    put(d, 0x60, *len, 8);
    put(d, 0x68, *len, 8);
    return d;
}

/* A Go < 1.18 binary: the header points at string headers in .data. */
static void test_go_pointer_form(void) {
    static const char mod[] = "0123456789abcdef"
                              "path\texample.com/old\nmod\texample.com/old\tv0.1.0\th1:x=\n"
                              "dep\tgolang.org/x/text\tv0.3.7\th1:y=\n"
                              "\n0123456789abcdef";
    unsigned char hdr[32] = "\xff Go buildinf:", data[256] = {0};
    elf_section s[2] = {{".go.buildinfo", hdr, 32}, {".data", data, 256}};
    size_t len, data_va = BASE + 0x100 + 32; /* .data follows the 32-byte header */
    unsigned char *elf;

    hdr[14] = 8;
    hdr[15] = 0; /* little-endian, pointers */
    put(hdr, 16, data_va, 8);
    put(hdr, 24, data_va + 16, 8);
    put(data, 0, data_va + 32, 8); /* version string header */
    put(data, 8, 8, 8);
    put(data, 16, data_va + 40, 8); /* module information string header */
    put(data, 24, sizeof(mod) - 1, 8);
    memcpy(data + 32, "go1.16.3", 8);
    memcpy(data + 40, mod, sizeof(mod) - 1);
    elf = elf_build(&len, s, 2);
    CHECK(run("binary", "app", 0755, elf, len) == HV_OK);
    CHECK_INT(pkgs.n, 3);
    expect("example.com/old", "v0.1.0", NULL);
    expect("golang.org/x/text", "v0.3.7", "pkg:golang/golang.org/x/text@v0.3.7");
    expect("stdlib", "1.16.3", "pkg:golang/stdlib@1.16.3");
    /* without section headers, found in the data segment as Go's reader finds it */
    put(elf, 0x3c, 0, 2);
    CHECK(run("binary", "app", 0755, elf, len) == HV_OK);
    CHECK_INT(pkgs.n, 3);
    expect("golang.org/x/text", "v0.3.7", NULL);
    /* a header pointing outside the file finds nothing, without reading past it */
    put(hdr, 16, 0xffffffffffff0000u, 8);
    elf = elf_build(&len, s, 2);
    CHECK(run("binary", "app", 0755, elf, len) == HV_OK);
    CHECK_INT(pkgs.n, 0);
}

static void test_rust_auditable(void) {
    static const char json[] =
        "{\"packages\":[{\"name\":\"app\",\"version\":\"0.1.0\",\"source\":\"local\","
        "\"dependencies\":[1,2],\"root\":true},"
        "{\"name\":\"serde\",\"version\":\"1.0.188\",\"source\":\"crates.io\"},"
        "{\"name\":\"cc\",\"version\":\"1.0.83\",\"source\":\"crates.io\",\"kind\":\"build\"},"
        "{\"name\":\"memchr\",\"version\":\"2.6.3\",\"source\":\"crates.io\","
        "\"kind\":\"runtime\"}]}";
    unsigned char z[512];
    uLongf zlen = sizeof(z);
    elf_section s[1] = {{".dep-v0", z, 0}};
    unsigned char *elf;
    size_t len;

    CHECK(compress2(z, &zlen, (const unsigned char *)json, sizeof(json) - 1, 9) == Z_OK);
    s[0].len = zlen;
    elf = elf_build(&len, s, 1);
    CHECK(run("binary", "usr/bin/app", 0755, elf, len) == HV_OK);
    CHECK_INT(pkgs.n, 2);
    expect("serde", "1.0.188", "pkg:cargo/serde@1.0.188");
    expect("memchr", "2.6.3", NULL);
    /* not zlib */
    z[0] ^= 0xff;
    elf = elf_build(&len, s, 1);
    CHECK(run("binary", "usr/bin/app", 0755, elf, len) == HV_E_BAD_REQUEST);
    /* a zlib bomb: 4 MiB of spaces in a few KiB stop at four times the file */
    {
        size_t big = 4u << 20;
        unsigned char *spaces = hv_arena_alloc(ctx.arena, big), *bomb;
        uLongf blen = compressBound(big);
        memset(spaces, ' ', big);
        bomb = hv_arena_alloc(ctx.arena, blen);
        CHECK(compress2(bomb, &blen, spaces, big, 9) == Z_OK);
        CHECK(blen < 16000);
        s[0].data = bomb;
        s[0].len = blen;
        elf = elf_build(&len, s, 1);
        CHECK(run("binary", "usr/bin/app", 0755, elf, len) == HV_E_BAD_REQUEST);
        CHECK(strstr(ctx.err.message, "inflates past") != NULL);
    }
    /* a shell script is no error */
    CHECK(run("binary", "usr/bin/s", 0755,
              "#!/bin/sh\necho hello world, this is a script that says hello\n", 62) == HV_OK);
    CHECK_INT(pkgs.n, 0);
}

/* The gem specifications of Debian's Ruby packages against RubyGems' own loading of them. */
static void test_debian_gemspecs(void) {
    FILE *p;
    char line[2048], file[900], name[256], version[64], license[512];
    int n = 0;

    if (system("ruby --version >/dev/null 2>&1") != 0) {
        printf("test_debian_gemspecs: skipped, no ruby\n");
        return;
    }
    p = popen("ruby -e 'Dir[\"/usr/share/rubygems-integration/*/specifications/*.gemspec\", "
              "\"/usr/lib/ruby/gems/*/specifications{,/default}/*.gemspec\"].each { |f| "
              "s = Gem::Specification.load(f); "
              "puts [f, s.name, s.version, s.licenses.join(\" OR \")].join(\"\\t\") if s }'",
              "r");
    CHECK(p != NULL);
    while (p && fgets(line, sizeof(line), p)) {
        license[0] = '\0';
        if (sscanf(line, "%899[^\t]\t%255[^\t]\t%63[^\t\n]\t%511[^\n]", file, name, version,
                   license) < 3)
            continue;
        CHECK(run_file("gemspec", file + 1, 0644, file) == HV_OK);
        CHECK_INT(pkgs.n, 1);
        if (pkgs.n == 1) {
            CHECK_STR(pkgs.v[0].name, name);
            CHECK_STR(pkgs.v[0].version, version);
            CHECK_STR(pkgs.v[0].license, *license ? license : NULL);
        }
        n++;
    }
    if (p)
        pclose(p);
    CHECK(n >= 5);
}

/* Debian's jars against Python's zipfile reading of their pom.properties. */
static void test_debian_jars(void) {
    /* each artifact, and the manifest's Bundle-License for a jar that is one artifact */
    FILE *p =
        popen("/usr/bin/python3 -c 'import zipfile, glob, re\n"
              "for j in sorted(glob.glob(\"/usr/share/java/*-[0-9]*.jar\")):\n"
              "    z = zipfile.ZipFile(j)\n"
              "    poms = [n for n in z.namelist() if re.fullmatch(\"META-INF/maven/[^/]+/[^/]+/"
              "pom.properties\", n)]\n"
              "    mf = z.read(\"META-INF/MANIFEST.MF\").decode() if \"META-INF/MANIFEST.MF\" "
              "in z.namelist() else \"\"\n"
              "    lic = re.search(\"^Bundle-License: *(.*)$\", mf.replace(\"\\r\", \"\")"
              ".replace(\"\\n \", \"\"), re.M)\n"
              "    for n in poms:\n"
              "        kv = dict(l.split(\"=\", 1) for l in z.read(n).decode().splitlines()\n"
              "                  if \"=\" in l and not l.startswith(\"#\"))\n"
              "        print(j, kv[\"groupId\"] + \":\" + kv[\"artifactId\"], kv[\"version\"],\n"
              "              lic.group(1) if lic and len(poms) == 1 else \"-\")'",
              "r");
    char line[2048], file[512], name[256], version[64], license[1024], last[512] = "";
    int n = 0, licensed = 0;

    CHECK(p != NULL);
    while (p && fgets(line, sizeof(line), p)) {
        const hv_scan_pkg *q;
        if (sscanf(line, "%511s %255s %63s %1023[^\n]", file, name, version, license) != 4)
            continue;
        if (strcmp(file, last) != 0)
            CHECK(run_file("jar", file + 1, 0644, file) == HV_OK);
        memcpy(last, file, sizeof(last));
        expect(name, version, NULL);
        q = find(name);
        if (q)
            CHECK_STR(q->license, strcmp(license, "-") ? license : NULL);
        licensed += strcmp(license, "-") != 0;
        n++;
    }
    if (p)
        pclose(p);
    CHECK(n >= 20);
    CHECK(licensed >= 3);
}

/* A war holding a Debian jar in WEB-INF/lib, a jar with only a manifest in BOOT-INF/lib,
 * and a broken jar. */
static void test_nested_jars(void) {
    const char *jar = "/usr/share/java/commons-io-2.11.0.jar";

    if (access(jar, R_OK) != 0) {
        printf("test_nested_jars: skipped, no %s\n", jar);
        return;
    }
    CHECK(sh(hv_arena_printf(
        ctx.arena,
        "/usr/bin/python3 -c 'import zipfile, io\n"
        "m = io.BytesIO()\n"
        "with zipfile.ZipFile(m, \"w\") as z:\n"
        "    z.writestr(\"META-INF/MANIFEST.MF\", \"Manifest-Version: 1.0\\r\\n"
        "Implementation-Vendor-Id: org.examp\\r\\n le\\r\\nImplementation-Version: 2.0.1\\r\\n"
        "\\r\\nName: x\\r\\nImplementation-Version: 9\\r\\n\")\n"
        "with zipfile.ZipFile(\"app.war\", \"w\", zipfile.ZIP_DEFLATED) as z:\n"
        "    z.write(\"%s\", \"WEB-INF/lib/commons-io-2.11.0.jar\")\n"
        "    z.writestr(\"BOOT-INF/lib/tool-2.0.1.jar\", m.getvalue())\n"
        "    z.writestr(\"WEB-INF/lib/broken.jar\", b\"not a zip\")'",
        jar)));
    CHECK(run_file("jar", "srv/app.war", 0644, hv_arena_printf(ctx.arena, "%s/app.war", tmp)) ==
          HV_OK);
    CHECK_INT(pkgs.n, 2);
    expect("commons-io:commons-io", "2.11.0", "pkg:maven/commons-io/commons-io@2.11.0");
    expect("org.example:tool", "2.0.1", "pkg:maven/org.example/tool@2.0.1");
    CHECK_STR(pkgs.n ? pkgs.v[0].path : NULL, "srv/app.war");
    CHECK(run("jar", "x.jar", 0644, "PK\3\4 not really", 16) == HV_E_BAD_REQUEST);

    /* a jar six deep: the walk stops four below the outer one; and a zip bomb (a nested
     * "jar" of 64 MiB of zeros) is skipped within the budget, the rest still read */
    CHECK(sh("/usr/bin/python3 -c 'import zipfile, io\n"
             "def jar(entries, how=zipfile.ZIP_DEFLATED):\n"
             "    m = io.BytesIO()\n"
             "    with zipfile.ZipFile(m, \"w\", how) as z:\n"
             "        for n, b in entries: z.writestr(n, b)\n"
             "    return m.getvalue()\n"
             "j = b\"\"\n"
             "for d in range(6, 0, -1):\n"
             "    pom = \"groupId=g\\nartifactId=d%d\\nversion=1\\n\" % d\n"
             "    e = [(\"META-INF/maven/g/d%d/pom.properties\" % d, pom)]\n"
             "    j = jar(e + ([(\"lib/d%d.jar\" % (d + 1), j)] if j else []))\n"
             "open(\"deep.jar\", \"wb\").write(j)\n"
             "open(\"bomb.war\", \"wb\").write(jar([(\"WEB-INF/lib/zeros.jar\", bytes(64 << 20)),"
             "(\"WEB-INF/lib/real.jar\", jar([(\"META-INF/maven/g/real/pom.properties\","
             "\"groupId=g\\nartifactId=real\\nversion=2\\n\")]))]))'"));
    CHECK(run_file("jar", "deep.jar", 0644, hv_arena_printf(ctx.arena, "%s/deep.jar", tmp)) ==
          HV_OK);
    CHECK_INT(pkgs.n, 5);
    expect("g:d5", "1", NULL);
    CHECK(find("g:d6") == NULL);
    CHECK(run_file("jar", "bomb.war", 0644, hv_arena_printf(ctx.arena, "%s/bomb.war", tmp)) ==
          HV_OK);
    CHECK_INT(pkgs.n, 1);
    expect("g:real", "2", NULL);
}

static void test_lock_files(void) {
    CHECK(run_data("cargo-lock", "src/Cargo.lock", "Cargo.lock") == HV_OK);
    CHECK_INT(pkgs.n, 2);
    expect("serde", "1.0.188", "pkg:cargo/serde@1.0.188");
    expect("itoa", "1.0.9", NULL);
    CHECK(find("app") == NULL); /* the workspace's own crate */

    CHECK(run_data("gemspec", "var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec",
                   "rake-13.0.6.gemspec") == HV_OK);
    CHECK_INT(pkgs.n, 1);
    expect("rake", "13.0.6", "pkg:gem/rake@13.0.6");
    CHECK_STR(pkgs.n ? pkgs.v[0].license : NULL, "MIT");
    CHECK(run_data("gemfile-lock", "app/Gemfile.lock", "Gemfile.lock") == HV_OK);
    CHECK_INT(pkgs.n, 3);
    expect("rack", "2.2.8", "pkg:gem/rack@2.2.8");
    expect("nokogiri", "1.15.4", NULL);
    expect("racc", "1.7.1", NULL);
    CHECK(find("mygem") == NULL); /* from PATH, not rubygems.org */

    CHECK(run_data("composer", "app/composer.lock", "composer.lock") == HV_OK);
    CHECK_INT(pkgs.n, 2);
    expect("monolog/monolog", "3.4.0", "pkg:composer/monolog/monolog@3.4.0");
    expect("psr/log", "3.0.0", NULL);
    CHECK_STR(find("monolog/monolog") ? find("monolog/monolog")->license : NULL, "MIT");
    CHECK(find("phpunit/phpunit") == NULL);
    CHECK(run_data("composer", "app/vendor/composer/installed.json", "installed-v2.json") == HV_OK);
    CHECK_INT(pkgs.n, 1);
    expect("symfony/polyfill-mbstring", "v1.28.0", NULL);
    CHECK_STR(pkgs.n ? pkgs.v[0].license : NULL, "MIT OR Apache-2.0");
    CHECK(run_data("composer", "app/vendor/composer/installed.json", "installed-v1.json") == HV_OK);
    CHECK_INT(pkgs.n, 1);
    expect("psr/container", "1.1.2", NULL);

    CHECK(run_data("dotnet-deps", "app/App.deps.json", "App.deps.json") == HV_OK);
    CHECK_INT(pkgs.n, 2);
    expect("Newtonsoft.Json", "13.0.3", "pkg:nuget/Newtonsoft.Json@13.0.3");
    expect("System.Text.Json", "7.0.2", NULL);
    CHECK(find("App") == NULL);
}

static void setup(void) {
    ctx.arena = hv_arena_new();
    memcpy(tmp, "/tmp/hv-scanlang-XXXXXX", 24);
    CHECK(mkdtemp(tmp) != NULL);
}

static void teardown(void) {
    CHECK(sh(hv_arena_printf(ctx.arena, "chmod -R u+w %s; rm -rf %s", tmp, tmp)));
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_wants, test_empty_files, test_npm_forms, test_python_dist_packages,
          test_python_files, test_go_pointer_form, test_rust_auditable, test_debian_jars,
          test_nested_jars, test_debian_gemspecs, test_lock_files, test_go_build, test_npm_install,
          teardown)
