/*
 * The distributions' own feeds, stored as the advisories osv.dev would make of them.
 *
 * Debian's security tracker JSON: {source package: {CVE: {description, releases: {codename:
 * {status, fixed_version, urgency}}}}}.  Each (CVE, release) becomes an affected entry of
 * "Debian:<number>" for the source package: "resolved" with a fixed_version is fixed there
 * ("0": never affected, skipped), "open" is unfixed, "undetermined" is skipped (Trivy's
 * rules); the urgency is the vendor severity.  TEMP- ids are Debian's placeholders for
 * issues without a CVE yet, left out as osv.dev does.
 *
 * Alpine's secdb: {distroversion, packages: [{pkg: {name, secfixes: {fixed version:
 * [ids]}}}]}, name being the origin (source) package.  A fix attributed to version "0"
 * means the CVE does not apply to Alpine's package: skipped.  Entries may carry notes
 * ("CVE-2017-2616 (+ regression fix)") or underscores ("CVE_2019_…"): the first CVE- or
 * GHSA- token is the id.
 */
#include "scan/vulndb_int.h"

#include <string.h>

/* Debian's releases by codename (distro-info's debian.csv). */
static const struct {
    const char *codename, *number;
} debian_releases[] = {
    {"jessie", "8"},    {"stretch", "9"}, {"buster", "10"}, {"bullseye", "11"},
    {"bookworm", "12"}, {"trixie", "13"}, {"forky", "14"},  {"sid", "sid"},
};

static const char *debian_number(const char *codename) {
    for (size_t i = 0; i < sizeof(debian_releases) / sizeof(debian_releases[0]); i++) {
        if (strcmp(debian_releases[i].codename, codename) == 0)
            return debian_releases[i].number;
    }
    return NULL;
}

/* A record of only an id (the feeds carry no CVSS), with the description when given. */
static void bare_record(hv_vuln_record *rec, hv_ctx *ctx, const char *id, const char *text) {
    memset(rec, 0, sizeof(*rec));
    rec->id = id;
    rec->ids = hv_arena_printf(ctx->arena, "[\"%s\"]", id);
    rec->description = text;
    rec->cvss3_score10 = -1;
    rec->cvss4_score10 = -1;
    rec->cwe_ids = "[]";
    rec->links =
        hv_arena_printf(ctx->arena, "[\"https://security-tracker.debian.org/tracker/%s\"]", id);
}

/* Introduced at 0, fixed at fixed (NULL: not yet). */
static const char *fixed_range(hv_ctx *ctx, const char *fixed) {
    if (!fixed)
        return "i0";
    return hv_arena_printf(ctx->arena, "i0%cf%s", HV_SCAN__EVENT_SEP, fixed);
}

/* An id safe to put in JSON text: the ids kept here are letters, digits and '-'. */
static bool plain_id(const char *s) {
    for (; *s; s++) {
        if (!(*s >= 'A' && *s <= 'Z') && !(*s >= 'a' && *s <= 'z') && !(*s >= '0' && *s <= '9') &&
            *s != '-')
            return false;
    }
    return true;
}

hv_err hv_scan__debian_package(hv_scan__import *imp, const char *package, json_t *cves) {
    hv_ctx *ctx = imp->ctx;
    const char *cve;
    json_t *entry;
    hv_err rc = HV_OK;

    if (!json_is_object(cves)) {
        imp->stats->malformed++;
        hv_log(HV_LOG_WARN, "debian tracker: package %s: not an object of CVEs, skipped", package);
        return HV_OK;
    }
    json_object_foreach(cves, cve, entry) {
        hv_scan__advisory adv = {0};
        hv_vuln_affected aff[sizeof(debian_releases) / sizeof(debian_releases[0])];
        const char *codename;
        json_t *rel;

        if (!hv_str_has_prefix(cve, "CVE-") || !plain_id(cve))
            continue;
        bare_record(
            &adv.rec, ctx, hv_arena_strdup(ctx->arena, cve),
            hv_arena_strdup(ctx->arena, json_string_value(json_object_get(entry, "description"))));
        adv.affected = aff;
        json_object_foreach(json_object_get(entry, "releases"), codename, rel) {
            const char *number = debian_number(codename);
            const char *status = json_string_value(json_object_get(rel, "status"));
            const char *fixed = json_string_value(json_object_get(rel, "fixed_version"));
            hv_vuln_affected *a;

            if (!number || !status || strcmp(status, "undetermined") == 0)
                continue;
            if (strcmp(status, "resolved") == 0 && (!fixed || strcmp(fixed, "0") == 0))
                continue;
            if (strcmp(status, "resolved") != 0)
                fixed = NULL;
            else if (!hv_scan__version_ok(fixed))
                continue;
            a = &adv.affected[adv.n_affected++];
            a->vuln_id = adv.rec.id;
            a->ecosystem = hv_arena_printf(ctx->arena, "Debian:%s", number);
            a->package = package;
            a->ranges = fixed_range(ctx, fixed);
            a->versions = NULL;
            a->vendor_severity =
                hv_scan__debian_urgency(json_string_value(json_object_get(rel, "urgency")));
        }
        if (adv.n_affected == 0)
            continue;
        rc = hv_scan__store(imp, &adv);
        if (rc)
            break;
    }
    return rc;
}

/* The first CVE- or GHSA- token of a secfixes entry, "CVE_" read as "CVE-"; NULL if none. */
static const char *secfix_id(hv_ctx *ctx, const char *entry) {
    for (const char *p = entry; *p; p++) {
        if (strncmp(p, "CVE-", 4) == 0 || strncmp(p, "CVE_", 4) == 0 ||
            strncmp(p, "GHSA-", 5) == 0) {
            size_t n = strspn(p, "CVEGHSAcdefghijklmnopqrstuvwxyz0123456789-_");
            char *id = hv_arena_strndup(ctx->arena, p, n);

            for (char *c = id; *c; c++) {
                if (*c == '_')
                    *c = '-';
            }
            return id;
        }
    }
    return NULL;
}

hv_err hv_scan__alpine_secdb(hv_scan__import *imp, const char *name, json_t *doc) {
    hv_ctx *ctx = imp->ctx;
    const char *release = json_string_value(json_object_get(doc, "distroversion"));
    json_t *packages = json_object_get(doc, "packages"), *p;
    size_t i;

    if (!release || !hv_str_has_prefix(release, "v") || !json_is_array(packages))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "%s: not an Alpine secdb (no distroversion \"v…\" or packages list)", name);
    json_array_foreach(packages, i, p) {
        json_t *pkg = json_object_get(p, "pkg"), *ids;
        const char *pname = json_string_value(json_object_get(pkg, "name")), *fixed;

        if (!pname || !json_is_object(json_object_get(pkg, "secfixes"))) {
            imp->stats->malformed++;
            hv_log(HV_LOG_WARN, "%s: packages[%zu] has no pkg.name or pkg.secfixes, skipped", name,
                   i);
            continue;
        }
        json_object_foreach(json_object_get(pkg, "secfixes"), fixed, ids) {
            size_t k;
            json_t *e;

            if (strcmp(fixed, "0") == 0 || !hv_scan__version_ok(fixed))
                continue;
            json_array_foreach(ids, k, e) {
                const char *id = json_is_string(e) ? secfix_id(ctx, json_string_value(e)) : NULL;
                hv_vuln_affected a = {0};
                hv_scan__advisory adv = {0};
                hv_err rc;

                if (!id || !plain_id(id))
                    continue;
                bare_record(&adv.rec, ctx, id, NULL);
                adv.rec.links = hv_arena_printf(
                    ctx->arena, "[\"https://security.alpinelinux.org/vuln/%s\"]", id);
                a.vuln_id = id;
                a.ecosystem = hv_arena_printf(ctx->arena, "Alpine:%s", release);
                a.package = pname;
                a.ranges = fixed_range(ctx, fixed);
                adv.affected = &a;
                adv.n_affected = 1;
                rc = hv_scan__store(imp, &adv);
                if (rc)
                    return rc;
            }
        }
    }
    return HV_OK;
}
