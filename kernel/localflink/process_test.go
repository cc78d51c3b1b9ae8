package localflink

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// mustRun starts a supervised shell script and waits until it runs, and
// until it has said "ready" when it says so (after installing its traps: a
// signal sent before would meet the shell's default).
func mustRun(t *testing.T, s *spawner, script string) *process {
	t.Helper()
	p := &process{
		name:    "test",
		argv:    []string{"/bin/sh", "-c", script},
		logPath: filepath.Join(t.TempDir(), "test.out"),
		spawner: s,
		log:     slog.Default(),
		grace:   500 * time.Millisecond,
	}
	p.run()
	t.Cleanup(func() { p.stop() })
	for deadline := time.Now().Add(10 * time.Second); p.pidOf() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the process did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for deadline := time.Now().Add(10 * time.Second); strings.Contains(script, "echo ready"); {
		if out, _ := os.ReadFile(p.logPath); strings.Contains(string(out), "ready") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the script did not say ready")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return p
}

func TestProcess_Stop(t *testing.T) {
	s := newSpawner()
	defer s.close()
	// The loops run sleep in the foreground, so a trap runs within 0.1 s.
	tests := []struct {
		name, script string
		err          string // "" for a clean stop
	}{
		{"DiesOnSIGTERM", "exec sleep 1000", ""},
		{"ExitsWith143", `trap "exit 143" TERM; echo ready; while :; do sleep 0.1; done`, ""},
		{"ExitsWith0", `trap "exit 0" TERM; echo ready; while :; do sleep 0.1; done`, ""},
		{"ExitsBadly", `trap "exit 3" TERM; echo ready; while :; do sleep 0.1; done`, "exited badly on SIGTERM: exit status 3"},
		{"IgnoresSIGTERM", `trap "" TERM; echo ready; while :; do sleep 0.1; done`, "did not stop within 500ms of SIGTERM and was killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustRun(t, s, tt.script)
			err := p.stop()
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("stop: %v, want nil", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("stop: %v, want an error with %q", err, tt.err)
			}
			if pid := p.pidOf(); pid != 0 {
				t.Fatalf("child %d still recorded after stop", pid)
			}
		})
	}
}

// TestProcess_RestartsAndStops: a child that keeps exiting is restarted,
// its last exit is recorded, and stopping it between runs is no error.
func TestProcess_RestartsAndStops(t *testing.T) {
	s := newSpawner()
	defer s.close()
	p := mustRun(t, s, "sleep 0.05; exit 1")
	for deadline := time.Now().Add(10 * time.Second); p.restartCount() < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("restarts = %d, want 2", p.restartCount())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n, last := p.crashes(); n < 2 || last.Reason != "exit status 1" || time.Since(last.At) > 10*time.Second {
		t.Fatalf("crashes = %d, %+v; want 2 or more, the last with exit status 1", n, last)
	}
	if err := p.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// TestCluster_Close stops every process, returns the first error of
// stopping them in role order, and leaves no goroutine of the cluster.
func TestCluster_Close(t *testing.T) {
	s := newSpawner()
	c := &Cluster{cfg: Config{Logger: slog.Default()}, spawner: s, procs: map[string]*process{
		SQLGateway:  mustRun(t, s, "exec sleep 1000"),
		TaskManager: mustRun(t, s, `trap "exit 3" TERM; echo ready; while :; do sleep 0.1; done`),
		JobManager:  mustRun(t, s, `trap "" TERM; echo ready; while :; do sleep 0.1; done`),
	}}
	err := c.Close()
	if err == nil || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("Close() = %v, want the TaskManager's error first", err)
	}
	for role, p := range c.procs {
		if pid := p.pidOf(); pid != 0 {
			t.Errorf("%s %d still running", role, pid)
		}
	}
	select {
	case <-s.stopped:
	default:
		t.Error("the spawner goroutine is still running")
	}
	if again := c.Close(); again != err {
		t.Errorf("second Close() = %v, want %v", again, err)
	}
}
