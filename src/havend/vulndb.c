/*
 * havend vulndb — the scanner's vulnerability database from the command line:
 *
 *   havend vulndb import [--format osv|debian|alpine] PATH… [settings…]
 *   havend vulndb update [settings…]
 *   havend vulndb status [settings…]
 *
 * import replaces the database of data_dir with what the paths hold (OSV: a record, a
 * directory of records or osv.dev's all.zip; debian: the security tracker's JSON; alpine:
 * a secdb file); --format applies to the paths after it (default osv), so one import can
 * take several feeds.  It may run while havend serves the directory: scans keep the data
 * they started with.  update does once what havend does every vulndb_update_interval: an
 * import of what vulndb_url serves.  status prints when the database was imported, from what, and
 * its size.  Settings are havend's (--data DIR, …), as --name=value or --name value.
 *
 * The daemon's scheduled update lives here too: with vulndb_url set, a thread of each
 * havend imports what the URL serves at start and then every vulndb_update_interval.  It
 * is a thread of the node rather than a job of the cluster's queue because each node keeps
 * its own database (scan's vulndb.c says why); a failed update is logged and the database
 * stays as it was until the next.
 */
#include "havend/config.h"
#include "havend/havend_int.h"
#include "scan/scan.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *usage = "usage: havend vulndb import [--format osv|debian|alpine] PATH… "
                           "[settings…] | havend vulndb update|status [settings…]";

static bool parse_format(hv_scan_vulndb_format *out, const char *name) {
    static const char *const names[] = {"osv", "debian", "alpine"};

    for (size_t i = 0; i < 3; i++) {
        if (strcmp(names[i], name) == 0) {
            *out = (hv_scan_vulndb_format)i;
            return true;
        }
    }
    return false;
}

/* Splits argv (after "vulndb import|status") into sources and havend's settings. */
static hv_err parse_args(hv_scan_vulndb_source *src, size_t *n_src, char **rest, int *n_rest,
                         hv_ctx *ctx, int argc, char **argv) {
    hv_scan_vulndb_format format = HV_VULNDB_OSV;
    bool format_used = true; /* whether a path followed the last --format */

    *n_src = 0;
    *n_rest = 0;
    rest[(*n_rest)++] = argv[0];
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "--format") == 0 || hv_str_has_prefix(a, "--format=")) {
            const char *v = a[8] == '=' ? a + 9 : i + 1 < argc ? argv[++i] : NULL;

            if (!v || !parse_format(&format, v))
                return HV_FAIL(ctx, HV_E_CONFIG, "--format: osv, debian or alpine, not %s",
                               v ? v : "nothing");
            format_used = false;
        } else if (hv_str_has_prefix(a, "--")) {
            rest[(*n_rest)++] = argv[i];
            if (!strchr(a, '=') && i + 1 < argc && !hv_str_has_prefix(argv[i + 1], "--"))
                rest[(*n_rest)++] = argv[++i];
        } else {
            src[*n_src].path = a;
            src[(*n_src)++].format = format;
            format_used = true;
        }
    }
    rest[*n_rest] = NULL;
    if (!format_used) /* "import FILE --format alpine" would read FILE as OSV */
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "--format applies to the paths after it, and none follows the last one");
    return HV_OK;
}

static hv_err import(hv_ctx *ctx, const hv_config *cfg, const hv_scan_vulndb_source *src, size_t n,
                     bool update) {
    hv_scan_vulndb_stats st;
    uint64_t t0 = hv_mono_ns();
    hv_err rc;

    if (update && !cfg->vulndb_url)
        return HV_FAIL(ctx, HV_E_CONFIG, "update: vulndb_url is not set (--vulndb-url URL)");
    if (!update && n == 0)
        return HV_FAIL(ctx, HV_E_CONFIG, "%s", usage);
    if (update)
        rc = hv_scan_vulndb_update(&st, ctx, cfg->data_dir, cfg->vulndb_url);
    else
        rc = hv_scan_vulndb_import(&st, ctx, cfg->data_dir, src, n);
    if (rc == HV_OK)
        printf("imported %" PRId64 " records (%" PRId64 " affected packages) in %.1f s; "
               "%" PRId64 " withdrawn, %" PRId64 " malformed skipped\n",
               st.records, st.affected, (double)(hv_mono_ns() - t0) / 1e9, st.withdrawn,
               st.malformed);
    return rc;
}

static hv_err status(hv_ctx *ctx, const hv_config *cfg) {
    hv_scan_vulndb *db = NULL;
    hv_scan_vulndb_status st;
    hv_err rc = hv_scan_vulndb_open(&db, ctx, cfg->data_dir);

    if (rc == HV_OK)
        rc = hv_scan_vulndb_status_get(&st, ctx, db);
    if (rc == HV_OK)
        printf("updated_at: %s\nrecords: %" PRId64 "\naffected: %" PRId64 "\nsources: %s\n",
               st.updated_at ? st.updated_at : "", st.records, st.affected,
               st.sources ? st.sources : "");
    hv_scan_vulndb_close(db);
    return rc;
}

int hv_havend__vulndb(int argc, char **argv, char **envp) {
    hv_ctx ctx = {.arena = hv_arena_new(), .actor = "vulndb"};
    hv_scan_vulndb_source *src = hv_calloc((size_t)argc, sizeof(*src));
    char **rest = hv_calloc((size_t)argc + 1, sizeof(*rest));
    hv_config cfg = {0};
    bool is_import = argc > 2 && strcmp(argv[2], "import") == 0;
    bool is_update = argc > 2 && strcmp(argv[2], "update") == 0;
    size_t n_src = 0;
    int n_rest = 0, level;
    hv_err rc;

    /* libarchive turns each zip entry's DOS time into local time, and glibc reads
     * /etc/localtime again at every call while TZ is unset: a stat per record.  havend
     * keeps its times in UTC, so say so. */
    setenv("TZ", "UTC", 0);
    if (argc < 3 || (!is_import && !is_update && strcmp(argv[2], "status") != 0))
        rc = HV_FAIL(&ctx, HV_E_CONFIG, "%s", usage);
    else
        rc = parse_args(src, &n_src, rest, &n_rest, &ctx, argc, argv);
    if (rc == HV_OK && !is_import && n_src)
        rc = HV_FAIL(&ctx, HV_E_CONFIG, "%s takes no paths; %s", argv[2], usage);
    if (rc == HV_OK)
        rc = hv_config_load(&cfg, &ctx, n_rest, rest, envp);
    if (rc == HV_OK) {
        level = hv_log_level_parse(cfg.log_level);
        if (level >= 0)
            hv_log_threshold = (hv_log_level)level;
        rc =
            is_import || is_update ? import(&ctx, &cfg, src, n_src, is_update) : status(&ctx, &cfg);
    }
    if (rc)
        fprintf(stderr, "havend vulndb: %s\n", ctx.err.message);
    hv_config_free(&cfg);
    free(src);
    free(rest);
    hv_arena_free(ctx.arena);
    return rc ? 1 : 0;
}

static struct {
    pthread_mutex_t mu;
    pthread_cond_t wake;
    pthread_t thread;
    bool started, stop;
    const hv_config *cfg;
} updater = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void *update_loop(void *unused) {
    (void)unused;
    pthread_mutex_lock(&updater.mu);
    while (!updater.stop) {
        hv_ctx ctx = {.arena = hv_arena_new(), .actor = "vulndb"};
        hv_scan_vulndb_stats st;
        struct timespec until;
        hv_err rc;

        pthread_mutex_unlock(&updater.mu);
        rc = hv_scan_vulndb_update(&st, &ctx, updater.cfg->data_dir, updater.cfg->vulndb_url);
        if (rc)
            hv_log(HV_LOG_WARN, "vulndb update from %s failed: %s", updater.cfg->vulndb_url,
                   ctx.err.message);
        else
            hv_log(HV_LOG_INFO,
                   "vulndb updated from %s: %" PRId64 " records, %" PRId64 " malformed skipped",
                   updater.cfg->vulndb_url, st.records, st.malformed);
        hv_arena_free(ctx.arena);
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += updater.cfg->vulndb_update_interval;
        pthread_mutex_lock(&updater.mu);
        while (!updater.stop &&
               pthread_cond_timedwait(&updater.wake, &updater.mu, &until) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&updater.mu);
    return NULL;
}

hv_err hv_havend__vulndb_start(hv_ctx *ctx, const hv_config *cfg) {
    if (!cfg->vulndb_url)
        return HV_OK;
    updater.cfg = cfg;
    updater.stop = false;
    if (pthread_create(&updater.thread, NULL, update_loop, NULL) != 0)
        return HV_FAIL(ctx, HV_E_INTERNAL, "cannot start the vulndb updater: %s", strerror(errno));
    updater.started = true;
    return HV_OK;
}

void hv_havend__vulndb_stop(void) {
    if (!updater.started)
        return;
    pthread_mutex_lock(&updater.mu);
    updater.stop = true;
    pthread_cond_broadcast(&updater.wake);
    pthread_mutex_unlock(&updater.mu);
    pthread_join(updater.thread, NULL); /* an update in progress finishes first */
    updater.started = false;
}
