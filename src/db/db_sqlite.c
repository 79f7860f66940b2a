/*
 * The SQLite engine.  WAL journal with synchronous=FULL: a commit is on disk before the
 * call returns, which is what lets a 201 mean durable.  Writers take the lock at BEGIN
 * (BEGIN IMMEDIATE) and wait up to the busy timeout; readers never block writers.  The
 * writers of this process queue for that lock first, in the order they came (SQLite's own
 * wait is a poll that a writer beginning again at once keeps winning: a long run of short
 * transactions, such as garbage collection's, would starve a push for the whole timeout).
 */
#include "db/db.h"
#include "db/db_int.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUSY_TIMEOUT_MS 10000

typedef struct lite_db {
    struct hv_db base;
    sqlite3 *conn;
    bool writing; /* holds this process's turn to write (between BEGIN and its end) */
} lite_db;

typedef struct lite_stmt {
    struct hv_stmt base;
    sqlite3_stmt *s;
    bool turn; /* a write outside a transaction, holding the turn until it is done */
} lite_stmt;

#define CONN(db) (((lite_db *)(db))->conn)
#define STMT(st) (((lite_stmt *)(st))->s)

/* ---- the writers' queue: one turn at a time, first come first served */

typedef struct turn {
    struct turn *next;
} turn;

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_moved = PTHREAD_COND_INITIALIZER;
static turn *queue_head, **queue_tail = &queue_head;
static bool queue_busy; /* a writer holds the turn */

static void queue_unlink(turn *t) {
    turn **p = &queue_head;

    while (*p != t)
        p = &(*p)->next;
    *p = t->next;
    if (queue_tail == &t->next)
        queue_tail = p;
}

/* Waits for this writer's turn, up to the busy timeout; false when it did not come. */
static bool queue_enter(void) {
    turn me = {NULL};
    struct timespec until;
    bool got = true;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += BUSY_TIMEOUT_MS / 1000;
    pthread_mutex_lock(&queue_lock);
    *queue_tail = &me;
    queue_tail = &me.next;
    while (got && (queue_busy || queue_head != &me))
        got = pthread_cond_timedwait(&queue_moved, &queue_lock, &until) != ETIMEDOUT;
    queue_unlink(&me);
    queue_busy = queue_busy || got;
    pthread_cond_broadcast(&queue_moved); /* the next in line may be at the head now */
    pthread_mutex_unlock(&queue_lock);
    return got;
}

static void queue_leave(lite_db *db) {
    if (!db->writing)
        return;
    db->writing = false;
    pthread_mutex_lock(&queue_lock);
    queue_busy = false;
    pthread_cond_broadcast(&queue_moved);
    pthread_mutex_unlock(&queue_lock);
}

static hv_err fail(sqlite3 *conn, hv_ctx *ctx, int rc, const char *what) {
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return HV_FAIL(ctx, HV_E_UNAVAILABLE, "the database is busy; retry later");
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return HV_FAIL(ctx, HV_E_CONFLICT, "%s: %s", what, sqlite3_errmsg(conn));
    return HV_FAIL(ctx, HV_E_DB, "database error in %s: %s", what, sqlite3_errmsg(conn));
}

static void lite_close(hv_db *db) {
    queue_leave((lite_db *)db);
    sqlite3_close(CONN(db));
    free(db);
}

static hv_err lite_exec(hv_db *db, hv_ctx *ctx, const char *sql) {
    int rc = sqlite3_exec(CONN(db), sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? HV_OK : fail(CONN(db), ctx, rc, "exec");
}

static hv_err lite_open(hv_db **out, hv_ctx *ctx, const char *path) {
    lite_db *db = hv_calloc(1, sizeof(*db));
    int rc;

    rc = sqlite3_open_v2(path, &db->conn,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        HV_FAIL(ctx, HV_E_DB, "cannot open database %s: %s", path,
                db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc));
        lite_close(&db->base);
        return HV_E_DB;
    }
    sqlite3_busy_timeout(db->conn, BUSY_TIMEOUT_MS);
    rc = lite_exec(&db->base, ctx,
                   "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                   "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000;"
                   /* pages read from the mapped file: no read() per page, which halves
                    * the time of scans over large tables (garbage collection's) */
                   "PRAGMA mmap_size=1073741824;");
    if (rc) {
        lite_close(&db->base);
        return rc;
    }
    *out = &db->base;
    return HV_OK;
}

static hv_err lite_begin(hv_db *db, hv_ctx *ctx) {
    lite_db *l = (lite_db *)db;
    hv_err rc;

    if (!queue_enter())
        return fail(l->conn, ctx, SQLITE_BUSY, "begin");
    l->writing = true;
    rc = lite_exec(db, ctx, "BEGIN IMMEDIATE");
    if (rc)
        queue_leave(l);
    return rc;
}

static hv_err lite_commit(hv_db *db, hv_ctx *ctx) {
    hv_err rc = lite_exec(db, ctx, "COMMIT");

    if (rc == HV_OK)
        queue_leave((lite_db *)db);
    return rc;
}

static void lite_rollback(hv_db *db) {
    if (!sqlite3_get_autocommit(CONN(db)))
        sqlite3_exec(CONN(db), "ROLLBACK", NULL, NULL, NULL);
    queue_leave((lite_db *)db);
}

static bool lite_broken(const hv_db *db) {
    (void)db;
    return false;
}

static hv_err lite_prepare(hv_stmt **out, hv_db *db, hv_ctx *ctx, const char *sql, bool cached) {
    sqlite3_stmt *s = NULL;
    lite_stmt *st;
    int rc =
        sqlite3_prepare_v3(CONN(db), sql, -1, cached ? SQLITE_PREPARE_PERSISTENT : 0, &s, NULL);

    if (rc != SQLITE_OK)
        return fail(CONN(db), ctx, rc, "prepare");
    st = hv_calloc(1, sizeof(*st));
    st->s = s;
    *out = &st->base;
    return HV_OK;
}

static void turn_end(hv_stmt *st);

static void lite_finalize(hv_stmt *st) {
    sqlite3_finalize(STMT(st));
    turn_end(st);
    free(st);
}

static void lite_bind_text(hv_stmt *st, int idx, const char *s) {
    if (s)
        sqlite3_bind_text(STMT(st), idx, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(STMT(st), idx);
}

static void lite_bind_int(hv_stmt *st, int idx, int64_t v) {
    sqlite3_bind_int64(STMT(st), idx, v);
}

static void lite_bind_blob(hv_stmt *st, int idx, const void *p, size_t n) {
    sqlite3_bind_blob(STMT(st), idx, p, (int)n, SQLITE_TRANSIENT);
}

static void lite_bind_null(hv_stmt *st, int idx) {
    sqlite3_bind_null(STMT(st), idx);
}

/* A statement's turn ends with it: when it is done, fails or is reset. */
static void turn_end(hv_stmt *st) {
    lite_stmt *l = (lite_stmt *)st;

    if (l->turn) {
        l->turn = false;
        queue_leave((lite_db *)st->db);
    }
}

static hv_err lite_step(hv_stmt *st, hv_ctx *ctx, bool *row) {
    lite_stmt *l = (lite_stmt *)st;
    sqlite3 *conn = CONN(st->db);
    int rc;

    /* a write outside a transaction waits in the writers' queue too */
    if (sqlite3_get_autocommit(conn) && !sqlite3_stmt_readonly(l->s) && !sqlite3_stmt_busy(l->s)) {
        if (!queue_enter())
            return fail(conn, ctx, SQLITE_BUSY, "query");
        ((lite_db *)st->db)->writing = l->turn = true;
    }
    rc = sqlite3_step(l->s);
    if (rc == SQLITE_ROW) {
        if (row)
            *row = true;
        return HV_OK;
    }
    if (row)
        *row = false;
    if (rc == SQLITE_DONE) {
        st->db->changes = sqlite3_changes64(conn);
        turn_end(st);
        return HV_OK;
    }
    rc = fail(conn, ctx, sqlite3_extended_errcode(conn), "query");
    sqlite3_reset(l->s);
    turn_end(st);
    return rc;
}

static const char *lite_text(hv_stmt *st, int col) {
    return (const char *)sqlite3_column_text(STMT(st), col);
}

static int64_t lite_int(hv_stmt *st, int col) {
    return sqlite3_column_int64(STMT(st), col);
}

static const void *lite_blob(hv_stmt *st, int col, size_t *len) {
    const void *p = sqlite3_column_blob(STMT(st), col);
    *len = (size_t)sqlite3_column_bytes(STMT(st), col);
    return p;
}

static bool lite_is_null(hv_stmt *st, int col) {
    return sqlite3_column_type(STMT(st), col) == SQLITE_NULL;
}

static hv_db_type lite_type(hv_stmt *st, int col) {
    switch (sqlite3_column_type(STMT(st), col)) {
    case SQLITE_NULL:
        return HV_DB_NULL;
    case SQLITE_INTEGER:
        return HV_DB_INTEGER;
    case SQLITE_BLOB:
        return HV_DB_BLOB;
    default: /* text; the schema has no REAL column */
        return HV_DB_TEXT;
    }
}

static void lite_reset(hv_stmt *st) {
    sqlite3_reset(STMT(st));
    sqlite3_clear_bindings(STMT(st));
    turn_end(st);
}

const hv_db__driver hv_db__sqlite = {
    .engine = HV_DB_SQLITE,
    .migrations = hv_db__migrations_sqlite,
    .open = lite_open,
    .close = lite_close,
    .exec = lite_exec,
    .begin = lite_begin,
    .commit = lite_commit,
    .rollback = lite_rollback,
    .broken = lite_broken,
    .prepare = lite_prepare,
    .finalize = lite_finalize,
    .bind_text = lite_bind_text,
    .bind_int = lite_bind_int,
    .bind_blob = lite_bind_blob,
    .bind_null = lite_bind_null,
    .step = lite_step,
    .text = lite_text,
    .int64 = lite_int,
    .blob = lite_blob,
    .is_null = lite_is_null,
    .type = lite_type,
    .reset = lite_reset,
};
