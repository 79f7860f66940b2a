"""Start-up as an operator meets it: configuration errors, --check-config, the first-start
admin password, and a restart that keeps everything."""

import os
import subprocess
import time

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
                   env={"HAVEN_DATABASE_URL": url, "HAVEN_ADMIN_PASSWORD": "x"})
    assert r.returncode != 0
    assert "cannot connect to the database postgres://haven:xxxxx@127.0.0.1" in r.stderr, r.stderr
    assert "hunter2secret" not in r.stderr + r.stdout
