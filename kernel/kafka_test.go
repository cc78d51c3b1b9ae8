package kernel_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
	"github.com/eddy-notebooks/eddy/kernel/maven"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// kafkaTable is the DDL of a keyed JSON topic on the test cluster's broker.
func kafkaTable(name, topic, bootstrap, bounded string) string {
	return fmt.Sprintf("CREATE TEMPORARY TABLE %s (k INT, id BIGINT, v INT) WITH ('connector'='kafka', 'topic'='%s', "+
		"'properties.bootstrap.servers'='%s', 'format'='json', 'scan.startup.mode'='earliest-offset'%s)", name, topic, bootstrap, bounded)
}

// TestKernel_KafkaRoundTrip writes 10,000 keyed rows into a Kafka topic from
// one note (the Kafka SQL connector on the cluster's classpath, the local
// broker) and reads them back from another: bounded, the count, the sums
// and the per-key counts are exact; streaming, the rows show live while
// the producing note still writes.
func TestKernel_KafkaRoundTrip(t *testing.T) {
	f := newFixture(t)
	kafka := flinktest.Cluster(t).Kafka
	if kafka == "" {
		t.Fatal("the test cluster has no Kafka broker")
	}
	topic := fmt.Sprintf("eddy_roundtrip_%d", time.Now().UnixNano())
	const rows = 10000

	producer, pk := f.note(
		"%flink.ssql\n"+kafkaTable("sink", topic, kafka, "")+";\n"+
			fmt.Sprintf("CREATE TEMPORARY TABLE gen (id BIGINT) WITH ('connector'='datagen', 'number-of-rows'='%d', 'fields.id.kind'='sequence', 'fields.id.start'='1', 'fields.id.end'='%d')", rows, rows),
		"%flink.ssql\nINSERT INTO sink SELECT CAST(id % 10 AS INT), id, CAST(id % 7 AS INT) FROM gen",
	)
	f.mustFinish(f.run(producer, pk, 0))
	f.mustFinish(f.run(producer, pk, 1)) // an INSERT paragraph ends when its bounded job has

	reader, rk := f.note(
		"%flink.bsql\n"+kafkaTable("src", topic, kafka, ", 'scan.bounded.mode'='latest-offset'"),
		"%flink.bsql\nSELECT COUNT(*) AS n, COUNT(DISTINCT id) AS ids, SUM(id) AS s, SUM(v) AS sv FROM src",
		"%flink.bsql\nSELECT k, COUNT(*) AS n FROM src GROUP BY k",
	)
	f.mustFinish(f.run(reader, rk, 0))
	p := f.run(reader, rk, 1)
	f.mustFinish(p)
	// Sum of 1..10,000 and of id % 7 over it (1,428 full cycles of 21, plus 1+2+3+4).
	want := fmt.Sprintf("%d\t%d\t%d\t%d", rows, rows, rows*(rows+1)/2, 1428*21+10)
	if got := tableRows(t, p); len(got) != 1 || got[0] != want {
		t.Fatalf("totals %v, want %q", got, want)
	}
	p = f.run(reader, rk, 2)
	f.mustFinish(p)
	got := tableRows(t, p)
	if len(got) != 10 {
		t.Fatalf("per-key counts %v, want 10 keys", got)
	}
	for _, row := range got {
		if !strings.HasSuffix(row, "\t1000") {
			t.Fatalf("per-key counts %v, want 1000 each", got)
		}
	}

	t.Run("StreamingShowsLiveRows", func(t *testing.T) {
		live := fmt.Sprintf("%s_live", topic)
		slow, sk := f.note(
			"%flink.ssql\n"+kafkaTable("sink", live, kafka, "")+";\n"+
				"CREATE TEMPORARY TABLE gen (id BIGINT) WITH ('connector'='datagen', 'rows-per-second'='50', 'fields.id.kind'='sequence', 'fields.id.start'='1', 'fields.id.end'='1000000')",
			"%flink.ssql\nINSERT INTO sink SELECT CAST(id % 3 AS INT), id, 1 FROM gen",
		)
		f.mustFinish(f.run(slow, sk, 0))
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if _, err := sk.Run(ctx, slow.Paragraphs[1].ID); err != nil {
			t.Fatal(err)
		}
		defer sk.Cancel(context.Background(), slow.Paragraphs[1].ID)

		// Kafka creates a topic on its first record: wait for it, or the
		// streaming read below fails "does not host this topic-partition".
		probe, prk := f.note(
			"%flink.bsql\n"+kafkaTable("src", live, kafka, ", 'scan.bounded.mode'='latest-offset'"),
			"%flink.bsql\nSELECT COUNT(*) FROM src",
		)
		f.mustFinish(f.run(probe, prk, 0))
		for p := f.run(probe, prk, 1); p.Status != notebooks.StatusFinished || tableRows(t, p)[0] == "0"; p = f.run(probe, prk, 1) {
			if ctx.Err() != nil {
				t.Fatalf("the producer wrote nothing: %s %s", p.Status, p.ErrorMessage)
			}
			time.Sleep(500 * time.Millisecond)
		}

		watch, wk := f.note(
			"%flink.ssql\n"+kafkaTable("src", live, kafka, ""),
			"%flink.ssql(type=update)\nSELECT k, COUNT(*) AS n FROM src GROUP BY k",
		)
		f.mustFinish(f.run(watch, wk, 0))
		if _, err := wk.Run(ctx, watch.Paragraphs[1].ID); err != nil {
			t.Fatal(err)
		}
		defer wk.Cancel(context.Background(), watch.Paragraphs[1].ID)
		// The counts grow while the producer writes: two growing snapshots.
		first := waitLive(ctx, t, wk, watch.Paragraphs[1].ID, func(l kernel.ParagraphLive) bool {
			return l.Result != nil && l.Result.Snapshot != nil && len(l.Result.Snapshot.Rows) == 3
		})
		seen := first.Result.Snapshot.RowsReceived
		waitLive(ctx, t, wk, watch.Paragraphs[1].ID, func(l kernel.ParagraphLive) bool {
			return l.Status == notebooks.StatusRunning && l.Result != nil && l.Result.Snapshot != nil && l.Result.Snapshot.RowsReceived > seen+50
		})

		t.Run("OutageNotice", func(t *testing.T) {
			// Its two jobs take the slots of these two: the cluster is
			// shared with the other packages' tests.
			if err := sk.Cancel(ctx, slow.Paragraphs[1].ID); err != nil {
				t.Fatal(err)
			}
			if err := wk.Cancel(ctx, watch.Paragraphs[1].ID); err != nil {
				t.Fatal(err)
			}
			kafkaOutageNotice(ctx, t, f, kafka, live)
		})
	})
}

// kafkaOutageNotice: while the broker a cluster watches does not answer,
// a running paragraph whose job reads Kafka says so (the job's Kafka
// clients are found from its operators' metrics) and one whose job does
// not stays quiet; when the broker answers again, the notice says it is
// back. The shared broker cannot be stopped here, so the cluster watches
// a loopback port the test opens and closes; the e2e test kills the real
// broker.
func kafkaOutageNotice(ctx context.Context, t *testing.T, f *fixture, kafka, topic string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ep := flinktest.Cluster(t)
	c := kernel.NewCluster(kernel.ModeRemote, ep.Gateway.URL(), ep.JobManager.URL())
	c.Kafka, c.KafkaMode = addr, kernel.ModeRemote
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go c.WatchKafka(watchCtx)

	g := *f
	g.cluster = c
	reader, rk := g.note(
		"%flink.ssql\n"+kafkaTable("src", topic, kafka, ""),
		"%flink.ssql(type=update)\nSELECT COUNT(*) AS n FROM src",
		"%flink.ssql\nCREATE TEMPORARY TABLE gen (id BIGINT) WITH ('connector'='datagen', 'rows-per-second'='5');\n"+
			"SELECT COUNT(*) AS n FROM gen",
	)
	g.mustFinish(g.run(reader, rk, 0))
	for _, i := range []int{1, 2} {
		if _, err := rk.Run(ctx, reader.Paragraphs[i].ID); err != nil {
			t.Fatal(err)
		}
		defer rk.Cancel(context.Background(), reader.Paragraphs[i].ID)
	}
	rows := func(l kernel.ParagraphLive) bool {
		return l.Result != nil && l.Result.Snapshot != nil && len(l.Result.Snapshot.Rows) == 1
	}
	waitLive(ctx, t, rk, reader.Paragraphs[1].ID, rows)
	waitLive(ctx, t, rk, reader.Paragraphs[2].ID, rows)

	ln.Close()
	down := waitLive(ctx, t, rk, reader.Paragraphs[1].ID, func(l kernel.ParagraphLive) bool {
		return l.Notice != nil && l.Notice.Level == kernel.NoticeError
	})
	if !strings.Contains(down.Notice.Text, "The Kafka broker at "+addr+" is unreachable since") ||
		!strings.Contains(down.Notice.Text, "connection refused") {
		t.Fatalf("notice while down: %q", down.Notice.Text)
	}
	if l, _ := rk.Live(reader.Paragraphs[2].ID); l.Notice != nil {
		t.Fatalf("a datagen job got a Kafka notice: %+v", l.Notice)
	}

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	defer ln.Close()
	back := waitLive(ctx, t, rk, reader.Paragraphs[1].ID, func(l kernel.ParagraphLive) bool {
		return l.Notice != nil && l.Notice.Level == kernel.NoticeInfo
	})
	if !strings.Contains(back.Notice.Text, "was unreachable from") || !strings.Contains(back.Notice.Text, "It is back") {
		t.Fatalf("notice once back: %q", back.Notice.Text)
	}
	if l, _ := rk.Live(reader.Paragraphs[2].ID); l.Notice != nil {
		t.Fatalf("a datagen job got a Kafka notice: %+v", l.Notice)
	}
}

// TestKernel_UnknownConnectorHint: a table of a connector the cluster lacks
// fails with Flink's list of installed identifiers and Eddy's hint.
func TestKernel_UnknownConnectorHint(t *testing.T) {
	f := newFixture(t)
	n, k := f.note("%flink.ssql\nCREATE TEMPORARY TABLE s (a INT) WITH ('connector' = 'kinesis', 'stream' = 'x');\nSELECT * FROM s")
	p := f.run(n, k, 0)
	if p.Status != notebooks.StatusError || !strings.Contains(p.ErrorMessage, "There is no connector 'kinesis' on this cluster") ||
		!strings.Contains(p.ErrorMessage, "upsert-kafka") {
		t.Fatalf("%s: %q", p.Status, p.ErrorMessage)
	}
}

// TestKernel_ExecutionPackages: Zeppelin's flink.execution.packages fetches
// a connector jar from Maven Central (checked against its published SHA-1)
// into the note's session only: its tables work there, and another note
// still lacks the connector.
func TestKernel_ExecutionPackages(t *testing.T) {
	f := newFixture(t)
	f.packages = &maven.Resolver{Dir: filepath.Join(t.TempDir(), "jars")}
	dir := t.TempDir()
	n, k := f.note(
		"%flink.conf\nflink.execution.packages org.apache.flink:flink-table-filesystem-test-utils:2.3.0",
		"%flink.bsql\nCREATE TEMPORARY TABLE tf (a INT) WITH ('connector' = 'test-filesystem', 'path' = 'file://"+dir+"', 'format' = 'csv');\n"+
			"INSERT INTO tf VALUES (1), (2), (3)",
		"%flink.bsql\nSELECT SUM(a) AS s FROM tf",
	)
	f.mustFinish(f.run(n, k, 0))
	f.mustFinish(f.run(n, k, 1))
	p := f.run(n, k, 2)
	f.mustFinish(p)
	if got := tableRows(t, p); len(got) != 1 || got[0] != "6" {
		t.Fatalf("sum %v, want 6", got)
	}

	other, ok := f.note("%flink.bsql\nCREATE TEMPORARY TABLE tf (a INT) WITH ('connector' = 'test-filesystem', 'path' = 'file://" + dir + "', 'format' = 'csv');\nSELECT * FROM tf")
	if p := f.run(other, ok, 0); p.Status != notebooks.StatusError || !strings.Contains(p.ErrorMessage, "no connector 'test-filesystem'") {
		t.Fatalf("another note: %s %q", p.Status, p.ErrorMessage)
	}

	bad, bk := f.note("%flink.conf\nflink.execution.packages org.apache.flink:flink-no-such-connector:2.3.0")
	if p := f.run(bad, bk, 0); p.Status != notebooks.StatusError || !strings.Contains(p.ErrorMessage, "no such artifact") {
		t.Fatalf("bad coordinates: %s %q", p.Status, p.ErrorMessage)
	}
}

// TestCluster_KafkaOutageBeforeAnyKernel: the broker can go away before any
// note has run; recording that must not fail (it once closed a nil channel).
func TestCluster_KafkaOutageBeforeAnyKernel(t *testing.T) {
	c := kernel.NewCluster(kernel.ModeRemote, "http://127.0.0.1:1", "http://127.0.0.1:1")
	c.Kafka = "127.0.0.1:1"
	kernel.KafkaProbed(c, fmt.Errorf("dial tcp 127.0.0.1:1: connect: connection refused"))
	kernel.KafkaProbed(c, nil)
}

// TestCluster_KafkaOutageLearnsTheCrash: a probe may fail before the
// supervisor has seen the local broker exit; the outage first says what the
// probe saw, then, once the exit is known, that the broker exited and is
// being restarted — from the same moment, and viewers are told.
func TestCluster_KafkaOutageLearnsTheCrash(t *testing.T) {
	c := kernel.NewCluster(kernel.ModeRemote, "http://127.0.0.1:1", "http://127.0.0.1:1")
	c.Kafka = "127.0.0.1:1"
	var crashes int
	var last localflink.Exit
	c.KafkaCrashes = func() (int, localflink.Exit) { return crashes, last }
	refused := fmt.Errorf("dial tcp 127.0.0.1:1: connect: connection refused")

	kernel.KafkaProbed(c, refused)
	first, changed := kernel.KafkaState(c)
	if first == nil || first.Restarting || first.Reason != "connection refused" {
		t.Fatalf("outage %+v, want what the probe saw", first)
	}
	crashes, last = 1, localflink.Exit{Reason: "signal: killed", At: time.Now()}
	kernel.KafkaProbed(c, refused)
	o, _ := kernel.KafkaState(c)
	if !o.Restarting || !strings.Contains(o.Reason, "the local broker exited (signal: killed)") || !o.Since.Equal(first.Since) {
		t.Fatalf("outage %+v, want the crash, since %v", o, first.Since)
	}
	select {
	case <-changed:
	default:
		t.Fatal("viewers were not told the outage's reason changed")
	}
	kernel.KafkaProbed(c, nil)
	if o, _ := kernel.KafkaState(c); o.Ongoing() {
		t.Fatalf("outage %+v still ongoing after a good probe", o)
	}
}
