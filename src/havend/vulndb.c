/*
 * havend vulndb — the scanner's vulnerability database from the command line:
 *
 *   havend vulndb import [--format osv|debian|alpine] PATH… [settings…]
 *   havend vulndb status [settings…]
 *
 * import replaces the database of data_dir with what the paths hold (OSV: a record, a
 * directory of records or osv.dev's all.zip; debian: the security tracker's JSON; alpine:
 * a secdb file); --format applies to the paths after it (default osv), so one import can
 * take several feeds.  It may run while havend serves the directory: scans keep the data
 * they started with.  status prints when the database was imported, from what, and its
 * size.  Settings are havend's (--data DIR, …), as --name=value or --name value.
 */
#include "havend/config.h"
#include "havend/havend_int.h"
#include "scan/scan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *usage = "usage: havend vulndb import [--format osv|debian|alpine] PATH… "
                           "[settings…] | havend vulndb status [settings…]";

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
        } else if (hv_str_has_prefix(a, "--")) {
            rest[(*n_rest)++] = argv[i];
            if (!strchr(a, '=') && i + 1 < argc && !hv_str_has_prefix(argv[i + 1], "--"))
                rest[(*n_rest)++] = argv[++i];
        } else {
            src[*n_src].path = a;
            src[(*n_src)++].format = format;
        }
    }
    rest[*n_rest] = NULL;
    return HV_OK;
}

static hv_err import(hv_ctx *ctx, const hv_config *cfg, const hv_scan_vulndb_source *src,
                     size_t n) {
    hv_scan_vulndb_stats st;
    uint64_t t0 = hv_mono_ns();
    hv_err rc;

    if (n == 0)
        return HV_FAIL(ctx, HV_E_CONFIG, "%s", usage);
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
    size_t n_src = 0;
    int n_rest = 0, level;
    hv_err rc;

    /* libarchive turns each zip entry's DOS time into local time, and glibc reads
     * /etc/localtime again at every call while TZ is unset: a stat per record.  havend
     * keeps its times in UTC, so say so. */
    setenv("TZ", "UTC", 0);
    if (argc < 3 || (!is_import && strcmp(argv[2], "status") != 0))
        rc = HV_FAIL(&ctx, HV_E_CONFIG, "%s", usage);
    else
        rc = parse_args(src, &n_src, rest, &n_rest, &ctx, argc, argv);
    if (rc == HV_OK && !is_import && n_src)
        rc = HV_FAIL(&ctx, HV_E_CONFIG, "status takes no paths; %s", usage);
    if (rc == HV_OK)
        rc = hv_config_load(&cfg, &ctx, n_rest, rest, envp);
    if (rc == HV_OK) {
        level = hv_log_level_parse(cfg.log_level);
        if (level >= 0)
            hv_log_threshold = (hv_log_level)level;
        rc = is_import ? import(&ctx, &cfg, src, n_src) : status(&ctx, &cfg);
    }
    if (rc)
        fprintf(stderr, "havend vulndb: %s\n", ctx.err.message);
    hv_config_free(&cfg);
    free(src);
    free(rest);
    hv_arena_free(ctx.arena);
    return rc ? 1 : 0;
}
