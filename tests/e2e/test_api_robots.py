"""Robot accounts of the Harbor v2 API (/robots, /permissions; harbor-api.md §1.6, §1.7,
§2.4): create, list, read, update, delete, refresh the secret; every validation error; who may
do what; and robots logging in with their secret on /v2 and on the API.

Tests that need users or extra projects create them through the users/projects/members API;
while that API is not served they skip saying so.
"""

import copy
import re
import time
import uuid

import pytest

from havenlib import OCI_MANIFEST, assert_error, assert_status

SECRET_RE = re.compile(r"[A-Za-z0-9]{32}")
TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


# ------------------------------------------------------------------ helpers


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="r"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def body(name=None, level="project", namespace="library", access=(("repository", "pull"),),
         duration=-1, **extra):
    b = {
        "name": name or unique(),
        "description": "e2e robot",
        "level": level,
        "duration": duration,
        "permissions": [{
            "kind": "project" if level == "project" else "system",
            "namespace": namespace if level == "project" else "/",
            "access": [{"resource": r, "action": a} for r, a in access],
        }],
    }
    b.update(extra)
    return b


def system_body(name=None, system=(("project", "list"),), projects=(), duration=-1):
    """A system robot: system permissions plus (namespace, [(resource, action)]) pairs."""
    perms = []
    if system:
        perms.append({"kind": "system", "namespace": "/",
                      "access": [{"resource": r, "action": a} for r, a in system]})
    for ns, access in projects:
        perms.append({"kind": "project", "namespace": ns,
                      "access": [{"resource": r, "action": a} for r, a in access]})
    return {"name": name or unique("sys"), "description": "", "level": "system",
            "duration": duration, "permissions": perms}


def create(session, registry, b, status=201):
    r = session.post(api(registry, "/robots"), json=b)
    assert_status(r, status)
    return r.json() if status == 201 else r


def robot_session(registry, created):
    return registry.session(auth=(created["name"], created["secret"]))


def can_login(registry, created, secret=None):
    """True when the robot's Basic credentials are accepted on /v2/."""
    s = registry.session(auth=(created["name"], secret or created["secret"]))
    r = s.get(registry.v2(""))
    assert r.status_code in (200, 401), r.text
    return r.status_code == 200


def served(r):
    """Skip when an endpoint of the users/projects/members API is not there yet."""
    if r.status_code == 404 and "no such API endpoint" in r.text:
        pytest.fail(f"{r.request.method} {r.request.url} is not served")
    return r


def project_id(registry, admin, name):
    r = admin.get(api(registry, f"/projects/{name}"), headers={"X-Is-Resource-Name": "true"})
    if r.status_code == 404 and "no such API endpoint" in r.text and name == "library":
        return 1  # the project created on first start, before any other
    assert_status(served(r), 200)
    return r.json()["project_id"]


def new_project(registry, admin, public=False):
    name = unique("p")
    r = served(admin.post(api(registry, "/projects"),
                          json={"project_name": name,
                                "metadata": {"public": "true" if public else "false"}}))
    assert_status(r, 201)
    return name


def new_user(registry, admin):
    name = unique("u")
    password = "Pw-" + uuid.uuid4().hex[:12] + "A1"
    r = served(admin.post(api(registry, "/users"),
                          json={"username": name, "password": password, "email": f"{name}@e2e.test",
                                "realname": name, "comment": ""}))
    assert_status(r, 201)
    return name, password


def add_member(registry, admin, project, username, role_id):
    r = served(admin.post(api(registry, f"/projects/{project}/members"),
                          json={"role_id": role_id, "member_user": {"username": username}}))
    assert_status(r, 201)


def push(registry, session, repo, tag="v1", seed=0):
    """Push a one-layer image as `session`; returns the last response (the manifest PUT, or
    the first refusal)."""
    import random

    from havenlib import OCI_CONFIG, OCI_LAYER, canonical, descriptor, digest_of

    rnd = random.Random(seed)
    layer = rnd.randbytes(512)
    config = canonical({"architecture": "amd64", "os": "linux", "seed": seed,
                        "rootfs": {"type": "layers", "diff_ids": [digest_of(layer)]}})
    for blob in (config, layer):
        r = session.post(registry.v2(f"{repo}/blobs/uploads/"), params={"digest": digest_of(blob)},
                         data=blob, headers={"Content-Type": "application/octet-stream"})
        if r.status_code != 201:
            return r
    manifest = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": descriptor(OCI_CONFIG, config),
                          "layers": [descriptor(OCI_LAYER, layer)]})
    return session.put(registry.v2(f"{repo}/manifests/{tag}"), data=manifest,
                       headers={"Content-Type": OCI_MANIFEST})


# ------------------------------------------------------------------ create and read


def test_create_project_robot_shows_the_secret_once(registry, admin):
    name = unique("ci")
    r = admin.post(api(registry, "/robots"), json=body(name, duration=-1))
    assert_status(r, 201)
    created = r.json()
    assert r.headers["Location"] == f"/api/v2.0/robots/{created['id']}"
    assert set(created) == {"id", "name", "secret", "creation_time", "expires_at"}
    assert created["name"] == f"robot$library+{name}"
    assert SECRET_RE.fullmatch(created["secret"]), created["secret"]
    assert TIME_RE.fullmatch(created["creation_time"])
    assert created["expires_at"] == -1

    got = admin.get(api(registry, f"/robots/{created['id']}"))
    assert_status(got, 200)
    robot = got.json()
    assert "secret" not in robot
    assert created["secret"] not in got.text and "$argon2" not in got.text
    assert robot["id"] == created["id"] and robot["name"] == created["name"]
    assert robot["level"] == "project" and robot["description"] == "e2e robot"
    assert robot["duration"] == -1 and robot["expires_at"] == -1
    assert robot["editable"] is True and robot["disable"] is False
    assert robot["permissions"] == [{"kind": "project", "namespace": "library",
                                     "access": [{"resource": "repository", "action": "pull",
                                                 "effect": ""}]}]
    assert robot["creator_type"] == "local" and robot["creator_ref"] >= 1
    assert TIME_RE.fullmatch(robot["creation_time"]) and TIME_RE.fullmatch(robot["update_time"])


def test_duration_sets_expires_at(registry, admin):
    now = int(time.time())
    created = create(admin, registry, body(duration=30))
    assert abs(created["expires_at"] - (now + 30 * 86400)) < 120
    robot = admin.get(api(registry, f"/robots/{created['id']}")).json()
    assert robot["duration"] == 30 and robot["expires_at"] == created["expires_at"]


def test_create_system_robot(registry, admin):
    name = unique("sys")
    created = create(admin, registry, system_body(
        name, system=(("project", "create"), ("audit-log", "list")),
        projects=[("library", [("repository", "pull")]), ("*", [("repository", "push")])]))
    assert created["name"] == f"robot${name}"
    robot = admin.get(api(registry, f"/robots/{created['id']}")).json()
    assert robot["level"] == "system"
    perms = {(p["kind"], p["namespace"]): sorted((a["resource"], a["action"]) for a in p["access"])
             for p in robot["permissions"]}
    assert perms == {("system", "/"): [("audit-log", "list"), ("project", "create")],
                     ("project", "library"): [("repository", "pull")],
                     ("project", "*"): [("repository", "push")]}


def test_duplicate_name_conflicts(registry, admin):
    name = unique("dup")
    create(admin, registry, body(name))
    r = admin.post(api(registry, "/robots"), json=body(name))
    assert_error(r, 409, "CONFLICT")
    # the same short name at system level is another robot ("robot$dup…" vs "robot$library+dup…")
    create(admin, registry, system_body(name))
    assert_error(admin.post(api(registry, "/robots"), json=system_body(name)), 409, "CONFLICT")


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize("name", ["CI", "-ci", "ci-", "a..b", "a.-b", "ci+x", "robot$ci", "a b",
                                  "", "x" * 256])
def test_bad_name_is_refused(registry, admin, name):
    assert_error(admin.post(api(registry, "/robots"), json=body(name=name or None) | {"name": name}),
                 400, "BAD_REQUEST")


@pytest.mark.parametrize("duration", [0, -2, None, "30", 1.5, 2 ** 31])
def test_bad_duration_is_refused(registry, admin, duration):
    b = body()
    if duration is None:
        del b["duration"]
    else:
        b["duration"] = duration
    assert_error(admin.post(api(registry, "/robots"), json=b), 400, "BAD_REQUEST")


def bad_bodies():
    no_perms = body()
    no_perms["permissions"] = []
    missing_perms = body()
    del missing_perms["permissions"]
    empty_access = body(access=())
    two = body()
    two["permissions"].append({"kind": "project", "namespace": "library",
                               "access": [{"resource": "repository", "action": "push"}]})
    system_in_project = body()
    system_in_project["permissions"][0]["kind"] = "system"
    bad_kind = body()
    bad_kind["permissions"][0]["kind"] = "team"
    star = body(namespace="*")
    deny = body()
    deny["permissions"][0]["access"][0]["effect"] = "deny"
    return {
        "bad level": body(level="global"),
        "no level": {k: v for k, v in body().items() if k != "level"},
        "no permissions": no_perms,
        "permissions missing": missing_perms,
        "empty access": empty_access,
        "two permissions for a project robot": two,
        "system permission for a project robot": system_in_project,
        "unknown kind": bad_kind,
        "project robot on *": star,
        "unassignable project pair": body(access=(("repository", "pull"), ("user", "create"))),
        "unknown action": body(access=(("repository", "fly"),)),
        "unassignable system pair": system_body(system=(("repository", "push"),)),
        "deny effect": deny,
        "not an object": ["name"],
    }


@pytest.mark.parametrize("case", list(bad_bodies()))
def test_invalid_body_is_refused(registry, admin, case):
    r = admin.post(api(registry, "/robots"), json=bad_bodies()[case])
    assert_error(r, 400, "BAD_REQUEST")


def test_unassignable_pair_is_named(registry, admin):
    r = admin.post(api(registry, "/robots"), json=body(access=(("user", "create"),)))
    assert_error(r, 400, "BAD_REQUEST")
    assert "user:create" in r.json()["errors"][0]["message"]


def test_unknown_project_is_not_found(registry, admin):
    r = admin.post(api(registry, "/robots"), json=body(namespace=unique("nope")))
    assert_error(r, 404, "NOT_FOUND")
    r = admin.post(api(registry, "/robots"),
                   json=system_body(projects=[(unique("nope"), [("repository", "pull")])]))
    assert_error(r, 404, "NOT_FOUND")


def test_nothing_is_stored_by_a_refused_create(registry, admin):
    name = unique("bad")
    admin.post(api(registry, "/robots"), json=body(name, duration=0))
    r = admin.get(api(registry, "/robots"),
                  params={"q": f"Level=project,ProjectID={project_id(registry, admin, 'library')},"
                               f"name=~{name}"})
    assert_status(r, 200)
    assert r.json() == [] and r.headers["X-Total-Count"] == "0"


# ------------------------------------------------------------------ list


def test_list_project_robots_pages(registry, admin):
    tag = unique("page")
    ids = [create(admin, registry, body(f"{tag}-{i}"))["id"] for i in range(3)]
    create(admin, registry, system_body(f"{tag}-sys"))
    pid = project_id(registry, admin, "library")
    q = f"Level=project,ProjectID={pid},name=~{tag}"
    r = admin.get(api(registry, "/robots"), params={"q": q, "page_size": 2, "sort": "id"})
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "3"
    assert [x["id"] for x in r.json()] == ids[:2]
    assert 'rel="next"' in r.headers.get("Link", "")
    assert all(x["level"] == "project" and "secret" not in x for x in r.json())
    r = admin.get(api(registry, "/robots"), params={"q": q, "page_size": 2, "page": 2, "sort": "id"})
    assert [x["id"] for x in r.json()] == ids[2:]
    assert 'rel="prev"' in r.headers.get("Link", "")
    r = admin.get(api(registry, "/robots"), params={"q": q, "sort": "-id"})
    assert [x["id"] for x in r.json()] == ids[::-1]
    # the full name works as an exact filter
    r = admin.get(api(registry, "/robots"),
                  params={"q": f"Level=project,ProjectID={pid},name=robot$library+{tag}-1"})
    assert [x["id"] for x in r.json()] == [ids[1]]


def test_list_without_level_is_system_robots(registry, admin):
    tag = unique("lvl")
    sys_id = create(admin, registry, system_body(f"{tag}-sys"))["id"]
    create(admin, registry, body(f"{tag}-proj"))
    for params in ({"q": f"name=~{tag}"}, {"q": f"Level=system,name=~{tag}"}):
        r = admin.get(api(registry, "/robots"), params=params)
        assert_status(r, 200)
        assert [x["id"] for x in r.json()] == [sys_id], params


@pytest.mark.parametrize("q", ["Level=project", "Level=everything", "Level=project,ProjectID=x",
                               "Level={system project}", "nosuchkey=1"])
def test_list_bad_query(registry, admin, q):
    assert_error(admin.get(api(registry, "/robots"), params={"q": q}), 400, "BAD_REQUEST")


def test_list_of_unknown_project(registry, admin):
    r = admin.get(api(registry, "/robots"), params={"q": "Level=project,ProjectID=999999"})
    assert_error(r, 404, "NOT_FOUND")


# ------------------------------------------------------------------ update, delete, refresh


def test_update_robot(registry, admin):
    created = create(admin, registry, body(duration=5))
    url = api(registry, f"/robots/{created['id']}")
    robot = admin.get(url).json()
    robot["description"] = "changed"
    robot["duration"] = 10
    robot["permissions"][0]["access"].append(
        {"resource": "artifact", "action": "delete", "effect": ""})
    assert_status(admin.put(url, json=robot), 200)
    got = admin.get(url).json()
    assert got["description"] == "changed" and got["duration"] == 10
    creation = created["expires_at"] - 5 * 86400
    assert got["expires_at"] == creation + 10 * 86400
    assert sorted((a["resource"], a["action"]) for a in got["permissions"][0]["access"]) == \
        [("artifact", "delete"), ("repository", "pull")]
    got["duration"] = -1
    assert_status(admin.put(url, json=got), 200)
    assert admin.get(url).json()["expires_at"] == -1


@pytest.mark.parametrize("change", ["name", "level", "duration", "permissions", "unassignable",
                                    "other project"])
def test_update_refusals(registry, admin, change):
    created = create(admin, registry, body())
    url = api(registry, f"/robots/{created['id']}")
    robot = admin.get(url).json()
    before = copy.deepcopy(robot)
    if change == "name":
        robot["name"] = "robot$library+" + unique("other")
    elif change == "level":
        robot["level"] = "system"
    elif change == "duration":
        robot["duration"] = 0
    elif change == "permissions":
        robot["permissions"] = []
    elif change == "unassignable":
        robot["permissions"][0]["access"] = [{"resource": "user", "action": "delete"}]
    else:
        robot["permissions"][0]["namespace"] = "*"
    assert_error(admin.put(url, json=robot), 400, "BAD_REQUEST")
    assert admin.get(url).json() == before


def test_delete_robot(registry, admin):
    created = create(admin, registry, body())
    url = api(registry, f"/robots/{created['id']}")
    assert can_login(registry, created)
    r = admin.delete(url)
    assert_status(r, 200)
    assert_error(admin.get(url), 404, "NOT_FOUND")
    assert_error(admin.delete(url), 404, "NOT_FOUND")
    assert not can_login(registry, created)


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_unknown_robot(registry, admin, method):
    r = getattr(admin, method)(api(registry, "/robots/999999"), json={})
    assert_error(r, 404, "NOT_FOUND")
    assert_error(getattr(admin, method)(api(registry, "/robots/abc"), json={}), 400, "BAD_REQUEST")


def test_refresh_generates_a_new_secret(registry, admin):
    created = create(admin, registry, body())
    url = api(registry, f"/robots/{created['id']}")
    for payload in ({}, {"secret": ""}, None):
        r = admin.patch(url, json=payload) if payload is not None else admin.patch(url)
        assert_status(r, 200)
        secret = r.json()["secret"]
        assert SECRET_RE.fullmatch(secret) and secret != created["secret"]
        assert not can_login(registry, created)
        assert can_login(registry, created, secret)
        created = dict(created, secret=secret)


def test_refresh_with_a_chosen_secret(registry, admin):
    created = create(admin, registry, body())
    url = api(registry, f"/robots/{created['id']}")
    chosen = "Chosen" + uuid.uuid4().hex[:10] + "7"
    r = admin.patch(url, json={"secret": chosen})
    assert_status(r, 200)
    assert r.json() == {"secret": ""}
    assert can_login(registry, created, chosen)
    assert not can_login(registry, created)


@pytest.mark.parametrize("secret", ["Short1a", "alllowercase123", "ALLUPPERCASE123",
                                    "NoDigitsAtAll", "Aa1" + "x" * 126])
def test_refresh_with_a_weak_secret_is_refused(registry, admin, secret):
    created = create(admin, registry, body())
    r = admin.patch(api(registry, f"/robots/{created['id']}"), json={"secret": secret})
    assert_error(r, 400, "BAD_REQUEST")
    assert secret not in r.text
    assert can_login(registry, created)
    assert secret not in registry.log_text()


# ------------------------------------------------------------------ logging in


def test_project_robot_pushes_and_pulls_its_project(registry, admin):
    created = create(admin, registry, body(access=(("repository", "pull"), ("repository", "push"))))
    s = robot_session(registry, created)
    assert_status(s.get(registry.v2("")), 200)
    repo = f"library/{unique('robo')}"
    r = push(registry, s, repo)
    assert_status(r, 201)
    r = s.get(registry.v2(f"{repo}/manifests/v1"), headers={"Accept": OCI_MANIFEST})
    assert_status(r, 200)
    # the API knows it too
    assert_status(s.get(api(registry, f"/robots/{created['id']}")), 403)


def test_wrong_secret_is_refused(registry, admin):
    created = create(admin, registry, body())
    s = registry.session(auth=(created["name"], "Wrong" + created["secret"][5:]))
    assert_error(s.get(registry.v2("")), 401, "UNAUTHORIZED")
    assert_error(s.get(api(registry, "/robots")), 401, "UNAUTHORIZED")


def test_pull_only_robot_cannot_push(registry, admin):
    created = create(admin, registry, body(access=(("repository", "pull"),)))
    r = push(registry, robot_session(registry, created), f"library/{unique('ro')}")
    assert r.status_code in (401, 403), r.text


def test_project_robot_cannot_push_to_another_project(registry, admin):
    other = new_project(registry, admin)
    created = create(admin, registry, body(access=(("repository", "pull"), ("repository", "push"))))
    s = robot_session(registry, created)
    r = push(registry, s, f"{other}/{unique('x')}")
    assert r.status_code in (401, 403), r.text
    assert_status(push(registry, s, f"library/{unique('ok')}"), 201)


def test_disabled_robot_cannot_log_in(registry, admin):
    created = create(admin, registry, body())
    url = api(registry, f"/robots/{created['id']}")
    assert can_login(registry, created)
    robot = admin.get(url).json()
    robot["disable"] = True
    assert_status(admin.put(url, json=robot), 200)
    assert admin.get(url).json()["disable"] is True
    assert not can_login(registry, created)
    robot["disable"] = False
    assert_status(admin.put(url, json=robot), 200)
    assert can_login(registry, created)


def test_robot_created_disabled_cannot_log_in(registry, admin):
    created = create(admin, registry, body(disable=True))
    assert not can_login(registry, created)


def test_robot_uses_the_api_with_its_permissions(registry, admin):
    created = create(admin, registry, body(access=(("log", "list"), ("robot", "read"),
                                                   ("robot", "list"))))
    s = robot_session(registry, created)
    assert_status(s.get(api(registry, "/projects/library/logs")), 200)
    assert_status(s.get(api(registry, f"/robots/{created['id']}")), 200)
    pid = project_id(registry, admin, "library")
    assert_status(s.get(api(registry, "/robots"),
                        params={"q": f"Level=project,ProjectID={pid}"}), 200)
    # but not the system's robots, the audit log, or changing robots
    assert_error(s.get(api(registry, "/robots")), 403, "FORBIDDEN")
    assert_error(s.get(api(registry, "/audit-logs")), 403, "FORBIDDEN")
    assert_error(s.delete(api(registry, f"/robots/{created['id']}")), 403, "FORBIDDEN")
    assert_error(s.post(api(registry, "/robots"), json=body()), 403, "FORBIDDEN")


# ------------------------------------------------------------------ who may


def test_anonymous_is_asked_to_log_in(registry, admin, anon):
    created = create(admin, registry, body())
    for r in (anon.get(api(registry, "/robots")),
              anon.post(api(registry, "/robots"), json=body()),
              anon.get(api(registry, f"/robots/{created['id']}")),
              anon.patch(api(registry, f"/robots/{created['id']}"), json={}),
              anon.delete(api(registry, f"/robots/{created['id']}")),
              anon.get(api(registry, "/permissions"))):
        assert_error(r, 401, "UNAUTHORIZED")
    assert can_login(registry, created)


def test_project_robot_cannot_read_system_robots(registry, admin):
    sys_robot = create(admin, registry, system_body())
    reader = create(admin, registry, body(access=(("robot", "read"), ("robot", "list"))))
    s = robot_session(registry, reader)
    assert_error(s.get(api(registry, f"/robots/{sys_robot['id']}")), 403, "FORBIDDEN")
    assert_error(s.get(api(registry, "/robots"), params={"q": "Level=system"}), 403, "FORBIDDEN")


def test_robot_creator_cannot_grant_more_than_it_holds(registry, admin):
    creator = create(admin, registry, body(access=(("robot", "create"), ("repository", "pull"))))
    s = robot_session(registry, creator)
    r = s.post(api(registry, "/robots"), json=body(access=(("repository", "pull"),)))
    assert_status(r, 201)
    child = admin.get(api(registry, f"/robots/{r.json()['id']}")).json()
    assert child["creator_type"] == "robot" and child["creator_ref"] == creator["id"]
    r = s.post(api(registry, "/robots"),
               json=body(access=(("repository", "pull"), ("artifact", "delete"))))
    assert_error(r, 403, "FORBIDDEN")
    assert "artifact:delete" in r.json()["errors"][0]["message"]
    # nor a system robot
    assert_error(s.post(api(registry, "/robots"), json=system_body()), 403, "FORBIDDEN")


def test_system_robot_creator_is_bounded_too(registry, admin):
    creator = create(admin, registry, system_body(
        system=(("robot", "create"), ("project", "list")),
        projects=[("*", [("repository", "pull")])]))
    s = robot_session(registry, creator)
    r = s.post(api(registry, "/robots"), json=system_body(
        system=(("project", "list"),), projects=[("*", [("repository", "pull")])]))
    assert_status(r, 201)
    r = s.post(api(registry, "/robots"), json=system_body(system=(("project", "create"),)))
    assert_error(r, 403, "FORBIDDEN")
    assert "project:create" in r.json()["errors"][0]["message"]
    r = s.post(api(registry, "/robots"),
               json=system_body(system=(), projects=[("*", [("repository", "push")])]))
    assert_error(r, 403, "FORBIDDEN")


def test_developer_cannot_create_a_robot_with_more_rights(registry, admin):
    project = new_project(registry, admin)
    user, password = new_user(registry, admin)
    add_member(registry, admin, project, user, 2)  # developer
    s = registry.session(auth=(user, password))
    r = s.post(api(registry, "/robots"),
               json=body(namespace=project, access=(("repository", "pull"),
                                                    ("artifact", "delete"))))
    assert_error(r, 403, "FORBIDDEN")
    r = s.post(api(registry, "/robots"), json=system_body())
    assert_error(r, 403, "FORBIDDEN")


def test_project_admin_manages_robots_of_their_project_only(registry, admin):
    project = new_project(registry, admin)
    user, password = new_user(registry, admin)
    add_member(registry, admin, project, user, 1)  # project admin
    s = registry.session(auth=(user, password))
    created = create(s, registry, body(namespace=project,
                                       access=(("repository", "push"), ("artifact", "delete"))))
    assert created["name"].startswith(f"robot${project}+")
    assert_status(s.get(api(registry, f"/robots/{created['id']}")), 200)
    lib_robot = create(admin, registry, body())
    assert_error(s.get(api(registry, f"/robots/{lib_robot['id']}")), 403, "FORBIDDEN")
    assert_error(s.post(api(registry, "/robots"), json=body()), 403, "FORBIDDEN")
    assert_status(s.delete(api(registry, f"/robots/{created['id']}")), 200)


# ------------------------------------------------------------------ /permissions


def pairs(items):
    assert all(set(x) == {"resource", "action"} for x in items), items
    return {(x["resource"], x["action"]) for x in items}


def test_permissions_for_sysadmin(registry, admin):
    r = admin.get(api(registry, "/permissions"))
    assert_status(r, 200)
    body_ = r.json()
    assert set(body_) == {"system", "project"}
    system, project = pairs(body_["system"]), pairs(body_["project"])
    assert {("audit-log", "list"), ("project", "create"), ("robot", "create")} <= system
    assert {("repository", "pull"), ("repository", "push"), ("artifact", "delete"),
            ("log", "list")} <= project
    assert ("repository", "push") not in system and ("user", "create") not in project


def test_permissions_refused_to_robots(registry, admin):
    created = create(admin, registry, body(access=(("robot", "create"),)))
    assert_error(robot_session(registry, created).get(api(registry, "/permissions")), 403,
                 "FORBIDDEN")


def test_permissions_for_project_admin_and_others(registry, admin):
    project = new_project(registry, admin)
    padmin, padmin_pw = new_user(registry, admin)
    dev, dev_pw = new_user(registry, admin)
    add_member(registry, admin, project, padmin, 1)
    add_member(registry, admin, project, dev, 2)
    r = registry.session(auth=(padmin, padmin_pw)).get(api(registry, "/permissions"))
    assert_status(r, 200)
    assert r.json()["system"] == [] and pairs(r.json()["project"])
    r = registry.session(auth=(dev, dev_pw)).get(api(registry, "/permissions"))
    assert_error(r, 403, "FORBIDDEN")
