#!/usr/bin/env bash
# The garbage-collection benchmark (issue 9): online GC over GC_BLOBS blob records of which
# GC_GARBAGE are garbage (files on the filesystem driver), while pushes go on beside it.
# Haven only: docker-registry's GC (`docker-registry garbage-collect`) is offline and needs the
# registry stopped, so there is nothing to compare side by side.
#
#   bench/gc.sh            alone: writes bench/results/<stamp>-gc.{jsonl,md}
#   from bench/run.sh      with GC_RESULTS=<results.jsonl>: appends its figures there and
#                          run.sh's report (bench/report.py) shows them
#
# How: havend starts once on an empty data dir (it creates the schema and the admin), one image
# is pushed (library/gcbench-pre:v1, pulled again at the end), havend stops, bench/gc_fill.py
# writes the blob records into its SQLite database and the garbage files under blobs/sha256/,
# havend starts again with gc_grace_period 600 (the garbage was last referenced a day ago).
# Then a push loop (bench/client.py image, one push after the other, each its own tag) runs
# while one manual GC run (POST /system/gc/schedule, workers 1) is polled until it ends.
# Recorded: the run's duration (its log's "Total time"; the run's creation and update times
# for comparison), blobs deleted (its log), pushes and failed pushes during the run, whether
# every garbage file is gone, and whether the pre-pushed image and the last pushed one pull.
#
# Knobs (a run with either changed is "not full size"): GC_BLOBS (1000000) GC_GARBAGE
# (GC_BLOBS / 10), HAVEND (build/release/havend).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
CLIENT="$ROOT/bench/client.py"
HAVEND=${HAVEND:-$ROOT/build/release/havend}
BLOBS=${GC_BLOBS:-1000000}
GARBAGE=${GC_GARBAGE:-$((BLOBS / 10))}
GRACE=600
TARGET_S=60
FULL=1
[ "$BLOBS" = 1000000 ] && [ "$GARBAGE" = 100000 ] || FULL=0

log() { printf '[gc %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v curl >/dev/null || die "curl is missing"
[ -x "$PY" ] || die "$PY is missing"
[ -x "$HAVEND" ] || die "$HAVEND is missing: run make build"

mkdir -p "$ROOT/build" "$ROOT/bench/results"
WORK=$(mktemp -d "$ROOT/build/gc.XXXXXX")
STANDALONE=0
if [ -z "${GC_RESULTS:-}" ]; then
    STANDALONE=1
    GC_RESULTS="$WORK/results.jsonl"
    : >"$GC_RESULTS"
fi
HAVEN_PID="" PUSH_PID=""
FAILED=0
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
    local pid
    for pid in $PUSH_PID $HAVEN_PID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# About 300 bytes of database per blob record (rows and indexes), 4 KiB per garbage file.
need_mib=$((BLOBS * 300 / 1048576 + GARBAGE * 4 / 1024 + 512))
have_mib=$(df -Pm "$WORK" | awk 'NR==2 {print $4}')
[ "$have_mib" -ge "$need_mib" ] || die "$WORK has ${have_mib} MiB free, the run needs ${need_mib}"


# record KEY LABEL TARGET VALUE COMMAND [ERROR]: one figure (TARGET: the most it may be, or "").
record() {
    "$PY" - "$@" >>"$GC_RESULTS" <<'EOF'
import json, sys
key, label, target, value, command = sys.argv[1:6]
error = (sys.argv[6:] + [""])[0]
print(json.dumps({"key": "gc:" + key, "server": "gc",
                  "value": float(value) if value else None, "samples": [],
                  "command": command, "error": error,
                  "text": json.dumps({"label": label,
                                      "target": float(target) if target else None})}))
EOF
}

# fact KEY TEXT COMMAND: what the run measured on.
fact() {
    "$PY" - "$@" >>"$GC_RESULTS" <<'EOF'
import json, sys
key, text, command = sys.argv[1:4]
print(json.dumps({"key": "gc:" + key, "server": "gc-fact", "value": None, "samples": [],
                  "command": command, "error": "", "text": text}))
EOF
}


PW=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
HAVEN_CMD=(env HAVEN_ADMIN_PASSWORD="$PW" HAVEN_LOG_LEVEL=warn HAVEN_GC_GRACE_PERIOD="$GRACE"
           "$HAVEND" --listen "127.0.0.1:$PORT" --data "$WORK/data")


# pulls REPO DIGEST: the manifest and every blob it names answer 200 with the right bytes.
pulls() {
    "$PY" - "$URL" "admin:$PW" "$1" "$2" <<'EOF'
import base64, hashlib, json, sys, urllib.request
url, user, repo, digest = sys.argv[1:5]
auth = {"Authorization": "Basic " + base64.b64encode(user.encode()).decode(),
        "Accept": "application/vnd.oci.image.manifest.v1+json"}
def get(path):
    with urllib.request.urlopen(urllib.request.Request(f"{url}/v2/{repo}/{path}",
                                                       headers=auth)) as r:
        return r.read()
def check(kind, d):
    body = get(f"{kind}/{d}")
    if "sha256:" + hashlib.sha256(body).hexdigest() != d:
        sys.exit(f"{repo} {kind}/{d}: wrong bytes")
    return body
m = json.loads(check("manifests", digest))
for d in [m["config"]] + m["layers"]:
    check("blobs", d["digest"])
EOF
}

# ---------------------------------------------------------------- the dataset

log "creating the schema and pushing library/gcbench-pre:v1"
start_haven
"$PY" "$CLIENT" image "$URL" library/gcbench-pre v1 --user "admin:$PW" >"$WORK/pre.json" ||
    die "the first push failed"
PRE=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["digest"])' "$WORK/pre.json")
stop_haven

log "filling: $BLOBS blob records, $GARBAGE of them garbage with files"
gen=("$PY" "$ROOT/bench/gc_fill.py" "$WORK/data" --blobs "$BLOBS" --garbage "$GARBAGE")
"${gen[@]}" >"$WORK/fill.json" || die "gc_fill.py failed"
field() { "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/fill.json" "$1"; }
fact dataset "$(field blobs) blob records: $(field live) live ($(field artifacts) artifacts of 10 \
blobs in $(field repositories) repositories, every blob linked to its project), $(field garbage) \
garbage (unreferenced, last referenced a day ago, a file each on the filesystem driver); written \
in $(field seconds) s" "$(show "${gen[@]}")"
fact full "$FULL" ""

log "starting havend on the filled data dir (gc_grace_period $GRACE)"
start_haven
fact havend "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    [ -n "$(git -C "$ROOT" status --porcelain -- src CMakeLists.txt 2>/dev/null)" ] &&
        echo ' + uncommitted changes in src/')" "$(show "${HAVEN_CMD[@]}" | sed "s|$PW|\$PW|")"

# ---------------------------------------------------------------- GC beside a push loop

# The push loop: pushes library/gcbench-push:<n> until $WORK/stop exists; one line per push in
# $WORK/pushes ("ok" or "fail"), the errors in $WORK/push.err.
# shellcheck disable=SC2016 # shown, not run: the password as $PW
PUSH_CMD=("$PY" "$CLIENT" image "$URL" library/gcbench-push '<n>' --user 'admin:$PW')
(
    n=0
    while [ ! -e "$WORK/stop" ]; do
        n=$((n + 1))
        if "$PY" "$CLIENT" image "$URL" library/gcbench-push "t$n" --user "admin:$PW" \
            >"$WORK/last-push.json" 2>>"$WORK/push.err"; then
            cp "$WORK/last-push.json" "$WORK/last-ok.json"
            echo ok >>"$WORK/pushes"
        else
            echo fail >>"$WORK/pushes"
        fi
    done
) &
PUSH_PID=$!
sleep 1 # the loop is pushing before GC starts

log "GC: one manual run"
# shellcheck disable=SC2016 # likewise
GC_CMD=(curl -s -u 'admin:$PW' -X POST -H 'Content-Type: application/json'
        -d '{"schedule":{"type":"Manual"},"parameters":{"delete_untagged":false,"dry_run":false,"workers":1}}'
        "$URL/api/v2.0/system/gc/schedule")
if ! "$PY" - "$URL" "admin:$PW" "$WORK/gc.json" "$WORK/gc.log" 2>"$WORK/err" <<'EOF'; then
import base64, json, re, sys, time, urllib.request
url, user, out, logfile = sys.argv[1:5]
hdr = {"Authorization": "Basic " + base64.b64encode(user.encode()).decode(),
       "Content-Type": "application/json"}
body = {"schedule": {"type": "Manual"},
        "parameters": {"delete_untagged": False, "dry_run": False, "workers": 1}}
req = urllib.request.Request(f"{url}/api/v2.0/system/gc/schedule", method="POST",
                             data=json.dumps(body).encode(), headers=hdr)
with urllib.request.urlopen(req) as r:
    path = r.headers["Location"]
def get(p):
    with urllib.request.urlopen(urllib.request.Request(url + p, headers=hdr)) as r:
        return r.read()
deadline = time.monotonic() + 3600
while True:
    run = json.loads(get(path))
    if run["job_status"] in ("Success", "Error", "Stopped"):
        break
    if time.monotonic() > deadline:
        sys.exit(f"the run did not end within an hour: {run}")
    time.sleep(0.2)
text = get(path + "/log").decode()
open(logfile, "w").write(text)
if run["job_status"] != "Success":
    sys.exit(f"the run ended {run['job_status']}: {text[-1000:]}")
total = re.search(r"Total time: ([0-9.]+) s", text)
done = re.search(r"deleted (\d+) artifact\(s\) and (\d+) blob\(s\)", text)
removed = re.search(r"(\d+) blob file\(s\) removed", text)
if not (total and done and removed):
    sys.exit(f"no summary in the run's log: {text[-1000:]}")
stamp = lambda s: time.mktime(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))
json.dump({"seconds": float(total.group(1)), "blobs": int(done.group(2)),
           "files": int(removed.group(1)),
           "api_seconds": stamp(run["update_time"]) - stamp(run["creation_time"])}, open(out, "w"))
EOF
    touch "$WORK/stop"
    wait "$PUSH_PID" || true
    PUSH_PID=""
    log "FAILED: $(tail -c 1500 "$WORK/err")"
    record duration "GC run over $BLOBS blob records" "$TARGET_S" "" "$(show "${GC_CMD[@]}")" \
        "$(tail -c 1500 "$WORK/err")"
    FAILED=1
else
    touch "$WORK/stop"
    wait "$PUSH_PID" || true
    PUSH_PID=""
    gcf() { "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/gc.json" "$1"; }
    pushes=$(grep -c . "$WORK/pushes" || true)
    push_errors=$(grep -c fail "$WORK/pushes" || true)
    left=$(find "$WORK/data/blobs" -type f | wc -l)
    log "GC: $(gcf seconds) s (run times: $(gcf api_seconds) s), $(gcf blobs) blobs deleted, \
$(gcf files) files removed; $pushes pushes, $push_errors failed; $left blob files left"
    record duration "GC run over $BLOBS blob records ($GARBAGE garbage), its log's total time (s)" \
        "$TARGET_S" "$(gcf seconds)" "$(show "${GC_CMD[@]}"); GET /system/gc/<id>/log: Total time"
    record api_duration "the same run: update_time - creation_time of GET /system/gc/<id> (s)" \
        "" "$(gcf api_seconds)" "GET /system/gc/<id>"
    record blobs_deleted "blobs deleted (its log)" "" "$(gcf blobs)" "GET /system/gc/<id>/log"
    record files_removed "blob files removed from storage (its log)" "" "$(gcf files)" \
        "GET /system/gc/<id>/log"
    record pushes "pushes during the run (one after the other)" "" "$pushes" \
        "$(show "${PUSH_CMD[@]}") in a loop"
    err=""
    [ "$push_errors" = 0 ] || err="$(tail -c 1000 "$WORK/push.err")"
    record push_errors "failed pushes during the run" 0 "$push_errors" \
        "$(show "${PUSH_CMD[@]}") in a loop" "$err"
    # what is left on disk: the pre-pushed image and the pushed ones, no garbage file
    gone=$("$PY" - "$WORK/data/blobs/sha256" "$GARBAGE" <<'EOF'
import hashlib, os, sys
root, n = sys.argv[1], int(sys.argv[2])
hexes = (hashlib.sha256(f"garbage-{j}".encode()).hexdigest() for j in range(n))
print(sum(os.path.exists(os.path.join(root, h[:2], h)) for h in hexes))
EOF
)
    err=""
    [ "$gone" = 0 ] || err="$gone garbage files are still there"
    [ "$(gcf files)" = "$GARBAGE" ] || err="$(gcf files) files removed, $GARBAGE expected"
    record garbage_left "garbage files left on disk" 0 \
        "$gone" "test -e \$WORK/data/blobs/sha256/<xx>/<hex>" "$err"
    [ -z "$err" ] || FAILED=1
    [ "$push_errors" = 0 ] || FAILED=1
    last=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["digest"])' "$WORK/last-ok.json")
    err=""
    pulls library/gcbench-pre "$PRE" 2>"$WORK/err" || err="library/gcbench-pre: $(tail -c 500 "$WORK/err")"
    pulls library/gcbench-push "$last" 2>"$WORK/err" || err+="library/gcbench-push: $(tail -c 500 "$WORK/err")"
    record live_pulls "live images that pull with every blob intact, of 2 (pushed before; last pushed)" \
        "" "$([ -z "$err" ] && echo 2 || echo 0)" "GET /v2/<repo>/manifests/<digest>, /blobs/<digest>" "$err"
    [ -z "$err" ] || FAILED=1
fi

if ! kill -0 "$HAVEN_PID" 2>/dev/null; then
    log "havend died during the run: $(tail -20 "$WORK/havend.log")"
    FAILED=1
fi

# ---------------------------------------------------------------- report (alone)

if [ "$STANDALONE" = 1 ]; then
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    cp "$GC_RESULTS" "$ROOT/bench/results/$stamp-gc.jsonl"
    "$PY" - "$ROOT/bench" "$GC_RESULTS" >"$ROOT/bench/results/$stamp-gc.md" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import report  # noqa: E402

print(report.gc_markdown(sys.argv[2]), end="")
EOF
    log "wrote bench/results/$stamp-gc.md"
fi
exit "$FAILED"
