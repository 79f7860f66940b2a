-- Haven schema, version 3: Harbor's artifact model (types, extra attributes, accessories),
-- labels, quotas and immutable tag rules.

-- IMAGE | CHART | CNAB | WASM | SBOM | UNKNOWN, from the config media type and artifactType.
ALTER TABLE artifact ADD COLUMN type TEXT NOT NULL DEFAULT 'UNKNOWN';
-- The config's media type (Harbor's artifact "media_type"), NULL for indexes.
ALTER TABLE artifact ADD COLUMN config_media_type TEXT;
-- Harbor's extra_attrs JSON (architecture, os, created, author, config; chart metadata).
ALTER TABLE artifact ADD COLUMN extra_attrs TEXT;
-- signature.cosign | signature.notation | accelerator.nydus | sbom.harbor | subject.accessory;
-- NULL for an artifact that is not an accessory.  Accessories are hidden from artifact lists
-- and deleted with their subject (subject_digest, same repository).
ALTER TABLE artifact ADD COLUMN accessory_type TEXT;
CREATE INDEX artifact_repo_push ON artifact(repository_id, push_time);

CREATE TABLE label (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    color         TEXT NOT NULL DEFAULT '',
    scope         TEXT NOT NULL,                 -- 'g' global | 'p' project
    project_id    INTEGER REFERENCES project(id) ON DELETE CASCADE,
    creation_time INTEGER NOT NULL,
    update_time   INTEGER NOT NULL
);
CREATE UNIQUE INDEX label_name ON label(scope, coalesce(project_id, 0), name);

CREATE TABLE artifact_label (
    artifact_id   INTEGER NOT NULL REFERENCES artifact(id) ON DELETE CASCADE,
    label_id      INTEGER NOT NULL REFERENCES label(id) ON DELETE CASCADE,
    creation_time INTEGER NOT NULL,
    PRIMARY KEY (artifact_id, label_id)
);
CREATE INDEX artifact_label_label ON artifact_label(label_id);

-- Storage quota of a project: hard limit (-1 unlimited) and usage, the sum of the sizes of
-- the blobs linked to the project (project_blob), each counted once.
CREATE TABLE quota (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id    INTEGER NOT NULL UNIQUE REFERENCES project(id) ON DELETE CASCADE,
    hard          INTEGER NOT NULL DEFAULT -1,
    used          INTEGER NOT NULL DEFAULT 0,
    creation_time INTEGER NOT NULL,
    update_time   INTEGER NOT NULL
);
INSERT INTO quota (project_id, hard, used, creation_time, update_time)
    SELECT p.id, -1,
           coalesce((SELECT sum(b.size) FROM project_blob pb JOIN blob b ON b.digest = pb.blob_digest
                     WHERE pb.project_id = p.id), 0),
           p.creation_time, p.creation_time
    FROM project p;

-- Immutable tag rules; rule is Harbor's ImmutableRule JSON (selectors) as sent.
CREATE TABLE immutable_rule (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id    INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    priority      INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    rule          TEXT NOT NULL,
    creation_time INTEGER NOT NULL,
    update_time   INTEGER NOT NULL
);
CREATE INDEX immutable_rule_project ON immutable_rule(project_id);
