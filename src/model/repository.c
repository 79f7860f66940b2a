/*
 * Repositories as the Harbor API shows them (lists, details, description, deletion), the
 * order in which a repository's artifacts can be deleted, and the counts of /statistics.
 *
 * Lists and counts cover what a caller may see (hv_visibility): every project, or public
 * projects plus the caller's own.  The ids in a visibility come from the server (a user id,
 * the projects a robot holds permissions in), never from the client, so they are formatted
 * into the SQL as integers; everything the client sends is bound.
 *
 * Fast at 100k artifacts: a page is chosen by an index walk over `repository` alone
 * (repository_project, repository_project_created, repository_created, the name index), and
 * artifact counts are computed afterwards for the page's rows only, each an index count
 * (artifact_repo_main, a partial index of the non-accessory artifacts; 004_repos.sql) less
 * the untagged children of the repository's indexes, as Harbor's artifact list hides them.
 */
#include "model/model_int.h"

#include <stdio.h>
#include <string.h>

/* The visibility condition on a row whose project is p (joined) with metadata m, into *out
 * (arena).  HV_E_TOO_LARGE when it would pass 64 KiB (more projects than a robot may hold). */
static hv_err visible_expr(const char **out, hv_ctx *ctx, const hv_visibility *vis,
                           const char *project_col) {
    hv_buf b;
    hv_err rc;

    *out = "(1 = 1)";
    if (vis->all)
        return HV_OK;
    hv_buf_init(&b, 64 * 1024);
    rc = hv_buf_appendf(&b, "(coalesce(m.value, 'false') = 'true'");
    if (rc == HV_OK && vis->user_id > 0)
        rc = hv_buf_appendf(&b,
                            " OR %s IN (SELECT vm.project_id FROM member vm WHERE"
                            " vm.entity_type = 'u' AND vm.entity_id = %lld)",
                            project_col, (long long)vis->user_id);
    if (rc == HV_OK && vis->n_project_ids > 0) {
        rc = hv_buf_appendf(&b, " OR %s IN (", project_col);
        for (size_t i = 0; rc == HV_OK && i < vis->n_project_ids; i++)
            rc = hv_buf_appendf(&b, "%s%lld", i ? ", " : "", (long long)vis->project_ids[i]);
        if (rc == HV_OK)
            rc = hv_buf_appendf(&b, ")");
    }
    if (rc == HV_OK)
        rc = hv_buf_appendf(&b, ")");
    if (rc == HV_OK)
        *out = hv_arena_strndup(ctx->arena, b.data, b.len);
    else
        rc = HV_FAIL(ctx, rc, "the visibility condition of %zu projects is too long",
                     vis->n_project_ids);
    hv_buf_free(&b);
    return rc;
}

#define REPO_SELECT                                                                                \
    "SELECT r.id, r.project_id, r.name, r.description, r.pull_count, r.creation_time,"             \
    " r.update_time, coalesce(p.name, ''), coalesce(m.value, 'false') FROM repository r"           \
    " LEFT JOIN project p ON p.id = r.project_id"                                                  \
    " LEFT JOIN project_metadata m ON m.project_id = r.project_id AND m.name = 'public'"

static void read_repo(hv_repository_detail *out, hv_ctx *ctx, hv_stmt *st) {
    out->id = hv_stmt_int(st, 0);
    out->project_id = hv_stmt_int(st, 1);
    out->name = hv_model__text(ctx, st, 2);
    out->description = hv_model__text(ctx, st, 3);
    out->pull_count = hv_stmt_int(st, 4);
    out->creation_time = hv_stmt_int(st, 5);
    out->update_time = hv_stmt_int(st, 6);
    out->project_name = hv_model__text(ctx, st, 7);
    out->project_public = strcmp(hv_stmt_text(st, 8), "true") == 0;
    out->artifact_count = 0;
}

/* What Harbor's artifact list shows by default (artifact_list.c, LISTED_EXPR): artifacts that
 * are not accessories, less those that only an index of the same repository holds (untagged
 * children).  Counted as the index count of artifact_repo_main minus those children, found
 * from the references side, so that a large repository costs an index walk rather than a
 * probe of tag and artifact_reference per artifact. */
static const char *sql_artifact_count =
    "SELECT (SELECT count(*) FROM artifact WHERE repository_id = ?1 AND accessory_type IS NULL)"
    " - (SELECT count(*) FROM artifact c WHERE c.repository_id = ?1 AND c.accessory_type IS NULL"
    " AND c.digest IN (SELECT lr.child_digest FROM artifact lp"
    " JOIN artifact_reference lr ON lr.parent_id = lp.id WHERE lp.repository_id = ?1)"
    " AND NOT EXISTS (SELECT 1 FROM tag t WHERE t.artifact_id = c.id))";

hv_err hv_model_repository_artifact_count(int64_t *out, hv_ctx *ctx, int64_t repository_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_artifact_count, "i", repository_id);

    if (rc)
        return rc;
    *out = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    return HV_OK;
}

hv_err hv_model_repository_list(hv_repository_detail **out, size_t *n, int64_t *total, hv_ctx *ctx,
                                const hv_list *list, int64_t project_id, const hv_visibility *vis) {
    static const char *yes[] = {"true"};
    const char *visible;
    hv_err rc = visible_expr(&visible, ctx, vis, "r.project_id");
    hv_model__column cols[] = {
        {"id", "r.id", 'i'},
        {"name", "r.name", 't'},
        {"project_id", "r.project_id", 'i'},
        {"description", "r.description", 't'},
        {"pull_count", "r.pull_count", 'i'},
        {"creation_time", "r.creation_time", 'm'},
        {"update_time", "r.update_time", 'm'},
        {"visible", visible, 'b'},
        {NULL, NULL, 0},
    };
    hv_query_term fixed[2];
    size_t n_fixed = 0, cap = 16, count = 0;
    const char *pid;
    hv_repository_detail *v;
    hv_stmt *st = NULL;
    bool row;

    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    if (project_id > 0) {
        pid = hv_arena_printf(ctx->arena, "%lld", (long long)project_id);
        fixed[n_fixed++] = (hv_query_term){.key = "project_id",
                                           .op = HV_Q_EXACT,
                                           .values = hv_arena_alloc(ctx->arena, sizeof(pid)),
                                           .n_values = 1};
        fixed[n_fixed - 1].values[0] = pid;
    }
    if (!vis->all)
        fixed[n_fixed++] =
            (hv_query_term){.key = "visible", .op = HV_Q_EXACT, .values = yes, .n_values = 1};
    /* Harbor's default: newest first */
    rc = hv_model__list(&st, total, ctx, REPO_SELECT, cols, "r.creation_time DESC, r.id DESC", list,
                        fixed, n_fixed);
    if (rc)
        goto out;
    v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    for (;;) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        read_repo(&v[count++], ctx, st);
    }
    /* counts for the page only, once the page's statement is done */
    for (size_t i = 0; rc == HV_OK && i < count; i++)
        rc = hv_model_repository_artifact_count(&v[i].artifact_count, ctx, v[i].id);
    if (rc == HV_OK) {
        *out = v;
        *n = count;
    }
out:
    hv_stmt_free(st);
    return rc;
}

static const char *sql_repo_detail = REPO_SELECT " WHERE r.name = ?";

hv_err hv_model_repository_detail(hv_repository_detail *out, hv_ctx *ctx, const char *name) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_repo_detail, "t", name);

    if (rc)
        return rc;
    if (row)
        read_repo(out, ctx, st);
    hv_stmt_reset(st);
    if (!row)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "repository %s not found", name);
    return hv_model_repository_artifact_count(&out->artifact_count, ctx, out->id);
}

static const char *sql_repo_describe = "UPDATE repository SET description = ? WHERE id = ?";

hv_err hv_model_repository_set_description(hv_ctx *ctx, int64_t id, const char *description) {
    int64_t changes = 0;
    hv_err rc = hv_model__exec(&changes, ctx, sql_repo_describe, "ti", description, id);

    if (rc == HV_OK && changes == 0)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "repository %lld not found", (long long)id);
    return rc;
}

static const char *sql_repo_delete = "DELETE FROM repository WHERE id = ?";

hv_err hv_model_repository_delete(hv_ctx *ctx, int64_t id) {
    int64_t changes = 0;
    hv_err rc = hv_model__exec(&changes, ctx, sql_repo_delete, "i", id);

    if (rc == HV_OK && changes == 0)
        rc = HV_FAIL(ctx, HV_E_NOT_FOUND, "repository %lld not found", (long long)id);
    return rc;
}

/*
 * Artifacts that nothing else in the repository holds on to: no index of the repository
 * lists them, and their subject (if any) is not in the repository (an accessory goes with
 * its subject).  Deleting these first, batch after batch, empties a repository without ever
 * deleting an index's child before the index.
 */
static const char *sql_repo_roots =
    "SELECT a.id, a.repository_id, a.digest, a.media_type, a.artifact_type, a.size,"
    " a.subject_digest, a.annotations FROM artifact a WHERE a.repository_id = ?1"
    " AND NOT EXISTS (SELECT 1 FROM artifact_reference ar JOIN artifact ap ON ap.id = ar.parent_id"
    "                 WHERE ar.child_digest = a.digest AND ap.repository_id = ?1)"
    " AND (a.subject_digest IS NULL OR NOT EXISTS (SELECT 1 FROM artifact s"
    "      WHERE s.repository_id = ?1 AND s.digest = a.subject_digest))"
    " ORDER BY a.id LIMIT ?2";
/* the same without the subject condition: breaks a loop of accessories naming each other */
static const char *sql_repo_unlisted =
    "SELECT a.id, a.repository_id, a.digest, a.media_type, a.artifact_type, a.size,"
    " a.subject_digest, a.annotations FROM artifact a WHERE a.repository_id = ?1"
    " AND NOT EXISTS (SELECT 1 FROM artifact_reference ar JOIN artifact ap ON ap.id = ar.parent_id"
    "                 WHERE ar.child_digest = a.digest AND ap.repository_id = ?1)"
    " ORDER BY a.id LIMIT ?2";

hv_err hv_model_repository_roots(hv_artifact **out, size_t *n, hv_ctx *ctx, int64_t repository_id,
                                 int64_t limit, bool ignore_subjects) {
    hv_artifact *v = hv_arena_alloc(ctx->arena, (size_t)limit * sizeof(*v));
    size_t count = 0;
    hv_stmt *st;
    bool row;
    hv_err rc =
        hv_model__query(&st, &row, ctx, ignore_subjects ? sql_repo_unlisted : sql_repo_roots, "ii",
                        repository_id, limit);

    while (rc == HV_OK && row && count < (size_t)limit) {
        hv_artifact *a = &v[count++];
        a->id = hv_stmt_int(st, 0);
        a->repository_id = hv_stmt_int(st, 1);
        a->digest = hv_model__text(ctx, st, 2);
        a->media_type = hv_model__text(ctx, st, 3);
        a->artifact_type = hv_model__text(ctx, st, 4);
        a->size = hv_stmt_int(st, 5);
        a->subject_digest = hv_model__text(ctx, st, 6);
        a->annotations_json = hv_model__text(ctx, st, 7);
        rc = hv_stmt_step(st, ctx, &row);
    }
    if (rc == HV_OK)
        hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

static const char *sql_repo_artifacts = "SELECT count(*) FROM artifact WHERE repository_id = ?";

hv_err hv_model_repository_all_artifacts(int64_t *out, hv_ctx *ctx, int64_t repository_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_repo_artifacts, "i", repository_id);

    if (rc)
        return rc;
    *out = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    return HV_OK;
}

/* ---------------------------------------------------------------- statistics */

/* Runs a dynamic "SELECT public, count" query and adds its rows into pub/priv. */
static hv_err split_counts(int64_t *pub, int64_t *priv, hv_ctx *ctx, const char *sql) {
    hv_stmt *st = NULL;
    bool row;
    hv_err rc = hv_db_prepare_dynamic(&st, ctx->db, ctx, sql);

    *pub = *priv = 0;
    while (rc == HV_OK) {
        rc = hv_stmt_step(st, ctx, &row);
        if (rc || !row)
            break;
        if (hv_stmt_int(st, 0))
            *pub += hv_stmt_int(st, 1);
        else
            *priv += hv_stmt_int(st, 1);
    }
    hv_stmt_free(st);
    return rc;
}

/* Every stored blob once (manifests included), as Harbor's blob size total: a running sum
 * that triggers on `blob` keep (004_repos.sql). */
static const char *sql_storage = "SELECT coalesce(sum(size), 0) FROM blob_total";

hv_err hv_model_statistics(hv_statistics *out, hv_ctx *ctx, const hv_visibility *vis,
                           bool with_storage) {
    const char *vis_sql;
    const char *sql;
    hv_stmt *st;
    bool row;
    hv_err rc = visible_expr(&vis_sql, ctx, vis, "p.id");

    memset(out, 0, sizeof(*out));
    if (rc)
        return rc;
    sql = hv_arena_printf(ctx->arena,
                          "SELECT coalesce(m.value, 'false') = 'true' AS pub, count(*)"
                          " FROM project p LEFT JOIN project_metadata m"
                          " ON m.project_id = p.id AND m.name = 'public'"
                          " WHERE %s GROUP BY pub",
                          vis_sql);
    rc = split_counts(&out->public_projects, &out->private_projects, ctx, sql);
    if (rc)
        return rc;
    /* repositories counted per project on the (project_id, name) index, then joined */
    sql =
        hv_arena_printf(ctx->arena,
                        "SELECT coalesce(m.value, 'false') = 'true' AS pub, sum(rc.n)"
                        " FROM (SELECT project_id, count(*) AS n FROM repository"
                        "       GROUP BY project_id) rc"
                        " JOIN project p ON p.id = rc.project_id"
                        " LEFT JOIN project_metadata m ON m.project_id = p.id AND m.name = 'public'"
                        " WHERE %s GROUP BY pub",
                        vis_sql);
    rc = split_counts(&out->public_repositories, &out->private_repositories, ctx, sql);
    if (rc || !with_storage)
        return rc;
    rc = hv_model__query(&st, &row, ctx, sql_storage, "");
    if (rc)
        return rc;
    out->storage = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    return HV_OK;
}
