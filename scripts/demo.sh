#!/bin/bash
# From a fresh Debian 12 machine: install the dependencies, build quench, build a sample image
# from Debian packages, and show the whole job on it: scan, harden, verify, evidence bundle.
#
#   scripts/demo.sh [--offline DATA_DIR]
#
# The vulnerability data comes from `quench db update` when the network allows. Offline, it is
# imported from a local snapshot: --offline DIR or QUENCH_OFFLINE_DATA=DIR, a folder holding
# debian-osv/*.tar.xz (osv.dev's Debian records; default: ../shared/data when
# the update fails).
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${QUENCH_SHARED:-$(cd ../shared 2>/dev/null && pwd || echo ../shared)}
IMAGES=${QUENCH_TESTIMAGES:-/var/cache/quench-testimages}
OFFLINE=${QUENCH_OFFLINE_DATA:-}
while [ $# -gt 0 ]; do
  case $1 in
    --offline) OFFLINE=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
scripts/build.sh build >/dev/null
Q=$PWD/build/cli/quench
echo "== building sample images (about 3 minutes the first time)" >&2
"$SHARED/testimages/build.sh" "$IMAGES" >/dev/null

OUT=${QUENCH_DEMO_OUT:-$PWD/demo-out}
mkdir -p "$OUT"
DB=$OUT/db.sqlite
IMG=$IMAGES/pyapp.oci.tar
BASE=$IMAGES/python-3.11-slim.oci.tar

echo "== vulnerability data" >&2
import_snapshot() {
  local data=$1 tree
  [ -d "$data/debian-osv" ] || { echo "demo.sh: no debian-osv/ in $data" >&2; exit 2; }
  tree=$OUT/osv-snapshot
  if [ ! -d "$tree" ]; then
    mkdir -p "$tree.part"
    for t in "$data"/debian-osv/*.tar.xz; do tar -xJf "$t" -C "$tree.part"; done
    mv "$tree.part" "$tree"
  fi
  "$Q" db import --db "$DB" --source osv/Debian "$tree"
  return 0
}
if [ -n "$OFFLINE" ]; then
  import_snapshot "$OFFLINE"
elif ! "$Q" db update --db "$DB" --set retries=0 --set connect-timeout=10 2>"$OUT/db-update.err"; then
  echo "   (no network: $(tail -n 1 "$OUT/db-update.err"); using the snapshot in $SHARED/data)" >&2
  import_snapshot "$SHARED/data"
fi
"$Q" db status --db "$DB"

echo "== quench scan $IMG --base $BASE" >&2
"$Q" scan --db "$DB" --base "$BASE" "$IMG" | tail -n 12

echo "== quench harden $IMG (probes from images.json)" >&2
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["pyapp"]["probes"], sys.stdout)' \
  "$IMAGES/images.json" >"$OUT/probes.json"
rm -rf "$OUT/pyapp-hardened.oci.tar"
"$Q" harden "$IMG" -o "$OUT/pyapp-hardened.oci.tar" --probes "$OUT/probes.json" --report "$OUT/harden-report.json"

echo "== quench verify (same probes on both images, CVE delta)" >&2
"$Q" verify "$IMG" "$OUT/pyapp-hardened.oci.tar" --probes-from "$OUT/harden-report.json" --db "$DB" --base "$BASE"

echo "== quench evidence (signed bundle)" >&2
[ -s "$OUT/demo.key" ] || "$Q" keygen -o "$OUT/demo"
rm -rf "$OUT/evidence"
"$Q" evidence "$IMG" "$OUT/pyapp-hardened.oci.tar" -o "$OUT/evidence" --db "$DB" --base "$BASE" \
  --probes-from "$OUT/harden-report.json" --key "$OUT/demo.key" >/dev/null
"$Q" evidence verify "$OUT/evidence" --key "$OUT/demo.pub"

python3 - "$OUT/evidence/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c = (r.get("verify") or r).get("cves") or {}
b, a = c.get("before", {}), c.get("after", {})
t = lambda d, k: (d.get(k) or {}).get("total", 0)
print("CVE delta: %d -> %d (base %d -> %d, app %d -> %d)" % (
    b.get("total", 0), a.get("total", 0), t(b, "base"), t(a, "base"), t(b, "app"), t(a, "app")))
PY
echo "report: $OUT/evidence/report.html"
