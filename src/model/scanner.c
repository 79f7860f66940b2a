/*
 * Scanner registrations (Harbor's ScannerRegistration) and the registration each project
 * chose.  A registration's name and url are unique (409 naming which), and at most one is
 * the default (a partial unique index; hv_model_scanner_set_default moves it in two steps,
 * so it runs inside the caller's transaction).
 */
#include "model/model_int.h"

#include <string.h>

#define SCANNER_COLUMNS                                                                            \
    "s.id, s.uuid, s.name, s.description, s.url, s.auth, s.access_credential,"                     \
    " s.skip_cert_verify, s.use_internal_addr, s.disabled, s.is_default, s.builtin,"               \
    " s.creation_time, s.update_time"
#define SCANNER_SELECT "SELECT " SCANNER_COLUMNS " FROM scanner_registration s"

static void read_scanner(hv_scanner_reg *out, hv_ctx *ctx, hv_stmt *st) {
    out->id = hv_stmt_int(st, 0);
    out->uuid = hv_model__text(ctx, st, 1);
    out->name = hv_model__text(ctx, st, 2);
    out->description = hv_model__text(ctx, st, 3);
    out->url = hv_model__text(ctx, st, 4);
    out->auth = hv_model__text(ctx, st, 5);
    out->access_credential = hv_model__text(ctx, st, 6);
    out->skip_cert_verify = hv_stmt_int(st, 7) != 0;
    out->use_internal_addr = hv_stmt_int(st, 8) != 0;
    out->disabled = hv_stmt_int(st, 9) != 0;
    out->is_default = hv_stmt_int(st, 10) != 0;
    out->builtin = hv_stmt_int(st, 11) != 0;
    out->creation_time = hv_stmt_int(st, 12);
    out->update_time = hv_stmt_int(st, 13);
}

/* One registration of a query with the given arguments (types), or not_found's message. */
static hv_err get_one(hv_scanner_reg *out, hv_ctx *ctx, const char *sql, const char *not_found,
                      const char *types, const char *text) {
    hv_stmt *st;
    bool row;
    hv_err rc = types ? hv_model__query(&st, &row, ctx, sql, types, text)
                      : hv_model__query(&st, &row, ctx, sql, "");

    if (rc)
        return rc;
    if (row)
        read_scanner(out, ctx, st);
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "%s", not_found);
}

/* After a unique violation of r: which field another registration has. */
static hv_err taken(hv_ctx *ctx, const hv_scanner_reg *r) {
    static const char *sql = "SELECT 1 FROM scanner_registration WHERE name = ? AND uuid <> ?";
    hv_stmt *st;
    bool row = false;
    hv_err rc;

    hv_error_clear(ctx);
    rc = hv_model__query(&st, &row, ctx, sql, "tt", r->name, r->uuid);
    if (rc)
        return rc;
    hv_stmt_reset(st);
    if (row)
        return HV_FAIL(ctx, HV_E_CONFLICT, "a scanner named %s is already registered", r->name);
    return HV_FAIL(ctx, HV_E_CONFLICT, "a scanner at %s is already registered", r->url);
}

static const char *sql_scanner_insert =
    "INSERT INTO scanner_registration (uuid, name, description, url, auth, access_credential,"
    " skip_cert_verify, use_internal_addr, disabled, is_default, builtin, creation_time,"
    " update_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id";

hv_err hv_model_scanner_create(int64_t *out_id, hv_ctx *ctx, const hv_scanner_reg *r) {
    int64_t now = hv_now_ms();
    hv_err rc = HV_OK;

    if (r->is_default)
        rc = hv_model__exec(
            NULL, ctx, "UPDATE scanner_registration SET is_default = 0 WHERE is_default = 1", "");
    if (rc == HV_OK)
        rc = hv_model__insert(out_id, ctx, sql_scanner_insert, "ttttttiiiiiii", r->uuid, r->name,
                              r->description ? r->description : "", r->url, r->auth ? r->auth : "",
                              r->access_credential ? r->access_credential : "",
                              (int64_t)r->skip_cert_verify, (int64_t)r->use_internal_addr,
                              (int64_t)r->disabled, (int64_t)r->is_default, (int64_t)r->builtin,
                              now, now);
    return rc == HV_E_CONFLICT ? taken(ctx, r) : rc;
}

hv_err hv_model_scanner_get(hv_scanner_reg *out, hv_ctx *ctx, const char *uuid) {
    return get_one(out, ctx, SCANNER_SELECT " WHERE s.uuid = ?",
                   hv_arena_printf(ctx->arena, "scanner registration %s not found", uuid), "t",
                   uuid);
}

hv_err hv_model_scanner_default(hv_scanner_reg *out, hv_ctx *ctx) {
    return get_one(out, ctx, SCANNER_SELECT " WHERE s.is_default = 1",
                   "no scanner is the default one", NULL, NULL);
}

hv_err hv_model_scanner_builtin(hv_scanner_reg *out, hv_ctx *ctx) {
    return get_one(out, ctx, SCANNER_SELECT " WHERE s.builtin = 1", "no built-in scanner", NULL,
                   NULL);
}

static const hv_model__column scanner_columns[] = {
    {"name", "s.name", 't'},
    {"description", "s.description", 't'},
    {"url", "s.url", 't'},
    {"auth", "s.auth", 't'},
    {"disabled", "s.disabled = 1", 'b'},
    {"is_default", "s.is_default = 1", 'b'},
    {"creation_time", "s.creation_time", 'm'},
    {"update_time", "s.update_time", 'm'},
    {NULL, NULL, 0},
};

hv_err hv_model_scanner_list(hv_scanner_reg **out, size_t *n, int64_t *total, hv_ctx *ctx,
                             const hv_list *list) {
    hv_stmt *st = NULL;
    size_t cap = 4, count = 0;
    hv_scanner_reg *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    bool row = false;
    hv_err rc =
        hv_model__list(&st, total, ctx, SCANNER_SELECT, scanner_columns, "s.id", list, NULL, 0);

    if (rc == HV_OK)
        rc = hv_stmt_step(st, ctx, &row);
    while (rc == HV_OK && row) {
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_scanner(&v[count++], ctx, st);
        rc = hv_stmt_step(st, ctx, &row);
    }
    hv_stmt_free(st);
    *out = v;
    *n = rc ? 0 : count;
    return rc;
}

static const char *sql_scanner_update =
    "UPDATE scanner_registration SET name = ?, description = ?, url = ?, auth = ?,"
    " access_credential = ?, skip_cert_verify = ?, use_internal_addr = ?, disabled = ?,"
    " update_time = ? WHERE uuid = ?";

hv_err hv_model_scanner_update(hv_ctx *ctx, const hv_scanner_reg *r) {
    int64_t changed = 0;
    hv_err rc = hv_model__exec(&changed, ctx, sql_scanner_update, "tttttiiiit", r->name,
                               r->description ? r->description : "", r->url, r->auth ? r->auth : "",
                               r->access_credential ? r->access_credential : "",
                               (int64_t)r->skip_cert_verify, (int64_t)r->use_internal_addr,
                               (int64_t)r->disabled, hv_now_ms(), r->uuid);

    if (rc == HV_E_CONFLICT)
        return taken(ctx, r);
    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "scanner registration %s not found", r->uuid);
    return rc;
}

hv_err hv_model_scanner_set_default(hv_ctx *ctx, const char *uuid) {
    int64_t changed = 0;
    hv_err rc = hv_model__exec(
        NULL, ctx, "UPDATE scanner_registration SET is_default = 0 WHERE is_default = 1", "");

    if (rc == HV_OK)
        rc = hv_model__exec(&changed, ctx,
                            "UPDATE scanner_registration SET is_default = 1, update_time = ?"
                            " WHERE uuid = ?",
                            "it", hv_now_ms(), uuid);
    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "scanner registration %s not found", uuid);
    return rc;
}

hv_err hv_model_scanner_delete(hv_ctx *ctx, const char *uuid) {
    int64_t changed = 0;
    hv_err rc =
        hv_model__exec(&changed, ctx, "DELETE FROM scanner_registration WHERE uuid = ?", "t", uuid);

    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "scanner registration %s not found", uuid);
    return rc;
}

hv_err hv_model_scanner_of_project(hv_scanner_reg *out, bool *found, hv_ctx *ctx,
                                   int64_t project_id) {
    hv_stmt *st;
    hv_err rc =
        hv_model__query(&st, found, ctx,
                        SCANNER_SELECT " JOIN project_scanner ps ON ps.registration_id = s.id"
                                       " WHERE ps.project_id = ?",
                        "i", project_id);

    if (rc)
        return rc;
    if (*found)
        read_scanner(out, ctx, st);
    hv_stmt_reset(st);
    return HV_OK;
}

static const char *sql_set_project =
    "INSERT INTO project_scanner (project_id, registration_id)"
    " SELECT ?, id FROM scanner_registration WHERE uuid = ?"
    " ON CONFLICT (project_id) DO UPDATE SET registration_id = excluded.registration_id";

hv_err hv_model_scanner_set_project(hv_ctx *ctx, int64_t project_id, const char *uuid) {
    int64_t changed = 0;
    hv_err rc = hv_model__exec(&changed, ctx, sql_set_project, "it", project_id, uuid);

    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "scanner registration %s not found", uuid);
    return rc;
}
