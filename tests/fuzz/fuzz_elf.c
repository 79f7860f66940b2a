/*
 * libFuzzer target for the binary analyzer: the input is an executable file, read for Go's
 * build information (both forms) and cargo-auditable's .dep-v0.  It never reads outside the
 * file, whatever its headers say, and either succeeds with complete packages or fails with
 * HV_E_BAD_REQUEST.
 */
#include "../unit/scan/lang_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lang_fuzz_one("binary", "usr/local/bin/app", data, size);
    return 0;
}
