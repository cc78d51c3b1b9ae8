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
	reqs    chan spawnReq
	done    chan struct{} // closed by close
	stopped chan struct{} // closed when the spawning goroutine has returned
}

type spawnReq struct {
	cmd *exec.Cmd
	err chan error
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnReq), done: make(chan struct{}), stopped: make(chan struct{})}
	go func() {
		defer close(s.stopped)
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

// close ends the spawner and waits for its goroutine to return. Its thread
// then exits, which sends every child still running the parent-death
// signal: stop the children first.
func (s *spawner) close() {
	close(s.done)
	<-s.stopped
}

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
	name string
	argv []string
	// argvFor, when set, gives the command line of each start instead of
	// argv: a restarted application JobManager resumes from its newest
	// checkpoint.
	argvFor func() []string
	env     []string
	logPath string // stdout and stderr of the JVM
	spawner *spawner
	log     *slog.Logger
	grace   time.Duration // from SIGTERM to SIGKILL; 0 means stopGrace

	ctx     context.Context // canceled by stop
	cancel  context.CancelFunc
	wg      sync.WaitGroup // the supervise goroutine
	stopErr error          // why stopping the child failed; written by supervise before wg.Done

	mu       sync.Mutex // guards the fields below
	cmd      *exec.Cmd  // the running child, nil between runs
	restarts int
	lastExit Exit // the last unexpected exit; zero if none
}

// Exit is an unexpected end of a supervised process.
type Exit struct {
	At     time.Time
	Reason string // as the wait status reads: "signal: killed", "exit status 1"
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
		stopped, err := p.runOnce()
		if stopped {
			p.stopErr = err
			return
		}
		if p.ctx.Err() != nil {
			return // it ended by itself just as stop was called
		}
		p.mu.Lock()
		p.restarts++
		p.lastExit = Exit{At: time.Now(), Reason: errText(err)}
		p.mu.Unlock()
		if time.Since(started) > stableAfter {
			backoff = minBackoff
		}
		p.log.Warn("local cluster process exited; restarting", "process", p.name, "err", err, "after", backoff, "log", p.logPath)
		select {
		case <-p.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// runOnce starts the child and waits until it exits or stop is called.
// stopped reports that stop ended the run; err is then the error of
// stopping the child (nil for a clean stop), else why the child ended.
func (p *process) runOnce() (stopped bool, err error) {
	out, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return false, err
	}
	defer out.Close()
	// Stdin is /dev/null: the JVMs read nothing, so there is no input to
	// close before signalling them.
	argv := p.argv
	if p.argvFor != nil {
		argv = p.argvFor()
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = out, out
	if err := p.spawner.start(p.ctx, cmd); err != nil {
		if p.ctx.Err() != nil {
			return true, nil // stopped before it started
		}
		return false, fmt.Errorf("start %s: %w", p.name, err)
	}
	p.mu.Lock()
	p.cmd = cmd
	p.mu.Unlock()

	// This goroutine ends once it has sent: both branches below receive.
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err = <-exited:
	case <-p.ctx.Done():
		stopped, err = true, p.terminate(cmd, exited)
	}
	p.mu.Lock()
	p.cmd = nil
	p.mu.Unlock()
	return stopped, err
}

// terminate stops a child's process group: SIGTERM, then SIGKILL after the
// grace period. It always reaps the child. A child that ends on SIGTERM
// stopped cleanly: that is no error; one that has to be killed, or exits
// with another status, is.
func (p *process) terminate(cmd *exec.Cmd, exited <-chan error) error {
	grace := p.grace
	if grace <= 0 {
		grace = stopGrace
	}
	pgid := cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		p.log.Warn("cannot signal a local cluster process", "process", p.name, "err", err)
	}
	select {
	case err := <-exited:
		if !stoppedCleanly(err) {
			return fmt.Errorf("%s exited badly on SIGTERM: %w", p.name, err)
		}
		return nil
	case <-time.After(grace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-exited
	return fmt.Errorf("%s did not stop within %s of SIGTERM and was killed", p.name, grace)
}

// stoppedCleanly reports whether a child's Wait error is what a stop asks
// for: exit status 0, death by SIGTERM, or the status 143 (128 + SIGTERM)
// with which a JVM exits after running its shutdown hooks on SIGTERM.
func stoppedCleanly(err error) bool {
	if err == nil {
		return true
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok {
		return false
	}
	return ws.Signaled() && ws.Signal() == syscall.SIGTERM ||
		ws.Exited() && ws.ExitStatus() == 128+int(syscall.SIGTERM)
}

// stop stops the child and the supervisor, waits for both and returns the
// error of stopping the child, if any.
func (p *process) stop() error {
	if p.cancel == nil {
		return nil // never run
	}
	p.cancel()
	p.wg.Wait()
	return p.stopErr
}

// restartCount returns how often the child was restarted.
func (p *process) restartCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// crashes returns how often the child was restarted and its last
// unexpected exit.
func (p *process) crashes() (int, Exit) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts, p.lastExit
}

func errText(err error) string {
	if err == nil {
		return "exited with status 0"
	}
	return err.Error()
}
