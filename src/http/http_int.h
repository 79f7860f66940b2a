/*
 * Internals of the http module shared by its files; not included from outside.
 */
#ifndef HV_HTTP_INT_H
#define HV_HTTP_INT_H

#include "http/http.h"

#include <sys/socket.h>

typedef struct hv_http__listener hv_http__listener;

/* Takes a connection whose client spoke first, and not with a TLS handshake; owns fd. */
typedef void (*hv_http__accept_fn)(int fd, const struct sockaddr *addr, socklen_t addr_len,
                                   void *payload);

/*
 * Listens on sa and runs a thread that accepts connections and looks at the first byte each
 * client sends before handing the connection to fn: a TLS handshake gets an HTTP 400 (so
 * that a client that tries https first, as Docker does, learns at once that this port speaks
 * plain HTTP), and a client that sends nothing within idle_timeout seconds is closed.
 * HV_E_CONFIG when the address cannot be bound.
 */
hv_err hv_http__listener_start(hv_http__listener **out, hv_ctx *ctx,
                               const struct sockaddr_storage *sa, int idle_timeout,
                               hv_http__accept_fn fn, void *payload);
/* The bound port. */
int hv_http__listener_port(const hv_http__listener *l);
/* Stops accepting, closes the connections not yet handed over; accepts NULL. */
void hv_http__listener_stop(hv_http__listener *l);

#endif
