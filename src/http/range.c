/*
 * The two byte-range headers a registry reads.
 *
 * Range (RFC 7233) on blob GETs: one "bytes=" range, first-last, first- or -suffix.  A range
 * the server will not serve as asked (malformed, another unit, several ranges) is
 * HV_E_BAD_REQUEST, which tells the caller to ignore the header and send the whole blob, as
 * RFC 7233 allows; a well-formed range that misses the blob is HV_E_RANGE (416).  Numbers
 * larger than 64 bits saturate: such a first position misses any blob, such a last position
 * reaches its end.
 *
 * Content-Range on upload PATCHes, as the OCI spec writes it ("a-b"), or in the RFC form
 * "bytes a-b/length" where the length may be a star, or as "bytes=a-b".  Anything else,
 * and any position past INT64_MAX, is HV_E_RANGE.
 */
#include "http/http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SHOWN_MAX 64 /* how much of a header a message quotes */

static bool ows(char c) {
    return c == ' ' || c == '\t';
}

static bool digit(char c) {
    return c >= '0' && c <= '9';
}

/* Trims blanks around s[0..*len) and returns the new start. */
static const char *trim(const char *s, size_t *len) {
    while (*len > 0 && ows(s[0])) {
        s++;
        (*len)--;
    }
    while (*len > 0 && ows(s[*len - 1]))
        (*len)--;
    return s;
}

/*
 * Reads the decimal number at s[*i..len).  Returns false when there is no digit there.
 * A value past UINT64_MAX saturates and sets *overflow.
 */
static bool number(uint64_t *out, bool *overflow, const char *s, size_t len, size_t *i) {
    uint64_t v = 0;
    size_t start = *i;

    *overflow = false;
    for (; *i < len && digit(s[*i]); (*i)++) {
        unsigned d = (unsigned)(s[*i] - '0');

        if (v > (UINT64_MAX - d) / 10) {
            *overflow = true;
            v = UINT64_MAX;
        } else {
            v = v * 10 + d;
        }
    }
    *out = v;
    return *i > start;
}

static bool has_prefix_ci(const char *s, size_t len, const char *prefix) {
    size_t n = strlen(prefix);

    return len >= n && strncasecmp(s, prefix, n) == 0;
}

/* The single non-empty element of the comma list s[0..len), or NULL (none, or several). */
static const char *single_element(const char *s, size_t len, size_t *out_len, bool *several) {
    const char *found = NULL;
    size_t i = 0;

    *several = false;
    while (i <= len) {
        size_t j = i, elen;
        const char *e;

        while (j < len && s[j] != ',')
            j++;
        elen = j - i;
        e = trim(s + i, &elen);
        if (elen > 0) {
            if (found) {
                *several = true;
                return NULL;
            }
            found = e;
            *out_len = elen;
        }
        i = j + 1;
    }
    return found;
}

/*
 * The syntax of one byte-range-spec: "first-last" (last >= first), "first-" (*open) or
 * "-suffix" (*suffix, the length in *last).  Saturated numbers are well-formed.
 */
static bool range_spec(uint64_t *first, uint64_t *last, bool *suffix, bool *open, const char *s,
                       size_t len) {
    size_t i = 0;
    bool over;

    *first = *last = 0;
    *suffix = len > 0 && s[0] == '-';
    *open = false;
    if (*suffix) {
        i = 1;
        return number(last, &over, s, len, &i) && i == len;
    }
    if (!number(first, &over, s, len, &i) || i == len || s[i++] != '-')
        return false;
    if (i == len) {
        *open = true;
        return true;
    }
    return number(last, &over, s, len, &i) && i == len && *last >= *first;
}

hv_err hv_http_range_parse(uint64_t *start, uint64_t *end, hv_ctx *ctx, const char *header,
                           uint64_t size) {
    size_t len = header ? strlen(header) : 0;
    const char *s = header ? trim(header, &len) : "";
    int shown = (int)(len > SHOWN_MAX ? SHOWN_MAX : len);
    const char *spec;
    size_t spec_len = 0;
    bool several, suffix, open;
    uint64_t first, last;

    if (!has_prefix_ci(s, len, "bytes="))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "unsupported Range \"%.*s\": only bytes=first-last is supported", shown, s);
    spec = single_element(s + 6, len - 6, &spec_len, &several);
    if (!spec)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "Range %s: ask for a single bytes=first-last",
                       several ? "with several ranges is not supported" : "is empty");
    if (!range_spec(&first, &last, &suffix, &open, spec, spec_len))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "malformed Range \"%.*s\": expected bytes=first-last, bytes=first- or "
                       "bytes=-suffix",
                       shown, s);
    if (size == 0 || (suffix && last == 0) || (!suffix && first >= size))
        return HV_FAIL(ctx, HV_E_RANGE,
                       "Range \"%.*s\" is not satisfiable: the blob has %llu bytes", shown, s,
                       (unsigned long long)size);
    if (suffix) {
        *start = last >= size ? 0 : size - last;
        *end = size - 1;
    } else {
        *start = first;
        *end = open || last >= size ? size - 1 : last;
    }
    return HV_OK;
}

/*
 * A byte position of a Content-Range.  Blob sizes and offsets are int64 everywhere else, so
 * a position past INT64_MAX is refused here rather than turned negative by a caller.
 */
static bool position(uint64_t *out, const char *s, size_t len, size_t *i) {
    bool over;

    return number(out, &over, s, len, i) && !over && *out <= INT64_MAX;
}

/* The syntax of a Content-Range. */
static bool content_range(uint64_t *first, uint64_t *last, const char *s, size_t len) {
    size_t i = 0;
    bool rfc_form = false;
    uint64_t total;

    if (has_prefix_ci(s, len, "bytes=")) {
        i = 6;
    } else if (has_prefix_ci(s, len, "bytes ")) {
        rfc_form = true;
        for (i = 6; i < len && ows(s[i]);)
            i++;
    }
    if (!position(first, s, len, &i) || i == len || s[i++] != '-')
        return false;
    if (!position(last, s, len, &i))
        return false;
    if (rfc_form && i < len && s[i] == '/') {
        i++;
        if (i < len && s[i] == '*')
            i++;
        else if (!position(&total, s, len, &i) || total <= *last)
            return false;
    }
    return i == len;
}

hv_err hv_http_content_range_parse(uint64_t *start, uint64_t *end, hv_ctx *ctx,
                                   const char *header) {
    size_t len = header ? strlen(header) : 0;
    const char *s = header ? trim(header, &len) : "";
    int shown = (int)(len > SHOWN_MAX ? SHOWN_MAX : len);
    uint64_t first, last;

    if (!content_range(&first, &last, s, len))
        return HV_FAIL(ctx, HV_E_RANGE,
                       "malformed Content-Range \"%.*s\": expected first-last, e.g. 0-1023", shown,
                       s);
    if (last < first)
        return HV_FAIL(ctx, HV_E_RANGE,
                       "Content-Range \"%.*s\" ends before it starts: send first-last with "
                       "last >= first",
                       shown, s);
    *start = first;
    *end = last;
    return HV_OK;
}
