// Package sessions manages notebook sessions: one per running note, each
// owning the note's kernel and its interactive jobs, holding KPUs from a
// ledger while it lives, metered in KPU-hours, and ended on request, after
// an idle timeout or when Eddy stops.
//
// The package knows kernels only through the Kernel interface and the
// OpenKernel function it is given, so its admission, idle culling, run-all
// and races are tested without Flink.
package sessions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// Session states.
const (
	StateStarting = "starting"
	StateIdle     = "idle"
	StateBusy     = "busy"
	StateStopping = "stopping"
	StateStopped  = "stopped"
	StateFailed   = "failed"
)

// Defaults.
const (
	DefaultIdleTimeout  = 60 * time.Minute
	DefaultPricePerHour = 0.11 // USD per KPU-hour, Studio's price in us-east-1
	// DefaultStopTimeout bounds how long ending an idle session may take
	// (cancelling its jobs, stopping with savepoints).
	DefaultStopTimeout = 2 * time.Minute
	// DefaultReclaimIdleAfter is how long a session must have been idle
	// before another note short of capacity may end it.
	DefaultReclaimIdleAfter = 2 * time.Minute
	// StreamingSettle is how long a streaming paragraph must keep running
	// once its job produces before run-all goes on past it: a bounded
	// INSERT (from VALUES) that ends within it has run-all wait for its
	// outcome, and a job that fails on its first records stops run-all.
	StreamingSettle = 2 * time.Second
)

// Store is what sessions need of the notebook store.
type Store interface {
	FindNoteByID(ctx context.Context, id string) (*notebooks.Note, error)
	ListParagraphs(ctx context.Context, noteID string) ([]*notebooks.Paragraph, error)
	// UpdateParagraphRun records a run's outcome; run-all records there
	// why a paragraph it could not start was refused.
	UpdateParagraphRun(ctx context.Context, noteID, paragraphID string, run notebooks.RunUpdate) (*notebooks.Paragraph, error)
}

// Kernel runs one note's paragraphs and keeps their live state;
// kernel.Kernel implements it. Methods are safe for concurrent use.
type Kernel interface {
	// Run starts a paragraph; the channel closes when its run has ended
	// and its outcome is stored.
	Run(ctx context.Context, paragraphID string) (<-chan struct{}, error)
	// Cancel stops a running paragraph and waits for its run to end, at
	// most until ctx is done; a paragraph not running is not an error.
	Cancel(ctx context.Context, paragraphID string) error
	// Running reports whether any paragraph runs.
	Running() bool
	Live(paragraphID string) (kernel.ParagraphLive, bool)
	LiveSince(seen map[string]int64) []kernel.ParagraphLive
	// Changelog returns the raw changelog of a paragraph's current or
	// last query result, if it has one.
	Changelog(paragraphID string) (kernel.ChangelogView, bool)
	// Forget drops a paragraph's live state; a running one is refused.
	Forget(paragraphID string) error
	// Jobs returns the Flink jobs the note's paragraphs run now.
	Jobs() []kernel.Job
	// RunningInserts returns the INSERT jobs the note's paragraphs follow
	// now (kernel.Kernel.RunningInserts).
	RunningInserts() []kernel.Job
	// HandOff stops a paragraph's running INSERT job with a savepoint
	// into dir, ends its run and returns the savepoint's path
	// (kernel.Kernel.HandOff).
	HandOff(ctx context.Context, paragraphID, jobID, dir, message string) (string, error)
	// RunFrom starts a paragraph as Run does, its jobs starting from the
	// savepoint or checkpoint at path.
	RunFrom(ctx context.Context, paragraphID, path string) (<-chan struct{}, error)
	// Complete returns completion candidates in the kernel's own context.
	Complete(ctx context.Context, text string, pos int) ([]string, error)
	// CatalogTree lists what the catalogs hold in the kernel's own
	// context, its temporary objects included.
	CatalogTree(ctx context.Context) (kernel.CatalogTree, error)
	// CatalogObject describes a table or view in the kernel's own context.
	CatalogObject(ctx context.Context, catalog, database, name string) (kernel.CatalogObject, error)
	// Close cancels every run and releases the kernel, at most until ctx
	// is done.
	Close(ctx context.Context) error
}

// KernelConfig is what OpenKernel is given for one note's session.
type KernelConfig struct {
	NoteID string
	// SessionID names the session the kernel serves, for its log lines.
	SessionID string
	Admitter  kernel.Admitter // reserves the KPUs of each job before it starts
	OnChange  func()          // live state changed; must not block
}

// Completer completes SQL and browses the catalogs for notes that have no
// session (no KPUs: it runs nothing). kernel.Completer implements it.
type Completer interface {
	Complete(ctx context.Context, text string, pos int) ([]string, error)
	CatalogTree(ctx context.Context) (kernel.CatalogTree, error)
	CatalogObject(ctx context.Context, catalog, database, name string) (kernel.CatalogObject, error)
	Close(ctx context.Context) error
}

// Config is what a Manager needs. Zero values get defaults in NewManager.
type Config struct {
	// OpenKernel opens a note's kernel when its session starts. Required.
	OpenKernel func(ctx context.Context, cfg KernelConfig) (Kernel, error)
	Completer  Completer  // completion for notes without a session; nil: unavailable
	Store      Store      // required
	Usage      UsageStore // where KPU-seconds are kept; nil keeps them in memory only

	KPUCapacity       int
	ParallelismPerKPU int           // default 1
	IdleTimeout       time.Duration // 0 disables; negative means the default
	// ReclaimIdleAfter: when capacity is short, sessions of other notes
	// that have been idle this long are ended, longest idle first, to make
	// room. 0 means the default; negative never reclaims.
	ReclaimIdleAfter time.Duration
	// RunWithoutSession runs a paragraph that needs no Flink (Markdown) for
	// a note without a live session, so it opens none; nil starts one.
	RunWithoutSession func(ctx context.Context, noteID, paragraphID string) error
	StopTimeout       time.Duration // bound for ending an idle session; default DefaultStopTimeout
	PricePerHour      float64       // per KPU-hour
	Logger            *slog.Logger
}

// Manager owns every notebook session. It is safe for concurrent use.
type Manager struct {
	cfg    Config
	log    *slog.Logger
	ledger *Ledger
	ctx    context.Context // canceled by Close: ends run-all and housekeeping
	cancel context.CancelFunc
	wg     sync.WaitGroup // housekeeping and run-all goroutines; Add only under mu while !closed

	mu       sync.Mutex
	sessions map[string]*Session                   // live sessions by note id
	watchers map[string]map[chan struct{}]struct{} // by note id
	allRuns  map[string]int                        // run-alls under way, by note id
	closed   bool
}

// NewManager returns a Manager; Open starts its background work.
func NewManager(cfg Config) *Manager {
	if cfg.ParallelismPerKPU < 1 {
		cfg.ParallelismPerKPU = 1
	}
	if cfg.IdleTimeout < 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	if cfg.ReclaimIdleAfter == 0 {
		cfg.ReclaimIdleAfter = DefaultReclaimIdleAfter
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &Manager{cfg: cfg, log: cfg.Logger, ledger: NewLedger(cfg.KPUCapacity),
		sessions: map[string]*Session{}, watchers: map[string]map[chan struct{}]struct{}{}, allRuns: map[string]int{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// Open starts the idle reaper and the usage recorder.
func (m *Manager) Open() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.wg.Add(1)
	go m.housekeeping()
}

// Capacity is the KPU capacity and the KPUs reserved now.
type Capacity struct {
	KPUs  int `json:"kpuCapacity"`
	InUse int `json:"kpusInUse"`
}

// Ledger returns the KPU ledger, which applications share.
func (m *Manager) Ledger() *Ledger { return m.ledger }

// Capacity returns the KPU capacity and what is in use.
func (m *Manager) Capacity() Capacity {
	return Capacity{KPUs: m.ledger.Capacity(), InUse: m.ledger.InUse()}
}

// Close ends every session (cancelling their jobs), stops run-all and
// housekeeping, waits for all of it until ctx is done and closes the
// completer. It returns the first error.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	all := make([]*Session, 0, len(m.sessions))
	for _, s := range m.sessions {
		all = append(all, s)
	}
	m.mu.Unlock()
	m.cancel() // run-all stops starting paragraphs; housekeeping ends

	var (
		errMu sync.Mutex
		first error
	)
	keep := func(err error) {
		errMu.Lock()
		if err != nil && first == nil {
			first = err
		}
		errMu.Unlock()
	}
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Add(1)
		go func() { defer wg.Done(); keep(m.stop(ctx, s)) }()
	}
	wg.Wait()
	keep(waitGroup(ctx, &m.wg))
	if m.cfg.Completer != nil {
		keep(m.cfg.Completer.Close(ctx))
	}
	return first
}

// waitGroup waits for wg until ctx is done.
func waitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// housekeeping ends idle sessions and records usage periodically.
func (m *Manager) housekeeping() {
	defer m.wg.Done()
	every := 15 * time.Second
	if t := m.cfg.IdleTimeout; t > 0 && t/4 < every {
		every = max(t/4, 50*time.Millisecond)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	lastSave := time.Now()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-tick.C:
		}
		for _, s := range m.idleSessions() {
			m.log.Info("ending idle session", "note", s.NoteID, "session", s.ID, "idle", m.cfg.IdleTimeout)
			// Not m.ctx: a stop that has begun finishes even when Close
			// starts meanwhile (Close waits for it).
			ctx, cancel := context.WithTimeout(context.Background(), m.cfg.StopTimeout)
			if err := m.stop(ctx, s); err != nil {
				m.log.Warn("ending an idle session failed", "session", s.ID, "err", err)
			}
			cancel()
		}
		if time.Since(lastSave) > 30*time.Second {
			lastSave = time.Now()
			for _, s := range m.list() {
				m.saveUsage(s)
			}
		}
	}
}

func (m *Manager) idleSessions() []*Session {
	if m.cfg.IdleTimeout <= 0 {
		return nil
	}
	var out []*Session
	for _, s := range m.list() {
		if s.idleFor() > m.cfg.IdleTimeout {
			out = append(out, s)
		}
	}
	return out
}

func (m *Manager) list() []*Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Session, 0, len(m.sessions))
	for _, s := range m.sessions {
		out = append(out, s)
	}
	return out
}

// notify tells the note's watchers that something changed.
func (m *Manager) notify(noteID string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for ch := range m.watchers[noteID] {
		select {
		case ch <- struct{}{}:
		default: // already signalled: the watcher will read the latest state
		}
	}
}

// Watch returns a channel signalled (coalesced, capacity 1, never closed)
// whenever the note's session or live state changes, and a function that
// stops it.
func (m *Manager) Watch(noteID string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	m.mu.Lock()
	if m.watchers[noteID] == nil {
		m.watchers[noteID] = map[chan struct{}]struct{}{}
	}
	m.watchers[noteID][ch] = struct{}{}
	m.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			m.mu.Lock()
			delete(m.watchers[noteID], ch)
			if len(m.watchers[noteID]) == 0 {
				delete(m.watchers, noteID)
			}
			m.mu.Unlock()
		})
	}
}

var errShuttingDown = eddy.Errorf(eddy.EUNAVAILABLE, "Eddy is shutting down")

// Start returns the note's session, starting one if it has none. Starting
// reserves the session's KPUs first: when they are not free nothing starts.
func (m *Manager) Start(ctx context.Context, noteID string) (Info, error) {
	s, err := m.start(ctx, noteID)
	if err != nil {
		return Info{}, err
	}
	return s.Info(), nil
}

func (m *Manager) start(ctx context.Context, noteID string) (*Session, error) {
	note, err := m.cfg.Store.FindNoteByID(ctx, noteID)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, errShuttingDown
	}
	if s := m.sessions[noteID]; s != nil {
		m.mu.Unlock()
		select {
		case <-s.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if s.startErr != nil {
			return nil, s.startErr
		}
		return s, nil
	}
	// The session is known (starting) before its KPUs are: a second start
	// of the note waits for this one instead of racing it.
	s := newSession(m, noteID, note.Name)
	m.sessions[noteID] = s
	m.mu.Unlock()
	if err := m.reserve(ctx, s, SessionKPUs, FirstJobKPUs, "start a notebook session and its first job"); err != nil {
		s.startErr = err
		s.setState(StateFailed)
		m.forget(s)
		s.markEnded()
		close(s.ready)
		close(s.stopped)
		return nil, err
	}
	s.meter.start(s.StartedAt, SessionKPUs)
	m.notify(noteID)

	k, err := m.cfg.OpenKernel(ctx, KernelConfig{
		NoteID:    noteID,
		SessionID: s.ID,
		Admitter:  m,
		OnChange:  func() { s.touch(); m.notify(noteID) },
	})
	if err != nil {
		s.startErr = err
		s.setState(StateFailed)
		m.release(s, SessionKPUs)
		m.forget(s)
		s.markEnded()
		close(s.ready)
		close(s.stopped)
		m.saveUsage(s)
		m.notify(noteID)
		return nil, err
	}
	s.kernel = k
	s.setState(StateIdle)
	close(s.ready)
	m.notify(noteID)
	return s, nil
}

// forget removes a session from the live ones, if it still is one.
func (m *Manager) forget(s *Session) {
	m.mu.Lock()
	if m.sessions[s.NoteID] == s {
		delete(m.sessions, s.NoteID)
	}
	m.mu.Unlock()
}

// release gives KPUs back and meters the change.
func (m *Manager) release(s *Session, n int) {
	m.ledger.Release(s.ID, n)
	s.meter.change(time.Now(), -n)
}

// AdmitJob reserves the KPUs of a job about to start in a note's session;
// it implements kernel.Admitter.
func (m *Manager) AdmitJob(ctx context.Context, noteID, paragraphID string, parallelism int) (func(), error) {
	s := m.findByNote(noteID)
	if s == nil {
		return nil, eddy.Errorf(eddy.ECONFLICT, "note %s has no session", noteID)
	}
	n := JobKPUs(parallelism, m.cfg.ParallelismPerKPU)
	what := "start a job of parallelism " + strconv.Itoa(parallelism)
	if err := m.ledger.JobNeverFits(what, parallelism, n, m.cfg.ParallelismPerKPU); err != nil {
		return nil, err // no idle session is worth ending for it
	}
	if err := m.reserve(ctx, s, n, 0, what); err != nil {
		return nil, err
	}
	s.meter.change(time.Now(), n)
	m.notify(noteID)
	var once sync.Once
	return func() {
		once.Do(func() {
			m.release(s, n)
			m.notify(noteID)
		})
	}, nil
}

// reserve reserves n KPUs for a session, with room more left free (see
// Ledger.ReserveWithRoom). When capacity is short it first ends idle
// sessions of other notes (reclaimIdle) and tries once more.
func (m *Manager) reserve(ctx context.Context, s *Session, n, room int, what string) error {
	err := m.ledger.ReserveWithRoom(s.ID, s.NoteID, s.noteName, n, room, what)
	if eddy.ErrorCode(err) != eddy.ECAPACITY || !m.reclaimIdle(ctx, s, "note "+s.NoteID, n+room) {
		return err
	}
	return m.ledger.ReserveWithRoom(s.ID, s.NoteID, s.noteName, n, room, what)
}

// reclaimIdle ends sessions of other notes that have been idle for at
// least ReclaimIdleAfter, longest idle first, until need KPUs are free. It
// reports whether it ended any. A reclaimed note loses only its session
// state (temporary tables, SET): its next run starts a new session.
func (m *Manager) reclaimIdle(ctx context.Context, asker *Session, forWhat string, need int) bool {
	if m.cfg.ReclaimIdleAfter < 0 {
		return false
	}
	type cand struct {
		s    *Session
		idle time.Duration
	}
	var cands []cand
	for _, s := range m.list() {
		if idle := s.idleFor(); s != asker && idle >= m.cfg.ReclaimIdleAfter {
			cands = append(cands, cand{s, idle})
		}
	}
	sort.Slice(cands, func(i, j int) bool { return cands[i].idle > cands[j].idle })
	ended := false
	for _, c := range cands {
		if m.ledger.Free() >= need {
			break
		}
		m.log.Info("ending an idle session to make room", "note", c.s.NoteID, "session", c.s.ID,
			"idle", c.idle.Round(time.Second), "for", forWhat)
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.cfg.StopTimeout)
		if err := m.stop(sctx, c.s); err != nil {
			m.log.Warn("ending an idle session failed", "session", c.s.ID, "err", err)
		}
		cancel()
		ended = true
	}
	return ended
}

// ReserveApplication reserves a running application's KPUs in the ledger
// the sessions use, ending long-idle sessions first when they are short,
// as a note's start does. With ReleaseApplication it implements
// applications.Capacity.
func (m *Manager) ReserveApplication(appID, appName string, n int, what string) error {
	err := m.ledger.ReserveApplication(appID, appName, n, what)
	if eddy.ErrorCode(err) != eddy.ECAPACITY || !m.reclaimIdle(context.Background(), nil, "application "+appName, n) {
		return err
	}
	return m.ledger.ReserveApplication(appID, appName, n, what)
}

// ReleaseApplication gives an application's KPUs back.
func (m *Manager) ReleaseApplication(appID string, n int) { m.ledger.ReleaseApplication(appID, n) }

// Stop ends a session by id and returns it as it ended.
func (m *Manager) Stop(ctx context.Context, sessionID string) (Info, error) {
	s, err := m.findByID(sessionID)
	if err != nil {
		return Info{}, err
	}
	err = m.stop(ctx, s)
	return s.Info(), err
}

// stop cancels the session's runs and jobs, closes its kernel, releases its
// KPUs and records its usage. A second stop of the same session waits for
// the first, at most until ctx is done.
func (m *Manager) stop(ctx context.Context, s *Session) error {
	select {
	case <-s.ready:
	case <-ctx.Done():
		return ctx.Err()
	}
	if !s.beginStop() {
		select {
		case <-s.stopped:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.notify(s.NoteID)
	var err error
	if s.kernel != nil {
		err = s.kernel.Close(ctx)
	}
	m.release(s, m.ledger.Held(s.ID))
	s.setState(StateStopped)
	s.markEnded()
	m.forget(s)
	close(s.stopped)
	m.saveUsage(s)
	m.notify(s.NoteID)
	return err
}

// Get returns a live session by id.
func (m *Manager) Get(sessionID string) (Info, error) {
	s, err := m.findByID(sessionID)
	if err != nil {
		return Info{}, err
	}
	return s.Info(), nil
}

func (m *Manager) findByID(id string) (*Session, error) {
	for _, s := range m.list() {
		if s.ID == id {
			return s, nil
		}
	}
	return nil, eddy.Errorf(eddy.ENOTFOUND, "session %s not found", id)
}

// findByNote returns the note's live session, or nil.
func (m *Manager) findByNote(noteID string) *Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions[noteID]
}

// List returns the live sessions, oldest first.
func (m *Manager) List() []Info {
	all := m.list()
	sort.Slice(all, func(i, j int) bool { return all[i].StartedAt.Before(all[j].StartedAt) })
	out := make([]Info, len(all))
	for i, s := range all {
		out[i] = s.Info()
	}
	return out
}

// SessionState returns the note's session as the API shows it, or nil
// when the note has no session.
func (m *Manager) SessionState(noteID string) *Info {
	s := m.findByNote(noteID)
	if s == nil {
		return nil
	}
	info := s.Info()
	return &info
}

// Run starts a paragraph, starting the note's session if needed. The
// returned channel closes when the run has ended and its outcome is stored.
// An error is a refusal (unknown paragraph, already running, no capacity)
// and nothing was started.
func (m *Manager) Run(ctx context.Context, noteID, paragraphID string) (<-chan struct{}, error) {
	if done, ok, err := m.runWithoutSession(ctx, noteID, paragraphID); ok || err != nil {
		return done, err
	}
	s, err := m.start(ctx, noteID)
	if err != nil {
		return nil, err
	}
	s.touch()
	done, err := s.kernel.Run(ctx, paragraphID)
	if err != nil {
		return nil, err
	}
	m.notify(noteID)
	return done, nil
}

// runWithoutSession runs a paragraph that needs no Flink (kernel.
// NeedsFlink) when the note has no live session, so Markdown opens none;
// ok reports that it did. With a session the paragraph runs there, so its
// live state stays in one place.
func (m *Manager) runWithoutSession(ctx context.Context, noteID, paragraphID string) (_ <-chan struct{}, ok bool, _ error) {
	if m.cfg.RunWithoutSession == nil || m.findByNote(noteID) != nil {
		return nil, false, nil
	}
	note, err := m.cfg.Store.FindNoteByID(ctx, noteID)
	if err != nil {
		return nil, false, err
	}
	p, _ := note.Paragraph(paragraphID)
	if p == nil || kernel.NeedsFlink(p.Text, note.DefaultInterpreterGroup) {
		return nil, false, nil // an unknown paragraph is the kernel's to refuse
	}
	done, err := m.goTracked(func() {
		if err := m.cfg.RunWithoutSession(context.WithoutCancel(ctx), noteID, paragraphID); err != nil {
			m.log.Warn("running a paragraph without a session failed", "note", noteID, "paragraph", paragraphID, "err", err)
		}
		m.notify(noteID)
	})
	return done, err == nil, err
}

// Cancel stops a running paragraph; it is a no-op for one that is not
// running. It waits until the run has ended, at most until ctx is done.
func (m *Manager) Cancel(ctx context.Context, noteID, paragraphID string) error {
	s := m.findByNote(noteID)
	k := s.started()
	if k == nil {
		return nil
	}
	s.touch()
	return k.Cancel(ctx, paragraphID)
}

// RunAll runs the note's paragraphs in order in the background, as
// Zeppelin's run-all does, disabled and empty paragraphs skipped, so that
// a note that is a streaming dashboard starts: run-all goes on to the next
// paragraph when one has FINISHED, or when it runs a streaming query or
// INSERT whose job produces (kernel.ParagraphLive.Producing) and has kept
// running for StreamingSettle; that paragraph stays RUNNING. A paragraph
// already running is waited for the same way rather than run twice. The
// first paragraph that ends otherwise (error, cancel) stops run-all, and
// one whose run is refused stops it with the refusal recorded on it as its
// error. The returned channel closes when run-all has ended.
func (m *Manager) RunAll(ctx context.Context, noteID string) (<-chan struct{}, error) {
	note, err := m.cfg.Store.FindNoteByID(ctx, noteID)
	if err != nil {
		return nil, err
	}
	ps, err := m.cfg.Store.ListParagraphs(ctx, noteID)
	if err != nil {
		return nil, err
	}
	// The session starts now, so a refusal is the caller's answer, unless
	// nothing to run needs one.
	needs := m.cfg.RunWithoutSession == nil
	for _, p := range ps {
		needs = needs || Enabled(p) && !isBlank(p.Text) && kernel.NeedsFlink(p.Text, note.DefaultInterpreterGroup)
	}
	if needs {
		if _, err := m.start(ctx, noteID); err != nil {
			return nil, err
		}
	}
	// Counted before RunAll returns, so a client that asks at once whether
	// the note runs is told yes, before the first paragraph has started.
	m.countRunAll(noteID, 1)
	done, err := m.goTracked(func() {
		defer m.countRunAll(noteID, -1)
		m.runAll(noteID, ps)
	})
	if err != nil {
		m.countRunAll(noteID, -1)
	}
	return done, err
}

// RunningAll reports whether a run-all of the note is under way: from
// RunAll's return until its channel closes, in the gaps between paragraphs
// too. Zeppelin's client waits for a note's run on this (the note's
// info.isRunning).
func (m *Manager) RunningAll(noteID string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.allRuns[noteID] > 0
}

func (m *Manager) countRunAll(noteID string, delta int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.allRuns[noteID] += delta; m.allRuns[noteID] <= 0 {
		delete(m.allRuns, noteID)
	}
}

// goTracked runs f in a goroutine Close waits for, unless the manager is
// closing; the channel closes when f has returned.
func (m *Manager) goTracked(f func()) (<-chan struct{}, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, errShuttingDown
	}
	m.wg.Add(1)
	m.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer m.wg.Done()
		defer close(done)
		f()
	}()
	return done, nil
}

func (m *Manager) runAll(noteID string, ps []*notebooks.Paragraph) {
	// Watching before the first run, so no change of its live state is missed.
	changed, stop := m.Watch(noteID)
	defer stop()
	for _, p := range ps {
		if !Enabled(p) || isBlank(p.Text) {
			continue
		}
		if !m.runStarted(noteID, p.ID, changed) {
			return
		}
	}
}

// runStarted runs one paragraph for run-all and waits until it has
// started (see RunAll). It reports whether run-all goes on.
func (m *Manager) runStarted(noteID, pid string, changed <-chan struct{}) bool {
	var ran <-chan struct{} // nil for a run that was going already: Live tells its end
	if !running(m.Live(noteID, pid)) {
		var err error
		if ran, err = m.Run(m.ctx, noteID, pid); err != nil {
			if running(m.Live(noteID, pid)) {
				return m.awaitStarted(noteID, pid, nil, changed) // started meanwhile, elsewhere
			}
			if m.ctx.Err() == nil {
				m.log.Info("run-all stopped: a paragraph was refused", "note", noteID, "paragraph", pid, "err", err)
				m.recordRefusal(noteID, pid, err)
			}
			return false
		}
	}
	return m.awaitStarted(noteID, pid, ran, changed)
}

// awaitStarted waits until the paragraph's run has ended, reporting
// whether it FINISHED, or until its job has been producing for
// StreamingSettle (true). ran closes when the run has ended and its
// outcome is stored; nil means the end is seen in the live state.
func (m *Manager) awaitStarted(noteID, pid string, ran <-chan struct{}, changed <-chan struct{}) bool {
	var producingSince time.Time
	for {
		live, ok := m.Live(noteID, pid)
		switch {
		case ran == nil && !running(live, ok): // ended, or its session did
			return ok && live.Status == notebooks.StatusFinished
		case ok && live.Producing && running(live, true):
			if producingSince.IsZero() {
				producingSince = time.Now()
			}
			if time.Since(producingSince) >= StreamingSettle {
				return true
			}
		default:
			producingSince = time.Time{}
		}
		var settled <-chan time.Time
		if !producingSince.IsZero() {
			settled = time.After(StreamingSettle - time.Since(producingSince))
		}
		select {
		case <-ran:
			return m.storedStatus(noteID, pid) == notebooks.StatusFinished
		case <-m.ctx.Done():
			return false
		case <-changed:
		case <-settled:
		}
	}
}

// running reports whether live state is that of a run not yet ended.
func running(live kernel.ParagraphLive, ok bool) bool {
	return ok && live.Status.Active()
}

// storedStatus returns the paragraph's stored status, "" when it is gone.
func (m *Manager) storedStatus(noteID, pid string) notebooks.Status {
	note, err := m.cfg.Store.FindNoteByID(m.ctx, noteID)
	if err != nil {
		return ""
	}
	if p, _ := note.Paragraph(pid); p != nil {
		return p.Status
	}
	return ""
}

// recordRefusal stores why run-all could not start a paragraph as the
// paragraph's error, so the note shows it where it stopped.
func (m *Manager) recordRefusal(noteID, pid string, refusal error) {
	msg := "Not started: " + refusal.Error()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(m.ctx), 10*time.Second)
	defer cancel()
	_, err := m.cfg.Store.UpdateParagraphRun(ctx, noteID, pid, notebooks.RunUpdate{
		Status:       ptr(notebooks.StatusError),
		Results:      &notebooks.Result{Code: notebooks.ResultError, Msg: []notebooks.ResultMessage{{Type: notebooks.MessageText, Data: msg}}},
		DateFinished: ptr(notebooks.NewDate(time.Now())),
		ErrorMessage: &msg,
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		m.log.Warn("cannot record why run-all stopped", "note", noteID, "paragraph", pid, "err", err)
	}
	m.notify(noteID)
}

func ptr[T any](v T) *T { return &v }

// StopAll cancels every running paragraph of the note and returns the
// first error.
func (m *Manager) StopAll(ctx context.Context, noteID string) error {
	s := m.findByNote(noteID)
	k := s.started()
	if k == nil {
		return nil
	}
	var first error
	for _, l := range k.LiveSince(nil) {
		if l.Status.Active() {
			if err := k.Cancel(ctx, l.ParagraphID); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// Forget drops a paragraph's live state in the note's session, as when its
// output is cleared (kernel.Kernel.Forget); a running paragraph is refused
// with an eddy.ECONFLICT error. Without a session there is nothing to drop.
func (m *Manager) Forget(noteID, paragraphID string) error {
	k := m.findByNote(noteID).started()
	if k == nil {
		return nil
	}
	return k.Forget(paragraphID)
}

// Live returns a paragraph's live state, if it ran in the note's session.
func (m *Manager) Live(noteID, paragraphID string) (kernel.ParagraphLive, bool) {
	k := m.findByNote(noteID).started()
	if k == nil {
		return kernel.ParagraphLive{}, false
	}
	return k.Live(paragraphID)
}

// Changelog returns the raw changelog of a paragraph's current or last
// query result in the note's session (kernel.Kernel.Changelog); false when
// the note has no session or the paragraph no result there.
func (m *Manager) Changelog(noteID, paragraphID string) (kernel.ChangelogView, bool) {
	k := m.findByNote(noteID).started()
	if k == nil {
		return kernel.ChangelogView{}, false
	}
	return k.Changelog(paragraphID)
}

// LiveSince returns the note's live state for a viewer that has seen the
// result sequences in seen (see kernel.Kernel.LiveSince). It does not
// block on I/O.
func (m *Manager) LiveSince(noteID string, seen map[string]int64) []kernel.ParagraphLive {
	k := m.findByNote(noteID).started()
	if k == nil {
		return nil
	}
	return k.LiveSince(seen)
}

// Complete returns completion candidates for a paragraph's text at a byte
// offset. In the interpreter name of the first line they are the headers
// of the interpreters Eddy runs (kernel.CompleteHeader), with or without
// Flink. A note with a session completes SQL in its own kernel, so its
// temporary tables are known, and Python in its worker; otherwise the
// completer (no KPUs: it runs nothing) knows the catalogs only, and Python
// paragraphs get the names every Python paragraph has.
func (m *Manager) Complete(ctx context.Context, noteID, text string, pos int) ([]string, error) {
	if headers, ok := kernel.CompleteHeader(text, pos); ok {
		return headers, nil
	}
	if k := m.findByNote(noteID).started(); k != nil {
		return k.Complete(ctx, text, pos)
	}
	if names, ok := kernel.CompletePython(text, pos); ok {
		return names, nil
	}
	if m.cfg.Completer == nil {
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "completion is not available: no Flink cluster")
	}
	return m.cfg.Completer.Complete(ctx, text, pos)
}

// CatalogTree lists what the catalogs hold as the note sees them: in its
// own kernel when it has a session, so its temporary tables, views and
// functions are listed; otherwise through the completer (no KPUs).
func (m *Manager) CatalogTree(ctx context.Context, noteID string) (kernel.CatalogTree, error) {
	if k := m.findByNote(noteID).started(); k != nil {
		return k.CatalogTree(ctx)
	}
	if m.cfg.Completer == nil {
		return kernel.CatalogTree{}, errNoCatalog
	}
	return m.cfg.Completer.CatalogTree(ctx)
}

// CatalogObject describes a table or view as the note sees it (see
// CatalogTree). One that does not exist is an eddy.ENOTFOUND error.
func (m *Manager) CatalogObject(ctx context.Context, noteID, catalog, database, name string) (kernel.CatalogObject, error) {
	if k := m.findByNote(noteID).started(); k != nil {
		return k.CatalogObject(ctx, catalog, database, name)
	}
	if m.cfg.Completer == nil {
		return kernel.CatalogObject{}, errNoCatalog
	}
	return m.cfg.Completer.CatalogObject(ctx, catalog, database, name)
}

var errNoCatalog = eddy.Errorf(eddy.EUNAVAILABLE, "the catalogs cannot be browsed: no Flink cluster")

// Enabled reports whether a paragraph may run: Zeppelin's config.enabled,
// true when absent (see notebooks.Paragraph.Enabled).
func Enabled(p *notebooks.Paragraph) bool { return p.Enabled() }

func isBlank(text string) bool {
	for _, c := range text {
		if c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
