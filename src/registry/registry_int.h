/* Shared between the files of the registry module only. */
#ifndef HV_REGISTRY_INT_H
#define HV_REGISTRY_INT_H

#include "registry/registry.h"

struct hv_registry {
    hv_blob_store *blobs;
    hv_registry_config cfg;
};

/* Publishes an event whose payload is a JSON object of the given string pairs
 * (key, value, ..., NULL), plus the operator from ctx->actor. */
hv_err hv_registry__publish(hv_ctx *ctx, const char *type, ...);
/* The same payload, built for a volatile event. */
void hv_registry__publish_volatile(hv_ctx *ctx, const char *type, ...);

#endif
