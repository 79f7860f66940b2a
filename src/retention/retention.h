/*
 * retention — Harbor's tag retention: a project's policy (which artifacts to keep) and the
 * evaluation that says, of a repository's artifacts, which a run keeps and which it
 * deletes.  Shapes and rules: shared/reference/harbor-api.md §7.
 *
 * A policy is Harbor's RetentionPolicy {algorithm "or", rules [≤ 15], trigger {kind
 * "Schedule", settings {cron}}, scope {level "project", ref <project id>}}.  It is stored
 * normalised (compact JSON, keys sorted, every selector complete), one per project; the
 * project's metadata retention_id names it.
 *
 * Evaluation (Harbor's "or" algorithm): a rule applies to a repository its repository
 * selectors select; its tag selectors then narrow the repository's artifacts one after the
 * other, and its template keeps some of what is left.  An artifact is retained when any
 * applicable rule keeps it; every other artifact of a repository that some rule applies to
 * is deleted, except immutable ones, which are reported and kept.
 */
#ifndef HV_RETENTION_H
#define HV_RETENTION_H

#include "base/base.h"
#include "model/model.h"

#include <jansson.h>

#define HV_RETENTION_RULES_MAX 15

/* The executions' vendor_type and the job type; the event a task publishes at its end. */
#define HV_RETENTION_VENDOR "RETENTION"
#define HV_RETENTION_EVENT  "TAG_RETENTION"

/* ---------------------------------------------------------------- policies */

/* A rule template: its id (also the key of its parameter), what /retentions/metadatas says
 * of it (NULL: not advertised, as Harbor registers latestActiveK and lastXDays without
 * showing them), the unit of its parameter ("COUNT", "DAYS"; NULL: it takes none) and the
 * parameter's bounds. */
typedef struct hv_retention_template {
    const char *id;
    const char *display_text;
    const char *unit;
    int64_t min, max;
} hv_retention_template;

/* Every template, ending with a zeroed entry. */
extern const hv_retention_template hv_retention_templates[];

/* The template called id, or NULL. */
const hv_retention_template *hv_retention_template_find(const char *id);

/* The policy rows are model's hv_retention_policy. */

/* Checks a RetentionPolicy body (trigger.settings.cron: "" or a cron hv_cron_parse takes) (without
 * its id, which the caller ignores) and sets *text to its normalised form (arena) and *project_id
 * to scope.ref.  HV_E_BAD_REQUEST naming the field that is wrong; HV_E_CONFLICT when two rules are
 * the same ("rule 2 is conflict with rule 1", as Harbor says).  Pure: it does not look the project
 * up. */
hv_err hv_retention_policy_check(const char **text, int64_t *project_id, hv_ctx *ctx, json_t *body);

/* Creates the policy of its project (scope.ref) from a checked text, sets the project's
 * metadata retention_id and its schedule (a Custom schedule of the jobs engine, vendor_id
 * the policy's id, when the cron is not ""), in one transaction.  HV_E_BAD_REQUEST when the project
 * has a policy already. */
hv_err hv_retention_policy_create(int64_t *out_id, hv_ctx *ctx, int64_t project_id,
                                  const char *text);
/* HV_E_NOT_FOUND when there is no such policy. */
hv_err hv_retention_policy_get(hv_retention_policy *out, hv_ctx *ctx, int64_t id);
/* Replaces the policy's text (checked, of project_id) and its schedule; HV_E_BAD_REQUEST
 * when project_id is not the policy's project. */
hv_err hv_retention_policy_update(hv_ctx *ctx, const hv_retention_policy *p, const char *text,
                                  int64_t project_id);
/* Deletes the policy, its schedule and its project's retention_id.  (A project's deletion
 * takes its policy with it; hv_retention_init's subscriber then removes the schedule.) */
hv_err hv_retention_policy_delete(hv_ctx *ctx, const hv_retention_policy *p);

/* ---------------------------------------------------------------- evaluation */

/* One artifact of the repository being evaluated. */
typedef struct hv_retention_candidate {
    const char *digest;
    const char *const *tags;
    size_t n_tags;
    const char *const *labels; /* label names */
    size_t n_labels;
    int64_t push_time, pull_time; /* ms since the epoch; pull_time 0: never pulled */
    bool immutable;               /* a tag of it is immutable: never deleted */
} hv_retention_candidate;

typedef enum hv_retention_verdict {
    HV_RETENTION_UNTOUCHED, /* no rule applies to the repository */
    HV_RETENTION_RETAIN,
    HV_RETENTION_DELETE,
    HV_RETENTION_IMMUTABLE, /* would be deleted, but is immutable: kept */
} hv_retention_verdict;

/*
 * Evaluates the normalised policy text on the candidates of one repository (repository:
 * its name without the project), at time now_ms: verdicts[i] is candidate i's.  Disabled
 * rules are skipped.  HV_E_BAD_REQUEST when the text is not a policy (a stored one always
 * is).  Pure.
 */
hv_err hv_retention_evaluate(hv_retention_verdict *verdicts, hv_ctx *ctx, const char *policy,
                             const char *repository, const hv_retention_candidate *candidates,
                             size_t n, int64_t now_ms);

/* Whether any enabled rule of the policy applies to the repository (name without the
 * project); false for text that is not a policy. */
bool hv_retention_applies(const char *policy, const char *repository);

/* ---------------------------------------------------------------- runs (run.c) */

/*
 * A run is an execution of vendor_type RETENTION (vendor_id the policy's id, extra_attrs
 * {dry_run, operator}) with one task per repository of the project that an enabled rule
 * applies to (none: Success at once).  A task evaluates the policy on the repository's
 * artifacts, logs each verdict (Harbor's table: RETAIN, DEL, IMMUTABLE) and deletes the DEL
 * ones through hv_registry_artifact_delete, unless dry_run; then it records its total and
 * retained counts and publishes HV_RETENTION_EVENT {operator, retention {total, retained,
 * project_name, retention_policy_id, execution_id, repository, retention_rule, result,
 * dry_run, deleted_artifact [{type, status, name_tag, references}]}} in one transaction.
 */

/* Registers the job kind and the project.deleted subscriber.  Before hv_jobs_start. */
void hv_retention_init(void);

/* Starts a run of the policy now (trigger MANUAL); operator: who asked.  HV_E_CONFLICT while
 * another run of it is Pending or Running (on any node). */
hv_err hv_retention_run(int64_t *out_id, hv_ctx *ctx, const hv_retention_policy *pol, bool dry_run,
                        const char *operator);
/* The runs of a policy (list: q, sort and paging as hv_jobs_execution_list). */
hv_err hv_retention_executions(hv_execution **out, size_t *n, int64_t *total, hv_ctx *ctx,
                               int64_t policy_id, const hv_list *list);
/* HV_E_NOT_FOUND when the execution is not a run of the policy (also for the three below). */
hv_err hv_retention_execution_get(hv_execution *out, hv_ctx *ctx, int64_t policy_id,
                                  int64_t execution_id);
hv_err hv_retention_execution_stop(hv_ctx *ctx, int64_t policy_id, int64_t execution_id);
hv_err hv_retention_tasks(hv_retention_task **out, size_t *n, int64_t *total, hv_ctx *ctx,
                          int64_t policy_id, int64_t execution_id, const hv_list *list);
/* The log of a task (HV_E_NOT_FOUND when it is not one of the execution). */
hv_err hv_retention_task_log(const char **out, hv_ctx *ctx, int64_t policy_id, int64_t execution_id,
                             int64_t task_id);

#endif
