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

/* Registers the built-in scanner when there is no registration at all.  Idempotent across
 * nodes starting together. */
hv_err hv_scanner_init(hv_ctx *ctx);

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

#endif
