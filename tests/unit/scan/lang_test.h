/*
 * What the language analyzers' unit test and fuzz targets share: finding an analyzer of
 * hv_scan_lang_analyzers by name, and a fuzz target's run of one.
 */
#ifndef HV_SCAN_LANG_TEST_H
#define HV_SCAN_LANG_TEST_H

#include "scan/scan_int.h"

#include <stdlib.h>
#include <string.h>

/* The analyzer called name. */
static inline const hv_scan_analyzer *lang_analyzer(const char *name) {
    for (const hv_scan_analyzer *a = hv_scan_lang_analyzers; a->name; a++)
        if (!strcmp(a->name, name))
            return a;
    return NULL;
}

/* A fuzz target's run of analyzer over data as the file at path: it must succeed with
 * packages that all have a name, a version and a purl, or fail with HV_E_BAD_REQUEST and
 * say so; anything else aborts. */
static inline void lang_fuzz_one(const char *analyzer, const char *path, const uint8_t *data,
                                 size_t size) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    const hv_scan_analyzer *a = lang_analyzer(analyzer);
    hv_scan_pkgs pkgs = {0};
    hv_err rc;

    if (!a)
        abort();
    rc = a->parse(&pkgs, &ctx, path, data, size);
    if (rc != HV_OK && (rc != HV_E_BAD_REQUEST || ctx.err.code != rc))
        abort();
    for (size_t i = 0; i < pkgs.n; i++)
        if (!*pkgs.v[i].name || !*pkgs.v[i].version || !hv_str_has_prefix(pkgs.v[i].purl, "pkg:"))
            abort();
    hv_arena_free(ctx.arena);
}

#endif
