-- Haven schema, version 8 (garbage collection at scale): the lookups by blob digest that GC
-- makes for every blob and every project link (is it an artifact's manifest, one of its
-- blobs, linked to a project?), which would otherwise read the whole table each time.
CREATE INDEX artifact_digest ON artifact(digest);
CREATE INDEX artifact_blob_digest ON artifact_blob(blob_digest);
CREATE INDEX project_blob_digest ON project_blob(blob_digest);
