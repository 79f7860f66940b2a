/*
 * Forwarding audit entries to a syslog endpoint (Harbor's audit_log_forward_endpoint): each
 * entry becomes one RFC 5424 message, framed by octet counting (RFC 6587: "<length> <msg>"),
 * sent over TCP.
 *
 * The subscriber only formats and queues (a bounded queue: a full one drops the entry with a
 * log line), so neither requests nor the event dispatcher ever wait on the network.  One
 * sender thread, started with the first entry, keeps a connection to the endpoint (a new one
 * when the setting changes) and sends each entry, reconnecting and retrying a few times with
 * a growing pause; an entry that still cannot go is dropped with a log line.  Entries are
 * not kept across restarts: the database (unless skip_audit_log_database) is the record.
 */
#include "audit/audit_int.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_MAX      4096
#define ATTEMPTS       3
#define FIRST_PAUSE_MS 100
#define IO_TIMEOUT_MS  2000
#define MESSAGE_MAX    8192

typedef struct item {
    char *endpoint;
    char *frame; /* the framed message */
    size_t len;
} item;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static item queue[QUEUE_MAX];
static size_t head, count;
static int64_t dropped;
static bool started;

/* Appends an RFC 5424 PARAM-VALUE, escaping '"', '\' and ']'. */
static hv_err append_value(hv_buf *b, const char *s) {
    hv_err rc = HV_OK;

    for (; rc == HV_OK && *s; s++) {
        if (*s == '"' || *s == '\\' || *s == ']')
            rc = hv_buf_append(b, "\\", 1);
        if (rc == HV_OK)
            rc = hv_buf_append(b, s, 1);
    }
    return rc;
}

static hv_err append_param(hv_buf *b, const char *name, const char *value) {
    hv_err rc = hv_buf_appendf(b, " %s=\"", name);

    if (rc == HV_OK)
        rc = append_value(b, value);
    return rc ? rc : hv_buf_append(b, "\"", 1);
}

/* The message: facility user, severity informational (PRI 14), app "havend", msgid
 * "audit", the entry as structured data and as text. */
static hv_err format(hv_buf *msg, const hv_audit_log *e) {
    char host[256] = "-", when[32], project[24];
    hv_err rc;

    if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
        snprintf(host, sizeof(host), "-");
    hv_time_format(when, e->op_time);
    snprintf(project, sizeof(project), "%lld", (long long)e->project_id);
    rc = hv_buf_appendf(msg, "<14>1 %s %s havend - audit [audit@32473", when, host);
    if (rc == HV_OK)
        rc = append_param(msg, "username", e->username);
    if (rc == HV_OK)
        rc = append_param(msg, "operation", e->operation);
    if (rc == HV_OK)
        rc = append_param(msg, "resource_type", e->resource_type);
    if (rc == HV_OK)
        rc = append_param(msg, "resource", e->resource);
    if (rc == HV_OK)
        rc = append_param(msg, "project_id", project);
    if (rc == HV_OK)
        rc = hv_buf_appendf(msg, "] %s %s %s %s", e->username, e->operation, e->resource_type,
                            e->resource);
    return rc;
}

/* Connects to "host:port" ("[v6]:port" too) within IO_TIMEOUT_MS; -1 with *why set. */
static int dial(const char *endpoint, const char **why) {
    char host[256];
    const char *colon = strrchr(endpoint, ':');
    const char *h = endpoint;
    size_t hlen = colon ? (size_t)(colon - endpoint) : 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *a;
    struct timeval tv = {.tv_sec = IO_TIMEOUT_MS / 1000, .tv_usec = 0};
    int fd = -1;

    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']')
        h++, hlen -= 2;
    if (!colon || hlen == 0 || hlen >= sizeof(host)) {
        *why = "not host:port";
        return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) {
        *why = "cannot resolve the host";
        return -1;
    }
    *why = "cannot connect";
    for (a = res; a && fd < 0; a = a->ai_next) {
        int err = 0;
        socklen_t elen = sizeof(err);
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            err = errno;
            if (err == EINPROGRESS)
                err = poll(&p, 1, IO_TIMEOUT_MS) != 1                          ? ETIMEDOUT
                      : getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 ? errno
                                                                               : err;
        }
        if (err == 0 && (fcntl(fd, F_SETFL, 0) != 0 ||
                         setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0))
            err = errno;
        if (err != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* Writes all of it; false on an error or a timeout. */
static bool send_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static void sleep_ms(int64_t ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Sends one item, over the connection to its endpoint (*fd, *connected_to), retrying. */
static void deliver(const item *it, int *fd, char **connected_to) {
    const char *why = "cannot send";
    int64_t pause = FIRST_PAUSE_MS;

    for (int attempt = 1; attempt <= ATTEMPTS; attempt++, pause *= 2) {
        if (*fd >= 0 && strcmp(*connected_to, it->endpoint) != 0) {
            close(*fd);
            *fd = -1;
        }
        if (*fd < 0) {
            *fd = dial(it->endpoint, &why);
            free(*connected_to);
            *connected_to = *fd >= 0 ? hv_strdup(it->endpoint) : NULL;
        }
        if (*fd >= 0 && send_all(*fd, it->frame, it->len))
            return;
        if (*fd >= 0) {
            why = "cannot send";
            close(*fd);
            *fd = -1;
        }
        if (attempt < ATTEMPTS)
            sleep_ms(pause);
    }
    hv_log(HV_LOG_WARN, "audit forward: an entry for %s dropped after %d attempts: %s",
           it->endpoint, ATTEMPTS, why);
}

static void *sender(void *arg) {
    int fd = -1;
    char *connected_to = NULL;

    (void)arg;
    for (;;) {
        item it;
        pthread_mutex_lock(&lock);
        while (count == 0)
            pthread_cond_wait(&ready, &lock);
        it = queue[head];
        head = (head + 1) % QUEUE_MAX;
        count--;
        pthread_mutex_unlock(&lock);
        deliver(&it, &fd, &connected_to);
        free(it.endpoint);
        free(it.frame);
    }
    return NULL;
}

void hv_audit__forward(const char *endpoint, const hv_audit_log *entry) {
    hv_buf msg, frame;
    item it = {0};
    bool queued = false;
    pthread_t t;

    hv_buf_init(&msg, MESSAGE_MAX);
    hv_buf_init(&frame, MESSAGE_MAX + 16);
    if (format(&msg, entry) != HV_OK ||
        hv_buf_appendf(&frame, "%zu %s", msg.len, msg.data) != HV_OK) {
        hv_log(HV_LOG_WARN, "audit forward: an entry on %s is too long to send; dropped",
               entry->resource);
        goto out;
    }
    it = (item){.endpoint = hv_strdup(endpoint), .frame = frame.data, .len = frame.len};
    pthread_mutex_lock(&lock);
    if (!started && pthread_create(&t, NULL, sender, NULL) == 0) {
        pthread_detach(t);
        started = true;
    }
    if (started && count < QUEUE_MAX) {
        queue[(head + count) % QUEUE_MAX] = it;
        count++;
        queued = true;
        pthread_cond_signal(&ready);
    } else if (dropped++ % 1000 == 0) {
        hv_log(HV_LOG_WARN,
               "audit forward: the queue for %s is full (%d entries) or its sender cannot "
               "start; entries dropped so far: %lld",
               endpoint, QUEUE_MAX, (long long)dropped);
    }
    pthread_mutex_unlock(&lock);
    if (queued)
        frame.data = NULL; /* the queue owns it */
    else
        free(it.endpoint);
out:
    hv_buf_free(&msg);
    hv_buf_free(&frame);
}
