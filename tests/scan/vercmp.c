/*
 * The version comparators as a filter, for the differential tests (tests/e2e/test_scan_version.py):
 * each input line is "scheme<TAB>a<TAB>b" or "scheme<TAB>v"; each output line is the sign of
 * comparing a with b (-1, 0, 1), or "valid" for a single version, or "error: <why>".
 * Schemes: dpkg apk rpm semver go pep440 maven rubygems nuget composer.
 */
#include "scan/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {
    [HV_VS_DPKG] = "dpkg",   [HV_VS_APK] = "apk",
    [HV_VS_RPM] = "rpm",     [HV_VS_SEMVER] = "semver",
    [HV_VS_GO] = "go",       [HV_VS_PEP440] = "pep440",
    [HV_VS_MAVEN] = "maven", [HV_VS_RUBYGEMS] = "rubygems",
    [HV_VS_NUGET] = "nuget", [HV_VS_COMPOSER] = "composer",
};

int main(void) {
    char line[4096];

    while (fgets(line, sizeof(line), stdin)) {
        hv_ctx ctx = {.arena = hv_arena_new()};
        char *fields[3] = {line, NULL, NULL};
        size_t s, nf = 1;
        int cmp;

        line[strcspn(line, "\n")] = '\0';
        for (char *p = line; *p && nf < 3; p++)
            if (*p == '\t') {
                *p = '\0';
                fields[nf++] = p + 1;
            }
        for (s = 0; s < sizeof(names) / sizeof(names[0]); s++)
            if (strcmp(names[s], fields[0]) == 0)
                break;
        if (s == sizeof(names) / sizeof(names[0]) || nf < 2) {
            fprintf(stderr, "vercmp: bad line (want scheme<TAB>a[<TAB>b]): %s\n", line);
            hv_arena_free(ctx.arena);
            return 2;
        }
        if (nf == 2) {
            if (hv_scan_version_valid((hv_scan_scheme)s, fields[1]))
                puts("valid");
            else if (hv_scan_version_cmp(&cmp, &ctx, (hv_scan_scheme)s, fields[1], fields[1]))
                printf("error: %s\n", ctx.err.message);
        } else if (hv_scan_version_cmp(&cmp, &ctx, (hv_scan_scheme)s, fields[1], fields[2])) {
            printf("error: %s\n", ctx.err.message);
        } else {
            printf("%d\n", cmp);
        }
        hv_arena_free(ctx.arena);
    }
    return 0;
}
