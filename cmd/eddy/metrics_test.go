package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/server"
)

// lockedBuffer is a log destination tests can read while Eddy writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// scrape is one scrape of /metrics: each series ("name{labels}") and its value.
type scrape map[string]float64

// getMetrics scrapes url (with the token "t" when bearer) and returns the
// status and, on 200, the series.
func getMetrics(t *testing.T, url string, bearer bool) (int, scrape) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if bearer {
		req.Header.Set("Authorization", "Bearer t")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	out := scrape{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// sum adds the values of the series named name whose labels contain every
// one of labels (each as `key="value"`); ok says whether any exists.
func (s scrape) sum(name string, labels ...string) (total float64, ok bool) {
next:
	for k, v := range s {
		n, rest, _ := strings.Cut(k, "{")
		if n != name {
			continue
		}
		for _, l := range labels {
			if !strings.Contains(rest, l) {
				continue next
			}
		}
		total += v
		ok = true
	}
	return total, ok
}

// TestEddy_Metrics runs Eddy in this process against the shared Flink
// cluster with a streaming query running and a websocket viewer of its
// note, and scrapes /metrics twice: every series is present and those
// that count work have moved. /metrics on the main address refuses a
// request without credentials; --metrics-listen serves it without.
func TestEddy_Metrics(t *testing.T) {
	gateway, rest := os.Getenv(flinktest.EnvGateway), os.Getenv(flinktest.EnvRest)
	if gateway == "" || rest == "" {
		t.Fatalf("this test needs the shared Flink cluster: set %s and %s (scripts/with-flink, or eddy flink)", flinktest.EnvGateway, flinktest.EnvRest)
	}
	logs := &lockedBuffer{}
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Token = "t"
	cfg.FlinkGateway, cfg.FlinkRest = gateway, rest
	cfg.Kafka, cfg.KafkaBootstrap = false, os.Getenv(flinktest.EnvKafka)
	cfg.Python = ""
	cfg.MetricsListen = "127.0.0.1:0"
	cfg.PprofListen = "127.0.0.1:0"
	cfg.LogFormat = logJSON
	cfg.LogOutput = logs
	m := NewMain(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t.Cleanup(func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := m.Close(closeCtx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	base := m.server.URL()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(250 * time.Millisecond) {
		var st struct {
			Ready bool `json:"ready"`
		}
		native(t, base, http.MethodGet, "/api/v1/cluster", nil, &st)
		if st.Ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the shared cluster did not become ready for eddy")
		}
	}

	t.Run("MainAddressNeedsCredentials", func(t *testing.T) {
		if code, _ := getMetrics(t, base+"/metrics", false); code != http.StatusUnauthorized {
			t.Fatalf("GET /metrics without a token: %d, want 401", code)
		}
		code, s := getMetrics(t, base+"/metrics", true)
		if code != http.StatusOK {
			t.Fatalf("GET /metrics with the token: %d", code)
		}
		if _, ok := s.sum("eddy_kpus_capacity"); !ok {
			t.Fatal("GET /metrics with the token lacks eddy_kpus_capacity")
		}
	})

	t.Run("PprofListen", func(t *testing.T) {
		if m.pprofSrv == nil {
			t.Fatal("--pprof-listen did not start a listener")
		}
		resp, err := http.Get("http://" + m.pprofSrv.Addr() + "/debug/pprof/goroutine?debug=1")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "goroutine profile:") {
			t.Fatalf("GET /debug/pprof/goroutine on --pprof-listen: %d %.200q", resp.StatusCode, b)
		}
	})

	metricsURL := "http://" + m.MetricsAddr() + "/metrics"
	if m.MetricsAddr() == "" {
		t.Fatal("--metrics-listen did not start a listener")
	}
	ids := startRunning(t, base)
	noteID := ids[0]

	// A viewer of the note gets its live state over the websocket.
	header := http.Header{"Authorization": {"Bearer t"}}
	ws, resp, err := websocket.DefaultDialer.Dial("ws://"+m.server.Addr()+"/ws", header)
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	resp.Body.Close()
	defer ws.Close()
	go func() { // read (and drop) what the server sends until the connection closes
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	for _, msg := range []map[string]any{{"op": "hello", "protocol": server.ProtocolVersion}, {"op": "subscribe", "noteId": noteID}} {
		if err := ws.WriteJSON(msg); err != nil {
			t.Fatal(err)
		}
	}

	code, first := getMetrics(t, metricsURL, false)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics on --metrics-listen without a token: %d, want 200", code)
	}
	// Present: every series the issue names.
	for _, name := range []string{
		"eddy_http_requests_total", "eddy_http_request_duration_seconds_count",
		"eddy_websocket_connections", "eddy_websocket_messages_sent_total", "eddy_websocket_sent_bytes_total",
		"eddy_websocket_delta_encode_seconds_count",
		"eddy_live_paragraphs", "eddy_sessions", "eddy_kpus_in_use", "eddy_kpus_capacity", "eddy_jobs",
		"eddy_flink_request_duration_seconds_count", "eddy_flink_request_errors_total",
		"eddy_sqlite_write_duration_seconds_count",
		"go_goroutines", "process_resident_memory_bytes",
	} {
		// Errors and delta encodes may not have happened yet; eddy_jobs
		// appears when the gateway names the query's job (checked below).
		if _, ok := first.sum(name); !ok && name != "eddy_flink_request_errors_total" && name != "eddy_websocket_delta_encode_seconds_count" && name != "eddy_jobs" {
			t.Errorf("first scrape lacks %s", name)
		}
	}
	// While the query runs: a busy session holding KPUs, its running job,
	// its running paragraph, and the gateway calls that fetch its rows.
	running := []struct {
		name   string
		labels []string
	}{
		{"eddy_sessions", []string{`state="busy"`}},
		{"eddy_kpus_in_use", nil},
		{"eddy_jobs", []string{`state="RUNNING"`}},
		{"eddy_live_paragraphs", []string{`status="RUNNING"`}},
		{"eddy_flink_request_duration_seconds_count", []string{`op="fetch results"`}},
		{"eddy_http_requests_total", []string{`route="/api/notebook/:noteId/paragraph/:paragraphId"`, `code="200"`}},
		{"eddy_sqlite_write_duration_seconds_count", []string{`op="create note"`}},
		{"eddy_websocket_connections", nil},
	}

	// The moving series move: scrape again until each has (the query keeps
	// producing rows, so live state keeps flowing to the viewer), and until
	// the running query shows (its job is known once the gateway names it).
	moving := []struct {
		name   string
		labels []string
	}{
		{"eddy_http_requests_total", nil},
		{"eddy_websocket_messages_sent_total", nil},
		{"eddy_websocket_sent_bytes_total", nil},
		{"eddy_websocket_delta_encode_seconds_count", nil},
		{"eddy_flink_request_duration_seconds_count", []string{`service="Flink SQL Gateway"`}},
	}
	var second scrape
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(500 * time.Millisecond) {
		native(t, base, http.MethodGet, "/api/v1/sessions", nil, nil) // an API request between the scrapes
		_, second = getMetrics(t, metricsURL, false)
		var problems []string
		for _, c := range moving {
			a, _ := first.sum(c.name, c.labels...)
			b, _ := second.sum(c.name, c.labels...)
			if b <= a {
				problems = append(problems, fmt.Sprintf("%s%v did not move: %v then %v", c.name, c.labels, a, b))
			}
		}
		for _, c := range running {
			if v, _ := second.sum(c.name, c.labels...); v < 1 {
				problems = append(problems, fmt.Sprintf("%s%v = %v while the query runs, want ≥ 1", c.name, c.labels, v))
			}
		}
		if len(problems) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(strings.Join(problems, "\n"))
		}
	}
	if v, _ := second.sum("eddy_http_requests_total", `route="/api/v1/sessions"`, `method="GET"`); v < 1 {
		t.Errorf("GET /api/v1/sessions not counted by its route: %v", v)
	}
	for k := range second {
		if strings.HasPrefix(k, "eddy_http_requests_total{") && strings.Contains(k, noteID) {
			t.Errorf("a raw URL became a label: %s", k)
		}
	}

	// --log-format json: every line Eddy logged is a JSON object.
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if line == "" || strings.HasPrefix(line, "Eddy is running at") || strings.HasPrefix(line, "Open ") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec["msg"] == nil {
			t.Errorf("log line is not slog JSON: %q", line)
		}
	}
}

// TestSideListenAddr: a host-less address binds loopback; a named host
// is kept; a value that is not host:port is refused.
func TestSideListenAddr(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{":9464", "127.0.0.1:9464"},
		{"127.0.0.1:0", "127.0.0.1:0"},
		{"0.0.0.0:9464", "0.0.0.0:9464"},
		{"[::1]:9464", "[::1]:9464"},
		{"9464", ""},
	} {
		got, err := sideListenAddr("metrics-listen", c.in)
		if c.want == "" {
			if err == nil {
				t.Errorf("%q: accepted as %q", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// TestLogFormat: --log-format is text or json, and json writes slog JSON.
func TestLogFormat(t *testing.T) {
	for _, f := range []string{"text", "json", ""} {
		c := DefaultConfig()
		c.LogFormat = f
		if err := c.Validate(); err != nil {
			t.Errorf("--log-format %q refused: %v", f, err)
		}
	}
	c := DefaultConfig()
	c.LogFormat = "xml"
	if c.Validate() == nil {
		t.Error("--log-format xml accepted")
	}
	var buf bytes.Buffer
	newLogger(&buf, logJSON).With("note", "N1").Info("ran", "paragraph", "P1")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil || rec["note"] != "N1" || rec["paragraph"] != "P1" || rec["msg"] != "ran" {
		t.Fatalf("json log line %q: %v", buf.String(), err)
	}
	buf.Reset()
	newLogger(&buf, logText).Info("ran", "note", "N1")
	if !strings.Contains(buf.String(), "msg=ran note=N1") {
		t.Fatalf("text log line %q", buf.String())
	}
}
