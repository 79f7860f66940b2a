/* Shared between the files of the v2 module only. */
#ifndef HV_V2_INT_H
#define HV_V2_INT_H

#include "v2/v2.h"

/* The per-request state of every /v2 handler (in the request arena). */
typedef struct hv_v2 {
    hv_registry *reg;
    hv_target t;
    hv_upload_stream *stream;
    int64_t range_start, range_end; /* Content-Range of a chunk, -1 when absent */
} hv_v2;

#define V2(r) ((hv_v2 *)(r)->state)

/* Resolves r->params[0] for the action (permission included) into V2(r)->t.  Every refusal
 * is HV_E_UNAUTHORIZED: /v2 answers a missing permission with a challenge (401), never 403. */
hv_err hv_v2__target(hv_req *r, const char *action);
/* The same for a request about reference (a tag or digest; NULL: none), which a tag
 * resolves along (hv_registry_target_ref). */
hv_err hv_v2__target_ref(hv_req *r, const char *action, const char *reference);
/* Turns the HV_E_DENIED of a permission check in the error slot into HV_E_UNAUTHORIZED. */
hv_err hv_v2__unauthorized(hv_req *r);
/* Answers status with len bytes of blob from offset: by sendfile when the store gives a file
 * descriptor, else streamed from the store.  Takes blob over (closed by the server). */
void hv_v2__send_blob(hv_req *r, int status, const char *content_type, hv_blob_reader *blob,
                      uint64_t offset, uint64_t len);
/* Handlers, by resource. */
extern const hv_handler hv_v2__base, hv_v2__catalog, hv_v2__tags, hv_v2__referrers;
extern const hv_handler hv_v2__blob_get, hv_v2__blob_delete;
extern const hv_handler hv_v2__upload_start, hv_v2__upload_monolithic, hv_v2__upload_patch,
    hv_v2__upload_put, hv_v2__upload_status, hv_v2__upload_cancel;
extern const hv_handler hv_v2__manifest_get, hv_v2__manifest_put, hv_v2__manifest_delete;

#endif
