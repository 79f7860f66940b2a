/*
 * Matching an inventory against the vulnerability database, and Harbor's report of it.
 *
 * Each package is looked up under (ecosystem, name): an OS package under its source name
 * in its release's ecosystem ("Debian:12" for os_version "12.5", "Alpine:v3.19" for
 * "3.19.1", "Ubuntu:22.04", else "Ubuntu:22.04:LTS"), a PyPI one under its PEP 503 name.  An
 * advisory's entry affects the version when it lists it or when one of its ranges holds it,
 * evaluated as OSV's schema says: events in version order, introduced opens, fixed closes (the
 * version is fixed from it on), last_affected closes after it, and a limit bounds the range.  The
 * fix a report shows is the first fixed event above the version.
 *
 * Severity (Trivy's precedence, shared/reference §1.5): the vendor's severity of the
 * package (Debian's urgency) when it has one, else the CVSS v4 base score's, else v3's,
 * else the database's own label (GitHub's "MODERATE"), else Unknown.  A finding is reported under
 * each CVE its advisory names (a DSA fixing three CVEs gives three), once per installed
 * package: a second advisory for the same CVE and package only fills what the first left
 * empty.
 */
#include "scan/vulndb_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first n dot-separated fields of v ("12.5" -> "12" for n 1). */
static const char *fields(hv_arena *a, const char *v, int n) {
    size_t len = 0;

    for (int i = 0; i < n; i++) {
        len += strcspn(v + len, ".");
        if (i + 1 < n && v[len] == '.')
            len++;
    }
    return hv_arena_strndup(a, v, len);
}

/* The ecosystem a package of inv is looked up in; NULL when the database has none. */
static const char *ecosystem_of(hv_ctx *ctx, const hv_scan_inventory *inv, hv_scan_eco eco) {
    /* rpm-based releases have no feed that this database imports yet */
    if (eco <= HV_ECO_NONE || eco >= HV_ECO_COUNT || eco == HV_ECO_RPM)
        return NULL;
    if (eco == HV_ECO_DEBIAN || eco == HV_ECO_UBUNTU || eco == HV_ECO_ALPINE) {
        if (!inv->os_version || !*inv->os_version)
            return NULL;
        if (eco == HV_ECO_DEBIAN)
            return hv_arena_printf(ctx->arena, "Debian:%s", fields(ctx->arena, inv->os_version, 1));
        if (eco == HV_ECO_UBUNTU)
            return hv_arena_printf(ctx->arena, "Ubuntu:%s", fields(ctx->arena, inv->os_version, 2));
        return hv_arena_printf(ctx->arena, "Alpine:v%s", fields(ctx->arena, inv->os_version, 2));
    }
    return hv_scan_eco_osv(eco);
}

typedef struct matcher {
    hv_ctx *ctx;
    hv_scan_cmp_fn cmp;
    hv_scan_scheme scheme;
    const char *version;
} matcher;

/* a <=> b, "0" (OSV's "before everything") being the least; false when they do not
 * compare (a version the scheme cannot read). */
static bool compare(matcher *m, int *out, const char *a, const char *b) {
    if (strcmp(a, "0") == 0 || strcmp(b, "0") == 0) {
        *out = strcmp(a, "0") == 0 ? (strcmp(b, "0") == 0 ? 0 : -1) : 1;
        return true;
    }
    if (m->cmp(out, m->ctx, m->scheme, a, b) != HV_OK) {
        hv_error_clear(m->ctx);
        return false;
    }
    return true;
}

typedef struct event {
    char kind; /* 'i' introduced, 'f' fixed, 'l' last_affected, 'x' limit */
    const char *v;
} event;

/* Whether m->version is in the range of n events; *fix gets the fix above it (NULL: none
 * known). */
static bool in_range(matcher *m, event *ev, size_t n, const char **fix) {
    bool vulnerable = false, limited = false, below_limit = false;
    size_t i;

    *fix = NULL;
    /* insertion sort by version: ranges have a handful of events */
    for (i = 1; i < n; i++) {
        for (size_t j = i; j > 0; j--) {
            int c;

            if (!compare(m, &c, ev[j - 1].v, ev[j].v))
                return false;
            if (c <= 0)
                break;
            event t = ev[j];
            ev[j] = ev[j - 1];
            ev[j - 1] = t;
        }
    }
    for (i = 0; i < n; i++) {
        int c;

        if (!compare(m, &c, m->version, ev[i].v))
            return false;
        if (ev[i].kind == 'i') {
            if (c >= 0)
                vulnerable = true;
        } else if (ev[i].kind == 'f') {
            if (c >= 0)
                vulnerable = false;
            else if (!*fix)
                *fix = ev[i].v;
        } else if (ev[i].kind == 'l') {
            if (c > 0)
                vulnerable = false;
        } else {
            limited = true;
            if (c < 0)
                below_limit = true;
        }
    }
    return vulnerable && (!limited || below_limit);
}

/* Whether the entry affects m->version, and its fix (arena). */
static bool affects(matcher *m, const hv_vuln_affected *a, const char **fix) {
    char *text = hv_arena_strdup(m->ctx->arena, a->ranges), *p = text;
    bool hit = false;

    *fix = NULL;
    for (const char *v = a->versions; v && *v;) {
        size_t len = strcspn(v, (char[]){HV_SCAN__EVENT_SEP, 0});

        if (len == strlen(m->version) && strncmp(v, m->version, len) == 0)
            hit = true;
        v += len + (v[len] != '\0');
    }
    while (p && *p) {
        char *end = strchr(p, HV_SCAN__RANGE_SEP), *next = end ? end + 1 : NULL;
        event ev[32];
        size_t n = 0;
        const char *f;

        if (end)
            *end = '\0';
        for (char *e = p; e && n < sizeof(ev) / sizeof(ev[0]);) {
            char *sep = strchr(e, HV_SCAN__EVENT_SEP);

            if (sep)
                *sep = '\0';
            ev[n].kind = e[0];
            ev[n++].v = e + 1;
            e = sep ? sep + 1 : NULL;
        }
        if (in_range(m, ev, n, &f)) {
            hit = true;
            if (f && !*fix)
                *fix = f;
        }
        p = next;
    }
    return hit;
}

static json_t *json_or_empty(const char *text) {
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;

    return json_is_array(j) ? j : (json_decref(j), json_array());
}

/* What every finding of a record shares, built once per match: [parts, ids, severity]
 * where parts holds description, links, cwe_ids, preferred_cvss and vendor_attributes and
 * severity is the record's own (CVSS v4, else v3, else its label: Trivy's order). */
static json_t *record_parts(const hv_vuln_record *rec) {
    json_t *parts = json_object(), *cvss = json_object(), *vendor = json_object();
    json_t *ids = json_or_empty(rec->ids);
    hv_scan_severity sev =
        rec->cvss4_score10 >= 0   ? hv_scan_severity_of_score((double)rec->cvss4_score10 / 10.0)
        : rec->cvss3_score10 >= 0 ? hv_scan_severity_of_score((double)rec->cvss3_score10 / 10.0)
                                  : hv_scan_severity_parse(rec->severity);

    json_object_set_new(parts, "description",
                        json_string(rec->description ? rec->description : ""));
    json_object_set_new(parts, "links", json_or_empty(rec->links));
    json_object_set_new(parts, "cwe_ids", json_or_empty(rec->cwe_ids));
    if (rec->cvss3_vector) {
        json_t *osv = json_object();

        json_object_set_new(cvss, "score_v3", json_real((double)rec->cvss3_score10 / 10.0));
        json_object_set_new(cvss, "vector_v3", json_string(rec->cvss3_vector));
        json_object_set_new(osv, "V3Score", json_real((double)rec->cvss3_score10 / 10.0));
        json_object_set_new(osv, "V3Vector", json_string(rec->cvss3_vector));
        json_object_set_new(vendor, "CVSS", json_pack("{so}", "osv", osv));
    }
    if (rec->cvss4_vector) {
        json_object_set_new(cvss, "score_v4", json_real((double)rec->cvss4_score10 / 10.0));
        json_object_set_new(cvss, "vector_v4", json_string(rec->cvss4_vector));
    }
    json_object_set_new(vendor, "advisory", json_string(rec->id));
    json_object_set_new(parts, "preferred_cvss", cvss);
    json_object_set_new(parts, "vendor_attributes", vendor);
    return json_pack("[ooi]", parts, ids, (int)sev);
}

static json_t *finding(const json_t *parts, const char *id, const hv_scan_pkg *p, const char *fix,
                       hv_scan_severity sev) {
    json_t *f = json_copy((json_t *)parts); /* shallow: the parts are shared, not copied */

    json_object_set_new(f, "id", json_string(id));
    json_object_set_new(f, "package", json_string(p->name));
    json_object_set_new(f, "version", json_string(p->version));
    json_object_set_new(f, "fix_version", json_string(fix ? fix : ""));
    json_object_set_new(f, "status", json_string(fix ? "fixed" : "affected"));
    json_object_set_new(f, "severity", json_string(hv_scan_severity_name(sev)));
    if (p->layer)
        json_object_set_new(f, "layer", json_pack("{ss}", "digest", p->layer));
    if (p->purl)
        json_object_set_new(f, "purl", json_string(p->purl));
    return f;
}

static hv_scan_severity severity_named(const char *name) {
    for (int s = HV_SEV_NONE; s <= HV_SEV_CRITICAL; s++) {
        if (name && strcmp(hv_scan_severity_name((hv_scan_severity)s), name) == 0)
            return (hv_scan_severity)s;
    }
    return HV_SEV_UNKNOWN;
}

/* Adds a finding, or fills in what an earlier one of the same id and package lacks. */
static void add(json_t *list, json_t *seen, json_t *f) {
    const char *id = json_string_value(json_object_get(f, "id"));
    const char *pkg = json_string_value(json_object_get(f, "package"));
    const char *ver = json_string_value(json_object_get(f, "version"));
    char *key = hv_printf("%s\x1f%s\x1f%s", id, pkg, ver);
    json_t *old = json_object_get(seen, key);

    if (!old) {
        json_object_set(seen, key, f);
        json_array_append_new(list, f);
    } else {
        if (!*json_string_value(json_object_get(old, "fix_version"))) {
            json_object_set(old, "fix_version", json_object_get(f, "fix_version"));
            json_object_set(old, "status", json_object_get(f, "status"));
        }
        if (severity_named(json_string_value(json_object_get(old, "severity"))) == HV_SEV_UNKNOWN)
            json_object_set(old, "severity", json_object_get(f, "severity"));
        if (json_object_size(json_object_get(old, "preferred_cvss")) == 0) {
            json_object_set(old, "preferred_cvss", json_object_get(f, "preferred_cvss"));
            json_object_set(old, "vendor_attributes", json_object_get(f, "vendor_attributes"));
        }
        if (!*json_string_value(json_object_get(old, "description")))
            json_object_set(old, "description", json_object_get(f, "description"));
        json_decref(f);
    }
    free(key);
}

static hv_err match_pkg(json_t *list, json_t *seen, json_t *records, hv_ctx *ctx,
                        const hv_scan_inventory *inv, const hv_scan_pkg *p, hv_scan_cmp_fn cmp) {
    const char *eco = ecosystem_of(ctx, inv, p->eco);
    bool os = p->eco == HV_ECO_DEBIAN || p->eco == HV_ECO_UBUNTU || p->eco == HV_ECO_ALPINE;
    const char *name = os && p->src_name ? p->src_name : p->name;
    matcher m = {ctx, cmp, hv_scan_eco_scheme(p->eco),
                 os && p->src_version ? p->src_version : p->version};
    hv_vuln_affected *aff;
    size_t n;
    hv_err rc;

    if (!eco || !name || !m.version)
        return HV_OK;
    if (p->eco == HV_ECO_PYPI)
        name = hv_scan__pypi_name(ctx->arena, name);
    rc = hv_model_vulndb_affected(&aff, &n, ctx, eco, name);
    if (rc == HV_OK && n == 0 && p->eco == HV_ECO_UBUNTU) /* OSV names LTS releases so */
        rc = hv_model_vulndb_affected(&aff, &n, ctx, hv_arena_printf(ctx->arena, "%s:LTS", eco),
                                      name);
    for (size_t i = 0; rc == HV_OK && i < n; i++) {
        json_t *rec = json_object_get(records, aff[i].vuln_id), *id;
        hv_scan_severity sev;
        const char *fix;
        size_t k;

        if (!affects(&m, &aff[i], &fix))
            continue;
        if (!rec) {
            hv_vuln_record r;

            rc = hv_model_vulndb_get(&r, ctx, aff[i].vuln_id);
            if (rc)
                break;
            rec = record_parts(&r);
            json_object_set_new(records, aff[i].vuln_id, rec);
        }
        /* the vendor's severity of the package first (Debian's urgency), then the record's */
        sev = aff[i].vendor_severity > HV_SEV_UNKNOWN && aff[i].vendor_severity <= HV_SEV_CRITICAL
                  ? (hv_scan_severity)aff[i].vendor_severity
                  : (hv_scan_severity)json_integer_value(json_array_get(rec, 2));
        json_array_foreach(json_array_get(rec, 1), k, id) {
            add(list, seen, finding(json_array_get(rec, 0), json_string_value(id), p, fix, sev));
        }
    }
    return rc;
}

typedef struct ranked {
    hv_scan_severity sev;
    const char *package, *id;
    json_t *f;
} ranked;

/* Highest severity first, then by package and id. */
static int by_severity(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    int c;

    if (x->sev != y->sev)
        return x->sev > y->sev ? -1 : 1;
    c = strcmp(x->package, y->package);
    return c ? c : strcmp(x->id, y->id);
}

hv_err hv_scan_match(json_t **report, hv_ctx *ctx, hv_scan_vulndb *db, const hv_scan_inventory *inv,
                     hv_scan_cmp_fn cmp) {
    json_t *list = json_array(), *seen = json_object(), *records = json_object(), *sorted;
    ranked *v;
    hv_scan_severity max = HV_SEV_NONE;
    struct hv_db *saved = ctx->db;
    char now[32];
    size_t n;
    hv_err rc = HV_OK;

    *report = NULL;
    ctx->db = db->db;
    rc = hv_model_vulndb_read_begin(ctx);
    for (size_t i = 0; rc == HV_OK && i < inv->n_pkgs; i++)
        rc = match_pkg(list, seen, records, ctx, inv, &inv->pkgs[i], cmp);
    if (rc == HV_OK)
        rc = hv_model_vulndb_read_end(ctx);
    else {
        hv_error first = ctx->err; /* the error that stopped the match is the one to report */

        hv_model_vulndb_read_end(ctx);
        ctx->err = first;
    }
    ctx->db = saved;
    json_decref(seen);
    json_decref(records);
    if (rc) {
        json_decref(list);
        return rc;
    }
    n = json_array_size(list);
    v = hv_malloc((n ? n : 1) * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        json_t *f = json_array_get(list, i);

        v[i] = (ranked){severity_named(json_string_value(json_object_get(f, "severity"))),
                        json_string_value(json_object_get(f, "package")),
                        json_string_value(json_object_get(f, "id")), f};
        if (v[i].sev > max)
            max = v[i].sev;
    }
    qsort(v, n, sizeof(*v), by_severity);
    sorted = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append(sorted, v[i].f);
    free(v);
    json_decref(list);
    hv_time_format(now, hv_now_ms());
    *report = json_pack("{sssssO}", "generated_at", now, "severity", hv_scan_severity_name(max),
                        "vulnerabilities", sorted);
    json_decref(sorted);
    return HV_OK;
}

json_t *hv_scan_overview(const json_t *report) {
    json_t *counts = json_object(), *f;
    hv_scan_severity max = HV_SEV_NONE;
    int64_t fixable = 0;
    size_t i;

    json_array_foreach(json_object_get(report, "vulnerabilities"), i, f) {
        const char *name = json_string_value(json_object_get(f, "severity"));
        const char *fix = json_string_value(json_object_get(f, "fix_version"));
        hv_scan_severity s = severity_named(name);

        if (s > max)
            max = s;
        if (fix && *fix)
            fixable++;
        json_object_set_new(
            counts, hv_scan_severity_name(s),
            json_integer(json_integer_value(json_object_get(counts, hv_scan_severity_name(s))) +
                         1));
    }
    return json_pack("{sss{sIsIso}}", "severity", hv_scan_severity_name(max), "summary", "total",
                     (json_int_t)json_array_size(json_object_get(report, "vulnerabilities")),
                     "fixable", (json_int_t)fixable, "summary", counts);
}
