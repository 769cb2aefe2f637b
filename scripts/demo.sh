#!/bin/bash
# From a fresh Debian 12 machine: install the dependencies, build quench, build a sample image
# from Debian packages, and show quench at work on it.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${QUENCH_SHARED:-$(cd ../shared && pwd)}
IMAGES=${QUENCH_TESTIMAGES:-/var/cache/quench-testimages}
scripts/install-deps.sh
scripts/build.sh build >/dev/null
echo "== building sample images (about 3 minutes the first time)" >&2
"$SHARED/testimages/build.sh" "$IMAGES" >/dev/null
Q=build/cli/quench
echo "== quench inspect $IMAGES/pyapp.docker.tar" >&2
$Q inspect "$IMAGES/pyapp.docker.tar"
