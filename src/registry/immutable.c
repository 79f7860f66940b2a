/*
 * Immutable tags: a tag is immutable when an enabled rule of its project matches both the
 * repository (scope selectors) and the tag (tag selectors).
 */
#include "registry/registry_int.h"

hv_err hv_registry__immutable(bool *immutable, hv_ctx *ctx, const hv_target *t, const char *tag) {
    const char **rules;
    size_t n;
    hv_err rc = hv_model_immutable_rules(&rules, &n, ctx, t->project.id);

    (void)tag;
    *immutable = false;
    /* rules are matched once the immutable-tag rules API lands; until then none can exist */
    return rc;
}
