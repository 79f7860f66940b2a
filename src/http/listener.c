/*
 * The listening socket, served by one thread of our own rather than by libmicrohttpd, so
 * that a connection is looked at before it becomes an HTTP connection.  The thread runs an
 * epoll loop over the listening socket and the connections accepted but not yet handed
 * over ("pending").  When a pending connection has data, its first byte is peeked:
 *
 *   0x16 (a TLS handshake record)  the ClientHello is read and dropped, a fixed
 *                                  "HTTP/1.1 400" answer is written, the write side shut,
 *                                  and the connection lingers ("closing") until the client
 *                                  closes it or LINGER_MS pass, so that the answer is not
 *                                  destroyed by a reset;
 *   anything else                  the connection goes to the server (MHD_add_connection),
 *                                  with nothing consumed;
 *   end of stream                  closed.
 *
 * Pending and closing connections that stay silent past their deadline are closed.  When
 * the table of pending connections is full, new ones are handed over unexamined.
 */
#include "http/http_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MAX_PENDING 1024
#define LINGER_MS   2000
#define TAG_LISTEN  UINT32_MAX
#define TAG_WAKE    (UINT32_MAX - 1)

static const char tls_answer[] = "HTTP/1.1 400 Bad Request\r\n"
                                 "Content-Type: text/plain; charset=utf-8\r\n"
                                 "Content-Length: 61\r\n"
                                 "Connection: close\r\n"
                                 "\r\n"
                                 "Client sent a TLS handshake to a port that speaks plain HTTP\n";

enum slot_state { FREE, PENDING, CLOSING };

struct slot {
    enum slot_state state;
    int fd;
    int64_t deadline_ms;
    socklen_t addr_len;
    struct sockaddr_storage addr;
};

struct hv_http__listener {
    int fd, epfd, wakefd;
    int port;
    int idle_ms;
    hv_http__accept_fn fn;
    void *payload;
    pthread_t thread;
    bool running;
    struct slot slots[MAX_PENDING];
    int n_used;
};

static void slot_close(hv_http__listener *l, struct slot *s) {
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
    close(s->fd);
    s->state = FREE;
    l->n_used--;
}

static void hand_over(hv_http__listener *l, int fd, const struct sockaddr_storage *addr,
                      socklen_t len) {
    l->fn(fd, (const struct sockaddr *)addr, len, l->payload);
}

/* Reads and drops whatever the client has sent so far; false at end of stream. */
static bool drain(int fd) {
    char buf[4096];

    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0)
            continue;
        return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
    }
}

static void refuse_tls(hv_http__listener *l, struct slot *s) {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)(s - l->slots)};

    if (!drain(s->fd) ||
        send(s->fd, tls_answer, sizeof(tls_answer) - 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        slot_close(l, s);
        return;
    }
    shutdown(s->fd, SHUT_WR);
    s->state = CLOSING;
    s->deadline_ms = hv_now_ms() + LINGER_MS;
    epoll_ctl(l->epfd, EPOLL_CTL_MOD, s->fd, &ev);
}

static void on_ready(hv_http__listener *l, struct slot *s) {
    unsigned char first;
    ssize_t n;

    if (s->state == CLOSING) {
        if (!drain(s->fd))
            slot_close(l, s);
        return;
    }
    n = recv(s->fd, &first, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        slot_close(l, s);
        return;
    }
    if (first == 0x16) {
        refuse_tls(l, s);
        return;
    }
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, s->fd, NULL);
    s->state = FREE;
    l->n_used--;
    hand_over(l, s->fd, &s->addr, s->addr_len);
}

static void accept_all(hv_http__listener *l) {
    for (;;) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof(addr);
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP};
        struct slot *s = NULL;
        int fd = accept4(l->fd, (struct sockaddr *)&addr, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE)
                hv_log(HV_LOG_WARN, "accept: %s", strerror(errno));
            return; /* EAGAIN, or out of descriptors: the next wake-up tries again */
        }
        if (l->n_used < MAX_PENDING) {
            for (int i = 0; i < MAX_PENDING && !s; i++)
                if (l->slots[i].state == FREE)
                    s = &l->slots[i];
        }
        if (!s) {
            hand_over(l, fd, &addr, len);
            continue;
        }
        s->state = PENDING;
        s->fd = fd;
        s->addr = addr;
        s->addr_len = len;
        s->deadline_ms = hv_now_ms() + l->idle_ms;
        ev.data.u32 = (uint32_t)(s - l->slots);
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            s->state = FREE;
            hand_over(l, fd, &addr, len);
            continue;
        }
        l->n_used++;
    }
}

static void expire(hv_http__listener *l, int64_t now) {
    for (int i = 0; i < MAX_PENDING && l->n_used; i++)
        if (l->slots[i].state != FREE && l->slots[i].deadline_ms <= now)
            slot_close(l, &l->slots[i]);
}

static void *run(void *arg) {
    hv_http__listener *l = arg;
    struct epoll_event evs[64];
    int64_t next_expiry = 0;

    while (__atomic_load_n(&l->running, __ATOMIC_SEQ_CST)) {
        int n = epoll_wait(l->epfd, evs, 64, 500);
        int64_t now;

        for (int i = 0; i < n; i++) {
            uint32_t tag = evs[i].data.u32;
            if (tag == TAG_LISTEN)
                accept_all(l);
            else if (tag < MAX_PENDING && l->slots[tag].state != FREE)
                on_ready(l, &l->slots[tag]);
        }
        now = hv_now_ms();
        if (now >= next_expiry) {
            expire(l, now);
            next_expiry = now + 250;
        }
    }
    return NULL;
}

hv_err hv_http__listener_start(hv_http__listener **out, hv_ctx *ctx,
                               const struct sockaddr_storage *sa, int idle_timeout,
                               hv_http__accept_fn fn, void *payload) {
    hv_http__listener *l = hv_calloc(1, sizeof(*l));
    struct epoll_event ev = {.events = EPOLLIN};
    socklen_t len =
        sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    struct sockaddr_storage bound;
    int one = 1;
    hv_err rc = HV_OK;

    l->fd = l->epfd = l->wakefd = -1;
    l->idle_ms = idle_timeout * 1000;
    l->fn = fn;
    l->payload = payload;
    l->fd = socket(sa->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->fd < 0 || setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(l->fd, (const struct sockaddr *)sa, len) != 0 || listen(l->fd, 1024) != 0) {
        rc = HV_FAIL(ctx, HV_E_CONFIG, "cannot listen (%s)", strerror(errno));
        goto out;
    }
    len = sizeof(bound);
    if (getsockname(l->fd, (struct sockaddr *)&bound, &len) != 0) {
        rc = HV_FAIL(ctx, HV_E_CONFIG, "cannot read the bound address (%s)", strerror(errno));
        goto out;
    }
    l->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                : ((struct sockaddr_in *)&bound)->sin_port);
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->epfd < 0 || l->wakefd < 0) {
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "epoll: %s", strerror(errno));
        goto out;
    }
    ev.data.u32 = TAG_LISTEN;
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->fd, &ev);
    ev.data.u32 = TAG_WAKE;
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev);
    l->running = true;
    if (pthread_create(&l->thread, NULL, run, l) != 0) {
        l->running = false;
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "cannot start the listener thread");
    }
out:
    if (rc) {
        hv_http__listener_stop(l);
        l = NULL;
    }
    *out = l;
    return rc;
}

int hv_http__listener_port(const hv_http__listener *l) {
    return l->port;
}

void hv_http__listener_stop(hv_http__listener *l) {
    uint64_t one = 1;

    if (!l)
        return;
    if (l->running) {
        __atomic_store_n(&l->running, false, __ATOMIC_SEQ_CST);
        if (write(l->wakefd, &one, sizeof(one)) < 0)
            hv_log(HV_LOG_WARN, "listener wake-up: %s", strerror(errno));
        pthread_join(l->thread, NULL);
    }
    for (int i = 0; i < MAX_PENDING; i++)
        if (l->slots[i].state != FREE)
            close(l->slots[i].fd);
    if (l->fd >= 0)
        close(l->fd);
    if (l->epfd >= 0)
        close(l->epfd);
    if (l->wakefd >= 0)
        close(l->wakefd);
    free(l);
}
