/*
 * GET and PUT /configurations, GET /internalconfig: the system settings in Harbor's shapes.
 * GET wraps each value as {value, editable} (ConfigurationsResponse; the internal list is a
 * map of the same items); PUT takes a flat object of the settings to change.  Which settings
 * exist, their defaults, which Haven lets change and who may read or change them are the
 * rules of src/iam/settings.c.
 */
#include "api/api_int.h"
#include "iam/iam.h"

#include <stdlib.h>

static json_t *setting_value(const hv_iam_setting *s) {
    switch (s->type) {
    case HV_IAM_SETTING_BOOL:
        return json_boolean(s->value[0] == 't');
    case HV_IAM_SETTING_INT:
        return json_integer((json_int_t)strtoll(s->value, NULL, 10));
    default:
        return json_string(s->value);
    }
}

static hv_err list(hv_req *r, bool internal) {
    hv_iam_setting *settings;
    size_t n;
    json_t *o;
    hv_err rc = hv_iam_settings_list(&settings, &n, &r->ctx, &r->who, internal);

    if (rc)
        return rc;
    o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, settings[i].name,
                            json_pack("{s:o, s:b}", "value", setting_value(&settings[i]),
                                      "editable", settings[i].editable));
    return hv_api__json(r, 200, o);
}

static hv_err get_configurations(hv_req *r) {
    return list(r, false);
}

static hv_err get_internal(hv_req *r) {
    return list(r, true);
}

/* A value of the body as the service takes it: its JSON type and its text. */
static hv_iam_setting change_of(hv_req *r, const char *name, json_t *v) {
    hv_iam_setting c = {.name = hv_arena_strdup(r->ctx.arena, name), .value = ""};

    if (json_is_string(v)) {
        c.type = HV_IAM_SETTING_STRING;
        c.value = hv_arena_strdup(r->ctx.arena, json_string_value(v));
    } else if (json_is_boolean(v)) {
        c.type = HV_IAM_SETTING_BOOL;
        c.value = json_is_true(v) ? "true" : "false";
    } else if (json_is_integer(v)) {
        c.type = HV_IAM_SETTING_INT;
        c.value = hv_arena_printf(r->ctx.arena, "%lld", (long long)json_integer_value(v));
    } else {
        c.type = HV_IAM_SETTING_OTHER;
    }
    return c;
}

static hv_err put_configurations(hv_req *r) {
    json_t *body = NULL, *v;
    const char *key;
    hv_iam_setting *changes;
    size_t n = 0;
    hv_err rc = hv_api__json_body(&body, r);

    if (rc)
        return rc;
    changes = hv_arena_alloc(r->ctx.arena, (json_object_size(body) + 1) * sizeof(*changes));
    json_object_foreach(body, key, v) {
        changes[n++] = change_of(r, key, v);
    }
    json_decref(body);
    rc = hv_iam_settings_update(&r->ctx, &r->who, changes, n);
    return rc ? rc : hv_api__ok(r);
}

HV_API_HANDLER(get_handler, get_configurations);
HV_API_HANDLER(put_handler, put_configurations);
HV_API_HANDLER(internal_handler, get_internal);

const hv_api__route hv_api__configuration_routes[] = {
    {"GET", "/configurations", &get_handler},
    {"PUT", "/configurations", &put_handler},
    {"GET", "/internalconfig", &internal_handler},
    {NULL, NULL, NULL},
};
