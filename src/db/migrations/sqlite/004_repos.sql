-- Haven schema, version 4 (repositories): indexes that keep the repository lists, their
-- artifact counts and /statistics fast at 100k artifacts, and a repository's update time.

-- artifact_count of a repository: the artifacts that are not accessories, counted on an
-- index that holds nothing else.
CREATE INDEX artifact_repo_main ON artifact(repository_id) WHERE accessory_type IS NULL;

-- Harbor's default order of repository lists is newest first: page 1 and deep pages walk
-- these instead of sorting every row.
CREATE INDEX repository_project_created ON repository(project_id, creation_time);
CREATE INDEX repository_created ON repository(creation_time);

-- A push of a new artifact makes its repository "updated", as Harbor shows it.
CREATE TRIGGER repository_touch AFTER INSERT ON artifact
BEGIN
    UPDATE repository SET update_time = max(update_time, NEW.push_time)
        WHERE id = NEW.repository_id;
END;

-- The storage of /statistics: the size of every stored blob, each once, kept as one running
-- total so that it costs one row read however many blobs there are.  (Blobs are inserted
-- with ON CONFLICT DO NOTHING and deleted with DELETE; INSERT OR REPLACE would bypass the
-- delete trigger and must not be used on blob.)
CREATE TABLE blob_total (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL
);
INSERT INTO blob_total (id, size) SELECT 1, coalesce(sum(size), 0) FROM blob;
CREATE TRIGGER blob_total_insert AFTER INSERT ON blob
BEGIN
    UPDATE blob_total SET size = size + NEW.size WHERE id = 1;
END;
CREATE TRIGGER blob_total_delete AFTER DELETE ON blob
BEGIN
    UPDATE blob_total SET size = size - OLD.size WHERE id = 1;
END;
CREATE TRIGGER blob_total_update AFTER UPDATE OF size ON blob
BEGIN
    UPDATE blob_total SET size = size - OLD.size + NEW.size WHERE id = 1;
END;
