-- PostgreSQL: sqlite/007_retention_runs.sql.  What each retention task found in its
-- repository, for Harbor's RetentionExecutionTask.
CREATE TABLE retention_task (
    job_id        BIGINT PRIMARY KEY REFERENCES job(id) ON DELETE CASCADE,
    execution_id  BIGINT NOT NULL,
    repository    TEXT NOT NULL,
    total         BIGINT NOT NULL DEFAULT 0,
    retained      BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX retention_task_execution ON retention_task(execution_id, job_id);
