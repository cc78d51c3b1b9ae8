package server

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/eddy-notebooks/eddy/kernel"
)

// Changelog gives a paragraph with a live table one +I row per row shown.
func (f *fakeSessions) Changelog(noteID, pid string) (kernel.ChangelogView, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.paras[noteID+"/"+pid]
	if p == nil {
		return kernel.ChangelogView{}, false
	}
	v := kernel.ChangelogView{Columns: []kernel.Column{{Name: "k", Type: "STRING"}, {Name: "n", Type: "BIGINT"}},
		Capacity: 1000, FirstSeq: 1, Base: [][]any{}, BaseComplete: true}
	for _, r := range p.rows {
		v.LastSeq++
		v.Entries = append(v.Entries, kernel.ChangelogEntry{Seq: v.LastSeq, Kind: "+I", Fields: r.Fields})
	}
	return v, true
}

func TestChangelogAPIUnit(t *testing.T) {
	fs := newFakeSessions()
	ts := MustOpenServer(t, func(c *Config) { c.Sessions = fs })
	noteID := ts.mustCreateNote(t, "/changelog", "%flink.ssql select 1", "%flink.ssql select 2")
	n := ts.mustGetNote(t, noteID)
	p0, p1 := n.Paragraphs[0].ID, n.Paragraphs[1].ID
	fs.setRow(noteID, p0, 1, "a", "007")
	path := func(pid string) string { return "/api/v1/notebook/" + noteID + "/paragraph/" + pid + "/changelog" }

	t.Run("OK", func(t *testing.T) {
		var v struct {
			Columns      []kernel.Column `json:"columns"`
			FirstSeq     int64           `json:"firstSeq"`
			LastSeq      int64           `json:"lastSeq"`
			Base         [][]any         `json:"base"`
			BaseComplete bool            `json:"baseComplete"`
			Entries      []struct {
				Seq    int64  `json:"seq"`
				Kind   string `json:"kind"`
				Fields []any  `json:"fields"`
			} `json:"entries"`
		}
		if code := ts.native(t, http.MethodGet, path(p0), nil, &v); code != http.StatusOK {
			t.Fatalf("status %d", code)
		}
		if v.FirstSeq != 1 || v.LastSeq != 1 || !v.BaseComplete || v.Base == nil || len(v.Columns) != 2 || len(v.Entries) != 1 {
			t.Fatalf("changelog %+v", v)
		}
		if e := v.Entries[0]; e.Kind != "+I" || !reflect.DeepEqual(e.Fields, []any{"a", "007"}) {
			t.Fatalf("entry %+v: values must come as they are", e)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		ts.do(t, http.MethodGet, path(p1), nil).mustFail(t, http.StatusNotFound, "has no live result")
		ts.do(t, http.MethodGet, path("paragraph_nope"), nil).mustFail(t, http.StatusNotFound, "paragraph_nope")
		ts.do(t, http.MethodGet, "/api/v1/notebook/NOPE/paragraph/"+p0+"/changelog", nil).mustFail(t, http.StatusNotFound, "NOPE")
	})
}
