/*
 * scan — Haven's built-in vulnerability scanner and SBOM generator: what is installed in an
 * image (the inventory), how versions compare in each ecosystem, the vulnerability database,
 * matching an inventory against it (Harbor's report), and SBOMs (SPDX 2.3, CycloneDX 1.5).
 * Formats and rules: shared/reference/scanning-and-signing.md §1–§5.
 *
 * The module is pure C over bytes and the blob and database layers; it never sees HTTP.  The
 * scanning feature (scan jobs, Harbor's scan API, policies) calls it.
 *
 * Sections:
 *   ecosystems and versions   hv_scan_eco, hv_scan_version_cmp (version*.c)
 *   inventory                 hv_scan_pkg, hv_scan_inventory, layer walking (inventory*.c,
 *                             walk.c, pkg_*.c), stored per layer digest
 *   vulnerability database    import of OSV / Debian tracker / Alpine secdb, CVSS (vulndb*.c,
 *                             cvss.c)
 *   matching and reports      hv_scan_match, Harbor's report and overview (match.c, report.c)
 *   SBOM                      SPDX and CycloneDX from an inventory (sbom.c)
 */
#ifndef HV_SCAN_H
#define HV_SCAN_H

#include "base/base.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- ecosystems and versions */

/* The ecosystem a package is matched in.  Its OSV name (hv_scan_eco_osv) is what the
 * vulnerability database is keyed by; OS ecosystems carry their release in the inventory's
 * os (Debian "Debian:12", Alpine "Alpine:v3.19"). */
typedef enum hv_scan_eco {
    HV_ECO_NONE = 0,
    HV_ECO_DEBIAN,    /* dpkg; also Ubuntu (own OSV name) */
    HV_ECO_UBUNTU,    /* dpkg */
    HV_ECO_ALPINE,    /* apk; also Wolfi/Chainguard (own OSV names) */
    HV_ECO_RPM,       /* rpm-based: Red Hat, Rocky, AlmaLinux, Oracle, Fedora, SUSE, … */
    HV_ECO_NPM,       /* SemVer 2.0 */
    HV_ECO_PYPI,      /* PEP 440; names normalised as PEP 503 says */
    HV_ECO_GO,        /* SemVer with +incompatible and pseudo-versions; "stdlib" for Go */
    HV_ECO_MAVEN,     /* Maven ComparableVersion; name "group:artifact" */
    HV_ECO_CRATES_IO, /* SemVer 2.0 */
    HV_ECO_RUBYGEMS,  /* Gem::Version */
    HV_ECO_PACKAGIST, /* Composer's version rules */
    HV_ECO_NUGET,     /* NuGet's version rules */
    HV_ECO_COUNT
} hv_scan_eco;

/* The version scheme an ecosystem compares with. */
typedef enum hv_scan_scheme {
    HV_VS_DPKG,
    HV_VS_APK,
    HV_VS_RPM,
    HV_VS_SEMVER,
    HV_VS_GO,
    HV_VS_PEP440,
    HV_VS_MAVEN,
    HV_VS_RUBYGEMS,
    HV_VS_NUGET,
    HV_VS_COMPOSER,
} hv_scan_scheme;

/* OSV's name of eco ("Debian", "npm", "PyPI", "Go", "Maven", "crates.io", …; "Red Hat" for
 * the rpm family); purl's type of it ("deb", "apk", "rpm", "npm", "pypi", "golang", "maven",
 * "cargo", "gem", "composer", "nuget"); its version scheme.  Static strings; NULL (the
 * scheme: an assert) for HV_ECO_NONE and out-of-range values. */
const char *hv_scan_eco_osv(hv_scan_eco eco);
const char *hv_scan_eco_purl_type(hv_scan_eco eco);
hv_scan_scheme hv_scan_eco_scheme(hv_scan_eco eco);
/* The ecosystem whose OSV name is name (before any ':', exactly as OSV spells it), also for
 * the members of a family ("Wolfi", "Chainguard" -> Alpine; "Rocky Linux", "AlmaLinux",
 * "SUSE", "openSUSE", … -> rpm), or HV_ECO_NONE. */
hv_scan_eco hv_scan_eco_from_osv(const char *name);

/*
 * Compares versions a and b of scheme as that ecosystem's own tools do: sets *cmp to -1, 0
 * or 1 (dpkg/apt, apk-tools, rpm's labelCompare, node-semver, golang.org/x/mod/semver,
 * Python's packaging, Maven's ComparableVersion, Gem::Version, NuGet.Versioning, Composer's
 * normalize + version_compare; where they differ from this, src/scan/version*.c says).
 * HV_E_BAD_REQUEST when either is not a version of the scheme or is longer than 256 bytes
 * (the error names which and why; *cmp is untouched).  Never reads past the strings and
 * allocates nothing, whatever they hold.
 */
hv_err hv_scan_version_cmp(int *cmp, hv_ctx *ctx, hv_scan_scheme scheme, const char *a,
                           const char *b);
/* Whether v parses as a version of scheme (at most 256 bytes). */
bool hv_scan_version_valid(hv_scan_scheme scheme, const char *v);

/* ---------------------------------------------------------------- inventory */

/* One installed package. */
typedef struct hv_scan_pkg {
    hv_scan_eco eco;
    const char *name;        /* as installed (dpkg binary package, npm name, "group:artifact") */
    const char *version;     /* as installed (dpkg "1:2.3-4", rpm "[epoch:]version-release") */
    const char *src_name;    /* source package (dpkg Source, apk origin, rpm SOURCERPM name);
                              * NULL: name */
    const char *src_version; /* the source's version; NULL: version */
    const char *arch;        /* NULL when the database does not say */
    const char *license;     /* SPDX expression or the database's text; NULL: unknown */
    const char *purl;        /* package URL (with distro qualifier for OS packages) */
    const char *path;        /* the file it was found in ("var/lib/dpkg/status", a jar's path) */
    const char *layer;       /* digest of the layer that first installed it */
} hv_scan_pkg;

/* What is installed in an image (one platform). */
typedef struct hv_scan_inventory {
    const char *os_family;  /* "debian", "ubuntu", "alpine", "redhat", "rocky", …; NULL: none */
    const char *os_version; /* "12.5", "3.19.1"; NULL: unknown */
    const char *os_name;    /* PRETTY_NAME or NAME; NULL: unknown */
    hv_scan_pkg *pkgs;
    size_t n_pkgs;
} hv_scan_inventory;

/* One platform's inventory of an image: an image manifest has one, an index one per image
 * child (attestations and other artifacts left out). */
typedef struct hv_scan_image {
    const char *digest;   /* the image manifest's */
    const char *platform; /* "linux/amd64", "linux/arm64/v8" from the index; NULL: not in one */
    hv_scan_inventory inv;
    const char **notes; /* what its layers' walk skipped, and why ("<layer>: <path>: why") */
    size_t n_notes;
} hv_scan_image;

struct hv_blob_store;

/*
 * The inventory of the artifact that reference (a tag, or a digest) names in repository
 * ("<project>/<name>"; NULL: reference is a manifest digest, read from the store as it is):
 * each layer is walked once (scan_int.h), unless the database holds its inventory (written
 * there when store_layers); the layers are merged in order as Trivy does.  *out (n entries)
 * lives in ctx's arena.  HV_E_NAME_UNKNOWN, HV_E_MANIFEST_UNKNOWN; HV_E_UNSUPPORTED for an
 * artifact that is no image; HV_E_BAD_REQUEST for a layer that cannot be read (corrupt, a
 * hostile archive past a limit: the message names the layer and why); the blob store's and
 * database's errors.
 */
hv_err hv_scan_inventory_image(hv_scan_image **out, size_t *n, hv_ctx *ctx,
                               struct hv_blob_store *store, const char *repository,
                               const char *reference, bool store_layers);

/* The inventory as JSON (os and packages), for `havend scan --format inventory`. */
json_t *hv_scan_inventory_json(const hv_scan_image *img);

/* ---------------------------------------------------------------- vulnerability database */

/* Severity as Harbor names and orders it (its vuln.Severity codes). */
typedef enum hv_scan_severity {
    HV_SEV_NONE = 0, /* "None": nothing found */
    HV_SEV_UNKNOWN,
    HV_SEV_NEGLIGIBLE,
    HV_SEV_LOW,
    HV_SEV_MEDIUM,
    HV_SEV_HIGH,
    HV_SEV_CRITICAL,
} hv_scan_severity;

/* Harbor's name of s ("Critical"), static. */
const char *hv_scan_severity_name(hv_scan_severity s);
/* A database's severity label (any case: "CRITICAL", "MODERATE", "important", "low"), or
 * HV_SEV_UNKNOWN (also for NULL). */
hv_scan_severity hv_scan_severity_parse(const char *label);
/* The severity a CVSS base score falls in: >= 9.0 Critical, >= 7.0 High, >= 4.0 Medium,
 * > 0 Low, else None. */
hv_scan_severity hv_scan_severity_of_score(double score);

/* The base score of a CVSS v3.0 or v3.1 vector ("CVSS:3.1/AV:N/AC:L/…"), computed with
 * v3.1's formula (cvss.c).  False when it is not one, *why (static) saying what is wrong. */
bool hv_scan_cvss3_score(double *score, const char *vector, const char **why);
/* The base score of a CVSS v4.0 vector ("CVSS:4.0/AV:N/…"), with its threat and
 * environmental metrics (cvss4.c).  False when it is not one, *why (static) saying why. */
bool hv_scan_cvss4_score(double *score, const char *vector, const char **why);

/*
 * The database (vulndb*.c): a SQLite file of its own, data_dir/vulndb.sqlite, that an
 * import writes anew and swaps in whole, so a reader sees the data before or after an
 * import, never part of one.  Each node keeps its own (the data is public and the same
 * everywhere); see vulndb.c for why it stays out of the metadata database.
 */
typedef enum hv_scan_vulndb_format {
    HV_VULNDB_OSV,    /* OSV records: a .json file, a directory of them, or osv.dev's all.zip */
    HV_VULNDB_DEBIAN, /* the Debian security tracker's JSON (tracker/data/json) */
    HV_VULNDB_ALPINE, /* Alpine's secdb JSON (secdb.alpinelinux.org/v3.19/main.json) */
} hv_scan_vulndb_format;

/* An input of an import: a path and the format of what it holds. */
typedef struct hv_scan_vulndb_source {
    const char *path;
    hv_scan_vulndb_format format;
} hv_scan_vulndb_source;

typedef struct hv_scan_vulndb_stats {
    int64_t records;   /* records stored */
    int64_t affected;  /* (record, ecosystem, package) entries stored */
    int64_t withdrawn; /* OSV records skipped as withdrawn */
    int64_t malformed; /* records skipped as malformed (each logged with its name) */
} hv_scan_vulndb_stats;

/*
 * Replaces data_dir's database with what the sources hold, read one record at a time
 * (memory stays bounded whatever their size).  A malformed record is logged as a warning
 * naming it and its file, counted, and skipped: the import goes on.  A source that cannot
 * be read at all (missing, not a zip, not JSON where JSON is due) stops the import and
 * leaves the database as it was: HV_E_BAD_REQUEST or HV_E_IO naming it.
 */
hv_err hv_scan_vulndb_import(hv_scan_vulndb_stats *out, hv_ctx *ctx, const char *data_dir,
                             const hv_scan_vulndb_source *sources, size_t n_sources);

typedef struct hv_scan_vulndb hv_scan_vulndb;

/* Opens data_dir's database for reading: HV_E_NOT_FOUND when none was imported.  A reader
 * keeps the data it opened while an import swaps in another; open again to see it.  *out
 * belongs to the caller (hv_scan_vulndb_close). */
hv_err hv_scan_vulndb_open(hv_scan_vulndb **out, hv_ctx *ctx, const char *data_dir);
void hv_scan_vulndb_close(hv_scan_vulndb *db); /* accepts NULL */

typedef struct hv_scan_vulndb_status {
    const char *updated_at; /* RFC 3339 time the import finished (Harbor's
                             * vulnerability_database_updated_at) */
    const char *sources;    /* what it was imported from ("osv:/path/all.zip, …") */
    int64_t records, affected;
} hv_scan_vulndb_status;

/* What db holds (strings in ctx's arena). */
hv_err hv_scan_vulndb_status_get(hv_scan_vulndb_status *out, hv_ctx *ctx, hv_scan_vulndb *db);

/* ---------------------------------------------------------------- matching and reports */

/* How versions compare: hv_scan_version_cmp, or a stand-in in tests. */
typedef hv_err (*hv_scan_cmp_fn)(int *cmp, hv_ctx *ctx, hv_scan_scheme scheme, const char *a,
                                 const char *b);

/*
 * Matches inv against db (match.c): a package is vulnerable when its version (an OS
 * package's source version, looked up under its source name in its release's ecosystem,
 * "Debian:12", "Alpine:v3.19") is one of an advisory's versions or falls in one of its
 * ranges, compared with cmp in the ecosystem's scheme.  *report is Harbor's
 * "application/vnd.security.vulnerability.report; version=1.1" body without "artifact" and
 * "scanner" (the caller knows them): generated_at, severity, vulnerabilities[] with id (the
 * CVE where the advisory has one), package (the installed, binary package), version,
 * fix_version, severity, description, links, preferred_cvss, cwe_ids, vendor_attributes,
 * status, layer and purl.  Versions the scheme cannot read are skipped (not vulnerable).
 * *report belongs to the caller (json_decref).  HV_E_DB.
 */
hv_err hv_scan_match(json_t **report, hv_ctx *ctx, hv_scan_vulndb *db, const hv_scan_inventory *inv,
                     hv_scan_cmp_fn cmp);

/* Harbor's overview of a report (NativeReportSummary's severity and summary): {"severity",
 * "summary": {"total", "fixable", "summary": {"Critical": n, …}}}.  The caller's. */
json_t *hv_scan_overview(const json_t *report);

/* ---------------------------------------------------------------- SBOM */

/* What an SBOM describes: the image's name ("registry/project/repo" or "project/repo"), its
 * manifest digest, and the tool that made it. */
typedef struct hv_scan_sbom_subject {
    const char *name;
    const char *digest;
    const char *tool_name; /* "haven" */
    const char *tool_version;
} hv_scan_sbom_subject;

/* SPDX 2.3 JSON and CycloneDX 1.5 JSON of an image's inventory: the image is the root
 * package (SPDX: the document DESCRIBES it, it CONTAINS the OS and the packages;
 * CycloneDX: metadata.component, dependencies), each package with version, purl, licence,
 * source package and layer.  The caller owns the result (json_decref). */
json_t *hv_scan_sbom_spdx(const hv_scan_sbom_subject *s, const hv_scan_inventory *inv);
json_t *hv_scan_sbom_cyclonedx(const hv_scan_sbom_subject *s, const hv_scan_inventory *inv);

#endif
