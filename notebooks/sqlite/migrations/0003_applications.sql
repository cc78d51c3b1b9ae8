-- Applications (applications/sqlite): notes promoted to long-running Flink
-- jobs, their immutable versions, snapshots (savepoints) and events. The
-- note an application came from is not a foreign key: an application keeps
-- running when its note is deleted.

CREATE TABLE applications (
	id                     TEXT    PRIMARY KEY,
	name                   TEXT    NOT NULL UNIQUE,
	note_id                TEXT    NOT NULL,
	note_name              TEXT    NOT NULL,
	version                INTEGER NOT NULL,           -- the current version's number
	status                 TEXT    NOT NULL,
	failure                TEXT    NOT NULL DEFAULT '',
	parallelism            INTEGER NOT NULL,
	target                 TEXT    NOT NULL,
	tags                   TEXT    NOT NULL DEFAULT '{}', -- JSON object
	checkpoint_interval_ms INTEGER NOT NULL,
	job_id                 TEXT    NOT NULL,
	desired                TEXT    NOT NULL DEFAULT 'stopped', -- 'running' or 'stopped': what Eddy restores at start
	run_dir                TEXT    NOT NULL DEFAULT '',  -- the current or last run's checkpoint directory name
	run_restore            TEXT    NOT NULL DEFAULT '',  -- what that run started from
	started_ms             INTEGER NOT NULL DEFAULT 0,   -- start of the current run; 0 when not running
	kpu_seconds            REAL    NOT NULL DEFAULT 0,   -- metered up to metered_ms
	metered_ms             INTEGER NOT NULL DEFAULT 0,
	created_ms             INTEGER NOT NULL,
	updated_ms             INTEGER NOT NULL
);

CREATE TABLE application_versions (
	application_id TEXT    NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
	number         INTEGER NOT NULL,
	body           TEXT    NOT NULL, -- the version as JSON
	created_ms     INTEGER NOT NULL,
	PRIMARY KEY (application_id, number)
);

CREATE TABLE application_snapshots (
	id             TEXT    PRIMARY KEY,
	application_id TEXT    NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
	path           TEXT    NOT NULL,
	version        INTEGER NOT NULL,
	job_id         TEXT    NOT NULL,
	trigger        TEXT    NOT NULL,
	created_ms     INTEGER NOT NULL
);
CREATE INDEX application_snapshots_by_app ON application_snapshots (application_id, created_ms);

CREATE TABLE application_events (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	application_id TEXT    NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
	at_ms          INTEGER NOT NULL,
	kind           TEXT    NOT NULL,
	message        TEXT    NOT NULL
);
CREATE INDEX application_events_by_app ON application_events (application_id, id);
