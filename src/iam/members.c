/*
 * Project members: who holds which role in a project, and changes to that.
 *
 * Members are users today (entity_type "u"), named by id or else by username.  Roles are
 * Harbor's five ids (HV_ROLE_*); anything else is refused before the database is asked.
 * Each change is one transaction.  Whether the caller may manage a project's members
 * (the project resource "member") is checked by the caller before these run.
 */
#include "iam/iam_int.h"

hv_err hv_iam_member_check_role(hv_ctx *ctx, int64_t role) {
    if (role < HV_ROLE_PROJECT_ADMIN || role > HV_ROLE_LIMITED_GUEST)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "role_id must be 1 (projectAdmin), 2 (developer), 3 (guest), "
                       "4 (maintainer) or 5 (limitedGuest)");
    return HV_OK;
}

hv_err hv_iam_member_list(hv_member **out, size_t *n, int64_t *total, hv_ctx *ctx,
                          int64_t project_id, const char *entityname, const hv_list *list) {
    return hv_model_member_list(out, n, total, ctx, project_id, entityname, list);
}

hv_err hv_iam_member_get(hv_member *out, hv_ctx *ctx, int64_t project_id, int64_t id) {
    return hv_model_member_get(out, ctx, project_id, id);
}

/* The user that in names, by user_id or else by username. */
static hv_err member_user(int64_t *out, hv_ctx *ctx, const hv_iam_member_input *in) {
    hv_user u;
    hv_err rc;

    if (in->user_id > 0)
        rc = hv_model_user_get_by_id(&u, ctx, in->user_id);
    else if (in->username && *in->username)
        rc = hv_model_user_get(&u, ctx, in->username);
    else
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "member_user needs a user_id or a username");
    if (rc == HV_OK)
        *out = u.id;
    return rc;
}

struct creation {
    int64_t project_id;
    int64_t user_id;
    int role;
    int64_t id;
};

static hv_err create_in_tx(hv_ctx *ctx, void *payload) {
    struct creation *c = payload;

    return hv_model_member_create(&c->id, ctx, c->project_id, c->user_id, c->role);
}

hv_err hv_iam_member_create(int64_t *out_id, hv_ctx *ctx, int64_t project_id,
                            const hv_iam_member_input *in) {
    struct creation c = {.project_id = project_id, .role = (int)in->role};
    hv_err rc = hv_iam_member_check_role(ctx, in->role);

    if (rc == HV_OK)
        rc = member_user(&c.user_id, ctx, in);
    if (rc == HV_OK)
        rc = hv_events_transaction(ctx, create_in_tx, &c);
    if (rc == HV_OK)
        *out_id = c.id;
    return rc;
}

struct change {
    int64_t project_id;
    int64_t id;
    int role;
};

static hv_err update_in_tx(hv_ctx *ctx, void *payload) {
    struct change *c = payload;

    return hv_model_member_update(ctx, c->project_id, c->id, c->role);
}

hv_err hv_iam_member_update(hv_ctx *ctx, int64_t project_id, int64_t id, int64_t role) {
    struct change c = {.project_id = project_id, .id = id, .role = (int)role};
    hv_err rc = hv_iam_member_check_role(ctx, role);

    return rc ? rc : hv_events_transaction(ctx, update_in_tx, &c);
}

static hv_err delete_in_tx(hv_ctx *ctx, void *payload) {
    struct change *c = payload;

    return hv_model_member_delete(ctx, c->project_id, c->id);
}

hv_err hv_iam_member_delete(hv_ctx *ctx, int64_t project_id, int64_t id) {
    struct change c = {.project_id = project_id, .id = id};

    return hv_events_transaction(ctx, delete_in_tx, &c);
}
