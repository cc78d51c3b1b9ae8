package notebooks_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/notebooks/notebookstest"
)

func TestImportZeppelin_Fixtures(t *testing.T) {
	for _, fx := range notebookstest.MustFixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			n, err := notebooks.ImportZeppelin(fx.Data, "")
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			raw := notebookstest.MustDecode(t, fx.Data).(map[string]any)
			rawParas := raw["paragraphs"].([]any)
			if len(n.Paragraphs) != len(rawParas) {
				t.Fatalf("paragraphs = %d, want %d", len(n.Paragraphs), len(rawParas))
			}
			if n.ID != raw["id"] || n.Name != raw["name"] || n.Path != "/"+raw["name"].(string) {
				t.Errorf("id, name, path = %q, %q, %q; file has id %v, name %v", n.ID, n.Name, n.Path, raw["id"], raw["name"])
			}
			// Texts, titles, configs and results survive exactly (numbers as written).
			for i, p := range n.Paragraphs {
				rp := rawParas[i].(map[string]any)
				if p.ID != rp["id"] {
					t.Errorf("paragraph %d id = %q, want %v", i, p.ID, rp["id"])
				}
				if want, _ := rp["text"].(string); p.Text != want {
					t.Errorf("paragraph %d text differs:\n got %q\nwant %q", i, p.Text, want)
				}
				if want, _ := rp["title"].(string); p.Title != want {
					t.Errorf("paragraph %d title = %q, want %q", i, p.Title, want)
				}
				for _, f := range []struct {
					key string
					got any
				}{{"config", p.Config}, {"results", p.Results}, {"settings", p.Settings}, {"runtimeInfos", p.RuntimeInfos}} {
					want, present := rp[f.key]
					if !present {
						continue
					}
					if g, w := notebookstest.MustCanonical(t, f.got), notebookstest.MustCanonical(t, want); g != w {
						t.Errorf("paragraph %d %s differs:\n got %s\nwant %s", i, f.key, g, w)
					}
				}
			}

			// The export holds everything the file held (Zeppelin drops
			// info.isRunning on load, and so does Eddy).
			exported, err := notebooks.ExportZeppelin(n)
			if err != nil {
				t.Fatalf("export: %v", err)
			}
			if info, isMap := raw["info"].(map[string]any); isMap {
				delete(info, "isRunning")
			}
			if g, w := notebookstest.MustCanonical(t, notebookstest.MustDecode(t, exported)), notebookstest.MustCanonical(t, raw); g != w {
				t.Errorf("export differs from the fixture:\n got %s\nwant %s", firstDiff(g, w), firstDiff(w, g))
			}

			// export → import → export is stable, byte for byte.
			n2, err := notebooks.ImportZeppelin(exported, "")
			if err != nil {
				t.Fatalf("re-import: %v", err)
			}
			again, err := notebooks.ExportZeppelin(n2)
			if err != nil {
				t.Fatalf("re-export: %v", err)
			}
			if !bytes.Equal(exported, again) {
				t.Errorf("export → import → export changed the document:\n%s\n%s", firstDiff(string(exported), string(again)), firstDiff(string(again), string(exported)))
			}
			if bytes.Contains(exported, []byte(`"path"`)) && !bytes.Contains(fx.Data, []byte(`"path"`)) {
				t.Error("export writes a path field; Zeppelin note files have none")
			}
		})
	}
}

func TestImportZeppelin_Lenient(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		notePath string
		check    func(t *testing.T, n *notebooks.Note)
	}{
		{
			name: "MissingFields",
			file: `{"paragraphs":[{"text":"%md hi"}],"name":"Bare"}`,
			check: func(t *testing.T, n *notebooks.Note) {
				p := n.Paragraphs[0]
				if n.Path != "/Bare" || n.DefaultInterpreterGroup != "" || p.Status != notebooks.StatusReady || !notebooks.ValidParagraphID(p.ID) {
					t.Errorf("got path %q group %q status %q id %q", n.Path, n.DefaultInterpreterGroup, p.Status, p.ID)
				}
			},
		},
		{
			name: "NoNameNoParagraphs",
			file: `{}`,
			check: func(t *testing.T, n *notebooks.Note) {
				if n.Path != notebooks.UntitledPath || len(n.Paragraphs) != 0 {
					t.Errorf("path %q, %d paragraphs", n.Path, len(n.Paragraphs))
				}
			},
		},
		{
			name: "DoublesWhereIntsExpected",
			file: `{"name":"n","paragraphs":[{"id":"paragraph_1_2","progress":42.0,"progressUpdateIntervalMs":500.0,"config":{"colWidth":12.0}}]}`,
			check: func(t *testing.T, n *notebooks.Note) {
				p := n.Paragraphs[0]
				if p.Progress != 42 || p.ProgressUpdateIntervalMs != 500 {
					t.Errorf("progress %d interval %d", p.Progress, p.ProgressUpdateIntervalMs)
				}
				if got := p.Config["colWidth"]; got != json.Number("12.0") {
					t.Errorf("colWidth = %#v, want 12.0 kept as written", got)
				}
			},
		},
		{
			name: "ConfigResultsAsArray",
			file: `{"name":"n","paragraphs":[{"id":"p1","config":{"results":[{"graph":{"mode":"table"}},{"graph":{"mode":"pieChart"}}]}}]}`,
			check: func(t *testing.T, n *notebooks.Note) {
				res, isObject := n.Paragraphs[0].Config["results"].(map[string]any)
				if !isObject || len(res) != 2 || res["1"].(map[string]any)["graph"].(map[string]any)["mode"] != "pieChart" {
					t.Errorf("config.results = %#v, want an object keyed 0, 1", n.Paragraphs[0].Config["results"])
				}
			},
		},
		{
			name: "OldParagraphIDStyles",
			file: `{"name":"n","paragraphs":[{"id":"20150210-015302_1492795503"},{"id":"paragraph_1578909960516_-1812187661"},{"id":"bad id/with slash"},{"id":"20150210-015302_1492795503"}]}`,
			check: func(t *testing.T, n *notebooks.Note) {
				ids := []string{n.Paragraphs[0].ID, n.Paragraphs[1].ID}
				if ids[0] != "20150210-015302_1492795503" || ids[1] != "paragraph_1578909960516_-1812187661" {
					t.Errorf("old ids not kept: %v", ids)
				}
				if id := n.Paragraphs[2].ID; !strings.HasPrefix(id, "paragraph_") {
					t.Errorf("malformed id not replaced: %q", id)
				}
				if id := n.Paragraphs[3].ID; id == ids[0] || !notebooks.ValidParagraphID(id) {
					t.Errorf("repeated id not replaced: %q", id)
				}
			},
		},
		{
			name: "PreZeppelin09NoteJSON",
			file: `{"paragraphs":[{"text":"%sql select 1","config":{"graph":{"mode":"table","height":300.0}},"result":{"code":"SUCCESS","type":"TABLE","msg":"a\tb\n1\t2\n"},"id":"20150210-015302_1492795503","status":"RUNNING","dateCreated":"Feb 10, 2015 1:53:02 AM"}],"name":"dir/sub/My note","id":"2A94M5J1Z","angularObjects":{"2C6WUGPNH:shared_process":[]},"config":{"looknfeel":"default"},"info":{}}`,
			check: func(t *testing.T, n *notebooks.Note) {
				if n.Path != "/dir/sub/My note" || n.Name != "My note" || n.ID != "2A94M5J1Z" {
					t.Errorf("path %q name %q id %q", n.Path, n.Name, n.ID)
				}
				p := n.Paragraphs[0]
				if p.Status != notebooks.StatusAbort {
					t.Errorf("RUNNING on load became %q, want ABORT", p.Status)
				}
				if p.Results == nil || p.Results.Code != "SUCCESS" || len(p.Results.Msg) != 1 || p.Results.Msg[0].Type != "TABLE" {
					t.Errorf("legacy result not converted: %+v", p.Results)
				}
				if _, stale := p.Config["graph"]; stale || p.Config["results"] == nil {
					t.Errorf("config.graph not moved to config.results: %v", p.Config)
				}
				if got := p.DateCreated.String(); got != "2015-02-10 01:53:02.000" {
					t.Errorf("dateCreated = %q", got)
				}
			},
		},
		{
			name:     "NotePathParameterWins",
			file:     `{"name":"ignored","path":"/also/ignored"}`,
			notePath: "team/etl",
			check: func(t *testing.T, n *notebooks.Note) {
				if n.Path != "/team/etl" || n.Name != "etl" {
					t.Errorf("path %q name %q", n.Path, n.Name)
				}
			},
		},
		{
			name: "UnknownFieldsAndOddValuesKept",
			file: `{"name":"n","future":{"x":1},"paragraphs":[{"id":"p1","dateUpdated":"sometime last week","newThing":[1,2.50],"status":"PENDING"}]}`,
			check: func(t *testing.T, n *notebooks.Note) {
				out, err := notebooks.ExportZeppelin(n)
				if err != nil {
					t.Fatal(err)
				}
				for _, want := range []string{`"future": {`, `"dateUpdated": "sometime last week"`, `2.50`, `"status": "ABORT"`} {
					if !strings.Contains(string(out), want) {
						t.Errorf("export lacks %s:\n%s", want, out)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := notebooks.ImportZeppelin([]byte(tt.file), tt.notePath)
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			tt.check(t, n)
		})
	}
}

func TestImportZeppelin_Errors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want string // in the user-facing message
	}{
		{"Empty", "  ", "empty"},
		{"Malformed", "{\"name\": \"x\",\n \"paragraphs\": [}", "byte offset 31 (line 2, column 17)"},
		{"Truncated", `{"name": "x", "paragraphs": [`, "malformed JSON"},
		{"NotAnObject", `[1, 2]`, "must be a JSON object, not a JSON array"},
		{"ParagraphsNotArray", `{"paragraphs": "none"}`, "paragraphs must be an array"},
		{"Jupyter", `{"cells": [], "metadata": {}}`, "Jupyter"},
		{"DotDotPath", `{"name": "../etc/passwd"}`, "'..'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := notebooks.ImportZeppelin([]byte(tt.file), "")
			if eddy.ErrorCode(err) != eddy.EINVALID {
				t.Fatalf("err = %v (code %q), want EINVALID", err, eddy.ErrorCode(err))
			}
			if msg := eddy.ErrorMessage(err) + " " + err.Error(); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q does not mention %q", msg, tt.want)
			}
		})
	}
}

// firstDiff returns a window of a around the first byte where a and b differ.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo, hi := max(0, i-80), min(len(a), i+80)
	return "…" + a[lo:hi] + "…"
}
