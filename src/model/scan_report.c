/*
 * Scan reports: one row per (artifact digest, scanner registration, report MIME type),
 * started anew by each scan (a new uuid, Harbor's report_id) unless one is still Pending or
 * Running.
 */
#include "model/model_int.h"

#define REPORT_SELECT                                                                              \
    "SELECT id, uuid, digest, registration_uuid, mime_type, status, job_id, report, overview,"     \
    " message, start_time, end_time FROM scan_report"

static void read_report(hv_scan_report_row *out, hv_ctx *ctx, hv_stmt *st) {
    out->id = hv_stmt_int(st, 0);
    out->uuid = hv_model__text(ctx, st, 1);
    out->digest = hv_model__text(ctx, st, 2);
    out->registration_uuid = hv_model__text(ctx, st, 3);
    out->mime_type = hv_model__text(ctx, st, 4);
    out->status = hv_model__text(ctx, st, 5);
    out->job_id = hv_stmt_int(st, 6);
    out->report = hv_model__text(ctx, st, 7);
    out->overview = hv_model__text(ctx, st, 8);
    out->message = hv_model__text(ctx, st, 9);
    out->start_time = hv_stmt_int(st, 10);
    out->end_time = hv_stmt_int(st, 11);
}

static const char *sql_begin =
    "INSERT INTO scan_report (uuid, digest, registration_uuid, mime_type, status, start_time)"
    " VALUES (?, ?, ?, ?, 'Pending', ?)"
    " ON CONFLICT (digest, registration_uuid, mime_type) DO UPDATE SET uuid = excluded.uuid,"
    " status = 'Pending', job_id = 0, report = NULL, overview = NULL, message = '',"
    " start_time = excluded.start_time, end_time = 0"
    " WHERE scan_report.status NOT IN ('Pending', 'Running') RETURNING id";

hv_err hv_model_scan_report_begin(hv_ctx *ctx, const char *uuid, const char *digest,
                                  const char *registration_uuid, const char *mime) {
    int64_t id = 0;
    hv_err rc = hv_model__insert(&id, ctx, sql_begin, "ttttii", uuid, digest, registration_uuid,
                                 mime, hv_now_ms());

    if (rc == HV_OK && id == 0)
        rc = HV_FAIL(ctx, HV_E_CONFLICT, "a scan of %s is already pending or running", digest);
    return rc;
}

hv_err hv_model_scan_report_set_job(hv_ctx *ctx, const char *uuid, int64_t job_id) {
    return hv_model__exec(NULL, ctx, "UPDATE scan_report SET job_id = ? WHERE uuid = ?", "it",
                          job_id, uuid);
}

hv_err hv_model_scan_report_running(bool *found, hv_ctx *ctx, const char *uuid) {
    int64_t changed = 0;
    hv_err rc = hv_model__exec(&changed, ctx,
                               "UPDATE scan_report SET status = 'Running' WHERE uuid = ?"
                               " AND status IN ('Pending', 'Running')",
                               "t", uuid);

    *found = changed > 0;
    return rc;
}

hv_err hv_model_scan_report_finish(hv_ctx *ctx, const char *uuid, const char *status,
                                   const char *report, const char *overview, const char *message) {
    return hv_model__exec(NULL, ctx,
                          "UPDATE scan_report SET status = ?, report = ?, overview = ?,"
                          " message = ?, end_time = ? WHERE uuid = ?",
                          "ttttit", status, report, overview, message ? message : "", hv_now_ms(),
                          uuid);
}

hv_err hv_model_scan_report_get(hv_scan_report_row *out, bool *found, hv_ctx *ctx,
                                const char *digest, const char *registration_uuid,
                                const char *mime) {
    hv_stmt *st;
    hv_err rc = hv_model__query(&st, found, ctx,
                                REPORT_SELECT
                                " WHERE digest = ? AND registration_uuid = ? AND mime_type = ?",
                                "ttt", digest, registration_uuid, mime);

    if (rc)
        return rc;
    if (*found)
        read_report(out, ctx, st);
    hv_stmt_reset(st);
    return HV_OK;
}

hv_err hv_model_scan_report_by_uuid(hv_scan_report_row *out, hv_ctx *ctx, const char *uuid) {
    hv_stmt *st;
    bool found;
    hv_err rc = hv_model__query(&st, &found, ctx, REPORT_SELECT " WHERE uuid = ?", "t", uuid);

    if (rc)
        return rc;
    if (found)
        read_report(out, ctx, st);
    hv_stmt_reset(st);
    return found ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "scan report %s not found", uuid);
}
