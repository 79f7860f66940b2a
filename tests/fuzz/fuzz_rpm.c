/* libFuzzer target for rpm's rpmdb.sqlite and the header blobs in it (fuzz_pkgdb.h says what it
 * checks). */
#include "fuzz_pkgdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_pkgdb(hv_scan__rpm_parse, "var/lib/rpm/rpmdb.sqlite", data, size);
}
