/*
 * Retention runs: the RETENTION job kind.  Its launcher (Harbor's launcher.go) gives a new
 * execution one task per repository of the policy's project that an enabled rule applies
 * to; a task (Harbor's job.go) lists the repository's artifacts, evaluates the policy on
 * them, logs the verdicts as Harbor's table, deletes what it says through the registry's
 * artifact deletion (quota refunds, events) unless the run is a dry run, and records its
 * counts with the TAG_RETENTION event in one transaction.
 */
#include "events/events.h"
#include "jobs/jobs.h"
#include "registry/registry.h"
#include "retention/retention.h"

#include <stdlib.h>
#include <string.h>

#define PAGE 100

/* The parameters of an execution (its extra_attrs) and of its tasks. */
typedef struct run_params {
    bool dry_run;
    const char *operator;
    int64_t policy_id;
    const char *repository; /* tasks only: "<project>/<repository>" */
} run_params;

static void read_params(run_params *out, hv_ctx *ctx, const char *text) {
    json_t *o = json_loads(text, 0, NULL);
    const char *op = json_string_value(json_object_get(o, "operator"));
    const char *repo = json_string_value(json_object_get(o, "repository"));

    out->dry_run = json_is_true(json_object_get(o, "dry_run"));
    out->operator= hv_arena_strdup(ctx->arena, op ? op : "");
    out->policy_id = json_integer_value(json_object_get(o, "policy_id"));
    out->repository = repo ? hv_arena_strdup(ctx->arena, repo) : NULL;
    json_decref(o);
}

/* The params as JSON text (malloc'd); repository NULL: an execution's. */
static char *params_text(const run_params *p) {
    json_t *o = json_pack("{s:b, s:s}", "dry_run", p->dry_run, "operator", p->operator);
    char *s;

    if (p->repository) {
        json_object_set_new(o, "policy_id", json_integer(p->policy_id));
        json_object_set_new(o, "repository", json_string(p->repository));
    }
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

/* The repository name without its project. */
static const char *short_name(const char *full) {
    const char *slash = strchr(full, '/');

    return slash ? slash + 1 : full;
}

/* ---------------------------------------------------------------- launching */

static hv_err launch(hv_ctx *ctx, int64_t execution_id, int64_t policy_id, const char *params,
                     void *arg) {
    hv_retention_policy pol;
    hv_repository_detail *repos;
    hv_visibility all = {.all = true};
    hv_list list = {.sort = "name"};
    size_t n;
    int64_t total;
    run_params p;
    hv_err rc;

    (void)arg;
    read_params(&p, ctx, params);
    p.policy_id = policy_id;
    rc = hv_model_retention_get(&pol, ctx, policy_id);
    if (rc == HV_OK)
        rc = hv_registry_repository_list(&repos, &n, &total, ctx, &list, pol.project_id, &all);
    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        int64_t job_id;
        char *text;

        if (!hv_retention_applies(pol.policy, short_name(repos[i].name)))
            continue;
        p.repository = repos[i].name;
        text = params_text(&p);
        rc = hv_jobs_enqueue(&job_id, ctx, HV_RETENTION_VENDOR, text, execution_id);
        free(text);
        if (rc == HV_OK)
            rc = hv_model_retention_task_add(ctx, job_id, execution_id, repos[i].name);
    }
    return rc;
}

/* ---------------------------------------------------------------- a task */

/* The artifacts of the repository as candidates (views[i] is candidates[i]'s). */
static hv_err candidates_of(hv_retention_candidate **out, hv_artifact_view **views, size_t *n,
                            hv_ctx *ctx, const hv_target *t) {
    hv_artifact_scope scope = {.project_id = t->project.id, .repository_id = t->repo.id};
    hv_artifact_options o = {.with_tag = true, .with_label = true, .with_immutable_status = true};
    hv_list list = {.sort = "digest", .page = 1, .page_size = PAGE};
    size_t count = 0, cap = PAGE, got;
    hv_artifact_view *all = hv_arena_alloc(ctx->arena, cap * sizeof(*all)), *page;
    int64_t total;
    hv_err rc;

    do {
        rc = hv_registry_artifact_list(&page, &got, &total, ctx, &t->project, &scope, &list, &o);
        for (size_t i = 0; rc == HV_OK && i < got; i++) {
            all = hv_arena_grow(ctx->arena, all, &cap, count, sizeof(*all));
            all[count++] = page[i];
        }
        list.page++;
    } while (rc == HV_OK && got == PAGE);
    if (rc)
        return rc;
    *out = hv_arena_alloc(ctx->arena, (count + 1) * sizeof(**out));
    for (size_t i = 0; i < count; i++) {
        hv_retention_candidate *c = &(*out)[i];
        const char **tags = hv_arena_alloc(ctx->arena, (all[i].n_tags + 1) * sizeof(*tags));
        const char **labels = hv_arena_alloc(ctx->arena, (all[i].n_labels + 1) * sizeof(*labels));

        *c = (hv_retention_candidate){.digest = all[i].info.a.digest,
                                      .tags = tags,
                                      .n_tags = all[i].n_tags,
                                      .labels = labels,
                                      .n_labels = all[i].n_labels,
                                      .push_time = all[i].info.push_time,
                                      .pull_time = all[i].info.pull_time};
        for (size_t j = 0; j < all[i].n_tags; j++) {
            tags[j] = all[i].tags[j].tag.name;
            c->immutable = c->immutable || all[i].tags[j].immutable;
        }
        for (size_t j = 0; j < all[i].n_labels; j++)
            labels[j] = all[i].labels[j].name;
    }
    *views = all;
    *n = count;
    return HV_OK;
}

static const char *const verdict_names[] = {"RETAIN", "RETAIN", "DEL", "IMMUTABLE"};

/* "a,b" of n names, or "" (arena). */
static const char *joined(hv_ctx *ctx, const char *const *names, size_t n) {
    const char *s = "";

    for (size_t i = 0; i < n; i++)
        s = hv_arena_printf(ctx->arena, "%s%s%s", s, i ? "," : "", names[i]);
    return s;
}

/* A row of Harbor's result table. */
static void log_row(hv_job *job, hv_ctx *ctx, const hv_retention_candidate *c,
                    const hv_artifact_view *v, hv_retention_verdict verdict) {
    char pushed[32], pulled[32] = "";

    hv_time_format(pushed, c->push_time);
    if (c->pull_time)
        hv_time_format(pulled, c->pull_time);
    hv_job_log(job, HV_LOG_INFO, "|  %s  |  %s  |  %s  |  %s  |  %s  |  %s  |  %s  |", c->digest,
               joined(ctx, c->tags, c->n_tags), v->info.kind.type ? v->info.kind.type : "",
               joined(ctx, c->labels, c->n_labels), pushed, pulled, verdict_names[verdict]);
}

typedef struct finish_tx {
    int64_t job_id, total, retained;
    const char *payload;
} finish_tx;

static hv_err finish(hv_ctx *ctx, void *payload) {
    finish_tx *f = payload;
    hv_err rc = hv_model_retention_task_set(ctx, f->job_id, f->total, f->retained);

    return rc ? rc : hv_events_publish(ctx, HV_RETENTION_EVENT, f->payload);
}

/* Harbor's retention object of the TAG_RETENTION event (webhook/artifact/retention.go). */
static json_t *event_json(const run_params *p, const hv_project *proj, const char *policy,
                          int64_t execution_id, int64_t total, int64_t retained, json_t *deleted) {
    json_t *pol = json_loads(policy, 0, NULL), *rules = json_array(), *rule;
    size_t i;

    json_array_foreach(json_object_get(pol, "rules"), i, rule) {
        if (json_is_true(json_object_get(rule, "disabled")))
            continue;
        json_array_append_new(
            rules, json_pack("{s:O, s:O, s:O, s:O}", "template", json_object_get(rule, "template"),
                             "params", json_object_get(rule, "params"), "tag_selectors",
                             json_object_get(rule, "tag_selectors"), "scope_selectors",
                             json_object_get(rule, "scope_selectors")));
    }
    json_decref(pol);
    return json_pack("{s:s, s:{s:I, s:I, s:s, s:I, s:I, s:s, s:o, s:s, s:b, s:o}}", "operator",
                     p->operator, "retention", "total", (json_int_t)total, "retained",
                     (json_int_t)retained, "project_name", proj->name, "retention_policy_id",
                     (json_int_t)p->policy_id, "execution_id", (json_int_t)execution_id,
                     "repository", p->repository, "retention_rule", rules, "result", "SUCCESS",
                     "dry_run", p->dry_run, "deleted_artifact", deleted);
}

static hv_err run(hv_ctx *ctx, hv_job *job, void *arg) {
    hv_retention_policy pol;
    hv_project proj;
    hv_target t;
    hv_retention_candidate *cands = NULL;
    hv_artifact_view *views = NULL;
    hv_retention_verdict *verdicts;
    size_t n = 0;
    int64_t retained = 0;
    json_t *deleted = json_array(), *event;
    finish_tx f = {.job_id = hv_job_id(job)};
    run_params p;
    char *text;
    hv_err rc;

    (void)arg;
    read_params(&p, ctx, hv_job_params(job));
    if (!p.repository) {
        json_decref(deleted);
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a retention task needs its repository");
    }
    hv_job_log(job, HV_LOG_INFO,
               "Run retention process.\n Repository: %s \n Rule Algorithm: or\n"
               " Dry Run: %s",
               p.repository, p.dry_run ? "true" : "false");
    rc = hv_model_retention_get(&pol, ctx, p.policy_id);
    if (rc == HV_E_NOT_FOUND) {
        hv_error_clear(ctx);
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "retention policy %lld was deleted",
                     (long long)p.policy_id);
    }
    if (rc == HV_OK)
        rc = hv_model_project_get_by_id(&proj, ctx, pol.project_id);
    if (rc == HV_OK)
        rc = hv_registry_repository(&t, ctx, &proj, p.repository);
    if (rc == HV_E_NOT_FOUND) { /* deleted since the launch: nothing left to retain */
        hv_job_log(job, HV_LOG_INFO, "repository %s is gone: nothing to do", p.repository);
        hv_error_clear(ctx);
    } else if (rc == HV_OK) {
        rc = candidates_of(&cands, &views, &n, ctx, &t);
    }
    verdicts = hv_arena_alloc(ctx->arena, (n + 1) * sizeof(*verdicts));
    if (rc == HV_OK && n > 0)
        rc = hv_retention_evaluate(verdicts, ctx, pol.policy, short_name(p.repository), cands, n,
                                   hv_now_ms());
    if (rc == HV_OK && n > 0)
        hv_job_log(job, HV_LOG_INFO,
                   "|  Digest  |  Tag  |  Kind  |  Labels  |  PushedTime  |  "
                   "PulledTime  |  Retention  |");
    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        if (hv_job_stopping(job)) {
            hv_job_log(job, HV_LOG_INFO, "stop requested: the rest is left as it is");
            rc = HV_FAIL(ctx, HV_E_UNAVAILABLE, "the retention run was stopped");
            break;
        }
        log_row(job, ctx, &cands[i], &views[i], verdicts[i]);
        if (verdicts[i] != HV_RETENTION_DELETE) {
            retained++;
            continue;
        }
        if (!p.dry_run)
            rc = hv_registry_artifact_delete(ctx, &t, cands[i].digest);
        if (rc == HV_E_POLICY || rc == HV_E_NOT_FOUND) { /* held by an index, or gone */
            hv_job_log(job, HV_LOG_INFO, "%s not deleted: %s", cands[i].digest, ctx->err.message);
            retained += rc == HV_E_POLICY;
            hv_error_clear(ctx);
            rc = HV_OK;
            continue;
        }
        json_array_append_new(
            deleted,
            json_pack("{s:s, s:s, s:s, s:[s]}", "type",
                      views[i].info.kind.type ? views[i].info.kind.type : "", "status", "SUCCESS",
                      "name_tag",
                      cands[i].n_tags
                          ? hv_arena_printf(ctx->arena, "%s:%s", p.repository, cands[i].tags[0])
                          : hv_arena_printf(ctx->arena, "%s@%s", p.repository, cands[i].digest),
                      "references", cands[i].digest));
    }
    if (rc) {
        json_decref(deleted);
        return rc;
    }
    hv_job_log(job, HV_LOG_INFO, "%s: %zu artifact(s), %lld retained, %zu %s", p.repository, n,
               (long long)retained, json_array_size(deleted),
               p.dry_run ? "would be deleted (dry run)" : "deleted");
    event =
        event_json(&p, &proj, pol.policy, hv_job_execution_id(job), (int64_t)n, retained, deleted);
    text = json_dumps(event, JSON_COMPACT);
    json_decref(event);
    f.total = (int64_t)n;
    f.retained = retained;
    f.payload = text;
    rc = hv_events_transaction(ctx, finish, &f);
    free(text);
    return rc;
}

static const hv_job_kind kind = {.name = HV_RETENTION_VENDOR,
                                 .run = run,
                                 .max_attempts = 3,
                                 .backoff_ms = 5000,
                                 .launch = launch,
                                 .alone = true};

/* A project's deletion took its policy (the rows cascade): its schedule goes too. */
static void on_project_deleted(hv_ctx *ctx, const char *type, const char *payload, void *arg) {
    (void)type;
    (void)payload;
    (void)arg;
    if (hv_model_retention_prune_schedules(ctx, HV_RETENTION_VENDOR) != HV_OK) {
        hv_log(HV_LOG_ERROR, "retention: removing the schedules of deleted policies: %s",
               ctx->err.message);
        hv_error_clear(ctx);
    }
}

void hv_retention_init(void) {
    hv_jobs_register(&kind);
    hv_events_subscribe("project.deleted", on_project_deleted, NULL);
}

/* ---------------------------------------------------------------- executions */

hv_err hv_retention_run(int64_t *out_id, hv_ctx *ctx, const hv_retention_policy *pol, bool dry_run,
                        const char *operator) {
    run_params p = {.dry_run = dry_run, .operator= operator};
    char *text = params_text(&p);
    hv_err rc = hv_jobs_execution_start(out_id, ctx, HV_RETENTION_VENDOR, pol->id, "MANUAL",
                                        HV_RETENTION_VENDOR, text);

    free(text);
    if (rc == HV_E_CONFLICT)
        rc = HV_FAIL(ctx, rc,
                     "retention policy %lld is already running; stop its execution or wait "
                     "until it ends",
                     (long long)pol->id);
    return rc;
}

hv_err hv_retention_executions(hv_execution **out, size_t *n, int64_t *total, hv_ctx *ctx,
                               int64_t policy_id, const hv_list *list) {
    hv_query_term *terms = hv_arena_alloc(ctx->arena, (list->n_terms + 1) * sizeof(*terms));
    const char **id = hv_arena_alloc(ctx->arena, sizeof(*id));
    hv_list mine = *list;

    *id = hv_arena_printf(ctx->arena, "%lld", (long long)policy_id);
    for (size_t i = 0; i < list->n_terms; i++)
        terms[i] = list->terms[i];
    terms[list->n_terms] =
        (hv_query_term){.key = "vendor_id", .op = HV_Q_EXACT, .values = id, .n_values = 1};
    mine.terms = terms;
    mine.n_terms = list->n_terms + 1;
    return hv_jobs_execution_list(out, n, total, ctx, HV_RETENTION_VENDOR, &mine);
}

hv_err hv_retention_execution_get(hv_execution *out, hv_ctx *ctx, int64_t policy_id,
                                  int64_t execution_id) {
    hv_err rc = hv_jobs_execution_get(out, ctx, execution_id, HV_RETENTION_VENDOR);

    if (rc == HV_OK && out->vendor_id != policy_id)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "execution %lld of retention policy %lld not found",
                     (long long)execution_id, (long long)policy_id);
    return rc;
}

hv_err hv_retention_execution_stop(hv_ctx *ctx, int64_t policy_id, int64_t execution_id) {
    hv_execution x;
    hv_err rc = hv_retention_execution_get(&x, ctx, policy_id, execution_id);

    return rc ? rc : hv_jobs_execution_stop(ctx, execution_id, HV_RETENTION_VENDOR);
}

hv_err hv_retention_tasks(hv_retention_task **out, size_t *n, int64_t *total, hv_ctx *ctx,
                          int64_t policy_id, int64_t execution_id, const hv_list *list) {
    hv_execution x;
    hv_err rc = hv_retention_execution_get(&x, ctx, policy_id, execution_id);

    return rc ? rc : hv_model_retention_task_list(out, n, total, ctx, execution_id, list);
}

hv_err hv_retention_task_log(const char **out, hv_ctx *ctx, int64_t policy_id, int64_t execution_id,
                             int64_t task_id) {
    hv_retention_task task;
    hv_execution x;
    hv_err rc = hv_retention_execution_get(&x, ctx, policy_id, execution_id);

    if (rc == HV_OK)
        rc = hv_model_retention_task_get(&task, ctx, execution_id, task_id);
    return rc ? rc : hv_jobs_job_log(out, ctx, task_id);
}
