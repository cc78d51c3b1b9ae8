package applications

// This file is rescaling: changing a running application's parallelism.
// On its own cluster the job is rescaled in place by Flink's adaptive
// scheduler (Eddy starts the TaskManagers the new parallelism needs, sets
// the job's resource requirements and stops the TaskManagers it no longer
// uses); elsewhere the job is stopped with a snapshot and started again
// from it. Either way its state is kept and its KPUs follow, reserved
// before anything changes.

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flink"
)

// Rescaler is a Run whose job can change its parallelism in place.
type Rescaler interface {
	// Rescale brings the job from parallelism from to parallelism to
	// (each vertex bounded by its maximum parallelism) and returns once
	// every task runs at it, with where the job restored its state from.
	Rescale(ctx context.Context, from, to int) (restored string, err error)
}

// rescaleTimeout bounds a rescale in place: the adaptive scheduler rescales
// at the next checkpoint, then restores the job from it.
func rescaleTimeout(checkpointInterval time.Duration) time.Duration {
	return 3*checkpointInterval + 3*time.Minute
}

// Rescale changes an application's parallelism, and its current
// parallelism with it (the autoscaler goes on from there). A READY or FAILED
// application only takes the new value for its next start; a RUNNING one
// is rescaled at once and keeps its state: in place where its run can
// (status UPDATING meanwhile), by a stop with a snapshot and a start from
// it otherwise. The KPUs a larger parallelism needs are reserved first: a
// refusal changes nothing. It returns once the rescale is under way.
func (m *Manager) Rescale(ctx context.Context, id string, parallelism int) (*Application, error) {
	inst, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	inst.mu.Lock()
	err = m.rescaleLocked(ctx, inst, parallelism, StatusUpdating, "")
	inst.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return m.view(ctx, inst)
}

// rescaleLocked checks and starts a rescale; status is what the
// application shows while it runs (UPDATING, or AUTOSCALING for the
// autoscaler, whose reason is cause). A user's rescale (UPDATING) sets
// the parallelism and the current parallelism; the autoscaler's only the
// current one. Caller holds inst.mu.
func (m *Manager) rescaleLocked(ctx context.Context, inst *instance, to int, status, cause string) error {
	r := inst.rec
	if err := m.checkConfig(r.Name, to, r.Target, r.Tags, r.CheckpointIntervalMs); err != nil {
		return err
	}
	if err := checkMaxParallelism(to, r.MaxParallelism); err != nil {
		return err
	}
	user := status != StatusAutoscaling
	from := r.CurrentParallelism
	if to == from {
		if user && r.Parallelism != to {
			// Autoscaled to what the user now asks for: it becomes the floor.
			m.event(ctx, inst, "configured", fmt.Sprintf("parallelism %d → %d, which it runs at already", r.Parallelism, to))
			r.Parallelism = to
			m.save(ctx, inst)
		}
		return nil
	}
	if inst.run == nil && (r.Status == StatusReady || r.Status == StatusFailed) {
		r.Parallelism, r.CurrentParallelism = to, to
		m.save(ctx, inst)
		m.event(ctx, inst, "configured", fmt.Sprintf("parallelism %d → %d: it runs with %d KPUs from its next start", from, to, m.kpusFor(to)))
		return nil
	}
	if inst.run == nil || inst.stopping || r.Status != StatusRunning {
		return eddy.Errorf(eddy.ECONFLICT, "application %s is %s: its parallelism changes while it is RUNNING (at once) or READY (for its next start)", r.Name, r.Status)
	}
	held, need := inst.kpus, m.kpusFor(to)
	if need > held {
		if err := m.cfg.Capacity.ReserveApplication(r.ID, r.Name, need-held, fmt.Sprintf("rescale application %s to parallelism %d", r.Name, to)); err != nil {
			return err
		}
		inst.kpus = need
	}
	run := inst.run
	rs, inPlace := run.(Rescaler)
	how := "in place"
	if !inPlace {
		how = "by a stop with a snapshot and a start from it"
		inst.stopping = true // the job's end is the rescale's
	}
	msg := fmt.Sprintf("parallelism %d → %d (%d → %d KPUs), %s", from, to, m.kpusFor(from), need, how)
	if cause != "" {
		msg = cause + ": " + msg
	}
	m.setStatus(ctx, inst, status, "", "rescaling", msg)
	interval := time.Duration(r.CheckpointIntervalMs) * time.Millisecond
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		bctx, cancel := context.WithTimeout(m.ctx, rescaleTimeout(interval))
		defer cancel()
		if inPlace {
			m.rescaleInPlace(bctx, inst, run, rs, from, to, held, user)
		} else {
			m.rescaleByRestart(bctx, inst, run, from, to, held, user)
		}
	}()
	return nil
}

// rescaleInPlace lets the run rescale its job and settles the KPUs and the
// status: the application is RUNNING again either way. user says whether
// the rescale sets the user's parallelism too.
func (m *Manager) rescaleInPlace(ctx context.Context, inst *instance, run Run, rs Rescaler, from, to, held int, user bool) {
	started := time.Now()
	restored, err := rs.Rescale(ctx, from, to)
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.run != run {
		return // the run ended meanwhile (its job failed): its KPUs went with it
	}
	if err != nil {
		m.releaseKPUsTo(inst, held)
		m.setStatus(ctx, inst, StatusRunning, "", "rescale-failed", fmt.Sprintf("the rescale to parallelism %d failed, the job runs on: %v", to, err))
		return
	}
	m.meterTo(inst, time.Now()) // the time so far at the old parallelism
	inst.rec.CurrentParallelism = to
	if user {
		inst.rec.Parallelism = to
	}
	m.releaseKPUsTo(inst, m.kpusFor(to))
	from0 := "its newest checkpoint"
	if restored != "" {
		from0 = filepath.Base(restored)
	}
	m.setStatus(ctx, inst, StatusRunning, "", "rescaled", fmt.Sprintf("parallelism %d → %d in place in %s; state restored from %s",
		from, to, time.Since(started).Round(time.Second), from0))
}

// rescaleByRestart stops the job with a snapshot and starts the
// application from it at the new parallelism, keeping its KPUs reserved
// throughout. A failed stop leaves the job running as it was.
func (m *Manager) rescaleByRestart(ctx context.Context, inst *instance, run Run, from, to, held int, user bool) {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.run != run {
		return
	}
	snap, err := m.stopWithSnapshot(ctx, inst, run, "rescale")
	if err != nil {
		inst.stopping = false
		m.releaseKPUsTo(inst, held)
		m.setStatus(ctx, inst, StatusRunning, "", "rescale-failed", fmt.Sprintf("the stop with a snapshot for the rescale to parallelism %d failed, the job runs on: %v", to, err))
		return
	}
	m.releaseRunLocked(ctx, inst)
	// Where it goes back to if the job cannot run at the new parallelism
	// from this snapshot (rollBackLocked).
	inst.fallback = &fallback{parallelism: from, userParallelism: inst.rec.Parallelism, snapshotID: snap.ID}
	inst.rec.CurrentParallelism = to
	if user {
		inst.rec.Parallelism = to
	}
	_ = m.startFallingBack(ctx, inst, fmt.Sprintf("rescale %d → %d", from, to), "again after the snapshot for the rescale")
}

// startFallingBack starts the application from the snapshot its fallback
// names. A start refused at submission (the notebook cluster's gateway
// restores at once) goes back to the fallback at once (rollBackLocked);
// a start that fails otherwise leaves the application FAILED, saying
// after what. Caller holds inst.mu and has set inst.fallback.
func (m *Manager) startFallingBack(ctx context.Context, inst *instance, why, after string) error {
	err := m.startLocked(context.WithoutCancel(ctx), inst, RestoreSnapshot, inst.fallback.snapshotID, why)
	if err == nil {
		return nil
	}
	if inst.fallback != nil && inst.run == nil {
		m.rollBackLocked(ctx, inst, err.Error())
		return err
	}
	if inst.run == nil {
		m.releaseKPUsTo(inst, 0)
	}
	if inst.rec.Status != StatusFailed {
		inst.rec.Desired = DesiredStopped
		m.setStatus(ctx, inst, StatusFailed, err.Error(), "failed", "it could not be started "+after+": "+err.Error())
	}
	return err
}

// releaseKPUsTo gives back what the instance holds above n KPUs. A
// rescale only ever reserves before it acts, so settling never needs to
// reserve. Caller holds inst.mu.
func (m *Manager) releaseKPUsTo(inst *instance, n int) {
	if n < inst.kpus {
		m.cfg.Capacity.ReleaseApplication(inst.rec.ID, inst.kpus-n)
		inst.kpus = n
	}
}

// Rescale rescales the application's job in place under the adaptive
// scheduler: it starts the TaskManagers the new parallelism needs, sets
// the job's resource requirements, waits until every task runs at the new
// parallelism and stops the TaskManagers that run none of its tasks.
func (r *standaloneRun) Rescale(ctx context.Context, from, to int) (string, error) {
	jm := r.app.JobManager()
	need := r.app.TaskManagersFor(to)
	if have := len(r.app.TaskManagerIDs()); have < need {
		r.app.AddTaskManagers(need - have)
	}
	if err := poll(ctx, func() (bool, error) {
		tms, err := jm.TaskManagers(ctx)
		slots := 0
		for _, tm := range tms {
			slots += tm.Slots
		}
		return err == nil && slots >= to, nil
	}); err != nil {
		return "", fmt.Errorf("the TaskManagers for parallelism %d did not register: %w", to, err)
	}
	job, err := jm.Job(ctx, r.jobID)
	if err != nil {
		return "", err
	}
	req, err := jm.ResourceRequirements(ctx, r.jobID)
	if err != nil {
		return "", err
	}
	want := map[string]int{}
	for _, v := range job.Vertices {
		d, err := jm.Vertex(ctx, r.jobID, v.ID)
		if err != nil {
			return "", err
		}
		want[v.ID] = vertexTarget(v.Parallelism, d.MaxParallelism, from, to)
		rq := req[v.ID]
		rq.Parallelism = flink.ParallelismBounds{LowerBound: 1, UpperBound: want[v.ID]}
		req[v.ID] = rq
	}
	if err := jm.SetResourceRequirements(ctx, r.jobID, req); err != nil {
		return "", err
	}
	if err := poll(ctx, func() (bool, error) {
		d, err := jm.Job(ctx, r.jobID)
		if err != nil {
			return false, nil
		}
		if flink.JobTerminal(d.State) {
			return false, fmt.Errorf("the job ended %s while it was rescaled", d.State)
		}
		for _, v := range d.Vertices {
			if v.Parallelism != want[v.ID] {
				return false, nil
			}
		}
		return d.TasksRunning(), nil
	}); err != nil {
		return "", fmt.Errorf("the job did not reach parallelism %d: %w", to, err)
	}
	restored := ""
	if st, err := jm.Checkpoints(ctx, r.jobID); err == nil && st.Latest.Restored != nil {
		restored = st.Latest.Restored.ExternalPath
	}
	// The job runs at the new parallelism: a TaskManager that cannot be
	// stopped is left running, not a failed rescale.
	if err := r.stopIdleTaskManagers(ctx, job.Vertices, need); err != nil {
		r.log.Warn("stopping an application's idle TaskManagers", "job", r.jobID, "err", err)
	}
	return restored, nil
}

// vertexTarget is a vertex's parallelism after a rescale from → to: a
// vertex that followed the job's parallelism (up to its own maximum)
// follows the new one; a vertex held lower (a global committer, a sink
// with its own parallelism) keeps its own.
func vertexTarget(current, maxParallelism, from, to int) int {
	if maxParallelism <= 0 {
		maxParallelism = upperMaxParallelism
	}
	if current != min(from, maxParallelism) {
		return current
	}
	return min(to, maxParallelism)
}

// stopIdleTaskManagers stops TaskManagers that run none of the job's tasks,
// newest first, until keep are left.
func (r *standaloneRun) stopIdleTaskManagers(ctx context.Context, vertices []flink.GraphVertex, keep int) error {
	ids := r.app.TaskManagerIDs()
	if len(ids) <= keep {
		return nil
	}
	used := map[string]bool{}
	for _, v := range vertices {
		tms, err := r.app.JobManager().VertexTaskManagers(ctx, r.jobID, v.ID)
		if err != nil {
			return fmt.Errorf("find the TaskManagers the job uses: %w", err)
		}
		for _, id := range tms {
			used[id] = true
		}
	}
	slices.Reverse(ids)
	for _, id := range ids {
		if len(r.app.TaskManagerIDs()) <= keep {
			break
		}
		if used[id] {
			continue
		}
		if err := r.app.StopTaskManager(id); err != nil {
			return err
		}
	}
	return nil
}

// poll calls check every half second until it reports done or an error,
// or ctx ends.
func poll(ctx context.Context, check func() (bool, error)) error {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
