-- Haven schema, version 5: orders that were rowid order become columns, as PostgreSQL has no
-- rowid.  position is an index entry's place in its index, and a robot permission's place in
-- the request that set it; rows written before keep their rowid order.
ALTER TABLE artifact_reference ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
UPDATE artifact_reference SET position = rowid;
ALTER TABLE robot_permission ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
UPDATE robot_permission SET position = rowid;
