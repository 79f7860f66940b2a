/*
 * CVSS v4.0 base scores (FIRST, "CVSS v4.0 Specification", §8): a vector is scored through
 * its macrovector, the six equivalence classes EQ1…EQ6 of its metrics, whose score the
 * specification publishes as a table (macro_scores below, its values x 10, indexed by
 * EQ1…EQ6), then moved down from it in proportion to how far the vector lies below the
 * highest vector of its macrovector, towards the next lower macrovector of each class
 * (§8.2 and the reference calculator's "max composed" vectors and depths).  Threat (E) and
 * environmental metrics (CR, IR, AR, M*) take part as the specification says; supplemental
 * metrics are checked for form and do not change the score.
 */
#include "scan/scan.h"

#include <math.h>
#include <string.h>

/* The specification's macrovector scores x 10; -1 where no vector falls. */
static const signed char macro_scores[324] = {
    100, 99, 98, 95, 95, 92, 100, 96, 93, 87, 91, 81, 93, 90, 89, 80, 81, 68, 98, 95, 95, 92,
    90,  84, 93, 92, 89, 81, 81,  65, 88, 80, 78, 70, 69, 48, -1, 92, -1, 82, -1, 72, -1, 79,
    -1,  69, -1, 50, -1, 69, -1,  55, -1, 27, 99, 97, 95, 92, 92, 85, 95, 91, 90, 83, 84, 71,
    92,  81, 82, 71, 72, 53, 95,  93, 92, 85, 85, 73, 92, 82, 80, 72, 70, 59, 84, 70, 71, 52,
    50,  30, -1, 86, -1, 75, -1,  52, -1, 71, -1, 52, -1, 29, -1, 63, -1, 29, -1, 17, 98, 95,
    94,  87, 91, 81, 94, 89, 86,  74, 77, 64, 87, 75, 74, 63, 63, 49, 94, 89, 88, 77, 76, 67,
    86,  76, 74, 58, 59, 50, 72,  57, 57, 52, 52, 25, -1, 83, -1, 70, -1, 54, -1, 65, -1, 58,
    -1,  26, -1, 53, -1, 21, -1,  13, 95, 90, 88, 76, 76, 70, 90, 77, 75, 62, 61, 53, 77, 66,
    68,  59, 52, 30, 89, 78, 76,  67, 62, 58, 74, 59, 57, 57, 47, 23, 61, 52, 57, 29, 24, 16,
    -1,  71, -1, 59, -1, 30, -1,  58, -1, 26, -1, 15, -1, 23, -1, 13, -1, 6,  93, 87, 86, 72,
    75,  58, 86, 74, 74, 61, 56,  34, 70, 54, 52, 40, 40, 22, 85, 75, 74, 55, 62, 51, 72, 57,
    55,  41, 46, 19, 53, 36, 34,  19, 19, 8,  -1, 64, -1, 51, -1, 20, -1, 47, -1, 21, -1, 11,
    -1,  24, -1, 9,  -1, 4,  88,  75, 73, 53, 60, 50, 73, 55, 59, 40, 41, 20, 54, 43, 45, 22,
    20,  11, 75, 55, 58, 45, 40,  21, 61, 51, 48, 18, 20, 9,  46, 18, 17, 7,  8,  2,  -1, 53,
    -1,  24, -1, 14, -1, 24, -1,  12, -1, 5,  -1, 10, -1, 3,  -1, 1,
};

static int macro_index(const int eq[6]) {
    return ((((eq[0] * 2 + eq[1]) * 3 + eq[2]) * 3 + eq[3]) * 3 + eq[4]) * 2 + eq[5];
}

/* NAN when eq lies outside the classes or names no macrovector. */
static double macro_score(const int eq[6]) {
    static const int top[6] = {2, 1, 2, 2, 2, 1};

    for (int i = 0; i < 6; i++) {
        if (eq[i] > top[i])
            return NAN;
    }
    int s = macro_scores[macro_index(eq)];

    return s < 0 ? NAN : s / 10.0;
}

enum { AV, AC, AT, PR, UI, VC, VI, VA, SC, SI, SA, E, CR, IR, AR, N_SCORED };

typedef struct metric4 {
    const char *name;
    const char *values; /* the letters it takes, most severe first where it is scored */
} metric4;

/* Scored metrics first (enum above), then the modified base metrics (same order as AV…SA),
 * then the supplemental ones. */
static const metric4 metrics4[] = {
    {"AV", "NALP"},   {"AC", "LH"},    {"AT", "NP"},    {"PR", "NLH"},   {"UI", "NPA"},
    {"VC", "HLN"},    {"VI", "HLN"},   {"VA", "HLN"},   {"SC", "HLN"},   {"SI", "HLN"},
    {"SA", "HLN"},    {"E", "XAPU"},   {"CR", "XHML"},  {"IR", "XHML"},  {"AR", "XHML"},
    {"MAV", "XNALP"}, {"MAC", "XLH"},  {"MAT", "XNP"},  {"MPR", "XNLH"}, {"MUI", "XNPA"},
    {"MVC", "XHLN"},  {"MVI", "XHLN"}, {"MVA", "XHLN"}, {"MSC", "XHLN"}, {"MSI", "XSHLN"},
    {"MSA", "XSHLN"}, {"S", "XNP"},    {"AU", "XNY"},   {"R", "XAUI"},   {"V", "XDC"},
    {"RE", "XLMH"},   {"U", "XCGAR"},
};
#define N_METRICS4 (sizeof(metrics4) / sizeof(metrics4[0]))
#define N_BASE4    11
#define MODIFIED   15 /* index of MAV */

/* Each metric's value's distance from its most severe, in steps of 0.1 (§8.2). */
static int level(int metric, char v) {
    switch (metric) {
    case AV:
        return (int)(strchr("NALP", v) - "NALP");
    case PR:
        return (int)(strchr("NLH", v) - "NLH");
    case UI:
        return (int)(strchr("NPA", v) - "NPA");
    case AC:
        return v == 'H';
    case AT:
        return v == 'P';
    case VC:
    case VI:
    case VA:
        return (int)(strchr("HLN", v) - "HLN");
    case SC:
        return 1 + (int)(strchr("HLN", v) - "HLN");
    case SI:
    case SA:
        return (int)(strchr("SHLN", v) - "SHLN");
    case E:
        return (int)(strchr("APU", v) - "APU");
    default: /* CR, IR, AR */
        return (int)(strchr("HML", v) - "HML");
    }
}

/* The highest vectors of each class (the reference calculator's max_composed): the
 * values of AV PR UI; AC AT; VC VI VA CR IR AR by (EQ3, EQ6); SC SI SA; E. */
static const char *const max_eq1[3][3] = {{"NNN"}, {"ANN", "NLN", "NNP"}, {"PNN", "ALP"}};
static const char *const max_eq2[2][2] = {{"LN"}, {"HN", "LP"}};
static const char *const max_eq36[3][2][5] = {
    {{"HHHHHH"}, {"HHLMMH", "HHHMMM"}},
    {{"LHHHHH", "HLHHHH"}, {"LHLHMH", "LHHHMM", "HLHMHM", "HLLMHH", "LLHHHM"}},
    {{NULL}, {"LLLHHH"}},
};
static const char *const max_eq4[3] = {"HSS", "HHH", "LLL"};
static const char max_eq5[3] = {'A', 'P', 'U'};
/* How many steps each class's highest vectors span (the reference calculator's depths). */
static const int depth_eq1[3] = {1, 4, 5}, depth_eq2[2] = {1, 2}, depth_eq4[3] = {6, 5, 4};
static const int depth_eq36[3][2] = {{7, 6}, {8, 8}, {0, 10}};

static double lower_eq36(const int eq[6]) {
    int a[6], b[6];

    memcpy(a, eq, sizeof(a));
    memcpy(b, eq, sizeof(b));
    if (eq[2] == 0 && eq[5] == 0) { /* two ways down: the higher of them */
        a[5]++;
        b[2]++;
        double x = macro_score(a), y = macro_score(b);

        return isnan(x) ? y : isnan(y) ? x : fmax(x, y);
    }
    if (eq[2] == 1 && eq[5] == 0)
        a[5]++;
    else
        a[2]++;
    return macro_score(a);
}

/* Sum of the distances from max of metrics first..first+n-1 (values in v, max's in m);
 * -1 when the vector is above max in any of them. */
static int distance(const char *v, int first, const char *m, int n) {
    int sum = 0;

    for (int i = 0; i < n; i++) {
        int d = level(first + i, v[first + i]) - level(first + i, m[i]);

        if (d < 0)
            return -1;
        sum += d;
    }
    return sum;
}

bool hv_scan_cvss4_score(double *score, const char *vector, const char **why) {
    char seen[N_METRICS4] = {0}, v[N_SCORED];
    const char *p;
    int eq[6], d[5] = {-1, -1, -1, -1, 0};

    if (strncmp(vector, "CVSS:4.0/", 9) != 0) {
        *why = "a CVSS v4 vector starts with CVSS:4.0/";
        return false;
    }
    for (p = vector + 9; *p;) {
        const char *colon = strchr(p, ':');
        size_t k, nlen, vlen;

        if (!colon) {
            *why = "a metric lacks its ':' and value";
            return false;
        }
        nlen = (size_t)(colon - p);
        for (k = 0; k < N_METRICS4; k++) {
            if (strlen(metrics4[k].name) == nlen && strncmp(metrics4[k].name, p, nlen) == 0)
                break;
        }
        if (k == N_METRICS4) {
            *why = "unknown metric";
            return false;
        }
        vlen = strcspn(colon + 1, "/");
        if (vlen == 0 || !strchr(metrics4[k].values, colon[1]) ||
            (vlen != 1 && strcmp(metrics4[k].name, "U") != 0)) {
            *why = "a metric has a value it cannot take";
            return false;
        }
        if (seen[k]) {
            *why = "a metric is given twice";
            return false;
        }
        seen[k] = colon[1];
        p = colon + 1 + vlen;
        if (*p == '/')
            p++;
    }
    for (size_t k = 0; k < N_BASE4; k++) {
        if (!seen[k]) {
            *why = "a base metric (AV, AC, AT, PR, UI, VC, VI, VA, SC, SI, SA) is missing";
            return false;
        }
    }
    /* the values that count: a modified metric over its base one; E, CR, IR, AR default to
     * their most severe */
    for (int k = 0; k < N_SCORED; k++) {
        v[k] = seen[k] && seen[k] != 'X' ? seen[k] : k == E ? 'A' : 'H';
        if (k < N_BASE4 && seen[MODIFIED + k] && seen[MODIFIED + k] != 'X')
            v[k] = seen[MODIFIED + k];
    }
    if (v[VC] == 'N' && v[VI] == 'N' && v[VA] == 'N' && v[SC] == 'N' && v[SI] == 'N' &&
        v[SA] == 'N') {
        *score = 0.0;
        return true;
    }
    eq[0] = v[AV] == 'N' && v[PR] == 'N' && v[UI] == 'N'                     ? 0
            : (v[AV] == 'N' || v[PR] == 'N' || v[UI] == 'N') && v[AV] != 'P' ? 1
                                                                             : 2;
    eq[1] = v[AC] == 'L' && v[AT] == 'N' ? 0 : 1;
    eq[2] = v[VC] == 'H' && v[VI] == 'H' ? 0 : v[VC] == 'H' || v[VI] == 'H' || v[VA] == 'H' ? 1 : 2;
    eq[3] = v[SI] == 'S' || v[SA] == 'S' ? 0 : v[SC] == 'H' || v[SI] == 'H' || v[SA] == 'H' ? 1 : 2;
    eq[4] = (int)(strchr("APU", v[E]) - "APU");
    eq[5] = (v[CR] == 'H' && v[VC] == 'H') || (v[IR] == 'H' && v[VI] == 'H') ||
                    (v[AR] == 'H' && v[VA] == 'H')
                ? 0
                : 1;

    double value = macro_score(eq);

    /* the first of the macrovector's highest vectors that the vector is not above */
    for (int i = 0; i < 3 && max_eq1[eq[0]][i] && d[0] < 0; i++) {
        for (int j = 0; j < 2 && max_eq2[eq[1]][j] && d[0] < 0; j++) {
            for (int k = 0; k < 5 && max_eq36[eq[2]][eq[5]][k] && d[0] < 0; k++) {
                const char *m1 = max_eq1[eq[0]][i], *m36 = max_eq36[eq[2]][eq[5]][k];
                char av_pr_ui[3] = {v[AV], v[PR], v[UI]};
                char m_av_pr_ui[3] = {m1[0], m1[1], m1[2]};
                int d1 = 0, d2, d36, d4;

                for (int x = 0; x < 3 && d1 >= 0; x++) {
                    int metric = x == 0 ? AV : x == 1 ? PR : UI;
                    int dx = level(metric, av_pr_ui[x]) - level(metric, m_av_pr_ui[x]);

                    d1 = dx < 0 ? -1 : d1 + dx;
                }
                d2 = distance(v, AC, max_eq2[eq[1]][j], 2);
                d36 = distance(v, VC, m36, 3);
                if (d36 >= 0) {
                    int dr = distance(v, CR, m36 + 3, 3);

                    d36 = dr < 0 ? -1 : d36 + dr;
                }
                d4 = distance(v, SC, max_eq4[eq[3]], 3);
                if (d1 >= 0 && d2 >= 0 && d36 >= 0 && d4 >= 0 &&
                    level(E, v[E]) >= level(E, max_eq5[eq[4]])) {
                    d[0] = d1;
                    d[1] = d2;
                    d[2] = d36;
                    d[3] = d4;
                }
            }
        }
    }
    if (d[0] < 0) {
        *why = "the vector lies above every highest vector of its macrovector";
        return false;
    }

    int down[6];
    double lower[5], sum = 0;
    int depth[5] = {depth_eq1[eq[0]], depth_eq2[eq[1]], depth_eq36[eq[2]][eq[5]], depth_eq4[eq[3]],
                    1};
    int n = 0;

    for (int c = 0; c < 5; c++) {
        static const int which[5] = {0, 1, -1, 3, 4};

        memcpy(down, eq, sizeof(down));
        if (which[c] < 0) {
            lower[c] = lower_eq36(eq);
            continue;
        }
        down[which[c]]++;
        lower[c] = macro_score(down);
    }
    for (int c = 0; c < 5; c++) {
        if (isnan(lower[c]))
            continue;
        n++;
        sum += (value - lower[c]) * ((double)d[c] / depth[c]);
    }
    value -= n ? sum / n : 0.0;
    value = fmin(fmax(value, 0.0), 10.0);
    *score = floor(value * 10.0 + 0.5 + 1e-6) / 10.0;
    return true;
}
