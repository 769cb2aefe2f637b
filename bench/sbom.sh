#!/bin/bash
# Benchmark: `quench sbom -f cyclonedx` against Trivy's `image --input X -f cyclonedx
# --offline-scan` (a fresh cache folder for every run) on python-3.11 and nginx, each as a
# docker-archive and as a single-image OCI layout, beside the decompression floor (cat for the
# docker-archive's uncompressed layers, igzip -dc for the OCI layout's gzip layers) and the
# verification floor (the same plus sha256 of every layer with OpenSSL, one layer per core, which reading
# an image honestly cannot skip). All measured in the same run; median of N runs, peak RSS is
# the maximum seen.
#   bench/sbom.sh [QUENCH] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
Q=${1:-build/cli/quench}
N=${2:-5}
IMG=${QUENCH_TESTIMAGES:-/var/cache/quench-testimages}
command -v igzip >/dev/null || { echo "igzip missing (apt-get install isal)" >&2; exit 1; }
command -v skopeo >/dev/null || { echo "skopeo missing (apt-get install skopeo)" >&2; exit 1; }
TRIVY=$(scripts/trivy.sh) || exit 1

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# trivy_run TARGET: one Trivy inventory with a cache folder of its own
trivy_run() {
  local c
  c=$(mktemp -d "$BT/cache.XXXXXX")
  "$TRIVY" image --input "$1" -f cyclonedx --offline-scan -q --cache-dir "$c" -o "$BT/trivy.json"
  rm -rf "$c"
}
export -f trivy_run
export TRIVY BT

cat <<'MD'
| image | form | quench sbom (CPU) | Trivy (CPU) | Trivy / quench | floor | quench / floor | verify floor | quench peak RSS | Trivy peak RSS |
|---|---|---|---|---|---|---|---|---|---|
MD
for img in python-3.11 nginx; do
  # a single-image OCI layout, made once (not timed)
  lay=$BT/$img.oci
  skopeo copy -q "oci:$IMG/oci:$img" "oci:$lay:$img"
  python3 - "$lay" "$BT/$img" <<'PY'
import json, sys
lay, out = sys.argv[1], sys.argv[2]
man = json.load(open(lay + "/blobs/sha256/" + json.load(open(lay + "/index.json"))["manifests"][0]["digest"][7:]))
open(out + ".layers", "w").write("".join(lay + "/blobs/sha256/" + l["digest"][7:] + "\n" for l in man["layers"]))
PY
  # the docker-archive's layers, copied out once for the verification floor
  mkdir -p "$BT/$img.da" && tar -xf "$IMG/$img.docker.tar" -C "$BT/$img.da"
  find "$BT/$img.da" -name '*.tar' -size +1k >"$BT/$img.dalayers"
  cat "$IMG/$img.docker.tar" $(cat "$BT/$img.layers") >/dev/null # warm the page cache
  for form in docker-archive oci; do
    if [ $form = docker-archive ]; then
      src="$IMG/$img.docker.tar" ref="docker-archive:$src" what="cat"
      floor=(cat "$src")
      verify=(sh -c "xargs -P $(nproc) -n 1 openssl dgst -sha256 <'$BT/$img.dalayers'")
    else
      src="$lay" ref="oci:$lay:$img" what="igzip -dc"
      floor=(sh -c "for f in \$(cat '$BT/$img.layers'); do igzip -dc \"\$f\"; done")
      verify=(sh -c "xargs -P $(nproc) -I@ sh -c 'igzip -dc @ | openssl dgst -sha256' <'$BT/$img.layers'")
    fi
    read -r tq mq < <(median_run "$N" "$Q" sbom -f cyclonedx -o "$BT/quench.json" "$ref")
    cq=$(cat "$BT/cpu")
    read -r tt mt < <(median_run "$N" bash -c 'trivy_run "$0"' "$src")
    ct=$(cat "$BT/cpu")
    read -r tf _ < <(median_run "$N" "${floor[@]}")
    read -r tv _ < <(median_run "$N" "${verify[@]}")
    echo "| $img | $form | ${tq} s (${cq}) | ${tt} s (${ct}) | $(ratio "$tt" "$tq")x | ${tf} s ($what) | $(ratio "$tq" "$tf")x | ${tv} s | $((mq / 1024)) MB | $((mt / 1024)) MB |"
  done
  rm -rf "$BT/$img.da"
done
echo
echo "$(nproc) CPUs, $(date -u +%Y-%m-%d), median of $N runs; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
