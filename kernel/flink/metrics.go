package flink

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// GraphVertex is one job vertex (task): a chain of operators run by
// Parallelism subtasks. Name is the chain, e.g. "Source: src[1] -> Calc[2]".
type GraphVertex struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Parallelism int    `json:"parallelism"`
	Status      string `json:"status"`
}

// PlanNode is one vertex of the job's plan: Description lists its
// operators with their SQL details (the scanned table, the watermark
// strategy), Inputs the vertices it reads from.
type PlanNode struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Inputs      []struct {
		ID string `json:"id"`
	} `json:"inputs"`
}

// MetricValue is a metric as the JobManager reports it. Flink writes NaN
// (a source's busy time, an empty aggregate) as the string "NaN", which
// becomes math.NaN here.
type MetricValue float64

// UnmarshalJSON accepts a JSON number, or a string holding one or NaN.
func (v *MetricValue) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" {
		*v = MetricValue(math.NaN())
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("metric value %s: %w", b, err)
	}
	*v = MetricValue(f)
	return nil
}

// Known reports whether the value is a number (not NaN).
func (v MetricValue) Known() bool { return !math.IsNaN(float64(v)) }

// AggregatedMetric is one metric aggregated over a vertex's subtasks.
type AggregatedMetric struct {
	ID  string      `json:"id"`
	Min MetricValue `json:"min"`
	Max MetricValue `json:"max"`
	Sum MetricValue `json:"sum"`
}

// maxMetricsPerRequest bounds the names asked in one metrics request, so
// its URL stays far below any server's limit; more names take more
// requests.
const maxMetricsPerRequest = 40

// VertexMetricNames returns the names of the metrics a vertex's subtasks
// report (task metrics such as "busyTimeMsPerSecond" and operator metrics
// such as "Source__src[1].numRecordsOut").
func (j *JobManager) VertexMetricNames(ctx context.Context, jobID, vertexID string) ([]string, error) {
	var ms []struct {
		ID string `json:"id"`
	}
	if err := j.rc.do(ctx, "vertex metrics", http.MethodGet, vertexPath(jobID, vertexID)+"/subtasks/metrics", nil, &ms); err != nil {
		return nil, err
	}
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.ID
	}
	return names, nil
}

// VertexMetrics returns the named metrics aggregated (min, max, sum) over a
// vertex's subtasks, by name. A name the vertex does not report is absent.
// Values are as recent as the JobManager's metric fetcher (it refreshes
// every few seconds, 10 s by default).
func (j *JobManager) VertexMetrics(ctx context.Context, jobID, vertexID string, names []string) (map[string]AggregatedMetric, error) {
	out := make(map[string]AggregatedMetric, len(names))
	for len(names) > 0 {
		batch := names[:min(len(names), maxMetricsPerRequest)]
		names = names[len(batch):]
		// Names hold '[', ']' and ':': unescaped, Flink answers [].
		q := url.Values{"get": {strings.Join(batch, ",")}, "agg": {"min,max,sum"}}
		var ms []AggregatedMetric
		if err := j.rc.do(ctx, "vertex metrics", http.MethodGet, vertexPath(jobID, vertexID)+"/subtasks/metrics?"+q.Encode(), nil, &ms); err != nil {
			return nil, err
		}
		for _, m := range ms {
			out[m.ID] = m
		}
	}
	return out, nil
}

// SubtaskMetrics returns the named metrics of one subtask of a vertex, by
// name. A name the subtask does not report is absent.
func (j *JobManager) SubtaskMetrics(ctx context.Context, jobID, vertexID string, subtask int, names []string) (map[string]MetricValue, error) {
	return j.metricValues(ctx, "subtask metrics", vertexPath(jobID, vertexID)+"/subtasks/"+strconv.Itoa(subtask)+"/metrics", names)
}

// metricValues asks a metrics endpoint (a subtask's, a TaskManager's) for
// the named metrics, a bounded number per request, and returns their
// values by name; a name it does not report is absent.
func (j *JobManager) metricValues(ctx context.Context, op, path string, names []string) (map[string]MetricValue, error) {
	out := make(map[string]MetricValue, len(names))
	for len(names) > 0 {
		batch := names[:min(len(names), maxMetricsPerRequest)]
		names = names[len(batch):]
		q := url.Values{"get": {strings.Join(batch, ",")}}
		var ms []struct {
			ID    string      `json:"id"`
			Value MetricValue `json:"value"`
		}
		if err := j.rc.do(ctx, op, http.MethodGet, path+"?"+q.Encode(), nil, &ms); err != nil {
			return nil, err
		}
		for _, m := range ms {
			out[m.ID] = m.Value
		}
	}
	return out, nil
}

// Backpressure is a vertex's backpressure as the JobManager samples it.
type Backpressure struct {
	Status   string `json:"status"`            // "ok" once sampled
	Level    string `json:"backpressureLevel"` // "ok", "low" or "high"
	Subtasks []struct {
		Subtask   int         `json:"subtask"`
		Ratio     MetricValue `json:"ratio"`     // share of time backpressured, 0..1
		IdleRatio MetricValue `json:"idleRatio"` // share of time idle
		BusyRatio MetricValue `json:"busyRatio"` // share of time busy; NaN for sources
	} `json:"subtasks"`
}

// Backpressure returns a vertex's backpressure.
func (j *JobManager) Backpressure(ctx context.Context, jobID, vertexID string) (Backpressure, error) {
	var b Backpressure
	err := j.rc.do(ctx, "vertex backpressure", http.MethodGet, vertexPath(jobID, vertexID)+"/backpressure", nil, &b)
	return b, err
}

// CheckpointSummary is a job's checkpoint counts and latest completed
// checkpoint.
type CheckpointSummary struct {
	Counts struct {
		Total     int64 `json:"total"`
		Completed int64 `json:"completed"`
		Failed    int64 `json:"failed"`
		Restored  int64 `json:"restored"`
	} `json:"counts"`
	Latest struct {
		Completed *struct {
			LatestAck int64 `json:"latest_ack_timestamp"` // Unix milliseconds
			StateSize int64 `json:"state_size"`           // bytes
		} `json:"completed"`
	} `json:"latest"`
}

// CheckpointSummary returns a job's checkpoint counts and latest completed
// checkpoint.
func (j *JobManager) CheckpointSummary(ctx context.Context, jobID string) (CheckpointSummary, error) {
	var s CheckpointSummary
	err := j.rc.do(ctx, "checkpoints", http.MethodGet, "/jobs/"+url.PathEscape(jobID)+"/checkpoints", nil, &s)
	return s, err
}

// CheckpointConfig is a job's checkpointing configuration.
type CheckpointConfig struct {
	Mode string // "exactly_once" or "at_least_once"
	// Interval is the checkpoint interval in ms; 0 when checkpointing is
	// off (Flink reports Long.MAX_VALUE then).
	Interval int64
}

// CheckpointConfig returns a job's checkpointing configuration.
func (j *JobManager) CheckpointConfig(ctx context.Context, jobID string) (CheckpointConfig, error) {
	var out struct {
		Mode     string      `json:"mode"`
		Interval json.Number `json:"interval"`
	}
	if err := j.rc.do(ctx, "checkpoint config", http.MethodGet, "/jobs/"+url.PathEscape(jobID)+"/checkpoints/config", nil, &out); err != nil {
		return CheckpointConfig{}, err
	}
	c := CheckpointConfig{Mode: out.Mode}
	if iv, err := out.Interval.Int64(); err == nil && iv > 0 && iv < math.MaxInt64 {
		c.Interval = iv
	}
	return c, nil
}

func vertexPath(jobID, vertexID string) string {
	return "/jobs/" + url.PathEscape(jobID) + "/vertices/" + url.PathEscape(vertexID)
}
