# Benchmark helpers (sourced): median wall time and peak memory of a command over N runs.
#   median_run N CMD...   prints "SECONDS PEAK_KB" (median of N wall times, max of peak RSS)
median_run() {
  local n=$1; shift
  local times=() peak=0
  for _ in $(seq "$n"); do
    /usr/bin/time -f '%e %M' -o "$BT/time" "$@" >/dev/null 2>"$BT/err" || { cat "$BT/err" >&2; return 1; }
    read -r t m <"$BT/time"
    times+=("$t"); [ "$m" -gt "$peak" ] && peak=$m
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v p="$peak" '{a[NR]=$1} END {printf "%.3f %d\n", a[int((NR+1)/2)], p}'
}
BT=$(mktemp -d "${TMPDIR:-/tmp}/qnbench.XXXXXX")
trap 'rm -rf "$BT"' EXIT
