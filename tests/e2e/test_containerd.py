"""containerd's ctr (Debian's containerd 1.6) against havend: `ctr images push/pull
--plain-http`, with `--user` and anonymously, in public and private projects, and a push
whose blobs are all in the registry already.

One containerd serves the session (conftest.py, engines.py); each test works in a
namespace of its own and removes its images with `--sync` (garbage-collecting their
content), so a later pull really fetches.  Images come from `ctr images import` of the
busybox archive, with layers gzip'd on import, and unpack with the native snapshotter.
Every command is bounded (engines.CLIENT_TIMEOUT): a hang fails the test.
"""

import itertools

import pytest

import engines
from havenlib import blob_gets, unique_name, uploads_to

_namespaces = itertools.count(1)


class Ctr:
    """ctr on the session's containerd, in one namespace."""

    def __init__(self, containerd, namespace, images):
        self.images = images
        self.base = [engines.CTR, "--address", containerd.address, "--namespace", namespace]
        self.env = engines.client_env(CONTAINERD_SNAPSHOTTER="native")

    def __call__(self, *args, check=True):
        return engines.run_client([*self.base, *args], self.env, check=check)

    def import_image(self, arch="amd64") -> str:
        """Import the test image of `arch`; returns its name in containerd."""
        self("images", "import", "--compress-blobs", "--no-unpack",
             str(self.images.archives[arch]))
        return "docker.io/" + self.images.tags[arch]

    def refs(self) -> dict:
        """{image name: manifest digest} of the namespace."""
        lines = self("images", "ls").stdout.splitlines()[1:]
        return {cols[0]: cols[2] for cols in (ln.split() for ln in lines) if cols}

    def push(self, local, remote, user=None):
        self("images", "tag", local, remote)
        self("images", "push", "--plain-http", *(["--user", user] if user else []), remote)

    def import_and_push(self, remote, user) -> str:
        """Import the amd64 test image and push it as `remote`; returns its digest."""
        local = self.import_image()
        self.push(local, remote, user)
        return self.refs()[local]

    def pull(self, remote, user=None, check=True):
        return self("images", "pull", "--plain-http", *(["--user", user] if user else []),
                    remote, check=check)

    def forget_images(self):
        refs = list(self.refs())
        if refs:
            self("images", "rm", "--sync", *refs)
        assert self.refs() == {}


@pytest.fixture
def ctr(containerd, engine_images):
    c = Ctr(containerd, f"haven-e2e-{next(_namespaces)}", engine_images)
    yield c
    c.forget_images()


def admin_user(registry):
    return "%s:%s" % registry.auth


def fresh_public_repo(registry, hint) -> str:
    """A repository in a new public project.  The tests other than the last push there:
    a push to `library` whose blobs a former test left there would test that case again."""
    project = unique_name(hint)
    registry.create_project(project, public=True)
    return f"{project}/app"


def test_push_then_pull_with_user(ctr, registry):
    repo = fresh_public_repo(registry, "ctruser")
    remote = f"{registry.host}/{repo}:v1"
    digest = ctr.import_and_push(remote, admin_user(registry))
    layer = registry.assert_docker_manifest(repo, "v1", digest,
                            ctr.images.ids["amd64"])["layers"][0]["digest"]

    ctr.forget_images()
    mark = registry.log_mark()
    p = ctr.pull(remote, user=admin_user(registry))
    assert "unpacking linux/amd64" in p.stdout, p.stdout
    assert ctr.refs() == {remote: digest}
    # ctr uses --user only when challenged: a public project must challenge it too.
    assert blob_gets(registry.access_since(mark), repo, layer) == [(200, "admin")]


def test_anonymous_pull_of_a_public_project(ctr, registry):
    repo = fresh_public_repo(registry, "ctranon")
    remote = f"{registry.host}/{repo}:v1"
    digest = ctr.import_and_push(remote, admin_user(registry))
    ctr.forget_images()

    mark = registry.log_mark()
    ctr.pull(remote)
    assert ctr.refs() == {remote: digest}
    assert {e.user for e in registry.access_since(mark)} == {"anonymous"}


def test_private_project_refuses_anonymous_and_serves_its_robot(ctr, registry):
    project = unique_name("ctrrobot")
    login, secret = registry.private_project_with_robot(project)
    robot = f"{login}:{secret}"
    remote = f"{registry.host}/{project}/app:v1"
    digest = ctr.import_and_push(remote, robot)
    registry.assert_docker_manifest(f"{project}/app", "v1", digest, ctr.images.ids["amd64"])

    ctr.forget_images()
    p = ctr.pull(remote, check=False)
    assert p.returncode != 0
    err = p.stderr.lower()
    # the anonymous token carries no pull right, so the registry answers the manifest GET
    # with 401 insufficient_scope, which ctr reports as access denied
    assert "pull access denied" in err and "insufficient_scope" in err, p.stderr
    assert ctr.refs() == {}

    ctr.pull(remote, user=robot)
    assert ctr.refs() == {remote: digest}


def test_push_whose_blobs_all_exist_sends_only_the_manifest(ctr, registry, repo):
    """The second push finds every blob in `library` (HEAD 200) and sends the manifest."""
    digest = ctr.import_and_push(f"{registry.host}/{repo}:v1", admin_user(registry))

    copy = f"{repo}-copy"
    mark = registry.log_mark()
    ctr.push(f"{registry.host}/{repo}:v1", f"{registry.host}/{copy}:v1", admin_user(registry))
    assert uploads_to(registry.access_since(mark), copy) == []
    registry.assert_docker_manifest(copy, "v1", digest, ctr.images.ids["amd64"])
