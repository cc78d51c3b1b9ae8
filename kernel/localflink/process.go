package localflink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// spawner starts child processes from one OS thread that never exits.
//
// Children get a parent-death signal (SIGKILL) so no JVM outlives Eddy, even
// when Eddy itself is SIGKILLed. Linux sends that signal when the *thread*
// that forked the child ends, not the process; Go may retire threads, so all
// forks happen on a goroutine locked to its thread for the spawner's life.
type spawner struct {
	reqs chan spawnReq
	done chan struct{}
}

type spawnReq struct {
	cmd *exec.Cmd
	err chan error
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnReq), done: make(chan struct{})}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		for {
			select {
			case r := <-s.reqs:
				r.err <- r.cmd.Start()
			case <-s.done:
				return
			}
		}
	}()
	return s
}

// start starts cmd in its own process group with a parent-death signal.
func (s *spawner) start(ctx context.Context, cmd *exec.Cmd) error {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	r := spawnReq{cmd: cmd, err: make(chan error, 1)}
	select {
	case s.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errors.New("spawner closed")
	}
	return <-r.err
}

// close ends the spawner; children started from it keep running until
// stopped or until this process exits.
func (s *spawner) close() { close(s.done) }

// Backoff bounds for restarting a crashed process. A process that ran for
// stableAfter resets the backoff.
const (
	minBackoff  = 500 * time.Millisecond
	maxBackoff  = 30 * time.Second
	stableAfter = time.Minute
	stopGrace   = 10 * time.Second // SIGTERM, then SIGKILL after this
)

// process supervises one JVM: it starts it, restarts it with backoff when it
// exits unexpectedly, and stops it on request.
type process struct {
	name    string
	argv    []string
	env     []string
	logPath string // stdout and stderr of the JVM
	spawner *spawner
	log     *slog.Logger

	ctx    context.Context // canceled by stop
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex // guards the fields below
	cmd      *exec.Cmd  // the running child, nil between runs
	restarts int
	lastErr  error
}

func (p *process) run() {
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.wg.Add(1)
	go p.supervise()
}

// supervise runs the child until stop, restarting it after a crash.
func (p *process) supervise() {
	defer p.wg.Done()
	backoff := minBackoff
	for {
		started := time.Now()
		err := p.runOnce()
		if p.ctx.Err() != nil {
			return
		}
		p.mu.Lock()
		p.lastErr = err
		p.restarts++
		p.mu.Unlock()
		if time.Since(started) > stableAfter {
			backoff = minBackoff
		}
		p.log.Warn("flink process exited; restarting", "process", p.name, "err", err, "after", backoff, "log", p.logPath)
		select {
		case <-p.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// runOnce starts the child and waits for it to exit or for stop.
func (p *process) runOnce() error {
	out, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	cmd := exec.Command(p.argv[0], p.argv[1:]...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = out, out
	if err := p.spawner.start(p.ctx, cmd); err != nil {
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.mu.Lock()
	p.cmd = cmd
	p.mu.Unlock()

	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-p.ctx.Done():
		err = terminate(cmd, exited)
	}
	p.mu.Lock()
	p.cmd = nil
	p.mu.Unlock()
	return err
}

// terminate stops a child's process group: SIGTERM, then SIGKILL after the
// grace period. It always reaps the child.
func terminate(cmd *exec.Cmd, exited <-chan error) error {
	pgid := cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case err := <-exited:
		return err
	case <-time.After(stopGrace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return <-exited
}

// stop stops the child and the supervisor and waits for both.
func (p *process) stop() {
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
}

// pid returns the running child's pid, or 0 between runs.
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// restartCount returns how often the child was restarted.
func (p *process) restartCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}
