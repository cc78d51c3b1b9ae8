package applications

// This file is the life of a run: starting it (from what restore point),
// following it (the watcher reconciles it with its JobManager), metering
// it, and ending it.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// StartRequest says what a start restores: RestoreLatestSnapshot (the
// default), RestoreNone, or RestoreSnapshot with SnapshotID.
type StartRequest struct {
	Restore    string
	SnapshotID string
}

// Start starts a READY or FAILED application: it reserves its KPUs
// (refusing, with nothing started, when they are not free), picks what to
// restore and launches the run. It returns with the application STARTING;
// the watcher moves it on as its JobManager reports.
func (m *Manager) Start(ctx context.Context, id string, req StartRequest) (*Application, error) {
	inst, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	inst.mu.Lock()
	err = m.startLocked(ctx, inst, req.Restore, req.SnapshotID, "")
	inst.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return m.view(ctx, inst)
}

func (m *Manager) startLocked(ctx context.Context, inst *instance, restore, snapshotID, why string) error {
	r := inst.rec
	if inst.run != nil || (r.Status != StatusReady && r.Status != StatusFailed && why == "") {
		return eddy.Errorf(eddy.ECONFLICT, "application %s is %s: only a READY or FAILED application can start", r.Name, r.Status)
	}
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return eddy.Errorf(eddy.EUNAVAILABLE, "Eddy is shutting down")
	}
	runner := m.cfg.Runners[r.Target]
	if runner == nil {
		return eddy.Errorf(eddy.EUNAVAILABLE, "application %s runs on target %q, which is not available here", r.Name, r.Target)
	}
	v, err := m.cfg.Store.FindVersion(ctx, r.ID, r.Version)
	if err != nil {
		return err
	}
	from, fromWhat, err := m.restorePoint(ctx, inst, restore, snapshotID)
	if err != nil {
		return err
	}
	if why == "" && r.CurrentParallelism != r.Parallelism {
		// A user's start runs at the user's parallelism: what the
		// autoscaler chose fit the load of the last run, not necessarily
		// this one's. (Amazon Managed Service for Apache Flink does not say
		// what a stop and a start do to CurrentParallelism.) Eddy's own
		// starts (a resume, a relaunch, a rescale by restart) keep it.
		m.event(ctx, inst, "configured", fmt.Sprintf("current parallelism %d → %d: a start runs at the application's parallelism", r.CurrentParallelism, r.Parallelism))
		r.CurrentParallelism = r.Parallelism
	}
	// KPUs the application still holds (a start that follows a stop for a
	// rescale keeps them) count towards the run's.
	kpus := m.kpusFor(r.CurrentParallelism)
	err = nil
	if need := kpus - inst.kpus; need > 0 {
		err = m.cfg.Capacity.ReserveApplication(r.ID, r.Name, need, "start application "+r.Name)
	} else if need < 0 {
		m.cfg.Capacity.ReleaseApplication(r.ID, -need)
	}
	if err != nil {
		m.releaseKPUsTo(inst, 0)
		if why != "" {
			m.setStatus(ctx, inst, StatusFailed, err.Error(), "failed", why+": cannot start: "+err.Error())
			r.Desired = DesiredStopped
			m.save(ctx, inst)
		}
		return err
	}
	now := time.Now().UTC()
	spec := RunSpec{AppID: r.ID, Name: "eddy-app:" + r.Name, JobID: r.JobID, Version: v, Parallelism: r.CurrentParallelism, MaxParallelism: r.MaxParallelism,
		CheckpointInterval: time.Duration(r.CheckpointIntervalMs) * time.Millisecond,
		Dir:                filepath.Join(m.cfg.Dir, r.ID), RunDir: "run-" + now.Format("20060102T150405.000"), Restore: from,
		AllowNonRestoredState: v.AllowNonRestoredState}
	spec.RunDir = strings.ReplaceAll(spec.RunDir, ".", "")
	if r.Status != StatusRollingBack {
		r.Status = StatusStarting
	}
	r.Failure, r.Desired = "", DesiredRunning
	r.RunDir, r.RunRestore = spec.RunDir, from
	r.StartedAt, r.MeteredAt = now, now
	inst.kpus = kpus
	m.save(ctx, inst)
	msg := fmt.Sprintf("starting version %d on target %s with parallelism %d (%d KPUs), %s", v.Number, r.Target, r.CurrentParallelism, kpus, fromWhat)
	if why != "" {
		msg = why + ": " + msg
	}
	m.event(ctx, inst, "starting", msg)

	run, err := runner.Start(ctx, spec)
	if err != nil {
		m.releaseKPUsTo(inst, 0)
		m.meterStop(inst, time.Now())
		r.Desired = DesiredStopped
		m.setStatus(ctx, inst, StatusFailed, err.Error(), "failed", "the start failed: "+err.Error())
		if eddy.ErrorCode(err) == eddy.EINTERNAL {
			// Flink's or the JVMs' own words, which the caller needs.
			return eddy.Wrap(eddy.EUNAVAILABLE, err, "application %s could not be started: %v", r.Name, err)
		}
		return err
	}
	if id := run.JobID(); id != r.JobID {
		r.JobID = id
		m.save(ctx, inst)
	}
	m.launchWatch(inst, run)
	return nil
}

// launchWatch makes run the instance's current run and starts its
// watcher. Caller holds inst.mu.
func (m *Manager) launchWatch(inst *instance, run Run) {
	inst.run, inst.crashes, inst.stopping = run, 0, false
	wctx, cancel := context.WithCancel(m.ctx)
	inst.stop = cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.watch(wctx, inst, run)
	}()
	if cm, ok := run.(cpuMeter); ok {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.autoscale(wctx, inst, run, cm)
		}()
	}
}

// adoptLocked follows the application's job when it outlived the Eddy
// that started it (a session-target job on a remote cluster), so it is not
// submitted twice. It reports whether it did.
func (m *Manager) adoptLocked(ctx context.Context, inst *instance) bool {
	r := inst.rec
	ad, ok := m.cfg.Runners[r.Target].(Adopter)
	if !ok || r.JobID == "" {
		return false
	}
	run, ok := ad.Adopt(ctx, r.JobID)
	if !ok {
		return false
	}
	kpus := m.kpusFor(r.CurrentParallelism)
	if err := m.cfg.Capacity.ReserveApplication(r.ID, r.Name, kpus, "follow application "+r.Name); err != nil {
		// Its job runs whatever the ledger says: hold what is free.
		m.log.Warn("an application's job outlived Eddy but its KPUs do not fit", "application", r.Name, "err", err)
		kpus = 0
	}
	now := time.Now().UTC()
	r.StartedAt, r.MeteredAt = now, now
	inst.kpus = kpus
	m.setStatus(ctx, inst, StatusStarting, "", "adopted", "Eddy restarted and found the job "+r.JobID+" still running: it follows it")
	m.launchWatch(inst, run)
	return true
}

// restorePoint resolves a restore choice into a path and its description.
func (m *Manager) restorePoint(ctx context.Context, inst *instance, restore, snapshotID string) (string, string, error) {
	r := inst.rec
	switch restore {
	case RestoreNone:
		return "", "without state", nil
	case RestoreSnapshot:
		snaps, err := m.cfg.Store.ListSnapshots(ctx, r.ID)
		if err != nil {
			return "", "", err
		}
		for _, s := range snaps {
			if s.ID == snapshotID {
				if _, err := os.Stat(s.Path); err != nil && filepath.IsAbs(s.Path) {
					return "", "", eddy.Errorf(eddy.ECONFLICT, "snapshot %s is gone from %s", s.ID, s.Path)
				}
				return s.Path, "from snapshot " + s.ID, nil
			}
		}
		return "", "", eddy.Errorf(eddy.ENOTFOUND, "application %s has no snapshot %s", r.Name, snapshotID)
	case RestoreLatestSnapshot, "":
		snaps, err := m.cfg.Store.ListSnapshots(ctx, r.ID)
		if err != nil {
			return "", "", err
		}
		if len(snaps) == 0 {
			return "", "without state (no snapshot yet)", nil
		}
		return snaps[0].Path, "from the latest snapshot " + snaps[0].ID, nil
	case RestoreLatestState:
		snaps, err := m.cfg.Store.ListSnapshots(ctx, r.ID)
		if err != nil {
			return "", "", err
		}
		best, bestAt, what := r.RunRestore, modTime(r.RunRestore), "from what its last run started from"
		if r.RunDir != "" {
			if chk := localflink.LatestCheckpoint(filepath.Join(m.cfg.Dir, r.ID, "checkpoints", r.RunDir)); chk != "" {
				if at := modTime(chk); best == "" || at.After(bestAt) {
					best, bestAt, what = chk, at, "from its latest checkpoint "+filepath.Base(chk)
				}
			}
		}
		if len(snaps) > 0 {
			if at := modTime(snaps[0].Path); best == "" || at.After(bestAt) {
				best, what = snaps[0].Path, "from snapshot "+snaps[0].ID
			}
		}
		if best == "" {
			return "", "without state (none retained yet)", nil
		}
		return best, what, nil
	}
	return "", "", eddy.Errorf(eddy.EINVALID, "restore %q: use LATEST_SNAPSHOT, NONE or a snapshotId", restore)
}

// modTime is when a savepoint or checkpoint was completed (its _metadata
// written); zero when it is missing.
func modTime(dir string) time.Time {
	if dir == "" {
		return time.Time{}
	}
	fi, err := os.Stat(filepath.Join(strings.TrimPrefix(dir, "file:"), "_metadata"))
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// watch reconciles a run with its JobManager until the run ends: the
// status follows the job's, crashes and restarts become events, a job that
// fails or ends on its own ends the run.
func (m *Manager) watch(ctx context.Context, inst *instance, run Run) {
	jm := run.JobManager()
	tick := time.NewTicker(reconcileEvery)
	defer tick.Stop()
	lastMeter := time.Now()
	var notFoundSince, startingSince time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		job, err := jm.Job(qctx, run.JobID())
		cancel()
		if ctx.Err() != nil {
			return
		}
		m.noteCrashes(ctx, inst, run)
		if time.Since(lastMeter) > meterEvery {
			lastMeter = time.Now()
			inst.mu.Lock()
			if inst.run == run {
				m.meterSave(ctx, inst)
			}
			inst.mu.Unlock()
		}
		switch {
		case err == nil:
			notFoundSince = time.Time{}
			if m.reconcile(ctx, inst, run, job) {
				return
			}
			m.settleFallback(ctx, inst, run)
		case flink.IsNotFound(err):
			// The program has not submitted its job yet, or failed before it
			// could: the JobManager's application says which. A job that ran
			// and is gone for long (the notebook cluster's JVMs restarted
			// under a session-target application, to add a connector) is
			// started again from its latest state.
			if m.programFailed(ctx, inst, run) {
				return
			}
			if notFoundSince.IsZero() {
				notFoundSince = time.Now()
			}
			inst.mu.Lock()
			running := inst.run == run && inst.rec.Status == StatusRunning
			inst.mu.Unlock()
			if running && time.Since(notFoundSince) > jobGoneAfter {
				m.relaunch(ctx, inst, run, fmt.Sprintf("the job %s was gone from its cluster for %s (the cluster restarted?)", run.JobID(), jobGoneAfter))
				return
			}
		default:
			// The JobManager is unreachable: an application JobManager
			// restarting after a crash (noteCrashes reports it).
		}
		inst.mu.Lock()
		starting := inst.run == run && starting(inst.rec.Status)
		inst.mu.Unlock()
		switch {
		case !starting:
			startingSince = time.Time{}
		case startingSince.IsZero():
			startingSince = time.Now()
		case time.Since(startingSince) > startTimeout:
			msg := fmt.Sprintf("the job was not running %s after the start", startTimeout)
			if f := run.Failure(); f != "" {
				msg += ": " + f
			}
			m.finishRun(ctx, inst, run, StatusFailed, msg, "failed", msg)
			return
		}
	}
}

// settleFallback forgets where an update or a hand-off would go back to
// once the new job has completed a checkpoint: from then on it has state
// of its own newer than the snapshot it started from, and a failure is
// its own (it restarts from that state). Until then a failure, before or
// after its tasks run, rolls back.
func (m *Manager) settleFallback(ctx context.Context, inst *instance, run Run) {
	inst.mu.Lock()
	fb := inst.fallback
	current := inst.run == run
	inst.mu.Unlock()
	if fb == nil || !fb.untilCheckpoint() || !current {
		return
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	st, err := run.JobManager().Checkpoints(qctx, run.JobID())
	cancel()
	if err != nil || st.Latest.Completed == nil {
		return
	}
	inst.mu.Lock()
	if inst.fallback == fb {
		inst.fallback = nil
	}
	inst.mu.Unlock()
}

// starting reports whether an application of status waits for its job
// to run.
func starting(status string) bool { return status == StatusStarting || status == StatusRollingBack }

// noteCrashes turns JobManager crashes into events.
func (m *Manager) noteCrashes(ctx context.Context, inst *instance, run Run) {
	n, why := run.Crashes()
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.run != run || n <= inst.crashes {
		return
	}
	inst.crashes = n
	from := localflink.LatestCheckpoint(filepath.Join(m.cfg.Dir, inst.rec.ID, "checkpoints", inst.rec.RunDir))
	if from == "" {
		from = inst.rec.RunRestore
	}
	if from == "" {
		from = "no state (no checkpoint yet)"
	}
	m.event(ctx, inst, "restarted", fmt.Sprintf("the application's JobManager died (%s); Eddy restarted it from %s", why, from))
	if inst.rec.Status == StatusRunning {
		m.setStatus(ctx, inst, StatusStarting, "", "", "")
	}
}

// reconcile applies the job's state; it returns true when the run ended.
func (m *Manager) reconcile(ctx context.Context, inst *instance, run Run, job flink.JobDetail) bool {
	state := job.State
	inst.mu.Lock()
	if inst.run != run {
		inst.mu.Unlock()
		return true
	}
	if inst.stopping {
		inst.mu.Unlock()
		return false
	}
	status := inst.rec.Status
	if job.TasksRunning() && starting(status) {
		if fb := inst.fallback; fb != nil && !fb.untilCheckpoint() {
			inst.fallback = nil
		}
		m.setStatus(ctx, inst, StatusRunning, "", "running", "the job runs: "+run.JobManager().JobURL(run.JobID()))
	}
	inst.mu.Unlock()
	if !flink.JobTerminal(state) {
		return false
	}
	switch state {
	case flink.JobFailed:
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		cause, err := run.JobManager().RootException(qctx, run.JobID())
		cancel()
		if err != nil || cause == "" {
			// A job that failed while it was being restored leaves no
			// exception history; its JobManager logged the cause.
			cause = run.Failure()
		}
		if cause == "" {
			cause = "the job failed"
		}
		m.finishRun(ctx, inst, run, StatusFailed, cause, "failed", "the job failed: "+cause)
	case flink.JobFinished:
		m.finishRun(ctx, inst, run, StatusReady, "", "finished", "the job finished: its sources are bounded and all read")
	default:
		m.finishRun(ctx, inst, run, StatusReady, "", "stopped", "the job was canceled outside Eddy")
	}
	return true
}

// programFailed reports (and applies) a script that failed before it
// submitted its job: the JobManager's application has ended without one.
func (m *Manager) programFailed(ctx context.Context, inst *instance, run Run) bool {
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	apps, err := run.JobManager().Applications(qctx)
	cancel()
	if err != nil {
		return false
	}
	for _, a := range apps {
		if a.Status == "FAILED" || a.Status == "CANCELED" {
			cause := run.Failure()
			if cause == "" {
				cause = "the application's SQL script failed before it started its job; see " + filepath.Join(m.cfg.Dir, inst.rec.ID, "log", "jobmanager.log")
			}
			m.finishRun(ctx, inst, run, StatusFailed, cause, "failed", "the script failed: "+cause)
			return true
		}
	}
	return false
}

// relaunch ends a run whose job is lost and starts the application again
// from its newest state (its latest checkpoint or snapshot). A start that
// fails leaves it FAILED with the reason.
func (m *Manager) relaunch(ctx context.Context, inst *instance, run Run, why string) {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.run != run {
		return
	}
	m.endRunLocked(ctx, inst, StatusStarting, "", "lost", why)
	if err := m.startLocked(context.WithoutCancel(ctx), inst, RestoreLatestState, "", why); err != nil && inst.rec.Status != StatusFailed {
		inst.rec.Desired = DesiredStopped
		m.setStatus(ctx, inst, StatusFailed, err.Error(), "failed", "it could not be started again: "+err.Error())
	}
}

// finishRun ends a run that is still the instance's current one.
func (m *Manager) finishRun(ctx context.Context, inst *instance, run Run, status, failure, kind, msg string) {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.run != run {
		return
	}
	if status == StatusFailed && inst.fallback != nil {
		m.rollBackLocked(ctx, inst, failure)
		return
	}
	m.endRunLocked(ctx, inst, status, failure, kind, msg)
	inst.rec.Desired = DesiredStopped
	m.save(ctx, inst)
}

// restoreFailure says why a job could not start from its state: the
// operator Flink could not map, where it says so.
func restoreFailure(failure string) string {
	const unmapped = "Cannot map checkpoint/savepoint state for operator "
	if _, rest, ok := strings.Cut(failure, unmapped); ok {
		op, _, _ := strings.Cut(rest, " ")
		return "Flink cannot map the snapshot's state of operator " + op + " to the job: no operator of the job at this parallelism and plan takes it"
	}
	return firstLine(failure)
}

// rollBackLocked ends a run that took over state and failed before it ran
// (its state could not be restored) or, for an update or a hand-off,
// before its first checkpoint, and goes back to what it came from:
// a rescale by restart to the parallelism it had, an update to the version
// it had (status ROLLING_BACK until that job runs), each from the same
// snapshot and keeping its KPUs; a hand-off resumes the notebook job it
// took over and leaves the application FAILED. Caller holds inst.mu.
func (m *Manager) rollBackLocked(ctx context.Context, inst *instance, failure string) {
	fb := inst.fallback
	inst.fallback = nil
	r := inst.rec
	if fb.resume != nil {
		m.endRunLocked(ctx, inst, StatusFailed, failure, "failed", fmt.Sprintf("the job failed before its first checkpoint from the notebook job's savepoint (%s)", restoreFailure(failure)))
		r.Desired = DesiredStopped
		m.save(ctx, inst)
		if err := fb.resume(ctx); err != nil {
			m.event(ctx, inst, "handoff-failed", "the notebook job could not be resumed from its savepoint: "+err.Error())
			return
		}
		m.event(ctx, inst, "handed-back", fmt.Sprintf("the notebook job was resumed from snapshot %s: it continues where it stopped", fb.snapshotID))
		return
	}
	m.releaseRunLocked(ctx, inst)
	var why, kind, msg, failedMsg string
	if fb.version != 0 {
		to := r.Version
		r.Version = fb.version
		kind, failedMsg = "update-failed", "it could not be started again after a failed update: "
		msg = fmt.Sprintf("version %d failed before its first checkpoint (%s): version %d starts again from snapshot %s", to, restoreFailure(failure), fb.version, fb.snapshotID)
		why = fmt.Sprintf("update to version %d rolled back", to)
		m.setStatus(ctx, inst, StatusRollingBack, "", kind, msg)
	} else {
		to := r.CurrentParallelism
		r.CurrentParallelism, r.Parallelism = fb.parallelism, fb.userParallelism
		kind, failedMsg = "rescale-failed", "it could not be started again after a failed rescale: "
		msg = fmt.Sprintf("the job at parallelism %d failed before it ran (%s): it starts again at parallelism %d from snapshot %s",
			to, restoreFailure(failure), fb.parallelism, fb.snapshotID)
		why = fmt.Sprintf("rescale %d → %d rolled back", fb.parallelism, to)
		m.setStatus(ctx, inst, StatusStarting, "", kind, msg)
	}
	if err := m.startLocked(context.WithoutCancel(ctx), inst, RestoreSnapshot, fb.snapshotID, why); err != nil && r.Status != StatusFailed {
		if inst.run == nil {
			m.releaseKPUsTo(inst, 0)
		}
		r.Desired = DesiredStopped
		m.setStatus(ctx, inst, StatusFailed, err.Error(), "failed", failedMsg+err.Error())
	}
}

// endRunLocked releases the current run: its watcher, its JVMs, its KPUs
// and its metering, and sets the status.
func (m *Manager) endRunLocked(ctx context.Context, inst *instance, status, failure, kind, msg string) {
	inst.fallback = nil
	m.releaseRunLocked(ctx, inst)
	m.releaseKPUsTo(inst, 0)
	m.setStatus(ctx, inst, status, failure, kind, msg)
}

// releaseRunLocked ends the current run's watcher, JVMs and metering,
// keeping its KPUs reserved (for a start that follows at once).
func (m *Manager) releaseRunLocked(ctx context.Context, inst *instance) {
	if inst.stop != nil {
		inst.stop()
		inst.stop = nil
	}
	if inst.run != nil {
		if err := inst.run.Close(); err != nil {
			m.log.Warn("releasing an application's run", "application", inst.rec.Name, "err", err)
		}
		inst.run = nil
	}
	m.meterStop(inst, time.Now())
	inst.stopping = false
}

// meterSave adds the KPU-seconds since the last save. Caller holds inst.mu.
func (m *Manager) meterSave(ctx context.Context, inst *instance) {
	m.meterTo(inst, time.Now())
	m.save(ctx, inst)
}

func (m *Manager) meterTo(inst *instance, now time.Time) {
	r := inst.rec
	if r.StartedAt.IsZero() || r.MeteredAt.IsZero() {
		return
	}
	if d := now.Sub(r.MeteredAt); d > 0 {
		r.KPUSeconds += d.Seconds() * float64(m.kpusFor(r.CurrentParallelism))
	}
	r.MeteredAt = now
}

// meterStop closes the metering of a run that ends now (not saved).
// Caller holds inst.mu.
func (m *Manager) meterStop(inst *instance, now time.Time) {
	m.meterTo(inst, now)
	meterClear(inst)
}

// meterClear forgets a run's metering without counting the time since its
// last save: a run cut short by Eddy's own end (a kill) is metered up to
// its last save, not across Eddy's downtime.
func meterClear(inst *instance) {
	inst.rec.StartedAt, inst.rec.MeteredAt = time.Time{}, time.Time{}
}

// Stop stops a running application: with a snapshot (status STOPPING; the
// job ends with a savepoint that is recorded as a snapshot), or without
// one (FORCE_STOPPING: the job is canceled). It returns at once; the stop
// goes on in the background and the application becomes READY.
func (m *Manager) Stop(ctx context.Context, id string, snapshot bool) (*Application, error) {
	inst, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	inst.mu.Lock()
	r := inst.rec
	if inst.run == nil || inst.stopping || (r.Status != StatusRunning && r.Status != StatusStarting) {
		inst.mu.Unlock()
		return nil, eddy.Errorf(eddy.ECONFLICT, "application %s is %s: only a RUNNING or STARTING application can stop", r.Name, r.Status)
	}
	if snapshot && r.Status != StatusRunning {
		inst.mu.Unlock()
		return nil, eddy.Errorf(eddy.ECONFLICT, "application %s is still STARTING: its job cannot take a snapshot yet; force-stop it (snapshot: false) or wait", r.Name)
	}
	inst.stopping = true
	status, kind := StatusStopping, "stopping"
	msg := "stopping with a snapshot"
	if !snapshot {
		status, kind, msg = StatusForceStopping, "force-stopping", "stopping without a snapshot"
	}
	m.setStatus(ctx, inst, status, "", kind, msg)
	run := inst.run
	inst.mu.Unlock()

	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		bctx, cancel := context.WithTimeout(context.Background(), savepointTimeout)
		defer cancel()
		inst.mu.Lock()
		defer inst.mu.Unlock()
		if inst.run != run {
			return
		}
		if snapshot {
			if _, err := m.stopWithSnapshot(bctx, inst, run, "stop"); err != nil {
				inst.stopping = false
				m.setStatus(bctx, inst, StatusRunning, "", "stop-failed", "the stop with a snapshot failed, the job still runs: "+err.Error())
				return
			}
		} else if err := run.JobManager().CancelJob(bctx, run.JobID()); err != nil && !flink.IsNotFound(err) {
			m.log.Warn("canceling an application's job", "application", inst.rec.Name, "err", err)
		}
		m.endRunLocked(bctx, inst, StatusReady, "", "stopped", "stopped")
		inst.rec.Desired = DesiredStopped
		m.save(bctx, inst)
	}()
	return m.view(ctx, inst)
}
