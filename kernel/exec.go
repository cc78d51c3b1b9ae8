package kernel

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// persistEvery is how often a long-running query's table is written to the
// note, so a reopened note shows what was last seen even after a crash.
const persistEvery = 5 * time.Second

// execute runs one paragraph to its end and stores the outcome.
// from, when set, is where its jobs start from (RunFrom).
func (k *Kernel) execute(r *run, note *notebooks.Note, p *notebooks.Paragraph, from string) {
	start := time.Now()
	r.update(func() { r.status, r.started = notebooks.StatusRunning, start })
	k.persist(r.paragraphID, notebooks.RunUpdate{
		Status:       ptr(notebooks.StatusRunning),
		DateStarted:  ptr(notebooks.NewDate(start)),
		ErrorMessage: ptr(""),
		Progress:     ptr(0),
	})

	ex := &execution{k: k, r: r, note: note, p: p, sqlOffset: -1, errOffset: -1, from: from}
	err := ex.run()

	status := notebooks.StatusFinished
	code := notebooks.ResultSuccess
	var errMsg, errText, errCode string
	var errDetails any
	switch {
	case r.wasAborted():
		status = notebooks.StatusAbort
	case err != nil:
		status, code = notebooks.StatusError, notebooks.ResultError
		msg, trace := errorText(err)
		errMsg, errText, errCode, errDetails = msg, msg, eddy.ErrorCode(err), eddy.ErrorDetails(err)
		if trace != "" {
			errMsg = msg + "\n\n" + trace
		}
	}
	finished := time.Now()
	// The output in the order it came: each statement's messages and
	// table, and an error last, after the output of the statements before
	// the one that failed. Viewers of the live state get the error
	// separately (ErrorMessage) and show it last the same way.
	msgs := r.resultMessages()
	if errText != "" {
		msgs = append(msgs, notebooks.ResultMessage{Type: notebooks.MessageText, Data: errText})
	}
	var errOffset *int
	if err != nil && ex.errOffset >= 0 {
		errOffset = ptr(ex.errOffset)
	}
	// The saved result keeps where the failing statement starts, so the
	// editor marks Flink's line and column after a reload too.
	if errOffset != nil {
		ex.setConfig(ConfigErrorAt, ErrorAt{Offset: *errOffset, TextHash: TextHash(p.Text)})
	} else if _, ok := p.Config[ConfigErrorAt]; ok {
		ex.setConfig(ConfigErrorAt, nil)
	}
	upd := notebooks.RunUpdate{
		Status:       ptr(status),
		Results:      &notebooks.Result{Code: code, Msg: msgs},
		DateFinished: ptr(notebooks.NewDate(finished)),
		ErrorMessage: ptr(errMsg),
		Progress:     ptr(100),
		Config:       ex.config,
		RuntimeInfos: ex.runtimeInfos(),
	}
	if ex.forms != nil {
		upd.Forms = ex.forms
	}
	// Stored first, then told: whoever sees the run end (a viewer, or a
	// REST client polling the status) and then reads the note finds its
	// outcome there.
	k.persist(r.paragraphID, upd)
	r.update(func() {
		r.status, r.finished, r.errMsg, r.errCode, r.errDetails = status, finished, errMsg, errCode, errDetails
		r.errOffset = errOffset
		r.producing = false
	})
}

// ConfigErrorAt is the paragraph config key where a run whose SQL
// statement failed records where that statement starts in the text it ran
// (an ErrorAt); a later run without one removes it.
const ConfigErrorAt = "errorAt"

// ErrorAt is where a failed statement starts: the UTF-8 byte offset in the
// paragraph text and TextHash of that text, so that a reader applies it
// only to the very text that ran.
type ErrorAt struct {
	Offset   int    `json:"offset"`
	TextHash string `json:"textHash"`
}

// TextHash is the 32-bit FNV-1a hash of text's UTF-8 bytes, in hex.
func TextHash(text string) string {
	h := fnv.New32a()
	h.Write([]byte(text))
	return fmt.Sprintf("%08x", h.Sum32())
}

// execution is the state of one paragraph run while its goroutine works.
type execution struct {
	k    *Kernel
	r    *run
	note *notebooks.Note
	p    *notebooks.Paragraph

	props     LocalProperties
	forms     map[string]any // settings.forms derived from the text
	config    map[string]any // paragraph config keys to store at the end
	streaming bool           // SQL runs in streaming mode: its jobs may never end

	// sqlOffset is the byte offset in the paragraph text of the SQL that
	// runSQL splits, -1 when that SQL is not the text's own (forms were
	// filled in). errOffset is where the statement that failed starts in
	// the paragraph text, -1 when unknown: Flink's "line 2, column 8" of a
	// parse or validation error counts from there.
	sqlOffset int
	errOffset int

	// stopInspect ends the inspection of the running query's job (see
	// inspectJob), nil when none runs.
	stopInspect func()

	// from is where the run's jobs start from whatever the properties
	// say (RunFrom), empty when they decide.
	from string
	// plan is the compiled plan file of the statement being run and
	// planSource the paragraph's statement it was compiled from (see
	// runCompiled); empty when it runs uncompiled.
	plan, planSource string
	// handedOff says that the run's job was handed off (HandOff): the run
	// ends there, running no further statement.
	handedOff bool
}

func (ex *execution) addMessage(typ, data string) {
	ex.addResult(notebooks.ResultMessage{Type: typ, Data: data})
}

func (ex *execution) addResult(msg notebooks.ResultMessage) {
	ex.r.update(func() { ex.r.messages = append(ex.r.messages, msg) })
}

func (ex *execution) run() error {
	h, err := ParseParagraph(ex.p.Text)
	if err != nil {
		return err
	}
	interp, err := ResolveInterpreter(h.Interpreter, ex.note.DefaultInterpreterGroup)
	if err != nil {
		return err
	}
	ex.props, err = h.LocalProperties()
	if err != nil {
		return err
	}
	fr, err := SubstituteForms(h.Body, ChosenParams(ex.p.Settings.Params, ex.p.Settings.Forms), ChosenParams(ex.note.NoteParams, ex.note.NoteForms))
	if err != nil {
		return err
	}
	if fr.Text == h.Body {
		ex.sqlOffset = h.BodyOffset
	}
	ex.forms = map[string]any{}
	for _, f := range fr.Forms {
		ex.forms[f.Name] = f
	}
	ctx := ex.r.ctx
	switch interp.Kind {
	case InterpreterMarkdown:
		html, err := RenderMarkdown(fr.Text)
		if err != nil {
			return err
		}
		ex.addMessage(notebooks.MessageHTML, html)
		return nil
	case InterpreterConf:
		return ex.runConf(ctx, fr.Text)
	case InterpreterSQLStream:
		return ex.runSQL(ctx, fr.Text, "streaming")
	case InterpreterSQLBatch:
		return ex.runSQL(ctx, fr.Text, "batch")
	case InterpreterPyFlink:
		ex.streaming = true
		return ex.runPython(ctx, fr.Text, ex.sqlOffset, "pyflink")
	case InterpreterIPyFlink:
		ex.streaming = true
		return ex.runPython(ctx, fr.Text, ex.sqlOffset, "ipyflink")
	}
	return eddy.Errorf(eddy.EINVALID, "interpreter %s cannot run yet", interp.Prefix())
}

// runConf applies %flink.conf entries to the note's gateway session.
func (ex *execution) runConf(ctx context.Context, body string) error {
	entries, err := ParseConf(body)
	if err != nil {
		return err
	}
	var lines []string
	for _, e := range entries {
		stmts, err := ex.confStatements(ctx, e)
		if err != nil {
			return err
		}
		for _, stmt := range stmts {
			handle, op, err := ex.k.executeStatement(ctx, stmt, nil)
			if err == nil {
				_, err = ex.k.gw.NewFetcher(handle, op).All(ctx, 1)
				_ = ex.k.gw.CloseOperation(context.WithoutCancel(ctx), handle, op)
			}
			if err != nil {
				return err
			}
			ex.k.remember(stmt)
		}
		lines = append(lines, e.Key+" = "+e.Value)
	}
	ex.addMessage(notebooks.MessageText, fmt.Sprintf("Session configured (%d properties):\n%s", len(lines), strings.Join(lines, "\n")))
	return nil
}

func quoteSQL(s string) string { return strings.ReplaceAll(s, "'", "''") }

// Zeppelin's keys for jars a note needs: Maven coordinates, and paths.
const (
	confPackages = "flink.execution.packages"
	confJars     = "flink.execution.jars"
)

// confStatements turns a %flink.conf entry into statements for the note's
// gateway session: SET for a property, ADD JAR for each jar of Zeppelin's
// flink.execution.packages (fetched from the Maven repository) and
// flink.execution.jars. The jars are the note's alone: other notes and the
// cluster's classpath are untouched.
func (ex *execution) confStatements(ctx context.Context, e ConfEntry) ([]string, error) {
	var jars []string
	switch e.Key {
	case confPackages:
		if ex.k.cfg.Packages == nil {
			return nil, eddy.Errorf(eddy.EUNAVAILABLE, "%s is not available: Eddy has no Maven repository configured", confPackages)
		}
		for _, coords := range splitList(e.Value) {
			path, err := ex.k.cfg.Packages.Fetch(ctx, coords)
			if err != nil {
				return nil, err
			}
			jars = append(jars, path)
		}
	case confJars:
		jars = splitList(e.Value)
	default:
		return []string{fmt.Sprintf("SET '%s' = '%s'", quoteSQL(e.Key), quoteSQL(e.Value))}, nil
	}
	stmts := make([]string, len(jars))
	for i, j := range jars {
		stmts[i] = fmt.Sprintf("ADD JAR '%s'", quoteSQL(j))
	}
	return stmts, nil
}

// splitList splits a comma-separated value, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// runSQL runs a SQL paragraph's statements in order in the given runtime
// mode, stopping at the first error.
func (ex *execution) runSQL(ctx context.Context, body, mode string) error {
	ex.streaming = mode == "streaming"
	stmts := SplitStatements(body)
	for _, st := range stmts {
		if st.Unterminated {
			return eddy.Errorf(eddy.EINVALID, "statement at offset %d is not terminated (an open quote, or BEGIN STATEMENT SET without END)", st.Offset)
		}
	}
	if ex.props.RunAsOne {
		stmts = statementSetOf(stmts)
	}
	base := map[string]string{
		// Per statement, so a %flink.bsql paragraph never leaves the note's
		// gateway session in batch mode.
		"execution.runtime-mode": mode,
		"pipeline.name":          jobName(ex.note.ID, ex.p.ID),
	}
	if ex.props.JobName != "" {
		base["pipeline.name"] = ex.props.JobName
	}
	if ex.props.Parallelism > 0 {
		base["parallelism.default"] = strconv.Itoa(ex.props.Parallelism)
	}
	if ex.props.MaxParallelism > 0 {
		base["pipeline.max-parallelism"] = strconv.Itoa(ex.props.MaxParallelism)
	}
	ex.k.removePlans(ex.p.ID)
	for _, st := range stmts {
		compiled, err := ex.runCompiled(ctx, st, base)
		if compiled {
			if err != nil {
				ex.errOffset = ex.offsetOf(body, st)
				return err
			}
			if ctx.Err() != nil || ex.handedOff {
				return nil
			}
			continue
		}
		for _, part := range st.Parts() {
			if err := ex.runStatement(ctx, part, base); err != nil {
				ex.errOffset = ex.offsetOf(body, part)
				return err
			}
			if ctx.Err() != nil || ex.handedOff {
				return nil
			}
		}
	}
	return nil
}

// admit reserves the KPUs of a job of the paragraph (its parallelism, or
// the session's) before it is submitted; release gives them back.
func (ex *execution) admit(ctx context.Context) (release func(), err error) {
	if ex.k.cfg.Admitter == nil {
		return func() {}, nil
	}
	par := ex.props.Parallelism
	if par == 0 {
		par = ex.k.sessionParallelism(ctx)
	}
	return ex.k.cfg.Admitter.AdmitJob(ctx, ex.note.ID, ex.p.ID, par)
}

// offsetOf returns where st, a statement of body, starts in the paragraph
// text; -1 when body is not the text's own or st was built (runAsOne).
func (ex *execution) offsetOf(body string, st Statement) int {
	end := st.Offset + len(st.Text)
	if ex.sqlOffset < 0 || st.Offset < 0 || end > len(body) || body[st.Offset:end] != st.Text {
		return -1
	}
	return ex.sqlOffset + st.Offset
}

// statementSetOf wraps every INSERT of stmts into one EXECUTE STATEMENT SET
// (runAsOne), placed where the first INSERT stood.
func statementSetOf(stmts []Statement) []Statement {
	var inserts []string
	var out []Statement
	at := -1
	for _, st := range stmts {
		if st.Kind == StmtDML && st.Pieces == nil {
			if at < 0 {
				at = len(out)
				out = append(out, Statement{})
			}
			inserts = append(inserts, st.Text+";")
			continue
		}
		out = append(out, st)
	}
	if at >= 0 {
		text := "EXECUTE STATEMENT SET BEGIN\n" + strings.Join(inserts, "\n") + "\nEND"
		out[at] = Statement{Text: text, Kind: StmtStatementSet, SubmitsJob: true}
	}
	return out
}

// runStatement sends one statement and handles its result by kind.
func (ex *execution) runStatement(ctx context.Context, st Statement, base map[string]string) error {
	ex.r.setProducing(false) // a new statement has produced nothing yet
	cfg := maps.Clone(base)
	submits := st.SubmitsJob || st.Kind == StmtDML || st.Kind == StmtStatementSet
	runsJob := submits || st.Kind == StmtQuery
	if st.Kind == StmtQuery {
		// With exactly-once checkpointing the gateway's collect sink shows
		// rows only after each checkpoint completes; a notebook must show
		// them as they come. At-least-once delivery of a result to a viewer
		// is what an interactive query needs.
		cfg["execution.checkpointing.mode"] = "AT_LEAST_ONCE"
	}
	if submits {
		if path := ex.resumePath(); path != "" {
			cfg["execution.state-recovery.path"] = path
		}
	}
	if runsJob {
		release, err := ex.admit(ctx)
		if err != nil {
			return err
		}
		defer release()
	}
	// The job starts after this (minus clock slack, see findJob).
	submitted := time.Now()
	handle, op, err := ex.k.executeStatement(ctx, st.Text, cfg)
	if err != nil {
		return err
	}
	// Fields come as Flink prints them, so a viewer sees every value
	// exactly (a BIGINT above 2^53, a DECIMAL's scale, an instant in the
	// session's zone) and they survive JSON unchanged.
	f := ex.k.gw.NewTextFetcher(handle, op)
	// Closing frees the operation in the gateway; for a SELECT it also
	// cancels the job. Detached from ctx: it must happen after a cancel.
	// Then no job of the statement may be left running (reapJob).
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = ex.k.gw.CloseOperation(cctx, handle, op)
		jobID := f.JobID
		if jobID == "" && runsJob {
			jobID = ex.k.findJob(cctx, cfg["pipeline.name"], submitted)
		}
		if jobID != "" {
			ex.reapJob(jobID)
		}
		if ex.stopInspect != nil {
			ex.stopInspect()
			ex.stopInspect = nil
		}
	}()
	if st.Kind == StmtQuery {
		return ex.streamQuery(ctx, handle, f, st.Text, cfg["pipeline.name"], submitted)
	}
	rows, err := f.All(ctx, ex.k.cfg.MaxRows)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if f.JobID != "" && submits {
		statement := st.Text
		if ex.planSource != "" {
			statement = ex.planSource
		}
		return ex.followJob(ctx, f.JobID, statement)
	}
	if shapesSession(st) {
		ex.k.remember(st.Text)
	}
	ex.showResult(st, ex.columnsOf(ctx, handle, f.Columns), f, rows)
	return nil
}

// columnsOf describes a result's columns. An instant column names the time
// zone its values are printed in: the session's table.local-time-zone,
// read when a result has such a column (SET, %flink.conf and the cluster's
// configuration all end up there).
func (ex *execution) columnsOf(ctx context.Context, handle string, fc []flink.Column) []Column {
	cols := make([]Column, len(fc))
	zone, read := "", false
	for i, c := range fc {
		cols[i] = Column{Name: c.Name, Type: c.TypeName()}
		if !strings.Contains(cols[i].Type, "TIMESTAMP_LTZ") {
			continue
		}
		if !read {
			read = true
			if conf, err := ex.k.gw.SessionConfig(ctx, handle); err == nil {
				if z := conf["table.local-time-zone"]; z != "default" {
					zone = z
				}
			}
		}
		cols[i].Zone = zone
	}
	return cols
}

// maxJobLookups bounds how often, once a second, a query whose result
// pages do not name its job looks for it on the cluster: a job not found by
// then (another paragraph's jobName, a cluster that lists no jobs) is left
// to the lookup at the end of the run.
const maxJobLookups = 30

// streamQuery materialises a query's changelog, publishing it to viewers
// every refreshInterval, until the result ends or the run is cancelled.
//
// The gateway does not always name a query's job in its result pages; then
// the job is found on the cluster by its name (pipeline.name) and start,
// so it is followed, counted and, when the run ends, never left running.
func (ex *execution) streamQuery(ctx context.Context, handle string, f *flink.Fetcher, statement, jobName string, submitted time.Time) error {
	mode := ex.props.Type
	m, err := NewMaterializer(Options{Mode: mode, MaxRows: ex.k.cfg.MaxRows, Threshold: ex.props.Threshold, Template: ex.props.Template,
		ChangelogRows: ex.k.cfg.ChangelogRows})
	if err != nil {
		return err
	}
	// The table becomes the run's live result with the first page, so a
	// query that fails (it fails on its first fetch) leaves no empty table.
	// The fetch loop below owns f; the publisher only publishes what it
	// applied, so viewers get at most one update per refreshInterval.
	applied, stop := ex.publisher(ctx, ex.props.RefreshInterval)
	defer stop()

	var jobSeen, jobAdded bool
	var lastLookup time.Time
	lookups := 0
	for {
		rows, more, err := f.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if !jobSeen && f.Columns != nil {
			jobSeen = true
			m.SetColumns(ex.columnsOf(ctx, handle, f.Columns))
			ex.r.setTable(m, mode == DisplaySingle)
		}
		if !jobAdded && f.JobID == "" && jobSeen && lookups < maxJobLookups && time.Since(lastLookup) > time.Second {
			lastLookup = time.Now()
			lookups++
			f.JobID = ex.k.findJob(ctx, jobName, submitted)
		}
		if !jobAdded && f.JobID != "" {
			jobAdded = true
			ex.r.addJob(Job{JobID: f.JobID, ParagraphID: ex.p.ID, Status: flink.JobRunning,
				Parallelism: ex.parallelism(), URL: ex.k.jm.JobURL(f.JobID)})
			defer ex.r.endJob(f.JobID)
			// Stopped by runStatement once the job has ended, so the last
			// look sees how it ended.
			ex.stopInspect = ex.inspectJob(ctx, f.JobID, statement, false)
		}
		if len(rows) > 0 {
			changes := make([]Change, len(rows))
			for i, row := range rows {
				changes[i] = Change{Kind: RowKind(row.Kind), Fields: row.Fields}
			}
			if err := m.Apply(changes); err != nil {
				return err
			}
			applied()
			if ex.streaming {
				ex.r.setProducing(true)
			}
		}
		if !more {
			return nil
		}
	}
}

// publisher publishes the run's live table to viewers as soon as the fetch
// loop has applied rows (it calls applied), but at most once per interval:
// rows that come after a quiet spell are shown at once instead of at the
// next tick, which would add half an interval on average. It also writes
// the table to the note every persistEvery, and checks every interval
// whether the job produces, until the returned stop is called; stop
// publishes what is left.
func (ex *execution) publisher(ctx context.Context, interval time.Duration) (applied, stop func()) {
	pubCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	// Capacity 1, coalesced: one pending signal stands for any number of
	// applies, and the fetch loop never waits for the publisher.
	signal := make(chan struct{}, 1)
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		pace := pacer{interval: interval}
		lastPersist := time.Now()
		// unpersisted: a published table not yet written to the note. A
		// table that stops changing soon after it starts (a bounded
		// result, or a topic read to its end) is still written within persistEvery, not
		// only when the paragraph ends.
		unpersisted := false
		var due <-chan time.Time // set while applied rows wait for their publish
		publish := func() {
			if ex.r.publish() {
				pace.published(time.Now())
				unpersisted = true
			}
			if unpersisted && time.Since(lastPersist) > persistEvery {
				lastPersist, unpersisted = time.Now(), false
				ex.k.persist(ex.p.ID, notebooks.RunUpdate{Results: &notebooks.Result{
					Code: notebooks.ResultSuccess, Msg: ex.r.resultMessages()}})
			}
		}
		for {
			select {
			case <-pubCtx.Done():
				return
			case <-signal:
				if due == nil {
					due = time.After(pace.wait(time.Now()))
				}
			case <-due:
				due = nil
				publish()
			case <-tick.C:
				ex.checkProducing(pubCtx)
				// Whatever was applied and not yet published goes
				// out from here too, paced like the rest.
				if due == nil {
					due = time.After(pace.wait(time.Now()))
				}
			}
		}
	}()
	applied = func() {
		select {
		case signal <- struct{}{}:
		default: // already signalled: that publish takes these rows too
		}
	}
	stop = func() {
		cancel()
		<-done
		ex.r.publish()
	}
	return applied, stop
}

// checkProducing marks a streaming query's run producing once every task
// of its job runs, so a query that emits rarely (a long window) counts as
// started before its first row. It asks the JobManager until then.
func (ex *execution) checkProducing(ctx context.Context) {
	if !ex.streaming || ex.r.isProducing() {
		return
	}
	jobID := ex.r.currentJob()
	if jobID == "" {
		return
	}
	if d, err := ex.k.jm.Job(ctx, jobID); err == nil && d.TasksRunning() {
		ex.r.setProducing(true)
	}
}

// shapesSession reports whether a statement changes the gateway session in
// a way a replay must repeat: SET, RESET, USE, DDL that runs no job, ADD
// JAR, LOAD MODULE and the like.
func shapesSession(st Statement) bool {
	switch st.Kind {
	case StmtSet, StmtUse, StmtOther:
		return true
	case StmtDDL:
		return !st.SubmitsJob
	}
	return false
}
