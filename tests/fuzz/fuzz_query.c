/*
 * libFuzzer target for Harbor's q grammar (hv_api__parse_q): the input is the q value.  A
 * parse that succeeds yields terms with a non-empty key and the value count its operator
 * implies (one for k=v and k=~v, two slots for a range).
 */
#include "api/api_int.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    hv_ctx ctx = {.arena = hv_arena_new()};
    hv_query_term *terms = NULL;
    size_t n = 0;
    char *q = malloc(size + 1);

    memcpy(q, data, size);
    q[size] = '\0';
    if (hv_api__parse_q(&terms, &n, &ctx, q) == HV_OK) {
        for (size_t i = 0; i < n; i++) {
            assert(terms[i].key && terms[i].key[0]);
            if (terms[i].op == HV_Q_EXACT || terms[i].op == HV_Q_FUZZY)
                assert(terms[i].n_values == 1 && terms[i].values[0]);
            if (terms[i].op == HV_Q_RANGE)
                assert(terms[i].n_values == 2);
        }
    }
    free(q);
    hv_arena_free(ctx.arena);
    return 0;
}
