-- Haven schema, version 7 (tag retention runs): what each retention task (a job of an
-- execution of vendor_type RETENTION) found in its repository, for Harbor's
-- RetentionExecutionTask.
CREATE TABLE retention_task (
    job_id        INTEGER PRIMARY KEY REFERENCES job(id) ON DELETE CASCADE,
    execution_id  INTEGER NOT NULL,
    repository    TEXT NOT NULL,
    total         INTEGER NOT NULL DEFAULT 0,
    retained      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX retention_task_execution ON retention_task(execution_id, job_id);
