package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// idAttempts bounds the retries when a random id collides with a stored one.
const idAttempts = 5

// ListNotes returns every note, including those in the trash, ordered by path.
func (s *Store) ListNotes(ctx context.Context) ([]notebooks.NoteInfo, error) {
	var out []notebooks.NoteInfo
	err := s.read(ctx, "list notes", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, path FROM notes ORDER BY path, id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n notebooks.Note
			if err := rows.Scan(&n.ID, &n.Path); err != nil {
				return err
			}
			out = append(out, n.NoteInfo())
		}
		return rows.Err()
	})
	if out == nil && err == nil {
		out = []notebooks.NoteInfo{}
	}
	return out, err
}

// FindNoteByID returns a note with its paragraphs in order.
func (s *Store) FindNoteByID(ctx context.Context, id string) (*notebooks.Note, error) {
	var n *notebooks.Note
	err := s.read(ctx, "find note", func(tx *sql.Tx) (err error) {
		n, err = loadNote(ctx, tx, id)
		return err
	})
	return n, err
}

// FindNoteJSON returns the note's JSON as Note.MarshalJSON writes it,
// assembled from the stored documents without decoding them.
func (s *Store) FindNoteJSON(ctx context.Context, id string) ([]byte, error) {
	var out []byte
	err := s.read(ctx, "find note JSON", func(tx *sql.Tx) error {
		var path string
		var doc []byte
		if err := tx.QueryRowContext(ctx, `SELECT path, doc FROM notes WHERE id = ?`, id).Scan(&path, &doc); err != nil {
			return notFound(err, notebooks.NoteNotFound(id))
		}
		rows, err := tx.QueryContext(ctx, `SELECT doc FROM paragraphs WHERE note_id = ? ORDER BY position`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		var docs [][]byte
		for rows.Next() {
			var d []byte
			if err := rows.Scan(&d); err != nil {
				return err
			}
			docs = append(docs, d)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		out, err = notebooks.AssembleNoteJSON(id, path, doc, docs)
		return err
	})
	return out, err
}

// notePathOutsideTrash normalises the path of a new note, which may not be
// in the trash: notes get there by being moved (MoveNote), as they are
// deleted.
func notePathOutsideTrash(path string) (string, error) {
	path, err := notebooks.NormalizePath(path)
	if err == nil && notebooks.InTrash(path) {
		err = eddy.Errorf(eddy.EINVALID, "a new note cannot be put in the trash (/%s): move a note there to delete it", notebooks.TrashFolder)
	}
	return path, err
}

// CreateNote creates a note with a new id and the given paragraphs.
func (s *Store) CreateNote(ctx context.Context, create notebooks.NoteCreate) (*notebooks.Note, error) {
	const op = "notebooks/sqlite: create note"
	path, err := notePathOutsideTrash(create.Path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if len(create.Paragraphs) > notebooks.MaxParagraphsPerNote {
		return nil, fmt.Errorf("%s: %w", op, tooManyParagraphs())
	}
	group := create.DefaultInterpreterGroup
	if group == "" {
		group = notebooks.DefaultInterpreterGroup
	}
	now := s.now()
	n := &notebooks.Note{
		Paragraphs:              make([]*notebooks.Paragraph, 0, len(create.Paragraphs)),
		Name:                    notebooks.NameOf(path),
		Path:                    path,
		DefaultInterpreterGroup: group,
		Version:                 notebooks.ZeppelinVersion,
		NoteParams:              map[string]any{},
		NoteForms:               map[string]any{},
		AngularObjects:          map[string]any{},
		Config: map[string]any{
			"isZeppelinNotebookCronEnable": false,
			"looknfeel":                    "default",
			"personalizedMode":             "false",
		},
		Info: map[string]any{},
	}
	seen := make(map[string]bool)
	for _, pc := range create.Paragraphs {
		if pc.User == "" {
			pc.User = create.User
		}
		p := newParagraph(pc, now)
		for seen[p.ID] {
			p.ID = notebooks.NewParagraphID(now)
			p.JobName = p.ID
		}
		seen[p.ID] = true
		n.Paragraphs = append(n.Paragraphs, p)
	}
	err = s.write(ctx, "create note", func(tx *sql.Tx, ch *changes) error {
		return insertNote(ctx, tx, n, "", now.UnixMilli(), ch)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// ImportNote stores a note read by notebooks.ImportZeppelin, keeping its id
// unless that is malformed or taken.
func (s *Store) ImportNote(ctx context.Context, note *notebooks.Note) (*notebooks.Note, error) {
	const op = "notebooks/sqlite: import note"
	n := note.Clone()
	path, err := notePathOutsideTrash(n.Path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	n.Path, n.Name = path, notebooks.NameOf(path)
	if len(n.Paragraphs) > notebooks.MaxParagraphsPerNote {
		return nil, fmt.Errorf("%s: %w", op, tooManyParagraphs())
	}
	seen := make(map[string]bool, len(n.Paragraphs))
	for i, p := range n.Paragraphs {
		if !notebooks.ValidParagraphID(p.ID) || seen[p.ID] {
			return nil, fmt.Errorf("%s: %w", op, eddy.Errorf(eddy.EINVALID, "paragraph %d has a missing, malformed or repeated id %q", i, p.ID))
		}
		seen[p.ID] = true
	}
	wanted := ""
	if notebooks.ValidNoteID(n.ID) {
		wanted = n.ID
	}
	err = s.write(ctx, "import note", func(tx *sql.Tx, ch *changes) error {
		return insertNote(ctx, tx, n, wanted, s.now().UnixMilli(), ch)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// CloneNote copies a note, or the note as it was at a revision, to a new
// note. Paragraph ids are kept, as Zeppelin keeps them.
func (s *Store) CloneNote(ctx context.Context, id string, clone notebooks.NoteClone) (*notebooks.Note, error) {
	path := clone.Path
	if strings.TrimSpace(path) == "" {
		path = "/Cloned Note_" + id
	}
	path, err := notePathOutsideTrash(path)
	if err != nil {
		return nil, fmt.Errorf("notebooks/sqlite: clone note: %w", err)
	}
	var n *notebooks.Note
	err = s.write(ctx, "clone note", func(tx *sql.Tx, ch *changes) error {
		src, err := loadNote(ctx, tx, id)
		if err != nil {
			return err
		}
		if clone.RevisionID != "" {
			if src, err = loadRevision(ctx, tx, src, clone.RevisionID); err != nil {
				return err
			}
		}
		n = src
		n.Path, n.Name = path, notebooks.NameOf(path)
		return insertNote(ctx, tx, n, "", s.now().UnixMilli(), ch)
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// MoveNote sets a note's path (renames it or moves it between folders).
func (s *Store) MoveNote(ctx context.Context, id, path string) (*notebooks.Note, error) {
	if strings.TrimSpace(path) == "" {
		return nil, fmt.Errorf("notebooks/sqlite: move note: %w", eddy.Errorf(eddy.EINVALID, "name can not be empty"))
	}
	path, err := notebooks.NormalizePath(path)
	if err != nil {
		return nil, fmt.Errorf("notebooks/sqlite: move note: %w", err)
	}
	var n *notebooks.Note
	err = s.write(ctx, "move note", func(tx *sql.Tx, ch *changes) error {
		if err := setNotePath(ctx, tx, id, path, s.now().UnixMilli()); err != nil {
			return err
		}
		ch.add(notebooks.ChangeNoteMoved, id, "")
		n, err = loadNote(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// UpdateNote changes note-level fields.
func (s *Store) UpdateNote(ctx context.Context, id string, upd notebooks.NoteUpdate) (*notebooks.Note, error) {
	var n *notebooks.Note
	err := s.write(ctx, "update note", func(tx *sql.Tx, ch *changes) error {
		head, err := loadNoteHead(ctx, tx, id)
		if err != nil {
			return err
		}
		head.ApplyUpdate(upd)
		if err := saveNoteHead(ctx, tx, head, s.now().UnixMilli()); err != nil {
			return err
		}
		ch.add(notebooks.ChangeNoteUpdated, id, "")
		n, err = loadNote(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}

// DeleteNote moves a note to the trash, or deletes it with its paragraphs
// and revisions when it is in the trash already.
func (s *Store) DeleteNote(ctx context.Context, id string) (permanent bool, err error) {
	err = s.write(ctx, "delete note", func(tx *sql.Tx, ch *changes) error {
		var path string
		if err := tx.QueryRowContext(ctx, `SELECT path FROM notes WHERE id = ?`, id).Scan(&path); err != nil {
			return notFound(err, notebooks.NoteNotFound(id))
		}
		if notebooks.InTrash(path) {
			permanent = true
			if _, err := tx.ExecContext(ctx, `DELETE FROM notes WHERE id = ?`, id); err != nil {
				return err
			}
			ch.add(notebooks.ChangeNoteDeleted, id, "")
			return nil
		}
		if err := setNotePath(ctx, tx, id, notebooks.TrashPath(path), s.now().UnixMilli()); err != nil {
			return err
		}
		ch.add(notebooks.ChangeNoteMoved, id, "")
		return nil
	})
	if permanent && err == nil {
		s.reclaim(ctx)
	}
	return permanent, err
}

// newParagraph builds a paragraph for a ParagraphCreate.
func newParagraph(pc notebooks.ParagraphCreate, now time.Time) *notebooks.Paragraph {
	p := notebooks.NewParagraph(now, pc.User)
	p.Title, p.Text = pc.Title, pc.Text
	if pc.Config != nil {
		p.Config = notebooks.MergeConfig(p.Config, pc.Config)
	}
	return p
}

// insertNote inserts a note row and its paragraphs. It uses id wanted when
// given and free, else fresh random ids until one is free; n.ID is set to
// the id used.
func insertNote(ctx context.Context, tx *sql.Tx, n *notebooks.Note, wanted string, nowMs int64, ch *changes) error {
	doc, err := n.EncodeDocument()
	if err != nil {
		return err
	}
	inserted := false
	for attempt := 0; attempt < idAttempts && !inserted; attempt++ {
		n.ID = wanted
		if attempt > 0 || wanted == "" {
			n.ID = notebooks.NewNoteID()
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO notes (id, path, doc, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			n.ID, n.Path, string(doc), nowMs, nowMs)
		switch {
		case err == nil:
			inserted = true
		case !isPrimaryKeyViolation(err):
			return err
		}
	}
	if !inserted {
		return eddy.Errorf(eddy.ECONFLICT, "could not find a free note id in %d attempts", idAttempts)
	}
	for i, p := range n.Paragraphs {
		if err := insertParagraph(ctx, tx, n.ID, i, p); err != nil {
			return err
		}
	}
	ch.add(notebooks.ChangeNoteCreated, n.ID, "")
	return nil
}

func setNotePath(ctx context.Context, tx *sql.Tx, id, path string, nowMs int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE notes SET path = ?, updated_at = ? WHERE id = ?`, path, nowMs, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return notebooks.NoteNotFound(id)
	}
	return nil
}

// loadNoteHead reads a note without its paragraphs.
func loadNoteHead(ctx context.Context, tx *sql.Tx, id string) (*notebooks.Note, error) {
	var path string
	var doc []byte
	err := tx.QueryRowContext(ctx, `SELECT path, doc FROM notes WHERE id = ?`, id).Scan(&path, &doc)
	if err != nil {
		return nil, notFound(err, notebooks.NoteNotFound(id))
	}
	n, err := notebooks.DecodeDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("decode note %s: %w", id, err)
	}
	n.ID, n.Path, n.Name = id, path, notebooks.NameOf(path)
	return n, nil
}

// loadNote reads a note with its paragraphs in order.
func loadNote(ctx context.Context, tx *sql.Tx, id string) (*notebooks.Note, error) {
	n, err := loadNoteHead(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if n.Paragraphs, err = loadParagraphs(ctx, tx, id); err != nil {
		return nil, err
	}
	return n, nil
}

func saveNoteHead(ctx context.Context, tx *sql.Tx, n *notebooks.Note, nowMs int64) error {
	doc, err := n.EncodeDocument()
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE notes SET doc = ?, updated_at = ? WHERE id = ?`, string(doc), nowMs, n.ID)
	return err
}

func touchNote(ctx context.Context, tx *sql.Tx, id string, nowMs int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE notes SET updated_at = ? WHERE id = ?`, nowMs, id)
	return err
}

func noteExists(ctx context.Context, tx *sql.Tx, id string) error {
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT 1 FROM notes WHERE id = ?`, id).Scan(&one); err != nil {
		return notFound(err, notebooks.NoteNotFound(id))
	}
	return nil
}

// notFound returns nf when err is sql.ErrNoRows, else err.
func notFound(err, nf error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return nf
	}
	return err
}

func tooManyParagraphs() error {
	return eddy.Errorf(eddy.EINVALID, "a note can have at most %d paragraphs", notebooks.MaxParagraphsPerNote)
}

// sameJSON reports whether two stored documents are byte-identical; the
// encoders are deterministic, so equal notes encode equally.
func sameJSON(a, b []byte) bool { return bytes.Equal(a, b) }
