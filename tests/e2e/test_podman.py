"""podman against havend: login, push from local storage, remove, pull back, inspect.

podman runs as the invoking user with its storage in a temporary directory (vfs driver,
cgroupfs, no events), so it needs no container engine.  If podman cannot even start on
this machine (`podman info` fails, no registry involved) the tests skip with its error.
"""

import json
import os
import shutil
import subprocess
import tempfile

import pytest

from havenlib import (
    DOCKER_MANIFEST,
    OCI_MANIFEST,
    assert_status,
    digest_of,
    read_layout_manifest,
)

PODMAN_TIMEOUT = 180


@pytest.fixture
def podman(tmp_path):
    """podman(*args, check=True) with storage, auth and state confined to tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    runtime = tmp_path / "xdg"
    runtime.mkdir(mode=0o700)
    auth_file = tmp_path / "auth.json"
    auth_file.write_text('{"auths": {}}')
    env = dict(os.environ)
    env.update(HOME=str(home), XDG_RUNTIME_DIR=str(runtime), REGISTRY_AUTH_FILE=str(auth_file))
    # podman refuses a runroot longer than 50 characters; tmp_path is longer.
    runroot = tempfile.mkdtemp(prefix="haven-e2e-podman-", dir="/tmp")
    base = ["podman", "--root", str(tmp_path / "root"), "--runroot", runroot,
            "--storage-driver=vfs", "--cgroup-manager=cgroupfs", "--events-backend=none",
            "--tmpdir", str(tmp_path / "tmp")]

    def run(*args, check=True):
        cmd = base + list(args)
        p = subprocess.run(cmd, env=env, capture_output=True, text=True,
                           timeout=PODMAN_TIMEOUT)
        if check and p.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} exited {p.returncode}\n"
                        f"stdout: {p.stdout}\nstderr: {p.stderr}", pytrace=False)
        return p

    info = run("info", check=False)
    if info.returncode != 0:
        shutil.rmtree(runroot, ignore_errors=True)
        pytest.skip(f"podman cannot run on this machine: `podman info` failed: "
                    f"{info.stderr.strip()[-500:]}")
    yield run
    shutil.rmtree(runroot, ignore_errors=True)


def image_config(layout, manifest_digest):
    m = read_layout_manifest(layout, manifest_digest)
    return m["config"]["digest"], json.loads(
        (layout / "blobs" / "sha256" / m["config"]["digest"].split(":")[1]).read_bytes())


@pytest.mark.parametrize("fmt,media_type", [("oci", OCI_MANIFEST), ("v2s2", DOCKER_MANIFEST)],
                         ids=["oci", "v2s2"])
def test_push_remove_pull_inspect(fmt, media_type, podman, registry, layouts, repo, admin,
                                  tmp_path):
    src = layouts.image.path
    config_digest, config = image_config(src, layouts.image_desc["digest"])
    ref = f"{registry.host}/{repo}:{fmt}"

    p = podman("login", "--tls-verify=false", "-u", registry.auth[0], "-p", registry.auth[1],
               registry.host)
    assert "Login Succeeded" in p.stdout

    podman("pull", f"oci:{src}:v1")
    podman("tag", config_digest.split(":")[1], ref)
    digest_file = tmp_path / "digest"
    podman("push", "--tls-verify=false", "--format", fmt, "--digestfile", str(digest_file), ref)
    pushed = digest_file.read_text().strip()

    # What the registry stores is what podman says it pushed.
    r = admin.get(registry.v2(f"{repo}/manifests/{fmt}"), headers={"Accept": media_type})
    assert_status(r, 200)
    assert digest_of(r.content) == pushed
    assert r.headers["Content-Type"] == media_type
    assert r.json()["config"]["digest"] == config_digest

    podman("rmi", "--all", "--force")
    assert podman("images", "--quiet").stdout.strip() == ""

    podman("pull", "--tls-verify=false", ref)
    info = json.loads(podman("image", "inspect", ref).stdout)[0]
    assert "sha256:" + info["Id"] == config_digest
    assert info["Digest"] == pushed
    assert info["RootFS"]["Layers"] == config["rootfs"]["diff_ids"]
    assert info["Labels"] == {"e2e.seed": "1"}


def test_pull_selects_platform_from_index(podman, registry, layouts, repo, admin):
    # Push the multi-arch index and its children with the HTTP API, then let podman pick.
    src = layouts.multi.path
    index = read_layout_manifest(src, layouts.multi_desc["digest"])
    for child in index["manifests"]:
        m = read_layout_manifest(src, child["digest"])
        for desc in [m["config"]] + m["layers"]:
            registry.push_blob(repo, (src / "blobs" / "sha256" /
                                      desc["digest"].split(":")[1]).read_bytes())
        raw = (src / "blobs" / "sha256" / child["digest"].split(":")[1]).read_bytes()
        assert_status(registry.push_manifest(repo, child["digest"], raw, OCI_MANIFEST), 201)
    raw = (src / "blobs" / "sha256" / layouts.multi_desc["digest"].split(":")[1]).read_bytes()
    assert_status(registry.push_manifest(repo, "multi", raw, layouts.multi_desc["mediaType"]),
                  201)

    arm = next(c for c in index["manifests"] if c["platform"]["architecture"] == "arm64")
    arm_config, _ = image_config(src, arm["digest"])
    ref = f"{registry.host}/{repo}:multi"
    podman("pull", "--tls-verify=false", "--arch", "arm64", "--os", "linux", ref)
    info = json.loads(podman("image", "inspect", ref).stdout)[0]
    assert "sha256:" + info["Id"] == arm_config
    assert info["Architecture"] == "arm64"


def test_robot_logs_in_pushes_and_pulls_a_private_project(podman, registry, layouts, admin,
                                                          tmp_path):
    """podman as a project robot, through the token service: push and pull its private
    project; an anonymous pull of it is refused."""
    project = f"podrobot{os.getpid() % 10000}"
    login, secret = registry.private_project_with_robot(project)
    src = layouts.image.path
    config_digest, _ = image_config(src, layouts.image_desc["digest"])
    ref = f"{registry.host}/{project}/app:v1"

    p = podman("login", "--tls-verify=false", "-u", login, "-p", secret, registry.host)
    assert "Login Succeeded" in p.stdout
    podman("pull", f"oci:{src}:v1")
    podman("tag", config_digest.split(":")[1], ref)
    podman("push", "--tls-verify=false", ref)
    r = admin.get(registry.v2(f"{project}/app/manifests/v1"), headers={"Accept": OCI_MANIFEST})
    assert_status(r, 200)

    podman("rmi", "--all", "--force")
    podman("pull", "--tls-verify=false", ref)
    info = json.loads(podman("image", "inspect", ref).stdout)[0]
    assert "sha256:" + info["Id"] == config_digest

    podman("rmi", "--all", "--force")
    podman("logout", registry.host)
    p = podman("pull", "--tls-verify=false", ref, check=False)
    assert p.returncode != 0
    assert "unauthorized" in (p.stderr + p.stdout).lower() or "denied" in \
        (p.stderr + p.stdout).lower(), p.stderr
