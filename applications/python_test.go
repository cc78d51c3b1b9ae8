package applications_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/applications"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// pythonRows is how many ids the Python note's bounded sequence emits, at
// 20 a second: enough that the restored job still runs through an
// in-place rescale on a loaded machine (one took 55 s; with 600 rows the
// job finished first).
const pythonRows = 1800

// pythonNote creates a note mixing PyFlink and SQL paragraphs: Python
// defines the source, SQL the filesystem sink, Python a UDF and the INSERT
// through it (with Zeppelin's .wait()), and a SELECT only displays.
func (f *fixture) pythonNote(t *testing.T, name, out string) string {
	t.Helper()
	n, err := f.notes.CreateNote(context.Background(), notebooks.NoteCreate{Path: name, Paragraphs: []notebooks.ParagraphCreate{
		{Title: "Source", Text: fmt.Sprintf(`%%flink.pyflink
st_env.execute_sql("""
CREATE TEMPORARY TABLE seq (id BIGINT) WITH ('connector' = 'datagen',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '%d', 'rows-per-second' = '20')
""")`, pythonRows)},
		{Title: "Sink", Text: fmt.Sprintf(`%%flink.ssql
CREATE TEMPORARY TABLE tripled (id BIGINT, r BIGINT) WITH (
  'connector' = 'filesystem', 'path' = 'file://%s', 'format' = 'csv')`, out)},
		{Text: "%flink.ssql\nSELECT * FROM seq"},
		{Title: "Transform", Text: `%flink.pyflink
@udf(result_type=DataTypes.BIGINT())
def triple_plus(x):
    return x * 3 + 1

st_env.create_temporary_system_function("triple_plus", triple_plus)
st_env.execute_sql("INSERT INTO tripled SELECT id, triple_plus(id) FROM seq").wait()`},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return n.ID
}

// TestManager_PythonApplication: a note with PyFlink paragraphs promotes
// to a Python application that Flink's PythonDriver runs on the
// application's own cluster, as one job with the fixed job id. It is
// stopped with a snapshot part-way through a bounded sequence, started
// again from it and rescaled in place from 1 to 2 while it runs; once the
// sequence is read, the sink holds each id exactly once, transformed by
// the paragraph's Python UDF: the restored and the rescaled job went on
// where the job before stopped, nothing read twice or lost.
func TestManager_PythonApplication(t *testing.T) {
	f := newFixture(t, 8, applications.Quotas{})
	ctx := context.Background()
	out := t.TempDir()
	noteID := f.pythonNote(t, "python-app", out)

	pre, err := f.m.Preview(ctx, noteID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pre.Script, "# Built by Eddy") || !strings.Contains(pre.Script, "def triple_plus(x):") ||
		len(pre.Excluded) != 1 || pre.Excluded[0].Index != 2 {
		t.Fatalf("preview: excluded %+v, script:\n%s", pre.Excluded, pre.Script)
	}

	// The notebook cluster cannot run it.
	onSession, err := f.m.Create(ctx, applications.CreateRequest{NoteID: noteID, Name: "py-on-session", Target: applications.TargetSession})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Start(ctx, onSession.ID, applications.StartRequest{Restore: applications.RestoreNone}); code(err) != eddy.EINVALID ||
		!strings.Contains(err.Error(), `choose the "standalone" target`) {
		t.Fatalf("a Python application on the session target: %v", err)
	}

	a, err := f.m.Create(ctx, applications.CreateRequest{NoteID: noteID, Name: "py-app", Target: applications.TargetStandalone,
		MaxParallelism: 2, CheckpointIntervalMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := f.m.Versions(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if applications.ScriptLanguage(vs[0]) != applications.LanguagePython {
		t.Fatalf("version 1 is %q, want python", applications.ScriptLanguage(vs[0]))
	}
	if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreNone}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	jmURL, err := f.m.JobManagerURL(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	jm := flink.NewJobManager(jmURL, nil)
	got, _ := f.m.Get(ctx, a.ID)
	jobs, err := jm.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 1 || jobs[0].ID != got.JobID {
		t.Fatalf("the application cluster runs %+v, want one job, %s", jobs, got.JobID)
	}
	// Some rows committed, far from all of them.
	waitRows(t, out, 40)
	if _, err := f.m.Stop(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusReady)
	first, err := flinktest.CommittedRows(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) >= pythonRows {
		t.Fatalf("the first run wrote all %d rows before its stop: the restore proves nothing", len(first))
	}

	if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreLatestSnapshot}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	if _, err := f.m.Rescale(ctx, a.ID, 2); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, f.m, a.ID, applications.StatusRunning)
	evs, _ := f.m.Events(ctx, a.ID)
	if evs[0].Kind != "rescaled" || !strings.Contains(evs[0].Message, "in place") {
		t.Fatalf("the last event is %s %q, want rescaled in place", evs[0].Kind, evs[0].Message)
	}
	job, err := flink.NewJobManager(mustJobManagerURL(t, f.m, a.ID), nil).Job(ctx, got.JobID)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range job.Vertices {
		if v.Parallelism != 2 {
			t.Fatalf("vertex %q runs at %d after the rescale, want 2", v.Name, v.Parallelism)
		}
	}
	// The bounded sequence ends; its job finishes and the application is
	// READY again.
	deadline := time.Now().Add(3 * time.Minute)
	for {
		evs, _ := f.m.Events(ctx, a.ID)
		if len(evs) > 0 && evs[0].Kind == "finished" {
			break
		}
		if g, _ := f.m.Get(ctx, a.ID); g != nil && g.Status == applications.StatusFailed {
			t.Fatalf("the restored run failed: %s", g.Failure)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restored run did not finish; events %+v", evs[:min(len(evs), 3)])
		}
		time.Sleep(500 * time.Millisecond)
	}
	rows, err := flinktest.CommittedRows(out)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, rec := range rows {
		id, err1 := strconv.ParseInt(rec[0], 10, 64)
		r, err2 := strconv.ParseInt(rec[1], 10, 64)
		if err1 != nil || err2 != nil || r != 3*id+1 || seen[id] {
			t.Fatalf("row %v: want id,3*id+1 with each id once", rec)
		}
		seen[id] = true
	}
	if len(seen) != pythonRows {
		t.Fatalf("the sink holds %d ids, want 1..%d", len(seen), pythonRows)
	}
	t.Logf("%d rows before the stop, %d in all, each id once as 3*id+1", len(first), len(rows))
}

func mustJobManagerURL(t *testing.T, m *applications.Manager, id string) string {
	t.Helper()
	u, err := m.JobManagerURL(id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// waitRows waits until the filesystem sink under dir has committed at
// least n rows.
func waitRows(t *testing.T, dir string, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		rows, err := flinktest.CommittedRows(dir)
		if err == nil && len(rows) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sink committed %d rows, want %d (%v)", len(rows), n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestManager_PythonApplicationFailure: a program that fails when it runs
// makes the application FAILED with its own message: a refusal of Eddy's
// runtime (a query for display), or Flink's cause of a Java exception the
// Python code passed on (an INSERT into a table that does not exist).
func TestManager_PythonApplicationFailure(t *testing.T) {
	f := newFixture(t, 8, applications.Quotas{})
	ctx := context.Background()
	for _, tc := range []struct {
		name, code, want string
	}{
		{"Display", "st_env.execute_sql(\"INSERT INTO bh SELECT 1\")\nst_env.execute_sql(\"SELECT 2\").print()",
			"EddyApplicationError: a query only displays results, which an application cannot show: SELECT 2"},
		{"UnknownTable", "st_env.execute_sql(\"INSERT INTO nowhere SELECT 1\")", "ValidationException: Cannot find table '`default_catalog`.`default_database`.`nowhere`'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := f.notes.CreateNote(ctx, notebooks.NoteCreate{Path: "python-fails-" + tc.name, Paragraphs: []notebooks.ParagraphCreate{
				{Text: "%flink.ssql\nCREATE TEMPORARY TABLE bh (id INT) WITH ('connector' = 'blackhole')"},
				{Text: "%flink.pyflink\n" + tc.code},
			}})
			if err != nil {
				t.Fatal(err)
			}
			a, err := f.m.Create(ctx, applications.CreateRequest{NoteID: n.ID, Name: "py-fails-" + strings.ToLower(tc.name), Target: applications.TargetStandalone})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreNone}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(3 * time.Minute)
			for {
				got, err := f.m.Get(ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.Status == applications.StatusFailed {
					if !strings.Contains(got.Failure, tc.want) {
						t.Fatalf("failure %q, want %q", got.Failure, tc.want)
					}
					t.Logf("failure: %s", got.Failure)
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("status %s, want FAILED", got.Status)
				}
				time.Sleep(500 * time.Millisecond)
			}
		})
	}
}

// TestManager_PythonApplicationDataStream: a DataStream pipeline the code
// executes with s_env and a SQL INSERT of the same note run as the
// application's one job (a second job under the fixed job id would fail
// the program): both sinks hold their rows once the bounded job finishes.
func TestManager_PythonApplicationDataStream(t *testing.T) {
	f := newFixture(t, 8, applications.Quotas{})
	ctx := context.Background()
	streamOut, sqlOut := t.TempDir(), t.TempDir()
	n, err := f.notes.CreateNote(ctx, notebooks.NoteCreate{Path: "python-datastream", Paragraphs: []notebooks.ParagraphCreate{
		{Text: fmt.Sprintf(`%%flink.pyflink
from pyflink.datastream.connectors.file_system import FileSink
from pyflink.common.serialization import Encoder

ds = s_env.from_collection([1, 2, 3], type_info=Types.LONG())
ds.map(lambda x: str(x * 10), output_type=Types.STRING()) \
  .sink_to(FileSink.for_row_format(%q, Encoder.simple_string_encoder()).build())
s_env.execute("tens")`, streamOut)},
		{Text: fmt.Sprintf(`%%flink.ssql
CREATE TEMPORARY TABLE src (id BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '4',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '4');
CREATE TEMPORARY TABLE snk (id BIGINT) WITH ('connector' = 'filesystem', 'path' = 'file://%s', 'format' = 'csv');
INSERT INTO snk SELECT id FROM src`, sqlOut)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := f.m.Create(ctx, applications.CreateRequest{NoteID: n.ID, Name: "py-datastream", Target: applications.TargetStandalone,
		CheckpointIntervalMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Start(ctx, a.ID, applications.StartRequest{Restore: applications.RestoreNone}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		evs, _ := f.m.Events(ctx, a.ID)
		if len(evs) > 0 && evs[0].Kind == "finished" {
			break
		}
		if g, _ := f.m.Get(ctx, a.ID); g != nil && g.Status == applications.StatusFailed {
			t.Fatalf("the application failed: %s", g.Failure)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the application did not finish; events %+v", evs[:min(len(evs), 3)])
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, tc := range []struct {
		dir  string
		want string
	}{{streamOut, "10 20 30"}, {sqlOut, "1 2 3 4"}} {
		rows, err := flinktest.CommittedRows(tc.dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r[0])
		}
		slices.Sort(got)
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s holds %v, want %s", tc.dir, got, tc.want)
		}
	}
}
