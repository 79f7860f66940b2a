/*
 * Artifacts as the Harbor API reads them: the artifact row with its repository, lists with
 * Harbor's artifact q keys, tags, index entries, labels and accessories.
 *
 * Harbor's list keys that are not columns become conditions on expressions the generic list
 * builder (list.c) can bind: tags=<name> and tags=~<part> a condition on the artifact's tags
 * (an 'e' column: EXISTS a tag with that name), labels=(1 2) one such condition per label id,
 * tags=* and tags=nil a boolean on "has a tag", and the rules no client chooses (no
 * accessories; no untagged children of indexes unless base=*) booleans the caller imposes.
 * Keys starting with '_' are these internal ones and refused from clients.
 */
#include "model/model_int.h"

#include <string.h>

#define INFO_SELECT                                                                                \
    "SELECT a.id, a.repository_id, a.digest, a.media_type, a.artifact_type, a.size,"               \
    " a.subject_digest, a.annotations, a.type, a.config_media_type, a.extra_attrs,"                \
    " a.accessory_type, coalesce(a.total_size, a.size), r.project_id, r.name, a.push_time,"        \
    " coalesce(a.pull_time, 0), a.pull_count FROM artifact a"                                      \
    " JOIN repository r ON r.id = a.repository_id"

static void read_info(hv_artifact_info *out, hv_ctx *ctx, hv_stmt *st) {
    out->a.id = hv_stmt_int(st, 0);
    out->a.repository_id = hv_stmt_int(st, 1);
    out->a.digest = hv_model__text(ctx, st, 2);
    out->a.media_type = hv_model__text(ctx, st, 3);
    out->a.artifact_type = hv_model__text(ctx, st, 4);
    out->a.size = hv_stmt_int(st, 5);
    out->a.subject_digest = hv_model__text(ctx, st, 6);
    out->a.annotations_json = hv_model__text(ctx, st, 7);
    out->kind.type = hv_model__text(ctx, st, 8);
    out->kind.config_media_type = hv_model__text(ctx, st, 9);
    out->kind.extra_attrs_json = hv_model__text(ctx, st, 10);
    out->kind.accessory_type = hv_model__text(ctx, st, 11);
    out->kind.total_size = hv_stmt_int(st, 12);
    out->project_id = hv_stmt_int(st, 13);
    out->repository_name = hv_model__text(ctx, st, 14);
    out->push_time = hv_stmt_int(st, 15);
    out->pull_time = hv_stmt_int(st, 16);
    out->pull_count = hv_stmt_int(st, 17);
}

/* Reads every row of st (stepped once already, *row its first answer) into an arena array;
 * frees st when dynamic. */
static hv_err read_infos(hv_artifact_info **out, size_t *n, hv_ctx *ctx, hv_stmt *st, bool row,
                         bool dynamic) {
    size_t cap = 16, count = 0;
    hv_artifact_info *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_err rc = HV_OK;

    while (row) {
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_info(&v[count++], ctx, st);
        rc = hv_stmt_step(st, ctx, &row);
        if (rc)
            break;
    }
    if (dynamic)
        hv_stmt_free(st);
    else
        hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

static const char *sql_info = INFO_SELECT " WHERE a.repository_id = ? AND a.digest = ?";
static const char *sql_info_by_tag =
    INFO_SELECT " JOIN tag t ON t.artifact_id = a.id WHERE t.repository_id = ? AND t.name = ?";

static hv_err info_query(hv_artifact_info *out, hv_ctx *ctx, const char *sql, int64_t repository_id,
                         const char *key, const char *what) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql, "it", repository_id, key);

    if (rc)
        return rc;
    if (row)
        read_info(out, ctx, st);
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_MANIFEST_UNKNOWN, "%s %s not found", what, key);
}

hv_err hv_model_artifact_info(hv_artifact_info *out, hv_ctx *ctx, int64_t repository_id,
                              const char *digest) {
    return info_query(out, ctx, sql_info, repository_id, digest, "artifact");
}

hv_err hv_model_artifact_info_by_tag(hv_artifact_info *out, hv_ctx *ctx, int64_t repository_id,
                                     const char *tag) {
    return info_query(out, ctx, sql_info_by_tag, repository_id, tag, "tag");
}

/* ---------------------------------------------------------------- artifact lists */

/* A tag or an index entry that keeps an artifact in the default list. */
#define LISTED_EXPR                                                                                \
    "(EXISTS (SELECT 1 FROM tag lt WHERE lt.artifact_id = a.id)"                                   \
    " OR NOT EXISTS (SELECT 1 FROM artifact_reference lr JOIN artifact lp ON lp.id = lr.parent_id" \
    " WHERE lr.child_digest = a.digest AND lp.repository_id = a.repository_id))"

static const hv_model__column artifact_cols[] = {
    {"id", "a.id", 'i'},
    {"digest", "a.digest", 't'},
    {"type", "a.type", 't'},
    {"media_type", "coalesce(a.config_media_type, a.media_type)", 't'},
    {"manifest_media_type", "a.media_type", 't'},
    {"artifact_type", "a.artifact_type", 't'},
    {"size", "coalesce(a.total_size, a.size)", 'i'},
    {"push_time", "a.push_time", 'm'},
    {"pull_time", "a.pull_time", 'm'},
    {"repository_id", "a.repository_id", 'i'},
    {"repository_name", "r.name", 't'},
    {"name", "r.name", 't'},
    {"_project", "r.project_id", 'i'},
    {"_accessory", "(a.accessory_type IS NOT NULL)", 'b'},
    {"_listed", LISTED_EXPR, 'b'},
    {"_tagged", "EXISTS (SELECT 1 FROM tag tt WHERE tt.artifact_id = a.id)", 'b'},
    {"_tags", "SELECT 1 FROM tag ts WHERE ts.artifact_id = a.id AND ts.name", 'e'},
    {"_labels",
     "SELECT 1 FROM artifact_label ls WHERE ls.artifact_id = a.id AND CAST(ls.label_id AS TEXT)",
     'e'},
    {"_latest",
     "(a.id = (SELECT l.id FROM artifact l WHERE l.repository_id = a.repository_id"
     " AND l.accessory_type IS NULL ORDER BY l.push_time DESC, l.id DESC LIMIT 1))",
     'b'},
    {NULL, NULL, 0},
};

static const char *const yes[] = {"true"};
static const char *const no[] = {"false"};

static hv_query_term fixed_term(const char *key, const char *const *value) {
    hv_query_term t = {.key = key, .op = HV_Q_EXACT, .values = (const char **)value, .n_values = 1};
    return t;
}

/* A term "the set `key` holds value". */
static hv_query_term member_term(hv_ctx *ctx, const char *key, const char *value) {
    const char **v = hv_arena_alloc(ctx->arena, sizeof(*v));
    hv_query_term t = {.key = key, .op = HV_Q_EXACT, .values = v, .n_values = 1};

    v[0] = value;
    return t;
}

/* Translates the client's terms into terms on artifact_cols; *base when base=* was given. */
static hv_err translate(hv_query_term **out, size_t *n, bool *base, hv_ctx *ctx,
                        const hv_list *list) {
    size_t cap = list->n_terms + 1, k = 0;
    hv_query_term *v;

    for (size_t i = 0; i < list->n_terms; i++) {
        if (list->terms[i].op == HV_Q_ALL)
            cap += list->terms[i].n_values;
    }
    v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    *base = false;
    for (size_t i = 0; i < list->n_terms; i++) {
        const hv_query_term *t = &list->terms[i];

        if (t->key[0] == '_')
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "unknown query key %s", t->key);
        if (strcmp(t->key, "base") == 0) {
            if (t->op != HV_Q_EXACT || strcmp(t->values[0], "*") != 0)
                return HV_FAIL(ctx, HV_E_BAD_REQUEST, "base supports only base=*");
            *base = true;
        } else if (strcmp(t->key, "tags") == 0) {
            if (t->op == HV_Q_EXACT && strcmp(t->values[0], "*") == 0)
                v[k++] = fixed_term("_tagged", yes);
            else if (t->op == HV_Q_EXACT && strcmp(t->values[0], "nil") == 0)
                v[k++] = fixed_term("_tagged", no);
            else if (t->op == HV_Q_EXACT)
                v[k++] = member_term(ctx, "_tags", t->values[0]);
            else if (t->op == HV_Q_FUZZY)
                v[k++] = (hv_query_term){
                    .key = "_tags", .op = HV_Q_FUZZY, .values = t->values, .n_values = 1};
            else
                return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                               "tags supports tags=<name>, tags=~<part>, tags=* and tags=nil");
        } else if (strcmp(t->key, "labels") == 0) {
            if (t->op != HV_Q_EXACT && t->op != HV_Q_ALL)
                return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                               "labels supports labels=<id> and labels=(<id> <id> ...)");
            for (size_t j = 0; j < t->n_values; j++) {
                uint64_t id;
                if (!hv_parse_u64(t->values[j], strlen(t->values[j]), &id))
                    return HV_FAIL(ctx, HV_E_BAD_REQUEST, "labels must be label ids, not %s",
                                   t->values[j]);
                v[k++] = member_term(ctx, "_labels", t->values[j]);
            }
            if (t->n_values == 0) /* labels=(): no label id is empty, so nothing matches */
                v[k++] = member_term(ctx, "_labels", "");
        } else {
            v[k++] = *t;
        }
    }
    *out = v;
    *n = k;
    return HV_OK;
}

hv_err hv_model_artifact_list(hv_artifact_info **out, size_t *n, int64_t *total, hv_ctx *ctx,
                              const hv_artifact_scope *scope, const hv_list *list) {
    hv_query_term fixed[4], *terms = NULL;
    const char **project = hv_arena_alloc(ctx->arena, sizeof(*project));
    const char **repository = hv_arena_alloc(ctx->arena, sizeof(*repository));
    size_t n_fixed = 0, n_terms = 0;
    hv_list own = *list;
    hv_stmt *st = NULL;
    bool base, row;
    hv_err rc;

    *out = NULL;
    *n = 0;
    rc = translate(&terms, &n_terms, &base, ctx, list);
    if (rc)
        return rc;
    own.terms = terms;
    own.n_terms = n_terms;
    *project = hv_arena_printf(ctx->arena, "%lld", (long long)scope->project_id);
    fixed[n_fixed++] = fixed_term("_project", project);
    if (scope->repository_id) {
        *repository = hv_arena_printf(ctx->arena, "%lld", (long long)scope->repository_id);
        fixed[n_fixed++] = fixed_term("repository_id", repository);
    }
    fixed[n_fixed++] = fixed_term("_accessory", no);
    if (scope->latest_in_repository)
        fixed[n_fixed++] = fixed_term("_latest", yes);
    else if (!base)
        fixed[n_fixed++] = fixed_term("_listed", yes);
    rc = hv_model__list(&st, total, ctx, INFO_SELECT, artifact_cols, "a.push_time DESC, a.id DESC",
                        &own, fixed, n_fixed);
    if (rc)
        return rc;
    rc = hv_stmt_step(st, ctx, &row);
    if (rc) {
        hv_stmt_free(st);
        return rc;
    }
    return read_infos(out, n, ctx, st, row, true);
}

static const hv_model__column accessory_cols[] = {
    {"id", "a.id", 'i'},
    {"type", "a.accessory_type", 't'},
    {"digest", "a.digest", 't'},
    {"artifact_type", "a.artifact_type", 't'},
    {"size", "coalesce(a.total_size, a.size)", 'i'},
    {"creation_time", "a.push_time", 'm'},
    {"_repository", "a.repository_id", 'i'},
    {"_subject", "a.subject_digest", 't'},
    {"_accessory", "(a.accessory_type IS NOT NULL)", 'b'},
    {NULL, NULL, 0},
};

hv_err hv_model_accessory_list(hv_artifact_info **out, size_t *n, int64_t *total, hv_ctx *ctx,
                               int64_t repository_id, const char *subject, const hv_list *list) {
    const char **repository = hv_arena_alloc(ctx->arena, sizeof(*repository));
    const char **digest = hv_arena_alloc(ctx->arena, sizeof(*digest));
    hv_query_term fixed[3];
    hv_stmt *st = NULL;
    bool row;
    hv_err rc;

    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < list->n_terms; i++) {
        if (list->terms[i].key[0] == '_')
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "unknown query key %s", list->terms[i].key);
    }
    *repository = hv_arena_printf(ctx->arena, "%lld", (long long)repository_id);
    *digest = subject;
    fixed[0] = fixed_term("_repository", repository);
    fixed[1] = fixed_term("_subject", digest);
    fixed[2] = fixed_term("_accessory", yes);
    rc = hv_model__list(&st, total, ctx, INFO_SELECT, accessory_cols, "a.push_time DESC, a.id DESC",
                        list, fixed, 3);
    if (rc)
        return rc;
    rc = hv_stmt_step(st, ctx, &row);
    if (rc) {
        hv_stmt_free(st);
        return rc;
    }
    return read_infos(out, n, ctx, st, row, true);
}

static const char *sql_signed =
    "SELECT EXISTS (SELECT 1 FROM artifact WHERE repository_id = ? AND subject_digest = ?"
    " AND accessory_type LIKE 'signature.%')";

hv_err hv_model_artifact_signed(bool *out, hv_ctx *ctx, int64_t repository_id,
                                const char *subject) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_signed, "it", repository_id, subject);

    if (rc)
        return rc;
    *out = row && hv_stmt_int(st, 0) != 0;
    hv_stmt_reset(st);
    return HV_OK;
}

/* ---------------------------------------------------------------- tags */

#define TAG_SELECT                                                                                 \
    "SELECT t.id, t.repository_id, t.artifact_id, t.name, t.push_time,"                            \
    " coalesce(t.pull_time, 0) FROM tag t"

static hv_err read_tags(hv_tag_info **out, size_t *n, hv_ctx *ctx, hv_stmt *st, bool row,
                        bool dynamic) {
    size_t cap = 8, count = 0;
    hv_tag_info *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_err rc = HV_OK;

    while (row) {
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        v[count].id = hv_stmt_int(st, 0);
        v[count].repository_id = hv_stmt_int(st, 1);
        v[count].artifact_id = hv_stmt_int(st, 2);
        v[count].name = hv_model__text(ctx, st, 3);
        v[count].push_time = hv_stmt_int(st, 4);
        v[count].pull_time = hv_stmt_int(st, 5);
        count++;
        rc = hv_stmt_step(st, ctx, &row);
        if (rc)
            break;
    }
    if (dynamic)
        hv_stmt_free(st);
    else
        hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

static const char *sql_tag_infos = TAG_SELECT " WHERE t.artifact_id = ? ORDER BY t.name";

hv_err hv_model_artifact_tag_infos(hv_tag_info **out, size_t *n, hv_ctx *ctx, int64_t artifact_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_tag_infos, "i", artifact_id);

    if (rc) {
        *out = NULL;
        *n = 0;
        return rc;
    }
    return read_tags(out, n, ctx, st, row, false);
}

static const hv_model__column tag_cols[] = {
    {"id", "t.id", 'i'},
    {"name", "t.name", 't'},
    {"push_time", "t.push_time", 'm'},
    {"pull_time", "t.pull_time", 'm'},
    {"_artifact", "t.artifact_id", 'i'},
    {NULL, NULL, 0},
};

hv_err hv_model_tag_list(hv_tag_info **out, size_t *n, int64_t *total, hv_ctx *ctx,
                         int64_t artifact_id, const hv_list *list) {
    const char **artifact = hv_arena_alloc(ctx->arena, sizeof(*artifact));
    hv_query_term fixed;
    hv_stmt *st = NULL;
    bool row;
    hv_err rc;

    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < list->n_terms; i++) {
        if (list->terms[i].key[0] == '_')
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "unknown query key %s", list->terms[i].key);
    }
    *artifact = hv_arena_printf(ctx->arena, "%lld", (long long)artifact_id);
    fixed = fixed_term("_artifact", artifact);
    rc = hv_model__list(&st, total, ctx, TAG_SELECT, tag_cols, "t.name, t.id", list, &fixed, 1);
    if (rc)
        return rc;
    rc = hv_stmt_step(st, ctx, &row);
    if (rc) {
        hv_stmt_free(st);
        return rc;
    }
    return read_tags(out, n, ctx, st, row, true);
}

/* ---------------------------------------------------------------- index entries, labels */

/* In the index's order (position, 005_order.sql). */
static const char *sql_references =
    "SELECT r.parent_id, coalesce(c.id, 0), r.child_digest, r.os, r.architecture, r.variant,"
    " r.os_version, r.os_features, r.annotations, r.urls FROM artifact_reference r"
    " LEFT JOIN artifact c ON c.repository_id = ?1 AND c.digest = r.child_digest"
    " WHERE r.parent_id = ?2 ORDER BY r.position, r.child_digest";

hv_err hv_model_artifact_references(hv_artifact_ref **out, size_t *n, hv_ctx *ctx,
                                    const hv_artifact *parent) {
    size_t cap = 8, count = 0;
    hv_artifact_ref *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_stmt *st;
    bool row;
    hv_err rc =
        hv_model__query(&st, &row, ctx, sql_references, "ii", parent->repository_id, parent->id);

    while (rc == HV_OK && row) {
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        hv_artifact_ref *e = &v[count++];
        e->parent_id = hv_stmt_int(st, 0);
        e->child_id = hv_stmt_int(st, 1);
        e->child_digest = hv_model__text(ctx, st, 2);
        e->os = hv_model__text(ctx, st, 3);
        e->architecture = hv_model__text(ctx, st, 4);
        e->variant = hv_model__text(ctx, st, 5);
        e->os_version = hv_model__text(ctx, st, 6);
        e->os_features_json = hv_model__text(ctx, st, 7);
        e->annotations_json = hv_model__text(ctx, st, 8);
        e->urls_json = hv_model__text(ctx, st, 9);
        rc = hv_stmt_step(st, ctx, &row);
    }
    if (rc == HV_OK)
        hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

static const char *sql_labels =
    "SELECT l.id, l.name, l.description, l.color, l.scope, coalesce(l.project_id, 0),"
    " l.creation_time, l.update_time FROM artifact_label al JOIN label l ON l.id = al.label_id"
    " WHERE al.artifact_id = ? ORDER BY al.creation_time, l.id";

hv_err hv_model_artifact_labels(hv_artifact_label **out, size_t *n, hv_ctx *ctx,
                                int64_t artifact_id) {
    size_t cap = 8, count = 0;
    hv_artifact_label *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_labels, "i", artifact_id);

    while (rc == HV_OK && row) {
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        hv_artifact_label *l = &v[count++];
        l->id = hv_stmt_int(st, 0);
        l->name = hv_model__text(ctx, st, 1);
        l->description = hv_model__text(ctx, st, 2);
        l->color = hv_model__text(ctx, st, 3);
        l->scope = hv_model__text(ctx, st, 4);
        l->project_id = hv_stmt_int(st, 5);
        l->creation_time = hv_stmt_int(st, 6);
        l->update_time = hv_stmt_int(st, 7);
        rc = hv_stmt_step(st, ctx, &row);
    }
    if (rc == HV_OK)
        hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}
