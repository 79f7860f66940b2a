/*
 * The SQLite engine.  WAL journal with synchronous=FULL: a commit is on disk before the
 * call returns, which is what lets a 201 mean durable.  Writers take the lock at BEGIN
 * (BEGIN IMMEDIATE) and wait up to the busy timeout; readers never block writers.
 * Prepared statements are cached per connection, keyed by the address of the SQL literal.
 */
#include "db/db.h"
#include "db/db_int.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define STMT_CACHE_MIN  256
#define BUSY_TIMEOUT_MS 10000

struct hv_stmt {
    sqlite3_stmt *s;
    hv_db *db;
};

struct hv_db {
    sqlite3 *conn;
    /* open-addressing table keyed by the SQL literal's address; statements are allocated
     * one by one and never move or leave while the connection lives, so a caller may hold
     * several at once (the number of literals in the program bounds its size) */
    struct slot {
        const char *sql;
        hv_stmt *stmt;
    } * cache;
    size_t cap, n_cache;
    bool in_tx;
};

static hv_err fail(hv_db *db, hv_ctx *ctx, int rc, const char *what) {
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return HV_FAIL(ctx, HV_E_UNAVAILABLE, "the database is busy; retry later");
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return HV_FAIL(ctx, HV_E_CONFLICT, "%s: %s", what, sqlite3_errmsg(db->conn));
    return HV_FAIL(ctx, HV_E_DB, "database error in %s: %s", what, sqlite3_errmsg(db->conn));
}

hv_err hv_db_open(hv_db **out, hv_ctx *ctx, const char *path) {
    hv_db *db = hv_calloc(1, sizeof(*db));
    int rc;

    rc = sqlite3_open_v2(path, &db->conn,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        HV_FAIL(ctx, HV_E_DB, "cannot open database %s: %s", path,
                db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc));
        hv_db_close(db);
        return HV_E_DB;
    }
    sqlite3_busy_timeout(db->conn, BUSY_TIMEOUT_MS);
    rc = hv_db_exec(db, ctx,
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                    "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000;");
    if (rc) {
        hv_db_close(db);
        return rc;
    }
    *out = db;
    return HV_OK;
}

void hv_db_close(hv_db *db) {
    if (!db)
        return;
    for (size_t i = 0; i < db->cap; i++) {
        if (db->cache[i].sql) {
            sqlite3_finalize(db->cache[i].stmt->s);
            free(db->cache[i].stmt);
        }
    }
    free(db->cache);
    sqlite3_close(db->conn);
    free(db);
}

hv_err hv_db_exec(hv_db *db, hv_ctx *ctx, const char *sql) {
    int rc = sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? HV_OK : fail(db, ctx, rc, "exec");
}

hv_err hv_db_begin(hv_db *db, hv_ctx *ctx) {
    hv_err rc = hv_db_exec(db, ctx, "BEGIN IMMEDIATE");
    if (rc == HV_OK)
        db->in_tx = true;
    return rc;
}

hv_err hv_db_commit(hv_db *db, hv_ctx *ctx) {
    hv_err rc = hv_db_exec(db, ctx, "COMMIT");
    if (rc)
        hv_db_rollback(db);
    db->in_tx = false;
    return rc;
}

void hv_db_rollback(hv_db *db) {
    if (!sqlite3_get_autocommit(db->conn))
        sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
    db->in_tx = false;
}

static size_t slot_of(const struct slot *table, size_t cap, const char *sql) {
    size_t i = ((uintptr_t)sql >> 4) * 0x9E3779B97F4A7C15ull & (cap - 1);

    while (table[i].sql && table[i].sql != sql)
        i = (i + 1) & (cap - 1);
    return i;
}

static void cache_grow(hv_db *db) {
    size_t cap = db->cap ? db->cap * 2 : STMT_CACHE_MIN;
    struct slot *table = hv_calloc(cap, sizeof(*table));

    for (size_t i = 0; i < db->cap; i++) {
        if (db->cache[i].sql)
            table[slot_of(table, cap, db->cache[i].sql)] = db->cache[i];
    }
    free(db->cache);
    db->cache = table;
    db->cap = cap;
}

hv_err hv_db_prepare(hv_stmt **out, hv_db *db, hv_ctx *ctx, const char *sql) {
    sqlite3_stmt *s = NULL;
    size_t i;
    int rc;

    if (2 * (db->n_cache + 1) > db->cap)
        cache_grow(db);
    i = slot_of(db->cache, db->cap, sql);
    if (db->cache[i].sql) {
        *out = db->cache[i].stmt;
        return HV_OK;
    }
    rc = sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
    if (rc != SQLITE_OK)
        return fail(db, ctx, rc, "prepare");
    db->cache[i].sql = sql;
    db->cache[i].stmt = hv_calloc(1, sizeof(hv_stmt));
    db->cache[i].stmt->s = s;
    db->cache[i].stmt->db = db;
    db->n_cache++;
    *out = db->cache[i].stmt;
    return HV_OK;
}

hv_err hv_db_prepare_dynamic(hv_stmt **out, hv_db *db, hv_ctx *ctx, const char *sql) {
    sqlite3_stmt *s = NULL;
    hv_stmt *st;
    int rc = sqlite3_prepare_v2(db->conn, sql, -1, &s, NULL);

    if (rc != SQLITE_OK)
        return fail(db, ctx, rc, "prepare");
    st = hv_calloc(1, sizeof(*st));
    st->s = s;
    st->db = db;
    *out = st;
    return HV_OK;
}

void hv_stmt_free(hv_stmt *st) {
    if (!st)
        return;
    sqlite3_finalize(st->s);
    free(st);
}

void hv_stmt_bind_text(hv_stmt *st, int idx, const char *s) {
    if (s)
        sqlite3_bind_text(st->s, idx, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st->s, idx);
}

void hv_stmt_bind_int(hv_stmt *st, int idx, int64_t v) {
    sqlite3_bind_int64(st->s, idx, v);
}

void hv_stmt_bind_blob(hv_stmt *st, int idx, const void *p, size_t n) {
    sqlite3_bind_blob(st->s, idx, p, (int)n, SQLITE_TRANSIENT);
}

hv_err hv_stmt_step(hv_stmt *st, hv_ctx *ctx, bool *row) {
    int rc = sqlite3_step(st->s);

    if (rc == SQLITE_ROW) {
        if (row)
            *row = true;
        return HV_OK;
    }
    if (row)
        *row = false;
    if (rc == SQLITE_DONE)
        return HV_OK;
    rc = fail(st->db, ctx, sqlite3_extended_errcode(st->db->conn), "query");
    sqlite3_reset(st->s);
    return rc;
}

const char *hv_stmt_text(hv_stmt *st, int col) {
    return (const char *)sqlite3_column_text(st->s, col);
}

int64_t hv_stmt_int(hv_stmt *st, int col) {
    return sqlite3_column_int64(st->s, col);
}

const void *hv_stmt_blob(hv_stmt *st, int col, size_t *len) {
    const void *p = sqlite3_column_blob(st->s, col);
    *len = (size_t)sqlite3_column_bytes(st->s, col);
    return p;
}

bool hv_stmt_is_null(hv_stmt *st, int col) {
    return sqlite3_column_type(st->s, col) == SQLITE_NULL;
}

void hv_stmt_reset(hv_stmt *st) {
    sqlite3_reset(st->s);
    sqlite3_clear_bindings(st->s);
}

int64_t hv_db_last_id(hv_db *db) {
    return sqlite3_last_insert_rowid(db->conn);
}

int64_t hv_db_changes(hv_db *db) {
    return sqlite3_changes64(db->conn);
}
