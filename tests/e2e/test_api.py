"""The OCI Distribution API 1.1 of havend over plain HTTP, endpoint by endpoint.

Each test checks what a client sees (status, error code, headers, body) and, where a
request should change nothing, that nothing was stored.
"""

import json
import random
import re
import secrets
import uuid
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from havenlib import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_LIST,
    DOCKER_MANIFEST,
    DOCKER_SCHEMA1,
    EMPTY_DIGEST,
    OCI_CONFIG,
    OCI_EMPTY,
    OCI_INDEX,
    OCI_LAYER,
    OCI_MANIFEST,
    assert_error,
    assert_status,
    canonical,
    descriptor,
    digest_of,
    error_codes,
)

OCTET = {"Content-Type": "application/octet-stream"}
ALL_MANIFESTS = ", ".join([OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST])


def rand(n, seed=None):
    return random.Random(seed).randbytes(n) if seed is not None else random.randbytes(n)


def location(r):
    assert "Location" in r.headers, f"{r.request.method} {r.request.url}: no Location header"
    return urljoin(r.url, r.headers["Location"])


def path_of(url):
    return urlsplit(url).path


def unknown_digest():
    return digest_of(uuid.uuid4().bytes)


def next_link(r):
    """The URL of a `Link: <url>; rel="next"` header, resolved against the request."""
    link = r.headers.get("Link")
    if link is None:
        return None
    m = re.fullmatch(r'\s*<([^>]+)>\s*;\s*rel="?next"?\s*', link)
    assert m, f"malformed Link header {link!r}"
    return urljoin(r.url, m.group(1))


def blob_absent(registry, admin, repo, digest):
    r = admin.head(registry.v2(f"{repo}/blobs/{digest}"))
    assert_status(r, 404)
    assert not registry.blob_path(digest).exists(), f"{digest} was stored"


def manifest_absent(registry, admin, repo, ref):
    """GET ref is a 404.  In a repository that holds no manifest yet the repository itself
    is unknown, so NAME_UNKNOWN is as right as MANIFEST_UNKNOWN."""
    r = admin.get(registry.v2(f"{repo}/manifests/{ref}"))
    assert_status(r, 404)
    assert {"MANIFEST_UNKNOWN", "NAME_UNKNOWN"} & set(error_codes(r)), r.text
    if ref.startswith("sha256:"):
        assert not registry.blob_path(ref).exists(), f"{ref} was stored"


# ------------------------------------------------------------------ base, auth, request id


def test_base_anonymous_is_sent_to_the_token_service(registry, anon):
    r = anon.get(registry.v2(""))
    assert_error(r, 401, "UNAUTHORIZED")
    assert r.headers.get("WWW-Authenticate") == \
        f'Bearer realm="{registry.url}/service/token",service="harbor-registry"'


def test_base_with_wrong_credentials_is_challenged_with_basic(registry):
    r = registry.session(auth=("admin", "wrong-password")).get(registry.v2(""))
    assert_error(r, 401, "UNAUTHORIZED")
    assert re.fullmatch(r'Basic realm="[^"]+"', r.headers.get("WWW-Authenticate", "")), \
        r.headers.get("WWW-Authenticate")


def test_base_with_admin_credentials(registry, admin):
    r = admin.get(registry.v2(""))
    assert_status(r, 200)
    assert r.headers["Docker-Distribution-API-Version"] == "registry/2.0"


@pytest.mark.parametrize("user,password", [("admin", "wrong-password"), ("nobody", "x")])
def test_bad_credentials_are_refused(registry, repo, user, password):
    s = registry.session(auth=(user, password))
    assert_error(s.get(registry.v2("")), 401, "UNAUTHORIZED")
    r = s.post(registry.v2(f"{repo}/blobs/uploads/"), params={"digest": digest_of(b"x")},
               data=b"x", headers=OCTET)
    assert_error(r, 401, "UNAUTHORIZED")
    assert "WWW-Authenticate" in r.headers
    assert_status(registry.session().head(registry.v2(f"{repo}/blobs/{digest_of(b'x')}")), 404)


def test_request_id_is_echoed(registry, anon, admin):
    r = anon.get(registry.v2(""), headers={"X-Request-ID": "e2e-echo-1234"})
    assert r.headers.get("X-Request-ID") == "e2e-echo-1234"
    r = admin.get(registry.v2("library/none-such/manifests/v1"),
                  headers={"X-Request-ID": "e2e-echo-5678"})
    assert r.status_code == 404
    assert r.headers.get("X-Request-ID") == "e2e-echo-5678"


def test_request_id_is_generated_per_request(registry, repo, anon, admin):
    ids = [
        anon.get(registry.v2("")).headers.get("X-Request-ID"),
        admin.get(registry.v2("")).headers.get("X-Request-ID"),
        admin.post(registry.v2(f"{repo}/blobs/uploads/")).headers.get("X-Request-ID"),
        admin.get(registry.v2(f"{repo}/blobs/{unknown_digest()}")).headers.get("X-Request-ID"),
    ]
    assert all(ids), ids
    assert len(set(ids)) == len(ids), ids


def test_anonymous_read_without_credentials_is_challenged_even_when_public(registry, repo,
                                                                           anon):
    """As Harbor (#11271): a GET or HEAD without any Authorization header is sent to the
    token service, so that a client fetches its token before anything else (containerd's
    first request of a push is such a HEAD)."""
    img = registry.push_image(repo, "v1")
    challenge = (f'Bearer realm="{registry.url}/service/token",service="harbor-registry",'
                 f'scope="repository:{repo}:pull"')
    for method, path in (("HEAD", f"{repo}/manifests/v1"), ("GET", f"{repo}/manifests/v1"),
                         ("HEAD", f"{repo}/blobs/{digest_of(img.config)}"),
                         ("GET", f"{repo}/blobs/{digest_of(img.config)}"),
                         ("GET", f"{repo}/tags/list"),
                         ("GET", f"{repo}/referrers/{img.digest}")):
        r = anon.request(method, registry.v2(path))
        assert_error(r, 401, "UNAUTHORIZED")
        assert r.headers.get("WWW-Authenticate") == challenge, (method, path)


def test_anonymous_pull_from_public_project(registry, repo):
    img = registry.push_image(repo, "v1", layers=2)
    anon = registry.token_session()
    r = anon.get(registry.v2(f"{repo}/manifests/v1"), headers={"Accept": OCI_MANIFEST})
    assert_status(r, 200)
    assert r.content == img.manifest
    assert_status(anon.head(registry.v2(f"{repo}/manifests/{img.digest}")), 200)
    layer = img.layers[0]
    r = anon.get(registry.v2(f"{repo}/blobs/{digest_of(layer)}"))
    assert_status(r, 200)
    assert r.content == layer
    assert_status(anon.head(registry.v2(f"{repo}/blobs/{digest_of(img.config)}")), 200)
    r = anon.get(registry.v2(f"{repo}/tags/list"))
    assert_status(r, 200)
    assert r.json()["tags"] == ["v1"]
    r = anon.get(registry.v2(f"{repo}/referrers/{img.digest}"))
    assert_status(r, 200)
    assert r.json()["manifests"] == []
    assert set(anon.auth.tokens) == {f"repository:{repo}:pull"}


def test_empty_basic_credentials_are_anonymous(registry, repo, anon, admin):
    # After a Basic challenge, containers/image (skopeo, podman, buildah) sends
    # "Authorization: Basic Og==" (empty user and password) when it has no credentials.
    img = registry.push_image(repo, "v1")
    empty = {"Authorization": "Basic Og=="}
    r = anon.get(registry.v2(f"{repo}/manifests/v1"), headers=empty)
    assert_status(r, 200)
    assert r.content == img.manifest
    r = anon.get(registry.v2(f"{repo}/blobs/{digest_of(img.config)}"), headers=empty)
    assert_status(r, 200)
    r = anon.post(registry.v2(f"{repo}/blobs/uploads/"), headers=empty)
    assert_error(r, 401, "UNAUTHORIZED")


def test_anonymous_push_is_refused(registry, repo, anon, admin):
    data = rand(512)
    d = digest_of(data)
    r = anon.post(registry.v2(f"{repo}/blobs/uploads/"))
    assert_error(r, 401, "UNAUTHORIZED")
    assert r.headers.get("WWW-Authenticate") == (
        f'Bearer realm="{registry.url}/service/token",service="harbor-registry",'
        f'scope="repository:{repo}:pull,push"')
    r = anon.post(registry.v2(f"{repo}/blobs/uploads/"), params={"digest": d}, data=data,
                  headers=OCTET)
    assert_error(r, 401, "UNAUTHORIZED")
    blob_absent(registry, admin, repo, d)

    registry.push_blob(repo, b"{}")
    manifest = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": descriptor(OCI_CONFIG, b"{}"), "layers": []})
    r = registry.push_manifest(repo, "anon", manifest, session=anon)
    assert_error(r, 401, "UNAUTHORIZED")
    manifest_absent(registry, admin, repo, digest_of(manifest))


def test_anonymous_delete_is_refused(registry, repo, anon, admin):
    img = registry.push_image(repo, "v1")
    assert_error(anon.delete(registry.v2(f"{repo}/manifests/{img.digest}")), 401, "UNAUTHORIZED")
    assert_error(anon.delete(registry.v2(f"{repo}/blobs/{digest_of(img.layers[0])}")),
                 401, "UNAUTHORIZED")
    assert_status(admin.head(registry.v2(f"{repo}/manifests/v1")), 200)
    assert_status(admin.head(registry.v2(f"{repo}/blobs/{digest_of(img.layers[0])}")), 200)


def test_catalog_requires_admin(registry, anon, admin):
    """As Harbor: whoever may not list the catalog gets a Basic challenge (401), a logged-in
    user who is no administrator too; the catalog has no token scope to ask for."""
    r = anon.get(registry.v2("_catalog"))
    assert_error(r, 401, "UNAUTHORIZED")
    assert re.fullmatch(r'Basic realm="[^"]+"', r.headers.get("WWW-Authenticate", "")), r.headers
    name, pw = f"cat{secrets.token_hex(4)}", "Catalog" + secrets.token_hex(6) + "9"
    assert_status(admin.post(f"{registry.url}/api/v2.0/users", json={
        "username": name, "password": pw, "email": f"{name}@e2e.example.com",
        "realname": name}), 201)
    r = registry.session(auth=(name, pw)).get(registry.v2("_catalog"))
    assert_error(r, 401, "UNAUTHORIZED")
    assert re.fullmatch(r'Basic realm="[^"]+"', r.headers.get("WWW-Authenticate", "")), r.headers
    assert_status(admin.get(registry.v2("_catalog")), 200)


# ------------------------------------------------------------------ names and projects


def test_push_to_unknown_project(registry, admin):
    r = admin.post(registry.v2("nosuchproject/x/blobs/uploads/"))
    assert_error(r, 404, "NAME_UNKNOWN")
    assert "nosuchproject" in r.text
    manifest = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": descriptor(OCI_CONFIG, b"{}"), "layers": []})
    r = registry.push_manifest("nosuchproject/x", "v1", manifest)
    assert_error(r, 404, "NAME_UNKNOWN")


def test_pull_from_unknown_project(registry, admin):
    assert_error(admin.get(registry.v2("nosuchproject/x/tags/list")), 404, "NAME_UNKNOWN")
    r = admin.get(registry.v2(f"nosuchproject/x/manifests/{unknown_digest()}"))
    assert r.status_code == 404
    assert {"NAME_UNKNOWN", "MANIFEST_UNKNOWN"} & set(error_codes(r)), r.text


@pytest.mark.parametrize("name", [
    "library/UPPER", "library/a..b", "justone", "library/-lead", "library/trail-",
    "library/a___b", "Library/x",
])
def test_invalid_repository_name(registry, admin, name):
    r = admin.post(registry.v2(f"{name}/blobs/uploads/"))
    assert_error(r, 400, "NAME_INVALID")
    r = admin.post(registry.v2(f"{name}/blobs/uploads/"), params={"digest": digest_of(b"n")},
                   data=b"n", headers=OCTET)
    assert_error(r, 400, "NAME_INVALID")
    assert_error(admin.get(registry.v2(f"{name}/tags/list")), 400, "NAME_INVALID")


def test_nested_repository_name(registry, admin):
    repo = registry.new_repo("nested") + "/team/app_x.y__z"
    img = registry.push_image(repo, "v1")
    r = admin.get(registry.v2(f"{repo}/manifests/v1"))
    assert_status(r, 200)
    assert r.content == img.manifest
    assert admin.get(registry.v2(f"{repo}/tags/list")).json() == {"name": repo, "tags": ["v1"]}


# ------------------------------------------------------------------ blobs


def test_blob_head_and_get(registry, repo, admin):
    data = rand(10_000)
    d = registry.push_blob(repo, data)
    r = admin.head(registry.v2(f"{repo}/blobs/{d}"))
    assert_status(r, 200)
    assert r.headers["Content-Length"] == "10000"
    assert r.headers["Docker-Content-Digest"] == d
    assert r.content == b""
    r = admin.get(registry.v2(f"{repo}/blobs/{d}"))
    assert_status(r, 200)
    assert r.headers["Docker-Content-Digest"] == d
    assert r.headers["Content-Length"] == "10000"
    assert r.content == data
    assert registry.blob_path(d).read_bytes() == data


def test_blob_range_requests(registry, repo, admin):
    data = rand(1000)
    d = registry.push_blob(repo, data)
    url = registry.v2(f"{repo}/blobs/{d}")
    r = admin.get(url, headers={"Range": "bytes=100-199"})
    assert_status(r, 206)
    assert r.headers["Content-Range"] == "bytes 100-199/1000"
    assert r.content == data[100:200]
    r = admin.get(url, headers={"Range": "bytes=990-"})
    assert_status(r, 206)
    assert r.headers["Content-Range"] == "bytes 990-999/1000"
    assert r.content == data[990:]
    r = admin.get(url, headers={"Range": "bytes=0-0"})
    assert_status(r, 206)
    assert r.content == data[:1]
    r = admin.get(url, headers={"Range": "bytes=2000-3000"})
    assert_status(r, 416)


def test_blob_unknown(registry, repo, admin):
    registry.push_blob(repo, rand(10))  # the repository exists
    d = unknown_digest()
    assert_error(admin.get(registry.v2(f"{repo}/blobs/{d}")), 404, "BLOB_UNKNOWN")
    r = admin.head(registry.v2(f"{repo}/blobs/{d}"))
    assert_status(r, 404)
    assert r.content == b""


@pytest.mark.parametrize("bad", ["sha256:1234", "sha256:" + "z" * 64, "notadigest"])
def test_blob_malformed_digest(registry, repo, admin, bad):
    registry.push_blob(repo, rand(10))
    assert_error(admin.get(registry.v2(f"{repo}/blobs/{bad}")), 400, "DIGEST_INVALID")
    assert_status(admin.head(registry.v2(f"{repo}/blobs/{bad}")), 400)


def test_blob_delete(registry, repo, admin):
    data = rand(2048)
    d = registry.push_blob(repo, data)
    assert_status(admin.delete(registry.v2(f"{repo}/blobs/{d}")), 202)
    assert_status(admin.head(registry.v2(f"{repo}/blobs/{d}")), 404)
    assert_error(admin.get(registry.v2(f"{repo}/blobs/{d}")), 404, "BLOB_UNKNOWN")
    assert_error(admin.delete(registry.v2(f"{repo}/blobs/{d}")), 404, "BLOB_UNKNOWN")


def test_blob_is_visible_in_every_repository_of_its_project(registry, repo, admin):
    data = rand(3000)
    d = registry.push_blob(repo, data)
    sibling = registry.new_repo("sibling")
    r = admin.get(registry.v2(f"{sibling}/blobs/{d}"))
    assert_status(r, 200)
    assert r.content == data
    r = admin.head(registry.v2(f"nosuchproject/x/blobs/{d}"))
    assert_status(r, 404)


def test_blob_is_invisible_in_another_project(registry, repo, admin):
    name = "e2e-other-" + uuid.uuid4().hex[:8]
    r = admin.post(f"{registry.url}/api/v2.0/projects",
                   json={"project_name": name, "metadata": {"public": "true"}})
    if r.status_code in (404, 405):
        pytest.fail(f"cannot create a second project: POST /api/v2.0/projects -> "
                    f"{r.status_code}")
    assert_status(r, 201)
    data = rand(3000)
    d = registry.push_blob(repo, data)
    assert_error(admin.get(registry.v2(f"{name}/x/blobs/{d}")), 404, "BLOB_UNKNOWN")
    # and the other way round
    other = rand(3000)
    od = registry.push_blob(f"{name}/x", other)
    assert_error(admin.get(registry.v2(f"{repo}/blobs/{od}")), 404, "BLOB_UNKNOWN")


# ------------------------------------------------------------------ uploads


def test_upload_start(registry, repo, admin):
    r = admin.post(registry.v2(f"{repo}/blobs/uploads/"))
    assert_status(r, 202)
    url = location(r)
    assert path_of(url).startswith(f"/v2/{repo}/blobs/uploads/")
    assert r.headers.get("Docker-Upload-UUID")
    assert r.headers.get("Range") == "0-0"
    r = admin.get(url)
    assert_status(r, 204)
    assert r.headers.get("Docker-Upload-UUID")


def test_monolithic_post(registry, repo, admin):
    data = rand(5000)
    d = digest_of(data)
    r = admin.post(registry.v2(f"{repo}/blobs/uploads/"), params={"digest": d}, data=data,
                   headers=OCTET)
    assert_status(r, 201)
    assert path_of(location(r)) == f"/v2/{repo}/blobs/{d}"
    assert r.headers["Docker-Content-Digest"] == d
    assert admin.get(location(r)).content == data
    assert registry.blob_path(d).read_bytes() == data


def test_pushing_an_existing_blob_again(registry, repo, admin):
    data = rand(5000)
    d = registry.push_blob(repo, data)
    assert registry.push_blob(repo, data) == d
    url = registry.start_upload(repo)
    assert_status(admin.put(url, params={"digest": d}, data=data, headers=OCTET), 201)
    assert admin.get(registry.v2(f"{repo}/blobs/{d}")).content == data


def test_monolithic_post_with_wrong_digest(registry, repo, admin):
    data = rand(5000)
    wrong = digest_of(data + b"x")
    before = registry.upload_entries()
    r = admin.post(registry.v2(f"{repo}/blobs/uploads/"), params={"digest": wrong}, data=data,
                   headers=OCTET)
    assert_error(r, 400, "DIGEST_INVALID")
    blob_absent(registry, admin, repo, wrong)
    blob_absent(registry, admin, repo, digest_of(data))
    assert registry.upload_entries() <= before, "the refused upload left data in uploads/"


def test_monolithic_put_after_post(registry, repo, admin):
    data = rand(7000)
    d = digest_of(data)
    url = registry.start_upload(repo)
    r = admin.put(url, params={"digest": d}, data=data, headers=OCTET)
    assert_status(r, 201)
    assert path_of(location(r)) == f"/v2/{repo}/blobs/{d}"
    assert r.headers["Docker-Content-Digest"] == d
    assert admin.get(registry.v2(f"{repo}/blobs/{d}")).content == data


def test_chunked_upload(registry, repo, admin):
    data = rand(4500)
    d = digest_of(data)
    r = admin.post(registry.v2(f"{repo}/blobs/uploads/"))
    upload_id = r.headers.get("Docker-Upload-UUID")
    url = location(r)
    start = 0
    for size in (1000, 2000, 1500):
        chunk = data[start:start + size]
        end = start + size - 1
        r = admin.patch(url, data=chunk, headers={
            "Content-Type": "application/octet-stream", "Content-Range": f"{start}-{end}"})
        assert_status(r, 202)
        assert r.headers.get("Range") == f"0-{end}"
        assert r.headers.get("Docker-Upload-UUID") == upload_id
        url = location(r)
        start += size
        r = admin.get(url)
        assert_status(r, 204)
        assert r.headers.get("Range") == f"0-{end}"
        assert r.headers.get("Docker-Upload-UUID") == upload_id
    r = admin.put(url, params={"digest": d})
    assert_status(r, 201)
    assert r.headers["Docker-Content-Digest"] == d
    assert admin.get(registry.v2(f"{repo}/blobs/{d}")).content == data
    assert registry.blob_path(d).read_bytes() == data


def test_chunked_upload_with_final_chunk_in_put(registry, repo, admin):
    data = rand(3000)
    d = digest_of(data)
    url = registry.start_upload(repo)
    r = admin.patch(url, data=data[:1000], headers={
        "Content-Type": "application/octet-stream", "Content-Range": "0-999"})
    assert_status(r, 202)
    r = admin.put(location(r), params={"digest": d}, data=data[1000:], headers={
        "Content-Type": "application/octet-stream", "Content-Range": "1000-2999"})
    assert_status(r, 201)
    assert admin.get(registry.v2(f"{repo}/blobs/{d}")).content == data


def test_chunk_out_of_order_is_refused(registry, repo, admin):
    data = rand(3000)
    d = digest_of(data)
    url = registry.start_upload(repo)
    r = admin.patch(url, data=data[:1000], headers={
        "Content-Type": "application/octet-stream", "Content-Range": "0-999"})
    assert_status(r, 202)
    url = location(r)
    for start, end in ((2000, 2999), (0, 999), (500, 1499)):
        r = admin.patch(url, data=data[start:end + 1], headers={
            "Content-Type": "application/octet-stream", "Content-Range": f"{start}-{end}"})
        assert_status(r, 416)
        if "Range" in r.headers:
            assert r.headers["Range"] == "0-999"
    # The refused chunks changed nothing: the upload continues where it was.
    r = admin.get(url)
    assert_status(r, 204)
    assert r.headers.get("Range") == "0-999"
    r = admin.patch(url, data=data[1000:], headers={
        "Content-Type": "application/octet-stream", "Content-Range": "1000-2999"})
    assert_status(r, 202)
    assert_status(admin.put(location(r), params={"digest": d}), 201)
    assert admin.get(registry.v2(f"{repo}/blobs/{d}")).content == data


@pytest.mark.parametrize("content_range", ["garbage", "0-", "-9", "9-0", "0-9999999999999999999999"])
def test_malformed_content_range(registry, repo, admin, content_range):
    data = rand(10)
    url = registry.start_upload(repo)
    r = admin.patch(url, data=data, headers={
        "Content-Type": "application/octet-stream", "Content-Range": content_range})
    assert_status(r, 416)
    # Nothing was appended: the whole blob can still be sent from offset 0.
    r = admin.patch(url, data=data, headers={
        "Content-Type": "application/octet-stream", "Content-Range": "0-9"})
    assert_status(r, 202)
    assert r.headers.get("Range") == "0-9"
    assert_status(admin.put(location(r), params={"digest": digest_of(data)}), 201)


def test_streamed_upload(registry, repo, admin):
    part1, part2 = rand(70_000), rand(130_000)
    data = part1 + part2
    d = digest_of(data)
    url = registry.start_upload(repo)
    r = admin.patch(url, data=part1, headers=OCTET)
    assert_status(r, 202)
    assert r.headers.get("Range") == f"0-{len(part1) - 1}"
    url = location(r)

    def chunks():  # no Content-Length: sent with Transfer-Encoding: chunked
        for i in range(0, len(part2), 16384):
            yield part2[i:i + 16384]

    r = admin.patch(url, data=chunks(), headers=OCTET)
    assert_status(r, 202)
    assert r.headers.get("Range") == f"0-{len(data) - 1}"
    url = location(r)
    r = admin.get(url)
    assert_status(r, 204)
    assert r.headers.get("Range") == f"0-{len(data) - 1}"
    assert r.headers.get("Docker-Upload-UUID")
    assert_status(admin.put(url, params={"digest": d}), 201)
    assert admin.get(registry.v2(f"{repo}/blobs/{d}")).content == data


def test_put_without_digest(registry, repo, admin):
    data = rand(100)
    url = registry.start_upload(repo)
    r = admin.patch(url, data=data, headers=OCTET)
    assert_status(r, 202)
    assert_error(admin.put(location(r)), 400, "DIGEST_INVALID")
    blob_absent(registry, admin, repo, digest_of(data))


def test_put_with_wrong_digest(registry, repo, admin):
    data = rand(100)
    url = registry.start_upload(repo)
    r = admin.patch(url, data=data, headers=OCTET)
    wrong = digest_of(b"not" + data)
    assert_error(admin.put(location(r), params={"digest": wrong}), 400, "DIGEST_INVALID")
    blob_absent(registry, admin, repo, digest_of(data))
    blob_absent(registry, admin, repo, wrong)


def test_cancel_upload(registry, repo, admin):
    r = admin.post(registry.v2(f"{repo}/blobs/uploads/"))
    assert_status(r, 202)
    upload_id = r.headers["Docker-Upload-UUID"]
    url = location(r)
    data = rand(5000)
    assert_status(admin.patch(url, data=data, headers=OCTET), 202)
    assert any(e.startswith(upload_id) for e in registry.upload_entries()), \
        f"uploads/ holds no entry for {upload_id}: {registry.upload_entries()}"
    assert_status(admin.delete(url), 204)
    assert_error(admin.get(url), 404, "BLOB_UPLOAD_UNKNOWN")
    r = admin.patch(url, data=b"more", headers=OCTET)
    assert_error(r, 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(admin.put(url, params={"digest": digest_of(data)}), 404, "BLOB_UPLOAD_UNKNOWN")
    assert not any(e.startswith(upload_id) for e in registry.upload_entries())
    blob_absent(registry, admin, repo, digest_of(data))


def test_unknown_upload(registry, repo, admin):
    registry.push_blob(repo, rand(10))
    url = registry.v2(f"{repo}/blobs/uploads/{uuid.uuid4()}")
    assert_error(admin.get(url), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(admin.patch(url, data=b"abc", headers=OCTET), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(admin.put(url, params={"digest": digest_of(b"abc")}, data=b"abc",
                           headers=OCTET), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(admin.delete(url), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_status(admin.head(registry.v2(f"{repo}/blobs/{digest_of(b'abc')}")), 404)


def test_mount_existing_blob(registry, repo, admin):
    source = registry.new_repo("mount-src")
    data = rand(4000)
    d = registry.push_blob(source, data)
    r = admin.post(registry.v2(f"{repo}/blobs/uploads/"), params={"mount": d, "from": source})
    assert_status(r, 201)
    assert path_of(location(r)) == f"/v2/{repo}/blobs/{d}"
    assert r.headers["Docker-Content-Digest"] == d
    assert admin.get(registry.v2(f"{repo}/blobs/{d}")).content == data


def test_mount_missing_blob_starts_an_upload(registry, repo, admin):
    source = registry.new_repo("mount-src")
    registry.push_blob(source, rand(10))
    data = rand(4000)
    d = digest_of(data)
    r = admin.post(registry.v2(f"{repo}/blobs/uploads/"), params={"mount": d, "from": source})
    assert_status(r, 202)
    assert r.headers.get("Docker-Upload-UUID")
    # A source in a project that does not exist is no error either: still an upload.
    r2 = admin.post(registry.v2(f"{repo}/blobs/uploads/"),
                    params={"mount": d, "from": "nosuchproject/x"})
    assert_status(r2, 202)
    assert_status(admin.delete(location(r2)), 204)
    r = admin.put(location(r), params={"digest": d}, data=data, headers=OCTET)
    assert_status(r, 201)
    assert admin.get(registry.v2(f"{repo}/blobs/{d}")).content == data


def test_mount_without_from_finds_only_what_the_caller_may_pull(registry, admin):
    """POST ?mount= without from: the OCI spec's automatic content discovery.  The blob is
    mounted (201) from any repository the caller may pull, else an upload starts (202); a
    blob only in a project the caller cannot read is never revealed."""
    def project(public):
        name = f"mnt{secrets.token_hex(5)}"
        assert_status(admin.post(f"{registry.url}/api/v2.0/projects", json={
            "project_name": name, "metadata": {"public": str(public).lower()}}), 201)
        return name

    mine, hidden, readable = project(False), project(False), project(False)
    name, pw = f"mnt{secrets.token_hex(4)}", "Mount" + secrets.token_hex(6) + "9"
    assert_status(admin.post(f"{registry.url}/api/v2.0/users", json={
        "username": name, "password": pw, "email": f"{name}@e2e.example.com",
        "realname": name}), 201)
    for p, role in ((mine, 2), (readable, 3)):  # developer of mine, guest of readable
        assert_status(admin.post(f"{registry.url}/api/v2.0/projects/{p}/members", json={
            "role_id": role, "member_user": {"username": name}}), 201)
    dev = registry.session(auth=(name, pw))
    secret, shared, public = rand(3000), rand(2000), rand(1000)
    d_secret = registry.push_blob(f"{hidden}/app", secret)
    d_shared = registry.push_blob(f"{readable}/app", shared)
    d_public = registry.push_blob(registry.new_repo("mount-public"), public)
    target = f"{mine}/app"

    # only in a project the caller cannot read: an upload, and the blob stays unknown here
    r = dev.post(registry.v2(f"{target}/blobs/uploads/"), params={"mount": d_secret})
    assert_status(r, 202)
    assert path_of(location(r)).startswith(f"/v2/{target}/blobs/uploads/")
    assert r.headers.get("Docker-Upload-UUID")
    assert "Docker-Content-Digest" not in r.headers
    assert_status(dev.delete(location(r)), 204)
    assert_status(dev.head(registry.v2(f"{target}/blobs/{d_secret}")), 404)
    # in a private project the caller may pull, and in a public one: mounted
    for d, data in ((d_shared, shared), (d_public, public)):
        r = dev.post(registry.v2(f"{target}/blobs/uploads/"), params={"mount": d})
        assert_status(r, 201)
        assert path_of(location(r)) == f"/v2/{target}/blobs/{d}"
        assert r.headers["Docker-Content-Digest"] == d
        assert dev.get(registry.v2(f"{target}/blobs/{d}")).content == data
    # already there: mounted again; unknown anywhere: an upload
    r = dev.post(registry.v2(f"{mine}/other/blobs/uploads/"), params={"mount": d_shared})
    assert_status(r, 201)
    r = dev.post(registry.v2(f"{target}/blobs/uploads/"), params={"mount": unknown_digest()})
    assert_status(r, 202)
    # an empty from is no from
    r = dev.post(registry.v2(f"{target}/blobs/uploads/"), params={"mount": d_secret, "from": ""})
    assert_status(r, 202)
    assert_status(admin.head(registry.v2(f"{target}/blobs/{d_secret}")), 404)


def test_mount_anonymously_is_refused(registry, repo, anon, admin):
    source = registry.new_repo("mount-src")
    d = registry.push_blob(source, rand(4000))
    r = anon.post(registry.v2(f"{repo}/blobs/uploads/"), params={"mount": d, "from": source})
    assert_error(r, 401, "UNAUTHORIZED")


def test_empty_blob(registry, repo, admin):
    assert digest_of(b"") == EMPTY_DIGEST
    r = admin.post(registry.v2(f"{repo}/blobs/uploads/"), params={"digest": EMPTY_DIGEST},
                   data=b"", headers=OCTET)
    assert_status(r, 201)
    r = admin.head(registry.v2(f"{repo}/blobs/{EMPTY_DIGEST}"))
    assert_status(r, 200)
    assert r.headers["Content-Length"] == "0"
    r = admin.get(registry.v2(f"{repo}/blobs/{EMPTY_DIGEST}"))
    assert_status(r, 200)
    assert r.content == b""
    # and through an upload session closed with an empty PUT
    other = registry.new_repo("empty")
    url = registry.start_upload(other)
    assert_status(admin.put(url, params={"digest": EMPTY_DIGEST}), 201)
    assert_status(admin.head(registry.v2(f"{other}/blobs/{EMPTY_DIGEST}")), 200)


# ------------------------------------------------------------------ manifests


def image_parts(registry, repo, seed, docker=False, layers=1):
    """Push a config and layers; return the manifest as a dict (not pushed)."""
    rnd = random.Random(seed)
    blobs = [rnd.randbytes(700) for _ in range(layers)]
    config = canonical({"architecture": "amd64", "os": "linux", "seed": seed,
                        "rootfs": {"type": "layers",
                                   "diff_ids": [digest_of(b) for b in blobs]}})
    for b in [config] + blobs:
        registry.push_blob(repo, b)
    ct, lt, mt = ((DOCKER_CONFIG, DOCKER_LAYER, DOCKER_MANIFEST) if docker
                  else (OCI_CONFIG, OCI_LAYER, OCI_MANIFEST))
    return {"schemaVersion": 2, "mediaType": mt, "config": descriptor(ct, config),
            "layers": [descriptor(lt, b) for b in blobs]}


def pretty(obj) -> bytes:
    """Valid JSON that no canonicaliser produces: the registry must keep these bytes."""
    return json.dumps(obj, indent=3).replace(": ", " :  ").encode() + b"\n\n"


def test_put_manifest_by_tag(registry, repo, admin):
    body = pretty(image_parts(registry, repo, 1))
    d = digest_of(body)
    r = registry.push_manifest(repo, "v1", body, OCI_MANIFEST)
    assert_status(r, 201)
    assert r.headers["Docker-Content-Digest"] == d
    r = admin.get(location(r))
    assert_status(r, 200)
    assert r.content == body
    for ref in ("v1", d):
        r = admin.get(registry.v2(f"{repo}/manifests/{ref}"), headers={"Accept": OCI_MANIFEST})
        assert_status(r, 200)
        assert r.content == body
        assert r.headers["Content-Type"] == OCI_MANIFEST
        assert r.headers["Docker-Content-Digest"] == d
        r = admin.head(registry.v2(f"{repo}/manifests/{ref}"), headers={"Accept": OCI_MANIFEST})
        assert_status(r, 200)
        assert r.headers["Content-Length"] == str(len(body))
        assert r.headers["Content-Type"] == OCI_MANIFEST
        assert r.headers["Docker-Content-Digest"] == d
    assert registry.blob_path(d).read_bytes() == body


def test_put_manifest_by_digest(registry, repo, admin):
    body = pretty(image_parts(registry, repo, 2))
    d = digest_of(body)
    r = registry.push_manifest(repo, d, body)
    assert_status(r, 201)
    assert r.headers["Docker-Content-Digest"] == d
    r = admin.get(registry.v2(f"{repo}/manifests/{d}"))
    assert_status(r, 200)
    assert r.content == body


def test_put_manifest_digest_mismatch(registry, repo, admin):
    body = pretty(image_parts(registry, repo, 3))
    wrong = digest_of(body + b" ")
    assert_error(registry.push_manifest(repo, wrong, body), 400, "DIGEST_INVALID")
    for ref in (wrong, digest_of(body)):
        manifest_absent(registry, admin, repo, ref)


def test_manifest_unknown(registry, repo, admin):
    registry.push_image(repo, "v1")
    for ref in ("nosuchtag", unknown_digest()):
        assert_error(admin.get(registry.v2(f"{repo}/manifests/{ref}")), 404, "MANIFEST_UNKNOWN")
        r = admin.head(registry.v2(f"{repo}/manifests/{ref}"))
        assert_status(r, 404)
        assert r.content == b""


def test_manifest_with_missing_layer(registry, repo, admin):
    m = image_parts(registry, repo, 4)
    m["layers"].append(descriptor(OCI_LAYER, rand(100)))
    body = canonical(m)
    assert_error(registry.push_manifest(repo, "v1", body), 400, "MANIFEST_BLOB_UNKNOWN")
    manifest_absent(registry, admin, repo, "v1")
    manifest_absent(registry, admin, repo, digest_of(body))


def test_manifest_with_missing_config(registry, repo, admin):
    m = image_parts(registry, repo, 5)
    m["config"] = descriptor(OCI_CONFIG, b'{"never":"pushed"}')
    assert_error(registry.push_manifest(repo, "v1", m), 400, "MANIFEST_BLOB_UNKNOWN")
    manifest_absent(registry, admin, repo, "v1")
    manifest_absent(registry, admin, repo, digest_of(canonical(m)))


def test_index_with_missing_child(registry, repo, admin):
    child = registry.push_image(repo, None, seed=6)
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        child.descriptor(platform={"architecture": "amd64", "os": "linux"}),
        descriptor(OCI_MANIFEST, b'{"not":"pushed"}',
                   platform={"architecture": "arm64", "os": "linux"}),
    ]}
    r = registry.push_manifest(repo, "multi", index, OCI_INDEX)
    assert_error(r, 400, "MANIFEST_BLOB_UNKNOWN")
    assert_error(admin.get(registry.v2(f"{repo}/manifests/multi")), 404, "MANIFEST_UNKNOWN")


@pytest.mark.parametrize("body", [
    b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", ',
    b"not json at all",
    b"[]",
    b'{"schemaVersion": 3, "mediaType": "application/vnd.oci.image.manifest.v1+json"}',
    b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",'
    b' "config": "sha256:abc", "layers": {}}',
], ids=["truncated", "not-json", "array", "schema-3", "wrong-types"])
def test_invalid_manifest(registry, repo, admin, body):
    registry.push_blob(repo, rand(10))
    assert_error(registry.push_manifest(repo, "bad", body), 400, "MANIFEST_INVALID")
    manifest_absent(registry, admin, repo, "bad")
    manifest_absent(registry, admin, repo, digest_of(body))


def test_schema1_manifest_is_refused(registry, repo, admin):
    layer = rand(200)
    registry.push_blob(repo, layer)
    schema1 = {
        "schemaVersion": 1, "name": repo, "tag": "old", "architecture": "amd64",
        "fsLayers": [{"blobSum": digest_of(layer)}],
        "history": [{"v1Compatibility": json.dumps({"id": "a" * 64, "created": "2020-01-01"})}],
        "signatures": [{"header": {"alg": "ES256"}, "signature": "c2ln",
                        "protected": "e30"}],
    }
    body = json.dumps(schema1, indent=3).encode()
    r = registry.push_manifest(repo, "old", body, DOCKER_SCHEMA1)
    assert_error(r, 400, "MANIFEST_INVALID")
    manifest_absent(registry, admin, repo, "old")
    manifest_absent(registry, admin, repo, digest_of(body))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_manifest_over_4mib_is_refused(registry, repo, admin, chunked):
    m = image_parts(registry, repo, 7)
    m["annotations"] = {"e2e.padding": "x" * (4 * 1024 * 1024)}
    body = canonical(m)
    assert len(body) > 4 * 1024 * 1024
    status, _, _ = registry.raw_request("PUT", f"/v2/{repo}/manifests/big",
                                        {"Content-Type": OCI_MANIFEST}, body, chunked=chunked)
    assert status == 413
    manifest_absent(registry, admin, repo, "big")
    manifest_absent(registry, admin, repo, digest_of(body))
    # The daemon is still serving.
    assert_status(admin.get(registry.v2("")), 200)


def test_delete_manifest_by_digest(registry, repo, admin):
    img = registry.push_image(repo, "t1", seed=8)
    assert_status(registry.push_manifest(repo, "t2", img.manifest), 201)
    keep = registry.push_image(repo, "keep", seed=9)
    assert_status(admin.delete(registry.v2(f"{repo}/manifests/{img.digest}")), 202)
    for ref in (img.digest, "t1", "t2"):
        assert_error(admin.get(registry.v2(f"{repo}/manifests/{ref}")), 404, "MANIFEST_UNKNOWN")
    assert admin.get(registry.v2(f"{repo}/tags/list")).json()["tags"] == ["keep"]
    assert_status(admin.get(registry.v2(f"{repo}/manifests/{keep.digest}")), 200)
    assert_error(admin.delete(registry.v2(f"{repo}/manifests/{img.digest}")),
                 404, "MANIFEST_UNKNOWN")


def test_delete_tag_keeps_manifest(registry, repo, admin):
    img = registry.push_image(repo, "a", seed=10)
    assert_status(registry.push_manifest(repo, "b", img.manifest), 201)
    assert_status(admin.delete(registry.v2(f"{repo}/manifests/a")), 202)
    assert_error(admin.get(registry.v2(f"{repo}/manifests/a")), 404, "MANIFEST_UNKNOWN")
    for ref in (img.digest, "b"):
        r = admin.get(registry.v2(f"{repo}/manifests/{ref}"))
        assert_status(r, 200)
        assert r.content == img.manifest
    assert admin.get(registry.v2(f"{repo}/tags/list")).json()["tags"] == ["b"]


def test_retag_moves_tag(registry, repo, admin):
    first = registry.push_image(repo, "latest", seed=11)
    second = registry.push_image(repo, "latest", seed=12)
    r = admin.get(registry.v2(f"{repo}/manifests/latest"))
    assert r.content == second.manifest
    assert r.headers["Docker-Content-Digest"] == second.digest
    assert admin.get(registry.v2(f"{repo}/manifests/{first.digest}")).content == first.manifest


def docker_list(registry, repo):
    children = []
    for seed, arch in ((13, "amd64"), (14, "arm64")):
        m = canonical(image_parts(registry, repo, seed, docker=True))
        assert_status(registry.push_manifest(repo, digest_of(m), m, DOCKER_MANIFEST), 201)
        children.append(descriptor(DOCKER_MANIFEST, m,
                                   platform={"architecture": arch, "os": "linux"}))
    return {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": children}


def oci_index(registry, repo):
    children = []
    for seed, arch in ((15, "amd64"), (16, "arm64")):
        m = canonical(image_parts(registry, repo, seed))
        assert_status(registry.push_manifest(repo, digest_of(m), m, OCI_MANIFEST), 201)
        children.append(descriptor(OCI_MANIFEST, m,
                                   platform={"architecture": arch, "os": "linux"}))
    return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children,
            "annotations": {"e2e": "index"}}


@pytest.mark.parametrize("media_type", [OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST])
def test_manifest_types_round_trip(registry, repo, admin, media_type):
    build = {
        OCI_MANIFEST: lambda: image_parts(registry, repo, 17),
        DOCKER_MANIFEST: lambda: image_parts(registry, repo, 18, docker=True),
        OCI_INDEX: lambda: oci_index(registry, repo),
        DOCKER_LIST: lambda: docker_list(registry, repo),
    }[media_type]
    body = pretty(build())
    r = registry.push_manifest(repo, "t", body, media_type)
    assert_status(r, 201)
    assert r.headers["Docker-Content-Digest"] == digest_of(body)
    for accept in (media_type, ALL_MANIFESTS):
        r = admin.get(registry.v2(f"{repo}/manifests/t"), headers={"Accept": accept})
        assert_status(r, 200)
        assert r.content == body
        assert r.headers["Content-Type"] == media_type
        assert r.headers["Docker-Content-Digest"] == digest_of(body)


def test_manifest_may_use_blobs_of_another_repository_in_the_project(registry, repo):
    other = registry.new_repo("blob-owner")
    m = canonical(image_parts(registry, other, 19))
    r = registry.push_manifest(repo, "v1", m)
    assert_status(r, 201)


def test_accept_negotiation(registry, repo, admin):
    img = registry.push_image(repo, "v1", seed=20)
    r = admin.get(registry.v2(f"{repo}/manifests/v1"), headers={"Accept": DOCKER_MANIFEST})
    assert_error(r, 404, "MANIFEST_UNKNOWN")
    for headers in ({}, {"Accept": "*/*"}, {"Accept": f"{DOCKER_MANIFEST}, {OCI_MANIFEST}"}):
        r = admin.get(registry.v2(f"{repo}/manifests/v1"), headers=headers)
        assert_status(r, 200)
        assert r.content == img.manifest
        assert r.headers["Content-Type"] == OCI_MANIFEST


def test_subject_header_on_put(registry, repo):
    img = registry.push_image(repo, "v1", seed=21)
    art = artifact(registry, repo, img, "application/vnd.e2e.sig.v1", seed=1)
    r = registry.push_manifest(repo, digest_of(art), art)
    assert_status(r, 201)
    assert r.headers.get("OCI-Subject") == img.digest
    r = registry.push_manifest(repo, "plain", image_parts(registry, repo, 22))
    assert_status(r, 201)
    assert "OCI-Subject" not in r.headers


# ------------------------------------------------------------------ tags


TAGS = ["v1.9", "v1.10", "latest", "alpha", "1.0"]


def test_tags_list_sorted(registry, repo, admin):
    img = registry.push_image(repo, TAGS[0])
    for t in TAGS[1:]:
        assert_status(registry.push_manifest(repo, t, img.manifest), 201)
    r = admin.get(registry.v2(f"{repo}/tags/list"))
    assert_status(r, 200)
    assert r.json() == {"name": repo, "tags": sorted(TAGS)}


def test_tags_list_pagination(registry, repo, admin):
    img = registry.push_image(repo, TAGS[0])
    for t in TAGS[1:]:
        assert_status(registry.push_manifest(repo, t, img.manifest), 201)
    want = sorted(TAGS)  # 1.0 alpha latest v1.10 v1.9
    r = admin.get(registry.v2(f"{repo}/tags/list"), params={"n": 2})
    assert_status(r, 200)
    assert r.json() == {"name": repo, "tags": want[:2]}
    link = next_link(r)
    assert link, "no Link header on a partial page"
    assert path_of(link) == f"/v2/{repo}/tags/list"
    assert parse_qs(urlsplit(link).query) == {"n": ["2"], "last": [want[1]]}
    pages = [r.json()["tags"]]
    while link:
        r = admin.get(link)
        assert_status(r, 200)
        pages.append(r.json()["tags"])
        link = next_link(r)
        assert len(pages) < 10
    assert [t for p in pages for t in p] == want
    assert pages[1] == want[2:4]
    r = admin.get(registry.v2(f"{repo}/tags/list"), params={"n": 2, "last": "alpha"})
    assert r.json()["tags"] == want[2:4]
    r = admin.get(registry.v2(f"{repo}/tags/list"), params={"last": "latest"})
    assert r.json()["tags"] == want[3:]


def test_tags_list_unknown_repository(registry, admin):
    name = registry.new_repo("never-pushed")
    assert_error(admin.get(registry.v2(f"{name}/tags/list")), 404, "NAME_UNKNOWN")


# ------------------------------------------------------------------ referrers


def artifact(registry, repo, subject, artifact_type=None, seed=0, config_type=None,
             annotations=None):
    """Bytes of an artifact manifest about `subject`, its blobs pushed."""
    payload = rand(300, seed)
    registry.push_blob(repo, payload)
    if config_type:
        config = canonical({"seed": seed})
        registry.push_blob(repo, config)
        config_desc = descriptor(config_type, config)
    else:
        registry.push_blob(repo, b"{}")
        config_desc = descriptor(OCI_EMPTY, b"{}")
    m = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config_desc,
         "layers": [descriptor("application/vnd.e2e.payload", payload)],
         "subject": subject.descriptor()}
    if artifact_type:
        m["artifactType"] = artifact_type
    if annotations:
        m["annotations"] = annotations
    return canonical(m)


def referrers(admin, registry, repo, digest, **params):
    r = admin.get(registry.v2(f"{repo}/referrers/{digest}"), params=params)
    assert_status(r, 200)
    assert r.headers["Content-Type"].split(";")[0].strip() == OCI_INDEX
    body = r.json()
    assert body["schemaVersion"] == 2 and body["mediaType"] == OCI_INDEX, body
    return r, body["manifests"]


@pytest.fixture
def two_referrers(registry, repo):
    img = registry.push_image(repo, "v1", seed=30)
    sig = artifact(registry, repo, img, "application/vnd.e2e.sig.v1", seed=31,
                   annotations={"e2e.kind": "signature"})
    sbom = artifact(registry, repo, img, None, seed=32,
                    config_type="application/vnd.e2e.sbom.config.v1+json",
                    annotations={"e2e.kind": "sbom"})
    for m in (sig, sbom):
        r = registry.push_manifest(repo, digest_of(m), m)
        assert_status(r, 201)
    return img, sig, sbom


def test_referrers_list(registry, repo, admin, two_referrers):
    img, sig, sbom = two_referrers
    _, got = referrers(admin, registry, repo, img.digest)
    want = [
        {"mediaType": OCI_MANIFEST, "digest": digest_of(sig), "size": len(sig),
         "artifactType": "application/vnd.e2e.sig.v1",
         "annotations": {"e2e.kind": "signature"}},
        {"mediaType": OCI_MANIFEST, "digest": digest_of(sbom), "size": len(sbom),
         "artifactType": "application/vnd.e2e.sbom.config.v1+json",
         "annotations": {"e2e.kind": "sbom"}},
    ]
    assert sorted(got, key=lambda d: d["digest"]) == sorted(want, key=lambda d: d["digest"])


def test_referrers_filter_by_artifact_type(registry, repo, admin, two_referrers):
    img, sig, _ = two_referrers
    r, got = referrers(admin, registry, repo, img.digest,
                       artifactType="application/vnd.e2e.sig.v1")
    assert [d["digest"] for d in got] == [digest_of(sig)]
    assert r.headers.get("OCI-Filters-Applied") == "artifactType"
    r, got = referrers(admin, registry, repo, img.digest, artifactType="application/x-none")
    assert got == []


def test_referrer_deleted_is_no_longer_listed(registry, repo, admin, two_referrers):
    img, sig, sbom = two_referrers
    assert_status(admin.delete(registry.v2(f"{repo}/manifests/{digest_of(sig)}")), 202)
    _, got = referrers(admin, registry, repo, img.digest)
    assert [d["digest"] for d in got] == [digest_of(sbom)]


def test_referrer_pushed_before_its_subject(registry, repo, admin):
    # The subject may not exist yet (spec: the registry SHOULD accept such a manifest).
    m = image_parts(registry, repo, 33)
    body = canonical(m)

    class Subject:
        def descriptor(self):
            return descriptor(OCI_MANIFEST, body)

    art = artifact(registry, repo, Subject(), "application/vnd.e2e.early", seed=34)
    r = registry.push_manifest(repo, digest_of(art), art)
    assert_status(r, 201)
    _, got = referrers(admin, registry, repo, digest_of(body))
    assert [d["digest"] for d in got] == [digest_of(art)]


def test_index_as_referrer(registry, repo, admin):
    img = registry.push_image(repo, "v1", seed=37)
    index = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX,
                       "artifactType": "application/vnd.e2e.bundle.v1", "manifests": [],
                       "subject": img.descriptor()})
    r = registry.push_manifest(repo, digest_of(index), index, OCI_INDEX)
    assert_status(r, 201)
    assert r.headers.get("OCI-Subject") == img.digest
    _, got = referrers(admin, registry, repo, img.digest)
    for d in got:  # no annotations and empty annotations say the same
        if d.get("annotations") == {}:
            del d["annotations"]
    assert got == [{"mediaType": OCI_INDEX, "digest": digest_of(index), "size": len(index),
                    "artifactType": "application/vnd.e2e.bundle.v1"}]


def test_referrers_of_unknown_subject(registry, repo, admin):
    registry.push_image(repo, "v1", seed=35)
    _, got = referrers(admin, registry, repo, unknown_digest())
    assert got == []


def test_referrers_malformed_digest(registry, repo, admin):
    registry.push_image(repo, "v1", seed=36)
    assert_status(admin.get(registry.v2(f"{repo}/referrers/sha256:1234")), 400)


# ------------------------------------------------------------------ catalog


def test_catalog_lists_repositories_with_pagination(start_registry):
    reg = start_registry()
    admin = reg.session()
    r = admin.get(reg.v2("_catalog"))
    assert_status(r, 200)
    assert r.json()["repositories"] == []  # a new registry holds nothing
    names = [f"library/cat-{c}" for c in ("d", "b", "a", "c")] + ["library/cat-b/sub"]
    for i, name in enumerate(names):
        reg.push_image(name, "v1", seed=40 + i)
    want = sorted(names)
    r = admin.get(reg.v2("_catalog"))
    assert_status(r, 200)
    assert r.json() == {"repositories": want}
    r = admin.get(reg.v2("_catalog"), params={"n": 2})
    assert r.json() == {"repositories": want[:2]}
    link = next_link(r)
    assert link and path_of(link) == "/v2/_catalog"
    assert parse_qs(urlsplit(link).query) == {"n": ["2"], "last": [want[1]]}
    pages = [want[:2]]
    while link:
        r = admin.get(link)
        assert_status(r, 200)
        pages.append(r.json()["repositories"])
        link = next_link(r)
        assert len(pages) < 10
    assert [n for p in pages for n in p] == want
    r = admin.get(reg.v2("_catalog"), params={"last": want[2]})
    assert r.json() == {"repositories": want[3:]}
