/*
 * Scanner registrations: the rules of Harbor's ScannerRegistrationReq, the built-in
 * registration, the default, and each project's choice.
 */
#include "auth/auth.h"
#include "events/events.h"
#include "scanner/scanner_int.h"

#include <string.h>

#define NAME_MAX_LEN 128
#define TEXT_MAX_LEN 1024
#define SEAL_PURPOSE "scanner.access_credential"
#define HIDDEN       "***"

hv_err hv_scanner_init(hv_ctx *ctx, const hv_scanner_config *cfg) {
    hv_scanner_reg *regs, builtin = {.name = HV_SCANNER_BUILTIN_NAME,
                                     .description = "Haven's built-in vulnerability scanner and "
                                                    "SBOM generator",
                                     .url = HV_SCANNER_BUILTIN_URL,
                                     .is_default = true,
                                     .builtin = true};
    hv_list all = {.page = 1, .page_size = 1};
    char uuid[37];
    size_t n;
    int64_t total, id;
    hv_err rc;

    hv_scanner__scan_init(cfg);
    rc = hv_model_scanner_list(&regs, &n, &total, ctx, &all);
    if (rc || total > 0)
        return rc;
    hv_uuid(uuid);
    builtin.uuid = uuid;
    rc = hv_model_scanner_create(&id, ctx, &builtin);
    if (rc == HV_E_CONFLICT) { /* another node registered it first */
        hv_error_clear(ctx);
        rc = HV_OK;
    }
    return rc;
}

/* ---------------------------------------------------------------- checks */

static hv_err check_length(hv_ctx *ctx, const char *field, const char *v, size_t max) {
    if (v && strlen(v) > max)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s is longer than %zu characters", field, max);
    return HV_OK;
}

hv_err hv_scanner__check_settings(hv_ctx *ctx, const hv_scanner_input *in) {
    const char *host;
    hv_err rc;

    if (!in->name || !*in->name)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "name is required");
    if (!in->url || !*in->url)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "url is required");
    rc = check_length(ctx, "name", in->name, NAME_MAX_LEN);
    if (rc == HV_OK)
        rc = check_length(ctx, "url", in->url, TEXT_MAX_LEN);
    if (rc == HV_OK)
        rc = check_length(ctx, "access_credential", in->access_credential, TEXT_MAX_LEN);
    if (rc)
        return rc;
    if (hv_str_has_prefix(in->url, "http://"))
        host = in->url + 7;
    else if (hv_str_has_prefix(in->url, "https://"))
        host = in->url + 8;
    else
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "url %s is not an http:// or https:// URL of the scanner adapter", in->url);
    if (!*host || *host == '/' || *host == ':' || strpbrk(in->url, " \t\r\n?#"))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "url %s has no host or is not a base URL", in->url);
    if (in->auth && *in->auth && strcmp(in->auth, "Basic") != 0 &&
        strcmp(in->auth, "Bearer") != 0 && strcmp(in->auth, "APIKey") != 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "auth %s is not one of \"\", \"Basic\", \"Bearer\" and \"APIKey\"",
                       in->auth);
    if (in->auth && *in->auth && (!in->access_credential || !*in->access_credential))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "auth %s needs an access_credential", in->auth);
    return HV_OK;
}

static hv_err check_input(hv_ctx *ctx, const hv_scanner_input *in) {
    hv_err rc = hv_scanner__check_settings(ctx, in);

    return rc ? rc : check_length(ctx, "description", in->description, TEXT_MAX_LEN);
}

/* in's fields into r, the credential sealed (kept as stored when in says "***"). */
static hv_err fill(hv_scanner_reg *r, hv_ctx *ctx, const hv_scanner_input *in) {
    const char *cred = in->access_credential ? in->access_credential : "";

    r->name = in->name;
    r->description = in->description ? in->description : "";
    r->url = in->url;
    r->auth = in->auth ? in->auth : "";
    r->skip_cert_verify = in->skip_cert_verify;
    r->use_internal_addr = in->use_internal_addr;
    r->disabled = in->disabled;
    if (!*r->auth)
        cred = "";
    if (strcmp(cred, HIDDEN) == 0 && r->access_credential && *r->access_credential)
        return HV_OK;
    return hv_auth_seal_text(&r->access_credential, ctx, SEAL_PURPOSE, cred);
}

/* ---------------------------------------------------------------- registrations */

hv_err hv_scanner_list(hv_scanner_reg **out, size_t *n, int64_t *total, hv_ctx *ctx,
                       const hv_list *list) {
    return hv_model_scanner_list(out, n, total, ctx, list);
}

hv_err hv_scanner_create(const char **uuid, hv_ctx *ctx, const hv_scanner_input *in) {
    hv_scanner_reg r = {0};
    char *id = hv_arena_alloc(ctx->arena, 37);
    int64_t row;
    hv_err rc = check_input(ctx, in);

    if (rc == HV_OK)
        rc = fill(&r, ctx, in);
    if (rc)
        return rc;
    hv_uuid(id);
    r.uuid = id;
    rc = hv_model_scanner_create(&row, ctx, &r);
    if (rc == HV_OK)
        *uuid = id;
    return rc;
}

hv_err hv_scanner_get(hv_scanner_reg *out, hv_ctx *ctx, const char *uuid) {
    return hv_model_scanner_get(out, ctx, uuid);
}

hv_err hv_scanner_update(hv_ctx *ctx, const char *uuid, const hv_scanner_input *in) {
    hv_scanner_reg r;
    hv_err rc = hv_model_scanner_get(&r, ctx, uuid);

    if (rc)
        return rc;
    if (r.builtin)
        return HV_FAIL(ctx, HV_E_DENIED, "the built-in scanner %s cannot be changed", r.name);
    rc = check_input(ctx, in);
    if (rc == HV_OK && in->disabled && r.is_default)
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST,
                     "scanner %s is the default and cannot be disabled: make another scanner "
                     "the default first",
                     r.name);
    if (rc == HV_OK)
        rc = fill(&r, ctx, in);
    return rc ? rc : hv_model_scanner_update(ctx, &r);
}

hv_err hv_scanner_delete(hv_scanner_reg *out, hv_ctx *ctx, const char *uuid) {
    hv_err rc = hv_model_scanner_get(out, ctx, uuid);

    if (rc)
        return rc;
    if (out->is_default)
        return HV_FAIL(ctx, HV_E_CONFLICT,
                       "scanner %s is the default and cannot be deleted: make another scanner "
                       "the default first",
                       out->name);
    return hv_model_scanner_delete(ctx, uuid);
}

static hv_err set_default_tx(hv_ctx *ctx, void *payload) {
    const char *uuid = payload;
    hv_scanner_reg r;
    hv_err rc = hv_model_scanner_get(&r, ctx, uuid);

    if (rc)
        return rc;
    if (r.disabled)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "scanner %s is disabled and cannot be the default: enable it first", r.name);
    return hv_model_scanner_set_default(ctx, uuid);
}

hv_err hv_scanner_set_default(hv_ctx *ctx, const char *uuid, bool is_default) {
    hv_scanner_reg r;

    if (!is_default) /* Harbor ignores a false: some registration stays the default */
        return hv_model_scanner_get(&r, ctx, uuid);
    return hv_events_transaction(ctx, set_default_tx, (void *)uuid);
}

/* ---------------------------------------------------------------- projects */

hv_err hv_scanner_of_project(hv_scanner_reg *out, hv_ctx *ctx, int64_t project_id) {
    bool found;
    hv_err rc = hv_model_scanner_of_project(out, &found, ctx, project_id);

    if (rc || found)
        return rc;
    rc = hv_model_scanner_default(out, ctx);
    if (rc == HV_E_NOT_FOUND) {
        hv_error_clear(ctx);
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "the project has no scanner and there is no default");
    }
    return rc;
}

hv_err hv_scanner_set_project(hv_ctx *ctx, int64_t project_id, const char *uuid) {
    hv_scanner_reg r;
    hv_err rc = hv_model_scanner_get(&r, ctx, uuid);

    if (rc)
        return rc;
    if (r.disabled)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "scanner %s is disabled", r.name);
    return hv_model_scanner_set_project(ctx, project_id, uuid);
}

/* The credential of reg in the clear (arena), for the adapter client. */
hv_err hv_scanner__credential(const char **out, hv_ctx *ctx, const hv_scanner_reg *reg) {
    return hv_auth_unseal_text(out, ctx, SEAL_PURPOSE, reg->access_credential);
}
