#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_chart.c into this folder (run it from here).

Deterministic: fixed mtimes and gzip headers, so running it again changes no seed.
The replay driver skips dot files, so this script is not an input.
"""
import gzip
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))

CHART = b"apiVersion: v2\nname: demo\nversion: 0.1.0\ndependencies:\n  - name: sub\n    version: 1.0.0\n"
VALUES = b"replicaCount: 1\nimage:\n  repository: nginx\n  tag: stable\n"
README = b"# demo\n\nA tiny chart for the fuzzer.\n"
SUB_CHART = b"apiVersion: v2\nname: sub\nversion: 1.0.0\n"
SUB_VALUES = b"sub: true\n"


def gz(data, level=9):
    return gzip.compress(data, compresslevel=level, mtime=0)


def tar(entries, fmt=tarfile.USTAR_FORMAT, prefix=""):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, data in entries:
            if data is None:
                info = tarfile.TarInfo(prefix + name)
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                info.mtime = 0
                t.addfile(info)
                continue
            info = tarfile.TarInfo(prefix + name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def chart_entries(top="demo"):
    return [
        (top + "/Chart.yaml", CHART),
        (top + "/values.yaml", VALUES),
        (top + "/README.md", README),
        (top + "/charts/sub/Chart.yaml", SUB_CHART),
        (top + "/charts/sub/values.yaml", SUB_VALUES),
    ]


def header(name, size_field, typeflag=b"0", prefix=b""):
    """A ustar header with a raw 12-byte size field and a correct checksum."""
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = size_field
    h[136:148] = b"00000000000\0"
    h[156:157] = typeflag
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[345:345 + len(prefix)] = prefix
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pad(data):
    return data + b"\0" * (-len(data) % 512)


def octal(n):
    return b"%011o\0" % n


def base256(n):
    return bytes([0x80]) + n.to_bytes(11, "big")


def pax(records):
    body = b""
    for k, v in records:
        rec = b" " + k + b"=" + v + b"\n"
        n = len(rec) + 1
        while len(str(n).encode()) + len(rec) != n:
            n += 1
        body += str(n).encode() + rec
    return body


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def gnu_tar(fmt):
    """The chart as GNU tar writes it (None when tar is missing)."""
    if not shutil.which("tar"):
        return None
    with tempfile.TemporaryDirectory() as d:
        for name, data in chart_entries("demo-" + "x" * 110):
            os.makedirs(os.path.join(d, os.path.dirname(name)), exist_ok=True)
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        return subprocess.run(
            ["tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
             "--format=" + fmt, "-cf", "-", "-C", d, "."],
            check=True, stdout=subprocess.PIPE).stdout


def both(name, t):
    """A tar seed twice: gzip'd (name.tgz) and raw behind the fuzzer's 'T' (tar-name)."""
    write(name + ".tgz", gz(t))
    write("tar-" + name, b"T" + t)


def main():
    plain = tar(chart_entries())
    both("chart-ustar", plain)
    write("chart-gnu.tgz", gz(tar(chart_entries(), tarfile.GNU_FORMAT)))
    write("chart-pax.tgz", gz(tar(chart_entries(), tarfile.PAX_FORMAT)))
    write("chart-dirs-dot-slash.tgz",
          gz(tar([("./demo", None), ("./demo/charts", None)] + chart_entries("./demo"))))
    # a sub-chart's files before the chart's own: only the top-level ones count
    write("chart-subchart-first.tgz", gz(tar(list(reversed(chart_entries())))))

    for fmt in ("gnu", "posix"):
        made = gnu_tar(fmt)
        if made:
            both("gnutar-%s-longdir" % fmt, made)

    # long names: GNU 'L' records and pax path records (Python writes both past 100 bytes)
    deep = "demo/" + "d" * 120 + "/"
    longs = [("demo/Chart.yaml", CHART), (deep + "values.yaml", b"deep: 1\n"),
             ("demo/" + "r" * 150 + "/../README.md", README), ("demo/values.yaml", VALUES)]
    both("longname-gnu", tar(longs, tarfile.GNU_FORMAT))
    both("longname-pax", tar(longs, tarfile.PAX_FORMAT))
    # a pax header naming the top-level values.yaml of a chart whose ustar name is junk
    raw = pax([(b"mtime", b"0"), (b"path", b"demo/values.yaml")])
    t = header(b"PaxHeaders/x", octal(len(raw)), b"x") + pad(raw)
    t += header(b"junk-name", octal(len(VALUES))) + pad(VALUES) + b"\0" * 1024
    both("pax-path-record", t)
    # pax records with bad lengths: zero, past the end, not digits
    bad = b"0 path=demo/values.yaml\n" + b"99999 path=x\n" + b"x path=y\n"
    t = header(b"PaxHeaders/y", octal(len(bad)), b"x") + pad(bad)
    t += header(b"demo/values.yaml", octal(len(VALUES))) + pad(VALUES) + b"\0" * 1024
    both("pax-bad-records", t)
    # a GNU long name with no NUL inside its size
    ln = b"demo/values.yaml"
    t = header(b"././@LongLink", octal(len(ln)), b"L") + pad(ln)
    t += header(b"x", octal(len(VALUES))) + pad(VALUES) + b"\0" * 1024
    both("gnu-longlink-exact", t)
    # ustar prefix + name
    t = header(b"values.yaml", octal(len(VALUES)), b"0", b"demo") + pad(VALUES) + b"\0" * 1024
    both("ustar-prefix", t)

    # sizes
    t = header(b"demo/big.bin", octal(0o77777777777)) + b"\0" * 1024
    both("size-huge-octal", t)
    t = header(b"demo/values.yaml", octal(0o77777777777)) + b"\0" * 1024
    both("size-huge-octal-wanted", t)
    t = header(b"demo/values.yaml", base256(len(VALUES))) + pad(VALUES) + b"\0" * 1024
    both("size-base256", t)
    t = header(b"demo/skip.bin", base256(2 ** 80)) + b"\0" * 1024
    both("size-base256-overflow", t)
    t = header(b"demo/skip.bin", bytes([0xff]) * 12) + header(b"demo/values.yaml",
                                                             octal(len(VALUES)))
    t += pad(VALUES) + b"\0" * 1024
    both("size-base256-negative", t)
    t = header(b"demo/skip.bin", bytes([0x80]) + b"\xff" * 11)
    t += header(b"demo/values.yaml", octal(len(VALUES))) + pad(VALUES) + b"\0" * 1024
    both("size-base256-max", t)
    # a base-256 size just under 2^64: rounded up to whole blocks it wraps to 0
    t = header(b"demo/skip.bin", bytes([0x80, 0, 0, 0]) + b"\xff" * 8)
    t += header(b"demo/values.yaml", octal(len(VALUES))) + pad(VALUES) + b"\0" * 1024
    both("size-base256-wraps", t)
    # a pax record whose length would wrap the offset back to the first record (it once made
    # the reader loop forever)
    raw = b"6 a=b\n" + str(2 ** 64 - 6).encode() + b" path=x\n"
    both("pax-record-length-wraps", header(b"PaxHeaders/w", octal(len(raw)), b"x") + pad(raw))
    t = header(b"PaxHeaders/z", base256(1 << 40), b"x") + b"\0" * 1024
    both("pax-huge", t)
    t = header(b"demo/values.yaml", b"  12  \0junk ") + pad(b"x: 1\n") + b"\0" * 1024
    both("size-spaces", t)

    # truncations: in the gzip stream, inside a header, inside a file
    whole = gz(plain)
    write("truncated-gzip-header.tgz", whole[:5])
    write("truncated-half.tgz", whole[: len(whole) // 2])
    write("truncated-no-trailer.tgz", whole[:-8])
    both("truncated-tar-in-header", plain[:700])
    both("truncated-tar-in-file", plain[: 512 * 4 + 100])
    both("no-end-blocks", plain.rstrip(b"\0")[: (len(plain.rstrip(b"\0")) + 511) // 512 * 512])

    # the start of a gzip bomb: a header announcing 1 GiB, then zeros
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = bomb.compress(header(b"demo/big.bin", octal(1 << 30)))
    chunk = b"\0" * (1 << 20)
    for _ in range(16):
        out += bomb.compress(chunk)
    out += bomb.flush(zlib.Z_SYNC_FLUSH)
    write("gzip-bomb-prefix.tgz", out)

    # container variants
    half = len(plain) // 2 // 512 * 512
    write("two-gzip-members.tgz", gz(plain[:half]) + gz(plain[half:]))
    write("gzip-trailing-garbage.tgz", gz(plain) + b"garbage")
    write("zlib-stream.tgz", zlib.compress(plain))
    write("uncompressed.tar", plain)
    write("corrupt-deflate.tgz", whole[:20] + bytes(b ^ 0x5a for b in whole[20:40]) + whole[40:])
    write("empty", b"")
    both("gzip-empty", b"")
    both("only-end-blocks", b"\0" * 1024)


if __name__ == "__main__":
    main()
