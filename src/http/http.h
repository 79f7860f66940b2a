/*
 * http — the transport: a libmicrohttpd server with a thread per connection, the request context
 * (hv_req), mounting of API modules by path prefix, streamed request bodies, responses
 * from memory, from a file descriptor (sendfile) or pulled from a callback, error rendering in the
 * envelope of the API that was called, authentication of the caller, X-Request-ID and the access
 * log.
 *
 * A request goes through a handler in three steps: begin (headers are in; authorise and
 * prepare), chunk (each piece of a streamed body) or buffering (bodies up to body_max), and
 * run (body complete; produce the response).  A step that returns an error ends the request
 * with that error rendered from the context's error slot.  ctx.db is a database connection
 * lent to the request in begin and run; chunk runs without one (ctx.db is NULL), since a
 * streamed body can take as long as the client likes.
 */
#ifndef HV_HTTP_H
#define HV_HTTP_H

#include "auth/auth.h"
#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct hv_req hv_req;
typedef struct hv_http_server hv_http_server;

/* Which envelope errors are rendered in. */
typedef enum { HV_API_OCI, HV_API_HARBOR } hv_api_kind;

typedef struct hv_handler {
    /* optional: called once the headers are in */
    hv_err (*begin)(hv_req *r);
    /* optional: called for each piece of the body; when NULL the body is buffered */
    hv_err (*chunk)(hv_req *r, const char *data, size_t len);
    /* called when the whole body has arrived */
    hv_err (*run)(hv_req *r);
    /* optional: called when the request ends, however it ends (releases r->state) */
    void (*cleanup)(hv_req *r);
    /* limit of a buffered body; 0 means no body is accepted */
    size_t body_max;
} hv_handler;

#define HV_REQ_MAX_PARAMS 4

/* The context of one request.  Everything reachable from it dies with it. */
struct hv_req {
    hv_ctx ctx;
    hv_api_kind api;
    const char *method;
    const char *path;                      /* the decoded path, without the query */
    hv_identity who;                       /* the authenticated caller */
    const char *params[HV_REQ_MAX_PARAMS]; /* filled by the mount's router */
    hv_buf body;                           /* a buffered body */
    void *state;                           /* a streaming handler's own state */
    /* the registry scope a 401 on /v2 challenges for ("repository:<name>:pull,push") */
    const char *challenge_scope;
    /* the response being built */
    int status;
    const char *(*headers)[2]; /* n_headers name/value pairs in the arena (hv_resp_header) */
    int n_headers;
    size_t cap_headers;
    const char *resp_body;
    size_t resp_len;
    int resp_fd; /* -1, or a file to send from resp_offset, resp_len bytes (closed after) */
    uint64_t resp_offset;
    /* or a body of resp_len bytes pulled from resp_read (hv_resp_stream) */
    ssize_t (*resp_read)(void *payload, uint64_t pos, char *buf, size_t max);
    void (*resp_free)(void *payload);
    void *resp_payload;
    /* internal to the server */
    struct MHD_Connection *conn;
    hv_http_server *server;
    const hv_handler *handler;
    uint64_t started_ns;
    uint64_t bytes_in;
    bool responded;
    bool failed;
    char request_id_buf[40];
};

/* Returns a request header (case-insensitive name) or NULL; borrowed from the request. */
const char *hv_req_header(hv_req *r, const char *name);
/* Every value of a header joined with ", " (e.g. Accept), or NULL; in the request arena. */
const char *hv_req_header_all(hv_req *r, const char *name);
/* Returns a query parameter or NULL; borrowed from the request. */
const char *hv_req_query(hv_req *r, const char *name);
/* Every value of a repeated query parameter (?scope=a&scope=b), in the request arena. */
const char **hv_req_query_all(hv_req *r, const char *name, size_t *n);

/* Response building; strings are copied into the request arena.  A response may carry any
 * number of headers. */
void hv_resp_header(hv_req *r, const char *name, const char *value);
void hv_resp_body(hv_req *r, int status, const char *content_type, const char *body, size_t len);
/* Sends len bytes of fd from offset (sendfile, or read into a buffer and sent from it for a
 * client on this host); the server closes fd. */
void hv_resp_fd(hv_req *r, int status, const char *content_type, int fd, uint64_t offset,
                uint64_t len);
/*
 * Sends a body of len bytes that read produces piece by piece, up to HV_RESP_BLOCK bytes at a
 * time, from pos 0 on: it returns how many bytes it put into buf (at most max, more than 0),
 * or -1 when the body cannot go on (the connection is then closed, so the client sees a
 * short body rather than a wrong one).  For bodies that are not files (an object store's).
 * The server owns payload from here on and calls free_fn(payload) once, however the request
 * ends (free_fn may be NULL).
 */
#define HV_RESP_BLOCK (1u << 20)
void hv_resp_stream(hv_req *r, int status, const char *content_type, uint64_t len,
                    ssize_t (*read)(void *payload, uint64_t pos, char *buf, size_t max),
                    void (*free_fn)(void *payload), void *payload);
/* A response with no body.  (A HEAD answer that must carry a Content-Length answers with
 * hv_resp_fd: the server sends no body for HEAD.) */
void hv_resp_empty(hv_req *r, int status);
/* The same error rendered in the API's envelope, for handlers that answer an error
 * themselves; the common path is to return the hv_err from a step.  A 500 (HV_E_INTERNAL,
 * _IO, _DB, _CONFIG) tells the client only "internal error; request id <id>": its message
 * (SQLite's words, file paths) goes to the log line with that id. */
void hv_resp_error(hv_req *r);

/* A mount: every request whose path starts with prefix goes to route(), which returns the
 * handler (filling r->params) or NULL after HV_FAIL for an unknown path or method. */
typedef const hv_handler *(*hv_route_fn)(hv_req *r, void *payload);

typedef struct hv_http_config {
    const char *listen;        /* "ADDR:PORT" */
    int max_connections;       /* served at once, each by its own thread */
    int idle_timeout;          /* seconds a connection may stay silent before it is closed */
    const char *realm;         /* Basic realm */
    const char *token_realm;   /* Bearer realm of /v2 challenges, <external URL>/service/token;
                                  NULL: http://<Host of the request>/service/token */
    const char *token_service; /* "harbor-registry" */
    /* opens a database connection for the server's pool */
    hv_err (*open_db)(struct hv_db **out, void *payload);
    void *payload;
    int db_max_open;            /* connections open at most (lent or idle); 0: 64 */
    int db_max_idle;            /* idle connections kept; more are closed when returned */
    int64_t db_max_lifetime_ms; /* a connection this old is closed when returned; 0: never */
} hv_http_config;

/* Creates the server; mount the APIs, then start it. */
hv_err hv_http_new(hv_http_server **out, hv_ctx *ctx, const hv_http_config *cfg);
/* Starts listening and serving. */
hv_err hv_http_start(hv_http_server *s, hv_ctx *ctx);
void hv_http_mount(hv_http_server *s, const char *prefix, hv_api_kind api, hv_route_fn route,
                   void *payload);
/* The bound port (useful with port 0). */
int hv_http_port(hv_http_server *s);
void hv_http_stop(hv_http_server *s); /* accepts NULL */

/*
 * Range of a blob GET: "bytes=a-b", "bytes=a-" or "bytes=-n" against size bytes.
 * Sets the inclusive [start, end].  HV_E_RANGE when well-formed but unsatisfiable;
 * HV_E_BAD_REQUEST when malformed or multi-range (the caller then ignores the header).
 */
hv_err hv_http_range_parse(uint64_t *start, uint64_t *end, hv_ctx *ctx, const char *header,
                           uint64_t size);

/*
 * Content-Range of an upload PATCH: "a-b" (inclusive, as the OCI spec writes it); also
 * accepts "bytes a-b/<size or *>" and "bytes=a-b".  HV_E_RANGE when malformed or b < a.
 */
hv_err hv_http_content_range_parse(uint64_t *start, uint64_t *end, hv_ctx *ctx, const char *header);

#endif
