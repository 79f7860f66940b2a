/*
 * The engine-neutral half of db: choosing the engine, the per-connection statement cache,
 * and dispatch to the engine's functions (db_sqlite.c, db_pg.c).
 */
#include "db/db.h"
#include "db/db_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define STMT_CACHE_MIN 256

bool hv_db_is_url(const char *target) {
    return strncasecmp(target, "postgres://", 11) == 0 ||
           strncasecmp(target, "postgresql://", 13) == 0;
}

const char *hv_db_redact(hv_arena *arena, const char *target) {
    const char *auth, *at, *colon;
    size_t len;

    if (!hv_db_is_url(target))
        return hv_arena_strdup(arena, target);
    auth = strstr(target, "://") + 3;
    len = strcspn(auth, "/?"); /* user:password@host:port, before the path and the query */
    at = memrchr(auth, '@', len);
    colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (!colon)
        return hv_arena_strdup(arena, target);
    return hv_arena_printf(arena, "%.*sxxxxx%s", (int)(colon + 1 - target), target, at);
}

hv_err hv_db_open(hv_db **out, hv_ctx *ctx, const char *target) {
    const hv_db__driver *driver = hv_db_is_url(target) ? &hv_db__postgres : &hv_db__sqlite;
    hv_err rc = driver->open(out, ctx, target);

    if (rc)
        return rc;
    (*out)->driver = driver;
    (*out)->opened_ms = hv_now_ms();
    return HV_OK;
}

void hv_db_close(hv_db *db) {
    if (!db)
        return;
    for (size_t i = 0; i < db->cap; i++) {
        if (db->cache[i].sql)
            db->driver->finalize(db->cache[i].stmt);
    }
    free(db->cache);
    db->driver->close(db);
}

hv_db_engine hv_db_engine_of(const hv_db *db) {
    return db->driver->engine;
}

bool hv_db_reusable(const hv_db *db, int64_t max_lifetime_ms) {
    if (db->driver->broken(db))
        return false;
    return max_lifetime_ms <= 0 || hv_now_ms() - db->opened_ms < max_lifetime_ms;
}

hv_err hv_db_exec(hv_db *db, hv_ctx *ctx, const char *sql) {
    return db->driver->exec(db, ctx, sql);
}

hv_err hv_db_begin(hv_db *db, hv_ctx *ctx) {
    hv_err rc = db->driver->begin(db, ctx);

    if (rc == HV_OK)
        db->in_tx = true;
    return rc;
}

hv_err hv_db_commit(hv_db *db, hv_ctx *ctx) {
    hv_err rc = db->driver->commit(db, ctx);

    if (rc)
        db->driver->rollback(db);
    db->in_tx = false;
    return rc;
}

void hv_db_rollback(hv_db *db) {
    db->driver->rollback(db);
    db->in_tx = false;
}

hv_err hv_db_singleton(bool *held, hv_db *db, hv_ctx *ctx, const char *name) {
    *held = true;
    return db->driver->singleton ? db->driver->singleton(held, db, ctx, name) : HV_OK;
}

bool hv_db_retryable(const hv_db *db) {
    return db->retryable;
}

static size_t slot_of(const struct hv_db__slot *table, size_t cap, const char *sql) {
    size_t i = ((uintptr_t)sql >> 4) * 0x9E3779B97F4A7C15ull & (cap - 1);

    while (table[i].sql && table[i].sql != sql)
        i = (i + 1) & (cap - 1);
    return i;
}

static void cache_grow(hv_db *db) {
    size_t cap = db->cap ? db->cap * 2 : STMT_CACHE_MIN;
    struct hv_db__slot *table = hv_calloc(cap, sizeof(*table));

    for (size_t i = 0; i < db->cap; i++) {
        if (db->cache[i].sql)
            table[slot_of(table, cap, db->cache[i].sql)] = db->cache[i];
    }
    free(db->cache);
    db->cache = table;
    db->cap = cap;
}

hv_err hv_db_prepare(hv_stmt **out, hv_db *db, hv_ctx *ctx, const char *sql) {
    size_t i;
    hv_err rc;

    if (2 * (db->n_cache + 1) > db->cap)
        cache_grow(db);
    i = slot_of(db->cache, db->cap, sql);
    if (db->cache[i].sql) {
        *out = db->cache[i].stmt;
        return HV_OK;
    }
    rc = db->driver->prepare(&db->cache[i].stmt, db, ctx, sql, true);
    if (rc)
        return rc;
    db->cache[i].stmt->db = db;
    db->cache[i].sql = sql;
    db->n_cache++;
    *out = db->cache[i].stmt;
    return HV_OK;
}

hv_err hv_db_prepare_dynamic(hv_stmt **out, hv_db *db, hv_ctx *ctx, const char *sql) {
    hv_err rc = db->driver->prepare(out, db, ctx, sql, false);

    if (rc == HV_OK)
        (*out)->db = db;
    return rc;
}

void hv_stmt_free(hv_stmt *st) {
    if (st)
        st->db->driver->finalize(st);
}

void hv_stmt_bind_text(hv_stmt *st, int idx, const char *s) {
    st->db->driver->bind_text(st, idx, s);
}

void hv_stmt_bind_int(hv_stmt *st, int idx, int64_t v) {
    st->db->driver->bind_int(st, idx, v);
}

void hv_stmt_bind_blob(hv_stmt *st, int idx, const void *p, size_t n) {
    st->db->driver->bind_blob(st, idx, p, n);
}

void hv_stmt_bind_null(hv_stmt *st, int idx) {
    st->db->driver->bind_null(st, idx);
}

hv_err hv_stmt_step(hv_stmt *st, hv_ctx *ctx, bool *row) {
    st->db->retryable = false;
    return st->db->driver->step(st, ctx, row);
}

const char *hv_stmt_text(hv_stmt *st, int col) {
    return st->db->driver->text(st, col);
}

int64_t hv_stmt_int(hv_stmt *st, int col) {
    return st->db->driver->int64(st, col);
}

const void *hv_stmt_blob(hv_stmt *st, int col, size_t *len) {
    return st->db->driver->blob(st, col, len);
}

bool hv_stmt_is_null(hv_stmt *st, int col) {
    return st->db->driver->is_null(st, col);
}

hv_db_type hv_stmt_type(hv_stmt *st, int col) {
    return st->db->driver->type(st, col);
}

void hv_stmt_reset(hv_stmt *st) {
    st->db->driver->reset(st);
}

int64_t hv_db_changes(hv_db *db) {
    return db->changes;
}
