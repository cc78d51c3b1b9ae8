package pyworker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/pyworker"
)

// testConfig is a worker configuration for the shared test cluster
// (scripts/with-flink), whose Python and REST address it reads from the
// environment.
func testConfig(t *testing.T) pyworker.Config {
	t.Helper()
	python, rest := os.Getenv("EDDY_TEST_PYTHON"), os.Getenv("EDDY_TEST_FLINK_REST")
	if python == "" || rest == "" {
		t.Fatal("EDDY_TEST_PYTHON and EDDY_TEST_FLINK_REST must name the shared test cluster's Python and REST endpoint: run the tests through 'make test' (scripts/with-flink)")
	}
	host, port, _ := strings.Cut(strings.TrimPrefix(rest, "http://"), ":")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	jars, _ := filepath.Glob(filepath.Join(root, ".flink", "catalog", "*.jar"))
	return pyworker.Config{
		Python:    python,
		Dir:       t.TempDir(),
		ConfFile:  os.Getenv("EDDY_TEST_FLINK_CONF"),
		Conf:      map[string]string{"execution.target": "remote", "rest.address": host, "rest.port": port},
		Classpath: jars,
		ModuleTag: "test",
	}
}

func startWorker(t *testing.T) *pyworker.Worker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w, err := pyworker.Start(ctx, testConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// run runs code and returns its events and its done event.
func run(t *testing.T, w *pyworker.Worker, code, mode string) ([]pyworker.Event, pyworker.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var evs []pyworker.Event
	done, err := w.Run(ctx, pyworker.Run{Code: code, Mode: mode, JobName: "pyworker-test"}, 10*time.Second,
		func(ev pyworker.Event) { evs = append(evs, ev) })
	if err != nil {
		t.Fatal(err)
	}
	return evs, done
}

func TestWorker_StdoutStateAndErrors(t *testing.T) {
	w := startWorker(t)
	t.Logf("worker ready: %+v", w.Ready())
	evs, done := run(t, w, "x = 6 * 7\nprint('hello', x)\n", "pyflink")
	if !done.OK || len(evs) == 0 || !strings.Contains(text(evs), "hello 42") {
		t.Fatalf("events %+v done %+v", evs, done)
	}
	evs, done = run(t, w, "x + 1", "pyflink")
	if !done.OK || strings.TrimSpace(text(evs)) != "43" {
		t.Fatalf("state did not carry: %+v %+v", evs, done)
	}
	_, done = run(t, w, "a = 1\n\nb = 1 / 0\n", "pyflink")
	if done.OK || done.Error == nil || done.Error.Type != "ZeroDivisionError" || done.Error.Line != 3 ||
		!strings.Contains(done.Error.Traceback, "line 3") {
		t.Fatalf("error %+v", done.Error)
	}
	evs, done = run(t, w, "x * 2", "ipyflink")
	if !done.OK || len(evs) != 1 || evs[0].Ev != "display" || evs[0].Data != "84" {
		t.Fatalf("ipyflink %+v %+v", evs, done)
	}
}

func text(evs []pyworker.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		if ev.Ev == "stdout" || ev.Ev == "stderr" {
			b.WriteString(ev.Text)
		}
	}
	return b.String()
}

func TestWorker_ShowTable(t *testing.T) {
	w := startWorker(t)
	evs, done := run(t, w, `
t = st_env.from_elements([(1, 'a'), (2, 'b'), (1, 'c')], ['k', 'v'])
z.show(t.group_by(col('k')).select(col('k'), col('v').count.alias('n')), stream_type='update')
`, "pyflink")
	if !done.OK {
		t.Fatalf("done %+v, events %+v", done, evs)
	}
	var rows [][]any
	var cols []pyworker.Column
	for _, ev := range evs {
		switch ev.Ev {
		case "table":
			cols = ev.Columns
		case "rows":
			rows = append(rows, ev.Rows...)
		}
	}
	t.Logf("columns %+v rows %v", cols, rows)
	if len(cols) != 2 || cols[0].Name != "k" || len(rows) == 0 {
		t.Fatalf("columns %+v rows %v", cols, rows)
	}
}

// TestWorker_DataStreamJobs: a DataStream job (with a Python function)
// run by s_env.execute runs on the cluster, not in a mini cluster inside
// the worker, is reported as the paragraph's job, and its result comes
// back.
func TestWorker_DataStreamJobs(t *testing.T) {
	w := startWorker(t)
	evs, done := run(t, w, "ds = s_env.from_collection([1, 2, 3])\nds.map(lambda x: x * 2).print()\nr = s_env.execute('ds-test')\nprint('net runtime', r.get_net_runtime() >= 0)", "pyflink")
	var jobs []string
	for _, ev := range evs {
		if ev.Ev == "job" {
			jobs = append(jobs, ev.JobID)
		}
	}
	if !done.OK || len(jobs) != 1 || !strings.Contains(text(evs), "net runtime True") {
		t.Fatalf("jobs %v, done %+v (%+v), output %q", jobs, done, done.Error, text(evs))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := flink.NewJobManager(os.Getenv("EDDY_TEST_FLINK_REST"), nil).Job(ctx, jobs[0])
	if err != nil || d.State != flink.JobFinished || d.Name != "ds-test" {
		t.Fatalf("job %s on the cluster: %+v %v", jobs[0], d.State, err)
	}
}
