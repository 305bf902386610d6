#!/usr/bin/env python3
"""Writes the hand-made seeds of tests/fuzz/corpus/unpack: small layers in
each format the unpacker takes, with every kind of entry and whiteout, and
the tricky ones (paths and links that try to leave the layer, entries that
replace earlier ones). Kept so the seeds can be made again; the corpus also
holds layers made by umoci (see README in that directory).

    tests/fuzz/make_unpack_seeds.py tests/fuzz/corpus/unpack
"""
import bz2
import gzip
import io
import lzma
import sys
import tarfile

MTIME = 1700000000


def entry(name, kind=tarfile.REGTYPE, data=b"", **kw):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mtime = MTIME
    info.mode = kw.pop("mode", 0o755 if kind == tarfile.DIRTYPE else 0o644)
    for k, v in kw.items():
        setattr(info, k, v)
    if kind == tarfile.REGTYPE:
        info.size = len(data)
    return info, data


def tar(entries, fmt=tarfile.PAX_FORMAT):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as t:
        for info, data in entries:
            t.addfile(info, io.BytesIO(data) if data else None)
    # tarfile pads to 10 KiB records; the end is two zero blocks. Smaller
    # seeds fuzz faster.
    body = out.getvalue().rstrip(b"\0")
    return body + b"\0" * (-len(body) % 512 + 1024)


def gz(data):
    return gzip.compress(data, mtime=0)


BASIC = [
    entry("./", tarfile.DIRTYPE),
    entry("etc/", tarfile.DIRTYPE),
    entry("etc/passwd", data=b"root:x:0:0:root:/root:/bin/sh\n"),
    entry("bin/", tarfile.DIRTYPE, uid=0, gid=0),
    entry("bin/su", data=b"\x7fELF", mode=0o4755),
    entry("bin/sh", tarfile.SYMTYPE, linkname="busybox"),
    entry("bin/busybox", data=b"#!busybox\n"),
    entry("bin/ls", tarfile.LNKTYPE, linkname="bin/busybox"),
    entry("dev/", tarfile.DIRTYPE),
    entry("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666),
    entry("dev/loop0", tarfile.BLKTYPE, devmajor=7, devminor=0, mode=0o660),
    entry("run/fifo", tarfile.FIFOTYPE),
    entry("home/user/", tarfile.DIRTYPE, uid=1000, gid=1000, mode=0o700),
    entry("tmp/", tarfile.DIRTYPE, mode=0o1777),
    entry("ro/", tarfile.DIRTYPE, mode=0o555),
    entry("ro/file", data=b"x", mode=0o400),
    entry("bin/ping", data=b"ping", pax_headers={"SCHILY.xattr.security.capability":
                                                 "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
                                                 "SCHILY.xattr.user.note": "hello"}),
    entry("usr/share/" + "long-directory-name/" * 8 + "file", data=b"deep"),
]

WHITEOUTS = [
    entry("etc/", tarfile.DIRTYPE),
    entry("etc/.wh.passwd"),
    entry("var/lib/", tarfile.DIRTYPE),
    entry("var/lib/.wh..wh..opq"),
    entry("var/lib/new", data=b"after the opaque marker"),
    entry(".wh..wh.plnk/", tarfile.DIRTYPE),
    entry(".wh..wh.plnk/123.456", data=b"aufs"),
    entry("gone/file", data=b"made, then whited out"),
    entry(".wh.gone"),
    entry("missing/parents/.wh.x"),
]

# Each tries to leave the layer; the unpacker must refuse it or keep it
# inside. One layer each: the first refusal ends a layer.
ESCAPES = [
    [entry("../escaped", data=b"x")],
    [entry("a/../../escaped", data=b"x")],
    [entry("/abs/file", data=b"absolute means the layer's root")],
    [entry("up", tarfile.SYMTYPE, linkname="../"), entry("up/through-symlink", data=b"x")],
    [entry("root", tarfile.SYMTYPE, linkname="/"), entry("root/tmp/through-absolute-symlink", data=b"x")],
    [entry("canary-link", tarfile.LNKTYPE, linkname="../canary")],
    [entry("abs-link", tarfile.LNKTYPE, linkname="/etc/passwd")],
    [entry("sym", tarfile.SYMTYPE, linkname="../canary"),
     entry("sym", data=b"replaces the symlink, never writes through it", mode=0o777)],
    [entry("sym", tarfile.SYMTYPE, linkname="../canary"), entry("hard", tarfile.LNKTYPE, linkname="sym"),
     entry("hard", tarfile.DIRTYPE, mode=0o777)],
    [entry("up", tarfile.SYMTYPE, linkname=".."), entry("up/.wh.canary")],
    [entry("a/../.wh...")],
    [entry("../.wh.canary")],
    [entry("up", tarfile.SYMTYPE, linkname="../.."), entry("up/.wh..wh..opq")],
    [entry("proc", tarfile.SYMTYPE, linkname="/proc/self/cwd"), entry("proc/magic", data=b"x")],
    [entry("dev", tarfile.SYMTYPE, linkname="../"), entry("dev/node", tarfile.BLKTYPE, devmajor=8, devminor=0)],
    [entry("fifo", tarfile.SYMTYPE, linkname="../canary"), entry("fifo", tarfile.FIFOTYPE, mode=0o777)],
]

REPLACE = [
    entry("p", data=b"file first"),
    entry("p/", tarfile.DIRTYPE),
    entry("p/child", data=b"x"),
    entry("p", tarfile.SYMTYPE, linkname="/etc"),
    entry("p/after-symlink", data=b"x"),
    entry("q/", tarfile.DIRTYPE, mode=0o700),
    entry("q/", tarfile.DIRTYPE, mode=0o755),
    entry("r", data=b"one"),
    entry("r", data=b"two"),
    entry("s", tarfile.LNKTYPE, linkname="r"),
    entry("r", tarfile.FIFOTYPE),
]


def main(out):
    basic = tar(BASIC)
    seeds = {
        "basic.tar": basic,
        "basic-gnu.tar": tar(BASIC, tarfile.GNU_FORMAT),
        "basic-ustar.tar": tar(BASIC[:16], tarfile.USTAR_FORMAT),
        "basic.tar.gz": gz(basic),
        "basic.tar.xz": lzma.compress(basic),
        "basic.tar.bz2": bz2.compress(basic),
        # Two gzip members and trailing zeros, as some tools write.
        "two-members.tar.gz": gz(basic[:1024]) + gz(basic[1024:]) + b"\0" * 32,
        "whiteouts.tar": tar(WHITEOUTS),
        "whiteouts.tar.gz": gz(tar(WHITEOUTS)),
        "replace.tar": tar(REPLACE),
        "empty.tar": tar([]),
    }
    for i, entries in enumerate(ESCAPES):
        seeds[f"escape-{i:02}.tar"] = tar(entries)
    for name, data in seeds.items():
        with open(f"{out}/{name}", "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
