/*
 * scan: Composer (Packagist) versions.  A version is first normalised as composer/semver's
 * VersionParser::normalize() does ("v1.2" -> "1.2.0.0", "1.0-beta.2" -> "1.0.0.0-beta2",
 * "2.x-dev" -> "2.9999999.9999999.9999999-dev", "2024-01-31" -> "2024.01.31"), then ordered
 * with PHP's version_compare(), as Composer's Comparator does.  Branches ("dev-main") have no
 * order, so they are not versions here.
 */
#include "scan/version_int.h"

#include <assert.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#define digit hv_scan__digit
#define sub   hv_scan__sub

/* A normalised version: at most the input plus ".0.0.0", a stability word and "-dev", or
 * four 7-digit branch numbers. */
typedef struct norm {
    char s[HV_SCAN_VERSION_MAX + 64];
    size_t n;
} norm;

static void put(norm *o, const char *p, size_t n) {
    assert(o->n + n < sizeof(o->s));
    memcpy(o->s + o->n, p, n);
    o->n += n;
}

static bool word_ci(hv_scan__span v, size_t i, const char *w) {
    size_t n = strlen(w);

    if (v.n - i < n)
        return false;
    for (size_t k = 0; k < n; k++)
        if (hv_scan__tolower(v.p[i + k]) != hv_scan__tolower(w[k]))
            return false;
    return true;
}

static bool ends_ci(hv_scan__span v, const char *w) {
    size_t n = strlen(w);

    return v.n >= n && word_ci(v, v.n - n, w);
}

typedef struct modifier {
    int stability; /* index in stabilities, -1 none */
    hv_scan__span number;
    bool dev;
} modifier;

/* The alternatives of (stable|beta|b|RC|alpha|a|patch|pl|p), in the regex's order. */
static const char *const stabilities[] = {"stable", "beta",  "b",  "RC", "alpha",
                                          "a",      "patch", "pl", "p"};
static const char *const expanded[] = {"stable", "beta",  "beta",  "RC",   "alpha",
                                       "alpha",  "patch", "patch", "patch"};

/* Whether v[i..] is ([.-]?dev)?$ (sets *dev). */
static bool dev_end(hv_scan__span v, size_t i, bool *dev) {
    *dev = false;
    if (i == v.n)
        return true;
    if (v.p[i] == '.' || v.p[i] == '-')
        i++;
    *dev = v.n - i == 3 && word_ci(v, i, "dev");
    return *dev;
}

/* Composer's modifier regex at v[i..] up to the end:
 * [._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?$ */
static bool modifier_at(modifier *m, hv_scan__span v, size_t i) {
    bool has_sep = i < v.n && (v.p[i] == '.' || v.p[i] == '_' || v.p[i] == '-');

    for (int skip = has_sep; skip >= 0; skip--) {
        size_t j = i + (size_t)skip;

        for (int k = 0; k < (int)(sizeof(stabilities) / sizeof(stabilities[0])); k++) {
            size_t q = j + strlen(stabilities[k]), s;

            if (!word_ci(v, j, stabilities[k]))
                continue;
            s = q;
            for (;;) { /* possessive: (?:[.-]?\d+)*+ */
                size_t t = q;

                if (t < v.n && (v.p[t] == '.' || v.p[t] == '-'))
                    t++;
                if (t >= v.n || !digit(v.p[t]))
                    break;
                while (t < v.n && digit(v.p[t]))
                    t++;
                q = t;
            }
            if (dev_end(v, q, &m->dev)) {
                m->stability = k;
                m->number = sub(v, s, q);
                return true;
            }
        }
        m->stability = -1;
        m->number = sub(v, j, j);
        if (dev_end(v, j, &m->dev))
            return true;
    }
    return false;
}

static size_t digits_at(hv_scan__span v, size_t i) {
    size_t s = i;

    while (i < v.n && digit(v.p[i]))
        i++;
    return i - s;
}

/* ^v?(\d{1,5})(\.\d++)?(\.\d++)?(\.\d++)? then the modifier */
static bool classical(norm *o, modifier *m, hv_scan__span v) {
    size_t i = v.n > 0 && (v.p[0] == 'v' || v.p[0] == 'V'), n = digits_at(v, i);
    int parts = 1;

    if (n == 0 || n > 5 || (i + n < v.n && digit(v.p[i + n])))
        return false;
    put(o, v.p + i, n);
    i += n;
    while (parts < 4 && i + 1 < v.n && v.p[i] == '.' && digit(v.p[i + 1])) {
        n = digits_at(v, i + 1);
        put(o, v.p + i, n + 1);
        i += n + 1;
        parts++;
    }
    for (; parts < 4; parts++)
        put(o, ".0", 2);
    return modifier_at(m, v, i);
}

/* ^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?) then the modifier, non-digits of the
 * date becoming dots; tried greedily, longest date first. */
static bool date_from(norm *o, modifier *m, hv_scan__span v, size_t i, int twos, int threes) {
    size_t save = o->n, j = i;

    if (j < v.n && (v.p[j] == '.' || v.p[j] == ':' || v.p[j] == '-'))
        j++;
    if (twos < 6 && threes == 0 && digits_at(v, j) >= 2) {
        if (j > i)
            put(o, ".", 1);
        put(o, v.p + j, 2);
        if (date_from(o, m, v, j + 2, twos + 1, 0))
            return true;
        o->n = save;
    }
    if (twos >= 1 && threes == 0) {
        for (size_t len = digits_at(v, j) < 3 ? digits_at(v, j) : 3; len >= 1; len--) {
            if (j > i)
                put(o, ".", 1);
            put(o, v.p + j, len);
            if (date_from(o, m, v, j + len, twos, threes + 1))
                return true;
            o->n = save;
        }
    }
    return twos >= 1 && modifier_at(m, v, i);
}

static bool date(norm *o, modifier *m, hv_scan__span v) {
    size_t i = v.n > 0 && (v.p[0] == 'v' || v.p[0] == 'V');

    if (digits_at(v, i) < 4)
        return false;
    put(o, v.p + i, 4);
    return date_from(o, m, v, i + 4, 0, 0);
}

/* normalizeBranch() of a numeric branch: ^v?(\d++)(\.(?:\d++|[xX*]))?{3}$ */
static bool numeric_branch(norm *o, hv_scan__span v) {
    size_t i = v.n > 0 && (v.p[0] == 'v' || v.p[0] == 'V'), n = digits_at(v, i);
    int parts = 1;

    if (n == 0)
        return false;
    put(o, v.p + i, n);
    i += n;
    while (parts < 4 && i + 1 < v.n && v.p[i] == '.') {
        char c = v.p[i + 1];

        if (digit(c)) {
            n = digits_at(v, i + 1);
            put(o, v.p + i, n + 1);
            i += n + 1;
        } else if (c == 'x' || c == 'X' || c == '*') {
            put(o, ".9999999", 8);
            i += 2;
        } else {
            return false;
        }
        parts++;
    }
    for (; parts < 4; parts++)
        put(o, ".9999999", 8);
    put(o, "-dev", 4);
    return i == v.n;
}

static bool php_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v';
}

/* PCRE's \s, and what [^,\s] matches */
static bool pcre_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}
static bool branch_char(char c) {
    return c != ',' && !pcre_space(c);
}

static const char *composer_norm(norm *o, hv_scan__span v) {
    modifier m;
    size_t i;

    o->n = 0;
    while (v.n > 0 && php_space(v.p[0]))
        v.p++, v.n--;
    while (v.n > 0 && php_space(v.p[v.n - 1]))
        v.n--;
    /* "1.0 as 2.0" (an alias) is its first version */
    for (i = 0; i < v.n && branch_char(v.p[i]); i++)
        ;
    if (i > 0 && i < v.n && v.p[i] == ' ') {
        size_t j = i;

        while (j < v.n && v.p[j] == ' ')
            j++;
        if (j + 2 < v.n && memcmp(v.p + j, "as", 2) == 0 && v.p[j + 2] == ' ') {
            size_t k = j + 2, b;

            while (k < v.n && v.p[k] == ' ')
                k++;
            for (b = k; k < v.n && branch_char(v.p[k]); k++)
                ;
            if (k > b && k == v.n)
                v.n = i;
        }
    }
    /* a stability flag: @stable, @RC, @beta, @alpha, @dev */
    for (int k = 0; k < 5; k++) {
        static const char *const flags[] = {"@stable", "@RC", "@beta", "@alpha", "@dev"};
        if (ends_ci(v, flags[k])) {
            v.n -= strlen(flags[k]);
            break;
        }
    }
    if (word_ci(v, 0, "dev-") || (v.n == 6 && memcmp(v.p, "master", 6) == 0) ||
        (v.n == 5 && memcmp(v.p, "trunk", 5) == 0) || (v.n == 7 && memcmp(v.p, "default", 7) == 0))
        return "a branch (dev-…) has no order";
    /* build metadata: ^([^,\s+]++)\+[^\s]++$ */
    for (i = 0; i < v.n && branch_char(v.p[i]) && v.p[i] != '+'; i++)
        ;
    if (i > 0 && i + 1 < v.n && v.p[i] == '+') {
        size_t k = i + 1;

        while (k < v.n && !pcre_space(v.p[k]))
            k++;
        if (k == v.n)
            v.n = i;
    }
    if (classical(o, &m, v) || (o->n = 0, date(o, &m, v))) {
        if (m.stability >= 0) {
            if (m.stability == 0 && memcmp(m.number.p - 6, "stable", 6) == 0)
                return NULL;
            put(o, "-", 1);
            put(o, expanded[m.stability], strlen(expanded[m.stability]));
            while (m.number.n > 0 && (m.number.p[0] == '.' || m.number.p[0] == '-'))
                m.number.p++, m.number.n--;
            put(o, m.number.p, m.number.n);
        }
        if (m.dev)
            put(o, "-dev", 4);
        return NULL;
    }
    /* a numeric branch: (.*?)[.-]?dev$ */
    o->n = 0;
    if (ends_ci(v, "dev")) {
        hv_scan__span b = sub(v, 0, v.n - 3);

        if (b.n > 0 && (b.p[b.n - 1] == '.' || b.p[b.n - 1] == '-'))
            b.n--;
        if (numeric_branch(o, b))
            return NULL;
    }
    return "not a version Composer knows (1.2.3, v1.2.3-beta.1, 1.2.x-dev, 2024-01-31)";
}

const char *hv_scan__composer_check(hv_scan__span v) {
    norm o;

    return composer_norm(&o, v);
}

/* ---------------------------------------------------------------- PHP's version_compare */

/* php_canonicalize_version: '-', '_' and '+' become '.', a '.' goes between digits and
 * non-digits, other non-alphanumerics become '.', never two dots in a row. */
static void canonicalize(norm *out, const norm *in) {
    out->n = 0;
    if (in->n == 0)
        return;
    out->s[out->n++] = in->s[0];
    for (size_t i = 1; i < in->n; i++) {
        char c = in->s[i], lp = in->s[i - 1];
        bool dot_before = out->s[out->n - 1] == '.';
        bool isdig_c = digit(c), isndig_c = !digit(c) && c != '.';
        bool isdig_l = digit(lp), isndig_l = !digit(lp) && lp != '.';

        if (c == '-' || c == '_' || c == '+' || !hv_scan__alnum(c)) {
            if (!dot_before)
                out->s[out->n++] = '.';
        } else if ((isndig_l && isdig_c) || (isdig_l && isndig_c)) {
            if (!dot_before)
                out->s[out->n++] = '.';
            out->s[out->n++] = c;
        } else {
            out->s[out->n++] = c;
        }
    }
}

static int special_form(hv_scan__span s) {
    static const struct {
        const char *name;
        int order;
    } forms[] = {{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2},
                 {"RC", 3},  {"rc", 3},    {"#", 4}, {"pl", 5},   {"p", 5}};

    for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
        size_t n = strlen(forms[k].name);
        if (s.n >= n && memcmp(s.p, forms[k].name, n) == 0)
            return forms[k].order;
    }
    return -1;
}

/* strtol of a run of digits: saturates at LONG_MAX */
static long php_strtol(hv_scan__span s) {
    unsigned long long v = 0;

    for (size_t i = 0; i < s.n && digit(s.p[i]); i++) {
        v = v * 10 + (unsigned)(s.p[i] - '0');
        if (v > LONG_MAX)
            return LONG_MAX;
    }
    return (long)v;
}

static const hv_scan__span number_form = {"#N#", 3};

/* The next '.'-separated part of s at *i; *more says whether a '.' followed it. */
static hv_scan__span part(hv_scan__span s, size_t *i, bool *more) {
    size_t b = *i;

    while (*i < s.n && s.p[*i] != '.')
        (*i)++;
    *more = *i < s.n;
    hv_scan__span p = sub(s, b, *i);
    if (*more)
        (*i)++;
    return p;
}

static int php_compare(hv_scan__span a, hv_scan__span b) {
    size_t i = 0, j = 0;
    bool more_a = true, more_b = true;
    hv_scan__span pa = a, pb = b;
    int r = 0;

    if (a.n == 0 || b.n == 0)
        return (a.n > 0) - (b.n > 0);
    while (i < a.n && j < b.n && more_a && more_b) {
        pa = part(a, &i, &more_a);
        pb = part(b, &j, &more_b);
        bool da = pa.n > 0 && digit(pa.p[0]), db = pb.n > 0 && digit(pb.p[0]);
        if (da && db) {
            long la = php_strtol(pa), lb = php_strtol(pb);
            r = (la > lb) - (la < lb);
        } else if (!da && !db) {
            r = hv_scan__sign(special_form(pa) - special_form(pb));
        } else {
            r = hv_scan__sign(special_form(da ? number_form : pa) -
                              special_form(db ? number_form : pb));
        }
        if (r)
            return r;
    }
    if (more_a) {
        hv_scan__span rest = sub(a, i, a.n);
        return rest.n > 0 && digit(rest.p[0]) ? 1 : php_compare(rest, number_form);
    }
    if (more_b) {
        hv_scan__span rest = sub(b, j, b.n);
        return rest.n > 0 && digit(rest.p[0]) ? -1 : php_compare(number_form, rest);
    }
    return 0;
}

int hv_scan__composer_cmp(hv_scan__span a, hv_scan__span b) {
    norm na, nb, ca, cb;

    composer_norm(&na, a);
    composer_norm(&nb, b);
    canonicalize(&ca, &na);
    canonicalize(&cb, &nb);
    return php_compare((hv_scan__span){ca.s, ca.n}, (hv_scan__span){cb.s, cb.n});
}
