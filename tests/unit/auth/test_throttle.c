/*
 * The failed-login throttle's table (src/auth/throttle.c): what counts as one client, that
 * a lock holds for its pair only, and that a flood of other pairs neither grows the table
 * nor pushes out a lock just taken.  test_login.c checks it through hv_auth_authenticate.
 */
#include "auth/auth_int.h"
#include "test.h"

#include <sodium.h>
#include <stdlib.h>

static void fail_times(const char *client, const char *name, int n) {
    for (int i = 0; i < n; i++)
        hv_auth__throttle_failed(client, name);
}

static void setup(void) {
    if (sodium_init() < 0)
        abort();
    hv_auth__throttle_reset();
}

static void test_lock_and_success(void) {
    fail_times("192.0.2.1", "alice", 4);
    CHECK_INT(hv_auth__throttle_wait("192.0.2.1", "alice"), 0);
    hv_auth__throttle_succeeded("192.0.2.1", "alice");
    fail_times("192.0.2.1", "alice", 4);
    CHECK_INT(hv_auth__throttle_wait("192.0.2.1", "alice"), 0);
    fail_times("192.0.2.1", "alice", 1);
    CHECK(hv_auth__throttle_wait("192.0.2.1", "alice") > 25);
    CHECK(hv_auth__throttle_wait("192.0.2.1", "alice") <= 30);
    /* failing while locked does not lengthen the lock */
    fail_times("192.0.2.1", "alice", 10);
    CHECK(hv_auth__throttle_wait("192.0.2.1", "alice") <= 30);
    /* the name from elsewhere, and another name from there, are not locked */
    CHECK_INT(hv_auth__throttle_wait("192.0.2.2", "alice"), 0);
    CHECK_INT(hv_auth__throttle_wait("192.0.2.1", "bob"), 0);
    CHECK_INT(hv_auth__throttle_wait(NULL, "alice"), 0);
}

/* One IPv4 address is one client; IPv6 counts per /64; an IPv4-mapped IPv6 address is the
 * IPv4 address. */
static void test_networks(void) {
    fail_times("2001:db8:1:2::7", "carol", 5);
    CHECK(hv_auth__throttle_wait("2001:db8:1:2::7", "carol") > 0);
    CHECK(hv_auth__throttle_wait("2001:db8:1:2:ffff:ffff:ffff:ffff", "carol") > 0);
    CHECK_INT(hv_auth__throttle_wait("2001:db8:1:3::7", "carol"), 0);
    CHECK_INT(hv_auth__throttle_wait("192.0.2.7", "carol"), 0);

    fail_times("::ffff:198.51.100.9", "dave", 5);
    CHECK(hv_auth__throttle_wait("198.51.100.9", "dave") > 0);
    CHECK_INT(hv_auth__throttle_wait("198.51.100.10", "dave"), 0);

    /* an unknown address is one client of its own, not a way around a lock */
    fail_times(NULL, "erin", 5);
    CHECK(hv_auth__throttle_wait(NULL, "erin") > 0);
    CHECK(hv_auth__throttle_wait("not an address", "erin") > 0);
    CHECK_INT(hv_auth__throttle_wait("192.0.2.9", "erin"), 0);
}

/* Many pairs failing at once (many names, many addresses) never grow the table nor push out
 * a lock taken just before: the table is fixed, and a full set gives up its stalest entry. */
static void test_bounded(void) {
    char client[64], name[32];

    fail_times("203.0.113.5", "admin", 5);
    for (int i = 0; i < 50000; i++) {
        snprintf(client, sizeof(client), "2001:db8:%x:%x::1", i >> 8, i & 0xff);
        snprintf(name, sizeof(name), "spray%d", i % 7);
        hv_auth__throttle_failed(client, name);
    }
    CHECK(hv_auth__throttle_wait("203.0.113.5", "admin") > 0);
    CHECK_INT(hv_auth__throttle_wait("203.0.113.6", "admin"), 0);
}

TEST_MAIN(setup, test_lock_and_success, test_networks, test_bounded)
