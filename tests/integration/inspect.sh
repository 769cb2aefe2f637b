#!/bin/bash
# quench inspect on the five real test images in all three formats: each format gives the same
# config, the same diff_ids and the same file tree; the diff_ids equal the sha256 of the
# decompressed layers, the tree equals what GNU tar extracts from the layers (with whiteouts
# applied), and the config equals skopeo's reading of it.
. "$(dirname "$0")/lib.sh"
need_images || { done_testing; exit; }
IMAGES="debian-bookworm python-3.11 python-3.11-slim pyapp nginx"
L="$QUENCH_TESTIMAGES/oci"

# layer blobs (in order) of TAG in the OCI layout L
layer_blobs() {
  python3 - "$L" "$1" <<'EOF'
import json, sys
lay, tag = sys.argv[1], sys.argv[2]
idx = json.load(open(lay + "/index.json"))
d = [m for m in idx["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag][0]
man = json.load(open(lay + "/blobs/sha256/" + d["digest"][7:]))
for l in man["layers"]:
    print(lay + "/blobs/sha256/" + l["digest"][7:])
EOF
}

# the merged tree as GNU tar extracts it: whiteouts of a layer remove lower files first
tar_tree() {
  local root="$T/root-$1"
  rm -rf "$root" && mkdir "$root"
  for blob in $(layer_blobs "$1"); do
    tar -tzf "$blob" | grep -F '.wh.' >"$T/names" || true
    while IFS= read -r name; do
      name=${name#./}; name=${name%/}
      local base=${name##*/} dir=.
      [ "$base" != "$name" ] && dir=${name%/*}
      case $base in
        .wh..wh..opq) find "$root/$dir" -mindepth 1 -maxdepth 1 -exec rm -rf {} + ;;
        .wh.*) rm -rf "${root:?}/$dir/${base#.wh.}" ;;
      esac
    done <"$T/names"
    tar -xzpf "$blob" -C "$root" --numeric-owner --exclude='.wh.*'
  done
  (cd "$root" && find . -mindepth 1 -printf '%y %m %U:%G %s /%P\t%l\n') |
    awk -F'\t' '{ split($1, a, " "); size = (a[1] == "f") ? a[4] : 0;
                  line = sprintf("%s %04d %s %s", a[1], a[2], a[3], size);
                  path = substr($1, length(a[1] a[2] a[3] a[4]) + 5);
                  line = line " " path; if (a[1] == "l") line = line " -> " $2; print line }' | LC_ALL=C sort
  rm -rf "$root"
}

# our tree without the layer column, sorted the same way
quench_tree() {
  "$QUENCH" inspect --tree "$1" | awk '{ $5 = ""; sub(/  /, " "); print }' | LC_ALL=C sort
}

for img in $IMAGES; do
  refs="docker-archive:$QUENCH_TESTIMAGES/$img.docker.tar oci-archive:$QUENCH_TESTIMAGES/$img.oci.tar oci:$L:$img"
  i=0
  for ref in $refs; do
    i=$((i + 1))
    if "$QUENCH" inspect --json "$ref" >"$T/$img.$i.json" 2>"$T/err"; then ok "$img: inspect $ref"; else
      not_ok "$img: inspect $ref"; sed 's/^/# /' "$T/err"; continue; fi
    jq -S '.config' "$T/$img.$i.json" >"$T/$img.$i.config"
    jq -r '.layers[].diff_id' "$T/$img.$i.json" >"$T/$img.$i.diffids"
    "$QUENCH" inspect --tree "$ref" >"$T/$img.$i.tree"
  done
  for i in 2 3; do
    check "$img: format $i has the same config as docker-archive" cmp -s "$T/$img.1.config" "$T/$img.$i.config"
    check "$img: format $i has the same diff_ids" cmp -s "$T/$img.1.diffids" "$T/$img.$i.diffids"
    check "$img: format $i has the same file tree" cmp -s "$T/$img.1.tree" "$T/$img.$i.tree"
  done
  check "$img: tree has files" test "$(wc -l <"$T/$img.1.tree")" -gt 100
  # independent readings: skopeo for the config, GNU tar for the tree
  if have skopeo; then
    skopeo inspect --config "oci:$L:$img" | jq -S '.config | {Entrypoint, Cmd, Env, WorkingDir: (.WorkingDir // null), User: (.User // null), StopSignal: (.StopSignal // null), Labels: (.Labels // null)}' >"$T/skopeo.cfg"
    jq -S '.config | {Entrypoint, Cmd, Env, WorkingDir: (if .WorkingDir == "" then null else .WorkingDir end), User: (if .User == "" then null else .User end), StopSignal, Labels}' "$T/$img.1.json" >"$T/ours.cfg"
    check "$img: config fields equal skopeo's" cmp -s "$T/skopeo.cfg" "$T/ours.cfg"
    skopeo inspect "oci:$L:$img" | jq -r '.Layers[]' >"$T/skopeo.layers"
    jq -r '.layers[].digest' "$T/$img.3.json" >"$T/ours.layers"
    check "$img: layer digests equal skopeo's" cmp -s "$T/skopeo.layers" "$T/ours.layers"
  else
    skip "$img: skopeo cross-check" "skopeo not installed"
  fi
  # the diff_ids are the digests of the layers as tar reads them (decompressed)
  for blob in $(layer_blobs "$img"); do
    if have igzip; then igzip -dc "$blob"; else gzip -dc "$blob"; fi | sha256sum | sed 's/^\([0-9a-f]*\).*/sha256:\1/'
  done >"$T/$img.tar.diffids"
  check "$img: diff_ids equal the sha256 of the decompressed layers" cmp -s "$T/$img.tar.diffids" "$T/$img.1.diffids"
  tar_tree "$img" >"$T/$img.tar.tree"
  quench_tree "oci:$L:$img" >"$T/$img.ours.tree"
  if cmp -s "$T/$img.tar.tree" "$T/$img.ours.tree"; then ok "$img: tree equals GNU tar's extraction ($(wc -l <"$T/$img.tar.tree") entries)"; else
    not_ok "$img: tree equals GNU tar's extraction"; diff "$T/$img.tar.tree" "$T/$img.ours.tree" | head -10 | sed 's/^/# /'; fi
done

# dir: an unpacked root folder gives the same tree (layer column aside)
root="$T/unpacked"
mkdir "$root" && tar -xpf "$QUENCH_TESTIMAGES/rootfs/bookworm-minbase.tar" -C "$root" --numeric-owner 2>/dev/null
if [ -d "$root/etc" ]; then
  quench_tree "dir:$root" >"$T/dir.tree"
  quench_tree "oci:$L:debian-bookworm" >"$T/img.tree"
  if cmp -s "$T/dir.tree" "$T/img.tree"; then ok "dir: source equals the image's tree"; else
    not_ok "dir: source equals the image's tree"; diff "$T/img.tree" "$T/dir.tree" | head -10 | sed 's/^/# /'; fi
  expect_exit 0 "dir: source inspect" "$QUENCH" inspect --json "dir:$root"
  check "dir: source finds the OS" bash -c "jq -e '.os.id == \"debian\"' '$T/stdout' >/dev/null"
else
  skip "dir: source" "rootfs tar missing"
fi

# the table form shows the drop-in fields and the largest folders
expect_exit 0 "table output" "$QUENCH" inspect "$QUENCH_TESTIMAGES/pyapp.docker.tar"
for field in "Entrypoint  [\"python3\",\"/srv/app.py\"]" "User        65534:65534" "WorkingDir  /srv" \
  "Ports       [\"8000/tcp\"]" "Labels      org.opencontainers.image.title=pyapp" "OS          Debian GNU/Linux 12 (bookworm)" \
  "Largest folders"; do
  check "table shows: $field" grep -qF -- "$field" "$T/stdout"
done
check "ten largest folders" test "$(sed -n '/Largest folders/,$p' "$T/stdout" | grep -c '^ .* /')" = 10
done_testing
