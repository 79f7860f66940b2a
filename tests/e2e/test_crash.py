"""Crash safety: SIGKILL havend in the middle of concurrent pushes, restart it, and check
that every push it acknowledged (201) survived, that nothing it did not finish became
visible, and that the unfinished uploads left in uploads/ are purged.

Sixteen pusher threads each push blobs (monolithic POST ?digest= and chunked
POST/PATCH/PUT, 1 KiB to 2 MiB) and a manifest over them, and each keeps one upload
deliberately unfinished.  The kill comes at three different moments, on the same data dir.
"""

import os
import random
import signal
import threading
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from havenlib import (
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    assert_error,
    assert_status,
    canonical,
    descriptor,
    digest_of,
)

PUSHERS = 16
KILL_AFTER = (0.7, 1.3, 2.0)  # seconds of traffic before each SIGKILL
SIZES = (1024, 7 * 1024, 64 * 1024, 300 * 1024, 2 * 1024 * 1024)
CHUNK = 256 * 1024
PURGE_DEADLINE = 15.0
TIMEOUT = 20


class Pusher(threading.Thread):
    def __init__(self, registry, round_no, index):
        super().__init__(daemon=True)
        self.registry = registry
        self.repo = f"library/crash-r{round_no}-p{index}"
        self.rnd = random.Random(round_no * 1000 + index)
        self.stop = threading.Event()
        self.ready = threading.Event()  # set once the unfinished upload is in place
        self.blobs = {}  # digest -> size, every blob answered 201
        self.manifests = {}  # tag -> bytes, every manifest answered 201
        self.unfinished = []  # (upload URL, upload id, digest of the whole blob never PUT)
        self.in_flight = None  # the chunked upload being sent, until its PUT is sent
        self.failure = None  # anything but the connection errors the kill causes

    def run(self):
        s = self.registry.session()
        try:
            try:
                self.leave_unfinished(s)
            finally:
                self.ready.set()
            n = 0
            while not self.stop.is_set():
                layers = []
                for _ in range(3):
                    data = self.rnd.randbytes(self.rnd.choice(SIZES))
                    if self.rnd.random() < 0.5:
                        ok = self.monolithic(s, data)
                    else:
                        ok = self.chunked(s, data)
                    if ok:
                        layers.append(data)
                if layers:
                    self.manifest(s, f"m{n}", layers)
                    n += 1
        except requests.RequestException:  # the daemon was killed
            if self.in_flight:
                self.unfinished.append(self.in_flight)
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.failure = e

    def leave_unfinished(self, s):
        data = self.rnd.randbytes(100 * 1024)
        r = s.post(self.registry.v2(f"{self.repo}/blobs/uploads/"), timeout=TIMEOUT)
        assert_status(r, 202)
        url = urljoin(r.url, r.headers["Location"])
        r = s.patch(url, data=data[: len(data) // 2], timeout=TIMEOUT,
                    headers={"Content-Type": "application/octet-stream",
                             "Content-Range": f"0-{len(data) // 2 - 1}"})
        assert_status(r, 202)
        self.unfinished.append((url, r.headers["Docker-Upload-UUID"], digest_of(data)))

    def monolithic(self, s, data):
        d = digest_of(data)
        r = s.post(self.registry.v2(f"{self.repo}/blobs/uploads/"), params={"digest": d},
                   data=data, headers={"Content-Type": "application/octet-stream"},
                   timeout=TIMEOUT)
        if r.status_code == 201:
            self.blobs[d] = len(data)
        return r.status_code == 201

    def chunked(self, s, data):
        d = digest_of(data)
        r = s.post(self.registry.v2(f"{self.repo}/blobs/uploads/"), timeout=TIMEOUT)
        if r.status_code != 202:
            return False
        url = urljoin(r.url, r.headers["Location"])
        upload_id = r.headers.get("Docker-Upload-UUID")
        for start in range(0, len(data), CHUNK):
            self.in_flight = (url, upload_id, d)
            if self.stop.is_set():
                # Stopped between chunks: this upload is never finished.
                self.unfinished.append(self.in_flight)
                self.in_flight = None
                return False
            chunk = data[start:start + CHUNK]
            r = s.patch(url, data=chunk, timeout=TIMEOUT, headers={
                "Content-Type": "application/octet-stream",
                "Content-Range": f"{start}-{start + len(chunk) - 1}"})
            if r.status_code != 202:
                return False
            url = urljoin(r.url, r.headers["Location"])
        self.in_flight = None  # from here the blob may or may not be committed
        r = s.put(url, params={"digest": d}, timeout=TIMEOUT)
        if r.status_code == 201:
            self.blobs[d] = len(data)
        return r.status_code == 201

    def manifest(self, s, tag, layers):
        config = canonical({"architecture": "amd64", "os": "linux", "repo": self.repo,
                            "tag": tag, "rootfs": {"type": "layers", "diff_ids": []}})
        if not self.monolithic(s, config):
            return
        body = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": descriptor(OCI_CONFIG, config),
                          "layers": [descriptor(OCI_LAYER, b) for b in layers]})
        r = s.put(self.registry.v2(f"{self.repo}/manifests/{tag}"), data=body, timeout=TIMEOUT,
                  headers={"Content-Type": OCI_MANIFEST})
        if r.status_code == 201:
            self.manifests[tag] = body


def verify(registry, pushers, pre_crash_uploads):
    s = registry.session()
    for p in pushers:
        for d, size in p.blobs.items():
            r = s.get(registry.v2(f"{p.repo}/blobs/{d}"), timeout=TIMEOUT)
            assert r.status_code == 200, f"{p.repo} blob {d} was acknowledged but is lost"
            assert len(r.content) == size and digest_of(r.content) == d, \
                f"{p.repo} blob {d}: served {len(r.content)} bytes of {digest_of(r.content)}"
        for tag, body in p.manifests.items():
            r = s.get(registry.v2(f"{p.repo}/manifests/{tag}"), timeout=TIMEOUT,
                      headers={"Accept": OCI_MANIFEST})
            assert r.status_code == 200, f"{p.repo}:{tag} was acknowledged but is lost"
            assert r.content == body, f"{p.repo}:{tag} changed"
            assert r.headers["Docker-Content-Digest"] == digest_of(body)
        for _, _, d in p.unfinished:
            r = s.head(registry.v2(f"{p.repo}/blobs/{d}"), timeout=TIMEOUT)
            assert r.status_code == 404, f"{p.repo}: never-finished upload {d} is a blob"

    # Unfinished uploads from before the crash are purged (HAVEN_UPLOAD_TTL=1).
    deadline = time.monotonic() + PURGE_DEADLINE
    while pre_crash_uploads & registry.upload_entries():
        assert time.monotonic() < deadline, (
            f"uploads/ still holds entries from before the crash after {PURGE_DEADLINE}s: "
            f"{sorted(pre_crash_uploads & registry.upload_entries())[:5]}")
        time.sleep(0.2)
    for p in pushers:
        for url, _, _ in p.unfinished:
            path = urlsplit(url).path + ("?" + urlsplit(url).query if urlsplit(url).query else "")
            r = s.get(registry.url + path, timeout=TIMEOUT)
            assert_error(r, 404, "BLOB_UPLOAD_UNKNOWN")


def test_sigkill_during_pushes_loses_nothing_acknowledged(start_registry):
    reg = start_registry()
    everyone = []
    for round_no, delay in enumerate(KILL_AFTER):
        if not reg.alive():
            reg.start()
        pushers = [Pusher(reg, round_no, i) for i in range(PUSHERS)]
        for p in pushers:
            p.start()
        for p in pushers:  # the first request of each pays a password hash: wait for all
            assert p.ready.wait(TIMEOUT), f"{p.repo} could not start an upload"
        time.sleep(delay)
        # a slower store (S3, a loaded machine) gets the time to acknowledge enough pushes
        deadline = time.monotonic() + TIMEOUT
        while sum(len(p.blobs) for p in pushers) < PUSHERS and time.monotonic() < deadline:
            time.sleep(0.05)
        reg.kill()
        for p in pushers:
            p.stop.set()
        for p in pushers:
            p.join(TIMEOUT + 5)
            assert not p.is_alive(), f"{p.repo} pusher hung"
            assert p.failure is None, f"{p.repo}: {p.failure!r}"
        everyone += pushers

        # The traffic was real: acknowledged pushes and unfinished uploads on disk.
        assert sum(len(p.blobs) for p in pushers) >= PUSHERS, "too few pushes before the kill"
        pre_crash = reg.upload_entries()
        for p in pushers:
            for _, upload_id, _ in p.unfinished[:1]:
                assert any(e.startswith(upload_id) for e in pre_crash), \
                    f"no uploads/ entry for unfinished upload {upload_id}"

        reg.start(env={"HAVEN_UPLOAD_TTL": "1"})
        verify(reg, everyone, pre_crash)
        problems = reg.stop()
        assert not problems, "; ".join(problems) + "\n" + reg.log_tail()


# -- the password hashing processes (argon2id runs in children of havend, one per CPU)


def hashing_children(registry) -> list:
    """The pids of havend's child processes (the password hashers)."""
    pid = registry.proc.pid
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        found.extend(int(c) for c in children)
    return found


def running(pid: int) -> bool:
    """True while pid exists and is not a zombie."""
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def test_a_killed_hashing_process_is_replaced(start_registry):
    reg = start_registry()
    before = hashing_children(reg)
    assert before, "havend runs its password hashing in child processes"
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    # every login after the kill is a full check (a new user: nothing cached), and each
    # must succeed although the processes that would have hashed it are gone
    user = {"username": "hasher-u", "email": "hasher-u@example.com", "realname": "h",
            "password": "Hasher12345"}
    assert_status(requests.post(reg.url + "/api/v2.0/users", json=user, auth=reg.auth,
                                timeout=TIMEOUT), 201)
    resp = requests.get(reg.url + "/api/v2.0/users/current", auth=("hasher-u", "Hasher12345"),
                        timeout=TIMEOUT)
    assert_status(resp, 200)
    wrong = requests.get(reg.url + "/api/v2.0/users/current", auth=("hasher-u", "Wrong12345"),
                         timeout=TIMEOUT)
    assert_status(wrong, 401)
    # a dead child is replaced when a request finds it dead: one has been by now
    after = [p for p in hashing_children(reg) if running(p)]
    assert after and not set(after) & set(before)
    assert "password hashing process ended" in reg.log_text()


def test_hashing_processes_end_with_havend(start_registry):
    reg = start_registry()
    children = hashing_children(reg)
    assert children
    reg.kill()
    deadline = time.monotonic() + 10
    alive = children
    while alive and time.monotonic() < deadline:
        alive = [p for p in children if running(p)]
        time.sleep(0.1)
    assert not alive, f"hashing processes {alive} outlived a killed havend"
