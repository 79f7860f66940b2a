"""Users of the Harbor v2 API (/users; harbor-api.md §0, §1.7): list with paging, q and sort;
create with Harbor's rules for usernames, passwords and emails; search; the current user and
their permissions; read, update and delete; the sysadmin flag; password changes.  Each
refused request is followed by a check that nothing changed.
"""

import re
import uuid

import pytest

from havenlib import assert_error, assert_status

TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
USER_KEYS = {"user_id", "username", "email", "realname", "comment", "sysadmin_flag",
             "admin_role_in_auth", "creation_time", "update_time"}


# ------------------------------------------------------------------ helpers


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="u"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def password():
    return "Pw" + uuid.uuid4().hex[:10] + "A1"


def user_body(name=None, **extra):
    name = name or unique()
    b = {"username": name, "password": password(), "email": f"{name}@e2e.example.com",
         "realname": "E2E " + name, "comment": "e2e"}
    b.update(extra)
    return b


def create_user(registry, admin, **extra):
    """Creates a user; returns (id, username, password)."""
    b = user_body(**extra)
    r = admin.post(api(registry, "/users"), json=b)
    assert_status(r, 201)
    return int(r.headers["Location"].rsplit("/", 1)[1]), b["username"], b["password"]


def user_exists(registry, admin, username):
    r = admin.get(api(registry, "/users"), params={"q": f"username={username}"})
    assert_status(r, 200)
    return r.headers["X-Total-Count"] != "0"


def user_count(registry, admin):
    r = admin.get(api(registry, "/users"), params={"page_size": 1})
    assert_status(r, 200)
    return int(r.headers["X-Total-Count"])


def get_user(registry, admin, uid):
    r = admin.get(api(registry, f"/users/{uid}"))
    assert_status(r, 200)
    return r.json()


def new_project(registry, admin, public=False):
    name = unique("p")
    r = admin.post(api(registry, "/projects"),
                   json={"project_name": name, "metadata": {"public": str(public).lower()}})
    assert_status(r, 201)
    return int(r.headers["Location"].rsplit("/", 1)[1]), name


def add_member(registry, admin, project, username, role_id):
    r = admin.post(api(registry, f"/projects/{project}/members"),
                   json={"role_id": role_id, "member_user": {"username": username}})
    assert_status(r, 201)


def links(r):
    """{rel: url} of a Link header written as Harbor writes it ('<a>; rel="prev" , <b>; ...')."""
    out = {}
    if "Link" not in r.headers:
        return out
    for part in r.headers["Link"].split(" , "):
        m = re.fullmatch(r'<([^>]+)>; rel="(prev|next)"', part)
        assert m, f"malformed Link {r.headers['Link']!r}"
        out[m.group(2)] = m.group(1)
    return out


def assert_user_shape(u):
    assert set(u) == USER_KEYS, sorted(u)
    assert isinstance(u["user_id"], int) and isinstance(u["sysadmin_flag"], bool)
    assert TIME_RE.fullmatch(u["creation_time"]) and TIME_RE.fullmatch(u["update_time"])
    for secret in ("password", "password_hash", "salt"):
        assert secret not in u


# ------------------------------------------------------------------ create


def test_create_answers_201_with_location_and_stores_the_profile(registry, admin):
    b = user_body()
    r = admin.post(api(registry, "/users"), json=b)
    assert_status(r, 201)
    assert r.content == b""
    m = re.fullmatch(r"/api/v2\.0/users/(\d+)", r.headers["Location"])
    assert m, r.headers["Location"]
    u = get_user(registry, admin, m.group(1))
    assert_user_shape(u)
    assert (u["username"], u["email"], u["realname"], u["comment"], u["sysadmin_flag"]) == (
        b["username"], b["email"], b["realname"], "e2e", False)
    assert b["password"] not in r.text + str(u)
    # the new user can log in
    s = registry.session(auth=(b["username"], b["password"]))
    assert_status(s.get(api(registry, "/users/current")), 200)


@pytest.mark.parametrize("name", ["a", "x" * 255, "Mixed.Case_and-dash", "ü-nicode", "dot.name"],
                         ids=["one-char", "255-chars", "mixed", "unicode", "dots"])
def test_create_accepts_valid_usernames(registry, admin, name):
    name = name if len(name) in (1, 255) else name + uuid.uuid4().hex[:6]
    b = user_body(name=name, email=f"{uuid.uuid4().hex[:8]}@e2e.example.com", realname="Valid")
    assert_status(admin.post(api(registry, "/users"), json=b), 201)
    assert user_exists(registry, admin, name)


BAD_USERS = [
    ("empty username", {"username": ""}),
    ("username too long", {"username": "x" * 256}),
    ("space", {"username": "a b"}),
    ("tab", {"username": "a\tb"}),
    ("comma", {"username": "a,b"}),
    ("quote", {"username": 'a"b'}),
    ("tilde", {"username": "a~b"}),
    ("hash", {"username": "a#b"}),
    ("percent", {"username": "a%b"}),
    ("dollar", {"username": "robot$x"}),
    ("colon", {"username": "a:b"}),
    ("username not a string", {"username": 5}),
    ("no username", {"username": None}),
    ("short password", {"password": "Ab1defg"}),
    ("long password", {"password": "Ab1" + "x" * 126}),
    ("no upper case", {"password": "abcdefg1"}),
    ("no lower case", {"password": "ABCDEFG1"}),
    ("no digit", {"password": "Abcdefgh"}),
    ("no password", {"password": None}),
    ("password not a string", {"password": 12345678}),
    ("no email", {"email": None}),
    ("empty email", {"email": ""}),
    ("email without @", {"email": "nobody.example.com"}),
    ("email without domain dot", {"email": "a@localhost"}),
    ("email with space", {"email": "a b@example.com"}),
    ("email two @", {"email": "a@b@example.com"}),
    ("email short tld", {"email": "a@example.c"}),
    ("email too long", {"email": "a" * 250 + "@example.com"}),
    ("email not a string", {"email": ["a@example.com"]}),
    ("comment too long", {"comment": "c" * 31}),
    ("realname illegal", {"realname": "a#b"}),
    ("realname not a string", {"realname": 1}),
]


@pytest.mark.parametrize("case,override", BAD_USERS, ids=[c for c, _ in BAD_USERS])
def test_create_refuses_invalid_input(registry, admin, case, override):
    b = user_body()
    for k, v in override.items():
        if v is None:
            b.pop(k)
        else:
            b[k] = v
    before = user_count(registry, admin)
    r = admin.post(api(registry, "/users"), json=b)
    assert_error(r, 400, "BAD_REQUEST")
    assert r.json()["errors"][0]["message"]
    assert user_count(registry, admin) == before


@pytest.mark.parametrize("raw", [b"{", b"[]", b"", b"{\"username\": \"a\",}", b"null"])
def test_create_refuses_malformed_json(registry, admin, raw):
    before = user_count(registry, admin)
    r = admin.post(api(registry, "/users"), data=raw,
                   headers={"Content-Type": "application/json"})
    assert_error(r, 400, "BAD_REQUEST")
    assert user_count(registry, admin) == before


def test_create_duplicate_username_or_email_is_409(registry, admin):
    _, name, _ = create_user(registry, admin)
    before = user_count(registry, admin)
    r = admin.post(api(registry, "/users"), json=user_body(name=name))
    assert_error(r, 409, "CONFLICT")
    other = unique()
    r = admin.post(api(registry, "/users"),
                   json=user_body(name=other, email=f"{name}@e2e.example.com"))
    assert_error(r, 409, "CONFLICT")
    assert user_count(registry, admin) == before
    assert not user_exists(registry, admin, other)


def test_only_administrators_create_users(registry, admin, anon):
    _, name, pw = create_user(registry, admin)
    b = user_body()
    r = registry.session(auth=(name, pw)).post(api(registry, "/users"), json=b)
    assert_error(r, 403, "FORBIDDEN")
    assert_error(anon.post(api(registry, "/users"), json=b), 401, "UNAUTHORIZED")
    assert not user_exists(registry, admin, b["username"])


# ------------------------------------------------------------------ list, search


def test_list_pages_with_total_and_links(registry, admin):
    prefix = unique("pg")
    for i in range(3):
        create_user(registry, admin, name=f"{prefix}{i}", email=f"{prefix}{i}@e2e.example.com")
    q = {"q": f"username=~{prefix}", "page_size": 2}
    r = admin.get(api(registry, "/users"), params=q)
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "3"
    assert [u["username"] for u in r.json()] == [f"{prefix}0", f"{prefix}1"]
    for u in r.json():
        assert_user_shape(u)
    l1 = links(r)
    assert set(l1) == {"next"} and "page=2" in l1["next"] and "page_size=2" in l1["next"]
    assert f"q=username=~{prefix}" in l1["next"]
    r = admin.get(registry.url + l1["next"])
    assert_status(r, 200)
    assert [u["username"] for u in r.json()] == [f"{prefix}2"]
    assert set(links(r)) == {"prev"}
    r = admin.get(api(registry, "/users"), params={**q, "page": 2, "page_size": 1})
    assert set(links(r)) == {"prev", "next"}
    assert ' , ' in r.headers["Link"]


def test_list_sorts_and_filters(registry, admin):
    prefix = unique("so")
    for i in range(3):
        create_user(registry, admin, name=f"{prefix}{i}", email=f"{prefix}{i}@e2e.example.com")
    r = admin.get(api(registry, "/users"), params={"q": f"username=~{prefix}", "sort": "-username"})
    assert [u["username"] for u in r.json()] == [f"{prefix}2", f"{prefix}1", f"{prefix}0"]
    r = admin.get(api(registry, "/users"), params={"q": f"username={prefix}1"})
    assert [u["username"] for u in r.json()] == [f"{prefix}1"]
    r = admin.get(api(registry, "/users"), params={"q": f"email=~{prefix}2@"})
    assert [u["username"] for u in r.json()] == [f"{prefix}2"]
    r = admin.get(api(registry, "/users"), params={"username": prefix, "email": f"{prefix}0"})
    assert [u["username"] for u in r.json()] == [f"{prefix}0"]
    r = admin.get(api(registry, "/users"), params={"q": "sysadmin_flag=true", "page_size": 100})
    assert "admin" in [u["username"] for u in r.json()]
    assert all(u["sysadmin_flag"] for u in r.json())


@pytest.mark.parametrize("params", [{"q": "nosuchkey=1"}, {"sort": "password_hash"},
                                    {"q": "username"}, {"page": "0"}, {"page_size": "101"},
                                    {"page_size": "x"}])
def test_list_refuses_bad_parameters(registry, admin, params):
    assert_error(admin.get(api(registry, "/users"), params=params), 400, "BAD_REQUEST")


def test_list_needs_an_administrator(registry, admin, anon):
    _, name, pw = create_user(registry, admin)
    assert_error(registry.session(auth=(name, pw)).get(api(registry, "/users")), 403, "FORBIDDEN")
    assert_error(anon.get(api(registry, "/users")), 401, "UNAUTHORIZED")


def test_search_is_fuzzy_and_open_to_any_user(registry, admin, anon):
    prefix = unique("se")
    ids = [create_user(registry, admin, name=f"{prefix}{i}",
                       email=f"{prefix}{i}@e2e.example.com")[0] for i in range(3)]
    _, name, pw = create_user(registry, admin)
    s = registry.session(auth=(name, pw))
    r = s.get(api(registry, "/users/search"), params={"username": prefix[2:]})
    assert_status(r, 200)
    assert r.json() == [{"user_id": ids[i], "username": f"{prefix}{i}"} for i in range(3)]
    assert r.headers["X-Total-Count"] == "3"
    r = s.get(api(registry, "/users/search"), params={"username": prefix, "page_size": 2})
    assert len(r.json()) == 2 and set(links(r)) == {"next"}
    assert_error(anon.get(api(registry, "/users/search"), params={"username": prefix}), 401,
                 "UNAUTHORIZED")
    assert_error(s.get(api(registry, "/users/search")), 400, "BAD_REQUEST")


# ------------------------------------------------------------------ current, read


def test_current_user(registry, admin, anon):
    uid, name, pw = create_user(registry, admin)
    r = registry.session(auth=(name, pw)).get(api(registry, "/users/current"))
    assert_status(r, 200)
    assert_user_shape(r.json())
    assert (r.json()["user_id"], r.json()["username"]) == (uid, name)
    r = admin.get(api(registry, "/users/current"))
    assert r.json()["user_id"] == 1 and r.json()["sysadmin_flag"] is True
    assert_error(anon.get(api(registry, "/users/current")), 401, "UNAUTHORIZED")


def test_read_self_or_as_administrator(registry, admin, anon):
    uid, name, pw = create_user(registry, admin)
    other, _, _ = create_user(registry, admin)
    s = registry.session(auth=(name, pw))
    assert s.get(api(registry, f"/users/{uid}")).json()["username"] == name
    assert_error(s.get(api(registry, f"/users/{other}")), 403, "FORBIDDEN")
    assert_error(anon.get(api(registry, f"/users/{uid}")), 401, "UNAUTHORIZED")
    assert_status(admin.get(api(registry, f"/users/{other}")), 200)
    assert_error(admin.get(api(registry, "/users/99999999")), 404, "NOT_FOUND")
    assert_error(admin.get(api(registry, "/users/abc")), 400, "BAD_REQUEST")


# ------------------------------------------------------------------ update


def test_update_own_profile(registry, admin):
    uid, name, pw = create_user(registry, admin)
    s = registry.session(auth=(name, pw))
    before = get_user(registry, admin, uid)
    new_email = f"new-{name}@e2e.example.com"
    r = s.put(api(registry, f"/users/{uid}"),
              json={"email": new_email, "realname": "New Name", "comment": "changed"})
    assert_status(r, 200)
    assert r.content == b""
    after = get_user(registry, admin, uid)
    assert (after["email"], after["realname"], after["comment"]) == (new_email, "New Name",
                                                                      "changed")
    assert after["username"] == name and after["creation_time"] == before["creation_time"]
    # a field left out keeps its value
    assert_status(s.put(api(registry, f"/users/{uid}"), json={"comment": "only"}), 200)
    after = get_user(registry, admin, uid)
    assert (after["email"], after["realname"], after["comment"]) == (new_email, "New Name", "only")


def test_update_refusals_change_nothing(registry, admin, anon):
    uid, name, pw = create_user(registry, admin)
    other, other_name, _ = create_user(registry, admin)
    s = registry.session(auth=(name, pw))
    before = get_user(registry, admin, uid)
    cases = [
        (s.put(api(registry, f"/users/{uid}"), json={"email": "not-an-email"}), 400,
         "BAD_REQUEST"),
        (s.put(api(registry, f"/users/{uid}"), json={"email": ""}), 400, "BAD_REQUEST"),
        (s.put(api(registry, f"/users/{uid}"), json={"comment": "x" * 31}), 400, "BAD_REQUEST"),
        (s.put(api(registry, f"/users/{uid}"), json={"realname": 7}), 400, "BAD_REQUEST"),
        (s.put(api(registry, f"/users/{uid}"), data=b"{nope",
               headers={"Content-Type": "application/json"}), 400, "BAD_REQUEST"),
        (s.put(api(registry, f"/users/{uid}"),
               json={"email": f"{other_name}@e2e.example.com"}), 409, "CONFLICT"),
        (s.put(api(registry, f"/users/{other}"), json={"realname": "hijack"}), 403, "FORBIDDEN"),
        (anon.put(api(registry, f"/users/{uid}"), json={"realname": "anon"}), 401,
         "UNAUTHORIZED"),
    ]
    for r, status, code in cases:
        assert_error(r, status, code)
    assert get_user(registry, admin, uid) == before
    assert get_user(registry, admin, other)["realname"] == "E2E " + other_name
    assert_error(admin.put(api(registry, "/users/99999999"), json={"realname": "x"}), 404,
                 "NOT_FOUND")


def test_administrator_updates_anyone(registry, admin):
    uid, _, _ = create_user(registry, admin)
    assert_status(admin.put(api(registry, f"/users/{uid}"), json={"realname": "By Admin"}), 200)
    assert get_user(registry, admin, uid)["realname"] == "By Admin"


# ------------------------------------------------------------------ delete


def test_delete_user(registry, admin):
    uid, name, pw = create_user(registry, admin)
    _, project = new_project(registry, admin)
    add_member(registry, admin, project, name, 2)
    r = admin.delete(api(registry, f"/users/{uid}"))
    assert_status(r, 200)
    assert r.content == b""
    assert_error(admin.get(api(registry, f"/users/{uid}")), 404, "NOT_FOUND")
    assert not user_exists(registry, admin, name)
    assert_error(registry.session(auth=(name, pw)).get(api(registry, "/users/current")), 401,
                 "UNAUTHORIZED")
    members = admin.get(api(registry, f"/projects/{project}/members")).json()
    assert name not in [m["entity_name"] for m in members]
    assert_error(admin.delete(api(registry, f"/users/{uid}")), 404, "NOT_FOUND")
    # the name is free again
    create_user(registry, admin, name=name)


def test_delete_refusals(registry, admin, anon):
    uid, name, pw = create_user(registry, admin)
    before = user_count(registry, admin)
    assert_error(admin.delete(api(registry, "/users/1")), 403, "FORBIDDEN")
    s = registry.session(auth=(name, pw))
    assert_error(s.delete(api(registry, f"/users/{uid}")), 403, "FORBIDDEN")
    assert_error(anon.delete(api(registry, f"/users/{uid}")), 401, "UNAUTHORIZED")
    # an administrator cannot delete themselves either
    aid, aname, apw = create_user(registry, admin)
    assert_status(admin.put(api(registry, f"/users/{aid}/sysadmin"),
                            json={"sysadmin_flag": True}), 200)
    assert_error(registry.session(auth=(aname, apw)).delete(api(registry, f"/users/{aid}")), 403,
                 "FORBIDDEN")
    assert_error(admin.delete(api(registry, "/users/99999999")), 404, "NOT_FOUND")
    assert_error(admin.delete(api(registry, "/users/x")), 400, "BAD_REQUEST")
    assert user_count(registry, admin) == before + 1
    assert get_user(registry, admin, 1)["username"] == "admin"


# ------------------------------------------------------------------ sysadmin flag


def test_sysadmin_flag(registry, admin):
    uid, name, pw = create_user(registry, admin)
    s = registry.session(auth=(name, pw))
    assert_error(s.get(api(registry, "/users")), 403, "FORBIDDEN")
    r = admin.put(api(registry, f"/users/{uid}/sysadmin"), json={"sysadmin_flag": True})
    assert_status(r, 200)
    assert r.content == b""
    assert get_user(registry, admin, uid)["sysadmin_flag"] is True
    assert_status(s.get(api(registry, "/users")), 200)
    assert_status(admin.put(api(registry, f"/users/{uid}/sysadmin"),
                            json={"sysadmin_flag": False}), 200)
    assert get_user(registry, admin, uid)["sysadmin_flag"] is False
    assert_error(s.get(api(registry, "/users")), 403, "FORBIDDEN")


def test_sysadmin_flag_refusals(registry, admin, anon):
    uid, name, pw = create_user(registry, admin)
    s = registry.session(auth=(name, pw))
    assert_error(s.put(api(registry, f"/users/{uid}/sysadmin"), json={"sysadmin_flag": True}),
                 403, "FORBIDDEN")
    assert_error(anon.put(api(registry, f"/users/{uid}/sysadmin"), json={"sysadmin_flag": True}),
                 401, "UNAUTHORIZED")
    assert_error(admin.put(api(registry, "/users/1/sysadmin"), json={"sysadmin_flag": False}),
                 403, "FORBIDDEN")
    for body in ({"sysadmin_flag": "true"}, {}, {"sysadmin_flag": 1}):
        assert_error(admin.put(api(registry, f"/users/{uid}/sysadmin"), json=body), 400,
                     "BAD_REQUEST")
    assert_error(admin.put(api(registry, "/users/99999999/sysadmin"),
                           json={"sysadmin_flag": True}), 404, "NOT_FOUND")
    assert get_user(registry, admin, uid)["sysadmin_flag"] is False
    assert get_user(registry, admin, 1)["sysadmin_flag"] is True


# ------------------------------------------------------------------ password


def can_login(registry, name, pw):
    r = registry.session(auth=(name, pw)).get(api(registry, "/users/current"))
    assert r.status_code in (200, 401), r.text
    return r.status_code == 200


def test_change_own_password(registry, admin):
    uid, name, pw = create_user(registry, admin)
    s = registry.session(auth=(name, pw))
    new = password()
    r = s.put(api(registry, f"/users/{uid}/password"),
              json={"old_password": pw, "new_password": new})
    assert_status(r, 200)
    assert r.content == b""
    assert can_login(registry, name, new)
    assert not can_login(registry, name, pw)


def test_password_refusals_change_nothing(registry, admin, anon):
    uid, name, pw = create_user(registry, admin)
    other, oname, opw = create_user(registry, admin)
    s = registry.session(auth=(name, pw))
    url = api(registry, f"/users/{uid}/password")
    cases = [
        (s.put(url, json={"old_password": "Wrong1234", "new_password": password()}), 403,
         "FORBIDDEN"),
        (s.put(url, json={"new_password": password()}), 400, "BAD_REQUEST"),
        (s.put(url, json={"old_password": pw, "new_password": "weak"}), 400, "BAD_REQUEST"),
        (s.put(url, json={"old_password": pw, "new_password": "alllowercase1"}), 400,
         "BAD_REQUEST"),
        (s.put(url, json={"old_password": pw, "new_password": pw}), 400, "BAD_REQUEST"),
        (s.put(url, json={"old_password": pw, "new_password": 12345678}), 400, "BAD_REQUEST"),
        (s.put(url, data=b"[", headers={"Content-Type": "application/json"}), 400,
         "BAD_REQUEST"),
        (s.put(api(registry, f"/users/{other}/password"),
               json={"old_password": opw, "new_password": password()}), 403, "FORBIDDEN"),
        (anon.put(url, json={"old_password": pw, "new_password": password()}), 401,
         "UNAUTHORIZED"),
    ]
    for r, status, code in cases:
        assert_error(r, status, code)
    assert can_login(registry, name, pw)
    assert can_login(registry, oname, opw)


def test_administrator_sets_password_without_the_old_one(registry, admin):
    uid, name, pw = create_user(registry, admin)
    new = password()
    assert_status(admin.put(api(registry, f"/users/{uid}/password"),
                            json={"new_password": new}), 200)
    assert can_login(registry, name, new)
    assert not can_login(registry, name, pw)
    assert_error(admin.put(api(registry, f"/users/{uid}/password"), json={"new_password": "x"}),
                 400, "BAD_REQUEST")
    assert_error(admin.put(api(registry, "/users/99999999/password"),
                           json={"new_password": password()}), 404, "NOT_FOUND")


def test_cli_secret_needs_oidc(registry, admin):
    uid, _, _ = create_user(registry, admin)
    assert_error(admin.put(api(registry, f"/users/{uid}/cli_secret"), json={"secret": "x"}), 412,
                 "PRECONDITION")


# ------------------------------------------------------------------ permissions


def perms(session, registry, scope, relative):
    r = session.get(api(registry, "/users/current/permissions"),
                    params={"scope": scope, "relative": str(relative).lower()})
    assert_status(r, 200)
    for p in r.json():
        assert set(p) == {"resource", "action"}
    return {(p["resource"], p["action"]) for p in r.json()}


def test_permissions_of_a_developer_and_a_guest(registry, admin):
    pid, project = new_project(registry, admin)
    _, dev, dev_pw = create_user(registry, admin)
    _, guest, guest_pw = create_user(registry, admin)
    add_member(registry, admin, project, dev, 2)
    add_member(registry, admin, project, guest, 3)
    d = registry.session(auth=(dev, dev_pw))
    g = registry.session(auth=(guest, guest_pw))
    scope = f"/project/{pid}"
    rel = perms(d, registry, scope, True)
    assert {(".", "read"), ("repository", "push"), ("repository", "pull"),
            ("member", "list"), ("artifact", "create")} <= rel
    assert ("member", "create") not in rel and ("", "delete") not in rel
    assert (".", "delete") not in rel
    absolute = perms(d, registry, scope, False)
    assert (f"{scope}/repository", "push") in absolute and (scope, "read") in absolute
    assert len(absolute) == len(rel)
    grel = perms(g, registry, scope, True)
    assert ("repository", "pull") in grel and ("repository", "push") not in grel
    assert grel < rel
    everything = perms(admin, registry, scope, True)
    assert rel < everything and ("member", "create") in everything
    assert (".", "delete") in everything


def test_permissions_elsewhere(registry, admin, anon):
    pid, _ = new_project(registry, admin)
    _, name, pw = create_user(registry, admin)
    s = registry.session(auth=(name, pw))
    assert perms(s, registry, f"/project/{pid}", True) == set()
    assert perms(s, registry, "/project/99999999", True) == set()
    # a public project: the public read policies
    pub, _ = new_project(registry, admin, public=True)
    public = perms(s, registry, f"/project/{pub}", True)
    assert ("repository", "pull") in public and ("repository", "push") not in public
    assert ("project", "create") in perms(admin, registry, "/system", True)
    assert ("/system/project", "create") in perms(admin, registry, "/system", False)
    assert perms(s, registry, "/system", True) == set()
    assert_error(anon.get(api(registry, "/users/current/permissions"),
                          params={"scope": f"/project/{pid}"}), 401, "UNAUTHORIZED")
