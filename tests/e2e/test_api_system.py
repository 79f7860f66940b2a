"""System endpoints of the Harbor v2 API (harbor-api.md §1.13; harbor-schemas.txt GeneralInfo,
OverallHealthStatus, ConfigurationsResponse, InternalConfigurationsResponse, Icon): what
/systeminfo tells anonymous and logged-in callers, the shape of /health, the whole settings
object of /configurations with what may change, /internalconfig for administrators only,
/systeminfo/getcert without a CA, and the icons artifacts point at.
"""

import base64
import re
import uuid

import pytest

from havenlib import assert_error, assert_status

TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")

# GeneralInfo: what anyone is told, and what only logged-in callers are
PUBLIC_INFO = {"auth_mode", "primary_auth_mode", "self_registration", "harbor_version",
               "banner_message", "oidc_provider_name"}
PROTECTED_INFO = {"current_time", "registry_url", "external_url",
                  "project_creation_restriction", "has_ca_root",
                  "registry_storage_provider_name", "read_only", "notification_enable"}

# ConfigurationsResponse (2.12) by item type; scan_all_policy is not a setting in Harbor 2
# (its schedule is /system/scanAll/schedule) and uaa_client_secret is a password Harbor
# never shows
STRING_ITEMS = {
    "auth_mode", "ldap_base_dn", "ldap_filter", "ldap_group_base_dn", "ldap_group_admin_dn",
    "ldap_group_attribute_name", "ldap_group_search_filter", "ldap_search_dn", "ldap_uid",
    "ldap_url", "ldap_group_membership_attribute", "project_creation_restriction",
    "uaa_client_id", "uaa_endpoint", "http_authproxy_endpoint",
    "http_authproxy_tokenreview_endpoint", "http_authproxy_admin_groups",
    "http_authproxy_admin_usernames", "http_authproxy_server_certificate", "oidc_name",
    "oidc_endpoint", "oidc_client_id", "oidc_groups_claim", "oidc_admin_group",
    "oidc_group_filter", "oidc_scope", "oidc_user_claim", "oidc_extra_redirect_parms",
    "robot_name_prefix", "audit_log_forward_endpoint", "banner_message",
}
BOOL_ITEMS = {
    "primary_auth_mode", "ldap_group_attach_parallel", "ldap_verify_cert", "read_only",
    "self_registration", "uaa_verify_cert", "http_authproxy_verify_cert",
    "http_authproxy_skip_search", "oidc_verify_cert", "oidc_auto_onboard",
    "notification_enable", "quota_per_project_enable", "skip_audit_log_database",
    "scanner_skip_update_pulltime",
}
INT_ITEMS = {
    "ldap_group_search_scope", "ldap_scope", "ldap_timeout", "token_expiration",
    "robot_token_duration", "storage_per_project", "session_timeout",
}
SECRETS = {"ldap_search_password", "oidc_client_secret", "uaa_client_secret"}


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def user_session(registry, admin):
    name = "u" + uuid.uuid4().hex[:10]
    pw = "Pw" + uuid.uuid4().hex[:10] + "A1"
    r = admin.post(api(registry, "/users"),
                   json={"username": name, "password": pw, "email": f"{name}@e2e.example.com",
                         "realname": name})
    assert_status(r, 201)
    return registry.session(auth=(name, pw))


# ------------------------------------------------------------------ /systeminfo


def test_systeminfo_anonymous_sees_only_how_to_log_in(registry, anon):
    r = anon.get(api(registry, "/systeminfo"))
    assert_status(r, 200)
    info = r.json()
    assert set(info) == PUBLIC_INFO, sorted(info)
    assert info["auth_mode"] == "db_auth"
    assert info["primary_auth_mode"] is False and info["self_registration"] is False
    assert info["oidc_provider_name"] == "" and info["banner_message"] == ""
    assert info["harbor_version"].startswith("v2.")


def test_systeminfo_logged_in_sees_the_protected_part(registry, admin):
    for s in (admin, user_session(registry, admin)):
        info = s.get(api(registry, "/systeminfo")).json()
        assert set(info) == PUBLIC_INFO | PROTECTED_INFO, sorted(info)
        assert info["external_url"] == registry.url
        assert info["registry_url"] == registry.url.split("://", 1)[1]
        assert TIME_RE.fullmatch(info["current_time"])
        assert info["has_ca_root"] is False and info["read_only"] is False
        assert info["registry_storage_provider_name"] == "filesystem"
        assert info["notification_enable"] is True
        assert info["project_creation_restriction"] in ("everyone", "adminonly")


def test_getcert_without_a_ca_is_404(registry, anon, admin):
    for s in (anon, admin):
        assert_error(s.get(api(registry, "/systeminfo/getcert")), 404, "NOT_FOUND")


# ------------------------------------------------------------------ /health


def test_health_components_share_their_keys(registry, anon):
    r = anon.get(api(registry, "/health"))
    assert_status(r, 200)
    h = r.json()
    assert set(h) == {"status", "components"} and h["status"] == "healthy"
    names = [c["name"] for c in h["components"]]
    assert len(names) == len(set(names)) and {"core", "database"} <= set(names)
    for c in h["components"]:
        # Harbor gives "error" only to a component that is unhealthy
        assert set(c) == {"name", "status"}, c
        assert c["status"] == "healthy"


# ------------------------------------------------------------------ /configurations


def test_configurations_is_the_whole_settings_object(registry, admin):
    r = admin.get(api(registry, "/configurations"))
    assert_status(r, 200)
    cfg = r.json()
    assert set(cfg) == STRING_ITEMS | BOOL_ITEMS | INT_ITEMS, sorted(
        set(cfg) ^ (STRING_ITEMS | BOOL_ITEMS | INT_ITEMS))
    for key, item in cfg.items():
        assert set(item) == {"value", "editable"}, (key, item)
        want = str if key in STRING_ITEMS else bool if key in BOOL_ITEMS else int
        assert type(item["value"]) is want, (key, item)
    assert not SECRETS & set(cfg)
    # what Haven acts on stays editable; the rest is Harbor's default, read-only
    assert {k for k, v in cfg.items() if v["editable"]} == {
        "project_creation_restriction", "audit_log_forward_endpoint", "skip_audit_log_database"}
    assert cfg["auth_mode"] == {"value": "db_auth", "editable": False}
    assert cfg["robot_name_prefix"]["value"] == "robot$"
    assert cfg["token_expiration"]["value"] == 30
    assert cfg["robot_token_duration"]["value"] == 30
    assert cfg["storage_per_project"]["value"] == -1
    assert cfg["ldap_scope"]["value"] == 2 and cfg["ldap_uid"]["value"] == "cn"
    assert cfg["notification_enable"]["value"] is True
    assert cfg["self_registration"]["value"] is False


@pytest.mark.parametrize("key,value", [
    ("self_registration", True), ("read_only", True), ("auth_mode", "ldap_auth"),
    ("robot_token_duration", 7), ("oidc_client_secret", "s3cret"), ("banner_message", "hi"),
])
def test_put_of_an_unsupported_setting_is_refused_naming_it(registry, admin, key, value):
    before = admin.get(api(registry, "/configurations")).json()
    r = admin.put(api(registry, "/configurations"), json={key: value})
    assert_error(r, 400, "BAD_REQUEST")
    assert key in r.json()["errors"][0]["message"]
    assert admin.get(api(registry, "/configurations")).json() == before


def test_put_refusals_change_nothing(registry, admin):
    url = api(registry, "/configurations")
    before = admin.get(url).json()
    for body in ({"project_creation_restriction": "adminonly", "read_only": True},
                 {"project_creation_restriction": "nobody"},
                 {"project_creation_restriction": 1},
                 {"self_registration": "false"},
                 {"token_expiration": 30.5},
                 {"no_such_setting": 1},
                 {"with_trivy": False}):
        assert_error(admin.put(url, json=body), 400, "BAD_REQUEST")
    assert admin.get(url).json() == before


def test_put_repeating_the_reported_values_is_accepted(registry, admin):
    """Tools send a whole configuration back: values Haven already has are not changes."""
    url = api(registry, "/configurations")
    before = admin.get(url).json()
    flat = {k: v["value"] for k, v in before.items()}
    assert_status(admin.put(url, json=flat), 200)
    assert admin.get(url).json() == before


def test_configurations_and_internalconfig_are_for_administrators(registry, admin, anon):
    user = user_session(registry, admin)
    for path in ("/configurations", "/internalconfig"):
        assert_error(anon.get(api(registry, path)), 401, "UNAUTHORIZED")
        assert_error(user.get(api(registry, path)), 403, "FORBIDDEN")
    assert_error(anon.put(api(registry, "/configurations"),
                          json={"project_creation_restriction": "adminonly"}), 401,
                 "UNAUTHORIZED")
    assert_error(user.put(api(registry, "/configurations"),
                          json={"project_creation_restriction": "adminonly"}), 403,
                 "FORBIDDEN")


def test_internalconfig(registry, admin):
    r = admin.get(api(registry, "/internalconfig"))
    assert_status(r, 200)
    internal = r.json()
    user_facing = admin.get(api(registry, "/configurations")).json()
    for key, item in user_facing.items():
        assert internal[key] == item
    assert internal["registry_storage_provider_name"] == {"value": "filesystem",
                                                          "editable": False}
    assert not SECRETS & set(internal)
    for item in internal.values():
        assert set(item) == {"value", "editable"}


# ------------------------------------------------------------------ /icons

# Harbor's icon digests (src/lib/icon/const.go): artifact types, then accessory types
ICONS = {
    "IMAGE": "sha256:0048162a053eef4d4ce3fe7518615bef084403614f8bca43b40ae2e762e11e06",
    "CHART": "sha256:61cf3a178ff0f75bf08a25d96b75cf7355dc197749a9f128ed3ef34b0df05518",
    "CNAB": "sha256:089bdda265c14d8686111402c8ad629e8177a1ceb7dcd0f7f39b6480f623b3bd",
    "WASM": "sha256:badd7693bcaf115be202748241dd0ea6ee3b0524bfab9ac22d1e1c43721afec6",
    "DEFAULT": "sha256:da834479c923584f4cbcdecc0dac61f32bef1d51e8aae598cf16bd154efab49f",
    "signature.cosign":
        "sha256:20401d5b3a0f6dbc607c8d732eb08471af4ae6b19811a4efce8c6a724aed2882",
    "signature.notation":
        "sha256:3ac706e102bbe9362b400aa162df58135d35e66b9c3bee2165de92022d25fe34",
    "accelerator.nydus":
        "sha256:dfcb6617cd9c144358dc1b305b87bbe34f0b619f1e329116e6aee2e41f2e34cf",
    "sbom.harbor": "sha256:c19f80c357cd7e90d2a01b9ae3e2eb62ce447a2662bb590a19177d72d550bdae",
}


def icon(registry, session, digest):
    return session.get(api(registry, f"/icons/{digest}"))


@pytest.mark.parametrize("kind", sorted(ICONS))
def test_every_builtin_icon_is_served(registry, anon, kind):
    r = icon(registry, anon, ICONS[kind])
    assert_status(r, 200)
    body = r.json()
    assert set(body) == {"content-type", "content"}
    assert body["content-type"] == "image/png"
    png = base64.b64decode(body["content"], validate=True)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_icon_of_a_pushed_artifact_is_served(registry, admin, anon, repo):
    img = registry.push_image(repo, tag="v1", seed=7)
    project, rel = repo.split("/", 1)
    r = admin.get(api(registry, f"/projects/{project}/repositories/{rel.replace('/', '%252F')}"
                                f"/artifacts/{img.digest}"))
    assert_status(r, 200)
    assert r.json()["icon"] == ICONS["IMAGE"]
    assert_status(icon(registry, anon, r.json()["icon"]), 200)


def test_unknown_and_malformed_icons(registry, anon):
    assert_error(icon(registry, anon, "sha256:" + "0" * 64), 404, "NOT_FOUND")
    assert_error(icon(registry, anon, "nonsense"), 400, "BAD_REQUEST")
