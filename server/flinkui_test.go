package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

// movableCluster is a ready cluster whose JobManager address a test can
// change, as a local cluster's changes when it comes up on other ports.
type movableCluster struct {
	fakeCluster
	mu  sync.Mutex
	url string // guarded by mu
}

func (c *movableCluster) JobManagerURL() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.url
}

func (c *movableCluster) moveTo(url string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.url = url
}

// flinkUIServer is a test server whose Flink web UI proxy goes to url.
func flinkUIServer(t *testing.T, url string) (*testServer, *movableCluster) {
	cluster := &movableCluster{url: url}
	return MustOpenServer(t, func(c *Config) { c.Cluster = cluster }), cluster
}

// flinkGet sends a request to the proxy with the given credential: "cookie"
// (a valid browser session, and its CSRF header for writes), "bearer",
// "token" (the query parameter), "bad-cookie" or "" for none. It returns the
// status and the body.
func (ts *testServer) flinkGet(t *testing.T, method, path, cred string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	switch cred {
	case "cookie":
		req.AddCookie(&http.Cookie{Name: ts.SessionCookie(), Value: ts.NewBrowserSession()})
		req.AddCookie(&http.Cookie{Name: ts.CSRFCookie(), Value: "csrf-value"})
		req.Header.Set(CSRFHeader, "csrf-value")
	case "bad-cookie":
		req.AddCookie(&http.Cookie{Name: ts.SessionCookie(), Value: strings.Repeat("a", 32) + ".forged"})
	case "bearer":
		req.Header.Set("Authorization", "Bearer "+testToken)
	case "token":
		q := req.URL.Query()
		q.Set("token", testToken)
		req.URL.RawQuery = q.Encode()
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body), resp.Header
}

func TestFlinkUI_RealJobManager(t *testing.T) {
	ep := flinktest.Cluster(t)
	ts, _ := flinkUIServer(t, ep.JobManager.URL())

	t.Run("OK", func(t *testing.T) {
		status, body, _ := ts.flinkGet(t, http.MethodGet, "/flink/config", "cookie")
		var cfg struct {
			FlinkVersion string `json:"flink-version"`
		}
		if status != http.StatusOK || json.Unmarshal([]byte(body), &cfg) != nil || cfg.FlinkVersion == "" {
			t.Fatalf("GET /flink/config with the session cookie: %d %.300s", status, body)
		}
		for _, cred := range []string{"cookie", "bearer", "token"} {
			status, body, _ := ts.flinkGet(t, http.MethodGet, "/flink/jobs/overview", cred)
			var ov struct {
				Jobs []json.RawMessage `json:"jobs"`
			}
			if status != http.StatusOK || json.Unmarshal([]byte(body), &ov) != nil || ov.Jobs == nil {
				t.Fatalf("GET /flink/jobs/overview with %s: %d %.300s", cred, status, body)
			}
		}
		// The dashboard itself, whose requests are relative to /flink/.
		status, body, hdr := ts.flinkGet(t, http.MethodGet, "/flink/", "cookie")
		if status != http.StatusOK || !strings.Contains(body, "Apache Flink Web Dashboard") || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
			t.Fatalf("GET /flink/: %d %s %.300s", status, hdr.Get("Content-Type"), body)
		}
		status, _, hdr = ts.flinkGet(t, http.MethodGet, "/flink", "cookie")
		if status != http.StatusFound || hdr.Get("Location") != "/flink/" {
			t.Fatalf("GET /flink: %d to %q, want 302 to /flink/", status, hdr.Get("Location"))
		}
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		for _, cred := range []string{"", "bad-cookie"} {
			for _, path := range []string{"/flink/config", "/flink/jobs/overview", "/flink/"} {
				status, body, _ := ts.flinkGet(t, http.MethodGet, path, cred)
				if status != http.StatusUnauthorized || strings.Contains(body, "flink-version") || strings.Contains(body, "Dashboard") {
					t.Fatalf("GET %s with credential %q: %d %.200s, want 401", path, cred, status, body)
				}
			}
		}
	})

	t.Run("ErrForbiddenWrites", func(t *testing.T) {
		for _, method := range []string{http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete} {
			for _, cred := range []string{"cookie", "bearer"} {
				status, body, _ := ts.flinkGet(t, method, "/flink/jobs/00000000000000000000000000000000", cred)
				if status != http.StatusForbidden || !strings.Contains(body, "read-only") {
					t.Fatalf("%s through the proxy with %s: %d %.200s, want 403 read-only", method, cred, status, body)
				}
			}
		}
	})
}

// TestFlinkUI_FollowsTheJobManager checks that the proxy asks for the
// JobManager's address at every request (a restarted local cluster has new
// ports, a remote one another host), and what it forwards: the path below
// /flink/ and the query, without Eddy's credentials.
func TestFlinkUI_FollowsTheJobManager(t *testing.T) {
	type seen struct {
		path, rawPath, query, auth, cookie, csrf string
	}
	var mu sync.Mutex
	var got []seen
	jobManager := func(name string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			got = append(got, seen{r.URL.Path, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Get("Authorization"), r.Header.Get("Cookie"), r.Header.Get(CSRFHeader)})
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"jobmanager":"`+name+`"}`)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	before, after := jobManager("before"), jobManager("after")
	ts, cluster := flinkUIServer(t, before.URL)

	status, body, _ := ts.flinkGet(t, http.MethodGet, "/flink/jobs/overview", "bearer")
	if status != http.StatusOK || body != `{"jobmanager":"before"}` {
		t.Fatalf("before the move: %d %s", status, body)
	}
	cluster.moveTo(after.URL)
	for _, cred := range []string{"bearer", "cookie", "token"} {
		status, body, _ = ts.flinkGet(t, http.MethodGet, "/flink/jobs/abc/vertices?x=1", cred)
		if status != http.StatusOK || body != `{"jobmanager":"after"}` {
			t.Fatalf("after the move, with %s: %d %s", cred, status, body)
		}
	}

	// An escaped path goes as it came.
	status, body, _ = ts.flinkGet(t, http.MethodGet, "/flink/taskmanagers/127.0.0.1%3A6121-a%2Fb/logs", "bearer")
	if status != http.StatusOK || body != `{"jobmanager":"after"}` {
		t.Fatalf("an escaped path: %d %s", status, body)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(got) != 5 {
		t.Fatalf("the JobManagers saw %d requests, want 5: %+v", len(got), got)
	}
	if last := got[4]; last.rawPath != "/taskmanagers/127.0.0.1%3A6121-a%2Fb/logs" {
		t.Errorf("forwarded escaped path %q", last.rawPath)
	}
	if got[0].path != "/jobs/overview" {
		t.Errorf("forwarded path %q, want /jobs/overview", got[0].path)
	}
	for _, s := range got[1:4] {
		if s.path != "/jobs/abc/vertices" || s.query != "x=1" {
			t.Errorf("forwarded %s?%s, want /jobs/abc/vertices?x=1 (without the token)", s.path, s.query)
		}
	}
	for _, s := range got {
		if s.auth != "" || s.cookie != "" || s.csrf != "" {
			t.Errorf("Eddy's credentials reached the JobManager: Authorization %q, Cookie %q, %s %q", s.auth, s.cookie, CSRFHeader, s.csrf)
		}
	}
}

func TestFlinkUI_ErrUnavailable(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	ts, cluster := flinkUIServer(t, gone.URL)
	status, body, _ := ts.flinkGet(t, http.MethodGet, "/flink/config", "bearer")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "did not answer") {
		t.Fatalf("JobManager gone: %d %.300s, want 503", status, body)
	}
	cluster.moveTo("")
	status, body, _ = ts.flinkGet(t, http.MethodGet, "/flink/config", "bearer")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "no Flink JobManager") {
		t.Fatalf("no JobManager: %d %.300s, want 503", status, body)
	}
}

// appClusters stands in for the applications: only the JobManager of each
// application's own cluster is asked ("" for one that is not running).
type appClusters struct {
	Applications // nil: nothing else is called
	urls         map[string]string
}

func (a appClusters) JobManagerURL(id string) (string, error) {
	u, ok := a.urls[id]
	switch {
	case !ok:
		return "", eddy.Errorf(eddy.ENOTFOUND, "No such application: %s", id)
	case u == "":
		return "", eddy.Errorf(eddy.EUNAVAILABLE, "application %s is not running: its Flink web UI is gone", id)
	}
	return u, nil
}

func TestFlinkUI_ApplicationCluster(t *testing.T) {
	ep := flinktest.Cluster(t)
	apps := appClusters{urls: map[string]string{"app1": ep.JobManager.URL(), "stopped": ""}}
	ts := MustOpenServer(t, func(c *Config) { c.Applications = apps })

	t.Run("OK", func(t *testing.T) {
		status, body, _ := ts.flinkGet(t, http.MethodGet, "/flink-app/app1/config", "cookie")
		if status != http.StatusOK || !strings.Contains(body, `"flink-version"`) {
			t.Fatalf("GET /flink-app/app1/config: %d %.300s", status, body)
		}
		status, body, _ = ts.flinkGet(t, http.MethodGet, "/flink-app/app1/", "cookie")
		if status != http.StatusOK || !strings.Contains(body, "Apache Flink Web Dashboard") {
			t.Fatalf("GET /flink-app/app1/: %d %.300s", status, body)
		}
		status, _, hdr := ts.flinkGet(t, http.MethodGet, "/flink-app/app1", "cookie")
		if status != http.StatusFound || hdr.Get("Location") != "/flink-app/app1/" {
			t.Fatalf("GET /flink-app/app1: %d to %q", status, hdr.Get("Location"))
		}
	})
	t.Run("Errors", func(t *testing.T) {
		for _, c := range []struct {
			method, path, cred string
			status             int
			says               string
		}{
			{http.MethodGet, "/flink-app/app1/config", "", http.StatusUnauthorized, "authentication required"},
			{http.MethodPatch, "/flink-app/app1/jobs/00000000000000000000000000000000", "cookie", http.StatusForbidden, "read-only"},
			{http.MethodGet, "/flink-app/nope/config", "cookie", http.StatusNotFound, "No such application: nope"},
			{http.MethodGet, "/flink-app/stopped/config", "cookie", http.StatusServiceUnavailable, "not running"},
		} {
			status, body, _ := ts.flinkGet(t, c.method, c.path, c.cred)
			if status != c.status || !strings.Contains(body, c.says) {
				t.Errorf("%s %s (%q): %d %.200s, want %d saying %q", c.method, c.path, c.cred, status, body, c.status, c.says)
			}
		}
	})
}
