package kernel

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/pyworker"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// Store is what a kernel needs of the notebook store.
type Store interface {
	FindNoteByID(ctx context.Context, id string) (*notebooks.Note, error)
	UpdateParagraphRun(ctx context.Context, noteID, paragraphID string, run notebooks.RunUpdate) (*notebooks.Paragraph, error)
}

// Admitter reserves capacity for a job before it is submitted. The returned
// release gives it back; it is called exactly once, when the job has ended.
type Admitter interface {
	AdmitJob(ctx context.Context, noteID, paragraphID string, parallelism int) (release func(), err error)
}

// PackageFetcher returns the local path of a jar given by Maven
// coordinates, downloading it if needed (maven.Resolver implements it).
type PackageFetcher interface {
	Fetch(ctx context.Context, coords string) (path string, err error)
}

// Config is what a Kernel needs.
type Config struct {
	NoteID   string
	Cluster  *Cluster
	Store    Store
	Admitter Admitter // nil admits every job
	// Packages fetches the jars %flink.conf's flink.execution.packages
	// names (Maven coordinates); nil refuses that key.
	Packages PackageFetcher
	MaxRows  int // rows kept per result; default DefaultMaxRows
	Logger   *slog.Logger
	// OnChange is called whenever live state changes. It must not block.
	OnChange func()
	// ChangelogRows is how many changelog rows each result keeps for its
	// raw changelog view; default DefaultChangelogRows.
	ChangelogRows int
	// PlansDir is where streaming INSERT jobs' compiled plans are written
	// (see planHeader), one directory per note; empty runs them uncompiled.
	PlansDir string
}

// heartbeatInterval keeps the gateway session alive while the note is open;
// the gateway's idle timeout is 10 minutes by default.
const heartbeatInterval = time.Minute

// Kernel is one note's kernel: one SQL Gateway session (so SET, CREATE and
// USE carry across the note's paragraphs, and notes stay isolated) and the
// runs of its paragraphs. It is safe for concurrent use.
type Kernel struct {
	cfg    Config
	log    *slog.Logger
	gw     *flink.Gateway
	jm     *flink.JobManager
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // run and heartbeat goroutines
	epochs atomic.Int64   // numbers the tables of live results

	mu      sync.Mutex      // guards the fields below
	runs    map[string]*run // latest run of each paragraph, by paragraph id
	closed  bool
	handle  string   // gateway session handle
	history []string // statements that shaped the gateway session, replayed if the gateway loses it
	// kafkaJobs says, of the jobs asked about, whether they have Kafka
	// clients (jobUsesKafka).
	kafkaJobs map[string]bool
	// py is the note's Python worker, nil until its first Python
	// paragraph; pyStart serialises starting one.
	py      *pyworker.Worker
	pyStart sync.Mutex
	// followers are the INSERT jobs paragraphs follow now, by job id: what
	// HandOff can take.
	followers map[string]*follower
}

// maxHistory bounds the statements kept for replay; past it the oldest
// are dropped (and a replay may then miss them).
const maxHistory = 1000

// Open opens the note's gateway session and starts its heartbeat.
func Open(ctx context.Context, cfg Config) (*Kernel, error) {
	cfg.setDefaults()
	gw, jm := cfg.Cluster.Gateway, cfg.Cluster.JobManager
	handle, err := gw.OpenSession(ctx, "eddy:"+cfg.NoteID, nil)
	if err != nil {
		// A gateway not yet listening while the cluster starts is said in
		// words, not as its connection error.
		if notReady := cfg.Cluster.NotReady(); notReady != nil {
			return nil, notReady
		}
		return nil, eddy.Wrap(eddy.EUNAVAILABLE, err, "cannot open a Flink SQL Gateway session")
	}
	k := &Kernel{cfg: cfg, log: cfg.Logger.With("note", cfg.NoteID), gw: gw, jm: jm, handle: handle,
		runs: map[string]*run{}, kafkaJobs: map[string]bool{}, followers: map[string]*follower{}}
	k.ctx, k.cancel = context.WithCancel(context.Background())
	k.wg.Add(1)
	go k.heartbeat()
	if cfg.Cluster.Kafka != "" {
		k.wg.Add(1)
		go k.followKafka()
	}
	return k, nil
}

func (cfg *Config) setDefaults() {
	if cfg.MaxRows <= 0 {
		cfg.MaxRows = DefaultMaxRows
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.OnChange == nil {
		cfg.OnChange = func() {}
	}
}

// RunWithoutSession runs a paragraph that needs no Flink (NeedsFlink is
// false: Markdown, or an interpreter Eddy refuses) to its end and stores
// its outcome as a kernel run does, without a gateway session, so a note
// of Markdown holds no session and no KPUs. cfg.Cluster is not used.
func RunWithoutSession(ctx context.Context, cfg Config, paragraphID string) error {
	cfg.setDefaults()
	note, err := cfg.Store.FindNoteByID(ctx, cfg.NoteID)
	if err != nil {
		return err
	}
	p, _ := note.Paragraph(paragraphID)
	if p == nil {
		return eddy.Errorf(eddy.ENOTFOUND, "paragraph %s not found in note %s", paragraphID, cfg.NoteID)
	}
	if NeedsFlink(p.Text, note.DefaultInterpreterGroup) {
		return eddy.Errorf(eddy.EINTERNAL, "paragraph %s needs a Flink session", paragraphID)
	}
	k := &Kernel{cfg: cfg, log: cfg.Logger.With("note", cfg.NoteID), runs: map[string]*run{}, kafkaJobs: map[string]bool{},
		followers: map[string]*follower{}}
	k.ctx, k.cancel = context.WithCancel(context.Background())
	defer k.cancel()
	k.execute(newRun(k, paragraphID), note, p, "")
	return nil
}

// gatewaySession returns the gateway session handle.
func (k *Kernel) gatewaySession() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.handle
}

// remember records a statement that changed the gateway session (SET, DDL,
// USE, ADD JAR, ...) for replay into a new gateway session.
func (k *Kernel) remember(stmt string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.history = append(k.history, stmt)
	if len(k.history) > maxHistory {
		k.history = k.history[len(k.history)-maxHistory:]
	}
}

// executeStatement submits a statement in the note's gateway session (see
// inSession) and returns the session and operation handles.
func (k *Kernel) executeStatement(ctx context.Context, stmt string, cfg map[string]string) (handle, op string, err error) {
	handle, err = k.inSession(ctx, func(handle string) (err error) {
		op, err = k.gw.ExecuteStatement(ctx, handle, stmt, cfg)
		return err
	})
	return handle, op, err
}

// inSession calls f with the note's gateway session handle. If the gateway
// no longer knows the session (it restarted, or expired it), it opens a new
// one, replays the statements that shaped the old one and calls f again,
// once. It returns the handle f was last called with.
func (k *Kernel) inSession(ctx context.Context, f func(handle string) error) (string, error) {
	handle := k.gatewaySession()
	err := f(handle)
	if !flink.IsSessionNotFound(err) {
		return handle, err
	}
	if handle, err = k.reopen(ctx, handle); err != nil {
		return "", err
	}
	return handle, f(handle)
}

// reopen replaces a lost gateway session (unless another caller did
// already) and replays the history into it. A closed kernel opens nothing.
func (k *Kernel) reopen(ctx context.Context, lost string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return "", eddy.Errorf(eddy.ECONFLICT, "the session of note %s is stopping", k.cfg.NoteID)
	}
	if k.handle != lost {
		return k.handle, nil
	}
	handle, err := k.gw.OpenSession(ctx, "eddy:"+k.cfg.NoteID, nil)
	if err != nil {
		return "", eddy.Wrap(eddy.EUNAVAILABLE, err, "the Flink SQL Gateway lost this note's session and a new one cannot be opened")
	}
	k.log.Warn("gateway session lost; replaying into a new one", "old", lost, "new", handle, "statements", len(k.history))
	for _, stmt := range k.history {
		op, err := k.gw.ExecuteStatement(ctx, handle, stmt, nil)
		if err == nil {
			err = k.finish(ctx, handle, op)
		}
		if err != nil {
			k.log.Warn("replay of a statement failed", "statement", stmt, "err", err)
		}
	}
	k.handle = handle
	return handle, nil
}

// finish waits for a statement that shapes the session (SET, CREATE…) to
// end, dropping its result, and frees its operation; an error is the
// statement's.
func (k *Kernel) finish(ctx context.Context, handle, op string) error {
	_, err := k.gw.NewFetcher(handle, op).All(ctx, 1)
	_ = k.gw.CloseOperation(context.WithoutCancel(ctx), handle, op)
	return err
}

func (k *Kernel) heartbeat() {
	defer k.wg.Done()
	t := time.NewTicker(heartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-k.ctx.Done():
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(k.ctx, 10*time.Second)
			if err := k.gw.Heartbeat(ctx, k.gatewaySession()); err != nil && k.ctx.Err() == nil {
				k.log.Warn("gateway heartbeat failed", "err", err)
			}
			cancel()
		}
	}
}

// Close cancels every run (stopping their jobs), waits for them and closes
// the gateway session.
func (k *Kernel) Close(ctx context.Context) error {
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil
	}
	k.closed = true
	for _, r := range k.runs {
		r.abort() // the paragraphs end as ABORT: their kernel is closing
	}
	k.mu.Unlock()
	k.cancel()
	done := make(chan struct{})
	go func() { k.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return ctx.Err()
	}
	// The worker ends with its session, and its client JVM with it.
	k.mu.Lock()
	py := k.py
	k.mu.Unlock()
	if py != nil {
		py.Close()
	}
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return k.gw.CloseSession(closeCtx, k.gatewaySession())
}

// Run starts running a paragraph of the note in the background with the
// text, params and config stored for it. It refuses a paragraph that is
// already running. The returned channel is closed when the run has ended
// and its outcome is stored.
func (k *Kernel) Run(ctx context.Context, paragraphID string) (<-chan struct{}, error) {
	return k.start(ctx, paragraphID, "")
}

// RunFrom runs a paragraph as Run does, its jobs starting from the
// savepoint or checkpoint at path whatever the paragraph's properties say.
func (k *Kernel) RunFrom(ctx context.Context, paragraphID, path string) (<-chan struct{}, error) {
	if path == "" {
		return nil, eddy.Errorf(eddy.EINVALID, "no savepoint to run paragraph %s from", paragraphID)
	}
	return k.start(ctx, paragraphID, path)
}

// start starts a run of the paragraph; from, when set, is where its jobs
// start from.
func (k *Kernel) start(ctx context.Context, paragraphID, from string) (<-chan struct{}, error) {
	note, err := k.cfg.Store.FindNoteByID(ctx, k.cfg.NoteID)
	if err != nil {
		return nil, err
	}
	p, _ := note.Paragraph(paragraphID)
	if p == nil {
		return nil, eddy.Errorf(eddy.ENOTFOUND, "paragraph %s not found in note %s", paragraphID, k.cfg.NoteID)
	}
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		return nil, eddy.Errorf(eddy.ECONFLICT, "the session of note %s is stopping", k.cfg.NoteID)
	}
	if old := k.runs[paragraphID]; old != nil && !old.ended() {
		k.mu.Unlock()
		return nil, eddy.Errorf(eddy.ECONFLICT, "paragraph %s is already running", paragraphID)
	}
	r := newRun(k, paragraphID)
	k.runs[paragraphID] = r
	k.wg.Add(1)
	k.mu.Unlock()

	go func() {
		defer k.wg.Done()
		k.execute(r, note, p, from)
		close(r.done)
		k.cfg.OnChange() // viewers see the kernel idle again
	}()
	return r.done, nil
}

// Cancel stops a running paragraph: a streaming SELECT's operation is
// closed, an INSERT job is cancelled, or stopped with a savepoint when the
// paragraph sets savepointDir. It returns once the run has ended.
func (k *Kernel) Cancel(ctx context.Context, paragraphID string) error {
	k.mu.Lock()
	r := k.runs[paragraphID]
	k.mu.Unlock()
	if r == nil || r.ended() {
		return nil
	}
	r.abort()
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Running reports whether any paragraph of the note is running.
func (k *Kernel) Running() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, r := range k.runs {
		if !r.ended() {
			return true
		}
	}
	return false
}

// Forget drops a paragraph's live state, as when its output is cleared:
// viewers then show what is stored for it. A paragraph whose run has not
// ended is refused with an eddy.ECONFLICT error and keeps its state; one
// without live state is not an error.
func (k *Kernel) Forget(paragraphID string) error {
	k.mu.Lock()
	r := k.runs[paragraphID]
	if r != nil && !r.ended() {
		k.mu.Unlock()
		return eddy.Errorf(eddy.ECONFLICT, "paragraph %s is running; stop it before clearing its output", paragraphID)
	}
	delete(k.runs, paragraphID)
	k.mu.Unlock()
	if r != nil {
		k.cfg.OnChange() // viewers drop the live state
	}
	return nil
}

// Live returns a paragraph's live state, if it has run in this kernel.
func (k *Kernel) Live(paragraphID string) (ParagraphLive, bool) {
	k.mu.Lock()
	r := k.runs[paragraphID]
	k.mu.Unlock()
	if r == nil {
		return ParagraphLive{}, false
	}
	return r.since(-1), true
}

// LiveSince returns the live state of every paragraph that ran in this
// kernel, each with what a viewer that has seen result version seen[id]
// needs: the deltas after it, or a snapshot when those are gone.
func (k *Kernel) LiveSince(seen map[string]int64) []ParagraphLive {
	k.mu.Lock()
	runs := make([]*run, 0, len(k.runs))
	for _, r := range k.runs {
		runs = append(runs, r)
	}
	k.mu.Unlock()
	out := make([]ParagraphLive, 0, len(runs))
	for _, r := range runs {
		v, ok := seen[r.paragraphID]
		if !ok {
			v = -1
		}
		out = append(out, r.since(v))
	}
	return out
}

// Jobs returns the Flink jobs the note's paragraphs are running.
func (k *Kernel) Jobs() []Job {
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []Job
	for _, r := range k.runs {
		out = append(out, r.liveJobs()...)
	}
	return out
}

// Job is a Flink job run by a paragraph.
type Job struct {
	JobID       string `json:"jobId"`
	ParagraphID string `json:"paragraphId"`
	Status      string `json:"status"`
	Parallelism int    `json:"parallelism"`
	URL         string `json:"url"`
	// PlanPath is the compiled plan file the job runs (see
	// Config.PlansDir), empty when it runs uncompiled.
	PlanPath string `json:"planPath,omitempty"`
}

// sessionParallelism is the parallelism jobs get when the paragraph sets
// none: the gateway session's parallelism.default, else 1.
func (k *Kernel) sessionParallelism(ctx context.Context) int {
	conf, err := k.gw.SessionConfig(ctx, k.gatewaySession())
	if err != nil {
		return 1
	}
	if n, err := strconv.Atoi(conf["parallelism.default"]); err == nil && n > 0 {
		return n
	}
	return 1
}

// persist stores a run update, logging (not failing) when the store refuses:
// the note or paragraph may have been deleted while it ran.
func (k *Kernel) persist(paragraphID string, upd notebooks.RunUpdate) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := k.cfg.Store.UpdateParagraphRun(ctx, k.cfg.NoteID, paragraphID, upd); err != nil {
		k.log.Warn("cannot store paragraph run state", "paragraph", paragraphID, "err", err)
	}
}

func ptr[T any](v T) *T { return &v }

// jobName is the pipeline.name of a paragraph's jobs when it sets none, so
// Eddy's jobs can be recognised on the cluster.
func jobName(noteID, paragraphID string) string {
	return fmt.Sprintf("eddy:%s:%s", noteID, paragraphID)
}
