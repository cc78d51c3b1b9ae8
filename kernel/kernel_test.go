package kernel_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/notebooks/sqlite"
)

func TestMain(m *testing.M) { flinktest.Main(m) }

// fixture is a real store and a real cluster for kernel tests.
type fixture struct {
	t        testing.TB
	store    *sqlite.Store
	cluster  *kernel.Cluster
	packages kernel.PackageFetcher // for flink.execution.packages; nil refuses it
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ep := flinktest.Cluster(t)
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "eddy.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	c := kernel.NewCluster(kernel.ModeRemote, ep.Gateway.URL(), ep.JobManager.URL())
	return &fixture{t: t, store: store, cluster: c}
}

// note creates a note with one paragraph per text and opens its kernel.
func (f *fixture) note(texts ...string) (*notebooks.Note, *kernel.Kernel) {
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
	k, err := kernel.Open(ctx, kernel.Config{NoteID: n.ID, Cluster: f.cluster, Store: f.store, Packages: f.packages})
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

// run runs paragraph i to its end and returns it as stored.
func (f *fixture) run(n *notebooks.Note, k *kernel.Kernel, i int) *notebooks.Paragraph {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	done, err := k.Run(ctx, n.Paragraphs[i].ID)
	if err != nil {
		f.t.Fatal(err)
	}
	select {
	case <-done:
	case <-ctx.Done():
		f.t.Fatalf("paragraph %d did not finish", i)
	}
	p, err := f.store.FindParagraph(ctx, n.ID, n.Paragraphs[i].ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) mustFinish(p *notebooks.Paragraph) {
	f.t.Helper()
	if p.Status != notebooks.StatusFinished {
		f.t.Fatalf("paragraph status %s: %s", p.Status, p.ErrorMessage)
	}
}

// tableRows returns the rows of the last TABLE message of p, sorted.
func tableRows(t *testing.T, p *notebooks.Paragraph) []string {
	t.Helper()
	if p.Results == nil {
		t.Fatal("no results")
	}
	for i := len(p.Results.Msg) - 1; i >= 0; i-- {
		m := p.Results.Msg[i]
		if m.Type == notebooks.MessageTable {
			lines := strings.Split(strings.TrimRight(m.Data, "\n"), "\n")
			rows := lines[1:]
			slices.Sort(rows)
			return rows
		}
	}
	t.Fatalf("no TABLE message in %+v", p.Results.Msg)
	return nil
}

const seqSource = `CREATE TEMPORARY TABLE src (id BIGINT) WITH (
  'connector' = 'datagen', 'number-of-rows' = '500',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '500');`

// TestKernel_UpdateModeEqualsBatch runs a two-level aggregation whose keys
// move between groups as counts grow: the streaming changelog retracts and
// re-adds rows, and the final update-mode table must equal what Flink
// computes for the same query in batch mode.
func TestKernel_UpdateModeEqualsBatch(t *testing.T) {
	f := newFixture(t)
	query := `SELECT c, COUNT(*) AS keys_with_c FROM (
  SELECT MOD(id * 7919, 37) AS k, COUNT(*) AS c FROM src GROUP BY MOD(id * 7919, 37)
) GROUP BY c`
	// Mini-batching off, as the session says (a cluster's config.yaml
	// could turn it on): every change then travels as its own changelog
	// row, retractions included.
	n, k := f.note(
		"%flink.ssql\nSET 'table.exec.mini-batch.enabled' = 'false';\n"+seqSource,
		"%flink.ssql(type=update)\n"+query,
		"%flink.bsql\n"+query,
	)
	f.mustFinish(f.run(n, k, 0))
	stream := f.run(n, k, 1)
	f.mustFinish(stream)
	batch := f.run(n, k, 2)
	f.mustFinish(batch)
	got, want := tableRows(t, stream), tableRows(t, batch)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("streaming update table\n%v\n!= batch result\n%v", got, want)
	}
	live, _ := k.Live(n.Paragraphs[1].ID)
	if live.Result == nil || live.Result.Snapshot == nil {
		t.Fatal("no live snapshot")
	}
	// Every source row passed through the inner aggregation; the outer one
	// received inserts and retractions: more changelog rows than rows shown.
	if snap := live.Result.Snapshot; snap.RowsReceived <= int64(len(snap.Rows)) {
		t.Errorf("rows received %d, shown %d: expected retractions", snap.RowsReceived, len(snap.Rows))
	}
}

func TestKernel_AppendAndSingle(t *testing.T) {
	f := newFixture(t)
	n, k := f.note(
		"%flink.ssql\n"+seqSource,
		"%flink.ssql(type=append)\nSELECT id, id * 2 AS twice FROM src WHERE id <= 20",
		"%flink.ssql(type=single, template=\"<b>{0}</b> rows, sum {1}\")\nSELECT COUNT(*), SUM(id) FROM src",
	)
	f.mustFinish(f.run(n, k, 0))
	appendP := f.run(n, k, 1)
	f.mustFinish(appendP)
	rows := tableRows(t, appendP)
	var want []string
	for i := 1; i <= 20; i++ {
		want = append(want, fmt.Sprintf("%d\t%d", i, 2*i))
	}
	slices.Sort(want)
	if !slices.Equal(rows, want) {
		t.Fatalf("append rows %v, want %v", rows, want)
	}
	single := f.run(n, k, 2)
	f.mustFinish(single)
	last := single.Results.Msg[len(single.Results.Msg)-1]
	if last.Type != notebooks.MessageHTML || last.Data != "<b>500</b> rows, sum 125250" {
		t.Fatalf("single result %+v", last)
	}
}

// TestKernel_CarriesStateAndIsolatesNotes checks one gateway session per
// note: a table created in one paragraph is visible in the next, not in
// another note; a batch paragraph does not leave the session in batch mode.
func TestKernel_CarriesStateAndIsolatesNotes(t *testing.T) {
	f := newFixture(t)
	a, ka := f.note(
		"%flink.ssql\nCREATE TEMPORARY TABLE only_in_a (v INT) WITH ('connector'='datagen','number-of-rows'='3');\nSET 'parallelism.default' = '1';",
		"%flink.bsql\nSELECT COUNT(*) AS n FROM only_in_a",
		"%flink.ssql\nCREATE TEMPORARY TABLE unbounded (v INT) WITH ('connector'='datagen','rows-per-second'='5');",
		"%flink.ssql(type=single)\nSELECT COUNT(*) FROM unbounded",
	)
	b, kb := f.note("%flink.bsql\nSELECT * FROM only_in_a")

	f.mustFinish(f.run(a, ka, 0))
	p := f.run(a, ka, 1)
	f.mustFinish(p)
	if rows := tableRows(t, p); !slices.Equal(rows, []string{"3"}) {
		t.Fatalf("count = %v, want [3]", rows)
	}
	pb := f.run(b, kb, 0)
	if pb.Status != notebooks.StatusError || !strings.Contains(pb.ErrorMessage, "only_in_a") {
		t.Fatalf("note B saw note A's table: status %s, error %q", pb.Status, pb.ErrorMessage)
	}
	// After the bsql paragraph an unbounded streaming query must still run
	// (in batch mode Flink refuses unbounded sources).
	f.mustFinish(f.run(a, ka, 2))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pid := a.Paragraphs[3].ID
	if _, err := ka.Run(ctx, pid); err != nil {
		t.Fatal(err)
	}
	waitLive(ctx, t, ka, pid, func(l kernel.ParagraphLive) bool {
		return l.Result != nil && l.Result.Rendered != "" && l.Result.Rendered != "0"
	})
	if err := ka.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	stored, _ := f.store.FindParagraph(ctx, a.ID, pid)
	if stored.Status != notebooks.StatusAbort {
		t.Fatalf("status after cancel %s (%s)", stored.Status, stored.ErrorMessage)
	}
}

// waitLive waits until the paragraph's live state satisfies ok.
// waitJobState waits until the JobManager reports the job in state.
func waitJobState(ctx context.Context, t *testing.T, jm *flink.JobManager, jobID, state string) {
	t.Helper()
	for {
		d, err := jm.Job(ctx, jobID)
		if err == nil && d.State == state {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("job %s is %s, want %s", jobID, d.State, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitLive(ctx context.Context, t *testing.T, k *kernel.Kernel, pid string, ok func(kernel.ParagraphLive) bool) kernel.ParagraphLive {
	t.Helper()
	for {
		l, _ := k.Live(pid)
		if ok(l) {
			return l
		}
		if l.Status == notebooks.StatusError {
			t.Fatalf("paragraph failed: %s", l.ErrorMessage)
		}
		select {
		case <-ctx.Done():
			t.Fatalf("live state never matched; last %+v", l)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestKernel_Errors(t *testing.T) {
	f := newFixture(t)
	n, k := f.note(
		"%flink.ssql\nCREATE TEMPORARY TABLE t1 (v INT) WITH ('connector'='datagen','number-of-rows'='1');\nSELECT * FROM missing_table;\nCREATE TEMPORARY TABLE never (v INT) WITH ('connector'='datagen');",
		"%flink.bsql\nSELECT * FROM never",
		"%sh\nls",
		"%md\n# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<script>alert(1)</script>",
	)
	p := f.run(n, k, 0)
	if p.Status != notebooks.StatusError || !strings.HasPrefix(p.ErrorMessage, "Object 'missing_table' not found") {
		t.Fatalf("status %s, error %q", p.Status, p.ErrorMessage)
	}
	// The paragraph stopped at the error: the statement after it never ran.
	if p2 := f.run(n, k, 1); p2.Status != notebooks.StatusError || !strings.Contains(p2.ErrorMessage, "never") {
		t.Fatalf("statement after the error ran: %s %q", p2.Status, p2.ErrorMessage)
	}
	if p3 := f.run(n, k, 2); p3.Status != notebooks.StatusError || !strings.Contains(p3.ErrorMessage, "%flink.ssql") {
		t.Fatalf("unknown interpreter: %s %q", p3.Status, p3.ErrorMessage)
	}
	md := f.run(n, k, 3)
	f.mustFinish(md)
	html := md.Results.Msg[0].Data
	if md.Results.Msg[0].Type != notebooks.MessageHTML || !strings.Contains(html, "<h1>Title</h1>") || !strings.Contains(html, "<table>") || strings.Contains(html, "<script>") {
		t.Fatalf("markdown result %+v", md.Results.Msg)
	}
}

// TestKernel_CancelInsertWithSavepointAndResume cancels a streaming INSERT
// whose paragraph sets savepointDir, checks the savepoint is recorded, and
// runs it again with resumeFromSavepoint: Flink reports a restore.
func TestKernel_CancelInsertWithSavepointAndResume(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	insert := fmt.Sprintf("%%flink.ssql(savepointDir=%s, resumeFromSavepoint=true)\nINSERT INTO sink SELECT COUNT(*) FROM src2", dir)
	n, k := f.note(
		"%flink.ssql\nCREATE TEMPORARY TABLE src2 (v INT) WITH ('connector'='datagen','rows-per-second'='20');\nCREATE TEMPORARY TABLE sink (n BIGINT) WITH ('connector'='blackhole');",
		insert,
	)
	f.mustFinish(f.run(n, k, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pid := n.Paragraphs[1].ID

	runUntilJob := func() string {
		if _, err := k.Run(ctx, pid); err != nil {
			t.Fatal(err)
		}
		l := waitLive(ctx, t, k, pid, func(l kernel.ParagraphLive) bool { return l.JobID != "" })
		for {
			d, err := f.cluster.JobManager.Job(ctx, l.JobID)
			if err == nil && d.State == flink.JobRunning {
				return l.JobID
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	first := runUntilJob()
	if err := k.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	p, _ := f.store.FindParagraph(ctx, n.ID, pid)
	sp, _ := p.Config[kernel.ConfigSavepointPath].(string)
	if p.Status != notebooks.StatusAbort || !strings.Contains(sp, dir) {
		t.Fatalf("after cancel: status %s, savepointPath %q, error %q", p.Status, sp, p.ErrorMessage)
	}
	if d, _ := f.cluster.JobManager.Job(ctx, first); !flink.JobTerminal(d.State) {
		t.Fatalf("job %s still %s after cancel", first, d.State)
	}

	second := runUntilJob()
	counts, err := flinktest.Checkpoints(ctx, f.cluster.JobManager, second)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Restored < 1 {
		t.Fatalf("resumed job %s restored nothing: %+v", second, counts)
	}
	if err := k.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
}

// TestKernel_CancelSelectCancelsJob: cancelling a streaming SELECT closes
// its operation, and the JobManager reports the job CANCELED.
func TestKernel_CancelSelectCancelsJob(t *testing.T) {
	f := newFixture(t)
	n, k := f.note(
		"%flink.ssql\nCREATE TEMPORARY TABLE gen (k INT, v INT) WITH ('connector'='datagen','rows-per-second'='100','fields.k.min'='1','fields.k.max'='5');",
		"%flink.ssql\nSELECT k, SUM(v) AS total FROM gen GROUP BY k",
	)
	f.mustFinish(f.run(n, k, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pid := n.Paragraphs[1].ID
	if _, err := k.Run(ctx, pid); err != nil {
		t.Fatal(err)
	}
	l := waitLive(ctx, t, k, pid, func(l kernel.ParagraphLive) bool {
		return l.JobID != "" && l.Result != nil && l.Result.Snapshot != nil && len(l.Result.Snapshot.Rows) == 5
	})
	if jobs := k.Jobs(); len(jobs) != 1 || jobs[0].JobID != l.JobID {
		t.Fatalf("jobs = %+v, want the query's job", jobs)
	}
	if err := k.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
	waitJobState(ctx, t, f.cluster.JobManager, l.JobID, flink.JobCanceled)
	if len(k.Jobs()) != 0 {
		t.Fatalf("jobs after cancel: %+v", k.Jobs())
	}
}

// TestKernel_RecoversLostGatewaySession: when the gateway forgets the
// note's session (it restarted, or expired it), the next run opens a new
// one and replays the statements that shaped the old one.
func TestKernel_RecoversLostGatewaySession(t *testing.T) {
	f := newFixture(t)
	n, k := f.note(
		"%flink.ssql\nCREATE TEMPORARY TABLE kept (v INT) WITH ('connector'='datagen','number-of-rows'='7');\nSET 'parallelism.default' = '1';",
		"%flink.bsql\nSELECT COUNT(*) FROM kept",
	)
	f.mustFinish(f.run(n, k, 0))
	old := kernel.GatewaySession(k)
	if err := f.cluster.Gateway.CloseSession(context.Background(), old); err != nil {
		t.Fatal(err)
	}
	p := f.run(n, k, 1)
	f.mustFinish(p)
	if rows := tableRows(t, p); !slices.Equal(rows, []string{"7"}) {
		t.Fatalf("rows %v", rows)
	}
	if kernel.GatewaySession(k) == old {
		t.Fatal("the session handle did not change")
	}
}

// TestKernel_RowsFlowWithCheckpointing: with checkpointing on in the
// session, Flink's exactly-once result buffer would hold rows back until a
// checkpoint completes (10 minutes here); the kernel's queries show them
// as they come.
func TestKernel_RowsFlowWithCheckpointing(t *testing.T) {
	f := newFixture(t)
	n, k := f.note(
		// Flink picks the first checkpoint's delay at random between the
		// minimum pause and the interval: both at 10 minutes pin it there.
		"%flink.ssql\nSET 'execution.checkpointing.interval' = '10 min';\nSET 'execution.checkpointing.min-pause' = '10 min';\nCREATE TEMPORARY TABLE ticks (v INT) WITH ('connector'='datagen','rows-per-second'='10');",
		"%flink.ssql(type=append)\nSELECT v FROM ticks",
	)
	f.mustFinish(f.run(n, k, 0))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pid := n.Paragraphs[1].ID
	if _, err := k.Run(ctx, pid); err != nil {
		t.Fatal(err)
	}
	l := waitLive(ctx, t, k, pid, func(l kernel.ParagraphLive) bool { return l.JobID != "" })
	for {
		d, err := f.cluster.JobManager.Job(ctx, l.JobID)
		if err == nil && d.State == flink.JobRunning {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	running := time.Now()
	waitLive(ctx, t, k, pid, func(l kernel.ParagraphLive) bool {
		return l.Result != nil && l.Result.Snapshot != nil && l.Result.Snapshot.RowsReceived > 0 ||
			l.Result != nil && len(l.Result.Deltas) > 0
	})
	if wait := time.Since(running); wait > time.Minute {
		t.Fatalf("first rows %s after the job ran: held back by checkpoints", wait)
	} else {
		t.Logf("first rows %s after the job reported RUNNING", wait.Round(time.Millisecond))
	}
	counts, err := flinktest.Checkpoints(ctx, f.cluster.JobManager, l.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if counts.Completed != 0 {
		t.Fatalf("a checkpoint completed (%+v): the test proves nothing", counts)
	}
	if err := k.Cancel(ctx, pid); err != nil {
		t.Fatal(err)
	}
}

// TestKernel_Complete completes in the note's own gateway session, so its
// temporary tables are offered, also after the gateway has lost that
// session; a closed kernel completes nothing.
func TestKernel_Complete(t *testing.T) {
	f := newFixture(t)
	n, k := f.note("%flink.ssql\nCREATE TEMPORARY TABLE orders_2026 (order_id BIGINT) WITH ('connector'='datagen');")
	f.mustFinish(f.run(n, k, 0))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	complete := func(text string) []string {
		t.Helper()
		got, err := k.Complete(ctx, text, len(text))
		if err != nil {
			t.Fatalf("complete %q: %v", text, err)
		}
		return got
	}
	if got := complete("%flink.ssql\nSELECT * FROM orders_2"); !containsFold(got, "orders_2026") {
		t.Fatalf("candidates %v lack the note's table orders_2026", got)
	}
	if got := complete("%md\n# SEL"); len(got) != 0 {
		t.Fatalf("markdown got candidates %v", got)
	}

	old := kernel.GatewaySession(k)
	if err := f.cluster.Gateway.CloseSession(ctx, old); err != nil {
		t.Fatal(err)
	}
	if got := complete("%flink.ssql\nSELECT * FROM orders_2"); !containsFold(got, "orders_2026") {
		t.Fatalf("after the gateway lost the session: candidates %v lack orders_2026", got)
	}
	if kernel.GatewaySession(k) == old {
		t.Fatal("the session handle did not change")
	}

	if err := k.Close(ctx); err != nil {
		t.Fatal(err)
	}
	text := "%flink.ssql\nSELECT * FROM orders_2"
	if _, err := k.Complete(ctx, text, len(text)); err == nil {
		t.Fatal("a closed kernel completed")
	}
}

// TestCompleter completes in one shared gateway session, opened on first
// use, reopened when the gateway has lost it and closed by Close.
func TestCompleter(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := kernel.NewCompleter(f.cluster)
	t.Cleanup(func() { c.Close(context.Background()) })

	if got, err := c.Complete(ctx, "%md\n# SEL", 9); err != nil || len(got) != 0 {
		t.Fatalf("markdown: candidates %v, err %v", got, err)
	}
	if h := kernel.CompleterSession(c); h != "" {
		t.Fatalf("a gateway session %s was opened for markdown", h)
	}

	text := "%flink.ssql\nSELECT * FROM edd"
	var wg sync.WaitGroup
	errs := make([]error, 4)
	results := make([][]string, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = c.Complete(ctx, text, len(text))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil || !containsFold(results[i], "eddy") {
			t.Fatalf("completion %d: candidates %v, err %v", i, results[i], err)
		}
	}

	old := kernel.CompleterSession(c)
	if err := f.cluster.Gateway.CloseSession(ctx, old); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Complete(ctx, text, len(text)); err != nil || !containsFold(got, "eddy") {
		t.Fatalf("after the gateway lost the session: candidates %v, err %v", got, err)
	}
	if kernel.CompleterSession(c) == old {
		t.Fatal("the session handle did not change")
	}

	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Complete(ctx, text, len(text)); eddy.ErrorCode(err) != eddy.EUNAVAILABLE {
		t.Fatalf("complete after Close: err %v, want %s", err, eddy.EUNAVAILABLE)
	}
}

// containsFold reports whether a candidate contains want, ignoring case.
func containsFold(candidates []string, want string) bool {
	for _, c := range candidates {
		if strings.Contains(strings.ToLower(c), want) {
			return true
		}
	}
	return false
}

// TestRunWithoutSession: Markdown runs and is stored without any Flink
// session (the cluster here is unreachable); a paragraph that needs Flink
// is refused, and its state left alone.
func TestRunWithoutSession(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "eddy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n, err := store.CreateNote(ctx, notebooks.NoteCreate{Path: "md", Paragraphs: []notebooks.ParagraphCreate{
		{Text: "%md\n# Hello\n\n*world*"}, {Text: "%flink.ssql\nSELECT 1"}}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := kernel.Config{NoteID: n.ID, Store: store, Cluster: kernel.NewCluster(kernel.ModeRemote, "http://127.0.0.1:1", "http://127.0.0.1:1")}
	if err := kernel.RunWithoutSession(ctx, cfg, n.Paragraphs[0].ID); err != nil {
		t.Fatal(err)
	}
	p, err := store.FindParagraph(ctx, n.ID, n.Paragraphs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != notebooks.StatusFinished || p.Results == nil || len(p.Results.Msg) != 1 ||
		p.Results.Msg[0].Type != notebooks.MessageHTML || !strings.Contains(p.Results.Msg[0].Data, "<h1") || p.DateFinished.IsZero() {
		t.Fatalf("%s %+v", p.Status, p.Results)
	}
	if err := kernel.RunWithoutSession(ctx, cfg, n.Paragraphs[1].ID); err == nil {
		t.Fatal("a SQL paragraph ran without a session")
	}
	if q, _ := store.FindParagraph(ctx, n.ID, n.Paragraphs[1].ID); q.Status == notebooks.StatusRunning || q.Status == notebooks.StatusError {
		t.Fatalf("the refused paragraph is %s", q.Status)
	}
}

// refuseAll refuses every job as the sessions manager does when capacity is short.
type refuseAll struct{}

func (refuseAll) AdmitJob(ctx context.Context, noteID, paragraphID string, parallelism int) (func(), error) {
	e := eddy.Errorf(eddy.ECAPACITY, "not enough KPUs to start a job of parallelism %d", parallelism)
	e.Details = map[string]int{"needed": 1}
	return nil, e
}

// TestKernel_RefusedJobKeepsItsCode: a job refused for want of KPUs fails
// its paragraph, and the live state keeps the refusal's code and details
// (the sync run API answers them as a refusal, not a failed run).
func TestKernel_RefusedJobKeepsItsCode(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n, err := f.store.CreateNote(ctx, notebooks.NoteCreate{Path: t.Name(), Paragraphs: []notebooks.ParagraphCreate{{Text: "%flink.ssql\nSELECT * FROM (VALUES (1)) AS t(a)"}}})
	if err != nil {
		t.Fatal(err)
	}
	k, err := kernel.Open(ctx, kernel.Config{NoteID: n.ID, Cluster: f.cluster, Store: f.store, Admitter: refuseAll{}})
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close(ctx)
	done, err := k.Run(ctx, n.Paragraphs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	l, _ := k.Live(n.Paragraphs[0].ID)
	if l.Status != notebooks.StatusError || l.ErrorCode != eddy.ECAPACITY || l.ErrorDetails == nil || !strings.Contains(l.ErrorMessage, "not enough KPUs") {
		t.Fatalf("live %s %q %q %v", l.Status, l.ErrorCode, l.ErrorMessage, l.ErrorDetails)
	}
}

func TestJobNote(t *testing.T) {
	for name, want := range map[string]string{"eddy:N1:paragraph_1": "N1", "eddy::p": "", "eddy:N1": "", "someone's job": "", "eddyN1:p": ""} {
		if got, ok := kernel.JobNote(name); got != want && ok || (want != "") != ok {
			t.Errorf("JobNote(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}

// TestReconcileJobs: a job named after a paragraph of a known note and
// started before Eddy is cancelled; one of an unknown note, or started
// after Eddy, is left alone (other programs' jobs: TestJobNote).
func TestReconcileJobs(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	gw, jm := f.cluster.Gateway, f.cluster.JobManager
	handle, err := gw.OpenSession(ctx, "reconcile-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.CloseSession(context.Background(), handle)
	for _, st := range []string{
		"CREATE TEMPORARY TABLE g (a INT) WITH ('connector'='datagen','rows-per-second'='1')",
		"CREATE TEMPORARY TABLE b (a INT) WITH ('connector'='blackhole')",
	} {
		if _, err := gw.ExecuteStatement(ctx, handle, st, nil); err != nil {
			t.Fatal(err)
		}
	}
	suffix := fmt.Sprint(time.Now().UnixNano())
	names := map[string]string{ // role → job name (one job: the cluster is shared)
		"orphan": "eddy:KNOWN" + suffix + ":paragraph_1",
	}
	ids := map[string]string{}
	for role, name := range names {
		if _, err := gw.ExecuteStatement(ctx, handle, "INSERT INTO b SELECT a FROM g", map[string]string{"pipeline.name": name}); err != nil {
			t.Fatal(err)
		}
		for ids[role] == "" {
			jobs, _ := jm.Jobs(ctx)
			for _, j := range jobs {
				if j.Name == name && j.State == flink.JobRunning {
					ids[role] = j.ID
				}
			}
			if ctx.Err() != nil {
				t.Fatalf("job %q did not start", name)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	defer func() {
		for _, id := range ids {
			_ = jm.CancelJob(context.Background(), id)
		}
	}()
	known := func(noteID string) bool { return noteID == "KNOWN"+suffix }

	// Started before these jobs: a later Eddy's own jobs are not touched.
	if got, err := kernel.ReconcileJobs(ctx, jm, time.Now().Add(-time.Hour), known); err != nil || len(got) != 0 {
		t.Fatalf("jobs younger than Eddy: cancelled %v, %v", got, err)
	}
	// Jobs of notes this Eddy does not know are another Eddy's.
	if got, err := kernel.ReconcileJobs(ctx, jm, time.Now(), func(string) bool { return false }); err != nil || len(got) != 0 {
		t.Fatalf("jobs of unknown notes: cancelled %v, %v", got, err)
	}
	got, err := kernel.ReconcileJobs(ctx, jm, time.Now(), known)
	if err != nil || len(got) != 1 || got[0].ID != ids["orphan"] {
		t.Fatalf("cancelled %+v, %v; want only %s", got, err, ids["orphan"])
	}
	for role, id := range ids {
		want := flink.JobRunning
		if role == "orphan" {
			want = flink.JobCanceled
		}
		for {
			d, err := jm.Job(ctx, id)
			if err == nil && d.State == want {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("%s job is %s, want %s", role, d.State, want)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// TestKernel_JobNotFoundIsLost: the JobManager answers 404 for a job it
// does not know (as after a restart without high availability), which
// Eddy tells as a lost job.
func TestKernel_JobNotFoundIsLost(t *testing.T) {
	f := newFixture(t)
	_, err := f.cluster.JobManager.Job(context.Background(), "00000000000000000000000000000000")
	if !flink.IsNotFound(err) {
		t.Fatalf("unknown job: %v, want a 404", err)
	}
}

// A run's end is stored before viewers are told of it: whoever sees the
// paragraph finished and then reads the note (Zeppelin's REST clients poll
// the status, then fetch the result) finds the outcome and the job link.
func TestKernel_OutcomeStoredBeforeItIsShown(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	n, err := f.store.CreateNote(ctx, notebooks.NoteCreate{Path: t.Name(), DefaultInterpreterGroup: "flink",
		Paragraphs: []notebooks.ParagraphCreate{{Text: "%flink.bsql\nSELECT 'stored first' AS w, 42 AS n"}}})
	if err != nil {
		t.Fatal(err)
	}
	pid := n.Paragraphs[0].ID
	var (
		k       *kernel.Kernel
		ready   = make(chan struct{})
		mu      sync.Mutex
		checked bool
		seen    *notebooks.Paragraph
	)
	onChange := func() {
		select {
		case <-ready:
		default:
			return
		}
		live, ok := k.Live(pid)
		if !ok || live.Status != notebooks.StatusFinished {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if checked {
			return
		}
		checked = true
		seen, err = f.store.FindParagraph(ctx, n.ID, pid)
		if err != nil {
			t.Error(err)
		}
	}
	k, err = kernel.Open(ctx, kernel.Config{NoteID: n.ID, Cluster: f.cluster, Store: f.store, OnChange: onChange})
	if err != nil {
		t.Fatal(err)
	}
	close(ready)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		k.Close(ctx)
	})
	runCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	done, err := k.Run(runCtx, pid)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-runCtx.Done():
		t.Fatal("the paragraph did not finish")
	}
	mu.Lock()
	defer mu.Unlock()
	if !checked {
		t.Fatal("viewers were never told the paragraph finished")
	}
	if seen.Status != notebooks.StatusFinished || seen.Results == nil || len(seen.Results.Msg) == 0 {
		t.Fatalf("told finished while the note holds status %s, results %+v", seen.Status, seen.Results)
	}
	if seen.RuntimeInfos["jobUrl"] == nil {
		t.Fatalf("told finished while the note holds no job link: %v", seen.RuntimeInfos)
	}
}
