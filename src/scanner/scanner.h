/*
 * scanner — Harbor's scanning feature around the scanners that do the work: the scanner
 * registrations (Haven's built-in scanner and external adapters that speak Harbor's
 * Pluggable Scanner API v1.1), the scanner each project uses, and each scanner's metadata.
 * Shapes: shared/reference/harbor-api.md §1.5 and §5.2.
 *
 * Haven's own scanner (the scan module's engine) is registered when the registrations are
 * first read and none exists (so: at first start), as the default, named "Haven", at url
 * "builtin://haven"; it cannot be changed, and like any registration it cannot be deleted
 * while it is the default.  An external registration's access_credential is sealed in the
 * database (auth's secret store) and never shown: responses carry "" when there is none
 * and "***" otherwise.  Authorisation is the caller's (the API handler's one check).
 */
#ifndef HV_SCANNER_H
#define HV_SCANNER_H

#include "base/base.h"
#include "model/model.h"

#include <jansson.h>

#define HV_SCANNER_BUILTIN_NAME "Haven"
#define HV_SCANNER_BUILTIN_URL  "builtin://haven"

/* Harbor's ScannerRegistrationReq (fields NULL or false when absent). */
typedef struct hv_scanner_input {
    const char *name, *description, *url, *auth, *access_credential;
    bool skip_cert_verify, use_internal_addr, disabled;
} hv_scanner_input;

/* What a registration's metadata says of it, for ScannerRegistration's adapter, vendor,
 * version, health and capabilities. */
typedef struct hv_scanner_health {
    bool healthy;
    const char *adapter, *vendor, *version; /* NULL when not healthy */
    bool vulnerability, sbom;               /* the capabilities it declares */
} hv_scanner_health;

#define HV_SCANNER_MIME_GENERIC "application/vnd.security.vulnerability.report; version=1.1"
#define HV_SCANNER_MIME_NATIVE                                                                     \
    "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"
#define HV_SCANNER_JOB "IMAGE_SCAN" /* the scan job's type */

struct hv_blob_store;

typedef struct hv_scanner_config {
    struct hv_blob_store *blobs; /* where the layers are read */
    const char *data_dir;        /* where the vulnerability database is (scan's vulndb) */
} hv_scanner_config;

/* Registers the scan job kind (before hv_jobs_start) and the built-in scanner when there is
 * no registration at all (idempotent across nodes starting together).  *cfg is copied; what
 * it points to must outlive the process's jobs. */
hv_err hv_scanner_init(hv_ctx *ctx, const hv_scanner_config *cfg);

hv_err hv_scanner_list(hv_scanner_reg **out, size_t *n, int64_t *total, hv_ctx *ctx,
                       const hv_list *list);
/* HV_E_BAD_REQUEST naming the field that is wrong (name and url required, url http(s) with
 * a host, auth "", "Basic", "Bearer" or "APIKey"); HV_E_CONFLICT for a name or url taken.
 * *uuid (arena) names the new registration. */
hv_err hv_scanner_create(const char **uuid, hv_ctx *ctx, const hv_scanner_input *in);
hv_err hv_scanner_get(hv_scanner_reg *out, hv_ctx *ctx, const char *uuid);
/* Replaces the registration's fields with in's (an access_credential of "***" keeps the
 * stored one); HV_E_DENIED for the built-in registration; HV_E_BAD_REQUEST when it would
 * disable the default. */
hv_err hv_scanner_update(hv_ctx *ctx, const char *uuid, const hv_scanner_input *in);
/* Deletes it and sets *out to what it was; HV_E_CONFLICT for the default registration. */
hv_err hv_scanner_delete(hv_scanner_reg *out, hv_ctx *ctx, const char *uuid);
/* Makes uuid the default (is_default false changes nothing, as in Harbor); HV_E_BAD_REQUEST
 * for a disabled registration. */
hv_err hv_scanner_set_default(hv_ctx *ctx, const char *uuid, bool is_default);

/* The registration's adapter metadata (ScannerAdapterMetadata, a new reference): the
 * built-in scanner's own, or GET <url>/api/v1/metadata of an external adapter, checked as
 * Harbor checks it.  HV_E_UNAVAILABLE when the adapter does not answer or answers wrongly
 * (the message says what). */
hv_err hv_scanner_metadata(json_t **out, hv_ctx *ctx, const hv_scanner_reg *reg);
/* The health of a registration, from its metadata (remembered for a short while). */
void hv_scanner_health_of(hv_scanner_health *out, hv_ctx *ctx, const hv_scanner_reg *reg);
/* Fetches and checks the metadata of the adapter in (name, url, auth, access_credential:
 * Harbor's ScannerRegistrationSettings); HV_E_BAD_REQUEST saying why when it fails. */
hv_err hv_scanner_ping(hv_ctx *ctx, const hv_scanner_input *in);

/* The scanner of a project: the one it chose, else the default;
 * HV_E_NOT_FOUND when neither exists. */
hv_err hv_scanner_of_project(hv_scanner_reg *out, hv_ctx *ctx, int64_t project_id);
/* Sets the project's scanner; HV_E_BAD_REQUEST for a disabled one, HV_E_NOT_FOUND. */
hv_err hv_scanner_set_project(hv_ctx *ctx, int64_t project_id, const char *uuid);

/* ---------------------------------------------------------------- scans (scan.c)
 *
 * A scan is a job (HV_SCANNER_JOB) that reads the artifact's inventory (stored per layer, so
 * a layer is read once) and matches it against the vulnerability database; its report is kept
 * per (digest, registration, MIME type) and replaced by the next scan.  The built-in scanner
 * does the work in havend; external adapters cannot scan yet (400 naming the scanner). */

/* Starts a scan of artifact digest of repository ("<project>/<name>") by the project's
 * scanner.  scan_type NULL or "vulnerability"; "sbom" and anything else: HV_E_BAD_REQUEST.
 * HV_E_CONFLICT when a scan of it is pending or running. */
hv_err hv_scanner_scan(hv_ctx *ctx, int64_t project_id, const char *repository, const char *digest,
                       const char *scan_type);

/* Harbor's scan_overview of artifact digest by the project's scanner ({mime: {report_id,
 * scan_status, severity, duration, summary, start_time, end_time, scanner, complete_percent}}
 * for each of the accepted MIME types it has a report in; NULL accept: the generic one);
 * an empty object when it was never scanned.  A new reference. */
hv_err hv_scanner_overview(json_t **out, hv_ctx *ctx, int64_t project_id, const char *digest,
                           const char *accept);

/* The vulnerabilities addition of the artifact: {mime: report} with the report's artifact
 * (repository, digest, tag, mime_type) and scanner filled in, for each accepted MIME type with
 * a finished report; an empty object otherwise.  A new reference. */
hv_err hv_scanner_vulnerabilities(json_t **out, hv_ctx *ctx, int64_t project_id,
                                  const char *repository, const char *digest,
                                  const char *manifest_media_type, const char *tag,
                                  const char *accept);

#endif
