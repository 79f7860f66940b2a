/*
 * /scanners and /projects/{p}/scanner (harbor-api.md §1.5): scanner registrations, the
 * default, each registration's adapter metadata, and the scanner of a project.  The rules
 * are the scanner service's (src/scanner/); these handlers check the caller's permission,
 * parse, call and render.  {registration_id} is a registration's uuid, as in Harbor.
 */
#include "api/api_int.h"
#include "scanner/scanner.h"

#include <string.h>

static json_t *reg_json(hv_req *r, const hv_scanner_reg *s) {
    hv_scanner_health h;
    json_t *o = json_object();

    hv_scanner_health_of(&h, &r->ctx, s);
    json_object_set_new(o, "uuid", json_string(s->uuid));
    json_object_set_new(o, "name", json_string(s->name));
    json_object_set_new(o, "description", json_string(s->description));
    json_object_set_new(o, "url", json_string(s->url));
    json_object_set_new(o, "disabled", json_boolean(s->disabled));
    json_object_set_new(o, "is_default", json_boolean(s->is_default));
    json_object_set_new(o, "auth", json_string(s->auth));
    /* sealed in the database and never shown */
    json_object_set_new(o, "access_credential", json_string(*s->access_credential ? "***" : ""));
    json_object_set_new(o, "skip_certVerify", json_boolean(s->skip_cert_verify));
    json_object_set_new(o, "use_internal_addr", json_boolean(s->use_internal_addr));
    json_object_set_new(o, "create_time", hv_api__time(s->creation_time));
    json_object_set_new(o, "update_time", hv_api__time(s->update_time));
    json_object_set_new(o, "health", json_string(h.healthy ? "healthy" : "unhealthy"));
    if (h.healthy) {
        json_object_set_new(o, "adapter", json_string(h.adapter));
        json_object_set_new(o, "vendor", json_string(h.vendor));
        json_object_set_new(o, "version", json_string(h.version));
        json_object_set_new(o, "capabilities",
                            json_pack("{s:b, s:b}", "support_vulnerability", h.vulnerability,
                                      "support_sbom", h.sbom));
    }
    return o;
}

/* Harbor's ScannerRegistrationReq (or ScannerRegistrationSettings) from the body. */
static hv_err parse_input(hv_scanner_input *in, hv_req *r, json_t **body) {
    hv_err rc = hv_api__json_body(body, r);
    const char **strs[] = {&in->name, &in->description, &in->url, &in->auth,
                           &in->access_credential};
    const char *str_keys[] = {"name", "description", "url", "auth", "access_credential"};
    bool *bools[] = {&in->skip_cert_verify, &in->use_internal_addr, &in->disabled};
    const char *bool_keys[] = {"skip_certVerify", "use_internal_addr", "disabled"};

    for (size_t i = 0; rc == HV_OK && i < 5; i++)
        rc = hv_api__str(strs[i], r, *body, str_keys[i]);
    for (size_t i = 0; rc == HV_OK && i < 3; i++)
        rc = hv_api__bool(bools[i], r, *body, bool_keys[i]);
    return rc;
}

/* ---------------------------------------------------------------- /scanners */

/* A page of every registration (after the caller's permission check). */
static hv_err render_list(hv_req *r) {
    hv_list l;
    hv_scanner_reg *regs;
    size_t n;
    int64_t total;
    json_t *items;
    hv_err rc = hv_api__list_params(&l, r);

    if (rc == HV_OK)
        rc = hv_scanner_list(&regs, &n, &total, &r->ctx, &l);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, reg_json(r, &regs[i]));
    return hv_api__page(r, &l, total, items);
}

static hv_err list_scanners(hv_req *r) {
    hv_err rc = hv_api__can(r, NULL, "scanner", "list");

    return rc ? rc : render_list(r);
}

static hv_err create_scanner(hv_req *r) {
    hv_scanner_input in = {0};
    json_t *body = NULL;
    const char *uuid;
    hv_err rc = hv_api__can(r, NULL, "scanner", "create");

    if (rc == HV_OK)
        rc = parse_input(&in, r, &body);
    if (rc == HV_OK)
        rc = hv_scanner_create(&uuid, &r->ctx, &in);
    if (rc == HV_OK)
        rc = hv_api__created(r, hv_arena_printf(r->ctx.arena, "/api/v2.0/scanners/%s", uuid));
    json_decref(body);
    return rc;
}

static hv_err ping_scanner(hv_req *r) {
    hv_scanner_input in = {0};
    json_t *body = NULL;
    hv_err rc = hv_api__can(r, NULL, "scanner", "create");

    if (rc == HV_OK)
        rc = parse_input(&in, r, &body);
    if (rc == HV_OK)
        rc = hv_scanner_ping(&r->ctx, &in);
    if (rc == HV_OK)
        rc = hv_api__ok(r);
    json_decref(body);
    return rc;
}

static hv_err get_scanner(hv_req *r) {
    hv_scanner_reg s;
    hv_err rc = hv_api__can(r, NULL, "scanner", "read");

    if (rc == HV_OK)
        rc = hv_scanner_get(&s, &r->ctx, r->params[0]);
    return rc ? rc : hv_api__json(r, 200, reg_json(r, &s));
}

static hv_err update_scanner(hv_req *r) {
    hv_scanner_input in = {0};
    json_t *body = NULL;
    hv_err rc = hv_api__can(r, NULL, "scanner", "update");

    if (rc == HV_OK)
        rc = parse_input(&in, r, &body);
    if (rc == HV_OK)
        rc = hv_scanner_update(&r->ctx, r->params[0], &in);
    if (rc == HV_OK)
        rc = hv_api__ok(r);
    json_decref(body);
    return rc;
}

static hv_err delete_scanner(hv_req *r) {
    hv_scanner_reg s;
    hv_err rc = hv_api__can(r, NULL, "scanner", "delete");

    if (rc == HV_OK)
        rc = hv_scanner_delete(&s, &r->ctx, r->params[0]);
    return rc ? rc : hv_api__json(r, 200, reg_json(r, &s));
}

static hv_err set_default(hv_req *r) {
    json_t *body = NULL;
    bool is_default = false;
    hv_err rc = hv_api__can(r, NULL, "scanner", "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK && !json_is_boolean(json_object_get(body, "is_default")))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "is_default (a boolean) is required");
    if (rc == HV_OK)
        rc = hv_api__bool(&is_default, r, body, "is_default");
    if (rc == HV_OK)
        rc = hv_scanner_set_default(&r->ctx, r->params[0], is_default);
    if (rc == HV_OK)
        rc = hv_api__ok(r);
    json_decref(body);
    return rc;
}

static hv_err scanner_metadata(hv_req *r) {
    hv_scanner_reg s;
    json_t *m;
    hv_err rc = hv_api__can(r, NULL, "scanner", "read");

    if (rc == HV_OK)
        rc = hv_scanner_get(&s, &r->ctx, r->params[0]);
    if (rc == HV_OK)
        rc = hv_scanner_metadata(&m, &r->ctx, &s);
    return rc ? rc : hv_api__json(r, 200, m);
}

/* ---------------------------------------------------------------- /projects/{p}/scanner */

static hv_err project_scanner(hv_req *r) {
    hv_project p;
    hv_scanner_reg s;
    hv_err rc = hv_api__project_load(&p, r, "scanner", "read");

    if (rc == HV_OK)
        rc = hv_scanner_of_project(&s, &r->ctx, p.id);
    return rc ? rc : hv_api__json(r, 200, reg_json(r, &s));
}

static hv_err set_project_scanner(hv_req *r) {
    hv_project p;
    json_t *body = NULL;
    const char *uuid = NULL;
    hv_err rc = hv_api__project_load(&p, r, "scanner", "create");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&uuid, r, body, "uuid");
    if (rc == HV_OK && (!uuid || !*uuid))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "uuid (the scanner registration's) is required");
    if (rc == HV_OK)
        rc = hv_scanner_set_project(&r->ctx, p.id, uuid);
    if (rc == HV_OK)
        rc = hv_api__ok(r);
    json_decref(body);
    return rc;
}

/* Every registration is a candidate, as in Harbor. */
static hv_err scanner_candidates(hv_req *r) {
    hv_project p;
    hv_err rc = hv_api__project_load(&p, r, "scanner", "create");

    return rc ? rc : render_list(r);
}

HV_API_HANDLER(h_list, list_scanners);
HV_API_HANDLER(h_create, create_scanner);
HV_API_HANDLER(h_ping, ping_scanner);
HV_API_HANDLER(h_get, get_scanner);
HV_API_HANDLER(h_update, update_scanner);
HV_API_HANDLER(h_delete, delete_scanner);
HV_API_HANDLER(h_default, set_default);
HV_API_HANDLER(h_metadata, scanner_metadata);
HV_API_HANDLER(h_project, project_scanner);
HV_API_HANDLER(h_project_set, set_project_scanner);
HV_API_HANDLER(h_candidates, scanner_candidates);

const hv_api__route hv_api__scanner_routes[] = {
    {"GET", "/scanners", &h_list},
    {"POST", "/scanners", &h_create},
    {"POST", "/scanners/ping", &h_ping},
    {"GET", "/scanners/{registration_id}", &h_get},
    {"PUT", "/scanners/{registration_id}", &h_update},
    {"DELETE", "/scanners/{registration_id}", &h_delete},
    {"PATCH", "/scanners/{registration_id}", &h_default},
    {"GET", "/scanners/{registration_id}/metadata", &h_metadata},
    {"GET", "/projects/{project_name_or_id}/scanner", &h_project},
    {"PUT", "/projects/{project_name_or_id}/scanner", &h_project_set},
    {"GET", "/projects/{project_name_or_id}/scanner/candidates", &h_candidates},
    {NULL, NULL, NULL},
};
