package server

import (
	"context"
	"sync"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/sessions"
)

// fakeSessions stands in for the sessions service at the Sessions boundary
// (the real one needs a Flink cluster; the run tests with Flink and the
// end-to-end tests drive it). Each paragraph has a live table with a
// bounded delta history, as the kernel keeps. A run stays running until
// the test ends it with finish, or ends at once through onRun.
type fakeSessions struct {
	notes notebooks.Service // where runs store their outcome

	mu      sync.Mutex
	paras   map[string]*fakeParagraph // by note id + "/" + paragraph id
	order   []string
	watches map[string]map[chan struct{}]bool // note id → watchers
	calls   []string
	runs    map[string]chan struct{} // done channels of runs, by note id + "/" + paragraph id
	err     error                    // returned by Run, RunAll and Start when set
	session *sessions.Info           // the state of every note's session; nil: none
	list    []sessions.Info
	cancel  func(ctx context.Context) error
	// onRun, when set, is called by Run (without mu held) to end the run at once.
	onRun func(noteID, pid string)

	capacity   sessions.Capacity
	usage      sessions.UsageReport
	candidates []string
	catalog    kernel.CatalogTree
	objects    map[string]kernel.CatalogObject // by catalog + "/" + database + "/" + name
	catalogErr error                           // returned by the catalog methods when set
}

var _ Sessions = (*fakeSessions)(nil)

type fakeParagraph struct {
	noteID, id string
	status     notebooks.Status
	jobURL     string
	errCode    string // of a failed run, as the kernel keeps it
	errDetails any
	version    int64
	rows       []kernel.Row
	deltas     []kernel.Delta // newest last; at most fakeHistory
}

const fakeEpoch = int64(1) << 32
const fakeHistory = 4

func newFakeSessions() *fakeSessions {
	return &fakeSessions{paras: map[string]*fakeParagraph{}, watches: map[string]map[chan struct{}]bool{},
		runs: map[string]chan struct{}{}, capacity: sessions.Capacity{KPUs: 8},
		usage: sessions.UsageReport{Notes: map[string]float64{}}}
}

// testRefusal is a capacity refusal as the ledger makes it.
func testRefusal() error {
	r := &sessions.Refusal{What: "start a notebook session", Needed: 2, Free: 1, Capacity: 3,
		Holders: []sessions.Holder{{NoteID: "N1", NoteName: "alpha", SessionID: "s1", KPUs: 2}}}
	return r.Err()
}

func (f *fakeSessions) record(call string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call)
}

func (f *fakeSessions) Run(ctx context.Context, noteID, pid string) (<-chan struct{}, error) {
	f.mu.Lock()
	f.calls = append(f.calls, "run "+noteID+"/"+pid)
	if f.err != nil {
		defer f.mu.Unlock()
		return nil, f.err
	}
	done := make(chan struct{})
	f.runs[noteID+"/"+pid] = done
	onRun := f.onRun
	f.mu.Unlock()
	if onRun != nil {
		onRun(noteID, pid)
	}
	return done, nil
}

// finish stores a run's outcome and ends it, as the kernel does.
func (f *fakeSessions) finish(noteID, pid string, st notebooks.Status, res *notebooks.Result, errMsg string) {
	upd := notebooks.RunUpdate{Status: &st, Results: res}
	if errMsg != "" {
		upd.ErrorMessage = &errMsg
	}
	if _, err := f.notes.UpdateParagraphRun(context.Background(), noteID, pid, upd); err != nil {
		panic(err)
	}
	f.mu.Lock()
	done := f.runs[noteID+"/"+pid]
	delete(f.runs, noteID+"/"+pid)
	f.mu.Unlock()
	if done != nil {
		close(done)
	}
}

func (f *fakeSessions) Cancel(ctx context.Context, noteID, pid string) error {
	f.mu.Lock()
	f.calls = append(f.calls, "cancel "+noteID+"/"+pid)
	cancel := f.cancel
	f.mu.Unlock()
	if cancel != nil {
		return cancel(ctx)
	}
	return nil
}

func (f *fakeSessions) RunAll(ctx context.Context, noteID string) (<-chan struct{}, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "runall "+noteID)
	if f.err != nil {
		return nil, f.err
	}
	done := make(chan struct{})
	f.runs[noteID+"/*"] = done
	return done, nil
}

// RunningAll reports a run-all the test has not ended (by closing its
// done channel, runs[noteID+"/*"]), as sessions.Manager does.
func (f *fakeSessions) RunningAll(noteID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	done, ok := f.runs[noteID+"/*"]
	if !ok {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

func (f *fakeSessions) StopAll(ctx context.Context, noteID string) error {
	f.record("stopall " + noteID)
	return nil
}

func (f *fakeSessions) Watch(noteID string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	if f.watches[noteID] == nil {
		f.watches[noteID] = map[chan struct{}]bool{}
	}
	f.watches[noteID][ch] = true
	f.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			f.mu.Lock()
			delete(f.watches[noteID], ch)
			f.mu.Unlock()
		})
	}
}

func (f *fakeSessions) watchers(noteID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.watches[noteID])
}

func (f *fakeSessions) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// notify signals the note's watchers, coalesced like the real one. Caller holds mu.
func (f *fakeSessions) notify(noteID string) {
	for ch := range f.watches[noteID] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// setRow upserts one row of a paragraph's table (a new version) and signals.
func (f *fakeSessions) setRow(noteID, pid string, id int64, fields ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := noteID + "/" + pid
	p := f.paras[key]
	if p == nil {
		p = &fakeParagraph{noteID: noteID, id: pid, status: notebooks.StatusRunning}
		f.paras[key] = p
		f.order = append(f.order, key)
	}
	index := len(p.rows)
	for i, r := range p.rows {
		if r.ID == id {
			index = i
		}
	}
	row := kernel.Row{ID: id, Fields: fields}
	if index == len(p.rows) {
		p.rows = append(p.rows, row)
	} else {
		p.rows[index] = row
	}
	d := kernel.Delta{FromVersion: p.version, Version: p.version + 1, Upserts: []kernel.DeltaRow{{ID: id, Index: index, Fields: fields}}, RowsReceived: p.version + 1}
	p.version++
	p.deltas = append(p.deltas, d)
	if len(p.deltas) > fakeHistory {
		p.deltas = p.deltas[len(p.deltas)-fakeHistory:]
	}
	f.notify(noteID)
}

func (f *fakeSessions) setStatus(noteID, pid string, st notebooks.Status) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.paras[noteID+"/"+pid].status = st
	f.notify(noteID)
}

// liveOf is a paragraph's live state for a viewer that has seen v (-1: nothing).
// Caller holds mu.
func (p *fakeParagraph) liveOf(v int64, seen bool) kernel.ParagraphLive {
	pl := kernel.ParagraphLive{ParagraphID: p.id, Status: p.status, JobURL: p.jobURL, Result: &kernel.LiveResult{},
		ErrorCode: p.errCode, ErrorDetails: p.errDetails}
	if seen && v >= fakeEpoch && len(p.deltas) > 0 && v-fakeEpoch >= p.deltas[0].FromVersion && v-fakeEpoch <= p.version {
		for _, d := range p.deltas {
			if d.Version > v-fakeEpoch {
				pl.Result.Deltas = append(pl.Result.Deltas, d)
			}
		}
	} else {
		rows := append([]kernel.Row(nil), p.rows...)
		pl.Result.Snapshot = &kernel.Table{Mode: kernel.DisplayUpdate, Columns: []kernel.Column{{Name: "k", Type: "STRING"}, {Name: "n", Type: "BIGINT"}}, Rows: rows, RowsReceived: p.version, Version: p.version}
	}
	pl.Result.Seq = fakeEpoch + p.version
	return pl
}

func (f *fakeSessions) Live(noteID, pid string) (kernel.ParagraphLive, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.paras[noteID+"/"+pid]
	if p == nil {
		return kernel.ParagraphLive{}, false
	}
	return p.liveOf(-1, false), true
}

// Forget drops a paragraph's live state as the kernel does, refusing a
// running one.
func (f *fakeSessions) Forget(noteID, pid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "forget "+noteID+"/"+pid)
	key := noteID + "/" + pid
	p := f.paras[key]
	if p == nil {
		return nil
	}
	if p.status == notebooks.StatusRunning || p.status == notebooks.StatusPending {
		return eddy.Errorf(eddy.ECONFLICT, "paragraph %s is running", pid)
	}
	delete(f.paras, key)
	for i, k := range f.order {
		if k == key {
			f.order = append(f.order[:i:i], f.order[i+1:]...)
			break
		}
	}
	f.notify(noteID)
	return nil
}

func (f *fakeSessions) LiveSince(noteID string, seen map[string]int64) []kernel.ParagraphLive {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []kernel.ParagraphLive
	for _, key := range f.order {
		p := f.paras[key]
		if p.noteID != noteID {
			continue
		}
		v, ok := seen[p.id]
		out = append(out, p.liveOf(v, ok))
	}
	return out
}

func (f *fakeSessions) SessionState(noteID string) *sessions.Info {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.session
}

func (f *fakeSessions) List() []sessions.Info {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sessions.Info(nil), f.list...)
}

func (f *fakeSessions) Get(id string) (sessions.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.list {
		if s.ID == id {
			return s, nil
		}
	}
	return sessions.Info{}, eddy.Errorf(eddy.ENOTFOUND, "session %s not found", id)
}

func (f *fakeSessions) Start(ctx context.Context, noteID string) (sessions.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "start "+noteID)
	if f.err != nil {
		return sessions.Info{}, f.err
	}
	for _, s := range f.list {
		if s.NoteID == noteID {
			return s, nil
		}
	}
	s := sessions.Info{ID: "s-" + noteID, NoteID: noteID, State: sessions.StateIdle, KPUs: sessions.SessionKPUs, Jobs: []sessions.JobInfo{}}
	f.list = append(f.list, s)
	return s, nil
}

func (f *fakeSessions) Stop(ctx context.Context, id string) (sessions.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, s := range f.list {
		if s.ID == id {
			f.list = append(f.list[:i], f.list[i+1:]...)
			s.State, s.KPUs = sessions.StateStopped, 0
			return s, nil
		}
	}
	return sessions.Info{}, eddy.Errorf(eddy.ENOTFOUND, "session %s not found", id)
}

func (f *fakeSessions) Capacity() sessions.Capacity {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.capacity
}

func (f *fakeSessions) Usage(ctx context.Context) (sessions.UsageReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.usage, nil
}

func (f *fakeSessions) Complete(ctx context.Context, noteID, text string, pos int) ([]string, error) {
	f.record("complete " + noteID)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.candidates, nil
}

func (f *fakeSessions) CatalogTree(ctx context.Context, noteID string) (kernel.CatalogTree, error) {
	f.record("catalog " + noteID)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.catalog, f.catalogErr
}

func (f *fakeSessions) CatalogObject(ctx context.Context, noteID, catalog, database, name string) (kernel.CatalogObject, error) {
	f.record("describe " + noteID + " " + catalog + "/" + database + "/" + name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.catalogErr != nil {
		return kernel.CatalogObject{}, f.catalogErr
	}
	obj, ok := f.objects[catalog+"/"+database+"/"+name]
	if !ok {
		return kernel.CatalogObject{}, eddy.Errorf(eddy.ENOTFOUND, "Tables or views with the identifier '%s.%s.%s' doesn't exist.", catalog, database, name)
	}
	return obj, nil
}

// fakeCluster reports a ready local cluster.
type fakeCluster struct{}

func (fakeCluster) ClusterStatus(ctx context.Context) kernel.ClusterStatus {
	return kernel.ClusterStatus{Mode: kernel.ModeLocal, Ready: true, FlinkVersion: "2.3.0", TaskManagers: 1, SlotsTotal: 4, SlotsAvailable: 4,
		Kafka: &kernel.KafkaStatus{Mode: kernel.ModeLocal, Bootstrap: "127.0.0.1:9092", Ready: true}}
}

func (fakeCluster) KafkaBootstrap() string { return "127.0.0.1:9092" }

// JobManagerURL is where no JobManager answers: tests of the Flink web UI
// proxy configure a cluster of their own.
func (fakeCluster) JobManagerURL() string { return "http://127.0.0.1:1" }
