// Package flinktest gives tests a real Flink cluster: the one the test
// harness shares across packages (EDDY_TEST_FLINK_GATEWAY and
// EDDY_TEST_FLINK_REST, set by scripts/with-flink, with EDDY_TEST_PYTHON
// when it runs Python UDFs), or else one local cluster started for the
// test binary from the provisioned .flink directory.
package flinktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// Env names of a shared cluster.
const (
	EnvGateway = "EDDY_TEST_FLINK_GATEWAY"
	EnvRest    = "EDDY_TEST_FLINK_REST"
	EnvKafka   = "EDDY_TEST_KAFKA_BOOTSTRAP"
	EnvPython  = "EDDY_TEST_PYTHON"
)

// Endpoints are the clients of a running cluster and its Kafka broker.
type Endpoints struct {
	Gateway    *flink.Gateway
	JobManager *flink.JobManager
	Kafka      string // the broker's bootstrap address
	// Python is the interpreter (with apache-flink) the cluster runs
	// Python UDFs with; "" when it has none.
	Python string
}

// binaryCluster is the cluster started for this test binary, if any. It is
// process state by nature: one cluster for all tests of the binary.
var binaryCluster struct {
	once    sync.Once
	local   *localflink.Cluster
	cluster *Endpoints
	dir     string
	err     error
}

// Cluster returns the shared real cluster, starting one if needed. A test
// that needs Flink fails (it does not skip) when no cluster can be had.
func Cluster(t testing.TB) *Endpoints {
	t.Helper()
	if gw, rest := os.Getenv(EnvGateway), os.Getenv(EnvRest); gw != "" && rest != "" {
		return &Endpoints{Gateway: flink.NewGateway(gw, nil), JobManager: flink.NewJobManager(rest, nil), Kafka: os.Getenv(EnvKafka), Python: os.Getenv(EnvPython)}
	}
	b := &binaryCluster
	b.once.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			b.err = err
			return
		}
		b.dir, err = os.MkdirTemp("", "eddy-flinktest-")
		if err != nil {
			b.err = err
			return
		}
		b.local, b.err = Start(context.Background(), root, b.dir, true)
		if b.err == nil {
			b.cluster = &Endpoints{Gateway: flink.NewGateway(b.local.GatewayURL(), nil), JobManager: flink.NewJobManager(b.local.RestURL(), nil),
				Kafka: b.local.KafkaBootstrap(), Python: b.local.Config().Python}
		}
	})
	if b.err != nil {
		t.Fatalf("no Flink cluster for this test: %v", b.err)
	}
	return b.cluster
}

// Start starts a local cluster from the repository's provisioned Flink,
// with its connectors and Eddy's catalog, in dir (and, with kafka, the provisioned Kafka
// broker beside it) and waits until it is ready.
func Start(ctx context.Context, root, dir string, kafka bool) (*localflink.Cluster, error) {
	cfg, err := LocalConfig(root, dir, kafka)
	if err != nil {
		return nil, err
	}
	c, err := localflink.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := errors.Join(c.WaitReady(ctx), c.WaitKafkaReady(ctx)); err != nil {
		return nil, errors.Join(err, c.Close())
	}
	return c, nil
}

// LocalConfig is the configuration of a local cluster in dir with the
// Flink, connectors and catalog jar that 'make flink' installed under root,
// and the Python of 'make python' if it is there.
func LocalConfig(root, dir string, kafka bool) (localflink.Config, error) {
	home := filepath.Join(root, ".flink", "home")
	jars, _ := filepath.Glob(filepath.Join(root, ".flink", "jars", "flink-sql-gateway-*.jar"))
	if len(jars) == 0 {
		return localflink.Config{}, fmt.Errorf("flink is not provisioned in %s/.flink: run 'make flink'", root)
	}
	connectors, _ := filepath.Glob(filepath.Join(root, ".flink", "connectors", "*.jar"))
	if len(connectors) == 0 {
		return localflink.Config{}, fmt.Errorf("no connector jars in %s/.flink/connectors: run 'make flink'", root)
	}
	catalogJar := filepath.Join(root, ".flink", "catalog", "eddy-catalog.jar")
	cfg := localflink.Config{FlinkHome: home, GatewayJar: jars[0], ConnectorJars: append(connectors, catalogJar),
		CatalogDir: filepath.Join(dir, "catalog"), Dir: filepath.Join(dir, "flink")}
	if kafka {
		cfg.Kafka = localflink.KafkaConfig{Lib: filepath.Join(root, ".kafka", "lib"), Dir: filepath.Join(dir, "kafka")}
	}
	if python := filepath.Join(root, ".flink", "pyvenv", "bin", "python"); fileExists(python) {
		cfg.Python = python
	}
	return cfg, nil
}

// Main runs a package's tests and then stops the cluster started for them.
// Use it from TestMain: func TestMain(m *testing.M) { flinktest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if b := &binaryCluster; b.local != nil {
		if err := b.local.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "flinktest:", err)
		}
		os.RemoveAll(b.dir)
	}
	os.Exit(code)
}

// CheckpointCounts are a job's checkpoint counts as the JobManager reports
// them.
type CheckpointCounts struct {
	Completed int `json:"completed"`
	Restored  int `json:"restored"`
}

// Checkpoints returns a job's checkpoint counts, with which tests check that
// a job was restored from a savepoint, or that no checkpoint completed.
func Checkpoints(ctx context.Context, jm *flink.JobManager, jobID string) (CheckpointCounts, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, jm.URL()+"/jobs/"+url.PathEscape(jobID)+"/checkpoints", nil)
	if err != nil {
		return CheckpointCounts{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return CheckpointCounts{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return CheckpointCounts{}, fmt.Errorf("checkpoints of job %s: HTTP %d", jobID, resp.StatusCode)
	}
	var out struct {
		Counts CheckpointCounts `json:"counts"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return CheckpointCounts{}, fmt.Errorf("checkpoints of job %s: %w", jobID, err)
	}
	return out.Counts, nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// RepoRoot returns the repository root: the nearest parent with go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}
