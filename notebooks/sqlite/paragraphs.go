package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// ListParagraphs returns a note's paragraphs in order.
func (s *Store) ListParagraphs(ctx context.Context, noteID string) ([]*notebooks.Paragraph, error) {
	var ps []*notebooks.Paragraph
	err := s.read(ctx, "list paragraphs", func(tx *sql.Tx) (err error) {
		if err := noteExists(ctx, tx, noteID); err != nil {
			return err
		}
		ps, err = loadParagraphs(ctx, tx, noteID)
		return err
	})
	return ps, err
}

// FindParagraph returns one paragraph of a note.
func (s *Store) FindParagraph(ctx context.Context, noteID, paragraphID string) (*notebooks.Paragraph, error) {
	var p *notebooks.Paragraph
	err := s.read(ctx, "find paragraph", func(tx *sql.Tx) (err error) {
		p, _, err = loadParagraph(ctx, tx, noteID, paragraphID)
		return err
	})
	return p, err
}

// AddParagraph inserts a new paragraph at create.Index (appends when nil).
func (s *Store) AddParagraph(ctx context.Context, noteID string, create notebooks.ParagraphCreate) (*notebooks.Paragraph, error) {
	now := s.now()
	p := newParagraph(create, now)
	err := s.write(ctx, "add paragraph", func(tx *sql.Tx, ch *changes) error {
		if err := noteExists(ctx, tx, noteID); err != nil {
			return err
		}
		count, err := countParagraphs(ctx, tx, noteID)
		if err != nil {
			return err
		}
		if count >= notebooks.MaxParagraphsPerNote {
			return tooManyParagraphs()
		}
		index := count
		if create.Index != nil {
			index = *create.Index
		}
		if index < 0 || index > count {
			return eddy.Errorf(eddy.EINVALID, "index %d is out of bounds: the note has %d paragraphs, so the index must be 0 to %d", index, count, count)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE paragraphs SET position = position + 1 WHERE note_id = ? AND position >= ?`, noteID, index); err != nil {
			return err
		}
		for attempt := 0; ; attempt++ {
			err := insertParagraph(ctx, tx, noteID, index, p)
			if err == nil {
				break
			}
			if !isPrimaryKeyViolation(err) || attempt+1 >= idAttempts {
				return err
			}
			p.ID = notebooks.NewParagraphID(now)
			p.JobName = p.ID
		}
		ch.add(notebooks.ChangeParagraphAdded, noteID, p.ID)
		return touchNote(ctx, tx, noteID, now.UnixMilli())
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// UpdateParagraph edits a paragraph's text, title, config or form values.
func (s *Store) UpdateParagraph(ctx context.Context, noteID, paragraphID string, upd notebooks.ParagraphUpdate) (*notebooks.Paragraph, error) {
	return s.modifyParagraph(ctx, "update paragraph", noteID, paragraphID, notebooks.ChangeParagraphUpdated,
		func(p *notebooks.Paragraph) { p.ApplyUpdate(upd, s.now()) })
}

// UpdateParagraphRun changes a paragraph's run state in one transaction.
func (s *Store) UpdateParagraphRun(ctx context.Context, noteID, paragraphID string, run notebooks.RunUpdate) (*notebooks.Paragraph, error) {
	return s.modifyParagraph(ctx, "update paragraph run state", noteID, paragraphID, notebooks.ChangeParagraphRun,
		func(p *notebooks.Paragraph) { p.ApplyRun(run) })
}

// modifyParagraph reads a paragraph, applies fn and writes it back, all in
// one write transaction, so concurrent edits of one paragraph serialise and
// none is lost.
func (s *Store) modifyParagraph(ctx context.Context, op, noteID, paragraphID string, kind notebooks.ChangeKind, fn func(*notebooks.Paragraph)) (*notebooks.Paragraph, error) {
	var p *notebooks.Paragraph
	err := s.write(ctx, op, func(tx *sql.Tx, ch *changes) (err error) {
		if p, _, err = loadParagraph(ctx, tx, noteID, paragraphID); err != nil {
			return err
		}
		fn(p)
		if err := saveParagraph(ctx, tx, noteID, p); err != nil {
			return err
		}
		ch.add(kind, noteID, paragraphID)
		return touchNote(ctx, tx, noteID, s.now().UnixMilli())
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// MoveParagraph moves a paragraph to index (0 to len-1).
func (s *Store) MoveParagraph(ctx context.Context, noteID, paragraphID string, index int) error {
	return s.write(ctx, "move paragraph", func(tx *sql.Tx, ch *changes) error {
		from, err := paragraphPosition(ctx, tx, noteID, paragraphID)
		if err != nil {
			return err
		}
		count, err := countParagraphs(ctx, tx, noteID)
		if err != nil {
			return err
		}
		if index < 0 || index >= count {
			return eddy.Errorf(eddy.EINVALID, "newIndex %d is out of bounds: the note has %d paragraphs, so the index must be 0 to %d", index, count, count-1)
		}
		if index == from {
			return nil
		}
		if index > from {
			_, err = tx.ExecContext(ctx, `UPDATE paragraphs SET position = position - 1 WHERE note_id = ? AND position > ? AND position <= ?`, noteID, from, index)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE paragraphs SET position = position + 1 WHERE note_id = ? AND position >= ? AND position < ?`, noteID, index, from)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE paragraphs SET position = ? WHERE note_id = ? AND id = ?`, index, noteID, paragraphID); err != nil {
			return err
		}
		ch.add(notebooks.ChangeParagraphMoved, noteID, paragraphID)
		return touchNote(ctx, tx, noteID, s.now().UnixMilli())
	})
}

// DeleteParagraph removes a paragraph.
func (s *Store) DeleteParagraph(ctx context.Context, noteID, paragraphID string) error {
	return s.write(ctx, "delete paragraph", func(tx *sql.Tx, ch *changes) error {
		pos, err := paragraphPosition(ctx, tx, noteID, paragraphID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM paragraphs WHERE note_id = ? AND id = ?`, noteID, paragraphID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE paragraphs SET position = position - 1 WHERE note_id = ? AND position > ?`, noteID, pos); err != nil {
			return err
		}
		ch.add(notebooks.ChangeParagraphDeleted, noteID, paragraphID)
		return touchNote(ctx, tx, noteID, s.now().UnixMilli())
	})
}

func loadParagraphs(ctx context.Context, tx *sql.Tx, noteID string) ([]*notebooks.Paragraph, error) {
	rows, err := tx.QueryContext(ctx, `SELECT doc FROM paragraphs WHERE note_id = ? ORDER BY position`, noteID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ps := []*notebooks.Paragraph{}
	var doc []byte
	for rows.Next() {
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		p := new(notebooks.Paragraph)
		if err := p.UnmarshalJSON(doc); err != nil {
			return nil, fmt.Errorf("decode a paragraph of note %s: %w", noteID, err)
		}
		ps = append(ps, p)
	}
	return ps, rows.Err()
}

// loadParagraph reads one paragraph and its position; an unknown note or
// paragraph is ENOTFOUND.
func loadParagraph(ctx context.Context, tx *sql.Tx, noteID, paragraphID string) (*notebooks.Paragraph, int, error) {
	var doc []byte
	var pos int
	err := tx.QueryRowContext(ctx, `SELECT doc, position FROM paragraphs WHERE note_id = ? AND id = ?`, noteID, paragraphID).Scan(&doc, &pos)
	if err != nil {
		if nerr := noteExists(ctx, tx, noteID); nerr != nil {
			return nil, 0, nerr
		}
		return nil, 0, notFound(err, notebooks.ParagraphNotFound(paragraphID))
	}
	p := new(notebooks.Paragraph)
	if err := p.UnmarshalJSON(doc); err != nil {
		return nil, 0, fmt.Errorf("decode paragraph %s: %w", paragraphID, err)
	}
	return p, pos, nil
}

func paragraphPosition(ctx context.Context, tx *sql.Tx, noteID, paragraphID string) (int, error) {
	var pos int
	err := tx.QueryRowContext(ctx, `SELECT position FROM paragraphs WHERE note_id = ? AND id = ?`, noteID, paragraphID).Scan(&pos)
	if err != nil {
		if nerr := noteExists(ctx, tx, noteID); nerr != nil {
			return 0, nerr
		}
		return 0, notFound(err, notebooks.ParagraphNotFound(paragraphID))
	}
	return pos, nil
}

func countParagraphs(ctx context.Context, tx *sql.Tx, noteID string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM paragraphs WHERE note_id = ?`, noteID).Scan(&n)
	return n, err
}

func insertParagraph(ctx context.Context, tx *sql.Tx, noteID string, pos int, p *notebooks.Paragraph) error {
	doc, err := p.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encode paragraph %s: %w", p.ID, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO paragraphs (note_id, id, position, doc) VALUES (?, ?, ?, ?)`, noteID, p.ID, pos, string(doc))
	return err
}

func saveParagraph(ctx context.Context, tx *sql.Tx, noteID string, p *notebooks.Paragraph) error {
	doc, err := p.MarshalJSON()
	if err != nil {
		return fmt.Errorf("encode paragraph %s: %w", p.ID, err)
	}
	_, err = tx.ExecContext(ctx, `UPDATE paragraphs SET doc = ? WHERE note_id = ? AND id = ?`, string(doc), noteID, p.ID)
	return err
}

// AbortInterrupted marks every paragraph stored as PENDING or RUNNING as
// ABORT, with why appended to its output, and returns how many there were.
// Run at start-up, before any session: nothing runs then, so such a state
// is left by a crash (or an import), and kept it would show a paragraph
// that cannot be cancelled or run again.
func (s *Store) AbortInterrupted(ctx context.Context, why string) (int, error) {
	n := 0
	err := s.write(ctx, "abort interrupted paragraphs", func(tx *sql.Tx, ch *changes) error {
		rows, err := tx.QueryContext(ctx, `SELECT note_id, id FROM paragraphs WHERE json_extract(doc, '$.status') IN (?, ?)`,
			string(notebooks.StatusPending), string(notebooks.StatusRunning))
		if err != nil {
			return err
		}
		type key struct{ note, id string }
		var keys []key
		for rows.Next() {
			var k key
			if err := rows.Scan(&k.note, &k.id); err != nil {
				rows.Close()
				return err
			}
			keys = append(keys, k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := notebooks.NewDate(s.now())
		for _, k := range keys {
			p, _, err := loadParagraph(ctx, tx, k.note, k.id)
			if err != nil {
				return err
			}
			res := notebooks.Result{Code: notebooks.ResultIncomplete}
			if p.Results != nil {
				res = *p.Results
			}
			res.Msg = append(slices.Clone(res.Msg), notebooks.ResultMessage{Type: notebooks.MessageText, Data: why})
			abort := notebooks.StatusAbort
			p.ApplyRun(notebooks.RunUpdate{Status: &abort, Results: &res, DateFinished: &now, ErrorMessage: &why})
			if err := saveParagraph(ctx, tx, k.note, p); err != nil {
				return err
			}
			ch.add(notebooks.ChangeParagraphRun, k.note, k.id)
			n++
		}
		return nil
	})
	return n, err
}
