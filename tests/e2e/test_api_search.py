"""GET /search and GET /statistics of the Harbor v2 API (harbor-api.md §1.13): what an
administrator, a member, an outsider and an anonymous caller find and count.  The counting
tests run on a registry of their own so that the totals are exact.
"""

import uuid

import pytest

from havenlib import assert_error, assert_status

SEARCH_REPO_KEYS = {"project_id", "project_name", "project_public", "repository_name",
                    "pull_count", "artifact_count"}
STAT_KEYS = {"private_project_count", "private_repo_count", "public_project_count",
             "public_repo_count", "total_project_count", "total_repo_count",
             "total_storage_consumption"}
DEVELOPER = 2


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="p"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def create_project(registry, admin, name, public=False):
    r = admin.post(api(registry, "/projects"),
                   json={"project_name": name, "metadata": {"public": str(public).lower()}})
    assert_status(r, 201)
    return name


def user_session(registry, admin):
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


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A registry of its own: library (public) with 1 repository, `priv` (private, the
    member's) with 2, `other` (private) with 1, `pub` (public) with 1."""
    from havenlib import Registry

    reg = Registry(tmp_path_factory.mktemp("havend-search"))
    reg.start()
    admin = reg.session()
    w = {"reg": reg, "admin": admin, "blobs": set()}
    key = unique("k")
    w["key"] = key
    w["priv"] = create_project(reg, admin, f"{key}-priv")
    w["other"] = create_project(reg, admin, f"{key}-other")
    w["pub"] = create_project(reg, admin, f"{key}-pub", public=True)
    pushes = [("library", "base", 1), (w["priv"], "app", 2), (w["priv"], "tool", 2),
              (w["other"], "app", 3), (w["pub"], "web", 4)]
    for project, rel, seed in pushes:
        img = reg.push_image(f"{project}/{key}-{rel}", tag="v1", seed=seed)
        w["blobs"].update([img.manifest, img.config] + img.layers)
    # a second tag of an image already there adds no blob
    reg.push_image(f"{w['priv']}/{key}-app", tag="v2", seed=2)
    member_name, w["member"] = user_session(reg, admin)
    add_member(reg, admin, w["priv"], member_name, DEVELOPER)
    _, w["outsider"] = user_session(reg, admin)
    w["anon"] = reg.session(auth=False)
    yield w
    for s in ("admin", "member", "outsider", "anon"):
        w[s].close()
    problems = reg.stop()
    assert not problems, problems
    text = reg.log_text()
    assert "ERROR: AddressSanitizer" not in text and "runtime error:" not in text


def stats(w, who):
    r = w[who].get(api(w["reg"], "/statistics"))
    assert_status(r, 200)
    body = r.json()
    assert set(body) == STAT_KEYS, sorted(body)
    return body


# ------------------------------------------------------------------ /statistics


def test_statistics_for_an_administrator(world):
    s = stats(world, "admin")
    assert s == {
        "public_project_count": 2, "private_project_count": 2, "total_project_count": 4,
        "public_repo_count": 2, "private_repo_count": 3, "total_repo_count": 5,
        "total_storage_consumption": sum(len(b) for b in world["blobs"]),
    }


def test_statistics_for_a_member(world):
    assert stats(world, "member") == {
        "public_project_count": 2, "private_project_count": 1, "total_project_count": 3,
        "public_repo_count": 2, "private_repo_count": 2, "total_repo_count": 4,
        "total_storage_consumption": 0,
    }


def test_statistics_for_an_outsider(world):
    assert stats(world, "outsider") == {
        "public_project_count": 2, "private_project_count": 0, "total_project_count": 2,
        "public_repo_count": 2, "private_repo_count": 0, "total_repo_count": 2,
        "total_storage_consumption": 0,
    }


def test_statistics_needs_a_login(world):
    assert_error(world["anon"].get(api(world["reg"], "/statistics")), 401, "UNAUTHORIZED")


def test_statistics_follow_a_repository_deletion(start_registry):
    reg = start_registry()
    admin = reg.session()
    create_project(reg, admin, "solo")
    reg.push_image("solo/one", tag="v1", seed=7)
    reg.push_image("solo/two", tag="v1", seed=8)
    before = admin.get(api(reg, "/statistics")).json()
    assert before["private_repo_count"] == 2 and before["total_repo_count"] == 2
    assert_status(admin.delete(api(reg, "/projects/solo/repositories/two")), 200)
    after = admin.get(api(reg, "/statistics")).json()
    assert after["private_repo_count"] == 1 and after["total_repo_count"] == 1
    assert after["private_project_count"] == 1 and after["public_project_count"] == 1


# ------------------------------------------------------------------ /search


def search(w, who, q):
    r = w[who].get(api(w["reg"], "/search"), params={"q": q})
    assert_status(r, 200)
    body = r.json()
    assert set(body) == {"project", "repository"}, body
    return body


def test_search_shapes(world):
    w = world
    body = search(w, "admin", f"{w['key']}-pub")
    assert [p["name"] for p in body["project"]] == [w["pub"]]
    listed = w["admin"].get(api(w["reg"], "/projects"), params={"name": w["pub"]}).json()
    assert body["project"] == listed  # a project as GET /projects shows it
    assert body["project"][0]["repo_count"] == 1
    [repo] = body["repository"]
    assert set(repo) == SEARCH_REPO_KEYS, sorted(repo)
    assert repo == {
        "project_id": listed[0]["project_id"], "project_name": w["pub"], "project_public": True,
        "repository_name": f"{w['pub']}/{w['key']}-web", "pull_count": 0, "artifact_count": 1,
    }


def repository_names(body):
    return sorted(r["repository_name"] for r in body["repository"])


def test_search_for_each_caller(world):
    w, key = world, world["key"]
    everything = sorted([f"library/{key}-base", f"{w['priv']}/{key}-app",
                         f"{w['priv']}/{key}-tool", f"{w['other']}/{key}-app",
                         f"{w['pub']}/{key}-web"])
    body = search(w, "admin", key)
    assert repository_names(body) == everything
    assert sorted(p["name"] for p in body["project"]) == sorted([w["priv"], w["other"], w["pub"]])
    body = search(w, "member", key)
    assert repository_names(body) == sorted([f"library/{key}-base", f"{w['priv']}/{key}-app",
                                             f"{w['priv']}/{key}-tool", f"{w['pub']}/{key}-web"])
    assert sorted(p["name"] for p in body["project"]) == sorted([w["priv"], w["pub"]])
    private = [r for r in body["repository"] if r["project_name"] == w["priv"]]
    assert all(r["project_public"] is False for r in private)
    assert {r["repository_name"]: r["artifact_count"] for r in private} == {
        f"{w['priv']}/{key}-app": 1, f"{w['priv']}/{key}-tool": 1}
    for who in ("outsider", "anon"):
        body = search(w, who, key)
        assert repository_names(body) == sorted([f"library/{key}-base", f"{w['pub']}/{key}-web"])
        assert [p["name"] for p in body["project"]] == [w["pub"]]


def test_search_is_fuzzy_and_literal(world):
    w, key = world, world["key"]
    # the middle of a name, surrounding blanks ignored
    body = search(w, "admin", f"  {key[3:]}-too ")
    assert repository_names(body) == [f"{w['priv']}/{key}-tool"]
    assert body["project"] == []
    # % and _ are literal characters, not patterns
    assert search(w, "admin", f"{key}%")["repository"] == []
    assert search(w, "admin", f"{key}_app")["repository"] == []
    assert search(w, "admin", unique("none")) == {"project": [], "repository": []}


def test_search_without_q_lists_what_is_visible(world):
    body = search(world, "anon", "")
    assert {r["project_name"] for r in body["repository"]} <= {"library", world["pub"]}
    assert {p["name"] for p in body["project"]} == {"library", world["pub"]}
