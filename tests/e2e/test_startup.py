"""Start-up as an operator meets it: configuration errors, --check-config, the first-start
admin password, and a restart that keeps everything."""

import base64
import os
import subprocess
import time

import pytest
import requests

import hashlib

from havenlib import Registry, free_port, havend_path


def run_havend(args, env=None, timeout=20):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    full_env.update(env or {})
    return subprocess.run(
        [str(havend_path())] + args,
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_unknown_environment_setting_stops_start(tmp_path):
    r = run_havend(["--data", str(tmp_path)], env={"HAVEN_LISTN": "127.0.0.1:1"})
    assert r.returncode != 0
    assert "HAVEN_LISTN" in r.stderr


def test_invalid_flag_value_stops_start(tmp_path):
    r = run_havend(["--data", str(tmp_path), "--upload-ttl", "soon"])
    assert r.returncode != 0
    assert "upload_ttl" in r.stderr or "upload-ttl" in r.stderr


def test_unknown_key_in_config_file_stops_start(tmp_path):
    cfg = tmp_path / "haven.yaml"
    cfg.write_text("listen: 127.0.0.1:0\ndata_dri: /tmp/x\n")
    r = run_havend(["--config", str(cfg)])
    assert r.returncode != 0
    assert "data_dri" in r.stderr


def test_check_config_validates_and_exits(tmp_path):
    cfg = tmp_path / "haven.yaml"
    cfg.write_text(f"listen: 127.0.0.1:{free_port()}\ndata_dir: {tmp_path / 'data'}\n")
    r = run_havend(["--config", str(cfg), "--check-config"])
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "data").exists()  # nothing was started or created


def test_listen_address_in_use_is_reported(tmp_path):
    reg = Registry(tmp_path / "a").start()
    try:
        r = run_havend(["--listen", reg.host, "--data", str(tmp_path / "b")],
                       env={"HAVEN_ADMIN_PASSWORD": "x"})
        assert r.returncode != 0
        assert reg.host in r.stderr
    finally:
        reg.stop()


def test_generated_admin_password_is_printed_once_and_works(tmp_path):
    """With no HAVEN_ADMIN_PASSWORD the first start prints a generated password; it logs
    in, and a restart does not print it again."""
    port = free_port()
    data = tmp_path / "data"
    args = ["--listen", f"127.0.0.1:{port}", "--data", str(data)]
    env = {"HAVEN_LOG_LEVEL": "info"}
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    full_env.update(env)

    def start():
        log = tmp_path / "havend.log"
        with open(log, "w") as out:
            p = subprocess.Popen([str(havend_path())] + args, env=full_env, stdout=out,
                                 stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and p.poll() is None:
            if "listening" in log.read_text():
                break
            time.sleep(0.05)
        return p, log.read_text().splitlines()

    p, lines = start()
    try:
        printed = [line for line in lines if "password of user 'admin' is" in line]
        assert len(printed) == 1, lines
        password = printed[0].rsplit(" ", 1)[1].strip()
        ok = requests.get(f"http://127.0.0.1:{port}/v2/", auth=("admin", password), timeout=10)
        assert ok.status_code == 200
        bad = requests.get(f"http://127.0.0.1:{port}/v2/", auth=("admin", password + "x"),
                           timeout=10)
        assert bad.status_code == 401
    finally:
        p.terminate()
        p.wait(timeout=10)
    p, lines = start()
    try:
        assert not [line for line in lines if "password of user 'admin'" in line], lines
        ok = requests.get(f"http://127.0.0.1:{port}/v2/", auth=("admin", password), timeout=10)
        assert ok.status_code == 200
    finally:
        p.terminate()
        p.wait(timeout=10)


def test_restart_keeps_blobs_and_uploads(tmp_path):
    reg = Registry(tmp_path).start()
    repo = "library/restart"
    digest = reg.push_blob(repo, b"kept across restarts")
    s = requests.Session()
    s.auth = reg.auth
    r = s.post(f"{reg.url}/v2/{repo}/blobs/uploads/", timeout=10)
    assert r.status_code == 202
    location = r.headers["Location"]
    r = s.patch(f"{reg.url}{location}", data=b"first half ",
                headers={"Content-Type": "application/octet-stream", "Content-Range": "0-10"},
                timeout=10)
    assert r.status_code == 202
    reg.stop()
    reg.start()
    assert s.get(f"{reg.url}/v2/{repo}/blobs/{digest}", timeout=10).content == \
        b"kept across restarts"
    # the chunked upload continues where it stopped, with the hash state from the database
    whole = b"first half second half"
    r = s.put(f"{reg.url}{location}",
              params={"digest": "sha256:" + hashlib.sha256(whole).hexdigest()},
              data=b"second half", headers={"Content-Type": "application/octet-stream"},
              timeout=10)
    assert r.status_code == 201, r.text
    got = s.get(f"{reg.url}{r.headers['Location']}", timeout=10)
    assert got.content == whole
    reg.stop()


def test_database_url_must_name_postgresql(tmp_path):
    r = run_havend(["--data", str(tmp_path)],
                   env={"HAVEN_DATABASE_URL": "mysql://haven:hunter2secret@db/haven"})
    assert r.returncode != 0
    assert "database_url" in r.stderr and "postgres://" in r.stderr
    assert "hunter2secret" not in r.stderr + r.stdout  # a secret is never echoed


def test_database_password_is_never_shown(tmp_path):
    """An unreachable server stops the start with a message that names it without the
    password."""
    url = f"postgres://haven:hunter2secret@127.0.0.1:{free_port()}/haven"
    r = run_havend(["--data", str(tmp_path), "--listen", f"127.0.0.1:{free_port()}"],
                   env={"HAVEN_DATABASE_URL": url, "HAVEN_ADMIN_PASSWORD": "x",
                        "HAVEN_SECRET_KEY": "ab" * 32})
    assert r.returncode != 0
    assert "cannot connect to the database postgres://haven:xxxxx@127.0.0.1" in r.stderr, r.stderr
    assert "hunter2secret" not in r.stderr + r.stdout


def test_a_database_needs_a_secret_key(tmp_path):
    """Nodes on one database must share secret_key: without it, or with a malformed one, the
    start stops with a message naming it (and never showing the value given)."""
    url = f"postgres://haven@127.0.0.1:{free_port()}/haven"
    r = run_havend(["--data", str(tmp_path)], env={"HAVEN_DATABASE_URL": url})
    assert r.returncode != 0
    assert "database_url is set but secret_key is not" in r.stderr, r.stderr
    assert "HAVEN_SECRET_KEY" in r.stderr and "openssl rand -hex 32" in r.stderr
    r = run_havend(["--data", str(tmp_path)],
                   env={"HAVEN_DATABASE_URL": url, "HAVEN_SECRET_KEY": "zz-not-hex-zz"})
    assert r.returncode != 0
    assert "HAVEN_SECRET_KEY: secret_key must be 64 hexadecimal digits" in r.stderr, r.stderr
    assert "zz-not-hex-zz" not in r.stderr + r.stdout


def test_embedded_install_generates_its_secret_key(tmp_path):
    """Without secret_key the first start writes one into the data directory, readable by
    its owner only, and the token signing key is kept in the database sealed under it: no
    key file, no key in the clear."""
    reg = Registry(tmp_path).start()
    try:
        key = reg.data_dir / "secret.key"
        if reg.database_url:  # given, as it must be: nothing is generated
            assert not key.exists()
        else:
            assert (key.stat().st_mode & 0o777) == 0o600
            assert len(key.read_text().strip()) == 64
        assert not (reg.data_dir / "token.key").exists()
        with reg.db(read_only=True) as db:
            (sealed,) = db.execute(
                "SELECT value FROM secret WHERE name = 'token_signing_key'").fetchone()
        assert b"PRIVATE KEY" not in bytes(sealed)
        assert b"PRIVATE KEY" in reg.stored_secret("token_signing_key")
    finally:
        assert not reg.stop()


def test_an_earlier_token_key_file_stays_valid(tmp_path):
    """An install of an earlier Haven kept its signing key in data_dir/token.key: the first
    start takes that key into the database, so the tokens it signed stay valid."""
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    padding = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.padding")
    hashes = pytest.importorskip("cryptography.hazmat.primitives.hashes")
    old = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    reg = Registry(tmp_path)
    (reg.data_dir / "token.key").write_bytes(old.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
    reg.start()
    try:
        r = requests.get(f"{reg.url}/service/token", auth=reg.auth, timeout=10,
                         params={"service": "harbor-registry",
                                 "scope": "repository:library/app:pull"})
        assert r.status_code == 200, r.text
        head, payload, sig = r.json()["token"].split(".")
        # signed with the old file's key: verify raises if not
        old.public_key().verify(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)),
                                f"{head}.{payload}".encode(), padding.PKCS1v15(),
                                hashes.SHA256())
        assert "is now kept in the database" in reg.log_text()
    finally:
        assert not reg.stop()
