package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// freeLoopbackAddr returns a loopback address with a port nobody listens
// on now, for eddy's --pprof-listen.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// profiler takes CPU profiles of eddy through its --pprof-listen address
// into a directory, one per part of a phase. A nil profiler takes none.
type profiler struct {
	addr string // eddy's --pprof-listen
	dir  string
	logf func(string, ...any)
	http *http.Client // loopback only
}

func newProfiler(addr, dir string, logf func(string, ...any)) *profiler {
	return &profiler{addr: addr, dir: dir, logf: logf,
		http: &http.Client{Transport: &http.Transport{DialContext: loopbackDial, Proxy: nil}}}
}

// cpu starts a CPU profile of eddy lasting d and returns a function that
// waits for it and writes it to dir/eddy-NAME.pprof (names are made
// file-safe). The wait may be called more than once. Failures are
// logged: a profile is an aid, not a result.
func (p *profiler) cpu(ctx context.Context, name string, d time.Duration) (wait func()) {
	if p == nil {
		return func() {}
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	done := make(chan struct{})
	go func() {
		defer close(done)
		path := filepath.Join(p.dir, "eddy-"+strings.NewReplacer(" ", "-", "(", "", ")", "", "+", "").Replace(name)+".pprof")
		if err := p.fetch(ctx, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), path); err != nil {
			p.logf("  profile %s: %v", name, err)
			return
		}
		p.logf("  eddy's CPU profile of %s (%ds): %s", name, secs, path)
	}()
	return func() { <-done }
}

func (p *profiler) fetch(ctx context.Context, path, file string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+p.addr+path, nil)
	if err != nil {
		return err
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s: %s %s", path, resp.Status, b)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
