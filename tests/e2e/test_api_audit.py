"""The audit log (/audit-logs, /projects/{project_name}/logs; harbor-api.md §1.13): pushes,
pulls, deletions and robot changes become rows through the event bus, with Harbor's q, sort
and paging, visible to those allowed only; and no password or secret reaches the daemon's log.

The audit log is written by a subscriber of the event bus, after the change commits: the
tests poll with a deadline for the rows to appear.
"""

import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from havenlib import OCI_MANIFEST, assert_error, assert_status

DEADLINE = 10.0
TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="a"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def parse_time(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def poll(fetch, want, deadline=DEADLINE):
    """Calls fetch() until want(result) holds; returns the last result."""
    end = time.monotonic() + deadline
    while True:
        got = fetch()
        if want(got) or time.monotonic() > end:
            return got
        time.sleep(0.05)


def logs(session, registry, path="/audit-logs", **params):
    r = session.get(api(registry, path), params=params)
    assert_status(r, 200)
    return r.json()


def rows_for(session, registry, resource, n, path="/audit-logs", **params):
    """The rows whose resource contains `resource`, once there are at least n of them."""
    q = f"resource=~{resource}"
    if "q" in params:
        q += "," + params.pop("q")
    return poll(lambda: logs(session, registry, path, q=q, page_size=100, **params),
                lambda rows: len(rows) >= n)


@pytest.fixture
def pushed_pulled_deleted(registry, admin, repo):
    """Push repo:v1, pull it by tag, delete it by digest; returns (image, rows of repo)."""
    image = registry.push_image(repo, tag="v1")
    r = admin.get(registry.v2(f"{repo}/manifests/v1"), headers={"Accept": OCI_MANIFEST})
    assert_status(r, 200)
    r = admin.delete(registry.v2(f"{repo}/manifests/{image.digest}"))
    assert_status(r, 202)
    # artifact create, pull, delete; tag create, delete
    rows = rows_for(admin, registry, repo, 5)
    return image, rows


def test_push_pull_delete_are_recorded(registry, admin, repo, pushed_pulled_deleted):
    image, rows = pushed_pulled_deleted
    started = datetime.now(timezone.utc) - timedelta(minutes=1)
    artifact = sorted((r for r in rows if r["resource_type"] == "artifact"), key=lambda r: r["id"])
    assert [(r["operation"], r["resource"]) for r in artifact] == [
        ("create", f"{repo}:v1"),  # pushed by tag: named by the tag, as Harbor does
        ("pull", f"{repo}:v1"),
        ("delete", f"{repo}@{image.digest}"),
    ], rows
    tags = sorted((r for r in rows if r["resource_type"] == "tag"), key=lambda r: r["id"])
    assert [(r["operation"], r["resource"]) for r in tags] == \
        [("create", f"{repo}:v1"), ("delete", f"{repo}:v1")]
    for row in rows:
        assert set(row) == {"id", "username", "resource", "resource_type", "operation", "op_time"}
        assert row["username"] == "admin"
        assert TIME_RE.fullmatch(row["op_time"]), row["op_time"]
        assert started <= parse_time(row["op_time"]) <= datetime.now(timezone.utc)


def test_rows_are_newest_first_and_sortable(registry, admin, repo, pushed_pulled_deleted):
    _, rows = pushed_pulled_deleted
    times = [parse_time(r["op_time"]) for r in rows]
    assert times == sorted(times, reverse=True)
    asc = logs(admin, registry, q=f"resource=~{repo}", sort="op_time", page_size=100)
    assert [r["id"] for r in asc] == [r["id"] for r in sorted(rows, key=lambda r: (r["op_time"],
                                                                                   -r["id"]))]
    by_id = logs(admin, registry, q=f"resource=~{repo}", sort="id", page_size=100)
    assert [r["id"] for r in by_id] == sorted(r["id"] for r in rows)


def test_project_logs_show_the_same_rows(registry, admin, repo, pushed_pulled_deleted):
    _, rows = pushed_pulled_deleted
    project_rows = rows_for(admin, registry, repo, len(rows), path="/projects/library/logs")
    assert sorted(r["id"] for r in project_rows) == sorted(r["id"] for r in rows)


def test_query_keys(registry, admin, repo, pushed_pulled_deleted):
    image, rows = pushed_pulled_deleted
    pulls = logs(admin, registry, q=f"resource=~{repo},operation=pull")
    assert [(r["operation"], r["resource"]) for r in pulls] == [("pull", f"{repo}:v1")]
    tags = logs(admin, registry, q=f"resource=~{repo},resource_type=tag")
    assert {r["operation"] for r in tags} == {"create", "delete"}
    exact = logs(admin, registry, q=f"resource={repo}@{image.digest}")
    assert {r["operation"] for r in exact} == {"delete"}
    by_tag = logs(admin, registry, q=f"resource={repo}:v1,resource_type=artifact")
    assert {r["operation"] for r in by_tag} == {"create", "pull"}
    mine = logs(admin, registry, q=f"resource=~{repo},username=admin", page_size=100)
    assert len(mine) == len(rows)
    assert logs(admin, registry, q=f"resource=~{repo},username=nobody") == []
    either = logs(admin, registry, q=f"resource=~{repo},operation={{pull delete}}", page_size=100)
    assert sorted(r["operation"] for r in either) == ["delete", "delete", "pull"]


def test_time_range(registry, admin, repo, pushed_pulled_deleted):
    _, rows = pushed_pulled_deleted
    now = datetime.now(timezone.utc)
    fmt = "%Y-%m-%dT%H:%M:%S"
    around = f"[{(now - timedelta(hours=1)).strftime(fmt)}~{(now + timedelta(hours=1)).strftime(fmt)}]"
    past = "[2000-01-01T00:00:00~2001-01-01T00:00:00]"
    assert len(logs(admin, registry, q=f"resource=~{repo},op_time={around}", page_size=100)) \
        == len(rows)
    assert logs(admin, registry, q=f"resource=~{repo},op_time={past}") == []
    since = f"[{(now - timedelta(hours=1)).strftime(fmt)}~]"
    assert len(logs(admin, registry, q=f"resource=~{repo},op_time={since}", page_size=100)) \
        == len(rows)


def test_paging(registry, admin, repo, pushed_pulled_deleted):
    _, rows = pushed_pulled_deleted
    seen = []
    for page in range(1, len(rows) + 1):
        r = admin.get(api(registry, "/audit-logs"),
                      params={"q": f"resource=~{repo}", "page": page, "page_size": 1})
        assert_status(r, 200)
        assert r.headers["X-Total-Count"] == str(len(rows))
        link = r.headers.get("Link", "")
        assert ('rel="next"' in link) == (page < len(rows)), link
        assert ('rel="prev"' in link) == (page > 1), link
        assert len(r.json()) == 1
        seen.append(r.json()[0]["id"])
    assert seen == [r["id"] for r in rows]


@pytest.mark.parametrize("params", [{"q": "password=x"}, {"sort": "secret"}, {"page_size": 101},
                                    {"q": "op_time=[yesterday~today]"}, {"q": "operation="}])
def test_bad_queries(registry, admin, params):
    assert_error(admin.get(api(registry, "/audit-logs"), params=params), 400, "BAD_REQUEST")


def test_pull_by_robot_is_recorded_under_its_name(registry, admin, repo):
    registry.push_image(repo, tag="v2")
    created = admin.post(api(registry, "/robots"), json={
        "name": unique("puller"), "level": "project", "duration": -1,
        "permissions": [{"kind": "project", "namespace": "library",
                         "access": [{"resource": "repository", "action": "pull"}]}]})
    assert_status(created, 201)
    robot = created.json()
    s = registry.session(auth=(robot["name"], robot["secret"]))
    assert_status(s.get(registry.v2(f"{repo}/manifests/v2"), headers={"Accept": OCI_MANIFEST}), 200)
    rows = rows_for(admin, registry, repo, 1, q="operation=pull")
    assert [(r["username"], r["resource"]) for r in rows] == [(robot["name"], f"{repo}:v2")]


def test_robot_changes_are_recorded(registry, admin):
    name = unique("audited")
    r = admin.post(api(registry, "/robots"), json={
        "name": name, "level": "project", "duration": -1,
        "permissions": [{"kind": "project", "namespace": "library",
                         "access": [{"resource": "repository", "action": "pull"}]}]})
    assert_status(r, 201)
    assert_status(admin.delete(api(registry, f"/robots/{r.json()['id']}")), 200)
    full = f"robot$library+{name}"
    rows = rows_for(admin, registry, name, 2, q="resource_type=robot")
    assert sorted((x["operation"], x["resource"], x["username"]) for x in rows) == \
        [("create", full, "admin"), ("delete", full, "admin")]
    project_rows = rows_for(admin, registry, name, 2, path="/projects/library/logs")
    assert len(project_rows) == 2

    sys_name = unique("auditsys")
    r = admin.post(api(registry, "/robots"), json={
        "name": sys_name, "level": "system", "duration": -1,
        "permissions": [{"kind": "system", "namespace": "/",
                         "access": [{"resource": "project", "action": "list"}]}]})
    assert_status(r, 201)
    rows = rows_for(admin, registry, sys_name, 1)
    assert [(x["operation"], x["resource"]) for x in rows] == [("create", f"robot${sys_name}")]
    # a system robot belongs to no project
    assert logs(admin, registry, "/projects/library/logs", q=f"resource=~{sys_name}") == []


def test_project_changes_are_recorded(registry, admin):
    name = unique("proj")
    r = admin.post(api(registry, "/projects"), json={"project_name": name,
                                                    "metadata": {"public": "false"}})
    if r.status_code == 404 and "no such API endpoint" in r.text:
        pytest.fail("POST /projects is not served")
    assert_status(r, 201)
    created = rows_for(admin, registry, name, 1, path=f"/projects/{name}/logs")
    assert [(x["operation"], x["resource"], x["resource_type"], x["username"])
            for x in created] == [("create", name, "project", "admin")]
    assert_status(admin.delete(api(registry, f"/projects/{name}"),
                               headers={"X-Is-Resource-Name": "true"}), 200)
    rows = rows_for(admin, registry, name, 2, q="resource_type=project")
    assert [(x["operation"], x["resource"]) for x in rows] == [("delete", name), ("create", name)]
    assert_error(admin.get(api(registry, f"/projects/{name}/logs")), 404, "NOT_FOUND")


# ------------------------------------------------------------------ who may read


def robot(registry, admin, level, access):
    kind = "system" if level == "system" else "project"
    r = admin.post(api(registry, "/robots"), json={
        "name": unique("reader"), "level": level, "duration": -1,
        "permissions": [{"kind": kind, "namespace": "/" if kind == "system" else "library",
                         "access": [{"resource": a, "action": b} for a, b in access]}]})
    assert_status(r, 201)
    return registry.session(auth=(r.json()["name"], r.json()["secret"]))


def test_anonymous_is_asked_to_log_in(registry, anon):
    assert_error(anon.get(api(registry, "/audit-logs")), 401, "UNAUTHORIZED")
    assert_error(anon.get(api(registry, "/projects/library/logs")), 401, "UNAUTHORIZED")


def test_audit_logs_need_the_system_permission(registry, admin):
    s = robot(registry, admin, "project", [("log", "list"), ("repository", "pull")])
    assert_error(s.get(api(registry, "/audit-logs")), 403, "FORBIDDEN")
    assert_status(s.get(api(registry, "/projects/library/logs")), 200)
    s = robot(registry, admin, "system", [("audit-log", "list")])
    assert_status(s.get(api(registry, "/audit-logs")), 200)
    s = robot(registry, admin, "project", [("repository", "pull")])
    assert_error(s.get(api(registry, "/projects/library/logs")), 403, "FORBIDDEN")


def test_unknown_project_logs(registry, admin):
    assert_error(admin.get(api(registry, f"/projects/{unique('nope')}/logs")), 404, "NOT_FOUND")


def test_non_admin_user_is_refused(registry, admin):
    name = unique("u")
    password = "Pw-" + uuid.uuid4().hex[:12] + "A1"
    r = admin.post(api(registry, "/users"), json={"username": name, "password": password,
                                                  "email": f"{name}@e2e.test", "realname": name})
    if r.status_code == 404 and "no such API endpoint" in r.text:
        pytest.fail("POST /users is not served")
    assert_status(r, 201)
    s = registry.session(auth=(name, password))
    assert_error(s.get(api(registry, "/audit-logs")), 403, "FORBIDDEN")
    # library is public, but its logs are for members
    assert_error(s.get(api(registry, "/projects/library/logs")), 403, "FORBIDDEN")


# ------------------------------------------------------------------ secrets stay out of the log


def test_no_password_or_secret_in_the_daemon_log(registry, admin, repo):
    created = admin.post(api(registry, "/robots"), json={
        "name": unique("secretive"), "level": "project", "duration": -1,
        "permissions": [{"kind": "project", "namespace": "library",
                         "access": [{"resource": "repository", "action": "pull"},
                                    {"resource": "repository", "action": "push"}]}]})
    assert_status(created, 201)
    robot_ = created.json()
    secrets = [robot_["secret"], registry.password]
    s = registry.session(auth=(robot_["name"], robot_["secret"]))
    registry.push_image(repo, tag="s1")
    assert_status(s.get(registry.v2(f"{repo}/manifests/s1"), headers={"Accept": OCI_MANIFEST}), 200)
    url = api(registry, f"/robots/{robot_['id']}")
    r = admin.patch(url, json={})
    assert_status(r, 200)
    secrets.append(r.json()["secret"])
    chosen = "Chosen" + uuid.uuid4().hex[:12] + "9"
    assert_status(admin.patch(url, json={"secret": chosen}), 200)
    secrets.append(chosen)
    weak = "weak" + uuid.uuid4().hex[:8]
    assert_error(admin.patch(url, json={"secret": weak}), 400, "BAD_REQUEST")
    secrets.append(weak)
    wrong = "Wrong" + uuid.uuid4().hex[:20]
    registry.session(auth=(robot_["name"], wrong)).get(registry.v2(""))
    # (not admin: failed logins are throttled per address and name, and other tests log in
    # as admin from this address)
    registry.session(auth=(unique("nobody"), wrong)).get(api(registry, "/audit-logs"))
    secrets.append(wrong)
    assert_status(registry.session(auth=(robot_["name"], chosen)).get(registry.v2("")), 200)
    rows_for(admin, registry, repo, 2)  # the events went through the log subscriber too
    text = registry.log_text()
    assert robot_["name"] in text  # the log is the daemon's, and it saw the robot
    for secret in secrets:
        assert secret not in text
    assert "$argon2" not in text
