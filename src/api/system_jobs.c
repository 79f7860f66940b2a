/*
 * The system jobs Harbor shows under /system (garbage collection, audit-log purge): their runs
 * as Harbor's ExecHistory (from the executions of the job's vendor_type), one run, its log,
 * stopping one, and the schedule.  POST or PUT <path>/schedule with type Manual starts a run
 * now (201 with its Location); another type sets the schedule, None removes it.  Permissions:
 * the job's resource with list/read/create/update/stop, system administrators only, as in
 * Harbor.
 */
#include "api/api_int.h"
#include "jobs/jobs.h"

#include <string.h>

/* Harbor's ScheduleObj of a run or of the schedule; sched NULL: none. */
static json_t *schedule_obj(const char *trigger, const hv_schedule *sched) {
    if (strcmp(trigger, "MANUAL") == 0 || !sched)
        return json_pack("{s:s, s:s}", "type", strcmp(trigger, "MANUAL") == 0 ? "Manual" : "None",
                         "cron", "");
    return json_pack("{s:s, s:s, s:o}", "type", sched->cron_type, "cron", sched->cron,
                     "next_scheduled_time", hv_api__time(sched->next_fire_at));
}

static json_t *history_json(const hv_api__system_job *j, const hv_execution *x,
                            const hv_schedule *sched) {
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:b, s:o, s:o}", "id", (json_int_t)x->id,
                     "job_name", j->vendor, "job_kind", x->trigger, "job_parameters",
                     x->extra_attrs, "schedule", schedule_obj(x->trigger, sched), "job_status",
                     x->status, "deleted", 0, "creation_time", hv_api__time(x->start_time),
                     "update_time", hv_api__time(x->update_time));
}

/* The schedule, or NULL when there is none. */
static hv_err current_schedule(const hv_schedule **out, hv_req *r, const hv_api__system_job *j) {
    hv_schedule *s = hv_arena_alloc(r->ctx.arena, sizeof(*s));
    hv_err rc = hv_jobs_schedule_get(s, &r->ctx, j->vendor, 0);

    *out = rc == HV_OK ? s : NULL;
    if (rc == HV_E_NOT_FOUND) {
        hv_error_clear(&r->ctx);
        rc = HV_OK;
    }
    return rc;
}

hv_err hv_api__job_list(hv_req *r, const hv_api__system_job *j) {
    hv_execution *runs;
    const hv_schedule *sched = NULL;
    size_t n;
    int64_t total;
    hv_list list;
    json_t *items;
    hv_err rc = hv_api__can(r, NULL, j->resource, "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = hv_jobs_execution_list(&runs, &n, &total, &r->ctx, j->vendor, &list);
    if (rc == HV_OK)
        rc = current_schedule(&sched, r, j);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, history_json(j, &runs[i], sched));
    return hv_api__page(r, &list, total, items);
}

static hv_err run_id(int64_t *out, hv_req *r, const hv_api__system_job *j, const char *action) {
    hv_err rc = hv_api__can(r, NULL, j->resource, action);

    return rc ? rc : hv_api__id(out, r, r->params[0], j->id_name);
}

hv_err hv_api__job_get(hv_req *r, const hv_api__system_job *j) {
    hv_execution x;
    const hv_schedule *sched = NULL;
    int64_t id;
    hv_err rc = run_id(&id, r, j, "read");

    if (rc == HV_OK)
        rc = hv_jobs_execution_get(&x, &r->ctx, id, j->vendor);
    if (rc == HV_OK)
        rc = current_schedule(&sched, r, j);
    return rc ? rc : hv_api__json(r, 200, history_json(j, &x, sched));
}

hv_err hv_api__job_log(hv_req *r, const hv_api__system_job *j) {
    const char *text;
    int64_t id;
    hv_err rc = run_id(&id, r, j, "read");

    if (rc == HV_OK)
        rc = hv_jobs_execution_log(&text, &r->ctx, id, j->vendor);
    if (rc)
        return rc;
    hv_resp_body(r, 200, "text/plain; charset=utf-8", text, strlen(text));
    return HV_OK;
}

hv_err hv_api__job_stop(hv_req *r, const hv_api__system_job *j) {
    int64_t id;
    hv_err rc = run_id(&id, r, j, "stop");

    if (rc == HV_OK)
        rc = hv_jobs_execution_stop(&r->ctx, id, j->vendor);
    return rc ? rc : hv_api__ok(r);
}

hv_err hv_api__job_schedule(hv_req *r, const hv_api__system_job *j) {
    const hv_schedule *sched = NULL;
    json_t *params;
    hv_err rc = hv_api__can(r, NULL, j->resource, "read");

    if (rc == HV_OK)
        rc = current_schedule(&sched, r, j);
    if (rc)
        return rc;
    if (!sched)
        return hv_api__json(r, 200, json_object());
    params = json_loads(sched->params, 0, NULL);
    return hv_api__json(r, 200,
                        json_pack("{s:I, s:o, s:o, s:o, s:o}", "id", (json_int_t)sched->id,
                                  "schedule", schedule_obj("SCHEDULE", sched), "parameters",
                                  params ? params : json_object(), "creation_time",
                                  hv_api__time(sched->creation_time), "update_time",
                                  hv_api__time(sched->update_time)));
}

hv_err hv_api__job_kick(hv_req *r, const hv_api__system_job *j, const char *action, int status) {
    json_t *body = NULL, *schedule, *params;
    const char *type = NULL, *cron = NULL;
    int64_t id = 0;
    hv_err rc = hv_api__can(r, NULL, j->resource, action);

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        return rc;
    schedule = json_object_get(body, "schedule");
    params = json_object_get(body, "parameters");
    if (!json_is_object(schedule))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "schedule is required: {\"type\": \"Manual\"}");
    if (rc == HV_OK)
        rc = hv_api__str(&type, r, schedule, "type");
    if (rc == HV_OK)
        rc = hv_api__str(&cron, r, schedule, "cron");
    if (rc == HV_OK && params && !json_is_object(params) && !json_is_null(params))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "parameters must be an object");
    if (rc == HV_OK)
        rc = j->kick(&id, r, type, cron, json_is_object(params) ? params : NULL);
    json_decref(body);
    if (rc)
        return rc;
    hv_resp_header(r, "Location",
                   hv_arena_printf(r->ctx.arena, "/api/v2.0%s/%lld", j->path, (long long)id));
    hv_resp_empty(r, status);
    return HV_OK;
}
