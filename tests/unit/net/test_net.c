/*
 * net against a scripted HTTP server on a loopback port (a thread here): a retryable status
 * is tried again until the answer comes or the tries run out, a server that is not there is
 * HV_E_UNAVAILABLE, a body past max_body is HV_E_TOO_LARGE, a request body arrives whole,
 * response headers are read back, and a streamed body pulled in small pieces arrives whole.
 */
#include "net/net.h"
#include "test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One scripted answer: status and a body of size bytes (pattern (i * 31) & 0xff). */
typedef struct answer {
    int status;
    size_t size;
} answer;

typedef struct server {
    int fd, port;
    const answer *script;
    int n, served;
    char last_body[64];
    pthread_t thread;
} server;

/* Keeps what of n body bytes at offset fits in last_body. */
static void keep(server *s, size_t offset, const char *data, size_t n) {
    size_t room = sizeof(s->last_body) - 1;

    if (offset < room)
        memcpy(s->last_body + offset, data, n < room - offset ? n : room - offset);
}

/* Reads a request's head and its Content-Length body (the start kept in last_body). */
static bool read_request(server *s, int c) {
    char buf[8192];
    size_t len = 0, body = 0;
    char *end = NULL, *cl;

    while (!end) {
        ssize_t r = recv(c, buf + len, sizeof(buf) - 1 - len, 0);
        if (r <= 0)
            return false;
        len += (size_t)r;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    cl = strcasestr(buf, "Content-Length:");
    if (cl)
        body = strtoul(cl + 15, NULL, 10);
    len -= (size_t)(end + 4 - buf);
    memset(s->last_body, 0, sizeof(s->last_body));
    keep(s, 0, end + 4, len);
    while (len < body) {
        ssize_t r = recv(c, buf, sizeof(buf), 0);
        if (r <= 0)
            return false;
        keep(s, len, buf, (size_t)r);
        len += (size_t)r;
    }
    return true;
}

static void *serve(void *p) {
    server *s = p;

    while (s->served < s->n) {
        const answer *a = &s->script[s->served];
        int c = accept(s->fd, NULL, NULL);
        char head[256];
        unsigned char *body;

        if (c < 0)
            break;
        if (!read_request(s, c)) {
            close(c);
            continue;
        }
        body = malloc(a->size + 1);
        for (size_t i = 0; i < a->size; i++)
            body[i] = (unsigned char)(i * 31);
        snprintf(
            head, sizeof(head),
            "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nX-Served: %d\r\nConnection: close\r\n\r\n",
            a->status, a->size, s->served + 1);
        if (send(c, head, strlen(head), MSG_NOSIGNAL) > 0)
            send(c, body, a->size, MSG_NOSIGNAL);
        free(body);
        s->served++;
        close(c);
    }
    return NULL;
}

static void start(server *s, const answer *script, int n) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);

    memset(s, 0, sizeof(*s));
    s->script = script;
    s->n = n;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(s->fd >= 0 && bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
          listen(s->fd, 8) == 0 && getsockname(s->fd, (struct sockaddr *)&sa, &len) == 0);
    s->port = ntohs(sa.sin_port);
    pthread_create(&s->thread, NULL, serve, s);
}

static void finish(server *s) {
    shutdown(s->fd, SHUT_RDWR); /* ends an accept() still waiting */
    pthread_join(s->thread, NULL);
    close(s->fd);
}

static char *url_of(const server *s) {
    static char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", s->port);
    return url;
}

static bool pattern_ok(const char *data, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)data[i] != (unsigned char)(i * 31))
            return false;
    }
    return true;
}

static void test_retries_until_an_answer(void) {
    static const answer script[] = {{503, 3}, {500, 0}, {200, 1000}};
    hv_ctx ctx = {0};
    server s;
    hv_net_request req = {.method = "PUT",
                          .body = "payload",
                          .body_len = 7,
                          .max_body = 4096,
                          .attempts = HV_NET_ATTEMPTS};
    hv_net_response resp;
    char served[8];

    start(&s, script, 3);
    req.url = url_of(&s);
    CHECK_INT(hv_net_perform(&resp, &ctx, &req), HV_OK);
    CHECK_INT(resp.status, 200);
    CHECK_INT(resp.body.len, 1000);
    CHECK(pattern_ok(resp.body.data, resp.body.len));
    CHECK(hv_net_response_header(&resp, "x-served", served, sizeof(served)));
    CHECK_STR(served, "3");
    CHECK_STR(s.last_body, "payload"); /* sent again whole on each try */
    hv_net_response_free(&resp);
    finish(&s);
    CHECK_INT(s.served, 3);
}

static void test_tries_run_out(void) {
    static const answer script[] = {{503, 0}, {503, 0}};
    hv_ctx ctx = {0};
    server s;
    hv_net_request req = {.method = "GET", .max_body = 10, .attempts = 2};
    hv_net_response resp;

    start(&s, script, 2);
    req.url = url_of(&s);
    CHECK_INT(hv_net_perform(&resp, &ctx, &req), HV_OK); /* an answer: the caller decides */
    CHECK_INT(resp.status, 503);
    hv_net_response_free(&resp);
    finish(&s);
    CHECK_INT(s.served, 2);
}

static void test_too_large_and_unreachable(void) {
    static const answer script[] = {{200, 100}};
    hv_ctx ctx = {0};
    server s;
    hv_net_request req = {.method = "GET", .max_body = 99, .attempts = 3};
    hv_net_response resp;
    int port;

    start(&s, script, 1);
    req.url = url_of(&s);
    CHECK_INT(hv_net_perform(&resp, &ctx, &req), HV_E_TOO_LARGE);
    hv_net_response_free(&resp);
    finish(&s);
    port = s.port; /* closed now: nothing listens there */
    hv_error_clear(&ctx);
    req.url = hv_printf("http://127.0.0.1:%d/y?secret=1", port);
    CHECK_INT(hv_net_perform(&resp, &ctx, &req), HV_E_UNAVAILABLE);
    CHECK(strstr(ctx.err.message, "3 tries") != NULL);
    CHECK(strstr(ctx.err.message, "secret") == NULL); /* a query may carry a signature */
    CHECK_INT(resp.status, 0);
    hv_net_response_free(&resp);
    free((char *)req.url);
}

static void test_stream_pulled_in_pieces(void) {
    static const answer script[] = {{404, 20}, {200, 3 << 20}};
    hv_ctx ctx = {0};
    server s;
    hv_net_request req = {.method = "GET", .attempts = 2};
    hv_net_response resp;
    hv_net_stream *st = NULL;
    char *back = hv_malloc(3 << 20);
    size_t at = 0, got = 1;

    start(&s, script, 2);
    req.url = url_of(&s);
    /* not 2xx: no stream, the body is the error's */
    CHECK_INT(hv_net_stream_open(&st, &resp, &ctx, &req), HV_OK);
    CHECK_INT(resp.status, 404);
    CHECK(st == NULL);
    CHECK_INT(resp.body.len, 20);
    hv_net_response_free(&resp);
    CHECK_INT(hv_net_stream_open(&st, &resp, &ctx, &req), HV_OK);
    CHECK_INT(resp.status, 200);
    while (st && got > 0 && at < (3u << 20)) { /* odd sizes split callbacks: the rest waits */
        size_t want = at % 2 ? 7777 : 100000, left = (3u << 20) - at;
        CHECK_INT(hv_net_stream_read(st, &ctx, back + at, want < left ? want : left, &got), HV_OK);
        at += got;
    }
    if (st)
        CHECK_INT(hv_net_stream_read(st, &ctx, back, 1, &got), HV_OK); /* then the end */
    CHECK_INT(got, 0);
    CHECK_INT(at, 3 << 20);
    CHECK(pattern_ok(back, at));
    hv_net_stream_close(st);
    hv_net_response_free(&resp);
    free(back);
    finish(&s);
}

TEST_MAIN(test_retries_until_an_answer, test_tries_run_out, test_too_large_and_unreachable,
          test_stream_pulled_in_pieces)
