/*
 * Immutable tag rules of a project, with Harbor's rules for them: action "immutable",
 * template "immutable_template", no params, one doublestar tag selector (matches|excludes)
 * and one doublestar repository selector (repoMatches|repoExcludes), each pattern valid and
 * bounded.  A rule is stored normalised: compact JSON with sorted keys of everything but id,
 * priority and disabled, params always {} (no immutable template takes any) and extras
 * always a string, so that the same rule twice in a project is caught by the model's unique
 * index (409).  A project holds at most 15 rules (400), as in Harbor.  Matching the stored
 * rules against tags is immutable.c's.
 */
#include "db/db.h"
#include "events/events.h"
#include "registry/registry_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define RULES_MAX 15
/* Bounds that keep a stored rule well under PostgreSQL's limit on an index entry (the rule
 * text is in a unique index); repository names are at most 255 characters, tags 128. */
#define PATTERN_MAX 512
#define EXTRAS_MAX  256

#define TAG_FIELD        "tag_selectors"
#define REPOSITORY_FIELD "scope_selectors.repository"

/* ---------------------------------------------------------------- validation */

/* A field that may only have one value (NULL: that value). */
static hv_err check_fixed(hv_ctx *ctx, const char *given, const char *field, const char *value) {
    if (given && strcmp(given, value) != 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s must be \"%s\"", field, value);
    return HV_OK;
}

/* Checks one selector and builds its stored form (*out, caller decrefs).  `field` names it
 * in errors. */
static hv_err build_selector(json_t **out, hv_ctx *ctx, const hv_registry_immutable_selector *s,
                             const char *field, const char *matches, const char *excludes) {
    const char *why;

    if (!s->kind || strcmp(s->kind, "doublestar") != 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s[0].kind must be \"doublestar\"", field);
    if (!s->decoration ||
        (strcmp(s->decoration, matches) != 0 && strcmp(s->decoration, excludes) != 0))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s[0].decoration must be \"%s\" or \"%s\"", field,
                       matches, excludes);
    if (!s->pattern)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "%s[0].pattern is required: a doublestar pattern such as \"**\"", field);
    if (strlen(s->pattern) > PATTERN_MAX)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s[0].pattern is longer than %d characters", field,
                       PATTERN_MAX);
    if (!hv_glob_valid(s->pattern, strlen(s->pattern), &why))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s[0].pattern \"%.200s\" is invalid: %s", field,
                       s->pattern, why);
    if (s->extras && strlen(s->extras) > EXTRAS_MAX)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s[0].extras is longer than %d characters", field,
                       EXTRAS_MAX);
    *out = json_pack("[{s:s, s:s, s:s, s:s}]", "kind", s->kind, "decoration", s->decoration,
                     "pattern", s->pattern, "extras", s->extras ? s->extras : "");
    return HV_OK;
}

/* Checks action, template and the two selectors, and sets *text to the stored form
 * (ctx->arena). */
static hv_err build_rule(const char **text, hv_ctx *ctx, const char *action, const char *template,
                         const hv_registry_immutable_selector *tag,
                         const hv_registry_immutable_selector *repository) {
    json_t *tags = NULL, *repos = NULL, *rule;
    char *s;
    hv_err rc = check_fixed(ctx, action, "action", "immutable");

    if (rc == HV_OK)
        rc = check_fixed(ctx, template, "template", "immutable_template");
    if (rc == HV_OK)
        rc = build_selector(&tags, ctx, tag, TAG_FIELD, "matches", "excludes");
    if (rc == HV_OK)
        rc = build_selector(&repos, ctx, repository, REPOSITORY_FIELD, "repoMatches",
                            "repoExcludes");
    if (rc) {
        json_decref(tags);
        return rc;
    }
    rule = json_pack("{s:s, s:s, s:{}, s:o, s:{s:o}}", "action", "immutable", "template",
                     "immutable_template", "params", "tag_selectors", tags, "scope_selectors",
                     "repository", repos);
    s = json_dumps(rule, JSON_COMPACT | JSON_SORT_KEYS);
    *text = hv_arena_strdup(ctx->arena, s);
    free(s);
    json_decref(rule);
    return HV_OK;
}

/* The first selector of a stored selector list (strings borrowed from array). */
static hv_registry_immutable_selector stored_selector(json_t *array) {
    json_t *s = json_array_get(array, 0);

    return (hv_registry_immutable_selector){
        .kind = json_string_value(json_object_get(s, "kind")),
        .decoration = json_string_value(json_object_get(s, "decoration")),
        .pattern = json_string_value(json_object_get(s, "pattern")),
        .extras = json_string_value(json_object_get(s, "extras")),
    };
}

/* ---------------------------------------------------------------- rules */

hv_err hv_registry_immutable_rule_list(hv_immutable_rule **out, size_t *n, int64_t *total,
                                       hv_ctx *ctx, int64_t project_id, const hv_list *list) {
    return hv_model_immutable_list(out, n, total, ctx, project_id, list);
}

hv_err hv_registry_immutable_rule_get(hv_immutable_rule *out, hv_ctx *ctx, int64_t project_id,
                                      int64_t id) {
    return hv_model_immutable_get(out, ctx, project_id, id);
}

struct creation {
    const hv_immutable_rule *rule;
    int64_t id;
};

/* Counted in the transaction that inserts, so that two requests cannot both add the 15th. */
static hv_err create_in(hv_ctx *ctx, void *payload) {
    struct creation *c = payload;
    int64_t count;
    hv_err rc = hv_model_immutable_count(&count, ctx, c->rule->project_id);

    if (rc == HV_OK && count >= RULES_MAX)
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST,
                     "a project can have at most %d immutable tag rules; delete or change one",
                     RULES_MAX);
    if (rc == HV_OK)
        rc = hv_model_immutable_create(&c->id, ctx, c->rule);
    return rc;
}

hv_err hv_registry_immutable_rule_create(int64_t *out_id, hv_ctx *ctx, int64_t project_id,
                                         const hv_registry_immutable_rule_input *in) {
    hv_immutable_rule rule = {
        .project_id = project_id, .priority = in->priority, .disabled = in->disabled};
    struct creation c = {.rule = &rule};
    hv_err rc = build_rule(&rule.rule, ctx, in->action, in->template, &in->tag, &in->repository);

    if (rc == HV_OK)
        rc = hv_events_transaction(ctx, create_in, &c);
    if (rc == HV_OK)
        *out_id = c.id;
    return rc;
}

static hv_err update_in(hv_ctx *ctx, void *payload) {
    return hv_model_immutable_update(ctx, payload);
}

hv_err hv_registry_immutable_rule_update(hv_ctx *ctx, hv_immutable_rule *rule,
                                         const hv_registry_immutable_rule_input *in) {
    json_t *stored = json_loads(rule->rule, 0, NULL);
    hv_registry_immutable_selector tag = in->tag, repository = in->repository;
    const char *text;
    hv_err rc;

    /* what the request leaves out is the stored rule's, checked again with the rest */
    if (!in->set_tag)
        tag = stored_selector(json_object_get(stored, "tag_selectors"));
    if (!in->set_repository)
        repository = stored_selector(
            json_object_get(json_object_get(stored, "scope_selectors"), "repository"));
    rc = build_rule(&text, ctx, in->action, in->template, &tag, &repository);
    json_decref(stored);
    if (rc)
        return rc;
    rule->rule = text;
    if (in->set_priority)
        rule->priority = in->priority;
    if (in->set_disabled)
        rule->disabled = in->disabled;
    return hv_events_transaction(ctx, update_in, rule);
}

struct removal {
    int64_t project_id;
    int64_t id;
};

static hv_err delete_in(hv_ctx *ctx, void *payload) {
    const struct removal *d = payload;
    hv_immutable_rule rule;
    hv_err rc = hv_model_immutable_get(&rule, ctx, d->project_id, d->id);

    return rc ? rc : hv_model_immutable_delete(ctx, d->project_id, d->id);
}

hv_err hv_registry_immutable_rule_delete(hv_ctx *ctx, int64_t project_id, int64_t id) {
    struct removal d = {.project_id = project_id, .id = id};

    return hv_events_transaction(ctx, delete_in, &d);
}
