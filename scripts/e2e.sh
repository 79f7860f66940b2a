#!/usr/bin/env bash
# Runs the end-to-end suite once per blob storage (HAVEN_E2E_STORAGE), each run with its own
# pytest temp dir and log (build/e2e-<storage>.log), and ends with one line that adds them up.
#   scripts/e2e.sh [pytest args…]
#   E2E_STORAGES   the storages, "fs s3" by default
#   E2E_PARALLEL   1: the runs side by side (their output shown as each ends); 0: one after
#                  the other.  By default side by side only from 4 CPUs on: on 2, the two
#                  daemons' argon2id runs compete and the suite's timing checks (an unknown
#                  name refused as slowly as a known one) stop meaning anything.
# Exits non-zero when any run failed.  Other harness modes (e.g. the database engine's
# variable) pass through the environment to every run, so they compose.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pytest=(${PYTEST:-/usr/bin/python3 -m pytest})
storages=(${E2E_STORAGES:-fs s3})
parallel="${E2E_PARALLEL:-$([ "$(nproc)" -ge 4 ] && echo 1 || echo 0)}"
export HAVEND="${HAVEND:-$root/build/debug/havend}"

run() { # storage: one run of the suite
  rm -rf "$root/build/e2e-$1"
  HAVEN_E2E_STORAGE="$1" "${pytest[@]}" -p no:cacheprovider --basetemp="$root/build/e2e-$1" \
    "${args[@]}" "$root/tests/e2e"
}
args=("$@")

# "N word" from pytest's closing line, 0 when absent
count() {
  local n
  n="$(grep -oE "[0-9]+ $2" <<<"$1" | head -n 1 | cut -d' ' -f1)"
  echo "${n:-0}"
}

declare -A rcs
if [ "$parallel" = 1 ]; then
  declare -A pid
  for s in "${storages[@]}"; do
    run "$s" >"$root/build/e2e-$s.log" 2>&1 &
    pid[$s]=$!
  done
  for s in "${storages[@]}"; do
    wait "${pid[$s]}"
    rcs[$s]=$?
    echo "=============================== e2e, storage $s (exit ${rcs[$s]}) ==============================="
    cat "$root/build/e2e-$s.log"
  done
else
  for s in "${storages[@]}"; do
    echo "=============================== e2e, storage $s ==============================="
    run "$s" 2>&1 | tee "$root/build/e2e-$s.log"
    rcs[$s]=${PIPESTATUS[0]}
  done
fi

status=0
passed=0 failed=0 skipped=0
for s in "${storages[@]}"; do
  last="$(tail -n 1 "$root/build/e2e-$s.log")"
  echo "storage $s: $last"
  passed=$((passed + $(count "$last" passed)))
  failed=$((failed + $(count "$last" failed) + $(count "$last" error)))
  skipped=$((skipped + $(count "$last" skipped)))
  [ "${rcs[$s]}" -eq 0 ] || status=1
done
echo "e2e: $passed passed, $failed failed, $skipped skipped"
exit $status
