/*
 * The failed-login throttle: failures are counted per (client network, login name), so that
 * failing on purpose slows down the one who fails and never locks the owner of a name out
 * when they log in from elsewhere.  The client network is the IPv4 address, or the /64 of
 * an IPv6 address (one host usually holds a whole /64: counting per address would give it
 * 2^64 fresh counters).
 *
 * After FAILURES failures within WINDOW_MS the pair is refused for LOCK_MS.  Pairs live in a
 * fixed set-associative table under a keyed hash of both (the key is drawn at start, so an
 * attacker can neither read names from memory nor aim at one set); when a set is full, an
 * entry that no longer matters goes, else the one whose window started first, which is never
 * a lock just taken (a lock moves its window past its end).
 */
#include "auth/auth_int.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#define SETS      256
#define WAYS      8
#define FAILURES  5
#define WINDOW_MS 60000
#define LOCK_MS   30000

struct attempt {
    unsigned char id[16]; /* keyed hash of the client network and the login name */
    bool used;
    int failures;
    int64_t window_start;
    int64_t locked_until;
};

static unsigned char key[crypto_generichash_KEYBYTES];
static struct attempt attempts[SETS][WAYS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void hv_auth__throttle_reset(void) {
    pthread_mutex_lock(&lock);
    hv_random(key, sizeof(key));
    memset(attempts, 0, sizeof(attempts));
    pthread_mutex_unlock(&lock);
}

/* The network of an address: 4 bytes of IPv4 (also IPv4-mapped IPv6), the first 8 of IPv6;
 * none when the address is unknown (tests, tools). */
static size_t client_network(unsigned char net[8], const char *client) {
    struct in6_addr a6;
    struct in_addr a4;

    if (client && inet_pton(AF_INET, client, &a4) == 1) {
        memcpy(net, &a4, 4);
        return 4;
    }
    if (!client || inet_pton(AF_INET6, client, &a6) != 1)
        return 0;
    if (IN6_IS_ADDR_V4MAPPED(&a6)) {
        memcpy(net, a6.s6_addr + 12, 4);
        return 4;
    }
    memcpy(net, a6.s6_addr, 8);
    return 8;
}

/* Called with the lock held (the key is read under it). */
static void attempt_id(unsigned char id[16], const char *client, const char *name) {
    crypto_generichash_state st;
    unsigned char net[8], len;

    len = (unsigned char)client_network(net, client);
    crypto_generichash_init(&st, key, sizeof(key), 16);
    crypto_generichash_update(&st, &len, 1);
    crypto_generichash_update(&st, net, len);
    crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
    crypto_generichash_final(&st, id, 16);
}

/* The pair's entry; with create, a new one when it has none.  Called with the lock held. */
static struct attempt *attempt_find(const char *client, const char *name, bool create,
                                    int64_t now) {
    unsigned char id[16];
    struct attempt *set, *victim = NULL;

    attempt_id(id, client, name);
    set = attempts[((size_t)id[0] << 8 | id[1]) % SETS];
    for (int i = 0; i < WAYS; i++) {
        if (set[i].used && memcmp(set[i].id, id, 16) == 0)
            return &set[i];
    }
    if (!create)
        return NULL;
    /* a free way, else one that no longer matters, else the stalest */
    for (int i = 0; i < WAYS; i++) {
        struct attempt *a = &set[i];
        bool idle = !a->used || (a->locked_until <= now && now - a->window_start > WINDOW_MS);
        if (idle) {
            victim = a;
            break;
        }
        if (!victim || a->window_start < victim->window_start)
            victim = a;
    }
    memset(victim, 0, sizeof(*victim));
    memcpy(victim->id, id, 16);
    victim->used = true;
    victim->window_start = now;
    return victim;
}

int64_t hv_auth__throttle_wait(const char *client, const char *name) {
    int64_t now = hv_now_ms(), wait = 0;
    struct attempt *a;

    pthread_mutex_lock(&lock);
    a = attempt_find(client, name, false, now);
    if (a && a->locked_until > now)
        wait = (a->locked_until - now + 999) / 1000;
    pthread_mutex_unlock(&lock);
    return wait;
}

void hv_auth__throttle_failed(const char *client, const char *name) {
    int64_t now = hv_now_ms();
    struct attempt *a;

    pthread_mutex_lock(&lock);
    a = attempt_find(client, name, true, now);
    if (a->locked_until <= now) {
        if (now - a->window_start > WINDOW_MS) {
            a->window_start = now;
            a->failures = 0;
        }
        if (++a->failures >= FAILURES) {
            a->locked_until = now + LOCK_MS;
            a->failures = 0;
            a->window_start = a->locked_until;
        }
    }
    pthread_mutex_unlock(&lock);
}

void hv_auth__throttle_succeeded(const char *client, const char *name) {
    struct attempt *a;

    pthread_mutex_lock(&lock);
    a = attempt_find(client, name, false, hv_now_ms());
    if (a)
        a->used = false;
    pthread_mutex_unlock(&lock);
}
