/*
 * Quotas in the registry service, on a real SQLite database and filesystem store: a blob is
 * charged once per project however often it is pushed or mounted, deletion refunds what only
 * the deleted artifact (or blob) held, a refused push changes neither the usage nor the
 * project's links, concurrent pushers on their own connections never overshoot the limit, and
 * the quota events reach a subscriber.  After every step the usage equals the sum of the
 * sizes of the blobs linked to the project.
 */
#include "db/db.h"
#include "events/events.h"
#include "fixture.h"
#include "registry/registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A project with a quota of `hard` bytes, created as the API does. */
static int64_t make_project(const char *name, int64_t hard) {
    hv_ctx ctx = new_ctx();
    int64_t id = 0;

    CHECK_INT(hv_db_begin(db, &ctx), HV_OK);
    CHECK_INT(hv_model_project_create(&id, &ctx, name, false, 1), HV_OK);
    CHECK_INT(hv_model_quota_create(&ctx, id, hard), HV_OK);
    CHECK_INT(hv_db_commit(db, &ctx), HV_OK);
    hv_arena_free(ctx.arena);
    return id;
}

static int64_t used_of(int64_t project_id) {
    hv_ctx ctx = new_ctx();
    hv_quota q = {0};

    CHECK_INT(hv_model_quota_get_by_project(&q, &ctx, project_id), HV_OK);
    hv_arena_free(ctx.arena);
    return q.used;
}

/* The usage, after checking that it is the sum of the sizes of the linked blobs. */
static int64_t usage(int64_t project_id) {
    hv_ctx ctx = new_ctx();
    int64_t linked = -1, used = used_of(project_id);

    CHECK_INT(hv_model_quota_linked_size(&linked, &ctx, project_id), HV_OK);
    CHECK_INT(used, linked);
    hv_arena_free(ctx.arena);
    return used;
}

static void set_hard(int64_t project_id, int64_t hard) {
    hv_ctx ctx = new_ctx();
    hv_quota q;

    CHECK_INT(hv_model_quota_get_by_project(&q, &ctx, project_id), HV_OK);
    CHECK_INT(hv_db_begin(db, &ctx), HV_OK);
    CHECK_INT(hv_model_quota_set_hard(&ctx, q.id, hard), HV_OK);
    CHECK_INT(hv_db_commit(db, &ctx), HV_OK);
    hv_arena_free(ctx.arena);
}

static hv_target target(hv_ctx *ctx, const char *name) {
    hv_target t;

    CHECK_INT(hv_registry_target(&t, ctx, &admin, name, "push"), HV_OK);
    return t;
}

/* A one-request upload (POST ?digest=). */
static hv_err push_blob(hv_ctx *ctx, const hv_target *t, const char *data, char digest[]) {
    hv_upload_stream *s = NULL;
    int64_t size;
    const char *id;
    hv_err rc;

    hv_sha256_digest(digest, data, strlen(data));
    rc = hv_registry_upload_begin(&s, ctx, reg, t, NULL, -1, digest);
    if (rc)
        return rc;
    rc = hv_registry_upload_write(s, ctx, data, strlen(data));
    if (rc) {
        hv_registry_upload_abort(s);
        return rc;
    }
    return hv_registry_upload_finish(s, ctx, &size, &id);
}

/* A session: POST, PATCH with the first half, PUT ?digest= with the rest. */
static hv_err push_chunked(hv_ctx *ctx, const hv_target *t, const char *data, char digest[]) {
    hv_upload_stream *s = NULL;
    size_t len = strlen(data), half = len / 2;
    char uuid[37];
    int64_t size;
    const char *id;
    hv_err rc;

    hv_sha256_digest(digest, data, len);
    rc = hv_registry_upload_start(uuid, ctx, reg, t);
    if (rc == HV_OK)
        rc = hv_registry_upload_begin(&s, ctx, reg, t, uuid, 0, NULL);
    if (rc)
        return rc;
    rc = hv_registry_upload_write(s, ctx, data, half);
    if (rc == HV_OK)
        rc = hv_registry_upload_finish(s, ctx, &size, &id);
    else
        hv_registry_upload_abort(s);
    if (rc)
        return rc;
    rc = hv_registry_upload_begin(&s, ctx, reg, t, uuid, (int64_t)half, digest);
    if (rc)
        return rc;
    rc = hv_registry_upload_write(s, ctx, data + half, len - half);
    if (rc) {
        hv_registry_upload_abort(s);
        return rc;
    }
    return hv_registry_upload_finish(s, ctx, &size, &id);
}

/* An image manifest of a config and one layer (digests and sizes), in the arena. */
static const char *image(hv_ctx *ctx, const char *config, int64_t config_size, const char *layer,
                         int64_t layer_size) {
    return hv_arena_printf(ctx->arena,
                           "{\"schemaVersion\":2,\"mediaType\":\"" HV_MT_OCI_MANIFEST
                           "\",\"config\":{\"mediaType\":\"" HV_MT_OCI_CONFIG
                           "\",\"digest\":\"%s\",\"size\":%lld},\"layers\":[{\"mediaType\":"
                           "\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\","
                           "\"size\":%lld}]}",
                           config, (long long)config_size, layer, (long long)layer_size);
}

static hv_err put_manifest(hv_ctx *ctx, hv_target *t, const char *tag, const char *body,
                           char digest[]) {
    const char *subject;

    return hv_registry_manifest_put(digest, &subject, ctx, reg, t, tag, HV_MT_OCI_MANIFEST, body,
                                    strlen(body));
}

static void test_charged_once_per_project(void) {
    hv_ctx ctx = new_ctx();
    int64_t a = make_project("qa", -1), b = make_project("qb", -1);
    hv_target ta = target(&ctx, "qa/one"), ta2 = target(&ctx, "qa/two"),
              tb = target(&ctx, "qb/one");
    char d[HV_DIGEST_MAX];
    const char *blob = "a blob of 24 bytes......";

    CHECK_INT(usage(a), 0);
    CHECK_INT(push_blob(&ctx, &ta, blob, d), HV_OK);
    CHECK_INT(usage(a), 24);
    /* again, in another repository of the project, and as a session: no second charge */
    CHECK_INT(push_blob(&ctx, &ta2, blob, d), HV_OK);
    CHECK_INT(push_chunked(&ctx, &ta, blob, d), HV_OK);
    CHECK_INT(usage(a), 24);
    /* another project pays for its own link */
    CHECK_INT(push_chunked(&ctx, &tb, blob, d), HV_OK);
    CHECK_INT(usage(b), 24);
    CHECK_INT(usage(a), 24);
    /* deleting the blob through /v2 refunds it, once */
    CHECK_INT(hv_registry_blob_delete(&ctx, reg, &ta, d), HV_OK);
    CHECK_INT(usage(a), 0);
    CHECK_INT(hv_registry_blob_delete(&ctx, reg, &ta, d), HV_E_BLOB_UNKNOWN);
    CHECK_INT(usage(a), 0);
    CHECK_INT(usage(b), 24);
    hv_arena_free(ctx.arena);
}

static void test_deletion_refunds_exclusive_blobs(void) {
    hv_ctx ctx = new_ctx();
    int64_t p = make_project("qdel", -1);
    hv_target t = target(&ctx, "qdel/app");
    char cfg[HV_DIGEST_MAX], l1[HV_DIGEST_MAX], l2[HV_DIGEST_MAX];
    char m1[HV_DIGEST_MAX], m2[HV_DIGEST_MAX];
    const char *config = "{\"shared\":\"config\"}", *layer1 = "layer one", *layer2 = "layer two!";
    const char *body1, *body2;
    int64_t c = (int64_t)strlen(config), s1 = (int64_t)strlen(layer1), s2 = (int64_t)strlen(layer2);

    CHECK_INT(push_blob(&ctx, &t, config, cfg), HV_OK);
    CHECK_INT(push_blob(&ctx, &t, layer1, l1), HV_OK);
    CHECK_INT(push_chunked(&ctx, &t, layer2, l2), HV_OK);
    CHECK_INT(usage(p), c + s1 + s2);
    body1 = image(&ctx, cfg, c, l1, s1);
    body2 = image(&ctx, cfg, c, l2, s2);
    /* the manifests are blobs of the project too */
    CHECK_INT(put_manifest(&ctx, &t, "v1", body1, m1), HV_OK);
    CHECK_INT(usage(p), c + s1 + s2 + (int64_t)strlen(body1));
    CHECK_INT(put_manifest(&ctx, &t, "v2", body2, m2), HV_OK);
    CHECK_INT(usage(p), c + s1 + s2 + (int64_t)strlen(body1) + (int64_t)strlen(body2));
    /* the same manifest again changes nothing */
    CHECK_INT(put_manifest(&ctx, &t, "again", body2, m2), HV_OK);
    CHECK_INT(usage(p), c + s1 + s2 + (int64_t)strlen(body1) + (int64_t)strlen(body2));
    /* deleting v1 refunds its manifest and layer 1, not the config v2 shares */
    CHECK_INT(hv_registry_manifest_delete(&ctx, reg, &t, m1), HV_OK);
    CHECK_INT(usage(p), c + s2 + (int64_t)strlen(body2));
    /* deleting a tag frees nothing */
    CHECK_INT(hv_registry_manifest_delete(&ctx, reg, &t, "again"), HV_OK);
    CHECK_INT(usage(p), c + s2 + (int64_t)strlen(body2));
    CHECK_INT(hv_registry_manifest_delete(&ctx, reg, &t, m2), HV_OK);
    CHECK_INT(usage(p), 0);
    hv_arena_free(ctx.arena);
}

static void test_refusal_changes_nothing(void) {
    hv_ctx ctx = new_ctx();
    int64_t p = make_project("qfull", 40);
    hv_target t = target(&ctx, "qfull/app");
    char d1[HV_DIGEST_MAX], d2[HV_DIGEST_MAX], d3[HV_DIGEST_MAX], m[HV_DIGEST_MAX];
    const char *first = "thirty bytes of the first blob", *second = "eleven more";
    const char *body;
    uint64_t size;

    CHECK_INT(push_blob(&ctx, &t, first, d1), HV_OK);
    CHECK_INT(usage(p), 30);
    /* 30 + 11 > 40: refused with Harbor's message; not linked, not charged */
    CHECK_INT(push_blob(&ctx, &t, second, d2), HV_E_DENIED);
    CHECK_STR(ctx.err.message,
              "Quota exceeded when processing the request of adding 11 of storage resource, "
              "which when updated to current usage of 30 will exceed the configured upper "
              "limit of 40.");
    CHECK_INT(usage(p), 30);
    CHECK_INT(hv_registry_blob_stat(&size, &ctx, reg, &t, d2), HV_E_BLOB_UNKNOWN);
    CHECK_INT(push_chunked(&ctx, &t, second, d2), HV_E_DENIED);
    CHECK_INT(usage(p), 30);
    CHECK_INT(hv_registry_blob_stat(&size, &ctx, reg, &t, d2), HV_E_BLOB_UNKNOWN);
    /* what fits still goes in: 30 + 10 = 40 */
    CHECK_INT(push_blob(&ctx, &t, "ten bytes!", d3), HV_OK);
    CHECK_INT(usage(p), 40);
    /* the manifest is charged too: refused when it does not fit, and nothing is recorded */
    body = image(&ctx, d3, 10, d1, 30);
    CHECK_INT(put_manifest(&ctx, &t, "v1", body, m), HV_E_DENIED);
    CHECK(strstr(ctx.err.message, "Quota exceeded") != NULL);
    CHECK_INT(usage(p), 40);
    CHECK_INT(hv_registry_blob_stat(&size, &ctx, reg, &t, m), HV_E_BLOB_UNKNOWN);
    {
        hv_artifact a;
        hv_blob_reader *bytes = NULL;
        hv_target pull;
        CHECK_INT(hv_registry_target(&pull, &ctx, &admin, "qfull/app", "pull"), HV_OK);
        CHECK_INT(hv_registry_manifest_get(&a, &bytes, &ctx, reg, &pull, "v1", NULL, false),
                  pull.repo.id ? HV_E_MANIFEST_UNKNOWN : HV_E_NAME_UNKNOWN);
    }
    /* raising the limit lets it in */
    set_hard(p, 1000);
    CHECK_INT(put_manifest(&ctx, &t, "v1", body, m), HV_OK);
    CHECK_INT(usage(p), 40 + (int64_t)strlen(body));
    /* a limit below the usage is allowed, and refuses the next push */
    set_hard(p, 10);
    CHECK_INT(push_blob(&ctx, &t, "one more", d2), HV_E_DENIED);
    CHECK_INT(usage(p), 40 + (int64_t)strlen(body));
    /* adding nothing (the empty blob) is never refused */
    CHECK_INT(push_blob(&ctx, &t, "", d2), HV_OK);
    CHECK_INT(usage(p), 40 + (int64_t)strlen(body));
    /* deleting still refunds */
    CHECK_INT(hv_registry_manifest_delete(&ctx, reg, &t, m), HV_OK);
    CHECK_INT(usage(p), 0);
    hv_arena_free(ctx.arena);
}

static void test_mount_charges_the_target(void) {
    hv_ctx ctx = new_ctx();
    int64_t src = make_project("qsrc", -1), dst = make_project("qdst", 100),
            full = make_project("qtiny", 5);
    hv_target ts = target(&ctx, "qsrc/app"), td = target(&ctx, "qdst/app"),
              tf = target(&ctx, "qtiny/app");
    char d[HV_DIGEST_MAX];
    const char *blob = "twenty bytes to move";
    uint64_t size;

    CHECK_INT(push_blob(&ctx, &ts, blob, d), HV_OK);
    CHECK_INT(usage(src), 20);
    CHECK_INT(hv_registry_blob_mount(&ctx, reg, &admin, &td, "qsrc/app", d), HV_OK);
    CHECK_INT(usage(dst), 20);
    CHECK_INT(usage(src), 20);
    /* mounting again, or uploading the same bytes, does not charge twice */
    CHECK_INT(hv_registry_blob_mount(&ctx, reg, &admin, &td, "qsrc/app", d), HV_OK);
    CHECK_INT(push_blob(&ctx, &td, blob, d), HV_OK);
    CHECK_INT(usage(dst), 20);
    /* a mount that does not fit is refused, and the blob stays unknown there */
    CHECK_INT(hv_registry_blob_mount(&ctx, reg, &admin, &tf, "qsrc/app", d), HV_E_DENIED);
    CHECK(strstr(ctx.err.message, "adding 20 of storage") != NULL);
    CHECK_INT(usage(full), 0);
    CHECK_INT(hv_registry_blob_stat(&size, &ctx, reg, &tf, d), HV_E_BLOB_UNKNOWN);
    hv_arena_free(ctx.arena);
}

/* A mount without `from` finds the blob in a project the caller may pull from, and only
 * there; it is charged as any mount. */
static void test_mount_without_from(void) {
    hv_ctx ctx = new_ctx();
    int64_t hidden = make_project("qhidden", -1), dst = make_project("qfind", 100),
            tiny = make_project("qfindtiny", 5), uid = 0, mid = 0;
    hv_target th = target(&ctx, "qhidden/app"), td = target(&ctx, "qfind/app"),
              tt = target(&ctx, "qfindtiny/app");
    hv_user u = {.username = "qdev", .email = "qdev@example.com", .password_hash = ""};
    hv_identity dev = {.kind = HV_ID_USER, .name = "qdev"};
    char d[HV_DIGEST_MAX];
    const char *blob = "only in a private one";
    uint64_t size;

    CHECK_INT(hv_model_user_create(&uid, &ctx, &u), HV_OK);
    dev.user_id = uid;
    CHECK_INT(hv_model_member_create(&mid, &ctx, dst, uid, HV_ROLE_DEVELOPER), HV_OK);
    CHECK_INT(push_blob(&ctx, &th, blob, d), HV_OK);
    /* the blob is only where dev may not read: no mount, nothing charged, nothing told */
    CHECK_INT(hv_registry_blob_mount(&ctx, reg, &dev, &td, NULL, d), HV_E_BLOB_UNKNOWN);
    CHECK_INT(ctx.err.code, HV_OK);
    CHECK_INT(usage(dst), 0);
    CHECK_INT(hv_registry_blob_stat(&size, &ctx, reg, &td, d), HV_E_BLOB_UNKNOWN);
    hv_error_clear(&ctx);
    /* as a guest of that project dev may pull from it: mounted and charged, once */
    CHECK_INT(hv_model_member_create(&mid, &ctx, hidden, uid, HV_ROLE_GUEST), HV_OK);
    CHECK_INT(hv_registry_blob_mount(&ctx, reg, &dev, &td, NULL, d), HV_OK);
    CHECK_INT(usage(dst), (int64_t)strlen(blob));
    CHECK_INT(hv_registry_blob_mount(&ctx, reg, &dev, &td, NULL, d), HV_OK);
    CHECK_INT(usage(dst), (int64_t)strlen(blob));
    CHECK_INT(usage(hidden), (int64_t)strlen(blob));
    /* unknown anywhere, and over the quota */
    CHECK_INT(hv_registry_blob_mount(&ctx, reg, &admin, &td, NULL,
                                     "sha256:0000000000000000000000000000000000000000000000000000"
                                     "000000000000"),
              HV_E_BLOB_UNKNOWN);
    CHECK_INT(hv_registry_blob_mount(&ctx, reg, &admin, &tt, NULL, d), HV_E_DENIED);
    CHECK_INT(usage(tiny), 0);
    hv_arena_free(ctx.arena);
}

/* ---------------------------------------------------------------- concurrency */

#define RACERS         16
#define BLOBS_PER      6
#define RACE_BLOB_SIZE 100

struct racer {
    int index;
    int64_t accepted_bytes;
    int accepted, refused, other;
};

static void *race(void *arg) {
    struct racer *r = arg;
    hv_ctx ctx = {.arena = hv_arena_new(), .actor = "admin"};
    hv_db *own = NULL;
    hv_target t;

    if (hv_db_open(&own, &ctx, db_path) != HV_OK) {
        r->other = BLOBS_PER;
        hv_arena_free(ctx.arena);
        return NULL;
    }
    ctx.db = own;
    if (hv_registry_target(&t, &ctx, &admin, "qrace/app", "push") != HV_OK) {
        r->other = BLOBS_PER;
    } else {
        for (int i = 0; i < BLOBS_PER; i++) {
            char data[RACE_BLOB_SIZE + 1], d[HV_DIGEST_MAX];
            hv_err rc;
            memset(data, 'a' + i, RACE_BLOB_SIZE);
            snprintf(data, sizeof(data), "racer %d blob %d", r->index, i);
            data[strlen(data)] = '.';
            data[RACE_BLOB_SIZE] = '\0';
            rc = (i % 2) ? push_chunked(&ctx, &t, data, d) : push_blob(&ctx, &t, data, d);
            if (rc == HV_OK) {
                r->accepted++;
                r->accepted_bytes += RACE_BLOB_SIZE;
            } else if (rc == HV_E_DENIED) {
                r->refused++;
            } else {
                fprintf(stderr, "racer %d: %s\n", r->index, ctx.err.message);
                r->other++;
            }
            hv_error_clear(&ctx);
        }
    }
    hv_db_close(own);
    hv_arena_free(ctx.arena);
    return NULL;
}

static void test_concurrent_pushes_never_overshoot(void) {
    /* room for 20 of the 48 blobs, plus a little that fits no whole blob */
    int64_t hard = 20 * RACE_BLOB_SIZE + 50, p = make_project("qrace", hard), total = 0;
    struct racer racers[RACERS];
    pthread_t threads[RACERS];
    int accepted = 0, refused = 0, other = 0;

    for (int i = 0; i < RACERS; i++) {
        racers[i] = (struct racer){.index = i};
        CHECK_INT(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    for (int i = 0; i < RACERS; i++) {
        pthread_join(threads[i], NULL);
        accepted += racers[i].accepted;
        refused += racers[i].refused;
        other += racers[i].other;
        total += racers[i].accepted_bytes;
    }
    CHECK_INT(other, 0);
    CHECK_INT(accepted, 20);
    CHECK_INT(refused, RACERS * BLOBS_PER - 20);
    CHECK_INT(usage(p), total);
    CHECK(usage(p) <= hard);
}

/* ---------------------------------------------------------------- a deletion meets a push */

struct deleter {
    const char *digest;
    hv_err rc;
    int done; /* under done_lock */
};

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;

static void *delete_manifest(void *arg) {
    struct deleter *d = arg;
    hv_ctx ctx = {.arena = hv_arena_new(), .actor = "admin"};
    hv_db *own = NULL;
    hv_target t;

    d->rc = hv_db_open(&own, &ctx, db_path);
    ctx.db = own;
    if (d->rc == HV_OK)
        d->rc = hv_registry_target(&t, &ctx, &admin, "qlock/app", "delete");
    if (d->rc == HV_OK)
        d->rc = hv_registry_manifest_delete(&ctx, reg, &t, d->digest);
    if (d->rc)
        fprintf(stderr, "deleter: %s\n", ctx.err.message);
    hv_db_close(own);
    hv_arena_free(ctx.arena);
    pthread_mutex_lock(&done_lock);
    d->done = 1;
    pthread_mutex_unlock(&done_lock);
    return NULL;
}

/* A deletion that starts while a push into the same project is between its reads and its
 * commit waits for the push (SQLite: the writer lock; PostgreSQL: the project's quota row),
 * then sees what the push references: the layer both use stays linked and charged. */
static void test_deletion_waits_for_a_push_into_the_project(void) {
    hv_ctx ctx = new_ctx();
    int64_t p = make_project("qlock", -1), linked = 0;
    hv_target t = target(&ctx, "qlock/app");
    char cfg[HV_DIGEST_MAX], layer[HV_DIGEST_MAX], m1[HV_DIGEST_MAX];
    const char *config = "{\"lock\":\"config\"}", *data = "the layer both hold";
    struct deleter d = {.digest = m1};
    hv_artifact other = {.digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef01234567"
                                   "89abcdef",
                         .media_type = HV_MT_OCI_MANIFEST,
                         .size = 2};
    hv_repository repo;
    pthread_t thread;
    bool created = false;
    int done;

    CHECK_INT(push_blob(&ctx, &t, config, cfg), HV_OK);
    CHECK_INT(push_blob(&ctx, &t, data, layer), HV_OK);
    CHECK_INT(put_manifest(&ctx, &t, "v1",
                           image(&ctx, cfg, (int64_t)strlen(config), layer, (int64_t)strlen(data)),
                           m1),
              HV_OK);
    /* a push in progress: it holds the project and references the layer */
    CHECK_INT(hv_db_begin(db, &ctx), HV_OK);
    CHECK_INT(hv_model_quota_lock(&ctx, p), HV_OK);
    CHECK_INT(hv_model_repository_ensure(&repo, &ctx, p, "qlock/other"), HV_OK);
    other.repository_id = repo.id;
    CHECK_INT(hv_model_artifact_put(&created, &ctx, &other), HV_OK);
    CHECK_INT(hv_model_artifact_add_blob(&ctx, other.id, layer), HV_OK);
    CHECK_INT(pthread_create(&thread, NULL, delete_manifest, &d), 0);
    usleep(300 * 1000);
    pthread_mutex_lock(&done_lock);
    done = d.done;
    pthread_mutex_unlock(&done_lock);
    CHECK_INT(done, 0); /* the deletion waits */
    CHECK_INT(hv_db_commit(db, &ctx), HV_OK);
    pthread_join(thread, NULL);
    CHECK_INT(d.rc, HV_OK);
    CHECK_INT(hv_model_blob_linked(&linked, &ctx, p, layer), HV_OK);
    CHECK_INT(linked, (int64_t)strlen(data));
    CHECK_INT(usage(p), (int64_t)strlen(data)); /* the config and the manifest were refunded */
    hv_arena_free(ctx.arena);
}

/* ---------------------------------------------------------------- events */

/* n bytes of c (arena). */
static const char *bytes(hv_ctx *ctx, size_t n, char c) {
    char *s = hv_arena_alloc(ctx->arena, n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static int exceeded_seen, warning_seen;
static char last_warning[512];

static void on_quota(hv_ctx *ctx, const char *type, const char *payload, void *arg) {
    (void)ctx;
    (void)arg;
    pthread_mutex_lock(&seen_lock);
    if (strcmp(type, "quota.exceeded") == 0)
        exceeded_seen++;
    if (strcmp(type, "quota.warning") == 0) {
        warning_seen++;
        snprintf(last_warning, sizeof(last_warning), "%s", payload);
    }
    pthread_mutex_unlock(&seen_lock);
}

static hv_err open_db(hv_db **out, void *payload) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_err rc = hv_db_open(out, &ctx, payload);

    hv_arena_free(ctx.arena);
    return rc;
}

/* Everything published so far is delivered when the dispatcher stops: the refusals of the
 * tests above (volatile, so they survived their rollbacks) and the crossings of 85%. */
static void test_events(void) {
    hv_ctx ctx = new_ctx();
    int64_t p;
    hv_target t;
    char d[HV_DIGEST_MAX];

    hv_events_subscribe("quota.", on_quota, NULL);
    /* one warning: 80 -> 90 of 100 crosses 85%, 90 -> 95 does not */
    p = make_project("qwarn", 100);
    t = target(&ctx, "qwarn/app");
    CHECK_INT(push_blob(&ctx, &t, bytes(&ctx, 80, 'w'), d), HV_OK);
    CHECK_INT(usage(p), 80);
    CHECK_INT(push_blob(&ctx, &t, "ten bytes.", d), HV_OK);
    CHECK_INT(push_blob(&ctx, &t, "five!", d), HV_OK);
    CHECK_INT(push_blob(&ctx, &t, "and six", d), HV_E_DENIED);
    CHECK_INT(usage(p), 95);
    CHECK_INT(hv_events_start(&ctx, open_db, db_path), HV_OK);
    hv_events_stop();
    /* refused above: 2 in test_refusal (blob twice) + manifest + lowered limit, 2 mounts,
     * 28 racers, 1 here */
    CHECK_INT(exceeded_seen, 4 + 2 + (RACERS * BLOBS_PER - 20) + 1);
    /* crossings: qfull (30 -> 40 of 40), qrace (once), qwarn (once); qdst 20 of 100 and
     * qfind 21 of 100 none */
    CHECK_INT(warning_seen, 3);
    CHECK(strstr(last_warning, "\"project\":\"qwarn\"") != NULL);
    CHECK(strstr(last_warning, "\"used\":\"90\"") != NULL);
    CHECK(strstr(last_warning, "\"hard\":\"100\"") != NULL);
    hv_arena_free(ctx.arena);
}

TEST_MAIN(setup, test_charged_once_per_project, test_deletion_refunds_exclusive_blobs,
          test_refusal_changes_nothing, test_mount_charges_the_target, test_mount_without_from,
          test_concurrent_pushes_never_overshoot, test_deletion_waits_for_a_push_into_the_project,
          test_events, teardown)
