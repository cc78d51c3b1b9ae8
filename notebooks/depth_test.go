package notebooks

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks/notebookstest"
)

func TestCheckDepth(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	for _, tt := range []struct {
		name, doc string
		ok        bool
	}{
		{"Flat", `{"a":1,"b":[1,2]}`, true},
		{"AtTheLimit", nest(MaxJSONDepth), true},
		{"PastTheLimit", nest(MaxJSONDepth + 1), false},
		{"ObjectsCount", strings.Repeat(`{"a":`, MaxJSONDepth+1) + "1" + strings.Repeat("}", MaxJSONDepth+1), false},
		{"BracketsInStrings", `{"a":"` + strings.Repeat("[{", 500) + `\"[[["}`, true},
		{"SiblingsDoNotAdd", strings.Repeat(nest(MaxJSONDepth), 50), true},
	} {
		err := CheckDepth("doc", []byte(tt.doc))
		if (err == nil) != tt.ok || err != nil && eddy.ErrorCode(err) != eddy.EINVALID {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// TestExport_LinearInNesting: an export indents only the top levels, so a
// note with deeply nested config exports at a few times its stored size
// (indenting every level made a 300 KB note a 1 GB export), and it stays
// the same JSON: compacted, it is the stored document again.
func TestExport_LinearInNesting(t *testing.T) {
	deep := map[string]any{}
	cur := deep
	for range MaxJSONDepth - 8 {
		next := map[string]any{}
		cur["k"] = []any{1, 2, next}
		cur = next
	}
	var cfg []any
	for range 200 {
		cfg = append(cfg, deep)
	}
	n := &Note{ID: "2ABCDEFGH", Name: "deep", Path: "/deep", Paragraphs: []*Paragraph{{ID: "paragraph_1_1", Text: "x", Status: StatusReady,
		Config: map[string]any{"deep": cfg}}}}
	compact, err := n.encodeFile()
	if err != nil {
		t.Fatal(err)
	}
	out, err := ExportZeppelin(n)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > 3*len(compact) {
		t.Fatalf("export %d bytes for a %d-byte note", len(out), len(compact))
	}
	var again bytes.Buffer
	if err := json.Compact(&again, out); err != nil || !bytes.Equal(again.Bytes(), compact) {
		t.Fatalf("the export is not the note's JSON: %v", err)
	}
	// Real notes read the same after an export as before.
	for _, fx := range notebookstest.MustFixtures(t) {
		n, err := ImportZeppelin(fx.Data, "")
		if err != nil {
			t.Fatal(err)
		}
		out, err := ExportZeppelin(n)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ImportZeppelin(out, "")
		if err != nil {
			t.Fatalf("%s: the export does not import: %v", fx.Name, err)
		}
		a, _ := back.encodeFile()
		b, _ := n.encodeFile()
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: not the same note after export and import", fx.Name)
		}
	}
}

// TestImport_TextKeptOrRefused: a paragraph text that is a number or a
// boolean is kept as written (it used to become empty); an object is
// refused; a null file is refused (it used to import "Untitled Note").
func TestImport_TextKeptOrRefused(t *testing.T) {
	n, err := ImportZeppelin([]byte(`{"name":"x","paragraphs":[{"text":42},{"text":true},{"text":null}]}`), "")
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{n.Paragraphs[0].Text, n.Paragraphs[1].Text, n.Paragraphs[2].Text}; got[0] != "42" || got[1] != "true" || got[2] != "" {
		t.Fatalf("texts %q", got)
	}
	for _, doc := range []string{`{"name":"x","paragraphs":[{"text":{"a":1}}]}`, `{"name":"x","paragraphs":[{"text":["a"]}]}`, `null`} {
		if _, err := ImportZeppelin([]byte(doc), ""); eddy.ErrorCode(err) != eddy.EINVALID {
			t.Errorf("%s: %v, want a refusal", doc, err)
		}
	}
}
