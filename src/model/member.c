/* Project members. */
#include "model/model_int.h"

static const char *sql_member_roles =
    "SELECT role FROM member WHERE project_id = ? AND entity_type = 'u' AND entity_id = ?";

hv_err hv_model_member_roles(int roles[5], size_t *n, hv_ctx *ctx, int64_t project_id,
                             int64_t user_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_member_roles, "ii", project_id, user_id);

    *n = 0;
    while (rc == HV_OK && row) {
        if (*n < 5)
            roles[(*n)++] = (int)hv_stmt_int(st, 0);
        rc = hv_stmt_step(st, ctx, &row);
    }
    if (rc == HV_OK)
        hv_stmt_reset(st);
    return rc;
}

static const char *sql_member_counts =
    "SELECT role, count(*) FROM member WHERE project_id = ? GROUP BY role";

hv_err hv_model_member_counts(int64_t counts[6], hv_ctx *ctx, int64_t project_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_member_counts, "i", project_id);

    for (int i = 0; i < 6; i++)
        counts[i] = 0;
    while (rc == HV_OK && row) {
        int64_t role = hv_stmt_int(st, 0);
        if (role >= 1 && role <= 5)
            counts[role] = hv_stmt_int(st, 1);
        rc = hv_stmt_step(st, ctx, &row);
    }
    if (rc == HV_OK)
        hv_stmt_reset(st);
    return rc;
}
