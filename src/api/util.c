/*
 * The conventions every /api/v2.0 endpoint shares: JSON bodies, field readers with
 * messages that name the field, paging (page, page_size, X-Total-Count, Link), Harbor's q
 * grammar and sort, project lookup by name or id, and the create/update answers.
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

hv_err hv_api__json_body(json_t **out, hv_req *r) {
    json_error_t e;
    json_t *v;

    if (!r->body.data || r->body.len == 0)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "a JSON body is required");
    v = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &e);
    if (!v)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "invalid JSON at line %d, column %d: %s", e.line,
                       e.column, e.text);
    if (!json_is_object(v)) {
        json_decref(v);
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "the body must be a JSON object");
    }
    *out = v;
    return HV_OK;
}

hv_err hv_api__str(const char **out, hv_req *r, json_t *obj, const char *field) {
    json_t *v = json_object_get(obj, field);

    if (!v || json_is_null(v))
        return HV_OK;
    if (!json_is_string(v))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s must be a string", field);
    *out = hv_arena_strdup(r->ctx.arena, json_string_value(v));
    return HV_OK;
}

hv_err hv_api__int(int64_t *out, hv_req *r, json_t *obj, const char *field) {
    json_t *v = json_object_get(obj, field);

    if (!v || json_is_null(v))
        return HV_OK;
    if (!json_is_integer(v))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s must be an integer", field);
    *out = (int64_t)json_integer_value(v);
    return HV_OK;
}

hv_err hv_api__bool(bool *out, hv_req *r, json_t *obj, const char *field) {
    json_t *v = json_object_get(obj, field);

    if (!v || json_is_null(v))
        return HV_OK;
    if (!json_is_boolean(v))
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s must be true or false", field);
    *out = json_is_true(v);
    return HV_OK;
}

hv_err hv_api__id(int64_t *out, hv_req *r, const char *value, const char *what) {
    uint64_t v;

    if (!value || !hv_parse_u64(value, strlen(value), &v) || v == 0 || v > INT64_MAX)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s must be a positive integer, not %s", what,
                       value ? value : "(none)");
    *out = (int64_t)v;
    return HV_OK;
}

static hv_err number_param(int64_t *out, hv_req *r, const char *name, int64_t def, int64_t min,
                           int64_t max) {
    const char *s = hv_req_query(r, name);
    uint64_t v;

    *out = def;
    if (!s || !*s)
        return HV_OK;
    if (!hv_parse_u64(s, strlen(s), &v) || (int64_t)v < min || (int64_t)v > max)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s must be an integer from %lld to %lld", name,
                       (long long)min, (long long)max);
    *out = (int64_t)v;
    return HV_OK;
}

/* Splits a list value "a b c" (inside {} or ()) into words, trimming quotes. */
static void words(hv_query_term *t, hv_ctx *ctx, const char *s, size_t len) {
    size_t cap = 8;

    t->values = hv_arena_alloc(ctx->arena, cap * sizeof(*t->values));
    t->n_values = 0;
    for (size_t i = 0; i < len;) {
        while (i < len && s[i] == ' ')
            i++;
        size_t start = i;
        while (i < len && s[i] != ' ')
            i++;
        if (i == start)
            continue;
        size_t a = start, b = i;
        if (b - a >= 2 && (s[a] == '"' || s[a] == '\'') && s[b - 1] == s[a]) {
            a++;
            b--;
        }
        if (t->n_values == cap) {
            const char **bigger = hv_arena_alloc(ctx->arena, 2 * cap * sizeof(*bigger));
            memcpy(bigger, t->values, cap * sizeof(*bigger));
            t->values = bigger;
            cap *= 2;
        }
        t->values[t->n_values++] = hv_arena_strndup(ctx->arena, s + a, b - a);
    }
}

static hv_err parse_term(hv_query_term *t, hv_ctx *ctx, const char *s, size_t len) {
    const char *eq = memchr(s, '=', len);
    const char *v;
    size_t vlen;

    if (!eq || eq == s || eq + 1 == s + len)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "the query string must contain \"=\" and the key/value cannot be empty");
    t->key = hv_arena_strndup(ctx->arena, s, (size_t)(eq - s));
    v = eq + 1;
    vlen = (size_t)(s + len - v);
    if (v[0] == '~') {
        t->op = HV_Q_FUZZY;
        v++;
        vlen--;
    } else if (vlen >= 2 && v[0] == '[' && v[vlen - 1] == ']') {
        const char *tilde = memchr(v, '~', vlen);
        if (!tilde)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "range of %s must be [min~max]", t->key);
        t->op = HV_Q_RANGE;
        t->values = hv_arena_alloc(ctx->arena, 2 * sizeof(*t->values));
        t->n_values = 2;
        if (tilde > v + 1)
            t->values[0] = hv_arena_strndup(ctx->arena, v + 1, (size_t)(tilde - v - 1));
        if (tilde < v + vlen - 2)
            t->values[1] = hv_arena_strndup(ctx->arena, tilde + 1, (size_t)(v + vlen - 2 - tilde));
        return HV_OK;
    } else if (vlen >= 2 &&
               ((v[0] == '{' && v[vlen - 1] == '}') || (v[0] == '(' && v[vlen - 1] == ')'))) {
        t->op = v[0] == '{' ? HV_Q_ANY : HV_Q_ALL;
        words(t, ctx, v + 1, vlen - 2);
        return HV_OK;
    } else {
        t->op = HV_Q_EXACT;
        if (v[0] == '\\') {
            v++;
            vlen--;
        }
    }
    if (vlen == 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "the query string must contain \"=\" and the key/value cannot be empty");
    t->values = hv_arena_alloc(ctx->arena, sizeof(*t->values));
    t->values[0] = hv_arena_strndup(ctx->arena, v, vlen);
    t->n_values = 1;
    return HV_OK;
}

hv_err hv_api__parse_q(hv_query_term **out, size_t *n, hv_ctx *ctx, const char *q) {
    size_t count = 1, len = strlen(q), k = 0;
    int depth = 0;
    size_t start = 0;

    for (size_t i = 0; i < len; i++)
        count += q[i] == ',';
    *out = hv_arena_alloc(ctx->arena, count * sizeof(**out));
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? q[i] : ',';
        if (c == '[' || c == '{' || c == '(')
            depth++;
        else if ((c == ']' || c == '}' || c == ')') && depth > 0)
            depth--;
        if (c != ',' || depth > 0)
            continue;
        if (i > start) {
            hv_err rc = parse_term(&(*out)[k], ctx, q + start, i - start);
            if (rc)
                return rc;
            k++;
        }
        start = i + 1;
    }
    *n = k;
    return HV_OK;
}

hv_err hv_api__list_params(hv_list *out, hv_req *r) {
    const char *q = hv_req_query(r, "q");
    hv_query_term *terms = NULL;
    size_t n = 0;
    hv_err rc;

    memset(out, 0, sizeof(*out));
    rc = number_param(&out->page, r, "page", 1, 1, INT64_MAX / 1000);
    if (rc == HV_OK)
        rc = number_param(&out->page_size, r, "page_size", 10, 0, 100);
    if (rc)
        return rc;
    if (q && *q) {
        rc = hv_api__parse_q(&terms, &n, &r->ctx, q);
        if (rc)
            return rc;
    }
    out->terms = terms;
    out->n_terms = n;
    out->sort = hv_req_query(r, "sort");
    if (out->sort && !*out->sort)
        out->sort = NULL;
    return HV_OK;
}

hv_err hv_api__project(hv_project *out, hv_req *r, const char *name_or_id) {
    const char *force = hv_req_header(r, "X-Is-Resource-Name");
    uint64_t id;
    hv_err rc;

    if (!(force && strcmp(force, "true") == 0) && hv_parse_u64(name_or_id, strlen(name_or_id), &id))
        rc = hv_iam_project_get_by_id(out, &r->ctx, (int64_t)id);
    else
        rc = hv_iam_project_get(out, &r->ctx, name_or_id);
    return rc;
}

hv_err hv_api__json(hv_req *r, int status, json_t *body) {
    char *text = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);

    json_decref(body);
    hv_resp_body(r, status, "application/json", text, strlen(text));
    free(text);
    return HV_OK;
}

/* The request's URL with page and page_size replaced, as Harbor links it, into *out (arena).
 * HV_E_TOO_LARGE when the request's query makes it longer than 64 KiB. */
static hv_err page_url(const char **out, hv_req *r, const hv_list *list, int64_t page) {
    hv_buf b;
    const char *keys[] = {"q",          "sort",      "name",        "public",
                          "owner",      "username",  "email",       "entityname",
                          "project_id", "reference", "reference_id"};
    hv_err rc;

    hv_buf_init(&b, 64 * 1024);
    rc = hv_buf_appendf(&b, "%s?page=%lld&page_size=%lld", r->path, (long long)page,
                        (long long)list->page_size);
    for (size_t i = 0; rc == HV_OK && i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *v = hv_req_query(r, keys[i]);
        if (v)
            rc = hv_buf_appendf(&b, "&%s=%s", keys[i], v);
    }
    if (rc == HV_OK)
        *out = hv_arena_strndup(r->ctx.arena, b.data, b.len);
    else
        rc = HV_FAIL(&r->ctx, rc, "the query is too long to link the pages of this list");
    hv_buf_free(&b);
    return rc;
}

hv_err hv_api__page(hv_req *r, const hv_list *list, int64_t total, json_t *items) {
    const char *prev = NULL, *next = NULL;
    hv_err rc = HV_OK;

    if (list->page_size > 0) {
        if (list->page > 1 && (list->page - 1) * list->page_size < total)
            rc = page_url(&prev, r, list, list->page - 1);
        if (rc == HV_OK && list->page_size * list->page < total)
            rc = page_url(&next, r, list, list->page + 1);
    }
    if (rc) {
        json_decref(items);
        return rc;
    }
    hv_resp_header(r, "X-Total-Count", hv_arena_printf(r->ctx.arena, "%lld", (long long)total));
    if (prev && next)
        hv_resp_header(
            r, "Link",
            hv_arena_printf(r->ctx.arena, "<%s>; rel=\"prev\" , <%s>; rel=\"next\"", prev, next));
    else if (prev || next)
        hv_resp_header(r, "Link",
                       hv_arena_printf(r->ctx.arena, "<%s>; rel=\"%s\"", prev ? prev : next,
                                       prev ? "prev" : "next"));
    return hv_api__json(r, 200, items);
}

hv_err hv_api__created(hv_req *r, const char *location) {
    hv_resp_header(r, "Location", location);
    hv_resp_empty(r, 201);
    return HV_OK;
}

hv_err hv_api__ok(hv_req *r) {
    hv_resp_empty(r, 200);
    return HV_OK;
}

json_t *hv_api__time(int64_t ms) {
    char buf[32];

    hv_time_format(buf, ms);
    return json_string(buf);
}
