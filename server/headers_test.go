package server

import (
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/eddy-notebooks/eddy/web"
)

// directives splits a Content-Security-Policy into its directives by name.
func directives(csp string) map[string]string {
	out := map[string]string{}
	for _, d := range strings.Split(csp, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name != "" {
			out[name] = value
		}
	}
	return out
}

// mustAppPolicy fails unless h carries the policy of Eddy's own responses
// with the given frame ancestors.
func mustAppPolicy(t *testing.T, h http.Header, frameAncestors string) {
	t.Helper()
	if got := h.Values("Content-Security-Policy"); len(got) != 1 {
		t.Fatalf("Content-Security-Policy headers = %q, want one", got)
	}
	d := directives(h.Get("Content-Security-Policy"))
	want := map[string]string{
		"default-src":     "'self'",
		"script-src":      "'self'",
		"object-src":      "'none'",
		"base-uri":        "'none'",
		"connect-src":     "'self'",
		"frame-ancestors": frameAncestors,
	}
	for name, value := range want {
		if d[name] != value {
			t.Errorf("%s = %q, want %q (policy %q)", name, d[name], value, h.Get("Content-Security-Policy"))
		}
	}
	// Nothing may admit inline or evaluated script, in any directive a
	// script could fall back to.
	for _, name := range []string{"default-src", "script-src"} {
		if strings.Contains(d[name], "unsafe") || strings.Contains(d[name], "data:") || strings.Contains(d[name], "*") {
			t.Errorf("%s admits more than this server: %q", name, d[name])
		}
	}
	if _, has := d["script-src-elem"]; has {
		t.Errorf("script-src-elem would override script-src: %q", h.Get("Content-Security-Policy"))
	}
	mustBaseHeaders(t, h)
}

// mustBaseHeaders fails unless h carries the headers every response gets.
func mustBaseHeaders(t *testing.T, h http.Header) {
	t.Helper()
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if got := h.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy = %q", got)
	}
}

func TestSecurityHeaders_EveryRouteClass(t *testing.T) {
	ts := MustOpenServer(t)
	noteID := ts.mustCreateNote(t, "headers", "%md hi")
	assets, _ := fs.ReadDir(web.Dist(), "assets")
	if len(assets) == 0 {
		t.Fatal("web/dist has no built assets: run npm run build")
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	request := func(t *testing.T, method, path string, bearer bool) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, ts.URL()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if bearer {
			req.Header.Set("Authorization", "Bearer "+testToken)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		return resp
	}

	for _, tc := range []struct {
		name, method, path string
		bearer             bool
		status             int
		contentType        string
	}{
		{"Index", "GET", "/", false, 200, "text/html"},
		{"SharedView", "GET", "/view/" + noteID, false, 200, "text/html"},
		{"DeepLink", "GET", "/notebook/" + noteID, false, 200, "text/html"},
		{"TokenRedirect", "GET", "/?token=" + testToken, false, 302, ""},
		{"StaticAsset", "GET", "/assets/" + assets[0].Name(), false, 200, ""},
		{"APIJSON", "GET", "/api/notebook/" + noteID, true, 200, "application/json"},
		{"Health", "GET", "/healthz", false, 200, "text/plain"},
		{"ErrUnauthorized", "GET", "/api/notebook", false, 401, "application/json"},
		{"ErrNotFoundAPI", "GET", "/api/notebook/NOSUCHNOTE", true, 404, "application/json"},
		{"ErrNoRoute", "GET", "/no/such/page", false, 404, "application/json"},
		{"ErrMethod", "DELETE", "/healthz", false, 405, "application/json"},
		{"ErrAssetNotFound", "GET", "/assets/nope.js", false, 404, "application/json"},
		{"ErrHeadNotRouted", "HEAD", "/", false, 405, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := request(t, tc.method, tc.path, tc.bearer)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), tc.contentType) {
				t.Errorf("Content-Type = %q, want %s", resp.Header.Get("Content-Type"), tc.contentType)
			}
			mustAppPolicy(t, resp.Header, "'self'")
			if got := resp.Header.Get("X-Frame-Options"); got != "SAMEORIGIN" {
				t.Errorf("X-Frame-Options = %q", got)
			}
		})
	}

	t.Run("Embed", func(t *testing.T) {
		// The embed view may be framed by the configured ancestors and
		// carries no X-Frame-Options, which would forbid what the policy
		// allows in older browsers.
		resp := request(t, "GET", EmbedPath+noteID+"/paragraph_1", false)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("embed view: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		mustAppPolicy(t, resp.Header, "'self'")
		if got := resp.Header.Values("X-Frame-Options"); len(got) != 0 {
			t.Errorf("X-Frame-Options = %q on the embed view", got)
		}
	})

	t.Run("FlinkUI", func(t *testing.T) {
		for _, path := range []string{"/flink", "/flink/", "/flink/jobs/overview", "/flink-app/app1", "/flink-app/app1/config"} {
			resp := request(t, "GET", path, true)
			mustBaseHeaders(t, resp.Header)
			d := directives(resp.Header.Get("Content-Security-Policy"))
			if _, has := d["script-src"]; has || d["frame-ancestors"] != "'self'" {
				t.Errorf("%s: Content-Security-Policy = %q, want Flink's scripts left alone, framing by Eddy only", path, resp.Header.Get("Content-Security-Policy"))
			}
		}
	})
}

func TestSecurityHeaders_FlinkUIThrough(t *testing.T) {
	jm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html>flink</html>")
	}))
	defer jm.Close()
	ts, _ := flinkUIServer(t, jm.URL)
	status, body, h := ts.flinkGet(t, "GET", "/flink/", "bearer")
	if status != http.StatusOK || body != "<html>flink</html>" {
		t.Fatalf("proxied page: %d %q", status, body)
	}
	mustBaseHeaders(t, h)
	if got := h.Values("X-Content-Type-Options"); len(got) != 1 {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
	if strings.Contains(h.Get("Content-Security-Policy"), "script-src") {
		t.Errorf("the Flink UI got a script policy: %q", h.Get("Content-Security-Policy"))
	}
}

func TestSecurityHeaders_FrameAncestors(t *testing.T) {
	serve := func(t *testing.T, list []string, path string) http.Header {
		t.Helper()
		s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		e := echo.New()
		e.Use(s.securityHeaders(list))
		e.GET("/*", func(c echo.Context) error { return c.HTML(http.StatusOK, "<p>app</p>") })
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Header()
	}

	t.Run("Configured", func(t *testing.T) {
		list := []string{"'self'", "https://wiki.example.com", "https://*.intranet.example:8443"}
		h := serve(t, list, "/embed/N1/p1")
		mustAppPolicy(t, h, "'self' https://wiki.example.com https://*.intranet.example:8443")
		// Every other page stays framed by Eddy only.
		h = serve(t, list, "/notebook/N1")
		mustAppPolicy(t, h, "'self'")
		if h.Get("X-Frame-Options") != "SAMEORIGIN" {
			t.Errorf("X-Frame-Options = %q", h.Get("X-Frame-Options"))
		}
	})
	t.Run("Default", func(t *testing.T) {
		mustAppPolicy(t, serve(t, nil, "/embed/N1/p1"), "'self'")
	})
	t.Run("InvalidFallsBack", func(t *testing.T) {
		// A list that would add a directive of its own is not used.
		mustAppPolicy(t, serve(t, []string{"https://a.example; script-src *"}, "/embed/N1/p1"), "'self'")
	})
}

func TestValidateFrameAncestors(t *testing.T) {
	for _, tc := range []struct {
		list []string
		ok   bool
	}{
		{nil, true},
		{[]string{"'self'"}, true},
		{[]string{"'none'"}, true},
		{[]string{"https:"}, true},
		{[]string{"'self'", "https://wiki.example.com", "http://localhost:3000", "*.example.com", "https://docs.example.com/embeds/"}, true},
		{[]string{"https://example.com:*"}, true},
		{[]string{"'none'", "'self'"}, false},
		{[]string{"self"}, false},
		{[]string{"'unsafe-inline'"}, false},
		{[]string{""}, false},
		{[]string{"https://a.example b.example"}, false},
		{[]string{"https://a.example;script-src *"}, false},
		{[]string{"https://a.example,https://b.example"}, false},
		{[]string{"https://a.example/'x"}, false},
		{[]string{"https://a.example\nX-Injected: 1"}, false},
	} {
		err := ValidateFrameAncestors(tc.list)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateFrameAncestors(%q) = %v, want ok %v", tc.list, err, tc.ok)
		}
	}
}

// lockedBuffer is a log destination the server's goroutines may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder // guarded by mu
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

// TestLogs_NoToken sends the token, and a wrong one, every way a client
// can (query parameter, Bearer header) to routes that succeed, fail and log
// (the Flink UI proxy to a JobManager that does not answer logs a warning
// with the path): neither appears in Eddy's log.
func TestLogs_NoToken(t *testing.T) {
	var logs lockedBuffer
	ts := MustOpenServer(t, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	const wrong = "wrong-token-9876543210"
	for _, tc := range []struct{ path, bearer string }{
		{"/?token=" + testToken, ""},
		{"/?token=" + wrong, ""},
		{"/notebook/ABC?token=" + testToken + "&x=1", ""},
		{"/api/notebook?token=" + testToken, ""},
		{"/api/notebook?token=" + wrong, ""},
		{"/api/v1/nope?token=" + testToken, ""},
		{"/api/notebook", wrong},
		{"/flink/jobs/overview?token=" + testToken, ""},
		{"/flink/jobs/overview", testToken},
		{"/ws?token=" + testToken, ""},
	} {
		req, err := http.NewRequest(http.MethodGet, ts.URL()+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.bearer != "" {
			req.Header.Set("Authorization", "Bearer "+tc.bearer)
		}
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
	}
	out := logs.String()
	if !strings.Contains(out, "jobmanager did not answer") {
		t.Fatalf("the proxy's failure was not logged, so the test saw no log line with a path:\n%s", out)
	}
	for _, secret := range []string{testToken, wrong} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds a token %q:\n%s", secret, out)
		}
	}
}
