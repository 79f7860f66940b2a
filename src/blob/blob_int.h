/* Shared between the files of the blob module only. */
#ifndef HV_BLOB_INT_H
#define HV_BLOB_INT_H

#include "blob/blob.h"

struct hv_blob_store {
    const hv_blob_driver *driver;
};

struct hv_blob_writer {
    hv_blob_store *store;
};

struct hv_blob_staged {
    hv_blob_store *store;
};

#endif
