/*
 * OSV records (ossf/osv-schema 1.7) into advisories.  What a report needs is kept: the ids
 * it is known by (its CVEs, from aliases and upstream, else its own id), details or
 * summary, the CVSS v3 and v4 vectors and their base scores, the database's own
 * severity label and CWE ids (GitHub's database_specific), reference URLs, and per
 * affected package its ECOSYSTEM and SEMVER ranges and its version list.  GIT ranges name
 * commits, which an installed package does not carry, so they are left out.
 */
#include "scan/vulndb_int.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *hv_scan__pypi_name(hv_arena *a, const char *name) {
    size_t n = strlen(name), j = 0;
    char *out = hv_arena_alloc(a, n + 1);

    for (size_t i = 0; i < n; i++) {
        char c = name[i];

        if (c == '-' || c == '_' || c == '.') {
            if (j == 0 || out[j - 1] != '-')
                out[j++] = '-';
        } else {
            out[j++] = (char)tolower((unsigned char)c);
        }
    }
    out[j] = '\0';
    return out;
}

hv_scan_severity hv_scan__debian_urgency(const char *urgency) {
    size_t n;

    if (!urgency)
        return HV_SEV_NONE;
    n = strcspn(urgency, "*"); /* "low*", "medium**": the stars qualify, not grade */
    if (n == 11 && strncmp(urgency, "unimportant", n) == 0)
        return HV_SEV_LOW;
    if (n == 3 && strncmp(urgency, "low", n) == 0)
        return HV_SEV_LOW;
    if (n == 6 && strncmp(urgency, "medium", n) == 0)
        return HV_SEV_MEDIUM;
    if (n == 4 && strncmp(urgency, "high", n) == 0)
        return HV_SEV_HIGH;
    return HV_SEV_NONE;
}

static const char *dump(hv_ctx *ctx, const json_t *j) {
    char *s = json_dumps(j, JSON_COMPACT);
    const char *copy;

    if (!s)
        abort(); /* jansson fails only when out of memory */
    copy = hv_arena_strdup(ctx->arena, s);
    free(s);
    return copy;
}

/* Adds the CVE ids among a list of ids (aliases, upstream) to ids, once each. */
static void add_cves(json_t *ids, const json_t *list) {
    size_t i, k;
    json_t *v, *have;

    json_array_foreach(list, i, v) {
        const char *s = json_string_value(v);
        bool dup = false;

        if (!s || !hv_str_has_prefix(s, "CVE-"))
            continue;
        json_array_foreach(ids, k, have) {
            if (strcmp(json_string_value(have), s) == 0)
                dup = true;
        }
        if (!dup)
            json_array_append_new(ids, json_string(s));
    }
}

/* Takes the first CVSS v3 and v4 vectors of a severity[] list the record has not got yet,
 * with their scores. */
static void take_severity(hv_vuln_record *rec, hv_ctx *ctx, const json_t *list) {
    size_t i;
    json_t *v;

    json_array_foreach(list, i, v) {
        const char *type = json_string_value(json_object_get(v, "type"));
        const char *score = json_string_value(json_object_get(v, "score"));
        const char *why;
        double s;

        if (!type || !score)
            continue;
        if (strcmp(type, "CVSS_V3") == 0 && !rec->cvss3_vector) {
            if (hv_scan_cvss3_score(&s, score, &why)) {
                rec->cvss3_vector = hv_arena_strdup(ctx->arena, score);
                rec->cvss3_score10 = lround(s * 10);
            } else {
                hv_log(HV_LOG_DEBUG, "%s: CVSS vector %s dropped: %s", rec->id, score, why);
            }
        } else if (strcmp(type, "CVSS_V4") == 0 && !rec->cvss4_vector) {
            if (hv_scan_cvss4_score(&s, score, &why)) {
                rec->cvss4_vector = hv_arena_strdup(ctx->arena, score);
                rec->cvss4_score10 = lround(s * 10);
            } else {
                hv_log(HV_LOG_DEBUG, "%s: CVSS vector %s dropped: %s", rec->id, score, why);
            }
        }
    }
}

bool hv_scan__version_ok(const char *v) {
    if (!v || !*v)
        return false;
    for (; *v; v++) {
        if ((unsigned char)*v < 0x20)
            return false;
    }
    return true;
}

static const char *const event_kinds[] = {"introduced", "fixed", "last_affected", "limit"};
static const char event_letters[] = "iflx";

/* Appends a range's events to out (see vulndb_int.h), checked. */
static hv_err events_of(hv_buf *out, hv_ctx *ctx, const char *id, const json_t *events) {
    json_t *e;
    size_t i;

    if (!json_is_array(events) || json_array_size(events) == 0)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: a range has no events", id);
    if (out->len && hv_buf_append(out, (char[]){HV_SCAN__RANGE_SEP}, 1) != HV_OK)
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: its ranges are too long", id);
    json_array_foreach(events, i, e) {
        const char *key = NULL, *v;
        json_t *value = NULL;
        size_t k;

        if (!json_is_object(e) || json_object_size(e) != 1)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: an event must have exactly one key", id);
        json_object_foreach((json_t *)e, key, value) {
            break;
        }
        for (k = 0; k < 4 && strcmp(key, event_kinds[k]) != 0; k++)
            ;
        v = json_string_value(value);
        if (k == 4 || !hv_scan__version_ok(v))
            return HV_FAIL(ctx, HV_E_BAD_REQUEST,
                           "%s: an event must be introduced, fixed, last_affected or limit with"
                           " a version",
                           id);
        if ((i && hv_buf_append(out, (char[]){HV_SCAN__EVENT_SEP}, 1) != HV_OK) ||
            hv_buf_appendf(out, "%c%s", event_letters[k], v) != HV_OK)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: its ranges are too long", id);
    }
    return HV_OK;
}

/* The version list in compact text; NULL (and an error) when malformed. */
static hv_err versions_of(hv_buf *out, hv_ctx *ctx, const char *id, const json_t *versions) {
    json_t *v;
    size_t i;

    if (versions && !json_is_array(versions))
        return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: versions must be a list", id);
    json_array_foreach(versions, i, v) {
        if (!hv_scan__version_ok(json_string_value(v)))
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: versions[%zu] is not a version", id, i);
        if ((i && hv_buf_append(out, (char[]){HV_SCAN__EVENT_SEP}, 1) != HV_OK) ||
            hv_buf_appendf(out, "%s", json_string_value(v)) != HV_OK)
            return HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: its versions are too long", id);
    }
    return HV_OK;
}

/* One affected[] entry into adv's list; entries without anything to match are dropped. */
static hv_err take_affected(hv_scan__advisory *adv, size_t *cap, hv_ctx *ctx, const json_t *a) {
    const json_t *pkg = json_object_get(a, "package");
    const char *eco = json_string_value(json_object_get(pkg, "ecosystem"));
    const char *name = json_string_value(json_object_get(pkg, "name"));
    const json_t *specific = json_object_get(a, "ecosystem_specific");
    hv_buf ranges, versions;
    hv_vuln_affected *out;
    json_t *r;
    size_t i;
    hv_err rc = HV_OK;

    hv_buf_init(&ranges, HV_SCAN__RECORD_MAX);
    hv_buf_init(&versions, HV_SCAN__RECORD_MAX);
    if (!eco || !name || !*eco || !*name) {
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST,
                     "%s: an affected entry lacks package.ecosystem or package.name", adv->rec.id);
        goto out;
    }
    json_array_foreach(json_object_get(a, "ranges"), i, r) {
        const char *type = json_string_value(json_object_get(r, "type"));

        if (!type) {
            rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "%s: a range has no type", adv->rec.id);
            goto out;
        }
        if (strcmp(type, "GIT") == 0)
            continue;
        rc = events_of(&ranges, ctx, adv->rec.id, json_object_get(r, "events"));
        if (rc)
            goto out;
    }
    rc = versions_of(&versions, ctx, adv->rec.id, json_object_get(a, "versions"));
    if (rc || (ranges.len == 0 && versions.len == 0))
        goto out;
    take_severity(&adv->rec, ctx, json_object_get(a, "severity"));
    adv->affected =
        hv_arena_grow(ctx->arena, adv->affected, cap, adv->n_affected, sizeof(*adv->affected));
    out = &adv->affected[adv->n_affected++];
    out->vuln_id = adv->rec.id;
    out->ecosystem = hv_arena_strdup(ctx->arena, eco);
    out->package = strcmp(eco, "PyPI") == 0 ? hv_scan__pypi_name(ctx->arena, name)
                                            : hv_arena_strdup(ctx->arena, name);
    out->ranges = ranges.len ? hv_arena_strdup(ctx->arena, ranges.data) : "";
    out->versions = versions.len ? hv_arena_strdup(ctx->arena, versions.data) : NULL;
    out->vendor_severity =
        hv_scan__debian_urgency(json_string_value(json_object_get(specific, "urgency")));
out:
    hv_buf_free(&ranges);
    hv_buf_free(&versions);
    return rc;
}

hv_err hv_scan__osv_parse(hv_scan__advisory *out, hv_ctx *ctx, const char *data, size_t len) {
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr), *ids = NULL, *v;
    json_t *links = NULL, *cwes;
    const json_t *specific;
    const char *id, *text;
    size_t i, cap = 4;
    hv_err rc = HV_OK;

    memset(out, 0, sizeof(*out));
    out->affected = hv_arena_alloc(ctx->arena, cap * sizeof(*out->affected));
    if (!json_is_object(doc)) {
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "not a JSON object (%s at line %d)",
                     doc ? "a value that is not an object" : jerr.text, jerr.line);
        goto out;
    }
    id = json_string_value(json_object_get(doc, "id"));
    if (!id || !*id) {
        rc = HV_FAIL(ctx, HV_E_BAD_REQUEST, "the record has no id");
        goto out;
    }
    out->rec.id = hv_arena_strdup(ctx->arena, id);
    out->rec.cvss3_score10 = -1;
    out->rec.cvss4_score10 = -1;
    if (json_object_get(doc, "withdrawn")) {
        out->withdrawn = true;
        goto out;
    }
    ids = json_array();
    add_cves(ids, json_object_get(doc, "aliases"));
    add_cves(ids, json_object_get(doc, "upstream"));
    if (hv_str_has_prefix(id, "CVE-"))
        json_array_insert_new(ids, 0, json_string(id));
    if (json_array_size(ids) == 0)
        json_array_append_new(ids, json_string(id));
    out->rec.ids = dump(ctx, ids);
    text = json_string_value(json_object_get(doc, "details"));
    if (!text || !*text)
        text = json_string_value(json_object_get(doc, "summary"));
    out->rec.description = hv_arena_strdup(ctx->arena, text);
    take_severity(&out->rec, ctx, json_object_get(doc, "severity"));
    specific = json_object_get(doc, "database_specific");
    out->rec.severity =
        hv_arena_strdup(ctx->arena, json_string_value(json_object_get(specific, "severity")));
    cwes = json_object_get(specific, "cwe_ids");
    out->rec.cwe_ids = json_is_array(cwes) ? dump(ctx, cwes) : "[]";
    links = json_array();
    json_array_foreach(json_object_get(doc, "references"), i, v) {
        json_t *url = json_object_get(v, "url");

        if (json_is_string(url))
            json_array_append(links, url);
    }
    out->rec.links = dump(ctx, links);
    json_array_foreach(json_object_get(doc, "affected"), i, v) {
        rc = take_affected(out, &cap, ctx, v);
        if (rc)
            goto out;
    }
out:
    json_decref(doc);
    json_decref(ids);
    json_decref(links);
    return rc;
}
