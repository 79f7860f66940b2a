"""docker (Debian's docker.io, 20.10) against havend: login as admin and as a robot, push to
public and private projects, cross-repository mounts, anonymous pulls, `docker run` of what
was pulled, and multi-arch lists made with `docker manifest`.

One dockerd serves the session (conftest.py, engines.py); each test has its own client
config dir (its logins and manifest lists) and leaves no image behind, so every pull
really fetches.  Loopback registries are insecure to Docker, so it speaks plain HTTP after
probing https.  Every client command is bounded (engines.CLIENT_TIMEOUT): a hang fails.
"""

import json
import re

import pytest

import engines
from havenlib import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    assert_status,
    blob_gets,
    digest_of,
    unique_name,
    uploads_to,
)

PUSHED_RE = re.compile(r"digest: (sha256:[0-9a-f]{64}) size: \d+")


class Docker:
    """The docker CLI on the session's dockerd with a config dir of its own."""

    def __init__(self, dockerd, config_dir, images):
        self.config_dir = config_dir
        self.images = images
        self.env = engines.client_env(DOCKER_HOST=dockerd.host, DOCKER_CONFIG=str(config_dir))

    def __call__(self, *args, check=True, input=None):
        return engines.run_client([engines.DOCKER, *args], self.env, check=check, input=input)

    def login(self, registry, user, password):
        p = self("login", "--username", user, "--password-stdin", registry.host, input=password)
        assert "Login Succeeded" in p.stdout
        assert registry.host in self.config()["auths"]

    def logout(self, registry):
        self("logout", registry.host)
        assert registry.host not in self.config().get("auths", {})

    def config(self) -> dict:
        return json.loads((self.config_dir / "config.json").read_text())

    def load(self, arch="amd64") -> str:
        """Load the test image of `arch`; returns its image id."""
        self("load", "--input", str(self.images.archives[arch]))
        return self.images.ids[arch]

    def push(self, arch, ref) -> str:
        """Tag the loaded image of `arch` as `ref`, push it; returns the manifest digest."""
        self("tag", self.images.tags[arch], ref)
        p = self("push", ref)
        m = PUSHED_RE.search(p.stdout)
        assert m, p.stdout
        return m.group(1)

    def forget_images(self):
        ids = self("images", "--all", "--quiet", check=False).stdout.split()
        if ids:
            self("rmi", "--force", *sorted(set(ids)))
        assert self("images", "--all", "--quiet").stdout.strip() == ""


@pytest.fixture
def docker(dockerd, engine_images, tmp_path):
    config_dir = tmp_path / "docker-config"
    config_dir.mkdir()
    # Docker 20.10 hides `docker manifest` unless the client's config enables experiments.
    (config_dir / "config.json").write_text('{"auths": {}, "experimental": "enabled"}')
    d = Docker(dockerd, config_dir, engine_images)
    yield d
    d("container", "prune", "--force", check=False)
    d.forget_images()


def assert_runs(docker, ref):
    p = docker("run", "--rm", "--network", "none", ref, "/bin/busybox", "echo", "hi")
    assert p.stdout == "hi\n"


def assert_refused(p):
    assert p.returncode != 0, p.stdout
    err = p.stderr.lower()
    assert "denied" in err or "unauthorized" in err, p.stderr


def test_login_with_a_wrong_password_is_refused(docker, registry):
    p = docker("login", "--username", "admin", "--password-stdin", registry.host,
               input="not-the-password", check=False)
    assert p.returncode != 0
    assert "unauthorized" in p.stderr.lower(), p.stderr
    assert registry.host not in docker.config()["auths"]


def test_admin_pushes_to_a_public_project_anyone_pulls_and_runs(docker, registry, repo):
    docker.login(registry, *registry.auth)
    image_id = docker.load()
    ref = f"{registry.host}/{repo}:v1"
    digest = docker.push("amd64", ref)
    manifest = registry.assert_docker_manifest(repo, "v1", digest, image_id)
    layer = manifest["layers"][0]["digest"]

    docker.forget_images()
    docker.logout(registry)
    mark = registry.log_mark()
    docker("pull", ref)
    assert blob_gets(registry.access_since(mark), repo, layer) == [(200, "anonymous")]
    info = json.loads(docker("image", "inspect", ref).stdout)[0]
    assert info["Id"] == image_id
    assert info["RepoDigests"] == [f"{registry.host}/{repo}@{digest}"]
    assert info["RootFS"]["Layers"] == [docker.images.diff_id]
    assert_runs(docker, ref)


def test_admin_pushes_to_a_private_project_anonymous_pull_is_refused(docker, registry):
    project = unique_name("dkpriv")
    registry.create_project(project, public=False)
    docker.login(registry, *registry.auth)
    image_id = docker.load()
    ref = f"{registry.host}/{project}/app:v1"
    digest = docker.push("amd64", ref)
    registry.assert_docker_manifest(f"{project}/app", "v1", digest, image_id)

    docker.forget_images()
    docker.logout(registry)
    assert_refused(docker("pull", ref, check=False))
    assert docker("image", "inspect", ref, check=False).returncode != 0


def test_robot_pushes_pulls_and_runs_its_private_project(docker, registry, admin):
    project = unique_name("dkrobot")
    login, secret = registry.private_project_with_robot(project)
    docker.login(registry, login, secret)
    image_id = docker.load()
    ref = f"{registry.host}/{project}/app:v1"
    digest = docker.push("amd64", ref)
    registry.assert_docker_manifest(f"{project}/app", "v1", digest, image_id)

    # A project robot may not push elsewhere.
    elsewhere = f"library/{unique_name('dkrobot-elsewhere')}"
    docker("tag", docker.images.tags["amd64"], f"{registry.host}/{elsewhere}:v1")
    assert_refused(docker("push", f"{registry.host}/{elsewhere}:v1", check=False))
    assert_status(admin.get(registry.v2(f"{elsewhere}/manifests/v1")), 404)

    docker.forget_images()
    docker("pull", ref)
    assert json.loads(docker("image", "inspect", ref).stdout)[0]["Id"] == image_id
    assert_runs(docker, ref)

    docker.forget_images()
    docker.logout(registry)
    assert_refused(docker("pull", ref, check=False))


def test_second_repository_gets_blobs_mounted_not_uploaded(docker, registry, repo):
    docker.login(registry, *registry.auth)
    image_id = docker.load()
    digest = docker.push("amd64", f"{registry.host}/{repo}:v1")
    layer = registry.assert_docker_manifest(repo, "v1", digest, image_id)["layers"][0]

    # Another repository of the same project: the layer is there already.
    same = f"{repo}-again"
    mark = registry.log_mark()
    docker.push("amd64", f"{registry.host}/{same}:v1")
    sent = uploads_to(registry.access_since(mark), same)
    assert not [e for e in sent if e.bytes_in >= layer["size"]], sent
    registry.assert_docker_manifest(same, "v1", digest, image_id)

    # A repository of another project: Docker mounts the layer from where it pushed it.
    project = unique_name("dkmount")
    registry.create_project(project, public=False)
    other = f"{project}/app"
    mark = registry.log_mark()
    docker("tag", docker.images.tags["amd64"], f"{registry.host}/{other}:v1")
    p = docker("push", f"{registry.host}/{other}:v1")
    assert re.search(rf"Mounted from ({re.escape(repo)}|{re.escape(same)})\b", p.stdout), \
        p.stdout
    sent = uploads_to(registry.access_since(mark), other)
    assert not [e for e in sent if e.bytes_in >= layer["size"]], sent
    assert [e for e in sent if e.method == "POST" and e.status == 201], sent
    registry.assert_docker_manifest(other, "v1", digest, image_id)


def test_manifest_list_create_push_inspect_pull(docker, registry, admin, repo):
    docker.login(registry, *registry.auth)
    ids = {arch: docker.load(arch) for arch in ("amd64", "arm64")}
    digests = {arch: docker.push(arch, f"{registry.host}/{repo}:{arch}") for arch in ids}
    ref = f"{registry.host}/{repo}:multi"

    docker("manifest", "create", "--insecure", ref,
           *(f"{registry.host}/{repo}:{arch}" for arch in ids))
    p = docker("manifest", "push", "--insecure", ref)
    pushed = p.stdout.strip().splitlines()[-1]

    r = admin.get(registry.v2(f"{repo}/manifests/multi"), headers={"Accept": DOCKER_LIST})
    assert_status(r, 200)
    assert r.headers["Content-Type"] == DOCKER_LIST
    assert digest_of(r.content) == pushed
    want = {(digests[a], a, "linux") for a in ids}
    got = {(m["digest"], m["platform"]["architecture"], m["platform"]["os"])
           for m in r.json()["manifests"]}
    assert got == want
    assert {m["mediaType"] for m in r.json()["manifests"]} == {DOCKER_MANIFEST}

    listed = json.loads(docker("manifest", "inspect", "--insecure", ref).stdout)
    assert listed["mediaType"] == DOCKER_LIST
    assert {(m["digest"], m["platform"]["architecture"], m["platform"]["os"])
            for m in listed["manifests"]} == want

    docker.forget_images()
    docker("pull", ref)  # picks the daemon's platform
    assert json.loads(docker("image", "inspect", ref).stdout)[0]["Id"] == ids["amd64"]
    assert_runs(docker, ref)
