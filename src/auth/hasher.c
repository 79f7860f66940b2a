/*
 * Password hashing in helper processes.
 *
 * argon2id needs 19 MiB of memory per run, which libsodium maps and unmaps each time.  In
 * a process whose every connection has a thread, each such map and unmap takes the
 * process's address-space lock and makes every CPU running one of its threads flush its
 * TLB: measured, a burst of logins made manifest GETs on other connections wait tens of
 * milliseconds.  So the hashing runs in child processes of their own, one per CPU, at a
 * lower priority (nice 10): their memory churn stays in their own address space.
 *
 * The children are forked by hv_auth__hasher_start, while havend is still single-threaded,
 * and each serves one end of a socket pair in a loop.  A caller takes a free child (waiting
 * in line for one), writes the request, and reads the answer.  A child that died (killed,
 * out of memory) is reaped and replaced by a new fork; glibc keeps malloc usable in a child
 * forked from threads, and the child calls nothing but read, write and libsodium; the request
 * that found it dead is sent once more, to its successor.  A child reads end of file when
 * havend exits, however it exits, and then ends too.
 *
 * The messages, on a stream socket in host byte order:
 *   request  op ('H' hash, 'V' verify) u8, password length u32, hash length u32 (0 for H),
 *            password bytes, hash bytes
 *   answer   status i32 (0: done / matches), for H the hash in libsodium's string form
 *            (crypto_pwhash_STRBYTES bytes, NUL-padded)
 */
#include "auth/auth_int.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* OWASP's minimum for argon2id (2 passes over 19 MiB): libsodium's "interactive" 64 MiB
 * made the daemon's peak memory 74 MiB at start for one hash. */
#define PWHASH_OPSLIMIT 2
#define PWHASH_MEMLIMIT (19u * 1024 * 1024)

/* Longest password or stored hash a request carries; longer ones are refused before any
 * hashing (Harbor's own limit on passwords is 128 characters). */
#define FIELD_MAX 4096

struct request {
    uint8_t op;
    uint32_t password_len, hash_len;
};

struct child {
    pid_t pid;
    int fd;
    bool busy;
};

static struct child *children;
static int n_children;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t freed = PTHREAD_COND_INITIALIZER;

static bool read_all(int fd, void *buf, size_t len) {
    char *p = buf;

    while (len > 0) {
        ssize_t n = read(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;

    while (len > 0) {
        /* MSG_NOSIGNAL: a dead peer is an error here, not a SIGPIPE for the whole process */
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* The child's loop: one request at a time until havend closes its end. */
static _Noreturn void serve(int fd) {
    static char password[FIELD_MAX + 1], hash[FIELD_MAX + 1];
    char out[crypto_pwhash_STRBYTES];

    setpriority(PRIO_PROCESS, 0, 10);
    for (;;) {
        struct request rq;
        int32_t status;

        if (!read_all(fd, &rq, sizeof(rq)) || rq.password_len > FIELD_MAX ||
            rq.hash_len > FIELD_MAX || !read_all(fd, password, rq.password_len) ||
            !read_all(fd, hash, rq.hash_len))
            _exit(0);
        password[rq.password_len] = 0;
        hash[rq.hash_len] = 0;
        memset(out, 0, sizeof(out));
        if (rq.op == 'H')
            status =
                crypto_pwhash_str(out, password, rq.password_len, PWHASH_OPSLIMIT, PWHASH_MEMLIMIT);
        else
            status = crypto_pwhash_str_verify(hash, password, rq.password_len);
        sodium_memzero(password, rq.password_len);
        if (!write_all(fd, &status, sizeof(status)) ||
            (rq.op == 'H' && !write_all(fd, out, sizeof(out))))
            _exit(0);
        sodium_memzero(out, sizeof(out));
    }
}

/* Forks the child of slot c.  Called with `lock` held, or before any thread exists. */
static bool spawn(struct child *c) {
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return false;
    pid = fork();
    if (pid < 0) {
        close(sv[0]);
        close(sv[1]);
        return false;
    }
    if (pid == 0) {
        /* keep only our end, as fd 3: the database, the listening socket and the other
         * children's sockets are not ours to hold open */
        if (dup2(sv[1], 3) < 0)
            _exit(1);
        close_range(4, ~0u, 0);
        serve(3);
    }
    close(sv[1]);
    c->pid = pid;
    c->fd = sv[0];
    c->busy = false;
    return true;
}

hv_err hv_auth__hasher_start(hv_ctx *ctx) {
    long cpus;

    if (children)
        return HV_OK;
    cpus = sysconf(_SC_NPROCESSORS_ONLN);
    n_children = cpus > 0 ? (int)cpus : 1;
    children = hv_calloc((size_t)n_children, sizeof(*children));
    for (int i = 0; i < n_children; i++)
        if (!spawn(&children[i]))
            return HV_FAIL(ctx, HV_E_INTERNAL, "cannot start the password hashing process: %s",
                           strerror(errno));
    return HV_OK;
}

static struct child *take(void) {
    pthread_mutex_lock(&lock);
    for (;;) {
        for (int i = 0; i < n_children; i++)
            if (!children[i].busy) {
                children[i].busy = true;
                pthread_mutex_unlock(&lock);
                return &children[i];
            }
        pthread_cond_wait(&freed, &lock);
    }
}

/* Gives the child back; one whose conversation failed is replaced first. */
static void give_back(struct child *c, bool failed) {
    pthread_mutex_lock(&lock);
    if (failed) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
        close(c->fd);
        c->fd = -1;
        if (!spawn(c))
            hv_log(HV_LOG_ERROR, "cannot restart a password hashing process: %s", strerror(errno));
        else
            hv_log(HV_LOG_WARN, "a password hashing process ended; started another");
    }
    c->busy = false;
    pthread_cond_signal(&freed);
    pthread_mutex_unlock(&lock);
}

/* One request to a child; false when no child could answer.  A child found dead (killed
 * between two requests, say) is replaced and the request tried once more on its successor. */
static bool ask(char op, const char *password, const char *hash, int32_t *status, char *out) {
    struct request rq = {.op = (uint8_t)op,
                         .password_len = (uint32_t)strlen(password),
                         .hash_len = hash ? (uint32_t)strlen(hash) : 0};

    if (n_children == 0) { /* hv_auth_init has not run: nobody to ask */
        hv_log(HV_LOG_ERROR, "password hashing before hv_auth_init");
        return false;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        struct child *c = take();
        bool ok = c->fd >= 0 && write_all(c->fd, &rq, sizeof(rq)) &&
                  write_all(c->fd, password, rq.password_len) &&
                  write_all(c->fd, hash ? hash : "", rq.hash_len) &&
                  read_all(c->fd, status, sizeof(*status)) &&
                  (op != 'H' || read_all(c->fd, out, crypto_pwhash_STRBYTES));

        give_back(c, !ok);
        if (ok)
            return true;
    }
    hv_log(HV_LOG_ERROR, "no password hashing process answered");
    return false;
}

hv_err hv_auth_password_hash(char **out, hv_ctx *ctx, const char *password) {
    char hash[crypto_pwhash_STRBYTES];
    int32_t status = -1;

    if (strlen(password) > FIELD_MAX)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "the password is longer than %d characters",
                       FIELD_MAX);
    if (!ask('H', password, NULL, &status, hash))
        return HV_FAIL(ctx, HV_E_INTERNAL, "the password hashing process did not answer");
    if (status != 0)
        return HV_FAIL(ctx, HV_E_INTERNAL, "password hashing ran out of memory");
    hash[sizeof(hash) - 1] = 0;
    *out = hv_strdup(hash);
    sodium_memzero(hash, sizeof(hash));
    return HV_OK;
}

bool hv_auth_password_verify(const char *hash, const char *password) {
    int32_t status = -1;

    if (!hash || strlen(password) > FIELD_MAX || strlen(hash) > FIELD_MAX)
        return false;
    return ask('V', password, hash, &status, NULL) && status == 0;
}
