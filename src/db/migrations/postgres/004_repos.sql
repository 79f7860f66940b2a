-- PostgreSQL: sqlite/004_repos.sql, its triggers as PL/pgSQL functions.

-- artifact_count of a repository: the artifacts that are not accessories, counted on an
-- index that holds nothing else.
CREATE INDEX artifact_repo_main ON artifact(repository_id) WHERE accessory_type IS NULL;

-- Harbor's default order of repository lists is newest first.
CREATE INDEX repository_project_created ON repository(project_id, creation_time);
CREATE INDEX repository_created ON repository(creation_time);

-- A push of a new artifact makes its repository "updated", as Harbor shows it.
CREATE FUNCTION haven_repository_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE repository SET update_time = greatest(update_time, NEW.push_time)
        WHERE id = NEW.repository_id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER repository_touch AFTER INSERT ON artifact
    FOR EACH ROW EXECUTE FUNCTION haven_repository_touch();

-- The storage of /statistics: the size of every stored blob, each once, kept as running
-- totals so that it costs a few row reads however many blobs there are.  Unlike SQLite, writers
-- run side by side here, and one total row would make every transaction that stores a new blob
-- wait for the others to commit: the total is kept in 16 rows, a blob counted in the row its
-- digest hashes to, and read as their sum.  Blobs are inserted with ON CONFLICT DO NOTHING,
-- which fires no insert trigger for a row it skips.
CREATE TABLE blob_total (
    id   BIGINT PRIMARY KEY CHECK (id BETWEEN 0 AND 15),
    size BIGINT NOT NULL
);
INSERT INTO blob_total (id, size) SELECT g, 0 FROM generate_series(0, 15) g;
UPDATE blob_total SET size = (SELECT coalesce(sum(size), 0) FROM blob) WHERE id = 0;
CREATE FUNCTION haven_blob_total() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE blob_total SET size = size + NEW.size WHERE id = hashtext(NEW.digest) & 15;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        UPDATE blob_total SET size = size - OLD.size WHERE id = hashtext(OLD.digest) & 15;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER blob_total_change AFTER INSERT OR DELETE OR UPDATE OF size ON blob
    FOR EACH ROW EXECUTE FUNCTION haven_blob_total();
