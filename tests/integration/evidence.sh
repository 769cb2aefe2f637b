#!/bin/bash
# quench keygen, quench evidence and quench evidence verify, checked by independent tools:
#   - key pairs of both types (PKCS#8 / SubjectPublicKeyInfo PEM read by the openssl command line,
#     and cosign's encrypted format read and written by a Go implementation in cosignkey.go,
#     private key mode 0600, key id = sha256 of the public key DER);
#   - a bundle from a ready verify document (tests/golden/evidence/verify.json) over two real
#     images: every file present, OpenVEX, CycloneDX and SPDX valid under the official schemas,
#     the in-toto statement's required fields, the DSSE signature checked by `openssl` over PAE
#     bytes rebuilt here in Python (ECDSA P-256 with dgst -sha256, Ed25519 with pkeyutl -rawin),
#     one changed byte in any file fails `evidence verify` and names the file, a wrong key fails;
#   - methodology.md starts with docs/methodology.md byte for byte;
#   - report.html rendered by headless Chromium: a non-trivial screenshot, no console errors
#     (no script and no external loads are allowed by its policy), charts and tables in the DOM;
#   - bad input (exit 2, nothing written), a failed verification (exit 1, bundle marked failed);
#   - end to end (plain build: it runs containers): pyapp hardened with its probes from
#     images.json, `quench evidence` with a vulnerability database, then `evidence verify`.
. "$(dirname "$0")/lib.sh"
S="$QUENCH_SHARED/schemas"
L="$QUENCH_TESTIMAGES/oci"
Q=$QUENCH
GOLDEN="$SRC_ROOT/tests/golden/evidence/verify.json"
ORIG="oci:$L:pyapp"
OTHER="oci:$L:python-3.11-slim"
need_images || { done_testing; exit; }
have openssl || { skip "evidence" "openssl command line missing"; done_testing; exit; }
py() { /usr/bin/python3 "$@"; }

validate() {
  if ! py -c 'import jsonschema' 2>/dev/null; then skip "$3" "python3-jsonschema missing"; return; fi
  if py "$S/validate.py" "$1" "$2" >"$T/validate.out" 2>&1; then ok "$3"; else
    not_ok "$3"; sed 's/^/#   /' "$T/validate.out" | tail -12; fi
}

# ---- keys ----
expect_exit 0 "keygen ecdsa-p256" "$Q" keygen -o "$T/ec"
expect_exit 0 "keygen ed25519" "$Q" keygen --type ed25519 -o "$T/ed"
check "the private key is mode 0600" test "$(stat -c %a "$T/ec.key")" = 600
check "PKCS#8 PEM private key" grep -qx -- "-----BEGIN PRIVATE KEY-----" "$T/ec.key"
check "openssl reads the P-256 key" sh -c "openssl pkey -in '$T/ec.key' -noout -text 2>/dev/null | grep -q 'NIST CURVE: P-256'"
check "openssl reads the Ed25519 key" sh -c "openssl pkey -in '$T/ed.key' -noout -text 2>/dev/null | grep -q ED25519"
keyid() { openssl pkey -pubin -in "$1" -outform DER | sha256sum | cut -d' ' -f1; }
expect_exit 2 "keygen refuses to overwrite a key pair" "$Q" keygen -o "$T/ec"
expect_exit 2 "keygen --type with a bad value" "$Q" keygen --type rsa -o "$T/x"

# ---- a bundle from a ready verify document ----
B=$T/bundle
expect_exit 0 "evidence from a verify report, signed with ECDSA" \
  "$Q" evidence "$ORIG" "$OTHER" --verify-report "$GOLDEN" --key "$T/ec.key" -o "$B"
check "the summary names report.html" grep -q "report: $B/report.html" "$T/stdout"
for f in report.json report.html sbom-original.cdx.json sbom-hardened.cdx.json sbom-original.spdx.json \
  sbom-hardened.spdx.json vex.openvex.json compliance.json methodology.md attestation.intoto.json \
  attestation.dsse.json; do
  check "bundle has $f" test -s "$B/$f"
done
check "nothing is left beside the bundle" test -z "$(find "$T" -maxdepth 1 -name '.bundle.*')"
expect_exit 0 "evidence verify accepts the bundle" "$Q" evidence verify "$B" --key "$T/ec.pub"
check "evidence verify says the signature was verified" grep -q "signature verified" "$T/stdout"

validate "$S/openvex_json_schema.json" "$B/vex.openvex.json" "OpenVEX 0.2 valid"
for s in original hardened; do
  validate "$S/cyclonedx/bom-1.6.schema.json" "$B/sbom-$s.cdx.json" "CycloneDX 1.6 of the $s image valid"
  validate "$S/spdx-schema-2.3.json" "$B/sbom-$s.spdx.json" "SPDX 2.3 of the $s image valid"
done

# VEX: exactly the removed CVEs with a purl, each not_affected / component_not_present
check "VEX states each removed CVE, and only those" py - "$B/vex.openvex.json" "$GOLDEN" <<'EOF'
import json, sys
vex, v = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
want = sorted({r["id"] for r in v["cves"]["removed"] if r.get("purl")})
got = [s["vulnerability"]["name"] for s in vex["statements"]]
assert got == want, (got, want)
for s in vex["statements"]:
    assert s["status"] == "not_affected" and s["justification"] == "component_not_present"
    p = s["products"][0]
    assert p["@id"].startswith("pkg:oci/") and "@sha256%3A" in p["@id"], p["@id"]
    subs = {c["identifiers"]["purl"] for c in p["subcomponents"]}
    assert subs == {r["purl"] for r in v["cves"]["removed"] if r["id"] == s["vulnerability"]["name"]}
EOF

# in-toto Statement v1: no published schema, so its required fields are checked here
check "in-toto statement: _type, subject with sha256, predicateType, predicate" \
  py - "$B/attestation.intoto.json" "$B" <<'EOF'
import hashlib, json, os, re, sys
st, d = json.load(open(sys.argv[1])), sys.argv[2]
assert st["_type"] == "https://in-toto.io/Statement/v1"
assert isinstance(st["subject"], list) and st["subject"]
for s in st["subject"]:
    assert s["name"] and re.fullmatch(r"[0-9a-f]{64}", s["digest"]["sha256"])
assert re.match(r"^[a-z][a-z0-9+.-]*:", st["predicateType"])
p = st["predicate"]
assert isinstance(p, dict)
for k in ("original", "hardened", "keep", "remove", "cves", "verification", "quench_version", "bundle"):
    assert k in p, k
assert p["original"]["digest"].startswith("sha256:")
assert p["keep"]["paths"]["sha256"].startswith("sha256:") and p["remove"]["paths"]["sha256"].startswith("sha256:")
assert p["remove"]["packages"]["sha256"].startswith("sha256:")
assert p["cves"]["database"]["sources"][0]["name"]
names = [f["name"] for f in p["bundle"]["files"]]
assert sorted(names + ["attestation.intoto.json", "attestation.dsse.json"]) == sorted(os.listdir(d))
for f in p["bundle"]["files"]:
    assert "sha256:" + hashlib.sha256(open(os.path.join(d, f["name"]), "rb").read()).hexdigest() == f["sha256"], f
EOF

# The signature, checked by openssl over PAE bytes built here from the envelope
pae() { # ENVELOPE OUT_PAE OUT_SIG: prints the keyid
  py - "$@" <<'EOF'
import base64, json, sys
e = json.load(open(sys.argv[1]))
body, t = base64.b64decode(e["payload"], validate=True), e["payloadType"].encode()
open(sys.argv[2], "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body))
open(sys.argv[3], "wb").write(base64.b64decode(e["signatures"][0]["sig"]))
print(e["signatures"][0]["keyid"])
EOF
}
check "the envelope payload is the statement file byte for byte" py -c "
import base64, json, sys
e = json.load(open('$B/attestation.dsse.json'))
assert e['payloadType'] == 'application/vnd.in-toto+json'
assert base64.b64decode(e['payload']) == open('$B/attestation.intoto.json', 'rb').read()"
kid=$(pae "$B/attestation.dsse.json" "$T/pae.bin" "$T/sig.bin")
check "keyid is the sha256 of the public key DER" test "$kid" = "$(keyid "$T/ec.pub")"
check "openssl verifies the ECDSA P-256 signature over the PAE" \
  openssl dgst -sha256 -verify "$T/ec.pub" -signature "$T/sig.bin" "$T/pae.bin"
cp "$T/pae.bin" "$T/pae-bad.bin"; printf 'x' >>"$T/pae-bad.bin"
if openssl dgst -sha256 -verify "$T/ec.pub" -signature "$T/sig.bin" "$T/pae-bad.bin" >/dev/null 2>&1; then
  not_ok "openssl refuses the signature over other bytes"; else ok "openssl refuses the signature over other bytes"; fi

B2=$T/bundle-ed
expect_exit 0 "evidence signed with Ed25519" \
  "$Q" evidence "$ORIG" "$OTHER" --verify-report "$GOLDEN" --key "$T/ed.key" -o "$B2"
pae "$B2/attestation.dsse.json" "$T/pae2.bin" "$T/sig2.bin" >/dev/null
check "openssl verifies the Ed25519 signature over the PAE" \
  openssl pkeyutl -verify -pubin -inkey "$T/ed.pub" -rawin -in "$T/pae2.bin" -sigfile "$T/sig2.bin"
expect_exit 0 "evidence verify accepts the Ed25519 bundle" "$Q" evidence verify "$B2" --key "$T/ed.pub"
expect_exit 1 "the ECDSA key does not verify the Ed25519 bundle" "$Q" evidence verify "$B2" --key "$T/ec.pub"
stderr_has "signature" "the failure names the signature"
# ---- cosign's encrypted key format, against an implementation of it in Go on the primitives
# cosign uses (golang.org/x/crypto scrypt and nacl/secretbox), none shared with quench ----
GOX=/usr/share/gocode/src/golang.org/x/crypto
if ! have go || [ ! -d "$GOX/nacl/secretbox" ]; then
  skip "cosign key format" "go or golang-golang-x-crypto-dev missing"
elif ! (cd "$T" && env GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE="$T/gocache" GOTOOLCHAIN=local \
  go build -o "$T/cosignkey" "$SRC_ROOT/tests/integration/cosignkey.go") >"$T/go.log" 2>&1; then
  not_ok "building the Go cosign key reader"; sed 's/^/#   /' "$T/go.log" | tail -5
else
  expect_exit 0 "keygen --format cosign" env COSIGN_PASSWORD=pw "$Q" keygen --format cosign -o "$T/cos"
  check "the key is an ENCRYPTED SIGSTORE PRIVATE KEY" grep -qx -- "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----" "$T/cos.key"
  check "Go decrypts it (scrypt, secretbox), reads PKCS#8 P-256 and finds its public key in cos.pub" \
    sh -c "COSIGN_PASSWORD=pw '$T/cosignkey' open '$T/cos.key' '$T/cos.pub' | grep -qx ecdsa-P-256"
  check "Go refuses it under another password" sh -c "! COSIGN_PASSWORD=pw2 '$T/cosignkey' open '$T/cos.key' '$T/cos.pub' 2>/dev/null"
  expect_exit 0 "keygen --format cosign with an empty password, Ed25519" \
    env COSIGN_PASSWORD= "$Q" keygen --format cosign --type ed25519 -o "$T/cose"
  check "Go reads the Ed25519 key under the empty password" \
    sh -c "COSIGN_PASSWORD= '$T/cosignkey' open '$T/cose.key' '$T/cose.pub' | grep -qx ed25519"
  expect_exit 2 "keygen --format cosign without a password set" env -u COSIGN_PASSWORD -u QUENCH_KEY_PASSWORD \
    "$Q" keygen --format cosign -o "$T/cosx"
  check "and writes no key" test ! -e "$T/cosx.key"
  # the other way: a key openssl made, sealed by Go, signs a bundle; openssl checks the signature
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/o.pem" 2>/dev/null
  openssl pkey -in "$T/o.pem" -pubout -out "$T/o.pub"
  COSIGN_PASSWORD=s3 "$T/cosignkey" seal "$T/o.pem" "$T/o.cos"
  B3=$T/bundle-cosign
  expect_exit 0 "evidence signed with a cosign key sealed in Go" \
    env COSIGN_PASSWORD=s3 "$Q" evidence "$ORIG" "$OTHER" --verify-report "$GOLDEN" --key "$T/o.cos" -o "$B3"
  kid=$(pae "$B3/attestation.dsse.json" "$T/pae3.bin" "$T/sig3.bin")
  check "its keyid is that of openssl's public key" test "$kid" = "$(keyid "$T/o.pub")"
  check "openssl verifies that signature" openssl dgst -sha256 -verify "$T/o.pub" -signature "$T/sig3.bin" "$T/pae3.bin"
  expect_exit 0 "evidence verify accepts it" "$Q" evidence verify "$B3" --key "$T/o.pub"
  expect_exit 2 "a wrong password for a cosign key is bad input" \
    env COSIGN_PASSWORD=nope "$Q" evidence "$ORIG" "$OTHER" --verify-report "$GOLDEN" --key "$T/o.cos" -o "$T/b4"
  stderr_has "o.cos: cosign private key: wrong password" "the error names the key file and the cause"
  check "and nothing is written" test ! -e "$T/b4"
fi

check "the same inputs give the same bundle files (deterministic)" sh -c \
  "cd '$B' && sha256sum report.json report.html vex.openvex.json compliance.json methodology.md sbom-*.json >'$T/a.sum' && cd '$B2' && sha256sum -c --quiet '$T/a.sum'"

# One changed byte anywhere fails, and the message names the file (or the signature)
check "a changed byte in any file fails evidence verify, naming it" py - "$Q" "$B" "$T/ec.pub" <<'EOF'
import os, subprocess, sys
q, d, pub = sys.argv[1:4]
bad = []
for name in sorted(os.listdir(d)):
    p = os.path.join(d, name)
    data = open(p, "rb").read()
    for at in (0, len(data) // 3, len(data) - 2):
        b = bytearray(data); b[at] ^= 0x20
        open(p, "wb").write(b)
        r = subprocess.run([q, "evidence", "verify", d, "--key", pub], capture_output=True, text=True)
        open(p, "wb").write(data)
        if r.returncode != 1 or not (name in r.stderr or "signature" in r.stderr):
            bad.append((name, at, r.returncode, r.stderr.strip()))
r = subprocess.run([q, "evidence", "verify", d, "--key", pub], capture_output=True)
assert r.returncode == 0, "not restored"
assert not bad, bad
EOF
printf 'x' >"$B/notes.txt"
expect_exit 1 "a file not listed in the attestation fails" "$Q" evidence verify "$B" --key "$T/ec.pub"
stderr_has "notes.txt" "the failure names the extra file"
rm -f "$B/notes.txt"
expect_exit 2 "evidence verify needs --key or --no-signature" "$Q" evidence verify "$B"
expect_exit 2 "evidence verify of a missing folder" "$Q" evidence verify "$T/nope" --key "$T/ec.pub"

# methodology.md: the shipped text, then this run's figures
check "methodology.md starts with docs/methodology.md" py -c "
import sys
doc = open('$SRC_ROOT/docs/methodology.md', 'rb').read()
got = open('$B/methodology.md', 'rb').read()
assert got.startswith(doc) and b'## This run' in got[len(doc):]"

# ---- report.html in a real browser ----
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
  skip "report.html renders in headless Chromium" "chromium missing (scripts/install-deps.sh --test)"
else
  # a private profile and no network: a page that tried to load anything would log an error
  C=(timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" --no-first-run)
  "${C[@]}" --enable-logging=stderr --v=0 --screenshot="$T/report.png" --window-size=1280,2400 \
    "file://$B/report.html" >"$T/chrome.out" 2>"$T/chrome.err"
  check "Chromium wrote a non-trivial screenshot" test "$(stat -c %s "$T/report.png" 2>/dev/null || echo 0)" -gt 50000
  if grep -E "Uncaught|CONSOLE|console\(|Refused to|violates the following|net::ERR_" "$T/chrome.err" >"$T/chrome.bad"; then
    not_ok "no console errors while rendering"; sed 's/^/#   /' "$T/chrome.bad" | head -5
  else ok "no console errors while rendering"; fi
  # control: the same check catches a page error and a blocked load
  printf '<html><head><meta http-equiv="Content-Security-Policy" content="default-src %s"></head><body><img src="http://127.0.0.1:9/x.png"></body></html>' "'none'" >"$T/bad.html"
  "${C[@]}" --enable-logging=stderr --v=0 --screenshot="$T/bad.png" --window-size=400,300 "file://$T/bad.html" >/dev/null 2>"$T/chrome-bad.err"
  check "the console check catches a blocked load (control)" grep -qE "Refused to|violates the following Content Security Policy|CONSOLE" "$T/chrome-bad.err"
  "${C[@]}" --dump-dom "file://$B/report.html" >"$T/dom.html" 2>/dev/null
  check "the rendered page has the charts and tables" py - "$T/dom.html" <<'EOF'
import re, sys
h = open(sys.argv[1], encoding="utf-8").read()
assert len(re.findall(r"<svg", h)) >= 5, "charts"
for sec in ("summary", "charts", "packages", "cves", "probes", "interface", "missing", "compliance", "methodology"):
    assert f'id="{sec}"' in h, sec
assert len(re.findall(r"<table", h)) >= 8, "tables"
for t in ("Base-image CVEs by severity", "Application CVEs by severity", "CM-7", "PCI DSS 4.0", "CC7.1", "perl-base"):
    assert t in h, t
assert "<script" not in h
EOF
fi

# ---- failures ----
expect_exit 0 "evidence --help" "$Q" evidence --help
expect_exit 0 "evidence verify --help" "$Q" evidence verify --help
expect_exit 2 "evidence without -o is a usage error" "$Q" evidence "$ORIG" "$OTHER" --verify-report "$GOLDEN"
expect_exit 2 "evidence with one image is a usage error" "$Q" evidence "$ORIG" -o "$T/b3"
mkdir -p "$T/linked" && cp -a "$B/." "$T/linked/" && rm "$T/linked/methodology.md" && ln -s "$B/methodology.md" "$T/linked/methodology.md"
expect_exit 1 "a symlink in place of a bundle file fails" "$Q" evidence verify "$T/linked" --key "$T/ec.pub"
stderr_has "methodology.md: not a regular file" "the failure names the link"
expect_exit 2 "a missing verify report is bad input" \
  "$Q" evidence "$ORIG" "$OTHER" --verify-report "$T/nope.json" -o "$T/b3"
check "and nothing is written" test ! -e "$T/b3"
printf 'not a key\n' >"$T/bad.key"
expect_exit 2 "a bad key is bad input" "$Q" evidence "$ORIG" "$OTHER" --verify-report "$GOLDEN" --key "$T/bad.key" -o "$T/b3"
stderr_has "bad.key" "the error names the key file"
expect_exit 2 "a public key cannot sign" "$Q" evidence "$ORIG" "$OTHER" --verify-report "$GOLDEN" --key "$T/ec.pub" -o "$T/b3"
check "still nothing is written" test ! -e "$T/b3"
expect_exit 2 "an existing bundle folder is not overwritten" \
  "$Q" evidence "$ORIG" "$OTHER" --verify-report "$GOLDEN" -o "$B"
py -c "import json; d=json.load(open('$GOLDEN')); d['ok']=False; d['probes'][0]['same']=False; d['probes'][0]['diffs']=['status 200 != 500']; json.dump(d, open('$T/failed.json','w'))"
expect_exit 1 "a failed verification exits 1 and still writes the bundle" \
  "$Q" evidence "$ORIG" "$OTHER" --verify-report "$T/failed.json" -o "$T/failed"
check "evidence verify of an intact failed bundle says what it records" sh -c "'$Q' evidence verify '$T/failed' --no-signature | grep -q 'records verification FAILED'"
check "the bundle is marked failed" py -c "
import json; r = json.load(open('$T/failed/report.json')); assert r['status'] == 'failed' and r['ok'] is False"
check "report.html says so" grep -q "VERIFICATION FAILED" "$T/failed/report.html"
py -c "import json; d=json.load(open('$GOLDEN')); d['cves']=None; json.dump(d, open('$T/nodb.json','w'))"
expect_exit 0 "a bundle without CVE data" "$Q" evidence "$ORIG" "$OTHER" --verify-report "$T/nodb.json" -o "$T/nodb"
check "has no VEX file, says why, and the compliance map points only to files it has" py - "$T/nodb" <<'EOF'
import json, os, sys
d = sys.argv[1]
assert not os.path.exists(d + "/vex.openvex.json")
st = json.load(open(d + "/attestation.intoto.json"))
assert st["predicate"]["bundle"]["vex"] is None and st["predicate"]["bundle"]["vex_note"]
assert st["predicate"]["cves"] is None
c = json.load(open(d + "/compliance.json"))
for fw in c["frameworks"]:
    for ct in fw["controls"]:
        for f in ct["evidence"]:
            assert os.path.exists(os.path.join(d, f)), (ct["id"], f)
ra5 = [ct for fw in c["frameworks"] for ct in fw["controls"] if ct["id"] == "RA-5"][0]
assert ra5["status"] == "not_supported", ra5
EOF
expect_exit 0 "evidence verify accepts it" "$Q" evidence verify "$T/nodb" --no-signature
expect_exit 0 "an unsigned bundle checks with --no-signature" "$Q" evidence verify "$T/failed" --no-signature
expect_exit 1 "an unsigned bundle fails with --key" "$Q" evidence verify "$T/failed" --key "$T/ec.pub"
stderr_has "not signed" "the failure says the bundle is not signed"

# ---- end to end: harden pyapp, then verify and evidence with a vulnerability database ----
if [ "${QUENCH_VARIANT:-plain}" != plain ]; then
  echo "# end to end (harden pyapp, evidence, evidence verify) runs in the plain build only"
elif ! have runc; then
  skip "end to end: harden pyapp, evidence, evidence verify" "runc missing"
else
  py -c "import json; json.dump(json.load(open('$QUENCH_TESTIMAGES/images.json'))['pyapp']['probes'], open('$T/probes.json','w'))"
  expect_exit 0 "harden pyapp with its probes" "$Q" harden "$ORIG" --probes "$T/probes.json" \
    --report "$T/harden.json" --format oci-archive -o "$T/pyapp-hardened.tar"
  # a database of part of the real Debian OSV data (the CVE records of 2023 and 2024) keeps this lean;
  # the checks below hold for any subset
  DBOK=0
  TARBALL=$QUENCH_SHARED/data/debian-osv/vuls-data-raw-debian-osv_af8e56d.tar.xz
  if [ -r "$TARBALL" ] && have xz; then
    mkdir -p "$T/osv" && tar -xJf "$TARBALL" -C "$T/osv" --wildcards '*CVE/2023/*' '*CVE/2024/*' 2>/dev/null
    "$Q" db import --db "$T/db.sqlite" "$T/osv" >/dev/null 2>"$T/db.err" && DBOK=1
    rm -rf "$T/osv"
  fi
  DBARG=(); [ "$DBOK" = 1 ] && DBARG=(--db "$T/db.sqlite" --base "oci:$L:python-3.11-slim")
  [ "$DBOK" = 1 ] || skip "CVE delta in the end-to-end bundle" "no database (shared data or xz missing)"
  "$Q" evidence "$ORIG" "oci-archive:$T/pyapp-hardened.tar" --probes-from "$T/harden.json" "${DBARG[@]}" \
    --key "$T/ed.key" -o "$T/e2e" >"$T/e2e.out" 2>"$T/e2e.err"; rc=$?
  # the hardened pyapp must verify: same probes, nothing missing, every CVE that went explained
  if [ -s "$T/e2e/attestation.dsse.json" ] && [ $rc = 0 ]; then
    ok "quench evidence wrote the bundle of the hardened pyapp and verification passed"
  else not_ok "quench evidence wrote the bundle of the hardened pyapp and verification passed (exit $rc)"; sed 's/^/#   /' "$T/e2e.err" | head -5; fi
  check "the exit code follows the verification result" py -c "
import json; r = json.load(open('$T/e2e/report.json')); assert r['ok'] == ($rc == 0), (r['ok'], $rc)"
  check "every probe gave the same result on both images" py -c "
import json; v = json.load(open('$T/e2e/report.json'))['verify']; assert v['probes'] and all(p['same'] for p in v['probes'])"
  expect_exit 0 "evidence verify accepts the end-to-end bundle" "$Q" evidence verify "$T/e2e" --key "$T/ed.pub"
  check "the attestation's subject is the hardened image's manifest digest" py - "$T/e2e" "$T/pyapp-hardened.tar" <<'EOF'
import hashlib, json, sys, tarfile
st = json.load(open(sys.argv[1] + "/attestation.intoto.json"))
with tarfile.open(sys.argv[2]) as t:
    idx = json.load(t.extractfile("index.json"))
want = idx["manifests"][0]["digest"]
assert "sha256:" + st["subject"][0]["digest"]["sha256"] == want, (st["subject"], want)
assert st["predicate"]["profile"]["paths_recorded"] > 0
EOF
  validate "$S/cyclonedx/bom-1.6.schema.json" "$T/e2e/sbom-hardened.cdx.json" "CycloneDX of the hardened pyapp valid"
  validate "$S/spdx-schema-2.3.json" "$T/e2e/sbom-hardened.spdx.json" "SPDX of the hardened pyapp valid"
  if [ "$DBOK" = 1 ]; then
    validate "$S/openvex_json_schema.json" "$T/e2e/vex.openvex.json" "OpenVEX of the hardened pyapp valid"
    check "every VEX statement is a removed CVE whose package left the image" py - "$T/e2e" <<'EOF'
import json, sys
d = sys.argv[1]
v = json.load(open(d + "/report.json"))["verify"]
vex = json.load(open(d + "/vex.openvex.json"))
gone = {p["purl"] for p in v["packages"]["removed"]}
removed = {r["id"] for r in v["cves"]["removed"]}
assert vex["statements"]
for s in vex["statements"]:
    assert s["vulnerability"]["name"] in removed
    for c in s["products"][0]["subcomponents"]:
        assert c["identifiers"]["purl"] in gone, c
assert v["cves"]["before"]["total"] > v["cves"]["after"]["total"]
EOF
  fi
  # harden --evidence DIR: the same bundle straight after hardening, signed, with the CVE delta
  mkdir -p "$T/full" && touch "$T/full/x"
  expect_exit 2 "harden --evidence into a folder that is not empty is refused before the run" \
    "$Q" harden "$ORIG" --probes "$T/probes.json" -o "$T/hx.tar" --evidence "$T/full"
  check "  ... and no image was written" test ! -e "$T/hx.tar"
  expect_exit 2 "harden --key without --evidence is a usage error" "$Q" harden "$ORIG" -o "$T/hx.tar" --key "$T/ed.key"
  expect_exit 0 "harden --evidence DIR --key writes a verified, signed bundle" "$Q" harden "$ORIG" \
    --probes "$T/probes.json" --format oci-archive -o "$T/hx.tar" --evidence "$T/hev" --key "$T/ed.key" "${DBARG[@]}"
  expect_exit 0 "evidence verify accepts the bundle harden wrote" "$Q" evidence verify "$T/hev" --key "$T/ed.pub"
  check "the bundle harden wrote carries the harden report and a passed verification" py -c "
import json; r = json.load(open('$T/hev/report.json')); assert r['ok'] is True and r['harden']['schema'] == 'quench.harden/v1', r.keys()"
fi

done_testing
