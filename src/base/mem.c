/*
 * Allocation.  Small allocations that fail abort (h2o, redis): every caller would only
 * propagate the failure to a 500 anyway.  hv_alloc_fail_after lets a test make the n-th next
 * allocation fail to prove the abort path.  Arenas hand out zeroed memory from chunks that
 * are freed together; bounded buffers check their limit before they grow.
 */
#include "base.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_countdown = 0;

void hv_alloc_fail_after(long n) {
    atomic_store(&fail_countdown, n);
}

static void *checked(void *p) {
    if (atomic_load_explicit(&fail_countdown, memory_order_relaxed) > 0 &&
        atomic_fetch_sub(&fail_countdown, 1) == 1) {
        free(p);
        p = NULL;
    }
    if (!p) {
        fputs("havend: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *hv_malloc(size_t n) {
    return checked(malloc(n ? n : 1));
}

void *hv_calloc(size_t count, size_t n) {
    return checked(calloc(count ? count : 1, n ? n : 1));
}

void *hv_realloc(void *p, size_t n) {
    return checked(realloc(p, n ? n : 1));
}

char *hv_strdup(const char *s) {
    return hv_strndup(s, strlen(s));
}

char *hv_strndup(const char *s, size_t n) {
    char *p = hv_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *hv_printf(const char *fmt, ...) {
    va_list ap, ap2;
    int n;
    char *p;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    p = hv_malloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

/* ---------------------------------------------------------------- arena */

#define CHUNK_SIZE 8192

struct chunk {
    struct chunk *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

struct hv_arena {
    struct chunk *head;
};

hv_arena *hv_arena_new(void) {
    return hv_calloc(1, sizeof(hv_arena));
}

void hv_arena_free(hv_arena *a) {
    if (!a)
        return;
    for (struct chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

void *hv_arena_alloc(hv_arena *a, size_t n) {
    struct chunk *c = a->head;
    size_t need = (n + 15) & ~(size_t)15;
    void *p;

    if (!c || c->size - c->used < need) {
        size_t size = need > CHUNK_SIZE / 2 ? need : CHUNK_SIZE;
        c = hv_malloc(sizeof(*c) + size);
        c->used = 0;
        c->size = size;
        if (a->head && need > CHUNK_SIZE / 2) {
            /* a big block goes behind the current chunk so its free space stays usable */
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    p = c->data + c->used;
    c->used += need;
    memset(p, 0, n);
    return p;
}

void *hv_arena_grow(hv_arena *a, void *v, size_t *cap, size_t count, size_t elem) {
    void *bigger;

    if (count < *cap)
        return v;
    bigger = hv_arena_alloc(a, 2 * *cap * elem);
    memcpy(bigger, v, *cap * elem);
    *cap *= 2;
    return bigger;
}

char *hv_arena_strndup(hv_arena *a, const char *s, size_t n) {
    char *p = hv_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    return p;
}

char *hv_arena_strdup(hv_arena *a, const char *s) {
    return s ? hv_arena_strndup(a, s, strlen(s)) : NULL;
}

char *hv_arena_printf(hv_arena *a, const char *fmt, ...) {
    va_list ap, ap2;
    int n;
    char *p;

    va_start(ap, fmt);
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    p = hv_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

/* ---------------------------------------------------------------- bounded buffer */

void hv_buf_init(hv_buf *b, size_t max) {
    memset(b, 0, sizeof(*b));
    b->max = max;
}

hv_err hv_buf_append(hv_buf *b, const void *data, size_t n) {
    if (n > b->max - b->len)
        return HV_E_TOO_LARGE;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > b->max + 1)
            cap = b->max + 1;
        b->data = hv_realloc(b->data, cap);
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return HV_OK;
}

hv_err hv_buf_vappendf(hv_buf *b, const char *fmt, va_list ap) {
    char small[512];
    va_list again;
    int n;
    hv_err rc;

    va_copy(again, ap);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0) {
        va_end(again);
        return HV_E_INTERNAL; /* an encoding error: nothing was appended */
    }
    if ((size_t)n < sizeof(small)) {
        va_end(again);
        return hv_buf_append(b, small, (size_t)n);
    }
    char *big = hv_malloc((size_t)n + 1);
    vsnprintf(big, (size_t)n + 1, fmt, again);
    va_end(again);
    rc = hv_buf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

hv_err hv_buf_appendf(hv_buf *b, const char *fmt, ...) {
    va_list ap;
    hv_err rc;

    va_start(ap, fmt);
    rc = hv_buf_vappendf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void hv_buf_reset(hv_buf *b) {
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void hv_buf_free(hv_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
