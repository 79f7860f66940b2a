/*
 * What the language analyzers' unit test and fuzz targets share: a stand-in for
 * hv_scan_pkgs_add, finding an analyzer of hv_scan_lang_analyzers by name, and a fuzz
 * target's run of one.
 *
 * hv_scan_pkgs_add belongs to the inventory part of scan (inventory.c), built on another
 * branch; this weak copy lets the analyzers be tested on their own.  It behaves as the
 * contract in scan_int.h says, so the library's definition may replace it.
 */
#ifndef HV_SCAN_LANG_TEST_H
#define HV_SCAN_LANG_TEST_H

#include "scan/scan_int.h"

#include <stdlib.h>
#include <string.h>

__attribute__((weak)) void hv_scan_pkgs_add(hv_scan_pkgs *l, hv_ctx *ctx, const hv_scan_pkg *p);
__attribute__((weak)) void hv_scan_pkgs_add(hv_scan_pkgs *l, hv_ctx *ctx, const hv_scan_pkg *p) {
    hv_scan_pkg *c;

    if (l->cap == 0) {
        l->cap = 8;
        l->v = hv_arena_alloc(ctx->arena, l->cap * sizeof(*l->v));
    }
    l->v = hv_arena_grow(ctx->arena, l->v, &l->cap, l->n, sizeof(*l->v));
    c = &l->v[l->n++];
    *c = *p;
    c->name = hv_arena_strdup(ctx->arena, p->name);
    c->version = hv_arena_strdup(ctx->arena, p->version);
    c->src_name = hv_arena_strdup(ctx->arena, p->src_name);
    c->src_version = hv_arena_strdup(ctx->arena, p->src_version);
    c->arch = hv_arena_strdup(ctx->arena, p->arch);
    c->license = hv_arena_strdup(ctx->arena, p->license);
    c->purl = hv_arena_strdup(ctx->arena, p->purl);
    c->path = hv_arena_strdup(ctx->arena, p->path);
    c->layer = hv_arena_strdup(ctx->arena, p->layer);
}

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
