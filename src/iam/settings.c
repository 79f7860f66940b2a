/*
 * System settings: Harbor's /configurations (and /internalconfig), one row each in
 * settings[] below, which is the only place a setting is described.
 *
 * A row gives the name, the JSON type, Harbor's default and what may change it.  Values are
 * kept as text in the config table (booleans "true"/"false", integers in decimal); a setting
 * never stored has its default.  A row without EDITABLE is one Haven does not act on yet: it
 * is reported with the value Haven works with (Harbor's default) and editable false, and a
 * PUT that would change it is refused naming it, so that a script learns at once rather than
 * believing it took effect.  A PUT that repeats the reported value is accepted: nothing
 * changes, and tools that send a whole configuration back keep working.  Making a setting
 * editable is adding EDITABLE (and its allowed values or bounds) to its row.
 *
 * WRITE_ONLY rows are secrets Harbor never shows (its PasswordType items); INTERNAL rows are
 * shown only by /internalconfig.  Harbor's scan_all_policy is absent, as in Harbor 2, which
 * keeps that schedule under /system/scanAll/schedule.
 */
#include "iam/iam_int.h"

#include <assert.h>
#include <string.h>

enum { EDITABLE = 1, WRITE_ONLY = 2, INTERNAL = 4, HOST_PORT = 8 /* "host:port" or empty */ };

#define STR  HV_IAM_SETTING_STRING
#define BOOL HV_IAM_SETTING_BOOL
#define INT  HV_IAM_SETTING_INT
/* A row: name, type, Harbor's default, then any of .flags, .choices, .min and .max. */
#define ROW(n, t, d, ...)                                                                          \
    { .name = n, .type = t, .def = d, __VA_ARGS__ }

typedef struct setting_def {
    const char *name;
    hv_iam_setting_type type;
    const char *def; /* Harbor's default, as text */
    unsigned flags;
    const char *choices; /* an editable string's values, '|'-separated; NULL: any */
    int64_t min, max;    /* an editable integer's bounds */
} setting_def;

/* In the order of Harbor's ConfigurationsResponse as it is written out (by name). */
static const setting_def settings[] = {
    ROW("audit_log_forward_endpoint", STR, "", .flags = EDITABLE | HOST_PORT),
    ROW("auth_mode", STR, "db_auth"),
    ROW("banner_message", STR, ""),
    ROW("http_authproxy_admin_groups", STR, ""),
    ROW("http_authproxy_admin_usernames", STR, ""),
    ROW("http_authproxy_endpoint", STR, ""),
    ROW("http_authproxy_server_certificate", STR, ""),
    ROW("http_authproxy_skip_search", BOOL, "false"),
    ROW("http_authproxy_tokenreview_endpoint", STR, ""),
    ROW("http_authproxy_verify_cert", BOOL, "true"),
    ROW("ldap_base_dn", STR, ""),
    ROW("ldap_filter", STR, ""),
    ROW("ldap_group_admin_dn", STR, ""),
    ROW("ldap_group_attach_parallel", BOOL, "false"),
    ROW("ldap_group_attribute_name", STR, "cn"),
    ROW("ldap_group_base_dn", STR, ""),
    ROW("ldap_group_membership_attribute", STR, "memberof"),
    ROW("ldap_group_search_filter", STR, ""),
    ROW("ldap_group_search_scope", INT, "2"),
    ROW("ldap_scope", INT, "2"),
    ROW("ldap_search_dn", STR, ""),
    ROW("ldap_search_password", STR, "", .flags = WRITE_ONLY),
    ROW("ldap_timeout", INT, "5"),
    ROW("ldap_uid", STR, "cn"),
    ROW("ldap_url", STR, ""),
    ROW("ldap_verify_cert", BOOL, "true"),
    ROW("notification_enable", BOOL, "true"),
    ROW("oidc_admin_group", STR, ""),
    ROW("oidc_auto_onboard", BOOL, "false"),
    ROW("oidc_client_id", STR, ""),
    ROW("oidc_client_secret", STR, "", .flags = WRITE_ONLY),
    ROW("oidc_endpoint", STR, ""),
    ROW("oidc_extra_redirect_parms", STR, "{}"),
    ROW("oidc_group_filter", STR, ""),
    ROW("oidc_groups_claim", STR, ""),
    ROW("oidc_name", STR, ""),
    ROW("oidc_scope", STR, ""),
    ROW("oidc_user_claim", STR, ""),
    ROW("oidc_verify_cert", BOOL, "true"),
    ROW("primary_auth_mode", BOOL, "false"),
    ROW("project_creation_restriction", STR, "everyone", .flags = EDITABLE,
        .choices = "everyone|adminonly"),
    ROW("quota_per_project_enable", BOOL, "true"),
    ROW("read_only", BOOL, "false"),
    ROW("registry_storage_provider_name", STR, "filesystem", .flags = INTERNAL),
    ROW("robot_name_prefix", STR, "robot$"),
    ROW("robot_token_duration", INT, "30"),
    ROW("scanner_skip_update_pulltime", BOOL, "false"),
    ROW("self_registration", BOOL, "false"),
    ROW("session_timeout", INT, "60"),
    ROW("skip_audit_log_database", BOOL, "false", .flags = EDITABLE),
    ROW("storage_per_project", INT, "-1"),
    ROW("token_expiration", INT, "30"),
    ROW("uaa_client_id", STR, ""),
    ROW("uaa_client_secret", STR, "", .flags = WRITE_ONLY),
    ROW("uaa_endpoint", STR, ""),
    ROW("uaa_verify_cert", BOOL, "false"),
    ROW("with_trivy", BOOL, "false", .flags = INTERNAL),
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static const setting_def *find(const char *name) {
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (strcmp(settings[i].name, name) == 0)
            return &settings[i];
    }
    return NULL;
}

static const char *type_name(hv_iam_setting_type t) {
    return t == BOOL ? "true or false" : t == INT ? "an integer" : "a string";
}

hv_err hv_iam_setting_get(const char **out, hv_ctx *ctx, const char *name) {
    const setting_def *d = find(name);

    assert(d);
    return hv_model_setting_get(out, ctx, name, d->def);
}

hv_err hv_iam_settings_list(hv_iam_setting **out, size_t *n, hv_ctx *ctx, const hv_identity *who,
                            bool internal) {
    hv_iam_setting *v;
    size_t k = 0;
    hv_err rc = hv_auth_can(ctx, who, NULL, "configuration", "read");

    *n = 0;
    if (rc)
        return rc;
    v = hv_arena_alloc(ctx->arena, NSETTINGS * sizeof(*v));
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting_def *d = &settings[i];

        if ((d->flags & WRITE_ONLY) || ((d->flags & INTERNAL) && !internal))
            continue;
        v[k] = (hv_iam_setting){
            .name = d->name, .type = d->type, .editable = (d->flags & EDITABLE) != 0};
        rc = hv_iam_setting_get(&v[k].value, ctx, d->name);
        if (rc)
            return rc;
        k++;
    }
    *out = v;
    *n = k;
    return HV_OK;
}

/* Whether value is one of the '|'-separated choices. */
static bool one_of(const char *choices, const char *value) {
    size_t len = strlen(value);

    for (const char *c = choices; *c;) {
        const char *bar = strchr(c, '|');
        size_t clen = bar ? (size_t)(bar - c) : strlen(c);
        if (clen == len && strncmp(c, value, len) == 0)
            return true;
        c += clen + (bar ? 1 : 0);
    }
    return false;
}

/* A decimal integer, optionally negative, within int64_t. */
static bool parse_int(const char *s, int64_t *out) {
    bool negative = *s == '-';
    uint64_t v;

    if (!hv_parse_u64(s + negative, strlen(s + negative), &v) || v > INT64_MAX)
        return false;
    *out = negative ? -(int64_t)v : (int64_t)v;
    return true;
}

/* "host:port" ("[v6]:port" too) with a port from 1 to 65535. */
static bool host_port(const char *s) {
    const char *colon = strrchr(s, ':');
    uint64_t port;

    if (!colon || colon == s || !hv_parse_u64(colon + 1, strlen(colon + 1), &port) || port < 1 ||
        port > 65535)
        return false;
    for (const char *c = s; c < colon; c++) {
        if (*c == ' ' || *c == '/' || *c == '@')
            return false;
    }
    return true;
}

/* Checks one requested change against its row. */
static hv_err check_change(hv_ctx *ctx, const setting_def *d, const hv_iam_setting *c) {
    const char *current;
    int64_t number;
    hv_err rc;

    if (c->type != d->type)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "configuration %s must be %s", d->name,
                       type_name(d->type));
    if (!(d->flags & EDITABLE)) {
        rc = hv_iam_setting_get(&current, ctx, d->name);
        if (rc == HV_OK && strcmp(current, c->value) != 0)
            rc = (d->flags & WRITE_ONLY)
                     ? HV_FAIL(ctx, HV_E_BAD_REQUEST,
                               "configuration %s cannot be set: Haven does not support it yet",
                               d->name)
                     : HV_FAIL(ctx, HV_E_BAD_REQUEST,
                               "configuration %s cannot be changed: Haven does not support it "
                               "yet and works with %s",
                               d->name, current);
        return rc;
    }
    if (d->choices && !one_of(d->choices, c->value))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "configuration %s must be one of %s, not %s", d->name,
                       d->choices, c->value);
    if (d->type == BOOL && strcmp(c->value, "true") != 0 && strcmp(c->value, "false") != 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "configuration %s must be true or false, not %s",
                       d->name, c->value);
    if ((d->flags & HOST_PORT) && *c->value && !host_port(c->value))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "configuration %s must be host:port (e.g. syslog.example.com:514) or "
                       "empty, not %s",
                       d->name, c->value);
    if (d->type == INT && (!parse_int(c->value, &number) || number < d->min || number > d->max))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "configuration %s must be from %lld to %lld", d->name,
                       (long long)d->min, (long long)d->max);
    return HV_OK;
}

typedef struct update_tx {
    const hv_iam_setting *changes;
    size_t n;
} update_tx;

static hv_err update_in_tx(hv_ctx *ctx, void *payload) {
    const update_tx *t = payload;
    hv_err rc = HV_OK;

    for (size_t i = 0; rc == HV_OK && i < t->n; i++)
        rc = hv_model_setting_set(ctx, t->changes[i].name, t->changes[i].value);
    return rc;
}

hv_err hv_iam_settings_update(hv_ctx *ctx, const hv_identity *who, const hv_iam_setting *changes,
                              size_t n) {
    hv_err rc = hv_auth_can(ctx, who, NULL, "configuration", "update");

    return rc ? rc : hv_iam_settings_apply(ctx, changes, n);
}

hv_err hv_iam_settings_apply(hv_ctx *ctx, const hv_iam_setting *changes, size_t n) {
    update_tx t = {.changes = changes, .n = n};
    hv_err rc = HV_OK;

    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        const setting_def *d = find(changes[i].name);

        if (!d || (d->flags & INTERNAL))
            rc = HV_FAIL(ctx, HV_E_BAD_REQUEST,
                         "%s is not a configuration; GET /api/v2.0/configurations lists them",
                         changes[i].name);
        else
            rc = check_change(ctx, d, &changes[i]);
    }
    return rc ? rc : hv_events_transaction(ctx, update_in_tx, &t);
}
