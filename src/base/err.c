/*
 * The error table and the error slot of a context.  HV_FAIL records the message a user will
 * see and the file and line that noticed the problem, which only the log shows.
 */
#include "base.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static const hv_err_info table[] = {
#define HV_ERR_ROW(code, http, oci, harbor) {#code, http, oci, harbor},
    HV_ERRORS(HV_ERR_ROW)
#undef HV_ERR_ROW
};

const hv_err_info *hv_err_lookup(hv_err err) {
    assert(err >= 0 && err < HV_ERR__COUNT);
    return &table[err];
}

hv_err hv_fail_at(hv_ctx *ctx, const char *file, int line, hv_err code, const char *fmt, ...) {
    va_list ap;

    assert(code != HV_OK);
    ctx->err.code = code;
    ctx->err.file = file;
    ctx->err.line = line;
    ctx->err.retry_after = 0;
    va_start(ap, fmt);
    vsnprintf(ctx->err.message, sizeof(ctx->err.message), fmt, ap);
    va_end(ap);
    return code;
}

void hv_error_clear(hv_ctx *ctx) {
    memset(&ctx->err, 0, sizeof(ctx->err));
}
