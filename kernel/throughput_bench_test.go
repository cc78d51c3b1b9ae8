package kernel_test

import (
	"context"
	"fmt"
	"testing"
	"time"
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
	sh, err := gw.OpenSession(ctx, "bench-raw", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer gw.CloseSession(ctx, sh)
	if op, err := gw.ExecuteStatement(ctx, sh, source, nil); err != nil {
		b.Fatal(err)
	} else if _, err := gw.NewFetcher(sh, op).All(ctx, 0); err != nil {
		b.Fatal(err)
	}

	var rawTotal, kernelTotal time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		op, err := gw.ExecuteStatement(ctx, sh, query, nil)
		if err != nil {
			b.Fatal(err)
		}
		got, err := gw.NewFetcher(sh, op).All(ctx, 0)
		if err != nil || len(got) != rows {
			b.Fatalf("raw fetch: %d rows, %v", len(got), err)
		}
		_ = gw.CloseOperation(ctx, sh, op)
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
