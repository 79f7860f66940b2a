"""Online garbage collection: /system/gc (runs with sort and paging, one run, its log, stop)
and /system/gc/schedule (Manual runs now; Hourly/Daily/Weekly/Custom set the schedule, None
removes it).  What it deletes: blobs of deleted artifacts and blobs uploaded but never used,
once gc_grace_period has passed, from the store as well as the database, with the quota
refunded; with delete_untagged, untagged artifacts, but not the accessories of artifacts that
are there; `workers` threads remove the files; a dry run deletes nothing and reports what the
run then deletes.  Pushes go on
during a run and every image they acknowledged pulls byte-identical after; a run killed -9
is finished by the node that takes it over, and leaves no row naming missing bytes."""

import random
import re
import threading
import time

import pytest

import havenlib
from havenlib import (OCI_CONFIG, OCI_EMPTY, OCI_LAYER, OCI_MANIFEST, assert_status,
                      canonical, descriptor, digest_of)

FAST = {"HAVEN_JOB_POLL_INTERVAL": "50", "HAVEN_JOB_LEASE": "2"}


def api(reg, path):
    return f"{reg.url}/api/v2.0{path}"


def run_gc(reg, dry_run=False, delete_untagged=False, wait=True):
    r = reg.session().post(api(reg, "/system/gc/schedule"), json={
        "schedule": {"type": "Manual"},
        "parameters": {"delete_untagged": delete_untagged, "dry_run": dry_run, "workers": 1}})
    assert_status(r, 201)
    m = re.fullmatch(r"/api/v2.0/system/gc/(\d+)", r.headers["Location"])
    assert m, r.headers["Location"]
    gc_id = int(m.group(1))
    return wait_gc(reg, gc_id) if wait else gc_id


def wait_gc(reg, gc_id, timeout=120):
    return havenlib.wait_execution(reg, "/system/gc", gc_id, timeout)


def gc_log(reg, gc_id):
    return havenlib.execution_log(reg, "/system/gc", gc_id)


def summary(text):
    """(artifacts, blobs, bytes) of a run's log, a dry run's or a real one's."""
    m = re.search(r"(?:would delete|deleted) (\d+) artifact\(s\) and (\d+) blob\(s\), "
                  r"freeing (\d+) byte\(s\)", text)
    assert m, text
    return tuple(int(g) for g in m.groups())


def stored(reg, digest):
    return reg.blob_path(digest).exists()


def quota_used(reg):
    r = reg.session().get(api(reg, "/projects/library/summary"))
    assert_status(r, 200)
    return r.json()["quota"]["used"]["storage"]


def pulls_identical(reg, image):
    s = reg.session()
    r = s.get(reg.v2(f"{image.repo}/manifests/{image.digest}"),
              headers={"Accept": OCI_MANIFEST})
    assert_status(r, 200)
    assert r.content == image.manifest
    for blob in [image.config] + image.layers:
        r = s.get(reg.v2(f"{image.repo}/blobs/{digest_of(blob)}"))
        assert_status(r, 200)
        assert r.content == blob


def delete_manifest(reg, repo, digest):
    assert_status(reg.session().delete(reg.v2(f"{repo}/manifests/{digest}")), 202)


def test_deleted_and_unused_blobs_are_collected(start_registry):
    reg = start_registry({"HAVEN_GC_GRACE_PERIOD": "1", **FAST})
    keep = reg.push_image(reg.new_repo("keep"), "v1", layers=2, seed=101)
    gone = reg.push_image(reg.new_repo("gone"), "v1", layers=1, seed=102)
    delete_manifest(reg, gone.repo, gone.digest)
    unused = random.Random(103).randbytes(4096)
    unused_digest = reg.push_blob(keep.repo, unused)
    used_before = quota_used(reg)
    time.sleep(1.5)
    run = run_gc(reg)
    assert run["job_status"] == "Success" and run["job_kind"] == "MANUAL"
    gone_blobs = [gone.manifest, gone.config] + gone.layers
    assert summary(gc_log(reg, run["id"])) == (
        0, len(gone_blobs) + 1, sum(len(b) for b in gone_blobs) + len(unused))
    for blob in gone_blobs + [unused]:
        assert not stored(reg, digest_of(blob))
    havenlib.assert_error(reg.session().get(reg.v2(f"{keep.repo}/blobs/{unused_digest}")),
                          404, "BLOB_UNKNOWN")
    assert quota_used(reg) == used_before - len(unused)
    pulls_identical(reg, keep)
    # nothing left to do
    assert summary(gc_log(reg, run_gc(reg)["id"])) == (0, 0, 0)


def test_workers_remove_every_file(start_registry):
    reg = start_registry({"HAVEN_GC_GRACE_PERIOD": "1", **FAST})
    repo = reg.new_repo("workers")
    blobs = [random.Random(150 + i).randbytes(512) for i in range(150)]
    for blob in blobs:
        reg.push_blob(repo, blob)
    time.sleep(1.5)
    r = reg.session().post(api(reg, "/system/gc/schedule"), json={
        "schedule": {"type": "Manual"}, "parameters": {"workers": 4}})
    assert_status(r, 201)
    run = wait_gc(reg, int(r.headers["Location"].rsplit("/", 1)[1]))
    assert run["job_status"] == "Success"
    log = gc_log(reg, run["id"])
    assert "workers=4" in log
    assert summary(log) == (0, len(blobs), sum(len(b) for b in blobs))
    assert f"{len(blobs)} blob file(s) removed from storage" in log
    assert not any(stored(reg, digest_of(b)) for b in blobs)


def test_dry_run_counts_what_the_run_deletes(start_registry):
    """Blobs shared by two projects, one of which deleted its image, are kept; those only
    the deleted image used, and a blob never used, go: the dry run counts exactly those."""
    reg = start_registry({"HAVEN_GC_GRACE_PERIOD": "1", **FAST})
    for name in ("gcdry-a", "gcdry-b"):
        reg.create_project(name, public=False)
    shared_a = reg.push_image("gcdry-a/app", "v1", layers=2, seed=160)
    shared_b = reg.push_image("gcdry-b/app", "v1", layers=2, seed=160)  # the same blobs
    only_a = reg.push_image("gcdry-a/other", "v1", layers=1, seed=161)
    unused = random.Random(162).randbytes(3000)
    reg.push_blob("gcdry-b/app", unused)
    delete_manifest(reg, shared_a.repo, shared_a.digest)
    delete_manifest(reg, only_a.repo, only_a.digest)
    time.sleep(1.5)
    gone = [only_a.manifest, only_a.config] + only_a.layers + [unused]
    expected = (0, len(gone), sum(len(b) for b in gone))

    dry = run_gc(reg, dry_run=True)
    assert summary(gc_log(reg, dry["id"])) == expected
    assert all(stored(reg, digest_of(b)) for b in gone)
    log = gc_log(reg, run_gc(reg)["id"])
    assert summary(log) == expected
    assert not any(stored(reg, digest_of(b)) for b in gone)
    pulls_identical(reg, shared_b)
    assert summary(gc_log(reg, run_gc(reg, dry_run=True)["id"])) == (0, 0, 0)


def test_grace_period_keeps_recent_blobs(start_registry):
    reg = start_registry(FAST)  # the default grace period: two hours
    repo = reg.new_repo("fresh")
    blob = random.Random(201).randbytes(2048)
    reg.push_blob(repo, blob)
    log = gc_log(reg, run_gc(reg)["id"])
    assert summary(log) == (0, 0, 0) and "grace period 7200 s" in log
    assert stored(reg, digest_of(blob))


def push_accessory(reg, repo, subject):
    """An untagged accessory (an artifact whose subject is `subject`); returns its digest."""
    layer = b"signature of " + subject.digest.encode()
    reg.push_blob(repo, b"{}")
    reg.push_blob(repo, layer)
    manifest = canonical({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/x-test-sig",
        "config": descriptor(OCI_EMPTY, b"{}"), "layers": [descriptor(OCI_LAYER, layer)],
        "subject": subject.descriptor()})
    d = digest_of(manifest)
    assert_status(reg.push_manifest(repo, d, manifest), 201)
    return d


def test_dry_run_then_delete_untagged(start_registry):
    reg = start_registry({"HAVEN_GC_GRACE_PERIOD": "0", **FAST})
    repo = reg.new_repo("untagged")
    old = reg.push_image(repo, "v1", layers=1, seed=301)
    new = reg.push_image(repo, "v1", layers=1, seed=302)  # the tag moves: old is untagged
    accessory = push_accessory(reg, repo, new)
    used_before = quota_used(reg)
    old_blobs = [old.manifest, old.config] + old.layers
    expected = (1, len(old_blobs), sum(len(b) for b in old_blobs))

    dry = run_gc(reg, dry_run=True, delete_untagged=True)
    assert dry["job_status"] == "Success"
    assert '"dry_run":true' in dry["job_parameters"]
    log = gc_log(reg, dry["id"])
    assert "dry run, nothing deleted" in log and summary(log) == expected
    assert_status(reg.session().get(reg.v2(f"{repo}/manifests/{old.digest}"),
                                    headers={"Accept": OCI_MANIFEST}), 200)
    assert all(stored(reg, digest_of(b)) for b in old_blobs)
    assert quota_used(reg) == used_before

    real = run_gc(reg, delete_untagged=True)
    log = gc_log(reg, real["id"])
    assert summary(log) == expected
    assert f"deleted untagged artifact {repo}@{old.digest}" in log
    havenlib.assert_error(reg.session().get(reg.v2(f"{repo}/manifests/{old.digest}"),
                                            headers={"Accept": OCI_MANIFEST}),
                          404, "MANIFEST_UNKNOWN")
    assert not any(stored(reg, digest_of(b)) for b in old_blobs)
    assert_status(reg.session().get(reg.v2(f"{repo}/manifests/{accessory}"),
                                    headers={"Accept": OCI_MANIFEST}), 200)
    pulls_identical(reg, new)
    assert quota_used(reg) == used_before - expected[2]
    # the deletion was an event like any other: the audit log has it
    r = reg.session().get(api(reg, "/audit-logs"), params={"page_size": 100})
    assert any(e["operation"] == "delete" and old.digest in e["resource"] for e in r.json())


def test_schedule(start_registry):
    reg = start_registry(FAST)
    s = reg.session()
    url = api(reg, "/system/gc/schedule")
    assert s.get(url).json() == {}
    r = s.post(url, json={"schedule": {"type": "Daily"},
                          "parameters": {"delete_untagged": True, "workers": 3}})
    assert_status(r, 201)
    assert r.headers["Location"] == "/api/v2.0/system/gc/0"
    got = s.get(url).json()
    assert got["schedule"]["type"] == "Daily" and got["schedule"]["cron"] == "0 0 0 * * *"
    assert got["schedule"]["next_scheduled_time"].endswith("T00:00:00.000Z")
    assert got["parameters"] == {"delete_untagged": True, "dry_run": False, "workers": 3}
    # the seed's five-field cron: 02:00 on Saturdays
    assert_status(s.put(url, json={"schedule": {"type": "Custom", "cron": "0 2 * * 6"}}), 200)
    got = s.get(url).json()
    assert got["schedule"]["cron"] == "0 2 * * 6"
    nxt = time.strptime(got["schedule"]["next_scheduled_time"][:19], "%Y-%m-%dT%H:%M:%S")
    assert nxt.tm_wday == 5 and (nxt.tm_hour, nxt.tm_min, nxt.tm_sec) == (2, 0, 0)
    for body, why in [({"schedule": {"type": "Custom", "cron": "0 0 25 * * *"}}, "invalid cron"),
                      ({"schedule": {"type": "Custom"}}, "needs a cron"),
                      ({"schedule": {"type": "Yearly"}}, "invalid schedule type"),
                      ({"schedule": {"type": "Manual"}, "parameters": {"workers": 6}},
                       "workers must be between 1 and 5"),
                      ({"parameters": {}}, "schedule is required"),
                      ({"schedule": {"type": "Manual"}, "parameters": {"dry_run": "maybe"}},
                       "dry_run")]:
        r = s.put(url, json=body)
        havenlib.assert_error(r, 400, "BAD_REQUEST")
        assert why in r.text, (body, r.text)
    assert s.get(url).json()["schedule"]["cron"] == "0 2 * * 6"
    assert_status(s.put(url, json={"schedule": {"type": "None"}}), 200)
    assert s.get(url).json() == {}


def test_history_log_stop_and_permissions(start_registry):
    reg = start_registry(FAST)
    s = reg.session()
    ids = [run_gc(reg)["id"] for _ in range(3)]
    r = s.get(api(reg, "/system/gc"), params={"page_size": 2})
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "3"
    assert [x["id"] for x in r.json()] == ids[::-1][:2]
    r = s.get(api(reg, "/system/gc"), params={"sort": "creation_time", "page": 2, "page_size": 2})
    assert [x["id"] for x in r.json()] == ids[2:]
    one = s.get(api(reg, f"/system/gc/{ids[0]}")).json()
    assert one["job_name"] == "GARBAGE_COLLECTION" and one["job_status"] == "Success"
    assert one["schedule"] == {"type": "Manual", "cron": ""} and one["deleted"] is False
    assert "GC job ran successfully" in gc_log(reg, ids[0])
    havenlib.assert_error(s.get(api(reg, "/system/gc/99999")), 404, "NOT_FOUND")
    havenlib.assert_error(s.get(api(reg, "/system/gc/99999/log")), 404, "NOT_FOUND")
    # one run at a time; a waiting run is stopped at once
    queue = api(reg, "/jobservice/queues/GARBAGE_COLLECTION")
    assert_status(s.put(queue, json={"action": "pause"}), 200)
    waiting = run_gc(reg, wait=False)
    r = s.post(api(reg, "/system/gc/schedule"), json={"schedule": {"type": "Manual"}})
    havenlib.assert_error(r, 409, "CONFLICT")
    assert_status(s.put(api(reg, f"/system/gc/{waiting}")), 200)
    assert wait_gc(reg, waiting)["job_status"] == "Stopped"
    assert_status(s.put(queue, json={"action": "resume"}), 200)
    assert_status(s.put(api(reg, f"/system/gc/{ids[0]}")), 200)  # finished: stays as it is
    assert s.get(api(reg, f"/system/gc/{ids[0]}")).json()["job_status"] == "Success"
    # system administrators only
    r = s.post(api(reg, "/users"), json={"username": "gc-user", "email": "gc@example.com",
                                         "realname": "G C", "password": "Passw0rd-Gc"})
    assert_status(r, 201)
    user = reg.session(auth=("gc-user", "Passw0rd-Gc"))
    for method, path in [("GET", "/system/gc"), ("GET", f"/system/gc/{ids[0]}"),
                         ("GET", f"/system/gc/{ids[0]}/log"), ("PUT", f"/system/gc/{ids[0]}"),
                         ("GET", "/system/gc/schedule"), ("POST", "/system/gc/schedule")]:
        r = user.request(method, api(reg, path), json={"schedule": {"type": "Manual"}})
        havenlib.assert_error(r, 403, "FORBIDDEN")


def test_pushes_during_gc_all_pull_identical(start_registry):
    # a grace period longer than any push here takes, and garbage older than it
    reg = start_registry({"HAVEN_GC_GRACE_PERIOD": "600", **FAST})
    garbage = []
    for i in range(10):
        img = reg.push_image(reg.new_repo("garbage"), "t", layers=2, seed=400 + i)
        delete_manifest(reg, img.repo, img.digest)
        garbage.append(img)
    with reg.db() as db:
        db.execute("UPDATE blob SET last_ref = last_ref - 3600000")
    acknowledged, failures = [], []
    lock = threading.Lock()

    def pusher(n):
        repo = f"library/concurrent-{n}"
        for k in range(3):
            try:
                img = reg.push_image(repo, f"v{k}", layers=2, seed=5000 + 10 * n + k)
                with lock:
                    acknowledged.append(img)
            except BaseException as e:  # assert_status raises AssertionError
                with lock:
                    failures.append(f"{repo}: {e}")

    threads = [threading.Thread(target=pusher, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    runs = []
    while any(t.is_alive() for t in threads) or not runs:
        r = reg.session().post(api(reg, "/system/gc/schedule"), json={
            "schedule": {"type": "Manual"}, "parameters": {"delete_untagged": True}})
        if r.status_code == 201:
            runs.append(int(r.headers["Location"].rsplit("/", 1)[1]))
        else:
            havenlib.assert_error(r, 409, "CONFLICT")
        time.sleep(0.1)
    for t in threads:
        t.join()
    results = [wait_gc(reg, i) for i in runs]
    assert all(x["job_status"] == "Success" for x in results), results
    assert not failures, failures
    assert len(acknowledged) == 48
    for img in acknowledged:
        pulls_identical(reg, img)
    for img in garbage:
        assert not stored(reg, img.digest)
        assert not any(stored(reg, digest_of(b)) for b in img.layers)


def test_kill_during_gc_then_the_run_is_finished(start_registry):
    reg = start_registry({"HAVEN_GC_GRACE_PERIOD": "0", **FAST})
    repo = reg.new_repo("crash")
    rnd = random.Random(600)
    blobs = [rnd.randbytes(256) for _ in range(800)]
    digests = [digest_of(b) for b in blobs]
    threads = [threading.Thread(target=lambda part: [reg.push_blob(repo, b) for b in part],
                                args=(blobs[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    keep = reg.push_image(repo, "keep", layers=2, seed=601)
    gc_id = run_gc(reg, wait=False)
    deadline = time.monotonic() + 30
    while reg.session().get(api(reg, f"/system/gc/{gc_id}")).json()["job_status"] != "Running":
        assert time.monotonic() < deadline
        time.sleep(0.005)
    time.sleep(0.2)
    reg.kill()
    assert any(stored(reg, d) for d in digests), "the run ended before the kill"
    reg.start({"HAVEN_GC_GRACE_PERIOD": "0", **FAST})
    # the run whose node died is taken over once its lease runs out, and finished
    first = wait_gc(reg, gc_id)
    assert first["job_status"] == "Success"
    text = gc_log(reg, gc_id)
    assert "attempt 2 of 3" in text
    second = run_gc(reg)
    assert second["job_status"] == "Success"
    assert summary(gc_log(reg, second["id"])) == (0, 0, 0)
    assert not any(stored(reg, d) for d in digests)
    pulls_identical(reg, keep)
    # no row names missing bytes, no tombstone is left
    with reg.db(read_only=True) as db:
        rows = [r[0] for r in db.execute("SELECT digest FROM blob").fetchall()]
        assert db.execute("SELECT count(*) FROM blob_tombstone").fetchone()[0] == 0
    assert rows and all(stored(reg, d) for d in rows)
    assert not set(digests) & set(rows)
