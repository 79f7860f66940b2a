/*
 * SBOMs of an image's inventory, in the two formats Harbor and Trivy produce:
 *
 *   SPDX 2.3 JSON: the document DESCRIBES the image (a CONTAINER package); the image
 *   CONTAINS the operating system (OPERATING_SYSTEM, the schema's spelling) and every
 *   package not of the OS, the OS CONTAINS its packages.  Packages carry their purl as a
 *   PACKAGE-MANAGER external reference, their licence as declared (NOASSERTION when the
 *   database does not say: the text of a package database is no SPDX expression we vouch
 *   for), the source package in sourceInfo.
 *   CycloneDX 1.5 JSON: metadata.component is the image, components the OS and the
 *   packages (bom-ref: their purl, made unique), dependencies the same tree.
 *
 * Both are checked against the official JSON schemas by the tests.  SPDX ids are derived
 * from the package's position, so the same inventory gives the same document but for the
 * creation time and the document's unique namespace / serial number.
 */
#include "scan/scan_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool os_pkg(const hv_scan_pkg *p) {
    return p->eco == HV_ECO_DEBIAN || p->eco == HV_ECO_UBUNTU || p->eco == HV_ECO_ALPINE ||
           p->eco == HV_ECO_RPM;
}

static json_t *str(const char *s) {
    return json_string(s ? s : "");
}

static void now(char out[32]) {
    int64_t ms = hv_now_ms();
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A source package "name version" when it differs from the binary, else NULL (printf'd). */
static char *source_info(const hv_scan_pkg *p) {
    const char *name = p->src_name ? p->src_name : p->name;
    const char *ver = p->src_version ? p->src_version : p->version;

    if (strcmp(name, p->name) == 0 && strcmp(ver, p->version) == 0)
        return NULL;
    return hv_printf("built package from: %s %s", name, ver);
}

/* Whether a licence text reads as an SPDX expression (identifiers joined by AND, OR, WITH,
 * in parentheses), as apk's and newer rpm's are; others ("GPL v2 or later") go in a comment. */
static bool spdx_expression(const char *s) {
    bool operand = true; /* an identifier is expected next */

    if (!s || !*s)
        return false;
    while (*s) {
        size_t n;

        if (*s == ' ' || *s == '(' || *s == ')') {
            s++;
            continue;
        }
        n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-+:");
        if (n == 0)
            return false;
        if ((n == 3 && (strncmp(s, "AND", 3) == 0)) || (n == 2 && strncmp(s, "OR", 2) == 0) ||
            (n == 4 && strncmp(s, "WITH", 4) == 0)) {
            if (operand)
                return false;
            operand = true;
        } else {
            if (!operand)
                return false;
            operand = false;
        }
        s += n;
    }
    return !operand;
}

static json_t *relationship(const char *a, const char *type, const char *b) {
    return json_pack("{s:s, s:s, s:s}", "spdxElementId", a, "relationshipType", type,
                     "relatedSpdxElement", b);
}

json_t *hv_scan_sbom_spdx(const hv_scan_sbom_subject *s, const hv_scan_inventory *inv) {
    json_t *doc, *pkgs = json_array(), *rels = json_array(), *image;
    char created[32], id[37], *ns;
    bool has_os = inv->os_family != NULL;

    now(created);
    hv_uuid(id);
    ns = hv_printf("https://haven.invalid/spdx/%s-%s", s->name, id);
    doc = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:[o]}}", "spdxVersion", "SPDX-2.3",
                    "dataLicense", "CC0-1.0", "SPDXID", "SPDXRef-DOCUMENT", "name", s->name,
                    "documentNamespace", ns, "creationInfo", "created", created, "creators",
                    json_sprintf("Tool: %s-%s", s->tool_name, s->tool_version));
    free(ns);
    image = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "SPDXID", "SPDXRef-Image", "name", s->name,
                      "versionInfo", s->digest, "downloadLocation", "NOASSERTION", "filesAnalyzed",
                      0, "primaryPackagePurpose", "CONTAINER");
    json_array_append_new(pkgs, image);
    json_array_append_new(rels, relationship("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image"));
    if (has_os) {
        json_array_append_new(
            pkgs,
            json_pack("{s:s, s:o, s:o, s:s, s:b, s:s}", "SPDXID", "SPDXRef-OperatingSystem", "name",
                      str(inv->os_family), "versionInfo", str(inv->os_version), "downloadLocation",
                      "NONE", "filesAnalyzed", 0, "primaryPackagePurpose", "OPERATING_SYSTEM"));
        json_array_append_new(rels,
                              relationship("SPDXRef-Image", "CONTAINS", "SPDXRef-OperatingSystem"));
    }
    for (size_t i = 0; i < inv->n_pkgs; i++) {
        const hv_scan_pkg *p = &inv->pkgs[i];
        char ref[48], *src = source_info(p);
        json_t *o;

        snprintf(ref, sizeof(ref), "SPDXRef-Package-%zu", i + 1);
        o = json_pack("{s:s, s:o, s:o, s:s, s:b, s:s, s:s, s:s}", "SPDXID", ref, "name",
                      str(p->name), "versionInfo", str(p->version), "downloadLocation", "NONE",
                      "filesAnalyzed", 0, "licenseConcluded", "NOASSERTION", "licenseDeclared",
                      spdx_expression(p->license) ? p->license : "NOASSERTION",
                      "primaryPackagePurpose", "LIBRARY");
        if (p->purl)
            json_object_set_new(o, "externalRefs",
                                json_pack("[{s:s, s:s, s:s}]", "referenceCategory",
                                          "PACKAGE-MANAGER", "referenceType", "purl",
                                          "referenceLocator", p->purl));
        if (p->license && !spdx_expression(p->license))
            json_object_set_new(o, "comment", json_sprintf("License: %s", p->license));
        if (src)
            json_object_set_new(o, "sourceInfo", json_string(src));
        free(src);
        if (p->layer)
            json_object_set_new(o, "annotations",
                                json_pack("[{s:s, s:s, s:s, s:o}]", "annotator", "Tool: haven",
                                          "annotationDate", created, "annotationType", "OTHER",
                                          "comment", json_sprintf("LayerDigest: %s", p->layer)));
        json_array_append_new(pkgs, o);
        json_array_append_new(
            rels, relationship(has_os && os_pkg(p) ? "SPDXRef-OperatingSystem" : "SPDXRef-Image",
                               "CONTAINS", ref));
    }
    json_object_set_new(doc, "packages", pkgs);
    json_object_set_new(doc, "relationships", rels);
    return doc;
}

json_t *hv_scan_sbom_cyclonedx(const hv_scan_sbom_subject *s, const hv_scan_inventory *inv) {
    json_t *doc, *comps = json_array(), *deps = json_array(), *image_deps = json_array(),
                 *os_deps = json_array();
    char created[32], id[37];
    bool has_os = inv->os_family != NULL;

    now(created);
    hv_uuid(id);
    doc = json_pack("{s:s, s:s, s:o, s:i, s:{s:s, s:{s:[{s:s, s:s, s:s}]}, "
                    "s:{s:s, s:s, s:s, s:s}}}",
                    "bomFormat", "CycloneDX", "specVersion", "1.5", "serialNumber",
                    json_sprintf("urn:uuid:%s", id), "version", 1, "metadata", "timestamp", created,
                    "tools", "components", "type", "application", "name", s->tool_name, "version",
                    s->tool_version, "component", "bom-ref", "image", "type", "container", "name",
                    s->name, "version", s->digest);
    if (has_os) {
        json_array_append_new(comps, json_pack("{s:s, s:s, s:o, s:o}", "bom-ref", "os", "type",
                                               "operating-system", "name", str(inv->os_family),
                                               "version", str(inv->os_version)));
        json_array_append_new(image_deps, json_string("os"));
    }
    for (size_t i = 0; i < inv->n_pkgs; i++) {
        const hv_scan_pkg *p = &inv->pkgs[i];
        /* a purl may repeat (one package found in two files; the inventory is sorted, so
         * the copies are neighbours): refs must not */
        bool repeated = p->purl && i > 0 && inv->pkgs[i - 1].purl &&
                        strcmp(inv->pkgs[i - 1].purl, p->purl) == 0;
        json_t *ref = p->purl && !repeated ? json_string(p->purl) : json_sprintf("pkg-%zu", i + 1);
        json_t *o = json_pack("{s:O, s:s, s:o, s:o}", "bom-ref", ref, "type", "library", "name",
                              str(p->name), "version", str(p->version));
        json_t *props = json_array();

        if (p->purl)
            json_object_set_new(o, "purl", json_string(p->purl));
        if (p->license)
            json_object_set_new(o, "licenses",
                                json_pack("[{s:{s:s}}]", "license", "name", p->license));
        if (p->src_name)
            json_array_append_new(
                props, json_pack("{s:s, s:s}", "name", "haven:SrcName", "value", p->src_name));
        if (p->src_version)
            json_array_append_new(props, json_pack("{s:s, s:s}", "name", "haven:SrcVersion",
                                                   "value", p->src_version));
        if (p->layer)
            json_array_append_new(
                props, json_pack("{s:s, s:s}", "name", "haven:LayerDigest", "value", p->layer));
        if (p->path)
            json_array_append_new(
                props, json_pack("{s:s, s:s}", "name", "haven:FilePath", "value", p->path));
        json_object_set_new(o, "properties", props);
        json_array_append_new(comps, o);
        json_array_append(has_os && os_pkg(p) ? os_deps : image_deps, ref);
        json_array_append_new(deps, json_pack("{s:o, s:[]}", "ref", ref, "dependsOn"));
    }
    json_array_append_new(deps, json_pack("{s:s, s:o}", "ref", "image", "dependsOn", image_deps));
    if (has_os)
        json_array_append_new(deps, json_pack("{s:s, s:o}", "ref", "os", "dependsOn", os_deps));
    else
        json_decref(os_deps);
    json_object_set_new(doc, "components", comps);
    json_object_set_new(doc, "dependencies", deps);
    return doc;
}
