package applications

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// Quotas bound what applications may hold. Defaults are Studio's.
type Quotas struct {
	Applications            int `json:"applications"`
	KPUsPerApplication      int `json:"kpusPerApplication"`
	TagsPerApplication      int `json:"tagsPerApplication"`
	SnapshotsPerApplication int `json:"snapshotsPerApplication"`
}

// DefaultQuotas are Amazon Managed Service for Apache Flink's.
var DefaultQuotas = Quotas{Applications: 100, KPUsPerApplication: 64, TagsPerApplication: 50, SnapshotsPerApplication: 1000}

// OrchestrationKPUs is what every running application holds besides its
// job's KPUs, as in Studio.
const OrchestrationKPUs = 1

// DefaultCheckpointInterval is how often an application checkpoints when
// neither its creation nor its script says.
const DefaultCheckpointInterval = time.Minute

// Timeouts of the lifecycle.
const (
	// startTimeout bounds STARTING: a job not running by then fails the start.
	startTimeout = 5 * time.Minute
	// savepointTimeout bounds taking a snapshot and stopping with one.
	savepointTimeout = 5 * time.Minute
	// reconcileEvery is how often a running application's JobManager is asked.
	reconcileEvery = time.Second
	// meterEvery is how often a running application's KPU-seconds are saved.
	meterEvery = 30 * time.Second
	// jobGoneAfter is how long a running application's job may be missing
	// from its JobManager before Eddy starts it again: an application
	// JobManager restarted after a crash resubmits it within seconds (and
	// is STARTING meanwhile), a restarted notebook cluster never does.
	jobGoneAfter = 30 * time.Second
	eventsLimit  = 500
)

// Capacity is the KPU ledger applications share with notebook sessions.
// sessions.Ledger implements it.
type Capacity interface {
	// ReserveApplication reserves n KPUs for an application or refuses
	// with a structured ECAPACITY error naming what holds the capacity.
	ReserveApplication(appID, appName string, n int, what string) error
	// ReleaseApplication gives an application's n KPUs back.
	ReleaseApplication(appID string, n int)
}

// Notes is what building needs of the notebook store.
type Notes interface {
	FindNoteByID(ctx context.Context, id string) (*notebooks.Note, error)
	ListParagraphs(ctx context.Context, noteID string) ([]*notebooks.Paragraph, error)
	CheckpointNote(ctx context.Context, noteID, message string) (*notebooks.Revision, error)
}

// Config is what a Manager needs. Store, Notes, Capacity, Gateway and at
// least one runner are required; zero values of the rest get defaults.
type Config struct {
	Store    Store
	Notes    Notes
	Capacity Capacity
	// Gateway validates builds in throw-away sessions.
	Gateway *flink.Gateway
	// Packages fetches the jars of notes' flink.execution.packages; nil
	// leaves them out of applications.
	Packages kernel.PackageFetcher
	// Runners by target; a target without one is refused.
	Runners map[string]Runner
	// DefaultTarget is used when a create names none.
	DefaultTarget string
	// Dir holds one directory per application: scripts, checkpoints,
	// snapshots, the application cluster's config and logs.
	Dir               string
	Quotas            Quotas
	ParallelismPerKPU int
	PricePerHour      float64 // per KPU-hour
	// Autoscale is the autoscaler's rule; zero fields get
	// DefaultAutoscale's.
	Autoscale Autoscale
	// NoteJobs finds notes' running INSERT jobs and hands them off to
	// applications created with state; nil refuses such creates.
	NoteJobs kernel.NoteJobs
	Logger   *slog.Logger
}

// Manager owns every application: builds, lifecycle, reconciliation with
// Flink, snapshots and metering. It is safe for concurrent use.
type Manager struct {
	cfg Config
	log *slog.Logger

	ctx    context.Context // canceled by Close: ends every watcher
	cancel context.CancelFunc
	wg     sync.WaitGroup // watchers and background lifecycle work

	mu     sync.Mutex
	apps   map[string]*instance // by id, every stored application
	closed bool
}

// instance is an application in memory. mu serialises its lifecycle:
// every change of rec or run happens under it.
type instance struct {
	mu   sync.Mutex
	rec  *Record
	run  Run                // nil when no run is launched
	kpus int                // KPUs reserved for the run
	stop context.CancelFunc // ends the run's watcher
	// stopping is set while a stop by request is under way: the watcher
	// leaves the job's end to it.
	stopping bool
	crashes  int // JobManager crashes already reported
	// fallback is where a start that takes over state goes back to when
	// its job fails before it runs; nil otherwise.
	fallback *fallback
}

// fallback is where a start that takes over state goes back to when its
// job fails before it runs (rollBackLocked).
type fallback struct {
	// snapshotID is the snapshot the start restores.
	snapshotID string
	// A rescale by restart goes back to the parallelism it left; an
	// update also to the version it left (version is 0 otherwise).
	parallelism, userParallelism int
	version                      int
	// resume, for a hand-off, resumes the notebook job it took over.
	resume func(context.Context) error
}

// untilCheckpoint reports whether the fallback holds until the new job's
// first checkpoint (an update, a hand-off) rather than until its tasks run
// (a rescale, whose job is the same).
func (fb *fallback) untilCheckpoint() bool { return fb.version != 0 || fb.resume != nil }

// NewManager returns a Manager; Open loads the applications and resumes
// those that were running.
func NewManager(cfg Config) *Manager {
	if cfg.Quotas == (Quotas{}) {
		cfg.Quotas = DefaultQuotas
	}
	if cfg.ParallelismPerKPU < 1 {
		cfg.ParallelismPerKPU = 1
	}
	if cfg.DefaultTarget == "" {
		cfg.DefaultTarget = TargetStandalone
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Autoscale = cfg.Autoscale.withDefaults()
	m := &Manager{cfg: cfg, log: cfg.Logger, apps: map[string]*instance{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	return m
}

// Open loads every application: those an earlier Eddy ran are STARTING
// until Resume starts them again; those it left in a passing status
// (stopping, ...) are READY.
func (m *Manager) Open(ctx context.Context) error {
	recs, err := m.cfg.Store.ListApplications(ctx)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range recs {
		inst := &instance{rec: r}
		m.apps[r.ID] = inst
		// Nothing of an earlier Eddy runs any more (its JVMs died with it):
		// until Resume, an application it ran is STARTING, not RUNNING, and
		// its metering stops at its last save.
		meterClear(inst)
		switch {
		case r.Desired == DesiredRunning && r.Status != StatusStarting:
			m.setStatus(ctx, inst, StatusStarting, "", "", "")
		case r.Desired != DesiredRunning && r.Status != StatusReady && r.Status != StatusFailed:
			m.setStatus(ctx, inst, StatusReady, "", "stopped", "Eddy restarted while the application was "+strings.ToLower(r.Status))
		}
	}
	return nil
}

// Resume starts again the applications Eddy was running when it stopped
// (or died), from their newest state: the snapshot taken at shutdown, or
// the newest retained checkpoint after a crash. Call it once the notebook
// cluster is up. It returns once the runs are launched.
func (m *Manager) Resume(ctx context.Context) {
	m.mu.Lock()
	all := make([]*instance, 0, len(m.apps))
	for _, inst := range m.apps {
		all = append(all, inst)
	}
	m.mu.Unlock()
	for _, inst := range all {
		inst.mu.Lock()
		r := inst.rec
		if r.Desired != DesiredRunning || inst.run != nil {
			inst.mu.Unlock()
			continue
		}
		var err error
		if !m.adoptLocked(ctx, inst) {
			err = m.startLocked(ctx, inst, RestoreLatestState, "", "Eddy restarted")
		}
		if err != nil && inst.run == nil && r.Status != StatusFailed {
			// Refused before it launched (no runner for its target here, a
			// version gone): it must not look as if it ran.
			m.setStatus(ctx, inst, StatusFailed, err.Error(), "failed", "Eddy restarted but cannot resume it: "+err.Error())
		}
		inst.mu.Unlock()
		if err != nil {
			m.log.Warn("resuming an application failed", "application", r.Name, "err", err)
		}
	}
}

// Close stops every running application with a snapshot (so the next
// start of Eddy resumes it from there), keeping it marked running, waits
// for all of it until ctx is done, and ends the watchers.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	all := make([]*instance, 0, len(m.apps))
	for _, inst := range m.apps {
		all = append(all, inst)
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	errs := make([]error, len(all))
	for i, inst := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst.mu.Lock()
			defer inst.mu.Unlock()
			if inst.run == nil {
				return
			}
			errs[i] = m.shutdownLocked(ctx, inst)
		}()
	}
	wg.Wait()
	m.cancel()
	m.wg.Wait()
	return errors.Join(errs...)
}

// shutdownLocked ends a run for Eddy's shutdown: a snapshot when the job
// runs, then the run is released; the application stays desired running.
func (m *Manager) shutdownLocked(ctx context.Context, inst *instance) error {
	inst.stopping = true
	run := inst.run
	var err error
	if inst.rec.Status == StatusRunning {
		sctx, cancel := context.WithTimeout(ctx, savepointTimeout)
		_, err = m.stopWithSnapshot(sctx, inst, run, "shutdown")
		cancel()
		if err != nil {
			m.event(ctx, inst, "snapshot-failed", "the snapshot at Eddy's shutdown failed: "+err.Error()+"; the next start resumes from the newest checkpoint")
		}
	}
	m.endRunLocked(ctx, inst, StatusReady, "", "shutdown", "Eddy stopped; the application resumes when Eddy starts")
	inst.rec.Desired = DesiredRunning
	m.save(ctx, inst)
	return err
}

func (m *Manager) find(id string) *instance {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.apps[id]
}

func (m *Manager) lookup(id string) (*instance, error) {
	if inst := m.find(id); inst != nil {
		return inst, nil
	}
	return nil, eddy.Errorf(eddy.ENOTFOUND, "No such application: %s", id)
}

// CreateRequest is what creating an application takes.
type CreateRequest struct {
	NoteID               string            `json:"noteId"`
	Name                 string            `json:"name"`
	Parallelism          int               `json:"parallelism"`
	Target               string            `json:"target"`
	Tags                 map[string]string `json:"tags"`
	CheckpointIntervalMs int64             `json:"checkpointIntervalMs"`
	// MaxParallelism bounds every later rescale; 0 takes Flink's default
	// for the parallelism (DefaultMaxParallelism). It cannot change later:
	// keyed state is split into that many key groups.
	MaxParallelism int `json:"maxParallelism"`
	// AutoScalingEnabled is true when absent: applications autoscale
	// unless told not to, as in Amazon Managed Service for Apache Flink.
	AutoScalingEnabled *bool `json:"autoScalingEnabled,omitempty"`
	// WithState hands the note's running INSERT job off to the
	// application, which starts at once from the job's savepoint (that
	// savepoint is its first snapshot). AllowNonRestoredState lets it
	// start when some of that state has no operator to restore it.
	WithState             bool `json:"withState,omitempty"`
	AllowNonRestoredState bool `json:"allowNonRestoredState,omitempty"`
}

// Bounds of the maximum parallelism, as Flink has them.
const (
	minDefaultMaxParallelism = 128
	upperMaxParallelism      = 1 << 15
)

// DefaultMaxParallelism is Flink's default maximum parallelism for an
// operator of the given parallelism: 1.5 times it rounded up to a power of
// two, at least 128 and at most 32768.
func DefaultMaxParallelism(parallelism int) int {
	n := 1
	for n < parallelism+parallelism/2 {
		n <<= 1
	}
	return min(max(n, minDefaultMaxParallelism), upperMaxParallelism)
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// kpusFor is what a run of the given parallelism holds.
func (m *Manager) kpusFor(parallelism int) int {
	return OrchestrationKPUs + (max(parallelism, 1)+m.cfg.ParallelismPerKPU-1)/m.cfg.ParallelismPerKPU
}

// checkConfig validates what a create or an apply sets.
func (m *Manager) checkConfig(name string, parallelism int, target string, tags map[string]string, intervalMs int64) error {
	switch {
	case !nameRE.MatchString(name):
		return eddy.Errorf(eddy.EINVALID, "application name %q: use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	case parallelism < 1:
		return eddy.Errorf(eddy.EINVALID, "parallelism must be at least 1")
	case m.kpusFor(parallelism) > m.cfg.Quotas.KPUsPerApplication:
		e := eddy.Errorf(eddy.EINVALID, "parallelism %d needs %d KPUs, more than the %d an application may hold",
			parallelism, m.kpusFor(parallelism), m.cfg.Quotas.KPUsPerApplication)
		e.Details = map[string]any{"quota": "kpusPerApplication", "limit": m.cfg.Quotas.KPUsPerApplication, "needed": m.kpusFor(parallelism)}
		return e
	case len(tags) > m.cfg.Quotas.TagsPerApplication:
		e := eddy.Errorf(eddy.EINVALID, "%d tags: an application may have at most %d", len(tags), m.cfg.Quotas.TagsPerApplication)
		e.Details = map[string]any{"quota": "tagsPerApplication", "limit": m.cfg.Quotas.TagsPerApplication, "needed": len(tags)}
		return e
	case intervalMs != 0 && intervalMs < 100:
		return eddy.Errorf(eddy.EINVALID, "checkpointIntervalMs must be at least 100")
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || len(v) > 256 {
			return eddy.Errorf(eddy.EINVALID, "tag %q: keys are 1 to 128 characters, values at most 256", k)
		}
	}
	if _, ok := m.cfg.Runners[target]; !ok {
		return eddy.Errorf(eddy.EINVALID, "target %q is not available here; choose one of %s", target, strings.Join(m.targets(), ", "))
	}
	return nil
}

// checkMaxParallelism validates a maximum parallelism against the
// parallelism it must carry.
func checkMaxParallelism(parallelism, maxParallelism int) error {
	switch {
	case maxParallelism < 1 || maxParallelism > upperMaxParallelism:
		return eddy.Errorf(eddy.EINVALID, "maxParallelism must be between 1 and %d", upperMaxParallelism)
	case parallelism > maxParallelism:
		return eddy.Errorf(eddy.EINVALID, "parallelism %d is above the maximum parallelism %d, which is fixed when the application is created", parallelism, maxParallelism)
	}
	return nil
}

func (m *Manager) targets() []string {
	var out []string
	for t := range m.cfg.Runners {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Preview builds and validates a note as an application would run it,
// creating nothing.
func (m *Manager) Preview(ctx context.Context, noteID string) (*Preview, error) {
	note, b, val, err := m.build(ctx, noteID)
	if err != nil {
		return nil, err
	}
	p := &Preview{NoteID: note.ID, NoteName: note.Name, Language: b.Language, Script: b.Script, Settings: b.Settings,
		Included: b.Included, Excluded: b.Excluded, Forms: b.Forms, Plan: val.Plan, Batch: b.Batch}
	p.StateSource = m.stateSource(ctx, noteID, val.Compiled, val.Uncompiled)
	return p, nil
}

// Preview is a build shown before an application is created.
type Preview struct {
	NoteID   string            `json:"noteId"`
	NoteName string            `json:"noteName"`
	Language string            `json:"language"`
	Script   string            `json:"script"`
	Settings map[string]string `json:"settings"`
	Included []Inclusion       `json:"included"`
	Excluded []Exclusion       `json:"excluded"`
	Forms    []BakedForm       `json:"forms"`
	Plan     string            `json:"plan"`
	Batch    bool              `json:"batch"`
	// StateSource is the note's running INSERT job whose state a create
	// with state would take over, and what of it would be restored;
	// absent when the note runs none.
	StateSource *StateSource `json:"stateSource,omitempty"`
}

// build reads the note, builds it and validates the build with Flink.
func (m *Manager) build(ctx context.Context, noteID string) (*notebooks.Note, *Build, *Validation, error) {
	note, err := m.cfg.Notes.FindNoteByID(ctx, noteID)
	if err != nil {
		return nil, nil, nil, err
	}
	paras, err := m.cfg.Notes.ListParagraphs(ctx, noteID)
	if err != nil {
		return nil, nil, nil, err
	}
	var resolve func(string) (string, error)
	if m.cfg.Packages != nil {
		resolve = func(coords string) (string, error) { return m.cfg.Packages.Fetch(ctx, coords) }
	}
	b, err := BuildNoteResolving(note, paras, resolve)
	if err != nil {
		return nil, nil, nil, err
	}
	val := &Validation{}
	if b.Language == LanguagePython {
		val.Plan, err = ValidatePython(ctx, m.cfg.Gateway, m.python(), b)
		val.Uncompiled = "a Python program runs from its code"
	} else {
		val, err = Validate(ctx, m.cfg.Gateway, b, filepath.Join(m.cfg.Dir, "plans"))
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if val.Uncompiled != "" && b.Language != LanguagePython && !b.Batch {
		m.log.Warn("an application version runs without a compiled plan", "note", note.Name, "why", val.Uncompiled)
	}
	return note, b, val, nil
}

// newVersion builds the note into a version numbered n and records the
// note's revision it came from.
func (m *Manager) newVersion(ctx context.Context, noteID string, n int, appName string) (*notebooks.Note, *Version, error) {
	note, v, err := m.draftVersion(ctx, noteID, n)
	if err != nil {
		return nil, nil, err
	}
	if err := m.recordRevision(ctx, v, noteID, appName); err != nil {
		return nil, nil, err
	}
	return note, v, nil
}

// draftVersion builds the note into a version numbered n, recording
// nothing.
func (m *Manager) draftVersion(ctx context.Context, noteID string, n int) (*notebooks.Note, *Version, error) {
	note, b, val, err := m.build(ctx, noteID)
	if err != nil {
		return nil, nil, err
	}
	v := &Version{Number: n, Language: b.Language, Script: b.Script, Settings: b.Settings, Plan: val.Plan,
		CompiledPlan: val.Compiled, Uncompiled: val.Uncompiled, Catalog: val.Catalog, Database: val.Database, Included: b.Included,
		Excluded: b.Excluded, Forms: b.Forms, CreatedAt: time.Now().UTC()}
	if v.Settings == nil {
		v.Settings = map[string]string{}
	}
	return note, v, nil
}

// recordRevision checkpoints the note as the revision v was built from.
func (m *Manager) recordRevision(ctx context.Context, v *Version, noteID, appName string) error {
	rev, err := m.cfg.Notes.CheckpointNote(ctx, noteID, fmt.Sprintf("deployed as application %s, version %d", appName, v.Number))
	if err != nil && !errors.Is(err, notebooks.ErrNoChanges) {
		return err
	}
	if rev != nil {
		v.NoteRevision = rev.ID
	}
	return nil
}

// Create builds a note into version 1 of a new application, which is
// READY: nothing runs until it is started.
func (m *Manager) Create(ctx context.Context, req CreateRequest) (*Application, error) {
	if req.Parallelism == 0 {
		req.Parallelism = 1
	}
	if req.Target == "" {
		req.Target = m.cfg.DefaultTarget
	}
	if req.CheckpointIntervalMs == 0 {
		req.CheckpointIntervalMs = DefaultCheckpointInterval.Milliseconds()
	}
	if req.NoteID == "" {
		return nil, eddy.Errorf(eddy.EINVALID, "noteId is required")
	}
	if err := m.checkConfig(req.Name, req.Parallelism, req.Target, req.Tags, req.CheckpointIntervalMs); err != nil {
		return nil, err
	}
	if req.MaxParallelism == 0 {
		req.MaxParallelism = DefaultMaxParallelism(req.Parallelism)
	}
	if err := checkMaxParallelism(req.Parallelism, req.MaxParallelism); err != nil {
		return nil, err
	}
	if err := m.checkCount(); err != nil {
		return nil, err
	}
	var src *handOffSource
	if req.WithState {
		var err error
		if src, err = m.handOffSource(ctx, req.NoteID); err != nil {
			return nil, err
		}
	}
	note, v, err := m.draftVersion(ctx, req.NoteID, 1)
	if err != nil {
		return nil, err
	}
	if src != nil {
		what := fmt.Sprintf("the notebook job %s (paragraph %s)", src.job.JobID, src.job.ParagraphID)
		if err := takeOver(v, src.plan, req.AllowNonRestoredState, what,
			"Deploy without state, allow non-restored state, or keep the notebook job running"); err != nil {
			return nil, err
		}
	}
	// Only a create that goes on marks the note's revision.
	if err := m.recordRevision(ctx, v, req.NoteID, req.Name); err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	id := newID()
	tags := req.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	autoscale := req.AutoScalingEnabled == nil || *req.AutoScalingEnabled
	rec := &Record{ID: id, Name: req.Name, NoteID: note.ID, NoteName: note.Name, Version: 1, Status: StatusReady,
		Parallelism: req.Parallelism, CurrentParallelism: req.Parallelism, AutoScalingEnabled: autoscale, MaxParallelism: req.MaxParallelism, Target: req.Target, Tags: tags, CheckpointIntervalMs: req.CheckpointIntervalMs,
		JobID: jobIDOf(id), Desired: DesiredStopped, CreatedAt: now, UpdatedAt: now}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "Eddy is shutting down")
	}
	// Checked again under the lock that guards the map: two creates racing
	// for the last place cannot both win.
	if len(m.apps) >= m.cfg.Quotas.Applications {
		m.mu.Unlock()
		return nil, m.countErr()
	}
	if err := m.cfg.Store.CreateApplication(ctx, rec, v); err != nil {
		m.mu.Unlock()
		return nil, err
	}
	inst := &instance{rec: rec}
	m.apps[id] = inst
	m.mu.Unlock()
	m.event(ctx, inst, "created", fmt.Sprintf("created from note %q, version 1 (note revision %s)", note.Name, v.NoteRevision))
	if src != nil {
		if handedOff, err := m.handOff(ctx, inst, src); err != nil {
			if !handedOff {
				// The notebook job runs on: the application goes, so the
				// failed create changed nothing.
				if derr := m.Delete(context.WithoutCancel(ctx), id); derr != nil {
					m.log.Warn("deleting an application whose hand-off failed", "application", req.Name, "err", derr)
				}
			}
			return nil, err
		}
	}
	return m.Get(ctx, id)
}

func (m *Manager) checkCount() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.apps) >= m.cfg.Quotas.Applications {
		return m.countErr()
	}
	return nil
}

func (m *Manager) countErr() error {
	e := eddy.Errorf(eddy.ECONFLICT, "there are %d applications, the most allowed: delete one first", m.cfg.Quotas.Applications)
	e.Details = map[string]any{"quota": "applications", "limit": m.cfg.Quotas.Applications}
	return e
}

// jobIDOf is an application's fixed Flink job id: its 16-hex-digit id
// after 16 zeros, so checkpoint directories and logs name it.
func jobIDOf(appID string) string { return strings.Repeat("0", 32-len(appID)) + appID }

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Quotas returns the quotas in force.
func (m *Manager) Quotas() Quotas { return m.cfg.Quotas }

// List returns every application, oldest first.
func (m *Manager) List(ctx context.Context) ([]*Application, error) {
	m.mu.Lock()
	ids := make([]*instance, 0, len(m.apps))
	for _, inst := range m.apps {
		ids = append(ids, inst)
	}
	m.mu.Unlock()
	out := make([]*Application, 0, len(ids))
	for _, inst := range ids {
		a, err := m.view(ctx, inst)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Get returns one application.
func (m *Manager) Get(ctx context.Context, id string) (*Application, error) {
	inst, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	return m.view(ctx, inst)
}

// JobManagerURL returns the REST address (which serves the web UI too) of
// the JobManager that runs the application's job now: ENOTFOUND for an
// unknown application, EUNAVAILABLE while it has no run.
func (m *Manager) JobManagerURL(id string) (string, error) {
	inst, err := m.lookup(id)
	if err != nil {
		return "", err
	}
	inst.mu.Lock()
	run := inst.run
	inst.mu.Unlock()
	if run == nil {
		return "", eddy.Errorf(eddy.EUNAVAILABLE, "application %s is not running: its Flink web UI is gone", id)
	}
	return run.JobManager().URL(), nil
}

// view is an application as the API shows it.
func (m *Manager) view(ctx context.Context, inst *instance) (*Application, error) {
	inst.mu.Lock()
	r := *inst.rec
	run := inst.run
	inst.mu.Unlock()
	v, err := m.cfg.Store.FindVersion(ctx, r.ID, r.Version)
	if err != nil {
		return nil, err
	}
	snaps, err := m.cfg.Store.ListSnapshots(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	a := &Application{ID: r.ID, Name: r.Name, NoteID: r.NoteID, NoteName: r.NoteName, Version: r.Version,
		Status: r.Status, Failure: r.Failure, Parallelism: r.Parallelism, CurrentParallelism: r.CurrentParallelism,
		AutoScalingEnabled: r.AutoScalingEnabled, MaxParallelism: r.MaxParallelism, KPUs: m.kpusFor(r.CurrentParallelism),
		Target: r.Target, Tags: r.Tags, CheckpointIntervalMs: r.CheckpointIntervalMs, JobID: r.JobID,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Excluded: v.Excluded, Script: v.Script}
	if a.Excluded == nil {
		a.Excluded = []Exclusion{}
	}
	if a.Tags == nil {
		a.Tags = map[string]string{}
	}
	if run != nil {
		a.FlinkURL = run.JobManager().JobURL(r.JobID)
	}
	if !r.StartedAt.IsZero() {
		t := r.StartedAt
		a.StartedAt = &t
	}
	if len(snaps) > 0 {
		a.LastSnapshot = snaps[0]
	}
	kpuSeconds := r.KPUSeconds
	if !r.StartedAt.IsZero() && !r.MeteredAt.IsZero() {
		kpuSeconds += time.Since(r.MeteredAt).Seconds() * float64(m.kpusFor(r.CurrentParallelism))
	}
	a.KPUHours = kpuSeconds / 3600
	a.Cost = a.KPUHours * m.cfg.PricePerHour
	return a, nil
}

// Delete deletes a READY or FAILED application with its versions,
// snapshots, events and files.
func (m *Manager) Delete(ctx context.Context, id string) error {
	inst, err := m.lookup(id)
	if err != nil {
		return err
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.run != nil || (inst.rec.Status != StatusReady && inst.rec.Status != StatusFailed) {
		return eddy.Errorf(eddy.ECONFLICT, "application %s is %s: stop it before deleting it", inst.rec.Name, inst.rec.Status)
	}
	inst.rec.Status = StatusDeleting
	if err := m.cfg.Store.DeleteApplication(ctx, id); err != nil {
		inst.rec.Status = StatusReady
		return err
	}
	m.mu.Lock()
	delete(m.apps, id)
	m.mu.Unlock()
	if err := os.RemoveAll(filepath.Join(m.cfg.Dir, id)); err != nil {
		m.log.Warn("removing an application's files", "application", inst.rec.Name, "err", err)
	}
	return nil
}

// Versions lists an application's versions, newest first.
func (m *Manager) Versions(ctx context.Context, id string) ([]*Version, error) {
	if _, err := m.lookup(id); err != nil {
		return nil, err
	}
	return m.cfg.Store.ListVersions(ctx, id)
}

// Rebuild builds the application's note again into a new version, which
// becomes current: the next start runs it. A running application is
// refused (updating a running application is a stop and a start).
func (m *Manager) Rebuild(ctx context.Context, id string) (*Version, error) {
	inst, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	r := inst.rec
	if inst.run != nil || (r.Status != StatusReady && r.Status != StatusFailed) {
		return nil, eddy.Errorf(eddy.ECONFLICT, "application %s is %s: stop it before building a new version", r.Name, r.Status)
	}
	note, v, err := m.newVersion(ctx, r.NoteID, r.Version+1, r.Name)
	if err != nil {
		return nil, err
	}
	if err := m.cfg.Store.AddVersion(ctx, r.ID, v); err != nil {
		return nil, err
	}
	r.Version, r.NoteName = v.Number, note.Name
	m.save(ctx, inst)
	m.event(ctx, inst, "version", fmt.Sprintf("version %d built from note %q (revision %s)", v.Number, note.Name, v.NoteRevision))
	return v, nil
}

// Events returns an application's timeline, newest first.
func (m *Manager) Events(ctx context.Context, id string) ([]*Event, error) {
	if _, err := m.lookup(id); err != nil {
		return nil, err
	}
	return m.cfg.Store.ListEvents(ctx, id, eventsLimit)
}

// setStatus changes the status, saves the record and, when kind is not
// empty, records an event. Caller holds inst.mu.
func (m *Manager) setStatus(ctx context.Context, inst *instance, status, failure, kind, msg string) {
	inst.rec.Status, inst.rec.Failure = status, failure
	m.save(ctx, inst)
	if kind != "" {
		m.event(ctx, inst, kind, msg)
	}
}

// save writes the record; a failure is logged (the record in memory stays
// the truth until the next save).
func (m *Manager) save(ctx context.Context, inst *instance) {
	inst.rec.UpdatedAt = time.Now().UTC()
	if err := m.cfg.Store.UpdateApplication(context.WithoutCancel(ctx), inst.rec); err != nil {
		m.log.Error("saving an application", "application", inst.rec.Name, "err", err)
	}
}

func (m *Manager) event(ctx context.Context, inst *instance, kind, msg string) {
	e := &Event{At: time.Now().UTC(), Kind: kind, Message: msg}
	if err := m.cfg.Store.AddEvent(context.WithoutCancel(ctx), inst.rec.ID, e); err != nil {
		m.log.Error("recording an application event", "application", inst.rec.Name, "err", err)
	}
	m.log.Info("application "+kind, "application", inst.rec.Name, "message", msg)
}
