/*
 * The registry token service, GET /service/token?service=harbor-registry&scope=…: the
 * caller (Basic credentials, or anonymous) gets an RS256 JWT granting, of the scopes asked
 * for, the actions it may perform.  docker, podman and skopeo come here after a Bearer
 * challenge on /v2.
 */
#include "api/api_int.h"

#include <string.h>

static hv_err token_run(hv_req *r) {
    const char *service = hv_req_query(r, "service");
    const char *token;
    int64_t expires_in;
    size_t n = 0;
    const char **scopes = hv_req_query_all(r, "scope", &n);
    char issued[32];
    hv_err rc;

    if (service && strcmp(service, "harbor-registry") != 0)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "unknown service %s: use harbor-registry",
                       service);
    if (r->who.kind == HV_ID_ANONYMOUS && n == 0)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    rc = hv_auth_token_issue(&token, &expires_in, &r->ctx, &r->who, scopes, n);
    if (rc)
        return rc;
    hv_time_format(issued, hv_now_ms());
    hv_resp_header(r, "Cache-Control", "no-store");
    return hv_api__json(r, 200,
                        json_pack("{s:s, s:s, s:I, s:s}", "token", token, "access_token", token,
                                  "expires_in", (json_int_t)expires_in, "issued_at", issued));
}

static const hv_handler token_handler = {.run = token_run};

static const hv_handler *route(hv_req *r, void *payload) {
    hv_api *api = hv_arena_alloc(r->ctx.arena, sizeof(*api));

    api->cfg = payload;
    api->reg = api->cfg->reg;
    r->state = api;
    if (strcmp(r->path, "/service/token") != 0 && strcmp(r->path, "/service/token/") != 0) {
        HV_FAIL(&r->ctx, HV_E_NOT_FOUND, "no such endpoint: %s", r->path);
        return NULL;
    }
    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
        HV_FAIL(&r->ctx, HV_E_METHOD, "%s is not allowed on /service/token", r->method);
        return NULL;
    }
    return &token_handler;
}

void hv_api__mount_token(hv_http_server *s, const hv_api_config *cfg) {
    hv_http_mount(s, "/service/token", HV_API_HARBOR, route, (void *)cfg);
}
