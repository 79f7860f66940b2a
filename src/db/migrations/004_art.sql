-- Haven schema, version 4 (artifacts): what the Harbor API shows of an artifact beyond what
-- a pull needs.

-- Harbor's artifact "size": the manifest plus its config and layers, or, for an index, the
-- index plus its children.  (artifact.size stays the manifest's own length, which /v2
-- serves.)  NULL for rows written before this migration: readers fall back to size.
ALTER TABLE artifact ADD COLUMN total_size BIGINT;

-- The parts of an index entry that the API shows and artifact_reference did not keep:
-- platform "os.version" and "os.features" (JSON array), the entry's annotations (JSON
-- object) and urls (JSON array).
ALTER TABLE artifact_reference ADD COLUMN os_version TEXT;
ALTER TABLE artifact_reference ADD COLUMN os_features TEXT;
ALTER TABLE artifact_reference ADD COLUMN annotations TEXT;
ALTER TABLE artifact_reference ADD COLUMN urls TEXT;

