#!/usr/bin/python3
"""Harbor's "small" performance dataset, written straight into a Haven data directory.

    dataset.py fill DATA_DIR [--projects 100 --repositories 100 --artifacts 10 --tags 5
                              --audit 200000]

DATA_DIR must hold a haven.db whose schema havend created (start havend on it once, stop
it): this script writes metadata, not schema.  It fills, in one transaction through
Python's sqlite3 module:

  projects      perf-000 … (every other one public), admin their projectAdmin member
  repositories  perf-NNN/repo-MMM, `--repositories` per project
  artifacts     `--artifacts` per repository: OCI image manifests that differ only by an
                annotation (so every artifact has its own digest, as real images do), all
                sharing one config and three layers
  tags          `--tags` per artifact: v<artifact>.<n>
  blobs         the shared config and layers and every manifest, rows and files, so that
                pulls of any tag work; project_blob links and quota usage consistent with
                them (each blob counted once per project)
  audit_log     `--audit` rows of pushes, pulls and deletions over the last 30 days

Times are spread over the last 30 days, deterministically.  Nothing random depends on the
clock: two runs with the same arguments write the same rows (but for the base time).
Prints one JSON object with what it wrote, how long it took, and sample names for the
benchmark (bench/scale.sh).
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import random
import sqlite3
import sys
import tarfile
import time
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
DAY_MS = 86_400_000
ROLE_PROJECT_ADMIN = 1


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def descriptor(media_type, data):
    return {"mediaType": media_type, "digest": digest_of(data), "size": len(data)}


class BlobWriter:
    """Writes blobs where Haven's filesystem store keeps them: blobs/sha256/<2 hex>/<hex>."""

    def __init__(self, data_dir: Path):
        self.root = data_dir / "blobs" / "sha256"
        self.made = set()

    def put(self, data: bytes) -> str:
        d = digest_of(data)
        hexpart = d[7:]
        sub = self.root / hexpart[:2]
        if hexpart[:2] not in self.made:
            sub.mkdir(parents=True, exist_ok=True)
            self.made.add(hexpart[:2])
        path = sub / hexpart
        if not path.exists():
            with open(path, "wb") as f:
                f.write(data)
        return d


def make_layer(rnd: random.Random, name: str, size: int):
    """A gzip'd tar with one file of random bytes; returns (gz bytes, diff_id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(f"{name}/data.bin")
        info.size, info.mode, info.mtime = size, 0o644, 0
        tar.addfile(info, io.BytesIO(rnd.randbytes(size)))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), digest_of(tar_bytes)


def columns(db, table):
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def next_id(db, table):
    return db.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0]


def fill(a):
    data_dir = Path(a.data_dir)
    db_path = data_dir / "haven.db"
    if not db_path.is_file():
        sys.exit(f"{db_path} does not exist: start havend on {data_dir} once, then stop it")
    t0 = time.monotonic()
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")  # a benchmark fixture: rebuilt, never recovered
    db.execute("PRAGMA cache_size=-262144")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for t in ("project", "repository", "artifact", "tag", "blob", "project_blob", "audit_log",
              "member", "quota", "artifact_blob"):
        if t not in tables:
            sys.exit(f"{db_path} has no table {t}: is it a Haven database of schema 3 or later?")
    admin = db.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()
    if not admin:
        sys.exit(f"{db_path} has no admin user: havend has not started on it")
    admin_id = admin[0]
    if db.execute("SELECT count(*) FROM artifact").fetchone()[0]:
        sys.exit(f"{db_path} already holds artifacts: fill an empty data directory")

    now = int(time.time() * 1000)
    base = now - 30 * DAY_MS
    rnd = random.Random(20261129)
    blobs = BlobWriter(data_dir)
    P, R, A, T = a.projects, a.repositories, a.artifacts, a.tags

    # the shared blobs: three layers and one image config
    layers, diff_ids = [], []
    for i, size in enumerate((4096, 16384, 65536)):
        gz, diff_id = make_layer(rnd, f"layer{i}", size)
        layers.append(gz)
        diff_ids.append(diff_id)
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base / 1000))
    config = canonical({
        "architecture": "amd64", "os": "linux", "created": created, "author": "haven bench",
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    })
    shared = [config] + layers
    shared_digests = [blobs.put(b) for b in shared]
    shared_size = sum(len(b) for b in shared)
    config_desc = descriptor(OCI_CONFIG, config)
    layer_descs = [descriptor(OCI_LAYER, b) for b in layers]
    extra_attrs = json.dumps({"architecture": "amd64", "os": "linux", "created": created,
                              "author": "haven bench",
                              "config": {"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"]}})

    art_cols = columns(db, "artifact")
    project_id0 = next_id(db, "project")
    repo_id0 = next_id(db, "repository")
    art_id0 = next_id(db, "artifact")
    tag_id0 = next_id(db, "tag")
    audit_id0 = next_id(db, "audit_log")

    db.execute("BEGIN")
    for d, b in zip(shared_digests, shared):
        db.execute("INSERT OR IGNORE INTO blob (digest, size, creation_time) VALUES (?, ?, ?)",
                   (d, len(b), base))

    project_names = [f"perf-{p:03d}" for p in range(P)]
    projects = []
    for p, name in enumerate(project_names):
        t = base + p * 1000
        projects.append((project_id0 + p, name, admin_id, t, t))
    db.executemany("INSERT INTO project (id, name, owner_id, creation_time, update_time)"
                   " VALUES (?, ?, ?, ?, ?)", projects)
    db.executemany("INSERT INTO project_metadata (project_id, name, value) VALUES (?, 'public', ?)",
                   [(project_id0 + p, "true" if p % 2 == 0 else "false") for p in range(P)])
    db.executemany("INSERT INTO member (project_id, entity_type, entity_id, role, creation_time,"
                   " update_time) VALUES (?, 'u', ?, ?, ?, ?)",
                   [(pid, admin_id, ROLE_PROJECT_ADMIN, t, t) for pid, _, _, t, _ in projects])

    # repositories, created interleaved across projects over the first 10 days
    step = max(1, 10 * DAY_MS // max(1, P * R))
    repos = []
    for r in range(R):
        for p in range(P):
            rid = repo_id0 + p * R + r
            t = base + DAY_MS + (r * P + p) * step
            repos.append((rid, project_id0 + p, f"{project_names[p]}/repo-{r:03d}", t, t))
    repos.sort()
    db.executemany("INSERT INTO repository (id, project_id, name, creation_time, update_time)"
                   " VALUES (?, ?, ?, ?, ?)", repos)

    # artifacts, their blobs and tags; one distinct manifest each
    art_fields = ["id", "repository_id", "digest", "media_type", "size", "annotations",
                  "push_time"]
    optional = {"type": "IMAGE", "config_media_type": OCI_CONFIG, "extra_attrs": extra_attrs}
    art_fields += [c for c in optional if c in art_cols]
    has_total = "total_size" in art_cols
    if has_total:
        art_fields.append("total_size")
    art_sql = (f"INSERT INTO artifact ({', '.join(art_fields)}) VALUES "
               f"({', '.join('?' for _ in art_fields)})")
    manifest_rows, artifact_rows, ab_rows, tag_rows, pb_rows = [], [], [], [], []
    used = {}
    art_id, tag_id = art_id0, tag_id0
    sample = {}
    for rid, pid, rname, rtime, _ in repos:
        for k in range(A):
            annotations = {"io.haven.bench.artifact": f"{rname}:{k}",
                           "org.opencontainers.image.created": created}
            manifest = canonical({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                  "config": config_desc, "layers": layer_descs,
                                  "annotations": annotations})
            d = blobs.put(manifest)
            push = rtime + (k + 1) * 60_000
            row = [art_id, rid, d, OCI_MANIFEST, len(manifest), json.dumps(annotations), push]
            row += [optional[c] for c in optional if c in art_cols]
            if has_total:
                row.append(len(manifest) + shared_size)
            artifact_rows.append(row)
            manifest_rows.append((d, len(manifest), push))
            pb_rows.append((pid, d, push))
            used[pid] = used.get(pid, 0) + len(manifest)
            for sd in shared_digests:
                ab_rows.append((art_id, sd))
            for n in range(T):
                tag_rows.append((tag_id, rid, art_id, f"v{k}.{n}", push))
                tag_id += 1
            if not sample and pid == project_id0 + P // 2 and rname.endswith(f"repo-{R // 2:03d}"):
                sample = {"project": project_names[P // 2], "repository": rname,
                          "reference": f"v{A // 2}.0", "digest": d}
            art_id += 1
        if len(artifact_rows) >= 20000:
            db.executemany(art_sql, artifact_rows)
            db.executemany("INSERT OR IGNORE INTO blob (digest, size, creation_time)"
                           " VALUES (?, ?, ?)", manifest_rows)
            db.executemany("INSERT INTO artifact_blob (artifact_id, blob_digest) VALUES (?, ?)",
                           ab_rows)
            db.executemany("INSERT INTO tag (id, repository_id, artifact_id, name, push_time)"
                           " VALUES (?, ?, ?, ?, ?)", tag_rows)
            db.executemany("INSERT OR IGNORE INTO project_blob (project_id, blob_digest,"
                           " creation_time) VALUES (?, ?, ?)", pb_rows)
            artifact_rows, manifest_rows, ab_rows, tag_rows, pb_rows = [], [], [], [], []
    db.executemany(art_sql, artifact_rows)
    db.executemany("INSERT OR IGNORE INTO blob (digest, size, creation_time) VALUES (?, ?, ?)",
                   manifest_rows)
    db.executemany("INSERT INTO artifact_blob (artifact_id, blob_digest) VALUES (?, ?)", ab_rows)
    db.executemany("INSERT INTO tag (id, repository_id, artifact_id, name, push_time)"
                   " VALUES (?, ?, ?, ?, ?)", tag_rows)
    db.executemany("INSERT OR IGNORE INTO project_blob (project_id, blob_digest, creation_time)"
                   " VALUES (?, ?, ?)", pb_rows)

    # every project that holds an artifact also holds the shared blobs, counted once
    for pid, _, _, t, _ in projects:
        if pid not in used:
            continue
        for sd in shared_digests:
            db.execute("INSERT OR IGNORE INTO project_blob (project_id, blob_digest, creation_time)"
                       " VALUES (?, ?, ?)", (pid, sd, t))
        used[pid] += shared_size
    for pid, _, _, t, _ in projects:
        db.execute("INSERT INTO quota (project_id, hard, used, creation_time, update_time)"
                   " VALUES (?, -1, ?, ?, ?) ON CONFLICT (project_id) DO UPDATE SET"
                   " used = excluded.used", (pid, used.get(pid, 0), t, now))

    # the audit log: pushes, pulls and deletions, oldest first
    ops = (("artifact", "create"), ("artifact", "pull"), ("artifact", "pull"),
           ("tag", "delete"), ("artifact", "delete"))
    audit_rows = []
    span = 30 * DAY_MS
    for i in range(a.audit):
        p = i % P
        r = (i // P) % R
        resource_type, operation = ops[i % len(ops)]
        audit_rows.append((audit_id0 + i, project_id0 + p, "admin",
                           f"{project_names[p]}/repo-{r:03d}:v{i % A}.{i % T}", resource_type,
                           operation, base + i * span // max(1, a.audit)))
        if len(audit_rows) >= 50000:
            db.executemany("INSERT INTO audit_log (id, project_id, username, resource,"
                           " resource_type, operation, op_time) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           audit_rows)
            audit_rows = []
    db.executemany("INSERT INTO audit_log (id, project_id, username, resource, resource_type,"
                   " operation, op_time) VALUES (?, ?, ?, ?, ?, ?, ?)", audit_rows)
    db.execute("COMMIT")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()

    counts = {"projects": P, "repositories": P * R, "artifacts": P * R * A,
              "tags": P * R * A * T, "blobs": len(shared) + P * R * A, "audit_logs": a.audit}
    out = {"counts": counts, "seconds": round(time.monotonic() - t0, 1),
           "db_mib": round(db_path.stat().st_size / 1048576, 1), "sample": sample,
           "tags_of_sample": sorted(f"v{k}.{n}" for k in range(A) for n in range(T))}
    print(json.dumps(out))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fill", help="fill a data directory whose schema havend created")
    f.add_argument("data_dir")
    f.add_argument("--projects", type=int, default=100)
    f.add_argument("--repositories", type=int, default=100)
    f.add_argument("--artifacts", type=int, default=10)
    f.add_argument("--tags", type=int, default=5)
    f.add_argument("--audit", type=int, default=200000)
    a = p.parse_args()
    if a.cmd == "fill":
        fill(a)


if __name__ == "__main__":
    main()
