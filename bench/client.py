#!/usr/bin/python3
"""The one registry client of the benchmarks: both registries are driven by this same code.

Subcommands (each prints one JSON object per line on stdout, nothing else):

  image URL REPO TAG               push a small OCI image (config + one 4 KiB layer) and tag it
  blob URL REPO FILE --mode M      push FILE as a blob, M = mono (POST, then PUT ?digest= with the
                                   whole body) or chunked (POST, PATCH per --chunk bytes with
                                   Content-Range, then an empty PUT ?digest=); timed end to end
  layout DIR                       write an OCI image layout of --layers random gzip'd layers
  users URL PREFIX PASSWORD        create users PREFIX-1 .. PREFIX-<--count> with PASSWORD through
                                   Harbor's API (POST /api/v2.0/users, as --user), --jobs at once
  serve-file FILE                  a tiny HTTP server that sends FILE with sendfile(2), to measure
                                   what loopback and curl can do without any registry

Bodies leave through sendfile(2) from the (page-cached) file, so the client spends next to no
CPU per byte and the registry under test is what limits the figure.  Each blob push sends the
file with its last 16 bytes replaced by a per-push nonce: every push is a blob the registry has
never seen, so neither registry can skip work because the content already exists, and each
push starts after sync(2) (unless --no-sync: pushes that run side by side as a load).  The nonce
makes --reps pushes in one process cheap: the SHA-256 of the shared prefix is computed once
and copied.
"""

import argparse
import base64
import concurrent.futures
import gzip
import hashlib
import http.client
import io
import json
import os
import random
import secrets
import socket
import sys
import tarfile
import time
from urllib.parse import urljoin, urlsplit

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
NONCE = 16
TIMEOUT = 180  # seconds a single socket operation may stall


class Failed(Exception):
    """A registry answered something other than what the protocol says it must."""


def canonical(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    """One keep-alive HTTP/1.1 connection to a registry, reopened if the server closes it."""

    def __init__(self, url: str, user: str | None):
        u = urlsplit(url)
        self.base = f"{u.scheme}://{u.netloc}"
        self.host, self.port = u.hostname, u.port
        self.auth = ("Basic " + base64.b64encode(user.encode()).decode()) if user else None
        self.conn = None

    def _connect(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            self.conn.connect()
            self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self.conn

    def request(self, method, path, headers=None, body=b"", file=None, offset=0, count=0,
                tail=b"", expect=(200,)):
        """Send one request; a body is `body`, or `count` bytes of `file` from `offset` then
        `tail`.  Returns (status, headers, body bytes); raises Failed on an unexpected status."""
        h = dict(headers or {})
        if self.auth:
            h["Authorization"] = self.auth
        length = len(body) if file is None else count + len(tail)
        if method in ("POST", "PUT", "PATCH") or length:
            h["Content-Length"] = str(length)
        conn = self._connect()
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in h.items():
                conn.putheader(k, v)
            conn.endheaders()
            if file is None:
                if body:
                    conn.sock.sendall(body)
            else:
                sent = conn.sock.sendfile(file, offset, count) if count else 0
                if sent != count:
                    raise Failed(f"sendfile sent {sent} of {count} bytes")
                if tail:
                    conn.sock.sendall(tail)
            resp = conn.getresponse()
            data = resp.read()
        except (ConnectionError, http.client.HTTPException) as e:
            self.close()
            raise Failed(f"{method} {self.base}{path}: connection failed: {e!r}") from e
        if resp.will_close:
            self.close()
        if resp.status not in expect:
            raise Failed(f"{method} {self.base}{path} -> {resp.status} {resp.reason}: "
                         f"{data[:600]!r}")
        return resp.status, resp.headers, data

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def location(self, headers) -> str:
        """The path (with query) of an upload's Location, absolute or relative."""
        loc = headers.get("Location")
        if not loc:
            raise Failed("upload response has no Location header")
        u = urlsplit(urljoin(self.base + "/", loc))
        return u.path + (f"?{u.query}" if u.query else "")

    def start_upload(self, repo) -> str:
        _, h, _ = self.request("POST", f"/v2/{repo}/blobs/uploads/", expect=(202,))
        return self.location(h)

    def finish_upload(self, loc, digest, **body):
        sep = "&" if "?" in loc else "?"
        _, h, _ = self.request("PUT", f"{loc}{sep}digest={digest}",
                               {"Content-Type": "application/octet-stream"},
                               expect=(201,), **body)
        got = h.get("Docker-Content-Digest")
        if got and got != digest:
            raise Failed(f"pushed {digest}, registry says {got}")

    def push_bytes(self, repo, data: bytes) -> str:
        d = digest_of(data)
        self.finish_upload(self.start_upload(repo), d, body=data)
        return d


# ---------------------------------------------------------------- subcommands


def cmd_image(a):
    reg = Registry(a.url, a.user)
    layer = random.Random(7).randbytes(4096)
    config = canonical({"architecture": "amd64", "os": "linux",
                        "rootfs": {"type": "layers", "diff_ids": [digest_of(layer)]}})
    reg.push_bytes(a.repo, config)
    reg.push_bytes(a.repo, layer)
    manifest = canonical({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": OCI_CONFIG, "digest": digest_of(config), "size": len(config)},
        "layers": [{"mediaType": OCI_LAYER, "digest": digest_of(layer), "size": len(layer)}],
    })
    reg.request("PUT", f"/v2/{a.repo}/manifests/{a.tag}", {"Content-Type": OCI_MANIFEST},
                body=manifest, expect=(201,))
    print(json.dumps({"digest": digest_of(manifest), "size": len(manifest)}))


def cmd_blob(a):
    size = os.path.getsize(a.file)
    if size <= NONCE:
        raise Failed(f"{a.file} is too small")
    prefix = size - NONCE
    with open(a.file, "rb") as f:
        h = hashlib.sha256()
        left = prefix
        while left:
            buf = f.read(min(left, 8 << 20))
            if not buf:
                raise Failed(f"{a.file} shrank while hashing")
            h.update(buf)
            left -= len(buf)
        reg = Registry(a.url, a.user)
        if a.ready:
            open(a.ready, "w").close()
        for i in range(a.reps):
            nonce = secrets.token_bytes(NONCE)
            hh = h.copy()
            hh.update(nonce)
            digest = "sha256:" + hh.hexdigest()
            repo = f"{a.repo}-{i + 1}" if a.reps > 1 else a.repo
            if not a.no_sync:
                os.sync()  # the previous push's dirty pages must not be written back during this one
            t0 = time.perf_counter()
            loc = reg.start_upload(repo)
            if a.mode == "mono":
                reg.finish_upload(loc, digest, file=f, offset=0, count=prefix, tail=nonce)
            else:
                off = 0
                while off < size:
                    n = min(a.chunk, size - off)
                    file_n = max(0, min(n, prefix - off))
                    tail = nonce[max(0, off - prefix):max(0, off + n - prefix)]
                    _, hd, _ = reg.request(
                        "PATCH", loc,
                        {"Content-Type": "application/octet-stream",
                         "Content-Range": f"{off}-{off + n - 1}"},
                        file=f, offset=off, count=file_n, tail=tail, expect=(202,))
                    loc = reg.location(hd)
                    off += n
                reg.finish_upload(loc, digest)
            secs = time.perf_counter() - t0
            print(json.dumps({"rep": i + 1, "repo": repo, "digest": digest, "bytes": size,
                              "seconds": secs}), flush=True)
        reg.close()


def cmd_users(a):
    def create(i):
        reg = Registry(a.url, a.user)
        name = f"{a.prefix}-{i}"
        reg.request("POST", "/api/v2.0/users", {"Content-Type": "application/json"},
                    body=canonical({"username": name, "email": f"{name}@bench.example",
                                    "realname": name, "password": a.password}),
                    expect=(201,))
        reg.close()

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        list(ex.map(create, range(1, a.count + 1)))
    print(json.dumps({"users": a.count, "seconds": time.perf_counter() - t0}))


def make_layer(rnd: random.Random, name: str, size: int) -> tuple:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(f"{name}/data.bin")
        info.size, info.mode, info.mtime = size, 0o644, 0
        tar.addfile(info, io.BytesIO(rnd.randbytes(size)))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, compresslevel=1, mtime=0), digest_of(tar_bytes)


def cmd_layout(a):
    rnd = random.Random(a.seed)
    blobs = os.path.join(a.dir, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def put(data: bytes, media_type: str) -> dict:
        d = digest_of(data)
        with open(os.path.join(blobs, d.split(":")[1]), "wb") as out:
            out.write(data)
        return {"mediaType": media_type, "digest": d, "size": len(data)}

    layers, diff_ids, total = [], [], 0
    for i in range(a.layers):
        gz, diff_id = make_layer(rnd, f"layer{i}", rnd.randint(1 << 20, 4 << 20))
        layers.append(put(gz, OCI_LAYER))
        diff_ids.append(diff_id)
        total += len(gz)
    config = canonical({"architecture": "amd64", "os": "linux",
                        "rootfs": {"type": "layers", "diff_ids": diff_ids}})
    manifest = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": put(config, OCI_CONFIG), "layers": layers})
    desc = put(manifest, OCI_MANIFEST)
    desc["annotations"] = {"org.opencontainers.image.ref.name": a.tag}
    with open(os.path.join(a.dir, "oci-layout"), "w") as out:
        out.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(a.dir, "index.json"), "wb") as out:
        out.write(canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [desc]}))
    print(json.dumps({"layers": a.layers, "layer_bytes": total, "manifest": desc["digest"]}))


def cmd_serve_file(a):
    """Serve FILE to --count GET requests, one connection at a time, then exit."""
    size = os.path.getsize(a.file)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(a.timeout)
    print(json.dumps({"port": srv.getsockname()[1]}), flush=True)
    with open(a.file, "rb") as f:
        for _ in range(a.count):
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(a.timeout)
                req = b""
                while b"\r\n\r\n" not in req and len(req) < 65536:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    req += chunk
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                             b"Connection: close\r\nContent-Length: %d\r\n\r\n" % size)
                conn.sendfile(f, 0, size)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("image")
    s.add_argument("url"), s.add_argument("repo"), s.add_argument("tag")
    s.add_argument("--user", help="user:password for Basic auth")
    s.set_defaults(fn=cmd_image)

    s = sub.add_parser("blob")
    s.add_argument("url"), s.add_argument("repo"), s.add_argument("file")
    s.add_argument("--mode", choices=("mono", "chunked"), required=True)
    s.add_argument("--chunk", type=int, default=64 << 20)
    s.add_argument("--reps", type=int, default=1,
                   help="pushes, each to REPO-<n> when more than one")
    s.add_argument("--user", help="user:password for Basic auth")
    s.add_argument("--no-sync", action="store_true",
                   help="no sync(2) before each push (pushes running side by side)")
    s.add_argument("--ready", help="a file to create once the hashing is done, before the "
                   "first push starts")
    s.set_defaults(fn=cmd_blob)

    s = sub.add_parser("users")
    s.add_argument("url"), s.add_argument("prefix"), s.add_argument("password")
    s.add_argument("--count", type=int, default=64)
    s.add_argument("--jobs", type=int, default=4)
    s.add_argument("--user", required=True, help="admin:password")
    s.set_defaults(fn=cmd_users)

    s = sub.add_parser("layout")
    s.add_argument("dir")
    s.add_argument("--layers", type=int, default=50)
    s.add_argument("--seed", type=int, default=50)
    s.add_argument("--tag", default="v1")
    s.set_defaults(fn=cmd_layout)

    s = sub.add_parser("serve-file")
    s.add_argument("file")
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--timeout", type=float, default=60)
    s.set_defaults(fn=cmd_serve_file)

    a = p.parse_args()
    try:
        a.fn(a)
    except Failed as e:
        print(f"client.py {a.cmd}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
