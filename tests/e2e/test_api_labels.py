"""Labels (harbor-api.md §1.3, §1.4): /labels in global scope (system administrators) and
project scope (Harbor's label permissions), their validation, uniqueness per scope and
project, list filters and paging, and attaching labels to artifacts and detaching them
(…/artifacts/{reference}/labels) by tag or digest, with the 400 for a label of another
project, the 409 for a label attached twice and the artifact-label permissions.
Each refused request is followed by a check that nothing changed.
"""

import random
import re
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

LABEL_KEYS = {"id", "name", "description", "color", "scope", "project_id", "creation_time",
              "update_time"}
TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


# ------------------------------------------------------------------ helpers


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="lb"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def new_project(registry, admin, public=False):
    name = unique()
    r = admin.post(api(registry, "/projects"),
                   json={"project_name": name, "metadata": {"public": str(public).lower()}})
    assert_status(r, 201)
    pid = int(r.headers["Location"].rsplit("/", 1)[1])
    return name, pid


def create_label(registry, session, status=201, **body):
    body.setdefault("name", unique("label-"))
    body.setdefault("scope", "g")
    r = session.post(api(registry, "/labels"), json=body)
    assert_status(r, status)
    if status != 201:
        return r
    m = re.fullmatch(r"/api/v2\.0/labels/(\d+)", r.headers["Location"])
    assert m, r.headers["Location"]
    assert r.content == b""
    return int(m.group(1))


def get_label(registry, session, lid, status=200):
    r = session.get(api(registry, f"/labels/{lid}"))
    assert_status(r, status)
    return r.json()


def list_labels(registry, session, **params):
    params.setdefault("page_size", 100)
    r = session.get(api(registry, "/labels"), params=params)
    assert_status(r, 200)
    return r.json()


def user(registry, admin, project=None, role_id=None):
    name = unique("u")
    pw = "Pw" + uuid.uuid4().hex[:10] + "A1"
    r = admin.post(api(registry, "/users"),
                   json={"username": name, "password": pw, "email": f"{name}@e2e.example.com",
                         "realname": name})
    assert_status(r, 201)
    if role_id:
        r = admin.post(api(registry, f"/projects/{project}/members"),
                       json={"role_id": role_id, "member_user": {"username": name}})
        assert_status(r, 201)
    return registry.session(auth=(name, pw))


def push(registry, repo, tag, seed=0):
    rnd = random.Random(seed)
    layer = rnd.randbytes(256)
    config = canonical({"architecture": "amd64", "os": "linux", "seed": seed,
                        "rootfs": {"type": "layers", "diff_ids": [digest_of(layer)]}})
    for blob in (config, layer):
        registry.push_blob(repo, blob)
    manifest = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": descriptor(OCI_CONFIG, config),
                          "layers": [descriptor(OCI_LAYER, layer)]})
    assert_status(registry.push_manifest(repo, tag, manifest), 201)
    return digest_of(manifest)


def artifact_url(registry, repo, reference):
    project, rest = repo.split("/", 1)
    return api(registry, f"/projects/{project}/repositories/{rest.replace('/', '%252F')}"
                         f"/artifacts/{reference}")


def attached(registry, admin, repo, reference):
    """Ids of the labels the artifact API shows on the artifact."""
    r = admin.get(artifact_url(registry, repo, reference), params={"with_label": "true"})
    assert_status(r, 200)
    return [x["id"] for x in r.json()["labels"]]


def attach(registry, session, repo, reference, lid):
    return session.post(artifact_url(registry, repo, reference) + "/labels", json={"id": lid})


def detach(registry, session, repo, reference, lid):
    return session.delete(artifact_url(registry, repo, reference) + f"/labels/{lid}")


# ------------------------------------------------------------------ CRUD


def test_create_and_read_a_global_label(registry, admin):
    name = unique("prod-")
    lid = create_label(registry, admin, name=name, description="production", color="#1D5100")
    label = get_label(registry, admin, lid)
    assert set(label) == LABEL_KEYS, sorted(label)
    assert label["id"] == lid and label["name"] == name and label["description"] == "production"
    assert label["color"] == "#1D5100" and label["scope"] == "g" and label["project_id"] == 0
    assert TIME_RE.fullmatch(label["creation_time"]) and TIME_RE.fullmatch(label["update_time"])
    # a project_id sent with a global label is ignored
    lid = create_label(registry, admin, project_id=1)
    label = get_label(registry, admin, lid)
    assert label["project_id"] == 0 and label["color"] == "" and label["description"] == ""


def test_create_a_project_label(registry, admin):
    project, pid = new_project(registry, admin)
    lid = create_label(registry, admin, scope="p", project_id=pid, name="team-a")
    label = get_label(registry, admin, lid)
    assert label["scope"] == "p" and label["project_id"] == pid and label["name"] == "team-a"


INVALID = [
    ("no name", {"name": None}, 400, "name"),
    ("empty name", {"name": ""}, 400, "name"),
    ("long name", {"name": "n" * 129}, 400, "name"),
    ("name type", {"name": 7}, 400, "name"),
    ("color word", {"color": "red"}, 400, "color"),
    ("color short", {"color": "#12345"}, 400, "color"),
    ("color hex", {"color": "#GG0000"}, 400, "color"),
    ("no scope", {"scope": None}, 400, "scope"),
    ("bad scope", {"scope": "x"}, 400, "scope"),
    ("project without id", {"scope": "p"}, 400, "project_id"),
    ("project id type", {"scope": "p", "project_id": "1"}, 400, "project_id"),
    ("unknown project", {"scope": "p", "project_id": 999999}, 404, "999999"),
    ("long description", {"description": "d" * 1025}, 400, "description"),
]


@pytest.mark.parametrize("case,change,status,word", INVALID, ids=[c[0] for c in INVALID])
def test_create_refuses_invalid_labels(registry, admin, case, change, status, word):
    body = {"name": unique("bad-"), "scope": "g"}
    for k, v in change.items():
        if v is None:
            body.pop(k)
        else:
            body[k] = v
    r = admin.post(api(registry, "/labels"), json=body)
    assert_error(r, status, "BAD_REQUEST" if status == 400 else "NOT_FOUND")
    assert word in r.json()["errors"][0]["message"], r.json()
    if isinstance(body.get("name"), str) and body["name"]:
        assert list_labels(registry, admin, name=body["name"]) == []


def test_malformed_bodies(registry, admin):
    for data in (b"", b"{", b"[1]"):
        r = admin.post(api(registry, "/labels"), data=data,
                       headers={"Content-Type": "application/json"})
        assert_error(r, 400, "BAD_REQUEST")


def test_names_are_unique_per_scope_and_project(registry, admin):
    name = unique("dup-")
    p1, pid1 = new_project(registry, admin)
    p2, pid2 = new_project(registry, admin)
    create_label(registry, admin, name=name)
    assert_error(create_label(registry, admin, status=409, name=name), 409, "CONFLICT")
    # the same name in a project, and in another project, is another label
    create_label(registry, admin, name=name, scope="p", project_id=pid1)
    assert_error(create_label(registry, admin, status=409, name=name, scope="p",
                              project_id=pid1), 409, "CONFLICT")
    create_label(registry, admin, name=name, scope="p", project_id=pid2)
    assert len(list_labels(registry, admin, name=name)) == 1
    assert len(list_labels(registry, admin, scope="p", project_id=pid1, name=name)) == 1


def test_update(registry, admin):
    lid = create_label(registry, admin, description="old", color="#000000")
    before = get_label(registry, admin, lid)
    new_name = unique("renamed-")
    r = admin.put(api(registry, f"/labels/{lid}"),
                  json={"name": new_name, "description": "new", "color": "#ffffff",
                        "scope": "p", "project_id": 1})
    assert_status(r, 200)
    assert r.content == b""
    after = get_label(registry, admin, lid)
    assert after["name"] == new_name and after["description"] == "new"
    assert after["color"] == "#ffffff"
    assert after["scope"] == "g" and after["project_id"] == 0  # these do not change
    assert after["creation_time"] == before["creation_time"]
    assert after["update_time"] >= before["update_time"]
    # a name another label has, or bad fields, are refused and change nothing
    other = create_label(registry, admin)
    taken = get_label(registry, admin, other)["name"]
    assert_error(admin.put(api(registry, f"/labels/{lid}"), json={"name": taken}), 409,
                 "CONFLICT")
    assert_error(admin.put(api(registry, f"/labels/{lid}"), json={"name": ""}), 400,
                 "BAD_REQUEST")
    assert_error(admin.put(api(registry, f"/labels/{lid}"),
                           json={"name": new_name, "color": "blue"}), 400, "BAD_REQUEST")
    assert get_label(registry, admin, lid) == after
    assert_error(admin.put(api(registry, "/labels/999999"), json={"name": "x"}), 404,
                 "NOT_FOUND")
    assert_error(admin.put(api(registry, "/labels/abc"), json={"name": "x"}), 400,
                 "BAD_REQUEST")


def test_delete(registry, admin):
    lid = create_label(registry, admin)
    assert_status(admin.delete(api(registry, f"/labels/{lid}")), 200)
    assert_error(admin.get(api(registry, f"/labels/{lid}")), 404, "NOT_FOUND")
    assert_error(admin.delete(api(registry, f"/labels/{lid}")), 404, "NOT_FOUND")


def test_deleting_a_project_deletes_its_labels(registry, admin):
    project, pid = new_project(registry, admin)
    lid = create_label(registry, admin, scope="p", project_id=pid)
    assert_status(admin.delete(api(registry, f"/projects/{project}")), 200)
    assert_error(admin.get(api(registry, f"/labels/{lid}")), 404, "NOT_FOUND")


# ------------------------------------------------------------------ lists


def test_list_scopes_filters_and_paging(registry, admin):
    project, pid = new_project(registry, admin)
    tag = unique("flt")
    g = [create_label(registry, admin, name=f"{tag}-g{i}") for i in range(3)]
    p = [create_label(registry, admin, name=f"{tag}-p{i}", scope="p", project_id=pid)
         for i in range(2)]
    # the default scope is global; name is a fuzzy filter
    assert [x["id"] for x in list_labels(registry, admin, name=tag)] == g
    assert [x["id"] for x in list_labels(registry, admin, scope="g", name=f"{tag}-g1")] == [g[1]]
    assert [x["id"] for x in list_labels(registry, admin, scope="p", project_id=pid)] == p
    r = admin.get(api(registry, "/labels"), params={"name": tag, "page": 2, "page_size": 2})
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "3"
    assert [x["id"] for x in r.json()] == g[2:]
    assert 'rel="prev"' in r.headers["Link"]
    r = admin.get(api(registry, "/labels"), params={"name": tag, "sort": "-id"})
    assert [x["id"] for x in r.json()] == g[::-1]
    r = admin.get(api(registry, "/labels"), params={"q": f"name={tag}-g2"})
    assert [x["id"] for x in r.json()] == [g[2]]
    assert all(set(x) == LABEL_KEYS for x in r.json())


def test_list_refusals(registry, admin, anon):
    assert_error(admin.get(api(registry, "/labels"), params={"scope": "x"}), 400, "BAD_REQUEST")
    assert_error(admin.get(api(registry, "/labels"), params={"scope": "p"}), 400, "BAD_REQUEST")
    assert_error(admin.get(api(registry, "/labels"), params={"scope": "p", "project_id": "a"}),
                 400, "BAD_REQUEST")
    assert_error(admin.get(api(registry, "/labels"), params={"scope": "p",
                                                             "project_id": 999999}),
                 404, "NOT_FOUND")
    assert_error(admin.get(api(registry, "/labels"), params={"q": "shape=round"}), 400,
                 "BAD_REQUEST")
    assert_error(anon.get(api(registry, "/labels")), 401, "UNAUTHORIZED")


# ------------------------------------------------------------------ permissions


def test_global_labels_are_for_system_administrators(registry, admin, anon):
    lid = create_label(registry, admin, name=unique("sys-"))
    s = user(registry, admin)
    # anyone logged in lists and reads them
    assert lid in [x["id"] for x in list_labels(registry, s, name=get_label(
        registry, admin, lid)["name"])]
    assert get_label(registry, s, lid)["id"] == lid
    before = get_label(registry, admin, lid)
    assert_error(s.post(api(registry, "/labels"), json={"name": unique(), "scope": "g"}), 403,
                 "FORBIDDEN")
    assert_error(s.put(api(registry, f"/labels/{lid}"), json={"name": unique()}), 403,
                 "FORBIDDEN")
    assert_error(s.delete(api(registry, f"/labels/{lid}")), 403, "FORBIDDEN")
    for call in (lambda: anon.get(api(registry, f"/labels/{lid}")),
                 lambda: anon.post(api(registry, "/labels"), json={"name": "x", "scope": "g"}),
                 lambda: anon.put(api(registry, f"/labels/{lid}"), json={"name": "x"}),
                 lambda: anon.delete(api(registry, f"/labels/{lid}"))):
        assert_error(call(), 401, "UNAUTHORIZED")
    assert get_label(registry, admin, lid) == before


@pytest.mark.parametrize("role_id,can_read,can_write",
                         [(1, True, True), (4, True, True), (2, True, False), (3, True, False),
                          (5, False, False), (None, False, False)],
                         ids=["admin", "maintainer", "developer", "guest", "limited-guest",
                              "non-member"])
def test_project_label_permissions(registry, admin, role_id, can_read, can_write):
    project, pid = new_project(registry, admin)
    lid = create_label(registry, admin, scope="p", project_id=pid)
    s = user(registry, admin, project, role_id)
    r = s.get(api(registry, "/labels"), params={"scope": "p", "project_id": pid})
    if can_read:
        assert_status(r, 200)
        assert [x["id"] for x in r.json()] == [lid]
        assert_status(s.get(api(registry, f"/labels/{lid}")), 200)
    else:
        assert_error(r, 403, "FORBIDDEN")
        assert_error(s.get(api(registry, f"/labels/{lid}")), 403, "FORBIDDEN")
    r = s.post(api(registry, "/labels"), json={"name": unique(), "scope": "p", "project_id": pid})
    assert_status(r, 201 if can_write else 403)
    r = s.put(api(registry, f"/labels/{lid}"), json={"name": "renamed"})
    assert_status(r, 200 if can_write else 403)
    r = s.delete(api(registry, f"/labels/{lid}"))
    assert_status(r, 200 if can_write else 403)
    if not can_write:
        assert get_label(registry, admin, lid)["id"] == lid


def test_labels_of_a_public_project_are_readable_by_anyone_logged_in(registry, admin):
    project, pid = new_project(registry, admin, public=True)
    lid = create_label(registry, admin, scope="p", project_id=pid)
    s = user(registry, admin)
    assert [x["id"] for x in list_labels(registry, s, scope="p", project_id=pid)] == [lid]
    assert_error(s.post(api(registry, "/labels"),
                        json={"name": unique(), "scope": "p", "project_id": pid}), 403,
                 "FORBIDDEN")


# ------------------------------------------------------------------ labels of artifacts


def test_attach_and_detach(registry, admin):
    project, pid = new_project(registry, admin)
    repo = f"{project}/app"
    d = push(registry, repo, "v1", seed=1)
    g = create_label(registry, admin)
    p = create_label(registry, admin, scope="p", project_id=pid)
    r = attach(registry, admin, repo, "v1", g)
    assert_status(r, 200)
    assert r.content == b""
    assert_status(attach(registry, admin, repo, d, p), 200)
    assert attached(registry, admin, repo, d) == [g, p]
    # the artifact JSON carries Harbor's label objects
    r = admin.get(artifact_url(registry, repo, "v1"), params={"with_label": "true"})
    assert r.json()["labels"][0] == get_label(registry, admin, g)
    # twice is a conflict, whether by tag or digest
    assert_error(attach(registry, admin, repo, d, g), 409, "CONFLICT")
    assert_error(attach(registry, admin, repo, "v1", p), 409, "CONFLICT")
    assert_status(detach(registry, admin, repo, "v1", g), 200)
    assert attached(registry, admin, repo, "v1") == [p]
    assert_error(detach(registry, admin, repo, d, g), 404, "NOT_FOUND")
    assert_status(attach(registry, admin, repo, "v1", g), 200)
    assert attached(registry, admin, repo, "v1") == [p, g]


def test_a_label_of_another_project_is_400(registry, admin):
    project, _ = new_project(registry, admin)
    _, other_pid = new_project(registry, admin)
    repo = f"{project}/app"
    push(registry, repo, "v1", seed=2)
    foreign = create_label(registry, admin, scope="p", project_id=other_pid)
    r = attach(registry, admin, repo, "v1", foreign)
    assert_error(r, 400, "BAD_REQUEST")
    assert "another project" in r.json()["errors"][0]["message"]
    assert attached(registry, admin, repo, "v1") == []


def test_attach_refusals(registry, admin):
    project, _ = new_project(registry, admin)
    repo = f"{project}/app"
    push(registry, repo, "v1", seed=3)
    g = create_label(registry, admin)
    url = artifact_url(registry, repo, "v1") + "/labels"
    for body in ({}, {"id": "1"}, {"id": 0}, {"id": -2}):
        assert_error(admin.post(url, json=body), 400, "BAD_REQUEST")
    assert_error(admin.post(url, data=b"{", headers={"Content-Type": "application/json"}), 400,
                 "BAD_REQUEST")
    assert_error(attach(registry, admin, repo, "v1", 999999), 404, "NOT_FOUND")
    assert_error(attach(registry, admin, repo, "nope", g), 404, "NOT_FOUND")
    assert_error(attach(registry, admin, repo, "sha256:" + "0" * 64, g), 404, "NOT_FOUND")
    assert_error(attach(registry, admin, f"{project}/missing", "v1", g), 404, "NOT_FOUND")
    assert_error(attach(registry, admin, f"{unique()}/app", "v1", g), 404, "NOT_FOUND")
    assert_error(detach(registry, admin, repo, "v1", "abc"), 400, "BAD_REQUEST")
    assert attached(registry, admin, repo, "v1") == []


def test_nested_repository_names_are_double_encoded(registry, admin):
    project, _ = new_project(registry, admin)
    repo = f"{project}/team/app/api"
    d = push(registry, repo, "v1", seed=4)
    g = create_label(registry, admin)
    assert_status(attach(registry, admin, repo, d, g), 200)
    assert attached(registry, admin, repo, "v1") == [g]
    assert_status(detach(registry, admin, repo, "v1", g), 200)
    assert attached(registry, admin, repo, d) == []


@pytest.mark.parametrize("role_id,allowed", [(1, True), (4, True), (2, True), (3, False),
                                             (5, False), (None, False)],
                         ids=["admin", "maintainer", "developer", "guest", "limited-guest",
                              "non-member"])
def test_artifact_label_permissions(registry, admin, role_id, allowed):
    project, _ = new_project(registry, admin)
    repo = f"{project}/app"
    push(registry, repo, "v1", seed=5)
    g1, g2 = create_label(registry, admin), create_label(registry, admin)
    assert_status(attach(registry, admin, repo, "v1", g2), 200)
    s = user(registry, admin, project, role_id)
    r1, r2 = attach(registry, s, repo, "v1", g1), detach(registry, s, repo, "v1", g2)
    if allowed:
        assert_status(r1, 200)
        assert_status(r2, 200)
        assert attached(registry, admin, repo, "v1") == [g1]
    else:
        assert_error(r1, 403, "FORBIDDEN")
        assert_error(r2, 403, "FORBIDDEN")
        assert attached(registry, admin, repo, "v1") == [g2]


def test_anonymous_callers_must_log_in(registry, admin, anon):
    project, _ = new_project(registry, admin, public=True)
    repo = f"{project}/app"
    push(registry, repo, "v1", seed=6)
    g = create_label(registry, admin)
    assert_error(attach(registry, anon, repo, "v1", g), 401, "UNAUTHORIZED")
    assert_error(detach(registry, anon, repo, "v1", g), 401, "UNAUTHORIZED")
    assert_error(attach(registry, anon, f"{unique()}/app", "v1", g), 401, "UNAUTHORIZED")


def test_deleting_a_label_detaches_it(registry, admin):
    project, _ = new_project(registry, admin)
    repo = f"{project}/app"
    push(registry, repo, "v1", seed=7)
    g1, g2 = create_label(registry, admin), create_label(registry, admin)
    for lid in (g1, g2):
        assert_status(attach(registry, admin, repo, "v1", lid), 200)
    assert_status(admin.delete(api(registry, f"/labels/{g1}")), 200)
    assert attached(registry, admin, repo, "v1") == [g2]


def test_artifact_lists_filter_by_label(registry, admin):
    project, _ = new_project(registry, admin)
    repo = f"{project}/app"
    d1, d2 = push(registry, repo, "one", seed=8), push(registry, repo, "two", seed=9)
    g1, g2 = create_label(registry, admin), create_label(registry, admin)
    for ref, lid in ((d1, g1), (d1, g2), (d2, g2)):
        assert_status(attach(registry, admin, repo, ref, lid), 200)
    url = artifact_url(registry, repo, "").rstrip("/")
    r = admin.get(url, params={"q": f"labels=({g1} {g2})"})
    assert_status(r, 200)
    assert [a["digest"] for a in r.json()] == [d1]
    r = admin.get(url, params={"q": f"labels=({g2})"})
    assert sorted(a["digest"] for a in r.json()) == sorted([d1, d2])
