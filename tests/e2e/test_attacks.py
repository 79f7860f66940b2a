"""Bad input and attacks: wrong and unknown credentials, robots that should no longer get in
(disabled, expired, of a deleted project), forged and misused registry tokens, robots
reaching outside their project, oversized and malformed JSON, robot names that impersonate,
repeated failed logins, and no password, secret or token in the daemon's log.

What other files already cover is not repeated here: a guest pushing and a limited guest
listing members (test_rbac_matrix.py, test_api_members.py), alg "none" and an edited access
claim (test_tokens.py), a robot pushing to another project and the robot name rules
(test_api_robots.py).  Each refused request is followed by a check that nothing changed.
Every password, secret and token used is remembered; the last test looks for each in the
daemon's log.
"""

import base64
import json
import os
import re
import statistics
import time
import uuid

import pytest

from havenlib import OCI_MANIFEST, assert_error, assert_insufficient_scope, assert_status, digest_of

OCTET = {"Content-Type": "application/octet-stream"}
SECRETS = []  # every password, secret and token of this module, for the log check


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="x"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def remember(*values):
    SECRETS.extend(v for v in values if v)
    return values[0] if len(values) == 1 else values


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def new_user(registry, admin):
    """Creates a user; returns (id, name, password)."""
    name = unique("u")
    pw = remember("Pw" + uuid.uuid4().hex[:12] + "A1")
    r = admin.post(api(registry, "/users"), json={
        "username": name, "password": pw, "email": f"{name}@e2e.example.com", "realname": name})
    assert_status(r, 201)
    return int(r.headers["Location"].rsplit("/", 1)[1]), name, pw


def new_project(registry, admin, public=False, name=None):
    name = name or unique("atk")
    r = admin.post(api(registry, "/projects"),
                   json={"project_name": name, "metadata": {"public": str(public).lower()}})
    assert_status(r, 201)
    return int(r.headers["Location"].rsplit("/", 1)[1]), name


def add_member(registry, admin, project, username, role_id):
    r = admin.post(api(registry, f"/projects/{project}/members"),
                   json={"role_id": role_id, "member_user": {"username": username}})
    assert_status(r, 201)
    return int(r.headers["Location"].rsplit("/", 1)[1])


def new_robot(registry, admin, namespace, access, level="project", duration=-1):
    perms = [{"kind": "project", "namespace": namespace,
              "access": [{"resource": a, "action": b} for a, b in access]}]
    r = admin.post(api(registry, "/robots"), json={
        "name": unique("bot"), "description": "", "level": level, "duration": duration,
        "permissions": perms})
    assert_status(r, 201)
    remember(r.json()["secret"])
    return r.json()


def members(registry, admin, project):
    r = admin.get(api(registry, f"/projects/{project}/members"))
    assert_status(r, 200)
    return r.json()


def blob_status(registry, admin, repo, digest):
    r = admin.head(registry.v2(f"{repo}/blobs/{digest}"))
    assert r.status_code in (200, 404), r.status_code
    return r.status_code


def push_blob(registry, session, repo, data=None, headers=None):
    """POSTs a blob monolithically; returns (response, digest)."""
    data = data or os.urandom(128)
    d = digest_of(data)
    r = session.post(registry.v2(f"{repo}/blobs/uploads/"), params={"digest": d}, data=data,
                     headers={**OCTET, **(headers or {})})
    return r, d


def get_token(registry, auth, *scopes):
    s = registry.session(auth=auth if auth else False)
    return s.get(f"{registry.url}/service/token",
                 params=[("service", "harbor-registry")] + [("scope", sc) for sc in scopes])


def bearer(tok):
    return {"Authorization": f"Bearer {tok}"}


def refused(r, statuses=(401,)):
    assert r.status_code in statuses, (
        f"{r.request.method} {r.request.url}: expected {statuses}, got {r.status_code} "
        f"{r.text[:300]!r}")
    code = {401: "UNAUTHORIZED", 403: "FORBIDDEN" if "/api/" in r.request.url else "DENIED"}
    assert_error(r, r.status_code, code[r.status_code])


# ------------------------------------------------------------------ wrong credentials


@pytest.mark.parametrize("who", ["wrong password", "unknown user"])
def test_bad_credentials_are_refused_everywhere_and_change_nothing(registry, admin, who):
    pid, project = new_project(registry, admin)
    uid, name, pw = new_user(registry, admin)
    add_member(registry, admin, project, name, 2)
    if who == "unknown user":
        name = unique("nobody")
    wrong = remember("Wrong" + uuid.uuid4().hex[:12] + "9")
    s = registry.session(auth=(name, wrong))
    before = admin.get(api(registry, f"/users/{uid}")).json()

    refused(s.get(api(registry, "/users/current")))
    refused(s.put(api(registry, f"/users/{uid}"), json={"realname": "hijacked"}))
    r, d = push_blob(registry, s, f"{project}/app")
    refused(r)
    refused(get_token(registry, (name, wrong), f"repository:{project}/app:pull,push"))

    assert admin.get(api(registry, f"/users/{uid}")).json() == before
    assert blob_status(registry, admin, f"{project}/app", d) == 404
    # four failures do not lock the real user out
    assert_status(registry.session(auth=(before["username"], pw)).get(
        api(registry, "/users/current")), 200)


def test_unknown_user_and_wrong_password_look_the_same(registry, admin):
    """Nothing tells an attacker which user names exist."""
    _, name, _ = new_user(registry, admin)
    wrong = remember("Wrong" + uuid.uuid4().hex[:12] + "9")
    answers = []
    for user in (name, unique("nobody")):
        s = registry.session(auth=(user, wrong))
        a, v = s.get(api(registry, "/users/current")), s.get(registry.v2(""))
        t = get_token(registry, (user, wrong), "repository:library/x:pull")
        answers.append([(r.status_code, r.json(), r.headers.get("WWW-Authenticate"))
                        for r in (a, v, t)])
    assert answers[0] == answers[1]
    assert answers[0][0][0] == 401


def refusal_time(registry, login, password) -> float:
    """Seconds a refused Basic login (GET /v2/) took."""
    s = registry.session(auth=(login, password))
    start = time.perf_counter()
    r = s.get(registry.v2(""))
    took = time.perf_counter() - start
    assert_error(r, 401, "UNAUTHORIZED")
    return took


@pytest.mark.parametrize("kind", ["user", "robot"])
def test_unknown_names_are_refused_as_slowly_as_known_ones(registry, admin, kind):
    """Checking a password costs an argon2id run: if an unknown name were refused without
    one, the time of a refusal would tell which names exist (some 20 ms against 0.5 ms before
    the fix).  Known and unknown refusals alternate, so a busy machine slows both alike, and
    the median refusal of unknown names must take at least a third of a known name's."""
    if kind == "user":
        _, known, right = new_user(registry, admin)
        unknown = [unique("nobody") for _ in range(12)]
    else:
        _, project = new_project(registry, admin)
        robot = new_robot(registry, admin, project, (("repository", "pull"),))
        known, right = robot["name"], robot["secret"]
        unknown = [f"robot${project}+{unique('ghost')}" for _ in range(12)]
    wrong = remember("Wrong" + uuid.uuid4().hex[:12] + "9")
    known_times, unknown_times = [], []
    for i, name in enumerate(unknown):
        known_times.append(refusal_time(registry, known, wrong))
        unknown_times.append(refusal_time(registry, name, wrong))
        if i % 4 == 3:  # a success now and then, so the known name never meets the lock
            assert_status(registry.session(auth=(known, right)).get(registry.v2("")), 200)
    assert statistics.median(unknown_times) >= statistics.median(known_times) / 3, (
        f"known {kind} refused in {statistics.median(known_times) * 1000:.1f} ms, unknown in "
        f"{statistics.median(unknown_times) * 1000:.1f} ms (medians)")


# ------------------------------------------------------------------ robots that may not log in


def robot_refused_everywhere(registry, admin, robot, project):
    """The robot's secret opens nothing, and nothing it tried was stored (five attempts)."""
    s = registry.session(auth=(robot["name"], robot["secret"]))
    _, outsider, _ = new_user(registry, admin)
    before = members(registry, admin, project)
    refused(s.get(registry.v2("")))
    r, d = push_blob(registry, s, f"{project}/app")
    refused(r)
    refused(get_token(registry, (robot["name"], robot["secret"]),
                      f"repository:{project}/app:pull,push"))
    refused(s.get(api(registry, f"/projects/{project}/members")))
    refused(s.post(api(registry, f"/projects/{project}/members"),
                   json={"role_id": 1, "member_user": {"username": outsider}}))
    assert blob_status(registry, admin, f"{project}/app", d) == 404
    assert members(registry, admin, project) == before


def test_disabled_robot_is_refused_everywhere(registry, admin):
    _, project = new_project(registry, admin)
    robot = new_robot(registry, admin, project, (("repository", "push"), ("member", "list")))
    s = registry.session(auth=(robot["name"], robot["secret"]))
    assert_status(push_blob(registry, s, f"{project}/app")[0], 201)
    url = api(registry, f"/robots/{robot['id']}")
    body = admin.get(url).json()
    assert_status(admin.put(url, json=dict(body, disable=True)), 200)
    robot_refused_everywhere(registry, admin, robot, project)
    assert_status(admin.put(url, json=dict(body, disable=False)), 200)
    assert_status(push_blob(registry, s, f"{project}/app")[0], 201)


def test_expired_robot_is_refused_everywhere(start_registry):
    """A robot of duration 1 expires in a day: its expiry is moved into the past in the
    database (the daemon reads it at each login)."""
    reg = start_registry()
    admin = reg.session()
    _, project = new_project(reg, admin)
    robot = new_robot(reg, admin, project, (("repository", "push"), ("member", "list")),
                      duration=1)
    assert abs(robot["expires_at"] - (time.time() + 86400)) < 120
    s = reg.session(auth=(robot["name"], robot["secret"]))
    assert_status(push_blob(reg, s, f"{project}/app")[0], 201)
    with reg.db() as db:
        db.execute("UPDATE robot SET expires_at = ? WHERE id = ?",
                   (int(time.time()) - 5, robot["id"]))
    robot_refused_everywhere(reg, admin, robot, project)
    r = s.get(reg.v2(""))
    assert "expired" in r.json()["errors"][0]["message"]
    for secret in (robot["secret"], reg.password):
        assert secret not in reg.log_text()


def test_robot_of_a_deleted_project_is_refused_even_when_the_name_returns(registry, admin):
    pid, project = new_project(registry, admin)
    robot = new_robot(registry, admin, project, (("repository", "push"), ("member", "list")))
    s = registry.session(auth=(robot["name"], robot["secret"]))
    assert_status(s.get(api(registry, f"/projects/{project}/members")), 200)
    assert_status(admin.delete(api(registry, f"/projects/{pid}")), 200)
    assert_error(admin.get(api(registry, f"/robots/{robot['id']}")), 404, "NOT_FOUND")
    # a new project of the same name is not the robot's (the five refusals of
    # robot_refused_everywhere: a sixth failed login would meet the lock)
    new_project(registry, admin, name=project)
    robot_refused_everywhere(registry, admin, robot, project)


def test_system_robot_permission_does_not_outlive_its_project(registry, admin):
    """Harbor keeps a robot's project permission by project id (/project/<id>): a project
    created later under the same name is another project."""
    pid, project = new_project(registry, admin)
    robot = new_robot(registry, admin, project, (("repository", "pull"), ("repository", "push")),
                      level="system")
    s = registry.session(auth=(robot["name"], robot["secret"]))
    # allowed in: an empty repository is "unknown", not "denied"
    assert_error(s.get(registry.v2(f"{project}/app/tags/list")), 404, "NAME_UNKNOWN")
    # delete the project, and let someone else create a project of the same name
    assert_status(admin.delete(api(registry, f"/projects/{pid}")), 200)
    _, owner, owner_pw = new_user(registry, admin)
    r = registry.session(auth=(owner, owner_pw)).post(api(registry, "/projects"),
                                                      json={"project_name": project})
    assert_status(r, 201)
    r, d = push_blob(registry, s, f"{project}/app")
    assert r.status_code == 401, (
        f"a system robot granted push on the deleted project {project} pushed into the new "
        f"project of that name: {r.status_code} {r.text[:200]}")
    assert_insufficient_scope(r, f"repository:{project}/app:pull,push")
    assert blob_status(registry, admin, f"{project}/app", d) == 404
    assert_insufficient_scope(s.get(registry.v2(f"{project}/app/tags/list")),
                              f"repository:{project}/app:pull")


# ------------------------------------------------------------------ registry tokens


@pytest.fixture
def pushable(registry, admin):
    """(a new project, the administrator's token for <project>/app with pull and push)."""
    _, project = new_project(registry, admin)
    r = get_token(registry, registry.auth, f"repository:{project}/app:pull,push")
    assert_status(r, 200)
    return project, remember(r.json()["token"])


def token_push(registry, project, tok):
    return push_blob(registry, registry.session(auth=False), f"{project}/app",
                     headers=bearer(tok))


def test_token_with_a_bad_signature_is_refused(registry, admin, pushable):
    project, tok = pushable
    head, payload, sig = tok.split(".")
    raw = bytearray(b64url_decode(sig))
    raw[len(raw) // 2] ^= 0x01
    for bad in (f"{head}.{payload}.{b64url(bytes(raw))}",
                f"{head}.{payload}.{b64url(bytes(raw[:-1]))}",
                f"{head}.{payload}.{sig[:-4]}"):
        r, d = token_push(registry, project, bad)
        assert_error(r, 401, "UNAUTHORIZED")
        assert blob_status(registry, admin, f"{project}/app", d) == 404
    # the token as issued works
    assert_status(token_push(registry, project, tok)[0], 201)


@pytest.mark.parametrize("claim,value", [
    ("exp", 1_000_000_000), ("aud", "another-service"), ("iss", "someone-else"),
    ("nbf", 4_000_000_000), ("sub", "admin-impersonated")])
def test_token_with_an_edited_claim_is_refused(registry, admin, pushable, claim, value):
    """Editing a claim breaks the signature.  (Expiry itself: see the re-signed tokens.)"""
    project, tok = pushable
    head, payload, sig = tok.split(".")
    claims = json.loads(b64url_decode(payload))
    claims[claim] = value
    bad = f"{head}.{b64url(json.dumps(claims).encode())}.{sig}"
    r, d = token_push(registry, project, bad)
    assert_error(r, 401, "UNAUTHORIZED")
    assert blob_status(registry, admin, f"{project}/app", d) == 404


def resign(registry, tok, key=None, alg="RS256", **changes):
    """The token with its claims changed, signed with the registry's own key (read from its
    secret store) or with `key`."""
    serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")
    hashes = pytest.importorskip("cryptography.hazmat.primitives.hashes")
    padding = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.padding")
    head, payload, _ = tok.split(".")
    header = dict(json.loads(b64url_decode(head)), alg=alg)
    claims = json.loads(b64url_decode(payload))
    for k, v in changes.items():
        if v is None:
            claims.pop(k, None)
        else:
            claims[k] = v
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if key is None:
        key = serialization.load_pem_private_key(
            registry.stored_secret("token_signing_key"), password=None)
    if alg == "HS256":
        import hashlib
        import hmac

        secret = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        sig = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    else:
        sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return remember(f"{signing_input}.{b64url(sig)}")


def test_resigned_tokens_honour_expiry_audience_and_issuer(registry, admin, pushable):
    project, tok = pushable
    now = int(time.time())
    # the registry's key with fresh claims works: the forgery below is a faithful one
    assert_status(token_push(registry, project, resign(registry, tok, exp=now + 300))[0], 201)
    # within Harbor's 60 s leeway an expired token is still good
    assert_status(token_push(registry, project, resign(registry, tok, exp=now - 20))[0], 201)
    for changes in ({"exp": now - 120}, {"exp": None}, {"aud": "another-service"},
                    {"aud": None}, {"iss": "someone-else"}, {"nbf": now + 600},
                    {"exp": str(now + 300)}):
        r, d = token_push(registry, project, resign(registry, tok, **changes))
        assert_error(r, 401, "UNAUTHORIZED")
        assert blob_status(registry, admin, f"{project}/app", d) == 404, changes


def test_token_signed_by_another_key_or_as_hmac_is_refused(registry, admin, pushable):
    rsa = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.rsa")
    project, tok = pushable
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    for bad in (resign(registry, tok, key=other, exp=now + 300),
                resign(registry, tok, alg="HS256", exp=now + 300)):
        r, d = token_push(registry, project, bad)
        assert_error(r, 401, "UNAUTHORIZED")
        assert blob_status(registry, admin, f"{project}/app", d) == 404


def test_token_for_one_project_is_refused_on_another(registry, admin):
    _, project_a = new_project(registry, admin)
    _, project_b = new_project(registry, admin, name=project_a + "-b")  # A is a prefix of B
    _, name, pw = new_user(registry, admin)
    add_member(registry, admin, project_a, name, 2)
    add_member(registry, admin, project_b, name, 2)
    image = registry.push_image(f"{project_b}/app", tag="v1", seed=41)
    r = get_token(registry, (name, pw), f"repository:{project_a}/app:pull,push")
    assert_status(r, 200)
    tok = remember(r.json()["token"])
    s = registry.session(auth=False)
    r, d = push_blob(registry, s, f"{project_b}/app", headers=bearer(tok))
    assert_insufficient_scope(r, f"repository:{project_b}/app:pull,push")
    assert blob_status(registry, admin, f"{project_b}/app", d) == 404
    assert_insufficient_scope(s.get(registry.v2(f"{project_b}/app/manifests/v1"),
                                    headers={**bearer(tok), "Accept": OCI_MANIFEST}),
                              f"repository:{project_b}/app:pull")
    assert_insufficient_scope(s.head(registry.v2(f"{project_b}/app/blobs/{image.digest}"),
                                     headers=bearer(tok)),
                              f"repository:{project_b}/app:pull")
    assert_insufficient_scope(s.get(registry.v2(f"{project_b}/app/referrers/{image.digest}"),
                                    headers=bearer(tok)),
                              f"repository:{project_b}/app:pull")
    assert_insufficient_scope(s.delete(registry.v2(f"{project_b}/app/manifests/{image.digest}"),
                                       headers=bearer(tok)),
                              f"repository:{project_b}/app:delete")
    assert_status(admin.head(registry.v2(f"{project_b}/app/manifests/v1")), 200)
    # the token works where it was issued for, and the user may push to B with a password:
    # the refusal is the token's scope
    assert_status(push_blob(registry, s, f"{project_a}/app", headers=bearer(tok))[0], 201)
    assert_status(push_blob(registry, registry.session(auth=(name, pw)), f"{project_b}/app")[0],
                  201)


def test_user_cannot_raise_their_own_rights_through_their_profile(registry, admin):
    uid, name, pw = new_user(registry, admin)
    s = registry.session(auth=(name, pw))
    before = admin.get(api(registry, f"/users/{uid}")).json()
    new_pw = remember("Pw" + uuid.uuid4().hex[:12] + "C3")
    r = s.put(api(registry, f"/users/{uid}"), json={
        "realname": "Renamed", "sysadmin_flag": True, "admin_role_in_auth": True,
        "username": "admin", "user_id": 1, "password": new_pw})
    assert r.status_code in (200, 400), r.text
    after = admin.get(api(registry, f"/users/{uid}")).json()
    assert (after["sysadmin_flag"], after["admin_role_in_auth"], after["username"],
            after["user_id"]) == (False, False, name, uid)
    assert after["realname"] in ("Renamed", before["realname"])
    assert admin.get(api(registry, "/users/1")).json()["username"] == "admin"
    assert_error(s.get(api(registry, "/users")), 403, "FORBIDDEN")
    assert_status(registry.session(auth=(name, pw)).get(api(registry, "/users/current")), 200)
    assert_error(registry.session(auth=(name, new_pw)).get(api(registry, "/users/current")), 401,
                 "UNAUTHORIZED")


# ------------------------------------------------------------------ robots outside their project


def test_robot_cannot_use_the_api_of_another_project(registry, admin):
    _, mine = new_project(registry, admin)
    _, private = new_project(registry, admin)
    _, public = new_project(registry, admin, public=True)
    robot = new_robot(registry, admin, mine, (("member", "list"), ("member", "create"),
                                              ("metadata", "read"), ("robot", "create")))
    s = registry.session(auth=(robot["name"], robot["secret"]))
    assert_status(s.get(api(registry, f"/projects/{mine}/members")), 200)
    _, name, _ = new_user(registry, admin)
    for other in (private, public):
        before = members(registry, admin, other)
        refused(s.get(api(registry, f"/projects/{other}/members")), (403,))
        refused(s.post(api(registry, f"/projects/{other}/members"),
                       json={"role_id": 1, "member_user": {"username": name}}), (403,))
        refused(s.get(api(registry, f"/projects/{other}/metadatas/public")), (403,))
        r = s.post(api(registry, "/robots"), json={
            "name": unique("child"), "description": "", "level": "project", "duration": -1,
            "permissions": [{"kind": "project", "namespace": other,
                             "access": [{"resource": "member", "action": "list"}]}]})
        refused(r, (403,))
        assert members(registry, admin, other) == before
        pid = admin.get(api(registry, f"/projects/{other}")).json()["project_id"]
        robots = admin.get(api(registry, "/robots"), params={"q": f"Level=project,ProjectID={pid}"})
        assert robots.json() == []


# ------------------------------------------------------------------ JSON bodies


@pytest.fixture(scope="module")
def target(registry):
    """A project, a user who is a member, a robot and one of each JSON endpoint's requests."""
    admin = registry.session()
    pid, project = new_project(registry, admin)
    uid, name, pw = new_user(registry, admin)
    mid = add_member(registry, admin, project, name, 3)
    robot = new_robot(registry, admin, project, (("repository", "pull"),))
    _, joiner, _ = new_user(registry, admin)
    registry.push_image(f"{project}/app", tag="v1", seed=43)
    r = admin.get(api(registry, "/quotas"), params={"reference": "project",
                                                     "reference_id": str(pid)})
    assert_status(r, 200)
    quota = r.json()[0]["id"]
    other = unique("u")
    requests_ = {
        "POST /users": ("POST", "/users", {
            "username": other, "password": remember("Pw" + uuid.uuid4().hex[:10] + "A1"),
            "email": f"{other}@e2e.example.com", "realname": other}),
        "PUT /users/{id}": ("PUT", f"/users/{uid}", {"realname": "changed"}),
        "PUT /users/{id}/password": ("PUT", f"/users/{uid}/password",
                                     {"new_password": remember("Pw" + uuid.uuid4().hex[:10]
                                                               + "B2")}),
        "POST /projects": ("POST", "/projects", {"project_name": unique("big")}),
        "PUT /projects/{p}": ("PUT", f"/projects/{pid}", {"metadata": {"auto_scan": "true"}}),
        "POST /projects/{p}/metadatas": ("POST", f"/projects/{pid}/metadatas",
                                         {"severity": "high"}),
        "POST /projects/{p}/members": ("POST", f"/projects/{pid}/members",
                                       {"role_id": 2, "member_user": {"username": joiner}}),
        "PUT /projects/{p}/members/{m}": ("PUT", f"/projects/{pid}/members/{mid}",
                                          {"role_id": 1}),
        "POST /robots": ("POST", "/robots", {
            "name": unique("big"), "description": "", "level": "project", "duration": -1,
            "permissions": [{"kind": "project", "namespace": project,
                             "access": [{"resource": "repository", "action": "pull"}]}]}),
        "PUT /robots/{id}": ("PUT", f"/robots/{robot['id']}",
                             dict(admin.get(api(registry, f"/robots/{robot['id']}")).json(),
                                  description="changed")),
        "PATCH /robots/{id}": ("PATCH", f"/robots/{robot['id']}",
                               {"secret": remember("Chosen" + uuid.uuid4().hex[:10] + "7")}),
        "PUT /projects/{p}/repositories/{r}": ("PUT", f"/projects/{project}/repositories/app",
                                               {"description": "changed"}),
        "PUT /quotas/{id}": ("PUT", f"/quotas/{quota}", {"hard": {"storage": 1 << 30}}),
    }

    def snapshot():
        """What the requests above would change, as the administrator sees it; and whether
        the user's password and the robot's secret still work."""
        def get(path, **params):
            r = admin.get(api(registry, path), params=params)
            assert_status(r, 200)
            return r.headers.get("X-Total-Count"), r.json()
        return (
            get("/users", page_size=1, sort="-user_id"), get(f"/users/{uid}"),
            get("/projects", page_size=1, sort="-project_id"), get(f"/projects/{pid}"),
            get(f"/projects/{pid}/members"), get(f"/robots/{robot['id']}"),
            get("/robots", q=f"Level=project,ProjectID={pid}"),
            get(f"/projects/{project}/repositories/app"), get(f"/quotas/{quota}"),
            registry.session(auth=(name, pw)).get(api(registry, "/users/current")).status_code,
            registry.session(auth=(robot["name"], robot["secret"])).get(
                registry.v2("")).status_code,
        )

    return requests_, snapshot


JSON_ENDPOINTS = ["POST /users", "PUT /users/{id}", "PUT /users/{id}/password", "POST /projects",
                  "PUT /projects/{p}", "POST /projects/{p}/metadatas",
                  "POST /projects/{p}/members", "PUT /projects/{p}/members/{m}", "POST /robots",
                  "PUT /robots/{id}", "PATCH /robots/{id}", "PUT /projects/{p}/repositories/{r}",
                  "PUT /quotas/{id}"]
LIMIT = 1 << 20


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
def test_json_over_1mib_is_refused(registry, target, endpoint):
    requests_, snapshot = target
    method, path, body = requests_[endpoint]
    raw = json.dumps(body).encode()
    raw += b" " * (LIMIT + 1 - len(raw))  # valid JSON, one byte over
    before = snapshot()
    status, _, reply = registry.raw_request(method, f"/api/v2.0{path}",
                                            {"Content-Type": "application/json"}, raw)
    assert status == 413, (status, reply[:300])
    err = json.loads(reply)["errors"][0]
    assert err["code"] == "PAYLOAD_TOO_LARGE" and str(LIMIT) in err["message"]
    assert snapshot() == before


def test_chunked_json_over_1mib_is_refused(registry, target):
    requests_, snapshot = target
    method, path, body = requests_["POST /projects"]
    raw = json.dumps(body).encode() + b" " * (4 * LIMIT)
    before = snapshot()
    status, _, reply = registry.raw_request(method, f"/api/v2.0{path}",
                                            {"Content-Type": "application/json"}, raw,
                                            chunked=True)
    assert status == 413, (status, reply[:300])
    assert snapshot() == before


def test_json_of_exactly_1mib_is_accepted(registry, admin):
    name = unique("edge")
    raw = json.dumps({"username": name, "password": remember("Pw" + uuid.uuid4().hex[:10] + "A1"),
                      "email": f"{name}@e2e.example.com", "realname": name}).encode()
    raw += b" " * (LIMIT - len(raw))
    r = admin.post(api(registry, "/users"), data=raw, headers={"Content-Type": "application/json"})
    assert_status(r, 201)
    assert admin.get(api(registry, "/users"), params={"q": f"username={name}"}).json()


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS)
def test_malformed_json_is_400_naming_the_position(registry, admin, target, endpoint):
    requests_, snapshot = target
    method, path, _ = requests_[endpoint]
    before = snapshot()
    r = admin.request(method, api(registry, path), data=b'{\n  "role_id": 2,\n  oops\n}',
                      headers={"Content-Type": "application/json"})
    assert_error(r, 400, "BAD_REQUEST")
    message = r.json()["errors"][0]["message"]
    assert re.search(r"\bline 3\b", message) and "oops" in message, message
    assert snapshot() == before


SUCCESS = {"POST /users": 201, "POST /projects": 201, "POST /projects/{p}/members": 201,
           "POST /robots": 201}


def test_the_same_requests_well_formed_succeed(registry, admin, target):
    """The refusals above are for size and syntax: each request, sent as it should be, is
    carried out (this changes the target, so it runs after them)."""
    requests_, snapshot = target
    for endpoint in JSON_ENDPOINTS:
        method, path, body = requests_[endpoint]
        before = snapshot()
        r = admin.request(method, api(registry, path), json=body)
        assert r.status_code == SUCCESS.get(endpoint, 200), (endpoint, r.status_code, r.text)
        assert snapshot() != before, endpoint


@pytest.mark.parametrize("level,name", [
    ("system", "library+ci"), ("system", "robot$library+ci"), ("project", "../ci"),
    ("project", "ci/x"), ("project", "ci\nx"), ("project", "ci%2bx"), ("project", "ci\u0000")])
def test_robot_names_that_impersonate_are_refused(registry, admin, level, name):
    """A name may not smuggle a project ("+"), a path or a control character into the
    robot's login name."""
    body = {"name": name, "description": "", "level": level, "duration": -1,
            "permissions": [{"kind": "project", "namespace": "library",
                             "access": [{"resource": "repository", "action": "pull"}]}]}
    library = admin.get(api(registry, "/projects/library")).json()["project_id"]
    q = f"Level=project,ProjectID={library}" if level == "project" else "Level=system"
    before = admin.get(api(registry, "/robots"), params={"q": q, "page_size": 1})
    r = admin.post(api(registry, "/robots"), json=body)
    assert_error(r, 400, "BAD_REQUEST")
    after = admin.get(api(registry, "/robots"), params={"q": q, "page_size": 1})
    assert after.headers["X-Total-Count"] == before.headers["X-Total-Count"]
    assert after.json() == before.json()


# ------------------------------------------------------------------ repeated failed logins


def assert_retry_later(r, code):
    """429 with the error code and a Retry-After of at most the 30 s lock."""
    assert_error(r, 429, code)
    assert re.fullmatch(r"\d+", r.headers.get("Retry-After", "")), r.headers
    assert 1 <= int(r.headers["Retry-After"]) <= 30, r.headers["Retry-After"]


def test_five_failures_lock_the_name_for_a_while(registry, admin):
    """Failures lock the name for the address they came from, not for its owner elsewhere
    (127.0.0.2 is another client of the same loopback daemon)."""
    uid, name, pw = new_user(registry, admin)
    _, other, other_pw = new_user(registry, admin)
    _, project = new_project(registry, admin)
    add_member(registry, admin, project, name, 2)
    wrong = remember("Wrong" + uuid.uuid4().hex[:12] + "9")
    bad = registry.session(auth=(name, wrong))
    for r in (bad.get(api(registry, "/users/current")), bad.get(registry.v2("")),
              get_token(registry, (name, wrong), f"repository:{project}/app:pull"),
              bad.get(api(registry, "/users/current")), bad.get(registry.v2(""))):
        assert_error(r, 401, "UNAUTHORIZED")
    locked_at = time.monotonic()
    good = registry.session(auth=(name, pw))
    before = admin.get(api(registry, f"/users/{uid}")).json()
    # the sixth attempt from there is refused even with the right password, on every door
    r = good.get(api(registry, "/users/current"))
    assert_retry_later(r, "TOO_MANY_REQUESTS")
    assert re.search(r"retry in \d+ seconds", r.json()["errors"][0]["message"])
    assert_retry_later(good.put(api(registry, f"/users/{uid}"), json={"realname": "locked"}),
                       "TOO_MANY_REQUESTS")
    r, d = push_blob(registry, good, f"{project}/app")
    assert_retry_later(r, "TOOMANYREQUESTS")
    assert_retry_later(get_token(registry, (name, pw), f"repository:{project}/app:pull"),
                       "TOO_MANY_REQUESTS")
    assert admin.get(api(registry, f"/users/{uid}")).json() == before
    assert blob_status(registry, admin, f"{project}/app", d) == 404
    # the owner, from another address, logs in at once everywhere, and may push
    owner = registry.session(auth=(name, pw), source="127.0.0.2")
    assert_status(owner.get(api(registry, "/users/current")), 200)
    assert_status(push_blob(registry, owner, f"{project}/app")[0], 201)
    r = owner.get(f"{registry.url}/service/token",
                  params={"service": "harbor-registry", "scope": f"repository:{project}/app:pull"})
    assert_status(r, 200)
    # a wrong password from there is one failure of that address, not a lock
    assert_error(registry.session(auth=(name, wrong), source="127.0.0.2").get(
        api(registry, "/users/current")), 401, "UNAUTHORIZED")
    assert_status(owner.get(api(registry, "/users/current")), 200)
    # the lock of the first address stays
    assert_retry_later(good.get(api(registry, "/users/current")), "TOO_MANY_REQUESTS")
    # others are not locked out
    assert_status(registry.session(auth=(other, other_pw)).get(api(registry, "/users/current")),
                  200)
    assert_status(admin.get(api(registry, "/users/current")), 200)
    # the lock lifts by itself after about 30 s
    deadline = locked_at + 45
    while True:
        r = good.get(api(registry, "/users/current"))
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        assert_error(r, 429, "TOO_MANY_REQUESTS")
        time.sleep(1)
    waited = time.monotonic() - locked_at
    assert_status(r, 200)
    assert waited > 20, f"the lock lifted after {waited:.1f} s"
    assert_status(push_blob(registry, good, f"{project}/app")[0], 201)


def test_a_success_clears_the_failure_count(registry, admin):
    _, name, pw = new_user(registry, admin)
    wrong = remember("Wrong" + uuid.uuid4().hex[:12] + "9")
    for _ in range(2):
        for _ in range(4):
            assert_error(registry.session(auth=(name, wrong)).get(api(registry, "/users/current")),
                         401, "UNAUTHORIZED")
        assert_status(registry.session(auth=(name, pw)).get(api(registry, "/users/current")), 200)


# ------------------------------------------------------------------ secrets stay out of the log


def test_no_password_secret_or_token_reaches_the_log(registry, admin):
    """Runs last: every secret of this module, and a few made here, are absent from the
    daemon's log (as given, and as the Basic credentials that carried them)."""
    _, name, pw = new_user(registry, admin)
    wrong = remember("Wrong" + uuid.uuid4().hex[:12] + "9")
    registry.session(auth=(name, wrong)).get(registry.v2(""))
    tok = get_token(registry, (name, pw), "repository:library/x:pull").json()["token"]
    remember(tok)
    registry.session(auth=False).get(registry.v2("library/x/tags/list"), headers=bearer(tok))
    robot = new_robot(registry, admin, "library", (("repository", "pull"),))
    r = admin.patch(api(registry, f"/robots/{robot['id']}"), json={})
    assert_status(r, 200)
    remember(r.json()["secret"], registry.password)
    assert_status(registry.session(auth=(robot["name"], r.json()["secret"])).get(registry.v2("")),
                  200)

    text = registry.log_text()
    assert name in text  # the log is this daemon's and records requests by user
    leaked = []
    for secret in SECRETS:
        forms = {secret}
        if secret.count(".") == 2:  # a token: its signature alone is a give-away too
            forms.add(secret.rsplit(".", 1)[1])
        for form in forms:
            if form in text:
                leaked.append(form[:12] + "…")
    for user, secret in ((name, pw), (name, wrong), (robot["name"], robot["secret"]),
                         ("admin", registry.password)):
        basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
        if basic in text:
            leaked.append(f"Basic credentials of {user}")
    assert not leaked, f"in {registry.log_path}: {leaked}"
    assert len(SECRETS) >= 6
