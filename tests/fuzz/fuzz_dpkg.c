/* libFuzzer target for dpkg's status file (fuzz_pkgdb.h says what it checks). */
#include "fuzz_pkgdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_pkgdb(hv_scan__dpkg_parse, "var/lib/dpkg/status", data, size);
}
