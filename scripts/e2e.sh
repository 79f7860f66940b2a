#!/usr/bin/env bash
# make e2e: the end-to-end suite once per configuration, each run with its own pytest temp dir
# and log (build/e2e-<name>.log), then one line that adds them up.  A configuration is
# DATABASE:STORAGE: the embedded one (sqlite:fs) and the scale-out one (postgres:s3: a
# throwaway PostgreSQL cluster that tests/e2e/pgcluster.py starts, and s3rver).
#   scripts/e2e.sh [pytest args…] [test files or directories…]   (default: all of tests/e2e)
#   E2E_CONFIGS    the configurations, "sqlite:fs postgres:s3" by default
#   E2E_PARALLEL   1: the runs side by side (their output shown as each ends); 0: one after
#                  the other.  By default side by side only from 4 CPUs on: on 2, the
#                  daemons' argon2id runs compete and the suite's timing checks (an unknown
#                  name refused as slowly as a known one) stop meaning anything.
# Exits non-zero when any run failed; every run always runs.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pytest=(${PYTEST:-/usr/bin/python3 -m pytest})
configs=(${E2E_CONFIGS:-sqlite:fs postgres:s3})
parallel="${E2E_PARALLEL:-$([ "$(nproc)" -ge 4 ] && echo 1 || echo 0)}"
export HAVEND="${HAVEND:-$root/build/debug/havend}"
args=("$@")
# the whole suite unless the arguments name test files or directories of their own
targets=("$root/tests/e2e")
for a in "$@"; do
  case "$a" in -*) ;; *) [ -e "$a" ] && targets=() ;; esac
done

run() { # DATABASE:STORAGE: one run of the suite
  local name="${1/:/-}"
  rm -rf "$root/build/e2e-$name"
  HAVEN_E2E_DB="${1%%:*}" HAVEN_E2E_STORAGE="${1##*:}" "${pytest[@]}" -p no:cacheprovider \
    --basetemp="$root/build/e2e-$name" "${args[@]}" "${targets[@]}"
}

# "N word" from pytest's closing line, 0 when absent
count() {
  local n
  n="$(grep -oE "[0-9]+ $2" <<<"$1" | head -n 1 | cut -d' ' -f1)"
  echo "${n:-0}"
}

mkdir -p "$root/build"
declare -A rcs
if [ "$parallel" = 1 ]; then
  declare -A pid
  for c in "${configs[@]}"; do
    run "$c" >"$root/build/e2e-${c/:/-}.log" 2>&1 &
    pid[$c]=$!
  done
  for c in "${configs[@]}"; do
    wait "${pid[$c]}"
    rcs[$c]=$?
    echo "=============================== e2e, $c (exit ${rcs[$c]}) ==============================="
    cat "$root/build/e2e-${c/:/-}.log"
  done
else
  for c in "${configs[@]}"; do
    echo "=============================== e2e, $c ==============================="
    run "$c" 2>&1 | tee "$root/build/e2e-${c/:/-}.log"
    rcs[$c]=${PIPESTATUS[0]}
  done
fi

status=0
passed=0 failed=0 skipped=0
for c in "${configs[@]}"; do
  last="$(tail -n 1 "$root/build/e2e-${c/:/-}.log")"
  echo "$c: $last"
  passed=$((passed + $(count "$last" passed)))
  failed=$((failed + $(count "$last" failed) + $(count "$last" error)))
  skipped=$((skipped + $(count "$last" skipped)))
  [ "${rcs[$c]}" -eq 0 ] || status=1
done
echo "e2e: $passed passed, $failed failed, $skipped skipped"
exit $status
