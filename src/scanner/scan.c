/*
 * Scans: the IMAGE_SCAN job and the reports it leaves (scanner.h).  The job reads the
 * artifact's inventory through the scan engine (stored per layer digest, so a layer shared by
 * many images is read once), matches each platform's inventory against the vulnerability
 * database, and keeps one report: an index's children's findings together, each once.
 */
#include "scan/scan.h"
#include "events/events.h"
#include "jobs/jobs.h"
#include "scanner/scanner_int.h"

#include <string.h>

static hv_scanner_config config;

/* ---------------------------------------------------------------- the job */

/* The findings of every platform in one report: vulnerabilities listed once per (id,
 * package, version), the highest severity. */
static json_t *merge(json_t *into, json_t *more) {
    json_t *list = json_object_get(into, "vulnerabilities"), *v;
    size_t i;

    if (!into)
        return json_incref(more);
    json_array_foreach(json_object_get(more, "vulnerabilities"), i, v) {
        bool seen = false;
        size_t j;
        json_t *w;
        json_array_foreach(list, j, w) {
            if (json_equal(json_object_get(w, "id"), json_object_get(v, "id")) &&
                json_equal(json_object_get(w, "package"), json_object_get(v, "package")) &&
                json_equal(json_object_get(w, "version"), json_object_get(v, "version"))) {
                seen = true;
                break;
            }
        }
        if (!seen)
            json_array_append(list, v);
    }
    if (hv_scan_severity_parse(json_string_value(json_object_get(more, "severity"))) >
        hv_scan_severity_parse(json_string_value(json_object_get(into, "severity"))))
        json_object_set(into, "severity", json_object_get(more, "severity"));
    return into;
}

/* The report of the artifact, or an error whose message says why there is none. */
static hv_err scan_artifact(json_t **out, hv_ctx *ctx, hv_job *job, const char *repository,
                            const char *digest) {
    hv_scan_image *imgs;
    hv_scan_vulndb *db = NULL;
    json_t *all = NULL;
    size_t n;
    hv_err rc = hv_scan_inventory_image(&imgs, &n, ctx, config.blobs, repository, digest, true);

    if (rc == HV_OK)
        rc = hv_scan_vulndb_open(&db, ctx, config.data_dir);
    if (rc == HV_E_NOT_FOUND) {
        hv_error_clear(ctx);
        rc = HV_FAIL(ctx, HV_E_UNAVAILABLE,
                     "there is no vulnerability database yet: import one with `havend vulndb "
                     "import`");
    }
    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        json_t *one;
        hv_job_log(job, HV_LOG_INFO, "%s%s%s: %s %s, %zu packages", imgs[i].digest,
                   imgs[i].platform ? " " : "", imgs[i].platform ? imgs[i].platform : "",
                   imgs[i].inv.os_family ? imgs[i].inv.os_family : "no OS",
                   imgs[i].inv.os_version ? imgs[i].inv.os_version : "", imgs[i].inv.n_pkgs);
        for (size_t k = 0; k < imgs[i].n_notes; k++)
            hv_job_log(job, HV_LOG_WARN, "skipped %s", imgs[i].notes[k]);
        rc = hv_scan_match(&one, ctx, db, &imgs[i].inv, hv_scan_version_cmp);
        if (rc == HV_OK) {
            all = merge(all, one);
            json_decref(one);
        }
    }
    hv_scan_vulndb_close(db);
    if (rc == HV_OK && !all) /* an index without images */
        all = json_pack("{s:s, s:[]}", "severity", "None", "vulnerabilities");
    if (rc)
        json_decref(all);
    else
        *out = all;
    return rc;
}

static char *dumps(const json_t *j) {
    return json_dumps(j, JSON_COMPACT);
}

static hv_err run_scan(hv_ctx *ctx, hv_job *job, void *arg) {
    json_error_t e;
    json_t *params = json_loads(hv_job_params(job), 0, &e), *report = NULL, *overview;
    const char *uuid = json_string_value(json_object_get(params, "report"));
    const char *repository = json_string_value(json_object_get(params, "repository"));
    const char *digest = json_string_value(json_object_get(params, "digest"));
    char *report_text, *overview_text;
    bool found = false;
    hv_err rc;

    (void)arg;
    if (!uuid || !repository || !digest) {
        json_decref(params);
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a scan job needs report, repository and digest");
    }
    uuid = hv_arena_strdup(ctx->arena, uuid);
    repository = hv_arena_strdup(ctx->arena, repository);
    digest = hv_arena_strdup(ctx->arena, digest);
    json_decref(params);
    rc = hv_model_scan_report_running(&found, ctx, uuid);
    if (rc || !found) /* a later scan replaced this one */
        return rc;
    hv_job_log(job, HV_LOG_INFO, "scanning %s@%s (report %s)", repository, digest, uuid);
    rc = scan_artifact(&report, ctx, job, repository, digest);
    if (rc == HV_OK && hv_job_stopping(job))
        return hv_model_scan_report_finish(ctx, uuid, "Stopped", NULL, NULL, "stopped");
    if (rc) {
        const char *why = hv_arena_strdup(ctx->arena, ctx->err.message);
        hv_job_log(job, HV_LOG_ERROR, "the scan failed: %s", why);
        hv_error_clear(ctx);
        return hv_model_scan_report_finish(ctx, uuid, "Error", NULL, NULL, why);
    }
    overview = hv_scan_overview(report);
    report_text = dumps(report);
    overview_text = dumps(overview);
    hv_job_log(job, HV_LOG_INFO, "%zu vulnerabilities, severity %s",
               json_array_size(json_object_get(report, "vulnerabilities")),
               json_string_value(json_object_get(overview, "severity")));
    rc = hv_model_scan_report_finish(ctx, uuid, "Success", report_text, overview_text, NULL);
    free(report_text);
    free(overview_text);
    json_decref(report);
    json_decref(overview);
    return rc;
}

static const hv_job_kind scan_kind = {
    .name = HV_SCANNER_JOB, .run = run_scan, .max_attempts = 1, .backoff_ms = 1000};

void hv_scanner__scan_init(const hv_scanner_config *cfg) {
    config = *cfg;
    hv_jobs_register(&scan_kind);
}

/* ---------------------------------------------------------------- starting */

typedef struct start_args {
    const char *uuid, *repository, *digest, *registration;
} start_args;

static hv_err start_tx(hv_ctx *ctx, void *payload) {
    start_args *a = payload;
    json_t *params = json_pack("{s:s, s:s, s:s}", "report", a->uuid, "repository", a->repository,
                               "digest", a->digest);
    char *text = dumps(params);
    int64_t job_id = 0;
    hv_err rc = hv_model_scan_report_begin(ctx, a->uuid, a->digest, a->registration,
                                           HV_SCANNER_MIME_GENERIC);

    if (rc == HV_OK)
        rc = hv_jobs_enqueue(&job_id, ctx, HV_SCANNER_JOB, text, 0);
    if (rc == HV_OK)
        rc = hv_model_scan_report_set_job(ctx, a->uuid, job_id);
    free(text);
    json_decref(params);
    return rc;
}

hv_err hv_scanner_scan(hv_ctx *ctx, int64_t project_id, const char *repository, const char *digest,
                       const char *scan_type) {
    hv_scanner_reg reg;
    char *uuid = hv_arena_alloc(ctx->arena, 37);
    start_args a = {.uuid = uuid, .repository = repository, .digest = digest};
    hv_err rc;

    if (scan_type && strcmp(scan_type, "vulnerability") != 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "scan_type %s is not supported yet (only \"vulnerability\")", scan_type);
    rc = hv_scanner_of_project(&reg, ctx, project_id);
    if (rc)
        return rc;
    if (reg.disabled)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "the project's scanner %s is disabled", reg.name);
    if (!reg.builtin)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "the project's scanner %s is an external adapter, which Haven cannot run "
                       "scans on yet: choose the built-in scanner %s",
                       reg.name, HV_SCANNER_BUILTIN_NAME);
    hv_uuid(uuid);
    a.registration = reg.uuid;
    rc = hv_events_transaction(ctx, start_tx, &a);
    if (rc == HV_OK)
        hv_jobs_kick();
    return rc;
}

/* ---------------------------------------------------------------- reading */

/* The MIME types of Harbor's reports that accept (X-Accept-Vulnerabilities; NULL: the
 * generic one) asks for, in its order: each is answered with the generic report. */
static size_t accepted(const char *mimes[2], const char *accept) {
    const char *known[] = {HV_SCANNER_MIME_GENERIC, HV_SCANNER_MIME_NATIVE};
    size_t n = 0;

    if (!accept || !*accept) {
        mimes[0] = HV_SCANNER_MIME_GENERIC;
        return 1;
    }
    for (size_t i = 0; i < 2; i++) {
        if (strstr(accept, known[i]))
            mimes[n++] = known[i];
    }
    return n;
}

static json_t *time_json(int64_t ms) {
    char t[32];

    hv_time_format(t, ms);
    return json_string(t);
}

static json_t *scanner_json(hv_ctx *ctx, const hv_scanner_reg *reg) {
    hv_scanner_health h;

    hv_scanner_health_of(&h, ctx, reg);
    return json_pack("{s:s, s:s, s:s}", "name", reg->name, "vendor", h.vendor ? h.vendor : "",
                     "version", h.version ? h.version : "");
}

/* The project's scanner's report of digest; *found false when there is none. */
static hv_err report_of(hv_scan_report_row *row, hv_scanner_reg *reg, bool *found, hv_ctx *ctx,
                        int64_t project_id, const char *digest) {
    hv_err rc = hv_scanner_of_project(reg, ctx, project_id);

    if (rc == HV_E_NOT_FOUND) { /* no scanner at all: nothing was scanned */
        hv_error_clear(ctx);
        *found = false;
        return HV_OK;
    }
    return rc ? rc
              : hv_model_scan_report_get(row, found, ctx, digest, reg->uuid,
                                         HV_SCANNER_MIME_GENERIC);
}

hv_err hv_scanner_overview(json_t **out, hv_ctx *ctx, int64_t project_id, const char *digest,
                           const char *accept) {
    hv_scan_report_row row;
    hv_scanner_reg reg;
    const char *mimes[2];
    size_t n = accepted(mimes, accept);
    bool found;
    json_t *o, *stored = NULL, *summary;
    json_error_t e;
    hv_err rc = report_of(&row, &reg, &found, ctx, project_id, digest);

    *out = json_object();
    if (rc || !found)
        return rc;
    if (row.overview)
        stored = json_loads(row.overview, 0, &e);
    summary = json_object_get(stored, "summary");
    o = json_object();
    json_object_set_new(o, "report_id", json_string(row.uuid));
    json_object_set_new(o, "scan_status", json_string(row.status));
    json_object_set_new(o, "severity",
                        json_string(json_string_value(json_object_get(stored, "severity"))
                                        ? json_string_value(json_object_get(stored, "severity"))
                                        : "Unknown"));
    json_object_set_new(o, "duration",
                        json_integer(row.end_time ? (row.end_time - row.start_time) / 1000 : 0));
    json_object_set_new(o, "summary", summary ? json_incref(summary) : json_object());
    json_object_set_new(o, "start_time", time_json(row.start_time));
    json_object_set_new(o, "end_time", row.end_time ? time_json(row.end_time) : json_null());
    json_object_set_new(o, "scanner", scanner_json(ctx, &reg));
    json_object_set_new(o, "complete_percent",
                        json_integer(strcmp(row.status, "Success") == 0 ? 100 : 0));
    json_decref(stored);
    for (size_t i = 0; i < n; i++)
        json_object_set(*out, mimes[i], o);
    json_decref(o);
    return HV_OK;
}

hv_err hv_scanner_vulnerabilities(json_t **out, hv_ctx *ctx, int64_t project_id,
                                  const char *repository, const char *digest,
                                  const char *manifest_media_type, const char *tag,
                                  const char *accept) {
    hv_scan_report_row row;
    hv_scanner_reg reg;
    const char *mimes[2];
    size_t n = accepted(mimes, accept);
    bool found;
    json_t *report;
    json_error_t e;
    hv_err rc = report_of(&row, &reg, &found, ctx, project_id, digest);

    *out = json_object();
    if (rc || !found || !row.report)
        return rc;
    report = json_loads(row.report, 0, &e);
    if (!report)
        return HV_FAIL(ctx, HV_E_INTERNAL, "the stored report %s does not parse", row.uuid);
    json_object_set_new(report, "artifact",
                        json_pack("{s:s, s:s, s:s, s:s}", "repository", repository, "digest",
                                  digest, "tag", tag ? tag : "", "mime_type", manifest_media_type));
    json_object_set_new(report, "scanner", scanner_json(ctx, &reg));
    for (size_t i = 0; i < n; i++)
        json_object_set(*out, mimes[i], report);
    json_decref(report);
    return HV_OK;
}
