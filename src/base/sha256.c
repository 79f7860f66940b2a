/*
 * SHA-256 through OpenSSL's SHA256_CTX (the same assembly as EVP).  The low-level API is
 * used on purpose: its state is a plain struct, so a chunked upload can store the running
 * hash next to its bytes and any node can continue it.  EVP offers no such export.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "base.h"

#include <openssl/sha.h>
#include <string.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((hv_sha256 *)0)->state), "SHA256_CTX too big");

void hv_sha256_init(hv_sha256 *h) {
    memset(h, 0, sizeof(*h));
    SHA256_Init((SHA256_CTX *)h->state);
}

void hv_sha256_update(hv_sha256 *h, const void *data, size_t n) {
    SHA256_Update((SHA256_CTX *)h->state, data, n);
}

void hv_sha256_final(hv_sha256 *h, char out[HV_DIGEST_MAX]) {
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256_Final(md, (SHA256_CTX *)h->state);
    memcpy(out, "sha256:", 7);
    hv_hex(out + 7, md, sizeof(md));
}

void hv_sha256_digest(char out[HV_DIGEST_MAX], const void *data, size_t n) {
    hv_sha256 h;

    hv_sha256_init(&h);
    hv_sha256_update(&h, data, n);
    hv_sha256_final(&h, out);
}
