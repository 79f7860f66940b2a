/*
 * The cache of small blobs (src/blob/cache.c) on its own: copies come back byte for byte,
 * the least recently used go first when the budget is spent, a blob larger than the cache
 * keeps is refused, a copy that is evicted or dropped while held stays readable until it is
 * released, the table grows past its first buckets, and threads that read, fill and drop at
 * once only ever see whole, right copies (under the sanitizers of the test build).
 */
#include "blob/blob_int.h"
#include "test.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A digest-like name for blob i, and bytes that tell which blob they belong to. */
static void name_of(char out[HV_DIGEST_MAX], int i) {
    snprintf(out, HV_DIGEST_MAX, "sha256:%064x", (unsigned)i * 2654435761u);
}

static char *bytes_of(int i, size_t n) {
    char *b = hv_malloc(n);

    for (size_t k = 0; k < n; k++)
        b[k] = (char)('a' + (i + (int)k) % 26);
    return b;
}

static bool is_copy_of(const hv_blob__cached *b, int i, size_t n) {
    char *want = bytes_of(i, n);
    bool same = b && b->len == n && memcmp(b->data, want, n) == 0;

    free(want);
    return same;
}

/* Checks that c holds a right copy of blob i, of n bytes. */
#define CHECK_CACHED(c, d, i, n)                                                                   \
    do {                                                                                           \
        const hv_blob__cached *b_ = hv_blob__cache_get(c, d);                                      \
        CHECK(is_copy_of(b_, i, n));                                                               \
        hv_blob__cache_release(c, b_);                                                             \
    } while (0)

/* The budget counts bookkeeping too: an entry of n bytes costs a little more. */
#define SMALL 1000

static void test_get_put_release(void) {
    hv_blob__cache *c = hv_blob__cache_new(1 << 20);
    char d[HV_DIGEST_MAX];
    const hv_blob__cached *b;

    name_of(d, 1);
    CHECK(hv_blob__cache_get(c, d) == NULL);
    b = hv_blob__cache_put(c, d, bytes_of(1, SMALL), SMALL);
    CHECK(is_copy_of(b, 1, SMALL));
    hv_blob__cache_release(c, b);
    CHECK_CACHED(c, d, 1, SMALL);
    /* filled again (two readers missed at once): one copy stays */
    hv_blob__cache_release(c, hv_blob__cache_put(c, d, bytes_of(1, SMALL), SMALL));
    CHECK_CACHED(c, d, 1, SMALL);
    hv_blob__cache_drop(c, d);
    CHECK(hv_blob__cache_get(c, d) == NULL);
    hv_blob__cache_release(c, NULL);
    hv_blob__cache_free(c);
}

/* Room for three entries: a fourth evicts the least recently used, which a get renews. */
static void test_least_recently_used_goes_first(void) {
    hv_blob__cache *c = hv_blob__cache_new(3 * (SMALL + 256));
    char d[5][HV_DIGEST_MAX];

    for (int i = 0; i < 5; i++)
        name_of(d[i], i);
    for (int i = 0; i < 3; i++)
        hv_blob__cache_release(c, hv_blob__cache_put(c, d[i], bytes_of(i, SMALL), SMALL));
    hv_blob__cache_release(c, hv_blob__cache_get(c, d[0])); /* 1 is now the oldest */
    hv_blob__cache_release(c, hv_blob__cache_put(c, d[3], bytes_of(3, SMALL), SMALL));
    CHECK(hv_blob__cache_get(c, d[1]) == NULL);
    for (int i = 0; i < 4; i++) {
        if (i == 1)
            continue;
        CHECK_CACHED(c, d[i], i, SMALL);
    }
    /* gets renewed 0, 2, 3 in that order: 0 goes next */
    hv_blob__cache_release(c, hv_blob__cache_put(c, d[4], bytes_of(4, SMALL), SMALL));
    CHECK(hv_blob__cache_get(c, d[0]) == NULL);
    CHECK_CACHED(c, d[2], 2, SMALL);
    hv_blob__cache_free(c);
}

static void test_sizes(void) {
    hv_blob__cache *big = hv_blob__cache_new(64 << 20), *tiny = hv_blob__cache_new(4096),
                   *none = hv_blob__cache_new(0);
    char d[HV_DIGEST_MAX];
    const hv_blob__cached *b;

    name_of(d, 7);
    CHECK(hv_blob__cache_put(big, d, bytes_of(7, HV_BLOB_CACHE_ITEM_MAX + 1),
                             HV_BLOB_CACHE_ITEM_MAX + 1) == NULL);
    CHECK(hv_blob__cache_get(big, d) == NULL);
    b = hv_blob__cache_put(big, d, bytes_of(7, HV_BLOB_CACHE_ITEM_MAX), HV_BLOB_CACHE_ITEM_MAX);
    CHECK(is_copy_of(b, 7, HV_BLOB_CACHE_ITEM_MAX));
    hv_blob__cache_release(big, b);
    CHECK_CACHED(big, d, 7, HV_BLOB_CACHE_ITEM_MAX);
    /* past the budget (with its bookkeeping): the caller's copy only */
    b = hv_blob__cache_put(tiny, d, bytes_of(7, 4096), 4096);
    CHECK(is_copy_of(b, 7, 4096));
    hv_blob__cache_release(tiny, b);
    CHECK(hv_blob__cache_get(tiny, d) == NULL);
    b = hv_blob__cache_put(none, d, bytes_of(7, 10), 10);
    CHECK(is_copy_of(b, 7, 10));
    hv_blob__cache_release(none, b);
    CHECK(hv_blob__cache_get(none, d) == NULL);
    /* an empty blob is a blob */
    name_of(d, 8);
    hv_blob__cache_release(big, hv_blob__cache_put(big, d, hv_malloc(1), 0));
    b = hv_blob__cache_get(big, d);
    CHECK(b != NULL && b->len == 0);
    hv_blob__cache_release(big, b);
    hv_blob__cache_free(big);
    hv_blob__cache_free(tiny);
    hv_blob__cache_free(none);
}

static void test_held_copy_outlives_eviction_and_drop(void) {
    hv_blob__cache *c = hv_blob__cache_new(SMALL + 256);
    char d[3][HV_DIGEST_MAX];
    const hv_blob__cached *held;

    for (int i = 0; i < 3; i++)
        name_of(d[i], i);
    held = hv_blob__cache_put(c, d[0], bytes_of(0, SMALL), SMALL);
    hv_blob__cache_release(c, hv_blob__cache_put(c, d[1], bytes_of(1, SMALL), SMALL));
    CHECK(hv_blob__cache_get(c, d[0]) == NULL); /* evicted */
    CHECK(is_copy_of(held, 0, SMALL));          /* still readable */
    hv_blob__cache_release(c, held);
    held = hv_blob__cache_get(c, d[1]);
    hv_blob__cache_drop(c, d[1]);
    CHECK(hv_blob__cache_get(c, d[1]) == NULL);
    CHECK(is_copy_of(held, 1, SMALL));
    hv_blob__cache_release(c, held);
    hv_blob__cache_release(c, hv_blob__cache_put(c, d[2], bytes_of(2, SMALL), SMALL));
    CHECK_CACHED(c, d[2], 2, SMALL);
    hv_blob__cache_free(c);
}

static void test_many_entries(void) {
    hv_blob__cache *c = hv_blob__cache_new(64 << 20);
    char d[HV_DIGEST_MAX];
    int found = 0;

    for (int i = 0; i < 20000; i++) {
        name_of(d, i);
        hv_blob__cache_release(c, hv_blob__cache_put(c, d, bytes_of(i, 16), 16));
    }
    for (int i = 0; i < 20000; i++) {
        const hv_blob__cached *b;
        name_of(d, i);
        b = hv_blob__cache_get(c, d);
        found += is_copy_of(b, i, 16);
        hv_blob__cache_release(c, b);
    }
    CHECK_INT(found, 20000);
    hv_blob__cache_free(c);
}

#define THREADS 4
#define BLOBS   64
#define ROUNDS  20000

static hv_blob__cache *shared;
static int wrong;

static void *worker(void *arg) {
    unsigned seed = (unsigned)(size_t)arg;

    for (int k = 0; k < ROUNDS; k++) {
        int i = (int)(rand_r(&seed) % BLOBS);
        size_t n = 100 + (size_t)i * 50;
        char d[HV_DIGEST_MAX];
        const hv_blob__cached *b;

        name_of(d, i);
        switch (rand_r(&seed) % 8) {
        case 0:
            hv_blob__cache_drop(shared, d);
            break;
        case 1:
        case 2:
            b = hv_blob__cache_put(shared, d, bytes_of(i, n), n);
            if (!is_copy_of(b, i, n))
                __atomic_add_fetch(&wrong, 1, __ATOMIC_RELAXED);
            hv_blob__cache_release(shared, b);
            break;
        default:
            b = hv_blob__cache_get(shared, d);
            if (b && !is_copy_of(b, i, n))
                __atomic_add_fetch(&wrong, 1, __ATOMIC_RELAXED);
            hv_blob__cache_release(shared, b);
        }
    }
    return NULL;
}

/* A budget of about a third of the blobs: evictions all the time. */
static void test_threads(void) {
    pthread_t t[THREADS];

    shared = hv_blob__cache_new(BLOBS * 1800 / 3);
    for (size_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(i + 1));
    for (size_t i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_INT(wrong, 0);
    hv_blob__cache_free(shared);
}

TEST_MAIN(test_get_put_release, test_least_recently_used_goes_first, test_sizes,
          test_held_copy_outlives_eviction_and_drop, test_many_entries, test_threads)
