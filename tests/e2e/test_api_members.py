"""Project members of the Harbor v2 API (/projects/{p}/members; harbor-api.md §1.7, §2):
add by user id or name, list with paging, entityname, q and sort, read, change the role,
remove; who may do which (project admins manage, guests and up see, limited guests do not);
and that a member's role is what they can do.  Each refused request is followed by a check
that nothing changed.
"""

import re
import uuid

import pytest

from havenlib import assert_error, assert_status

MEMBER_KEYS = {"id", "project_id", "entity_name", "role_name", "role_id", "entity_id",
               "entity_type"}
ROLE_NAMES = {1: "projectAdmin", 2: "developer", 3: "guest", 4: "maintainer", 5: "limitedGuest"}


# ------------------------------------------------------------------ helpers


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="m"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def new_user(registry, admin, name=None):
    """Creates a user; returns (id, name, password)."""
    name = name or unique("u")
    pw = "Pw" + uuid.uuid4().hex[:10] + "A1"
    r = admin.post(api(registry, "/users"),
                   json={"username": name, "password": pw, "email": f"{name}@e2e.example.com",
                         "realname": name})
    assert_status(r, 201)
    return int(r.headers["Location"].rsplit("/", 1)[1]), name, pw


def new_project(registry, admin, public=False):
    name = unique("p")
    r = admin.post(api(registry, "/projects"),
                   json={"project_name": name, "metadata": {"public": str(public).lower()}})
    assert_status(r, 201)
    return int(r.headers["Location"].rsplit("/", 1)[1]), name


def add(registry, session, project, role_id, status=201, **user):
    r = session.post(api(registry, f"/projects/{project}/members"),
                     json={"role_id": role_id, "member_user": user})
    assert_status(r, status)
    return int(r.headers["Location"].rsplit("/", 1)[1]) if status == 201 else r


def member_session(registry, admin, project, role_id):
    _, name, pw = new_user(registry, admin)
    add(registry, admin, project, role_id, username=name)
    return registry.session(auth=(name, pw))


def members(registry, admin, project, **params):
    r = admin.get(api(registry, f"/projects/{project}/members"), params=params)
    assert_status(r, 200)
    return r.json()


def links(r):
    out = {}
    if "Link" not in r.headers:
        return out
    for part in r.headers["Link"].split(" , "):
        m = re.fullmatch(r'<([^>]+)>; rel="(prev|next)"', part)
        assert m, f"malformed Link {r.headers['Link']!r}"
        out[m.group(2)] = m.group(1)
    return out


# ------------------------------------------------------------------ create, read


def test_add_member_by_name_and_by_id(registry, admin):
    pid, project = new_project(registry, admin)
    uid, name, _ = new_user(registry, admin)
    r = admin.post(api(registry, f"/projects/{project}/members"),
                   json={"role_id": 2, "member_user": {"username": name}})
    assert_status(r, 201)
    assert r.content == b""
    m = re.fullmatch(rf"/api/v2\.0/projects/{pid}/members/(\d+)", r.headers["Location"])
    assert m, r.headers["Location"]
    r = admin.get(registry.url + r.headers["Location"])
    assert_status(r, 200)
    assert r.json() == {"id": int(m.group(1)), "project_id": pid, "entity_name": name,
                        "role_name": "developer", "role_id": 2, "entity_id": uid,
                        "entity_type": "u"}
    uid2, name2, _ = new_user(registry, admin)
    mid = add(registry, admin, pid, 4, user_id=uid2)
    r = admin.get(api(registry, f"/projects/{pid}/members/{mid}"))
    assert (r.json()["entity_name"], r.json()["role_name"]) == (name2, "maintainer")


@pytest.mark.parametrize("role", [1, 2, 3, 4, 5])
def test_every_role_has_its_name(registry, admin, role):
    _, project = new_project(registry, admin)
    _, name, _ = new_user(registry, admin)
    mid = add(registry, admin, project, role, username=name)
    m = admin.get(api(registry, f"/projects/{project}/members/{mid}")).json()
    assert (m["role_id"], m["role_name"]) == (role, ROLE_NAMES[role])


BAD_ADDS = [
    ("role 0", {"role_id": 0, "member_user": {"username": "admin"}}, 400),
    ("role 6", {"role_id": 6, "member_user": {"username": "admin"}}, 400),
    ("role a string", {"role_id": "2", "member_user": {"username": "admin"}}, 400),
    ("no role", {"member_user": {"username": "admin"}}, 400),
    ("no member_user", {"role_id": 2}, 400),
    ("member_user empty", {"role_id": 2, "member_user": {}}, 400),
    ("member_user not an object", {"role_id": 2, "member_user": "admin"}, 400),
    ("user_id not an integer", {"role_id": 2, "member_user": {"user_id": "1"}}, 400),
    ("group", {"role_id": 2, "member_group": {"group_name": "devs", "group_type": 1}}, 400),
    ("unknown user name", {"role_id": 2, "member_user": {"username": "nobody-at-all"}}, 404),
    ("unknown user id", {"role_id": 2, "member_user": {"user_id": 99999999}}, 404),
]


@pytest.mark.parametrize("case,body,status", BAD_ADDS, ids=[c for c, _, _ in BAD_ADDS])
def test_add_refuses_invalid_input(registry, admin, case, body, status):
    _, project = new_project(registry, admin)
    before = members(registry, admin, project)
    r = admin.post(api(registry, f"/projects/{project}/members"), json=body)
    assert_error(r, status, "BAD_REQUEST" if status == 400 else "NOT_FOUND")
    if case == "group":
        assert r.json()["errors"][0]["message"] == "groups are not supported yet"
    assert members(registry, admin, project) == before


@pytest.mark.parametrize("raw", [b"{", b"[]", b"", b"2"])
def test_add_refuses_malformed_json(registry, admin, raw):
    _, project = new_project(registry, admin)
    before = members(registry, admin, project)
    r = admin.post(api(registry, f"/projects/{project}/members"), data=raw,
                   headers={"Content-Type": "application/json"})
    assert_error(r, 400, "BAD_REQUEST")
    assert members(registry, admin, project) == before


def test_adding_a_member_twice_is_409(registry, admin):
    _, project = new_project(registry, admin)
    uid, name, _ = new_user(registry, admin)
    add(registry, admin, project, 3, username=name)
    before = members(registry, admin, project)
    r = add(registry, admin, project, 1, status=409, user_id=uid)
    assert_error(r, 409, "CONFLICT")
    assert members(registry, admin, project) == before


def test_unknown_project_or_member(registry, admin, anon):
    pid, project = new_project(registry, admin)
    _, other = new_project(registry, admin)
    _, name, _ = new_user(registry, admin)
    mid = add(registry, admin, other, 2, username=name)
    # a member of another project is not a member of this one
    assert_error(admin.get(api(registry, f"/projects/{project}/members/{mid}")), 404,
                 "NOT_FOUND")
    assert_error(admin.put(api(registry, f"/projects/{project}/members/{mid}"),
                           json={"role_id": 1}), 404, "NOT_FOUND")
    assert_error(admin.delete(api(registry, f"/projects/{project}/members/{mid}")), 404,
                 "NOT_FOUND")
    assert admin.get(api(registry, f"/projects/{other}/members/{mid}")).json()["role_id"] == 2
    assert_error(admin.get(api(registry, f"/projects/{project}/members/99999999")), 404,
                 "NOT_FOUND")
    assert_error(admin.get(api(registry, f"/projects/{project}/members/abc")), 400,
                 "BAD_REQUEST")
    assert_error(admin.get(api(registry, f"/projects/{unique()}/members")), 404, "NOT_FOUND")
    assert_error(admin.post(api(registry, f"/projects/{unique()}/members"),
                            json={"role_id": 2, "member_user": {"username": name}}), 404,
                 "NOT_FOUND")
    assert_error(anon.get(api(registry, f"/projects/{pid}/members")), 401, "UNAUTHORIZED")


# ------------------------------------------------------------------ list


def test_list_pages_filters_and_sorts(registry, admin):
    pid, project = new_project(registry, admin)
    prefix = unique("lm")
    for i, role in enumerate([2, 3, 4]):
        _, name, _ = new_user(registry, admin, name=f"{prefix}{i}")
        add(registry, admin, project, role, username=name)
    r = admin.get(api(registry, f"/projects/{project}/members"), params={"page_size": 2})
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "4"  # admin, the creator, and three
    assert [m["entity_name"] for m in r.json()] == ["admin", f"{prefix}0"]
    for m in r.json():
        assert set(m) == MEMBER_KEYS and m["project_id"] == pid and m["entity_type"] == "u"
    nxt = links(r)
    assert set(nxt) == {"next"} and "page=2" in nxt["next"]
    r = admin.get(registry.url + nxt["next"])
    assert [m["entity_name"] for m in r.json()] == [f"{prefix}1", f"{prefix}2"]
    assert set(links(r)) == {"prev"}
    r = admin.get(api(registry, f"/projects/{project}/members"),
                  params={"page": 2, "page_size": 1})
    assert set(links(r)) == {"prev", "next"} and " , " in r.headers["Link"]
    r = admin.get(api(registry, f"/projects/{project}/members"),
                  params={"entityname": prefix[2:]})
    assert r.headers["X-Total-Count"] == "3"
    assert [m["entity_name"] for m in r.json()] == [f"{prefix}{i}" for i in range(3)]
    assert [m["entity_name"] for m in members(registry, admin, project, entityname=f"{prefix}1")] \
        == [f"{prefix}1"]
    assert [m["role_id"] for m in members(registry, admin, project, sort="-role_id")] == \
        [4, 3, 2, 1]
    assert [m["entity_name"] for m in members(registry, admin, project, q="role_id={3 4}")] == \
        [f"{prefix}1", f"{prefix}2"]
    assert members(registry, admin, project, entityname="no-such-user") == []
    for bad in ({"q": "password=x"}, {"sort": "nope"}, {"page_size": "-1"}):
        assert_error(admin.get(api(registry, f"/projects/{project}/members"), params=bad), 400,
                     "BAD_REQUEST")


# ------------------------------------------------------------------ update, delete


def test_change_role(registry, admin):
    _, project = new_project(registry, admin)
    _, name, _ = new_user(registry, admin)
    mid = add(registry, admin, project, 3, username=name)
    r = admin.put(api(registry, f"/projects/{project}/members/{mid}"), json={"role_id": 4})
    assert_status(r, 200)
    assert r.content == b""
    m = admin.get(api(registry, f"/projects/{project}/members/{mid}")).json()
    assert (m["role_id"], m["role_name"]) == (4, "maintainer")
    before = members(registry, admin, project)
    for body in ({"role_id": 0}, {"role_id": 9}, {"role_id": "1"}, {}, {"role": 1}):
        assert_error(admin.put(api(registry, f"/projects/{project}/members/{mid}"), json=body),
                     400, "BAD_REQUEST")
    assert_error(admin.put(api(registry, f"/projects/{project}/members/{mid}"), data=b"{",
                           headers={"Content-Type": "application/json"}), 400, "BAD_REQUEST")
    assert_error(admin.put(api(registry, f"/projects/{project}/members/99999999"),
                           json={"role_id": 1}), 404, "NOT_FOUND")
    assert members(registry, admin, project) == before


def test_remove_member(registry, admin):
    _, project = new_project(registry, admin)
    _, name, pw = new_user(registry, admin)
    mid = add(registry, admin, project, 2, username=name)
    s = registry.session(auth=(name, pw))
    assert_status(s.get(api(registry, f"/projects/{project}")), 200)
    r = admin.delete(api(registry, f"/projects/{project}/members/{mid}"))
    assert_status(r, 200)
    assert r.content == b""
    assert_error(admin.get(api(registry, f"/projects/{project}/members/{mid}")), 404,
                 "NOT_FOUND")
    assert name not in [m["entity_name"] for m in members(registry, admin, project)]
    assert_error(s.get(api(registry, f"/projects/{project}")), 403, "FORBIDDEN")
    assert_error(admin.delete(api(registry, f"/projects/{project}/members/{mid}")), 404,
                 "NOT_FOUND")
    # and may be added again
    add(registry, admin, project, 3, username=name)


# ------------------------------------------------------------------ who may


def test_only_project_admins_manage_members(registry, admin, anon):
    _, project = new_project(registry, admin)
    _, target, _ = new_user(registry, admin)
    victim = add(registry, admin, project, 3, username=target)
    for role in (2, 3, 4, 5):
        s = member_session(registry, admin, project, role)
        before = members(registry, admin, project)
        _, newcomer, _ = new_user(registry, admin)
        r = add(registry, s, project, 2, status=403, username=newcomer)
        assert_error(r, 403, "FORBIDDEN")
        assert_error(s.put(api(registry, f"/projects/{project}/members/{victim}"),
                           json={"role_id": 1}), 403, "FORBIDDEN")
        assert_error(s.delete(api(registry, f"/projects/{project}/members/{victim}")), 403,
                     "FORBIDDEN")
        assert members(registry, admin, project) == before
    _, newcomer, _ = new_user(registry, admin)
    r = add(registry, anon, project, 2, status=401, username=newcomer)
    assert_error(r, 401, "UNAUTHORIZED")
    # a project admin who is not a system administrator does
    owner = member_session(registry, admin, project, 1)
    mid = add(registry, owner, project, 2, username=newcomer)
    assert_status(owner.put(api(registry, f"/projects/{project}/members/{mid}"),
                            json={"role_id": 5}), 200)
    assert_status(owner.delete(api(registry, f"/projects/{project}/members/{mid}")), 200)


def test_who_may_see_members(registry, admin, anon):
    _, project = new_project(registry, admin)
    _, name, _ = new_user(registry, admin)
    mid = add(registry, admin, project, 2, username=name)
    for role in (1, 2, 3, 4):
        s = member_session(registry, admin, project, role)
        r = s.get(api(registry, f"/projects/{project}/members"))
        assert_status(r, 200)
        assert name in [m["entity_name"] for m in r.json()]
        assert_status(s.get(api(registry, f"/projects/{project}/members/{mid}")), 200)
    limited = member_session(registry, admin, project, 5)
    assert_error(limited.get(api(registry, f"/projects/{project}/members")), 403, "FORBIDDEN")
    assert_error(limited.get(api(registry, f"/projects/{project}/members/{mid}")), 403,
                 "FORBIDDEN")
    _, outsider, opw = new_user(registry, admin)
    s = registry.session(auth=(outsider, opw))
    assert_error(s.get(api(registry, f"/projects/{project}/members")), 403, "FORBIDDEN")
    assert_error(anon.get(api(registry, f"/projects/{project}/members")), 401, "UNAUTHORIZED")
    # a public project does not show its members to outsiders either
    _, public = new_project(registry, admin, public=True)
    assert_error(s.get(api(registry, f"/projects/{public}/members")), 403, "FORBIDDEN")
    assert_error(anon.get(api(registry, f"/projects/{public}/members")), 401, "UNAUTHORIZED")


def test_role_change_takes_effect(registry, admin):
    _, project = new_project(registry, admin)
    _, name, pw = new_user(registry, admin)
    mid = add(registry, admin, project, 3, username=name)
    s = registry.session(auth=(name, pw))
    url = api(registry, f"/projects/{project}/metadatas/auto_scan")
    assert_status(admin.post(api(registry, f"/projects/{project}/metadatas"),
                             json={"auto_scan": "true"}), 200)
    assert_error(s.get(url), 403, "FORBIDDEN")
    assert_status(admin.put(api(registry, f"/projects/{project}/members/{mid}"),
                            json={"role_id": 4}), 200)
    assert_status(s.get(url), 200)
    p = s.get(api(registry, f"/projects/{project}")).json()
    assert p["current_user_role_id"] == 4 and p["current_user_role_ids"] == [4]
