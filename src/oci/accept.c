/*
 * Accept negotiation for manifest GETs.  Clients send every media type they can read,
 * often over several Accept headers that the server joins with commas.  Quality values
 * and other parameters are ignored: an entry either names the stored media type (case
 * does not matter, RFC 6838), or is a wildcard for all types or for all subtypes of its
 * type ("application/" followed by a star).
 */
#include "oci/oci.h"
#include "oci/oci_int.h"

#include <string.h>
#include <strings.h>

static bool blank(char c) {
    return c == ' ' || c == '\t';
}

const char *hv_oci__media_type_span(const char *s, size_t len, size_t *out_len) {
    size_t start = 0, end;

    while (start < len && blank(s[start]))
        start++;
    end = start;
    while (end < len && s[end] != ';')
        end++;
    while (end > start && blank(s[end - 1]))
        end--;
    *out_len = end - start;
    return s + start;
}

/* Does the Accept entry e[0..len) cover media_type? */
static bool covers(const char *e, size_t len, const char *media_type) {
    const char *slash = strchr(media_type, '/');

    if (len == 3 && memcmp(e, "*/*", 3) == 0)
        return true;
    if (len == strlen(media_type) && strncasecmp(e, media_type, len) == 0)
        return true;
    /* a subtype wildcard: the type part, the slash and the star */
    return slash && len == (size_t)(slash - media_type) + 2 && e[len - 1] == '*' &&
           strncasecmp(e, media_type, len - 1) == 0;
}

bool hv_oci_accepts(const char *accept, const char *media_type) {
    bool any = false;
    const char *p = accept;

    if (!accept)
        return true;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t elen = comma ? (size_t)(comma - p) : strlen(p);
        size_t tlen;
        const char *t = hv_oci__media_type_span(p, elen, &tlen);

        if (tlen > 0) {
            any = true;
            if (covers(t, tlen, media_type))
                return true;
        }
        if (!comma)
            break;
        p = comma + 1;
    }
    /* an Accept made only of blanks and commas expresses no preference */
    return !any;
}
