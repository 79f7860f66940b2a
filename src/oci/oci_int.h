/*
 * Internals shared by the files of src/oci; never included from outside the module.
 */
#ifndef HV_OCI_INT_H
#define HV_OCI_INT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Checks the digest grammar of the image spec for any algorithm (sha256 and sha512 also
 * by their encoded length).  Returns NULL and sets *alg_len (the bytes before ':') when the
 * digest is well-formed; otherwise a static sentence saying what is wrong.
 */
const char *hv_oci__digest_shape(const char *digest, size_t len, size_t *alg_len);

/*
 * The bare media type of s[0..len): leading and trailing blanks and any ";param" dropped.
 * Returns where it starts inside s and sets *out_len (0 when there is none).
 */
const char *hv_oci__media_type_span(const char *s, size_t len, size_t *out_len);

#endif
