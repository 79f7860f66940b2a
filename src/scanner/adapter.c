/*
 * The metadata of a scanner: the built-in scanner's own, or an external adapter's from
 * GET <url>/api/v1/metadata (Pluggable Scanner API v1.1), checked as Harbor checks it
 * (models.go ScannerAdapterMetadata.Validate): a scanner name, vendor and version; at least
 * one capability; every capability consumes Docker's v2 manifests; each produces a report
 * type Harbor reads.  A registration's health is whether its metadata came and passed,
 * remembered for HEALTH_TTL_MS so that listing registrations does not call every adapter.
 */
#include "net/net.h"
#include "scanner/scanner_int.h"

#include <pthread.h>
#include <string.h>

#define MIME_DOCKER_V2      "application/vnd.docker.distribution.manifest.v2+json"
#define MIME_OCI_MANIFEST   "application/vnd.oci.image.manifest.v1+json"
#define MIME_NATIVE         "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"
#define MIME_GENERIC        "application/vnd.security.vulnerability.report; version=1.1"
#define MIME_SBOM           "application/vnd.security.sbom.report+json; version=1.0"
#define METADATA_TIMEOUT_MS 5000
#define METADATA_MAX        (256 << 10)
#define HEALTH_TTL_MS       30000
#define HEALTH_SLOTS        32
#define BUILTIN_VERSION     "1.0"

/* ---------------------------------------------------------------- built-in */

static json_t *capability(const char *type, const char *produces0, const char *produces1) {
    json_t *produces = json_array();

    json_array_append_new(produces, json_string(produces0));
    if (produces1)
        json_array_append_new(produces, json_string(produces1));
    return json_pack("{s:s, s:[s, s], s:o}", "type", type, "consumes_mime_types", MIME_OCI_MANIFEST,
                     MIME_DOCKER_V2, "produces_mime_types", produces);
}

static json_t *builtin_metadata(void) {
    json_t *caps = json_array();

    json_array_append_new(caps, capability("vulnerability", MIME_GENERIC, MIME_NATIVE));
    json_array_append_new(caps, capability("sbom", MIME_SBOM, NULL));
    return json_pack("{s:{s:s, s:s, s:s}, s:o, s:{s:s}}", "scanner", "name",
                     HV_SCANNER_BUILTIN_NAME, "vendor", "Haven", "version", BUILTIN_VERSION,
                     "capabilities", caps, "properties", "harbor.scanner-adapter/scanner-type",
                     "os-package-vulnerability");
}

/* ---------------------------------------------------------------- external adapters */

static bool has_string(json_t *arr, const char *s) {
    size_t i;
    json_t *v;

    json_array_foreach(arr, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return true;
    }
    return false;
}

/* Harbor's checks of an adapter's metadata; HV_E_UNAVAILABLE saying what is wrong. */
static hv_err check_metadata(hv_ctx *ctx, const char *url, json_t *m) {
    json_t *scanner = json_object_get(m, "scanner"), *caps = json_object_get(m, "capabilities");
    const char *fields[] = {"name", "vendor", "version"};
    size_t i;
    json_t *c;

    for (i = 0; i < 3; i++) {
        json_t *v = json_object_get(scanner, fields[i]);
        if (!json_is_string(v) || !*json_string_value(v))
            return HV_FAIL(ctx, HV_E_UNAVAILABLE,
                           "the scanner adapter at %s gave metadata without scanner.%s", url,
                           fields[i]);
    }
    if (!json_is_array(caps) || json_array_size(caps) == 0)
        return HV_FAIL(ctx, HV_E_UNAVAILABLE, "the scanner adapter at %s declares no capabilities",
                       url);
    json_array_foreach(caps, i, c) {
        json_t *produces = json_object_get(c, "produces_mime_types");
        if (!has_string(json_object_get(c, "consumes_mime_types"), MIME_DOCKER_V2))
            return HV_FAIL(ctx, HV_E_UNAVAILABLE,
                           "capability %zu of the scanner adapter at %s does not consume %s", i,
                           url, MIME_DOCKER_V2);
        if (!has_string(produces, MIME_NATIVE) && !has_string(produces, MIME_GENERIC) &&
            !has_string(produces, MIME_SBOM))
            return HV_FAIL(ctx, HV_E_UNAVAILABLE,
                           "capability %zu of the scanner adapter at %s produces no report type "
                           "Harbor reads (%s, %s or %s)",
                           i, url, MIME_NATIVE, MIME_GENERIC, MIME_SBOM);
    }
    return HV_OK;
}

static hv_err fetch_metadata(json_t **out, hv_ctx *ctx, const char *base, const char *auth,
                             const char *cred) {
    size_t len = strlen(base);
    hv_net_request req = {
        .method = "GET", .max_body = METADATA_MAX, .timeout_ms = METADATA_TIMEOUT_MS};
    hv_net_response resp = {0};
    json_error_t jerr;
    json_t *m;
    hv_err rc;

    while (len && base[len - 1] == '/')
        len--;
    req.url = hv_arena_printf(ctx->arena, "%.*s/api/v1/metadata", (int)len, base);
    hv_net_header_add(&req, ctx->arena,
                      "Accept: application/vnd.scanner.adapter.metadata+json; version=1.1, "
                      "application/vnd.scanner.adapter.metadata+json; version=1.0");
    if (auth && strcmp(auth, "Basic") == 0) {
        hv_net_header_add(&req, ctx->arena, "Authorization: Basic %s",
                          hv_base64_encode(ctx->arena, cred, strlen(cred)));
    } else if (auth && strcmp(auth, "Bearer") == 0) {
        hv_net_header_add(&req, ctx->arena, "Authorization: Bearer %s", cred);
    } else if (auth && strcmp(auth, "APIKey") == 0) {
        hv_net_header_add(&req, ctx->arena, "X-ScannerAdapter-API-Key: %s", cred);
    }
    rc = hv_net_perform(&resp, ctx, &req);
    if (rc == HV_OK && resp.status != 200)
        rc = HV_FAIL(ctx, HV_E_UNAVAILABLE, "the scanner adapter answered GET %s with HTTP %ld",
                     req.url, resp.status);
    else if (rc)
        rc = HV_FAIL(ctx, HV_E_UNAVAILABLE, "the scanner adapter at %s did not answer: %s", req.url,
                     hv_arena_strdup(ctx->arena, ctx->err.message));
    if (rc == HV_OK) {
        m = json_loadb(resp.body.data, resp.body.len, 0, &jerr);
        if (!json_is_object(m)) {
            json_decref(m);
            rc = HV_FAIL(ctx, HV_E_UNAVAILABLE,
                         "the scanner adapter's metadata at %s is not a JSON object", req.url);
        } else if ((rc = check_metadata(ctx, base, m)) != HV_OK) {
            json_decref(m);
        } else {
            *out = m;
        }
    }
    hv_net_response_free(&resp);
    return rc;
}

hv_err hv_scanner_metadata(json_t **out, hv_ctx *ctx, const hv_scanner_reg *reg) {
    const char *cred;
    hv_err rc;

    if (reg->builtin) {
        *out = builtin_metadata();
        return HV_OK;
    }
    rc = hv_scanner__credential(&cred, ctx, reg);
    return rc ? rc : fetch_metadata(out, ctx, reg->url, reg->auth, cred);
}

hv_err hv_scanner_ping(hv_ctx *ctx, const hv_scanner_input *in) {
    json_t *m = NULL;
    hv_scanner_input settings = *in;
    hv_err rc;

    settings.description = NULL;
    rc = hv_scanner__check_settings(ctx, &settings);
    if (rc == HV_OK)
        rc = fetch_metadata(&m, ctx, in->url, in->auth,
                            in->access_credential ? in->access_credential : "");
    json_decref(m);
    if (rc == HV_E_UNAVAILABLE) {
        const char *why = hv_arena_strdup(ctx->arena, ctx->err.message);
        hv_error_clear(ctx);
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "failed to ping the scanner %s: %s", in->name, why);
    }
    return rc;
}

/* ---------------------------------------------------------------- health */

typedef struct health_slot {
    char uuid[37];
    int64_t update_time, at_ms;
    bool healthy, vulnerability, sbom;
    char adapter[64], vendor[64], version[64];
} health_slot;

static pthread_mutex_t health_lock = PTHREAD_MUTEX_INITIALIZER;
static health_slot health_slots[HEALTH_SLOTS];

static void copy_field(char *dst, size_t n, json_t *obj, const char *key) {
    const char *v = json_string_value(json_object_get(obj, key));

    snprintf(dst, n, "%s", v ? v : "");
}

static void slot_fill(health_slot *s, const hv_scanner_reg *reg, json_t *m) {
    json_t *scanner = json_object_get(m, "scanner"), *c;
    size_t i;

    memset(s, 0, sizeof(*s));
    snprintf(s->uuid, sizeof(s->uuid), "%s", reg->uuid);
    s->update_time = reg->update_time;
    s->at_ms = hv_mono_ns() / 1000000;
    s->healthy = m != NULL;
    if (!m)
        return;
    copy_field(s->adapter, sizeof(s->adapter), scanner, "name");
    copy_field(s->vendor, sizeof(s->vendor), scanner, "vendor");
    copy_field(s->version, sizeof(s->version), scanner, "version");
    json_array_foreach(json_object_get(m, "capabilities"), i, c) {
        const char *type = json_string_value(json_object_get(c, "type"));
        json_t *produces = json_object_get(c, "produces_mime_types");
        if (has_string(produces, MIME_SBOM) || (type && strcmp(type, "sbom") == 0))
            s->sbom = true;
        if (has_string(produces, MIME_NATIVE) || has_string(produces, MIME_GENERIC))
            s->vulnerability = true;
    }
}

static void slot_out(hv_scanner_health *out, hv_ctx *ctx, const health_slot *s) {
    memset(out, 0, sizeof(*out));
    out->healthy = s->healthy;
    if (!s->healthy)
        return;
    out->adapter = hv_arena_strdup(ctx->arena, s->adapter);
    out->vendor = hv_arena_strdup(ctx->arena, s->vendor);
    out->version = hv_arena_strdup(ctx->arena, s->version);
    out->vulnerability = s->vulnerability;
    out->sbom = s->sbom;
}

void hv_scanner_health_of(hv_scanner_health *out, hv_ctx *ctx, const hv_scanner_reg *reg) {
    int64_t now = (int64_t)(hv_mono_ns() / 1000000);
    size_t victim = 0;
    health_slot fresh;
    json_t *m = NULL;

    pthread_mutex_lock(&health_lock);
    for (size_t i = 0; i < HEALTH_SLOTS; i++) {
        health_slot *s = &health_slots[i];
        if (strcmp(s->uuid, reg->uuid) == 0 && s->update_time == reg->update_time &&
            now - s->at_ms < HEALTH_TTL_MS) {
            slot_out(out, ctx, s);
            pthread_mutex_unlock(&health_lock);
            return;
        }
        if (s->at_ms < health_slots[victim].at_ms)
            victim = i;
    }
    pthread_mutex_unlock(&health_lock);
    if (hv_scanner_metadata(&m, ctx, reg) != HV_OK) {
        hv_log(HV_LOG_WARN, "scanner %s is unhealthy: %s", reg->name, ctx->err.message);
        hv_error_clear(ctx);
    }
    slot_fill(&fresh, reg, m);
    json_decref(m);
    pthread_mutex_lock(&health_lock);
    health_slots[victim] = fresh;
    pthread_mutex_unlock(&health_lock);
    slot_out(out, ctx, &fresh);
}
