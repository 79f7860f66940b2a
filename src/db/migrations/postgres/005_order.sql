-- PostgreSQL: sqlite/005_order.sql; the rows have no rowid order to keep.
ALTER TABLE artifact_reference ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
ALTER TABLE robot_permission ADD COLUMN position BIGINT NOT NULL DEFAULT 0;
