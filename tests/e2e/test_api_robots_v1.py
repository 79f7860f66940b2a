"""Harbor's legacy robot API (swagger tag robotv1; harbor-api.md §1.6):
/projects/{project_name_or_id}/robots[/{robot_id}].  Its robots are the v2 API's project
robots; POST takes RobotCreateV1 (access as "/project/<id>/<resource>" paths) or a v2-shaped
body, answers 201 with Location and the secret once; PUT only (dis)ables; the permissions are
the v2 API's (robot create/list/read/update/delete on the project).
"""

import re
import time
import uuid

import pytest

from havenlib import assert_error, assert_status

SECRET_RE = re.compile(r"[A-Za-z0-9]{32}")
TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
DAY = 86400
DEVELOPER, GUEST, MAINTAINER, PROJECT_ADMIN = 2, 3, 4, 1


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="r"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def new_project(registry, admin, public=False):
    name = unique("v1p")
    r = admin.post(api(registry, "/projects"),
                   json={"project_name": name, "metadata": {"public": str(public).lower()}})
    assert_status(r, 201)
    pid = admin.get(api(registry, f"/projects/{name}")).json()["project_id"]
    return name, pid


def member(registry, admin, project, role_id):
    name, pw = unique("u"), "Pw-" + uuid.uuid4().hex[:12] + "A1"
    assert_status(admin.post(api(registry, "/users"),
                             json={"username": name, "password": pw,
                                   "email": f"{name}@e2e.test", "realname": name}), 201)
    if role_id:
        assert_status(admin.post(api(registry, f"/projects/{project}/members"),
                                 json={"role_id": role_id, "member_user": {"username": name}}),
                      201)
    return registry.session(auth=(name, pw))


def v1_body(pid, name=None, access=(("repository", "push"), ("repository", "pull")), **extra):
    b = {"name": name or unique(), "description": "legacy", "expires_at": 0,
         "access": [{"resource": f"/project/{pid}/{res}", "action": act} for res, act in access]}
    b.update(extra)
    return b


def robots(registry, project):
    return api(registry, f"/projects/{project}/robots")


def create(registry, session, project, body, status=201):
    r = session.post(robots(registry, project), json=body)
    assert_status(r, status)
    return r


def can_login(registry, created):
    r = registry.session(auth=(created["name"], created["secret"])).get(registry.v2(""))
    assert r.status_code in (200, 401), r.text
    return r.status_code == 200


# ------------------------------------------------------------------ create


def test_create_with_a_v1_body(registry, admin):
    project, pid = new_project(registry, admin)
    name = unique("ci")
    before = int(time.time())
    r = create(registry, admin, project, v1_body(pid, name, expires_at=123))
    created = r.json()
    assert set(created) == {"id", "name", "secret", "creation_time"}
    assert r.headers["Location"] == f"/api/v2.0/projects/{project}/robots/{created['id']}"
    assert created["name"] == f"robot${project}+{name}"
    assert SECRET_RE.fullmatch(created["secret"])
    assert TIME_RE.fullmatch(created["creation_time"])
    # the same robot in the v2 API: expires_at is ignored, the default duration applies
    robot = admin.get(api(registry, f"/robots/{created['id']}")).json()
    assert robot["level"] == "project" and robot["description"] == "legacy"
    assert robot["duration"] == 30
    assert before + 30 * DAY - 5 <= robot["expires_at"] <= int(time.time()) + 30 * DAY + 5
    assert robot["permissions"] == [{"kind": "project", "namespace": project, "access": [
        {"resource": "repository", "action": "push", "effect": ""},
        {"resource": "repository", "action": "pull", "effect": ""}]}]
    assert can_login(registry, created)
    # it pushes to its project
    img = registry.push_image(f"{project}/app", tag="v1", seed=3)
    s = registry.session(auth=(created["name"], created["secret"]))
    assert_status(s.get(registry.v2(f"{project}/app/manifests/v1"),
                        headers={"Accept": img.media_type}), 200)


def test_create_by_project_id_and_with_a_v2_body(registry, admin):
    project, pid = new_project(registry, admin)
    body = {"name": unique("v2"), "level": "project", "duration": 7, "description": "",
            "permissions": [{"kind": "project", "namespace": project,
                             "access": [{"resource": "repository", "action": "pull"}]}]}
    r = create(registry, admin, str(pid), body)
    rid = r.json()["id"]
    assert r.headers["Location"] == f"/api/v2.0/projects/{pid}/robots/{rid}"
    robot = admin.get(api(registry, f"/projects/{project}/robots/{rid}")).json()
    assert robot["duration"] == 7 and robot["name"] == f"robot${project}+{body['name']}"
    # level and namespace may be left out: the path says which project
    bare = {"name": unique("bare"), "duration": -1,
            "permissions": [{"kind": "project", "access": [{"resource": "repository",
                                                            "action": "pull"}]}]}
    rid = create(registry, admin, project, bare).json()["id"]
    robot = admin.get(api(registry, f"/robots/{rid}")).json()
    assert robot["level"] == "project" and robot["expires_at"] == -1
    assert robot["permissions"][0]["namespace"] == project


@pytest.mark.parametrize("case", [
    "other-project-id", "bad-resource", "no-access", "empty-access", "unknown-action",
    "system-level", "other-namespace", "system-kind", "bad-name", "bad-duration",
])
def test_create_refusals(registry, admin, case):
    project, pid = new_project(registry, admin)
    other, other_pid = new_project(registry, admin)
    perm = [{"kind": "project", "namespace": project,
             "access": [{"resource": "repository", "action": "pull"}]}]
    body = {
        "other-project-id": v1_body(other_pid),
        "bad-resource": v1_body(pid, access=()) | {
            "access": [{"resource": f"/projects/{pid}/repository", "action": "pull"}]},
        "no-access": {"name": unique()},
        "empty-access": v1_body(pid, access=()),
        "unknown-action": v1_body(pid, access=(("repository", "fly"),)),
        "system-level": {"name": unique(), "level": "system", "duration": -1,
                         "permissions": perm},
        "other-namespace": {"name": unique(), "duration": -1, "permissions": [
            dict(perm[0], namespace=other)]},
        "system-kind": {"name": unique(), "duration": -1, "permissions": [
            {"kind": "system", "namespace": "/",
             "access": [{"resource": "project", "action": "list"}]}]},
        "bad-name": v1_body(pid, name="Bad+Name"),
        "bad-duration": {"name": unique(), "duration": 0, "permissions": perm},
    }[case]
    r = create(registry, admin, project, body, status=400)
    assert_error(r, 400, "BAD_REQUEST")
    assert admin.get(robots(registry, project)).json() == []


def test_create_conflict_and_unknown_project(registry, admin, anon):
    project, pid = new_project(registry, admin)
    body = v1_body(pid)
    create(registry, admin, project, body)
    assert_error(create(registry, admin, project, body, status=409), 409, "CONFLICT")
    assert_error(admin.post(robots(registry, unique("nope")), json=body), 404, "NOT_FOUND")
    assert_error(anon.post(robots(registry, unique("nope")), json=body), 401, "UNAUTHORIZED")


# ------------------------------------------------------------------ read, update, delete


def test_list_get_update_delete(registry, admin):
    project, pid = new_project(registry, admin)
    other, other_pid = new_project(registry, admin)
    mine = [create(registry, admin, project, v1_body(pid, name=f"a{i}")).json()
            for i in range(3)]
    theirs = create(registry, admin, other, v1_body(other_pid)).json()
    r = admin.post(api(registry, "/robots"), json={
        "name": unique("sys"), "level": "system", "duration": -1,
        "permissions": [{"kind": "project", "namespace": project,
                         "access": [{"resource": "repository", "action": "pull"}]}]})
    assert_status(r, 201)
    system_robot = r.json()

    r = admin.get(robots(registry, project), params={"page_size": 2, "sort": "name"})
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "3" and 'rel="next"' in r.headers["Link"]
    assert [x["name"] for x in r.json()] == [mine[0]["name"], mine[1]["name"]]
    listed = admin.get(robots(registry, project)).json()
    assert {x["id"] for x in listed} == {x["id"] for x in mine}
    # a Level or ProjectID in q does not reach beyond the path's project
    r = admin.get(robots(registry, project), params={"q": f"ProjectID={other_pid}"})
    assert {x["id"] for x in r.json()} == {x["id"] for x in mine}
    r = admin.get(robots(registry, project), params={"q": f"name={mine[1]['name']}"})
    assert [x["id"] for x in r.json()] == [mine[1]["id"]]

    url = f"{robots(registry, project)}/{mine[0]['id']}"
    got = admin.get(url)
    assert_status(got, 200)
    assert got.json() == admin.get(api(registry, f"/robots/{mine[0]['id']}")).json()
    assert "secret" not in got.json()
    for rid in (theirs["id"], system_robot["id"], 999999):
        r = admin.get(f"{robots(registry, project)}/{rid}")
        assert_error(r, 404, "NOT_FOUND")
        assert "cannot find robot" in r.json()["errors"][0]["message"]
    assert_error(admin.get(f"{robots(registry, project)}/x"), 400, "BAD_REQUEST")

    # PUT changes only whether it is disabled
    assert_status(admin.put(url, json={"disable": True, "description": "changed"}), 200)
    robot = admin.get(url).json()
    assert robot["disable"] is True and robot["description"] == "legacy"
    assert not can_login(registry, mine[0])
    assert_status(admin.put(url, json={}), 200)
    assert admin.get(url).json()["disable"] is False and can_login(registry, mine[0])
    assert_error(admin.put(f"{robots(registry, project)}/{theirs['id']}", json={}), 404,
                 "NOT_FOUND")

    # DELETE
    assert_error(admin.delete(f"{robots(registry, project)}/{theirs['id']}"), 404, "NOT_FOUND")
    r = admin.delete(url)
    assert_status(r, 200)
    assert r.content == b""
    assert_error(admin.get(url), 404, "NOT_FOUND")
    assert_error(admin.delete(url), 404, "NOT_FOUND")
    assert not can_login(registry, mine[0])
    assert admin.get(api(registry, f"/robots/{theirs['id']}")).status_code == 200


# ------------------------------------------------------------------ who may


def test_permissions_are_the_v2_apis(registry, admin, anon):
    project, pid = new_project(registry, admin, public=True)
    rid = create(registry, admin, project, v1_body(pid)).json()["id"]
    url = f"{robots(registry, project)}/{rid}"
    sessions = {role: member(registry, admin, project, role)
                for role in (PROJECT_ADMIN, MAINTAINER, DEVELOPER, GUEST)}
    outsider = member(registry, admin, project, None)

    for s, status in ((anon, 401), (outsider, 403)):
        code = "UNAUTHORIZED" if status == 401 else "FORBIDDEN"
        assert_error(s.get(robots(registry, project)), status, code)
        assert_error(s.get(url), status, code)
        assert_error(s.post(robots(registry, project), json=v1_body(pid)), status, code)
        assert_error(s.put(url, json={"disable": True}), status, code)
        assert_error(s.delete(url), status, code)
    # members may list and read; only project administrators change robots
    for role in (MAINTAINER, DEVELOPER, GUEST):
        s = sessions[role]
        assert_status(s.get(robots(registry, project)), 200)
        assert_status(s.get(url), 200)
        assert_error(s.post(robots(registry, project), json=v1_body(pid)), 403, "FORBIDDEN")
        # the permission is asked before the body is read, as Harbor does
        assert_error(s.post(robots(registry, project), json={"name": unique()}), 403,
                     "FORBIDDEN")
        assert_error(s.put(url, json={"disable": True}), 403, "FORBIDDEN")
        assert_error(s.delete(url), 403, "FORBIDDEN")
    owner = sessions[PROJECT_ADMIN]
    created = create(registry, owner, project, v1_body(pid)).json()
    assert_status(owner.put(f"{robots(registry, project)}/{created['id']}",
                            json={"disable": True}), 200)
    assert_status(owner.delete(f"{robots(registry, project)}/{created['id']}"), 200)
