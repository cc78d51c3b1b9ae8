package metrics_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/metrics"
	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/sessions"
)

// gather returns the registry's families by name.
func gather(t *testing.T, m *metrics.Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	fams, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// value returns the value of the series of family name whose labels
// include want (counter, gauge, or a histogram's sample count).
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("no series %s", name)
	}
next:
	for _, mt := range f.GetMetric() {
		labels := map[string]string{}
		for _, lp := range mt.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case mt.Counter != nil:
			return mt.GetCounter().GetValue()
		case mt.Gauge != nil:
			return mt.GetGauge().GetValue()
		case mt.Histogram != nil:
			return float64(mt.GetHistogram().GetSampleCount())
		}
	}
	t.Fatalf("no series %s with labels %v", name, want)
	return 0
}

func TestMetrics_Record(t *testing.T) {
	m := metrics.New()
	m.ObserveRequest(http.MethodGet, "/api/notebook/:noteId", 200, 3*time.Millisecond)
	m.ObserveRequest(http.MethodGet, "/api/notebook/:noteId", 200, 5*time.Millisecond)
	m.ObserveRequest(http.MethodGet, "", 404, time.Millisecond)
	m.WebsocketOpened()
	m.WebsocketOpened()
	m.WebsocketClosed()
	m.WebsocketSent(100)
	m.WebsocketSent(23)
	m.ObserveDeltaEncode(50 * time.Microsecond)
	m.ObserveFlinkCall("Flink SQL Gateway", "fetch results", 10*time.Millisecond, nil)
	m.ObserveFlinkCall("Flink SQL Gateway", "fetch results", 10*time.Millisecond, errors.New("down"))
	m.ObserveSQLiteWrite("create note", time.Millisecond, nil)

	fams := gather(t, m)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"eddy_http_requests_total", map[string]string{"method": "GET", "route": "/api/notebook/:noteId", "code": "200"}, 2},
		{"eddy_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/api/notebook/:noteId"}, 2},
		{"eddy_http_requests_total", map[string]string{"route": "unmatched", "code": "404"}, 1},
		{"eddy_websocket_connections", nil, 1},
		{"eddy_websocket_messages_sent_total", nil, 2},
		{"eddy_websocket_sent_bytes_total", nil, 123},
		{"eddy_websocket_delta_encode_seconds", nil, 1},
		{"eddy_flink_request_duration_seconds", map[string]string{"service": "Flink SQL Gateway", "op": "fetch results"}, 2},
		{"eddy_flink_request_errors_total", map[string]string{"op": "fetch results"}, 1},
		{"eddy_sqlite_write_duration_seconds", map[string]string{"op": "create note"}, 1},
	} {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("no %s: the Go and process collectors are missing", name)
		}
	}
}

func TestMetrics_Handler(t *testing.T) {
	m := metrics.New()
	m.WebsocketSent(7)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "eddy_websocket_sent_bytes_total 7") {
		t.Fatalf("status %d, body lacks the series:\n%s", resp.StatusCode, b)
	}
}

// sessionsAt is the sessions as the collector reads them: a fixed answer
// (the collector is tested against a real Manager in cmd/eddy's test).
type sessionsAt struct {
	infos []sessions.Info
	cap   sessions.Capacity
	live  map[string][]kernel.ParagraphLive
	asked map[string]map[string]int64 // note → the seen map LiveSince got last
}

func (s *sessionsAt) List() []sessions.Info       { return s.infos }
func (s *sessionsAt) Capacity() sessions.Capacity { return s.cap }
func (s *sessionsAt) LiveSince(noteID string, seen map[string]int64) []kernel.ParagraphLive {
	s.asked[noteID] = seen
	return s.live[noteID]
}

func TestRuntime_Collect(t *testing.T) {
	src := &sessionsAt{
		infos: []sessions.Info{
			{ID: "s1", NoteID: "n1", State: sessions.StateBusy, Jobs: []sessions.JobInfo{{Status: "RUNNING"}, {Status: "RUNNING"}}},
			{ID: "s2", NoteID: "n2", State: sessions.StateIdle},
		},
		cap: sessions.Capacity{KPUs: 8, InUse: 5},
		live: map[string][]kernel.ParagraphLive{
			"n1": {{ParagraphID: "p1", Status: notebooks.StatusRunning, Result: &kernel.LiveResult{Seq: 42}}, {ParagraphID: "p2", Status: notebooks.StatusFinished}},
		},
		asked: map[string]map[string]int64{},
	}
	m := metrics.New()
	if err := m.Register(metrics.NewRuntime(src)); err != nil {
		t.Fatal(err)
	}
	fams := gather(t, m)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"eddy_sessions", map[string]string{"state": "busy"}, 1},
		{"eddy_sessions", map[string]string{"state": "idle"}, 1},
		{"eddy_sessions", map[string]string{"state": "starting"}, 0},
		{"eddy_jobs", map[string]string{"state": "RUNNING"}, 2},
		{"eddy_kpus_in_use", nil, 5},
		{"eddy_kpus_capacity", nil, 8},
		{"eddy_live_paragraphs", map[string]string{"status": "RUNNING"}, 1},
		{"eddy_live_paragraphs", map[string]string{"status": "FINISHED"}, 1},
	} {
		if got := value(t, fams, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// The next scrape asks only for what is newer than the last one saw.
	gather(t, m)
	if got := src.asked["n1"]["p1"]; got != 42 {
		t.Errorf("second scrape asked p1 since %d, want 42", got)
	}
}
