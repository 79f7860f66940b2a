"""Helpers of the end-to-end suite: the havend process, HTTP shortcuts, OCI layouts.

The daemon binary is $HAVEND, else build/debug/havend of this checkout.  It listens on a
free loopback port with a temporary data dir; its stdout and stderr go to
<workdir>/havend.log.  When `postgres` is set (a pgcluster.Cluster, by conftest.py for
HAVEN_E2E_DB=postgres) each Registry keeps its metadata in a database of its own there;
`Registry.db()` reaches it, or the SQLite file, with the same calls.

HAVEN_E2E_STORAGE=s3 keeps every daemon's blobs in S3 instead of its data dir: one s3rver
(build/node, installed by scripts/deps.sh test) on a free loopback port serves the whole
session, each daemon has a bucket of its own, and Registry.blob_path / upload_entries /
staging_entries look into that bucket.  The variable is independent of any other harness
mode (the database engine's), so they compose.
"""

import atexit
import base64
import gzip
import hashlib
import io
import json
import os
import random
import re
import secrets
import select
import signal
import socket
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"

EMPTY_DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

STORAGE = os.environ.get("HAVEN_E2E_STORAGE", "fs")
if STORAGE not in ("fs", "s3"):
    raise RuntimeError(f"HAVEN_E2E_STORAGE must be fs or s3, not {STORAGE!r}")

READY_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0
HTTP_TIMEOUT = 30.0


# ---------------------------------------------------------------- digests and errors


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def error_codes(resp) -> list:
    """The `code` of each error in an OCI error body ([] if the body is not one)."""
    try:
        body = resp.json()
    except ValueError:
        return []
    if not isinstance(body, dict) or not isinstance(body.get("errors"), list):
        return []
    return [e.get("code") for e in body["errors"] if isinstance(e, dict)]


def assert_error(resp, status: int, code: str):
    """The response has `status` and an OCI error envelope containing `code`."""
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.url}: expected {status} {code}, "
        f"got {resp.status_code} {resp.text[:500]!r}"
    )
    if resp.request.method == "HEAD":
        return
    body = resp.json()
    assert isinstance(body.get("errors"), list) and body["errors"], body
    for e in body["errors"]:
        assert isinstance(e.get("code"), str) and isinstance(e.get("message"), str), e
    assert code in error_codes(resp), body


def assert_insufficient_scope(resp, scope: str):
    """A /v2 refusal of a caller whose credentials are good but do not grant `scope`: 401
    UNAUTHORIZED with the token specification's challenge, on which clients fetch a token
    with that scope (a 403 would end their push)."""
    assert_error(resp, 401, "UNAUTHORIZED")
    scheme, params = parse_challenge(resp.headers.get("WWW-Authenticate"))
    host = resp.request.url.split("/")[2]
    assert (scheme, params) == ("Bearer", {
        "realm": f"http://{host}/service/token", "service": "harbor-registry", "scope": scope,
        "error": "insufficient_scope"}), resp.headers.get("WWW-Authenticate")


def assert_status(resp, status: int):
    assert resp.status_code == status, (
        f"{resp.request.method} {resp.request.url}: expected {status}, "
        f"got {resp.status_code} {resp.text[:500]!r}"
    )


def wait_execution(reg, path: str, run_id: int, timeout: float = 120) -> dict:
    """Polls GET /api/v2.0<path>/<run_id> (a /system job's run) until it is Success, Error or
    Stopped; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        r = reg.session().get(f"{reg.url}/api/v2.0{path}/{run_id}")
        assert_status(r, 200)
        if r.json()["job_status"] in ("Success", "Error", "Stopped"):
            return r.json()
        assert time.monotonic() < deadline, r.json()
        time.sleep(0.05)


def execution_log(reg, path: str, run_id: int) -> str:
    """The text of GET /api/v2.0<path>/<run_id>/log."""
    r = reg.session().get(f"{reg.url}/api/v2.0{path}/{run_id}/log")
    assert_status(r, 200)
    assert r.headers["Content-Type"].startswith("text/plain")
    return r.text


def canonical(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def descriptor(media_type: str, data: bytes, **extra) -> dict:
    d = {"mediaType": media_type, "digest": digest_of(data), "size": len(data)}
    d.update(extra)
    return d


# ---------------------------------------------------------------- the daemon


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def havend_path() -> Path:
    env = os.environ.get("HAVEND")
    return Path(env) if env else ROOT / "build" / "debug" / "havend"


live_daemons = []  # daemons currently running, for failure reports
postgres = None  # the session's pgcluster.Cluster on the PostgreSQL run, else None


class Database:
    """A connection to a Registry's metadata, SQLite or PostgreSQL, with sqlite3's calls:
    execute(sql, params) -> cursor, executemany, `with` for a transaction, close().  SQL uses
    '?' placeholders and what both engines accept."""

    def __init__(self, registry, read_only=False):
        self.pg = registry.database_url is not None
        if self.pg:
            import psycopg2  # only the PostgreSQL run needs it
            self.conn = psycopg2.connect(registry.database_url)
            self.conn.set_session(readonly=read_only, autocommit=False)
        elif read_only:
            self.conn = sqlite3.connect(f"file:{registry.data_dir / 'haven.db'}?mode=ro",
                                        uri=True, timeout=30)
        else:
            self.conn = sqlite3.connect(registry.data_dir / "haven.db", timeout=30)

    def _sql(self, sql):
        return sql.replace("%", "%%").replace("?", "%s") if self.pg else sql

    def execute(self, sql, params=()):
        if not self.pg:
            return self.conn.execute(sql, params)
        cur = self.conn.cursor()
        cur.execute(self._sql(sql), params)
        return cur

    def executemany(self, sql, rows):
        if not self.pg:
            return self.conn.executemany(sql, rows)
        cur = self.conn.cursor()
        cur.executemany(self._sql(sql), rows)
        return cur

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        if kind is None:
            self.conn.commit()
        else:
            self.conn.rollback()
        self.conn.close()
        return False

    def close(self):
        self.conn.close()


# ---------------------------------------------------------------- S3 (HAVEN_E2E_STORAGE=s3)


S3RVER = ROOT / "build" / "node" / "node_modules" / "s3rver" / "bin" / "s3rver.js"
S3_KEYS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER"}


class S3rver:
    """An s3rver on a free loopback port with its data in a temporary folder.  Plain
    unsigned requests reach it too (it checks no signatures): the tests look into buckets
    with them."""

    def __init__(self, port: int = 0, directory: Path = None):
        self.port = port
        self.dir = Path(directory or tempfile.mkdtemp(prefix="haven-e2e-s3rver-"))
        self.proc = None
        self.log_path = self.dir / "s3rver.log"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        if not S3RVER.is_file():
            pytest.fail(f"s3rver is not installed at {S3RVER}: run scripts/deps.sh test",
                        pytrace=False)
        seen = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            # serve.js gives s3rver S3's read-after-write consistency (see there)
            ["node", str(ROOT / "tests" / "s3rver" / "serve.js"), str(S3RVER),
             "-d", str(self.dir / "data"), "-a", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            m = re.search(rb"listening on 127\.0\.0\.1:(\d+)", self.log_path.read_bytes()[seen:])
            if m:
                self.port = int(m.group(1))
                return self
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail("s3rver did not start:\n" + self.log_path.read_text(errors="replace"),
                            pytrace=False)
            time.sleep(0.05)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def url(self, bucket: str, key: str = "") -> str:
        return f"{self.endpoint}/{bucket}/{key}"

    def create_bucket(self, bucket: str):
        r = requests.put(self.url(bucket), timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, f"creating bucket {bucket}: {r.status_code} {r.text}"

    def keys(self, bucket: str, prefix: str) -> list:
        """[(key, size)] under prefix, every page."""
        out, token = [], None
        while True:
            params = {"list-type": "2", "prefix": prefix}
            if token:
                params["continuation-token"] = token
            r = requests.get(self.url(bucket), params=params, timeout=HTTP_TIMEOUT)
            assert r.status_code == 200, r.text
            for key, size in re.findall(r"<Key>([^<]*)</Key>.*?<Size>(\d+)</Size>", r.text):
                out.append((key, int(size)))
            m = re.search(r"<NextContinuationToken>([^<]*)<", r.text)
            if "<IsTruncated>true" not in r.text or not m:
                return out
            token = m.group(1)


_session_s3 = None


def session_s3() -> S3rver:
    """The session's s3rver, started on first use, stopped when the run ends."""
    global _session_s3
    if _session_s3 is None:
        _session_s3 = S3rver().start()
        atexit.register(_session_s3.stop)
    return _session_s3


class S3Object:
    """A stored blob in a bucket, with the few Path methods the tests use on blob files."""

    def __init__(self, s3: S3rver, bucket: str, key: str):
        self.s3, self.bucket, self.key = s3, bucket, key
        self.name = key.rsplit("/", 1)[-1]

    def __repr__(self):
        return f"s3://{self.bucket}/{self.key}"

    def exists(self) -> bool:
        return requests.head(self.s3.url(self.bucket, self.key), timeout=HTTP_TIMEOUT).ok

    def read_bytes(self) -> bytes:
        r = requests.get(self.s3.url(self.bucket, self.key), timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, f"{self}: {r.status_code}"
        return r.content

    def write_bytes(self, data: bytes):
        r = requests.put(self.s3.url(self.bucket, self.key), data=data, timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, f"{self}: {r.status_code}"

    def unlink(self):
        requests.delete(self.s3.url(self.bucket, self.key), timeout=HTTP_TIMEOUT)


class Session(requests.Session):
    """A requests session whose requests time out (a hung daemon fails a test, not the run)."""

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(method, url, **kwargs)


class SourceAddressAdapter(requests.adapters.HTTPAdapter):
    """Connects from a given local address (another loopback address is another client)."""

    def __init__(self, source: str, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


def parse_challenge(header: str) -> tuple:
    """(scheme, {param: value}) of a WWW-Authenticate value with one challenge."""
    scheme, _, rest = (header or "").partition(" ")
    return scheme, dict(re.findall(r'(\w+)="([^"]*)"', rest))


class TokenAuth(requests.auth.AuthBase):
    """Follows Bearer challenges as docker and containerd do: a 401 naming a token realm
    and scope is answered by fetching a token there (with Basic credentials, or anonymously)
    and sending the request again with it.  `tokens` records the scopes fetched."""

    def __init__(self, credentials=None):
        self.credentials = credentials
        self.token = None
        self.tokens = []

    def __call__(self, req):
        if self.token:
            req.headers["Authorization"] = f"Bearer {self.token}"
        req.register_hook("response", self._retry)
        return req

    def _retry(self, resp, **kwargs):
        scheme, params = parse_challenge(resp.headers.get("WWW-Authenticate"))
        if resp.status_code != 401 or scheme != "Bearer" or getattr(resp.request, "_retried",
                                                                    False):
            return resp
        query = [("service", params.get("service", ""))]
        if "scope" in params:
            query.append(("scope", params["scope"]))
        got = requests.get(params["realm"], params=query, auth=self.credentials,
                           timeout=HTTP_TIMEOUT)
        if got.status_code != 200:
            return resp
        self.token = got.json()["token"]
        self.tokens.append(params.get("scope"))
        again = resp.request.copy()
        again._retried = True
        again.headers["Authorization"] = f"Bearer {self.token}"
        resp.content  # read the refused body before the connection is used again
        resp.raw.release_conn()
        return resp.connection.send(again, **kwargs)


class Registry:
    """One havend process (restartable on the same data dir) and HTTP helpers for it."""

    def __init__(self, workdir: Path, password: str = None):
        self.workdir = Path(workdir)
        self.data_dir = self.workdir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / "havend.log"
        self.password = password or "e2e-" + secrets.token_hex(8)
        self.auth = ("admin", self.password)
        self.proc = None
        self.port = None
        self.listen_on = "127.0.0.1"  # the address havend binds; clients use self.host
        self._log = None
        self._repo_seq = 0
        self.s3 = session_s3() if STORAGE == "s3" else None
        self.bucket = None
        self.database_url = None  # on the PostgreSQL run: this daemon's database, kept
        # given as secret_key with a database_url (nodes of one database share it); else
        # havend generates one into the data dir
        self.secret_key = secrets.token_hex(32)

    def db(self, read_only=False) -> Database:
        """A connection to the daemon's metadata (close it, or use it in `with`)."""
        return Database(self, read_only)

    # -- process control

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def start(self, env: dict = None):
        binary = havend_path()
        if not binary.is_file():
            pytest.fail(
                f"havend not found at {binary}: build it (ninja -C build/debug) or set HAVEND",
                pytrace=False,
            )
        self.port = free_port()
        # the harness's own variables (HAVEN_E2E_*) are not havend's, which refuses them
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_E2E_")}
        full_env.setdefault("HAVEN_LOG_LEVEL", "info")
        full_env["HAVEN_ADMIN_PASSWORD"] = self.password
        if postgres is not None and self.database_url is None:
            self.database_url = postgres.database()
        if self.database_url:
            full_env["HAVEN_DATABASE_URL"] = self.database_url
            full_env["HAVEN_SECRET_KEY"] = self.secret_key
        full_env.update(self.storage_env())
        full_env.update(env or {})
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n=== e2e: start on {self.host} env={env or {}} ===\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(
            [str(binary), "--listen", f"{self.listen_on}:{self.port}", "--data",
             str(self.data_dir)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            env=full_env,
        )
        live_daemons.append(self)
        self._wait_ready()
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                self._forget()
                pytest.fail(
                    f"havend exited with {self.proc.returncode} before answering /v2/\n"
                    + self.log_tail(),
                    pytrace=False,
                )
            try:
                requests.get(self.url + "/v2/", timeout=1)
                return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(
                    f"havend did not answer /v2/ within {READY_TIMEOUT}s\n" + self.log_tail(),
                    pytrace=False,
                )
            time.sleep(0.05)

    def _forget(self):
        if self in live_daemons:
            live_daemons.remove(self)
        if self._log:
            self._log.close()
            self._log = None

    def stop(self) -> list:
        """SIGTERM, then SIGKILL if it does not exit.  Returns what went wrong, if anything:
        it had died already, it ignored SIGTERM, or it exited with a failure status."""
        if self.proc is None:
            return []
        problems = []
        died = self.proc.poll()
        if died is not None:
            problems.append(f"havend had died (exit status {died})")
        else:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(STOP_TIMEOUT)
                if rc != 0:
                    problems.append(f"havend exited with status {rc} on SIGTERM")
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                problems.append(f"havend did not exit within {STOP_TIMEOUT}s of SIGTERM")
        self._forget()
        self.proc = None
        return problems

    def kill(self):
        """SIGKILL: the crash the crash test simulates."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._forget()
        self.proc = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        tail = [ln[:400] for ln in self.log_text().splitlines()[-lines:]]
        return f"--- {self.log_path} (last {len(tail)} lines) ---\n" + "\n".join(tail)

    def stored_secret(self, name: str) -> bytes:
        """A secret of the daemon's secret store, opened as havend opens it (AES-256-GCM under
        HKDF-SHA256 of secret_key, the name as additional data): an independent check of
        the format, and how the tests reach the token signing key."""
        hkdf = pytest.importorskip("cryptography.hazmat.primitives.kdf.hkdf")
        hashes = pytest.importorskip("cryptography.hazmat.primitives.hashes")
        aead = pytest.importorskip("cryptography.hazmat.primitives.ciphers.aead")
        key = self.secret_key
        if not self.database_url:
            key = (self.data_dir / "secret.key").read_text().strip()
        seal_key = hkdf.HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                             info=b"haven secrets aes-256-gcm").derive(bytes.fromhex(key))
        with self.db(read_only=True) as db:
            (value,) = db.execute("SELECT value FROM secret WHERE name = ?", (name,)).fetchone()
        value = bytes(value)
        return aead.AESGCM(seal_key).decrypt(value[:12], value[12:], name.encode())

    # -- storage layout

    def storage_env(self) -> dict:
        """The settings that put this daemon's blobs where HAVEN_E2E_STORAGE says."""
        if not self.s3:
            return {}
        if not self.bucket:  # one per daemon, kept across its restarts
            self.bucket = "haven-" + secrets.token_hex(6)
            self.s3.create_bucket(self.bucket)
        return {"HAVEN_STORAGE": "s3", "HAVEN_S3_BUCKET": self.bucket,
                "HAVEN_S3_ENDPOINT": self.s3.endpoint, "HAVEN_S3_PATH_STYLE": "true", **S3_KEYS}

    def blob_path(self, digest: str):
        """The stored blob: a file (a Path), or with storage s3 an object (S3Object)."""
        algo, hexpart = digest.split(":", 1)
        if self.s3:
            return S3Object(self.s3, self.bucket, f"blobs/{algo}/{hexpart[:2]}/{hexpart}")
        return self.data_dir / "blobs" / algo / hexpart[:2] / hexpart

    def upload_entries(self) -> set:
        """The uploads the blob store holds (file names, or upload ids in the bucket)."""
        if self.s3:
            return {k.split("/")[1] for k, _ in self.s3.keys(self.bucket, "uploads/")}
        d = self.data_dir / "uploads"
        return {p.name for p in d.iterdir()} if d.is_dir() else set()

    def staging_entries(self) -> set:
        """The names of what is staged in the blob store, as <hex>.<upload or random id>."""
        if self.s3:  # staging/<id>/<hex>
            return {"{2}.{1}".format(*k.split("/")) for k, _ in self.s3.keys(self.bucket,
                                                                              "staging/")}
        d = self.data_dir / "staging"
        return {p.name for p in d.iterdir()} if d.is_dir() else set()

    # -- HTTP

    def session(self, auth=True, source: str = None) -> Session:
        """auth: True for the administrator, False for none, or (user, password); source: the
        local address to connect from (e.g. "127.0.0.2"), else the default."""
        s = Session()
        if auth is True:
            s.auth = self.auth
        elif auth:
            s.auth = auth
        if source:
            s.mount("http://", SourceAddressAdapter(source))
        return s

    def token_session(self, credentials=None) -> Session:
        """A session that answers Bearer challenges with tokens from /service/token, as
        docker does: anonymous tokens unless credentials (user, password) are given."""
        s = Session()
        s.auth = TokenAuth(credentials)
        return s

    def v2(self, path: str) -> str:
        return f"{self.url}/v2/{path.lstrip('/')}"

    def new_repo(self, hint: str = "r") -> str:
        self._repo_seq += 1
        slug = re.sub(r"[^a-z0-9]+", "-", hint.lower()).strip("-")[:60] or "r"
        return f"library/{slug}-{self._repo_seq}"

    def push_blob(self, repo: str, data: bytes, session=None) -> str:
        s = session or self.session()
        d = digest_of(data)
        r = s.post(
            self.v2(f"{repo}/blobs/uploads/"),
            params={"digest": d},
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert_status(r, 201)
        return d

    def start_upload(self, repo: str, session=None) -> str:
        """POST an upload session; returns its absolute URL."""
        s = session or self.session()
        r = s.post(self.v2(f"{repo}/blobs/uploads/"))
        assert_status(r, 202)
        return urljoin(r.url, r.headers["Location"])

    def push_manifest(self, repo, ref, body, media_type=OCI_MANIFEST, session=None):
        s = session or self.session()
        if not isinstance(body, bytes):
            body = canonical(body)
        return s.put(
            self.v2(f"{repo}/manifests/{ref}"),
            data=body,
            headers={"Content-Type": media_type},
        )

    def push_image(self, repo, tag=None, layers=1, seed=0):
        """Push config, `layers` 1 KiB layers and an OCI manifest (by digest if `tag` is
        None); returns an Image.  The same seed gives the same image."""
        rnd = random.Random(seed)
        layer_blobs = [rnd.randbytes(1024) for _ in range(layers)]
        config = canonical({
            "architecture": "amd64", "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [digest_of(b) for b in layer_blobs]},
            "seed": seed,
        })
        for b in [config] + layer_blobs:
            self.push_blob(repo, b)
        manifest = canonical({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": descriptor(OCI_CONFIG, config),
            "layers": [descriptor(OCI_LAYER, b) for b in layer_blobs],
        })
        d = digest_of(manifest)
        r = self.push_manifest(repo, tag or d, manifest, OCI_MANIFEST)
        assert_status(r, 201)
        return Image(repo, tag, manifest, OCI_MANIFEST, d, config, layer_blobs)

    def create_project(self, name: str, public: bool):
        r = self.session().post(f"{self.url}/api/v2.0/projects", json={
            "project_name": name, "metadata": {"public": "true" if public else "false"}})
        assert_status(r, 201)

    def private_project_with_robot(self, name: str) -> tuple:
        """A private project and a project robot that may push and pull it; returns the
        robot's (login, secret)."""
        self.create_project(name, public=False)
        r = self.session().post(f"{self.url}/api/v2.0/robots", json={
            "name": "ci", "level": "project", "duration": -1,
            "permissions": [{"kind": "project", "namespace": name, "access": [
                {"resource": "repository", "action": "push"},
                {"resource": "repository", "action": "pull"}]}]})
        assert_status(r, 201)
        return r.json()["name"], r.json()["secret"]

    def assert_docker_manifest(self, repo, ref, digest, image_id) -> dict:
        """The registry serves `repo:ref` as the Docker manifest `digest` of the image whose
        config is `image_id`; returns the manifest."""
        r = self.session().get(self.v2(f"{repo}/manifests/{ref}"),
                               headers={"Accept": DOCKER_MANIFEST})
        assert_status(r, 200)
        assert r.headers["Content-Type"] == DOCKER_MANIFEST
        assert digest_of(r.content) == digest == r.headers["Docker-Content-Digest"]
        assert r.json()["config"]["digest"] == image_id
        return r.json()

    # -- the access log: what clients really asked

    def log_mark(self) -> int:
        """A position in the log; access_since(mark) reads the requests logged after it."""
        return len(self.log_text())

    def access_since(self, mark: int) -> list:
        """The access-log entries written since `mark`, oldest first."""
        return [AccessEntry(*m.groups()) for m in ACCESS_RE.finditer(self.log_text()[mark:])]

    def raw_request(self, method, path, headers, body: bytes, auth=True, chunked=False,
                    timeout=30.0):
        """Send a request over a plain socket, reading while sending and sending no more
        once the server answers (as Go's HTTP client does; a server may refuse a too-large
        body before reading it all).  Returns (status, {lower-case header: value}, body)."""
        head = {"Host": self.host, "Connection": "close"}
        if chunked:
            head["Transfer-Encoding"] = "chunked"
            body = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536])
                            for i in range(0, len(body), 65536)) + b"0\r\n\r\n"
        else:
            head["Content-Length"] = str(len(body))
        if auth:
            token = base64.b64encode(("%s:%s" % self.auth).encode()).decode()
            head["Authorization"] = "Basic " + token
        head.update(headers)
        lines = [f"{method} {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in head.items()]
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            sock.setblocking(False)
            sent, reply, deadline = 0, b"", time.monotonic() + timeout
            while not _reply_complete(reply):
                sending = sent < len(body) and not reply
                rd, wr, _ = select.select([sock], [sock] if sending else [], [], 1.0)
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no complete reply to {method} {path}: {reply[:200]!r}")
                if rd:
                    try:
                        chunk = sock.recv(65536)
                    except ConnectionResetError:
                        break
                    if not chunk:
                        break
                    reply += chunk
                elif wr:
                    try:
                        sent += sock.send(body[sent:sent + 65536])
                    except (BrokenPipeError, ConnectionResetError):
                        sent = len(body)
        finally:
            sock.close()
        if b"\r\n\r\n" not in reply:
            raise AssertionError(f"{method} {path}: connection closed without a response "
                                 f"({reply[:200]!r})")
        status, hdrs, rest = _parse_head(reply)
        return status, hdrs, rest


def _parse_head(reply: bytes):
    head, _, rest = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    return int(lines[0].split()[1]), hdrs, rest


def _reply_complete(reply: bytes) -> bool:
    if b"\r\n\r\n" not in reply:
        return False
    _, hdrs, rest = _parse_head(reply)
    if "content-length" in hdrs:
        return len(rest) >= int(hdrs["content-length"])
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        return rest.endswith(b"0\r\n\r\n")
    return False


# "access PUT /v2/library/a/manifests/1 201 in=527 out=0 2.5ms id=… user=admin"
ACCESS_RE = re.compile(r"\baccess (\S+) (\S+) (\d+) in=(\d+) out=(\d+)[^\n]*? user=(\S+)")


class AccessEntry:
    """One request of havend's access log (the path has no query string)."""

    def __init__(self, method, path, status, bytes_in, bytes_out, user):
        self.method, self.path, self.status = method, path, int(status)
        self.bytes_in, self.bytes_out, self.user = int(bytes_in), int(bytes_out), user

    def __repr__(self):
        return f"{self.method} {self.path} {self.status} in={self.bytes_in} user={self.user}"


def uploads_to(entries: list, repo: str) -> list:
    """The blob-upload requests (POST, PATCH, PUT) to `repo` among access-log entries."""
    prefix = f"/v2/{repo}/blobs/uploads/"
    return [e for e in entries if e.path.startswith(prefix)]


def blob_gets(entries: list, repo: str, digest: str) -> list:
    """(status, user) of each GET of blob `digest` in `repo` among access-log entries."""
    return [(e.status, e.user) for e in entries
            if e.method == "GET" and e.path == f"/v2/{repo}/blobs/{digest}"]


def unique_name(prefix: str) -> str:
    """A project or repository name no other test uses."""
    return f"{prefix}{secrets.token_hex(4)}"


class Image:
    def __init__(self, repo, tag, manifest, media_type, digest, config, layers):
        self.repo, self.tag = repo, tag
        self.manifest, self.media_type, self.digest = manifest, media_type, digest
        self.config, self.layers = config, layers

    def descriptor(self, **extra):
        return descriptor(self.media_type, self.manifest, **extra)


# ---------------------------------------------------------------- OCI image layouts


def make_layer(rnd: random.Random, name: str, size: int) -> tuple:
    """A gzip'd tar holding one file of `size` random bytes; returns (gz bytes, diff_id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        d = tarfile.TarInfo(name)
        d.type, d.mode, d.mtime = tarfile.DIRTYPE, 0o755, 0
        tar.addfile(d)
        payload = rnd.randbytes(size)
        f = tarfile.TarInfo(f"{name}/data.bin")
        f.size, f.mode, f.mtime = size, 0o644, 0
        tar.addfile(f, io.BytesIO(payload))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), digest_of(tar_bytes)


class OCILayout:
    """An OCI image layout directory (image-spec image-layout.md) built from Python."""

    def __init__(self, path: Path):
        self.path = Path(path)
        (self.path / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.path / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        self.refs = []  # index.json entries

    def add_blob(self, data: bytes, media_type: str, **extra) -> dict:
        d = digest_of(data)
        p = self.path / "blobs" / "sha256" / d.split(":")[1]
        if not p.exists():
            p.write_bytes(data)
        return descriptor(media_type, data, **extra)

    def tag(self, desc: dict, name: str):
        entry = dict(desc)
        entry["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.refs.append(entry)
        (self.path / "index.json").write_bytes(canonical({
            "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.refs,
        }))

    def add_image(self, seed: int, layer_sizes, arch="amd64", tag=None) -> dict:
        rnd = random.Random(seed)
        layers, diff_ids = [], []
        for i, size in enumerate(layer_sizes):
            gz, diff_id = make_layer(rnd, f"s{seed}-l{i}", size)
            layers.append(self.add_blob(gz, OCI_LAYER))
            diff_ids.append(diff_id)
        config = canonical({
            "created": "2024-01-01T00:00:00Z",
            "architecture": arch,
            "os": "linux",
            "config": {"Env": ["PATH=/usr/bin:/bin"], "Labels": {"e2e.seed": str(seed)}},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": [{"created": "2024-01-01T00:00:00Z", "created_by": f"layer {i}"}
                        for i in range(len(layer_sizes))],
        })
        manifest = canonical({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": self.add_blob(config, OCI_CONFIG),
            "layers": layers,
        })
        desc = self.add_blob(manifest, OCI_MANIFEST)
        if tag:
            self.tag(desc, tag)
        return desc

    def add_index(self, children: list, tag=None) -> dict:
        index = canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children})
        desc = self.add_blob(index, OCI_INDEX)
        if tag:
            self.tag(desc, tag)
        return desc

    def add_artifact(self, subject: dict, artifact_type: str, payload: bytes, tag=None) -> dict:
        layer = self.add_blob(payload, artifact_type + "+json")
        manifest = canonical({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact_type,
            "config": self.add_blob(b"{}", OCI_EMPTY),
            "layers": [layer],
            "subject": {k: subject[k] for k in ("mediaType", "digest", "size")},
            "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"},
        })
        desc = self.add_blob(manifest, OCI_MANIFEST)
        if tag:
            self.tag(desc, tag)
        return desc


def read_layout_manifest(layout: Path, digest: str) -> dict:
    return json.loads((Path(layout) / "blobs" / "sha256" / digest.split(":")[1]).read_bytes())


def layout_ref(layout: Path, name: str) -> dict:
    """The index.json descriptor tagged `name` in an OCI layout."""
    index = json.loads((Path(layout) / "index.json").read_text())
    for m in index["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == name:
            return m
    raise KeyError(f"{name} not in {layout}/index.json: {index}")


def layout_closure(layout: Path, digest: str) -> set:
    """Digests of a manifest and everything it references, read from a layout."""
    out = {digest}
    m = read_layout_manifest(layout, digest)
    for child in m.get("manifests", []):
        out |= layout_closure(layout, child["digest"])
    if "config" in m:
        out.add(m["config"]["digest"])
    for layer in m.get("layers", []):
        out.add(layer["digest"])
    return out


class Layouts:
    """The layouts the client tests push: `image`, `multi`, `artifact`, `many` (25 layers)."""

    def __init__(self, base: Path):
        self.base = base
        self.image = self._layout("image")
        self.image_desc = self.image.add_image(1, [3 * 1024, 200 * 1024, 1024 * 1024], tag="v1")

        self.multi = self._layout("multi")
        amd = self.multi.add_image(2, [8 * 1024, 40 * 1024], arch="amd64")
        arm = self.multi.add_image(3, [16 * 1024], arch="arm64")
        amd["platform"] = {"architecture": "amd64", "os": "linux"}
        arm["platform"] = {"architecture": "arm64", "os": "linux"}
        self.multi_desc = self.multi.add_index([amd, arm], tag="multi")

        self.artifact = self._layout("artifact")
        subject = self.artifact.add_image(4, [5 * 1024], tag="base")
        self.artifact_subject = subject
        self.artifact_type = "application/vnd.example.sbom.v1"
        self.artifact_desc = self.artifact.add_artifact(
            subject, self.artifact_type, b'{"sbom":"e2e","packages":[]}', tag="sbom")

        self.many = self._layout("many")
        self.many_desc = self.many.add_image(
            5, [2048 + 512 * i for i in range(25)], tag="many")

    def _layout(self, name):
        return OCILayout(self.base / name)


