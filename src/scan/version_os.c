/*
 * scan: the version schemes of OS packages.
 *   dpkg  lib/dpkg/parsehelp.c parseversion() and version.c verrevcmp(): epoch, upstream
 *         version, revision; '~' sorts before everything, even the end.
 *   apk   apk-tools src/version.c (2.14/3.x): digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#},
 *         a token stream compared token by token.
 *   rpm   rpmio/rpmvercmp.c (rpm 4.18) over [epoch:]version[-release] split as rpm's parseEVR
 *         does, compared as rpm.labelCompare() does.
 * Numbers are compared as unbounded digit strings where the references use machine integers
 * that the versions seen in practice never overflow (apk's uint64).  Stricter than the
 * references: a dpkg epoch is digits only (dpkg's strtol also takes a sign), and an rpm
 * version has no white space, control characters or bytes outside ASCII (rpm compares any
 * string).
 */
#include "scan/version_int.h"

#include <stdint.h>
#include <string.h>

#define digit hv_scan__digit
#define lower hv_scan__lower
#define alpha hv_scan__alpha
#define alnum hv_scan__alnum
#define sub   hv_scan__sub

/* ---------------------------------------------------------------- dpkg */

typedef struct dpkg_ver {
    hv_scan__span epoch, upstream, revision;
} dpkg_ver;

static bool blank(char c) {
    return c == ' ' || c == '\t';
}

static const char *dpkg_parse(dpkg_ver *out, hv_scan__span v) {
    size_t colon, hyphen;

    while (v.n > 0 && blank(v.p[0]))
        v.p++, v.n--;
    while (v.n > 0 && blank(v.p[v.n - 1]))
        v.n--;
    if (v.n == 0)
        return "version string is empty";
    for (size_t i = 0; i < v.n; i++)
        if (blank(v.p[i]))
            return "version string has embedded spaces";
    out->epoch = (hv_scan__span){"0", 1};
    colon = 0;
    while (colon < v.n && v.p[colon] != ':')
        colon++;
    if (colon < v.n) {
        out->epoch = sub(v, 0, colon);
        if (colon == 0)
            return "epoch in version is empty";
        for (size_t i = 0; i < colon; i++)
            if (!digit(v.p[i]))
                return "epoch in version is not number";
        if (hv_scan__numcmp(out->epoch, (hv_scan__span){"2147483647", 10}) > 0)
            return "epoch in version is too big";
        if (colon + 1 == v.n)
            return "nothing after colon in version number";
        v = sub(v, colon + 1, v.n);
    }
    hyphen = v.n;
    for (size_t i = v.n; i > 0; i--)
        if (v.p[i - 1] == '-') {
            hyphen = i - 1;
            break;
        }
    out->upstream = sub(v, 0, hyphen);
    out->revision = hyphen < v.n ? sub(v, hyphen + 1, v.n) : sub(v, v.n, v.n);
    if (hyphen < v.n && out->revision.n == 0)
        return "revision number is empty";
    if (out->upstream.n == 0)
        return "upstream version is empty";
    if (!digit(out->upstream.p[0]))
        return "version number does not start with digit";
    for (size_t i = 0; i < out->upstream.n; i++)
        if (!alnum(out->upstream.p[i]) && !strchr(".-+~:", out->upstream.p[i]))
            return "invalid character in version number";
    for (size_t i = 0; i < out->revision.n; i++)
        if (!alnum(out->revision.p[i]) && !strchr(".+~", out->revision.p[i]))
            return "invalid character in revision number";
    return NULL;
}

/* dpkg's order of a character in a non-digit run: letters first, then '~' lowest of all
 * and the end like a digit, then everything else. */
static int dpkg_order(hv_scan__span s, size_t i) {
    char c = i < s.n ? s.p[i] : '\0';

    if (digit(c) || c == '\0')
        return 0;
    if (alpha(c))
        return (unsigned char)c;
    if (c == '~')
        return -1;
    return (unsigned char)c + 256;
}

static int verrevcmp(hv_scan__span a, hv_scan__span b) {
    size_t i = 0, j = 0;

    while (i < a.n || j < b.n) {
        size_t si, sj;

        while ((i < a.n && !digit(a.p[i])) || (j < b.n && !digit(b.p[j]))) {
            int ac = dpkg_order(a, i), bc = dpkg_order(b, j);

            if (ac != bc)
                return ac - bc;
            i++, j++;
        }
        si = i, sj = j;
        while (i < a.n && digit(a.p[i]))
            i++;
        while (j < b.n && digit(b.p[j]))
            j++;
        int r = hv_scan__numcmp(sub(a, si, i), sub(b, sj, j));
        if (r)
            return r;
    }
    return 0;
}

const char *hv_scan__dpkg_check(hv_scan__span v) {
    dpkg_ver dv;

    return dpkg_parse(&dv, v);
}

int hv_scan__dpkg_cmp(hv_scan__span a, hv_scan__span b) {
    dpkg_ver va, vb;
    int r;

    dpkg_parse(&va, a);
    dpkg_parse(&vb, b);
    r = hv_scan__numcmp(va.epoch, vb.epoch);
    if (!r)
        r = verrevcmp(va.upstream, vb.upstream);
    if (!r)
        r = verrevcmp(va.revision, vb.revision);
    return r;
}

/* ---------------------------------------------------------------- apk */

enum {
    APK_INITIAL_DIGIT,
    APK_DIGIT,
    APK_LETTER,
    APK_SUFFIX,
    APK_SUFFIX_NO,
    APK_COMMIT_HASH,
    APK_REVISION_NO,
    APK_END,
    APK_INVALID,
};

/* Suffixes in their order; "" between the pre-release and the post-release ones is none. */
static const char *const apk_suffixes[] = {"alpha", "beta", "pre", "rc", "",
                                           "cvs",   "svn",  "git", "hg", "p"};
#define APK_SUFFIX_NONE 4

typedef struct apk_tok {
    int type;
    int suffix;          /* APK_SUFFIX: index in apk_suffixes */
    hv_scan__span value; /* the token's text (digits, letter, suffix name, hash) */
} apk_tok;

static void apk_span_while(apk_tok *t, hv_scan__span *b, bool (*cls)(char)) {
    size_t n = 0;

    while (n < b->n && cls(b->p[n]))
        n++;
    t->value = sub(*b, 0, n);
    b->p += n, b->n -= n;
}

static bool hex(char c) {
    return digit(c) || (c >= 'a' && c <= 'f');
}

static void apk_digits(apk_tok *t, hv_scan__span *b) {
    apk_span_while(t, b, digit);
    if (t->value.n == 0)
        t->type = APK_INVALID;
}

static void apk_first(apk_tok *t, hv_scan__span *b) {
    t->type = APK_INITIAL_DIGIT;
    apk_digits(t, b);
}

static void apk_next(apk_tok *t, hv_scan__span *b) {
    char c;

    if (b->n == 0) {
        t->type = APK_END;
        return;
    }
    c = b->p[0];
    if (lower(c)) {
        if (t->type > APK_DIGIT)
            goto invalid;
        t->value = sub(*b, 0, 1);
        t->type = APK_LETTER;
        b->p++, b->n--;
    } else if (c == '.' || digit(c)) {
        if (c == '.') {
            if (t->type > APK_DIGIT)
                goto invalid;
            b->p++, b->n--;
        }
        if (t->type == APK_INITIAL_DIGIT || t->type == APK_DIGIT)
            t->type = APK_DIGIT;
        else if (t->type == APK_SUFFIX)
            t->type = APK_SUFFIX_NO;
        else
            goto invalid;
        apk_digits(t, b);
    } else if (c == '_') {
        if (t->type > APK_SUFFIX_NO)
            goto invalid;
        b->p++, b->n--;
        apk_span_while(t, b, lower);
        t->suffix = -1;
        for (int i = 0; i < (int)(sizeof(apk_suffixes) / sizeof(apk_suffixes[0])); i++)
            if (i != APK_SUFFIX_NONE && strlen(apk_suffixes[i]) == t->value.n &&
                memcmp(apk_suffixes[i], t->value.p, t->value.n) == 0)
                t->suffix = i;
        if (t->suffix < 0)
            goto invalid;
        t->type = APK_SUFFIX;
    } else if (c == '~') {
        if (t->type >= APK_COMMIT_HASH)
            goto invalid;
        b->p++, b->n--;
        apk_span_while(t, b, hex);
        if (t->value.n == 0)
            goto invalid;
        t->type = APK_COMMIT_HASH;
    } else if (c == '-') {
        if (t->type >= APK_REVISION_NO || b->n < 2 || b->p[1] != 'r')
            goto invalid;
        b->p += 2, b->n -= 2;
        t->type = APK_REVISION_NO;
        apk_digits(t, b);
    } else {
        goto invalid;
    }
    return;
invalid:
    t->type = APK_INVALID;
}

static int apk_tokcmp(const apk_tok *a, const apk_tok *b) {
    switch (a->type) {
    case APK_DIGIT:
        /* a leading zero makes it a string, as Gentoo's rules have it (1.01 < 1.1) */
        if (a->value.p[0] == '0' || b->value.p[0] == '0')
            return hv_scan__lexcmp(a->value, b->value);
        return hv_scan__numcmp(a->value, b->value);
    case APK_INITIAL_DIGIT:
    case APK_SUFFIX_NO:
    case APK_REVISION_NO:
        return hv_scan__numcmp(a->value, b->value);
    case APK_LETTER:
        return (unsigned char)a->value.p[0] - (unsigned char)b->value.p[0];
    case APK_SUFFIX:
        return a->suffix - b->suffix;
    default:
        return hv_scan__lexcmp(a->value, b->value);
    }
}

const char *hv_scan__apk_check(hv_scan__span v) {
    apk_tok t;

    for (apk_first(&t, &v); t.type < APK_END; apk_next(&t, &v))
        ;
    return t.type == APK_END
               ? NULL
               : "not digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#} (suffixes: alpha, "
                 "beta, pre, rc, cvs, svn, git, hg, p)";
}

int hv_scan__apk_cmp(hv_scan__span a, hv_scan__span b) {
    apk_tok ta = {0}, tb = {0};

    for (apk_first(&ta, &a), apk_first(&tb, &b); ta.type == tb.type && ta.type < APK_END;
         apk_next(&ta, &a), apk_next(&tb, &b)) {
        int r = apk_tokcmp(&ta, &tb);
        if (r)
            return r;
    }
    if (ta.type == tb.type)
        return 0;
    /* equal so far: the longer one is newer, unless what it goes on with is a pre-release
     * suffix; of two different next tokens, the later kind is the older version (1.0 < 1.0-r1
     * < 1.0a) */
    if (ta.type == APK_SUFFIX && ta.suffix < APK_SUFFIX_NONE)
        return -1;
    if (tb.type == APK_SUFFIX && tb.suffix < APK_SUFFIX_NONE)
        return 1;
    return ta.type > tb.type ? -1 : 1;
}

/* ---------------------------------------------------------------- rpm */

typedef struct rpm_evr {
    hv_scan__span epoch, version, release;
    bool has_release;
} rpm_evr;

/* rpm's parseEVR: the epoch is the leading digits when a ':' follows them ("" is 0), the
 * release what follows the last '-' after the epoch. */
static void rpm_parse(rpm_evr *out, hv_scan__span v) {
    size_t i = 0, dash = v.n;

    while (i < v.n && digit(v.p[i]))
        i++;
    for (size_t j = v.n; j > i; j--)
        if (v.p[j - 1] == '-') {
            dash = j - 1;
            break;
        }
    out->epoch = (hv_scan__span){"0", 1};
    if (i < v.n && v.p[i] == ':') {
        if (i > 0)
            out->epoch = sub(v, 0, i);
        out->version = sub(v, i + 1, dash);
    } else {
        out->version = sub(v, 0, dash);
    }
    out->has_release = dash < v.n;
    out->release = out->has_release ? sub(v, dash + 1, v.n) : sub(v, v.n, v.n);
}

/* rpmvercmp over spans: alphanumeric segments compared in turn, separators ignored,
 * '~' before everything (even the end) and '^' after the end but before anything else. */
static int rpmvercmp(hv_scan__span a, hv_scan__span b) {
    size_t i = 0, j = 0;

    if (a.n == b.n && memcmp(a.p, b.p, a.n) == 0)
        return 0;
    while (i < a.n || j < b.n) {
        size_t si, sj;
        bool isnum;
        int r;

        while (i < a.n && !alnum(a.p[i]) && a.p[i] != '~' && a.p[i] != '^')
            i++;
        while (j < b.n && !alnum(b.p[j]) && b.p[j] != '~' && b.p[j] != '^')
            j++;
        if ((i < a.n && a.p[i] == '~') || (j < b.n && b.p[j] == '~')) {
            if (i >= a.n || a.p[i] != '~')
                return 1;
            if (j >= b.n || b.p[j] != '~')
                return -1;
            i++, j++;
            continue;
        }
        if ((i < a.n && a.p[i] == '^') || (j < b.n && b.p[j] == '^')) {
            if (i >= a.n)
                return -1;
            if (j >= b.n)
                return 1;
            if (a.p[i] != '^')
                return 1;
            if (b.p[j] != '^')
                return -1;
            i++, j++;
            continue;
        }
        if (i >= a.n || j >= b.n)
            break;
        si = i, sj = j;
        isnum = digit(a.p[i]);
        bool (*cls)(char) = isnum ? digit : alpha;
        while (i < a.n && cls(a.p[i]))
            i++;
        while (j < b.n && cls(b.p[j]))
            j++;
        /* a numeric segment is newer than an alphabetic one */
        if (j == sj)
            return isnum ? 1 : -1;
        r = isnum ? hv_scan__numcmp(sub(a, si, i), sub(b, sj, j))
                  : hv_scan__lexcmp(sub(a, si, i), sub(b, sj, j));
        if (r)
            return r;
    }
    if (i >= a.n && j >= b.n)
        return 0;
    return i >= a.n ? -1 : 1;
}

const char *hv_scan__rpm_check(hv_scan__span v) {
    rpm_evr e;

    if (v.n == 0)
        return "empty";
    for (size_t i = 0; i < v.n; i++)
        if ((unsigned char)v.p[i] <= ' ' || (unsigned char)v.p[i] >= 0x7f)
            return "has a space, a control character or a byte outside ASCII";
    rpm_parse(&e, v);
    if (e.version.n == 0)
        return "the version (between epoch and release) is empty";
    return NULL;
}

int hv_scan__rpm_cmp(hv_scan__span a, hv_scan__span b) {
    rpm_evr ea, eb;
    int r;

    rpm_parse(&ea, a);
    rpm_parse(&eb, b);
    r = rpmvercmp(ea.epoch, eb.epoch);
    if (!r)
        r = rpmvercmp(ea.version, eb.version);
    /* as labelCompare: a missing release is older than any release */
    if (!r && ea.has_release != eb.has_release)
        r = ea.has_release ? 1 : -1;
    if (!r)
        r = rpmvercmp(ea.release, eb.release);
    return r;
}
