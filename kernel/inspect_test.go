package kernel_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/inspect"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// TestKernel_InspectsTheParagraphsJob runs a windowed query whose event
// time never advances, so it shows nothing: the paragraph's live state
// carries the inspection of its job — the chain's operators, the source's
// stuck watermark — and, within 30 s, the diagnosis naming the source;
// after a cancel the last inspection stays with the paragraph. An INSERT
// paragraph's job is inspected too.
func TestKernel_InspectsTheParagraphsJob(t *testing.T) {
	f := newFixture(t)
	n, k := f.note(
		"%flink.ssql\nCREATE TEMPORARY TABLE still (id INT, ts AS CAST(TIMESTAMP '2020-01-01 00:00:00' AS TIMESTAMP(3)), "+
			"WATERMARK FOR ts AS ts) WITH ('connector'='datagen', 'rows-per-second'='5');\n"+
			"SELECT window_start, COUNT(*) AS n FROM TABLE(TUMBLE(TABLE still, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end",
		"%flink.ssql\nCREATE TEMPORARY TABLE gen (id BIGINT) WITH ('connector'='datagen', 'rows-per-second'='5');\n"+
			"CREATE TEMPORARY TABLE nowhere (id BIGINT) WITH ('connector'='blackhole');\n"+
			"INSERT INTO nowhere SELECT id FROM gen")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pid := n.Paragraphs[0].ID
	if _, err := k.Run(ctx, pid); err != nil {
		t.Fatal(err)
	}
	var started time.Time
	live := waitLive(ctx, t, k, pid, func(l kernel.ParagraphLive) bool {
		if l.Inspection != nil && started.IsZero() {
			started = time.Now()
		}
		return l.Inspection != nil && hasDiagnosis(l.Inspection, inspect.WatermarkNotAdvancing)
	})
	ins := live.Inspection
	if ins.JobID != live.JobID {
		t.Errorf("inspection of job %s, the paragraph's job is %s", ins.JobID, live.JobID)
	}
	if waited := time.Since(started); waited > 30*time.Second {
		t.Errorf("the diagnosis came %v after the first inspection, want within 30 s", waited)
	}
	var names []string
	for _, op := range ins.Operators {
		names = append(names, op.Name)
	}
	if len(names) == 0 || !strings.HasPrefix(names[0], "Source: still") || !slices.ContainsFunc(names, func(s string) bool { return strings.HasPrefix(s, "WatermarkAssigner") }) {
		t.Errorf("operators %q: want the source first and its watermark assigner", names)
	}
	stuck := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	if !slices.ContainsFunc(ins.Operators, func(op inspect.Operator) bool {
		return op.InputWatermark != nil && *op.InputWatermark == stuck
	}) {
		t.Errorf("no operator's input watermark is 2020-01-01 00:00:00 (%d): %+v", stuck, ins.Operators)
	}
	d := ins.Diagnoses[slices.IndexFunc(ins.Diagnoses, func(d inspect.Diagnosis) bool { return d.Code == inspect.WatermarkNotAdvancing })]
	if !strings.Contains(d.Message+d.Operator, "still") || d.Suggestion == "" {
		t.Errorf("diagnosis %+v: want it to name the source 'still' and suggest SQL", d)
	}

	if err := k.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	after, _ := k.Live(pid)
	if after.Status.Active() || after.Inspection == nil || after.Inspection.JobID != ins.JobID || len(after.Inspection.Operators) == 0 {
		t.Errorf("after the cancel: status %s, inspection %+v; want the last inspection kept", after.Status, after.Inspection)
	} else if after.Inspection.JobState != "CANCELED" {
		t.Errorf("after the cancel the inspection says the job is %s, want CANCELED", after.Inspection.JobState)
	}

	ipid := n.Paragraphs[1].ID
	if _, err := k.Run(ctx, ipid); err != nil {
		t.Fatal(err)
	}
	insert := waitLive(ctx, t, k, ipid, func(l kernel.ParagraphLive) bool {
		return l.Inspection != nil && len(l.Inspection.Operators) > 0 && l.Inspection.Operators[0].RecordsOut > 0
	})
	if insert.Status != notebooks.StatusRunning {
		t.Errorf("INSERT paragraph %s, want RUNNING while its job runs", insert.Status)
	}
	if err := k.Cancel(ctx, ipid); err != nil {
		t.Fatal(err)
	}
}

func hasDiagnosis(ins *inspect.Inspection, code string) bool {
	return slices.ContainsFunc(ins.Diagnoses, func(d inspect.Diagnosis) bool { return d.Code == code })
}
