"""Many havend nodes on one PostgreSQL database and one S3 bucket behave as one registry.

Each cluster here is three nodes with data directories of their own, started together with
one secret_key: an upload goes on at whichever node a request reaches; a node killed with
SIGKILL in the middle of pushes loses none that were acknowledged; a token one node issued
is good at the others; a change made through one node (a password, a robot disabled, a
member removed, a project made private, a tag moved) holds at the others at once (within
a second is the promise); the upload purge runs on one node at a time, and on another once
that one dies; a retention run or a garbage collection asked of every node at once starts
once; and a node given another secret_key than the database's is refused at start.

Only in the scale-out configuration (postgres:s3): SQLite is one node's database."""

import os
import random
import subprocess
import threading
import time
from urllib.parse import urlsplit

import pytest
import requests

import havenlib
from havenlib import (OCI_MANIFEST, Registry, assert_status, digest_of, havend_path,
                      unique_name)

pytestmark = pytest.mark.skipif(
    os.environ.get("HAVEN_E2E_DB") != "postgres" or havenlib.STORAGE != "s3",
    reason="needs the scale-out configuration (postgres:s3): nodes share a database and a "
           "bucket")

NODES = 3
COHERENT_WITHIN = 1.0  # seconds


def start_cluster(tmp_path, env=None, n=NODES):
    """n nodes on a new database and bucket with one secret_key, started at the same time;
    each has a data directory of its own (nothing of a node's is on another's disk)."""
    first = Registry(tmp_path / "node0")
    first.database_url = havenlib.postgres.database()
    first.storage_env()  # creates the bucket
    regs = [first]
    for i in range(1, n):
        reg = Registry(tmp_path / f"node{i}", password=first.password)
        reg.database_url, reg.bucket, reg.secret_key = (first.database_url, first.bucket,
                                                        first.secret_key)
        regs.append(reg)
    errors = []

    def start(reg):
        try:
            reg.start(env)
        except BaseException as e:  # pytest.fail raises a BaseException
            errors.append(f"{reg.workdir.name}: {e}")

    threads = [threading.Thread(target=start, args=(reg,)) for reg in regs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        for reg in regs:
            reg.stop()
        pytest.fail("; ".join(errors), pytrace=False)
    return regs


def stop_cluster(regs):
    problems = []
    for reg in regs:
        problems += [f"{reg.workdir.name}: {p}" for p in reg.stop()]
        text = reg.log_text()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in text:
                problems.append(f"{reg.workdir.name}: sanitizer report ({marker!r})")
    assert not problems, problems


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    regs = start_cluster(tmp_path_factory.mktemp("cluster"))
    yield regs
    stop_cluster(regs)


def at(reg, url):
    """url (absolute, or a path) sent to node reg instead."""
    parts = urlsplit(url)
    return f"{reg.url}{parts.path}" + (f"?{parts.query}" if parts.query else "")


def within(seconds, check):
    """Polls check() until it is true; fails when it is not after `seconds`."""
    start = time.monotonic()
    while True:
        if check():
            return
        if time.monotonic() - start > seconds:
            pytest.fail(f"not true within {seconds} s: {check.__doc__ or check}", pytrace=False)
        time.sleep(0.05)


def api(reg, path):
    return f"{reg.url}/api/v2.0{path}"


# ---------------------------------------------------------------- uploads and pushes


def test_a_chunked_upload_moves_from_node_to_node(cluster):
    """POST on one node, each PATCH on another, the status asked of a third, the PUT on yet
    another: the blob is whole, and every node serves it."""
    a, b, c = cluster
    repo = "library/" + unique_name("hop-")
    data = random.randbytes(3 * 1024 * 1024 + 123)
    d = digest_of(data)
    chunks = [data[:1 << 20], data[1 << 20:2 << 20], data[2 << 20:]]
    url = a.start_upload(repo)
    offset = 0
    for reg, chunk in zip((b, c, a), chunks):
        r = reg.session().patch(at(reg, url), data=chunk, headers={
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{offset}-{offset + len(chunk) - 1}"})
        assert_status(r, 202)
        offset += len(chunk)
        assert r.headers["Range"] == f"0-{offset - 1}"
        url = r.headers["Location"]
        status = c.session().get(at(c, url))
        assert_status(status, 204)
        assert status.headers["Range"] == f"0-{offset - 1}"
    r = b.session().put(at(b, url), params={"digest": d})
    assert_status(r, 201)
    for reg in cluster:
        got = reg.session().get(reg.v2(f"{repo}/blobs/{d}"))
        assert_status(got, 200)
        assert got.content == data


def test_a_token_from_one_node_is_good_at_the_others(cluster):
    a, b, c = cluster
    repo = "library/" + unique_name("tok-")
    r = requests.get(f"{a.url}/service/token", auth=a.auth, timeout=30, params={
        "service": "harbor-registry", "scope": f"repository:{repo}:pull,push"})
    assert_status(r, 200)
    bearer = {"Authorization": f"Bearer {r.json()['token']}"}
    data = b"pushed at b with a's token"
    r = requests.post(b.v2(f"{repo}/blobs/uploads/"), params={"digest": digest_of(data)},
                      data=data, headers=bearer, timeout=30)
    assert_status(r, 201)
    r = requests.get(c.v2(f"{repo}/blobs/{digest_of(data)}"), headers=bearer, timeout=30)
    assert_status(r, 200)
    assert r.content == data


def test_a_killed_node_loses_no_acknowledged_push(tmp_path):
    """Pushers spread over three nodes; one node is killed with SIGKILL in the middle.  Every
    push any node acknowledged (201 for its manifest) is pulled whole, with its digest, from
    both survivors, and pushes to the survivors never failed."""
    regs = start_cluster(tmp_path)
    victim = regs[2]
    acked, failures, lock = [], [], threading.Lock()
    stop = threading.Event()

    def pusher(i):
        reg = regs[i % NODES]
        s = reg.session()
        for n in range(40):
            if stop.is_set():
                return
            repo = f"library/kill-{i}"
            try:
                img = push_image(reg, s, repo, f"t{n}", seed=1000 * i + n)
            except (requests.RequestException, AssertionError) as e:
                with lock:
                    failures.append((reg, repr(e)[:200]))
                if reg is victim:
                    return
                continue
            with lock:
                acked.append((reg, img))

    threads = [threading.Thread(target=pusher, args=(i,)) for i in range(9)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # kill once the victim acknowledged a few
        with lock:
            if sum(1 for reg, _ in acked if reg is victim) >= 3:
                break
        time.sleep(0.02)
    victim.kill()
    time.sleep(1.5)
    stop.set()
    for t in threads:
        t.join()
    try:
        assert not [f for f in failures if f[0] is not victim], failures
        by_victim = [img for reg, img in acked if reg is victim]
        assert len(by_victim) >= 3 and len(acked) > len(by_victim)
        for reg in regs[:2]:
            s = reg.session()
            for _, img in acked:
                r = s.get(reg.v2(f"{img['repo']}/manifests/{img['tag']}"),
                          headers={"Accept": OCI_MANIFEST})
                assert_status(r, 200)
                assert r.content == img["manifest"]
                assert r.headers["Docker-Content-Digest"] == digest_of(img["manifest"])
                for blob in img["blobs"]:
                    got = s.get(reg.v2(f"{img['repo']}/blobs/{digest_of(blob)}"))
                    assert_status(got, 200)
                    assert digest_of(got.content) == digest_of(blob)
    finally:
        stop_cluster(regs)


def push_image(reg, s, repo, tag, seed):
    """Pushes a config, a 256 KiB layer and a manifest; AssertionError unless all are 201."""
    rnd = random.Random(seed)
    layer = rnd.randbytes(256 * 1024)
    config = havenlib.canonical({"architecture": "amd64", "os": "linux", "seed": seed})
    for blob in (config, layer):
        r = s.post(reg.v2(f"{repo}/blobs/uploads/"), params={"digest": digest_of(blob)},
                   data=blob, headers={"Content-Type": "application/octet-stream"})
        assert_status(r, 201)
    manifest = havenlib.canonical({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": havenlib.descriptor(havenlib.OCI_CONFIG, config),
        "layers": [havenlib.descriptor(havenlib.OCI_LAYER, layer)]})
    assert_status(reg.push_manifest(repo, tag, manifest, session=s), 201)
    return {"repo": repo, "tag": tag, "manifest": manifest, "blobs": (config, layer)}


# ---------------------------------------------------------------- changes seen everywhere


def test_a_changed_password_holds_on_every_node(cluster):
    a, b, c = cluster
    name, old, new = unique_name("u"), "Old-pass-1234", "New-pass-5678"
    r = a.session().post(api(a, "/users"), json={
        "username": name, "password": old, "email": f"{name}@e2e.example.com",
        "realname": name})
    assert_status(r, 201)
    uid = int(r.headers["Location"].rsplit("/", 1)[1])
    for reg in (b, c):  # logged in there: remembered by each node's credential cache
        assert_status(reg.session(auth=(name, old)).get(api(reg, "/users/current")), 200)
    assert_status(a.session().put(api(a, f"/users/{uid}/password"),
                                  json={"new_password": new}), 200)
    for reg in (b, c):
        def old_refused(reg=reg):
            """the old password refused"""
            return reg.session(auth=(name, old)).get(api(reg, "/users/current")).status_code \
                == 401
        within(COHERENT_WITHIN, old_refused)
        assert_status(reg.session(auth=(name, new)).get(api(reg, "/users/current")), 200)
    # deleted on c: refused on a and b
    assert_status(c.session().delete(api(c, f"/users/{uid}")), 200)
    for reg in (a, b):
        within(COHERENT_WITHIN, lambda reg=reg: reg.session(auth=(name, new)).get(
            api(reg, "/users/current")).status_code == 401)


def test_a_disabled_robot_is_refused_on_every_node(cluster):
    a, b, c = cluster
    project = unique_name("rob")
    a.create_project(project, public=False)
    r = a.session().post(api(a, "/robots"), json={
        "name": "ci", "level": "project", "duration": -1,
        "permissions": [{"kind": "project", "namespace": project, "access": [
            {"resource": "repository", "action": "push"},
            {"resource": "repository", "action": "pull"}]}]})
    assert_status(r, 201)
    login, secret, url = r.json()["name"], r.json()["secret"], api(a, f"/robots/{r.json()['id']}")
    data = b"robot blob"
    for reg in (b, c):  # the robot works there, and is remembered
        r = reg.session(auth=(login, secret)).post(
            reg.v2(f"{project}/app/blobs/uploads/"), params={"digest": digest_of(data)},
            data=data)
        assert_status(r, 201)
    robot = a.session().get(url).json()
    robot["disable"] = True
    assert_status(a.session().put(url, json=robot), 200)
    for reg in (b, c):
        within(COHERENT_WITHIN, lambda reg=reg: reg.session(auth=(login, secret)).get(
            reg.v2(f"{project}/app/blobs/{digest_of(data)}")).status_code == 401)
    # enabled again and its secret refreshed on b: the old secret is refused on a and c
    robot["disable"] = False
    assert_status(b.session().put(at(b, url), json=robot), 200)
    r = b.session().patch(at(b, url), json={})
    assert_status(r, 200)
    fresh = r.json()["secret"]
    for reg in (a, c):
        within(COHERENT_WITHIN, lambda reg=reg: reg.session(auth=(login, secret)).get(
            reg.v2("")).status_code == 401)
        assert_status(reg.session(auth=(login, fresh)).get(
            reg.v2(f"{project}/app/blobs/{digest_of(data)}")), 200)


def test_members_visibility_and_tags_hold_on_every_node(cluster):
    a, b, c = cluster
    project, user, pw = unique_name("vis"), unique_name("m"), "Member-pass-1"
    a.create_project(project, public=True)
    img1 = a.push_image(f"{project}/app", tag="v1", seed=1)
    img2 = a.push_image(f"{project}/app", tag="v2", seed=2)
    assert_status(a.session().post(api(a, "/users"), json={
        "username": user, "password": pw, "email": f"{user}@e2e.example.com",
        "realname": user}), 201)
    r = a.session().post(api(a, f"/projects/{project}/members"), json={
        "role_id": 2, "member_user": {"username": user}})
    assert_status(r, 201)
    member = r.headers["Location"].rsplit("/", 1)[1]

    def manifest(reg, ref, auth=None):
        """GET of the manifest as auth, or anonymously (with a token, as docker pulls)"""
        s = reg.session(auth=auth) if auth else reg.token_session()
        return s.get(reg.v2(f"{project}/app/manifests/{ref}"), headers={"Accept": OCI_MANIFEST})

    assert manifest(b, "v1").content == img1.manifest
    assert_status(requests.get(api(c, f"/projects/{project}"), timeout=30), 200)
    # made private on a: anonymous pulls refused on b and c, the member still pulls
    assert_status(a.session().put(api(a, f"/projects/{project}"),
                                  json={"metadata": {"public": "false"}}), 200)
    for reg in (b, c):
        within(COHERENT_WITHIN, lambda reg=reg: manifest(reg, "v1").status_code == 401)
        assert_status(manifest(reg, "v1", auth=(user, pw)), 200)
    # the member removed on b: refused on a and c
    assert_status(b.session().delete(api(b, f"/projects/{project}/members/{member}")), 200)
    for reg in (a, c):
        within(COHERENT_WITHIN, lambda reg=reg: manifest(reg, "v1", (user, pw)).status_code
               in (401, 403))
    # v1 moved to img2 on c: a and b serve img2 under v1
    assert_status(c.push_manifest(f"{project}/app", "v1", img2.manifest), 201)
    for reg in (a, b):
        within(COHERENT_WITHIN, lambda reg=reg: manifest(reg, "v1", a.auth).content
               == img2.manifest)
    # v2 deleted on a: gone on b and c
    assert_status(a.session().delete(api(
        a, f"/projects/{project}/repositories/app/artifacts/{img2.digest}/tags/v2")), 200)
    for reg in (b, c):
        within(COHERENT_WITHIN, lambda reg=reg: manifest(reg, "v2", a.auth).status_code == 404)


# ---------------------------------------------------------------- once per cluster


def test_the_upload_purge_runs_on_one_node_at_a_time(tmp_path):
    """With uploads idle for a second purged, stale uploads opened at every node are purged,
    by one node only; once that node dies another takes the purge over."""
    regs = start_cluster(tmp_path, env={"HAVEN_UPLOAD_TTL": "1"})
    runs = "this node runs the upload purge of the cluster"
    try:
        def purgers(nodes):
            return [reg for reg in nodes if runs in reg.log_text()]

        within(5, lambda: len(purgers(regs)) == 1)
        holder = purgers(regs)[0]
        for _ in range(3):
            urls = [reg.start_upload("library/stale") for reg in regs]
            for reg, url in zip(regs, urls):
                within(5, lambda reg=reg, url=url: reg.session().get(url).status_code == 404)
        time.sleep(1.5)  # more purge rounds on every node
        assert purgers(regs) == [holder]
        purged = [reg for reg in regs if "purging idle upload" in reg.log_text()]
        assert purged == [holder]

        holder.kill()
        others = [reg for reg in regs if reg is not holder]
        within(5, lambda: len(purgers(others)) == 1)
        successor = purgers(others)[0]
        url = successor.start_upload("library/stale")
        within(5, lambda: successor.session().get(url).status_code == 404)
        assert "purging idle upload" in successor.log_text()
        assert purgers(others) == [successor]
    finally:
        stop_cluster(regs)


# ---------------------------------------------------------------- runs one at a time


def test_one_run_at_a_time_when_every_node_is_asked_at_once(cluster):
    """A retention policy's run and a garbage collection, asked of every node at the same
    moment (two requests each), start once: the database refuses the others (409) while
    that one is Pending."""
    a = cluster[0]
    admin = a.session()
    project = unique_name("once")
    assert_status(admin.post(api(a, "/projects"), json={"project_name": project}), 201)
    a.push_image(f"{project}/app", tag="v1", seed=4101)
    pid = admin.get(api(a, f"/projects/{project}")).json()["project_id"]
    r = admin.post(api(a, "/retentions"), json={
        "algorithm": "or", "trigger": {"kind": "Schedule", "settings": {"cron": ""}},
        "scope": {"level": "project", "ref": pid},
        "rules": [{"action": "retain", "template": "always", "params": {},
                   "tag_selectors": [{"kind": "doublestar", "decoration": "matches",
                                      "pattern": "**"}],
                   "scope_selectors": {"repository": [{"kind": "doublestar",
                                                       "decoration": "repoMatches",
                                                       "pattern": "**"}]}}]})
    assert_status(r, 201)
    policy = r.headers["Location"].rsplit("/", 1)[1]
    kinds = [("RETENTION", f"/retentions/{policy}/executions", {"dry_run": True},
              f"retention policy {policy} is already running"),
             ("GARBAGE_COLLECTION", "/system/gc/schedule",
              {"schedule": {"type": "Manual"}, "parameters": {"dry_run": True}},
              "a garbage collection is already running")]
    for queue, _, _, _ in kinds:
        assert_status(admin.put(api(a, f"/jobservice/queues/{queue}"),
                                json={"action": "pause"}), 200)
    try:
        for queue, path, body, message in kinds:
            sessions = [(reg, reg.session()) for reg in cluster for _ in range(2)]
            barrier = threading.Barrier(len(sessions))
            answers = []

            def post(reg, s, path=path, body=body, barrier=barrier, answers=answers):
                barrier.wait()
                answers.append(s.post(api(reg, path), json=body))

            threads = [threading.Thread(target=post, args=pair) for pair in sessions]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            codes = sorted(r.status_code for r in answers)
            assert codes == [201] + [409] * (len(sessions) - 1), [r.text for r in answers]
            assert all(message in r.text for r in answers if r.status_code == 409)
    finally:
        for queue, _, _, _ in kinds:
            assert_status(admin.put(api(a, f"/jobservice/queues/{queue}"),
                                    json={"action": "resume"}), 200)
    executions = admin.get(api(a, f"/retentions/{policy}/executions")).json()
    assert len(executions) == 1
    gc = admin.get(api(a, "/system/gc")).json()
    assert len([x for x in gc if '"dry_run":true' in x["job_parameters"]]) == 1


# ---------------------------------------------------------------- the shared secret


def test_a_node_with_another_secret_key_is_refused(cluster):
    """Its key does not open the database's secrets: the start stops with a message that
    names secret_key, rather than the node signing with a key of its own."""
    a = cluster[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    env.update(a.storage_env())
    env.update({"HAVEN_DATABASE_URL": a.database_url, "HAVEN_SECRET_KEY": "42" * 32,
                "HAVEN_ADMIN_PASSWORD": a.password})
    r = subprocess.run([str(havend_path()), "--listen", f"127.0.0.1:{havenlib.free_port()}",
                        "--data", str(a.workdir / "intruder")], env=env, capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode != 0
    assert "secret_key does not open the secrets stored in the database" in r.stderr, r.stderr
    assert "another secret_key" in r.stderr
    assert "42" * 32 not in r.stderr + r.stdout
    # the others go on unharmed
    assert_status(a.session().get(a.v2("")), 200)
