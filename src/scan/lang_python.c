/*
 * Python: installed distributions' core metadata (*.dist-info/METADATA, *.egg-info/PKG-INFO,
 * or an *.egg-info file), an email-style header block; and two lock files: poetry.lock (TOML,
 * one [[package]] table a distribution) and Pipfile.lock (JSON, "default" holds the
 * non-development ones with versions as "==1.2").  Names are stored normalised as PEP 503
 * says (hv_scan__lang_add), so "PyYAML" from METADATA and "pyyaml" from a lock file match.
 */
#include "scan/lang_int.h"

#include <ctype.h>
#include <string.h>

HV_SCAN__LANG_WANTS(hv_scan__python_meta_wants) {
    (void)mode;
    (void)size;
    return hv_scan__lang_ends(path, ".dist-info/METADATA") ||
           hv_scan__lang_ends(path, ".egg-info/PKG-INFO") || hv_scan__lang_ends(path, ".egg-info");
}

/* The last part of a trove classifier ("License :: OSI Approved :: MIT License"). */
static const char *last_part(const char *v) {
    v = strrchr(v, ':') + 1;
    while (*v == ' ')
        v++;
    return v;
}

HV_SCAN__LANG_PARSE(hv_scan__python_meta_parse) {
    const char *pos = (const char *)data, *end;
    const char *name = NULL, *version = NULL, *expr = NULL, *license = NULL, *classifier = NULL;
    char *line;

    if (len == 0)
        return HV_OK; /* an empty file lists nothing (and data may be NULL) */
    end = pos + len;
    if (memchr(data, '\0', len))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: not Python metadata (binary data)", path);
    for (line = hv_scan__lang_line(ctx, &pos, end); line && *line;
         line = hv_scan__lang_line(ctx, &pos, end)) {
        const char *k, *v;
        if (!hv_scan__lang_split(line, ':', &k, &v))
            continue;
        if (!strcasecmp(k, "Name"))
            name = v;
        else if (!strcasecmp(k, "Version"))
            version = v;
        else if (!strcasecmp(k, "License-Expression"))
            expr = v;
        else if (!strcasecmp(k, "License"))
            license = v;
        else if (!strcasecmp(k, "Classifier") && hv_str_has_prefix(v, "License :: ") && !classifier)
            classifier = last_part(v);
    }
    /* "License" is free text, often the whole licence: only a short one names it */
    if (license && (!strcmp(license, "UNKNOWN") || strlen(license) > 64))
        license = NULL;
    hv_scan__lang_add(out, ctx, HV_ECO_PYPI, name, version,
                      expr      ? expr
                      : license ? license
                                : classifier,
                      path);
    return HV_OK;
}

HV_SCAN__LANG_WANTS(hv_scan__python_lock_wants) {
    const char *base = hv_scan__lang_base(path);

    (void)mode;
    (void)size;
    return !strcmp(base, "poetry.lock") || !strcmp(base, "Pipfile.lock");
}

/* Pipfile.lock: {"default": {"name": {"version": "==1.2", …}}, "develop": {…}}. */
static hv_err pipfile_lock(hv_scan_pkgs *out, hv_ctx *ctx, const char *path,
                           const unsigned char *data, size_t len) {
    json_t *doc = NULL, *d;
    const char *name;
    hv_err rc;

    rc = hv_scan__lang_json(&doc, ctx, path, data, len);
    if (rc)
        goto out;
    json_object_foreach(json_object_get(doc, "default"), name, d) {
        const char *v = hv_scan__lang_jstr(d, "version");
        if (v && hv_str_has_prefix(v, "=="))
            hv_scan__lang_add(out, ctx, HV_ECO_PYPI, name, v + 2, NULL, path);
    }
out:
    json_decref(doc);
    return rc;
}

HV_SCAN__LANG_PARSE(hv_scan__python_lock_parse) {
    if (!strcmp(hv_scan__lang_base(path), "Pipfile.lock"))
        return pipfile_lock(out, ctx, path, data, len);
    if (len == 0)
        return HV_OK; /* an empty file lists nothing (and data may be NULL) */
    if (memchr(data, '\0', len))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: not a TOML lock file (binary data)", path);
    hv_scan__lang_toml_packages(out, ctx, path, (const char *)data, (const char *)data + len,
                                HV_ECO_PYPI, false);
    return HV_OK;
}
