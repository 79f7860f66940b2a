"""The cache of small blobs (blob_cache_size): a manifest is served from memory once read,
and what enters memory was checked against its digest.  So a manifest whose stored bytes are
changed behind Haven's back is still served right by a daemon that read it before, and
refused (a 500 whose detail is in the log) by one that reads it afterwards, with or without
a cache: never served wrong.  Pushing it again repairs the stored copy.  (The other half,
a deleted manifest is 404 on every node of a scale-out registry, is in test_scaleout.py; what
the cache spares the object store, in test_s3.py.)
"""

import os
import subprocess

import pytest

from havenlib import OCI_MANIFEST, assert_error, assert_status, digest_of, havend_path


def get_manifest(reg, ref, request_id=None):
    headers = {"Accept": OCI_MANIFEST}
    if request_id:
        headers["X-Request-ID"] = request_id
    return reg.session().get(reg.v2(f"library/cached/manifests/{ref}"), headers=headers)


def assert_served_right(reg, img):
    for ref in ("v1", img.digest):
        r = get_manifest(reg, ref)
        assert_status(r, 200)
        assert r.content == img.manifest
        assert digest_of(r.content) == r.headers["Docker-Content-Digest"] == img.digest


def assert_refused(reg, request_id):
    r = get_manifest(reg, "v1", request_id)
    assert_error(r, 500, "UNKNOWN")
    assert r.json()["errors"][0]["message"] == f"internal error; request id {request_id}"
    detail = [line for line in reg.log_text().splitlines()
              if request_id in line and "damaged" in line]
    assert detail, "the log does not say the stored manifest is damaged"


@pytest.mark.parametrize("change", ["same size", "shorter"])
def test_a_manifest_changed_in_the_store_is_served_right_or_refused(start_registry, change):
    reg = start_registry()
    img = reg.push_image("library/cached", tag="v1", seed=31)
    assert_served_right(reg, img)  # read: kept in memory
    stored = reg.blob_path(img.digest)
    junk = b"#" * (len(img.manifest) - (0 if change == "same size" else 10))
    stored.write_bytes(junk)
    assert_served_right(reg, img)

    # a daemon that has not read it yet checks the stored bytes, and refuses them
    assert not reg.stop()
    reg.start()
    assert_refused(reg, f"changed-{change.replace(' ', '-')}")
    assert stored.read_bytes() == junk  # refused, not repaired behind anyone's back

    # pushing the manifest again repairs the stored copy
    assert_status(reg.push_manifest("library/cached", "v1", img.manifest), 201)
    assert stored.read_bytes() == img.manifest
    assert_served_right(reg, img)


def test_without_a_cache_a_changed_manifest_is_refused_all_the_same(start_registry):
    reg = start_registry(env={"HAVEN_BLOB_CACHE_SIZE": "0"})
    img = reg.push_image("library/cached", tag="v1", seed=32)
    assert_served_right(reg, img)
    reg.blob_path(img.digest).write_bytes(b"#" * len(img.manifest))
    assert_refused(reg, "changed-uncached")


def test_blob_cache_size_is_checked_at_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    for value, ok in (("0", True), ("68719476736", True), ("-1", False), ("64MiB", False),
                      ("68719476737", False)):
        r = subprocess.run([str(havend_path()), "--data", str(tmp_path), "--check-config",
                            "--blob-cache-size", value], env=env, capture_output=True, text=True,
                           timeout=20)
        assert (r.returncode == 0) == ok, (value, r.stderr)
        if not ok:
            assert "blob_cache_size" in r.stderr or "blob-cache-size" in r.stderr
