package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/kernel/connectors"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/notebooks/notebookstest"
	"github.com/eddy-notebooks/eddy/notebooks/sqlite"
)

const testToken = "test-token-0123456789"

// testServer is a real Server on 127.0.0.1:0 over a real SQLite file.
type testServer struct {
	*Server
	store  *sqlite.Store
	client *http.Client
}

// MustOpenServer starts a server with a fresh store and fake sessions
// (unless configure sets other ones); both stop at cleanup. Every API
// response it gives is checked against server/openapi.json.
func MustOpenServer(tb testing.TB, configure ...func(*Config)) *testServer {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), sqlite.FileName))
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	cfg := Config{
		Addr:       "127.0.0.1:0",
		Token:      testToken,
		Notes:      store,
		Access:     access.NewStore(store),
		Sessions:   newFakeSessions(),
		Cluster:    fakeCluster{},
		Connectors: &connectors.Service{Dir: filepath.Join(tb.TempDir(), "connectors")},
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, f := range configure {
		f(&cfg)
	}
	if fs, isFake := cfg.Sessions.(*fakeSessions); isFake && fs.notes == nil {
		fs.notes = store
	}
	s, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	s.echo.Use(validateResponses(tb))
	if err := s.Open(); err != nil {
		_ = store.Close()
		tb.Fatalf("open server: %v", err)
	}
	ts := &testServer{Server: s, store: store, client: &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
	}}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			tb.Errorf("close server: %v", err)
		}
		if err := store.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	return ts
}

// apiResponse is a decoded Zeppelin envelope plus the HTTP status.
type apiResponse struct {
	Code    int             `json:"-"`
	Status  string          `json:"status"`
	Message string          `json:"message"`
	Body    json.RawMessage `json:"body"`
	ErrCode string          `json:"code"`
	Details json.RawMessage `json:"details"`
}

// do sends a request with the Bearer token. body is sent as is when it is a
// string or []byte, else encoded as JSON; nil sends no body.
func (ts *testServer) do(tb testing.TB, method, path string, body any) apiResponse {
	tb.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		r = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, ts.URL()+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	req.Header.Set("Content-Type", "application/json")
	return ts.send(tb, req)
}

func (ts *testServer) send(tb testing.TB, req *http.Request) apiResponse {
	tb.Helper()
	resp, err := ts.client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	var out apiResponse
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("%s %s: answer is not an envelope: %v\n%s", req.Method, req.URL.Path, err, notebookstest.Snippet(raw))
	}
	out.Code = resp.StatusCode
	return out
}

// mustOK checks for a 200 OK envelope and decodes its body into v (if not nil).
func (r apiResponse) mustOK(tb testing.TB, v any) {
	tb.Helper()
	if r.Code != http.StatusOK || r.Status != "OK" {
		tb.Fatalf("got %d %s %q, want 200 OK", r.Code, r.Status, r.Message)
	}
	if v != nil {
		if err := json.Unmarshal(r.Body, v); err != nil {
			tb.Fatalf("decode body: %v\n%s", err, notebookstest.Snippet(r.Body))
		}
	}
}

// mustFail checks for an error envelope with the given HTTP status whose
// message mentions want.
func (r apiResponse) mustFail(tb testing.TB, code int, want string) {
	tb.Helper()
	if r.Code != code || r.Status != statusName(code) {
		tb.Fatalf("got %d %s %q, want %d %s", r.Code, r.Status, r.Message, code, statusName(code))
	}
	if !strings.Contains(r.Message, want) {
		tb.Fatalf("message %q does not mention %q", r.Message, want)
	}
}

func (ts *testServer) mustCreateNote(tb testing.TB, name string, texts ...string) string {
	tb.Helper()
	req := map[string]any{"name": name}
	var ps []map[string]any
	for _, t := range texts {
		ps = append(ps, map[string]any{"text": t})
	}
	if ps != nil {
		req["paragraphs"] = ps
	}
	var id string
	ts.do(tb, http.MethodPost, "/api/notebook", req).mustOK(tb, &id)
	return id
}

func (ts *testServer) mustGetNote(tb testing.TB, id string) *notebooks.Note {
	tb.Helper()
	var n notebooks.Note
	ts.do(tb, http.MethodGet, "/api/notebook/"+id, nil).mustOK(tb, &n)
	return &n
}

// snapshot is the whole stored state, read from the database: every note as
// a .zpln document with its path, and every note's revisions.
func (ts *testServer) snapshot(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	list, err := ts.store.ListNotes(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	var b strings.Builder
	for _, info := range list {
		n, err := ts.store.FindNoteByID(ctx, info.ID)
		if err != nil {
			tb.Fatal(err)
		}
		doc, err := notebooks.ExportZeppelin(n)
		if err != nil {
			tb.Fatal(err)
		}
		revs, err := ts.store.ListRevisions(ctx, info.ID)
		if err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %s\n%s\n%s\n", info.ID, info.Path, doc, notebookstest.MustCanonical(tb, revs))
	}
	return b.String()
}

func paragraphTexts(n *notebooks.Note) []string {
	var out []string
	for _, p := range n.Paragraphs {
		out = append(out, p.Text)
	}
	return out
}

func TestNotebookAPI_Notes(t *testing.T) {
	ts := MustOpenServer(t)

	t.Run("Create", func(t *testing.T) {
		var id string
		ts.do(t, http.MethodPost, "/api/notebook", `{"name": "team/etl/Orders", "paragraphs": [
			{"title": "DDL", "text": "%flink.ssql\nCREATE TABLE t (a INT)"},
			{"text": "%md hi", "config": {"colWidth": 6.0, "title": true}}]}`).mustOK(t, &id)
		if !notebooks.ValidNoteID(id) {
			t.Fatalf("id %q is not a Zeppelin note id", id)
		}
		n := ts.mustGetNote(t, id)
		if n.Path != "/team/etl/Orders" || n.Name != "Orders" || n.DefaultInterpreterGroup != "flink" {
			t.Errorf("note = path %q name %q group %q", n.Path, n.Name, n.DefaultInterpreterGroup)
		}
		if !slices.Equal(paragraphTexts(n), []string{"%flink.ssql\nCREATE TABLE t (a INT)", "%md hi"}) || n.Paragraphs[0].Title != "DDL" {
			t.Errorf("paragraphs = %v", paragraphTexts(n))
		}
		if got := n.Paragraphs[1].Config["colWidth"]; got != json.Number("6.0") && fmt.Sprint(got) != "6" {
			t.Errorf("colWidth = %#v", got)
		}
	})
	t.Run("CreateWithoutBody", func(t *testing.T) {
		var id string
		ts.do(t, http.MethodPost, "/api/notebook", nil).mustOK(t, &id)
		if n := ts.mustGetNote(t, id); n.Path != notebooks.UntitledPath || len(n.Paragraphs) != 0 {
			t.Errorf("note = %q with %d paragraphs", n.Path, len(n.Paragraphs))
		}
		var id2 string
		ts.do(t, http.MethodPost, "/api/notebook", `{"name":"e","addingEmptyParagraph":true}`).mustOK(t, &id2)
		if n := ts.mustGetNote(t, id2); len(n.Paragraphs) != 1 {
			t.Errorf("addingEmptyParagraph gave %d paragraphs", len(n.Paragraphs))
		}
	})
	t.Run("List", func(t *testing.T) {
		id := ts.mustCreateNote(t, "listed")
		var list []notebooks.NoteInfo
		ts.do(t, http.MethodGet, "/api/notebook", nil).mustOK(t, &list)
		if !slices.Contains(list, notebooks.NoteInfo{ID: id, Path: "/listed", Name: "listed"}) {
			t.Errorf("list %+v lacks %s", list, id)
		}
	})
	t.Run("Rename", func(t *testing.T) {
		id := ts.mustCreateNote(t, "before")
		ts.do(t, http.MethodPut, "/api/notebook/"+id+"/rename", `{"name":"moved/after"}`).mustOK(t, nil)
		if n := ts.mustGetNote(t, id); n.Path != "/moved/after" || n.Name != "after" {
			t.Errorf("renamed note = %q %q", n.Path, n.Name)
		}
	})
	t.Run("Clone", func(t *testing.T) {
		id := ts.mustCreateNote(t, "original", "a", "b")
		var c1, c2 string
		ts.do(t, http.MethodPost, "/api/notebook/"+id, nil).mustOK(t, &c1)
		ts.do(t, http.MethodPost, "/api/notebook/"+id, `{"name":"copies/mine"}`).mustOK(t, &c2)
		n1, n2 := ts.mustGetNote(t, c1), ts.mustGetNote(t, c2)
		if c1 == id || n1.Path != "/Cloned Note_"+id || n2.Path != "/copies/mine" || !slices.Equal(paragraphTexts(n2), []string{"a", "b"}) {
			t.Errorf("clones = %s %q, %s %q %v", c1, n1.Path, c2, n2.Path, paragraphTexts(n2))
		}
	})
	t.Run("DeleteMovesToTrashThenDeletes", func(t *testing.T) {
		id := ts.mustCreateNote(t, "f/doomed", "x")
		ts.do(t, http.MethodDelete, "/api/notebook/"+id, nil).mustOK(t, nil)
		if n := ts.mustGetNote(t, id); n.Path != "/~Trash/f/doomed" || len(n.Paragraphs) != 1 {
			t.Fatalf("trashed note = %q", n.Path)
		}
		ts.do(t, http.MethodDelete, "/api/notebook/"+id, nil).mustOK(t, nil)
		ts.do(t, http.MethodGet, "/api/notebook/"+id, nil).mustFail(t, http.StatusNotFound, "No such note: "+id)
	})
}

func TestNotebookAPI_Paragraphs(t *testing.T) {
	ts := MustOpenServer(t)
	id := ts.mustCreateNote(t, "n", "b")
	base := "/api/notebook/" + id + "/paragraph"

	var pa, pc string
	ts.do(t, http.MethodPost, base, `{"title":"A","text":"a","index":0.0}`).mustOK(t, &pa)
	ts.do(t, http.MethodPost, base, `{"text":"c","config":{"editorHide":true}}`).mustOK(t, &pc)
	if n := ts.mustGetNote(t, id); !slices.Equal(paragraphTexts(n), []string{"a", "b", "c"}) {
		t.Fatalf("after adds: %v", paragraphTexts(n))
	}

	var p notebooks.Paragraph
	ts.do(t, http.MethodGet, base+"/"+pa, nil).mustOK(t, &p)
	if p.ID != pa || p.Title != "A" || p.Text != "a" || p.Status != notebooks.StatusReady {
		t.Errorf("paragraph = %+v", p)
	}

	ts.do(t, http.MethodPut, base+"/"+pa, `{"text":"%flink.ssql\nselect 1","title":"Q"}`).mustOK(t, nil)
	ts.do(t, http.MethodPut, base+"/"+pa, `{"title":"Q2"}`).mustOK(t, nil)
	ts.do(t, http.MethodGet, base+"/"+pa, nil).mustOK(t, &p)
	if p.Text != "%flink.ssql\nselect 1" || p.Title != "Q2" {
		t.Errorf("after update: %q %q", p.Text, p.Title)
	}

	var cfg notebooks.Paragraph
	ts.do(t, http.MethodPut, base+"/"+pc+"/config", `{"colWidth": 4.0, "results": {"0": {"graph": {"mode": "pieChart"}}}}`).mustOK(t, &cfg)
	if cfg.Config["editorHide"] != true || cfg.Config["colWidth"] == nil || cfg.Config["results"] == nil {
		t.Errorf("config not merged: %v", cfg.Config)
	}

	ts.do(t, http.MethodPost, base+"/"+pc+"/move/0", nil).mustOK(t, nil)
	if n := ts.mustGetNote(t, id); !slices.Equal(paragraphTexts(n), []string{"c", "%flink.ssql\nselect 1", "b"}) {
		t.Errorf("after move: %v", paragraphTexts(n))
	}
	ts.do(t, http.MethodDelete, base+"/"+pa, nil).mustOK(t, nil)
	if n := ts.mustGetNote(t, id); !slices.Equal(paragraphTexts(n), []string{"c", "b"}) {
		t.Errorf("after delete: %v", paragraphTexts(n))
	}
}

// TestNotebookAPI_Errors checks that bad requests get the right status and a
// message naming the problem, and change nothing.
func TestNotebookAPI_Errors(t *testing.T) {
	ts := MustOpenServer(t)
	id := ts.mustCreateNote(t, "n", "a", "b")
	pid := ts.mustGetNote(t, id).Paragraphs[0].ID
	var rev string
	ts.do(t, http.MethodPost, "/api/notebook/"+id+"/revision", `{"commitMessage":"v1"}`).mustOK(t, &rev)
	note := "/api/notebook/" + id
	para := note + "/paragraph/" + pid
	const missing = "2AAAAAAAA"

	tests := []struct {
		name   string
		method string
		path   string
		body   any
		code   int
		want   string
	}{
		{"CreateMalformedJSON", "POST", "/api/notebook", `{"name": "x",}`, 400, "byte offset 14"},
		{"CreateWrongType", "POST", "/api/notebook", `{"name": 5}`, 400, `field "name" must be a string`},
		{"CreateTrailingData", "POST", "/api/notebook", `{"name": "x"} {}`, 400, "data after its JSON value"},
		{"CreateBadPath", "POST", "/api/notebook", `{"name": "../x"}`, 400, "'..'"},
		{"CreateParagraphsNotArray", "POST", "/api/notebook", `{"name": "x", "paragraphs": {}}`, 400, `field "paragraphs"`},
		{"GetUnknownNote", "GET", "/api/notebook/" + missing, nil, 404, "No such note: " + missing},
		{"DeleteUnknownNote", "DELETE", "/api/notebook/" + missing, nil, 404, "No such note"},
		{"CloneUnknownNote", "POST", "/api/notebook/" + missing, nil, 404, "No such note"},
		{"CloneMalformedJSON", "POST", note, `{"name"`, 400, "malformed JSON"},
		{"CloneUnknownRevision", "POST", note, `{"name":"c","revisionId":"nope"}`, 404, "No such revision"},
		{"RenameEmpty", "PUT", note + "/rename", `{"name": ""}`, 400, "name can not be empty"},
		{"RenameNoBody", "PUT", note + "/rename", nil, 400, "request body is empty"},
		{"RenameMalformedJSON", "PUT", note + "/rename", `name=x`, 400, "malformed JSON at byte offset 2"},
		{"RenameUnknownNote", "PUT", "/api/notebook/" + missing + "/rename", `{"name":"x"}`, 404, "No such note"},
		{"ExportUnknownNote", "GET", "/api/notebook/export/" + missing, nil, 404, "No such note"},
		{"ImportMalformedJSON", "POST", "/api/notebook/import", "{\"paragraphs\": [\n{]}", 400, "line 2, column 2"},
		{"ImportJupyter", "POST", "/api/notebook/import", `{"cells": []}`, 400, "Jupyter"},
		{"ImportEmpty", "POST", "/api/notebook/import", nil, 400, "empty"},
		{"AddParagraphUnknownNote", "POST", "/api/notebook/" + missing + "/paragraph", `{"text":"x"}`, 404, "No such note"},
		{"AddParagraphMalformedJSON", "POST", note + "/paragraph", `{"text": "x"`, 400, "malformed JSON"},
		{"AddParagraphWrongType", "POST", note + "/paragraph", `{"text": ["x"]}`, 400, `field "text"`},
		{"AddParagraphIndexOutOfRange", "POST", note + "/paragraph", `{"text":"x","index":3}`, 400, "out of bounds"},
		{"AddParagraphNegativeIndex", "POST", note + "/paragraph", `{"text":"x","index":-1}`, 400, "out of bounds"},
		{"AddParagraphFractionalIndex", "POST", note + "/paragraph", `{"text":"x","index":1.5}`, 400, "whole number"},
		{"GetUnknownParagraph", "GET", note + "/paragraph/nope", nil, 404, "No such paragraph: nope"},
		{"GetParagraphOfUnknownNote", "GET", "/api/notebook/" + missing + "/paragraph/" + pid, nil, 404, "No such note"},
		{"UpdateUnknownParagraph", "PUT", note + "/paragraph/nope", `{"text":"x"}`, 404, "No such paragraph"},
		{"UpdateParagraphUnknownNote", "PUT", "/api/notebook/" + missing + "/paragraph/" + pid, `{"text":"x"}`, 404, "No such note"},
		{"UpdateParagraphNothing", "PUT", para, `{}`, 400, "nothing to update"},
		{"UpdateParagraphMalformedJSON", "PUT", para, `{"text": "x`, 400, "malformed JSON"},
		{"UpdateParagraphWrongType", "PUT", para, `{"text": 1}`, 400, `field "text" must be a string`},
		{"ConfigEmpty", "PUT", para + "/config", `{}`, 400, "config cannot be empty"},
		{"ConfigNotObject", "PUT", para + "/config", `[1]`, 400, "must be a JSON object, not a JSON array"},
		{"CreateNull", "POST", "/api/notebook", `null`, 400, "must be a JSON object, not null"},
		{"CreateNumber", "POST", "/api/notebook", `7`, 400, "must be a JSON object, not a JSON number"},
		{"CreateInTrash", "POST", "/api/notebook", `{"name":"/~Trash/x"}`, 400, "cannot be put in the trash"},
		{"CloneIntoTrash", "POST", note, `{"name":"/~Trash/copy"}`, 400, "cannot be put in the trash"},
		{"ImportNull", "POST", "/api/notebook/import", `null`, 400, "null"},
		{"ImportInTrash", "POST", "/api/notebook/import", `{"name":"/~Trash/x","paragraphs":[]}`, 400, "cannot be put in the trash"},
		{"ImportTextObject", "POST", "/api/notebook/import", `{"name":"x","paragraphs":[{"text":{"a":1}}]}`, 400, "text must be a string, not an object"},
		{"ImportTooDeep", "POST", "/api/notebook/import", `{"name":"x","paragraphs":[{"text":"a","config":{"c":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}}]}`, 400, "more than 64 deep"},
		{"ConfigTooDeep", "PUT", para + "/config", `{"c":` + strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70) + `}`, 400, "more than 64 deep"},
		{"ParamsTooDeep", "POST", "/api/notebook/job/" + id + "/" + pid, `{"params":{"p":` + strings.Repeat("[", 80) + strings.Repeat("]", 80) + `}}`, 400, "more than 64 deep"},
		{"ConfigUnknownParagraph", "PUT", note + "/paragraph/nope/config", `{"a":1}`, 404, "No such paragraph"},
		{"MoveOutOfRange", "POST", para + "/move/2", nil, 400, "newIndex 2 is out of bounds"},
		{"MoveNegative", "POST", para + "/move/-1", nil, 400, "out of bounds"},
		{"MoveNotANumber", "POST", para + "/move/first", nil, 400, "not an integer"},
		{"MoveUnknownParagraph", "POST", note + "/paragraph/nope/move/0", nil, 404, "No such paragraph"},
		{"DeleteUnknownParagraph", "DELETE", note + "/paragraph/nope", nil, 404, "No such paragraph"},
		{"CheckpointEmptyMessage", "POST", note + "/revision", `{"commitMessage":""}`, 400, "commitMessage can not be empty"},
		{"CheckpointUnknownNote", "POST", "/api/notebook/" + missing + "/revision", `{"commitMessage":"x"}`, 404, "No such note"},
		{"ListRevisionsUnknownNote", "GET", "/api/notebook/" + missing + "/revision", nil, 404, "No such note"},
		{"GetUnknownRevision", "GET", note + "/revision/nope", nil, 404, "No such revision: nope"},
		{"RestoreUnknownRevision", "PUT", note + "/revision/nope", nil, 404, "No such revision"},
		{"RestoreRevisionOfUnknownNote", "PUT", "/api/notebook/" + missing + "/revision/" + rev, nil, 404, "No such note"},
		{"UnknownRoute", "GET", "/api/notebook/" + id + "/nothing", nil, 404, "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.snapshot(t)
			ts.do(t, tt.method, tt.path, tt.body).mustFail(t, tt.code, tt.want)
			if after := ts.snapshot(t); after != before {
				t.Errorf("the stored state changed:\nbefore %s\nafter  %s", notebookstest.Snippet([]byte(before)), notebookstest.Snippet([]byte(after)))
			}
		})
	}
}

func TestNotebookAPI_BodyLimit(t *testing.T) {
	const limit = 64 << 10
	ts := MustOpenServer(t, func(c *Config) { c.MaxBodyBytes = limit })
	id := ts.mustCreateNote(t, "n", "a")
	pid := ts.mustGetNote(t, id).Paragraphs[0].ID

	fx := notebookstest.MustFixtures(t)[0].Data
	big := append([]byte(`{"name":"huge","padding":"`), bytes.Repeat([]byte("x"), limit)...)
	big = append(big, `"}`...)
	tests := []struct {
		name    string
		path    string
		method  string
		body    []byte
		chunked bool // no Content-Length: the limit bites while reading
	}{
		{"Import", "/api/notebook/import", "POST", big, false},
		{"ImportChunked", "/api/notebook/import", "POST", big, true},
		{"CreateNote", "/api/notebook", "POST", big, false},
		{"UpdateParagraphChunked", "/api/notebook/" + id + "/paragraph/" + pid, "PUT",
			append(append([]byte(`{"text":"`), bytes.Repeat([]byte("y"), limit)...), `"}`...), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.snapshot(t)
			var r io.Reader = bytes.NewReader(tt.body)
			if tt.chunked {
				r = io.MultiReader(r) // hides the length from net/http
			}
			req, err := http.NewRequest(tt.method, ts.URL()+tt.path, r)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+testToken)
			ts.send(t, req).mustFail(t, http.StatusRequestEntityTooLarge, "larger than the limit of 64 KiB")
			if ts.snapshot(t) != before {
				t.Error("an oversized request changed the stored state")
			}
		})
	}
	t.Run("UnderTheLimitOK", func(t *testing.T) {
		if len(fx) > limit {
			t.Fatalf("fixture is %d bytes, over the test limit of %d: choose a smaller one", len(fx), limit)
		}
		ts.do(t, http.MethodPost, "/api/notebook/import", fx).mustOK(t, nil)
	})
	t.Run("DefaultLimitIs5MiB", func(t *testing.T) {
		ts := MustOpenServer(t)
		before := ts.snapshot(t)
		body := append([]byte(`{"name":"`), bytes.Repeat([]byte("z"), DefaultMaxBodyBytes)...)
		ts.do(t, http.MethodPost, "/api/notebook/import", append(body, `"}`...)).mustFail(t, http.StatusRequestEntityTooLarge, "5 MiB")
		if ts.snapshot(t) != before {
			t.Error("an oversized import changed the stored state")
		}
	})
}

func TestNotebookAPI_ImportExport(t *testing.T) {
	ts := MustOpenServer(t)
	for _, fx := range notebookstest.MustFixtures(t) {
		t.Run(fx.Name, func(t *testing.T) {
			var id string
			ts.do(t, http.MethodPost, "/api/notebook/import", fx.Data).mustOK(t, &id)
			var doc string
			ts.do(t, http.MethodGet, "/api/notebook/export/"+id, nil).mustOK(t, &doc)

			// Texts, titles, configs and results are exactly the file's.
			raw := notebookstest.MustDecode(t, fx.Data).(map[string]any)
			got := notebookstest.MustDecode(t, []byte(doc)).(map[string]any)
			if got["id"] != raw["id"] || got["name"] != raw["name"] {
				t.Errorf("export id/name = %v/%v, want %v/%v", got["id"], got["name"], raw["id"], raw["name"])
			}
			rawParas, gotParas := raw["paragraphs"].([]any), got["paragraphs"].([]any)
			if len(rawParas) != len(gotParas) {
				t.Fatalf("%d paragraphs exported, file has %d", len(gotParas), len(rawParas))
			}
			for i := range rawParas {
				rp, gp := rawParas[i].(map[string]any), gotParas[i].(map[string]any)
				for _, key := range []string{"id", "title", "text", "config", "results", "settings"} {
					if a, b := notebookstest.MustCanonical(t, gp[key]), notebookstest.MustCanonical(t, rp[key]); a != b {
						t.Errorf("paragraph %d %s:\n got %.200s\nwant %.200s", i, key, a, b)
					}
				}
			}

			// export → import → export is stable; the re-import gets a new id
			// because this one is taken.
			var id2 string
			ts.do(t, http.MethodPost, "/api/notebook/import", doc).mustOK(t, &id2)
			if id2 == id {
				t.Fatalf("re-import reused the taken id %s", id)
			}
			var doc2 string
			ts.do(t, http.MethodGet, "/api/notebook/export/"+id2, nil).mustOK(t, &doc2)
			if want := strings.Replace(doc, `"id": "`+id+`"`, `"id": "`+id2+`"`, 1); doc2 != want {
				t.Errorf("export → import → export changed the document (beyond the id)")
			}
		})
	}
	t.Run("NotePath", func(t *testing.T) {
		var id string
		ts.do(t, http.MethodPost, "/api/notebook/import?notePath=imported/Flink", notebookstest.MustFixtures(t)[0].Data).mustOK(t, &id)
		if n := ts.mustGetNote(t, id); n.Path != "/imported/Flink" || n.Name != "Flink" {
			t.Errorf("path %q name %q", n.Path, n.Name)
		}
	})
}

func TestNotebookAPI_Revisions(t *testing.T) {
	ts := MustOpenServer(t)
	id := ts.mustCreateNote(t, "n", "v1")
	note := "/api/notebook/" + id
	pid := ts.mustGetNote(t, id).Paragraphs[0].ID

	var r1 string
	ts.do(t, http.MethodPost, note+"/revision", `{"commitMessage":"first"}`).mustOK(t, &r1)
	same := ts.do(t, http.MethodPost, note+"/revision", `{"commitMessage":"again"}`)
	var sameID string
	same.mustOK(t, &sameID)
	if sameID != r1 || !strings.Contains(same.Message, "no changes") {
		t.Errorf("unchanged checkpoint: body %q message %q", sameID, same.Message)
	}

	ts.do(t, http.MethodPut, note+"/paragraph/"+pid, `{"text":"v2"}`).mustOK(t, nil)
	var r2 string
	ts.do(t, http.MethodPost, note+"/revision", `{"commitMessage":"second"}`).mustOK(t, &r2)

	var revs []notebooks.Revision
	ts.do(t, http.MethodGet, note+"/revision", nil).mustOK(t, &revs)
	if len(revs) != 2 || revs[0].ID != r2 || revs[1].ID != r1 || revs[1].Message != "first" || revs[0].Time == 0 {
		t.Fatalf("revisions = %+v", revs)
	}
	var old notebooks.Note
	ts.do(t, http.MethodGet, note+"/revision/"+r1, nil).mustOK(t, &old)
	if old.Paragraphs[0].Text != "v1" {
		t.Errorf("revision 1 text = %q", old.Paragraphs[0].Text)
	}
	ts.do(t, http.MethodPut, note+"/revision/"+r1, nil).mustOK(t, nil)
	if n := ts.mustGetNote(t, id); n.Paragraphs[0].Text != "v1" {
		t.Errorf("after restore text = %q", n.Paragraphs[0].Text)
	}
	var clone string
	ts.do(t, http.MethodPost, note, `{"name":"at r2","revisionId":"`+r2+`"}`).mustOK(t, &clone)
	if n := ts.mustGetNote(t, clone); n.Paragraphs[0].Text != "v2" {
		t.Errorf("clone of revision 2 text = %q", n.Paragraphs[0].Text)
	}
}

func TestNotebookAPI_Auth(t *testing.T) {
	ts := MustOpenServer(t)
	id := ts.mustCreateNote(t, "n")
	tests := []struct {
		name   string
		method string
		path   string
		setup  func(*http.Request)
		code   int
	}{
		{"NoCredential", "GET", "/api/notebook", func(*http.Request) {}, 401},
		{"WrongToken", "GET", "/api/notebook/" + id, func(r *http.Request) { r.Header.Set("Authorization", "Bearer nope") }, 401},
		{"NoCredentialWrite", "DELETE", "/api/notebook/" + id, func(*http.Request) {}, 401},
		{"OpenAPINeedsToken", "GET", "/api/v1/openapi.json", func(*http.Request) {}, 401},
		// A browser's write (it sends Sec-Fetch-Site or Origin) needs the
		// CSRF header; a write from another site is refused even with it.
		{"CookieWithoutCSRF", "DELETE", "/api/notebook/" + id, func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: ts.SessionCookie(), Value: ts.NewBrowserSession()})
			r.AddCookie(&http.Cookie{Name: ts.CSRFCookie(), Value: "abc"})
			r.Header.Set("Sec-Fetch-Site", "same-origin")
		}, 403},
		{"CookieWithoutCSRFSameOrigin", "DELETE", "/api/notebook/" + id, func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: ts.SessionCookie(), Value: ts.NewBrowserSession()})
			r.Header.Set("Origin", ts.URL())
		}, 403},
		{"CookieWithWrongCSRF", "POST", "/api/notebook", func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: ts.SessionCookie(), Value: ts.NewBrowserSession()})
			r.AddCookie(&http.Cookie{Name: ts.CSRFCookie(), Value: "abc"})
			r.Header.Set(CSRFHeader, "abd")
			r.Header.Set("Sec-Fetch-Site", "same-origin")
		}, 403},
		{"CookieFromAnotherSite", "POST", "/api/notebook", func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: ts.SessionCookie(), Value: ts.NewBrowserSession()})
			r.AddCookie(&http.Cookie{Name: ts.CSRFCookie(), Value: "abc"})
			r.Header.Set(CSRFHeader, "abc")
			r.Header.Set("Origin", "http://attacker.example")
		}, 403},
		{"UnknownSessionCookie", "GET", "/api/notebook", func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: ts.SessionCookie(), Value: "0123456789abcdef0123456789abcdef"})
		}, 401},
		// A client that is no browser (no Origin, no Sec-Fetch-Site), such
		// as Zeppelin's Java client, writes with its login cookie alone.
		{"CookieNonBrowserWrite", "PUT", "/api/notebook/" + id + "/rename", func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: ts.SessionCookie(), Value: ts.NewBrowserSession()})
		}, 200},
		{"CookieRead", "GET", "/api/notebook/" + id, func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: ts.SessionCookie(), Value: ts.NewBrowserSession()})
		}, 200},
		{"CookieWithCSRF", "PUT", "/api/notebook/" + id + "/rename", func(r *http.Request) {
			r.AddCookie(&http.Cookie{Name: ts.SessionCookie(), Value: ts.NewBrowserSession()})
			r.AddCookie(&http.Cookie{Name: ts.CSRFCookie(), Value: "abc"})
			r.Header.Set(CSRFHeader, "abc")
		}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.snapshot(t)
			var body io.Reader
			if tt.method != "GET" {
				body = strings.NewReader(`{"name":"renamed"}`)
			}
			req, err := http.NewRequest(tt.method, ts.URL()+tt.path, body)
			if err != nil {
				t.Fatal(err)
			}
			tt.setup(req)
			resp, err := ts.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.code {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.code)
			}
			if tt.code != 200 && ts.snapshot(t) != before {
				t.Error("a refused request changed the stored state")
			}
		})
	}
}

func TestNew_ErrMissingDependency(t *testing.T) {
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for name, cfg := range map[string]Config{
		"NoNotes":      {Sessions: newFakeSessions(), Cluster: fakeCluster{}, Connectors: &connectors.Service{}},
		"NoSessions":   {Notes: store, Cluster: fakeCluster{}, Connectors: &connectors.Service{}},
		"NoCluster":    {Notes: store, Sessions: newFakeSessions(), Connectors: &connectors.Service{}},
		"NoConnectors": {Notes: store, Sessions: newFakeSessions(), Cluster: fakeCluster{}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted a configuration without it", name)
		}
	}
}

// TestNotebookAPI_ConcurrentParagraphEdits has 50 clients edit 50 different
// paragraphs of one note at once: no edit may be lost.
func TestNotebookAPI_ConcurrentParagraphEdits(t *testing.T) {
	const clients, edits = 50, 8
	ts := MustOpenServer(t)
	texts := make([]string, clients)
	for i := range texts {
		texts[i] = "start"
	}
	id := ts.mustCreateNote(t, "busy", texts...)
	n := ts.mustGetNote(t, id)

	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pid := n.Paragraphs[c].ID
			for e := range edits {
				body := fmt.Sprintf(`{"text": "client %d edit %d", "title": "t%d"}`, c, e, e)
				if r := ts.do(t, http.MethodPut, "/api/notebook/"+id+"/paragraph/"+pid, body); r.Code != http.StatusOK {
					t.Errorf("client %d edit %d: %d %s", c, e, r.Code, r.Message)
					return
				}
				if e == edits/2 {
					if r := ts.do(t, http.MethodPut, "/api/notebook/"+id+"/paragraph/"+pid+"/config", fmt.Sprintf(`{"client": %d}`, c)); r.Code != http.StatusOK {
						t.Errorf("client %d config: %d %s", c, r.Code, r.Message)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	got := ts.mustGetNote(t, id)
	for c, p := range got.Paragraphs {
		want := fmt.Sprintf("client %d edit %d", c, edits-1)
		if p.Text != want || p.Title != fmt.Sprintf("t%d", edits-1) || fmt.Sprint(p.Config["client"]) != fmt.Sprint(c) {
			t.Errorf("paragraph %d = %q %q config %v; want %q", c, p.Text, p.Title, p.Config["client"], want)
		}
	}
}

// TestNotebookAPI_BodyLimitReachesSimpleClients: a client that sends its
// whole oversized body before reading the answer (Python's urllib does)
// receives the 413, not a connection reset.
func TestNotebookAPI_BodyLimitReachesSimpleClients(t *testing.T) {
	const limit = 1 << 20
	ts := MustOpenServer(t, func(c *Config) { c.MaxBodyBytes = limit })
	conn, err := net.Dial("tcp", ts.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const size = 8 << 20
	head := fmt.Sprintf("POST /api/notebook/import HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", ts.Addr(), testToken, size)
	if _, err := conn.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for sent := 0; sent < size; sent += len(chunk) {
		if _, err := conn.Write(chunk); err != nil {
			t.Fatalf("the server cut the upload at %d bytes: %v", sent, err)
		}
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}
