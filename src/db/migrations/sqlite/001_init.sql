-- Haven schema, version 1: the registry core (projects, repositories, blobs, artifacts,
-- tags, uploads), users, and the event outbox.  Times are milliseconds since the epoch.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL UNIQUE,
    email         TEXT,
    realname      TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    sysadmin      INTEGER NOT NULL DEFAULT 0,
    creation_time INTEGER NOT NULL,
    update_time   INTEGER NOT NULL
);

CREATE TABLE project (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    owner_id      INTEGER REFERENCES users(id),
    creation_time INTEGER NOT NULL,
    update_time   INTEGER NOT NULL
);

-- Harbor keeps project settings as string key/value pairs ("public" = "true", ...).
CREATE TABLE project_metadata (
    project_id INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (project_id, name)
);

CREATE TABLE repository (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id    INTEGER NOT NULL REFERENCES project(id),
    name          TEXT NOT NULL UNIQUE,
    description   TEXT NOT NULL DEFAULT '',
    pull_count    INTEGER NOT NULL DEFAULT 0,
    creation_time INTEGER NOT NULL,
    update_time   INTEGER NOT NULL
);
CREATE INDEX repository_project ON repository(project_id, name);

-- Every stored blob, manifests included, once per registry.
CREATE TABLE blob (
    digest        TEXT PRIMARY KEY,
    size          INTEGER NOT NULL,
    creation_time INTEGER NOT NULL
);

-- Which project may see a blob (pull, mount) and is charged for it.
CREATE TABLE project_blob (
    project_id    INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    blob_digest   TEXT NOT NULL REFERENCES blob(digest),
    creation_time INTEGER NOT NULL,
    PRIMARY KEY (project_id, blob_digest)
);

CREATE TABLE artifact (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    repository_id  INTEGER NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
    digest         TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    artifact_type  TEXT,
    size           INTEGER NOT NULL,
    subject_digest TEXT,
    annotations    TEXT,
    push_time      INTEGER NOT NULL,
    pull_time      INTEGER,
    pull_count     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (repository_id, digest)
);
CREATE INDEX artifact_subject ON artifact(repository_id, subject_digest)
    WHERE subject_digest IS NOT NULL;

-- The blobs a manifest references (config and layers).
CREATE TABLE artifact_blob (
    artifact_id INTEGER NOT NULL REFERENCES artifact(id) ON DELETE CASCADE,
    blob_digest TEXT NOT NULL,
    PRIMARY KEY (artifact_id, blob_digest)
);

-- The manifests an index references, by digest, with their platform.
CREATE TABLE artifact_reference (
    parent_id    INTEGER NOT NULL REFERENCES artifact(id) ON DELETE CASCADE,
    child_digest TEXT NOT NULL,
    os           TEXT,
    architecture TEXT,
    variant      TEXT,
    PRIMARY KEY (parent_id, child_digest)
);
CREATE INDEX artifact_reference_child ON artifact_reference(child_digest);

CREATE TABLE tag (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    repository_id INTEGER NOT NULL REFERENCES repository(id) ON DELETE CASCADE,
    artifact_id   INTEGER NOT NULL REFERENCES artifact(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    push_time     INTEGER NOT NULL,
    pull_time     INTEGER,
    UNIQUE (repository_id, name)
);
CREATE INDEX tag_artifact ON tag(artifact_id);

-- Uploads in progress: the bytes live in the blob store under the uuid; the running
-- SHA-256 state lives here so that any node can take the next chunk.
CREATE TABLE upload (
    uuid          TEXT PRIMARY KEY,
    repository    TEXT NOT NULL,
    project_id    INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    size          INTEGER NOT NULL DEFAULT 0,
    hash_state    BLOB NOT NULL,
    creation_time INTEGER NOT NULL,
    update_time   INTEGER NOT NULL
);

-- Events written in the transaction of the change that caused them, dispatched after commit.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    type          TEXT NOT NULL,
    payload       TEXT NOT NULL,
    creation_time INTEGER NOT NULL
);
