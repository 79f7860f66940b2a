/*
 * npm: the package.json of each installed package (node_modules/<name>/ and
 * node_modules/@scope/<name>/, at any depth), and package-lock.json / npm-shrinkwrap.json
 * outside node_modules: v1 lists "dependencies" nested by where they were installed, v2 and
 * v3 list "packages" by their node_modules path.
 */
#include "scan/lang_int.h"

#include <string.h>

/* Whether the n bytes at s are the path component "node_modules". */
static bool is_node_modules(const char *s, size_t n) {
    return n == 12 && memcmp(s, "node_modules", 12) == 0;
}

/* The component of path that ends just before end (a '/' or the string's end), setting
 * *start; false when there is none. */
static bool component_before(const char *path, const char *end, const char **start) {
    const char *s = end;

    if (end <= path)
        return false;
    while (s > path && s[-1] != '/')
        s--;
    *start = s;
    return s < end;
}

HV_SCAN__LANG_WANTS(hv_scan__npm_pkg_wants) {
    const char *pkg, *parent, *grand;
    size_t n = strlen(path);

    (void)mode;
    (void)size;
    if (!hv_scan__lang_ends(path, "/package.json"))
        return false;
    /* node_modules/<pkg>/package.json or node_modules/@scope/<pkg>/package.json */
    if (!component_before(path, path + n - 13, &pkg) || pkg == path)
        return false;
    if (!component_before(path, pkg - 1, &parent))
        return false;
    if (is_node_modules(parent, (size_t)(pkg - 1 - parent)))
        return pkg[0] != '@';
    if (parent[0] != '@' || parent == path || !component_before(path, parent - 1, &grand))
        return false;
    return is_node_modules(grand, (size_t)(parent - 1 - grand));
}

/* The licence of package metadata o: "license" as a string or the old {"type": …} object,
 * or the older "licenses" list of either, joined with " OR ". */
static const char *npm_license(hv_ctx *ctx, const json_t *o) {
    const json_t *l = json_object_get(o, "license"), *v;
    hv_buf acc;
    size_t i;

    if (json_is_string(l))
        return json_string_value(l);
    if (json_is_object(l))
        return hv_scan__lang_jstr(l, "type");
    hv_buf_init(&acc, HV_SCAN__LANG_OR_MAX);
    json_array_foreach(json_object_get(o, "licenses"), i, v) {
        const char *t = json_is_string(v) ? json_string_value(v) : hv_scan__lang_jstr(v, "type");
        if (t)
            hv_scan__lang_or(&acc, t);
    }
    return hv_scan__lang_or_end(&acc, ctx);
}

HV_SCAN__LANG_PARSE(hv_scan__npm_pkg_parse) {
    json_t *doc = NULL;
    hv_err rc;

    rc = hv_scan__lang_json(&doc, ctx, path, data, len);
    if (rc)
        goto out;
    hv_scan__lang_add(out, ctx, HV_ECO_NPM, hv_scan__lang_jstr(doc, "name"),
                      hv_scan__lang_jstr(doc, "version"), npm_license(ctx, doc), path);
out:
    json_decref(doc);
    return rc;
}

HV_SCAN__LANG_WANTS(hv_scan__npm_lock_wants) {
    const char *base = hv_scan__lang_base(path);

    (void)mode;
    (void)size;
    if (strcmp(base, "package-lock.json") != 0 && strcmp(base, "npm-shrinkwrap.json") != 0)
        return false;
    return !hv_str_has_prefix(path, "node_modules/") && !strstr(path, "/node_modules/");
}

/* lockfile v1: {"name": {"version": …, "dev": true, "dependencies": {…}}} nested. */
static void lock_v1(hv_scan_pkgs *out, hv_ctx *ctx, const char *path, const json_t *deps) {
    const char *name;
    json_t *d;

    json_object_foreach((json_t *)deps, name, d) {
        if (json_is_true(json_object_get(d, "dev")))
            continue;
        hv_scan__lang_add(out, ctx, HV_ECO_NPM, name, hv_scan__lang_jstr(d, "version"), NULL, path);
        lock_v1(out, ctx, path, json_object_get(d, "dependencies"));
    }
}

/* lockfile v2 and v3: {"packages": {"node_modules/a/node_modules/@s/b": {…}}}; "" is the
 * project itself, entries outside node_modules are its workspaces, "link" ones point at
 * another entry. */
static void lock_v2(hv_scan_pkgs *out, hv_ctx *ctx, const char *path, const json_t *pkgs) {
    const char *key;
    json_t *p;

    json_object_foreach((json_t *)pkgs, key, p) {
        const char *nm = NULL, *name;

        for (const char *s = strstr(key, "node_modules/"); s; s = strstr(s + 1, "node_modules/"))
            if (s == key || s[-1] == '/')
                nm = s + 13;
        if (!nm || json_is_true(json_object_get(p, "link")) ||
            json_is_true(json_object_get(p, "dev")))
            continue;
        name = hv_scan__lang_jstr(p, "name");
        hv_scan__lang_add(out, ctx, HV_ECO_NPM, name ? name : nm, hv_scan__lang_jstr(p, "version"),
                          npm_license(ctx, p), path);
    }
}

HV_SCAN__LANG_PARSE(hv_scan__npm_lock_parse) {
    json_t *doc = NULL, *pkgs;
    hv_err rc;

    rc = hv_scan__lang_json(&doc, ctx, path, data, len);
    if (rc)
        goto out;
    if (!json_is_object(doc)) {
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: not an npm lock file (no object)", path);
        goto out;
    }
    pkgs = json_object_get(doc, "packages");
    if (json_is_object(pkgs))
        lock_v2(out, ctx, path, pkgs);
    else
        lock_v1(out, ctx, path, json_object_get(doc, "dependencies"));
out:
    json_decref(doc);
    return rc;
}
