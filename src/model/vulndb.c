/*
 * The vulnerability database's tables.  They live in a SQLite file of their own that an
 * import writes from scratch (scan's vulndb.c), so the schema is created here in one go
 * rather than by the metadata's migrations.  Affected packages are looked up by
 * (ecosystem, package), which is what the index serves.
 */
#include "model/model_int.h"

static const char *sql_schema =
    "CREATE TABLE vuln (id TEXT PRIMARY KEY, ids TEXT NOT NULL, description TEXT,"
    " severity TEXT, cvss3_vector TEXT, cvss3_score10 INTEGER NOT NULL, cvss4_vector TEXT,"
    " cvss4_score10 INTEGER NOT NULL, cwe_ids TEXT NOT NULL, links TEXT NOT NULL);"
    "CREATE TABLE affected (vuln_id TEXT NOT NULL, ecosystem TEXT NOT NULL,"
    " package TEXT NOT NULL, ranges TEXT NOT NULL, versions TEXT,"
    " vendor_severity INTEGER NOT NULL);"
    "CREATE INDEX affected_package ON affected (ecosystem, package);"
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

hv_err hv_model_vulndb_schema(hv_ctx *ctx) {
    return hv_db_exec(ctx->db, ctx, sql_schema);
}

static const char *sql_put =
    "INSERT INTO vuln (id, ids, description, severity, cvss3_vector, cvss3_score10,"
    " cvss4_vector, cvss4_score10, cwe_ids, links) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (id) DO NOTHING";

hv_err hv_model_vulndb_put(hv_ctx *ctx, const hv_vuln_record *v) {
    return hv_model__exec(NULL, ctx, sql_put, "tttttititt", v->id, v->ids, v->description,
                          v->severity, v->cvss3_vector, v->cvss3_score10, v->cvss4_vector,
                          v->cvss4_score10, v->cwe_ids, v->links);
}

static const char *sql_put_affected =
    "INSERT INTO affected (vuln_id, ecosystem, package, ranges, versions, vendor_severity)"
    " VALUES (?, ?, ?, ?, ?, ?)";

hv_err hv_model_vulndb_put_affected(hv_ctx *ctx, const hv_vuln_affected *a) {
    return hv_model__exec(NULL, ctx, sql_put_affected, "ttttti", a->vuln_id, a->ecosystem,
                          a->package, a->ranges, a->versions, a->vendor_severity);
}

static const char *sql_affected = "SELECT vuln_id, ranges, versions, vendor_severity FROM affected"
                                  " WHERE ecosystem = ? AND package = ?";

hv_err hv_model_vulndb_affected(hv_vuln_affected **out, size_t *n, hv_ctx *ctx,
                                const char *ecosystem, const char *package) {
    size_t cap = 4;
    hv_vuln_affected *v = hv_arena_alloc(ctx->arena, cap * sizeof(*v));
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_affected, "tt", ecosystem, package);

    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    while (rc == HV_OK && row) {
        hv_vuln_affected *a;

        v = hv_arena_grow(ctx->arena, v, &cap, *n, sizeof(*v));
        a = &v[(*n)++];
        a->vuln_id = hv_model__text(ctx, st, 0);
        a->ecosystem = ecosystem;
        a->package = package;
        a->ranges = hv_model__text(ctx, st, 1);
        a->versions = hv_model__text(ctx, st, 2);
        a->vendor_severity = hv_stmt_int(st, 3);
        rc = hv_stmt_step(st, ctx, &row);
    }
    hv_stmt_reset(st);
    *out = v;
    return rc;
}

static const char *sql_get =
    "SELECT ids, description, severity, cvss3_vector, cvss3_score10, cvss4_vector,"
    " cvss4_score10, cwe_ids, links FROM vuln WHERE id = ?";

hv_err hv_model_vulndb_get(hv_vuln_record *out, hv_ctx *ctx, const char *id) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_get, "t", id);

    if (rc)
        return rc;
    if (row) {
        out->id = hv_arena_strdup(ctx->arena, id);
        out->ids = hv_model__text(ctx, st, 0);
        out->description = hv_model__text(ctx, st, 1);
        out->severity = hv_model__text(ctx, st, 2);
        out->cvss3_vector = hv_model__text(ctx, st, 3);
        out->cvss3_score10 = hv_stmt_int(st, 4);
        out->cvss4_vector = hv_model__text(ctx, st, 5);
        out->cvss4_score10 = hv_stmt_int(st, 6);
        out->cwe_ids = hv_model__text(ctx, st, 7);
        out->links = hv_model__text(ctx, st, 8);
    }
    hv_stmt_reset(st);
    if (!row)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "no vulnerability %s in the database", id);
    return HV_OK;
}

static const char *sql_meta_get = "SELECT value FROM meta WHERE key = ?";

hv_err hv_model_vulndb_meta_get(const char **value, hv_ctx *ctx, const char *key) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_meta_get, "t", key);

    if (rc)
        return rc;
    *value = row ? hv_model__text(ctx, st, 0) : NULL;
    hv_stmt_reset(st);
    return HV_OK;
}

static const char *sql_meta_set = "INSERT INTO meta (key, value) VALUES (?, ?)"
                                  " ON CONFLICT (key) DO UPDATE SET value = excluded.value";

hv_err hv_model_vulndb_meta_set(hv_ctx *ctx, const char *key, const char *value) {
    return hv_model__exec(NULL, ctx, sql_meta_set, "tt", key, value);
}

hv_err hv_model_vulndb_read_begin(hv_ctx *ctx) {
    return hv_db_exec(ctx->db, ctx, "BEGIN");
}

hv_err hv_model_vulndb_read_end(hv_ctx *ctx) {
    return hv_db_exec(ctx->db, ctx, "COMMIT");
}

static const char *sql_counts =
    "SELECT (SELECT count(*) FROM vuln), (SELECT count(*) FROM affected)";

hv_err hv_model_vulndb_counts(int64_t *records, int64_t *affected, hv_ctx *ctx) {
    hv_stmt *st;
    bool row;
    hv_err rc = hv_model__query(&st, &row, ctx, sql_counts, "");

    if (rc)
        return rc;
    *records = row ? hv_stmt_int(st, 0) : 0;
    *affected = row ? hv_stmt_int(st, 1) : 0;
    hv_stmt_reset(st);
    return HV_OK;
}
