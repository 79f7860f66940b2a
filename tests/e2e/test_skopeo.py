"""skopeo against havend: OCI layouts pushed, pulled back byte-identical, inspected, deleted."""

import json
import os
import subprocess
from pathlib import Path

import pytest

from havenlib import (
    OCI_INDEX,
    OCI_MANIFEST,
    assert_status,
    digest_of,
    layout_closure,
    layout_ref,
)

SKOPEO_TIMEOUT = 180


@pytest.fixture
def skopeo(tmp_path, registry):
    """skopeo(*args, check=True) with client state confined to tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    auth_file = tmp_path / "auth.json"
    auth_file.write_text('{"auths": {}}')
    env = dict(os.environ)
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime), REGISTRY_AUTH_FILE=str(auth_file))

    def run(*args, check=True):
        cmd = ["skopeo", "--insecure-policy", *args]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                           timeout=SKOPEO_TIMEOUT)
        if check and p.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} exited {p.returncode}\n"
                        f"stdout: {p.stdout}\nstderr: {p.stderr}", pytrace=False)
        return p

    return run


def creds(registry):
    return "%s:%s" % registry.auth


def push(skopeo, registry, layout, tag, dest, all_=False):
    skopeo("copy", *(["--all"] if all_ else []), "--preserve-digests",
           "--dest-tls-verify=false", "--dest-creds", creds(registry),
           f"oci:{layout}:{tag}", f"docker://{registry.host}/{dest}")


def pull(skopeo, registry, src, layout, tag, all_=False):
    skopeo("copy", *(["--all"] if all_ else []), "--preserve-digests",
           "--src-tls-verify=false", "--src-creds", creds(registry),
           f"docker://{registry.host}/{src}", f"oci:{layout}:{tag}")


def layout_blobs(layout: Path) -> set:
    return {"sha256:" + p.name for p in (layout / "blobs" / "sha256").iterdir()}


CASES = {
    # name: (layouts attribute, tag in that layout, --all)
    "image": ("image", "v1", False),
    "multi-arch-index": ("multi", "multi", True),
    "25-layers": ("many", "many", False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_copy_round_trip_keeps_every_digest(case, skopeo, registry, layouts, repo, admin,
                                             tmp_path):
    attr, tag, all_ = CASES[case]
    src = getattr(layouts, attr).path
    want = layout_ref(src, tag)

    push(skopeo, registry, src, tag, f"{repo}:{tag}", all_)

    # The registry serves the manifest byte-for-byte as it was in the layout.
    r = admin.get(registry.v2(f"{repo}/manifests/{tag}"),
                  headers={"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"})
    assert_status(r, 200)
    assert digest_of(r.content) == want["digest"]
    assert r.headers["Docker-Content-Digest"] == want["digest"]
    assert r.headers["Content-Type"] == want["mediaType"]

    back = tmp_path / "back"
    pull(skopeo, registry, f"{repo}:{tag}", back, tag, all_)
    got = layout_ref(back, tag)
    assert got["digest"] == want["digest"]
    assert got["mediaType"] == want["mediaType"]
    assert layout_blobs(back) == layout_closure(src, want["digest"])
    for d in layout_blobs(back):
        assert digest_of((back / "blobs" / "sha256" / d.split(":")[1]).read_bytes()) == d


def test_copy_artifact_with_subject_round_trips_and_is_a_referrer(skopeo, registry, layouts,
                                                                   repo, tmp_path):
    src = layouts.artifact.path
    push(skopeo, registry, src, "base", f"{repo}:base")
    push(skopeo, registry, src, "sbom", f"{repo}:sbom")

    back = tmp_path / "back"
    pull(skopeo, registry, f"{repo}:sbom", back, "sbom")
    assert layout_ref(back, "sbom")["digest"] == layouts.artifact_desc["digest"]
    assert layout_blobs(back) == layout_closure(src, layouts.artifact_desc["digest"])

    r = registry.token_session().get(
        registry.v2(f"{repo}/referrers/{layouts.artifact_subject['digest']}"))
    assert_status(r, 200)
    refs = r.json()["manifests"]
    assert [(m["digest"], m["artifactType"]) for m in refs] == [
        (layouts.artifact_desc["digest"], layouts.artifact_type)]


def test_inspect_reports_digest_and_layers(skopeo, registry, layouts, repo):
    src = layouts.image.path
    push(skopeo, registry, src, "v1", f"{repo}:v1")
    p = skopeo("inspect", "--tls-verify=false", "--creds", creds(registry),
               f"docker://{registry.host}/{repo}:v1")
    info = json.loads(p.stdout)
    manifest = json.loads((src / "blobs" / "sha256" /
                           layouts.image_desc["digest"].split(":")[1]).read_bytes())
    assert info["Digest"] == layouts.image_desc["digest"]
    assert info["Layers"] == [layer["digest"] for layer in manifest["layers"]]
    assert info["Architecture"] == "amd64"
    assert info["RepoTags"] == ["v1"]


def test_anonymous_inspect_of_public_project(skopeo, registry, layouts, repo):
    push(skopeo, registry, layouts.image.path, "v1", f"{repo}:v1")
    p = skopeo("inspect", "--tls-verify=false", "--no-creds",
               f"docker://{registry.host}/{repo}:v1")
    assert json.loads(p.stdout)["Digest"] == layouts.image_desc["digest"]


def test_anonymous_pull_follows_the_challenge(skopeo, registry, layouts, repo, admin,
                                              tmp_path):
    """Anonymous reads are challenged even on a public project: skopeo fetches an anonymous
    token and pulls every blob with it; the same token gets nothing of a private project."""
    src = layouts.image.path
    push(skopeo, registry, src, "v1", f"{repo}:v1")
    back = tmp_path / "back"
    skopeo("copy", "--preserve-digests", "--src-tls-verify=false", "--src-no-creds",
           f"docker://{registry.host}/{repo}:v1", f"oci:{back}:v1")
    assert layout_ref(back, "v1")["digest"] == layouts.image_desc["digest"]
    assert layout_blobs(back) == layout_closure(src, layouts.image_desc["digest"])

    private = f"skoprivate{os.getpid() % 10000}"
    r = admin.post(f"{registry.url}/api/v2.0/projects",
                   json={"project_name": private, "metadata": {"public": "false"}})
    assert_status(r, 201)
    push(skopeo, registry, src, "v1", f"{private}/app:v1")
    p = skopeo("copy", "--src-tls-verify=false", "--src-no-creds",
               f"docker://{registry.host}/{private}/app:v1", f"oci:{tmp_path / 'no'}:v1",
               check=False)
    assert p.returncode != 0
    assert "unauthorized" in p.stderr.lower() or "authentication required" in \
        p.stderr.lower(), p.stderr
    assert not (tmp_path / "no" / "index.json").exists() or \
        not json.loads((tmp_path / "no" / "index.json").read_text())["manifests"]


def test_list_tags(skopeo, registry, layouts, repo):
    for tag in ("v2", "v1", "latest"):
        push(skopeo, registry, layouts.image.path, "v1", f"{repo}:{tag}")
    p = skopeo("list-tags", "--tls-verify=false", "--creds", creds(registry),
               f"docker://{registry.host}/{repo}")
    out = json.loads(p.stdout)
    assert out["Repository"] == f"{registry.host}/{repo}"
    assert sorted(out["Tags"]) == ["latest", "v1", "v2"]


def test_delete_then_inspect_fails(skopeo, registry, layouts, repo, admin):
    push(skopeo, registry, layouts.image.path, "v1", f"{repo}:v1")
    skopeo("delete", "--tls-verify=false", "--creds", creds(registry),
           f"docker://{registry.host}/{repo}:v1")
    p = skopeo("inspect", "--tls-verify=false", "--creds", creds(registry),
               f"docker://{registry.host}/{repo}:v1", check=False)
    assert p.returncode != 0
    assert "manifest unknown" in p.stderr.lower(), p.stderr
    # skopeo deletes by digest: the manifest itself is gone, not only the tag.
    r = admin.get(registry.v2(f"{repo}/manifests/{layouts.image_desc['digest']}"))
    assert_status(r, 404)


def test_push_with_wrong_password_is_refused(skopeo, registry, layouts, repo, admin):
    p = skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "admin:not-the-password",
               f"oci:{layouts.image.path}:v1", f"docker://{registry.host}/{repo}:v1",
               check=False)
    assert p.returncode != 0
    assert "unauthorized" in p.stderr.lower() or "authentication" in p.stderr.lower(), p.stderr
    r = admin.get(registry.v2(f"{repo}/manifests/v1"))
    assert_status(r, 404)


def test_robot_copies_into_and_out_of_its_private_project(skopeo, registry, layouts, admin,
                                                          tmp_path):
    """skopeo with a project robot's credentials, through the token service; the robot's
    push to another project is refused."""
    project = f"skorobot{os.getpid() % 10000}"
    robot = "%s:%s" % registry.private_project_with_robot(project)
    src = layouts.image.path

    skopeo("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", robot,
           f"oci:{src}:v1", f"docker://{registry.host}/{project}/app:v1")
    back = tmp_path / "back"
    skopeo("copy", "--preserve-digests", "--src-tls-verify=false", "--src-creds", robot,
           f"docker://{registry.host}/{project}/app:v1", f"oci:{back}:v1")
    assert layout_ref(back, "v1")["digest"] == layouts.image_desc["digest"]

    p = skopeo("copy", "--dest-tls-verify=false", "--dest-creds", robot, f"oci:{src}:v1",
               f"docker://{registry.host}/library/robot-elsewhere:v1", check=False)
    assert p.returncode != 0
    p = skopeo("inspect", "--tls-verify=false", "--no-creds",
               f"docker://{registry.host}/{project}/app:v1", check=False)
    assert p.returncode != 0
