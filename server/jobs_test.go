package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/notebooks/sqlite"
	"github.com/eddy-notebooks/eddy/sessions"
	sessionsqlite "github.com/eddy-notebooks/eddy/sessions/sqlite"
)

func TestMain(m *testing.M) { flinktest.Main(m) }

// mustOpenRunServer is a test server that runs paragraphs on the real
// cluster through a real sessions manager.
func mustOpenRunServer(t *testing.T, capacity int) (*testServer, *sessions.Manager) {
	t.Helper()
	ep := flinktest.Cluster(t)
	var m *sessions.Manager
	ts := MustOpenServer(t, func(cfg *Config) {
		store := cfg.Notes.(*sqlite.Store)
		cluster := kernel.NewCluster(kernel.ModeRemote, ep.Gateway.URL(), ep.JobManager.URL())
		cluster.Kafka, cluster.KafkaMode = ep.Kafka, kernel.ModeLocal
		cfg.Cluster = cluster
		m = sessions.NewManager(sessions.Config{
			OpenKernel: func(ctx context.Context, kc sessions.KernelConfig) (sessions.Kernel, error) {
				k, err := kernel.Open(ctx, kernel.Config{NoteID: kc.NoteID, Cluster: cluster, Store: store, Admitter: kc.Admitter, OnChange: kc.OnChange})
				if err != nil {
					return nil, err
				}
				return k, nil
			},
			Completer:   kernel.NewCompleter(cluster),
			Store:       store,
			Usage:       sessionsqlite.NewUsageStore(store),
			KPUCapacity: capacity,
		})
		m.Open()
		cfg.Sessions = m
	})
	// Registered after MustOpenServer's, so it runs first: the manager's
	// kernels stop before the store closes.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("close sessions: %v", err)
		}
	})
	return ts, m
}

func TestRunAPI_SyncAsyncStatusCancel(t *testing.T) {
	ts, _ := mustOpenRunServer(t, 8)
	id := ts.mustCreateNote(t, "run api",
		"%flink.ssql\nCREATE TEMPORARY TABLE nums (n INT) WITH ('connector'='datagen','number-of-rows'='4','fields.n.kind'='sequence','fields.n.start'='1','fields.n.end'='4');\nCREATE TEMPORARY TABLE live (k INT) WITH ('connector'='datagen','rows-per-second'='20','fields.k.min'='1','fields.k.max'='3');",
		"%flink.bsql\nSELECT n, n * n AS sq FROM nums",
		"%flink.ssql\nSELECT k, COUNT(*) AS c FROM live GROUP BY k",
	)
	n := ts.mustGetNote(t, id)
	p := func(i int) string { return n.Paragraphs[i].ID }

	var res notebooks.Result
	ts.do(t, http.MethodPost, "/api/notebook/run/"+id+"/"+p(0), nil).mustOK(t, &res)
	ts.do(t, http.MethodPost, "/api/notebook/run/"+id+"/"+p(1), nil).mustOK(t, &res)
	if res.Code != notebooks.ResultSuccess || len(res.Msg) != 1 || res.Msg[0].Data != "n\tsq\n1\t1\n2\t4\n3\t9\n4\t16\n" {
		t.Fatalf("sync run result %+v", res)
	}

	// Async: a streaming aggregation; while it runs the paragraph shows its
	// live result in Zeppelin's TABLE encoding.
	ts.do(t, http.MethodPost, "/api/notebook/job/"+id+"/"+p(2), nil).mustOK(t, nil)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var para notebooks.Paragraph
		ts.do(t, http.MethodGet, "/api/notebook/"+id+"/paragraph/"+p(2), nil).mustOK(t, &para)
		if para.Status == notebooks.StatusRunning && para.Results != nil && len(para.Results.Msg) > 0 {
			data := para.Results.Msg[len(para.Results.Msg)-1].Data
			if strings.HasPrefix(data, "k\tc\n") && strings.Count(data, "\n") == 4 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no live result: %s %+v", para.Status, para.Results)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var job paragraphJob
	ts.do(t, http.MethodGet, "/api/notebook/job/"+id+"/"+p(2), nil).mustOK(t, &job)
	if job.Status != notebooks.StatusRunning || !strings.Contains(job.JobURL, "/#/job/") {
		t.Fatalf("job status %+v", job)
	}
	// Running it again while it runs is a conflict.
	ts.do(t, http.MethodPost, "/api/notebook/job/"+id+"/"+p(2), nil).mustFail(t, http.StatusConflict, "already running")

	ts.do(t, http.MethodDelete, "/api/notebook/job/"+id+"/"+p(2), nil).mustOK(t, nil)
	var para notebooks.Paragraph
	ts.do(t, http.MethodGet, "/api/notebook/"+id+"/paragraph/"+p(2), nil).mustOK(t, &para)
	if para.Status != notebooks.StatusAbort || para.Results == nil || !strings.HasPrefix(para.Results.Msg[len(para.Results.Msg)-1].Data, "k\tc\n") {
		t.Fatalf("after cancel: %s %+v", para.Status, para.Results)
	}

	// Unknown ids.
	ts.do(t, http.MethodPost, "/api/notebook/job/"+id+"/paragraph_1_1", nil).mustFail(t, http.StatusNotFound, "paragraph_1_1")
	ts.do(t, http.MethodPost, "/api/notebook/run/NOPE12345/"+p(0), nil).mustFail(t, http.StatusNotFound, "NOPE12345")
}

func TestRunAPI_RunAllStopsAtErrorAndSkipsDisabled(t *testing.T) {
	ts, _ := mustOpenRunServer(t, 8)
	id := ts.mustCreateNote(t, "run all",
		"%md\n# one",
		"%md\n# disabled",
		"%flink.bsql\nSELECT * FROM does_not_exist",
		"%md\n# never",
	)
	n := ts.mustGetNote(t, id)
	ts.do(t, http.MethodPut, "/api/notebook/"+id+"/paragraph/"+n.Paragraphs[1].ID+"/config", map[string]any{"enabled": false}).mustOK(t, nil)
	ts.do(t, http.MethodPost, "/api/notebook/job/"+id+"?blocking=true", nil).mustOK(t, nil)

	var status struct {
		IsRunning  bool           `json:"isRunning"`
		Paragraphs []paragraphJob `json:"paragraphs"`
	}
	ts.do(t, http.MethodGet, "/api/notebook/job/"+id, nil).mustOK(t, &status)
	want := []notebooks.Status{notebooks.StatusFinished, notebooks.StatusReady, notebooks.StatusError, notebooks.StatusReady}
	for i, pj := range status.Paragraphs {
		if pj.Status != want[i] {
			t.Errorf("paragraph %d: %s, want %s", i, pj.Status, want[i])
		}
	}
	if status.IsRunning {
		t.Error("isRunning after run-all ended")
	}
	n = ts.mustGetNote(t, id)
	if !strings.HasPrefix(n.Paragraphs[2].ErrorMessage, "Object 'does_not_exist' not found") {
		t.Errorf("error message %q", n.Paragraphs[2].ErrorMessage)
	}
}

func TestSessionsAPI(t *testing.T) {
	ts, _ := mustOpenRunServer(t, 3)
	a := ts.mustCreateNote(t, "A", "%md\nx")
	b := ts.mustCreateNote(t, "B", "%md\ny")

	var info sessions.Info
	r := ts.do(t, http.MethodPost, "/api/v1/sessions", map[string]string{"noteId": a})
	if r.Code != http.StatusCreated {
		t.Fatalf("start: %d %s", r.Code, r.Message)
	}
	var list sessionList
	getJSON(t, ts, "/api/v1/sessions", &list)
	if list.KPUs != 3 || list.InUse != 2 || len(list.Sessions) != 1 || list.Sessions[0].NoteID != a || list.Sessions[0].KPUs != 2 {
		t.Fatalf("list %+v", list)
	}
	sid := list.Sessions[0].ID
	getJSON(t, ts, "/api/v1/sessions/"+sid, &info)
	if info.State != sessions.StateIdle || info.KPUHours <= 0 {
		t.Fatalf("session %+v", info)
	}
	ts.do(t, http.MethodPost, "/api/v1/sessions", map[string]string{"noteId": b}).mustFail(t, http.StatusServiceUnavailable, `"A"`)
	ts.do(t, http.MethodPost, "/api/v1/sessions", map[string]string{}).mustFail(t, http.StatusBadRequest, "noteId")
	ts.do(t, http.MethodPost, "/api/v1/sessions", "{").mustFail(t, http.StatusBadRequest, "JSON")
	ts.do(t, http.MethodGet, "/api/v1/sessions/nope", nil).mustFail(t, http.StatusNotFound, "nope")

	var cluster clusterStatus
	getJSON(t, ts, "/api/v1/cluster", &cluster)
	if cluster.KPUs != 3 || cluster.InUse != 2 {
		t.Fatalf("cluster %+v", cluster)
	}
	if r := ts.do(t, http.MethodDelete, "/api/v1/sessions/"+sid, nil); r.Code != http.StatusOK {
		t.Fatalf("stop: %d %s", r.Code, r.Message)
	}
	getJSON(t, ts, "/api/v1/sessions", &list)
	if list.InUse != 0 || len(list.Sessions) != 0 {
		t.Fatalf("after stop %+v", list)
	}
	var usage sessions.UsageReport
	getJSON(t, ts, "/api/v1/usage", &usage)
	if usage.Notes[a] <= 0 {
		t.Fatalf("usage %+v", usage)
	}
}

// mustComplete asks for completions at the end of text in a note.
func (ts *testServer) mustComplete(t *testing.T, noteID, text string) []string {
	t.Helper()
	var out struct {
		Candidates []string `json:"candidates"`
	}
	if code := ts.native(t, http.MethodPost, "/api/v1/notebook/"+noteID+"/complete", completeRequest{Text: text, Position: len(text)}, &out); code != http.StatusOK {
		t.Fatalf("complete %q: HTTP %d", text, code)
	}
	return out.Candidates
}

// getJSON GETs a native /api/v1 route, which answers plain JSON.
func getJSON(t *testing.T, ts *testServer, path string, v any) {
	t.Helper()
	if code := ts.native(t, http.MethodGet, path, nil, v); code != http.StatusOK {
		t.Fatalf("GET %s: %d", path, code)
	}
}

// native sends a request to a native /api/v1 route (plain JSON, no
// envelope) with the token, decodes a 2xx answer into v and returns the
// HTTP status.
func (ts *testServer) native(t *testing.T, method, path string, body, v any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, ts.URL()+path, r)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := ts.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 && v != nil {
		if err := decodeJSONBody(resp, v); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func decodeJSONBody(resp *http.Response, v any) error {
	return json.NewDecoder(resp.Body).Decode(v)
}

func TestCompleteAPI(t *testing.T) {
	ts, _ := mustOpenRunServer(t, 8)
	id := ts.mustCreateNote(t, "complete", "%flink.ssql\nCREATE TEMPORARY TABLE orders_2026 (order_id BIGINT) WITH ('connector'='datagen');")
	n := ts.mustGetNote(t, id)
	ts.do(t, http.MethodPost, "/api/notebook/run/"+id+"/"+n.Paragraphs[0].ID, nil).mustOK(t, nil)

	complete := func(text string) []string { return ts.mustComplete(t, id, text) }
	// The note's session knows its temporary table.
	if got := complete("%flink.ssql\nSELECT * FROM orders_2"); !containsFold(got, "orders_2026") {
		t.Fatalf("candidates %v lack orders_2026", got)
	}
	complete("%flink.ssql\nSELECT * FROM ") // a cursor in trailing white space
	if got := complete("%md\n# SEL"); len(got) != 0 {
		t.Fatalf("markdown got candidates %v", got)
	}
	ts.do(t, http.MethodPost, "/api/v1/notebook/"+id+"/complete", `{"text":"x","position":5}`).mustFail(t, http.StatusBadRequest, "position")
	ts.do(t, http.MethodPost, "/api/v1/notebook/NOPE12345/complete", `{"text":"x","position":0}`).mustFail(t, http.StatusNotFound, "NOPE12345")
}

func containsFold(xs []string, want string) bool {
	for _, x := range xs {
		if strings.Contains(strings.ToLower(x), want) {
			return true
		}
	}
	return false
}
