/*
 * The smaller formats: Rust's Cargo.lock, Ruby's installed gem specifications
 * (specifications/[default/]<name>.gemspec, the Ruby DSL read line by line, never evaluated) and
 * Gemfile.lock, PHP's composer.lock and vendor/composer/installed.json (composer 1: a list;
 * composer 2: {"packages": […], "dev-package-names": […]}), and .NET's *.deps.json
 * ("libraries" keyed "Name/Version"; those of type "package" come from NuGet).
 */
#include "scan/lang_int.h"

#include <string.h>

HV_SCAN__LANG_WANTS(hv_scan__cargo_lock_wants) {
    (void)mode;
    (void)size;
    return !strcmp(hv_scan__lang_base(path), "Cargo.lock");
}

HV_SCAN__LANG_PARSE(hv_scan__cargo_lock_parse) {
    if (len == 0)
        return HV_OK; /* an empty file lists nothing (and data may be NULL) */
    if (memchr(data, '\0', len))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: not a TOML lock file (binary data)", path);
    hv_scan__lang_toml_packages(out, ctx, path, (const char *)data, (const char *)data + len,
                                HV_ECO_CRATES_IO, true);
    return HV_OK;
}

/* Whether the directory of path, whose last component starts at base, is dir or ends with
 * "/dir". */
static bool in_dir(const char *path, const char *base, const char *dir) {
    size_t n = strlen(dir);
    const char *d = base - 1 - n;

    return (size_t)(base - path) >= n + 1 && !strncmp(d, dir, n) && (d == path || d[-1] == '/');
}

HV_SCAN__LANG_WANTS(hv_scan__gemspec_wants) {
    const char *base = hv_scan__lang_base(path);

    (void)mode;
    (void)size;
    /* installed gems, and the default gems that come with Ruby itself */
    return hv_scan__lang_ends(base, ".gemspec") &&
           (in_dir(path, base, "specifications") || in_dir(path, base, "specifications/default"));
}

/* The quoted strings ("…" or '…') of s, joined with " OR "; NULL when there are none. */
static const char *quoted(hv_ctx *ctx, const char *s) {
    const char *q;
    hv_buf acc;

    hv_buf_init(&acc, HV_SCAN__LANG_OR_MAX);
    for (s = strpbrk(s, "\"'"); s; s = strpbrk(q + 1, "\"'")) {
        q = strchr(s + 1, *s);
        if (!q)
            break;
        hv_scan__lang_or(&acc, hv_arena_strndup(ctx->arena, s + 1, (size_t)(q - s - 1)));
    }
    return hv_scan__lang_or_end(&acc, ctx);
}

HV_SCAN__LANG_PARSE(hv_scan__gemspec_parse) {
    const char *pos = (const char *)data, *end, *name = NULL, *version = NULL;
    const char *license = NULL;
    char *line;

    if (len == 0)
        return HV_OK; /* an empty file lists nothing (and data may be NULL) */
    end = pos + len;
    /* no check for binary data: a stub line lists a gem's extensions separated by NULs */
    for (line = hv_scan__lang_line(ctx, &pos, end); line;
         line = hv_scan__lang_line(ctx, &pos, end)) {
        const char *k, *v, *attr;
        /* `s.name = "rake".freeze`: the attribute after the block variable */
        if (!hv_scan__lang_split(line, '=', &k, &v) || *v == '=')
            continue;
        attr = strchr(k, '.');
        if (!attr)
            continue;
        attr++;
        if (!name && !strcmp(attr, "name"))
            name = quoted(ctx, v);
        else if (!version && !strcmp(attr, "version"))
            version = quoted(ctx, v);
        else if (!license && (!strcmp(attr, "licenses") || !strcmp(attr, "license")))
            license = quoted(ctx, v);
    }
    hv_scan__lang_add(out, ctx, HV_ECO_RUBYGEMS, name, version, license, path);
    return HV_OK;
}

HV_SCAN__LANG_WANTS(hv_scan__gemfile_lock_wants) {
    (void)mode;
    (void)size;
    return !strcmp(hv_scan__lang_base(path), "Gemfile.lock");
}

/* Gemfile.lock: in the GEM section's "  specs:", each gem is "    name (version)" (four
 * spaces; six are its dependencies); a platform gem's version ends "-x86_64-linux". */
HV_SCAN__LANG_PARSE(hv_scan__gemfile_lock_parse) {
    const char *pos = (const char *)data, *end;
    bool in_gem = false;
    char *line;

    if (len == 0)
        return HV_OK; /* an empty file lists nothing (and data may be NULL) */
    end = pos + len;
    if (memchr(data, '\0', len))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: not a Gemfile.lock (binary data)", path);
    for (line = hv_scan__lang_line(ctx, &pos, end); line;
         line = hv_scan__lang_line(ctx, &pos, end)) {
        char *open, *close, *dash;
        if (line[0] != ' ' && line[0] != '\0')
            in_gem = !strcmp(line, "GEM");
        if (!in_gem || strncmp(line, "    ", 4) != 0 || line[4] == ' ')
            continue;
        open = strstr(line, " (");
        close = open ? strchr(open, ')') : NULL;
        if (!close)
            continue;
        *open = *close = '\0';
        dash = strchr(open + 2, '-');
        if (dash)
            *dash = '\0';
        hv_scan__lang_add(out, ctx, HV_ECO_RUBYGEMS, line + 4, open + 2, NULL, path);
    }
    return HV_OK;
}

HV_SCAN__LANG_WANTS(hv_scan__composer_wants) {
    (void)mode;
    (void)size;
    return !strcmp(hv_scan__lang_base(path), "composer.lock") ||
           !strcmp(path, "vendor/composer/installed.json") ||
           hv_scan__lang_ends(path, "/vendor/composer/installed.json");
}

/* Whether name is in the JSON list of strings dev. */
static bool listed(const json_t *dev, const char *name) {
    const json_t *v;
    size_t i;

    json_array_foreach(dev, i, v) {
        if (json_is_string(v) && !strcmp(json_string_value(v), name))
            return true;
    }
    return false;
}

HV_SCAN__LANG_PARSE(hv_scan__composer_parse) {
    json_t *doc = NULL, *pkgs, *dev, *p, *l;
    hv_err rc;
    size_t i, j;

    rc = hv_scan__lang_json(&doc, ctx, path, data, len);
    if (rc)
        goto out;
    pkgs = json_is_array(doc) ? doc : json_object_get(doc, "packages");
    dev = json_object_get(doc, "dev-package-names");
    json_array_foreach(pkgs, i, p) {
        const char *name = hv_scan__lang_jstr(p, "name");
        hv_buf license;
        if (!name || listed(dev, name))
            continue;
        hv_buf_init(&license, HV_SCAN__LANG_OR_MAX);
        json_array_foreach(json_object_get(p, "license"), j, l) {
            if (json_is_string(l))
                hv_scan__lang_or(&license, json_string_value(l));
        }
        hv_scan__lang_add(out, ctx, HV_ECO_PACKAGIST, name, hv_scan__lang_jstr(p, "version"),
                          hv_scan__lang_or_end(&license, ctx), path);
    }
out:
    json_decref(doc);
    return rc;
}

HV_SCAN__LANG_WANTS(hv_scan__dotnet_wants) {
    (void)mode;
    (void)size;
    return hv_scan__lang_ends(path, ".deps.json");
}

HV_SCAN__LANG_PARSE(hv_scan__dotnet_parse) {
    json_t *doc = NULL, *lib;
    const char *key;
    hv_err rc;

    rc = hv_scan__lang_json(&doc, ctx, path, data, len);
    if (rc)
        goto out;
    json_object_foreach(json_object_get(doc, "libraries"), key, lib) {
        const char *type = hv_scan__lang_jstr(lib, "type"), *slash = strrchr(key, '/');
        if (!type || strcmp(type, "package") != 0 || !slash)
            continue;
        hv_scan__lang_add(out, ctx, HV_ECO_NUGET,
                          hv_arena_strndup(ctx->arena, key, (size_t)(slash - key)), slash + 1, NULL,
                          path);
    }
out:
    json_decref(doc);
    return rc;
}
