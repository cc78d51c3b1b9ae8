package sessions_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/sessions"
)

// TestManager_HandOffAndResume hands a note's running INSERT off through
// the Manager (kernel.NoteJobs), stops the note's session, and resumes the
// paragraph from the savepoint in a new session: each key's running count
// goes on from where it stood.
func TestManager_HandOffAndResume(t *testing.T) {
	plans, out, sps := t.TempDir(), t.TempDir(), t.TempDir()
	f := newPlansFixture(t, sessions.Config{KPUCapacity: 10}, plans)
	var jobs kernel.NoteJobs = f.m
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// One paragraph with its tables, so that it runs in a new session too.
	n := f.note("Hand-off", "%flink.ssql\nSET 'execution.checkpointing.interval' = '1s';\n"+
		"CREATE TEMPORARY TABLE IF NOT EXISTS seq (id BIGINT, pt AS PROCTIME()) WITH ('connector' = 'datagen',\n"+
		"  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100000', 'rows-per-second' = '20');\n"+
		fmt.Sprintf("CREATE TEMPORARY TABLE IF NOT EXISTS counts (id BIGINT, k BIGINT, cnt BIGINT) WITH ('connector' = 'filesystem', 'path' = 'file://%s', 'format' = 'csv');\n", out)+
		"INSERT INTO counts\nSELECT id, k, COUNT(*) OVER (PARTITION BY k ORDER BY pt ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)\n"+
		"FROM (SELECT id, id % 4 AS k, pt FROM seq)")
	pid := n.Paragraphs[0].ID

	if js, err := jobs.RunningInserts(ctx, n.ID); err != nil || len(js) != 0 {
		t.Fatalf("a note without a session: %v, %v", js, err)
	}
	running := func() kernel.Job {
		t.Helper()
		for {
			js, err := jobs.RunningInserts(ctx, n.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(js) == 1 {
				if d, err := f.jm.Job(ctx, js[0].JobID); err == nil && d.State == flink.JobRunning {
					return js[0]
				}
			}
			if ctx.Err() != nil {
				t.Fatalf("no running insert: %+v", js)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if _, err := f.m.Run(ctx, n.ID, pid); err != nil {
		t.Fatal(err)
	}
	j := running()
	if j.ParagraphID != pid || !strings.HasPrefix(j.PlanPath, plans) {
		t.Fatalf("running insert %+v", j)
	}
	waitRows(ctx, t, out, 40)

	if _, err := jobs.HandOff(ctx, n.ID, pid, "0123456789abcdef0123456789abcdef", sps, ""); eddy.ErrorCode(err) != eddy.ECONFLICT {
		t.Fatalf("hand-off of another job: %v, want %s", err, eddy.ECONFLICT)
	}
	sp, err := jobs.HandOff(ctx, n.ID, pid, j.JobID, sps, "and handed to application test")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(strings.TrimPrefix(sp, "file:")); err != nil {
		t.Fatal(err)
	}
	p, err := f.store.FindParagraph(ctx, n.ID, pid)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != notebooks.StatusFinished || p.Config[kernel.ConfigSavepointPath] != sp {
		t.Fatalf("after the hand-off: status %s, savepointPath %v (error %q)", p.Status, p.Config[kernel.ConfigSavepointPath], p.ErrorMessage)
	}
	if js, _ := jobs.RunningInserts(ctx, n.ID); len(js) != 0 {
		t.Fatalf("running inserts after the hand-off: %+v", js)
	}
	before := keyCounts(t, out)
	atSavepoint := rowCount(before)

	// Ending the session now stops nothing of the hand-off's.
	info := f.m.SessionState(n.ID)
	if _, err := f.m.Stop(ctx, info.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(strings.TrimPrefix(sp, "file:")); err != nil {
		t.Fatalf("the savepoint is gone after the session ended: %v", err)
	}

	if err := jobs.Resume(ctx, n.ID, pid, sp); err != nil {
		t.Fatal(err)
	}
	j2 := running()
	counts, err := flinktest.Checkpoints(ctx, f.jm, j2.JobID)
	if err != nil || counts.Restored < 1 {
		t.Fatalf("the resumed job restored nothing: %+v, %v", counts, err)
	}
	waitRows(ctx, t, out, atSavepoint+40)
	if err := f.m.Cancel(ctx, n.ID, pid); err != nil {
		t.Fatal(err)
	}
	after := keyCounts(t, out)
	for key, cs := range after {
		if ones := strings.Count(","+joinInts(cs)+",", ",1,"); ones > 1 {
			t.Errorf("key %s counted from 1 again after the resume", key)
		}
		if maxInt(cs) <= maxInt(before[key]) {
			t.Errorf("key %s: count %d after the resume, %d before", key, maxInt(cs), maxInt(before[key]))
		}
	}
	if len(after) != 4 {
		t.Errorf("keys %v, want 4", after)
	}
}

// keyCounts reads the committed rows (id, key, count) under out.
func keyCounts(t *testing.T, out string) map[string][]int {
	t.Helper()
	rows, err := flinktest.CommittedRows(out)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]int{}
	for _, r := range rows {
		c, err := strconv.Atoi(r[2])
		if err != nil {
			t.Fatalf("row %v: %v", r, err)
		}
		by[r[1]] = append(by[r[1]], c)
	}
	return by
}

func rowCount(by map[string][]int) int {
	n := 0
	for _, cs := range by {
		n += len(cs)
	}
	return n
}

func waitRows(ctx context.Context, t *testing.T, out string, n int) {
	t.Helper()
	for rowCount(keyCounts(t, out)) < n {
		if ctx.Err() != nil {
			t.Fatalf("%d rows committed, want %d", rowCount(keyCounts(t, out)), n)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

func maxInt(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}
