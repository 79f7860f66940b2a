/*
 * scan's internal contract between the layer walker and the analyzers that find packages
 * in files.  Not part of the module's interface.
 *
 * The walker (walk.c) reads each layer once as a stream, applies no whiteouts itself but
 * records them, and hands every regular file that some analyzer wants to that analyzer,
 * whole in memory (at most the analyzer's max_size bytes; a larger file is skipped and
 * noted in the layer's inventory).  An analyzer is a pure function of a path and bytes: it
 * appends what it finds to a package list, allocating in ctx's arena, and never keeps a
 * pointer to data.  The layer's packages are then merged over the image's layers (a later
 * layer's copy of a file replaces the earlier file's packages wholesale; whiteouts remove
 * them).
 */
#ifndef HV_SCAN_INT_H
#define HV_SCAN_INT_H

#include "scan/scan.h"

/* A growing list of packages (arena memory). */
typedef struct hv_scan_pkgs {
    hv_scan_pkg *v;
    size_t n, cap;
} hv_scan_pkgs;

/* Appends a copy of *p (its strings copied into ctx's arena; path, layer and purl may be
 * left NULL for the walker to fill in). */
void hv_scan_pkgs_add(hv_scan_pkgs *l, hv_ctx *ctx, const hv_scan_pkg *p);

typedef struct hv_scan_analyzer {
    const char *name; /* "dpkg", "npm-package", "go-binary", … */
    uint64_t max_size;
    /* Whether the analyzer wants the file at path (no leading '/', as in the layer, cleaned)
     * with mode bits mode and size bytes; decided before its bytes are read. */
    bool (*wants)(const char *path, uint32_t mode, uint64_t size);
    /* Finds the packages in the file.  HV_E_BAD_REQUEST (with the reason) when the file is
     * not what its name says; the walker reports that and goes on with the next file. */
    hv_err (*parse)(hv_scan_pkgs *out, hv_ctx *ctx, const char *path, const unsigned char *data,
                    size_t len);
} hv_scan_analyzer;

/* The analyzers, each list ending with a zeroed entry: the operating system's package
 * databases (dpkg, apk, rpm) and the language ecosystems' files. */
extern const hv_scan_analyzer hv_scan_os_analyzers[];
extern const hv_scan_analyzer hv_scan_lang_analyzers[];

#endif
