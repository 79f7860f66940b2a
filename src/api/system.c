/* /ping, /health and /systeminfo. */
#include "api/api_int.h"
#include "db/db.h"

#include <string.h>
#include <sys/statvfs.h>

static hv_err ping(hv_req *r) {
    hv_resp_body(r, 200, "text/plain; charset=utf-8", "Pong", 4);
    return HV_OK;
}

/* The database answers a query; the data directory is writable. */
static hv_err health(hv_req *r) {
    json_t *components = json_array();
    hv_err db_rc = hv_db_exec(r->ctx.db, &r->ctx, "SELECT 1");
    struct statvfs st;
    bool storage_ok = statvfs(API(r)->cfg->data_dir, &st) == 0 && !(st.f_flag & ST_RDONLY);
    bool healthy = db_rc == HV_OK && storage_ok;

    json_array_append_new(components, json_pack("{s:s, s:s}", "name", "core", "status", "healthy"));
    json_array_append_new(components, json_pack("{s:s, s:s, s:s}", "name", "database", "status",
                                                db_rc == HV_OK ? "healthy" : "unhealthy", "error",
                                                db_rc == HV_OK ? "" : r->ctx.err.message));
    json_array_append_new(components, json_pack("{s:s, s:s, s:s}", "name", "storage", "status",
                                                storage_ok ? "healthy" : "unhealthy", "error",
                                                storage_ok ? "" : "data directory not writable"));
    json_array_append_new(components, json_pack("{s:s, s:s}", "name", "jobs", "status", "healthy"));
    hv_error_clear(&r->ctx);
    return hv_api__json(r, 200,
                        json_pack("{s:s, s:o}", "status", healthy ? "healthy" : "unhealthy",
                                  "components", components));
}

static hv_err systeminfo(hv_req *r) {
    const char *restriction = "everyone";
    const char *url = API(r)->cfg->external_url;
    const char *host = strstr(url, "://");
    json_t *info;
    char now[32];
    hv_err rc;

    rc = hv_model_setting_get(&restriction, &r->ctx, "project_creation_restriction", "everyone");
    if (rc)
        return rc;
    hv_time_format(now, hv_now_ms());
    info = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s, s:s, s:b, s:b}", "current_time", now,
                     "registry_url", host ? host + 3 : url, "external_url", url, "auth_mode",
                     "db_auth", "project_creation_restriction", restriction, "self_registration", 0,
                     "has_ca_root", 0, "harbor_version", "v2.12.0-haven",
                     "registry_storage_provider_name", "filesystem", "read_only", 0,
                     "notification_enable", 1);
    json_object_set_new(info, "banner_message", json_string(""));
    return hv_api__json(r, 200, info);
}

static hv_err volumes(hv_req *r) {
    struct statvfs st;
    hv_err rc = hv_api__can(r, NULL, "system-volumes", "read");

    if (rc)
        return rc;
    if (statvfs(API(r)->cfg->data_dir, &st) != 0)
        return HV_FAIL(&r->ctx, HV_E_IO, "cannot read the size of the data directory");
    return hv_api__json(r, 200,
                        json_pack("{s:[{s:I, s:I}]}", "storage", "total",
                                  (json_int_t)(st.f_blocks * st.f_frsize), "free",
                                  (json_int_t)(st.f_bavail * st.f_frsize)));
}

HV_API_HANDLER(ping_handler, ping);
HV_API_HANDLER(health_handler, health);
HV_API_HANDLER(systeminfo_handler, systeminfo);
HV_API_HANDLER(volumes_handler, volumes);

const hv_api__route hv_api__system_routes[] = {
    {"GET", "/ping", &ping_handler},
    {"GET", "/health", &health_handler},
    {"GET", "/systeminfo", &systeminfo_handler},
    {"GET", "/systeminfo/volumes", &volumes_handler},
    {NULL, NULL, NULL},
};
