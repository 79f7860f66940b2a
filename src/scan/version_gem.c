/*
 * scan: RubyGems versions as Gem::Version (RubyGems 3.3) reads and orders them.  A version is
 * [0-9]+(.[0-9A-Za-z]+)*(-[0-9A-Za-z-]+(.[0-9A-Za-z-]+)*)? (empty is "0"); each '-' reads as
 * ".pre.".  Its segments are the runs of digits (numbers) and of letters (strings); the
 * numeric segments before the first string and the segments from it on each lose their
 * trailing zeros, and the two are compared segment by segment, a missing one as 0, a string
 * below a number.
 */
#include "scan/version_int.h"

#include <ctype.h>

#define digit hv_scan__digit
#define alpha hv_scan__alpha

typedef struct gem_seg {
    hv_scan__span s;
    bool str;
} gem_seg;

typedef struct gem {
    /* each byte makes at most one segment */
    gem_seg seg[HV_SCAN_VERSION_MAX];
    int n;
} gem;

static hv_scan__span gem_trim(hv_scan__span v) {
    while (v.n > 0 && isspace((unsigned char)v.p[0]))
        v.p++, v.n--;
    while (v.n > 0 && isspace((unsigned char)v.p[v.n - 1]))
        v.n--;
    return v;
}

const char *hv_scan__gem_check(hv_scan__span v) {
    size_t i = 0;
    bool pre = false;

    v = gem_trim(v);
    if (v.n == 0)
        return NULL;
    while (i < v.n && digit(v.p[i]))
        i++;
    if (i == 0)
        return "does not start with a number";
    while (i < v.n) {
        size_t s;
        char c = v.p[i++];

        if (c == '-' && !pre)
            pre = true;
        else if (c != '.')
            return "not N(.X)*(-X(.X)*)? with X of [0-9A-Za-z] ('-' also after the first '-')";
        s = i;
        while (i < v.n && (hv_scan__alnum(v.p[i]) || (pre && v.p[i] == '-')))
            i++;
        if (i == s)
            return "a segment is empty";
    }
    return NULL;
}

static bool is_zero(const gem_seg *g) {
    return !g->str && hv_scan__numcmp(g->s, (hv_scan__span){"0", 1}) == 0;
}

/* Segments as canonical_segments has them. */
static void gem_parse(gem *g, hv_scan__span v) {
    int first_str = -1, end;
    size_t i = 0;

    v = gem_trim(v);
    g->n = 0;
    while (i < v.n) {
        size_t s = i;

        if (v.p[i] == '-') {
            g->seg[g->n++] = (gem_seg){{"pre", 3}, true};
            i++;
            continue;
        }
        if (digit(v.p[i]) || alpha(v.p[i])) {
            bool (*cls)(char) = digit(v.p[i]) ? hv_scan__digit : hv_scan__alpha;
            while (i < v.n && cls(v.p[i]))
                i++;
            g->seg[g->n++] = (gem_seg){hv_scan__sub(v, s, i), !digit(v.p[s])};
            continue;
        }
        i++;
    }
    for (int k = 0; k < g->n && first_str < 0; k++)
        if (g->seg[k].str)
            first_str = k;
    /* drop the trailing zeros of the string part, then of the numeric part, closing up */
    end = g->n;
    while (first_str >= 0 && end > first_str && is_zero(&g->seg[end - 1]))
        end--;
    g->n = end;
    if (first_str >= 0) {
        int num_end = first_str, k;

        while (num_end > 0 && is_zero(&g->seg[num_end - 1]))
            num_end--;
        for (k = first_str; k < g->n; k++)
            g->seg[num_end + (k - first_str)] = g->seg[k];
        g->n = num_end + (g->n - first_str);
    } else {
        while (g->n > 0 && is_zero(&g->seg[g->n - 1]))
            g->n--;
    }
}

int hv_scan__gem_cmp(hv_scan__span a, hv_scan__span b) {
    static const gem_seg zero = {{"0", 1}, false};
    gem ga, gb;

    gem_parse(&ga, a);
    gem_parse(&gb, b);
    for (int k = 0; k < ga.n || k < gb.n; k++) {
        const gem_seg *x = k < ga.n ? &ga.seg[k] : &zero, *y = k < gb.n ? &gb.seg[k] : &zero;
        int r;

        if (x->str != y->str)
            return x->str ? -1 : 1;
        r = x->str ? hv_scan__lexcmp(x->s, y->s) : hv_scan__numcmp(x->s, y->s);
        if (r)
            return r;
    }
    return 0;
}
