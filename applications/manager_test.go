package applications_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/applications"
	appsqlite "github.com/eddy-notebooks/eddy/applications/sqlite"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
	"github.com/eddy-notebooks/eddy/notebooks"
	nbsqlite "github.com/eddy-notebooks/eddy/notebooks/sqlite"
	"github.com/eddy-notebooks/eddy/sessions"
)

// fixture is a manager on a real SQLite file and the shared Flink cluster,
// running applications on the session target (the notebook cluster).
type fixture struct {
	m      *applications.Manager
	notes  *nbsqlite.Store
	ledger *sessions.Ledger
	dir    string
	// autoscale is the managers' autoscaling rule (zero: the default).
	autoscale applications.Autoscale
	// jobs is the managers' kernel.NoteJobs once a test sets it.
	jobs noteJobs
}

// noteJobs is the kernel.NoteJobs a test sets after its fixture exists;
// until then notes run nothing.
type noteJobs struct{ jobs kernel.NoteJobs }

func (j *noteJobs) RunningInserts(ctx context.Context, noteID string) ([]kernel.Job, error) {
	if j.jobs == nil {
		return nil, nil
	}
	return j.jobs.RunningInserts(ctx, noteID)
}

func (j *noteJobs) HandOff(ctx context.Context, noteID, paragraphID, jobID, dir, message string) (string, error) {
	return j.jobs.HandOff(ctx, noteID, paragraphID, jobID, dir, message)
}

func (j *noteJobs) Resume(ctx context.Context, noteID, paragraphID, savepoint string) error {
	return j.jobs.Resume(ctx, noteID, paragraphID, savepoint)
}

func newFixture(t *testing.T, capacity int, quotas applications.Quotas) *fixture {
	t.Helper()
	return newFixtureAutoscaling(t, capacity, quotas, applications.Autoscale{})
}

// newFixtureAutoscaling is newFixture with an autoscaling rule.
func newFixtureAutoscaling(t *testing.T, capacity int, quotas applications.Quotas, rule applications.Autoscale) *fixture {
	t.Helper()
	dir := t.TempDir()
	notes, err := nbsqlite.Open(context.Background(), filepath.Join(dir, nbsqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{notes: notes, ledger: sessions.NewLedger(capacity), dir: filepath.Join(dir, "applications"), autoscale: rule}
	t.Cleanup(func() { notes.Close() }) // after the managers' cleanups, which run first
	f.m = f.manager(t, quotas)
	return f
}

// manager opens a manager on the fixture's database, ledger and directory;
// it is closed at cleanup (before the database).
func (f *fixture) manager(t *testing.T, quotas applications.Quotas) *applications.Manager {
	t.Helper()
	fl := flinktest.Cluster(t)
	notes := f.notes
	root, err := flinktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	// The standalone target starts each application's own cluster from the
	// repository's Flink, with the in-memory catalog (no notebook cluster
	// of the fixture's own holds a persistent one).
	base, err := flinktest.LocalConfig(root, filepath.Join(f.dir, "flink"), false)
	if err != nil {
		t.Fatal(err)
	}
	base.CatalogDir = ""
	m := applications.NewManager(applications.Config{
		Store:    appsqlite.NewStore(notes),
		Notes:    notes,
		Capacity: f.ledger,
		Gateway:  fl.Gateway,
		Runners: map[string]applications.Runner{
			applications.TargetSession:    &applications.SessionRunner{Gateway: fl.Gateway, JobManager: fl.JobManager, LocalState: true},
			applications.TargetStandalone: &applications.StandaloneRunner{Base: func() localflink.Config { return base }, SlotsPerTaskManager: 1},
		},
		DefaultTarget: applications.TargetSession,
		Dir:           f.dir,
		Quotas:        quotas,
		PricePerHour:  0.11,
		Autoscale:     f.autoscale,
		NoteJobs:      &f.jobs,
	})
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

// note creates a note whose one INSERT paragraph writes a bounded or
// endless sequence into a blackhole sink.
func (f *fixture) note(t *testing.T, name string, endless bool) string {
	t.Helper()
	// A sequence's source holds its whole range in memory (Flink's
	// SequenceGenerator): an endless source is random instead.
	gen := "'fields.id.kind' = 'random'"
	if !endless {
		gen = "'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100'"
	}
	n, err := f.notes.CreateNote(context.Background(), notebooks.NoteCreate{Path: name, Paragraphs: []notebooks.ParagraphCreate{
		{Text: fmt.Sprintf(`%%flink.ssql
CREATE TEMPORARY TABLE src (id BIGINT) WITH ('connector' = 'datagen', %s, 'rows-per-second' = '20');
CREATE TEMPORARY TABLE snk (id BIGINT) WITH ('connector' = 'blackhole')`, gen)},
		{Text: "%flink.ssql\nINSERT INTO snk SELECT id FROM src"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return n.ID
}

func code(err error) string {
	var e *eddy.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// TestManager_QuotasAndAdmission: every quota and a short capacity are
// refused with a structured error, and a refused start leaves the
// application READY with nothing launched and no KPU held.
func TestManager_QuotasAndAdmission(t *testing.T) {
	f := newFixture(t, 4, applications.Quotas{Applications: 2, KPUsPerApplication: 3, TagsPerApplication: 2, SnapshotsPerApplication: 5})
	ctx := context.Background()
	noteID := f.note(t, "quota", true)

	for _, tc := range []struct {
		name string
		req  applications.CreateRequest
		code string
		text string
	}{
		{"KPUsPerApplication", applications.CreateRequest{NoteID: noteID, Name: "big", Parallelism: 3}, eddy.EINVALID, "needs 4 KPUs, more than the 3"},
		{"TagsPerApplication", applications.CreateRequest{NoteID: noteID, Name: "tags", Tags: map[string]string{"a": "1", "b": "2", "c": "3"}}, eddy.EINVALID, "at most 2"},
		{"BadName", applications.CreateRequest{NoteID: noteID, Name: "no spaces"}, eddy.EINVALID, "application name"},
		{"UnknownTarget", applications.CreateRequest{NoteID: noteID, Name: "x", Target: "kubernetes"}, eddy.EINVALID, "not available here"},
		{"UnknownNote", applications.CreateRequest{NoteID: "2ZZZZZZZZ", Name: "x"}, eddy.ENOTFOUND, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.m.Create(ctx, tc.req)
			if code(err) != tc.code || !strings.Contains(fmt.Sprint(err), tc.text) {
				t.Fatalf("err = %v (%s), want %s with %q", err, code(err), tc.code, tc.text)
			}
		})
	}
	if apps, _ := f.m.List(ctx); len(apps) != 0 {
		t.Fatalf("refused creates left %d applications", len(apps))
	}

	a, err := f.m.Create(ctx, applications.CreateRequest{NoteID: noteID, Name: "first", Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Create(ctx, applications.CreateRequest{NoteID: noteID, Name: "first"}); code(err) != eddy.ECONFLICT {
		t.Fatalf("a second application named first: %v", err)
	}
	if _, err := f.m.Create(ctx, applications.CreateRequest{NoteID: noteID, Name: "second"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.m.Create(ctx, applications.CreateRequest{NoteID: noteID, Name: "third"})
	var e *eddy.Error
	if !errors.As(err, &e) || e.Code != eddy.ECONFLICT || fmt.Sprint(e.Details) != "map[limit:2 quota:applications]" {
		t.Fatalf("a third application: %v (details %v)", err, e)
	}

	// A session holds 2 of the 4 KPUs; the application needs 3.
	if err := f.ledger.Reserve("s1", "n1", "busy note", 2, "start a session"); err != nil {
		t.Fatal(err)
	}
	_, err = f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreNone})
	r, _ := eddy.ErrorDetails(err).(*sessions.Refusal)
	if code(err) != eddy.ECAPACITY || r == nil || r.Needed != 3 || r.Free != 2 ||
		len(r.Holders) != 1 || r.Holders[0].NoteName != "busy note" {
		t.Fatalf("start without capacity: %v (details %#v)", err, r)
	}
	got, _ := f.m.Get(ctx, a.ID)
	if got.Status != applications.StatusReady || got.StartedAt != nil || f.ledger.InUse() != 2 {
		t.Fatalf("after the refusal: %s, started %v, %d KPUs in use", got.Status, got.StartedAt, f.ledger.InUse())
	}
	if _, err := os.Stat(filepath.Join(f.dir, a.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused start created the application's directory: %v", err)
	}
}

// TestManager_SessionTarget runs an application as a detached job on the
// notebook cluster: it holds its KPUs while it runs, takes a snapshot,
// stops with one and starts again from the latest, and a force stop
// releases everything.
func TestManager_SessionTarget(t *testing.T) {
	f := newFixture(t, 8, applications.Quotas{})
	ctx := context.Background()
	a, err := f.m.Create(ctx, applications.CreateRequest{NoteID: f.note(t, "session-target", true), Name: "on-session", CheckpointIntervalMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreNone}); err != nil {
		t.Fatal(err)
	}
	if f.ledger.InUse() != 2 {
		t.Fatalf("a running application holds %d KPUs, want 2 (1 orchestration + 1)", f.ledger.InUse())
	}
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{}); code(err) != eddy.ECONFLICT {
		t.Fatalf("a second start: %v", err)
	}
	if err := f.m.Delete(ctx, a.ID); code(err) != eddy.ECONFLICT {
		t.Fatalf("deleting a running application: %v", err)
	}
	sn, err := f.m.TakeSnapshot(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sn.Trigger != "manual" || !strings.HasPrefix(sn.Path, filepath.Join(f.dir, a.ID, "snapshots")) {
		t.Fatalf("snapshot %+v", sn)
	}
	if _, err := f.m.Stop(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusReady)
	// The run is metered to its end (2 KPUs for some seconds), not to the
	// last periodic save.
	if got, _ := f.m.Get(ctx, a.ID); got.KPUHours <= 0 || got.Cost != got.KPUHours*0.11 || got.StartedAt != nil {
		t.Fatalf("after the stop: %g KPU-hours, cost %g, started %v", got.KPUHours, got.Cost, got.StartedAt)
	}
	snaps, _ := f.m.Snapshots(ctx, a.ID)
	if len(snaps) != 2 || snaps[0].Trigger != "stop" || f.ledger.InUse() != 0 {
		t.Fatalf("after the stop: snapshots %v, %d KPUs in use", snaps, f.ledger.InUse())
	}
	if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreLatestSnapshot}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	got, _ := f.m.Get(ctx, a.ID)
	c, err := flinktest.Checkpoints(ctx, flinktest.Cluster(t).JobManager, got.JobID)
	if err != nil || c.Restored != 1 {
		t.Fatalf("the start from the latest snapshot restored %+v (%v)", c, err)
	}
	if _, err := f.m.Stop(ctx, a.ID, false); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusReady)
	if snaps, _ := f.m.Snapshots(ctx, a.ID); len(snaps) != 2 || f.ledger.InUse() != 0 {
		t.Fatalf("a force stop took a snapshot or kept KPUs: %d snapshots, %d KPUs", len(snaps), f.ledger.InUse())
	}
	if err := f.m.DeleteSnapshot(ctx, a.ID, snaps[1].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(snaps[1].Path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a deleted snapshot's files are still there: %v", err)
	}
	var kinds []string
	evs, _ := f.m.Events(ctx, a.ID)
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if want := "snapshot-deleted stopped force-stopping running starting stopped snapshot stopping snapshot running starting created"; strings.Join(kinds, " ") != want {
		t.Fatalf("events %q, want %q", strings.Join(kinds, " "), want)
	}
	if err := f.m.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, a.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a deleted application's files are still there: %v", err)
	}
}

func waitStatus(t *testing.T, m *applications.Manager, id, status string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		a, err := m.Get(context.Background(), id)
		if err == nil && a.Status == status {
			return
		}
		if err == nil && a.Status == applications.StatusFailed {
			t.Fatalf("the application failed: %s", a.Failure)
		}
		if time.Now().After(deadline) {
			detail := ""
			if a != nil && a.FlinkURL != "" {
				base, _, _ := strings.Cut(a.FlinkURL, "/#/")
				if resp, err := http.Get(base + "/jobs/" + a.JobID); err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					detail = string(b)
				}
			}
			t.Fatalf("status %s (%v), want %s; the job: %.2000s", a.Status, err, status, detail)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestManager_AdoptsJobThatOutlivedEddy: a second manager on the same
// database (Eddy started again while the cluster kept the job, as a remote
// cluster does) follows the running job instead of submitting it twice.
func TestManager_AdoptsJobThatOutlivedEddy(t *testing.T) {
	f := newFixture(t, 8, applications.Quotas{})
	ctx := context.Background()
	a, err := f.m.Create(ctx, applications.CreateRequest{NoteID: f.note(t, "adopt", true), Name: "adopt-me"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreNone}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	again := f.manager(t, applications.Quotas{})
	again.Resume(ctx)
	waitStatus(t, again, a.ID, applications.StatusRunning)
	evs, _ := again.Events(ctx, a.ID)
	if evs[0].Kind != "running" || evs[1].Kind != "adopted" {
		t.Fatalf("events %+v", evs[:2])
	}
	jobs, err := flinktest.Cluster(t).JobManager.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	running := 0
	for _, j := range jobs {
		if j.Name == "eddy-app:adopt-me" && j.State == "RUNNING" {
			running++
		}
	}
	if running != 1 {
		t.Fatalf("%d jobs of the application run, want 1", running)
	}
	if _, err := again.Stop(ctx, a.ID, false); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, again, a.ID, applications.StatusReady)
	waitStatus(t, f.m, a.ID, applications.StatusReady) // the first sees its job canceled
}
