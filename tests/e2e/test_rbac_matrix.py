"""The authorization matrix (harbor-rbac.md, harbor-api.md §2): for every project role, a
member of no role, anonymous callers on a private and on a public project, and project and
system robots, one real request per (resource, action) row, asserting allowed or denied.

The matrix is read from harbor-rbac.md when it is reachable ($HAVEN_RBAC_MD, else
../shared/reference/harbor-rbac.md beside the checkout), else from the copy embedded below;
test_embedded_copy_is_the_reference keeps the two equal.  Each row with a served endpoint
maps to the request whose permission check that row is in Harbor (PROBES): the Harbor API
for artifacts, tags, accessories, additions, labels, immutable tag rules, repositories,
members, metadata, robots and the project; /v2 for repository pull and push.  The /v2
requests that the repository rows also govern (manifest PUT by tag, manifest DELETE, tag
list) are checked as well (V2_PROBES).  The rows without an endpoint are listed by one
visible skip.

Allowed means the endpoint's own success status and the change stored; denied means, on the
Harbor API, 403 for an authenticated caller and 401 for an anonymous one, and on /v2 always
401 with the token specification's insufficient_scope challenge (every caller there sends
credentials: a password or a token), with the error envelope of the API that was called, and
nothing changed.  Users and robots log in with Basic credentials;
anonymous callers use an anonymous token from /service/token on /v2, as docker does.  A
request that changes something gets its own fresh object (a throwaway project, member,
robot, artifact, tag, label or immutable rule), set up by the administrator.
"""

import itertools
import os
import re
import uuid
from pathlib import Path

import pytest

from havenlib import (
    OCI_CONFIG,
    OCI_EMPTY,
    OCI_LAYER,
    OCI_MANIFEST,
    ROOT,
    assert_error,
    assert_status,
    canonical,
    descriptor,
    digest_of,
)

# ------------------------------------------------------------------ the matrix

EMBEDDED_RBAC_MD = """\
| resource | action | projectAdmin(1) | maintainer(4) | developer(2) | guest(3) | limitedGuest(5) | public-project (anyone) |
|---|---|---|---|---|---|---|---|
| (project itself "") | read | ✔ | ✔ | ✔ | ✔ | ✔ | ✔ |
| (project itself "") | update | ✔ |  |  |  |  |  |
| (project itself "") | delete | ✔ |  |  |  |  |  |
| member | create | ✔ |  |  |  |  |  |
| member | read | ✔ | ✔ | ✔ | ✔ |  |  |
| member | update | ✔ |  |  |  |  |  |
| member | delete | ✔ |  |  |  |  |  |
| member | list | ✔ | ✔ | ✔ | ✔ |  |  |
| metadata | create | ✔ |  |  |  |  |  |
| metadata | read | ✔ | ✔ |  |  |  |  |
| metadata | update | ✔ |  |  |  |  |  |
| metadata | delete | ✔ |  |  |  |  |  |
| log | list | ✔ | ✔ | ✔ | ✔ |  |  |
| label | create | ✔ | ✔ |  |  |  |  |
| label | read | ✔ | ✔ | ✔ | ✔ |  | ✔ |
| label | update | ✔ | ✔ |  |  |  |  |
| label | delete | ✔ | ✔ |  |  |  |  |
| label | list | ✔ | ✔ | ✔ | ✔ |  | ✔ |
| quota | read | ✔ | ✔ | ✔ | ✔ | ✔ |  |
| repository | create | ✔ | ✔ | ✔ |  |  |  |
| repository | read | ✔ | ✔ | ✔ | ✔ | ✔ |  |
| repository | update | ✔ | ✔ | ✔ |  |  |  |
| repository | delete | ✔ | ✔ |  |  |  |  |
| repository | list | ✔ | ✔ | ✔ | ✔ | ✔ | ✔ |
| repository | pull | ✔ | ✔ | ✔ | ✔ | ✔ | ✔ |
| repository | push | ✔ | ✔ | ✔ |  |  |  |
| tag-retention | create | ✔ | ✔ | ✔ |  |  |  |
| tag-retention | read | ✔ | ✔ | ✔ |  |  |  |
| tag-retention | update | ✔ | ✔ | ✔ |  |  |  |
| tag-retention | delete | ✔ | ✔ | ✔ |  |  |  |
| tag-retention | list | ✔ | ✔ | ✔ |  |  |  |
| tag-retention | operate | ✔ | ✔ | ✔ |  |  |  |
| immutable-tag | create | ✔ | ✔ |  |  |  |  |
| immutable-tag | update | ✔ | ✔ |  |  |  |  |
| immutable-tag | delete | ✔ | ✔ |  |  |  |  |
| immutable-tag | list | ✔ | ✔ |  |  |  |  |
| configuration | read | ✔ | ✔ | ✔ | ✔ | ✔ |  |
| configuration | update | ✔ |  |  |  |  |  |
| robot | create | ✔ |  |  |  |  |  |
| robot | read | ✔ | ✔ | ✔ | ✔ |  |  |
| robot | update | ✔ |  |  |  |  |  |
| robot | delete | ✔ |  |  |  |  |  |
| robot | list | ✔ | ✔ | ✔ | ✔ |  |  |
| notification-policy | create | ✔ |  |  |  |  |  |
| notification-policy | update | ✔ |  |  |  |  |  |
| notification-policy | delete | ✔ |  |  |  |  |  |
| notification-policy | list | ✔ | ✔ |  |  |  |  |
| notification-policy | read | ✔ |  |  |  |  |  |
| scan | create | ✔ | ✔ |  |  |  |  |
| scan | read | ✔ | ✔ | ✔ | ✔ | ✔ | ✔ |
| scan | stop | ✔ | ✔ |  |  |  |  |
| sbom | create | ✔ | ✔ |  |  |  |  |
| sbom | stop | ✔ | ✔ |  |  |  |  |
| sbom | read | ✔ | ✔ | ✔ | ✔ | ✔ |  |
| scanner | read | ✔ | ✔ | ✔ | ✔ | ✔ | ✔ |
| scanner | create | ✔ |  |  |  |  |  |
| artifact | create | ✔ | ✔ | ✔ |  |  |  |
| artifact | read | ✔ | ✔ | ✔ | ✔ | ✔ | ✔ |
| artifact | delete | ✔ | ✔ |  |  |  |  |
| artifact | list | ✔ | ✔ | ✔ | ✔ | ✔ | ✔ |
| artifact-addition | read | ✔ | ✔ | ✔ | ✔ | ✔ | ✔ |
| tag | list | ✔ | ✔ | ✔ | ✔ | ✔ | ✔ |
| tag | create | ✔ | ✔ | ✔ |  |  |  |
| tag | delete | ✔ | ✔ |  |  |  |  |
| accessory | list | ✔ | ✔ | ✔ | ✔ | ✔ | ✔ |
| artifact-label | create | ✔ | ✔ | ✔ |  |  |  |
| artifact-label | delete | ✔ | ✔ | ✔ |  |  |  |
| preheat-policy | create | ✔ |  |  |  |  |  |
| preheat-policy | read | ✔ |  |  |  |  |  |
| preheat-policy | update | ✔ |  |  |  |  |  |
| preheat-policy | delete | ✔ |  |  |  |  |  |
| preheat-policy | list | ✔ |  |  |  |  |  |
| export-cve | create | ✔ | ✔ | ✔ |  |  |  |
| export-cve | read | ✔ | ✔ | ✔ |  |  |  |
| export-cve | list | ✔ | ✔ | ✔ |  |  |  |
"""

ROLES = ("projectAdmin", "maintainer", "developer", "guest", "limitedGuest")
ROLE_IDS = {"projectAdmin": 1, "developer": 2, "guest": 3, "maintainer": 4, "limitedGuest": 5}
PUBLIC = "public"


# havend refuses to start with a HAVEN_* variable it does not know, and the daemons inherit
# this environment: take the variable out at collection, before any daemon starts.
_RBAC_MD_ENV = os.environ.pop("HAVEN_RBAC_MD", None)


def reference_path():
    if _RBAC_MD_ENV:
        return Path(_RBAC_MD_ENV)
    return ROOT.parent / "shared" / "reference" / "harbor-rbac.md"


def parse_matrix(text):
    """{(resource, action): {column: bool}} of a harbor-rbac.md table; the project itself is
    resource "", the public-project column is PUBLIC."""
    rows, columns = {}, None
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if columns is None:
            columns = [re.sub(r"\(.*\)", "", c).strip() for c in cells[2:]]
            columns = [PUBLIC if c.startswith("public") else c for c in columns]
            assert set(ROLES) <= set(columns) and PUBLIC in columns, columns
            continue
        if set(cells[0]) <= set("-: "):
            continue
        resource = "" if cells[0].startswith("(project itself") else cells[0]
        assert len(cells) == 2 + len(columns), line
        rows[(resource, cells[1])] = {col: cell == "✔" for col, cell in zip(columns, cells[2:])}
    return rows


def load_matrix():
    path = reference_path()
    if path.is_file():
        return parse_matrix(path.read_text()), str(path)
    return parse_matrix(EMBEDDED_RBAC_MD), "the copy embedded in test_rbac_matrix.py"


MATRIX, MATRIX_SOURCE = load_matrix()

# Who calls, and which column of the matrix says what they may do.  Project members hold one
# role on a private project; the others hold none (anyone on a public project gets the public
# column).
CALLERS = {
    **{role: role for role in ROLES},
    "nonMember-private": None,
    "anonymous-private": None,
    "anonymous-public": PUBLIC,
    "outsider-public": PUBLIC,
}


def expected(caller, key):
    column = CALLERS[caller]
    return bool(column) and MATRIX[key][column]


# ------------------------------------------------------------------ helpers


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="m"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


OCTET = {"Content-Type": "application/octet-stream"}
_seeds = itertools.count(7000)


def rule_body(tag, repo="**", **extra):
    """An immutable tag rule (harbor-api.md §1.10) for tags matching `tag`."""
    return {"action": "immutable", "template": "immutable_template", "params": {},
            "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": tag}],
            "scope_selectors": {"repository": [{"kind": "doublestar",
                                                "decoration": "repoMatches", "pattern": repo}]},
            **extra}


class Project:
    def __init__(self, pid, name, public):
        self.id, self.name, self.public = pid, name, public
        self.image = None  # <name>/app:v1, also in <name>/scratch untagged
        self.accessory = None  # the digest of an OCI accessory of the image
        self.robot_id = None
        self.label_id = None  # a label of the project
        self.rule_id = None  # an immutable tag rule of the project (matching no tag in use)


class Caller:
    """Someone calling: `api` is a session for /api/v2.0, `v2()` sends a /v2 request (Basic
    for users and robots, an anonymous token from /service/token for anonymous callers)."""

    def __init__(self, registry, key, project, auth=None, username=None, role_id=None):
        self.registry, self.key, self.project = registry, key, project
        self.anonymous = auth is None
        self.username, self.role_id = username, role_id
        self.api = registry.session(auth=auth if auth else False)

    def v2(self, method, repo, tail, headers=None, **kw):
        headers = dict(headers or {})
        if self.anonymous:
            r = self.registry.session(auth=False).get(
                f"{self.registry.url}/service/token",
                params={"service": "harbor-registry",
                        "scope": f"repository:{repo}:pull,push,delete"})
            assert_status(r, 200)
            headers["Authorization"] = "Bearer " + r.json()["token"]
        return self.api.request(method, self.registry.v2(f"{repo}/{tail}"), headers=headers, **kw)


class Call:
    """The caller's response; `success` is the endpoint's success status; `after(allowed)`
    checks what is stored afterwards (the change made, or nothing changed)."""

    def __init__(self, resp, success, surface, after=None, partial=False):
        self.resp, self.success, self.surface, self.after = resp, success, surface, after
        self.partial = partial  # denied callers who may read the project get 200 without it


class World:
    """What every case shares: a private and a public project with an image and a robot each,
    a user per role (members of the private project), an outsider, and spare users that
    member cases add and remove."""

    def __init__(self, registry):
        self.registry = registry
        self.admin = registry.session()
        self.private = self.new_project(public=False)
        self.public = self.new_project(public=True)
        self.users = {}
        for role in ROLES:
            self.users[role] = self.new_user()
            self.add_member(self.private, self.users[role][0], ROLE_IDS[role])
        self.outsider = self.new_user()
        self.newcomer = self.new_user()[0]
        self.victim = self.new_user()[0]
        self.removable = self.new_user()[0]
        for p in (self.private, self.public):
            seed = next(_seeds)
            p.image = registry.push_image(f"{p.name}/app", tag="v1", seed=seed)
            # the artifacts that cases delete or tag live beside it, over the same blobs
            registry.push_image(f"{p.name}/scratch", tag=None, seed=seed)
            p.accessory = self.push_accessory(p)
            p.robot_id = self.new_robot(p)
            p.label_id = self.new_label(p)
            p.rule_id = self.new_rule(p)

    # -- set-up, as the administrator

    def url(self, path):
        return api(self.registry, path)

    def new_project(self, public, name=None):
        name = name or unique("rbac")
        r = self.admin.post(self.url("/projects"), json={
            "project_name": name,
            "metadata": {"public": str(public).lower(), "auto_scan": "true",
                         "prevent_vul": "false"}})
        assert_status(r, 201)
        return Project(int(r.headers["Location"].rsplit("/", 1)[1]), name, public)

    def new_user(self):
        name, pw = unique("u"), "Pw" + uuid.uuid4().hex[:10] + "A1"
        r = self.admin.post(self.url("/users"), json={
            "username": name, "password": pw, "email": f"{name}@e2e.example.com",
            "realname": name})
        assert_status(r, 201)
        return name, pw

    def new_robot(self, project, access=(("repository", "pull"),)):
        r = self.admin.post(self.url("/robots"), json={
            "name": unique("bot"), "description": "rbac", "level": "project", "duration": -1,
            "permissions": [{"kind": "project", "namespace": project.name,
                             "access": [{"resource": a, "action": b} for a, b in access]}]})
        assert_status(r, 201)
        return r.json()["id"]

    def add_member(self, project, username, role_id):
        r = self.admin.post(self.url(f"/projects/{project.id}/members"),
                            json={"role_id": role_id, "member_user": {"username": username}})
        assert_status(r, 201)
        return int(r.headers["Location"].rsplit("/", 1)[1])

    def membership(self, project, username):
        r = self.admin.get(self.url(f"/projects/{project.id}/members"),
                           params={"entityname": username})
        assert_status(r, 200)
        found = [m for m in r.json() if m["entity_name"] == username]
        return found[0] if found else None

    def ensure_member(self, project, username, role_id):
        m = self.membership(project, username)
        if m is None:
            return self.add_member(project, username, role_id)
        if m["role_id"] != role_id:
            assert_status(self.admin.put(self.url(f"/projects/{project.id}/members/{m['id']}"),
                                         json={"role_id": role_id}), 200)
        return m["id"]

    def ensure_not_member(self, project, username):
        m = self.membership(project, username)
        if m is not None:
            assert_status(self.admin.delete(
                self.url(f"/projects/{project.id}/members/{m['id']}")), 200)

    def get(self, path, status=200):
        r = self.admin.get(self.url(path))
        assert_status(r, status)
        return r.json()

    def meta(self, project, key):
        r = self.admin.get(self.url(f"/projects/{project.id}/metadatas/{key}"))
        assert r.status_code in (200, 404), r.text
        return r.json()[key] if r.status_code == 200 else None

    def manifest_status(self, repo, ref):
        r = self.admin.get(self.registry.v2(f"{repo}/manifests/{ref}"),
                           headers={"Accept": OCI_MANIFEST})
        assert r.status_code in (200, 404), r.text
        return r.status_code

    # -- artifacts, labels and immutable rules

    def artifacts(self, project, repo="app", tail=""):
        """The API path of a repository's artifacts (single-level names need no encoding)."""
        return f"/projects/{project.name}/repositories/{repo}/artifacts{tail}"

    def push_accessory(self, p):
        """An OCI artifact whose subject is the project's image: an accessory of it."""
        repo = f"{p.name}/app"
        payload = uuid.uuid4().bytes
        for blob in (b"{}", payload):
            self.registry.push_blob(repo, blob)
        body = canonical({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.example.rbac.v1",
            "config": descriptor(OCI_EMPTY, b"{}"),
            "layers": [descriptor("application/octet-stream", payload)],
            "subject": p.image.descriptor()})
        d = digest_of(body)
        assert_status(self.registry.push_manifest(repo, d, body), 201)
        return d

    def new_artifact(self, p, tag=None):
        """A new artifact in <project>/scratch over the image's blobs; its digest."""
        body = canonical({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": descriptor(OCI_CONFIG, p.image.config),
            "layers": [descriptor(OCI_LAYER, b) for b in p.image.layers],
            "annotations": {"e2e.unique": uuid.uuid4().hex}})
        d = digest_of(body)
        assert_status(self.registry.push_manifest(f"{p.name}/scratch", tag or d, body), 201)
        return d

    def artifact_status(self, p, repo, ref):
        r = self.admin.get(self.url(self.artifacts(p, repo, f"/{ref}")))
        assert r.status_code in (200, 404), r.text
        return r.status_code

    def tag_names(self, p, repo, ref):
        return [t["name"] for t in self.get(self.artifacts(p, repo, f"/{ref}/tags"))]

    def attached(self, p, ref="v1"):
        """Ids of the labels on an artifact of <project>/app."""
        r = self.admin.get(self.url(self.artifacts(p, "app", f"/{ref}")),
                           params={"with_label": "true"})
        assert_status(r, 200)
        return [x["id"] for x in r.json()["labels"]]

    def new_label(self, p, **body):
        body = {"name": unique("label-"), "scope": "p", "project_id": p.id, **body}
        r = self.admin.post(self.url("/labels"), json=body)
        assert_status(r, 201)
        return int(r.headers["Location"].rsplit("/", 1)[1])

    def label(self, lid):
        """The label, or None when it does not exist."""
        r = self.admin.get(self.url(f"/labels/{lid}"))
        assert r.status_code in (200, 404), r.text
        return r.json() if r.status_code == 200 else None

    def drop_label(self, lid):
        if self.label(lid) is not None:
            assert_status(self.admin.delete(self.url(f"/labels/{lid}")), 200)

    def rules_path(self, p, rid=None):
        return f"/projects/{p.name}/immutabletagrules" + (f"/{rid}" if rid else "")

    def rules(self, p):
        r = self.admin.get(self.url(self.rules_path(p)), params={"page_size": 100})
        assert_status(r, 200)
        return {x["id"]: x for x in r.json()}

    def new_rule(self, p, tag=None):
        r = self.admin.post(self.url(self.rules_path(p)), json=rule_body(tag or unique("never-")))
        assert_status(r, 201)
        return int(r.headers["Location"].rsplit("/", 1)[1])

    def drop_rule(self, p, rid):
        if rid in self.rules(p):
            assert_status(self.admin.delete(self.url(self.rules_path(p, rid))), 200)

    def throwaway(self, caller):
        """An empty project like the caller's, where the caller holds its role."""
        p = self.new_project(caller.project.public)
        if caller.role_id:
            self.add_member(p, caller.username, caller.role_id)
        return p

    def project_exists(self, name):
        r = self.admin.head(self.url("/projects"), params={"project_name": name})
        assert r.status_code in (200, 404), r.status_code
        return r.status_code == 200

    def callers(self):
        reg = self.registry
        out = {}
        for role in ROLES:
            name, pw = self.users[role]
            out[role] = Caller(reg, role, self.private, (name, pw), name, ROLE_IDS[role])
        out["nonMember-private"] = Caller(reg, "nonMember-private", self.private, self.outsider,
                                          self.outsider[0])
        out["anonymous-private"] = Caller(reg, "anonymous-private", self.private)
        out["anonymous-public"] = Caller(reg, "anonymous-public", self.public)
        out["outsider-public"] = Caller(reg, "outsider-public", self.public, self.outsider,
                                        self.outsider[0])
        return out


@pytest.fixture(scope="module")
def world(registry):
    w = World(registry)
    w.by_key = w.callers()
    return w


# ------------------------------------------------------------------ one request per row


def project_read(w, c):
    r = c.api.get(w.url(f"/projects/{c.project.id}"))

    def after(allowed):
        if allowed:
            assert r.json()["name"] == c.project.name
    return Call(r, 200, "api", after)


def project_update(w, c):
    before = w.get(f"/projects/{c.project.id}")
    new = "false" if before["metadata"].get("auto_scan") == "true" else "true"
    r = c.api.put(w.url(f"/projects/{c.project.id}"), json={"metadata": {"auto_scan": new}})

    def after(allowed):
        now = w.get(f"/projects/{c.project.id}")
        if allowed:
            assert now["metadata"]["auto_scan"] == new
        else:
            assert now == before
    return Call(r, 200, "api", after)


def project_delete(w, c):
    p = w.throwaway(c)
    r = c.api.delete(w.url(f"/projects/{p.id}"))

    def after(allowed):
        assert w.project_exists(p.name) != allowed
        if not allowed:
            assert_status(w.admin.delete(w.url(f"/projects/{p.id}")), 200)
    return Call(r, 200, "api", after)


def member_create(w, c):
    w.ensure_not_member(c.project, w.newcomer)
    r = c.api.post(w.url(f"/projects/{c.project.id}/members"),
                   json={"role_id": 2, "member_user": {"username": w.newcomer}})

    def after(allowed):
        m = w.membership(c.project, w.newcomer)
        if allowed:
            assert m is not None and m["role_id"] == 2
        else:
            assert m is None
    return Call(r, 201, "api", after)


def member_read(w, c):
    mid = w.ensure_member(c.project, w.victim, 3)
    r = c.api.get(w.url(f"/projects/{c.project.id}/members/{mid}"))

    def after(allowed):
        if allowed:
            assert (r.json()["entity_name"], r.json()["role_id"]) == (w.victim, 3)
    return Call(r, 200, "api", after)


def member_update(w, c):
    mid = w.ensure_member(c.project, w.victim, 3)
    r = c.api.put(w.url(f"/projects/{c.project.id}/members/{mid}"), json={"role_id": 4})

    def after(allowed):
        assert w.membership(c.project, w.victim)["role_id"] == (4 if allowed else 3)
    return Call(r, 200, "api", after)


def member_delete(w, c):
    mid = w.ensure_member(c.project, w.removable, 3)
    r = c.api.delete(w.url(f"/projects/{c.project.id}/members/{mid}"))

    def after(allowed):
        assert (w.membership(c.project, w.removable) is None) == allowed
    return Call(r, 200, "api", after)


def member_list(w, c):
    r = c.api.get(w.url(f"/projects/{c.project.id}/members"))

    def after(allowed):
        if allowed:
            assert "admin" in [m["entity_name"] for m in r.json()]
    return Call(r, 200, "api", after)


def metadata_create(w, c):
    base = f"/projects/{c.project.id}/metadatas"
    if w.meta(c.project, "severity") is not None:
        assert_status(w.admin.delete(w.url(base + "/severity")), 200)
    r = c.api.post(w.url(base), json={"severity": "low"})

    def after(allowed):
        assert w.meta(c.project, "severity") == ("low" if allowed else None)
    return Call(r, 200, "api", after)


def metadata_read(w, c):
    r = c.api.get(w.url(f"/projects/{c.project.id}/metadatas/prevent_vul"))

    def after(allowed):
        if allowed:
            assert r.json() == {"prevent_vul": w.meta(c.project, "prevent_vul")}
    return Call(r, 200, "api", after)


def metadata_update(w, c):
    old = w.meta(c.project, "prevent_vul")
    new = "false" if old == "true" else "true"
    r = c.api.put(w.url(f"/projects/{c.project.id}/metadatas/prevent_vul"),
                  json={"prevent_vul": new})

    def after(allowed):
        assert w.meta(c.project, "prevent_vul") == (new if allowed else old)
    return Call(r, 200, "api", after)


def metadata_delete(w, c):
    base = f"/projects/{c.project.id}/metadatas"
    if w.meta(c.project, "auto_sbom_generation") is None:
        assert_status(w.admin.post(w.url(base), json={"auto_sbom_generation": "false"}), 200)
    r = c.api.delete(w.url(base + "/auto_sbom_generation"))

    def after(allowed):
        assert w.meta(c.project, "auto_sbom_generation") == (None if allowed else "false")
    return Call(r, 200, "api", after)


def log_list(w, c):
    r = c.api.get(w.url(f"/projects/{c.project.name}/logs"))

    def after(allowed):
        if allowed:
            assert isinstance(r.json(), list)
    return Call(r, 200, "api", after)


def quota_read(w, c):
    """The summary shows the quota only to those who may read it."""
    r = c.api.get(w.url(f"/projects/{c.project.id}/summary"))

    def after(allowed):
        if allowed:
            assert set(r.json()["quota"]) == {"hard", "used"}
    return Call(r, 200, "api", after, partial=True)


def repository_pull(w, c):
    p = c.project
    r = c.v2("GET", f"{p.name}/app", "manifests/v1", headers={"Accept": OCI_MANIFEST})

    def after(allowed):
        if allowed:
            assert r.content == p.image.manifest
    return Call(r, 200, "v2", after)


def repository_push(w, c):
    repo = f"{c.project.name}/app"
    data = os.urandom(256)
    d = digest_of(data)
    r = c.v2("POST", repo, "blobs/uploads/", params={"digest": d}, data=data, headers=OCTET)

    def after(allowed):
        got = w.admin.head(w.registry.v2(f"{repo}/blobs/{d}"))
        assert got.status_code == (200 if allowed else 404)
    return Call(r, 201, "v2", after)


def repository_read(w, c):
    p = c.project
    r = c.api.get(w.url(f"/projects/{p.name}/repositories/app"))

    def after(allowed):
        if allowed:
            assert r.json()["name"] == f"{p.name}/app"
    return Call(r, 200, "api", after)


def repository_list(w, c):
    p = c.project
    r = c.api.get(w.url(f"/projects/{p.name}/repositories"))

    def after(allowed):
        if allowed:
            assert f"{p.name}/app" in [x["name"] for x in r.json()]
    return Call(r, 200, "api", after)


def repository_update(w, c):
    path = f"/projects/{c.project.name}/repositories/app"
    before = w.get(path)
    description = unique("about")
    r = c.api.put(w.url(path), json={"description": description})

    def after(allowed):
        now = w.get(path)
        if allowed:
            assert now["description"] == description
        else:
            assert now == before
    return Call(r, 200, "api", after)


def repository_delete(w, c):
    p, name = c.project, unique("gone")
    img = w.registry.push_image(f"{p.name}/{name}", tag="v1", seed=next(_seeds))
    r = c.api.delete(w.url(f"/projects/{p.name}/repositories/{name}"))

    def after(allowed):
        assert_status(w.admin.get(w.url(f"/projects/{p.name}/repositories/{name}")),
                      404 if allowed else 200)
        assert w.manifest_status(f"{p.name}/{name}", img.digest) == (404 if allowed else 200)
    return Call(r, 200, "api", after)


# -- artifacts, tags, accessories and additions (harbor-api.md §1.3)


def artifact_list(w, c):
    p = c.project
    r = c.api.get(w.url(w.artifacts(p)))

    def after(allowed):
        if allowed:
            assert [a["digest"] for a in r.json()] == [p.image.digest]
    return Call(r, 200, "api", after)


def artifact_read(w, c):
    p = c.project
    r = c.api.get(w.url(w.artifacts(p, tail="/v1")))

    def after(allowed):
        if allowed:
            assert r.json()["digest"] == p.image.digest
    return Call(r, 200, "api", after)


def artifact_delete(w, c):
    p = c.project
    d = w.new_artifact(p)
    r = c.api.delete(w.url(w.artifacts(p, "scratch", f"/{d}")))

    def after(allowed):
        assert w.artifact_status(p, "scratch", d) == (404 if allowed else 200)
        assert w.manifest_status(f"{p.name}/scratch", d) == (404 if allowed else 200)
    return Call(r, 200, "api", after)


def artifact_create(w, c):
    """Copy the project's image into a new repository of the project."""
    p = c.project
    repo = unique("copy")
    r = c.api.post(w.url(w.artifacts(p, repo)), params={"from": f"{p.name}/app:v1"})

    def after(allowed):
        assert w.artifact_status(p, repo, p.image.digest) == (200 if allowed else 404)
        assert w.manifest_status(f"{p.name}/{repo}", "v1") == (200 if allowed else 404)
    return Call(r, 201, "api", after)


def addition_read(w, c):
    r = c.api.get(w.url(w.artifacts(c.project, tail="/v1/additions/build_history")))

    def after(allowed):
        if allowed:
            assert isinstance(r.json(), list)
    return Call(r, 200, "api", after)


def tag_list(w, c):
    r = c.api.get(w.url(w.artifacts(c.project, tail="/v1/tags")))

    def after(allowed):
        if allowed:
            assert "v1" in [t["name"] for t in r.json()]
    return Call(r, 200, "api", after)


def tag_create(w, c):
    p = c.project
    d, tag = w.new_artifact(p), unique("t")
    r = c.api.post(w.url(w.artifacts(p, "scratch", f"/{d}/tags")), json={"name": tag})

    def after(allowed):
        assert w.tag_names(p, "scratch", d) == ([tag] if allowed else [])
        assert w.manifest_status(f"{p.name}/scratch", tag) == (200 if allowed else 404)
    return Call(r, 201, "api", after)


def tag_delete(w, c):
    p = c.project
    tag = unique("d")
    d = w.new_artifact(p, tag=tag)
    r = c.api.delete(w.url(w.artifacts(p, "scratch", f"/{d}/tags/{tag}")))

    def after(allowed):
        assert w.tag_names(p, "scratch", d) == ([] if allowed else [tag])
        assert w.artifact_status(p, "scratch", d) == 200  # the artifact stays
    return Call(r, 200, "api", after)


def accessory_list(w, c):
    p = c.project
    r = c.api.get(w.url(w.artifacts(p, tail="/v1/accessories")))

    def after(allowed):
        if allowed:
            assert [a["digest"] for a in r.json()] == [p.accessory]
    return Call(r, 200, "api", after)


# -- labels of the project (harbor-api.md §1.4) and of its artifacts


def label_create(w, c):
    p, name = c.project, unique("new-")
    r = c.api.post(w.url("/labels"), json={"name": name, "scope": "p", "project_id": p.id})

    def after(allowed):
        got = w.admin.get(w.url("/labels"),
                          params={"scope": "p", "project_id": p.id, "name": name})
        assert_status(got, 200)
        assert [x["name"] for x in got.json()] == ([name] if allowed else [])
        for x in got.json():
            w.drop_label(x["id"])
    return Call(r, 201, "api", after)


def label_read(w, c):
    p = c.project
    r = c.api.get(w.url(f"/labels/{p.label_id}"))

    def after(allowed):
        if allowed:
            assert (r.json()["id"], r.json()["project_id"]) == (p.label_id, p.id)
    return Call(r, 200, "api", after)


def label_list(w, c):
    p = c.project
    r = c.api.get(w.url("/labels"), params={"scope": "p", "project_id": p.id, "page_size": 100})

    def after(allowed):
        if allowed:
            assert p.label_id in [x["id"] for x in r.json()]
    return Call(r, 200, "api", after)


def label_update(w, c):
    lid = w.new_label(c.project, description="before")
    before = w.label(lid)
    r = c.api.put(w.url(f"/labels/{lid}"), json={
        "name": before["name"], "description": "after", "color": before["color"]})

    def after(allowed):
        now = w.label(lid)
        if allowed:
            assert now["description"] == "after" and now["name"] == before["name"]
        else:
            assert now == before
        w.drop_label(lid)
    return Call(r, 200, "api", after)


def label_delete(w, c):
    lid = w.new_label(c.project)
    r = c.api.delete(w.url(f"/labels/{lid}"))

    def after(allowed):
        assert (w.label(lid) is None) == allowed
        w.drop_label(lid)
    return Call(r, 200, "api", after)


def artifact_label_create(w, c):
    p = c.project
    lid = w.new_label(p)
    r = c.api.post(w.url(w.artifacts(p, tail="/v1/labels")), json={"id": lid})

    def after(allowed):
        assert (lid in w.attached(p)) == allowed
        w.drop_label(lid)
    return Call(r, 200, "api", after)


def artifact_label_delete(w, c):
    p = c.project
    lid = w.new_label(p)
    assert_status(w.admin.post(w.url(w.artifacts(p, tail="/v1/labels")), json={"id": lid}), 200)
    r = c.api.delete(w.url(w.artifacts(p, tail=f"/v1/labels/{lid}")))

    def after(allowed):
        assert (lid in w.attached(p)) != allowed
        w.drop_label(lid)
    return Call(r, 200, "api", after)


# -- immutable tag rules (harbor-api.md §1.10); each matches only a tag nobody pushes


def immutable_list(w, c):
    p = c.project
    r = c.api.get(w.url(w.rules_path(p)))

    def after(allowed):
        if allowed:
            assert p.rule_id in [x["id"] for x in r.json()]
    return Call(r, 200, "api", after)


def immutable_create(w, c):
    p, tag = c.project, unique("never-")
    r = c.api.post(w.url(w.rules_path(p)), json=rule_body(tag))

    def after(allowed):
        made = [rid for rid, x in w.rules(p).items()
                if x["tag_selectors"][0]["pattern"] == tag]
        assert len(made) == (1 if allowed else 0)
        for rid in made:
            w.drop_rule(p, rid)
    return Call(r, 201, "api", after)


def immutable_update(w, c):
    p = c.project
    rid = w.new_rule(p)
    before = w.rules(p)[rid]
    r = c.api.put(w.url(w.rules_path(p, rid)), json=dict(before, disabled=True))

    def after(allowed):
        now = w.rules(p)[rid]
        if allowed:
            assert now == dict(before, disabled=True)
        else:
            assert now == before
        w.drop_rule(p, rid)
    return Call(r, 200, "api", after)


def immutable_delete(w, c):
    p = c.project
    rid = w.new_rule(p)
    r = c.api.delete(w.url(w.rules_path(p, rid)))

    def after(allowed):
        assert (rid in w.rules(p)) != allowed
        w.drop_rule(p, rid)
    return Call(r, 200, "api", after)


# -- /v2 requests that the repository rows govern besides their API endpoints


def v2_manifest_delete(w, c):
    """DELETE /v2/<p>/scratch/manifests/<digest> of an artifact of its own."""
    p = c.project
    d = w.new_artifact(p)
    r = c.v2("DELETE", f"{p.name}/scratch", f"manifests/{d}")

    def after(allowed):
        assert w.manifest_status(f"{p.name}/scratch", d) == (404 if allowed else 200)
    return Call(r, 202, "v2", after)


def v2_tag_push(w, c):
    """PUT /v2/<p>/app/manifests/<new tag> of the image the repository holds."""
    p = c.project
    repo, tag = f"{p.name}/app", unique("t")
    r = c.v2("PUT", repo, f"manifests/{tag}", data=p.image.manifest,
             headers={"Content-Type": OCI_MANIFEST})

    def after(allowed):
        assert w.manifest_status(repo, tag) == (200 if allowed else 404)
    return Call(r, 201, "v2", after)


def v2_tag_list(w, c):
    r = c.v2("GET", f"{c.project.name}/app", "tags/list")

    def after(allowed):
        if allowed:
            assert "v1" in r.json()["tags"]
    return Call(r, 200, "v2", after)


def robot_create(w, c):
    p = c.project
    name = unique("new")
    r = c.api.post(w.url("/robots"), json={
        "name": name, "description": "", "level": "project", "duration": -1,
        "permissions": [{"kind": "project", "namespace": p.name,
                         "access": [{"resource": "repository", "action": "pull"}]}]})

    def after(allowed):
        got = w.admin.get(w.url("/robots"),
                          params={"q": f"Level=project,ProjectID={p.id},name=~{name}"})
        assert_status(got, 200)
        assert len(got.json()) == (1 if allowed else 0)
        for robot in got.json():
            assert_status(w.admin.delete(w.url(f"/robots/{robot['id']}")), 200)
    return Call(r, 201, "api", after)


def robot_read(w, c):
    r = c.api.get(w.url(f"/robots/{c.project.robot_id}"))

    def after(allowed):
        if allowed:
            assert r.json()["id"] == c.project.robot_id and "secret" not in r.json()
    return Call(r, 200, "api", after)


def robot_list(w, c):
    r = c.api.get(w.url("/robots"), params={"q": f"Level=project,ProjectID={c.project.id}"})

    def after(allowed):
        if allowed:
            assert c.project.robot_id in [x["id"] for x in r.json()]
    return Call(r, 200, "api", after)


def robot_update(w, c):
    url = f"/robots/{c.project.robot_id}"
    before = w.get(url)
    body = dict(before, description=unique("changed"))
    r = c.api.put(w.url(url), json=body)

    def after(allowed):
        now = w.get(url)
        if allowed:
            assert now["description"] == body["description"]
        else:
            assert now == before
    return Call(r, 200, "api", after)


def robot_delete(w, c):
    rid = w.new_robot(c.project)
    r = c.api.delete(w.url(f"/robots/{rid}"))

    def after(allowed):
        assert_status(w.admin.get(w.url(f"/robots/{rid}")), 404 if allowed else 200)
    return Call(r, 200, "api", after)


# (resource, action) -> the request whose permission check is that row in Harbor.
PROBES = {
    ("", "read"): project_read,
    ("", "update"): project_update,
    ("", "delete"): project_delete,
    ("member", "create"): member_create,
    ("member", "read"): member_read,
    ("member", "update"): member_update,
    ("member", "delete"): member_delete,
    ("member", "list"): member_list,
    ("metadata", "create"): metadata_create,
    ("metadata", "read"): metadata_read,
    ("metadata", "update"): metadata_update,
    ("metadata", "delete"): metadata_delete,
    ("log", "list"): log_list,
    ("label", "create"): label_create,
    ("label", "read"): label_read,
    ("label", "update"): label_update,
    ("label", "delete"): label_delete,
    ("label", "list"): label_list,
    ("quota", "read"): quota_read,
    ("repository", "read"): repository_read,
    ("repository", "list"): repository_list,
    ("repository", "update"): repository_update,
    ("repository", "delete"): repository_delete,
    ("repository", "pull"): repository_pull,
    ("repository", "push"): repository_push,
    ("immutable-tag", "create"): immutable_create,
    ("immutable-tag", "update"): immutable_update,
    ("immutable-tag", "delete"): immutable_delete,
    ("immutable-tag", "list"): immutable_list,
    ("robot", "create"): robot_create,
    ("robot", "read"): robot_read,
    ("robot", "list"): robot_list,
    ("robot", "update"): robot_update,
    ("robot", "delete"): robot_delete,
    ("artifact", "create"): artifact_create,
    ("artifact", "read"): artifact_read,
    ("artifact", "delete"): artifact_delete,
    ("artifact", "list"): artifact_list,
    ("artifact-addition", "read"): addition_read,
    ("tag", "list"): tag_list,
    ("tag", "create"): tag_create,
    ("tag", "delete"): tag_delete,
    ("accessory", "list"): accessory_list,
    ("artifact-label", "create"): artifact_label_create,
    ("artifact-label", "delete"): artifact_label_delete,
}

# The /v2 requests that Harbor checks against the repository rows (v2auth: GET/HEAD pull,
# POST/PUT/PATCH push, DELETE delete), beside the rows' own probes above.
V2_PROBES = {
    ("repository", "pull"): v2_tag_list,
    ("repository", "push"): v2_tag_push,
    ("repository", "delete"): v2_manifest_delete,
}


def denial(caller, surface):
    if caller.anonymous or surface == "v2":
        return 401, "UNAUTHORIZED"
    return 403, "FORBIDDEN"


def run(w, caller, key, allowed, may_read_project=False, probes=None):
    call = (probes or PROBES)[key](w, caller)
    what = f"{caller.key} {key[0] or 'project'}:{key[1]} should be " + \
        ("allowed" if allowed else "denied")
    if allowed:
        assert call.resp.status_code == call.success, (
            f"{what}: {call.resp.request.method} {call.resp.request.url} answered "
            f"{call.resp.status_code} {call.resp.text[:300]!r}")
    elif call.partial and may_read_project:
        assert_status(call.resp, 200)
        assert "quota" not in call.resp.json(), f"{what}: {call.resp.json()}"
    else:
        status, code = denial(caller, call.surface)
        assert call.resp.status_code == status, (
            f"{what}: {call.resp.request.method} {call.resp.request.url} answered "
            f"{call.resp.status_code} {call.resp.text[:300]!r}")
        assert_error(call.resp, status, code)
        if call.surface == "v2":
            challenge = call.resp.headers.get("WWW-Authenticate", "")
            assert challenge.startswith("Bearer ") and \
                challenge.endswith(',error="insufficient_scope"'), f"{what}: {challenge}"
    if call.after:
        call.after(allowed)


def label(key):
    return key[0] or "project"


MAPPED = [key for key in MATRIX if key in PROBES]
UNMAPPED = [key for key in MATRIX if key not in PROBES]


@pytest.mark.parametrize("caller,key", [(c, k) for c in CALLERS for k in MAPPED],
                         ids=[f"{c}-{label(k)}-{k[1]}" for c in CALLERS for k in MAPPED])
def test_matrix(world, caller, key):
    run(world, world.by_key[caller], key, expected(caller, key),
        may_read_project=expected(caller, ("", "read")))


@pytest.mark.parametrize("caller,key", [(c, k) for c in CALLERS for k in V2_PROBES],
                         ids=[f"{c}-{label(k)}-{k[1]}" for c in CALLERS for k in V2_PROBES])
def test_matrix_over_v2(world, caller, key):
    run(world, world.by_key[caller], key, expected(caller, key), probes=V2_PROBES)


def test_rows_without_an_endpoint_yet():
    if UNMAPPED:
        pytest.skip(f"{len(UNMAPPED)} of {len(MATRIX)} rows have no endpoint served yet: "
                    + ", ".join(f"{label(k)}:{k[1]}" for k in UNMAPPED))


def test_every_probe_is_a_row_of_the_matrix():
    assert len(MATRIX) >= 70, MATRIX_SOURCE
    assert set(PROBES) <= set(MATRIX), set(PROBES) - set(MATRIX)
    assert set(V2_PROBES) <= set(PROBES), set(V2_PROBES) - set(PROBES)


def test_embedded_copy_is_the_reference():
    path = reference_path()
    if not path.is_file():
        pytest.skip(f"{path} is not reachable; the embedded copy is in use")
    assert parse_matrix(EMBEDDED_RBAC_MD) == parse_matrix(path.read_text())


# ------------------------------------------------------------------ robots

# A project robot's grants, as matrix rows (a robot names the project itself "project").
ROBOT_GRANTS = [("", "read"), ("repository", "pull"), ("repository", "push"),
                ("repository", "delete"), ("member", "list"), ("metadata", "read"),
                ("log", "list"), ("robot", "read"), ("artifact", "read"), ("artifact", "list"),
                ("artifact-addition", "read"), ("tag", "list"), ("tag", "create"),
                ("accessory", "list"), ("artifact-label", "create"), ("label", "read"),
                ("label", "list"), ("immutable-tag", "list")]
# rows whose endpoint checks a permission the robot does not hold; repository push and
# delete are not artifact create (copy) and artifact delete in Harbor's API
ROBOT_NOT_GRANTED = [("", "update"), ("member", "create"), ("member", "read"),
                     ("member", "delete"), ("metadata", "create"), ("metadata", "update"),
                     ("repository", "read"), ("repository", "update"), ("robot", "list"),
                     ("robot", "create"), ("robot", "delete"), ("quota", "read"),
                     ("artifact", "create"), ("artifact", "delete"), ("tag", "delete"),
                     ("artifact-label", "delete"), ("label", "create"), ("label", "update"),
                     ("label", "delete"), ("immutable-tag", "create"),
                     ("immutable-tag", "update"), ("immutable-tag", "delete")]


def robot_access(keys):
    return [{"resource": r or "project", "action": a} for r, a in keys]


@pytest.fixture(scope="module")
def project_robot(world):
    r = world.admin.post(world.url("/robots"), json={
        "name": unique("granted"), "description": "", "level": "project", "duration": -1,
        "permissions": [{"kind": "project", "namespace": world.private.name,
                         "access": robot_access(ROBOT_GRANTS)}]})
    assert_status(r, 201)
    return Caller(world.registry, "project-robot", world.private,
                  (r.json()["name"], r.json()["secret"]))


@pytest.mark.parametrize("key", ROBOT_GRANTS, ids=[f"{label(k)}-{k[1]}" for k in ROBOT_GRANTS])
def test_project_robot_may_do_what_it_was_granted(world, project_robot, key):
    run(world, project_robot, key, True)


@pytest.mark.parametrize("key", ROBOT_NOT_GRANTED,
                         ids=[f"{label(k)}-{k[1]}" for k in ROBOT_NOT_GRANTED])
def test_project_robot_may_not_do_anything_else(world, project_robot, key):
    # it may read the project, so the summary comes without the quota
    run(world, project_robot, key, False, may_read_project=True)


@pytest.mark.parametrize("key", V2_PROBES, ids=[f"{label(k)}-{k[1]}" for k in V2_PROBES])
def test_project_robot_over_v2(world, project_robot, key):
    run(world, project_robot, key, True, probes=V2_PROBES)


def robot_caller(world, level, keys, key="robot"):
    r = world.admin.post(world.url("/robots"), json={
        "name": unique("bot"), "description": "", "level": level, "duration": -1,
        "permissions": [{"kind": "project", "namespace": world.private.name,
                         "access": robot_access(keys)}]})
    assert_status(r, 201)
    return Caller(world.registry, key, world.private, (r.json()["name"], r.json()["secret"]))


def test_project_robot_push_implies_pull(world):
    """As in Harbor, a project robot that may push may also pull (docker push needs it)."""
    run(world, robot_caller(world, "project", [("repository", "push")]),
        ("repository", "pull"), True)


def test_system_robot_push_does_not_imply_pull(world):
    """Harbor adds pull to push for project-level robots only (harbor-api.md §2.4)."""
    robot = robot_caller(world, "system", [("repository", "push")], key="system-robot")
    run(world, robot, ("repository", "push"), True)
    run(world, robot, ("repository", "pull"), False)


def test_artifact_permissions_are_not_repository_permissions(world):
    """Harbor's artifact API checks artifact and tag permissions (copy: artifact create on
    the target, artifact read on the source); /v2 checks repository ones."""
    robot = robot_caller(world, "project", [("artifact", "create"), ("artifact", "read"),
                                            ("artifact", "delete"), ("tag", "create"),
                                            ("tag", "delete")])
    for key in (("artifact", "create"), ("artifact", "delete"), ("tag", "create"),
                ("tag", "delete")):
        run(world, robot, key, True)
    for key in V2_PROBES:
        run(world, robot, key, False, probes=V2_PROBES)
    run(world, robot, ("repository", "push"), False)


def test_project_robot_is_confined_to_its_project(world, project_robot):
    other = Caller(world.registry, "project-robot", world.public, project_robot.api.auth)
    # the public project lets anyone pull and read artifacts, not push, delete, tag or list
    # members
    for key in (("repository", "pull"), ("artifact", "read"), ("label", "list")):
        run(world, other, key, True)
    for key in (("repository", "push"), ("repository", "delete"), ("member", "list"),
                ("tag", "create"), ("artifact-label", "create"), ("immutable-tag", "list")):
        run(world, other, key, False)


SYSTEM_GRANTS = [("project", "create"), ("audit-log", "list"), ("catalog", "read")]


@pytest.fixture(scope="module")
def system_robot(world):
    r = world.admin.post(world.url("/robots"), json={
        "name": unique("sysbot"), "description": "", "level": "system", "duration": -1,
        "permissions": [{"kind": "system", "namespace": "/",
                         "access": [{"resource": a, "action": b} for a, b in SYSTEM_GRANTS]}]})
    assert_status(r, 201)
    return Caller(world.registry, "system-robot", world.private,
                  (r.json()["name"], r.json()["secret"]))


def test_system_robot_creates_projects_it_then_cannot_enter(world, system_robot):
    name = unique("sysmade")
    r = system_robot.api.post(world.url("/projects"), json={"project_name": name})
    assert_status(r, 201)
    p = world.get(f"/projects/{name}")
    assert p["owner_name"] == "admin"
    # creating a project grants nothing in it
    assert_error(system_robot.api.get(world.url(f"/projects/{name}")), 403, "FORBIDDEN")
    assert_error(system_robot.api.get(world.url(f"/projects/{name}/members")), 403, "FORBIDDEN")


def test_system_robot_reads_the_audit_log(world, system_robot):
    r = system_robot.api.get(world.url("/audit-logs"), params={"page_size": 5})
    assert_status(r, 200)
    assert isinstance(r.json(), list) and int(r.headers["X-Total-Count"]) > 0


def test_system_robot_reads_the_catalog(world, system_robot):
    # the first repository after "<private>/ap" is "<private>/app"
    r = system_robot.api.get(world.registry.v2("_catalog"),
                             params={"n": 1, "last": f"{world.private.name}/ap"})
    assert_status(r, 200)
    assert r.json()["repositories"] == [f"{world.private.name}/app"]


SYSTEM_NO_PROJECT = [("", "read"), ("", "update"), ("member", "list"), ("metadata", "read"),
                     ("log", "list"), ("robot", "list"), ("repository", "pull"),
                     ("repository", "push"), ("repository", "delete"), ("artifact", "list"),
                     ("tag", "list"), ("label", "list"), ("immutable-tag", "list")]


@pytest.mark.parametrize("key", SYSTEM_NO_PROJECT,
                         ids=[f"{label(k)}-{k[1]}" for k in SYSTEM_NO_PROJECT])
def test_system_robot_has_no_project_permission(world, system_robot, key):
    run(world, system_robot, key, False)


def test_system_robot_has_only_its_system_permissions(world, system_robot):
    s = system_robot.api
    assert_error(s.get(world.url("/users")), 403, "FORBIDDEN")
    name = unique("u")
    r = s.post(world.url("/users"), json={"username": name, "password": "Pw123456789aA",
                                         "email": f"{name}@e2e.example.com", "realname": name})
    assert_error(r, 403, "FORBIDDEN")
    r = world.admin.get(world.url("/users"), params={"q": f"username={name}"})
    assert r.json() == []
    assert_error(s.get(world.url("/robots")), 403, "FORBIDDEN")
    assert_error(s.get(world.url("/systeminfo/volumes")), 403, "FORBIDDEN")
