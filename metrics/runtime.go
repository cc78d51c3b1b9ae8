package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/sessions"
)

// Sessions is what the runtime collector reads of the notebook sessions;
// sessions.Manager implements it. It must not block on I/O.
type Sessions interface {
	// List returns the live sessions.
	List() []sessions.Info
	// Capacity returns the KPU capacity and what is in use.
	Capacity() sessions.Capacity
	// LiveSince returns the live state of the note's paragraphs for a
	// viewer that has seen the result sequences in seen.
	LiveSince(noteID string, seen map[string]int64) []kernel.ParagraphLive
}

var _ Sessions = (*sessions.Manager)(nil)

// sessionStates are reported even when no session is in them, so a
// dashboard's series exist from the start.
var sessionStates = []string{sessions.StateStarting, sessions.StateIdle, sessions.StateBusy, sessions.StateStopping, sessions.StateStopped, sessions.StateFailed}

// Runtime is a prometheus.Collector of Eddy's state at scrape time:
// sessions by state, KPUs in use and capacity (sessions' and
// applications', from the one ledger), the sessions' Flink jobs by state
// and the paragraphs with live state by status.
type Runtime struct {
	src Sessions

	sessions, jobs, live *prometheus.Desc
	kpusInUse, kpus      *prometheus.Desc

	mu sync.Mutex // guards seen; serialises scrapes
	// seen remembers, per note and paragraph, the result sequence the last
	// scrape saw, so the next one asks LiveSince for what is new (usually
	// nothing) instead of a snapshot of every result.
	seen map[string]map[string]int64
}

var _ prometheus.Collector = (*Runtime)(nil)

// NewRuntime returns a collector reading src.
func NewRuntime(src Sessions) *Runtime {
	return &Runtime{
		src:       src,
		sessions:  prometheus.NewDesc("eddy_sessions", "Notebook sessions, by state.", []string{"state"}, nil),
		jobs:      prometheus.NewDesc("eddy_jobs", "Flink jobs run by notebook sessions' paragraphs, by the job's state.", []string{"state"}, nil),
		live:      prometheus.NewDesc("eddy_live_paragraphs", "Paragraphs with live state in this process (running or ended in a live session), by status.", []string{"status"}, nil),
		kpusInUse: prometheus.NewDesc("eddy_kpus_in_use", "KPUs held by sessions, their jobs and applications.", nil, nil),
		kpus:      prometheus.NewDesc("eddy_kpus_capacity", "KPUs the cluster offers.", nil, nil),
		seen:      map[string]map[string]int64{},
	}
}

// Describe sends the descriptions of the series Collect sends.
func (r *Runtime) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{r.sessions, r.jobs, r.live, r.kpusInUse, r.kpus} {
		ch <- d
	}
}

// Collect reads the sessions and sends the series.
func (r *Runtime) Collect(ch chan<- prometheus.Metric) {
	c := r.src.Capacity()
	ch <- prometheus.MustNewConstMetric(r.kpusInUse, prometheus.GaugeValue, float64(c.InUse))
	ch <- prometheus.MustNewConstMetric(r.kpus, prometheus.GaugeValue, float64(c.KPUs))

	infos := r.src.List()
	byState := make(map[string]int, len(sessionStates))
	for _, st := range sessionStates {
		byState[st] = 0
	}
	jobs := map[string]int{}
	for _, in := range infos {
		byState[in.State]++
		for _, j := range in.Jobs {
			jobs[j.Status]++
		}
	}
	for st, n := range byState {
		ch <- prometheus.MustNewConstMetric(r.sessions, prometheus.GaugeValue, float64(n), st)
	}
	for st, n := range jobs {
		ch <- prometheus.MustNewConstMetric(r.jobs, prometheus.GaugeValue, float64(n), st)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	live := map[string]int{}
	notes := make(map[string]bool, len(infos))
	for _, in := range infos {
		notes[in.NoteID] = true
		seen := r.seen[in.NoteID]
		if seen == nil {
			seen = map[string]int64{}
		}
		next := map[string]int64{}
		for _, pl := range r.src.LiveSince(in.NoteID, seen) {
			live[string(pl.Status)]++
			if pl.Result != nil {
				next[pl.ParagraphID] = pl.Result.Seq
			}
		}
		r.seen[in.NoteID] = next
	}
	for id := range r.seen {
		if !notes[id] {
			delete(r.seen, id) // the note's session has ended
		}
	}
	for st, n := range live {
		ch <- prometheus.MustNewConstMetric(r.live, prometheus.GaugeValue, float64(n), st)
	}
}
