"""`havend scan`: what is installed in an image pushed with skopeo, read from its layers.

The images are built here from this machine's own files: a Debian root with the real
/var/lib/dpkg/status (its packages must be what `dpkg-query` lists), an Alpine root with an apk
database written here, a Rocky root with an rpmdb.sqlite made by `rpm --initdb` and
`rpm -i --justdb` of a package built with `rpmbuild`; layers that replace, white out and hide
(opaque directories) what lower layers installed; hostile and corrupt layers; an index.  The
SBOMs are checked against the official SPDX 2.3 and CycloneDX 1.5 JSON schemas
(tests/data/scan/schemas).
"""

import gzip
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import tarfile
from pathlib import Path
from urllib.parse import quote

import jsonschema
import pytest

from havenlib import (OCI_CONFIG, OCI_MANIFEST, OCI_INDEX, ROOT, OCILayout, canonical,
                      digest_of, havend_path)

SCHEMAS = ROOT / "tests" / "data" / "scan" / "schemas"
TIMEOUT = 180
OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


# ---------------------------------------------------------------- building images


def tar_of(files: dict) -> bytes:
    """A tar of {path: bytes}; a value None is an empty whiteout file (".wh.*")."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.mode, info.mtime = 0o644, 0
            info.size = len(data or b"")
            tar.addfile(info, io.BytesIO(data or b""))
    return raw.getvalue()


def layer(files: dict, compression="gzip") -> tuple:
    """(blob, media type, diff_id) of a layer holding files."""
    raw = tar_of(files)
    if compression == "gzip":
        return gzip.compress(raw, mtime=0), OCI_LAYER_GZIP, digest_of(raw)
    if compression == "zstd":
        z = subprocess.run(["zstd", "-q", "-c"], input=raw, capture_output=True, check=True)
        return z.stdout, OCI_LAYER_ZSTD, digest_of(raw)
    return raw, OCI_LAYER_TAR, digest_of(raw)


def add_image(layout: OCILayout, layers: list, arch="amd64", tag=None) -> tuple:
    """Adds an image of layers (from layer()) to layout; returns (descriptor, layer digests)."""
    descs = [layout.add_blob(blob, media) for blob, media, _ in layers]
    config = canonical({
        "architecture": arch, "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [d for _, _, d in layers]},
    })
    manifest = canonical({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": layout.add_blob(config, OCI_CONFIG), "layers": descs,
    })
    desc = layout.add_blob(manifest, OCI_MANIFEST)
    if tag:
        layout.tag(desc, tag)
    return desc, [d["digest"] for d in descs]


@pytest.fixture
def skopeo(tmp_path, registry):
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, HOME=str(home))

    def push(layout: OCILayout, tag: str, dest: str, all_=False):
        cmd = ["skopeo", "--insecure-policy", "copy", *(["--all"] if all_ else []),
               "--preserve-digests", "--dest-tls-verify=false", "--dest-creds",
               "%s:%s" % registry.auth, f"oci:{layout.path}:{tag}",
               f"docker://{registry.host}/{dest}"]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=TIMEOUT)
        assert p.returncode == 0, p.stderr

    return push


def run_scan(reg, image: str, *args) -> subprocess.CompletedProcess:
    """`havend scan IMAGE ARGS` on reg's install (its data dir, database and blob store)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_E2E_")}
    if reg.database_url:
        env["HAVEN_DATABASE_URL"] = reg.database_url
        env["HAVEN_SECRET_KEY"] = reg.secret_key
    env.update(reg.storage_env())
    return subprocess.run([str(havend_path()), "scan", image, "--data", str(reg.data_dir), *args],
                          env=env, capture_output=True, text=True, timeout=TIMEOUT)


def scan(reg, image: str, *args):
    p = run_scan(reg, image, *args)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def pkgs_of(inv: dict, ecosystem: str) -> dict:
    return {p["name"]: p for p in inv["packages"] if p["ecosystem"] == ecosystem}


# ---------------------------------------------------------------- this machine's Debian

DPKG_STATUS = Path("/var/lib/dpkg/status")


def installed_by_dpkg_query() -> dict:
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${Status}\n"],
                         capture_output=True, text=True, check=True).stdout
    pkgs = {}
    for line in out.splitlines():
        name, version, status = line.split("\t")
        if status.split()[-1] == "installed":
            pkgs[name] = version
    return pkgs


def debian_root() -> dict:
    return {
        "etc/os-release": Path("/etc/os-release").read_bytes(),
        "etc/debian_version": Path("/etc/debian_version").read_bytes(),
        "var/lib/dpkg/status": DPKG_STATUS.read_bytes(),
    }


@pytest.fixture(scope="module")
def debian(tmp_path_factory):
    layout = OCILayout(tmp_path_factory.mktemp("debian"))
    desc, digests = add_image(layout, [layer(debian_root()),
                                       layer({"srv/app/README": b"hello\n"}, "zstd")], tag="v1")
    return layout, desc, digests


def test_debian_packages_are_what_dpkg_query_lists(registry, repo, skopeo, debian):
    layout, desc, digests = debian
    skopeo(layout, "v1", f"{repo}:v1")
    inv = scan(registry, f"{repo}:v1")

    version = Path("/etc/debian_version").read_text().strip()
    assert inv["digest"] == desc["digest"]
    assert inv["os"]["family"] == "debian" and inv["os"]["version"] == version
    assert inv["os"]["name"].startswith("Debian GNU/Linux")
    debs = pkgs_of(inv, "Debian")
    want = installed_by_dpkg_query()
    assert len(debs) == len(want) > 100
    assert {n: p["version"] for n, p in debs.items()} == want
    for p in debs.values():
        assert p["layer"] == digests[0] and p["path"] == "var/lib/dpkg/status"
    # the source package and its version, as dpkg-query says
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\t${source:Package}\t"
                          "${source:Version}\t${Architecture}\n"],
                         capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        name, src, src_ver, arch = line.split("\t")
        if name not in debs:
            continue
        p = debs[name]
        assert (p.get("src_name") or name) == src, name
        assert (p.get("src_version") or p["version"]) == src_ver, name
        assert p["purl"] == (f"pkg:deb/debian/{quote(name, safe='')}@{quote(p['version'], safe='')}"
                             f"?arch={arch}&distro=debian-{version}")


def test_by_digest_is_the_same_inventory(registry, repo, skopeo, debian):
    layout, desc, _ = debian
    skopeo(layout, "v1", f"{repo}:v1")
    by_tag = scan(registry, f"{repo}:v1")
    assert scan(registry, f"{repo}@{desc['digest']}") == by_tag


def load_schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


def cyclonedx_validator():
    store = {}
    for name in ("bom-1.5.schema.json", "spdx.schema.json", "jsf-0.82.schema.json"):
        s = load_schema(name)
        store[name] = s
        store[s["$id"]] = s
    resolver = jsonschema.RefResolver.from_schema(store["bom-1.5.schema.json"], store=store)
    return jsonschema.Draft7Validator(store["bom-1.5.schema.json"], resolver=resolver)


def test_sboms_are_valid_spdx_and_cyclonedx(registry, repo, skopeo, debian):
    layout, desc, digests = debian
    skopeo(layout, "v1", f"{repo}:v1")
    n = len(installed_by_dpkg_query())

    spdx = scan(registry, f"{repo}:v1", "--format", "spdx")
    jsonschema.Draft7Validator(load_schema("spdx-schema-2-3.json")).validate(spdx)
    assert spdx["spdxVersion"] == "SPDX-2.3"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", spdx["creationInfo"]["created"])
    by_id = {p["SPDXID"]: p for p in spdx["packages"]}
    image = by_id["SPDXRef-Image"]
    assert image["name"] == repo and image["versionInfo"] == desc["digest"]
    assert by_id["SPDXRef-OperatingSystem"]["name"] == "debian"
    rels = {(r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
            for r in spdx["relationships"]}
    assert ("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image") in rels
    assert ("SPDXRef-Image", "CONTAINS", "SPDXRef-OperatingSystem") in rels
    debs = [p for p in spdx["packages"] if p["SPDXID"].startswith("SPDXRef-Package-")]
    assert len(debs) == n
    for p in debs:
        assert ("SPDXRef-OperatingSystem", "CONTAINS", p["SPDXID"]) in rels
        assert p["externalRefs"][0]["referenceLocator"].startswith(
            f"pkg:deb/debian/{quote(p['name'], safe='')}@")

    cdx = scan(registry, f"{repo}:v1", "--format", "cyclonedx")
    cyclonedx_validator().validate(cdx)
    assert cdx["specVersion"] == "1.5"
    assert cdx["metadata"]["component"]["name"] == repo
    comps = [c for c in cdx["components"] if c["type"] == "library"]
    assert len(comps) == n
    assert {c["name"] for c in comps} == set(installed_by_dpkg_query())
    deps = {d["ref"]: d["dependsOn"] for d in cdx["dependencies"]}
    assert deps["image"] == ["os"] and len(deps["os"]) == n
    libc = next(c for c in comps if c["name"] == "libc6")
    props = {p["name"]: p["value"] for p in libc["properties"]}
    assert props["haven:SrcName"] == "glibc" and props["haven:LayerDigest"] == digests[0]


# ---------------------------------------------------------------- Alpine, layers over layers

def apk_db(*pkgs) -> bytes:
    """An apk installed database of (name, version, origin, license) records."""
    out = []
    for name, version, origin, lic in pkgs:
        out.append(f"C:Q1{name}=\nP:{name}\nV:{version}\nA:x86_64\nS:1000\nI:4000\n"
                   f"T:{name} package\nU:https://alpinelinux.org\nL:{lic}\no:{origin}\n"
                   f"m:Natanael Copa <ncopa@alpinelinux.org>\nF:usr/lib\nR:lib{name}.so\n")
    return "\n".join(out).encode() + b"\n"


MUSL = ("musl", "1.2.4-r2", "musl", "MIT")
BUSYBOX = ("busybox", "1.36.1-r15", "busybox", "GPL-2.0-only")
ZLIB = ("zlib", "1.3.1-r0", "zlib", "Zlib")
LIBCURL = ("libcurl", "8.5.0-r0", "curl", "curl")
ALPINE_BASE = {
    "etc/alpine-release": b"3.19.1\n",
    "etc/apk/repositories": b"https://dl-cdn.alpinelinux.org/alpine/v3.19/main\n",
    "etc/os-release": b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n'
                      b'PRETTY_NAME="Alpine Linux v3.19"\n',
    "lib/apk/db/installed": apk_db(MUSL, BUSYBOX, ZLIB),
}
DPKG_ONE = (b"Package: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1\n"
            b"Architecture: all\n\n")


@pytest.fixture(scope="module")
def alpine(tmp_path_factory):
    layout = OCILayout(tmp_path_factory.mktemp("alpine"))
    base = layer(ALPINE_BASE, "tar")
    upgrade = layer({"lib/apk/db/installed": apk_db(MUSL, BUSYBOX, ZLIB, LIBCURL),
                     "var/lib/dpkg/status": DPKG_ONE})
    gone = layer({"var/lib/dpkg/.wh.status": None})
    opaque = layer({"lib/apk/db/.wh..wh..opq": None,
                    "lib/apk/db/installed": apk_db(BUSYBOX)}, "zstd")
    whiteout, wdigests = add_image(layout, [base, upgrade, gone], tag="whiteout")
    hidden, hdigests = add_image(layout, [base, upgrade, opaque], tag="opaque")
    return layout, wdigests, hdigests


def test_later_layers_replace_and_whiteouts_remove(registry, repo, skopeo, alpine):
    layout, digests, _ = alpine
    skopeo(layout, "whiteout", f"{repo}:whiteout")
    inv = scan(registry, f"{repo}:whiteout")

    assert inv["os"] == {"family": "alpine", "version": "3.19.1", "name": "Alpine Linux v3.19"}
    assert pkgs_of(inv, "Debian") == {}, "the whiteout removes var/lib/dpkg/status"
    apks = pkgs_of(inv, "Alpine")
    assert sorted(apks) == ["busybox", "libcurl", "musl", "zlib"]
    # each package is attributed to the layer that first installed it
    assert apks["musl"]["layer"] == digests[0] and apks["libcurl"]["layer"] == digests[1]
    curl = apks["libcurl"]
    assert (curl["version"], curl["src_name"], curl["license"], curl["arch"]) == \
        ("8.5.0-r0", "curl", "curl", "x86_64")
    assert curl["purl"] == "pkg:apk/alpine/libcurl@8.5.0-r0?arch=x86_64&distro=alpine-3.19.1"


def test_opaque_directory_hides_lower_layers(registry, repo, skopeo, alpine):
    layout, _, digests = alpine
    skopeo(layout, "opaque", f"{repo}:opaque")
    inv = scan(registry, f"{repo}:opaque")

    apks = pkgs_of(inv, "Alpine")
    assert list(apks) == ["busybox"]
    assert apks["busybox"]["layer"] == digests[0]
    assert pkgs_of(inv, "Debian")["tzdata"]["layer"] == digests[1]


def test_index_is_inventoried_per_platform(registry, repo, skopeo, tmp_path):
    layout = OCILayout(tmp_path / "multi")
    amd, _ = add_image(layout, [layer(ALPINE_BASE)], arch="amd64")
    arm_root = dict(ALPINE_BASE, **{"lib/apk/db/installed": apk_db(MUSL)})
    arm, _ = add_image(layout, [layer(arm_root)], arch="arm64")
    amd["platform"] = {"architecture": "amd64", "os": "linux"}
    arm["platform"] = {"architecture": "arm64", "os": "linux", "variant": "v8"}
    index = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [amd, arm]})
    layout.tag(layout.add_blob(index, OCI_INDEX), "multi")
    skopeo(layout, "multi", f"{repo}:multi", all_=True)

    out = scan(registry, f"{repo}:multi")
    assert [(i["platform"], i["digest"]) for i in out] == \
        [("linux/amd64", amd["digest"]), ("linux/arm64/v8", arm["digest"])]
    assert sorted(pkgs_of(out[0], "Alpine")) == ["busybox", "musl", "zlib"]
    assert sorted(pkgs_of(out[1], "Alpine")) == ["musl"]
    sboms = scan(registry, f"{repo}:multi", "--format", "cyclonedx")
    assert len(sboms) == 2
    for s in sboms:
        cyclonedx_validator().validate(s)


# ---------------------------------------------------------------- rpm

SPEC = """Name: haven-e2e
Version: 1.2.3
Release: 4.el9
Epoch: 2
Summary: a package for Haven's scanner tests
License: MIT and BSD
Vendor: Haven
BuildArch: noarch

%description
Nothing inside.

%files
"""


@pytest.fixture(scope="module")
def rpmdb(tmp_path_factory):
    if not shutil.which("rpmbuild"):
        pytest.skip("rpmbuild is missing: scripts/deps.sh test installs rpm")
    top = tmp_path_factory.mktemp("rpmbuild")
    (top / "SPECS").mkdir()
    (top / "SPECS" / "haven-e2e.spec").write_text(SPEC)
    subprocess.run(["rpmbuild", "-bb", "--define", f"_topdir {top}",
                    str(top / "SPECS" / "haven-e2e.spec")], check=True, capture_output=True)
    rpm_file = next((top / "RPMS" / "noarch").glob("*.rpm"))
    db = top / "db"
    db.mkdir()
    subprocess.run(["rpm", "--initdb", "--dbpath", str(db)], check=True)
    subprocess.run(["rpm", "-i", "--justdb", "--nodeps", "--dbpath", str(db), str(rpm_file)],
                   check=True, capture_output=True)
    listed = subprocess.run(["rpm", "-qa", "--dbpath", str(db), "--qf",
                             "%{NAME} %{EPOCHNUM}:%{VERSION}-%{RELEASE} %{SOURCERPM}\n"],
                            check=True, capture_output=True, text=True).stdout
    return (db / "rpmdb.sqlite").read_bytes(), listed


def test_rpm_database(registry, repo, skopeo, rpmdb, tmp_path):
    data, listed = rpmdb
    assert listed.strip() == "haven-e2e 2:1.2.3-4.el9 haven-e2e-1.2.3-4.el9.src.rpm"
    layout = OCILayout(tmp_path / "rocky")
    add_image(layout, [layer({
        "etc/redhat-release": b"Rocky Linux release 9.3 (Blue Onyx)\n",
        "etc/rocky-release": b"Rocky Linux release 9.3 (Blue Onyx)\n",
        "etc/os-release": b'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.3"\n'
                          b'PRETTY_NAME="Rocky Linux 9.3 (Blue Onyx)"\n',
        "var/lib/rpm/rpmdb.sqlite": data,
    })], tag="v1")
    skopeo(layout, "v1", f"{repo}:v1")
    inv = scan(registry, f"{repo}:v1")

    assert inv["os"] == {"family": "rocky", "version": "9.3", "name": "Rocky Linux 9.3 (Blue Onyx)"}
    assert list(pkgs_of(inv, "RPM")) == ["haven-e2e"]
    p = pkgs_of(inv, "RPM")["haven-e2e"]
    assert (p["version"], p["src_name"], p["src_version"], p["arch"], p["license"]) == \
        ("2:1.2.3-4.el9", "haven-e2e", "2:1.2.3-4.el9", "noarch", "MIT and BSD")
    assert p["purl"] == "pkg:rpm/rocky/haven-e2e@1.2.3-4.el9?arch=noarch&epoch=2&distro=rocky-9.3"
    assert p["path"] == "var/lib/rpm/rpmdb.sqlite"


# ---------------------------------------------------------------- bad layers, stored layers

def test_hostile_paths_are_skipped_and_noted(registry, repo, skopeo, tmp_path):
    layout = OCILayout(tmp_path / "hostile")
    add_image(layout, [layer({
        "../../../var/lib/dpkg/status": DPKG_ONE,
        "etc/../../lib/apk/db/installed": apk_db(MUSL),
        "/etc/alpine-release": b"3.19.0\n",
    })], tag="v1")
    skopeo(layout, "v1", f"{repo}:v1")
    inv = scan(registry, f"{repo}:v1")

    assert inv["packages"] == []
    assert inv["os"]["family"] == "alpine", "an absolute path is the root's"
    notes = " ".join(inv["notes"])
    assert "../../../var/lib/dpkg/status: path leaves the root, skipped" in notes
    assert "etc/../../lib/apk/db/installed: path leaves the root, skipped" in notes


def test_corrupt_layer_is_a_clear_error(registry, repo, skopeo, tmp_path):
    layout = OCILayout(tmp_path / "corrupt")
    good = gzip.compress(tar_of({"etc/alpine-release": b"3.19.1\n"}), mtime=0)
    cut = good[: len(good) // 2] + b"\x00" * 64
    _, digests = add_image(layout, [(cut, OCI_LAYER_GZIP, digest_of(b"x"))], tag="v1")
    skopeo(layout, "v1", f"{repo}:v1")
    p = run_scan(registry, f"{repo}:v1")

    assert p.returncode == 1 and p.stdout == ""
    assert f"layer {digests[0]}" in p.stderr, p.stderr


def test_bad_package_database_is_noted_not_fatal(registry, repo, skopeo, tmp_path):
    layout = OCILayout(tmp_path / "baddb")
    add_image(layout, [layer({"lib/apk/db/installed": b"P:musl\nthis is no apk line\n",
                              "var/lib/rpm/rpmdb.sqlite": b"SQLite format 3\x00" + b"\x01" * 200,
                              "var/lib/dpkg/status": DPKG_ONE})], tag="v1")
    skopeo(layout, "v1", f"{repo}:v1")
    inv = scan(registry, f"{repo}:v1")

    assert list(pkgs_of(inv, "Debian")) == ["tzdata"]
    notes = "\n".join(inv["notes"])
    assert "lib/apk/db/installed: apk: a line that is not KEY:value: this is no apk line" in notes
    assert "var/lib/rpm/rpmdb.sqlite: rpm: not an rpm database: " in notes


def test_stored_layers_are_not_read_again(registry, repo, skopeo, tmp_path):
    layout = OCILayout(tmp_path / "stored")
    # layers of their own: their blobs are deleted below
    own = {"srv/id": secrets.token_bytes(16)}
    add_image(layout, [layer(dict(ALPINE_BASE, **own)),
                       layer(dict(own, **{"var/lib/dpkg/status": DPKG_ONE}))], tag="v1")
    skopeo(layout, "v1", f"{repo}:v1")
    first = scan(registry, f"{repo}:v1", "--store-layers")
    with registry.db(read_only=True) as db:
        stored = {r[0] for r in db.execute("SELECT digest FROM scan_layer").fetchall()}
    layers = {p["layer"] for p in first["packages"]}
    assert len(layers) == 2 and layers <= stored

    for d in layers:  # the layers' bytes are gone: the stored inventories answer
        registry.blob_path(d).unlink()
    assert scan(registry, f"{repo}:v1") == first


def test_bad_arguments(registry, repo, skopeo, debian):
    layout, _, _ = debian
    skopeo(layout, "v1", f"{repo}:v1")
    p = run_scan(registry, f"{repo}:v1", "--format", "xml")
    assert p.returncode == 1 and "the formats are inventory, spdx and cyclonedx" in p.stderr
    p = run_scan(registry, f"{repo}:nope")
    assert p.returncode == 1 and "nope" in p.stderr, p.stderr
    p = run_scan(registry, "library/none-such:v1")
    assert p.returncode == 1 and p.stderr.strip(), p.stderr
    p = run_scan(registry, repo)
    assert p.returncode == 1 and "PROJECT/REPO:TAG" in p.stderr
