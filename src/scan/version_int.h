/*
 * scan: what the version comparators (version*.c) share.  Each scheme is a check, which says
 * why a string is not one of its versions (NULL when it is), and a comparison, called only on
 * strings its check accepted.  Both take a span (pointer and length), never read past it and
 * never allocate: a version is at most HV_SCAN_VERSION_MAX bytes, so per-version state fits
 * in fixed arrays on the stack.
 */
#ifndef HV_SCAN_VERSION_INT_H
#define HV_SCAN_VERSION_INT_H

#include "scan/scan.h"

#include <stdbool.h>
#include <stddef.h>

/* The longest version any scheme accepts, in bytes. */
#define HV_SCAN_VERSION_MAX 256

typedef struct hv_scan__span {
    const char *p;
    size_t n;
} hv_scan__span;

/* ASCII classes (the references use the C locale's, whatever the process's locale is). */
static inline bool hv_scan__digit(char c) {
    return c >= '0' && c <= '9';
}
static inline bool hv_scan__lower(char c) {
    return c >= 'a' && c <= 'z';
}
static inline bool hv_scan__alpha(char c) {
    return hv_scan__lower(c) || (c >= 'A' && c <= 'Z');
}
static inline bool hv_scan__alnum(char c) {
    return hv_scan__digit(c) || hv_scan__alpha(c);
}
static inline char hv_scan__tolower(char c) {
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* s[from, to) */
static inline hv_scan__span hv_scan__sub(hv_scan__span s, size_t from, size_t to) {
    return (hv_scan__span){s.p + from, to - from};
}

/* Compares two runs of ASCII digits as the unbounded numbers they spell (leading zeros do not
 * count): <0, 0 or >0. */
int hv_scan__numcmp(hv_scan__span a, hv_scan__span b);
/* Compares two byte strings as strcmp does (a prefix sorts first). */
int hv_scan__lexcmp(hv_scan__span a, hv_scan__span b);
/* The sign of x: -1, 0 or 1. */
int hv_scan__sign(int x);

const char *hv_scan__dpkg_check(hv_scan__span v);
int hv_scan__dpkg_cmp(hv_scan__span a, hv_scan__span b);
const char *hv_scan__apk_check(hv_scan__span v);
int hv_scan__apk_cmp(hv_scan__span a, hv_scan__span b);
const char *hv_scan__rpm_check(hv_scan__span v);
int hv_scan__rpm_cmp(hv_scan__span a, hv_scan__span b);

const char *hv_scan__semver_check(hv_scan__span v);
int hv_scan__semver_cmp(hv_scan__span a, hv_scan__span b);
const char *hv_scan__go_check(hv_scan__span v);
int hv_scan__go_cmp(hv_scan__span a, hv_scan__span b);
const char *hv_scan__nuget_check(hv_scan__span v);
int hv_scan__nuget_cmp(hv_scan__span a, hv_scan__span b);

const char *hv_scan__pep440_check(hv_scan__span v);
int hv_scan__pep440_cmp(hv_scan__span a, hv_scan__span b);
const char *hv_scan__maven_check(hv_scan__span v);
int hv_scan__maven_cmp(hv_scan__span a, hv_scan__span b);
const char *hv_scan__gem_check(hv_scan__span v);
int hv_scan__gem_cmp(hv_scan__span a, hv_scan__span b);
const char *hv_scan__composer_check(hv_scan__span v);
int hv_scan__composer_cmp(hv_scan__span a, hv_scan__span b);

#endif
