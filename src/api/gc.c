/*
 * /system/gc: garbage collection runs (Harbor's GCHistory, from the executions of
 * GARBAGE_COLLECTION), their logs, stopping one, and the schedule.  POST or PUT
 * /system/gc/schedule with type Manual starts a run now (201 with its Location); another type
 * sets the schedule, None removes it.  Permissions: garbage-collection list/read/create/
 * update/stop, system administrators only, as in Harbor.
 */
#include "gc/gc.h"
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

static json_t *history_json(const hv_execution *x, const hv_schedule *sched) {
    return json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:b, s:o, s:o}", "id", (json_int_t)x->id,
                     "job_name", HV_GC_VENDOR, "job_kind", x->trigger, "job_parameters",
                     x->extra_attrs, "schedule", schedule_obj(x->trigger, sched), "job_status",
                     x->status, "deleted", 0, "creation_time", hv_api__time(x->start_time),
                     "update_time", hv_api__time(x->update_time));
}

/* The schedule, or NULL when there is none. */
static hv_err current_schedule(const hv_schedule **out, hv_req *r) {
    hv_schedule *s = hv_arena_alloc(r->ctx.arena, sizeof(*s));
    hv_err rc = hv_jobs_schedule_get(s, &r->ctx, HV_GC_VENDOR, 0);

    *out = rc == HV_OK ? s : NULL;
    if (rc == HV_E_NOT_FOUND) {
        hv_error_clear(&r->ctx);
        rc = HV_OK;
    }
    return rc;
}

static hv_err list_runs(hv_req *r) {
    hv_execution *runs;
    const hv_schedule *sched = NULL;
    size_t n;
    int64_t total;
    hv_list list;
    json_t *items;
    hv_err rc = hv_api__can(r, NULL, "garbage-collection", "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = hv_jobs_execution_list(&runs, &n, &total, &r->ctx, HV_GC_VENDOR, &list);
    if (rc == HV_OK)
        rc = current_schedule(&sched, r);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, history_json(&runs[i], sched));
    return hv_api__page(r, &list, total, items);
}

static hv_err run_id(int64_t *out, hv_req *r, const char *action) {
    hv_err rc = hv_api__can(r, NULL, "garbage-collection", action);

    return rc ? rc : hv_api__id(out, r, r->params[0], "the gc id");
}

static hv_err get_run(hv_req *r) {
    hv_execution x;
    const hv_schedule *sched = NULL;
    int64_t id;
    hv_err rc = run_id(&id, r, "read");

    if (rc == HV_OK)
        rc = hv_jobs_execution_get(&x, &r->ctx, id, HV_GC_VENDOR);
    if (rc == HV_OK)
        rc = current_schedule(&sched, r);
    return rc ? rc : hv_api__json(r, 200, history_json(&x, sched));
}

static hv_err run_log(hv_req *r) {
    const char *text;
    int64_t id;
    hv_err rc = run_id(&id, r, "read");

    if (rc == HV_OK)
        rc = hv_jobs_execution_log(&text, &r->ctx, id, HV_GC_VENDOR);
    if (rc)
        return rc;
    hv_resp_body(r, 200, "text/plain; charset=utf-8", text, strlen(text));
    return HV_OK;
}

static hv_err stop_run(hv_req *r) {
    int64_t id;
    hv_err rc = run_id(&id, r, "stop");

    if (rc == HV_OK)
        rc = hv_jobs_execution_stop(&r->ctx, id, HV_GC_VENDOR);
    return rc ? rc : hv_api__ok(r);
}

static hv_err get_schedule(hv_req *r) {
    const hv_schedule *sched = NULL;
    json_t *params;
    hv_err rc = hv_api__can(r, NULL, "garbage-collection", "read");

    if (rc == HV_OK)
        rc = current_schedule(&sched, r);
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

/* POST and PUT /system/gc/schedule: Harbor's kick. */
static hv_err kick(hv_req *r, const char *action, int status) {
    json_t *body = NULL, *schedule, *params;
    const char *type = NULL, *cron = NULL;
    hv_gc_params p = {.workers = 1};
    int64_t id = 0;
    hv_err rc = hv_api__can(r, NULL, "garbage-collection", action);

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
    if (rc == HV_OK && json_is_object(params))
        rc = hv_api__bool(&p.delete_untagged, r, params, "delete_untagged");
    if (rc == HV_OK && json_is_object(params))
        rc = hv_api__bool(&p.dry_run, r, params, "dry_run");
    if (rc == HV_OK && json_is_object(params))
        rc = hv_api__int(&p.workers, r, params, "workers");
    if (rc == HV_OK && type && strcmp(type, "Manual") == 0)
        rc = hv_gc_start(&id, &r->ctx, &p);
    else if (rc == HV_OK)
        rc = hv_gc_schedule(&r->ctx, type, cron, &p);
    json_decref(body);
    if (rc)
        return rc;
    hv_resp_header(r, "Location",
                   hv_arena_printf(r->ctx.arena, "/api/v2.0/system/gc/%lld", (long long)id));
    hv_resp_empty(r, status);
    return HV_OK;
}

static hv_err create_schedule(hv_req *r) {
    return kick(r, "create", 201);
}

static hv_err update_schedule(hv_req *r) {
    return kick(r, "update", 200);
}

HV_API_HANDLER(list_handler, list_runs);
HV_API_HANDLER(get_handler, get_run);
HV_API_HANDLER(log_handler, run_log);
HV_API_HANDLER(stop_handler, stop_run);
HV_API_HANDLER(get_schedule_handler, get_schedule);
HV_API_HANDLER(create_schedule_handler, create_schedule);
HV_API_HANDLER(update_schedule_handler, update_schedule);

const hv_api__route hv_api__gc_routes[] = {
    /* before /system/gc/{gc_id}, which "schedule" would match */
    {"GET", "/system/gc/schedule", &get_schedule_handler},
    {"POST", "/system/gc/schedule", &create_schedule_handler},
    {"PUT", "/system/gc/schedule", &update_schedule_handler},
    {"GET", "/system/gc", &list_handler},
    {"GET", "/system/gc/{gc_id}", &get_handler},
    {"PUT", "/system/gc/{gc_id}", &stop_handler},
    {"GET", "/system/gc/{gc_id}/log", &log_handler},
    {NULL, NULL, NULL},
};
