// Package sqlite keeps sessions' metered usage in Eddy's SQLite database.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver

	"github.com/eddy-notebooks/eddy/sessions"
)

// schema is this package's table; it is additive and created idempotently.
const schema = `CREATE TABLE IF NOT EXISTS session_usage (
	session_id  TEXT PRIMARY KEY,
	note_id     TEXT NOT NULL,
	started_ms  INTEGER NOT NULL,
	ended_ms    INTEGER NOT NULL DEFAULT 0,
	kpu_seconds REAL NOT NULL
)`

// UsageStore is a sessions.UsageStore on a SQLite file.
type UsageStore struct {
	db *sql.DB
}

var _ sessions.UsageStore = (*UsageStore)(nil)

// OpenUsage opens (creating if needed) the usage table in the database at path.
func OpenUsage(ctx context.Context, path string) (*UsageStore, error) {
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_foreign_keys=on&_busy_timeout=5000&_synchronous=FULL")
	if err != nil {
		return nil, fmt.Errorf("sessions: open usage store: %w", err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sessions: create usage table: %w", err)
	}
	return &UsageStore{db: db}, nil
}

// Close closes the database.
func (s *UsageStore) Close() error { return s.db.Close() }

// SaveUsage inserts or replaces a session's usage.
func (s *UsageStore) SaveUsage(ctx context.Context, u sessions.Usage) error {
	var ended int64
	if !u.EndedAt.IsZero() {
		ended = u.EndedAt.UnixMilli()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO session_usage (session_id, note_id, started_ms, ended_ms, kpu_seconds)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (session_id) DO UPDATE SET ended_ms = excluded.ended_ms, kpu_seconds = excluded.kpu_seconds`,
		u.SessionID, u.NoteID, u.StartedAt.UnixMilli(), ended, u.KPUSeconds)
	if err != nil {
		return fmt.Errorf("sessions: save usage: %w", err)
	}
	return nil
}

// ListUsage returns every recorded session's usage.
func (s *UsageStore) ListUsage(ctx context.Context) ([]sessions.Usage, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT session_id, note_id, started_ms, ended_ms, kpu_seconds FROM session_usage`)
	if err != nil {
		return nil, fmt.Errorf("sessions: list usage: %w", err)
	}
	defer rows.Close()
	var out []sessions.Usage
	for rows.Next() {
		var u sessions.Usage
		var started, ended int64
		if err := rows.Scan(&u.SessionID, &u.NoteID, &started, &ended, &u.KPUSeconds); err != nil {
			return nil, fmt.Errorf("sessions: list usage: %w", err)
		}
		u.StartedAt = time.UnixMilli(started)
		if ended != 0 {
			u.EndedAt = time.UnixMilli(ended)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
