package kernel_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/notebooks/sqlite"
)

// TestRun_FormValues: what a run substitutes for each form, given the values
// stored in settings.params and noteParams and the forms recorded beside
// them. A value recorded equal to its form's default then (as Zeppelin
// records every value on each run) is the default, and a later default in
// the text wins; a value set in a widget against another default is a
// choice and runs, whatever the text's default becomes.
func TestRun_FormValues(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "eddy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n, err := store.CreateNote(ctx, notebooks.NoteCreate{Path: "forms", Paragraphs: []notebooks.ParagraphCreate{
		{Text: "%md\nn=${n=10} c=${c=red,red|green|blue} k=${checkbox:k=b,a|b|c} t=${t=new} g=$${g=y}"}}})
	if err != nil {
		t.Fatal(err)
	}
	pid := n.Paragraphs[0].ID
	// As a Zeppelin note records them after a run with the old defaults
	// (n=5, k=a, g=x) and a chosen colour.
	zeppelinForm := func(def any) map[string]any { return map[string]any{"type": "TextBox", "defaultValue": def} }
	if _, err := store.UpdateParagraph(ctx, n.ID, pid, notebooks.ParagraphUpdate{
		Params: map[string]any{"n": "5", "c": "green", "k": []any{"a"}, "t": "kept"},
		FormsPatch: map[string]any{"n": zeppelinForm("5"), "c": zeppelinForm("red"), "k": zeppelinForm([]any{"a"}),
			"t": zeppelinForm("old")},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.UpdateNote(ctx, n.ID, notebooks.NoteUpdate{
		NoteParams: map[string]any{"g": "x"}, NoteForms: map[string]any{"g": zeppelinForm("x")},
	}); err != nil {
		t.Fatal(err)
	}
	run := func() string {
		t.Helper()
		cfg := kernel.Config{NoteID: n.ID, Store: store, Cluster: kernel.NewCluster(kernel.ModeRemote, "http://127.0.0.1:1", "http://127.0.0.1:1")}
		if err := kernel.RunWithoutSession(ctx, cfg, pid); err != nil {
			t.Fatal(err)
		}
		p, err := store.FindParagraph(ctx, n.ID, pid)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != notebooks.StatusFinished || p.Results == nil || len(p.Results.Msg) != 1 {
			t.Fatalf("run: %s %+v", p.Status, p.Results)
		}
		return p.Results.Msg[0].Data
	}

	t.Run("RecordedDefaultsGiveWayToTheText", func(t *testing.T) {
		if got, want := run(), "n=10 c=green k=b t=kept g=y"; !strings.Contains(got, want) {
			t.Fatalf("ran %q, want %q", got, want)
		}
	})
	t.Run("ValueSetInAWidgetRuns", func(t *testing.T) {
		// The user picks 5 again, now against the default 10: a choice.
		text := "n=${n=10}"
		forms, err := kernel.RecordForms(text, []string{"n"}, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.UpdateParagraph(ctx, n.ID, pid, notebooks.ParagraphUpdate{
			ParamsPatch: map[string]any{"n": "5"}, FormsPatch: forms}); err != nil {
			t.Fatal(err)
		}
		if got, want := run(), "n=5 c=green"; !strings.Contains(got, want) {
			t.Fatalf("ran %q, want %q", got, want)
		}
	})
	t.Run("NullReturnsToTheDefault", func(t *testing.T) {
		if _, err := store.UpdateParagraph(ctx, n.ID, pid, notebooks.ParagraphUpdate{ParamsPatch: map[string]any{"n": nil}}); err != nil {
			t.Fatal(err)
		}
		if got, want := run(), "n=10 c=green"; !strings.Contains(got, want) {
			t.Fatalf("ran %q, want %q", got, want)
		}
	})
}
