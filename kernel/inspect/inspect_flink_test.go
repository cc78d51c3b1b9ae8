package inspect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/kernel/inspect"
)

func TestMain(m *testing.M) { flinktest.Main(m) }

// The tests run one after another, not in parallel: each holds one or two
// of the shared cluster's few task slots while it runs.

// session is a gateway session on the shared cluster, closed (with every
// job started through it cancelled) at the end of the test.
type session struct {
	t  *testing.T
	c  *flinktest.Endpoints
	sh string
}

func openSession(t *testing.T) *session {
	t.Helper()
	c := flinktest.Cluster(t)
	sh, err := c.Gateway.OpenSession(context.Background(), t.Name(), nil)
	if err != nil {
		t.Fatalf("open session: %v", err)
	}
	t.Cleanup(func() { _ = c.Gateway.CloseSession(context.Background(), sh) })
	return &session{t: t, c: c, sh: sh}
}

// exec runs a statement with a small result (DDL, SET).
func (s *session) exec(ctx context.Context, stmt string) {
	s.t.Helper()
	if _, err := s.c.Gateway.Run(ctx, s.sh, stmt, 0); err != nil {
		s.t.Fatalf("%s: %v", stmt, err)
	}
}

// job is a running streaming statement whose rows a goroutine counts.
type job struct {
	id   string
	rows atomic.Int64
	stop func() // cancels the job and waits for the reader
}

// start submits a streaming statement, waits for its job id, and reads
// its rows in the background. The job is cancelled at the end of the test.
func (s *session) start(ctx context.Context, stmt string) *job {
	s.t.Helper()
	op, err := s.c.Gateway.ExecuteStatement(ctx, s.sh, stmt, nil)
	if err != nil {
		s.t.Fatalf("%s: %v", stmt, err)
	}
	f := s.c.Gateway.NewFetcher(s.sh, op)
	deadline := time.Now().Add(time.Minute)
	j := &job{}
	for f.JobID == "" {
		if time.Now().After(deadline) {
			s.t.Fatalf("no job for %s after a minute", stmt)
		}
		nctx, cancel := context.WithTimeout(ctx, time.Second)
		rows, _, err := f.Next(nctx)
		cancel()
		j.rows.Add(int64(len(rows)))
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			s.t.Fatalf("%s: %v", stmt, err)
		}
	}
	j.id = f.JobID
	rctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for rctx.Err() == nil {
			rows, more, err := f.Next(rctx)
			j.rows.Add(int64(len(rows)))
			if err != nil || !more {
				return
			}
		}
	}()
	var once atomic.Bool
	j.stop = func() {
		if once.Swap(true) {
			return
		}
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		_ = s.c.JobManager.CancelJob(cctx, j.id)
		cancel()
		<-done
		_ = s.c.Gateway.CloseOperation(cctx, s.sh, op)
		// Wait until the job has ended, so its slots are free for the
		// next job of the test: the shared cluster has few, and other
		// packages' tests use them too.
		for cctx.Err() == nil {
			if d, err := s.c.JobManager.Job(cctx, j.id); err == nil && flink.JobTerminal(d.State) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	s.t.Cleanup(j.stop)
	waitRunning(ctx, s.t, s.c.JobManager, j.id)
	return j
}

// waitRunning waits until every task of a job runs.
func waitRunning(ctx context.Context, t *testing.T, jm *flink.JobManager, jobID string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		d, err := jm.Job(ctx, jobID)
		if err == nil && d.TasksRunning() {
			return
		}
		if err == nil && flink.JobTerminal(d.State) {
			msg, _ := jm.RootException(ctx, jobID)
			t.Fatalf("job %s ended %s: %s", jobID, d.State, msg)
		}
	}
	t.Fatalf("job %s does not run after a minute", jobID)
}

// waitState waits until a job is in state.
func waitState(ctx context.Context, t *testing.T, jm *flink.JobManager, jobID, state string) {
	t.Helper()
	last := ""
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		d, err := jm.Job(ctx, jobID)
		if err == nil && d.State == state {
			return
		}
		if err == nil {
			last = d.State
		}
	}
	t.Fatalf("job %s is %s after a minute, want %s", jobID, last, state)
}

// waitDiagnosis samples a job every 2 s, as Eddy does, until a diagnosis
// with code appears, and returns it with the inspection that holds it.
func waitDiagnosis(ctx context.Context, t *testing.T, in *inspect.Inspector, code string, within time.Duration) (inspect.Diagnosis, inspect.Inspection) {
	t.Helper()
	var last inspect.Inspection
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		ins, err := in.Sample(ctx, inspect.Output{})
		if err != nil {
			t.Fatalf("sample: %v", err)
		}
		last = ins
		for _, d := range ins.Diagnoses {
			if d.Code == code {
				return d, ins
			}
		}
	}
	t.Fatalf("no %s within %s; last inspection: %s", code, within, describe(last))
	return inspect.Diagnosis{}, last
}

// describe writes an inspection for a failure message.
func describe(ins inspect.Inspection) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s running %d ms\n", ins.JobState, ins.RunningFor)
	for _, op := range ins.Operators {
		wm := "none"
		if op.InputWatermark != nil {
			wm = time.UnixMilli(*op.InputWatermark).UTC().Format(time.RFC3339)
		}
		late := "-"
		if op.LateRecordsDropped != nil {
			late = fmt.Sprint(*op.LateRecordsDropped)
		}
		fmt.Fprintf(&b, "  %s p=%d in=%d out=%d wm=%s idle=%v late=%s\n", op.Name, op.Parallelism, op.RecordsIn, op.RecordsOut, wm, op.IdleSubtasks, late)
	}
	for _, d := range ins.Diagnoses {
		fmt.Fprintf(&b, "  %s: %s\n", d.Code, d.Message)
	}
	return b.String()
}

// statements splits a suggestion into its statements, without comments.
func statements(sql string) []string {
	var lines []string
	for _, l := range strings.Split(sql, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	var out []string
	for _, s := range strings.Split(strings.Join(lines, "\n"), ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// runSuggestion runs a suggestion's statements in the session: all but a
// final query with exec, which it starts and returns (nil if none).
func (s *session) runSuggestion(ctx context.Context, sql string) *job {
	s.t.Helper()
	stmts := statements(sql)
	if len(stmts) == 0 {
		s.t.Fatalf("suggestion has no statement: %q", sql)
	}
	for _, st := range stmts[:len(stmts)-1] {
		s.exec(ctx, st)
	}
	last := stmts[len(stmts)-1]
	if strings.HasPrefix(strings.ToUpper(last), "SELECT") {
		return s.start(ctx, last)
	}
	s.exec(ctx, last)
	return nil
}

// waitRows waits until a job's result has rows.
func waitRows(t *testing.T, j *job, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		if j.rows.Load() > 0 {
			return
		}
	}
	t.Fatalf("job %s gave no rows within %s", j.id, within)
}

// Case: event time that never advances. Windows never fire; the inspector
// says so within 30 s, names the source, and its suggestion makes windows
// fire.
func TestInspect_WatermarkNotAdvancing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s := openSession(t)
	s.exec(ctx, `CREATE TEMPORARY TABLE src (id INT, ts AS CAST(TIMESTAMP '2020-01-01 00:00:00' AS TIMESTAMP(3)), WATERMARK FOR ts AS ts) WITH ('connector'='datagen','rows-per-second'='5')`)
	// A 5-second window, not a minute, so that the fixed query's first
	// window closes soon.
	stmt := `SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE src, DESCRIPTOR(ts), INTERVAL '5' SECOND)) GROUP BY window_start, window_end`
	j := s.start(ctx, stmt)
	in := inspect.New(s.c.JobManager, j.id, inspect.Options{Statement: stmt})
	d, ins := waitDiagnosis(ctx, t, in, inspect.WatermarkNotAdvancing, 30*time.Second)
	t.Logf("after %d ms: %s\n%s", ins.RunningFor, d.Message, d.Suggestion)
	if ins.RunningFor > 32_000 {
		t.Errorf("diagnosed after the job ran %d ms, want within 30 s", ins.RunningFor)
	}
	if !strings.HasPrefix(d.Operator, "Source: src[") || !strings.Contains(d.Message, "table src") {
		t.Errorf("diagnosis names %q: %s; want the source src", d.Operator, d.Message)
	}
	if !strings.Contains(d.Message, "2020-01-01 00:00:00.000") {
		t.Errorf("message does not say where the watermark is: %s", d.Message)
	}
	if j.rows.Load() != 0 {
		t.Fatalf("the stuck query gave %d rows", j.rows.Load())
	}
	j.stop() // free its slot
	fixed := s.runSuggestion(ctx, d.Suggestion)
	if fixed == nil {
		t.Fatalf("suggestion runs no query: %s", d.Suggestion)
	}
	waitRows(t, fixed, 30*time.Second)
}

// Case: a Kafka topic with one partition read by two subtasks. Subtask 1
// has no partition, sends no watermark, and no window fires; the
// suggestion (an idle timeout) makes windows fire.
func TestInspect_SourceIdle(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s := openSession(t)
	if s.c.Kafka == "" {
		t.Fatal("the shared cluster has no Kafka broker (EDDY_TEST_KAFKA_BOOTSTRAP)")
	}
	topic := fmt.Sprintf("inspect_idle_%d", time.Now().UnixNano())
	// 8 s of event time, written before the query starts so that the test
	// needs no more than two task slots at once.
	s.exec(ctx, `CREATE TEMPORARY TABLE gen (id INT, ts AS LOCALTIMESTAMP) WITH ('connector'='datagen','rows-per-second'='50','number-of-rows'='400')`)
	s.exec(ctx, fmt.Sprintf(`CREATE TEMPORARY TABLE kt (id INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH (
		'connector'='kafka','topic'='%s','properties.bootstrap.servers'='%s','format'='json','scan.startup.mode'='earliest-offset')`, topic, s.c.Kafka))
	rows, err := s.c.Gateway.Run(ctx, s.sh, `INSERT INTO kt SELECT id, ts FROM gen`, 0)
	if err != nil || len(rows) != 1 {
		t.Fatalf("insert: %v %v", rows, err)
	}
	waitState(ctx, t, s.c.JobManager, fmt.Sprint(rows[0].Fields[0]), flink.JobFinished)
	s.exec(ctx, `SET 'parallelism.default' = '2'`)
	stmt := `SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE kt, DESCRIPTOR(ts), INTERVAL '2' SECOND)) GROUP BY window_start, window_end`
	j := s.start(ctx, stmt)
	in := inspect.New(s.c.JobManager, j.id, inspect.Options{Statement: stmt})
	d, ins := waitDiagnosis(ctx, t, in, inspect.SourceIdle, 45*time.Second)
	t.Logf("%s\n%s\n%s", d.Message, d.Suggestion, describe(ins))
	// Kafka gives the one partition to a subtask chosen by the topic's
	// hash: the other is idle. Which one has it, its metrics tell.
	idle := 1 - subtaskWithMetric(ctx, t, s.c.JobManager, j.id, ins.Operators[0].VertexID, ".split."+topic+"-0.")
	if want := fmt.Sprintf("Subtask %d of Source: KafkaSource", idle); !strings.Contains(d.Message, want) || !strings.HasPrefix(d.Operator, "Source: KafkaSource") {
		t.Errorf("diagnosis does not name subtask %d of the Kafka source: %q %s", idle, d.Operator, d.Message)
	}
	if !strings.Contains(d.Message, topic+"-0") {
		t.Errorf("diagnosis does not name the partition %s-0: %s", topic, d.Message)
	}
	if !slices.Equal(ins.Operators[0].IdleSubtasks, []int{idle}) {
		t.Errorf("idle subtasks of %s = %v, want [%d]", ins.Operators[0].Name, ins.Operators[0].IdleSubtasks, idle)
	}
	for _, other := range ins.Diagnoses {
		if other.Code == inspect.WatermarkNotAdvancing {
			t.Errorf("both SOURCE_IDLE and WATERMARK_NOT_ADVANCING: %s", other.Message)
		}
	}
	if j.rows.Load() != 0 {
		t.Fatalf("the held query gave %d rows", j.rows.Load())
	}
	j.stop()
	if q := s.runSuggestion(ctx, d.Suggestion); q != nil {
		t.Fatalf("the suggestion runs a query itself: %s", d.Suggestion)
	}
	fixed := s.start(ctx, stmt) // run the paragraph again
	waitRows(t, fixed, 40*time.Second)
}

// Case: rows later than the watermark. The window operator drops them and
// the inspector reports exactly Flink's count; its operator list is in
// order with watermarks and parallelism.
func TestInspect_LateRecords(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s := openSession(t)
	s.exec(ctx, `CREATE TEMPORARY TABLE late (id INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector'='datagen','rows-per-second'='20','fields.ts.max-past'='10 s')`)
	stmt := `SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE late, DESCRIPTOR(ts), INTERVAL '2' SECOND)) GROUP BY window_start, window_end`
	j := s.start(ctx, stmt)
	in := inspect.New(s.c.JobManager, j.id, inspect.Options{Statement: stmt})
	d, ins := waitDiagnosis(ctx, t, in, inspect.LateRecordsDropped, 45*time.Second)
	t.Logf("%s\n%s\n%s", d.Message, d.Suggestion, describe(ins))
	if !strings.HasPrefix(d.Operator, "GlobalWindowAggregate[") {
		t.Errorf("late records dropped by %q, want the GlobalWindowAggregate", d.Operator)
	}
	if !strings.Contains(d.Suggestion, "ALTER TABLE late MODIFY WATERMARK FOR ts AS ts - INTERVAL") {
		t.Errorf("suggestion does not name the table and its rowtime: %s", d.Suggestion)
	}

	t.Run("ExactCount", func(t *testing.T) {
		// Flink's count read straight from the REST API before and after a
		// sample: when both agree (the JobManager's metric cache did not
		// refresh in between), the sample must report exactly it.
		vid, metric := lateMetric(ctx, t, s.c.JobManager, j.id)
		direct := func() int64 {
			ms, err := s.c.JobManager.VertexMetrics(ctx, j.id, vid, []string{metric})
			if err != nil {
				t.Fatal(err)
			}
			return int64(ms[metric].Sum)
		}
		for range 10 {
			before := direct()
			ins, err := in.Sample(ctx, inspect.Output{})
			if err != nil {
				t.Fatal(err)
			}
			after := direct()
			if before != after || before == 0 {
				time.Sleep(time.Second)
				continue
			}
			i := slices.IndexFunc(ins.Diagnoses, func(d inspect.Diagnosis) bool { return d.Code == inspect.LateRecordsDropped })
			if i < 0 {
				t.Fatalf("no %s while Flink reports %d dropped", inspect.LateRecordsDropped, before)
			}
			if want := fmt.Sprintf("has dropped %d late record", before); !strings.Contains(ins.Diagnoses[i].Message, want) {
				t.Errorf("message %q does not say %q", ins.Diagnoses[i].Message, want)
			}
			op := ins.Operators[slices.IndexFunc(ins.Operators, func(o inspect.Operator) bool { return o.Name == d.Operator })]
			if op.LateRecordsDropped == nil || *op.LateRecordsDropped != before {
				t.Errorf("%s.LateRecordsDropped = %v, want %d", op.Name, op.LateRecordsDropped, before)
			}
			return
		}
		t.Fatal("the late-records metric changed between every two reads")
	})

	t.Run("Operators", func(t *testing.T) {
		var names []string
		for _, op := range ins.Operators {
			names = append(names, strings.TrimRightFunc(op.Name, func(r rune) bool { return r == ']' || r == '[' || (r >= '0' && r <= '9') }))
			if op.Parallelism != 1 {
				t.Errorf("%s parallelism %d, want 1", op.Name, op.Parallelism)
			}
			if op.Source != (op.Name == ins.Operators[0].Name) {
				t.Errorf("%s source = %v", op.Name, op.Source)
			}
		}
		want := []string{"Source: late", "WatermarkAssigner", "Calc", "LocalWindowAggregate", "GlobalWindowAggregate", "Calc", "ConstraintEnforcer", "Sink: Collect table sink"}
		if !slices.Equal(names, want) {
			t.Fatalf("operators %q, want %q", names, want)
		}
		if ins.Operators[0].RecordsOut == 0 || ins.Operators[0].VertexID == ins.Operators[4].VertexID {
			t.Errorf("source read %d records; source vertex %s, window vertex %s", ins.Operators[0].RecordsOut, ins.Operators[0].VertexID, ins.Operators[4].VertexID)
		}
		for _, i := range []int{1, 3, 4} { // the watermark assigner (what it emits) and past it
			op := ins.Operators[i]
			if op.InputWatermark == nil || op.WatermarkLag == nil {
				t.Errorf("%s has no input watermark", op.Name)
				continue
			}
			if lag := time.Duration(*op.WatermarkLag) * time.Millisecond; lag < 0 || lag > 2*time.Minute {
				t.Errorf("%s watermark lag %s, want a recent watermark", op.Name, lag)
			}
		}
		if c := ins.Checkpoint; c == nil || c.Interval != 0 {
			t.Errorf("checkpoint %+v, want checkpointing off", c)
		}
	})

	t.Run("Ended", func(t *testing.T) {
		// Flink has no metrics for an ended job: the inspection keeps what
		// the job last showed, with its new state.
		j.stop()
		waitState(ctx, t, s.c.JobManager, j.id, flink.JobCanceled)
		ended, err := in.Sample(ctx, inspect.Output{})
		if err != nil {
			t.Fatal(err)
		}
		if ended.JobState != flink.JobCanceled || len(ended.Operators) != 8 || ended.Operators[0].RecordsOut == 0 {
			t.Fatalf("after the job ended: %s", describe(ended))
		}
		if !slices.ContainsFunc(ended.Diagnoses, func(d inspect.Diagnosis) bool { return d.Code == inspect.LateRecordsDropped }) {
			t.Errorf("after the job ended, diagnoses %+v, want %s kept", ended.Diagnoses, inspect.LateRecordsDropped)
		}
	})
}

// subtaskWithMetric returns the subtask of a two-subtask vertex that
// reports a metric whose name contains part.
func subtaskWithMetric(ctx context.Context, t *testing.T, jm *flink.JobManager, jobID, vertexID, part string) int {
	t.Helper()
	for i := range 2 {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/jobs/%s/vertices/%s/subtasks/%d/metrics", jm.URL(), jobID, vertexID, i), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var ms []struct {
			ID string `json:"id"`
		}
		err = json.NewDecoder(resp.Body).Decode(&ms)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(ms, func(m struct {
			ID string `json:"id"`
		}) bool {
			return strings.Contains(m.ID, part)
		}) {
			return i
		}
	}
	t.Fatalf("no subtask of %s reports a metric with %q", vertexID, part)
	return -1
}

// lateMetric finds the window operator's numLateRecordsDropped metric by
// listing the job's metric names.
func lateMetric(ctx context.Context, t *testing.T, jm *flink.JobManager, jobID string) (vertexID, name string) {
	t.Helper()
	g, err := jm.Job(ctx, jobID)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range g.Vertices {
		names, err := jm.VertexMetricNames(ctx, jobID, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if strings.HasPrefix(n, "GlobalWindowAggregate[") && strings.HasSuffix(n, ".numLateRecordsDropped") {
				return v.ID, n
			}
		}
	}
	t.Fatal("no numLateRecordsDropped metric")
	return "", ""
}

// Case: a query with checkpointing every 30 s. Flink hands its rows to the
// client only at checkpoints; the inspector says so.
func TestInspect_ResultsWaitForCheckpoint(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := openSession(t)
	s.exec(ctx, `CREATE TEMPORARY TABLE gen (id INT) WITH ('connector'='datagen','rows-per-second'='5')`)
	s.exec(ctx, `SET 'execution.checkpointing.interval' = '30 s'`)
	stmt := `SELECT id FROM gen`
	j := s.start(ctx, stmt)
	in := inspect.New(s.c.JobManager, j.id, inspect.Options{Statement: stmt})
	d, ins := waitDiagnosis(ctx, t, in, inspect.ResultsWaitForCheckpoint, 20*time.Second)
	t.Logf("%s\n%s", d.Message, d.Suggestion)
	if c := ins.Checkpoint; c == nil || c.Interval != 30_000 {
		t.Errorf("checkpoint %+v, want an interval of 30 s", c)
	}
	if !strings.Contains(d.Message, "every 30 s") || d.Operator != "Sink: Collect table sink" {
		t.Errorf("diagnosis %q: %s", d.Operator, d.Message)
	}
	// (Flink takes the first checkpoint at a random time within the
	// first interval, so when rows first come is not tested here.)
}

// TestInspect_FilesWaitForCheckpoint: a file sink commits its files at
// checkpoints, so without checkpointing what it writes never becomes
// visible — the diagnosis says so, and the directory indeed holds only
// hidden in-progress files. A query checkpointed at least once (how Eddy
// runs a note's SELECTs) gets its rows as they come: no diagnosis.
func TestInspect_FilesWaitForCheckpoint(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s := openSession(t)
	dir := t.TempDir()
	s.exec(ctx, `CREATE TEMPORARY TABLE gen (id INT) WITH ('connector'='datagen','rows-per-second'='20')`)
	s.exec(ctx, fmt.Sprintf(`CREATE TEMPORARY TABLE files (id INT) WITH ('connector'='filesystem','path'='file://%s','format'='csv')`, dir))
	stmt := `INSERT INTO files SELECT id FROM gen`
	j := s.start(ctx, stmt)
	in := inspect.New(s.c.JobManager, j.id, inspect.Options{Statement: stmt})
	d, _ := waitDiagnosis(ctx, t, in, inspect.ResultsWaitForCheckpoint, 30*time.Second)
	t.Logf("%s\n%s", d.Message, d.Suggestion)
	if !strings.HasPrefix(d.Operator, "StreamingFileWriter") || !strings.Contains(d.Message, "checkpointing is off") ||
		!strings.Contains(d.Suggestion, "SET 'execution.checkpointing.interval'") {
		t.Errorf("diagnosis %q: %s\n%s", d.Operator, d.Message, d.Suggestion)
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !strings.HasPrefix(f.Name(), ".") || !strings.Contains(f.Name(), "inprogress") {
			t.Errorf("file %s is visible: the diagnosis says nothing is", f.Name())
		}
	}
	j.stop()

	s.exec(ctx, `SET 'execution.checkpointing.interval' = '30 s'`)
	s.exec(ctx, `SET 'execution.checkpointing.mode' = 'AT_LEAST_ONCE'`)
	q := s.start(ctx, `SELECT id FROM gen`)
	qin := inspect.New(s.c.JobManager, q.id, inspect.Options{Statement: `SELECT id FROM gen`})
	for range 4 {
		ins, err := qin.Sample(ctx, inspect.Output{Rows: q.rows.Load()})
		if err != nil {
			t.Fatal(err)
		}
		if len(ins.Diagnoses) > 0 {
			t.Fatalf("a query checkpointed at least once: diagnoses %+v", ins.Diagnoses)
		}
		time.Sleep(2 * time.Second)
	}
	if q.rows.Load() == 0 {
		t.Errorf("at least once, rows come before the first checkpoint: none came")
	}
}
