/*
 * Harbor's artifact model as services: artifacts of a repository or project with their
 * tags, index entries, labels and accessories; deletion; copy between repositories; tags;
 * accessories; and the pull statistics.
 *
 * Every change is one transaction through the same paths as /v2 (hv_registry__artifact_remove,
 * hv_registry__tag_remove, hv_registry__link_blob), so that events, quota and immutability
 * hold whichever API makes the change.
 *
 * Pull statistics: pulls are recorded as volatile artifact.pulled events, delivered on the
 * dispatcher thread in bursts.  The subscriber sums them per (repository, digest, tag) and
 * writes a burst in one short transaction when the dispatcher has delivered everything
 * pending (hv_events_on_drained), or when MAX_PENDING entries accumulate.
 */
#include "db/db.h"
#include "events/events.h"
#include "oci/oci.h"
#include "registry/registry_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- lookups */

hv_err hv_registry_repository(hv_target *out, hv_ctx *ctx, const hv_project *p, const char *name) {
    size_t plen = strlen(p->name);
    hv_err rc;

    memset(out, 0, sizeof(*out));
    if (strncmp(name, p->name, plen) != 0 || name[plen] != '/')
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "repository %s not found", name);
    rc = hv_model_repository_get(&out->repo, ctx, name);
    if (rc == HV_E_NAME_UNKNOWN) {
        hv_error_clear(ctx);
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "repository %s not found", name);
    }
    if (rc)
        return rc;
    out->name = out->repo.name;
    out->project = *p;
    return HV_OK;
}

/* Checks the shape of a reference: a digest Haven stores, or a tag. */
static hv_err check_reference(hv_ctx *ctx, const char *reference) {
    if (hv_oci_reference_is_digest(reference))
        return hv_oci_digest_check(ctx, reference, strlen(reference));
    if (!hv_oci_tag_valid(reference, strlen(reference)))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "invalid reference %s: a digest or a tag ([a-zA-Z0-9_][a-zA-Z0-9._-]*)",
                       reference);
    return HV_OK;
}

/* The artifact a tag or digest names in t's repository. */
static hv_err lookup_info(hv_artifact_info *out, hv_ctx *ctx, const hv_target *t,
                          const char *reference) {
    bool digest = hv_oci_reference_is_digest(reference);
    hv_err rc = check_reference(ctx, reference);

    if (rc)
        return rc;
    if (!t->repo.id)
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "repository %s not found", t->name);
    rc = digest ? hv_model_artifact_info(out, ctx, t->repo.id, reference)
                : hv_model_artifact_info_by_tag(out, ctx, t->repo.id, reference);
    if (rc == HV_E_MANIFEST_UNKNOWN) {
        hv_error_clear(ctx);
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "artifact %s%s%s not found", t->name,
                       digest ? "@" : ":", reference);
    }
    return rc;
}

/* Refuses (HV_E_POLICY, Harbor's message) to move or delete an immutable tag. */
static hv_err check_mutable(hv_ctx *ctx, const hv_target *t, const char *tag) {
    bool immutable = false;
    hv_err rc = hv_registry__immutable(&immutable, ctx, t, tag);

    if (rc == HV_OK && immutable)
        rc = HV_FAIL(ctx, HV_E_POLICY,
                     "Failed to process request due to '%s:%s' configured as immutable.", t->name,
                     tag);
    return rc;
}

/* ---------------------------------------------------------------- views */

static hv_err tag_views(hv_tag_view **out, hv_ctx *ctx, const hv_target *t, const hv_tag_info *tags,
                        size_t n, bool is_signed, const hv_artifact_options *o) {
    hv_tag_view *v = hv_arena_alloc(ctx->arena, (n + 1) * sizeof(*v));
    hv_err rc = HV_OK;

    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        v[i].tag = tags[i];
        v[i].is_signed = is_signed;
        if (o->with_immutable_status)
            rc = hv_registry__immutable(&v[i].immutable, ctx, t, tags[i].name);
    }
    *out = v;
    return rc;
}

/* Fills what the options ask for into a view of info; t is info's repository. */
static hv_err fill_view(hv_artifact_view *v, hv_ctx *ctx, const hv_target *t,
                        const hv_artifact_info *info, const hv_artifact_options *o) {
    hv_list all = {0};
    hv_tag_info *tags;
    size_t n_tags;
    int64_t total;
    hv_err rc = HV_OK;

    memset(v, 0, sizeof(*v));
    v->info = *info;
    if (o->with_signature)
        rc = hv_model_artifact_signed(&v->is_signed, ctx, info->a.repository_id, info->a.digest);
    if (rc == HV_OK && o->with_tag) {
        rc = hv_model_artifact_tag_infos(&tags, &n_tags, ctx, info->a.id);
        if (rc == HV_OK)
            rc = tag_views(&v->tags, ctx, t, tags, n_tags, v->is_signed, o);
        v->n_tags = rc == HV_OK ? n_tags : 0;
    }
    if (rc == HV_OK && hv_oci_media_type_is_index(info->a.media_type))
        rc = hv_model_artifact_references(&v->references, &v->n_references, ctx, &info->a);
    if (rc == HV_OK && o->with_label)
        rc = hv_model_artifact_labels(&v->labels, &v->n_labels, ctx, info->a.id);
    if (rc == HV_OK && o->with_accessory)
        rc = hv_model_accessory_list(&v->accessories, &v->n_accessories, &total, ctx,
                                     info->a.repository_id, info->a.digest, &all);
    return rc;
}

hv_err hv_registry_artifact_list(hv_artifact_view **out, size_t *n, int64_t *total, hv_ctx *ctx,
                                 const hv_project *p, const hv_artifact_scope *scope,
                                 const hv_list *list, const hv_artifact_options *o) {
    hv_artifact_info *infos;
    hv_artifact_view *v;
    size_t count;
    hv_err rc = hv_model_artifact_list(&infos, &count, total, ctx, scope, list);

    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    v = hv_arena_alloc(ctx->arena, (count + 1) * sizeof(*v));
    for (size_t i = 0; rc == HV_OK && i < count; i++) {
        hv_target t = {.name = infos[i].repository_name, .project = *p};
        t.repo.id = infos[i].a.repository_id;
        t.repo.project_id = p->id;
        t.repo.name = infos[i].repository_name;
        rc = fill_view(&v[i], ctx, &t, &infos[i], o);
    }
    if (rc)
        return rc;
    *out = v;
    *n = count;
    return HV_OK;
}

hv_err hv_registry_artifact_get(hv_artifact_view *out, hv_ctx *ctx, const hv_target *t,
                                const char *reference, const hv_artifact_options *o) {
    hv_artifact_info info;
    hv_err rc = lookup_info(&info, ctx, t, reference);

    return rc ? rc : fill_view(out, ctx, t, &info, o);
}

/* ---------------------------------------------------------------- deletion */

struct delete_args {
    const hv_target *t;
    const char *reference;
};

static hv_err delete_in(hv_ctx *ctx, void *payload) {
    struct delete_args *d = payload;
    hv_artifact_info info;
    hv_err rc = lookup_info(&info, ctx, d->t, d->reference);

    return rc ? rc : hv_registry__artifact_remove(ctx, d->t, &info.a);
}

hv_err hv_registry_artifact_delete(hv_ctx *ctx, const hv_target *t, const char *reference) {
    struct delete_args d = {t, reference};

    return hv_events_transaction(ctx, delete_in, &d);
}

/* ---------------------------------------------------------------- copy */

/* The artifacts being copied, innermost first: cosign signatures found by tag scheme may
 * name each other as subjects. */
typedef struct copying {
    const char *digest;
    const struct copying *outer;
} copying;

struct copy_args {
    const hv_target *src;
    hv_target *dst;
    const char *reference;
};

static bool being_copied(const copying *chain, const char *digest) {
    for (; chain; chain = chain->outer) {
        if (strcmp(chain->digest, digest) == 0)
            return true;
    }
    return false;
}

/* Links a blob into dst's project, charging the quota when it is new there. */
static hv_err link_into(hv_ctx *ctx, const hv_target *dst, const char *digest) {
    int64_t size;
    hv_err rc = hv_model_blob_size(&size, ctx, digest);

    return rc ? rc : hv_registry__link_blob(ctx, dst->project.id, digest, size);
}

/* Gives dst the tags src has, moving those that point elsewhere (unless immutable). */
static hv_err copy_tags(hv_ctx *ctx, const hv_target *dst, const hv_artifact_info *src,
                        int64_t dst_id, const char *digest) {
    const char **tags;
    size_t n;
    hv_err rc = hv_model_artifact_tags(&tags, &n, ctx, src->a.id);

    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        hv_tag_info current;
        int64_t previous;

        rc = hv_model_tag_get(&current, ctx, dst->repo.id, tags[i]);
        if (rc == HV_OK && current.artifact_id == dst_id)
            continue;
        if (rc == HV_OK)
            rc = check_mutable(ctx, dst, tags[i]);
        else if (rc == HV_E_NOT_FOUND) {
            hv_error_clear(ctx);
            rc = HV_OK;
        }
        if (rc == HV_OK)
            rc = hv_model_tag_put(&previous, ctx, dst->repo.id, tags[i], dst_id);
        if (rc == HV_OK)
            rc = hv_events_publish_fields(ctx, "tag.created", "repository", dst->name, "tag",
                                          tags[i], "digest", digest, NULL);
    }
    return rc;
}

/* Copies src (of a->src's repository) into a->dst: children and accessories first, then its
 * blobs, its row and its tags.  A child already in dst is left as it is. */
static hv_err copy_deep(hv_ctx *ctx, struct copy_args *a, const hv_artifact_info *src, bool root,
                        const copying *outer) {
    copying self = {src->a.digest, outer};
    hv_artifact_info existing;
    hv_artifact *accessories;
    hv_artifact_ref *refs = NULL;
    size_t n_refs = 0, n_accessories = 0, n_blobs;
    const char **blobs;
    int64_t *sizes, id = 0;
    bool created = false;
    hv_err rc = hv_model_artifact_info(&existing, ctx, a->dst->repo.id, src->a.digest);

    if (rc == HV_OK && !root)
        return HV_OK;
    if (rc == HV_OK)
        return copy_tags(ctx, a->dst, src, existing.a.id, src->a.digest);
    if (rc != HV_E_MANIFEST_UNKNOWN)
        return rc;
    hv_error_clear(ctx);
    rc = HV_OK;
    if (hv_oci_media_type_is_index(src->a.media_type))
        rc = hv_model_artifact_references(&refs, &n_refs, ctx, &src->a);
    for (size_t i = 0; rc == HV_OK && i < n_refs; i++) {
        hv_artifact_info child;
        if (being_copied(&self, refs[i].child_digest))
            continue;
        rc = hv_model_artifact_info(&child, ctx, a->src->repo.id, refs[i].child_digest);
        if (rc == HV_OK)
            rc = copy_deep(ctx, a, &child, false, &self);
    }
    if (rc == HV_OK)
        rc = hv_model_referrers(&accessories, &n_accessories, ctx, a->src->repo.id, src->a.digest,
                                NULL);
    for (size_t i = 0; rc == HV_OK && i < n_accessories; i++) {
        hv_artifact_info acc;
        if (being_copied(&self, accessories[i].digest))
            continue;
        rc = hv_model_artifact_info(&acc, ctx, a->src->repo.id, accessories[i].digest);
        if (rc == HV_OK)
            rc = copy_deep(ctx, a, &acc, false, &self);
    }
    if (rc == HV_OK)
        rc = hv_model_artifact_blobs(&blobs, &sizes, &n_blobs, ctx, src->a.id);
    for (size_t i = 0; rc == HV_OK && i < n_blobs; i++)
        rc = link_into(ctx, a->dst, blobs[i]);
    if (rc == HV_OK)
        rc = link_into(ctx, a->dst, src->a.digest);
    if (rc == HV_OK)
        rc = hv_model_artifact_copy(&id, &created, ctx, src, a->dst->repo.id);
    if (rc == HV_OK && created)
        rc = hv_events_publish_fields(ctx, "artifact.pushed", "repository", a->dst->name, "digest",
                                      src->a.digest, "media_type", src->a.media_type, "subject",
                                      src->a.subject_digest, NULL);
    if (rc == HV_OK)
        rc = copy_tags(ctx, a->dst, src, id, src->a.digest);
    return rc;
}

static hv_err copy_in(hv_ctx *ctx, void *payload) {
    struct copy_args *a = payload;
    hv_artifact_info src;
    hv_err rc = lookup_info(&src, ctx, a->src, a->reference);

    if (rc)
        return rc;
    if (src.kind.accessory_type)
        return HV_FAIL(ctx, HV_E_DENIED,
                       "the operation isn't supported for an artifact accessory: copy its "
                       "subject, which brings it along");
    rc = hv_model_repository_ensure(&a->dst->repo, ctx, a->dst->project.id, a->dst->name);
    return rc ? rc : copy_deep(ctx, a, &src, true, NULL);
}

/* Splits "<repository>:<tag>" or "<repository>@<digest>". */
static hv_err parse_from(const char **repository, const char **reference, hv_ctx *ctx,
                         const char *from) {
    const char *at = strchr(from, '@'), *slash = strrchr(from, '/');
    const char *colon = strrchr(from, ':');
    const char *sep = at ? at : (colon && (!slash || colon > slash) ? colon : NULL);

    if (!sep || sep == from || !sep[1])
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "invalid input: %s (from is <project>/<repository>:<tag> or "
                       "<project>/<repository>@<digest>)",
                       from);
    *repository = hv_arena_strndup(ctx->arena, from, (size_t)(sep - from));
    *reference = sep + 1;
    if (at && !hv_oci_reference_is_digest(*reference))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "invalid input: %s (a digest follows @)", from);
    return check_reference(ctx, *reference);
}

hv_err hv_registry_artifact_copy(const char **reference, hv_ctx *ctx, const hv_identity *who,
                                 hv_target *dst, const char *from) {
    hv_target src;
    struct copy_args a = {.src = &src, .dst = dst};
    const char *repository = NULL;
    hv_err rc = parse_from(&repository, &a.reference, ctx, from);

    if (rc)
        return rc;
    rc = hv_registry_target_as(&src, ctx, who, repository, "artifact", "read");
    if (rc == HV_E_NAME_UNKNOWN || rc == HV_E_NAME_INVALID) {
        hv_error_clear(ctx);
        return HV_FAIL(ctx, rc == HV_E_NAME_UNKNOWN ? HV_E_NOT_FOUND : HV_E_BAD_REQUEST,
                       "repository %s %s", repository,
                       rc == HV_E_NAME_UNKNOWN ? "not found" : "is not a valid name");
    }
    if (rc)
        return rc;
    *reference = a.reference;
    return hv_events_transaction(ctx, copy_in, &a);
}

/* ---------------------------------------------------------------- tags and accessories */

hv_err hv_registry_tag_list(hv_tag_view **out, size_t *n, int64_t *total, hv_ctx *ctx,
                            const hv_target *t, const char *reference, const hv_list *list,
                            const hv_artifact_options *o) {
    hv_artifact_info info;
    hv_tag_info *tags;
    size_t count = 0;
    bool is_signed = false;
    hv_err rc = lookup_info(&info, ctx, t, reference);

    *out = NULL;
    *n = 0;
    if (rc == HV_OK)
        rc = hv_model_tag_list(&tags, &count, total, ctx, info.a.id, list);
    if (rc == HV_OK && o->with_signature)
        rc = hv_model_artifact_signed(&is_signed, ctx, t->repo.id, info.a.digest);
    if (rc == HV_OK)
        rc = tag_views(out, ctx, t, tags, count, is_signed, o);
    if (rc == HV_OK)
        *n = count;
    return rc;
}

struct tag_args {
    const hv_target *t;
    const char *reference;
    const char *name;
};

static hv_err tag_create_in(hv_ctx *ctx, void *payload) {
    struct tag_args *a = payload;
    hv_artifact_info info;
    hv_tag_info existing;
    int64_t id;
    hv_err rc = lookup_info(&info, ctx, a->t, a->reference);

    if (rc)
        return rc;
    rc = hv_model_tag_get(&existing, ctx, a->t->repo.id, a->name);
    if (rc == HV_OK) {
        rc = check_mutable(ctx, a->t, a->name);
        return rc ? rc
                  : HV_FAIL(ctx, HV_E_CONFLICT,
                            "the tag %s already exists in repository %s: delete it first, or "
                            "choose another name",
                            a->name, a->t->name);
    }
    if (rc != HV_E_NOT_FOUND)
        return rc;
    hv_error_clear(ctx);
    rc = hv_model_tag_create(&id, ctx, a->t->repo.id, info.a.id, a->name);
    if (rc == HV_OK)
        rc = hv_events_publish_fields(ctx, "tag.created", "repository", a->t->name, "tag", a->name,
                                      "digest", info.a.digest, NULL);
    return rc;
}

hv_err hv_registry_tag_create(hv_ctx *ctx, const hv_target *t, const char *reference,
                              const char *name) {
    struct tag_args a = {t, reference, name};

    if (!name || !hv_oci_tag_valid(name, strlen(name)))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                       "invalid tag name %s: tags match [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}",
                       name ? name : "(none)");
    return hv_events_transaction(ctx, tag_create_in, &a);
}

static hv_err tag_delete_in(hv_ctx *ctx, void *payload) {
    struct tag_args *a = payload;
    hv_artifact_info info;
    hv_tag_info tag;
    hv_err rc = lookup_info(&info, ctx, a->t, a->reference);

    if (rc)
        return rc;
    rc = hv_model_tag_get(&tag, ctx, a->t->repo.id, a->name);
    if (rc == HV_E_NOT_FOUND || (rc == HV_OK && tag.artifact_id != info.a.id)) {
        hv_error_clear(ctx);
        return HV_FAIL(ctx, HV_E_NOT_FOUND, "tag %s attached to artifact %lld not found", a->name,
                       (long long)info.a.id);
    }
    return rc ? rc : hv_registry__tag_remove(ctx, a->t, a->name, info.a.digest);
}

hv_err hv_registry_tag_delete(hv_ctx *ctx, const hv_target *t, const char *reference,
                              const char *name) {
    struct tag_args a = {t, reference, name};

    return hv_events_transaction(ctx, tag_delete_in, &a);
}

hv_err hv_registry_accessory_list(hv_artifact_info **out, size_t *n, int64_t *total,
                                  int64_t *subject_id, hv_ctx *ctx, const hv_target *t,
                                  const char *reference, const hv_list *list) {
    hv_artifact_info info;
    hv_err rc = lookup_info(&info, ctx, t, reference);

    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    *subject_id = info.a.id;
    return hv_model_accessory_list(out, n, total, ctx, t->repo.id, info.a.digest, list);
}

/* ---------------------------------------------------------------- pull statistics */

#define MAX_PENDING 1024

/* Pulls summed per (repository, digest, tag) since the last write.  Only the dispatcher
 * thread touches this. */
static struct pull {
    char *repository, *digest, *tag; /* tag NULL for a pull by digest */
    int64_t last_ms;
    int64_t count;
} pending[MAX_PENDING];
static size_t n_pending;

static bool same(const char *a, const char *b) {
    return a == b || (a && b && strcmp(a, b) == 0);
}

static hv_err write_pending(hv_ctx *ctx, void *payload) {
    hv_err rc = HV_OK;

    (void)payload;
    for (size_t i = 0; rc == HV_OK && i < n_pending; i++)
        rc = hv_model_artifact_pulled(ctx, pending[i].repository, pending[i].digest, pending[i].tag,
                                      pending[i].last_ms, pending[i].count);
    return rc;
}

/* Runs on the dispatcher thread, inside its transaction. */
static void flush(hv_ctx *ctx) {
    if (n_pending > 0 && write_pending(ctx, NULL) != HV_OK) {
        hv_log(HV_LOG_WARN, "pull statistics: %zu pulls not recorded: %s", n_pending,
               ctx->err.message);
        hv_error_clear(ctx);
    }
    for (size_t i = 0; i < n_pending; i++) {
        free(pending[i].repository);
        free(pending[i].digest);
        free(pending[i].tag);
    }
    n_pending = 0;
}

static void on_pulled(hv_ctx *ctx, const char *type, const char *payload, void *arg) {
    json_t *o;
    const char *repository, *digest, *tag;
    int64_t ms;
    size_t i;

    (void)arg;
    o = json_loads(payload, 0, NULL);
    repository = json_string_value(json_object_get(o, "repository"));
    digest = json_string_value(json_object_get(o, "digest"));
    tag = json_string_value(json_object_get(o, "tag"));
    ms = json_is_integer(json_object_get(o, "occur_at"))
             ? (int64_t)json_integer_value(json_object_get(o, "occur_at"))
             : hv_now_ms();
    if (!repository || !digest) {
        hv_log(HV_LOG_WARN, "pull statistics: ignoring %s without repository and digest", type);
        json_decref(o);
        return;
    }
    for (i = 0; i < n_pending; i++) {
        if (same(pending[i].repository, repository) && same(pending[i].digest, digest) &&
            same(pending[i].tag, tag))
            break;
    }
    if (i == n_pending) {
        if (n_pending == MAX_PENDING)
            flush(ctx);
        i = n_pending++;
        pending[i].repository = hv_strdup(repository);
        pending[i].digest = hv_strdup(digest);
        pending[i].tag = tag ? hv_strdup(tag) : NULL;
        pending[i].last_ms = 0;
        pending[i].count = 0;
    }
    pending[i].count++;
    if (ms > pending[i].last_ms)
        pending[i].last_ms = ms;
    json_decref(o);
}

static void on_drained(hv_ctx *ctx, void *arg) {
    (void)arg;
    flush(ctx);
}

void hv_registry_pull_stats_init(void) {
    hv_events_subscribe("artifact.pulled", on_pulled, NULL);
    hv_events_on_drained(on_drained, NULL);
}
