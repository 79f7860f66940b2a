"""`havend migrate`: an embedded install (SQLite and blobs in its data directory) moved to
PostgreSQL and S3 without pushing anything again.  An install with images, users, robots,
projects, members, labels, quotas, immutable rules and audit logs is stopped, migrated into a
throwaway PostgreSQL database (pgcluster.py) and an s3rver bucket, and a havend started on
them must answer as the embedded one did: the same API answers, the same digests pulled by
skopeo, logins of users and robots (their hashes copied), a registry token issued before the
move, the quotas' usage.  Bad input is refused with a message that says what to do: an
unreachable database, a URL that is not PostgreSQL's, a daemon running on the data
directory, a target that holds another install.

It starts its own PostgreSQL and s3rver and runs in the embedded run of the suite only (the
source must be SQLite on the filesystem).
"""

import fcntl
import hashlib
import os
import random
import sqlite3
import subprocess
import uuid

import pytest

import pgcluster
from havenlib import (
    S3_KEYS,
    STORAGE,
    Registry,
    S3rver,
    assert_status,
    digest_of,
    free_port,
    havend_path,
)

pytestmark = pytest.mark.skipif(
    os.environ.get("HAVEN_E2E_DB", "sqlite") != "sqlite" or STORAGE != "fs",
    reason="migrate moves an embedded install: it runs in the sqlite:fs run")

MIGRATE_TIMEOUT = 300
SKOPEO_TIMEOUT = 180


@pytest.fixture(scope="module")
def cluster():
    c = pgcluster.Cluster().start()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def s3(tmp_path_factory):
    server = S3rver(directory=tmp_path_factory.mktemp("s3rver-migrate")).start()
    yield server
    server.stop()


def migrate(reg: Registry, *args, env=None):
    """Runs `havend migrate --data <reg's data dir> ARGS`; returns the CompletedProcess."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    full.update(env or {})
    return subprocess.run([str(havend_path()), "migrate", "--data", str(reg.data_dir), *args],
                          env=full, capture_output=True, text=True, timeout=MIGRATE_TIMEOUT)


def s3_env(s3, bucket):
    return {"HAVEN_S3_BUCKET": bucket, "HAVEN_S3_ENDPOINT": s3.endpoint,
            "HAVEN_S3_PATH_STYLE": "true", **S3_KEYS}


def api(reg, path):
    return f"{reg.url}/api/v2.0{path}"


def skopeo(tmp_path, *args):
    home = tmp_path / f"home-{uuid.uuid4().hex[:6]}"
    home.mkdir()
    env = dict(os.environ, HOME=str(home), REGISTRY_AUTH_FILE=str(home / "auth.json"))
    (home / "auth.json").write_text('{"auths": {}}')
    p = subprocess.run(["skopeo", "--insecure-policy", *args], env=env, capture_output=True,
                       text=True, timeout=SKOPEO_TIMEOUT)
    assert p.returncode == 0, f"skopeo {' '.join(args)}: {p.stderr}"
    return p


def table_rows(path):
    """Every row of every table of a SQLite file, to see that migrate changed nothing."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: sorted(map(repr, conn.execute(f'SELECT * FROM "{n}"'))) for n in names}
    finally:
        conn.close()


def files_of(folder):
    return sorted((str(p.relative_to(folder)), hashlib.sha256(p.read_bytes()).hexdigest())
                  for p in folder.rglob("*") if p.is_file())


def populate(reg: Registry, tmp_path, layouts):
    """Everything the move must keep; returns what to log in with afterwards."""
    s = reg.session()
    users = []
    for i in range(2):
        name, pw = f"mover{i}", f"Pw{uuid.uuid4().hex[:10]}A1"
        assert_status(s.post(api(reg, "/users"), json={
            "username": name, "password": pw, "email": f"{name}@e2e.example.com",
            "realname": f"Mover {i}", "comment": "moves"}), 201)
        users.append((name, pw))
    reg.create_project("moving", public=False)
    reg.create_project("open", public=True)
    assert_status(s.post(api(reg, "/projects/moving/members"), json={
        "role_id": 2, "member_user": {"username": users[0][0]}}), 201)
    r = s.post(api(reg, "/robots"), json={
        "name": "ci", "level": "project", "duration": -1,
        "permissions": [{"kind": "project", "namespace": "moving", "access": [
            {"resource": "repository", "action": "push"},
            {"resource": "repository", "action": "pull"}]}]})
    assert_status(r, 201)
    robot = (r.json()["name"], r.json()["secret"])
    quota = [q for q in s.get(api(reg, "/quotas")).json()
             if q["ref"]["name"] == "moving"][0]
    assert_status(s.put(api(reg, f"/quotas/{quota['id']}"),
                        json={"hard": {"storage": 500 << 20}}), 200)
    assert_status(s.post(api(reg, "/projects/moving/immutabletagrules"), json={
        "action": "immutable", "template": "immutable_template",
        "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "rel-*"}],
        "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches",
                                            "pattern": "**"}]}}), 201)
    assert_status(s.post(api(reg, "/labels"), json={"name": "moved", "scope": "g"}), 201)
    # images: skopeo pushes of the layouts, and some made here
    creds = "%s:%s" % reg.auth
    for layout, tag, dest in ((layouts.image, "v1", "moving/app:v1"),
                              (layouts.multi, "multi", "open/multi:multi")):
        skopeo(tmp_path, "copy", "--all", "--preserve-digests", "--dest-tls-verify=false",
               "--dest-creds", creds, f"oci:{layout.path}:{tag}", f"docker://{reg.host}/{dest}")
    for i in range(3):
        reg.push_image("moving/made", tag=f"rel-{i}", layers=2, seed=1000 + i)
    big = random.randbytes(6 << 20)  # more than one S3 part
    reg.push_blob("moving/big", big, s)
    label = [x for x in s.get(api(reg, "/labels"), params={"scope": "g"}).json()
             if x["name"] == "moved"][0]
    assert_status(s.post(api(reg, "/projects/moving/repositories/app/artifacts/v1/labels"),
                         json={"id": label["id"]}), 200)
    return users, robot, digest_of(big)


API_VIEWS = ["/projects?page_size=100", "/users?page_size=100", "/robots?page_size=100",
             "/labels?scope=g", "/quotas", "/projects/moving/immutabletagrules",
             "/projects/moving/members", "/audit-logs?page_size=100",
             "/projects/moving/repositories/app/artifacts?with_label=true",
             "/projects/moving/repositories/made/artifacts",
             "/projects/open/repositories/multi/artifacts", "/repositories?page_size=100",
             "/statistics"]


def views(reg):
    s = reg.session()
    out = {}
    for path in API_VIEWS:
        r = s.get(api(reg, path))
        assert_status(r, 200)
        out[path] = r.json()
    r = s.get(reg.v2("_catalog"))
    out["catalog"] = r.json()
    return out


def registry_token(reg, credentials, scope):
    r = reg.session(auth=credentials).get(f"{reg.url}/service/token", params={
        "service": "harbor-registry", "scope": scope})
    assert_status(r, 200)
    return r.json()["token"]


def test_an_embedded_install_moves_to_postgresql_and_s3(tmp_path_factory, cluster, s3,
                                                        layouts):
    tmp = tmp_path_factory.mktemp("migrate")
    source = Registry(tmp / "install")
    source.start()
    try:
        users, robot, big = populate(source, tmp, layouts)
        token = registry_token(source, robot, "repository:moving/app:pull")
        # digests by HEAD, which is no pull: pull statistics stay as the views show them
        manifests = {ref: source.session().head(source.v2(ref.replace(":", "/manifests/")),
                                                headers={"Accept": "*/*"}).headers[
                                                    "Docker-Content-Digest"]
                     for ref in ("moving/app:v1", "open/multi:multi", "moving/made:rel-1")}
        before = views(source)
        # a daemon running on the data directory: refused
        r = migrate(source, "--to", cluster.database(), "--blobs-to", "s3",
                    env=s3_env(s3, "not-used"))
        assert r.returncode != 0
        assert "havend is running" in r.stderr and "stop it first" in r.stderr
    finally:
        assert not source.stop()
    db_rows = table_rows(source.data_dir / "haven.db")
    blob_files = files_of(source.data_dir / "blobs")

    url = cluster.database()
    bucket = "migrated-" + uuid.uuid4().hex[:8]
    s3.create_bucket(bucket)
    r = migrate(source, "--to", url, "--blobs-to", "s3", env=s3_env(s3, bucket))
    assert r.returncode == 0, r.stderr + r.stdout
    assert "verifying:" in r.stdout
    verified = [line for line in r.stdout.splitlines() if line.strip().endswith(" ok")]
    tables = {line.split()[0] for line in verified}
    assert {"users", "project", "artifact", "tag", "robot", "member", "label", "quota",
            "immutable_rule", "audit_log", "artifact_label", "blob"} <= tables
    n_blobs = len(blob_files)
    assert f"blobs: {n_blobs} copied" in r.stdout
    # the source is as it was
    assert table_rows(source.data_dir / "haven.db") == db_rows
    assert files_of(source.data_dir / "blobs") == blob_files

    # a second run finds the metadata there and every blob in the bucket
    r = migrate(source, "--to", url, "--blobs-to", "s3", env=s3_env(s3, bucket))
    assert r.returncode == 0, r.stderr + r.stdout
    assert "metadata already" in r.stdout
    assert f"blobs: 0 copied (0 bytes), {n_blobs} in the bucket already" in r.stdout

    # the secrets were copied sealed with the install's key: the new daemon needs that key
    assert "secret.key" in r.stdout
    key = (source.data_dir / "secret.key").read_text().strip()
    moved = Registry(source.workdir, password=source.password)
    moved.database_url = url
    moved.secret_key = key
    moved.s3, moved.bucket = s3, bucket
    moved.start()
    try:
        assert views(moved) == before
        s = moved.session()
        for ref, digest in manifests.items():
            r = s.get(moved.v2(ref.replace(":", "/manifests/")), headers={"Accept": "*/*"})
            assert_status(r, 200)
            assert digest_of(r.content) == digest
        assert digest_of(s.get(moved.v2(f"moving/big/blobs/{big}")).content) == big
        out = tmp / "pulled"
        creds = "%s:%s" % moved.auth
        skopeo(tmp, "copy", "--all", "--preserve-digests", "--src-tls-verify=false",
               "--src-creds", creds, f"docker://{moved.host}/open/multi:multi",
               f"oci:{out}:multi")
        p = skopeo(tmp, "inspect", "--raw", f"oci:{out}:multi")
        assert digest_of(p.stdout.encode()) == manifests["open/multi:multi"]
        # logins: users and robots with their old passwords and secret, an old token
        for name, pw in users:
            r = moved.session(auth=(name, pw)).get(api(moved, "/users/current"))
            assert_status(r, 200)
            assert r.json()["username"] == name
        assert_status(moved.session(auth=robot).get(moved.v2("moving/app/tags/list")), 200)
        r = moved.session(auth=False).get(moved.v2("moving/app/tags/list"),
                                          headers={"Authorization": f"Bearer {token}"})
        assert_status(r, 200)
        assert r.json()["tags"] == ["v1"]
        # new rows get ids after the copied ones
        assert_status(s.post(api(moved, "/projects"), json={
            "project_name": "after", "metadata": {"public": "false"}}), 201)
        moved.push_image("after/img", tag="t", seed=7)
        assert_status(s.post(api(moved, "/labels"), json={"name": "new", "scope": "g"}), 201)
    finally:
        assert not moved.stop()


def test_bad_input_is_refused_with_what_to_do(tmp_path_factory, cluster, s3):
    tmp = tmp_path_factory.mktemp("migrate-bad")
    source = Registry(tmp / "install")
    source.start()
    source.push_image("library/x", tag="t", seed=3)
    assert not source.stop()
    rows = table_rows(source.data_dir / "haven.db")

    r = migrate(source, "--to", "mysql://root@127.0.0.1/haven")
    assert r.returncode != 0 and "postgres://" in r.stderr
    r = migrate(source)
    assert r.returncode != 0 and "usage: havend migrate --to" in r.stderr
    r = migrate(source, "--to", f"postgres://postgres@127.0.0.1:{free_port()}/haven")
    assert r.returncode != 0 and "cannot connect to the database" in r.stderr
    r = migrate(source, "--to", cluster.database(), "--blobs-to", "gcs")
    assert r.returncode != 0 and "only go to s3" in r.stderr
    r = migrate(source, "--to", cluster.database(), "--blobs-to", "s3")
    assert r.returncode != 0 and "s3_bucket" in r.stderr
    empty = Registry(tmp / "nothing")
    r = migrate(empty, "--to", cluster.database())
    assert r.returncode != 0 and "no Haven database" in r.stderr

    # a database that holds another install
    other = Registry(tmp / "other")
    other.database_url = cluster.database()
    other.start()
    assert not other.stop()
    r = migrate(source, "--to", other.database_url)
    assert r.returncode != 0
    assert "not empty" in r.stderr and "empty database" in r.stderr
    assert table_rows(source.data_dir / "haven.db") == rows

    # a daemon that starts while migrate holds the data directory is refused (the lock is
    # taken here as migrate takes it)
    url = cluster.database()
    with open(source.data_dir / "haven.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        p = subprocess.run([str(havend_path()), "--data", str(source.data_dir), "--listen",
                            "127.0.0.1:0"], capture_output=True, text=True, timeout=60,
                           env={k: v for k, v in os.environ.items()
                                if not k.startswith("HAVEN_")})
    assert p.returncode != 0 and "havend migrate is copying" in p.stderr
    r = migrate(source, "--to", url)
    assert r.returncode == 0, r.stderr
    assert "blobs:" not in r.stdout  # metadata only: the blobs stay in the data directory
