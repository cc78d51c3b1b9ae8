package localflink_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// TestStartApplication_Python runs a PyFlink program (a Python UDF in an
// INSERT) on an application cluster through Flink's PythonDriver: the job
// runs under the fixed job id, a SIGKILLed JobManager comes back, runs the
// program again and resumes from the run's newest checkpoint, and after a
// stop with a savepoint the sink holds each id once, through the UDF.
func TestStartApplication_Python(t *testing.T) {
	root, err := flinktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	base, err := flinktest.LocalConfig(root, dir, false)
	if err != nil {
		t.Fatal(err)
	}
	base.CatalogDir = ""
	if base.Python == "" {
		t.Fatal("no Python with apache-flink in .flink/pyvenv: run 'make python'")
	}
	out := filepath.Join(dir, "out")
	program := filepath.Join(dir, "app.py")
	if err := os.WriteFile(program, []byte(fmt.Sprintf(`from pyflink.datastream import StreamExecutionEnvironment
from pyflink.table import StreamTableEnvironment, DataTypes
from pyflink.table.udf import udf

env = StreamExecutionEnvironment.get_execution_environment()
t_env = StreamTableEnvironment.create(env)
t_env.execute_sql("""CREATE TABLE seq (id BIGINT) WITH ('connector'='datagen','fields.id.kind'='sequence',
  'fields.id.start'='1','fields.id.end'='100000','rows-per-second'='50')""")
t_env.execute_sql("CREATE TABLE sink_a (id BIGINT, r BIGINT) WITH ('connector'='filesystem','path'='file://%s','format'='csv')")

@udf(result_type=DataTypes.BIGINT())
def plus_one(x):
    return x + 1

t_env.create_temporary_system_function("plus_one", plus_one)
t_env.execute_sql("INSERT INTO sink_a SELECT id, plus_one(id) FROM seq")
`, out)), 0o644); err != nil {
		t.Fatal(err)
	}
	const jobID = "00000000000000000000000000ab0002"
	ac := localflink.AppConfig{
		Dir: filepath.Join(dir, "app"), JobID: jobID, Name: "test-py-app", Script: program, Python: true, RunDir: "run-1",
		CheckpointInterval: time.Second, JobManagerMemory: "768m", TaskManagerMemory: "1280m",
	}
	noPython := base
	noPython.Python = ""
	if _, err := localflink.StartApplication(ctx, noPython, ac); err == nil || !strings.Contains(err.Error(), "needs a Python") {
		t.Fatalf("a Python application without a Python: %v", err)
	}
	app, err := localflink.StartApplication(ctx, base, ac)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	jm := app.JobManager()
	waitJob := func(what string, ok func(flink.JobDetail) bool) {
		t.Helper()
		for {
			d, err := jm.Job(ctx, jobID)
			if err == nil && ok(d) {
				return
			}
			if ctx.Err() != nil {
				t.Fatalf("%s: last %+v, %v\n%s", what, d, err, app.JobManagerLogTail(40))
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
	trig, err := jm.StopWithSavepoint(ctx, jobID, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jm.WaitSavepoint(ctx, jobID, trig); err != nil {
		t.Fatal(err)
	}
	waitJob("job finished", func(d flink.JobDetail) bool { return d.State == "FINISHED" })
	rows, err := flinktest.CommittedRows(out)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, rec := range rows {
		id, err1 := strconv.ParseInt(rec[0], 10, 64)
		r, err2 := strconv.ParseInt(rec[1], 10, 64)
		if err1 != nil || err2 != nil || r != id+1 || seen[id] {
			t.Fatalf("row %v: want id,id+1 with each id once", rec)
		}
		seen[id] = true
	}
	for id := int64(1); id <= int64(len(rows)); id++ {
		if !seen[id] {
			t.Fatalf("%d rows, but id %d is missing: the restart lost rows", len(rows), id)
		}
	}
	if len(rows) == 0 {
		t.Fatal("the sink holds no rows")
	}
	t.Logf("%d rows, ids 1..%d each once through the Python UDF", len(rows), len(rows))
}
