#!/bin/bash
# Hostile and broken images: each one is refused with exit code 2, a one-line error naming what
# was wrong and where, and nothing written. Good images in the rarer formats are read correctly.
. "$(dirname "$0")/lib.sh"
MK="python3 $(dirname "$0")/mkimage.py"

# refuse CASE TEXT [quench args]: inspect must fail with exit 2 and TEXT in a one-line error,
# and -o must leave the output folder empty
refuse() {
  local c=$1 text=$2; shift 2
  $MK "$T" "$c" || { not_ok "$c: fixture"; return; }
  local ref="$T/$c"; [ -d "$ref" ] && ref="oci:$ref"
  mkdir -p "$T/out-$c"
  expect_exit 2 "$c: exit code 2" "$QUENCH" inspect "$@" -o "$T/out-$c/report.txt" "$ref"
  stderr_has "$text" "$c: one-line error naming the problem"
  check "$c: nothing written" test -z "$(ls -A "$T/out-$c")"
}

refuse dotdot '"../evil": path escapes the root'
refuse absolute '"/etc/passwd": absolute path escapes the root'
refuse symlink_parent '"evil/pwned": path escapes through symlinked folder "evil"'
refuse hardlink_outside 'hardlink target "../../etc/passwd": path escapes the root'
refuse hardlink_missing '"h": hardlink to "nope/nothing", which does not exist'
refuse symlink_loop 'symlink loop'
refuse device '"etc/sda": device node outside /dev'
refuse short_data '"big": data is shorter than its header says'
refuse long_data 'invalid header checksum after "a" (its data is longer or shorter than its header says'
refuse gzip_truncated 'truncated gzip stream'
refuse gzip_corrupt 'corrupt gzip stream'
refuse zstd_truncated 'truncated zstd stream'
refuse missing_blob 'blob is missing from the image'
refuse digest_mismatch 'digest mismatch (content hashes to sha256:'
refuse diffid_mismatch "but the config's diff_id is sha256:abab"
refuse bad_json 'malformed JSON at line 1'
refuse deep_json 'JSON nested deeper than 64 levels'
refuse bomb_size 'uncompressed size is over the limit of 1.0 MB' --max-size 1M
refuse bomb_entries 'more than 100 entries in the image' --max-entries 100
refuse bomb_path 'path longer than the limit of 100 bytes' --max-path 100

# the same bombs pass with the default (or raised) limits
for c in bomb_size bomb_entries bomb_path; do
  expect_exit 0 "$c: accepted with raised limits" "$QUENCH" inspect --max-size 1G --max-entries 1000 --max-path 4096 "oci:$T/$c"
done

# good images in the other formats
$MK "$T" good && $MK "$T" zstd && $MK "$T" plain && $MK "$T" multiarch && $MK "$T" docker_legacy
expect_exit 0 "whiteouts and opaque folders" "$QUENCH" inspect --tree "oci:$T/good"
check "whiteout removed usr/lib/libx.so.1" bash -c "! grep -q ' /usr/lib/libx.so.1$' '$T/stdout'"
check "opaque /etc keeps only the new os-release" bash -c "[ \"\$(grep -c ' /etc/' '$T/stdout')\" = 1 ] && grep -q '^f 0644 0:0 [0-9]* 1 /etc/os-release$' '$T/stdout'"
check "hardlink listed as a file of its target's size" grep -q '^f 0644 0:0 4 1 /srv/app-link$' "$T/stdout"
expect_exit 0 "zstd layers" "$QUENCH" inspect --json "oci:$T/zstd"
check "zstd detected by content" grep -q '"compression": "zstd"' "$T/stdout"
expect_exit 0 "uncompressed layers" "$QUENCH" inspect --json "oci:$T/plain"
check "uncompressed detected by content" grep -q '"compression": "none"' "$T/stdout"
expect_exit 0 "legacy docker-archive with a linked layer" "$QUENCH" inspect --json "docker-archive:$T/docker_legacy"
check "legacy layers: three, the third a link to the first" bash -c "jq -e '.layers | length == 3 and .[0].digest == .[2].digest' '$T/stdout' >/dev/null"
check "legacy tag from RepoTags" bash -c "jq -e '.image.tag == \"legacy/img:1\"' '$T/stdout' >/dev/null"
gzip -c "$T/docker_legacy" >"$T/legacy.tar.gz"
expect_exit 0 "gzip-compressed docker-archive" "$QUENCH" inspect "$T/legacy.tar.gz"
expect_exit 0 "multi-platform index: host platform" "$QUENCH" inspect --json "oci:$T/multiarch"
check "host picks linux/amd64" bash -c "jq -e '.image.platform == \"linux/amd64\"' '$T/stdout' >/dev/null"
expect_exit 0 "multi-platform index: --platform linux/arm64" "$QUENCH" inspect --json --platform linux/arm64 "oci:$T/multiarch"
check "--platform picks arm64/v8" bash -c "jq -e '.image.platform == \"linux/arm64/v8\"' '$T/stdout' >/dev/null"
expect_exit 2 "missing platform" "$QUENCH" inspect --platform linux/s390x "oci:$T/multiarch"
stderr_has "no image for platform linux/s390x (available: linux/amd64, linux/arm64/v8)" "missing platform lists what is there"
expect_exit 2 "unknown tag" "$QUENCH" inspect "oci:$T/multiarch:nope"
stderr_has 'no tag "nope" in index.json (tags: multi)' "unknown tag lists the tags"
# sha512 blob digests: a layer stored under blobs/sha512/ is verified with sha512; under a name
# that is not its sha512 it is refused
sha512_image() {
  python3 - "$(dirname "$0")" "$1" "$2" <<'EOF'
import hashlib, json, os, sys
sys.path.insert(0, sys.argv[1])
import mkimage
out, bad = sys.argv[2], sys.argv[3] == "bad"
lay = mkimage.Layout(out)
man_desc = lay.image([mkimage.tar_bytes(mkimage.BASE)])
man = json.load(open(os.path.join(out, "blobs/sha256", man_desc["digest"][7:])))
layer = man["layers"][0]
data = open(os.path.join(out, "blobs/sha256", layer["digest"][7:]), "rb").read()
hexd = hashlib.sha512(data).hexdigest()
if bad:
    hexd = hashlib.sha512(data + b"x").hexdigest()
os.makedirs(os.path.join(out, "blobs/sha512"), exist_ok=True)
open(os.path.join(out, "blobs/sha512", hexd), "wb").write(data)
layer["digest"] = "sha512:" + hexd
lay.index([dict(mediaType=man_desc["mediaType"], **lay.blob(json.dumps(man).encode()))], ["latest"])
EOF
}
sha512_image "$T/sha512" good && sha512_image "$T/sha512bad" bad
expect_exit 0 "sha512 layer digest verified" "$QUENCH" inspect --json "oci:$T/sha512"
check "sha512 layer digest reported" bash -c "jq -e '.layers[0].digest | startswith(\"sha512:\")' '$T/stdout' >/dev/null"
expect_exit 2 "sha512 digest mismatch refused" "$QUENCH" inspect "oci:$T/sha512bad"
stderr_has 'digest mismatch (content hashes to sha512:' "sha512 mismatch: one-line error naming the blob"
expect_exit 2 "no such file" "$QUENCH" inspect "$T/does-not-exist.tar"
expect_exit 2 "usage error" "$QUENCH" inspect
done_testing
