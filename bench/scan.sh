#!/usr/bin/env bash
# The inventory benchmark (issue 10): `havend scan` of an image with 100+ OS packages, a few
# thousand language files and about SCAN_MB MiB of layers, cold (no layer inventory stored:
# every layer read and decompressed) and with the layers' inventories stored.  Runs alone:
#
#   bench/scan.sh                       writes bench/results/<stamp>-scan.md
#   SCAN_MB=20 bench/scan.sh            a shrunk run (not "full size")
#
# The image is built from this machine's files: layer 1 is a Debian root (/etc/os-release,
# /etc/debian_version and the real /var/lib/dpkg/status), layer 2 /usr/lib/python3/dist-packages,
# layer 3 /usr/share/nodejs, layer 4 incompressible filler up to SCAN_MB MiB of layers in all
# (all gzip'd).  It is pushed with skopeo to a havend on an empty data dir, then scanned
# SCAN_RUNS times cold, once with --store-layers, and SCAN_RUNS times with the stored
# inventories; the median of each (wall and CPU time) is reported beside the target (1 s cold).
# SCAN_KEEP=1 keeps the work directory (build/scan.*).
#
# Knobs: SCAN_MB (100), SCAN_RUNS (5), HAVEND (build/release/havend).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
HAVEND=${HAVEND:-$ROOT/build/release/havend}
MB=${SCAN_MB:-100}
RUNS=${SCAN_RUNS:-5}
TARGET_MS=1000
FULL=1
[ "$MB" = 100 ] || FULL=0

log() { printf '[scan %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v skopeo >/dev/null || die "skopeo is missing: scripts/deps.sh test"
[ -x "$HAVEND" ] || die "$HAVEND is missing: run make build"

mkdir -p "$ROOT/build" "$ROOT/bench/results"
WORK=$(mktemp -d "$ROOT/build/scan.XXXXXX")
HAVEN_PID=""
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"

# shellcheck disable=SC2317 # invoked by the trap
cleanup() {
    if [ -n "$HAVEN_PID" ]; then
        kill "$HAVEN_PID" 2>/dev/null || true
        wait "$HAVEN_PID" 2>/dev/null || true
    fi
    [ -n "${SCAN_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PW=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
HAVEN_CMD=(env HAVEN_ADMIN_PASSWORD="$PW" HAVEN_LOG_LEVEL=warn
           "$HAVEND" --listen "127.0.0.1:$PORT" --data "$WORK/data")

log "building the image (about $MB MiB of layers)"
"$PY" - "$WORK/layout" "$MB" >"$WORK/image.json" <<'EOF'
import gzip, hashlib, io, json, os, sys, tarfile
layout, mb = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{layout}/blobs/sha256", exist_ok=True)
open(f"{layout}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')

def blob(data, media):
    d = hashlib.sha256(data).hexdigest()
    open(f"{layout}/blobs/sha256/{d}", "wb").write(data)
    return {"mediaType": media, "digest": "sha256:" + d, "size": len(data)}

def layer(add):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add(tar)
    gz = gzip.compress(raw.getvalue(), compresslevel=6, mtime=0)
    return gz, "sha256:" + hashlib.sha256(raw.getvalue()).hexdigest()

def files(paths):
    def add(tar):
        for p in paths:
            if os.path.isdir(p):
                for d, _, names in os.walk(p):
                    for n in sorted(names):
                        f = os.path.join(d, n)
                        if os.path.isfile(f) and not os.path.islink(f):
                            tar.add(f, arcname=f.lstrip("/"), recursive=False)
            else:
                tar.add(p, arcname=p.lstrip("/"))
    return add

layers = [layer(files(["/etc/os-release", "/etc/debian_version", "/var/lib/dpkg/status"])),
          layer(files(["/usr/lib/python3/dist-packages"])),
          layer(files(["/usr/share/nodejs"]))]
have = sum(len(g) for g, _ in layers)
fill = max(mb * 1048576 - have, 1048576)
def filler(tar):
    for i in range(0, fill, 8 << 20):
        n = min(8 << 20, fill - i)
        t = tarfile.TarInfo(f"srv/filler/{i // (8 << 20)}.bin")
        t.size = n
        tar.addfile(t, io.BytesIO(os.urandom(n)))
layers.append(layer(filler))
descs = [blob(g, "application/vnd.oci.image.layer.v1.tar+gzip") for g, _ in layers]
config = json.dumps({"architecture": "amd64", "os": "linux",
                     "rootfs": {"type": "layers", "diff_ids": [d for _, d in layers]}}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": blob(config, "application/vnd.oci.image.config.v1+json"),
                       "layers": descs}).encode()
m = blob(manifest, "application/vnd.oci.image.manifest.v1+json")
m["annotations"] = {"org.opencontainers.image.ref.name": "v1"}
json.dump({"schemaVersion": 2, "manifests": [m]}, open(f"{layout}/index.json", "w"))
print(json.dumps({"layers_bytes": sum(d["size"] for d in descs), "layers": len(descs)}))
EOF
LAYER_BYTES=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers_bytes"])' "$WORK/image.json")

log "starting havend, pushing library/scanbench:v1"
start_haven
HOME="$WORK" skopeo --insecure-policy copy --dest-tls-verify=false --dest-creds "admin:$PW" \
    "oci:$WORK/layout:v1" "docker://127.0.0.1:$PORT/library/scanbench:v1" >/dev/null ||
    die "the push failed"

# scan_ms ARGS…: one `havend scan`'s wall time and CPU time (user + system) in ms, as
# "WALL/CPU" (its JSON into $WORK/out.json).  On a busy machine the CPU time is the figure
# that says what the scan costs.
scan_ms() {
    /usr/bin/time -f "%e %U %S" -o "$WORK/time" env HAVEN_ADMIN_PASSWORD="$PW" \
        "$HAVEND" scan library/scanbench:v1 --data "$WORK/data" "$@" >"$WORK/out.json" ||
        die "havend scan failed"
    awk '{printf "%d/%d\n", $1 * 1000, ($2 + $3) * 1000}' "$WORK/time"
}
# median FIELD RUNS…: the median of the wall (1) or CPU (2) times of "WALL/CPU" runs.
median() {
    local f=$1
    shift
    printf '%s\n' "$@" | cut -d/ -f"$f" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'
}

cold=() warm=()
for ((i = 0; i < RUNS; i++)); do cold+=("$(scan_ms)"); done
PKGS=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["packages"]))' "$WORK/out.json")
store=$(scan_ms --store-layers)
for ((i = 0; i < RUNS; i++)); do warm+=("$(scan_ms)"); done
stop_haven
COLD="$(median 1 "${cold[@]}") / $(median 2 "${cold[@]}")"
WARM="$(median 1 "${warm[@]}") / $(median 2 "${warm[@]}")"
FILES=$(find /usr/lib/python3/dist-packages /usr/share/nodejs -type f | wc -l)

OUT="$ROOT/bench/results/$(date -u +%Y%m%d-%H%M%S)-scan.md"
{
    echo "# havend scan ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown))"
    echo
    echo "Image: 4 gzip'd layers, $((LAYER_BYTES / 1048576)) MiB; $PKGS packages found; $FILES language"
    echo "files in its layers. Full size: $([ "$FULL" = 1 ] && echo yes || echo "no (SCAN_MB=$MB)")."
    echo
    echo "Times are wall / CPU (user + system) in ms; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
    echo
    echo "| what | median of $RUNS | runs | target |"
    echo "| --- | --- | --- | --- |"
    echo "| cold: every layer read | $COLD | ${cold[*]} | ≤ $TARGET_MS wall |"
    echo "| storing the layers' inventories | $store | $store | |"
    echo "| layers' inventories stored | $WARM | ${warm[*]} | |"
} >"$OUT"
cat "$OUT"
