-- Haven schema, version 12 (scans): one report per (artifact digest, scanner registration,
-- report MIME type), as Harbor keys them: its uuid is Harbor's report_id; status Pending,
-- Running, Success, Error or Stopped; report and overview are JSON text once Success (the
-- report without "artifact" and "scanner", which are rendered when it is read); job_id the
-- task that runs it.
CREATE TABLE scan_report (
    id                INTEGER PRIMARY KEY,
    uuid              TEXT NOT NULL UNIQUE,
    digest            TEXT NOT NULL,
    registration_uuid TEXT NOT NULL,
    mime_type         TEXT NOT NULL,
    status            TEXT NOT NULL,
    job_id            INTEGER NOT NULL DEFAULT 0,
    report            TEXT,
    overview          TEXT,
    message           TEXT NOT NULL DEFAULT '',
    start_time        INTEGER NOT NULL,
    end_time          INTEGER NOT NULL DEFAULT 0,
    UNIQUE (digest, registration_uuid, mime_type)
);
