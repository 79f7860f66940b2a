-- PostgreSQL: sqlite/006_secret.sql with BIGINT, BYTEA and byte-wise text.
-- Haven schema, version 6: secrets every node needs (the token signing key), by name.
-- `value` is sealed by auth (AES-256-GCM under a key derived from secret_key: nonce,
-- ciphertext, tag); nothing here can be read without that key.
CREATE TABLE secret (
    name          TEXT COLLATE "C" PRIMARY KEY,
    value         BYTEA NOT NULL,
    creation_time BIGINT NOT NULL
);
