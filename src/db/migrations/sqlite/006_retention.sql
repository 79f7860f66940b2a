-- Haven schema, version 6 (tag retention): a project's retention policy, at most one, as the
-- normalised RetentionPolicy JSON that the retention service writes.
CREATE TABLE retention_policy (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id    INTEGER NOT NULL UNIQUE REFERENCES project(id) ON DELETE CASCADE,
    policy        TEXT NOT NULL,
    creation_time INTEGER NOT NULL,
    update_time   INTEGER NOT NULL
);
