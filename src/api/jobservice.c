/*
 * /jobservice (the job service dashboard) and /schedules: the worker pools of the nodes and
 * their workers, a job's log, stopping a job, the queue of each job type (stop, pause,
 * resume) and the schedules.  System administrators only (jobservice-monitor), as in Harbor.
 *
 * Two additions for Haven's own tests, which need a job to watch: POST /jobservice/jobs
 * starts a test job type ({"job_type": "HAVEN_TEST_SLEEP", "parameters": {...}}; only those
 * that the setting test_job_kinds registers) and GET /jobservice/jobs/{id} shows a job as
 * Harbor's Task.
 */
#include "api/api_int.h"
#include "jobs/jobs.h"

#include <stdlib.h>
#include <string.h>

static json_t *time_or_null(int64_t ms) {
    return ms > 0 ? hv_api__time(ms) : json_null();
}

static hv_err list_pools(hv_req *r) {
    hv_job_pool *pools;
    size_t n;
    json_t *items;
    hv_err rc = hv_api__can(r, NULL, "jobservice-monitor", "list");

    if (rc == HV_OK)
        rc = hv_jobs_pools(&pools, &n, &r->ctx);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items,
                              json_pack("{s:I, s:s, s:o, s:o, s:I, s:s}", "pid",
                                        (json_int_t)pools[i].pid, "worker_pool_id", pools[i].id,
                                        "start_at", hv_api__time(pools[i].start_at), "heartbeat_at",
                                        hv_api__time(pools[i].heartbeat_at), "concurrency",
                                        (json_int_t)pools[i].concurrency, "host", pools[i].host));
    return hv_api__json(r, 200, items);
}

static hv_err list_workers(hv_req *r) {
    hv_jobs_worker *workers;
    size_t n;
    json_t *items;
    hv_err rc = hv_api__can(r, NULL, "jobservice-monitor", "list");

    if (rc == HV_OK)
        rc = hv_jobs_workers(&workers, &n, &r->ctx, r->params[0]);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++) {
        const hv_job_row *j = workers[i].job;
        json_t *w = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id",
                              hv_arena_printf(r->ctx.arena, "%s-%lld", workers[i].pool_id,
                                              (long long)workers[i].index),
                              "pool_id", workers[i].pool_id, "job_name", j ? j->kind : "", "job_id",
                              j ? hv_arena_printf(r->ctx.arena, "%lld", (long long)j->id) : "",
                              "check_in", "");
        json_object_set_new(w, "start_at", j ? hv_api__time(j->start_time) : json_null());
        json_object_set_new(w, "checkin_at", j ? hv_api__time(j->update_time) : json_null());
        json_array_append_new(items, w);
    }
    return hv_api__json(r, 200, items);
}

static hv_err job_id(int64_t *out, hv_req *r) {
    return hv_api__id(out, r, r->params[0], "the job id");
}

static hv_err job_log(hv_req *r) {
    const char *text;
    int64_t id;
    hv_err rc = hv_api__can(r, NULL, "jobservice-monitor", "list");

    if (rc == HV_OK)
        rc = job_id(&id, r);
    if (rc == HV_OK)
        rc = hv_jobs_job_log(&text, &r->ctx, id);
    if (rc)
        return rc;
    hv_resp_body(r, 200, "text/plain; charset=utf-8", text, strlen(text));
    return HV_OK;
}

/* A job as Harbor's Task. */
static json_t *task_json(const hv_job_row *j) {
    json_t *t = json_pack("{s:I, s:I, s:s, s:s, s:I, s:s, s:I}", "id", (json_int_t)j->id,
                          "execution_id", (json_int_t)j->execution_id, "status", j->state,
                          "status_message", j->status_message, "run_count", (json_int_t)j->attempts,
                          "job_type", j->kind, "max_attempts", (json_int_t)j->max_attempts);

    json_object_set_new(t, "extra_attrs", json_loads(j->params, 0, NULL));
    json_object_set_new(t, "creation_time", hv_api__time(j->creation_time));
    json_object_set_new(t, "update_time", hv_api__time(j->update_time));
    json_object_set_new(t, "start_time", time_or_null(j->start_time));
    json_object_set_new(t, "end_time", time_or_null(j->end_time));
    return t;
}

static hv_err get_job(hv_req *r) {
    hv_job_row j;
    int64_t id;
    hv_err rc = hv_api__can(r, NULL, "jobservice-monitor", "list");

    if (rc == HV_OK)
        rc = job_id(&id, r);
    if (rc == HV_OK)
        rc = hv_jobs_job_get(&j, &r->ctx, id);
    return rc ? rc : hv_api__json(r, 200, task_json(&j));
}

static hv_err stop_job(hv_req *r) {
    int64_t id;
    hv_err rc = hv_api__can(r, NULL, "jobservice-monitor", "stop");

    if (rc == HV_OK)
        rc = job_id(&id, r);
    if (rc == HV_OK)
        rc = hv_jobs_job_stop(&r->ctx, id);
    return rc ? rc : hv_api__ok(r);
}

static hv_err start_test_job(hv_req *r) {
    json_t *body = NULL;
    const char *kind = NULL;
    char *params = NULL;
    int64_t job = 0, execution = 0;
    hv_err rc = hv_api__can(r, NULL, "jobservice-monitor", "stop");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&kind, r, body, "job_type");
    if (rc == HV_OK) {
        json_t *p = json_object_get(body, "parameters");
        params = json_is_object(p) ? json_dumps(p, JSON_COMPACT) : NULL;
        rc = hv_jobs_test_start(&job, &execution, &r->ctx, kind, params);
    }
    free(params);
    json_decref(body);
    if (rc)
        return rc;
    hv_resp_header(r, "Location",
                   hv_arena_printf(r->ctx.arena, "/api/v2.0/jobservice/jobs/%lld", (long long)job));
    return hv_api__json(
        r, 201,
        json_pack("{s:I, s:I}", "id", (json_int_t)job, "execution_id", (json_int_t)execution));
}

static hv_err list_queues(hv_req *r) {
    hv_job_queue *queues;
    size_t n;
    json_t *items;
    hv_err rc = hv_api__can(r, NULL, "jobservice-monitor", "list");

    if (rc == HV_OK)
        rc = hv_jobs_queues(&queues, &n, &r->ctx);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items,
                              json_pack("{s:s, s:I, s:I, s:b}", "job_type", queues[i].kind, "count",
                                        (json_int_t)queues[i].count, "latency",
                                        (json_int_t)queues[i].latency, "paused", queues[i].paused));
    return hv_api__json(r, 200, items);
}

static hv_err queue_action(hv_req *r) {
    json_t *body = NULL;
    const char *action = NULL;
    hv_err rc = hv_api__can(r, NULL, "jobservice-monitor", "stop");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&action, r, body, "action");
    if (rc == HV_OK)
        rc = hv_jobs_queue_action(&r->ctx, r->params[0], action);
    json_decref(body);
    return rc ? rc : hv_api__ok(r);
}

static hv_err list_schedules(hv_req *r) {
    hv_schedule *schedules;
    size_t n;
    int64_t total;
    hv_list list;
    json_t *items;
    hv_err rc = hv_api__can(r, NULL, "jobservice-monitor", "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = hv_jobs_schedule_list(&schedules, &n, &total, &r->ctx, &list);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            items, json_pack("{s:I, s:s, s:I, s:s, s:o, s:o}", "id", (json_int_t)schedules[i].id,
                             "vendor_type", schedules[i].vendor_type, "vendor_id",
                             (json_int_t)schedules[i].vendor_id, "cron", schedules[i].cron,
                             "update_time", hv_api__time(schedules[i].update_time),
                             "next_scheduled_time", hv_api__time(schedules[i].next_fire_at)));
    return hv_api__page(r, &list, total, items);
}

static hv_err schedule_paused(hv_req *r) {
    bool paused = false;
    hv_err rc = hv_api__can(r, NULL, "jobservice-monitor", "list");

    if (rc == HV_OK)
        rc = hv_jobs_queue_paused(&paused, &r->ctx, r->params[0]);
    return rc ? rc : hv_api__json(r, 200, json_pack("{s:b}", "paused", paused));
}

HV_API_HANDLER(pools_handler, list_pools);
HV_API_HANDLER(workers_handler, list_workers);
HV_API_HANDLER(log_handler, job_log);
HV_API_HANDLER(get_job_handler, get_job);
HV_API_HANDLER(stop_job_handler, stop_job);
HV_API_HANDLER(start_test_handler, start_test_job);
HV_API_HANDLER(queues_handler, list_queues);
HV_API_HANDLER(queue_action_handler, queue_action);
HV_API_HANDLER(schedules_handler, list_schedules);
HV_API_HANDLER(paused_handler, schedule_paused);

const hv_api__route hv_api__jobservice_routes[] = {
    {"GET", "/jobservice/pools", &pools_handler},
    {"GET", "/jobservice/pools/{pool_id}/workers", &workers_handler},
    {"POST", "/jobservice/jobs", &start_test_handler},
    {"GET", "/jobservice/jobs/{job_id}", &get_job_handler},
    {"PUT", "/jobservice/jobs/{job_id}", &stop_job_handler},
    {"GET", "/jobservice/jobs/{job_id}/log", &log_handler},
    {"GET", "/jobservice/queues", &queues_handler},
    {"PUT", "/jobservice/queues/{job_type}", &queue_action_handler},
    {"GET", "/schedules", &schedules_handler},
    {"GET", "/schedules/{job_type}/paused", &paused_handler},
    {NULL, NULL, NULL},
};
