#!/usr/bin/env bash
# The scale benchmark: Harbor's "small" performance dataset (100 projects x 100 repositories x
# 10 artifacts x 5 tags = 100k artifacts, 500k tags, 200k audit-log rows; bench/dataset.py),
# then the latency of the list endpoints that slow down with size, as admin over HTTP Basic.
#
#   bench/scale.sh            alone: writes bench/results/<stamp>-scale.{jsonl,md} and, after a
#                             full-size run, replaces the "Scale" section of BENCHMARKS.md
#   from bench/run.sh         with SCALE_RESULTS=<results.jsonl>: appends its figures there and
#                             run.sh's report (bench/report.py) shows them
#
# How: havend starts once on an empty data dir (it creates the schema and the admin), stops,
# dataset.py fills the database in one transaction, havend starts again on it.  Each request
# is sent SCALE_WARMUP times unmeasured, then SCALE_REQUESTS times by one curl process over one
# keep-alive connection; curl's time_total of each transfer gives p50 and p95 (nearest rank).
# A request that does not answer 200 is recorded as failed with its answer (an endpoint that
# another change has not served yet shows up that way), and the run goes on.
#
# Knobs (a run with any of the dataset sizes changed is "not full size" and leaves
# BENCHMARKS.md alone): SCALE_PROJECTS (100) SCALE_REPOSITORIES (100) SCALE_ARTIFACTS (10)
# SCALE_TAGS (5) SCALE_AUDIT (200000) SCALE_REQUESTS (50) SCALE_WARMUP (5)
# HAVEND (build/release/havend).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
HAVEND=${HAVEND:-$ROOT/build/release/havend}
PROJECTS=${SCALE_PROJECTS:-100}
REPOSITORIES=${SCALE_REPOSITORIES:-100}
ARTIFACTS=${SCALE_ARTIFACTS:-10}
TAGS=${SCALE_TAGS:-5}
AUDIT=${SCALE_AUDIT:-200000}
REQUESTS=${SCALE_REQUESTS:-50}
WARMUP=${SCALE_WARMUP:-5}
FULL=1
[ "$PROJECTS" = 100 ] && [ "$REPOSITORIES" = 100 ] && [ "$ARTIFACTS" = 10 ] &&
    [ "$TAGS" = 5 ] && [ "$AUDIT" = 200000 ] || FULL=0

log() { printf '[scale %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in curl awk; do
    command -v "$tool" >/dev/null || die "$tool is missing"
done
[ -x "$PY" ] || die "$PY is missing"
[ -x "$HAVEND" ] || die "$HAVEND is missing: run make build"

mkdir -p "$ROOT/build" "$ROOT/bench/results"
WORK=$(mktemp -d "$ROOT/build/scale.XXXXXX")
STANDALONE=0
if [ -z "${SCALE_RESULTS:-}" ]; then
    STANDALONE=1
    SCALE_RESULTS="$WORK/results.jsonl"
    : >"$SCALE_RESULTS"
fi
HAVEN_PID=""
FAILED=0
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
    if [ -n "$HAVEN_PID" ]; then
        kill "$HAVEN_PID" 2>/dev/null || true
        wait "$HAVEN_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The dataset: a 1 GB database plus 100k small manifest files (4 KiB blocks each).
need_mib=$((PROJECTS * REPOSITORIES * ARTIFACTS / 100 + 512))
have_mib=$(df -Pm "$WORK" | awk 'NR==2 {print $4}')
[ "$have_mib" -ge "$need_mib" ] || die "$WORK has ${have_mib} MiB free, the run needs ${need_mib}"


# record KEY LABEL TARGET_MS P50 P95 SAMPLES COMMAND [ERROR]: one figure of this benchmark.
record() {
    "$PY" - "$@" >>"$SCALE_RESULTS" <<'EOF'
import json, sys
key, label, target, p50, p95, samples, command = sys.argv[1:8]
error = (sys.argv[8:] + [""])[0]
print(json.dumps({"key": "scale:" + key, "server": "scale",
                  "value": float(p50) if p50 else None,
                  "samples": json.loads(samples) if samples else [],
                  "command": command, "error": error,
                  "text": json.dumps({"label": label, "target_ms": float(target),
                                      "p95": float(p95) if p95 else None})}))
EOF
}

# fact KEY TEXT COMMAND: what the run measured on.
fact() {
    "$PY" - "$@" >>"$SCALE_RESULTS" <<'EOF'
import json, sys
key, text, command = sys.argv[1:4]
print(json.dumps({"key": "scale:" + key, "server": "scale-fact", "value": None, "samples": [],
                  "command": command, "error": "", "text": text}))
EOF
}


PW=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
HAVEN_CMD=(env HAVEN_ADMIN_PASSWORD="$PW" HAVEN_LOG_LEVEL=warn
           "$HAVEND" --listen "127.0.0.1:$PORT" --data "$WORK/data")


# ---------------------------------------------------------------- the dataset

log "creating the schema: havend on an empty data dir, then stopped"
start_haven
stop_haven

log "filling: $PROJECTS projects x $REPOSITORIES repositories x $ARTIFACTS artifacts x $TAGS tags, $AUDIT audit-log rows"
gen=("$PY" "$ROOT/bench/dataset.py" fill "$WORK/data" --projects "$PROJECTS"
     --repositories "$REPOSITORIES" --artifacts "$ARTIFACTS" --tags "$TAGS" --audit "$AUDIT")
"${gen[@]}" >"$WORK/dataset.json" || die "dataset.py failed"
jq() { "$PY" -c 'import json, sys; d = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d = d[k]
print(d)' "$WORK/dataset.json" "$1"; }
fact dataset "$(jq counts.projects) projects, $(jq counts.repositories) repositories, $(jq counts.artifacts) artifacts, $(jq counts.tags) tags, $(jq counts.audit_logs) audit-log rows; database $(jq db_mib) MiB, written in $(jq seconds) s" "$(show "${gen[@]}")"
fact full "$FULL" ""

log "starting havend on the filled data dir"
start_haven
fact havend "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    [ -n "$(git -C "$ROOT" status --porcelain -- src CMakeLists.txt 2>/dev/null)" ] &&
        echo ' + uncommitted changes in src/')" "git rev-parse --short HEAD"

P=$(jq sample.project)
REPO=$(jq sample.repository)
R=${REPO#"$P"/}
REF=$(jq sample.reference)
# the /v2 tag list's deep page starts after the tag 10 before the end
LAST=$("$PY" -c 'import json, sys; t = json.load(open(sys.argv[1]))["tags_of_sample"]; print(t[max(0, len(t) - 11)])' "$WORK/dataset.json")
AUDIT_DEEP=$(( AUDIT / 10 >= 1000 ? 1000 : (AUDIT / 10 > 0 ? AUDIT / 10 : 1) ))
REPO_LAST=$(( (REPOSITORIES + 9) / 10 ))
ALL_DEEP=$(( (PROJECTS * REPOSITORIES + 9) / 10 ))
PROJ_ART_DEEP=$(( REPOSITORIES * ARTIFACTS / 10 - 1 > 0 ? REPOSITORIES * ARTIFACTS / 10 - 1 : 1 ))
SEARCH_Q=${P%?}

# ---------------------------------------------------------------- the measurements

# measure KEY LABEL TARGET_MS PATH: WARMUP + REQUESTS GETs of PATH; records p50 and p95 (ms).
measure() {
    local key=$1 label=$2 target=$3 url="$URL$4" i args=() shown
    # shellcheck disable=SC2016 # the password is shown as $PW, not written out
    shown="$(show curl -s -u 'admin:$PW' -o /dev/null -w '%{http_code} %{time_total}\n' "$url")"
    for ((i = 0; i < WARMUP; i++)); do args+=(-o /dev/null "$url"); done
    curl -s -u "admin:$PW" "${args[@]}" || true
    args=()
    for ((i = 0; i < REQUESTS; i++)); do args+=(-o /dev/null "$url"); done
    if ! curl -s -u "admin:$PW" -w '%{http_code} %{time_total}\n' "${args[@]}" >"$WORK/times" 2>"$WORK/err"; then
        record "$key" "$label" "$target" "" "" "" "$shown" "curl failed: $(tail -c 500 "$WORK/err")"
        FAILED=1
        return
    fi
    if awk '$1 != 200 {bad = 1} END {exit !bad}' "$WORK/times"; then
        local code body
        code=$(awk '$1 != 200 {print $1; exit}' "$WORK/times")
        body=$(curl -s -u "admin:$PW" "$url" | head -c 300)
        log "FAILED $label: HTTP $code $body"
        record "$key" "$label" "$target" "" "" "" "$shown" "HTTP $code: $body"
        FAILED=1
        return
    fi
    read -r p50 p95 samples < <("$PY" - "$WORK/times" <<'EOF'
import json, math, sys
v = sorted(float(line.split()[1]) * 1000 for line in open(sys.argv[1]) if line.strip())
rank = lambda q: v[max(0, math.ceil(q * len(v)) - 1)]
print(f"{rank(0.5):.2f} {rank(0.95):.2f} {json.dumps([round(x, 2) for x in v], separators=(',', ':'))}")
EOF
)
    log "$label: p50 $p50 ms, p95 $p95 ms (target p50 <= $target ms)"
    record "$key" "$label" "$target" "$p50" "$p95" "$samples" "$shown"
}

A="/api/v2.0"
log "measuring: $REQUESTS requests each on $P/$R"
measure artifacts_p1 "artifacts of a repository, page 1" 20 \
    "$A/projects/$P/repositories/$R/artifacts?page=1&page_size=10"
measure artifacts_last "artifacts of a repository, last page (page_size 1, page $ARTIFACTS)" 20 \
    "$A/projects/$P/repositories/$R/artifacts?page=$ARTIFACTS&page_size=1"
measure project_artifacts_deep "artifacts of a project, deep page ($PROJ_ART_DEEP)" 20 \
    "$A/projects/$P/artifacts?page=$PROJ_ART_DEEP&page_size=10"
measure repositories_p1 "repositories of a project, page 1" 20 \
    "$A/projects/$P/repositories?page=1&page_size=10"
measure repositories_last "repositories of a project, last page ($REPO_LAST)" 20 \
    "$A/projects/$P/repositories?page=$REPO_LAST&page_size=10"
measure all_repositories_p1 "all repositories, page 1" 20 \
    "$A/repositories?page=1&page_size=10"
measure all_repositories_deep "all repositories, last page ($ALL_DEEP)" 20 \
    "$A/repositories?page=$ALL_DEEP&page_size=10"
measure v2_tags "/v2 tags/list of a repository ($((ARTIFACTS * TAGS)) tags)" 20 \
    "/v2/$REPO/tags/list"
measure v2_tags_deep "/v2 tags/list, n=10 after the 10th from the end" 20 \
    "/v2/$REPO/tags/list?n=10&last=$LAST"
measure artifact_tags "tags of an artifact" 20 \
    "$A/projects/$P/repositories/$R/artifacts/$REF/tags?page=1&page_size=10"
measure audit_p1 "audit logs, page 1" 20 "$A/audit-logs?page=1&page_size=10"
measure audit_deep "audit logs, page $AUDIT_DEEP" 20 "$A/audit-logs?page=$AUDIT_DEEP&page_size=10"
measure search "search ?q=$SEARCH_Q (projects and repositories)" 50 "$A/search?q=$SEARCH_Q"
measure statistics "statistics" 50 "$A/statistics"

if ! kill -0 "$HAVEN_PID" 2>/dev/null; then
    log "havend died during the run: $(tail -20 "$WORK/havend.log")"
    FAILED=1
fi

# ---------------------------------------------------------------- report (alone)

if [ "$STANDALONE" = 1 ]; then
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    cp "$SCALE_RESULTS" "$ROOT/bench/results/$stamp-scale.jsonl"
    "$PY" - "$ROOT/bench" "$SCALE_RESULTS" "$ROOT/bench/results/$stamp-scale.md" \
        "$ROOT/BENCHMARKS.md" "$FULL" <<'EOF'
import sys
bench, results, out, benchmarks, full = sys.argv[1:6]
sys.path.insert(0, bench)
import report  # noqa: E402

section = report.scale_markdown(results)
open(out, "w").write(section)
if full == "1":
    report.replace_scale_section(benchmarks, section)
EOF
    log "wrote bench/results/$stamp-scale.md"
    if [ "$FULL" = 1 ]; then
        log "replaced the Scale section of BENCHMARKS.md"
    else
        log "not a full-size run: BENCHMARKS.md left as it was"
    fi
fi
exit "$FAILED"
