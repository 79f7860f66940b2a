/*
 * Evaluating a retention policy on one repository's artifacts, as Harbor's "or" algorithm
 * does (src/pkg/retention/policy/alg/or/processor.go, the rule evaluators and the doublestar
 * and label selectors):
 *
 *   - a rule applies when each of its repository selectors selects the repository name
 *     without the project (repoMatches: the pattern matches; repoExcludes: it does not);
 *   - its tag selectors narrow the candidates in turn.  doublestar "matches" keeps a tagged
 *     artifact when any of its tags matches, "excludes" when any of its tags does not; an
 *     untagged artifact is kept when the selector's untagged flag is set (extras
 *     {"untagged": bool}; by default true for matches and false for excludes).  label
 *     "withLabels" keeps artifacts that carry every listed label, "withoutLabels" those that
 *     carry none;
 *   - the template keeps some of what is left: the K most recently pushed (pulled; active:
 *     the later of the two), those pushed (pulled) within the last N days, or all;
 *   - the union of what the applicable rules keep is retained, the rest deleted, immutable
 *     artifacts excepted.
 * Ties in the "most recent" orders are broken by digest, so a dry run and the real run that
 * follows choose the same artifacts.
 */
#include "retention/retention.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (24LL * 3600 * 1000)

static const char *str(json_t *o, const char *key) {
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

static bool glob_selects(const char *pattern, const char *name) {
    return !*pattern || hv_glob_matchz(pattern, name);
}

/* ---------------------------------------------------------------- repositories */

static bool repository_selected(json_t *rule, const char *repository) {
    json_t *selectors = json_object_get(json_object_get(rule, "scope_selectors"), "repository");
    json_t *s;
    size_t i;

    if (json_array_size(selectors) == 0)
        return false;
    json_array_foreach(selectors, i, s) {
        bool matched = glob_selects(str(s, "pattern"), repository);

        if (matched != (strcmp(str(s, "decoration"), "repoExcludes") != 0))
            return false;
    }
    return true;
}

static bool rule_enabled(json_t *rule) {
    return !json_is_true(json_object_get(rule, "disabled"));
}

bool hv_retention_applies(const char *policy, const char *repository) {
    json_t *root = json_loads(policy, 0, NULL), *rule;
    bool applies = false;
    size_t i;

    json_array_foreach(json_object_get(root, "rules"), i, rule) {
        if (rule_enabled(rule) && repository_selected(rule, repository))
            applies = true;
    }
    json_decref(root);
    return applies;
}

/* ---------------------------------------------------------------- tag selectors */

static bool untagged_flag(json_t *s, bool excludes) {
    json_t *extras = json_loads(str(s, "extras"), 0, NULL);
    json_t *flag = json_object_get(extras, "untagged");
    bool untagged = json_is_boolean(flag) ? json_is_true(flag) : !excludes;

    json_decref(extras);
    return untagged;
}

static bool doublestar_selects(json_t *s, const hv_retention_candidate *c) {
    bool excludes = strcmp(str(s, "decoration"), "excludes") == 0;
    const char *pattern = str(s, "pattern");

    if (c->n_tags == 0)
        return untagged_flag(s, excludes);
    for (size_t i = 0; i < c->n_tags; i++)
        if (glob_selects(pattern, c->tags[i]) != excludes)
            return true;
    return false;
}

static bool has_label(const hv_retention_candidate *c, const char *name, size_t len) {
    for (size_t i = 0; i < c->n_labels; i++)
        if (strlen(c->labels[i]) == len && strncmp(c->labels[i], name, len) == 0)
            return true;
    return false;
}

static bool label_selects(json_t *s, const hv_retention_candidate *c) {
    bool with = strcmp(str(s, "decoration"), "withLabels") == 0;
    const char *p = str(s, "pattern");

    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        while (len > 0 && *p == ' ')
            p++, len--;
        while (len > 0 && p[len - 1] == ' ')
            len--;
        if (len > 0 && has_label(c, p, len) != with)
            return false;
        p = end ? end + 1 : p + len;
        if (!end)
            break;
    }
    return true;
}

static bool tag_selected(json_t *rule, const hv_retention_candidate *c) {
    json_t *s;
    size_t i;

    json_array_foreach(json_object_get(rule, "tag_selectors"), i, s) {
        bool label = strcmp(str(s, "kind"), "label") == 0;

        if (!(label ? label_selects(s, c) : doublestar_selects(s, c)))
            return false;
    }
    return true;
}

/* ---------------------------------------------------------------- templates */

typedef struct ranked {
    const hv_retention_candidate *c;
    size_t index;
    int64_t time;
} ranked;

static int by_time_desc(const void *a, const void *b) {
    const ranked *x = a, *y = b;

    if (x->time != y->time)
        return x->time > y->time ? -1 : 1;
    return strcmp(x->c->digest, y->c->digest);
}

static int64_t active_time(const hv_retention_candidate *c) {
    return c->pull_time > c->push_time ? c->pull_time : c->push_time;
}

/* Marks keep[i] for the candidates (of `selected`, n_selected of them) that the rule's
 * template keeps. */
static void apply_template(bool *keep, json_t *rule, const hv_retention_candidate *candidates,
                           const size_t *selected, size_t n_selected, int64_t now_ms,
                           ranked *scratch) {
    const char *t = str(rule, "template");
    json_int_t param = json_integer_value(json_object_get(json_object_get(rule, "params"), t));
    bool latest_pushed = strcmp(t, "latestPushedK") == 0;
    bool latest_pulled = strcmp(t, "latestPulledN") == 0;
    bool latest_active = strcmp(t, "latestActiveK") == 0;

    if (latest_pushed || latest_pulled || latest_active) {
        for (size_t k = 0; k < n_selected; k++) {
            const hv_retention_candidate *c = &candidates[selected[k]];

            scratch[k] = (ranked){c, selected[k],
                                  latest_pushed   ? c->push_time
                                  : latest_pulled ? c->pull_time
                                                  : active_time(c)};
        }
        qsort(scratch, n_selected, sizeof(*scratch), by_time_desc);
        for (size_t k = 0; k < n_selected && (json_int_t)k < param; k++)
            keep[scratch[k].index] = true;
        return;
    }
    for (size_t k = 0; k < n_selected; k++) {
        const hv_retention_candidate *c = &candidates[selected[k]];
        int64_t since = now_ms - (int64_t)param * DAY_MS;
        bool kept;

        if (strcmp(t, "nDaysSinceLastPush") == 0 || strcmp(t, "lastXDays") == 0)
            kept = c->push_time >= since;
        else if (strcmp(t, "nDaysSinceLastPull") == 0)
            kept = c->pull_time > 0 && c->pull_time >= since;
        else
            kept = strcmp(t, "always") == 0;
        if (kept)
            keep[selected[k]] = true;
    }
}

hv_err hv_retention_evaluate(hv_retention_verdict *verdicts, hv_ctx *ctx, const char *policy,
                             const char *repository, const hv_retention_candidate *candidates,
                             size_t n, int64_t now_ms) {
    json_t *root = json_loads(policy, 0, NULL), *rule;
    size_t *selected = hv_arena_alloc(ctx->arena, (n ? n : 1) * sizeof(*selected));
    ranked *scratch = hv_arena_alloc(ctx->arena, (n ? n : 1) * sizeof(*scratch));
    bool *keep = hv_arena_alloc(ctx->arena, (n ? n : 1) * sizeof(*keep));
    bool applies = false;
    size_t i;

    if (!json_is_array(json_object_get(root, "rules"))) {
        json_decref(root);
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "not a retention policy");
    }
    memset(keep, 0, (n ? n : 1) * sizeof(*keep));
    json_array_foreach(json_object_get(root, "rules"), i, rule) {
        size_t n_selected = 0;

        if (!rule_enabled(rule) || !repository_selected(rule, repository))
            continue;
        applies = true;
        for (size_t k = 0; k < n; k++)
            if (tag_selected(rule, &candidates[k]))
                selected[n_selected++] = k;
        apply_template(keep, rule, candidates, selected, n_selected, now_ms, scratch);
    }
    json_decref(root);
    for (size_t k = 0; k < n; k++)
        verdicts[k] = !applies                  ? HV_RETENTION_UNTOUCHED
                      : keep[k]                 ? HV_RETENTION_RETAIN
                      : candidates[k].immutable ? HV_RETENTION_IMMUTABLE
                                                : HV_RETENTION_DELETE;
    return HV_OK;
}
