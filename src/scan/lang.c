/*
 * The language ecosystems' analyzers (npm, Python, Go binaries, Java, Rust, Ruby, PHP, .NET):
 * none yet, the list is their place in the walker's contract (scan_int.h).
 */
#include "scan/scan_int.h"

const hv_scan_analyzer hv_scan_lang_analyzers[] = {{0}};
