package sessions_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/notebooks"
	"github.com/eddy-notebooks/eddy/sessions"
)

// TestManager_PythonWorkerKilledAndStopped: a Python paragraph's worker
// belongs to its session. Killed (kill -9) mid-paragraph, the paragraph
// ends in ERROR, the job KPU it held is released and the session keeps
// its 2; the next run starts a new worker; stopping the session ends the
// worker and its JVM.
func TestManager_PythonWorkerKilledAndStopped(t *testing.T) {
	f := newFixture(t, sessions.Config{KPUCapacity: 8})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	n := f.note("Python", "%flink.pyflink\nimport time\nprint('sleeping', flush=True)\ntime.sleep(600)", "%flink.pyflink\nprint(6 * 7)")
	done, err := f.m.Run(ctx, n.ID, n.Paragraphs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for {
		live, _ := f.m.Live(n.ID, n.Paragraphs[0].ID)
		if info := f.m.SessionState(n.ID); info != nil && info.KPUs == 3 && len(live.Messages) > 0 && strings.Contains(live.Messages[0].Data, "sleeping") {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the paragraph never ran in a worker: %+v", f.m.SessionState(n.ID))
		}
		time.Sleep(100 * time.Millisecond)
	}
	worker := workerPID(t, n.ID)
	if err := syscall.Kill(worker, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	p, _ := f.store.FindParagraph(ctx, n.ID, n.Paragraphs[0].ID)
	if p.Status != notebooks.StatusError || !strings.Contains(p.ErrorMessage, "Python worker ended") {
		t.Fatalf("after kill -9: %s %q", p.Status, p.ErrorMessage)
	}
	if info := f.m.SessionState(n.ID); info == nil || info.KPUs != 2 || f.m.Capacity().InUse != 2 {
		t.Fatalf("after the crash: session %+v, in use %d; want 2 KPUs", info, f.m.Capacity().InUse)
	}
	done, err = f.m.Run(ctx, n.ID, n.Paragraphs[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	<-done
	p, _ = f.store.FindParagraph(ctx, n.ID, n.Paragraphs[1].ID)
	if p.Status != notebooks.StatusFinished || strings.TrimSpace(p.Results.Msg[0].Data) != "42" {
		t.Fatalf("the next run: %s %q %+v", p.Status, p.ErrorMessage, p.Results)
	}
	next := workerPID(t, n.ID)
	if next == 0 || next == worker {
		t.Fatalf("worker %d after the crash, was %d", next, worker)
	}
	group := processGroup(next)
	if _, err := f.m.Stop(ctx, f.m.SessionState(n.ID).ID); err != nil {
		t.Fatal(err)
	}
	for _, pid := range group {
		for alive(pid) {
			if ctx.Err() != nil {
				t.Fatalf("process %d of the worker outlived its session", pid)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	if f.m.Capacity().InUse != 0 {
		t.Fatalf("in use %d after stop", f.m.Capacity().InUse)
	}
}

// workerPID returns the process id of the note's Python worker, 0 if none.
func workerPID(t *testing.T, noteID string) int {
	t.Helper()
	for _, pid := range processes() {
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if strings.Contains(string(cmd), "/"+noteID+"/eddy_worker.py") && alive(pid) {
			return pid
		}
	}
	return 0
}

func processes() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// processGroup returns the processes of the group led by pid.
func processGroup(pid int) []int {
	var out []int
	for _, p := range processes() {
		if g, err := syscall.Getpgid(p); err == nil && g == pid {
			out = append(out, p)
		}
	}
	return out
}

// alive reports whether pid runs (a zombie awaiting its parent does not).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return err == nil && !strings.Contains(string(stat), ") Z ")
}
