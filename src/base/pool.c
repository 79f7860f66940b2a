/*
 * Worker pools: a fixed set of threads that run work for callers who wait for it.  A pool
 * bounds how much of something expensive runs at once whatever the number of callers
 * (password hashing: argon2id takes 19 MiB and some 20 ms of a core per call, and every
 * connection has its own thread that could ask for one).  Callers queue in arrival order; a
 * job lives on its caller's stack, so the queue needs no allocation and no limit of its own:
 * it is bounded by the number of threads that can wait on it.  Pool threads run at a lower
 * priority (nice), so while they are busy the scheduler still favours cheap requests.
 */
#include "base.h"

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct job {
    void (*fn)(void *arg);
    void *arg;
    bool done;
    pthread_cond_t finished; /* its caller waits on it alone: no herd wakes per job */
    struct job *next;
};

struct hv_pool {
    pthread_mutex_t lock;
    pthread_cond_t work; /* a job was queued, or the pool is stopping */
    struct job *head, *tail;
    bool stopping;
    int nice_inc;
    int n_threads;
    pthread_t *threads;
};

static void *worker(void *arg) {
    hv_pool *p = arg;
    struct job *j;

    /* Linux threads have their own nice value; lowering it needs no privilege */
    if (p->nice_inc > 0)
        setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), p->nice_inc);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->work, &p->lock);
        if (!p->head)
            break;
        j = p->head;
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->lock);
        j->fn(j->arg);
        pthread_mutex_lock(&p->lock);
        j->done = true;
        pthread_cond_signal(&j->finished);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

hv_pool *hv_pool_new(int threads, int nice_inc) {
    hv_pool *p = hv_calloc(1, sizeof(*p));

    assert(threads > 0);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    p->nice_inc = nice_inc;
    p->threads = hv_calloc((size_t)threads, sizeof(*p->threads));
    for (int i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            abort(); /* as an allocation that fails */
        p->n_threads++;
    }
    return p;
}

void hv_pool_run(hv_pool *p, void (*fn)(void *arg), void *arg) {
    struct job j = {.fn = fn, .arg = arg};

    pthread_cond_init(&j.finished, NULL);
    pthread_mutex_lock(&p->lock);
    assert(!p->stopping);
    if (p->tail)
        p->tail->next = &j;
    else
        p->head = &j;
    p->tail = &j;
    pthread_cond_signal(&p->work);
    while (!j.done)
        pthread_cond_wait(&j.finished, &p->lock);
    pthread_mutex_unlock(&p->lock);
    pthread_cond_destroy(&j.finished);
}

void hv_pool_free(hv_pool *p) {
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->lock);
    free(p->threads);
    free(p);
}
