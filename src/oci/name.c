/*
 * Repository names, tags and digests: the grammars of the OCI distribution spec and of the
 * image spec's descriptor, checked by hand-written scanners over (pointer, length) so that
 * path segments need not be NUL-terminated and no regex engine is involved.
 *
 * A name is a state machine over its bytes: a separator (".", "_", "__" or a run of "-")
 * may only follow a lower-case letter or digit, "/" starts a new component, and the name
 * must end on a letter or digit.
 */
#include "oci/oci.h"
#include "oci/oci_int.h"

#include <string.h>

/* How a message quotes an algorithm name: enough to recognise it, never the whole input. */
#define ALG_SHOWN_MAX 32

static bool lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool lower_hex(char c) {
    return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
}

static bool tag_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

static bool encoded_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '=' ||
           c == '_' || c == '-';
}

bool hv_oci_name_valid(const char *name, size_t len) {
    /* what the previous byte was */
    enum { START, ALNUM, DOT, UNDER1, UNDER2, DASH } state = START;

    if (len == 0 || len > HV_OCI_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];

        if (lower_alnum(c)) {
            state = ALNUM;
        } else if (c == '.' && state == ALNUM) {
            state = DOT;
        } else if (c == '_' && (state == ALNUM || state == UNDER1)) {
            state = state == ALNUM ? UNDER1 : UNDER2;
        } else if (c == '-' && (state == ALNUM || state == DASH)) {
            state = DASH;
        } else if (c == '/' && state == ALNUM) {
            state = START;
        } else {
            return false;
        }
    }
    return state == ALNUM;
}

bool hv_oci_tag_valid(const char *tag, size_t len) {
    if (len == 0 || len > HV_OCI_TAG_MAX)
        return false;
    if (tag[0] == '.' || tag[0] == '-')
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!tag_char(tag[i]))
            return false;
    }
    return true;
}

static bool all_lower_hex(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (!lower_hex(s[i]))
            return false;
    }
    return true;
}

const char *hv_oci__digest_shape(const char *digest, size_t len, size_t *alg_len) {
    size_t colon = 0;
    const char *enc;
    size_t enc_len;

    while (colon < len && digest[colon] != ':')
        colon++;
    if (colon == len)
        return "a digest is algorithm:encoded, e.g. sha256:<64 hex characters>";
    if (colon == 0)
        return "the digest algorithm is empty";
    /* algorithm: [a-z0-9]+ components joined by single [+._-] separators */
    for (size_t i = 0; i < colon; i++) {
        char c = digest[i];
        bool sep = c == '+' || c == '.' || c == '_' || c == '-';

        if (!sep && !lower_alnum(c))
            return "the digest algorithm may only hold a-z, 0-9 and single + . _ - separators";
        if (sep && (i == 0 || i == colon - 1 || !lower_alnum(digest[i - 1])))
            return "the digest algorithm may only hold a-z, 0-9 and single + . _ - separators";
    }
    enc = digest + colon + 1;
    enc_len = len - colon - 1;
    if (enc_len == 0)
        return "the encoded part of the digest is empty";
    for (size_t i = 0; i < enc_len; i++) {
        if (!encoded_char(enc[i]))
            return "the encoded part of the digest may only hold a-z, A-Z, 0-9, =, _ and -";
    }
    if (colon == 6 && memcmp(digest, "sha256", 6) == 0 &&
        (enc_len != 64 || !all_lower_hex(enc, enc_len)))
        return "a sha256 digest has exactly 64 lower-case hex characters";
    if (colon == 6 && memcmp(digest, "sha512", 6) == 0 &&
        (enc_len != 128 || !all_lower_hex(enc, enc_len)))
        return "a sha512 digest has exactly 128 lower-case hex characters";
    *alg_len = colon;
    return NULL;
}

hv_err hv_oci_digest_check(hv_ctx *ctx, const char *digest, size_t len) {
    size_t alg_len = 0;
    const char *why = hv_oci__digest_shape(digest, len, &alg_len);

    if (why)
        return HV_FAIL(ctx, HV_E_DIGEST_INVALID, "invalid digest: %s", why);
    if (alg_len == 6 && memcmp(digest, "sha256", 6) == 0)
        return HV_OK;
    return HV_FAIL(ctx, HV_E_DIGEST_INVALID,
                   "unsupported digest algorithm %.*s%s: this registry stores sha256 digests only",
                   (int)(alg_len > ALG_SHOWN_MAX ? ALG_SHOWN_MAX : alg_len), digest,
                   alg_len > ALG_SHOWN_MAX ? "..." : "");
}

bool hv_oci_reference_is_digest(const char *reference) {
    return reference && strchr(reference, ':') != NULL;
}
