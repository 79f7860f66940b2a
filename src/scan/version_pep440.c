/*
 * scan: PEP 440 versions as the packaging library (23.x, packaging.version.Version) reads and
 * orders them.  The parser follows its VERSION_PATTERN, case-insensitively:
 *     v? [N!] N(.N)* [[-_.]?(a|b|c|rc|alpha|beta|pre|preview)[-_.]?N?]
 *     [-N | [-_.]?(post|rev|r)[-_.]?N?] [[-_.]?dev[-_.]?N?] [+local]
 * and the order is its _cmpkey: epoch, release without trailing zeros, pre-release (a < b <
 * rc; a dev release of the release itself below all of them), post-release, dev release,
 * local version (numeric parts above string parts).  Numbers are unbounded, as Python's ints.
 * The white space stripped around a version is ASCII's (Python's also Unicode's).
 */
#include "scan/version_int.h"

#include <string.h>

#define digit hv_scan__digit
#define sub   hv_scan__sub

/* A part that may be absent: rank -1 and 1 stand for packaging's NegativeInfinity and
 * Infinity, 0 for a value (letter rank and number). */
typedef struct pep_part {
    int rank, letter;
    hv_scan__span n;
} pep_part;

typedef struct pep440 {
    hv_scan__span epoch, release, local;
    bool has_pre, has_post, has_dev;
    int pre_letter;
    hv_scan__span pre_n, post_n, dev_n;
} pep440;

static bool sep(char c) {
    return c == '-' || c == '_' || c == '.';
}

static bool py_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* Whether the letters at *i are word (case-insensitively); consumes them if so. */
static bool word(hv_scan__span v, size_t *i, const char *word) {
    size_t n = strlen(word);

    if (v.n - *i < n)
        return false;
    for (size_t k = 0; k < n; k++)
        if (hv_scan__tolower(v.p[*i + k]) != word[k])
            return false;
    *i += n;
    return true;
}

static hv_scan__span digits(hv_scan__span v, size_t *i) {
    size_t s = *i;

    while (*i < v.n && digit(v.p[*i]))
        (*i)++;
    return sub(v, s, *i);
}

/* One of labels (longest first) after an optional separator, then [-_.]?N?; *i unchanged
 * and -1 when there is none, else the index of the label. */
static int labelled(hv_scan__span *n, hv_scan__span v, size_t *i, const char *const *labels) {
    size_t j = *i;

    if (j < v.n && sep(v.p[j]))
        j++;
    for (int k = 0; labels[k]; k++) {
        if (!word(v, &j, labels[k]))
            continue;
        if (j < v.n && sep(v.p[j]))
            j++;
        *n = digits(v, &j);
        *i = j;
        return k;
    }
    return -1;
}

static const char *pep440_parse(pep440 *out, hv_scan__span v) {
    static const char *const pre[] = {"alpha", "beta", "preview", "pre", "rc", "a", "b", "c", NULL};
    static const int pre_rank[] = {0, 1, 2, 2, 2, 0, 1, 2}; /* a, b, rc */
    static const char *const post[] = {"post", "rev", "r", NULL};
    static const char *const dev[] = {"dev", NULL};
    size_t i = 0, s;
    int k;

    memset(out, 0, sizeof(*out));
    while (v.n > 0 && py_space(v.p[0]))
        v.p++, v.n--;
    while (v.n > 0 && py_space(v.p[v.n - 1]))
        v.n--;
    if (i < v.n && (v.p[i] == 'v' || v.p[i] == 'V'))
        i++;
    s = i;
    out->epoch = digits(v, &i);
    if (out->epoch.n > 0 && i < v.n && v.p[i] == '!') {
        i++;
        s = i;
    } else {
        out->epoch = (hv_scan__span){"0", 1};
        i = s;
    }
    if (digits(v, &i).n == 0)
        return "does not start with a release number ([N!]N(.N)*)";
    while (i + 1 < v.n && v.p[i] == '.' && digit(v.p[i + 1])) {
        i++;
        digits(v, &i);
    }
    out->release = sub(v, s, i);
    k = labelled(&out->pre_n, v, &i, pre);
    if (k >= 0) {
        out->has_pre = true;
        out->pre_letter = pre_rank[k];
    }
    if (i + 1 < v.n && v.p[i] == '-' && digit(v.p[i + 1])) {
        i++;
        out->post_n = digits(v, &i);
        out->has_post = true;
    } else if (labelled(&out->post_n, v, &i, post) >= 0) {
        out->has_post = true;
    }
    out->has_dev = labelled(&out->dev_n, v, &i, dev) >= 0;
    if (i < v.n && v.p[i] == '+') {
        i++;
        s = i;
        for (;;) {
            size_t b = i;

            while (i < v.n && hv_scan__alnum(v.p[i]))
                i++;
            if (i == b)
                return "a local version part is empty or not [a-z0-9]";
            if (i + 1 >= v.n || !sep(v.p[i]))
                break;
            i++;
        }
        out->local = sub(v, s, i);
    }
    return i == v.n ? NULL : "not [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]";
}

/* The release numbers from *i; "0" once they run out. */
static hv_scan__span release_next(hv_scan__span r, size_t *i) {
    hv_scan__span n;

    if (*i >= r.n)
        return (hv_scan__span){"0", 1};
    n = digits(r, i);
    if (*i < r.n)
        (*i)++;
    return n;
}

static int part_cmp(pep_part a, pep_part b) {
    if (a.rank != b.rank)
        return a.rank - b.rank;
    if (a.rank != 0)
        return 0;
    if (a.letter != b.letter)
        return a.letter - b.letter;
    return hv_scan__numcmp(a.n, b.n);
}

static hv_scan__span local_next(hv_scan__span l, size_t *i) {
    size_t s = *i;

    while (*i < l.n && !sep(l.p[*i]))
        (*i)++;
    hv_scan__span part = sub(l, s, *i);
    if (*i < l.n)
        (*i)++;
    return part;
}

static bool numeric(hv_scan__span s) {
    for (size_t i = 0; i < s.n; i++)
        if (!digit(s.p[i]))
            return false;
    return true;
}

static int local_cmp(hv_scan__span a, hv_scan__span b) {
    size_t i = 0, j = 0;

    if (a.n == 0 || b.n == 0)
        return (a.n > 0) - (b.n > 0);
    while (i < a.n && j < b.n) {
        hv_scan__span x = local_next(a, &i), y = local_next(b, &j);
        bool nx = numeric(x), ny = numeric(y);
        int r = 0;

        if (nx != ny)
            return nx ? 1 : -1;
        if (nx) {
            r = hv_scan__numcmp(x, y);
        } else {
            for (size_t k = 0; k < x.n && k < y.n && !r; k++)
                r = hv_scan__tolower(x.p[k]) - hv_scan__tolower(y.p[k]);
            if (!r)
                r = (x.n > y.n) - (x.n < y.n);
        }
        if (r)
            return r;
    }
    return (i < a.n) - (j < b.n);
}

const char *hv_scan__pep440_check(hv_scan__span v) {
    pep440 p;

    return pep440_parse(&p, v);
}

int hv_scan__pep440_cmp(hv_scan__span a, hv_scan__span b) {
    pep440 pa, pb;
    size_t i = 0, j = 0;
    int r;

    pep440_parse(&pa, a);
    pep440_parse(&pb, b);
    r = hv_scan__numcmp(pa.epoch, pb.epoch);
    while (!r && (i < pa.release.n || j < pb.release.n))
        r = hv_scan__numcmp(release_next(pa.release, &i), release_next(pb.release, &j));
    if (r)
        return r;
    /* pre: none sorts above every pre-release, except that X.devN sorts below X.a0 */
    pep_part prea = {pa.has_pre ? 0 : (!pa.has_post && pa.has_dev ? -1 : 1), pa.pre_letter,
                     pa.pre_n},
             preb = {pb.has_pre ? 0 : (!pb.has_post && pb.has_dev ? -1 : 1), pb.pre_letter,
                     pb.pre_n};
    r = part_cmp(prea, preb);
    if (!r)
        r = part_cmp((pep_part){pa.has_post ? 0 : -1, 0, pa.post_n},
                     (pep_part){pb.has_post ? 0 : -1, 0, pb.post_n});
    if (!r)
        r = part_cmp((pep_part){pa.has_dev ? 0 : 1, 0, pa.dev_n},
                     (pep_part){pb.has_dev ? 0 : 1, 0, pb.dev_n});
    if (!r)
        r = local_cmp(pa.local, pb.local);
    return r;
}
