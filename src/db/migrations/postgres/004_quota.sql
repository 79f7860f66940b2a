-- PostgreSQL: sqlite/004_quota.sql, its trigger as a PL/pgSQL function.
-- Every project has a quota row from the moment it exists, whichever path inserts the project
-- (the API, the first-start bootstrap, later replication or proxy-cache).  The row starts
-- unlimited; the API's project creation then sets the limit it was given.
CREATE FUNCTION haven_project_quota() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO quota (project_id, hard, used, creation_time, update_time)
        VALUES (NEW.id, -1, 0, NEW.creation_time, NEW.creation_time)
        ON CONFLICT (project_id) DO NOTHING;
    RETURN NULL;
END;
$$;
CREATE TRIGGER project_quota AFTER INSERT ON project
    FOR EACH ROW EXECUTE FUNCTION haven_project_quota();

INSERT INTO quota (project_id, hard, used, creation_time, update_time)
    SELECT p.id, -1,
           coalesce((SELECT sum(b.size) FROM project_blob pb JOIN blob b ON b.digest = pb.blob_digest
                     WHERE pb.project_id = p.id), 0),
           p.creation_time, p.creation_time
    FROM project p
    ON CONFLICT (project_id) DO NOTHING;
