#!/bin/bash
# Benchmark: `quench inspect` on python-3.11 as docker-archive and as oci-archive, against the
# floor of only decompressing its layers (igzip -dc for gzip layers, cat for uncompressed ones),
# measured in the same run. Median of 5 runs; peak memory is the maximum RSS seen.
#   bench/inspect.sh [QUENCH] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
Q=${1:-build/cli/quench}
N=${2:-5}
IMG=${QUENCH_TESTIMAGES:-/var/cache/quench-testimages}
command -v igzip >/dev/null || { echo "igzip missing (apt-get install isal)" >&2; exit 1; }
# the oci-archive's layer blobs, copied out once (not timed)
python3 - "$IMG/python-3.11.oci.tar" "$BT" <<'PY'
import json, sys, tarfile
t = tarfile.open(sys.argv[1])
idx = json.load(t.extractfile("index.json"))
man = json.load(t.extractfile("blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
for i, l in enumerate(man["layers"]):
    open("%s/layer%d.gz" % (sys.argv[2], i), "wb").write(t.extractfile("blobs/sha256/" + l["digest"][7:]).read())
PY
cat "$IMG/python-3.11.docker.tar" "$BT"/layer*.gz >/dev/null  # warm the page cache
read -r d_q d_qm < <(median_run "$N" "$Q" inspect "$IMG/python-3.11.docker.tar")
read -r d_f _ < <(median_run "$N" cat "$IMG/python-3.11.docker.tar")
read -r o_q o_qm < <(median_run "$N" "$Q" inspect "$IMG/python-3.11.oci.tar")
read -r o_f _ < <(median_run "$N" sh -c "for f in $BT/layer*.gz; do igzip -dc \"\$f\"; done")
read -r o_z _ < <(median_run "$N" sh -c "for f in $BT/layer*.gz; do gzip -dc \"\$f\"; done")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<MD
| python-3.11 | quench inspect | floor | quench / floor | quench peak RSS |
|---|---|---|---|---|
| docker-archive (uncompressed layers, 791 MB) | ${d_q} s | ${d_f} s (cat) | $(ratio "$d_q" "$d_f")x | $((d_qm / 1024)) MB |
| oci-archive (gzip layers, 302 MB) | ${o_q} s | ${o_f} s (igzip -dc) | $(ratio "$o_q" "$o_f")x | $((o_qm / 1024)) MB |

gzip -dc (zlib) on the same layers: ${o_z} s. $(nproc) CPUs, $(date -u +%Y-%m-%d), median of $N runs.
MD
