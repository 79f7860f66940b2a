/* Blobs and their project links, artifacts, their references and tags. */
#include "model/model_int.h"

#include <string.h>

/* Storing a blob is a reference for garbage collection (last_ref), and takes back the
 * tombstone a collection left for the digest, so that its bytes, placed again by this
 * transaction, stay (on PostgreSQL the DELETE waits for a collection removing them). */
static const char *sql_blob_put =
    "INSERT INTO blob (digest, size, creation_time, last_ref) VALUES (?1, ?2, ?3, ?3)"
    " ON CONFLICT (digest) DO UPDATE SET last_ref = excluded.last_ref";
static const char *sql_blob_untomb = "DELETE FROM blob_tombstone WHERE digest = ?";

hv_err hv_model_blob_put(hv_ctx *ctx, const char *digest, int64_t size) {
    hv_err rc = hv_model__exec(NULL, ctx, sql_blob_put, "tii", digest, size, hv_now_ms());

    return rc ? rc : hv_model__exec(NULL, ctx, sql_blob_untomb, "t", digest);
}

static const char *sql_blob_link =
    "INSERT INTO project_blob (project_id, blob_digest, creation_time) VALUES (?, ?, ?)"
    " ON CONFLICT DO NOTHING";

static const char *sql_blob_touch = "UPDATE blob SET last_ref = ? WHERE digest = ?";

hv_err hv_model_blob_link(bool *added, hv_ctx *ctx, int64_t project_id, const char *digest) {
    int64_t changed = 0, now = hv_now_ms();
    hv_err rc = hv_model__exec(&changed, ctx, sql_blob_link, "iti", project_id, digest, now);

    *added = changed > 0;
    /* a new link is a reference: garbage collection keeps the blob a grace period after it */
    if (rc == HV_OK && *added)
        rc = hv_model__exec(NULL, ctx, sql_blob_touch, "it", now, digest);
    return rc;
}

static const char *sql_blob_linked =
    "SELECT b.size FROM project_blob pb JOIN blob b ON b.digest = pb.blob_digest"
    " WHERE pb.project_id = ? AND pb.blob_digest = ?";
/* the link is share-locked until the transaction ends: garbage collection, which locks a
 * link before it deletes it, then waits and sees what the transaction made of the blob */
static const char *sql_blob_linked_pg =
    "SELECT b.size FROM project_blob pb JOIN blob b ON b.digest = pb.blob_digest"
    " WHERE pb.project_id = ? AND pb.blob_digest = ? FOR SHARE OF pb";

hv_err hv_model_blob_linked(int64_t *size, hv_ctx *ctx, int64_t project_id, const char *digest) {
    hv_stmt *st;
    bool row;
    hv_err rc =
        hv_model__query(&st, &row, ctx, HV_MODEL__SQL(ctx, sql_blob_linked, sql_blob_linked_pg),
                        "it", project_id, digest);

    if (rc)
        return rc;
    if (row)
        *size = hv_stmt_int(st, 0);
    hv_stmt_reset(st);
    return row ? HV_OK
               : HV_FAIL(ctx, HV_E_BLOB_UNKNOWN, "blob %s is not known to this repository", digest);
}

static const char *sql_blob_unlink =
    "DELETE FROM project_blob WHERE project_id = ? AND blob_digest = ?";

hv_err hv_model_blob_unlink(hv_ctx *ctx, int64_t project_id, const char *digest) {
    int64_t changed = 0;
    hv_err rc = hv_model__exec(&changed, ctx, sql_blob_unlink, "it", project_id, digest);

    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_BLOB_UNKNOWN, "blob %s is not known to this repository", digest);
    return rc;
}

void hv_model__read_artifact(hv_artifact *a, hv_ctx *ctx, hv_stmt *st, int col) {
    a->id = hv_stmt_int(st, col);
    a->repository_id = hv_stmt_int(st, col + 1);
    a->digest = hv_model__text(ctx, st, col + 2);
    a->media_type = hv_model__text(ctx, st, col + 3);
    a->artifact_type = hv_model__text(ctx, st, col + 4);
    a->size = hv_stmt_int(st, col + 5);
    a->subject_digest = hv_model__text(ctx, st, col + 6);
    a->annotations_json = hv_model__text(ctx, st, col + 7);
}

/* Reads the artifact of the query's row, if there is one, and resets the statement. */
static bool take_artifact(hv_artifact *out, hv_ctx *ctx, hv_stmt *st, bool row) {
    if (row)
        hv_model__read_artifact(out, ctx, st, 0);
    hv_stmt_reset(st);
    return row;
}

static const char *sql_artifact_get = "SELECT " HV_MODEL__ARTIFACT_COLUMNS " FROM artifact a"
                                      " WHERE a.repository_id = ? AND a.digest = ?";

hv_err hv_model_artifact_get(hv_artifact *out, hv_ctx *ctx, int64_t repository_id,
                             const char *digest) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_artifact_get, "it", repository_id, digest);

    if (rc)
        return rc;
    return take_artifact(out, ctx, st, row)
               ? HV_OK
               : HV_FAIL(ctx, HV_E_MANIFEST_UNKNOWN, "manifest %s is not known", digest);
}

static const char *sql_artifact_by_tag =
    "SELECT " HV_MODEL__ARTIFACT_COLUMNS " FROM tag t JOIN artifact a ON a.id = t.artifact_id"
    " WHERE t.repository_id = ? AND t.name = ?";

hv_err hv_model_artifact_by_tag(hv_artifact *out, hv_ctx *ctx, int64_t repository_id,
                                const char *tag) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_artifact_by_tag, "it", repository_id, tag);

    if (rc)
        return rc;
    return take_artifact(out, ctx, st, row)
               ? HV_OK
               : HV_FAIL(ctx, HV_E_MANIFEST_UNKNOWN, "tag %s is not known", tag);
}

static const char *sql_artifact_insert =
    "INSERT INTO artifact (repository_id, digest, media_type, artifact_type, size,"
    " subject_digest, annotations, push_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (repository_id, digest) DO NOTHING RETURNING id";
static const char *sql_artifact_id =
    "SELECT id FROM artifact WHERE repository_id = ? AND digest = ?";

hv_err hv_model_artifact_put(bool *created, hv_ctx *ctx, hv_artifact *a) {
    hv_stmt *st;
    bool row;
    hv_err rc;

    rc = hv_model__insert(&a->id, ctx, sql_artifact_insert, "itttitti", a->repository_id, a->digest,
                          a->media_type, a->artifact_type, a->size, a->subject_digest,
                          a->annotations_json, hv_now_ms());
    if (rc)
        return rc;
    *created = a->id > 0;
    if (*created)
        return HV_OK;
    rc = hv_model__query(&st, &row, ctx, sql_artifact_id, "it", a->repository_id, a->digest);
    if (rc)
        return rc;
    a->id = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    return HV_OK;
}

static const char *sql_artifact_blob =
    "INSERT INTO artifact_blob (artifact_id, blob_digest) VALUES (?, ?) ON CONFLICT DO NOTHING";

hv_err hv_model_artifact_add_blob(hv_ctx *ctx, int64_t artifact_id, const char *digest) {
    return hv_model__exec(NULL, ctx, sql_artifact_blob, "it", artifact_id, digest);
}

/* position: the entry's place in the index, as the index's entries are inserted in order */
static const char *sql_artifact_ref =
    "INSERT INTO artifact_reference (parent_id, child_digest, os, architecture, variant,"
    " position) VALUES (?1, ?2, ?3, ?4, ?5,"
    " (SELECT count(*) FROM artifact_reference WHERE parent_id = ?1)) ON CONFLICT DO NOTHING";

hv_err hv_model_artifact_add_reference(hv_ctx *ctx, int64_t parent_id,
                                       const hv_oci_descriptor *child) {
    return hv_model__exec(NULL, ctx, sql_artifact_ref, "itttt", parent_id, child->digest, child->os,
                          child->architecture, child->variant);
}

static const char *sql_artifact_child =
    "SELECT " HV_MODEL__ARTIFACT_COLUMNS " FROM artifact_reference r"
    " JOIN artifact a ON a.digest = r.child_digest AND a.repository_id = ?"
    " WHERE r.parent_id = ? AND r.os = ? AND r.architecture = ? ORDER BY r.variant LIMIT 1";

hv_err hv_model_artifact_child(hv_artifact *out, hv_ctx *ctx, const hv_artifact *parent,
                               const char *os, const char *architecture) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_artifact_child, "iitt", parent->repository_id,
                                parent->id, os, architecture);

    if (rc)
        return rc;
    return take_artifact(out, ctx, st, row)
               ? HV_OK
               : HV_FAIL(ctx, HV_E_MANIFEST_UNKNOWN, "index %s has no %s/%s manifest",
                         parent->digest, os, architecture);
}

static const char *sql_artifact_parents =
    "SELECT count(*) FROM artifact_reference r JOIN artifact p ON p.id = r.parent_id"
    " WHERE r.child_digest = ? AND p.repository_id = ?";

hv_err hv_model_artifact_parents(int64_t *out, hv_ctx *ctx, const hv_artifact *a) {
    hv_stmt *st;
    bool row;
    hv_err rc =
        hv_model__query(&st, &row, ctx, sql_artifact_parents, "ti", a->digest, a->repository_id);

    if (rc)
        return rc;
    *out = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    return HV_OK;
}

static const char *sql_artifact_delete = "DELETE FROM artifact WHERE id = ?";

hv_err hv_model_artifact_delete(hv_ctx *ctx, int64_t artifact_id) {
    return hv_model__exec(NULL, ctx, sql_artifact_delete, "i", artifact_id);
}

static const char *sql_referrers =
    "SELECT " HV_MODEL__ARTIFACT_COLUMNS " FROM artifact a WHERE a.repository_id = ?"
    " AND a.subject_digest = ? AND (?3 IS NULL OR a.artifact_type = ?3) ORDER BY a.id";

hv_err hv_model_referrers(hv_artifact **out, size_t *n, hv_ctx *ctx, int64_t repository_id,
                          const char *subject, const char *artifact_type) {
    size_t cap = 16, count = 0;
    hv_artifact *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_referrers, "itt", repository_id, subject,
                                artifact_type);

    while (rc == HV_OK && row) {
        v = hv_arena_grow(ctx->arena, v, &cap, count, sizeof(*v));
        hv_model__read_artifact(&v[count++], ctx, st, 0);
        rc = hv_stmt_step(st, ctx, &row);
    }
    if (rc == HV_OK)
        hv_stmt_reset(st);
    *out = v;
    *n = count;
    return rc;
}

static const char *sql_artifact_tags = "SELECT name FROM tag WHERE artifact_id = ? ORDER BY name";

hv_err hv_model_artifact_tags(const char ***out, size_t *n, hv_ctx *ctx, int64_t artifact_id) {
    return hv_model__strings(out, n, ctx, sql_artifact_tags, "i", artifact_id);
}

static const char *sql_tag_current =
    "SELECT artifact_id FROM tag WHERE repository_id = ? AND name = ?";
static const char *sql_tag_upsert =
    "INSERT INTO tag (repository_id, artifact_id, name, push_time) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (repository_id, name) DO UPDATE SET artifact_id = excluded.artifact_id,"
    " push_time = excluded.push_time";

hv_err hv_model_tag_put(int64_t *previous, hv_ctx *ctx, int64_t repository_id, const char *name,
                        int64_t artifact_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_tag_current, "it", repository_id, name);

    if (rc)
        return rc;
    *previous = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    if (*previous == artifact_id)
        return HV_OK;
    return hv_model__exec(NULL, ctx, sql_tag_upsert, "iiti", repository_id, artifact_id, name,
                          hv_now_ms());
}

static const char *sql_tag_delete = "DELETE FROM tag WHERE repository_id = ? AND name = ?";

hv_err hv_model_tag_delete(hv_ctx *ctx, int64_t repository_id, const char *name) {
    int64_t changed = 0;
    hv_err rc = hv_model__exec(&changed, ctx, sql_tag_delete, "it", repository_id, name);

    if (rc == HV_OK && changed == 0)
        rc = HV_FAIL(ctx, HV_E_MANIFEST_UNKNOWN, "tag %s is not known", name);
    return rc;
}

static const char *sql_tag_names =
    "SELECT name FROM tag WHERE repository_id = ? AND name > ? ORDER BY name LIMIT ?";

hv_err hv_model_tag_names(const char ***out, size_t *n, hv_ctx *ctx, int64_t repository_id,
                          const char *last, int64_t limit) {
    return hv_model__strings(out, n, ctx, sql_tag_names, "iti", repository_id, last ? last : "",
                             limit);
}

/* ---------------------------------------------------------------- Harbor's artifact model */

static const char *sql_artifact_set_kind =
    "UPDATE artifact SET type = ?, config_media_type = ?, extra_attrs = ?, accessory_type = ?,"
    " total_size = ? WHERE id = ?";

hv_err hv_model_artifact_set_kind(hv_ctx *ctx, int64_t artifact_id, const hv_artifact_kind *k) {
    return hv_model__exec(NULL, ctx, sql_artifact_set_kind, "ttttii", k->type ? k->type : "UNKNOWN",
                          k->config_media_type, k->extra_attrs_json, k->accessory_type,
                          k->total_size, artifact_id);
}

static const char *sql_reference_details =
    "UPDATE artifact_reference SET os_version = ?, os_features = ?, annotations = ?, urls = ?"
    " WHERE parent_id = ? AND child_digest = ?";

hv_err hv_model_artifact_reference_details(hv_ctx *ctx, int64_t parent_id, const char *child,
                                           const char *os_version, const char *os_features_json,
                                           const char *annotations_json, const char *urls_json) {
    return hv_model__exec(NULL, ctx, sql_reference_details, "ttttit", os_version, os_features_json,
                          annotations_json, urls_json, parent_id, child);
}

static const char *sql_tag_get =
    "SELECT id, repository_id, artifact_id, name, push_time, coalesce(pull_time, 0) FROM tag"
    " WHERE repository_id = ? AND name = ?";

hv_err hv_model_tag_get(hv_tag_info *out, hv_ctx *ctx, int64_t repository_id, const char *name) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_tag_get, "it", repository_id, name);

    if (rc)
        return rc;
    if (row) {
        out->id = hv_stmt_int(st, 0);
        out->repository_id = hv_stmt_int(st, 1);
        out->artifact_id = hv_stmt_int(st, 2);
        out->name = hv_model__text(ctx, st, 3);
        out->push_time = hv_stmt_int(st, 4);
        out->pull_time = hv_stmt_int(st, 5);
    }
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_NOT_FOUND, "tag %s not found", name);
}

static const char *sql_tag_create =
    "INSERT INTO tag (repository_id, artifact_id, name, push_time) VALUES (?, ?, ?, ?)"
    " RETURNING id";

hv_err hv_model_tag_create(int64_t *out_id, hv_ctx *ctx, int64_t repository_id, int64_t artifact_id,
                           const char *name) {
    hv_err rc = hv_model__insert(out_id, ctx, sql_tag_create, "iiti", repository_id, artifact_id,
                                 name, hv_now_ms());

    if (rc == HV_E_CONFLICT) {
        hv_error_clear(ctx);
        return HV_FAIL(ctx, HV_E_CONFLICT, "the tag %s already exists in the repository", name);
    }
    return rc;
}

static const char *sql_artifact_blobs =
    "SELECT ab.blob_digest, coalesce(b.size, 0) FROM artifact_blob ab"
    " LEFT JOIN blob b ON b.digest = ab.blob_digest WHERE ab.artifact_id = ?"
    " ORDER BY ab.blob_digest";

hv_err hv_model_artifact_blobs(const char ***digests, int64_t **sizes, size_t *n, hv_ctx *ctx,
                               int64_t artifact_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_artifact_blobs, "i", artifact_id);

    if (rc)
        return rc;
    return hv_model__digest_sizes(digests, sizes, n, ctx, st, row);
}

static const char *sql_blob_size = "SELECT size FROM blob WHERE digest = ?";

hv_err hv_model_blob_size(int64_t *out, hv_ctx *ctx, const char *digest) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_blob_size, "t", digest);

    if (rc)
        return rc;
    if (row)
        *out = hv_stmt_int(st, 0);
    hv_stmt_reset(st);
    return row ? HV_OK : HV_FAIL(ctx, HV_E_BLOB_UNKNOWN, "blob %s is not stored", digest);
}

static const char *sql_blobs = "SELECT digest, size FROM blob ORDER BY digest";

hv_err hv_model_blobs(const char ***digests, int64_t **sizes, size_t *n, hv_ctx *ctx) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_blobs, "");

    if (rc)
        return rc;
    return hv_model__digest_sizes(digests, sizes, n, ctx, st, row);
}

static const char *sql_artifact_copy =
    "INSERT INTO artifact (repository_id, digest, media_type, artifact_type, size,"
    " subject_digest, annotations, push_time, type, config_media_type, extra_attrs,"
    " accessory_type, total_size)"
    " SELECT ?1, digest, media_type, artifact_type, size, subject_digest, annotations, ?2, type,"
    " config_media_type, extra_attrs, accessory_type, total_size FROM artifact WHERE id = ?3"
    " ON CONFLICT (repository_id, digest) DO NOTHING RETURNING id";
static const char *sql_artifact_copy_blobs =
    "INSERT INTO artifact_blob (artifact_id, blob_digest)"
    " SELECT ?1, blob_digest FROM artifact_blob WHERE artifact_id = ?2 ON CONFLICT DO NOTHING";
static const char *sql_artifact_copy_refs =
    "INSERT INTO artifact_reference (parent_id, child_digest, os, architecture, variant,"
    " os_version, os_features, annotations, urls, position)"
    " SELECT ?1, child_digest, os, architecture, variant, os_version, os_features, annotations,"
    " urls, position FROM artifact_reference WHERE parent_id = ?2 ON CONFLICT DO NOTHING";

hv_err hv_model_artifact_copy(int64_t *out_id, bool *created, hv_ctx *ctx,
                              const hv_artifact_info *src, int64_t repository_id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__insert(out_id, ctx, sql_artifact_copy, "iii", repository_id, hv_now_ms(),
                                 src->a.id);

    if (rc)
        return rc;
    *created = *out_id > 0;
    if (!*created) {
        rc = hv_model__query(&st, &row, ctx, sql_artifact_id, "it", repository_id, src->a.digest);
        if (rc)
            return rc;
        *out_id = row ? hv_stmt_int(st, 0) : 0;
        hv_stmt_reset(st);
        return HV_OK;
    }
    rc = hv_model__exec(NULL, ctx, sql_artifact_copy_blobs, "ii", *out_id, src->a.id);
    if (rc == HV_OK)
        rc = hv_model__exec(NULL, ctx, sql_artifact_copy_refs, "ii", *out_id, src->a.id);
    return rc;
}

/* Pull times only move forward: batches may arrive out of order after a restart. */
static const char *sql_pulled_artifact =
    "UPDATE artifact SET pull_time = CASE WHEN pull_time > ?3 THEN pull_time ELSE ?3 END,"
    " pull_count = pull_count + ?4"
    " WHERE repository_id = (SELECT id FROM repository WHERE name = ?1) AND digest = ?2";
static const char *sql_pulled_tag =
    "UPDATE tag SET pull_time = CASE WHEN pull_time > ?3 THEN pull_time ELSE ?3 END"
    " WHERE repository_id = (SELECT id FROM repository WHERE name = ?1) AND name = ?2";
static const char *sql_pulled_repository =
    "UPDATE repository SET pull_count = pull_count + ?2 WHERE name = ?1";

hv_err hv_model_artifact_pulled(hv_ctx *ctx, const char *repository, const char *digest,
                                const char *tag, int64_t ms, int64_t count) {
    hv_err rc =
        hv_model__exec(NULL, ctx, sql_pulled_artifact, "ttii", repository, digest, ms, count);

    if (rc == HV_OK && tag)
        rc = hv_model__exec(NULL, ctx, sql_pulled_tag, "tti", repository, tag, ms);
    if (rc == HV_OK)
        rc = hv_model__exec(NULL, ctx, sql_pulled_repository, "ti", repository, count);
    return rc;
}
