"""Connections: what the server does before, around and between requests.

A TLS handshake sent to the plain-HTTP port always gets an HTTP answer (Docker tries https
first and falls back to http only when the answer is HTTP), a client that stops sending is
cut off after idle_timeout instead of holding its connection for minutes, and many
concurrent connections are all served.
"""

import base64
import concurrent.futures
import socket
import ssl
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
