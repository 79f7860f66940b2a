-- Haven schema, version 4 (quotas): every project has a quota row from the moment it exists,
-- whichever path inserts the project (the API, the first-start bootstrap, later replication or
-- proxy-cache), so /quotas and /projects/{p}/summary never meet a project without one.  The
-- row starts unlimited; the API's project creation then sets the limit it was given.
CREATE TRIGGER project_quota AFTER INSERT ON project
BEGIN
    INSERT OR IGNORE INTO quota (project_id, hard, used, creation_time, update_time)
        VALUES (NEW.id, -1, 0, NEW.creation_time, NEW.creation_time);
END;

-- Projects created between migration 003 and this one (the first-start `library` of a
-- database that was created at version 3) get theirs now, with the usage of their blobs.
INSERT OR IGNORE INTO quota (project_id, hard, used, creation_time, update_time)
    SELECT p.id, -1,
           coalesce((SELECT sum(b.size) FROM project_blob pb JOIN blob b ON b.digest = pb.blob_digest
                     WHERE pb.project_id = p.id), 0),
           p.creation_time, p.creation_time
    FROM project p;
