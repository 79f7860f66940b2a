#!/usr/bin/env bash
# The vulnerability database's import benchmark (issue 10): a generated osv.dev-style all.zip
# of VULNDB_RECORDS OSV records (bench/vulndb_fill.py) imported with `havend vulndb import`
# into an empty data dir.  Haven only: there is nothing to compare it with side by side.
# Target: 100,000 records in <= 30 s, with memory bounded (the import holds one record at a
# time, so its peak RSS must not grow with the archive: it is printed next to the archive's
# size).  Runs alone (it is CPU-bound; a busy machine slows it).
#
#   bench/vulndb.sh                       100,000 records
#   VULNDB_RECORDS=10000 bench/vulndb.sh  shrunk ("not full size")
#
# Knobs: VULNDB_RECORDS (100000), HAVEND (build/release/havend).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HAVEND=${HAVEND:-$ROOT/build/release/havend}
RECORDS=${VULNDB_RECORDS:-100000}
TARGET_S=30

log() { printf '[vulndb %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
[ -x "$HAVEND" ] || { log "error: $HAVEND is missing (ninja -C build/release)"; exit 1; }
[ -x /usr/bin/time ] || { log "error: /usr/bin/time is missing (apt-get install time)"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "writing $RECORDS records into all.zip"
/usr/bin/python3 "$ROOT/bench/vulndb_fill.py" "$work/all.zip" "$RECORDS"
zip_mb=$(( $(stat -c %s "$work/all.zip") / 1048576 ))
log "importing ($zip_mb MiB zipped)"
/usr/bin/time -f '%e %U %S %M' -o "$work/time" \
  env -u HAVEN_DATA_DIR "$HAVEND" vulndb import "$work/all.zip" --data "$work/data" >"$work/out"
read -r secs user sys rss_kb <"$work/time"
cat "$work/out"
full=""
[ "$RECORDS" = 100000 ] || full=" (not full size)"
printf 'vulndb import: %s records in %s s (target %s s; CPU %s s user + %s s system), peak RSS %s MiB, archive %s MiB, database %s MiB%s\n' \
  "$RECORDS" "$secs" "$TARGET_S" "$user" "$sys" "$((rss_kb / 1024))" "$zip_mb" \
  "$(( $(stat -L -c %s "$work/data/vulndb.sqlite") / 1048576 ))" "$full"
awk -v s="$secs" -v t="$TARGET_S" 'BEGIN { exit !(s <= t) }' || { log "slower than $TARGET_S s"; exit 1; }
