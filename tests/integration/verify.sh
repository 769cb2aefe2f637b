#!/bin/bash
# quench verify on real images: pyapp (and nginx) hardened with their probes from images.json
# verify (exit 0, same answers, no missing path, honest packages); a hardened image with a kept
# library deleted by hand fails and names the path, both when the probes then fail (libz, which
# python3 links) and when they still pass (python's _json module, for which the importer falls
# back to pure Python); an interface change alone fails; the CVE delta with the shared Debian OSV
# data explains every CVE that went away by a removed package, and a CVE that disappears while
# its package stays is reported unexplained. In the asan variant only pyapp runs.
. "$(dirname "$0")/lib.sh"
IMAGES=$QUENCH_TESTIMAGES/images.json
VARIANT=${QUENCH_VARIANT:-plain}
OSV_TAR=$QUENCH_SHARED/data/debian-osv/vuls-data-raw-debian-osv_af8e56d.tar.xz

need_images || { done_testing; exit; }
for tool in runc umoci jq; do
  if ! have $tool; then skip "verify tests" "$tool is not installed"; done_testing; exit; fi
done
if [ "$(id -u)" != 0 ]; then skip "verify tests" "running containers needs root"; done_testing; exit; fi

# jq_true [JQ OPTIONS] FILTER FILE: the filter holds for the JSON file
jq_true() { jq -e "$@" >/dev/null; }
# probes NAME: the image's probes from images.json
probes() { jq ".\"$1\".probes" "$IMAGES" >"$T/$1.probes.json"; }
# repack SRC TAG DST: copy of the OCI layout SRC whose TAG is unpacked, changed by the function
# named in $EDIT (given the rootfs), and repacked into DST
repack() {
  rm -rf "$3" "$T/bundle"
  cp -a "$1" "$3" && umoci unpack --image "$3:$2" "$T/bundle" >/dev/null && "$EDIT" "$T/bundle/rootfs" &&
    umoci repack --image "$3:$2" "$T/bundle" >/dev/null && rm -rf "$T/bundle"
}

# ---- pyapp: harden, then verify ----
# (the archives, not the layout folder: a digest that changes under a running test is a failure)
ORIG=oci-archive:$QUENCH_TESTIMAGES/pyapp.oci.tar
probes pyapp
expect_exit 0 "pyapp: quench harden with the four probes" \
  "$QUENCH" harden "$ORIG" -o "$T/pyapp-h" --format oci \
  --probes "$T/pyapp.probes.json" --report "$T/pyapp.harden.json"

HARD=oci:$T/pyapp-h
HTAG=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$T/pyapp-h/index.json" 2>/dev/null)
V=$T/pyapp.verify.json
expect_exit 0 "pyapp: quench verify passes (probes from the harden report)" \
  "$QUENCH" verify "$ORIG" "$HARD" --probes-from "$T/pyapp.harden.json" --json -o "$V"
check "pyapp: the document says ok" jq_true '.schema == "quench.verify/v1" and .ok == true' "$V"
check "pyapp: all four probes ran on both images and answered the same" \
  jq_true '(.probes | length) == 4 and all(.probes[]; .same and .original.ran and .hardened.ran and (.diffs == []))' "$V"
check "pyapp: the health body digest is the same on both images" \
  jq_true '.probes[0].original.body_sha256 == .probes[0].hardened.body_sha256 and .probes[0].original.status == 200' "$V"
check "pyapp: both runs were recorded, and nothing they looked up is missing" \
  jq_true '.missing_paths_checked and .missing_paths == [] and .runs.hardened.paths_recorded > 0 and .runs.original.paths_recorded > 0' "$V"
check "pyapp: the interface is the same and the annotations name the original" \
  jq_true '.interface.ok and all(.interface.fields[]; .same) and (.interface.annotations.source_checks | length) >= 2 and all(.interface.annotations.source_checks[]; .ok)' "$V"
check "pyapp: packages removed and trimmed as the harden report says, none hidden" \
  bash -c "[ \"\$(jq -c '[.packages.removed[].name] | sort' '$V')\" = \"\$(jq -c '[.packages.list[] | select(.state == \"removed\") | .name] | sort' '$T/pyapp.harden.json')\" ] &&
           [ \"\$(jq -c '[.packages.trimmed[].name, .packages.kept[].name] | sort' '$V')\" = \"\$(jq -c '[.packages.list[] | select(.state != \"removed\") | .name] | sort' '$T/pyapp.harden.json')\" ] &&
           jq -e '.packages.hidden == [] and .packages.counts.removed > 0' '$V' >/dev/null"
check "pyapp: removed_sha256 is the digest of the sorted removed list" \
  bash -c "[ \"sha256:\$(jq -r '.paths.removed_list[]' '$V' | LC_ALL=C sort | sha256sum | cut -d' ' -f1)\" = \"\$(jq -r .paths.removed_sha256 '$V')\" ] &&
           jq -e '.paths.removed == (.paths.removed_list | length) and .size.hardened < .size.original' '$V' >/dev/null"
expect_exit 0 "pyapp: the text report passes too" \
  "$QUENCH" verify "$ORIG" "$HARD" --probes "$T/pyapp.probes.json" --no-trace
check "pyapp: the text report has a table per probe and the result" \
  bash -c "grep -q '^probe GET 8000/health: same' '$T/stdout' && grep -q '^probe POST 8000/api/items: same' '$T/stdout' &&
           grep -q '^    status *200 *200' '$T/stdout' && grep -q '^result: verified' '$T/stdout' &&
           grep -q '^missing paths: not checked' '$T/stdout'"

expect_exit 0 "pyapp without probes: the command runs on both until the time is up" \
  "$QUENCH" verify "$ORIG" "$HARD" --timeout 3 --no-trace --report "$T/noprobe.json"
check "pyapp without probes: the command is compared as the one probe" \
  jq_true '(.probes | length) == 1 and .probes[0].label == "command" and .probes[0].same and
           .probes[0].original.stopped_by == "timeout" and .probes[0].hardened.stopped_by == "timeout"' "$T/noprobe.json"

# ---- a kept library deleted by hand ----
LIBZ=
del_libz() {
  LIBZ=$(readlink -f "$1/usr/lib/x86_64-linux-gnu/libz.so.1" | sed "s|^$1/||")
  [ -f "$1/$LIBZ" ] && rm "$1/$LIBZ" && echo "$LIBZ" >"$T/libz.path"
}
EDIT=del_libz
if repack "$T/pyapp-h" "$HTAG" "$T/nolibz"; then
  LIBZ=$(cat "$T/libz.path")
  V=$T/nolibz.verify.json
  expect_exit 1 "libz deleted: quench verify fails" \
    "$QUENCH" verify "$ORIG" "oci:$T/nolibz:$HTAG" --probes-from "$T/pyapp.harden.json" --timeout 20 --report "$V"
  check "libz deleted: the text names the missing /$LIBZ" grep -qF "/$LIBZ" "$T/stdout"
  check "libz deleted: the document lists $LIBZ, reached through the libz.so.1 link, looked up by the command" \
    jq_true --arg p "$LIBZ" '.ok == false and any(.missing_paths[]; .path == $p and .package == "zlib1g")' "$V"
  check "libz deleted: the probes fail on the hardened image only" \
    jq_true 'all(.probes[]; .same == false and .original.ran and (.hardened.ran | not))' "$V"
else
  not_ok "libz deleted: the hardened layout could be unpacked, edited and repacked"
fi

JSONMOD=usr/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so
del_json() { [ -f "$1/$JSONMOD" ] && rm "$1/$JSONMOD"; }
EDIT=del_json
if repack "$T/pyapp-h" "$HTAG" "$T/nojson"; then
  V=$T/nojson.verify.json
  expect_exit 1 "_json deleted: quench verify fails although every probe passes" \
    "$QUENCH" verify "$ORIG" "oci:$T/nojson:$HTAG" --probes-from "$T/pyapp.harden.json" --json -o "$V"
  check "_json deleted: every probe answers the same" jq_true 'all(.probes[]; .same)' "$V"
  check "_json deleted: the missing module is named, with the probe that loaded it" \
    jq_true --arg p "$JSONMOD" '[.missing_paths[] | select(.path == $p and .seen_by != null)] | length == 1' "$V"
  check "_json deleted: only the missing-path check failed" \
    jq_true '.checks.missing_paths == false and .checks.probes and .checks.interface and .checks.packages_honest' "$V"
else
  not_ok "_json deleted: the hardened layout could be unpacked, edited and repacked"
fi

# ---- an interface change: no Cmd (the app then listens on its default port, the same one) ----
rm -rf "$T/nocmd" && cp -a "$T/pyapp-h" "$T/nocmd"
if umoci config --image "$T/nocmd:$HTAG" --clear=config.cmd >/dev/null 2>&1; then
  V=$T/nocmd.verify.json
  expect_exit 1 "Cmd cleared: quench verify fails" \
    "$QUENCH" verify "$ORIG" "oci:$T/nocmd:$HTAG" --probes-from "$T/pyapp.harden.json" --report "$V"
  check "Cmd cleared: the Cmd field is reported changed, the others not" \
    jq_true '.interface.ok == false and ([.interface.fields[] | select(.same | not) | .field] == ["Cmd"]) and
             (.interface.fields[] | select(.field == "Cmd") | .original == ["8000"] and .hardened == null)' "$V"
  check "Cmd cleared: the probes still answer the same" jq_true 'all(.probes[]; .same) and .missing_paths == []' "$V"
  check "Cmd cleared: the text shows the field" grep -q '^  Cmd ' "$T/stdout"
else
  not_ok "Cmd cleared: umoci config changed the hardened image"
fi

# ---- usage errors ----
expect_exit 2 "a bad --normalize regex is a usage error" "$QUENCH" verify --normalize '([' "$ORIG" "$HARD"
stderr_has "normalisation regex" "the error names the regex"
expect_exit 2 "--probes-from a file that is no harden report" "$QUENCH" verify --probes-from "$T/pyapp.probes.json" "$ORIG" "$HARD"
stderr_has "not a harden report" "the error says what is wrong"
expect_exit 2 "one image only is a usage error" "$QUENCH" verify "$ORIG"

if [ "$VARIANT" != plain ]; then
  done_testing
  exit
fi

# ---- a command that ends at once, under a runtime that is slow to follow ----
# python3 without a terminal exits at once and takes the probe running beside it along; runc
# may take seconds to report that end. The probe's answer must come from the paused container
# on both sides: the printed 42, not the kill.
SLIM=oci-archive:$QUENCH_TESTIMAGES/python-3.11-slim.oci.tar
slow_runtime "$T/slow-runtime"
expect_exit 0 "slim: quench harden with an exec probe" "$QUENCH" harden "$SLIM" -o "$T/slim-h" --format oci \
  --probe-exec "python3 -c 'print(6*7)'" --report "$T/slim.harden.json"
V=$T/slim.verify.json
expect_exit 0 "slim: quench verify passes under the slow runtime" "$QUENCH" verify "$SLIM" "oci:$T/slim-h" \
  --runtime "$T/slow-runtime" --probes-from "$T/slim.harden.json" --json -o "$V"
FORTY_TWO=sha256:$(echo 42 | sha256sum | cut -d' ' -f1)
check "slim: both sides answered 42 with exit code 0 ($(jq -c '[.probes[0].original.exit_code, .probes[0].hardened.exit_code]' "$V" 2>&1))" \
  jq_true --arg d "$FORTY_TWO" '.probes[0] | .same and .original.exit_code == 0 and .hardened.exit_code == 0 and .original.stdout_sha256 == $d and .hardened.stdout_sha256 == $d' "$V"

# ---- nginx ----
probes nginx
expect_exit 0 "nginx: quench harden with GET /" \
  "$QUENCH" harden "oci-archive:$QUENCH_TESTIMAGES/nginx.oci.tar" -o "$T/nginx-h" --format oci \
  --probes "$T/nginx.probes.json" --report "$T/nginx.harden.json"
V=$T/nginx.verify.json
expect_exit 0 "nginx: quench verify passes" \
  "$QUENCH" verify "oci-archive:$QUENCH_TESTIMAGES/nginx.oci.tar" "oci:$T/nginx-h" --probes-from "$T/nginx.harden.json" \
  --header Content-Type --header Server --header Last-Modified --json -o "$V"
check "nginx: GET / answers 200 with the same body and headers on both" \
  jq_true '.ok and .probes[0].same and .probes[0].original.status == 200 and
           .probes[0].original.headers.Server != null and .probes[0].original.headers == .probes[0].hardened.headers' "$V"
check "nginx: nothing missing" jq_true '.missing_paths == [] and .runs.hardened.paths_recorded > 0' "$V"

# ---- CVE delta with the shared Debian OSV data ----
if [ ! -s "$OSV_TAR" ]; then
  skip "CVE delta" "no $OSV_TAR"
  done_testing
  exit
fi
mkdir -p "$T/osv"
if tar -xJf "$OSV_TAR" -C "$T/osv" CVE && "$QUENCH" -q db import --db "$T/db.sqlite" "$T/osv" >/dev/null; then
  ok "the Debian OSV records import into a temporary database"
else
  not_ok "the Debian OSV records import into a temporary database"
fi
rm -rf "$T/osv"
V=$T/pyapp.cves.json
expect_exit 0 "pyapp --db: quench verify passes with the CVE delta" \
  "$QUENCH" verify "$ORIG" "$HARD" --probes-from "$T/pyapp.harden.json" --db "$T/db.sqlite" \
  --base "oci-archive:$QUENCH_TESTIMAGES/python-3.11-slim.oci.tar" --report "$V"
check "pyapp --db: fewer CVEs after, some removed, none unexplained or new" \
  jq_true '.cves.ok and .cves.after.total < .cves.before.total and .cves.counts.removed > 0 and
           .cves.unexplained == [] and .cves.added == [] and (.cves.db.sources | length) >= 1' "$V"
check "pyapp --db: the counts add up (before = removed + remaining, after = remaining)" \
  jq_true '.cves.before.total == (.cves.removed | length) + (.cves.remaining | length) and .cves.after.total == (.cves.remaining | length) and
           .cves.before.total == .cves.before.base.total + .cves.before.app.total + .cves.before.unknown.total' "$V"
check "pyapp --db: the base split found the python-3.11-slim layers" jq_true '.cves.before.base.total > 0' "$V"
check "pyapp --db: every removed CVE is explained by a package the harden report removed" \
  bash -c "jq -r '.cves.removed[].explained_by' '$V' | sed 's/ removed\$//' | sort -u >'$T/expl' &&
           jq -r '.packages.list[] | select(.state == \"removed\") | .name' '$T/pyapp.harden.json' | sort -u >'$T/gone' &&
           [ -s '$T/expl' ] && [ -z \"\$(comm -23 '$T/expl' '$T/gone')\" ]"
check "pyapp --db: remaining CVEs name kept or trimmed packages" \
  jq_true 'all(.cves.remaining[]; .package_state == "kept" or .package_state == "trimmed")' "$V"
check "pyapp --db: the text shows before -> after for base and app" \
  bash -c "grep -qE '^cves: [0-9]+ -> [0-9]+ \\(base [0-9]+ -> [0-9]+, app [0-9]+ -> [0-9]+' '$T/stdout'"

# a CVE that leaves while its package stays: the scans of the two images, with one finding of a
# trimmed package dropped from the hardened image's scan
if "$QUENCH" scan "$ORIG" --db "$T/db.sqlite" -f json --no-changelog -o "$T/scan-a.json" 2>/dev/null &&
  "$QUENCH" scan "$HARD" --db "$T/db.sqlite" -f json --no-changelog -o "$T/scan-b.json" 2>/dev/null; then
  DROP=$(jq -r --slurpfile v "$V" '[$v[0].cves.remaining[] | select(.package_state == "trimmed")][0] | "\(.id) \(.purl)"' "$T/scan-a.json")
  read -r DID DPURL <<<"$DROP"
  jq --arg id "$DID" --arg p "$DPURL" '.findings |= map(select((.id == $id and .purl == $p) | not))' "$T/scan-b.json" >"$T/scan-b2.json"
  V=$T/unexpl.verify.json
  expect_exit 1 "a CVE gone while its package stays fails verification" \
    "$QUENCH" verify "$ORIG" "$HARD" --probes-from "$T/pyapp.harden.json" --no-trace \
    --scan-original "$T/scan-a.json" --scan-hardened "$T/scan-b2.json" --report "$V"
  check "it is listed as unexplained ($DID), with its package trimmed" \
    jq_true --arg id "$DID" '.cves.ok == false and ([.cves.unexplained[] | select(.id == $id and .package_state == "trimmed")] | length) == 1' "$V"
  check "the text names it" grep -qF "UNEXPLAINED $DID" "$T/stdout"
else
  not_ok "quench scan writes the two scan documents"
fi

done_testing
