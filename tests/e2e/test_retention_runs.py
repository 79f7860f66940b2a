"""Tag retention runs (harbor-api.md §1.9, §7): POST /retentions/{id}/executions runs a
policy (one task per repository a rule applies to), dry or real; the executions, their
tasks with total/retained, a task's log (Harbor's table), stop; immutable artifacts kept;
untagged artifacts; latestPushedK, nDaysSinceLastPull and label selectors; quotas fall after
a real run; a policy's cron becomes a schedule that fires; one run of a policy at a time
(409 while one is Pending or Running); tag-retention permissions."""

import json
import re
import time
import uuid

import pytest

from havenlib import assert_error, assert_status

FAST = {"HAVEN_JOB_POLL_INTERVAL": "50", "HAVEN_JOB_LEASE": "2"}
DAY_MS = 24 * 3600 * 1000


def api(reg, path):
    return f"{reg.url}/api/v2.0{path}"


def unique(prefix="rr"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def new_project(reg, admin):
    name = unique()
    assert_status(admin.post(api(reg, "/projects"),
                             json={"project_name": name, "metadata": {"public": "false"}}), 201)
    return admin.get(api(reg, f"/projects/{name}")).json()


def rule(template="latestPushedK", value=1, tags="**", repos="**", untagged=True,
         tag_selectors=None):
    return {
        "id": 0, "priority": 1, "disabled": False, "action": "retain", "template": template,
        "params": {template: value} if value is not None else {},
        "tag_selectors": tag_selectors or [{
            "kind": "doublestar", "decoration": "matches", "pattern": tags,
            "extras": '{"untagged":%s}' % ("true" if untagged else "false")}],
        "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches",
                                            "pattern": repos}]},
    }


def create_policy(reg, admin, project, rules, cron=""):
    r = admin.post(api(reg, "/retentions"), json={
        "algorithm": "or", "rules": rules,
        "trigger": {"kind": "Schedule", "settings": {"cron": cron}},
        "scope": {"level": "project", "ref": project["project_id"]}})
    assert_status(r, 201)
    return int(r.headers["Location"].rsplit("/", 1)[1])


def start(reg, session, pid, dry_run):
    r = session.post(api(reg, f"/retentions/{pid}/executions"), json={"dry_run": dry_run})
    assert_status(r, 201)
    m = re.fullmatch(rf"/api/v2.0/retentions/{pid}/executions/(\d+)", r.headers["Location"])
    assert m, r.headers["Location"]
    return int(m.group(1))


def wait(reg, admin, pid, eid, timeout=120):
    deadline = time.monotonic() + timeout
    while True:
        r = admin.get(api(reg, f"/retentions/{pid}/executions"), params={"page_size": 100})
        assert_status(r, 200)
        x = [e for e in r.json() if e["id"] == eid]
        assert len(x) == 1, r.json()
        if x[0]["status"] in ("Success", "Error", "Stopped"):
            return x[0]
        assert time.monotonic() < deadline, x[0]
        time.sleep(0.05)


def run(reg, admin, pid, dry_run):
    eid = start(reg, admin, pid, dry_run)
    x = wait(reg, admin, pid, eid)
    assert x["status"] == "Success", x
    assert x["dry_run"] is dry_run and x["trigger"] == "MANUAL" and x["policy_id"] == pid
    r = admin.get(api(reg, f"/retentions/{pid}/executions/{eid}/tasks"))
    assert_status(r, 200)
    tasks = r.json()
    logs = {}
    for t in tasks:
        assert t["execution_id"] == eid and t["status"] == "Success", t
        r = admin.get(api(reg, f"/retentions/{pid}/executions/{eid}/tasks/{t['id']}"))
        assert_status(r, 200)
        assert r.headers["Content-Type"].startswith("text/plain")
        logs[t["repository"]] = r.text
    return eid, {t["repository"]: t for t in tasks}, logs


def deleted_in(log):
    return sorted(re.findall(r"\|  (sha256:[0-9a-f]+)  \|[^\n]*\|  DEL  \|", log))


def digests(reg, admin, project, repo):
    r = admin.get(api(reg, f"/projects/{project}/repositories/{repo}/artifacts"),
                  params={"page_size": 100})
    if r.status_code == 404:
        return []
    assert_status(r, 200)
    return sorted(a["digest"] for a in r.json())


def backdate(reg, digest, push_days=0, pull_days=None):
    now = int(time.time() * 1000)
    push = now - push_days * DAY_MS
    pull = None if pull_days is None else now - pull_days * DAY_MS
    with reg.db() as db:
        db.execute("UPDATE artifact SET push_time = ?, pull_time = ? WHERE digest = ?",
                   (push, pull, digest))
        db.execute("UPDATE tag SET push_time = ? WHERE artifact_id IN"
                   " (SELECT id FROM artifact WHERE digest = ?)", (push, digest))


def quota_used(reg, admin, project):
    r = admin.get(api(reg, f"/projects/{project}/summary"))
    assert_status(r, 200)
    return r.json()["quota"]["used"]["storage"]


def test_dry_run_then_real_run_latest_pushed(registry, admin):
    p = new_project(registry, admin)
    name = p["name"]
    images = [registry.push_image(f"{name}/app", tag=f"v{i}", seed=1000 + i) for i in range(4)]
    untagged = registry.push_image(f"{name}/app", seed=1010)
    other = registry.push_image(f"{name}/other", tag="keep", seed=1011)
    for age, img in enumerate([images[3], images[2], images[1], images[0], untagged]):
        backdate(registry, img.digest, push_days=age + 1)
    pid = create_policy(registry, admin, p, [rule(value=2, repos="app")])
    before = digests(registry, admin, name, "app")
    used = quota_used(registry, admin, name)

    eid, tasks, logs = run(registry, admin, pid, dry_run=True)
    assert list(tasks) == [f"{name}/app"]  # the rule does not apply to other
    assert tasks[f"{name}/app"]["total"] == 5 and tasks[f"{name}/app"]["retained"] == 2
    would = deleted_in(logs[f"{name}/app"])
    assert would == sorted([images[0].digest, images[1].digest, untagged.digest])
    assert "Dry Run: true" in logs[f"{name}/app"]
    assert digests(registry, admin, name, "app") == before
    assert quota_used(registry, admin, name) == used

    eid2, tasks, logs = run(registry, admin, pid, dry_run=False)
    assert deleted_in(logs[f"{name}/app"]) == would
    assert digests(registry, admin, name, "app") == sorted([images[2].digest,
                                                             images[3].digest])
    assert digests(registry, admin, name, "other") == [other.digest]
    assert quota_used(registry, admin, name) < used
    r = admin.get(api(registry, f"/retentions/{pid}/executions"), params={"page_size": 1})
    assert_status(r, 200)
    assert [x["id"] for x in r.json()] == [eid2] and r.headers["X-Total-Count"] == "2"


def test_immutable_and_untagged(registry, admin):
    p = new_project(registry, admin)
    name = p["name"]
    assert_status(admin.post(api(registry, f"/projects/{name}/immutabletagrules"), json={
        "action": "immutable", "template": "immutable_template",
        "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "rel-*"}],
        "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches",
                                            "pattern": "**"}]}}), 201)
    locked = registry.push_image(f"{name}/svc", tag="rel-1", seed=1100)
    dev = registry.push_image(f"{name}/svc", tag="dev-1", seed=1101)
    loose = registry.push_image(f"{name}/svc", seed=1102)
    # keep dev-* tags only; untagged artifacts are not selected (so deleted)
    pid = create_policy(registry, admin, p, [rule("always", None, tags="dev-*", untagged=False)])
    _, tasks, logs = run(registry, admin, pid, dry_run=False)
    log = logs[f"{name}/svc"]
    assert deleted_in(log) == [loose.digest]
    assert re.search(rf"\|  {locked.digest}  \|  rel-1  \|.*\|  IMMUTABLE  \|", log), log
    assert digests(registry, admin, name, "svc") == sorted([locked.digest, dev.digest])
    assert tasks[f"{name}/svc"]["total"] == 3 and tasks[f"{name}/svc"]["retained"] == 2


def test_days_since_last_pull_and_labels(registry, admin):
    p = new_project(registry, admin)
    name = p["name"]
    fresh = registry.push_image(f"{name}/web", tag="fresh", seed=1200)
    stale = registry.push_image(f"{name}/web", tag="stale", seed=1201)
    never = registry.push_image(f"{name}/web", tag="never", seed=1202)
    labelled = registry.push_image(f"{name}/web", tag="labelled", seed=1203)
    for img in (fresh, stale, never, labelled):
        backdate(registry, img.digest, push_days=30)
    backdate(registry, fresh.digest, push_days=30, pull_days=1)
    backdate(registry, stale.digest, push_days=30, pull_days=10)
    r = admin.post(api(registry, "/labels"), json={"name": unique("keep"), "scope": "g"})
    assert_status(r, 201)
    lid = int(r.headers["Location"].rsplit("/", 1)[1])
    label = admin.get(api(registry, f"/labels/{lid}")).json()["name"]
    assert_status(admin.post(api(registry, f"/projects/{name}/repositories/web/artifacts/"
                                           f"{labelled.digest}/labels"), json={"id": lid}), 200)
    pid = create_policy(registry, admin, p, [
        rule("nDaysSinceLastPull", 5),
        rule("always", None, tag_selectors=[{"kind": "label", "decoration": "withLabels",
                                             "pattern": label, "extras": ""}])])
    _, _, logs = run(registry, admin, pid, dry_run=False)
    assert deleted_in(logs[f"{name}/web"]) == sorted([stale.digest, never.digest])
    assert digests(registry, admin, name, "web") == sorted([fresh.digest, labelled.digest])


def test_no_repository_applies(registry, admin):
    p = new_project(registry, admin)
    registry.push_image(f"{p['name']}/a", tag="x", seed=1300)
    pid = create_policy(registry, admin, p, [rule(repos="nothing-*")])
    eid, tasks, _ = run(registry, admin, pid, dry_run=False)
    assert tasks == {}


def test_bad_requests_and_stop(registry, admin):
    p = new_project(registry, admin)
    pid = create_policy(registry, admin, p, [rule()])
    assert_error(admin.post(api(registry, f"/retentions/{pid}/executions"),
                            json={"dry_run": "maybe"}), 400, "BAD_REQUEST")
    assert_error(admin.post(api(registry, "/retentions/987654321/executions"),
                            json={"dry_run": True}), 404, "NOT_FOUND")
    assert_error(admin.get(api(registry, f"/retentions/{pid}/executions/987654321/tasks")),
                 404, "NOT_FOUND")
    registry.push_image(f"{p['name']}/s", tag="a", seed=1400)
    eid = start(registry, admin, pid, dry_run=True)
    assert_error(admin.patch(api(registry, f"/retentions/{pid}/executions/{eid}"),
                             json={"action": "pause"}), 400, "BAD_REQUEST")
    assert_status(admin.patch(api(registry, f"/retentions/{pid}/executions/{eid}"),
                              json={"action": "stop"}), 200)
    x = wait(registry, admin, pid, eid)
    assert x["status"] in ("Stopped", "Success")  # a task that ended first stays Success
    other = create_policy(registry, admin, new_project(registry, admin), [rule()])
    assert_error(admin.get(api(registry, f"/retentions/{other}/executions/{eid}/tasks")),
                 404, "NOT_FOUND")


def test_stop_before_the_task_runs(start_registry):
    reg = start_registry(env=FAST)
    admin = reg.session()
    p = new_project(reg, admin)
    reg.push_image(f"{p['name']}/s", tag="a", seed=1450)
    reg.push_image(f"{p['name']}/s", tag="b", seed=1451)
    pid = create_policy(reg, admin, p, [rule(value=1)])
    # the queue paused, the task waits Pending: the stop ends it before it deletes anything
    assert_status(admin.put(api(reg, "/jobservice/queues/RETENTION"),
                            json={"action": "pause"}), 200)
    eid = start(reg, admin, pid, dry_run=False)
    assert_status(admin.patch(api(reg, f"/retentions/{pid}/executions/{eid}"),
                              json={"action": "stop"}), 200)
    assert wait(reg, admin, pid, eid)["status"] == "Stopped"
    assert_status(admin.put(api(reg, "/jobservice/queues/RETENTION"),
                            json={"action": "resume"}), 200)
    time.sleep(0.5)
    assert len(digests(reg, admin, p["name"], "s")) == 2


def test_a_second_run_while_one_is_pending_is_refused(start_registry):
    reg = start_registry(env=FAST)
    admin = reg.session()
    p = new_project(reg, admin)
    reg.push_image(f"{p['name']}/s", tag="a", seed=1460)
    pid = create_policy(reg, admin, p, [rule(value=1)])
    other = create_policy(reg, admin, new_project(reg, admin), [rule(value=1)])
    queue = api(reg, "/jobservice/queues/RETENTION")
    assert_status(admin.put(queue, json={"action": "pause"}), 200)
    eid = start(reg, admin, pid, dry_run=True)
    for dry_run in (True, False):
        r = admin.post(api(reg, f"/retentions/{pid}/executions"), json={"dry_run": dry_run})
        assert_error(r, 409, "CONFLICT")
        assert f"retention policy {pid} is already running" in r.text
    start(reg, admin, other, dry_run=True)  # another policy's run is no obstacle
    # once the run ends, stopped here, the policy runs again
    assert_status(admin.patch(api(reg, f"/retentions/{pid}/executions/{eid}"),
                              json={"action": "stop"}), 200)
    assert wait(reg, admin, pid, eid)["status"] == "Stopped"
    assert_status(admin.put(queue, json={"action": "resume"}), 200)
    eid2 = start(reg, admin, pid, dry_run=True)
    assert wait(reg, admin, pid, eid2)["status"] == "Success"
    r = admin.get(api(reg, f"/retentions/{pid}/executions"))
    assert sorted(x["id"] for x in r.json()) == [eid, eid2]


def test_bad_cron_is_refused(registry, admin):
    p = new_project(registry, admin)
    r = admin.post(api(registry, "/retentions"), json={
        "algorithm": "or", "rules": [rule()],
        "trigger": {"kind": "Schedule", "settings": {"cron": "every tuesday"}},
        "scope": {"level": "project", "ref": p["project_id"]}})
    assert_error(r, 400, "BAD_REQUEST")


def test_schedule_fires_and_follows_the_policy(start_registry):
    reg = start_registry(env=FAST)
    admin = reg.session()
    p = new_project(reg, admin)
    name = p["name"]
    old = reg.push_image(f"{name}/app", tag="old", seed=1500)
    new = reg.push_image(f"{name}/app", tag="new", seed=1501)
    backdate(reg, old.digest, push_days=2)
    pid = create_policy(reg, admin, p, [rule(value=1)], cron="*/2 * * * * *")
    r = admin.get(api(reg, "/schedules"))
    assert_status(r, 200)
    deadline = time.monotonic() + 60
    while True:
        r = admin.get(api(reg, f"/retentions/{pid}/executions"))
        done = [x for x in r.json() if x["status"] == "Success"]
        if done:
            break
        assert time.monotonic() < deadline, r.json()
        time.sleep(0.1)
    assert done[0]["trigger"] == "SCHEDULE" and done[0]["dry_run"] is False
    assert digests(reg, admin, name, "app") == [new.digest]
    # "" removes the schedule, and so does deleting the project with its policy
    body = admin.get(api(reg, f"/retentions/{pid}")).json()
    body["trigger"]["settings"]["cron"] = ""
    assert_status(admin.put(api(reg, f"/retentions/{pid}"), json=body), 200)
    with reg.db() as db:
        assert db.execute("SELECT count(*) FROM schedule WHERE vendor_type = 'RETENTION'"
                          " AND vendor_id = ?", (pid,)).fetchone()[0] == 0
    body["trigger"]["settings"]["cron"] = "0 0 0 * * *"
    assert_status(admin.put(api(reg, f"/retentions/{pid}"), json=body), 200)
    with reg.db() as db:
        assert db.execute("SELECT cron FROM schedule WHERE vendor_type = 'RETENTION'"
                          " AND vendor_id = ?", (pid,)).fetchone()[0] == "0 0 0 * * *"
    assert_status(admin.delete(api(reg, f"/projects/{name}/repositories/app")), 200)
    assert_status(admin.delete(api(reg, f"/projects/{name}")), 200)
    deadline = time.monotonic() + 30
    while True:
        with reg.db() as db:
            n = db.execute("SELECT count(*) FROM schedule WHERE vendor_type = 'RETENTION'"
                           " AND vendor_id = ?", (pid,)).fetchone()[0]
        if n == 0:
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_event_published(registry, admin):
    p = new_project(registry, admin)
    a = registry.push_image(f"{p['name']}/ev", tag="a", seed=1600)
    registry.push_image(f"{p['name']}/ev", tag="b", seed=1601)
    backdate(registry, a.digest, push_days=3)
    pid = create_policy(registry, admin, p, [rule(value=1)])
    run(registry, admin, pid, dry_run=False)
    # havend logs every event it dispatches: "event <type> <payload>"
    deadline = time.monotonic() + 30
    while True:
        rows = [json.loads(m) for m in re.findall(r"event TAG_RETENTION (\{.*\})",
                                                  registry.log_text())]
        mine = [e for e in rows if e["retention"]["retention_policy_id"] == pid]
        if mine or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(mine) == 1, rows
    ret = mine[0]["retention"]
    assert mine[0]["operator"] == "admin"
    assert (ret["total"], ret["retained"], ret["project_name"]) == (2, 1, p["name"])
    assert [d["name_tag"] for d in ret["deleted_artifact"]] == [f"{p['name']}/ev:a"]


@pytest.mark.parametrize("role_id,allowed", [(2, True), (3, False), (None, False)],
                         ids=["developer", "guest", "non-member"])
def test_permissions(registry, admin, anon, role_id, allowed):
    p = new_project(registry, admin)
    pid = create_policy(registry, admin, p, [rule()])
    name = unique("u")
    pw = "Pw" + uuid.uuid4().hex[:10] + "A1"
    assert_status(admin.post(api(registry, "/users"), json={
        "username": name, "password": pw, "email": f"{name}@e2e.example.com",
        "realname": name}), 201)
    if role_id:
        assert_status(admin.post(api(registry, f"/projects/{p['name']}/members"), json={
            "role_id": role_id, "member_user": {"username": name}}), 201)
    s = registry.session(auth=(name, pw))
    if allowed:
        eid = start(registry, s, pid, dry_run=True)
        assert_status(s.get(api(registry, f"/retentions/{pid}/executions")), 200)
        assert_status(s.get(api(registry, f"/retentions/{pid}/executions/{eid}/tasks")), 200)
        return
    assert_error(s.post(api(registry, f"/retentions/{pid}/executions"), json={}),
                 403, "FORBIDDEN")
    assert_error(s.get(api(registry, f"/retentions/{pid}/executions")), 403, "FORBIDDEN")
    assert_error(anon.get(api(registry, f"/retentions/{pid}/executions")), 401,
                 "UNAUTHORIZED")
