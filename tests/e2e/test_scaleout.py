"""Several havend on one PostgreSQL database, as the scale-out deployment runs them: nodes
that start together apply the migrations and create the first user once; what one node
writes the others serve; quota charges from every node together never pass the limit; and
each event is delivered once, by one node's dispatcher (the audit log has one row per
operation); a manifest deleted on one node is gone on all, though each keeps the manifests it
served in memory.  The nodes share a data directory here, as they would share an S3 bucket.

A daemon also outlives a restart of its database server: reads and new transactions
reconnect at once.

Only on the PostgreSQL run: SQLite is one node's database."""

import os
import threading
import time

import pytest

import havenlib
import pgcluster
from havenlib import Registry, assert_status, digest_of

pytestmark = pytest.mark.skipif(
    os.environ.get("HAVEN_E2E_DB") != "postgres",
    reason="needs PostgreSQL (HAVEN_E2E_DB=postgres): several nodes share one database")

NODES = 3


@pytest.fixture
def nodes(tmp_path):
    """NODES daemons on one new database and one data directory (and one bucket, with
    storage s3), started at the same time."""
    url = havenlib.postgres.database()
    first = Registry(tmp_path / "node0")
    regs = [first]
    for i in range(1, NODES):
        reg = Registry(tmp_path / f"node{i}", password=first.password)
        reg.data_dir = first.data_dir
        regs.append(reg)
    if first.s3:  # blobs in S3: one bucket for all, as one data directory otherwise
        first.storage_env()
    for reg in regs:
        reg.database_url = url
        reg.secret_key = first.secret_key
        reg.bucket = first.bucket
    errors = []

    def start(reg):
        try:
            reg.start()
        except BaseException as e:  # pytest.fail raises a BaseException
            errors.append(f"{reg.workdir.name}: {e}")

    threads = [threading.Thread(target=start, args=(reg,)) for reg in regs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    yield regs
    problems = []
    for reg in regs:
        problems += reg.stop()
    assert not errors, errors
    assert not problems, problems


def test_nodes_starting_together_migrate_once(nodes):
    applied = sum(reg.log_text().count("applying migration") for reg in nodes)
    with nodes[0].db(read_only=True) as db:
        (migrations,) = db.execute("SELECT count(*) FROM schema_migrations").fetchone()
        (users,) = db.execute("SELECT count(*) FROM users").fetchone()
        (projects,) = db.execute("SELECT count(*) FROM project WHERE name = 'library'").fetchone()
    assert applied == migrations > 0
    assert users == 1 and projects == 1
    for reg in nodes:
        assert_status(reg.session().get(f"{reg.url}/api/v2.0/users/current"), 200)


def test_what_one_node_writes_the_others_serve(nodes):
    a, b, c = nodes
    img = a.push_image("library/shared", tag="v1", seed=11)
    r = b.session().get(b.v2("library/shared/manifests/v1"),
                        headers={"Accept": havenlib.OCI_MANIFEST})
    assert_status(r, 200)
    assert r.content == img.manifest
    assert_status(c.session().get(c.v2(f"library/shared/blobs/{digest_of(img.layers[0])}")), 200)
    c.create_project("made-on-c", public=False)
    assert_status(a.session().get(f"{a.url}/api/v2.0/projects/made-on-c"), 200)


def test_a_deleted_manifest_is_404_on_every_node(nodes):
    """Every node keeps the manifests it served in memory; a deletion on one node is found
    in the database by the others before they look there."""
    a, b, c = nodes
    img = a.push_image("library/gone", tag="v1", seed=12)
    refs = ("v1", img.digest)

    def get(reg, ref):
        return reg.session().get(reg.v2(f"library/gone/manifests/{ref}"),
                                 headers={"Accept": havenlib.OCI_MANIFEST})

    for reg in nodes:
        for ref in refs:
            r = get(reg, ref)
            assert_status(r, 200)
            assert r.content == img.manifest
    assert_status(b.session().delete(b.v2(f"library/gone/manifests/{img.digest}")), 202)
    for reg in nodes:
        for ref in refs:
            assert_status(get(reg, ref), 404)
            assert_status(reg.session().head(reg.v2(f"library/gone/manifests/{ref}"),
                                             headers={"Accept": havenlib.OCI_MANIFEST}), 404)
    c.push_image("library/gone", tag="v1", seed=12)  # the same bytes again
    for reg in nodes:
        r = get(reg, "v1")
        assert_status(r, 200)
        assert r.content == img.manifest


def test_a_tag_moved_on_one_node_is_served_moved_by_the_next_request_to_another(nodes):
    """A client pushes through one node and pulls through another behind a load balancer:
    a tag that every node has served is moved on one, and the very next GET of it on each
    other node answers the new manifest (a GET by tag finds the tag in the database, with
    the project and repository, in one query; nothing of it is kept per node)."""
    a, b, c = nodes
    old = a.push_image("library/moving", tag="v1", seed=21)

    def get(reg):
        r = reg.session().get(reg.v2("library/moving/manifests/v1"),
                              headers={"Accept": havenlib.OCI_MANIFEST})
        assert_status(r, 200)
        return r

    for reg in nodes:
        assert get(reg).content == old.manifest
    for mover, others in ((b, (a, c)), (c, (a, b))):
        new = mover.push_image("library/moving", tag="v1", seed=22 if mover is b else 23)
        assert new.digest != old.digest
        for reg in others:
            r = get(reg)
            assert r.content == new.manifest
            assert r.headers["Docker-Content-Digest"] == new.digest
        old = new


def test_concurrent_pushes_of_shared_blobs_on_every_node_all_succeed(nodes):
    """12 clients spread over the nodes push, at once, images that share their config and
    layers (blob uploads and manifest PUTs that lock the same blob, link and quota rows):
    a transaction the database gives up for a deadlock runs again, so every push gets its
    201, none a 500 or 503."""
    errors, digests = [], []

    def push(i):
        reg = nodes[i % len(nodes)]
        try:
            img = reg.push_image("library/race" if i % 2 else f"library/race-{i}",
                                 tag=f"t{i}", layers=3, seed=31)
            digests.append(img.digest)
        except BaseException as e:  # assert_status raises an AssertionError
            errors.append(f"push {i} on {reg.workdir.name}: {e}")

    threads = [threading.Thread(target=push, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(set(digests)) == 1
    for i in range(12):
        reg = nodes[(i + 1) % len(nodes)]
        repo = "library/race" if i % 2 else f"library/race-{i}"
        r = reg.session().get(reg.v2(f"{repo}/manifests/t{i}"),
                              headers={"Accept": havenlib.OCI_MANIFEST})
        assert_status(r, 200)
        assert r.headers["Docker-Content-Digest"] == digests[0]


def test_quota_holds_across_nodes(nodes):
    """16 pushers spread over the nodes against a project with room for 10 of their blobs."""
    a = nodes[0]
    a.create_project("tight", public=False)
    pid = a.session().get(f"{a.url}/api/v2.0/projects/tight").json()["project_id"]
    q = a.session().get(f"{a.url}/api/v2.0/quotas", params={"reference_id": pid}).json()[0]
    size = 1000
    assert_status(a.session().put(f"{a.url}/api/v2.0/quotas/{q['id']}",
                                  json={"hard": {"storage": 10 * size + 500}}), 200)
    results = []

    def push(i):
        reg = nodes[i % len(nodes)]
        data = (f"blob {i} ".encode() * size)[:size]
        r = reg.session().post(reg.v2("tight/app/blobs/uploads/"),
                               params={"digest": digest_of(data)}, data=data)
        results.append(r.status_code)

    threads = [threading.Thread(target=push, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(results)) == [201, 403], results
    assert results.count(201) == 10
    with a.db(read_only=True) as db:
        (used,) = db.execute("SELECT used FROM quota WHERE project_id = ?", (pid,)).fetchone()
        (linked,) = db.execute("SELECT coalesce(sum(b.size), 0) FROM project_blob pb"
                               " JOIN blob b ON b.digest = pb.blob_digest"
                               " WHERE pb.project_id = ?", (pid,)).fetchone()
    assert used == linked == 10 * size


def test_each_event_is_delivered_once(nodes):
    names = [f"evt-{i}" for i in range(12)]
    for i, name in enumerate(names):
        nodes[i % len(nodes)].create_project(name, public=False)

    def audit_rows():
        with nodes[0].db(read_only=True) as db:
            return dict(db.execute(
                "SELECT resource, count(*) FROM audit_log WHERE operation = 'create'"
                " AND resource_type = 'project' AND resource LIKE 'evt-%' GROUP BY resource"
            ).fetchall())

    deadline = time.monotonic() + 15
    while len(audit_rows()) < len(names) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)  # a second delivery, if there were one, would have come by now
    assert audit_rows() == {name: 1 for name in names}


def test_a_restarted_database_is_reconnected(tmp_path):
    """The server restarts under a running daemon (its own cluster here, not the session's):
    every pooled connection is dropped, and yet no pull fails, and pushes go on."""
    cluster = pgcluster.Cluster().start()
    reg = Registry(tmp_path / "node")
    reg.database_url = cluster.database()
    problems = []
    try:
        reg.start()
        img = reg.push_image("library/before", tag="v1", seed=21)
        s = reg.session()
        for _ in range(8):  # several pooled connections in use
            assert_status(s.get(reg.v2("library/before/manifests/v1"),
                                headers={"Accept": havenlib.OCI_MANIFEST}), 200)
        cluster.restart()
        for _ in range(20):
            r = s.get(reg.v2("library/before/manifests/v1"),
                      headers={"Accept": havenlib.OCI_MANIFEST})
            assert_status(r, 200)
            assert r.content == img.manifest
        reg.push_image("library/after", tag="v1", seed=22)
        assert_status(s.get(reg.v2("library/after/manifests/v1"),
                            headers={"Accept": havenlib.OCI_MANIFEST}), 200)
    finally:
        problems = reg.stop()
        cluster.stop()
    assert not problems, problems
