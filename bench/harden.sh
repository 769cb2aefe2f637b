#!/bin/bash
# Benchmark: `quench harden` of pyapp end to end (its four probes from images.json, oci-archive
# in and out), with the breakdown the report records (unpack, run, trace, closure, write) and
# the time the probes themselves spent waiting for answers. Median of RUNS runs (default 3),
# each phase's median taken on its own. Needs root and runc. Prints a Markdown table.
#   bench/harden.sh [QUENCH] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
Q=${1:-build/cli/quench}
N=${2:-3}
IMG=${QUENCH_TESTIMAGES:-/var/cache/quench-testimages}
[ "$(id -u)" = 0 ] || { echo "needs root (runc, overlay mounts, fanotify)" >&2; exit 1; }
jq '.pyapp.probes' "$IMG/images.json" >"$BT/probes.json"
cat "$IMG/pyapp.oci.tar" >/dev/null # warm the page cache
for i in $(seq "$N"); do
  /usr/bin/time -f '%e %M' -o "$BT/time.$i" "$Q" harden "$IMG/pyapp.oci.tar" -o "$BT/out.$i.tar" \
    --probes "$BT/probes.json" --report "$BT/report.$i.json" >/dev/null 2>"$BT/err" || { cat "$BT/err" >&2; exit 1; }
  rm -f "$BT/out.$i.tar"
done
# median FIELD_EXPR: the median over the runs' reports of a jq expression
median() {
  for i in $(seq "$N"); do jq "$1" "$BT/report.$i.json"; done | sort -g |
    awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}'
}
wall=$(for i in $(seq "$N"); do cut -d' ' -f1 "$BT/time.$i"; done | sort -g | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}')
peak=$(for i in $(seq "$N"); do cut -d' ' -f2 "$BT/time.$i"; done | sort -n | tail -1)
probes=$(median '[.profile.probes[].seconds] | add')
net=$(awk -v w="$wall" -v p="$probes" 'BEGIN { printf "%.2f", w - p }')
cat <<MD
| pyapp (oci-archive, 4 HTTP probes) | seconds |
|---|---|
| unpack (merge and extract the layers) | $(median .seconds.unpack) |
| run (start, probes, stop; two recorders on) | $(median .seconds.run) |
| trace (collect and read what the recorders saw) | $(median .seconds.trace) |
| closure (ELF and shebang) | $(median .seconds.closure) |
| write (the new image) | $(median .seconds.write) |
| total inside quench harden | $(median .seconds.total) |
| wall clock, end to end (opening and verifying the image included) | $wall |
| of which the probes waiting for answers | $probes |
| **wall clock without the probes' waiting** | **$net** (target < 20) |

Peak RSS $((peak / 1024)) MB. $(nproc) CPUs, $(uname -r), $(date -u +%Y-%m-%d), median of $N runs.
Result: $(jq -r '"\(.packages.trimmed + .packages.kept) of \(.packages.total) packages stay, \(.size.bytes_removed_pct | floor)% fewer bytes"' "$BT/report.1.json").
MD
