/*
 * Shared between the files of the api module only: the route table, per-request state and
 * the helpers every handler uses.  Each resource file defines its routes as an array of
 * hv_api__route ending with {NULL}, listed in route.c.
 */
#ifndef HV_API_INT_H
#define HV_API_INT_H

#include "api/api.h"
#include "iam/iam.h"
#include "model/model.h"

#include <jansson.h>

/* A route: method and a pattern of segments, "{x}" capturing one segment into params. */
typedef struct hv_api__route {
    const char *method;
    const char *pattern; /* relative to /api/v2.0, e.g. "/projects/{project}/members/{id}" */
    const hv_handler *handler;
} hv_api__route;

/* The per-request state of every API handler (in the request arena). */
typedef struct hv_api {
    hv_registry *reg;
    const hv_api_config *cfg;
    void *data; /* a handler's own state between begin and run */
} hv_api;

#define API(r) ((hv_api *)(r)->state)

/* Route tables of the resource files. */
extern const hv_api__route hv_api__system_routes[];
extern const hv_api__route hv_api__user_routes[];
extern const hv_api__route hv_api__project_routes[];
extern const hv_api__route hv_api__member_routes[];
extern const hv_api__route hv_api__robot_routes[];
extern const hv_api__route hv_api__robot_v1_routes[];
extern const hv_api__route hv_api__audit_routes[];
extern const hv_api__route hv_api__repository_routes[];
extern const hv_api__route hv_api__artifact_routes[];
extern const hv_api__route hv_api__label_routes[];
extern const hv_api__route hv_api__quota_routes[];
extern const hv_api__route hv_api__immutable_routes[];
extern const hv_api__route hv_api__retention_routes[];
extern const hv_api__route hv_api__search_routes[];
extern const hv_api__route hv_api__project_metadata_routes[];
extern const hv_api__route hv_api__configuration_routes[];
extern const hv_api__route hv_api__icon_routes[];
extern const hv_api__route hv_api__jobservice_routes[];
extern const hv_api__route hv_api__gc_routes[];
extern const hv_api__route hv_api__purgeaudit_routes[];
extern const hv_api__route hv_api__scanner_routes[];
extern const hv_api__route hv_api__allowlist_routes[];

/* Mounts /service/token (token.c). */
void hv_api__mount_token(hv_http_server *s, const hv_api_config *cfg);

/* Bodies up to this size are accepted by JSON handlers. */
#define HV_API_BODY_MAX (1u << 20)

/* ---- request helpers */

/* Parses the request body as a JSON object.  HV_E_BAD_REQUEST naming the line and column
 * of a syntax error, or saying that an object was expected.  *out is owned by the caller
 * (json_decref), or use hv_api__json_body_arena which frees it with the request. */
hv_err hv_api__json_body(json_t **out, hv_req *r);

/* Field readers: a missing field leaves *out unchanged and returns HV_OK; a field of the
 * wrong type is HV_E_BAD_REQUEST naming it. */
hv_err hv_api__str(const char **out, hv_req *r, json_t *obj, const char *field);
hv_err hv_api__int(int64_t *out, hv_req *r, json_t *obj, const char *field);
hv_err hv_api__bool(bool *out, hv_req *r, json_t *obj, const char *field);

/* Parses a path parameter as a positive id; HV_E_BAD_REQUEST otherwise. */
hv_err hv_api__id(int64_t *out, hv_req *r, const char *value, const char *what);

/* Reads page, page_size (default 10, at most 100), q and sort into *out (terms in the
 * arena).  HV_E_BAD_REQUEST for malformed values, naming them. */
hv_err hv_api__list_params(hv_list *out, hv_req *r);

/* Parses Harbor's q grammar (exported for tests): comma-separated terms k=v, k=~v,
 * k=[a~b], k={a b}, k=(a b). */
hv_err hv_api__parse_q(hv_query_term **out, size_t *n, hv_ctx *ctx, const char *q);

/* Resolves {project_name_or_id} (an integer is an id unless X-Is-Resource-Name: true).
 * HV_E_NOT_FOUND when absent. */
hv_err hv_api__project(hv_project *out, hv_req *r, const char *name_or_id);

/* The project of the path's first parameter ({project_name_or_id}); an anonymous caller is
 * asked to log in rather than told whether it exists.  _load also checks the permission. */
hv_err hv_api__project_of_path(hv_project *p, hv_req *r);
hv_err hv_api__project_load(hv_project *p, hv_req *r, const char *resource, const char *action);

/* A project as GET /projects renders it (with_detail adds the counts and metadata), for the
 * caller of r (current_user_role_ids). */
hv_err hv_api__project_json(json_t **out, hv_req *r, const hv_project *p, bool detail);

/* A CVEAllowlist object ({"project_id", "items":[{"cve_id"}], "expires_at"}) of a request
 * into *out (arena).  HV_E_BAD_REQUEST naming what is malformed. */
hv_err hv_api__parse_allowlist(hv_iam_cve_allowlist *out, hv_req *r, json_t *wl);
/* The CVEAllowlist response of an allowlist's stored text (NULL: an empty one), with its id
 * and project_id, and the times to show when the text has none. */
json_t *hv_api__allowlist_json(const char *text, int64_t id, int64_t project_id, int64_t created,
                               int64_t updated);

/* ---- response helpers */

/* 200 with a JSON body (takes the reference). */
hv_err hv_api__json(hv_req *r, int status, json_t *body);
/* A list page: X-Total-Count, Link (prev/next as Harbor writes them) and the JSON array
 * (takes the reference).  HV_E_TOO_LARGE when the query is too long to link. */
hv_err hv_api__page(hv_req *r, const hv_list *list, int64_t total, json_t *items);
/* 201 with Location (empty body). */
hv_err hv_api__created(hv_req *r, const char *location);
/* 200 with an empty body (Harbor's update and delete answer). */
hv_err hv_api__ok(hv_req *r);

/* RFC 3339 time of epoch milliseconds as a JSON string. */
json_t *hv_api__time(int64_t ms);

/* The authorisation check of a handler, on a project (NULL: system). */
static inline hv_err hv_api__can(hv_req *r, const hv_project *p, const char *resource,
                                 const char *action) {
    return hv_auth_can(&r->ctx, &r->who, p, resource, action);
}

/* Declares handlers quickly: a JSON-body handler and a bodiless one. */
#define HV_API_HANDLER(name, run_fn)                                                               \
    static const hv_handler name = {.run = run_fn, .body_max = HV_API_BODY_MAX}

/* ---- system jobs (system_jobs.c): /system/gc and /system/purgeaudit */

typedef struct hv_api__system_job {
    const char *vendor;   /* the executions' vendor_type, also Harbor's job_name */
    const char *resource; /* the permission's resource, e.g. "garbage-collection" */
    const char *path;     /* e.g. "/system/gc"; a run is <path>/<id> */
    const char *id_name;  /* the run id in messages, e.g. "the gc id" */
    /* Starts a run now (type "Manual"; *id gets its execution) or sets the schedule (another
     * type), from the body's parameters (NULL when absent).  HV_E_BAD_REQUEST for bad ones. */
    hv_err (*kick)(int64_t *id, hv_req *r, const char *type, const char *cron, json_t *params);
} hv_api__system_job;

/* The handlers' bodies: GET <path> (runs, paged), GET <path>/{id}, GET <path>/{id}/log,
 * PUT <path>/{id} (stop), GET <path>/schedule, POST and PUT <path>/schedule (action "create"
 * with status 201, "update" with 200). */
hv_err hv_api__job_list(hv_req *r, const hv_api__system_job *j);
hv_err hv_api__job_get(hv_req *r, const hv_api__system_job *j);
hv_err hv_api__job_log(hv_req *r, const hv_api__system_job *j);
hv_err hv_api__job_stop(hv_req *r, const hv_api__system_job *j);
hv_err hv_api__job_schedule(hv_req *r, const hv_api__system_job *j);
hv_err hv_api__job_kick(hv_req *r, const hv_api__system_job *j, const char *action, int status);

/* Defines the handlers of the system job `job` (a hv_api__system_job) and its route table
 * `routes`, whose patterns are `path` ("/system/gc") and below. */
#define HV_API__SYSTEM_JOB_ROUTES(routes, job, path)                                               \
    static hv_err job##_list(hv_req *r) {                                                          \
        return hv_api__job_list(r, &job);                                                          \
    }                                                                                              \
    static hv_err job##_get(hv_req *r) {                                                           \
        return hv_api__job_get(r, &job);                                                           \
    }                                                                                              \
    static hv_err job##_log(hv_req *r) {                                                           \
        return hv_api__job_log(r, &job);                                                           \
    }                                                                                              \
    static hv_err job##_stop(hv_req *r) {                                                          \
        return hv_api__job_stop(r, &job);                                                          \
    }                                                                                              \
    static hv_err job##_schedule(hv_req *r) {                                                      \
        return hv_api__job_schedule(r, &job);                                                      \
    }                                                                                              \
    static hv_err job##_create(hv_req *r) {                                                        \
        return hv_api__job_kick(r, &job, "create", 201);                                           \
    }                                                                                              \
    static hv_err job##_update(hv_req *r) {                                                        \
        return hv_api__job_kick(r, &job, "update", 200);                                           \
    }                                                                                              \
    HV_API_HANDLER(job##_list_handler, job##_list);                                                \
    HV_API_HANDLER(job##_get_handler, job##_get);                                                  \
    HV_API_HANDLER(job##_log_handler, job##_log);                                                  \
    HV_API_HANDLER(job##_stop_handler, job##_stop);                                                \
    HV_API_HANDLER(job##_schedule_handler, job##_schedule);                                        \
    HV_API_HANDLER(job##_create_handler, job##_create);                                            \
    HV_API_HANDLER(job##_update_handler, job##_update);                                            \
    const hv_api__route routes[] = {                                                               \
        /* before path/{id}, which "schedule" would match */                                       \
        {"GET", path "/schedule", &job##_schedule_handler},                                        \
        {"POST", path "/schedule", &job##_create_handler},                                         \
        {"PUT", path "/schedule", &job##_update_handler},                                          \
        {"GET", path, &job##_list_handler},                                                        \
        {"GET", path "/{id}", &job##_get_handler},                                                 \
        {"PUT", path "/{id}", &job##_stop_handler},                                                \
        {"GET", path "/{id}/log", &job##_log_handler},                                             \
        {NULL, NULL, NULL},                                                                        \
    }

/* ---- robots (robots.c), also used by robots_v1.c */

/* A Robot as Harbor renders it (permissions grouped by kind and namespace; no secret). */
json_t *hv_api__robot_json(hv_req *r, const hv_robot *rb);
/* A page of robots as Robot JSON, with X-Total-Count and Link. */
hv_err hv_api__robot_page(hv_req *r, const hv_list *l, int64_t total, const hv_robot *robots,
                          size_t n);
/* Reads a RobotCreate or Robot body into *in (strings borrowed from body, arrays in the
 * arena).  HV_E_BAD_REQUEST for a field of the wrong type, naming it. */
hv_err hv_api__robot_input(hv_iam_robot_input *in, hv_req *r, json_t *body);
/* 201 with RobotCreated (its secret shown this once; expires_at when with_expiry, as the v2
 * API gives it and the legacy one does not) and Location: the request's path and the id. */
hv_err hv_api__robot_created(hv_req *r, const hv_robot *rb, const char *secret, bool with_expiry);

/* ---- icons (icons.c): the digest of Harbor's icon of an artifact type (the default icon
 * for others) and of an accessory type ("" for those Harbor gives none); static strings. */
const char *hv_api__artifact_icon(const char *type);
const char *hv_api__accessory_icon(const char *type);

/* ---- repositories (repositories.c), also used by search.c */

/* The projects the caller sees in cross-project lists and counts: every project for system
 * administrators and robots granted all projects ("*"), otherwise the public ones plus the
 * caller's own (a user's memberships, a robot's projects). */
hv_err hv_api__visibility(hv_visibility *out, hv_req *r);

/* The full name "<project>/<repository>" of a {repository_name} path segment, which arrives
 * decoded once ("a%2Fb" for a double-encoded "a%252Fb") and is decoded again here.
 * HV_E_BAD_REQUEST for a malformed escape or an empty name. */
hv_err hv_api__repository_name(const char **out, hv_req *r, const hv_project *p,
                               const char *segment);
/* ---- end of repositories */

#endif
