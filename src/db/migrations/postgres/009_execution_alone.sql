-- Haven schema, version 9: kinds of execution that run one at a time per vendor (garbage
-- collection, a retention policy, the audit-log purge) are marked `alone`, and the database
-- refuses a second Pending or Running one of the same vendor_type and vendor_id, so that two
-- nodes starting one at the same moment cannot both succeed.
ALTER TABLE execution ADD COLUMN alone BIGINT NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX execution_alone ON execution(vendor_type, vendor_id)
    WHERE alone = 1 AND status IN ('Pending', 'Running');
