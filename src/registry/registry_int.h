/* Shared between the files of the registry module only. */
#ifndef HV_REGISTRY_INT_H
#define HV_REGISTRY_INT_H

#include "registry/registry.h"

struct hv_registry {
    hv_blob_store *blobs;
    hv_registry_config cfg;
};

#endif
