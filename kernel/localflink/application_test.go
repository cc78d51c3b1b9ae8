package localflink_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// TestStartApplication runs a SQL script (a statement set) on an
// application cluster of its own: the job runs under the fixed job id,
// a SIGKILLed JobManager comes back and resumes from the run's newest
// checkpoint, and a stop with a savepoint ends the job FINISHED.
func TestStartApplication(t *testing.T) {
	root, err := flinktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := t.TempDir()
	base, err := flinktest.LocalConfig(root, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	base.CatalogDir = "" // no notebook cluster here: Flink's in-memory catalog
	out := filepath.Join(dir, "out")
	script := filepath.Join(dir, "app.sql")
	if err := os.WriteFile(script, []byte(fmt.Sprintf(`-- a comment
SET 'execution.checkpointing.interval' = '1s';
CREATE TABLE seq (id BIGINT) WITH ('connector'='datagen','fields.id.kind'='sequence',
  'fields.id.start'='1','fields.id.end'='100000','rows-per-second'='50');
CREATE TABLE sink_a (id BIGINT) WITH ('connector'='filesystem','path'='file://%s/a','format'='csv');
CREATE TABLE sink_b (id BIGINT) WITH ('connector'='blackhole');
EXECUTE STATEMENT SET
BEGIN
INSERT INTO sink_a SELECT id FROM seq;
INSERT INTO sink_b SELECT id * 2 FROM seq;
END;
`, out)), 0o644); err != nil {
		t.Fatal(err)
	}
	const jobID = "00000000000000000000000000ab0001"
	app, err := localflink.StartApplication(ctx, base, localflink.AppConfig{
		Dir: filepath.Join(dir, "app"), JobID: jobID, Name: "test-app", Script: script, RunDir: "run-1",
		JobManagerMemory: "768m", TaskManagerMemory: "1280m",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	jm := app.JobManager()
	waitJob := func(what string, ok func(flink.JobDetail) bool) flink.JobDetail {
		t.Helper()
		for {
			d, err := jm.Job(ctx, jobID)
			if err == nil && ok(d) {
				return d
			}
			if ctx.Err() != nil {
				t.Fatalf("%s: last %+v, %v\n%s", what, d, err, app.JobManagerLogTail(30))
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	waitJob("job running", func(d flink.JobDetail) bool { return d.TasksRunning() })
	for {
		c, err := flinktest.Checkpoints(ctx, jm, jobID)
		if err == nil && c.Completed >= 2 {
			break
		}
		if ctx.Err() != nil {
			t.Fatal("no checkpoints")
		}
		time.Sleep(300 * time.Millisecond)
	}
	pid := app.PID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for app.PID() == 0 || app.PID() == pid {
		if ctx.Err() != nil {
			t.Fatal("the JobManager was not restarted")
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitJob("job running again", func(d flink.JobDetail) bool { return d.TasksRunning() })
	c, err := flinktest.Checkpoints(ctx, jm, jobID)
	if err != nil || c.Restored != 1 {
		t.Fatalf("after the JobManager's restart: checkpoints %+v, %v; want one restore", c, err)
	}
	if n, last := app.Crashes(); n != 1 || !strings.Contains(last.Reason, "killed") {
		t.Fatalf("crashes = %d %q", n, last.Reason)
	}
	trig, err := jm.StopWithSavepoint(ctx, jobID, "", false)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := jm.WaitSavepoint(ctx, jobID, trig)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sp, filepath.Join(dir, "app", "snapshots")) {
		t.Fatalf("savepoint at %s, want under the application's snapshots", sp)
	}
	waitJob("job finished", func(d flink.JobDetail) bool { return d.State == "FINISHED" })
	if err := app.Close(); err != nil {
		t.Fatal(err)
	}
}
