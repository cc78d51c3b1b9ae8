package flink_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

func TestMain(m *testing.M) { flinktest.Main(m) }

// openSession opens a gateway session closed at the end of the test.
func openSession(t *testing.T, gw *flink.Gateway) string {
	t.Helper()
	ctx := context.Background()
	sh, err := gw.OpenSession(ctx, t.Name(), nil)
	if err != nil {
		t.Fatalf("open session: %v", err)
	}
	t.Cleanup(func() { _ = gw.CloseSession(context.Background(), sh) })
	return sh
}

// run executes a statement and reads its whole result.
func run(ctx context.Context, t *testing.T, gw *flink.Gateway, sh, stmt string) ([]flink.Row, *flink.Fetcher) {
	t.Helper()
	op, err := gw.ExecuteStatement(ctx, sh, stmt, nil)
	if err != nil {
		t.Fatalf("execute %q: %v", stmt, err)
	}
	f := gw.NewFetcher(sh, op)
	rows, err := f.All(ctx, 0)
	if err != nil {
		t.Fatalf("fetch %q: %v", stmt, err)
	}
	return rows, f
}

func TestGateway_Info(t *testing.T) {
	c := flinktest.Cluster(t)
	ctx := context.Background()
	info, err := c.Gateway.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Info is served under APIVersion: the gateway speaks it.
	if !strings.HasPrefix(info.Version, "2.") {
		t.Fatalf("info = %+v, want Flink 2.x", info)
	}
}

func TestGateway_BoundedQuery(t *testing.T) {
	c := flinktest.Cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sh := openSession(t, c.Gateway)
	run(ctx, t, c.Gateway, sh, `SET 'execution.runtime-mode' = 'batch'`)
	run(ctx, t, c.Gateway, sh, `CREATE TEMPORARY TABLE seq (id BIGINT, name STRING) WITH (
		'connector' = 'datagen', 'number-of-rows' = '10',
		'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '10',
		'fields.name.length' = '3')`)
	rows, f := run(ctx, t, c.Gateway, sh, `SELECT id, id * id AS sq, CAST(id AS STRING) || '!' AS s FROM seq`)
	if f.JobID == "" {
		t.Error("no job id: want a query with a job")
	}
	gotCols := []string{}
	for _, col := range f.Columns {
		gotCols = append(gotCols, col.Name+" "+col.TypeName())
	}
	if want := []string{"id BIGINT", "sq BIGINT", "s STRING"}; !slices.Equal(gotCols, want) {
		t.Errorf("columns = %v, want %v", gotCols, want)
	}
	var got []string
	for _, r := range rows {
		if r.Kind != "INSERT" {
			t.Errorf("batch row kind %s, want INSERT", r.Kind)
		}
		got = append(got, fmt.Sprint(r.Fields...))
	}
	slices.Sort(got)
	var want []string
	for i := 1; i <= 10; i++ {
		want = append(want, fmt.Sprint(json.Number(fmt.Sprint(i)), json.Number(fmt.Sprint(i*i)), fmt.Sprintf("%d!", i)))
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("rows =\n%v\nwant\n%v", got, want)
	}
}

func TestGateway_StreamingChangelogAndClose(t *testing.T) {
	c := flinktest.Cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sh := openSession(t, c.Gateway)
	run(ctx, t, c.Gateway, sh, `CREATE TEMPORARY TABLE clicks (k INT, v INT) WITH (
		'connector' = 'datagen', 'rows-per-second' = '50',
		'fields.k.min' = '1', 'fields.k.max' = '3')`)
	op, err := c.Gateway.ExecuteStatement(ctx, sh, `SELECT k, COUNT(*) AS n FROM clicks GROUP BY k`, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := c.Gateway.NewFetcher(sh, op)
	kinds := map[string]int{}
	for kinds["INSERT"] == 0 || kinds["UPDATE_BEFORE"] == 0 || kinds["UPDATE_AFTER"] == 0 {
		rows, more, err := f.Next(ctx)
		if err != nil {
			t.Fatalf("fetch: %v (kinds so far %v)", err, kinds)
		}
		if !more {
			t.Fatalf("an unbounded query ended (kinds %v)", kinds)
		}
		for _, r := range rows {
			kinds[r.Kind]++
		}
	}
	if f.JobID == "" {
		t.Fatal("no job id for the streaming query")
	}
	if err := c.Gateway.CloseOperation(ctx, sh, op); err != nil {
		t.Fatalf("close operation: %v", err)
	}
	waitJobState(ctx, t, c.JobManager, f.JobID, flink.JobCanceled)
}

// waitJobState waits until the JobManager reports the job in state.
func waitJobState(ctx context.Context, t *testing.T, jm *flink.JobManager, jobID, state string) {
	t.Helper()
	var last string
	for ctx.Err() == nil {
		d, err := jm.Job(ctx, jobID)
		if err == nil {
			last = d.State
			if d.State == state {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("job %s is %s, want %s", jobID, last, state)
}

func TestGateway_InvalidSQL(t *testing.T) {
	c := flinktest.Cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sh := openSession(t, c.Gateway)
	op, err := c.Gateway.ExecuteStatement(ctx, sh, `SELECT * FROM no_such_table`, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Gateway.NewFetcher(sh, op).All(ctx, 0)
	var apiErr *flink.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *flink.APIError", err)
	}
	if !strings.Contains(apiErr.RootCause, "no_such_table") {
		t.Fatalf("root cause %q does not name the unknown table", apiErr.RootCause)
	}
	if !strings.HasPrefix(apiErr.Message(), "Object 'no_such_table' not found") {
		t.Errorf("message %q does not start with the root cause", apiErr.Message())
	}
	if !strings.Contains(apiErr.Trace, "ValidationException") {
		t.Errorf("trace lacks the exception chain: %.200s", apiErr.Trace)
	}
}

func TestJobManager_InsertCancelAndSavepoint(t *testing.T) {
	c := flinktest.Cluster(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sh := openSession(t, c.Gateway)
	run(ctx, t, c.Gateway, sh, `CREATE TEMPORARY TABLE src (v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '10')`)
	run(ctx, t, c.Gateway, sh, `CREATE TEMPORARY TABLE sink (v BIGINT) WITH ('connector' = 'blackhole')`)

	insert := func() string {
		rows, f := run(ctx, t, c.Gateway, sh, `INSERT INTO sink SELECT v FROM src`)
		if f.JobID == "" || len(rows) != 1 || rows[0].Fields[0] != f.JobID {
			t.Fatalf("INSERT returned rows %v and job %q, want one row with the job id", rows, f.JobID)
		}
		waitJobState(ctx, t, c.JobManager, f.JobID, flink.JobRunning)
		return f.JobID
	}

	t.Run("Cancel", func(t *testing.T) {
		job := insert()
		if err := c.JobManager.CancelJob(ctx, job); err != nil {
			t.Fatal(err)
		}
		waitJobState(ctx, t, c.JobManager, job, flink.JobCanceled)
	})
	t.Run("StopWithSavepoint", func(t *testing.T) {
		job := insert()
		local := t.TempDir()
		dir := "file://" + local
		var trigger string
		var err error
		// A just-started job may not have all tasks running yet; retry briefly.
		for i := 0; i < 50; i++ {
			if trigger, err = c.JobManager.StopWithSavepoint(ctx, job, dir, false); err == nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		loc, err := waitSavepoint(ctx, c.JobManager, job, trigger, dir)
		if err != nil {
			t.Fatal(err)
		}
		// Flink writes the location as file:/path.
		if !strings.HasPrefix(strings.TrimPrefix(loc, "file:"), local+"/") {
			t.Fatalf("savepoint at %q, want under %q", loc, local)
		}
		waitJobState(ctx, t, c.JobManager, job, flink.JobFinished)
		if _, err := c.JobManager.Checkpoints(ctx, job); err != nil {
			t.Fatalf("checkpoints: %v", err)
		}
	})
}

// waitSavepoint waits for a stop-with-savepoint, retrying the stop when the
// job was not yet ready for a savepoint (its tasks were still deploying).
func waitSavepoint(ctx context.Context, jm *flink.JobManager, job, trigger, dir string) (string, error) {
	for {
		loc, err := jm.WaitSavepoint(ctx, job, trigger)
		if err == nil || ctx.Err() != nil || !strings.Contains(strings.ToLower(err.Error()), "not all required tasks are currently running") {
			return loc, err
		}
		time.Sleep(300 * time.Millisecond)
		if trigger, err = jm.StopWithSavepoint(ctx, job, dir, false); err != nil {
			return "", err
		}
	}
}
