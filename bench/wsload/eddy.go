package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Bounds of the child process.
const (
	// stopGrace is how long eddy gets to shut down after SIGTERM (its own
	// ordered shutdown is bounded by 30 s) before it is killed.
	stopGrace = 45 * time.Second
	// pipeWaitDelay bounds how long Wait keeps reading eddy's stderr after
	// eddy has exited (its Flink JVMs could hold the pipe open).
	pipeWaitDelay = 5 * time.Second
	// logTailLines bounds the stderr lines kept for an error report;
	// logNoteLines bounds the WARN and ERROR lines kept for the report.
	logTailLines = 40
	logNoteLines = 20
)

// eddyProc is a child `eddy serve` on a loopback port with its own data
// directory and token. Stop must be called once it has started.
type eddyProc struct {
	cmd     *exec.Cmd
	pid     int
	baseURL string // http://127.0.0.1:PORT
	token   string
	log     *logTail

	exited  chan struct{} // closed when Wait has returned
	waitErr error         // Wait's result; read after exited is closed
}

// urlLine matches the line eddy prints on stderr once it serves (with the
// token only when eddy made it up; here it is given).
var urlLine = regexp.MustCompile(`Eddy is running at (http://[^\s/]+)(/\?token=\S+)?`)

// startEddy starts `path serve` on 127.0.0.1:0 with dataDir and a random
// token, and returns once eddy has printed the URL it serves on (the local
// Flink cluster may still be starting; see waitClusterReady). On error
// nothing is left running. With gctrace eddy runs with GODEBUG=gctrace=1
// and logTail.gc reports its heap. A pprofAddr serves eddy's profiles.
func startEddy(ctx context.Context, path, dataDir string, gctrace bool, pprofAddr string) (*eddyProc, error) {
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	e := &eddyProc{token: hex.EncodeToString(tok), log: newLogTail(), exited: make(chan struct{})}
	e.cmd = exec.Command(path, "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--token", e.token)
	if pprofAddr != "" {
		e.cmd.Args = append(e.cmd.Args, "--pprof-listen", pprofAddr)
	}
	if gctrace {
		// One line per GC on stderr, with the live heap: it tells retained
		// memory from garbage waiting in the RSS.
		e.cmd.Env = append(os.Environ(), "GODEBUG=gctrace=1")
	}
	e.cmd.Stdout = e.log
	e.cmd.Stderr = e.log
	e.cmd.WaitDelay = pipeWaitDelay
	// Should this harness die without cleaning up, eddy is told to stop
	// (and stops its JVMs) rather than being left running.
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := e.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	e.pid = e.cmd.Process.Pid
	go func() {
		e.waitErr = e.cmd.Wait()
		close(e.exited)
	}()

	select {
	case m := <-e.log.url:
		u, err := url.Parse(m)
		if err == nil && !isLoopback(u.Host) {
			err = fmt.Errorf("eddy serves on %s, not on loopback", u.Host)
		}
		if err != nil {
			e.stop()
			return nil, err
		}
		e.baseURL = m
		return e, nil
	case <-e.exited:
		return nil, fmt.Errorf("eddy exited at start (%v):\n%s", e.waitErr, e.log.tail())
	case <-ctx.Done():
		e.stop()
		return nil, fmt.Errorf("waiting for eddy to serve: %w", ctx.Err())
	}
}

// stop sends SIGTERM, kills eddy if it has not exited after stopGrace, and
// always waits for it. It reports how eddy ended when that was not a clean
// exit.
func (e *eddyProc) stop() error {
	select {
	case <-e.exited:
		return fmt.Errorf("eddy had already exited: %v", e.waitErr)
	default:
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-e.exited:
		if e.waitErr != nil {
			return fmt.Errorf("eddy exited after SIGTERM with %v", e.waitErr)
		}
		return nil
	case <-time.After(stopGrace):
		_ = e.cmd.Process.Kill()
		<-e.exited
		return fmt.Errorf("eddy did not exit within %s of SIGTERM and was killed", stopGrace)
	}
}

// alive reports whether eddy is still running.
func (e *eddyProc) alive() bool {
	select {
	case <-e.exited:
		return false
	default:
		return true
	}
}

// logTail keeps the end of eddy's output, its WARN and ERROR lines, and
// spots the line announcing the URL. It is safe for concurrent use.
type logTail struct {
	url chan string // receives the base URL once

	mu      sync.Mutex // guards the fields below
	partial []byte     // an unterminated last line
	lines   []string   // the last logTailLines lines
	notes   []string   // the first logNoteLines WARN/ERROR lines
	warns   int        // WARN lines seen
	errs    int        // ERROR lines seen
	sawURL  bool
	gc      gcStat
}

// gcStat is what eddy's gctrace lines said so far.
type gcStat struct {
	count    int64 // GCs seen
	liveHeap int64 // bytes marked live by the last GC (MB resolution)
	goal     int64 // the heap goal it set (MB resolution)
}

// gcLine matches the heap figures of a gctrace line: "4->4->2 MB, 5 MB goal".
var gcLine = regexp.MustCompile(`^gc \d+ @.* (\d+)->(\d+)->(\d+) MB, (\d+) MB goal`)

func newLogTail() *logTail { return &logTail{url: make(chan string, 1)} }

// Write splits p into lines; it never fails.
func (l *logTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.line(string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	if len(l.partial) > 64<<10 { // a runaway line: keep its start only
		l.line(string(l.partial[:1024]) + "…")
		l.partial = nil
	}
	return len(p), nil
}

// line handles one complete line; the caller holds l.mu.
func (l *logTail) line(s string) {
	if m := gcLine.FindStringSubmatch(s); m != nil {
		live, _ := strconv.ParseInt(m[3], 10, 64)
		goal, _ := strconv.ParseInt(m[4], 10, 64)
		l.gc = gcStat{count: l.gc.count + 1, liveHeap: live << 20, goal: goal << 20}
		return
	}
	l.lines = append(l.lines, s)
	if len(l.lines) > logTailLines {
		l.lines = l.lines[len(l.lines)-logTailLines:]
	}
	switch {
	case strings.Contains(s, "level=ERROR"):
		l.errs++
	case strings.Contains(s, "level=WARN"):
		l.warns++
	default:
		if !l.sawURL {
			if m := urlLine.FindStringSubmatch(s); m != nil {
				l.sawURL = true
				l.url <- m[1]
			}
		}
		return
	}
	if len(l.notes) < logNoteLines {
		l.notes = append(l.notes, s)
	}
}

// tail returns the last lines, for an error message. The token is not in
// them: eddy prints it only in the URL line, which is masked.
func (l *logTail) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(l.lines))
	for i, s := range l.lines {
		out[i] = "  | " + urlLine.ReplaceAllString(s, "Eddy is running at $1")
	}
	return strings.Join(out, "\n")
}

// counts returns the WARN and ERROR lines seen so far and the first of them.
func (l *logTail) counts() (warns, errs int, first []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.warns, l.errs, append([]string(nil), l.notes...)
}

// gcStats returns what the gctrace lines said so far.
func (l *logTail) gcStats() gcStat {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gc
}

// isLoopback reports whether hostport names 127.0.0.1 (or ::1).
func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackDial dials only loopback addresses: this harness talks to the
// eddy it started and to nothing else.
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	if !isLoopback(addr) {
		return nil, errors.New("wsload dials loopback addresses only, not " + addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}
