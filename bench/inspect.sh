#!/bin/bash
# Benchmark: `quench inspect` on python-3.11 as docker-archive and as oci-archive, against the
# floor of only decompressing its layers (igzip -dc for gzip layers, cat for uncompressed ones)
# and the verification floor (sha256 of every layer with OpenSSL, one layer per core), measured
# in the same run. Median of 5 runs; peak memory is the maximum RSS seen.
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
# the docker-archive's layers, copied out once for the verification floor
mkdir -p "$BT/da" && tar -xf "$IMG/python-3.11.docker.tar" -C "$BT/da"
find "$BT/da" -name '*.tar' -size +1k >"$BT/dalayers"
cat "$IMG/python-3.11.docker.tar" "$BT"/layer*.gz >/dev/null  # warm the page cache
read -r d_q d_qm < <(median_run "$N" "$Q" inspect "$IMG/python-3.11.docker.tar")
d_qc=$(cat "$BT/cpu")
read -r d_f _ < <(median_run "$N" cat "$IMG/python-3.11.docker.tar")
read -r o_q o_qm < <(median_run "$N" "$Q" inspect "$IMG/python-3.11.oci.tar")
o_qc=$(cat "$BT/cpu")
read -r o_f _ < <(median_run "$N" sh -c "for f in $BT/layer*.gz; do igzip -dc \"\$f\"; done")
read -r o_z _ < <(median_run "$N" sh -c "for f in $BT/layer*.gz; do gzip -dc \"\$f\"; done")
# verification floor: what reading the image honestly cannot skip, sha256 of every layer
# (uncompressed for docker-archive; compressed and uncompressed for gzip layers), one layer per core
read -r d_v _ < <(median_run "$N" sh -c "xargs -P $(nproc) -n 1 openssl dgst -sha256 <'$BT/dalayers'")
read -r o_v _ < <(median_run "$N" sh -c "ls $BT/layer*.gz | xargs -P $(nproc) -I@ sh -c 'openssl dgst -sha256 @ && igzip -dc @ | openssl dgst -sha256'")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
cat <<MD
| python-3.11 | quench inspect | (CPU) | floor | quench / floor | verify floor | quench / verify floor | quench peak RSS |
|---|---|---|---|---|---|---|---|
| docker-archive (uncompressed layers, 791 MB) | ${d_q} s | ${d_qc} s | ${d_f} s (cat) | $(ratio "$d_q" "$d_f")x | ${d_v} s | $(ratio "$d_q" "$d_v")x | $((d_qm / 1024)) MB |
| oci-archive (gzip layers, 302 MB) | ${o_q} s | ${o_qc} s | ${o_f} s (igzip -dc) | $(ratio "$o_q" "$o_f")x | ${o_v} s | $(ratio "$o_q" "$o_v")x | $((o_qm / 1024)) MB |

gzip -dc (zlib) on the same layers: ${o_z} s. $(nproc) CPUs, $(date -u +%Y-%m-%d), median of $N runs;
load average at the end: $(cut -d' ' -f1-3 /proc/loadavg).
MD
