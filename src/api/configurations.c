/*
 * GET and PUT /configurations: the system settings a Harbor administrator changes at run
 * time, in Harbor's shapes (GET wraps each value as {value, editable}; PUT takes a flat
 * object).  Haven keeps the settings it acts on: project_creation_restriction
 * ("everyone" | "adminonly").  The others it reports read-only with the value it works with
 * (auth_mode db_auth, self_registration off, robot_name_prefix robot$); a PUT of a setting
 * Haven does not act on is refused with a message naming it, so a script learns at once
 * rather than believing a setting took effect.
 */
#include "api/api_int.h"
#include "iam/iam.h"

#include <string.h>

static hv_err get_configurations(hv_req *r) {
    const char *restriction;
    json_t *o;
    hv_err rc = hv_api__can(r, NULL, "configuration", "read");

    if (rc == HV_OK)
        rc =
            hv_model_setting_get(&restriction, &r->ctx, "project_creation_restriction", "everyone");
    if (rc)
        return rc;
    o = json_pack("{s:{s:s, s:b}, s:{s:s, s:b}, s:{s:b, s:b}, s:{s:s, s:b}, s:{s:b, s:b}}",
                  "project_creation_restriction", "value", restriction, "editable", 1, "auth_mode",
                  "value", "db_auth", "editable", 0, "self_registration", "value", 0, "editable", 0,
                  "robot_name_prefix", "value", "robot$", "editable", 0, "read_only", "value", 0,
                  "editable", 0);
    return hv_api__json(r, 200, o);
}

static hv_err put_configurations(hv_req *r) {
    json_t *body = NULL, *v;
    const char *key, *restriction = NULL;
    hv_err rc = hv_api__can(r, NULL, "configuration", "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        return rc;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "project_creation_restriction") != 0) {
            rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                         "the configuration %s is not supported by Haven; supported: "
                         "project_creation_restriction",
                         key);
            goto out;
        }
        if (!json_is_string(v)) {
            rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                         "project_creation_restriction must be \"everyone\" or \"adminonly\"");
            goto out;
        }
        restriction = hv_arena_strdup(r->ctx.arena, json_string_value(v));
    }
    if (restriction)
        rc = hv_iam_set_project_creation_restriction(&r->ctx, restriction);
out:
    json_decref(body);
    return rc ? rc : hv_api__ok(r);
}

HV_API_HANDLER(get_handler, get_configurations);
HV_API_HANDLER(put_handler, put_configurations);

const hv_api__route hv_api__configuration_routes[] = {
    {"GET", "/configurations", &get_handler},
    {"PUT", "/configurations", &put_handler},
    {NULL, NULL, NULL},
};
