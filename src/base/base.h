/*
 * base — the parts every other module stands on and that know nothing of registries:
 * the error enum and its table, the per-operation context with its error slot, logging,
 * allocation that aborts on failure (with failure injection for tests), arenas, bounded
 * byte buffers, SHA-256 with a serialisable state, uuids, time and small string helpers.
 */
#ifndef HV_BASE_H
#define HV_BASE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---------------------------------------------------------------- errors */

/*
 * One enum, one table.  Each error names the HTTP status it maps to, the OCI Distribution
 * error code (for /v2) and the Harbor error code (for /api/v2.0).
 *
 *     code                       http  OCI code                 Harbor code
 */
/* clang-format off */
#define HV_ERRORS(X)                                                                       \
    X(HV_OK,                       200, NULL,                    NULL)                     \
    X(HV_E_INTERNAL,               500, "UNKNOWN",               "INTERNAL_SERVER_ERROR")  \
    X(HV_E_IO,                     500, "UNKNOWN",               "INTERNAL_SERVER_ERROR")  \
    X(HV_E_DB,                     500, "UNKNOWN",               "INTERNAL_SERVER_ERROR")  \
    X(HV_E_UNAVAILABLE,            503, "UNAVAILABLE",           "SERVICE_UNAVAILABLE")    \
    X(HV_E_BAD_REQUEST,            400, "UNSUPPORTED",           "BAD_REQUEST")            \
    X(HV_E_NOT_FOUND,              404, "NOT_FOUND",             "NOT_FOUND")              \
    X(HV_E_METHOD,                 405, "UNSUPPORTED",           "METHOD_NOT_ALLOWED")     \
    X(HV_E_CONFLICT,               409, "UNSUPPORTED",           "CONFLICT")               \
    X(HV_E_UNSUPPORTED,            415, "UNSUPPORTED",           "UNSUPPORTED_MEDIA_TYPE") \
    X(HV_E_TOO_LARGE,              413, "SIZE_INVALID",          "PAYLOAD_TOO_LARGE")      \
    X(HV_E_RANGE,                  416, "BLOB_UPLOAD_INVALID",   "BAD_REQUEST")            \
    X(HV_E_BLOB_UNKNOWN,           404, "BLOB_UNKNOWN",          "NOT_FOUND")              \
    X(HV_E_BLOB_UPLOAD_INVALID,    400, "BLOB_UPLOAD_INVALID",   "BAD_REQUEST")            \
    X(HV_E_BLOB_UPLOAD_UNKNOWN,    404, "BLOB_UPLOAD_UNKNOWN",   "NOT_FOUND")              \
    X(HV_E_DIGEST_INVALID,         400, "DIGEST_INVALID",        "BAD_REQUEST")            \
    X(HV_E_MANIFEST_BLOB_UNKNOWN,  400, "MANIFEST_BLOB_UNKNOWN", "BAD_REQUEST")            \
    X(HV_E_MANIFEST_INVALID,       400, "MANIFEST_INVALID",      "BAD_REQUEST")            \
    X(HV_E_MANIFEST_UNKNOWN,       404, "MANIFEST_UNKNOWN",      "NOT_FOUND")              \
    X(HV_E_NAME_INVALID,           400, "NAME_INVALID",          "BAD_REQUEST")            \
    X(HV_E_NAME_UNKNOWN,           404, "NAME_UNKNOWN",          "NOT_FOUND")              \
    X(HV_E_SIZE_INVALID,           400, "SIZE_INVALID",          "BAD_REQUEST")            \
    X(HV_E_UNAUTHORIZED,           401, "UNAUTHORIZED",          "UNAUTHORIZED")           \
    X(HV_E_DENIED,                 403, "DENIED",                "FORBIDDEN")              \
    X(HV_E_POLICY,                 412, "DENIED",                "PRECONDITION")           \
    X(HV_E_TOOMANYREQUESTS,        429, "TOOMANYREQUESTS",       "TOO_MANY_REQUESTS")      \
    X(HV_E_CONFIG,                 500, "UNKNOWN",               "INTERNAL_SERVER_ERROR")
/* clang-format on */

typedef enum {
#define HV_ERR_ENUM(code, http, oci, harbor) code,
    HV_ERRORS(HV_ERR_ENUM)
#undef HV_ERR_ENUM
        HV_ERR__COUNT
} hv_err;

/* The table row of an error: name ("HV_E_BLOB_UNKNOWN"), HTTP status and the two codes. */
typedef struct hv_err_info {
    const char *name;
    int http_status;
    const char *oci_code;
    const char *harbor_code;
} hv_err_info;

/* Returns the row for err (borrowed, static).  An out-of-range value is a programming error. */
const hv_err_info *hv_err_lookup(hv_err err);

#define HV_ERROR_MSG_MAX 512

/* The error slot: what went wrong, for the user, and where it was noticed, for the log. */
typedef struct hv_error {
    hv_err code;
    char message[HV_ERROR_MSG_MAX];
    const char *file;
    int line;
    int64_t retry_after; /* HV_E_TOOMANYREQUESTS: seconds to wait, if known (Retry-After) */
} hv_error;

struct hv_arena;
struct hv_db;

/*
 * The context of one operation (a request, a job, a test).  The arena dies with it.
 * `actor` names who acts (user, robot, "anonymous" or a system job) for events and logs;
 * `client` is the network address a request came from ("192.0.2.1", "2001:db8::1"), NULL
 * outside requests.
 */
typedef struct hv_ctx {
    struct hv_arena *arena;
    struct hv_db *db;
    hv_error err;
    const char *request_id;
    const char *actor;
    const char *client;
} hv_ctx;

/* Records an error in ctx->err and returns its code.  Use through HV_FAIL. */
hv_err hv_fail_at(hv_ctx *ctx, const char *file, int line, hv_err code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

#define HV_FAIL(ctx, code, ...) hv_fail_at((ctx), __FILE__, __LINE__, (code), __VA_ARGS__)

/* Clears the error slot (after an error was handled and should not be reported). */
void hv_error_clear(hv_ctx *ctx);

/* ---------------------------------------------------------------- logging */

typedef enum { HV_LOG_DEBUG, HV_LOG_INFO, HV_LOG_WARN, HV_LOG_ERROR, HV_LOG_OFF } hv_log_level;

extern hv_log_level hv_log_threshold;

void hv_log_write(hv_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses "debug", "info", "warn", "error", "off"; returns -1 when unknown. */
int hv_log_level_parse(const char *name);

/* The level is checked before the arguments are formatted. */
#define hv_log(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) >= hv_log_threshold)                                                           \
            hv_log_write((level), __VA_ARGS__);                                                    \
    } while (0)

/* ---------------------------------------------------------------- memory */

/*
 * Small allocations that fail abort the process.  hv_alloc_fail_after(n) makes the n-th
 * next allocation return as if the system were out of memory (tests only): it aborts too,
 * so tests use it in a forked child.
 */
void *hv_malloc(size_t n);
void *hv_calloc(size_t count, size_t n);
void *hv_realloc(void *p, size_t n);
char *hv_strdup(const char *s);
char *hv_strndup(const char *s, size_t n);
char *hv_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hv_alloc_fail_after(long n);

/* An arena: many small allocations freed together. */
typedef struct hv_arena hv_arena;

hv_arena *hv_arena_new(void);
void hv_arena_free(hv_arena *a);                   /* accepts NULL */
void *hv_arena_alloc(hv_arena *a, size_t n);       /* zeroed, 16-byte aligned */
char *hv_arena_strdup(hv_arena *a, const char *s); /* NULL stays NULL */
char *hv_arena_strndup(hv_arena *a, const char *s, size_t n);
char *hv_arena_printf(hv_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes room for one more element in an arena array of *cap elements that holds count: when
 * it is full, returns a copy twice as large and doubles *cap (the old block stays until the
 * arena goes); otherwise returns v. */
void *hv_arena_grow(hv_arena *a, void *v, size_t *cap, size_t count, size_t elem);

/* A growable byte buffer with a hard limit, checked before anything is allocated. */
typedef struct hv_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;
} hv_buf;

void hv_buf_init(hv_buf *b, size_t max);
/* Appends; HV_E_TOO_LARGE (buffer unchanged) when len + n would pass max.  The result must
 * be used: a buffer that ignored one failed append and took the next would be cut short in
 * the middle without anyone knowing (the compiler checks). */
hv_err hv_buf_append(hv_buf *b, const void *data, size_t n) __attribute__((warn_unused_result));
hv_err hv_buf_appendf(hv_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), warn_unused_result));
hv_err hv_buf_vappendf(hv_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0), warn_unused_result));
void hv_buf_reset(hv_buf *b);
void hv_buf_free(hv_buf *b);

/* ---------------------------------------------------------------- hashing */

/* SHA-256 whose running state is plain bytes, so an upload can be resumed on any node. */
typedef struct hv_sha256 {
    _Alignas(16) unsigned char state[128];
} hv_sha256;

#define HV_DIGEST_MAX 72 /* "sha256:" + 64 hex + NUL */

void hv_sha256_init(hv_sha256 *h);
void hv_sha256_update(hv_sha256 *h, const void *data, size_t n);
/* Writes "sha256:<64 hex>" into out. The state can no longer be updated. */
void hv_sha256_final(hv_sha256 *h, char out[HV_DIGEST_MAX]);
/* One-shot digest of a buffer. */
void hv_sha256_digest(char out[HV_DIGEST_MAX], const void *data, size_t n);

/* ---------------------------------------------------------------- small things */

/* A random version-4 uuid, 36 characters + NUL. */
void hv_uuid(char out[37]);
/* Fills out with n cryptographically random bytes; aborts if the system cannot. */
void hv_random(void *out, size_t n);
/* Wall clock, milliseconds since the epoch; monotonic clock in nanoseconds. */
int64_t hv_now_ms(void);
uint64_t hv_mono_ns(void);
/* RFC 3339 UTC time with milliseconds, e.g. "2026-11-29T01:02:03.456Z". */
void hv_time_format(char out[32], int64_t ms);
/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void hv_hex(char *out, const void *data, size_t n);
/* The value of a hex digit (either case), or -1. */
int hv_hex_digit(char c);
/* n bytes into out from the 2n hex digits at hex (either case); false on anything else. */
bool hv_unhex(void *out, const char *hex, size_t n);
/* Parses a decimal of at most 19 digits, no sign, no spaces; false otherwise. */
bool hv_parse_u64(const char *s, size_t len, uint64_t *out);
bool hv_str_has_prefix(const char *s, const char *prefix);
/* Go's strconv.ParseBool (1 t T TRUE true True / 0 f F FALSE false False), as Harbor parses
 * boolean strings; false when v is none of them. */
bool hv_parse_bool(const char *v, bool *out);
/* Decodes standard base64 (padding optional) into out (at least 3 * len / 4 + 3 bytes);
 * returns the decoded length, or -1 on a character outside the alphabet. */
long hv_base64_decode(unsigned char *out, const char *in, size_t len);
/* Standard base64 of n bytes (n < 1.5 GiB), padded, in the arena. */
char *hv_base64_encode(struct hv_arena *a, const void *data, size_t n);
/* Compares in constant time for equal lengths (secrets). */
bool hv_secure_equal(const void *a, const void *b, size_t n);

/* ---------------------------------------------------------------- doublestar globs (glob.c)
 * Harbor's selector patterns: `**` any run including '/' (as a whole path component, zero or
 * more components), `*` any run without '/', `?` one character other than '/', `[a-z]`,
 * `[^a-z]` classes, `{a,b}` alternatives (nestable), `\c` escapes.  Bytes, not runes.
 * Matching costs O(pattern x name) time whatever the pattern. */
#define HV_GLOB_PATTERN_MAX 1024
#define HV_GLOB_NAME_MAX    4096

/* Whether pattern (len bytes) is well formed; when not, *why (may be NULL) is a static
 * message saying what is wrong. */
bool hv_glob_valid(const char *pattern, size_t len, const char **why);
/* Whether the whole name matches the pattern.  False for a malformed pattern, or one or a
 * name longer than the limits above. */
bool hv_glob_match(const char *pattern, size_t plen, const char *name, size_t nlen);
/* The same for NUL-terminated strings. */
bool hv_glob_matchz(const char *pattern, const char *name);

/* ---------------------------------------------------------------- cron (cron.c)
 * Harbor's cron: six fields (second minute hour day-of-month month day-of-week), or five with
 * seconds 0; see cron.c for the grammar.  Times are UTC. */
typedef struct hv_cron {
    uint64_t bits[6]; /* per field, bit v set when value v matches */
    bool dom_any, dow_any;
} hv_cron;

/* Parses spec into *out; false when it is malformed, with *why (may be NULL) a static
 * message saying what is wrong. */
bool hv_cron_parse(hv_cron *out, const char *spec, const char **why);
/* The first matching time strictly after after_ms, in ms (whole seconds); -1 when nothing
 * matches within five years (31 February). */
int64_t hv_cron_next(const hv_cron *c, int64_t after_ms);

#endif
