/*
 * Logging: one line per call on stderr, with a UTC timestamp and the level.  hv_log checks
 * the level before any argument is formatted; lines are written with one write(2) so that
 * lines of concurrent threads do not interleave.
 */
#include "base.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

hv_log_level hv_log_threshold = HV_LOG_INFO;

static const char *names[] = {"debug", "info", "warn", "error", "off"};

int hv_log_level_parse(const char *name) {
    for (int i = 0; i <= HV_LOG_OFF; i++) {
        if (strcmp(name, names[i]) == 0)
            return i;
    }
    return -1;
}

void hv_log_write(hv_log_level level, const char *fmt, ...) {
    char line[4096];
    char ts[32];
    va_list ap;
    int n;

    hv_time_format(ts, hv_now_ms());
    n = snprintf(line, sizeof(line), "%s %-5s ", ts, names[level]);
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* nowhere left to report it */
    }
}
