package kernel

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/pyworker"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// interruptGrace is how long an interrupted Python paragraph may take to
// stop (its jobs cancelled, its code interrupted) before its worker is
// killed.
const interruptGrace = 15 * time.Second

// pythonWorker returns the note's Python worker, starting it if there is
// none or the last one has exited. Only one start happens at a time.
func (k *Kernel) pythonWorker(ctx context.Context) (*pyworker.Worker, error) {
	k.pyStart.Lock()
	defer k.pyStart.Unlock()
	k.mu.Lock()
	w, closed := k.py, k.closed
	k.mu.Unlock()
	if closed {
		return nil, eddy.Errorf(eddy.ECONFLICT, "the session of note %s is stopping", k.cfg.NoteID)
	}
	if w != nil && w.ExitReason() == nil {
		return w, nil
	}
	setup := k.cfg.Cluster.Python
	if setup == nil {
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "this Eddy runs no Python: start it with --python naming a Python that has apache-flink (make python installs one)")
	}
	cfg := *setup
	cfg.Dir = filepath.Join(setup.Dir, safeName(k.cfg.NoteID))
	cfg.ModuleTag = safeName(k.cfg.NoteID)
	cfg.Logger = k.log
	w, err := pyworker.Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	if k.closed {
		k.mu.Unlock()
		w.Close()
		return nil, eddy.Errorf(eddy.ECONFLICT, "the session of note %s is stopping", k.cfg.NoteID)
	}
	k.py = w
	k.mu.Unlock()
	r := w.Ready()
	k.log.Info("python worker started", "pid", r.PID, "start_ms", r.StartMs, "jvm_ms", r.JVMMs)
	return w, nil
}

// PythonWorker returns the note's running Python worker, if any.
func (k *Kernel) PythonWorker() *pyworker.Worker {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.py != nil && k.py.ExitReason() == nil {
		return k.py
	}
	return nil
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_]`)

// safeName makes an id usable in a file and a Python module name.
func safeName(id string) string { return unsafeChars.ReplaceAllString(id, "_") }

// runPython runs a %flink.pyflink or %flink.ipyflink paragraph in the note's
// Python worker. Its output streams to the paragraph: printed text, rich
// displays, and the tables z.show shows, live, through the same
// materialiser as a SQL query's. The paragraph runs on while Flink jobs it
// submitted run, as an INSERT's paragraph does; cancelling it interrupts
// the code and cancels those jobs. Python functions it registers become
// functions of the note's SQL paragraphs.
func (ex *execution) runPython(ctx context.Context, body string, bodyOffset int, mode string) error {
	// The paragraph may submit a job at any point: its KPUs are reserved
	// for the whole run.
	release, err := ex.admit(ctx)
	if err != nil {
		return err
	}
	defer release()
	w, err := ex.k.pythonWorker(ctx)
	if err != nil {
		return err
	}
	conf := map[string]string{}
	if ex.props.Parallelism > 0 {
		conf["parallelism.default"] = strconv.Itoa(ex.props.Parallelism)
	}
	if ex.props.MaxParallelism > 0 {
		conf["pipeline.max-parallelism"] = strconv.Itoa(ex.props.MaxParallelism)
	}
	if path := ex.resumePath(); path != "" {
		conf["execution.state-recovery.path"] = path
	}
	name := jobName(ex.note.ID, ex.p.ID)
	if ex.props.JobName != "" {
		name = ex.props.JobName
	}
	ps := &pythonShow{ex: ex, ctx: ctx}
	defer ps.endTable()
	// However the run ends (an error, a crashed worker, a cancel), it leaves
	// no job of its own running.
	defer ps.stopJobs()
	params := ChosenParams(ex.p.Settings.Params, ex.p.Settings.Forms)
	done, err := w.Run(ctx, pyworker.Run{Code: body, Mode: mode, JobName: name, Conf: conf, Params: params}, interruptGrace, ps.event)
	ps.endTable()
	if err != nil {
		if ctx.Err() != nil {
			return nil // cancelled, and the worker was killed for not stopping
		}
		return eddy.Errorf(eddy.EUNAVAILABLE, "The Python worker ended while the paragraph ran (%v). Its Python state is lost; the next run starts a new worker.", w.ExitReason())
	}
	if done.Functions != nil {
		if err := ex.k.sharePythonFunctions(ctx, done.Functions); err != nil {
			ex.addMessage(notebooks.MessageText, "The note's SQL paragraphs cannot use its Python functions: "+err.Error())
		} else {
			// Applications built from the note register them the same way.
			ex.setConfig(ConfigPythonFunctions, done.Functions)
		}
	}
	if !done.OK {
		if ctx.Err() != nil {
			return nil
		}
		return ps.pythonError(done.Error, body, bodyOffset)
	}
	// Jobs the code submitted and left running (an INSERT, execute_async)
	// keep the paragraph running, as a SQL INSERT does; after a cancel,
	// stopJobs stops those not followed yet.
	for _, jobID := range ps.jobs {
		if ctx.Err() != nil {
			break
		}
		d, err := ex.k.jm.Job(ctx, jobID)
		if err != nil || flink.JobTerminal(d.State) {
			continue
		}
		if err := ex.followJob(ctx, jobID, body); err != nil {
			return err
		}
	}
	return nil
}

// pythonShow turns a Python paragraph's events into its live state.
type pythonShow struct {
	ex      *execution
	ctx     context.Context
	jobs    []string
	printed int // bytes of printed output so far

	m       *Materializer // the table being shown, nil when none
	applied func()        // tells m's publisher rows were applied
	stopPub func()        // stops publishing m
}

// stopJobs stops the run's jobs that still run (with a savepoint when the
// paragraph sets savepointDir).
func (ps *pythonShow) stopJobs() {
	ex := ps.ex
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ps.ctx), 30*time.Second)
	defer cancel()
	for _, jobID := range ps.jobs {
		d, err := ex.k.jm.Job(ctx, jobID)
		if err != nil || flink.JobTerminal(d.State) {
			continue
		}
		if err := ex.stopJob(jobID); err != nil {
			ex.addMessage(notebooks.MessageText, fmt.Sprintf("Flink job %s may still be running: Eddy could not stop it when the run ended (%v). Cancel it in the Flink web UI.", jobID, err))
		}
	}
}

func (ps *pythonShow) event(ev pyworker.Event) {
	ex := ps.ex
	switch ev.Ev {
	case "stdout", "stderr":
		ps.text(ev.Text)
	case "display":
		typ := notebooks.MessageText
		if ev.Type == "HTML" {
			typ = notebooks.MessageHTML
		}
		ps.settle()
		ex.addMessage(typ, ev.Data)
	case "table":
		ps.endTable()
		ps.startTable(ev)
	case "rows":
		if ps.m == nil {
			return
		}
		changes := make([]Change, len(ev.Rows))
		for i, row := range ev.Rows {
			if len(row) == 0 {
				continue
			}
			short, _ := row[0].(string)
			changes[i] = Change{Kind: rowKindOfShort(short), Fields: row[1:]}
		}
		if err := ps.m.Apply(changes); err == nil {
			ps.applied()
			if ex.streaming {
				ex.r.setProducing(true)
			}
		}
	case "tableEnd":
		ps.endTable()
	case "form":
		var f Form
		if err := json.Unmarshal(ev.Form, &f); err == nil && f.Name != "" {
			ex.forms[f.Name] = f
		}
	case "job":
		ps.jobs = append(ps.jobs, ev.JobID)
		ex.r.addJob(Job{JobID: ev.JobID, ParagraphID: ex.p.ID, Status: flink.JobRunning,
			Parallelism: ex.parallelism(), URL: ex.k.jm.JobURL(ev.JobID)})
	}
}

// maxPythonOutput bounds the printed output a Python paragraph keeps per
// run; the rest is dropped and the paragraph says so.
const maxPythonOutput = 1 << 20

// text appends printed output to the paragraph: to its last text message
// when that is the newest output, so prints read as one block.
func (ps *pythonShow) text(s string) {
	if ps.printed >= maxPythonOutput {
		return
	}
	ps.printed += len(s)
	if ps.printed >= maxPythonOutput {
		s = strings.ToValidUTF8(s[:max(0, len(s)-(ps.printed-maxPythonOutput))], "") +
			fmt.Sprintf("\n… output truncated: a run keeps at most %d MiB of printed text\n", maxPythonOutput>>20)
	}
	ps.settle()
	r := ps.ex.r
	r.update(func() {
		if n := len(r.messages); n > 0 && r.mat == nil && r.messages[n-1].Type == notebooks.MessageText {
			r.messages[n-1].Data += s
			return
		}
		r.messages = append(r.messages, notebooks.ResultMessage{Type: notebooks.MessageText, Data: s})
	})
}

// settle moves a shown table that has ended into the messages, so output
// after it is shown after it.
func (ps *pythonShow) settle() {
	r := ps.ex.r
	if ps.m != nil {
		return // still live: output during z.show comes from other threads
	}
	r.update(func() {
		if r.mat != nil {
			r.messages = append(r.messages, r.renderTable())
			r.mat = nil
		}
	})
}

func (ps *pythonShow) startTable(ev pyworker.Event) {
	ex := ps.ex
	mode, err := ParseDisplayMode(ev.Mode)
	if err != nil {
		mode = DisplayUpdate
	}
	template := ev.Template
	if template == "" {
		template = ex.props.Template
	}
	m, err := NewMaterializer(Options{Mode: mode, MaxRows: ex.k.cfg.MaxRows, Threshold: ex.props.Threshold,
		Template: template, ChangelogRows: ex.k.cfg.ChangelogRows})
	if err != nil {
		ex.addMessage(notebooks.MessageText, err.Error())
		return
	}
	cols := make([]Column, len(ev.Columns))
	for i, c := range ev.Columns {
		cols[i] = Column{Name: c.Name, Type: c.Type, Zone: c.Zone}
	}
	m.SetColumns(cols)
	ex.r.setTable(m, mode == DisplaySingle)
	ps.m = m
	ps.applied, ps.stopPub = ex.publisher(ps.ctx, ex.props.RefreshInterval)
}

func (ps *pythonShow) endTable() {
	if ps.stopPub != nil {
		ps.stopPub()
		ps.stopPub = nil
	}
	ps.m, ps.applied = nil, nil
}

// pythonError is a failed Python paragraph's error: the exception and the
// traceback within the paragraph, and where in the paragraph text its line
// starts, so the editor marks it.
func (ps *pythonShow) pythonError(e *pyworker.Error, body string, bodyOffset int) error {
	if e == nil {
		return eddy.Errorf(eddy.EINVALID, "the Python paragraph failed")
	}
	msg := e.Type + ": " + e.Message
	if e.Line > 0 {
		msg = fmt.Sprintf("%s (line %d)", msg, e.Line)
		if bodyOffset >= 0 {
			ps.ex.errOffset = bodyOffset + lineOffset(body, e.Line)
		}
	}
	err := eddy.Errorf(eddy.EINVALID, "%s", msg)
	if strings.TrimSpace(e.Traceback) != "" {
		return &pythonFailure{err: err, trace: strings.TrimRight(e.Traceback, "\n")}
	}
	return err
}

// pythonFailure is a Python error with its traceback, which errorText
// shows under the message.
type pythonFailure struct {
	err   error
	trace string
}

func (p *pythonFailure) Error() string { return p.err.Error() }
func (p *pythonFailure) Unwrap() error { return p.err }

// lineOffset returns the byte offset where line n (1-based) of s starts.
func lineOffset(s string, n int) int {
	off := 0
	for i := 1; i < n; i++ {
		j := strings.IndexByte(s[off:], '\n')
		if j < 0 {
			return off
		}
		off += j + 1
	}
	return off
}

// rowKindOfShort maps a row kind's short string to its name.
func rowKindOfShort(s string) RowKind {
	switch s {
	case "-U":
		return RowUpdateBefore
	case "+U":
		return RowUpdateAfter
	case "-D":
		return RowDelete
	}
	return RowInsert
}

// ConfigPythonFunctions is the paragraph config key where a Python
// paragraph that registered functions records them (a pyworker.Functions):
// the module they were saved in and their names.
const ConfigPythonFunctions = "pythonFunctions"

// PythonFunctionStatements are the statements that make Python functions
// saved by a worker callable from SQL: the module's directory on
// python.files, and each function a temporary function in LANGUAGE PYTHON.
// With replace, each is dropped first (a new version of a function).
func PythonFunctionStatements(fs pyworker.Functions, replace bool) []string {
	stmts := []string{fmt.Sprintf("SET 'python.files' = '%s'", quoteSQL("file://"+fs.Dir))}
	for _, f := range fs.Functions {
		kind := "TEMPORARY"
		if f.System {
			kind = "TEMPORARY SYSTEM"
		}
		if replace {
			stmts = append(stmts, fmt.Sprintf("DROP %s FUNCTION IF EXISTS `%s`", kind, f.Name))
		}
		stmts = append(stmts, fmt.Sprintf("CREATE %s FUNCTION `%s` AS '%s' LANGUAGE PYTHON", kind, f.Name, quoteSQL(fs.Module+"."+f.Name)))
	}
	return stmts
}

// sharePythonFunctions makes the Python functions of the note's Python
// paragraphs callable from its SQL paragraphs: the gateway session imports
// the module the worker saved them in (python.files) and each becomes a
// temporary function in LANGUAGE PYTHON. The statements are remembered, so
// a reopened gateway session gets them again.
func (k *Kernel) sharePythonFunctions(ctx context.Context, fs *pyworker.Functions) error {
	for _, stmt := range PythonFunctionStatements(*fs, true) {
		handle, op, err := k.executeStatement(ctx, stmt, nil)
		if err == nil {
			err = k.finish(ctx, handle, op)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
		k.remember(stmt)
	}
	return nil
}
