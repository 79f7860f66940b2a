#!/usr/bin/env bash
# make e2e: the end-to-end suite on both engines, embedded (SQLite) then scale-out
# (PostgreSQL: a throwaway cluster that tests/e2e/pgcluster.py starts), each with its own
# pytest temp dir under build/e2e/.  One after the other, not side by side: the suite waits
# more than it computes, yet on two cores two runs at once took as long as both in a row and
# made its timing checks (refusal times, lock windows) flaky.  The status is a failure when
# either run failed; both always run.
#   scripts/e2e.sh [pytest args...]        E2E_ENGINES="postgres" limits the runs
set -uo pipefail
cd "$(dirname "$0")/.."
pytest=(${PYTEST:-/usr/bin/python3 -m pytest})
export HAVEND=${HAVEND:-$PWD/build/debug/havend}
status=0
for engine in ${E2E_ENGINES:-sqlite postgres}; do
  echo "=================================== e2e on $engine"
  rm -rf "build/e2e/$engine"
  mkdir -p build/e2e
  HAVEN_E2E_DB=$engine "${pytest[@]}" -v -p no:cacheprovider --basetemp="build/e2e/$engine" \
    tests/e2e "$@" || status=1
done
exit $status
