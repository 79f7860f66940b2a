/*
 * config — the table of settings and the sources that fill it.
 *
 * DESIGN.  settings[] is the only place a setting is described (redis static_configs[]).
 * Everything else walks it: the defaults are the table's default texts put through the same
 * setter as any user value (so a bad default fails the first test run); the file key, the
 * environment variable and the flag are spelled from the name by spell(); usage is printed
 * from it; hv_config_free frees its string rows.  The only per-type code is valid().
 *
 * Where the file is (`config`) is itself a setting that the environment or a flag gives,
 * yet the file must lose against both.  So argv and envp are first parsed into lists of
 * (setting, value, name as written), which catches unknown names and --help before anything
 * is read; then the lists are applied twice, filtered: first the settings the file cannot
 * hold (config), then, after the file, the others.  Switches (--check-config, --help) take no
 * value and no other source can hold them, so they are set as soon as they are parsed.
 */
#include "config.h"
#include "db/db.h"
#include "oci/oci.h"

#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

typedef enum {
    T_STRING,
    T_INT,
    T_LEVEL,
    T_URL,
    T_DB_URL,
    T_LISTEN,
    T_SWITCH,
    T_BOOL,
    T_STORAGE,
    T_KEY
} setting_type;

/* The sources a setting may come from. */
enum { FROM_FILE = 1, FROM_ENV = 2, FROM_FLAG = 4, FROM_ALL = 7 };

typedef struct setting {
    const char *name;  /* file key; HAVEN_<NAME>; --<name with '_' as '-'> */
    setting_type type; /* the field is char * (strings), int64_t (T_INT) or bool (T_SWITCH,
                          T_BOOL) */
    size_t offset;     /* of the field in hv_config */
    const char *def;   /* the default as a user would write it; NULL: unset */
    int64_t min, max;  /* T_INT only; not negative, as plain decimal has no sign */
    unsigned from;     /* FROM_* */
    const char *alias; /* another flag name, or NULL */
    const char *arg;   /* what the value looks like, for usage */
    bool secret;       /* its value is never shown */
    const char *help;
} setting;

#define KEY_FORM "64 hexadecimal digits (32 random bytes, e.g. from openssl rand -hex 32)"

#define AT(field) offsetof(hv_config, field)
#define STR_(x)   #x
#define STR(x)    STR_(x)

static const setting settings[] = {
    {.name = "config",
     .type = T_STRING,
     .offset = AT(config_file),
     .from = FROM_ENV | FROM_FLAG,
     .arg = "FILE",
     .help = "YAML file to read the other settings from, as described above."},
    {.name = "listen",
     .type = T_LISTEN,
     .offset = AT(listen),
     .def = "127.0.0.1:5000",
     .from = FROM_ALL,
     .arg = "ADDR:PORT",
     .help = "Address and port to serve on. Port 0 picks any free port; an IPv6 address goes "
             "in brackets ([::]:5000)."},
    {.name = "data_dir",
     .type = T_STRING,
     .offset = AT(data_dir),
     .def = "./data",
     .from = FROM_ALL,
     .alias = "data",
     .arg = "DIR",
     .help = "Directory that holds the database and the blobs."},
    {.name = "database_url",
     .type = T_DB_URL,
     .offset = AT(database_url),
     .from = FROM_ALL,
     .arg = "URL",
     .secret = true,
     .help = "PostgreSQL database for the metadata, as postgres://USER[:PASSWORD]@HOST[:PORT]/DB"
             "[?sslmode=require...] (libpq's URL; a password is never logged). When unset the "
             "metadata is a SQLite file in data_dir."},
    {.name = "database_max_open_conns",
     .type = T_INT,
     .offset = AT(database_max_open_conns),
     .def = "64",
     .min = 1,
     .max = 4096,
     .from = FROM_ALL,
     .arg = "N",
     .help = "Database connections the server opens at most, 1 to 4096; a request that finds "
             "them all in use waits up to 30 seconds for one."},
    {.name = "database_max_idle_conns",
     .type = T_INT,
     .offset = AT(database_max_idle_conns),
     .def = "64",
     .min = 0,
     .max = 4096,
     .from = FROM_ALL,
     .arg = "N",
     .help = "Unused database connections kept open for the next requests, 0 to 4096; more are "
             "closed when they are returned."},
    {.name = "database_conn_max_lifetime",
     .type = T_INT,
     .offset = AT(database_conn_max_lifetime),
     .def = "0",
     .min = 0,
     .max = 86400 * 365,
     .from = FROM_ALL,
     .arg = "SECONDS",
     .help = "Seconds a database connection is used before it is closed and replaced (0: no "
             "limit); lets a pooler or failover move connections."},
    {.name = "secret_key",
     .type = T_KEY,
     .offset = AT(secret_key),
     .from = FROM_ALL,
     .arg = "HEX",
     .secret = true,
     .help = "32 random bytes as 64 hex digits (openssl rand -hex 32), the same on every node: "
             "the key the secrets kept in the database (the token signing key) are encrypted "
             "under. Required with database_url; when unset otherwise, one is generated into "
             "data_dir/secret.key on first start."},
    {.name = "admin_password",
     .type = T_STRING,
     .offset = AT(admin_password),
     .from = FROM_ALL,
     .arg = "PASSWORD",
     .secret = true,
     .help = "Password of the admin user, set on first start; when unset one is generated and "
             "printed once. Prefer the file or the environment: command lines are visible to "
             "other users."},
    {.name = "log_level",
     .type = T_LEVEL,
     .offset = AT(log_level),
     .def = "info",
     .from = FROM_ALL,
     .arg = "LEVEL",
     .help = "Least severe log lines written: debug, info, warn or error."},
    {.name = "external_url",
     .type = T_URL,
     .offset = AT(external_url),
     .from = FROM_ALL,
     .arg = "URL",
     .help = "http:// or https:// URL at which clients reach the registry (behind a proxy); "
             "when unset it is derived from the listen address."},
    {.name = "max_connections",
     .type = T_INT,
     .offset = AT(max_connections),
     .def = "1024",
     .min = 8,
     .max = 65536,
     .from = FROM_ALL,
     .arg = "N",
     .help = "Connections served at once, 8 to 65536; each has its own thread while it is "
             "open, and more wait in the listen queue."},
    {.name = "idle_timeout",
     .type = T_INT,
     .offset = AT(idle_timeout),
     .def = "30",
     .min = 1,
     .max = 3600,
     .from = FROM_ALL,
     .arg = "SECONDS",
     .help = "Seconds a connection may stay silent (no request, or a body that stopped "
             "arriving) before it is closed, 1 to 3600."},
    {.name = "upload_ttl",
     .type = T_INT,
     .offset = AT(upload_ttl),
     .def = "86400",
     .min = 1,
     .max = 31536000,
     .from = FROM_ALL,
     .arg = "SECONDS",
     .help = "Seconds an unfinished upload may sit idle before it is purged, 1 to 31536000."},
    {.name = "max_manifest",
     .type = T_INT,
     .offset = AT(max_manifest),
     .def = "4194304",
     .min = 1024,
     .max = HV_OCI_MANIFEST_MAX, /* what the manifest parser reads at most */
     .from = FROM_ALL,
     .arg = "BYTES",
     .help = "Largest manifest accepted, in bytes, 1024 to " STR(HV_OCI_MANIFEST_MAX) "."},
    {.name = "blob_cache_size",
     .type = T_INT,
     .offset = AT(blob_cache_size),
     .def = "67108864",
     .min = 0,
     .max = 68719476736,
     .from = FROM_ALL,
     .arg = "BYTES",
     .help = "Memory kept for copies of small blobs (manifests, configs; 4 MiB at most each) "
             "read from the storage, the least recently used dropped first; 0 keeps none. "
             "Blobs never change, so copies stay right on every node."},
    {.name = "storage",
     .type = T_STORAGE,
     .offset = AT(storage),
     .def = "fs",
     .from = FROM_ALL,
     .arg = "fs|s3",
     .help = "Where blobs are kept: fs, the blobs folder of data_dir; s3, a bucket of an "
             "S3-compatible object store (the s3_* settings), which several havend nodes can "
             "share."},
    {.name = "s3_bucket",
     .type = T_STRING,
     .offset = AT(s3_bucket),
     .from = FROM_ALL,
     .arg = "NAME",
     .help = "storage s3: the bucket, which must exist."},
    {.name = "s3_region",
     .type = T_STRING,
     .offset = AT(s3_region),
     .def = "us-east-1",
     .from = FROM_ALL,
     .arg = "REGION",
     .help = "storage s3: the bucket's region, signed into every request."},
    {.name = "s3_endpoint",
     .type = T_URL,
     .offset = AT(s3_endpoint),
     .from = FROM_ALL,
     .arg = "URL",
     .help = "storage s3: http(s)://host[:port] of an S3-compatible server (MinIO, Ceph, "
             "s3rver, …); when unset, AWS's https://s3.<region>.amazonaws.com."},
    {.name = "s3_root",
     .type = T_STRING,
     .offset = AT(s3_root),
     .from = FROM_ALL,
     .arg = "PREFIX",
     .help = "storage s3: a key prefix under which everything is kept (one bucket can then "
             "hold several registries); when unset, the bucket's top."},
    {.name = "s3_path_style",
     .type = T_BOOL,
     .offset = AT(s3_path_style),
     .def = "false",
     .from = FROM_ALL,
     .arg = "BOOL",
     .help = "storage s3: address the bucket as endpoint/bucket/key (most S3-compatible "
             "servers) rather than bucket.endpoint/key (AWS)."},
    {.name = "s3_access_key",
     .type = T_STRING,
     .offset = AT(s3_access_key),
     .from = FROM_ALL,
     .arg = "KEY",
     .help = "storage s3: the access key id; when unset, AWS_ACCESS_KEY_ID."},
    {.name = "s3_secret_key",
     .type = T_STRING,
     .offset = AT(s3_secret_key),
     .from = FROM_ALL,
     .arg = "SECRET",
     .secret = true,
     .help = "storage s3: the secret access key; when unset, AWS_SECRET_ACCESS_KEY. Prefer "
             "the file or the environment: command lines are visible to other users."},
    {.name = "s3_redirect",
     .type = T_BOOL,
     .offset = AT(s3_redirect),
     .def = "false",
     .from = FROM_ALL,
     .arg = "BOOL",
     .help = "storage s3: answer a blob download with 307 to a presigned URL of the object, "
             "so that the bytes go from the store to the client directly (the client must be "
             "able to reach the store)."},
    {.name = "s3_copy_max",
     .type = T_INT,
     .offset = AT(s3_copy_max),
     .def = "5368709120",
     .min = 5 << 20,
     .max = 5368709120,
     .from = FROM_ALL,
     .arg = "BYTES",
     .help = "storage s3: the largest blob placed with one server-side copy (CopyObject); a "
             "larger one is copied in parts of this size (UploadPartCopy). S3's limit, the "
             "default, is 5 GiB; lower it for a server whose limit is lower (the tests do, to "
             "copy in parts without 5 GiB blobs)."},
    {.name = "job_workers",
     .type = T_INT,
     .offset = AT(job_workers),
     .def = "0",
     .min = 0,
     .max = 1024,
     .from = FROM_ALL,
     .arg = "N",
     .help = "Threads that run background jobs (garbage collection, ...) on this node, 1 to "
             "1024; 0 (the default) means two per CPU."},
    {.name = "job_poll_interval",
     .type = T_INT,
     .offset = AT(job_poll_interval),
     .def = "1000",
     .min = 10,
     .max = 60000,
     .from = FROM_ALL,
     .arg = "MS",
     .help = "Milliseconds between two looks of idle workers and the scheduler at the "
             "database (jobs enqueued on this node start at once), 10 to 60000."},
    {.name = "job_lease",
     .type = T_INT,
     .offset = AT(job_lease),
     .def = "30",
     .min = 1,
     .max = 3600,
     .from = FROM_ALL,
     .arg = "SECONDS",
     .help = "Seconds a running job's claim lasts without renewal (renewed three times per "
             "lease): a job of a node that died runs again on another this long after, 1 to "
             "3600."},
    {.name = "gc_grace_period",
     .type = T_INT,
     .offset = AT(gc_grace_period),
     .def = "7200",
     .min = 0,
     .max = 31536000,
     .from = FROM_ALL,
     .arg = "SECONDS",
     .help = "Seconds garbage collection keeps an unreferenced blob after it was last "
             "uploaded or linked (a push uploads blobs before the manifest naming them), 0 to "
             "31536000."},
    {.name = "audit_log_forward_endpoint",
     .type = T_STRING,
     .offset = AT(audit_log_forward_endpoint),
     .from = FROM_ALL,
     .arg = "HOST:PORT",
     .help = "Sets Harbor's configuration audit_log_forward_endpoint at start: every audit "
             "entry also goes to this syslog endpoint over TCP (RFC 5424, octet counting); "
             "empty: none.  Unset: the value set through /configurations stays."},
    {.name = "vulndb_url",
     .type = T_STRING,
     .offset = AT(vulndb_url),
     .from = FROM_ALL,
     .arg = "URL",
     .help = "Where havend fetches the vulnerability database from (an OSV record or osv.dev's "
             "all.zip): at start, then every vulndb_update_interval; each node updates its own "
             "copy in data_dir.  Unset: only `havend vulndb import` fills it."},
    {.name = "vulndb_update_interval",
     .type = T_INT,
     .offset = AT(vulndb_update_interval),
     .def = "86400",
     .min = 60,
     .max = 31536000,
     .from = FROM_ALL,
     .arg = "SECONDS",
     .help = "Seconds between two updates of the vulnerability database from vulndb_url, 60 to "
             "31536000."},
    {.name = "skip_audit_log_database",
     .type = T_STRING,
     .offset = AT(skip_audit_log_database),
     .from = FROM_ALL,
     .arg = "BOOL",
     .help = "Sets Harbor's configuration skip_audit_log_database at start (true or false): "
             "true, with a forward endpoint, keeps audit entries out of the database.  Unset: "
             "the value set through /configurations stays."},
    {.name = "test_job_kinds",
     .type = T_BOOL,
     .offset = AT(test_job_kinds),
     .def = "false",
     .from = FROM_ALL,
     .arg = "BOOL",
     .help = "For Haven's own tests only: adds the job type HAVEN_TEST_SLEEP, which sleeps, "
             "logs and fails on request."},
    {.name = "check_config",
     .type = T_SWITCH,
     .offset = AT(check_only),
     .from = FROM_FLAG,
     .help = "Load and validate the configuration, report and exit (status 0 when valid)."},
    {.name = "help",
     .type = T_SWITCH,
     .offset = AT(help),
     .from = FROM_FLAG,
     .help = "Print this help and exit."},
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

/* One value given by the environment or a flag, before it is applied. */
typedef struct given {
    const setting *s;
    const char *value;  /* borrowed from argv or envp */
    const char *origin; /* the name as written ("--data", "HAVEN_DATA_DIR"), origin_len long */
    int origin_len;
} given;

static void *field(hv_config *c, const setting *s) {
    return (char *)c + s->offset;
}

/* Writes name as spelled in a source: "data_dir", "HAVEN_DATA_DIR" or "--data-dir". */
static void spell(char *out, size_t n, const char *name, unsigned from) {
    const char *prefix = from == FROM_ENV ? "HAVEN_" : from == FROM_FLAG ? "--" : "";
    size_t i = 0;

    for (; *prefix && i + 1 < n; prefix++)
        out[i++] = *prefix;
    for (; *name && i + 1 < n; name++) {
        char ch = *name;
        if (from == FROM_ENV)
            ch = (char)toupper((unsigned char)ch);
        else if (from == FROM_FLAG && ch == '_')
            ch = '-';
        out[i++] = ch;
    }
    out[i] = '\0';
}

/* The setting spelled s[0..n) in a source (a flag may also be an alias), or NULL. */
static const setting *lookup(const char *s, size_t n, unsigned from) {
    char buf[64];

    for (size_t i = 0; i < NSETTINGS; i++) {
        const char *names[] = {settings[i].name, from == FROM_FLAG ? settings[i].alias : NULL};
        for (size_t j = 0; j < 2 && names[j]; j++) {
            spell(buf, sizeof(buf), names[j], from);
            if (strlen(buf) == n && memcmp(buf, s, n) == 0)
                return &settings[i];
        }
    }
    return NULL;
}

/* Appends to buf[0..n) at *len, keeping it terminated when it is full. */
static void append(char *buf, size_t n, size_t *len, const char *text) {
    int k = snprintf(buf + *len, n - *len, "%s", text);

    *len = *len + (size_t)k < n ? *len + (size_t)k : n - 1;
}

/* "listen, data_dir, …" as spelled in a source, for the message about an unknown name. */
static void known(char *buf, size_t n, unsigned from) {
    char w[64];
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (!(settings[i].from & from))
            continue;
        spell(w, sizeof(w), settings[i].name, from);
        append(buf, n, &len, len ? ", " : "");
        append(buf, n, &len, w);
    }
}

/* "--config or HAVEN_CONFIG": where a setting may be given. */
static void where(char *buf, size_t n, const setting *s) {
    static const unsigned order[] = {FROM_FLAG, FROM_ENV, FROM_FILE};
    char w[64];
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < 3; i++) {
        if (!(s->from & order[i]))
            continue;
        spell(w, sizeof(w), s->name, order[i]);
        append(buf, n, &len, len ? " or " : "");
        append(buf, n, &len, w);
        if (order[i] == FROM_FILE)
            append(buf, n, &len, " in the config file");
    }
}

/* What a setting accepts, for error messages. */
static const char *expect(char *buf, size_t n, const setting *s) {
    switch (s->type) {
    case T_INT:
        snprintf(buf, n, "a whole number from %lld to %lld", (long long)s->min, (long long)s->max);
        return buf;
    case T_LEVEL:
        return "one of debug, info, warn, error";
    case T_DB_URL:
        return "a postgres:// or postgresql:// URL, e.g. "
               "postgres://haven@db.example.com:5432/haven?sslmode=require";
    case T_URL:
        return "an http:// or https:// URL with a host and no query or fragment, e.g. "
               "https://registry.example.com";
    case T_LISTEN:
        return "ADDR:PORT with a port from 0 to 65535, e.g. 0.0.0.0:5000 or [::]:5000";
    case T_STRING:
        return "a non-empty string";
    case T_SWITCH:
        return "no value";
    case T_BOOL:
        return "true or false";
    case T_STORAGE:
        return "fs or s3";
    case T_KEY:
        return KEY_FORM;
    }
    assert(0);
    return "";
}

/* ADDR:PORT, ADDR a host name, a dotted IPv4 address or a bracketed IPv6 address. */
static bool valid_listen(const char *v) {
    const char *colon = strrchr(v, ':');
    char host[INET6_ADDRSTRLEN + 1];
    unsigned char addr[16];
    bool dotted = true;
    uint64_t port;
    size_t n;

    if (!colon || !hv_parse_u64(colon + 1, strlen(colon + 1), &port) || port > 65535)
        return false;
    n = (size_t)(colon - v);
    if (v[0] == '[') {
        if (n < 3 || v[n - 1] != ']' || n - 2 >= sizeof(host))
            return false;
        memcpy(host, v + 1, n - 2);
        host[n - 2] = '\0';
        return inet_pton(AF_INET6, host, addr) == 1;
    }
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (!isalnum(ch) && ch != '.' && ch != '-')
            return false;
        if (!isdigit(ch) && ch != '.')
            dotted = false;
    }
    if (!dotted)
        return true;
    if (n >= sizeof(host))
        return false;
    memcpy(host, v, n);
    host[n] = '\0';
    return inet_pton(AF_INET, host, addr) == 1;
}

/* http(s)://HOST[:PORT][/PATH]; no credentials, query or fragment, nothing unprintable. */
static bool valid_url(const char *v) {
    const char *p;
    size_t host;

    if (strncasecmp(v, "http://", 7) == 0)
        p = v + 7;
    else if (strncasecmp(v, "https://", 8) == 0)
        p = v + 8;
    else
        return false;
    host = strcspn(p, "/");
    if (host == 0)
        return false;
    for (size_t i = 0; i < host; i++) {
        if (!isalnum((unsigned char)p[i]) && !strchr(".-:[]", p[i]))
            return false;
    }
    for (p += host; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f || *p == '?' || *p == '#')
            return false;
    }
    return true;
}

/* true, false and YAML's other spellings of them; -1 for anything else. */
static int parse_bool(const char *v) {
    static const char *const yes[] = {"true", "yes", "on", "1"}, *const no[] = {"false", "no",
                                                                                "off", "0"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return 1;
        if (strcasecmp(v, no[i]) == 0)
            return 0;
    }
    return -1;
}

/* The type validators.  *num receives the value of a T_INT (and of a T_BOOL, 0 or 1). */
static bool valid(const setting *s, const char *v, int64_t *num) {
    uint64_t u;
    int level;

    switch (s->type) {
    case T_INT:
        if (!hv_parse_u64(v, strlen(v), &u) || u < (uint64_t)s->min || u > (uint64_t)s->max)
            return false;
        *num = (int64_t)u;
        return true;
    case T_LEVEL:
        level = hv_log_level_parse(v);
        return level >= 0 && level < HV_LOG_OFF;
    case T_URL:
        return valid_url(v);
    case T_DB_URL:
        return hv_db_is_url(v) && !strpbrk(v, " \t\r\n");
    case T_LISTEN:
        return valid_listen(v);
    case T_STRING:
        return true;
    case T_BOOL:
        *num = parse_bool(v);
        return *num >= 0;
    case T_STORAGE:
        return strcmp(v, "fs") == 0 || strcmp(v, "s3") == 0;
    case T_KEY:
        return strlen(v) == 64 && strspn(v, "0123456789abcdefABCDEF") == 64;
    case T_SWITCH:
        break;
    }
    return false;
}

/*
 * Validates v and stores it in its field.  v NULL or empty unsets a setting whose default is
 * unset and is an error for the others.  origin[0..origin_len) says where v came from.
 */
static hv_err set(hv_config *c, hv_ctx *ctx, const setting *s, const char *v, const char *origin,
                  int origin_len) {
    char buf[96];
    int64_t num = 0;
    char **str;

    assert(s->type != T_SWITCH);
    assert(s->def || (s->type != T_INT && s->type != T_BOOL)); /* only a string may be unset */
    if (v && !*v)
        v = NULL;
    if (!v && s->def)
        return HV_FAIL(ctx, HV_E_CONFIG, "%.*s: %s is empty; it must be %s", origin_len, origin,
                       s->name, expect(buf, sizeof(buf), s));
    if (v && !valid(s, v, &num)) {
        if (s->secret)
            return HV_FAIL(ctx, HV_E_CONFIG, "%.*s: %s must be %s", origin_len, origin, s->name,
                           expect(buf, sizeof(buf), s));
        return HV_FAIL(ctx, HV_E_CONFIG, "%.*s: %s must be %s, got \"%s\"", origin_len, origin,
                       s->name, expect(buf, sizeof(buf), s), v);
    }
    if (s->type == T_INT) {
        *(int64_t *)field(c, s) = num;
        return HV_OK;
    }
    if (s->type == T_BOOL) {
        *(bool *)field(c, s) = num != 0;
        return HV_OK;
    }
    str = field(c, s);
    free(*str);
    *str = v ? hv_strdup(v) : NULL;
    return HV_OK;
}

/* A setting named in a source (FROM_*) that cannot hold it. */
static hv_err not_here(hv_ctx *ctx, const char *origin, int origin_len, const setting *s,
                       unsigned from) {
    const char *there = from == FROM_FILE  ? "in the config file"
                        : from == FROM_ENV ? "in the environment"
                                           : "as a flag";
    char buf[160];

    where(buf, sizeof(buf), s);
    return HV_FAIL(ctx, HV_E_CONFIG, "%.*s: %s cannot be set %s; use %s", origin_len, origin,
                   s->name, there, buf);
}

/*
 * Parses argv into out (room for argc entries) and sets the switches in c.  After an error it
 * only goes on looking for switches, so that a later --help is still honoured; returns the
 * first error.
 */
static hv_err parse_flags(given *out, size_t *n, hv_config *c, hv_ctx *ctx, int argc, char **argv) {
    hv_err rc = HV_OK;
    char buf[96];

    *n = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *eq = strchr(a, '='), *value = NULL;
        int len = eq ? (int)(eq - a) : (int)strlen(a);
        bool is_flag = strncmp(a, "--", 2) == 0 && len > 2;
        const setting *s = is_flag ? lookup(a, (size_t)len, FROM_FLAG) : NULL;
        bool allowed = s && (s->from & FROM_FLAG);

        if (allowed && s->type == T_SWITCH && !eq) {
            *(bool *)field(c, s) = true;
            continue;
        }
        if (eq)
            value = eq + 1;
        else if (s && s->type != T_SWITCH && i + 1 < argc)
            value = argv[++i];
        if (rc)
            continue;
        if (!is_flag)
            rc = HV_FAIL(ctx, HV_E_CONFIG,
                         "unexpected argument \"%s\": havend takes only options; see havend "
                         "--help",
                         a);
        else if (!s) /* the name only: a mistyped --admin-password=… must not echo it */
            rc = HV_FAIL(ctx, HV_E_CONFIG, "unknown option %.*s; see havend --help", len, a);
        else if (!allowed)
            rc = not_here(ctx, a, len, s, FROM_FLAG);
        else if (s->type == T_SWITCH)
            rc = HV_FAIL(ctx, HV_E_CONFIG, "%.*s takes no value", len, a);
        else if (!value)
            rc = HV_FAIL(ctx, HV_E_CONFIG, "%.*s needs a value: %s", len, a,
                         expect(buf, sizeof(buf), s));
        else
            out[(*n)++] = (given){s, value, a, len};
    }
    return rc;
}

/* Parses the HAVEN_* entries of envp into out (room for one per entry). */
static hv_err parse_env(given *out, size_t *n, hv_ctx *ctx, char **envp) {
    char buf[256];

    *n = 0;
    for (char **e = envp; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        const setting *s;
        int len;

        if (!hv_str_has_prefix(*e, "HAVEN_") || !eq)
            continue;
        len = (int)(eq - *e);
        s = lookup(*e, (size_t)len, FROM_ENV);
        if (!s) {
            known(buf, sizeof(buf), FROM_ENV);
            return HV_FAIL(ctx, HV_E_CONFIG,
                           "unknown environment variable %.*s; havend knows %s (unset the "
                           "variable or correct its name)",
                           len, *e, buf);
        }
        if (!(s->from & FROM_ENV))
            return not_here(ctx, *e, len, s, FROM_ENV);
        out[(*n)++] = (given){s, eq + 1, *e, len};
    }
    return HV_OK;
}

/* Applies the values of a list that belong to the file's settings (or, if !file, the others). */
static hv_err apply(hv_config *c, hv_ctx *ctx, const given *g, size_t n, bool file) {
    hv_err rc;

    for (size_t i = 0; i < n; i++) {
        if (!(g[i].s->from & FROM_FILE) == file)
            continue;
        rc = set(c, ctx, g[i].s, g[i].value, g[i].origin, g[i].origin_len);
        if (rc)
            return rc;
    }
    return HV_OK;
}

/* ---------------------------------------------------------------- the YAML file */

static void yaml_oom(void) {
    fputs("havend: out of memory\n", stderr);
    abort();
}

static hv_err yaml_fail(hv_ctx *ctx, const yaml_parser_t *p, const char *path) {
    if (p->error == YAML_MEMORY_ERROR)
        yaml_oom();
    if (p->error == YAML_READER_ERROR)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "config file %s: cannot read it as YAML text: %s (byte %zu)", path,
                       p->problem ? p->problem : "unknown error", p->problem_offset);
    if (p->context)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "config file %s line %zu: malformed YAML: %s (%s, line %zu)", path,
                       p->problem_mark.line + 1, p->problem ? p->problem : "error", p->context,
                       p->context_mark.line + 1);
    return HV_FAIL(ctx, HV_E_CONFIG, "config file %s line %zu: malformed YAML: %s", path,
                   p->problem_mark.line + 1, p->problem ? p->problem : "error");
}

/* A plain `~`, `null` or nothing: YAML's null. */
static bool is_null(const yaml_event_t *ev) {
    static const char *nulls[] = {"", "~", "null", "Null", "NULL"};
    const char *v = (const char *)ev->data.scalar.value;

    if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
        if (strcmp(v, nulls[i]) == 0)
            return true;
    }
    return false;
}

/*
 * Reads a flat mapping of setting names to scalars.  Events come as: stream start, document
 * start, mapping start, (key scalar, value scalar)*, mapping end, document end, stream end;
 * anything else is rejected at the line it starts on.  An empty file (or an empty document)
 * sets nothing.
 */
static hv_err load_file(hv_config *c, hv_ctx *ctx, const char *path) {
    enum { BEFORE, IN_MAP, AFTER } state = BEFORE;
    size_t first_line[NSETTINGS] = {0};
    const setting *key = NULL; /* a key read, waiting for its value */
    char origin[512], buf[256];
    yaml_parser_t p;
    yaml_event_t ev;
    bool have_parser = false, have_event = false, done = false;
    int documents = 0;
    struct stat st;
    FILE *f = NULL;
    hv_err rc = HV_OK;

    f = fopen(path, "rb");
    if (!f) {
        rc = HV_FAIL(ctx, HV_E_CONFIG, "cannot read the config file %s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        rc = HV_FAIL(ctx, HV_E_CONFIG, "config file %s is a directory; name a YAML file", path);
        goto out;
    }
    if (!yaml_parser_initialize(&p))
        yaml_oom();
    have_parser = true;
    yaml_parser_set_input_file(&p, f);

    while (!done) {
        const char *v = NULL;
        size_t line;

        if (!yaml_parser_parse(&p, &ev)) {
            rc = yaml_fail(ctx, &p, path);
            goto out;
        }
        have_event = true;
        line = ev.start_mark.line + 1;
        snprintf(origin, sizeof(origin), "config file %s line %zu", path, line);

        switch (ev.type) {
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
        case YAML_SEQUENCE_END_EVENT: /* never: a list is rejected where it starts */
        case YAML_NO_EVENT:
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1)
                rc = HV_FAIL(ctx, HV_E_CONFIG,
                             "%s: a second YAML document; the config file holds one mapping",
                             origin);
            break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (state == BEFORE && ev.type == YAML_MAPPING_START_EVENT)
                state = IN_MAP;
            else if (key)
                rc = HV_FAIL(ctx, HV_E_CONFIG,
                             "%s: %s must be a single value, not a nested %s; write it as "
                             "\"%s: VALUE\"",
                             origin, key->name,
                             ev.type == YAML_MAPPING_START_EVENT ? "mapping" : "list", key->name);
            else
                rc = HV_FAIL(ctx, HV_E_CONFIG,
                             "%s: expected a flat mapping of setting names to values, e.g. "
                             "\"listen: 0.0.0.0:5000\"",
                             origin);
            break;
        case YAML_ALIAS_EVENT:
            rc = HV_FAIL(ctx, HV_E_CONFIG, "%s: %s: YAML aliases are not accepted; write the value",
                         origin, key ? key->name : "key");
            break;
        case YAML_MAPPING_END_EVENT:
            state = AFTER;
            break;
        case YAML_SCALAR_EVENT:
            v = (const char *)ev.data.scalar.value;
            if (strlen(v) != ev.data.scalar.length) {
                rc = HV_FAIL(ctx, HV_E_CONFIG, "%s: %s contains a NUL character", origin,
                             key ? key->name : "a key");
            } else if (state == BEFORE && is_null(&ev)) {
                state = AFTER; /* an empty document */
            } else if (state == BEFORE) {
                rc = HV_FAIL(ctx, HV_E_CONFIG,
                             "%s: expected a mapping of setting names to values, e.g. "
                             "\"listen: 0.0.0.0:5000\"",
                             origin);
            } else if (key) {
                rc = set(c, ctx, key, is_null(&ev) ? NULL : v, origin, (int)strlen(origin));
                key = NULL;
            } else if (!(key = lookup(v, strlen(v), FROM_FILE))) {
                known(buf, sizeof(buf), FROM_FILE);
                rc = HV_FAIL(ctx, HV_E_CONFIG, "%s: unknown setting \"%s\"; the settings are %s",
                             origin, v, buf);
            } else if (!(key->from & FROM_FILE)) {
                rc = not_here(ctx, origin, (int)strlen(origin), key, FROM_FILE);
            } else if (first_line[key - settings]) {
                rc = HV_FAIL(ctx, HV_E_CONFIG, "%s: %s is set twice (first on line %zu)", origin,
                             key->name, first_line[key - settings]);
            } else {
                first_line[key - settings] = line;
            }
            break;
        }
        yaml_event_delete(&ev);
        have_event = false;
        if (rc)
            goto out;
    }

out:
    if (have_event)
        yaml_event_delete(&ev);
    if (have_parser)
        yaml_parser_delete(&p);
    if (f)
        fclose(f);
    return rc;
}

/* ---------------------------------------------------------------- storage */

/* The value of variable name in envp, or NULL. */
static const char *env_value(char **envp, const char *name) {
    size_t n = strlen(name);

    for (char **e = envp; e && *e; e++) {
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    }
    return NULL;
}

hv_err hv_config_s3_check(hv_config *c, hv_ctx *ctx, char **envp) {
    const char *v;

    v = env_value(envp, "AWS_ACCESS_KEY_ID");
    if (!c->s3_access_key && v && *v)
        c->s3_access_key = hv_strdup(v);
    v = env_value(envp, "AWS_SECRET_ACCESS_KEY");
    if (!c->s3_secret_key && v && *v)
        c->s3_secret_key = hv_strdup(v);
    if (!c->s3_bucket)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "the blobs go to s3 but s3_bucket is not set; name the bucket");
    if (!c->s3_access_key || !c->s3_secret_key)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "the blobs go to s3 but its credentials are missing: set s3_access_key and "
                       "s3_secret_key, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    return HV_OK;
}

/* storage s3 cannot do without its bucket and credentials. */
static hv_err check_storage(hv_config *c, hv_ctx *ctx, char **envp) {
    if (strcmp(c->storage, "s3") != 0)
        return HV_OK;
    return hv_config_s3_check(c, ctx, envp);
}

/* Nodes on one database share its secrets, so they must share the key that opens them:
 * a generated one would differ from node to node. */
static hv_err check_secret_key(const hv_config *c, hv_ctx *ctx) {
    if (c->database_url && !c->secret_key)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "database_url is set but secret_key is not: give every node of the "
                       "database the same secret_key (HAVEN_SECRET_KEY), " KEY_FORM);
    return HV_OK;
}

/* ---------------------------------------------------------------- public */

hv_err hv_config_load(hv_config *out, hv_ctx *ctx, int argc, char **argv, char **envp) {
    given *flags = NULL, *env = NULL;
    size_t nflags = 0, nenv = 0, nenvp = 0;
    hv_err rc;

    memset(out, 0, sizeof(*out));
    flags = hv_calloc((size_t)(argc > 0 ? argc : 1), sizeof(*flags));
    rc = parse_flags(flags, &nflags, out, ctx, argc, argv);
    if (out->help) {
        if (rc)
            hv_error_clear(ctx);
        rc = HV_OK;
        *out = (hv_config){.help = true};
        goto out;
    }
    if (rc)
        goto out;
    for (char **e = envp; e && *e; e++)
        nenvp++;
    env = hv_calloc(nenvp + 1, sizeof(*env));
    rc = parse_env(env, &nenv, ctx, envp);
    if (rc)
        goto out;

    for (size_t i = 0; i < NSETTINGS; i++) {
        if (settings[i].type == T_SWITCH)
            continue;
        rc = set(out, ctx, &settings[i], settings[i].def, "default", 7);
        assert(rc == HV_OK);
    }
    rc = apply(out, ctx, env, nenv, false);
    if (!rc)
        rc = apply(out, ctx, flags, nflags, false);
    if (!rc && out->config_file)
        rc = load_file(out, ctx, out->config_file);
    if (!rc)
        rc = apply(out, ctx, env, nenv, true);
    if (!rc)
        rc = apply(out, ctx, flags, nflags, true);
    if (!rc)
        rc = check_storage(out, ctx, envp);
    if (!rc)
        rc = check_secret_key(out, ctx);

out:
    if (rc)
        hv_config_free(out);
    free(flags);
    free(env);
    return rc;
}

void hv_config_free(hv_config *c) {
    if (!c)
        return;
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (settings[i].type != T_INT && settings[i].type != T_SWITCH && settings[i].type != T_BOOL)
            free(*(char **)field(c, &settings[i]));
    }
    memset(c, 0, sizeof(*c));
}

/* Writes text indented, wrapped at 100 columns. */
static void wrap(FILE *f, const char *text, int indent) {
    int col = 0;

    while (*text) {
        size_t word = strcspn(text, " ");
        if (col > indent && col + 1 + (int)word > 100) {
            fputc('\n', f);
            col = 0;
        }
        if (col == 0)
            col = fprintf(f, "%*s", indent, "");
        else
            col += fprintf(f, " ");
        col += fprintf(f, "%.*s", (int)word, text);
        text += word;
        text += strspn(text, " ");
    }
    fputc('\n', f);
}

void hv_config_usage(FILE *f) {
    char flag[64], alias[64], env[64], head[192], tail[192];

    fputs("Usage: havend [OPTION]...\n"
          "Runs Haven, a container registry.\n\n",
          f);
    wrap(f,
         "Each setting is taken from, the later winning: its default; the YAML file named by "
         "--config or HAVEN_CONFIG, a flat mapping of the names below written with '_' "
         "(\"data_dir: /var/lib/haven\"); the environment variable HAVEN_<NAME>; the flag "
         "--<name> VALUE or --<name>=VALUE. An empty value unsets a setting that has no default.",
         0);
    fputc('\n', f);
    for (size_t i = 0; i < NSETTINGS; i++) {
        const setting *s = &settings[i];

        spell(flag, sizeof(flag), s->name, FROM_FLAG);
        spell(alias, sizeof(alias), s->alias ? s->alias : "", FROM_FLAG);
        spell(env, sizeof(env), s->name, FROM_ENV);
        snprintf(head, sizeof(head), "%s%s%s%s%s", flag, s->alias ? ", " : "",
                 s->alias ? alias : "", s->arg ? " " : "", s->arg ? s->arg : "");
        snprintf(tail, sizeof(tail), "%s%s%s", s->from & FROM_ENV ? env : "",
                 s->def && !s->secret ? (s->from & FROM_ENV ? ", default " : "default ") : "",
                 s->def && !s->secret ? s->def : "");
        if (*tail)
            fprintf(f, "  %-34s %s\n", head, tail);
        else
            fprintf(f, "  %s\n", head);
        wrap(f, s->help, 6);
    }
}
