package sessions_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/notebooks"
	nbsqlite "github.com/eddy-notebooks/eddy/notebooks/sqlite"
	"github.com/eddy-notebooks/eddy/sessions"
	"github.com/eddy-notebooks/eddy/sessions/sqlite"
)

func TestMain(m *testing.M) { flinktest.Main(m) }

type fixture struct {
	t     *testing.T
	store *nbsqlite.Store
	usage *sqlite.UsageStore
	m     *sessions.Manager
	jm    *flink.JobManager
	path  string
}

func newFixture(t *testing.T, cfg sessions.Config) *fixture {
	t.Helper()
	return newPlansFixture(t, cfg, "")
}

// newPlansFixture is newFixture with kernels that write compiled plans
// under plansDir (kernel.Config.PlansDir).
func newPlansFixture(t *testing.T, cfg sessions.Config, plansDir string) *fixture {
	t.Helper()
	ep := flinktest.Cluster(t)
	path := filepath.Join(t.TempDir(), "eddy.db")
	ctx := context.Background()
	store, err := nbsqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	usage := sqlite.NewUsageStore(store)
	cluster := kernel.NewCluster(kernel.ModeRemote, ep.Gateway.URL(), ep.JobManager.URL())
	python, err := flinktest.PythonWorkers(t, filepath.Join(t.TempDir(), "python"))
	if err != nil {
		t.Fatal(err)
	}
	cluster.Python = python
	cfg.OpenKernel = func(ctx context.Context, kc sessions.KernelConfig) (sessions.Kernel, error) {
		k, err := kernel.Open(ctx, kernel.Config{NoteID: kc.NoteID, Cluster: cluster, Store: store, Admitter: kc.Admitter, OnChange: kc.OnChange,
			PlansDir: plansDir})
		if err != nil {
			return nil, err
		}
		return k, nil
	}
	cfg.Completer = kernel.NewCompleter(cluster)
	cfg.Store, cfg.Usage = store, usage
	if cfg.PricePerHour == 0 {
		cfg.PricePerHour = sessions.DefaultPricePerHour
	}
	m := sessions.NewManager(cfg)
	m.Open()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		store.Close()
	})
	return &fixture{t: t, store: store, usage: usage, m: m, jm: ep.JobManager, path: path}
}

func (f *fixture) note(name string, texts ...string) *notebooks.Note {
	f.t.Helper()
	return mustCreateNote(f.t, f.store, name, texts...)
}

const streaming = "%flink.ssql(parallelism=1)\nCREATE TEMPORARY TABLE g (k INT) WITH ('connector'='datagen','rows-per-second'='20','fields.k.min'='1','fields.k.max'='3');\nSELECT k, COUNT(*) AS n FROM g GROUP BY k"

// TestManager_CapacityRefusalAndRelease is the Studio scenario with a
// capacity of 3 KPUs: A's session (2) plus its parallelism-1 job (1) fill
// the cluster; B is refused with a message naming A; stopping A's session
// releases its KPUs and cancels its job; then B runs.
func TestManager_CapacityRefusalAndRelease(t *testing.T) {
	f := newFixture(t, sessions.Config{KPUCapacity: 3})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	a := f.note("Note A", streaming)
	b := f.note("Note B", "%flink.bsql\nSELECT 1")

	if _, err := f.m.Run(ctx, a.ID, a.Paragraphs[0].ID); err != nil {
		t.Fatal(err)
	}
	var jobID string
	for {
		if info := f.m.SessionState(a.ID); info.KPUs == 3 && len(info.Jobs) == 1 {
			jobID = info.Jobs[0].JobID
			if info.Jobs[0].KPUs != 1 || info.Jobs[0].Parallelism != 1 {
				t.Fatalf("job %+v", info.Jobs[0])
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("A never held 3 KPUs: %+v", f.m.SessionState(a.ID))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if f.m.Capacity().InUse != 3 {
		t.Fatalf("in use %d, want 3", f.m.Capacity().InUse)
	}

	_, err := f.m.Run(ctx, b.ID, b.Paragraphs[0].ID)
	if eddy.ErrorCode(err) != eddy.ECAPACITY {
		t.Fatalf("B's run: err = %v, want a refusal", err)
	}
	for _, want := range []string{"needs 3 KPUs", "0 of 3 are free", `"Note A"`, a.ID} {
		if !strings.Contains(eddy.ErrorMessage(err), want) {
			t.Errorf("refusal %q lacks %q", eddy.ErrorMessage(err), want)
		}
	}
	if f.m.SessionState(b.ID) != nil {
		t.Fatal("a refused run left a session behind")
	}

	if _, err := f.m.Stop(ctx, f.m.SessionState(a.ID).ID); err != nil {
		t.Fatal(err)
	}
	if n := f.m.Capacity().InUse; n != 0 {
		t.Fatalf("after stopping A, %d KPUs in use", n)
	}
	for {
		d, err := f.jm.Job(ctx, jobID)
		if err == nil && d.State == flink.JobCanceled {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("A's job is %s, want CANCELED", d.State)
		}
		time.Sleep(100 * time.Millisecond)
	}

	done, err := f.m.Run(ctx, b.ID, b.Paragraphs[0].ID)
	if err != nil {
		t.Fatalf("B after A stopped: %v", err)
	}
	<-done
	p, _ := f.store.FindParagraph(ctx, b.ID, b.Paragraphs[0].ID)
	if p.Status != notebooks.StatusFinished {
		t.Fatalf("B: %s %s", p.Status, p.ErrorMessage)
	}

	// Usage was recorded for A's ended session and survives a reopen.
	report, err := f.m.Usage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if report.Notes[a.ID] <= 0 || report.TotalKPUHours < report.Notes[a.ID] {
		t.Fatalf("usage %+v", report)
	}
	reopenedStore, err := nbsqlite.Open(ctx, f.path)
	if err != nil {
		t.Fatal(err)
	}
	defer reopenedStore.Close()
	all, _ := sqlite.NewUsageStore(reopenedStore).ListUsage(ctx)
	found := false
	for _, u := range all {
		if u.NoteID == a.ID && u.KPUSeconds > 0 && !u.EndedAt.IsZero() {
			found = true
		}
	}
	if !found {
		t.Fatalf("A's usage not persisted: %+v", all)
	}
}

func TestManager_IdleTimeoutEndsSession(t *testing.T) {
	f := newFixture(t, sessions.Config{KPUCapacity: 8, IdleTimeout: 400 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n := f.note("Idle", "%flink.ssql\nSET 'parallelism.default' = '1'")
	done, err := f.m.Run(ctx, n.ID, n.Paragraphs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if f.m.Capacity().InUse != sessions.SessionKPUs {
		t.Fatalf("in use %d", f.m.Capacity().InUse)
	}
	for f.m.SessionState(n.ID) != nil {
		if ctx.Err() != nil {
			t.Fatal("idle session was not ended")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if f.m.Capacity().InUse != 0 {
		t.Fatalf("idle session's KPUs not released: %d", f.m.Capacity().InUse)
	}
}

func TestManager_RaceForLastKPUs(t *testing.T) {
	f := newFixture(t, sessions.Config{KPUCapacity: 3})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	notes := []*notebooks.Note{f.note("R1", "%md\nx"), f.note("R2", "%md\ny")}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, n := range notes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.m.Start(ctx, n.ID)
		}()
	}
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("errors %v: want exactly one session started", errs)
	}
	if len(f.m.List()) != 1 || f.m.Capacity().InUse != 2 {
		t.Fatalf("sessions %d, in use %d", len(f.m.List()), f.m.Capacity().InUse)
	}
}
