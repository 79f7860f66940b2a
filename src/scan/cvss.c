/*
 * CVSS base scores from vectors.  OSV gives a CVSS severity as its vector only, so the
 * score a report shows is computed here: version 3.1's formula (FIRST, "CVSS v3.1
 * Specification", §7.1 and Appendix A's Roundup), which 3.0 vectors are scored with too,
 * as Trivy and NVD do today.  Temporal and environmental metrics may follow the base
 * metrics; they are checked for form and do not change the base score.
 */
#include "scan/scan.h"

#include <math.h>
#include <string.h>
#include <strings.h>

/* The 3.1 spec's Roundup: the smallest number with one decimal that is >= x, computed on
 * integers so that 4.000000001 does not become 4.1 through floating-point noise. */
static double roundup(double x) {
    long i = lround(x * 100000.0);

    if (i % 10000 == 0)
        return (double)i / 100000.0;
    return (double)(i / 10000 + 1) / 10.0;
}

typedef struct metric {
    const char *name;
    const char *values; /* the letters it may take */
} metric;

/* Base metrics first, in the order of base[] below. */
static const metric metrics[] = {
    {"AV", "NALP"}, {"AC", "LH"},    {"PR", "NLH"},  {"UI", "NR"},   {"S", "UC"},
    {"C", "HLN"},   {"I", "HLN"},    {"A", "HLN"},   {"E", "XUPFH"}, {"RL", "XOTWU"},
    {"RC", "XURC"}, {"CR", "XLMH"},  {"IR", "XLMH"}, {"AR", "XLMH"}, {"MAV", "XNALP"},
    {"MAC", "XLH"}, {"MPR", "XNLH"}, {"MUI", "XNR"}, {"MS", "XUC"},  {"MC", "XNLH"},
    {"MI", "XNLH"}, {"MA", "XNLH"},
};
#define N_METRICS (sizeof(metrics) / sizeof(metrics[0]))
#define N_BASE    8

static double cia(char v) {
    return v == 'H' ? 0.56 : v == 'L' ? 0.22 : 0.0;
}

bool hv_scan_cvss3_score(double *score, const char *vector, const char **why) {
    char seen[N_METRICS] = {0};
    const char *p;

    if (strncmp(vector, "CVSS:3.0/", 9) != 0 && strncmp(vector, "CVSS:3.1/", 9) != 0) {
        *why = "a CVSS v3 vector starts with CVSS:3.0/ or CVSS:3.1/";
        return false;
    }
    p = vector + 9;
    while (*p) {
        const char *colon = strchr(p, ':'), *end;
        size_t k, nlen;

        if (!colon) {
            *why = "a metric lacks its ':' and value";
            return false;
        }
        nlen = (size_t)(colon - p);
        for (k = 0; k < N_METRICS; k++) {
            if (strlen(metrics[k].name) == nlen && strncmp(metrics[k].name, p, nlen) == 0)
                break;
        }
        if (k == N_METRICS) {
            *why = "unknown metric";
            return false;
        }
        end = colon + 1;
        if (!*end || (end[1] && end[1] != '/') || !strchr(metrics[k].values, *end)) {
            *why = "a metric has a value it cannot take";
            return false;
        }
        if (seen[k]) {
            *why = "a metric is given twice";
            return false;
        }
        seen[k] = *end;
        p = end[1] ? end + 2 : end + 1; /* a trailing '/' is tolerated, as Trivy does */
    }
    for (size_t k = 0; k < N_BASE; k++) {
        if (!seen[k]) {
            *why = "a base metric (AV, AC, PR, UI, S, C, I, A) is missing";
            return false;
        }
    }

    bool changed = seen[4] == 'C';
    double av = seen[0] == 'N' ? 0.85 : seen[0] == 'A' ? 0.62 : seen[0] == 'L' ? 0.55 : 0.2;
    double ac = seen[1] == 'L' ? 0.77 : 0.44;
    double pr = seen[2] == 'N'   ? 0.85
                : seen[2] == 'L' ? (changed ? 0.68 : 0.62)
                                 : (changed ? 0.5 : 0.27);
    double ui = seen[3] == 'N' ? 0.85 : 0.62;
    double iss = 1.0 - (1.0 - cia(seen[5])) * (1.0 - cia(seen[6])) * (1.0 - cia(seen[7]));
    double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss;
    double exploitability = 8.22 * av * ac * pr * ui;

    if (impact <= 0)
        *score = 0.0;
    else if (changed)
        *score = roundup(fmin(1.08 * (impact + exploitability), 10.0));
    else
        *score = roundup(fmin(impact + exploitability, 10.0));
    return true;
}

hv_scan_severity hv_scan_severity_of_score(double score) {
    if (score >= 9.0)
        return HV_SEV_CRITICAL;
    if (score >= 7.0)
        return HV_SEV_HIGH;
    if (score >= 4.0)
        return HV_SEV_MEDIUM;
    if (score > 0.0)
        return HV_SEV_LOW;
    return HV_SEV_NONE;
}

static const char *const severity_names[] = {"None",   "Unknown", "Negligible", "Low",
                                             "Medium", "High",    "Critical"};

const char *hv_scan_severity_name(hv_scan_severity s) {
    return severity_names[s];
}

hv_scan_severity hv_scan_severity_parse(const char *label) {
    static const struct {
        const char *label;
        hv_scan_severity sev;
    } labels[] = {{"critical", HV_SEV_CRITICAL},    {"high", HV_SEV_HIGH},
                  {"important", HV_SEV_HIGH},       {"moderate", HV_SEV_MEDIUM},
                  {"medium", HV_SEV_MEDIUM},        {"low", HV_SEV_LOW},
                  {"negligible", HV_SEV_NEGLIGIBLE}};

    if (!label)
        return HV_SEV_UNKNOWN;
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        if (strcasecmp(labels[i].label, label) == 0)
            return labels[i].sev;
    }
    return HV_SEV_UNKNOWN;
}
