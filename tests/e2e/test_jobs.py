"""The jobs engine through the API: /jobservice (pools, workers, a job's log, stopping a job,
queues paused, resumed and stopped per job type), /schedules, retries with backoff up to the
attempt limit, logs that outlive a restart, a job whose daemon is killed -9 taken over once its
lease runs out, a missed schedule firing run once after downtime, and (on PostgreSQL) a
schedule firing once however many nodes watch it.

Jobs to watch come from HAVEN_TEST_SLEEP, the test-only job type that the setting
test_job_kinds adds (it sleeps `ms`, fails its first `fail` attempts), started with
POST /jobservice/jobs."""

import os
import re
import threading
import time

import pytest

import havenlib
from havenlib import Registry, assert_status

JOB_ENV = {"HAVEN_TEST_JOB_KINDS": "true", "HAVEN_JOB_POLL_INTERVAL": "50",
           "HAVEN_JOB_LEASE": "2", "HAVEN_JOB_WORKERS": "3"}


def api(reg, path):
    return f"{reg.url}/api/v2.0{path}"


def start_job(reg, ms=0, fail=0):
    r = reg.session().post(api(reg, "/jobservice/jobs"),
                           json={"job_type": "HAVEN_TEST_SLEEP",
                                 "parameters": {"ms": ms, "fail": fail}})
    assert_status(r, 201)
    assert r.headers["Location"] == f"/api/v2.0/jobservice/jobs/{r.json()['id']}"
    return r.json()["id"]


def job(reg, job_id):
    r = reg.session().get(api(reg, f"/jobservice/jobs/{job_id}"))
    assert_status(r, 200)
    return r.json()


def wait_job(reg, job_id, states, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        j = job(reg, job_id)
        if j["status"] in states:
            return j
        assert time.monotonic() < deadline, f"job {job_id} stayed {j['status']}: {j}"
        time.sleep(0.05)


def job_log(reg, job_id):
    r = reg.session().get(api(reg, f"/jobservice/jobs/{job_id}/log"))
    assert_status(r, 200)
    assert r.headers["Content-Type"].startswith("text/plain")
    return r.text


@pytest.fixture
def reg(start_registry):
    return start_registry(JOB_ENV)


def test_pools_and_workers(reg):
    s = reg.session()
    pools = s.get(api(reg, "/jobservice/pools")).json()
    assert len(pools) == 1
    pool = pools[0]
    assert pool["concurrency"] == 3 and pool["pid"] > 0 and pool["host"]
    job_id = start_job(reg, ms=3000)
    wait_job(reg, job_id, {"Running"})
    for pool_id in (pool["worker_pool_id"], "all"):
        r = s.get(api(reg, f"/jobservice/pools/{pool_id}/workers"))
        assert_status(r, 200)
        workers = r.json()
        assert len(workers) == 3
        busy = [w for w in workers if w["job_id"]]
        assert [(w["job_id"], w["job_name"]) for w in busy] == [(str(job_id), "HAVEN_TEST_SLEEP")]
        assert busy[0]["pool_id"] == pool["worker_pool_id"] and busy[0]["start_at"]
    r = s.get(api(reg, "/jobservice/pools/no-such-pool/workers"))
    havenlib.assert_error(r, 404, "NOT_FOUND")
    assert_status(s.put(api(reg, f"/jobservice/jobs/{job_id}")), 200)
    wait_job(reg, job_id, {"Stopped"})


def test_retries_with_backoff_then_success_and_log_survives_restart(reg):
    job_id = start_job(reg, ms=100, fail=2)
    j = wait_job(reg, job_id, {"Success", "Error"})
    assert j["status"] == "Success" and j["run_count"] == 3
    text = job_log(reg, job_id)
    for n in (1, 2, 3):
        assert f"attempt {n} of 3" in text
    assert text.count("attempt failed: attempt") == 2
    assert "retrying in 200 ms" in text and "retrying in 400 ms" in text
    assert text.rstrip().endswith("[INFO] done")
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[INFO\] ", text)
    reg.stop()
    reg.start(JOB_ENV)
    assert job_log(reg, job_id) == text


def test_attempt_limit(reg):
    job_id = start_job(reg, fail=5)
    j = wait_job(reg, job_id, {"Success", "Error"})
    assert j["status"] == "Error" and j["run_count"] == 3
    assert j["status_message"] == "attempt 3 fails on request"
    assert "failed: attempt 3 fails on request" in job_log(reg, job_id)


def test_stop_running_and_finished_jobs(reg):
    s = reg.session()
    job_id = start_job(reg, ms=20000)
    wait_job(reg, job_id, {"Running"})
    t0 = time.monotonic()
    assert_status(s.put(api(reg, f"/jobservice/jobs/{job_id}")), 200)
    j = wait_job(reg, job_id, {"Stopped", "Success", "Error"})
    assert j["status"] == "Stopped" and time.monotonic() - t0 < 5
    assert "stopped on request" in job_log(reg, job_id)
    # a finished job stays as it is; an unknown one is 404
    assert_status(s.put(api(reg, f"/jobservice/jobs/{job_id}")), 200)
    assert job(reg, job_id)["status"] == "Stopped"
    havenlib.assert_error(s.put(api(reg, "/jobservice/jobs/999999")), 404, "NOT_FOUND")
    havenlib.assert_error(s.get(api(reg, "/jobservice/jobs/999999/log")), 404, "NOT_FOUND")


def queue(reg, kind):
    r = reg.session().get(api(reg, "/jobservice/queues"))
    assert_status(r, 200)
    return {q["job_type"]: q for q in r.json()}.get(kind)


def test_queues_pause_resume_stop(reg):
    s = reg.session()
    url = api(reg, "/jobservice/queues/HAVEN_TEST_SLEEP")
    assert queue(reg, "GARBAGE_COLLECTION") == {"job_type": "GARBAGE_COLLECTION", "count": 0,
                                                "latency": 0, "paused": False}
    assert_status(s.put(url, json={"action": "pause"}), 200)
    first = start_job(reg)
    time.sleep(1.2)
    assert job(reg, first)["status"] == "Pending"
    q = queue(reg, "HAVEN_TEST_SLEEP")
    assert q["paused"] is True and q["count"] == 1 and q["latency"] >= 1
    assert_status(s.put(url, json={"action": "resume"}), 200)
    assert wait_job(reg, first, {"Success"})["run_count"] == 1
    assert queue(reg, "HAVEN_TEST_SLEEP")["paused"] is False
    # stop: the waiting jobs of the type are Stopped, and so is the running one
    assert_status(s.put(url, json={"action": "pause"}), 200)
    waiting = start_job(reg)
    assert_status(s.put(api(reg, "/jobservice/queues/all"), json={"action": "stop"}), 200)
    assert job(reg, waiting)["status"] == "Stopped"
    assert_status(s.put(api(reg, "/jobservice/queues/all"), json={"action": "resume"}), 200)
    assert queue(reg, "HAVEN_TEST_SLEEP")["paused"] is False
    havenlib.assert_error(s.put(url, json={"action": "explode"}), 400, "BAD_REQUEST")
    havenlib.assert_error(s.put(api(reg, "/jobservice/queues/NO_SUCH_TYPE"),
                                json={"action": "pause"}), 404, "NOT_FOUND")


def test_only_test_job_types_start_through_the_api(reg):
    r = reg.session().post(api(reg, "/jobservice/jobs"),
                           json={"job_type": "GARBAGE_COLLECTION", "parameters": {}})
    havenlib.assert_error(r, 404, "NOT_FOUND")


def test_job_types_for_tests_are_off_by_default(registry):
    r = registry.session().post(api(registry, "/jobservice/jobs"),
                                json={"job_type": "HAVEN_TEST_SLEEP"})
    havenlib.assert_error(r, 404, "NOT_FOUND")


def test_admin_only(registry):
    r = registry.session().post(api(registry, "/users"), json={
        "username": "jobs-watcher", "email": "jw@example.com", "realname": "J W",
        "password": "Passw0rd-Jobs"})
    assert r.status_code in (201, 409)
    user = registry.session(auth=("jobs-watcher", "Passw0rd-Jobs"))
    anon = registry.session(auth=False)
    for path in ("/jobservice/pools", "/jobservice/pools/all/workers", "/jobservice/queues",
                 "/schedules", "/schedules/all/paused", "/jobservice/jobs/1/log"):
        havenlib.assert_error(user.get(api(registry, path)), 403, "FORBIDDEN")
        havenlib.assert_error(anon.get(api(registry, path)), 401, "UNAUTHORIZED")
    havenlib.assert_error(user.put(api(registry, "/jobservice/queues/all"),
                                   json={"action": "pause"}), 403, "FORBIDDEN")


def test_schedules_list_and_scheduler_pause(reg):
    s = reg.session()
    r = s.get(api(reg, "/schedules"))
    assert_status(r, 200)
    assert r.json() == [] and r.headers["X-Total-Count"] == "0"
    assert_status(s.put(api(reg, "/system/gc/schedule"),
                        json={"schedule": {"type": "Hourly"}}), 200)
    r = s.get(api(reg, "/schedules"))
    [task] = r.json()
    assert task["vendor_type"] == "GARBAGE_COLLECTION" and task["cron"] == "0 0 * * * *"
    assert task["next_scheduled_time"].endswith(":00:00.000Z")
    assert s.get(api(reg, "/schedules/all/paused")).json() == {"paused": False}
    assert_status(s.put(api(reg, "/jobservice/queues/SCHEDULER"), json={"action": "pause"}), 200)
    assert s.get(api(reg, "/schedules/all/paused")).json() == {"paused": True}
    assert_status(s.put(api(reg, "/jobservice/queues/SCHEDULER"), json={"action": "resume"}), 200)
    assert s.get(api(reg, "/schedules/all/paused")).json() == {"paused": False}


def gc_runs(reg, trigger=None):
    r = reg.session().get(api(reg, "/system/gc"), params={"page_size": 100})
    assert_status(r, 200)
    return [x for x in r.json() if trigger is None or x["job_kind"] == trigger]


def test_missed_firing_runs_once(reg):
    s = reg.session()
    assert_status(s.put(api(reg, "/system/gc/schedule"),
                        json={"schedule": {"type": "Hourly"}}), 200)
    reg.stop()
    # the node was down for five hours: five firings were missed
    with reg.db() as db:
        db.execute("UPDATE schedule SET next_fire_at = next_fire_at - ?", (5 * 3600 * 1000,))
    reg.start(JOB_ENV)
    deadline = time.monotonic() + 10
    while not gc_runs(reg, "SCHEDULE"):
        assert time.monotonic() < deadline, "the missed firing did not run"
        time.sleep(0.1)
    time.sleep(1.5)
    assert len(gc_runs(reg, "SCHEDULE")) == 1
    [task] = s.get(api(reg, "/schedules")).json()
    assert task["next_scheduled_time"] > time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())


def test_job_of_a_killed_node_is_taken_over(reg):
    job_id = start_job(reg, ms=2500)
    first = wait_job(reg, job_id, {"Running"})
    time.sleep(0.3)
    pool = reg.session().get(api(reg, "/jobservice/pools")).json()[0]["worker_pool_id"]
    reg.kill()
    reg.start(JOB_ENV)
    j = wait_job(reg, job_id, {"Success", "Error"}, timeout=60)
    assert j["status"] == "Success" and j["run_count"] == 2
    text = job_log(reg, job_id)
    assert f"attempt 1 of 3 on pool {pool}" in text
    second = re.findall(r"attempt 2 of 3 on pool (\S+),", text)
    assert second and second[0] != pool
    assert first["start_time"] == j["start_time"]


@pytest.mark.skipif(os.environ.get("HAVEN_E2E_DB") != "postgres",
                    reason="needs PostgreSQL: several nodes share one database")
def test_schedule_fires_once_with_two_nodes(tmp_path):
    url = havenlib.postgres.database()
    first = Registry(tmp_path / "node0")
    second = Registry(tmp_path / "node1", password=first.password)
    second.data_dir = first.data_dir
    if first.s3:
        first.storage_env()
    second.secret_key = first.secret_key  # nodes of one database share it
    for node in (first, second):
        node.database_url = url
        node.bucket = first.bucket
    first.start(JOB_ENV)
    second.start(JOB_ENV)
    try:
        pools = first.session().get(api(first, "/jobservice/pools")).json()
        assert len(pools) == 2
        assert_status(first.session().put(api(first, "/system/gc/schedule"), json={
            "schedule": {"type": "Custom", "cron": "*/2 * * * * *"}}), 200)
        time.sleep(7)
        assert_status(second.session().put(api(second, "/system/gc/schedule"),
                                           json={"schedule": {"type": "None"}}), 200)
        runs = gc_runs(first, "SCHEDULE")
        # each firing slot (the even second it was due) fired on one node, into one run:
        # however late a loaded machine makes the nodes, no slot fires twice
        slots = [slot for node in (first, second) for slot in re.findall(
            r"scheduler: GARBAGE_COLLECTION fired \(cron [^,]*, due at ([0-9T:.Z-]+)\)",
            node.log_text())]
        assert len(slots) >= 2, slots
        assert len(set(slots)) == len(slots), slots
        assert all(int(slot[17:19]) % 2 == 0 for slot in slots), slots
        assert len(runs) == len(slots), (runs, slots)
    finally:
        for node in (first, second):
            node.stop()
