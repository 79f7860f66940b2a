/*
 * The HTTP server on libmicrohttpd: a pool of threads, each with its own database
 * connection, epoll, sendfile for file responses.  MHD calls the access handler several
 * times per request: first with the headers (we build the hv_req, authenticate, route and
 * run the handler's begin), then once per piece of body (streamed to the handler's chunk,
 * or buffered up to body_max), then once more when the body is complete (run, and the
 * response is queued).  A failing step answers in the API's error envelope: at once when
 * it fails before the body (MHD then closes the connection instead of reading an unwanted
 * body), after the rest of the body is discarded when it fails in the middle of it.  The completion
 * callback writes the access log line and frees the request.
 */
#include "db/db.h"
#include "http/http.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_MOUNTS 8
#define MAX_DBS    512

struct mount {
    const char *prefix;
    size_t prefix_len;
    hv_api_kind api;
    hv_route_fn route;
    void *payload;
};

struct hv_http_server {
    struct MHD_Daemon *daemon;
    hv_http_config cfg;
    struct mount mounts[MAX_MOUNTS];
    int n_mounts;
    int port;
    pthread_mutex_t lock;
    hv_db *dbs[MAX_DBS]; /* every thread's connection, closed at stop */
    int n_dbs;
};

static __thread hv_db *thread_db;

/* ---------------------------------------------------------------- request helpers */

const char *hv_req_header(hv_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* Joins every value of a header with ", " in two passes over them, measuring then copying,
 * into room of exactly that size: nothing is cut, and the size is bounded by what the
 * server accepted as the request's headers. */
struct joiner {
    const char *name;
    char *out; /* NULL while measuring */
    size_t len;
};

static enum MHD_Result join_values(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
    struct joiner *j = cls;
    size_t n;

    (void)kind;
    if (!value || strcasecmp(key, j->name) != 0)
        return MHD_YES;
    n = strlen(value);
    if (j->out && j->len)
        memcpy(j->out + j->len, ", ", 2);
    if (j->len)
        j->len += 2;
    if (j->out)
        memcpy(j->out + j->len, value, n);
    j->len += n;
    return MHD_YES;
}

const char *hv_req_header_all(hv_req *r, const char *name) {
    struct joiner j = {.name = name};

    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, join_values, &j);
    if (!j.len)
        return NULL;
    j.out = hv_arena_alloc(r->ctx.arena, j.len + 1); /* zeroed: NUL-terminated */
    j.len = 0;
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, join_values, &j);
    return j.out;
}

struct collector {
    const char *name;
    hv_arena *arena;
    const char **values;
    size_t n, cap;
};

static enum MHD_Result collect_values(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value) {
    struct collector *c = cls;

    (void)kind;
    if (!value || strcmp(key, c->name) != 0)
        return MHD_YES;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 4;
        const char **bigger = hv_arena_alloc(c->arena, cap * sizeof(*bigger));
        if (c->n)
            memcpy(bigger, c->values, c->n * sizeof(*bigger));
        c->values = bigger;
        c->cap = cap;
    }
    c->values[c->n++] = hv_arena_strdup(c->arena, value);
    return MHD_YES;
}

const char **hv_req_query_all(hv_req *r, const char *name, size_t *n) {
    struct collector c = {.name = name, .arena = r->ctx.arena};

    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_values, &c);
    *n = c.n;
    return c.values;
}

const char *hv_req_query(hv_req *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void hv_resp_header(hv_req *r, const char *name, const char *value) {
    /* grows in the arena: how many headers a response has is the handler's business, and
     * nothing a request leads to may abort the server */
    if (!r->headers) {
        r->cap_headers = 16;
        r->headers = hv_arena_alloc(r->ctx.arena, r->cap_headers * sizeof(*r->headers));
    }
    r->headers = hv_arena_grow(r->ctx.arena, r->headers, &r->cap_headers, (size_t)r->n_headers,
                               sizeof(*r->headers));
    r->headers[r->n_headers][0] = hv_arena_strdup(r->ctx.arena, name);
    r->headers[r->n_headers][1] = hv_arena_strdup(r->ctx.arena, value);
    r->n_headers++;
}

void hv_resp_body(hv_req *r, int status, const char *content_type, const char *body, size_t len) {
    r->status = status;
    r->resp_body = hv_arena_strndup(r->ctx.arena, body, len);
    r->resp_len = len;
    if (content_type)
        hv_resp_header(r, "Content-Type", content_type);
}

void hv_resp_fd(hv_req *r, int status, const char *content_type, int fd, uint64_t offset,
                uint64_t len) {
    r->status = status;
    r->resp_fd = fd;
    r->resp_offset = offset;
    r->resp_len = len;
    if (content_type)
        hv_resp_header(r, "Content-Type", content_type);
}

void hv_resp_empty(hv_req *r, int status) {
    r->status = status;
    r->resp_body = NULL;
    r->resp_len = 0;
}

/*
 * What a 401 asks for, as Harbor does: on /v2, a caller who sent no credentials is sent to
 * the token service (Bearer, with the scope the request needed); one who sent some, and
 * every API caller, gets a Basic challenge.
 */
static const char *challenge(hv_req *r) {
    const hv_http_config *cfg = &r->server->cfg;
    const char *realm = cfg->token_realm, *host = hv_req_header(r, "Host");

    if (!realm && host && strlen(host) < 256 && !strpbrk(host, "\"\\ /"))
        realm = hv_arena_printf(r->ctx.arena, "http://%s/service/token", host);
    if (r->api == HV_API_OCI && !hv_req_header(r, "Authorization") && realm &&
        strcmp(r->path, "/v2/_catalog") != 0) {
        if (r->challenge_scope)
            return hv_arena_printf(r->ctx.arena, "Bearer realm=\"%s\",service=\"%s\",scope=\"%s\"",
                                   realm, cfg->token_service, r->challenge_scope);
        return hv_arena_printf(r->ctx.arena, "Bearer realm=\"%s\",service=\"%s\"", realm,
                               cfg->token_service);
    }
    return hv_arena_printf(r->ctx.arena, "Basic realm=\"%s\"", cfg->realm);
}

void hv_resp_error(hv_req *r) {
    const hv_err_info *info = hv_err_lookup(r->ctx.err.code);
    /* a 500's message is for the log: it names SQLite's errors and file paths */
    const char *message =
        info->http_status == 500
            ? hv_arena_printf(r->ctx.arena, "internal error; request id %s", r->ctx.request_id)
            : r->ctx.err.message;
    json_t *root, *err;
    char *body;

    r->n_headers = 0;
    if (r->resp_fd >= 0) {
        close(r->resp_fd);
        r->resp_fd = -1;
    }
    err = json_object();
    if (r->api == HV_API_OCI) {
        json_object_set_new(err, "code", json_string(info->oci_code));
        json_object_set_new(err, "message", json_string(message));
        json_object_set_new(err, "detail", json_null());
    } else {
        json_object_set_new(err, "code", json_string(info->harbor_code));
        json_object_set_new(err, "message", json_string(message));
    }
    root = json_pack("{s:[o]}", "errors", err);
    body = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    hv_resp_body(r, info->http_status, "application/json; charset=utf-8", body, strlen(body));
    free(body);
    if (info->http_status == 401)
        hv_resp_header(r, "WWW-Authenticate", challenge(r));
    if (info->http_status >= 500)
        hv_log(HV_LOG_ERROR, "request %s: %s (%s:%d)", r->ctx.request_id, r->ctx.err.message,
               r->ctx.err.file, r->ctx.err.line);
}

/* ---------------------------------------------------------------- the MHD glue */

static hv_err thread_database(hv_http_server *s, hv_ctx *ctx) {
    hv_err rc;

    if (thread_db)
        return HV_OK;
    rc = s->cfg.open_db(&thread_db, s->cfg.payload);
    if (rc)
        return HV_FAIL(ctx, rc, "the database cannot be opened");
    pthread_mutex_lock(&s->lock);
    if (s->n_dbs < MAX_DBS)
        s->dbs[s->n_dbs++] = thread_db;
    pthread_mutex_unlock(&s->lock);
    return HV_OK;
}

static bool request_id_ok(const char *id) {
    size_t n = strlen(id);

    if (n == 0 || n > 36)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

static hv_req *request_new(hv_http_server *s, struct MHD_Connection *conn, const char *url,
                           const char *method) {
    hv_req *r = hv_calloc(1, sizeof(*r));
    const char *id;

    r->ctx.arena = hv_arena_new();
    r->conn = conn;
    r->server = s;
    r->started_ns = hv_mono_ns();
    r->method = hv_arena_strdup(r->ctx.arena, method);
    r->path = hv_arena_strdup(r->ctx.arena, url);
    r->resp_fd = -1;
    r->api = HV_API_OCI;
    r->who.kind = HV_ID_ANONYMOUS;
    r->who.name = "anonymous";
    r->ctx.actor = "anonymous";
    id = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-ID");
    if (id && request_id_ok(id))
        snprintf(r->request_id_buf, sizeof(r->request_id_buf), "%s", id);
    else
        hv_uuid(r->request_id_buf);
    r->ctx.request_id = r->request_id_buf;
    return r;
}

/* Headers are in: database, mount, caller, handler, begin. */
static hv_err request_begin(hv_http_server *s, hv_req *r) {
    const struct mount *m = NULL;
    hv_err rc;

    for (int i = 0; i < s->n_mounts; i++) {
        if (strncmp(r->path, s->mounts[i].prefix, s->mounts[i].prefix_len) == 0 ||
            strcmp(r->path, s->mounts[i].prefix) == 0 ||
            (strlen(r->path) + 1 == s->mounts[i].prefix_len &&
             strncmp(r->path, s->mounts[i].prefix, strlen(r->path)) == 0)) {
            m = &s->mounts[i];
            break;
        }
    }
    if (m)
        r->api = m->api;
    rc = thread_database(s, &r->ctx);
    if (rc)
        return rc;
    r->ctx.db = thread_db;
    if (!m)
        return HV_FAIL(&r->ctx, HV_E_NOT_FOUND, "no such endpoint: %s", r->path);
    rc = hv_auth_authenticate(&r->who, &r->ctx, hv_req_header(r, "Authorization"),
                              m->api == HV_API_OCI ? HV_AUTH_REGISTRY : HV_AUTH_API);
    if (rc)
        return rc;
    r->ctx.actor = r->who.name;
    r->handler = m->route(r, m->payload);
    if (!r->handler)
        return r->ctx.err.code ? r->ctx.err.code
                               : HV_FAIL(&r->ctx, HV_E_NOT_FOUND, "no such endpoint");
    hv_buf_init(&r->body, r->handler->body_max);
    if (r->handler->begin)
        return r->handler->begin(r);
    return HV_OK;
}

static enum MHD_Result respond(hv_req *r) {
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (r->responded)
        return MHD_YES;
    r->responded = true;
    if (r->resp_fd >= 0)
        resp = MHD_create_response_from_fd_at_offset64(r->resp_len, r->resp_fd, r->resp_offset);
    else
        resp = MHD_create_response_from_buffer(r->resp_len, (void *)r->resp_body,
                                               MHD_RESPMEM_PERSISTENT);
    if (!resp)
        return MHD_NO;
    r->resp_fd = -1; /* MHD owns and closes it now */
    for (int i = 0; i < r->n_headers; i++)
        MHD_add_response_header(resp, r->headers[i][0], r->headers[i][1]);
    MHD_add_response_header(resp, "X-Request-ID", r->ctx.request_id);
    if (r->api == HV_API_OCI)
        MHD_add_response_header(resp, "Docker-Distribution-API-Version", "registry/2.0");
    ret = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result fail_now(hv_req *r) {
    r->failed = true;
    hv_resp_error(r);
    return respond(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    hv_http_server *s = cls;
    hv_req *r = *con_cls;
    hv_err rc;

    (void)version;
    if (!r) {
        r = request_new(s, conn, url, method);
        *con_cls = r;
        rc = request_begin(s, r);
        if (rc)
            return fail_now(r);
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (r->failed || r->responded)
            return MHD_YES; /* discarded: the answer is already out */
        r->bytes_in += n;
        if (r->handler->chunk) {
            rc = r->handler->chunk(r, upload_data, n);
        } else if (hv_buf_append(&r->body, upload_data, n) != HV_OK) {
            rc = HV_FAIL(&r->ctx, HV_E_TOO_LARGE, "request body over the limit of %zu bytes",
                         r->body.max);
        } else {
            rc = HV_OK;
        }
        /* MHD drops a response queued in the middle of a body: answer once it is read */
        if (rc)
            r->failed = true;
        return MHD_YES;
    }
    if (r->responded)
        return MHD_YES;
    if (r->failed)
        return fail_now(r);
    rc = r->handler->run(r);
    if (rc)
        return fail_now(r);
    return respond(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    hv_req *r = *con_cls;
    uint64_t us;

    (void)cls;
    (void)conn;
    if (!r)
        return;
    *con_cls = NULL;
    us = (hv_mono_ns() - r->started_ns) / 1000;
    hv_log(HV_LOG_INFO, "access %s %s %d in=%llu out=%llu %llu.%03llums id=%s user=%s%s", r->method,
           r->path, r->responded ? r->status : 0, (unsigned long long)r->bytes_in,
           (unsigned long long)(r->responded ? r->resp_len : 0), (unsigned long long)(us / 1000),
           (unsigned long long)(us % 1000), r->ctx.request_id, r->who.name,
           toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    if (r->handler && r->handler->cleanup)
        r->handler->cleanup(r);
    if (r->resp_fd >= 0)
        close(r->resp_fd);
    hv_buf_free(&r->body);
    hv_arena_free(r->ctx.arena);
    free(r);
}

/* ---------------------------------------------------------------- lifecycle */

/* Resolves "ADDR:PORT" ("[v6]:PORT", a name, or "*" for every address) to a socket address. */
static hv_err parse_listen(struct sockaddr_storage *sa, hv_ctx *ctx, const char *listen) {
    const char *colon = strrchr(listen, ':');
    struct addrinfo hints = {0}, *res = NULL;
    char host[256];
    size_t len;
    int gai;

    if (!colon || (size_t)(colon - listen) >= sizeof(host))
        return HV_FAIL(ctx, HV_E_CONFIG, "listen: %s is not ADDR:PORT", listen);
    len = (size_t)(colon - listen);
    memcpy(host, listen, len);
    host[len] = '\0';
    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        memmove(host, host + 1, len - 2);
        host[len - 2] = '\0';
    }
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    gai = getaddrinfo(host[0] && strcmp(host, "*") != 0 ? host : NULL, colon + 1, &hints, &res);
    if (gai != 0)
        return HV_FAIL(ctx, HV_E_CONFIG, "listen: cannot use %s: %s", listen, gai_strerror(gai));
    memset(sa, 0, sizeof(*sa));
    memcpy(sa, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return HV_OK;
}

hv_err hv_http_new(hv_http_server **out, hv_ctx *ctx, const hv_http_config *cfg) {
    hv_http_server *s;
    struct sockaddr_storage sa;
    hv_err rc;

    rc = parse_listen(&sa, ctx, cfg->listen);
    if (rc)
        return rc;
    s = hv_calloc(1, sizeof(*s));
    s->cfg = *cfg;
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return HV_OK;
}

hv_err hv_http_start(hv_http_server *s, hv_ctx *ctx) {
    struct sockaddr_storage sa;
    const union MHD_DaemonInfo *info;
    unsigned threads = s->cfg.threads > 0 ? (unsigned)s->cfg.threads : 4;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO;
    hv_err rc;

    rc = parse_listen(&sa, ctx, s->cfg.listen);
    if (rc)
        return rc;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)(64 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    if (!s->daemon)
        return HV_FAIL(ctx, HV_E_CONFIG, "cannot listen on %s (in use, or not an address here)",
                       s->cfg.listen);
    info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    return HV_OK;
}

void hv_http_mount(hv_http_server *s, const char *prefix, hv_api_kind api, hv_route_fn route,
                   void *payload) {
    if (s->n_mounts == MAX_MOUNTS)
        abort();
    s->mounts[s->n_mounts].prefix = prefix;
    s->mounts[s->n_mounts].prefix_len = strlen(prefix);
    s->mounts[s->n_mounts].api = api;
    s->mounts[s->n_mounts].route = route;
    s->mounts[s->n_mounts].payload = payload;
    s->n_mounts++;
}

int hv_http_port(hv_http_server *s) {
    return s->port;
}

void hv_http_stop(hv_http_server *s) {
    if (!s)
        return;
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    for (int i = 0; i < s->n_dbs; i++)
        hv_db_close(s->dbs[i]);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
