/*
 * libFuzzer target for doublestar globs (the patterns of immutable-tag and retention rules,
 * which come from the network).  The input is "<pattern>\0<name>" (no NUL: the input is the
 * pattern and the name is empty).  Besides memory errors and time, it checks what must hold
 * for any input:
 *   - a malformed pattern matches nothing;
 *   - a pattern without special characters matches exactly itself;
 *   - the name, every byte escaped with '\', matches the name;
 *   - "**" matches every name, "*" every name without '/'.
 */
#include "base/base.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *s = (const char *)data;
    const char *nul = memchr(s, '\0', size);
    size_t plen = nul ? (size_t)(nul - s) : size;
    size_t nlen = nul ? size - plen - 1 : 0;
    /* exact-size copies, so that reading past either end is caught by ASan */
    char *pattern = malloc(plen ? plen : 1);
    char *name = malloc(nlen ? nlen : 1);
    char *escaped = malloc(2 * nlen + 1);
    bool valid, matched, special = false;

    memcpy(pattern, s, plen);
    if (nlen)
        memcpy(name, nul + 1, nlen);

    valid = hv_glob_valid(pattern, plen, NULL);
    matched = hv_glob_match(pattern, plen, name, nlen);
    if (!valid && matched)
        abort();
    for (size_t i = 0; i < plen; i++)
        special |= strchr("*?[]{}\\,", pattern[i]) != NULL && pattern[i] != '\0';
    if (valid && !special && nlen <= HV_GLOB_NAME_MAX &&
        matched != (plen == nlen && memcmp(pattern, name, plen) == 0))
        abort();

    for (size_t i = 0; i < nlen; i++) {
        escaped[2 * i] = '\\';
        escaped[2 * i + 1] = name[i];
    }
    if (2 * nlen <= HV_GLOB_PATTERN_MAX && !hv_glob_match(escaped, 2 * nlen, name, nlen))
        abort();
    if (nlen <= HV_GLOB_NAME_MAX) {
        if (!hv_glob_match("**", 2, name, nlen))
            abort();
        if (hv_glob_match("*", 1, name, nlen) != (memchr(name, '/', nlen) == NULL))
            abort();
    }

    free(escaped);
    free(name);
    free(pattern);
    return 0;
}
