-- Haven schema, version 6: secrets every node needs (the token signing key), by name.
-- `value` is sealed by auth (AES-256-GCM under a key derived from secret_key: nonce,
-- ciphertext, tag); nothing here can be read without that key.
CREATE TABLE secret (
    name          TEXT PRIMARY KEY,
    value         BLOB NOT NULL,
    creation_time INTEGER NOT NULL
);
