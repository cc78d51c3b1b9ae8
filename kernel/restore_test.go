package kernel_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// TestKernel_RestoredFromSavepoint: a job that Flink restores from a
// savepoint says so in its paragraph's live state (where from, and when
// the savepoint was taken) and, once stopped, in the paragraph's config
// saved with the note; a later job started afresh drops it.
func TestKernel_RestoredFromSavepoint(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	resume := fmt.Sprintf("%%flink.ssql(savepointDir=%s, resumeFromSavepoint=true)\nINSERT INTO rsink SELECT COUNT(*) FROM rsrc", dir)
	n, k := f.note(
		"%flink.ssql\nCREATE TEMPORARY TABLE rsrc (v INT) WITH ('connector'='datagen','rows-per-second'='20');\nCREATE TEMPORARY TABLE rsink (n BIGINT) WITH ('connector'='blackhole');",
		resume,
	)
	f.mustFinish(f.run(n, k, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pid := n.Paragraphs[1].ID
	runUntilRunning := func() kernel.ParagraphLive {
		t.Helper()
		if _, err := k.Run(ctx, pid); err != nil {
			t.Fatal(err)
		}
		l := waitLive(ctx, t, k, pid, func(l kernel.ParagraphLive) bool { return l.JobID != "" })
		for {
			d, err := f.cluster.JobManager.Job(ctx, l.JobID)
			if err == nil && d.State == flink.JobRunning {
				return l
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	stored := func() *notebooks.Paragraph {
		t.Helper()
		p, err := f.store.FindParagraph(ctx, n.ID, pid)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	// First run: nothing to restore from yet.
	runUntilRunning()
	time.Sleep(1500 * time.Millisecond) // a few polls of the job
	if l, _ := k.Live(pid); l.Restored != nil {
		t.Fatalf("a fresh job says it restored from %+v", l.Restored)
	}
	before := time.Now().Add(-2 * time.Second) // file times may be coarse
	if err := k.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	after := time.Now().Add(2 * time.Second)
	sp, _ := stored().Config[kernel.ConfigSavepointPath].(string)
	if !strings.Contains(sp, dir) {
		t.Fatalf("no savepoint recorded: %q", sp)
	}

	// Second run resumes from it: the live state says so while it runs.
	runUntilRunning()
	l := waitLive(ctx, t, k, pid, func(l kernel.ParagraphLive) bool { return l.Restored != nil })
	if l.Restored.Kind != kernel.RestoreSavepoint || strings.TrimPrefix(l.Restored.Path, "file:") != strings.TrimPrefix(sp, "file:") {
		t.Errorf("restored %+v, want savepoint %s", l.Restored, sp)
	}
	if l.Restored.TakenAt.Before(before) || l.Restored.TakenAt.After(after) {
		t.Errorf("taken at %s, want between %s and %s", l.Restored.TakenAt, before, after)
	}
	if err := k.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	rf, _ := stored().Config[kernel.ConfigRestoredFrom].(map[string]any)
	if rf["kind"] != kernel.RestoreSavepoint || rf["path"] != l.Restored.Path || rf["takenAt"] == nil {
		t.Fatalf("saved restoredFrom %v, want the restore %+v", rf, l.Restored)
	}

	// A run started afresh drops it.
	fresh := "%flink.ssql\nINSERT INTO rsink SELECT COUNT(*) FROM rsrc"
	if _, err := f.store.UpdateParagraph(ctx, n.ID, pid, notebooks.ParagraphUpdate{Text: &fresh}); err != nil {
		t.Fatal(err)
	}
	runUntilRunning()
	if err := k.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	if v, ok := stored().Config[kernel.ConfigRestoredFrom]; ok && v != nil {
		t.Fatalf("a fresh job left restoredFrom %v", v)
	}
}
