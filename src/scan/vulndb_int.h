/*
 * Shared between the vulnerability database's files only (vulndb*.c, match.c): a parsed
 * advisory, the parsers of each feed, and the import in progress they store into.
 */
#ifndef HV_SCAN_VULNDB_INT_H
#define HV_SCAN_VULNDB_INT_H

#include "db/db.h"
#include "model/model.h"
#include "scan/scan.h"

/* The largest record (an OSV file, one package of the Debian tracker, a secdb file) an
 * import holds in memory at once. */
#define HV_SCAN__RECORD_MAX (64u << 20)

/* An affected entry's ranges and versions as stored: compact text that matching reads
 * without parsing JSON.  Ranges are separated by HV_SCAN__RANGE_SEP, events by
 * HV_SCAN__EVENT_SEP; an event is its kind's letter ('i' introduced, 'f' fixed, 'l'
 * last_affected, 'x' limit) and its version.  A version list is its versions separated by
 * HV_SCAN__EVENT_SEP.  Versions with control characters are refused on import. */
#define HV_SCAN__RANGE_SEP '\x1e'
#define HV_SCAN__EVENT_SEP '\x1f'

/* Whether v may be stored as a version: not empty, no control characters. */
bool hv_scan__version_ok(const char *v);

struct hv_scan_vulndb {
    hv_db *db;
};

/* One advisory as parsed, ready to store (arena). */
typedef struct hv_scan__advisory {
    hv_vuln_record rec;
    hv_vuln_affected *affected;
    size_t n_affected;
    bool withdrawn;
} hv_scan__advisory;

/* An import in progress: ctx->db is the new database file, inside its transaction. */
typedef struct hv_scan__import {
    hv_ctx *ctx;
    hv_scan_vulndb_stats *stats;
} hv_scan__import;

/*
 * Parses one OSV record (len bytes) into *out (ctx's arena).  HV_E_BAD_REQUEST saying what
 * is wrong when it is not an OSV record: not JSON, no id, an affected entry without its
 * package, an event that is not one of introduced/fixed/last_affected/limit.  A CVSS vector
 * that cannot be scored is dropped, not an error.
 */
hv_err hv_scan__osv_parse(hv_scan__advisory *out, hv_ctx *ctx, const char *data, size_t len);

/* Stores an advisory and counts it. */
hv_err hv_scan__store(hv_scan__import *imp, const hv_scan__advisory *adv);

/* Stores one package of the Debian tracker (its name and its object of CVEs). */
hv_err hv_scan__debian_package(hv_scan__import *imp, const char *package, json_t *cves);
/* Stores a whole Alpine secdb document. */
hv_err hv_scan__alpine_secdb(hv_scan__import *imp, const char *name, json_t *doc);

/* name as PEP 503 normalises a PyPI name (lowercase, runs of '-', '_', '.' as one '-'), in
 * the arena. */
const char *hv_scan__pypi_name(hv_arena *a, const char *name);

/* The Debian vendor severity of a tracker urgency ("low*", "medium", "not yet assigned"):
 * 0 when it says nothing (unknown, end-of-life). */
hv_scan_severity hv_scan__debian_urgency(const char *urgency);

#endif
