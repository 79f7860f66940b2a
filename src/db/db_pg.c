/*
 * The PostgreSQL engine, on libpq's synchronous API.
 *
 * Statements: the model's '?'/'?NNN' placeholders become $n when a statement is prepared
 * (outside string literals, quoted identifiers and comments).  A cached statement is
 * prepared on the server (PQprepare) at its first step, with the types of what was bound
 * (int8, text, bytea), and run with PQexecPrepared afterwards; a dynamic one is sent whole
 * with PQexecParams.  Results come back in text format and whole (a PGresult), and a step
 * walks their rows: booleans ("t"/"f") read as 1/0, bytea is unescaped on demand.
 *
 * Errors: class 23 (integrity constraints) is HV_E_CONFLICT; deadlocks and serialization
 * failures (40P01, 40001) and lock timeouts (55P03) are HV_E_UNAVAILABLE, the first two
 * marked retryable.  A lost connection (a restarted server, a failover) is made again
 * (PQreset) by the next use outside a transaction, and its statements are prepared again;
 * a BEGIN or a SELECT that found it lost runs again at once on the new one, while any other
 * statement fails with HV_E_UNAVAILABLE, as it may have been done before the answer was lost.
 *
 * Transactions run at READ COMMITTED (db.h says why that suffices); each session waits at
 * most LOCK_TIMEOUT for a row lock, as SQLite waits for its busy timeout (55P03 is then
 * HV_E_UNAVAILABLE), except for the migration lock, which it waits for as long as it takes.
 *
 * Singletons (hv_db_singleton) are session-level advisory locks, taken with
 * pg_try_advisory_lock and never released by hand: the session's end releases them.
 */
#include "db/db.h"
#include "db/db_int.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OID_BOOL  16
#define OID_BYTEA 17
#define OID_INT8  20
#define OID_INT2  21
#define OID_INT4  23
#define OID_TEXT  25

/* Different from any key an operator's own tooling is likely to pick: "havenmig". */
#define MIGRATION_LOCK "7522525467727591271"

#define LOCK_TIMEOUT "'10s'"

static const char *session_setup = "SET lock_timeout = " LOCK_TIMEOUT "; SET TIME ZONE 'UTC'";

typedef struct pg_db {
    struct hv_db base;
    PGconn *conn;
    unsigned generation; /* bumped by every (re)connection: server-side statements are gone */
    unsigned next_name;
} pg_db;

typedef struct pg_param {
    Oid type;
    char *value; /* owned; NULL: SQL NULL */
    int length;
    int format; /* 0 text, 1 binary */
} pg_param;

typedef struct pg_stmt {
    struct hv_stmt base;
    char *sql; /* with $n */
    int n_params;
    pg_param *params;
    char name[24]; /* server-side name of a cached statement; "" when dynamic */
    unsigned generation;
    PGresult *res;
    int row, n_rows;
    unsigned char *bytes; /* the last bytea read, unescaped (PQfreemem) */
} pg_stmt;

#define PG(db) ((pg_db *)(db))
#define ST(st) ((pg_stmt *)(st))

/* The error of res (or, without one, of the connection) as an hv_err. */
static hv_err fail(pg_db *db, hv_ctx *ctx, const PGresult *res, const char *what) {
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : "";
    int len;

    if (!msg || !*msg)
        msg = PQerrorMessage(db->conn);
    len = (int)strcspn(msg, "\n");
    if (PQstatus(db->conn) == CONNECTION_BAD)
        return HV_FAIL(ctx, HV_E_UNAVAILABLE, "the database connection was lost in %s: %.*s", what,
                       len, msg);
    if (state && strncmp(state, "23", 2) == 0)
        return HV_FAIL(ctx, HV_E_CONFLICT, "%s: %.*s", what, len, msg);
    if (state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)) {
        db->base.retryable = true;
        return HV_FAIL(ctx, HV_E_UNAVAILABLE,
                       "the database gave up a transaction that conflicted with another; retry");
    }
    if (state && strcmp(state, "55P03") == 0)
        return HV_FAIL(ctx, HV_E_UNAVAILABLE, "the database is busy; retry later");
    return HV_FAIL(ctx, HV_E_DB, "database error in %s: %.*s", what, len, msg);
}

/* Outside a transaction, a lost connection is made again before it is used. */
static hv_err ensure_connected(pg_db *db, hv_ctx *ctx) {
    PGresult *res;

    if (PQstatus(db->conn) == CONNECTION_OK)
        return HV_OK;
    if (db->base.in_tx)
        return HV_FAIL(ctx, HV_E_UNAVAILABLE, "the database connection was lost");
    PQreset(db->conn);
    if (PQstatus(db->conn) != CONNECTION_OK)
        return fail(db, ctx, NULL, "reconnect");
    db->generation++;
    res = PQexec(db->conn, session_setup);
    PQclear(res);
    return HV_OK;
}

static void pg_close(hv_db *db) {
    PQfinish(PG(db)->conn);
    free(db);
}

/*
 * Whether sql, which failed because the connection was lost (the server restarted, a
 * pooler or failover dropped it), may run again on a new connection: no transaction was open
 * and sql changes nothing (BEGIN, a SELECT), so whatever became of the first try, nothing is
 * done twice.  Other statements fail with HV_E_UNAVAILABLE and the next use reconnects.
 */
static bool may_retry(const pg_db *db, const char *sql) {
    return !db->base.in_tx && PQstatus(db->conn) == CONNECTION_BAD &&
           (strncmp(sql, "BEGIN", 5) == 0 || strncmp(sql, "SELECT", 6) == 0);
}

static bool succeeded(const PGresult *res) {
    ExecStatusType status = PQresultStatus(res);

    return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY;
}

/* Runs sql (no parameters); any result status but an error is success.  answer (may be
 * NULL): whether the first column of the first row is true. */
static hv_err run_query(pg_db *db, hv_ctx *ctx, const char *sql, const char *what, bool *answer) {
    PGresult *res = NULL;
    hv_err rc = HV_OK;

    for (int attempt = 0; attempt < 2; attempt++) {
        PQclear(res);
        rc = ensure_connected(db, ctx);
        if (rc)
            return rc;
        res = PQexec(db->conn, sql);
        if (succeeded(res) || !may_retry(db, sql))
            break;
    }
    if (!succeeded(res))
        rc = fail(db, ctx, res, what);
    else if (answer)
        *answer = PQntuples(res) > 0 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return rc;
}

static hv_err run(pg_db *db, hv_ctx *ctx, const char *sql, const char *what) {
    return run_query(db, ctx, sql, what, NULL);
}

static hv_err pg_exec(hv_db *db, hv_ctx *ctx, const char *sql) {
    return run(PG(db), ctx, sql, "exec");
}

/* The server's notices ("relation already exists, skipping") go to the debug log, not to
 * stderr as libpq would have them. */
static void on_notice(void *arg, const char *message) {
    (void)arg;
    hv_log(HV_LOG_DEBUG, "database: %.*s", (int)strcspn(message, "\n"), message);
}

static hv_err pg_open(hv_db **out, hv_ctx *ctx, const char *url) {
    /* the URL comes last: what it says wins over these defaults */
    static const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *values[] = {"10", "havend", url, NULL};
    pg_db *db = hv_calloc(1, sizeof(*db));
    hv_err rc;

    db->conn = PQconnectdbParams(keys, values, 1);
    if (!db->conn)
        abort(); /* libpq is out of memory */
    if (PQstatus(db->conn) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(db->conn);
        rc = HV_FAIL(ctx, HV_E_UNAVAILABLE, "cannot connect to the database %s: %.*s",
                     ctx->arena ? hv_db_redact(ctx->arena, url) : "of database_url",
                     (int)strcspn(msg, "\n"), msg);
        pg_close(&db->base);
        return rc;
    }
    PQsetNoticeProcessor(db->conn, on_notice, NULL);
    db->generation = 1;
    rc = run(db, ctx, session_setup, "setup");
    if (rc) {
        pg_close(&db->base);
        return rc;
    }
    *out = &db->base;
    return HV_OK;
}

static hv_err pg_begin(hv_db *db, hv_ctx *ctx) {
    return run(PG(db), ctx, "BEGIN ISOLATION LEVEL READ COMMITTED", "begin");
}

static hv_err pg_commit(hv_db *db, hv_ctx *ctx) {
    PGresult *res;
    hv_err rc = HV_OK;

    if (PQstatus(PG(db)->conn) != CONNECTION_OK)
        return HV_FAIL(ctx, HV_E_UNAVAILABLE, "the database connection was lost");
    res = PQexec(PG(db)->conn, "COMMIT");
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        rc = fail(PG(db), ctx, res, "commit");
    else if (strcmp(PQcmdStatus(res), "COMMIT") != 0) /* a failed transaction "commits" so */
        rc = HV_FAIL(ctx, HV_E_DB, "the transaction had failed and was rolled back");
    PQclear(res);
    return rc;
}

static void pg_rollback(hv_db *db) {
    PGconn *conn = PG(db)->conn;

    if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
}

static hv_err pg_lock_migrations(hv_db *db, hv_ctx *ctx) {
    /* as long as the node that holds it needs: its migrations may take a while */
    return run(PG(db), ctx,
               "SET lock_timeout = 0; SELECT pg_advisory_lock(" MIGRATION_LOCK
               "); SET lock_timeout = " LOCK_TIMEOUT,
               "migration lock");
}

static void pg_unlock_migrations(hv_db *db) {
    PGconn *conn = PG(db)->conn;

    if (PQstatus(conn) == CONNECTION_OK)
        PQclear(PQexec(conn, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")"));
}

/* The advisory lock key of a singleton: FNV-1a (64 bits) of its name, under a prefix of its
 * own so that it meets neither MIGRATION_LOCK nor an operator's keys by design. */
static int64_t singleton_key(const char *name) {
    uint64_t h = 0xcbf29ce484222325ull;

    for (const char *p = "haven singleton "; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ull;
    return (int64_t)h;
}

/* A session-level advisory lock, taken without waiting and kept until the session ends (a
 * node that stops or dies closes it).  The server says each time whether this session holds
 * it (pg_locks; a bigint key is classid, the high half, and objid, the low half, with
 * objsubid 1) and, only when it does not, whether it could take it: one round trip, and a
 * connection lost since the last call is found out here, not believed to hold it still. */
static hv_err pg_singleton(bool *held, hv_db *d, hv_ctx *ctx, const char *name) {
    pg_db *db = PG(d);
    uint64_t key = (uint64_t)singleton_key(name);
    char sql[320];

    *held = false;
    snprintf(sql, sizeof(sql),
             "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
             " AND pid = pg_backend_pid() AND classid = %u AND objid = %u AND objsubid = 1)"
             " THEN true ELSE pg_try_advisory_lock(%lld) END",
             (unsigned)(key >> 32), (unsigned)(key & 0xffffffffu), (long long)(int64_t)key);
    return run_query(db, ctx, sql, "singleton", held);
}

static bool pg_broken(const hv_db *db) {
    return PQstatus(PG(db)->conn) != CONNECTION_OK;
}

/* ---------------------------------------------------------------- placeholders */

/* Writes "$n" to *out for the placeholder at p (a '?'); returns the characters it used. */
static size_t placeholder(char **out, const char *p, int *max) {
    size_t len = 1;
    long n;

    if (p[1] >= '0' && p[1] <= '9') {
        n = strtol(p + 1, NULL, 10);
        while (p[len] >= '0' && p[len] <= '9')
            len++;
    } else {
        n = *max + 1; /* SQLite's rule: one more than the largest so far */
    }
    if (n > *max)
        *max = (int)n;
    *out += snprintf(*out, 16, "$%ld", n);
    return len;
}

/* The SQL with $n placeholders (malloc'd) and the number of parameters.  A '?' becomes at
 * most 7 characters ("$" and SQLite's limit of 32766), so 8 times the length is room. */
static char *rewrite(const char *sql, int *n_params) {
    char *s = hv_malloc(8 * strlen(sql) + 1), *out = s;
    int max = 0;

    for (const char *p = sql; *p;) {
        size_t n = 1;
        if (*p == '\'' || *p == '"') { /* a literal or identifier; '' and "" are its quotes */
            const char *end = strchr(p + 1, *p);
            n = end ? (size_t)(end - p) + 1 : strlen(p);
        } else if (p[0] == '-' && p[1] == '-') {
            n = strcspn(p, "\n");
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            n = end ? (size_t)(end - p) + 2 : strlen(p);
        } else if (*p == '?') {
            p += placeholder(&out, p, &max);
            continue;
        }
        memcpy(out, p, n);
        out += n;
        p += n;
    }
    *out = '\0';
    *n_params = max;
    return s;
}

/* ---------------------------------------------------------------- statements */

static hv_err pg_prepare(hv_stmt **out, hv_db *db, hv_ctx *ctx, const char *sql, bool cached) {
    pg_stmt *st = hv_calloc(1, sizeof(*st));

    (void)ctx;
    st->sql = rewrite(sql, &st->n_params);
    st->params = hv_calloc((size_t)st->n_params + 1, sizeof(*st->params));
    if (cached)
        snprintf(st->name, sizeof(st->name), "hv%u", ++PG(db)->next_name);
    *out = &st->base;
    return HV_OK;
}

static void clear_result(pg_stmt *st) {
    if (st->bytes)
        PQfreemem(st->bytes);
    st->bytes = NULL;
    PQclear(st->res);
    st->res = NULL;
    st->row = st->n_rows = 0;
}

static void pg_reset(hv_stmt *s) {
    pg_stmt *st = ST(s);

    clear_result(st);
    for (int i = 0; i < st->n_params; i++) {
        free(st->params[i].value);
        st->params[i] = (pg_param){0};
    }
}

static void pg_finalize(hv_stmt *s) {
    pg_reset(s);
    free(ST(s)->params);
    free(ST(s)->sql);
    free(s);
}

static pg_param *param(hv_stmt *s, int idx) {
    pg_stmt *st = ST(s);

    if (idx < 1 || idx > st->n_params)
        return NULL; /* as SQLite, a bind past the statement's parameters is ignored */
    free(st->params[idx - 1].value);
    st->params[idx - 1] = (pg_param){0};
    return &st->params[idx - 1];
}

static void pg_bind_text(hv_stmt *s, int idx, const char *v) {
    pg_param *p = param(s, idx);

    if (!p)
        return;
    p->type = OID_TEXT;
    p->value = v ? hv_strdup(v) : NULL;
}

static void pg_bind_int(hv_stmt *s, int idx, int64_t v) {
    pg_param *p = param(s, idx);

    if (!p)
        return;
    p->type = OID_INT8;
    p->value = hv_printf("%lld", (long long)v);
}

static void pg_bind_blob(hv_stmt *s, int idx, const void *v, size_t n) {
    pg_param *p = param(s, idx);

    if (!p)
        return;
    p->type = OID_BYTEA;
    p->value = hv_malloc(n ? n : 1);
    if (n)
        memcpy(p->value, v, n);
    p->length = (int)n;
    p->format = 1;
}

static void pg_bind_null(hv_stmt *s, int idx) {
    param(s, idx); /* type 0: the server infers it from where the value goes */
}

/* Sends the statement (preparing it on this connection first if it is cached and not
 * prepared here yet) and leaves its result in st->res; HV_E_UNAVAILABLE when the connection
 * is lost, with the result or its error left for the caller otherwise. */
static hv_err send(pg_stmt *st, pg_db *db, hv_ctx *ctx, int n, const Oid *types,
                   const char *const *values, const int *lengths, const int *formats) {
    hv_err rc = ensure_connected(db, ctx);

    if (rc)
        return rc;
    if (!st->name[0]) {
        st->res = PQexecParams(db->conn, st->sql, n, types, values, lengths, formats, 0);
    } else {
        if (st->generation != db->generation) {
            PGresult *prep = PQprepare(db->conn, st->name, st->sql, n, types);
            if (PQresultStatus(prep) != PGRES_COMMAND_OK) {
                rc = fail(db, ctx, prep, "prepare");
                PQclear(prep);
                return rc;
            }
            PQclear(prep);
            st->generation = db->generation;
        }
        st->res = PQexecPrepared(db->conn, st->name, n, values, lengths, formats, 0);
    }
    if (PQstatus(db->conn) == CONNECTION_BAD)
        return fail(db, ctx, st->res, "query");
    return HV_OK;
}

/* Runs the statement with its bound values; leaves the result in st->res. */
static hv_err execute(pg_stmt *st, pg_db *db, hv_ctx *ctx) {
    int n = st->n_params;
    Oid *types = hv_calloc((size_t)n + 1, sizeof(*types));
    const char **values = hv_calloc((size_t)n + 1, sizeof(*values));
    int *lengths = hv_calloc((size_t)n + 1, sizeof(*lengths));
    int *formats = hv_calloc((size_t)n + 1, sizeof(*formats));
    ExecStatusType status;
    hv_err rc = HV_OK;

    for (int i = 0; i < n; i++) {
        types[i] = st->params[i].type;
        values[i] = st->params[i].value;
        lengths[i] = st->params[i].length;
        formats[i] = st->params[i].format;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        clear_result(st);
        rc = send(st, db, ctx, n, types, values, lengths, formats);
        if (rc != HV_E_UNAVAILABLE || !may_retry(db, st->sql))
            break;
        hv_error_clear(ctx);
    }
    if (rc)
        goto out;
    status = PQresultStatus(st->res);
    if (status == PGRES_TUPLES_OK) {
        st->n_rows = PQntuples(st->res);
    } else if (status != PGRES_COMMAND_OK) {
        rc = fail(db, ctx, st->res, "query");
        goto out;
    }
    if (strncmp(PQcmdStatus(st->res), "INSERT", 6) == 0 ||
        strncmp(PQcmdStatus(st->res), "UPDATE", 6) == 0 ||
        strncmp(PQcmdStatus(st->res), "DELETE", 6) == 0)
        db->base.changes = strtoll(PQcmdTuples(st->res), NULL, 10);
out:
    free(types);
    free(values);
    free(lengths);
    free(formats);
    if (rc)
        clear_result(st);
    return rc;
}

static hv_err pg_step(hv_stmt *s, hv_ctx *ctx, bool *row) {
    pg_stmt *st = ST(s);
    hv_err rc;

    if (st->bytes)
        PQfreemem(st->bytes);
    st->bytes = NULL;
    if (!st->res) {
        rc = execute(st, PG(s->db), ctx);
        if (rc) {
            if (row)
                *row = false;
            return rc;
        }
        st->row = 0;
    } else {
        st->row++;
    }
    if (row)
        *row = st->row < st->n_rows;
    return HV_OK;
}

static bool has_value(pg_stmt *st, int col) {
    return st->res && st->row < st->n_rows && col < PQnfields(st->res) &&
           !PQgetisnull(st->res, st->row, col);
}

static const char *pg_text(hv_stmt *s, int col) {
    pg_stmt *st = ST(s);

    return has_value(st, col) ? PQgetvalue(st->res, st->row, col) : NULL;
}

static int64_t pg_int(hv_stmt *s, int col) {
    const char *v = pg_text(s, col);

    if (!v)
        return 0;
    if (v[0] == 't' || v[0] == 'f') /* a boolean */
        return v[0] == 't';
    return strtoll(v, NULL, 10);
}

static const void *pg_blob(hv_stmt *s, int col, size_t *len) {
    pg_stmt *st = ST(s);
    const char *v = pg_text(s, col);

    *len = 0;
    if (!v)
        return NULL;
    if (st->bytes)
        PQfreemem(st->bytes);
    st->bytes = PQunescapeBytea((const unsigned char *)v, len);
    return st->bytes;
}

static bool pg_is_null(hv_stmt *s, int col) {
    return !has_value(ST(s), col);
}

static hv_db_type pg_type(hv_stmt *s, int col) {
    pg_stmt *st = ST(s);

    if (!has_value(st, col))
        return HV_DB_NULL;
    switch (PQftype(st->res, col)) {
    case OID_BOOL:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
        return HV_DB_INTEGER;
    case OID_BYTEA:
        return HV_DB_BLOB;
    default:
        return HV_DB_TEXT;
    }
}

const hv_db__driver hv_db__postgres = {
    .engine = HV_DB_POSTGRES,
    .migrations = hv_db__migrations_postgres,
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .lock_migrations = pg_lock_migrations,
    .unlock_migrations = pg_unlock_migrations,
    .singleton = pg_singleton,
    .broken = pg_broken,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .bind_text = pg_bind_text,
    .bind_int = pg_bind_int,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .text = pg_text,
    .int64 = pg_int,
    .blob = pg_blob,
    .is_null = pg_is_null,
    .type = pg_type,
    .reset = pg_reset,
};
