/*
 * v2 — the OCI Distribution API 1.1 over HTTP: /v2/, blobs, uploads, manifests, tags,
 * referrers and the catalog.  Handlers parse the request, resolve the repository (which
 * checks permissions), call one registry function and render its result.
 */
#ifndef HV_V2_H
#define HV_V2_H

#include "http/http.h"
#include "registry/registry.h"

/* Mounts the API at /v2 on the server; reg is borrowed and must outlive the server. */
void hv_v2_mount(hv_http_server *s, hv_registry *reg);

#endif
