#!/usr/bin/env bash
# Haven's benchmarks: one run measures Haven and Debian's docker-registry (distribution 2.8) side
# by side, on this machine, with the same clients, and writes
#   bench/results/<UTC timestamp>.md   the full report of this run (gitignored)
#   BENCHMARKS.md                      the same report, committed (only from a full-size run)
#
# How it works: both servers start on free loopback ports with data dirs in one scratch dir
# under build/ (the repository's disk).  Each benchmark runs against Haven, then against
# docker-registry, and appends one JSON line per figure to $WORK/results.jsonl (value, samples,
# the exact command); bench/report.py turns those lines into the report.  The request-rate
# benchmarks are wrk runs of bench/*.lua scripts (anonymous, Basic and bearer manifest GETs, the
# token service), each followed by a wait until the server is idle again; docker-registry's
# Basic figure comes from a second instance with htpasswd auth.  Section 7 runs the anonymous
# GET again, alone and while a second load runs beside it (a burst of logins: wrk with
# bench/login.lua; large pushes: client.py processes), for each server's p99 under load.
# A benchmark whose
# command fails is recorded as failed with the error, and the run goes on; the exit status is
# then 1.  Everything the run starts is killed by the EXIT trap.
#
# Knobs for a quick try (a run with any of them changed does not touch BENCHMARKS.md):
#   BENCH_BLOB_MIB (1024)  size of the big blob     BENCH_WRK_SECONDS (15)  wrk duration
#   BENCH_REPS (3)         best-of-N repetitions    BENCH_LAYERS (50)       layers of the image
#   (section 7's wrk runs last 2/3 of BENCH_WRK_SECONDS, at least 2 s)
#   HAVEND                 the daemon to measure (default build/release/havend)
# The last sections are scripts of their own, runnable alone: bench/scale.sh (the scale
# benchmark), bench/gc.sh (garbage collection; GC_BLOBS=50000 bench/gc.sh for a quick try),
# bench/scan.sh and bench/vulndb.sh (the scanner; SCAN_MB=20, VULNDB_RECORDS=10000 shrink them).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
CLIENT="$ROOT/bench/client.py"
HAVEND=${HAVEND:-$ROOT/build/release/havend}
BLOB_MIB=${BENCH_BLOB_MIB:-1024}
WRK_SECONDS=${BENCH_WRK_SECONDS:-15}
REPS=${BENCH_REPS:-3}
LAYERS=${BENCH_LAYERS:-50}
CHUNK=$((64 << 20))
# Section 7 (manifest GETs under load): each condition's wrk run is LOAD_SECONDS long (10 at
# full size); the logins come from LOGIN_CONNS connections, by LOGIN_USERS users on Haven (200
# per second of login load, more than it checked on 2 CPUs, so that no login meets its
# credential cache) and DR_LOGIN_USERS on docker-registry (which has no such cache); PUSHERS pushes run
# side by side, each of at most PUSH_REPS blobs (more than fit in the window at 200 MB/s each).
LOAD_SECONDS=$((WRK_SECONDS * 2 / 3))
[ "$LOAD_SECONDS" -ge 2 ] || LOAD_SECONDS=2
LOGIN_CONNS=16
LOGIN_USERS=$((200 * (LOAD_SECONDS + 2)))
DR_LOGIN_USERS=64
PUSHERS=3
PUSH_REPS=$(((LOAD_SECONDS + 3) * 200 / BLOB_MIB + 1))
FULL=1
[ "$BLOB_MIB" = 1024 ] && [ "$WRK_SECONDS" = 15 ] && [ "$REPS" = 3 ] && [ "$LAYERS" = 50 ] ||
    FULL=0
READY_TRIES=200 # x 0.1 s

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in wrk docker-registry htpasswd skopeo curl jq openssl dd df awk; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/deps.sh bench"
done
[ -x "$PY" ] || die "$PY is missing"
[ -x "$HAVEND" ] || die "$HAVEND is missing: run make build"

mkdir -p "$ROOT/build" "$ROOT/bench/results"
WORK=$(mktemp -d "$ROOT/build/bench.XXXXXX")
RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
PIDS=()
HAVEN_PID="" DR_PID=""
PG_PID="" PG_HOLD_PID=""
FAILED=0

# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
    local pid
    if [ -n "$PG_HOLD_PID" ]; then # pgcluster.py stops its cluster once its command ends
        kill "$PG_HOLD_PID" 2>/dev/null || true
        wait "$PG_PID" 2>/dev/null || true
    fi
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Room for: the big blob file, the dd file, the pull blob, 2*REPS pushed blobs and the pushes of
# section 7 in each registry, plus the image layouts, their pushed and pulled copies and some
# slack.
need_mib=$((BLOB_MIB * (2 + 2 * (1 + 2 * REPS + PUSHERS * PUSH_REPS)) + 4096))
have_mib=$(df -Pm "$WORK" | awk 'NR==2 {print $4}')
[ "$have_mib" -ge "$need_mib" ] || die "$WORK has ${have_mib} MiB free, the run needs ${need_mib}"

# ---------------------------------------------------------------- recording

# The command as a shell line, with the scratch dir shown as $WORK and the checkout as `.`.
show() {
    local out="" a
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
            out+="$a "
        else
            out+="'${a//\'/\'\\\'\'}' "
        fi
    done
    out=${out% }
    # shellcheck disable=SC2016 # a literal $WORK is the point
    out=${out//"$WORK"/'$WORK'}
    printf '%s' "${out//"$ROOT"/.}"
}

# record KEY SERVER VALUE SAMPLES COMMAND [ERROR [TEXT]]: one figure (SAMPLES: JSON list or "").
record() {
    "$PY" - "$@" >>"$RESULTS" <<'EOF'
import json, sys
key, server, value, samples, command = sys.argv[1:6]
error, text = (sys.argv[6:] + ["", ""])[:2]
print(json.dumps({"key": key, "server": server,
                  "value": float(value) if value else None,
                  "samples": json.loads(samples) if samples else [],
                  "command": command, "error": error, "text": text}))
EOF
}

# fail KEY SERVER COMMAND ERRFILE: a figure that could not be measured.
fail() {
    local err
    err=$(tail -c 1500 "$4" 2>/dev/null || true)
    log "FAILED $1 on $2: $err"
    record "$1" "$2" "" "" "$3" "${err:-failed}"
    FAILED=1
}

# fact KEY TEXT COMMAND: a fact about the machine or the run.
fact() { record "$1" machine "" "" "$3" "" "$2"; }

# best higher|lower V...: the best of the samples; samples: the JSON list.
best() {
    local dir=$1
    shift
    printf '%s\n' "$@" | sort -g | if [ "$dir" = higher ]; then tail -1; else head -1; fi
}
samples() { local IFS=,; printf '[%s]' "$*"; }

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

now() { printf '%s' "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }

# ---------------------------------------------------------------- servers

# wait_ready NAME PID URL LOGFILE: until URL/v2/ answers; else the reason goes to $WORK/err.
wait_ready() {
    local i
    for ((i = 0; i < READY_TRIES; i++)); do
        if ! kill -0 "$2" 2>/dev/null; then
            echo "$1 exited at start: $(tail -20 "$4")" >"$WORK/err"
            return 1
        fi
        if curl -s -o /dev/null --max-time 1 "$3/v2/"; then
            return 0
        fi
        sleep 0.1
    done
    echo "$1 did not answer $3/v2/ within $((READY_TRIES / 10)) s: $(tail -20 "$4")" >"$WORK/err"
    return 1
}

# reap PID: waits for a process this run started to end, and forgets it; REAPED is its status.
reap() {
    local p=$1 q keep=()
    REAPED=0
    wait "$p" 2>/dev/null || REAPED=$?
    for q in "${PIDS[@]}"; do
        [ "$q" = "$p" ] || keep+=("$q")
    done
    PIDS=("${keep[@]}")
}

# stop PID: ends a process this run started, and forgets it.
stop() {
    kill "$1" 2>/dev/null || true
    reap "$1"
}

alive() { kill -0 "$1" 2>/dev/null; }

status_kib() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

# CPU time (user + system, all threads) a process has used so far, in clock ticks.
HZ=$(getconf CLK_TCK)
cpu_ticks() { { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null || true; } | awk '{t = $12 + $13} END {print t + 0}'; }
# per_unit TICKS0 TICKS1 UNITS SCALE: the CPU seconds between two readings per unit, times SCALE.
per_unit() { awk -v a="$1" -v b="$2" -v n="$3" -v k="$4" -v hz="$HZ" 'BEGIN {printf "%.4f", (b - a) / hz / n * k}'; }
CPU_CMD="server CPU: utime + stime of /proc/\$pid/stat before and after"

PW=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
HAVEN_PORT=$(free_port)
HAVEN_URL="http://127.0.0.1:$HAVEN_PORT"
HAVEN_CMD=(env HAVEN_ADMIN_PASSWORD="$PW" HAVEN_LOG_LEVEL=warn
           "$HAVEND" --listen "127.0.0.1:$HAVEN_PORT" --data "$WORK/haven-data")
log "starting havend on $HAVEN_URL"
"${HAVEN_CMD[@]}" >"$WORK/havend.log" 2>&1 &
HAVEN_PID=$!
PIDS+=("$HAVEN_PID")
wait_ready havend "$HAVEN_PID" "$HAVEN_URL" "$WORK/havend.log" || die "$(cat "$WORK/err")"

# start_registry INSTANCE [YAML [STORAGE]]: a docker-registry on a free port with its config,
# data dir and log named after INSTANCE in $WORK, YAML appended to its config, STORAGE its storage
# driver's line (default: the filesystem, in $WORK); sets REG_URL and REG_PID, and returns 1 (the
# reason in $WORK/err) if it does not answer.
start_registry() {
    local inst=$1 port storage=${3:-}
    [ -n "$storage" ] || storage="filesystem: {rootdirectory: $WORK/$inst-data}"
    port=$(free_port)
    REG_URL="http://127.0.0.1:$port"
    cat >"$WORK/$inst.yml" <<EOF
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage:
  $storage
  delete: {enabled: true}
  cache: {blobdescriptor: inmemory}
http: {addr: 127.0.0.1:$port}
${2:-}
EOF
    log "starting docker-registry ($inst) on $REG_URL"
    # its S3 driver (the AWS SDK) panics on an AWS_CA_BUNDLE of the environment, which a plain
    # http endpoint does not need
    env -u AWS_CA_BUNDLE docker-registry serve "$WORK/$inst.yml" >"$WORK/$inst.log" 2>&1 &
    REG_PID=$!
    PIDS+=("$REG_PID")
    wait_ready "docker-registry ($inst)" "$REG_PID" "$REG_URL" "$WORK/$inst.log"
}

start_registry registry || die "$(cat "$WORK/err")"
DR_URL=$REG_URL DR_PID=$REG_PID

sleep 1 # let both finish their start-up work before the idle figure
record rss_idle haven "$(status_kib "$HAVEN_PID" VmRSS)" "" \
    "$(show "${HAVEN_CMD[@]}"); awk '/^VmRSS/' /proc/\$pid/status (1 s after /v2/ answers)"
record rss_idle registry "$(status_kib "$DR_PID" VmRSS)" "" \
    "$(show docker-registry serve "$WORK/registry.yml"); awk '/^VmRSS/' /proc/\$pid/status (1 s after /v2/ answers)"
# Where the idle RSS is: the largest mappings, by file (or [heap], [anon], ...).
top_maps() {
    "$PY" - "$1" <<'EOF'
import collections, os, sys
rss, name = collections.Counter(), None
for line in open(f"/proc/{sys.argv[1]}/smaps"):
    f = line.split()
    if f[0].endswith(":"):
        if f[0] == "Rss:":
            rss[name] += int(f[1])
    else:
        name = os.path.basename(f[5]) if len(f) > 5 else "[anon]"
print(", ".join(f"{n} {kib / 1024:.2f}" for n, kib in rss.most_common() if kib >= 40))
EOF
}
record rss_idle_maps haven "" "" "per-mapping Rss of /proc/\$pid/smaps, MiB" "" "$(top_maps "$HAVEN_PID")"
record rss_idle_maps registry "" "" "per-mapping Rss of /proc/\$pid/smaps, MiB" "" "$(top_maps "$DR_PID")"
record rss_start_hwm haven "$(status_kib "$HAVEN_PID" VmHWM)" "" \
    "awk '/^VmHWM/' /proc/\$pid/status (1 s after /v2/ answers)"
record rss_start_hwm registry "$(status_kib "$DR_PID" VmHWM)" "" \
    "awk '/^VmHWM/' /proc/\$pid/status (1 s after /v2/ answers)"
for f in RssAnon RssFile; do
    record "rss_idle_${f#Rss}" haven "$(status_kib "$HAVEN_PID" "$f")" "" "awk '/^$f/' /proc/\$pid/status"
    record "rss_idle_${f#Rss}" registry "$(status_kib "$DR_PID" "$f")" "" "awk '/^$f/' /proc/\$pid/status"
done

# Per server: name, base URL, client.py auth flags, skopeo auth flags (dest / src).
SERVERS=(haven registry)
declare -A URL=([haven]=$HAVEN_URL [registry]=$DR_URL)
declare -A PID=([haven]=$HAVEN_PID [registry]=$DR_PID)
declare -A LOGF=([haven]=$WORK/havend.log [registry]=$WORK/registry.log)
declare -A USERARG=([haven]="--user admin:$PW" [registry]="")
declare -A DESTCREDS=([haven]="--dest-creds admin:$PW" [registry]="")

# A server that died mid-run fails every later figure on it; note it once, with its log.
check_alive() {
    local s=$1
    alive "${PID[$s]}" && return 0
    log "$s is not running any more; its log ends with: $(tail -20 "${LOGF[$s]}")"
    return 1
}

# ---------------------------------------------------------------- machine facts

log "machine facts"
fact nproc "$(nproc)" "nproc"
fact cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
    "awk -F': ' '/^model name/ {print \$2; exit}' /proc/cpuinfo"
fact memory "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)" \
    "awk '/^MemTotal/' /proc/meminfo"
fact kernel "$(uname -r)" "uname -r"
fact filesystem "$(df -PTh "$WORK" | awk 'NR==2 {print $1 " (" $2 "), " $5 " free"}')" \
    "df -PTh \$WORK"
fact havend "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(
    [ -n "$(git -C "$ROOT" status --porcelain -- src CMakeLists.txt 2>/dev/null)" ] &&
        echo ' + uncommitted changes in src/')" "git rev-parse --short HEAD"
fact registry_version "$(docker-registry --version | awk '{print $2, $3}')" "docker-registry --version"
fact clients "$(wrk --version 2>&1 | awk 'NR==1 {print $1, $2}'), $(curl --version |
    awk 'NR==1 {print $1, $2}'), $(skopeo --version), Python $("$PY" -c 'import sys; print(sys.version.split()[0])')" \
    "wrk --version; curl --version; skopeo --version"

cmd=(openssl speed -seconds 2 sha256)
sha=$("${cmd[@]}" 2>/dev/null | awk '$1 == "sha256" {sub(/k$/, "", $6); printf "%.0f", $6 / 1000}')
fact sha256 "${sha} MB/s" "$(show "${cmd[@]}") (8192-byte column)"

cmd=(openssl speed -seconds 2 rsa2048)
rsa=$("${cmd[@]}" 2>/dev/null |
    awk '$1 == "rsa" && $2 == 2048 {printf "%.0f sign/s, %.0f verify/s", $(NF - 1), $NF}')
fact rsa2048 "$rsa" "$(show "${cmd[@]}")"

cmd=(dd if=/dev/zero of="$WORK/dd.bin" bs=1M count=1024 conv=fsync)
ddout=$("${cmd[@]}" 2>&1 | tail -1)
rm -f "$WORK/dd.bin"
fact disk "$(awk '{printf "%.0f MB/s", $1 / $(NF - 3) / 1e6}' <<<"$ddout")" "$(show "${cmd[@]}")"

log "generating a ${BLOB_MIB} MiB random blob and $REPS ${LAYERS}-layer OCI layouts"
BIG="$WORK/big.bin"
head -c "$((BLOB_MIB << 20))" /dev/urandom >"$BIG"
# One image per repetition (seed = repetition): Haven shares blobs across the repositories of a
# project, so pushing the same layers again, even to a new repository, would upload nothing.
for ((rep = 1; rep <= REPS; rep++)); do
    cmd=("$PY" "$CLIENT" layout "$WORK/layout-$rep" --layers "$LAYERS" --seed "$rep")
    "${cmd[@]}" >"$WORK/layout-$rep.json"
done
layout_mb=$("$PY" -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["layer_bytes"] / 1e6))' "$WORK/layout-1.json")
fact image "$LAYERS layers of 1-4 MiB random data (gzip -1 tars), $layout_mb MB in all (seed 1)" \
    "$(show "${cmd[@]}") (--seed 1 to $REPS)"

# Loopback ceiling: the same curl download as the blob pull, from a server that only sendfile()s.
"$PY" "$CLIENT" serve-file "$BIG" --count "$REPS" >"$WORK/serve.port" 2>"$WORK/serve.err" &
PIDS+=($!)
for ((i = 0; i < 50; i++)); do [ -s "$WORK/serve.port" ] && break; sleep 0.1; done
lport=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["port"])' "$WORK/serve.port")
cmd=(curl -s --max-time 300 -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$lport/big.bin")
vals=()
for ((i = 0; i < REPS; i++)); do vals+=("$("${cmd[@]}")"); done
fact loopback "$(awk -v v="$(best higher "${vals[@]}")" 'BEGIN {printf "%.0f MB/s", v / 1e6}')" \
    "$(show "$PY" "$CLIENT" serve-file "$BIG") & $(show "${cmd[@]}") (best of $REPS)"

# ---------------------------------------------------------------- wrk benchmarks (1 to 3)

OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
WRK=(wrk -t2 -c32 "-d${WRK_SECONDS}s" --latency)

# check_get WANT WHAT CURL-ARGS...: one request, whose "<status> <content type>" must be WANT (or
# whose status must be, when WANT is a bare status); otherwise WHAT and the answer go to
# $WORK/err and it returns 1.
check_get() {
    local want=$1 what=$2 got
    shift 2
    got=$(curl -s --max-time 10 -o /dev/null -w '%{http_code} %{content_type}' "$@" || true)
    if [ "$got" = "$want" ] || [ "${got%% *}" = "$want" ]; then
        return 0
    fi
    echo "$what -> ${got:-no answer} (expected $want)" >"$WORK/err"
    return 1
}

# anon_pull SERVER REPO: what an anonymous client of SERVER sends to pull from REPO, into
# ANON_HDR (curl/wrk header arguments), ANON_ENV (wrk's environment), ANON_LUA (the wrk script
# suffix) and ANON_SHOWN (how the token was taken, for the report).  Haven, like Harbor,
# challenges every request that has no Authorization header, public project or not, so an
# anonymous client (docker, podman, skopeo, containerd) first takes an anonymous pull token
# from /service/token and sends it; docker-registry runs without authentication.  Returns 1,
# with the reason in $WORK/err, when no token comes.
anon_pull() {
    local turl tok
    ANON_HDR=() ANON_ENV=() ANON_LUA="" ANON_SHOWN="" ANON_TOKEN=""
    case $1 in haven*) ;; *) return 0 ;; esac
    turl="${URL[$1]}/service/token?service=harbor-registry&scope=repository:$2:pull"
    tok=$(curl -s --max-time 10 "$turl" | jq -r '.token // empty' 2>/dev/null || true)
    if [ -z "$tok" ]; then
        echo "GET $turl (anonymous) -> no token" >"$WORK/err"
        return 1
    fi
    ANON_TOKEN=$tok
    ANON_HDR=(-H "Authorization: Bearer $tok")
    ANON_ENV=("BENCH_TOKEN=$tok")
    ANON_LUA=_bearer
    ANON_SHOWN="BENCH_TOKEN=\$($(show curl -s --max-time 10 "$turl") | jq -r .token) "
}

# show_anon ARGS...: show, with the anonymous token written as $BENCH_TOKEN after how it was taken.
show_anon() {
    local out
    out=$(show "$@")
    [ -z "$ANON_TOKEN" ] || out=${out//"$ANON_TOKEN"/'$BENCH_TOKEN'}
    printf '%s%s' "$ANON_SHOWN" "$out"
}

# Work a benchmark leaves behind must not run into the next one (Haven writes an audit row for
# each pull after it has answered it).  settle INSTANCE: waits until the server uses less than 2%
# of a CPU over a second, for at most SETTLE_MAX s; SETTLED is how long that took (to the start
# of the quiet second), and it returns 1 if it gave up.
SETTLE_MAX=240
SETTLE_CMD="until the server used < 2% of a CPU over 1 s (/proc/\$pid/stat), after the wrk run"
settle() {
    local t0 t c0 c1
    t0=$(now)
    while :; do
        t=$(now)
        c0=$(cpu_ticks "${PID[$1]}")
        sleep 1
        c1=$(cpu_ticks "${PID[$1]}")
        SETTLED=$(elapsed "$t0" "$t")
        [ $((c1 - c0)) -gt $((HZ / 50)) ] || return 0
        [ "${SETTLED%.*}" -lt "$SETTLE_MAX" ] || return 1
    done
}

# Haven keeps a successful Basic check for 60 s from the check that missed its cache
# (CACHE_TTL_MS in src/auth/auth.c); LOGIN_AT is when that last happened, as far as this run's
# own requests tell (whole seconds, hence a margin).  basic_sent: just before a Basic request to
# Haven.  fresh_login: before the check that precedes a Basic wrk run, so that it misses and the
# run finds the cache warm throughout.
LOGIN_TTL=60 LOGIN_AT=0
basic_sent() {
    if [ "$EPOCHSECONDS" -ge $((LOGIN_AT + LOGIN_TTL)) ]; then
        LOGIN_AT=$EPOCHSECONDS
    fi
}
fresh_login() {
    local wait=$((LOGIN_AT + LOGIN_TTL + 2 - EPOCHSECONDS))
    if [ "$wait" -gt 0 ]; then
        log "waiting ${wait} s for Haven's credential cache to expire"
        sleep "$wait"
    fi
    LOGIN_AT=$EPOCHSECONDS
}

# wrk_fail KEY SERVER SHOWN: a wrk benchmark that could not be measured (the reason in $WORK/err).
wrk_fail() {
    fail "$1_rps" "$2" "$3" "$WORK/err"
    fail "$1_p99" "$2" "$3" "$WORK/err"
}

# wrk_figs FILE: "requests/s p99 p50 requests" (ms) from the BENCH line of a wrk run's output
# (bench/wrk_common.lua), or nothing if the run had no requests or any bad answer or error.
wrk_figs() {
    "$PY" -c 'import json, sys
d = json.loads(sys.argv[1] or "{}")
bad = sum(d.get(k, 1) for k in ("bad_responses", "status_errors", "connect_errors",
                                "read_errors", "write_errors", "timeouts"))
if d.get("requests") and not bad:
    print(d["requests"] / (d["duration_us"] / 1e6), d["p99_us"] / 1000, d["p50_us"] / 1000,
          d["requests"])' "$(sed -n 's/^BENCH //p' "$1")"
}

# wrk_run KEY SERVER INSTANCE SHOWN CMD...: runs CMD, wrk with a bench/*.lua script, against the
# process INSTANCE (haven, registry, registry-auth) and records as SERVER's KEY_rps, KEY_p99,
# KEY_p50, KEY_cpu (the server's CPU per request) and KEY_busy (how long it kept working after
# the run; the next benchmark starts after that).  Any answer the script counts as bad (every
# non-2xx, see bench/wrk_common.lua), any socket error or a server that died fails the figures.
# SHOWN is the command as the report shows it.
wrk_run() {
    local key=$1 s=$2 inst=$3 shown=$4 out c0 c1 figs rps p99 p50 nreq settled=1
    shift 4
    out="$WORK/wrk-$key-$s.txt"
    c0=$(cpu_ticks "${PID[$inst]}")
    "$@" >"$out" 2>&1 || true
    c1=$(cpu_ticks "${PID[$inst]}")
    WRK_END=$(now)
    settle "$inst" || settled=0
    figs=$(wrk_figs "$out")
    if [ -z "$figs" ] || ! check_alive "$inst"; then
        cp "$out" "$WORK/err"
        wrk_fail "$key" "$s" "$shown"
        return 1
    fi
    read -r rps p99 p50 nreq <<<"$figs"
    record "${key}_rps" "$s" "$rps" "" "$shown"
    record "${key}_p99" "$s" "$p99" "" "$shown"
    record "${key}_p50" "$s" "$p50" "" "$shown"
    record "${key}_cpu" "$s" "$(per_unit "$c0" "$c1" "$nreq" 1e6)" "" "$CPU_CMD the wrk run"
    if [ "$settled" = 1 ]; then
        record "${key}_busy" "$s" "$SETTLED" "" "$SETTLE_CMD"
    else
        record "${key}_busy" "$s" "$SETTLED" "" "$SETTLE_CMD" "" "gave up waiting"
    fi
}

# ---------------------------------------------------------------- 1. manifest GET by tag

log "1. manifest GET by tag (wrk, ${WRK_SECONDS} s each)"
for s in "${SERVERS[@]}"; do
    url="${URL[$s]}/v2/library/bench/manifests/latest"
    if [ "$s" = haven ]; then
        basic_sent # the push logs in
    fi
    # shellcheck disable=SC2086
    if ! "$PY" "$CLIENT" image "${URL[$s]}" library/bench latest ${USERARG[$s]} \
            >"$WORK/image-$s.json" 2>"$WORK/err" || ! anon_pull "$s" library/bench; then
        wrk_fail manifest "$s" "$(show "${WRK[@]}" -s "$ROOT/bench/manifest.lua" "$url")"
        continue
    fi
    cmd=("${WRK[@]}" -s "$ROOT/bench/manifest$ANON_LUA.lua" "$url")
    shown="$ANON_SHOWN$(show "${cmd[@]}")"
    if ! check_get "200 $OCI_MANIFEST" "GET $url with Accept: OCI manifest" \
            -H "Accept: $OCI_MANIFEST" "${ANON_HDR[@]}" "$url"; then
        wrk_fail manifest "$s" "$shown"
        continue
    fi
    wrk_run manifest "$s" "$s" "$shown" env "${ANON_ENV[@]}" "${cmd[@]}" || true
done

# ---------------------------------------------------------------- 2. manifest GET with credentials

# The same GET with credentials, checked on every request.  Haven: admin's registry token
# (fetched once, for pull on library/bench), then admin's Basic credentials.  docker-registry
# has no token service: a second instance with htpasswd auth (bcrypt, cost 5), the same image
# pushed to it, gives the Basic figure.  Before each run one request must answer 200 with the
# credentials and one 401 with wrong ones: Haven lets anyone pull from library, so a header it
# ignored would otherwise pass for a checked one.  Haven's Basic run measures the cached check a
# steady client gets (see fresh_login), not the argon2id of a cache miss; it comes after the
# bearer run so that the cache has expired by then and fresh_login seldom has to wait.
log "2. manifest GET by tag with credentials (wrk, ${WRK_SECONDS} s each)"
url="${URL[haven]}/v2/library/bench/manifests/latest"
accept=(-H "Accept: $OCI_MANIFEST")

token_url="${URL[haven]}/service/token?service=harbor-registry&scope=repository:library/bench:pull"
tcmd=(curl -s --max-time 10 -u "admin:$PW" "$token_url")
shown="BENCH_TOKEN=\$($(show "${tcmd[@]}") | jq -r .token) $(show "${WRK[@]}" \
    -s "$ROOT/bench/manifest_bearer.lua" "$url")"
basic_sent
"${tcmd[@]}" >"$WORK/token.json" 2>&1 || true
token=$(jq -r '.token // empty' "$WORK/token.json" 2>/dev/null || true)
# the same token with other signature bits: RS256 signatures of 2048-bit keys end in A, Q, g or w
case $token in *AA) forged=${token%??}AQ ;; *) forged=${token%??}AA ;; esac
if [ -z "$token" ]; then
    echo "GET $token_url as admin -> $(head -c 600 "$WORK/token.json")" >"$WORK/err"
    wrk_fail manifest_bearer haven "$shown"
elif check_get "200 $OCI_MANIFEST" "GET $url with admin's token" "${accept[@]}" \
        -H "Authorization: Bearer $token" "$url" &&
    check_get 401 "GET $url with a forged token" "${accept[@]}" -H "Authorization: Bearer $forged" \
        "$url"; then
    wrk_run manifest_bearer haven haven "$shown" env "BENCH_TOKEN=$token" "${WRK[@]}" \
        -s "$ROOT/bench/manifest_bearer.lua" "$url" || true
else
    wrk_fail manifest_bearer haven "$shown"
fi

shown="BENCH_USER=admin:$PW $(show "${WRK[@]}" -s "$ROOT/bench/manifest_basic.lua" "$url")"
fresh_login
login_at=$(now)
if check_get "200 $OCI_MANIFEST" "GET $url as admin (Basic)" "${accept[@]}" -u "admin:$PW" "$url" &&
    check_get 401 "GET $url with a wrong password (Basic)" "${accept[@]}" -u "admin:x$PW" \
        "$url"; then
    wrk_run manifest_basic haven haven "$shown" env "BENCH_USER=admin:$PW" "${WRK[@]}" \
        -s "$ROOT/bench/manifest_basic.lua" "$url" || true
    fact login_age_manifest_basic "$(elapsed "$login_at" "$WRK_END")" \
        "seconds from the login that filled Haven's credential cache to the end of the run"
else
    wrk_fail manifest_basic haven "$shown"
fi

DR_USER=bench
DR_PW=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
hcmd=(htpasswd -B -C 5 -b -c "$WORK/htpasswd" "$DR_USER" "$DR_PW")
auth_yml="auth: {htpasswd: {realm: basic-realm, path: $WORK/htpasswd}}"
# shellcheck disable=SC2016 # a literal $WORK is the point
fact registry_auth "${auth_yml//"$WORK"/'$WORK'}" "$(show "${hcmd[@]}")"
shown_dr="BENCH_USER=$DR_USER:$DR_PW $(show "${WRK[@]}" -s "$ROOT/bench/manifest_basic.lua" \
    "<docker-registry with htpasswd>/v2/library/bench/manifests/latest")"
if "${hcmd[@]}" >"$WORK/err" 2>&1 && start_registry registry-auth "$auth_yml"; then
    URL[registry-auth]=$REG_URL PID[registry-auth]=$REG_PID
    LOGF[registry-auth]=$WORK/registry-auth.log
    url="$REG_URL/v2/library/bench/manifests/latest"
    shown_dr="BENCH_USER=$DR_USER:$DR_PW $(show "${WRK[@]}" \
        -s "$ROOT/bench/manifest_basic.lua" "$url")"
    if "$PY" "$CLIENT" image "$REG_URL" library/bench latest --user "$DR_USER:$DR_PW" \
            >"$WORK/image-registry-auth.json" 2>"$WORK/err" &&
        check_get "200 $OCI_MANIFEST" "GET $url as $DR_USER (Basic)" "${accept[@]}" \
            -u "$DR_USER:$DR_PW" "$url" &&
        check_get 401 "GET $url with a wrong password (Basic)" "${accept[@]}" \
            -u "$DR_USER:x$DR_PW" "$url"; then
        wrk_run manifest_basic registry registry-auth "$shown_dr" env "BENCH_USER=$DR_USER:$DR_PW" \
            "${WRK[@]}" -s "$ROOT/bench/manifest_basic.lua" "$url" || true
    else
        wrk_fail manifest_basic registry "$shown_dr"
    fi
    stop "$REG_PID"
else
    wrk_fail manifest_basic registry "$shown_dr"
fi

# ---------------------------------------------------------------- 3. token service

# Haven only (docker-registry has no token service).  With admin's Basic credentials, the run
# finds the credential cache warm throughout, as in section 2 (and goes last for the same reason).
log "3. /service/token (wrk, ${WRK_SECONDS} s each, Haven only)"
for who in anon basic; do
    cmd=("${WRK[@]}" -s "$ROOT/bench/token.lua" "$token_url")
    creds=()
    if [ "$who" = basic ]; then
        fresh_login
        login_at=$(now)
        creds=(-u "admin:$PW")
        shown="BENCH_USER=admin:$PW $(show "${cmd[@]}")"
        cmd=(env "BENCH_USER=admin:$PW" "${cmd[@]}")
    else
        shown=$(show "${cmd[@]}")
    fi
    if check_get 200 "GET $token_url${creds:+ as admin}" "${creds[@]}" "$token_url"; then
        wrk_run "token_$who" haven haven "$shown" "${cmd[@]}" || true
        if [ "$who" = basic ]; then
            fact login_age_token_basic "$(elapsed "$login_at" "$WRK_END")" \
                "seconds from the login that filled Haven's credential cache to the end of the run"
        fi
    else
        wrk_fail "token_$who" haven "$shown"
    fi
done

# ---------------------------------------------------------------- 4. blob pull

log "4. ${BLOB_MIB} MiB blob pull (curl, best of $REPS)"
declare -A PULLDIGEST
for s in "${SERVERS[@]}"; do
    pcmd=("$PY" "$CLIENT" blob "${URL[$s]}" library/big "$BIG" --mode mono)
    # shellcheck disable=SC2206
    pcmd+=(${USERARG[$s]})
    if ! "${pcmd[@]}" >"$WORK/pullblob-$s.json" 2>"$WORK/err"; then
        fail pull_blob "$s" "$(show "${pcmd[@]}")" "$WORK/err"
        continue
    fi
    PULLDIGEST[$s]=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["digest"])' "$WORK/pullblob-$s.json")
done
# pull_of KEY SERVER INSTANCE DIGEST: REPS anonymous downloads of blob DIGEST of library/big from
# INSTANCE, recorded as SERVER's KEY (best MB/s) and KEY's server CPU per GiB (pull_cpu for
# pull_blob).
pull_of() {
    local key=$1 s=$2 inst=$3 digest=$4 vals=() bad="" c0 c1 code size speed
    if ! anon_pull "$inst" library/big; then
        fail "$key" "$s" "curl ${URL[$inst]}/v2/library/big/blobs/$digest" "$WORK/err"
        return
    fi
    cmd=(curl -s --max-time 300 -o /dev/null -w '%{http_code} %{size_download} %{speed_download}'
         "${ANON_HDR[@]}" "${URL[$inst]}/v2/library/big/blobs/$digest")
    c0=$(cpu_ticks "${PID[$inst]}")
    for ((i = 0; i < REPS; i++)); do
        read -r code size speed < <("${cmd[@]}" || true) || true # -w prints no newline
        if [ "$code" != 200 ] || [ "$size" != "$((BLOB_MIB << 20))" ]; then
            bad="GET ${URL[$inst]}/v2/library/big/blobs/$digest -> HTTP $code, $size bytes"
            break
        fi
        vals+=("$(awk -v v="$speed" 'BEGIN {printf "%.1f", v / 1e6}')")
    done
    if [ -n "$bad" ] || ! check_alive "$inst"; then
        echo "${bad:-server died}" >"$WORK/err"
        fail "$key" "$s" "$(show_anon "${cmd[@]}")" "$WORK/err"
        return
    fi
    c1=$(cpu_ticks "${PID[$inst]}")
    record "$key" "$s" "$(best higher "${vals[@]}")" "$(samples "${vals[@]}")" "$(show_anon "${cmd[@]}")"
    record "${key%_blob}_cpu" "$s" "$(per_unit "$c0" "$c1" "$((REPS * BLOB_MIB))" 1024)" "" \
        "$CPU_CMD the $REPS downloads, per GiB"
}
for s in "${SERVERS[@]}"; do
    [ -z "${PULLDIGEST[$s]:-}" ] || pull_of pull_blob "$s" "$s" "${PULLDIGEST[$s]}"
done

# ---------------------------------------------------------------- 5. blob push

# push_of KEY SERVER INSTANCE MODE: REPS pushes of the big blob to INSTANCE (mono or chunked),
# recorded as SERVER's KEY (best MB/s) and KEY_cpu (server CPU per GiB).
push_of() {
    local key=$1 s=$2 inst=$3 mode=$4 c0 c1
    cmd=("$PY" "$CLIENT" blob "${URL[$inst]}" "library/push-$mode" "$BIG" --mode "$mode"
         --reps "$REPS")
    [ "$mode" = chunked ] && cmd+=(--chunk "$CHUNK")
    # shellcheck disable=SC2206
    cmd+=(${USERARG[$inst]})
    c0=$(cpu_ticks "${PID[$inst]}")
    if ! "${cmd[@]}" >"$WORK/$key-$inst.jsonl" 2>"$WORK/err" || ! check_alive "$inst"; then
        fail "$key" "$s" "$(show "${cmd[@]}")" "$WORK/err"
        return
    fi
    mapfile -t vals < <("$PY" -c 'import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    print(round(d["bytes"] / d["seconds"] / 1e6, 1))' "$WORK/$key-$inst.jsonl")
    c1=$(cpu_ticks "${PID[$inst]}")
    record "$key" "$s" "$(best higher "${vals[@]}")" "$(samples "${vals[@]}")" \
        "$(show "${cmd[@]}")"
    record "${key}_cpu" "$s" "$(per_unit "$c0" "$c1" "$((REPS * BLOB_MIB))" 1024)" "" \
        "$CPU_CMD the $REPS pushes, per GiB"
}
for mode in mono chunked; do
    log "5. ${BLOB_MIB} MiB $mode push (best of $REPS)"
    for s in "${SERVERS[@]}"; do
        push_of "push_$mode" "$s" "$s" "$mode"
    done
done

# ---------------------------------------------------------------- 6. skopeo copy

run_skopeo() { # ARGS...: time one skopeo copy; sets T_SECS and LAST_CMD, or returns 1
    local t0 t1
    LAST_CMD=$(show skopeo --command-timeout 300s copy -q "$@")
    t0=$(now)
    skopeo --command-timeout 300s copy -q "$@" >"$WORK/err" 2>&1 || return 1
    t1=$(now)
    T_SECS=$(elapsed "$t0" "$t1")
}

for what in push pull; do
    log "6. skopeo copy of the ${LAYERS}-layer image: $what (best of $REPS)"
    declare -A SK_VALS=() SK_CMD=() SK_BAD=() SK_CPU=()
    for ((rep = 1; rep <= REPS; rep++)); do
        for s in "${SERVERS[@]}"; do
            [ -z "${SK_BAD[$s]:-}" ] || continue
            port=${URL[$s]##*:}
            if [ "$what" = push ]; then
                # shellcheck disable=SC2206
                args=(--dest-tls-verify=false ${DESTCREDS[$s]} "oci:$WORK/layout-$rep:v1"
                      "docker://127.0.0.1:$port/library/fifty-$rep:v1")
            else
                args=(--src-tls-verify=false "docker://127.0.0.1:$port/library/fifty-$rep:v1"
                      "oci:$WORK/pulled-$s-$rep:v1")
            fi
            c0=$(cpu_ticks "${PID[$s]}")
            if run_skopeo "${args[@]}" && check_alive "$s"; then
                SK_VALS[$s]+="$T_SECS "
                SK_CPU[$s]=$(( ${SK_CPU[$s]:-0} + $(cpu_ticks "${PID[$s]}") - c0 ))
                SK_CMD[$s]=$LAST_CMD
            else
                SK_BAD[$s]=1
                fail "skopeo_$what" "$s" "$LAST_CMD" "$WORK/err"
            fi
            rm -rf "$WORK/pulled-$s-$rep"
        done
    done
    for s in "${SERVERS[@]}"; do
        [ -z "${SK_BAD[$s]:-}" ] || continue
        # shellcheck disable=SC2206
        vals=(${SK_VALS[$s]})
        record "skopeo_$what" "$s" "$(best lower "${vals[@]}")" "$(samples "${vals[@]}")" \
            "${SK_CMD[$s]}"
        record "skopeo_${what}_cpu" "$s" "$(per_unit 0 "${SK_CPU[$s]}" "$REPS" 1)" "" \
            "$CPU_CMD each copy, mean"
    done
    unset SK_VALS SK_CMD SK_BAD SK_CPU
done

# ---------------------------------------------------------------- 7. manifest GET under load

# The GET of section 1, anonymous, by fewer connections (wrk -c8), LOAD_SECONDS long, three times
# per server: alone, during a burst of logins, and during large pushes.  The load starts before
# the GET run and ends after it:
#   logins  a second wrk (-t1 -c$LOGIN_CONNS, bench/login.lua), started 1 s before the GET run
#           and 2 s longer.  Haven: GET /service/token with Basic credentials, as docker login
#           does, each request by the next of LOGIN_USERS users made for this (more users than
#           logins, so that every login is a full argon2id check, none a hit in Haven's 60-s
#           credential cache).  docker-registry checks bcrypt on every request, cached or not,
#           but cannot serve anonymous pulls and check passwords in one process: its logins
#           (GET /v2/ with Basic, DR_LOGIN_USERS htpasswd users in turn) go to a second instance
#           with htpasswd auth, which shares the CPUs with the GETs but not the process.
#   pushes  PUSHERS client.py processes pushing the big blob monolithically (--no-sync: the
#           server's own fsyncs only), one blob after another; once all have hashed the file
#           and 1 s has passed the GET run starts, and when it ends they are killed mid-push.
#           What they sent meanwhile (wchar of /proc/$pid/io: sendfile counts) gives their rate.
# Between conditions the load is gone, the page cache synced and the server settled.  A load
# that fails (a login not answered 200, a push that fails) fails that condition's figures.

# --timeout 30s: wrk leaves a request it gave up on (after 2 s by default) out of its latencies;
# a GET or a login that slow under load is a result, not an error.
WRK_LOAD=(wrk -t2 -c8 "-d${LOAD_SECONDS}s" --timeout 30s --latency)
LOGIN_PW=Bench1$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')
log "7. manifest GET under load (wrk -c8, ${LOAD_SECONDS} s alone, during logins, during pushes)"

# load_get COND SERVER: the GET run of condition COND (gcmd); LOAD_FIGS is wrk_figs of it.
load_get() {
    LOAD_OUT="$WORK/wrk-load_$1-$2.txt"
    "${gcmd[@]}" >"$LOAD_OUT" 2>&1 || true
    LOAD_FIGS=$(wrk_figs "$LOAD_OUT")
}

# load_record COND SERVER: records the figures of the last load_get, or fails them (the reason:
# the wrk output, or $WORK/err when a second argument ERR is given).
load_record() {
    local rps p99 p50
    if [ -n "${3:-}" ] || [ -z "$LOAD_FIGS" ] || ! check_alive "$2"; then
        [ -n "${3:-}" ] || cp "$LOAD_OUT" "$WORK/err"
        fail "load_$1_p99" "$2" "$gshown" "$WORK/err"
        fail "load_$1_p50" "$2" "$gshown" "$WORK/err"
        return 1
    fi
    read -r rps p99 p50 _ <<<"$LOAD_FIGS"
    record "load_$1_rps" "$2" "$rps" "" "$gshown"
    record "load_$1_p99" "$2" "$p99" "" "$gshown"
    record "load_$1_p50" "$2" "$p50" "" "$gshown"
}

load_settle() {
    settle "$1" || log "$1 still busy after ${SETTLED} s; going on"
}

wchar_sum() {
    local p t=0 w
    for p in "$@"; do
        w=$(awk '$1 == "wchar:" {print $2}' "/proc/$p/io" 2>/dev/null || true)
        t=$((t + ${w:-0}))
    done
    echo "$t"
}

# Haven's users, made before any measurement (each is one argon2id hash); docker-registry's,
# bcrypt at cost 5 as in section 2.  One more user than the burst uses checks beforehand that
# credentials are checked.  USERS_ERR[server]: why they could not be made.
declare -A USERS_ERR=([haven]="" [registry]="")
ucmd=("$PY" "$CLIENT" users "$HAVEN_URL" login "$LOGIN_PW" --count "$((LOGIN_USERS + 1))" --jobs 4
      --user "admin:$PW")
if "${ucmd[@]}" >"$WORK/users.json" 2>"$WORK/err"; then
    fact load_users "$((LOGIN_USERS + 1)) users (login-1 … login-$((LOGIN_USERS + 1))), made in $("$PY" -c \
        'import json, sys; print(round(json.load(open(sys.argv[1]))["seconds"], 1))' \
        "$WORK/users.json") s" "$(show "${ucmd[@]}")"
else
    USERS_ERR[haven]="$(show "${ucmd[@]}") -> $(tail -c 600 "$WORK/err")"
fi
for ((i = 1; i <= DR_LOGIN_USERS + 1; i++)); do
    hcmd=(htpasswd -B -C 5 -b "$WORK/htpasswd-logins" "login-$i" "$LOGIN_PW")
    [ "$i" -gt 1 ] || hcmd=(htpasswd -c "${hcmd[@]:1}")
    if ! "${hcmd[@]}" >"$WORK/err" 2>&1; then
        USERS_ERR[registry]="$(show "${hcmd[@]}") -> $(tail -c 600 "$WORK/err")"
        break
    fi
done
fact load_htpasswd "$((DR_LOGIN_USERS + 1)) users (login-1 … login-$((DR_LOGIN_USERS + 1)))" \
    "htpasswd [-c] -B -C 5 -b \$WORK/htpasswd-logins login-N $LOGIN_PW (N = 1 to $((DR_LOGIN_USERS + 1)))"

# pusher_cmd SERVER K: the command of the K-th push load process (PUSH_CMD).
pusher_cmd() {
    PUSH_CMD=("$PY" "$CLIENT" blob "${URL[$1]}" "library/load-$2" "$BIG" --mode mono
              --reps "$PUSH_REPS" --no-sync --ready "$WORK/ready-$1-$2")
    # shellcheck disable=SC2206
    PUSH_CMD+=(${USERARG[$1]})
}

for s in "${SERVERS[@]}"; do
    get_url="${URL[$s]}/v2/library/bench/manifests/latest"
    anon_pull "$s" library/bench || true
    gcmd=(env "${ANON_ENV[@]}" "${WRK_LOAD[@]}" -s "$ROOT/bench/manifest$ANON_LUA.lua" "$get_url")
    gshown="$ANON_SHOWN$(show "${WRK_LOAD[@]}" -s "$ROOT/bench/manifest$ANON_LUA.lua" "$get_url")"
    if ! check_alive "$s" || ! check_get "200 $OCI_MANIFEST" "GET $get_url with Accept: OCI manifest" \
            -H "Accept: $OCI_MANIFEST" "${ANON_HDR[@]}" "$get_url"; then
        for cond in idle logins pushes; do
            fail "load_${cond}_p99" "$s" "$gshown" "$WORK/err"
        done
        continue
    fi

    # a) alone
    load_get idle "$s"
    load_record idle "$s" || true
    load_settle "$s"

    # b) during a burst of logins
    lerr=${USERS_ERR[$s]} lpid="" lurl=""
    if [ "$s" = haven ]; then
        lurl=$token_url lusers=$LOGIN_USERS
    else
        lusers=$DR_LOGIN_USERS
        if [ -n "$lerr" ]; then
            :
        elif start_registry registry-login \
                "auth: {htpasswd: {realm: basic-realm, path: $WORK/htpasswd-logins}}"; then
            lurl="$REG_URL/v2/" lpid=$REG_PID
        else
            lerr=$(cat "$WORK/err")
        fi
    fi
    lcmd=(wrk -t1 "-c$LOGIN_CONNS" "-d$((LOAD_SECONDS + 2))s" --timeout 30s --latency
          -s "$ROOT/bench/login.lua" "$lurl")
    lenv=(BENCH_PREFIX=login "BENCH_USERS=$lusers" "BENCH_PASSWORD=$LOGIN_PW")
    lshown="${lenv[*]} $(show "${lcmd[@]}") (from 1 s before the GET run)"
    # the user after the burst's last checks that credentials are checked: refused with a wrong
    # password, then accepted (a success clears the failure)
    cu=login-$((lusers + 1))
    if [ -z "$lerr" ] &&
        ! { check_get 401 "GET $lurl as $cu with a wrong password" -u "$cu:x$LOGIN_PW" "$lurl" &&
            check_get 200 "GET $lurl as $cu" -u "$cu:$LOGIN_PW" "$lurl"; }; then
        lerr=$(cat "$WORK/err")
    fi
    if [ -n "$lerr" ]; then
        echo "$lerr" >"$WORK/err"
        fail load_logins_rate "$s" "$lshown" "$WORK/err"
        load_record logins "$s" err || true
    else
        env "${lenv[@]}" "${lcmd[@]}" >"$WORK/login-$s.txt" 2>&1 &
        wpid=$!
        PIDS+=("$wpid")
        sleep 1
        load_get logins "$s"
        reap "$wpid"
        lfigs=$(wrk_figs "$WORK/login-$s.txt")
        if [ -z "$lfigs" ]; then
            { echo "the login load failed:"; cat "$WORK/login-$s.txt"; } >"$WORK/err"
            fail load_logins_rate "$s" "$lshown" "$WORK/err"
            load_record logins "$s" err || true
        else
            read -r lrate lp99 _ ln <<<"$lfigs"
            record load_logins_rate "$s" "$lrate" "" "$lshown"
            record load_logins_login_p99 "$s" "$lp99" "" "$lshown"
            record load_logins_n "$s" "$ln" "" "$lshown"
            record load_logins_users "$s" "$lusers" "" "$lshown"
            load_record logins "$s" || true
        fi
    fi
    [ -z "$lpid" ] || stop "$lpid"
    load_settle "$s"

    # c) during large pushes
    rm -f "$WORK/ready-$s-"*
    ppids=() perr=""
    pusher_cmd "$s" 1
    pshown="$(show "${PUSH_CMD[@]}") & … (processes 1 to $PUSHERS side by side, each to library/load-<n> with its own ready file; killed when the GET run ends)"
    for ((k = 1; k <= PUSHERS; k++)); do
        pusher_cmd "$s" "$k"
        "${PUSH_CMD[@]}" >"$WORK/load-push-$s-$k.jsonl" 2>"$WORK/load-push-$s-$k.err" &
        ppids+=($!)
        PIDS+=($!)
    done
    for ((i = 0; i < 1200; i++)); do # hashing the file first: up to 120 s
        ready=0
        for ((k = 1; k <= PUSHERS; k++)); do
            [ -e "$WORK/ready-$s-$k" ] && ready=$((ready + 1))
            alive "${ppids[k - 1]}" || perr="push $k ended before the GET run: $(tail -c 600 \
                "$WORK/load-push-$s-$k.err")"
        done
        if [ "$ready" = "$PUSHERS" ] || [ -n "$perr" ]; then
            break
        fi
        sleep 0.1
    done
    [ "$ready" = "$PUSHERS" ] || perr=${perr:-"the pushes were not ready after 120 s"}
    if [ -z "$perr" ]; then
        sleep 1
        w0=$(wchar_sum "${ppids[@]}") t0=$(now)
        load_get pushes "$s"
        w1=$(wchar_sum "${ppids[@]}") t1=$(now)
    fi
    finished=0
    for ((k = 1; k <= PUSHERS; k++)); do
        if alive "${ppids[k - 1]}"; then
            stop "${ppids[k - 1]}"
        else
            reap "${ppids[k - 1]}"
            if [ "$REAPED" != 0 ]; then
                perr=${perr:-"push $k failed: $(tail -c 600 "$WORK/load-push-$s-$k.err")"}
            else
                finished=$((finished + 1))
            fi
        fi
    done
    if [ -n "$perr" ]; then
        echo "$perr" >"$WORK/err"
        fail load_pushes_rate "$s" "$pshown" "$WORK/err"
        load_record pushes "$s" err || true
    else
        done_n=$(cat "$WORK/load-push-$s-"*.jsonl | wc -l)
        record load_pushes_rate "$s" "$(awk -v a="$w0" -v b="$w1" -v t="$(elapsed "$t0" "$t1")" \
            'BEGIN {printf "%.1f", (b - a) / t / 1e6}')" "" "$pshown" "" \
            "$done_n pushes completed in all$([ "$finished" = 0 ] || echo ", $finished of the $PUSHERS processes ran out of blobs before the end")"
        load_record pushes "$s" || true
    fi
    log "syncing the pushes' data"
    sync
    load_settle "$s"
done

# ---------------------------------------------------------------- 8. memory

for s in "${SERVERS[@]}"; do
    if check_alive "$s"; then
        record rss_peak "$s" "$(status_kib "${PID[$s]}" VmHWM)" "" \
            "awk '/^VmHWM/' /proc/\$pid/status (after all benchmarks)"
    else
        echo "$s died during the run: $(tail -20 "${LOGF[$s]}")" >"$WORK/err"
        fail rss_peak "$s" "awk '/^VmHWM/' /proc/\$pid/status" "$WORK/err"
    fi
done

# ---------------------------------------------------------------- 9. scale-out: PostgreSQL + S3

# The scale-out configuration against docker-registry's S3 driver, in the same run: a throwaway
# PostgreSQL cluster (tests/e2e/pgcluster.py, held open by a sleep it runs) for havend's
# metadata, one s3rver (tests/s3rver/serve.js, as the tests run it) with a bucket per server.
# docker-registry's S3 driver (regionendpoint, forcepathstyle, no TLS) has its redirects to
# presigned URLs turned off, so that both servers pass the bytes themselves, as Haven does by
# default.  Measured as sections 1, 4 and 5 measure the embedded servers: anonymous manifest GET
# (wrk), the big blob pulled (curl) and pushed monolithically.  (docker-registry 2.8's S3 driver
# resumes every upload with ListMultipartUploads and ListParts, which s3rver 3.7.1 answers 501
# NotImplemented; tests/s3rver/serve.js gives s3rver those two, as it gives it UploadPartCopy.)
S3RVER="$ROOT/build/node/node_modules/s3rver/bin/s3rver.js"
SO_KEYS=(AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER)
scaleout_fail() { # the reason is in $WORK/err
    local k
    for k in manifest_rps manifest_p99 pull_blob push_mono; do
        fail "so_$k" haven "bench/run.sh section 9: start-up" "$WORK/err"
        fail "so_$k" registry "bench/run.sh section 9: start-up" "$WORK/err"
    done
}
# scaleout_start: PostgreSQL, s3rver and both servers; returns 1 with the reason in $WORK/err.
scaleout_start() {
    local s3port pgurl i
    [ -f "$S3RVER" ] || { echo "$S3RVER is missing: run scripts/deps.sh test" >"$WORK/err"; return 1; }
    "$PY" "$ROOT/tests/e2e/pgcluster.py" sh -c \
        'echo "$HAVEN_TEST_POSTGRES" >"$1.url"; echo $$ >"$1.pid"; exec sleep 100000' \
        sh "$WORK/pg" >"$WORK/pg.log" 2>&1 &
    PG_PID=$!
    for ((i = 0; i < 600; i++)); do [ -s "$WORK/pg.pid" ] && break; sleep 0.1; done
    [ -s "$WORK/pg.pid" ] || { echo "PostgreSQL did not start: $(tail -5 "$WORK/pg.log")" >"$WORK/err"; return 1; }
    PG_HOLD_PID=$(cat "$WORK/pg.pid")
    pgurl=$(cat "$WORK/pg.url")
    s3port=$(free_port)
    S3_URL="http://127.0.0.1:$s3port"
    node "$ROOT/tests/s3rver/serve.js" "$S3RVER" -d "$WORK/s3" -a 127.0.0.1 -p "$s3port" --silent \
        >"$WORK/s3rver.log" 2>&1 &
    PIDS+=($!)
    for ((i = 0; i < 300; i++)); do curl -s -o /dev/null "$S3_URL/" && break; sleep 0.1; done
    curl -s -f -X PUT "$S3_URL/haven-bench" >/dev/null && curl -s -f -X PUT "$S3_URL/dr-bench" >/dev/null ||
        { echo "s3rver on $S3_URL does not answer: $(tail -5 "$WORK/s3rver.log")" >"$WORK/err"; return 1; }
    port=$(free_port)
    URL[haven-so]="http://127.0.0.1:$port"
    # a database_url needs the secret_key its nodes share
    SO_CMD=(env HAVEN_ADMIN_PASSWORD="$PW" HAVEN_LOG_LEVEL=warn "HAVEN_DATABASE_URL=$pgurl"
            "HAVEN_SECRET_KEY=$(openssl rand -hex 32)" HAVEN_STORAGE=s3 HAVEN_S3_BUCKET=haven-bench "HAVEN_S3_ENDPOINT=$S3_URL"
            HAVEN_S3_PATH_STYLE=true "${SO_KEYS[@]}"
            "$HAVEND" --listen "127.0.0.1:$port" --data "$WORK/haven-so-data")
    log "starting havend on PostgreSQL and S3 on ${URL[haven-so]}"
    "${SO_CMD[@]}" >"$WORK/havend-so.log" 2>&1 &
    PID[haven-so]=$! LOGF[haven-so]=$WORK/havend-so.log USERARG[haven-so]="--user admin:$PW"
    PIDS+=("${PID[haven-so]}")
    wait_ready "havend (PostgreSQL + S3)" "${PID[haven-so]}" "${URL[haven-so]}" "$WORK/havend-so.log" ||
        return 1
    start_registry registry-so "" "s3: {accesskey: S3RVER, secretkey: S3RVER, region: us-east-1, \
regionendpoint: '$S3_URL', forcepathstyle: true, secure: false, v4auth: true, bucket: dr-bench}
  redirect: {disable: true}" || return 1
    URL[registry-so]=$REG_URL PID[registry-so]=$REG_PID LOGF[registry-so]=$WORK/registry-so.log
    USERARG[registry-so]=""
}

log "9. scale-out: havend on PostgreSQL + S3 against docker-registry's S3 driver"
declare -A SO=([haven]=haven-so [registry]=registry-so)
if ! scaleout_start; then
    scaleout_fail
else
    # shellcheck disable=SC2016 # literal $PW, $PGURL, $S3 in the report
    fact scaleout "havend: database_url a throwaway PostgreSQL 15 cluster (fsync off), storage s3 \
on s3rver; docker-registry: storage s3 on the same s3rver, redirect disabled" \
        "$(show "${SO_CMD[@]}" | sed "s|$PW|\$PW|; s|postgres://[^ ]*|\$PGURL|; s|$S3_URL|\$S3|g; s|HAVEN_SECRET_KEY=[0-9a-f]*|HAVEN_SECRET_KEY=\$KEY|"); \
$(show docker-registry serve "$WORK/registry-so.yml")"
    for s in "${SERVERS[@]}"; do
        inst=${SO[$s]}
        url="${URL[$inst]}/v2/library/bench/manifests/latest"
        # shellcheck disable=SC2086
        if ! "$PY" "$CLIENT" image "${URL[$inst]}" library/bench latest ${USERARG[$inst]} \
                >"$WORK/image-$inst.json" 2>"$WORK/err" || ! anon_pull "$inst" library/bench; then
            wrk_fail so_manifest "$s" "$(show "${WRK[@]}" -s "$ROOT/bench/manifest.lua" "$url")"
        else
            cmd=("${WRK[@]}" -s "$ROOT/bench/manifest$ANON_LUA.lua" "$url")
            wrk_run so_manifest "$s" "$inst" "$ANON_SHOWN$(show "${cmd[@]}")" env "${ANON_ENV[@]}" \
                "${cmd[@]}" || true
        fi
        pcmd=("$PY" "$CLIENT" blob "${URL[$inst]}" library/big "$BIG" --mode mono)
        # shellcheck disable=SC2206
        pcmd+=(${USERARG[$inst]})
        if "${pcmd[@]}" >"$WORK/pullblob-$inst.json" 2>"$WORK/err"; then
            pull_of so_pull_blob "$s" "$inst" \
                "$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["digest"])' "$WORK/pullblob-$inst.json")"
        else
            fail so_pull_blob "$s" "$(show "${pcmd[@]}")" "$WORK/err"
        fi
        push_of so_push_mono "$s" "$inst" mono
    done
fi

# ---------------------------------------------------------------- scale (bench/scale.sh)
# Harbor's "small" dataset (100k artifacts) in a havend of its own, after every figure above
# (the two servers above only idle meanwhile); it appends its figures to this run's results
# and bench/report.py adds their section.  Haven only: docker-registry has no such endpoints.
# Runnable alone as bench/scale.sh.

log "scale: Harbor's small dataset, list latencies (bench/scale.sh)"
if ! SCALE_RESULTS="$RESULTS" HAVEND="$HAVEND" "$ROOT/bench/scale.sh"; then
    log "FAILED (part of) the scale benchmark: see its section of the report"
    FAILED=1
fi

# ---------------------------------------------------------------- garbage collection (bench/gc.sh)
# Online GC over 1,000,000 blob records (100,000 garbage) while pushes go on, in a havend of its
# own, last; it appends its figures to this run's results and bench/report.py adds their
# section.  Haven only: docker-registry's GC is offline.  Runnable alone as bench/gc.sh (with
# GC_BLOBS for a smaller dataset).

log "garbage collection: 1,000,000 blob records beside a push loop (bench/gc.sh)"
if ! GC_RESULTS="$RESULTS" HAVEND="$HAVEND" "$ROOT/bench/gc.sh"; then
    log "FAILED (part of) the garbage-collection benchmark: see its section of the report"
    FAILED=1
fi

# ---------------------------------------------------------------- the scanner (bench/scan.sh, vulndb.sh)
# Haven only (no scanner in docker-registry): `havend scan` of a ~100 MiB image of this
# machine's files, cold and with stored layer inventories, and importing a generated
# 100,000-record OSV archive.  Each script runs alone too; their reports become a section.

log "scanner: havend scan of a 100 MiB image (bench/scan.sh), vulndb import (bench/vulndb.sh)"
SCANNER_MD="$WORK/scanner.md"
{
    echo "## Scanner (Haven only)"
    echo
    echo "The built-in scanner's engine, measured by \`bench/scan.sh\` (inventory of an image"
    echo "built from this machine's files: a Debian root with its real dpkg status, Python's"
    echo "dist-packages, Node's packages and filler) and \`bench/vulndb.sh\` (import of a generated"
    echo "OSV \`all.zip\`). docker-registry has no scanner; Trivy, the scanner Harbor runs, is not"
    echo "packaged for this machine, so there is no side-by-side figure."
    echo
} >"$SCANNER_MD"
if HAVEND="$HAVEND" "$ROOT/bench/scan.sh" >"$WORK/scan.out" 2>"$WORK/scan.err"; then
    sed '1s/^# /### /' "$WORK/scan.out" >>"$SCANNER_MD"
else
    { echo "bench/scan.sh **failed**:"; echo; echo '```'; tail -5 "$WORK/scan.err"; echo '```'; } >>"$SCANNER_MD"
    FAILED=1
fi
echo >>"$SCANNER_MD"
if HAVEND="$HAVEND" "$ROOT/bench/vulndb.sh" >"$WORK/vulndb.out" 2>"$WORK/vulndb.err"; then
    { echo "### Vulnerability database import"; echo; echo "- $(tail -1 "$WORK/vulndb.out") (target ≤ 30 s, memory bounded)"; } >>"$SCANNER_MD"
else
    { echo "bench/vulndb.sh **failed** (or missed its target):"; echo; echo '```'; tail -3 "$WORK/vulndb.out"; tail -5 "$WORK/vulndb.err"; echo '```'; } >>"$SCANNER_MD"
    FAILED=1
fi

# ---------------------------------------------------------------- report

# What havend logged (at level warn): how many lines, and the most frequent messages.
fact haven_log "$("$PY" - "$WORK/havend.log" <<'EOF'
import collections, re, sys
lines = open(sys.argv[1], errors="replace").read().splitlines()
# "<timestamp> <level> <message>"; request ids and numbers vary, the message does not
msgs = collections.Counter(re.sub(r"[0-9a-f-]{36}|\d+", "N", " ".join(l.split()[1:]))[:120]
                           for l in lines)
top = "; ".join(f"`{m}` × {n:,}" for m, n in msgs.most_common(3))
print(f"{len(lines):,} lines" + (f", the most frequent: {top}" if top else ""))
EOF
)" "wc -l \$WORK/havend.log; its messages by count"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$ROOT/bench/results/$stamp.md"
cp "$RESULTS" "$ROOT/bench/results/$stamp.jsonl"
"$PY" "$ROOT/bench/report.py" "$RESULTS" --full "$FULL" --reps "$REPS" --blob-mib "$BLOB_MIB" \
    --layers "$LAYERS" --wrk-seconds "$WRK_SECONDS" --load-seconds "$LOAD_SECONDS" \
    --login-conns "$LOGIN_CONNS" --pushers "$PUSHERS" >"$out"
{ echo; cat "$SCANNER_MD"; } >>"$out"
log "wrote bench/results/$stamp.md"
if [ "$FULL" = 1 ]; then
    cp "$out" "$ROOT/BENCHMARKS.md"
    log "regenerated BENCHMARKS.md"
else
    log "not a full-size run: BENCHMARKS.md left as it was"
fi
if [ -s "$WORK/havend.log" ]; then
    log "havend.log: $(wc -l <"$WORK/havend.log") lines, the last ones:"
    tail -5 "$WORK/havend.log" | cut -c1-300 >&2
fi
exit "$FAILED"
