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

/* ---------------------------------------------------------------- layers (scanos) */

/* What one layer's files gave: the packages of each file the analyzers read (path set),
 * the whiteouts and opaque directories it records, the small files that name the
 * operating system (os.c), and what was skipped and why.  Arena memory. */
typedef struct hv_scan_file {
    const char *path;
    const char *text; /* release files: their text; NULL for a whiteout */
} hv_scan_file;

typedef struct hv_scan_strs {
    const char **v;
    size_t n, cap;
} hv_scan_strs;

/* A file an analyzer read, found something or not: its packages are pkgs.v[first..+n). */
typedef struct hv_scan_found {
    const char *path;
    size_t first, n;
} hv_scan_found;

typedef struct hv_scan_layer {
    hv_scan_pkgs pkgs; /* in file order; pkg.path is the file's path unless the analyzer
                        * named another (a jar in a jar) */
    hv_scan_found *found;
    size_t n_found, cap_found;
    hv_scan_strs whiteouts;
    hv_scan_strs opaque;
    hv_scan_file *os_files;
    size_t n_os_files, cap_os_files;
    hv_scan_strs notes; /* "path: why it was skipped" */
} hv_scan_layer;

/* hv_arena_grow for an array that may still be empty (*cap 0, v NULL). */
void *hv_scan__grow(hv_ctx *ctx, void *v, size_t *cap, size_t count, size_t elem);
void hv_scan__strs_add(hv_scan_strs *l, hv_ctx *ctx, const char *s);

/* What the walker refuses: a layer past one of these is a scan error naming it. */
typedef struct hv_scan_limits {
    uint64_t entries; /* entries in one layer */
    uint64_t bytes;   /* decompressed bytes of one layer */
    uint64_t ratio;   /* decompressed / compressed, once past ratio_after bytes */
    uint64_t ratio_after;
    size_t path; /* bytes of one path */
} hv_scan_limits;

extern const hv_scan_limits hv_scan__default_limits;

/* Reads a layer (tar, gzip or zstd) of len bytes at data / through reader r into *out.
 * digest names the layer in errors.  HV_E_BAD_REQUEST for a corrupt layer or one past a
 * limit (the message names the layer and why); the blob store's errors as they are. */
hv_err hv_scan__walk_memory(hv_scan_layer *out, hv_ctx *ctx, const char *digest, const void *data,
                            size_t len, const hv_scan_limits *lim);
struct hv_blob_reader;
hv_err hv_scan__walk_blob(hv_scan_layer *out, hv_ctx *ctx, const char *digest,
                          struct hv_blob_reader *r, const hv_scan_limits *lim);

/* The OS package databases' analyzers (pkg_*.c), listed in hv_scan_os_analyzers (os.c). */
bool hv_scan__dpkg_wants(const char *path, uint32_t mode, uint64_t size);
hv_err hv_scan__dpkg_parse(hv_scan_pkgs *out, hv_ctx *ctx, const char *path,
                           const unsigned char *data, size_t len);
bool hv_scan__apk_wants(const char *path, uint32_t mode, uint64_t size);
hv_err hv_scan__apk_parse(hv_scan_pkgs *out, hv_ctx *ctx, const char *path,
                          const unsigned char *data, size_t len);
bool hv_scan__rpm_wants(const char *path, uint32_t mode, uint64_t size);
hv_err hv_scan__rpm_parse(hv_scan_pkgs *out, hv_ctx *ctx, const char *path,
                          const unsigned char *data, size_t len);

/* Whether path is one of the files that name the operating system (os.c). */
bool hv_scan__os_file(const char *path);
/* The operating system that the merged release files name (os.c): fills family, version
 * and name of inv. */
void hv_scan__os_detect(hv_scan_inventory *inv, hv_ctx *ctx, const hv_scan_file *files, size_t n);
/* Sets purl of an OS package (and its ecosystem for Ubuntu) once the OS is known. */
void hv_scan__os_purl(hv_scan_pkg *p, hv_ctx *ctx, const hv_scan_inventory *inv);

/* A package as JSON (the stored layers' and the inventory's shape). */
json_t *hv_scan__pkg_json(const hv_scan_pkg *p);

/* A layer's inventory as stored (JSON text) and back. */
char *hv_scan__layer_json(hv_ctx *ctx, const hv_scan_layer *l);
hv_err hv_scan__layer_parse(hv_scan_layer *out, hv_ctx *ctx, const char *digest, const char *json);

/* The image's inventory: layers merged in order (whiteouts applied, a later copy of a file
 * replacing the earlier one's packages), the OS detected, each package's layer the first
 * whose files hold it. */
void hv_scan__merge(hv_scan_inventory *out, hv_ctx *ctx, const hv_scan_layer *layers,
                    const char *const *digests, size_t n);

#endif
