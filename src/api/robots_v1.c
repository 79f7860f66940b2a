/*
 * /projects/{project_name_or_id}/robots[/{robot_id}]: Harbor's legacy robot API (swagger
 * tag robotv1), which Harbor 2.12 still serves and many scripts use.  Its robots are the
 * project robots of the v2 API ("robot$<project>+<name>"), managed by the same service with
 * the same permissions (robot create/list/read/update/delete on the project); only the
 * request shapes differ:
 *
 *   - POST takes RobotCreateV1 {name, description, expires_at, access: [{resource:
 *     "/project/<id>/repository", action: "push"}]} (a bare "repository" is taken too, the
 *     id being the path's anyway), or, as most examples online send, a v2
 *     body {name, level, duration, permissions}, whose level and namespace may be left out.
 *     Harbor ignores expires_at: the robot lasts robot_token_duration days unless a v2 body
 *     gives a duration.  201 with Location and RobotCreated (the secret, once).
 *   - PUT changes only whether the robot is disabled (the body's `disable`, false when
 *     absent, as Harbor reads it).
 *
 * Harbor asks about the caller's permission on the path's project before reading a body;
 * the service checks it first for these requests (the input's project).
 */
#include "api/api_int.h"

#include <string.h>

/* The robot of the path, when the caller may `action` the path project's robots. */
static hv_err load_robot(hv_robot *rb, hv_project *p, hv_req *r, const char *action) {
    int64_t id;
    hv_err rc = hv_api__project_of_path(p, r);

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[1], "robot id");
    if (rc == HV_OK)
        rc = hv_iam_project_robot_get(rb, &r->ctx, &r->who, p, id, action);
    return rc;
}

/* RobotCreateV1's access list as the one permission of kind project (on the path's
 * project), its resources left as the legacy paths for the service to read; entries that
 * are not objects of strings have NULL fields, which the service refuses. */
static hv_err read_v1(hv_iam_robot_input *in, hv_req *r, json_t *body, json_t *access) {
    hv_iam_robot_grant *g = hv_arena_alloc(r->ctx.arena, sizeof(*g));
    hv_iam_robot_access *a;
    size_t i;
    json_t *it;
    hv_err rc;

    memset(in, 0, sizeof(*in));
    memset(g, 0, sizeof(*g));
    rc = hv_api__str(&in->name, r, body, "name");
    if (rc == HV_OK)
        rc = hv_api__str(&in->description, r, body, "description");
    if (rc)
        return rc;
    /* an empty or missing list is the service's to refuse, once the caller may create */
    a = hv_arena_alloc(r->ctx.arena, (json_array_size(access) + 1) * sizeof(*a));
    json_array_foreach(access, i, it) {
        a[i].resource = json_string_value(json_object_get(it, "resource"));
        a[i].action = json_string_value(json_object_get(it, "action"));
        a[i].effect = json_string_value(json_object_get(it, "effect"));
    }
    g->kind = "project";
    g->access = a;
    g->n_access = json_array_size(access);
    in->permissions = g;
    in->n_permissions = 1;
    return HV_OK;
}

static hv_err create_robot(hv_req *r) {
    json_t *body = NULL, *access;
    hv_iam_robot_input in;
    hv_project p;
    hv_robot rb;
    char secret[HV_IAM_ROBOT_SECRET_LEN + 1] = "";
    hv_err rc = hv_api__project_of_path(&p, r);

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc)
        return rc;
    access = json_object_get(body, "access");
    if (access || !json_object_get(body, "permissions"))
        rc = read_v1(&in, r, body, access);
    else
        rc = hv_api__robot_input(&in, r, body);
    in.project = &p;
    if (rc == HV_OK)
        rc = hv_iam_robot_create(&rb, secret, &r->ctx, &r->who, &in);
    if (rc == HV_OK)
        rc = hv_api__robot_created(r, &rb, secret, false);
    memset(secret, 0, sizeof(secret));
    json_decref(body);
    return rc;
}

static hv_err list_robots(hv_req *r) {
    hv_project p;
    hv_list l;
    hv_robot *robots;
    size_t n;
    int64_t total;
    hv_err rc = hv_api__project_of_path(&p, r);

    if (rc == HV_OK)
        rc = hv_api__list_params(&l, r);
    if (rc == HV_OK)
        rc = hv_iam_project_robot_list(&robots, &n, &total, &r->ctx, &r->who, &p, &l);
    return rc ? rc : hv_api__robot_page(r, &l, total, robots, n);
}

static hv_err get_robot(hv_req *r) {
    hv_project p;
    hv_robot rb;
    hv_err rc = load_robot(&rb, &p, r, "read");

    return rc ? rc : hv_api__json(r, 200, hv_api__robot_json(r, &rb));
}

static hv_err update_robot(hv_req *r) {
    json_t *body = NULL;
    bool disable = false;
    hv_project p;
    hv_robot rb;
    hv_err rc = load_robot(&rb, &p, r, "update");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__bool(&disable, r, body, "disable");
    json_decref(body);
    if (rc == HV_OK)
        rc = hv_iam_robot_set_disabled(&r->ctx, &rb, disable);
    return rc ? rc : hv_api__ok(r);
}

static hv_err delete_robot(hv_req *r) {
    hv_project p;
    int64_t id;
    hv_err rc = hv_api__project_of_path(&p, r);

    if (rc == HV_OK)
        rc = hv_api__id(&id, r, r->params[1], "robot id");
    if (rc == HV_OK)
        rc = hv_iam_project_robot_delete(&r->ctx, &r->who, &p, id);
    return rc ? rc : hv_api__ok(r);
}

HV_API_HANDLER(list_handler, list_robots);
HV_API_HANDLER(create_handler, create_robot);
HV_API_HANDLER(get_handler, get_robot);
HV_API_HANDLER(update_handler, update_robot);
HV_API_HANDLER(delete_handler, delete_robot);

const hv_api__route hv_api__robot_v1_routes[] = {
    {"GET", "/projects/{project_name_or_id}/robots", &list_handler},
    {"POST", "/projects/{project_name_or_id}/robots", &create_handler},
    {"GET", "/projects/{project_name_or_id}/robots/{robot_id}", &get_handler},
    {"PUT", "/projects/{project_name_or_id}/robots/{robot_id}", &update_handler},
    {"DELETE", "/projects/{project_name_or_id}/robots/{robot_id}", &delete_handler},
    {NULL, NULL, NULL},
};
