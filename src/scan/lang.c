/*
 * The language ecosystems' analyzers and what they share.  Each analyzer is a pure function
 * of a file's path and bytes (scan_int.h); the formats live one ecosystem a file:
 *   lang_npm.c     node_modules/…/package.json, package-lock.json v1-v3
 *   lang_python.c  *.dist-info/METADATA, *.egg-info, poetry.lock, Pipfile.lock
 *   lang_binary.c  executable ELF files: Go's buildinfo, cargo-auditable's .dep-v0
 *   lang_java.c    *.jar, *.war, *.ear with their nested jars
 *   lang_lock.c    Cargo.lock, gemspecs, Gemfile.lock, composer, *.deps.json
 * Development-only dependencies that a lock file marks as such (npm "dev", Pipfile
 * "develop", composer "packages-dev") are left out: they are not in the running image.
 */
#include "scan/lang_int.h"

#include <ctype.h>
#include <string.h>

/* clang-format off */
const hv_scan_analyzer hv_scan_lang_analyzers[] = {
    {"npm-package",  1u << 20,   hv_scan__npm_pkg_wants,      hv_scan__npm_pkg_parse},
    {"npm-lock",     64u << 20,  hv_scan__npm_lock_wants,     hv_scan__npm_lock_parse},
    {"python-dist",  4u << 20,   hv_scan__python_meta_wants,  hv_scan__python_meta_parse},
    {"python-lock",  32u << 20,  hv_scan__python_lock_wants,  hv_scan__python_lock_parse},
    {"binary",       256u << 20, hv_scan__binary_wants,       hv_scan__binary_parse},
    {"jar",          256u << 20, hv_scan__jar_wants,          hv_scan__jar_parse},
    {"cargo-lock",   16u << 20,  hv_scan__cargo_lock_wants,   hv_scan__cargo_lock_parse},
    {"gemspec",      1u << 20,   hv_scan__gemspec_wants,      hv_scan__gemspec_parse},
    {"gemfile-lock", 16u << 20,  hv_scan__gemfile_lock_wants, hv_scan__gemfile_lock_parse},
    {"composer",     32u << 20,  hv_scan__composer_wants,     hv_scan__composer_parse},
    {"dotnet-deps",  32u << 20,  hv_scan__dotnet_wants,       hv_scan__dotnet_parse},
    {0},
};
/* clang-format on */

/* purl's type of the language ecosystems (the purl spec's names). */
static const char *purl_type(hv_scan_eco eco) {
    switch (eco) {
    case HV_ECO_NPM:
        return "npm";
    case HV_ECO_PYPI:
        return "pypi";
    case HV_ECO_GO:
        return "golang";
    case HV_ECO_MAVEN:
        return "maven";
    case HV_ECO_CRATES_IO:
        return "cargo";
    case HV_ECO_RUBYGEMS:
        return "gem";
    case HV_ECO_PACKAGIST:
        return "composer";
    case HV_ECO_NUGET:
        return "nuget";
    default:
        return NULL;
    }
}

/* PEP 503: lower case, each run of '-', '_' and '.' one '-'. */
static char *pep503(hv_ctx *ctx, const char *name) {
    char *s = hv_arena_strdup(ctx->arena, name), *w = s;

    for (const char *r = name; *r; r++) {
        if (*r == '-' || *r == '_' || *r == '.') {
            if (w == s || w[-1] != '-')
                *w++ = '-';
        } else {
            *w++ = (char)tolower((unsigned char)*r);
        }
    }
    *w = '\0';
    return s;
}

/* s percent-encoded as purl wants, keeping '/' (namespace separators) when slash. */
static char *purl_encode(hv_ctx *ctx, const char *s, bool slash) {
    size_t n = strlen(s);
    char *e = hv_arena_alloc(ctx->arena, 3 * n + 1), *w = e;

    for (const unsigned char *r = (const unsigned char *)s; *r; r++) {
        if (isalnum(*r) || *r == '.' || *r == '-' || *r == '_' || *r == '~' ||
            (slash && *r == '/')) {
            *w++ = (char)*r;
        } else {
            *w++ = '%';
            *w++ = "0123456789ABCDEF"[*r >> 4];
            *w++ = "0123456789ABCDEF"[*r & 15];
        }
    }
    *w = '\0';
    return e;
}

void hv_scan__lang_add(hv_scan_pkgs *out, hv_ctx *ctx, hv_scan_eco eco, const char *name,
                       const char *version, const char *license, const char *path) {
    hv_scan_pkg p = {.eco = eco, .path = path};
    char *purl_name;

    if (!name || !*name || !version || !*version)
        return;
    if (eco == HV_ECO_PYPI)
        name = pep503(ctx, name);
    purl_name = hv_arena_strdup(ctx->arena, name);
    if (eco == HV_ECO_MAVEN) {
        char *colon = strchr(purl_name, ':');
        if (colon)
            *colon = '/';
    }
    p.name = name;
    p.version = version;
    p.license = license && *license ? license : NULL;
    p.purl = hv_arena_printf(ctx->arena, "pkg:%s/%s@%s", purl_type(eco),
                             purl_encode(ctx, purl_name, eco != HV_ECO_NUGET),
                             purl_encode(ctx, version, false));
    hv_scan_pkgs_add(out, ctx, &p);
}

void hv_scan__lang_or(hv_buf *b, const char *license) {
    /* a licence past the limit is left out, the list stays whole */
    if (hv_buf_appendf(b, "%s%s", b->len ? " OR " : "", license) != HV_OK)
        return;
}

const char *hv_scan__lang_or_end(hv_buf *b, hv_ctx *ctx) {
    const char *s = b->len ? hv_arena_strndup(ctx->arena, b->data, b->len) : NULL;

    hv_buf_free(b);
    return s;
}

char *hv_scan__lang_line(hv_ctx *ctx, const char **pos, const char *end) {
    const char *s = *pos, *nl;
    size_t n;

    if (s >= end)
        return NULL;
    nl = memchr(s, '\n', (size_t)(end - s));
    n = nl ? (size_t)(nl - s) : (size_t)(end - s);
    *pos = nl ? nl + 1 : end;
    if (n > 0 && s[n - 1] == '\r')
        n--;
    return hv_arena_strndup(ctx->arena, s, n);
}

hv_err hv_scan__lang_json(json_t **out, hv_ctx *ctx, const char *path, const unsigned char *data,
                          size_t len) {
    json_error_t e;

    *out = json_loadb((const char *)data, len, 0, &e);
    if (!*out)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: not JSON (line %d: %s)", path, e.line, e.text);
    return HV_OK;
}

const char *hv_scan__lang_jstr(const json_t *o, const char *key) {
    return json_string_value(json_object_get(o, key));
}

const char *hv_scan__lang_base(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

bool hv_scan__lang_ends(const char *path, const char *suffix) {
    size_t n = strlen(path), m = strlen(suffix);
    return n >= m && memcmp(path + n - m, suffix, m) == 0;
}

bool hv_scan__lang_split(char *line, char sep, const char **key, const char **value) {
    char *at = strchr(line, sep), *k = at;

    if (!at)
        return false;
    while (k > line && (k[-1] == ' ' || k[-1] == '\t'))
        k--;
    *k = '\0';
    for (at++; *at == ' ' || *at == '\t'; at++)
        ;
    *key = line;
    *value = at;
    return true;
}

/* The TOML basic string v ("…", escapes not undone: names and versions have none), or
 * NULL. */
static const char *toml_string(hv_ctx *ctx, const char *v) {
    const char *q = v[0] == '"' ? strchr(v + 1, '"') : NULL;

    return q ? hv_arena_strndup(ctx->arena, v + 1, (size_t)(q - v - 1)) : NULL;
}

void hv_scan__lang_toml_packages(hv_scan_pkgs *out, hv_ctx *ctx, const char *path, const char *pos,
                                 const char *end, hv_scan_eco eco, bool need_source) {
    const char *name = NULL, *version = NULL, *source = NULL;
    bool in_pkg = false;
    char *line;

    for (;;) {
        const char *k, *v;
        line = hv_scan__lang_line(ctx, &pos, end);
        if (!line || line[0] == '[') {
            if (in_pkg && (!need_source || source))
                hv_scan__lang_add(out, ctx, eco, name, version, NULL, path);
            if (!line)
                break;
            in_pkg = !strcmp(line, "[[package]]");
            name = version = source = NULL;
        } else if (in_pkg && hv_scan__lang_split(line, '=', &k, &v)) {
            if (!strcmp(k, "name"))
                name = toml_string(ctx, v);
            else if (!strcmp(k, "version"))
                version = toml_string(ctx, v);
            else if (!strcmp(k, "source"))
                source = toml_string(ctx, v);
        }
    }
}
