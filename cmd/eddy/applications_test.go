package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

// app is an application as the API answers it (the fields tests read).
type app struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Status   string `json:"status"`
	Failure  string `json:"failure"`
	JobID    string `json:"jobId"`
	FlinkURL string `json:"flinkUrl"`
	Version  int    `json:"version"`
	KPUs     int    `json:"kpus"`
	Script   string `json:"script"`
	Excluded []struct {
		ParagraphID string `json:"paragraphId"`
		Reason      string `json:"reason"`
	} `json:"excluded"`
}

type appEvent struct {
	Kind    string `json:"kind"`
	Message string `json:"message"`
}

// createNote creates a note with one paragraph per text and returns its id
// and paragraph ids.
func createNote(t *testing.T, base, name string, texts ...string) (string, []string) {
	t.Helper()
	var ps []map[string]string
	for _, text := range texts {
		ps = append(ps, map[string]string{"text": text})
	}
	var id string
	_ = json.Unmarshal(api(t, base, http.MethodPost, "/api/notebook", map[string]any{"name": name, "paragraphs": ps}), &id)
	var note struct {
		Paragraphs []struct {
			ID string `json:"id"`
		} `json:"paragraphs"`
	}
	_ = json.Unmarshal(api(t, base, http.MethodGet, "/api/notebook/"+id, nil), &note)
	var pids []string
	for _, p := range note.Paragraphs {
		pids = append(pids, p.ID)
	}
	return id, pids
}

// waitApp polls an application until ok holds, and returns it.
func waitApp(t *testing.T, base, id, what string, d time.Duration, ok func(app) bool) app {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		var a app
		code := native(t, base, http.MethodGet, "/api/v1/applications/"+id, nil, &a)
		if code == http.StatusOK && ok(a) {
			return a
		}
		if a.Status == "FAILED" && !ok(a) {
			t.Fatalf("%s: the application failed: %s\nevents: %v", what, a.Failure, appEvents(t, base, id))
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: after %s the application is %s (%d)\nevents: %v", what, d, a.Status, code, appEvents(t, base, id))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func appEvents(t *testing.T, base, id string) []appEvent {
	t.Helper()
	var out struct {
		Events []appEvent `json:"events"`
	}
	native(t, base, http.MethodGet, "/api/v1/applications/"+id+"/events", nil, &out)
	return out.Events
}

// waitCheckpoints waits until the application's job has completed more
// checkpoints than done (restored at least restored times) and returns
// the completed count.
func waitCheckpoints(t *testing.T, base string, a app, done, restored int) int {
	t.Helper()
	// The job's JobManager through Eddy, as its Flink UI link reaches it.
	ui, _, _ := strings.Cut(a.FlinkURL, "/#/")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for {
		c, err := checkpointCounts(ctx, base+ui+"/jobs/"+a.JobID+"/checkpoints")
		if err == nil && c.Completed > done && c.Restored >= restored {
			return c.Completed
		}
		if ctx.Err() != nil {
			t.Fatalf("no new checkpoint of %s after %d (restored %d): %+v %v", a.JobID, done, restored, c, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// checkpointCounts asks a JobManager's REST API at url, with Eddy's token,
// how many checkpoints its job completed and restored.
func checkpointCounts(ctx context.Context, url string) (flinktest.CheckpointCounts, error) {
	var out struct {
		Counts flinktest.CheckpointCounts `json:"counts"`
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return out.Counts, err
	}
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return out.Counts, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return out.Counts, fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
	}
	err = json.NewDecoder(resp.Body).Decode(&out)
	return out.Counts, err
}

// appJVM returns the pid of the application cluster's JVM whose command
// line names class, or fails.
func appJVM(t *testing.T, appDir, class string) int {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		for _, pid := range flinktest.JVMsUsing(appDir) {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if strings.Contains(string(cmdline), class) {
				return pid
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s JVM in %s", class, appDir)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// stopEddy stops a running eddy with sig and waits for it and its JVMs.
func stopEddy(t *testing.T, cmd interface {
	Wait() error
}, proc *os.Process, sig syscall.Signal, dir string) {
	t.Helper()
	if err := proc.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(shutdownTimeout + 10*time.Second):
		t.Fatalf("eddy did not exit within %s of %s", shutdownTimeout, sig)
	}
	waitNoJVM(t, dir)
}

// TestEddy_ApplicationExactlyOnce promotes a note to an application on its
// own cluster: a bounded sequence 1..N, a keyed tumbling-window aggregation
// (state) and a filesystem sink (transactional: files commit on
// checkpoints). While it runs, the test stops the note's session (the
// application keeps running), SIGKILLs the application's TaskManager, then
// its JobManager, stops it with a snapshot and starts it from that
// snapshot, SIGKILLs Eddy and starts it again (the application resumes from
// its latest checkpoint), and stops Eddy with SIGTERM and starts it again
// (it resumes from the snapshot taken at shutdown). When the source is
// exhausted the sink holds exactly the expected windows: none lost, none
// twice.
func TestEddy_ApplicationExactlyOnce(t *testing.T) {
	const n, rate = 4000, 40
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), "out")
	cmd, base := startEddy(t, dir)

	setup := fmt.Sprintf(`%%flink.ssql
SET 'execution.checkpointing.interval' = '2s';
CREATE TABLE seq_eo (id BIGINT, ts AS TO_TIMESTAMP_LTZ(id * 100, 3), WATERMARK FOR ts AS ts) WITH (
  'connector' = 'datagen', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '%d',
  'rows-per-second' = '%d');
CREATE TABLE win_eo (k BIGINT, w STRING, cnt BIGINT, total BIGINT) WITH (
  'connector' = 'filesystem', 'path' = 'file://%s', 'format' = 'csv')`, n, rate, out)
	insert := `%flink.ssql
INSERT INTO win_eo
SELECT id % 5, CAST(window_start AS STRING), COUNT(*), SUM(id)
FROM TABLE(TUMBLE(TABLE seq_eo, DESCRIPTOR(ts), INTERVAL '1' SECOND))
GROUP BY id % 5, window_start, window_end`
	noteID, pids := createNote(t, base, "exactly once", "%md\n# Windows per key", setup, insert, "%flink.ssql\nSELECT * FROM seq_eo")
	// The note's own session: the setup paragraph runs in it (the tables
	// are in the persistent catalog from now on).
	api(t, base, http.MethodPost, "/api/notebook/run/"+noteID+"/"+pids[1], nil)

	var a app
	if code := native(t, base, http.MethodPost, "/api/v1/applications", map[string]any{"noteId": noteID, "name": "windows-eo", "parallelism": 1}, &a); code != http.StatusCreated {
		t.Fatalf("create: %d %+v", code, a)
	}
	if a.Status != "READY" || a.Version != 1 || a.KPUs != 2 || len(a.Excluded) != 2 ||
		!strings.Contains(a.Script, "EXECUTE STATEMENT SET") || !strings.Contains(a.Script, "CREATE TABLE IF NOT EXISTS seq_eo") {
		t.Fatalf("created application: %+v", a)
	}
	appDir := filepath.Join(dir, "applications", a.ID)
	if code := native(t, base, http.MethodPost, "/api/v1/applications/"+a.ID+"/start", map[string]any{"restore": "NONE"}, &a); code != http.StatusAccepted {
		t.Fatalf("start: %d", code)
	}
	a = waitApp(t, base, a.ID, "first start", 3*time.Minute, func(a app) bool { return a.Status == "RUNNING" })
	if a.JobID != "0000000000000000"+a.ID || a.FlinkURL != "/flink-app/"+a.ID+"/#/job/running/"+a.JobID+"/overview" {
		t.Fatalf("job %s at %s: want the fixed job id, on the Flink UI through Eddy", a.JobID, a.FlinkURL)
	}
	done := waitCheckpoints(t, base, a, 1, 0)

	// Ending the note's session leaves the application running.
	stopSessionOf(t, base, noteID)
	time.Sleep(3 * time.Second)
	a = waitApp(t, base, a.ID, "after the session ended", time.Second, func(a app) bool { return a.Status == "RUNNING" })
	done = waitCheckpoints(t, base, a, done, 0)

	// SIGKILL the TaskManager: Flink restarts the job from its checkpoint.
	if err := syscall.Kill(appJVM(t, appDir, "TaskManagerRunner"), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitCheckpoints(t, base, a, 0, 1)
	// SIGKILL the JobManager: Eddy restarts it from the newest checkpoint.
	if err := syscall.Kill(appJVM(t, appDir, "StandaloneApplicationClusterEntryPoint"), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitApp(t, base, a.ID, "after the JobManager's crash", 2*time.Minute, func(a app) bool {
		return a.Status == "RUNNING" && hasEvent(t, base, a.ID, "restarted", "Eddy restarted it from")
	})
	waitCheckpoints(t, base, a, 0, 1)

	// Stop with a snapshot, start from it.
	if code := native(t, base, http.MethodPost, "/api/v1/applications/"+a.ID+"/stop", map[string]any{"snapshot": true}, &a); code != http.StatusAccepted || a.Status != "STOPPING" {
		t.Fatalf("stop: %d %s", code, a.Status)
	}
	waitApp(t, base, a.ID, "stop", 2*time.Minute, func(a app) bool { return a.Status == "READY" })
	var snaps struct {
		Snapshots []struct {
			ID, Path, Trigger string
		} `json:"snapshots"`
	}
	native(t, base, http.MethodGet, "/api/v1/applications/"+a.ID+"/snapshots", nil, &snaps)
	if len(snaps.Snapshots) != 1 || snaps.Snapshots[0].Trigger != "stop" || !strings.HasPrefix(snaps.Snapshots[0].Path, appDir) {
		t.Fatalf("snapshots after the stop: %+v", snaps)
	}
	native(t, base, http.MethodPost, "/api/v1/applications/"+a.ID+"/start", map[string]any{"restore": map[string]string{"snapshotId": snaps.Snapshots[0].ID}}, &a)
	a = waitApp(t, base, a.ID, "start from the snapshot", 3*time.Minute, func(a app) bool { return a.Status == "RUNNING" })
	if !hasEvent(t, base, a.ID, "starting", "from snapshot "+snaps.Snapshots[0].ID) {
		t.Fatalf("the start does not say it restores the snapshot: %v", appEvents(t, base, a.ID))
	}
	waitCheckpoints(t, base, a, 0, 1)

	// SIGKILL Eddy: every JVM dies with it; the next Eddy resumes the
	// application from its latest checkpoint.
	stopEddy(t, cmd, cmd.Process, syscall.SIGKILL, dir)
	cmd, base = startEddy(t, dir)
	// Nothing runs yet: its cluster died with the old Eddy.
	if native(t, base, http.MethodGet, "/api/v1/applications/"+a.ID, nil, &a); a.Status != "STARTING" {
		t.Fatalf("right after the restart the application is %s, want STARTING", a.Status)
	}
	a = waitApp(t, base, a.ID, "resume after SIGKILL", 3*time.Minute, func(a app) bool { return a.Status == "RUNNING" })
	if !hasEvent(t, base, a.ID, "starting", "Eddy restarted: starting version 1 on target standalone with parallelism 1 (2 KPUs), from its latest checkpoint chk-") {
		t.Fatalf("the resume does not say it restores a checkpoint: %v", appEvents(t, base, a.ID))
	}
	waitCheckpoints(t, base, a, 0, 1)

	// SIGTERM Eddy: it stops the application with a snapshot and resumes
	// it from there.
	stopEddy(t, cmd, cmd.Process, syscall.SIGTERM, dir)
	_, base = startEddy(t, dir)
	a = waitApp(t, base, a.ID, "resume after SIGTERM", 3*time.Minute, func(a app) bool { return a.Status == "RUNNING" })
	native(t, base, http.MethodGet, "/api/v1/applications/"+a.ID+"/snapshots", nil, &snaps)
	if len(snaps.Snapshots) != 2 || snaps.Snapshots[0].Trigger != "shutdown" {
		t.Fatalf("snapshots after SIGTERM: %+v", snaps)
	}
	if !hasEvent(t, base, a.ID, "starting", "from snapshot "+snaps.Snapshots[0].ID) {
		t.Fatalf("the resume does not restore the shutdown snapshot: %v", appEvents(t, base, a.ID))
	}

	// The bounded source ends; the job finishes and the application is READY.
	waitApp(t, base, a.ID, "the job's end", 5*time.Minute, func(a app) bool { return a.Status == "READY" })
	if !hasEvent(t, base, a.ID, "finished", "") {
		t.Fatalf("no finished event: %v", appEvents(t, base, a.ID))
	}
	checkWindows(t, out, n)
}

func hasEvent(t *testing.T, base, id, kind, text string) bool {
	for _, e := range appEvents(t, base, id) {
		if e.Kind == kind && strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

// checkWindows reads the committed part files under dir (hidden
// in-progress files are not committed) and compares them with the
// windows of ids 1..n: window floor(id/10) (ids are 100 ms apart, windows
// one second), key id % 5, with each group's count and sum.
func checkWindows(t *testing.T, dir string, n int) {
	t.Helper()
	type group struct{ w, k int64 }
	type agg struct{ cnt, total int64 }
	want := map[group]agg{}
	for id := int64(1); id <= int64(n); id++ {
		g := group{id / 10, id % 5}
		a := want[g]
		a.cnt++
		a.total += id
		want[g] = a
	}
	rows, err := flinktest.CommittedRows(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Window starts are timestamps as text; their order is the windows'.
	starts := map[string]bool{}
	for _, r := range rows {
		starts[r[1]] = true
	}
	var sorted []string
	for s := range starts {
		sorted = append(sorted, s)
	}
	sort.Strings(sorted)
	windowOf := map[string]int64{}
	for i, s := range sorted {
		windowOf[s] = int64(i) // ids start at 1: window 0 holds ids 1..9
	}
	got := map[group]agg{}
	for _, r := range rows {
		k, _ := strconv.ParseInt(r[0], 10, 64)
		cnt, _ := strconv.ParseInt(r[2], 10, 64)
		total, _ := strconv.ParseInt(r[3], 10, 64)
		g := group{windowOf[r[1]], k}
		if _, dup := got[g]; dup {
			t.Errorf("window %s key %d written twice", r[1], k)
		}
		got[g] = agg{cnt, total}
	}
	if len(rows) != len(want) {
		t.Errorf("%d rows, want %d", len(rows), len(want))
	}
	for g, a := range want {
		if got[g] != a {
			t.Errorf("window %d key %d: got %+v, want %+v", g.w, g.k, got[g], a)
		}
	}
}
