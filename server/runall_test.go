package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/sessions"
)

// TestRunAll_StartsAStreamingDashboard runs all of a note whose middle
// paragraph is an endless streaming query on the real cluster: run-all ends
// with every paragraph going, the query still RUNNING and showing rows.
func TestRunAll_StartsAStreamingDashboard(t *testing.T) {
	ts, m := mustOpenRunServer(t, 8)
	id := ts.mustCreateNote(t, "dashboard",
		"%flink.ssql\nCREATE TEMPORARY TABLE ticks (x INT) WITH ('connector'='datagen','rows-per-second'='5','fields.x.kind'='random','fields.x.min'='1','fields.x.max'='9')",
		"%flink.ssql\nSELECT x FROM ticks",
		"%flink.ssql\nSELECT 1 AS n",
	)
	n := ts.mustGetNote(t, id)
	p := func(i int) string { return n.Paragraphs[i].ID }
	// Whatever happens, the endless query does not outlive the test.
	t.Cleanup(func() { ts.do(t, http.MethodDelete, "/api/notebook/job/"+id, nil) })

	mustRunAll(t, m, id, "the endless query")
	para := func(i int) notebooks.Paragraph {
		var q notebooks.Paragraph
		ts.do(t, http.MethodGet, "/api/notebook/"+id+"/paragraph/"+p(i), nil).mustOK(t, &q)
		return q
	}
	if q := para(0); q.Status != notebooks.StatusFinished {
		t.Fatalf("CREATE TABLE: %s %s", q.Status, q.ErrorMessage)
	}
	// SELECT 1 may still be ending when run-all has gone past it.
	deadline := time.Now().Add(time.Minute)
	for q := para(2); q.Status != notebooks.StatusFinished; q = para(2) {
		if q.Status == notebooks.StatusError || time.Now().After(deadline) {
			// Run-all stops early when a paragraph is refused or the
			// endless query ends other than FINISHED: say which.
			e := para(1)
			t.Fatalf("the paragraph after the endless query: %s %s (the endless query: %s %s)", q.Status, q.ErrorMessage, e.Status, e.ErrorMessage)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The endless query runs on and its rows keep coming.
	rowsOf := func(q notebooks.Paragraph) int {
		if q.Results == nil || len(q.Results.Msg) == 0 || !strings.HasPrefix(q.Results.Msg[len(q.Results.Msg)-1].Data, "x\n") {
			return 0
		}
		return strings.Count(q.Results.Msg[len(q.Results.Msg)-1].Data, "\n") - 1
	}
	first := para(1)
	if first.Status != notebooks.StatusRunning || rowsOf(first) == 0 {
		t.Fatalf("the streaming query after run-all: %s %+v", first.Status, first.Results)
	}
	deadline = time.Now().Add(time.Minute)
	for q := para(1); rowsOf(q) <= rowsOf(first); q = para(1) {
		if q.Status != notebooks.StatusRunning || time.Now().After(deadline) {
			t.Fatalf("the streaming query stopped showing new rows: %s, %d rows", q.Status, rowsOf(q))
		}
		time.Sleep(200 * time.Millisecond)
	}
	var job paragraphJob
	ts.do(t, http.MethodGet, "/api/notebook/job/"+id+"/"+p(1), nil).mustOK(t, &job)
	if job.Status != notebooks.StatusRunning || !strings.Contains(job.JobURL, "/#/job/") {
		t.Fatalf("job of the streaming query %+v", job)
	}

	ts.do(t, http.MethodDelete, "/api/notebook/job/"+id, nil).mustOK(t, nil)
	if q := para(1); q.Status != notebooks.StatusAbort {
		t.Fatalf("after stop all: %s", q.Status)
	}
}

// TestRunAll_StopsAtAnUnsupportedParagraph: run-all stops at a paragraph
// of an interpreter Eddy does not run, with the reason on that paragraph.
func TestRunAll_StopsAtAnUnsupportedParagraph(t *testing.T) {
	ts, _ := mustOpenRunServer(t, 8)
	id := ts.mustCreateNote(t, "unsupported",
		"%flink.bsql\nSELECT 1 AS n",
		"%flink\nprintln(1)",
		"%md\n# never",
	)
	n := ts.mustGetNote(t, id)
	ts.do(t, http.MethodPost, "/api/notebook/job/"+id+"?blocking=true", nil).mustOK(t, nil)
	n = ts.mustGetNote(t, id)
	if st := n.Paragraphs[0].Status; st != notebooks.StatusFinished {
		t.Errorf("first paragraph: %s %s", st, n.Paragraphs[0].ErrorMessage)
	}
	if q := n.Paragraphs[1]; q.Status != notebooks.StatusError || !strings.Contains(q.ErrorMessage, "Eddy does not run the Flink Scala interpreter") {
		t.Errorf("unsupported paragraph: %s %q", q.Status, q.ErrorMessage)
	}
	if st := n.Paragraphs[2].Status; st != notebooks.StatusReady {
		t.Errorf("paragraph after it: %s", st)
	}
}

// TestRunAll_GoesPastARunAsOneInsert: Zeppelin's runAsOne submits a
// paragraph's INSERTs as one job; run-all goes on once that job's tasks
// run, and the paragraph keeps following it.
func TestRunAll_GoesPastARunAsOneInsert(t *testing.T) {
	ts, m := mustOpenRunServer(t, 8)
	id := ts.mustCreateNote(t, "run as one",
		"%flink.ssql\nCREATE TEMPORARY TABLE src (x INT) WITH ('connector'='datagen','rows-per-second'='5','fields.x.kind'='random');\n"+
			"CREATE TEMPORARY TABLE sink_a (x INT) WITH ('connector'='blackhole');\nCREATE TEMPORARY TABLE sink_b (x INT) WITH ('connector'='blackhole');",
		"%flink.ssql(runAsOne=true)\nINSERT INTO sink_a SELECT x FROM src;\nINSERT INTO sink_b SELECT x + 1 FROM src;",
		"%flink.bsql\nSELECT 1 AS n",
	)
	n := ts.mustGetNote(t, id)
	t.Cleanup(func() { ts.do(t, http.MethodDelete, "/api/notebook/job/"+id, nil) })

	mustRunAll(t, m, id, "the endless INSERT job")
	n = ts.mustGetNote(t, id)
	want := []notebooks.Status{notebooks.StatusFinished, notebooks.StatusRunning, notebooks.StatusFinished}
	for i, w := range want {
		if got := n.Paragraphs[i].Status; got != w {
			t.Errorf("paragraph %d: %s, want %s (%s)", i, got, w, n.Paragraphs[i].ErrorMessage)
		}
	}
	info := m.SessionState(id)
	if info == nil || len(info.Jobs) != 1 || info.Jobs[0].ParagraphID != n.Paragraphs[1].ID {
		t.Fatalf("jobs of the note: %+v", info)
	}
	ts.do(t, http.MethodDelete, "/api/notebook/job/"+id, nil).mustOK(t, nil)
}

// TestRunAll_GoesPastAQueryThatEmitsNothingYet: a streaming query that has
// shown no row (a filter nothing passes yet, a long window) counts as
// started once every task of its job runs.
func TestRunAll_GoesPastAQueryThatEmitsNothingYet(t *testing.T) {
	ts, m := mustOpenRunServer(t, 8)
	id := ts.mustCreateNote(t, "quiet",
		"%flink.ssql\nCREATE TEMPORARY TABLE ticks (x INT) WITH ('connector'='datagen','rows-per-second'='5','fields.x.kind'='random','fields.x.min'='1','fields.x.max'='9')",
		"%flink.ssql\nSELECT x FROM ticks WHERE x > 100",
		"%flink.bsql\nSELECT 1 AS n",
	)
	t.Cleanup(func() { ts.do(t, http.MethodDelete, "/api/notebook/job/"+id, nil) })

	mustRunAll(t, m, id, "the first row of a query that has none")
	n := ts.mustGetNote(t, id)
	want := []notebooks.Status{notebooks.StatusFinished, notebooks.StatusRunning, notebooks.StatusFinished}
	for i, w := range want {
		if got := n.Paragraphs[i].Status; got != w {
			t.Errorf("paragraph %d: %s, want %s (%s)", i, got, w, n.Paragraphs[i].ErrorMessage)
		}
	}
	if live, ok := m.Live(id, n.Paragraphs[1].ID); !ok || !live.Producing || live.Result == nil || live.Result.Snapshot == nil || len(live.Result.Snapshot.Rows) != 0 {
		t.Fatalf("the quiet query: %+v", live)
	}
	ts.do(t, http.MethodDelete, "/api/notebook/job/"+id, nil).mustOK(t, nil)
}

// mustRunAll runs the note's run-all and waits (3 minutes at most) for it
// to end; waitsFor names what a run-all that never ends waits for.
func mustRunAll(t *testing.T, m *sessions.Manager, id, waitsFor string) {
	t.Helper()
	done, err := m.RunAll(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		t.Fatalf("run-all did not end: it waits for %s", waitsFor)
	}
}
