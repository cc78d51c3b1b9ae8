package kernel

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"sync"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/inspect"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// deltaHistory bounds the deltas kept per paragraph for viewers that are a
// little behind; a viewer further behind gets a snapshot.
const deltaHistory = 64

// ParagraphLive is a paragraph's live state as a viewer sees it.
type ParagraphLive struct {
	ParagraphID  string           `json:"paragraphId"`
	Status       notebooks.Status `json:"status"`
	Progress     int              `json:"progress"`
	DateStarted  time.Time        `json:"dateStarted,omitzero"`
	DateFinished time.Time        `json:"dateFinished,omitzero"`
	JobID        string           `json:"jobId,omitempty"`
	JobURL       string           `json:"jobUrl,omitempty"`
	ErrorMessage string           `json:"errorMessage,omitempty"`
	// ErrorCode and ErrorDetails say, of a run that failed, what failed as
	// Eddy's REST errors do: "capacity_exceeded" with a sessions.Refusal
	// when a job was refused for want of KPUs.
	ErrorCode    string `json:"errorCode,omitempty"`
	ErrorDetails any    `json:"errorDetails,omitempty"`
	// ErrorOffset is, of a run whose SQL statement failed, the byte offset
	// in the paragraph text where that statement starts: the line and column
	// of Flink's parse and validation errors count from there.
	ErrorOffset *int `json:"errorStatementOffset,omitempty"`
	// Producing says that the statement running now is a streaming query
	// or INSERT whose Flink job produces: its first rows arrived, or every
	// task of its job runs. Run-all goes on past such a paragraph.
	Producing bool                      `json:"producing,omitempty"`
	Notice    *Notice                   `json:"notice,omitempty"`
	Messages  []notebooks.ResultMessage `json:"messages"` // finished statements' output, in order
	Result    *LiveResult               `json:"result,omitempty"`
	// Restored is the savepoint or checkpoint the run's job started from,
	// once Flink reports the restore.
	Restored *Restore `json:"restored,omitempty"`
	// Inspection is the latest look at the run's Flink job (see
	// inspect.Inspection), kept after the job ends.
	Inspection *inspect.Inspection `json:"inspection,omitempty"`
	// StatusHash fingerprints every field above but Result (StatusHash of
	// this value), computed once per change of the run rather than once per
	// viewer; 0 when not computed.
	StatusHash uint64 `json:"-"`
}

// StatusHash fingerprints a paragraph's live state without its result: two
// states with the same hash show the same status, notice, messages and
// inspection, so a viewer that has one need not be sent the other.
func StatusHash(pl ParagraphLive) uint64 {
	pl.Result, pl.StatusHash = nil, 0
	b, _ := json.Marshal(pl)
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64()
}

// Notice levels.
const (
	NoticeError = "error" // something outside the paragraph keeps it from working
	NoticeInfo  = "info"
)

// Notice is what Eddy tells of a running paragraph beside its output: why
// its job is stalled, or that what stalled it is over. It is not stored
// with the note.
type Notice struct {
	Level string `json:"level"`
	Text  string `json:"text"`
}

// LiveResult is the live table of the running (or last) query: a snapshot
// or the deltas after the version the viewer has.
type LiveResult struct {
	Seq      int64   `json:"seq"` // what the viewer has after applying this
	Snapshot *Table  `json:"snapshot,omitempty"`
	Deltas   []Delta `json:"deltas,omitempty"`
	Rendered string  `json:"rendered,omitempty"` // type=single: the template filled in
}

// run is one execution of a paragraph. Its goroutine writes the state; any
// number of viewers read it.
type run struct {
	k           *Kernel
	paragraphID string
	ctx         context.Context
	cancel      context.CancelFunc
	done        chan struct{}

	mu         sync.Mutex // guards every field below
	aborted    bool
	status     notebooks.Status
	started    time.Time
	finished   time.Time
	jobID      string
	errMsg     string
	errCode    string // of a failed run, eddy.ErrorCode of its error
	errDetails any    // eddy.ErrorDetails of it
	errOffset  *int   // of a failed run, where its failing statement starts in the text
	messages   []notebooks.ResultMessage
	mat        *Materializer // the current or last query's table
	single     bool
	epoch      int64   // grows with every new table of the kernel
	deltas     []Delta // the newest deltas of mat, oldest first
	jobs       map[string]*Job
	notice     *Notice
	restored   *Restore
	producing  bool // see ParagraphLive.Producing
	inspection *inspect.Inspection
	gen        uint64 // grows with every update
	hashGen    uint64 // the gen statusHash was computed at, +1 (0: never)
	statusHash uint64 // StatusHash of the state at hashGen
}

func newRun(k *Kernel, paragraphID string) *run {
	r := &run{k: k, paragraphID: paragraphID, done: make(chan struct{}),
		status: notebooks.StatusPending, jobs: map[string]*Job{}}
	r.ctx, r.cancel = context.WithCancel(k.ctx)
	return r
}

func (r *run) ended() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// abort marks the run cancelled by the user and stops it.
func (r *run) abort() {
	r.mu.Lock()
	r.aborted = true
	r.mu.Unlock()
	r.cancel()
}

func (r *run) wasAborted() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.aborted
}

// update changes the state under the lock and tells viewers.
func (r *run) update(f func()) {
	r.mu.Lock()
	f()
	r.gen++
	r.mu.Unlock()
	r.k.cfg.OnChange()
}

// setTable makes m the live table of the run.
func (r *run) setTable(m *Materializer, single bool) {
	r.update(func() {
		if r.mat != nil {
			r.messages = append(r.messages, r.renderTable())
		}
		r.mat, r.single, r.deltas = m, single, nil
		r.epoch = r.k.epochs.Add(1)
	})
}

// publish records what changed in the live table since the last publish.
// It reports whether anything did.
func (r *run) publish() bool {
	r.mu.Lock()
	m := r.mat
	r.mu.Unlock()
	if m == nil {
		return false
	}
	d := m.Delta()
	if d.Empty() {
		return false
	}
	r.update(func() {
		r.deltas = append(r.deltas, d)
		if len(r.deltas) > deltaHistory {
			r.deltas = append(r.deltas[:0:0], r.deltas[len(r.deltas)-deltaHistory:]...)
		}
	})
	return true
}

// since returns the live state for a viewer that has seen result sequence
// seen (-1: nothing). A sequence is epoch<<32 | table version, where the
// epoch grows with every new table, so sequences of one paragraph increase
// across statements and runs.
func (r *run) since(seen int64) ParagraphLive {
	r.mu.Lock()
	defer r.mu.Unlock()
	pl := ParagraphLive{
		ParagraphID:  r.paragraphID,
		Status:       r.status,
		DateStarted:  r.started,
		DateFinished: r.finished,
		JobID:        r.jobID,
		ErrorMessage: r.errMsg,
		ErrorCode:    r.errCode,
		ErrorDetails: r.errDetails,
		ErrorOffset:  r.errOffset,
		Producing:    r.producing,
		Notice:       r.notice,
		Restored:     r.restored,
		Inspection:   r.inspection,
		Messages:     append([]notebooks.ResultMessage(nil), r.messages...),
	}
	if r.jobID != "" {
		pl.JobURL = r.k.jm.JobURL(r.jobID)
	}
	if r.status == notebooks.StatusFinished {
		pl.Progress = 100
	}
	if r.hashGen != r.gen+1 {
		r.statusHash, r.hashGen = StatusHash(pl), r.gen+1
	}
	pl.StatusHash = r.statusHash
	if r.mat == nil {
		return pl
	}
	res := &LiveResult{}
	if r.single {
		res.Rendered = r.mat.Render()
	}
	pl.Result = res
	epoch := r.epoch << 32
	// Deltas cover table versions (deltas[0].FromVersion, last.Version]. A
	// viewer of this table at a version from FromVersion on gets the deltas
	// after it (possibly none); applying a delta to any version inside its
	// range is safe (see Delta). Anyone else gets a snapshot.
	if seen >= epoch && seen>>32 == r.epoch {
		v := seen & (1<<32 - 1)
		if n := len(r.deltas); n > 0 && v >= r.deltas[0].FromVersion || n == 0 && v == tableVersion(r.mat) {
			res.Seq = seen
			for _, d := range r.deltas {
				if d.Version > v {
					res.Deltas = append(res.Deltas, d)
					res.Seq = epoch | d.Version
				}
			}
			return pl
		}
	}
	snap := r.mat.Snapshot()
	res.Seq = epoch | snap.Version
	res.Snapshot = &snap
	return pl
}

// setNotice sets the run's notice unless it says that already.
func (r *run) setNotice(n Notice) {
	r.mu.Lock()
	same := r.notice != nil && *r.notice == n
	r.mu.Unlock()
	if !same {
		r.update(func() { r.notice = &n })
	}
}

// replaceNotice sets the run's notice if its current one has the given level.
func (r *run) replaceNotice(level string, n Notice) {
	r.mu.Lock()
	has := r.notice != nil && r.notice.Level == level
	r.mu.Unlock()
	if has {
		r.update(func() { r.notice = &n })
	}
}

// setProducing records whether the running statement's job produces (see
// ParagraphLive.Producing), telling viewers only of a change.
func (r *run) setProducing(on bool) {
	r.mu.Lock()
	same := r.producing == on
	r.mu.Unlock()
	if !same {
		r.update(func() { r.producing = on })
	}
}

func (r *run) isProducing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.producing
}

// currentJob returns the id of the job the run follows now, or "".
func (r *run) currentJob() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.jobs[r.jobID]; ok {
		return r.jobID
	}
	return ""
}

func (r *run) liveJobs() []Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Job
	for _, j := range r.jobs {
		out = append(out, *j)
	}
	return out
}

func (r *run) addJob(j Job) {
	r.update(func() {
		r.jobs[j.JobID] = &j
		r.jobID = j.JobID
	})
}

func (r *run) endJob(jobID string) {
	r.update(func() { delete(r.jobs, jobID) })
}

// tableVersion returns m's current version without copying its rows.
func tableVersion(m *Materializer) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.version
}

func (r *run) setJobStatus(jobID, status string) {
	r.update(func() {
		if j := r.jobs[jobID]; j != nil {
			j.Status = status
		}
	})
}

// renderTable renders the live table as Zeppelin stores a result: TABLE
// text, or HTML for type=single. The caller holds r.mu.
func (r *run) renderTable() notebooks.ResultMessage {
	if r.single {
		return notebooks.ResultMessage{Type: notebooks.MessageHTML, Data: r.mat.Render()}
	}
	return r.mat.Snapshot().Message()
}

// resultMessages are the results to store: the finished statements'
// output with the live table where it stands.
func (r *run) resultMessages() []notebooks.ResultMessage {
	r.mu.Lock()
	defer r.mu.Unlock()
	msgs := append([]notebooks.ResultMessage(nil), r.messages...)
	if r.mat != nil {
		msgs = append(msgs, r.renderTable())
	}
	return msgs
}
