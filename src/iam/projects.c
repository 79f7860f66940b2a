/*
 * Projects: who may create them, their name rule, their settings (Harbor's metadata) and
 * CVE allowlist, what each caller sees of them, and deleting them while no repository is
 * left.
 *
 * Settings are checked the same way whether they arrive in a ProjectReq or one at a time
 * through /metadatas: fixed keys, booleans as Go's strconv.ParseBool reads them and stored
 * as "true"/"false", severity lower-cased, proxy_speed_kb an int32.  The allowlist is stored
 * as Harbor's CVEAllowlist JSON ({"items":[{"cve_id"}],"expires_at","creation_time",
 * "update_time"}), keeping its first creation time across updates.  Every change is one
 * transaction; creation and deletion publish their event in it.
 */
#include "iam/iam_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- settings */

static const char *const bool_keys[] = {
    "public",    "enable_content_trust", "enable_content_trust_cosign", "prevent_vul",
    "auto_scan", "auto_sbom_generation", "reuse_sys_cve_allowlist",     NULL,
};

static const char *const severities[] = {"none", "low", "medium", "high", "critical", NULL};

static bool in_list(const char *const *list, const char *s) {
    for (; *list; list++) {
        if (strcmp(*list, s) == 0)
            return true;
    }
    return false;
}

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

/* Whether key is a setting Harbor keeps (retention_id aside: the retention API owns it). */
static bool meta_known(const char *key) {
    return in_list(bool_keys, key) || strcmp(key, "severity") == 0 ||
           strcmp(key, "proxy_speed_kb") == 0;
}

/* Checks one setting and sets *norm to its normalised value (static or arena). */
static hv_err meta_check(const char **norm, hv_ctx *ctx, const char *key, const char *value) {
    bool b;
    int64_t n;

    if (in_list(bool_keys, key)) {
        if (!hv_parse_bool(value, &b))
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "invalid value of %s: %s (true or false)", key,
                           value);
        *norm = b ? "true" : "false";
        return HV_OK;
    }
    if (strcmp(key, "severity") == 0) {
        char *lower = hv_arena_strdup(ctx->arena, value);
        for (char *c = lower; *c; c++)
            *c = (*c >= 'A' && *c <= 'Z') ? (char)(*c + 32) : *c;
        if (!in_list(severities, lower))
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "invalid value of severity: %s (none, low, medium, high or critical)",
                           value);
        *norm = lower;
        return HV_OK;
    }
    if (strcmp(key, "proxy_speed_kb") == 0) {
        if (!parse_int32(value, &n))
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "invalid value of proxy_speed_kb: %s (a 32-bit integer)", value);
        *norm = hv_arena_printf(ctx->arena, "%lld", (long long)n);
        return HV_OK;
    }
    return HV_FAIL(ctx, HV_E_BAD_REQUEST, "invalid metadata key: %s", key);
}

/*
 * The settings of a ProjectReq, checked and normalised into *out (arena).  retention_id
 * must be absent or "" on creation and absent or unchanged (current_retention) on update;
 * proxy_speed_kb is checked and then dropped, since only proxy-cache projects keep it.
 */
static hv_err req_metadata(hv_iam_project_meta **out, size_t *n, hv_ctx *ctx,
                           const hv_iam_project_meta *in, size_t n_in,
                           const char *current_retention, bool creating) {
    size_t k = 0;
    hv_err rc;

    *out = hv_arena_alloc(ctx->arena, (n_in + 1) * sizeof(**out));
    *n = 0;
    for (size_t i = 0; i < n_in; i++) {
        const char *key = in[i].key, *value = in[i].value, *norm = NULL;

        if (!value)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "metadata.%s must be a string", key);
        if (!meta_known(key) && strcmp(key, "retention_id") != 0)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "invalid metadata key: %s", key);
        /* generated clients send "" for a field they leave unset: it changes nothing */
        if (!*value)
            continue;
        if (strcmp(key, "retention_id") == 0) {
            if (creating)
                return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                               "retention_id must be empty when a project is created");
            if (strcmp(value, current_retention ? current_retention : "") != 0)
                return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                               "retention_id cannot be changed here: use the retention API");
            continue;
        }
        rc = meta_check(&norm, ctx, key, value);
        if (rc)
            return rc;
        if (strcmp(key, "proxy_speed_kb") == 0)
            continue;
        (*out)[k].key = key;
        (*out)[k].value = norm;
        k++;
    }
    *n = k;
    return HV_OK;
}

static const char *meta_find(const hv_iam_project_meta *m, size_t n, const char *key) {
    for (size_t i = 0; i < n; i++) {
        if (strcmp(m[i].key, key) == 0)
            return m[i].value;
    }
    return NULL;
}

/* The value of one setting of p, or NULL. */
static hv_err meta_value(const char **out, hv_ctx *ctx, const hv_project *p, const char *key) {
    const char **names, **values;
    size_t n;
    hv_err rc = hv_model_project_metadata(&names, &values, &n, ctx, p->id);

    *out = NULL;
    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        if (strcmp(names[i], key) == 0)
            *out = values[i];
    }
    return rc;
}

/*
 * An allowlist in its stored form (*out, arena): {"items", "expires_at", "creation_time",
 * "update_time"}, keeping the creation time of old (the stored form it replaces, or NULL).
 * Its project_id must be 0 or owner (the project's id; 0 for the system's allowlist; < 0
 * when it cannot be checked yet, on a project's creation); CVE ids appear once.
 */
static hv_err allowlist_text(const char **out, hv_ctx *ctx, const hv_iam_cve_allowlist *wl,
                             int64_t owner, const char *old_text) {
    json_t *stored, *items, *old = NULL;
    int64_t created = hv_now_ms();
    json_error_t e;
    char *text;

    if (owner >= 0 && wl->project_id != 0 && wl->project_id != owner)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "project_id in cve_allowlist must be %lld but it's %lld", (long long)owner,
                       (long long)wl->project_id);
    for (size_t i = 0; i < wl->n_cve_ids; i++) {
        for (size_t j = 0; j < i; j++) {
            if (strcmp(wl->cve_ids[j], wl->cve_ids[i]) == 0)
                return HV_FAIL(ctx, HV_E_BAD_REQUEST, "duplicate CVE ID in allowlist: %s",
                               wl->cve_ids[i]);
        }
    }
    items = json_array();
    for (size_t i = 0; i < wl->n_cve_ids; i++)
        json_array_append_new(items, json_pack("{s:s}", "cve_id", wl->cve_ids[i]));
    if (old_text)
        old = json_loads(old_text, 0, &e);
    if (old && json_is_integer(json_object_get(old, "creation_time")))
        created = json_integer_value(json_object_get(old, "creation_time"));
    json_decref(old);
    stored =
        json_pack("{s:o, s:o, s:I, s:I}", "items", items, "expires_at",
                  wl->has_expires_at ? json_integer(wl->expires_at) : json_null(), "creation_time",
                  (json_int_t)created, "update_time", (json_int_t)hv_now_ms());
    text = json_dumps(stored, JSON_COMPACT);
    json_decref(stored);
    *out = hv_arena_strdup(ctx->arena, text);
    free(text);
    return HV_OK;
}

/* ---------------------------------------------------------------- reading */

hv_err hv_iam_project_get(hv_project *out, hv_ctx *ctx, const char *name) {
    return hv_model_project_get(out, ctx, name);
}

hv_err hv_iam_project_get_by_id(hv_project *out, hv_ctx *ctx, int64_t id) {
    return hv_model_project_get_by_id(out, ctx, id);
}

static void add_term(hv_query_term *t, hv_ctx *ctx, const char *key, hv_query_op op,
                     const char *value) {
    t->key = key;
    t->op = op;
    t->values = hv_arena_alloc(ctx->arena, sizeof(*t->values));
    t->values[0] = value;
    t->n_values = 1;
}

/*
 * Whom the model lists for (-1 everyone, 0 anonymous, else a user id), adding to *extra a
 * term on the names of a robot's projects.  A robot's visibility goes by its permissions,
 * not by the model's memberships.
 */
static int64_t visibility(hv_ctx *ctx, const hv_identity *w, hv_query_term *extra,
                          size_t *n_extra) {
    size_t n = 0;

    if (w->kind == HV_ID_ANONYMOUS)
        return 0;
    if (w->kind == HV_ID_USER)
        return w->sysadmin && !w->via_token ? -1 : w->user_id;
    extra->key = "name";
    extra->op = HV_Q_ANY;
    extra->values = hv_arena_alloc(ctx->arena, (w->n_permissions + 1) * sizeof(*extra->values));
    for (size_t i = 0; i < w->n_permissions; i++) {
        const hv_robot_permission *p = &w->permissions[i];
        if (strcmp(p->kind, "project") != 0)
            continue;
        if (strcmp(p->namespace_, "*") == 0)
            return -1;
        extra->values[n++] = p->namespace_;
    }
    if (n == 0)
        return 0;
    extra->n_values = n;
    *n_extra = 1;
    return -1;
}

hv_err hv_iam_project_list(hv_project **out, size_t *n, int64_t *total, hv_ctx *ctx,
                           const hv_identity *who, const hv_list *list,
                           const hv_iam_project_filter *filter) {
    hv_list narrowed = *list;
    hv_query_term *terms = hv_arena_alloc(ctx->arena, (list->n_terms + 4) * sizeof(*terms));
    size_t k = list->n_terms, n_extra = 0;
    int64_t visible_to;

    if (list->n_terms)
        memcpy(terms, list->terms, list->n_terms * sizeof(*terms));
    if (filter->name && *filter->name)
        add_term(&terms[k++], ctx, "name", HV_Q_FUZZY, filter->name);
    if (filter->owner && *filter->owner)
        add_term(&terms[k++], ctx, "owner", HV_Q_EXACT, filter->owner);
    if (filter->public_set)
        add_term(&terms[k++], ctx, "public", HV_Q_EXACT, filter->public ? "true" : "false");
    visible_to = visibility(ctx, who, &terms[k], &n_extra);
    k += n_extra;
    narrowed.terms = terms;
    narrowed.n_terms = k;
    if (visible_to == 0 && filter->public_set && !filter->public) {
        /* anonymous callers asking for private projects get none */
        *out = NULL;
        *n = 0;
        *total = 0;
        return HV_OK;
    }
    return hv_model_project_list(out, n, total, ctx, &narrowed, visible_to);
}

hv_err hv_iam_project_describe(hv_iam_project_view *out, hv_ctx *ctx, const hv_identity *who,
                               const hv_project *p, bool with_metadata) {
    hv_err rc = hv_auth_roles(out->roles, &out->n_roles, ctx, who, p);

    out->metadata_names = out->metadata_values = NULL;
    out->n_metadata = 0;
    if (rc == HV_OK)
        rc = hv_model_project_repo_count(&out->repo_count, ctx, p->id);
    if (rc == HV_OK && with_metadata)
        rc = hv_model_project_metadata(&out->metadata_names, &out->metadata_values,
                                       &out->n_metadata, ctx, p->id);
    return rc;
}

static const char *const not_deletable = "the project contains repositories, can not be deleted";

hv_err hv_iam_project_deletable(bool *out, const char **why, hv_ctx *ctx, const hv_project *p) {
    int64_t repos = 0;
    hv_err rc = hv_model_project_repo_count(&repos, ctx, p->id);

    if (rc)
        return rc;
    *out = repos == 0;
    *why = repos == 0 ? "" : not_deletable;
    return HV_OK;
}

/* Member counts need member:list, the quota quota:read (as in Harbor). */
hv_err hv_iam_project_summarize(hv_iam_project_summary *out, hv_ctx *ctx, const hv_identity *who,
                                const hv_project *p) {
    hv_err rc = hv_model_project_repo_count(&out->repo_count, ctx, p->id);

    if (rc)
        return rc;
    out->has_member_counts = hv_auth_can(ctx, who, p, "member", "list") == HV_OK;
    if (out->has_member_counts) {
        rc = hv_model_member_counts(out->member_counts, ctx, p->id);
        if (rc)
            return rc;
    }
    out->has_quota = hv_auth_can(ctx, who, p, "quota", "read") == HV_OK;
    if (out->has_quota) {
        rc = hv_model_quota_get_by_project(&out->quota, ctx, p->id);
        if (rc)
            return rc;
    }
    /* a refusal above only leaves a part out */
    hv_error_clear(ctx);
    return HV_OK;
}

hv_err hv_iam_project_metadata_list(const char ***names, const char ***values, size_t *n,
                                    hv_ctx *ctx, const hv_project *p) {
    return hv_model_project_metadata(names, values, n, ctx, p->id);
}

hv_err hv_iam_project_metadata_get(const char **out, hv_ctx *ctx, const hv_project *p,
                                   const char *key) {
    hv_err rc = meta_value(out, ctx, p, key);

    if (rc)
        return rc;
    if (!*out)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "metadata %s of project %s not found", key, p->name);
    return HV_OK;
}

/* ---------------------------------------------------------------- creating */

/* Harbor's name rule: ^[a-z0-9]+(?:[._-][a-z0-9]+)*$, 1 to 255 characters. */
static bool name_valid(const char *s) {
    size_t len = strlen(s);
    bool after_sep = true;

    if (len < 1 || len > 255)
        return false;
    for (size_t i = 0; i < len; i++) {
        bool alnum = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9');
        if (alnum) {
            after_sep = false;
        } else if (strchr("._-", s[i]) && !after_sep) {
            after_sep = true;
        } else {
            return false;
        }
    }
    return !after_sep;
}

hv_err hv_iam_project_may_create(hv_ctx *ctx, const hv_identity *who) {
    const char *restriction = "everyone";
    hv_err rc;

    if (who->kind == HV_ID_ANONYMOUS)
        return HV_FAIL(ctx, HV_E_UNAUTHORIZED, "authentication required to create a project");
    if (who->kind == HV_ID_ROBOT) {
        rc = hv_auth_can(ctx, who, NULL, "project", "create");
        if (rc)
            return HV_FAIL(ctx, HV_E_DENIED, "Only system level robot can create project");
    }
    rc = hv_iam_setting_get(&restriction, ctx, "project_creation_restriction");
    if (rc)
        return rc;
    if (strcmp(restriction, "adminonly") == 0 && hv_auth_can(ctx, who, NULL, "project", "create"))
        return HV_FAIL(ctx, HV_E_DENIED, "Only system admin can create project");
    return HV_OK;
}

/* Robots own nothing: what they create belongs to the first administrator, as in Harbor. */
static hv_err first_admin(int64_t *out, hv_ctx *ctx) {
    static const char *yes[] = {"true"};
    hv_query_term t = {.key = "sysadmin_flag", .op = HV_Q_EXACT, .values = yes, .n_values = 1};
    hv_list list = {.terms = &t, .n_terms = 1, .sort = "user_id", .page = 1, .page_size = 1};
    hv_user *users;
    size_t n;
    int64_t total;
    hv_err rc = hv_model_user_list(&users, &n, &total, ctx, &list);

    if (rc)
        return rc;
    if (n == 0)
        return HV_FAIL(ctx, HV_E_INTERNAL, "cannot create a project: no system administrator");
    *out = users[0].id;
    return HV_OK;
}

struct creation {
    const char *name;
    bool public;
    int64_t owner_id;
    hv_iam_project_meta *meta;
    size_t n_meta;
    const char *allowlist;
    int64_t storage_limit; /* the quota's hard limit, -1 unlimited */
    int64_t id;
};

static hv_err create_in_tx(hv_ctx *ctx, void *payload) {
    struct creation *c = payload;
    hv_err rc = hv_model_project_create(&c->id, ctx, c->name, c->public, c->owner_id);

    for (size_t i = 0; rc == HV_OK && i < c->n_meta; i++) {
        if (strcmp(c->meta[i].key, "public") != 0)
            rc = hv_model_project_set_metadata(ctx, c->id, c->meta[i].key, c->meta[i].value);
    }
    if (rc == HV_OK && c->allowlist)
        rc = hv_model_project_set_cve_allowlist(ctx, c->id, c->allowlist);
    if (rc == HV_OK) {
        int64_t member;
        rc = hv_model_member_create(&member, ctx, c->id, c->owner_id, HV_ROLE_PROJECT_ADMIN);
    }
    if (rc == HV_OK)
        rc = hv_model_quota_create(ctx, c->id, c->storage_limit);
    if (rc == HV_OK)
        rc = hv_events_publish_fields(ctx, "project.created", "project", c->name, "resource",
                                      c->name, NULL);
    return rc;
}

hv_err hv_iam_project_create(int64_t *out_id, hv_ctx *ctx, const hv_identity *who,
                             const hv_iam_project_input *in) {
    struct creation c = {.name = in->name};
    const char *public_meta;
    hv_err rc = hv_iam_project_may_create(ctx, who);

    if (rc)
        return rc;
    if (in->storage_limit < -1)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "storage_limit must be -1 (unlimited) or a number of bytes");
    if (in->registry_id_set) {
        if (hv_auth_can(ctx, who, NULL, "project", "create") != HV_OK)
            return HV_FAIL(ctx, HV_E_DENIED, "Only system admin can create proxy cache project");
        if (in->registry_id <= 0)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "registry_id must be an integer greater than 0");
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "proxy-cache projects (registry_id) are not supported yet");
    }
    if (!c.name)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "project_name is required");
    if (!name_valid(c.name))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "project name %s is invalid: use 1 to 255 lower-case letters, digits and "
                       "single . _ - between them",
                       c.name);
    rc = req_metadata(&c.meta, &c.n_meta, ctx, in->metadata, in->n_metadata, NULL, true);
    if (rc == HV_OK && in->cve_allowlist)
        rc = allowlist_text(&c.allowlist, ctx, in->cve_allowlist, -1, NULL);
    if (rc)
        return rc;
    /* "public" (deprecated) counts when metadata.public is absent */
    public_meta = meta_find(c.meta, c.n_meta, "public");
    c.public = public_meta ? strcmp(public_meta, "true") == 0 : in->public;

    /* as Harbor: the limit counts when a system administrator (or a system robot that may
     * create projects) gives one; 0 or anyone else's gets the default, unlimited */
    c.storage_limit = in->storage_limit;
    if (in->storage_limit == 0 || hv_auth_can(ctx, who, NULL, "project", "create") != HV_OK)
        c.storage_limit = -1;
    hv_error_clear(ctx);
    if (who->kind == HV_ID_USER)
        c.owner_id = who->user_id;
    else
        rc = first_admin(&c.owner_id, ctx);
    if (rc == HV_OK)
        rc = hv_events_transaction(ctx, create_in_tx, &c);
    if (rc == HV_OK)
        *out_id = c.id;
    return rc;
}

/* ---------------------------------------------------------------- changing */

struct update {
    const hv_project *p;
    hv_iam_project_meta *meta;
    size_t n_meta;
    const char *allowlist;
};

static hv_err update_in_tx(hv_ctx *ctx, void *payload) {
    struct update *u = payload;
    hv_err rc = HV_OK;

    for (size_t i = 0; rc == HV_OK && i < u->n_meta; i++)
        rc = hv_model_project_set_metadata(ctx, u->p->id, u->meta[i].key, u->meta[i].value);
    if (rc == HV_OK && u->allowlist)
        rc = hv_model_project_set_cve_allowlist(ctx, u->p->id, u->allowlist);
    return rc;
}

hv_err hv_iam_project_update(hv_ctx *ctx, const hv_project *p, const hv_iam_project_input *in) {
    struct update u = {.p = p};
    const char *retention;
    hv_err rc = meta_value(&retention, ctx, p, "retention_id");

    if (rc == HV_OK)
        rc = req_metadata(&u.meta, &u.n_meta, ctx, in->metadata, in->n_metadata, retention, false);
    if (rc == HV_OK && in->cve_allowlist)
        rc = allowlist_text(&u.allowlist, ctx, in->cve_allowlist, p->id, p->cve_allowlist_json);
    if (rc == HV_OK)
        rc = hv_events_transaction(ctx, update_in_tx, &u);
    return rc;
}

static hv_err delete_in_tx(hv_ctx *ctx, void *payload) {
    const hv_project *p = payload;
    int64_t repos;
    hv_err rc = hv_model_project_repo_count(&repos, ctx, p->id);

    if (rc == HV_OK && repos > 0)
        rc = HV_FAIL(ctx, HV_E_POLICY, "%s", not_deletable);
    if (rc == HV_OK)
        rc = hv_model_project_delete(ctx, p->id);
    if (rc == HV_OK)
        rc = hv_events_publish_fields(ctx, "project.deleted", "project", p->name, "resource",
                                      p->name, NULL);
    return rc;
}

hv_err hv_iam_project_delete(hv_ctx *ctx, const hv_project *p) {
    return hv_events_transaction(ctx, delete_in_tx, (void *)p);
}

struct meta_change {
    const hv_project *p;
    const char *key;
    const char *value;
    bool add; /* POST: 409 when the key is set; PUT sets it either way, as Harbor's manager */
};

static hv_err set_meta_in_tx(hv_ctx *ctx, void *payload) {
    struct meta_change *c = payload;
    const char *current = NULL;
    hv_err rc = c->add ? meta_value(&current, ctx, c->p, c->key) : HV_OK;

    if (rc)
        return rc;
    if (current)
        return HV_FAIL(ctx, HV_E_CONFLICT, "metadata %s of project %s already exists", c->key,
                       c->p->name);
    return hv_model_project_set_metadata(ctx, c->p->id, c->key, c->value);
}

static hv_err set_meta(hv_ctx *ctx, const hv_project *p, const char *key, const char *value,
                       bool add) {
    struct meta_change c = {.p = p, .key = key, .add = add};
    hv_err rc = meta_check(&c.value, ctx, key, value);

    return rc ? rc : hv_events_transaction(ctx, set_meta_in_tx, &c);
}

hv_err hv_iam_project_metadata_add(hv_ctx *ctx, const hv_project *p, const char *key,
                                   const char *value) {
    return set_meta(ctx, p, key, value, true);
}

hv_err hv_iam_project_metadata_update(hv_ctx *ctx, const hv_project *p, const char *key,
                                      const char *value) {
    return set_meta(ctx, p, key, value, false);
}

struct meta_removal {
    const hv_project *p;
    const char *key;
};

static hv_err delete_meta_in_tx(hv_ctx *ctx, void *payload) {
    const struct meta_removal *m = payload;

    return hv_model_project_delete_metadata(ctx, m->p->id, m->key);
}

hv_err hv_iam_project_metadata_delete(hv_ctx *ctx, const hv_project *p, const char *key) {
    struct meta_removal m = {.p = p, .key = key};

    return hv_events_transaction(ctx, delete_meta_in_tx, &m);
}

/* ---------------------------------------------------------------- the system's allowlist */

#define SYSTEM_ALLOWLIST "system_cve_allowlist" /* its setting's name (not in /configurations) */

hv_err hv_iam_system_allowlist_get(const char **out, hv_ctx *ctx) {
    hv_err rc = hv_model_setting_get(out, ctx, SYSTEM_ALLOWLIST, "");

    if (rc == HV_OK && !**out)
        *out = NULL;
    return rc;
}

hv_err hv_iam_system_allowlist_set(hv_ctx *ctx, const hv_iam_cve_allowlist *wl) {
    const char *old, *text;
    hv_err rc = hv_iam_system_allowlist_get(&old, ctx);

    if (rc == HV_OK)
        rc = allowlist_text(&text, ctx, wl, 0, old);
    return rc ? rc : hv_model_setting_set(ctx, SYSTEM_ALLOWLIST, text);
}
