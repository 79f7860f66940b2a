/* Shared between the files of the scanner module only. */
#ifndef HV_SCANNER_INT_H
#define HV_SCANNER_INT_H

#include "scanner/scanner.h"

/* The credential of reg in the clear (arena; "" when it has none). */
hv_err hv_scanner__credential(const char **out, hv_ctx *ctx, const hv_scanner_reg *reg);

/* Checks the fields of Harbor's ScannerRegistrationSettings (name, url, auth, credential):
 * HV_E_BAD_REQUEST naming the one that is wrong. */
hv_err hv_scanner__check_settings(hv_ctx *ctx, const hv_scanner_input *in);

/* Registers the scan job kind with cfg (scan.c). */
void hv_scanner__scan_init(const hv_scanner_config *cfg);

#endif
