#!/usr/bin/env python3
"""Writes small container images for tests, good or deliberately broken.

    mkimage.py OUT_DIR CASE      writes OUT_DIR/CASE as an OCI layout (or docker archive)

Every image is built from layer tars made here with Python's tarfile (an independent tar
writer) or byte by byte where tarfile refuses to write something malformed. Run with
`--list` to see the cases.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

PLATFORM = {"os": "linux", "architecture": "amd64"}


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    """entries: (name, kind, value[, mode]); kind f=file d=dir l=symlink h=hardlink c=char dev."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        for e in entries:
            name, kind, val = e[0], e[1], e[2]
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            if len(e) > 3:
                ti.mode = e[3]
            if kind == "f":
                ti.size = len(val)
                t.addfile(ti, io.BytesIO(val))
                continue
            ti.type = {"d": tarfile.DIRTYPE, "l": tarfile.SYMTYPE, "h": tarfile.LNKTYPE,
                       "c": tarfile.CHRTYPE, "p": tarfile.FIFOTYPE}[kind]
            if kind in "lh":
                ti.linkname = val
            if kind == "c":
                ti.devmajor, ti.devminor = 1, 3
            if kind == "d" and len(e) <= 3:
                ti.mode = 0o755
            t.addfile(ti)
    return b.getvalue()


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=data, stdout=subprocess.PIPE, check=True).stdout
    return data


MEDIA = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
         "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
         None: "application/vnd.oci.image.layer.v1.tar"}


class Layout:
    def __init__(self, path):
        self.path = path
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(path, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)

    def blob(self, data):
        d = sha(data)
        with open(os.path.join(self.path, "blobs", "sha256", d[7:]), "wb") as f:
            f.write(data)
        return {"digest": d, "size": len(data)}

    def image(self, layers, how="gzip", config=None, tamper=None):
        """layers: uncompressed tar bytes. Returns the manifest descriptor."""
        tamper = tamper or {}
        diff_ids, descs = [], []
        for i, raw in enumerate(layers):
            diff_ids.append(sha(raw))
            blob = compress(raw, how)
            if "blob" in tamper and tamper["blob"][0] == i:
                blob = tamper["blob"][1](blob)
                d = self.blob(blob)
                if tamper.get("keep_digest"):  # write the bad bytes under the good digest
                    good = sha(compress(raw, how))
                    os.rename(os.path.join(self.path, "blobs", "sha256", d["digest"][7:]),
                              os.path.join(self.path, "blobs", "sha256", good[7:]))
                    d = {"digest": good, "size": len(blob)}
            else:
                d = self.blob(blob)
            descs.append(dict(mediaType=MEDIA[how], **d))
        cfg = {"architecture": "amd64", "os": "linux",
               "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["sh"]},
               "rootfs": {"type": "layers", "diff_ids": diff_ids},
               "history": [{"created_by": "layer %d" % i} for i in range(len(layers))]}
        if config:
            cfg = config(cfg)
        cfg_bytes = json.dumps(cfg).encode() if not isinstance(cfg, bytes) else cfg
        cd = self.blob(cfg_bytes)
        man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
               "config": dict(mediaType="application/vnd.oci.image.config.v1+json", **cd),
               "layers": descs}
        if "manifest" in tamper:
            man = tamper["manifest"](man)
        mb = json.dumps(man).encode() if not isinstance(man, bytes) else man
        md = self.blob(mb)
        return dict(mediaType="application/vnd.oci.image.manifest.v1+json", **md)

    def index(self, descs, tags):
        manifests = []
        for d, t in zip(descs, tags):
            d = dict(d)
            if t:
                d["annotations"] = {"org.opencontainers.image.ref.name": t}
            manifests.append(d)
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "manifests": manifests}, f)


BASE = [("etc/", "d", None), ("etc/os-release", "f", b'ID=testos\nVERSION_ID="1.0"\nPRETTY_NAME="Test OS 1.0"\n'),
        ("bin/", "d", None), ("bin/sh", "f", b"#!fake\n", 0o755), ("tmp/", "d", None, 0o1777),
        ("usr/", "d", None), ("usr/lib/", "d", None), ("usr/lib/libx.so.1", "f", b"x" * 100)]


def simple(out, layers, **kw):
    lay = Layout(out)
    lay.index([lay.image(layers, **kw)], ["latest"])


def set_header_field(raw, index, offset, value):
    """Rewrites bytes of the index-th 512-byte header in raw tar bytes and fixes its checksum."""
    b = bytearray(raw)
    h = index * 512
    b[h + offset:h + offset + len(value)] = value
    b[h + 148:h + 156] = b" " * 8
    s = sum(b[h:h + 512])
    b[h + 148:h + 156] = b"%06o\0 " % s
    return bytes(b)


def ustar(entries):
    return tar_bytes(entries, tarfile.USTAR_FORMAT)


def case_good(out):
    l2 = tar_bytes([("usr/lib/.wh.libx.so.1", "f", b""), ("srv/", "d", None), ("srv/app", "f", b"app\n"),
                    ("srv/app-link", "h", "srv/app"), ("etc/.wh..wh..opq", "f", b""),
                    ("etc/os-release", "f", b"ID=testos\nVERSION_ID=2\n")])
    simple(out, [tar_bytes(BASE), l2])


def case_zstd(out):
    simple(out, [tar_bytes(BASE)], how="zstd")


def case_plain(out):
    simple(out, [tar_bytes(BASE)], how=None)


def case_multiarch(out):
    lay = Layout(out)
    amd = lay.image([tar_bytes(BASE)])
    arm = lay.image([tar_bytes(BASE + [("arm", "f", b"arm64\n")])],
                    config=lambda c: dict(c, architecture="arm64", variant="v8"))
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
           "manifests": [dict(amd, platform={"os": "linux", "architecture": "amd64"}),
                         dict(arm, platform={"os": "linux", "architecture": "arm64", "variant": "v8"})]}
    d = lay.blob(json.dumps(idx).encode())
    lay.index([dict(mediaType="application/vnd.oci.image.index.v1+json", **d)], ["multi"])


def case_dotdot(out):
    simple(out, [ustar(BASE + [("../evil", "f", b"x")])])


def case_absolute(out):
    raw = ustar(BASE + [("XXXXXXXXXXXX", "f", b"x")])
    i = len(BASE)
    simple(out, [set_header_field(raw, i, 0, b"/etc/passwd\0")])


def case_symlink_parent(out):
    simple(out, [tar_bytes(BASE + [("evil", "l", "../../../../tmp")]), tar_bytes([("evil/pwned", "f", b"x")])])


def case_hardlink_outside(out):
    simple(out, [ustar(BASE + [("h", "h", "../../etc/passwd")])])


def case_hardlink_missing(out):
    simple(out, [ustar(BASE + [("h", "h", "nope/nothing")])])


def case_symlink_loop(out):
    simple(out, [ustar(BASE + [("a", "l", "b"), ("b", "l", "c"), ("c", "l", "a")])])


def case_device(out):
    simple(out, [ustar(BASE + [("etc/sda", "c", None)])])


def case_short_data(out):
    raw = ustar(BASE + [("big", "f", b"y" * 1000)])
    # the header says 1000 bytes; cut the stream after 600 of them
    i = len(BASE)
    off = sum(512 + ((len(e[2] or b"") + 511) // 512) * 512 for e in BASE)
    simple(out, [raw[:off + 512 + 600]], how=None)


def case_long_data(out):
    raw = ustar(BASE + [("a", "f", b"abc"), ("b", "f", b"def")])
    i = len(BASE)
    # header of "a" claims 3 bytes; widen its data to 3 + 512 bytes so "b"'s header is misread
    off = sum(512 + ((len(e[2] or b"") + 511) // 512) * 512 for e in BASE)
    data_start = off + 512
    b = raw[:data_start] + b"abc" + b"Z" * 1021 + raw[data_start + 512:]
    simple(out, [b], how=None)


def case_gzip_truncated(out):
    simple(out, [tar_bytes(BASE + [("r", "f", os.urandom(4000))])],
           tamper={"blob": (0, lambda b: b[:len(b) // 2])})


def case_gzip_corrupt(out):
    def flip(b):
        b = bytearray(b)
        for k in range(len(b) // 3, len(b) // 3 + 40):
            b[k] ^= 0x5a
        return bytes(b)
    simple(out, [tar_bytes(BASE + [("r", "f", os.urandom(4000))])], tamper={"blob": (0, flip)})


def case_zstd_truncated(out):
    simple(out, [tar_bytes(BASE + [("r", "f", os.urandom(4000))])], how="zstd",
           tamper={"blob": (0, lambda b: b[:len(b) - 20])})


def case_missing_blob(out):
    lay = Layout(out)
    d = lay.image([tar_bytes(BASE)])
    man = json.load(open(os.path.join(out, "blobs", "sha256", d["digest"][7:])))
    os.remove(os.path.join(out, "blobs", "sha256", man["layers"][0]["digest"][7:]))
    lay.index([d], ["latest"])


def case_digest_mismatch(out):
    def flip(b):
        return b[:-1] + bytes([b[-1] ^ 1])
    simple(out, [tar_bytes(BASE)], how=None, tamper={"blob": (0, flip), "keep_digest": True})


def case_diffid_mismatch(out):
    def cfg(c):
        c["rootfs"]["diff_ids"][0] = "sha256:" + "ab" * 32
        return c
    simple(out, [tar_bytes(BASE)], config=cfg)


def case_bad_json(out):
    simple(out, [tar_bytes(BASE)], tamper={"manifest": lambda m: b'{"schemaVersion": 2, "layers": [}'})


def case_deep_json(out):
    simple(out, [tar_bytes(BASE)], config=lambda c: dict(c, deep=json.loads("[" * 500 + "]" * 500)))


def case_bomb_size(out):
    simple(out, [tar_bytes(BASE + [("zeros", "f", b"\0" * (4 << 20))])])


def case_bomb_entries(out):
    simple(out, [tar_bytes(BASE + [("many/%04d" % i, "f", b"") for i in range(300)])])


def case_bomb_path(out):
    simple(out, [tar_bytes(BASE + [("d/" + "p" * 200, "f", b"x")])])


def case_docker_legacy(out):
    """docker save's legacy layout: <id>/layer.tar, uncompressed, a repeated layer as a symlink."""
    l1 = tar_bytes(BASE)
    l2 = tar_bytes([("srv/", "d", None), ("srv/x", "f", b"x\n")])
    cfg = {"architecture": "amd64", "os": "linux", "config": {"Cmd": ["sh"]},
           "rootfs": {"type": "layers", "diff_ids": [sha(l1), sha(l2), sha(l1)]},
           "history": [{"created_by": "a"}, {"created_by": "b"}, {"created_by": "a again"}]}
    cb = json.dumps(cfg).encode()
    cid = hashlib.sha256(cb).hexdigest()
    man = [{"Config": cid + ".json", "RepoTags": ["legacy/img:1"],
            "Layers": ["1111/layer.tar", "2222/layer.tar", "3333/layer.tar"]}]
    with tarfile.open(out, "w", format=tarfile.USTAR_FORMAT) as t:
        def add(name, data):
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
        for d in ("1111", "2222", "3333"):
            ti = tarfile.TarInfo(d)
            ti.type = tarfile.DIRTYPE
            t.addfile(ti)
        add("1111/layer.tar", l1)
        add("2222/layer.tar", l2)
        ti = tarfile.TarInfo("3333/layer.tar")
        ti.type = tarfile.SYMTYPE
        ti.linkname = "../1111/layer.tar"
        t.addfile(ti)
        add(cid + ".json", cb)
        add("manifest.json", json.dumps(man).encode())


CASES = {k[5:]: v for k, v in globals().items() if k.startswith("case_")}

if __name__ == "__main__":
    if sys.argv[1:] == ["--list"]:
        print("\n".join(sorted(CASES)))
        sys.exit(0)
    out_dir, case = sys.argv[1], sys.argv[2]
    CASES[case.replace("-", "_")](os.path.join(out_dir, case))
