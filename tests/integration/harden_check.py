#!/usr/bin/env python3
"""Independent checks of a hardened image against its original, for tests/integration/harden.sh.

Reads both images from OCI layouts with nothing but the standard library (no quench code):
merges the layers (whiteouts applied), and prints one JSON document with

  packages_before/after   installed dpkg packages in each image's var/lib/dpkg/status
  bytes_before/after      regular-file bytes of each merged tree
  cve_rows_before/after   (binary package, CVE) rows by the counting rule of ../shared/data/README.md
  honesty                 listed packages without a file left, removed packages with one left
  report                  packages quench reports kept/trimmed vs the hardened status
  setuid                  setuid/setgid files in the hardened image
  tmp_mode                the mode of /tmp in the hardened image

  harden_check.py compare ORIG_LAYOUT ORIG_TAG HARD_LAYOUT HARD_TAG EXTRACT.jsonl.gz REPORT.json
  harden_check.py cverows LAYOUT TAG EXTRACT.jsonl.gz
"""
import gzip
import json
import posixpath
import sys
import tarfile

# the scan tests' independent reference counter orders dpkg versions the same way
from refcount import dpkg_cmp


# ---- images ----

def manifest(layout, tag):
    idx = json.load(open(layout + "/index.json"))
    for m in idx["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return json.load(open(layout + "/blobs/sha256/" + m["digest"][7:]))
    if len(idx["manifests"]) == 1:
        return json.load(open(layout + "/blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
    raise SystemExit("no manifest tagged %s in %s" % (tag, layout))


def wanted(path):
    return path == "var/lib/dpkg/status" or (path.startswith("var/lib/dpkg/info/") and path.endswith(".list"))


def merged_tree(layout, tag):
    """path -> [type, size, mode, linkname]; contents of the dpkg files."""
    tree, data = {}, {}
    for layer in manifest(layout, tag)["layers"]:
        with tarfile.open(layout + "/blobs/sha256/" + layer["digest"][7:], "r:*") as t:
            for m in t:
                p = posixpath.normpath(m.name.lstrip("/"))
                if p.startswith("./"):
                    p = p[2:]
                if p in (".", ""):
                    continue
                d, b = posixpath.split(p)
                if b == ".wh..wh..opq":
                    pre = d + "/"
                    for k in [k for k in tree if k.startswith(pre)]:
                        del tree[k]
                        data.pop(k, None)
                    continue
                if b.startswith(".wh."):
                    gone = posixpath.join(d, b[4:])
                    for k in [k for k in tree if k == gone or k.startswith(gone + "/")]:
                        del tree[k]
                        data.pop(k, None)
                    continue
                if m.islnk():
                    src = tree.get(posixpath.normpath(m.linkname.lstrip("/")))
                    tree[p] = ["f", 0, m.mode, None] if src is None else [src[0], 0, src[2], src[3]]
                    if m.linkname.lstrip("/") in data:
                        data[p] = data[m.linkname.lstrip("/")]
                    continue
                kind = "d" if m.isdir() else "l" if m.issym() else "f" if m.isreg() else "o"
                if kind != "d" and tree.get(p, ["f"])[0] == "d":
                    for k in [k for k in tree if k.startswith(p + "/")]:
                        del tree[k]
                tree[p] = [kind, m.size if kind == "f" else 0, m.mode, m.linkname if kind == "l" else None]
                if kind == "f" and wanted(p):
                    data[p] = t.extractfile(m).read().decode("utf-8", "replace")
                else:
                    data.pop(p, None)
    return tree, data


def resolve(tree, path, follow_last, depth=0):
    """Resolves path inside the image as the kernel would in a chroot; returns the canonical
    path reached (which may not exist) or None on a loop."""
    if depth > 40:
        return None
    parts = [c for c in path.split("/") if c not in ("", ".")]
    cur = []
    for i, c in enumerate(parts):
        if c == "..":
            cur = cur[:-1]
            continue
        p = "/".join(cur + [c])
        e = tree.get(p)
        last = i == len(parts) - 1
        if e and e[0] == "l" and (not last or follow_last):
            target = e[3]
            base = "" if target.startswith("/") else "/".join(cur)
            rest = "/".join(parts[i + 1:])
            return resolve(tree, posixpath.join(base, target) + ("/" + rest if rest else ""), follow_last, depth + 1)
        cur.append(c)
    return "/".join(cur)


# ---- dpkg ----

def paragraphs(text):
    for block in text.split("\n\n"):
        fields, last = {}, None
        for line in block.split("\n"):
            if line[:1] in (" ", "\t") and last:
                fields[last] += "\n" + line
            elif ":" in line:
                k, v = line.split(":", 1)
                last = k.strip().lower()
                fields[last] = v.strip()
        if fields.get("package"):
            yield fields


def installed(status_text):
    out = {}
    for f in paragraphs(status_text or ""):
        if f.get("status", "").split()[-1:] == ["installed"]:
            arch = f.get("architecture", "")
            out[(f["package"], arch)] = f
    return out


def load_extract(path):
    by_src = {}
    with gzip.open(path, "rt") as f:
        for line in f:
            r = json.loads(line)
            if r.get("kind") == "CVE":
                by_src.setdefault(r["source_pkg"], []).append(r)
    return by_src


def cve_rows(pkgs, by_src):
    rows = set()
    for (name, _arch), f in pkgs.items():
        src, ver = name, f.get("version", "")
        if f.get("source"):
            s = f["source"].split()
            src = s[0]
            if len(s) > 1 and s[1].startswith("("):
                ver = s[1].strip("()")
        for r in by_src.get(src, []):
            if r.get("fixed") is None or dpkg_cmp(ver, r["fixed"]) < 0:
                rows.add((name, r["id"]))
    return rows


def list_paths(text):
    return [l.strip().lstrip("/") for l in (text or "").split("\n") if l.strip() and l.strip() != "/."]


def package_files(tree, lists, key, owners):
    """The listed paths of a package that are files in this tree, as dpkg sees them: a path
    that resolves to a folder is a folder; a symlink to a folder is one when the package lists
    something below it or another package lists it too."""
    paths = lists.get(key, [])
    below = set()
    for p in paths:
        parts = p.split("/")
        for i in range(1, len(parts)):
            below.add("/".join(parts[:i]))
    out = []
    for p in paths:
        r = resolve(tree, p, False)
        e = tree.get(r) if r else None
        if not e or e[0] == "d":
            continue
        if e[0] == "l":
            t = resolve(tree, p, True)
            te = tree.get(t) if t else None
            if te and te[0] == "d" and (p in below or owners.get(p, 0) > 1):
                continue
        out.append(r)
    return out


def lists_of(data, pkgs):
    lists, owners = {}, {}
    for (name, arch) in pkgs:
        text = data.get("var/lib/dpkg/info/%s:%s.list" % (name, arch)) or data.get("var/lib/dpkg/info/%s.list" % name)
        lists[(name, arch)] = list_paths(text)
        for p in set(lists[(name, arch)]):
            owners[p] = owners.get(p, 0) + 1
    return lists, owners


def file_bytes(tree):
    return sum(e[1] for e in tree.values() if e[0] == "f")


def compare(orig_layout, orig_tag, hard_layout, hard_tag, extract, report_path):
    otree, odata = merged_tree(orig_layout, orig_tag)
    htree, hdata = merged_tree(hard_layout, hard_tag)
    opk = installed(odata.get("var/lib/dpkg/status"))
    hpk = installed(hdata.get("var/lib/dpkg/status"))
    by_src = load_extract(extract)
    olists, oowners = lists_of(odata, opk)
    problems = []
    for key in hpk:
        if key not in opk or hpk[key] != opk[key]:
            problems.append("%s:%s: paragraph changed or added" % key)
        if not package_files(htree, olists, key, oowners):
            problems.append("%s:%s: listed, but no file of it is left" % key)
    for key in opk:
        if key in hpk:
            continue
        left = package_files(htree, olists, key, oowners)
        if left:
            problems.append("%s:%s: removed, but %d of its files are left (%s)" % (key + (len(left), left[0])))
        for ext in ("list", "md5sums", "conffiles", "postinst", "triggers"):
            for n in ("%s:%s.%s" % (key[0], key[1], ext), "%s.%s" % (key[0], ext)):
                if "var/lib/dpkg/info/" + n in htree:
                    problems.append("%s:%s: removed, but info file %s is left" % (key + (n,)))
    report = json.load(open(report_path))
    said = sorted("%s %s" % (p["name"], p["version"]) for p in report["packages"]["list"]
                  if p["ecosystem"] == "deb" and p["state"] in ("kept", "trimmed"))
    listed = sorted("%s %s" % (k[0], f.get("version")) for k, f in hpk.items())
    setuid = sorted("/" + p for p, e in htree.items() if e[0] == "f" and e[2] & 0o6000)
    tmp = htree.get("tmp")
    out = {
        "packages_before": len(opk), "packages_after": len(hpk),
        "bytes_before": file_bytes(otree), "bytes_after": file_bytes(htree),
        "cve_rows_before": len(cve_rows(opk, by_src)), "cve_rows_after": len(cve_rows(hpk, by_src)),
        "honesty": problems,
        "report_kept_or_trimmed": said, "status_listed": listed,
        "report_matches_status": said == listed,
        "setuid": setuid,
        "tmp_mode": oct(tmp[2]) if tmp else None,
        "hardened_paths": len(htree),
    }
    json.dump(out, sys.stdout, indent=1)
    print()


def main(argv):
    if len(argv) == 7 and argv[0] == "compare":
        compare(*argv[1:])
    elif len(argv) == 4 and argv[0] == "cverows":
        _, data = merged_tree(argv[1], argv[2])
        pk = installed(data.get("var/lib/dpkg/status"))
        rows = cve_rows(pk, load_extract(argv[3]))
        print(len(rows), len({r[1] for r in rows}))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
