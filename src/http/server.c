/*
 * The HTTP server on libmicrohttpd, one thread per connection: whatever a request waits for
 * (a password hash, an fsync, the database's write lock, a slow client) holds up only its
 * own connection, and file responses leave in large pieces (see file_response).  Our listener
 * (listener.c) accepts connections and hands them to MHD.  A request borrows a database
 * connection from the server's pool while it runs its handler's steps and returns it as
 * soon as its answer is queued (a download being sent holds none), and while a streamed body
 * arrives it holds none.  MHD calls the access handler several
 * times per request: first with the headers (we build the hv_req, authenticate, route and
 * run the handler's begin), then once per piece of body (streamed to the handler's chunk,
 * or buffered up to body_max), then once more when the body is complete (run, and the
 * response is queued).  A failing step answers in the API's error envelope: at once when
 * it fails before the body (MHD then closes the connection instead of reading an unwanted
 * body), after the rest of the body is discarded when it fails in the middle of it.  The completion
 * callback writes the access log line and frees the request.
 */
#include "db/db.h"
#include "http/http_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MOUNTS  8
#define DEFAULT_DBS 64    /* database connections open at most, unless configured */
#define DB_WAIT_MS  30000 /* how long a request waits for one when all are in use */
#define STACK_SIZE  (1u << 20)

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
    hv_http__listener *listener;
    pthread_mutex_t lock;
    pthread_cond_t db_returned;
    hv_db **idle_dbs; /* the pool: connections not lent to a request (max_dbs of room) */
    int n_idle;
    int n_dbs;   /* open connections, idle or lent */
    int max_dbs; /* cfg.db_max_open, or DEFAULT_DBS */
};

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

/* Drops a streamed body that will not be sent. */
static void drop_stream(hv_req *r) {
    if (r->resp_read && r->resp_free)
        r->resp_free(r->resp_payload);
    r->resp_read = NULL;
    r->resp_free = NULL;
    r->resp_payload = NULL;
}

void hv_resp_stream(hv_req *r, int status, const char *content_type, uint64_t len,
                    ssize_t (*read)(void *payload, uint64_t pos, char *buf, size_t max),
                    void (*free_fn)(void *payload), void *payload) {
    drop_stream(r);
    r->status = status;
    r->resp_len = len;
    r->resp_read = read;
    r->resp_free = free_fn;
    r->resp_payload = payload;
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
 * every API caller, gets a Basic challenge.  Except a caller whose credentials were good but
 * do not grant the request's scope: the token specification's Bearer challenge with
 * error="insufficient_scope", on which clients ask for a token with that scope.
 */
static const char *challenge(hv_req *r) {
    const hv_http_config *cfg = &r->server->cfg;
    const char *realm = cfg->token_realm, *host = hv_req_header(r, "Host");
    bool sent = hv_req_header(r, "Authorization") != NULL;
    bool known = r->who.kind != HV_ID_ANONYMOUS || r->who.via_token;
    bool insufficient = sent && known && r->challenge_scope;
    const char *c;

    if (!realm && host && strlen(host) < 256 && !strpbrk(host, "\"\\ /"))
        realm = hv_arena_printf(r->ctx.arena, "http://%s/service/token", host);
    if (r->api != HV_API_OCI || !realm || strcmp(r->path, "/v2/_catalog") == 0 ||
        (sent && !insufficient))
        return hv_arena_printf(r->ctx.arena, "Basic realm=\"%s\"", cfg->realm);
    c = hv_arena_printf(r->ctx.arena, "Bearer realm=\"%s\",service=\"%s\"", realm,
                        cfg->token_service);
    if (r->challenge_scope)
        c = hv_arena_printf(r->ctx.arena, "%s,scope=\"%s\"", c, r->challenge_scope);
    if (insufficient)
        c = hv_arena_printf(r->ctx.arena, "%s,error=\"insufficient_scope\"", c);
    return c;
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
    drop_stream(r);
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
    if (info->http_status == 429) {
        int64_t wait = r->ctx.err.retry_after > 0 ? r->ctx.err.retry_after : 1;
        hv_resp_header(r, "Retry-After", hv_arena_printf(r->ctx.arena, "%lld", (long long)wait));
    }
    if (info->http_status >= 500)
        hv_log(HV_LOG_ERROR, "request %s: %s (%s:%d)", r->ctx.request_id, r->ctx.err.message,
               r->ctx.err.file, r->ctx.err.line);
}

/* ---------------------------------------------------------------- the MHD glue */

/* Lends r a database connection: an idle one, a new one while fewer than max_dbs are open,
 * or the first one returned within DB_WAIT_MS (else HV_E_UNAVAILABLE). */
static hv_err db_borrow(hv_http_server *s, hv_req *r) {
    struct timespec until;
    hv_db *db = NULL;
    bool open_new = false;
    hv_err rc;

    if (r->ctx.db)
        return HV_OK;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += DB_WAIT_MS / 1000;
    pthread_mutex_lock(&s->lock);
    while (!s->n_idle && s->n_dbs >= s->max_dbs) {
        if (pthread_cond_timedwait(&s->db_returned, &s->lock, &until) != 0)
            break;
    }
    if (s->n_idle) {
        db = s->idle_dbs[--s->n_idle];
    } else if (s->n_dbs < s->max_dbs) {
        s->n_dbs++; /* reserved; opened outside the lock */
        open_new = true;
    }
    pthread_mutex_unlock(&s->lock);
    if (open_new) {
        rc = s->cfg.open_db(&db, s->cfg.payload);
        if (rc) {
            pthread_mutex_lock(&s->lock);
            s->n_dbs--;
            pthread_cond_signal(&s->db_returned);
            pthread_mutex_unlock(&s->lock);
            return HV_FAIL(&r->ctx, rc, "the database cannot be opened");
        }
    }
    if (!db)
        return HV_FAIL(&r->ctx, HV_E_UNAVAILABLE,
                       "the server is busy (every database connection is in use); retry");
    r->ctx.db = db;
    return HV_OK;
}

/* Takes r's connection back: into the pool, or closed when it is broken, past its lifetime
 * or over the idle limit (the next borrow opens a fresh one). */
static void db_return(hv_http_server *s, hv_req *r) {
    hv_db *db = r->ctx.db;
    bool keep;

    if (!db)
        return;
    r->ctx.db = NULL;
    hv_db_rollback(db); /* a handler that failed half-way leaves nothing open */
    keep = hv_db_reusable(db, s->cfg.db_max_lifetime_ms);
    pthread_mutex_lock(&s->lock);
    keep = keep && s->n_idle < s->cfg.db_max_idle;
    if (keep)
        s->idle_dbs[s->n_idle++] = db;
    else
        s->n_dbs--;
    pthread_cond_signal(&s->db_returned);
    pthread_mutex_unlock(&s->lock);
    if (!keep)
        hv_db_close(db);
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

/* The peer's address as text ("192.0.2.1", "2001:db8::1"), in the arena; NULL if unknown. */
static const char *client_address(hv_arena *arena, struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    char text[INET6_ADDRSTRLEN];
    const void *addr;

    if (!sa)
        return NULL;
    if (sa->sa_family == AF_INET)
        addr = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
    else if (sa->sa_family == AF_INET6)
        addr = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
    else
        return NULL;
    if (!inet_ntop(sa->sa_family, addr, text, sizeof(text)))
        return NULL;
    return hv_arena_strdup(arena, text);
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
    r->ctx.client = client_address(r->ctx.arena, conn);
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
    rc = db_borrow(s, r);
    if (rc)
        return rc;
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

/*
 * File bodies.  To a client on another host a file leaves with sendfile(): no copy through
 * this process.  To a client on this host (loopback: a reverse proxy, a CI runner, a node's
 * own kubelet) it is read into a buffer of FILE_COPY_BLOCK bytes and sent from there:
 * sendfile() hands a local receiver references to page-cache pages, which it then pays for
 * dearly (curl spent 2.4 s of system time per GiB on such a download here, against 0.22 s
 * for the same bytes sent from memory), and sending from a memory mapping of the file costs
 * this process a page fault per few pages.  Measured side by side on this machine with
 * curl: 1 GiB from a mapping ~1,000 MB/s, sendfile() ~1,950 MB/s, read() and send() of
 * 32 KiB ~1,900 MB/s, of 2 MiB ~2,450 MB/s.  Blob files never change once placed (a repair
 * renames a new file over the name), so the descriptor reads the same bytes for as long as
 * the response needs them.
 */
#define FILE_COPY_AT    (64u << 10) /* smaller bodies always leave with sendfile() */
#define FILE_COPY_BLOCK (2u << 20)

struct file_body {
    int fd;
    uint64_t offset, len;
};

static ssize_t file_body_read(void *cls, uint64_t pos, char *buf, size_t max) {
    struct file_body *f = cls;
    ssize_t n;

    if (pos >= f->len)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (max > f->len - pos)
        max = (size_t)(f->len - pos);
    do
        n = pread(f->fd, buf, max, (off_t)(f->offset + pos));
    while (n < 0 && errno == EINTR);
    if (n <= 0) { /* the file shrank or the disk failed: a short body, never a wrong one */
        hv_log(HV_LOG_ERROR, "file body: read at %llu failed: %s",
               (unsigned long long)(f->offset + pos), n ? strerror(errno) : "end of file");
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    return n;
}

static void file_body_free(void *cls) {
    struct file_body *f = cls;

    close(f->fd);
    free(f);
}

static bool peer_is_local(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    if (sa && sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) ==
               127;
    if (sa && sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

/* The response for r's file body.  r->resp_fd goes to MHD with the response (closed with it);
 * NULL when MHD cannot make a response. */
static struct MHD_Response *file_response(hv_req *r) {
    struct MHD_Response *resp;
    struct file_body *f;

    if (r->resp_len < FILE_COPY_AT || !peer_is_local(r->conn))
        return MHD_create_response_from_fd_at_offset64(r->resp_len, r->resp_fd, r->resp_offset);
    f = hv_malloc(sizeof(*f));
    f->fd = r->resp_fd;
    f->offset = r->resp_offset;
    f->len = r->resp_len;
    resp = MHD_create_response_from_callback(
        r->resp_len, r->resp_len < FILE_COPY_BLOCK ? (size_t)r->resp_len : FILE_COPY_BLOCK,
        file_body_read, f, file_body_free);
    if (!resp)
        free(f); /* r->resp_fd is still r's, closed with it */
    return resp;
}

/* MHD pulls a streamed body through here; the payload is freed with the request (MHD may
 * keep the response a little longer than that, but calls nothing after the request ends). */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max) {
    hv_req *r = cls;
    ssize_t n = r->resp_read(r->resp_payload, pos, buf, max);

    if (n <= 0) {
        hv_log(HV_LOG_ERROR, "request %s: the body broke off after %llu bytes", r->ctx.request_id,
               (unsigned long long)pos);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    return n;
}

static enum MHD_Result respond(hv_req *r) {
    struct MHD_Response *resp;
    enum MHD_Result ret;

    if (r->responded)
        return MHD_YES;
    r->responded = true;
    if (r->resp_fd >= 0)
        resp = file_response(r);
    else if (r->resp_read) /* MHD clears a buffer of the block's size for every response */
        resp = MHD_create_response_from_callback(
            r->resp_len,
            r->resp_len && r->resp_len < HV_RESP_BLOCK ? (size_t)r->resp_len : HV_RESP_BLOCK,
            stream_read, r, NULL);
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
    enum MHD_Result ret;
    hv_err rc;

    (void)version;
    if (!r) {
        r = request_new(s, conn, url, method);
        *con_cls = r;
        rc = request_begin(s, r);
        if (rc)
            return fail_now(r);
        if (r->handler->chunk)
            db_return(s, r); /* a streamed body can take long: hold no connection meanwhile */
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
    rc = db_borrow(s, r);
    if (rc)
        return fail_now(r);
    rc = r->handler->run(r);
    ret = rc ? fail_now(r) : respond(r);
    db_return(s, r); /* the answer is queued: sending it (a blob, to a slow client) needs none */
    return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    hv_http_server *s = cls;
    hv_req *r = *con_cls;
    uint64_t us;

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
    drop_stream(r);
    db_return(s, r);
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
    s->max_dbs = cfg->db_max_open > 0 ? cfg->db_max_open : DEFAULT_DBS;
    if (s->cfg.db_max_idle <= 0 && cfg->db_max_open <= 0)
        s->cfg.db_max_idle = s->max_dbs;
    s->idle_dbs = hv_calloc((size_t)s->max_dbs, sizeof(*s->idle_dbs));
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->db_returned, NULL);
    *out = s;
    return HV_OK;
}

static void add_connection(int fd, const struct sockaddr *addr, socklen_t addr_len, void *payload) {
    hv_http_server *s = payload;

    /* MHD closes fd when it cannot take it (over max_connections, out of memory) */
    if (MHD_add_connection(s->daemon, fd, addr, addr_len) != MHD_YES)
        hv_log(HV_LOG_WARN, "connection refused: %s", strerror(errno));
}

hv_err hv_http_start(hv_http_server *s, hv_ctx *ctx) {
    struct sockaddr_storage sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_TURBO;
    hv_err rc;

    rc = parse_listen(&sa, ctx, s->cfg.listen);
    if (rc)
        return rc;
    if (sa.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.idle_timeout, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)s->cfg.max_connections, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)STACK_SIZE, MHD_OPTION_END);
    if (!s->daemon)
        return HV_FAIL(ctx, HV_E_CONFIG, "cannot start the HTTP server");
    rc = hv_http__listener_start(&s->listener, ctx, &sa, s->cfg.idle_timeout, add_connection, s);
    if (rc)
        return HV_FAIL(ctx, rc, "cannot listen on %s (in use, or not an address here): %s",
                       s->cfg.listen, ctx->err.message);
    s->port = hv_http__listener_port(s->listener);
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
    hv_http__listener_stop(s->listener);
    if (s->daemon)
        MHD_stop_daemon(s->daemon);
    /* every request has ended, so every connection is back in the pool */
    for (int i = 0; i < s->n_idle; i++)
        hv_db_close(s->idle_dbs[i]);
    free(s->idle_dbs);
    pthread_cond_destroy(&s->db_returned);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
