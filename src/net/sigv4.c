/*
 * AWS Signature Version 4, for S3 and any other service that speaks it.  A signature is
 * HMAC-SHA256 over a "string to sign" (the algorithm, the time, the credential scope and the
 * SHA-256 of the canonical request), keyed by a key derived from the secret, the date, the
 * region and the service.  The canonical request is the method, the encoded path, the
 * sorted encoded query, the signed headers (lower-cased names, trimmed values, sorted), the
 * list of their names and the payload's hash, one per line.  Presigning puts the same into
 * the query (X-Amz-*) and signs only the host, with an unsigned payload.
 *
 * Everything here is a pure function of its arguments; tests check it against the examples
 * AWS publishes with the specification.
 */
#include "net/net.h"

#include <assert.h>
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ALGORITHM "AWS4-HMAC-SHA256"
#define TEXT_MAX  (1u << 24) /* a canonical request is far smaller */

char *hv_net_uri_encode(hv_arena *arena, const char *s, bool encode_slash) {
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = hv_arena_alloc(arena, 3 * n + 1), *p = out;

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
            (c == '/' && !encode_slash)) {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p = '\0';
    return out;
}

void hv_net_amz_date(char out[17], int64_t t) {
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static void hmac(unsigned char out[32], const void *key, size_t key_len, const char *data) {
    unsigned int len = 32;

    HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data, strlen(data), out, &len);
}

static void to_hex(char *out, const unsigned char *in, size_t n) {
    static const char hex[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The hex signature of canonical request cr made at amz_date. */
static void sign(char out[65], hv_arena *arena, const hv_net_sigv4 *k, const char *amz_date,
                 const char *cr) {
    unsigned char key[32], sig[32];
    char digest[HV_DIGEST_MAX];
    const char *secret = hv_arena_printf(arena, "AWS4%s", k->secret_key);
    const char *sts;

    hv_sha256_digest(digest, cr, strlen(cr));
    sts = hv_arena_printf(arena, ALGORITHM "\n%s\n%.8s/%s/%s/aws4_request\n%s", amz_date, amz_date,
                          k->region, k->service, digest + 7);
    hmac(key, secret, strlen(secret), hv_arena_strndup(arena, amz_date, 8));
    hmac(key, key, sizeof(key), k->region);
    hmac(key, key, sizeof(key), k->service);
    hmac(key, key, sizeof(key), "aws4_request");
    hmac(sig, key, sizeof(key), sts);
    to_hex(out, sig, sizeof(sig));
}

typedef struct header {
    char *name;
    char *value;
} header;

static int header_cmp(const void *a, const void *b) {
    return strcmp(((const header *)a)->name, ((const header *)b)->name);
}

/* "name: value" as SigV4 wants it: name lower-cased, value trimmed, inner runs of spaces
 * folded into one. */
static header canonical_header(hv_arena *arena, const char *line) {
    const char *colon = strchr(line, ':');
    header h;
    char *v;
    size_t j = 0;

    assert(colon);
    h.name = hv_arena_strndup(arena, line, (size_t)(colon - line));
    for (char *p = h.name; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    v = hv_arena_strdup(arena, colon + 1);
    for (size_t i = 0; v[i]; i++) {
        if (v[i] == ' ' && (j == 0 || v[j - 1] == ' '))
            continue;
        v[j++] = v[i];
    }
    while (j > 0 && v[j - 1] == ' ')
        j--;
    v[j] = '\0';
    h.value = v;
    return h;
}

char *hv_net_sigv4_authorization(hv_arena *arena, const hv_net_sigv4 *keys, const char *method,
                                 const char *canonical_uri, const char *canonical_query,
                                 const char *const *headers, size_t n, const char *payload_hash,
                                 const char *amz_date) {
    header *hs = hv_arena_alloc(arena, (n ? n : 1) * sizeof(*hs));
    hv_buf cr, names;
    char sig[65];
    char *out;

    for (size_t i = 0; i < n; i++)
        hs[i] = canonical_header(arena, headers[i]);
    qsort(hs, n, sizeof(*hs), header_cmp);
    hv_buf_init(&cr, TEXT_MAX);
    hv_buf_init(&names, TEXT_MAX);
    if (hv_buf_appendf(&cr, "%s\n%s\n%s\n", method, canonical_uri, canonical_query))
        abort();
    for (size_t i = 0; i < n; i++) {
        if (hv_buf_appendf(&cr, "%s:%s\n", hs[i].name, hs[i].value) ||
            hv_buf_appendf(&names, "%s%s", i ? ";" : "", hs[i].name))
            abort();
    }
    if (hv_buf_appendf(&cr, "\n%s\n%s", names.data ? names.data : "", payload_hash))
        abort();
    sign(sig, arena, keys, amz_date, cr.data);
    out = hv_arena_printf(arena,
                          ALGORITHM " Credential=%s/%.8s/%s/%s/aws4_request,SignedHeaders=%s,"
                                    "Signature=%s",
                          keys->access_key, amz_date, keys->region, keys->service,
                          names.data ? names.data : "", sig);
    hv_buf_free(&cr);
    hv_buf_free(&names);
    return out;
}

/* Compares two "name=value" parameters by name, then value. */
static int param_cmp(const void *a, const void *b) {
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    size_t nx = strcspn(x, "="), ny = strcspn(y, "=");
    int c = strncmp(x, y, nx < ny ? nx : ny);

    if (c)
        return c;
    if (nx != ny)
        return nx < ny ? -1 : 1;
    return strcmp(x, y);
}

char *hv_net_sigv4_presign(hv_arena *arena, const hv_net_sigv4 *keys, const char *method,
                           const char *host, const char *canonical_uri, const char *canonical_query,
                           const char *amz_date, int64_t expires) {
    const char *credential = hv_arena_printf(arena, "%s/%.8s/%s/%s/aws4_request", keys->access_key,
                                             amz_date, keys->region, keys->service);
    char *rest = hv_arena_strdup(arena, canonical_query);
    const char *params[64];
    size_t n = 0;
    hv_buf q;
    char sig[65];
    const char *cr, *out;

    params[n++] = "X-Amz-Algorithm=" ALGORITHM;
    params[n++] =
        hv_arena_printf(arena, "X-Amz-Credential=%s", hv_net_uri_encode(arena, credential, true));
    params[n++] = hv_arena_printf(arena, "X-Amz-Date=%s", amz_date);
    params[n++] = hv_arena_printf(arena, "X-Amz-Expires=%lld", (long long)expires);
    params[n++] = "X-Amz-SignedHeaders=host";
    for (char *p = rest; p && *p;) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        assert(n < sizeof(params) / sizeof(params[0]));
        params[n++] = p;
        p = amp ? amp + 1 : NULL;
    }
    qsort(params, n, sizeof(params[0]), param_cmp);
    hv_buf_init(&q, TEXT_MAX);
    for (size_t i = 0; i < n; i++) {
        if (hv_buf_appendf(&q, "%s%s", i ? "&" : "", params[i]))
            abort();
    }
    cr = hv_arena_printf(arena, "%s\n%s\n%s\nhost:%s\n\nhost\nUNSIGNED-PAYLOAD", method,
                         canonical_uri, q.data, host);
    sign(sig, arena, keys, amz_date, cr);
    out = hv_arena_printf(arena, "%s&X-Amz-Signature=%s", q.data, sig);
    hv_buf_free(&q);
    return (char *)out;
}
