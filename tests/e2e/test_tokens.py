"""Registry tokens: the Bearer challenge on /v2, /service/token, and what a token lets its
holder do — as docker, podman and skopeo use them (harbor-api.md §3)."""

import base64
import json
import re

import pytest

from havenlib import OCI_MANIFEST, assert_error, assert_insufficient_scope, assert_status


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def token(registry, auth, *scopes, service="harbor-registry"):
    s = registry.session(auth=auth)
    params = [("service", service)] + [("scope", sc) for sc in scopes]
    return s.get(f"{registry.url}/service/token", params=params)


def claims(tok: str) -> dict:
    return json.loads(b64url_decode(tok.split(".")[1]))


def bearer(registry, tok):
    s = registry.session(auth=False)
    s.headers["Authorization"] = f"Bearer {tok}"
    return s


@pytest.fixture
def private_project(registry):
    name = f"priv{registry._repo_seq}x{id(registry) % 1000}"
    registry._repo_seq += 1
    r = registry.session().post(f"{registry.url}/api/v2.0/projects",
                                json={"project_name": name, "metadata": {"public": "false"}})
    if r.status_code == 404:
        pytest.fail("the projects API is not served")
    assert_status(r, 201)
    return name


def test_token_shape_and_claims(registry, repo):
    r = token(registry, registry.auth, f"repository:{repo}:pull,push")
    assert_status(r, 200)
    body = r.json()
    assert body["expires_in"] > 0 and re.match(r"\d{4}-\d\d-\d\dT", body["issued_at"])
    header = json.loads(b64url_decode(body["token"].split(".")[0]))
    assert header["alg"] == "RS256" and header["typ"] == "JWT"
    assert re.fullmatch(r"([A-Z2-7]{4}:){11}[A-Z2-7]{4}", header["kid"]), header["kid"]
    c = claims(body["token"])
    assert c["sub"] == "admin" and c["aud"] == "harbor-registry"
    assert c["iss"] == "harbor-token-issuer" and c["exp"] > c["nbf"]
    assert c["access"] == [{"type": "repository", "name": repo,
                            "actions": ["pull", "push"]}]


def test_unknown_service_is_refused(registry, repo):
    assert_status(token(registry, registry.auth, f"repository:{repo}:pull", service="x"), 400)


def test_anonymous_without_scope_is_refused(registry):
    """`docker login` without credentials must fail."""
    assert_status(token(registry, None), 401)


def test_wrong_password_gets_no_token(registry, repo):
    assert_status(token(registry, ("admin", "not-the-password"), f"repository:{repo}:pull"),
                  401)


def test_anonymous_token_grants_pull_of_public_only(registry, repo):
    image = registry.push_image(repo, tag="v1")
    r = token(registry, None, f"repository:{repo}:pull,push,delete")
    assert_status(r, 200)
    tok = r.json()["token"]
    assert claims(tok)["access"] == [{"type": "repository", "name": repo, "actions": ["pull"]}]
    s = bearer(registry, tok)
    got = s.get(registry.v2(f"{repo}/manifests/v1"), headers={"Accept": OCI_MANIFEST})
    assert_status(got, 200)
    assert got.content == image.manifest
    # the token does not let its holder push: a challenge for the wider scope
    r = s.post(registry.v2(f"{repo}/blobs/uploads/"))
    assert_insufficient_scope(r, f"repository:{repo}:pull,push")
    assert_insufficient_scope(s.delete(registry.v2(f"{repo}/manifests/{image.digest}")),
                              f"repository:{repo}:delete")


def test_token_pushes_and_deletes_within_its_scope(registry, repo):
    tok = token(registry, registry.auth, f"repository:{repo}:pull,push,delete").json()["token"]
    s = bearer(registry, tok)
    data = b"pushed with a bearer token"
    d = "sha256:" + __import__("hashlib").sha256(data).hexdigest()
    r = s.post(registry.v2(f"{repo}/blobs/uploads/"), params={"digest": d}, data=data,
               headers={"Content-Type": "application/octet-stream"})
    assert_status(r, 201)
    assert_status(s.delete(registry.v2(f"{repo}/blobs/{d}")), 202)
    # a token without push, even a sysadmin's: 401 with the scope to ask for (docker,
    # containerd and podman fetch a wider token only on a 401; a 403 ends the push)
    pull_only = token(registry, registry.auth, f"repository:{repo}:pull").json()["token"]
    r = bearer(registry, pull_only).post(registry.v2(f"{repo}/blobs/uploads/"))
    assert_insufficient_scope(r, f"repository:{repo}:pull,push")
    r = bearer(registry, pull_only).put(registry.v2(f"{repo}/manifests/v9"), data=b"{}",
                                        headers={"Content-Type": OCI_MANIFEST})
    assert_insufficient_scope(r, f"repository:{repo}:pull,push")
    # nor on an upload session someone else opened
    opened = s.post(registry.v2(f"{repo}/blobs/uploads/"))
    assert_status(opened, 202)
    upload = registry.url + opened.headers["Location"]
    for r in (bearer(registry, pull_only).patch(upload, data=b"x"),
              bearer(registry, pull_only).put(upload, params={"digest": d}, data=data),
              bearer(registry, pull_only).get(upload),
              bearer(registry, pull_only).delete(upload)):
        assert_insufficient_scope(r, f"repository:{repo}:pull,push")
    assert_status(s.delete(upload), 204)
    # a token for another project is no token for this one
    other = token(registry, registry.auth, "repository:elsewhere/x:pull,push").json()["token"]
    for r in (bearer(registry, other).post(registry.v2(f"{repo}/blobs/uploads/")),
              bearer(registry, other).post(registry.v2(f"{repo}/blobs/uploads/"),
                                           params={"digest": d}, data=data)):
        assert_insufficient_scope(r, f"repository:{repo}:pull,push")


def test_private_project_pull_needs_a_member(registry, private_project):
    repo = f"{private_project}/app"
    image = registry.push_image(repo, tag="v1")
    r = token(registry, None, f"repository:{repo}:pull")
    assert_status(r, 200)
    assert claims(r.json()["token"])["access"][0]["actions"] == []
    got = bearer(registry, r.json()["token"]).get(registry.v2(f"{repo}/manifests/v1"))
    assert_insufficient_scope(got, f"repository:{repo}:pull")
    # a client that follows the challenge gets the same empty token again, and nothing
    s = registry.token_session()
    assert_error(s.get(registry.v2(f"{repo}/manifests/v1")), 401, "UNAUTHORIZED")
    assert_error(s.get(registry.v2(f"{repo}/tags/list")), 401, "UNAUTHORIZED")
    assert_error(s.get(registry.v2(f"{repo}/referrers/{image.digest}")), 401, "UNAUTHORIZED")
    # without any credentials at all: a challenge naming the scope
    got = registry.session(auth=False).get(registry.v2(f"{repo}/manifests/v1"))
    assert_error(got, 401, "UNAUTHORIZED")
    assert got.headers["WWW-Authenticate"] == (
        f'Bearer realm="{registry.url}/service/token",service="harbor-registry",'
        f'scope="repository:{repo}:pull"')


def forged(tok: str, **changes) -> str:
    head, payload, sig = tok.split(".")
    c = json.loads(b64url_decode(payload))
    c.update(changes)
    return ".".join([head, b64url(json.dumps(c).encode()), sig])


def test_tampered_token_is_refused(registry, repo):
    tok = token(registry, None, f"repository:{repo}:pull").json()["token"]
    bad = forged(tok, access=[{"type": "repository", "name": repo,
                               "actions": ["pull", "push", "delete"]}])
    r = bearer(registry, bad).post(registry.v2(f"{repo}/blobs/uploads/"))
    assert_error(r, 401, "UNAUTHORIZED")


def test_alg_none_is_refused(registry, repo):
    tok = token(registry, registry.auth, f"repository:{repo}:pull,push").json()["token"]
    payload = tok.split(".")[1]
    none = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode()) + "." + payload + "."
    assert_error(bearer(registry, none).post(registry.v2(f"{repo}/blobs/uploads/")), 401,
                 "UNAUTHORIZED")


def test_token_is_not_accepted_by_the_harbor_api(registry, repo):
    tok = token(registry, registry.auth, f"repository:{repo}:pull").json()["token"]
    r = bearer(registry, tok).get(f"{registry.url}/api/v2.0/users/current")
    assert r.status_code == 401, r.text


def test_garbage_bearer_is_refused(registry, repo):
    for junk in ["", "a.b", "a.b.c", "x" * 5000]:
        r = bearer(registry, junk).get(registry.v2(f"{repo}/tags/list"))
        assert_error(r, 401, "UNAUTHORIZED")
