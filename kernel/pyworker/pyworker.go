// Package pyworker runs a note's Python paragraphs in a Python process of
// their own: PyFlink, its client JVM, and worker.py, which speaks to Eddy
// in JSON lines over two pipes (requests on the worker's file descriptor 3,
// events on 4). docs/python.md documents the protocol.
package pyworker

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/eddy-notebooks/eddy"
)

//go:embed worker.py
var script []byte

// Config says how to start workers. The zero value of each optional field
// has a default.
type Config struct {
	// Python is an interpreter with apache-flink installed, the same Flink
	// version as the cluster's.
	Python string
	// Dir is the worker's directory: its script, settings, log, and the
	// modules of Python functions shared with SQL (Modules).
	Dir string
	// ConfFile is the cluster's config.yaml, read first when set (local
	// mode: the worker then uses the very catalog store, time zone and
	// Python settings the cluster does).
	ConfFile string
	// Conf are Flink options set on top: the JobManager's address above
	// all (rest.address, rest.port, execution.target).
	Conf map[string]string
	// Classpath are jars the client JVM needs beside Flink's own: Eddy's
	// catalog jar (which also reads results for the worker) and the
	// connectors.
	Classpath []string
	// Jars, when set, adds jars to Classpath at each start: connectors
	// that can change while Eddy runs.
	Jars func() []string
	// Heap is the client JVM's -Xmx; default 384m.
	Heap string
	// ModuleTag names the modules of shared functions ("eddy_udfs_<tag>_…").
	ModuleTag string
	// StartTimeout bounds the start (JVM launch and table environment);
	// default 2 minutes.
	StartTimeout time.Duration
	Logger       *slog.Logger
}

// Modules is the directory of the modules of Python functions shared with
// SQL paragraphs.
func (c Config) Modules() string { return filepath.Join(c.Dir, "modules") }

// Ready is what a worker says of itself once started.
type Ready struct {
	Python  string `json:"python"`
	PyFlink string `json:"pyflink"`
	JVMMs   int    `json:"jvmMs"`   // launching the client JVM
	StartMs int    `json:"startMs"` // the whole start, JVM and table environment
	PID     int    `json:"pid"`
}

// Column is a column of a table a paragraph shows.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Zone string `json:"zone,omitempty"`
}

// Error is a failed paragraph's Python error.
type Error struct {
	Type      string `json:"type"`
	Message   string `json:"message"`
	Traceback string `json:"traceback"`
	// Line is the line in the paragraph's code (1-based) where it failed,
	// 0 when the error is not in the code.
	Line int `json:"line"`
}

// Function is a Python function a paragraph registered.
type Function struct {
	Name   string `json:"name"`
	System bool   `json:"system"` // a temporary system function, else a temporary catalog function
	Kind   string `json:"kind"`   // "scalar", "table" or "aggregate"
}

// Functions are the Python functions registered so far, saved as a module
// (Module, in Dir) that the SQL Gateway can import.
type Functions struct {
	Module    string     `json:"module"`
	Dir       string     `json:"dir"`
	Functions []Function `json:"functions"`
}

// Event is one thing a worker tells about the paragraph it runs.
type Event struct {
	Ev string `json:"ev"` // stdout, stderr, display, table, rows, tableEnd, job, form, done
	ID int64  `json:"id"`
	// stdout, stderr
	Text string `json:"text,omitempty"`
	// display: Type "TEXT" or "HTML"
	Type string `json:"type,omitempty"`
	Data string `json:"data,omitempty"`
	// table, rows, tableEnd
	Table    int               `json:"table,omitempty"`
	Columns  []Column          `json:"columns,omitempty"`
	Mode     string            `json:"mode,omitempty"`
	Template string            `json:"template,omitempty"`
	Props    map[string]string `json:"props,omitempty"`
	// Rows are changelog rows: the row kind's short string ("+I", "-U",
	// "+U", "-D"), then the fields as Flink prints them (nil for NULL).
	Rows [][]any `json:"rows,omitempty"`
	// job
	JobID string `json:"jobId,omitempty"`
	// form: a dynamic form the paragraph shows (z.input, z.select…), in
	// Zeppelin's settings.forms shape.
	Form json.RawMessage `json:"form,omitempty"`
	// done
	OK        bool       `json:"ok,omitempty"`
	Error     *Error     `json:"error,omitempty"`
	Functions *Functions `json:"functions,omitempty"`
	// completion
	Items []Completion `json:"items,omitempty"`
}

// Run is a paragraph to run.
type Run struct {
	Code string `json:"code"`
	// Mode is "pyflink" (code runs as Zeppelin's %flink.pyflink does) or
	// "ipyflink" (in IPython).
	Mode string `json:"mode"`
	// JobName names the paragraph's Flink jobs (pipeline.name).
	JobName string `json:"jobName"`
	// Conf are Flink options for this paragraph (parallelism.default…).
	Conf map[string]string `json:"conf,omitempty"`
	// Params are the values chosen in the paragraph's forms, by name:
	// what z.input, z.select and z.checkbox return.
	Params map[string]any `json:"params,omitempty"`
}

// Completion is a completion candidate.
type Completion struct {
	Label string `json:"label"`
	Type  string `json:"type"`
}

// Worker is a running worker. Its methods are safe for concurrent use; it
// runs one paragraph at a time.
type Worker struct {
	cfg   Config
	log   *slog.Logger
	cmd   *exec.Cmd
	req   *os.File // the worker's fd 3, written by Eddy
	ready Ready

	exited  chan struct{}
	exitErr error // why the process ended, set before exited closes

	runMu sync.Mutex // one paragraph at a time

	mu      sync.Mutex // guards the fields below and writes to req
	nextID  int64
	waiters map[int64]chan Event
}

// ErrExited says that the worker process has ended.
var ErrExited = errors.New("the Python worker has exited")

// Start starts a worker and waits until it is ready.
func Start(ctx context.Context, cfg Config) (*Worker, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Heap == "" {
		cfg.Heap = "384m"
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 2 * time.Minute
	}
	if cfg.Jars != nil {
		cfg.Classpath = append(slices.Clone(cfg.Classpath), cfg.Jars()...)
	}
	if cfg.Python == "" {
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "Python paragraphs need a Python with PyFlink: run 'make python' (or pass --python)")
	}
	if _, err := os.Stat(cfg.Python); err != nil {
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "Python paragraphs need a Python with PyFlink, and %s is not there: run 'make python' (or pass --python)", cfg.Python)
	}
	if err := os.MkdirAll(cfg.Modules(), 0o755); err != nil {
		return nil, err
	}
	scriptPath := filepath.Join(cfg.Dir, "eddy_worker.py")
	if err := writeIfChanged(scriptPath, script); err != nil {
		return nil, err
	}
	settings, err := json.Marshal(map[string]any{"confFile": cfg.ConfFile, "conf": cfg.Conf,
		"moduleDir": cfg.Modules(), "moduleTag": cfg.ModuleTag})
	if err != nil {
		return nil, err
	}
	settingsPath := filepath.Join(cfg.Dir, "settings.json")
	if err := os.WriteFile(settingsPath, settings, 0o600); err != nil {
		return nil, err
	}
	logFile, err := os.OpenFile(filepath.Join(cfg.Dir, "worker.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own copy
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, err
	}
	cmd := exec.Command(cfg.Python, "-u", scriptPath, settingsPath)
	cmd.Dir = cfg.Dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.ExtraFiles = []*os.File{reqR, evW} // fds 3 and 4
	// Its own process group, so that ending the worker ends the client JVM
	// PyFlink launched as its child too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(),
		"JVM_ARGS=-Xmx"+cfg.Heap,
		"FLINK_LOG_DIR="+filepath.Join(cfg.Dir, "log"),
		// PyFlink adds HADOOP_CLASSPATH to its client JVM's classpath.
		"HADOOP_CLASSPATH="+strings.Join(cfg.Classpath, string(os.PathListSeparator)),
		"PYTHONUNBUFFERED=1",
		"PYTHONDONTWRITEBYTECODE=1",
	)
	if err := cmd.Start(); err != nil {
		reqR.Close()
		reqW.Close()
		evR.Close()
		evW.Close()
		return nil, eddy.Wrap(eddy.EUNAVAILABLE, err, "cannot start the Python worker")
	}
	reqR.Close()
	evW.Close()
	w := &Worker{cfg: cfg, log: cfg.Logger, cmd: cmd, req: reqW, exited: make(chan struct{}),
		waiters: map[int64]chan Event{}}
	readyCh := make(chan Event, 1)
	go w.read(evR, readyCh)
	go func() {
		err := cmd.Wait()
		// The client JVM and anything else the worker started go with it.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		w.mu.Lock()
		w.exitErr = exitReason(err)
		w.mu.Unlock()
		close(w.exited)
	}()
	timer := time.NewTimer(cfg.StartTimeout)
	defer timer.Stop()
	select {
	case ev := <-readyCh:
		if ev.Ev == "failed" {
			w.Kill()
			msg := "the Python worker could not start"
			if ev.Error != nil {
				msg += ": " + ev.Error.Type + ": " + ev.Error.Message
			}
			return nil, eddy.Errorf(eddy.EUNAVAILABLE, "%s (its log: %s)", msg, filepath.Join(cfg.Dir, "worker.log"))
		}
		return w, nil
	case <-w.exited:
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "the Python worker exited while starting (%v); its log: %s", w.exitErr, filepath.Join(cfg.Dir, "worker.log"))
	case <-timer.C:
		w.Kill()
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "the Python worker did not start within %s; its log: %s", cfg.StartTimeout, filepath.Join(cfg.Dir, "worker.log"))
	case <-ctx.Done():
		w.Kill()
		return nil, ctx.Err()
	}
}

func writeIfChanged(path string, b []byte) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(b) {
		return nil
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func exitReason(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Errorf("killed by signal %d (%s)", ws.Signal(), ws.Signal())
		}
		return fmt.Errorf("exit status %d", ee.ExitCode())
	}
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}

// read dispatches the worker's events to whoever waits for them.
func (w *Worker) read(r io.ReadCloser, ready chan<- Event) {
	defer r.Close()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		var ev Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			w.log.Warn("python worker: unreadable event", "err", err)
			continue
		}
		switch ev.Ev {
		case "ready", "failed":
			if ev.Ev == "ready" {
				_ = json.Unmarshal(sc.Bytes(), &w.ready)
			}
			select {
			case ready <- ev:
			default:
			}
			continue
		case "log":
			w.log.Info("python worker", "text", ev.Text)
			continue
		}
		w.mu.Lock()
		ch := w.waiters[ev.ID]
		w.mu.Unlock()
		if ch != nil {
			ch <- ev
		}
	}
	// The worker is gone: whoever waits learns it from exited.
}

// Ready returns what the worker said of itself at start.
func (w *Worker) Ready() Ready { return w.ready }

// Exited is closed once the worker process has ended.
func (w *Worker) Exited() <-chan struct{} { return w.exited }

// ExitReason says why the worker ended; nil while it runs.
func (w *Worker) ExitReason() error {
	select {
	case <-w.exited:
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.exitErr
	default:
		return nil
	}
}

func (w *Worker) send(req map[string]any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.req.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("%w (%v)", ErrExited, err)
	}
	return nil
}

func (w *Worker) register() (int64, chan Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.nextID++
	ch := make(chan Event, 256)
	w.waiters[w.nextID] = ch
	return w.nextID, ch
}

func (w *Worker) unregister(id int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.waiters, id)
}

// Run runs a paragraph, calling onEvent for each of its events in order,
// and returns its "done" event. Once ctx ends it asks the worker to
// interrupt the paragraph (which cancels its Flink jobs) and waits for it
// to end; a worker that has not ended it after grace is killed. An error
// wrapping ErrExited means the worker process ended before the paragraph
// did.
func (w *Worker) Run(ctx context.Context, r Run, grace time.Duration, onEvent func(Event)) (Event, error) {
	w.runMu.Lock()
	defer w.runMu.Unlock()
	id, ch := w.register()
	defer w.unregister(id)
	req := map[string]any{"op": "run", "id": id, "code": r.Code, "mode": r.Mode, "jobName": r.JobName, "conf": r.Conf, "params": r.Params}
	if err := w.send(req); err != nil {
		return Event{}, err
	}
	var deadline <-chan time.Time
	done := ctx.Done()
	for {
		select {
		case ev := <-ch:
			if ev.Ev == "done" {
				return ev, nil
			}
			onEvent(ev)
		case <-w.exited:
			// Events written before the exit may still be in ch.
			for len(ch) > 0 {
				ev := <-ch
				if ev.Ev == "done" {
					return ev, nil
				}
				onEvent(ev)
			}
			return Event{}, fmt.Errorf("%w (%v)", ErrExited, w.ExitReason())
		case <-done:
			done = nil
			_ = w.send(map[string]any{"op": "interrupt", "id": id})
			deadline = time.After(grace)
		case <-deadline:
			w.log.Warn("python worker did not stop an interrupted paragraph; killing it", "grace", grace)
			w.Kill()
			deadline = nil
		}
	}
}

// Complete asks for completions of code with the cursor at line and column
// (line 1-based, column 0-based, in characters), from the worker's live
// namespace.
func (w *Worker) Complete(ctx context.Context, code string, line, column int) ([]Completion, error) {
	id, ch := w.register()
	defer w.unregister(id)
	if err := w.send(map[string]any{"op": "complete", "id": id, "code": code, "line": line, "column": column}); err != nil {
		return nil, err
	}
	select {
	case e := <-ch:
		return e.Items, nil
	case <-w.exited:
		return nil, ErrExited
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Kill ends the worker and its client JVM at once.
func (w *Worker) Kill() {
	if w.cmd.Process != nil {
		_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	}
}

// Close asks the worker to exit and kills it if it has not within a few
// seconds; it returns once the process has ended.
func (w *Worker) Close() {
	_ = w.send(map[string]any{"op": "shutdown"})
	_ = w.req.Close()
	select {
	case <-w.exited:
	case <-time.After(5 * time.Second):
		w.Kill()
		<-w.exited
	}
}
