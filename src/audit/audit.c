/*
 * The audit-log subscriber.  A table maps each event type to the row it becomes: the
 * resource type, the operation and how the resource is named from the payload's fields
 * ("repository", "digest", "tag", "project", "robot", "resource").  The project of a row is
 * the "project" field, else the first component of "repository", looked up by name when the
 * event is delivered (in the statement that adds the row); a project that no longer exists
 * (deleted since) is stored as 0.
 *
 * The dispatcher delivers events at least once (a crash between delivery and clearing the
 * outbox delivers again), so a row may very rarely be recorded twice; it is never lost.
 * Pulls are the exception, as their events are volatile: their rows are written in batches
 * (see "pulls, in batches"), and a crash loses those not written yet.
 */
#include "audit/audit_int.h"
#include "events/events.h"
#include "iam/iam.h"
#include "model/model.h"

#include <jansson.h>
#include <string.h>

/* How the resource of a row is named. */
typedef enum {
    NAME_ARTIFACT,   /* "<repository>:<tag>", else "<repository>@<digest>" */
    NAME_TAG,        /* "<repository>:<tag>" */
    NAME_REPOSITORY, /* "<repository>" */
    NAME_PROJECT,    /* "resource", else "project" */
    NAME_ROBOT       /* "robot" */
} naming;

static const struct kind {
    const char *type;
    const char *resource_type;
    const char *operation;
    naming naming;
} kinds[] = {
    {"artifact.pushed", "artifact", "create", NAME_ARTIFACT},
    {"artifact.pulled", "artifact", "pull", NAME_ARTIFACT},
    {"artifact.deleted", "artifact", "delete", NAME_ARTIFACT},
    {"tag.created", "tag", "create", NAME_TAG},
    {"tag.deleted", "tag", "delete", NAME_TAG},
    {"repository.deleted", "repository", "delete", NAME_REPOSITORY},
    {"project.created", "project", "create", NAME_PROJECT},
    {"project.deleted", "project", "delete", NAME_PROJECT},
    {"robot.created", "robot", "create", NAME_ROBOT},
    {"robot.deleted", "robot", "delete", NAME_ROBOT},
};

static const struct kind *find_kind(const char *type) {
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(kinds[i].type, type) == 0)
            return &kinds[i];
    }
    return NULL;
}

/* A string field of the payload, copied into the arena; NULL when absent or empty. */
static const char *field(hv_ctx *ctx, json_t *o, const char *name) {
    const char *s = json_string_value(json_object_get(o, name));

    return s && *s ? hv_arena_strdup(ctx->arena, s) : NULL;
}

/* The resource name of the row; NULL when the payload lacks what the naming needs. */
static const char *resource_of(hv_ctx *ctx, const struct kind *k, json_t *o) {
    const char *repo = field(ctx, o, "repository");
    const char *tag = field(ctx, o, "tag");
    const char *digest = field(ctx, o, "digest");

    switch (k->naming) {
    case NAME_ARTIFACT:
        if (repo && tag)
            return hv_arena_printf(ctx->arena, "%s:%s", repo, tag);
        if (repo && digest)
            return hv_arena_printf(ctx->arena, "%s@%s", repo, digest);
        return NULL;
    case NAME_TAG:
        return repo && tag ? hv_arena_printf(ctx->arena, "%s:%s", repo, tag) : NULL;
    case NAME_REPOSITORY:
        return repo;
    case NAME_PROJECT: {
        const char *resource = field(ctx, o, "resource");
        return resource ? resource : field(ctx, o, "project");
    }
    case NAME_ROBOT:
        return field(ctx, o, "robot");
    }
    return NULL;
}

/* The name of the project the event is about, or NULL. */
static const char *project_of(hv_ctx *ctx, json_t *o) {
    const char *name = field(ctx, o, "project");
    const char *repo = name ? NULL : field(ctx, o, "repository");
    const char *slash = repo ? strchr(repo, '/') : NULL;

    if (slash)
        name = hv_arena_strndup(ctx->arena, repo, (size_t)(slash - repo));
    return name;
}

/* The id of the project called name, or 0 (none, or deleted since). */
static hv_err project_id_of(int64_t *out, hv_ctx *ctx, const char *name) {
    hv_project p;
    hv_err rc = name ? hv_model_project_get(&p, ctx, name) : HV_E_NOT_FOUND;

    *out = rc == HV_OK ? p.id : 0;
    if (rc == HV_E_NOT_FOUND) {
        hv_error_clear(ctx);
        rc = HV_OK;
    }
    return rc;
}

/* Forwards the entry (of the project called project, or NULL) when
 * audit_log_forward_endpoint is set, and adds its row unless skip_audit_log_database is true
 * too.  The row finds its project id in the INSERT; only a forwarded entry looks it up. */
static hv_err store(hv_ctx *ctx, hv_audit_log *entry, const char *project) {
    const char *endpoint = "", *skip = "false";
    hv_err rc = hv_iam_setting_get(&endpoint, ctx, "audit_log_forward_endpoint");

    if (rc == HV_OK && *endpoint)
        rc = hv_iam_setting_get(&skip, ctx, "skip_audit_log_database");
    if (rc == HV_OK && *endpoint)
        rc = project_id_of(&entry->project_id, ctx, project);
    if (rc)
        return rc;
    if (*endpoint)
        hv_audit__forward(endpoint, entry);
    return *endpoint && strcmp(skip, "true") == 0 ? HV_OK : hv_model_audit_add(ctx, entry, project);
}

/* The entry of an event of kind k (in the arena) and the name of its project (NULL: none). */
static hv_err parse(hv_audit_log *entry, const char **project, hv_ctx *ctx, const struct kind *k,
                    const char *type, const char *payload) {
    json_t *o;
    json_t *at;
    hv_err rc = HV_OK;

    memset(entry, 0, sizeof(*entry));
    o = json_loads(payload, 0, NULL);
    if (!json_is_object(o)) {
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "event %s: the payload is not a JSON object", type);
        goto out;
    }
    entry->resource = resource_of(ctx, k, o);
    if (!entry->resource) {
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "event %s: the payload does not name its resource",
                     type);
        goto out;
    }
    entry->username = field(ctx, o, "operator");
    if (!entry->username)
        entry->username = "anonymous";
    at = json_object_get(o, "occur_at");
    entry->op_time = json_is_integer(at) ? (int64_t)json_integer_value(at) : hv_now_ms();
    entry->resource_type = k->resource_type;
    entry->operation = k->operation;
    *project = project_of(ctx, o);
out:
    json_decref(o);
    return rc;
}

hv_err hv_audit_record(hv_ctx *ctx, const char *type, const char *payload) {
    const struct kind *k = find_kind(type);
    hv_audit_log entry;
    const char *project = NULL;
    hv_err rc;

    if (!k)
        return HV_OK;
    rc = parse(&entry, &project, ctx, k, type, payload);
    return rc ? rc : store(ctx, &entry, project);
}

/* ---------------------------------------------------------------- pulls, in batches */

/* Pulls are volatile events (events.h), and there may be thousands a second: their rows wait
 * here, on the dispatcher thread that alone touches them, until it has delivered all that is
 * pending, another kind of event comes or MAX_PENDING are here, then go in one multi-row
 * INSERT per 128 rows, with the settings read once for them all. */
#define MAX_PENDING 1024

static struct pending {
    const struct kind *kind;
    char *username, *resource, *project;
    int64_t op_time;
} pending[MAX_PENDING];
static size_t n_pending;

/* Forwards the pending rows when audit_log_forward_endpoint is set, and adds them unless
 * skip_audit_log_database is true too; inside the dispatcher's transaction. */
static hv_err store_pending(hv_ctx *ctx) {
    const char *endpoint = "", *skip = "false";
    hv_audit_log *entries = hv_arena_alloc(ctx->arena, n_pending * sizeof(*entries));
    const char **projects = hv_arena_alloc(ctx->arena, n_pending * sizeof(*projects));
    hv_err rc = hv_iam_setting_get(&endpoint, ctx, "audit_log_forward_endpoint");

    if (rc == HV_OK && *endpoint)
        rc = hv_iam_setting_get(&skip, ctx, "skip_audit_log_database");
    for (size_t i = 0; rc == HV_OK && i < n_pending; i++) {
        entries[i] = (hv_audit_log){.username = pending[i].username,
                                    .resource = pending[i].resource,
                                    .resource_type = pending[i].kind->resource_type,
                                    .operation = pending[i].kind->operation,
                                    .op_time = pending[i].op_time};
        projects[i] = pending[i].project;
        if (*endpoint)
            rc = project_id_of(&entries[i].project_id, ctx, projects[i]);
        if (rc == HV_OK && *endpoint)
            hv_audit__forward(endpoint, &entries[i]);
    }
    if (rc || (*endpoint && strcmp(skip, "true") == 0))
        return rc;
    return hv_model_audit_add_many(ctx, entries, projects, n_pending);
}

static void flush(hv_ctx *ctx) {
    if (n_pending > 0 && store_pending(ctx) != HV_OK) {
        hv_log(HV_LOG_ERROR, "audit: %zu pulls not recorded: %s", n_pending, ctx->err.message);
        hv_error_clear(ctx);
    }
    for (size_t i = 0; i < n_pending; i++) {
        free(pending[i].username);
        free(pending[i].resource);
        free(pending[i].project);
    }
    n_pending = 0;
}

static void on_drained(hv_ctx *ctx, void *arg) {
    (void)arg;
    flush(ctx);
}

/* Keeps the row of a pull for the next flush. */
static hv_err queue_pull(hv_ctx *ctx, const struct kind *k, const char *type, const char *payload) {
    hv_audit_log entry;
    const char *project = NULL;
    hv_err rc = parse(&entry, &project, ctx, k, type, payload);

    if (rc)
        return rc;
    if (n_pending == MAX_PENDING)
        flush(ctx);
    pending[n_pending++] = (struct pending){.kind = k,
                                            .username = hv_strdup(entry.username),
                                            .resource = hv_strdup(entry.resource),
                                            .project = project ? hv_strdup(project) : NULL,
                                            .op_time = entry.op_time};
    return HV_OK;
}

static void on_event(hv_ctx *ctx, const char *type, const char *payload, void *arg) {
    const struct kind *k = find_kind(type);
    hv_err rc;

    (void)arg;
    if (!k)
        return;
    if (strcmp(k->operation, "pull") == 0) {
        rc = queue_pull(ctx, k, type, payload);
    } else {
        flush(ctx); /* the pulls before it first: rows stay in the order of their events */
        rc = hv_audit_record(ctx, type, payload);
    }
    if (rc != HV_OK) {
        hv_log(HV_LOG_ERROR, "audit: event %s not recorded: %s (%s:%d)", type, ctx->err.message,
               ctx->err.file ? ctx->err.file : "?", ctx->err.line);
        hv_error_clear(ctx);
    }
}

void hv_audit_init(void) {
    /* one subscription for every type: the table above decides, and the bus has few slots */
    hv_events_subscribe("", on_event, NULL);
    hv_events_on_drained(on_drained, NULL);
}

hv_err hv_audit_list(hv_audit_log **out, size_t *n, int64_t *total, hv_ctx *ctx,
                     const hv_list *list, int64_t project_id) {
    return hv_model_audit_list(out, n, total, ctx, list, project_id);
}
