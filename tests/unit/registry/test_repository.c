/*
 * Deleting a repository (hv_registry_repository_delete) on a real SQLite database and
 * filesystem store: an index with its children, an accessory with its subject and a cosign
 * signature (tag scheme) of the index all go, in one transaction, with their tags; the
 * project's quota usage falls back to what it was before the pushes (blobs another repository
 * of the project uses stay charged); the events of every artifact, tag and the repository are
 * in the outbox.  An immutable tag refuses the whole deletion and nothing changes.  Two
 * cosign signatures that name each other as subjects are deleted too.
 */
#include "db/db.h"
#include "fixture.h"
#include "registry/registry.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MT_SBOM          "application/vnd.goharbor.harbor.sbom.v1"
#define MT_COSIGN_SIMPLE "application/vnd.dev.cosign.simplesigning.v1+json"
#define MT_LAYER         "application/vnd.oci.image.layer.v1.tar"

/* ---------------------------------------------------------------- helpers */

/* A project with an unlimited quota, created as the API does. */
static hv_project make_project(hv_ctx *ctx, const char *name) {
    hv_project p = {0};
    int64_t id = 0;

    CHECK_INT(hv_db_begin(db, ctx), HV_OK);
    CHECK_INT(hv_model_project_create(&id, ctx, name, false, 1), HV_OK);
    CHECK_INT(hv_model_quota_create(ctx, id, -1), HV_OK);
    CHECK_INT(hv_db_commit(db, ctx), HV_OK);
    CHECK_INT(hv_model_project_get(&p, ctx, name), HV_OK);
    CHECK_INT(p.id, id);
    return p;
}

/* The project's usage, after checking that it is the sum of its linked blobs. */
static int64_t usage(int64_t project_id) {
    hv_ctx ctx = new_ctx();
    hv_quota q = {0};
    int64_t linked = -1;

    CHECK_INT(hv_model_quota_get_by_project(&q, &ctx, project_id), HV_OK);
    CHECK_INT(hv_model_quota_linked_size(&linked, &ctx, project_id), HV_OK);
    CHECK_INT(q.used, linked);
    hv_arena_free(ctx.arena);
    return q.used;
}

/* A count from SQL with up to one text and one integer argument (NULL / -1: none). */
static int64_t count(hv_ctx *ctx, const char *sql, const char *text, int64_t num) {
    hv_stmt *st;
    bool row = false;
    int64_t n = -1;
    int i = 1;

    CHECK_INT(hv_db_prepare(&st, db, ctx, sql), HV_OK);
    if (text)
        hv_stmt_bind_text(st, i++, text);
    if (num >= 0)
        hv_stmt_bind_int(st, i++, num);
    CHECK_INT(hv_stmt_step(st, ctx, &row), HV_OK);
    if (row)
        n = hv_stmt_int(st, 0);
    hv_stmt_reset(st);
    return n;
}

static int64_t outbox(hv_ctx *ctx, const char *type) {
    return count(ctx, "SELECT count(*) FROM outbox WHERE type = ?", type, -1);
}

/* Outbox rows of a type whose payload contains both strings. */
static int64_t outbox_with(hv_ctx *ctx, const char *type, const char *a, const char *b) {
    hv_stmt *st;
    bool row = false;
    int64_t n = 0;

    CHECK_INT(
        hv_db_prepare(&st, db, ctx,
                      "SELECT count(*) FROM outbox WHERE type = ? AND payload LIKE '%' || ? || '%'"
                      " AND payload LIKE '%' || ? || '%'"),
        HV_OK);
    hv_stmt_bind_text(st, 1, type);
    hv_stmt_bind_text(st, 2, a);
    hv_stmt_bind_text(st, 3, b);
    CHECK_INT(hv_stmt_step(st, ctx, &row), HV_OK);
    if (row)
        n = hv_stmt_int(st, 0);
    hv_stmt_reset(st);
    return n;
}

static int64_t artifacts_of(hv_ctx *ctx, int64_t repository_id) {
    return count(ctx, "SELECT count(*) FROM artifact WHERE repository_id = ?", NULL, repository_id);
}

static int64_t tags_of(hv_ctx *ctx, int64_t repository_id) {
    return count(ctx, "SELECT count(*) FROM tag WHERE repository_id = ?", NULL, repository_id);
}

/* Rows that point at artifacts which are gone. */
static int64_t dangling(hv_ctx *ctx) {
    return count(ctx,
                 "SELECT (SELECT count(*) FROM artifact_blob WHERE artifact_id NOT IN"
                 " (SELECT id FROM artifact)) + (SELECT count(*) FROM artifact_reference"
                 " WHERE parent_id NOT IN (SELECT id FROM artifact)) + (SELECT count(*) FROM"
                 " tag WHERE artifact_id NOT IN (SELECT id FROM artifact))",
                 NULL, -1);
}

static hv_target target(hv_ctx *ctx, const char *name) {
    hv_target t;

    CHECK_INT(hv_registry_target(&t, ctx, &admin, name, "push"), HV_OK);
    return t;
}

/* A one-request upload (POST ?digest=); the digest into digest. */
static void push_blob(hv_ctx *ctx, const hv_target *t, const char *data, char digest[]) {
    hv_upload_stream *s = NULL;
    int64_t size;
    const char *id;

    hv_sha256_digest(digest, data, strlen(data));
    CHECK_INT(hv_registry_upload_begin(&s, ctx, reg, t, NULL, -1, digest), HV_OK);
    if (!s)
        return;
    CHECK_INT(hv_registry_upload_write(s, ctx, data, strlen(data)), HV_OK);
    CHECK_INT(hv_registry_upload_finish(s, ctx, &size, &id), HV_OK);
}

static hv_err put(hv_ctx *ctx, hv_target *t, const char *reference, const char *media_type,
                  const char *body, char digest[]) {
    const char *subject;

    return hv_registry_manifest_put(digest, &subject, ctx, reg, t, reference, media_type, body,
                                    strlen(body));
}

/* A descriptor's JSON (arena). */
static const char *desc(hv_ctx *ctx, const char *media_type, const char *digest, size_t size) {
    return hv_arena_printf(ctx->arena, "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}",
                           media_type, digest, size);
}

/* An image manifest; subject may be NULL, artifact_type too. */
static const char *manifest(hv_ctx *ctx, const char *artifact_type, const char *config,
                            const char *layers, const char *subject) {
    return hv_arena_printf(ctx->arena,
                           "{\"schemaVersion\":2,\"mediaType\":\"" HV_MT_OCI_MANIFEST "\"%s%s%s"
                           ",\"config\":%s,\"layers\":[%s]%s%s}",
                           artifact_type ? ",\"artifactType\":\"" : "",
                           artifact_type ? artifact_type : "", artifact_type ? "\"" : "", config,
                           layers, subject ? ",\"subject\":" : "", subject ? subject : "");
}

/* The cosign tag of a digest: sha256-<hex>.sig. */
static const char *cosign_tag(hv_ctx *ctx, const char *digest) {
    return hv_arena_printf(ctx->arena, "sha256-%s.sig", digest + strlen("sha256:"));
}

/* The blobs every test pushes into a repository of its project. */
typedef struct blobs_of {
    char config_amd[HV_DIGEST_MAX], config_arm[HV_DIGEST_MAX], shared[HV_DIGEST_MAX];
    char amd[HV_DIGEST_MAX], arm[HV_DIGEST_MAX], empty[HV_DIGEST_MAX], sbom[HV_DIGEST_MAX];
    char sig1[HV_DIGEST_MAX], sig2[HV_DIGEST_MAX], sig3[HV_DIGEST_MAX];
} blobs_of;

static const char *CONFIG_AMD = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
static const char *CONFIG_ARM = "{\"architecture\":\"arm64\",\"os\":\"linux\"}";
static const char *SHARED = "a layer both images and the other repository use";
static const char *LAYER_AMD = "the amd64 layer";
static const char *LAYER_ARM = "the arm64 layer, a bit longer";
static const char *SBOM = "{\"spdxVersion\":\"SPDX-2.3\"}";
static const char *SIG1 = "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"one\"}}}";
static const char *SIG2 = "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"two\"}}}";
static const char *SIG3 = "{\"critical\":{\"image\":{\"docker-manifest-digest\":\"three\"}}}";

/* The digests of all the blobs; each test pushes those its manifests reference, so that
 * deleting them leaves no blob of its own behind. */
static void digests(blobs_of *b) {
    hv_sha256_digest(b->config_amd, CONFIG_AMD, strlen(CONFIG_AMD));
    hv_sha256_digest(b->config_arm, CONFIG_ARM, strlen(CONFIG_ARM));
    hv_sha256_digest(b->shared, SHARED, strlen(SHARED));
    hv_sha256_digest(b->amd, LAYER_AMD, strlen(LAYER_AMD));
    hv_sha256_digest(b->arm, LAYER_ARM, strlen(LAYER_ARM));
    hv_sha256_digest(b->empty, "{}", 2);
    hv_sha256_digest(b->sbom, SBOM, strlen(SBOM));
    hv_sha256_digest(b->sig1, SIG1, strlen(SIG1));
    hv_sha256_digest(b->sig2, SIG2, strlen(SIG2));
    hv_sha256_digest(b->sig3, SIG3, strlen(SIG3));
}

/* Pushes the blobs of the amd64 image (and of the arm64 one). */
static void push_images(hv_ctx *ctx, const hv_target *t, bool arm) {
    char d[HV_DIGEST_MAX];

    push_blob(ctx, t, CONFIG_AMD, d);
    push_blob(ctx, t, SHARED, d);
    push_blob(ctx, t, LAYER_AMD, d);
    if (arm) {
        push_blob(ctx, t, CONFIG_ARM, d);
        push_blob(ctx, t, LAYER_ARM, d);
    }
}

/* An image of the shared layer and one of its own. */
static const char *image(hv_ctx *ctx, const blobs_of *b, bool arm) {
    const char *config = arm ? desc(ctx, HV_MT_OCI_CONFIG, b->config_arm, strlen(CONFIG_ARM))
                             : desc(ctx, HV_MT_OCI_CONFIG, b->config_amd, strlen(CONFIG_AMD));
    const char *layers =
        hv_arena_printf(ctx->arena, "%s,%s", desc(ctx, MT_LAYER, b->shared, strlen(SHARED)),
                        arm ? desc(ctx, MT_LAYER, b->arm, strlen(LAYER_ARM))
                            : desc(ctx, MT_LAYER, b->amd, strlen(LAYER_AMD)));
    return manifest(ctx, NULL, config, layers, NULL);
}

/* A cosign signature manifest (simple-signing layer `sig`); found by tag scheme. */
static const char *signature(hv_ctx *ctx, const blobs_of *b, const char *sig, const char *data) {
    return manifest(ctx, NULL, desc(ctx, HV_MT_OCI_CONFIG, b->empty, 2),
                    desc(ctx, MT_COSIGN_SIMPLE, sig, strlen(data)), NULL);
}

/* ---------------------------------------------------------------- tests */

static void test_not_found(void) {
    hv_ctx ctx = new_ctx();
    hv_project p = make_project(&ctx, "rnone"), other = make_project(&ctx, "rother");
    hv_target t = target(&ctx, "rother/app");
    blobs_of b;
    char m[HV_DIGEST_MAX];

    CHECK_INT(hv_registry_repository_delete(&ctx, reg, &p, "rnone/app"), HV_E_NOT_FOUND);
    CHECK(strstr(ctx.err.message, "rnone/app") != NULL);
    /* a repository of another project is not found through this one */
    digests(&b);
    push_images(&ctx, &t, false);
    CHECK_INT(put(&ctx, &t, "v1", HV_MT_OCI_MANIFEST, image(&ctx, &b, false), m), HV_OK);
    CHECK_INT(hv_registry_repository_delete(&ctx, reg, &p, "rother/app"), HV_E_NOT_FOUND);
    CHECK_INT(artifacts_of(&ctx, t.repo.id), 1);
    CHECK_INT(hv_registry_repository_delete(&ctx, reg, &other, "rother/app"), HV_OK);
    CHECK_INT(usage(other.id), 0);
    hv_arena_free(ctx.arena);
}

static void test_delete_everything(void) {
    hv_ctx ctx = new_ctx();
    hv_project p = make_project(&ctx, "rdel");
    hv_target keep = target(&ctx, "rdel/keep"), t, pull;
    blobs_of b;
    char kept[HV_DIGEST_MAX], amd[HV_DIGEST_MAX], arm[HV_DIGEST_MAX], index[HV_DIGEST_MAX];
    char sbom[HV_DIGEST_MAX], sig[HV_DIGEST_MAX], again[HV_DIGEST_MAX];
    const char *arm_body, *index_body, *sbom_body, *sig_tag;
    int64_t before, repo_id, deleted, tags_deleted, repos_deleted;
    hv_repository gone;
    hv_artifact a;
    uint64_t size;
    hv_blob_reader *body = NULL;

    /* another repository of the project uses the amd64 image, so its blobs stay charged */
    digests(&b);
    push_images(&ctx, &keep, false);
    CHECK_INT(put(&ctx, &keep, "stay", HV_MT_OCI_MANIFEST, image(&ctx, &b, false), kept), HV_OK);
    before = usage(p.id);
    CHECK(before > 0);

    t = target(&ctx, "rdel/app");
    push_images(&ctx, &t, false); /* already linked: charges nothing */
    CHECK_INT(usage(p.id), before);
    push_images(&ctx, &t, true);
    push_blob(&ctx, &t, "{}", b.empty);
    push_blob(&ctx, &t, SBOM, b.sbom);
    push_blob(&ctx, &t, SIG1, b.sig1);
    /* the amd64 image (tagged), the arm64 image (by digest only), an index of both (v1) */
    CHECK_INT(put(&ctx, &t, "amd", HV_MT_OCI_MANIFEST, image(&ctx, &b, false), amd), HV_OK);
    CHECK_STR(amd, kept);
    repo_id = t.repo.id;
    CHECK(repo_id > 0);
    arm_body = image(&ctx, &b, true);
    hv_sha256_digest(arm, arm_body, strlen(arm_body));
    CHECK_INT(put(&ctx, &t, arm, HV_MT_OCI_MANIFEST, arm_body, arm), HV_OK);
    index_body =
        hv_arena_printf(ctx.arena,
                        "{\"schemaVersion\":2,\"mediaType\":\"" HV_MT_OCI_INDEX "\",\"manifests\":["
                        "{\"mediaType\":\"" HV_MT_OCI_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu,"
                        "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
                        "{\"mediaType\":\"" HV_MT_OCI_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu,"
                        "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}}]}",
                        amd, strlen(image(&ctx, &b, false)), arm, strlen(arm_body));
    CHECK_INT(put(&ctx, &t, "v1", HV_MT_OCI_INDEX, index_body, index), HV_OK);
    /* an SBOM of the arm64 image (a referrer) and a cosign signature of the index (tag
     * scheme) */
    sbom_body = manifest(&ctx, MT_SBOM, desc(&ctx, HV_MT_OCI_EMPTY, b.empty, 2),
                         desc(&ctx, "application/spdx+json", b.sbom, strlen(SBOM)),
                         desc(&ctx, HV_MT_OCI_MANIFEST, arm, strlen(arm_body)));
    hv_sha256_digest(sbom, sbom_body, strlen(sbom_body));
    CHECK_INT(put(&ctx, &t, sbom, HV_MT_OCI_MANIFEST, sbom_body, sbom), HV_OK);
    sig_tag = cosign_tag(&ctx, index);
    CHECK_INT(put(&ctx, &t, sig_tag, HV_MT_OCI_MANIFEST, signature(&ctx, &b, b.sig1, SIG1), sig),
              HV_OK);
    CHECK_INT(hv_model_artifact_get(&a, &ctx, repo_id, sbom), HV_OK);
    CHECK_STR(a.subject_digest, arm);
    CHECK_INT(hv_model_artifact_get(&a, &ctx, repo_id, sig), HV_OK);
    CHECK_STR(a.subject_digest, index);
    CHECK_INT(artifacts_of(&ctx, repo_id), 5);
    CHECK_INT(tags_of(&ctx, repo_id), 3);
    CHECK(usage(p.id) > before);

    deleted = outbox(&ctx, "artifact.deleted");
    tags_deleted = outbox(&ctx, "tag.deleted");
    repos_deleted = outbox(&ctx, "repository.deleted");
    CHECK_INT(hv_registry_repository_delete(&ctx, reg, &p, "rdel/app"), HV_OK);

    /* everything went, and nothing dangles */
    CHECK_INT(artifacts_of(&ctx, repo_id), 0);
    CHECK_INT(tags_of(&ctx, repo_id), 0);
    CHECK_INT(dangling(&ctx), 0);
    CHECK(hv_model_repository_get(&gone, &ctx, "rdel/app") != HV_OK);
    hv_error_clear(&ctx);
    CHECK_INT(hv_registry_repository_delete(&ctx, reg, &p, "rdel/app"), HV_E_NOT_FOUND);
    /* the usage is back where it was: the blobs only this repository used are refunded */
    CHECK_INT(usage(p.id), before);
    CHECK_INT(hv_registry_blob_stat(&size, &ctx, reg, &keep, b.arm), HV_E_BLOB_UNKNOWN);
    CHECK_INT(hv_registry_blob_stat(&size, &ctx, reg, &keep, b.shared), HV_OK);
    CHECK_INT(hv_registry_blob_stat(&size, &ctx, reg, &keep, kept), HV_OK);
    /* the other repository still serves its image */
    CHECK_INT(hv_registry_target(&pull, &ctx, &admin, "rdel/keep", "pull"), HV_OK);
    CHECK_INT(hv_registry_manifest_get(&a, &body, &ctx, reg, &pull, "stay", NULL, false), HV_OK);
    CHECK_STR(a.digest, kept);
    hv_blob_reader_close(body);
    body = NULL;

    /* the events: each artifact, each tag, the repository */
    CHECK_INT(outbox(&ctx, "artifact.deleted") - deleted, 5);
    CHECK_INT(outbox(&ctx, "tag.deleted") - tags_deleted, 3);
    CHECK_INT(outbox(&ctx, "repository.deleted") - repos_deleted, 1);
    CHECK_INT(outbox_with(&ctx, "repository.deleted", "\"repository\":\"rdel/app\"",
                          "\"project\":\"rdel\""),
              1);
    CHECK_INT(outbox_with(&ctx, "artifact.deleted", "\"repository\":\"rdel/app\"", amd), 1);
    CHECK_INT(outbox_with(&ctx, "artifact.deleted", "\"repository\":\"rdel/app\"", arm), 1);
    CHECK_INT(outbox_with(&ctx, "artifact.deleted", "\"repository\":\"rdel/app\"", index), 1);
    CHECK_INT(outbox_with(&ctx, "artifact.deleted", "\"repository\":\"rdel/app\"", sbom), 1);
    CHECK_INT(outbox_with(&ctx, "artifact.deleted", "\"repository\":\"rdel/app\"", sig), 1);
    CHECK_INT(outbox_with(&ctx, "tag.deleted", "\"tag\":\"v1\"", index), 1);
    CHECK_INT(outbox_with(&ctx, "tag.deleted", sig_tag, sig), 1);

    /* the name can be pushed again, from nothing */
    t = target(&ctx, "rdel/app");
    CHECK_INT(t.repo.id, 0);
    CHECK_INT(put(&ctx, &t, "amd", HV_MT_OCI_MANIFEST, image(&ctx, &b, false), again), HV_OK);
    CHECK(t.repo.id > 0 && t.repo.id != repo_id);
    CHECK_INT(artifacts_of(&ctx, t.repo.id), 1);
    CHECK_INT(usage(p.id), before);
    hv_arena_free(ctx.arena);
}

/* Two cosign signatures pushed by tag scheme, each tagged with the other's digest, so each is
 * the other's accessory: neither is a "root" of the repository. */
static void test_signatures_naming_each_other(void) {
    hv_ctx ctx = new_ctx();
    hv_project p = make_project(&ctx, "rloop");
    hv_target t = target(&ctx, "rloop/sigs");
    blobs_of b;
    char d1[HV_DIGEST_MAX], d2[HV_DIGEST_MAX], got[HV_DIGEST_MAX], img[HV_DIGEST_MAX];
    const char *s1, *s2;
    hv_artifact a;
    hv_err rc;

    digests(&b);
    push_images(&ctx, &t, false);
    push_blob(&ctx, &t, "{}", b.empty);
    push_blob(&ctx, &t, SIG2, b.sig2);
    push_blob(&ctx, &t, SIG3, b.sig3);
    CHECK_INT(put(&ctx, &t, "latest", HV_MT_OCI_MANIFEST, image(&ctx, &b, false), img), HV_OK);
    s1 = signature(&ctx, &b, b.sig2, SIG2);
    s2 = signature(&ctx, &b, b.sig3, SIG3);
    hv_sha256_digest(d1, s1, strlen(s1));
    hv_sha256_digest(d2, s2, strlen(s2));
    CHECK_INT(put(&ctx, &t, cosign_tag(&ctx, d2), HV_MT_OCI_MANIFEST, s1, got), HV_OK);
    CHECK_STR(got, d1);
    CHECK_INT(put(&ctx, &t, cosign_tag(&ctx, d1), HV_MT_OCI_MANIFEST, s2, got), HV_OK);
    CHECK_STR(got, d2);
    CHECK_INT(hv_model_artifact_get(&a, &ctx, t.repo.id, d1), HV_OK);
    CHECK_STR(a.subject_digest, d2);
    CHECK_INT(hv_model_artifact_get(&a, &ctx, t.repo.id, d2), HV_OK);
    CHECK_STR(a.subject_digest, d1);
    CHECK_INT(artifacts_of(&ctx, t.repo.id), 3);

    rc = hv_registry_repository_delete(&ctx, reg, &p, "rloop/sigs");
    CHECK_INT(rc, HV_OK);
    CHECK_INT(artifacts_of(&ctx, t.repo.id), 0);
    CHECK_INT(tags_of(&ctx, t.repo.id), 0);
    CHECK_INT(dangling(&ctx), 0);
    CHECK_INT(usage(p.id), 0);
    hv_arena_free(ctx.arena);
}

/* A cosign signature (tag scheme) of an index that the index also lists: the index is its
 * subject and its parent at once. */
static void test_index_signed_by_its_child(void) {
    hv_ctx ctx = new_ctx();
    hv_project p = make_project(&ctx, "rchild");
    hv_target t = target(&ctx, "rchild/app");
    blobs_of b;
    char img[HV_DIGEST_MAX], sig[HV_DIGEST_MAX], index[HV_DIGEST_MAX], got[HV_DIGEST_MAX];
    const char *img_body, *sig_body, *index_body;
    hv_artifact a;
    hv_err rc;

    digests(&b);
    push_images(&ctx, &t, false);
    push_blob(&ctx, &t, "{}", b.empty);
    push_blob(&ctx, &t, SIG1, b.sig1);
    img_body = image(&ctx, &b, false);
    sig_body = signature(&ctx, &b, b.sig1, SIG1);
    hv_sha256_digest(img, img_body, strlen(img_body));
    hv_sha256_digest(sig, sig_body, strlen(sig_body));
    index_body = hv_arena_printf(ctx.arena,
                                 "{\"schemaVersion\":2,\"mediaType\":\"" HV_MT_OCI_INDEX
                                 "\",\"manifests\":[%s,%s]}",
                                 desc(&ctx, HV_MT_OCI_MANIFEST, img, strlen(img_body)),
                                 desc(&ctx, HV_MT_OCI_MANIFEST, sig, strlen(sig_body)));
    hv_sha256_digest(index, index_body, strlen(index_body));
    CHECK_INT(put(&ctx, &t, img, HV_MT_OCI_MANIFEST, img_body, got), HV_OK);
    CHECK_INT(put(&ctx, &t, cosign_tag(&ctx, index), HV_MT_OCI_MANIFEST, sig_body, got), HV_OK);
    CHECK_INT(put(&ctx, &t, "v1", HV_MT_OCI_INDEX, index_body, got), HV_OK);
    CHECK_STR(got, index);
    CHECK_INT(hv_model_artifact_get(&a, &ctx, t.repo.id, sig), HV_OK);
    CHECK_STR(a.subject_digest, index);

    rc = hv_registry_repository_delete(&ctx, reg, &p, "rchild/app");
    CHECK_INT(rc, HV_OK);
    CHECK_INT(artifacts_of(&ctx, t.repo.id), 0);
    CHECK_INT(dangling(&ctx), 0);
    CHECK_INT(usage(p.id), 0);
    hv_arena_free(ctx.arena);
}

/* An enabled rule making tag v1 of every repository of the project immutable. */
static int64_t immutable_v1(hv_ctx *ctx, int64_t project_id) {
    hv_immutable_rule r = {
        .project_id = project_id,
        .rule = "{\"action\":\"immutable\",\"template\":\"immutable_template\","
                "\"tag_selectors\":[{\"kind\":\"doublestar\",\"decoration\":\"matches\","
                "\"pattern\":\"v1\"}],\"scope_selectors\":{\"repository\":[{\"kind\":"
                "\"doublestar\",\"decoration\":\"repoMatches\",\"pattern\":\"**\"}]}}",
    };
    int64_t id = 0;

    CHECK_INT(hv_model_immutable_create(&id, ctx, &r), HV_OK);
    return id;
}

static void test_immutable_tag_blocks_everything(void) {
    hv_ctx ctx = new_ctx();
    hv_project p = make_project(&ctx, "rimm");
    hv_target t = target(&ctx, "rimm/app"), pull;
    blobs_of b;
    char amd[HV_DIGEST_MAX], arm[HV_DIGEST_MAX], sig[HV_DIGEST_MAX];
    int64_t rule, used, events, repo_id;
    hv_immutable_rule r;
    hv_repository still;
    hv_artifact a;
    hv_blob_reader *body = NULL;

    digests(&b);
    push_images(&ctx, &t, true);
    push_blob(&ctx, &t, "{}", b.empty);
    push_blob(&ctx, &t, SIG1, b.sig1);
    /* the first artifacts are mutable and would go first; the last one holds v1 */
    CHECK_INT(put(&ctx, &t, "dev", HV_MT_OCI_MANIFEST, image(&ctx, &b, false), amd), HV_OK);
    CHECK_INT(put(&ctx, &t, cosign_tag(&ctx, amd), HV_MT_OCI_MANIFEST,
                  signature(&ctx, &b, b.sig1, SIG1), sig),
              HV_OK);
    CHECK_INT(put(&ctx, &t, "v1", HV_MT_OCI_MANIFEST, image(&ctx, &b, true), arm), HV_OK);
    rule = immutable_v1(&ctx, p.id);
    repo_id = t.repo.id;
    used = usage(p.id);
    events = count(&ctx, "SELECT count(*) FROM outbox", NULL, -1);

    CHECK_INT(hv_registry_repository_delete(&ctx, reg, &p, "rimm/app"), HV_E_POLICY);
    CHECK_STR(ctx.err.message,
              "Failed to process request due to 'rimm/app:v1' configured as immutable.");
    /* nothing changed */
    CHECK_INT(hv_model_repository_get(&still, &ctx, "rimm/app"), HV_OK);
    CHECK_INT(still.id, repo_id);
    CHECK_INT(artifacts_of(&ctx, repo_id), 3);
    CHECK_INT(tags_of(&ctx, repo_id), 3);
    CHECK_INT(usage(p.id), used);
    CHECK_INT(count(&ctx, "SELECT count(*) FROM outbox", NULL, -1), events);
    CHECK_INT(hv_registry_target(&pull, &ctx, &admin, "rimm/app", "pull"), HV_OK);
    CHECK_INT(hv_registry_manifest_get(&a, &body, &ctx, reg, &pull, "dev", NULL, false), HV_OK);
    CHECK_STR(a.digest, amd);
    hv_blob_reader_close(body);
    body = NULL;
    CHECK_INT(hv_model_artifact_get(&a, &ctx, repo_id, sig), HV_OK);

    /* a disabled rule no longer blocks */
    CHECK_INT(hv_model_immutable_get(&r, &ctx, p.id, rule), HV_OK);
    r.disabled = true;
    CHECK_INT(hv_model_immutable_update(&ctx, &r), HV_OK);
    CHECK_INT(hv_registry_repository_delete(&ctx, reg, &p, "rimm/app"), HV_OK);
    CHECK_INT(artifacts_of(&ctx, repo_id), 0);
    CHECK_INT(usage(p.id), 0);
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_not_found, test_delete_everything, test_signatures_naming_each_other,
          test_index_signed_by_its_child, test_immutable_tag_blocks_everything, teardown)
