package applications

import (
	"context"
	"fmt"
	"strings"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// UpdateRequest asks for an application's update to a new version built
// from its note's current content.
type UpdateRequest struct {
	// DryRun builds and checks the new version without recording it or
	// stopping anything.
	DryRun bool `json:"dryRun"`
	// AllowNonRestoredState updates even when some of the running
	// version's state has no operator in the new one (it is dropped).
	AllowNonRestoredState bool `json:"allowNonRestoredState"`
}

// UpdateReport is what an update changes: the scripts' diff and, per
// stateful operator of the current version, whether the new version
// restores its state.
type UpdateReport struct {
	From int    `json:"from"`
	To   int    `json:"to"`
	Diff string `json:"diff"`
	// Check compares the versions' compiled plans; absent when one has
	// none (Uncheckable says why: Flink then decides at the start).
	Check       *PlanCheck `json:"check,omitempty"`
	Uncheckable string     `json:"uncheckable,omitempty"`
	// Application is the application once the update is under way (not
	// for a dry run).
	Application *Application `json:"application,omitempty"`
}

// Update builds the application's note into a new version and reports
// what it changes. Unless req.DryRun, the version becomes current: a READY
// or FAILED application runs it at its next start; a RUNNING one is
// UPDATING: its job stops with a snapshot and the new version starts from
// it, and if that job fails before it runs the application goes
// ROLLING_BACK to the previous version, started from the same snapshot.
// The application's version changes when the new version starts. A new
// version that would lose state is refused with ECONFLICT (Details:
// StateRefusal) before anything stops, unless AllowNonRestoredState.
func (m *Manager) Update(ctx context.Context, id string, req UpdateRequest) (*UpdateReport, error) {
	inst, err := m.lookup(id)
	if err != nil {
		return nil, err
	}
	// The build talks to the gateway for seconds: it runs without the
	// application's lock, which the update then takes and checks that
	// nothing changed meanwhile.
	inst.mu.Lock()
	_, err = updatable(inst)
	r := *inst.rec
	inst.mu.Unlock()
	if err != nil {
		return nil, err
	}
	cur, err := m.cfg.Store.FindVersion(ctx, r.ID, r.Version)
	if err != nil {
		return nil, err
	}
	note, v, err := m.draftVersion(ctx, r.NoteID, r.Version+1)
	if err != nil {
		return nil, err
	}
	rep := &UpdateReport{From: cur.Number, To: v.Number,
		Diff: scriptDiff(cur.Script, v.Script, fmt.Sprintf("version %d", cur.Number), fmt.Sprintf("version %d", v.Number))}
	switch {
	case len(cur.CompiledPlan) == 0:
		rep.Uncheckable = fmt.Sprintf("version %d runs without a compiled plan (%s): whether its state restores is known when the new version starts", cur.Number, orWhy(cur.Uncompiled))
	case len(v.CompiledPlan) == 0:
		rep.Uncheckable = fmt.Sprintf("the new version has no compiled plan (%s): whether the state restores is known when it starts", orWhy(v.Uncompiled))
	default:
		if rep.Check, err = CheckPlans(cur.CompiledPlan, v.CompiledPlan); err != nil {
			return nil, err
		}
	}
	if req.DryRun {
		return rep, nil
	}
	inst.mu.Lock()
	err = m.updateLocked(ctx, inst, req, rep, cur, note, v)
	inst.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if rep.Application, err = m.view(ctx, inst); err != nil {
		return nil, err
	}
	return rep, nil
}

// updatable reports whether the application can be updated now, and
// whether it runs. Caller holds inst.mu.
func updatable(inst *instance) (running bool, err error) {
	r := inst.rec
	running = inst.run != nil && r.Status == StatusRunning
	if !running && (inst.run != nil || (r.Status != StatusReady && r.Status != StatusFailed)) {
		return false, eddy.Errorf(eddy.ECONFLICT, "application %s is %s: only a RUNNING, READY or FAILED application can be updated", r.Name, r.Status)
	}
	return running, nil
}

// updateLocked records v, built from cur, and deploys it. Caller holds
// inst.mu.
func (m *Manager) updateLocked(ctx context.Context, inst *instance, req UpdateRequest, rep *UpdateReport, cur *Version, note *notebooks.Note, v *Version) error {
	r := inst.rec
	running, err := updatable(inst)
	if err != nil {
		return err
	}
	if r.Version != cur.Number {
		return eddy.Errorf(eddy.ECONFLICT, "application %s changed to version %d while version %d was built: update again", r.Name, r.Version, v.Number)
	}
	if rep.Check != nil {
		if err := takeOver(v, cur.CompiledPlan, req.AllowNonRestoredState, fmt.Sprintf("version %d", cur.Number),
			fmt.Sprintf("Update allowing non-restored state, or keep version %d", cur.Number)); err != nil {
			if e, ok := err.(*eddy.Error); ok {
				if sr, ok := e.Details.(StateRefusal); ok {
					sr.Diff = rep.Diff
					e.Details = sr
				}
			}
			return err
		}
	}
	if err := m.recordRevision(ctx, v, r.NoteID, r.Name); err != nil {
		return err
	}
	if err := m.cfg.Store.AddVersion(ctx, r.ID, v); err != nil {
		return err
	}
	if !running {
		r.Version = v.Number
	}
	r.NoteName = note.Name
	m.save(ctx, inst)
	m.event(ctx, inst, "version", fmt.Sprintf("version %d built from note %q (revision %s)%s", v.Number, note.Name, v.NoteRevision, checkSummary(rep.Check)))
	if running {
		inst.stopping = true // the job's end is the update's
		m.setStatus(ctx, inst, StatusUpdating, "", "updating", fmt.Sprintf("updating from version %d to %d: a snapshot, then version %d starts from it", cur.Number, v.Number, v.Number))
		run := inst.run
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.updateRun(inst, run, cur.Number, v.Number)
		}()
	}
	return nil
}

// updateRun stops the running job with a snapshot and starts the new
// version from it. A failed snapshot leaves the job running on the
// previous version.
func (m *Manager) updateRun(inst *instance, run Run, from, to int) {
	ctx, cancel := context.WithTimeout(context.Background(), savepointTimeout)
	defer cancel()
	inst.mu.Lock()
	defer inst.mu.Unlock()
	if inst.run != run {
		return
	}
	r := inst.rec
	snap, err := m.stopWithSnapshot(ctx, inst, run, "update")
	if err != nil {
		inst.stopping = false
		m.setStatus(ctx, inst, StatusRunning, "", "update-failed", fmt.Sprintf("the snapshot for the update failed, version %d runs on: %v", from, err))
		return
	}
	m.releaseRunLocked(ctx, inst)
	r.Version = to
	inst.fallback = &fallback{snapshotID: snap.ID, parallelism: r.CurrentParallelism, userParallelism: r.Parallelism, version: from}
	_ = m.startFallingBack(ctx, inst, fmt.Sprintf("update from version %d to %d", from, to), "after the snapshot for the update")
}

// checkSummary sums a plan check up for an event.
func checkSummary(c *PlanCheck) string {
	if c == nil {
		return ""
	}
	if c.Compatible {
		return fmt.Sprintf("; the state of all %d stateful operators restores", len(c.Operators))
	}
	return "; state dropped: " + lostState(c)
}

func orWhy(why string) string {
	if why == "" {
		return "it was built before plans were compiled"
	}
	return why
}

// scriptDiff is a unified diff of two scripts, three lines of context
// around each change.
func scriptDiff(old, new, oldName, newName string) string {
	a, b := strings.Split(old, "\n"), strings.Split(new, "\n")
	// lcs[i][j] is the length of the longest common subsequence of a[i:]
	// and b[j:]; scripts are small.
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op     byte
		text   string
		ai, bi int // 0-based positions in a and b
	}
	var lines []line
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			lines = append(lines, line{' ', a[i], i, j})
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			lines = append(lines, line{'-', a[i], i, j})
			i++
		default:
			lines = append(lines, line{'+', b[j], i, j})
			j++
		}
	}
	const context = 3
	var sb strings.Builder
	for k := 0; k < len(lines); {
		if lines[k].op == ' ' {
			k++
			continue
		}
		start := max(0, k-context)
		end := k
		for end < len(lines) {
			if lines[end].op != ' ' {
				end++
				continue
			}
			run := end
			for run < len(lines) && lines[run].op == ' ' {
				run++
			}
			if run == len(lines) || run-end > 2*context {
				end = min(len(lines), end+context)
				break
			}
			end = run
		}
		if sb.Len() == 0 {
			fmt.Fprintf(&sb, "--- %s\n+++ %s\n", oldName, newName)
		}
		na, nb := 0, 0
		for _, l := range lines[start:end] {
			if l.op != '+' {
				na++
			}
			if l.op != '-' {
				nb++
			}
		}
		fmt.Fprintf(&sb, "@@ -%d,%d +%d,%d @@\n", lines[start].ai+1, na, lines[start].bi+1, nb)
		for _, l := range lines[start:end] {
			sb.WriteByte(l.op)
			sb.WriteString(l.text)
			sb.WriteByte('\n')
		}
		k = end
	}
	return sb.String()
}
