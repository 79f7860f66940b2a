/*
 * /projects/{project_name_or_id}/immutabletagrules: Harbor's immutable tag rules.
 *
 * A rule is Harbor's ImmutableRule: {id, priority, disabled, action "immutable", template
 * "immutable_template", params, tag_selectors [one doublestar selector, matches|excludes],
 * scope_selectors {"repository": [one doublestar selector, repoMatches|repoExcludes]}}.
 * Bodies are checked field by field (a 400 names the field) and stored normalised: compact
 * JSON with sorted keys of everything but id, priority and disabled, params always {} (no
 * immutable template takes any).  The same selectors twice in a project are a 409; a
 * project holds at most 15 rules (400), as in Harbor.  Matching lives in the registry
 * (src/registry/immutable.c), which every push, tag move and deletion consults.
 *
 * Permissions: immutable-tag list/create/update/delete on the project (project admins and
 * maintainers).
 */
#include "api/api_int.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>

#define RULES_MAX 15
/* Bounds that keep a stored rule well under PostgreSQL's limit on an index entry (the rule
 * text is in a unique index); repository names are at most 255 characters, tags 128. */
#define PATTERN_MAX 512
#define EXTRAS_MAX  256

/* ---------------------------------------------------------------- lookups */

/* The project of the path, when the caller may do `action` on its immutable-tag rules.  An
 * anonymous caller is asked to log in rather than told whether the project exists. */
static hv_err load_project(hv_project *p, hv_req *r, const char *action) {
    hv_err rc = hv_api__project(p, r, r->params[0]);

    if (rc == HV_E_NOT_FOUND && r->who.kind == HV_ID_ANONYMOUS) {
        hv_error_clear(&r->ctx);
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    }
    return rc ? rc : hv_api__can(r, p, "immutable-tag", action);
}

/* The project and the rule of the path. */
static hv_err load_rule(hv_project *p, hv_immutable_rule *rule, hv_req *r, const char *action) {
    int64_t id;
    hv_err rc = load_project(p, r, action);

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[1], "immutable rule id");
    if (rc == HV_OK)
        rc = hv_model_immutable_get(rule, &r->ctx, p->id, id);
    return rc;
}

/* ---------------------------------------------------------------- JSON */

/* Harbor's ImmutableRule: the stored rule with id, priority and disabled. */
static json_t *rule_json(const hv_immutable_rule *rule) {
    json_t *stored = json_loads(rule->rule, 0, NULL);
    json_t *o = json_object();
    static const char *const keys[] = {"action", "template", "params", "tag_selectors",
                                       "scope_selectors"};

    json_object_set_new(o, "id", json_integer(rule->id));
    json_object_set_new(o, "priority", json_integer(rule->priority));
    json_object_set_new(o, "disabled", json_boolean(rule->disabled));
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(stored, keys[i]);
        json_object_set(o, keys[i], v ? v : json_null());
    }
    json_decref(stored);
    return o;
}

/* ---------------------------------------------------------------- validation */

/* Checks a string field that may only have one value (absent: that value). */
static hv_err fixed_value(json_t *out, hv_req *r, json_t *in, const char *field,
                          const char *value) {
    json_t *v = json_object_get(in, field);

    if (v && !json_is_null(v) && (!json_is_string(v) || strcmp(json_string_value(v), value) != 0))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s must be \"%s\"", field, value);
    json_object_set_new(out, field, json_string(value));
    return HV_OK;
}

/* One selector of a rule: {kind "doublestar", decoration one of two, pattern, extras}.
 * `field` names it in errors ("tag_selectors[0]"). */
static hv_err parse_selector(json_t **out, hv_req *r, json_t *array, const char *field,
                             const char *matches, const char *excludes) {
    json_t *s;
    const char *kind, *decoration, *pattern, *extras, *why;

    if (!json_is_array(array) || json_array_size(array) != 1 ||
        !json_is_object(json_array_get(array, 0)))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "%s must be a list of exactly one selector object {kind, decoration, "
                       "pattern}",
                       field);
    s = json_array_get(array, 0);
    kind = json_string_value(json_object_get(s, "kind"));
    decoration = json_string_value(json_object_get(s, "decoration"));
    pattern = json_string_value(json_object_get(s, "pattern"));
    extras = json_string_value(json_object_get(s, "extras"));
    if (!kind || strcmp(kind, "doublestar") != 0)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s[0].kind must be \"doublestar\"", field);
    if (!decoration || (strcmp(decoration, matches) != 0 && strcmp(decoration, excludes) != 0))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s[0].decoration must be \"%s\" or \"%s\"",
                       field, matches, excludes);
    if (!pattern)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "%s[0].pattern is required: a doublestar pattern such as \"**\"", field);
    if (strlen(pattern) > PATTERN_MAX)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s[0].pattern is longer than %d characters",
                       field, PATTERN_MAX);
    if (!hv_glob_valid(pattern, strlen(pattern), &why))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s[0].pattern \"%.200s\" is invalid: %s", field,
                       pattern, why);
    if (json_object_get(s, "extras") && !json_is_null(json_object_get(s, "extras")) && !extras)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s[0].extras must be a string", field);
    if (extras && strlen(extras) > EXTRAS_MAX)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s[0].extras is longer than %d characters",
                       field, EXTRAS_MAX);
    *out = json_pack("[{s:s, s:s, s:s, s:s}]", "kind", kind, "decoration", decoration, "pattern",
                     pattern, "extras", extras ? extras : "");
    return HV_OK;
}

/* Checks a rule body and builds its stored form (*out, caller decrefs). */
static hv_err parse_rule(json_t **out, hv_req *r, json_t *body) {
    json_t *rule = json_object();
    json_t *scope = json_object_get(body, "scope_selectors");
    json_t *params = json_object_get(body, "params");
    json_t *tags = NULL, *repos = NULL;
    const char *key;
    json_t *v;
    hv_err rc;

    *out = NULL;
    rc = fixed_value(rule, r, body, "action", "immutable");
    if (rc == HV_OK)
        rc = fixed_value(rule, r, body, "template", "immutable_template");
    if (rc)
        goto out;
    if (params && !json_is_null(params) && !json_is_object(params)) {
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "params must be an object");
        goto out;
    }
    json_object_set_new(rule, "params", json_object());
    rc = parse_selector(&tags, r, json_object_get(body, "tag_selectors"), "tag_selectors",
                        "matches", "excludes");
    if (rc)
        goto out;
    if (!json_is_object(scope)) {
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                     "scope_selectors must be an object {\"repository\": [selector]}");
        goto out;
    }
    json_object_foreach(scope, key, v) {
        if (strcmp(key, "repository") != 0) {
            rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                         "scope_selectors.%s is not supported: only repository", key);
            goto out;
        }
    }
    rc = parse_selector(&repos, r, json_object_get(scope, "repository"),
                        "scope_selectors.repository", "repoMatches", "repoExcludes");
    if (rc)
        goto out;
    json_object_set_new(rule, "tag_selectors", tags);
    json_object_set_new(rule, "scope_selectors", json_pack("{s:o}", "repository", repos));
    tags = repos = NULL;
    *out = rule;
    rule = NULL;
out:
    json_decref(tags);
    json_decref(repos);
    json_decref(rule);
    return rc;
}

/* The stored text of a parsed rule (arena). */
static const char *rule_text(hv_req *r, json_t *rule) {
    char *s = json_dumps(rule, JSON_COMPACT | JSON_SORT_KEYS);
    const char *out = hv_arena_strdup(r->ctx.arena, s);

    free(s);
    return out;
}

/* priority (an integer) and disabled (a boolean), when the body has them. */
static hv_err parse_flags(hv_immutable_rule *rule, hv_req *r, json_t *body) {
    hv_err rc = hv_api__int(&rule->priority, r, body, "priority");

    return rc ? rc : hv_api__bool(&rule->disabled, r, body, "disabled");
}

/* ---------------------------------------------------------------- handlers */

static hv_err list_rules(hv_req *r) {
    hv_project p;
    hv_list l;
    hv_immutable_rule *rules;
    size_t n;
    int64_t total;
    json_t *items;
    hv_err rc = load_project(&p, r, "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&l, r);
    if (rc == HV_OK)
        rc = hv_model_immutable_list(&rules, &n, &total, &r->ctx, p.id, &l);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, rule_json(&rules[i]));
    return hv_api__page(r, &l, total, items);
}

static hv_err create_rule(hv_req *r) {
    json_t *body = NULL, *parsed = NULL;
    hv_immutable_rule rule = {0};
    hv_project p;
    int64_t count, id;
    size_t plen;
    hv_err rc = load_project(&p, r, "create");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = parse_rule(&parsed, r, body);
    if (rc == HV_OK)
        rc = parse_flags(&rule, r, body);
    if (rc)
        goto out;
    rule.project_id = p.id;
    rule.rule = rule_text(r, parsed);

    rc = hv_db_begin(r->ctx.db, &r->ctx);
    if (rc)
        goto out;
    rc = hv_model_immutable_count(&count, &r->ctx, p.id);
    if (rc == HV_OK && count >= RULES_MAX)
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                     "a project can have at most %d immutable tag rules; delete or change one",
                     RULES_MAX);
    if (rc == HV_OK)
        rc = hv_model_immutable_create(&id, &r->ctx, &rule);
    if (rc) {
        hv_db_rollback(r->ctx.db);
        goto out;
    }
    rc = hv_db_commit(r->ctx.db, &r->ctx);
    if (rc)
        goto out;
    plen = strlen(r->path);
    while (plen > 1 && r->path[plen - 1] == '/')
        plen--;
    rc = hv_api__created(
        r, hv_arena_printf(r->ctx.arena, "%.*s/%lld", (int)plen, r->path, (long long)id));
out:
    json_decref(parsed);
    json_decref(body);
    return rc;
}

/* PUT: the fields the body has replace the rule's ("disabled" alone enables or disables
 * it); the result is checked as a whole. */
static hv_err update_rule(hv_req *r) {
    json_t *body = NULL, *merged = NULL, *parsed = NULL;
    static const char *const keys[] = {"action", "template", "params", "tag_selectors",
                                       "scope_selectors"};
    hv_immutable_rule rule;
    hv_project p;
    hv_err rc = load_rule(&p, &rule, r, "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        goto out;
    merged = json_loads(rule.rule, 0, NULL);
    if (!json_is_object(merged)) {
        json_decref(merged);
        merged = json_object();
    }
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(body, keys[i]);
        if (v)
            json_object_set(merged, keys[i], v);
    }
    rc = parse_rule(&parsed, r, merged);
    if (rc == HV_OK)
        rc = parse_flags(&rule, r, body);
    if (rc)
        goto out;
    rule.rule = rule_text(r, parsed);
    rc = hv_model_immutable_update(&r->ctx, &rule);
    if (rc == HV_OK)
        rc = hv_api__ok(r);
out:
    json_decref(parsed);
    json_decref(merged);
    json_decref(body);
    return rc;
}

static hv_err delete_rule(hv_req *r) {
    hv_immutable_rule rule;
    hv_project p;
    hv_err rc = load_rule(&p, &rule, r, "delete");

    if (rc == HV_OK)
        rc = hv_model_immutable_delete(&r->ctx, p.id, rule.id);
    if (rc == HV_OK)
        rc = hv_api__ok(r);
    return rc;
}

HV_API_HANDLER(list_handler, list_rules);
HV_API_HANDLER(create_handler, create_rule);
HV_API_HANDLER(update_handler, update_rule);
HV_API_HANDLER(delete_handler, delete_rule);

const hv_api__route hv_api__immutable_routes[] = {
    {"GET", "/projects/{project_name_or_id}/immutabletagrules", &list_handler},
    {"POST", "/projects/{project_name_or_id}/immutabletagrules", &create_handler},
    {"PUT", "/projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}",
     &update_handler},
    {"DELETE", "/projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}",
     &delete_handler},
    {NULL, NULL, NULL},
};
