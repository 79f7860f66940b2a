/*
 * /projects/{project_name}/repositories/{repository_name}/artifacts…: Harbor's artifacts,
 * tags, accessories and additions; and /projects/{project_name_or_id}/artifacts.
 *
 * The repository name arrives decoded once by the server ("a%2Fb" for a/b, which clients
 * send double-encoded as a%252Fb) and is decoded again here.  Each handler resolves the
 * project, asks auth for Harbor's permission (artifact read/list/create/delete, tag
 * list/create/delete, accessory list, artifact-addition read; copy also needs push on the
 * target and pull on the source), calls one registry service and renders Harbor's JSON:
 * Artifact, Tag, Accessory (AccessoryData), Label, with Harbor's icons (icons.c) and
 * addition links.
 */
#include "api/api_int.h"
#include "scanner/scanner.h"

#include <stdlib.h>
#include <string.h>

#define ZERO_TIME "0001-01-01T00:00:00.000Z"

/* ---------------------------------------------------------------- request parts */

/* The full repository name "<project>/<repository>" of the path: the segment decoded again
 * (Go's PathUnescape).  HV_E_BAD_REQUEST for a malformed escape. */
static hv_err repository_name(const char **out, hv_req *r, const hv_project *p) {
    const char *s = r->params[1];
    size_t len = strlen(s), k = 0;
    char *d = hv_arena_alloc(r->ctx.arena, len + 1);

    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            d[k++] = s[i];
            continue;
        }
        if (i + 2 >= len || hv_hex_digit(s[i + 1]) < 0 || hv_hex_digit(s[i + 2]) < 0)
            return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                           "invalid URL escape in repository name %s: encode a/b as a%%252Fb", s);
        d[k++] = (char)(hv_hex_digit(s[i + 1]) * 16 + hv_hex_digit(s[i + 2]));
        i += 2;
    }
    d[k] = '\0';
    *out = hv_arena_printf(r->ctx.arena, "%s/%s", p->name, d);
    return HV_OK;
}

/* The project named by the path.  An anonymous caller is asked to log in rather than told
 * whether a project exists. */
static hv_err find_project(hv_project *p, hv_req *r, bool by_name) {
    hv_err rc = by_name ? hv_iam_project_get(p, &r->ctx, r->params[0])
                        : hv_api__project(p, r, r->params[0]);

    if (rc == HV_E_NOT_FOUND && r->who.kind == HV_ID_ANONYMOUS) {
        hv_error_clear(&r->ctx);
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required");
    }
    return rc;
}

/* The repository of the path, once the caller may do `action` on `resource`. */
static hv_err load(hv_target *t, hv_req *r, const char *resource, const char *action) {
    hv_project p;
    const char *name;
    hv_err rc = find_project(&p, r, true);

    if (rc == HV_OK)
        rc = hv_api__can(r, &p, resource, action);
    if (rc == HV_OK)
        rc = repository_name(&name, r, &p);
    return rc ? rc : hv_registry_repository(t, &r->ctx, &p, name);
}

/* Go's strconv.ParseBool of query parameter name; def when absent or empty. */
static hv_err bool_param(bool *out, hv_req *r, const char *name, bool def) {
    static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
    static const char *const no[] = {"0", "f", "F", "FALSE", "false", "False"};
    const char *v = hv_req_query(r, name);

    *out = def;
    if (!v || !*v)
        return HV_OK;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcmp(v, yes[i]) == 0 || strcmp(v, no[i]) == 0) {
            *out = strcmp(v, yes[i]) == 0;
            return HV_OK;
        }
    }
    return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "%s must be true or false, not %s", name, v);
}

static hv_err options(hv_artifact_options *o, hv_req *r) {
    hv_err rc = bool_param(&o->with_tag, r, "with_tag", true);

    if (rc == HV_OK)
        rc = bool_param(&o->with_label, r, "with_label", false);
    if (rc == HV_OK)
        rc = bool_param(&o->with_accessory, r, "with_accessory", false);
    if (rc == HV_OK)
        rc = bool_param(&o->with_immutable_status, r, "with_immutable_status", false);
    if (rc == HV_OK)
        rc = bool_param(&o->with_signature, r, "with_signature", false);
    return rc;
}

/* ---------------------------------------------------------------- rendering */

static json_t *time_json(int64_t ms) {
    return ms > 0 ? hv_api__time(ms) : json_string(ZERO_TIME);
}

/* A stored JSON text, or `fallback` (a new reference) when absent or unreadable. */
static json_t *stored_json(const char *text, json_t *fallback) {
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;

    if (!v)
        return fallback;
    json_decref(fallback);
    return v;
}

static json_t *str_or_empty(const char *s) {
    return json_string(s ? s : "");
}

static json_t *tag_json(const hv_tag_view *v, const hv_artifact_options *o) {
    json_t *t = json_object();

    json_object_set_new(t, "id", json_integer(v->tag.id));
    json_object_set_new(t, "repository_id", json_integer(v->tag.repository_id));
    json_object_set_new(t, "artifact_id", json_integer(v->tag.artifact_id));
    json_object_set_new(t, "name", json_string(v->tag.name));
    json_object_set_new(t, "push_time", time_json(v->tag.push_time));
    json_object_set_new(t, "pull_time", time_json(v->tag.pull_time));
    json_object_set_new(t, "immutable", json_boolean(v->immutable));
    if (o->with_signature) /* Harbor 2.0's Tag.signed */
        json_object_set_new(t, "signed", json_boolean(v->is_signed));
    return t;
}

static json_t *accessory_json(const hv_artifact_info *a, int64_t subject_id) {
    json_t *o = json_object();

    json_object_set_new(o, "id", json_integer(a->a.id));
    json_object_set_new(o, "artifact_id", json_integer(a->a.id));
    json_object_set_new(o, "subject_artifact_id", json_integer(subject_id));
    json_object_set_new(o, "subject_artifact_repo", json_string(a->repository_name));
    json_object_set_new(o, "subject_artifact_digest", str_or_empty(a->a.subject_digest));
    json_object_set_new(o, "size", json_integer(a->kind.total_size));
    json_object_set_new(o, "digest", json_string(a->a.digest));
    json_object_set_new(o, "type", str_or_empty(a->kind.accessory_type));
    json_object_set_new(o, "icon", json_string(hv_api__accessory_icon(a->kind.accessory_type)));
    json_object_set_new(o, "creation_time", time_json(a->push_time));
    return o;
}

static json_t *label_json(const hv_artifact_label *l) {
    json_t *o = json_object();

    json_object_set_new(o, "id", json_integer(l->id));
    json_object_set_new(o, "name", str_or_empty(l->name));
    json_object_set_new(o, "description", str_or_empty(l->description));
    json_object_set_new(o, "color", str_or_empty(l->color));
    json_object_set_new(o, "scope", str_or_empty(l->scope));
    json_object_set_new(o, "project_id", json_integer(l->project_id));
    json_object_set_new(o, "creation_time", time_json(l->creation_time));
    json_object_set_new(o, "update_time", time_json(l->update_time));
    return o;
}

static json_t *reference_json(const hv_artifact_ref *e) {
    json_t *o = json_object();

    json_object_set_new(o, "parent_id", json_integer(e->parent_id));
    json_object_set_new(o, "child_id", json_integer(e->child_id));
    json_object_set_new(o, "child_digest", json_string(e->child_digest));
    if (e->os || e->architecture) {
        json_t *p = json_object();
        json_object_set_new(p, "architecture", str_or_empty(e->architecture));
        json_object_set_new(p, "os", str_or_empty(e->os));
        json_object_set_new(p, "os.version", str_or_empty(e->os_version));
        json_object_set_new(p, "os.features", stored_json(e->os_features_json, json_array()));
        json_object_set_new(p, "variant", str_or_empty(e->variant));
        json_object_set_new(o, "platform", p);
    }
    json_object_set_new(o, "annotations", stored_json(e->annotations_json, json_object()));
    json_object_set_new(o, "urls", stored_json(e->urls_json, json_array()));
    return o;
}

/* Harbor's addition link: the repository part of the name with '/' as %252F (written into
 * room for five bytes a character, so it is never cut short). */
static json_t *addition_link(hv_ctx *ctx, const hv_artifact_info *a, const char *addition) {
    const char *slash = strchr(a->repository_name, '/');
    const char *rel = slash ? slash + 1 : a->repository_name;
    int project_len = slash ? (int)(slash - a->repository_name) : 0;
    char *encoded = hv_arena_alloc(ctx->arena, 5 * strlen(rel) + 1), *e = encoded;

    for (const char *c = rel; *c; c++) {
        if (*c == '/') {
            memcpy(e, "%252F", 5);
            e += 5;
        } else {
            *e++ = *c;
        }
    }
    *e = '\0';
    return json_pack("{s:s, s:b}", "href",
                     hv_arena_printf(ctx->arena,
                                     "/api/v2.0/projects/%.*s/repositories/%s/artifacts/%s"
                                     "/additions/%s",
                                     project_len, a->repository_name, encoded, a->a.digest,
                                     addition),
                     "absolute", 0);
}

static json_t *addition_links(hv_ctx *ctx, const hv_artifact_info *a) {
    json_t *links = json_object();
    const char *type = a->kind.type ? a->kind.type : "UNKNOWN";
    bool index = hv_oci_media_type_is_index(a->a.media_type);

    if (!index && (strcmp(type, "IMAGE") == 0 || strcmp(type, "WASM") == 0))
        json_object_set_new(links, "build_history", addition_link(ctx, a, "build_history"));
    if (strcmp(type, "IMAGE") == 0)
        json_object_set_new(links, "vulnerabilities", addition_link(ctx, a, "vulnerabilities"));
    if (!index && strcmp(type, "CHART") == 0) {
        json_object_set_new(links, "values.yaml", addition_link(ctx, a, "values.yaml"));
        json_object_set_new(links, "readme.md", addition_link(ctx, a, "readme.md"));
        json_object_set_new(links, "dependencies", addition_link(ctx, a, "dependencies"));
    }
    return links;
}

static json_t *artifact_json(hv_ctx *ctx, const hv_artifact_view *v, const hv_artifact_options *o) {
    const hv_artifact_info *a = &v->info;
    json_t *j = json_object(), *list;

    json_object_set_new(j, "id", json_integer(a->a.id));
    json_object_set_new(j, "type", json_string(a->kind.type ? a->kind.type : "UNKNOWN"));
    json_object_set_new(
        j, "media_type",
        json_string(a->kind.config_media_type ? a->kind.config_media_type : a->a.media_type));
    json_object_set_new(j, "manifest_media_type", json_string(a->a.media_type));
    json_object_set_new(j, "artifact_type", str_or_empty(a->a.artifact_type));
    json_object_set_new(j, "project_id", json_integer(a->project_id));
    json_object_set_new(j, "repository_id", json_integer(a->a.repository_id));
    json_object_set_new(j, "repository_name", json_string(a->repository_name));
    json_object_set_new(j, "digest", json_string(a->a.digest));
    json_object_set_new(j, "size", json_integer(a->kind.total_size));
    json_object_set_new(j, "icon", json_string(hv_api__artifact_icon(a->kind.type)));
    json_object_set_new(j, "push_time", time_json(a->push_time));
    json_object_set_new(j, "pull_time", time_json(a->pull_time));
    json_object_set_new(j, "extra_attrs", stored_json(a->kind.extra_attrs_json, json_object()));
    json_object_set_new(j, "annotations", stored_json(a->a.annotations_json, json_object()));
    list = json_array();
    for (size_t i = 0; i < v->n_references; i++)
        json_array_append_new(list, reference_json(&v->references[i]));
    json_object_set_new(j, "references", list);
    list = json_array();
    for (size_t i = 0; i < v->n_tags; i++)
        json_array_append_new(list, tag_json(&v->tags[i], o));
    json_object_set_new(j, "tags", list);
    json_object_set_new(j, "addition_links", addition_links(ctx, a));
    if (o->with_label) { /* Harbor leaves the key out unless asked */
        list = json_array();
        for (size_t i = 0; i < v->n_labels; i++)
            json_array_append_new(list, label_json(&v->labels[i]));
        json_object_set_new(j, "labels", list);
    }
    if (o->with_accessory) {
        list = json_array();
        for (size_t i = 0; i < v->n_accessories; i++)
            json_array_append_new(list, accessory_json(&v->accessories[i], a->a.id));
        json_object_set_new(j, "accessories", list);
    }
    return j;
}

/* An artifact as a response shows it, with Harbor's scan_overview when the request asks
 * for it (with_scan_overview; the report types of X-Accept-Vulnerabilities). */
static hv_err artifact_out(json_t **out, hv_req *r, const hv_artifact_view *v,
                           const hv_artifact_options *o) {
    json_t *overview;
    bool with_scan;
    hv_err rc = bool_param(&with_scan, r, "with_scan_overview", false);

    if (rc == HV_OK && with_scan)
        rc = hv_scanner_overview(&overview, &r->ctx, v->info.project_id, v->info.a.digest,
                                 hv_req_header(r, "X-Accept-Vulnerabilities"));
    if (rc)
        return rc;
    *out = artifact_json(&r->ctx, v, o);
    if (with_scan)
        json_object_set_new(*out, "scan_overview", overview);
    return HV_OK;
}

static hv_err artifact_page(hv_req *r, const hv_list *list, int64_t total,
                            const hv_artifact_view *v, size_t n, const hv_artifact_options *o) {
    json_t *items = json_array(), *one;
    hv_err rc = HV_OK;

    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        rc = artifact_out(&one, r, &v[i], o);
        if (rc == HV_OK)
            json_array_append_new(items, one);
    }
    if (rc) {
        json_decref(items);
        return rc;
    }
    return hv_api__page(r, list, total, items);
}

/* ---------------------------------------------------------------- artifacts */

static hv_err list_artifacts(hv_req *r) {
    hv_target t;
    hv_list list;
    hv_artifact_options o;
    hv_artifact_view *v;
    size_t n;
    int64_t total;
    hv_err rc = load(&t, r, "artifact", "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = options(&o, r);
    if (rc)
        return rc;
    hv_artifact_scope scope = {.project_id = t.project.id, .repository_id = t.repo.id};
    rc = hv_registry_artifact_list(&v, &n, &total, &r->ctx, &t.project, &scope, &list, &o);
    return rc ? rc : artifact_page(r, &list, total, v, n, &o);
}

static hv_err list_project_artifacts(hv_req *r) {
    hv_project p;
    hv_list list;
    hv_artifact_options o;
    hv_artifact_view *v;
    size_t n;
    int64_t total;
    bool latest;
    hv_err rc = find_project(&p, r, false);

    if (rc == HV_OK)
        rc = hv_api__can(r, &p, "artifact", "list");
    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = options(&o, r);
    if (rc == HV_OK)
        rc = bool_param(&latest, r, "latest_in_repository", false);
    if (rc)
        return rc;
    hv_artifact_scope scope = {.project_id = p.id, .latest_in_repository = latest};
    rc = hv_registry_artifact_list(&v, &n, &total, &r->ctx, &p, &scope, &list, &o);
    return rc ? rc : artifact_page(r, &list, total, v, n, &o);
}

static hv_err get_artifact(hv_req *r) {
    hv_target t;
    hv_artifact_options o;
    hv_artifact_view v;
    hv_err rc = load(&t, r, "artifact", "read");

    if (rc == HV_OK)
        rc = options(&o, r);
    json_t *j;

    if (rc == HV_OK)
        rc = hv_registry_artifact_get(&v, &r->ctx, &t, r->params[2], &o);
    if (rc == HV_OK)
        rc = artifact_out(&j, r, &v, &o);
    return rc ? rc : hv_api__json(r, 200, j);
}

static hv_err delete_artifact(hv_req *r) {
    hv_target t;
    hv_err rc = load(&t, r, "artifact", "delete");

    if (rc == HV_OK)
        rc = hv_registry_artifact_delete(&r->ctx, &t, r->params[2]);
    return rc ? rc : hv_api__ok(r);
}

/* POST …/artifacts?from=<project>/<repository>:<tag>|@<digest>: artifact create on the
 * target (which may not exist yet), artifact read on the source, as Harbor checks. */
static hv_err copy_artifact(hv_req *r) {
    hv_project p;
    hv_target t;
    const char *name, *from = hv_req_query(r, "from"), *reference;
    hv_err rc = find_project(&p, r, true);

    if (rc == HV_OK)
        rc = repository_name(&name, r, &p);
    if (rc == HV_OK)
        rc = hv_registry_target_as(&t, &r->ctx, &r->who, name, "artifact", "create");
    if (rc)
        return rc;
    if (!from || !*from)
        return HV_FAIL(&r->ctx, HV_E_BAD_REQUEST,
                       "the query parameter from is required: <project>/<repository>:<tag> or "
                       "<project>/<repository>@<digest>");
    rc = hv_registry_artifact_copy(&reference, &r->ctx, &r->who, &t, from);
    if (rc)
        return rc;
    return hv_api__created(r, hv_arena_printf(r->ctx.arena, "%s/%s", r->path, reference));
}

/* ---------------------------------------------------------------- tags */

static hv_err list_tags(hv_req *r) {
    hv_target t;
    hv_list list;
    hv_artifact_options o = {0};
    hv_tag_view *tags;
    size_t n;
    int64_t total;
    json_t *items;
    hv_err rc = load(&t, r, "tag", "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = bool_param(&o.with_immutable_status, r, "with_immutable_status", false);
    if (rc == HV_OK)
        rc = bool_param(&o.with_signature, r, "with_signature", false);
    if (rc == HV_OK)
        rc = hv_registry_tag_list(&tags, &n, &total, &r->ctx, &t, r->params[2], &list, &o);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, tag_json(&tags[i], &o));
    return hv_api__page(r, &list, total, items);
}

static hv_err create_tag(hv_req *r) {
    hv_target t;
    json_t *body = NULL;
    const char *name = NULL;
    hv_err rc = load(&t, r, "tag", "create");

    if (rc == HV_OK)
        rc = hv_api__json_body(&body, r);
    if (rc == HV_OK)
        rc = hv_api__str(&name, r, body, "name");
    json_decref(body);
    if (rc == HV_OK && !name)
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "name is required: {\"name\": \"v1\"}");
    if (rc == HV_OK)
        rc = hv_registry_tag_create(&r->ctx, &t, r->params[2], name);
    if (rc)
        return rc;
    /* as Harbor: no Location, since there is no API to get a single tag */
    hv_resp_empty(r, 201);
    return HV_OK;
}

static hv_err delete_tag(hv_req *r) {
    hv_target t;
    hv_err rc = load(&t, r, "tag", "delete");

    if (rc == HV_OK)
        rc = hv_registry_tag_delete(&r->ctx, &t, r->params[2], r->params[3]);
    return rc ? rc : hv_api__ok(r);
}

/* ---------------------------------------------------------------- accessories, additions */

static hv_err list_accessories(hv_req *r) {
    hv_target t;
    hv_list list;
    hv_artifact_info *accs;
    size_t n;
    int64_t total, subject_id;
    json_t *items;
    hv_err rc = load(&t, r, "accessory", "list");

    if (rc == HV_OK)
        rc = hv_api__list_params(&list, r);
    if (rc == HV_OK)
        rc = hv_registry_accessory_list(&accs, &n, &total, &subject_id, &r->ctx, &t, r->params[2],
                                        &list);
    if (rc)
        return rc;
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, accessory_json(&accs[i], subject_id));
    return hv_api__page(r, &list, total, items);
}

static hv_err get_addition(hv_req *r) {
    hv_target t;
    const char *body, *content_type;
    size_t len;
    hv_err rc = load(&t, r, "artifact-addition", "read");

    if (rc == HV_OK)
        rc = hv_registry_artifact_addition(&body, &len, &content_type, &r->ctx, API(r)->reg, &t,
                                           r->params[2], r->params[3]);
    if (rc)
        return rc;
    hv_resp_body(r, 200, content_type, body, len);
    return HV_OK;
}

/* The project's scanner's finished report, keyed by the accepted report types; an empty map
 * when there is none, as in Harbor. */
static hv_err get_vulnerabilities(hv_req *r) {
    hv_target t;
    hv_artifact_view v;
    hv_artifact_options with_tag = {.with_tag = true};
    json_t *j;
    hv_err rc = load(&t, r, "artifact-addition", "read");

    if (rc == HV_OK)
        rc = hv_registry_artifact_get(&v, &r->ctx, &t, r->params[2], &with_tag);
    if (rc == HV_OK)
        rc = hv_scanner_vulnerabilities(&j, &r->ctx, t.project.id, t.name, v.info.a.digest,
                                        v.info.a.media_type, v.n_tags ? v.tags[0].tag.name : NULL,
                                        hv_req_header(r, "X-Accept-Vulnerabilities"));
    return rc ? rc : hv_api__json(r, 200, j);
}

/* POST …/scan {"scan_type": "vulnerability"} (the body is optional): 202, the scan runs as a
 * job. */
static hv_err scan_artifact(hv_req *r) {
    hv_target t;
    hv_artifact_view v;
    hv_artifact_options none = {0};
    json_t *body = NULL, *type;
    const char *scan_type = NULL;
    hv_err rc = load(&t, r, "scan", "create");

    if (rc == HV_OK && r->body.len)
        rc = hv_api__json_body(&body, r);
    type = json_object_get(body, "scan_type");
    if (rc == HV_OK && type && !json_is_string(type))
        rc = HV_FAIL(&r->ctx, HV_E_BAD_REQUEST, "scan_type must be a string");
    if (rc == HV_OK && type)
        scan_type = hv_arena_strdup(r->ctx.arena, json_string_value(type));
    if (rc == HV_OK)
        rc = hv_registry_artifact_get(&v, &r->ctx, &t, r->params[2], &none);
    if (rc == HV_OK)
        rc = hv_scanner_scan(&r->ctx, t.project.id, t.name, v.info.a.digest, scan_type);
    if (rc == HV_OK)
        hv_resp_empty(r, 202);
    json_decref(body);
    return rc;
}

HV_API_HANDLER(list_handler, list_artifacts);
HV_API_HANDLER(copy_handler, copy_artifact);
HV_API_HANDLER(get_handler, get_artifact);
HV_API_HANDLER(delete_handler, delete_artifact);
HV_API_HANDLER(list_tags_handler, list_tags);
HV_API_HANDLER(create_tag_handler, create_tag);
HV_API_HANDLER(delete_tag_handler, delete_tag);
HV_API_HANDLER(accessories_handler, list_accessories);
HV_API_HANDLER(vulnerabilities_handler, get_vulnerabilities);
HV_API_HANDLER(scan_handler, scan_artifact);
HV_API_HANDLER(addition_handler, get_addition);
HV_API_HANDLER(project_artifacts_handler, list_project_artifacts);

#define ARTIFACTS "/projects/{project_name}/repositories/{repository_name}/artifacts"

const hv_api__route hv_api__artifact_routes[] = {
    {"GET", ARTIFACTS, &list_handler},
    {"POST", ARTIFACTS, &copy_handler},
    {"GET", ARTIFACTS "/{reference}", &get_handler},
    {"DELETE", ARTIFACTS "/{reference}", &delete_handler},
    {"GET", ARTIFACTS "/{reference}/tags", &list_tags_handler},
    {"POST", ARTIFACTS "/{reference}/tags", &create_tag_handler},
    {"DELETE", ARTIFACTS "/{reference}/tags/{tag_name}", &delete_tag_handler},
    {"GET", ARTIFACTS "/{reference}/accessories", &accessories_handler},
    {"GET", ARTIFACTS "/{reference}/additions/vulnerabilities", &vulnerabilities_handler},
    {"POST", ARTIFACTS "/{reference}/scan", &scan_handler},
    {"GET", ARTIFACTS "/{reference}/additions/{addition}", &addition_handler},
    {"GET", "/projects/{project_name_or_id}/artifacts", &project_artifacts_handler},
    {NULL, NULL, NULL},
};
