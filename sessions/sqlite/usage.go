// Package sqlite keeps sessions' metered usage in Eddy's SQLite database.
// The notebook store owns the file and its schema (migration
// 0002_session_usage); this package only runs its queries through the
// store's transactions.
package sqlite

import (
	"context"
	"database/sql"
	"time"

	nbsqlite "github.com/eddy-notebooks/eddy/notebooks/sqlite"
	"github.com/eddy-notebooks/eddy/sessions"
)

// UsageStore is a sessions.UsageStore on the notebook store's database.
type UsageStore struct {
	db *nbsqlite.Store
}

var _ sessions.UsageStore = (*UsageStore)(nil)

// NewUsageStore returns a usage store on db. It opens nothing: closing db
// is its owner's job.
func NewUsageStore(db *nbsqlite.Store) *UsageStore { return &UsageStore{db: db} }

// SaveUsage inserts or replaces a session's usage.
func (s *UsageStore) SaveUsage(ctx context.Context, u sessions.Usage) error {
	var ended int64
	if !u.EndedAt.IsZero() {
		ended = u.EndedAt.UnixMilli()
	}
	return s.db.WriteTx(ctx, "save session usage", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO session_usage (session_id, note_id, started_ms, ended_ms, kpu_seconds)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (session_id) DO UPDATE SET ended_ms = excluded.ended_ms, kpu_seconds = excluded.kpu_seconds`,
			u.SessionID, u.NoteID, u.StartedAt.UnixMilli(), ended, u.KPUSeconds)
		return err
	})
}

// ListUsage returns every recorded session's usage.
func (s *UsageStore) ListUsage(ctx context.Context) ([]sessions.Usage, error) {
	var out []sessions.Usage
	err := s.db.ReadTx(ctx, "list session usage", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT session_id, note_id, started_ms, ended_ms, kpu_seconds FROM session_usage`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u sessions.Usage
			var started, ended int64
			if err := rows.Scan(&u.SessionID, &u.NoteID, &started, &ended, &u.KPUSeconds); err != nil {
				return err
			}
			u.StartedAt = time.UnixMilli(started)
			if ended != 0 {
				u.EndedAt = time.UnixMilli(ended)
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	return out, err
}
