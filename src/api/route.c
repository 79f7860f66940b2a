/*
 * Routing of /api/v2.0: each resource file contributes a table of (method, pattern,
 * handler); a pattern's "{x}" segments capture into r->params in order.  The path arrives
 * decoded once by the server, so a double-encoded repository name ("a%252Fb") is one
 * segment here ("a%2Fb") that the handler decodes again.
 */
#include "api/api_int.h"

#include <string.h>

static const hv_api__route *const tables[] = {
    hv_api__system_routes,
    hv_api__user_routes,
    hv_api__project_routes,
    hv_api__member_routes,
    hv_api__robot_routes,
    hv_api__robot_v1_routes,
    hv_api__audit_routes,
    hv_api__repository_routes,
    hv_api__artifact_routes,
    hv_api__label_routes,
    hv_api__quota_routes,
    hv_api__immutable_routes,
    hv_api__search_routes,
    hv_api__project_metadata_routes,
    hv_api__configuration_routes,
    hv_api__icon_routes,
    hv_api__retention_routes,
    hv_api__jobservice_routes,
    hv_api__gc_routes,
    hv_api__purgeaudit_routes,
    hv_api__scanner_routes,
    hv_api__allowlist_routes,
};

#define PREFIX "/api/v2.0"

/* Matches path against pattern, capturing parameters; false when they differ. */
static bool match(hv_req *r, const char *pattern, const char *path) {
    const char *p = pattern, *s = path;
    int n = 0;

    while (*p && *s) {
        if (*p != '/' || *s != '/')
            return false;
        p++;
        s++;
        const char *pend = strchr(p, '/'), *send = strchr(s, '/');
        size_t plen = pend ? (size_t)(pend - p) : strlen(p);
        size_t slen = send ? (size_t)(send - s) : strlen(s);
        if (plen > 1 && p[0] == '{' && p[plen - 1] == '}') {
            if (slen == 0 || n == HV_REQ_MAX_PARAMS)
                return false;
            r->params[n++] = hv_arena_strndup(r->ctx.arena, s, slen);
        } else if (plen != slen || strncmp(p, s, plen) != 0) {
            return false;
        }
        p += plen;
        s += slen;
    }
    return *p == '\0' && *s == '\0';
}

static const hv_handler *route(hv_req *r, void *payload) {
    hv_api *api = hv_arena_alloc(r->ctx.arena, sizeof(*api));
    const char *path = r->path + strlen(PREFIX);
    bool path_known = false;
    char *trimmed;
    size_t len;

    api->cfg = payload;
    api->reg = api->cfg->reg;
    r->state = api;
    /* "/projects/" is "/projects" */
    len = strlen(path);
    trimmed = hv_arena_strndup(r->ctx.arena, path, len);
    while (len > 1 && trimmed[len - 1] == '/')
        trimmed[--len] = '\0';
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
        for (const hv_api__route *rt = tables[t]; rt->method; rt++) {
            if (!match(r, rt->pattern, trimmed))
                continue;
            path_known = true;
            if (strcmp(rt->method, r->method) == 0 ||
                (strcmp(r->method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0))
                return rt->handler;
        }
    }
    memset(r->params, 0, sizeof(r->params));
    if (path_known)
        HV_FAIL(&r->ctx, HV_E_METHOD, "%s is not allowed on %s", r->method, r->path);
    else
        HV_FAIL(&r->ctx, HV_E_NOT_FOUND, "no such API endpoint: %s", r->path);
    return NULL;
}

void hv_api_mount(hv_http_server *s, const hv_api_config *cfg) {
    hv_http_mount(s, PREFIX "/", HV_API_HARBOR, route, (void *)cfg);
    hv_api__mount_token(s, cfg);
}
