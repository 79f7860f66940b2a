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

/* ---------------------------------------------------------------- matching and reports */

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
