/*
 * havend — the daemon.  Loads the configuration, opens the data directory (blob store and,
 * unless database_url names PostgreSQL, the SQLite database), migrates the database on
 * start, creates the first user and project on first start,
 * wires the modules together (registry service, event subscribers, the job kinds and the job
 * workers, the HTTP APIs) and then waits for SIGTERM/SIGINT, running the periodic upload purge
 * meanwhile when this node is the cluster's one to run it.
 */
#include "api/api.h"
#include "audit/audit.h"
#include "blob/blob.h"
#include "db/db.h"
#include "events/events.h"
#include "gc/gc.h"
#include "havend/config.h"
#include "havend/havend_int.h"
#include "http/http.h"
#include "iam/iam.h"
#include "jobs/jobs.h"
#include "registry/registry.h"
#include "retention/retention.h"
#include "scanner/scanner.h"
#include "v2/v2.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

typedef struct havend {
    hv_config cfg;
    char *db_target; /* database_url, or the SQLite file in data_dir */
    hv_blob_store *blobs;
    hv_registry *reg;
    hv_http_server *http;
    hv_db *db;    /* the main thread's connection; it holds the purge's singleton */
    int lock;     /* holds data_dir's lock, shared */
    bool purging; /* this node holds it (for the log: it says when that changes) */
    hv_api_config api;
} havend;

int hv_havend__lock(hv_ctx *ctx, const char *data_dir, bool exclusive) {
    char path[4096];
    int fd;

    snprintf(path, sizeof(path), "%s/haven.lock", data_dir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        HV_FAIL(ctx, HV_E_IO, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
        int busy = errno == EWOULDBLOCK;
        if (busy && exclusive)
            HV_FAIL(ctx, HV_E_UNAVAILABLE, "havend is running on %s (it holds %s): stop it first",
                    data_dir, path);
        else if (busy)
            HV_FAIL(ctx, HV_E_UNAVAILABLE,
                    "havend migrate is copying %s (it holds %s): wait until it is done", data_dir,
                    path);
        else
            HV_FAIL(ctx, HV_E_IO, "cannot lock %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static hv_err open_db(struct hv_db **out, void *payload) {
    havend *h = payload;
    hv_ctx ctx = {0};
    hv_err rc;

    ctx.arena = hv_arena_new();
    rc = hv_db_open(out, &ctx, h->db_target);
    if (rc)
        hv_log(HV_LOG_ERROR, "%s", ctx.err.message);
    hv_arena_free(ctx.arena);
    return rc;
}

/* The first subscriber: every event in the log. */
static void log_event(hv_ctx *ctx, const char *type, const char *payload, void *arg) {
    (void)ctx;
    (void)arg;
    hv_log(HV_LOG_INFO, "event %s %s", type, payload);
}

hv_blob_s3_config hv_havend__s3_config(const hv_config *cfg) {
    return (hv_blob_s3_config){.bucket = cfg->s3_bucket,
                               .region = cfg->s3_region,
                               .endpoint = cfg->s3_endpoint,
                               .root = cfg->s3_root,
                               .path_style = cfg->s3_path_style,
                               .access_key = cfg->s3_access_key,
                               .secret_key = cfg->s3_secret_key,
                               .copy_max = (uint64_t)cfg->s3_copy_max};
}

/* The blob store the configuration names: the data directory's folders, or a bucket. */
static hv_err open_blobs(havend *h, hv_ctx *ctx) {
    hv_blob_s3_config s3 = hv_havend__s3_config(&h->cfg);
    hv_err rc;

    if (strcmp(h->cfg.storage, "s3") != 0) {
        rc = hv_blob_fs_open(&h->blobs, ctx, h->cfg.data_dir);
        if (rc == HV_OK)
            hv_blob_cache(h->blobs, (size_t)h->cfg.blob_cache_size);
        return rc;
    }
    rc = hv_blob_s3_open(&h->blobs, ctx, &s3);
    if (rc) {
        char why[HV_ERROR_MSG_MAX];
        snprintf(why, sizeof(why), "%s", ctx->err.message);
        return HV_FAIL(ctx, rc, "storage s3: %s", why);
    }
    hv_blob_cache(h->blobs, (size_t)h->cfg.blob_cache_size);
    hv_log(HV_LOG_INFO, "blobs in bucket %s%s%s of %s", h->cfg.s3_bucket,
           h->cfg.s3_root ? " under " : "", h->cfg.s3_root ? h->cfg.s3_root : "",
           h->cfg.s3_endpoint ? h->cfg.s3_endpoint : "AWS S3");
    return HV_OK;
}

/* The upload purge, run by one node of a cluster at a time: the one holding the singleton
 * "upload-purge" (the first to ask, for as long as it lives).  all_orphans: see
 * hv_registry_purge_uploads. */
static void purge(havend *h, hv_ctx *ctx, bool all_orphans) {
    bool held = false;

    if (hv_db_singleton(&held, h->db, ctx, "upload-purge") != HV_OK) {
        hv_log(HV_LOG_WARN, "upload purge skipped: %s", ctx->err.message);
        hv_error_clear(ctx);
        return;
    }
    if (held != h->purging)
        hv_log(HV_LOG_INFO, held ? "this node runs the upload purge of the cluster"
                                 : "the upload purge is another node's now");
    h->purging = held;
    if (held)
        hv_registry_purge_uploads(ctx, h->reg, all_orphans);
}

/* The Harbor configurations the start sets (audit forwarding), when given. */
static hv_err apply_settings(havend *h, hv_ctx *ctx) {
    hv_iam_setting v[2];
    size_t n = 0;

    if (h->cfg.audit_log_forward_endpoint)
        v[n++] = (hv_iam_setting){.name = "audit_log_forward_endpoint",
                                  .type = HV_IAM_SETTING_STRING,
                                  .value = h->cfg.audit_log_forward_endpoint};
    if (h->cfg.skip_audit_log_database)
        v[n++] = (hv_iam_setting){.name = "skip_audit_log_database",
                                  .type = HV_IAM_SETTING_BOOL,
                                  .value = h->cfg.skip_audit_log_database};
    return n ? hv_iam_settings_apply(ctx, v, n) : HV_OK;
}

static hv_err start(havend *h, hv_ctx *ctx) {
    hv_registry_config rcfg = {.upload_ttl_ms = h->cfg.upload_ttl * 1000,
                               .max_manifest = (size_t)h->cfg.max_manifest,
                               .redirect_blobs =
                                   h->cfg.s3_redirect && strcmp(h->cfg.storage, "s3") == 0};
    hv_http_config hcfg = {.listen = h->cfg.listen,
                           .max_connections = (int)h->cfg.max_connections,
                           .idle_timeout = (int)h->cfg.idle_timeout,
                           .realm = "Haven",
                           .token_service = "harbor-registry",
                           .open_db = open_db,
                           .payload = h,
                           .db_max_open = (int)h->cfg.database_max_open_conns,
                           .db_max_idle = (int)h->cfg.database_max_idle_conns,
                           .db_max_lifetime_ms = h->cfg.database_conn_max_lifetime * 1000};
    hv_auth_config acfg = {.secret_key = h->cfg.secret_key,
                           .data_dir = h->cfg.data_dir,
                           .token_ttl = 1800,
                           .service = "harbor-registry",
                           .issuer = "harbor-token-issuer"};
    hv_jobs_config jcfg = {.workers = h->cfg.job_workers ? (int)h->cfg.job_workers
                                                         : 2 * (int)sysconf(_SC_NPROCESSORS_ONLN),
                           .poll_ms = h->cfg.job_poll_interval,
                           .lease_ms = h->cfg.job_lease * 1000,
                           .open_db = open_db,
                           .payload = h};
    hv_gc_config gcfg = {.grace_ms = h->cfg.gc_grace_period * 1000};
    hv_scanner_config scfg = {0};
    hv_err rc;

    if (mkdir(h->cfg.data_dir, 0700) != 0 && errno != EEXIST)
        return HV_FAIL(ctx, HV_E_CONFIG, "data_dir: cannot create %s: %s", h->cfg.data_dir,
                       strerror(errno));
    h->lock = hv_havend__lock(ctx, h->cfg.data_dir, false);
    if (h->lock < 0)
        return ctx->err.code;
    h->db_target = h->cfg.database_url ? hv_strdup(h->cfg.database_url)
                                       : hv_printf("%s/haven.db", h->cfg.data_dir);
    rc = open_blobs(h, ctx);
    if (rc)
        return rc;
    rc = hv_db_open(&h->db, ctx, h->db_target);
    if (rc)
        return rc;
    ctx->db = h->db;
    rc = hv_db_migrate(h->db, ctx);
    if (rc)
        return rc;
    rc = hv_auth_init(ctx, &acfg);
    if (rc)
        return rc;
    rc = hv_registry_bootstrap(ctx, h->cfg.admin_password);
    if (rc)
        return rc;
    rc = apply_settings(h, ctx);
    if (rc)
        return rc;
    rc = hv_registry_open(&h->reg, ctx, h->blobs, &rcfg);
    if (rc)
        return rc;
    /* at start, uploads without a session are a crash's leftovers, unless the store is
     * shared: other nodes' one-request uploads have no session either, so an S3 store's
     * wait until they are idle past upload_ttl */
    purge(h, ctx, strcmp(h->cfg.storage, "s3") != 0);

    hv_events_subscribe("", log_event, NULL);
    hv_audit_init();
    hv_registry_pull_stats_init();
    hv_retention_init();
    scfg.blobs = h->blobs;
    scfg.data_dir = h->cfg.data_dir;
    rc = hv_scanner_init(ctx, &scfg);
    if (rc)
        return rc;
    rc = hv_events_start(ctx, open_db, h);
    if (rc)
        return rc;

    gcfg.blobs = h->blobs;
    hv_gc_init(&gcfg);
    hv_audit_purge_init();
    if (h->cfg.test_job_kinds)
        hv_jobs_register_test_kinds();
    rc = hv_jobs_start(ctx, &jcfg);
    if (rc)
        return rc;

    h->api.external_url = h->cfg.external_url
                              ? h->cfg.external_url
                              : hv_arena_printf(ctx->arena, "http://%s", h->cfg.listen);
    if (h->cfg.external_url)
        hcfg.token_realm = hv_arena_printf(ctx->arena, "%s/service/token", h->cfg.external_url);
    rc = hv_http_new(&h->http, ctx, &hcfg);
    if (rc)
        return rc;
    hv_v2_mount(h->http, h->reg);
    h->api.data_dir = h->cfg.data_dir;
    h->api.reg = h->reg;
    hv_api_mount(h->http, &h->api);
    rc = hv_http_start(h->http, ctx);
    if (rc == HV_OK)
        rc = hv_havend__vulndb_start(ctx, &h->cfg);
    if (rc)
        return rc;
    hv_log(HV_LOG_INFO,
           "havend listening on %s (port %d), data in %s, metadata in %s, up to %d connections",
           h->cfg.listen, hv_http_port(h->http), h->cfg.data_dir,
           hv_db_redact(ctx->arena, h->db_target), hcfg.max_connections);
    return HV_OK;
}

/* Waits for a stop signal; purges idle uploads now and then. */
static void serve(havend *h, const sigset_t *stop) {
    int64_t every_ms = h->cfg.upload_ttl * 1000 / 2;
    struct timespec wait;

    if (every_ms > 60000)
        every_ms = 60000;
    if (every_ms < 500)
        every_ms = 500;
    wait.tv_sec = every_ms / 1000;
    wait.tv_nsec = (every_ms % 1000) * 1000000;
    for (;;) {
        int sig = sigtimedwait(stop, NULL, &wait);
        if (sig > 0) {
            hv_log(HV_LOG_INFO, "signal %d: stopping", sig);
            return;
        }
        hv_ctx ctx = {.arena = hv_arena_new(), .db = h->db, .actor = "purge"};
        purge(h, &ctx, false);
        hv_arena_free(ctx.arena);
    }
}

int main(int argc, char **argv) {
    havend h = {.lock = -1};
    hv_ctx ctx = {.arena = hv_arena_new(), .actor = "havend"};
    sigset_t stop;
    int level, status = 1;

    if (argc > 1 && strcmp(argv[1], "migrate") == 0) {
        hv_arena_free(ctx.arena);
        return hv_havend__migrate(argc, argv, environ);
    }
    if (argc > 1 && strcmp(argv[1], "scan") == 0) {
        hv_arena_free(ctx.arena);
        return hv_havend__scan(argc, argv, environ);
    }
    if (argc > 1 && strcmp(argv[1], "vulndb") == 0) {
        hv_arena_free(ctx.arena);
        return hv_havend__vulndb(argc, argv, environ);
    }
    if (hv_config_load(&h.cfg, &ctx, argc, argv, environ) != HV_OK) {
        fprintf(stderr, "havend: %s\n", ctx.err.message);
        goto out;
    }
    if (h.cfg.help) {
        hv_config_usage(stdout);
        status = 0;
        goto out;
    }
    if (h.cfg.check_only) {
        printf("havend: configuration OK\n");
        status = 0;
        goto out;
    }
    level = hv_log_level_parse(h.cfg.log_level);
    if (level >= 0)
        hv_log_threshold = (hv_log_level)level;

    /* stop signals are taken by sigtimedwait in the main thread only */
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (start(&h, &ctx) != HV_OK) {
        fprintf(stderr, "havend: %s\n", ctx.err.message);
        goto out;
    }
    serve(&h, &stop);
    status = 0;
out:
    hv_havend__vulndb_stop();
    hv_http_stop(h.http);
    hv_jobs_stop();
    hv_events_stop();
    hv_registry_free(h.reg);
    hv_db_close(h.db);
    hv_blob_close(h.blobs);
    free(h.db_target);
    if (h.lock >= 0)
        close(h.lock);
    hv_config_free(&h.cfg);
    hv_arena_free(ctx.arena);
    return status;
}
