#!/usr/bin/env bash
# Installs the Debian packages Haven needs that are missing.
#   scripts/deps.sh build   — to build and run havend
#   scripts/deps.sh test    — also what the tests need (clients, peers, pytest, and s3rver
#                             from npm into build/node, at the versions tests/s3rver pins)
#   scripts/deps.sh bench   — also what the benchmarks need
set -euo pipefail

build=(build-essential cmake ninja-build pkg-config libmicrohttpd-dev libjansson-dev
       libsqlite3-dev libpq-dev libssl-dev libsodium-dev libyaml-dev zlib1g-dev
       libcurl4-openssl-dev libarchive-dev)
test=(clang libclang-rt-14-dev python3-pytest python3-requests skopeo podman umoci
      docker-registry curl jq docker.io containerd busybox-static
       postgresql python3-psycopg2 rpm python3-jsonschema
       python3-apt python3-rpm python3-packaging node-semver golang-go golang-golang-x-mod-dev
       default-jre-headless libmaven3-core-java ruby php-cli php-composer-semver)
bench=(wrk docker-registry apache2-utils skopeo)

want=("${build[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${test[@]}") ;;
  bench) want+=("${test[@]}" "${bench[@]}") ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node and npm for s3rver: Debian's, unless some node is there already
if [ "${1:-build}" != build ] && ! { command -v node && command -v npm; } >/dev/null; then
  missing+=(nodejs npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# s3rver, the S3 server the tests run the S3 blob driver against
if [ "${1:-build}" != build ]; then
  root="$(cd "$(dirname "$0")/.." && pwd)"
  node_dir="$root/build/node"
  if ! cmp -s "$root/tests/s3rver/package-lock.json" "$node_dir/package-lock.json" ||
     [ ! -f "$node_dir/node_modules/s3rver/bin/s3rver.js" ]; then
    echo "installing s3rver into $node_dir"
    mkdir -p "$node_dir"
    cp "$root/tests/s3rver/package.json" "$root/tests/s3rver/package-lock.json" "$node_dir/"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
