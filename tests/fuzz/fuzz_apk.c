/* libFuzzer target for apk's installed database (fuzz_pkgdb.h says what it checks). */
#include "fuzz_pkgdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return fuzz_pkgdb(hv_scan__apk_parse, "lib/apk/db/installed", data, size);
}
