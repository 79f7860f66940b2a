/*
 * libFuzzer target for the OSV record parser and the CVSS v3 and v4 scorers.  The input is parsed
 * as one OSV record: a record that parses must have an id, every affected entry its
 * ecosystem, package and something to match (ranges or versions), and its CVSS v3 score
 * and v4 scores (when kept) must lie in [0, 10]; one that does not parse must say so with
 * HV_E_BAD_REQUEST.  The same bytes are then scored as a CVSS vector, whose score, when
 * there is one, must lie in [0, 10] too.
 */
#include "scan/vulndb_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_scan__advisory adv;
    const char *why;
    double score;
    char *text;
    hv_err rc = hv_scan__osv_parse(&adv, &ctx, (const char *)data, size);

    if (rc == HV_OK && !adv.withdrawn) {
        if (!adv.rec.id || !*adv.rec.id || !adv.rec.ids || !adv.rec.links || !adv.rec.cwe_ids)
            abort();
        if (adv.rec.cvss3_vector && (adv.rec.cvss3_score10 < 0 || adv.rec.cvss3_score10 > 100))
            abort();
        if (adv.rec.cvss4_vector && (adv.rec.cvss4_score10 < 0 || adv.rec.cvss4_score10 > 100))
            abort();
        for (size_t i = 0; i < adv.n_affected; i++) {
            const hv_vuln_affected *a = &adv.affected[i];

            if (!*a->ecosystem || !*a->package || (!*a->ranges && !a->versions))
                abort();
        }
    }
    if (rc != HV_OK && (rc != HV_E_BAD_REQUEST || ctx.err.code != rc))
        abort();

    text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    if (hv_scan_cvss3_score(&score, text, &why) && (score < 0.0 || score > 10.0))
        abort();
    if (hv_scan_cvss4_score(&score, text, &why) && (score < 0.0 || score > 10.0))
        abort();
    free(text);
    hv_arena_free(ctx.arena);
    return 0;
}
