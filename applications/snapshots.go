package applications

// This file is snapshots: Flink savepoints taken on request, on stop and
// at Eddy's shutdown, kept until deleted on request.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
)

// stopWithSnapshot stops the run's job with a savepoint into the
// application's snapshots and records it. Caller holds inst.mu.
func (m *Manager) stopWithSnapshot(ctx context.Context, inst *instance, run Run, trigger string) (*Snapshot, error) {
	if err := m.checkSnapshotQuota(ctx, inst); err != nil {
		return nil, err
	}
	jm := run.JobManager()
	id, err := jm.StopWithSavepoint(ctx, run.JobID(), m.snapshotDir(inst), false)
	if err != nil {
		return nil, err
	}
	path, err := jm.WaitSavepoint(ctx, run.JobID(), id)
	if err != nil {
		return nil, err
	}
	return m.recordSnapshot(ctx, inst, run, path, trigger)
}

func (m *Manager) snapshotDir(inst *instance) string {
	if sr, ok := m.cfg.Runners[inst.rec.Target].(*SessionRunner); ok && !sr.LocalState {
		return "" // a remote cluster cannot reach Eddy's disk: its own savepoint directory
	}
	return "file://" + filepath.Join(m.cfg.Dir, inst.rec.ID, "snapshots")
}

func (m *Manager) checkSnapshotQuota(ctx context.Context, inst *instance) error {
	snaps, err := m.cfg.Store.ListSnapshots(ctx, inst.rec.ID)
	if err != nil {
		return err
	}
	if len(snaps) >= m.cfg.Quotas.SnapshotsPerApplication {
		e := eddy.Errorf(eddy.ECONFLICT, "application %s has %d snapshots, the most allowed: delete one first", inst.rec.Name, len(snaps))
		e.Details = map[string]any{"quota": "snapshotsPerApplication", "limit": m.cfg.Quotas.SnapshotsPerApplication}
		return e
	}
	return nil
}

func (m *Manager) recordSnapshot(ctx context.Context, inst *instance, run Run, path, trigger string) (*Snapshot, error) {
	s := &Snapshot{ID: "snap-" + newID()[:12], Path: strings.TrimPrefix(path, "file:"), Version: inst.rec.Version,
		JobID: run.JobID(), Trigger: trigger, CreatedAt: time.Now().UTC()}
	if err := m.cfg.Store.AddSnapshot(ctx, inst.rec.ID, s); err != nil {
		return nil, err
	}
	m.event(ctx, inst, "snapshot", fmt.Sprintf("snapshot %s (%s) at %s", s.ID, trigger, s.Path))
	return s, nil
}

// TakeSnapshot takes a snapshot of a running application's job and waits
// for it.
func (m *Manager) TakeSnapshot(ctx context.Context, id string) (*Snapshot, error) {
	inst, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.run == nil || inst.rec.Status != StatusRunning || inst.stopping {
		return nil, eddy.Errorf(eddy.ECONFLICT, "application %s is %s: only a RUNNING application can take a snapshot", inst.rec.Name, inst.rec.Status)
	}
	if err := m.checkSnapshotQuota(ctx, inst); err != nil {
		return nil, err
	}
	run := inst.run
	sctx, cancel := context.WithTimeout(ctx, savepointTimeout)
	defer cancel()
	trig, err := run.JobManager().TriggerSavepoint(sctx, run.JobID(), m.snapshotDir(inst))
	if err != nil {
		return nil, err
	}
	path, err := run.JobManager().WaitSavepoint(sctx, run.JobID(), trig)
	if err != nil {
		m.event(ctx, inst, "snapshot-failed", err.Error())
		return nil, err
	}
	return m.recordSnapshot(ctx, inst, run, path, "manual")
}

// Snapshots lists an application's snapshots, newest first.
func (m *Manager) Snapshots(ctx context.Context, id string) ([]*Snapshot, error) {
	if _, err := m.lookup(id); err != nil {
		return nil, err
	}
	return m.cfg.Store.ListSnapshots(ctx, id)
}

// DeleteSnapshot deletes a snapshot's savepoint files and forgets it.
func (m *Manager) DeleteSnapshot(ctx context.Context, id, snapshotID string) error {
	inst, err := m.lookup(id)
	if err != nil {
		return err
	}
	inst.mu.Lock()
	defer inst.mu.Unlock()
	snaps, err := m.cfg.Store.ListSnapshots(ctx, id)
	if err != nil {
		return err
	}
	for _, s := range snaps {
		if s.ID != snapshotID {
			continue
		}
		if err := m.cfg.Store.DeleteSnapshot(ctx, id, snapshotID); err != nil {
			return err
		}
		// Only a directory inside the application's own snapshots is removed.
		if dir := filepath.Join(m.cfg.Dir, id, "snapshots"); strings.HasPrefix(filepath.Clean(s.Path), dir+string(filepath.Separator)) {
			if err := os.RemoveAll(s.Path); err != nil {
				m.log.Warn("removing a snapshot's files", "path", s.Path, "err", err)
			}
		}
		m.event(ctx, inst, "snapshot-deleted", "snapshot "+s.ID+" deleted")
		return nil
	}
	return eddy.Errorf(eddy.ENOTFOUND, "application %s has no snapshot %s", inst.rec.Name, snapshotID)
}
