package server

import (
	"bufio"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/web"
)

func TestStatic_ServesTheApp(t *testing.T) {
	ts := MustOpenServer(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(t *testing.T, path string) (*http.Response, string) {
		t.Helper()
		resp, err := noRedirect.Get(ts.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	index, err := fs.ReadFile(web.Dist(), "index.html")
	if err != nil {
		t.Fatalf("web/dist is not built: %v", err)
	}

	for _, path := range []string{"/", "/notebook/2F2YS7PCE", "/notebook/2F2YS7PCE/paragraph/paragraph_1_2"} {
		t.Run("Index "+path, func(t *testing.T) {
			resp, body := get(t, path)
			want := strings.Replace(string(index), "<head>", `<head><meta name="eddy-csrf-cookie" content="`+ts.CSRFCookie()+`">`, 1)
			if resp.StatusCode != http.StatusOK || body != want {
				t.Fatalf("%s: %d, %d bytes", path, resp.StatusCode, len(body))
			}
			h := resp.Header
			if h.Get("Cache-Control") != "no-cache" || !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || h.Get("X-Frame-Options") != "SAMEORIGIN" {
				t.Errorf("headers: %v", h)
			}
		})
	}
	t.Run("Asset", func(t *testing.T) {
		assets, _ := fs.ReadDir(web.Dist(), "assets")
		if len(assets) == 0 {
			t.Fatal("no built assets")
		}
		name := assets[0].Name()
		resp, body := get(t, "/assets/"+name)
		want, _ := fs.ReadFile(web.Dist(), "assets/"+name)
		if resp.StatusCode != http.StatusOK || body != string(want) {
			t.Fatalf("asset %s: %d", name, resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("Cache-Control = %q", cc)
		}
	})
	t.Run("ErrAssetNotFound", func(t *testing.T) {
		for _, p := range []string{"/assets/nope.js", "/assets/../index.html", "/assets/"} {
			if resp, _ := get(t, p); resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: %d", p, resp.StatusCode)
			}
		}
	})
	t.Run("TokenOnDeepLink", func(t *testing.T) {
		resp, _ := get(t, "/notebook/ABC?token="+testToken+"&x=1")
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/notebook/ABC?x=1" {
			t.Fatalf("deep link with token: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		var names []string
		for _, c := range resp.Cookies() {
			names = append(names, c.Name)
		}
		if strings.Join(names, ",") != ts.SessionCookie()+","+ts.CSRFCookie() {
			t.Errorf("cookies = %v", names)
		}
		// The session cookie carries this instance's port and a random
		// browser-session id that Eddy knows, never the token.
		session := resp.Cookies()[0]
		if _, port, _ := strings.Cut(ts.Addr(), ":"); session.Name != "eddy_session_"+port || !session.HttpOnly ||
			strings.Contains(session.Value, testToken) || !ts.knownSession(session.Value) {
			t.Fatalf("session cookie %+v", session)
		}
		// One character changed: the first, since the last of 32 bytes in
		// base64 is one of only 16 (a fixed replacement is it 1 time in 16).
		other := "A"
		if session.Value[0] == 'A' {
			other = "B"
		}
		forged := []string{other + session.Value[1:], "0123456789abcdef0123456789abcdef", testToken}
		for _, v := range forged {
			req, _ := http.NewRequest(http.MethodGet, "http://"+ts.Addr()+"/api/notebook", nil)
			req.AddCookie(&http.Cookie{Name: session.Name, Value: v})
			if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusUnauthorized {
				t.Fatalf("forged session %q (of %q): %v %v", v, session.Value, r.StatusCode, err)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, "http://"+ts.Addr()+"/api/notebook", nil)
		req.AddCookie(session)
		if r, err := http.DefaultClient.Do(req); err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("the session cookie: %v %v", r.StatusCode, err)
		}
		// The page names this instance's CSRF cookie for the app.
		if _, body := get(t, "/"); !strings.Contains(body, `<meta name="eddy-csrf-cookie" content="`+ts.CSRFCookie()+`">`) {
			t.Fatal("the page does not name its CSRF cookie")
		}
		if resp, _ := get(t, "/notebook/ABC?token=wrong"); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("wrong token: %d", resp.StatusCode)
		}
	})
}

// TestServer_IdleConnectionsClose: a keep-alive connection left idle is
// closed by the server after IdleTimeout (3,000 idle connections once
// stayed open for ever).
func TestServer_IdleConnectionsClose(t *testing.T) {
	ts := MustOpenServer(t, func(c *Config) { c.IdleTimeout = 300 * time.Millisecond })
	conn, err := net.Dial("tcp", ts.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: " + ts.Addr() + "\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("idle connection: read %v, want EOF (closed by the server)", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("closed after %s", d)
	}
}
