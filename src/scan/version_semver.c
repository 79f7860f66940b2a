/*
 * scan: the SemVer family.
 *   SemVer  semver.org 2.0.0 §11 as npm's node-semver (7.x, strict) parses it: an optional
 *           leading 'v', surrounding white space ignored, major/minor/patch at most 2^53-1;
 *           crates.io (Rust's semver crate) orders the same versions the same way.
 *   Go      golang.org/x/mod/semver: 'v' (optional here, as OSV writes Go versions without
 *           it), vMAJOR and vMAJOR.MINOR shorthands, "+incompatible" and other build metadata
 *           ignored; pseudo-versions are pre-releases and need nothing special.
 *   NuGet   NuGet.Versioning NuGetVersion: 1 to 4 numbers (int32, legacy 4-part versions),
 *           release labels compared case-insensitively, numeric labels as int32.
 * Unlike node-semver, numeric pre-release identifiers above 2^53 compare exactly (it compares
 * them as doubles); unlike .NET's number parsing under NuGet, a version number is digits only
 * (no sign, no inner white space).
 */
#include "scan/version_int.h"

#include <ctype.h>
#include <string.h>

#define digit hv_scan__digit
#define sub   hv_scan__sub

static bool ident_char(char c) {
    return hv_scan__alnum(c) || c == '-';
}

static bool all_digits(hv_scan__span s) {
    for (size_t i = 0; i < s.n; i++)
        if (!digit(s.p[i]))
            return false;
    return s.n > 0;
}

/* The run of digits at *i; false when there is none or it has a leading zero. */
static bool number(hv_scan__span *out, hv_scan__span v, size_t *i) {
    size_t s = *i;

    while (*i < v.n && digit(v.p[*i]))
        (*i)++;
    *out = sub(v, s, *i);
    return out->n > 0 && !(out->n > 1 && out->p[0] == '0');
}

/* Dot-separated identifiers from *i up to a character that cannot be in them; each
 * non-empty, numeric ones without leading zeros when strict. */
static bool idents(hv_scan__span *out, hv_scan__span v, size_t *i, bool strict) {
    size_t s = *i;

    for (;;) {
        size_t b = *i;

        while (*i < v.n && ident_char(v.p[*i]))
            (*i)++;
        hv_scan__span id = sub(v, b, *i);
        if (id.n == 0 || (strict && id.n > 1 && id.p[0] == '0' && all_digits(id)))
            return false;
        if (*i >= v.n || v.p[*i] != '.')
            break;
        (*i)++;
    }
    *out = sub(v, s, *i);
    return true;
}

/* The next identifier of a dot-separated list at *i. */
static hv_scan__span next_ident(hv_scan__span l, size_t *i) {
    size_t s = *i;

    while (*i < l.n && l.p[*i] != '.')
        (*i)++;
    hv_scan__span id = sub(l, s, *i);
    if (*i < l.n)
        (*i)++;
    return id;
}

/* "[-pre][+build]" from v[i] to the end; *pre is the pre-release (NuGet's release labels). */
static const char *pre_build(hv_scan__span *pre, hv_scan__span v, size_t i) {
    hv_scan__span build;

    *pre = sub(v, i, i);
    if (i < v.n && v.p[i] == '-') {
        i++;
        if (!idents(pre, v, &i, true))
            return "a pre-release identifier is empty, has a character other than [0-9A-Za-z-] "
                   "or is a number with a leading zero";
    }
    if (i < v.n && v.p[i] == '+') {
        i++;
        if (!idents(&build, v, &i, false))
            return "a build identifier is empty or has a character other than [0-9A-Za-z-]";
    }
    return i == v.n ? NULL : "unexpected characters after the version";
}

/* SemVer §11.4: numeric identifiers numerically and below the others, which are compared
 * in ASCII order. */
static int semver_ident_cmp(hv_scan__span x, hv_scan__span y) {
    bool nx = all_digits(x), ny = all_digits(y);

    if (nx != ny)
        return nx ? -1 : 1;
    return nx ? hv_scan__numcmp(x, y) : hv_scan__lexcmp(x, y);
}

/* Pre-release identifier lists, each pair by ident_cmp; an empty list (a release) is
 * highest, a list that is a prefix of the other lower. */
static int prerelease_cmp(hv_scan__span a, hv_scan__span b,
                          int (*ident_cmp)(hv_scan__span x, hv_scan__span y)) {
    size_t i = 0, j = 0;

    if (a.n == 0 || b.n == 0)
        return (a.n == 0) - (b.n == 0);
    while (i < a.n && j < b.n) {
        int r = ident_cmp(next_ident(a, &i), next_ident(b, &j));
        if (r)
            return r;
    }
    return (i < a.n) - (j < b.n);
}

/* ---------------------------------------------------------------- SemVer */

typedef struct semver {
    hv_scan__span num[3], pre;
} semver;

static bool js_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

static const char *semver_parse(semver *out, hv_scan__span v) {
    static const hv_scan__span max_safe = {"9007199254740991", 16};
    size_t i = 0;

    while (v.n > 0 && js_space(v.p[0]))
        v.p++, v.n--;
    while (v.n > 0 && js_space(v.p[v.n - 1]))
        v.n--;
    if (v.n > 0 && v.p[0] == 'v')
        i++;
    for (int k = 0; k < 3; k++) {
        if (k > 0 && (i >= v.n || v.p[i++] != '.'))
            return "not MAJOR.MINOR.PATCH";
        if (!number(&out->num[k], v, &i))
            return "not MAJOR.MINOR.PATCH of numbers without leading zeros";
        if (hv_scan__numcmp(out->num[k], max_safe) > 0)
            return "a number is larger than 2^53-1";
    }
    return pre_build(&out->pre, v, i);
}

static int semver_cmp(const semver *a, const semver *b) {
    for (int k = 0; k < 3; k++) {
        int r = hv_scan__numcmp(a->num[k], b->num[k]);
        if (r)
            return r;
    }
    return prerelease_cmp(a->pre, b->pre, semver_ident_cmp);
}

const char *hv_scan__semver_check(hv_scan__span v) {
    semver s;

    return semver_parse(&s, v);
}

int hv_scan__semver_cmp(hv_scan__span a, hv_scan__span b) {
    semver sa, sb;

    semver_parse(&sa, a);
    semver_parse(&sb, b);
    return semver_cmp(&sa, &sb);
}

/* ---------------------------------------------------------------- Go */

static const char *go_parse(semver *out, hv_scan__span v) {
    size_t i = 0;

    if (v.n > 0 && v.p[0] == 'v')
        i++;
    out->num[1] = out->num[2] = (hv_scan__span){"0", 1};
    out->pre = sub(v, v.n, v.n);
    for (int k = 0; k < 3; k++) {
        if (k > 0 && i == v.n)
            return NULL; /* vMAJOR, vMAJOR.MINOR */
        if (k > 0 && v.p[i++] != '.')
            return "not vMAJOR[.MINOR[.PATCH]]";
        if (!number(&out->num[k], v, &i))
            return "not vMAJOR[.MINOR[.PATCH]] of numbers without leading zeros";
    }
    return pre_build(&out->pre, v, i);
}

const char *hv_scan__go_check(hv_scan__span v) {
    semver s;

    return go_parse(&s, v);
}

int hv_scan__go_cmp(hv_scan__span a, hv_scan__span b) {
    semver sa, sb;

    go_parse(&sa, a);
    go_parse(&sb, b);
    return semver_cmp(&sa, &sb);
}

/* ---------------------------------------------------------------- NuGet */

typedef struct nuget {
    hv_scan__span num[4], labels;
} nuget;

static const char *nuget_parse(nuget *out, hv_scan__span v) {
    static const hv_scan__span int32_max = {"2147483647", 10};
    size_t i = 0;
    int k;

    while (v.n > 0 && isspace((unsigned char)v.p[0]))
        v.p++, v.n--;
    while (v.n > 0 && isspace((unsigned char)v.p[v.n - 1]))
        v.n--;
    for (k = 0; k < 4; k++)
        out->num[k] = (hv_scan__span){"0", 1};
    for (k = 0; k < 4; k++) {
        size_t s = i;

        while (i < v.n && digit(v.p[i]))
            i++;
        out->num[k] = sub(v, s, i);
        if (out->num[k].n == 0)
            return "not 1 to 4 dot-separated numbers";
        if (hv_scan__numcmp(out->num[k], int32_max) > 0)
            return "a number is larger than 2147483647";
        if (i >= v.n || v.p[i] != '.')
            break;
        i++;
    }
    if (k == 4)
        return "more than 4 numbers";
    return pre_build(&out->labels, v, i);
}

/* Int32.TryParse of a label: an optional '-' and digits, within int32. */
static bool nuget_int(long long *out, hv_scan__span s) {
    bool neg = s.n > 0 && s.p[0] == '-';
    hv_scan__span d = sub(s, neg, s.n);

    if (!all_digits(d) || hv_scan__numcmp(d, neg ? (hv_scan__span){"2147483648", 10}
                                                 : (hv_scan__span){"2147483647", 10}) > 0)
        return false;
    *out = 0;
    for (size_t i = 0; i < d.n; i++)
        *out = *out * 10 + (d.p[i] - '0');
    if (neg)
        *out = -*out;
    return true;
}

static int nuget_label_cmp(hv_scan__span x, hv_scan__span y) {
    long long ix, iy;
    bool nx = nuget_int(&ix, x), ny = nuget_int(&iy, y);

    if (nx && ny)
        return (ix > iy) - (ix < iy);
    if (nx || ny)
        return nx ? -1 : 1;
    for (size_t i = 0; i < x.n && i < y.n; i++) {
        int cx = toupper((unsigned char)x.p[i]), cy = toupper((unsigned char)y.p[i]);
        if (cx != cy)
            return cx - cy;
    }
    return (x.n > y.n) - (x.n < y.n);
}

const char *hv_scan__nuget_check(hv_scan__span v) {
    nuget n;

    return nuget_parse(&n, v);
}

int hv_scan__nuget_cmp(hv_scan__span a, hv_scan__span b) {
    nuget na, nb;

    nuget_parse(&na, a);
    nuget_parse(&nb, b);
    for (int k = 0; k < 4; k++) {
        int r = hv_scan__numcmp(na.num[k], nb.num[k]);
        if (r)
            return r;
    }
    return prerelease_cmp(na.labels, nb.labels, nuget_label_cmp);
}
