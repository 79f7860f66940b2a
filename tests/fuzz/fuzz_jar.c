/*
 * libFuzzer target for the Java archive analyzer: the input is a jar (a zip, perhaps with
 * jars inside).  It either succeeds with complete packages or fails with HV_E_BAD_REQUEST,
 * and never holds more than its byte budget of inflated entries.
 */
#include "../unit/scan/lang_test.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lang_fuzz_one("jar", "app/lib/app.jar", data, size);
    return 0;
}
