package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/notebooks/notebookstest"
)

// MustOpenStore opens a store on a fresh file in a temp dir, closed at cleanup.
func MustOpenStore(tb testing.TB) *Store {
	tb.Helper()
	s, err := Open(context.Background(), filepath.Join(tb.TempDir(), FileName))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return s
}

// MustCreateNote creates a note with paragraphs of the given texts.
func MustCreateNote(tb testing.TB, s *Store, path string, texts ...string) *notebooks.Note {
	tb.Helper()
	c := notebooks.NoteCreate{Path: path}
	for _, t := range texts {
		c.Paragraphs = append(c.Paragraphs, notebooks.ParagraphCreate{Text: t})
	}
	n, err := s.CreateNote(context.Background(), c)
	if err != nil {
		tb.Fatalf("create note: %v", err)
	}
	return n
}

// mustExport returns the stored note as a .zpln document, for state comparisons.
func mustExport(tb testing.TB, s *Store, id string) []byte {
	tb.Helper()
	n, err := s.FindNoteByID(context.Background(), id)
	if err != nil {
		tb.Fatalf("find note %s: %v", id, err)
	}
	b, err := notebooks.ExportZeppelin(n)
	if err != nil {
		tb.Fatal(err)
	}
	return append([]byte(n.Path+"\n"), b...)
}

func texts(n *notebooks.Note) []string {
	var out []string
	for _, p := range n.Paragraphs {
		out = append(out, p.Text)
	}
	return out
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := eddy.ErrorCode(err); got != code {
		tb.Fatalf("err = %v (code %q), want code %q", err, got, code)
	}
}

func TestStore_Open(t *testing.T) {
	ctx := context.Background()
	t.Run("Pragmas", func(t *testing.T) {
		s := MustOpenStore(t)
		for _, pool := range []struct {
			name string
			q    func(string) (string, error)
		}{
			{"writer", func(p string) (v string, err error) { err = s.w.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); return }},
			{"reader", func(p string) (v string, err error) { err = s.r.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); return }},
		} {
			for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "busy_timeout": "5000"} {
				if got, err := pool.q(pragma); err != nil || got != want {
					t.Errorf("%s: PRAGMA %s = %q, %v; want %q", pool.name, pragma, got, err, want)
				}
			}
		}
		if _, err := s.r.ExecContext(ctx, `DELETE FROM notes`); err == nil {
			t.Error("the read pool accepted a write")
		}
	})
	t.Run("MigratesOnceAndReopens", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), FileName)
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		n := MustCreateNote(t, s, "kept", "select 1")
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer s.Close()
		files, _ := migrationFiles()
		if v, err := s.SchemaVersion(ctx); err != nil || v != len(files) {
			t.Errorf("schema version = %d, %v; want %d", v, err, len(files))
		}
		got, err := s.FindNoteByID(ctx, n.ID)
		if err != nil || got.Paragraphs[0].Text != "select 1" {
			t.Fatalf("note after reopen: %v, %v", got, err)
		}
	})
	// Notes written before permissions were stored keep Zeppelin's empty
	// lists (every signed-in user), as when one token did everything.
	t.Run("OpensNotesFromBeforePermissions", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), FileName)
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		n, err := s.CreateNote(ctx, notebooks.NoteCreate{Path: "/old/note"})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`ALTER TABLE applications DROP COLUMN current_parallelism`, `ALTER TABLE applications DROP COLUMN autoscaling_enabled`,
			`ALTER TABLE applications DROP COLUMN max_parallelism`, `DROP TABLE audit`, `DROP TABLE folder_permissions`, `DROP TABLE note_permissions`,
			`DROP TABLE shares`, `DROP TABLE api_tokens`, `DROP TABLE browser_sessions`, `DROP TABLE users`,
			`DELETE FROM schema_version WHERE version > 3`} {
			if _, err := s.w.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		_ = s.Close()
		if s, err = Open(ctx, path); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		var body string
		if err := s.r.QueryRowContext(ctx, `SELECT body FROM note_permissions WHERE note_id = ?`, n.ID).Scan(&body); err != nil ||
			body != `{"owners":[],"writers":[],"runners":[],"readers":[]}` {
			t.Fatalf("permissions of an old note: %q, %v", body, err)
		}
	})
	// Databases written before session usage became a migration have the
	// table already (created outside the migrations) at schema version 1:
	// the migration adopts it and keeps its rows.
	t.Run("AdoptsUsageTableCreatedBeforeMigrations", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), FileName)
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			// Back to schema version 1: the tables of later migrations go too.
			`DROP TABLE audit`,
			`DROP TABLE folder_permissions`,
			`DROP TABLE note_permissions`,
			`DROP TABLE shares`,
			`DROP TABLE api_tokens`,
			`DROP TABLE browser_sessions`,
			`DROP TABLE users`,
			`DROP TABLE session_usage`,
			`DROP TABLE application_events`,
			`DROP TABLE application_snapshots`,
			`DROP TABLE application_versions`,
			`DROP TABLE applications`,
			`DELETE FROM schema_version WHERE version > 1`,
			`CREATE TABLE IF NOT EXISTS session_usage (session_id TEXT PRIMARY KEY, note_id TEXT NOT NULL, started_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL DEFAULT 0, kpu_seconds REAL NOT NULL)`,
			`INSERT INTO session_usage VALUES ('s1', 'n1', 1, 2, 7.5)`,
		} {
			if _, err := s.w.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		_ = s.Close()
		s, err = Open(ctx, path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer s.Close()
		var secs float64
		if err := s.r.QueryRowContext(ctx, `SELECT kpu_seconds FROM session_usage WHERE session_id = 's1'`).Scan(&secs); err != nil || secs != 7.5 {
			t.Fatalf("usage row after migration: %v, %v", secs, err)
		}
		if v, _ := s.SchemaVersion(ctx); v < 2 {
			t.Fatalf("schema version %d, want at least 2", v)
		}
	})
	t.Run("ErrNewerSchema", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), FileName)
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.w.ExecContext(ctx, `INSERT INTO schema_version VALUES (99, 0)`); err != nil {
			t.Fatal(err)
		}
		_ = s.Close()
		if _, err := Open(ctx, path); err == nil {
			t.Fatal("opened a database with a newer schema")
		}
	})
}

func TestStore_CreateNote(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		s := MustOpenStore(t)
		n := MustCreateNote(t, s, "team/etl/Orders", "%flink.ssql\nselect 1", "%md hi")
		if !notebooks.ValidNoteID(n.ID) || n.Path != "/team/etl/Orders" || n.Name != "Orders" || n.DefaultInterpreterGroup != "flink" {
			t.Fatalf("note = %+v", n)
		}
		got, err := s.FindNoteByID(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(texts(got), []string{"%flink.ssql\nselect 1", "%md hi"}) || got.Paragraphs[0].Status != notebooks.StatusReady {
			t.Errorf("stored paragraphs = %v", texts(got))
		}
		list, err := s.ListNotes(ctx)
		if err != nil || len(list) != 1 || list[0] != (notebooks.NoteInfo{ID: n.ID, Path: "/team/etl/Orders", Name: "team/etl/Orders"}) {
			t.Errorf("list = %+v, %v", list, err)
		}
	})
	t.Run("ErrInvalidPath", func(t *testing.T) {
		s := MustOpenStore(t)
		_, err := s.CreateNote(ctx, notebooks.NoteCreate{Path: "a/../b"})
		wantCode(t, err, eddy.EINVALID)
		if list, _ := s.ListNotes(ctx); len(list) != 0 {
			t.Errorf("a note was created: %v", list)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenStore(t)
		_, err := s.FindNoteByID(ctx, "2AAAAAAAA")
		wantCode(t, err, eddy.ENOTFOUND)
	})
}

func TestStore_ImportNote(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	for _, fx := range notebookstest.MustFixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			n, err := notebooks.ImportZeppelin(fx.Data, "")
			if err != nil {
				t.Fatal(err)
			}
			want, _ := notebooks.ExportZeppelin(n)
			stored, err := s.ImportNote(ctx, n)
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if stored.ID != n.ID {
				t.Errorf("id %s became %s although it was free", n.ID, stored.ID)
			}
			got, err := s.FindNoteByID(ctx, stored.ID)
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := notebooks.ExportZeppelin(got); !bytes.Equal(b, want) {
				t.Error("the stored note differs from the imported one")
			}

			again, err := s.ImportNote(ctx, n)
			if err != nil {
				t.Fatalf("second import: %v", err)
			}
			if again.ID == n.ID || !notebooks.ValidNoteID(again.ID) {
				t.Errorf("second import got id %q; want a new valid id", again.ID)
			}
		})
	}
	t.Run("MalformedIDGetsNewOne", func(t *testing.T) {
		n, err := notebooks.ImportZeppelin([]byte(`{"id":"not-an-id","name":"x"}`), "")
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.ImportNote(ctx, n)
		if err != nil || !notebooks.ValidNoteID(got.ID) {
			t.Fatalf("import = %+v, %v", got, err)
		}
	})
}

func TestStore_CloneMoveDeleteNote(t *testing.T) {
	ctx := context.Background()
	t.Run("Clone", func(t *testing.T) {
		s := MustOpenStore(t)
		src := MustCreateNote(t, s, "src", "a", "b")
		c, err := s.CloneNote(ctx, src.ID, notebooks.NoteClone{})
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == src.ID || c.Path != "/Cloned Note_"+src.ID || !slices.Equal(texts(c), []string{"a", "b"}) {
			t.Errorf("clone = %s %s %v", c.ID, c.Path, texts(c))
		}
		if c.Paragraphs[0].ID != src.Paragraphs[0].ID {
			t.Error("clone changed paragraph ids; Zeppelin keeps them")
		}
		_, err = s.CloneNote(ctx, "2AAAAAAAA", notebooks.NoteClone{})
		wantCode(t, err, eddy.ENOTFOUND)
	})
	t.Run("Move", func(t *testing.T) {
		s := MustOpenStore(t)
		n := MustCreateNote(t, s, "old")
		m, err := s.MoveNote(ctx, n.ID, "folder/new")
		if err != nil || m.Path != "/folder/new" || m.Name != "new" {
			t.Fatalf("move = %+v, %v", m, err)
		}
		before := mustExport(t, s, n.ID)
		for _, bad := range []string{"", "x/"} {
			_, err = s.MoveNote(ctx, n.ID, bad)
			wantCode(t, err, eddy.EINVALID)
		}
		if !bytes.Equal(before, mustExport(t, s, n.ID)) {
			t.Error("a refused move changed the note")
		}
		_, err = s.MoveNote(ctx, "2AAAAAAAA", "x")
		wantCode(t, err, eddy.ENOTFOUND)
	})
	t.Run("DeleteMovesToTrashThenDeletes", func(t *testing.T) {
		s := MustOpenStore(t)
		n := MustCreateNote(t, s, "f/doomed", "x")
		if _, err := s.CheckpointNote(ctx, n.ID, "v1"); err != nil {
			t.Fatal(err)
		}
		permanent, err := s.DeleteNote(ctx, n.ID)
		if err != nil || permanent {
			t.Fatalf("first delete: permanent=%v err=%v", permanent, err)
		}
		got, err := s.FindNoteByID(ctx, n.ID)
		if err != nil || got.Path != "/~Trash/f/doomed" || len(got.Paragraphs) != 1 {
			t.Fatalf("trashed note = %+v, %v", got, err)
		}
		permanent, err = s.DeleteNote(ctx, n.ID)
		if err != nil || !permanent {
			t.Fatalf("second delete: permanent=%v err=%v", permanent, err)
		}
		_, err = s.FindNoteByID(ctx, n.ID)
		wantCode(t, err, eddy.ENOTFOUND)
		var left int
		if err := s.r.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM paragraphs) + (SELECT COUNT(*) FROM revisions)`).Scan(&left); err != nil || left != 0 {
			t.Errorf("%d paragraph or revision rows outlived the note (%v)", left, err)
		}
		_, err = s.DeleteNote(ctx, n.ID)
		wantCode(t, err, eddy.ENOTFOUND)
	})
	t.Run("Update", func(t *testing.T) {
		s := MustOpenStore(t)
		n := MustCreateNote(t, s, "n")
		group := "spark"
		got, err := s.UpdateNote(ctx, n.ID, notebooks.NoteUpdate{DefaultInterpreterGroup: &group, Config: map[string]any{"looknfeel": "report"}})
		if err != nil || got.DefaultInterpreterGroup != "spark" || got.Config["looknfeel"] != "report" || got.Config["personalizedMode"] != "false" {
			t.Fatalf("update = %+v, %v", got, err)
		}
	})
}

func TestStore_Paragraphs(t *testing.T) {
	ctx := context.Background()
	idx := func(i int) *int { return &i }
	t.Run("Add", func(t *testing.T) {
		s := MustOpenStore(t)
		n := MustCreateNote(t, s, "n", "b")
		if _, err := s.AddParagraph(ctx, n.ID, notebooks.ParagraphCreate{Text: "c"}); err != nil {
			t.Fatal(err)
		}
		p, err := s.AddParagraph(ctx, n.ID, notebooks.ParagraphCreate{Text: "a", Title: "first", Index: idx(0), Config: map[string]any{"title": true}})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := s.ListParagraphs(ctx, n.ID)
		if err != nil || len(ps) != 3 || ps[0].ID != p.ID || ps[0].Title != "first" || ps[0].Config["title"] != true {
			t.Fatalf("paragraphs = %v, %v", ps, err)
		}
		got, _ := s.FindNoteByID(ctx, n.ID)
		if !slices.Equal(texts(got), []string{"a", "b", "c"}) {
			t.Errorf("order = %v", texts(got))
		}
	})
	t.Run("ErrAddOutOfRange", func(t *testing.T) {
		s := MustOpenStore(t)
		n := MustCreateNote(t, s, "n", "a")
		before := mustExport(t, s, n.ID)
		for _, i := range []int{-1, 2} {
			_, err := s.AddParagraph(ctx, n.ID, notebooks.ParagraphCreate{Text: "x", Index: idx(i)})
			wantCode(t, err, eddy.EINVALID)
		}
		if !bytes.Equal(before, mustExport(t, s, n.ID)) {
			t.Error("a refused add changed the note")
		}
		_, err := s.AddParagraph(ctx, "2AAAAAAAA", notebooks.ParagraphCreate{})
		wantCode(t, err, eddy.ENOTFOUND)
	})
	t.Run("Update", func(t *testing.T) {
		s := MustOpenStore(t)
		n := MustCreateNote(t, s, "n", "old")
		pid := n.Paragraphs[0].ID
		text, title := "new", "T"
		p, err := s.UpdateParagraph(ctx, n.ID, pid, notebooks.ParagraphUpdate{Text: &text, Title: &title, Config: map[string]any{"colWidth": 6}, User: "bob"})
		if err != nil || p.Text != "new" || p.Title != "T" || p.User != "bob" {
			t.Fatalf("update = %+v, %v", p, err)
		}
		got, _ := s.FindParagraph(ctx, n.ID, pid)
		if got.Text != "new" || fmt.Sprint(got.Config["colWidth"]) != "6" {
			t.Errorf("stored = %+v", got)
		}
		_, err = s.UpdateParagraph(ctx, n.ID, "paragraph_0_0", notebooks.ParagraphUpdate{Text: &text})
		wantCode(t, err, eddy.ENOTFOUND)
		_, err = s.FindParagraph(ctx, "2AAAAAAAA", pid)
		wantCode(t, err, eddy.ENOTFOUND)
	})
	t.Run("UpdateRun", func(t *testing.T) {
		s := MustOpenStore(t)
		n := MustCreateNote(t, s, "n", "select 1")
		pid := n.Paragraphs[0].ID
		status := notebooks.StatusFinished
		fin := notebooks.NewDate(time.Now())
		_, err := s.UpdateParagraphRun(ctx, n.ID, pid, notebooks.RunUpdate{
			Status:       &status,
			DateFinished: &fin,
			Results:      &notebooks.Result{Code: notebooks.ResultSuccess, Msg: []notebooks.ResultMessage{{Type: notebooks.MessageTable, Data: "a\n1\n"}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := s.FindParagraph(ctx, n.ID, pid)
		if got.Status != status || got.Results.Msg[0].Data != "a\n1\n" || got.DateFinished != fin || got.Text != "select 1" {
			t.Errorf("stored = %+v", got)
		}
	})
	t.Run("Move", func(t *testing.T) {
		tests := []struct {
			from, to int
			want     []string
		}{
			{0, 2, []string{"b", "c", "a", "d"}},
			{3, 0, []string{"d", "a", "b", "c"}},
			{1, 2, []string{"a", "c", "b", "d"}},
			{2, 2, []string{"a", "b", "c", "d"}},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%dto%d", tt.from, tt.to), func(t *testing.T) {
				s := MustOpenStore(t)
				n := MustCreateNote(t, s, "n", "a", "b", "c", "d")
				if err := s.MoveParagraph(ctx, n.ID, n.Paragraphs[tt.from].ID, tt.to); err != nil {
					t.Fatal(err)
				}
				got, _ := s.FindNoteByID(ctx, n.ID)
				if !slices.Equal(texts(got), tt.want) {
					t.Errorf("order = %v, want %v", texts(got), tt.want)
				}
			})
		}
	})
	t.Run("ErrMoveOutOfRange", func(t *testing.T) {
		s := MustOpenStore(t)
		n := MustCreateNote(t, s, "n", "a", "b")
		before := mustExport(t, s, n.ID)
		for _, i := range []int{-1, 2, 100} {
			wantCode(t, s.MoveParagraph(ctx, n.ID, n.Paragraphs[0].ID, i), eddy.EINVALID)
		}
		wantCode(t, s.MoveParagraph(ctx, n.ID, "nope", 0), eddy.ENOTFOUND)
		if !bytes.Equal(before, mustExport(t, s, n.ID)) {
			t.Error("a refused move changed the note")
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s := MustOpenStore(t)
		n := MustCreateNote(t, s, "n", "a", "b", "c")
		if err := s.DeleteParagraph(ctx, n.ID, n.Paragraphs[1].ID); err != nil {
			t.Fatal(err)
		}
		// Positions stay dense: a move to the last index works.
		if err := s.MoveParagraph(ctx, n.ID, n.Paragraphs[0].ID, 1); err != nil {
			t.Fatal(err)
		}
		got, _ := s.FindNoteByID(ctx, n.ID)
		if !slices.Equal(texts(got), []string{"c", "a"}) {
			t.Errorf("order = %v", texts(got))
		}
		wantCode(t, s.DeleteParagraph(ctx, n.ID, n.Paragraphs[1].ID), eddy.ENOTFOUND)
	})
}

func TestStore_Revisions(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	n := MustCreateNote(t, s, "n", "v1")
	pid := n.Paragraphs[0].ID

	r1, err := s.CheckpointNote(ctx, n.ID, "first")
	if err != nil || len(r1.ID) != 40 || r1.Message != "first" {
		t.Fatalf("checkpoint = %+v, %v", r1, err)
	}
	same, err := s.CheckpointNote(ctx, n.ID, "nothing new")
	if !errors.Is(err, notebooks.ErrNoChanges) || same.ID != r1.ID {
		t.Fatalf("unchanged checkpoint = %+v, %v; want revision %s and ErrNoChanges", same, err, r1.ID)
	}
	text := "v2"
	if _, err := s.UpdateParagraph(ctx, n.ID, pid, notebooks.ParagraphUpdate{Text: &text}); err != nil {
		t.Fatal(err)
	}
	r2, err := s.CheckpointNote(ctx, n.ID, "second")
	if err != nil {
		t.Fatal(err)
	}
	revs, err := s.ListRevisions(ctx, n.ID)
	if err != nil || len(revs) != 2 || revs[0].ID != r2.ID || revs[1].ID != r1.ID {
		t.Fatalf("revisions = %+v, %v; want newest first", revs, err)
	}
	old, err := s.FindRevision(ctx, n.ID, r1.ID)
	if err != nil || old.Paragraphs[0].Text != "v1" || old.ID != n.ID {
		t.Fatalf("revision 1 = %+v, %v", old, err)
	}
	restored, err := s.RestoreRevision(ctx, n.ID, r1.ID)
	if err != nil || restored.Paragraphs[0].Text != "v1" {
		t.Fatalf("restore = %+v, %v", restored, err)
	}
	if cur, _ := s.FindParagraph(ctx, n.ID, pid); cur.Text != "v1" {
		t.Errorf("after restore text = %q", cur.Text)
	}
	c, err := s.CloneNote(ctx, n.ID, notebooks.NoteClone{Path: "from r2", RevisionID: r2.ID})
	if err != nil || c.Paragraphs[0].Text != "v2" {
		t.Fatalf("clone of revision = %+v, %v", c, err)
	}

	t.Run("Errors", func(t *testing.T) {
		before := mustExport(t, s, n.ID)
		_, err := s.CheckpointNote(ctx, n.ID, "  ")
		wantCode(t, err, eddy.EINVALID)
		_, err = s.FindRevision(ctx, n.ID, "0000")
		wantCode(t, err, eddy.ENOTFOUND)
		_, err = s.RestoreRevision(ctx, n.ID, "0000")
		wantCode(t, err, eddy.ENOTFOUND)
		_, err = s.ListRevisions(ctx, "2AAAAAAAA")
		wantCode(t, err, eddy.ENOTFOUND)
		_, err = s.FindRevision(ctx, c.ID, r1.ID) // a revision of another note
		wantCode(t, err, eddy.ENOTFOUND)
		if !bytes.Equal(before, mustExport(t, s, n.ID)) {
			t.Error("a refused revision operation changed the note")
		}
	})
}

func TestStore_Subscribe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s := MustOpenStore(t)
	sub := s.Subscribe()
	defer sub.Close()

	n := MustCreateNote(t, s, "n", "a")
	pid := n.Paragraphs[0].ID
	text := "b"
	if _, err := s.UpdateParagraph(ctx, n.ID, pid, notebooks.ParagraphUpdate{Text: &text}); err != nil {
		t.Fatal(err)
	}
	// A refused operation commits nothing and publishes nothing.
	if err := s.MoveParagraph(ctx, n.ID, pid, 5); err == nil {
		t.Fatal("out-of-range move accepted")
	}
	if err := s.DeleteParagraph(ctx, n.ID, pid); err != nil {
		t.Fatal(err)
	}
	want := []notebooks.Change{
		{Seq: 1, Kind: notebooks.ChangeNoteCreated, NoteID: n.ID},
		{Seq: 2, Kind: notebooks.ChangeParagraphUpdated, NoteID: n.ID, ParagraphID: pid},
		{Seq: 3, Kind: notebooks.ChangeParagraphDeleted, NoteID: n.ID, ParagraphID: pid},
	}
	for _, w := range want {
		got, err := sub.Next(ctx)
		if err != nil || got != w {
			t.Fatalf("change = %+v, %v; want %+v", got, err, w)
		}
	}

	// The change is visible to readers by the time it is published.
	sub2 := s.Subscribe()
	defer sub2.Close()
	done := make(chan error, 1)
	go func() {
		c, err := sub2.Next(ctx)
		if err == nil {
			var p *notebooks.Paragraph
			p, err = s.FindParagraph(ctx, c.NoteID, c.ParagraphID)
			if err == nil && p.Text != "published" {
				err = fmt.Errorf("reader saw %q after the change event", p.Text)
			}
		}
		done <- err
	}()
	text = "published"
	p, err := s.AddParagraph(ctx, n.ID, notebooks.ParagraphCreate{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	_ = p
}

func TestStore_ConcurrentParagraphEdits(t *testing.T) {
	const writers, edits = 50, 20
	ctx := context.Background()
	s := MustOpenStore(t)
	initial := make([]string, writers)
	for i := range initial {
		initial[i] = "start"
	}
	n := MustCreateNote(t, s, "busy", initial...)

	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pid := n.Paragraphs[w].ID
			for e := range edits {
				text := fmt.Sprintf("writer %d edit %d", w, e)
				var err error
				if e%2 == 0 {
					_, err = s.UpdateParagraph(ctx, n.ID, pid, notebooks.ParagraphUpdate{Text: &text})
				} else {
					prog := e
					_, err = s.UpdateParagraphRun(ctx, n.ID, pid, notebooks.RunUpdate{Progress: &prog})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got, err := s.FindNoteByID(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	for w, p := range got.Paragraphs {
		if want := fmt.Sprintf("writer %d edit %d", w, edits-2); p.Text != want || p.Progress != edits-1 {
			t.Errorf("paragraph %d = %q progress %d; want %q progress %d", w, p.Text, p.Progress, want, edits-1)
		}
	}
}

// TestStore_FindNoteJSON checks that the assembled JSON is byte for byte
// what Note.MarshalJSON writes for the decoded note.
func TestStore_FindNoteJSON(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	var ids []string
	for _, fx := range notebookstest.MustFixtures(t) {
		n, err := notebooks.ImportZeppelin(fx.Data, "")
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.ImportNote(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, stored.ID)
	}
	odd, err := notebooks.ImportZeppelin([]byte(`{"name":"odd <&>","id":"x","path":7,"future":{"b":[1.50]},"config":[1],
		"paragraphs":[{"id":"p1","title":"","dateUpdated":"whenever","extra":null}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := s.ImportNote(ctx, odd)
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, stored.ID, MustCreateNote(t, s, "empty").ID)
	group := "python"
	if _, err := s.UpdateNote(ctx, stored.ID, notebooks.NoteUpdate{DefaultInterpreterGroup: &group, Config: map[string]any{"k": "v"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MoveNote(ctx, stored.ID, "moved/here"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		n, err := s.FindNoteByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		want, err := n.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.FindNoteJSON(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("note %s:\n got %s\nwant %s", id, notebookstest.Snippet(got), notebookstest.Snippet(want))
		}
	}
	_, err = s.FindNoteJSON(ctx, "2AAAAAAAA")
	wantCode(t, err, eddy.ENOTFOUND)
}

// TestStore_AbortInterrupted: paragraphs left PENDING or RUNNING become
// ABORT with why appended to their output (kept); others are untouched.
func TestStore_AbortInterrupted(t *testing.T) {
	ctx := context.Background()
	s := MustOpenStore(t)
	n := MustCreateNote(t, s, "n", "running", "pending", "finished")
	set := func(i int, st notebooks.Status, msgs ...notebooks.ResultMessage) {
		res := &notebooks.Result{Code: notebooks.ResultSuccess, Msg: msgs}
		if _, err := s.UpdateParagraphRun(ctx, n.ID, n.Paragraphs[i].ID, notebooks.RunUpdate{Status: &st, Results: res}); err != nil {
			t.Fatal(err)
		}
	}
	set(0, notebooks.StatusRunning, notebooks.ResultMessage{Type: notebooks.MessageTable, Data: "n\n7\n"})
	set(1, notebooks.StatusPending)
	set(2, notebooks.StatusFinished, notebooks.ResultMessage{Type: notebooks.MessageText, Data: "done"})
	got, err := s.AbortInterrupted(ctx, "Eddy restarted")
	if err != nil || got != 2 {
		t.Fatalf("AbortInterrupted = %d, %v; want 2", got, err)
	}
	ps, _ := s.ListParagraphs(ctx, n.ID)
	if p := ps[0]; p.Status != notebooks.StatusAbort || p.ErrorMessage != "Eddy restarted" || len(p.Results.Msg) != 2 ||
		p.Results.Msg[0].Data != "n\n7\n" || p.Results.Msg[1].Data != "Eddy restarted" || p.DateFinished.IsZero() {
		t.Fatalf("running paragraph after: %+v", p)
	}
	if p := ps[1]; p.Status != notebooks.StatusAbort || len(p.Results.Msg) != 1 {
		t.Fatalf("pending paragraph after: %+v", p)
	}
	if p := ps[2]; p.Status != notebooks.StatusFinished || len(p.Results.Msg) != 1 {
		t.Fatalf("finished paragraph after: %+v", p)
	}
	if again, _ := s.AbortInterrupted(ctx, "x"); again != 0 {
		t.Fatalf("a second pass aborted %d", again)
	}
}

// TestStore_SpaceComesBack: purging a note with large revisions gives the
// space back: the database file shrinks at once and, after a restart, the
// WAL is empty (it once kept hundreds of MB across restarts).
func TestStore_SpaceComesBack(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	big := strings.Repeat("x", 4<<20)
	n := MustCreateNote(t, s, "big", big)
	for i := 0; i < 3; i++ {
		if _, err := s.UpdateParagraph(ctx, n.ID, n.Paragraphs[0].ID, notebooks.ParagraphUpdate{Text: func(s string) *string { return &s }(big + strconv.Itoa(i))}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CheckpointNote(ctx, n.ID, "r"+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.w.Exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
		t.Fatal(err)
	}
	full := size(path)
	if full < 12<<20 {
		t.Fatalf("database %d bytes with three 4 MB revisions", full)
	}
	for range 2 { // to the trash, then for good
		if _, err := s.DeleteNote(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
	}
	if after := size(path); after > full/4 {
		t.Fatalf("database %d bytes after the purge, was %d: the pages were not given back", after, full)
	}
	// Killed rather than closed: the WAL is left as it is.
	_ = s.closeDBs()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if wal := size(path + "-wal"); wal > 1<<20 {
		t.Fatalf("WAL %d bytes after a restart", wal)
	}
}
