"""Tag retention policies (harbor-api.md §1.9, §7.1–§7.3): /retentions/metadatas, create
(201 with Location, the project's retention_id set), get, update, delete (retention_id
cleared), Harbor's validation (algorithm, templates and their parameter bounds, selectors,
trigger, scope, 15 rules, the same rule twice is 409, one policy per project), the
POST /projects/{p}/retentions alias, and tag-retention permissions (admins, maintainers and
developers of the project).
"""

import copy
import re
import uuid

import pytest

from havenlib import assert_error, assert_status


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def unique(prefix="rt"):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def new_project(registry, admin):
    name = unique()
    assert_status(admin.post(api(registry, "/projects"),
                             json={"project_name": name, "metadata": {"public": "false"}}), 201)
    r = admin.get(api(registry, f"/projects/{name}"))
    assert_status(r, 200)
    return r.json()


def rule(template="latestPushedK", value=10, tags="**", repos="**", **extra):
    body = {
        "id": 0, "priority": 1, "disabled": False, "action": "retain", "template": template,
        "params": {template: value} if value is not None else {},
        "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": tags,
                           "extras": "{\"untagged\":true}"}],
        "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches",
                                            "pattern": repos}]},
    }
    body.update(extra)
    return body


def policy(project_id, rules=None, cron="0 0 0 * * *"):
    return {
        "algorithm": "or",
        "rules": [rule()] if rules is None else rules,
        "trigger": {"kind": "Schedule", "settings": {"cron": cron}, "references": {}},
        "scope": {"level": "project", "ref": project_id},
    }


def create(registry, session, body, status=201):
    r = session.post(api(registry, "/retentions"), json=body)
    assert_status(r, status)
    if status != 201:
        return r
    m = re.fullmatch(r"/api/v2\.0/retentions/(\d+)", r.headers["Location"])
    assert m, r.headers["Location"]
    return int(m.group(1))


def retention_id(registry, admin, project):
    r = admin.get(api(registry, f"/projects/{project['project_id']}/metadatas/retention_id"))
    if r.status_code == 404:
        return None
    assert_status(r, 200)
    return r.json()["retention_id"]


def test_metadatas(registry, admin, anon):
    r = admin.get(api(registry, "/retentions/metadatas"))
    assert_status(r, 200)
    body = r.json()
    templates = {t["rule_template"]: t for t in body["templates"]}
    assert set(templates) == {"latestPushedK", "latestPulledN", "nDaysSinceLastPush",
                              "nDaysSinceLastPull", "always"}
    assert templates["latestPushedK"]["params"] == [{"type": "int", "unit": "COUNT",
                                                     "required": True}]
    assert templates["nDaysSinceLastPull"]["params"][0]["unit"] == "DAYS"
    assert templates["always"]["params"] == []
    assert all(t["action"] == "retain" for t in body["templates"])
    assert body["scope_selectors"] == [{"display_text": "Repositories", "kind": "doublestar",
                                        "decorations": ["repoMatches", "repoExcludes"]}]
    assert {"display_text": "Tags", "kind": "doublestar",
            "decorations": ["matches", "excludes"]} in body["tag_selectors"]
    assert_error(anon.get(api(registry, "/retentions/metadatas")), 401, "UNAUTHORIZED")


def test_create_get_update_delete(registry, admin):
    project = new_project(registry, admin)
    pid = project["project_id"]
    rid = create(registry, admin, policy(pid))
    assert retention_id(registry, admin, project) == str(rid)

    got = admin.get(api(registry, f"/retentions/{rid}"))
    assert_status(got, 200)
    body = got.json()
    assert body["id"] == rid
    assert body["algorithm"] == "or"
    assert body["scope"] == {"level": "project", "ref": pid}
    assert body["trigger"]["kind"] == "Schedule"
    assert body["trigger"]["settings"] == {"cron": "0 0 0 * * *"}
    assert len(body["rules"]) == 1
    stored = body["rules"][0]
    assert stored["template"] == "latestPushedK" and stored["params"] == {"latestPushedK": 10}
    assert stored["tag_selectors"][0]["pattern"] == "**"
    assert stored["scope_selectors"]["repository"][0]["decoration"] == "repoMatches"

    # the portal PUTs the whole policy back with a rule more
    changed = copy.deepcopy(body)
    changed["rules"].append(rule("nDaysSinceLastPull", 7, tags="release-*"))
    changed["trigger"]["settings"]["cron"] = ""
    assert_status(admin.put(api(registry, f"/retentions/{rid}"), json=changed), 200)
    after = admin.get(api(registry, f"/retentions/{rid}")).json()
    assert [x["template"] for x in after["rules"]] == ["latestPushedK", "nDaysSinceLastPull"]
    assert after["trigger"]["settings"]["cron"] == ""

    # a policy cannot move to another project
    other = new_project(registry, admin)
    moved = copy.deepcopy(after)
    moved["scope"]["ref"] = other["project_id"]
    assert_error(admin.put(api(registry, f"/retentions/{rid}"), json=moved), 400, "BAD_REQUEST")

    assert_status(admin.delete(api(registry, f"/retentions/{rid}")), 200)
    assert_error(admin.get(api(registry, f"/retentions/{rid}")), 404, "NOT_FOUND")
    assert_error(admin.delete(api(registry, f"/retentions/{rid}")), 404, "NOT_FOUND")
    assert retention_id(registry, admin, project) is None
    # and the project may have a policy again
    create(registry, admin, policy(pid))


def test_one_policy_per_project(registry, admin):
    project = new_project(registry, admin)
    create(registry, admin, policy(project["project_id"]))
    r = create(registry, admin, policy(project["project_id"], rules=[rule("always", None)]),
               status=400)
    assert "already has a retention policy" in r.text


def test_project_path_alias(registry, admin):
    project = new_project(registry, admin)
    body = policy(project["project_id"])
    del body["scope"]
    r = admin.post(api(registry, f"/projects/{project['name']}/retentions"), json=body)
    assert_status(r, 201)
    rid = int(r.headers["Location"].rsplit("/", 1)[1])
    assert admin.get(api(registry, f"/retentions/{rid}")).json()["scope"]["ref"] == \
        project["project_id"]
    assert retention_id(registry, admin, project) == str(rid)
    # a scope naming another project is refused
    other = new_project(registry, admin)
    r = admin.post(api(registry, f"/projects/{other['name']}/retentions"),
                   json=policy(project["project_id"]))
    assert_error(r, 400, "BAD_REQUEST")


def _bad(change):
    def apply(pid):
        body = policy(pid)
        change(body)
        return body
    return apply


INVALID = {
    "algorithm": (_bad(lambda b: b.update(algorithm="and")), "algorithm"),
    "no trigger": (_bad(lambda b: b.pop("trigger")), "trigger"),
    "trigger kind": (_bad(lambda b: b["trigger"].update(kind="Event")), "trigger.kind"),
    "no cron": (_bad(lambda b: b["trigger"].update(settings={})), "cron"),
    "scope level": (_bad(lambda b: b["scope"].update(level="system")), "scope.level"),
    "action": (_bad(lambda b: b["rules"][0].update(action="delete")), "action"),
    "template": (_bad(lambda b: b["rules"][0].update(template="nothing")), "template"),
    "negative count": (_bad(lambda b: b["rules"][0].update(params={"latestPushedK": -1})),
                       "latestPushedK"),
    "count too big": (_bad(lambda b: b["rules"][0].update(params={"latestPushedK": 32767})),
                      "latestPushedK"),
    "missing param": (_bad(lambda b: b["rules"][0].update(params={})), "latestPushedK"),
    "days too big": (_bad(lambda b: b["rules"].__setitem__(
        0, rule("nDaysSinceLastPush", 20190905))), "nDaysSinceLastPush"),
    "no tag selector": (_bad(lambda b: b["rules"][0].update(tag_selectors=[])), "tag_selectors"),
    "tag decoration": (_bad(lambda b: b["rules"][0]["tag_selectors"][0].update(
        decoration="repoMatches")), "decoration"),
    "repo decoration": (_bad(lambda b: b["rules"][0]["scope_selectors"]["repository"][0].update(
        decoration="matches")), "decoration"),
    "bad pattern": (_bad(lambda b: b["rules"][0]["tag_selectors"][0].update(pattern="[a-")),
                    "pattern"),
    "bad extras": (_bad(lambda b: b["rules"][0]["tag_selectors"][0].update(
        extras="{\"untagged\": 1}")), "extras"),
    "16 rules": (_bad(lambda b: b.update(rules=[rule(value=i) for i in range(16)])),
                 "at most 15"),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_policies_are_400_naming_the_field(registry, admin, case):
    project = new_project(registry, admin)
    make, field = INVALID[case]
    r = create(registry, admin, make(project["project_id"]), status=400)
    assert_error(r, 400, "BAD_REQUEST")
    assert field in r.text
    assert retention_id(registry, admin, project) is None


def test_same_rule_twice_is_409(registry, admin):
    project = new_project(registry, admin)
    r = create(registry, admin, policy(project["project_id"], rules=[rule(), rule(id=5)]),
               status=409)
    assert_error(r, 409, "CONFLICT")
    assert "rule 2 is conflict with rule 1" in r.text
    # 15 different rules are fine
    create(registry, admin, policy(project["project_id"], rules=[rule(value=i)
                                                                 for i in range(15)]))


def test_unknown_project_and_policy(registry, admin):
    assert_error(create(registry, admin, policy(987654321), status=400), 400, "BAD_REQUEST")
    assert_error(admin.get(api(registry, "/retentions/987654321")), 404, "NOT_FOUND")
    assert_error(admin.get(api(registry, "/retentions/abc")), 400, "BAD_REQUEST")
    r = admin.post(api(registry, "/retentions"), data="{not json",
                   headers={"Content-Type": "application/json"})
    assert_error(r, 400, "BAD_REQUEST")


def _member(registry, admin, project, role_id):
    name = unique("u")
    pw = "Pw" + uuid.uuid4().hex[:10] + "A1"
    assert_status(admin.post(api(registry, "/users"),
                             json={"username": name, "password": pw,
                                   "email": f"{name}@e2e.example.com", "realname": name}), 201)
    if role_id:
        assert_status(admin.post(api(registry, f"/projects/{project['name']}/members"),
                                 json={"role_id": role_id, "member_user": {"username": name}}),
                      201)
    return registry.session(auth=(name, pw))


@pytest.mark.parametrize("role_id,allowed", [(1, True), (4, True), (2, True), (3, False),
                                             (5, False), (None, False)],
                         ids=["admin", "maintainer", "developer", "guest", "limited-guest",
                              "non-member"])
def test_permissions(registry, admin, anon, role_id, allowed):
    project = new_project(registry, admin)
    s = _member(registry, admin, project, role_id)
    body = policy(project["project_id"])
    if allowed:
        rid = create(registry, s, body)
        assert_status(s.get(api(registry, f"/retentions/{rid}")), 200)
        assert_status(s.put(api(registry, f"/retentions/{rid}"), json=body), 200)
        assert_status(s.delete(api(registry, f"/retentions/{rid}")), 200)
        return
    assert_error(s.post(api(registry, "/retentions"), json=body), 403, "FORBIDDEN")
    rid = create(registry, admin, body)
    assert_error(s.get(api(registry, f"/retentions/{rid}")), 403, "FORBIDDEN")
    assert_error(s.put(api(registry, f"/retentions/{rid}"), json=body), 403, "FORBIDDEN")
    assert_error(s.delete(api(registry, f"/retentions/{rid}")), 403, "FORBIDDEN")
    assert_error(anon.get(api(registry, f"/retentions/{rid}")), 401, "UNAUTHORIZED")
    assert_error(anon.post(api(registry, "/retentions"), json=body), 401, "UNAUTHORIZED")
    assert admin.get(api(registry, f"/retentions/{rid}")).json()["rules"][0]["params"] == \
        {"latestPushedK": 10}


def test_deleting_the_project_deletes_its_policy(registry, admin):
    project = new_project(registry, admin)
    rid = create(registry, admin, policy(project["project_id"]))
    assert_status(admin.delete(api(registry, f"/projects/{project['name']}")), 200)
    assert_error(admin.get(api(registry, f"/retentions/{rid}")), 404, "NOT_FOUND")
