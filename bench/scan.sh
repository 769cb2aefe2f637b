#!/bin/bash
# Benchmark: the vulnerability database and `quench scan`.
#  - `quench db import` of the whole shared Debian OSV tree (44,181 files, 278 MB unpacked on
#    tmpfs when there is room, so the disk is not what is measured): wall time, peak RSS and the
#    database size; median of IMPORT_RUNS runs
#  - `quench scan` of python-3.11 (docker-archive) with a warm database against `quench sbom -f json`
#    of the same image (the inventory alone): the difference is what matching costs; also with
#    --no-changelog (matching without reading changelogs). Median of RUNS runs.
#   bench/scan.sh [QUENCH] [RUNS] [IMPORT_RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
Q=${1:-build/cli/quench}
N=${2:-5}
NI=${3:-3}
IMG=${QUENCH_TESTIMAGES:-/var/cache/quench-testimages}/python-3.11.docker.tar
TARBALL=${QUENCH_SHARED:-../shared}/data/debian-osv/vuls-data-raw-debian-osv_af8e56d.tar.xz
OSV=$BT/osv
if [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2{print $4}')" -gt 1048576 ]; then
  OSV=$(mktemp -d /dev/shm/qnbench.XXXXXX)
  trap 'rm -rf "$BT" "$OSV"' EXIT
fi
mkdir -p "$OSV"
tar -xJf "$TARBALL" -C "$OSV"
files=$(find "$OSV" -name '*.json' | wc -l)
DB=$BT/db.sqlite
# cpu_run N CMD...: "WALL CPU PEAK_KB", medians of wall and user+sys CPU seconds over N runs and
# the largest peak RSS (CPU time is what the run itself costs when the machine is shared)
cpu_run() {
  local n=$1; shift
  for _ in $(seq "$n"); do
    /usr/bin/time -f '%e %U %S %M' -o "$BT/t" "$@" >/dev/null 2>"$BT/err" || { cat "$BT/err" >&2; return 1; }
    cat "$BT/t"
  done | awk '{w[NR]=$1; c[NR]=$2+$3; if ($4>m) m=$4}
    function med(a, n,  i, j, t) { for (i=1;i<=n;i++) for (j=i+1;j<=n;j++) if (a[j]<a[i]) {t=a[i];a[i]=a[j];a[j]=t}; return a[int((n+1)/2)] }
    END {printf "%.3f %.3f %d\n", med(w, NR), med(c, NR), m}'
}
# each import run starts from no database (a fresh import, not a replacement)
imp() { rm -f "$DB"; "$Q" db import --db "$DB" "$OSV"; }
read -r i_t i_m < <(median_run "$NI" bash -c "$(declare -f imp); Q='$Q' DB='$DB' OSV='$OSV'; imp")
size=$(stat -c %s "$DB")
records=$("$Q" db status --db "$DB" --json 2>/dev/null | python3 -c 'import json,sys; print(sum(s["records"] for s in json.load(sys.stdin)["sources"]))')
cat "$IMG" >/dev/null # warm the page cache
"$Q" scan --db "$DB" -f json -o /dev/null "$IMG"  # and the database
read -r s_t s_c s_m < <(cpu_run "$N" "$Q" scan --db "$DB" -f json -o /dev/null "$IMG")
read -r c_t c_c c_m < <(cpu_run "$N" "$Q" scan --db "$DB" --no-changelog -f json -o /dev/null "$IMG")
read -r b_t b_c b_m < <(cpu_run "$N" "$Q" sbom -f json -o /dev/null "$IMG")
findings=$("$Q" scan --db "$DB" -f json "$IMG" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["findings"]), d["summary"]["packages"])')
diff_ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (a - b) * 1000 }'; }
cat <<MD
| Debian OSV tree ($files files) | |
|---|---|
| records in the database | $records |
| import, wall (median of $NI) | ${i_t} s |
| import, peak RSS | $((i_m / 1024)) MB |
| database size | $((size / 1024 / 1024)) MB |

| python-3.11 (docker-archive, ${findings% *} findings in ${findings#* } packages) | wall (median of $N) | CPU user+sys (median) | peak RSS | wall over the inventory | CPU over the inventory |
|---|---|---|---|---|---|
| quench sbom -f json (inventory only) | ${b_t} s | ${b_c} s | $((b_m / 1024)) MB | | |
| quench scan -f json | ${s_t} s | ${s_c} s | $((s_m / 1024)) MB | $(diff_ms "$s_t" "$b_t") ms | $(diff_ms "$s_c" "$b_c") ms |
| quench scan --no-changelog -f json | ${c_t} s | ${c_c} s | $((c_m / 1024)) MB | $(diff_ms "$c_t" "$b_t") ms | $(diff_ms "$c_c" "$b_c") ms |
MD
