package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// CheckpointNote records the whole note as a revision with a message. When
// the note equals its latest revision it returns that revision and an error
// matching notebooks.ErrNoChanges.
func (s *Store) CheckpointNote(ctx context.Context, noteID, message string) (*notebooks.Revision, error) {
	const op = "notebooks/sqlite: checkpoint note"
	switch {
	case strings.TrimSpace(message) == "":
		return nil, fmt.Errorf("%s: %w", op, eddy.Errorf(eddy.EINVALID, "commitMessage can not be empty"))
	case len(message) > notebooks.MaxRevisionMessage:
		return nil, fmt.Errorf("%s: %w", op, eddy.Errorf(eddy.EINVALID, "commitMessage must be at most %d bytes", notebooks.MaxRevisionMessage))
	}
	var rev *notebooks.Revision
	var unchanged bool
	err := s.write(ctx, "checkpoint note", func(tx *sql.Tx, ch *changes) error {
		n, err := loadNote(ctx, tx, noteID)
		if err != nil {
			return err
		}
		doc, err := notebooks.ExportZeppelin(n)
		if err != nil {
			return err
		}
		var latest notebooks.Revision
		var latestDoc []byte
		var createdMs int64
		err = tx.QueryRowContext(ctx, `SELECT id, message, created_at, doc FROM revisions WHERE note_id = ?
			ORDER BY created_at DESC, rowid DESC LIMIT 1`, noteID).Scan(&latest.ID, &latest.Message, &createdMs, &latestDoc)
		switch {
		case err == nil && sameJSON(doc, latestDoc):
			latest.Time = createdMs / 1000
			rev, unchanged = &latest, true
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var count int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM revisions WHERE note_id = ?`, noteID).Scan(&count); err != nil {
			return err
		}
		if count >= notebooks.MaxRevisionsPerNote {
			return eddy.Errorf(eddy.ECONFLICT, "note %s has the maximum of %d revisions", noteID, notebooks.MaxRevisionsPerNote)
		}
		now := s.now()
		rev = &notebooks.Revision{ID: notebooks.NewRevisionID(), Message: message, Time: now.Unix()}
		if _, err := tx.ExecContext(ctx, `INSERT INTO revisions (id, note_id, message, created_at, doc) VALUES (?, ?, ?, ?, ?)`,
			rev.ID, noteID, message, now.UnixMilli(), string(doc)); err != nil {
			return err
		}
		ch.add(notebooks.ChangeRevisionCreated, noteID, "")
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case unchanged:
		return rev, fmt.Errorf("%s: note %s equals revision %s: %w", op, noteID, rev.ID, notebooks.ErrNoChanges)
	}
	return rev, nil
}

// ListRevisions returns a note's revisions, newest first.
func (s *Store) ListRevisions(ctx context.Context, noteID string) ([]*notebooks.Revision, error) {
	revs := []*notebooks.Revision{}
	err := s.read(ctx, "list revisions", func(tx *sql.Tx) error {
		if err := noteExists(ctx, tx, noteID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, message, created_at FROM revisions WHERE note_id = ?
			ORDER BY created_at DESC, rowid DESC`, noteID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r notebooks.Revision
			var ms int64
			if err := rows.Scan(&r.ID, &r.Message, &ms); err != nil {
				return err
			}
			r.Time = ms / 1000
			revs = append(revs, &r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return revs, nil
}

// FindRevision returns the note as it was at a revision, at its current path.
func (s *Store) FindRevision(ctx context.Context, noteID, revisionID string) (*notebooks.Note, error) {
	var n *notebooks.Note
	err := s.read(ctx, "find revision", func(tx *sql.Tx) error {
		head, err := loadNoteHead(ctx, tx, noteID)
		if err != nil {
			return err
		}
		n, err = loadRevision(ctx, tx, head, revisionID)
		return err
	})
	return n, err
}

// RestoreRevision replaces the note's content (note-level fields and every
// paragraph) by a revision; the path stays.
func (s *Store) RestoreRevision(ctx context.Context, noteID, revisionID string) (*notebooks.Note, error) {
	var n *notebooks.Note
	err := s.write(ctx, "restore revision", func(tx *sql.Tx, ch *changes) error {
		head, err := loadNoteHead(ctx, tx, noteID)
		if err != nil {
			return err
		}
		if n, err = loadRevision(ctx, tx, head, revisionID); err != nil {
			return err
		}
		if err := saveNoteHead(ctx, tx, n, s.now().UnixMilli()); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM paragraphs WHERE note_id = ?`, noteID); err != nil {
			return err
		}
		for i, p := range n.Paragraphs {
			if err := insertParagraph(ctx, tx, noteID, i, p); err != nil {
				return err
			}
		}
		ch.add(notebooks.ChangeNoteRestored, noteID, "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// loadRevision reads a revision of the note whose current head is given;
// the result has the note's id and current path.
func loadRevision(ctx context.Context, tx *sql.Tx, head *notebooks.Note, revisionID string) (*notebooks.Note, error) {
	var doc []byte
	err := tx.QueryRowContext(ctx, `SELECT doc FROM revisions WHERE note_id = ? AND id = ?`, head.ID, revisionID).Scan(&doc)
	if err != nil {
		return nil, notFound(err, notebooks.RevisionNotFound(revisionID))
	}
	var n notebooks.Note
	if err := n.UnmarshalJSON(doc); err != nil {
		return nil, fmt.Errorf("decode revision %s: %w", revisionID, err)
	}
	n.ID, n.Path, n.Name = head.ID, head.Path, head.Name
	if n.Paragraphs == nil {
		n.Paragraphs = []*notebooks.Paragraph{}
	}
	return &n, nil
}
