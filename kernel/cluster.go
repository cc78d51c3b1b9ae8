// Package kernel runs paragraphs: interpreters, statement splitting, result
// materialisation, the Flink clients and the local cluster launcher.
package kernel

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
	"github.com/eddy-notebooks/eddy/kernel/pyworker"
)

// Cluster modes.
const (
	ModeLocal  = "local"  // Eddy launched and supervises the cluster
	ModeRemote = "remote" // Eddy uses an existing gateway and JobManager
)

// ClusterStatus is what Eddy knows of the Flink cluster it submits to.
type ClusterStatus struct {
	Mode           string `json:"mode"` // "local" or "remote"
	Ready          bool   `json:"ready"`
	FlinkVersion   string `json:"flinkVersion"`
	GatewayURL     string `json:"gatewayUrl"`
	RestURL        string `json:"restUrl"`
	WebUIURL       string `json:"webUiUrl"` // where browsers open the Flink web UI: Eddy's proxy ("/flink/") or RestURL + "/"
	TaskManagers   int    `json:"taskManagers"`
	SlotsTotal     int    `json:"slotsTotal"`
	SlotsAvailable int    `json:"slotsAvailable"`
	JobsRunning    int    `json:"jobsRunning"`
	Error          string `json:"error,omitempty"` // why the cluster is not ready, in words, if known
	// State is "starting" while a cluster Eddy launched comes up (Error
	// is then empty: a process not answering yet is no failure), "ready",
	// "failed" when it could not be started, or "unavailable" when a
	// cluster that was up, or a remote one, does not answer.
	State string `json:"state"`
	// Stage says, while starting, what is up and what is awaited;
	// Processes says it per process, in start order; StartedAt is when
	// the start began.
	Stage     string          `json:"stage,omitempty"`
	Processes []ProcessStatus `json:"processes,omitempty"`
	StartedAt time.Time       `json:"startedAt,omitzero"`
	// Kafka is the broker notes reach by default; nil when Eddy knows none.
	Kafka *KafkaStatus `json:"kafka,omitempty"`
}

// Cluster states (ClusterStatus.State).
const (
	StateStarting    = "starting"
	StateReady       = "ready"
	StateFailed      = "failed"
	StateUnavailable = "unavailable"
)

// ProcessStatus is whether one process of the cluster answers: the
// JobManager, the TaskManager (registered with the JobManager) or the SQL
// Gateway.
type ProcessStatus struct {
	Name string `json:"name"`
	Up   bool   `json:"up"`
}

// KafkaStatus is what Eddy knows of its Kafka broker.
type KafkaStatus struct {
	Mode      string `json:"mode"`      // "local" (Eddy runs it) or "remote"
	Bootstrap string `json:"bootstrap"` // host:port for properties.bootstrap.servers
	Ready     bool   `json:"ready"`     // it accepts connections
	Error     string `json:"error,omitempty"`
	// Restarts counts how often Eddy restarted a local broker that
	// exited, and LastExit says why it last did.
	Restarts int    `json:"restarts,omitempty"`
	LastExit string `json:"lastExit,omitempty"`
}

// Cluster is the Flink cluster Eddy submits to, local or remote: the two
// REST clients plus what Eddy knows of its readiness. Safe for concurrent use.
type Cluster struct {
	Mode       string
	Gateway    *flink.Gateway
	JobManager *flink.JobManager
	// Kafka is the broker's bootstrap address ("" for none) and KafkaMode
	// whether Eddy runs it (ModeLocal) or it exists already (ModeRemote).
	Kafka, KafkaMode string
	// KafkaCrashes, for a broker Eddy runs, reports how often its
	// supervisor restarted it and why it last exited. Nil otherwise.
	KafkaCrashes func() (restarts int, last localflink.Exit)
	// Python says how to start the Python workers of notes' Python
	// paragraphs (Dir is the parent of the notes' worker directories);
	// nil refuses Python paragraphs.
	Python *pyworker.Config

	mu           sync.Mutex    // guards the fields below
	startErr     string        // set when a local cluster failed to start
	startedAt    time.Time     // set while a local cluster starts (SetStarting), zero once ready
	outage       *KafkaOutage  // the broker's current or last outage (WatchKafka)
	kafkaChanged chan struct{} // closed when outage changes
}

// NewCluster returns a Cluster for the gateway and JobManager at these URLs.
func NewCluster(mode, gatewayURL, restURL string) *Cluster {
	return &Cluster{
		Mode:       mode,
		Gateway:    flink.NewGateway(gatewayURL, nil),
		JobManager: flink.NewJobManager(restURL, nil),
	}
}

// KafkaBootstrap is the Kafka broker's bootstrap address, "" for none.
func (c *Cluster) KafkaBootstrap() string { return c.Kafka }

// JobManagerURL is the JobManager's REST address, which also serves the
// Flink web UI; it asks nothing.
func (c *Cluster) JobManagerURL() string { return c.JobManager.URL() }

// SetStartError records why the cluster could not be started.
func (c *Cluster) SetStartError(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.startErr = msg
	c.startedAt = time.Time{}
}

// SetStarting records that Eddy launched the cluster's processes at and
// waits for them: until SetReady, processes that do not answer are
// reported as starting, not as errors.
func (c *Cluster) SetStarting(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.startErr = ""
	c.startedAt = at
}

// SetReady records that the cluster Eddy started came up: from now on a
// process that does not answer is unavailable.
func (c *Cluster) SetReady() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.startedAt = time.Time{}
}

// NotReady returns, for a cluster Eddy launched that is still coming up or
// failed to, an eddy.EUNAVAILABLE error saying so in words; nil otherwise.
// Nothing is asked of the cluster: a gateway already up while the rest
// starts takes statements (they wait for the JobManager), so this explains
// a refusal, it does not predict one.
func (c *Cluster) NotReady() error {
	c.mu.Lock()
	startErr, startedAt := c.startErr, c.startedAt
	c.mu.Unlock()
	switch {
	case startErr != "":
		return eddy.Errorf(eddy.EUNAVAILABLE, "Flink did not start: %s", startErr)
	case !startedAt.IsZero():
		return eddy.Errorf(eddy.EUNAVAILABLE, "Flink is still starting (for %s): run the paragraph again once the cluster panel says it is ready",
			time.Since(startedAt).Round(time.Second))
	}
	return nil
}

// ClusterStatus asks the JobManager and the gateway how they are, within a
// short timeout, and never fails: problems are reported in Error.
func (c *Cluster) ClusterStatus(ctx context.Context) ClusterStatus {
	st := ClusterStatus{Mode: c.Mode, GatewayURL: c.Gateway.URL(), RestURL: c.JobManager.URL(), WebUIURL: c.JobManager.WebUIURL() + "/"}
	c.mu.Lock()
	st.Error, st.StartedAt = c.startErr, c.startedAt
	c.mu.Unlock()
	if st.Error != "" {
		st.State = StateFailed
		return st
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var (
		wg      sync.WaitGroup
		ov      flink.Overview
		info    flink.Info
		ovErr   error
		infoErr error
	)
	wg.Add(2)
	go func() { defer wg.Done(); ov, ovErr = c.JobManager.Overview(ctx) }()
	go func() { defer wg.Done(); info, infoErr = c.Gateway.Info(ctx) }()
	wg.Wait()
	if c.Kafka != "" {
		st.Kafka = &KafkaStatus{Mode: c.KafkaMode, Bootstrap: c.Kafka}
		if c.KafkaCrashes != nil {
			var last localflink.Exit
			st.Kafka.Restarts, last = c.KafkaCrashes()
			if !last.At.IsZero() {
				st.Kafka.LastExit = last.Reason + " at " + last.At.UTC().Format(time.RFC3339)
			}
		}
		if err := localflink.ProbeKafka(ctx, c.Kafka); err != nil {
			st.Kafka.Error = err.Error()
		} else {
			st.Kafka.Ready = true
		}
	}
	st.FlinkVersion = ov.FlinkVersion
	if st.FlinkVersion == "" {
		st.FlinkVersion = info.Version
	}
	st.TaskManagers, st.SlotsTotal, st.SlotsAvailable, st.JobsRunning = ov.TaskManagers, ov.SlotsTotal, ov.SlotsAvailable, ov.JobsRunning
	st.Processes = []ProcessStatus{
		{Name: "JobManager", Up: ovErr == nil},
		{Name: "TaskManager", Up: ovErr == nil && ov.TaskManagers > 0},
		{Name: "SQL Gateway", Up: infoErr == nil},
	}
	switch {
	case ovErr == nil && infoErr == nil && ov.TaskManagers > 0:
		st.Ready, st.State, st.StartedAt, st.Processes = true, StateReady, time.Time{}, nil
	case !st.StartedAt.IsZero():
		st.State, st.Stage = StateStarting, startStage(st.Processes)
	default:
		st.State = StateUnavailable
		switch {
		case ovErr != nil:
			st.Error = "The JobManager at " + c.JobManager.URL() + " does not answer (" + localflink.NetCause(ovErr) + ")."
		case infoErr != nil:
			st.Error = "The SQL Gateway at " + c.Gateway.URL() + " does not answer (" + localflink.NetCause(infoErr) + ")."
		default:
			st.Error = "No TaskManager is registered with the JobManager: queries cannot run."
		}
	}
	return st
}

// startStage says what of a starting cluster is up and what is awaited,
// e.g. "JobManager up; waiting for the TaskManager and the SQL Gateway".
func startStage(ps []ProcessStatus) string {
	var up, waiting []string
	for _, p := range ps {
		if p.Up {
			up = append(up, p.Name)
		} else {
			waiting = append(waiting, "the "+p.Name)
		}
	}
	if len(up) == 0 {
		return "Waiting for " + joinAnd(waiting)
	}
	return joinAnd(up) + " up; waiting for " + joinAnd(waiting)
}

// joinAnd joins words as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
