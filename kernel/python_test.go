package kernel_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// newPythonFixture is newFixture with Python workers that submit to the
// test cluster and share its catalog.
func newPythonFixture(t testing.TB) *fixture {
	t.Helper()
	f := newFixture(t)
	cfg, err := flinktest.PythonWorkers(t, filepath.Join(t.TempDir(), "python"))
	if err != nil {
		t.Fatal(err)
	}
	f.cluster.Python = cfg
	return f
}

// unique names a catalog object for this run: the catalog outlives tests.
func unique(prefix string) string {
	return fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
}

const pyTwoLevel = `SELECT cnt, COUNT(*) AS keys_with_cnt FROM (SELECT MOD(id, 7) AS k, COUNT(*) AS cnt FROM src GROUP BY MOD(id, 7)) GROUP BY cnt`

// TestPython_ShowEqualsBatch: a Python paragraph builds a table over
// datagen and shows it with z.show in update mode; the final table equals
// the same query's batch result from a SQL paragraph. Append and single
// modes show what Zeppelin's do.
func TestPython_ShowEqualsBatch(t *testing.T) {
	f := newPythonFixture(t)
	src := strings.TrimSuffix(seqSource, ";")
	n, k := f.note(
		"%flink.pyflink\nst_env.execute_sql(\"\"\""+src+"\"\"\")\n"+
			"t = st_env.sql_query(\""+pyTwoLevel+"\")\nz.show(t, stream_type='update')\nprint('shown')",
		"%flink.bsql\n"+seqSource+"\n"+pyTwoLevel,
		"%flink.pyflink\nz.show(st_env.from_path('src').filter(col('id') <= 20), stream_type='append')",
		"%flink.ipyflink\nz.show(st_env.from_path('src').select(col('id').max.alias('top')), stream_type='single', template='<b>{0}</b>')",
	)
	py := f.run(n, k, 0)
	f.mustFinish(py)
	batch := f.run(n, k, 1)
	f.mustFinish(batch)
	if got, want := tableRows(t, py), tableRows(t, batch); !slices.Equal(got, want) || len(got) == 0 {
		t.Fatalf("z.show update table %v, batch %v", got, want)
	}
	if last := py.Results.Msg[len(py.Results.Msg)-1]; last.Type != notebooks.MessageText || !strings.Contains(last.Data, "shown") {
		t.Fatalf("printed output after the table: %+v", py.Results.Msg)
	}
	app := f.run(n, k, 2)
	f.mustFinish(app)
	if rows := tableRows(t, app); len(rows) != 20 {
		t.Fatalf("append rows %v", rows)
	}
	single := f.run(n, k, 3)
	f.mustFinish(single)
	if got := single.Results.Msg[len(single.Results.Msg)-1]; got.Type != notebooks.MessageHTML || !strings.Contains(got.Data, "<b>500</b>") {
		t.Fatalf("single: %+v", single.Results.Msg)
	}
}

// TestPython_SharedWithSQL: a Python UDF is callable from the note's SQL
// paragraphs; a table created in SQL is read in Python and one created in
// Python is seen by another note's SQL.
func TestPython_SharedWithSQL(t *testing.T) {
	f := newPythonFixture(t)
	sqlTable, pyTable := unique("from_sql"), unique("from_python")
	n, k := f.note(
		"%flink.pyflink\n@udf(result_type=DataTypes.BIGINT())\ndef triple_plus(x):\n    return x * 3 + 1\n\nst_env.create_temporary_system_function('triple_plus', triple_plus)",
		"%flink.bsql\nSELECT triple_plus(id) AS r FROM (VALUES (CAST(1 AS BIGINT)), (CAST(14 AS BIGINT))) AS t(id)",
		"%flink.ssql\nCREATE TABLE "+sqlTable+" (id BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '5', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '5')",
		"%flink.pyflink\nz.show(st_env.from_path('"+sqlTable+"').select(col('id').sum.alias('total')))",
		"%flink.pyflink\nst_env.execute_sql(\"CREATE TABLE "+pyTable+" (name STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '3')\")",
	)
	f.mustFinish(f.run(n, k, 0))
	udf := f.run(n, k, 1)
	f.mustFinish(udf)
	if got := tableRows(t, udf); !slices.Equal(got, []string{"4", "43"}) {
		t.Fatalf("python udf in SQL: %v", got)
	}
	f.mustFinish(f.run(n, k, 2))
	sum := f.run(n, k, 3)
	f.mustFinish(sum)
	if got := tableRows(t, sum); !slices.Equal(got, []string{"15"}) {
		t.Fatalf("SQL table read in Python: %v", got)
	}
	f.mustFinish(f.run(n, k, 4))
	other, ok := f.note("%flink.bsql\nSELECT COUNT(*) AS c FROM " + pyTable)
	got := f.run(other, ok, 0)
	f.mustFinish(got)
	if rows := tableRows(t, got); !slices.Equal(rows, []string{"3"}) {
		t.Fatalf("Python table from another note: %v", rows)
	}
}

// TestPython_ErrorsPointAtTheLine: a failing paragraph ends in ERROR with
// its Python traceback, and the error offset marks the failing line.
func TestPython_ErrorsPointAtTheLine(t *testing.T) {
	f := newPythonFixture(t)
	n, k := f.note("%flink.pyflink\nx = 1\nboom = {}['missing']\n")
	p := f.run(n, k, 0)
	if p.Status != notebooks.StatusError || !strings.Contains(p.ErrorMessage, "KeyError") ||
		!strings.Contains(p.ErrorMessage, "line 2") || !strings.Contains(p.ErrorMessage, "Traceback") {
		t.Fatalf("status %s, error %q", p.Status, p.ErrorMessage)
	}
	at, _ := p.Config[kernel.ConfigErrorAt].(map[string]any)
	if fmt.Sprint(at["offset"]) != strconv.Itoa(strings.Index(p.Text, "boom")) {
		t.Fatalf("error offset %v, want the failing line's start %d", at, strings.Index(p.Text, "boom"))
	}
}

// TestPython_WorkerKilledMidParagraph: kill -9 of the worker ends the
// paragraph in ERROR with a clear message, and the next run starts a new
// worker that works.
func TestPython_WorkerKilledMidParagraph(t *testing.T) {
	f := newPythonFixture(t)
	n, k := f.note("%flink.pyflink\nimport time\nprint('sleeping')\ntime.sleep(600)", "%flink.pyflink\nprint(6 * 7)")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pid := n.Paragraphs[0].ID
	done, err := k.Run(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	waitLive(ctx, t, k, pid, func(l kernel.ParagraphLive) bool {
		return len(l.Messages) > 0 && strings.Contains(l.Messages[0].Data, "sleeping")
	})
	w := k.PythonWorker()
	if w == nil {
		t.Fatal("no worker")
	}
	group := pgroup(w.Ready().PID)
	if err := syscall.Kill(w.Ready().PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	p, _ := f.store.FindParagraph(ctx, n.ID, pid)
	if p.Status != notebooks.StatusError || !strings.Contains(p.ErrorMessage, "Python worker ended") || !strings.Contains(p.ErrorMessage, "signal 9") {
		t.Fatalf("status %s, error %q", p.Status, p.ErrorMessage)
	}
	waitGone(t, group)
	next := f.run(n, k, 1)
	f.mustFinish(next)
	if strings.TrimSpace(next.Results.Msg[0].Data) != "42" {
		t.Fatalf("next run: %+v", next.Results.Msg)
	}
}

// TestPython_InterruptCancelsJob: cancelling a paragraph that shows an
// unbounded query interrupts it and cancels its Flink job.
func TestPython_InterruptCancelsJob(t *testing.T) {
	f := newPythonFixture(t)
	n, k := f.note("%flink.pyflink\nst_env.execute_sql(\"CREATE TEMPORARY TABLE gen (k INT) WITH ('connector'='datagen','rows-per-second'='50','fields.k.min'='1','fields.k.max'='5')\")\n" +
		"z.show(st_env.sql_query('SELECT k, COUNT(*) AS c FROM gen GROUP BY k'))")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pid := n.Paragraphs[0].ID
	if _, err := k.Run(ctx, pid); err != nil {
		t.Fatal(err)
	}
	l := waitLive(ctx, t, k, pid, func(l kernel.ParagraphLive) bool {
		return l.JobID != "" && l.Result != nil && l.Result.Snapshot != nil && len(l.Result.Snapshot.Rows) == 5
	})
	if err := k.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	waitJobState(ctx, t, f.cluster.JobManager, l.JobID, flink.JobCanceled)
	p, _ := f.store.FindParagraph(ctx, n.ID, pid)
	if p.Status != notebooks.StatusAbort {
		t.Fatalf("status %s: %s", p.Status, p.ErrorMessage)
	}
	if w := k.PythonWorker(); w == nil {
		t.Fatal("the worker did not survive an interrupt")
	}
}

// TestPython_CloseEndsWorker: closing the kernel (ending the session) ends
// the worker and its client JVM.
func TestPython_CloseEndsWorker(t *testing.T) {
	f := newPythonFixture(t)
	n, k := f.note("%flink.pyflink\nprint(st_env is not None)")
	f.mustFinish(f.run(n, k, 0))
	w := k.PythonWorker()
	group := pgroup(w.Ready().PID)
	if len(group) < 2 {
		t.Fatalf("worker process group %v: want Python and its JVM", group)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := k.Close(ctx); err != nil {
		t.Fatal(err)
	}
	waitGone(t, group)
}

// pgroup returns the processes of the process group led by pid.
func pgroup(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if g, err := syscall.Getpgid(p); err == nil && g == pid {
			out = append(out, p)
		}
	}
	return out
}

// waitGone waits until every process of pids has exited.
func waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for _, p := range pids {
		for syscall.Kill(p, 0) == nil {
			if stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p)); err == nil && strings.Contains(string(stat), ") Z ") {
				break // a zombie waiting for its parent to reap it
			}
			if time.Now().After(deadline) {
				t.Fatalf("process %d of the worker is still running", p)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// TestPython_Complete: a Python paragraph completes from the worker's live
// namespace (names the note defined, attributes of objects); before the
// worker runs, from the names every Python paragraph has.
func TestPython_Complete(t *testing.T) {
	if got, ok := kernel.CompletePython("%flink.pyflink\nx = st_", 22); !ok || !slices.Equal(got, []string{"st_env"}) {
		t.Fatalf("static completion: %v %v", got, ok)
	}
	if _, ok := kernel.CompletePython("%flink.ssql\nSEL", 15); ok {
		t.Fatal("SQL completed as Python")
	}
	f := newPythonFixture(t)
	n, k := f.note("%flink.pyflink\nmy_total_rows = 42")
	f.mustFinish(f.run(n, k, 0))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for text, want := range map[string]string{
		"%flink.pyflink\nprint(my_to":      "my_total_rows",
		"%flink.pyflink\nst_env.execute_s": "execute_sql",
		"%flink.ipyflink\nDataTypes.BIG":   "BIGINT",
	} {
		got, err := k.Complete(ctx, text, len(text))
		if err != nil || !slices.Contains(got, want) {
			t.Errorf("%q: %v %v, want %s", text, got, err, want)
		}
	}
}

// fixtureTexts returns the texts of the paragraphs of a Zeppelin fixture
// note that contain each of the given snippets, unchanged.
func fixtureTexts(t *testing.T, file string, snippets ...string) []string {
	t.Helper()
	root, err := flinktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "..", "shared", "fixtures", "zeppelin", file))
	if err != nil {
		t.Fatalf("Zeppelin fixture beside the repository (../shared/fixtures/zeppelin): %v", err)
	}
	note, err := notebooks.ImportZeppelin(data, "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range snippets {
		i := slices.IndexFunc(note.Paragraphs, func(p *notebooks.Paragraph) bool { return strings.Contains(p.Text, s) })
		if i < 0 {
			t.Fatalf("%s has no paragraph with %q", file, s)
		}
		out = append(out, note.Paragraphs[i].Text)
	}
	return out
}

// TestPython_ZeppelinFixtures runs the Python paragraphs of Zeppelin's
// tutorial notes unchanged: PyFlink UDFs registered Zeppelin's way
// (register_function, on st_env and bt_env) and called from SQL, and
// IPython's help, magics, forms and z.show of a pandas DataFrame.
func TestPython_ZeppelinFixtures(t *testing.T) {
	f := newPythonFixture(t)
	texts := fixtureTexts(t, "2._Three_Essential_Steps_for_Building_Flink_Job_2F7SKEHPA.zpln",
		`st_env.register_function("ip_to_country", ip_to_country)`, `select ip_to_country('2.10.01.1')`)
	texts = append(texts, fixtureTexts(t, "7._Batch_Data_Analytics_2EZ9G3JJU.zpln", `bt_env.register_function("python_upper"`)...)
	texts = append(texts, "%flink.bsql\nSELECT python_upper('single') AS up")
	texts = append(texts, fixtureTexts(t, "1._IPython_Basic_2EYDJKFFY.zpln", "sys?", "help(sys)", "%timeit range", "z.input(", "z.show(df)")...)
	n, k := f.note(texts...)
	for i := range 2 {
		f.mustFinish(f.run(n, k, i))
	}
	if got := tableRows(t, f.run(n, k, 1)); !slices.Equal(got, []string{"China"}) {
		t.Fatalf("ip_to_country from SQL: %v", got)
	}
	f.mustFinish(f.run(n, k, 2))
	up := f.run(n, k, 3)
	f.mustFinish(up)
	if got := tableRows(t, up); !slices.Equal(got, []string{"SINGLE"}) {
		t.Fatalf("python_upper from SQL: %v", got)
	}
	output := func(p *notebooks.Paragraph) string {
		var b strings.Builder
		for _, m := range p.Results.Msg {
			b.WriteString(m.Data)
		}
		return b.String()
	}
	for i, want := range map[int]string{4: "sys", 5: "This module provides access", 6: "loops each", 7: "hello"} {
		p := f.run(n, k, i)
		f.mustFinish(p)
		if !strings.Contains(output(p), want) {
			t.Errorf("paragraph %d (%q): output %q lacks %q", i, p.Text, output(p), want)
		}
	}
	df := f.run(n, k, 8)
	f.mustFinish(df)
	if got := tableRows(t, df); !slices.Equal(got, []string{"a\t12", "b\t24", "c\t18"}) {
		t.Fatalf("z.show(df): %v", got)
	}
}

// TestPython_PrintInsertAndProperties: table.execute().print() reads as a
// table with the row kinds; an INSERT the code leaves running keeps the
// paragraph running until it ends; jobName and parallelism apply to the
// paragraph's jobs.
func TestPython_PrintInsertAndProperties(t *testing.T) {
	f := newPythonFixture(t)
	sink := unique("py_sink")
	n, k := f.note(
		"%flink.pyflink\nst_env.from_elements([(1, 'a'), (2, 'b')], ['id', 'v']).execute().print()",
		"%flink.pyflink(jobName=py_insert_job, parallelism=2)\n"+
			"st_env.execute_sql(\"CREATE TEMPORARY TABLE src2 (id BIGINT) WITH ('connector'='datagen','rows-per-second'='20','number-of-rows'='60','fields.id.kind'='sequence','fields.id.start'='1','fields.id.end'='60')\")\n"+
			"st_env.execute_sql(\"CREATE TABLE "+sink+" (id BIGINT) WITH ('connector'='blackhole')\")\n"+
			"st_env.execute_sql('INSERT INTO "+sink+" SELECT id FROM src2')\nprint('submitted')",
	)
	printed := f.run(n, k, 0)
	f.mustFinish(printed)
	if got := tableRows(t, printed); !slices.Equal(got, []string{"+I\t1\ta", "+I\t2\tb"}) {
		t.Fatalf("print(): %v", got)
	}
	start := time.Now()
	ins := f.run(n, k, 1)
	f.mustFinish(ins)
	if time.Since(start) < 2*time.Second {
		t.Fatalf("the paragraph ended after %s, before its INSERT of 60 rows at 20 rows/s", time.Since(start))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	jobs, err := f.cluster.JobManager.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, j := range jobs {
		if j.Name == "py_insert_job" && j.StartTime >= start.UnixMilli()-1000 {
			found = true
			d, err := f.cluster.JobManager.Job(ctx, j.ID)
			if err != nil || d.State != flink.JobFinished {
				t.Fatalf("job %s: %+v %v", j.ID, d.State, err)
			}
			for _, v := range d.Vertices {
				if v.Parallelism != 2 {
					t.Errorf("vertex %s has parallelism %d, want 2", v.Name, v.Parallelism)
				}
			}
		}
	}
	if !found {
		t.Fatalf("no job named py_insert_job among %+v", jobs)
	}
}

// TestPython_OutputIsBounded: a paragraph that prints without end keeps
// the first MiB and says that the rest was dropped.
func TestPython_OutputIsBounded(t *testing.T) {
	f := newPythonFixture(t)
	n, k := f.note("%flink.pyflink\nfor i in range(300000):\n    print('line %06d of a long output' % i)")
	p := f.run(n, k, 0)
	f.mustFinish(p)
	out := p.Results.Msg[0].Data
	if len(out) > 1<<20+200 || !strings.HasPrefix(out, "line 000000") || !strings.Contains(out, "output truncated") {
		t.Fatalf("%d bytes of output, ending %q", len(out), out[max(0, len(out)-120):])
	}
}

// TestPython_PropertiesArePerParagraph: a paragraph's parallelism does not
// stay for the next paragraph.
func TestPython_PropertiesArePerParagraph(t *testing.T) {
	f := newPythonFixture(t)
	n, k := f.note(
		"%flink.pyflink(parallelism=3)\nprint(st_env.get_config().get('parallelism.default', 'unset'))",
		"%flink.pyflink\nprint(st_env.get_config().get('parallelism.default', 'unset'), st_env.get_config().get('pipeline.name', ''))",
	)
	first := f.run(n, k, 0)
	f.mustFinish(first)
	second := f.run(n, k, 1)
	f.mustFinish(second)
	if a, b := strings.TrimSpace(first.Results.Msg[0].Data), strings.TrimSpace(second.Results.Msg[0].Data); a != "3" || b != "1 "+kernel.JobName(n.ID, n.Paragraphs[1].ID) {
		t.Fatalf("parallelism %q then %q", a, b)
	}
}

// TestPython_Forms: z.input, z.select and z.checkbox show forms on the
// paragraph (settings.forms, as Zeppelin records them) and return the
// values chosen in them, or their defaults until one is.
func TestPython_Forms(t *testing.T) {
	f := newPythonFixture(t)
	n, k := f.note("%flink.pyflink\nwho = z.input('who', 'world')\nsize = z.select('size', [('s', 'Small'), ('l', 'Large')], 'l')\n" +
		"tags = z.checkbox('tags', ['a', 'b', 'c'], ['b'])\nprint(who, size, tags)")
	p := f.run(n, k, 0)
	f.mustFinish(p)
	if got := strings.TrimSpace(p.Results.Msg[0].Data); got != "world l ['b']" {
		t.Fatalf("defaults: %q", got)
	}
	for name, typ := range map[string]string{"who": "TextBox", "size": "Select", "tags": "CheckBox"} {
		form, _ := p.Settings.Forms[name].(map[string]any)
		if form["type"] != typ {
			t.Errorf("form %s: %+v", name, p.Settings.Forms[name])
		}
	}
	ctx := context.Background()
	params := map[string]any{"who": "Eddy", "size": "s", "tags": []any{"a", "c"}}
	if _, err := f.store.UpdateParagraph(ctx, n.ID, p.ID, notebooks.ParagraphUpdate{Params: params}); err != nil {
		t.Fatal(err)
	}
	p = f.run(n, k, 0)
	f.mustFinish(p)
	if got := strings.TrimSpace(p.Results.Msg[0].Data); got != "Eddy s ['a', 'c']" {
		t.Fatalf("chosen values: %q", got)
	}
}

// TestPython_FailedRunLeavesNoJob: code that submits an unbounded INSERT and
// then fails ends in ERROR with its job stopped, not running unseen.
func TestPython_FailedRunLeavesNoJob(t *testing.T) {
	f := newPythonFixture(t)
	sink := unique("py_left")
	n, k := f.note("%flink.pyflink\n" +
		"st_env.execute_sql(\"CREATE TEMPORARY TABLE gen3 (k INT) WITH ('connector'='datagen','rows-per-second'='5')\")\n" +
		"st_env.execute_sql(\"CREATE TABLE " + sink + " (k INT) WITH ('connector'='blackhole')\")\n" +
		"st_env.execute_sql('INSERT INTO " + sink + " SELECT k FROM gen3')\n" +
		"raise RuntimeError('after the INSERT')")
	p := f.run(n, k, 0)
	if p.Status != notebooks.StatusError || !strings.Contains(p.ErrorMessage, "after the INSERT") {
		t.Fatalf("status %s: %s", p.Status, p.ErrorMessage)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	jobs, err := f.cluster.JobManager.Jobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	name := kernel.JobName(n.ID, n.Paragraphs[0].ID)
	seen := 0
	for _, j := range jobs {
		if j.Name == name {
			seen++
			waitJobState(ctx, t, f.cluster.JobManager, j.ID, flink.JobCanceled)
		}
	}
	if seen != 1 {
		t.Fatalf("%d jobs named %s", seen, name)
	}
}
