package sessions_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
	nbsqlite "github.com/eddy-notebooks/eddy/notebooks/sqlite"
	"github.com/eddy-notebooks/eddy/sessions"
	"github.com/eddy-notebooks/eddy/sessions/sqlite"
)

// fakeKernel stands in for a Flink kernel at the sessions.Kernel boundary,
// so admission, idle culling, run-all and the races run without Flink (the
// Flink-backed kernel is tested in kernel and, with a manager, in
// sessions_test.go). A paragraph "runs" until the test finishes it, or at
// once when its text says so: "finish" ends FINISHED, "fail" ends ERROR,
// "job N" admits a job of parallelism N first, "stream" runs on with its
// job producing (a streaming query showing rows), "stream then fail"
// produces and then ends ERROR at once, and "refuse" is refused.
type fakeKernel struct {
	noteID string
	cfg    sessions.KernelConfig
	store  *nbsqlite.Store
	f      *fakeKernels

	mu     sync.Mutex
	runs   map[string]*fakeRun
	closed bool
}

type fakeRun struct {
	done      chan struct{}
	status    notebooks.Status
	producing bool
	release   func()
}

var _ sessions.Kernel = (*fakeKernel)(nil)

// fakeKernels opens fake kernels and records what happened to them.
type fakeKernels struct {
	store *nbsqlite.Store

	mu        sync.Mutex
	opened    map[string]*fakeKernel // by note id, the latest
	openErr   error                  // returned by the next opens when set
	openGate  chan struct{}          // when set, opens wait for it
	closeGate chan struct{}          // when set, Close waits for it or ctx
	closes    int
}

func (f *fakeKernels) open(ctx context.Context, cfg sessions.KernelConfig) (sessions.Kernel, error) {
	f.mu.Lock()
	gate, err := f.openGate, f.openErr
	f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	k := &fakeKernel{noteID: cfg.NoteID, cfg: cfg, store: f.store, f: f, runs: map[string]*fakeRun{}}
	f.mu.Lock()
	f.opened[cfg.NoteID] = k
	f.mu.Unlock()
	return k, nil
}

func (f *fakeKernels) kernel(noteID string) *fakeKernel {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.opened[noteID]
}

func (k *fakeKernel) Run(ctx context.Context, pid string) (<-chan struct{}, error) {
	note, err := k.store.FindNoteByID(ctx, k.noteID)
	if err != nil {
		return nil, err
	}
	p, _ := note.Paragraph(pid)
	if p == nil {
		return nil, eddy.Errorf(eddy.ENOTFOUND, "paragraph %s not found", pid)
	}
	if p.Text == "refuse" {
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "the gateway refused paragraph %s", pid)
	}
	var release func()
	if strings.HasPrefix(p.Text, "job ") {
		if release, err = k.cfg.Admitter.AdmitJob(ctx, k.noteID, pid, int(p.Text[4]-'0')); err != nil {
			return nil, err
		}
	}
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil, eddy.Errorf(eddy.ECONFLICT, "stopping")
	}
	if r := k.runs[pid]; r != nil && r.status == notebooks.StatusRunning {
		k.mu.Unlock()
		return nil, eddy.Errorf(eddy.ECONFLICT, "paragraph %s is already running", pid)
	}
	r := &fakeRun{done: make(chan struct{}), status: notebooks.StatusRunning, release: release,
		producing: strings.HasPrefix(p.Text, "stream")}
	k.runs[pid] = r
	k.mu.Unlock()
	k.store.UpdateParagraphRun(ctx, k.noteID, pid, notebooks.RunUpdate{Status: ptr(notebooks.StatusRunning)})
	k.cfg.OnChange()
	switch p.Text {
	case "finish":
		k.end(pid, notebooks.StatusFinished)
	case "fail":
		k.end(pid, notebooks.StatusError)
	case "stream then fail":
		go func() {
			time.Sleep(100 * time.Millisecond)
			k.end(pid, notebooks.StatusError)
		}()
	}
	return r.done, nil
}

// end ends a paragraph's run with a status, stored before done closes.
func (k *fakeKernel) end(pid string, st notebooks.Status) {
	k.mu.Lock()
	r := k.runs[pid]
	if r == nil || r.status != notebooks.StatusRunning {
		k.mu.Unlock()
		return
	}
	r.status, r.producing = st, false
	k.mu.Unlock()
	k.store.UpdateParagraphRun(context.Background(), k.noteID, pid, notebooks.RunUpdate{Status: &st})
	if r.release != nil {
		r.release()
	}
	close(r.done)
	k.cfg.OnChange()
}

func (k *fakeKernel) Cancel(ctx context.Context, pid string) error {
	k.end(pid, notebooks.StatusAbort)
	return nil
}

func (k *fakeKernel) Running() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, r := range k.runs {
		if r.status == notebooks.StatusRunning {
			return true
		}
	}
	return false
}

func (k *fakeKernel) Live(pid string) (kernel.ParagraphLive, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	r := k.runs[pid]
	if r == nil {
		return kernel.ParagraphLive{}, false
	}
	return kernel.ParagraphLive{ParagraphID: pid, Status: r.status, Producing: r.producing}, true
}

func (k *fakeKernel) LiveSince(seen map[string]int64) []kernel.ParagraphLive {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []kernel.ParagraphLive
	for pid, r := range k.runs {
		out = append(out, kernel.ParagraphLive{ParagraphID: pid, Status: r.status})
	}
	return out
}

func (k *fakeKernel) Jobs() []kernel.Job { return nil }

func (k *fakeKernel) RunningInserts() []kernel.Job { return nil }

func (k *fakeKernel) HandOff(ctx context.Context, pid, jobID, dir, message string) (string, error) {
	return "", eddy.Errorf(eddy.ECONFLICT, "the fake kernel runs no jobs")
}

func (k *fakeKernel) RunFrom(ctx context.Context, pid, path string) (<-chan struct{}, error) {
	return k.Run(ctx, pid)
}

func (k *fakeKernel) Forget(pid string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if r := k.runs[pid]; r != nil && r.status == notebooks.StatusRunning {
		return eddy.Errorf(eddy.ECONFLICT, "paragraph %s is running", pid)
	}
	delete(k.runs, pid)
	return nil
}

func (k *fakeKernel) Complete(ctx context.Context, text string, pos int) ([]string, error) {
	return []string{"note:" + k.noteID}, nil
}

func (k *fakeKernel) CatalogTree(ctx context.Context) (kernel.CatalogTree, error) {
	return kernel.CatalogTree{CurrentCatalog: "note:" + k.noteID}, nil
}

func (k *fakeKernel) CatalogObject(ctx context.Context, catalog, database, name string) (kernel.CatalogObject, error) {
	return kernel.CatalogObject{Catalog: catalog, Database: database, Name: name, Temporary: true}, nil
}

func (k *fakeKernel) Close(ctx context.Context) error {
	k.mu.Lock()
	k.closed = true
	var running []string
	for pid, r := range k.runs {
		if r.status == notebooks.StatusRunning {
			running = append(running, pid)
		}
	}
	k.mu.Unlock()
	for _, pid := range running {
		k.end(pid, notebooks.StatusAbort)
	}
	k.f.mu.Lock()
	k.f.closes++
	gate := k.f.closeGate
	k.f.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

type fakeCompleter struct{ closed bool }

func (c *fakeCompleter) Complete(ctx context.Context, text string, pos int) ([]string, error) {
	return []string{"catalog"}, nil
}
func (c *fakeCompleter) CatalogTree(ctx context.Context) (kernel.CatalogTree, error) {
	return kernel.CatalogTree{CurrentCatalog: "catalog"}, nil
}
func (c *fakeCompleter) CatalogObject(ctx context.Context, catalog, database, name string) (kernel.CatalogObject, error) {
	return kernel.CatalogObject{Catalog: catalog, Database: database, Name: name}, nil
}
func (c *fakeCompleter) Close(ctx context.Context) error { c.closed = true; return nil }

func ptr[T any](v T) *T { return &v }

// unit is a manager on a real SQLite file with fake kernels.
type unit struct {
	t       *testing.T
	store   *nbsqlite.Store
	usage   *sqlite.UsageStore
	kernels *fakeKernels
	comp    *fakeCompleter
	m       *sessions.Manager
}

func newUnit(t *testing.T, cfg sessions.Config) *unit {
	t.Helper()
	store, err := nbsqlite.Open(context.Background(), filepath.Join(t.TempDir(), nbsqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	u := &unit{t: t, store: store, usage: sqlite.NewUsageStore(store),
		kernels: &fakeKernels{store: store, opened: map[string]*fakeKernel{}}, comp: &fakeCompleter{}}
	cfg.OpenKernel, cfg.Completer, cfg.Store, cfg.Usage = u.kernels.open, u.comp, store, u.usage
	u.m = sessions.NewManager(cfg)
	u.m.Open()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := u.m.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		store.Close()
	})
	return u
}

// startAll starts the notes' sessions at once and returns each one's error.
func (u *unit) startAll(ctx context.Context, notes []*notebooks.Note) []error {
	errs := make([]error, len(notes))
	var wg sync.WaitGroup
	for i, n := range notes {
		wg.Add(1)
		go func() { defer wg.Done(); _, errs[i] = u.m.Start(ctx, n.ID) }()
	}
	wg.Wait()
	return errs
}

func (u *unit) note(name string, texts ...string) *notebooks.Note {
	u.t.Helper()
	return mustCreateNote(u.t, u.store, name, texts...)
}

// mustCreateNote creates a note with one paragraph per text.
func mustCreateNote(t *testing.T, store *nbsqlite.Store, name string, texts ...string) *notebooks.Note {
	t.Helper()
	var ps []notebooks.ParagraphCreate
	for _, text := range texts {
		ps = append(ps, notebooks.ParagraphCreate{Text: text})
	}
	n, err := store.CreateNote(context.Background(), notebooks.NoteCreate{Path: name, Paragraphs: ps})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// mustEnd fails the test unless done closes within d.
func (u *unit) mustEnd(done <-chan struct{}, d time.Duration) {
	u.t.Helper()
	select {
	case <-done:
	case <-time.After(d):
		u.t.Fatalf("run-all did not end within %s", d)
	}
}

func (u *unit) status(n *notebooks.Note, i int) notebooks.Status {
	u.t.Helper()
	p, err := u.store.FindParagraph(context.Background(), n.ID, n.Paragraphs[i].ID)
	if err != nil {
		u.t.Fatal(err)
	}
	return p.Status
}

func TestManagerUnit_Admission(t *testing.T) {
	ctx := context.Background()
	t.Run("SessionAndJobKPUs", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8, ParallelismPerKPU: 2})
		n := u.note("A", "job 3")
		if _, err := u.m.Run(ctx, n.ID, n.Paragraphs[0].ID); err != nil {
			t.Fatal(err)
		}
		// 2 for the session + ceil(3/2) for the job.
		if c := u.m.Capacity(); c.InUse != 4 || c.KPUs != 8 {
			t.Fatalf("capacity %+v, want 4 of 8 in use", c)
		}
		if st := u.m.SessionState(n.ID); st == nil || st.KPUs != 4 || st.State != sessions.StateBusy {
			t.Fatalf("session %+v", st)
		}
		u.kernels.kernel(n.ID).end(n.Paragraphs[0].ID, notebooks.StatusFinished)
		if c := u.m.Capacity(); c.InUse != 2 {
			t.Fatalf("after the job ended %d in use, want 2", c.InUse)
		}
		if st := u.m.SessionState(n.ID); st.State != sessions.StateIdle {
			t.Fatalf("state %s, want idle", st.State)
		}
	})
	t.Run("ErrCapacityRefusalIsStructured", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 3})
		a, b := u.note("A", "job 1"), u.note("B", "finish")
		if _, err := u.m.Run(ctx, a.ID, a.Paragraphs[0].ID); err != nil {
			t.Fatal(err)
		}
		_, err := u.m.Run(ctx, b.ID, b.Paragraphs[0].ID)
		if eddy.ErrorCode(err) != eddy.ECAPACITY {
			t.Fatalf("B's run: %v, want a capacity refusal", err)
		}
		sa := u.m.SessionState(a.ID)
		want := &sessions.Refusal{What: "start a notebook session and its first job", Needed: 3, Free: 0, Capacity: 3,
			Holders: []sessions.Holder{{NoteID: a.ID, NoteName: "A", SessionID: sa.ID, KPUs: 3}}}
		if got, _ := eddy.ErrorDetails(err).(*sessions.Refusal); !reflect.DeepEqual(got, want) {
			t.Fatalf("details %+v, want %+v", got, want)
		}
		if u.m.SessionState(b.ID) != nil || u.kernels.kernel(b.ID) != nil {
			t.Fatal("a refused run left a session or kernel behind")
		}
		if u.status(b, 0) != "" && u.status(b, 0) != notebooks.StatusReady {
			t.Fatalf("B's paragraph is %s after a refusal", u.status(b, 0))
		}
	})
	t.Run("ErrJobRefusalKeepsSession", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 3})
		n := u.note("A", "job 2")
		_, err := u.m.Run(ctx, n.ID, n.Paragraphs[0].ID)
		r, _ := eddy.ErrorDetails(err).(*sessions.Refusal)
		if r == nil || r.What != "start a job of parallelism 2" || r.Needed != 2 || r.Free != 1 {
			t.Fatalf("refusal %+v (%v)", r, err)
		}
		if c := u.m.Capacity(); c.InUse != 2 {
			t.Fatalf("%d in use, want the session's 2", c.InUse)
		}
	})
	t.Run("ErrKernelOpenReleases", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 4})
		u.kernels.openErr = eddy.Errorf(eddy.EUNAVAILABLE, "no gateway")
		n := u.note("A", "finish")
		if _, err := u.m.Run(ctx, n.ID, n.Paragraphs[0].ID); eddy.ErrorMessage(err) != "no gateway" {
			t.Fatalf("err %v", err)
		}
		if c := u.m.Capacity(); c.InUse != 0 || len(u.m.List()) != 0 {
			t.Fatalf("a failed start holds %d KPUs, %d sessions", c.InUse, len(u.m.List()))
		}
		u.kernels.openErr = nil
		if _, err := u.m.Run(ctx, n.ID, n.Paragraphs[0].ID); err != nil {
			t.Fatalf("after the failure: %v", err)
		}
	})
	t.Run("ErrUnknownNote", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 4})
		if _, err := u.m.Start(ctx, "nope"); eddy.ErrorCode(err) != eddy.ENOTFOUND {
			t.Fatalf("err %v", err)
		}
	})
}

func TestManagerUnit_Races(t *testing.T) {
	ctx := context.Background()
	t.Run("LastKPUsOneWinner", func(t *testing.T) {
		for round := 0; round < 20; round++ {
			u := newUnit(t, sessions.Config{KPUCapacity: 3})
			notes := []*notebooks.Note{u.note("R1", "finish"), u.note("R2", "finish"), u.note("R3", "finish")}
			errs := u.startAll(ctx, notes)
			won := 0
			for _, err := range errs {
				if err == nil {
					won++
				} else if eddy.ErrorCode(err) != eddy.ECAPACITY {
					t.Fatalf("loser's error %v", err)
				}
			}
			if won != 1 || len(u.m.List()) != 1 || u.m.Capacity().InUse != 2 {
				t.Fatalf("round %d: %d won, %d sessions, %d in use", round, won, len(u.m.List()), u.m.Capacity().InUse)
			}
		}
	})
	t.Run("SameNoteOneSession", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		u.kernels.openGate = make(chan struct{})
		n := u.note("A", "finish")
		ids := make([]string, 8)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				info, err := u.m.Start(ctx, n.ID)
				if err != nil {
					t.Error(err)
				}
				ids[i] = info.ID
			}()
		}
		time.Sleep(20 * time.Millisecond) // let them queue behind the first open
		close(u.kernels.openGate)
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("session ids %v: want one session", ids)
			}
		}
		if u.m.Capacity().InUse != 2 {
			t.Fatalf("%d in use", u.m.Capacity().InUse)
		}
	})
}

func TestManagerUnit_IdleTimeout(t *testing.T) {
	ctx := context.Background()
	u := newUnit(t, sessions.Config{KPUCapacity: 8, IdleTimeout: 200 * time.Millisecond})
	idle, busy := u.note("idle", "finish"), u.note("busy", "runs")
	if _, err := u.m.Run(ctx, idle.ID, idle.Paragraphs[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := u.m.Run(ctx, busy.ID, busy.Paragraphs[0].ID); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for u.m.SessionState(idle.ID) != nil {
		if time.Now().After(deadline) {
			t.Fatal("the idle session was not ended")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A session with a running paragraph is never idle.
	time.Sleep(400 * time.Millisecond)
	if u.m.SessionState(busy.ID) == nil {
		t.Fatal("a busy session was ended as idle")
	}
	if c := u.m.Capacity(); c.InUse != 2 {
		t.Fatalf("%d KPUs in use, want the busy session's 2", c.InUse)
	}
	// Its usage was recorded as ended.
	all, err := u.usage.ListUsage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ended := 0
	for _, x := range all {
		if x.NoteID == idle.ID && !x.EndedAt.IsZero() && x.KPUSeconds > 0 {
			ended++
		}
	}
	if ended != 1 {
		t.Fatalf("usage %+v: want the idle session recorded as ended", all)
	}
}

func TestManagerUnit_RunAll(t *testing.T) {
	ctx := context.Background()
	t.Run("InOrderSkippingDisabledAndBlank", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		n := u.note("A", "finish", "  \n", "finish", "finish")
		if _, err := u.store.UpdateParagraph(ctx, n.ID, n.Paragraphs[2].ID, notebooks.ParagraphUpdate{Config: map[string]any{"enabled": false}}); err != nil {
			t.Fatal(err)
		}
		done, err := u.m.RunAll(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		<-done
		want := []notebooks.Status{notebooks.StatusFinished, "", "", notebooks.StatusFinished}
		for i, w := range want {
			if got := u.status(n, i); got != w && !(w == "" && got == notebooks.StatusReady) {
				t.Errorf("paragraph %d: %s, want %q", i, got, w)
			}
		}
	})
	t.Run("StopsAtFirstError", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		n := u.note("A", "finish", "fail", "finish")
		done, err := u.m.RunAll(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		<-done
		if u.status(n, 1) != notebooks.StatusError || u.status(n, 2) == notebooks.StatusFinished {
			t.Fatalf("statuses %s %s", u.status(n, 1), u.status(n, 2))
		}
	})
	t.Run("GoesOnPastAProducingStreamingParagraph", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		n := u.note("A", "finish", "stream", "finish")
		done, err := u.m.RunAll(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		u.mustEnd(done, 10*time.Second)
		want := []notebooks.Status{notebooks.StatusFinished, notebooks.StatusRunning, notebooks.StatusFinished}
		for i, w := range want {
			if got := u.status(n, i); got != w {
				t.Errorf("paragraph %d: %s, want %s", i, got, w)
			}
		}
	})
	t.Run("GoesOnPastAParagraphAlreadyStreaming", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		n := u.note("A", "stream", "finish")
		if _, err := u.m.Run(ctx, n.ID, n.Paragraphs[0].ID); err != nil {
			t.Fatal(err)
		}
		done, err := u.m.RunAll(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		u.mustEnd(done, 10*time.Second)
		if u.status(n, 0) != notebooks.StatusRunning || u.status(n, 1) != notebooks.StatusFinished {
			t.Fatalf("statuses %s %s", u.status(n, 0), u.status(n, 1))
		}
	})
	t.Run("WaitsForARunningParagraphThatProducesNothing", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		n := u.note("A", "runs until stopped", "finish")
		done, err := u.m.RunAll(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
			t.Fatal("run-all ended while its first paragraph runs without producing")
		case <-time.After(3 * time.Second):
		}
		if got := u.status(n, 1); got == notebooks.StatusFinished {
			t.Fatal("run-all went past a paragraph that has not started producing")
		}
		if err := u.m.StopAll(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
		u.mustEnd(done, 10*time.Second)
		if got := u.status(n, 1); got == notebooks.StatusFinished {
			t.Fatal("run-all went on after its paragraph was cancelled")
		}
	})
	t.Run("RunningAllFromAcceptedToEnded", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		n := u.note("A", "runs until stopped", "finish")
		other := u.note("B", "finish")
		if u.m.RunningAll(n.ID) {
			t.Fatal("running all before RunAll")
		}
		done, err := u.m.RunAll(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		// From RunAll's return on, before its first paragraph may have started.
		if !u.m.RunningAll(n.ID) || u.m.RunningAll(other.ID) {
			t.Fatalf("after RunAll: %v, another note %v", u.m.RunningAll(n.ID), u.m.RunningAll(other.ID))
		}
		// Stopped once its first paragraph runs (a stop before would miss it).
		deadline := time.Now().Add(10 * time.Second)
		for live, ok := u.m.Live(n.ID, n.Paragraphs[0].ID); !ok || !live.Status.Active(); live, ok = u.m.Live(n.ID, n.Paragraphs[0].ID) {
			if time.Now().After(deadline) {
				t.Fatal("the first paragraph did not start")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !u.m.RunningAll(n.ID) {
			t.Fatal("not running all while its first paragraph runs")
		}
		if err := u.m.StopAll(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
		u.mustEnd(done, 10*time.Second)
		if u.m.RunningAll(n.ID) {
			t.Fatal("still running all after run-all ended")
		}
	})
	t.Run("StopsAtAStreamingParagraphThatFailsAtOnce", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		n := u.note("A", "stream then fail", "finish")
		done, err := u.m.RunAll(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		u.mustEnd(done, 10*time.Second)
		if u.status(n, 0) != notebooks.StatusError || u.status(n, 1) == notebooks.StatusFinished {
			t.Fatalf("statuses %s %s", u.status(n, 0), u.status(n, 1))
		}
	})
	t.Run("ARefusedParagraphStopsWithTheReasonOnIt", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		n := u.note("A", "finish", "refuse", "finish")
		done, err := u.m.RunAll(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		u.mustEnd(done, 10*time.Second)
		p, err := u.store.FindParagraph(ctx, n.ID, n.Paragraphs[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Status != notebooks.StatusError || !strings.Contains(p.ErrorMessage, "the gateway refused paragraph") ||
			p.Results == nil || p.Results.Code != notebooks.ResultError {
			t.Fatalf("refused paragraph: %s %q %+v", p.Status, p.ErrorMessage, p.Results)
		}
		if got := u.status(n, 2); got == notebooks.StatusFinished {
			t.Fatal("run-all went on past a refused paragraph")
		}
	})
	t.Run("ErrRefusedBeforeAnythingRuns", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 1})
		n := u.note("A", "finish")
		if _, err := u.m.RunAll(ctx, n.ID); eddy.ErrorCode(err) != eddy.ECAPACITY {
			t.Fatalf("err %v", err)
		}
		if u.status(n, 0) == notebooks.StatusFinished {
			t.Fatal("a refused run-all ran a paragraph")
		}
	})
	t.Run("CloseJoinsRunAll", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		n := u.note("A", "runs until stopped", "finish")
		done, err := u.m.RunAll(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := u.m.Close(cctx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		default:
			t.Fatal("Close returned before run-all ended")
		}
		if u.status(n, 1) == notebooks.StatusFinished {
			t.Fatal("run-all went on after Close")
		}
		if _, err := u.m.RunAll(ctx, n.ID); eddy.ErrorCode(err) != eddy.EUNAVAILABLE {
			t.Fatalf("run-all after Close: %v", err)
		}
	})
}

func TestManagerUnit_Close(t *testing.T) {
	ctx := context.Background()
	t.Run("StopsSessionsAndCompleter", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		a, b := u.note("A", "runs"), u.note("B", "finish")
		u.m.Run(ctx, a.ID, a.Paragraphs[0].ID)
		u.m.Run(ctx, b.ID, b.Paragraphs[0].ID)
		if err := u.m.Close(ctx); err != nil {
			t.Fatal(err)
		}
		if u.kernels.closes != 2 || !u.comp.closed || u.m.Capacity().InUse != 0 {
			t.Fatalf("closes %d, completer closed %v, in use %d", u.kernels.closes, u.comp.closed, u.m.Capacity().InUse)
		}
		if u.status(a, 0) != notebooks.StatusAbort {
			t.Fatalf("A's running paragraph is %s, want ABORT", u.status(a, 0))
		}
	})
	t.Run("ErrHonoursContext", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		n := u.note("A", "finish")
		u.m.Run(ctx, n.ID, n.Paragraphs[0].ID)
		u.kernels.closeGate = make(chan struct{}) // the kernel does not stop
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := u.m.Close(cctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Close = %v, want the context's deadline", err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatal("Close did not give up at its deadline")
		}
		close(u.kernels.closeGate)
	})
	t.Run("StopWaitsForAStopInProgress", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 8})
		n := u.note("A", "finish")
		u.m.Run(ctx, n.ID, n.Paragraphs[0].ID)
		id := u.m.SessionState(n.ID).ID
		u.kernels.closeGate = make(chan struct{})
		first := make(chan error, 1)
		go func() { _, err := u.m.Stop(ctx, id); first <- err }()
		for u.m.SessionState(n.ID) != nil && u.m.SessionState(n.ID).State != sessions.StateStopping {
			time.Sleep(time.Millisecond)
		}
		second := make(chan error, 1)
		go func() {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, err := u.m.Stop(cctx, id)
			second <- err
		}()
		select {
		case err := <-second:
			t.Fatalf("the second stop returned (%v) while the first was still stopping", err)
		case <-time.After(50 * time.Millisecond):
		}
		close(u.kernels.closeGate)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if err := <-second; err != nil {
			t.Fatal(err)
		}
		if u.m.Capacity().InUse != 0 {
			t.Fatal("KPUs still held")
		}
	})
}

func TestManagerUnit_Complete(t *testing.T) {
	ctx := context.Background()
	u := newUnit(t, sessions.Config{KPUCapacity: 8})
	n, other := u.note("A", "finish"), u.note("B")
	if got, _ := u.m.Complete(ctx, n.ID, "SEL", 3); !reflect.DeepEqual(got, []string{"catalog"}) {
		t.Fatalf("without a session: %v", got)
	}
	u.m.Run(ctx, n.ID, n.Paragraphs[0].ID)
	if got, _ := u.m.Complete(ctx, n.ID, "SEL", 3); !reflect.DeepEqual(got, []string{"note:" + n.ID}) {
		t.Fatalf("with a session: %v", got)
	}
	if got, _ := u.m.Complete(ctx, other.ID, "SEL", 3); !reflect.DeepEqual(got, []string{"catalog"}) {
		t.Fatalf("another note: %v", got)
	}
	// In the interpreter name of the first line: the interpreters Eddy
	// runs, with a session or without, and nothing it refuses.
	for _, id := range []string{n.ID, other.ID} {
		got, err := u.m.Complete(ctx, id, "  %fl\nSELECT 1", 5)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, kernel.SupportedHeaders()) || !slices.Contains(got, "%flink.conf") || !slices.Contains(got, "%md") ||
			slices.Contains(got, "%flink") || !slices.Contains(got, "%flink.pyflink") {
			t.Fatalf("interpreter completion: %v", got)
		}
	}
	if got, _ := u.m.Complete(ctx, other.ID, "%flink.ssql(type=", 17); !reflect.DeepEqual(got, []string{"catalog"}) {
		t.Fatalf("in the local properties: %v", got)
	}
}

// TestManagerUnit_Catalog browses in the note's kernel when it has a
// session (its temporary objects are known), else through the completer.
func TestManagerUnit_Catalog(t *testing.T) {
	ctx := context.Background()
	u := newUnit(t, sessions.Config{KPUCapacity: 8})
	n, other := u.note("A", "finish"), u.note("B")
	if tree, err := u.m.CatalogTree(ctx, n.ID); err != nil || tree.CurrentCatalog != "catalog" {
		t.Fatalf("without a session: %+v, %v", tree, err)
	}
	if obj, err := u.m.CatalogObject(ctx, n.ID, "c", "d", "t"); err != nil || obj.Temporary || obj.Name != "t" {
		t.Fatalf("without a session: %+v, %v", obj, err)
	}
	u.m.Run(ctx, n.ID, n.Paragraphs[0].ID)
	if tree, err := u.m.CatalogTree(ctx, n.ID); err != nil || tree.CurrentCatalog != "note:"+n.ID {
		t.Fatalf("with a session: %+v, %v", tree, err)
	}
	if obj, err := u.m.CatalogObject(ctx, n.ID, "c", "d", "t"); err != nil || !obj.Temporary || obj.Catalog != "c" || obj.Database != "d" {
		t.Fatalf("with a session: %+v, %v", obj, err)
	}
	if tree, _ := u.m.CatalogTree(ctx, other.ID); tree.CurrentCatalog != "catalog" {
		t.Fatalf("another note: %+v", tree)
	}

	none := sessions.NewManager(sessions.Config{Store: u.store, OpenKernel: u.kernels.open})
	if _, err := none.CatalogTree(ctx, other.ID); eddy.ErrorCode(err) != eddy.EUNAVAILABLE {
		t.Fatalf("no completer: err %v", err)
	}
}

func TestManagerUnit_StopAllAndCancel(t *testing.T) {
	ctx := context.Background()
	u := newUnit(t, sessions.Config{KPUCapacity: 8})
	n := u.note("A", "runs", "runs", "finish")
	for _, p := range n.Paragraphs {
		if _, err := u.m.Run(ctx, n.ID, p.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := u.m.Cancel(ctx, n.ID, n.Paragraphs[0].ID); err != nil {
		t.Fatal(err)
	}
	if u.status(n, 0) != notebooks.StatusAbort || u.status(n, 1) != notebooks.StatusRunning {
		t.Fatalf("after cancel: %s %s", u.status(n, 0), u.status(n, 1))
	}
	if err := u.m.StopAll(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	if u.status(n, 1) != notebooks.StatusAbort || u.status(n, 2) != notebooks.StatusFinished {
		t.Fatalf("after stop-all: %s %s", u.status(n, 1), u.status(n, 2))
	}
	// Without a session both are no-ops.
	other := u.note("B", "finish")
	if u.m.Cancel(ctx, other.ID, other.Paragraphs[0].ID) != nil || u.m.StopAll(ctx, other.ID) != nil {
		t.Fatal("cancel without a session failed")
	}
}

func TestManagerUnit_Watch(t *testing.T) {
	ctx := context.Background()
	u := newUnit(t, sessions.Config{KPUCapacity: 8})
	n := u.note("A", "finish")
	ch, stop := u.m.Watch(n.ID)
	defer stop()
	if _, err := u.m.Start(ctx, n.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("starting a session did not signal the note's watcher")
	}
}

// TestManagerUnit_NoDeadlock: twenty notes starting sessions at once under
// the default capacity must leave every admitted session able to run its
// first job; sessions that could run nothing are refused.
func TestManagerUnit_NoDeadlock(t *testing.T) {
	ctx := context.Background()
	u := newUnit(t, sessions.Config{KPUCapacity: 8})
	notes := make([]*notebooks.Note, 20)
	for i := range notes {
		notes[i] = u.note(fmt.Sprintf("N%02d", i), "job 1")
	}
	errs := u.startAll(ctx, notes)
	admitted := 0
	for i, n := range notes {
		if errs[i] != nil {
			if eddy.ErrorCode(errs[i]) != eddy.ECAPACITY {
				t.Fatalf("note %d: %v", i, errs[i])
			}
			continue
		}
		admitted++
		if _, err := u.m.Run(ctx, n.ID, n.Paragraphs[0].ID); err != nil {
			t.Fatalf("an admitted session cannot run its first job: %v", err)
		}
		u.kernels.kernel(n.ID).end(n.Paragraphs[0].ID, notebooks.StatusFinished)
	}
	if admitted == 0 {
		t.Fatal("no session was admitted")
	}
}

// TestManagerUnit_ReclaimIdle: when capacity is short, sessions of other
// notes idle for ReclaimIdleAfter are ended, longest idle first, and only
// as many as needed; busy sessions and recently used ones are kept.
func TestManagerUnit_ReclaimIdle(t *testing.T) {
	ctx := context.Background()
	t.Run("LongestIdleFirst", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 6, ReclaimIdleAfter: 50 * time.Millisecond})
		a, b, c := u.note("A", "finish"), u.note("B", "finish"), u.note("C", "runs")
		for _, n := range []*notebooks.Note{a, b} {
			if _, err := u.m.Run(ctx, n.ID, n.Paragraphs[0].ID); err != nil {
				t.Fatal(err)
			}
			time.Sleep(20 * time.Millisecond) // A is idle longer than B
		}
		time.Sleep(60 * time.Millisecond)
		// 4 of 6 in use: C needs 3 (2 + room for a job) — one reclaim.
		if _, err := u.m.Run(ctx, c.ID, c.Paragraphs[0].ID); err != nil {
			t.Fatalf("C: %v", err)
		}
		if u.m.SessionState(a.ID) != nil || u.m.SessionState(b.ID) == nil {
			t.Fatalf("A %v, B %v: want A (longest idle) ended, B kept", u.m.SessionState(a.ID), u.m.SessionState(b.ID))
		}
		// A's next run starts a new session, reclaiming B (C is busy).
		time.Sleep(60 * time.Millisecond)
		if _, err := u.m.Run(ctx, a.ID, a.Paragraphs[0].ID); err != nil {
			t.Fatalf("A again: %v", err)
		}
		if u.m.SessionState(b.ID) != nil || u.m.SessionState(c.ID) == nil {
			t.Fatal("want B reclaimed and the busy C kept")
		}
	})
	t.Run("ErrRecentlyUsedKept", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 4, ReclaimIdleAfter: time.Hour})
		a, b := u.note("A", "finish"), u.note("B", "finish")
		if _, err := u.m.Run(ctx, a.ID, a.Paragraphs[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := u.m.Run(ctx, b.ID, b.Paragraphs[0].ID); eddy.ErrorCode(err) != eddy.ECAPACITY {
			t.Fatalf("B: %v, want a refusal", err)
		}
		if u.m.SessionState(a.ID) == nil {
			t.Fatal("a recently used session was reclaimed")
		}
	})
	t.Run("ForAJob", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 5, ReclaimIdleAfter: 50 * time.Millisecond})
		a, b := u.note("A", "finish"), u.note("B", "job 2")
		if _, err := u.m.Run(ctx, a.ID, a.Paragraphs[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := u.m.Start(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(60 * time.Millisecond)
		// 4 of 5 in use: B's job of parallelism 2 needs A's KPUs.
		if _, err := u.m.Run(ctx, b.ID, b.Paragraphs[0].ID); err != nil {
			t.Fatalf("B's job: %v", err)
		}
		if u.m.SessionState(a.ID) != nil || u.m.Capacity().InUse != 4 {
			t.Fatalf("A %v, %d in use", u.m.SessionState(a.ID), u.m.Capacity().InUse)
		}
	})
	t.Run("ForAnApplication", func(t *testing.T) {
		u := newUnit(t, sessions.Config{KPUCapacity: 4, ReclaimIdleAfter: 50 * time.Millisecond})
		a := u.note("A", "finish")
		if _, err := u.m.Run(ctx, a.ID, a.Paragraphs[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := u.m.ReserveApplication("app1", "orders", 3, "start application orders"); eddy.ErrorCode(err) != eddy.ECAPACITY {
			t.Fatalf("before A is idle long enough: %v, want a refusal", err)
		}
		time.Sleep(60 * time.Millisecond)
		// 2 of 4 in use: the application's 3 KPUs need A's.
		if err := u.m.ReserveApplication("app1", "orders", 3, "start application orders"); err != nil {
			t.Fatal(err)
		}
		if u.m.SessionState(a.ID) != nil || u.m.Capacity().InUse != 3 {
			t.Fatalf("A %v, %d in use", u.m.SessionState(a.ID), u.m.Capacity().InUse)
		}
		// A note short of capacity now is told the application holds it.
		_, err := u.m.Run(ctx, a.ID, a.Paragraphs[0].ID)
		if eddy.ErrorCode(err) != eddy.ECAPACITY || !strings.Contains(err.Error(), `application "orders" (app1) holds 3`) {
			t.Fatalf("A again: %v", err)
		}
		u.m.ReleaseApplication("app1", 3)
		if u.m.Capacity().InUse != 0 {
			t.Fatalf("%d in use after the release", u.m.Capacity().InUse)
		}
	})
}

// TestManagerUnit_MarkdownWithoutSession: a Markdown paragraph of a note
// without a session runs without one (no kernel, no KPUs); run-all of a
// note of Markdown opens none either; with a session, it runs there.
func TestManagerUnit_MarkdownWithoutSession(t *testing.T) {
	ctx := context.Background()
	var ran []string
	var mu sync.Mutex
	var u *unit
	u = newUnit(t, sessions.Config{KPUCapacity: 3, RunWithoutSession: func(ctx context.Context, noteID, pid string) error {
		mu.Lock()
		ran = append(ran, pid)
		mu.Unlock()
		_, err := u.store.UpdateParagraphRun(ctx, noteID, pid, notebooks.RunUpdate{Status: ptr(notebooks.StatusFinished)})
		return err
	}})
	n := u.note("M", "%md\n# Title", "%md\nmore", "finish")
	done, err := u.m.Run(ctx, n.ID, n.Paragraphs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if u.kernels.kernel(n.ID) != nil || u.m.Capacity().InUse != 0 || len(ran) != 1 {
		t.Fatalf("kernel %v, %d KPUs in use, ran %v", u.kernels.kernel(n.ID), u.m.Capacity().InUse, ran)
	}
	md := u.note("Only markdown", "%md\none", "%md\ntwo")
	done, err = u.m.RunAll(ctx, md.ID)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if u.kernels.kernel(md.ID) != nil || len(ran) != 3 {
		t.Fatalf("run-all of Markdown: kernel %v, ran %v", u.kernels.kernel(md.ID), ran)
	}
	// With a session, Markdown runs in it.
	if _, err := u.m.Run(ctx, n.ID, n.Paragraphs[2].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := u.m.Run(ctx, n.ID, n.Paragraphs[1].ID); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 3 || u.kernels.kernel(n.ID) == nil {
		t.Fatalf("ran %v: Markdown of a note with a session ran outside it", ran)
	}
}
