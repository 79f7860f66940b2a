/*
 * /projects/{p}/metadatas: a project's settings one key at a time, and the checks every
 * setting passes wherever it arrives (here or in a ProjectReq): Harbor's metadata are
 * string values under fixed keys, booleans normalised to "true"/"false" (Go's ParseBool
 * accepted), severity lower-cased, proxy_speed_kb an int32.  A body carries exactly one pair.
 */
#include "api/api_int.h"

#include <string.h>

static const char *const bool_keys[] = {
    "public",    "enable_content_trust", "enable_content_trust_cosign", "prevent_vul",
    "auto_scan", "auto_sbom_generation", "reuse_sys_cve_allowlist",     NULL,
};

static const char *const severities[] = {"none", "low", "medium", "high", "critical", NULL};

/* Go's strconv.ParseInt(v, 10, 32). */
static bool parse_int32(const char *v, int64_t *out) {
    bool neg = v[0] == '-';
    const char *digits = (v[0] == '-' || v[0] == '+') ? v + 1 : v;
    uint64_t u;

    if (!hv_parse_u64(digits, strlen(digits), &u) || u > (neg ? 2147483648u : 2147483647u))
        return false;
    *out = neg ? -(int64_t)u : (int64_t)u;
    return true;
}

static bool in_list(const char *const *list, const char *s) {
    for (; *list; list++) {
        if (strcmp(*list, s) == 0)
            return true;
    }
    return false;
}

bool hv_api__project_meta_known(const char *key) {
    return in_list(bool_keys, key) || strcmp(key, "severity") == 0 ||
           strcmp(key, "proxy_speed_kb") == 0;
}

/* Checks one metadata pair and sets *norm to its normalised value (arena). */
hv_err hv_api__project_meta_check(const char **norm, hv_req *r, const char *key,
                                  const char *value) {
    bool b;
    int64_t n;

    if (in_list(bool_keys, key)) {
        if (!hv_api__parse_bool(value, &b))
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "invalid value of %s: %s (true or false)",
                           key, value);
        *norm = b ? "true" : "false";
        return HV_OK;
    }
    if (strcmp(key, "severity") == 0) {
        char *lower = hv_arena_strdup(r->ctx.arena, value);
        for (char *c = lower; *c; c++)
            *c = (*c >= 'A' && *c <= 'Z') ? (char)(*c + 32) : *c;
        if (!in_list(severities, lower))
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "invalid value of severity: %s (none, low, medium, high or critical)",
                           value);
        *norm = lower;
        return HV_OK;
    }
    if (strcmp(key, "proxy_speed_kb") == 0) {
        if (!parse_int32(value, &n))
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "invalid value of proxy_speed_kb: %s (a 32-bit integer)", value);
        *norm = hv_arena_printf(r->ctx.arena, "%lld", (long long)n);
        return HV_OK;
    }
    return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "invalid metadata key: %s", key);
}

typedef struct meta_kv {
    const char *key;
    const char *value;
} meta_kv;

/* ---------------------------------------------------------------- /metadatas */

static hv_err list_metadata(hv_req *r) {
    const char **names, **values;
    size_t n;
    hv_project p;
    json_t *o;
    hv_err rc = hv_api__project_load(&p, r, "metadata", "list");

    if (rc == HV_OK)
        rc = hv_model_project_metadata(&names, &values, &n, &r->ctx, p.id);
    if (rc)
        return rc;
    o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, names[i], json_string(values[i]));
    return hv_api__json(r, 200, o);
}

/* The one pair of a metadata body, checked.  want: the key it must have, or NULL. */
static hv_err one_pair(meta_kv *out, hv_req *r, const char *want) {
    json_t *body = NULL, *v;
    const char *key;
    hv_err rc = hv_api__json_body(&body, r);

    if (rc)
        return rc;
    if (json_object_size(body) != 1) {
        json_decref(body);
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "only allow one key/value pair");
    }
    json_object_foreach(body, key, v) {
        if (want && strcmp(key, want) != 0)
            rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "the body must set %s, not %s", want, key);
        else if (!json_is_string(v))
            rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "the value of %s must be a string", key);
        else
            rc = hv_api__project_meta_check(&out->value, r, key, json_string_value(v));
        out->key = hv_arena_strdup(r->ctx.arena, key);
    }
    json_decref(body);
    return rc;
}

/* The value of one metadata key of p, or NULL. */
static hv_err meta_value(const char **out, hv_req *r, const hv_project *p, const char *key) {
    const char **names, **values;
    size_t n;
    hv_err rc = hv_model_project_metadata(&names, &values, &n, &r->ctx, p->id);

    *out = NULL;
    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        if (strcmp(names[i], key) == 0)
            *out = values[i];
    }
    return rc;
}

struct meta_change {
    const hv_project *p;
    meta_kv kv;
    bool must_exist; /* PUT: 404 when absent; POST: 409 when present */
};

static hv_err set_meta_in_tx(hv_req *r, void *payload) {
    struct meta_change *c = payload;
    const char *current;
    hv_err rc = meta_value(&current, r, c->p, c->kv.key);

    if (rc)
        return rc;
    if (c->must_exist && !current)
        return HV_FAIL(&r->ctx, HV_E_NOT_FOUND, "metadata %s of project %s not found", c->kv.key,
                       c->p->name);
    if (!c->must_exist && current)
        return HV_FAIL(&r->ctx, HV_E_CONFLICT, "metadata %s of project %s already exists",
                       c->kv.key, c->p->name);
    return hv_model_project_set_metadata(&r->ctx, c->p->id, c->kv.key, c->kv.value);
}

static hv_err add_metadata(hv_req *r) {
    struct meta_change c = {0};
    hv_project p;
    hv_err rc = hv_api__project_load(&p, r, "metadata", "create");

    c.p = &p;
    if (rc == HV_OK)
        rc = one_pair(&c.kv, r, NULL);
    if (rc == HV_OK)
        rc = hv_api__in_transaction(r, set_meta_in_tx, &c);
    return rc ? rc : hv_api__ok(r);
}

static hv_err get_metadata(hv_req *r) {
    const char *value;
    hv_project p;
    hv_err rc = hv_api__project_load(&p, r, "metadata", "read");

    if (rc == HV_OK)
        rc = meta_value(&value, r, &p, r->params[1]);
    if (rc)
        return rc;
    if (!value)
        return HV_FAIL(&r->ctx, HV_E_NOT_FOUND, "metadata %s of project %s not found", r->params[1],
                       p.name);
    return hv_api__json(r, 200, json_pack("{s:s}", r->params[1], value));
}

static hv_err update_metadata(hv_req *r) {
    struct meta_change c = {.must_exist = true};
    hv_project p;
    hv_err rc = hv_api__project_load(&p, r, "metadata", "update");

    c.p = &p;
    if (rc == HV_OK)
        rc = one_pair(&c.kv, r, r->params[1]);
    if (rc == HV_OK)
        rc = hv_api__in_transaction(r, set_meta_in_tx, &c);
    return rc ? rc : hv_api__ok(r);
}

static hv_err delete_meta_in_tx(hv_req *r, void *payload) {
    const hv_project *p = payload;

    return hv_model_project_delete_metadata(&r->ctx, p->id, r->params[1]);
}

static hv_err delete_metadata(hv_req *r) {
    hv_project p;
    hv_err rc = hv_api__project_load(&p, r, "metadata", "delete");

    if (rc == HV_OK)
        rc = hv_api__in_transaction(r, delete_meta_in_tx, &p);
    return rc ? rc : hv_api__ok(r);
}

HV_API_HANDLER(list_meta_handler, list_metadata);
HV_API_HANDLER(add_meta_handler, add_metadata);
HV_API_HANDLER(get_meta_handler, get_metadata);
HV_API_HANDLER(update_meta_handler, update_metadata);
HV_API_HANDLER(delete_meta_handler, delete_metadata);

const hv_api__route hv_api__project_metadata_routes[] = {
    {"GET", "/projects/{project_name_or_id}/metadatas", &list_meta_handler},
    {"POST", "/projects/{project_name_or_id}/metadatas", &add_meta_handler},
    {"GET", "/projects/{project_name_or_id}/metadatas/{meta_name}", &get_meta_handler},
    {"PUT", "/projects/{project_name_or_id}/metadatas/{meta_name}", &update_meta_handler},
    {"DELETE", "/projects/{project_name_or_id}/metadatas/{meta_name}", &delete_meta_handler},
    {NULL, NULL, NULL},
};
