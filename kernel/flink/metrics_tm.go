package flink

// What autoscaling needs of the JobManager REST API: a TaskManager's own
// metrics (its JVM's CPU time).

import (
	"context"
	"net/url"
)

// TaskManager metrics Eddy reads.
const (
	// MetricCPUTime is the CPU time the TaskManager's JVM process has used
	// so far, in nanoseconds, over all its threads and cores.
	MetricCPUTime = "Status.JVM.CPU.Time"
	// MetricCPULoad is the JVM's recent CPU load as a fraction of all the
	// machine's cores (not of the CPUs the TaskManager stands for).
	MetricCPULoad = "Status.JVM.CPU.Load"
)

// TaskManagerMetrics returns the named metrics of one TaskManager, by
// name; a name it does not report is absent. Values are as recent as the
// JobManager's metric fetcher (it refreshes every few seconds, 10 s by
// default). An unknown TaskManager is a not-found error.
func (j *JobManager) TaskManagerMetrics(ctx context.Context, taskManagerID string, names []string) (map[string]MetricValue, error) {
	return j.metricValues(ctx, "taskmanager metrics", "/taskmanagers/"+url.PathEscape(taskManagerID)+"/metrics", names)
}
