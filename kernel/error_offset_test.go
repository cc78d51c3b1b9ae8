package kernel_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// TestKernel_ErrorStatementOffset runs paragraphs whose second statement
// Flink refuses, on the real cluster: the live state says where that
// statement starts in the paragraph text, and Flink's "line L, column C",
// counted from there, lands on the word it names.
func TestKernel_ErrorStatementOffset(t *testing.T) {
	f := newFixture(t)
	parse := "%flink.ssql\n\nCREATE TEMPORARY VIEW ok_view AS SELECT 1 AS a;\n  SELECT a\n  FORM ok_view;\n"
	validate := "%flink.ssql\nCREATE TEMPORARY VIEW v2 AS SELECT 1 AS a;\nSELECT a,\n       nope\nFROM v2;\n"
	filled := "%flink.ssql\nSELECT ${col=a}\nFORM (VALUES (1)) AS t(a);\n"
	n, k := f.note(parse, validate, filled)
	pos := regexp.MustCompile(`line (\d+), column (\d+)`)

	// wordAt returns the word at 1-based line and column counted from start.
	wordAt := func(text string, start int, line, col int) string {
		lines := strings.Split(text[start:], "\n")
		if line > len(lines) {
			return ""
		}
		l := lines[line-1]
		if col-1 > len(l) {
			return ""
		}
		w := l[col-1:]
		if i := strings.IndexAny(w, " ;,\n"); i >= 0 {
			w = w[:i]
		}
		return w
	}

	for i, tc := range []struct {
		name, text, word string
	}{
		{"parse error", parse, "ok_view"},
		{"validation error", validate, "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := f.run(n, k, i)
			if p.Status != notebooks.StatusError {
				t.Fatalf("status %s", p.Status)
			}
			l, _ := k.Live(n.Paragraphs[i].ID)
			if l.ErrorOffset == nil {
				t.Fatalf("no errorStatementOffset; error %q", l.ErrorMessage)
			}
			want := strings.Index(tc.text, "SELECT a")
			if *l.ErrorOffset != want {
				t.Fatalf("errorStatementOffset = %d, want %d (the second statement)", *l.ErrorOffset, want)
			}
			m := pos.FindStringSubmatch(l.ErrorMessage)
			if m == nil {
				t.Fatalf("no line and column in %q", l.ErrorMessage)
			}
			line, _ := strconv.Atoi(m[1])
			col, _ := strconv.Atoi(m[2])
			if got := wordAt(tc.text, *l.ErrorOffset, line, col); got != tc.word {
				t.Fatalf("line %d, column %d from the statement is %q, want %q (error %q)", line, col, got, tc.word, l.ErrorMessage)
			}
			// Saved with the result, for the text that ran.
			at, _ := p.Config[kernel.ConfigErrorAt].(map[string]any)
			if fmt.Sprint(at["offset"]) != strconv.Itoa(want) || at["textHash"] != kernel.TextHash(tc.text) {
				t.Fatalf("saved %s = %v, want offset %d and hash %s", kernel.ConfigErrorAt, p.Config[kernel.ConfigErrorAt], want, kernel.TextHash(tc.text))
			}
		})
	}

	t.Run("a run that succeeds forgets the position", func(t *testing.T) {
		fixed := "%flink.ssql\nSELECT a FROM ok_view;"
		if _, err := f.store.UpdateParagraph(context.Background(), n.ID, n.Paragraphs[0].ID, notebooks.ParagraphUpdate{Text: &fixed}); err != nil {
			t.Fatal(err)
		}
		p := f.run(n, k, 0)
		if p.Status != notebooks.StatusFinished {
			t.Fatalf("status %s: %s", p.Status, p.ErrorMessage)
		}
		if p.Config[kernel.ConfigErrorAt] != nil {
			t.Fatalf("%s = %v after a run that succeeded", kernel.ConfigErrorAt, p.Config[kernel.ConfigErrorAt])
		}
	})

	t.Run("forms filled in: no offset", func(t *testing.T) {
		p := f.run(n, k, 2)
		if p.Status != notebooks.StatusError {
			t.Fatalf("status %s", p.Status)
		}
		if l, _ := k.Live(n.Paragraphs[2].ID); l.ErrorOffset != nil {
			t.Fatalf("errorStatementOffset = %d for a text with forms filled in", *l.ErrorOffset)
		}
	})
}
