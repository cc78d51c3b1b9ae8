package applications

// This file is how a version takes over the state of a job that ran from
// another compiled plan: a notebook job handed off to a new application
// (CreateRequest.WithState), or the application's previous version
// (Update). Both compare the plans (CheckPlans), refuse before anything
// stops when state would be lost and the user did not allow it, and run
// the new plan renumbered so that its operators keep the ids whose state
// they restore.

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
)

// StateRefusal is the Details of the ECONFLICT error of a deploy or an
// update that would not restore all the state it takes over: the plan
// check, operator by operator.
type StateRefusal struct {
	Check *PlanCheck `json:"check"`
	// Diff is an update's script diff.
	Diff string `json:"diff,omitempty"`
}

// StateSource is a note's running INSERT job as a create with state
// would take it over.
type StateSource struct {
	JobID       string `json:"jobId,omitempty"`
	ParagraphID string `json:"paragraphId,omitempty"`
	// Check is what the application's plan would restore of the job's
	// state; absent when Unavailable says why the state cannot be taken.
	Check       *PlanCheck `json:"check,omitempty"`
	Unavailable string     `json:"unavailable,omitempty"`
}

// stateSource describes the note's running INSERT job for a preview, nil
// when the note runs none.
func (m *Manager) stateSource(ctx context.Context, noteID string, compiled []byte, uncompiled string) *StateSource {
	if m.cfg.NoteJobs == nil {
		return nil
	}
	jobs, err := m.cfg.NoteJobs.RunningInserts(ctx, noteID)
	if err != nil || len(jobs) == 0 {
		return nil
	}
	src, err := sourceOf(jobs)
	if err != nil {
		return &StateSource{JobID: jobs[0].JobID, ParagraphID: jobs[0].ParagraphID, Unavailable: eddy.ErrorMessage(err)}
	}
	s := &StateSource{JobID: src.job.JobID, ParagraphID: src.job.ParagraphID}
	if len(compiled) == 0 {
		s.Unavailable = "the application's plan is not compiled: " + uncompiled
		return s
	}
	if s.Check, err = CheckPlans(src.plan, compiled); err != nil {
		s.Check, s.Unavailable = nil, eddy.ErrorMessage(err)
	}
	return s
}

// takeOver makes v the version that takes over the state of a job run
// from the compiled plan old (what names it, choices says what the user
// can do instead, for messages). v's plan is renumbered to restore what it
// can; when some state cannot be restored, the take-over is refused with
// a StateRefusal unless allow is set, and then v's starts let Flink drop
// the state no operator claims.
func takeOver(v *Version, old []byte, allow bool, what, choices string) error {
	if len(v.CompiledPlan) == 0 {
		why := v.Uncompiled
		if why == "" {
			why = "it has no compiled plan"
		}
		return eddy.Errorf(eddy.EINVALID, "the new version cannot take over the state of %s: %s", what, why)
	}
	check, err := CheckPlans(old, v.CompiledPlan)
	if err != nil {
		return err
	}
	if !check.Compatible && !allow {
		e := eddy.Errorf(eddy.ECONFLICT, "the new version cannot restore all the state of %s: %s. %s", what, lostState(check), choices)
		e.Details = StateRefusal{Check: check}
		return e
	}
	v.CompiledPlan, v.StateCheck = check.Plan, check
	v.AllowNonRestoredState = !check.Compatible
	return nil
}

// lostState names the operators whose state a check does not restore.
func lostState(c *PlanCheck) string {
	var lost []string
	for _, op := range c.Operators {
		if !op.Restorable {
			lost = append(lost, fmt.Sprintf("operator %d (%s): %s", op.ID, op.Description, op.Reason))
		}
	}
	return strings.Join(lost, "; ")
}

// handOffSource is a note's running INSERT job whose state a new
// application takes over, with its compiled plan.
type handOffSource struct {
	job  kernel.Job
	plan []byte
}

// handOffSource finds the one running INSERT job of a note and reads the
// plan it runs from (sourceOf).
func (m *Manager) handOffSource(ctx context.Context, noteID string) (*handOffSource, error) {
	if m.cfg.NoteJobs == nil {
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "this Eddy cannot hand notebook jobs to applications")
	}
	jobs, err := m.cfg.NoteJobs.RunningInserts(ctx, noteID)
	if err != nil {
		return nil, err
	}
	return sourceOf(jobs)
}

// sourceOf is the hand-off source among a note's running INSERT jobs: the
// one job, with the plan it runs from. No job, several, or one run
// without a compiled plan are EINVALID, saying what to do instead.
func sourceOf(jobs []kernel.Job) (*handOffSource, error) {
	switch len(jobs) {
	case 0:
		return nil, eddy.Errorf(eddy.EINVALID, "the note runs no INSERT job whose state the application could take over: run its INSERT paragraph, or deploy without state")
	case 1:
	default:
		var paras []string
		for _, j := range jobs {
			paras = append(paras, j.ParagraphID)
		}
		return nil, eddy.Errorf(eddy.EINVALID, "the note runs %d INSERT jobs (paragraphs %s): an application takes over the state of one job; stop the others, run the note's INSERTs as one statement set, or deploy without state",
			len(jobs), strings.Join(paras, ", "))
	}
	job := jobs[0]
	if job.PlanPath == "" {
		return nil, eddy.Errorf(eddy.EINVALID, "the job %s of paragraph %s runs without a compiled plan, so the application's operators cannot be matched to its state: deploy without state", job.JobID, job.ParagraphID)
	}
	plan, err := os.ReadFile(strings.TrimPrefix(job.PlanPath, "file://"))
	if err != nil {
		return nil, eddy.Wrap(eddy.EUNAVAILABLE, err, "the compiled plan of job %s cannot be read", job.JobID)
	}
	return &handOffSource{job: job, plan: plan}, nil
}

// handOff stops the source job with a savepoint into the application's
// snapshot directory, records the savepoint as the application's first
// snapshot and starts the application from it. If the application's job
// then fails before it runs, the notebook job is resumed from the same
// savepoint (rollBackLocked), so nothing is lost. handedOff says whether
// the notebook job was stopped: when not, nothing changed.
func (m *Manager) handOff(ctx context.Context, inst *instance, src *handOffSource) (handedOff bool, err error) {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	r := inst.rec
	// The application's KPUs first: a start refused for capacity after
	// the notebook job has stopped would have to resume it.
	kpus := m.kpusFor(r.CurrentParallelism)
	if err := m.cfg.Capacity.ReserveApplication(r.ID, r.Name, kpus, "start application "+r.Name); err != nil {
		return false, err
	}
	inst.kpus = kpus
	msg := fmt.Sprintf("and handed to application %s, which continues from it", r.Name)
	path, err := m.cfg.NoteJobs.HandOff(ctx, r.NoteID, src.job.ParagraphID, src.job.JobID, strings.TrimPrefix(m.snapshotDir(inst), "file://"), msg)
	if err != nil {
		m.releaseKPUsTo(inst, 0)
		return false, err
	}
	resume := func(ctx context.Context) error {
		return m.cfg.NoteJobs.Resume(context.WithoutCancel(ctx), r.NoteID, src.job.ParagraphID, path)
	}
	snap := &Snapshot{ID: "snap-" + newID()[:12], Path: strings.TrimPrefix(path, "file:"), Version: r.Version,
		JobID: src.job.JobID, Trigger: "handoff", CreatedAt: time.Now().UTC()}
	if err := m.cfg.Store.AddSnapshot(ctx, r.ID, snap); err != nil {
		m.releaseKPUsTo(inst, 0)
		if rerr := resume(ctx); rerr != nil {
			m.log.Warn("resuming a handed-off notebook job", "note", r.NoteID, "paragraph", src.job.ParagraphID, "err", rerr)
		}
		return true, err
	}
	m.event(ctx, inst, "snapshot", fmt.Sprintf("snapshot %s (handoff): the savepoint of notebook job %s (paragraph %s) at %s", snap.ID, src.job.JobID, src.job.ParagraphID, snap.Path))
	inst.fallback = &fallback{snapshotID: snap.ID, resume: resume}
	return true, m.startFallingBack(ctx, inst, "", "from the notebook job's savepoint")
}
