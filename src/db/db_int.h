/*
 * Shared between the files of the db module only: the engine interface.  An engine's
 * connection and statement structs start with struct hv_db and struct hv_stmt, which db.c
 * dispatches through; db.c also keeps the per-connection cache of prepared statements.
 */
#ifndef HV_DB_INT_H
#define HV_DB_INT_H

#include "db/db.h"

struct hv_db__migration {
    const char *name;
    const char *sql;
};

/* Generated from src/db/migrations (files for both engines) and its sqlite/ and postgres/
 * folders (files for one), in name order; each ends with a {NULL, NULL} entry. */
extern const struct hv_db__migration hv_db__migrations_sqlite[];
extern const struct hv_db__migration hv_db__migrations_postgres[];

typedef struct hv_db__driver {
    hv_db_engine engine;
    const struct hv_db__migration *migrations;
    hv_err (*open)(hv_db **out, hv_ctx *ctx, const char *target);
    void (*close)(hv_db *db);
    hv_err (*exec)(hv_db *db, hv_ctx *ctx, const char *sql);
    hv_err (*begin)(hv_db *db, hv_ctx *ctx);
    hv_err (*commit)(hv_db *db, hv_ctx *ctx);
    void (*rollback)(hv_db *db);
    /* taken around the migrations; NULL when the engine needs none */
    hv_err (*lock_migrations)(hv_db *db, hv_ctx *ctx);
    void (*unlock_migrations)(hv_db *db);
    /* hv_db_singleton; NULL when the engine serves one node (always held) */
    hv_err (*singleton)(bool *held, hv_db *db, hv_ctx *ctx, const char *name);
    bool (*broken)(const hv_db *db);
    /* cached: kept for the connection's life (the engine may prepare it on the server) */
    hv_err (*prepare)(hv_stmt **out, hv_db *db, hv_ctx *ctx, const char *sql, bool cached);
    void (*finalize)(hv_stmt *st);
    void (*bind_text)(hv_stmt *st, int idx, const char *s);
    void (*bind_int)(hv_stmt *st, int idx, int64_t v);
    void (*bind_blob)(hv_stmt *st, int idx, const void *p, size_t n);
    void (*bind_null)(hv_stmt *st, int idx);
    hv_err (*step)(hv_stmt *st, hv_ctx *ctx, bool *row);
    const char *(*text)(hv_stmt *st, int col);
    int64_t (*int64)(hv_stmt *st, int col);
    const void *(*blob)(hv_stmt *st, int col, size_t *len);
    bool (*is_null)(hv_stmt *st, int col);
    hv_db_type (*type)(hv_stmt *st, int col);
    void (*reset)(hv_stmt *st);
} hv_db__driver;

extern const hv_db__driver hv_db__sqlite;
extern const hv_db__driver hv_db__postgres;

struct hv_db {
    const hv_db__driver *driver;
    int64_t opened_ms;
    int64_t changes;
    bool in_tx;
    bool retryable; /* the last failure was a deadlock or serialization failure */
    /* open-addressing table keyed by the SQL literal's address; statements are allocated
     * one by one and never move or leave while the connection lives, so a caller may hold
     * several at once (the number of literals in the program bounds its size) */
    struct hv_db__slot {
        const char *sql;
        hv_stmt *stmt;
    } * cache;
    size_t cap, n_cache;
};

struct hv_stmt {
    hv_db *db;
};

#endif
