package server

import (
	"net/http"
	"strings"
	"testing"
)

// The embed view's frame ancestors come from the server's configuration,
// and New refuses a list that is not one.
func TestConfig_FrameAncestors(t *testing.T) {
	ts := MustOpenServer(t, func(c *Config) { c.FrameAncestors = []string{"https://dash.example.com"} })
	resp, err := http.Get(ts.URL() + "/embed/N1/p1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://dash.example.com") {
		t.Fatalf("embed CSP %q", csp)
	}
	cfg := ts.cfg
	cfg.FrameAncestors = []string{"https://a.example; script-src *"}
	if _, err := New(cfg); err == nil {
		t.Fatal("New took a frame-ancestors list that adds a directive")
	}
}
