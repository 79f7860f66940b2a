/*
 * GET /search?q= (projects and repositories whose names contain q) and GET /statistics
 * (project and repository counts, and for system administrators the storage used).
 *
 * Both cover only what the caller may see (hv_api__visibility): search answers anonymous
 * callers with public projects and their repositories; statistics, as in Harbor, wants a
 * logged-in caller and counts public projects plus the private ones the caller belongs to.
 * Search is not paged in Harbor's API: each half answers at most SEARCH_MAX entries, by name,
 * so a one-letter query on a large registry stays a small answer.
 */
#include "api/api_int.h"

#include <string.h>

#define SEARCH_MAX 100

/* ---------------------------------------------------------------- /search */

static void fuzzy_name(hv_list *list, hv_req *r, const char *q) {
    hv_query_term *t;

    memset(list, 0, sizeof(*list));
    list->page = 1;
    list->page_size = SEARCH_MAX;
    list->sort = "name";
    if (!*q)
        return;
    t = hv_arena_alloc(r->ctx.arena, sizeof(*t));
    t->key = "name";
    t->op = HV_Q_FUZZY;
    t->values = hv_arena_alloc(r->ctx.arena, sizeof(*t->values));
    t->values[0] = q;
    t->n_values = 1;
    list->terms = t;
    list->n_terms = 1;
}

/* The projects half: those visible, as GET /projects lists them for this caller. */
static hv_err search_projects(json_t *out, hv_req *r, const char *q) {
    const hv_iam_project_filter none = {0};
    hv_project *projects;
    hv_list list;
    size_t n;
    int64_t total;
    hv_err rc;

    fuzzy_name(&list, r, q);
    rc = hv_iam_project_list(&projects, &n, &total, &r->ctx, &r->who, &list, &none);
    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        json_t *o;
        rc = hv_api__project_json(&o, r, &projects[i], true);
        if (rc == HV_OK)
            json_array_append_new(out, o);
    }
    return rc;
}

static hv_err search_repositories(json_t *out, hv_req *r, const char *q, const hv_visibility *vis) {
    hv_repository_detail *rows;
    hv_list list;
    size_t n;
    int64_t total;
    hv_err rc;

    fuzzy_name(&list, r, q);
    rc = hv_registry_repository_list(&rows, &n, &total, &r->ctx, &list, 0, vis);
    for (size_t i = 0; rc == HV_OK && i < n; i++)
        json_array_append_new(
            out, json_pack("{s:I, s:s, s:b, s:s, s:I, s:I}", "project_id",
                           (json_int_t)rows[i].project_id, "project_name", rows[i].project_name,
                           "project_public", rows[i].project_public, "repository_name",
                           rows[i].name, "pull_count", (json_int_t)rows[i].pull_count,
                           "artifact_count", (json_int_t)rows[i].artifact_count));
    return rc;
}

static hv_err search(hv_req *r) {
    const char *q = hv_req_query(r, "q");
    json_t *projects = json_array(), *repositories = json_array();
    hv_visibility vis;
    size_t len;
    hv_err rc;

    /* surrounding blanks are not part of what the user looks for */
    q = q ? q : "";
    while (*q == ' ')
        q++;
    len = strlen(q);
    while (len > 0 && q[len - 1] == ' ')
        len--;
    q = hv_arena_strndup(r->ctx.arena, q, len);

    rc = hv_api__visibility(&vis, r);
    if (rc == HV_OK)
        rc = search_projects(projects, r, q);
    if (rc == HV_OK)
        rc = search_repositories(repositories, r, q, &vis);
    if (rc) {
        json_decref(projects);
        json_decref(repositories);
        return rc;
    }
    return hv_api__json(r, 200,
                        json_pack("{s:o, s:o}", "project", projects, "repository", repositories));
}

/* ---------------------------------------------------------------- /statistics */

static hv_err statistics(hv_req *r) {
    bool sysadmin = r->who.kind == HV_ID_USER && r->who.sysadmin && !r->who.via_token;
    hv_visibility vis;
    hv_statistics s;
    hv_err rc;

    if (r->who.kind == HV_ID_ANONYMOUS)
        return HV_FAIL(&r->ctx, HV_E_UNAUTHORIZED, "authentication required for statistics");
    rc = hv_api__visibility(&vis, r);
    if (rc == HV_OK)
        rc = hv_registry_statistics(&s, &r->ctx, &vis, sysadmin);
    if (rc)
        return rc;
    return hv_api__json(r, 200,
                        json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "private_project_count",
                                  (json_int_t)s.private_projects, "private_repo_count",
                                  (json_int_t)s.private_repositories, "public_project_count",
                                  (json_int_t)s.public_projects, "public_repo_count",
                                  (json_int_t)s.public_repositories, "total_project_count",
                                  (json_int_t)(s.public_projects + s.private_projects),
                                  "total_repo_count",
                                  (json_int_t)(s.public_repositories + s.private_repositories),
                                  "total_storage_consumption", (json_int_t)s.storage));
}

HV_API_HANDLER(search_handler, search);
HV_API_HANDLER(statistics_handler, statistics);

const hv_api__route hv_api__search_routes[] = {
    {"GET", "/search", &search_handler},
    {"GET", "/statistics", &statistics_handler},
    {NULL, NULL, NULL},
};
