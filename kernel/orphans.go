package kernel

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// A Flink job must not outlive the paragraph run that started it: a job
// nobody follows runs on untracked, holding task slots that no KPU
// accounts for. Closing a query's gateway operation cancels its job, but
// not when the gateway that ran it is gone; and a job whose run was cut
// off by a crash of Eddy itself is left behind as well.

// reapWait is how long a run's job may take to end by itself (after its
// operation is closed) before Eddy cancels it.
const reapWait = 5 * time.Second

// reapJob makes sure a run's job has ended once the run has: it waits a
// little for the job to end by itself, then cancels it through the
// JobManager. It says so in the paragraph's output when it had to.
func (ex *execution) reapJob(jobID string) {
	ctx, cancel := context.WithTimeout(context.Background(), reapWait+30*time.Second)
	defer cancel()
	jm := ex.k.jm
	for deadline := time.Now().Add(reapWait); ; {
		d, err := jm.Job(ctx, jobID)
		if err == nil && flink.JobTerminal(d.State) {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := jm.CancelJob(ctx, jobID); err != nil {
		ex.k.log.Warn("cannot cancel a job whose run has ended", "job", jobID, "err", err)
		ex.addMessage(notebooks.MessageText, fmt.Sprintf("Flink job %s may still be running: Eddy lost track of it and could not cancel it (%v). Cancel it in the Flink web UI.", jobID, err))
		return
	}
	ex.k.log.Warn("cancelled a job whose run had ended", "job", jobID, "paragraph", ex.p.ID)
	ex.addMessage(notebooks.MessageText, fmt.Sprintf("Eddy lost track of Flink job %s when this run ended, and cancelled it so it does not run on unseen.", jobID))
}

// findJob returns the id of the newest job named name that started at or
// after since, or "" if the cluster has none (yet).
func (k *Kernel) findJob(ctx context.Context, name string, since time.Time) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	jobs, err := k.jm.Jobs(ctx)
	if err != nil {
		return ""
	}
	var best flink.JobSummary
	for _, j := range jobs {
		// A second of slack: the JobManager's clock and Eddy's are the same
		// machine's in local mode, not always in remote mode.
		if j.Name == name && j.StartTime >= since.Add(-time.Second).UnixMilli() && j.StartTime > best.StartTime {
			best = j
		}
	}
	return best.ID
}

// ReconcileJobs cancels the jobs on the cluster that an earlier run of
// Eddy started and nothing follows any more: those named after a paragraph
// (see jobName) of a note this Eddy knows, started before this Eddy did
// (started, a later job belongs to one of its sessions). It returns the
// jobs it cancelled.
func ReconcileJobs(ctx context.Context, jm *flink.JobManager, started time.Time, known func(noteID string) bool) ([]flink.JobSummary, error) {
	jobs, err := jm.Jobs(ctx)
	if err != nil {
		return nil, err
	}
	var cancelled []flink.JobSummary
	for _, j := range jobs {
		noteID, ok := jobNote(j.Name)
		if !ok || flink.JobTerminal(j.State) || j.StartTime >= started.UnixMilli() || !known(noteID) {
			continue
		}
		if err := jm.CancelJob(ctx, j.ID); err != nil {
			return cancelled, fmt.Errorf("cancel orphaned job %s (%s): %w", j.ID, j.Name, err)
		}
		cancelled = append(cancelled, j)
	}
	return cancelled, nil
}

// jobNote returns the note id in the name jobName gives a paragraph's jobs.
func jobNote(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "eddy:")
	if !ok {
		return "", false
	}
	noteID, pid, ok := strings.Cut(rest, ":")
	return noteID, ok && noteID != "" && pid != ""
}
