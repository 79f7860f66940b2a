/*
 * config — the settings of havend and where they come from.
 *
 * Every setting is one row of a single table (config.c): name, type, default, bounds, help.
 * The row alone decides how the setting is spelled in each source — the YAML file key is the
 * name (`data_dir`), the environment variable is HAVEN_ + the upper-cased name
 * (`HAVEN_DATA_DIR`), the flag is `--` + the name with '_' written as '-' (`--data-dir`) —
 * and how its value is checked.  Sources are layered, each later one winning:
 *
 *   defaults  <  YAML file (--config FILE or HAVEN_CONFIG)  <  HAVEN_* environment  <  flags
 *
 * Anything unknown (a key, a HAVEN_* variable, a flag) is an error rather than ignored, so
 * that a typo never silently leaves a default in place.  `havend --check-config` runs exactly
 * this loading and exits.
 */
#ifndef HV_HAVEND_CONFIG_H
#define HV_HAVEND_CONFIG_H

#include "base/base.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct hv_config {
    char *listen;       /* "127.0.0.1:5000"; ADDR:PORT, port 0..65535 (0 = any free port) */
    char *data_dir;     /* "./data" */
    char *database_url; /* NULL: SQLite in data_dir; else a postgres:// URL.  A secret
                           (it may hold a password): log it through hv_db_redact. */
    int64_t database_max_open_conns;    /* default 64, bounds 1..4096 */
    int64_t database_max_idle_conns;    /* default 64, bounds 0..4096 */
    int64_t database_conn_max_lifetime; /* seconds, 0 = no limit; default 0 */
    char *secret_key;     /* NULL: generated into data_dir (required with database_url); else 64 hex
                             digits, the same on every node.  A secret, as admin_password. */
    char *admin_password; /* NULL: generated and printed once on first start.  A secret:
                             never logged, never echoed in an error message. */
    char *log_level;      /* "info": debug|info|warn|error */
    char *external_url;   /* NULL: derived from the listen address; http:// or https:// */
    int64_t max_connections;   /* bounds 8..65536 */
    int64_t idle_timeout;      /* seconds; bounds 1..3600 */
    int64_t upload_ttl;        /* seconds an unfinished upload may sit idle before it is purged;
                                  default 86400; bounds 1..31536000 */
    int64_t max_manifest;      /* bytes, default 4194304, bounds 1024..16777216 */
    int64_t blob_cache_size;   /* bytes of small blobs kept in memory, default 64 MiB, 0: none */
    char *storage;             /* "fs" (default) or "s3" */
    char *s3_bucket;           /* storage s3: required */
    char *s3_region;           /* "us-east-1" */
    char *s3_endpoint;         /* NULL: AWS's endpoint of the region */
    char *s3_root;             /* NULL: the bucket's top */
    bool s3_path_style;        /* false */
    char *s3_access_key;       /* NULL: AWS_ACCESS_KEY_ID (storage s3 needs one of them) */
    char *s3_secret_key;       /* NULL: AWS_SECRET_ACCESS_KEY.  A secret, as admin_password. */
    bool s3_redirect;          /* false: blob GETs answer 307 to a presigned URL when true */
    int64_t s3_copy_max;       /* bytes placed with one CopyObject, default and most 5 GiB,
                                  least 5 MiB; larger blobs are copied in parts */
    int64_t job_workers;       /* 0: two per CPU; bounds 0..1024 */
    int64_t job_poll_interval; /* ms, default 1000, bounds 10..60000 */
    int64_t job_lease;         /* seconds, default 30, bounds 1..3600 */
    int64_t gc_grace_period;   /* seconds, default 7200, bounds 0..31536000 */
    char *audit_log_forward_endpoint; /* NULL: the stored configuration stays */
    char *vulndb_url;                 /* NULL: no scheduled update of the vulnerability db */
    int64_t vulndb_update_interval;   /* seconds, default 86400, bounds 60..31536000 */
    char *skip_audit_log_database;    /* "true"/"false"; NULL: the stored configuration stays */
    bool test_job_kinds; /* false: the test-only job type HAVEN_TEST_SLEEP is not there */
    char *config_file;   /* set by --config or HAVEN_CONFIG; NULL: no file is read */
    bool check_only;     /* --check-config: validate, report and exit */
    bool help;           /* --help: print hv_config_usage and exit; nothing else was loaded */
} hv_config;

/*
 * Fills *out (which need not be initialised) from the defaults, then the YAML file named by
 * --config or HAVEN_CONFIG, then the HAVEN_* variables of envp (NULL-terminated "NAME=value"
 * strings, as main's third argument or environ; NULL means none), then the flags of argv
 * (argv[0] is the program name).  Each later source wins.
 *
 * Flags: `--NAME VALUE` or `--NAME=VALUE` for every setting, plus `--data DIR` (the same as
 * --data-dir), `--check-config` and `--help`.  The file is a flat mapping of the setting
 * names (`listen: 0.0.0.0:5000`).  Integers are plain decimal.  An empty value (or a YAML
 * null) unsets a setting whose default is unset (admin_password, external_url, config) and is
 * an error for the others.
 *
 * When --help is among the flags, returns HV_OK with only out->help set: the file and the
 * environment are not read, so help works even when they are broken.
 *
 * The strings of *out are owned by it; release them with hv_config_free.
 *
 * With database_url, secret_key is required (every node must have the same one).
 *
 * With storage s3, an unset s3_access_key or s3_secret_key is taken from AWS_ACCESS_KEY_ID or
 * AWS_SECRET_ACCESS_KEY of envp; s3_bucket and both keys are then required.
 *
 * Returns HV_OK, or HV_E_CONFIG with a message in ctx->err that names the setting (or the
 * unknown key, variable or flag), where it came from (file and line, variable, flag) and what
 * is accepted — for an unknown key, variable or flag; a value of the wrong type, out of
 * bounds or not of the setting's form; a setting given in a source that cannot hold it; a
 * missing value; an unreadable file; malformed YAML or a file that is not a flat mapping.
 * On error *out is left zeroed.
 */
hv_err hv_config_load(hv_config *out, hv_ctx *ctx, int argc, char **argv, char **envp);

/* The S3 settings of c complete for a store in a bucket: unset keys taken from
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY of envp, then s3_bucket and both keys
 * required (HV_E_CONFIG saying what is missing).  hv_config_load runs it for storage s3;
 * `havend migrate --blobs-to s3` for the bucket it copies into. */
hv_err hv_config_s3_check(hv_config *c, hv_ctx *ctx, char **envp);

/* Frees the strings of c and zeroes it.  Accepts NULL and a zeroed config. */
void hv_config_free(hv_config *c);

/* Writes the help text to f: for every setting its flag, environment variable, default and
 * help, in the order of the table. */
void hv_config_usage(FILE *f);

#endif
