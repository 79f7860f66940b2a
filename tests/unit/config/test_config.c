/*
 * Unit tests of havend's configuration: defaults, the precedence file < environment < flag,
 * and that every kind of mistake is refused with HV_E_CONFIG and a message that names the
 * setting.  havend's sources are not in havencore, so the .c file is included.
 */
#include "../../../src/havend/config.c"

#include "test.h"

#include <unistd.h>

#define ARGV(...) ((char *[]){"havend", __VA_ARGS__, NULL})
#define ENVP(...) ((char *[]){__VA_ARGS__, NULL})
static char *no_args[] = {"havend", NULL};
static char *no_env[] = {NULL};

#define KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* A temporary file holding text; the caller unlinks and frees the path. */
static char *tmp_file(const char *text) {
    char path[] = "/tmp/haven_config_XXXXXX";
    int fd = mkstemp(path);
    size_t len = strlen(text);

    CHECK(fd >= 0);
    CHECK(write(fd, text, len) == (ssize_t)len);
    close(fd);
    return hv_strdup(path);
}

static hv_err load(hv_config *c, hv_ctx *ctx, char **argv, char **envp) {
    int argc = 0;

    while (argv[argc])
        argc++;
    memset(ctx, 0, sizeof(*ctx));
    return hv_config_load(c, ctx, argc, argv, envp);
}

/* Loading fails with HV_E_CONFIG, a message holding want (and want2), and a zeroed config. */
static void fails_at(int line, char **argv, char **envp, const char *want, const char *want2) {
    hv_config c;
    hv_ctx ctx;
    hv_err rc = load(&c, &ctx, argv, envp);
    bool ok = rc == HV_E_CONFIG && strstr(ctx.err.message, want) &&
              (!want2 || strstr(ctx.err.message, want2)) && !c.listen && !c.data_dir;

    CHECK(ok);
    if (!ok)
        fprintf(stderr, "  line %d: rc %d, message \"%s\", want \"%s\" and \"%s\"\n", line, rc,
                ctx.err.message, want, want2 ? want2 : "");
    hv_config_free(&c);
}

#define FAILS(argv, envp, want)         fails_at(__LINE__, (argv), (envp), (want), NULL)
#define FAILS2(argv, envp, want, want2) fails_at(__LINE__, (argv), (envp), (want), (want2))

/* Loading the file holding text fails with a message holding want and want2. */
static void file_fails_at(int line, const char *text, const char *want, const char *want2) {
    char *path = tmp_file(text);

    fails_at(line, ARGV("--config", path), no_env, want, want2);
    unlink(path);
    free(path);
}

#define FILE_FAILS(text, want, want2) file_fails_at(__LINE__, (text), (want), (want2))

static void test_defaults(void) {
    hv_config c;
    hv_ctx ctx;

    CHECK_INT(load(&c, &ctx, no_args, no_env), HV_OK);
    CHECK_STR(c.listen, "127.0.0.1:5000");
    CHECK_STR(c.data_dir, "./data");
    CHECK_STR(c.admin_password, NULL);
    CHECK_STR(c.log_level, "info");
    CHECK_STR(c.external_url, NULL);
    CHECK_INT(c.max_connections, 1024);
    CHECK_INT(c.idle_timeout, 30);
    CHECK_INT(c.upload_ttl, 86400);
    CHECK_INT(c.max_manifest, 4194304);
    CHECK_STR(c.config_file, NULL);
    CHECK_STR(c.database_url, NULL);
    CHECK_INT(c.database_max_open_conns, 64);
    CHECK_INT(c.database_max_idle_conns, 64);
    CHECK_INT(c.database_conn_max_lifetime, 0);
    CHECK(!c.check_only);
    CHECK(!c.help);
    hv_config_free(&c);
    hv_config_free(&c); /* a zeroed config */
    hv_config_free(NULL);

    /* environment variables of other programs are none of havend's business */
    CHECK_INT(load(&c, &ctx, no_args, ENVP("PATH=/bin", "HAVENX=1", "HAVEN=2")), HV_OK);
    hv_config_free(&c);
    CHECK_INT(load(&c, &ctx, no_args, NULL), HV_OK);
    hv_config_free(&c);
    CHECK_INT(hv_config_load(&c, &ctx, 0, NULL, NULL), HV_OK);
    CHECK_STR(c.listen, "127.0.0.1:5000");
    hv_config_free(&c);
}

static void test_precedence(void) {
    char *path = tmp_file("# haven\n"
                          "listen: 0.0.0.0:5001\n"
                          "data_dir: /var/lib/haven\n"
                          "log_level: debug\n"
                          "max_connections: 64\n"
                          "idle_timeout: 5\n"
                          "upload_ttl: 60\n"
                          "max_manifest: \"2048\"\n"
                          "external_url: https://registry.example.com:8443/prefix\n"
                          "admin_password: 'from file'\n");
    char *env_config = hv_printf("HAVEN_CONFIG=%s", path);
    hv_config c;
    hv_ctx ctx;

    /* the file alone, named by the environment */
    CHECK_INT(load(&c, &ctx, no_args, ENVP(env_config)), HV_OK);
    CHECK_STR(c.config_file, path);
    CHECK_STR(c.listen, "0.0.0.0:5001");
    CHECK_STR(c.data_dir, "/var/lib/haven");
    CHECK_STR(c.log_level, "debug");
    CHECK_INT(c.max_connections, 64);
    CHECK_INT(c.idle_timeout, 5);
    CHECK_INT(c.upload_ttl, 60);
    CHECK_INT(c.max_manifest, 2048);
    CHECK_STR(c.external_url, "https://registry.example.com:8443/prefix");
    CHECK_STR(c.admin_password, "from file");
    hv_config_free(&c);

    /* the environment beats the file, a flag beats both */
    CHECK_INT(load(&c, &ctx,
                   ARGV("--log-level", "warn", "--data", "/srv/haven", "--max-connections=128"),
                   ENVP(env_config, "HAVEN_LOG_LEVEL=error", "HAVEN_MAX_CONNECTIONS=32",
                        "HAVEN_UPLOAD_TTL=120", "HAVEN_EXTERNAL_URL=")),
              HV_OK);
    CHECK_STR(c.listen, "0.0.0.0:5001"); /* file */
    CHECK_INT(c.upload_ttl, 120);        /* environment over file */
    CHECK_STR(c.external_url, NULL);     /* an empty value unsets */
    CHECK_STR(c.log_level, "warn");      /* flag over environment */
    CHECK_INT(c.max_connections, 128);   /* --name=VALUE */
    CHECK_STR(c.data_dir, "/srv/haven"); /* --data is --data-dir */
    CHECK_STR(c.admin_password, "from file");
    hv_config_free(&c);

    /* --config beats HAVEN_CONFIG; the generic spellings work too */
    CHECK_INT(load(&c, &ctx, ARGV("--config", path, "--data-dir=/d", "--upload-ttl", "7"),
                   ENVP("HAVEN_CONFIG=/nonexistent/haven.yaml")),
              HV_OK);
    CHECK_STR(c.config_file, path);
    CHECK_STR(c.data_dir, "/d");
    CHECK_INT(c.upload_ttl, 7);
    hv_config_free(&c);

    /* an empty HAVEN_CONFIG means no file */
    CHECK_INT(load(&c, &ctx, no_args, ENVP("HAVEN_CONFIG=")), HV_OK);
    CHECK_STR(c.config_file, NULL);
    CHECK_STR(c.listen, "127.0.0.1:5000");
    hv_config_free(&c);

    unlink(path);
    free(path);
    free(env_config);
}

static void test_file_forms(void) {
    static const char *const ok[] = {
        "",                             /* empty file */
        "# only a comment\n",           /* empty document */
        "---\nlisten: '[::]:0'\n...\n", /* explicit document markers, IPv6, port 0 */
        "{listen: 'localhost:80', max_connections: 65536}\n", /* flow mapping */
        "external_url: ~\nadmin_password:\n",                 /* nulls unset */
    };
    hv_config c;
    hv_ctx ctx;

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char *path = tmp_file(ok[i]);
        hv_err rc = load(&c, &ctx, ARGV("--config", path), no_env);

        CHECK_INT(rc, HV_OK);
        if (rc)
            fprintf(stderr, "  file \"%s\": %s\n", ok[i], ctx.err.message);
        hv_config_free(&c);
        unlink(path);
        free(path);
    }
}

static void test_unknown_names(void) {
    FILE_FAILS("listen: 0.0.0.0:5000\nlisen: 0.0.0.0:5000\n", "lisen", "line 2");
    FILE_FAILS("config: /etc/other.yaml\n", "cannot be set in the config file",
               "--config or HAVEN_CONFIG");
    FILE_FAILS("check_config: true\n", "check_config", "--check-config");
    FILE_FAILS("listen: a:1\nlisten: b:2\n", "listen", "set twice");

    FAILS(no_args, ENVP("HAVEN_BOGUS=1"), "HAVEN_BOGUS");
    FAILS2(no_args, ENVP("HAVEN_LOG_LEVEL=info", "HAVEN_data_dir=/x"), "HAVEN_data_dir",
           "HAVEN_DATA_DIR");
    FAILS2(no_args, ENVP("HAVEN_CHECK_CONFIG=1"), "check_config", "--check-config");

    FAILS(ARGV("--bogus"), no_env, "--bogus");
    FAILS(ARGV("--data_dir", "/x"), no_env, "--data_dir");
    FAILS(ARGV("-h"), no_env, "\"-h\"");
    FAILS(ARGV("--"), no_env, "\"--\"");
    FAILS(ARGV("serve"), no_env, "\"serve\"");
    FAILS2(ARGV("--check-config=yes"), no_env, "--check-config", "no value");
    FAILS2(ARGV("--data", "/x", "--listen"), no_env, "--listen", "ADDR:PORT");
}

static void test_bad_values(void) {
    static const char *const bad_ints[] = {"abc", "-1",  "+1",   " 1", "1 ",
                                           "1.5", "1e3", "0x10", "",   "99999999999999999999"};

    for (size_t i = 0; i < sizeof(bad_ints) / sizeof(bad_ints[0]); i++) {
        FAILS2(ARGV("--max-connections", (char *)bad_ints[i]), no_env, "max_connections",
               "8 to 65536");
    }
    FAILS2(ARGV("--max-connections=65537"), no_env, "max_connections", "8 to 65536");
    FAILS2(no_args, ENVP("HAVEN_IDLE_TIMEOUT=0"), "idle_timeout", "1 to 3600");
    FAILS2(no_args, ENVP("HAVEN_UPLOAD_TTL=0"), "upload_ttl", "1 to 31536000");
    FAILS2(no_args, ENVP("HAVEN_UPLOAD_TTL=31536001"), "upload_ttl", "HAVEN_UPLOAD_TTL");
    FAILS2(ARGV("--max-manifest", "1023"), no_env, "max_manifest", "1024 to 16777216");
    FAILS2(ARGV("--max-manifest", "16777217"), no_env, "max_manifest", "16777217");
    FILE_FAILS("max_connections: 70000\n", "max_connections", "line 1");
    FILE_FAILS("max_connections: four\n", "max_connections", "\"four\"");
    FILE_FAILS("max_connections:\n", "max_connections", "is empty");

    static const char *const bad_listen[] = {"localhost", "1.2.3.4:65536", "::1:5000",     ":5000",
                                             "[::1]:x",   "999.1.1.1:80",  "[nothost]:80", "a b:80",
                                             "host:",     "host:-1"};
    for (size_t i = 0; i < sizeof(bad_listen) / sizeof(bad_listen[0]); i++) {
        FAILS2(ARGV("--listen", (char *)bad_listen[i]), no_env, "listen", "ADDR:PORT");
    }
    FAILS2(no_args, ENVP("HAVEN_LISTEN="), "listen", "is empty");

    static const char *const bad_url[] = {
        "ftp://x",     "registry.example.com",       "http://",        "https:///path",
        "https://a b", "https://r.example.com/?q=1", "https://u:p@r/", "http://r/#x"};
    for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++) {
        FAILS2(ARGV("--external-url", (char *)bad_url[i]), no_env, "external_url", "http://");
    }

    FAILS2(ARGV("--log-level", "verbose"), no_env, "log_level", "debug, info, warn, error");
    FAILS(ARGV("--log-level", "INFO"), no_env, "log_level");
    FAILS(ARGV("--log-level", "off"), no_env, "log_level");
    FAILS2(ARGV("--data", ""), no_env, "data_dir", "is empty");

    /* good values of the same forms */
    hv_config c;
    hv_ctx ctx;
    CHECK_INT(load(&c, &ctx,
                   ARGV("--listen", "[::1]:65535", "--external-url", "HTTP://Registry-1.example",
                        "--max-connections", "65536", "--upload-ttl", "31536000", "--max-manifest",
                        "1024"),
                   no_env),
              HV_OK);
    CHECK_STR(c.listen, "[::1]:65535");
    CHECK_INT(c.max_connections, 65536);
    hv_config_free(&c);
}

static void test_file_errors(void) {
    char dir[] = "/tmp/haven_config_dir_XXXXXX";

    FILE_FAILS("listen: [0.0.0.0, 5000]\n", "listen", "nested list");
    FILE_FAILS("listen:\n  addr: 0.0.0.0\n  port: 5000\n", "listen", "nested mapping");
    FILE_FAILS("- listen\n", "config file", "flat mapping");
    FILE_FAILS("just text\n", "config file", "mapping");
    FILE_FAILS("a: &x 1\nlisten: *x\n", "a", "line 1"); /* the unknown key comes first */
    FILE_FAILS("listen: &x 0.0.0.0:1\ndata_dir: *x\n", "data_dir", "aliases");
    FILE_FAILS("listen: 0.0.0.0:1\n---\nmax_connections: 100\n", "config file",
               "second YAML document");
    FILE_FAILS("listen: 0.0.0.0:1\nmax_connections: [100\n", "max_connections", "nested list");
    FILE_FAILS("listen: 0.0.0.0:1\nmax_connections: 100\n- data_dir\n", "malformed YAML", "line 3");
    FILE_FAILS("listen: 0.0.0.0:1\n\tmax_connections: 100\n", "config file", "malformed YAML");
    FILE_FAILS("listen: \"0.0.0.0:1\n", "config file", "malformed YAML");
    FILE_FAILS("data_dir: \"a\\0b\"\n", "data_dir", "NUL");
    FILE_FAILS("listen: \xff\n", "config file", "YAML");

    FAILS2(ARGV("--config", "/nonexistent/haven.yaml"), no_env, "config file",
           "/nonexistent/haven.yaml");
    FAILS2(no_args, ENVP("HAVEN_CONFIG=/nonexistent/env.yaml"), "config file",
           "No such file or directory");
    CHECK(mkdtemp(dir) != NULL);
    FAILS2(ARGV("--config", dir), no_env, "config file", "directory");
    rmdir(dir);
}

static void test_secrets_not_echoed(void) {
    hv_config c;
    hv_ctx ctx;
    FILE *f;
    char *text = NULL;
    size_t len = 0;

    /* a mistyped flag with its value glued on */
    CHECK_INT(load(&c, &ctx, ARGV("--admin-pasword=hunter2"), no_env), HV_E_CONFIG);
    CHECK(strstr(ctx.err.message, "--admin-pasword") != NULL);
    CHECK(strstr(ctx.err.message, "hunter2") == NULL);
    hv_config_free(&c);

    CHECK_INT(load(&c, &ctx, ARGV("--admin-password", "hunter2"), no_env), HV_OK);
    CHECK_STR(c.admin_password, "hunter2");
    hv_config_free(&c);

    f = open_memstream(&text, &len);
    hv_config_usage(f);
    fclose(f);
    CHECK(strstr(text, "hunter2") == NULL);
    free(text);
}

/* database_url names PostgreSQL or is unset; its value (a password, perhaps) is never shown;
 * the pool's settings are bounded. */
static void test_database(void) {
    hv_config c;
    hv_ctx ctx;

    CHECK_INT(load(&c, &ctx, no_args,
                   ENVP("HAVEN_DATABASE_URL=postgres://haven:s3cret@db:5432/haven?sslmode=require",
                        "HAVEN_SECRET_KEY=" KEY, "HAVEN_DATABASE_MAX_OPEN_CONNS=200",
                        "HAVEN_DATABASE_MAX_IDLE_CONNS=0", "HAVEN_DATABASE_CONN_MAX_LIFETIME=300")),
              HV_OK);
    CHECK_STR(c.database_url, "postgres://haven:s3cret@db:5432/haven?sslmode=require");
    CHECK_INT(c.database_max_open_conns, 200);
    CHECK_INT(c.database_max_idle_conns, 0);
    CHECK_INT(c.database_conn_max_lifetime, 300);
    hv_config_free(&c);
    CHECK_INT(load(&c, &ctx, ARGV("--database-url", "mysql://haven:s3cret@db/haven"), no_env),
              HV_E_CONFIG);
    CHECK(strstr(ctx.err.message, "database_url") && strstr(ctx.err.message, "postgres://"));
    CHECK(strstr(ctx.err.message, "s3cret") == NULL);
    hv_config_free(&c);
    FAILS(ARGV("--database-max-open-conns", "0"), no_env, "database_max_open_conns");
    /* nodes on one database need one secret_key: required, and never echoed when wrong */
    FAILS2(ARGV("--database-url", "postgres://db/haven"), no_env, "secret_key is not",
           "HAVEN_SECRET_KEY");
    FAILS2(ARGV("--database-url", "postgres://db/haven", "--secret-key", KEY "0"), no_env,
           "--secret-key: secret_key must be 64 hexadecimal digits", "openssl rand -hex 32");
    CHECK_INT(load(&c, &ctx,
                   ARGV("--secret-key", "0123456789abcdefghij0123456789abcdef0123456789ab"
                                        "cdef0123456789ab"),
                   no_env),
              HV_E_CONFIG);
    CHECK(strstr(ctx.err.message, "ghij") == NULL);
    hv_config_free(&c);
    /* embedded: optional (generated into data_dir), taken when given */
    CHECK_INT(load(&c, &ctx, no_args, ENVP("HAVEN_SECRET_KEY=" KEY)), HV_OK);
    CHECK_STR(c.secret_key, KEY);
    hv_config_free(&c);
    CHECK_INT(load(&c, &ctx, no_args, no_env), HV_OK);
    CHECK_STR(c.secret_key, NULL);
    hv_config_free(&c);
    FAILS(ARGV("--database-conn-max-lifetime", "-1"), no_env, "database_conn_max_lifetime");
}

static void test_help_and_check(void) {
    hv_config c;
    hv_ctx ctx;
    FILE *f;
    char *text = NULL;
    size_t len = 0;

    /* --help wins over a bad flag, a bad variable and a missing file */
    CHECK_INT(load(&c, &ctx, ARGV("--bogus", "--config", "/nonexistent", "--help"),
                   ENVP("HAVEN_BOGUS=1")),
              HV_OK);
    CHECK(c.help);
    CHECK_STR(c.listen, NULL);
    CHECK_STR(ctx.err.message, "");
    hv_config_free(&c);

    CHECK_INT(load(&c, &ctx, ARGV("--check-config", "--idle-timeout", "3"), no_env), HV_OK);
    CHECK(c.check_only);
    CHECK(!c.help);
    CHECK_INT(c.idle_timeout, 3);
    hv_config_free(&c);

    /* --check-config reports the same errors */
    FAILS(ARGV("--check-config", "--idle-timeout", "-3"), no_env, "idle_timeout");

    f = open_memstream(&text, &len);
    hv_config_usage(f);
    fclose(f);
    CHECK(strstr(text, "Usage: havend") != NULL);
    CHECK(strstr(text, "--listen ADDR:PORT") != NULL);
    CHECK(strstr(text, "--data-dir, --data DIR") != NULL);
    CHECK(strstr(text, "HAVEN_UPLOAD_TTL, default 86400") != NULL);
    CHECK(strstr(text, "HAVEN_CONFIG") != NULL);
    CHECK(strstr(text, "--check-config") != NULL);
    CHECK(strstr(text, "--help") != NULL);
    for (char *line = text; line; line = strchr(line + 1, '\n')) {
        size_t n = strcspn(line + 1, "\n");
        CHECK(n <= 100);
    }
    free(text);
}

/* storage: fs by default; s3 needs a bucket and credentials, which AWS's variables can give;
 * booleans take YAML's spellings. */
static void test_storage(void) {
    hv_config c;
    hv_ctx ctx;
    char *path;

    CHECK_INT(load(&c, &ctx, no_args, no_env), HV_OK);
    CHECK_STR(c.storage, "fs");
    CHECK_STR(c.s3_region, "us-east-1");
    CHECK(!c.s3_path_style && !c.s3_redirect);
    hv_config_free(&c);

    CHECK_INT(
        load(&c, &ctx, ARGV("--storage", "s3", "--s3-bucket", "b", "--s3-path-style", "yes"),
             ENVP("AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=shh", "HAVEN_S3_REDIRECT=true")),
        HV_OK);
    CHECK_STR(c.storage, "s3");
    CHECK_STR(c.s3_bucket, "b");
    CHECK_STR(c.s3_access_key, "AKID");
    CHECK_STR(c.s3_secret_key, "shh");
    CHECK(c.s3_path_style && c.s3_redirect);
    hv_config_free(&c);

    /* the settings win over AWS's variables */
    path = tmp_file("storage: s3\ns3_bucket: b\ns3_access_key: mine\ns3_secret_key: s\n"
                    "s3_endpoint: http://127.0.0.1:9000\ns3_root: reg/one\n");
    CHECK_INT(load(&c, &ctx, ARGV("--config", path), ENVP("AWS_ACCESS_KEY_ID=AKID")), HV_OK);
    CHECK_STR(c.s3_access_key, "mine");
    CHECK_STR(c.s3_endpoint, "http://127.0.0.1:9000");
    CHECK_STR(c.s3_root, "reg/one");
    hv_config_free(&c);
    unlink(path);
    free(path);

    FAILS2(ARGV("--storage", "nfs"), no_env, "storage", "fs or s3");
    FAILS2(ARGV("--s3-redirect", "maybe"), no_env, "s3_redirect", "true or false");
    FAILS(ARGV("--storage", "s3"), ENVP("AWS_ACCESS_KEY_ID=a", "AWS_SECRET_ACCESS_KEY=b"),
          "s3_bucket is not set");
    FAILS(ARGV("--storage", "s3", "--s3-bucket", "b"), ENVP("AWS_ACCESS_KEY_ID=a"),
          "credentials are missing");
    FAILS2(ARGV("--s3-endpoint", "ftp://x"), no_env, "s3_endpoint", "http:// or https://");
}

TEST_MAIN(test_storage, test_defaults, test_precedence, test_file_forms, test_unknown_names,
          test_bad_values, test_file_errors, test_secrets_not_echoed, test_database,
          test_help_and_check)
