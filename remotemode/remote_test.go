// Package remotemode tests Eddy in remote mode: the real eddy binary,
// started with --flink-gateway and --flink-rest, against a Flink cluster
// it does not own (a JobManager, two TaskManagers and a SQL Gateway that
// the suite starts with Flink's own entry points).
package remotemode

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// streamingCount is an endless streaming aggregation: one row whose count
// keeps growing.
const streamingCount = "%flink.ssql(type=update)\n" +
	"CREATE TEMPORARY TABLE g (a INT) WITH ('connector' = 'datagen', 'rows-per-second' = '20');\n" +
	"SELECT COUNT(*) AS n FROM g"

// TestRemoteMode runs Eddy against a remote cluster: notes, live results,
// cancel, savepoints, sessions and KPUs, and a TaskManager lost mid-query.
// The subtests share the cluster and Eddy and run in order; the lost
// TaskManager comes last.
func TestRemoteMode(t *testing.T) {
	build := buildEddy(t.TempDir()) // while the cluster starts
	c := startRemoteCluster(t)
	e := startEddy(t, c, build)

	t.Run("ClusterAndCapacity", func(t *testing.T) {
		var st clusterStatus
		e.native(t, http.MethodGet, "/api/v1/cluster", nil, &st)
		if st.Mode != "remote" || st.RestURL != c.rest || st.TaskManagers != taskManagers || st.SlotsTotal != taskManagers*slotsPerTM {
			t.Fatalf("cluster = %+v, want remote at %s with %d TaskManagers and %d slots", st, c.rest, taskManagers, taskManagers*slotsPerTM)
		}
		// Two KPUs per slot of the remote cluster.
		if l := e.sessions(t); l.KPUCapacity != 2*taskManagers*slotsPerTM || l.KPUsInUse != 0 {
			t.Fatalf("sessions: capacity %d, in use %d; want %d, 0", l.KPUCapacity, l.KPUsInUse, 2*taskManagers*slotsPerTM)
		}
	})

	t.Run("NoteWithDDLAndBoundedQuery", func(t *testing.T) {
		id, pids := e.createNote(t, "bounded",
			"%flink.ssql\nCREATE TEMPORARY TABLE nums (n BIGINT) WITH ('connector' = 'datagen', "+
				"'number-of-rows' = '100', 'fields.n.kind' = 'sequence', 'fields.n.start' = '1', 'fields.n.end' = '100')",
			"%flink.bsql\nSELECT SUM(n) AS s, COUNT(*) AS c FROM nums")
		defer e.stopSessionOf(t, id)
		if p := e.runSync(t, id, pids[0]); p.Status != "FINISHED" {
			t.Fatalf("DDL: %s %q", p.Status, p.ErrorMessage)
		}
		p := e.runSync(t, id, pids[1])
		if p.Status != "FINISHED" {
			t.Fatalf("bounded query: %s %q", p.Status, p.ErrorMessage)
		}
		var table string
		for _, m := range p.Results.Msg {
			if m.Type == "TABLE" {
				table = m.Data
			}
		}
		if want := "s\tc\n5050\t100\n"; table != want {
			t.Fatalf("bounded query table = %q, want %q", table, want)
		}
	})

	t.Run("LiveResultsSessionsAndCancel", func(t *testing.T) {
		id, pids := e.createNote(t, "live", streamingCount)
		defer e.stopSessionOf(t, id)
		pid := pids[0]
		v := e.view(t, id)
		v.send(t, map[string]any{"op": "run", "noteId": id, "paragraphId": pid})
		// Live results over the websocket: the count grows.
		first := v.next(t, pid, 2*time.Minute, "a count", func(p liveParagraph) bool { return countOf(p) > 0 })
		later := v.next(t, pid, time.Minute, "a larger count", func(p liveParagraph) bool { return countOf(p) > countOf(first) })
		if later.Status != "RUNNING" || later.JobID == "" {
			t.Fatalf("live state %+v: want RUNNING with a job", later)
		}
		jobID := later.JobID
		if st := c.jobState(t, jobID); st != "RUNNING" {
			t.Fatalf("the remote JobManager has job %s %s, want RUNNING", jobID, st)
		}
		// The job link goes through Eddy's proxy to the remote JobManager.
		if !strings.HasPrefix(later.JobURL, "/flink/#/job/running/"+jobID) {
			t.Fatalf("job URL %q, want Eddy's /flink/ proxy", later.JobURL)
		}
		var job struct {
			JID string `json:"jid"`
		}
		if code := e.native(t, http.MethodGet, "/flink/jobs/"+jobID, nil, &job); code != http.StatusOK || job.JID != jobID {
			t.Fatalf("GET /flink/jobs/%s through eddy: %d %+v", jobID, code, job)
		}

		// The note's session holds its KPUs and shows the job.
		l := e.sessions(t)
		if len(l.Sessions) != 1 || l.Sessions[0].NoteID != id || len(l.Sessions[0].Jobs) != 1 || l.Sessions[0].Jobs[0].JobID != jobID {
			t.Fatalf("sessions = %+v, want the note's session with job %s", l, jobID)
		}
		if s := l.Sessions[0]; l.KPUsInUse != s.KPUs || s.KPUs <= s.Jobs[0].KPUs || s.Jobs[0].KPUs < 1 {
			t.Fatalf("KPUs: in use %d, session %+v", l.KPUsInUse, s)
		}

		// Cancel: the paragraph ends ABORT and the remote job is cancelled.
		v.send(t, map[string]any{"op": "cancel", "noteId": id, "paragraphId": pid})
		v.next(t, pid, time.Minute, "ABORT", func(p liveParagraph) bool { return p.Status == "ABORT" })
		waitFor(t, "the remote job to be cancelled", time.Minute, func() bool { return c.jobState(t, jobID) == "CANCELED" })
		if p := e.paragraph(t, id, pid); p.Status != "ABORT" {
			t.Fatalf("stored paragraph %s, want ABORT", p.Status)
		}

		// Stopping the session gives its KPUs back.
		e.stopSessionOf(t, id)
		if l := e.sessions(t); len(l.Sessions) != 0 || l.KPUsInUse != 0 {
			t.Fatalf("after stopping the session: %+v", l)
		}
	})

	t.Run("StopWithSavepoint", func(t *testing.T) {
		// The savepoint directory is the cluster's (here on the same
		// machine): the JobManager and TaskManagers write it, not Eddy.
		dir := filepath.Join(c.dir, "savepoints")
		id, pids := e.createNote(t, "savepoint", "%flink.ssql(savepointDir="+dir+")\n"+
			"CREATE TEMPORARY TABLE g (a INT) WITH ('connector' = 'datagen', 'rows-per-second' = '20');\n"+
			"CREATE TEMPORARY TABLE out_t (a INT) WITH ('connector' = 'blackhole');\n"+
			"INSERT INTO out_t SELECT a FROM g")
		defer e.stopSessionOf(t, id)
		pid := pids[0]
		e.api(t, http.MethodPost, "/api/notebook/job/"+id+"/"+pid, nil)
		var jobID string
		waitFor(t, "the INSERT job to run", 2*time.Minute, func() bool {
			l := e.sessions(t)
			for _, s := range l.Sessions {
				for _, j := range s.Jobs {
					if s.NoteID == id && j.Status == "RUNNING" {
						jobID = j.JobID
					}
				}
			}
			if p := e.paragraph(t, id, pid); p.Status == "ERROR" {
				t.Fatalf("INSERT failed: %s", p.ErrorMessage)
			}
			return jobID != ""
		})
		if code := e.native(t, http.MethodDelete, "/api/notebook/job/"+id+"/"+pid, nil, nil); code != http.StatusOK {
			t.Fatalf("cancel: %d", code)
		}
		var p storedParagraph
		waitFor(t, "the paragraph to stop", 2*time.Minute, func() bool {
			p = e.paragraph(t, id, pid)
			return p.Status != "RUNNING" && p.Status != "PENDING"
		})
		loc, _ := p.Config["savepointPath"].(string)
		if loc == "" {
			t.Fatalf("paragraph %s %q: no savepointPath in its config %v", p.Status, p.ErrorMessage, p.Config)
		}
		if !strings.HasPrefix(strings.TrimPrefix(loc, "file:"), dir) {
			t.Fatalf("savepoint at %q, want under %s", loc, dir)
		}
		if _, err := os.Stat(filepath.Join(strings.TrimPrefix(loc, "file:"), "_metadata")); err != nil {
			t.Fatalf("savepoint %s: %v", loc, err)
		}
		if !hasText(p, "Job stopped with a savepoint at "+loc) {
			t.Fatalf("paragraph output %+v does not say where the savepoint is", p.Results.Msg)
		}
		if st := c.jobState(t, jobID); st != "FINISHED" {
			t.Fatalf("job %s is %s after stop with savepoint, want FINISHED", jobID, st)
		}
	})

	// A TaskManager lost mid-query, twice: first with Flink's default
	// restart strategy (none, as checkpointing is off), then with
	// checkpointing and a fixed delay restart strategy set in the paragraph. The lost TaskManager is started again
	// in between, and the KPU capacity follows the slots both ways.
	t.Run("TaskManagerLost", func(t *testing.T) {
		loseTaskManager(t, c, e, "")
		c.restart(t, lostTM)
		waitFor(t, "the KPU capacity to follow the TaskManager back", time.Minute, func() bool {
			return e.sessions(t).KPUCapacity == 2*taskManagers*slotsPerTM
		})
	})
	t.Run("TaskManagerLostWithRestartStrategy", func(t *testing.T) {
		// With checkpointing: a query's collected result survives a restart
		// only from a checkpoint (without one the gateway's fetch fails
		// with "Job restarted").
		loseTaskManager(t, c, e, "SET 'execution.checkpointing.interval' = '1 s';\n"+
			"SET 'restart-strategy.type' = 'fixed-delay';\n"+
			"SET 'restart-strategy.fixed-delay.attempts' = '5';\n"+
			"SET 'restart-strategy.fixed-delay.delay' = '1 s';\n")
	})
}

// lostTM is the TaskManager loseTaskManager killed last.
var lostTM string

// loseTaskManager runs streamingCount (after setup, SET statements) and
// kills the TaskManager its job runs on. Eddy must show what became of
// the query (it fails with an error that says why, or its job restarts on
// the other TaskManager and the count goes on), follow the lost slots in
// the KPU capacity, and leave no stuck session: the note runs a query on
// what is left, and its session stops and gives its KPUs back.
func loseTaskManager(t *testing.T, c *remoteCluster, e *eddyProc, setup string) {
	id, pids := e.createNote(t, "tm-lost", strings.Replace(streamingCount, "\n", "\n"+setup, 1), "%flink.bsql\nSELECT 42 AS answer")
	defer e.stopSessionOf(t, id)
	pid := pids[0]
	v := e.view(t, id)
	v.send(t, map[string]any{"op": "run", "noteId": id, "paragraphId": pid})
	running := v.next(t, pid, 2*time.Minute, "a count", func(p liveParagraph) bool { return countOf(p) > 0 })
	jobID := running.JobID
	lostTM = c.busyTaskManager(t)
	c.kill(t, lostTM)
	t.Logf("killed TaskManager %s, which ran job %s (count %d)", lostTM, jobID, countOf(running))

	waitFor(t, "eddy to see one TaskManager", time.Minute, func() bool {
		var st clusterStatus
		e.native(t, http.MethodGet, "/api/v1/cluster", nil, &st)
		return st.TaskManagers == taskManagers-1 && st.SlotsTotal == (taskManagers-1)*slotsPerTM
	})
	waitFor(t, "the KPU capacity to follow the lost slots", time.Minute, func() bool {
		return e.sessions(t).KPUCapacity == 2*(taskManagers-1)*slotsPerTM
	})

	var failed storedParagraph
	waitFor(t, "the query to fail or resume", 2*time.Minute, func() bool {
		p := e.paragraph(t, id, pid)
		if p.Status == "ERROR" {
			failed = p
			return true
		}
		if p.Status != "RUNNING" || c.jobState(t, jobID) != "RUNNING" {
			return false
		}
		busy := c.taskManagerInUse(t)
		return busy != "" && busy != lostTM
	})
	if failed.Status == "ERROR" {
		msg := strings.ToLower(failed.ErrorMessage)
		if !strings.Contains(msg, "taskmanager") || !strings.Contains(msg, lostTM) {
			t.Fatalf("the query failed with %q, which does not say the TaskManager was lost", failed.ErrorMessage)
		}
		t.Logf("the query failed: %s", firstLine(failed.ErrorMessage))
	} else {
		before := countOf(running)
		after := v.next(t, pid, time.Minute, "the count going on after the restart", func(p liveParagraph) bool {
			return p.Status == "RUNNING" && countOf(p) > before
		})
		t.Logf("the job restarted on the other TaskManager; count %d before the loss, %d after", before, countOf(after))
		if len(after.Rows) != 1 {
			// Known: the rows shown past the last checkpoint are not
			// retracted when the job replays from it.
			t.Logf("KNOWN ISSUE: after the restart the one-row count shows %d rows: %+v", len(after.Rows), after.Rows)
		}
		if code := e.native(t, http.MethodDelete, "/api/notebook/job/"+id+"/"+pid, nil, nil); code != http.StatusOK {
			t.Fatalf("cancel: %d", code)
		}
		waitFor(t, "the paragraph to stop", time.Minute, func() bool { return e.paragraph(t, id, pid).Status == "ABORT" })
	}

	p := e.runSync(t, id, pids[1])
	if p.Status != "FINISHED" || len(p.Results.Msg) == 0 || p.Results.Msg[len(p.Results.Msg)-1].Data != "answer\n42\n" {
		t.Fatalf("a query after the loss: %s %q %+v", p.Status, p.ErrorMessage, p.Results.Msg)
	}
	e.stopSessionOf(t, id)
	if l := e.sessions(t); len(l.Sessions) != 0 || l.KPUsInUse != 0 {
		t.Fatalf("after stopping the session: %+v", l)
	}
	waitFor(t, "no job left running on the remote cluster", time.Minute, func() bool {
		var ov overview
		return getJSON(c.rest+"/overview", &ov) == nil && ov.JobsRunning == 0
	})
}

// countOf is the largest count a live state of streamingCount shows, 0
// if none. (After a job restarts from a checkpoint the table may show a
// stale row beside the current one: see loseTaskManager.)
func countOf(p liveParagraph) int {
	best := 0
	for _, r := range p.Rows {
		if len(r.Fields) == 1 {
			if n, err := strconv.Atoi(fmt.Sprint(r.Fields[0])); err == nil && n > best {
				best = n
			}
		}
	}
	return best
}

// hasText says whether a paragraph's output has a TEXT message containing s.
func hasText(p storedParagraph, s string) bool {
	for _, m := range p.Results.Msg {
		if m.Type == "TEXT" && strings.Contains(m.Data, s) {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
