#!/usr/bin/env bash
# Installs the Debian packages Haven needs that are missing.
#   scripts/deps.sh build   — to build and run havend
#   scripts/deps.sh test    — also what the tests need (clients, peers, pytest)
#   scripts/deps.sh bench   — also what the benchmarks need
set -euo pipefail

build=(build-essential cmake ninja-build pkg-config libmicrohttpd-dev libjansson-dev
       libsqlite3-dev libssl-dev libsodium-dev libyaml-dev zlib1g-dev
       libcurl4-openssl-dev)
test=(clang libclang-rt-14-dev python3-pytest python3-requests skopeo podman umoci
      docker-registry curl jq docker.io containerd busybox-static)
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
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
