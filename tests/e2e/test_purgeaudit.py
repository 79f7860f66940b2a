"""Audit-log purge: /system/purgeaudit (runs with sort and paging, one run, its log, stop) and
/system/purgeaudit/schedule with Harbor's parameters audit_retention_hour, include_operations
and dry_run.  A run deletes exactly the rows older than the retention whose operation it
includes, in batches of 10,000; a dry run deletes nothing and says how many rows it would.
Old rows are written straight into the database (the API records only the present)."""

import re
import time

import havenlib
from havenlib import assert_status

FAST = {"HAVEN_JOB_POLL_INTERVAL": "50", "HAVEN_JOB_LEASE": "2"}
HOUR_MS = 3600 * 1000


def api(reg, path):
    return f"{reg.url}/api/v2.0{path}"


def purge(reg, hours, ops=None, dry_run=False, wait=True):
    params = {"audit_retention_hour": hours, "dry_run": dry_run}
    if ops is not None:
        params["include_operations"] = ops
    r = reg.session().post(api(reg, "/system/purgeaudit/schedule"),
                           json={"schedule": {"type": "Manual"}, "parameters": params})
    assert_status(r, 201)
    m = re.fullmatch(r"/api/v2.0/system/purgeaudit/(\d+)", r.headers["Location"])
    assert m, r.headers["Location"]
    return wait_run(reg, int(m.group(1))) if wait else int(m.group(1))


def wait_run(reg, run_id):
    return havenlib.wait_execution(reg, "/system/purgeaudit", run_id)


def run_log(reg, run_id):
    return havenlib.execution_log(reg, "/system/purgeaudit", run_id)


def add_rows(reg, rows):
    """rows: (resource, operation, age in hours)."""
    now = int(time.time() * 1000)
    with reg.db() as db:
        db.executemany("INSERT INTO audit_log (project_id, username, resource, resource_type,"
                       " operation, op_time) VALUES (0, 'old', ?, 'artifact', ?, ?)",
                       [(res, op, now - int(age * HOUR_MS)) for res, op, age in rows])


def resources(reg):
    with reg.db(read_only=True) as db:
        return sorted(r[0] for r in db.execute("SELECT resource FROM audit_log "
                                               "WHERE username = 'old'"))


def test_purge_deletes_old_rows_of_the_included_operations(start_registry):
    reg = start_registry(FAST)
    add_rows(reg, [("a/old-create", "create", 48), ("a/old-pull", "pull", 48),
                   ("a/old-delete", "delete", 30), ("a/new-create", "create", 10),
                   ("a/new-pull", "pull", 1)])
    # a project created now is recorded (an entry of the present, which stays)
    assert_status(reg.session().post(api(reg, "/projects"),
                                     json={"project_name": "kept", "metadata": {}}), 201)
    dry = purge(reg, 24, "create,pull", dry_run=True)
    assert dry["job_status"] == "Success" and dry["job_name"] == "PURGE_AUDIT_LOG"
    assert "would purge 2 row(s)" in run_log(reg, dry["id"])
    assert len(resources(reg)) == 5
    done = purge(reg, 24, "create, pull")
    assert done["job_status"] == "Success"
    assert "purged 2 row(s) in 1 batch(es)" in run_log(reg, done["id"])
    assert resources(reg) == ["a/new-create", "a/new-pull", "a/old-delete"]
    # the parameters as the run keeps them, canonical
    assert '"include_operations":"create,pull"' in done["job_parameters"].replace(" ", "")
    # without include_operations: every operation
    done = purge(reg, 5)
    assert "purged 2 row(s)" in run_log(reg, done["id"])
    assert resources(reg) == ["a/new-pull"]
    r = reg.session().get(api(reg, "/audit-logs"), params={"q": "resource=kept"})
    assert [x["operation"] for x in r.json()] == ["create"]


def test_millions_go_in_batches(start_registry):
    reg = start_registry(FAST)
    add_rows(reg, [(f"b/r{i}", "pull", 100) for i in range(25000)])
    done = purge(reg, 24, "pull")
    assert "purged 25000 row(s) in 3 batch(es)" in run_log(reg, done["id"])
    assert resources(reg) == []


def test_schedule_and_bad_parameters(start_registry):
    reg = start_registry(FAST)
    s = reg.session()
    url = api(reg, "/system/purgeaudit/schedule")
    assert s.get(url).json() == {}
    r = s.post(url, json={"schedule": {"type": "Daily"},
                          "parameters": {"audit_retention_hour": 168,
                                         "include_operations": "delete,create"}})
    assert_status(r, 201)
    got = s.get(url).json()
    assert got["schedule"]["type"] == "Daily" and got["schedule"]["cron"] == "0 0 0 * * *"
    assert got["parameters"] == {"audit_retention_hour": 168, "include_operations":
                                 "create,delete", "dry_run": False}
    assert_status(s.put(url, json={"schedule": {"type": "Custom", "cron": "0 2 * * 6"},
                                   "parameters": {"audit_retention_hour": 24}}), 200)
    assert s.get(url).json()["schedule"]["cron"] == "0 2 * * 6"
    for body, why in [({"schedule": {"type": "Manual"}}, "audit_retention_hour"),
                      ({"schedule": {"type": "Manual"}, "parameters": {"audit_retention_hour": 0}},
                       "at least 1"),
                      ({"schedule": {"type": "Manual"},
                        "parameters": {"audit_retention_hour": 1,
                                       "include_operations": "create,frobnicate"}},
                       "frobnicate"),
                      ({"schedule": {"type": "Manual"},
                        "parameters": {"audit_retention_hour": 1, "include_operations": ""}},
                       "names no operation"),
                      ({"schedule": {"type": "Manual"},
                        "parameters": {"audit_retention_hour": "24"}}, "must be an integer"),
                      ({"schedule": {"type": "Custom"},
                        "parameters": {"audit_retention_hour": 1}}, "cron"),
                      ({"schedule": {"type": "Manual"},
                        "parameters": {"audit_retention_hour": 1, "dry_run": "maybe"}},
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
    ids = [purge(reg, 1)["id"] for _ in range(3)]
    r = s.get(api(reg, "/system/purgeaudit"), params={"page_size": 2})
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "3"
    assert [x["id"] for x in r.json()] == ids[::-1][:2]
    r = s.get(api(reg, "/system/purgeaudit"),
              params={"sort": "creation_time", "page": 2, "page_size": 2})
    assert [x["id"] for x in r.json()] == ids[2:]
    one = s.get(api(reg, f"/system/purgeaudit/{ids[0]}")).json()
    assert one["schedule"] == {"type": "Manual", "cron": ""} and one["job_kind"] == "MANUAL"
    assert "purged 0 row(s)" in run_log(reg, ids[0])
    havenlib.assert_error(s.get(api(reg, "/system/purgeaudit/99999")), 404, "NOT_FOUND")
    # the runs of garbage collection are not purge runs
    havenlib.assert_error(s.get(api(reg, "/system/gc/" + str(ids[0]))), 404, "NOT_FOUND")
    # one run at a time; a waiting run is stopped at once
    queue = api(reg, "/jobservice/queues/PURGE_AUDIT_LOG")
    assert_status(s.put(queue, json={"action": "pause"}), 200)
    waiting = purge(reg, 1, wait=False)
    r = s.post(api(reg, "/system/purgeaudit/schedule"),
               json={"schedule": {"type": "Manual"}, "parameters": {"audit_retention_hour": 1}})
    havenlib.assert_error(r, 409, "CONFLICT")
    assert_status(s.put(api(reg, f"/system/purgeaudit/{waiting}")), 200)
    assert wait_run(reg, waiting)["job_status"] == "Stopped"
    assert_status(s.put(queue, json={"action": "resume"}), 200)
    r = s.post(api(reg, "/users"), json={"username": "pa-user", "email": "pa@example.com",
                                         "realname": "P A", "password": "Passw0rd-Pa"})
    assert_status(r, 201)
    user = reg.session(auth=("pa-user", "Passw0rd-Pa"))
    for method, path in [("GET", "/system/purgeaudit"), ("GET", f"/system/purgeaudit/{ids[0]}"),
                         ("GET", f"/system/purgeaudit/{ids[0]}/log"),
                         ("PUT", f"/system/purgeaudit/{ids[0]}"),
                         ("GET", "/system/purgeaudit/schedule"),
                         ("POST", "/system/purgeaudit/schedule")]:
        r = user.request(method, api(reg, path), json={"schedule": {"type": "Manual"}})
        havenlib.assert_error(r, 403, "FORBIDDEN")
