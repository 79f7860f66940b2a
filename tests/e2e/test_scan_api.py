"""Scanning through Harbor's API (harbor-api.md §1.5): POST …/artifacts/{ref}/scan runs the
built-in scanner as a job; the artifact's scan_overview (with_scan_overview) and its
vulnerabilities addition show the report, in Harbor's shapes.

The image is an Alpine 3.19 root whose apk database lists openssl 3.1.2-r0; the vulnerability
database is Alpine's published secdb entries for openssl (tests/data/scan/vulndb), imported
with `havend vulndb import` into the registry's data directory while it runs: openssl's fixes
3.1.4-r1 (CVE-2023-5678) apply to it, 3.1.2-r0 (CVE-2023-3817) does not.
"""

import os
import subprocess
import time
import uuid

import pytest

from havenlib import ROOT, OCILayout, assert_error, assert_status, havend_path
from test_scan import add_image, apk_db, layer

GENERIC = "application/vnd.security.vulnerability.report; version=1.1"
NATIVE = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"
SECDB = ROOT / "tests" / "data" / "scan" / "vulndb" / "alpine-v3.19-main.json"
OVERVIEW_KEYS = {"report_id", "scan_status", "severity", "duration", "summary", "start_time",
                 "end_time", "scanner", "complete_percent"}

ALPINE = {
    "etc/alpine-release": b"3.19.1\n",
    "etc/os-release": b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n'
                      b'PRETTY_NAME="Alpine Linux v3.19"\n',
    "lib/apk/db/installed": apk_db(("musl", "1.2.4-r2", "musl", "MIT"),
                                   ("libssl3", "3.1.2-r0", "openssl", "Apache-2.0"),
                                   ("busybox", "1.36.1-r15", "busybox", "GPL-2.0-only")),
}


def api(registry, path):
    return f"{registry.url}/api/v2.0{path}"


def artifact_path(repo, ref):
    project, name = repo.split("/", 1)
    return f"/projects/{project}/repositories/{name.replace('/', '%252F')}/artifacts/{ref}"


def import_secdb(reg):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_E2E_")}
    p = subprocess.run([str(havend_path()), "vulndb", "import", "--format", "alpine", str(SECDB),
                        "--data", str(reg.data_dir)], env=env, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr


@pytest.fixture(scope="module")
def alpine_layout(tmp_path_factory):
    layout = OCILayout(tmp_path_factory.mktemp("alpine-scan"))
    add_image(layout, [layer(ALPINE)], tag="v1")
    return layout


def push(registry, layout, dest, tmp_path):
    env = dict(os.environ, HOME=str(tmp_path))
    p = subprocess.run(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false",
                        "--dest-creds", "%s:%s" % registry.auth, f"oci:{layout.path}:v1",
                        f"docker://{registry.host}/{dest}"],
                       env=env, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr


def wait_scanned(registry, admin, repo, ref, timeout=120):
    deadline = time.time() + timeout
    while True:
        r = admin.get(api(registry, artifact_path(repo, ref)),
                      params={"with_scan_overview": "true"})
        assert_status(r, 200)
        o = r.json()["scan_overview"].get(GENERIC)
        if o and o["scan_status"] not in ("Pending", "Running"):
            return r.json()
        assert time.time() < deadline, r.json()
        time.sleep(0.3)


def test_scan_reports_the_published_fixes(registry, admin, repo, alpine_layout, tmp_path):
    import_secdb(registry)
    push(registry, alpine_layout, f"{repo}:v1", tmp_path)
    path = artifact_path(repo, "v1")
    r = admin.get(api(registry, path), params={"with_scan_overview": "true"})
    assert_status(r, 200)
    assert r.json()["scan_overview"] == {}, "never scanned"

    r = admin.post(api(registry, path + "/scan"), json={"scan_type": "vulnerability"})
    assert_status(r, 202)
    art = wait_scanned(registry, admin, repo, "v1")
    o = art["scan_overview"][GENERIC]
    assert OVERVIEW_KEYS <= set(o), o
    assert o["scan_status"] == "Success", o
    assert o["complete_percent"] == 100 and o["end_time"]
    assert o["scanner"]["name"] == "Haven"
    assert o["summary"]["total"] >= 1 and o["summary"]["fixable"] >= 1
    assert o["severity"] in ("Low", "Medium", "High", "Critical", "Unknown")

    r = admin.get(api(registry, path + "/additions/vulnerabilities"))
    assert_status(r, 200)
    report = r.json()[GENERIC]
    assert report["artifact"]["digest"] == art["digest"]
    assert report["artifact"]["repository"] == repo and report["artifact"]["tag"] == "v1"
    assert report["scanner"]["name"] == "Haven"
    found = {(v["id"], v["package"]) for v in report["vulnerabilities"]}
    assert ("CVE-2023-5678", "libssl3") in found, found
    assert ("CVE-2023-3817", "libssl3") not in found, "fixed in 3.1.2-r0, the installed one"
    v = next(v for v in report["vulnerabilities"] if v["id"] == "CVE-2023-5678")
    assert v["version"] == "3.1.2-r0" and v["fix_version"] == "3.1.4-r1"
    assert o["report_id"]

    # the native report type is served the same when asked for
    r = admin.get(api(registry, path + "/additions/vulnerabilities"),
                  headers={"X-Accept-Vulnerabilities": NATIVE})
    assert list(r.json()) == [NATIVE]

    # a second scan makes a new report
    assert_status(admin.post(api(registry, path + "/scan")), 202)
    again = wait_scanned(registry, admin, repo, "v1")["scan_overview"][GENERIC]
    assert again["report_id"] != o["report_id"] and again["scan_status"] == "Success"


def test_scan_without_a_database_is_an_error(start_registry, alpine_layout, tmp_path):
    reg = start_registry()
    s = reg.session()
    push(reg, alpine_layout, "library/nodb:v1", tmp_path)
    assert_status(s.post(api(reg, artifact_path("library/nodb", "v1") + "/scan")), 202)
    o = wait_scanned(reg, s, "library/nodb", "v1")["scan_overview"][GENERIC]
    assert o["scan_status"] == "Error"
    r = s.get(api(reg, artifact_path("library/nodb", "v1") + "/additions/vulnerabilities"))
    assert r.json() == {}


def test_scan_refusals(registry, admin, anon, repo, alpine_layout, tmp_path):
    push(registry, alpine_layout, f"{repo}:v1", tmp_path)
    path = artifact_path(repo, "v1")
    # reports belong to the digest: another test may have scanned the same image
    before = admin.get(api(registry, path), params={"with_scan_overview": "true"}).json()
    assert_error(admin.post(api(registry, path + "/scan"), json={"scan_type": "sbom"}), 400,
                 "BAD_REQUEST")
    assert_error(admin.post(api(registry, path + "/scan"), json={"scan_type": 3}), 400,
                 "BAD_REQUEST")
    assert_error(admin.post(api(registry, artifact_path(repo, "nope") + "/scan")), 404,
                 "NOT_FOUND")
    assert_error(anon.post(api(registry, path + "/scan")), 401, "UNAUTHORIZED")
    r = admin.get(api(registry, path), params={"with_scan_overview": "true"})
    assert r.json()["scan_overview"] == before["scan_overview"], "no refused request scanned"


def test_an_external_scanner_cannot_scan_yet(registry, admin, repo, alpine_layout, tmp_path):
    push(registry, alpine_layout, f"{repo}:v1", tmp_path)
    project = repo.split("/")[0]
    name = "ext" + uuid.uuid4().hex[:8]
    r = admin.post(api(registry, "/scanners"),
                   json={"name": name, "url": f"http://127.0.0.1:9/{name}"})
    assert_status(r, 201)
    uid = r.headers["Location"].rsplit("/", 1)[1]
    p = admin.post(api(registry, "/projects"), json={"project_name": name})
    assert_status(p, 201)
    assert_status(admin.put(api(registry, f"/projects/{name}/scanner"), json={"uuid": uid}), 200)
    push(registry, alpine_layout, f"{name}/img:v1", tmp_path)
    r = admin.post(api(registry, artifact_path(f"{name}/img", "v1") + "/scan"))
    assert_error(r, 400, "BAD_REQUEST")
    assert name in r.json()["errors"][0]["message"]
    assert project  # the default project keeps the built-in scanner
