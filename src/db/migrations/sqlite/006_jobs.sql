-- Haven schema, version 6: background work.  The job queue with its leases and logs, Harbor's
-- executions (a job is one of an execution's tasks), cron schedules, the queues an
-- administrator paused, the nodes running workers, and the garbage collector's tombstones.
-- PostgreSQL: postgres/006_jobs.sql, the same tables with its types.

-- A job: state Pending (waiting for run_after), Running (leased to lease_owner until
-- lease_expires; a lease that runs out is claimed again), Success, Error or Stopped.
CREATE TABLE job (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT NOT NULL,
    params         TEXT NOT NULL DEFAULT '{}',
    state          TEXT NOT NULL DEFAULT 'Pending',
    attempts       INTEGER NOT NULL DEFAULT 0,
    max_attempts   INTEGER NOT NULL DEFAULT 3,
    run_after      INTEGER NOT NULL,
    lease_owner    TEXT,
    lease_worker   INTEGER,
    lease_expires  INTEGER,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    execution_id   INTEGER,
    status_message TEXT NOT NULL DEFAULT '',
    creation_time  INTEGER NOT NULL,
    update_time    INTEGER NOT NULL,
    start_time     INTEGER,
    end_time       INTEGER
);
CREATE INDEX job_ready ON job(state, run_after);
CREATE INDEX job_execution ON job(execution_id);

CREATE TABLE job_log (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL REFERENCES job(id) ON DELETE CASCADE,
    line   TEXT NOT NULL
);
CREATE INDEX job_log_job ON job_log(job_id, id);

-- Harbor's execution: one run of a feature (vendor_type GARBAGE_COLLECTION, ...); its status
-- follows its tasks (the jobs naming it).
CREATE TABLE execution (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor_type    TEXT NOT NULL,
    vendor_id      INTEGER NOT NULL DEFAULT 0,
    trigger_type   TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'Pending',
    status_message TEXT NOT NULL DEFAULT '',
    extra_attrs    TEXT NOT NULL DEFAULT '{}',
    start_time     INTEGER NOT NULL,
    end_time       INTEGER,
    update_time    INTEGER NOT NULL
);
CREATE INDEX execution_vendor ON execution(vendor_type, vendor_id, id);

-- A cron schedule of a feature: next_fire_at moves on in one conditional UPDATE, whose winner
-- enqueues the run, so a firing happens once however many nodes watch it.
CREATE TABLE schedule (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor_type   TEXT NOT NULL,
    vendor_id     INTEGER NOT NULL DEFAULT 0,
    cron_type     TEXT NOT NULL,
    cron          TEXT NOT NULL,
    params        TEXT NOT NULL DEFAULT '{}',
    next_fire_at  INTEGER NOT NULL,
    creation_time INTEGER NOT NULL,
    update_time   INTEGER NOT NULL,
    UNIQUE (vendor_type, vendor_id)
);

-- Job types whose queue an administrator paused (no row: running).
CREATE TABLE job_queue (
    kind   TEXT PRIMARY KEY,
    paused INTEGER NOT NULL DEFAULT 0
);

-- The worker pool of each node, with its heartbeat.
CREATE TABLE job_pool (
    id           TEXT PRIMARY KEY,
    pid          INTEGER NOT NULL,
    host         TEXT NOT NULL,
    concurrency  INTEGER NOT NULL,
    start_at     INTEGER NOT NULL,
    heartbeat_at INTEGER NOT NULL
);

-- When a blob was last referenced (stored, linked to a project): garbage collection keeps
-- it for a grace period after that.
ALTER TABLE blob ADD COLUMN last_ref INTEGER NOT NULL DEFAULT 0;
UPDATE blob SET last_ref = creation_time;

-- Blobs whose metadata garbage collection deleted and whose bytes are still to be removed from
-- the store; a push of the same digest takes the row back.
CREATE TABLE blob_tombstone (
    digest        TEXT PRIMARY KEY,
    creation_time INTEGER NOT NULL
);
