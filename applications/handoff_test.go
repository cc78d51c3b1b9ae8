package applications_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/applications"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/sessions"
	sessionsqlite "github.com/eddy-notebooks/eddy/sessions/sqlite"
)

// sessionsFor opens notebook sessions on the fixture's notes, their
// kernels running INSERTs from compiled plans, and makes them the
// fixture's kernel.NoteJobs.
func (f *fixture) sessionsFor(t *testing.T) *sessions.Manager {
	t.Helper()
	ep := flinktest.Cluster(t)
	cluster := kernel.NewCluster(kernel.ModeRemote, ep.Gateway.URL(), ep.JobManager.URL())
	plans := filepath.Join(t.TempDir(), "plans")
	m := sessions.NewManager(sessions.Config{
		KPUCapacity: 8, Store: f.notes, Usage: sessionsqlite.NewUsageStore(f.notes), PricePerHour: sessions.DefaultPricePerHour,
		OpenKernel: func(ctx context.Context, kc sessions.KernelConfig) (sessions.Kernel, error) {
			return kernel.Open(ctx, kernel.Config{NoteID: kc.NoteID, Cluster: cluster, Store: f.notes, Admitter: kc.Admitter,
				OnChange: kc.OnChange, PlansDir: plans})
		},
	})
	m.Open()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("closing the sessions: %v", err)
		}
	})
	f.jobs.jobs = m
	return m
}

// TestManager_HandOff: a note's running INSERT keeps a running count per
// key; deploying it with state first refuses, before anything stops, a
// version whose keys differ (naming the operator), then stops the
// notebook job with a savepoint, makes it the application's first
// snapshot and starts the application from it on its own cluster: every
// key's count goes on from the notebook job's, and the sink holds each
// id once with each key's counts 1..n once.
func TestManager_HandOff(t *testing.T) {
	f := newFixture(t, 8, applications.Quotas{})
	sm := f.sessionsFor(t)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	out := t.TempDir()
	insert := func(mod int) string {
		return fmt.Sprintf("%%flink.ssql\nINSERT INTO counts\nSELECT id, k, COUNT(*) OVER (PARTITION BY k ORDER BY pt ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)\n"+
			"FROM (SELECT id, id %% %d AS k, pt FROM seq)", mod)
	}
	n, err := f.notes.CreateNote(ctx, notebooks.NoteCreate{Path: "hand-off", Paragraphs: []notebooks.ParagraphCreate{
		{Text: fmt.Sprintf(`%%flink.ssql
SET 'execution.checkpointing.interval' = '1s';
CREATE TEMPORARY TABLE seq (id BIGINT, pt AS PROCTIME()) WITH ('connector' = 'datagen',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100000', 'rows-per-second' = '40');
CREATE TEMPORARY TABLE counts (id BIGINT, k BIGINT, cnt BIGINT) WITH (
  'connector' = 'filesystem', 'path' = 'file://%s', 'format' = 'csv')`, out)},
		{Text: insert(5)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ddl, ins := n.Paragraphs[0].ID, n.Paragraphs[1].ID

	// Nothing runs yet: nothing to take state from.
	if _, err := f.m.Create(ctx, applications.CreateRequest{NoteID: n.ID, Name: "early", WithState: true}); eddy.ErrorCode(err) != eddy.EINVALID ||
		!strings.Contains(err.Error(), "runs no INSERT job") {
		t.Fatalf("a create with state from a note that runs nothing: %v", err)
	}

	done, err := sm.Run(ctx, n.ID, ddl)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if _, err := sm.Run(ctx, n.ID, ins); err != nil {
		t.Fatal(err)
	}
	nbJob := waitRunningInsert(ctx, t, &f.jobs, n.ID)
	if nbJob.PlanPath == "" {
		t.Fatalf("the notebook job runs without a compiled plan: %+v", nbJob)
	}
	waitCommitted(t, out, 80)

	// Keyed otherwise, the aggregate's state cannot be restored: refused,
	// naming it, and the notebook job runs on.
	other := insert(7)
	if _, err := f.notes.UpdateParagraph(ctx, n.ID, ins, notebooks.ParagraphUpdate{Text: &other}); err != nil {
		t.Fatal(err)
	}
	_, err = f.m.Create(ctx, applications.CreateRequest{NoteID: n.ID, Name: "rekeyed", WithState: true, Target: applications.TargetStandalone})
	var e *eddy.Error
	if !errors.As(err, &e) || e.Code != eddy.ECONFLICT {
		t.Fatalf("a create with state whose keys differ: %v, want %s", err, eddy.ECONFLICT)
	}
	refusal, ok := e.Details.(applications.StateRefusal)
	t.Logf("refused: %v", err)
	if !ok || refusal.Check == nil || refusal.Check.Compatible || !strings.Contains(err.Error(), "operator") {
		t.Fatalf("the refusal says %v, details %+v", err, e.Details)
	}
	if apps, _ := f.m.List(ctx); len(apps) != 0 {
		t.Fatalf("a refused create left applications: %+v", apps)
	}
	if js, _ := f.jobs.RunningInserts(ctx, n.ID); len(js) != 1 || js[0].JobID != nbJob.JobID {
		t.Fatalf("after the refusal the notebook runs %+v, want its job %s", js, nbJob.JobID)
	}
	same := insert(5)
	if _, err := f.notes.UpdateParagraph(ctx, n.ID, ins, notebooks.ParagraphUpdate{Text: &same}); err != nil {
		t.Fatal(err)
	}

	// Without the KPUs for the application: refused before the notebook
	// job stops.
	if err := f.ledger.ReserveApplication("other", "other", 7, "fill the capacity"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Create(ctx, applications.CreateRequest{NoteID: n.ID, Name: "no-room", WithState: true, Target: applications.TargetStandalone}); eddy.ErrorCode(err) != eddy.ECAPACITY {
		t.Fatalf("a create with state without the KPUs: %v, want %s", err, eddy.ECAPACITY)
	}
	f.ledger.ReleaseApplication("other", 7)
	if apps, _ := f.m.List(ctx); len(apps) != 0 || f.ledger.InUse() != 0 {
		t.Fatalf("a create refused for capacity left applications %+v and %d KPUs in use", apps, f.ledger.InUse())
	}
	if js, _ := f.jobs.RunningInserts(ctx, n.ID); len(js) != 1 || js[0].JobID != nbJob.JobID {
		t.Fatalf("after the capacity refusal the notebook runs %+v, want its job %s", js, nbJob.JobID)
	}

	a, err := f.m.Create(ctx, applications.CreateRequest{NoteID: n.ID, Name: "counts-with-state", WithState: true,
		Target: applications.TargetStandalone, CheckpointIntervalMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if a.Status != applications.StatusStarting && a.Status != applications.StatusRunning {
		t.Fatalf("after a create with state the application is %s", a.Status)
	}
	p, err := f.notes.FindParagraph(ctx, n.ID, ins)
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := p.Config[kernel.ConfigSavepointPath].(string)
	if p.Status != notebooks.StatusFinished || sp == "" {
		t.Fatalf("the notebook paragraph after the hand-off: %s, savepoint %q", p.Status, sp)
	}
	snaps, err := f.m.Snapshots(ctx, a.ID)
	if err != nil || len(snaps) != 1 || snaps[0].Trigger != "handoff" || strings.TrimPrefix(sp, "file:") != snaps[0].Path {
		t.Fatalf("snapshots %+v (%v), want the notebook job's savepoint %s", snaps, err, sp)
	}
	vs, err := f.m.Versions(ctx, a.ID)
	if err != nil || vs[0].StateCheck == nil || !vs[0].StateCheck.Compatible || len(vs[0].CompiledPlan) == 0 {
		t.Fatalf("version 1 took over no checked plan: %+v (%v)", vs[0], err)
	}
	atHandOff := committed(t, out)
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	jmURL, err := f.m.JobManagerURL(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := f.m.Get(ctx, a.ID)
	if c, err := flinktest.Checkpoints(ctx, flink.NewJobManager(jmURL, nil), got.JobID); err != nil || c.Restored != 1 {
		t.Fatalf("the application's job restored %+v (%v), want the hand-off's savepoint", c, err)
	}
	waitCommitted(t, out, atHandOff+120)
	if _, err := f.m.Stop(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusReady)
	checkCounts(t, out)
	t.Logf("%d rows committed by the notebook job, the rest by the application", atHandOff)
}

// waitRunningInsert waits until the note runs exactly one INSERT job
// whose tasks run.
func waitRunningInsert(ctx context.Context, t *testing.T, jobs kernel.NoteJobs, noteID string) kernel.Job {
	t.Helper()
	jm := flinktest.Cluster(t).JobManager
	for {
		js, err := jobs.RunningInserts(ctx, noteID)
		if err != nil {
			t.Fatal(err)
		}
		if len(js) == 1 {
			if d, err := jm.Job(ctx, js[0].JobID); err == nil && d.TasksRunning() {
				return js[0]
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("the note runs no INSERT job: %+v", js)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
