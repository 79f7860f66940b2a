/*
 * Cron expressions as Harbor's scheduler reads them (robfig/cron with seconds): six fields,
 * second minute hour day-of-month month day-of-week, each `*`, `?` (the two day fields), a
 * value, a range `a-b`, a step `*` `/n`, `a/n` or `a-b/n`, or a comma list of those; months
 * and weekdays also by their English names (JAN, SUN); weekday 7 is Sunday.  The five-field
 * crons of published guides (`0 2 * * 6`) read as six with seconds 0.  As in cron, when both
 * day fields are restricted a day matching either is a match.
 *
 * hv_cron_next walks forward from a time, jumping over whole months, days, hours and minutes
 * that cannot match, so it costs a few hundred steps at most; times are UTC.
 */
#include "base/base.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

typedef struct field {
    int min, max;
    const char *const *names; /* index 0 is the name of min, or NULL */
} field;

static const char *const months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL",
                                     "AUG", "SEP", "OCT", "NOV", "DEC", NULL};
static const char *const weekdays[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL};

static const field fields[6] = {
    {0, 59, NULL}, {0, 59, NULL}, {0, 23, NULL}, {1, 31, NULL}, {1, 12, months}, {0, 7, weekdays},
};

/* A number or a name at *p; advances *p.  false when there is neither. */
static bool value(int *out, const char **p, const field *f) {
    uint64_t v;
    size_t n = 0;

    while (isdigit((unsigned char)(*p)[n]))
        n++;
    if (n > 0 && n <= 4 && hv_parse_u64(*p, n, &v)) {
        *out = (int)v;
        *p += n;
        return true;
    }
    for (int i = 0; f->names && f->names[i]; i++) {
        if (strncasecmp(*p, f->names[i], 3) == 0 && !isalpha((unsigned char)(*p)[3])) {
            *out = f->min + i;
            *p += 3;
            return true;
        }
    }
    return false;
}

/* One comma-separated part of a field into *bits. */
static bool part(uint64_t *bits, bool *any, const char *s, size_t len, const field *f,
                 const char **why) {
    char buf[64];
    const char *p = buf;
    int lo = f->min, hi = f->max, step = 1;
    bool star = false;

    if (len == 0 || len >= sizeof(buf)) {
        *why = len ? "a field is too long" : "a field has an empty list item";
        return false;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (*p == '*' || *p == '?') {
        star = true;
        p++;
    } else {
        if (!value(&lo, &p, f)) {
            *why = "a field holds something other than a number, a name, '*' or '?'";
            return false;
        }
        hi = lo;
        if (*p == '-') {
            p++;
            if (!value(&hi, &p, f)) {
                *why = "a range has no end";
                return false;
            }
        }
    }
    if (*p == '/') {
        uint64_t v;
        p++;
        if (!*p || strlen(p) > 4 || !hv_parse_u64(p, strlen(p), &v) || v == 0) {
            *why = "a step is not a positive number";
            return false;
        }
        step = (int)v;
        p += strlen(p);
        if (!star && hi == lo)
            hi = f->max;
    }
    if (*p) {
        *why = "a field has trailing characters";
        return false;
    }
    if (lo < f->min || hi > f->max || lo > hi) {
        *why = "a value is out of its field's range";
        return false;
    }
    if (star && step == 1)
        *any = true;
    for (int v = lo; v <= hi; v += step)
        *bits |= 1ull << v;
    return true;
}

bool hv_cron_parse(hv_cron *out, const char *spec, const char **why) {
    const char *starts[7];
    size_t lens[7];
    int n = 0;
    const char *p = spec;
    const char *dummy;

    if (!why)
        why = &dummy;
    memset(out, 0, sizeof(*out));
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (n == 6) {
            *why = "a cron has 5 or 6 fields";
            return false;
        }
        starts[n] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        lens[n] = (size_t)(p - starts[n]);
        n++;
    }
    if (n != 5 && n != 6) {
        *why = "a cron has 5 or 6 fields (second minute hour day-of-month month day-of-week)";
        return false;
    }
    for (int i = 0; i < 6; i++) {
        int src = n == 6 ? i : i - 1;
        bool any = false;
        const char *s = src < 0 ? "0" : starts[src];
        size_t len = src < 0 ? 1 : lens[src];

        while (len > 0) {
            const char *comma = memchr(s, ',', len);
            size_t plen = comma ? (size_t)(comma - s) : len;
            if (!part(&out->bits[i], &any, s, plen, &fields[i], why))
                return false;
            if (!comma)
                break;
            if (plen + 1 == len) {
                *why = "a field has an empty list item";
                return false;
            }
            s += plen + 1;
            len -= plen + 1;
        }
        if (i == 3)
            out->dom_any = any;
        if (i == 5)
            out->dow_any = any;
    }
    if (out->bits[5] & (1ull << 7))
        out->bits[5] |= 1; /* 7 is Sunday */
    return true;
}

static bool has(const hv_cron *c, int f, int v) {
    return (c->bits[f] >> v) & 1;
}

static bool day_matches(const hv_cron *c, const struct tm *tm) {
    bool dom = has(c, 3, tm->tm_mday), dow = has(c, 5, tm->tm_wday);

    if (c->dom_any || c->dow_any)
        return dom && dow;
    return dom || dow;
}

int64_t hv_cron_next(const hv_cron *c, int64_t after_ms) {
    time_t t = (time_t)(after_ms / 1000) + 1;
    time_t limit = t + (time_t)5 * 366 * 86400;
    struct tm tm;

    gmtime_r(&t, &tm);
    while (t < limit) {
        if (!has(c, 4, tm.tm_mon + 1)) {
            tm.tm_mon++;
            tm.tm_mday = 1;
            tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        } else if (!day_matches(c, &tm)) {
            tm.tm_mday++;
            tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        } else if (!has(c, 2, tm.tm_hour)) {
            tm.tm_hour++;
            tm.tm_min = tm.tm_sec = 0;
        } else if (!has(c, 1, tm.tm_min)) {
            tm.tm_min++;
            tm.tm_sec = 0;
        } else if (!has(c, 0, tm.tm_sec)) {
            tm.tm_sec++;
        } else {
            return (int64_t)t * 1000;
        }
        t = timegm(&tm); /* normalises the carried field */
        gmtime_r(&t, &tm);
    }
    return -1;
}
