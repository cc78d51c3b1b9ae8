package kernel_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// TestKernel_ChangelogReplaysTheTable runs a two-level aggregation on the
// cluster, so the outer GROUP BY emits -U/+U pairs, and records the live
// table as it changes. With a ring smaller than the changelog, the base is
// used: the kept rows replayed to the end must give the table shown, and
// replayed to each recorded table's RowsReceived, that table. Mini-batching
// is off (Eddy turns it on for queries unless the session says), so every
// change is a changelog row and the ring overflows.
func TestKernel_ChangelogReplaysTheTable(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n, err := f.store.CreateNote(ctx, notebooks.NoteCreate{Path: t.Name(), DefaultInterpreterGroup: "flink",
		Paragraphs: []notebooks.ParagraphCreate{{Text: `%flink.ssql
CREATE TEMPORARY TABLE gen (k INT) WITH ('connector' = 'datagen', 'rows-per-second' = '100',
  'number-of-rows' = '1500', 'fields.k.min' = '1', 'fields.k.max' = '12');
SET 'parallelism.default' = '1';
SET 'table.exec.mini-batch.enabled' = 'false';
SELECT cnt, COUNT(*) AS keys_with_cnt FROM (SELECT k, COUNT(*) AS cnt FROM gen GROUP BY k) GROUP BY cnt`}}})
	if err != nil {
		t.Fatal(err)
	}
	const ring = 1500
	k, err := kernel.Open(ctx, kernel.Config{NoteID: n.ID, Cluster: f.cluster, Store: f.store, ChangelogRows: ring})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		k.Close(ctx)
	})
	pid := n.Paragraphs[0].ID
	done, err := k.Run(ctx, pid)
	if err != nil {
		t.Fatal(err)
	}
	// Record every table the viewers could have seen.
	var history []kernel.Table
	for running := true; running; {
		select {
		case <-done:
			running = false
		case <-ctx.Done():
			t.Fatal("the query did not finish")
		case <-time.After(5 * time.Millisecond):
		}
		l, _ := k.Live(pid)
		if l.Result != nil && l.Result.Snapshot != nil {
			s := *l.Result.Snapshot
			if len(history) == 0 || history[len(history)-1].RowsReceived != s.RowsReceived {
				history = append(history, s)
			}
		}
	}
	if l, _ := k.Live(pid); l.Status != notebooks.StatusFinished {
		t.Fatalf("status %s: %s", l.Status, l.ErrorMessage)
	}
	final := history[len(history)-1]

	v, ok := k.Changelog(pid)
	if !ok {
		t.Fatal("no changelog")
	}
	if v.LastSeq != final.RowsReceived || v.Capacity != ring || len(v.Entries) != ring || v.FirstSeq != v.LastSeq-ring+1 {
		t.Fatalf("changelog seqs %d..%d (%d kept of %d), table received %d", v.FirstSeq, v.LastSeq, len(v.Entries), v.Capacity, final.RowsReceived)
	}
	if len(v.Base) == 0 || !v.BaseComplete {
		t.Fatalf("base of %d rows, complete %v: the ring should have folded rows into it", len(v.Base), v.BaseComplete)
	}
	if len(v.Columns) != 2 || v.Columns[0].Name != "cnt" {
		t.Fatalf("columns %+v", v.Columns)
	}
	kinds := map[string]int{}
	for _, e := range v.Entries {
		kinds[e.Kind]++
		if _, isText := e.Fields[0].(string); !isText {
			t.Fatalf("entry %d field %#v: values must stay as the gateway wrote them", e.Seq, e.Fields[0])
		}
	}
	if kinds["-U"] == 0 || kinds["+U"] == 0 {
		t.Fatalf("kinds kept %v: want -U and +U rows", kinds)
	}

	if got, want := replayTexts(v, v.LastSeq), tableTexts(final); !slices.Equal(got, want) {
		t.Fatalf("replayed to the end:\n%v\ntable shown:\n%v", got, want)
	}
	checked := 0
	for _, s := range history {
		if s.RowsReceived < v.FirstSeq-1 {
			continue
		}
		checked++
		if got, want := replayTexts(v, s.RowsReceived), tableTexts(s); !slices.Equal(got, want) {
			t.Fatalf("replayed to %d:\n%v\ntable then:\n%v", s.RowsReceived, got, want)
		}
	}
	if checked < 3 {
		t.Fatalf("only %d of %d recorded tables lie in the kept history (seq %d on)", checked, len(history), v.FirstSeq)
	}
	t.Logf("%d tables recorded, %d replayed; changelog %d rows, base %d rows, kinds kept %v",
		len(history), checked, v.LastSeq, len(v.Base), kinds)
}

// replayTexts is kernel.Replay as sorted "a|b" rows.
func replayTexts(v kernel.ChangelogView, upTo int64) []string {
	var out []string
	for _, r := range kernel.Replay(v, upTo) {
		out = append(out, rowText(r))
	}
	slices.Sort(out)
	return out
}

// tableTexts is a table's rows as sorted "a|b" rows.
func tableTexts(tab kernel.Table) []string {
	var out []string
	for _, r := range tab.Rows {
		out = append(out, rowText(r.Fields))
	}
	slices.Sort(out)
	return out
}

func rowText(fields []any) string {
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = kernel.FormatValue(f)
	}
	return strings.Join(parts, "|")
}
