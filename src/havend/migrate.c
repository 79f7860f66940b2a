/*
 * havend migrate — moves an embedded install (SQLite in data_dir, blobs in data_dir/blobs)
 * to PostgreSQL and, with --blobs-to s3, its blobs into the bucket the s3_* settings name,
 * so that an install that outgrew its machine moves without pushing anything again:
 *
 *   1. the data directory's lock, exclusively: no havend may serve it meanwhile;
 *   2. the target database is migrated to this havend's schema, and both schemas must be
 *      the same (the source's too: a havend of this version has run on it);
 *   3. every table the schema has, parents first, is copied in one transaction of the
 *      target, ids included; then the target's sequences are moved past the largest ids;
 *   4. every table is compared (row count and a digest of the rows) and a summary printed;
 *   5. with --blobs-to s3, every blob the metadata names is copied into the bucket, hashed
 *      on the way, unless the bucket has it with its size.
 *
 * Not copied: schema_migrations (the target's own migrations write it), blob_total (a
 * running total that the target's triggers keep as the blobs' rows arrive, striped
 * differently on each engine) and upload (uploads in progress: their bytes are files of
 * data_dir, so a client whose upload was cut starts it again).  Every other table is, as
 * the catalog lists it, so a table that a later migration adds is copied too.
 *
 * The target must be empty, unless it holds exactly what this install holds (an earlier
 * run copied the metadata, then stopped in the blobs): the run then goes on with the
 * blobs.  The source is only read, but for what a crash left staged in its blob store,
 * which opening the store places as a daemon's start would.
 */
#include "blob/blob.h"
#include "db/db.h"
#include "havend/config.h"
#include "havend/havend_int.h"
#include "model/model.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Tables the copy leaves out, and why (see above). */
static const char *const not_copied[] = {"schema_migrations", "blob_total", "upload"};

typedef struct migration {
    const char *to;
    bool blobs_to_s3;
    hv_config cfg;
    hv_db *src, *dst;
    hv_db_table *tables, *target_tables;
    size_t n_tables, n_target_tables;
    int lock;
} migration;

static bool copied(const char *table) {
    for (size_t i = 0; i < sizeof(not_copied) / sizeof(not_copied[0]); i++) {
        if (strcmp(not_copied[i], table) == 0)
            return false;
    }
    return true;
}

/* Takes --to and --blobs-to out of argv (into m and rest, which keeps argv[0] and the
 * settings for hv_config_load). */
static hv_err parse_args(migration *m, hv_ctx *ctx, int argc, char **argv, char **rest,
                         int *n_rest) {
    *n_rest = 0;
    rest[(*n_rest)++] = argv[0];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], **slot = NULL, *blobs = NULL;
        size_t len = strcspn(a, "=");
        if (len == 4 && strncmp(a, "--to", 4) == 0)
            slot = &m->to;
        else if (len == 10 && strncmp(a, "--blobs-to", 10) == 0)
            slot = &blobs;
        if (!slot) {
            rest[(*n_rest)++] = argv[i];
            continue;
        }
        if (a[len] == '=')
            *slot = a + len + 1;
        else if (i + 1 < argc)
            *slot = argv[++i];
        else
            return HV_FAIL(ctx, HV_E_CONFIG, "%s needs a value", a);
        if (slot == &blobs && strcmp(blobs, "s3") != 0)
            return HV_FAIL(ctx, HV_E_CONFIG, "--blobs-to %s: the blobs can only go to s3", blobs);
        if (slot == &blobs)
            m->blobs_to_s3 = true;
    }
    rest[*n_rest] = NULL;
    if (!m->to)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "usage: havend migrate --to postgres://USER[:PASSWORD]@HOST[:PORT]/DB "
                       "[--blobs-to s3] [--data DIR] [settings…]");
    if (!hv_db_is_url(m->to))
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "--to: the target must be a postgres:// or postgresql:// URL, not %s",
                       hv_db_redact(ctx->arena, m->to));
    return HV_OK;
}

/* What the install is: metadata in SQLite in data_dir, blobs in its folder when they are to
 * move. */
static hv_err check_source(migration *m, hv_ctx *ctx, char **envp) {
    struct stat st;
    const char *path = hv_arena_printf(ctx->arena, "%s/haven.db", m->cfg.data_dir);

    if (m->cfg.database_url)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "database_url is set: this install keeps its metadata in PostgreSQL "
                       "already; migrate copies an embedded install (SQLite in data_dir)");
    if (m->blobs_to_s3 && strcmp(m->cfg.storage, "fs") != 0)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "storage is %s: the blobs are not in data_dir, so --blobs-to has nothing "
                       "to copy",
                       m->cfg.storage);
    if (stat(path, &st) != 0)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "there is no Haven database at %s: --data names the data directory of "
                       "the install to move",
                       path);
    return m->blobs_to_s3 ? hv_config_s3_check(&m->cfg, ctx, envp) : HV_OK;
}

/* Both schemas the same: the tables and their columns, and the migrations applied. */
static hv_err check_schemas(migration *m, hv_ctx *ctx) {
    const char *name_only[] = {"name"};
    hv_db_table applied = {
        .name = "schema_migrations", .columns = (char **)name_only, .n_columns = 1};
    char a[HV_DIGEST_MAX], b[HV_DIGEST_MAX];
    int64_t na, nb;
    hv_err rc;

    rc = hv_db_table_digest(&na, a, m->src, ctx, &applied);
    if (rc == HV_OK)
        rc = hv_db_table_digest(&nb, b, m->dst, ctx, &applied);
    if (rc)
        return rc;
    if (na != nb || strcmp(a, b) != 0)
        return HV_FAIL(ctx, HV_E_CONFIG,
                       "the install's database has %" PRId64 " migrations applied, this havend "
                       "has %" PRId64 ": start this havend on the data directory once (it "
                       "migrates on start), stop it, and run migrate again",
                       na, nb);
    for (size_t i = 0; i < m->n_tables; i++) {
        const hv_db_table *s = &m->tables[i];
        const hv_db_table *t = hv_db_table_find(m->target_tables, m->n_target_tables, s->name);
        if (!t)
            return HV_FAIL(ctx, HV_E_DB, "table %s is missing from the target database", s->name);
        for (size_t c = 0; c < s->n_columns; c++) {
            bool found = false;
            for (size_t k = 0; k < t->n_columns && !found; k++)
                found = strcmp(s->columns[c], t->columns[k]) == 0;
            if (!found)
                return HV_FAIL(ctx, HV_E_DB, "column %s.%s is missing from the target database",
                               s->name, s->columns[c]);
        }
    }
    if (m->n_target_tables != m->n_tables)
        return HV_FAIL(ctx, HV_E_DB,
                       "the target database has %zu tables, the install %zu: it holds more "
                       "than Haven's schema",
                       m->n_target_tables, m->n_tables);
    return HV_OK;
}

/* Whether every copied table of the target holds the source's rows (*same), or none
 * (*empty); with print, a line per table. */
static hv_err compare(migration *m, hv_ctx *ctx, bool print, bool *same, bool *empty) {
    *same = true;
    *empty = true;
    for (size_t i = 0; i < m->n_tables; i++) {
        const hv_db_table *t = &m->tables[i];
        char a[HV_DIGEST_MAX], b[HV_DIGEST_MAX];
        int64_t na, nb;
        hv_err rc;
        if (!copied(t->name))
            continue;
        rc = hv_db_table_digest(&na, a, m->src, ctx, t);
        if (rc == HV_OK)
            rc = hv_db_table_digest(&nb, b, m->dst, ctx, t);
        if (rc)
            return rc;
        if (nb)
            *empty = false;
        if (na != nb || strcmp(a, b) != 0)
            *same = false;
        if (print)
            printf("  %-20s %10" PRId64 " rows  %s\n", t->name, nb,
                   na != nb            ? "DIFFERENT COUNT"
                   : strcmp(a, b) != 0 ? "DIFFERENT ROWS"
                                       : "ok");
    }
    return HV_OK;
}

/* One transaction: every table, then the sequences. */
static hv_err copy_metadata(migration *m, hv_ctx *ctx) {
    hv_err rc = hv_db_begin(m->dst, ctx);

    if (rc)
        return rc;
    for (size_t i = 0; i < m->n_tables && rc == HV_OK; i++) {
        int64_t rows;
        if (!copied(m->tables[i].name))
            continue;
        rc = hv_db_copy_table(&rows, m->dst, m->src, ctx, &m->tables[i]);
        if (rc == HV_OK)
            printf("  copied %-13s %10" PRId64 " rows\n", m->tables[i].name, rows);
    }
    if (rc == HV_OK)
        rc = hv_db_sequences_reset(m->dst, ctx);
    if (rc) {
        hv_db_rollback(m->dst);
        return rc;
    }
    return hv_db_commit(m->dst, ctx);
}

static hv_err copy_blobs(migration *m, hv_ctx *ctx) {
    hv_blob_s3_config s3 = hv_havend__s3_config(&m->cfg);
    hv_blob_store *from = NULL, *to = NULL;
    const char **digests = NULL;
    int64_t *sizes = NULL;
    size_t n = 0, sent = 0, kept = 0;
    uint64_t bytes = 0;
    hv_err rc;

    ctx->db = m->src;
    rc = hv_model_blobs(&digests, &sizes, &n, ctx);
    ctx->db = NULL;
    if (rc == HV_OK)
        rc = hv_blob_fs_open(&from, ctx, m->cfg.data_dir);
    if (rc == HV_OK)
        rc = hv_blob_s3_open(&to, ctx, &s3);
    printf("blobs: %zu to copy into bucket %s\n", n, m->cfg.s3_bucket);
    for (size_t i = 0; i < n && rc == HV_OK; i++) {
        bool done = false;
        rc = hv_blob_copy(&done, to, from, ctx, digests[i], (uint64_t)sizes[i]);
        if (rc == HV_OK && done) {
            sent++;
            bytes += (uint64_t)sizes[i];
        } else if (rc == HV_OK) {
            kept++;
        }
        if (rc == HV_OK && (i + 1) % 100 == 0)
            printf("  %zu of %zu\n", i + 1, n);
    }
    if (rc == HV_OK)
        printf("blobs: %zu copied (%" PRIu64 " bytes), %zu in the bucket already\n", sent, bytes,
               kept);
    hv_blob_close(to);
    hv_blob_close(from);
    return rc;
}

static hv_err run(migration *m, hv_ctx *ctx, char **envp) {
    bool same, empty;
    hv_err rc = check_source(m, ctx, envp);

    if (rc)
        return rc;
    m->lock = hv_havend__lock(ctx, m->cfg.data_dir, true);
    if (m->lock < 0)
        return ctx->err.code;
    rc = hv_db_open(&m->src, ctx, hv_arena_printf(ctx->arena, "%s/haven.db", m->cfg.data_dir));
    if (rc == HV_OK)
        rc = hv_db_open(&m->dst, ctx, m->to);
    if (rc == HV_OK)
        rc = hv_db_migrate(m->dst, ctx);
    if (rc == HV_OK)
        rc = hv_db_tables(&m->tables, &m->n_tables, m->src, ctx);
    if (rc == HV_OK)
        rc = hv_db_tables(&m->target_tables, &m->n_target_tables, m->dst, ctx);
    if (rc == HV_OK)
        rc = check_schemas(m, ctx);
    if (rc == HV_OK)
        rc = compare(m, ctx, false, &same, &empty);
    if (rc)
        return rc;
    printf("metadata: %s/haven.db to %s\n", m->cfg.data_dir, hv_db_redact(ctx->arena, m->to));
    if (!empty && !same)
        return HV_FAIL(ctx, HV_E_CONFLICT,
                       "the target database is not empty and does not hold a copy of this "
                       "install: migrate needs an empty database (create a new one, or drop and "
                       "recreate this one)");
    if (empty) {
        rc = copy_metadata(m, ctx);
        if (rc)
            return rc;
    } else {
        printf("  the target holds this install's metadata already (an earlier run): going on\n");
    }
    printf("verifying:\n");
    rc = compare(m, ctx, true, &same, &empty);
    if (rc)
        return rc;
    if (!same)
        return HV_FAIL(ctx, HV_E_DB, "the copy differs from the install (see above)");
    if (m->blobs_to_s3) {
        rc = copy_blobs(m, ctx);
        if (rc)
            return rc;
    }
    printf("done: start havend with database_url set to the target%s, and secret_key set to "
           "the 64 hex digits of %s/secret.key (HAVEN_SECRET_KEY=$(cat %s/secret.key)): the "
           "secrets copied with the metadata, such as the key that signs registry tokens, "
           "open with it only\n",
           m->blobs_to_s3 ? " and storage: s3" : "", m->cfg.data_dir, m->cfg.data_dir);
    return HV_OK;
}

int hv_havend__migrate(int argc, char **argv, char **envp) {
    migration m = {.lock = -1};
    hv_ctx ctx = {.arena = hv_arena_new(), .actor = "migrate"};
    char **rest = hv_calloc((size_t)argc + 1, sizeof(*rest));
    int n_rest, level, status = 1;
    hv_err rc = parse_args(&m, &ctx, argc, argv, rest, &n_rest);

    if (rc == HV_OK)
        rc = hv_config_load(&m.cfg, &ctx, n_rest, rest, envp);
    if (rc == HV_OK) {
        level = hv_log_level_parse(m.cfg.log_level);
        if (level >= 0)
            hv_log_threshold = (hv_log_level)level;
        rc = run(&m, &ctx, envp);
    }
    if (rc)
        fprintf(stderr, "havend migrate: %s\n", ctx.err.message);
    else
        status = 0;
    hv_db_tables_free(m.tables, m.n_tables);
    hv_db_tables_free(m.target_tables, m.n_target_tables);
    hv_db_close(m.dst);
    hv_db_close(m.src);
    if (m.lock >= 0)
        close(m.lock);
    hv_config_free(&m.cfg);
    free(rest);
    hv_arena_free(ctx.arena);
    return status;
}
