/* /ping, /health, /systeminfo, /systeminfo/volumes and /systeminfo/getcert. */
#include "api/api_int.h"
#include "iam/iam.h"

#include <string.h>
#include <sys/statvfs.h>

/* The Harbor release whose API Haven speaks, as /systeminfo names it. */
#define HARBOR_VERSION "v2.12.0-haven"

static hv_err ping(hv_req *r) {
    hv_resp_body(r, 200, "text/plain; charset=utf-8", "Pong", 4);
    return HV_OK;
}

/* One component of /health: Harbor gives "error" only to one that is unhealthy. */
static json_t *component(const char *name, bool healthy, const char *error) {
    json_t *c = json_pack("{s:s, s:s}", "name", name, "status", healthy ? "healthy" : "unhealthy");

    if (!healthy)
        json_object_set_new(c, "error", json_string(error));
    return c;
}

/* The database answers a query; the data directory is writable. */
static hv_err health(hv_req *r) {
    json_t *components = json_array();
    bool db_ok = hv_registry_ping(&r->ctx) == HV_OK;
    const char *db_error = db_ok ? "" : hv_arena_strdup(r->ctx.arena, r->ctx.err.message);
    struct statvfs st;
    bool storage_ok = statvfs(API(r)->cfg->data_dir, &st) == 0 && !(st.f_flag & ST_RDONLY);

    hv_error_clear(&r->ctx);
    json_array_append_new(components, component("core", true, ""));
    json_array_append_new(components, component("database", db_ok, db_error));
    json_array_append_new(components,
                          component("storage", storage_ok, "the data directory is not writable"));
    json_array_append_new(components, component("jobs", true, ""));
    return hv_api__json(r, 200,
                        json_pack("{s:s, s:o}", "status",
                                  db_ok && storage_ok ? "healthy" : "unhealthy", "components",
                                  components));
}

/* The settings GeneralInfo shows, under their own names: to everyone, or (protected) to
 * logged-in callers only, as Harbor splits it. */
static const struct {
    const char *name;
    bool is_bool;
    bool protected_;
} info_settings[] = {
    {"auth_mode", false, false},
    {"primary_auth_mode", true, false},
    {"self_registration", true, false},
    {"banner_message", false, false},
    {"project_creation_restriction", false, true},
    {"registry_storage_provider_name", false, true},
    {"read_only", true, true},
    {"notification_enable", true, true},
};

/* GeneralInfo.  Everyone is told how to log in (auth mode, whether it is the primary one,
 * the OIDC provider's name, self-registration), the version and the banner; logged-in
 * callers also the URLs, the time and the settings they act under. */
static hv_err systeminfo(hv_req *r) {
    bool logged_in = r->who.kind != HV_ID_ANONYMOUS;
    const char *url = API(r)->cfg->external_url;
    const char *host = strstr(url, "://");
    const char *auth_mode, *oidc_name, *v;
    json_t *info = json_object();
    char now[32];
    hv_err rc = HV_OK;

    for (size_t i = 0; rc == HV_OK && i < sizeof(info_settings) / sizeof(info_settings[0]); i++) {
        if (info_settings[i].protected_ && !logged_in)
            continue;
        rc = hv_iam_setting_get(&v, &r->ctx, info_settings[i].name);
        if (rc == HV_OK)
            json_object_set_new(info, info_settings[i].name,
                                info_settings[i].is_bool ? json_boolean(strcmp(v, "true") == 0)
                                                         : json_string(v));
    }
    if (rc == HV_OK)
        rc = hv_iam_setting_get(&auth_mode, &r->ctx, "auth_mode");
    if (rc == HV_OK)
        rc = hv_iam_setting_get(&oidc_name, &r->ctx, "oidc_name");
    if (rc) {
        json_decref(info);
        return rc;
    }
    json_object_set_new(info, "harbor_version", json_string(HARBOR_VERSION));
    /* Harbor names the provider only while OIDC is the auth mode */
    json_object_set_new(info, "oidc_provider_name",
                        json_string(strcmp(auth_mode, "oidc_auth") == 0 ? oidc_name : ""));
    if (logged_in) {
        hv_time_format(now, hv_now_ms());
        json_object_set_new(info, "current_time", json_string(now));
        json_object_set_new(info, "registry_url", json_string(host ? host + 3 : url));
        json_object_set_new(info, "external_url", json_string(url));
        json_object_set_new(info, "has_ca_root", json_false()); /* see getcert */
    }
    return hv_api__json(r, 200, info);
}

/* Harbor offers its CA for download when it terminates TLS with its own CA.  Haven serves
 * plain HTTP (TLS is a proxy's in front of it), so there is no CA to give: 404, as Harbor
 * answers when it has none, and has_ca_root is false. */
static hv_err getcert(hv_req *r) {
    return HV_FAIL(&r->ctx, HV_E_NOT_FOUND,
                   "no CA certificate: Haven does not terminate TLS itself; ask whoever runs "
                   "the TLS proxy in front of it for its CA");
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
HV_API_HANDLER(getcert_handler, getcert);

const hv_api__route hv_api__system_routes[] = {
    {"GET", "/ping", &ping_handler},
    {"GET", "/health", &health_handler},
    {"GET", "/systeminfo", &systeminfo_handler},
    {"GET", "/systeminfo/volumes", &volumes_handler},
    {"GET", "/systeminfo/getcert", &getcert_handler},
    {NULL, NULL, NULL},
};
