package applications

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/atomicfile"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
)

// RunSpec is one run of an application: a version started from a restore
// point (or none).
type RunSpec struct {
	AppID       string
	Name        string // the job's pipeline.name
	JobID       string // the fixed job id, where the target can fix it
	Version     *Version
	Parallelism int
	// MaxParallelism is the job's fixed maximum parallelism (0: Flink's
	// default).
	MaxParallelism int
	// CheckpointInterval applies unless the script sets its own.
	CheckpointInterval time.Duration
	Dir                string // the application's directory
	RunDir             string // the run's checkpoint directory name, under Dir/checkpoints
	Restore            string // savepoint or checkpoint to start from; "" for none
	// AllowNonRestoredState starts the job from Restore even where some of
	// its state has no operator to take it (Flink drops that state).
	AllowNonRestoredState bool
}

// CheckpointDir is where the run's checkpoints go (a job-id directory
// holding chk-N directories).
func (s RunSpec) CheckpointDir() string { return filepath.Join(s.Dir, "checkpoints", s.RunDir) }

// Runner starts runs on one target.
type Runner interface {
	// Start launches a run. It returns once the run is launched; whether
	// its job runs is the run's JobManager's to say.
	Start(ctx context.Context, spec RunSpec) (Run, error)
}

// Run is a launched run of an application.
type Run interface {
	// JobManager is the REST API of the JobManager that runs the job.
	JobManager() *flink.JobManager
	// JobID is the run's job.
	JobID() string
	// Crashes returns how often the run's JobManager died and was restarted
	// by Eddy, and why it last died (0 and "" where Eddy does not run it).
	Crashes() (int, string)
	// Failure explains a program that ended before it ran a job, from
	// what its JobManager logged ("" when unknown).
	Failure() string
	// Close releases what the run holds (an application cluster's JVMs);
	// the job must have ended or be abandoned.
	Close() error
}

// StandaloneRunner runs each application on its own Flink cluster beside
// the notebook cluster: a JobManager in application mode that runs the
// version's script through Flink's SqlDriver, and TaskManagers with
// SlotsPerTaskManager slots for its parallelism.
type StandaloneRunner struct {
	// Base returns the notebook cluster's configuration (Flink, connectors,
	// catalog) at the time of the start.
	Base                func() localflink.Config
	SlotsPerTaskManager int
	JobManagerMemory    string // "" for the default
	TaskManagerMemory   string // "" for the default
	// WebUI, when set, is where browsers open an application cluster's web
	// UI: WebUI + the application's id (e.g. Eddy's proxy of it, which
	// follows the cluster's ports). Otherwise links go to the cluster's own
	// address.
	WebUI string
}

// Start writes the version's script into the application's directory and
// starts the application cluster: SqlDriver runs a SQL script, Flink's
// PythonDriver a Python program (with the notebook cluster's Python).
func (r *StandaloneRunner) Start(ctx context.Context, spec RunSpec) (Run, error) {
	if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("applications: %w", err)
	}
	python := ScriptLanguage(spec.Version) == LanguagePython
	ext := "sql"
	if python {
		ext = "py"
	}
	base := r.Base()
	catalog := inMemoryCatalog(spec.Version)
	if spec.Version.Catalog == localflink.CatalogName && base.CatalogDir != "" {
		catalog = localflink.CatalogOptions(base)
	}
	text, err := runnableScript(spec.Version, spec.Dir, catalog)
	if err != nil {
		return nil, err
	}
	script := filepath.Join(spec.Dir, fmt.Sprintf("v%d.%s", spec.Version.Number, ext))
	if err := atomicfile.Write(script, strings.NewReader(text)); err != nil {
		return nil, fmt.Errorf("applications: write the script: %w", err)
	}
	if python && base.Python == "" {
		return nil, eddy.Errorf(eddy.EUNAVAILABLE, "version %d of the application is a Python program, and this Eddy runs no Python: start it with --python naming a Python that has apache-flink", spec.Version.Number)
	}
	app, err := localflink.StartApplication(ctx, base, localflink.AppConfig{
		Dir: spec.Dir, JobID: spec.JobID, Name: spec.Name, Script: script, Python: python, RunDir: spec.RunDir,
		Restore: spec.Restore, AllowNonRestoredState: spec.AllowNonRestoredState, Parallelism: spec.Parallelism, MaxParallelism: spec.MaxParallelism, SlotsPerTM: r.SlotsPerTaskManager,
		CheckpointInterval: spec.CheckpointInterval,
		JobManagerMemory:   r.JobManagerMemory, TaskManagerMemory: r.TaskManagerMemory,
	})
	if err != nil {
		return nil, err
	}
	log := base.Logger
	if log == nil {
		log = slog.Default()
	}
	run := &standaloneRun{app: app, jobID: spec.JobID, log: log}
	if r.WebUI != "" {
		run.webUI = r.WebUI + spec.AppID
	}
	return run, nil
}

type standaloneRun struct {
	app   *localflink.AppCluster
	jobID string
	log   *slog.Logger
	webUI string // where browsers open the web UI; "" for the cluster's address
}

func (r *standaloneRun) JobManager() *flink.JobManager {
	if r.webUI != "" {
		return r.app.JobManager().WithWebUI(r.webUI)
	}
	return r.app.JobManager()
}

func (r *standaloneRun) JobID() string { return r.jobID }
func (r *standaloneRun) Close() error  { return r.app.Close() }

func (r *standaloneRun) Crashes() (int, string) {
	n, last := r.app.Crashes()
	return n, last.Reason
}

// Failure returns the last exception the JobManager logged: the cause of
// a script that failed before (or without) submitting its job. For a
// Python program that raised, it is the program's own exception (or, for
// a Java exception it passed on, that exception's cause), which
// PythonDriver logged before its "Python process exits with code" error.
func (r *standaloneRun) Failure() string {
	lines := strings.Split(r.app.JobManagerLogTail(400), "\n")
	var cause, python string
	inTraceback := false
	for _, l := range lines {
		if msg, ok := pythonOutput(l); ok {
			switch {
			case msg == "Traceback (most recent call last):":
				inTraceback, python = true, ""
			case inTraceback && !strings.HasPrefix(msg, " "):
				inTraceback, python = false, msg
			case strings.HasPrefix(python, "py4j.protocol.Py4JJavaError") && strings.HasPrefix(msg, ": "):
				python = strings.TrimPrefix(msg, ": ") // the Java exception py4j passed on
			case python != "" && strings.HasPrefix(strings.TrimSpace(msg), "Caused by: "):
				python = strings.TrimPrefix(strings.TrimSpace(msg), "Caused by: ")
			}
			continue
		}
		l = strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(l, "Caused by: "); ok {
			cause = rest
		}
	}
	if python != "" {
		return python
	}
	return cause
}

// pythonOutput returns a line a Python program printed, as PythonDriver
// logs it in the JobManager's log ("… INFO  …PythonDriver  [] - <line>").
func pythonOutput(logLine string) (string, bool) {
	_, rest, ok := strings.Cut(logLine, " org.apache.flink.client.python.PythonDriver ")
	if !ok {
		return "", false
	}
	_, msg, ok := strings.Cut(rest, "[] - ")
	return msg, ok
}

// SessionRunner runs applications as detached jobs on the notebook
// cluster, submitted through a SQL Gateway session of their own that is
// closed once the job is submitted.
type SessionRunner struct {
	Gateway    *flink.Gateway
	JobManager *flink.JobManager
	// LocalState puts checkpoints in the application's directory; false
	// (a remote cluster, which cannot reach it) keeps the cluster's own.
	LocalState bool
}

// Start replays the script's settings and DDL in a new gateway session and
// submits its statement set. A Python application is refused: its program
// runs only on an application cluster of its own (the standalone target).
func (r *SessionRunner) Start(ctx context.Context, spec RunSpec) (Run, error) {
	if ScriptLanguage(spec.Version) == LanguagePython {
		return nil, eddy.Errorf(eddy.EINVALID, "version %d of the application is a Python program, which runs only on its own cluster: choose the %q target", spec.Version.Number, TargetStandalone)
	}
	// The session starts where the notebook's sessions do: the USEs are
	// no-ops, the catalog exists.
	text, err := runnableScript(spec.Version, spec.Dir, nil)
	if err != nil {
		return nil, err
	}
	stmts := kernel.SplitStatements(text)
	if len(stmts) == 0 {
		return nil, eddy.Errorf(eddy.EINTERNAL, "version %d of the application has no statement set", spec.Version.Number)
	}
	sess, err := r.Gateway.OpenSession(ctx, "eddy-app-"+spec.AppID, nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = r.Gateway.CloseSession(cctx, sess)
	}()
	for _, st := range stmts[:len(stmts)-1] {
		if _, _, err := r.execute(ctx, sess, st.Text, nil); err != nil {
			return nil, fmt.Errorf("%s: %w", firstLine(st.Text), err)
		}
	}
	conf := map[string]string{
		"pipeline.name": spec.Name,
		"execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
		"parallelism.default": fmt.Sprint(spec.Parallelism),
	}
	if spec.MaxParallelism > 0 {
		conf["pipeline.max-parallelism"] = fmt.Sprint(spec.MaxParallelism)
	}
	if _, set := spec.Version.Settings["execution.checkpointing.interval"]; !set {
		conf["execution.checkpointing.interval"] = fmt.Sprintf("%d ms", spec.CheckpointInterval.Milliseconds())
	}
	if r.LocalState {
		conf["execution.checkpointing.dir"] = "file://" + spec.CheckpointDir()
		conf["execution.checkpointing.savepoint-dir"] = "file://" + filepath.Join(spec.Dir, "snapshots")
	}
	if spec.Restore != "" {
		conf["execution.state-recovery.path"] = spec.Restore
		if spec.AllowNonRestoredState {
			conf["execution.state-recovery.ignore-unclaimed-state"] = "true"
		}
	}
	rows, jobID, err := r.execute(ctx, sess, stmts[len(stmts)-1].Text, conf)
	if err != nil {
		return nil, err
	}
	if jobID == "" && len(rows) > 0 && len(rows[0].Fields) > 0 {
		jobID = fmt.Sprint(rows[0].Fields[0])
	}
	if jobID == "" {
		return nil, eddy.Errorf(eddy.EINTERNAL, "the gateway submitted the statement set but named no job")
	}
	return &sessionRun{jm: r.JobManager, jobID: jobID}, nil
}

// runnableScript is the script a run of v executes. A SQL script first
// enters the catalog and database a notebook's session starts in (the
// version's), so its names resolve as they did in the note: Flink's
// SqlDriver starts in its own default_catalog, and reads no catalog
// store, so with catalog (CREATE CATALOG's options) set the script
// creates the catalog first. A version with a compiled
// plan writes it into dir as v<N>.plan.json and runs it: its statement set
// is replaced by EXECUTE PLAN of that file, so the job's operators get the
// plan's ids. The settings and DDL before it still run (a plan names the
// temporary tables a script creates, not their definitions).
func runnableScript(v *Version, dir string, catalog map[string]string) (string, error) {
	if ScriptLanguage(v) == LanguagePython {
		return v.Script, nil
	}
	script := useNamespace(v, catalog) + v.Script
	if len(v.CompiledPlan) == 0 {
		return script, nil
	}
	stmts := kernel.SplitStatements(script)
	if len(stmts) == 0 || stmts[len(stmts)-1].Kind != kernel.StmtStatementSet {
		return "", eddy.Errorf(eddy.EINTERNAL, "version %d of the application has no statement set", v.Number)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("applications: %w", err)
	}
	plan := filepath.Join(dir, fmt.Sprintf("v%d.plan.json", v.Number))
	if err := atomicfile.Write(plan, bytes.NewReader(v.CompiledPlan)); err != nil {
		return "", fmt.Errorf("applications: write the compiled plan: %w", err)
	}
	return executePlanScript(script, stmts[len(stmts)-1].Offset, fileURI(plan)), nil
}

// useNamespace is the statements that enter v's catalog and database,
// creating the catalog with options first when they are given.
func useNamespace(v *Version, options map[string]string) string {
	if v.Catalog == "" || v.Database == "" {
		return ""
	}
	var sb strings.Builder
	if options != nil {
		sb.WriteString("CREATE CATALOG IF NOT EXISTS " + quoteIdentifier(v.Catalog) + " WITH (")
		for i, k := range slices.Sorted(maps.Keys(options)) {
			if i > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(quoteString(k) + " = " + quoteString(options[k]))
		}
		sb.WriteString(");\n")
	}
	sb.WriteString("USE CATALOG " + quoteIdentifier(v.Catalog) + ";\nUSE " + quoteIdentifier(v.Database) + ";\n")
	return sb.String()
}

// inMemoryCatalog is the options of an in-memory catalog standing in for
// v's where the cluster has no catalog of that name: the script's DDL
// creates what it uses.
func inMemoryCatalog(v *Version) map[string]string {
	return map[string]string{"type": "generic_in_memory", "default-database": v.Database}
}

// quoteIdentifier quotes a SQL identifier with backticks.
func quoteIdentifier(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// executePlanScript is script with its statement set, which starts at
// offset, replaced by EXECUTE PLAN of the plan at uri.
func executePlanScript(script string, offset int, uri string) string {
	return script[:offset] + "EXECUTE PLAN " + quoteString(uri) + ";\n"
}

// Adopt follows a job an earlier run of Eddy submitted that still runs on
// the cluster (Eddy was killed; a remote cluster lives on), instead of
// submitting it again.
func (r *SessionRunner) Adopt(ctx context.Context, jobID string) (Run, bool) {
	d, err := r.JobManager.Job(ctx, jobID)
	if err != nil || flink.JobTerminal(d.State) {
		return nil, false
	}
	return &sessionRun{jm: r.JobManager, jobID: jobID}, true
}

// Adopter is a Runner that can follow a job that outlived the Eddy that
// started it.
type Adopter interface {
	Adopt(ctx context.Context, jobID string) (Run, bool)
}

// execute runs one statement and reads its whole (small) result.
func (r *SessionRunner) execute(ctx context.Context, sess, stmt string, conf map[string]string) ([]flink.Row, string, error) {
	op, err := r.Gateway.ExecuteStatement(ctx, sess, stmt, conf)
	if err != nil {
		return nil, "", err
	}
	f := r.Gateway.NewFetcher(sess, op)
	rows, err := f.All(ctx, 100)
	return rows, f.JobID, err
}

type sessionRun struct {
	jm    *flink.JobManager
	jobID string
}

func (r *sessionRun) JobManager() *flink.JobManager { return r.jm }
func (r *sessionRun) JobID() string                 { return r.jobID }
func (r *sessionRun) Crashes() (int, string)        { return 0, "" }
func (r *sessionRun) Failure() string               { return "" }
func (r *sessionRun) Close() error                  { return nil }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

var errNoRunner = errors.New("no runner for this target")

// TaskManagerCPU returns the CPU time each TaskManager registered with
// the application's JobManager has used so far. A TaskManager that
// reports no CPU time yet (its metrics not fetched) is left out.
func (r *standaloneRun) TaskManagerCPU(ctx context.Context) ([]TaskManagerCPU, error) {
	jm := r.app.JobManager()
	tms, err := jm.TaskManagers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TaskManagerCPU, 0, len(tms))
	for _, tm := range tms {
		ms, err := jm.TaskManagerMetrics(ctx, tm.ID, []string{flink.MetricCPUTime})
		if flink.IsNotFound(err) {
			continue // it left meanwhile
		}
		if err != nil {
			return nil, err
		}
		if v, ok := ms[flink.MetricCPUTime]; ok && v.Known() && v >= 0 {
			out = append(out, TaskManagerCPU{ID: tm.ID, Slots: tm.Slots, CPUTime: time.Duration(v)})
		}
	}
	return out, nil
}
