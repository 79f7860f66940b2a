"""Repositories of the Harbor v2 API (harbor-api.md §0.1, §0.4, §1.2): GET /repositories and
/projects/{p}/repositories (q, sort, paging, X-Total-Count, Link, who sees what), GET, PUT
(description only) and DELETE of /projects/{p}/repositories/{r} with double-encoded names,
the permissions of each role, deletion of a repository holding an index and an accessory
(everything goes, events reach the audit log, quota usage and blob links are released),
412 while a tag in it is immutable, and the project's repo_count.
"""

import re
import time
import uuid

import pytest

from havenlib import (
    OCI_CONFIG,
    OCI_EMPTY,
    OCI_INDEX,
    OCI_MANIFEST,
    assert_error,
    assert_status,
    canonical,
    descriptor,
)

TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
REPO_KEYS = {"id", "project_id", "name", "description", "artifact_count", "pull_count",
             "creation_time", "update_time"}
GUEST, DEVELOPER, MAINTAINER, ADMIN_ROLE = 3, 2, 4, 1


# ------------------------------------------------------------------ helpers


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="p"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def create_project(registry, admin, public=False):
    name = unique("rp")
    r = admin.post(api(registry, "/projects"),
                   json={"project_name": name, "metadata": {"public": str(public).lower()}})
    assert_status(r, 201)
    return name


def user_session(registry, admin):
    name = unique("u")
    pw = "Pw" + uuid.uuid4().hex[:10] + "A1"
    r = admin.post(api(registry, "/users"),
                   json={"username": name, "password": pw, "email": f"{name}@e2e.example.com",
                         "realname": name})
    assert_status(r, 201)
    return name, registry.session(auth=(name, pw))


def member_session(registry, admin, project, role_id):
    name, s = user_session(registry, admin)
    r = admin.post(api(registry, f"/projects/{project}/members"),
                   json={"role_id": role_id, "member_user": {"username": name}})
    assert_status(r, 201)
    return s


def repo_url(registry, project, rel):
    """The URL of a repository, its relative name double-encoded as Harbor wants it."""
    return api(registry, f"/projects/{project}/repositories/{rel.replace('/', '%252F')}")


def links(r):
    out = {}
    if "Link" not in r.headers:
        return out
    for part in r.headers["Link"].split(" , "):
        m = re.fullmatch(r'<([^>]+)>; rel="(prev|next)"', part)
        assert m, f"malformed Link {r.headers['Link']!r}"
        out[m.group(2)] = m.group(1)
    return out


def names(r):
    assert_status(r, 200)
    return [x["name"] for x in r.json()]


def db(registry):
    return registry.db(read_only=True)


# ------------------------------------------------------------------ read


def test_repository_shape(registry, admin):
    project = create_project(registry, admin)
    registry.push_image(f"{project}/app", tag="v1", seed=1)
    registry.push_image(f"{project}/app", tag="v2", seed=2)
    r = admin.get(repo_url(registry, project, "app"))
    assert_status(r, 200)
    repo = r.json()
    assert set(repo) == REPO_KEYS, sorted(repo)
    assert repo["name"] == f"{project}/app"
    assert repo["artifact_count"] == 2 and repo["pull_count"] == 0
    assert repo["description"] == ""
    assert TIME_RE.fullmatch(repo["creation_time"]) and TIME_RE.fullmatch(repo["update_time"])
    assert repo["update_time"] >= repo["creation_time"]
    p = admin.get(api(registry, f"/projects/{project}")).json()
    assert repo["project_id"] == p["project_id"]
    listed = admin.get(api(registry, f"/projects/{project}/repositories")).json()
    assert listed == [repo]


def test_double_encoded_names(registry, admin):
    rel = unique("a") + "/b/c"
    registry.push_image(f"library/{rel}", tag="v1", seed=3)
    r = admin.get(api(registry, f"/projects/library/repositories/{rel.replace('/', '%252F')}"))
    assert_status(r, 200)
    assert r.json()["name"] == f"library/{rel}"
    # the name decoded once is a path with more segments: no such endpoint
    r = admin.get(api(registry, f"/projects/library/repositories/{rel.replace('/', '%2F')}"))
    assert r.status_code == 404
    # malformed escapes are the client's mistake
    assert_error(admin.get(api(registry, "/projects/library/repositories/x%25zz")), 400,
                 "BAD_REQUEST")
    r = admin.get(api(registry, "/repositories"), params={"q": f"name=~{rel}"})
    assert names(r) == [f"library/{rel}"]


def test_unknown_repository_and_project(registry, admin, anon):
    assert_error(admin.get(repo_url(registry, "library", unique("nope"))), 404, "NOT_FOUND")
    assert_error(admin.get(api(registry, f"/projects/{unique()}/repositories")), 404, "NOT_FOUND")
    assert_error(admin.get(repo_url(registry, unique(), "x")), 404, "NOT_FOUND")
    # anonymous callers are asked to log in rather than told what exists
    assert_error(anon.get(api(registry, f"/projects/{unique()}/repositories")), 401,
                 "UNAUTHORIZED")


def test_project_list_pages_sorts_and_filters(registry, admin):
    project = create_project(registry, admin)
    for i, rel in enumerate(["c-one", "a-two", "b-three"]):
        registry.push_image(f"{project}/{rel}", tag="v1", seed=10 + i)
        time.sleep(0.01)  # distinct creation times
    url = api(registry, f"/projects/{project}/repositories")
    # newest first by default
    r = admin.get(url)
    assert names(r) == [f"{project}/b-three", f"{project}/a-two", f"{project}/c-one"]
    assert r.headers["X-Total-Count"] == "3" and "Link" not in r.headers
    assert names(admin.get(url, params={"sort": "name"})) == [
        f"{project}/a-two", f"{project}/b-three", f"{project}/c-one"]
    assert names(admin.get(url, params={"sort": "-name"}))[0] == f"{project}/c-one"
    assert names(admin.get(url, params={"sort": "creation_time"}))[0] == f"{project}/c-one"
    # paging with Harbor's headers
    r = admin.get(url, params={"page": 1, "page_size": 2, "sort": "name"})
    assert names(r) == [f"{project}/a-two", f"{project}/b-three"]
    assert r.headers["X-Total-Count"] == "3"
    assert set(links(r)) == {"next"} and "page=2" in links(r)["next"]
    r = admin.get(url, params={"page": 2, "page_size": 2, "sort": "name"})
    assert names(r) == [f"{project}/c-one"]
    assert set(links(r)) == {"prev"} and "page=1" in links(r)["prev"]
    # q: fuzzy and exact names
    assert names(admin.get(url, params={"q": "name=~two"})) == [f"{project}/a-two"]
    assert names(admin.get(url, params={"q": f"name={project}/c-one"})) == [f"{project}/c-one"]
    r = admin.get(url, params={"q": "name=~zzz"})
    assert names(r) == [] and r.headers["X-Total-Count"] == "0"


@pytest.mark.parametrize("params", [
    {"q": "nokey"}, {"q": "bogus=1"}, {"sort": "bogus"}, {"page_size": "101"}, {"page": "0"},
])
def test_list_refuses_bad_parameters(registry, admin, params):
    assert_error(admin.get(api(registry, "/projects/library/repositories"), params=params), 400,
                 "BAD_REQUEST")
    assert_error(admin.get(api(registry, "/repositories"), params=params), 400, "BAD_REQUEST")


def test_all_repositories_shows_what_each_caller_may_see(registry, admin, anon):
    tag = unique("vis")
    private = create_project(registry, admin)
    other = create_project(registry, admin)
    public = create_project(registry, admin, public=True)
    for project in (private, other, public):
        registry.push_image(f"{project}/{tag}", tag="v1", seed=20)
    member = member_session(registry, admin, private, GUEST)
    _, outsider = user_session(registry, admin)
    q = {"q": f"name=~{tag}", "sort": "name"}
    expect_all = sorted(f"{p}/{tag}" for p in (private, other, public))
    r = admin.get(api(registry, "/repositories"), params=q)
    assert names(r) == expect_all and r.headers["X-Total-Count"] == "3"
    assert sorted(names(member.get(api(registry, "/repositories"), params=q))) == sorted(
        [f"{private}/{tag}", f"{public}/{tag}"])
    assert names(outsider.get(api(registry, "/repositories"), params=q)) == [f"{public}/{tag}"]
    r = anon.get(api(registry, "/repositories"), params=q)
    assert names(r) == [f"{public}/{tag}"] and r.headers["X-Total-Count"] == "1"
    # paging keeps the visibility in the total
    r = admin.get(api(registry, "/repositories"), params=dict(q, page_size=1, page=2))
    assert names(r) == expect_all[1:2] and set(links(r)) == {"prev", "next"}


def test_a_project_robot_sees_its_project(registry, admin):
    tag = unique("rob")
    private = create_project(registry, admin)
    other = create_project(registry, admin)
    public = create_project(registry, admin, public=True)
    for project in (private, other, public):
        registry.push_image(f"{project}/{tag}", tag="v1", seed=23)
    r = admin.post(api(registry, "/robots"), json={
        "name": unique("ci"), "description": "", "level": "project", "duration": -1,
        "permissions": [{"kind": "project", "namespace": private, "access": [
            {"resource": "repository", "action": "list"},
            {"resource": "repository", "action": "pull"}]}]})
    assert_status(r, 201)
    robot = registry.session(auth=(r.json()["name"], r.json()["secret"]))
    q = {"q": f"name=~{tag}"}
    assert sorted(names(robot.get(api(registry, "/repositories"), params=q))) == sorted(
        [f"{private}/{tag}", f"{public}/{tag}"])
    assert names(robot.get(api(registry, f"/projects/{private}/repositories"))) == [
        f"{private}/{tag}"]
    assert_error(robot.get(api(registry, f"/projects/{other}/repositories")), 403, "FORBIDDEN")
    # listing is not reading: Harbor's robots need repository:read for one repository
    assert_error(robot.get(repo_url(registry, private, tag)), 403, "FORBIDDEN")


def test_private_repositories_are_hidden_from_non_members(registry, admin, anon):
    project = create_project(registry, admin)
    registry.push_image(f"{project}/secret", tag="v1", seed=21)
    _, outsider = user_session(registry, admin)
    guest = member_session(registry, admin, project, GUEST)
    for s, status, code in ((outsider, 403, "FORBIDDEN"), (anon, 401, "UNAUTHORIZED")):
        assert_error(s.get(api(registry, f"/projects/{project}/repositories")), status, code)
        assert_error(s.get(repo_url(registry, project, "secret")), status, code)
    assert names(guest.get(api(registry, f"/projects/{project}/repositories"))) == [
        f"{project}/secret"]
    assert_status(guest.get(repo_url(registry, project, "secret")), 200)


def test_public_project_repositories_are_listed_anonymously(registry, admin, anon):
    project = create_project(registry, admin, public=True)
    registry.push_image(f"{project}/open", tag="v1", seed=22)
    assert names(anon.get(api(registry, f"/projects/{project}/repositories"))) == [
        f"{project}/open"]


# ------------------------------------------------------------------ update


def test_update_sets_only_the_description(registry, admin, anon):
    project = create_project(registry, admin)
    registry.push_image(f"{project}/doc", tag="v1", seed=30)
    url = repo_url(registry, project, "doc")
    before = admin.get(url).json()
    r = admin.put(url, json={"description": "what it is", "name": "other/name", "pull_count": 9})
    assert_status(r, 200)
    assert r.content == b""
    after = admin.get(url).json()
    assert after["description"] == "what it is"
    assert {k: v for k, v in after.items() if k != "description"} == {
        k: v for k, v in before.items() if k != "description"}
    # roles: developers may update, guests may not; anonymous must log in
    dev = member_session(registry, admin, project, DEVELOPER)
    guest = member_session(registry, admin, project, GUEST)
    assert_status(dev.put(url, json={"description": "by a developer"}), 200)
    assert_error(guest.put(url, json={"description": "by a guest"}), 403, "FORBIDDEN")
    assert_error(anon.put(url, json={"description": "anonymous"}), 401, "UNAUTHORIZED")
    assert admin.get(url).json()["description"] == "by a developer"
    # bad bodies change nothing
    assert_error(admin.put(url, json={"description": 5}), 400, "BAD_REQUEST")
    assert_error(admin.put(url, data=b"{", headers={"Content-Type": "application/json"}), 400,
                 "BAD_REQUEST")
    assert admin.get(url).json()["description"] == "by a developer"
    assert_error(admin.put(repo_url(registry, project, "missing"), json={"description": "x"}),
                 404, "NOT_FOUND")


# ------------------------------------------------------------------ delete


def push_index_with_accessory(registry, repo):
    """Two images by digest, an index of both tagged `multi`, a tagged image, and an
    accessory whose subject is the index; returns every manifest digest."""
    a = registry.push_image(repo, seed=40)
    b = registry.push_image(repo, seed=41)
    index = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        a.descriptor(platform={"os": "linux", "architecture": "amd64"}),
        b.descriptor(platform={"os": "linux", "architecture": "arm64"}),
    ]})
    assert_status(registry.push_manifest(repo, "multi", index, OCI_INDEX), 201)
    single = registry.push_image(repo, tag="single", seed=42)
    registry.push_blob(repo, b"{}")
    payload = b'{"sbom": true}'
    registry.push_blob(repo, payload)
    idx = descriptor(OCI_INDEX, index)
    sbom = canonical({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.sbom",
        "config": descriptor(OCI_EMPTY, b"{}"),
        "layers": [descriptor("application/vnd.example.sbom+json", payload)],
        "subject": {k: idx[k] for k in ("mediaType", "digest", "size")},
    })
    r = registry.push_manifest(repo, descriptor(OCI_MANIFEST, sbom)["digest"], sbom)
    assert_status(r, 201)
    return [a.digest, b.digest, idx["digest"], single.digest, descriptor(OCI_MANIFEST, sbom)["digest"]]


def test_artifact_count_is_what_the_artifact_list_shows(registry, admin, anon):
    """Harbor counts what its artifact list shows: an index's untagged children and the
    accessories are not artifacts of the repository; a child that is tagged too is."""
    project = create_project(registry, admin, public=True)
    repo = f"{project}/multi"
    a_digest, b_digest, index_digest, _, _ = push_index_with_accessory(registry, repo)
    listed = admin.get(api(registry, f"/projects/{project}/repositories/multi/artifacts"))
    assert_status(listed, 200)
    shown = {x["digest"] for x in listed.json()}
    assert a_digest not in shown and b_digest not in shown and index_digest in shown
    want = len(shown)
    assert want == 2  # the index and the tagged single image
    assert admin.get(repo_url(registry, project, "multi")).json()["artifact_count"] == want
    listing = admin.get(api(registry, f"/projects/{project}/repositories")).json()
    assert [x["artifact_count"] for x in listing] == [want]
    everywhere = admin.get(api(registry, "/repositories"), params={"q": f"name={repo}"}).json()
    assert [x["artifact_count"] for x in everywhere] == [want]
    found = anon.get(api(registry, "/search"), params={"q": repo}).json()["repository"]
    assert [x["artifact_count"] for x in found if x["repository_name"] == repo] == [want]
    # a child that is also tagged is listed, and counted
    registry.push_manifest(repo, "arm", admin.get(
        registry.v2(f"{repo}/manifests/{b_digest}"), headers={"Accept": OCI_MANIFEST}).content)
    assert admin.get(repo_url(registry, project, "multi")).json()["artifact_count"] == want + 1


def test_delete_removes_everything(registry, admin):
    project = create_project(registry, admin)
    repo = f"{project}/multi/arch"
    keep = f"{project}/keep"
    digests = push_index_with_accessory(registry, repo)
    registry.push_image(keep, tag="v1", seed=43)
    pid = admin.get(api(registry, f"/projects/{project}")).json()["project_id"]
    assert admin.get(api(registry, f"/projects/{project}/summary")).json()["repo_count"] == 2

    r = admin.delete(repo_url(registry, project, "multi/arch"))
    assert_status(r, 200)
    assert r.content == b""
    assert_error(admin.get(repo_url(registry, project, "multi/arch")), 404, "NOT_FOUND")
    assert names(admin.get(api(registry, f"/projects/{project}/repositories"))) == [keep]
    assert admin.get(api(registry, f"/projects/{project}/summary")).json()["repo_count"] == 1
    assert admin.get(api(registry, f"/projects/{project}")).json()["repo_count"] == 1
    for ref in ["multi", "single"] + digests:
        assert admin.get(registry.v2(f"{repo}/manifests/{ref}"),
                         headers={"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"}).status_code == 404
    r = admin.get(registry.v2(f"{repo}/tags/list"))
    assert r.status_code == 404
    # the other repository is untouched, and what is stored is consistent
    assert_status(admin.get(registry.v2(f"{keep}/manifests/v1"),
                            headers={"Accept": OCI_MANIFEST}), 200)
    with db(registry) as conn:
        assert conn.execute("SELECT count(*) FROM artifact a JOIN repository r"
                            " ON r.id = a.repository_id WHERE r.name = ?", (repo,)).fetchone() == (0,)
        used = conn.execute("SELECT used FROM quota WHERE project_id = ?", (pid,)).fetchone()
        linked = conn.execute("SELECT coalesce(sum(b.size), 0) FROM project_blob pb JOIN blob b"
                              " ON b.digest = pb.blob_digest WHERE pb.project_id = ?",
                              (pid,)).fetchone()
        assert used == linked
        # only the kept image's blobs are still charged to the project
        assert conn.execute("SELECT count(*) FROM project_blob WHERE project_id = ?",
                            (pid,)).fetchone() == (3,)
    # deleting it again is a 404
    assert_error(admin.delete(repo_url(registry, project, "multi/arch")), 404, "NOT_FOUND")


def test_delete_reaches_the_audit_log(registry, admin):
    project = create_project(registry, admin)
    registry.push_image(f"{project}/gone", tag="v1", seed=44)
    assert_status(admin.delete(repo_url(registry, project, "gone")), 200)
    deadline = time.monotonic() + 10
    while True:
        r = admin.get(api(registry, "/audit-logs"),
                      params={"q": f"resource={project}/gone,resource_type=repository"})
        if r.status_code == 404 and "no such API endpoint" in r.text:
            pytest.fail("/audit-logs is not served")
        assert_status(r, 200)
        rows = r.json()
        if rows or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert [(e["operation"], e["username"]) for e in rows] == [("delete", "admin")]


def test_delete_permissions(registry, admin, anon):
    project = create_project(registry, admin)
    registry.push_image(f"{project}/guarded", tag="v1", seed=45)
    url = repo_url(registry, project, "guarded")
    for role in (GUEST, DEVELOPER):
        s = member_session(registry, admin, project, role)
        assert_error(s.delete(url), 403, "FORBIDDEN")
    _, outsider = user_session(registry, admin)
    assert_error(outsider.delete(url), 403, "FORBIDDEN")
    assert_error(anon.delete(url), 401, "UNAUTHORIZED")
    assert_status(admin.get(url), 200)
    maintainer = member_session(registry, admin, project, MAINTAINER)
    assert_status(maintainer.delete(url), 200)
    assert_error(admin.get(url), 404, "NOT_FOUND")


def test_delete_with_an_immutable_tag_is_412(registry, admin):
    project = create_project(registry, admin)
    repo = f"{project}/frozen"
    registry.push_image(repo, tag="v1", seed=46)
    registry.push_image(repo, tag="latest", seed=47)
    rule = {
        "disabled": False, "action": "immutable", "template": "immutable_template",
        "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "v1"}],
        "scope_selectors": {"repository": [
            {"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}]},
    }
    r = admin.post(api(registry, f"/projects/{project}/immutabletagrules"), json=rule)
    if (r.status_code == 404 and "no such API endpoint" in r.text) or r.status_code == 405:
        pytest.fail("the immutable tag rules API (/projects/{p}/immutabletagrules) is not served"
                    " yet")
    assert_status(r, 201)
    r = admin.delete(repo_url(registry, project, "frozen"))
    assert_error(r, 412, "PRECONDITION")
    # nothing was deleted: the transaction is all or nothing
    repo_json = admin.get(repo_url(registry, project, "frozen")).json()
    assert repo_json["artifact_count"] == 2
    for tag in ("v1", "latest"):
        assert_status(admin.get(registry.v2(f"{repo}/manifests/{tag}"),
                                headers={"Accept": OCI_MANIFEST}), 200)


def test_delete_empties_a_repository_holding_only_children_of_nothing(registry, admin):
    """A repository whose artifacts are untagged (pushed by digest) goes too."""
    project = create_project(registry, admin)
    repo = f"{project}/untagged"
    img = registry.push_image(repo, seed=48)
    assert admin.get(repo_url(registry, project, "untagged")).json()["artifact_count"] == 1
    assert_status(admin.delete(repo_url(registry, project, "untagged")), 200)
    assert admin.get(registry.v2(f"{repo}/manifests/{img.digest}"),
                     headers={"Accept": OCI_MANIFEST}).status_code == 404
    # the project is now empty and may be deleted
    assert_status(admin.delete(api(registry, f"/projects/{project}")), 200)


def test_repo_count_follows_pushes_and_deletes(registry, admin):
    project = create_project(registry, admin)
    for i in range(3):
        registry.push_image(f"{project}/r{i}", tag="v1", seed=50 + i)
    registry.push_image(f"{project}/r0", tag="v2", seed=53)  # same repository: no new count
    assert admin.get(api(registry, f"/projects/{project}/summary")).json()["repo_count"] == 3
    assert_status(admin.delete(repo_url(registry, project, "r1")), 200)
    assert admin.get(api(registry, f"/projects/{project}/summary")).json()["repo_count"] == 2
    r = admin.get(api(registry, "/projects"), params={"name": project})
    assert [p["repo_count"] for p in r.json()] == [2]
    # artifact_count follows too
    assert admin.get(repo_url(registry, project, "r0")).json()["artifact_count"] == 2


def test_pull_count_follows_pulls(registry, admin):
    project = create_project(registry, admin)
    repo = f"{project}/pulled"
    img = registry.push_image(repo, tag="v1", seed=60)
    for ref in ("v1", "v1", img.digest):
        assert_status(admin.get(registry.v2(f"{repo}/manifests/{ref}"),
                                headers={"Accept": OCI_MANIFEST}), 200)
    # a HEAD is not a pull
    assert_status(admin.head(registry.v2(f"{repo}/manifests/v1"),
                             headers={"Accept": OCI_MANIFEST}), 200)
    url = repo_url(registry, project, "pulled")
    deadline = time.monotonic() + 10
    while admin.get(url).json()["pull_count"] < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert admin.get(url).json()["pull_count"] == 3
    r = admin.get(api(registry, f"/projects/{project}/repositories"),
                  params={"sort": "-pull_count"})
    assert [x["pull_count"] for x in r.json()] == [3]
