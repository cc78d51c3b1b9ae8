package kernel

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// Paragraph config keys where Eddy records where a job can resume from.
const (
	ConfigSavepointPath        = "savepointPath"
	ConfigLatestCheckpointPath = "latestCheckpointPath"
)

func (ex *execution) runtimeInfos() map[string]any {
	r := ex.r
	r.mu.Lock()
	jobID := r.jobID
	r.mu.Unlock()
	if jobID == "" {
		return nil
	}
	// Zeppelin's shape, so its UI and Eddy's show the FLINK JOB link.
	return map[string]any{"jobUrl": map[string]any{
		"propertyName":         "jobUrl",
		"label":                "FLINK JOB",
		"tooltip":              "View in Flink web UI",
		"group":                "flink",
		"values":               []any{map[string]any{"jobUrl": ex.k.jm.JobURL(jobID)}},
		"interpreterSettingId": "flink",
	}}
}

// resumePath is where the paragraph's next job starts from, if anywhere:
// the run's own (RunFrom), an explicit savepoint path, the savepoint
// recorded by the last cancel or hand-off (resumeFromSavepoint) or the
// latest checkpoint (resumeFromLatestCheckpoint).
func (ex *execution) resumePath() string {
	switch {
	case ex.from != "":
		return ex.from
	case ex.props.SavepointPath != "":
		return ex.props.SavepointPath
	case ex.props.ResumeFromSavepoint:
		if v, ok := ex.p.Config[ConfigSavepointPath].(string); ok {
			return v
		}
	case ex.props.ResumeFromLatestCheckpoint:
		if v, ok := ex.p.Config[ConfigLatestCheckpointPath].(string); ok {
			return v
		}
	}
	return ""
}

func (ex *execution) parallelism() int {
	if ex.props.Parallelism > 0 {
		return ex.props.Parallelism
	}
	return 1
}

// followJob keeps the paragraph running while its detached job (INSERT,
// statement set) runs, as Zeppelin does: the paragraph ends when the job
// does, and cancelling the paragraph cancels the job, with a savepoint when
// savepointDir is set. A hand-off (HandOff) stops the job with a savepoint
// and ends the run as if the job had finished.
func (ex *execution) followJob(ctx context.Context, jobID, statement string) error {
	ex.r.addJob(Job{JobID: jobID, ParagraphID: ex.p.ID, Status: flink.JobRunning,
		Parallelism: ex.parallelism(), URL: ex.k.jm.JobURL(jobID), PlanPath: ex.plan})
	defer ex.r.endJob(jobID)
	defer ex.inspectJob(ctx, jobID, statement, true)()
	fl := ex.k.follow(ex.r, jobID)
	defer ex.k.unfollow(jobID, fl)
	ex.addMessage(notebooks.MessageText, "Job submitted: "+jobID)
	restoring := ex.beginRestore()
	jm := ex.k.jm
	for {
		select {
		case <-ctx.Done():
			return ex.stopJob(jobID)
		case req := <-fl.requests:
			loc, err := ex.handOff(jobID, req.dir, req.message)
			req.reply <- handOffReply{savepoint: loc, err: err}
			if err == nil {
				ex.handedOff = true
				return nil
			}
			continue // the job runs on, still followed
		case <-time.After(500 * time.Millisecond):
		}
		if restoring {
			restoring = !ex.checkRestore(ctx, jobID)
		}
		d, err := jm.Job(ctx, jobID)
		if err != nil {
			if ctx.Err() != nil {
				return ex.stopJob(jobID)
			}
			if flink.IsNotFound(err) {
				return eddy.Errorf(eddy.EUNAVAILABLE, "The Flink JobManager no longer knows job %s: it restarted, and the job was lost "+
					"(without high availability a JobManager forgets its jobs). Run the paragraph again; with "+
					"resumeFromLatestCheckpoint=true it continues from its last checkpoint.", jobID)
			}
			return err
		}
		ex.r.setJobStatus(jobID, d.State)
		if !flink.JobTerminal(d.State) {
			if ex.streaming && d.TasksRunning() {
				ex.r.setProducing(true)
			}
			continue
		}
		ex.recordCheckpoint(jobID)
		switch d.State {
		case flink.JobFinished:
			ex.addMessage(notebooks.MessageText, "Job finished: "+jobID)
			return nil
		case flink.JobCanceled:
			return errors.New("job " + jobID + " was cancelled outside Eddy")
		}
		cause, _ := jm.RootException(context.WithoutCancel(ctx), jobID)
		if cause == "" {
			cause = "no exception recorded"
		}
		return eddy.Errorf(eddy.EINVALID, "job %s failed: %s", jobID, cause)
	}
}

// stopJob stops a paragraph's job after a cancel: with a savepoint into
// savepointDir when set (recording its path for resumeFromSavepoint), else
// a plain cancel. It waits until the job has ended.
func (ex *execution) stopJob(jobID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	jm := ex.k.jm
	if dir := ex.props.SavepointDir; dir != "" {
		loc, err := ex.stopWithSavepoint(ctx, jobID, dir)
		if err != nil {
			return err
		}
		ex.setConfig(ConfigSavepointPath, loc)
		ex.addMessage(notebooks.MessageText, "Job stopped with a savepoint at "+loc)
	} else if err := jm.CancelJob(ctx, jobID); err != nil {
		return err
	}
	return ex.waitEnded(ctx, jobID)
}

// waitEnded waits until a job that is stopping has ended, and records its
// last checkpoint.
func (ex *execution) waitEnded(ctx context.Context, jobID string) error {
	jm := ex.k.jm
	for ctx.Err() == nil {
		d, err := jm.Job(ctx, jobID)
		if err == nil && flink.JobTerminal(d.State) {
			ex.r.setJobStatus(jobID, d.State)
			ex.recordCheckpoint(jobID)
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("job %s did not stop in time", jobID)
}

// stopWithSavepoint retries while the job's tasks are still deploying,
// when Flink refuses a savepoint.
func (ex *execution) stopWithSavepoint(ctx context.Context, jobID, dir string) (string, error) {
	if !strings.Contains(dir, "://") {
		dir = "file://" + dir
	}
	for {
		trigger, err := ex.k.jm.StopWithSavepoint(ctx, jobID, dir, false)
		if err != nil {
			return "", err
		}
		loc, err := ex.k.jm.WaitSavepoint(ctx, jobID, trigger)
		if err == nil || ctx.Err() != nil || !strings.Contains(strings.ToLower(err.Error()), "not all required tasks") {
			return loc, err
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// recordCheckpoint stores the job's latest retained checkpoint, for
// resumeFromLatestCheckpoint.
func (ex *execution) recordCheckpoint(jobID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := ex.k.jm.Checkpoints(ctx, jobID)
	if err == nil && st.Latest.Completed != nil && st.Latest.Completed.ExternalPath != "" {
		ex.setConfig(ConfigLatestCheckpointPath, st.Latest.Completed.ExternalPath)
	}
}

func (ex *execution) setConfig(key string, v any) {
	if ex.config == nil {
		ex.config = map[string]any{}
	}
	ex.config[key] = v
}
