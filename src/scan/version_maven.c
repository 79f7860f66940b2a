/*
 * scan: Maven versions as Maven 3's ComparableVersion (maven-artifact 3.8) parses and orders
 * them.  A version is lowercased and split into items: numbers, strings (qualifiers) and
 * lists; '.' separates items, '-' and a change between digits and letters start a sub-list.
 * A qualifier after '.' starts a sub-list too, as after '-' (1.0.RC1 == 1.0-RC1).  Trailing
 * "null" items (0, "", "ga", "final", "release", empty lists) are dropped from each list.
 * Qualifiers order alpha < beta < milestone < rc (cr) < snapshot < "" (ga, final) < sp <
 * others (among themselves alphabetically); "a", "b" and "m" right before a digit stand for
 * alpha, beta and milestone.  A number is above a list, a list above a string.
 *
 * The items live in a fixed array: each byte of a version adds at most two of them.  Maven
 * takes any string; here a version is printable ASCII without spaces (Java's Unicode digits
 * and lowercasing never come into it).
 */
#include "scan/version_int.h"

#include <stdint.h>
#include <string.h>

#define digit hv_scan__digit

enum { M_INT, M_STR, M_LIST };

/* The qualifiers Maven knows, in order; "" (a release) sits between snapshot and sp. */
static const char *const qualifiers[] = {"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"};
#define Q_RELEASE 5
#define Q_UNKNOWN 7

typedef struct mitem {
    uint8_t type;
    int8_t qual;         /* M_STR: index in qualifiers or Q_UNKNOWN */
    int16_t next, prev;  /* siblings, -1 at the ends */
    int16_t first, last; /* M_LIST: children */
    hv_scan__span s;     /* M_INT: digits; M_STR: the qualifier (mixed case) */
} mitem;

typedef struct maven {
    mitem it[2 * HV_SCAN_VERSION_MAX + 2];
    int n;
} maven;

static int add(maven *m, int list, int type, hv_scan__span s) {
    int k = m->n++;
    mitem *l = &m->it[list], *x = &m->it[k];

    *x = (mitem){
        .type = (uint8_t)type, .next = -1, .prev = l->last, .first = -1, .last = -1, .s = s};
    if (l->last >= 0)
        m->it[l->last].next = (int16_t)k;
    else
        l->first = (int16_t)k;
    l->last = (int16_t)k;
    return k;
}

static bool lower_eq(hv_scan__span s, const char *w) {
    size_t n = strlen(w);

    if (s.n != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (hv_scan__tolower(s.p[i]) != w[i])
            return false;
    return true;
}

static void add_string(maven *m, int list, hv_scan__span s, bool followed_by_digit) {
    static const struct {
        const char *from, *to;
    } aliases[] = {{"ga", ""}, {"final", ""}, {"release", ""}, {"cr", "rc"}};
    int k;

    if (followed_by_digit && s.n == 1) {
        switch (hv_scan__tolower(s.p[0])) {
        case 'a':
            s = (hv_scan__span){"alpha", 5};
            break;
        case 'b':
            s = (hv_scan__span){"beta", 4};
            break;
        case 'm':
            s = (hv_scan__span){"milestone", 9};
            break;
        }
    }
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (lower_eq(s, aliases[i].from)) {
            s = (hv_scan__span){aliases[i].to, strlen(aliases[i].to)};
            break;
        }
    k = add(m, list, M_STR, s);
    m->it[k].qual = Q_UNKNOWN;
    for (int q = 0; q < Q_UNKNOWN; q++)
        if (lower_eq(s, qualifiers[q]))
            m->it[k].qual = (int8_t)q;
}

static void add_item(maven *m, int list, bool is_digit, hv_scan__span s) {
    if (is_digit)
        add(m, list, M_INT, s);
    else
        add_string(m, list, s, false);
}

static int add_list(maven *m, int list) {
    return add(m, list, M_LIST, (hv_scan__span){"", 0});
}

static bool is_null(const maven *m, int k) {
    const mitem *x = &m->it[k];

    switch (x->type) {
    case M_INT:
        return hv_scan__numcmp(x->s, (hv_scan__span){"0", 1}) == 0;
    case M_STR:
        return x->qual == Q_RELEASE;
    default:
        return x->first < 0;
    }
}

/* Drops trailing null items, looking past non-null lists as ListItem.normalize does. */
static void normalize(maven *m, int list) {
    mitem *l = &m->it[list];

    for (int k = l->last; k >= 0;) {
        int prev = m->it[k].prev;

        if (is_null(m, k)) {
            if (prev >= 0)
                m->it[prev].next = m->it[k].next;
            else
                l->first = m->it[k].next;
            if (m->it[k].next >= 0)
                m->it[m->it[k].next].prev = (int16_t)prev;
            else
                l->last = (int16_t)prev;
        } else if (m->it[k].type != M_LIST) {
            break;
        }
        k = prev;
    }
}

static void maven_parse(maven *m, hv_scan__span v) {
    int list = 0;
    size_t start = 0;
    bool is_digit = false;

    m->n = 1;
    m->it[0] = (mitem){.type = M_LIST, .next = -1, .prev = -1, .first = -1, .last = -1};
    for (size_t i = 0; i < v.n; i++) {
        char c = v.p[i];
        hv_scan__span before = hv_scan__sub(v, start, i);

        if (c == '.' || c == '-') {
            if (i == start)
                add(m, list, M_INT, (hv_scan__span){"0", 1});
            else
                add_item(m, list, is_digit, before);
            start = i + 1;
            if (c == '-')
                list = add_list(m, list);
        } else if (digit(c)) {
            if (!is_digit && i > start) {
                /* a qualifier after '.' is one after '-' (1.0.RC1 == 1.0-RC1) */
                if (m->it[list].first >= 0)
                    list = add_list(m, list);
                add_string(m, list, before, true);
                start = i;
                list = add_list(m, list);
            }
            is_digit = true;
        } else {
            if (is_digit && i > start) {
                add_item(m, list, true, before);
                start = i;
                list = add_list(m, list);
            }
            is_digit = false;
        }
    }
    if (v.n > start) {
        if (!is_digit && m->it[list].first >= 0)
            list = add_list(m, list);
        add_item(m, list, is_digit, hv_scan__sub(v, start, v.n));
    }
    /* lists were created after the lists that hold them: inner ones first */
    for (int k = m->n - 1; k >= 0; k--)
        if (m->it[k].type == M_LIST)
            normalize(m, k);
}

static int qual_cmp(const mitem *a, const mitem *b) {
    if (a->qual != b->qual)
        return a->qual - b->qual;
    if (a->qual != Q_UNKNOWN)
        return 0;
    for (size_t i = 0; i < a->s.n && i < b->s.n; i++) {
        int r = hv_scan__tolower(a->s.p[i]) - hv_scan__tolower(b->s.p[i]);
        if (r)
            return r;
    }
    return (a->s.n > b->s.n) - (a->s.n < b->s.n);
}

/* Item ka of ma against item kb of mb; -1 stands for a missing item. */
static int item_cmp(const maven *ma, int ka, const maven *mb, int kb) {
    static const mitem release = {.type = M_STR, .qual = Q_RELEASE};
    const mitem *a, *b;

    if (ka < 0)
        return kb < 0 ? 0 : -item_cmp(mb, kb, ma, ka);
    a = &ma->it[ka];
    b = kb >= 0 ? &mb->it[kb] : NULL;
    switch (a->type) {
    case M_INT:
        if (!b)
            return !is_null(ma, ka);
        return b->type == M_INT ? hv_scan__numcmp(a->s, b->s) : 1;
    case M_STR:
        if (!b)
            return qual_cmp(a, &release);
        return b->type == M_STR ? qual_cmp(a, b) : -1;
    default:
        if (!b) { /* every item against nothing, not just the first (MNG-6964) */
            for (int x = a->first; x >= 0; x = ma->it[x].next) {
                int r = item_cmp(ma, x, mb, -1);
                if (r)
                    return r;
            }
            return 0;
        }
        if (b->type != M_LIST)
            return b->type == M_INT ? -1 : 1;
        for (int x = a->first, y = b->first; x >= 0 || y >= 0;) {
            int r = item_cmp(ma, x, mb, y);
            if (r)
                return r;
            x = x >= 0 ? ma->it[x].next : -1;
            y = y >= 0 ? mb->it[y].next : -1;
        }
        return 0;
    }
}

const char *hv_scan__maven_check(hv_scan__span v) {
    if (v.n == 0)
        return "empty";
    for (size_t i = 0; i < v.n; i++)
        if ((unsigned char)v.p[i] <= ' ' || (unsigned char)v.p[i] >= 0x7f)
            return "has a space, a control character or a byte outside ASCII";
    return NULL;
}

int hv_scan__maven_cmp(hv_scan__span a, hv_scan__span b) {
    maven ma, mb;

    maven_parse(&ma, a);
    maven_parse(&mb, b);
    return item_cmp(&ma, 0, &mb, 0);
}
