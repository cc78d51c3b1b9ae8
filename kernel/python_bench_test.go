package kernel_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/kernel/pyworker"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// BenchmarkPythonShowVsSQL measures a bounded query's result streamed by a
// Python paragraph's z.show against the same query run as a SQL paragraph,
// in the same note and run: time to the first row shown and rows per
// second to the end, with their ratios. The note's Python worker is
// started, and each paragraph run once, before the timed loop, so the
// ratios are of the steady state (BenchmarkPythonWorkerStart measures the
// start).
func BenchmarkPythonShowVsSQL(b *testing.B) {
	const rows = 100_000
	source := fmt.Sprintf("CREATE TEMPORARY TABLE py_bench_src (id BIGINT, k INT, s STRING) WITH ('connector'='datagen','number-of-rows'='%d','rows-per-second'='100000000','fields.id.kind'='sequence','fields.id.start'='1','fields.id.end'='%d','fields.k.min'='1','fields.k.max'='1000','fields.s.length'='16')", rows, rows)
	query := "SELECT id, k, s FROM py_bench_src"
	f := newPythonFixture(b)
	// Temporary tables live in the session that created them: the gateway
	// session's and the Python worker's table environment are not the same.
	n, k := f.note(
		"%flink.ssql\n"+source+";",
		"%flink.ssql(type=append)\n"+query,
		"%flink.pyflink\nst_env.execute_sql(\"\"\""+source+"\"\"\")",
		"%flink.pyflink\nz.show(st_env.sql_query(\""+query+"\"), stream_type='append')",
	)
	f.mustFinish(f.run(n, k, 0))
	f.mustFinish(f.run(n, k, 2)) // starts the worker
	sqlPid, pyPid := n.Paragraphs[1].ID, n.Paragraphs[3].ID
	timeRun(b, k, sqlPid, rows)
	timeRun(b, k, pyPid, rows)

	var sqlFirst, sqlTotal, pyFirst, pyTotal time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		first, total := timeRun(b, k, sqlPid, rows)
		sqlFirst += first
		sqlTotal += total
		first, total = timeRun(b, k, pyPid, rows)
		pyFirst += first
		pyTotal += total
	}
	sqlRate := float64(rows*b.N) / sqlTotal.Seconds()
	pyRate := float64(rows*b.N) / pyTotal.Seconds()
	ms := func(d time.Duration) float64 { return d.Seconds() * 1000 / float64(b.N) }
	b.ReportMetric(sqlRate, "sql-rows/s")
	b.ReportMetric(pyRate, "py-rows/s")
	b.ReportMetric(pyRate/sqlRate, "py/sql-rows")
	b.ReportMetric(ms(sqlFirst), "sql-first-row-ms")
	b.ReportMetric(ms(pyFirst), "py-first-row-ms")
	b.ReportMetric(pyFirst.Seconds()/sqlFirst.Seconds(), "py/sql-first-row")
}

// timeRun runs a paragraph that shows a bounded query's rows and returns
// how long until its live result had a row and until the run ended. It
// fails b unless the run finished having received all rows (the kernel
// keeps at most its MaxRows of them; RowsReceived counts all).
func timeRun(b *testing.B, k *kernel.Kernel, pid string, rows int64) (first, total time.Duration) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	done, err := k.Run(ctx, pid)
	if err != nil {
		b.Fatal(err)
	}
	// Poll only until the first row: a snapshot copies up to MaxRows rows.
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for first == 0 {
		if l, _ := k.Live(pid); l.Result != nil && l.Result.Snapshot != nil && len(l.Result.Snapshot.Rows) > 0 {
			first = time.Since(start)
			break
		}
		select {
		case <-done:
			first = time.Since(start) // ended without a row: the check below fails
		case <-ctx.Done():
			b.Fatalf("paragraph %s showed no row in time", pid)
		case <-tick.C:
		}
	}
	select {
	case <-done:
	case <-ctx.Done():
		b.Fatalf("paragraph %s did not finish", pid)
	}
	total = time.Since(start)
	l, _ := k.Live(pid)
	if l.Status != notebooks.StatusFinished {
		b.Fatalf("paragraph %s: status %s: %s", pid, l.Status, l.ErrorMessage)
	}
	if l.Result == nil || l.Result.Snapshot == nil || l.Result.Snapshot.RowsReceived != rows {
		b.Fatalf("paragraph %s received %+v rows, want %d", pid, l.Result, rows)
	}
	return first, total
}

// BenchmarkPythonWorkerStart measures starting a note's Python worker as
// the kernel does (the test cluster's settings, a new directory each time):
// the wall time until it is ready, the worker's own account of its start
// and of its client JVM's, and the resident memory of the Python process
// and of its JVM just after the start.
func BenchmarkPythonWorkerStart(b *testing.B) {
	base := b.TempDir()
	cfg, err := flinktest.PythonWorkers(b, base)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var wall time.Duration
	var startMs, jvmMs int
	var pythonKB, jvmKB int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := *cfg
		c.Dir = filepath.Join(base, strconv.Itoa(i))
		c.ModuleTag = "bench_" + strconv.Itoa(i)
		start := time.Now()
		w, err := pyworker.Start(ctx, c)
		if err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		r := w.Ready()
		startMs += r.StartMs
		jvmMs += r.JVMMs
		py, jvm, err := groupRSS(r.PID)
		w.Close()
		if err != nil {
			b.Fatal(err)
		}
		if jvm == 0 {
			b.Fatalf("worker %d has no JVM in its process group", r.PID)
		}
		pythonKB += py
		jvmKB += jvm
	}
	mean := func(total float64) float64 { return total / float64(b.N) }
	b.ReportMetric(mean(wall.Seconds()*1000), "start-ms")
	b.ReportMetric(mean(float64(startMs)), "worker-start-ms")
	b.ReportMetric(mean(float64(jvmMs)), "worker-jvm-ms")
	b.ReportMetric(mean(float64(pythonKB)/1024), "python-rss-MB")
	b.ReportMetric(mean(float64(jvmKB)/1024), "jvm-rss-MB")
}

// groupRSS returns the resident memory, in kB, of the worker process pid
// and of the other processes of its process group (its client JVM).
func groupRSS(pid int) (python, others int64, err error) {
	for _, p := range pgroup(pid) {
		kb, err := vmRSS(p)
		if err != nil {
			continue // it ended meanwhile
		}
		if p == pid {
			python += kb
		} else {
			others += kb
		}
	}
	return python, others, nil
}

// vmRSS returns the VmRSS of process pid, in kB.
func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("process %d: no VmRSS in its status", pid)
}
