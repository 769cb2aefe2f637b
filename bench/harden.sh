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
# run TAG TMPDIR: N runs with the work folder under TMPDIR; reports in $BT/TAG.report.I.json
run() {
  for i in $(seq "$N"); do
    TMPDIR=$2 /usr/bin/time -f '%e %M' -o "$BT/$1.time.$i" "$Q" harden "$IMG/pyapp.oci.tar" -o "$BT/out.tar" \
      --probes "$BT/probes.json" --report "$BT/$1.report.$i.json" >/dev/null 2>"$BT/err" || { cat "$BT/err" >&2; exit 1; }
    rm -f "$BT/out.tar"
  done
}
run disk "${TMPDIR:-/tmp}"
# the same with the work folder on tmpfs: what is left when the disk is not the bottleneck
SHM=""
if [ -d /dev/shm ] && [ -w /dev/shm ]; then SHM=$(mktemp -d /dev/shm/qnbench.XXXXXX); run shm "$SHM"; rmdir "$SHM"; fi
# median TAG FIELD_EXPR: the median over the runs' reports of a jq expression
median() {
  for i in $(seq "$N"); do jq "$2" "$BT/$1.report.$i.json"; done | sort -g |
    awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}'
}
wall() { for i in $(seq "$N"); do cut -d' ' -f1 "$BT/$1.time.$i"; done | sort -g | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}'; }
peak=$(cat "$BT"/*.time.* | cut -d' ' -f2 | sort -n | tail -1)
row() { # LABEL EXPR
  printf '| %s | %s |' "$1" "$(median disk "$2")"
  [ -n "$SHM" ] && printf ' %s |' "$(median shm "$2")"
  echo
}
net() { awk -v w="$(wall "$1")" -v p="$(median "$1" '[.profile.probes[].seconds] | add')" 'BEGIN { printf "%.2f", w - p }'; }
echo "| pyapp (oci-archive, 4 HTTP probes) | seconds, work folder in ${TMPDIR:-/tmp} (disk) |${SHM:+ seconds, work folder in /dev/shm (tmpfs: the default when it has room) |}"
echo "|---|---|${SHM:+---|}"
row "unpack (merge and extract the layers)" .seconds.unpack
row "run (start, probes, stop; two recorders on)" .seconds.run
row "trace (collect and read what the recorders saw)" .seconds.trace
row "closure (ELF and shebang)" .seconds.closure
row "write (the new image)" .seconds.write
row "total inside the harden run" .seconds.total
row "of which the probes waiting for answers" '[.profile.probes[].seconds] | add'
printf '| wall clock, end to end (opening the image and removing the work folder included) | %s |%s\n' "$(wall disk)" "${SHM:+ $(wall shm) |}"
printf '| **wall clock without the probes'"'"' waiting** (target < 20) | **%s** |%s\n' "$(net disk)" "${SHM:+ **$(net shm)** |}"
cat <<MD

Peak RSS $((peak / 1024)) MB. $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end, $(uname -r),
$(date -u +%Y-%m-%d), median of $N runs. Result: $(jq -r '"\(.packages.trimmed + .packages.kept) of \(.packages.total) packages stay, \(.size.bytes_removed_pct | floor)% fewer bytes"' "$BT/disk.report.1.json").
MD
