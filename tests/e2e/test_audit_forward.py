"""Audit-log forwarding: with audit_log_forward_endpoint ("host:port", Harbor 2.6+) every
audit entry is also sent to that syslog endpoint over TCP as an RFC 5424 message framed by
octet counting; with skip_audit_log_database true as well, entries go only there.  Both are
/configurations settings, editable there and settable at start.  A dead endpoint neither
blocks nor fails pushes: its entries are dropped with a log line after a few attempts."""

import os
import re
import socket
import subprocess
import threading
import time

import pytest

import havenlib
from havenlib import assert_status

FRAME = re.compile(rb"(\d+) ")
MESSAGE = re.compile(r'<14>1 (\S+) (\S+) havend - audit \[audit@32473 username="([^"]*)" '
                     r'operation="([^"]*)" resource_type="([^"]*)" resource="([^"]*)" '
                     r'project_id="(\d+)"\] (.*)')


class Listener:
    """A TCP syslog receiver on a free loopback port: collects octet-counted messages."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.endpoint = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.data = b""
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn):
        while chunk := conn.recv(65536):
            with self.lock:
                self.data += chunk

    def messages(self):
        """The complete messages so far; asserts that the framing is exact."""
        with self.lock:
            data = self.data
        out = []
        while data:
            m = FRAME.match(data)
            assert m, data[:80]
            n = int(m.group(1))
            body = data[m.end():m.end() + n]
            if len(body) < n:
                break
            out.append(body.decode())
            data = data[m.end() + n:]
        return out

    def wait_for(self, resource, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            for text in self.messages():
                m = MESSAGE.fullmatch(text)
                assert m, text
                if m.group(6) == resource:
                    return m
            assert time.monotonic() < deadline, self.messages()[-5:]
            time.sleep(0.05)

    def close(self):
        self.sock.close()


@pytest.fixture
def listener():
    lst = Listener()
    yield lst
    lst.close()


def api(reg, path):
    return f"{reg.url}/api/v2.0{path}"


def configure(reg, **values):
    return reg.session().put(api(reg, "/configurations"), json=values)


def new_project(reg, name):
    assert_status(reg.session().post(api(reg, "/projects"),
                                     json={"project_name": name, "metadata": {}}), 201)


def in_database(reg, resource):
    r = reg.session().get(api(reg, "/audit-logs"), params={"q": f"resource={resource}"})
    assert_status(r, 200)
    return [x["operation"] for x in r.json()]


def test_entries_are_forwarded_set_at_start(start_registry, listener):
    reg = start_registry({"HAVEN_AUDIT_LOG_FORWARD_ENDPOINT": listener.endpoint})
    got = reg.session().get(api(reg, "/configurations")).json()
    assert got["audit_log_forward_endpoint"] == {"value": listener.endpoint, "editable": True}
    assert got["skip_audit_log_database"] == {"value": False, "editable": True}
    new_project(reg, "fwd-one")
    m = listener.wait_for("fwd-one")
    assert m.group(3) == "admin" and m.group(4) == "create" and m.group(5) == "project"
    assert m.group(8) == "admin create project fwd-one"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", m.group(1))
    reg.push_image("fwd-one/app", tag="v1")
    m = listener.wait_for("fwd-one/app:v1")
    assert m.group(4) == "create" and m.group(5) == "artifact" and int(m.group(7)) > 0
    # and the database has them too
    assert in_database(reg, "fwd-one") == ["create"]


def test_skip_database_and_editing(start_registry, listener):
    reg = start_registry()
    assert_status(configure(reg, audit_log_forward_endpoint=listener.endpoint,
                            skip_audit_log_database=True), 200)
    new_project(reg, "fwd-skip")
    listener.wait_for("fwd-skip")
    time.sleep(0.5)  # the row would have been written with the forwarding
    assert in_database(reg, "fwd-skip") == []
    # skip without an endpoint means nothing: entries go to the database
    assert_status(configure(reg, audit_log_forward_endpoint=""), 200)
    new_project(reg, "fwd-none")
    deadline = time.monotonic() + 20
    while in_database(reg, "fwd-none") != ["create"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert all("fwd-none" not in m for m in listener.messages())
    for values, why in [({"audit_log_forward_endpoint": "no-port"}, "host:port"),
                        ({"audit_log_forward_endpoint": "host:99999"}, "host:port"),
                        ({"skip_audit_log_database": "yes"}, "true or false")]:
        r = configure(reg, **values)
        havenlib.assert_error(r, 400, "BAD_REQUEST")
        assert why in r.text, r.text


def test_bad_value_at_start_is_refused(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    env.update({"HAVEN_AUDIT_LOG_FORWARD_ENDPOINT": "nonsense",
                "HAVEN_ADMIN_PASSWORD": "Passw0rd-Start"})
    r = subprocess.run([str(havenlib.havend_path()), "--data", str(tmp_path),
                        "--listen", "127.0.0.1:0"], env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "audit_log_forward_endpoint must be host:port" in r.stderr, r.stderr


def test_a_dead_endpoint_blocks_no_push(start_registry):
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    endpoint = f"127.0.0.1:{dead.getsockname()[1]}"
    dead.close()  # nothing listens there
    reg = start_registry({"HAVEN_AUDIT_LOG_FORWARD_ENDPOINT": endpoint})
    new_project(reg, "fwd-dead")
    started = time.monotonic()
    for i in range(10):
        reg.push_image("fwd-dead/app", tag=f"v{i}", seed=i)
    assert time.monotonic() - started < 20
    deadline = time.monotonic() + 20
    while "dropped after 3 attempts" not in reg.log_text():
        assert time.monotonic() < deadline, reg.log_tail()
        time.sleep(0.1)
    # the database still has every entry
    deadline = time.monotonic() + 20
    while "create" not in in_database(reg, "fwd-dead/app:v9"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
