/*
 * The dispatcher: one thread per process that wakes on a kick or every second, delivers the
 * volatile queue, then claims the outbox in id order in batches, delivers each event to the
 * matching subscribers and deletes the batch, in one transaction per batch.  Subscribers run
 * one at a time, in event order.  Several processes may share a database (PostgreSQL): a
 * batch is claimed with row locks that the other dispatchers skip, so each event is delivered
 * once; batches claimed by different nodes may then run side by side, so the order holds
 * within a batch and a node, not across nodes.
 */
#include "events/events.h"
#include "db/db.h"
#include "model/model.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SUBSCRIBERS 32
#define VOLATILE_MAX    65536
#define BATCH           256
#define VOLATILE_CHUNK  1024

static struct {
    const char *prefix;
    hv_event_fn fn;
    void *arg;
} subscribers[MAX_SUBSCRIBERS];
static int n_subscribers;

static struct {
    void (*fn)(hv_ctx *ctx, void *arg);
    void *arg;
} drained_hooks[MAX_SUBSCRIBERS];
static int n_drained_hooks;

void hv_events_on_drained(void (*fn)(hv_ctx *ctx, void *arg), void *arg) {
    if (n_drained_hooks == MAX_SUBSCRIBERS)
        abort();
    drained_hooks[n_drained_hooks].fn = fn;
    drained_hooks[n_drained_hooks].arg = arg;
    n_drained_hooks++;
}

struct volatile_event {
    char *type;
    char *payload;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static struct volatile_event *queue;
static size_t queue_len;
static bool kicked, stopping, running;
static pthread_t thread;
static hv_db *dispatcher_db;

void hv_events_subscribe(const char *prefix, hv_event_fn fn, void *arg) {
    if (n_subscribers == MAX_SUBSCRIBERS)
        abort();
    subscribers[n_subscribers].prefix = prefix;
    subscribers[n_subscribers].fn = fn;
    subscribers[n_subscribers].arg = arg;
    n_subscribers++;
}

hv_err hv_events_publish(hv_ctx *ctx, const char *type, const char *payload) {
    return hv_model_outbox_add(ctx, type, payload);
}

/* Volatile events dropped since the dispatcher last said so (one warning per drain, not
 * one per event: a flood of pulls must not become a flood of log lines). */
static uint64_t dropped_count;

void hv_events_publish_volatile(const char *type, const char *payload) {
    pthread_mutex_lock(&lock);
    if (!queue)
        queue = hv_calloc(VOLATILE_MAX, sizeof(*queue));
    if (queue_len < VOLATILE_MAX) {
        queue[queue_len].type = hv_strdup(type);
        queue[queue_len].payload = hv_strdup(payload);
        queue_len++;
    } else {
        dropped_count++;
    }
    pthread_mutex_unlock(&lock);
}

static char *fields(hv_ctx *ctx, va_list ap) {
    json_t *o = json_object();
    const char *k;
    char *s;

    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        if (v)
            json_object_set_new(o, k, json_string(v));
    }
    json_object_set_new(o, "operator", json_string(ctx->actor ? ctx->actor : "anonymous"));
    json_object_set_new(o, "occur_at", json_integer(hv_now_ms()));
    s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    return s;
}

hv_err hv_events_publish_fields(hv_ctx *ctx, const char *type, ...) {
    va_list ap;
    char *s;
    hv_err rc;

    va_start(ap, type);
    s = fields(ctx, ap);
    va_end(ap);
    rc = hv_events_publish(ctx, type, s);
    free(s);
    return rc;
}

void hv_events_publish_volatile_fields(hv_ctx *ctx, const char *type, ...) {
    va_list ap;
    char *s;

    va_start(ap, type);
    s = fields(ctx, ap);
    va_end(ap);
    hv_events_publish_volatile(type, s);
    free(s);
}

/* Runs of a transaction that the database gave up (a deadlock between transactions running
 * side by side on PostgreSQL), before the error goes to the caller. */
#define TRANSACTION_TRIES 3

hv_err hv_events_transaction(hv_ctx *ctx, hv_err (*fn)(hv_ctx *ctx, void *payload), void *payload) {
    hv_err rc;

    for (int attempt = 1;; attempt++) {
        rc = hv_db_begin(ctx->db, ctx);
        if (rc)
            return rc;
        rc = fn(ctx, payload);
        if (rc)
            hv_db_rollback(ctx->db);
        else
            rc = hv_db_commit(ctx->db, ctx);
        if (rc != HV_E_UNAVAILABLE || !hv_db_retryable(ctx->db) || attempt == TRANSACTION_TRIES)
            break;
        hv_error_clear(ctx);
    }
    if (rc == HV_OK)
        hv_events_kick();
    return rc;
}

void hv_events_kick(void) {
    pthread_mutex_lock(&lock);
    kicked = true;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
}

static void deliver(hv_ctx *ctx, const char *type, const char *payload) {
    for (int i = 0; i < n_subscribers; i++) {
        if (hv_str_has_prefix(type, subscribers[i].prefix))
            subscribers[i].fn(ctx, type, payload, subscribers[i].arg);
    }
}

/* Subscribers run inside the dispatcher's write transactions, one per chunk of events, so a
 * subscriber that writes (the audit log, pull statistics) costs one commit per chunk rather
 * than one per event, and an outbox chunk is cleared in the transaction that handled it. */
static bool begin(hv_ctx *ctx) {
    if (hv_db_begin(ctx->db, ctx) == HV_OK)
        return true;
    hv_log(HV_LOG_ERROR, "events: cannot start a transaction: %s", ctx->err.message);
    hv_error_clear(ctx);
    return false;
}

static void commit(hv_ctx *ctx) {
    if (hv_db_commit(ctx->db, ctx) != HV_OK) {
        hv_log(HV_LOG_ERROR, "events: cannot commit: %s", ctx->err.message);
        hv_error_clear(ctx);
    }
}

static void drain_volatile(hv_ctx *ctx) {
    struct volatile_event *batch;
    size_t n;
    uint64_t dropped;

    pthread_mutex_lock(&lock);
    batch = queue;
    n = queue_len;
    queue = NULL;
    queue_len = 0;
    dropped = dropped_count;
    dropped_count = 0;
    pthread_mutex_unlock(&lock);
    if (dropped)
        hv_log(HV_LOG_WARN, "event queue full: %llu read events were dropped",
               (unsigned long long)dropped);
    for (size_t i = 0; i < n; i += VOLATILE_CHUNK) {
        bool tx = begin(ctx);
        for (size_t j = i; j < n && j < i + VOLATILE_CHUNK; j++)
            deliver(ctx, batch[j].type, batch[j].payload);
        if (tx)
            commit(ctx);
    }
    for (size_t i = 0; i < n; i++) {
        free(batch[i].type);
        free(batch[i].payload);
    }
    free(batch);
}

/* Delivers one batch of the outbox and clears it, in one transaction; returns how many
 * events it held. */
static size_t drain_outbox(hv_ctx *ctx) {
    hv_event_row *rows;
    size_t n = 0;

    if (!begin(ctx))
        return 0;
    if (hv_model_outbox_claim(&rows, &n, ctx, BATCH) != HV_OK) {
        hv_log(HV_LOG_ERROR, "events: reading the outbox: %s", ctx->err.message);
        hv_db_rollback(ctx->db);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        deliver(ctx, rows[i].type, rows[i].payload);
    if (n > 0 && hv_model_outbox_done(ctx, rows, n) != HV_OK) {
        hv_log(HV_LOG_ERROR, "events: clearing the outbox: %s", ctx->err.message);
        hv_db_rollback(ctx->db);
        return 0;
    }
    commit(ctx);
    return n;
}

static void drain(void) {
    hv_ctx ctx = {.db = dispatcher_db, .actor = "events"};
    bool tx;

    do {
        hv_arena_free(ctx.arena);
        ctx.arena = hv_arena_new();
        hv_error_clear(&ctx);
        drain_volatile(&ctx);
    } while (drain_outbox(&ctx) == BATCH);
    tx = n_drained_hooks > 0 && begin(&ctx);
    for (int i = 0; i < n_drained_hooks; i++) {
        hv_error_clear(&ctx);
        drained_hooks[i].fn(&ctx, drained_hooks[i].arg);
    }
    if (tx)
        commit(&ctx);
    hv_arena_free(ctx.arena);
}

static void *run(void *unused) {
    (void)unused;
    pthread_mutex_lock(&lock);
    while (!stopping) {
        if (!kicked) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 1;
            pthread_cond_timedwait(&wake, &lock, &until);
        }
        kicked = false;
        pthread_mutex_unlock(&lock);
        drain();
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    drain();
    return NULL;
}

hv_err hv_events_start(hv_ctx *ctx, hv_err (*open_db)(struct hv_db **out, void *payload),
                       void *payload) {
    hv_err rc = open_db(&dispatcher_db, payload);

    if (rc)
        return HV_FAIL(ctx, rc, "events: cannot open the database");
    stopping = false;
    if (pthread_create(&thread, NULL, run, NULL) != 0) {
        hv_db_close(dispatcher_db);
        dispatcher_db = NULL;
        return HV_FAIL(ctx, HV_E_INTERNAL, "events: cannot start the dispatcher thread");
    }
    running = true;
    return HV_OK;
}

void hv_events_stop(void) {
    if (!running)
        return;
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
    pthread_join(thread, NULL);
    running = false;
    hv_db_close(dispatcher_db);
    dispatcher_db = NULL;
}
