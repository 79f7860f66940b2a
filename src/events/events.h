/*
 * events — the event bus between features.  A change publishes its events with
 * hv_events_publish inside the transaction that makes the change: they are written to the
 * outbox table, so they commit or vanish with it.  After commit the dispatcher thread hands
 * them, in order, to every subscriber whose prefix matches and then removes them; a crash
 * before that leaves them in the outbox for the next start, so no event is lost.
 *
 * Reads change nothing, so pulls are not worth a write transaction each: they go through
 * hv_events_publish_volatile into a bounded in-memory queue that the dispatcher delivers
 * the same way (a crash may lose the last moments of pull statistics, never a change).
 *
 * Event types: artifact.pushed, artifact.pulled, artifact.deleted, tag.created, tag.deleted.
 * Payloads are JSON objects.
 */
#ifndef HV_EVENTS_H
#define HV_EVENTS_H

#include "base/base.h"

/* Called on the dispatcher thread with a context of its own (ctx->db is its connection),
 * inside a write transaction the dispatcher opened: a subscriber writes without opening one
 * (its writes commit with the chunk of events it belongs to, or are lost with it). */
typedef void (*hv_event_fn)(hv_ctx *ctx, const char *type, const char *payload, void *arg);

/* Registers a subscriber for every event type starting with prefix ("" for all).
 * Only before hv_events_start. */
void hv_events_subscribe(const char *prefix, hv_event_fn fn, void *arg);

/* Registers fn to run on the dispatcher thread each time it has delivered everything
 * pending (and once more at stop), so a subscriber that batches its work — pull
 * statistics — knows when to write; like subscribers, inside the dispatcher's transaction.
 * Only before hv_events_start. */
void hv_events_on_drained(void (*fn)(hv_ctx *ctx, void *arg), void *arg);

/* Writes an event to the outbox within the caller's transaction on ctx->db. */
hv_err hv_events_publish(hv_ctx *ctx, const char *type, const char *payload);

/* Queues an event that records a read; dropped (with a warning) when the queue is full. */
void hv_events_publish_volatile(const char *type, const char *payload);

/* The same two with the payload built from string pairs (key, value, ..., NULL; pairs with
 * a NULL value are left out) plus "operator" (ctx->actor) and "occur_at" (ms). */
hv_err hv_events_publish_fields(hv_ctx *ctx, const char *type, ...);
void hv_events_publish_volatile_fields(hv_ctx *ctx, const char *type, ...);

/* Wakes the dispatcher after a commit that published events. */
void hv_events_kick(void);

/* Runs fn(ctx, payload) in a write transaction on ctx->db: rolls back when it fails (its
 * error passed up unchanged) and, after a commit, wakes the dispatcher so that the events
 * fn published are delivered at once.  The way services make a change.  A transaction that
 * the database gave up (hv_db_retryable: a deadlock with another on PostgreSQL) runs again,
 * up to three times in all, so fn must leave nothing outside the database that a second run
 * would repeat. */
hv_err hv_events_transaction(hv_ctx *ctx, hv_err (*fn)(hv_ctx *ctx, void *payload), void *payload);

/* Starts the dispatcher thread with its own database connection. */
hv_err hv_events_start(hv_ctx *ctx, hv_err (*open_db)(struct hv_db **out, void *payload),
                       void *payload);
/* Delivers what is pending, then stops the dispatcher. */
void hv_events_stop(void);

#endif
