package localflink_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// TestMain stops the cluster flinktest.Cluster may start for this binary.
func TestMain(m *testing.M) { flinktest.Main(m) }

// TestCluster_RestartsKilledProcesses starts its own cluster with a Kafka
// broker (it kills JVMs, so it cannot use the shared one), SIGKILLs the
// TaskManager and the broker and checks that the launcher brings new ones
// up: a query runs, the broker accepts connections at the same address.
// Then the whole cluster is stopped and started again on the same
// directory: the broker is at the same address and the topic written
// before is read back whole.
func TestCluster_RestartsKilledProcesses(t *testing.T) {
	root, err := flinktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	c, err := flinktest.Start(ctx, root, dir, true)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()
	jm := flink.NewJobManager(c.RestURL(), nil)

	// The web UI's jar upload is off: no local user can run code through it.
	if resp, err := http.Post(c.RestURL()+"/jars/upload", "application/x-java-archive", strings.NewReader("PK")); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST /jars/upload: %d, want 404 (web.submit.enable: false)", resp.StatusCode)
	}

	old := c.PID(localflink.TaskManager)
	if old == 0 {
		t.Fatal("no taskmanager pid")
	}
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for c.Restarts(localflink.TaskManager) == 0 || c.PID(localflink.TaskManager) == 0 || c.PID(localflink.TaskManager) == old {
		if ctx.Err() != nil {
			t.Fatal("taskmanager was not restarted")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The new TaskManager registers under a new id; the query below needs its slots.
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}

	rows, err := query(ctx, flink.NewGateway(c.GatewayURL(), nil),
		`CREATE TEMPORARY TABLE s (id INT) WITH ('connector'='datagen','number-of-rows'='5','fields.id.kind'='sequence','fields.id.start'='1','fields.id.end'='5')`,
		kafkaTable(c),
		`INSERT INTO k SELECT id FROM s`,
		`SELECT SUM(id) FROM s`)
	if err != nil {
		ov, _ := jm.Overview(ctx)
		t.Fatalf("query after taskmanager restart: %v (overview %+v)", err, ov)
	}
	if len(rows) != 1 || fmt.Sprint(rows[0].Fields[0]) != "15" {
		t.Fatalf("rows = %v, want one row with 15", rows)
	}
	// The broker: killed, restarted on the same address.
	oldKafka := c.PID(localflink.KafkaBroker)
	if oldKafka == 0 || c.KafkaBootstrap() == "" {
		t.Fatal("no kafka broker")
	}
	if err := syscall.Kill(oldKafka, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for c.Restarts(localflink.KafkaBroker) == 0 || c.PID(localflink.KafkaBroker) == 0 || c.PID(localflink.KafkaBroker) == oldKafka {
		if ctx.Err() != nil {
			t.Fatal("kafka broker was not restarted")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := c.WaitKafkaReady(ctx); err != nil {
		t.Fatal(err)
	}
	// The JVMs end on SIGTERM within the grace period: a clean stop.
	closed = true
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	for _, role := range []string{localflink.JobManager, localflink.KafkaBroker} {
		if pid := c.PID(role); pid != 0 {
			t.Fatalf("%s %d still running after close", role, pid)
		}
	}

	// Started again on the same directory, the broker keeps its address
	// (tables name it) and its topics.
	addr := c.KafkaBootstrap()
	c, err = flinktest.Start(ctx, root, dir, true)
	if err != nil {
		t.Fatalf("restart on the same directory: %v", err)
	}
	defer c.Close()
	if c.KafkaBootstrap() != addr {
		t.Errorf("kafka moved from %s to %s", addr, c.KafkaBootstrap())
	}
	rows, err = query(ctx, flink.NewGateway(c.GatewayURL(), nil), kafkaTable(c), `SELECT COUNT(*), SUM(id) FROM k /*+ OPTIONS('scan.bounded.mode'='latest-offset') */`)
	if err != nil {
		t.Fatalf("reading the topic after a restart: %v", err)
	}
	if len(rows) != 1 || fmt.Sprint(rows[0].Fields) != "[5 15]" {
		t.Fatalf("topic after restart: %v, want 5 rows summing to 15", rows)
	}
}

// kafkaTable is a JSON topic on the cluster's broker.
func kafkaTable(c *localflink.Cluster) string {
	return `CREATE TEMPORARY TABLE k (id INT) WITH ('connector'='kafka','topic'='restart','format'='json',` +
		`'properties.bootstrap.servers'='` + c.KafkaBootstrap() + `','scan.startup.mode'='earliest-offset')`
}

// query runs statements in a new batch gateway session, each to its end,
// and returns the rows of the last.
func query(ctx context.Context, gw *flink.Gateway, stmts ...string) ([]flink.Row, error) {
	sh, err := gw.OpenSession(ctx, "localflink-test", map[string]string{"execution.runtime-mode": "batch", "table.dml-sync": "true"})
	if err != nil {
		return nil, err
	}
	defer gw.CloseSession(context.WithoutCancel(ctx), sh)
	var rows []flink.Row
	for _, stmt := range stmts {
		op, err := gw.ExecuteStatement(ctx, sh, stmt, nil)
		if err == nil {
			rows, err = gw.NewFetcher(sh, op).All(ctx, 0)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return rows, nil
}
