/*
 * The cron parser: six and five fields, ranges, steps, lists, names, '?', the day-of-month
 * or day-of-week rule, and malformed expressions refused with a reason; next firing times
 * across minutes, days, months, leap years and impossible dates.
 */
#include "base/base.h"
#include "test.h"

#include <time.h>

/* ms of a UTC date */
static int64_t at(int y, int mo, int d, int h, int mi, int s) {
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = s};
    return (int64_t)timegm(&tm) * 1000;
}

static int64_t next(const char *spec, int64_t after) {
    hv_cron c;
    const char *why = NULL;

    if (!hv_cron_parse(&c, spec, &why)) {
        fprintf(stderr, "%s: %s\n", spec, why);
        return -2;
    }
    return hv_cron_next(&c, after);
}

static void test_fields(void) {
    int64_t t0 = at(2024, 1, 1, 0, 0, 0); /* a Monday */

    CHECK_INT(next("0 0 * * * *", t0), at(2024, 1, 1, 1, 0, 0));
    CHECK_INT(next("* * * * * *", t0), t0 + 1000);
    CHECK_INT(next("*/15 * * * * *", t0 + 1000), t0 + 15000);
    CHECK_INT(next("30 5 2 * * *", t0), at(2024, 1, 1, 2, 5, 30));
    CHECK_INT(next("0 0 0 * * 0", t0), at(2024, 1, 7, 0, 0, 0)); /* Sunday */
    CHECK_INT(next("0 0 0 * * 7", t0), at(2024, 1, 7, 0, 0, 0));
    CHECK_INT(next("0 0 0 * * SUN", t0), at(2024, 1, 7, 0, 0, 0));
    CHECK_INT(next("0 0 0 1 MAR ?", t0), at(2024, 3, 1, 0, 0, 0));
    CHECK_INT(next("0 0 12 29 2 *", t0), at(2024, 2, 29, 12, 0, 0));
    CHECK_INT(next("0 0 12 29 2 *", at(2024, 3, 1, 0, 0, 0)), at(2028, 2, 29, 12, 0, 0));
    CHECK_INT(next("0 10-20/5 * * * *", t0), at(2024, 1, 1, 0, 10, 0));
    CHECK_INT(next("0 10-20/5 * * * *", at(2024, 1, 1, 0, 10, 0)), at(2024, 1, 1, 0, 15, 0));
    CHECK_INT(next("0 50/5 * * * *", at(2024, 1, 1, 0, 56, 0)), at(2024, 1, 1, 1, 50, 0));
    CHECK_INT(next("0 1,3,5 * * * *", at(2024, 1, 1, 0, 3, 0)), at(2024, 1, 1, 0, 5, 0));
    /* both day fields restricted: either matches (the 15th, or a Friday) */
    CHECK_INT(next("0 0 0 15 * FRI", t0), at(2024, 1, 5, 0, 0, 0));
    CHECK_INT(next("0 0 0 15 * FRI", at(2024, 1, 12, 0, 0, 0)), at(2024, 1, 15, 0, 0, 0));
    /* a year end carries into the next year */
    CHECK_INT(next("0 0 0 1 1 *", at(2024, 6, 1, 0, 0, 0)), at(2025, 1, 1, 0, 0, 0));
    /* a date that never comes */
    CHECK_INT(next("0 0 0 31 2 *", t0), -1);
}

static void test_five_fields(void) {
    int64_t t0 = at(2024, 1, 1, 0, 0, 0);

    /* the seed's "0 2 * * 6": 02:00 on Saturdays */
    CHECK_INT(next("0 2 * * 6", t0), at(2024, 1, 6, 2, 0, 0));
    CHECK_INT(next("*/5 * * * *", t0), at(2024, 1, 1, 0, 5, 0));
}

static void test_malformed(void) {
    static const char *bad[] = {"",
                                "* * * *",
                                "* * * * * * *",
                                "60 * * * * *",
                                "* * 24 * * *",
                                "* * * 0 * *",
                                "* * * * 13 *",
                                "* * * * * 8",
                                "*/0 * * * * *",
                                "a * * * * *",
                                "1-x * * * * *",
                                "5-1 * * * * *",
                                "1,,2 * * * * *",
                                "1, * * * * *",
                                "* * * * FOO *",
                                "1/ * * * * *"};
    hv_cron c;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *why = NULL;
        CHECK(!hv_cron_parse(&c, bad[i], &why));
        CHECK(why != NULL && why[0] != '\0');
    }
}

TEST_MAIN(test_fields, test_five_fields, test_malformed)
