"""`havend vulndb import|update|status`: the scanner's vulnerability database from the command
line, and its scheduled update from vulndb_url by a running havend.
Imports the published advisories of tests/data/scan/vulndb (OSV records as files, a directory
and an osv.dev-style all.zip; the Debian tracker's JSON; an Alpine secdb), and checks what
status then says, that malformed records are named and skipped while the import goes on, that
a source that cannot be read leaves the database as it was, and that an import replaces the
whole database, keeping one generation on disk.  The updates fetch an all.zip from a
loopback HTTP server (http.server in a thread of the test).
"""

import functools
import http.server
import os
import re
import subprocess
import threading
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from havenlib import Registry, havend_path

DATA = Path(__file__).resolve().parents[1] / "data" / "scan" / "vulndb"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def vulndb(data_dir: Path, *args):
    # the harness's own variables (HAVEN_E2E_*) are not havend's, which refuses them
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    return subprocess.run([str(havend_path()), "vulndb", *args, "--data", str(data_dir)],
                          env=env, capture_output=True, text=True, timeout=120)


def status(data_dir: Path) -> dict:
    r = vulndb(data_dir, "status")
    assert r.returncode == 0, r.stderr
    return dict(line.split(": ", 1) for line in r.stdout.splitlines())


def all_zip(path: Path, *extra: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted((DATA / "osv").glob("*.json")) + list(extra):
            z.write(f, f.name)
    return path


def test_status_before_any_import(tmp_path):
    r = vulndb(tmp_path, "status")
    assert r.returncode == 1
    assert "no vulnerability database" in r.stderr
    assert "havend vulndb import" in r.stderr


def test_import_every_feed(tmp_path):
    before = datetime.now(timezone.utc)
    r = vulndb(tmp_path, "import", str(DATA / "osv"), "--format", "debian",
               str(DATA / "debian-tracker.json"), "--format", "alpine",
               str(DATA / "alpine-v3.19-main.json"))
    assert r.returncode == 0, r.stderr
    # 7 OSV records (one more withdrawn), 3 CVEs of the tracker, 4 of the secdb
    assert re.match(r"imported 14 records \(19 affected packages\) in [0-9.]+ s; 1 withdrawn,"
                    r" 0 malformed skipped", r.stdout), r.stdout
    st = status(tmp_path)
    assert st["records"] == "14"
    assert st["affected"] == "19"
    assert RFC3339.match(st["updated_at"])
    updated = datetime.strptime(st["updated_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc)
    assert before.replace(microsecond=0) <= updated
    assert st["sources"].startswith("osv:" + str(DATA / "osv"))
    assert "debian:" + str(DATA / "debian-tracker.json") in st["sources"]
    assert "alpine:" + str(DATA / "alpine-v3.19-main.json") in st["sources"]


def test_zip_with_malformed_records(tmp_path):
    z = all_zip(tmp_path / "all.zip", DATA / "malformed-no-ecosystem.json",
                DATA / "malformed-truncated.json")
    r = vulndb(tmp_path, "import", str(z))
    assert r.returncode == 0, r.stderr
    assert "imported 7 records" in r.stdout
    assert "2 malformed skipped" in r.stdout
    # each malformed record is named, with what is wrong
    assert "malformed-no-ecosystem.json: BROKEN-1: an affected entry lacks package.ecosystem" \
        in r.stderr
    assert "malformed-truncated.json: not a JSON object" in r.stderr
    assert status(tmp_path)["records"] == "7"


def test_unreadable_source_keeps_the_database(tmp_path):
    assert vulndb(tmp_path, "import", str(DATA / "osv")).returncode == 0
    before = status(tmp_path)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    for args, message in [
        ([str(broken)], "broken.zip"),
        ([str(tmp_path / "missing")], "cannot read"),
        (["--format", "alpine", str(DATA / "debian-tracker.json")], "not an Alpine secdb"),
        (["--format", "debian", str(DATA / "malformed-truncated.json")], "ends early"),
    ]:
        r = vulndb(tmp_path, "import", *args)
        assert r.returncode == 1, args
        assert message in r.stderr, (args, r.stderr)
        assert status(tmp_path) == before
    assert len(list((tmp_path / "vulndb").glob("*.sqlite"))) == 1


def test_import_replaces_everything(tmp_path):
    assert vulndb(tmp_path, "import", str(DATA / "osv")).returncode == 0
    first = status(tmp_path)
    r = vulndb(tmp_path, "import", "--format=alpine", str(DATA / "alpine-v3.19-main.json"))
    assert r.returncode == 0, r.stderr
    st = status(tmp_path)
    assert st["records"] == "4"
    assert st["updated_at"] >= first["updated_at"]
    generations = list((tmp_path / "vulndb").glob("*.sqlite*"))
    assert len(generations) == 1
    assert (tmp_path / "vulndb.sqlite").resolve() == generations[0]


def test_bad_arguments(tmp_path):
    r = vulndb(tmp_path, "import", "--format", "nvd", "x.json")
    assert r.returncode == 1
    assert "--format: osv, debian or alpine, not nvd" in r.stderr
    r = vulndb(tmp_path, "import")
    assert r.returncode == 1
    assert "usage: havend vulndb import" in r.stderr
    r = vulndb(tmp_path, "status", "extra")
    assert r.returncode == 1
    assert "status takes no paths" in r.stderr
    # a format after the last path would silently read it as OSV
    r = vulndb(tmp_path, "import", str(DATA / "alpine-v3.19-main.json"), "--format", "alpine")
    assert r.returncode == 1
    assert "--format applies to the paths after it" in r.stderr
    assert not (tmp_path / "vulndb.sqlite").exists(), "nothing was imported"


@pytest.fixture
def feed(tmp_path):
    """A loopback HTTP server serving tmp_path/feed (all.zip in it); yields its base URL."""
    root = tmp_path / "feed"
    root.mkdir()
    all_zip(root / "all.zip")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_update_from_url(tmp_path, feed):
    data = tmp_path / "data"
    r = vulndb(data, "update")
    assert r.returncode == 1
    assert "vulndb_url is not set" in r.stderr
    r = vulndb(data, "update", "--vulndb-url", feed + "/all.zip")
    assert r.returncode == 0, r.stderr
    assert "imported 7 records" in r.stdout
    st = status(data)
    assert st["records"] == "7"
    assert st["sources"] == "osv:" + feed + "/all.zip"
    # a URL that does not serve a feed: the database stays
    r = vulndb(data, "update", "--vulndb-url", feed + "/missing.zip")
    assert r.returncode == 1
    assert "HTTP 404" in r.stderr and "/missing.zip" in r.stderr
    assert status(data) == st
    assert not [p for p in (data / "vulndb").iterdir() if p.name.startswith(".download")]


def test_daemon_updates_at_start(tmp_path, feed):
    reg = Registry(tmp_path / "node")
    reg.start(env={"HAVEN_VULNDB_URL": feed + "/all.zip"})
    try:
        deadline = time.monotonic() + 60
        while vulndb(reg.data_dir, "status").returncode != 0:
            assert time.monotonic() < deadline, reg.log_tail()
            time.sleep(0.2)
        st = status(reg.data_dir)
        assert st["records"] == "7"
        assert st["sources"] == "osv:" + feed + "/all.zip"
    finally:
        assert reg.stop() == []
    assert "vulndb updated from " + feed + "/all.zip: 7 records" in reg.log_path.read_text()
