// Package sessions manages notebook sessions: one per running note, each
// owning the note's kernel and its interactive jobs, holding KPUs from a
// ledger while it lives, metered in KPU-hours, and ended on request, after
// an idle timeout or when Eddy stops.
package sessions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
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
)

// Store is what sessions need of the notebook store.
type Store interface {
	kernel.Store
	ListParagraphs(ctx context.Context, noteID string) ([]*notebooks.Paragraph, error)
}

// Config is what a Manager needs. Zero values get defaults in NewManager.
type Config struct {
	Cluster           *kernel.Cluster
	Store             Store
	Usage             UsageStore // where KPU-seconds are kept; nil keeps them in memory only
	KPUCapacity       int
	ParallelismPerKPU int           // default 1
	IdleTimeout       time.Duration // 0 disables; negative means the default
	PricePerHour      float64       // per KPU-hour
	MaxRows           int           // rows kept per result
	Logger            *slog.Logger
	// OnChange is called with a note id whenever that note's session or
	// live state changes. It must not block.
	OnChange func(noteID string)
}

// Manager owns every notebook session. It is safe for concurrent use.
type Manager struct {
	cfg    Config
	log    *slog.Logger
	ledger *Ledger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	sessions   map[string]*Session                   // live sessions by note id
	watchers   map[string]map[chan struct{}]struct{} // by note id
	closed     bool
	completion string // shared gateway session for completion, "" until needed
}

// NewManager returns a Manager; Open starts its background work.
func NewManager(cfg Config) *Manager {
	if cfg.ParallelismPerKPU < 1 {
		cfg.ParallelismPerKPU = 1
	}
	if cfg.IdleTimeout < 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	m := &Manager{cfg: cfg, log: cfg.Logger, ledger: NewLedger(cfg.KPUCapacity),
		sessions: map[string]*Session{}, watchers: map[string]map[chan struct{}]struct{}{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// Open starts the idle reaper and the usage recorder.
func (m *Manager) Open() {
	m.wg.Add(1)
	go m.housekeeping()
}

// Ledger returns the KPU ledger.
func (m *Manager) Ledger() *Ledger { return m.ledger }

// Close ends every session (cancelling their jobs) and stops.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	var all []*Session
	for _, s := range m.sessions {
		all = append(all, s)
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Add(1)
		go func() { defer wg.Done(); _ = m.stop(ctx, s) }()
	}
	wg.Wait()
	m.cancel()
	m.wg.Wait()
	m.mu.Lock()
	completion := m.completion
	m.mu.Unlock()
	if completion != "" && m.cfg.Cluster != nil {
		_ = m.cfg.Cluster.Gateway.CloseSession(context.WithoutCancel(ctx), completion)
	}
	return nil
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
			_ = m.stop(m.ctx, s)
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
	for ch := range m.watchers[noteID] {
		select {
		case ch <- struct{}{}:
		default: // already signalled: the watcher will read the latest state
		}
	}
	m.mu.Unlock()
	if m.cfg.OnChange != nil {
		m.cfg.OnChange(noteID)
	}
}

// Watch returns a channel signalled (coalesced, capacity 1) whenever the
// note's session or live state changes, and a function that stops it.
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

// Start returns the note's session, starting one if it has none. Starting
// reserves the session's KPUs first: when they are not free nothing starts.
func (m *Manager) Start(ctx context.Context, noteID string) (*Session, error) {
	note, err := m.cfg.Store.FindNoteByID(ctx, noteID)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "Eddy is shutting down")
	}
	if s := m.sessions[noteID]; s != nil {
		m.mu.Unlock()
		<-s.ready
		if s.startErr != nil {
			return nil, s.startErr
		}
		return s, nil
	}
	s := &Session{ID: newID(), NoteID: noteID, noteName: note.Name, m: m, StartedAt: time.Now(),
		ready: make(chan struct{}), state: StateStarting}
	s.lastActivity = s.StartedAt
	if err := m.ledger.Reserve(s.ID, noteID, note.Name, SessionKPUs, "start a notebook session"); err != nil {
		m.mu.Unlock()
		return nil, err
	}
	s.meter.start(s.StartedAt, SessionKPUs)
	m.sessions[noteID] = s
	m.mu.Unlock()
	m.notify(noteID)

	k, err := kernel.Open(ctx, kernel.Config{
		NoteID:   noteID,
		Cluster:  m.cfg.Cluster,
		Store:    m.cfg.Store,
		Admitter: m,
		MaxRows:  m.cfg.MaxRows,
		Logger:   m.log,
		OnChange: func() { s.touch(); m.notify(noteID) },
	})
	if err != nil {
		s.startErr = err
		s.setState(StateFailed)
		m.release(s, SessionKPUs)
		m.mu.Lock()
		delete(m.sessions, noteID)
		m.mu.Unlock()
		close(s.ready)
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

// release gives KPUs back and meters the change.
func (m *Manager) release(s *Session, n int) {
	m.ledger.Release(s.ID, n)
	s.meter.change(time.Now(), -n)
}

// AdmitJob reserves the KPUs of a job about to start in a note's session;
// it implements kernel.Admitter.
func (m *Manager) AdmitJob(ctx context.Context, noteID, paragraphID string, parallelism int) (func(), error) {
	m.mu.Lock()
	s := m.sessions[noteID]
	m.mu.Unlock()
	if s == nil {
		return nil, eddy.Errorf(eddy.ECONFLICT, "note %s has no session", noteID)
	}
	n := JobKPUs(parallelism, m.cfg.ParallelismPerKPU)
	if err := m.ledger.Reserve(s.ID, noteID, s.noteName, n, "start a job of parallelism "+itoa(parallelism)); err != nil {
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

// Stop ends a session by id.
func (m *Manager) Stop(ctx context.Context, sessionID string) error {
	s, err := m.FindByID(sessionID)
	if err != nil {
		return err
	}
	return m.stop(ctx, s)
}

// stop cancels the session's runs and jobs, closes its gateway session,
// releases its KPUs and records its usage.
func (m *Manager) stop(ctx context.Context, s *Session) error {
	<-s.ready
	if !s.beginStop() {
		return nil
	}
	m.notify(s.NoteID)
	var err error
	if s.kernel != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		err = s.kernel.Close(cctx)
		cancel()
	}
	m.release(s, m.ledger.Held(s.ID))
	s.setState(StateStopped)
	s.mu.Lock()
	s.endedAt = time.Now()
	s.mu.Unlock()
	m.mu.Lock()
	if m.sessions[s.NoteID] == s {
		delete(m.sessions, s.NoteID)
	}
	m.mu.Unlock()
	m.saveUsage(s)
	m.notify(s.NoteID)
	return err
}

// FindByID returns a live session by id.
func (m *Manager) FindByID(id string) (*Session, error) {
	for _, s := range m.list() {
		if s.ID == id {
			return s, nil
		}
	}
	return nil, eddy.Errorf(eddy.ENOTFOUND, "session %s not found", id)
}

// FindByNote returns the note's live session, or nil.
func (m *Manager) FindByNote(noteID string) *Session {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sessions[noteID]
}

// List returns the live sessions, oldest first.
func (m *Manager) List() []*Session {
	out := m.list()
	sort.Slice(out, func(i, j int) bool { return out[i].StartedAt.Before(out[j].StartedAt) })
	return out
}

// RunParagraph starts a paragraph, starting the note's session if needed,
// and returns without waiting for it.
func (m *Manager) RunParagraph(ctx context.Context, noteID, paragraphID string) error {
	_, err := m.Run(ctx, noteID, paragraphID)
	return err
}

// Run starts a paragraph, starting the note's session if needed. The
// returned channel closes when the run has ended and its outcome is stored.
func (m *Manager) Run(ctx context.Context, noteID, paragraphID string) (<-chan struct{}, error) {
	s, err := m.Start(ctx, noteID)
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

// CancelParagraph stops a running paragraph; it is a no-op for one that
// is not running.
func (m *Manager) CancelParagraph(ctx context.Context, noteID, paragraphID string) error {
	s := m.FindByNote(noteID)
	k := s.started()
	if k == nil {
		return nil
	}
	s.touch()
	return k.Cancel(ctx, paragraphID)
}

// RunNote runs the note's paragraphs in order in the background (RunAll).
func (m *Manager) RunNote(ctx context.Context, noteID string) error {
	_, err := m.RunAll(ctx, noteID)
	return err
}

// RunAll runs the note's paragraphs in order in the background, as
// Zeppelin's run-all does: disabled and empty paragraphs are skipped, and
// the first paragraph that does not finish (error or cancel) stops it. The
// returned channel closes when run-all has ended.
func (m *Manager) RunAll(ctx context.Context, noteID string) (<-chan struct{}, error) {
	ps, err := m.cfg.Store.ListParagraphs(ctx, noteID)
	if err != nil {
		return nil, err
	}
	if _, err := m.Start(ctx, noteID); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(done)
		for _, p := range ps {
			if !Enabled(p) || isBlank(p.Text) {
				continue
			}
			ran, err := m.Run(m.ctx, noteID, p.ID)
			if err != nil {
				m.log.Warn("run-all stopped", "note", noteID, "paragraph", p.ID, "err", err)
				return
			}
			select {
			case <-ran:
			case <-m.ctx.Done():
				return
			}
			stored, err := m.cfg.Store.FindNoteByID(m.ctx, noteID)
			if err != nil {
				return
			}
			if q, _ := stored.Paragraph(p.ID); q == nil || q.Status != notebooks.StatusFinished {
				return
			}
		}
	}()
	return done, nil
}

// StopNote cancels every running paragraph of the note.
func (m *Manager) StopNote(ctx context.Context, noteID string) error {
	s := m.FindByNote(noteID)
	k := s.started()
	if k == nil {
		return nil
	}
	var first error
	for _, l := range k.LiveSince(nil) {
		if l.Status == notebooks.StatusRunning || l.Status == notebooks.StatusPending {
			if err := k.Cancel(ctx, l.ParagraphID); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// SessionState returns the note's session as the API shows it (Info), or
// nil when the note has no session.
func (m *Manager) SessionState(noteID string) any {
	s := m.FindByNote(noteID)
	if s == nil {
		return nil
	}
	info := s.Info()
	return &info
}

// Done returns a channel closed when the paragraph's current run ends, or
// nil when the note has no session or the paragraph no run.
func (m *Manager) Done(noteID, paragraphID string) <-chan struct{} {
	s := m.FindByNote(noteID)
	k := s.started()
	if k == nil {
		return nil
	}
	return k.Done(paragraphID)
}

// Live returns a paragraph's live state, if it ran in the note's session.
func (m *Manager) Live(noteID, paragraphID string) (kernel.ParagraphLive, bool) {
	s := m.FindByNote(noteID)
	k := s.started()
	if k == nil {
		return kernel.ParagraphLive{}, false
	}
	return k.Live(paragraphID)
}

// LiveSince returns the note's live state for a viewer that has seen the
// result sequences in seen (see kernel.Kernel.LiveSince).
func (m *Manager) LiveSince(noteID string, seen map[string]int64) []kernel.ParagraphLive {
	s := m.FindByNote(noteID)
	k := s.started()
	if k == nil {
		return nil
	}
	return k.LiveSince(seen)
}

// Enabled reports whether a paragraph may run: Zeppelin's config.enabled,
// true when absent.
func Enabled(p *notebooks.Paragraph) bool {
	v, ok := p.Config["enabled"].(bool)
	return !ok || v
}

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

func itoa(n int) string { return strconv.Itoa(n) }
