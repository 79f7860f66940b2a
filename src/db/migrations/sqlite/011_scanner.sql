-- Haven schema, version 11 (scanners): Harbor's scanner registrations and the scanner each
-- project uses.  `builtin` marks Haven's own scanner (registered at start, url
-- "builtin://haven"), which cannot be changed.  access_credential is sealed by auth (base64
-- of nonce, AES-256-GCM ciphertext, tag); "" when there is none.  At most one registration
-- is the default (the partial unique index).
CREATE TABLE scanner_registration (
    id                INTEGER PRIMARY KEY,
    uuid              TEXT NOT NULL UNIQUE,
    name              TEXT NOT NULL UNIQUE,
    description       TEXT NOT NULL DEFAULT '',
    url               TEXT NOT NULL UNIQUE,
    auth              TEXT NOT NULL DEFAULT '',
    access_credential TEXT NOT NULL DEFAULT '',
    skip_cert_verify  INTEGER NOT NULL DEFAULT 0,
    use_internal_addr INTEGER NOT NULL DEFAULT 0,
    disabled          INTEGER NOT NULL DEFAULT 0,
    is_default        INTEGER NOT NULL DEFAULT 0,
    builtin           INTEGER NOT NULL DEFAULT 0,
    creation_time     INTEGER NOT NULL,
    update_time       INTEGER NOT NULL
);
CREATE UNIQUE INDEX scanner_registration_default ON scanner_registration(is_default)
    WHERE is_default = 1;
CREATE TABLE project_scanner (
    project_id      INTEGER PRIMARY KEY REFERENCES project(id) ON DELETE CASCADE,
    registration_id INTEGER NOT NULL REFERENCES scanner_registration(id) ON DELETE CASCADE
);
CREATE INDEX project_scanner_registration ON project_scanner(registration_id);
