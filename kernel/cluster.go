// Package kernel runs paragraphs: interpreters, statement splitting, result
// materialisation, the Flink clients and the local cluster launcher.
package kernel

import (
	"context"
	"sync"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
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
	Error          string `json:"error,omitempty"` // why the cluster is not ready, if known
	// Kafka is the broker notes reach by default; nil when Eddy knows none.
	Kafka *KafkaStatus `json:"kafka,omitempty"`
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

	mu           sync.Mutex    // guards the fields below
	startErr     string        // set when a local cluster failed to start
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
}

// ClusterStatus asks the JobManager and the gateway how they are, within a
// short timeout, and never fails: problems are reported in Error.
func (c *Cluster) ClusterStatus(ctx context.Context) ClusterStatus {
	st := ClusterStatus{Mode: c.Mode, GatewayURL: c.Gateway.URL(), RestURL: c.JobManager.URL(), WebUIURL: c.JobManager.WebUIURL() + "/"}
	c.mu.Lock()
	st.Error = c.startErr
	c.mu.Unlock()
	if st.Error != "" {
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
	switch {
	case ovErr != nil:
		st.Error = "jobmanager: " + ovErr.Error()
	case infoErr != nil:
		st.Error = "sql gateway: " + infoErr.Error()
	case ov.TaskManagers == 0:
		st.Error = "no taskmanager registered"
	default:
		st.Ready = true
	}
	return st
}
