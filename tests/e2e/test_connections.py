"""Connections: what the server does before, around and between requests.

A TLS handshake sent to the plain-HTTP port always gets an HTTP answer (Docker tries https
first and falls back to http only when the answer is HTTP), a client that stops sending is
cut off after idle_timeout instead of holding its connection for minutes, and many
concurrent connections are all served.
"""

import base64
import concurrent.futures
import os
import socket
import ssl
import subprocess
import time
import urllib.parse

import pytest
import requests


def client_hello() -> bytes:
    """The first flight of a real TLS client (Python's ssl), as Docker's probe sends it."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname="registry.test")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


def read_until_closed(sock, timeout) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def test_tls_handshake_on_the_plain_port_always_gets_http_400(registry):
    for i in range(60):
        hello = client_hello()  # a fresh random and key share each time, as real probes
        with socket.create_connection(("127.0.0.1", registry.port), timeout=10) as sock:
            sock.sendall(hello)
            reply = read_until_closed(sock, 10)
        assert reply.startswith(b"HTTP/1.1 400 "), f"try {i}: {reply[:80]!r}"
        assert b"TLS handshake" in reply


def test_https_client_gets_an_http_answer_it_can_recognise(registry):
    """The client's own TLS layer sees an HTTP answer, which is how Go's and Python's
    clients tell 'this is an HTTP server' from a network failure."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", registry.port), timeout=10) as raw:
        with pytest.raises(ssl.SSLError) as err:
            ctx.wrap_socket(raw, server_hostname="registry.test")
    assert "WRONG_VERSION_NUMBER" in str(err.value) or "wrong version" in str(err.value)
    # and the port still serves plain HTTP
    assert requests.get(registry.url + "/v2/", timeout=10).status_code == 401


@pytest.fixture
def quick_idle(start_registry):
    return start_registry({"HAVEN_IDLE_TIMEOUT": "2"})


def test_a_body_that_stops_arriving_is_cut_off_after_idle_timeout(quick_idle):
    reg = quick_idle
    loc = urllib.parse.urlsplit(reg.start_upload("library/stalled")).path
    head = (f"PATCH {loc} HTTP/1.1\r\nHost: {reg.host}\r\n"
            f"Authorization: Basic {basic(reg)}\r\n"
            "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n")
    with socket.create_connection(("127.0.0.1", reg.port), timeout=30) as sock:
        t0 = time.monotonic()
        sock.sendall(head.encode() + b"x" * 1000)  # and then nothing more
        read_until_closed(sock, 30)
        waited = time.monotonic() - t0
    assert waited < 10, f"the stalled request held its connection for {waited:.1f} s"
    # the session was not damaged: the next client completes it from offset 0
    status = requests.get(reg.url + loc, auth=reg.auth, timeout=10)
    assert status.status_code == 204
    # and a PUT that announces a body and sends none is cut off the same way
    head = (f"PUT /v2/library/stalled/manifests/v1 HTTP/1.1\r\nHost: {reg.host}\r\n"
            f"Authorization: Basic {basic(reg)}\r\n"
            "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n"
            "Content-Length: 500\r\n\r\n")
    with socket.create_connection(("127.0.0.1", reg.port), timeout=30) as sock:
        t0 = time.monotonic()
        sock.sendall(head.encode())
        read_until_closed(sock, 30)
        assert time.monotonic() - t0 < 10


def test_a_silent_connection_is_closed_after_idle_timeout(quick_idle):
    with socket.create_connection(("127.0.0.1", quick_idle.port), timeout=30) as sock:
        t0 = time.monotonic()
        assert read_until_closed(sock, 30) == b""
        assert time.monotonic() - t0 < 10


def test_idle_keep_alive_connection_still_serves_within_the_timeout(quick_idle):
    with requests.Session() as s:
        assert s.get(quick_idle.url + "/v2/", timeout=10).status_code == 401
        time.sleep(1)
        assert s.get(quick_idle.url + "/v2/", timeout=10).status_code == 401


def basic(reg) -> str:
    return base64.b64encode(("%s:%s" % reg.auth).encode()).decode()


def test_more_concurrent_clients_than_database_connections_are_all_served(registry, repo):
    """Each connection has its own thread; 150 clients at once share the database
    connection pool (64) and every request gets its answer."""
    img = registry.push_image(repo, tag="v1")
    url = registry.v2(f"{repo}/manifests/v1")

    def client(i):
        codes = []
        with requests.Session() as s:
            for _ in range(10):
                r = s.get(url, headers={"Accept": img.media_type}, auth=registry.auth, timeout=60)
                codes.append((r.status_code, r.headers.get("Docker-Content-Digest")))
        return codes

    with concurrent.futures.ThreadPoolExecutor(150) as pool:
        results = list(pool.map(client, range(150)))
    flat = [c for codes in results for c in codes]
    assert len(flat) == 1500
    assert set(flat) == {(200, img.digest)}


def test_a_download_being_sent_holds_no_database_connection(start_registry):
    """With one database connection in the pool, a client that reads a big blob slowly does
    not keep other requests waiting: a request gives its connection back once its answer is
    queued, not when the last byte has left."""
    reg = start_registry({"HAVEN_DATABASE_MAX_OPEN_CONNS": "1"})
    repo = reg.new_repo("slow-reader")
    data = os.urandom(32 << 20)  # far more than the socket buffers hold
    digest = reg.push_blob(repo, data)
    auth = base64.b64encode(("%s:%s" % reg.auth).encode()).decode()
    with socket.create_connection(("127.0.0.1", reg.port), timeout=10) as slow:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(f"GET /v2/{repo}/blobs/{digest} HTTP/1.1\r\nHost: registry.test\r\n"
                     f"Authorization: Basic {auth}\r\n\r\n".encode())
        assert slow.recv(4096).startswith(b"HTTP/1.1 200")
        time.sleep(0.5)  # the server is now blocked sending the rest
        for _ in range(3):
            started = time.monotonic()
            r = reg.session().get(reg.v2(f"{repo}/blobs/{digest}"), headers={"Range": "bytes=0-9"},
                                  timeout=10)
            assert r.status_code == 206 and r.content == data[:10]
            assert time.monotonic() - started < 5


def non_loopback_address():
    """An IPv4 address of this host that is not loopback, or None."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "scope", "global"],
                         capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        fields = line.split()
        if "inet" in fields:
            return fields[fields.index("inet") + 1].split("/")[0]
    return None


def check_large_blob(base_url, repo, data, digest, token):
    """Full GET, ranges (one not page-aligned, one to the end), HEAD: the bytes and the
    headers of every answer."""
    url = f"{base_url}/v2/{repo}/blobs/{digest}"
    auth = {"Authorization": f"Bearer {token}"}
    r = requests.get(url, headers=auth, timeout=60)
    assert r.status_code == 200 and r.content == data
    assert r.headers["Content-Length"] == str(len(data))
    for start, end in ((0, 0), (1048575, 1048576), (1000000, 2200000), (len(data) - 7, None)):
        rng = f"bytes={start}-{'' if end is None else end}"
        r = requests.get(url, headers={**auth, "Range": rng}, timeout=60)
        last = len(data) - 1 if end is None else end
        assert r.status_code == 206, rng
        assert r.content == data[start:last + 1], rng
        assert r.headers["Content-Range"] == f"bytes {start}-{last}/{len(data)}"
    r = requests.head(url, headers=auth, timeout=60)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["Content-Length"] == str(len(data))
    assert r.headers["Docker-Content-Digest"] == digest


@pytest.mark.parametrize("peer", ["loopback", "other-address"])
def test_large_blob_bodies_to_local_and_remote_clients(start_registry, peer):
    """Bodies over 64 KiB leave from a mapping of the file to clients on loopback and through
    sendfile to the others; both give the same bytes, ranges and headers."""
    address = "127.0.0.1"
    if peer == "other-address":
        address = non_loopback_address()
        if not address:
            pytest.skip("this host has no non-loopback IPv4 address to connect from")
    reg = start_registry(listen_on="0.0.0.0")
    data = os.urandom(3 * 1024 * 1024 + 123)
    digest = reg.push_blob("library/large", data)
    token = requests.get(
        f"{reg.url}/service/token",
        params={"service": "harbor-registry", "scope": "repository:library/large:pull"},
        timeout=10).json()["token"]
    check_large_blob(f"http://{address}:{reg.port}", "library/large", data, digest, token)
