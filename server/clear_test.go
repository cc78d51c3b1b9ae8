package server

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// mustStoreOutput gives a paragraph stored output as a finished run leaves
// it: results, an error message and a job link.
func (ts *testServer) mustStoreOutput(t *testing.T, noteID, pid string, st notebooks.Status) {
	t.Helper()
	msg := "something went wrong"
	_, err := ts.store.UpdateParagraphRun(context.Background(), noteID, pid, notebooks.RunUpdate{
		Status:       &st,
		Results:      &notebooks.Result{Code: notebooks.ResultSuccess, Msg: []notebooks.ResultMessage{{Type: notebooks.MessageTable, Data: "k\tn\na\t1\n"}}},
		ErrorMessage: &msg,
		RuntimeInfos: map[string]any{"jobUrl": map[string]any{"values": []any{map[string]any{"jobUrl": "http://flink/#/job/1"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// mustBeCleared checks a stored paragraph has no output and kept its status.
func mustBeCleared(t *testing.T, p *notebooks.Paragraph, status notebooks.Status) {
	t.Helper()
	if p.Results != nil || p.ErrorMessage != "" || len(p.RuntimeInfos) != 0 {
		t.Fatalf("paragraph %s not cleared: results=%v error=%q runtimeInfos=%v", p.ID, p.Results, p.ErrorMessage, p.RuntimeInfos)
	}
	if p.Status != status {
		t.Fatalf("paragraph %s status %s, want it kept as %s", p.ID, p.Status, status)
	}
}

func mustKeepOutput(t *testing.T, p *notebooks.Paragraph) {
	t.Helper()
	if p.Results == nil || p.ErrorMessage == "" || len(p.RuntimeInfos) == 0 {
		t.Fatalf("paragraph %s lost its output: results=%v error=%q runtimeInfos=%v", p.ID, p.Results, p.ErrorMessage, p.RuntimeInfos)
	}
}

func TestWS_ClearOutput(t *testing.T) {
	fs := newFakeSessions()
	ts := MustOpenServer(t, func(c *Config) { c.Sessions = fs })
	noteID := ts.mustCreateNote(t, "/ws/clear", "%flink.ssql select 1", "%flink.ssql select 2")
	n := ts.mustGetNote(t, noteID)
	p0, p1 := n.Paragraphs[0].ID, n.Paragraphs[1].ID
	ts.mustStoreOutput(t, noteID, p0, notebooks.StatusFinished)
	ts.mustStoreOutput(t, noteID, p1, notebooks.StatusRunning)
	fs.setRow(noteID, p0, 1, "a", 1)
	fs.setStatus(noteID, p0, notebooks.StatusFinished)
	fs.setRow(noteID, p1, 1, "b", 1) // running

	a, b := ts.mustDialWS(t), ts.mustDialWS(t)
	for _, c := range []*wsClient{a, b} {
		c.send(map[string]any{"op": "subscribe", "noteId": noteID})
		c.expect("note")
		if m := c.expect("live"); len(liveParagraphs(m)) != 2 {
			t.Fatalf("first live = %v", m)
		}
	}

	t.Run("OK", func(t *testing.T) {
		mustAck(t, a.request(map[string]any{"op": "clear-output", "noteId": noteID, "paragraphId": p0}))
		p, err := ts.store.FindParagraph(context.Background(), noteID, p0)
		if err != nil {
			t.Fatal(err)
		}
		mustBeCleared(t, p, notebooks.StatusFinished)
		if _, ok := fs.Live(noteID, p0); ok {
			t.Fatal("the paragraph's live state is still there")
		}
		// The other viewer is told both: the stored paragraph without output,
		// and that its live state is gone.
		var sawParagraph, sawRemoved bool
		for !sawParagraph || !sawRemoved {
			m := b.read()
			switch m["op"] {
			case "paragraph":
				if p := m["paragraph"].(map[string]any); p["id"] == p0 {
					if p["results"] != nil || p["errorMessage"] != nil {
						t.Fatalf("viewer got an uncleared paragraph: %v", p)
					}
					sawParagraph = true
				}
			case "live":
				if removed, _ := m["removed"].([]any); slices.Contains(removed, any(p0)) {
					sawRemoved = true
				}
			}
		}
	})
	t.Run("ErrRunning", func(t *testing.T) {
		m := a.request(map[string]any{"op": "clear-output", "noteId": noteID, "paragraphId": p1})
		mustErrCode(t, m, eddy.ECONFLICT)
		if !strings.Contains(m["message"].(string), "running") {
			t.Fatalf("refusal = %v", m)
		}
		p, _ := ts.store.FindParagraph(context.Background(), noteID, p1)
		mustKeepOutput(t, p)
		if _, ok := fs.Live(noteID, p1); !ok {
			t.Fatal("a running paragraph lost its live state")
		}
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		mustErrCode(t, a.request(map[string]any{"op": "clear-output", "paragraphId": p0}), eddy.EINVALID)
		mustErrCode(t, a.request(map[string]any{"op": "clear-output", "noteId": noteID, "paragraphId": "paragraph_nope"}), eddy.ENOTFOUND)
		mustErrCode(t, a.request(map[string]any{"op": "clear-output", "noteId": "NOPE", "paragraphId": p0}), eddy.ENOTFOUND)
	})
}

func TestClearAPIUnit(t *testing.T) {
	ts, fs := mustOpenFakeRunServer(t)
	noteID := ts.mustCreateNote(t, "clear", "%flink.ssql select 1", "%md *hi*", "%flink.ssql select 3")
	n := ts.mustGetNote(t, noteID)
	pids := []string{n.Paragraphs[0].ID, n.Paragraphs[1].ID, n.Paragraphs[2].ID}
	for _, pid := range pids {
		ts.mustStoreOutput(t, noteID, pid, notebooks.StatusError)
	}
	fs.setRow(noteID, pids[0], 1, "a", 1)
	fs.setStatus(noteID, pids[0], notebooks.StatusAbort)
	fs.setRow(noteID, pids[2], 1, "c", 1) // running

	t.Run("ErrRunningClearsNothing", func(t *testing.T) {
		r := ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/clear", nil)
		r.mustFail(t, http.StatusConflict, "running")
		if !strings.Contains(r.Message, pids[2]) {
			t.Fatalf("message %q does not name the running paragraph", r.Message)
		}
		for _, p := range ts.mustGetNote(t, noteID).Paragraphs {
			mustKeepOutput(t, p)
		}
		if _, ok := fs.Live(noteID, pids[0]); !ok {
			t.Fatal("a refused clear dropped live state")
		}
		ts.do(t, http.MethodPut, "/api/v1/notebook/"+noteID+"/paragraph/"+pids[2]+"/clear", nil).mustFail(t, http.StatusConflict, "running")
	})
	t.Run("OKParagraph", func(t *testing.T) {
		ts.do(t, http.MethodPut, "/api/v1/notebook/"+noteID+"/paragraph/"+pids[1]+"/clear", nil).mustOK(t, nil)
		ps := ts.mustGetNote(t, noteID).Paragraphs
		mustBeCleared(t, ps[1], notebooks.StatusError)
		mustKeepOutput(t, ps[0])
	})
	t.Run("OKNote", func(t *testing.T) {
		fs.setStatus(noteID, pids[2], notebooks.StatusAbort)
		ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/clear", nil).mustOK(t, nil)
		for _, p := range ts.mustGetNote(t, noteID).Paragraphs {
			mustBeCleared(t, p, notebooks.StatusError)
		}
		for _, pid := range pids {
			if _, ok := fs.Live(noteID, pid); ok {
				t.Fatalf("paragraph %s kept its live state", pid)
			}
		}
		// Clearing what is clear already is fine.
		ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/clear", nil).mustOK(t, nil)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		ts.do(t, http.MethodPut, "/api/notebook/NOPE/clear", nil).mustFail(t, http.StatusNotFound, "NOPE")
		ts.do(t, http.MethodPut, "/api/v1/notebook/"+noteID+"/paragraph/paragraph_nope/clear", nil).mustFail(t, http.StatusNotFound, "paragraph_nope")
	})
}

// TestClearAPI_RealKernel clears a paragraph that ran on the real cluster:
// refused while its streaming query runs, then, once cancelled, its stored
// output and its live state in the kernel are gone.
func TestClearAPI_RealKernel(t *testing.T) {
	ts, m := mustOpenRunServer(t, 8)
	id := ts.mustCreateNote(t, "clear real",
		"%flink.ssql\nCREATE TEMPORARY TABLE live (k INT) WITH ('connector'='datagen','rows-per-second'='20','fields.k.min'='1','fields.k.max'='3');\nSELECT k, COUNT(*) AS c FROM live GROUP BY k",
	)
	pid := ts.mustGetNote(t, id).Paragraphs[0].ID
	ts.do(t, http.MethodPost, "/api/notebook/job/"+id+"/"+pid, nil).mustOK(t, nil)
	waitUntil(t, 2*time.Minute, func() bool {
		live, ok := m.Live(id, pid)
		return ok && live.Result != nil && live.Result.Snapshot != nil && len(live.Result.Snapshot.Rows) > 0
	})

	ts.do(t, http.MethodPut, "/api/notebook/"+id+"/clear", nil).mustFail(t, http.StatusConflict, "running")
	if _, ok := m.Live(id, pid); !ok {
		t.Fatal("a refused clear dropped the live state")
	}

	ts.do(t, http.MethodDelete, "/api/notebook/job/"+id+"/"+pid, nil).mustOK(t, nil)
	p := ts.mustGetNote(t, id).Paragraphs[0]
	if p.Status != notebooks.StatusAbort || p.Results == nil || len(p.RuntimeInfos) == 0 {
		t.Fatalf("after cancel: status %s results %v runtimeInfos %v", p.Status, p.Results, p.RuntimeInfos)
	}

	ts.do(t, http.MethodPut, "/api/v1/notebook/"+id+"/paragraph/"+pid+"/clear", nil).mustOK(t, nil)
	mustBeCleared(t, ts.mustGetNote(t, id).Paragraphs[0], notebooks.StatusAbort)
	if live, ok := m.Live(id, pid); ok {
		t.Fatalf("the kernel still has live state: %+v", live)
	}
	if all := m.LiveSince(id, nil); len(all) != 0 {
		t.Fatalf("the kernel still lists live state: %+v", all)
	}
}

func waitUntil(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
