// Package sqlite keeps applications in Eddy's SQLite database. The
// notebook store owns the file and its schema (migration 0003_applications);
// this package runs its queries through the store's transactions.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/applications"
	nbsqlite "github.com/eddy-notebooks/eddy/notebooks/sqlite"
)

// Store is an applications.Store on the notebook store's database.
type Store struct {
	db *nbsqlite.Store
}

var _ applications.Store = (*Store)(nil)

// NewStore returns a store on db. It opens nothing: closing db is its
// owner's job.
func NewStore(db *nbsqlite.Store) *Store { return &Store{db: db} }

func appNotFound(id string) error {
	return eddy.Errorf(eddy.ENOTFOUND, "No such application: %s", id)
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v)
}

const recordColumns = `id, name, note_id, note_name, version, status, failure, parallelism, target, tags,
	checkpoint_interval_ms, job_id, desired, run_dir, run_restore, started_ms, kpu_seconds, metered_ms,
	created_ms, updated_ms, max_parallelism, current_parallelism, autoscaling_enabled`

func recordArgs(r *applications.Record) ([]any, error) {
	tags := r.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	tj, err := json.Marshal(tags)
	if err != nil {
		return nil, err
	}
	return []any{r.ID, r.Name, r.NoteID, r.NoteName, r.Version, r.Status, r.Failure, r.Parallelism, r.Target,
		string(tj), r.CheckpointIntervalMs, r.JobID, r.Desired, r.RunDir, r.RunRestore, ms(r.StartedAt),
		r.KPUSeconds, ms(r.MeteredAt), ms(r.CreatedAt), ms(r.UpdatedAt), r.MaxParallelism,
		r.CurrentParallelism, r.AutoScalingEnabled}, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanRecord(row scanner) (*applications.Record, error) {
	var r applications.Record
	var tags string
	var started, metered, created, updated int64
	if err := row.Scan(&r.ID, &r.Name, &r.NoteID, &r.NoteName, &r.Version, &r.Status, &r.Failure, &r.Parallelism,
		&r.Target, &tags, &r.CheckpointIntervalMs, &r.JobID, &r.Desired, &r.RunDir, &r.RunRestore, &started,
		&r.KPUSeconds, &metered, &created, &updated, &r.MaxParallelism, &r.CurrentParallelism, &r.AutoScalingEnabled); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &r.Tags); err != nil {
		return nil, err
	}
	r.StartedAt, r.MeteredAt, r.CreatedAt, r.UpdatedAt = fromMS(started), fromMS(metered), fromMS(created), fromMS(updated)
	return &r, nil
}

// CreateApplication stores a new application with its first version.
func (s *Store) CreateApplication(ctx context.Context, r *applications.Record, v *applications.Version) error {
	args, err := recordArgs(r)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, "create application", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO applications (`+recordColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		if nbsqlite.IsUniqueViolation(err) {
			return eddy.Errorf(eddy.ECONFLICT, "an application named %q exists already", r.Name)
		}
		if err != nil {
			return err
		}
		return insertVersion(ctx, tx, r.ID, v)
	})
}

func insertVersion(ctx context.Context, tx *sql.Tx, appID string, v *applications.Version) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO application_versions (application_id, number, body, created_ms) VALUES (?, ?, ?, ?)`,
		appID, v.Number, string(body), ms(v.CreatedAt))
	return err
}

// UpdateApplication replaces an application's record.
func (s *Store) UpdateApplication(ctx context.Context, r *applications.Record) error {
	args, err := recordArgs(r)
	if err != nil {
		return err
	}
	return s.db.WriteTx(ctx, "update application", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE applications SET name = ?, note_id = ?, note_name = ?, version = ?,
			status = ?, failure = ?, parallelism = ?, target = ?, tags = ?, checkpoint_interval_ms = ?, job_id = ?,
			desired = ?, run_dir = ?, run_restore = ?, started_ms = ?, kpu_seconds = ?, metered_ms = ?,
			created_ms = ?, updated_ms = ?, max_parallelism = ?, current_parallelism = ?, autoscaling_enabled = ?
			WHERE id = ?`, append(args[1:], r.ID)...)
		if nbsqlite.IsUniqueViolation(err) {
			return eddy.Errorf(eddy.ECONFLICT, "an application named %q exists already", r.Name)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return appNotFound(r.ID)
		}
		return nil
	})
}

// FindApplication returns one application.
func (s *Store) FindApplication(ctx context.Context, id string) (*applications.Record, error) {
	var r *applications.Record
	err := s.db.ReadTx(ctx, "find application", func(tx *sql.Tx) error {
		var err error
		r, err = scanRecord(tx.QueryRowContext(ctx, `SELECT `+recordColumns+` FROM applications WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return appNotFound(id)
		}
		return err
	})
	return r, err
}

// ListApplications returns every application, oldest first.
func (s *Store) ListApplications(ctx context.Context) ([]*applications.Record, error) {
	var out []*applications.Record
	err := s.db.ReadTx(ctx, "list applications", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+recordColumns+` FROM applications ORDER BY created_ms, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := scanRecord(rows)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// DeleteApplication deletes an application with its versions, snapshots
// and events.
func (s *Store) DeleteApplication(ctx context.Context, id string) error {
	return s.db.WriteTx(ctx, "delete application", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM applications WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return appNotFound(id)
		}
		return nil
	})
}

// AddVersion stores a new version and makes it the current one.
func (s *Store) AddVersion(ctx context.Context, appID string, v *applications.Version) error {
	return s.db.WriteTx(ctx, "add application version", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE applications SET version = ?, updated_ms = ? WHERE id = ?`,
			v.Number, ms(v.CreatedAt), appID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return appNotFound(appID)
		}
		return insertVersion(ctx, tx, appID, v)
	})
}

func scanVersions(rows *sql.Rows) ([]*applications.Version, error) {
	defer rows.Close()
	var out []*applications.Version
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		var v applications.Version
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			return nil, err
		}
		out = append(out, &v)
	}
	return out, rows.Err()
}

// ListVersions returns an application's versions, newest first.
func (s *Store) ListVersions(ctx context.Context, appID string) ([]*applications.Version, error) {
	var out []*applications.Version
	err := s.db.ReadTx(ctx, "list application versions", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT body FROM application_versions WHERE application_id = ? ORDER BY number DESC`, appID)
		if err != nil {
			return err
		}
		out, err = scanVersions(rows)
		return err
	})
	return out, err
}

// FindVersion returns one version of an application.
func (s *Store) FindVersion(ctx context.Context, appID string, number int) (*applications.Version, error) {
	var out []*applications.Version
	err := s.db.ReadTx(ctx, "find application version", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT body FROM application_versions WHERE application_id = ? AND number = ?`, appID, number)
		if err != nil {
			return err
		}
		out, err = scanVersions(rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, eddy.Errorf(eddy.ENOTFOUND, "application %s has no version %d", appID, number)
	}
	return out[0], nil
}

// AddSnapshot records a snapshot.
func (s *Store) AddSnapshot(ctx context.Context, appID string, sn *applications.Snapshot) error {
	return s.db.WriteTx(ctx, "add snapshot", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO application_snapshots (id, application_id, path, version, job_id, trigger, created_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, sn.ID, appID, sn.Path, sn.Version, sn.JobID, sn.Trigger, ms(sn.CreatedAt))
		return err
	})
}

// ListSnapshots returns an application's snapshots, newest first.
func (s *Store) ListSnapshots(ctx context.Context, appID string) ([]*applications.Snapshot, error) {
	var out []*applications.Snapshot
	err := s.db.ReadTx(ctx, "list snapshots", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, path, version, job_id, trigger, created_ms FROM application_snapshots
			WHERE application_id = ? ORDER BY created_ms DESC, id DESC`, appID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sn applications.Snapshot
			var created int64
			if err := rows.Scan(&sn.ID, &sn.Path, &sn.Version, &sn.JobID, &sn.Trigger, &created); err != nil {
				return err
			}
			sn.CreatedAt = fromMS(created)
			out = append(out, &sn)
		}
		return rows.Err()
	})
	return out, err
}

// DeleteSnapshot forgets a snapshot.
func (s *Store) DeleteSnapshot(ctx context.Context, appID, snapshotID string) error {
	return s.db.WriteTx(ctx, "delete snapshot", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM application_snapshots WHERE application_id = ? AND id = ?`, appID, snapshotID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return eddy.Errorf(eddy.ENOTFOUND, "application %s has no snapshot %s", appID, snapshotID)
		}
		return nil
	})
}

// AddEvent appends to an application's timeline and sets the event's id.
func (s *Store) AddEvent(ctx context.Context, appID string, e *applications.Event) error {
	return s.db.WriteTx(ctx, "add application event", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO application_events (application_id, at_ms, kind, message) VALUES (?, ?, ?, ?)`,
			appID, ms(e.At), e.Kind, e.Message)
		if err != nil {
			return err
		}
		e.ID, err = res.LastInsertId()
		return err
	})
}

// ListEvents returns the newest limit events, newest first.
func (s *Store) ListEvents(ctx context.Context, appID string, limit int) ([]*applications.Event, error) {
	var out []*applications.Event
	err := s.db.ReadTx(ctx, "list application events", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, at_ms, kind, message FROM application_events
			WHERE application_id = ? ORDER BY id DESC LIMIT ?`, appID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e applications.Event
			var at int64
			if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Message); err != nil {
				return err
			}
			e.At = fromMS(at)
			out = append(out, &e)
		}
		return rows.Err()
	})
	return out, err
}
