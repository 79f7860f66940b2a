/*
 * Outbound HTTP on libcurl.  hv_net_perform runs one exchange on the calling thread's easy
 * handle (kept between requests, so that connections are reused; reset before each one);
 * each try sets the whole request up again, so a retry sends exactly what the first try
 * sent.  A retry waits 100 ms · 2^(try - 1), at most 2 s, plus up to half as much again at
 * random, so that nodes that failed together do not come back together.  Bytes already
 * handed to a sink cannot be taken back: a transfer that breaks after that is not retried.
 *
 * A stream (hv_net_stream_*) runs its transfer on a multi handle of its own and pulls it
 * forward only from hv_net_stream_read: the write callback copies into the caller's buffer
 * and pauses the transfer when that is full, so at most one callback's worth (16 KiB) waits
 * in memory besides what the sockets hold.
 */
#include "net/net.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t handle_key;

static void free_handle(void *h) {
    curl_easy_cleanup(h);
}

static void init_once(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_key_create(&handle_key, free_handle);
}

/* The calling thread's easy handle, reset. */
static CURL *thread_handle(void) {
    CURL *h;

    pthread_once(&once, init_once);
    h = pthread_getspecific(handle_key);
    if (h) {
        curl_easy_reset(h);
        return h;
    }
    h = curl_easy_init();
    if (!h)
        abort(); /* out of memory */
    pthread_setspecific(handle_key, h);
    return h;
}

void hv_net_header_add(hv_net_request *req, hv_arena *arena, const char *fmt, ...) {
    va_list ap;
    char line[1024];

    if (req->n_headers == HV_NET_HEADER_VALUES)
        abort();
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    req->headers[req->n_headers++] = hv_arena_strdup(arena, line);
}

void hv_net_response_free(hv_net_response *resp) {
    hv_buf_free(&resp->body);
    hv_buf_free(&resp->heads);
    resp->status = 0;
}

bool hv_net_response_header(const hv_net_response *resp, const char *name, char *out, size_t n) {
    size_t len = strlen(name);

    for (const char *p = resp->heads.data; p && *p;) {
        const char *end = strchr(p, '\n');
        size_t line = end ? (size_t)(end - p) : strlen(p);
        if (line > len && strncasecmp(p, name, len) == 0 && p[len] == ':') {
            const char *v = p + len + 1;
            size_t vlen = line - len - 1;
            while (vlen && (*v == ' ' || *v == '\t'))
                v++, vlen--;
            while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == ' '))
                vlen--;
            snprintf(out, n, "%.*s", (int)vlen, v);
            return true;
        }
        p = end ? end + 1 : NULL;
    }
    return false;
}

/* ---------------------------------------------------------------- one exchange */

typedef struct xfer {
    const hv_net_request *req;
    hv_net_response *resp;
    CURL *h;
    size_t sent;        /* of the request body */
    uint64_t delivered; /* bytes given to the sink */
    bool sink_failed, too_large;
    bool headers_done;
    /* streams only */
    bool stream;
    char *dst;
    size_t dst_len, dst_cap;
    char spill[CURL_MAX_WRITE_SIZE];
    size_t spill_len, spill_at;
    bool paused;
} xfer;

static size_t read_cb(char *buf, size_t size, size_t nitems, void *p) {
    xfer *x = p;
    size_t n = size * nitems, left = x->req->body_len - x->sent;

    if (n > left)
        n = left;
    memcpy(buf, (const char *)x->req->body + x->sent, n);
    x->sent += n;
    return n;
}

static size_t header_cb(char *buf, size_t size, size_t nitems, void *p) {
    xfer *x = p;
    size_t n = size * nitems;

    if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) /* a new response (after a 100 Continue) */
        hv_buf_reset(&x->resp->heads);
    if ((n == 2 && buf[0] == '\r') || (n == 1 && buf[0] == '\n')) {
        long status = 0;
        curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200)
            x->headers_done = true;
    }
    if (hv_buf_append(&x->resp->heads, buf, n) != HV_OK)
        return 0; /* headers past HV_NET_HEADERS_MAX: not a server we want to talk to */
    return n;
}

static bool ok_status(long status) {
    return status >= 200 && status < 300;
}

static size_t write_cb(char *buf, size_t size, size_t nitems, void *p) {
    xfer *x = p;
    size_t n = size * nitems;
    long status = 0;

    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
    if (!ok_status(status)) {
        /* an error's body is for the message: keep its beginning */
        size_t room = x->resp->body.max - x->resp->body.len;
        if (hv_buf_append(&x->resp->body, buf, n < room ? n : room) != HV_OK)
            return 0;
        return n;
    }
    if (x->stream) {
        size_t room = x->dst ? x->dst_cap - x->dst_len : 0, take = n < room ? n : room;
        if (!take || x->spill_len) {
            x->paused = true;
            return CURL_WRITEFUNC_PAUSE; /* handed over again once unpaused */
        }
        memcpy(x->dst + x->dst_len, buf, take);
        x->dst_len += take;
        memcpy(x->spill, buf + take, n - take);
        x->spill_len = n - take;
        x->spill_at = 0;
        return n;
    }
    if (x->req->sink) {
        x->delivered += n;
        if (!x->req->sink(buf, n, x->req->payload)) {
            x->sink_failed = true;
            return 0;
        }
        return n;
    }
    if (hv_buf_append(&x->resp->body, buf, n) != HV_OK) {
        x->too_large = true;
        return 0;
    }
    return n;
}

/* Sets h up for one try of x->req; returns the header list to free after it. */
static struct curl_slist *setup(xfer *x, char errbuf[CURL_ERROR_SIZE], bool stream) {
    const hv_net_request *req = x->req;
    struct curl_slist *hs = NULL;
    CURL *h = x->h;
    bool upload = strcmp(req->method, "PUT") == 0 || strcmp(req->method, "POST") == 0;

    hv_buf_free(&x->resp->body);
    hv_buf_free(&x->resp->heads);
    hv_buf_init(&x->resp->body,
                req->sink || stream || !req->max_body ? HV_NET_ERROR_BODY : req->max_body);
    hv_buf_init(&x->resp->heads, HV_NET_HEADERS_MAX);
    x->resp->status = 0;
    x->sent = 0;
    x->headers_done = false;
    errbuf[0] = '\0';
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)HV_NET_CONNECT_MS);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)HV_NET_STALL_S);
    if (req->timeout_ms)
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    for (size_t i = 0; i < req->n_headers; i++)
        hs = curl_slist_append(hs, req->headers[i]);
    hs = curl_slist_append(hs, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hs);
    if (strcmp(req->method, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (upload) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_len);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(h, CURLOPT_READDATA, x);
        if (strcmp(req->method, "PUT") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    } else if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
    }
    return hs;
}

static bool retryable_status(long status) {
    return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

static bool retryable_code(CURLcode c) {
    switch (c) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

static void backoff(int attempt) {
    long ms = 100L << (attempt - 1 < 5 ? attempt - 1 : 5);
    unsigned r;
    struct timespec ts;

    if (ms > 2000)
        ms = 2000;
    hv_random(&r, sizeof(r));
    ms += (long)(r % (unsigned)(ms / 2 + 1));
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

/* The URL without its query, for messages: a query may carry a signature. */
static int url_len(const char *url) {
    return (int)strcspn(url, "?");
}

static const char *reason(CURLcode c, const char *errbuf) {
    return errbuf[0] ? errbuf : curl_easy_strerror(c);
}

hv_err hv_net_perform(hv_net_response *resp, hv_ctx *ctx, const hv_net_request *req) {
    xfer x = {.req = req, .resp = resp};
    char errbuf[CURL_ERROR_SIZE];
    int attempts = req->attempts > 0 ? req->attempts : 1;

    memset(resp, 0, sizeof(*resp));
    x.h = thread_handle();
    for (int attempt = 1;; attempt++) {
        struct curl_slist *hs = setup(&x, errbuf, false);
        CURLcode c = curl_easy_perform(x.h);
        bool again;

        curl_slist_free_all(hs);
        if (c == CURLE_OK)
            curl_easy_getinfo(x.h, CURLINFO_RESPONSE_CODE, &resp->status);
        if (x.sink_failed)
            return ctx->err.code ? ctx->err.code
                                 : HV_FAIL(ctx, HV_E_IO, "%s %.*s: the response could not be kept",
                                           req->method, url_len(req->url), req->url);
        if (x.too_large)
            return HV_FAIL(ctx, HV_E_TOO_LARGE, "%s %.*s: the response passed %zu bytes",
                           req->method, url_len(req->url), req->url, req->max_body);
        again = c == CURLE_OK ? retryable_status(resp->status) : retryable_code(c);
        if (!again || attempt >= attempts || x.delivered) {
            if (c == CURLE_OK)
                return HV_OK;
            resp->status = 0;
            return HV_FAIL(ctx, HV_E_UNAVAILABLE, "%s %.*s: %s (%d tries)", req->method,
                           url_len(req->url), req->url, reason(c, errbuf), attempt);
        }
        if (c == CURLE_OK)
            snprintf(errbuf, CURL_ERROR_SIZE, "status %ld", resp->status);
        hv_log(HV_LOG_WARN, "%s %.*s: %s; trying again", req->method, url_len(req->url), req->url,
               reason(c, errbuf));
        backoff(attempt);
    }
}

/* ---------------------------------------------------------------- streams */

struct hv_net_stream {
    CURLM *m;
    struct curl_slist *hs;
    xfer x;
    bool done;
    CURLcode result;
    char errbuf[CURL_ERROR_SIZE];
};

/* Runs the transfer until stop(s) or its end; false when polling itself failed. */
static bool pump(hv_net_stream *s, bool (*stop)(hv_net_stream *s)) {
    while (!s->done && !stop(s)) {
        int running = 0, left = 0;
        CURLMsg *msg;

        if (curl_multi_perform(s->m, &running) != CURLM_OK)
            return false;
        while ((msg = curl_multi_info_read(s->m, &left)) != NULL) {
            if (msg->msg == CURLMSG_DONE) {
                s->done = true;
                s->result = msg->data.result;
            }
        }
        if (!s->done && !stop(s) && curl_multi_poll(s->m, NULL, 0, 1000, NULL) != CURLM_OK)
            return false;
    }
    return true;
}

static bool headers_in(hv_net_stream *s) {
    return s->x.headers_done;
}

static bool data_in(hv_net_stream *s) {
    return s->x.dst_len > 0;
}

static bool never(hv_net_stream *s) {
    (void)s;
    return false;
}

/* Starts a try: the easy handle set up again and added to the multi handle. */
static void stream_start(hv_net_stream *s) {
    curl_multi_remove_handle(s->m, s->x.h);
    curl_slist_free_all(s->hs);
    curl_easy_reset(s->x.h);
    s->hs = setup(&s->x, s->errbuf, true);
    s->x.paused = false;
    s->x.spill_len = 0;
    s->x.dst = NULL;
    s->x.dst_len = 0;
    s->done = false;
    s->result = CURLE_OK;
    curl_multi_add_handle(s->m, s->x.h);
}

hv_err hv_net_stream_open(hv_net_stream **out, hv_net_response *resp, hv_ctx *ctx,
                          const hv_net_request *req) {
    hv_net_stream *s;
    int attempts = req->attempts > 0 ? req->attempts : 1;

    *out = NULL;
    memset(resp, 0, sizeof(*resp));
    pthread_once(&once, init_once);
    s = hv_calloc(1, sizeof(*s));
    s->m = curl_multi_init();
    s->x.h = curl_easy_init();
    if (!s->m || !s->x.h)
        abort(); /* out of memory */
    s->x.req = req;
    s->x.resp = resp;
    s->x.stream = true;
    for (int attempt = 1;; attempt++) {
        bool again;

        stream_start(s);
        /* the request is borrowed: it does not outlive this call */
        if (!pump(s, headers_in)) {
            hv_net_stream_close(s);
            return HV_FAIL(ctx, HV_E_UNAVAILABLE, "%s %.*s: polling failed", req->method,
                           url_len(req->url), req->url);
        }
        if (s->x.headers_done)
            curl_easy_getinfo(s->x.h, CURLINFO_RESPONSE_CODE, &resp->status);
        if (s->x.headers_done && !ok_status(resp->status))
            pump(s, never); /* the error's body */
        again = s->x.headers_done ? retryable_status(resp->status) : retryable_code(s->result);
        if (!again || attempt >= attempts) {
            if (!s->x.headers_done) {
                hv_err rc =
                    HV_FAIL(ctx, HV_E_UNAVAILABLE, "%s %.*s: %s (%d tries)", req->method,
                            url_len(req->url), req->url, reason(s->result, s->errbuf), attempt);
                hv_net_stream_close(s);
                return rc;
            }
            break;
        }
        hv_log(HV_LOG_WARN, "%s %.*s: %s; trying again", req->method, url_len(req->url), req->url,
               s->x.headers_done ? "a retryable status" : reason(s->result, s->errbuf));
        backoff(attempt);
    }
    if (!ok_status(resp->status)) {
        hv_net_stream_close(s);
        return HV_OK;
    }
    s->x.req = NULL; /* borrowed no longer: nothing is uploaded after the headers */
    *out = s;
    return HV_OK;
}

hv_err hv_net_stream_read(hv_net_stream *s, hv_ctx *ctx, void *buf, size_t n, size_t *got) {
    xfer *x = &s->x;

    *got = 0;
    if (x->spill_len) {
        size_t take = x->spill_len < n ? x->spill_len : n;
        memcpy(buf, x->spill + x->spill_at, take);
        x->spill_at += take;
        x->spill_len -= take;
        *got = take;
        return HV_OK;
    }
    x->dst = buf;
    x->dst_cap = n;
    x->dst_len = 0;
    if (x->paused && !s->done) {
        x->paused = false;
        curl_easy_pause(x->h, CURLPAUSE_CONT); /* may hand the held data over at once */
    }
    if (!pump(s, data_in)) {
        x->dst = NULL;
        return HV_FAIL(ctx, HV_E_UNAVAILABLE, "reading a response: polling failed");
    }
    x->dst = NULL;
    *got = x->dst_len;
    if (*got == 0 && s->done && s->result != CURLE_OK)
        return HV_FAIL(ctx, HV_E_UNAVAILABLE, "reading a response: %s",
                       reason(s->result, s->errbuf));
    return HV_OK;
}

void hv_net_stream_close(hv_net_stream *s) {
    if (!s)
        return;
    curl_multi_remove_handle(s->m, s->x.h);
    curl_easy_cleanup(s->x.h);
    curl_multi_cleanup(s->m);
    curl_slist_free_all(s->hs);
    free(s);
}
