"""Quotas (harbor-api.md §1.1 storage_limit, §1.13 /quotas, §4 QUOTA_EXCEED/QUOTA_WARNING):
storage_limit at project creation (honoured for administrators only), /quotas list (filters,
sort, paging), get and update, the quota in /projects/{p}/summary, enforcement on /v2 (403
DENIED with Harbor's message, nothing stored), and usage that follows pushes and deletions:
after every step it equals the sum of the sizes of the distinct blobs the project holds.
The race test pushes from 16 threads against a nearly full project and checks that the
limit held and that the usage is exactly what was accepted.
"""

import json
import random
import re
import threading
import time
import uuid
from urllib.parse import urljoin

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
EXCEEDED_RE = re.compile(
    r"^Quota exceeded when processing the request of adding (\d+) of storage resource, which "
    r"when updated to current usage of (\d+) will exceed the configured upper limit of (\d+)\.$")


# ------------------------------------------------------------------ helpers


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="q"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def create_project(registry, session, status=201, **body):
    body.setdefault("project_name", unique())
    r = session.post(api(registry, "/projects"), json=body)
    assert_status(r, status)
    if status != 201:
        return None, None
    pid = int(r.headers["Location"].rsplit("/", 1)[1])
    return body["project_name"], pid


def user_session(registry, admin):
    name = unique("u")
    pw = "Pw" + uuid.uuid4().hex[:10] + "A1"
    r = admin.post(api(registry, "/users"),
                   json={"username": name, "password": pw, "email": f"{name}@e2e.example.com",
                         "realname": name})
    assert_status(r, 201)
    return name, registry.session(auth=(name, pw))


def quota_of(registry, admin, pid):
    r = admin.get(api(registry, "/quotas"),
                  params={"reference": "project", "reference_id": str(pid)})
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "1", r.json()
    (q,) = r.json()
    return q


def used(registry, admin, pid):
    return quota_of(registry, admin, pid)["used"]["storage"]


def linked_size(registry, pid):
    """The usage recomputed from the database: the sizes of the project's blobs, each once."""
    db = registry.db()
    try:
        (total,) = db.execute(
            "SELECT coalesce(sum(b.size), 0) FROM project_blob pb"
            " JOIN blob b ON b.digest = pb.blob_digest WHERE pb.project_id = ?",
            (pid,)).fetchone()
    finally:
        db.close()
    return total


def check_usage(registry, admin, pid, want):
    got = used(registry, admin, pid)
    assert got == want, f"used.storage is {got}, want {want}"
    assert linked_size(registry, pid) == want


def set_hard(registry, admin, pid, hard):
    q = quota_of(registry, admin, pid)
    assert_status(admin.put(api(registry, f"/quotas/{q['id']}"), json={"hard": {"storage": hard}}),
                  200)


def post_blob(registry, session, repo, data):
    return session.post(registry.v2(f"{repo}/blobs/uploads/"), params={"digest": digest_of(data)},
                        data=data, headers={"Content-Type": "application/octet-stream"})


def chunked_blob(registry, session, repo, data):
    """POST a session, PATCH the first half, PUT ?digest= with the rest; the PUT's answer."""
    r = session.post(registry.v2(f"{repo}/blobs/uploads/"))
    assert_status(r, 202)
    url = r.headers["Location"]
    if url.startswith("/"):
        url = registry.url + url
    half = len(data) // 2
    r = session.patch(url, data=data[:half], headers={
        "Content-Type": "application/octet-stream", "Content-Range": f"0-{half - 1}"})
    assert_status(r, 202)
    url = r.headers["Location"]
    if url.startswith("/"):
        url = registry.url + url
    return session.put(url, params={"digest": digest_of(data)}, data=data[half:], headers={
        "Content-Type": "application/octet-stream"})


def image_manifest(config, layer):
    return canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                      "config": descriptor(OCI_CONFIG, config),
                      "layers": [descriptor(OCI_LAYER, layer)]})


def config_blob(seed):
    return canonical({"architecture": "amd64", "os": "linux", "seed": seed})


def events(registry, kind, project, want=1, timeout=10.0):
    """Payloads of the `kind` events about `project` that the daemon's event log shows (its
    first subscriber logs every event), once there are `want` of them or the time is up."""
    pattern = re.compile(r"event " + re.escape(kind) + r" (\{.*\})$")
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for line in registry.log_text().splitlines():
            m = pattern.search(line)
            if m and json.loads(m[1]).get("project") == project:
                found.append(json.loads(m[1]))
        if len(found) >= want or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def assert_exceeded(resp, adding=None, current=None, hard=None):
    """403 DENIED with Harbor's message (the numbers checked when given)."""
    assert_error(resp, 403, "DENIED")
    messages = [e["message"] for e in resp.json()["errors"]]
    m = next((EXCEEDED_RE.match(msg) for msg in messages if EXCEEDED_RE.match(msg)), None)
    assert m, messages
    for want, got in ((adding, m[1]), (current, m[2]), (hard, m[3])):
        if want is not None:
            assert int(got) == want, messages
    return int(m[1]), int(m[2]), int(m[3])


# ------------------------------------------------------------------ storage_limit at creation


def test_storage_limit_at_creation(registry, admin):
    _, pid = create_project(registry, admin, storage_limit=123456)
    q = quota_of(registry, admin, pid)
    assert q["hard"] == {"storage": 123456}
    assert q["used"] == {"storage": 0}
    # absent, null, 0 and -1 are unlimited
    for limit in (None, 0, -1):
        body = {} if limit is None else {"storage_limit": limit}
        _, pid = create_project(registry, admin, **body)
        assert quota_of(registry, admin, pid)["hard"] == {"storage": -1}
    _, pid = create_project(registry, admin, storage_limit=None)
    assert quota_of(registry, admin, pid)["hard"] == {"storage": -1}
    # below -1 or not a number: 400, and no project
    for bad in (-2, "10", 1.5):
        name = unique()
        r = admin.post(api(registry, "/projects"), json={"project_name": name,
                                                          "storage_limit": bad})
        assert_error(r, 400, "BAD_REQUEST")
        assert admin.head(api(registry, "/projects"),
                          params={"project_name": name}).status_code == 404


def test_storage_limit_of_a_non_admin_is_ignored(registry, admin):
    _, s = user_session(registry, admin)
    _, pid = create_project(registry, s, storage_limit=1000)
    assert quota_of(registry, admin, pid)["hard"] == {"storage": -1}


def everything(registry, admin, path):
    out, page = [], 1
    while True:
        r = admin.get(api(registry, path), params={"page": page, "page_size": 100})
        assert_status(r, 200)
        out += r.json()
        if len(out) >= int(r.headers["X-Total-Count"]) or not r.json():
            return out
        page += 1


def test_every_project_has_a_quota(registry, admin):
    """Including `library`, created at first start, and projects made by any path."""
    projects = {p["project_id"]: p["name"] for p in everything(registry, admin, "/projects")}
    quotas = {q["ref"]["id"]: q for q in everything(registry, admin, "/quotas")}
    assert set(quotas) == set(projects)
    for pid, name in projects.items():
        assert quotas[pid]["ref"]["name"] == name
    lib = next(pid for pid, name in projects.items() if name == "library")
    assert quotas[lib]["ref"] == {"id": lib, "name": "library", "owner_name": "admin"}


# ------------------------------------------------------------------ /quotas


def test_get_quota_shape(registry, admin):
    name, pid = create_project(registry, admin, storage_limit=4096)
    q = quota_of(registry, admin, pid)
    assert set(q) == {"id", "ref", "hard", "used", "creation_time", "update_time"}
    assert q["ref"] == {"id": pid, "name": name, "owner_name": "admin"}
    assert TIME_RE.fullmatch(q["creation_time"]) and TIME_RE.fullmatch(q["update_time"])
    r = admin.get(api(registry, f"/quotas/{q['id']}"))
    assert_status(r, 200)
    assert r.json() == q
    assert_error(admin.get(api(registry, "/quotas/999999999")), 404, "NOT_FOUND")
    assert_error(admin.get(api(registry, "/quotas/abc")), 400, "BAD_REQUEST")
    assert_error(admin.get(api(registry, "/quotas/0")), 400, "BAD_REQUEST")


def test_quota_permissions(registry, admin, anon):
    name, pid = create_project(registry, admin)
    qid = quota_of(registry, admin, pid)["id"]
    body = {"hard": {"storage": 100}}
    assert_error(anon.get(api(registry, "/quotas")), 401, "UNAUTHORIZED")
    assert_error(anon.get(api(registry, f"/quotas/{qid}")), 401, "UNAUTHORIZED")
    assert_error(anon.put(api(registry, f"/quotas/{qid}"), json=body), 401, "UNAUTHORIZED")
    user, s = user_session(registry, admin)
    # even the project's own administrator reads it through the summary, not /quotas
    r = admin.post(api(registry, f"/projects/{name}/members"),
                   json={"role_id": 1, "member_user": {"username": user}})
    assert_status(r, 201)
    assert_error(s.get(api(registry, "/quotas")), 403, "FORBIDDEN")
    assert_error(s.get(api(registry, f"/quotas/{qid}")), 403, "FORBIDDEN")
    assert_error(s.put(api(registry, f"/quotas/{qid}"), json=body), 403, "FORBIDDEN")
    assert quota_of(registry, admin, pid)["hard"] == {"storage": -1}
    r = s.get(api(registry, f"/projects/{name}/summary"))
    assert_status(r, 200)
    assert r.json()["quota"] == {"hard": {"storage": -1}, "used": {"storage": 0}}


def test_put_quota(registry, admin):
    _, pid = create_project(registry, admin)
    q = quota_of(registry, admin, pid)
    url = api(registry, f"/quotas/{q['id']}")
    r = admin.put(url, json={"hard": {"storage": 1 << 30}})
    assert_status(r, 200)
    assert r.content == b""
    after = quota_of(registry, admin, pid)
    assert after["hard"] == {"storage": 1 << 30}
    assert after["creation_time"] == q["creation_time"]
    assert admin.get(url).json()["hard"] == {"storage": 1 << 30}
    assert_status(admin.put(url, json={"hard": {"storage": -1}}), 200)
    assert quota_of(registry, admin, pid)["hard"] == {"storage": -1}
    # refused bodies change nothing
    for bad in ({}, {"hard": None}, {"hard": {}}, {"hard": 5}, {"hard": {"count": 5}},
                {"hard": {"storage": 5, "count": 1}}, {"hard": {"storage": 0}},
                {"hard": {"storage": -2}}, {"hard": {"storage": "5"}},
                {"hard": {"storage": 1.5}}, {"hard": {"storage": None}}):
        assert_error(admin.put(url, json=bad), 400, "BAD_REQUEST")
    r = admin.put(url, data=b"{not json", headers={"Content-Type": "application/json"})
    assert_error(r, 400, "BAD_REQUEST")
    assert quota_of(registry, admin, pid)["hard"] == {"storage": -1}
    assert_error(admin.put(api(registry, "/quotas/999999999"), json={"hard": {"storage": 5}}),
                 404, "NOT_FOUND")


def test_list_filters_sort_and_paging(start_registry):
    # a daemon of its own: sorted pages of the shared one hold other tests' projects
    registry = start_registry()
    admin = registry.session()
    tag = unique("s")
    pids = []
    for hard, nblobs in ((50000, 3), (-1, 1), (20000, 2)):
        _, pid = create_project(registry, admin, project_name=f"{tag}-{len(pids)}",
                                storage_limit=hard)
        pids.append(pid)
        name = f"{tag}-{len(pids) - 1}"
        for i in range(nblobs):
            assert_status(post_blob(registry, admin, f"{name}/app",
                                    random.randbytes(1000 + 100 * i)), 201)
    mine = set(pids)

    def listed(**params):
        params.setdefault("page_size", 100)
        r = admin.get(api(registry, "/quotas"), params=params)
        assert_status(r, 200)
        return [q for q in r.json() if q["ref"]["id"] in mine], r

    # newest first by default
    got, _ = listed()
    assert [q["ref"]["id"] for q in got] == pids[::-1]
    got, _ = listed(sort="used.storage")
    assert [q["used"]["storage"] for q in got] == [1000, 2100, 3300]
    got, r = listed(sort="-used.storage")
    assert [q["used"]["storage"] for q in got] == [3300, 2100, 1000]
    everything = [q["used"]["storage"] for q in r.json()]
    assert everything == sorted(everything, reverse=True)
    # unlimited is the largest limit, as in Harbor
    got, _ = listed(sort="hard.storage")
    assert [q["hard"]["storage"] for q in got] == [20000, 50000, -1]
    got, _ = listed(sort="-hard.storage")
    assert [q["hard"]["storage"] for q in got] == [-1, 50000, 20000]
    assert_error(admin.get(api(registry, "/quotas"), params={"sort": "nope"}), 400,
                 "BAD_REQUEST")
    # the reference filters
    got, r = listed(reference="project", reference_id=str(pids[2]))
    assert [q["ref"]["id"] for q in r.json()] == [pids[2]]
    assert r.headers["X-Total-Count"] == "1"
    for params in ({"reference": "other"}, {"reference_id": "nope"},
                   {"reference_id": "999999999"}):
        r = admin.get(api(registry, "/quotas"), params=params)
        assert_status(r, 200)
        assert r.json() == [] and r.headers["X-Total-Count"] == "0"
    # q on the same keys, and paging with X-Total-Count and Link
    r = admin.get(api(registry, "/quotas"),
                  params={"q": f"reference_id={{{pids[0]} {pids[1]} {pids[2]}}}",
                          "sort": "used.storage", "page": 2, "page_size": 1})
    assert_status(r, 200)
    assert [q["ref"]["id"] for q in r.json()] == [pids[2]]
    assert r.headers["X-Total-Count"] == "3"
    link = r.headers["Link"]
    assert 'rel="prev"' in link and 'rel="next"' in link
    assert "page=1&page_size=1" in link and "page=3&page_size=1" in link
    assert_error(admin.get(api(registry, "/quotas"), params={"q": "bogus=1"}), 400,
                 "BAD_REQUEST")


def test_summary_shows_the_quota(registry, admin):
    name, pid = create_project(registry, admin, storage_limit=10000)
    r = admin.get(api(registry, f"/projects/{name}/summary"))
    assert_status(r, 200)
    assert r.json()["quota"] == {"hard": {"storage": 10000}, "used": {"storage": 0}}
    assert_status(post_blob(registry, admin, f"{name}/app", b"x" * 777), 201)
    r = admin.get(api(registry, f"/projects/{pid}/summary"))
    assert r.json()["quota"] == {"hard": {"storage": 10000}, "used": {"storage": 777}}


# ------------------------------------------------------------------ enforcement


def test_push_over_the_limit_is_403_and_stores_nothing(registry, admin):
    name, pid = create_project(registry, admin, storage_limit=3000)
    repo = f"{name}/app"
    first = random.randbytes(2000)
    assert_status(post_blob(registry, admin, repo, first), 201)
    check_usage(registry, admin, pid, 2000)
    big = random.randbytes(1001)
    assert_exceeded(post_blob(registry, admin, repo, big), 1001, 2000, 3000)
    assert_exceeded(chunked_blob(registry, admin, repo, big), 1001, 2000, 3000)
    # QUOTA_EXCEED, though the refused transaction was rolled back
    seen = events(registry, "quota.exceeded", name, want=2)
    assert len(seen) == 2, seen
    assert seen[0]["used"] == "2000" and seen[0]["hard"] == "3000"
    assert seen[0]["operator"] == "admin"
    assert EXCEEDED_RE.match(seen[0]["details"])
    assert_status(admin.head(registry.v2(f"{repo}/blobs/{digest_of(big)}")), 404)
    check_usage(registry, admin, pid, 2000)
    # exactly up to the limit is fine
    config = random.randbytes(1000)
    assert_status(post_blob(registry, admin, repo, config), 201)
    check_usage(registry, admin, pid, 3000)
    # the manifest is storage too: refused, and neither the tag nor the artifact exists
    manifest = image_manifest(config, first)
    r = registry.push_manifest(repo, "v1", manifest)
    assert_exceeded(r, len(manifest), 3000, 3000)
    assert_status(admin.head(registry.v2(f"{repo}/manifests/v1")), 404)
    assert_status(admin.head(registry.v2(f"{repo}/manifests/{digest_of(manifest)}")), 404)
    assert_status(admin.head(registry.v2(f"{repo}/blobs/{digest_of(manifest)}")), 404)
    check_usage(registry, admin, pid, 3000)
    # after raising the limit the same pushes go through
    set_hard(registry, admin, pid, 3000 + len(manifest) + 1001)
    assert_status(registry.push_manifest(repo, "v1", manifest), 201)
    assert_status(chunked_blob(registry, admin, repo, big), 201)
    check_usage(registry, admin, pid, 3000 + len(manifest) + 1001)
    # a limit below the usage is accepted (as Harbor) and refuses what comes next...
    set_hard(registry, admin, pid, 100)
    assert quota_of(registry, admin, pid)["hard"] == {"storage": 100}
    assert_exceeded(post_blob(registry, admin, repo, b"more"), 4, None, 100)
    # ...but not what the project holds already, nor the empty blob (adding nothing)
    assert_status(post_blob(registry, admin, repo, first), 201)
    assert_status(post_blob(registry, admin, repo, b""), 201)
    assert_status(registry.push_manifest(repo, "v2", manifest), 201)
    check_usage(registry, admin, pid, 3000 + len(manifest) + 1001)


def test_a_refused_push_stores_no_file_and_keeps_its_session(registry, admin):
    """The bytes are staged before the transaction that the quota refuses: nothing of them
    is left in blobs/ or staging/, and the refused session is as it was, so the same PUT
    completes it once the limit allows."""
    name, pid = create_project(registry, admin, storage_limit=1000)
    repo = f"{name}/app"
    config, layer, big = config_blob(uuid.uuid4().hex), random.randbytes(600), random.randbytes(1500)
    assert_exceeded(post_blob(registry, admin, repo, big), 1500, 0, 1000)
    r = admin.post(registry.v2(f"{repo}/blobs/uploads/"))
    assert_status(r, 202)
    url = urljoin(r.url, r.headers["Location"])
    r = admin.patch(url, data=big, headers={"Content-Type": "application/octet-stream",
                                            "Content-Range": f"0-{len(big) - 1}"})
    assert_status(r, 202)
    url = urljoin(r.url, r.headers["Location"])
    assert_exceeded(admin.put(url, params={"digest": digest_of(big)}), 1500, 0, 1000)
    assert_status(post_blob(registry, admin, repo, config), 201)
    assert_status(post_blob(registry, admin, repo, layer), 201)
    manifest = image_manifest(config, layer)
    assert_exceeded(registry.push_manifest(repo, "v1", manifest), len(manifest), None, 1000)

    for d in (digest_of(big), digest_of(manifest)):
        assert not registry.blob_path(d).exists(), f"refused {d} is in blobs/"
        left = [e for e in registry.staging_entries() if e.startswith(d.split(":")[1])]
        assert not left, f"refused {d} is left in staging/: {left}"
    r = admin.get(url)
    assert_status(r, 204)
    assert r.headers["Range"] == f"0-{len(big) - 1}"

    set_hard(registry, admin, pid, 10000)
    assert_status(admin.put(url, params={"digest": digest_of(big)}), 201)
    assert digest_of(registry.blob_path(digest_of(big)).read_bytes()) == digest_of(big)
    assert_status(registry.push_manifest(repo, "v1", manifest), 201)
    assert registry.blob_path(digest_of(manifest)).read_bytes() == manifest
    assert not registry.staging_entries()


def test_quota_warning_when_usage_passes_85_percent(registry, admin):
    name, pid = create_project(registry, admin, storage_limit=10000)
    repo = f"{name}/app"
    assert_status(post_blob(registry, admin, repo, random.randbytes(8000)), 201)
    assert_status(post_blob(registry, admin, repo, random.randbytes(400)), 201)  # 84%
    assert_status(post_blob(registry, admin, repo, random.randbytes(500)), 201)  # 89%
    assert_status(post_blob(registry, admin, repo, random.randbytes(600)), 201)  # 95%: once
    seen = events(registry, "quota.warning", name)
    assert len(seen) == 1, seen
    assert (seen[0]["used"], seen[0]["hard"]) == ("8900", "10000")
    time.sleep(1.2)  # the dispatcher's period: nothing else comes
    assert len(events(registry, "quota.warning", name, timeout=0)) == 1
    check_usage(registry, admin, pid, 9500)


@pytest.mark.parametrize("with_from", [True, False], ids=["from", "without-from"])
def test_mount_is_charged_to_the_target(registry, admin, with_from):
    """A mount from a named repository, or found without one, is charged as an upload."""
    src_name, src = create_project(registry, admin)
    dst_name, dst = create_project(registry, admin, storage_limit=5000)
    tiny_name, tiny = create_project(registry, admin, storage_limit=100)
    blob = random.randbytes(1500)
    d = digest_of(blob)
    assert_status(post_blob(registry, admin, f"{src_name}/app", blob), 201)

    def mount(name):
        params = {"mount": d, "from": f"{src_name}/app"} if with_from else {"mount": d}
        return admin.post(registry.v2(f"{name}/app/blobs/uploads/"), params=params)

    assert_status(mount(dst_name), 201)
    check_usage(registry, admin, dst, 1500)
    check_usage(registry, admin, src, 1500)
    assert_status(mount(dst_name), 201)
    check_usage(registry, admin, dst, 1500)
    assert_exceeded(mount(tiny_name), 1500, 0, 100)
    assert_status(admin.head(registry.v2(f"{tiny_name}/app/blobs/{d}")), 404)
    check_usage(registry, admin, tiny, 0)



# ------------------------------------------------------------------ usage follows the content


def test_usage_is_the_sum_of_distinct_blobs(registry, admin):
    name, pid = create_project(registry, admin)
    repo, other = f"{name}/app", f"{name}/other"
    shared = random.randbytes(3000)
    sizes = {digest_of(shared): len(shared)}
    images = []
    for i in range(3):
        config, layer = config_blob(i), random.randbytes(1000 + i)
        for b in (config, layer, shared):
            assert_status(post_blob(registry, admin, repo, b), 201)
        manifest = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                              "config": descriptor(OCI_CONFIG, config),
                              "layers": [descriptor(OCI_LAYER, shared),
                                         descriptor(OCI_LAYER, layer)]})
        assert_status(registry.push_manifest(repo, f"v{i}", manifest), 201)
        for b in (config, layer, manifest):
            sizes[digest_of(b)] = len(b)
        images.append((config, layer, manifest))
    check_usage(registry, admin, pid, sum(sizes.values()))
    # the same image in another repository of the project costs nothing more
    config, layer, manifest = images[0]
    for b in (config, layer, shared):
        assert_status(post_blob(registry, admin, other, b), 201)
    assert_status(registry.push_manifest(other, "copy", manifest), 201)
    check_usage(registry, admin, pid, sum(sizes.values()))
    # deleting a tag frees nothing; deleting image 1 frees its config, layer and manifest
    assert_status(admin.delete(registry.v2(f"{repo}/manifests/v1")), 202)
    check_usage(registry, admin, pid, sum(sizes.values()))
    d1 = digest_of(images[1][2])
    assert_status(admin.delete(registry.v2(f"{repo}/manifests/{d1}")), 202)
    for b in images[1]:
        del sizes[digest_of(b)]
    check_usage(registry, admin, pid, sum(sizes.values()))
    # image 0 lives on in `other`: deleting it from `repo` frees nothing
    d0 = digest_of(images[0][2])
    assert_status(admin.delete(registry.v2(f"{repo}/manifests/{d0}")), 202)
    check_usage(registry, admin, pid, sum(sizes.values()))
    assert_status(admin.delete(registry.v2(f"{other}/manifests/{d0}")), 202)
    for b in images[0]:
        del sizes[digest_of(b)]
    check_usage(registry, admin, pid, sum(sizes.values()))
    # a blob deleted through /v2 is refunded, once
    lone = random.randbytes(700)
    assert_status(post_blob(registry, admin, repo, lone), 201)
    check_usage(registry, admin, pid, sum(sizes.values()) + 700)
    assert_status(admin.delete(registry.v2(f"{repo}/blobs/{digest_of(lone)}")), 202)
    check_usage(registry, admin, pid, sum(sizes.values()))
    assert_error(admin.delete(registry.v2(f"{repo}/blobs/{digest_of(lone)}")), 404,
                 "BLOB_UNKNOWN")
    check_usage(registry, admin, pid, sum(sizes.values()))
    # the last image: its blobs go, the shared layer with it
    d2 = digest_of(images[2][2])
    assert_status(admin.delete(registry.v2(f"{repo}/manifests/{d2}")), 202)
    check_usage(registry, admin, pid, 0)


def api_delete_or_skip(registry, admin, path):
    r = admin.delete(api(registry, path))
    if (r.status_code == 404 and "no such API endpoint" in r.text) or r.status_code == 405:
        pytest.fail(f"DELETE {path} is not served")
    return r


def test_usage_falls_when_the_api_deletes(registry, admin):
    name, pid = create_project(registry, admin)
    img = {}
    for repo in ("one", "two"):
        config, layer = config_blob(repo), random.randbytes(2000)
        for b in (config, layer):
            assert_status(post_blob(registry, admin, f"{name}/{repo}", b), 201)
        manifest = image_manifest(config, layer)
        assert_status(registry.push_manifest(f"{name}/{repo}", "v1", manifest), 201)
        img[repo] = len(config) + len(layer) + len(manifest), digest_of(manifest)
    check_usage(registry, admin, pid, img["one"][0] + img["two"][0])
    r = api_delete_or_skip(registry, admin,
                           f"/projects/{name}/repositories/one/artifacts/{img['one'][1]}")
    assert_status(r, 200)
    check_usage(registry, admin, pid, img["two"][0])
    r = api_delete_or_skip(registry, admin, f"/projects/{name}/repositories/two")
    assert_status(r, 200)
    check_usage(registry, admin, pid, 0)


# ------------------------------------------------------------------ the race


THREADS = 16
ROUNDS = 3


class Pusher(threading.Thread):
    """Pushes ROUNDS images (config monolithic, layer monolithic or chunked, manifest) and
    records what each request was answered."""

    def __init__(self, registry, repo, index):
        super().__init__(daemon=True)
        self.registry, self.repo, self.index = registry, repo, index
        self.accepted = {}    # digest -> bytes, answered 201
        self.refused = {}     # digest -> bytes, answered 403 DENIED "Quota exceeded…"
        self.manifests = []   # digests of manifests answered 201
        self.in_images = set()  # digests of those manifests, their configs and layers
        self.failures = []

    def blob(self, s, data, chunked):
        r = (chunked_blob(self.registry, s, self.repo, data) if chunked
             else post_blob(self.registry, s, self.repo, data))
        return self.record(r, data)

    def record(self, r, data):
        d = digest_of(data)
        if r.status_code == 201:
            self.accepted[d] = len(data)
            return True
        if r.status_code == 403 and EXCEEDED_RE.match(r.json()["errors"][0]["message"]):
            self.refused[d] = len(data)
            return False
        self.failures.append(f"{r.request.method} {r.request.url}: {r.status_code} {r.text}")
        return False

    def run(self):
        rnd = random.Random(self.index)
        s = self.registry.session()
        try:
            for i in range(ROUNDS):
                config = config_blob(f"{self.index}-{i}-{rnd.random()}")
                layer = rnd.randbytes(rnd.randrange(600, 2500))
                ok = self.blob(s, config, chunked=False)
                ok = self.blob(s, layer, chunked=(self.index + i) % 2 == 1) and ok
                if not ok:
                    continue
                manifest = image_manifest(config, layer)
                r = self.registry.push_manifest(self.repo, f"t{self.index}-{i}", manifest,
                                                session=s)
                if self.record(r, manifest):
                    self.manifests.append(digest_of(manifest))
                    self.in_images |= {digest_of(config), digest_of(layer), digest_of(manifest)}
        except Exception as e:  # noqa: BLE001 — reported by the test
            self.failures.append(repr(e))
        finally:
            s.close()


def test_concurrent_pushes_against_a_nearly_full_quota(registry, admin):
    room = 24 * 1024
    name, pid = create_project(registry, admin)
    repo = f"{name}/race"
    filler = random.randbytes(40 * 1024)
    assert_status(post_blob(registry, admin, repo, filler), 201)
    hard = len(filler) + room
    set_hard(registry, admin, pid, hard)

    pushers = [Pusher(registry, repo, i) for i in range(THREADS)]
    for p in pushers:
        p.start()
    for p in pushers:
        p.join(120)
    assert not any(p.is_alive() for p in pushers), "a pusher hung"
    failures = [f for p in pushers for f in p.failures]
    assert not failures, failures[:5]

    accepted, refused, manifests, in_images = {}, {}, [], set()
    for p in pushers:
        accepted.update(p.accepted)
        refused.update(p.refused)
        manifests += p.manifests
        in_images |= p.in_images
    print(f"race: {len(accepted)} accepted, {len(refused)} refused, {len(manifests)} manifests")
    assert accepted and refused, "the race should both accept and refuse pushes"
    assert manifests, "some manifests should get in"
    assert not set(accepted) & set(refused)

    # the limit held, and the usage is exactly what was answered 201
    q = quota_of(registry, admin, pid)
    total = len(filler) + sum(accepted.values())
    assert q["used"]["storage"] == total
    assert total <= hard
    assert linked_size(registry, pid) == total
    # every 201 is there, every 403 is not
    for d, size in accepted.items():
        r = admin.get(registry.v2(f"{repo}/blobs/{d}"))
        assert_status(r, 200)
        assert len(r.content) == size and digest_of(r.content) == d
    for d in refused:
        assert_status(admin.head(registry.v2(f"{repo}/blobs/{d}")), 404)

    # delete every artifact: what is left is the filler and the blobs no manifest took in
    for d in manifests:
        assert_status(admin.delete(registry.v2(f"{repo}/manifests/{d}")), 202)
    want = len(filler) + sum(size for d, size in accepted.items() if d not in in_images)
    left = len(filler)
    for d, size in accepted.items():
        r = admin.head(registry.v2(f"{repo}/blobs/{d}"))
        assert r.status_code == (404 if d in in_images else 200), d
        left += size if r.status_code == 200 else 0
    assert left == want
    check_usage(registry, admin, pid, want)
