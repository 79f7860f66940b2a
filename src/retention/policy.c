/*
 * Retention policies: Harbor's validation of a RetentionPolicy (src/pkg/retention/policy/
 * models.go and rule/models.go, with the parameter bounds of the rule templates), the
 * normalised form that is stored, and the policy rows with the project's retention_id.
 *
 * Selectors: repository selectors are doublestar with repoMatches/repoExcludes; tag
 * selectors are doublestar with matches/excludes (extras may say {"untagged": bool}) or, as
 * Harbor's label selector, kind "label" with withLabels/withoutLabels and a pattern that
 * lists label names separated by commas.
 */
#include "events/events.h"
#include "retention/retention.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATTERN_MAX 512
#define EXTRAS_MAX  256

const hv_retention_template hv_retention_templates[] = {
    {"latestPushedK", "the most recently pushed # artifacts", "COUNT", 0, 32766},
    {"latestPulledN", "the most recently pulled # artifacts", "COUNT", 0, 32766},
    {"nDaysSinceLastPush", "pushed within the last # days", "DAYS", 0, 20190904},
    {"nDaysSinceLastPull", "pulled within the last # days", "DAYS", 0, 20190904},
    {"always", "always", NULL, 0, 0},
    /* registered in Harbor without being advertised by /retentions/metadatas */
    {"latestActiveK", NULL, "COUNT", 0, 32766},
    {"lastXDays", NULL, "DAYS", 0, 20190904},
    {NULL, NULL, NULL, 0, 0},
};

const hv_retention_template *hv_retention_template_find(const char *id) {
    for (const hv_retention_template *t = hv_retention_templates; id && t->id; t++)
        if (strcmp(t->id, id) == 0)
            return t;
    return NULL;
}

/* ---------------------------------------------------------------- checking */

static const char *str(json_t *o, const char *key) {
    return json_string_value(json_object_get(o, key));
}

/* One selector, checked and completed (*out: a new object).  field names it in errors;
 * decorations: the two (or, for tags, four) it may have. */
static hv_err check_selector(json_t **out, hv_ctx *ctx, json_t *s, const char *field, bool tag) {
    const char *kind = str(s, "kind"), *decoration = str(s, "decoration");
    const char *pattern = str(s, "pattern"), *extras = "", *why;
    json_t *e = json_object_get(s, "extras");
    bool label = tag && kind && strcmp(kind, "label") == 0;

    if (!json_is_object(s))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s must be a selector object", field);
    if (!kind || (strcmp(kind, "doublestar") != 0 && !label))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s.kind must be \"doublestar\"%s", field,
                       tag ? " or \"label\"" : "");
    if (!decoration ||
        (label ? strcmp(decoration, "withLabels") != 0 && strcmp(decoration, "withoutLabels") != 0
         : tag ? strcmp(decoration, "matches") != 0 && strcmp(decoration, "excludes") != 0
               : strcmp(decoration, "repoMatches") != 0 && strcmp(decoration, "repoExcludes") != 0))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s.decoration must be %s", field,
                       label ? "\"withLabels\" or \"withoutLabels\""
                       : tag ? "\"matches\" or \"excludes\""
                             : "\"repoMatches\" or \"repoExcludes\"");
    if (!pattern)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s.pattern is required (\"**\" selects all)", field);
    if (strlen(pattern) > PATTERN_MAX)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s.pattern is longer than %d characters", field,
                       PATTERN_MAX);
    if (!label && !hv_glob_valid(pattern, strlen(pattern), &why))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s.pattern \"%.200s\" is invalid: %s", field,
                       pattern, why);
    if (e && !json_is_null(e)) {
        json_t *parsed, *untagged;

        if (!json_is_string(e))
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s.extras must be a string", field);
        extras = json_string_value(e);
        if (strlen(extras) > EXTRAS_MAX)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s.extras is longer than %d characters", field,
                           EXTRAS_MAX);
        parsed = *extras ? json_loads(extras, 0, NULL) : NULL;
        untagged = json_object_get(parsed, "untagged");
        if (*extras && (!json_is_object(parsed) || (untagged && !json_is_boolean(untagged)))) {
            json_decref(parsed);
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "%s.extras must be a JSON object such as {\"untagged\":true}", field);
        }
        json_decref(parsed);
    }
    *out = json_pack("{s:s, s:s, s:s, s:s}", "kind", kind, "decoration", decoration, "pattern",
                     pattern, "extras", extras);
    return HV_OK;
}

/* A non-empty list of selectors, checked into *out (a new array). */
static hv_err check_selectors(json_t **out, hv_ctx *ctx, json_t *list, const char *field,
                              bool tag) {
    size_t i;
    json_t *s;

    if (!json_is_array(list) || json_array_size(list) == 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s must be a non-empty list of selectors", field);
    *out = json_array();
    json_array_foreach(list, i, s) {
        json_t *checked = NULL;
        char *name = hv_arena_printf(ctx->arena, "%s[%zu]", field, i);
        hv_err rc = check_selector(&checked, ctx, s, name, tag);

        if (rc) {
            json_decref(*out);
            *out = NULL;
            return rc;
        }
        json_array_append_new(*out, checked);
    }
    return HV_OK;
}

/* The integer value of a parameter: a JSON integer, or a number without a fraction (as a
 * JavaScript client sends it). */
static bool integer_param(json_t *v, int64_t *out) {
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);

        if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d) {
            *out = (int64_t)d;
            return true;
        }
    }
    return false;
}

static hv_err check_params(json_t **out, hv_ctx *ctx, json_t *params, const char *field,
                           const hv_retention_template *t) {
    json_t *v = json_object_get(params, t->id);
    int64_t value;

    if (params && !json_is_null(params) && !json_is_object(params))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s.params must be an object", field);
    *out = json_object();
    if (!t->unit)
        return HV_OK;
    if (!integer_param(v, &value) || value < t->min || value > t->max) {
        json_decref(*out);
        *out = NULL;
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "%s.params.%s must be an integer from %lld to %lld (template %s)", field,
                       t->id, (long long)t->min, (long long)t->max, t->id);
    }
    json_object_set_new(*out, t->id, json_integer(value));
    return HV_OK;
}

/* One rule, checked into *out (a new object). */
static hv_err check_rule(json_t **out, hv_ctx *ctx, json_t *rule, size_t i) {
    const char *field = hv_arena_printf(ctx->arena, "rules[%zu]", i);
    const char *action = str(rule, "action"), *template = str(rule, "template");
    const hv_retention_template *t = hv_retention_template_find(template);
    json_t *id = json_object_get(rule, "id"), *priority = json_object_get(rule, "priority");
    json_t *disabled = json_object_get(rule, "disabled");
    json_t *params = NULL, *tags = NULL, *repos = NULL;
    hv_err rc;

    if (!json_is_object(rule))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s must be a rule object", field);
    if ((id && !json_is_null(id) && !json_is_integer(id)) ||
        (priority && !json_is_null(priority) && !json_is_integer(priority)))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s.id and .priority must be integers", field);
    if (disabled && !json_is_null(disabled) && !json_is_boolean(disabled))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s.disabled must be true or false", field);
    if (!action || strcmp(action, "retain") != 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s.action must be \"retain\"", field);
    if (!t)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "%s.template must be one of latestPushedK, latestPulledN, "
                       "nDaysSinceLastPush, nDaysSinceLastPull, always (see "
                       "/retentions/metadatas)",
                       field);
    rc = check_params(&params, ctx, json_object_get(rule, "params"), field, t);
    if (rc == HV_OK)
        rc = check_selectors(&tags, ctx, json_object_get(rule, "tag_selectors"),
                             hv_arena_printf(ctx->arena, "%s.tag_selectors", field), true);
    if (rc == HV_OK)
        rc = check_selectors(
            &repos, ctx, json_object_get(json_object_get(rule, "scope_selectors"), "repository"),
            hv_arena_printf(ctx->arena, "%s.scope_selectors.repository", field), false);
    if (rc) {
        json_decref(params);
        json_decref(tags);
        return rc;
    }
    *out = json_pack("{s:I, s:I, s:b, s:s, s:s, s:o, s:o, s:{s:o}}", "id",
                     (json_int_t)json_integer_value(id), "priority",
                     (json_int_t)json_integer_value(priority), "disabled", json_is_true(disabled),
                     "action", "retain", "template", t->id, "params", params, "tag_selectors", tags,
                     "scope_selectors", "repository", repos);
    return HV_OK;
}

/* Two rules that differ only in their id are one rule twice. */
static bool same_rule(json_t *a, json_t *b) {
    json_t *ca = json_deep_copy(a), *cb = json_deep_copy(b);
    bool same;

    json_object_del(ca, "id");
    json_object_del(cb, "id");
    same = json_equal(ca, cb);
    json_decref(ca);
    json_decref(cb);
    return same;
}

static hv_err check_rules(json_t **out, hv_ctx *ctx, json_t *rules) {
    size_t i;
    json_t *rule;

    if (rules && !json_is_null(rules) && !json_is_array(rules))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "rules must be a list");
    if (json_array_size(rules) > HV_RETENTION_RULES_MAX)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "a retention policy has at most %d rules",
                       HV_RETENTION_RULES_MAX);
    *out = json_array();
    json_array_foreach(rules, i, rule) {
        json_t *checked = NULL;
        hv_err rc = check_rule(&checked, ctx, rule, i);

        for (size_t j = 0; rc == HV_OK && j < i; j++)
            if (same_rule(checked, json_array_get(*out, j))) {
                json_decref(checked);
                rc =
                    HV_FAIL(ctx, HV_E_CONFLICT, "rule %zu is conflict with rule %zu", i + 1, j + 1);
            }
        if (rc) {
            json_decref(*out);
            *out = NULL;
            return rc;
        }
        json_array_append_new(*out, checked);
    }
    return HV_OK;
}

static hv_err check_trigger(json_t **out, hv_ctx *ctx, json_t *trigger) {
    const char *kind = str(trigger, "kind");
    json_t *settings = json_object_get(trigger, "settings");
    json_t *cron = json_object_get(settings, "cron");

    if (!json_is_object(trigger))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "trigger is required: {\"kind\": \"Schedule\", \"settings\": {\"cron\": "
                       "\"\"}}");
    if (!kind || strcmp(kind, "Schedule") != 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "trigger.kind must be \"Schedule\"");
    if (!json_is_string(cron))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "trigger.settings.cron is required (\"\": no schedule)");
    *out = json_pack("{s:s, s:{s:s}, s:{}}", "kind", "Schedule", "settings", "cron",
                     json_string_value(cron), "references");
    return HV_OK;
}

hv_err hv_retention_policy_check(const char **text, int64_t *project_id, hv_ctx *ctx,
                                 json_t *root) {
    json_t *scope, *ref, *rules = NULL, *trigger = NULL, *policy;
    const char *algorithm, *level;
    char *dumped;
    hv_err rc = HV_OK;

    if (!json_is_object(root))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "the body must be a RetentionPolicy JSON object");
    algorithm = str(root, "algorithm");
    scope = json_object_get(root, "scope");
    level = str(scope, "level");
    ref = json_object_get(scope, "ref");
    if (!algorithm || strcmp(algorithm, "or") != 0)
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "algorithm must be \"or\"");
    else if (!level || strcmp(level, "project") != 0)
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "scope.level must be \"project\"");
    else if (!json_is_integer(ref) || json_integer_value(ref) <= 0)
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "scope.ref must be the id of the project");
    if (rc == HV_OK)
        rc = check_rules(&rules, ctx, json_object_get(root, "rules"));
    if (rc == HV_OK)
        rc = check_trigger(&trigger, ctx, json_object_get(root, "trigger"));
    if (rc) {
        json_decref(rules);
        return rc;
    }
    *project_id = json_integer_value(ref);
    policy =
        json_pack("{s:s, s:o, s:o, s:{s:s, s:I}}", "algorithm", "or", "rules", rules, "trigger",
                  trigger, "scope", "level", "project", "ref", (json_int_t)*project_id);
    dumped = json_dumps(policy, JSON_COMPACT | JSON_SORT_KEYS);
    *text = hv_arena_strdup(ctx->arena, dumped);
    free(dumped);
    json_decref(policy);
    return HV_OK;
}

/* ---------------------------------------------------------------- rows */

struct change {
    int64_t id;
    int64_t project_id;
    const char *text;
};

static hv_err create_in(hv_ctx *ctx, void *payload) {
    struct change *c = payload;
    char id[24];
    hv_err rc = hv_model_retention_create(&c->id, ctx, c->project_id, c->text);

    if (rc == HV_E_CONFLICT) {
        hv_error_clear(ctx);
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "project %lld already has a retention policy: update or delete that one",
                       (long long)c->project_id);
    }
    snprintf(id, sizeof(id), "%lld", (long long)c->id);
    return rc ? rc : hv_model_project_set_metadata(ctx, c->project_id, "retention_id", id);
}

hv_err hv_retention_policy_create(int64_t *out_id, hv_ctx *ctx, int64_t project_id,
                                  const char *text) {
    struct change c = {.project_id = project_id, .text = text};
    hv_err rc = hv_events_transaction(ctx, create_in, &c);

    if (rc == HV_OK)
        *out_id = c.id;
    return rc;
}

hv_err hv_retention_policy_get(hv_retention_policy *out, hv_ctx *ctx, int64_t id) {
    return hv_model_retention_get(out, ctx, id);
}

static hv_err update_in(hv_ctx *ctx, void *payload) {
    struct change *c = payload;

    return hv_model_retention_update(ctx, c->id, c->text);
}

hv_err hv_retention_policy_update(hv_ctx *ctx, const hv_retention_policy *p, const char *text,
                                  int64_t project_id) {
    struct change c = {.id = p->id, .project_id = p->project_id, .text = text};

    if (project_id != p->project_id)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "scope.ref must stay %lld: a policy cannot move to another project",
                       (long long)p->project_id);
    return hv_events_transaction(ctx, update_in, &c);
}

static hv_err delete_in(hv_ctx *ctx, void *payload) {
    struct change *c = payload;
    hv_err rc = hv_model_retention_delete(ctx, c->id);

    if (rc)
        return rc;
    rc = hv_model_project_delete_metadata(ctx, c->project_id, "retention_id");
    if (rc == HV_E_NOT_FOUND) { /* the project's retention_id had gone already */
        hv_error_clear(ctx);
        rc = HV_OK;
    }
    return rc;
}

hv_err hv_retention_policy_delete(hv_ctx *ctx, const hv_retention_policy *p) {
    struct change c = {.id = p->id, .project_id = p->project_id};

    return hv_events_transaction(ctx, delete_in, &c);
}
