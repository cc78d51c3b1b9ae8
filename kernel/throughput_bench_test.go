package kernel_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

// BenchmarkKernelVsGateway measures result rows per second through the
// whole kernel (statement execution, fetch, changelog materialisation,
// live publishing, storing the result) against raw rows per second fetched
// from the gateway by the bare client, for the same bounded query in the
// same run, and reports their ratio.
func BenchmarkKernelVsGateway(b *testing.B) {
	const rows = 200_000
	source := fmt.Sprintf("CREATE TEMPORARY TABLE bench_src (id BIGINT, k INT, s STRING) WITH ('connector'='datagen','number-of-rows'='%d','fields.id.kind'='sequence','fields.id.start'='1','fields.id.end'='%d','fields.k.min'='1','fields.k.max'='1000','fields.s.length'='16')", rows, rows)
	query := "SELECT id, k, s FROM bench_src"
	f := newFixture(b)
	n, k := f.note("%flink.ssql\n"+source+";", "%flink.ssql(type=append)\n"+query)
	f.mustFinish(f.run(n, k, 0))
	ctx := context.Background()
	gw := f.cluster.Gateway
	sh := rawSession(b, gw, "bench-raw", source)

	var rawTotal, kernelTotal time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if got := rawFetch(ctx, b, gw, sh, query); len(got) != rows {
			b.Fatalf("raw fetch: %d rows, want %d", len(got), rows)
		}
		rawTotal += time.Since(start)

		start = time.Now()
		p := f.run(n, k, 1)
		kernelTotal += time.Since(start)
		f.mustFinish(p)
		live, _ := k.Live(n.Paragraphs[1].ID)
		if live.Result == nil || live.Result.Snapshot == nil || live.Result.Snapshot.RowsReceived != rows {
			b.Fatalf("kernel received %+v rows, want %d", live.Result, rows)
		}
	}
	rawRate := float64(rows*b.N) / rawTotal.Seconds()
	kernelRate := float64(rows*b.N) / kernelTotal.Seconds()
	b.ReportMetric(rawRate, "raw-rows/s")
	b.ReportMetric(kernelRate, "kernel-rows/s")
	b.ReportMetric(kernelRate/rawRate, "kernel/raw")
}

// BenchmarkRowFormat measures what exact values cost: rows per second
// fetched from the gateway as Flink's printed strings (PLAIN_TEXT, what
// notebooks show) against JSON values, for the same query in the same run.
func BenchmarkRowFormat(b *testing.B) {
	const rows = 200_000
	source := fmt.Sprintf("CREATE TEMPORARY TABLE fmt_src (id BIGINT, d DECIMAL(20, 4), x DOUBLE, ts TIMESTAMP_LTZ(3), s STRING) WITH ('connector'='datagen','number-of-rows'='%d','rows-per-second'='100000000','fields.id.kind'='sequence','fields.id.start'='1','fields.id.end'='%d','fields.s.length'='16')", rows, rows)
	query := "SELECT id, d, x, ts, s FROM fmt_src"
	f := newFixture(b)
	ctx := context.Background()
	gw := f.cluster.Gateway
	sh := rawSession(b, gw, "bench-format", source)
	var jsonTotal, textTotal time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if got := rawFetchAs(ctx, b, gw, sh, query, gw.NewFetcher); len(got) != rows {
			b.Fatalf("JSON: %d rows, want %d", len(got), rows)
		}
		jsonTotal += time.Since(start)
		start = time.Now()
		if got := rawFetchAs(ctx, b, gw, sh, query, gw.NewTextFetcher); len(got) != rows {
			b.Fatalf("PLAIN_TEXT: %d rows, want %d", len(got), rows)
		}
		textTotal += time.Since(start)
	}
	b.ReportMetric(float64(rows*b.N)/jsonTotal.Seconds(), "json-rows/s")
	b.ReportMetric(float64(rows*b.N)/textTotal.Seconds(), "text-rows/s")
	b.ReportMetric(jsonTotal.Seconds()/textTotal.Seconds(), "text/json")
}

// BenchmarkKafkaGroupBy measures a Kafka topic read by a streaming GROUP BY
// (bounded at the topic's end, so each run finishes): topic rows consumed
// per second and changelog rows delivered per second, through the whole
// kernel (fetch, materialisation, live publishing) against the bare
// gateway fetch of the same query in the same run, with their ratio.
func BenchmarkKafkaGroupBy(b *testing.B) {
	const rows = 200_000
	f := newFixture(b)
	kafka := flinktest.Cluster(b).Kafka
	if kafka == "" {
		b.Fatal("the test cluster has no Kafka broker")
	}
	topic := fmt.Sprintf("eddy_bench_%d", time.Now().UnixNano())
	table := fmt.Sprintf("CREATE TEMPORARY TABLE ktopic (k INT, v BIGINT) WITH ('connector'='kafka', 'topic'='%s', "+
		"'properties.bootstrap.servers'='%s', 'format'='json', 'scan.startup.mode'='earliest-offset', 'scan.bounded.mode'='latest-offset')", topic, kafka)
	query := "SELECT k, COUNT(*) AS n, SUM(v) AS s FROM ktopic GROUP BY k"
	fill, fk := f.note(
		"%flink.ssql\n"+table+";\n"+fmt.Sprintf("CREATE TEMPORARY TABLE gen (v BIGINT) WITH ('connector'='datagen', 'number-of-rows'='%d', 'fields.v.kind'='sequence', 'fields.v.start'='1', 'fields.v.end'='%d')", rows, rows),
		"%flink.ssql\nINSERT INTO ktopic SELECT CAST(v % 100 AS INT), v FROM gen",
		"%flink.ssql(type=update)\n"+query,
	)
	f.mustFinish(f.run(fill, fk, 0))
	f.mustFinish(f.run(fill, fk, 1))

	ctx := context.Background()
	gw := f.cluster.Gateway
	sh := rawSession(b, gw, "bench-kafka-raw", table)

	var rawTotal, kernelTotal time.Duration
	var rawChanges, kernelChanges int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		got := rawFetch(ctx, b, gw, sh, query)
		rawTotal += time.Since(start)
		rawChanges += int64(len(got))

		start = time.Now()
		p := f.run(fill, fk, 2)
		kernelTotal += time.Since(start)
		f.mustFinish(p)
		live, _ := fk.Live(fill.Paragraphs[2].ID)
		if live.Result == nil || live.Result.Snapshot == nil || len(live.Result.Snapshot.Rows) != 100 {
			b.Fatalf("kernel result %+v, want 100 keys", live.Result)
		}
		kernelChanges += live.Result.Snapshot.RowsReceived
	}
	b.ReportMetric(float64(rows*b.N)/rawTotal.Seconds(), "raw-topic-rows/s")
	b.ReportMetric(float64(rows*b.N)/kernelTotal.Seconds(), "kernel-topic-rows/s")
	b.ReportMetric(float64(rawChanges)/rawTotal.Seconds(), "raw-changelog-rows/s")
	b.ReportMetric(float64(kernelChanges)/kernelTotal.Seconds(), "kernel-changelog-rows/s")
	b.ReportMetric(rawTotal.Seconds()/kernelTotal.Seconds(), "kernel/raw")
}

// rawSession opens a bare gateway session (closed when the benchmark ends)
// and runs ddl in it: the baseline the kernel is measured against.
func rawSession(b *testing.B, gw *flink.Gateway, name, ddl string) string {
	b.Helper()
	ctx := context.Background()
	sh, err := gw.OpenSession(ctx, name, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = gw.CloseSession(context.Background(), sh) })
	op, err := gw.ExecuteStatement(ctx, sh, ddl, nil)
	if err == nil {
		_, err = gw.NewFetcher(sh, op).All(ctx, 0)
	}
	if err != nil {
		b.Fatal(err)
	}
	return sh
}

// rawFetch runs a bounded query with the bare gateway client and returns
// all its rows, as a program without Eddy would.
func rawFetch(ctx context.Context, b *testing.B, gw *flink.Gateway, session, query string) []flink.Row {
	b.Helper()
	return rawFetchAs(ctx, b, gw, session, query, gw.NewFetcher)
}

// rawFetchAs is rawFetch reading with the Fetcher newFetcher makes.
func rawFetchAs(ctx context.Context, b *testing.B, gw *flink.Gateway, session, query string, newFetcher func(session, operation string) *flink.Fetcher) []flink.Row {
	b.Helper()
	op, err := gw.ExecuteStatement(ctx, session, query, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer gw.CloseOperation(ctx, session, op)
	got, err := newFetcher(session, op).All(ctx, 0)
	if err != nil {
		b.Fatalf("raw fetch: %v", err)
	}
	return got
}
