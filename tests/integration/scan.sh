#!/bin/bash
# Integration test: `quench scan` on the real test images against the real Debian OSV tree.
#  - accuracy: the (binary package, CVE) rows for debian-bookworm, python-3.11, nginx and pyapp
#    are those of tests/integration/refcount.py (written apart from the product: its own image
#    reader, dpkg status parser and dpkg ordering, reading the shared jsonl extract): with
#    --no-changelog exactly the rule of ../shared/data/README.md (whose published counts the
#    reference must reproduce), and by default that rule minus the CVEs each package's own
#    changelog.Debian.gz names at or below the installed version; no such CVE is ever reported
#  - base/app: pyapp with --base python-3.11-slim has every Debian finding in base and none in
#    app; python-3.11 with --base debian-bookworm splits by layer; the base.* annotations of an
#    OCI layout name (and, in the same layout, resolve) the base; no base: unknown
#  - language packages: a dir: root with a Python distribution and npm packages against a small
#    OSV folder (PyPI name normalisation, GHSA ids reported under their CVE, the fix excluded)
#  - SARIF 2.1.0 and CycloneDX 1.6 validate against the official schemas (../shared/schemas)
#  - --fail-on exit 1, --vex suppression (and --fail-on honouring it), --ignore-unfixed,
#    --severity, the table
#  - hostile inputs: bad VEX documents, a --base that is not a base, a missing database, bad
#    option values; nothing half-written with -o
# The plain variant checks all four images; the asan variant (QUENCH_VARIANT=asan) the same
# assertions on debian-bookworm and pyapp only.
# Needs: python3, xz-utils (tar -xJf), python3-jsonschema (schema checks), dpkg (selfcheck).
source "$(dirname "$0")/lib.sh"

DATA=$QUENCH_SHARED/data
TARBALL=$DATA/debian-osv/vuls-data-raw-debian-osv_af8e56d.tar.xz
EXTRACT=$DATA/debian-osv/debian12-osv-extract.jsonl.gz
SCHEMAS=$QUENCH_SHARED/schemas
REF="python3 $SRC_ROOT/tests/integration/refcount.py"
I=$QUENCH_TESTIMAGES
Q=$QUENCH
export XDG_CONFIG_HOME=$T/xdg-config XDG_CACHE_HOME=$T/xdg-cache

py() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1" "${@:3}"; }

if ! have python3; then skip "scan integration" "python3 is missing"; done_testing; exit; fi
need_images || { done_testing; exit; }
if [ ! -r "$TARBALL" ] || ! have xz; then
  skip "scan integration" "no $TARBALL or no xz"
  done_testing
  exit
fi

VARIANT=${QUENCH_VARIANT:-plain}
if [ "$VARIANT" = plain ]; then IMAGES="debian-bookworm python-3.11 nginx pyapp"; else IMAGES="debian-bookworm pyapp"; fi

# ---------------------------------------------------------------- the database, once
DB=$T/db.sqlite
# 44,000 small files: on tmpfs when there is room (ten times faster than most disks)
OSV=$T/osv
if [ -w /dev/shm ] && [ "$(df -Pk /dev/shm | awk 'NR==2{print $4}')" -gt 1048576 ]; then
  OSV=$(mktemp -d /dev/shm/qnscan.XXXXXX)
  trap 'rm -rf "$T" "$OSV"' EXIT
fi
mkdir -p "$OSV"
t0=$(date +%s.%N)
tar -xJf "$TARBALL" -C "$OSV"
echo "# unpacked in $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s"
start=$(date +%s.%N)
if "$Q" db import --db "$DB" "$OSV" >"$T/import.out" 2>"$T/import.err"; then
  ok "import the Debian OSV tree ($(python3 -c "print(round($(date +%s.%N) - $start, 1))") s)"
else
  not_ok "import the Debian OSV tree"
  sed 's/^/# /' "$T/import.err" | head -5
  done_testing
  exit
fi
rm -rf "$OSV"

# ---------------------------------------------------------------- the reference itself
if have dpkg; then
  check "reference dpkg ordering agrees with dpkg --compare-versions" $REF selfcheck
else
  skip "reference dpkg ordering against dpkg" "dpkg is missing"
fi
# README.md of the shared data: counts of its rule against the extract
declare -A WANT_ROWS=([debian-bookworm]=74 [nginx]=121 [python-3.11]=919)
for n in $IMAGES; do
  $REF both --image "$I/$n.docker.tar" --extract "$EXTRACT" --rows-out "$T/ref-$n.tsv" --changelog-out "$T/cl-$n.tsv"
  # the reference minus what the package's changelog records as fixed
  awk -F'\t' 'NR==FNR{c[$1"\t"$2]=1;next} !(($1"\t"$2) in c)' "$T/cl-$n.tsv" "$T/ref-$n.tsv" | sort -u >"$T/refcl-$n.tsv"
  if [ -n "${WANT_ROWS[$n]:-}" ]; then
    got=$(wc -l <"$T/ref-$n.tsv")
    if [ "$got" = "${WANT_ROWS[$n]}" ]; then ok "$n: reference counts the published ${WANT_ROWS[$n]} rows"
    else not_ok "$n: reference counts $got rows, the data's README says ${WANT_ROWS[$n]}"; fi
  fi
done

# rows FILE: "binary<TAB>id" of the Debian findings of a scan document
rows() { py "$1" 'print("\n".join(sorted({f["package"]+"\t"+f["id"] for f in d["findings"] if f["ecosystem"]=="deb"})))' | sed '/^$/d'; }
# same_rows DESC A B: identical row files (diff shown otherwise)
same_rows() {
  if cmp -s "$2" "$3"; then ok "$1 ($(wc -l <"$2") rows)"; else
    not_ok "$1 ($(wc -l <"$2") vs $(wc -l <"$3") rows)"; diff "$2" "$3" | head -8 | sed 's/^/#   /'; fi
}

# ---------------------------------------------------------------- accuracy
echo "# reference done: $(date +%T)"
for n in $IMAGES; do
  if ! "$Q" scan --db "$DB" -f json -o "$T/$n.json" "$I/$n.docker.tar" 2>"$T/err"; then
    not_ok "$n: scan"; sed 's/^/# /' "$T/err" | head -3; continue
  fi
  rows "$T/$n.json" >"$T/q-$n.tsv"
  same_rows "$n: (package, CVE) rows equal the reference's, changelog fixes excluded" "$T/q-$n.tsv" "$T/refcl-$n.tsv"
  bad=$(awk -F'\t' 'NR==FNR{c[$1"\t"$2]=$3;next} (($1"\t"$2) in c){print $1" "$2" (changelog "c[$1"\t"$2]")"}' \
    "$T/cl-$n.tsv" "$T/q-$n.tsv" | head -3)
  if [ -z "$bad" ]; then ok "$n: no CVE its changelog records as fixed at or below the installed version"
  else not_ok "$n: reported although fixed per changelog: $bad"; fi
  "$Q" scan --db "$DB" --no-changelog -f json -o "$T/$n-nocl.json" "$I/$n.docker.tar"
  rows "$T/$n-nocl.json" >"$T/qn-$n.tsv"
  sort -u "$T/ref-$n.tsv" >"$T/refs-$n.tsv"
  same_rows "$n: --no-changelog rows equal the README rule exactly" "$T/qn-$n.tsv" "$T/refs-$n.tsv"
  fixed_cl=$(py "$T/$n.json" 'print(d["summary"]["fixed_per_changelog"])')
  want_cl=$(($(wc -l <"$T/qn-$n.tsv") - $(wc -l <"$T/q-$n.tsv")))
  check "$n: summary.fixed_per_changelog ($fixed_cl) is the difference" [ "$fixed_cl" = "$want_cl" ]
done

# the document's contract
py "$T/debian-bookworm.json" '
import re
assert d["schema"] == "quench.scan/v1"
assert d["image"]["ref"].endswith("debian-bookworm.docker.tar") and d["image"]["config_digest"].startswith("sha256:")
assert d["os"] == {"id": "debian", "version_id": "12", "pretty_name": d["os"]["pretty_name"]}
assert d["db"]["path"].endswith("db.sqlite") and d["db"]["sources"][0]["records"] == 44152
sev = {"CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"}
for f in d["findings"]:
    assert f["status"] in ("fixed", "affected", "will_not_fix")
    assert (f["status"] == "fixed") == (f["fixed_version"] is not None)
    assert f["severity"] in sev and f["ecosystem"] == "deb" and f["purl"].startswith("pkg:deb/debian/")
    assert f["layer"]["index"] == 0 and f["layer"]["diff_id"].startswith("sha256:") and f["layer_kind"] == "unknown"
    assert f["cvss"] is None or 0 <= f["cvss"] <= 10
    assert re.match(r"CVE-\d{4}-\d+$", f["id"]) and f["source"] and f["source_version"]
    assert f["suppressed_by_vex"] is False
s = d["summary"]
assert s["total"] == len(d["findings"]) == s["unknown"]["total"] and s["base"]["total"] == 0 == s["app"]["total"]
assert sum(s["unknown"][k] for k in sev) == s["total"]
assert d["base"] == {"how": "unknown", "ref": None, "digest": None, "layers": None}
' && ok "debian-bookworm: the document has the quench.scan/v1 fields and consistent counts" ||
  not_ok "debian-bookworm: document contract"

# ---------------------------------------------------------------- base and app
expect_exit 0 "pyapp --base python-3.11-slim" "$Q" scan --db "$DB" -f json -o "$T/pyapp-base.json" \
  --base "$I/python-3.11-slim.docker.tar" "$I/pyapp.docker.tar"
py "$T/pyapp-base.json" '
deb = [f for f in d["findings"] if f["ecosystem"] == "deb"]
assert deb and all(f["layer_kind"] == "base" for f in deb), "a Debian finding outside base"
assert d["summary"]["app"]["total"] == 0 and d["summary"]["base"]["total"] == len(deb)
assert d["base"]["how"] == "--base" and d["base"]["layers"] == 2
assert [l["kind"] for l in d["layers"]] == ["base", "base", "app"]
' && ok "pyapp on python-3.11-slim: every Debian finding in base, none in app" || not_ok "pyapp base/app split"
rows "$T/pyapp-base.json" >"$T/q-pyapp-base.tsv"
same_rows "pyapp: --base does not change the rows" "$T/q-pyapp-base.tsv" "$T/q-pyapp.tsv"

if [ "$VARIANT" = plain ]; then
  "$Q" scan --db "$DB" -f json -o "$T/py-base.json" --base "$I/debian-bookworm.docker.tar" "$I/python-3.11.docker.tar"
  py "$T/py-base.json" '
f = d["findings"]
assert all(x["layer_kind"] == ("base" if x["layer"]["index"] == 0 else "app") for x in f)
b = sum(1 for x in f if x["layer_kind"] == "base"); a = len(f) - b
assert b > 0 and a > 0 and d["summary"]["base"]["total"] == b and d["summary"]["app"]["total"] == a
print("# python-3.11 on debian-bookworm: %d base, %d app" % (b, a))
' && ok "python-3.11 on debian-bookworm: base and app by the layer that introduced the package" ||
    not_ok "python-3.11 base/app split"
fi

# annotations in an OCI layout: pyapp's manifest names python-3.11-slim as its base
if [ -r "$I/oci/index.json" ] && { cp -al "$I/oci" "$T/oci-ann" 2>/dev/null || cp -a "$I/oci" "$T/oci-ann"; }; then
  python3 - "$T/oci-ann" <<'EOF'
import hashlib, json, os, sys
root = sys.argv[1]
idx = json.load(open(os.path.join(root, "index.json")))
by = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in idx["manifests"]}
blob = lambda dg: os.path.join(root, "blobs", "sha256", dg.split(":")[1])
man = json.load(open(blob(by["pyapp"]["digest"])))
man["annotations"] = {"org.opencontainers.image.base.name": "example.org/python:3.11-slim",
                      "org.opencontainers.image.base.digest": by["python-3.11-slim"]["digest"]}
data = json.dumps(man).encode()
dg = "sha256:" + hashlib.sha256(data).hexdigest()
open(blob(dg) + ".new", "wb").write(data); os.rename(blob(dg) + ".new", blob(dg))
man2 = dict(man); man2["annotations"] = {"org.opencontainers.image.base.name": "example.org/elsewhere:1",
                                         "org.opencontainers.image.base.digest": "sha256:" + "0" * 64}
data2 = json.dumps(man2).encode()
dg2 = "sha256:" + hashlib.sha256(data2).hexdigest()
open(blob(dg2), "wb").write(data2)
idx["manifests"] += [dict(by["pyapp"], digest=dg, size=len(data), annotations={"org.opencontainers.image.ref.name": "pyapp-ann"}),
                     dict(by["pyapp"], digest=dg2, size=len(data2), annotations={"org.opencontainers.image.ref.name": "pyapp-far"})]
open(os.path.join(root, "index.new"), "w").write(json.dumps(idx)); os.rename(os.path.join(root, "index.new"), os.path.join(root, "index.json"))
EOF
  "$Q" scan --db "$DB" -f json -o "$T/ann.json" "oci:$T/oci-ann:pyapp-ann"
  py "$T/ann.json" '
assert d["base"]["how"] == "annotation" and d["base"]["ref"] == "example.org/python:3.11-slim" and d["base"]["layers"] == 2, d["base"]
deb = [f for f in d["findings"] if f["ecosystem"] == "deb"]
assert deb and all(f["layer_kind"] == "base" for f in deb) and d["summary"]["app"]["total"] == 0
' && ok "annotations: the base named by digest in the same layout splits base and app" || not_ok "annotation base"
  "$Q" scan --db "$DB" -f json -o "$T/far.json" "oci:$T/oci-ann:pyapp-far"
  py "$T/far.json" '
assert d["base"]["how"] == "annotation" and d["base"]["layers"] is None and d["base"]["ref"] == "example.org/elsewhere:1"
assert all(f["layer_kind"] == "unknown" for f in d["findings"]) and any("--base" in w for w in d["warnings"])
' && ok "annotations naming an unavailable base: kinds unknown, with a warning" || not_ok "annotation, base unavailable"
else
  skip "annotation base" "no OCI layout of the test images at $I/oci"
fi

# ---------------------------------------------------------------- language packages through OSV
# an unpacked root (dir:) with a Python distribution and npm packages, and a small OSV folder
mkdir -p "$T/lang/root/etc" "$T/lang/root/usr/lib/python3/dist-packages/requests-2.28.1.dist-info" \
  "$T/lang/root/app/node_modules/lodash" "$T/lang/root/app/node_modules/left-pad" "$T/lang/osv"
printf 'ID=debian\nVERSION_ID="12"\n' >"$T/lang/root/etc/os-release"
printf 'Metadata-Version: 2.1\nName: requests\nVersion: 2.28.1\n' \
  >"$T/lang/root/usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA"
echo '{"name":"lodash","version":"4.17.20"}' >"$T/lang/root/app/node_modules/lodash/package.json"
echo '{"name":"left-pad","version":"1.3.0"}' >"$T/lang/root/app/node_modules/left-pad/package.json"
cat >"$T/lang/osv/pypi.json" <<'JSON'
{"id":"GHSA-j8r2-6x86-q33q","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2023-32681"],
 "database_specific":{"severity":"MODERATE"},
 "affected":[{"package":{"ecosystem":"PyPI","name":"Requests"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.3.0"},{"fixed":"2.31.0"}]}]}]}
JSON
cat >"$T/lang/osv/npm.json" <<'JSON'
{"id":"GHSA-35jh-r3h4-6jhm","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2021-23337"],
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"}],
 "affected":[{"package":{"ecosystem":"npm","name":"lodash"},
   "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]},
  {"package":{"ecosystem":"npm","name":"left-pad"},
   "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.3.0"}]}]}]}
JSON
if "$Q" db import --db "$T/lang.sqlite" "$T/lang/osv" >/dev/null 2>"$T/err" &&
  "$Q" scan --db "$T/lang.sqlite" -f json -o "$T/lang.json" "dir:$T/lang/root" 2>"$T/err"; then
  py "$T/lang.json" '
f = {x["package"]: x for x in d["findings"]}
assert sorted(f) == ["lodash", "requests"], sorted(f)
r, l = f["requests"], f["lodash"]
assert r["id"] == "CVE-2023-32681" and r["aliases"] == ["GHSA-j8r2-6x86-q33q"] and r["ecosystem"] == "pypi"
assert r["purl"].startswith("pkg:pypi/requests@2.28.1") and r["fixed_version"] == "2.31.0" and r["severity"] == "MEDIUM"
assert r["data_ecosystem"] == "PyPI" and r["status"] == "fixed"
assert l["id"] == "CVE-2021-23337" and l["ecosystem"] == "npm" and l["cvss"] == 7.2 and l["severity"] == "HIGH"
' && ok "language packages: PyPI and npm matched through OSV under their CVE; at the fix not reported" ||
    not_ok "language packages through OSV"
else
  not_ok "language packages: import or scan failed"
  sed 's/^/# /' "$T/err" | head -3
fi

# ---------------------------------------------------------------- rpm through advisory-only data
# a Rocky Linux root made with rpmbuild + rpm, and RLSA advisories as Rocky Linux publishes them:
# advisories only, each binary rpm under its own name. qnlib (a binary of the qnhello source) is
# found under its own name, each CVE the advisory names is a finding, and the older advisory of
# qnhello (fixed below the installed version) is none
if ! have rpmbuild || ! have rpm; then
  skip "rpm scan" "rpmbuild or rpm missing (apt-get install rpm)"
elif mk_rpm_root "$T/rpm/root"; then
  mkdir -p "$T/rpm/osv"
  cat >"$T/rpm/osv/rlsa-new.json" <<'JSON'
{"id":"RLSA-2099:0001","modified":"2024-01-01T00:00:00Z","related":["CVE-2099-5000","CVE-2099-5001"],
 "affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"qnlib"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2:1.2.3-5.el9"}]}]}]}
JSON
  cat >"$T/rpm/osv/rlsa-old.json" <<'JSON'
{"id":"RLSA-2098:0001","modified":"2024-01-01T00:00:00Z","related":["CVE-2098-0001"],
 "affected":[{"package":{"ecosystem":"Rocky Linux:9","name":"qnhello"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2:1.2.3-3.el9"}]}]}]}
JSON
  if "$Q" db import --db "$T/rpm.sqlite" "$T/rpm/osv" >/dev/null 2>"$T/err" &&
    "$Q" scan --db "$T/rpm.sqlite" -f json -o "$T/rpm.json" "dir:$T/rpm/root" 2>"$T/err"; then
    check "rpm: qnlib has the two CVEs of its advisory, with its fix; qnhello none ($(jq -c '[.findings[] | [.package, .id]]' "$T/rpm.json"))" \
      jq -e '[.findings[] | [.package, .id, .fixed_version, .advisories, .ecosystem, .status]] ==
        [["qnlib", "CVE-2099-5000", "2:1.2.3-5.el9", ["RLSA-2099:0001"], "rpm", "fixed"],
         ["qnlib", "CVE-2099-5001", "2:1.2.3-5.el9", ["RLSA-2099:0001"], "rpm", "fixed"]]' "$T/rpm.json"
  else
    not_ok "rpm: import or scan failed"
    sed 's/^/# /' "$T/err" | head -3
  fi
else
  not_ok "rpm: a root made with rpmbuild and rpm"
  sed 's/^/#   /' "$T/rpm.log" | tail -5
fi

# ---------------------------------------------------------------- formats
if /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
  for n in debian-bookworm pyapp; do
    src=$T/$n.json; [ "$n" = pyapp ] && src=$T/pyapp-base.json
    base=(); [ "$n" = pyapp ] && base=(--base "$I/python-3.11-slim.docker.tar")
    "$Q" scan --db "$DB" -f sarif -o "$T/$n.sarif" "${base[@]}" "$I/$n.docker.tar"
    "$Q" scan --db "$DB" -f cyclonedx -o "$T/$n.cdx.json" "${base[@]}" "$I/$n.docker.tar"
    check "$n: SARIF validates against the SARIF 2.1.0 schema" \
      /usr/bin/python3 "$SCHEMAS/validate.py" "$SCHEMAS/sarif-schema-2.1.0.json" "$T/$n.sarif"
    check "$n: CycloneDX validates against the CycloneDX 1.6 schema" \
      /usr/bin/python3 "$SCHEMAS/validate.py" "$SCHEMAS/cyclonedx/bom-1.6.schema.json" "$T/$n.cdx.json"
    nf=$(py "$src" 'print(len(d["findings"]))')
    ns=$(py "$T/$n.sarif" 'print(len(d["runs"][0]["results"]))')
    nc=$(py "$T/$n.cdx.json" 'print(len(d["vulnerabilities"]))')
    check "$n: one SARIF result and one CycloneDX vulnerability per finding ($nf)" [ "$nf" = "$ns" -a "$nf" = "$nc" -a "$nf" -gt 0 ]
  done
  py "$T/pyapp.cdx.json" '
assert all(any(p["name"] == "quench:layer_kind" and p["value"] == "base" for p in v["properties"]) for v in d["vulnerabilities"])
refs = {c["bom-ref"] for c in d["components"]}
assert all(a["ref"] in refs for v in d["vulnerabilities"] for a in v["affects"])
' && ok "pyapp CycloneDX: affects point at components; layer kind base on each" || not_ok "pyapp CycloneDX content"
else
  skip "SARIF and CycloneDX schema validation" "python3-jsonschema is missing (scripts/install-deps.sh --test)"
fi

# ---------------------------------------------------------------- filters and --fail-on
J=$T/debian-bookworm.json
IMG=$I/debian-bookworm.docker.tar
max=$(py "$J" 'o=["UNKNOWN","LOW","MEDIUM","HIGH","CRITICAL"]; print(max(o.index(f["severity"]) for f in d["findings"]))')
SEVS=(UNKNOWN LOW MEDIUM HIGH CRITICAL)
expect_exit 1 "--fail-on ${SEVS[$max]} (the highest severity present) exits 1" "$Q" scan --db "$DB" --fail-on "${SEVS[$max]}" -o "$T/t.txt" "$IMG"
if [ "$max" -lt 4 ]; then
  expect_exit 0 "--fail-on ${SEVS[$((max + 1))]} (above every finding) exits 0" "$Q" scan --db "$DB" --fail-on "${SEVS[$((max + 1))]}" -o "$T/t.txt" "$IMG"
fi
check "the table was written with -o despite --fail-on" grep -q "^base " "$T/t.txt"
grep -q "findings in" "$T/t.txt" && grep -q "^unknown " "$T/t.txt" && ok "table: summary per kind" || not_ok "table summary"
"$Q" scan --db "$DB" --ignore-unfixed -f json -o "$T/unfixed.json" "$IMG"
want=$(py "$J" 'print(sum(1 for f in d["findings"] if f["fixed_version"]))')
got=$(py "$T/unfixed.json" 'assert all(f["fixed_version"] for f in d["findings"]); print(len(d["findings"]))')
check "--ignore-unfixed keeps exactly the findings with a fix ($want)" [ "$got" = "$want" ]
"$Q" scan --db "$DB" --severity high,CRITICAL -f json -o "$T/sev.json" "$IMG"
want=$(py "$J" 'print(sum(1 for f in d["findings"] if f["severity"] in ("HIGH","CRITICAL")))')
got=$(py "$T/sev.json" 'assert all(f["severity"] in ("HIGH","CRITICAL") for f in d["findings"]); print(len(d["findings"]))')
check "--severity HIGH,CRITICAL keeps exactly those ($want)" [ "$got" = "$want" -a "$want" -gt 0 ]

# ---------------------------------------------------------------- VEX
# statements: every finding at the highest severity is not_affected, some by package purl (no
# version), the others through the image product with subcomponents
py "$J" '
o = ["UNKNOWN","LOW","MEDIUM","HIGH","CRITICAL"]
top = max(o.index(f["severity"]) for f in d["findings"])
hit = [f for f in d["findings"] if o.index(f["severity"]) == top]
st = []
for i, f in enumerate(hit):
    base = f["purl"].split("@")[0]
    if i % 2 == 0:
        prod = [{"@id": base}]
    else:
        prod = [{"@id": "pkg:oci/debian-bookworm@" + d["image"]["config_digest"].replace(":", "%3A"),
                 "subcomponents": [{"@id": f["purl"]}]}]
    st.append({"vulnerability": {"name": f["id"]}, "products": prod, "status": "not_affected",
               "justification": "vulnerable_code_not_in_execute_path", "timestamp": "2025-01-01T00:00:00Z"})
# a later statement for another package does not change anything
st.append({"vulnerability": {"name": hit[0]["id"]}, "products": [{"@id": "pkg:deb/debian/not-installed"}],
           "status": "affected", "action_statement": "none", "timestamp": "2025-02-01T00:00:00Z"})
doc = {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.org/vex/scan-test", "author": "quench tests",
       "timestamp": "2025-01-01T00:00:00Z", "version": 1, "statements": st}
json.dump(doc, open(sys.argv[2], "w"), indent=1)
open(sys.argv[3], "w").write(str(len(hit)))
' "$T/vex.json" "$T/vex.n"
if /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
  check "the test VEX document is valid OpenVEX 0.2" /usr/bin/python3 "$SCHEMAS/validate.py" "$SCHEMAS/openvex_json_schema.json" "$T/vex.json"
fi
expect_exit 0 "--vex suppressing every top-severity finding: --fail-on ${SEVS[$max]} exits 0" \
  "$Q" scan --db "$DB" --vex "$T/vex.json" --fail-on "${SEVS[$max]}" -f json -o "$T/vexed.json" "$IMG"
py "$T/vexed.json" '
n = int(open(sys.argv[2]).read())
sup = [f for f in d["findings"] if f["suppressed_by_vex"]]
assert len(sup) == n == d["summary"]["suppressed"], (len(sup), n)
assert all(f["vex"]["status"] == "not_affected" for f in sup)
assert d["summary"]["total"] == len(d["findings"]) - n
' "$T/vex.n" && ok "--vex: exactly the stated findings are suppressed and left out of the counts" || not_ok "--vex suppression"
if [ -r "$T/debian-bookworm.sarif" ]; then
  "$Q" scan --db "$DB" --vex "$T/vex.json" -f sarif -o "$T/vexed.sarif" "$IMG"
  check "SARIF with VEX suppressions validates" /usr/bin/python3 "$SCHEMAS/validate.py" "$SCHEMAS/sarif-schema-2.1.0.json" "$T/vexed.sarif"
  "$Q" scan --db "$DB" --vex "$T/vex.json" -f cyclonedx -o "$T/vexed.cdx.json" "$IMG"
  check "CycloneDX with VEX analysis validates" /usr/bin/python3 "$SCHEMAS/validate.py" "$SCHEMAS/cyclonedx/bom-1.6.schema.json" "$T/vexed.cdx.json"
fi

# ---------------------------------------------------------------- hostile and bad input
printf '{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulner' >"$T/trunc.vex"
expect_exit 2 "truncated VEX: exit 2" "$Q" scan --db "$DB" --vex "$T/trunc.vex" -o "$T/none.json" "$IMG"
stderr_has "trunc.vex" "truncated VEX: one line naming the file"
check "truncated VEX: no output file" [ ! -e "$T/none.json" ]
printf '{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:deb/debian/x"}],"status":"not_affected"}]}' >"$T/nojust.vex"
expect_exit 2 "VEX not_affected without justification: exit 2" "$Q" scan --db "$DB" --vex "$T/nojust.vex" "$IMG"
stderr_has "statements[0]" "bad VEX statement: one line naming the statement"
echo '[1,2,3]' >"$T/array.vex"
expect_exit 2 "VEX that is no OpenVEX document: exit 2" "$Q" scan --db "$DB" --vex "$T/array.vex" "$IMG"
expect_exit 2 "missing VEX file: exit 2" "$Q" scan --db "$DB" --vex "$T/nope.vex" "$IMG"
expect_exit 2 "--base that is not a base of the image (nginx under pyapp): exit 2" \
  "$Q" scan --db "$DB" --base "$I/nginx.docker.tar" -o "$T/none.json" "$I/pyapp.docker.tar"
stderr_has "not its base" "bad --base: one line saying why"
check "bad --base: no output file" [ ! -e "$T/none.json" ]
expect_exit 2 "--base the image itself plus more layers (pyapp under python-3.11-slim): exit 2" \
  "$Q" scan --db "$DB" --base "$I/pyapp.docker.tar" "$I/python-3.11-slim.docker.tar"
head -c 3000 "$I/debian-bookworm.docker.tar" >"$T/cut.tar"
expect_exit 2 "--base that is a truncated archive: exit 2" "$Q" scan --db "$DB" --base "$T/cut.tar" "$IMG"
expect_exit 2 "--base that does not exist: exit 2" "$Q" scan --db "$DB" --base "$T/nothing.tar" "$IMG"
expect_exit 2 "missing database: exit 2" "$Q" scan --db "$T/nodb.sqlite" "$IMG"
stderr_has "quench db" "missing database: says how to get one"
echo "not a database" >"$T/junk.sqlite"
expect_exit 2 "a file that is no database: exit 2" "$Q" scan --db "$T/junk.sqlite" "$IMG"
expect_exit 2 "--fail-on BAD: exit 2" "$Q" scan --db "$DB" --fail-on severe "$IMG"
expect_exit 2 "--severity with an unknown name: exit 2" "$Q" scan --db "$DB" --severity HIGH,extreme "$IMG"
check "--severity: names the bad entry" grep -q 'unknown severity "extreme"' "$T/stderr"
expect_exit 2 "--format BAD: exit 2" "$Q" scan --db "$DB" --format xml "$IMG"
expect_exit 2 "no IMAGE: exit 2" "$Q" scan --db "$DB"
expect_exit 0 "--help" "$Q" scan --help
grep -q -- "--fail-on" "$T/stdout" && ok "--help lists --fail-on" || not_ok "--help lists --fail-on"

done_testing
