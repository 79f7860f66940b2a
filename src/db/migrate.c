/*
 * Versioned migrations: each file of the engine's list (compiled in, in name order; see
 * db_int.h) is applied once, in its own transaction, and recorded in schema_migrations.  A
 * daemon that finds migrations it does not know (a newer schema) refuses to start.  The
 * engine may hold a lock around the whole run (PostgreSQL: an advisory lock), so that nodes
 * starting together apply each migration once: the second waits, then finds it applied.
 */
#include "db/db.h"
#include "db/db_int.h"

#include <string.h>

static const char *sql_create =
    "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT)";
static const char *sql_applied = "SELECT 1 FROM schema_migrations WHERE name = ?";
static const char *sql_record = "INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)";
static const char *sql_count = "SELECT count(*) FROM schema_migrations";

static hv_err migrate(hv_db *db, hv_ctx *ctx, const struct hv_db__migration *migrations) {
    hv_stmt *st;
    bool row;
    int64_t known = 0, applied;
    hv_err rc;

    rc = hv_db_exec(db, ctx, sql_create);
    if (rc)
        return rc;
    for (int i = 0; migrations[i].name; i++, known++) {
        rc = hv_db_begin(db, ctx);
        if (rc)
            return rc;
        rc = hv_db_prepare(&st, db, ctx, sql_applied);
        if (rc)
            goto fail;
        hv_stmt_bind_text(st, 1, migrations[i].name);
        rc = hv_stmt_step(st, ctx, &row);
        hv_stmt_reset(st);
        if (rc)
            goto fail;
        if (!row) {
            hv_log(HV_LOG_INFO, "applying migration %s", migrations[i].name);
            rc = hv_db_exec(db, ctx, migrations[i].sql);
            if (rc)
                goto fail;
            rc = hv_db_prepare(&st, db, ctx, sql_record);
            if (rc)
                goto fail;
            hv_stmt_bind_text(st, 1, migrations[i].name);
            hv_stmt_bind_int(st, 2, hv_now_ms());
            rc = hv_stmt_step(st, ctx, NULL);
            hv_stmt_reset(st);
            if (rc)
                goto fail;
        }
        rc = hv_db_commit(db, ctx);
        if (rc)
            return rc;
    }
    rc = hv_db_prepare(&st, db, ctx, sql_count);
    if (rc)
        return rc;
    rc = hv_stmt_step(st, ctx, &row);
    applied = row ? hv_stmt_int(st, 0) : 0;
    hv_stmt_reset(st);
    if (rc)
        return rc;
    if (applied > known)
        return HV_FAIL(ctx, HV_E_DB,
                       "the database has %lld migrations applied but this havend knows %lld: "
                       "it was written by a newer version",
                       (long long)applied, (long long)known);
    return HV_OK;
fail:
    hv_db_rollback(db);
    return rc;
}

hv_err hv_db_migrate(hv_db *db, hv_ctx *ctx) {
    const hv_db__driver *driver = db->driver;
    hv_err rc = driver->lock_migrations ? driver->lock_migrations(db, ctx) : HV_OK;

    if (rc)
        return rc;
    rc = migrate(db, ctx, driver->migrations);
    if (driver->unlock_migrations)
        driver->unlock_migrations(db);
    return rc;
}
