-- Metered use of notebook sessions (sessions/sqlite): one row per session,
-- its KPU-seconds updated while it lives and once more when it ends.
-- IF NOT EXISTS: databases written before this migration existed already
-- have the table, created the same way outside the migrations.

CREATE TABLE IF NOT EXISTS session_usage (
	session_id  TEXT    PRIMARY KEY,
	note_id     TEXT    NOT NULL,
	started_ms  INTEGER NOT NULL,            -- Unix milliseconds
	ended_ms    INTEGER NOT NULL DEFAULT 0,  -- 0 while the session lives
	kpu_seconds REAL    NOT NULL
);
