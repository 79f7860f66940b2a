/*
 * The cache of small blobs: whole, verified bytes of blobs up to HV_BLOB_CACHE_ITEM_MAX, by
 * digest, within a byte budget, the least recently used evicted first.  A blob is immutable
 * (its name is its digest), so a cached copy never goes stale; a node that deletes a blob
 * drops its copy, and every other node finds the deletion in the database before it looks
 * here.
 *
 * One mutex guards the table and the recency list; the bytes are read outside it.  A reader
 * holds its entry (a count of holders), so an entry evicted or dropped while it is being
 * sent leaves the table at once and is freed by its last holder.  The budget counts each
 * entry's bytes plus its bookkeeping, so that many tiny blobs cannot hide behind it.
 *
 * The table hashes the whole digest (FNV-1a); chains are kept short by doubling the table
 * whenever it holds more entries than buckets.
 */
#include "blob/blob_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    hv_blob__cached pub; /* first: the pointer handed out is the entry's */
    char digest[HV_DIGEST_MAX];
    uint64_t hash;
    size_t cost;
    int holders;                 /* the table (while cached) and every reader */
    struct entry *next;          /* in its bucket */
    struct entry *newer, *older; /* the recency list */
} entry;

struct hv_blob__cache {
    pthread_mutex_t lock;
    size_t budget, used;
    entry **buckets;
    size_t n_buckets, n;
    entry *newest, *oldest;
};

static uint64_t hash_of(const char *digest) {
    uint64_t h = 14695981039346656037ull; /* FNV-1a */

    for (const char *p = digest; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

hv_blob__cache *hv_blob__cache_new(size_t budget) {
    hv_blob__cache *c = hv_calloc(1, sizeof(*c));

    pthread_mutex_init(&c->lock, NULL);
    c->budget = budget;
    c->n_buckets = 64;
    c->buckets = hv_calloc(c->n_buckets, sizeof(*c->buckets));
    return c;
}

static void unhold(entry *e) {
    if (--e->holders == 0) {
        free((char *)e->pub.data);
        free(e);
    }
}

/* Takes e out of the table and the recency list; the table's hold on it ends.  Locked. */
static void unlink_entry(hv_blob__cache *c, entry *e) {
    entry **p = &c->buckets[e->hash % c->n_buckets];

    while (*p != e)
        p = &(*p)->next;
    *p = e->next;
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    c->used -= e->cost;
    c->n--;
    unhold(e);
}

static void make_newest(hv_blob__cache *c, entry *e) {
    if (c->newest == e)
        return;
    if (e->newer) { /* in the list (not at its head): take it out */
        e->newer->older = e->older;
        if (e->older)
            e->older->newer = e->newer;
        else
            c->oldest = e->newer;
    }
    e->newer = NULL;
    e->older = c->newest;
    if (c->newest)
        c->newest->newer = e;
    c->newest = e;
    if (!c->oldest)
        c->oldest = e;
}

static entry *find(hv_blob__cache *c, const char *digest, uint64_t hash) {
    for (entry *e = c->buckets[hash % c->n_buckets]; e; e = e->next) {
        if (e->hash == hash && strcmp(e->digest, digest) == 0)
            return e;
    }
    return NULL;
}

static void grow(hv_blob__cache *c) {
    size_t n = c->n_buckets * 2;
    entry **b = hv_calloc(n, sizeof(*b));

    for (size_t i = 0; i < c->n_buckets; i++) {
        entry *e = c->buckets[i];
        while (e) {
            entry *next = e->next;
            e->next = b[e->hash % n];
            b[e->hash % n] = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->n_buckets = n;
}

const hv_blob__cached *hv_blob__cache_get(hv_blob__cache *c, const char *digest) {
    uint64_t hash = hash_of(digest);
    entry *e;

    pthread_mutex_lock(&c->lock);
    e = find(c, digest, hash);
    if (e) {
        make_newest(c, e);
        e->holders++;
    }
    pthread_mutex_unlock(&c->lock);
    return e ? &e->pub : NULL;
}

const hv_blob__cached *hv_blob__cache_put(hv_blob__cache *c, const char *digest, char *data,
                                          size_t len) {
    uint64_t hash = hash_of(digest);
    entry *e, *old;

    if (len > HV_BLOB_CACHE_ITEM_MAX || strlen(digest) >= sizeof(e->digest)) {
        free(data);
        return NULL;
    }
    e = hv_calloc(1, sizeof(*e));
    e->pub.data = data;
    e->pub.len = len;
    snprintf(e->digest, sizeof(e->digest), "%s", digest);
    e->hash = hash;
    e->cost = len + sizeof(*e);
    e->holders = 2; /* the table and the caller */
    pthread_mutex_lock(&c->lock);
    old = find(c, digest, hash);
    if (old) /* another reader filled it meanwhile: the same bytes */
        unlink_entry(c, old);
    while (c->oldest && c->used + e->cost > c->budget)
        unlink_entry(c, c->oldest);
    if (c->used + e->cost > c->budget) { /* larger than the whole budget: only the caller's */
        e->holders = 1;
    } else {
        entry **b = &c->buckets[hash % c->n_buckets];
        e->next = *b;
        *b = e;
        make_newest(c, e);
        c->used += e->cost;
        if (++c->n > c->n_buckets)
            grow(c);
    }
    pthread_mutex_unlock(&c->lock);
    return &e->pub;
}

void hv_blob__cache_release(hv_blob__cache *c, const hv_blob__cached *b) {
    if (!b)
        return;
    pthread_mutex_lock(&c->lock);
    unhold((entry *)b);
    pthread_mutex_unlock(&c->lock);
}

void hv_blob__cache_drop(hv_blob__cache *c, const char *digest) {
    uint64_t hash = hash_of(digest);
    entry *e;

    pthread_mutex_lock(&c->lock);
    e = find(c, digest, hash);
    if (e)
        unlink_entry(c, e);
    pthread_mutex_unlock(&c->lock);
}

void hv_blob__cache_free(hv_blob__cache *c) {
    if (!c)
        return;
    while (c->oldest)
        unlink_entry(c, c->oldest);
    free(c->buckets);
    pthread_mutex_destroy(&c->lock);
    free(c);
}
