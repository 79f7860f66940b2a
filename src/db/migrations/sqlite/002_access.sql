-- Haven schema, version 2: identity and access (members, robots, audit log, settings).

ALTER TABLE users ADD COLUMN comment TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX users_email ON users(email) WHERE email IS NOT NULL AND email <> '';

-- The project's CVE allowlist as Harbor's CVEAllowlist JSON ({"items":[...],"expires_at":n}).
ALTER TABLE project ADD COLUMN cve_allowlist TEXT;

-- A project role held by a user ('u') or, later, a group ('g').
-- Roles: 1 projectAdmin, 2 developer, 3 guest, 4 maintainer, 5 limitedGuest.
CREATE TABLE member (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id    INTEGER NOT NULL REFERENCES project(id) ON DELETE CASCADE,
    entity_type   TEXT NOT NULL DEFAULT 'u',
    entity_id     INTEGER NOT NULL,
    role          INTEGER NOT NULL,
    creation_time INTEGER NOT NULL,
    update_time   INTEGER NOT NULL,
    UNIQUE (project_id, entity_type, entity_id)
);
CREATE INDEX member_entity ON member(entity_type, entity_id);

-- Robot accounts.  name is "<project>+<name>" for project robots and "<name>" for system
-- robots; the login name adds the prefix "robot$".  The secret is stored only as a hash.
CREATE TABLE robot (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT NOT NULL UNIQUE,
    description   TEXT NOT NULL DEFAULT '',
    level         TEXT NOT NULL,               -- 'system' | 'project'
    project_id    INTEGER REFERENCES project(id) ON DELETE CASCADE,
    secret_hash   TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0,
    duration      INTEGER NOT NULL,            -- days, -1 = never expires
    expires_at    INTEGER NOT NULL,            -- unix seconds, -1 = never
    creator_type  TEXT NOT NULL DEFAULT 'local',
    creator_ref   INTEGER NOT NULL DEFAULT 0,
    creation_time INTEGER NOT NULL,
    update_time   INTEGER NOT NULL
);
CREATE INDEX robot_project ON robot(project_id);

-- What a robot may do: kind 'system' (namespace '/') or 'project' (namespace a project
-- name or '*'), with Harbor's resource and action names.
CREATE TABLE robot_permission (
    robot_id  INTEGER NOT NULL REFERENCES robot(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    namespace TEXT NOT NULL,
    resource  TEXT NOT NULL,
    action    TEXT NOT NULL,
    PRIMARY KEY (robot_id, kind, namespace, resource, action)
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id    INTEGER,
    username      TEXT NOT NULL,
    resource      TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    operation     TEXT NOT NULL,
    op_time       INTEGER NOT NULL
);
CREATE INDEX audit_log_time ON audit_log(op_time);
CREATE INDEX audit_log_project ON audit_log(project_id, op_time);

-- System settings changed at run time (project_creation_restriction, ...).
CREATE TABLE setting (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
