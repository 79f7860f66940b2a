/*
 * net — outbound HTTP on libcurl, for the S3 blob driver today and for replication, the
 * proxy cache, webhooks and scanners later.  Two ways to send a request:
 *
 *   hv_net_perform        the whole exchange in one call: the response body goes into a
 *                         bounded buffer or to a sink callback; failures that another try
 *                         may cure (no connection, a timeout, 429, 500, 502, 503, 504) are
 *                         retried with exponential backoff and jitter
 *   hv_net_stream_open    a response body that the caller pulls piece by piece
 *                         (hv_net_stream_read), for relaying a large body to a client that
 *                         reads at its own pace: one request, and only the piece in flight
 *                         is held in memory
 *
 * A thread keeps one curl handle between requests (so connections to a server are kept
 * alive and reused), freed when the thread ends.  Only http:// and https:// are spoken;
 * redirects are not followed.  A server that answers, with any status, is a success of the
 * exchange: the caller reads resp.status.  No answer after the last try is HV_E_UNAVAILABLE.
 *
 * SigV4 (sigv4.c) signs requests to AWS-style services: a pure function of the request's
 * parts, keys and time, checked against AWS's published examples.
 */
#ifndef HV_NET_H
#define HV_NET_H

#include "base/base.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HV_NET_ATTEMPTS      4          /* tries of a request that may be retried */
#define HV_NET_CONNECT_MS    10000      /* to establish a connection */
#define HV_NET_STALL_S       30         /* a transfer slower than 1 KiB/s this long is cut */
#define HV_NET_ERROR_BODY    (64 << 10) /* an error response's body is kept up to this */
#define HV_NET_HEADERS_MAX   (64 << 10) /* response headers kept at most */
#define HV_NET_HEADER_VALUES 32         /* request headers at most */

/* One request.  Everything is borrowed for the duration of the call. */
typedef struct hv_net_request {
    const char *method; /* "GET", "HEAD", "PUT", "POST", "DELETE" */
    const char *url;
    const char *headers[HV_NET_HEADER_VALUES]; /* "Name: value"; n_headers of them */
    size_t n_headers;
    const void *body; /* sent with Content-Length body_len; NULL: no body */
    size_t body_len;
    /* the body of a 2xx response goes to sink when set (false from it aborts the transfer,
     * which is then not retried); else into resp->body up to max_body bytes (more is an
     * error: HV_E_TOO_LARGE) */
    bool (*sink)(const void *data, size_t n, void *payload);
    void *payload;
    size_t max_body;
    int attempts;   /* 0: one try; else up to this many (HV_NET_ATTEMPTS for idempotent ones) */
    int timeout_ms; /* the whole exchange, per try; 0: none (a stalled transfer is cut anyway) */
} hv_net_request;

/* A response.  Owned by the caller, who releases it with hv_net_response_free. */
typedef struct hv_net_response {
    long status;  /* 0 when no response arrived */
    hv_buf body;  /* without a sink; the body of any non-2xx response */
    hv_buf heads; /* the raw header lines of the final response */
} hv_net_response;

/* Adds a header line ("Name: value") to req, formatted; aborts past HV_NET_HEADER_VALUES
 * (a programming error).  The line lives in arena. */
void hv_net_header_add(hv_net_request *req, hv_arena *arena, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Sends req and waits for the whole response, retrying as described above.  resp needs no
 * initialisation and must be freed whatever is returned.  Returns HV_OK when a response
 * arrived (whatever its status); HV_E_UNAVAILABLE when none did after the last try (the
 * message says why, e.g. "connection refused", "timed out"); HV_E_TOO_LARGE when a body
 * passed max_body; the sink's abort as HV_E_IO unless the sink set an error in ctx first.
 */
hv_err hv_net_perform(hv_net_response *resp, hv_ctx *ctx, const hv_net_request *req);
void hv_net_response_free(hv_net_response *resp); /* accepts a zeroed response */

/* The value of response header name (case-insensitive), copied into out (cut to n - 1
 * bytes); false when absent. */
bool hv_net_response_header(const hv_net_response *resp, const char *name, char *out, size_t n);

/* A response body pulled by the caller. */
typedef struct hv_net_stream hv_net_stream;

/*
 * Sends req (its sink and max_body are ignored) and waits for the response's headers,
 * retrying a request that got no answer or a retryable status, as hv_net_perform.  When
 * the status is not 2xx the (small) body is read into resp->body and *out is NULL;
 * else *out streams the body.  resp as for hv_net_perform; *out belongs to the caller.
 */
hv_err hv_net_stream_open(hv_net_stream **out, hv_net_response *resp, hv_ctx *ctx,
                          const hv_net_request *req);
/* Reads up to n bytes of the body into buf; *got is 0 at its end.  HV_E_UNAVAILABLE when
 * the transfer breaks (not retried: the caller knows where to go on from). */
hv_err hv_net_stream_read(hv_net_stream *s, hv_ctx *ctx, void *buf, size_t n, size_t *got);
void hv_net_stream_close(hv_net_stream *s); /* accepts NULL; cuts a transfer short */

/* Percent-encodes s as SigV4 and S3 want it: everything but A-Z a-z 0-9 - . _ ~ (and '/'
 * unless encode_slash).  Returns a string in arena. */
char *hv_net_uri_encode(hv_arena *arena, const char *s, bool encode_slash);

/* ---------------------------------------------------------------- AWS Signature V4 */

typedef struct hv_net_sigv4 {
    const char *access_key;
    const char *secret_key;
    const char *region;  /* "us-east-1" */
    const char *service; /* "s3" */
} hv_net_sigv4;

/*
 * The Authorization header value of a request: "AWS4-HMAC-SHA256 Credential=…,
 * SignedHeaders=…, Signature=…".  canonical_uri is the path as sent (already encoded);
 * canonical_query is the query as sent, its parameters encoded and sorted by name ("" for
 * none); headers are the n signed ones as "name: value" (any case, any order: they are
 * lower-cased, trimmed and sorted here), host among them; payload_hash is the hex SHA-256
 * of the body or "UNSIGNED-PAYLOAD"; amz_date is the request's x-amz-date
 * ("20130524T000000Z").  Returns a string in arena.
 */
char *hv_net_sigv4_authorization(hv_arena *arena, const hv_net_sigv4 *keys, const char *method,
                                 const char *canonical_uri, const char *canonical_query,
                                 const char *const *headers, size_t n, const char *payload_hash,
                                 const char *amz_date);

/*
 * The query string of a presigned GET of canonical_uri on host, valid expires seconds from
 * amz_date: canonical_query's parameters (sorted, encoded; "" for none) merged with the
 * X-Amz-* ones, X-Amz-Signature last.  Returns a string in arena.
 */
char *hv_net_sigv4_presign(hv_arena *arena, const hv_net_sigv4 *keys, const char *method,
                           const char *host, const char *canonical_uri, const char *canonical_query,
                           const char *amz_date, int64_t expires);

/* Formats t (seconds since the epoch) as an x-amz-date, "YYYYMMDDTHHMMSSZ". */
void hv_net_amz_date(char out[17], int64_t t);

#endif
