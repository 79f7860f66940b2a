/*
 * What the language analyzers' unit test and fuzz targets share: a stand-in for
 * hv_scan_pkgs_add, and running one analyzer of hv_scan_lang_analyzers by name.
 *
 * hv_scan_pkgs_add belongs to the inventory part of scan (inventory.c), built on another
 * branch; this weak copy lets the analyzers be tested on their own.  It behaves as the
 * contract in scan_int.h says, so the library's definition may replace it.
 */
#ifndef HV_SCAN_LANG_TEST_H
#define HV_SCAN_LANG_TEST_H

#include "scan/scan_int.h"

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

#endif
