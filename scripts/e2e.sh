#!/usr/bin/env bash
# Runs the end-to-end suite once per blob storage (HAVEN_E2E_STORAGE), side by side: each run
# has its own pytest temp dir and log (build/e2e-<storage>.log), shown when it ends.
#   scripts/e2e.sh [pytest args…]        E2E_STORAGES="fs s3" by default
# Exits non-zero when any run failed.  Other harness modes (e.g. the database engine's
# variable) pass through the environment to every run, so they compose.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pytest=(${PYTEST:-/usr/bin/python3 -m pytest})
storages=(${E2E_STORAGES:-fs s3})
export HAVEND="${HAVEND:-$root/build/debug/havend}"

declare -A pid
for s in "${storages[@]}"; do
  rm -rf "$root/build/e2e-$s"
  HAVEN_E2E_STORAGE="$s" "${pytest[@]}" -p no:cacheprovider --basetemp="$root/build/e2e-$s" \
    "$@" "$root/tests/e2e" >"$root/build/e2e-$s.log" 2>&1 &
  pid[$s]=$!
done
# "N word" from pytest's closing line, 0 when absent
count() {
  local n
  n="$(grep -oE "[0-9]+ $2" <<<"$1" | head -n 1 | cut -d' ' -f1)"
  echo "${n:-0}"
}

status=0
passed=0 failed=0 skipped=0
summary=()
for s in "${storages[@]}"; do
  wait "${pid[$s]}"
  rc=$?
  echo "=============================== e2e, storage $s (exit $rc) ==============================="
  cat "$root/build/e2e-$s.log"
  last="$(tail -n 1 "$root/build/e2e-$s.log")"
  summary+=("storage $s: $last")
  passed=$((passed + $(count "$last" passed)))
  failed=$((failed + $(count "$last" failed) + $(count "$last" error)))
  skipped=$((skipped + $(count "$last" skipped)))
  [ $rc -eq 0 ] || status=1
done
printf '%s\n' "${summary[@]}"
echo "e2e: $passed passed, $failed failed, $skipped skipped"
exit $status
