/*
 * scan: ecosystems and version comparison — the ecosystem tables, each scheme's documented
 * orderings (the differential tests in tests/scan/ compare thousands more against the
 * ecosystems' own tools), and the errors for what is not a version.
 */
#include "scan/scan.h"
#include "test.h"

#include <string.h>

static int cmp(hv_scan_scheme s, const char *a, const char *b) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    int c = 2;
    hv_err rc = hv_scan_version_cmp(&c, &ctx, s, a, b);

    if (rc != HV_OK) {
        fprintf(stderr, "comparing \"%s\" with \"%s\": %s\n", a, b, ctx.err.message);
        c = 2;
    }
    hv_arena_free(ctx.arena);
    return c;
}

/* each of list is older than the next: check every pair both ways */
static void ascending(hv_scan_scheme s, const char *const *list) {
    for (int i = 0; list[i]; i++)
        for (int j = 0; list[j]; j++)
            if (cmp(s, list[i], list[j]) != (i > j) - (i < j)) {
                test_failures++;
                fprintf(stderr, "scheme %d: \"%s\" vs \"%s\" is %d, want %d\n", s, list[i], list[j],
                        cmp(s, list[i], list[j]), (i > j) - (i < j));
            }
    test_checks++;
}

#define ASCENDING(s, ...) ascending((s), (const char *const[]){__VA_ARGS__, NULL})
#define SAME(s, a, b)     CHECK_INT(cmp((s), (a), (b)), 0)

static void test_ecosystems(void) {
    CHECK_STR(hv_scan_eco_osv(HV_ECO_DEBIAN), "Debian");
    CHECK_STR(hv_scan_eco_osv(HV_ECO_CRATES_IO), "crates.io");
    CHECK_STR(hv_scan_eco_osv(HV_ECO_PYPI), "PyPI");
    CHECK_STR(hv_scan_eco_purl_type(HV_ECO_GO), "golang");
    CHECK_STR(hv_scan_eco_purl_type(HV_ECO_RUBYGEMS), "gem");
    CHECK_STR(hv_scan_eco_purl_type(HV_ECO_UBUNTU), "deb");
    CHECK(hv_scan_eco_osv(HV_ECO_NONE) == NULL);
    CHECK(hv_scan_eco_purl_type(HV_ECO_COUNT) == NULL);
    for (int e = HV_ECO_NONE + 1; e < HV_ECO_COUNT; e++) {
        CHECK_INT(hv_scan_eco_from_osv(hv_scan_eco_osv((hv_scan_eco)e)), e);
        CHECK(hv_scan_eco_purl_type((hv_scan_eco)e) != NULL);
    }
    CHECK_INT(hv_scan_eco_scheme(HV_ECO_UBUNTU), HV_VS_DPKG);
    CHECK_INT(hv_scan_eco_scheme(HV_ECO_ALPINE), HV_VS_APK);
    CHECK_INT(hv_scan_eco_scheme(HV_ECO_CRATES_IO), HV_VS_SEMVER);
    CHECK_INT(hv_scan_eco_scheme(HV_ECO_PACKAGIST), HV_VS_COMPOSER);
    /* releases after ':' and the members of a family */
    CHECK_INT(hv_scan_eco_from_osv("Debian:12"), HV_ECO_DEBIAN);
    CHECK_INT(hv_scan_eco_from_osv("Ubuntu:22.04:LTS"), HV_ECO_UBUNTU);
    CHECK_INT(hv_scan_eco_from_osv("Alpine:v3.19"), HV_ECO_ALPINE);
    CHECK_INT(hv_scan_eco_from_osv("Wolfi"), HV_ECO_ALPINE);
    CHECK_INT(hv_scan_eco_from_osv("Rocky Linux:9"), HV_ECO_RPM);
    CHECK_INT(hv_scan_eco_from_osv("Red Hat:rhel_aus:8.4::appstream"), HV_ECO_RPM);
    CHECK_INT(hv_scan_eco_from_osv("debian"), HV_ECO_NONE); /* OSV's names are exact */
    CHECK_INT(hv_scan_eco_from_osv("Deb"), HV_ECO_NONE);
    CHECK_INT(hv_scan_eco_from_osv(""), HV_ECO_NONE);
    CHECK_INT(hv_scan_eco_from_osv("Hackage"), HV_ECO_NONE);
}

static void test_dpkg(void) {
    ASCENDING(HV_VS_DPKG, "1.0~rc1", "1.0", "1.0-0.1", "1.0-1", "1.0a", "1.0+b1", "1.0.1", "1.10",
              "1:0.9");
    SAME(HV_VS_DPKG, "1.0", "1.0-0");
    SAME(HV_VS_DPKG, "0:1.0", "1.0");
    SAME(HV_VS_DPKG, "1.01", "1.1");
    ASCENDING(HV_VS_DPKG, "2.36-9+deb12u3", "2.36-9+deb12u4", "2.36-9+deb12u10");
}

static void test_apk(void) {
    ASCENDING(HV_VS_APK, "1.0_alpha", "1.0_beta1", "1.0_pre", "1.0_rc1", "1.0", "1.0-r1", "1.0_p1",
              "1.0a", "1.0.1");
    ASCENDING(HV_VS_APK, "1.01", "1.1"); /* a leading zero compares as a string */
    SAME(HV_VS_APK, "1.0~abc", "1.0~abc");
    ASCENDING(HV_VS_APK, "3.1.4-r0", "3.1.4-r1", "3.1.4-r10");
}

static void test_rpm(void) {
    ASCENDING(HV_VS_RPM, "1.0~rc1", "1.0", "1.0^git1", "1.0a", "1.0.1" /* letters < digits */);
    ASCENDING(HV_VS_RPM, "1.0", "1.0-1.el9", "1.0-2.el9", "1.0-10.el9", "1:0.5-1");
    SAME(HV_VS_RPM, "1.0_1", "1.0.1");
    SAME(HV_VS_RPM, "0:1.0-1", "1.0-1");
    ASCENDING(HV_VS_RPM, "1.a", "1.1");
}

static void test_semver_and_go(void) {
    ASCENDING(HV_VS_SEMVER, "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
              "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.10.0");
    SAME(HV_VS_SEMVER, "1.0.0+build.1", "v1.0.0+other");
    ASCENDING(HV_VS_SEMVER, "9007199254740990.0.0", "9007199254740991.0.0");
    ASCENDING(HV_VS_GO, "v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20200101000000-abcdefabcdef",
              "v0.0.1", "v1.2.3-pre", "v1.2.3", "v1.2.4-0.20200101000000-abcdefabcdef", "v1.2.4",
              "v2.0.0+incompatible", "v2.0.1");
    SAME(HV_VS_GO, "v1", "v1.0.0");
    SAME(HV_VS_GO, "1.2", "v1.2.0");
    SAME(HV_VS_GO, "v2.0.0+incompatible", "v2.0.0");
}

static void test_pep440(void) {
    ASCENDING(HV_VS_PEP440, "1.0.dev0", "1.0a1.dev1", "1.0a1", "1.0b2.post3", "1.0rc1", "1.0",
              "1.0+local", "1.0+local.1", "1.0.post1.dev1", "1.0.post1", "1.1", "1!0.1");
    SAME(HV_VS_PEP440, "1.0", "1.0.0");
    SAME(HV_VS_PEP440, "v1.0-ALPHA_1", "1.0a1");
    SAME(HV_VS_PEP440, "1.0-1", "1.0.post1");
    SAME(HV_VS_PEP440, "1.0c1", "1.0rc1");
    ASCENDING(HV_VS_PEP440, "1.0+abc", "1.0+1"); /* numbers above strings in local versions */
}

static void test_maven(void) {
    ASCENDING(HV_VS_MAVEN, "1.0-alpha-1", "1.0-beta-1", "1.0-milestone-1", "1.0-rc-1",
              "1.0-SNAPSHOT", "1.0", "1.0-sp-1", "1.0-whatever", "1.0.1");
    SAME(HV_VS_MAVEN, "1.0", "1");
    SAME(HV_VS_MAVEN, "1.0-ga", "1.0-final");
    SAME(HV_VS_MAVEN, "1a1", "1-alpha-1");
    SAME(HV_VS_MAVEN, "1.0.RC2", "1.0-rc-2");
    SAME(HV_VS_MAVEN, "1.0-CR1", "1.0-rc1");
    ASCENDING(HV_VS_MAVEN, "2.0.0", "10.0.0", "10000000000.0", "100000000000000000000");
}

static void test_rubygems(void) {
    ASCENDING(HV_VS_RUBYGEMS, "1.0.a", "1.0.a.1", "1.0.b", "1.0.rc1", "1.0", "1.0.1", "1.1");
    SAME(HV_VS_RUBYGEMS, "1.0", "1.0.0");
    SAME(HV_VS_RUBYGEMS, "1.0-rc1", "1.0.pre.rc1");
    SAME(HV_VS_RUBYGEMS, "", "0");
}

static void test_nuget(void) {
    ASCENDING(HV_VS_NUGET, "1.0.0-alpha", "1.0.0-Alpha.1", "1.0.0-beta", "1.0.0", "1.0.0.1",
              "1.0.1");
    SAME(HV_VS_NUGET, "1.0.0-BETA", "1.0.0-beta");
    SAME(HV_VS_NUGET, "1", "1.0.0.0");
    SAME(HV_VS_NUGET, "1.0.0+a", "1.0.0+b");
}

static void test_composer(void) {
    ASCENDING(HV_VS_COMPOSER, "1.0.0-dev", "1.0.0-alpha1", "1.0.0-beta.2", "v1.0.0-RC1", "1.0",
              "1.0.0-patch1", "1.0.1", "1.x-dev", "2024-01-31");
    SAME(HV_VS_COMPOSER, "v1.2", "1.2.0.0");
    SAME(HV_VS_COMPOSER, "1.0-b2", "1.0.0-beta2");
    SAME(HV_VS_COMPOSER, "1.0.0-stable", "1.0");
    SAME(HV_VS_COMPOSER, "1.0.0+build", "1.0.0@stable");
}

static void test_errors(void) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    char long_version[300];
    int c = 7;

    CHECK_INT(hv_scan_version_cmp(&c, &ctx, HV_VS_DPKG, "1.0", "one"), HV_E_BAD_REQUEST);
    CHECK_INT(c, 7);
    CHECK(strstr(ctx.err.message, "\"one\" is not a dpkg version") != NULL);
    CHECK(strstr(ctx.err.message, "does not start with digit") != NULL);
    hv_error_clear(&ctx);

    memset(long_version, '1', sizeof(long_version) - 1);
    long_version[sizeof(long_version) - 1] = '\0';
    for (int s = HV_VS_DPKG; s <= HV_VS_COMPOSER; s++) {
        CHECK(!hv_scan_version_valid((hv_scan_scheme)s, long_version));
        CHECK_INT(hv_scan_version_cmp(&c, &ctx, (hv_scan_scheme)s, long_version, "1"),
                  HV_E_BAD_REQUEST);
        CHECK(strstr(ctx.err.message, "longer than 256 bytes") != NULL);
        hv_error_clear(&ctx);
    }
    long_version[256] = '\0'; /* 256 bytes is still a version */
    CHECK(hv_scan_version_valid(HV_VS_DPKG, long_version));
    CHECK(hv_scan_version_valid(HV_VS_MAVEN, long_version));

    CHECK(!hv_scan_version_valid(HV_VS_APK, "1.0_foo"));
    CHECK(!hv_scan_version_valid(HV_VS_APK, "1.0-1"));
    CHECK(!hv_scan_version_valid(HV_VS_RPM, ""));
    CHECK(!hv_scan_version_valid(HV_VS_SEMVER, "1.2"));
    CHECK(!hv_scan_version_valid(HV_VS_SEMVER, "1.2.3-01"));
    CHECK(!hv_scan_version_valid(HV_VS_SEMVER, "9007199254740992.0.0"));
    CHECK(!hv_scan_version_valid(HV_VS_GO, "v1.2-pre"));
    CHECK(!hv_scan_version_valid(HV_VS_PEP440, "1.0-foo"));
    CHECK(!hv_scan_version_valid(HV_VS_MAVEN, "1.0 final"));
    CHECK(!hv_scan_version_valid(HV_VS_RUBYGEMS, "1..0"));
    CHECK(!hv_scan_version_valid(HV_VS_NUGET, "1.2.3.4.5"));
    CHECK(!hv_scan_version_valid(HV_VS_NUGET, "2147483648.0"));
    CHECK(!hv_scan_version_valid(HV_VS_COMPOSER, "dev-main"));
    CHECK(!hv_scan_version_valid(HV_VS_COMPOSER, "1.2.3.4.5"));
    CHECK_INT(hv_scan_version_cmp(&c, &ctx, HV_VS_COMPOSER, "dev-main", "1.0"), HV_E_BAD_REQUEST);
    CHECK(strstr(ctx.err.message, "has no order") != NULL);
    hv_arena_free(ctx.arena);
}

TEST_MAIN(test_ecosystems, test_dpkg, test_apk, test_rpm, test_semver_and_go, test_pep440,
          test_maven, test_rubygems, test_nuget, test_composer, test_errors)
