#!/usr/bin/python3
"""The garbage-collection benchmark's dataset, written straight into a stopped havend's SQLite
database (bench/gc.sh runs it between two starts of havend on the same data dir).

  gc_fill.py DATA_DIR --blobs N --garbage G

  live blobs    N - G blob rows linked as a push links them: each artifact is one manifest
                blob (artifact.digest) plus 9 layer blobs (artifact_blob rows), in repositories
                of 100 artifacts of the project "gcbench", and every one of the 10 has its
                project_blob link; no files (GC only reads the rows of live blobs)
  garbage       G blob rows no artifact or project references, last referenced a day ago,
                and a small file each under blobs/sha256/<2 hex>/<hex>: GC deletes both

Digests are the SHA-256 of a name ("live-<i>", "garbage-<i>"), not of the contents: GC never
hashes what it deletes.  Rows go in by executemany, in one transaction.  It prints one JSON
object: the counts and how long it took.
"""

import argparse
import hashlib
import json
import sqlite3
import sys
import time
from pathlib import Path

LAYERS = 9  # layer blobs per artifact, plus its manifest blob
PER_REPO = 100  # artifacts per repository
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data_dir")
    p.add_argument("--blobs", type=int, default=1_000_000)
    p.add_argument("--garbage", type=int, default=100_000)
    a = p.parse_args()
    per_artifact = LAYERS + 1
    if a.garbage < 0 or a.blobs < a.garbage + per_artifact:
        sys.exit(f"--blobs must be at least --garbage + {per_artifact}")
    data = Path(a.data_dir)
    db_path = data / "haven.db"
    if not db_path.is_file():
        sys.exit(f"{db_path} does not exist: start havend on {data} once, then stop it")

    t0 = time.monotonic()
    now = int(time.time() * 1000)
    old = now - 86_400_000  # a day ago: past any grace period the benchmark sets
    artifacts = (a.blobs - a.garbage) // per_artifact
    live = artifacts * per_artifact

    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")  # a benchmark fixture: rebuilt, never recovered
    db.execute("BEGIN")
    owner = db.execute("SELECT id FROM users WHERE username = 'admin'").fetchone()[0]
    pid = db.execute("INSERT INTO project (name, owner_id, creation_time, update_time) "
                     "VALUES ('gcbench', ?, ?, ?)", (owner, now, now)).lastrowid
    repos = (artifacts + PER_REPO - 1) // PER_REPO
    first_repo = db.execute("SELECT coalesce(max(id), 0) + 1 FROM repository").fetchone()[0]
    db.executemany("INSERT INTO repository (id, project_id, name, creation_time, update_time) "
                   "VALUES (?, ?, ?, ?, ?)",
                   ((first_repo + r, pid, f"gcbench/r{r}", now, now) for r in range(repos)))
    first_art = db.execute("SELECT coalesce(max(id), 0) + 1 FROM artifact").fetchone()[0]
    db.executemany("INSERT INTO artifact (id, repository_id, digest, media_type, size, push_time) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   ((first_art + i, first_repo + i // PER_REPO, digest(f"live-{i * per_artifact}"),
                     MANIFEST, 1024, now) for i in range(artifacts)))
    db.executemany("INSERT INTO artifact_blob (artifact_id, blob_digest) VALUES (?, ?)",
                   ((first_art + i, digest(f"live-{i * per_artifact + k}"))
                    for i in range(artifacts) for k in range(1, per_artifact)))
    db.executemany("INSERT INTO blob (digest, size, creation_time, last_ref) VALUES (?, ?, ?, ?)",
                   ((digest(f"live-{j}"), 1024, old, old) for j in range(live)))
    db.executemany("INSERT INTO project_blob (project_id, blob_digest, creation_time) "
                   "VALUES (?, ?, ?)", ((pid, digest(f"live-{j}"), old) for j in range(live)))
    db.executemany("INSERT INTO blob (digest, size, creation_time, last_ref) VALUES (?, ?, ?, ?)",
                   ((digest(f"garbage-{j}"), 64, old, old) for j in range(a.garbage)))
    db.execute("COMMIT")
    db.close()

    root = data / "blobs" / "sha256"
    for j in range(a.garbage):
        hexpart = digest(f"garbage-{j}")[7:]
        sub = root / hexpart[:2]
        sub.mkdir(parents=True, exist_ok=True)
        (sub / hexpart).write_bytes(b"garbage %d\n" % j)

    print(json.dumps({"blobs": live + a.garbage, "live": live, "garbage": a.garbage,
                      "artifacts": artifacts, "repositories": repos,
                      "seconds": round(time.monotonic() - t0, 1)}))


if __name__ == "__main__":
    main()
