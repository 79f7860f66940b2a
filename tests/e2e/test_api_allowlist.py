"""The system CVE allowlist (harbor-api.md §1.13): GET /system/CVEAllowlist for anyone logged
in, PUT for system administrators, with Harbor's CVEAllowlist shape (project_id 0, items,
expires_at, times); refused bodies change nothing.  (The project allowlist is a project's
cve_allowlist: test_api_projects.py.)"""

import uuid

import pytest

from havenlib import assert_error, assert_status


def url(registry):
    return f"{registry.url}/api/v2.0/system/CVEAllowlist"


@pytest.fixture
def restore(registry, admin):
    before = admin.get(url(registry)).json()
    yield
    body = {"items": before["items"]}
    if before.get("expires_at") is not None:
        body["expires_at"] = before["expires_at"]
    assert_status(admin.put(url(registry), json=body), 200)


def test_put_then_get(registry, admin, restore):
    r = admin.put(url(registry), json={"items": [{"cve_id": "CVE-2024-3094"},
                                                 {"cve_id": "CVE-2023-4863"}],
                                       "expires_at": 4102444800, "project_id": 0})
    assert_status(r, 200)
    got = admin.get(url(registry)).json()
    assert got["project_id"] == 0
    assert [i["cve_id"] for i in got["items"]] == ["CVE-2024-3094", "CVE-2023-4863"]
    assert got["expires_at"] == 4102444800
    assert got["creation_time"] and got["update_time"]
    created = got["creation_time"]
    # a second PUT replaces the items, drops the expiry and keeps the creation time
    assert_status(admin.put(url(registry), json={"items": [{"cve_id": "CVE-2021-44228"}]}), 200)
    got = admin.get(url(registry)).json()
    assert [i["cve_id"] for i in got["items"]] == ["CVE-2021-44228"]
    assert got.get("expires_at") is None
    assert got["creation_time"] == created


@pytest.mark.parametrize("body, why", [
    ({"items": [{"cve_id": "CVE-1"}, {"cve_id": "CVE-1"}]}, "duplicate"),
    ({"items": "CVE-1"}, "items"),
    ({"items": [{"id": "CVE-1"}]}, "cve_id"),
    ({"items": [], "expires_at": "soon"}, "expires_at"),
    ({"items": [], "project_id": 7}, "project_id"),
])
def test_bad_bodies_are_refused(registry, admin, restore, body, why):
    before = admin.get(url(registry)).json()
    r = admin.put(url(registry), json=body)
    assert_error(r, 400, "BAD_REQUEST")
    assert why in r.json()["errors"][0]["message"]
    assert admin.get(url(registry)).json()["items"] == before["items"]


def test_who_may_read_and_change_it(registry, admin, anon, restore):
    name = "u" + uuid.uuid4().hex[:10]
    password = "Pw-" + uuid.uuid4().hex[:12] + "A1"
    r = admin.post(f"{registry.url}/api/v2.0/users",
                   json={"username": name, "password": password, "email": f"{name}@e2e.test",
                         "realname": name})
    assert_status(r, 201)
    user = registry.session(auth=(name, password))
    assert_status(user.get(url(registry)), 200)
    assert_error(user.put(url(registry), json={"items": [{"cve_id": "CVE-2020-1"}]}), 403,
                 "FORBIDDEN")
    assert_error(anon.get(url(registry)), 401, "UNAUTHORIZED")
    assert "CVE-2020-1" not in str(admin.get(url(registry)).json())
