#!/usr/bin/env python3
"""Reference counter for the scan accuracy test, written apart from the product.

It reads an image (a docker-archive tar) with Python's tarfile, merges the layers itself, parses
var/lib/dpkg/status, and counts vulnerable (binary package, id) rows with the rule of
shared/data/README.md:

  each installed binary package maps to its source package and source version (the dpkg Source:
  field, the version in parentheses when present, else the binary's version); it is affected by a
  record when the record's Debian:<release> range has no fixed event, or when the installed
  source version is lower than `fixed` under dpkg's ordering.

Ids: CVE records give CVE rows. A Debian advisory (DSA/DLA/DTSA) that names no CVE is counted
under its own id; one that names CVEs is represented by those CVE records and adds no row.

The data comes from the jsonl extract of the shared folder (--extract, Debian:12 only) or from
the OSV tree (--osv DIR, any release). dpkg version ordering is implemented below from dpkg's
documented algorithm (deb-version(7)); --selfcheck compares it with `dpkg --compare-versions`.

Subcommands:
  rows        print "binary<TAB>id" lines, sorted
  changelog   print "binary<TAB>CVE<TAB>changelog-version" for every CVE that the package's
              changelog.Debian.gz names in an entry at or below the installed version
  both        rows to --rows-out and changelog lines to --changelog-out (one image read)
"""
import argparse
import gzip
import io
import json
import os
import posixpath
import re
import subprocess
import sys
import tarfile

# ---------------------------------------------------------------- dpkg version ordering


def _order(c):
    if c == "~":
        return -1
    if c.isdigit():
        return 0
    if not c:
        return 0
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _verrevcmp(a, b):
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


def _split(v):
    v = v.strip()
    epoch = 0
    if ":" in v:
        e, v = v.split(":", 1)
        epoch = int(e) if e.isdigit() else 0
    if "-" in v:
        up, rev = v.rsplit("-", 1)
    else:
        up, rev = v, ""
    return epoch, up, rev


def dpkg_cmp(a, b):
    ea, ua, ra = _split(a)
    eb, ub, rb = _split(b)
    if ea != eb:
        return -1 if ea < eb else 1
    r = _verrevcmp(ua, ub)
    if r:
        return -1 if r < 0 else 1
    r = _verrevcmp(ra, rb)
    return -1 if r < 0 else (1 if r > 0 else 0)


# ---------------------------------------------------------------- image reading


def read_image(path, wanted):
    """Merged view of a docker-archive: {path: ("file", bytes) | ("link", target)} for the paths
    for which wanted(path) is true, whiteouts applied layer by layer."""
    files = {}
    with tarfile.open(path) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        for layer in manifest[0]["Layers"]:
            data = outer.extractfile(layer).read()
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as lt:
                for m in lt:
                    name = posixpath.normpath(m.name.lstrip("./").lstrip("/"))
                    base = posixpath.basename(name)
                    parent = posixpath.dirname(name)
                    if base == ".wh..wh..opq":
                        for k in [k for k in files if k.startswith(parent + "/")]:
                            del files[k]
                        continue
                    if base.startswith(".wh."):
                        gone = posixpath.join(parent, base[4:])
                        for k in [k for k in files if k == gone or k.startswith(gone + "/")]:
                            del files[k]
                        continue
                    if not wanted(name):
                        continue
                    if m.isfile():
                        files[name] = ("file", lt.extractfile(m).read())
                    elif m.issym():
                        files[name] = ("link", m.linkname)
                    elif m.islnk():
                        t = posixpath.normpath(m.linkname.lstrip("./").lstrip("/"))
                        if t in files:
                            files[name] = files[t]
                    else:
                        files.pop(name, None)
    return files


def resolve(files, path, depth=0):
    """Follows symlinks (on any component) inside the merged view; returns bytes or None."""
    if depth > 20:
        return None
    parts = path.split("/")
    for n in range(1, len(parts) + 1):
        pre = "/".join(parts[:n])
        ent = files.get(pre)
        if ent and ent[0] == "link":
            t = ent[1]
            t = t.lstrip("/") if t.startswith("/") else posixpath.join(posixpath.dirname(pre), t)
            rest = "/".join(parts[n:])
            return resolve(files, posixpath.normpath(posixpath.join(t, rest) if rest else t), depth + 1)
    ent = files.get(path)
    return ent[1] if ent and ent[0] == "file" else None


def parse_status(text):
    pkgs = []
    for para in re.split(r"\n\s*\n", text):
        fields = {}
        key = None
        for line in para.split("\n"):
            if not line:
                continue
            if line[0] in " \t" and key:
                continue
            if ":" in line:
                key, val = line.split(":", 1)
                fields[key.strip().lower()] = val.strip()
        if "package" not in fields:
            continue
        st = fields.get("status", "").split()
        if len(st) != 3 or st[2] != "installed":
            continue
        ver = fields.get("version", "")
        src, srcver = fields["package"], ver
        if fields.get("source"):
            m = re.match(r"^(\S+)(?:\s*\(([^)]*)\))?", fields["source"])
            src = m.group(1)
            if m.group(2):
                srcver = m.group(2).strip()
        pkgs.append({"name": fields["package"], "version": ver, "source": src, "source_version": srcver,
                     "arch": fields.get("architecture", "")})
    return pkgs


def wanted_path(p):
    return p == "var/lib/dpkg/status" or p.startswith("usr/share/doc/") or p == "usr/share/doc" or \
        p == "usr" or p == "usr/share"


# ---------------------------------------------------------------- data


def load_extract(path, release):
    if release != "12":
        sys.exit("refcount: the extract holds Debian:12 only")
    recs = {}
    with gzip.open(path, "rt") as f:
        for line in f:
            o = json.loads(line)
            recs.setdefault(o["source_pkg"], []).append(
                {"id": o["id"], "fixed": o.get("fixed"), "cves": [r for r in (o.get("related") or []) if r.startswith("CVE-")]})
    return recs


def load_osv(root, release):
    recs = {}
    eco = "Debian:" + release
    for d, _, fs in os.walk(root):
        for fn in fs:
            if not fn.endswith(".json"):
                continue
            with open(os.path.join(d, fn), "rb") as f:
                o = json.load(f)
            ids = (o.get("aliases") or []) + (o.get("related") or []) + (o.get("upstream") or [])
            cves = [i for i in ids if i.startswith("CVE-")]
            for a in o.get("affected") or []:
                pk = a.get("package") or {}
                if pk.get("ecosystem") != eco:
                    continue
                for r in a.get("ranges") or []:
                    if r.get("type") != "ECOSYSTEM":
                        continue
                    fixed = None
                    for ev in r.get("events") or []:
                        if "fixed" in ev:
                            fixed = ev["fixed"]
                    recs.setdefault(pk["name"], []).append({"id": o["id"], "fixed": fixed, "cves": cves})
    return recs


def rows(pkgs, recs):
    out = set()
    for p in pkgs:
        for r in recs.get(p["source"], []):
            rid = r["id"]
            if not rid.startswith("CVE-") and r["cves"]:
                continue  # an advisory for CVEs: those CVE records count
            if r["fixed"] is None or dpkg_cmp(p["source_version"], r["fixed"]) < 0:
                out.add((p["name"], rid))
    return sorted(out)


# ---------------------------------------------------------------- changelogs

HEADER = re.compile(r"^(\S+) \(([^)]+)\) [^;]*;")
CVE = re.compile(r"CVE-\d{4}-\d{4,}")


def changelog_fixed(files, pkg):
    """{CVE: version} for CVEs named in changelog entries at or below the installed source version."""
    name = pkg["name"].split(":")[0]
    data = None
    for p in ("usr/share/doc/%s/changelog.Debian.gz" % name,
              "usr/share/doc/%s/changelog.Debian.%s.gz" % (name, pkg["arch"])):
        data = resolve(files, p)
        if data:
            break
    if not data:
        return {}
    try:
        text = gzip.decompress(data).decode("utf-8", "replace")
    except (OSError, EOFError):
        return {}
    found, ver = {}, None
    for line in text.split("\n"):
        m = HEADER.match(line)
        if m:
            ver = m.group(2)
            continue
        if ver is None or dpkg_cmp(ver, pkg["source_version"]) > 0:
            continue
        for c in CVE.findall(line):
            found.setdefault(c, ver)
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["rows", "changelog", "both", "selfcheck"])
    ap.add_argument("--rows-out")
    ap.add_argument("--changelog-out")
    ap.add_argument("--image", help="docker-archive tar")
    ap.add_argument("--extract")
    ap.add_argument("--osv")
    ap.add_argument("--release", default="12")
    a = ap.parse_args()
    if a.cmd == "selfcheck":
        pairs = [("1.0", "1.0-1"), ("1:0.1", "2.0"), ("1.0~rc1", "1.0"), ("1.0a", "1.0+"), ("1.2-3+deb12u1", "1.2-3"),
                 ("3.0.15-1~deb12u1", "3.0.15-1"), ("2.36-9+deb12u10", "2.36-9+deb12u9"), ("1.0-1~", "1.0-1"),
                 ("0.5.11+git20210903+057cd650a4ed-9", "0.5.11-1"), ("10", "9"), ("1.001", "1.1")]
        bad = 0
        for x, y in pairs:
            for p, q in ((x, y), (y, x), (x, x)):
                c = dpkg_cmp(p, q)
                op = {-1: "lt", 0: "eq", 1: "gt"}[c]
                if subprocess.run(["dpkg", "--compare-versions", p, op, q]).returncode != 0:
                    print("mismatch: %s %s %s" % (p, op, q))
                    bad += 1
        sys.exit(1 if bad else 0)
    files = read_image(a.image, wanted_path)
    status = resolve(files, "var/lib/dpkg/status")
    pkgs = parse_status(status.decode("utf-8", "replace")) if status else []
    cl_lines, row_lines = [], []
    if a.cmd in ("changelog", "both"):
        for p in pkgs:
            for c, v in sorted(changelog_fixed(files, p).items()):
                cl_lines.append("%s\t%s\t%s\n" % (p["name"], c, v))
    if a.cmd in ("rows", "both"):
        recs = load_osv(a.osv, a.release) if a.osv else load_extract(a.extract, a.release)
        row_lines = ["%s\t%s\n" % r for r in rows(pkgs, recs)]
    if a.cmd == "both":
        open(a.rows_out, "w").writelines(row_lines)
        open(a.changelog_out, "w").writelines(cl_lines)
    else:
        sys.stdout.writelines(cl_lines if a.cmd == "changelog" else row_lines)


if __name__ == "__main__":
    main()
