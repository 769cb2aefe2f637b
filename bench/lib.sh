# Benchmark helpers (sourced): median wall time and peak memory of a command over N runs.
#   median_run N CMD...   prints "SECONDS PEAK_KB" (median of N wall times, max of peak RSS) and
#                         leaves the median CPU time (user + sys, seconds) in "$BT/cpu": on a
#                         shared machine CPU time says more than wall time
median_run() {
  local n=$1; shift
  local times=() cpus=() peak=0
  for _ in $(seq "$n"); do
    /usr/bin/time -f '%e %M %U %S' -o "$BT/time" "$@" >/dev/null 2>"$BT/err" || { cat "$BT/err" >&2; return 1; }
    read -r t m u s <"$BT/time"
    times+=("$t"); cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')")
    [ "$m" -gt "$peak" ] && peak=$m
  done
  printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f\n", a[int((NR+1)/2)]}' >"$BT/cpu"
  printf '%s\n' "${times[@]}" | sort -n | awk -v p="$peak" '{a[NR]=$1} END {printf "%.3f %d\n", a[int((NR+1)/2)], p}'
}
BT=$(mktemp -d "${TMPDIR:-/tmp}/qnbench.XXXXXX")
trap 'rm -rf "$BT"' EXIT
