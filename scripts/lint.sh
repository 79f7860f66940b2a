#!/usr/bin/env bash
# make lint: formatting (clang-format) and the functions shared/STYLE.md bans.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0
files=$(git ls-files 'src/*.c' 'src/*.h' 'tests/*.c' 'tests/*.h')
if bad=$(grep -nE '\b(strcpy|strcat|sprintf|strtok|atoi|gets)\s*\(' $files); then
  echo "banned functions:"; echo "$bad"; status=1
fi
for f in $files; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not clang-formatted: $f"; status=1
  fi
done
exit $status
