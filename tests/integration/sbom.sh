#!/bin/bash
# quench sbom against independent readings:
#   - small roots made here (apk, rpm via rpmbuild + rpm, Python, Node, Java, a Go binary built
#     offline), read through `quench sbom dir:ROOT` with exact expected packages;
#   - the five real test images: CycloneDX 1.6 and SPDX 2.3 output valid under the official
#     schemas (shared/schemas/validate.py), the dpkg packages equal to dpkg-query's on the
#     root unpacked from the layers with tar, the same packages from every image format, and
#     (plain build only, it costs a minute) equal to Trivy's CycloneDX inventory;
#   - the documents' structure (image as root element, OS component, dependency graph checked
#     against dpkg-query's Depends/Provides), the table and JSON forms, and -o FILE written
#     atomically.
. "$(dirname "$0")/lib.sh"
S="$QUENCH_SHARED/schemas"
L="$QUENCH_TESTIMAGES/oci"
IMAGES="debian-bookworm python-3.11 python-3.11-slim pyapp nginx"
CDX_SCHEMA="$S/cyclonedx/bom-1.6.schema.json"
SPDX_SCHEMA="$S/spdx-schema-2.3.json"

have_validator() { [ -f "$S/validate.py" ] && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; }
# validate SCHEMA FILE DESCRIPTION
validate() {
  if ! have_validator; then skip "$3" "python3-jsonschema or $S/validate.py missing"; return; fi
  if /usr/bin/python3 "$S/validate.py" "$1" "$2" >"$T/validate.out" 2>&1; then ok "$3"; else
    not_ok "$3"; sed 's/^/#   /' "$T/validate.out" | tail -12; fi
}
# same DESCRIPTION FILE_A FILE_B: equal files, else the first differences
same() {
  if cmp -s "$2" "$3"; then ok "$1"; else not_ok "$1"; diff "$2" "$3" | head -12 | sed 's/^/#   /'; fi
}
# spdx_extra FILE: what the 2.3 schema does not check (no top-level $schema, SPDXID syntax,
# date-time of created, a URI namespace without '#', relationships naming known elements)
spdx_extra() {
  python3 - "$1" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
assert "$schema" not in d, "top-level $schema"
ids = {"SPDXRef-DOCUMENT"} | {p["SPDXID"] for p in d["packages"]}
assert len(ids) == len(d["packages"]) + 1, "duplicate SPDXID"
for i in ids:
    assert re.fullmatch(r"SPDXRef-[A-Za-z0-9.\-]+", i), i
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", d["creationInfo"]["created"]), d["creationInfo"]["created"]
assert re.fullmatch(r"https://[^#\s]+", d["documentNamespace"]), d["documentNamespace"]
for r in d["relationships"]:
    assert r["spdxElementId"] in ids and r["relatedSpdxElement"] in ids, r
refs = {e["licenseId"] for e in d.get("hasExtractedLicensingInfos", [])}
for p in d["packages"]:
    for ref in re.findall(r"LicenseRef-[A-Za-z0-9.\-]+", p["licenseDeclared"]):
        assert ref in refs, ref
EOF
}

# ---------------------------------------------------------------------------------------------
# 1. Small roots made here, one per package type, with exact expected results
# ---------------------------------------------------------------------------------------------
mk_alpine_root() {
  local R=$1 SP
  SP=$R/usr/lib/python3.12/site-packages
  mkdir -p "$R/etc" "$R/lib/apk/db" "$R/bin" "$R/opt/app" "$R/app/node_modules/@acme/util" \
    "$R/app/node_modules/left-pad" "$R/usr/share/nodejs/debian-ish" "$SP/requests" \
    "$SP/requests-2.31.0.dist-info" "$SP/six-1.16.0.dist-info" "$SP/urllib3-2.0.7.dist-info"
  printf 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.3\nPRETTY_NAME="Alpine Linux v3.20"\n' >"$R/etc/os-release"
  # py3-six owns a dist-info: it must not also count as a Python package
  cat >"$R/lib/apk/db/installed" <<'EOF'
C:Q1abcdefghijklmnopqrstuvwxyz0=
P:musl
V:1.2.5-r0
A:x86_64
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
Z:Q1kBt9TaIBpoqUw0EEI5kHS5Y/Fi8=

P:py3-six
V:1.16.0-r9
A:noarch
T:Python 2 and 3 compatibility library
L:MIT
o:py-six
D:python3 so:libc.musl-x86_64.so.1
F:usr/lib/python3.12/site-packages/six-1.16.0.dist-info
R:METADATA
R:RECORD
F:usr/lib/python3.12/site-packages
R:six.py

EOF
  printf 'musl\n' >"$R/lib/ld-musl-x86_64.so.1"
  printf 'Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n\n' >"$SP/six-1.16.0.dist-info/METADATA"
  printf 'six.py,,\n' >"$SP/six-1.16.0.dist-info/RECORD"
  printf '# six\n' >"$SP/six.py"
  printf 'Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nSummary: Python HTTP for Humans.\nLicense: Apache 2.0\nRequires-Dist: urllib3 (<3,>=1.21.1)\nRequires-Dist: PySocks (!=1.5.7,>=1.5.6) ; extra == "socks"\n\n' \
    >"$SP/requests-2.31.0.dist-info/METADATA"
  printf 'requests/__init__.py,sha256=AAAA,11\nrequests-2.31.0.dist-info/METADATA,,\n' >"$SP/requests-2.31.0.dist-info/RECORD"
  printf 'import os\n\n' >"$SP/requests/__init__.py"
  printf 'Metadata-Version: 2.1\nName: urllib3\nVersion: 2.0.7\nLicense-Expression: MIT\n\n' >"$SP/urllib3-2.0.7.dist-info/METADATA"
  printf 'Metadata-Version: 1.1\nName: legacy-egg\nVersion: 0.3\nLicense: BSD\n' >"$SP/legacy_egg-0.3-py3.12.egg-info"
  # the application's own package.json is not an installed package; node_modules and Debian's
  # /usr/share/nodejs hold installed ones
  printf '{"name":"app","version":"1.0.0","private":true,"dependencies":{"left-pad":"^1.3.0"}}\n' >"$R/app/package.json"
  printf '{"name":"left-pad","version":"1.3.0","license":"WTFPL"}\n' >"$R/app/node_modules/left-pad/package.json"
  printf '{"name":"@acme/util","version":"2.1.0","license":"MIT","dependencies":{"left-pad":"*"}}\n' \
    >"$R/app/node_modules/@acme/util/package.json"
  printf '{"name":"debian-ish","version":"0.9.1","license":"ISC"}\n' >"$R/usr/share/nodejs/debian-ish/package.json"
  # Java: an application jar with pom.properties and a nested library jar; a jar known only by
  # its MANIFEST.MF
  python3 - "$R/opt/app" <<'EOF'
import io, sys, zipfile
inner = io.BytesIO()
with zipfile.ZipFile(inner, "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
    z.writestr("META-INF/maven/org.example/inner-lib/pom.properties", "groupId=org.example\nartifactId=inner-lib\nversion=0.5\n")
with zipfile.ZipFile(sys.argv[1] + "/app.jar", "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nImplementation-Title: app\r\n\r\n")
    z.writestr("META-INF/maven/com.acme/app/pom.properties", "groupId=com.acme\nartifactId=app\nversion=3.1.4\n")
    z.writestr("BOOT-INF/lib/inner-lib-0.5.jar", inner.getvalue())
with zipfile.ZipFile(sys.argv[1] + "/plain.jar", "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nImplementation-Title: plain-tool\r\nImplementation-Version: 7.2\r\nImplementation-Vendor-Id: org.plain\r\n\r\n")
EOF
}

# a Go binary built offline with one vendored dependency; prints the toolchain's version
mk_go_binary() {
  local W=$T/go out=$1
  mkdir -p "$W/app/vendor/example.com/greet"
  printf 'package greet\n\nfunc Hello() string { return "hi" }\n' >"$W/app/vendor/example.com/greet/greet.go"
  printf 'module example.com/hello\n\ngo 1.19\n\nrequire example.com/greet v1.4.2\n' >"$W/app/go.mod"
  printf '# example.com/greet v1.4.2\n## explicit\nexample.com/greet\n' >"$W/app/vendor/modules.txt"
  printf 'package main\n\nimport "example.com/greet"\n\nfunc main() { println(greet.Hello()) }\n' >"$W/app/main.go"
  (cd "$W/app" && env -i PATH="$PATH" HOME="$W" GOCACHE="$W/cache" GOPATH="$W/gopath" GOPROXY=off \
    GOFLAGS=-mod=vendor GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -o "$out" .) >"$T/go.log" 2>&1 || return 1
  go version "$out" | awk '{ print $2 }'
}


# one line per package: type name version source arch licence purl location files deps
pkg_lines() {
  jq -r '.packages[] | [.type, .name, .version, (.source_name // "-") + " " + (.source_version // "-"), (.arch // "-"),
    (.license // "-"), .purl, .location, (.files | map(.path + ":" + (.size | tostring)) | join(",")),
    (.dependencies | join(","))] | join(" | ")' "$1"
}

root=$T/alpine
mk_alpine_root "$root"
gover=""
if have go; then
  gover=$(mk_go_binary "$root/bin/hello") || { not_ok "go build of the fixture binary"; sed 's/^/#   /' "$T/go.log" | tail -5; }
else
  skip "Go binary fixture" "go not installed (apt-get install golang-go)"
fi
expect_exit 0 "fixture root: quench sbom -f json dir:" "$QUENCH" sbom -f json "dir:$root"
cp "$T/stdout" "$T/alpine.json"
pkg_lines "$T/alpine.json" | grep -v '^golang ' >"$T/alpine.got"
SPD=/usr/lib/python3.12/site-packages
cat >"$T/alpine.want" <<EOF
apk | musl | 1.2.5-r0 | musl 1.2.5-r0 | x86_64 | MIT | pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3 | /lib/apk/db/installed | /lib/ld-musl-x86_64.so.1:5 | 
apk | py3-six | 1.16.0-r9 | py-six 1.16.0-r9 | noarch | MIT | pkg:apk/alpine/py3-six@1.16.0-r9?arch=noarch&distro=3.20.3 | /lib/apk/db/installed | $SPD/six-1.16.0.dist-info/METADATA:62,$SPD/six-1.16.0.dist-info/RECORD:9,$SPD/six.py:6 | pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3
pypi | legacy-egg | 0.3 | - - | - | BSD | pkg:pypi/legacy-egg@0.3 | $SPD/legacy_egg-0.3-py3.12.egg-info |  | 
pypi | requests | 2.31.0 | - - | - | Apache 2.0 | pkg:pypi/requests@2.31.0 | $SPD/requests-2.31.0.dist-info/METADATA | $SPD/requests-2.31.0.dist-info/METADATA:204,$SPD/requests/__init__.py:11 | pkg:pypi/urllib3@2.0.7
pypi | urllib3 | 2.0.7 | - - | - | MIT | pkg:pypi/urllib3@2.0.7 | $SPD/urllib3-2.0.7.dist-info/METADATA |  | 
npm | @acme/util | 2.1.0 | - - | - | MIT | pkg:npm/%40acme/util@2.1.0 | /app/node_modules/@acme/util/package.json |  | pkg:npm/left-pad@1.3.0
npm | debian-ish | 0.9.1 | - - | - | ISC | pkg:npm/debian-ish@0.9.1 | /usr/share/nodejs/debian-ish/package.json |  | 
npm | left-pad | 1.3.0 | - - | - | WTFPL | pkg:npm/left-pad@1.3.0 | /app/node_modules/left-pad/package.json |  | 
maven | com.acme:app | 3.1.4 | - - | - | - | pkg:maven/com.acme/app@3.1.4 | /opt/app/app.jar |  | 
maven | org.example:inner-lib | 0.5 | - - | - | - | pkg:maven/org.example/inner-lib@0.5 | /opt/app/app.jar!/BOOT-INF/lib/inner-lib-0.5.jar |  | 
maven | org.plain:plain-tool | 7.2 | - - | - | - | pkg:maven/org.plain/plain-tool@7.2 | /opt/app/plain.jar |  | 
EOF
same "fixture root: apk, Python, Node and Java packages exactly as expected" "$T/alpine.want" "$T/alpine.got"
if [ -n "$gover" ]; then
  pkg_lines "$T/alpine.json" | grep '^golang ' >"$T/go.got"
  cat >"$T/go.want" <<EOF
golang | example.com/greet | v1.4.2 | - - | - | - | pkg:golang/example.com/greet@v1.4.2 | /bin/hello |  | 
golang | example.com/hello | (devel) | - - | - | - | pkg:golang/example.com/hello | /bin/hello |  | 
golang | stdlib | v${gover#go} | - - | - | - | pkg:golang/stdlib@v${gover#go} | /bin/hello |  | 
EOF
  same "fixture root: Go binary's modules and toolchain ($gover) as expected" "$T/go.want" "$T/go.got"
  check "Go binary: go_version recorded" bash -c "jq -e '[.packages[] | select(.type == \"golang\") | .go_version] | unique == [\"$gover\"]' '$T/alpine.json' >/dev/null"
fi
check "fixture root: OS is Alpine 3.20.3" bash -c "jq -e '.os.id == \"alpine\" and .os.version_id == \"3.20.3\"' '$T/alpine.json' >/dev/null"
check "fixture root: no warnings" bash -c "jq -e '.warnings == []' '$T/alpine.json' >/dev/null"
for f in cyclonedx spdx; do
  "$QUENCH" sbom -f $f -o "$T/alpine.$f.json" "dir:$root" || not_ok "fixture root: sbom -f $f"
done
validate "$CDX_SCHEMA" "$T/alpine.cyclonedx.json" "fixture root: CycloneDX 1.6 valid"
validate "$SPDX_SCHEMA" "$T/alpine.spdx.json" "fixture root: SPDX 2.3 valid"
check "fixture root: SPDX checks the schema leaves out" spdx_extra "$T/alpine.spdx.json"
check "fixture root: non-SPDX licence names become declared LicenseRefs" bash -c \
  "jq -e '[.hasExtractedLicensingInfos[].extractedText] | index(\"Apache 2.0\") != null' '$T/alpine.spdx.json' >/dev/null"

if have rpmbuild && have rpm; then
  if mk_rpm_root "$T/rpmroot"; then
    expect_exit 0 "rpm root: quench sbom -f json dir:" "$QUENCH" sbom -f json "dir:$T/rpmroot"
    cp "$T/stdout" "$T/rpm.json"
    pkg_lines "$T/rpm.json" >"$T/rpm.got"
    cat >"$T/rpm.want" <<'EOF'
rpm | qnhello | 2:1.2.3-4.el9 | qnhello 2:1.2.3-4.el9 | noarch | MIT | pkg:rpm/rocky/qnhello@1.2.3-4.el9?arch=noarch&distro=rocky-9.3&epoch=2 | /var/lib/rpm/rpmdb.sqlite | /usr/share/qnhello/hello.txt:6 | pkg:rpm/rocky/qnlib@1.2.3-4.el9?arch=noarch&distro=rocky-9.3&epoch=2
rpm | qnlib | 2:1.2.3-4.el9 | qnhello 2:1.2.3-4.el9 | noarch | BSD-3-Clause | pkg:rpm/rocky/qnlib@1.2.3-4.el9?arch=noarch&distro=rocky-9.3&epoch=2 | /var/lib/rpm/rpmdb.sqlite | /usr/lib/qnlib/lib.txt:4 | 
EOF
    same "rpm root: packages exactly as rpm installed them" "$T/rpm.want" "$T/rpm.got"
    # an rpmdb in Berkeley DB format is not read, and the report says so
    mkdir -p "$T/bdbroot/var/lib/rpm" && printf '\0\0\0\0\0\0\0\0\0\0\0\0\x61\x15\x06\0' >"$T/bdbroot/var/lib/rpm/Packages"
    expect_exit 0 "Berkeley DB rpmdb: sbom still succeeds" "$QUENCH" sbom -f json "dir:$T/bdbroot"
    check "Berkeley DB rpmdb: a warning names it" bash -c "jq -e '.warnings | map(test(\"var/lib/rpm/Packages\")) | any' '$T/stdout' >/dev/null"
  else
    not_ok "rpm fixture (rpmbuild / rpm -i)"; sed 's/^/#   /' "$T/rpm.log" | tail -5
  fi
else
  skip "rpm fixture" "rpmbuild or rpm missing (apt-get install rpm)"
fi

# a distroless-style root: dpkg's status.d (one file per package, no Status field) with
# md5sums, and etc/os-release a symlink into usr/lib
R=$T/distroless
mkdir -p "$R/var/lib/dpkg/status.d" "$R/usr/lib/x86_64-linux-gnu" "$R/etc"
printf 'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\n' >"$R/usr/lib/os-release"
ln -s ../usr/lib/os-release "$R/etc/os-release"
printf 'Package: libssl3\nVersion: 3.0.15-1~deb12u1\nArchitecture: amd64\nSource: openssl\nDepends: libc6 (>= 2.34)\nDescription: TLS\n' \
  >"$R/var/lib/dpkg/status.d/libssl3"
printf 'Package: libc6\nVersion: 2.36-9+deb12u9\nArchitecture: amd64\nSource: glibc\nDescription: C library\n' >"$R/var/lib/dpkg/status.d/libc6"
for f in libssl.so.3:libssl3 libc.so.6:libc6; do
  echo "${f%%:*}" >"$R/usr/lib/x86_64-linux-gnu/${f%%:*}"
  echo "$(md5sum <"$R/usr/lib/x86_64-linux-gnu/${f%%:*}" | cut -d' ' -f1)  usr/lib/x86_64-linux-gnu/${f%%:*}" >"$R/var/lib/dpkg/status.d/${f##*:}.md5sums"
done
expect_exit 0 "distroless root: quench sbom -f json dir:" "$QUENCH" sbom -f json "dir:$R"
pkg_lines "$T/stdout" >"$T/dl.got"
cat >"$T/dl.want" <<'EOF'
deb | libc6 | 2.36-9+deb12u9 | glibc 2.36-9+deb12u9 | amd64 | - | pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?arch=amd64&distro=debian-12&upstream=glibc | /var/lib/dpkg/status.d/libc6 | /usr/lib/x86_64-linux-gnu/libc.so.6:10 | 
deb | libssl3 | 3.0.15-1~deb12u1 | openssl 3.0.15-1~deb12u1 | amd64 | - | pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl | /var/lib/dpkg/status.d/libssl3 | /usr/lib/x86_64-linux-gnu/libssl.so.3:12 | pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?arch=amd64&distro=debian-12&upstream=glibc
EOF
same "distroless root: status.d packages, files from md5sums, purls and dependency exactly" "$T/dl.want" "$T/dl.got"
check "distroless root: OS from the symlinked os-release" bash -c "jq -e '.os.id == \"debian\" and .os.version_id == \"12\" and .os.source == \"/usr/lib/os-release\"' '$T/stdout' >/dev/null"

# Trivy on the same roots (plain build only): the differences are exactly the ones
# docs/trivy-differences.md explains. Trivy cannot read jars offline (it insists on downloading
# its Java DB first), so they are left out of its run.
TRIVY=""
if [ "${QUENCH_VARIANT:-plain}" = plain ]; then
  TRIVY=$("$SRC_ROOT/scripts/trivy.sh" 2>/dev/null) || TRIVY=""
  [ -n "$TRIVY" ] || skip "Trivy cross-checks" "Trivy not installed (scripts/trivy.sh --install)"
fi
# trivy_fs ROOT OUT: Trivy's CycloneDX inventory of a root folder
trivy_fs() {
  "$TRIVY" rootfs "$1" -f cyclonedx --offline-scan -q --skip-files '**/*.jar' --cache-dir "$T/trivy-cache" -o "$2" 2>"$T/trivy.err"
}
if [ -n "$TRIVY" ]; then
  if trivy_fs "$root" "$T/alpine.trivy.json"; then
    jq -r '.components[] | select(.purl) | .purl | sub("\\?.*"; "")' "$T/alpine.trivy.json" | LC_ALL=C sort >"$T/t.purls"
    jq -r '.packages[] | select(.type != "maven") | .purl | sub("\\?.*"; "")' "$T/alpine.json" | LC_ALL=C sort >"$T/q.purls"
    { comm -23 "$T/t.purls" "$T/q.purls" | sed 's/^/trivy only: /'; comm -13 "$T/t.purls" "$T/q.purls" | sed 's/^/quench only: /'; } >"$T/tq.diff"
    {
      echo "trivy only: pkg:npm/app@1.0.0"
      [ -n "$gover" ] && echo "quench only: pkg:golang/example.com/hello" && echo "quench only: pkg:golang/stdlib@v${gover#go}"
    } | LC_ALL=C sort >"$T/tq.want"
    LC_ALL=C sort -o "$T/tq.diff" "$T/tq.diff"
    same "fixture root: Trivy finds the same apk, Python, Node and Go packages but for the documented differences" "$T/tq.want" "$T/tq.diff"
  else
    not_ok "fixture root: Trivy ran"; sed 's/^/#   /' "$T/trivy.err" | tail -3
  fi
  if [ -f "$T/rpmroot/etc/redhat-release" ] && trivy_fs "$T/rpmroot" "$T/rpm.trivy.json"; then
    jq -r '.components[] | select(.purl) | [.name, ((.purl | capture("epoch=(?<e>[0-9]+)").e // null) as $e | if $e then $e + ":" else "" end) + .version, (.purl | capture("arch=(?<a>[^&]*)").a)] | @tsv' \
      "$T/rpm.trivy.json" | LC_ALL=C sort >"$T/t.rpm"
    jq -r '.packages[] | [.name, .version, .arch] | @tsv' "$T/rpm.json" | LC_ALL=C sort >"$T/q.rpm"
    same "rpm root: name, epoch:version-release and arch equal Trivy's" "$T/t.rpm" "$T/q.rpm"
  fi
  rm -rf "$T/trivy-cache"
fi

# ---------------------------------------------------------------------------------------------
# 2. The five real images
# ---------------------------------------------------------------------------------------------
need_images || { done_testing; exit; }

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
inflate() { if have igzip; then igzip -dc "$1"; else gzip -dc "$1"; fi; }

# unpack_dpkg TAG ROOT: var/lib/dpkg of the image as GNU tar unpacks its layers in order
# (whiteouts of a layer remove what lower layers wrote first)
unpack_dpkg() {
  local root=$2 blob
  rm -rf "$root" && mkdir -p "$root"
  for blob in $(layer_blobs "$1"); do
    inflate "$blob" | tar -t >"$T/names"
    grep -E '^(\./)?var/lib/dpkg/' "$T/names" >"$T/members" || true
    grep -E '^(\./)?var/lib/dpkg/(.*/)?\.wh\.' "$T/members" | while IFS= read -r name; do
      name=${name#./}
      local base=${name##*/} dir=${name%/*}
      case $base in
        .wh..wh..opq) find "$root/$dir" -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null ;;
        .wh.*) rm -rf "${root:?}/$dir/${base#.wh.}" ;;
      esac
    done
    grep -v '/\.wh\.' "$T/members" >"$T/extract" || true
    [ -s "$T/extract" ] && inflate "$blob" | tar -x -C "$root" --no-recursion -T "$T/extract"
  done
  [ -f "$root/var/lib/dpkg/status" ]
}

# TSV name version arch source source_version diff_id of our deb packages
our_debs() {
  jq -r '.packages[] | select(.type == "deb") | [.name, .version, .arch, .source_name, .source_version, .layer.diff_id] | @tsv' "$1" | LC_ALL=C sort
}
# the same fields from Trivy's CycloneDX (version with epoch from PkgID; source from Src*)
trivy_debs() {
  jq -r '.components[] | select((.purl // "") | startswith("pkg:deb/")) |
    (.properties | map({(.name): .value}) | add) as $p |
    [.name, ($p["aquasecurity:trivy:PkgID"] | sub("^[^@]*@"; "")), (.purl | capture("arch=(?<a>[^&]*)").a),
     $p["aquasecurity:trivy:SrcName"],
     ((if $p["aquasecurity:trivy:SrcEpoch"] then $p["aquasecurity:trivy:SrcEpoch"] + ":" else "" end) +
      $p["aquasecurity:trivy:SrcVersion"] +
      (if $p["aquasecurity:trivy:SrcRelease"] then "-" + $p["aquasecurity:trivy:SrcRelease"] else "" end)),
     $p["aquasecurity:trivy:LayerDiffID"]] | @tsv' "$1" | LC_ALL=C sort
}

for img in $IMAGES; do
  da="docker-archive:$QUENCH_TESTIMAGES/$img.docker.tar"
  if ! "$QUENCH" sbom -f json -o "$T/$img.json" "$da" 2>"$T/err"; then
    not_ok "$img: quench sbom"; sed 's/^/#   /' "$T/err" | head -3; continue
  fi
  ok "$img: quench sbom -f json"
  # CycloneDX and SPDX, validated by the official schemas
  "$QUENCH" sbom -f cyclonedx -o "$T/$img.cdx.json" "$da" && "$QUENCH" sbom -f spdx -o "$T/$img.spdx.json" "$da" ||
    not_ok "$img: sbom -f cyclonedx / spdx"
  validate "$CDX_SCHEMA" "$T/$img.cdx.json" "$img: CycloneDX 1.6 valid"
  validate "$SPDX_SCHEMA" "$T/$img.spdx.json" "$img: SPDX 2.3 valid"
  check "$img: SPDX checks the schema leaves out" spdx_extra "$T/$img.spdx.json"
  n=$(jq '.packages | length' "$T/$img.json")
  check "$img: CycloneDX has the OS and every package" test "$(jq '[.components[] | select(.type == "library")] | length' "$T/$img.cdx.json")" = "$n"
  check "$img: SPDX has the image, the OS and every package" test "$(jq '.packages | length' "$T/$img.spdx.json")" = $((n + 2))
  # every format of the image gives the same packages, files and layers (by diff_id: a layer's
  # blob digest is of its compressed form, which differs between formats)
  for ref in "oci-archive:$QUENCH_TESTIMAGES/$img.oci.tar" "oci:$L:$img"; do
    "$QUENCH" sbom -f json "$ref" | jq -S '.packages | map(del(.layer.digest))' >"$T/other.pk"
    jq -S '.packages | map(del(.layer.digest))' "$T/$img.json" >"$T/this.pk"
    same "$img: ${ref%%:*} gives the same packages" "$T/this.pk" "$T/other.pk"
  done
  # dpkg-query on the root unpacked by tar
  if have dpkg-query && unpack_dpkg "$img" "$T/root"; then
    dpkg-query --admindir="$T/root/var/lib/dpkg" -W -f '${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\n' |
      awk -F'\t' '$1 == "installed" { print $2 "\t" $3 "\t" $4 }' | LC_ALL=C sort >"$T/dpkg.tsv"
    our_debs "$T/$img.json" | cut -f1-3 >"$T/ours.tsv"
    same "$img: dpkg packages equal dpkg-query's ($(wc -l <"$T/dpkg.tsv"))" "$T/dpkg.tsv" "$T/ours.tsv"
    # dependency edges: each Depends/Pre-Depends item resolves to its first alternative that is
    # installed, else to an installed package that Provides it
    dpkg-query --admindir="$T/root/var/lib/dpkg" -W \
      -f '${db:Status-Status}\t${Package}\t${Depends}, ${Pre-Depends}\t${Provides}\n' >"$T/rel.tsv"
    python3 - "$T/rel.tsv" "$T/$img.cdx.json" >"$T/deps.diff" <<'EOF' && ok "$img: dependency graph equals dpkg-query's Depends/Provides" || { not_ok "$img: dependency graph"; head -5 "$T/deps.diff" | sed 's/^/#   /'; }
import json, re, sys
pk, prov, rel = set(), {}, {}
for line in open(sys.argv[1]):
    st, name, deps, provides = line.rstrip("\n").split("\t")
    if st != "installed":
        continue
    pk.add(name)
    rel[name] = deps
    for p in provides.split(","):
        p = re.split(r"[ (:]", p.strip())[0]
        if p:
            prov.setdefault(p, name)
def base(a):
    return re.split(r"[ (:\[<]", a.strip())[0]
want = {}
for name, deps in rel.items():
    s = set()
    for item in deps.split(","):
        alts = [base(a) for a in item.split("|") if a.strip()]
        hit = next((a for a in alts if a in pk), None) or next((prov[a] for a in alts if a in prov), None)
        if hit and hit != name:
            s.add(hit)
    want[name] = s
cdx = json.load(open(sys.argv[2]))
names = {c["bom-ref"]: c["name"] for c in cdx["components"] if c["type"] == "library"}
got = {names[d["ref"]]: {names[x] for x in d["dependsOn"]} for d in cdx["dependencies"] if d["ref"] in names}
bad = [n for n in sorted(set(want) | set(got)) if want.get(n) != got.get(n)]
for n in bad:
    print(n, "want", sorted(want.get(n, ())), "got", sorted(got.get(n, ())))
sys.exit(1 if bad else 0)
EOF
  else
    skip "$img: dpkg-query cross-check" "dpkg-query missing or var/lib/dpkg/status not unpacked"
  fi
  # Trivy's inventory of the same docker-archive (plain build only)
  if [ "${QUENCH_VARIANT:-plain}" != plain ]; then
    :
  elif [ -z "$TRIVY" ]; then
    :
  elif "$TRIVY" image --input "$QUENCH_TESTIMAGES/$img.docker.tar" -f cyclonedx --offline-scan -q \
    --cache-dir "$T/trivy-cache" -o "$T/$img.trivy.json" 2>"$T/trivy.err"; then
    trivy_debs "$T/$img.trivy.json" >"$T/trivy.tsv"
    our_debs "$T/$img.json" >"$T/ours.tsv"
    same "$img: dpkg packages, sources and layers equal Trivy's ($(wc -l <"$T/trivy.tsv"))" "$T/trivy.tsv" "$T/ours.tsv"
    # every other package type too (docs/trivy-differences.md lists the known differences)
    jq -r '.components[] | select(.purl and ((.purl | startswith("pkg:deb/")) | not)) | .purl | sub("\\?.*"; "")' \
      "$T/$img.trivy.json" | LC_ALL=C sort >"$T/trivy.other"
    jq -r '.packages[] | select(.type != "deb") | .purl | sub("\\?.*"; "")' "$T/$img.json" | LC_ALL=C sort >"$T/ours.other"
    same "$img: language packages equal Trivy's ($(wc -l <"$T/trivy.other"))" "$T/trivy.other" "$T/ours.other"
    check "$img: the OS equals Trivy's" test "$(jq -r '.components[] | select(.type == "operating-system") | .name + " " + (.version | split(".")[0])' "$T/$img.trivy.json")" = \
      "$(jq -r '.os.id + " " + .os.version_id' "$T/$img.json")"
  else
    not_ok "$img: Trivy ran"; sed 's/^/#   /' "$T/trivy.err" | tail -3
  fi
  rm -rf "$T/trivy-cache" "$T/root"
done

# ---------------------------------------------------------------------------------------------
# 3. Document structure, forms, determinism and -o (on pyapp: three layers, debian 12)
# ---------------------------------------------------------------------------------------------
img=pyapp
J=$T/$img.json C=$T/$img.cdx.json P=$T/$img.spdx.json
if [ -s "$J" ] && [ -s "$C" ] && [ -s "$P" ]; then
  check "json: schema quench.sbom/v1 with image, OS and layers" bash -c \
    "jq -e '.schema == \"quench.sbom/v1\" and .image.config_digest != null and .os.id == \"debian\" and (.layers | length) == 3' '$J' >/dev/null"
  check "json: every package has type, name, version, arch, purl, location, files and its layer" bash -c \
    "jq -e '[.packages[] | .type and .name and .version and .arch and .purl and .location and (.files | length > 0) and (.layer.index | type == \"number\") and .layer.diff_id and .layer.created_by] | all' '$J' >/dev/null"
  check "json: purl of libssl3 as the purl spec spells it" bash -c \
    "jq -e '[.packages[] | select(.name == \"libssl3\") | .purl | test(\"^pkg:deb/debian/libssl3@[^?]+[?]arch=amd64&distro=debian-12&upstream=openssl$\")] == [true]' '$J' >/dev/null"
  check "json: packages of the app layer are attributed to it" bash -c \
    "jq -e '[.packages[] | .layer.index] | unique | length >= 2' '$J' >/dev/null"
  # CycloneDX: the image is the root component, the OS a component, the graph rooted at both
  check "CycloneDX: metadata.component is the image (container)" bash -c \
    "jq -e '.metadata.component.type == \"container\" and .metadata.component[\"bom-ref\"] == \"quench:image\" and (.metadata.component.hashes[0].alg == \"SHA-256\")' '$C' >/dev/null"
  check "CycloneDX: operating-system component debian 12" bash -c \
    "jq -e '[.components[] | select(.type == \"operating-system\") | .name + \" \" + .version] == [\"debian 12\"]' '$C' >/dev/null"
  check "CycloneDX: image depends on the OS, the OS on every deb package" bash -c \
    "jq -e '(.dependencies[] | select(.ref == \"quench:image\") | .dependsOn | index(\"quench:os\") != null) and
            ((.dependencies[] | select(.ref == \"quench:os\") | .dependsOn | sort) == ([.components[] | select(.purl // \"\" | startswith(\"pkg:deb/\")) | .[\"bom-ref\"]] | sort))' '$C' >/dev/null"
  check "CycloneDX: every dependsOn names a component" bash -c \
    "jq -e '([.components[][\"bom-ref\"]] + [\"quench:image\"]) as \$r | [.dependencies[].dependsOn[] | . as \$x | \$r | index(\$x) != null] | all' '$C' >/dev/null"
  check "CycloneDX: files nested under their package" bash -c \
    "jq -e '[.components[] | select(.name == \"bash\") | .components[] | select(.name == \"/usr/bin/bash\" and .type == \"file\")] | length == 1' '$C' >/dev/null"
  # SPDX: the document describes the image, which contains the OS, which contains the packages
  check "SPDX: DOCUMENT DESCRIBES the image (CONTAINER)" bash -c \
    "jq -e '([.relationships[] | select(.spdxElementId == \"SPDXRef-DOCUMENT\" and .relationshipType == \"DESCRIBES\") | .relatedSpdxElement] == [\"SPDXRef-Image\"]) and ([.packages[] | select(.SPDXID == \"SPDXRef-Image\") | .primaryPackagePurpose] == [\"CONTAINER\"])' '$P' >/dev/null"
  check "SPDX: image CONTAINS the OS, the OS CONTAINS every deb package" bash -c \
    "jq -e '(.relationships | map(select(.spdxElementId == \"SPDXRef-Image\" and .relatedSpdxElement == \"SPDXRef-OperatingSystem\" and .relationshipType == \"CONTAINS\")) | length == 1) and
            ([.relationships[] | select(.spdxElementId == \"SPDXRef-OperatingSystem\" and .relationshipType == \"CONTAINS\")] | length) == ([.packages[] | select(.externalRefs[0].referenceLocator // \"\" | startswith(\"pkg:deb/\"))] | length)' '$P' >/dev/null"
  check "SPDX: DEPENDS_ON edges equal CycloneDX's dependsOn" test \
    "$(jq '[.relationships[] | select(.relationshipType == "DEPENDS_ON")] | length' "$P")" = \
    "$(jq '[.dependencies[] | select(.ref | startswith("pkg:")) | .dependsOn[]] | length' "$C")"
  check "SPDX: purls as PACKAGE-MANAGER references equal the JSON's" test \
    "$(jq -r '[.packages[].externalRefs[]?.referenceLocator] | sort | join(" ")' "$P")" = "$(jq -r '[.packages[].purl] | sort | join(" ")' "$J")"
fi

da="docker-archive:$QUENCH_TESTIMAGES/$img.docker.tar"
# the table: a header, one row per package, the count and the OS
expect_exit 0 "table form (default)" "$QUENCH" sbom "$da"
check "table: header row" bash -c "head -1 '$T/stdout' | grep -qE '^TYPE +NAME +VERSION +SOURCE +LAYER +LICENSE$'"
check "table: one row per package" test "$(grep -c '^deb ' "$T/stdout")" = "$(jq '.packages | length' "$J")"
check "table: count and OS line" grep -qx "$(jq '.packages | length' "$J") packages; OS Debian GNU/Linux 12 (bookworm) (debian 12)" "$T/stdout"
# bash is a binNMU (5.2.15-2+b13 of source bash 5.2.15-2): the SOURCE column shows the source version
bash_row=$(jq -r '.packages[] | select(.name == "bash") | "deb \(.name) \(.version) \(.source_name) \(.source_version) \(.layer.index)"' "$J")
check "table: bash row with version, source and layer ($bash_row)" bash -c "awk '\$1 == \"deb\" && \$2 == \"bash\" { print \$1, \$2, \$3, \$4, \$5, \$6 }' '$T/stdout' | grep -qxF '$bash_row'"
# deterministic: the same bytes twice, and -o writes what stdout shows
"$QUENCH" sbom -f cyclonedx "$da" >"$T/again.cdx.json"
same "CycloneDX output is deterministic (and -o writes the same bytes)" "$C" "$T/again.cdx.json"
"$QUENCH" sbom -f spdx "$da" >"$T/again.spdx.json"
same "SPDX output is deterministic" "$P" "$T/again.spdx.json"
# -o on failure: nothing new is left, an existing file is kept as it was
MK="python3 $(dirname "$0")/mkimage.py"
if $MK "$T" digest_mismatch; then
  mkdir -p "$T/out" && echo previous >"$T/out/kept.json"
  expect_exit 2 "-o: a broken image is refused with exit 2" "$QUENCH" sbom -f cyclonedx -o "$T/out/new.json" "oci:$T/digest_mismatch"
  stderr_has "digest mismatch" "-o: one-line error names the problem"
  expect_exit 2 "-o: refused again over an existing file" "$QUENCH" sbom -f spdx -o "$T/out/kept.json" "oci:$T/digest_mismatch"
  check "-o: no partial or temporary file, the existing file untouched" bash -c \
    "[ \"\$(ls -A '$T/out')\" = kept.json ] && [ \"\$(cat '$T/out/kept.json')\" = previous ]"
else
  not_ok "-o: fixture digest_mismatch"
fi
expect_exit 2 "-o into a missing folder: bad input, exit 2" "$QUENCH" sbom -o "$T/nope/x.json" "$da"
check "-o into a missing folder: nothing created" test ! -e "$T/nope"
expect_exit 2 "unknown --format" "$QUENCH" sbom -f xml "$da"
check "unknown --format: the error says what is accepted" grep -qF -- '--format: want table, json, cyclonedx or spdx, got "xml"' "$T/stderr"
expect_exit 2 "no IMAGE" "$QUENCH" sbom
expect_exit 0 "--help" "$QUENCH" sbom --help
check "--help names every format" bash -c "grep -q cyclonedx '$T/stdout' && grep -q spdx '$T/stdout' && grep -q -- '-o, --output' '$T/stdout'"
done_testing
