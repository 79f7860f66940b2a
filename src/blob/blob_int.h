/* Shared between the files of the blob module only. */
#ifndef HV_BLOB_INT_H
#define HV_BLOB_INT_H

#include "blob/blob.h"
#include "net/net.h"

typedef struct hv_blob__cache hv_blob__cache;

struct hv_blob_store {
    const hv_blob_driver *driver;
    hv_blob__cache *cache; /* of budget 0 until hv_blob_cache */
};

/* A cached blob's bytes, read-only, valid until its holder releases it. */
typedef struct hv_blob__cached {
    const char *data;
    size_t len;
} hv_blob__cached;

struct hv_blob_reader {
    hv_blob_store *store;
    const hv_blob__cached *cached; /* set: the reader reads this copy, not the driver */
};

struct hv_blob_writer {
    hv_blob_store *store;
};

struct hv_blob_staged {
    hv_blob_store *store;
};

/* ---------------------------------------------------------------- the S3 client (s3.c) */

/* Where a bucket is and how requests to it are signed. */
typedef struct hv_blob__s3 {
    char *scheme;    /* "http" or "https" */
    char *host;      /* host[:port] requests go to (bucket.host when virtual-hosted) */
    char *base_path; /* "/bucket" path-style, else "" */
    char *bucket, *region;
    char *prefix; /* s3_root with a '/' after it, or "" */
    bool path_style;
    char *access_key, *secret_key;
    hv_net_sigv4 keys;
} hv_blob__s3;

/* One call: method, object key (NULL: the bucket), query (parameters sorted and encoded),
 * extra headers to sign ("name: value"), body, and where the answer's body goes (as
 * hv_net_request). */
typedef struct hv_blob__s3_call {
    const char *method;
    const char *key;
    const char *query;
    const char *headers[4];
    size_t n_headers;
    const void *body;
    size_t body_len;
    bool (*sink)(const void *data, size_t n, void *payload);
    void *payload;
    size_t max_body;
} hv_blob__s3_call;

/* Fills c from cfg (strings copied; free with hv_blob__s3_free).  HV_E_CONFIG. */
hv_err hv_blob__s3_init(hv_blob__s3 *c, hv_ctx *ctx, const hv_blob_s3_config *cfg);
void hv_blob__s3_free(hv_blob__s3 *c);
/* Signs and sends call, retrying as net does; resp as hv_net_perform (freed by the caller).
 * HV_E_UNAVAILABLE when no answer came. */
hv_err hv_blob__s3_send(hv_net_response *resp, hv_blob__s3 *c, hv_ctx *ctx,
                        const hv_blob__s3_call *call);
/* The same with the answer's body pulled through *out (hv_net_stream_open). */
hv_err hv_blob__s3_stream(hv_net_stream **out, hv_net_response *resp, hv_blob__s3 *c, hv_ctx *ctx,
                          const hv_blob__s3_call *call);
/* HV_E_UNAVAILABLE for an answer that is not the one wanted, with S3's code and message;
 * what says what was being done ("store blob …"). */
hv_err hv_blob__s3_fail(hv_ctx *ctx, const hv_net_response *resp, const char *what);
/* Calls fn for every object whose key starts with prefix, in key order.  HV_E_UNAVAILABLE. */
hv_err hv_blob__s3_list(hv_blob__s3 *c, hv_ctx *ctx, const char *prefix,
                        void (*fn)(const char *key, uint64_t size, int64_t mtime_ms, void *payload),
                        void *payload);
/* A presigned GET URL of key, valid expires seconds; in a. */
char *hv_blob__s3_presign(hv_blob__s3 *c, hv_arena *a, const char *key, int64_t expires);
/* The text of the first <tag> element of xml before end (NULL: anywhere), entities decoded,
 * into out (cut to n - 1); false when there is none. */
bool hv_blob__xml_value(const char *xml, const char *end, const char *tag, char *out, size_t n);

/* ---------------------------------------------------------------- the cache (cache.c) */

/* A cache of at most budget bytes (its entries' bytes and bookkeeping; 0 keeps nothing), of
 * blobs of at most HV_BLOB_CACHE_ITEM_MAX bytes. */
hv_blob__cache *hv_blob__cache_new(size_t budget);
void hv_blob__cache_free(hv_blob__cache *c); /* accepts NULL; nothing may hold an entry */
/* The cached copy of digest, held for the caller (who releases it), made the most recently
 * used; NULL when there is none. */
const hv_blob__cached *hv_blob__cache_get(hv_blob__cache *c, const char *digest);
/* Keeps data (malloc'd, len bytes, which the caller verified to be digest's; the cache takes
 * it) as digest's copy, evicting the least recently used copies to make room, and returns it
 * held for the caller; a copy larger than the budget is only the caller's, freed when it is
 * released.  Past HV_BLOB_CACHE_ITEM_MAX: NULL, data freed. */
const hv_blob__cached *hv_blob__cache_put(hv_blob__cache *c, const char *digest, char *data,
                                          size_t len);
void hv_blob__cache_release(hv_blob__cache *c, const hv_blob__cached *b); /* accepts NULL */
/* Forgets digest's copy (its holders keep reading it). */
void hv_blob__cache_drop(hv_blob__cache *c, const char *digest);

/* Makes s a store of driver d; a driver written against another version of the struct is a
 * programming error. */
void hv_blob__init(hv_blob_store *s, const hv_blob_driver *d);

#endif
