/*
 * /projects/{project_name_or_id}/immutabletagrules: Harbor's immutable tag rules.
 *
 * A rule is Harbor's ImmutableRule: {id, priority, disabled, action, template, params,
 * tag_selectors [one selector], scope_selectors {"repository": [one selector]}}.  These
 * handlers read the shape of a body (a 400 names the field) into the registry's input and
 * render what is stored; the rules of its values, the normalised form, the limit of rules
 * and the transactions are the registry's (src/registry/immutable_rule.c), which also
 * matches the rules on every push, tag move and deletion (src/registry/immutable.c).
 *
 * Permissions: immutable-tag list/create/update/delete on the project (project admins and
 * maintainers).
 */
#include "api/api_int.h"
#include "registry/registry.h"

#include <string.h>

/* The fields of a stored rule besides id, priority and disabled. */
static const char *const rule_keys[] = {"action", "template", "params", "tag_selectors",
                                        "scope_selectors"};

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

/* ---------------------------------------------------------------- JSON */

/* Harbor's ImmutableRule: the stored rule with id, priority and disabled. */
static json_t *rule_json(const hv_immutable_rule *rule) {
    json_t *stored = json_loads(rule->rule, 0, NULL);
    json_t *o = json_object();

    json_object_set_new(o, "id", json_integer(rule->id));
    json_object_set_new(o, "priority", json_integer(rule->priority));
    json_object_set_new(o, "disabled", json_boolean(rule->disabled));
    for (size_t i = 0; i < sizeof(rule_keys) / sizeof(rule_keys[0]); i++) {
        json_t *v = json_object_get(stored, rule_keys[i]);
        json_object_set(o, rule_keys[i], v ? v : json_null());
    }
    json_decref(stored);
    return o;
}

/* A field that may only have one value: NULL when absent or null, "" when not a string
 * (the registry refuses both "" and any other wrong value alike). */
static const char *fixed_value(json_t *body, const char *field) {
    json_t *v = json_object_get(body, field);

    if (!v || json_is_null(v))
        return NULL;
    return json_is_string(v) ? json_string_value(v) : "";
}

/* One selector: a list of exactly one object; its fields that are not strings are NULL
 * (extras, when given, must be one).  `field` names it in errors ("tag_selectors"). */
static hv_err parse_selector(hv_registry_immutable_selector *out, hv_req *r, json_t *array,
                             const char *field) {
    json_t *s, *extras;

    if (!json_is_array(array) || json_array_size(array) != 1 ||
        !json_is_object(json_array_get(array, 0)))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "%s must be a list of exactly one selector object {kind, decoration, "
                       "pattern}",
                       field);
    s = json_array_get(array, 0);
    extras = json_object_get(s, "extras");
    if (extras && !json_is_null(extras) && !json_is_string(extras))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s[0].extras must be a string", field);
    out->kind = json_string_value(json_object_get(s, "kind"));
    out->decoration = json_string_value(json_object_get(s, "decoration"));
    out->pattern = json_string_value(json_object_get(s, "pattern"));
    out->extras = json_string_value(extras);
    return HV_OK;
}

/* scope_selectors: an object with exactly the key "repository" (Haven's rules, like
 * Harbor's, select repositories only). */
static hv_err parse_scope(hv_registry_immutable_selector *out, hv_req *r, json_t *scope) {
    const char *key;
    json_t *v;

    if (!json_is_object(scope))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "scope_selectors must be an object {\"repository\": [selector]}");
    json_object_foreach(scope, key, v) {
        if (strcmp(key, "repository") != 0)
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "scope_selectors.%s is not supported: only repository", key);
    }
    return parse_selector(out, r, json_object_get(scope, "repository"),
                          "scope_selectors.repository");
}

/* Whether a body gives field a value (null is none). */
static bool given(json_t *body, const char *field) {
    json_t *v = json_object_get(body, field);

    return v && !json_is_null(v);
}

/* Reads a rule body into *in (strings borrowed from body).  On creation every part is
 * read; on update only those the body has (a null one included, which is then refused). */
static hv_err parse_rule(hv_registry_immutable_rule_input *in, hv_req *r, json_t *body,
                         bool update) {
    json_t *tags = json_object_get(body, "tag_selectors");
    json_t *scope = json_object_get(body, "scope_selectors");
    hv_err rc = HV_OK;

    in->action = fixed_value(body, "action");
    in->template = fixed_value(body, "template");
    if (given(body, "params") && !json_is_object(json_object_get(body, "params")))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "params must be an object");
    in->set_tag = !update || tags;
    if (in->set_tag)
        rc = parse_selector(&in->tag, r, tags, "tag_selectors");
    in->set_repository = !update || scope;
    if (rc == HV_OK && in->set_repository)
        rc = parse_scope(&in->repository, r, scope);
    in->set_priority = given(body, "priority");
    in->set_disabled = given(body, "disabled");
    if (rc == HV_OK)
        rc = hv_api__int(&in->priority, r, body, "priority");
    return rc ? rc : hv_api__bool(&in->disabled, r, body, "disabled");
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
        rc = hv_registry_immutable_rule_list(&rules, &n, &total, &r->ctx, p.id, &l);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, rule_json(&rules[i]));
    return hv_api__page(r, &l, total, items);
}

static hv_err create_rule(hv_req *r) {
    json_t *body = NULL;
    hv_registry_immutable_rule_input in = {0};
    hv_project p;
    int64_t id;
    size_t plen;
    hv_err rc = load_project(&p, r, "create");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = parse_rule(&in, r, body, false);
    if (rc == HV_OK)
        rc = hv_registry_immutable_rule_create(&id, &r->ctx, p.id, &in);
    json_decref(body);
    if (rc)
        return rc;
    plen = strlen(r->path);
    while (plen > 1 && r->path[plen - 1] == '/')
        plen--;
    return hv_api__created(
        r, hv_arena_printf(r->ctx.arena, "%.*s/%lld", (int)plen, r->path, (long long)id));
}

/* PUT: the fields the body has replace the rule's ("disabled" alone enables or disables
 * it); the registry checks the result as a whole. */
static hv_err update_rule(hv_req *r) {
    json_t *body = NULL;
    hv_registry_immutable_rule_input in = {0};
    hv_immutable_rule rule;
    hv_project p;
    int64_t id;
    hv_err rc = load_project(&p, r, "update");

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[1], "immutable rule id");
    if (rc == HV_OK)
        rc = hv_registry_immutable_rule_get(&rule, &r->ctx, p.id, id);
    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = parse_rule(&in, r, body, true);
    if (rc == HV_OK)
        rc = hv_registry_immutable_rule_update(&r->ctx, &rule, &in);
    json_decref(body);
    return rc ? rc : hv_api__ok(r);
}

static hv_err delete_rule(hv_req *r) {
    hv_project p;
    int64_t id;
    hv_err rc = load_project(&p, r, "delete");

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[1], "immutable rule id");
    if (rc == HV_OK)
        rc = hv_registry_immutable_rule_delete(&r->ctx, p.id, id);
    return rc ? rc : hv_api__ok(r);
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
