/*
 * The registry service on a real SQLite database and filesystem store: uploads resumed from
 * the saved hash state, digest verification, manifest validation against stored blobs, and
 * events written to the outbox in the transaction of the change.
 */
#include "db/db.h"
#include "fixture.h"
#include "registry/registry.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static hv_identity anon = {.kind = HV_ID_ANONYMOUS, .name = "anonymous"};
/* Sends data as one PATCH-like chunk (or a completion when digest is set). */
static hv_err send_chunk(hv_ctx *ctx, const hv_target *t, const char *uuid, int64_t start,
                         const char *data, const char *digest) {
    hv_upload_stream *s = NULL;
    int64_t size;
    const char *id;
    hv_err rc = hv_registry_upload_begin(&s, ctx, reg, t, uuid, start, digest);

    if (rc)
        return rc;
    rc = hv_registry_upload_write(s, ctx, data, strlen(data));
    if (rc) {
        hv_registry_upload_abort(s);
        return rc;
    }
    return hv_registry_upload_finish(s, ctx, &size, &id);
}

static void test_names_and_access(void) {
    hv_ctx ctx = new_ctx();
    hv_target t;

    CHECK_INT(hv_registry_target(&t, &ctx, &admin, "library/app", "push"), HV_OK);
    CHECK_INT(t.repo.id, 0);
    CHECK_INT(hv_registry_target(&t, &ctx, &admin, "app", "push"), HV_E_NAME_INVALID);
    CHECK_INT(hv_registry_target(&t, &ctx, &admin, "Library/app", "push"), HV_E_NAME_INVALID);
    CHECK_INT(hv_registry_target(&t, &ctx, &admin, "nope/app", "push"), HV_E_NAME_UNKNOWN);
    CHECK(strstr(ctx.err.message, "nope") != NULL);
    CHECK_INT(hv_registry_target(&t, &ctx, &anon, "nope/app", "pull"), HV_E_UNAUTHORIZED);
    CHECK_INT(hv_registry_target(&t, &ctx, &anon, "library/app", "pull"), HV_OK);
    CHECK_INT(hv_registry_target(&t, &ctx, &anon, "library/app", "push"), HV_E_UNAUTHORIZED);
    hv_arena_free(ctx.arena);
}

static void test_chunked_upload_resumes(void) {
    hv_ctx ctx = new_ctx();
    char uuid[37], digest[HV_DIGEST_MAX];
    hv_upload up;
    hv_target t;
    uint64_t size;

    hv_sha256_digest(digest, "first-second-third", 18);
    CHECK_INT(hv_registry_target(&t, &ctx, &admin, "library/chunks", "push"), HV_OK);
    CHECK_INT(hv_registry_upload_start(uuid, &ctx, reg, &t), HV_OK);
    CHECK_INT(send_chunk(&ctx, &t, uuid, 0, "first-", NULL), HV_OK);
    /* out of order: refused, state unchanged */
    CHECK_INT(send_chunk(&ctx, &t, uuid, 0, "again", NULL), HV_E_RANGE);
    CHECK_INT(send_chunk(&ctx, &t, uuid, 6, "second-", NULL), HV_OK);
    CHECK_INT(hv_registry_upload_status(&up, &ctx, reg, &t, uuid), HV_OK);
    CHECK_INT(up.size, 13);
    /* a wrong digest drops the upload and stores nothing */
    CHECK_INT(send_chunk(&ctx, &t, uuid, -1, "third",
                         "sha256:0000000000000000000000000000000000000000000000000000000000000000"),
              HV_E_DIGEST_INVALID);
    CHECK_INT(hv_registry_upload_status(&up, &ctx, reg, &t, uuid), HV_E_BLOB_UPLOAD_UNKNOWN);
    /* again, completing with the right digest (the hash state came from the database) */
    CHECK_INT(hv_registry_upload_start(uuid, &ctx, reg, &t), HV_OK);
    CHECK_INT(send_chunk(&ctx, &t, uuid, 0, "first-second-", NULL), HV_OK);
    CHECK_INT(send_chunk(&ctx, &t, uuid, 13, "third", digest), HV_OK);
    CHECK_INT(hv_registry_blob_stat(&size, &ctx, reg, &t, digest), HV_OK);
    CHECK_INT(size, 18);
    CHECK_INT(hv_registry_upload_status(&up, &ctx, reg, &t, uuid), HV_E_BLOB_UPLOAD_UNKNOWN);
    hv_arena_free(ctx.arena);
}

/* Two requests on one session: the second is refused while the first writes, and a row
 * update from a stale size is refused too, so the row and the file never part. */
static void test_one_writer_per_session(void) {
    hv_ctx ctx = new_ctx();
    hv_upload_stream *first = NULL, *second = NULL;
    char uuid[37], digest[HV_DIGEST_MAX];
    hv_upload up, stale;
    hv_target t;
    int64_t size;
    uint64_t stored;
    const char *id;

    hv_sha256_digest(digest, "aaabbb", 6);
    CHECK_INT(hv_registry_target(&t, &ctx, &admin, "library/writers", "push"), HV_OK);
    CHECK_INT(hv_registry_upload_start(uuid, &ctx, reg, &t), HV_OK);
    CHECK_INT(hv_registry_upload_begin(&first, &ctx, reg, &t, uuid, 0, NULL), HV_OK);
    CHECK_INT(hv_registry_upload_write(first, &ctx, "aaa", 3), HV_OK);
    CHECK_INT(hv_registry_upload_begin(&second, &ctx, reg, &t, uuid, -1, NULL), HV_E_RANGE);
    CHECK_INT(hv_registry_upload_begin(&second, &ctx, reg, &t, uuid, -1, digest), HV_E_RANGE);
    CHECK(second == NULL);
    hv_error_clear(&ctx);
    CHECK_INT(hv_registry_upload_finish(first, &ctx, &size, &id), HV_OK);
    CHECK_INT(size, 3);
    /* a writer that started from 0 cannot record its bytes over the first one's */
    CHECK_INT(hv_registry_upload_status(&stale, &ctx, reg, &t, uuid), HV_OK);
    stale.size = 5;
    CHECK_INT(hv_model_upload_update(&ctx, &stale, 0), HV_E_RANGE);
    CHECK(strstr(ctx.err.message, "went on to 3 bytes") != NULL);
    hv_error_clear(&ctx);
    CHECK_INT(hv_registry_upload_status(&up, &ctx, reg, &t, uuid), HV_OK);
    CHECK_INT(up.size, 3);
    /* free again: the next request continues where the first ended */
    CHECK_INT(send_chunk(&ctx, &t, uuid, 3, "bbb", digest), HV_OK);
    CHECK_INT(hv_registry_blob_stat(&stored, &ctx, reg, &t, digest), HV_OK);
    CHECK_INT(stored, 6);
    hv_arena_free(ctx.arena);
}

static int64_t outbox_count(hv_ctx *ctx, const char *type) {
    hv_stmt *st;
    bool row;
    int64_t n = 0;
    static const char *sql = "SELECT count(*) FROM outbox WHERE type = ?";

    CHECK_INT(hv_db_prepare(&st, db, ctx, sql), HV_OK);
    hv_stmt_bind_text(st, 1, type);
    CHECK_INT(hv_stmt_step(st, ctx, &row), HV_OK);
    n = hv_stmt_int(st, 0);
    hv_stmt_reset(st);
    return n;
}

static void test_manifest_rules_and_events(void) {
    hv_ctx ctx = new_ctx();
    const char *config = "{}";
    char cdigest[HV_DIGEST_MAX], mdigest[HV_DIGEST_MAX], *manifest;
    const char *subject = NULL;
    hv_artifact a;
    hv_target t;
    hv_blob_reader *body = NULL;

    hv_sha256_digest(cdigest, config, 2);
    manifest = hv_arena_printf(ctx.arena,
                               "{\"schemaVersion\":2,\"mediaType\":\"" HV_MT_OCI_MANIFEST
                               "\",\"config\":{\"mediaType\":\"" HV_MT_OCI_CONFIG
                               "\",\"digest\":\"%s\",\"size\":2},\"layers\":[]}",
                               cdigest);
    CHECK_INT(hv_registry_target(&t, &ctx, &admin, "library/events", "push"), HV_OK);
    /* the config blob is not pushed yet */
    CHECK_INT(hv_registry_manifest_put(mdigest, &subject, &ctx, reg, &t, "v1", HV_MT_OCI_MANIFEST,
                                       manifest, strlen(manifest)),
              HV_E_MANIFEST_BLOB_UNKNOWN);
    CHECK_INT(outbox_count(&ctx, "artifact.pushed"), 0);
    CHECK_INT(send_chunk(&ctx, &t, NULL, -1, config, cdigest), HV_OK);
    CHECK_INT(hv_registry_manifest_put(mdigest, &subject, &ctx, reg, &t, "v1", HV_MT_OCI_MANIFEST,
                                       manifest, strlen(manifest)),
              HV_OK);
    CHECK(subject == NULL);
    CHECK_INT(outbox_count(&ctx, "artifact.pushed"), 1);
    CHECK_INT(outbox_count(&ctx, "tag.created"), 1);
    /* the same push again changes nothing and publishes nothing */
    CHECK_INT(hv_registry_manifest_put(mdigest, &subject, &ctx, reg, &t, "v1", HV_MT_OCI_MANIFEST,
                                       manifest, strlen(manifest)),
              HV_OK);
    CHECK_INT(outbox_count(&ctx, "artifact.pushed"), 1);
    CHECK_INT(outbox_count(&ctx, "tag.created"), 1);
    /* a reference by digest must match the body */
    CHECK_INT(hv_registry_manifest_put(mdigest, &subject, &ctx, reg, &t, cdigest,
                                       HV_MT_OCI_MANIFEST, manifest, strlen(manifest)),
              HV_E_DIGEST_INVALID);
    CHECK_INT(hv_registry_target(&t, &ctx, &admin, "library/events", "pull"), HV_OK);
    CHECK_INT(hv_registry_manifest_get(&a, &body, &ctx, reg, &t, "v1", NULL, false), HV_OK);
    CHECK_STR(a.digest, mdigest);
    hv_blob_reader_close(body);
    body = NULL;
    CHECK_INT(
        hv_registry_manifest_get(&a, &body, &ctx, reg, &t, "v1", HV_MT_DOCKER_MANIFEST, false),
        HV_E_MANIFEST_UNKNOWN);
    /* the tag resolved along with the target, in its query */
    CHECK_INT(hv_registry_target_ref(&t, &ctx, &admin, "library/events", "pull", "v1"), HV_OK);
    CHECK_STR(t.tag, "v1");
    CHECK_STR(t.tagged.digest, mdigest);
    CHECK_STR(t.tagged.media_type, HV_MT_OCI_MANIFEST);
    CHECK_INT(hv_registry_manifest_get(&a, &body, &ctx, reg, &t, "v1", NULL, false), HV_OK);
    CHECK_STR(a.digest, mdigest);
    hv_blob_reader_close(body);
    body = NULL;
    CHECK_INT(hv_registry_target_ref(&t, &ctx, &admin, "library/events", "pull", "v2"), HV_OK);
    CHECK_INT(t.tagged.id, 0);
    CHECK_INT(hv_registry_manifest_get(&a, &body, &ctx, reg, &t, "v2", NULL, false),
              HV_E_MANIFEST_UNKNOWN);
    /* a digest is no tag: nothing resolved along, the GET looks it up */
    CHECK_INT(hv_registry_target_ref(&t, &ctx, &admin, "library/events", "pull", mdigest), HV_OK);
    CHECK(t.tag == NULL);
    CHECK_INT(hv_registry_manifest_get(&a, &body, &ctx, reg, &t, mdigest, NULL, false), HV_OK);
    hv_blob_reader_close(body);
    body = NULL;
    CHECK_INT(hv_registry_manifest_delete(&ctx, reg, &t, mdigest), HV_OK);
    CHECK_INT(outbox_count(&ctx, "artifact.deleted"), 1);
    CHECK_INT(outbox_count(&ctx, "tag.deleted"), 1);
    CHECK_INT(hv_registry_manifest_get(&a, &body, &ctx, reg, &t, "v1", NULL, false),
              HV_E_MANIFEST_UNKNOWN);
    CHECK_INT(hv_registry_target_ref(&t, &ctx, &admin, "library/events", "pull", "v1"), HV_OK);
    CHECK_INT(hv_registry_manifest_get(&a, &body, &ctx, reg, &t, "v1", NULL, false),
              HV_E_MANIFEST_UNKNOWN);
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_names_and_access, test_chunked_upload_resumes, test_one_writer_per_session,
          test_manifest_rules_and_events, teardown)
