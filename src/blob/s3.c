/*
 * A small client of the S3 REST API for the S3 blob driver: a call names a method, an object
 * key (or the bucket) and a query; it is addressed path-style (endpoint/bucket/key) or
 * virtual-hosted (bucket.endpoint/key), signed with SigV4 over the SHA-256 of its body, and
 * sent through net, which retries what another try may cure.  Answers S3 gives as XML are
 * read with a few string searches: the driver needs a handful of elements (Key, Size,
 * LastModified, UploadId, Code, Message, …) from documents whose shape S3 fixes.
 */
#include "blob/blob_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define LIST_MAX     (16u << 20) /* a page of 1000 keys is far smaller */

static char *trimmed(const char *s, const char *strip) {
    size_t n;

    while (*s && strchr(strip, *s))
        s++;
    n = strlen(s);
    while (n && strchr(strip, s[n - 1]))
        n--;
    return hv_strndup(s, n);
}

hv_err hv_blob__s3_init(hv_blob__s3 *c, hv_ctx *ctx, const hv_blob_s3_config *cfg) {
    const char *region = cfg->region && *cfg->region ? cfg->region : "us-east-1";
    char *endpoint = NULL, *root;
    const char *rest;

    memset(c, 0, sizeof(*c));
    if (!cfg->bucket || !*cfg->bucket || strpbrk(cfg->bucket, "/?#% "))
        return HV_FAIL(ctx, HV_E_CONFIG, "s3_bucket: a bucket name is needed (no '/', '?', '#')");
    if (!cfg->access_key || !*cfg->access_key || !cfg->secret_key || !*cfg->secret_key)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "S3 credentials are missing: set s3_access_key and s3_secret_key (or "
                       "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
    endpoint = cfg->endpoint && *cfg->endpoint ? trimmed(cfg->endpoint, "/")
                                               : hv_printf("https://s3.%s.amazonaws.com", region);
    if (strncmp(endpoint, "http://", 7) == 0) {
        c->scheme = hv_strdup("http");
        rest = endpoint + 7;
    } else if (strncmp(endpoint, "https://", 8) == 0) {
        c->scheme = hv_strdup("https");
        rest = endpoint + 8;
    } else {
        free(endpoint);
        return HV_FAIL(ctx, HV_E_CONFIG, "s3_endpoint: %s is not an http:// or https:// URL",
                       cfg->endpoint);
    }
    if (!*rest || strpbrk(rest, "/?#@ ")) {
        free(endpoint);
        free(c->scheme);
        c->scheme = NULL;
        return HV_FAIL(ctx, HV_E_CONFIG, "s3_endpoint: %s must be scheme://host[:port] only",
                       cfg->endpoint);
    }
    c->path_style = cfg->path_style;
    c->host = c->path_style ? hv_strdup(rest) : hv_printf("%s.%s", cfg->bucket, rest);
    c->base_path = c->path_style ? hv_printf("/%s", cfg->bucket) : hv_strdup("");
    c->bucket = hv_strdup(cfg->bucket);
    c->region = hv_strdup(region);
    root = trimmed(cfg->root ? cfg->root : "", "/");
    c->prefix = *root ? hv_printf("%s/", root) : hv_strdup("");
    free(root);
    c->access_key = hv_strdup(cfg->access_key);
    c->secret_key = hv_strdup(cfg->secret_key);
    c->keys.access_key = c->access_key;
    c->keys.secret_key = c->secret_key;
    c->keys.region = c->region;
    c->keys.service = "s3";
    free(endpoint);
    return HV_OK;
}

void hv_blob__s3_free(hv_blob__s3 *c) {
    free(c->scheme);
    free(c->host);
    free(c->base_path);
    free(c->bucket);
    free(c->region);
    free(c->prefix);
    free(c->access_key);
    free(c->secret_key);
    memset(c, 0, sizeof(*c));
}

/* The path of key as sent and as signed: /bucket/key or /key, each segment encoded. */
static const char *path_of(hv_arena *a, const hv_blob__s3 *c, const char *key) {
    return hv_arena_printf(a, "%s/%s", c->base_path, key ? hv_net_uri_encode(a, key, false) : "");
}

/* Builds the signed net request of call in req (strings in a). */
static void build(hv_net_request *req, hv_arena *a, const hv_blob__s3 *c,
                  const hv_blob__s3_call *call) {
    const char *query = call->query ? call->query : "";
    const char *path = path_of(a, c, call->key);
    char date[17], digest[HV_DIGEST_MAX];
    const char *hash = EMPTY_SHA256;

    if (call->body_len) {
        hv_sha256_digest(digest, call->body, call->body_len);
        hash = hv_arena_strdup(a, digest + 7);
    }
    hv_net_amz_date(date, hv_now_ms() / 1000);
    memset(req, 0, sizeof(*req));
    req->method = call->method;
    req->url =
        hv_arena_printf(a, "%s://%s%s%s%s", c->scheme, c->host, path, *query ? "?" : "", query);
    hv_net_header_add(req, a, "Host: %s", c->host);
    hv_net_header_add(req, a, "x-amz-date: %s", date);
    hv_net_header_add(req, a, "x-amz-content-sha256: %s", hash);
    for (size_t i = 0; i < call->n_headers; i++)
        req->headers[req->n_headers++] = call->headers[i];
    req->headers[req->n_headers] =
        hv_arena_printf(a, "Authorization: %s",
                        hv_net_sigv4_authorization(a, &c->keys, call->method, path, query,
                                                   req->headers, req->n_headers, hash, date));
    req->n_headers++;
    req->body = call->body;
    req->body_len = call->body_len;
    req->sink = call->sink;
    req->payload = call->payload;
    req->max_body = call->max_body;
    req->attempts = HV_NET_ATTEMPTS;
}

/* net's HV_E_UNAVAILABLE, said the way a registry client should read it: the detail (the
 * store's address among it) goes to the log, the client learns what happened. */
static hv_err unreachable(hv_ctx *ctx, hv_err rc) {
    if (rc != HV_E_UNAVAILABLE)
        return rc;
    hv_log(HV_LOG_ERROR, "request %s: %s", ctx->request_id ? ctx->request_id : "-",
           ctx->err.message);
    return HV_FAIL(ctx, rc, "the object storage cannot be reached; retry later");
}

hv_err hv_blob__s3_send(hv_net_response *resp, hv_blob__s3 *c, hv_ctx *ctx,
                        const hv_blob__s3_call *call) {
    hv_arena *a = hv_arena_new();
    hv_net_request req;
    hv_err rc;

    build(&req, a, c, call);
    rc = hv_net_perform(resp, ctx, &req);
    hv_arena_free(a);
    return unreachable(ctx, rc);
}

hv_err hv_blob__s3_stream(hv_net_stream **out, hv_net_response *resp, hv_blob__s3 *c, hv_ctx *ctx,
                          const hv_blob__s3_call *call) {
    hv_arena *a = hv_arena_new();
    hv_net_request req;
    hv_err rc;

    build(&req, a, c, call);
    rc = hv_net_stream_open(out, resp, ctx, &req);
    hv_arena_free(a);
    return unreachable(ctx, rc);
}

char *hv_blob__s3_presign(hv_blob__s3 *c, hv_arena *a, const char *key, int64_t expires) {
    const char *path = path_of(a, c, key);
    char date[17];

    hv_net_amz_date(date, hv_now_ms() / 1000);
    return hv_arena_printf(
        a, "%s://%s%s?%s", c->scheme, c->host, path,
        hv_net_sigv4_presign(a, &c->keys, "GET", c->host, path, "", date, expires));
}

/* Copies the XML text at p (up to '<') into out, decoding the predefined entities. */
static void xml_text(char *out, size_t n, const char *p) {
    static const char *const ent[][2] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}};
    size_t j = 0;

    while (*p && *p != '<' && j + 1 < n) {
        bool done = false;
        for (size_t e = 0; e < sizeof(ent) / sizeof(ent[0]) && !done; e++) {
            size_t len = strlen(ent[e][0]);
            if (strncmp(p, ent[e][0], len) == 0) {
                out[j++] = ent[e][1][0];
                p += len;
                done = true;
            }
        }
        if (!done)
            out[j++] = *p++;
    }
    out[j] = '\0';
}

bool hv_blob__xml_value(const char *xml, const char *end, const char *tag, char *out, size_t n) {
    char open[64];
    const char *p;

    snprintf(open, sizeof(open), "<%s>", tag);
    p = xml ? strstr(xml, open) : NULL;
    if (!p || (end && p >= end))
        return false;
    xml_text(out, n, p + strlen(open));
    return true;
}

hv_err hv_blob__s3_fail(hv_ctx *ctx, const hv_net_response *resp, const char *what) {
    char code[128] = "", message[256] = "";

    hv_blob__xml_value(resp->body.data, NULL, "Code", code, sizeof(code));
    hv_blob__xml_value(resp->body.data, NULL, "Message", message, sizeof(message));
    return HV_FAIL(ctx, HV_E_UNAVAILABLE,
                   "the object storage refused to %s: %ld %s%s%s; retry later", what, resp->status,
                   code[0] ? code : "", message[0] ? ": " : "", message);
}

/* Milliseconds since the epoch of an S3 timestamp ("2026-12-03T14:20:02.000Z"); 0 if bad. */
static int64_t parse_time(const char *s) {
    struct tm tm = {0};
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    int64_t ms = 0;

    if (!rest)
        return 0;
    if (*rest == '.')
        ms = strtol(rest + 1, NULL, 10) % 1000;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

hv_err hv_blob__s3_list(hv_blob__s3 *c, hv_ctx *ctx, const char *prefix,
                        void (*fn)(const char *key, uint64_t size, int64_t mtime_ms, void *payload),
                        void *payload) {
    char token[1024] = "";
    hv_err rc = HV_OK;

    do {
        hv_arena *a = hv_arena_new();
        hv_blob__s3_call call = {.method = "GET", .max_body = LIST_MAX};
        hv_net_response resp;
        char truncated[8] = "";

        /* parameters sorted by name, as signing wants them */
        call.query =
            hv_arena_printf(a, "%s%s%slist-type=2&prefix=%s", token[0] ? "continuation-token=" : "",
                            token[0] ? hv_net_uri_encode(a, token, true) : "", token[0] ? "&" : "",
                            hv_net_uri_encode(a, prefix, true));
        rc = hv_blob__s3_send(&resp, c, ctx, &call);
        if (rc == HV_OK && resp.status != 200)
            rc = hv_blob__s3_fail(ctx, &resp, "list objects");
        if (rc == HV_OK) {
            const char *p = resp.body.data;
            while (p && (p = strstr(p, "<Contents>")) != NULL) {
                const char *end = strstr(p, "</Contents>");
                char key[1024], size[32] = "0", modified[64] = "";
                if (!end)
                    break;
                if (hv_blob__xml_value(p, end, "Key", key, sizeof(key))) {
                    hv_blob__xml_value(p, end, "Size", size, sizeof(size));
                    hv_blob__xml_value(p, end, "LastModified", modified, sizeof(modified));
                    fn(key, strtoull(size, NULL, 10), parse_time(modified), payload);
                }
                p = end;
            }
            hv_blob__xml_value(resp.body.data, NULL, "IsTruncated", truncated, sizeof(truncated));
            token[0] = '\0';
            if (strcmp(truncated, "true") == 0 &&
                !hv_blob__xml_value(resp.body.data, NULL, "NextContinuationToken", token,
                                    sizeof(token)))
                rc = HV_FAIL(ctx, HV_E_UNAVAILABLE,
                             "the object storage cut a listing short without saying where to "
                             "go on");
        }
        hv_net_response_free(&resp);
        hv_arena_free(a);
    } while (rc == HV_OK && token[0]);
    return rc;
}
