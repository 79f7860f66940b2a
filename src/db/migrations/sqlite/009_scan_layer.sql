-- Haven schema, version 9: what the scanner found in each layer, by the layer's digest, so a
-- layer that many images share is read once and a re-scan reads no layer at all.
-- `inventory` is scan's JSON (packages by file, whiteouts, release files, notes); `version`
-- is the version of the analyzers that wrote it (older rows are computed again).
CREATE TABLE scan_layer (
    digest        TEXT PRIMARY KEY,
    version       INTEGER NOT NULL,
    inventory     TEXT NOT NULL,
    creation_time INTEGER NOT NULL
);
