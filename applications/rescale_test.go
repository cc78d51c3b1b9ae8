package applications_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/applications"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// TestManager_RescaleInPlace: an application on its own cluster with keyed
// state (a running count per key, through a filesystem sink that commits
// on checkpoints) is rescaled 1 → 2 → 1 while it runs. Each rescale is in
// place (the same job, the adaptive scheduler restoring it from its
// checkpoint), its KPUs follow (reserved before, released after), the
// TaskManager a parallelism no longer needs is stopped, and a rescale
// above the maximum parallelism or the free capacity is refused with
// nothing changed. Stopped with a snapshot, the sink holds every count of
// every key exactly once: none restarted at zero, none twice.
func TestManager_RescaleInPlace(t *testing.T) {
	f := newFixture(t, 3, applications.Quotas{})
	ctx := context.Background()
	out := t.TempDir()
	noteID := f.countsNote(t, "rescale-in-place", out)
	a, err := f.m.Create(ctx, applications.CreateRequest{NoteID: noteID, Name: "counts", Target: applications.TargetStandalone,
		Parallelism: 1, MaxParallelism: 2, CheckpointIntervalMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if a.MaxParallelism != 2 {
		t.Fatalf("max parallelism %d, want the 2 asked for", a.MaxParallelism)
	}
	if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreNone}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	jmURL, err := f.m.JobManagerURL(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	jm := flink.NewJobManager(jmURL, nil)
	time.Sleep(3 * time.Second) // some counts at parallelism 1

	// Refusals change nothing.
	if _, err := f.m.Rescale(ctx, a.ID, 3); code(err) != eddy.EINVALID || !strings.Contains(err.Error(), "maximum parallelism 2") {
		t.Fatalf("a rescale above the maximum parallelism: %v", err)
	}
	if err := f.ledger.ReserveApplication("other", "other", 1, "fill the capacity"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Rescale(ctx, a.ID, 2); code(err) != eddy.ECAPACITY {
		t.Fatalf("a rescale without the KPUs for it: %v", err)
	}
	f.ledger.ReleaseApplication("other", 1)
	if got, _ := f.m.Get(ctx, a.ID); got.Status != applications.StatusRunning || got.Parallelism != 1 || f.ledger.InUse() != 2 {
		t.Fatalf("after refused rescales: %s at parallelism %d, %d KPUs in use", got.Status, got.Parallelism, f.ledger.InUse())
	}

	rescale := func(to, kpus int) {
		t.Helper()
		got, err := f.m.Rescale(ctx, a.ID, to)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != applications.StatusUpdating || f.ledger.InUse() < kpus {
			t.Fatalf("rescaling to %d: %s with %d KPUs in use, want UPDATING holding at least %d", to, got.Status, f.ledger.InUse(), kpus)
		}
		waitStatus(t, f.m, a.ID, applications.StatusRunning)
		got, _ = f.m.Get(ctx, a.ID)
		if got.Parallelism != to || got.KPUs != kpus || f.ledger.InUse() != kpus {
			t.Fatalf("rescaled to %d: parallelism %d, %d KPUs, %d in use; want %d KPUs", to, got.Parallelism, got.KPUs, f.ledger.InUse(), kpus)
		}
		evs, _ := f.m.Events(ctx, a.ID)
		if evs[0].Kind != "rescaled" || !strings.Contains(evs[0].Message, "in place") {
			t.Fatalf("the last event is %s %q, want rescaled in place", evs[0].Kind, evs[0].Message)
		}
		job, err := jm.Job(ctx, a.JobID)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range job.Vertices {
			if v.Parallelism != to {
				t.Fatalf("vertex %q runs at %d, want %d", v.Name, v.Parallelism, to)
			}
		}
		// The TaskManagers follow: one per slot needed, once the stopped one
		// has left.
		deadline := time.Now().Add(time.Minute)
		for {
			tms, err := jm.TaskManagers(ctx)
			if err == nil && len(tms) == to {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d TaskManagers registered at parallelism %d (%v)", len(tms), to, err)
			}
			time.Sleep(time.Second)
		}
		time.Sleep(3 * time.Second) // counts at this parallelism
	}
	rescale(2, 3)
	rescale(1, 2)

	if _, err := f.m.Stop(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusReady)
	if f.ledger.InUse() != 0 {
		t.Fatalf("a stopped application holds %d KPUs", f.ledger.InUse())
	}
	checkCounts(t, out)
}

// countsNote creates a note whose INSERT keeps a running count per key
// (id % 5) of a slow sequence, written with each id into files under out
// that a checkpoint commits: keyed state, and a sink that shows whether
// it was restored (checkCounts).
func (f *fixture) countsNote(t *testing.T, name, out string) string {
	t.Helper()
	n, err := f.notes.CreateNote(context.Background(), notebooks.NoteCreate{Path: name, Paragraphs: []notebooks.ParagraphCreate{
		{Text: fmt.Sprintf(`%%flink.ssql
CREATE TEMPORARY TABLE seq (id BIGINT, pt AS PROCTIME()) WITH ('connector' = 'datagen',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100000', 'rows-per-second' = '40');
CREATE TEMPORARY TABLE counts (id BIGINT, k BIGINT, cnt BIGINT) WITH (
  'connector' = 'filesystem', 'path' = 'file://%s', 'format' = 'csv')`, out)},
		{Text: `%flink.ssql
INSERT INTO counts
SELECT id, k, COUNT(*) OVER (PARTITION BY k ORDER BY pt ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
FROM (SELECT id, id % 5 AS k, pt FROM seq)`},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return n.ID
}

// checkCounts reads the committed part files of the counts sink (hidden
// in-progress files are not committed) and checks that each key's counts
// are exactly 1..n, each once, and each id appears once under its key.
func checkCounts(t *testing.T, dir string) {
	t.Helper()
	counts := map[int64][]int64{}
	ids := map[int64]bool{}
	recs, err := flinktest.CommittedRows(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		var v [3]int64
		for i := range v {
			if v[i], err = strconv.ParseInt(rec[i], 10, 64); err != nil {
				t.Fatalf("%v: %v", rec, err)
			}
		}
		id, k, cnt := v[0], v[1], v[2]
		if ids[id] || k != id%5 {
			t.Fatalf("id %d twice or under key %d", id, k)
		}
		ids[id] = true
		counts[k] = append(counts[k], cnt)
	}
	rows := len(recs)
	if rows < 200 {
		t.Fatalf("the sink holds %d rows: the job barely ran", rows)
	}
	for k, cs := range counts {
		slices.Sort(cs)
		for i, c := range cs {
			if c != int64(i+1) {
				t.Fatalf("key %d: counts %v…: want each of 1..%d once (a count restarted or repeated across a rescale)", k, cs[:min(len(cs), i+5)], len(cs))
			}
		}
	}
	t.Logf("%d rows over %d keys, each key's counts 1..n exactly once", rows, len(counts))
}

// TestManager_RescaleByRestart: an application on the notebook cluster
// (which Eddy does not own, so no TaskManager of its can be started) is
// rescaled by a stop with a snapshot and a start from it: the snapshot is
// recorded, the new job restores it and runs at the new parallelism, and
// the KPUs follow.
func TestManager_RescaleByRestart(t *testing.T) {
	f := newFixture(t, 8, applications.Quotas{})
	ctx := context.Background()
	a, err := f.m.Create(ctx, applications.CreateRequest{NoteID: f.note(t, "rescale-by-restart", true), Name: "by-restart", CheckpointIntervalMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreNone}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	got, err := f.m.Rescale(ctx, a.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != applications.StatusUpdating || f.ledger.InUse() != 3 {
		t.Fatalf("rescaling: %s holding %d KPUs, want UPDATING with 3", got.Status, f.ledger.InUse())
	}
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	got, _ = f.m.Get(ctx, a.ID)
	snaps, _ := f.m.Snapshots(ctx, a.ID)
	if got.Parallelism != 2 || f.ledger.InUse() != 3 || len(snaps) != 1 || snaps[0].Trigger != "rescale" {
		t.Fatalf("after the rescale: parallelism %d, %d KPUs in use, snapshots %+v", got.Parallelism, f.ledger.InUse(), snaps)
	}
	jm := flinktest.Cluster(t).JobManager
	job, err := jm.Job(ctx, got.JobID)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range job.Vertices {
		if v.Parallelism != 2 {
			t.Fatalf("vertex %q runs at %d, want 2", v.Name, v.Parallelism)
		}
	}
	if c, err := flinktest.Checkpoints(ctx, jm, got.JobID); err != nil || c.Restored != 1 {
		t.Fatalf("the new job restored %+v (%v), want the rescale's snapshot", c, err)
	}
	evs, _ := f.m.Events(ctx, a.ID)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if want := "running starting snapshot rescaling running starting created"; strings.Join(kinds, " ") != want {
		t.Fatalf("events %q, want %q", strings.Join(kinds, " "), want)
	}
	if !strings.Contains(evs[1].Message, "rescale 1 → 2: starting version 1") || !strings.Contains(evs[1].Message, "from snapshot "+snaps[0].ID) {
		t.Fatalf("the restart says %q", evs[1].Message)
	}
	// Stopped, it takes a new parallelism for its next start only.
	if _, err := f.m.Stop(ctx, a.ID, false); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusReady)
	if got, err = f.m.Rescale(ctx, a.ID, 1); err != nil || got.Status != applications.StatusReady || got.Parallelism != 1 || f.ledger.InUse() != 0 {
		t.Fatalf("rescaling a stopped application: %+v, %d KPUs in use (%v)", got, f.ledger.InUse(), err)
	}
}

// TestManager_RescaleByRestartRollsBack: a rescale by restart whose job
// cannot restore its snapshot at the new parallelism goes back: the
// application starts again at its old parallelism from the same snapshot,
// with its state, its KPUs and an event that says why. A compiled plan
// gives every operator an id of its own, which makes such a rescale
// restore; this note tells Flink not to (table.exec.uid.generation), so
// its operators chain differently at parallelism 2 and Flink's generated
// ids differ there.
func TestManager_RescaleByRestartRollsBack(t *testing.T) {
	f := newFixture(t, 8, applications.Quotas{})
	ctx := context.Background()
	out := t.TempDir()
	noteID := f.countsNote(t, "rescale-rolls-back", out)
	if _, err := f.notes.AddParagraph(ctx, noteID, notebooks.ParagraphCreate{Text: "%flink.ssql\nSET 'table.exec.uid.generation' = 'DISABLED';"}); err != nil {
		t.Fatal(err)
	}
	a, err := f.m.Create(ctx, applications.CreateRequest{NoteID: noteID, Name: "rolls-back", CheckpointIntervalMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreNone}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	time.Sleep(3 * time.Second)
	if _, err := f.m.Rescale(ctx, a.ID, 2); err != nil {
		t.Fatal(err)
	}
	// RUNNING again, at parallelism 1, once the rollback's job runs.
	deadline := time.Now().Add(2 * time.Minute)
	var evs []*applications.Event
	for {
		evs, _ = f.m.Events(ctx, a.ID)
		if got, _ := f.m.Get(ctx, a.ID); got.Status == applications.StatusRunning && evs[0].Kind == "running" && slices.ContainsFunc(evs, func(e *applications.Event) bool { return e.Kind == "rescale-failed" }) {
			break
		}
		if time.Now().After(deadline) {
			got, _ := f.m.Get(ctx, a.ID)
			t.Fatalf("no rollback: %s (%s); events %v", got.Status, got.Failure, kinds(evs))
		}
		time.Sleep(200 * time.Millisecond)
	}
	got, _ := f.m.Get(ctx, a.ID)
	snaps, _ := f.m.Snapshots(ctx, a.ID)
	if got.Parallelism != 1 || got.KPUs != 2 || f.ledger.InUse() != 2 || len(snaps) != 1 || snaps[0].Trigger != "rescale" {
		t.Fatalf("after the rollback: parallelism %d, %d KPUs (%d in use), snapshots %+v", got.Parallelism, got.KPUs, f.ledger.InUse(), snaps)
	}
	i := slices.IndexFunc(evs, func(e *applications.Event) bool { return e.Kind == "rescale-failed" })
	if !strings.Contains(evs[i].Message, "cannot map the snapshot's state of operator") || !strings.Contains(evs[i].Message, "starts again at parallelism 1 from snapshot "+snaps[0].ID) {
		t.Fatalf("the rollback says %q", evs[i].Message)
	}
	if !strings.Contains(evs[i-1].Message, "rolled back") || !strings.Contains(evs[i-1].Message, "from snapshot "+snaps[0].ID) {
		t.Fatalf("the restart after the rollback says %q", evs[i-1].Message)
	}
	time.Sleep(3 * time.Second)
	if _, err := f.m.Stop(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusReady)
	checkCounts(t, out) // the state came back with it: every count once
}

func kinds(evs []*applications.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}
