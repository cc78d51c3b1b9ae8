package localflink_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// TestCluster_RestartsKilledTaskManager starts its own cluster (it kills a
// JVM, so it cannot use the shared one), SIGKILLs the TaskManager and checks
// that the launcher brings a new one up that runs a query.
func TestCluster_RestartsKilledTaskManager(t *testing.T) {
	root, err := flinktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c, err := flinktest.Start(ctx, root, t.TempDir())
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

	gw := flink.NewGateway(c.GatewayURL(), nil)
	sh, err := gw.OpenSession(ctx, "after-restart", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`SET 'execution.runtime-mode' = 'batch'`,
		`CREATE TEMPORARY TABLE s (id INT) WITH ('connector'='datagen','number-of-rows'='5','fields.id.kind'='sequence','fields.id.start'='1','fields.id.end'='5')`,
	} {
		op, err := gw.ExecuteStatement(ctx, sh, stmt, nil)
		if err == nil {
			_, err = gw.NewFetcher(sh, op).All(ctx, 0)
		}
		if err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	op, err := gw.ExecuteStatement(ctx, sh, `SELECT SUM(id) FROM s`, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := gw.NewFetcher(sh, op).All(ctx, 0)
	if err != nil {
		ov, _ := jm.Overview(ctx)
		t.Fatalf("query after taskmanager restart: %v (overview %+v)", err, ov)
	}
	if len(rows) != 1 || fmt.Sprint(rows[0].Fields[0]) != "15" {
		t.Fatalf("rows = %v, want one row with 15", rows)
	}
	// The JVMs end on SIGTERM within the grace period: a clean stop.
	closed = true
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if pid := c.PID(localflink.JobManager); pid != 0 {
		t.Fatalf("jobmanager %d still running after close", pid)
	}
}
