#!/usr/bin/env bash
# Runs a command next to a private s3rver (the S3 server of the tests): on a free loopback
# port, with its data in a temporary folder and a bucket "haven-test", both gone afterwards.
# The command finds it in HAVEN_TEST_S3_ENDPOINT and HAVEN_TEST_S3_BUCKET.  Exits 77 (CTest's
# "skipped") when s3rver is not installed: `scripts/deps.sh test` installs it in build/node.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
s3rver="$root/build/node/node_modules/s3rver/bin/s3rver.js"
if [ ! -f "$s3rver" ] || ! command -v node >/dev/null; then
  echo "s3rver is not installed (scripts/deps.sh test installs it): skipped"
  exit 77
fi
dir="$(mktemp -d /tmp/haven-s3rver-XXXXXX)"
# through tests/s3rver/serve.js, which gives it S3's read-after-write consistency
node "$root/tests/s3rver/serve.js" "$s3rver" -d "$dir/data" -a 127.0.0.1 -p 0 \
  --configure-bucket haven-test >"$dir/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
port=""
for _ in $(seq 200); do
  port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/log")"
  [ -n "$port" ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.05
done
if [ -z "$port" ]; then
  echo "s3rver did not start:"; cat "$dir/log"; exit 1
fi
HAVEN_TEST_S3_ENDPOINT="http://127.0.0.1:$port" HAVEN_TEST_S3_BUCKET=haven-test "$@"
