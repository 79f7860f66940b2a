"""What only the S3 blob store does (HAVEN_E2E_STORAGE=s3; skipped otherwise): a chunked
upload that goes on at another node, blobs larger than S3's smallest part, downloads
redirected to presigned URLs, and an object store that stops answering: 503 with a message
that says so, nothing half-written, and everything back once the store is.  A download costs
the store one request, a manifest or a config no more once read; a blob larger than one
server-side copy is placed in copied parts.
"""

import contextlib
import random
import re
import time
from urllib.parse import urljoin

import pytest

from havenlib import (
    OCI_MANIFEST,
    STORAGE,
    Registry,
    S3rver,
    assert_error,
    assert_status,
    digest_of,
)

pytestmark = pytest.mark.skipif(STORAGE != "s3", reason="HAVEN_E2E_STORAGE is not s3")

OCTET = {"Content-Type": "application/octet-stream"}


def location(r):
    return urljoin(r.url, r.headers["Location"])


def patch(session, url, data, start):
    r = session.patch(url, data=data, headers={
        **OCTET, "Content-Range": f"{start}-{start + len(data) - 1}"})
    assert_status(r, 202)
    return location(r)


def test_a_large_blob_in_chunks_of_any_size_reads_back_whole_and_in_ranges(registry, admin, repo):
    data = random.randbytes((11 << 20) + 4321)  # parts of 8 MiB and the rest
    d = digest_of(data)
    url = registry.start_upload(repo, admin)
    at = 0
    for size in (1000, 3 << 20, 1, 6 << 20):  # below, across and above S3's 5 MiB part
        url = patch(admin, url, data[at:at + size], at)
        at += size
    url = patch(admin, url, data[at:], at)
    assert_status(admin.put(url, params={"digest": d}), 201)
    assert registry.blob_path(d).read_bytes() == data
    assert not registry.staging_entries()
    r = admin.get(registry.v2(f"{repo}/blobs/{d}"))
    assert_status(r, 200)
    assert r.content == data
    r = admin.get(registry.v2(f"{repo}/blobs/{d}"), headers={"Range": "bytes=9000000-9000099"})
    assert_status(r, 206)
    assert r.content == data[9000000:9000100]
    r = admin.head(registry.v2(f"{repo}/blobs/{d}"))
    assert_status(r, 200)
    assert r.headers["Content-Length"] == str(len(data))


def test_a_chunked_upload_goes_on_at_another_node(tmp_path_factory):
    """Two daemons on one database and one bucket, as nodes behind a load balancer: chunks
    of one upload go to either, and the blob is served by both."""
    first = Registry(tmp_path_factory.mktemp("node"))
    first.start()
    second = Registry(first.workdir, password=first.password)
    second.bucket = first.bucket
    second.database_url = first.database_url  # None on SQLite: the shared data dir's file
    second.secret_key = first.secret_key
    try:
        second.start()
        a, b = first.session(), second.session()
        data = random.randbytes(3 << 20)
        d = digest_of(data)
        url = first.start_upload("library/nodes", a)
        url = patch(a, url, data[:1 << 20], 0)
        url = patch(b, url.replace(first.host, second.host), data[1 << 20:2 << 20], 1 << 20)
        url = patch(a, url.replace(second.host, first.host), data[2 << 20:], 2 << 20)
        assert_status(b.put(url.replace(first.host, second.host), params={"digest": d}), 201)
        for reg, s in ((first, a), (second, b)):
            r = s.get(reg.v2(f"library/nodes/blobs/{d}"))
            assert_status(r, 200)
            assert r.content == data
    finally:
        assert not second.stop()
        assert not first.stop()


def test_downloads_redirect_to_the_object_store_when_asked(start_registry):
    reg = start_registry(env={"HAVEN_S3_REDIRECT": "true"})
    s = reg.session()
    data = random.randbytes(100_000)
    d = reg.push_blob("library/redirected", data, s)
    r = s.get(reg.v2(f"library/redirected/blobs/{d}"), allow_redirects=False)
    assert_status(r, 307)
    target = r.headers["Location"]
    assert target.startswith(reg.s3.endpoint + "/") and "X-Amz-Signature=" in target
    assert r.headers["Docker-Content-Digest"] == d
    fetched = type(s)().get(target)  # no credentials of ours go to the store
    assert_status(fetched, 200)
    assert fetched.content == data
    r = s.head(reg.v2(f"library/redirected/blobs/{d}"))  # a HEAD is answered by havend
    assert_status(r, 200)
    assert r.headers["Content-Length"] == str(len(data))
    assert_error(s.get(reg.v2(f"library/redirected/blobs/{digest_of(b'none')}"),
                       allow_redirects=False), 404, "BLOB_UNKNOWN")


@contextlib.contextmanager
def own_store(tmp_path_factory, name):
    """A daemon on an s3rver of its own, which the test stops or whose log it reads: yields
    (the daemon, the s3rver), both stopped after."""
    s3 = S3rver(directory=tmp_path_factory.mktemp(f"s3rver-{name}")).start()
    reg = Registry(tmp_path_factory.mktemp(f"havend-{name}"))
    reg.s3 = s3
    try:
        reg.start()
        yield reg, s3
    finally:
        problems = reg.stop()
        s3.stop()
    assert not problems, problems


def test_an_object_store_that_stops_answering_is_a_503_and_nothing_half_written(
        tmp_path_factory):
    with own_store(tmp_path_factory, "outage") as (reg, s3):
        s = reg.session()
        kept = random.randbytes(50_000)
        d_kept = reg.push_blob("library/outage", kept, s)
        s3.stop()

        r = s.get(reg.v2(f"library/outage/blobs/{d_kept}"))
        assert_error(r, 503, "UNAVAILABLE")
        assert "object storage" in r.json()["errors"][0]["message"]
        lost = random.randbytes(50_000)
        r = s.post(reg.v2("library/outage/blobs/uploads/"), params={"digest": digest_of(lost)},
                   data=lost, headers=OCTET)
        assert_error(r, 503, "UNAVAILABLE")
        assert "retry" in r.json()["errors"][0]["message"]

        s3.start()  # the same port and data
        r = s.get(reg.v2(f"library/outage/blobs/{d_kept}"))
        assert_status(r, 200)
        assert r.content == kept
        assert_error(s.head(reg.v2(f"library/outage/blobs/{digest_of(lost)}")), 404,
                     "BLOB_UNKNOWN")
        assert reg.push_blob("library/outage", lost, s) == digest_of(lost)


def store_requests(s3, since, key):
    """The requests s3rver answered for key since byte `since` of its log, as (the key with
    the query, status).  (Its log lines of responses lose their method.)"""
    time.sleep(0.2)  # s3rver logs a response once it is sent
    text = s3.log_path.read_bytes()[since:].decode(errors="replace")
    return re.findall(rf"/({re.escape(key)}\S*) (\d{{3}}) ", text)


def blob_key(digest):
    return f"blobs/sha256/{digest[7:9]}/{digest[7:]}"


def test_a_blob_download_costs_the_store_one_request(tmp_path_factory):
    """The size comes from the metadata: a download is one ranged GET, a HEAD none."""
    with own_store(tmp_path_factory, "reads") as (reg, s3):
        s = reg.session()
        data = random.randbytes(300_000)
        d = reg.push_blob("library/reads", data, s)
        key = blob_key(d)
        mark = s3.log_path.stat().st_size
        r = s.get(reg.v2(f"library/reads/blobs/{d}"))
        assert_status(r, 200)
        assert r.content == data
        r = s.get(reg.v2(f"library/reads/blobs/{d}"), headers={"Range": "bytes=1000-1999"})
        assert_status(r, 206)
        assert r.content == data[1000:2000]
        r = s.head(reg.v2(f"library/reads/blobs/{d}"))
        assert_status(r, 200)
        assert r.headers["Content-Length"] == str(len(data))
        # two ranged GETs (206), no HEAD (a 200 without a body)
        assert [status for _, status in store_requests(s3, mark, key)] == ["206", "206"]


def test_manifests_and_configs_are_read_from_the_store_once(tmp_path_factory):
    """Small blobs are kept in memory once read (blob_cache_size): the config that a push
    reads, and a manifest after its first GET, cost the store no more requests."""
    with own_store(tmp_path_factory, "cache") as (reg, s3):
        s = reg.session()
        mark = s3.log_path.stat().st_size
        img = reg.push_image("library/cache", tag="v1", seed=41)
        config = digest_of(img.config)
        # the config's placing (a copy), then the push's read of it: one GET, no HEAD first
        assert [status for _, status in store_requests(s3, mark, blob_key(config))] == [
            "200", "200"]
        mark = s3.log_path.stat().st_size
        for _ in range(5):
            for ref in ("v1", img.digest):
                r = s.get(reg.v2(f"library/cache/manifests/{ref}"),
                          headers={"Accept": OCI_MANIFEST})
                assert_status(r, 200)
                assert r.content == img.manifest
            r = s.get(reg.v2(f"library/cache/blobs/{config}"))
            assert_status(r, 200)
            assert r.content == img.config
        assert [status for _, status in store_requests(s3, mark, blob_key(img.digest))] == ["200"]
        assert store_requests(s3, mark, blob_key(config)) == []


def test_a_blob_larger_than_one_copy_is_placed_in_copied_parts(start_registry):
    """S3 copies at most 5 GiB in one CopyObject; a larger blob is placed by a multipart
    upload whose parts are copied (UploadPartCopy).  s3_copy_max lowers the limit so that a
    13 MiB blob takes that path."""
    reg = start_registry(env={"HAVEN_S3_COPY_MAX": str(6 << 20)})
    s = reg.session()
    data = random.randbytes((13 << 20) + 5)
    mark = reg.s3.log_path.stat().st_size
    d = reg.push_blob("library/huge", data, s)
    key = f"blobs/sha256/{d[7:9]}/{d[7:]}"
    parts = [path for path, _ in store_requests(reg.s3, mark, key) if "partNumber=" in path]
    assert len(parts) == 3, parts  # 6 + 6 + 1 MiB, copied from the staged object
    assert reg.blob_path(d).read_bytes() == data
    assert not reg.staging_entries()
    r = s.get(reg.v2(f"library/huge/blobs/{d}"))
    assert_status(r, 200)
    assert r.content == data
