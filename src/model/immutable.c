/*
 * Immutable tag rules of projects.  A rule is a row with its priority and disabled flag as
 * columns and the rest of Harbor's ImmutableRule (action, template, params, selectors) as
 * normalised JSON text, which the registry parses when it matches tags.  The API writes the
 * normalised form, so a unique index on (project_id, rule) refuses the same rule twice.
 */
#include "model/model_int.h"

#include <string.h>

#define RULE_COLUMNS                                                                               \
    "r.id, r.project_id, r.priority, r.disabled, r.rule, r.creation_time, r.update_time"
#define RULE_SELECT "SELECT " RULE_COLUMNS " FROM immutable_rule r"

static void read_rule(hv_immutable_rule *out, hv_ctx *ctx, hv_stmt *st) {
    out->id = hv_stmt_int(st, 0);
    out->project_id = hv_stmt_int(st, 1);
    out->priority = hv_stmt_int(st, 2);
    out->disabled = hv_stmt_int(st, 3) != 0;
    out->rule = hv_model__text(ctx, st, 4);
    out->creation_time = hv_stmt_int(st, 5);
    out->update_time = hv_stmt_int(st, 6);
}

static const char *sql_same_rule =
    "SELECT id FROM immutable_rule WHERE project_id = ? AND rule = ? AND id <> ?";

/* HV_E_CONFLICT naming the rule of the project that already has these selectors. */
static hv_err check_unique(hv_ctx *ctx, const hv_immutable_rule *r) {
    hv_stmt *st;
    bool row;
    int64_t other = 0;
    hv_err rc =
        hv_model__query(&st, &row, ctx, sql_same_rule, "iti", r->project_id, r->rule, r->id);

    if (rc)
        return rc;
    if (row)
        other = hv_stmt_int(st, 0);
    hv_stmt_reset(st);
    if (row)
        return HV_FAIL(ctx, HV_E_CONFLICT,
                       "the project already has this immutable tag rule (rule %lld): change its "
                       "selectors or update that rule",
                       (long long)other);
    return HV_OK;
}

static const char *sql_rule_insert =
    "INSERT INTO immutable_rule (project_id, priority, disabled, rule, creation_time, update_time)"
    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id";

hv_err hv_model_immutable_create(int64_t *out_id, hv_ctx *ctx, const hv_immutable_rule *r) {
    int64_t now = hv_now_ms();
    hv_err rc = check_unique(ctx, r);

    if (rc == HV_OK)
        rc = hv_model__insert(out_id, ctx, sql_rule_insert, "iiitii", r->project_id, r->priority,
                              (int64_t)r->disabled, r->rule, now, now);
    if (rc == HV_E_CONFLICT) { /* added meanwhile by a transaction on another connection */
        hv_error_clear(ctx);
        return HV_FAIL(ctx, HV_E_CONFLICT, "the project already has this immutable tag rule");
    }
    return rc;
}

static const char *sql_rule_get = RULE_SELECT " WHERE r.project_id = ? AND r.id = ?";

hv_err hv_model_immutable_get(hv_immutable_rule *out, hv_ctx *ctx, int64_t project_id, int64_t id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_rule_get, "ii", project_id, id);

    if (rc)
        return rc;
    if (row)
        read_rule(out, ctx, st);
    hv_stmt_reset(st);
    if (!row)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "immutable tag rule %lld not found in the project",
                       (long long)id);
    return HV_OK;
}

static const char *sql_rule_count = "SELECT count(*) FROM immutable_rule WHERE project_id = ?";

hv_err hv_model_immutable_count(int64_t *out, hv_ctx *ctx, int64_t project_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_rule_count, "i", project_id);

    if (rc)
        return rc;
    *out = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    return HV_OK;
}

static const hv_model__column rule_columns[] = {
    {"id", "r.id", 'i'},
    {"project_id", "r.project_id", 'i'},
    {"priority", "r.priority", 'i'},
    {"disabled", "(r.disabled <> 0)", 'b'},
    {"creation_time", "r.creation_time", 'm'},
    {"update_time", "r.update_time", 'm'},
    {NULL, NULL, 0},
};

hv_err hv_model_immutable_list(hv_immutable_rule **out, size_t *n, int64_t *total, hv_ctx *ctx,
                               int64_t project_id, const hv_list *list) {
    const char *pid = hv_arena_printf(ctx->arena, "%lld", (long long)project_id);
    hv_query_term fixed = {.key = "project_id", .op = HV_Q_EXACT, .values = &pid, .n_values = 1};
    hv_immutable_rule *v;
    size_t cap = 16, count = 0;
    hv_stmt *st = NULL;
    bool row;
    hv_err rc;

    *out = NULL;
    *n = 0;
    rc = hv_model__list(&st, total, ctx, RULE_SELECT, rule_columns, "r.id", list, &fixed, 1);
    if (rc)
        goto out;
    v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_rule(&v[count++], ctx, st);
    }
    if (rc == HV_OK) {
        *out = v;
        *n = count;
    }
out:
    hv_stmt_free(st);
    return rc;
}

static const char *sql_rule_update =
    "UPDATE immutable_rule SET priority = ?, disabled = ?, rule = ?, update_time = ?"
    " WHERE project_id = ? AND id = ?";

hv_err hv_model_immutable_update(hv_ctx *ctx, const hv_immutable_rule *r) {
    int64_t changed = 0;
    hv_err rc = check_unique(ctx, r);

    if (rc == HV_OK)
        rc = hv_model__exec(&changed, ctx, sql_rule_update, "iitiii", r->priority,
                            (int64_t)r->disabled, r->rule, hv_now_ms(), r->project_id, r->id);
    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "immutable tag rule %lld not found in the project",
                     (long long)r->id);
    return rc;
}

static const char *sql_rule_delete = "DELETE FROM immutable_rule WHERE project_id = ? AND id = ?";

hv_err hv_model_immutable_delete(hv_ctx *ctx, int64_t project_id, int64_t id) {
    int64_t changed = 0;
    hv_err rc = hv_model__exec(&changed, ctx, sql_rule_delete, "ii", project_id, id);

    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "immutable tag rule %lld not found in the project",
                     (long long)id);
    return rc;
}

static const char *sql_immutable_rules =
    "SELECT rule FROM immutable_rule WHERE project_id = ? AND disabled = 0"
    " ORDER BY priority, id";

hv_err hv_model_immutable_rules(const char ***rules, size_t *n, hv_ctx *ctx, int64_t project_id) {
    return hv_model__strings(rules, n, ctx, sql_immutable_rules, "i", project_id);
}
