package flink

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// JobManager is a client of the JobManager REST API (the API behind Flink's
// web UI). It is safe for concurrent use.
type JobManager struct {
	rc    restClient
	webUI string // where browsers open the web UI; "" for the REST address
}

// NewJobManager returns a client for the JobManager REST endpoint at baseURL
// (e.g. http://127.0.0.1:8081). A nil hc gets a client with a 60 s timeout.
func NewJobManager(baseURL string, hc *http.Client) *JobManager {
	return &JobManager{rc: newRESTClient(ServiceJobManager, baseURL, hc)}
}

// URL returns the REST endpoint's base URL, which also serves the web UI.
func (j *JobManager) URL() string { return j.rc.base }

// WithWebUI returns a copy of the client whose web UI links (WebUIURL,
// JobURL) go to base instead of the REST address: e.g. "/flink", a proxy
// of the web UI on the browser's own origin.
func (j *JobManager) WithWebUI(base string) *JobManager {
	c := *j
	c.webUI = strings.TrimSuffix(base, "/")
	return &c
}

// WebUIURL returns where browsers open the web UI, without a final slash.
func (j *JobManager) WebUIURL() string {
	if j.webUI != "" {
		return j.webUI
	}
	return j.rc.base
}

// JobURL returns the web UI page of a job.
func (j *JobManager) JobURL(jobID string) string {
	return j.WebUIURL() + "/#/job/running/" + jobID + "/overview"
}

// Overview is the cluster's summary.
type Overview struct {
	TaskManagers   int    `json:"taskmanagers"`
	SlotsTotal     int    `json:"slots-total"`
	SlotsAvailable int    `json:"slots-available"`
	JobsRunning    int    `json:"jobs-running"`
	FlinkVersion   string `json:"flink-version"`
}

// Overview returns the cluster's summary.
func (j *JobManager) Overview(ctx context.Context) (Overview, error) {
	var o Overview
	err := j.rc.do(ctx, "cluster overview", http.MethodGet, "/overview", nil, &o)
	return o, err
}

// JobSummary is one job of the cluster's job list.
type JobSummary struct {
	ID        string `json:"jid"`
	Name      string `json:"name"`
	State     string `json:"state"`
	StartTime int64  `json:"start-time"` // Unix milliseconds
}

// Jobs lists the cluster's jobs, ended ones included.
func (j *JobManager) Jobs(ctx context.Context) ([]JobSummary, error) {
	var out struct {
		Jobs []JobSummary `json:"jobs"`
	}
	err := j.rc.do(ctx, "job list", http.MethodGet, "/jobs/overview", nil, &out)
	return out.Jobs, err
}

// Job states as the JobManager names them: the terminal ones, and RUNNING.
const (
	JobRunning  = "RUNNING"
	JobFailed   = "FAILED"
	JobCanceled = "CANCELED"
	JobFinished = "FINISHED"
)

// JobTerminal reports whether a job in state will never change state again.
func JobTerminal(state string) bool {
	return state == JobFailed || state == JobCanceled || state == JobFinished
}

// JobDetail is one job's detail as GET /jobs/{jid} reports it (the fields
// Eddy uses): its state, its vertices and its plan.
type JobDetail struct {
	ID        string        `json:"jid"`
	Name      string        `json:"name"`
	State     string        `json:"state"`
	StartTime int64         `json:"start-time"` // Unix milliseconds
	Duration  int64         `json:"duration"`   // ms the job has existed
	Now       int64         `json:"now"`        // the JobManager's clock, Unix milliseconds
	Vertices  []GraphVertex `json:"vertices"`
	Plan      struct {
		Nodes []PlanNode `json:"nodes"`
	} `json:"plan"`
}

// TasksRunning reports whether the job runs and every one of its tasks
// does (or has finished, as a bounded source does): a job the JobManager
// calls RUNNING may still be scheduling or restarting its tasks, and
// cannot take a savepoint until they all run.
func (d JobDetail) TasksRunning() bool {
	if d.State != JobRunning || len(d.Vertices) == 0 {
		return false
	}
	for _, v := range d.Vertices {
		if v.Status != JobRunning && v.Status != JobFinished {
			return false
		}
	}
	return true
}

// Job returns one job's detail.
func (j *JobManager) Job(ctx context.Context, jobID string) (JobDetail, error) {
	var d JobDetail
	err := j.rc.do(ctx, "job detail", http.MethodGet, "/jobs/"+url.PathEscape(jobID), nil, &d)
	return d, err
}

// OperatorMetricNames returns the names of the metrics every vertex of a
// running job reports, e.g. "0.Source__t.KafkaSourceReader.KafkaConsumer.
// records-consumed-total". A job whose tasks are not running has none.
func (j *JobManager) OperatorMetricNames(ctx context.Context, jobID string) ([]string, error) {
	var job struct {
		Vertices []struct {
			ID string `json:"id"`
		} `json:"vertices"`
	}
	base := "/jobs/" + url.PathEscape(jobID)
	if err := j.rc.do(ctx, "job detail", http.MethodGet, base, nil, &job); err != nil {
		return nil, err
	}
	var names []string
	for _, v := range job.Vertices {
		var ms []struct {
			ID string `json:"id"`
		}
		if err := j.rc.do(ctx, "vertex metrics", http.MethodGet, base+"/vertices/"+url.PathEscape(v.ID)+"/metrics", nil, &ms); err != nil {
			return nil, err
		}
		for _, m := range ms {
			names = append(names, m.ID)
		}
	}
	return names, nil
}

// RootException returns the message of why a job failed, or "" if none.
func (j *JobManager) RootException(ctx context.Context, jobID string) (string, error) {
	var out struct {
		RootException string `json:"root-exception"`
		History       struct {
			Entries []struct {
				Stacktrace string `json:"stacktrace"`
			} `json:"entries"`
		} `json:"exceptionHistory"`
	}
	if err := j.rc.do(ctx, "job exceptions", http.MethodGet, "/jobs/"+url.PathEscape(jobID)+"/exceptions", nil, &out); err != nil {
		return "", err
	}
	trace := out.RootException
	if trace == "" && len(out.History.Entries) > 0 {
		trace = out.History.Entries[0].Stacktrace
	}
	if causes := causesOf("\n" + trace); len(causes) > 0 {
		return causes[len(causes)-1], nil
	}
	return trace, nil
}

// CancelJob asks the JobManager to cancel a job; it returns once accepted.
func (j *JobManager) CancelJob(ctx context.Context, jobID string) error {
	return j.rc.do(ctx, "cancel job", http.MethodPatch, "/jobs/"+url.PathEscape(jobID)+"?mode=cancel", nil, nil)
}

// StopWithSavepoint stops a job after taking a savepoint into dir (the
// cluster's default directory when empty) and returns the trigger id to
// wait for with WaitSavepoint.
func (j *JobManager) StopWithSavepoint(ctx context.Context, jobID, dir string, drain bool) (string, error) {
	in := map[string]any{"drain": drain}
	if dir != "" {
		in["targetDirectory"] = dir
	}
	var out struct {
		RequestID string `json:"request-id"`
	}
	err := j.rc.do(ctx, "stop with savepoint", http.MethodPost, "/jobs/"+url.PathEscape(jobID)+"/stop", in, &out)
	return out.RequestID, err
}

// savepointStatus is the state of a triggered savepoint.
type savepointStatus struct {
	Done     bool   // the savepoint completed or failed
	Location string // where it was written, when it completed
	Failure  string // why it failed, when it failed
}

// savepointStatus returns the state of savepoint trigger on job.
func (j *JobManager) savepointStatus(ctx context.Context, jobID, trigger string) (savepointStatus, error) {
	var out struct {
		Status struct {
			ID string `json:"id"`
		} `json:"status"`
		Operation struct {
			Location     string `json:"location"`
			FailureCause struct {
				Class      string `json:"class"`
				StackTrace string `json:"stack-trace"`
			} `json:"failure-cause"`
		} `json:"operation"`
	}
	path := "/jobs/" + url.PathEscape(jobID) + "/savepoints/" + url.PathEscape(trigger)
	if err := j.rc.do(ctx, "savepoint status", http.MethodGet, path, nil, &out); err != nil {
		return savepointStatus{}, err
	}
	st := savepointStatus{Done: out.Status.ID == "COMPLETED", Location: out.Operation.Location}
	if trace := out.Operation.FailureCause.StackTrace; trace != "" || out.Operation.FailureCause.Class != "" {
		st.Failure = out.Operation.FailureCause.Class
		if causes := causesOf("\n" + trace); len(causes) > 0 {
			st.Failure = causes[len(causes)-1]
		}
	}
	return st, nil
}

// WaitSavepoint polls a savepoint trigger until it completes and returns its
// location, or the failure as an error.
func (j *JobManager) WaitSavepoint(ctx context.Context, jobID, trigger string) (string, error) {
	delay := 100 * time.Millisecond
	for {
		st, err := j.savepointStatus(ctx, jobID, trigger)
		if err != nil {
			return "", err
		}
		if st.Done && st.Failure != "" {
			return "", fmt.Errorf("flink: savepoint of job %s failed: %s", jobID, st.Failure)
		}
		if st.Done {
			if st.Location == "" {
				return "", errors.New("flink: savepoint completed without a location")
			}
			return st.Location, nil
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Second)
	}
}

// CheckpointStats is a job's checkpoint summary (the fields Eddy uses).
type CheckpointStats struct {
	Latest struct {
		Completed *struct {
			ExternalPath string `json:"external_path"` // where a retained checkpoint is
		} `json:"completed"`
		// Restored is set once the job has restored its state from a
		// savepoint or checkpoint.
		Restored *struct {
			ExternalPath string `json:"external_path"`
			IsSavepoint  bool   `json:"is_savepoint"`
		} `json:"restored"`
	} `json:"latest"`
}

// Checkpoints returns a job's checkpoint summary.
func (j *JobManager) Checkpoints(ctx context.Context, jobID string) (CheckpointStats, error) {
	var st CheckpointStats
	err := j.rc.do(ctx, "checkpoints", http.MethodGet, "/jobs/"+url.PathEscape(jobID)+"/checkpoints", nil, &st)
	return st, err
}

// TriggerSavepoint takes a savepoint of a running job into dir (the
// cluster's default directory when empty), leaving the job running, and
// returns the trigger id to wait for with WaitSavepoint.
func (j *JobManager) TriggerSavepoint(ctx context.Context, jobID, dir string) (string, error) {
	in := map[string]any{"cancel-job": false, "formatType": "CANONICAL"}
	if dir != "" {
		in["target-directory"] = dir
	}
	var out struct {
		RequestID string `json:"request-id"`
	}
	err := j.rc.do(ctx, "trigger savepoint", http.MethodPost, "/jobs/"+url.PathEscape(jobID)+"/savepoints", in, &out)
	return out.RequestID, err
}

// ApplicationSummary is one application of a JobManager in application
// mode: the program it runs and how that program ended.
type ApplicationSummary struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"` // RUNNING, FINISHED, FAILED, CANCELED, ...
}

// Applications lists the programs a JobManager in application mode runs
// (Flink 2.3's /applications/overview).
func (j *JobManager) Applications(ctx context.Context) ([]ApplicationSummary, error) {
	var out struct {
		Applications []ApplicationSummary `json:"applications"`
	}
	err := j.rc.do(ctx, "application list", http.MethodGet, "/applications/overview", nil, &out)
	return out.Applications, err
}
