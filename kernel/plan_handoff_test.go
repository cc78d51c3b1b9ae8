package kernel_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// planNote creates a note with one paragraph per text and opens its kernel
// with compiled plans written under plansDir.
func (f *fixture) planNote(plansDir string, texts ...string) (*notebooks.Note, *kernel.Kernel) {
	f.t.Helper()
	ctx := context.Background()
	var ps []notebooks.ParagraphCreate
	for _, text := range texts {
		ps = append(ps, notebooks.ParagraphCreate{Text: text})
	}
	n, err := f.store.CreateNote(ctx, notebooks.NoteCreate{Path: f.t.Name(), DefaultInterpreterGroup: "flink", Paragraphs: ps})
	if err != nil {
		f.t.Fatal(err)
	}
	k, err := kernel.Open(ctx, kernel.Config{NoteID: n.ID, Cluster: f.cluster, Store: f.store, PlansDir: plansDir})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		k.Close(ctx)
	})
	return n, k
}

// runningInsert starts paragraph pid and returns its job once it runs, as
// RunningInserts lists it.
func runningInsert(ctx context.Context, t *testing.T, f *fixture, k *kernel.Kernel, pid string, run func() (<-chan struct{}, error)) kernel.Job {
	t.Helper()
	if _, err := run(); err != nil {
		t.Fatal(err)
	}
	l := waitLive(ctx, t, k, pid, func(l kernel.ParagraphLive) bool { return l.JobID != "" })
	waitJobState(ctx, t, f.cluster.JobManager, l.JobID, flink.JobRunning)
	for _, j := range k.RunningInserts() {
		if j.JobID == l.JobID {
			return j
		}
	}
	t.Fatalf("job %s of paragraph %s is not among the running inserts %+v", l.JobID, pid, k.RunningInserts())
	return kernel.Job{}
}

// checkPlan checks that a job runs a compiled plan: a JSON file under dir
// with the plan's nodes.
func checkPlan(t *testing.T, j kernel.Job, dir string) {
	t.Helper()
	if j.PlanPath == "" || !strings.HasPrefix(j.PlanPath, dir) {
		t.Fatalf("job %s runs plan %q, want a file under %s", j.JobID, j.PlanPath, dir)
	}
	b, err := os.ReadFile(j.PlanPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"nodes"`) {
		t.Fatalf("plan %s is no compiled plan: %.200s", j.PlanPath, b)
	}
}

// countsByKey reads the committed rows (id, key, count) of out: each key's
// counts, in any order.
func countsByKey(t *testing.T, out string) map[string][]int {
	t.Helper()
	rows, err := flinktest.CommittedRows(out)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]int{}
	for _, r := range rows {
		n, err := strconv.Atoi(r[2])
		if err != nil {
			t.Fatalf("row %v: %v", r, err)
		}
		by[r[1]] = append(by[r[1]], n)
	}
	return by
}

func committedCount(t *testing.T, out string) int {
	n := 0
	for _, cs := range countsByKey(t, out) {
		n += len(cs)
	}
	return n
}

func waitCommittedRows(ctx context.Context, t *testing.T, out string, n int) {
	t.Helper()
	for committedCount(t, out) < n {
		if ctx.Err() != nil {
			t.Fatalf("%d rows committed, want %d", committedCount(t, out), n)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// TestKernel_HandOff runs a keyed running count as a compiled plan, hands
// its job off with a savepoint, and runs the paragraph again from that
// savepoint: every key's count goes on from where it stood.
func TestKernel_HandOff(t *testing.T) {
	f := newFixture(t)
	plans, out, sps := t.TempDir(), t.TempDir(), t.TempDir()
	n, k := f.planNote(plans,
		"%flink.ssql\nSET 'execution.checkpointing.interval' = '1s';\n"+
			"CREATE TEMPORARY TABLE seq (id BIGINT, pt AS PROCTIME()) WITH ('connector' = 'datagen',\n"+
			"  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100000', 'rows-per-second' = '20');\n"+
			fmt.Sprintf("CREATE TEMPORARY TABLE counts (id BIGINT, k BIGINT, cnt BIGINT) WITH ('connector' = 'filesystem', 'path' = 'file://%s', 'format' = 'csv');", out),
		"%flink.ssql\nINSERT INTO counts\nSELECT id, k, COUNT(*) OVER (PARTITION BY k ORDER BY pt ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)\n"+
			"FROM (SELECT id, id % 4 AS k, pt FROM seq)",
	)
	f.mustFinish(f.run(n, k, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	pid := n.Paragraphs[1].ID

	j := runningInsert(ctx, t, f, k, pid, func() (<-chan struct{}, error) { return k.Run(ctx, pid) })
	checkPlan(t, j, filepath.Join(plans, n.ID))
	waitCommittedRows(ctx, t, out, 40)

	savepoint, err := k.HandOff(ctx, pid, j.JobID, sps, "and handed to application test")
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(strings.TrimPrefix(savepoint, "file:")); err != nil || !st.IsDir() {
		t.Fatalf("savepoint %s: %v", savepoint, err)
	}
	p, err := f.store.FindParagraph(ctx, n.ID, pid)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != notebooks.StatusFinished || p.Config[kernel.ConfigSavepointPath] != savepoint {
		t.Fatalf("after the hand-off: status %s, savepointPath %v, want FINISHED and %s (error %q)", p.Status, p.Config[kernel.ConfigSavepointPath], savepoint, p.ErrorMessage)
	}
	want := "Job stopped with a savepoint at " + savepoint + " and handed to application test"
	if !strings.Contains(fmt.Sprint(p.Results.Msg), want) {
		t.Fatalf("messages %v, want %q", p.Results.Msg, want)
	}
	if d, _ := f.cluster.JobManager.Job(ctx, j.JobID); !flink.JobTerminal(d.State) {
		t.Fatalf("handed-off job %s is %s", j.JobID, d.State)
	}
	if js := k.RunningInserts(); len(js) != 0 {
		t.Fatalf("running inserts after the hand-off: %+v", js)
	}
	if _, err := k.HandOff(ctx, pid, j.JobID, sps, ""); eddy.ErrorCode(err) != eddy.ECONFLICT {
		t.Fatalf("a second hand-off: %v, want %s", err, eddy.ECONFLICT)
	}
	before := countsByKey(t, out)
	atSavepoint := committedCount(t, out)

	// Run again from the savepoint: the counts go on.
	j2 := runningInsert(ctx, t, f, k, pid, func() (<-chan struct{}, error) { return k.RunFrom(ctx, pid, savepoint) })
	checkPlan(t, j2, filepath.Join(plans, n.ID))
	if _, err := os.Stat(j.PlanPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the first run's plan %s is still there (%v)", j.PlanPath, err)
	}
	counts, err := flinktest.Checkpoints(ctx, f.cluster.JobManager, j2.JobID)
	if err != nil || counts.Restored < 1 {
		t.Fatalf("the resumed job restored nothing: %+v, %v", counts, err)
	}
	waitCommittedRows(ctx, t, out, atSavepoint+40)
	if err := k.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	after := countsByKey(t, out)
	for key, cs := range after {
		ones := 0
		for _, c := range cs {
			if c == 1 {
				ones++
			}
		}
		if ones > 1 {
			t.Errorf("key %s counted from 1 again after the resume", key)
		}
		if maxOf(cs) <= maxOf(before[key]) {
			t.Errorf("key %s: count %d after the resume, %d before", key, maxOf(cs), maxOf(before[key]))
		}
	}
	if len(after) != 4 {
		t.Errorf("keys %v, want 4", after)
	}
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// TestKernel_CompiledPlans: every form of streaming INSERT job runs from a
// compiled plan, a batch INSERT runs uncompiled, a rerun deletes the
// paragraph's earlier plans, and Flink's line and column of an error in a
// compiled INSERT count from the paragraph's statement.
func TestKernel_CompiledPlans(t *testing.T) {
	f := newFixture(t)
	plans, out := t.TempDir(), t.TempDir()
	setup := "%flink.ssql\nCREATE TEMPORARY TABLE src (v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');\n" +
		"CREATE TEMPORARY TABLE bh1 (v BIGINT) WITH ('connector' = 'blackhole');\n" +
		"CREATE TEMPORARY TABLE bh2 (v BIGINT) WITH ('connector' = 'blackhole');\n" +
		"CREATE TEMPORARY TABLE bounded (v BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '10');\n" +
		fmt.Sprintf("CREATE TEMPORARY TABLE files (v BIGINT) WITH ('connector' = 'filesystem', 'path' = 'file://%s', 'format' = 'csv');", out)
	streaming := []struct{ name, text string }{
		{"INSERT", "%flink.ssql\nINSERT INTO bh1 SELECT v FROM src"},
		{"EXECUTE INSERT", "%flink.ssql\nEXECUTE INSERT INTO bh1 SELECT v FROM src"},
		{"BEGIN STATEMENT SET", "%flink.ssql\nBEGIN STATEMENT SET;\nINSERT INTO bh1 SELECT v FROM src;\nINSERT INTO bh2 SELECT v + 1 FROM src;\nEND;"},
		{"EXECUTE STATEMENT SET", "%flink.ssql\nEXECUTE STATEMENT SET BEGIN\nINSERT INTO bh1 SELECT v FROM src;\nINSERT INTO bh2 SELECT v + 1 FROM src;\nEND;"},
		{"runAsOne", "%flink.ssql(runAsOne=true)\nINSERT INTO bh1 SELECT v FROM src;\nINSERT INTO bh2 SELECT v + 1 FROM src;"},
	}
	texts := []string{setup}
	for _, s := range streaming {
		texts = append(texts, s.text)
	}
	batch := "%flink.bsql\nINSERT INTO files SELECT v FROM bounded"
	failing := "%flink.ssql\nINSERT INTO bh1\nSELECT nope FROM src"
	texts = append(texts, batch, failing)
	n, k := f.planNote(plans, texts...)
	f.mustFinish(f.run(n, k, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dir := filepath.Join(plans, n.ID)

	for i, s := range streaming {
		t.Run(s.name, func(t *testing.T) {
			pid := n.Paragraphs[i+1].ID
			j := runningInsert(ctx, t, f, k, pid, func() (<-chan struct{}, error) { return k.Run(ctx, pid) })
			checkPlan(t, j, dir)
			if s.name == "INSERT" { // a rerun deletes the plan of the run before
				if err := k.Cancel(ctx, pid); err != nil {
					t.Fatal(err)
				}
				j2 := runningInsert(ctx, t, f, k, pid, func() (<-chan struct{}, error) { return k.Run(ctx, pid) })
				checkPlan(t, j2, dir)
				if j2.PlanPath == j.PlanPath {
					t.Fatalf("the rerun reused plan %s", j.PlanPath)
				}
				if _, err := os.Stat(j.PlanPath); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("the first run's plan %s is still there (%v)", j.PlanPath, err)
				}
			}
			if err := k.Cancel(ctx, pid); err != nil {
				t.Fatal(err)
			}
		})
	}

	t.Run("batch runs uncompiled", func(t *testing.T) {
		i := len(streaming) + 1
		f.mustFinish(f.run(n, k, i))
		if old, _ := filepath.Glob(filepath.Join(dir, n.Paragraphs[i].ID+"-*")); len(old) != 0 {
			t.Fatalf("a batch INSERT wrote plans %v", old)
		}
		rows, err := flinktest.CommittedRows(out)
		if err != nil || len(rows) != 10 {
			t.Fatalf("batch INSERT wrote %d rows (%v), want 10", len(rows), err)
		}
	})

	t.Run("error position", func(t *testing.T) {
		i := len(streaming) + 2
		p := f.run(n, k, i)
		if p.Status != notebooks.StatusError {
			t.Fatalf("status %s", p.Status)
		}
		l, _ := k.Live(n.Paragraphs[i].ID)
		if l.ErrorOffset == nil || *l.ErrorOffset != strings.Index(failing, "INSERT") {
			t.Fatalf("errorStatementOffset %v, want %d; error %q", l.ErrorOffset, strings.Index(failing, "INSERT"), l.ErrorMessage)
		}
		m := regexp.MustCompile(`line (\d+), column (\d+)`).FindStringSubmatch(l.ErrorMessage)
		if m == nil {
			t.Fatalf("no line and column in %q", l.ErrorMessage)
		}
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		lines := strings.Split(failing[*l.ErrorOffset:], "\n")
		if line > len(lines) || col-1+len("nope") > len(lines[line-1]) || lines[line-1][col-1:col-1+len("nope")] != "nope" {
			t.Fatalf("line %d, column %d does not point at nope in %q (error %q)", line, col, failing[*l.ErrorOffset:], l.ErrorMessage)
		}
	})
}

// TestKernel_HandOffRacesCancel: a hand-off and a cancel of the same run at
// once end with the job stopped either way; the hand-off either took it
// (a savepoint) or says it no longer could (ECONFLICT). A hand-off of a
// job the paragraph ran before its rerun is refused.
func TestKernel_HandOffRacesCancel(t *testing.T) {
	f := newFixture(t)
	plans, sps := t.TempDir(), t.TempDir()
	n, k := f.planNote(plans,
		"%flink.ssql\nCREATE TEMPORARY TABLE src (v BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');\n"+
			"CREATE TEMPORARY TABLE bh (v BIGINT) WITH ('connector' = 'blackhole');",
		"%flink.ssql\nINSERT INTO bh SELECT v FROM src",
	)
	f.mustFinish(f.run(n, k, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	pid := n.Paragraphs[1].ID
	start := func() kernel.Job {
		return runningInsert(ctx, t, f, k, pid, func() (<-chan struct{}, error) { return k.Run(ctx, pid) })
	}

	for i := range 2 {
		j := start()
		handed := make(chan error, 1)
		go func() {
			_, err := k.HandOff(ctx, pid, j.JobID, sps, "")
			handed <- err
		}()
		if err := k.Cancel(ctx, pid); err != nil {
			t.Fatal(err)
		}
		if err := <-handed; err != nil && eddy.ErrorCode(err) != eddy.ECONFLICT {
			t.Fatalf("round %d: hand-off: %v", i, err)
		}
		if d, _ := f.cluster.JobManager.Job(ctx, j.JobID); !flink.JobTerminal(d.State) {
			t.Fatalf("round %d: job %s is %s", i, j.JobID, d.State)
		}
		if k.Running() || len(k.RunningInserts()) != 0 {
			t.Fatalf("round %d: still running: %+v", i, k.RunningInserts())
		}
	}

	old := start()
	if err := k.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	j := start()
	if _, err := k.HandOff(ctx, pid, old.JobID, sps, ""); eddy.ErrorCode(err) != eddy.ECONFLICT {
		t.Fatalf("hand-off of the job before the rerun: %v, want %s", err, eddy.ECONFLICT)
	}
	if _, err := k.HandOff(ctx, "another", j.JobID, sps, ""); eddy.ErrorCode(err) != eddy.ECONFLICT {
		t.Fatalf("hand-off naming another paragraph: %v, want %s", err, eddy.ECONFLICT)
	}
	if err := k.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
}
