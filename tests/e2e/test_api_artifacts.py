"""Artifacts of the Harbor v2 API (harbor-api.md §1.3, §0.4, §6.1-6.2): the Artifact JSON
field by field for an image, an index with platforms and a Helm chart; types; q keys, sort
and paging; tags (list, create, delete); accessories (OCI subject, even before the subject,
and cosign's tag scheme), hidden from lists and deleted with their subject; additions
(build_history, values.yaml, readme.md, dependencies); deletion refused for an index child;
copy across projects (blobs and quota); /projects/{p}/artifacts; pull time and count.
"""

import gzip
import io
import json
import random
import re
import tarfile
import time
import uuid
from urllib.parse import quote

import pytest

from havenlib import (
    DOCKER_CONFIG,
    DOCKER_LAYER,
    DOCKER_MANIFEST,
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
)

TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
ZERO_TIME = "0001-01-01T00:00:00.000Z"
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
COSIGN_SIMPLE = "application/vnd.dev.cosign.simplesigning.v1+json"
NOTATION = "application/vnd.cncf.notary.signature"
ICON_IMAGE = "sha256:0048162a053eef4d4ce3fe7518615bef084403614f8bca43b40ae2e762e11e06"
ICON_CHART = "sha256:61cf3a178ff0f75bf08a25d96b75cf7355dc197749a9f128ed3ef34b0df05518"
ICON_DEFAULT = "sha256:da834479c923584f4cbcdecc0dac61f32bef1d51e8aae598cf16bd154efab49f"
ICON_COSIGN = "sha256:20401d5b3a0f6dbc607c8d732eb08471af4ae6b19811a4efce8c6a724aed2882"
ICON_NOTATION = "sha256:3ac706e102bbe9362b400aa162df58135d35e66b9c3bee2165de92022d25fe34"

ARTIFACT_KEYS = {"id", "type", "media_type", "manifest_media_type", "artifact_type",
                 "project_id", "repository_id", "repository_name", "digest", "size", "icon",
                 "push_time", "pull_time", "extra_attrs", "annotations", "references", "tags",
                 "addition_links"}  # labels only with with_label=true, as Harbor
TAG_KEYS = {"id", "repository_id", "artifact_id", "name", "push_time", "pull_time", "immutable"}
ACCESSORY_KEYS = {"id", "artifact_id", "subject_artifact_id", "subject_artifact_repo",
                  "subject_artifact_digest", "size", "digest", "type", "icon", "creation_time"}


# ------------------------------------------------------------------ helpers


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="p"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def new_project(registry, admin, public=False, **body):
    name = unique("art")
    body.update({"project_name": name, "metadata": {"public": "true" if public else "false"}})
    assert_status(admin.post(api(registry, "/projects"), json=body), 201)
    return name


def enc(repo):
    """The repository part of a full name, double-encoded as Harbor's paths want it."""
    return quote(quote(repo, safe=""), safe="")


def arts(registry, full, suffix=""):
    project, repo = full.split("/", 1)
    return api(registry, f"/projects/{project}/repositories/{enc(repo)}/artifacts{suffix}")


def push_artifact(registry, repo, ref, config, config_type=OCI_CONFIG, layers=(),
                  manifest_type=OCI_MANIFEST, **fields):
    """Pushes a config, layers ((bytes, media type) pairs) and a manifest (extra top-level
    fields such as subject, artifactType, annotations); returns (digest, manifest, size)."""
    for blob, _ in [(config, config_type)] + list(layers):
        registry.push_blob(repo, blob)
    manifest = {"schemaVersion": 2, "mediaType": manifest_type,
                "config": descriptor(config_type, config),
                "layers": [descriptor(mt, b) for b, mt in layers]}
    manifest.update(fields)
    body = canonical(manifest)
    d = digest_of(body)
    assert_status(registry.push_manifest(repo, ref or d, body, manifest_type), 201)
    return d, body, len(body) + len(config) + sum(len(b) for b, _ in layers)


def image_config(seed, arch="amd64", **extra):
    cfg = {"architecture": arch, "os": "linux", "created": "2024-01-02T03:04:05Z",
           "author": "", "config": {"Env": ["PATH=/bin"], "Labels": {"seed": str(seed)}},
           "rootfs": {"type": "layers", "diff_ids": []},
           "history": [{"created": "2024-01-02T03:04:05Z", "created_by": f"seed {seed}"}]}
    cfg.update(extra)
    return canonical(cfg)


def push_image(registry, repo, tag=None, seed=0, arch="amd64", **config_extra):
    layer = random.Random(seed).randbytes(700 + seed % 97)
    return push_artifact(registry, repo, tag, image_config(seed, arch, **config_extra),
                         layers=[(layer, OCI_LAYER)])


def subject_of(digest, body):
    return {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(body)}


def get_artifact(registry, session, full, ref, status=200, **params):
    r = session.get(arts(registry, full, f"/{ref}"), params=params)
    assert_status(r, status)
    return r.json()


def list_artifacts(registry, session, full, **params):
    r = session.get(arts(registry, full), params=params)
    assert_status(r, 200)
    return r.json()


def digests(items):
    return {a["digest"] for a in items}


def db(registry):
    return registry.db()


def wait_for(fn, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def new_user(registry, admin):
    name = unique("u")
    pw = "Pw" + uuid.uuid4().hex[:10] + "A1"
    r = admin.post(api(registry, "/users"),
                   json={"username": name, "password": pw, "email": f"{name}@e2e.example.com",
                         "realname": name})
    assert_status(r, 201)
    return name, registry.session(auth=(name, pw))


def add_member(registry, admin, project, username, role_id):
    r = admin.post(api(registry, f"/projects/{project}/members"),
                   json={"role_id": role_id, "member_user": {"username": username}})
    assert_status(r, 201)


def member(registry, admin, project, role_id):
    name, s = new_user(registry, admin)
    add_member(registry, admin, project, name, role_id)
    return s


def links(r):
    out = {}
    for part in filter(None, r.headers.get("Link", "").split(" , ")):
        m = re.fullmatch(r'<([^>]+)>; rel="(prev|next)"', part)
        assert m, r.headers["Link"]
        out[m.group(2)] = m.group(1)
    return out


# ------------------------------------------------------------------ an image


def test_image_shape(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/team/app"
    labels = {"org.opencontainers.image.authors": "alice@example.com"}
    d, body, size = push_image(registry, full, "v1", seed=1,
                               config={"Env": ["A=1"], "Labels": labels})
    a = get_artifact(registry, admin, full, "v1")
    assert set(a) == ARTIFACT_KEYS, sorted(a)
    assert a["type"] == "IMAGE" and a["icon"] == ICON_IMAGE
    assert a["media_type"] == OCI_CONFIG and a["manifest_media_type"] == OCI_MANIFEST
    assert a["artifact_type"] == OCI_CONFIG
    assert a["digest"] == d and a["size"] == size
    assert a["repository_name"] == full
    p = admin.get(api(registry, f"/projects/{project}")).json()
    assert a["project_id"] == p["project_id"] and a["repository_id"] > 0
    assert TIME_RE.fullmatch(a["push_time"]) and a["pull_time"] == ZERO_TIME
    # the author comes from the label when the config has none (as Harbor)
    assert a["extra_attrs"] == {"architecture": "amd64", "os": "linux",
                                "created": "2024-01-02T03:04:05Z",
                                "author": "alice@example.com",
                                "config": {"Env": ["A=1"], "Labels": labels}}
    assert a["annotations"] == {} and a["references"] == [] and "labels" not in a
    assert get_artifact(registry, admin, full, d, with_label="true")["labels"] == []
    [t] = a["tags"]
    assert set(t) == TAG_KEYS
    assert t["name"] == "v1" and t["artifact_id"] == a["id"]
    assert t["repository_id"] == a["repository_id"] and t["immutable"] is False
    assert TIME_RE.fullmatch(t["push_time"]) and t["pull_time"] == ZERO_TIME
    base = f"/api/v2.0/projects/{project}/repositories/team%252Fapp/artifacts/{d}/additions"
    assert a["addition_links"] == {
        "build_history": {"href": f"{base}/build_history", "absolute": False},
        "vulnerabilities": {"href": f"{base}/vulnerabilities", "absolute": False}}
    # by digest the same; with_tag=false leaves the tags out
    assert get_artifact(registry, admin, full, d) == a
    assert get_artifact(registry, admin, full, d, with_tag="false")["tags"] == []
    # accessories only when asked for
    assert get_artifact(registry, admin, full, d, with_accessory="true")["accessories"] == []
    # manifest annotations
    d2, _, _ = push_artifact(registry, full, "annotated", image_config(2),
                             annotations={"org.opencontainers.image.created": "2024"})
    assert get_artifact(registry, admin, full, d2)["annotations"] == {
        "org.opencontainers.image.created": "2024"}


def test_build_history(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/app"
    d, _, _ = push_image(registry, full, "v1", seed=3)
    r = admin.get(arts(registry, full, f"/{d}/additions/build_history"))
    assert_status(r, 200)
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == [{"created": "2024-01-02T03:04:05Z", "created_by": "seed 3"}]
    # an image has no chart additions
    assert_error(admin.get(arts(registry, full, f"/{d}/additions/values.yaml")), 400,
                 "BAD_REQUEST")
    r = admin.get(arts(registry, full, "/v1/additions/vulnerabilities"))
    assert_status(r, 200)
    assert r.json() == {}


def test_docker_image(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/docker"
    d, _, size = push_artifact(registry, full, "v1", image_config(4, "arm64"), DOCKER_CONFIG,
                               [(b"layer-bytes", DOCKER_LAYER)], DOCKER_MANIFEST)
    a = get_artifact(registry, admin, full, "v1")
    assert a["type"] == "IMAGE" and a["media_type"] == DOCKER_CONFIG
    assert a["manifest_media_type"] == DOCKER_MANIFEST and a["size"] == size
    assert a["extra_attrs"]["architecture"] == "arm64"


@pytest.mark.parametrize("config_type,fields,want", [
    ("application/vnd.cnab.config.v1+json", {}, "CNAB"),
    ("application/vnd.wasm.config.v1+json", {}, "WASM"),
    (OCI_CONFIG, {"annotations": {"module.wasm.image/variant": "compat"}}, "WASM"),
    (OCI_EMPTY, {"artifactType": "application/vnd.goharbor.harbor.sbom.v1"}, "SBOM"),
    (OCI_EMPTY, {"artifactType": "application/spdx+json"}, "SBOM"),
    (OCI_EMPTY, {"artifactType": "application/vnd.example.thing.v1"}, "UNKNOWN"),
    ("application/vnd.example.config.v1+json", {}, "UNKNOWN"),
])
def test_types(registry, admin, config_type, fields, want):
    project = new_project(registry, admin)
    full = f"{project}/kinds"
    config = b"{}" if config_type == OCI_EMPTY else image_config(5)
    d, _, _ = push_artifact(registry, full, "v1", config, config_type,
                            [(b"payload", "application/octet-stream")], **fields)
    a = get_artifact(registry, admin, full, d)
    assert a["type"] == want, a
    assert a["media_type"] == config_type
    assert a["artifact_type"] == fields.get("artifactType", config_type)
    assert a["icon"] == (ICON_DEFAULT if want in ("SBOM", "UNKNOWN") else a["icon"])
    if want == "WASM" and config_type == OCI_CONFIG:
        assert a["extra_attrs"]["architecture"] == "amd64"
        assert a["extra_attrs"]["manifest.config.mediaType"] == OCI_CONFIG


# ------------------------------------------------------------------ an index


def push_index(registry, full, tag, platforms, annotations=None):
    children = []
    for i, platform in enumerate(platforms):
        d, body, size = push_image(registry, full, None, seed=100 + i,
                                   arch=platform["architecture"])
        entry = {"mediaType": OCI_MANIFEST, "digest": d, "size": len(body),
                 "platform": platform,
                 "annotations": {"e2e.child": str(i)}}
        children.append((entry, size))
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [e for e, _ in children]}
    if annotations:
        index["annotations"] = annotations
    body = canonical(index)
    assert_status(registry.push_manifest(full, tag, body, OCI_INDEX), 201)
    return digest_of(body), body, children


def test_index_with_platforms(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/multi"
    platforms = [{"architecture": "amd64", "os": "linux"},
                 {"architecture": "arm64", "os": "linux", "variant": "v8"},
                 {"architecture": "amd64", "os": "windows", "os.version": "10.0.17763.1",
                  "os.features": ["win32k"]}]
    d, body, children = push_index(registry, full, "multi", platforms,
                                   annotations={"org.opencontainers.image.ref.name": "multi"})
    a = get_artifact(registry, admin, full, "multi")
    assert set(a) == ARTIFACT_KEYS
    assert a["type"] == "IMAGE" and a["icon"] == ICON_IMAGE
    assert a["media_type"] == OCI_INDEX and a["manifest_media_type"] == OCI_INDEX
    assert a["artifact_type"] == ""
    assert a["size"] == len(body) + sum(size for _, size in children)
    assert a["extra_attrs"] == {}
    assert a["annotations"] == {"org.opencontainers.image.ref.name": "multi"}
    assert list(a["addition_links"]) == ["vulnerabilities"]
    assert len(a["references"]) == 3
    for ref, (entry, _), platform in zip(a["references"], children, platforms):
        child = get_artifact(registry, admin, full, entry["digest"])
        assert ref == {
            "parent_id": a["id"], "child_id": child["id"], "child_digest": entry["digest"],
            "platform": {"architecture": platform["architecture"], "os": platform["os"],
                         "os.version": platform.get("os.version", ""),
                         "os.features": platform.get("os.features", []),
                         "variant": platform.get("variant", "")},
            "annotations": entry["annotations"], "urls": []}
        assert child["type"] == "IMAGE" and child["tags"] == []

    # the default list hides the untagged children; base=* shows them
    assert digests(list_artifacts(registry, admin, full)) == {d}
    every = list_artifacts(registry, admin, full, q="base=*")
    assert digests(every) == {d} | {e["digest"] for e, _ in children}
    # a tagged child is listed
    first = children[0][0]["digest"]
    assert_status(admin.post(arts(registry, full, f"/{first}/tags"), json={"name": "amd"}), 201)
    assert digests(list_artifacts(registry, admin, full)) == {d, first}

    # a child cannot go while the index lists it
    r = admin.delete(arts(registry, full, f"/{children[1][0]['digest']}"))
    assert_error(r, 412, "PRECONDITION")
    assert "the deleting artifact is referenced by others" in r.json()["errors"][0]["message"]
    get_artifact(registry, admin, full, children[1][0]["digest"])

    # deleting the index takes its untagged children along; the tagged one stays
    assert_status(admin.delete(arts(registry, full, "/multi")), 200)
    get_artifact(registry, admin, full, d, status=404)
    for entry, _ in children[1:]:
        get_artifact(registry, admin, full, entry["digest"], status=404)
    get_artifact(registry, admin, full, first)
    assert digests(list_artifacts(registry, admin, full)) == {first}


# ------------------------------------------------------------------ a Helm chart


def chart_tarball():
    files = {
        "mychart/Chart.yaml": b"apiVersion: v2\nname: mychart\nversion: 0.1.0\n",
        "mychart/values.yaml": b"replicaCount: 2\nimage:\n  repository: nginx\n",
        "mychart/README.md": b"# mychart\n\nA chart for the e2e suite.\n",
        "mychart/templates/deployment.yaml": b"kind: Deployment\n",
        "mychart/charts/sub/values.yaml": b"sub: true\n",
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue(), mtime=0), files


def test_helm_chart(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/charts/mychart"
    tgz, files = chart_tarball()
    metadata = {"name": "mychart", "version": "0.1.0", "apiVersion": "v2",
                "description": "A chart", "type": "application",
                "dependencies": [{"name": "redis", "version": "17.0.0",
                                  "repository": "https://charts.example.com"}]}
    d, _, size = push_artifact(registry, full, "0.1.0", canonical(metadata), HELM_CONFIG,
                               [(tgz, HELM_CHART)])
    a = get_artifact(registry, admin, full, "0.1.0")
    assert set(a) == ARTIFACT_KEYS
    assert a["type"] == "CHART" and a["icon"] == ICON_CHART
    assert a["media_type"] == HELM_CONFIG and a["size"] == size
    assert a["extra_attrs"] == metadata
    base = f"/api/v2.0/projects/{project}/repositories/charts%252Fmychart/artifacts/{d}/additions"
    assert a["addition_links"] == {
        name: {"href": f"{base}/{name}", "absolute": False}
        for name in ("values.yaml", "readme.md", "dependencies")}

    r = admin.get(arts(registry, full, "/0.1.0/additions/values.yaml"))
    assert_status(r, 200)
    assert r.headers["Content-Type"].startswith("text/plain")
    assert r.content == files["mychart/values.yaml"]
    r = admin.get(arts(registry, full, "/0.1.0/additions/readme.md"))
    assert_status(r, 200)
    assert r.headers["Content-Type"].startswith("text/markdown")
    assert r.content == files["mychart/README.md"]
    r = admin.get(arts(registry, full, f"/{d}/additions/dependencies"))
    assert_status(r, 200)
    assert r.json() == metadata["dependencies"]
    assert_error(admin.get(arts(registry, full, f"/{d}/additions/build_history")), 400,
                 "BAD_REQUEST")
    assert_error(admin.get(arts(registry, full, f"/{d}/additions/nonsense")), 400, "BAD_REQUEST")


def test_chart_without_readme_or_dependencies(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/bare"
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        data = b"apiVersion: v2\nname: bare\nversion: 1.0.0\n"
        info = tarfile.TarInfo("bare/Chart.yaml")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    push_artifact(registry, full, "1.0.0", canonical({"name": "bare", "version": "1.0.0"}),
                  HELM_CONFIG, [(raw.getvalue(), HELM_CHART)])
    r = admin.get(arts(registry, full, "/1.0.0/additions/readme.md"))
    assert_status(r, 200)
    assert r.content == b""
    assert admin.get(arts(registry, full, "/1.0.0/additions/dependencies")).json() == []


# ------------------------------------------------------------------ accessories


def test_accessory_pushed_before_its_subject(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/acc"
    # the subject's manifest, computed but not pushed yet
    config = image_config(7)
    layer = b"subject-layer"
    subject = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                         "config": descriptor(OCI_CONFIG, config),
                         "layers": [descriptor(OCI_LAYER, layer)]})
    sd = digest_of(subject)
    sbom, _, sbom_size = push_artifact(
        registry, full, None, b"{}", OCI_EMPTY, [(b'{"sbom":1}', "application/spdx+json")],
        artifactType="application/spdx+json", subject=subject_of(sd, subject))
    sig, _, _ = push_artifact(
        registry, full, None, b"{}", OCI_EMPTY, [(b"sig", "application/jose+json")],
        artifactType=NOTATION, subject=subject_of(sd, subject))
    # accessories are not listed, even with no subject yet
    assert list_artifacts(registry, admin, full) == []
    registry.push_blob(full, config)
    registry.push_blob(full, layer)
    assert_status(registry.push_manifest(full, "v1", subject), 201)

    assert digests(list_artifacts(registry, admin, full)) == {sd}
    assert digests(list_artifacts(registry, admin, full, q="base=*")) == {sd}
    a = get_artifact(registry, admin, full, "v1", with_accessory="true")
    accs = {x["digest"]: x for x in a["accessories"]}
    assert set(accs) == {sbom, sig}
    s = accs[sbom]
    assert set(s) == ACCESSORY_KEYS
    assert s["type"] == "subject.accessory" and s["icon"] == ""
    assert s["subject_artifact_id"] == a["id"] and s["subject_artifact_digest"] == sd
    assert s["subject_artifact_repo"] == full and s["size"] == sbom_size
    assert s["artifact_id"] == s["id"] and TIME_RE.fullmatch(s["creation_time"])
    assert accs[sig]["type"] == "signature.notation" and accs[sig]["icon"] == ICON_NOTATION
    # the accessory itself is still an artifact one can read
    acc = get_artifact(registry, admin, full, sbom)
    assert acc["type"] == "SBOM" and acc["artifact_type"] == "application/spdx+json"

    # …/accessories, with paging and q
    r = admin.get(arts(registry, full, "/v1/accessories"), params={"page_size": 1})
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "2" and len(r.json()) == 1 and "next" in links(r)
    r = admin.get(arts(registry, full, "/v1/accessories"),
                  params={"q": "type=signature.notation"})
    assert [x["digest"] for x in r.json()] == [sig]
    # the referrers API serves them
    r = admin.get(registry.v2(f"{full}/referrers/{sd}"))
    assert_status(r, 200)
    assert {m["digest"] for m in r.json()["manifests"]} == {sbom, sig}

    # deleting the subject deletes them
    assert_status(admin.delete(arts(registry, full, "/v1")), 200)
    for d in (sd, sbom, sig):
        get_artifact(registry, admin, full, d, status=404)


def test_cosign_signature_by_tag_scheme(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/signed"
    sd, _, _ = push_image(registry, full, "v1", seed=8)
    tag = "sha256-" + sd.split(":")[1] + ".sig"
    payload = canonical({"critical": {"image": {"docker-manifest-digest": sd}}})
    sig, _, _ = push_artifact(registry, full, tag, image_config(9), OCI_CONFIG,
                              [(payload, COSIGN_SIMPLE)])

    items = list_artifacts(registry, admin, full, with_signature="true", with_accessory="true")
    assert digests(items) == {sd}
    [a] = items
    assert a["tags"][0]["signed"] is True
    [acc] = a["accessories"]
    assert acc["type"] == "signature.cosign" and acc["icon"] == ICON_COSIGN
    assert acc["digest"] == sig and acc["subject_artifact_digest"] == sd
    # tags of the artifact say so too
    r = admin.get(arts(registry, full, "/v1/tags"), params={"with_signature": "true"})
    assert r.json()[0]["signed"] is True
    r = admin.get(registry.v2(f"{full}/referrers/{sd}"))
    assert [m["digest"] for m in r.json()["manifests"]] == [sig]
    # an unsigned image is not
    push_image(registry, full, "v2", seed=10)
    a = get_artifact(registry, admin, full, "v2", with_signature="true")
    assert a["tags"][0]["signed"] is False
    # a layer of another type under such a tag is no signature
    other = "sha256-" + "0" * 64 + ".sig"
    od, _, _ = push_artifact(registry, full, other, image_config(11), OCI_CONFIG,
                             [(b"x", OCI_LAYER)])
    assert od in digests(list_artifacts(registry, admin, full))

    assert_status(admin.delete(arts(registry, full, f"/{sd}")), 200)
    assert_error(admin.get(registry.v2(f"{full}/manifests/{tag}")), 404, "MANIFEST_UNKNOWN")
    get_artifact(registry, admin, full, sig, status=404)


def test_copying_an_accessory_is_refused(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/accsrc"
    sd, sbody, _ = push_image(registry, full, "v1", seed=12)
    acc, _, _ = push_artifact(registry, full, None, b"{}", OCI_EMPTY, [(b"a", "text/plain")],
                              artifactType="application/vnd.example.note",
                              subject=subject_of(sd, sbody))
    r = admin.post(arts(registry, f"{project}/dst"), params={"from": f"{full}@{acc}"})
    assert_error(r, 403, "FORBIDDEN")


# ------------------------------------------------------------------ q, sort, paging


def test_q_keys_and_sort(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/q"
    a, _, _ = push_image(registry, full, "v1", seed=20)
    assert_status(admin.post(arts(registry, full, "/v1/tags"), json={"name": "v2"}), 201)
    b, _, _ = push_image(registry, full, "prod", seed=21)
    c, _, _ = push_image(registry, full, None, seed=22)
    chart, _, _ = push_artifact(registry, full, "chart", canonical({"name": "c"}), HELM_CONFIG,
                                [(chart_tarball()[0], HELM_CHART)])

    def q(expr, **params):
        return digests(list_artifacts(registry, admin, full, q=expr, **params))

    assert digests(list_artifacts(registry, admin, full)) == {a, b, c, chart}
    assert q("tags=*") == {a, b, chart}
    assert q("tags=nil") == {c}
    assert q("tags=v1") == {a} and q("tags=v2") == {a} and q("tags=v") == set()
    assert q("tags=~v") == {a} and q("tags=~o") == {b}
    assert q(f"digest={b}") == {b}
    assert q("type=CHART") == {chart} and q("type=IMAGE") == {a, b, c}
    assert q(f"media_type={HELM_CONFIG}") == {chart}
    assert q(f"artifact_type={OCI_CONFIG}") == {a, b, c}
    assert q("media_type=~helm") == {chart}
    assert q("tags=*,type=IMAGE") == {a, b}

    # labels=(1 2): all of them (labels are attached directly until their API lands)
    with db(registry) as conn:
        now = int(time.time() * 1000)
        ids = []
        for name in ("l1", "l2"):
            cur = conn.execute("INSERT INTO label (name, color, scope, creation_time,"
                               " update_time) VALUES (?, '#FFFFFF', 'g', ?, ?) RETURNING id",
                               (unique(name), now, now))
            ids.append(cur.fetchone()[0])
        art = {d: get_artifact(registry, admin, full, d)["id"] for d in (a, b)}
        conn.executemany("INSERT INTO artifact_label (artifact_id, label_id, creation_time)"
                         " VALUES (?, ?, ?)",
                         [(art[a], ids[0], now), (art[a], ids[1], now), (art[b], ids[0], now)])
    assert q(f"labels=({ids[0]} {ids[1]})") == {a}
    assert q(f"labels={ids[0]}") == {a, b}
    assert q(f"labels=({ids[1]})") == {a}
    labelled = get_artifact(registry, admin, full, a, with_label="true")["labels"]
    assert [l["id"] for l in labelled] == ids
    assert set(labelled[0]) == {"id", "name", "description", "color", "scope", "project_id",
                                "creation_time", "update_time"}
    assert labelled[0]["scope"] == "g" and labelled[0]["color"] == "#FFFFFF"
    assert "labels" not in get_artifact(registry, admin, full, a)
    assert all("labels" not in x for x in list_artifacts(registry, admin, full))
    assert [len(x["labels"]) for x in list_artifacts(registry, admin, full, with_label="true",
                                                    q=f"labels={ids[0]}", sort="push_time")] == [
        2, 1]

    # sort: newest push first by default
    order = [x["digest"] for x in list_artifacts(registry, admin, full)]
    assert order == [chart, c, b, a]
    assert [x["digest"] for x in list_artifacts(registry, admin, full, sort="push_time")] == [
        a, b, c, chart]
    sizes = [x["size"] for x in list_artifacts(registry, admin, full, sort="-size")]
    assert sizes == sorted(sizes, reverse=True)

    for bad in ({"q": "nonsense=1"}, {"q": "tags={a b}"}, {"q": "labels=x"}, {"q": "base=x"},
                {"q": "_tags=,v1,"}, {"sort": "nonsense"}, {"with_tag": "maybe"}):
        assert_error(admin.get(arts(registry, full), params=bad), 400, "BAD_REQUEST")


def test_paging(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/paged"
    pushed = [push_image(registry, full, f"t{i}", seed=30 + i)[0] for i in range(5)]
    seen = []
    for page, want_links in ((1, {"next"}), (2, {"prev", "next"}), (3, {"prev"})):
        r = admin.get(arts(registry, full), params={"page": page, "page_size": 2})
        assert_status(r, 200)
        assert r.headers["X-Total-Count"] == "5"
        assert set(links(r)) == want_links
        for rel, url in links(r).items():
            assert f"page={page + (1 if rel == 'next' else -1)}&page_size=2" in url
        seen += [x["digest"] for x in r.json()]
    assert seen == list(reversed(pushed))
    r = admin.get(arts(registry, full), params={"page": 4, "page_size": 2})
    assert r.json() == [] and r.headers["X-Total-Count"] == "5"


# ------------------------------------------------------------------ tags


def test_tags(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/tags"
    a, _, _ = push_image(registry, full, "v1", seed=40)
    b, _, _ = push_image(registry, full, "other", seed=41)
    for name in ("v2", "v3", "latest"):
        assert_status(admin.post(arts(registry, full, "/v1/tags"), json={"name": name}), 201)
    r = admin.get(arts(registry, full, f"/{a}/tags"))
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "4"
    tags = r.json()
    assert [t["name"] for t in tags] == ["latest", "v1", "v2", "v3"]
    assert all(set(t) == TAG_KEYS and t["artifact_id"] == tags[0]["artifact_id"] for t in tags)
    r = admin.get(arts(registry, full, f"/{a}/tags"),
                  params={"q": "name=~v", "page_size": 2, "with_immutable_status": "true"})
    assert r.headers["X-Total-Count"] == "3" and [t["name"] for t in r.json()] == ["v1", "v2"]
    assert all(t["immutable"] is False for t in r.json())
    # the new tags pull through /v2
    assert_status(admin.get(registry.v2(f"{full}/manifests/latest"),
                            headers={"Accept": OCI_MANIFEST}), 200)

    # a tag the repository has already: 409, wherever it points
    assert_error(admin.post(arts(registry, full, f"/{b}/tags"), json={"name": "v2"}), 409,
                 "CONFLICT")
    assert_error(admin.post(arts(registry, full, f"/{a}/tags"), json={"name": "v2"}), 409,
                 "CONFLICT")
    for bad in ({"name": "-bad"}, {"name": ""}, {}, {"name": 3}):
        assert_error(admin.post(arts(registry, full, f"/{a}/tags"), json=bad), 400,
                     "BAD_REQUEST")
    assert_error(admin.post(arts(registry, full, "/nope/tags"), json={"name": "x"}), 404,
                 "NOT_FOUND")

    # delete: only a tag of that artifact
    assert_error(admin.delete(arts(registry, full, f"/{b}/tags/v2")), 404, "NOT_FOUND")
    assert_status(admin.delete(arts(registry, full, f"/{a}/tags/v2")), 200)
    assert_error(admin.delete(arts(registry, full, f"/{a}/tags/v2")), 404, "NOT_FOUND")
    assert [t["name"] for t in get_artifact(registry, admin, full, a)["tags"]] == [
        "latest", "v1", "v3"]
    assert_error(admin.get(registry.v2(f"{full}/manifests/v2")), 404, "MANIFEST_UNKNOWN")
    # the artifact stays when its last tag goes
    for name in ("latest", "v1", "v3"):
        assert_status(admin.delete(arts(registry, full, f"/{a}/tags/{name}")), 200)
    assert get_artifact(registry, admin, full, a)["tags"] == []


# ------------------------------------------------------------------ errors, deletion


def test_lookups_and_deletion(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/del"
    d, _, _ = push_image(registry, full, "v1", seed=50)
    get_artifact(registry, admin, f"{project}/missing", "v1", status=404)
    get_artifact(registry, admin, full, "v9", status=404)
    get_artifact(registry, admin, full, "sha256:" + "0" * 64, status=404)
    assert_error(admin.get(arts(registry, full, "/sha256:xyz")), 400, "BAD_REQUEST")
    assert_error(admin.get(api(registry, f"/projects/{unique()}/repositories/x/artifacts")), 404,
                 "NOT_FOUND")
    # a repository name sent encoded only once is another path
    r = admin.get(api(registry, f"/projects/{project}/repositories/a%2Fb/artifacts"))
    assert r.status_code == 404
    # delete by tag deletes the artifact
    assert_status(admin.delete(arts(registry, full, "/v1")), 200)
    get_artifact(registry, admin, full, d, status=404)
    assert_error(admin.get(registry.v2(f"{full}/manifests/{d}")), 404, "MANIFEST_UNKNOWN")
    assert_error(admin.delete(arts(registry, full, "/v1")), 404, "NOT_FOUND")


def test_permissions(registry, admin, anon):
    project = new_project(registry, admin)
    full = f"{project}/perm"
    d, _, _ = push_image(registry, full, "v1", seed=60)
    guest = member(registry, admin, project, 3)
    developer = member(registry, admin, project, 2)
    limited = member(registry, admin, project, 5)

    for s in (guest, developer, limited):
        assert digests(list_artifacts(registry, s, full)) == {d}
        get_artifact(registry, s, full, "v1")
        assert_status(s.get(arts(registry, full, "/v1/tags")), 200)
        assert_status(s.get(arts(registry, full, "/v1/accessories")), 200)
        assert_status(s.get(arts(registry, full, "/v1/additions/build_history")), 200)
    for s in (guest, limited):
        assert_error(s.post(arts(registry, full, "/v1/tags"), json={"name": "g"}), 403,
                     "FORBIDDEN")
    assert_status(developer.post(arts(registry, full, "/v1/tags"), json={"name": "dev"}), 201)
    for s in (guest, developer, limited):
        assert_error(s.delete(arts(registry, full, "/v1/tags/dev")), 403, "FORBIDDEN")
        assert_error(s.delete(arts(registry, full, "/v1")), 403, "FORBIDDEN")
    assert_error(anon.get(arts(registry, full)), 401, "UNAUTHORIZED")
    assert_error(anon.get(arts(registry, f"{unique()}/x")), 401, "UNAUTHORIZED")
    get_artifact(registry, admin, full, "v1")


# ------------------------------------------------------------------ copy


def project_usage(registry, project):
    with db(registry) as conn:
        row = conn.execute("SELECT q.used FROM quota q JOIN project p ON p.id = q.project_id"
                           " WHERE p.name = ?", (project,)).fetchone()
        blobs = {r[0] for r in conn.execute(
            "SELECT pb.blob_digest FROM project_blob pb JOIN project p ON p.id = pb.project_id"
            " WHERE p.name = ?", (project,))}
    return row[0], blobs


def test_copy_across_projects(registry, admin):
    src_project, dst_project = new_project(registry, admin), new_project(registry, admin)
    src = f"{src_project}/app"
    dst = f"{dst_project}/copied/app"
    d, body, size = push_image(registry, src, "v1", seed=70)
    assert_status(admin.post(arts(registry, src, "/v1/tags"), json={"name": "stable"}), 201)
    used_before, blobs_before = project_usage(registry, dst_project)
    assert blobs_before == set()

    r = admin.post(arts(registry, dst), params={"from": f"{src}:v1"})
    assert_status(r, 201)
    assert r.headers["Location"] == (
        f"/api/v2.0/projects/{dst_project}/repositories/copied%2Fapp/artifacts/v1")
    a = get_artifact(registry, admin, dst, "v1")
    assert a["digest"] == d and a["size"] == size and a["type"] == "IMAGE"
    assert a["repository_name"] == dst
    assert sorted(t["name"] for t in a["tags"]) == ["stable", "v1"]
    # the blobs are the destination project's now, and count in its quota
    manifest = json.loads(body)
    want = {d, manifest["config"]["digest"]} | {l["digest"] for l in manifest["layers"]}
    used, blobs = project_usage(registry, dst_project)
    assert blobs == want and used - used_before == size
    for blob in want - {d}:
        assert_status(admin.get(registry.v2(f"{dst}/blobs/{blob}")), 200)
    assert_status(admin.get(registry.v2(f"{dst}/manifests/v1"),
                            headers={"Accept": OCI_MANIFEST}), 200)
    # copying again changes nothing
    assert_status(admin.post(arts(registry, dst), params={"from": f"{src}@{d}"}), 201)
    assert project_usage(registry, dst_project)[0] == used

    # an index comes with its children and their platforms
    idx, _, children = push_index(registry, src, "multi", [
        {"architecture": "amd64", "os": "linux"}, {"architecture": "arm64", "os": "linux"}])
    assert_status(admin.post(arts(registry, dst), params={"from": f"{src}:multi"}), 201)
    copied = get_artifact(registry, admin, dst, "multi")
    assert copied["digest"] == idx
    assert [x["child_digest"] for x in copied["references"]] == [
        e["digest"] for e, _ in children]
    assert all(x["child_id"] > 0 for x in copied["references"])
    assert copied["references"][1]["platform"]["architecture"] == "arm64"
    for entry, _ in children:
        get_artifact(registry, admin, dst, entry["digest"])
    assert digests(list_artifacts(registry, admin, dst)) == {d, idx}

    # a signature comes along with its subject
    tag = "sha256-" + d.split(":")[1] + ".sig"
    sig, _, _ = push_artifact(registry, src, tag, image_config(71), OCI_CONFIG,
                              [(b'{"critical":{}}', COSIGN_SIMPLE)])
    dst2 = f"{dst_project}/second"
    assert_status(admin.post(arts(registry, dst2), params={"from": f"{src}:v1"}), 201)
    a = get_artifact(registry, admin, dst2, "v1", with_accessory="true")
    assert [x["digest"] for x in a["accessories"]] == [sig]
    assert_status(admin.get(registry.v2(f"{dst2}/manifests/{tag}"),
                            headers={"Accept": OCI_MANIFEST}), 200)

    # a tag of the destination that points elsewhere moves
    other, _, _ = push_image(registry, dst2, "moving", seed=72)
    assert_status(admin.post(arts(registry, src, "/v1/tags"), json={"name": "moving"}), 201)
    assert_status(admin.post(arts(registry, dst2), params={"from": f"{src}:v1"}), 201)
    assert get_artifact(registry, admin, dst2, "moving")["digest"] == d

    # errors
    for bad in ("", "nocolon", f"{src}@sha256:zz", f"{src}:bad/tag"):
        assert_error(admin.post(arts(registry, dst), params={"from": bad}), 400, "BAD_REQUEST")
    assert_error(admin.post(arts(registry, dst), params={"from": f"{src}:nope"}), 404,
                 "NOT_FOUND")
    assert_error(admin.post(arts(registry, dst), params={"from": f"{unique()}/x:v1"}), 404,
                 "NOT_FOUND")


def test_copy_needs_pull_on_source_and_push_on_target(registry, admin):
    src_project, dst_project = new_project(registry, admin), new_project(registry, admin)
    src = f"{src_project}/app"
    push_image(registry, src, "v1", seed=80)
    dev_name, dev = new_user(registry, admin)
    add_member(registry, admin, dst_project, dev_name, 2)  # developer of the target only
    r = dev.post(arts(registry, f"{dst_project}/app"), params={"from": f"{src}:v1"})
    assert r.status_code in (403, 404), r.text
    guest = member(registry, admin, dst_project, 3)
    r = guest.post(arts(registry, f"{dst_project}/app"), params={"from": f"{src}:v1"})
    assert_error(r, 403, "FORBIDDEN")
    # made a guest of the source too, the developer may copy
    add_member(registry, admin, src_project, dev_name, 3)
    assert_status(dev.post(arts(registry, f"{dst_project}/app"), params={"from": f"{src}:v1"}),
                  201)


# ------------------------------------------------------------------ project-wide


def test_project_artifacts(registry, admin):
    project = new_project(registry, admin)
    first = [push_image(registry, f"{project}/one", f"t{i}", seed=90 + i)[0] for i in range(2)]
    second = push_image(registry, f"{project}/two/deep", "v1", seed=95)[0]
    r = admin.get(api(registry, f"/projects/{project}/artifacts"))
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "3"
    assert digests(r.json()) == set(first) | {second}
    assert {a["repository_name"] for a in r.json()} == {f"{project}/one", f"{project}/two/deep"}
    pid = admin.get(api(registry, f"/projects/{project}")).json()["project_id"]
    r = admin.get(api(registry, f"/projects/{pid}/artifacts"),
                  params={"latest_in_repository": "true"})
    assert digests(r.json()) == {first[1], second}
    r = admin.get(api(registry, f"/projects/{project}/artifacts"),
                  params={"q": f"repository_name={project}/one", "sort": "push_time"})
    assert [a["digest"] for a in r.json()] == first


# ------------------------------------------------------------------ pull statistics


def test_pull_time_and_count(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/pulled"
    d, _, _ = push_image(registry, full, "v1", seed=99)
    for _ in range(2):
        assert_status(admin.get(registry.v2(f"{full}/manifests/v1"),
                                headers={"Accept": OCI_MANIFEST}), 200)
    assert_status(admin.get(registry.v2(f"{full}/manifests/{d}"),
                            headers={"Accept": OCI_MANIFEST}), 200)
    # a HEAD is no pull
    assert_status(admin.head(registry.v2(f"{full}/manifests/v1"),
                             headers={"Accept": OCI_MANIFEST}), 200)

    def counts():
        with db(registry) as conn:
            return conn.execute(
                "SELECT a.pull_count, r.pull_count FROM artifact a"
                " JOIN repository r ON r.id = a.repository_id WHERE r.name = ?",
                (full,)).fetchone()

    assert wait_for(lambda: counts() == (3, 3)), counts()
    a = get_artifact(registry, admin, full, "v1")
    assert TIME_RE.fullmatch(a["pull_time"]) and a["pull_time"] >= a["push_time"]
    assert TIME_RE.fullmatch(a["tags"][0]["pull_time"])
    assert a["tags"][0]["pull_time"] != ZERO_TIME
    r = admin.get(arts(registry, full), params={"q": "pull_time=[2000-01-01T00:00:00~]"})
    assert digests(r.json()) == {d}


# ------------------------------------------------------------------ immutable tags


def test_immutable_tags(registry, admin):
    project = new_project(registry, admin)
    full = f"{project}/locked"
    rule = {"action": "immutable", "template": "immutable_template",
            "tag_selectors": [{"kind": "doublestar", "decoration": "matches",
                               "pattern": "release-*"}],
            "scope_selectors": {"repository": [{"kind": "doublestar",
                                                "decoration": "repoMatches", "pattern": "**"}]}}
    assert_status(admin.post(api(registry, f"/projects/{project}/immutabletagrules"),
                             json=rule), 201)
    a, _, _ = push_image(registry, full, "release-1", seed=110)
    b, _, _ = push_image(registry, full, "dev", seed=111)

    got = get_artifact(registry, admin, full, a, with_immutable_status="true")
    assert [(t["name"], t["immutable"]) for t in got["tags"]] == [("release-1", True)]
    r = admin.get(arts(registry, full, f"/{b}/tags"), params={"with_immutable_status": "true"})
    assert [t["immutable"] for t in r.json()] == [False]
    # a new tag matching the rule may be created; an existing one cannot be claimed
    assert_status(admin.post(arts(registry, full, f"/{b}/tags"), json={"name": "release-2"}),
                  201)
    assert_error(admin.post(arts(registry, full, f"/{b}/tags"), json={"name": "release-1"}),
                 412, "PRECONDITION")
    assert_error(admin.delete(arts(registry, full, f"/{a}/tags/release-1")), 412,
                 "PRECONDITION")
    assert_error(admin.delete(arts(registry, full, f"/{a}")), 412, "PRECONDITION")
    # copying onto an immutable tag that points elsewhere
    other = f"{project}/other"
    push_image(registry, other, "release-1", seed=112)
    r = admin.post(arts(registry, full), params={"from": f"{other}:release-1"})
    assert_error(r, 412, "PRECONDITION")
    assert "configured as immutable" in r.json()["errors"][0]["message"]
    assert get_artifact(registry, admin, full, "release-1")["digest"] == a
