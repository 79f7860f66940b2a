/*
 * /retentions: Harbor's tag retention policies.
 *
 *   GET    /retentions/metadatas              the templates and selectors a rule may use
 *   POST   /retentions                        create (201, Location /api/v2.0/retentions/{id})
 *   GET    /retentions/{id}                   the RetentionPolicy
 *   PUT    /retentions/{id}                   replace it (same project)
 *   DELETE /retentions/{id}
 *   POST   /projects/{project_name_or_id}/retentions   create for that project (published
 *          guides use it; scope may be left out)
 *   POST   /retentions/{id}/executions        run now {"dry_run": bool} (201, Location)
 *   GET    /retentions/{id}/executions        the runs (RetentionExecution), paged
 *   PATCH  /retentions/{id}/executions/{eid}  {"action": "stop"}
 *   GET    /retentions/{id}/executions/{eid}/tasks        RetentionExecutionTask, paged
 *   GET    /retentions/{id}/executions/{eid}/tasks/{tid}  the task's log (text/plain)
 *
 * The policy's rules, the normalised form and the one-policy-per-project rule are the
 * retention service's (src/retention/).  Permissions: tag-retention create/read/update/
 * delete on the policy's project (project admins, maintainers and developers); for runs
 * operate (start, stop), list (executions, tasks) and read (a task's log).
 */
#include "api/api_int.h"
#include "retention/retention.h"

#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- JSON */

static json_t *policy_json(const hv_retention_policy *pol) {
    json_t *o = json_loads(pol->policy, 0, NULL);

    if (!o)
        o = json_object();
    json_object_set_new(o, "id", json_integer(pol->id));
    return o;
}

static json_t *selector_metadata(const char *text, const char *kind, const char *a, const char *b) {
    return json_pack("{s:s, s:s, s:[s, s]}", "display_text", text, "kind", kind, "decorations", a,
                     b);
}

static hv_err metadatas(hv_req *r) {
    json_t *templates;

    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    templates = json_array();
    for (const hv_retention_template *t = hv_retention_templates; t->id; t++) {
        json_t *params;

        if (!t->display_text)
            continue;
        params = json_array();
        if (t->unit)
            json_array_append_new(params, json_pack("{s:s, s:s, s:b}", "type", "int", "unit",
                                                    t->unit, "required", true));
        json_array_append_new(templates, json_pack("{s:s, s:s, s:s, s:o}", "rule_template", t->id,
                                                   "display_text", t->display_text, "action",
                                                   "retain", "params", params));
    }
    return hv_api__json(
        r, 200,
        json_pack("{s:o, s:[o], s:[o, o]}", "templates", templates, "scope_selectors",
                  selector_metadata("Repositories", "doublestar", "repoMatches", "repoExcludes"),
                  "tag_selectors", selector_metadata("Tags", "doublestar", "matches", "excludes"),
                  selector_metadata("Labels", "label", "withLabels", "withoutLabels")));
}

/* ---------------------------------------------------------------- lookups */

/* The project a policy body names (scope.ref), once the caller may `action` its retention
 * policy.  An anonymous caller is asked to log in first. */
static hv_err policy_project(hv_project *p, hv_req *r, int64_t project_id, const char *action) {
    hv_err rc;

    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    rc = hv_iam_project_get_by_id(p, &r->ctx, project_id);
    if (rc == HV_E_NOT_FOUND) {
        hv_error_clear(&r->ctx);
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "scope.ref: there is no project %lld",
                       (long long)project_id);
    }
    return rc ? rc : hv_api__can(r, p, "tag-retention", action);
}

/* The policy of the path ({id}) and its project, once the caller may `action` it. */
static hv_err load(hv_retention_policy *pol, hv_project *p, hv_req *r, const char *action) {
    int64_t id;
    hv_err rc;

    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    rc = hv_api__id(&id, r, r->params[0], "retention policy id");
    if (rc == HV_OK)
        rc = hv_retention_policy_get(pol, &r->ctx, id);
    if (rc == HV_OK)
        rc = hv_iam_project_get_by_id(p, &r->ctx, pol->project_id);
    return rc ? rc : hv_api__can(r, p, "tag-retention", action);
}

/* ---------------------------------------------------------------- handlers */

/* Creates the policy of body (taken), answering 201 with its Location. */
static hv_err create_from(hv_req *r, json_t *body) {
    const char *text;
    int64_t project_id, id;
    hv_project p;
    hv_err rc = hv_retention_policy_check(&text, &project_id, &r->ctx, body);

    json_decref(body);
    if (rc == HV_OK)
        rc = policy_project(&p, r, project_id, "create");
    if (rc == HV_OK)
        rc = hv_retention_policy_create(&id, &r->ctx, p.id, text);
    if (rc)
        return rc;
    return hv_api__created(
        r, hv_arena_printf(r->ctx.arena, "/api/v2.0/retentions/%lld", (long long)id));
}

static hv_err create(hv_req *r) {
    json_t *body = NULL;
    hv_err rc;

    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    rc = hv_api__json_body(&body, r);
    return rc ? rc : create_from(r, body);
}

/* The project of the path is the policy's scope; a scope in the body must name it too. */
static hv_err create_for_project(hv_req *r) {
    json_t *body = NULL, *ref;
    hv_project p;
    hv_err rc = hv_api__project_of_path(&p, r);

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        return rc;
    ref = json_object_get(json_object_get(body, "scope"), "ref");
    if (ref && !(json_is_integer(ref) && json_integer_value(ref) == p.id)) {
        json_decref(body);
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "scope.ref must be %lld, the id of project %s, or left out", (long long)p.id,
                       p.name);
    }
    if (json_is_object(body))
        json_object_set_new(body, "scope",
                            json_pack("{s:s, s:I}", "level", "project", "ref", (json_int_t)p.id));
    return create_from(r, body);
}

static hv_err get(hv_req *r) {
    hv_retention_policy pol;
    hv_project p;
    hv_err rc = load(&pol, &p, r, "read");

    return rc ? rc : hv_api__json(r, 200, policy_json(&pol));
}

static hv_err update(hv_req *r) {
    hv_retention_policy pol;
    hv_project p;
    json_t *body = NULL;
    const char *text;
    int64_t project_id;
    hv_err rc = load(&pol, &p, r, "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_retention_policy_check(&text, &project_id, &r->ctx, body);
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_retention_policy_update(&r->ctx, &pol, text, project_id);
    return rc ? rc : hv_api__ok(r);
}

static hv_err delete (hv_req *r) {
    hv_retention_policy pol;
    hv_project p;
    hv_err rc = load(&pol, &p, r, "delete");

    if (rc == HV_OK)
        rc = hv_retention_policy_delete(&r->ctx, &pol);
    return rc ? rc : hv_api__ok(r);
}

/* ---------------------------------------------------------------- runs */

static json_t *execution_json(const hv_execution *x) {
    json_t *attrs = json_loads(x->extra_attrs, 0, NULL);
    json_t *o = json_pack("{s:I, s:I, s:o, s:s, s:s, s:b}", "id", (json_int_t)x->id, "policy_id",
                          (json_int_t)x->vendor_id, "start_time", hv_api__time(x->start_time),
                          "status", x->status, "trigger", x->trigger, "dry_run",
                          json_is_true(json_object_get(attrs, "dry_run")));

    json_decref(attrs);
    if (x->end_time)
        json_object_set_new(o, "end_time", hv_api__time(x->end_time));
    return o;
}

/* Harbor's status codes of a job: Pending 0, Running 2, finished 3. */
static int status_code(const char *state) {
    return strcmp(state, "Pending") == 0 ? 0 : strcmp(state, "Running") == 0 ? 2 : 3;
}

static json_t *task_json(const hv_retention_task *t) {
    char job_id[24];
    json_t *o;

    snprintf(job_id, sizeof(job_id), "%lld", (long long)t->job_id);
    o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:i, s:I, s:I, s:I}", "id", (json_int_t)t->job_id,
                  "execution_id", (json_int_t)t->execution_id, "repository", t->repository,
                  "job_id", job_id, "status", t->state, "status_code", status_code(t->state),
                  "status_revision", (json_int_t)(t->update_time / 1000), "total",
                  (json_int_t)t->total, "retained", (json_int_t)t->retained);

    if (t->start_time)
        json_object_set_new(o, "start_time", hv_api__time(t->start_time));
    if (t->end_time)
        json_object_set_new(o, "end_time", hv_api__time(t->end_time));
    return o;
}

/* The policy of the path and the execution id ({eid}), once the caller may `action`. */
static hv_err load_execution(hv_retention_policy *pol, int64_t *eid, hv_req *r,
                             const char *action) {
    hv_project p;
    hv_err rc = load(pol, &p, r, action);

    return rc ? rc : hv_api__id(eid, r, r->params[1], "execution id");
}

static hv_err run_now(hv_req *r) {
    hv_retention_policy pol;
    hv_project p;
    json_t *body = NULL;
    bool dry_run = false;
    int64_t id;
    hv_err rc = load(&pol, &p, r, "operate");

    if (rc == HV_OK && r->body.len > 0)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK && body && !json_is_object(body))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "the body must be {\"dry_run\": bool}");
    if (rc == HV_OK && body)
        rc = hv_api__bool(&dry_run, r, body, "dry_run");
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_retention_run(&id, &r->ctx, &pol, dry_run, r->who.name);
    if (rc)
        return rc;
    return hv_api__created(r, hv_arena_printf(r->ctx.arena,
                                              "/api/v2.0/retentions/%lld/executions/%lld",
                                              (long long)pol.id, (long long)id));
}

static hv_err list_executions(hv_req *r) {
    hv_retention_policy pol;
    hv_project p;
    hv_execution *runs;
    size_t n;
    int64_t total;
    hv_list list;
    json_t *items;
    hv_err rc = load(&pol, &p, r, "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = hv_retention_executions(&runs, &n, &total, &r->ctx, pol.id, &list);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, execution_json(&runs[i]));
    return hv_api__page(r, &list, total, items);
}

static hv_err stop_execution(hv_req *r) {
    hv_retention_policy pol;
    json_t *body = NULL;
    const char *action = NULL;
    int64_t eid;
    hv_err rc = load_execution(&pol, &eid, r, "operate");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&action, r, body, "action");
    if (rc == HV_OK && (!action || strcmp(action, "stop") != 0))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "action must be \"stop\"");
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_retention_execution_stop(&r->ctx, pol.id, eid);
    return rc ? rc : hv_api__ok(r);
}

static hv_err list_tasks(hv_req *r) {
    hv_retention_policy pol;
    hv_retention_task *tasks;
    size_t n;
    int64_t eid, total;
    hv_list list;
    json_t *items;
    hv_err rc = load_execution(&pol, &eid, r, "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = hv_retention_tasks(&tasks, &n, &total, &r->ctx, pol.id, eid, &list);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, task_json(&tasks[i]));
    return hv_api__page(r, &list, total, items);
}

static hv_err task_log(hv_req *r) {
    hv_retention_policy pol;
    const char *text;
    int64_t eid, tid;
    hv_err rc = load_execution(&pol, &eid, r, "read");

    if (rc == HV_OK)
        rc = hv_api__id(&tid, r, r->params[2], "task id");
    if (rc == HV_OK)
        rc = hv_retention_task_log(&text, &r->ctx, pol.id, eid, tid);
    if (rc)
        return rc;
    hv_resp_body(r, 200, "text/plain; charset=utf-8", text, strlen(text));
    return HV_OK;
}

HV_API_HANDLER(metadatas_handler, metadatas);
HV_API_HANDLER(create_handler, create);
HV_API_HANDLER(create_for_project_handler, create_for_project);
HV_API_HANDLER(get_handler, get);
HV_API_HANDLER(update_handler, update);
HV_API_HANDLER(delete_handler, delete);
HV_API_HANDLER(run_handler, run_now);
HV_API_HANDLER(executions_handler, list_executions);
HV_API_HANDLER(stop_handler, stop_execution);
HV_API_HANDLER(tasks_handler, list_tasks);
HV_API_HANDLER(task_log_handler, task_log);

const hv_api__route hv_api__retention_routes[] = {
    {"GET", "/retentions/metadatas", &metadatas_handler},
    {"POST", "/retentions", &create_handler},
    {"GET", "/retentions/{id}", &get_handler},
    {"PUT", "/retentions/{id}", &update_handler},
    {"DELETE", "/retentions/{id}", &delete_handler},
    {"POST", "/projects/{project_name_or_id}/retentions", &create_for_project_handler},
    {"POST", "/retentions/{id}/executions", &run_handler},
    {"GET", "/retentions/{id}/executions", &executions_handler},
    {"PATCH", "/retentions/{id}/executions/{eid}", &stop_handler},
    {"GET", "/retentions/{id}/executions/{eid}/tasks", &tasks_handler},
    {"GET", "/retentions/{id}/executions/{eid}/tasks/{tid}", &task_log_handler},
    {NULL, NULL, NULL},
};
