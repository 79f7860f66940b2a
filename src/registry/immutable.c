/*
 * Immutable tags, with Harbor's semantics (src/pkg/immutable/match/rule/match.go and the
 * doublestar selector): a tag is immutable when an enabled rule of its project matches both
 * the repository and the tag.  A rule matches when
 *   - its first repository selector selects the repository name WITHOUT the project
 *     ("library/a/b" is tested as "a/b"): repoMatches when the pattern matches, repoExcludes
 *     when it does not; and
 *   - its first tag selector selects the tag: matches when the pattern matches, excludes
 *     when it does not.
 * An empty pattern matches everything.  A stored rule that cannot be read (the API never
 * writes one) matches nothing, and says so in the log.
 *
 * The rules are parsed once per check (hv_registry__immutable) or once for many tags
 * (hv_registry__immutable_load, then hv_registry__immutable_match).
 */
#include "registry/registry_int.h"

#include <jansson.h>
#include <string.h>

typedef struct selector {
    bool excludes; /* repoExcludes / excludes */
    const char *pattern;
} selector;

typedef struct rule {
    selector repository;
    selector tag;
} rule;

struct hv_registry__immutable_rules {
    rule *rules;
    size_t n;
};

/* Reads the first selector of an array: kind doublestar and one of the two decorations. */
static bool read_selector(selector *out, hv_ctx *ctx, json_t *array, const char *matches,
                          const char *excludes) {
    json_t *s = json_array_get(array, 0);
    const char *kind = json_string_value(json_object_get(s, "kind"));
    const char *decoration = json_string_value(json_object_get(s, "decoration"));
    const char *pattern = json_string_value(json_object_get(s, "pattern"));

    if (!kind || strcmp(kind, "doublestar") != 0 || !decoration)
        return false;
    if (strcmp(decoration, matches) == 0)
        out->excludes = false;
    else if (strcmp(decoration, excludes) == 0)
        out->excludes = true;
    else
        return false;
    out->pattern = hv_arena_strdup(ctx->arena, pattern ? pattern : "");
    return true;
}

static bool parse_rule(rule *out, hv_ctx *ctx, const char *text) {
    json_t *root = json_loads(text, 0, NULL);
    json_t *scope = json_object_get(json_object_get(root, "scope_selectors"), "repository");
    bool ok = read_selector(&out->repository, ctx, scope, "repoMatches", "repoExcludes") &&
              read_selector(&out->tag, ctx, json_object_get(root, "tag_selectors"), "matches",
                            "excludes");

    json_decref(root);
    return ok;
}

hv_err hv_registry__immutable_load(hv_registry__immutable_rules **out, hv_ctx *ctx,
                                   int64_t project_id) {
    hv_registry__immutable_rules *r = hv_arena_alloc(ctx->arena, sizeof(*r));
    const char **texts;
    size_t n;
    hv_err rc = hv_model_immutable_rules(&texts, &n, ctx, project_id);

    if (rc)
        return rc;
    r->rules = hv_arena_alloc(ctx->arena, (n ? n : 1) * sizeof(*r->rules));
    for (size_t i = 0; i < n; i++) {
        if (parse_rule(&r->rules[r->n], ctx, texts[i]))
            r->n++;
        else
            hv_log(HV_LOG_WARN, "immutable tag rule of project %lld cannot be read; ignored: %s",
                   (long long)project_id, texts[i]);
    }
    *out = r;
    return HV_OK;
}

static bool selects(const selector *s, const char *name) {
    bool matched = !*s->pattern || hv_glob_matchz(s->pattern, name);

    return matched != s->excludes;
}

bool hv_registry__immutable_match(const hv_registry__immutable_rules *rules, const char *repository,
                                  const char *tag) {
    const char *slash = strchr(repository, '/');
    const char *short_name = slash ? slash + 1 : repository;

    for (size_t i = 0; i < rules->n; i++) {
        if (selects(&rules->rules[i].repository, short_name) && selects(&rules->rules[i].tag, tag))
            return true;
    }
    return false;
}

hv_err hv_registry__immutable(bool *immutable, hv_ctx *ctx, const hv_target *t, const char *tag) {
    hv_registry__immutable_rules *rules;
    hv_err rc = hv_registry__immutable_load(&rules, ctx, t->project.id);

    *immutable = rc == HV_OK && hv_registry__immutable_match(rules, t->name, tag);
    return rc;
}
