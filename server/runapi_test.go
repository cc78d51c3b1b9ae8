package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/sessions"
)

// The run, job, session and completion routes against fake sessions: what
// the handlers check, store and answer, without Flink. The same routes
// against a real cluster are in jobs_test.go.

func mustOpenFakeRunServer(t *testing.T) (*testServer, *fakeSessions) {
	t.Helper()
	fs := newFakeSessions()
	ts := MustOpenServer(t, func(c *Config) { c.Sessions = fs })
	return ts, fs
}

func TestRunAPIUnit_Sync(t *testing.T) {
	ts, fs := mustOpenFakeRunServer(t)
	id := ts.mustCreateNote(t, "sync", "%flink.bsql\nSELECT ${n=1}", "%flink.bsql\nSELECT x")
	n := ts.mustGetNote(t, id)
	p0, p1 := n.Paragraphs[0].ID, n.Paragraphs[1].ID
	fs.onRun = func(noteID, pid string) {
		go func() {
			if pid == p0 {
				fs.finish(noteID, pid, notebooks.StatusFinished, &notebooks.Result{Code: notebooks.ResultSuccess, Msg: []notebooks.ResultMessage{{Type: notebooks.MessageTable, Data: "n\n2\n"}}}, "")
			} else {
				fs.finish(noteID, pid, notebooks.StatusError, &notebooks.Result{Code: notebooks.ResultError, Msg: []notebooks.ResultMessage{{Type: notebooks.MessageText, Data: "boom"}}}, "Object 'x' not found")
			}
		}()
	}

	t.Run("OKStoresParamsFirst", func(t *testing.T) {
		var res notebooks.Result
		ts.do(t, http.MethodPost, "/api/notebook/run/"+id+"/"+p0, map[string]any{"params": map[string]any{"n": 2}}).mustOK(t, &res)
		if res.Code != notebooks.ResultSuccess || res.Msg[0].Data != "n\n2\n" {
			t.Fatalf("result %+v", res)
		}
		if p := ts.mustGetNote(t, id).Paragraphs[0]; fmt.Sprint(p.Settings.Params["n"]) != "2" {
			t.Fatalf("params %v", p.Settings.Params)
		}
	})
	t.Run("ErrRunFailedIs500WithResult", func(t *testing.T) {
		r := ts.do(t, http.MethodPost, "/api/notebook/run/"+id+"/"+p1, nil)
		if r.Code != http.StatusInternalServerError || r.Message != "Object 'x' not found" || !strings.Contains(string(r.Body), "boom") {
			t.Fatalf("failed run: %d %q %s", r.Code, r.Message, r.Body)
		}
	})
	t.Run("ErrJobRefusedIs503", func(t *testing.T) {
		// The session started, then the paragraph's job was refused KPUs:
		// answered as every capacity refusal is, with its details.
		id := ts.mustCreateNote(t, "refused", "%flink.ssql\nSELECT 1")
		pid := ts.mustGetNote(t, id).Paragraphs[0].ID
		refusal := testRefusal()
		fs.onRun = func(noteID, pid string) {
			go func() {
				fs.mu.Lock()
				fs.paras[noteID+"/"+pid] = &fakeParagraph{noteID: noteID, id: pid, status: notebooks.StatusError,
					errCode: eddy.ECAPACITY, errDetails: eddy.ErrorDetails(refusal)}
				fs.mu.Unlock()
				fs.finish(noteID, pid, notebooks.StatusError, &notebooks.Result{Code: notebooks.ResultError}, eddy.ErrorMessage(refusal))
			}()
		}
		r := ts.do(t, http.MethodPost, "/api/notebook/run/"+id+"/"+pid, nil)
		var d sessions.Refusal
		if r.Code != http.StatusServiceUnavailable || r.ErrCode != eddy.ECAPACITY || json.Unmarshal(r.Details, &d) != nil || d.Needed != 2 {
			t.Fatalf("refused job: %d %s %s %q", r.Code, r.ErrCode, r.Details, r.Message)
		}
	})
	t.Run("ErrBadInputRunsNothing", func(t *testing.T) {
		before := len(fs.callLog())
		ts.do(t, http.MethodPost, "/api/notebook/run/"+id+"/paragraph_nope", nil).mustFail(t, http.StatusNotFound, "paragraph_nope")
		ts.do(t, http.MethodPost, "/api/notebook/run/"+id+"/"+p0, "{").mustFail(t, http.StatusBadRequest, "JSON")
		ts.do(t, http.MethodPost, "/api/notebook/run/"+id+"/"+p0, `{"params":[1]}`).mustFail(t, http.StatusBadRequest, "params")
		if got := fs.callLog()[before:]; len(got) != 0 {
			t.Fatalf("bad requests ran %v", got)
		}
	})
	t.Run("ErrShuttingDown", func(t *testing.T) {
		fs.onRun = nil // the run never ends
		answered := make(chan apiResponse, 1)
		go func() { answered <- ts.do(t, http.MethodPost, "/api/notebook/run/"+id+"/"+p0, nil) }()
		waitFor(t, func() bool {
			fs.mu.Lock()
			defer fs.mu.Unlock()
			return fs.runs[id+"/"+p0] != nil
		})
		ts.closingOnce.Do(func() { close(ts.closing) })
		if r := <-answered; r.Code != http.StatusServiceUnavailable || r.ErrCode != eddy.EUNAVAILABLE {
			t.Fatalf("waiting run at shutdown: %d %s %q", r.Code, r.ErrCode, r.Message)
		}
	})
}

func TestRunAPIUnit_AsyncRefusalAndStatus(t *testing.T) {
	ts, fs := mustOpenFakeRunServer(t)
	id := ts.mustCreateNote(t, "async", "%flink.ssql\nSELECT k, COUNT(*) FROM t GROUP BY k")
	pid := ts.mustGetNote(t, id).Paragraphs[0].ID

	t.Run("OK", func(t *testing.T) {
		ts.do(t, http.MethodPost, "/api/notebook/job/"+id+"/"+pid, nil).mustOK(t, nil)
		if got := fs.callLog(); len(got) != 1 || got[0] != "run "+id+"/"+pid {
			t.Fatalf("calls %v", got)
		}
	})
	t.Run("ErrCapacityRefusal", func(t *testing.T) {
		fs.mu.Lock()
		fs.err = testRefusal()
		fs.mu.Unlock()
		defer func() { fs.mu.Lock(); fs.err = nil; fs.mu.Unlock() }()
		r := ts.do(t, http.MethodPost, "/api/notebook/job/"+id+"/"+pid, nil)
		if r.Code != http.StatusServiceUnavailable || r.Status != "SERVICE_UNAVAILABLE" || r.ErrCode != eddy.ECAPACITY {
			t.Fatalf("refusal %d %s %s", r.Code, r.Status, r.ErrCode)
		}
		var d sessions.Refusal
		if err := json.Unmarshal(r.Details, &d); err != nil || d.Needed != 2 || d.Free != 1 || d.Capacity != 3 || len(d.Holders) != 1 || d.Holders[0].NoteName != "alpha" {
			t.Fatalf("details %s (%v)", r.Details, err)
		}
		if !strings.Contains(r.Message, `note "alpha" (N1) holds 2`) {
			t.Fatalf("message %q", r.Message)
		}
	})
	t.Run("StatusMergesLiveState", func(t *testing.T) {
		fs.setRow(id, pid, 1, "a", 7)
		fs.mu.Lock()
		fs.paras[id+"/"+pid].jobURL = "http://127.0.0.1:8081/#/job/running/abc"
		fs.mu.Unlock()
		var job paragraphJob
		ts.do(t, http.MethodGet, "/api/notebook/job/"+id+"/"+pid, nil).mustOK(t, &job)
		if job.Status != notebooks.StatusRunning || job.JobURL == "" {
			t.Fatalf("job %+v", job)
		}
		var all struct {
			IsRunning  bool           `json:"isRunning"`
			Paragraphs []paragraphJob `json:"paragraphs"`
		}
		ts.do(t, http.MethodGet, "/api/notebook/job/"+id, nil).mustOK(t, &all)
		if !all.IsRunning || len(all.Paragraphs) != 1 {
			t.Fatalf("note job %+v", all)
		}
		// The paragraph shows its live table while it runs.
		var p notebooks.Paragraph
		ts.do(t, http.MethodGet, "/api/notebook/"+id+"/paragraph/"+pid, nil).mustOK(t, &p)
		if p.Status != notebooks.StatusRunning || p.Results == nil || p.Results.Msg[len(p.Results.Msg)-1].Data != "k\tn\na\t7\n" {
			t.Fatalf("paragraph while running: %s %+v", p.Status, p.Results)
		}
	})
	t.Run("ErrUnknown", func(t *testing.T) {
		ts.do(t, http.MethodGet, "/api/notebook/job/"+id+"/paragraph_nope", nil).mustFail(t, http.StatusNotFound, "paragraph_nope")
		ts.do(t, http.MethodGet, "/api/notebook/job/NOPE12345", nil).mustFail(t, http.StatusNotFound, "NOPE12345")
	})
}

func TestRunAPIUnit_CancelRunAllStopAll(t *testing.T) {
	ts, fs := mustOpenFakeRunServer(t)
	id := ts.mustCreateNote(t, "all", "%md a")
	pid := ts.mustGetNote(t, id).Paragraphs[0].ID

	ts.do(t, http.MethodDelete, "/api/notebook/job/"+id+"/"+pid, nil).mustOK(t, nil)
	ts.do(t, http.MethodPost, "/api/notebook/job/"+id, nil).mustOK(t, nil)
	ts.do(t, http.MethodDelete, "/api/notebook/job/"+id, nil).mustOK(t, nil)
	want := []string{"cancel " + id + "/" + pid, "runall " + id, "stopall " + id}
	if got := fs.callLog(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("calls %v, want %v", got, want)
	}

	t.Run("BlockingRunAllWaits", func(t *testing.T) {
		answered := make(chan apiResponse, 1)
		go func() { answered <- ts.do(t, http.MethodPost, "/api/notebook/job/"+id+"?blocking=true", nil) }()
		var done chan struct{}
		waitFor(t, func() bool {
			fs.mu.Lock()
			defer fs.mu.Unlock()
			done = fs.runs[id+"/*"]
			return done != nil && len(fs.calls) == 4
		})
		select {
		case r := <-answered:
			t.Fatalf("blocking run-all answered before it ended: %d", r.Code)
		case <-time.After(50 * time.Millisecond):
		}
		close(done)
		if r := <-answered; r.Code != http.StatusOK {
			t.Fatalf("blocking run-all: %d %q", r.Code, r.Message)
		}
	})
	t.Run("ErrCancelTimesOut", func(t *testing.T) {
		fs.mu.Lock()
		fs.cancel = func(ctx context.Context) error { return eddy.Errorf(eddy.EUNAVAILABLE, "still stopping") }
		fs.mu.Unlock()
		ts.do(t, http.MethodDelete, "/api/notebook/job/"+id+"/"+pid, nil).mustFail(t, http.StatusServiceUnavailable, "still stopping")
	})
	t.Run("ErrUnknownNoteCallsNothing", func(t *testing.T) {
		before := len(fs.callLog())
		ts.do(t, http.MethodDelete, "/api/notebook/job/NOPE12345/"+pid, nil).mustFail(t, http.StatusNotFound, "NOPE12345")
		ts.do(t, http.MethodPost, "/api/notebook/job/NOPE12345", nil).mustFail(t, http.StatusNotFound, "NOPE12345")
		ts.do(t, http.MethodDelete, "/api/notebook/job/NOPE12345", nil).mustFail(t, http.StatusNotFound, "NOPE12345")
		if got := fs.callLog()[before:]; len(got) != 0 {
			t.Fatalf("calls %v", got)
		}
	})
}

func TestSessionsAPIUnit(t *testing.T) {
	ts, fs := mustOpenFakeRunServer(t)
	a := ts.mustCreateNote(t, "A", "%md x")

	r := ts.do(t, http.MethodPost, "/api/v1/sessions", map[string]string{"noteId": a})
	if r.Code != http.StatusCreated {
		t.Fatalf("start: %d %s", r.Code, r.Message)
	}
	var list sessionList
	getJSON(t, ts, "/api/v1/sessions", &list)
	if list.KPUs != 8 || len(list.Sessions) != 1 || list.Sessions[0].NoteID != a {
		t.Fatalf("list %+v", list)
	}
	sid := list.Sessions[0].ID
	var info sessions.Info
	getJSON(t, ts, "/api/v1/sessions/"+sid, &info)
	if info.ID != sid || info.State != sessions.StateIdle {
		t.Fatalf("get %+v", info)
	}
	if r := ts.do(t, http.MethodDelete, "/api/v1/sessions/"+sid, nil); r.Code != http.StatusOK {
		t.Fatalf("stop %d", r.Code)
	}
	ts.do(t, http.MethodDelete, "/api/v1/sessions/"+sid, nil).mustFail(t, http.StatusNotFound, sid)
	ts.do(t, http.MethodGet, "/api/v1/sessions/nope", nil).mustFail(t, http.StatusNotFound, "nope")
	ts.do(t, http.MethodPost, "/api/v1/sessions", map[string]string{}).mustFail(t, http.StatusBadRequest, "noteId")

	fs.mu.Lock()
	fs.err = testRefusal()
	fs.mu.Unlock()
	if r := ts.do(t, http.MethodPost, "/api/v1/sessions", map[string]string{"noteId": a}); r.ErrCode != eddy.ECAPACITY || len(r.Details) == 0 {
		t.Fatalf("refused start: %d %s %s", r.Code, r.ErrCode, r.Details)
	}

	var usage sessions.UsageReport
	getJSON(t, ts, "/api/v1/usage", &usage)
	var cluster clusterStatus
	getJSON(t, ts, "/api/v1/cluster", &cluster)
	if cluster.KPUs != 8 {
		t.Fatalf("cluster %+v", cluster)
	}
}

func TestCompleteAPIUnit(t *testing.T) {
	ts, fs := mustOpenFakeRunServer(t)
	fs.candidates = []string{"orders"}
	id := ts.mustCreateNote(t, "c", "%flink.ssql\nSELECT")
	if got := ts.mustComplete(t, id, "SELECT * FROM o"); len(got) != 1 || got[0] != "orders" {
		t.Fatalf("candidates %v", got)
	}
	ts.do(t, http.MethodPost, "/api/v1/notebook/"+id+"/complete", `{"text":"x","position":-1}`).mustFail(t, http.StatusBadRequest, "position")
	ts.do(t, http.MethodPost, "/api/v1/notebook/NOPE12345/complete", `{"text":"x","position":0}`).mustFail(t, http.StatusNotFound, "NOPE12345")
	if got := fs.callLog(); len(got) != 1 {
		t.Fatalf("calls %v: bad requests must not reach completion", got)
	}
}

// TestRunAPIUnit_DeleteAndTrashEndSession: deleting a note, or moving it to
// the trash, stops its session (its runs end, its jobs are cancelled);
// renaming it elsewhere does not.
func TestRunAPIUnit_DeleteAndTrashEndSession(t *testing.T) {
	ts, fs := mustOpenFakeRunServer(t)
	live := func(id string) {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		fs.session = &sessions.Info{ID: "S-" + id, NoteID: id, State: sessions.StateBusy, KPUs: 3}
		fs.list = []sessions.Info{*fs.session}
	}
	running := func() int {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		return len(fs.list)
	}
	id := ts.mustCreateNote(t, "to rename", "%flink.ssql\nSELECT 1")
	live(id)
	ts.do(t, http.MethodPut, "/api/notebook/"+id+"/rename", map[string]any{"name": "/elsewhere/renamed"}).mustOK(t, nil)
	if running() != 1 {
		t.Fatal("a rename stopped the session")
	}
	ts.do(t, http.MethodPut, "/api/notebook/"+id+"/rename", map[string]any{"name": "/~Trash/renamed"}).mustOK(t, nil)
	if running() != 0 {
		t.Fatal("moving the note to the trash left its session running")
	}

	id = ts.mustCreateNote(t, "to delete", "%flink.ssql\nSELECT 1")
	live(id)
	ts.do(t, http.MethodDelete, "/api/notebook/"+id, nil).mustOK(t, nil) // to the trash
	if running() != 0 {
		t.Fatal("deleting the note left its session running")
	}
	live(id)
	ts.do(t, http.MethodDelete, "/api/notebook/"+id, nil).mustOK(t, nil) // for good
	if running() != 0 {
		t.Fatal("purging the note left its session running")
	}
	ts.do(t, http.MethodDelete, "/api/notebook/"+id, nil).mustFail(t, http.StatusNotFound, "No such note")
}

// TestRunAPIUnit_SyncRunOutlivesRequestTimeout: the synchronous run answers
// when its query ends, however long past RequestTimeout that is.
func TestRunAPIUnit_SyncRunOutlivesRequestTimeout(t *testing.T) {
	fs := newFakeSessions()
	ts := MustOpenServer(t, func(c *Config) { c.Sessions, c.RequestTimeout = fs, 200*time.Millisecond })
	id := ts.mustCreateNote(t, "slow", "%flink.bsql\nSELECT 1")
	pid := ts.mustGetNote(t, id).Paragraphs[0].ID
	fs.onRun = func(noteID, pid string) {
		go func() {
			time.Sleep(time.Second)
			fs.finish(noteID, pid, notebooks.StatusFinished, &notebooks.Result{Code: notebooks.ResultSuccess, Msg: []notebooks.ResultMessage{{Type: notebooks.MessageTable, Data: "x\n1\n"}}}, "")
		}()
	}
	var res notebooks.Result
	ts.do(t, http.MethodPost, "/api/notebook/run/"+id+"/"+pid, nil).mustOK(t, &res)
	if len(res.Msg) != 1 || res.Msg[0].Data != "x\n1\n" {
		t.Fatalf("result %+v", res)
	}
}

// TestRunAPIUnit_NoteIsRunningDuringRunAll: Zeppelin's Java client starts a
// run-all (a text/plain JSON body, as it sends them) and then reads the note
// until info.isRunning is no longer true; the note says so from the moment
// the run-all is accepted until it has ended, and not otherwise.
func TestRunAPIUnit_NoteIsRunningDuringRunAll(t *testing.T) {
	ts, fs := mustOpenFakeRunServer(t)
	id := ts.mustCreateNote(t, "all", "%md a")
	other := ts.mustCreateNote(t, "other", "%md b")
	info := func(noteID string) map[string]any {
		var n notebooks.Note
		ts.do(t, http.MethodGet, "/api/notebook/"+noteID, nil).mustOK(t, &n)
		if n.ID != noteID || len(n.Paragraphs) != 1 {
			t.Fatalf("note %s: %+v", noteID, n)
		}
		return n.Info
	}
	jobRunning := func(noteID string) bool {
		var job struct {
			IsRunning bool `json:"isRunning"`
		}
		ts.do(t, http.MethodGet, "/api/notebook/job/"+noteID, nil).mustOK(t, &job)
		return job.IsRunning
	}
	if v, has := info(id)["isRunning"]; has || jobRunning(id) {
		t.Fatalf("before run-all: info.isRunning %v, job %v", v, jobRunning(id))
	}

	code, body := ts.raw(t, http.MethodPost, "/api/notebook/job/"+id+"?blocking=false&isolated=true", "text/plain; charset=UTF-8", `{"params":{}}`)
	if code != http.StatusOK || !strings.Contains(body, `"status":"OK"`) {
		t.Fatalf("run-all: %d %s", code, body)
	}
	if v := info(id)["isRunning"]; v != true || !jobRunning(id) {
		t.Fatalf("during run-all: info.isRunning %v, job %v", v, jobRunning(id))
	}
	if v, has := info(other)["isRunning"]; has || jobRunning(other) {
		t.Fatalf("another note during run-all: info.isRunning %v", v)
	}

	fs.mu.Lock()
	done := fs.runs[id+"/*"]
	fs.mu.Unlock()
	close(done)
	if v, has := info(id)["isRunning"]; has || jobRunning(id) {
		t.Fatalf("after run-all: info.isRunning %v, job %v", v, jobRunning(id))
	}
}
