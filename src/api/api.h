/*
 * api — the Harbor REST API v2.0 under /api/v2.0 (and /service/token), with Harbor's paths,
 * JSON shapes, status codes and error envelope.  Handlers parse the request, ask auth,
 * call a model or service function, and render; the shared conventions (routing with path
 * parameters, JSON bodies, paging with X-Total-Count and Link, the q and sort grammar) live
 * in this module once.
 */
#ifndef HV_API_H
#define HV_API_H

#include "http/http.h"
#include "registry/registry.h"

typedef struct hv_api_config {
    hv_registry *reg;
    const char *external_url; /* e.g. "http://127.0.0.1:5000", for systeminfo and tokens */
    const char *data_dir;     /* for /systeminfo/volumes */
} hv_api_config;

/* Mounts /api/v2.0 and /service/token; cfg (and what it points to) is borrowed and must
 * outlive s. */
void hv_api_mount(hv_http_server *s, const hv_api_config *cfg);

#endif
