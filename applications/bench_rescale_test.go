package applications_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/applications"
	appsqlite "github.com/eddy-notebooks/eddy/applications/sqlite"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
	"github.com/eddy-notebooks/eddy/notebooks"
	nbsqlite "github.com/eddy-notebooks/eddy/notebooks/sqlite"
	"github.com/eddy-notebooks/eddy/sessions"
)

// BenchmarkRescaleOutputGap rescales the same job 1 → 2 on its own
// cluster two ways in one run: in place (the adaptive scheduler) and by a
// stop with a snapshot and a start from it (the path of targets Eddy
// cannot size). The job is a sequence into files: its only state is the
// source's position, and its operators restore at either parallelism (a
// job with keyed state whose operators chain differently at the new
// parallelism cannot be rescaled by restart at all; see
// TestManager_RescaleByRestartRollsBack). Each row the job writes carries the processing time it
// was made at, and the sink (files committed at each checkpoint) keeps
// only what a checkpoint committed, so the longest pause between
// consecutive committed rows around the rescale is the output gap a
// reader of the sink sees. It reports both gaps, the rescale's duration
// as Eddy saw it, and the ratios in place / by restart.
func BenchmarkRescaleOutputGap(b *testing.B) {
	for range b.N {
		inPlace, inPlaceTook := rescaleGap(b, false)
		byRestart, byRestartTook := rescaleGap(b, true)
		b.ReportMetric(inPlace.Seconds(), "s-gap-in-place")
		b.ReportMetric(byRestart.Seconds(), "s-gap-by-restart")
		b.ReportMetric(inPlace.Seconds()/byRestart.Seconds(), "gap-ratio")
		b.ReportMetric(inPlaceTook.Seconds(), "s-rescale-in-place")
		b.ReportMetric(byRestartTook.Seconds(), "s-rescale-by-restart")
	}
}

// plainRunner starts runs that cannot rescale in place: the Run interface
// it returns hides the standalone run's Rescale, so the manager rescales
// them by a stop with a snapshot and a start from it.
type plainRunner struct{ applications.Runner }

type plainRun struct{ applications.Run }

func (r plainRunner) Start(ctx context.Context, spec applications.RunSpec) (applications.Run, error) {
	run, err := r.Runner.Start(ctx, spec)
	if err != nil {
		return nil, err
	}
	return plainRun{run}, nil
}

// rescaleGap runs one application on its own cluster, rescales it 1 → 2
// after a steady spell and returns the longest pause in its committed
// output from just before the rescale to the end, and how long the
// rescale took.
func rescaleGap(b *testing.B, byRestart bool) (time.Duration, time.Duration) {
	b.Helper()
	ctx := context.Background()
	fl := flinktest.Cluster(b)
	root, err := flinktest.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	base, err := flinktest.LocalConfig(root, filepath.Join(dir, "flink"), false)
	if err != nil {
		b.Fatal(err)
	}
	base.CatalogDir = ""
	notes, err := nbsqlite.Open(ctx, filepath.Join(dir, nbsqlite.FileName))
	if err != nil {
		b.Fatal(err)
	}
	defer notes.Close()
	var runner applications.Runner = &applications.StandaloneRunner{Base: func() localflink.Config { return base }, SlotsPerTaskManager: 1}
	if byRestart {
		runner = plainRunner{runner}
	}
	m := applications.NewManager(applications.Config{Store: appsqlite.NewStore(notes), Notes: notes, Capacity: sessions.NewLedger(8),
		Gateway: fl.Gateway, Runners: map[string]applications.Runner{applications.TargetStandalone: runner}, Dir: filepath.Join(dir, "applications")})
	if err := m.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer m.Close(ctx)
	out := filepath.Join(dir, "out")
	n, err := notes.CreateNote(ctx, notebooks.NoteCreate{Path: "gap", Paragraphs: []notebooks.ParagraphCreate{
		{Text: fmt.Sprintf(`%%flink.ssql
CREATE TEMPORARY TABLE seq (id BIGINT, pt AS PROCTIME()) WITH ('connector' = 'datagen',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '1000000', 'rows-per-second' = '200');
CREATE TEMPORARY TABLE made (id BIGINT, made_at STRING) WITH (
  'connector' = 'filesystem', 'path' = 'file://%s', 'format' = 'csv')`, out)},
		{Text: `%flink.ssql
INSERT INTO made
SELECT id, CAST(CAST(pt AS TIMESTAMP(3)) AS STRING) FROM seq`},
	}})
	if err != nil {
		b.Fatal(err)
	}
	a, err := m.Create(ctx, applications.CreateRequest{NoteID: n.ID, Name: "gap", Target: applications.TargetStandalone, CheckpointIntervalMs: 1000})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreNone}); err != nil {
		b.Fatal(err)
	}
	awaitStatus(b, m, a.ID, applications.StatusRunning, 3*time.Minute)
	time.Sleep(10 * time.Second)
	from := time.Now()
	if _, err := m.Rescale(ctx, a.ID, 2); err != nil {
		b.Fatal(err)
	}
	time.Sleep(time.Second)
	awaitStatus(b, m, a.ID, applications.StatusRunning, 5*time.Minute)
	took := time.Since(from)
	time.Sleep(10 * time.Second)
	if _, err := m.Stop(ctx, a.ID, true); err != nil {
		b.Fatal(err)
	}
	awaitStatus(b, m, a.ID, applications.StatusReady, 2*time.Minute)
	return longestPause(b, out, from.Add(-2*time.Second)), took
}

func awaitStatus(b *testing.B, m *applications.Manager, id, status string, limit time.Duration) {
	b.Helper()
	for deadline := time.Now().Add(limit); ; time.Sleep(200 * time.Millisecond) {
		a, err := m.Get(context.Background(), id)
		if err == nil && a.Status == status {
			return
		}
		if err == nil && a.Status == applications.StatusFailed || time.Now().After(deadline) {
			b.Fatalf("application %s: %+v (%v), want %s", id, a, err, status)
		}
	}
}

// longestPause reads the committed rows' processing times and returns the
// longest pause between consecutive ones after since.
func longestPause(b *testing.B, dir string, since time.Time) time.Duration {
	b.Helper()
	rows, err := flinktest.CommittedRows(dir)
	if err != nil {
		b.Fatal(err)
	}
	var at []int64
	for _, r := range rows {
		// The JVM's zone is the machine's, as is this process's.
		t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", r[1], time.Local)
		if err != nil {
			b.Fatal(err)
		}
		if !t.Before(since) {
			at = append(at, t.UnixMilli())
		}
	}
	if len(at) < 2 {
		b.Fatalf("%d rows committed after %s", len(at), since)
	}
	slices.Sort(at)
	var gap int64
	for i := 1; i < len(at); i++ {
		gap = max(gap, at[i]-at[i-1])
	}
	return time.Duration(gap) * time.Millisecond
}
