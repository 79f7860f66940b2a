"""Scanner registrations (harbor-api.md §1.5, §5.2): /scanners (list, create, get, update,
delete, PATCH is_default, metadata, ping) and /projects/{p}/scanner (get, set, candidates).

Haven's built-in scanner is registered at first start as the default.  External adapters are
played by a small HTTP server in this file that answers GET /api/v1/metadata as Harbor's
Pluggable Scanner API v1.1 says (Trivy's adapter, the usual one, is not packaged for this
machine); it records the headers it was sent, so the tests check the authentication Harbor's
`auth` settings ask for.  Each refused request is followed by a check that nothing changed.
"""

import base64
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from havenlib import assert_error, assert_status

DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
GENERIC = "application/vnd.security.vulnerability.report; version=1.1"
SBOM = "application/vnd.security.sbom.report+json; version=1.0"
REG_KEYS = {"uuid", "name", "description", "url", "disabled", "is_default", "auth",
            "access_credential", "skip_certVerify", "use_internal_addr", "create_time",
            "update_time", "health"}


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="sc"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def good_metadata(name="Trivy"):
    return {"scanner": {"name": name, "vendor": "Aqua Security", "version": "0.50.1"},
            "capabilities": [{"consumes_mime_types": [DOCKER_V2],
                              "produces_mime_types": [GENERIC]}],
            "properties": {"harbor.scanner-adapter/scanner-type": "os-package-vulnerability"}}


class Adapter:
    """A scanner adapter's metadata endpoint: answers `metadata` (or `status`), records the
    request headers of each call."""

    def __init__(self, metadata=None, status=200):
        self.metadata = metadata if metadata is not None else good_metadata()
        self.status = status
        self.calls = []
        adapter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                adapter.calls.append((self.path, dict(self.headers)))
                body = json.dumps(adapter.metadata).encode()
                ok = self.path == "/api/v1/metadata" and adapter.status == 200
                self.send_response(200 if ok else (adapter.status if adapter.status != 200
                                                   else 404))
                self.send_header("Content-Type",
                                 "application/vnd.scanner.adapter.metadata+json; version=1.1")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def adapter():
    a = Adapter()
    yield a
    a.close()


def list_all(registry, session):
    r = session.get(api(registry, "/scanners"), params={"page_size": 100})
    assert_status(r, 200)
    return r.json()


def builtin(registry, admin):
    found = [s for s in list_all(registry, admin) if s["url"] == "builtin://haven"]
    assert len(found) == 1, found
    return found[0]


def create(registry, admin, status=201, **body):
    body.setdefault("name", unique())
    r = admin.post(api(registry, "/scanners"), json=body)
    assert_status(r, status)
    if status != 201:
        return r
    m = re.fullmatch(r"/api/v2\.0/scanners/([0-9a-f-]{36})", r.headers["Location"])
    assert m, r.headers["Location"]
    return m.group(1)


@pytest.fixture
def restore_default(registry, admin):
    """Makes the built-in scanner the default again after the test."""
    yield
    r = admin.patch(api(registry, f"/scanners/{builtin(registry, admin)['uuid']}"),
                    json={"is_default": True})
    assert_status(r, 200)


def new_user(registry, admin):
    name = unique("u")
    password = "Pw-" + uuid.uuid4().hex[:12] + "A1"
    r = admin.post(api(registry, "/users"),
                   json={"username": name, "password": password,
                         "email": f"{name}@e2e.test", "realname": name})
    assert_status(r, 201)
    return name, password


def new_project(registry, admin):
    name = unique("p")
    r = admin.post(api(registry, "/projects"), json={"project_name": name})
    assert_status(r, 201)
    return name


# ------------------------------------------------------------------ the built-in scanner


def test_builtin_scanner_is_registered_as_the_default(registry, admin):
    b = builtin(registry, admin)
    assert REG_KEYS <= set(b), set(b)
    assert b["name"] == "Haven"
    assert b["health"] == "healthy"
    assert b["adapter"] == "Haven" and b["vendor"] == "Haven" and b["version"]
    assert b["capabilities"] == {"support_vulnerability": True, "support_sbom": True}
    assert b["access_credential"] == "" and b["auth"] == ""
    defaults = [s for s in list_all(registry, admin) if s["is_default"]]
    assert len(defaults) == 1
    r = admin.get(api(registry, f"/scanners/{b['uuid']}/metadata"))
    assert_status(r, 200)
    meta = r.json()
    assert meta["scanner"]["name"] == "Haven"
    types = {c["type"] for c in meta["capabilities"]}
    assert types == {"vulnerability", "sbom"}
    for c in meta["capabilities"]:
        assert DOCKER_V2 in c["consumes_mime_types"]


def test_builtin_scanner_cannot_be_changed_or_deleted_as_default(registry, admin):
    b = builtin(registry, admin)
    r = admin.put(api(registry, f"/scanners/{b['uuid']}"),
                  json={"name": "Renamed", "url": "http://127.0.0.1:1"})
    assert_error(r, 403, "FORBIDDEN")
    r = admin.delete(api(registry, f"/scanners/{b['uuid']}"))
    assert_error(r, 409, "CONFLICT")
    assert "default" in r.json()["errors"][0]["message"]
    assert builtin(registry, admin) == b


def test_builtin_scanner_survives_a_restart_once(start_registry):
    reg = start_registry()
    s = reg.session()
    first = [x["uuid"] for x in list_all(reg, s)]
    reg.stop()
    reg.start()
    s = reg.session()
    assert [x["uuid"] for x in list_all(reg, s)] == first
    assert len(first) == 1


# ------------------------------------------------------------------ registrations


def test_create_get_list_an_external_scanner(registry, admin, adapter):
    name = unique()
    uid = create(registry, admin, name=name, url=adapter.url, description="CVE scanner",
                 auth="APIKey", access_credential="the-api-key", use_internal_addr=True)
    r = admin.get(api(registry, f"/scanners/{uid}"))
    assert_status(r, 200)
    s = r.json()
    assert s["name"] == name and s["url"] == adapter.url and s["description"] == "CVE scanner"
    assert s["auth"] == "APIKey" and s["use_internal_addr"] is True
    assert s["access_credential"] == "***"  # never shown
    assert s["is_default"] is False and s["disabled"] is False
    assert s["health"] == "healthy"
    assert (s["adapter"], s["vendor"], s["version"]) == ("Trivy", "Aqua Security", "0.50.1")
    assert s["capabilities"] == {"support_vulnerability": True, "support_sbom": False}
    assert any(x["uuid"] == uid for x in list_all(registry, admin))
    # the adapter was asked with Harbor's API-key header
    path, headers = adapter.calls[-1]
    assert path == "/api/v1/metadata"
    assert headers.get("X-ScannerAdapter-API-Key") == "the-api-key"
    assert "application/vnd.scanner.adapter.metadata+json" in headers.get("Accept", "")
    # and the credential is sealed in the database
    with registry.db(read_only=True) as db:
        stored = db.execute("SELECT access_credential FROM scanner_registration WHERE uuid = ?",
                            (uid,)).fetchone()[0]
    assert "the-api-key" not in stored and stored


def test_basic_and_bearer_credentials_reach_the_adapter(registry, admin, adapter):
    uid = create(registry, admin, url=adapter.url, auth="Basic",
                 access_credential="scanuser:scanpass")
    r = admin.get(api(registry, f"/scanners/{uid}/metadata"))
    assert_status(r, 200)
    assert r.json()["scanner"]["name"] == "Trivy"
    assert adapter.calls[-1][1]["Authorization"] == \
        "Basic " + base64.b64encode(b"scanuser:scanpass").decode()
    r = admin.put(api(registry, f"/scanners/{uid}"),
                  json={"name": unique(), "url": adapter.url, "auth": "Bearer",
                        "access_credential": "tok123"})
    assert_status(r, 200)
    r = admin.get(api(registry, f"/scanners/{uid}/metadata"))
    assert_status(r, 200)
    assert adapter.calls[-1][1]["Authorization"] == "Bearer tok123"
    # "***" sent back keeps the stored credential
    r = admin.put(api(registry, f"/scanners/{uid}"),
                  json={"name": unique(), "url": adapter.url, "auth": "Bearer",
                        "access_credential": "***", "description": "kept"})
    assert_status(r, 200)
    r = admin.get(api(registry, f"/scanners/{uid}/metadata"))
    assert_status(r, 200)
    assert adapter.calls[-1][1]["Authorization"] == "Bearer tok123"


@pytest.mark.parametrize("body, field", [
    ({"url": "http://127.0.0.1:9"}, "name"),
    ({"name": "x"}, "url"),
    ({"name": "x", "url": "ftp://scanner.example"}, "url"),
    ({"name": "x", "url": "http://"}, "url"),
    ({"name": "x", "url": "http://127.0.0.1:9", "auth": "Digest", "access_credential": "a"},
     "auth"),
    ({"name": "x", "url": "http://127.0.0.1:9", "auth": "Bearer"}, "access_credential"),
    ({"name": 5, "url": "http://127.0.0.1:9"}, "name"),
    ({"name": "x", "url": "http://127.0.0.1:9", "disabled": "yes"}, "disabled"),
])
def test_bad_registration_is_refused(registry, admin, body, field):
    before = list_all(registry, admin)
    r = admin.post(api(registry, "/scanners"), json=body)
    assert_error(r, 400, "BAD_REQUEST")
    assert field in r.json()["errors"][0]["message"]
    assert [s["uuid"] for s in list_all(registry, admin)] == [s["uuid"] for s in before]


def test_name_and_url_are_unique(registry, admin, adapter):
    name = unique()
    create(registry, admin, name=name, url=adapter.url + "/a")
    r = create(registry, admin, 409, name=name, url=adapter.url + "/b")
    assert name in r.json()["errors"][0]["message"]
    r = create(registry, admin, 409, url=adapter.url + "/a")
    assert "/a" in r.json()["errors"][0]["message"]


def test_unreachable_scanner_is_unhealthy(registry, admin):
    uid = create(registry, admin, url="http://127.0.0.1:9")  # discard port: refused
    r = admin.get(api(registry, f"/scanners/{uid}"))
    assert_status(r, 200)
    assert r.json()["health"] == "unhealthy"
    assert "adapter" not in r.json()
    r = admin.get(api(registry, f"/scanners/{uid}/metadata"))
    assert_error(r, 503, "SERVICE_UNAVAILABLE")


def test_unknown_scanner_is_not_found(registry, admin):
    missing = str(uuid.uuid4())
    for method in ("get", "put", "delete", "patch"):
        kwargs = {"json": {"name": "x", "url": "http://127.0.0.1:9", "is_default": True}}
        r = getattr(admin, method)(api(registry, f"/scanners/{missing}"), **kwargs)
        assert_error(r, 404, "NOT_FOUND")


# ------------------------------------------------------------------ ping


def test_ping_checks_the_adapter(registry, admin, adapter):
    r = admin.post(api(registry, "/scanners/ping"),
                   json={"name": "t", "url": adapter.url, "auth": "APIKey",
                         "access_credential": "k"})
    assert_status(r, 200)
    assert adapter.calls[-1][1].get("X-ScannerAdapter-API-Key") == "k"


@pytest.mark.parametrize("metadata, status, why", [
    ({"scanner": {"name": "x", "vendor": "y", "version": "1"}, "capabilities": []}, 200,
     "capabilities"),
    ({"scanner": {"name": "x", "vendor": "y"},
      "capabilities": [{"consumes_mime_types": [DOCKER_V2], "produces_mime_types": [GENERIC]}]},
     200, "version"),
    ({"scanner": {"name": "x", "vendor": "y", "version": "1"},
      "capabilities": [{"consumes_mime_types": ["application/zip"],
                        "produces_mime_types": [GENERIC]}]}, 200, DOCKER_V2),
    (good_metadata(), 500, "HTTP 500"),
])
def test_ping_refuses_a_wrong_adapter(registry, admin, metadata, status, why):
    a = Adapter(metadata, status)
    try:
        r = admin.post(api(registry, "/scanners/ping"), json={"name": "t", "url": a.url})
        assert_error(r, 400, "BAD_REQUEST")
        assert why in r.json()["errors"][0]["message"]
    finally:
        a.close()


def test_ping_of_nothing_listening_is_refused(registry, admin):
    r = admin.post(api(registry, "/scanners/ping"), json={"name": "t", "url": "http://127.0.0.1:9"})
    assert_error(r, 400, "BAD_REQUEST")


# ------------------------------------------------------------------ the default


def test_default_moves_and_guards_deletion(registry, admin, adapter, restore_default):
    uid = create(registry, admin, url=adapter.url)
    r = admin.patch(api(registry, f"/scanners/{uid}"), json={"is_default": True})
    assert_status(r, 200)
    defaults = [s["uuid"] for s in list_all(registry, admin) if s["is_default"]]
    assert defaults == [uid]
    assert builtin(registry, admin)["is_default"] is False
    # the default can be neither deleted nor disabled
    r = admin.delete(api(registry, f"/scanners/{uid}"))
    assert_error(r, 409, "CONFLICT")
    r = admin.put(api(registry, f"/scanners/{uid}"),
                  json={"name": unique(), "url": adapter.url, "disabled": True})
    assert_error(r, 400, "BAD_REQUEST")
    # is_default false changes nothing
    r = admin.patch(api(registry, f"/scanners/{uid}"), json={"is_default": False})
    assert_status(r, 200)
    assert [s["uuid"] for s in list_all(registry, admin) if s["is_default"]] == [uid]
    r = admin.patch(api(registry, f"/scanners/{uid}"), json={})
    assert_error(r, 400, "BAD_REQUEST")
    # back to the built-in, then the external one goes, answering what it was
    b = builtin(registry, admin)
    assert_status(admin.patch(api(registry, f"/scanners/{b['uuid']}"),
                              json={"is_default": True}), 200)
    r = admin.delete(api(registry, f"/scanners/{uid}"))
    assert_status(r, 200)
    assert r.json()["uuid"] == uid
    assert_error(admin.get(api(registry, f"/scanners/{uid}")), 404, "NOT_FOUND")


def test_a_disabled_scanner_cannot_become_the_default(registry, admin, adapter):
    uid = create(registry, admin, url=adapter.url, disabled=True)
    r = admin.patch(api(registry, f"/scanners/{uid}"), json={"is_default": True})
    assert_error(r, 400, "BAD_REQUEST")
    assert builtin(registry, admin)["is_default"] is True


# ------------------------------------------------------------------ projects


def test_project_scanner_defaults_then_follows_the_choice(registry, admin, adapter):
    project = new_project(registry, admin)
    r = admin.get(api(registry, f"/projects/{project}/scanner"))
    assert_status(r, 200)
    assert r.json()["url"] == "builtin://haven"
    uid = create(registry, admin, url=adapter.url)
    r = admin.put(api(registry, f"/projects/{project}/scanner"), json={"uuid": uid})
    assert_status(r, 200)
    r = admin.get(api(registry, f"/projects/{project}/scanner"))
    assert_status(r, 200)
    assert r.json()["uuid"] == uid
    r = admin.get(api(registry, f"/projects/{project}/scanner/candidates"),
                  params={"page_size": 100})
    assert_status(r, 200)
    assert {uid, builtin(registry, admin)["uuid"]} <= {s["uuid"] for s in r.json()}
    # deleting the chosen scanner sends the project back to the default
    assert_status(admin.delete(api(registry, f"/scanners/{uid}")), 200)
    r = admin.get(api(registry, f"/projects/{project}/scanner"))
    assert_status(r, 200)
    assert r.json()["url"] == "builtin://haven"


def test_project_scanner_refusals(registry, admin, adapter):
    project = new_project(registry, admin)
    r = admin.put(api(registry, f"/projects/{project}/scanner"), json={"uuid": str(uuid.uuid4())})
    assert_error(r, 404, "NOT_FOUND")
    r = admin.put(api(registry, f"/projects/{project}/scanner"), json={})
    assert_error(r, 400, "BAD_REQUEST")
    disabled = create(registry, admin, url=adapter.url, disabled=True)
    r = admin.put(api(registry, f"/projects/{project}/scanner"), json={"uuid": disabled})
    assert_error(r, 400, "BAD_REQUEST")
    r = admin.get(api(registry, f"/projects/{project}/scanner"))
    assert r.json()["url"] == "builtin://haven"
    r = admin.get(api(registry, "/projects/no-such-project-here/scanner"))
    assert_error(r, 404, "NOT_FOUND")


def test_who_may_see_and_change_scanners(registry, admin, anon, adapter):
    project = new_project(registry, admin)
    user, password = new_user(registry, admin)
    r = admin.post(api(registry, f"/projects/{project}/members"),
                   json={"role_id": 3, "member_user": {"username": user}})  # guest
    assert_status(r, 201)
    s = registry.session(auth=(user, password))
    assert_error(s.get(api(registry, "/scanners")), 403, "FORBIDDEN")
    assert_error(s.post(api(registry, "/scanners"),
                        json={"name": unique(), "url": adapter.url}), 403, "FORBIDDEN")
    assert_error(anon.get(api(registry, "/scanners")), 401, "UNAUTHORIZED")
    # a guest reads its project's scanner but may not choose one
    r = s.get(api(registry, f"/projects/{project}/scanner"))
    assert_status(r, 200)
    b = builtin(registry, admin)
    r = s.put(api(registry, f"/projects/{project}/scanner"), json={"uuid": b["uuid"]})
    assert_error(r, 403, "FORBIDDEN")
    r = s.get(api(registry, f"/projects/{project}/scanner/candidates"))
    assert_error(r, 403, "FORBIDDEN")
