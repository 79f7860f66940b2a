/* CVSS v3 base scores against the examples of FIRST's "CVSS v3.1: Examples" document (each
 * named by its CVE there) and the severity bands of the v3.1 specification §5. */
#include "scan/scan.h"
#include "test.h"

#include <math.h>

static double score(const char *vector) {
    const char *why = NULL;
    double s = -1;

    if (!hv_scan_cvss3_score(&s, vector, &why))
        fprintf(stderr, "%s: %s\n", vector, why);
    return s;
}

#define CHECK_SCORE(vector, want) CHECK_INT(lround(score(vector) * 10), lround((want)*10))

static void test_spec_examples(void) {
    /* CVE-2013-1937 phpMyAdmin reflected XSS */
    CHECK_SCORE("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1);
    /* CVE-2013-0375 MySQL stored SQL injection */
    CHECK_SCORE("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4);
    /* CVE-2014-3566 SSLv3 POODLE */
    CHECK_SCORE("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1);
    /* CVE-2012-1516 VMware guest to host escape */
    CHECK_SCORE("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9);
    /* CVE-2014-0160 Heartbleed */
    CHECK_SCORE("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5);
    /* CVE-2014-6271 Shellshock */
    CHECK_SCORE("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8);
    /* CVE-2016-1645 Google Chrome PDFium JPEG 2000 heap overflow */
    CHECK_SCORE("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 8.8);
    /* CVE-2013-6014 Juniper proxy ARP denial of service */
    CHECK_SCORE("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H", 9.3);
    /* CVE-2016-0128 Windows SAM/LSAD downgrade (Badlock) */
    CHECK_SCORE("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N", 6.8);
    /* CVE-2015-2890 Linux kernel physical access */
    CHECK_SCORE("CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8);
    /* no impact: 0.0 */
    CHECK_SCORE("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0);
    /* 3.0 vectors, temporal metrics and a trailing '/' (as OSV has them) */
    CHECK_SCORE("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/", 9.8);
    CHECK_SCORE("CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:N", 5.9); /* urllib3's */
}

static double score4(const char *vector) {
    const char *why = NULL;
    double s = -1;

    if (!hv_scan_cvss4_score(&s, vector, &why))
        fprintf(stderr, "%s: %s\n", vector, why);
    return s;
}

#define CHECK_SCORE4(vector, want) CHECK_INT(lround(score4(vector) * 10), lround((want)*10))

/* v4.0: macrovector scores straight from the specification's table where the vector is its
 * macrovector's highest, and the interpolation below it (the 8.5 of a local privilege
 * escalation is the table's 8.7 for 100200 moved a quarter of the way towards 7.0). */
static void test_v4(void) {
    CHECK_SCORE4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H", 10.0);
    CHECK_SCORE4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3);
    CHECK_SCORE4("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.7);
    CHECK_SCORE4("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 8.5);
    CHECK_SCORE4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N", 6.9);
    CHECK_SCORE4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0);
    /* threat: unreported exploitation lowers it; X is "not defined", as if absent */
    CHECK(score4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U") < 9.3);
    CHECK_SCORE4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:X/CR:X", 9.3);
    /* supplemental metrics do not count */
    CHECK_SCORE4("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/U:Amber",
                 9.3);
    /* every score of every vector lies in [0, 10] and falls as a metric gets less severe */
    CHECK(score4("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/E:U") >= 0.0);
    CHECK(score4("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N/E:U") <
          score4("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N/E:U"));
}

static void test_bad_vectors(void) {
    static const char *const bad[] = {
        "AV:N/AC:L/Au:N/C:P/I:P/A:P", /* v2 */
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",          /* A missing */
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Q",      /* bad value */
        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", /* twice */
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:HH",
        "CVSS:3.1/XX:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV",
        "CVSS:3.1/",
    };
    static const char *const bad4[] = {
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",      /* SA missing */
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N", /* S is MSI's */
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:Q",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/AV:N",
    };

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *why = NULL;
        double s;

        CHECK(!hv_scan_cvss3_score(&s, bad[i], &why));
        CHECK(why != NULL);
    }
    for (size_t i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++) {
        const char *why = NULL;
        double s;

        CHECK(!hv_scan_cvss4_score(&s, bad4[i], &why));
        CHECK(why != NULL);
    }
}

static void test_severity(void) {
    CHECK_INT(hv_scan_severity_of_score(9.0), HV_SEV_CRITICAL);
    CHECK_INT(hv_scan_severity_of_score(8.9), HV_SEV_HIGH);
    CHECK_INT(hv_scan_severity_of_score(7.0), HV_SEV_HIGH);
    CHECK_INT(hv_scan_severity_of_score(6.9), HV_SEV_MEDIUM);
    CHECK_INT(hv_scan_severity_of_score(4.0), HV_SEV_MEDIUM);
    CHECK_INT(hv_scan_severity_of_score(0.1), HV_SEV_LOW);
    CHECK_INT(hv_scan_severity_of_score(0.0), HV_SEV_NONE);
    CHECK_STR(hv_scan_severity_name(HV_SEV_CRITICAL), "Critical");
    CHECK_INT(hv_scan_severity_parse("MODERATE"), HV_SEV_MEDIUM);
    CHECK_INT(hv_scan_severity_parse("important"), HV_SEV_HIGH);
    CHECK_INT(hv_scan_severity_parse("whatever"), HV_SEV_UNKNOWN);
    CHECK_INT(hv_scan_severity_parse(NULL), HV_SEV_UNKNOWN);
}

TEST_MAIN(test_spec_examples, test_v4, test_bad_vectors, test_severity)
