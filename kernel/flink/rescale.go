package flink

// What rescaling a job in place needs of the JobManager REST API: the
// adaptive scheduler's per-vertex parallelism bounds, each vertex's
// maximum parallelism, and which TaskManagers run a vertex's subtasks.

import (
	"context"
	"net/http"
	"net/url"
)

// ParallelismBounds is the parallelism the adaptive scheduler may give a
// vertex: it runs it with as many subtasks as slots allow, up to
// UpperBound, and not at all below LowerBound.
type ParallelismBounds struct {
	LowerBound int `json:"lowerBound"`
	UpperBound int `json:"upperBound"`
}

// VertexRequirement is one vertex's entry of a job's resource requirements.
type VertexRequirement struct {
	Parallelism ParallelismBounds `json:"parallelism"`
}

// ResourceRequirements returns a job's resource requirements by vertex id
// (a job under the adaptive scheduler).
func (j *JobManager) ResourceRequirements(ctx context.Context, jobID string) (map[string]VertexRequirement, error) {
	out := map[string]VertexRequirement{}
	err := j.rc.do(ctx, "resource requirements", http.MethodGet, "/jobs/"+url.PathEscape(jobID)+"/resource-requirements", nil, &out)
	return out, err
}

// SetResourceRequirements replaces a job's resource requirements: the
// adaptive scheduler rescales the job to them in place (restoring its
// state from the newest checkpoint), without a savepoint or a restart of
// the cluster. A bound above a vertex's maximum parallelism is refused.
func (j *JobManager) SetResourceRequirements(ctx context.Context, jobID string, req map[string]VertexRequirement) error {
	return j.rc.do(ctx, "set resource requirements", http.MethodPut, "/jobs/"+url.PathEscape(jobID)+"/resource-requirements", req, nil)
}

// VertexDetail is one vertex as GET /jobs/{jid}/vertices/{vid} reports it
// (the fields Eddy uses).
type VertexDetail struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Parallelism    int    `json:"parallelism"`
	MaxParallelism int    `json:"maxParallelism"`
}

// Vertex returns one vertex of a job.
func (j *JobManager) Vertex(ctx context.Context, jobID, vertexID string) (VertexDetail, error) {
	var v VertexDetail
	err := j.rc.do(ctx, "vertex detail", http.MethodGet, "/jobs/"+url.PathEscape(jobID)+"/vertices/"+url.PathEscape(vertexID), nil, &v)
	return v, err
}

// VertexTaskManagers returns the ids of the TaskManagers that run (or ran,
// in the current attempt) subtasks of a vertex.
func (j *JobManager) VertexTaskManagers(ctx context.Context, jobID, vertexID string) ([]string, error) {
	var out struct {
		TaskManagers []struct {
			ID string `json:"taskmanager-id"`
		} `json:"taskmanagers"`
	}
	err := j.rc.do(ctx, "vertex taskmanagers", http.MethodGet,
		"/jobs/"+url.PathEscape(jobID)+"/vertices/"+url.PathEscape(vertexID)+"/taskmanagers", nil, &out)
	ids := make([]string, 0, len(out.TaskManagers))
	for _, tm := range out.TaskManagers {
		ids = append(ids, tm.ID)
	}
	return ids, err
}

// TaskManagerInfo is one registered TaskManager.
type TaskManagerInfo struct {
	ID        string `json:"id"`
	Slots     int    `json:"slotsNumber"`
	FreeSlots int    `json:"freeSlots"`
}

// TaskManagers lists the TaskManagers registered with the JobManager.
func (j *JobManager) TaskManagers(ctx context.Context) ([]TaskManagerInfo, error) {
	var out struct {
		TaskManagers []TaskManagerInfo `json:"taskmanagers"`
	}
	err := j.rc.do(ctx, "taskmanagers", http.MethodGet, "/taskmanagers", nil, &out)
	return out.TaskManagers, err
}
