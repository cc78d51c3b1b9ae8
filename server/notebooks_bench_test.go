package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/notebooks"
)

// benchParagraphs is the note size the REST latency figures are quoted for.
const benchParagraphs = 200

// Run with:
//
//	go test ./server -run '^$' -bench NotebookAPI -benchtime 2000x
//
// Each benchmark sends real requests over loopback HTTP to a real Server on
// a SQLite file and reports the p50 and p99 latency of one request, plus
// p50 as a ratio to GET /healthz measured in the same run (the cost of HTTP
// and auth alone).

// BenchmarkNotebookAPI_GetNote measures GET /api/notebook/{id} for a note of
// 200 paragraphs, each with SQL text, chart config and a TABLE result.
func BenchmarkNotebookAPI_GetNote(b *testing.B) {
	ts := MustOpenServer(b)
	id := mustBenchNote(b, ts)
	req := benchRequest(b, ts, http.MethodGet, "/api/notebook/"+id, "")
	base := healthzP50(b, ts)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		benchDo(b, ts, req(), http.StatusOK)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat, base)
}

// BenchmarkNotebookAPI_UpdateParagraphText measures PUT
// /api/notebook/{id}/paragraph/{pid} with new text, round-robin over the
// paragraphs of the same 200-paragraph note; each is a durable commit.
func BenchmarkNotebookAPI_UpdateParagraphText(b *testing.B) {
	ts := MustOpenServer(b)
	id := mustBenchNote(b, ts)
	n, err := ts.store.FindNoteByID(context.Background(), id)
	if err != nil {
		b.Fatal(err)
	}
	base := healthzP50(b, ts)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		p := n.Paragraphs[i%len(n.Paragraphs)]
		body := fmt.Sprintf(`{"text": "%%flink.ssql(type=update)\nSELECT url, COUNT(*) AS pv FROM clicks WHERE v = %d GROUP BY url"}`, i)
		req := benchRequest(b, ts, http.MethodPut, "/api/notebook/"+id+"/paragraph/"+p.ID, body)()
		start := time.Now()
		benchDo(b, ts, req, http.StatusOK)
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat, base)
}

// mustBenchNote creates the 200-paragraph note through the store.
func mustBenchNote(b *testing.B, ts *testServer) string {
	b.Helper()
	ctx := context.Background()
	var rows strings.Builder
	rows.WriteString("url\tpv\n")
	for r := range 20 {
		fmt.Fprintf(&rows, "/page/%d\t%d\n", r, 1000-r)
	}
	create := notebooks.NoteCreate{Path: "bench/200 paragraphs"}
	for i := range benchParagraphs {
		create.Paragraphs = append(create.Paragraphs, notebooks.ParagraphCreate{
			Title: fmt.Sprintf("Query %d", i),
			Text:  fmt.Sprintf("%%flink.ssql(type=update, refreshInterval=2000)\nSELECT url, COUNT(*) AS pv\nFROM clicks\nWHERE region = '${region=eu,eu|us|apac}' AND shard = %d\nGROUP BY url", i),
			Config: map[string]any{"colWidth": 12.0, "fontSize": 9.0, "enabled": true, "editorMode": "ace/mode/sql",
				"results": map[string]any{"0": map[string]any{"graph": map[string]any{
					"mode": "multiBarChart", "height": 300.0,
					"keys":   []any{map[string]any{"name": "url", "index": 0.0, "aggr": "sum"}},
					"values": []any{map[string]any{"name": "pv", "index": 1.0, "aggr": "sum"}},
				}}}},
		})
	}
	n, err := ts.store.CreateNote(ctx, create)
	if err != nil {
		b.Fatal(err)
	}
	status := notebooks.StatusFinished
	for _, p := range n.Paragraphs {
		_, err := ts.store.UpdateParagraphRun(ctx, n.ID, p.ID, notebooks.RunUpdate{
			Status:  &status,
			Results: &notebooks.Result{Code: notebooks.ResultSuccess, Msg: []notebooks.ResultMessage{{Type: notebooks.MessageTable, Data: rows.String()}}},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return n.ID
}

// benchRequest returns a maker of authenticated requests.
func benchRequest(b *testing.B, ts *testServer, method, path, body string) func() *http.Request {
	return func() *http.Request {
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, ts.URL()+path, r)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+testToken)
		return req
	}
}

// benchDo sends req and reads the whole answer, failing on another status.
func benchDo(b *testing.B, ts *testServer, req *http.Request, want int) {
	resp, err := ts.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != want {
		b.Fatalf("%s %s: %d, %v", req.Method, req.URL.Path, resp.StatusCode, err)
	}
}

// healthzP50 measures the baseline: the median latency of GET /healthz.
func healthzP50(b *testing.B, ts *testServer) time.Duration {
	lat := make([]time.Duration, 0, 200)
	for range cap(lat) {
		req, _ := http.NewRequest(http.MethodGet, ts.URL()+"/healthz", nil)
		start := time.Now()
		benchDo(b, ts, req, http.StatusOK)
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	return lat[len(lat)/2]
}

func reportLatency(b *testing.B, lat []time.Duration, base time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	p50 := lat[len(lat)/2]
	p99 := lat[min(len(lat)-1, len(lat)*99/100)]
	b.ReportMetric(float64(p50.Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(p99.Nanoseconds()), "p99-ns")
	if base > 0 {
		b.ReportMetric(float64(p50)/float64(base), "p50/healthz")
	}
}
