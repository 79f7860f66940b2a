/*
 * List queries with Harbor's filters: every q term becomes a condition on a whitelisted
 * column with a bound parameter (never text pasted into SQL), sort fields are whitelisted
 * the same way, and paging is LIMIT/OFFSET after a count of the whole match.
 */
#include "model/model_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BINDS      64
#define LIKE_VALUE_MAX 2047 /* bytes a fuzzy term looks for: escaped, between two %, 4 KiB */

struct bind {
    char type; /* 't' or 'i' */
    const char *text;
    int64_t num;
};

struct builder {
    hv_buf where;
    struct bind binds[MAX_BINDS];
    int n;
};

static const hv_model__column *find(const hv_model__column *cols, const char *key) {
    for (; cols->key; cols++) {
        if (strcmp(cols->key, key) == 0)
            return cols;
    }
    return NULL;
}

/* Parses "2006-01-02T15:04:05" (UTC) or "2006-01-02 15:04:05" into epoch milliseconds. */
static bool parse_time(const char *s, int64_t *ms) {
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);

    if (!end || *end)
        end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
    if (!end || *end)
        return false;
    *ms = (int64_t)timegm(&tm) * 1000;
    return true;
}

static hv_err add_value(struct builder *b, hv_ctx *ctx, const hv_model__column *c, const char *v) {
    struct bind *bd;
    uint64_t u;
    const char *digits = v[0] == '-' ? v + 1 : v;

    if (b->n == MAX_BINDS)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "too many query values");
    bd = &b->binds[b->n++];
    bd->type = 'i';
    switch (c->type) {
    case 't':
    case 'e':
        bd->type = 't';
        bd->text = v;
        return HV_OK;
    case 'b':
        if (strcmp(v, "true") == 0 || strcmp(v, "1") == 0)
            bd->num = 1;
        else if (strcmp(v, "false") == 0 || strcmp(v, "0") == 0)
            bd->num = 0;
        else
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s must be true or false, not %s", c->key, v);
        return HV_OK;
    case 'm':
        if (parse_time(v, &bd->num))
            return HV_OK;
        if (hv_parse_u64(v, strlen(v), &u) && u <= INT64_MAX / 1000) {
            bd->num = (int64_t)u * 1000;
            return HV_OK;
        }
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s must be a time like 2006-01-02T15:04:05, not %s",
                       c->key, v);
    default:
        if (!hv_parse_u64(digits, strlen(digits), &u) || u > INT64_MAX)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s must be an integer, not %s", c->key, v);
        bd->num = v[0] == '-' ? -(int64_t)u : (int64_t)u;
        return HV_OK;
    }
}

/* Appends to a statement being built.  A statement that would pass its buffer's limit is
 * refused whole (the limits are far above any list a client means to ask for): a part cut
 * off the middle would leave SQL that means something else. */
static hv_err put(hv_ctx *ctx, hv_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static hv_err put(hv_ctx *ctx, hv_buf *b, const char *fmt, ...) {
    va_list ap;
    hv_err rc;

    va_start(ap, fmt);
    rc = hv_buf_vappendf(b, fmt, ap);
    va_end(ap);
    if (rc)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "the query is too long (over %zu bytes of SQL): ask with fewer terms",
                       b->max);
    return HV_OK;
}

/* The pattern of a fuzzy term: %value% with the client's %, _ and \ taken literally. */
static hv_err like_pattern(const char **out, hv_ctx *ctx, const hv_query_term *t) {
    size_t len = strlen(t->values[0]);
    hv_buf pat;
    hv_err rc;

    if (len > LIKE_VALUE_MAX)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s=~ looks for at most %d bytes, not %zu", t->key,
                       LIKE_VALUE_MAX, len);
    hv_buf_init(&pat, 2 * LIKE_VALUE_MAX + 2);
    rc = hv_buf_append(&pat, "%", 1);
    for (const char *p = t->values[0]; rc == HV_OK && *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\')
            rc = hv_buf_append(&pat, "\\", 1);
        if (rc == HV_OK)
            rc = hv_buf_append(&pat, p, 1);
    }
    if (rc == HV_OK)
        rc = hv_buf_append(&pat, "%", 1);
    if (rc == HV_OK)
        *out = hv_arena_strndup(ctx->arena, pat.data, pat.len);
    else
        rc = HV_FAIL(ctx, HV_E_INTERNAL, "the pattern of %s=~ outgrew its buffer", t->key);
    hv_buf_free(&pat);
    return rc;
}

/* The column's expression as a value: a condition becomes 1 or 0, so that it compares with
 * the bound 1 or 0 of "true" and "false" on both engines. */
static const char *column(hv_ctx *ctx, const hv_model__column *c) {
    if (c->type == 'b')
        return hv_arena_printf(ctx->arena, "(CASE WHEN %s THEN 1 ELSE 0 END)", c->expr);
    return c->expr;
}

/* The subquery of an 'e' column with its last term lower-cased, for a fuzzy term. */
static const char *fuzzy_set(hv_ctx *ctx, const hv_model__column *c) {
    const char *and = strstr(c->expr, " AND ");
    const char *last = and;

    while (and) {
        last = and;
        and = strstr(and+5, " AND ");
    }
    return hv_arena_printf(ctx->arena, "%.*s AND lower(%s)", (int)(last - c->expr), c->expr,
                           last + 5);
}

/* Appends the condition of one term. */
static hv_err add_term(struct builder *b, hv_ctx *ctx, const hv_model__column *cols,
                       const hv_query_term *t) {
    const hv_model__column *c = find(cols, t->key);
    const char *pattern = NULL;
    hv_err rc;

    if (!c)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "unknown query key %s", t->key);
    rc = put(ctx, &b->where, "%s", b->where.len ? " AND " : " WHERE ");
    if (rc)
        return rc;
    switch (t->op) {
    case HV_Q_EXACT:
        rc = put(ctx, &b->where, c->type == 'e' ? "EXISTS (%s = ?)" : "%s = ?", column(ctx, c));
        return rc ? rc : add_value(b, ctx, c, t->values[0]);
    case HV_Q_FUZZY:
        rc = like_pattern(&pattern, ctx, t);
        if (rc == HV_OK)
            rc = put(ctx, &b->where,
                     c->type == 'e' ? "EXISTS (%s LIKE lower(?) ESCAPE '\\')"
                                    : "lower(CAST(%s AS TEXT)) LIKE lower(?) ESCAPE '\\'",
                     c->type == 'e' ? fuzzy_set(ctx, c) : column(ctx, c));
        if (rc == HV_OK && b->n == MAX_BINDS)
            rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "too many query values");
        if (rc == HV_OK)
            b->binds[b->n++] = (struct bind){.type = 't', .text = pattern};
        return rc;
    case HV_Q_RANGE:
        rc = put(ctx, &b->where, "(1 = 1");
        if (rc == HV_OK && t->values[0])
            rc = put(ctx, &b->where, " AND %s >= ?", column(ctx, c));
        if (rc == HV_OK && t->values[0])
            rc = add_value(b, ctx, c, t->values[0]);
        if (rc == HV_OK && t->n_values > 1 && t->values[1])
            rc = put(ctx, &b->where, " AND %s <= ?", column(ctx, c));
        if (rc == HV_OK && t->n_values > 1 && t->values[1])
            rc = add_value(b, ctx, c, t->values[1]);
        return rc ? rc : put(ctx, &b->where, ")");
    case HV_Q_ANY:
    case HV_Q_ALL:
        rc = put(ctx, &b->where, "(%s", t->n_values == 0 ? "1 = 0" : "");
        for (size_t i = 0; rc == HV_OK && i < t->n_values; i++) {
            rc = put(ctx, &b->where, c->type == 'e' ? "%sEXISTS (%s = ?)" : "%s%s = ?",
                     i == 0              ? ""
                     : t->op == HV_Q_ANY ? " OR "
                                         : " AND ",
                     column(ctx, c));
            if (rc == HV_OK)
                rc = add_value(b, ctx, c, t->values[i]);
        }
        return rc ? rc : put(ctx, &b->where, ")");
    }
    return HV_FAIL(ctx, HV_E_BAD_REQUEST, "unsupported query on %s", t->key);
}

/* ORDER BY from "a,-b" with whitelisted keys; the default order breaks ties. */
static hv_err order_by(hv_buf *out, hv_ctx *ctx, const hv_model__column *cols, const char *sort,
                       const char *fallback) {
    const char *p = sort;
    hv_err rc = put(ctx, out, " ORDER BY ");

    while (rc == HV_OK && p && *p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        bool desc = len > 0 && p[0] == '-';
        char *key = hv_arena_strndup(ctx->arena, p + desc, len - desc);
        const hv_model__column *c = find(cols, key);

        if (!c)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "cannot sort by %s", key);
        if (c->type == 'e')
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "cannot sort by %s", key);
        rc = put(ctx, out, "%s%s, ", column(ctx, c), desc ? " DESC" : "");
        p = comma ? comma + 1 : NULL;
    }
    return rc ? rc : put(ctx, out, "%s", fallback);
}

static void bind_all(hv_stmt *st, const struct builder *b) {
    for (int i = 0; i < b->n; i++) {
        if (b->binds[i].type == 't')
            hv_stmt_bind_text(st, i + 1, b->binds[i].text);
        else
            hv_stmt_bind_int(st, i + 1, b->binds[i].num);
    }
}

hv_err hv_model__list(hv_stmt **rows, int64_t *total, hv_ctx *ctx, const char *select,
                      const hv_model__column *cols, const char *order, const hv_list *list,
                      const hv_query_term *fixed, size_t n_fixed) {
    struct builder b = {0};
    hv_buf sql;
    hv_stmt *count = NULL;
    const char *from;
    bool row;
    hv_err rc = HV_OK;

    *rows = NULL;
    hv_buf_init(&b.where, 64 * 1024);
    hv_buf_init(&sql, 128 * 1024);
    for (size_t i = 0; rc == HV_OK && i < n_fixed; i++)
        rc = add_term(&b, ctx, cols, &fixed[i]);
    for (size_t i = 0; rc == HV_OK && i < list->n_terms; i++)
        rc = add_term(&b, ctx, cols, &list->terms[i]);
    if (rc)
        goto out;
    /* the count: the same FROM and WHERE */
    from = strstr(select, " FROM ");
    rc = put(ctx, &sql, "SELECT count(*)%s%s", from ? from : "", b.where.data ? b.where.data : "");
    if (rc)
        goto out;
    rc = hv_db_prepare_dynamic(&count, ctx->db, ctx, sql.data);
    if (rc)
        goto out;
    bind_all(count, &b);
    rc = hv_stmt_step(count, ctx, &row);
    if (rc)
        goto out;
    *total = row ? hv_stmt_int(count, 0) : 0;

    hv_buf_reset(&sql);
    rc = put(ctx, &sql, "%s%s", select, b.where.data ? b.where.data : "");
    if (rc == HV_OK)
        rc = order_by(&sql, ctx, cols, list->sort, order);
    if (rc == HV_OK && list->page_size > 0)
        rc = put(ctx, &sql, " LIMIT %lld OFFSET %lld", (long long)list->page_size,
                 (long long)((list->page > 0 ? list->page - 1 : 0) * list->page_size));
    if (rc)
        goto out;
    rc = hv_db_prepare_dynamic(rows, ctx->db, ctx, sql.data);
    if (rc == HV_OK)
        bind_all(*rows, &b);
out:
    hv_stmt_free(count);
    hv_buf_free(&sql);
    hv_buf_free(&b.where);
    return rc;
}
