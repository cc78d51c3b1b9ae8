// Package sqlite is the SQLite notebook store: it implements
// notebooks.Service on one database file (by default <data-dir>/eddy.db).
//
// The Store is the one owner of that file: it opens it once, and its
// numbered migrations (migrations/NNNN_*.sql) define every table in it,
// including those of other rooms (session usage), whose stores run their
// transactions through WriteTx and ReadTx.
//
// Every public method runs in one transaction and returns only after the
// commit is durable: the DSN sets WAL mode with synchronous=FULL, so the WAL
// is synced on each commit and an acknowledged edit survives a crash or power
// loss. Writes go through a pool of one connection that begins IMMEDIATE
// transactions (writers queue instead of failing on lock upgrades); reads go
// through a separate pool of query-only connections and never wait for
// writers. Changes are published to subscribers after commit.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"

	"github.com/eddy-notebooks/eddy/notebooks"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file's name inside the data directory.
const FileName = "eddy.db"

// readConns bounds the read pool; WAL lets readers run beside the writer.
const readConns = 4

// pragmas every connection gets. synchronous=FULL makes a commit durable;
// busy_timeout makes a connection wait (up to 5 s) for another process's
// write lock instead of failing.
const pragmas = "_journal_mode=WAL&_foreign_keys=on&_busy_timeout=5000&_synchronous=FULL"

// Store is the SQLite notebook store. Open it with Open; Close it last.
//
// A Store is safe for concurrent use.
type Store struct {
	path   string
	w      *sql.DB // one connection: every write transaction
	r      *sql.DB // query-only connections for reads
	broker *notebooks.Broker
	now    func() time.Time
	// observeWrite, if set (ObserveWrites, before use), is told of every
	// write transaction.
	observeWrite func(op string, d time.Duration, err error)
}

var (
	_ notebooks.Service        = (*Store)(nil)
	_ notebooks.NoteJSONFinder = (*Store)(nil)
)

// Open opens (creating it if needed, mode 0600) the database at path and
// brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	s := &Store{path: path, now: time.Now, broker: notebooks.NewBroker(0)}
	if err := s.open(ctx); err != nil {
		_ = s.closeDBs()
		return nil, fmt.Errorf("notebooks/sqlite: open %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) open(ctx context.Context) error {
	// Create the file ourselves so it is private: notes hold code and data.
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	file := "file:" + (&url.URL{Path: s.path}).EscapedPath()
	if s.w, err = sql.Open("sqlite3", file+"?"+pragmas+"&_txlock=immediate"); err != nil {
		return err
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	if err := s.migrate(ctx); err != nil {
		return err
	}
	if err := s.compact(ctx); err != nil {
		return err
	}
	if s.r, err = sql.Open("sqlite3", file+"?"+pragmas+"&_query_only=1"); err != nil {
		return err
	}
	s.r.SetMaxOpenConns(readConns)
	s.r.SetMaxIdleConns(readConns)
	return s.r.PingContext(ctx)
}

// walSizeLimit is what the WAL file is cut back to after a checkpoint.
const walSizeLimit = 64 << 20

// compact keeps the files no larger than their content: the database frees
// pages incrementally (switched on, once, by a VACUUM of an older file),
// and the WAL is emptied now and cut back to walSizeLimit after later
// checkpoints, so a deleted large revision does not leave hundreds of MB
// behind across restarts.
func (s *Store) compact(ctx context.Context) error {
	var mode int
	if err := s.w.QueryRowContext(ctx, "PRAGMA auto_vacuum").Scan(&mode); err != nil {
		return err
	}
	const incremental = 2
	var stmts []string
	if mode == incremental {
		if err := s.incrementalVacuum(ctx); err != nil {
			return err
		}
	} else {
		stmts = []string{"PRAGMA auto_vacuum = INCREMENTAL", "VACUUM"}
	}
	stmts = append(stmts, fmt.Sprintf("PRAGMA journal_size_limit = %d", walSizeLimit), "PRAGMA wal_checkpoint(TRUNCATE)")
	for _, q := range stmts {
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// reclaim gives the pages a large delete freed back to the file system:
// the file shrinks when the checkpoint writes the vacuumed pages back.
func (s *Store) reclaim(ctx context.Context) {
	if s.incrementalVacuum(ctx) == nil {
		_, _ = s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
}

// incrementalVacuum frees every free page. The pragma frees one page per
// step of its statement, so it is read to its end, not executed once.
func (s *Store) incrementalVacuum(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, "PRAGMA incremental_vacuum")
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes every subscription, checkpoints the WAL into the database
// file and closes the database. Call it after everything that uses the store
// has stopped.
func (s *Store) Close() error {
	s.broker.Close()
	if s.w != nil {
		// Best effort: leaves a compact database file; the WAL is durable anyway.
		_, _ = s.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	}
	if err := s.closeDBs(); err != nil {
		return fmt.Errorf("notebooks/sqlite: close: %w", err)
	}
	return nil
}

func (s *Store) closeDBs() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// Subscribe returns a subscription to changes committed from now on.
func (s *Store) Subscribe() *notebooks.Subscription { return s.broker.Subscribe() }

// NoteChangeSeq returns the sequence of the latest change published for
// the note (see notebooks.ChangeSequencer).
func (s *Store) NoteChangeSeq(noteID string) uint64 { return s.broker.NoteSeq(noteID) }

// migrate applies, in order and each in its own transaction, the embedded
// migrations numbered above the schema_version recorded in the database.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER NOT NULL PRIMARY KEY,
		applied_at INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	files, err := migrationFiles()
	if err != nil {
		return err
	}
	var current int
	if err := s.w.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current); err != nil {
		return fmt.Errorf("migrate: read schema version: %w", err)
	}
	if latest := files[len(files)-1].version; current > latest {
		return fmt.Errorf("migrate: the database has schema version %d, newer than this binary's %d", current, latest)
	}
	for _, m := range files {
		if m.version <= current {
			continue
		}
		if err := s.applyMigration(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

type migration struct {
	version int
	name    string
}

// migrationFiles lists the embedded migrations, checking that they are
// numbered 1, 2, 3… without gaps.
func migrationFiles() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, found := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !found || err != nil || v < 1 {
			return nil, fmt.Errorf("migrate: %s is not named NNNN_description.sql", name)
		}
		out = append(out, migration{version: v, name: name})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migrate: expected migration %04d, found %s", i+1, m.name)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("migrate: no migrations embedded")
	}
	return out, nil
}

func (s *Store) applyMigration(ctx context.Context, m migration) error {
	body, err := migrations.ReadFile(m.name)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", m.name, err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migrate %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at) VALUES (?, ?)`, m.version, s.now().UnixMilli()); err != nil {
		return fmt.Errorf("migrate %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s: %w", m.name, err)
	}
	return nil
}

// SchemaVersion returns the highest migration applied to the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}

// WriteTx runs fn in a write transaction of the store's single writer and
// commits. It is how other rooms' stores on the same file write; op
// prefixes errors.
func (s *Store) WriteTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return s.write(ctx, op, func(tx *sql.Tx, _ *changes) error { return fn(tx) })
}

// ReadTx runs fn in a read-only transaction (one snapshot) on the read pool.
func (s *Store) ReadTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	return s.read(ctx, op, fn)
}

// changes collects what a write transaction did, to publish after commit.
type changes []notebooks.Change

func (c *changes) add(kind notebooks.ChangeKind, noteID, paragraphID string) {
	*c = append(*c, notebooks.Change{Kind: kind, NoteID: noteID, ParagraphID: paragraphID})
}

// ObserveWrites makes fn the observer of every write transaction: its
// operation name (fixed strings such as "create note"), its time from
// begin to commit and its error. Call it before the store is used; fn must
// be safe for concurrent use and must not block.
func (s *Store) ObserveWrites(fn func(op string, d time.Duration, err error)) { s.observeWrite = fn }

// write runs fn in a write transaction, commits, and then publishes the
// changes fn recorded. op prefixes errors.
func (s *Store) write(ctx context.Context, op string, fn func(tx *sql.Tx, ch *changes) error) (err error) {
	if s.observeWrite != nil {
		start := time.Now()
		defer func() { s.observeWrite(op, time.Since(start), err) }()
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("notebooks/sqlite: %s: begin: %w", op, err)
	}
	defer func() { _ = tx.Rollback() }()
	var ch changes
	if err := fn(tx, &ch); err != nil {
		return fmt.Errorf("notebooks/sqlite: %s: %w", op, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("notebooks/sqlite: %s: commit: %w", op, err)
	}
	s.broker.Publish(ch...)
	return nil
}

// read runs fn in a read transaction, so what it reads is one snapshot.
func (s *Store) read(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("notebooks/sqlite: %s: begin: %w", op, err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return fmt.Errorf("notebooks/sqlite: %s: %w", op, err)
	}
	return nil
}

// isPrimaryKeyViolation reports whether err is SQLite's primary key
// (or unique) constraint error.
func isPrimaryKeyViolation(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey || se.ExtendedCode == sqlite3.ErrConstraintUnique
}

// IsUniqueViolation reports whether err is SQLite's primary key or unique
// constraint error, for other rooms' stores on the same file.
func IsUniqueViolation(err error) bool { return isPrimaryKeyViolation(err) }
