package kernel

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// Paragraph config keys where Eddy records where a job can resume from.
const (
	ConfigSavepointPath        = "savepointPath"
	ConfigLatestCheckpointPath = "latestCheckpointPath"
)

// persistEvery is how often a long-running query's table is written to the
// note, so a reopened note shows what was last seen even after a crash.
const persistEvery = 5 * time.Second

// execute runs one paragraph to its end and stores the outcome.
func (k *Kernel) execute(r *run, note *notebooks.Note, p *notebooks.Paragraph) {
	start := time.Now()
	r.update(func() { r.status, r.started = notebooks.StatusRunning, start })
	k.persist(r.paragraphID, notebooks.RunUpdate{
		Status:       ptr(notebooks.StatusRunning),
		DateStarted:  ptr(notebooks.NewDate(start)),
		ErrorMessage: ptr(""),
		Progress:     ptr(0),
	})

	ex := &execution{k: k, r: r, note: note, p: p}
	err := ex.run()

	status := notebooks.StatusFinished
	code := notebooks.ResultSuccess
	var errMsg string
	switch {
	case r.wasAborted():
		status = notebooks.StatusAbort
	case err != nil:
		status, code = notebooks.StatusError, notebooks.ResultError
		msg, trace := errorText(err)
		errMsg = msg
		if trace != "" {
			errMsg = msg + "\n\n" + trace
		}
		ex.addMessage(notebooks.MessageText, msg)
	}
	finished := time.Now()
	msgs := r.resultMessages()
	r.update(func() {
		r.status, r.finished, r.errMsg = status, finished, errMsg
	})
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
	k.persist(r.paragraphID, upd)
}

// execution is the state of one paragraph run while its goroutine works.
type execution struct {
	k    *Kernel
	r    *run
	note *notebooks.Note
	p    *notebooks.Paragraph

	props  LocalProperties
	forms  map[string]any // settings.forms derived from the text
	config map[string]any // paragraph config keys to store at the end
}

func (ex *execution) addMessage(typ, data string) {
	ex.r.update(func() {
		ex.r.messages = append(ex.r.messages, notebooks.ResultMessage{Type: typ, Data: data})
	})
}

func (ex *execution) runtimeInfos() map[string]any {
	r := ex.r
	r.mu.Lock()
	jobID := r.jobID
	r.mu.Unlock()
	if jobID == "" {
		return nil
	}
	// Zeppelin's shape, so its UI and Eddy's show the FLINK JOB link.
	return map[string]any{"jobUrl": map[string]any{
		"propertyName":         "jobUrl",
		"label":                "FLINK JOB",
		"tooltip":              "View in Flink web UI",
		"group":                "flink",
		"values":               []any{map[string]any{"jobUrl": ex.k.jm.JobURL(jobID)}},
		"interpreterSettingId": "flink",
	}}
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
	fr, err := SubstituteForms(h.Body, ex.p.Settings.Params, ex.note.NoteParams)
	if err != nil {
		return err
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
		stmt := fmt.Sprintf("SET '%s' = '%s'", quoteSQL(e.Key), quoteSQL(e.Value))
		handle, op, err := ex.k.executeStatement(ctx, stmt, nil)
		if err == nil {
			_, err = ex.k.gw.NewFetcher(handle, op).All(ctx, 1)
			_ = ex.k.gw.CloseOperation(context.WithoutCancel(ctx), handle, op)
		}
		if err != nil {
			return err
		}
		ex.k.remember(stmt)
		lines = append(lines, e.Key+" = "+e.Value)
	}
	ex.addMessage(notebooks.MessageText, fmt.Sprintf("Session configured (%d properties):\n%s", len(lines), strings.Join(lines, "\n")))
	return nil
}

func quoteSQL(s string) string { return strings.ReplaceAll(s, "'", "''") }

// runSQL runs a SQL paragraph's statements in order in the given runtime
// mode, stopping at the first error.
func (ex *execution) runSQL(ctx context.Context, body, mode string) error {
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
	for _, st := range stmts {
		for _, part := range st.Parts() {
			if err := ex.runStatement(ctx, part, base); err != nil {
				return err
			}
			if ctx.Err() != nil {
				return nil
			}
		}
	}
	return nil
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
	var release func()
	if runsJob && ex.k.cfg.Admitter != nil {
		par := ex.props.Parallelism
		if par == 0 {
			par = ex.k.sessionParallelism(ctx)
		}
		var err error
		if release, err = ex.k.cfg.Admitter.AdmitJob(ctx, ex.note.ID, ex.p.ID, par); err != nil {
			return err
		}
		defer release()
	}
	handle, op, err := ex.k.executeStatement(ctx, st.Text, cfg)
	if err != nil {
		return err
	}
	// Closing frees the operation in the gateway; for a SELECT it also
	// cancels the job. Detached from ctx: it must happen after a cancel.
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = ex.k.gw.CloseOperation(cctx, handle, op)
	}()
	f := ex.k.gw.NewFetcher(handle, op)
	if st.Kind == StmtQuery {
		return ex.streamQuery(ctx, f)
	}
	rows, err := f.All(ctx, ex.k.cfg.MaxRows)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if f.JobID != "" && submits {
		return ex.followJob(ctx, f.JobID)
	}
	if shapesSession(st) {
		ex.k.remember(st.Text)
	}
	ex.showResult(st, f, rows)
	return nil
}

// resumePath is where the paragraph's next job starts from, if anywhere:
// an explicit savepoint path, the savepoint recorded by the last cancel
// (resumeFromSavepoint) or the latest checkpoint (resumeFromLatestCheckpoint).
func (ex *execution) resumePath() string {
	switch {
	case ex.props.SavepointPath != "":
		return ex.props.SavepointPath
	case ex.props.ResumeFromSavepoint:
		if v, ok := ex.p.Config[ConfigSavepointPath].(string); ok {
			return v
		}
	case ex.props.ResumeFromLatestCheckpoint:
		if v, ok := ex.p.Config[ConfigLatestCheckpointPath].(string); ok {
			return v
		}
	}
	return ""
}

// streamQuery materialises a query's changelog, publishing it to viewers
// every refreshInterval, until the result ends or the run is cancelled.
func (ex *execution) streamQuery(ctx context.Context, f *flink.Fetcher) error {
	mode := ex.props.Type
	m, err := NewMaterializer(Options{Mode: mode, MaxRows: ex.k.cfg.MaxRows, Threshold: ex.props.Threshold, Template: ex.props.Template})
	if err != nil {
		return err
	}
	// The table becomes the run's live result with the first page, so a
	// query that fails (it fails on its first fetch) leaves no empty table.
	// The fetch loop below owns f; this goroutine only publishes what it
	// applied, so viewers get at most one update per refreshInterval.
	pubCtx, stopPub := context.WithCancel(ctx)
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		tick := time.NewTicker(ex.props.RefreshInterval)
		defer tick.Stop()
		lastPersist := time.Now()
		for {
			select {
			case <-pubCtx.Done():
				return
			case <-tick.C:
				if ex.r.publish() && time.Since(lastPersist) > persistEvery {
					lastPersist = time.Now()
					ex.k.persist(ex.p.ID, notebooks.RunUpdate{Results: &notebooks.Result{
						Code: notebooks.ResultSuccess, Msg: ex.r.resultMessages()}})
				}
			}
		}
	}()
	defer func() {
		stopPub()
		<-pubDone
		ex.r.publish()
	}()

	var jobSeen bool
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
			cols := make([]Column, len(f.Columns))
			for i, c := range f.Columns {
				cols[i] = Column{Name: c.Name, Type: c.TypeName()}
			}
			m.SetColumns(cols)
			ex.r.setTable(m, mode == DisplaySingle)
			if f.JobID != "" {
				ex.r.addJob(Job{JobID: f.JobID, ParagraphID: ex.p.ID, Status: flink.JobRunning,
					Parallelism: ex.parallelism(), URL: ex.k.jm.JobURL(f.JobID)})
				defer ex.r.endJob(f.JobID)
			}
		}
		if len(rows) > 0 {
			changes := make([]Change, len(rows))
			for i, row := range rows {
				changes[i] = Change{Kind: RowKind(row.Kind), Fields: row.Fields}
			}
			if err := m.Apply(changes); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

func (ex *execution) parallelism() int {
	if ex.props.Parallelism > 0 {
		return ex.props.Parallelism
	}
	return 1
}

// followJob keeps the paragraph running while its detached job (INSERT,
// statement set) runs, as Zeppelin does: the paragraph ends when the job
// does, and cancelling the paragraph cancels the job, with a savepoint when
// savepointDir is set.
func (ex *execution) followJob(ctx context.Context, jobID string) error {
	ex.r.addJob(Job{JobID: jobID, ParagraphID: ex.p.ID, Status: flink.JobRunning,
		Parallelism: ex.parallelism(), URL: ex.k.jm.JobURL(jobID)})
	defer ex.r.endJob(jobID)
	ex.addMessage(notebooks.MessageText, "Job submitted: "+jobID)
	jm := ex.k.jm
	for {
		select {
		case <-ctx.Done():
			return ex.stopJob(jobID)
		case <-time.After(500 * time.Millisecond):
		}
		d, err := jm.Job(ctx, jobID)
		if err != nil {
			if ctx.Err() != nil {
				return ex.stopJob(jobID)
			}
			return err
		}
		ex.r.setJobStatus(jobID, d.State)
		if !flink.JobTerminal(d.State) {
			continue
		}
		ex.recordCheckpoint(jobID)
		switch d.State {
		case flink.JobFinished:
			ex.addMessage(notebooks.MessageText, "Job finished: "+jobID)
			return nil
		case flink.JobCanceled:
			return errors.New("job " + jobID + " was cancelled outside Eddy")
		}
		cause, _ := jm.RootException(context.WithoutCancel(ctx), jobID)
		if cause == "" {
			cause = "no exception recorded"
		}
		return eddy.Errorf(eddy.EINVALID, "job %s failed: %s", jobID, cause)
	}
}

// stopJob stops a paragraph's job after a cancel: with a savepoint into
// savepointDir when set (recording its path for resumeFromSavepoint), else
// a plain cancel. It waits until the job has ended.
func (ex *execution) stopJob(jobID string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	jm := ex.k.jm
	if dir := ex.props.SavepointDir; dir != "" {
		loc, err := ex.stopWithSavepoint(ctx, jobID, dir)
		if err != nil {
			return err
		}
		ex.setConfig(ConfigSavepointPath, loc)
		ex.addMessage(notebooks.MessageText, "Job stopped with a savepoint at "+loc)
	} else if err := jm.CancelJob(ctx, jobID); err != nil {
		return err
	}
	for ctx.Err() == nil {
		d, err := jm.Job(ctx, jobID)
		if err == nil && flink.JobTerminal(d.State) {
			ex.r.setJobStatus(jobID, d.State)
			ex.recordCheckpoint(jobID)
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return fmt.Errorf("job %s did not stop in time", jobID)
}

// stopWithSavepoint retries while the job's tasks are still deploying,
// when Flink refuses a savepoint.
func (ex *execution) stopWithSavepoint(ctx context.Context, jobID, dir string) (string, error) {
	if !strings.Contains(dir, "://") {
		dir = "file://" + dir
	}
	for {
		trigger, err := ex.k.jm.StopWithSavepoint(ctx, jobID, dir, false)
		if err != nil {
			return "", err
		}
		loc, err := ex.k.jm.WaitSavepoint(ctx, jobID, trigger)
		if err == nil || ctx.Err() != nil || !strings.Contains(strings.ToLower(err.Error()), "not all required tasks") {
			return loc, err
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// recordCheckpoint stores the job's latest retained checkpoint, for
// resumeFromLatestCheckpoint.
func (ex *execution) recordCheckpoint(jobID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := ex.k.jm.Checkpoints(ctx, jobID)
	if err == nil && st.Latest.Completed != nil && st.Latest.Completed.ExternalPath != "" {
		ex.setConfig(ConfigLatestCheckpointPath, st.Latest.Completed.ExternalPath)
	}
}

func (ex *execution) setConfig(key string, v any) {
	if ex.config == nil {
		ex.config = map[string]any{}
	}
	ex.config[key] = v
}

// showResult renders a finished non-query statement's result: a short
// success text for DDL, SET and USE, a table for SHOW and DESCRIBE, the plan
// for EXPLAIN.
func (ex *execution) showResult(st Statement, f *flink.Fetcher, rows []flink.Row) {
	if isOK(f, rows) {
		ex.addMessage(notebooks.MessageText, successText(st))
		return
	}
	if st.Kind == StmtExplain && len(f.Columns) == 1 && len(rows) == 1 {
		ex.addMessage(notebooks.MessageText, fmt.Sprint(rows[0].Fields[0]))
		return
	}
	cols := make([]Column, len(f.Columns))
	for i, c := range f.Columns {
		cols[i] = Column{Name: c.Name, Type: c.TypeName()}
	}
	m, _ := NewMaterializer(Options{Mode: DisplayUpdate, MaxRows: ex.k.cfg.MaxRows})
	m.SetColumns(cols)
	changes := make([]Change, len(rows))
	for i, row := range rows {
		changes[i] = Change{Kind: RowKind(row.Kind), Fields: row.Fields}
	}
	_ = m.Apply(changes)
	ex.addMessage(notebooks.MessageTable, m.Snapshot().ZeppelinTSV())
}

// isOK reports whether a result is the gateway's plain success: one column
// "result" with the single row "OK".
func isOK(f *flink.Fetcher, rows []flink.Row) bool {
	return len(f.Columns) == 1 && f.Columns[0].Name == "result" && len(rows) == 1 &&
		len(rows[0].Fields) == 1 && rows[0].Fields[0] == "OK"
}

// successText is the short confirmation shown for a statement that returns
// only OK, worded as Zeppelin's Flink interpreter words it.
func successText(st Statement) string {
	words := strings.Fields(strings.ToUpper(st.Text))
	if len(words) == 0 {
		return "OK"
	}
	object := func() string {
		for _, w := range words[1:] {
			switch w {
			case "TEMPORARY", "TEMPORARY,", "SYSTEM", "OR", "REPLACE", "IF", "NOT", "EXISTS":
				continue
			}
			return strings.ToLower(w)
		}
		return "object"
	}
	capital := func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
	switch words[0] {
	case "CREATE":
		return capital(object()) + " has been created."
	case "DROP":
		return capital(object()) + " has been dropped."
	case "ALTER":
		return capital(object()) + " has been altered."
	case "USE":
		return "The current catalog or database has been changed."
	case "SET":
		return "Property has been set."
	case "RESET":
		return "Properties have been reset."
	case "BEGIN":
		return "Statement set begun: the following INSERTs run as one job at END."
	}
	if st.Kind == StmtDML {
		return "Statement added to the statement set."
	}
	return "OK"
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
