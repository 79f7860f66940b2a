/*
 * scan: ecosystems and the dispatch of version comparison to each scheme's comparator
 * (version_os.c: dpkg, apk, rpm; version_semver.c: SemVer, Go, NuGet; version_pep440.c;
 * version_maven.c; version_gem.c: RubyGems; version_composer.c).  Every version is bounded
 * (HV_SCAN_VERSION_MAX) before a comparator sees it, so none of them allocates.
 */
#include "scan/version_int.h"

#include <assert.h>
#include <string.h>

static const struct eco {
    const char *osv;
    const char *purl;
    hv_scan_scheme scheme;
} ecos[HV_ECO_COUNT] = {
    [HV_ECO_DEBIAN] = {"Debian", "deb", HV_VS_DPKG},
    [HV_ECO_UBUNTU] = {"Ubuntu", "deb", HV_VS_DPKG},
    [HV_ECO_ALPINE] = {"Alpine", "apk", HV_VS_APK},
    [HV_ECO_RPM] = {"Red Hat", "rpm", HV_VS_RPM},
    [HV_ECO_NPM] = {"npm", "npm", HV_VS_SEMVER},
    [HV_ECO_PYPI] = {"PyPI", "pypi", HV_VS_PEP440},
    [HV_ECO_GO] = {"Go", "golang", HV_VS_GO},
    [HV_ECO_MAVEN] = {"Maven", "maven", HV_VS_MAVEN},
    [HV_ECO_CRATES_IO] = {"crates.io", "cargo", HV_VS_SEMVER},
    [HV_ECO_RUBYGEMS] = {"RubyGems", "gem", HV_VS_RUBYGEMS},
    [HV_ECO_PACKAGIST] = {"Packagist", "composer", HV_VS_COMPOSER},
    [HV_ECO_NUGET] = {"NuGet", "nuget", HV_VS_NUGET},
};

/* OSV names of the members of a family that has one ecosystem here (ossf/osv-schema
 * ecosystems.json). */
static const struct alias {
    const char *osv;
    hv_scan_eco eco;
} aliases[] = {
    {"Wolfi", HV_ECO_ALPINE},  {"Chainguard", HV_ECO_ALPINE}, {"Rocky Linux", HV_ECO_RPM},
    {"AlmaLinux", HV_ECO_RPM}, {"openSUSE", HV_ECO_RPM},      {"SUSE", HV_ECO_RPM},
    {"Mageia", HV_ECO_RPM},    {"openEuler", HV_ECO_RPM},     {"Azure Linux", HV_ECO_RPM},
    {"Photon OS", HV_ECO_RPM},
};

const char *hv_scan_eco_osv(hv_scan_eco eco) {
    return eco > HV_ECO_NONE && eco < HV_ECO_COUNT ? ecos[eco].osv : NULL;
}

const char *hv_scan_eco_purl_type(hv_scan_eco eco) {
    return eco > HV_ECO_NONE && eco < HV_ECO_COUNT ? ecos[eco].purl : NULL;
}

hv_scan_scheme hv_scan_eco_scheme(hv_scan_eco eco) {
    assert(eco > HV_ECO_NONE && eco < HV_ECO_COUNT);
    return ecos[eco].scheme;
}

hv_scan_eco hv_scan_eco_from_osv(const char *name) {
    size_t n = strcspn(name, ":");

    for (int e = HV_ECO_NONE + 1; e < HV_ECO_COUNT; e++)
        if (strlen(ecos[e].osv) == n && memcmp(ecos[e].osv, name, n) == 0)
            return (hv_scan_eco)e;
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strlen(aliases[i].osv) == n && memcmp(aliases[i].osv, name, n) == 0)
            return aliases[i].eco;
    return HV_ECO_NONE;
}

static const struct scheme {
    const char *name;
    const char *(*check)(hv_scan__span v);
    int (*cmp)(hv_scan__span a, hv_scan__span b);
} schemes[] = {
    [HV_VS_DPKG] = {"dpkg", hv_scan__dpkg_check, hv_scan__dpkg_cmp},
    [HV_VS_APK] = {"apk", hv_scan__apk_check, hv_scan__apk_cmp},
    [HV_VS_RPM] = {"rpm", hv_scan__rpm_check, hv_scan__rpm_cmp},
    [HV_VS_SEMVER] = {"SemVer", hv_scan__semver_check, hv_scan__semver_cmp},
    [HV_VS_GO] = {"Go module", hv_scan__go_check, hv_scan__go_cmp},
    [HV_VS_PEP440] = {"PEP 440", hv_scan__pep440_check, hv_scan__pep440_cmp},
    [HV_VS_MAVEN] = {"Maven", hv_scan__maven_check, hv_scan__maven_cmp},
    [HV_VS_RUBYGEMS] = {"RubyGems", hv_scan__gem_check, hv_scan__gem_cmp},
    [HV_VS_NUGET] = {"NuGet", hv_scan__nuget_check, hv_scan__nuget_cmp},
    [HV_VS_COMPOSER] = {"Composer", hv_scan__composer_check, hv_scan__composer_cmp},
};

/* Why v is not a version of s, or NULL; *out is its span when it is. */
static const char *check(hv_scan__span *out, const struct scheme *s, const char *v) {
    out->p = v;
    out->n = strnlen(v, HV_SCAN_VERSION_MAX + 1);
    if (out->n > HV_SCAN_VERSION_MAX)
        return "longer than 256 bytes";
    return s->check(*out);
}

hv_err hv_scan_version_cmp(int *cmp, hv_ctx *ctx, hv_scan_scheme scheme, const char *a,
                           const char *b) {
    const struct scheme *s;
    hv_scan__span sa, sb;
    const char *why;

    assert((size_t)scheme < sizeof(schemes) / sizeof(schemes[0]));
    s = &schemes[scheme];
    why = check(&sa, s, a);
    if (!why) {
        why = check(&sb, s, b);
        a = b;
    }
    if (why)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "\"%.64s%s\" is not a %s version: %s", a,
                       strnlen(a, 65) > 64 ? "…" : "", s->name, why);
    *cmp = hv_scan__sign(s->cmp(sa, sb));
    return HV_OK;
}

bool hv_scan_version_valid(hv_scan_scheme scheme, const char *v) {
    hv_scan__span sv;

    assert((size_t)scheme < sizeof(schemes) / sizeof(schemes[0]));
    return check(&sv, &schemes[scheme], v) == NULL;
}

int hv_scan__numcmp(hv_scan__span a, hv_scan__span b) {
    while (a.n > 0 && *a.p == '0')
        a.p++, a.n--;
    while (b.n > 0 && *b.p == '0')
        b.p++, b.n--;
    if (a.n != b.n)
        return a.n < b.n ? -1 : 1;
    return a.n ? memcmp(a.p, b.p, a.n) : 0;
}

int hv_scan__sign(int x) {
    return (x > 0) - (x < 0);
}

int hv_scan__lexcmp(hv_scan__span a, hv_scan__span b) {
    int r = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);

    return r ? r : (a.n > b.n) - (a.n < b.n);
}
