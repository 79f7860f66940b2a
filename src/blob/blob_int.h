/* Shared between the files of the blob module only. */
#ifndef HV_BLOB_INT_H
#define HV_BLOB_INT_H

#include "blob/blob.h"

struct hv_blob_store {
    const hv_blob_driver *driver;
};

struct hv_blob_reader {
    hv_blob_store *store;
};

struct hv_blob_writer {
    hv_blob_store *store;
};

struct hv_blob_staged {
    hv_blob_store *store;
};

/* Makes s a store of driver d; a driver written against another version of the struct is a
 * programming error. */
void hv_blob__init(hv_blob_store *s, const hv_blob_driver *d);

#endif
