/*
 * What garbage collection reads and deletes.  The database decides what is garbage:
 *
 *   - an untagged artifact (delete_untagged): no tag, not listed by an index of its
 *     repository, not an accessory whose subject is there;
 *   - an orphan link: a blob linked to a project (charged to its quota) that no artifact of
 *     the project references, linked before the cutoff, in a project with no upload open;
 *   - a garbage blob: linked to no project, referenced by no artifact, last referenced
 *     before the cutoff.
 *
 * Each deletion locks its row first and then checks again with a new statement: on
 * PostgreSQL (READ COMMITTED) that statement sees whatever a push that held the row
 * committed meanwhile, so a blob a push has just referenced is never taken.  A deleted blob
 * leaves a tombstone until its bytes are removed from the store; a push of the same digest
 * takes the tombstone back (hv_model_blob_put).
 */
#include "model/model_int.h"

#include <string.h>

#define UNTAGGED(a)                                                                                \
    "NOT EXISTS (SELECT 1 FROM tag t WHERE t.artifact_id = " a ".id)"                              \
    " AND NOT EXISTS (SELECT 1 FROM artifact_reference r JOIN artifact p ON p.id = r.parent_id"    \
    " WHERE r.child_digest = " a ".digest AND p.repository_id = " a ".repository_id)"              \
    " AND NOT EXISTS (SELECT 1 FROM artifact s WHERE " a ".subject_digest IS NOT NULL"             \
    " AND s.repository_id = " a ".repository_id AND s.digest = " a ".subject_digest)"

static const char *sql_untagged =
    "SELECT a.id, a.repository_id, r.name, r.project_id, a.digest FROM artifact a"
    " JOIN repository r ON r.id = a.repository_id WHERE a.id > ? AND " UNTAGGED(
        "a") " ORDER BY a.id LIMIT ?";

hv_err hv_model_gc_untagged(hv_gc_artifact **out, size_t *n, hv_ctx *ctx, int64_t after,
                            int64_t limit) {
    hv_gc_artifact *v = hv_arena_alloc(ctx->arena, (size_t)limit * sizeof(*v));
    size_t count = 0;
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_untagged, "ii", after, limit);

    while (rc == HV_OK && row && count < (size_t)limit) {
        v[count].id = hv_stmt_int(st, 0);
        v[count].repository_id = hv_stmt_int(st, 1);
        v[count].repository = hv_model__text(ctx, st, 2);
        v[count].project_id = hv_stmt_int(st, 3);
        v[count].digest = hv_model__text(ctx, st, 4);
        count++;
        rc = hv_stmt_step(st, ctx, &row);
    }
    if (rc == HV_OK)
        hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

/* An artifact of project p (the alias of project_blob) referencing the blob: as one of its blobs
 * (most blobs are layers: asked first) or as its manifest.  Two EXISTS, each led by the blob's
 * digest, so that both use an index on the digest instead of reading every artifact of the project
 * (CROSS JOIN keeps SQLite's join order: artifact by digest, then its repository). */
#define REFERENCED_IN_PROJECT(pb, extra)                                                           \
    "(EXISTS (SELECT 1 FROM artifact_blob ab JOIN artifact a ON a.id = ab.artifact_id"             \
    " JOIN repository r ON r.id = a.repository_id WHERE ab.blob_digest = " pb ".blob_digest"       \
    " AND r.project_id = " pb ".project_id" extra ")"                                              \
    " OR EXISTS (SELECT 1 FROM artifact a CROSS JOIN repository r WHERE r.id = a.repository_id"    \
    " AND a.digest = " pb ".blob_digest AND r.project_id = " pb ".project_id" extra "))"
#define NO_UPLOAD(pb) "NOT EXISTS (SELECT 1 FROM upload u WHERE u.project_id = " pb ".project_id)"
/* A link of pb that a run releases; extra: a condition on the artifacts a that still count. */
#define ORPHAN(pb, extra)                                                                          \
    pb ".creation_time < ?1 AND NOT " REFERENCED_IN_PROJECT(pb, extra) " AND " NO_UPLOAD(pb)
#define ORPHAN_LINK ORPHAN("pb", "")

static const char *sql_orphan_links =
    "SELECT pb.project_id, pb.blob_digest FROM project_blob pb WHERE (pb.project_id,"
    " pb.blob_digest) > (?2, ?3) AND " ORPHAN_LINK
    " ORDER BY pb.project_id, pb.blob_digest LIMIT ?4";

hv_err hv_model_gc_orphan_links(hv_gc_link **out, size_t *n, hv_ctx *ctx, int64_t cutoff,
                                int64_t after_project, const char *after_digest, int64_t limit) {
    hv_gc_link *v = hv_arena_alloc(ctx->arena, (size_t)limit * sizeof(*v));
    size_t count = 0;
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_orphan_links, "iiti", cutoff, after_project,
                                after_digest, limit);

    while (rc == HV_OK && row && count < (size_t)limit) {
        v[count].project_id = hv_stmt_int(st, 0);
        v[count].digest = hv_model__text(ctx, st, 1);
        count++;
        rc = hv_stmt_step(st, ctx, &row);
    }
    if (rc == HV_OK)
        hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

static const char *sql_link_lock =
    "SELECT 1 FROM project_blob WHERE project_id = ? AND blob_digest = ? FOR UPDATE";
static const char *sql_orphan_unlink =
    "DELETE FROM project_blob WHERE project_id = ?2 AND blob_digest = ?3 AND EXISTS (SELECT 1"
    " FROM project_blob pb WHERE pb.project_id = ?2 AND pb.blob_digest = ?3 AND " ORPHAN_LINK ")";

hv_err hv_model_gc_unlink_orphan(bool *done, hv_ctx *ctx, int64_t project_id, const char *digest,
                                 int64_t cutoff) {
    int64_t changed = 0;
    hv_stmt *st;
    bool row;
    hv_err rc = HV_OK;

    if (hv_db_engine_of(ctx->db) == HV_DB_POSTGRES) {
        rc = hv_model__query(&st, &row, ctx, sql_link_lock, "it", project_id, digest);
        if (rc == HV_OK)
            hv_stmt_reset(st);
    }
    if (rc == HV_OK)
        rc = hv_model__exec(&changed, ctx, sql_orphan_unlink, "iit", cutoff, project_id, digest);
    *done = changed > 0;
    return rc;
}

/* A blob no artifact a (meeting extra) references: as its manifest or as one of its blobs. */
#define UNREFERENCED(b, extra)                                                                     \
    "NOT EXISTS (SELECT 1 FROM artifact_blob ab JOIN artifact a ON a.id = ab.artifact_id"          \
    " WHERE ab.blob_digest = " b ".digest" extra ")"                                               \
    " AND NOT EXISTS (SELECT 1 FROM artifact a WHERE a.digest = " b ".digest" extra ")"
/* A blob a run deletes once the links that meet `links` are gone (extra as above). */
#define GARBAGE(b, links, extra)                                                                   \
    b ".last_ref < ?1 AND NOT EXISTS (SELECT 1 FROM project_blob pb WHERE pb.blob_digest = " b     \
      ".digest" links ") AND " UNREFERENCED(b, extra)
#define GARBAGE_BLOB(b) GARBAGE(b, "", "")

static const char *sql_garbage_blobs = "SELECT b.digest, b.size FROM blob b WHERE " GARBAGE_BLOB(
    "b") " AND b.digest > ?2 ORDER BY b.digest LIMIT ?3";

hv_err hv_model_gc_garbage_blobs(const char ***digests, int64_t **sizes, size_t *n, hv_ctx *ctx,
                                 int64_t cutoff, const char *after, int64_t limit) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_garbage_blobs, "iti", cutoff, after, limit);

    return rc ? rc : hv_model__digest_sizes(digests, sizes, n, ctx, st, row);
}

static const char *sql_blob_lock = "SELECT 1 FROM blob WHERE digest = ? FOR UPDATE";
static const char *sql_garbage_delete =
    "DELETE FROM blob WHERE digest = ?2 AND EXISTS (SELECT 1 FROM blob b WHERE b.digest = ?2"
    " AND " GARBAGE_BLOB("b") ")";
static const char *sql_tombstone_add =
    "INSERT INTO blob_tombstone (digest, creation_time) VALUES (?, ?) ON CONFLICT DO NOTHING";

hv_err hv_model_gc_delete_blob(bool *done, hv_ctx *ctx, const char *digest, int64_t cutoff) {
    int64_t changed = 0;
    hv_stmt *st;
    bool row;
    hv_err rc = HV_OK;

    if (hv_db_engine_of(ctx->db) == HV_DB_POSTGRES) {
        rc = hv_model__query(&st, &row, ctx, sql_blob_lock, "t", digest);
        if (rc == HV_OK)
            hv_stmt_reset(st);
    }
    if (rc == HV_OK)
        rc = hv_model__exec(&changed, ctx, sql_garbage_delete, "it", cutoff, digest);
    if (rc == HV_OK && changed > 0)
        rc = hv_model__exec(NULL, ctx, sql_tombstone_add, "ti", digest, hv_now_ms());
    *done = changed > 0;
    return rc;
}

static const char *sql_tombstones =
    "SELECT digest FROM blob_tombstone WHERE digest > ? ORDER BY digest LIMIT ?";

hv_err hv_model_gc_tombstones(const char ***out, size_t *n, hv_ctx *ctx, const char *after,
                              int64_t limit) {
    return hv_model__strings(out, n, ctx, sql_tombstones, "ti", after, limit);
}

static const char *sql_tombstone_lock = "SELECT 1 FROM blob_tombstone WHERE digest = ?";
static const char *sql_tombstone_lock_pg =
    "SELECT 1 FROM blob_tombstone WHERE digest = ? FOR UPDATE";
static const char *sql_blob_exists = "SELECT 1 FROM blob WHERE digest = ?";
static const char *sql_tombstone_delete = "DELETE FROM blob_tombstone WHERE digest = ?";

hv_err hv_model_gc_tombstone_claim(bool *claimed, hv_ctx *ctx, const char *digest) {
    hv_stmt *st;
    bool row = false, stored = false;
    hv_err rc = hv_model__query(
        &st, &row, ctx, HV_MODEL__SQL(ctx, sql_tombstone_lock, sql_tombstone_lock_pg), "t", digest);

    if (rc == HV_OK)
        hv_stmt_reset(st);
    if (rc == HV_OK && row) {
        rc = hv_model__query(&st, &stored, ctx, sql_blob_exists, "t", digest);
        if (rc == HV_OK)
            hv_stmt_reset(st);
    }
    /* pushed again since: the bytes are the blob's, only the tombstone goes */
    if (rc == HV_OK && row && stored)
        rc = hv_model__exec(NULL, ctx, sql_tombstone_delete, "t", digest);
    *claimed = row && !stored;
    return rc;
}

hv_err hv_model_gc_tombstone_done(hv_ctx *ctx, const char *digest) {
    return hv_model__exec(NULL, ctx, sql_tombstone_delete, "t", digest);
}

/* A dry run's answer: what a run would delete now, from the conditions the run's own
 * statements use, with the untagged artifacts counted as gone (?2: whether they are) and the
 * orphan links as released. */
#define SURVIVES " AND NOT (?2 = 1 AND " UNTAGGED("a") ")"
static const char *sql_estimate_artifacts =
    "SELECT count(*) FROM artifact a WHERE ?1 = 1 AND " UNTAGGED("a");
static const char *sql_estimate_blobs =
    "SELECT count(*), coalesce(sum(b.size), 0) FROM blob b WHERE " GARBAGE(
        "b", " AND NOT (" ORPHAN("pb", SURVIVES) ")", SURVIVES);

hv_err hv_model_gc_estimate(int64_t *artifacts, int64_t *blobs, int64_t *bytes, hv_ctx *ctx,
                            int64_t cutoff, bool delete_untagged) {
    hv_stmt *st;
    bool row;
    hv_err rc =
        hv_model__query(&st, &row, ctx, sql_estimate_artifacts, "i", (int64_t)delete_untagged);

    if (rc)
        return rc;
    *artifacts = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    rc =
        hv_model__query(&st, &row, ctx, sql_estimate_blobs, "ii", cutoff, (int64_t)delete_untagged);
    if (rc)
        return rc;
    *blobs = row ? hv_stmt_int(st, 0) : 0;
    *bytes = row ? hv_stmt_int(st, 1) : 0;
    hv_stmt_reset(st);
    return HV_OK;
}
