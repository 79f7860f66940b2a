"""Immutable tag rules (harbor-api.md §1.10, §7.3): /projects/{p}/immutabletagrules (create,
list, update incl. disabled, delete; validation naming the field, 409 for the same rule
twice, at most 15 per project, Harbor's permissions) and what a rule does over /v2 and the
artifact API: re-pushing the same digest is allowed, pushing another digest over an
immutable tag, deleting it, deleting its artifact or repository, or copying onto it is a
412 with Harbor's message.  Selectors are doublestar patterns: the repository name is
matched without its project, tags with matches/excludes, `**`, `*`, `?`, `{a,b}`.
Each refused request is followed by a check that nothing changed.
"""

import random
import re
import uuid

import pytest

from havenlib import (
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    assert_error,
    assert_status,
    canonical,
    descriptor,
    digest_of,
)

RULE_KEYS = {"id", "priority", "disabled", "action", "template", "params", "tag_selectors",
             "scope_selectors"}


# ------------------------------------------------------------------ helpers


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="im"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def new_project(registry, admin, public=False):
    name = unique()
    r = admin.post(api(registry, "/projects"),
                   json={"project_name": name, "metadata": {"public": str(public).lower()}})
    assert_status(r, 201)
    return name


def rule_body(tag="**", repo="**", tag_dec="matches", repo_dec="repoMatches", **extra):
    body = {
        "action": "immutable",
        "template": "immutable_template",
        "tag_selectors": [{"kind": "doublestar", "decoration": tag_dec, "pattern": tag}],
        "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": repo_dec,
                                            "pattern": repo}]},
    }
    body.update(extra)
    return body


def rules_url(registry, project, rule_id=None):
    tail = f"/{rule_id}" if rule_id is not None else ""
    return api(registry, f"/projects/{project}/immutabletagrules{tail}")


def add_rule(registry, session, project, status=201, **kw):
    r = session.post(rules_url(registry, project), json=rule_body(**kw))
    assert_status(r, status)
    if status != 201:
        return r
    m = re.fullmatch(rf"/api/v2\.0/projects/{project}/immutabletagrules/(\d+)",
                     r.headers["Location"])
    assert m, r.headers["Location"]
    return int(m.group(1))


def list_rules(registry, session, project, **params):
    r = session.get(rules_url(registry, project), params=params)
    assert_status(r, 200)
    return r.json()


def set_disabled(registry, admin, project, rule_id, disabled):
    r = admin.put(rules_url(registry, project, rule_id), json={"disabled": disabled})
    assert_status(r, 200)


def image(seed):
    """A config, a layer and the OCI manifest of a small image (bytes)."""
    rnd = random.Random(seed)
    layer = rnd.randbytes(256)
    config = canonical({"architecture": "amd64", "os": "linux", "seed": seed,
                        "rootfs": {"type": "layers", "diff_ids": [digest_of(layer)]}})
    manifest = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                          "config": descriptor(OCI_CONFIG, config),
                          "layers": [descriptor(OCI_LAYER, layer)]})
    return config, layer, manifest


def push(registry, repo, tag, seed, session=None):
    """Pushes image(seed) as repo:tag; returns (response of the manifest PUT, digest)."""
    config, layer, manifest = image(seed)
    for blob in (config, layer):
        registry.push_blob(repo, blob, session=session)
    return registry.push_manifest(repo, tag, manifest, session=session), digest_of(manifest)


def push_ok(registry, repo, tag, seed):
    r, d = push(registry, repo, tag, seed)
    assert_status(r, 201)
    return d


def current(registry, repo, tag):
    r = registry.session().head(registry.v2(f"{repo}/manifests/{tag}"),
                                headers={"Accept": OCI_MANIFEST})
    return r.headers.get("Docker-Content-Digest") if r.status_code == 200 else None


def assert_immutable(resp, repo, tag):
    assert_status(resp, 412)
    messages = [e.get("message", "") for e in resp.json()["errors"]]
    want = f"Failed to process request due to '{repo}:{tag}' configured as immutable."
    assert any(want in m for m in messages), messages


def overwrite_refused(registry, repo, tag, seed):
    """Another digest cannot be pushed over repo:tag; the tag keeps its digest."""
    before = current(registry, repo, tag)
    r, d = push(registry, repo, tag, seed)
    assert_immutable(r, repo, tag)
    assert current(registry, repo, tag) == before != d


def overwrite_allowed(registry, repo, tag, seed):
    r, d = push(registry, repo, tag, seed)
    assert_status(r, 201)
    assert current(registry, repo, tag) == d


def path_segment(repo):
    """The repository of a full name, double-encoded for an API path."""
    return repo.split("/", 1)[1].replace("/", "%252F")


# ------------------------------------------------------------------ the rules API


def test_create_list_update_delete(registry, admin):
    project = new_project(registry, admin)
    assert list_rules(registry, admin, project) == []
    rid = add_rule(registry, admin, project, tag="v*", repo="app/**")
    rules = list_rules(registry, admin, project)
    assert len(rules) == 1
    rule = rules[0]
    assert set(rule) == RULE_KEYS, sorted(rule)
    assert rule["id"] == rid and rule["priority"] == 0 and rule["disabled"] is False
    assert rule["action"] == "immutable" and rule["template"] == "immutable_template"
    assert rule["params"] == {}
    assert rule["tag_selectors"] == [{"kind": "doublestar", "decoration": "matches",
                                      "pattern": "v*", "extras": ""}]
    assert rule["scope_selectors"] == {"repository": [
        {"kind": "doublestar", "decoration": "repoMatches", "pattern": "app/**", "extras": ""}]}

    # the project may be named by id too
    pid = admin.get(api(registry, f"/projects/{project}")).json()["project_id"]
    assert list_rules(registry, admin, pid) == rules

    set_disabled(registry, admin, project, rid, True)
    assert list_rules(registry, admin, project)[0]["disabled"] is True
    set_disabled(registry, admin, project, rid, False)
    assert list_rules(registry, admin, project)[0]["disabled"] is False

    # a full body replaces the selectors and the priority
    body = rule_body(tag="release-*", tag_dec="excludes", repo="**", priority=3, disabled=True,
                     id=rid)
    assert_status(admin.put(rules_url(registry, project, rid), json=body), 200)
    rule = list_rules(registry, admin, project)[0]
    assert rule["priority"] == 3 and rule["disabled"] is True
    assert rule["tag_selectors"][0]["decoration"] == "excludes"
    assert rule["tag_selectors"][0]["pattern"] == "release-*"
    assert rule["scope_selectors"]["repository"][0]["pattern"] == "**"

    assert_status(admin.delete(rules_url(registry, project, rid)), 200)
    assert list_rules(registry, admin, project) == []
    assert_error(admin.delete(rules_url(registry, project, rid)), 404, "NOT_FOUND")
    assert_error(admin.put(rules_url(registry, project, rid), json={"disabled": True}), 404,
                 "NOT_FOUND")


def test_rules_belong_to_their_project(registry, admin):
    a, b = new_project(registry, admin), new_project(registry, admin)
    rid = add_rule(registry, admin, a)
    assert_error(admin.put(rules_url(registry, b, rid), json={"disabled": True}), 404,
                 "NOT_FOUND")
    assert_error(admin.delete(rules_url(registry, b, rid)), 404, "NOT_FOUND")
    assert list_rules(registry, admin, b) == []
    assert len(list_rules(registry, admin, a)) == 1
    assert_error(admin.get(rules_url(registry, "no-such-project-" + unique())), 404,
                 "NOT_FOUND")
    assert_error(admin.put(rules_url(registry, a, "x"), json={"disabled": True}), 400,
                 "BAD_REQUEST")


def _sel(kind="doublestar", decoration="matches", pattern="**"):
    return {"kind": kind, "decoration": decoration, "pattern": pattern}


INVALID = [
    ("action", dict(action="retain"), "action"),
    ("template", dict(template="latestPushedK"), "template"),
    ("action type", dict(action=1), "action"),
    ("no tag selectors", dict(tag_selectors=None), "tag_selectors"),
    ("empty tag selectors", dict(tag_selectors=[]), "tag_selectors"),
    ("two tag selectors", dict(tag_selectors=[_sel(), _sel(pattern="v*")]), "tag_selectors"),
    ("tag kind", dict(tag_selectors=[_sel(kind="regexp")]), "tag_selectors[0].kind"),
    ("tag decoration", dict(tag_selectors=[_sel(decoration="repoMatches")]),
     "tag_selectors[0].decoration"),
    ("tag pattern missing", dict(tag_selectors=[{"kind": "doublestar",
                                                 "decoration": "matches"}]),
     "tag_selectors[0].pattern"),
    ("tag pattern class", dict(tag_selectors=[_sel(pattern="v[1-")]),
     "tag_selectors[0].pattern"),
    ("tag pattern brace", dict(tag_selectors=[_sel(pattern="{a,b")]),
     "tag_selectors[0].pattern"),
    ("tag extras", dict(tag_selectors=[dict(_sel(), extras=5)]), "tag_selectors[0].extras"),
    ("long extras", dict(tag_selectors=[dict(_sel(), extras="x" * 257)]),
     "tag_selectors[0].extras"),
    ("long pattern", dict(tag_selectors=[_sel(pattern="v" * 513)]), "tag_selectors[0].pattern"),
    ("no scope", dict(scope_selectors=None), "scope_selectors"),
    ("scope not object", dict(scope_selectors=[]), "scope_selectors"),
    ("scope other key", dict(scope_selectors={"repository": [_sel(decoration="repoMatches")],
                                              "namespace": [_sel()]}),
     "scope_selectors.namespace"),
    ("repo decoration", dict(scope_selectors={"repository": [_sel(decoration="matches")]}),
     "scope_selectors.repository[0].decoration"),
    ("repo kind", dict(scope_selectors={"repository": [_sel(kind="label",
                                                             decoration="repoMatches")]}),
     "scope_selectors.repository[0].kind"),
    ("repo pattern", dict(scope_selectors={"repository": [_sel(decoration="repoMatches",
                                                                pattern="a\\")]}),
     "scope_selectors.repository[0].pattern"),
    ("params", dict(params=[]), "params"),
    ("priority", dict(priority="high"), "priority"),
    ("disabled", dict(disabled="yes"), "disabled"),
]


@pytest.mark.parametrize("case,change,field", INVALID, ids=[c[0] for c in INVALID])
def test_create_refuses_invalid_rules(registry, admin, case, change, field):
    project = new_project(registry, admin)
    body = rule_body()
    for k, v in change.items():
        if v is None:
            body.pop(k)
        else:
            body[k] = v
    r = admin.post(rules_url(registry, project), json=body)
    assert_error(r, 400, "BAD_REQUEST")
    assert field in r.json()["errors"][0]["message"], r.json()
    assert list_rules(registry, admin, project) == []


def test_update_refuses_invalid_rules(registry, admin):
    project = new_project(registry, admin)
    rid = add_rule(registry, admin, project, tag="v*")
    before = list_rules(registry, admin, project)
    for body in ({"tag_selectors": [_sel(pattern="[")]},
                 {"scope_selectors": {"repository": [_sel(decoration="excludes")]}},
                 {"action": "retain"}, {"disabled": "true"}):
        assert_error(admin.put(rules_url(registry, project, rid), json=body), 400, "BAD_REQUEST")
    r = admin.put(rules_url(registry, project, rid), data=b"{not json",
                  headers={"Content-Type": "application/json"})
    assert_error(r, 400, "BAD_REQUEST")
    assert list_rules(registry, admin, project) == before


def test_action_and_template_default_when_absent(registry, admin):
    project = new_project(registry, admin)
    body = rule_body(tag="v1")
    del body["action"], body["template"]
    assert_status(admin.post(rules_url(registry, project), json=body), 201)
    rule = list_rules(registry, admin, project)[0]
    assert rule["action"] == "immutable" and rule["template"] == "immutable_template"


def test_same_rule_twice_is_409(registry, admin):
    project = new_project(registry, admin)
    rid = add_rule(registry, admin, project, tag="v*", repo="app")
    r = add_rule(registry, admin, project, status=409, tag="v*", repo="app")
    assert_error(r, 409, "CONFLICT")
    # priority and disabled do not make it another rule
    r = admin.post(rules_url(registry, project),
                   json=rule_body(tag="v*", repo="app", priority=5, disabled=True))
    assert_error(r, 409, "CONFLICT")
    # another pattern or decoration is another rule; another project may have the same one
    other = add_rule(registry, admin, project, tag="v*", repo="app", tag_dec="excludes")
    add_rule(registry, admin, project, tag="w*", repo="app")
    add_rule(registry, admin, new_project(registry, admin), tag="v*", repo="app")
    # an update that would make two rules equal is refused too
    r = admin.put(rules_url(registry, project, other), json=rule_body(tag="v*", repo="app"))
    assert_error(r, 409, "CONFLICT")
    assert len(list_rules(registry, admin, project)) == 3
    # once deleted, the rule can be created again
    assert_status(admin.delete(rules_url(registry, project, rid)), 200)
    add_rule(registry, admin, project, tag="v*", repo="app")


def test_at_most_15_rules(registry, admin):
    project = new_project(registry, admin)
    ids = [add_rule(registry, admin, project, tag=f"t{i}-*") for i in range(15)]
    r = add_rule(registry, admin, project, status=400, tag="t15-*")
    assert_error(r, 400, "BAD_REQUEST")
    assert "15" in r.json()["errors"][0]["message"]
    # disabled ones count as well
    set_disabled(registry, admin, project, ids[0], True)
    add_rule(registry, admin, project, status=400, tag="t16-*")
    assert_status(admin.delete(rules_url(registry, project, ids[0])), 200)
    add_rule(registry, admin, project, tag="t15-*")


def test_list_pages(registry, admin):
    project = new_project(registry, admin)
    ids = [add_rule(registry, admin, project, tag=f"p{i}") for i in range(5)]
    r = admin.get(rules_url(registry, project), params={"page": 2, "page_size": 2})
    assert_status(r, 200)
    assert r.headers["X-Total-Count"] == "5"
    assert [x["id"] for x in r.json()] == ids[2:4]
    assert 'rel="prev"' in r.headers["Link"] and 'rel="next"' in r.headers["Link"]
    r = admin.get(rules_url(registry, project), params={"sort": "-id", "page_size": 100})
    assert [x["id"] for x in r.json()] == ids[::-1]
    set_disabled(registry, admin, project, ids[1], True)
    r = admin.get(rules_url(registry, project), params={"q": "disabled=true"})
    assert [x["id"] for x in r.json()] == [ids[1]]
    assert_error(admin.get(rules_url(registry, project), params={"q": "color=red"}), 400,
                 "BAD_REQUEST")


def _user(registry, admin, project, role_id):
    name = unique("u")
    pw = "Pw" + uuid.uuid4().hex[:10] + "A1"
    r = admin.post(api(registry, "/users"),
                   json={"username": name, "password": pw, "email": f"{name}@e2e.example.com",
                         "realname": name})
    assert_status(r, 201)
    if role_id:
        r = admin.post(api(registry, f"/projects/{project}/members"),
                       json={"role_id": role_id, "member_user": {"username": name}})
        assert_status(r, 201)
    return registry.session(auth=(name, pw))


@pytest.mark.parametrize("role_id,allowed", [(1, True), (4, True), (2, False), (3, False),
                                             (5, False), (None, False)],
                         ids=["admin", "maintainer", "developer", "guest", "limited-guest",
                              "non-member"])
def test_permissions(registry, admin, role_id, allowed):
    project = new_project(registry, admin, public=True)
    rid = add_rule(registry, admin, project, tag="base")
    s = _user(registry, admin, project, role_id)
    checks = [
        lambda: s.get(rules_url(registry, project)),
        lambda: s.post(rules_url(registry, project), json=rule_body(tag="mine")),
        lambda: s.put(rules_url(registry, project, rid), json={"disabled": True}),
        lambda: s.delete(rules_url(registry, project, rid)),
    ]
    for i, call in enumerate(checks):
        r = call()
        if allowed:
            assert r.status_code in (200, 201), (i, r.status_code, r.text)
        else:
            assert_error(r, 403, "FORBIDDEN")
    if not allowed:
        rules = list_rules(registry, admin, project)
        assert [(x["id"], x["disabled"]) for x in rules] == [(rid, False)]


def test_anonymous_must_log_in(registry, admin, anon):
    project = new_project(registry, admin, public=True)
    rid = add_rule(registry, admin, project)
    assert_error(anon.get(rules_url(registry, project)), 401, "UNAUTHORIZED")
    assert_error(anon.post(rules_url(registry, project), json=rule_body(tag="x")), 401,
                 "UNAUTHORIZED")
    assert_error(anon.put(rules_url(registry, project, rid), json={"disabled": True}), 401,
                 "UNAUTHORIZED")
    assert_error(anon.delete(rules_url(registry, project, rid)), 401, "UNAUTHORIZED")
    # an unknown project is not revealed to anonymous callers either
    assert_error(anon.get(rules_url(registry, unique())), 401, "UNAUTHORIZED")
    assert len(list_rules(registry, admin, project)) == 1


# ------------------------------------------------------------------ enforcement over /v2


def test_push_delete_and_repush_over_v2(registry, admin):
    project = new_project(registry, admin)
    repo = f"{project}/app"
    d1 = push_ok(registry, repo, "v1", seed=1)
    push_ok(registry, repo, "latest", seed=1)
    add_rule(registry, admin, project, tag="v*", repo="**")

    # the same digest again is fine, by tag and by digest
    _, _, manifest = image(1)
    assert_status(registry.push_manifest(repo, "v1", manifest), 201)
    assert_status(registry.push_manifest(repo, d1, manifest), 201)
    # another digest over the tag is refused with Harbor's message
    overwrite_refused(registry, repo, "v1", seed=2)
    # a new tag that matches can be pushed once; then it is immutable as well
    d3 = push_ok(registry, repo, "v3", seed=3)
    overwrite_refused(registry, repo, "v3", seed=4)
    # deleting the tag, or the artifact that carries it, is refused
    assert_immutable(admin.delete(registry.v2(f"{repo}/manifests/v1")), repo, "v1")
    assert_immutable(admin.delete(registry.v2(f"{repo}/manifests/{d3}")), repo, "v3")
    assert current(registry, repo, "v1") == d1 and current(registry, repo, "v3") == d3
    # tags the rule does not match stay mutable
    overwrite_allowed(registry, repo, "latest", seed=5)
    assert_status(admin.delete(registry.v2(f"{repo}/manifests/latest")), 202)
    assert current(registry, repo, "latest") is None


def test_disabling_or_deleting_the_rule_lifts_it(registry, admin):
    project = new_project(registry, admin)
    repo = f"{project}/app"
    push_ok(registry, repo, "v1", seed=10)
    rid = add_rule(registry, admin, project, tag="v1")
    overwrite_refused(registry, repo, "v1", seed=11)
    set_disabled(registry, admin, project, rid, True)
    overwrite_allowed(registry, repo, "v1", seed=11)
    set_disabled(registry, admin, project, rid, False)
    overwrite_refused(registry, repo, "v1", seed=12)
    assert_status(admin.delete(rules_url(registry, project, rid)), 200)
    overwrite_allowed(registry, repo, "v1", seed=12)
    d = current(registry, repo, "v1")
    assert_status(admin.delete(registry.v2(f"{repo}/manifests/{d}")), 202)


def test_excludes_decorations(registry, admin):
    project = new_project(registry, admin)
    add_rule(registry, admin, project, tag="dev-*", tag_dec="excludes", repo="scratch/**",
             repo_dec="repoExcludes")
    for repo in (f"{project}/app", f"{project}/scratch/x"):
        for tag in ("dev-1", "rel-1"):
            push_ok(registry, repo, tag, seed=20)
    # rel-1 of app: the tag is not excluded and the repository is not excluded
    overwrite_refused(registry, f"{project}/app", "rel-1", seed=21)
    overwrite_allowed(registry, f"{project}/app", "dev-1", seed=21)
    # every tag of the excluded repository stays mutable
    overwrite_allowed(registry, f"{project}/scratch/x", "rel-1", seed=21)
    overwrite_allowed(registry, f"{project}/scratch/x", "dev-1", seed=21)


def test_brace_question_and_star_patterns(registry, admin):
    project = new_project(registry, admin)
    add_rule(registry, admin, project, tag="{prod,stable}", repo="app")
    add_rule(registry, admin, project, tag="1.?.*", repo="app")
    repo = f"{project}/app"
    for tag in ("prod", "stable", "staging", "1.2.3", "1.22.0", "prod2"):
        push_ok(registry, repo, tag, seed=30)
    for tag in ("prod", "stable", "1.2.3"):
        overwrite_refused(registry, repo, tag, seed=31)
    for tag in ("staging", "1.22.0", "prod2"):
        overwrite_allowed(registry, repo, tag, seed=31)


def test_repository_patterns_ignore_the_project(registry, admin):
    project = new_project(registry, admin)
    add_rule(registry, admin, project, tag="**", repo="team/**")
    add_rule(registry, admin, project, tag="**", repo="solo")
    add_rule(registry, admin, project, tag="**", repo=f"{project}/named")
    immutable = [f"{project}/team/a", f"{project}/team/a/b", f"{project}/solo"]
    mutable = [f"{project}/teamx", f"{project}/solo/x", f"{project}/named",
               f"{project}/x/team/a"]
    for repo in immutable + mutable:
        push_ok(registry, repo, "t", seed=40)
    for repo in immutable:
        overwrite_refused(registry, repo, "t", seed=41)
    for repo in mutable:
        overwrite_allowed(registry, repo, "t", seed=41)


def test_single_star_does_not_cross_slashes(registry, admin):
    project = new_project(registry, admin)
    add_rule(registry, admin, project, tag="**", repo="*")
    push_ok(registry, f"{project}/top", "t", seed=50)
    push_ok(registry, f"{project}/a/nested", "t", seed=50)
    overwrite_refused(registry, f"{project}/top", "t", seed=51)
    overwrite_allowed(registry, f"{project}/a/nested", "t", seed=51)


def test_empty_patterns_match_everything(registry, admin):
    project = new_project(registry, admin)
    add_rule(registry, admin, project, tag="", repo="")
    push_ok(registry, f"{project}/a/b", "anything", seed=55)
    overwrite_refused(registry, f"{project}/a/b", "anything", seed=56)


def test_rules_of_other_projects_do_not_apply(registry, admin):
    mine, other = new_project(registry, admin), new_project(registry, admin)
    add_rule(registry, admin, other, tag="**", repo="**")
    push_ok(registry, f"{mine}/app", "v1", seed=60)
    push_ok(registry, f"{other}/app", "v1", seed=60)
    overwrite_allowed(registry, f"{mine}/app", "v1", seed=61)
    overwrite_refused(registry, f"{other}/app", "v1", seed=61)


def test_an_index_child_is_protected_through_the_index_tag(registry, admin):
    """Deleting the tagged index is refused; its untagged children are not tags."""
    project = new_project(registry, admin)
    repo = f"{project}/multi"
    children = []
    for seed in (70, 71):
        config, layer, manifest = image(seed)
        for blob in (config, layer):
            registry.push_blob(repo, blob)
        d = digest_of(manifest)
        assert_status(registry.push_manifest(repo, d, manifest), 201)
        children.append(descriptor(OCI_MANIFEST, manifest))
    index = canonical({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                       "manifests": children})
    r = registry.push_manifest(repo, "v1", index,
                               media_type="application/vnd.oci.image.index.v1+json")
    assert_status(r, 201)
    add_rule(registry, admin, project, tag="v1")
    assert_immutable(admin.delete(registry.v2(f"{repo}/manifests/{digest_of(index)}")), repo,
                     "v1")
    r = admin.get(registry.v2(f"{repo}/manifests/v1"),
                  headers={"Accept": "application/vnd.oci.image.index.v1+json"})
    assert_status(r, 200)
    assert r.headers["Docker-Content-Digest"] == digest_of(index)


# ------------------------------------------------------------------ the artifact API


def test_artifact_api_deletes_are_refused(registry, admin):
    project = new_project(registry, admin)
    repo = f"{project}/api/app"
    d = push_ok(registry, repo, "v1", seed=80)
    add_rule(registry, admin, project, tag="v1", repo="api/**")
    base = api(registry, f"/projects/{project}/repositories/{path_segment(repo)}")
    assert_immutable(admin.delete(f"{base}/artifacts/{d}"), repo, "v1")
    assert_immutable(admin.delete(f"{base}/artifacts/v1"), repo, "v1")
    assert_immutable(admin.delete(f"{base}/artifacts/{d}/tags/v1"), repo, "v1")
    assert_immutable(admin.delete(base), repo, "v1")
    assert current(registry, repo, "v1") == d
    # with the rule disabled, the same requests go through
    rid = list_rules(registry, admin, project)[0]["id"]
    set_disabled(registry, admin, project, rid, True)
    assert_status(admin.delete(f"{base}/artifacts/{d}/tags/v1"), 200)
    assert_status(admin.delete(base), 200)
    assert current(registry, repo, "v1") is None


def test_artifact_api_tag_and_copy_onto_an_immutable_tag(registry, admin):
    project = new_project(registry, admin)
    repo, src = f"{project}/dst", f"{project}/src"
    d1 = push_ok(registry, repo, "v1", seed=90)
    d2 = push_ok(registry, src, "v1", seed=91)
    add_rule(registry, admin, project, tag="v1", repo="dst")
    base = api(registry, f"/projects/{project}/repositories/dst/artifacts")
    # copying another artifact onto dst:v1 would move the tag (a copy takes the source's
    # tags along, by tag or by digest)
    assert_immutable(admin.post(base, params={"from": f"{src}:v1"}), repo, "v1")
    assert_immutable(admin.post(base, params={"from": f"{src}@{d2}"}), repo, "v1")
    assert current(registry, repo, "v1") == d1
    # so would adding the tag to another artifact
    d3 = push_ok(registry, repo, "other", seed=92)
    assert_immutable(admin.post(f"{base}/{d3}/tags", json={"name": "v1"}), repo, "v1")
    assert current(registry, repo, "v1") == d1
    # a copy that moves no immutable tag goes through
    push_ok(registry, src, "v2", seed=93)
    assert_status(admin.post(base, params={"from": f"{src}:v2"}), 201)


def test_artifact_api_shows_immutable_status(registry, admin):
    project = new_project(registry, admin)
    repo = f"{project}/app"
    d = push_ok(registry, repo, "v1", seed=95)
    push_ok(registry, repo, "dev", seed=95)
    rid = add_rule(registry, admin, project, tag="v*", repo="app")
    url = api(registry, f"/projects/{project}/repositories/app/artifacts/{d}")
    r = admin.get(url, params={"with_immutable_status": "true"})
    assert_status(r, 200)
    assert {t["name"]: t["immutable"] for t in r.json()["tags"]} == {"v1": True, "dev": False}
    set_disabled(registry, admin, project, rid, True)
    r = admin.get(url, params={"with_immutable_status": "true"})
    assert {t["name"]: t["immutable"] for t in r.json()["tags"]} == {"v1": False, "dev": False}
