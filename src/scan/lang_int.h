/*
 * What the language analyzers (lang*.c) share: adding a package with its purl, reading
 * small text formats line by line, and the analyzer functions the table in lang.c lists.
 * Not part of the module's interface.
 */
#ifndef HV_SCAN_LANG_INT_H
#define HV_SCAN_LANG_INT_H

#include "scan/scan_int.h"

#include <jansson.h>

/* Appends one package of eco found in path: its purl is made from name and version (PyPI
 * names normalised as PEP 503 says first).  A package without a name or a version is not
 * a package anyone can match, and is left out. */
void hv_scan__lang_add(hv_scan_pkgs *out, hv_ctx *ctx, hv_scan_eco eco, const char *name,
                       const char *version, const char *license, const char *path);

/* Licences joined with " OR " (several licences of one package are a choice in npm's,
 * RubyGems' and Composer's metadata): hv_scan__lang_or adds one to b (hv_buf_init'd with
 * HV_SCAN__LANG_OR_MAX; one that does not fit is left out, so joining stays linear), and
 * hv_scan__lang_or_end returns the list in ctx's arena, NULL when empty, and frees b. */
#define HV_SCAN__LANG_OR_MAX 4096
void hv_scan__lang_or(hv_buf *b, const char *license);
const char *hv_scan__lang_or_end(hv_buf *b, hv_ctx *ctx);

/* The next line of [*pos, end) without its line end (also "\r\n"), copied into ctx's arena;
 * NULL at the end. */
char *hv_scan__lang_line(hv_ctx *ctx, const char **pos, const char *end);

/* Splits line at its first sep into a key and a value, each without the spaces around it
 * (line is changed); false when there is no sep. */
bool hv_scan__lang_split(char *line, char sep, const char **key, const char **value);

/* Adds the packages of a TOML lock file's [[package]] tables (poetry.lock, Cargo.lock):
 * their name and version strings; with need_source only those with a "source" (Cargo's
 * local crates have none).  Other tables are skipped; a line-based reading of the layout
 * both tools write, not a TOML parser. */
void hv_scan__lang_toml_packages(hv_scan_pkgs *out, hv_ctx *ctx, const char *path, const char *pos,
                                 const char *end, hv_scan_eco eco, bool need_source);

/* The JSON document data holds (jansson, caller decrefs), or HV_E_BAD_REQUEST naming path. */
hv_err hv_scan__lang_json(json_t **out, hv_ctx *ctx, const char *path, const unsigned char *data,
                          size_t len);

/* The string member key of object o, or NULL. */
const char *hv_scan__lang_jstr(const json_t *o, const char *key);

/* The last component of path. */
const char *hv_scan__lang_base(const char *path);

/* Whether path ends with suffix. */
bool hv_scan__lang_ends(const char *path, const char *suffix);

/* clang-format off */
#define HV_SCAN__LANG_PARSE(fn) \
    hv_err fn(hv_scan_pkgs *out, hv_ctx *ctx, const char *path, const unsigned char *data, \
              size_t len)
#define HV_SCAN__LANG_WANTS(fn) bool fn(const char *path, uint32_t mode, uint64_t size)
/* clang-format on */

HV_SCAN__LANG_WANTS(hv_scan__npm_pkg_wants);
HV_SCAN__LANG_PARSE(hv_scan__npm_pkg_parse);
HV_SCAN__LANG_WANTS(hv_scan__npm_lock_wants);
HV_SCAN__LANG_PARSE(hv_scan__npm_lock_parse);
HV_SCAN__LANG_WANTS(hv_scan__python_meta_wants);
HV_SCAN__LANG_PARSE(hv_scan__python_meta_parse);
HV_SCAN__LANG_WANTS(hv_scan__python_lock_wants);
HV_SCAN__LANG_PARSE(hv_scan__python_lock_parse);
HV_SCAN__LANG_WANTS(hv_scan__binary_wants);
HV_SCAN__LANG_PARSE(hv_scan__binary_parse);
HV_SCAN__LANG_WANTS(hv_scan__jar_wants);
HV_SCAN__LANG_PARSE(hv_scan__jar_parse);
HV_SCAN__LANG_WANTS(hv_scan__cargo_lock_wants);
HV_SCAN__LANG_PARSE(hv_scan__cargo_lock_parse);
HV_SCAN__LANG_WANTS(hv_scan__gemspec_wants);
HV_SCAN__LANG_PARSE(hv_scan__gemspec_parse);
HV_SCAN__LANG_WANTS(hv_scan__gemfile_lock_wants);
HV_SCAN__LANG_PARSE(hv_scan__gemfile_lock_parse);
HV_SCAN__LANG_WANTS(hv_scan__composer_wants);
HV_SCAN__LANG_PARSE(hv_scan__composer_parse);
HV_SCAN__LANG_WANTS(hv_scan__dotnet_wants);
HV_SCAN__LANG_PARSE(hv_scan__dotnet_parse);

#endif
