"""Projects of the Harbor v2 API (/projects, /projects/{p}/metadatas, _deletable, summary;
harbor-api.md §0, §1.1, §2): create with Harbor's name and metadata rules, who may create,
list with visibility, paging, q, sort and filters, read, update (metadata merge, CVE
allowlist), delete (412 while repositories remain), and the metadata endpoints.  Each
refused request is followed by a check that nothing changed.
"""

import random
import re
import time
import uuid

import pytest

from havenlib import (
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    assert_error,
    assert_status,
    canonical,
    descriptor,
    digest_of,
)

TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
PROJECT_KEYS = {"project_id", "owner_id", "name", "creation_time", "update_time", "deleted",
                "owner_name", "togglable", "current_user_role_id", "current_user_role_ids",
                "repo_count", "metadata", "cve_allowlist"}


# ------------------------------------------------------------------ helpers


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="p"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def create(registry, session, name=None, status=201, **body):
    body.setdefault("project_name", name or unique())
    r = session.post(api(registry, "/projects"), json=body)
    assert_status(r, status)
    return body["project_name"]


def get(registry, session, name_or_id, status=200):
    r = session.get(api(registry, f"/projects/{name_or_id}"))
    assert_status(r, status)
    return r.json()


def exists(registry, admin, name):
    r = admin.head(api(registry, "/projects"), params={"project_name": name})
    assert r.status_code in (200, 404), r.status_code
    return r.status_code == 200


def new_user(registry, admin):
    name = unique("u")
    pw = "Pw" + uuid.uuid4().hex[:10] + "A1"
    r = admin.post(api(registry, "/users"),
                   json={"username": name, "password": pw, "email": f"{name}@e2e.example.com",
                         "realname": name})
    assert_status(r, 201)
    return name, pw


def user_session(registry, admin):
    name, pw = new_user(registry, admin)
    return name, registry.session(auth=(name, pw))


def add_member(registry, admin, project, username, role_id):
    r = admin.post(api(registry, f"/projects/{project}/members"),
                   json={"role_id": role_id, "member_user": {"username": username}})
    assert_status(r, 201)


def member_session(registry, admin, project, role_id):
    name, s = user_session(registry, admin)
    add_member(registry, admin, project, name, role_id)
    return s


def links(r):
    out = {}
    if "Link" not in r.headers:
        return out
    for part in r.headers["Link"].split(" , "):
        m = re.fullmatch(r'<([^>]+)>; rel="(prev|next)"', part)
        assert m, f"malformed Link {r.headers['Link']!r}"
        out[m.group(2)] = m.group(1)
    return out


def push(registry, repo, session=None, seed=0):
    """Pushes a config, a layer and an OCI manifest tagged v1; returns the manifest's PUT."""
    rnd = random.Random(seed)
    layer = rnd.randbytes(512)
    config = canonical({"architecture": "amd64", "os": "linux", "seed": seed,
                        "rootfs": {"type": "layers", "diff_ids": [digest_of(layer)]}})
    s = session or registry.session()
    for blob in (config, layer):
        r = s.post(registry.v2(f"{repo}/blobs/uploads/"), params={"digest": digest_of(blob)},
                   data=blob, headers={"Content-Type": "application/octet-stream"})
        if r.status_code != 201:
            return r
    manifest = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": descriptor(OCI_CONFIG, config),
                          "layers": [descriptor(OCI_LAYER, layer)]})
    return registry.push_manifest(repo, "v1", manifest, session=s)


# ------------------------------------------------------------------ create


def test_create_answers_201_with_location(registry, admin):
    name = unique()
    r = admin.post(api(registry, "/projects"), json={"project_name": name})
    assert_status(r, 201)
    assert r.content == b""
    m = re.fullmatch(r"/api/v2\.0/projects/(\d+)", r.headers["Location"])
    assert m, r.headers["Location"]
    p = get(registry, admin, m.group(1))
    assert p["name"] == name and p["project_id"] == int(m.group(1))
    name = unique()
    r = admin.post(api(registry, "/projects"), json={"project_name": name},
                   headers={"X-Resource-Name-In-Location": "true"})
    assert_status(r, 201)
    assert r.headers["Location"] == f"/api/v2.0/projects/{name}"


def test_project_shape(registry, admin):
    name = create(registry, admin, metadata={"public": "false", "auto_scan": "true"})
    p = get(registry, admin, name)
    assert set(p) == PROJECT_KEYS, sorted(p)
    assert p["owner_id"] == 1 and p["owner_name"] == "admin"
    assert p["deleted"] is False and p["togglable"] is True and p["repo_count"] == 0
    assert p["current_user_role_id"] == 1 and p["current_user_role_ids"] == [1]
    assert TIME_RE.fullmatch(p["creation_time"]) and TIME_RE.fullmatch(p["update_time"])
    assert p["metadata"] == {"public": "false", "auto_scan": "true"}
    assert all(isinstance(v, str) for v in p["metadata"].values())
    wl = p["cve_allowlist"]
    assert {"id", "project_id", "items", "creation_time", "update_time"} <= set(wl)
    assert wl["project_id"] == p["project_id"] and wl["items"] == []
    # by id, and a name forced with X-Is-Resource-Name
    assert get(registry, admin, p["project_id"])["name"] == name
    r = admin.get(api(registry, f"/projects/{name}"), headers={"X-Is-Resource-Name": "true"})
    assert r.json()["project_id"] == p["project_id"]


def test_metadata_is_normalised(registry, admin):
    name = create(registry, admin, metadata={
        "public": "1", "enable_content_trust": "F", "enable_content_trust_cosign": "TRUE",
        "prevent_vul": "t", "auto_scan": "False", "auto_sbom_generation": "0",
        "reuse_sys_cve_allowlist": "True", "severity": "HIGH", "retention_id": ""})
    assert get(registry, admin, name)["metadata"] == {
        "public": "true", "enable_content_trust": "false", "enable_content_trust_cosign": "true",
        "prevent_vul": "true", "auto_scan": "false", "auto_sbom_generation": "false",
        "reuse_sys_cve_allowlist": "true", "severity": "high"}


def test_empty_metadata_values_are_left_unset(registry, admin):
    """Generated clients send "" for the fields they do not set."""
    name = create(registry, admin, public=True,
                  metadata={"public": "", "auto_scan": "", "severity": "", "retention_id": "",
                            "proxy_speed_kb": "", "prevent_vul": None})
    assert get(registry, admin, name)["metadata"] == {"public": "true"}
    assert_status(admin.put(api(registry, f"/projects/{name}"),
                            json={"metadata": {"public": "", "auto_scan": "true"}}), 200)
    assert get(registry, admin, name)["metadata"] == {"public": "true", "auto_scan": "true"}


def test_public_flag(registry, admin):
    assert get(registry, admin, create(registry, admin))["metadata"]["public"] == "false"
    assert get(registry, admin, create(registry, admin, public=True))["metadata"] == {
        "public": "true"}
    # metadata.public wins over the deprecated flag
    name = create(registry, admin, public=True, metadata={"public": "false"})
    assert get(registry, admin, name)["metadata"]["public"] == "false"


def test_create_accepts_valid_names_and_extras(registry, admin):
    for name in ["a" + uuid.uuid4().hex[:6], f"a.b_c-d{uuid.uuid4().hex[:4]}", "0" + unique(),
                 unique() + "x" * 230]:
        create(registry, admin, name=name, storage_limit=-1,
               cve_allowlist={"items": [{"cve_id": "CVE-2019-10164"}], "expires_at": 1573254000})
        p = get(registry, admin, name)
        assert p["cve_allowlist"]["items"] == [{"cve_id": "CVE-2019-10164"}]
        assert p["cve_allowlist"]["expires_at"] == 1573254000
    create(registry, admin, name=unique(), storage_limit=1024, public=None, registry_id=None,
           metadata=None, cve_allowlist=None)


BAD_CREATES = [
    ("upper case", {"project_name": "Upper"}),
    ("leading dash", {"project_name": "-abc"}),
    ("trailing dot", {"project_name": "abc."}),
    ("double separator", {"project_name": "a..b"}),
    ("slash", {"project_name": "a/b"}),
    ("space", {"project_name": "a b"}),
    ("empty name", {"project_name": ""}),
    ("too long", {"project_name": "p" * 256}),
    ("name not a string", {"project_name": 42}),
    ("public not a bool", {"public": "true"}),
    ("metadata not an object", {"metadata": ["public"]}),
    ("metadata value not a string", {"metadata": {"public": True}}),
    ("unknown metadata key", {"metadata": {"colour": "blue"}}),
    ("unknown metadata key, empty", {"metadata": {"colour": ""}}),
    ("bool metadata not a bool", {"metadata": {"auto_scan": "yes"}}),
    ("public metadata not a bool", {"metadata": {"public": "maybe"}}),
    ("bad severity", {"metadata": {"severity": "urgent"}}),
    ("retention_id on create", {"metadata": {"retention_id": "5"}}),
    ("proxy_speed_kb not a number", {"metadata": {"proxy_speed_kb": "fast"}}),
    ("proxy_speed_kb over int32", {"metadata": {"proxy_speed_kb": "2147483648"}}),
    ("storage_limit not an integer", {"storage_limit": "10"}),
    ("storage_limit below -1", {"storage_limit": -2}),
    ("registry_id zero", {"registry_id": 0}),
    ("registry_id unsupported", {"registry_id": 3}),
    ("allowlist not an object", {"cve_allowlist": []}),
    ("allowlist items not a list", {"cve_allowlist": {"items": "CVE-1"}}),
    ("allowlist item without id", {"cve_allowlist": {"items": [{}]}}),
    ("allowlist duplicate", {"cve_allowlist": {"items": [{"cve_id": "CVE-1"},
                                                         {"cve_id": "CVE-1"}]}}),
    ("allowlist expiry not a number", {"cve_allowlist": {"expires_at": "soon"}}),
]


@pytest.mark.parametrize("case,body", BAD_CREATES, ids=[c for c, _ in BAD_CREATES])
def test_create_refuses_invalid_input(registry, admin, case, body):
    b = {"project_name": unique()}
    b.update(body)
    r = admin.post(api(registry, "/projects"), json=b)
    assert_error(r, 400, "BAD_REQUEST")
    assert r.json()["errors"][0]["message"]
    if isinstance(b["project_name"], str) and b["project_name"]:
        assert not exists(registry, admin, b["project_name"])


@pytest.mark.parametrize("raw", [b"{", b"[1]", b"", b"\"name\"", b"{\"project_name\":\"a\" x}"])
def test_create_refuses_malformed_json(registry, admin, raw):
    before = admin.get(api(registry, "/projects"), params={"page_size": 1})
    r = admin.post(api(registry, "/projects"), data=raw,
                   headers={"Content-Type": "application/json"})
    assert_error(r, 400, "BAD_REQUEST")
    after = admin.get(api(registry, "/projects"), params={"page_size": 1})
    assert after.headers["X-Total-Count"] == before.headers["X-Total-Count"]


def test_create_existing_is_409(registry, admin):
    name = create(registry, admin, metadata={"public": "false"})
    before = get(registry, admin, name)
    r = admin.post(api(registry, "/projects"),
                   json={"project_name": name, "metadata": {"public": "true"}})
    assert_error(r, 409, "CONFLICT")
    assert get(registry, admin, name) == before
    assert_error(admin.post(api(registry, "/projects"), json={"project_name": "library"}), 409,
                 "CONFLICT")


def test_user_creates_a_project_and_becomes_its_admin(registry, admin):
    username, s = user_session(registry, admin)
    name = create(registry, s)
    p = get(registry, s, name)
    assert p["owner_name"] == username and p["current_user_role_ids"] == [1]
    assert p["current_user_role_id"] == 1
    members = s.get(api(registry, f"/projects/{name}/members")).json()
    assert [(m["entity_name"], m["role_name"]) for m in members] == [(username, "projectAdmin")]
    # and may change and delete it
    assert_status(s.put(api(registry, f"/projects/{name}"),
                        json={"metadata": {"auto_scan": "true"}}), 200)
    assert_status(s.delete(api(registry, f"/projects/{name}")), 200)


def test_anonymous_cannot_create(registry, admin, anon):
    name = unique()
    assert_error(anon.post(api(registry, "/projects"), json={"project_name": name}), 401,
                 "UNAUTHORIZED")
    assert not exists(registry, admin, name)


def test_adminonly_restriction(start_registry):
    """PUT /configurations project_creation_restriction=adminonly stops users creating
    projects; everyone again lets them."""
    reg = start_registry()
    admin = reg.session()
    _, s = user_session(reg, admin)
    r = admin.get(api(reg, "/configurations"))
    assert_status(r, 200)
    assert r.json()["project_creation_restriction"] == {"value": "everyone", "editable": True}
    assert_status(admin.put(api(reg, "/configurations"),
                            json={"project_creation_restriction": "adminonly"}), 200)
    assert admin.get(api(reg, "/configurations")).json()["project_creation_restriction"][
        "value"] == "adminonly"
    assert admin.get(api(reg, "/systeminfo")).json()["project_creation_restriction"] == \
        "adminonly"
    name = unique()
    assert_error(s.post(api(reg, "/projects"), json={"project_name": name}), 403, "FORBIDDEN")
    assert not exists(reg, admin, name)
    create(reg, admin, name=name)
    assert exists(reg, admin, name)
    assert_status(admin.put(api(reg, "/configurations"),
                            json={"project_creation_restriction": "everyone"}), 200)
    create(reg, s)


def test_configurations_refuse_what_haven_does_not_keep(registry, admin, anon):
    _, s = user_session(registry, admin)
    assert_error(s.get(api(registry, "/configurations")), 403, "FORBIDDEN")
    assert_error(anon.get(api(registry, "/configurations")), 401, "UNAUTHORIZED")
    assert_error(s.put(api(registry, "/configurations"),
                       json={"project_creation_restriction": "adminonly"}), 403, "FORBIDDEN")
    for body in ({"project_creation_restriction": "nobody"},
                 {"project_creation_restriction": 1},
                 {"auth_mode": "ldap_auth"}):
        assert_error(admin.put(api(registry, "/configurations"), json=body), 400, "BAD_REQUEST")
    r = admin.get(api(registry, "/configurations"))
    assert r.json()["project_creation_restriction"]["value"] == "everyone"
    assert r.json()["auth_mode"] == {"value": "db_auth", "editable": False}


def test_robots_create_projects_only_as_system_robots(registry, admin):
    r = admin.post(api(registry, "/robots"), json={
        "name": unique("sys"), "description": "", "level": "system", "duration": -1,
        "permissions": [{"kind": "system", "namespace": "/",
                         "access": [{"resource": "project", "action": "create"}]}]})
    if r.status_code == 404 and "no such API endpoint" in r.text:
        pytest.fail("/robots is not served")
    assert_status(r, 201)
    robot = registry.session(auth=(r.json()["name"], r.json()["secret"]))
    name = create(registry, robot)
    p = get(registry, admin, name)
    assert p["owner_id"] == 1
    r = admin.post(api(registry, "/robots"), json={
        "name": unique("prj"), "description": "", "level": "project", "duration": -1,
        "permissions": [{"kind": "project", "namespace": name,
                         "access": [{"resource": "repository", "action": "push"}]}]})
    assert_status(r, 201)
    robot = registry.session(auth=(r.json()["name"], r.json()["secret"]))
    other = unique()
    assert_error(robot.post(api(registry, "/projects"), json={"project_name": other}), 403,
                 "FORBIDDEN")
    assert not exists(registry, admin, other)


# ------------------------------------------------------------------ head, list


def test_head(registry, admin, anon):
    name = create(registry, admin)
    _, s = user_session(registry, admin)
    assert_status(s.head(api(registry, "/projects"), params={"project_name": name}), 200)
    assert_status(s.head(api(registry, "/projects"), params={"project_name": unique()}), 404)
    assert_status(anon.head(api(registry, "/projects"), params={"project_name": name}), 401)
    assert_status(s.head(api(registry, "/projects")), 400)


def test_list_pages_sorts_and_filters(registry, admin):
    prefix = unique("ls")
    for i in range(3):
        create(registry, admin, name=f"{prefix}-{i}", metadata={"public": str(i == 1).lower()})
    q = {"q": f"name=~{prefix}", "page_size": 2}
    r = admin.get(api(registry, "/projects"), params=q)
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "3"
    assert [p["name"] for p in r.json()] == [f"{prefix}-0", f"{prefix}-1"]
    for p in r.json():
        assert set(p) == PROJECT_KEYS
    nxt = links(r)
    assert set(nxt) == {"next"} and "page=2" in nxt["next"]
    r2 = admin.get(registry.url + nxt["next"])
    assert [p["name"] for p in r2.json()] == [f"{prefix}-2"]
    assert set(links(r2)) == {"prev"}
    r = admin.get(api(registry, "/projects"), params={**q, "page": 2, "page_size": 1})
    assert set(links(r)) == {"prev", "next"} and " , " in r.headers["Link"]
    r = admin.get(api(registry, "/projects"), params={"q": f"name=~{prefix}", "sort": "-name"})
    assert [p["name"] for p in r.json()] == [f"{prefix}-2", f"{prefix}-1", f"{prefix}-0"]
    r = admin.get(api(registry, "/projects"), params={"name": prefix, "public": "true"})
    assert [p["name"] for p in r.json()] == [f"{prefix}-1"]
    r = admin.get(api(registry, "/projects"), params={"name": prefix, "public": "false"})
    assert [p["name"] for p in r.json()] == [f"{prefix}-0", f"{prefix}-2"]
    r = admin.get(api(registry, "/projects"), params={"q": f"name={prefix}-2"})
    assert [p["name"] for p in r.json()] == [f"{prefix}-2"]
    r = admin.get(api(registry, "/projects"), params={"q": f"name={{{prefix}-0 {prefix}-2}}"})
    assert [p["name"] for p in r.json()] == [f"{prefix}-0", f"{prefix}-2"]
    r = admin.get(api(registry, "/projects"), params={"name": prefix, "owner": "admin"})
    assert r.headers["X-Total-Count"] == "3"
    r = admin.get(api(registry, "/projects"), params={"name": prefix, "owner": "nobody"})
    assert r.headers["X-Total-Count"] == "0" and r.json() == []
    r = admin.get(api(registry, "/projects"), params={"name": prefix, "with_detail": "false"})
    assert all("metadata" not in p for p in r.json()) and len(r.json()) == 3


@pytest.mark.parametrize("params", [{"q": "colour=blue"}, {"sort": "secret"}, {"q": "name="},
                                    {"public": "maybe"}, {"page_size": "1000"},
                                    {"q": "creation_time=[yesterday~]"}])
def test_list_refuses_bad_parameters(registry, admin, params):
    assert_error(admin.get(api(registry, "/projects"), params=params), 400, "BAD_REQUEST")


def test_list_shows_what_each_caller_may_see(registry, admin, anon):
    prefix = unique("vis")
    private = create(registry, admin, name=f"{prefix}-private")
    public = create(registry, admin, name=f"{prefix}-public", metadata={"public": "true"})
    mine = create(registry, admin, name=f"{prefix}-mine")
    username, s = user_session(registry, admin)
    add_member(registry, admin, mine, username, 3)

    def names(session, **params):
        r = session.get(api(registry, "/projects"), params={"name": prefix, **params})
        assert_status(r, 200)
        assert r.headers["X-Total-Count"] == str(len(r.json()))
        return sorted(p["name"] for p in r.json())

    assert names(admin) == sorted([private, public, mine])
    assert names(s) == sorted([public, mine])
    assert names(s, public="false") == [mine]
    assert names(anon) == [public]
    assert names(anon, public="false") == []
    roles = {p["name"]: p["current_user_role_ids"]
             for p in s.get(api(registry, "/projects"), params={"name": prefix}).json()}
    assert roles == {public: [], mine: [3]}


# ------------------------------------------------------------------ read


def test_read_permissions(registry, admin, anon):
    private = create(registry, admin)
    public = create(registry, admin, metadata={"public": "true"})
    _, s = user_session(registry, admin)
    assert_error(s.get(api(registry, f"/projects/{private}")), 403, "FORBIDDEN")
    assert_error(anon.get(api(registry, f"/projects/{private}")), 401, "UNAUTHORIZED")
    assert get(registry, anon, public)["name"] == public
    assert get(registry, s, public)["current_user_role_ids"] == []
    assert get(registry, member_session(registry, admin, private, 5), private)["name"] == private
    assert_error(admin.get(api(registry, f"/projects/{unique()}")), 404, "NOT_FOUND")
    assert_error(admin.get(api(registry, "/projects/99999999")), 404, "NOT_FOUND")
    assert_error(anon.get(api(registry, f"/projects/{unique()}")), 401, "UNAUTHORIZED")


# ------------------------------------------------------------------ update


def test_update_merges_metadata_and_sets_the_allowlist(registry, admin):
    name = create(registry, admin, metadata={"public": "false", "severity": "low"})
    before = get(registry, admin, name)
    r = admin.put(api(registry, f"/projects/{name}"), json={
        "project_name": "ignored", "storage_limit": 5, "public": True,
        "metadata": {"auto_scan": "1", "severity": "Critical"},
        "cve_allowlist": {"project_id": before["project_id"], "expires_at": 2000000000,
                          "items": [{"cve_id": "CVE-2024-1"}, {"cve_id": "CVE-2024-2"}]}})
    assert_status(r, 200)
    assert r.content == b""
    after = get(registry, admin, name)
    assert after["name"] == name
    assert after["metadata"] == {"public": "false", "severity": "critical", "auto_scan": "true"}
    assert after["cve_allowlist"]["items"] == [{"cve_id": "CVE-2024-1"}, {"cve_id": "CVE-2024-2"}]
    assert after["cve_allowlist"]["expires_at"] == 2000000000
    assert after["update_time"] >= before["update_time"]
    # project_id 0 means this project; public flips through metadata
    assert_status(admin.put(api(registry, f"/projects/{after['project_id']}"),
                            json={"metadata": {"public": "true"},
                                  "cve_allowlist": {"project_id": 0, "items": []}}), 200)
    after = get(registry, admin, name)
    assert after["metadata"]["public"] == "true" and after["cve_allowlist"]["items"] == []


BAD_UPDATES = [
    {"metadata": {"auto_scan": "sometimes"}},
    {"metadata": {"severity": "none-ish"}},
    {"metadata": {"unknown": "x"}},
    {"metadata": {"retention_id": "7"}},
    {"metadata": {"public": 1}},
    {"metadata": "public"},
    {"cve_allowlist": {"project_id": 1, "items": []}},
    {"cve_allowlist": {"items": [{"cve_id": 5}]}},
]


@pytest.mark.parametrize("body", BAD_UPDATES)
def test_update_refuses_invalid_input(registry, admin, body):
    name = create(registry, admin, metadata={"severity": "low"})
    before = get(registry, admin, name)
    # a valid key alongside the bad one is not applied either
    if isinstance(body.get("metadata"), dict):
        body = {"metadata": {**body["metadata"], "prevent_vul": "true"}}
    assert_error(admin.put(api(registry, f"/projects/{name}"), json=body), 400, "BAD_REQUEST")
    assert get(registry, admin, name) == before


def test_update_permissions(registry, admin, anon):
    name = create(registry, admin)
    before = get(registry, admin, name)
    body = {"metadata": {"public": "true"}}
    for role in (2, 3, 4, 5):
        s = member_session(registry, admin, name, role)
        assert_error(s.put(api(registry, f"/projects/{name}"), json=body), 403, "FORBIDDEN")
    assert_error(anon.put(api(registry, f"/projects/{name}"), json=body), 401, "UNAUTHORIZED")
    assert_error(admin.put(api(registry, f"/projects/{name}"), data=b"{",
                           headers={"Content-Type": "application/json"}), 400, "BAD_REQUEST")
    assert get(registry, admin, name) == before
    s = member_session(registry, admin, name, 1)
    assert_status(s.put(api(registry, f"/projects/{name}"), json=body), 200)
    assert get(registry, admin, name)["metadata"]["public"] == "true"
    assert_error(admin.put(api(registry, f"/projects/{unique()}"), json=body), 404, "NOT_FOUND")


# ------------------------------------------------------------------ delete, deletable, summary


def test_delete_empty_project(registry, admin):
    name = create(registry, admin)
    r = admin.get(api(registry, f"/projects/{name}/_deletable"))
    assert_status(r, 200)
    assert r.json()["deletable"] is True
    r = admin.delete(api(registry, f"/projects/{name}"))
    assert_status(r, 200)
    assert r.content == b""
    assert not exists(registry, admin, name)
    assert_error(admin.get(api(registry, f"/projects/{name}")), 404, "NOT_FOUND")
    assert_error(admin.delete(api(registry, f"/projects/{name}")), 404, "NOT_FOUND")
    # the name can be used again
    create(registry, admin, name=name)


def test_delete_with_a_repository_is_412(registry, admin):
    name = create(registry, admin)
    assert_status(push(registry, f"{name}/app"), 201)
    r = admin.get(api(registry, f"/projects/{name}/_deletable"))
    assert r.json() == {"deletable": False,
                        "message": "the project contains repositories, can not be deleted"}
    r = admin.delete(api(registry, f"/projects/{name}"))
    assert_error(r, 412, "PRECONDITION")
    assert "repositories" in r.json()["errors"][0]["message"]
    p = get(registry, admin, name)
    assert p["repo_count"] == 1
    assert_status(admin.get(registry.v2(f"{name}/app/manifests/v1"),
                            headers={"Accept": OCI_MANIFEST}), 200)
    assert get(registry, admin, name)["repo_count"] == 1


def test_delete_permissions(registry, admin, anon):
    name = create(registry, admin)
    for role in (2, 3, 4, 5):
        s = member_session(registry, admin, name, role)
        assert_error(s.delete(api(registry, f"/projects/{name}")), 403, "FORBIDDEN")
        assert_error(s.get(api(registry, f"/projects/{name}/_deletable")), 403, "FORBIDDEN")
    assert_error(anon.delete(api(registry, f"/projects/{name}")), 401, "UNAUTHORIZED")
    assert exists(registry, admin, name)
    s = member_session(registry, admin, name, 1)
    assert_status(s.delete(api(registry, f"/projects/{name}")), 200)
    assert not exists(registry, admin, name)


def test_summary(registry, admin, anon):
    name = create(registry, admin, metadata={"public": "true"})
    for role in (2, 2, 3, 4, 5):
        member_session(registry, admin, name, role)
    assert_status(push(registry, f"{name}/one"), 201)
    manifest = admin.get(registry.v2(f"{name}/one/manifests/v1"),
                         headers={"Accept": OCI_MANIFEST})
    m = manifest.json()
    stored = len(manifest.content) + m["config"]["size"] + sum(l["size"] for l in m["layers"])
    r = admin.get(api(registry, f"/projects/{name}/summary"))
    assert_status(r, 200)
    assert r.json() == {"repo_count": 1, "project_admin_count": 1, "maintainer_count": 1,
                        "developer_count": 2, "guest_count": 1, "limited_guest_count": 1,
                        "quota": {"hard": {"storage": -1}, "used": {"storage": stored}}}
    # anonymous callers of a public project see the count of repositories only
    r = anon.get(api(registry, f"/projects/{name}/summary"))
    assert_status(r, 200)
    assert r.json() == {"repo_count": 1}
    private = create(registry, admin)
    _, s = user_session(registry, admin)
    assert_error(s.get(api(registry, f"/projects/{private}/summary")), 403, "FORBIDDEN")


# ------------------------------------------------------------------ metadata endpoints


def test_metadata_endpoints(registry, admin):
    name = create(registry, admin, metadata={"public": "false"})
    base = api(registry, f"/projects/{name}/metadatas")
    r = admin.get(base + "/")
    assert_status(r, 200)
    assert r.json() == {"public": "false"}
    r = admin.post(base + "/", json={"auto_scan": "T"})
    assert_status(r, 200)
    assert admin.get(base + "/auto_scan").json() == {"auto_scan": "true"}
    assert_status(admin.put(base + "/auto_scan", json={"auto_scan": "false"}), 200)
    assert admin.get(base + "/auto_scan").json() == {"auto_scan": "false"}
    assert_status(admin.post(base, json={"severity": "Medium"}), 200)
    assert admin.get(base).json() == {"public": "false", "auto_scan": "false",
                                      "severity": "medium"}
    assert_status(admin.put(base + "/public", json={"public": "true"}), 200)
    assert get(registry, admin, name)["metadata"]["public"] == "true"
    r = admin.delete(base + "/auto_scan")
    assert_status(r, 200)
    assert r.content == b""
    assert_error(admin.get(base + "/auto_scan"), 404, "NOT_FOUND")
    assert admin.get(base).json() == {"public": "true", "severity": "medium"}


def test_metadata_refusals_change_nothing(registry, admin):
    name = create(registry, admin, metadata={"auto_scan": "true"})
    base = api(registry, f"/projects/{name}/metadatas")
    before = admin.get(base).json()
    cases = [
        (admin.post(base, json={"auto_scan": "false"}), 409, "CONFLICT"),
        (admin.post(base, json={"severity": "low", "prevent_vul": "true"}), 400, "BAD_REQUEST"),
        (admin.post(base, json={}), 400, "BAD_REQUEST"),
        (admin.post(base, json={"colour": "red"}), 400, "BAD_REQUEST"),
        (admin.post(base, json={"prevent_vul": "perhaps"}), 400, "BAD_REQUEST"),
        (admin.post(base, json={"prevent_vul": True}), 400, "BAD_REQUEST"),
        (admin.post(base, json={"retention_id": "1"}), 400, "BAD_REQUEST"),
        (admin.post(base, data=b"{", headers={"Content-Type": "application/json"}), 400,
         "BAD_REQUEST"),
        (admin.put(base + "/auto_scan", json={"prevent_vul": "true"}), 400, "BAD_REQUEST"),
        (admin.put(base + "/auto_scan", json={"auto_scan": "nope"}), 400, "BAD_REQUEST"),
        (admin.get(base + "/severity"), 404, "NOT_FOUND"),
        (admin.delete(base + "/severity"), 404, "NOT_FOUND"),
        (admin.get(api(registry, f"/projects/{unique()}/metadatas")), 404, "NOT_FOUND"),
    ]
    for r, status, code in cases:
        assert_error(r, status, code)
    assert admin.get(base).json() == before


def test_metadata_put_sets_a_key_not_set_yet(registry, admin):
    """Harbor's metadata manager upserts: a PUT of a key the project lacks sets it."""
    name = create(registry, admin, metadata={"public": "false"})
    base = api(registry, f"/projects/{name}/metadatas")
    assert_status(admin.put(base + "/severity", json={"severity": "High"}), 200)
    assert admin.get(base + "/severity").json() == {"severity": "high"}
    assert get(registry, admin, name)["metadata"]["severity"] == "high"
    # its value is checked as on POST
    assert_error(admin.put(base + "/prevent_vul", json={"prevent_vul": "perhaps"}), 400,
                 "BAD_REQUEST")
    assert_error(admin.get(base + "/prevent_vul"), 404, "NOT_FOUND")


def test_metadata_singular_alias(registry, admin, anon):
    """/projects/{p}/metadata[/{key}] (as published guides spell it) is /metadatas."""
    name = create(registry, admin, metadata={"public": "false"})
    alias = api(registry, f"/projects/{name}/metadata")
    assert_status(admin.post(alias, json={"auto_scan": "true"}), 200)
    assert admin.get(alias).json() == {"public": "false", "auto_scan": "true"}
    assert_status(admin.put(alias + "/auto_scan", json={"auto_scan": "false"}), 200)
    assert_status(admin.put(alias + "/severity", json={"severity": "low"}), 200)
    assert admin.get(alias + "/auto_scan").json() == {"auto_scan": "false"}
    assert admin.get(api(registry, f"/projects/{name}/metadatas")).json() == {
        "public": "false", "auto_scan": "false", "severity": "low"}
    assert_status(admin.delete(alias + "/severity"), 200)
    assert_error(admin.get(alias + "/severity"), 404, "NOT_FOUND")
    # the same permissions
    assert_error(anon.get(alias + "/auto_scan"), 401, "UNAUTHORIZED")
    assert_error(admin.patch(alias + "/auto_scan", json={}), 405, "METHOD_NOT_ALLOWED")


def test_metadata_permissions(registry, admin, anon):
    name = create(registry, admin, metadata={"auto_scan": "true", "public": "true"})
    base = api(registry, f"/projects/{name}/metadatas")
    maintainer = member_session(registry, admin, name, 4)
    assert maintainer.get(base + "/auto_scan").json() == {"auto_scan": "true"}
    assert_error(maintainer.put(base + "/auto_scan", json={"auto_scan": "false"}), 403,
                 "FORBIDDEN")
    assert_error(maintainer.post(base, json={"severity": "low"}), 403, "FORBIDDEN")
    assert_error(maintainer.delete(base + "/auto_scan"), 403, "FORBIDDEN")
    for role in (2, 3, 5):
        s = member_session(registry, admin, name, role)
        assert_error(s.get(base + "/auto_scan"), 403, "FORBIDDEN")
    assert_error(anon.get(base + "/auto_scan"), 401, "UNAUTHORIZED")
    owner = member_session(registry, admin, name, 1)
    assert_status(owner.put(base + "/auto_scan", json={"auto_scan": "false"}), 200)
    assert_status(owner.post(base, json={"severity": "low"}), 200)
    assert_status(owner.delete(base + "/severity"), 200)
    assert admin.get(base).json() == {"auto_scan": "false", "public": "true"}


# ------------------------------------------------------------------ members push over /v2


def test_developer_pushes_and_guest_does_not(registry, admin):
    name = create(registry, admin)
    developer = member_session(registry, admin, name, 2)
    guest = member_session(registry, admin, name, 3)
    r = push(registry, f"{name}/dev", session=developer, seed=1)
    assert_status(r, 201)
    r = push(registry, f"{name}/guest", session=guest, seed=2)
    assert r.status_code in (401, 403), r.text
    assert_status(guest.get(registry.v2(f"{name}/dev/manifests/v1"),
                            headers={"Accept": OCI_MANIFEST}), 200)
    assert_status(admin.get(registry.v2(f"{name}/guest/manifests/v1"),
                            headers={"Accept": OCI_MANIFEST}), 404)
    assert get(registry, admin, name)["repo_count"] == 1


# ------------------------------------------------------------------ events


def test_create_and_delete_reach_the_audit_log(registry, admin):
    name = create(registry, admin)
    assert_status(admin.delete(api(registry, f"/projects/{name}")), 200)
    deadline = time.monotonic() + 10
    while True:
        r = admin.get(api(registry, "/audit-logs"), params={"q": f"resource={name}"})
        if r.status_code == 404 and "no such API endpoint" in r.text:
            pytest.fail("/audit-logs is not served")
        assert_status(r, 200)
        ops = sorted((e["operation"], e["resource_type"], e["username"]) for e in r.json())
        if len(ops) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert ops == [("create", "project", "admin"), ("delete", "project", "admin")]
