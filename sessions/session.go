package sessions

import (
	"context"
	"sync"
	"time"
)

// Session is one note's notebook session.
type Session struct {
	ID        string
	NoteID    string
	StartedAt time.Time

	noteName string
	m        *Manager
	kernel   Kernel        // nil until started
	ready    chan struct{} // closed once started or failed
	stopped  chan struct{} // closed once stopped (or failed to start)
	startErr error         // set before ready closes when start failed
	meter    meter

	mu           sync.Mutex // guards the fields below
	state        string
	lastActivity time.Time
	endedAt      time.Time
}

func newSession(m *Manager, noteID, noteName string) *Session {
	now := time.Now()
	return &Session{ID: newID(), NoteID: noteID, noteName: noteName, m: m, StartedAt: now,
		ready: make(chan struct{}), stopped: make(chan struct{}), state: StateStarting, lastActivity: now}
}

// started returns the session's kernel once the session has started, else
// nil (also for a nil session). The kernel is written before ready closes,
// so reading it after seeing ready closed is safe from any goroutine.
func (s *Session) started() Kernel {
	if s == nil {
		return nil
	}
	select {
	case <-s.ready:
		return s.kernel
	default:
		return nil
	}
}

func (s *Session) markEnded() {
	s.mu.Lock()
	s.endedAt = time.Now()
	s.mu.Unlock()
}

func (s *Session) setState(st string) {
	s.mu.Lock()
	s.state = st
	s.mu.Unlock()
}

// beginStop moves the session to stopping; false if it already was.
func (s *Session) beginStop() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state == StateStopping || s.state == StateStopped {
		return false
	}
	s.state = StateStopping
	return true
}

func (s *Session) touch() {
	s.mu.Lock()
	s.lastActivity = time.Now()
	s.mu.Unlock()
}

// idleFor is how long the session has done nothing; 0 while a paragraph runs.
func (s *Session) idleFor() time.Duration {
	if k := s.started(); k == nil || k.Running() {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != StateIdle {
		return 0
	}
	return time.Since(s.lastActivity)
}

// State returns the session's state: busy while a paragraph runs.
func (s *Session) State() string {
	s.mu.Lock()
	st := s.state
	s.mu.Unlock()
	if k := s.started(); st == StateIdle && k != nil && k.Running() {
		return StateBusy
	}
	return st
}

// Info is a session as the API shows it.
type Info struct {
	ID            string    `json:"id"`
	NoteID        string    `json:"noteId"`
	NoteName      string    `json:"noteName"`
	State         string    `json:"state"`
	KPUs          int       `json:"kpus"`
	StartedAt     time.Time `json:"startedAt"`
	LastActivity  time.Time `json:"lastActivity"`
	Jobs          []JobInfo `json:"jobs"`
	KPUHours      float64   `json:"kpuHours"`
	EstimatedCost float64   `json:"estimatedCost"`
}

// JobInfo is a running job of a session.
type JobInfo struct {
	JobID       string `json:"jobId"`
	ParagraphID string `json:"paragraphId"`
	Status      string `json:"status"`
	Parallelism int    `json:"parallelism"`
	KPUs        int    `json:"kpus"`
	URL         string `json:"url"`
}

// Info returns the session's current state for the API.
func (s *Session) Info() Info {
	s.mu.Lock()
	last := s.lastActivity
	s.mu.Unlock()
	info := Info{
		ID: s.ID, NoteID: s.NoteID, NoteName: s.noteName, State: s.State(),
		KPUs: s.m.ledger.Held(s.ID), StartedAt: s.StartedAt, LastActivity: last,
		Jobs: []JobInfo{},
	}
	if k := s.started(); k != nil {
		for _, j := range k.Jobs() {
			info.Jobs = append(info.Jobs, JobInfo{JobID: j.JobID, ParagraphID: j.ParagraphID, Status: j.Status,
				Parallelism: j.Parallelism, KPUs: JobKPUs(j.Parallelism, s.m.cfg.ParallelismPerKPU), URL: j.URL})
		}
	}
	info.KPUHours = s.meter.kpuSeconds(time.Now()) / 3600
	info.EstimatedCost = Cost(info.KPUHours, s.m.cfg.PricePerHour)
	return info
}

// Cost is the estimated cost of kpuHours at pricePerHour, rounded to cents'
// hundredths so small sessions still show something.
func Cost(kpuHours, pricePerHour float64) float64 {
	return float64(int64(kpuHours*pricePerHour*10000+0.5)) / 10000
}

// meter integrates KPUs held over time into KPU-seconds.
type meter struct {
	mu      sync.Mutex
	seconds float64   // KPU-seconds up to since
	since   time.Time // last change
	kpus    int       // held since then
}

func (mt *meter) start(at time.Time, kpus int) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	mt.since, mt.kpus = at, kpus
}

// change records that the KPUs held changed by delta at t.
func (mt *meter) change(t time.Time, delta int) {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	mt.seconds += float64(mt.kpus) * t.Sub(mt.since).Seconds()
	mt.since = t
	mt.kpus = max(mt.kpus+delta, 0)
}

// kpuSeconds returns the KPU-seconds accumulated up to t.
func (mt *meter) kpuSeconds(t time.Time) float64 {
	mt.mu.Lock()
	defer mt.mu.Unlock()
	if mt.since.IsZero() {
		return mt.seconds
	}
	return mt.seconds + float64(mt.kpus)*t.Sub(mt.since).Seconds()
}

// Usage is the metered use of one session.
type Usage struct {
	SessionID  string
	NoteID     string
	StartedAt  time.Time
	EndedAt    time.Time // zero while the session lives
	KPUSeconds float64
}

// UsageStore keeps metered usage across restarts.
type UsageStore interface {
	// SaveUsage inserts or replaces the usage of u.SessionID.
	SaveUsage(ctx context.Context, u Usage) error
	// ListUsage returns every session's usage ever recorded.
	ListUsage(ctx context.Context) ([]Usage, error)
}

func (m *Manager) saveUsage(s *Session) {
	if m.cfg.Usage == nil {
		return
	}
	s.mu.Lock()
	ended := s.endedAt
	s.mu.Unlock()
	u := Usage{SessionID: s.ID, NoteID: s.NoteID, StartedAt: s.StartedAt, EndedAt: ended, KPUSeconds: s.meter.kpuSeconds(time.Now())}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.cfg.Usage.SaveUsage(ctx, u); err != nil {
		m.log.Warn("cannot record session usage", "session", s.ID, "err", err)
	}
}

// UsageReport is metered use per note and in total, past and present.
type UsageReport struct {
	PricePerKPUHour float64            `json:"pricePerKpuHour"`
	TotalKPUHours   float64            `json:"totalKpuHours"`
	TotalCost       float64            `json:"totalEstimatedCost"`
	Notes           map[string]float64 `json:"notes"` // note id -> KPU-hours
}

// Usage sums recorded and live usage.
func (m *Manager) Usage(ctx context.Context) (UsageReport, error) {
	r := UsageReport{PricePerKPUHour: m.cfg.PricePerHour, Notes: map[string]float64{}}
	secs := map[string]float64{} // by session, so live values replace recorded ones
	notes := map[string]string{}
	if m.cfg.Usage != nil {
		all, err := m.cfg.Usage.ListUsage(ctx)
		if err != nil {
			return r, err
		}
		for _, u := range all {
			secs[u.SessionID], notes[u.SessionID] = u.KPUSeconds, u.NoteID
		}
	}
	now := time.Now()
	for _, s := range m.list() {
		secs[s.ID], notes[s.ID] = s.meter.kpuSeconds(now), s.NoteID
	}
	for id, sec := range secs {
		h := sec / 3600
		r.Notes[notes[id]] += h
		r.TotalKPUHours += h
	}
	r.TotalCost = Cost(r.TotalKPUHours, m.cfg.PricePerHour)
	return r, nil
}
