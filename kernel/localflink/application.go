package localflink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
)

// SQLDriver is Flink's entry class that runs a SQL script as an
// application: it executes the statements one by one inside the
// JobManager, as the SQL client would.
const SQLDriver = "org.apache.flink.table.runtime.application.SqlDriver"

// PythonDriver is Flink's entry class that runs a PyFlink program as an
// application: it starts the program with python.client.executable, whose
// jobs the JobManager runs as it runs a Java program's.
const PythonDriver = "org.apache.flink.client.python.PythonDriver"

// AppConfig describes one application cluster: a JobManager in application
// mode running a SQL script, and its TaskManagers. The Flink installation,
// connectors and persistent catalog are those of the notebook cluster that
// starts it.
type AppConfig struct {
	Dir    string // the application's directory: conf/, log/, tmp/, checkpoints/, snapshots/
	JobID  string // the fixed job id (32 hex digits)
	Name   string // the job's pipeline.name
	Script string // path of the SQL script, or Python program, to run
	// Python says Script is a PyFlink program, run by PythonDriver with the
	// base configuration's Python (which must be set).
	Python bool
	// RunDir names the run: checkpoints go to <Dir>/checkpoints/<RunDir>,
	// so runs never write into each other's checkpoint directories.
	RunDir string
	// Restore is the savepoint or retained checkpoint to start from; "" starts
	// without state. A JobManager that crashes is restarted from the newest
	// checkpoint of the run, or from Restore when the run has none yet.
	Restore string
	// AllowNonRestoredState lets the job start from Restore where some of
	// its state has no operator to take it (Flink drops that state).
	AllowNonRestoredState bool
	Parallelism           int // default parallelism of the job, at least 1
	// MaxParallelism is the job's maximum parallelism (the number of key
	// groups of its keyed state): fixed for the job's life, since keyed
	// state cannot be restored under another. 0 leaves Flink's default.
	MaxParallelism     int
	SlotsPerTM         int           // task slots per TaskManager, at least 1
	CheckpointInterval time.Duration // 0: 60 s
	JobManagerMemory   string        // default 1024m
	TaskManagerMemory  string        // default 1728m
}

// AppCluster is a running application cluster. Close stops it.
type AppCluster struct {
	cfg     AppConfig
	rest    int
	spawner *spawner
	env     []string
	log     *slog.Logger
	jm      *process
	tmArgv  []string // a TaskManager's command line, less its resource id
	started time.Time

	mu     sync.Mutex
	tms    []*process // the running TaskManagers, oldest first
	tmSeq  int        // TaskManagers started so far: names the next one
	closed bool

	closeOnce sync.Once
	closeErr  error
}

// Roles of an application cluster's processes, also their log names.
const (
	AppJobManager  = "jobmanager"
	AppTaskManager = "taskmanager" // with a number: taskmanager-1, taskmanager-2, ...
)

// Config returns the cluster's configuration as it is now (with the
// connector jars of its latest restart): what an application cluster
// started beside it needs.
func (c *Cluster) Config() Config {
	c.procsMu.Lock()
	defer c.procsMu.Unlock()
	cfg := c.cfg
	cfg.ConnectorJars = append([]string(nil), c.cfg.ConnectorJars...)
	return cfg
}

// StartApplication starts an application cluster with the Flink, connector
// jars and persistent catalog of base, the configuration of a notebook
// cluster (Cluster.Config). It returns once the JVMs are launched; the
// job's state is the JobManager's to report (see AppCluster.JobManager).
func StartApplication(ctx context.Context, base Config, ac AppConfig) (*AppCluster, error) {
	base.setDefaults()
	if err := checkInstall(base); err != nil {
		return nil, err
	}
	if ac.Dir == "" || ac.JobID == "" || ac.Script == "" || ac.RunDir == "" {
		return nil, errors.New("localflink: an application needs a directory, a job id, a script and a run")
	}
	if ac.Python && base.Python == "" {
		return nil, errors.New("localflink: a Python application needs a Python with apache-flink: start Eddy with --python ('make python' installs one)")
	}
	ac.Parallelism = max(ac.Parallelism, 1)
	ac.SlotsPerTM = max(ac.SlotsPerTM, 1)
	if ac.CheckpointInterval <= 0 {
		ac.CheckpointInterval = time.Minute
	}
	if ac.JobManagerMemory == "" {
		ac.JobManagerMemory = "1024m"
	}
	if ac.TaskManagerMemory == "" {
		ac.TaskManagerMemory = "1728m"
	}
	for _, d := range []string{"conf", "log", "tmp", "snapshots", filepath.Join("checkpoints", ac.RunDir)} {
		if err := os.MkdirAll(filepath.Join(ac.Dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("localflink: %w", err)
		}
	}
	nums, err := freePorts(2)
	if err != nil {
		return nil, fmt.Errorf("localflink: %w", err)
	}
	confDir := filepath.Join(ac.Dir, "conf")
	if err := writeFileAtomic(filepath.Join(confDir, "config.yaml"), appConfig(base, ac, nums[0], nums[1])); err != nil {
		return nil, fmt.Errorf("localflink: write config: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(confDir, "log4j-console.properties"), log4jConfig); err != nil {
		return nil, fmt.Errorf("localflink: write log4j config: %w", err)
	}
	jm, tm, err := appCommands(ctx, base, ac, confDir)
	if err != nil {
		return nil, fmt.Errorf("localflink: %w", err)
	}
	a := &AppCluster{cfg: ac, rest: nums[1], spawner: newSpawner(), started: time.Now(), tmArgv: tm,
		log: base.Logger.With("application", ac.Name)}
	a.env = append(childEnv(os.Environ()), "FLINK_CONF_DIR="+confDir, "FLINK_HOME="+base.FlinkHome,
		"FLINK_PLUGINS_DIR="+filepath.Join(base.FlinkHome, "plugins"),
		// Where the application entry point looks for flink-python, which
		// it ships with a Python program's job.
		"FLINK_OPT_DIR="+filepath.Join(base.FlinkHome, "opt"))
	a.jm = a.newProc(AppJobManager)
	restart := false // argvFor runs in the JobManager's supervisor only
	a.jm.argvFor = func() []string {
		if restart && ac.Python {
			a.renewTaskManagers()
		}
		restart = true
		argv := append([]string(nil), jm...)
		if from := a.resumeFrom(); from != "" {
			argv = append(argv, "--fromSavepoint", from)
			if ac.AllowNonRestoredState {
				argv = append(argv, "--allowNonRestoredState")
			}
		}
		if ac.Python {
			return append(argv, "-py", ac.Script)
		}
		return append(argv, "--scriptUri", "file://"+ac.Script)
	}
	a.jm.run()
	n := a.TaskManagersFor(ac.Parallelism)
	a.AddTaskManagers(n)
	base.Logger.Info("application cluster starting", "application", ac.Name, "rest", a.RestURL(), "taskmanagers", n, "restore", ac.Restore)
	return a, nil
}

func (a *AppCluster) newProc(name string) *process {
	return &process{name: name, env: a.env, logPath: filepath.Join(a.cfg.Dir, "log", name+".out"),
		spawner: a.spawner, log: a.log}
}

// TaskManagersFor is how many TaskManagers give a parallelism its slots.
func (a *AppCluster) TaskManagersFor(parallelism int) int {
	return (max(parallelism, 1) + a.cfg.SlotsPerTM - 1) / a.cfg.SlotsPerTM
}

// AddTaskManagers starts n more TaskManagers and returns their resource
// ids (each TaskManager registers with the JobManager under its id, which
// names its log too).
func (a *AppCluster) AddTaskManagers(n int) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var ids []string
	for range n {
		if a.closed {
			break
		}
		a.tmSeq++
		name := fmt.Sprintf("%s-%d", AppTaskManager, a.tmSeq)
		p := a.newProc(name)
		p.argv = append(withLogFile(a.tmArgv, filepath.Join(a.cfg.Dir, "log", name+".log")), "-D", "taskmanager.resource-id="+name)
		a.tms = append(a.tms, p)
		p.run()
		ids = append(ids, name)
	}
	return ids
}

// TaskManagerIDs returns the resource ids of the running TaskManagers,
// oldest first.
func (a *AppCluster) TaskManagerIDs() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := make([]string, len(a.tms))
	for i, p := range a.tms {
		ids[i] = p.name
	}
	return ids
}

// StopTaskManager stops one TaskManager (SIGTERM, then SIGKILL after a
// grace period) and waits for it. Tasks it still ran fail over.
func (a *AppCluster) StopTaskManager(id string) error {
	a.mu.Lock()
	var p *process
	for i, q := range a.tms {
		if q.name == id {
			p = q
			a.tms = append(a.tms[:i:i], a.tms[i+1:]...)
			break
		}
	}
	a.mu.Unlock()
	if p == nil {
		return fmt.Errorf("localflink: no TaskManager %q in application %s", id, a.cfg.Name)
	}
	return p.stop()
}

// renewTaskManagers replaces every TaskManager with a new one, before a
// Python application's JobManager starts again after a crash. The job of
// a Python program ships flink-python as a user jar, which the restarted
// JobManager uploads again under a new blob key; a TaskManager that ran
// the job keeps its class loader of the old key for the same job id, and
// refuses every deployment of the job ("different library blobs") for as
// long as it holds slots of it.
func (a *AppCluster) renewTaskManagers() {
	ids := a.TaskManagerIDs()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.StopTaskManager(id); err != nil {
				a.log.Warn("application TaskManager not stopped", "taskmanager", id, "err", err)
			}
		}()
	}
	wg.Wait()
	a.AddTaskManagers(len(ids))
}

// resumeFrom is what the JobManager starts from: the run's newest retained
// checkpoint once it has one (after a crash), else the configured restore.
func (a *AppCluster) resumeFrom() string {
	if chk := LatestCheckpoint(filepath.Join(a.cfg.Dir, "checkpoints", a.cfg.RunDir)); chk != "" {
		return chk
	}
	return a.cfg.Restore
}

// LatestCheckpoint returns the newest complete checkpoint (a chk-N
// directory with its _metadata) under dir/<job id>/, or "".
func LatestCheckpoint(dir string) string {
	metas, _ := filepath.Glob(filepath.Join(dir, "*", "chk-*", "_metadata"))
	best, bestN := "", -1
	for _, m := range metas {
		chk := filepath.Dir(m)
		n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(chk), "chk-"))
		if err == nil && n > bestN {
			best, bestN = chk, n
		}
	}
	return best
}

// appConfig is the application cluster's config.yaml: the notebook
// cluster's catalog, its own ports and directories, the adaptive scheduler,
// checkpoints retained on cancel, and a JobManager that stays up after its
// job ends so Eddy reads the outcome from it (Eddy stops it then).
func appConfig(base Config, ac AppConfig, rpc, rest int) string {
	e := map[string]string{
		"jobmanager.rpc.address":                "127.0.0.1",
		"jobmanager.rpc.port":                   strconv.Itoa(rpc),
		"jobmanager.bind-host":                  "127.0.0.1",
		"jobmanager.memory.process.size":        ac.JobManagerMemory,
		"jobmanager.scheduler":                  "adaptive",
		"taskmanager.host":                      "127.0.0.1",
		"taskmanager.bind-host":                 "127.0.0.1",
		"taskmanager.numberOfTaskSlots":         strconv.Itoa(ac.SlotsPerTM),
		"taskmanager.memory.process.size":       ac.TaskManagerMemory,
		"parallelism.default":                   strconv.Itoa(ac.Parallelism),
		"rest.address":                          "127.0.0.1",
		"rest.bind-address":                     "127.0.0.1",
		"rest.port":                             strconv.Itoa(rest),
		"web.submit.enable":                     "false",
		"web.cancel.enable":                     "false",
		"blob.server.port":                      "0",
		"pipeline.name":                         ac.Name,
		"execution.checkpointing.interval":      fmt.Sprintf("%d ms", ac.CheckpointInterval.Milliseconds()),
		"execution.checkpointing.dir":           "file://" + filepath.Join(ac.Dir, "checkpoints", ac.RunDir),
		"execution.checkpointing.savepoint-dir": "file://" + filepath.Join(ac.Dir, "snapshots"),
		"execution.checkpointing.externalized-checkpoint-retention": "RETAIN_ON_CANCELLATION",
		"execution.shutdown-on-application-finish":                  "false",
		"io.tmp.dirs":        filepath.Join(ac.Dir, "tmp"),
		"heartbeat.interval": "2000",
		"heartbeat.timeout":  "20000",
	}
	if ac.MaxParallelism > 0 {
		e["pipeline.max-parallelism"] = strconv.Itoa(ac.MaxParallelism)
	}
	if base.CatalogDir != "" {
		e["table.catalog-store.kind"] = "file"
		e["table.catalog-store.file.path"] = "file://" + filepath.Join(base.Dir, "catalog-store")
		e["table.builtin-catalog-name"] = CatalogName
	}
	pythonConfig(base, e)
	return renderConfig(e)
}

// appCommands returns the JobManager's command line up to its program
// arguments (the restore and the script are added at each start) and the
// TaskManagers'.
func appCommands(ctx context.Context, base Config, ac AppConfig, confDir string) (jm, tm []string, err error) {
	cp, err := base.classpath()
	if err != nil {
		return nil, nil, err
	}
	type params struct{ jvm, dyn []string }
	var jp, tp params
	var jerr, terr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		jp.jvm, jp.dyn, jerr = resourceParams(ctx, base.Java, base.FlinkHome, confDir, "GET_JM_RESOURCE_PARAMS")
	}()
	go func() {
		defer wg.Done()
		tp.jvm, tp.dyn, terr = resourceParams(ctx, base.Java, base.FlinkHome, confDir, "GET_TM_RESOURCE_PARAMS")
	}()
	wg.Wait()
	if err := errors.Join(jerr, terr); err != nil {
		return nil, nil, err
	}
	logDir := filepath.Join(ac.Dir, "log")
	head := func(role string, extra ...string) []string {
		argv := append([]string{base.Java}, javaModuleFlags...)
		argv = append(argv, extra...)
		return append(argv,
			"-Dlog.file="+filepath.Join(logDir, role+".log"),
			"-Dlog4j.configurationFile=file:"+filepath.Join(confDir, "log4j-console.properties"),
			"-Djava.io.tmpdir="+filepath.Join(ac.Dir, "tmp"))
	}
	jm = append(head(AppJobManager, jp.jvm...), "-cp", cp+string(os.PathListSeparator)+base.GatewayJar,
		"org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint", "--configDir", confDir)
	jm = append(jm, jp.dyn...)
	driver := SQLDriver
	if ac.Python {
		driver = PythonDriver
	}
	jm = append(jm, "--job-classname", driver, "--job-id", ac.JobID)
	tm = append(head(AppTaskManager, append([]string{"-XX:+UseG1GC"}, tp.jvm...)...), "-cp", cp,
		"org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "--configDir", confDir)
	return jm, append(tm, tp.dyn...), nil
}

// RestURL is the application JobManager's REST API and web UI.
func (a *AppCluster) RestURL() string { return fmt.Sprintf("http://127.0.0.1:%d", a.rest) }

// JobManager returns a client of the application's JobManager.
func (a *AppCluster) JobManager() *flink.JobManager { return flink.NewJobManager(a.RestURL(), nil) }

// LogDir is where the application cluster's JVMs write their logs.
func (a *AppCluster) LogDir() string { return filepath.Join(a.cfg.Dir, "log") }

// Crashes returns how often the JobManager was restarted after it died,
// and why it last died.
func (a *AppCluster) Crashes() (int, Exit) { return a.jm.crashes() }

// Close stops the TaskManagers and the JobManager (SIGTERM, then SIGKILL
// after a grace period) and waits for them. Later calls return the same.
func (a *AppCluster) Close() error {
	a.closeOnce.Do(func() {
		a.mu.Lock()
		a.closed = true
		procs := append([]*process{a.jm}, a.tms...)
		a.mu.Unlock()
		errs := make([]error, len(procs))
		var wg sync.WaitGroup
		for i, p := range procs {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = p.stop() }()
		}
		wg.Wait()
		a.spawner.close()
		a.closeErr = errors.Join(errs...)
	})
	return a.closeErr
}

// JobManagerLogTail returns the last lines of the JobManager's log, for
// a failure that Flink's REST API can no longer tell.
func (a *AppCluster) JobManagerLogTail(n int) string {
	return tail(filepath.Join(a.LogDir(), AppJobManager+".log"), n)
}

// withLogFile returns argv with its -Dlog.file set to path.
func withLogFile(argv []string, path string) []string {
	out := append([]string(nil), argv...)
	for i, a := range out {
		if strings.HasPrefix(a, "-Dlog.file=") {
			out[i] = "-Dlog.file=" + path
		}
	}
	return out
}
