// Package localflink runs Eddy's embedded Flink: one JobManager, one
// TaskManager and a SQL Gateway as supervised child JVMs on loopback, on free
// ports chosen at start, with config, logs and state in Eddy's data directory;
// and, when asked, a Kafka broker beside them (kafka.go), so notes have a
// real stream to read and write.
package localflink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/atomicfile"
	"github.com/eddy-notebooks/eddy/kernel/flink"
)

// Config says where Flink is and how to run it. Zero values get defaults.
type Config struct {
	FlinkHome         string // distribution directory: lib/, bin/bash-java-utils.jar
	GatewayJar        string // flink-sql-gateway jar of the same Flink version
	Dir               string // working directory: conf/, log/, checkpoints/, savepoints/, tmp/
	TaskManagerSlots  int    // default 4
	JobManagerMemory  string // jobmanager.memory.process.size, default 1024m
	TaskManagerMemory string // taskmanager.memory.process.size, default 1728m
	GatewayHeap       string // -Xmx of the gateway JVM, default 1g
	// ConnectorJars go on the classpath of the gateway, the JobManager and
	// the TaskManager, after lib/ and before flink-dist (connectors, formats).
	ConnectorJars []string
	// CatalogDir holds Eddy's persistent catalog (the eddy-catalog jar must
	// be among ConnectorJars): every session starts in catalog "eddy",
	// whose tables, views and functions live there. "" keeps Flink's
	// in-memory default catalog.
	CatalogDir string
	Kafka      KafkaConfig // a local Kafka broker; none when Kafka.Lib is ""
	Java       string      // java binary; default $JAVA_HOME/bin/java, else java on PATH
	Logger     *slog.Logger
	// Python is an interpreter that has apache-flink (a venv's bin/python),
	// for Python UDFs; "" for none. With it, flink-python from opt/ goes on
	// every JVM's classpath and config.yaml names it as python.executable
	// and python.client.executable. It is made absolute, not resolved: a
	// venv's python is a symlink that only works under its own path.
	Python string
}

func (c *Config) setDefaults() {
	if c.TaskManagerSlots <= 0 {
		c.TaskManagerSlots = 4
	}
	if c.JobManagerMemory == "" {
		c.JobManagerMemory = "1024m"
	}
	if c.TaskManagerMemory == "" {
		c.TaskManagerMemory = "1728m"
	}
	if c.GatewayHeap == "" {
		c.GatewayHeap = "1g"
	}
	c.Kafka.setDefaults(c.Dir)
	if c.Python != "" {
		if abs, err := filepath.Abs(c.Python); err == nil {
			c.Python = abs
		}
	}
	if c.Java == "" {
		c.Java = "java"
		if home := os.Getenv("JAVA_HOME"); home != "" {
			c.Java = filepath.Join(home, "bin", "java")
		}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// childEnv is the environment the JVMs inherit: Eddy's own, less Eddy's
// settings (EDDY_TOKEN above all: job code runs in those JVMs).
func childEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "EDDY_") {
			out = append(out, kv)
		}
	}
	return out
}

// Role names of the processes, also their log file names.
const (
	JobManager  = "jobmanager"
	TaskManager = "taskmanager"
	SQLGateway  = "sql-gateway"
	KafkaBroker = "kafka"
)

// Cluster is a running local Flink cluster. Close stops it.
type Cluster struct {
	cfg     Config
	ports   ports
	spawner *spawner
	env     []string // of every process

	// restartMu serialises RestartFlink and Close.
	restartMu sync.Mutex
	procsMu   sync.Mutex // guards procs and cfg.ConnectorJars
	procs     map[string]*process

	closeOnce sync.Once
	closeErr  error // the first error of stopping the JVMs, set by closeOnce
}

// Start writes the configuration and starts the three JVMs. It returns once
// they are launched; WaitReady waits until the cluster can run queries.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	cfg.setDefaults()
	if err := checkInstall(cfg); err != nil {
		return nil, err
	}
	if err := checkPython(ctx, cfg.Python); err != nil {
		return nil, err
	}
	for _, d := range []string{"conf", "log", "checkpoints", "savepoints", "tmp", "catalog-store"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("localflink: %w", err)
		}
	}
	nums, err := freePorts(5)
	if err != nil {
		return nil, fmt.Errorf("localflink: %w", err)
	}
	p := ports{RPC: nums[0], REST: nums[1], Gateway: nums[2], Kafka: nums[3], KafkaController: nums[4]}
	confDir := filepath.Join(cfg.Dir, "conf")
	if err := prepareCatalog(cfg); err != nil {
		return nil, fmt.Errorf("localflink: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(confDir, "config.yaml"), flinkConfig(cfg, cfg.Dir, p)); err != nil {
		return nil, fmt.Errorf("localflink: write config: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(confDir, "log4j-console.properties"), log4jConfig); err != nil {
		return nil, fmt.Errorf("localflink: write log4j config: %w", err)
	}

	argv, err := commands(ctx, cfg, confDir)
	if err != nil {
		return nil, fmt.Errorf("localflink: %w", err)
	}
	if cfg.Kafka.enabled() {
		if argv[KafkaBroker], err = prepareKafka(ctx, cfg, confDir, &p); err != nil {
			return nil, fmt.Errorf("localflink: %w", err)
		}
	}
	c := &Cluster{cfg: cfg, ports: p, spawner: newSpawner(), procs: map[string]*process{}}
	c.env = append(childEnv(os.Environ()), "FLINK_CONF_DIR="+confDir, "FLINK_HOME="+cfg.FlinkHome,
		"FLINK_PLUGINS_DIR="+filepath.Join(cfg.FlinkHome, "plugins"))
	for _, role := range c.roles() {
		c.startProcess(role, argv[role])
	}
	cfg.Logger.Info("local flink cluster starting", "rest", c.RestURL(), "gateway", c.GatewayURL(), "kafka", c.KafkaBootstrap(), "logs", filepath.Join(cfg.Dir, "log"))
	return c, nil
}

// startProcess starts and supervises one role's JVM.
func (c *Cluster) startProcess(role string, argv []string) {
	proc := &process{
		name:    role,
		argv:    argv,
		env:     c.env,
		logPath: filepath.Join(c.cfg.Dir, "log", role+".out"),
		spawner: c.spawner,
		log:     c.cfg.Logger,
	}
	c.procsMu.Lock()
	c.procs[role] = proc
	c.procsMu.Unlock()
	proc.run()
}

// process returns a role's supervised process, or nil.
func (c *Cluster) process(role string) *process {
	c.procsMu.Lock()
	defer c.procsMu.Unlock()
	return c.procs[role]
}

// RestartFlink stops the JobManager, the TaskManager and the gateway and
// starts them again on the same ports with connectorJars on their
// classpath (the Kafka broker keeps running). Running jobs end and every
// gateway session is lost: kernels reopen and replay theirs. It returns
// once the JVMs are launched; WaitReady waits until they are up.
func (c *Cluster) RestartFlink(ctx context.Context, connectorJars []string) error {
	c.restartMu.Lock()
	defer c.restartMu.Unlock()
	cfg := c.cfg
	cfg.ConnectorJars = connectorJars
	if _, err := cfg.classpath(); err != nil {
		return fmt.Errorf("localflink: %w", err)
	}
	argv, err := commands(ctx, cfg, filepath.Join(cfg.Dir, "conf"))
	if err != nil {
		return fmt.Errorf("localflink: %w", err)
	}
	errs := c.stopRoles(SQLGateway, TaskManager, JobManager)
	c.procsMu.Lock()
	c.cfg.ConnectorJars = connectorJars
	c.procsMu.Unlock()
	for _, role := range []string{JobManager, TaskManager, SQLGateway} {
		c.startProcess(role, argv[role])
	}
	c.cfg.Logger.Info("local flink cluster restarted", "connector jars", len(connectorJars))
	return errors.Join(errs...)
}

// stopRoles stops the roles' JVMs together and waits for them; errs[i] is
// the error of stopping roles[i].
func (c *Cluster) stopRoles(roles ...string) []error {
	errs := make([]error, len(roles))
	var wg sync.WaitGroup
	for i, role := range roles {
		if p := c.process(role); p != nil {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = p.stop() }()
		}
	}
	wg.Wait()
	return errs
}

// roles are the processes of this cluster, in start order.
func (c *Cluster) roles() []string {
	roles := []string{JobManager, TaskManager, SQLGateway}
	if c.cfg.Kafka.enabled() {
		roles = append(roles, KafkaBroker)
	}
	return roles
}

// checkInstall fails early, with what to do, when Flink or Java is missing.
func checkInstall(cfg Config) error {
	if cfg.Dir == "" {
		return errors.New("localflink: no working directory")
	}
	if _, err := cfg.classpath(); err != nil {
		return fmt.Errorf("localflink: %w", err)
	}
	if cfg.Python != "" {
		if fi, err := os.Stat(cfg.Python); err != nil || fi.IsDir() {
			return fmt.Errorf("localflink: python %q not found: run 'make python' or pass --python", cfg.Python)
		}
	}
	if err := cfg.Kafka.check(); err != nil {
		return fmt.Errorf("localflink: %w", err)
	}
	if _, err := os.Stat(cfg.GatewayJar); err != nil || cfg.GatewayJar == "" {
		return fmt.Errorf("localflink: flink-sql-gateway jar %q not found: run 'make flink' or pass --gateway-jar", cfg.GatewayJar)
	}
	if _, err := exec.LookPath(cfg.Java); err != nil {
		return fmt.Errorf("localflink: java not found (%s): install OpenJDK 17", cfg.Java)
	}
	return nil
}

// checkPython fails early when python, if set, cannot import pyflink:
// Flink would accept it and fail only at the first Python UDF, with an
// error from deep inside a job.
func checkPython(ctx context.Context, python string) error {
	if python == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, python, "-c", "import pyflink").CombinedOutput(); err != nil {
		return fmt.Errorf("localflink: python %s cannot import pyflink (%v): %s: run 'make python' or pass --python", python, err, lastLines(out, 1))
	}
	return nil
}

// commands builds the three JVM command lines the way Flink's scripts do:
// memory flags from BashJavaUtils, Java 17 module flags, log4j to the log
// directory, and the lib classpath with the connector jars and
// flink-python if cfg has a Python (plus the gateway jar for the gateway).
func commands(ctx context.Context, cfg Config, confDir string) (map[string][]string, error) {
	cp, err := cfg.classpath()
	if err != nil {
		return nil, err
	}
	type params struct {
		jvm, dyn []string
		err      error
	}
	var jm, tm params
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		jm.jvm, jm.dyn, jm.err = resourceParams(ctx, cfg.Java, cfg.FlinkHome, confDir, "GET_JM_RESOURCE_PARAMS")
	}()
	go func() {
		defer wg.Done()
		tm.jvm, tm.dyn, tm.err = resourceParams(ctx, cfg.Java, cfg.FlinkHome, confDir, "GET_TM_RESOURCE_PARAMS")
	}()
	wg.Wait()
	if err := errors.Join(jm.err, tm.err); err != nil {
		return nil, err
	}
	logDir := filepath.Join(cfg.Dir, "log")
	base := func(role string, extra ...string) []string {
		argv := append([]string{cfg.Java}, javaModuleFlags...)
		argv = append(argv, extra...)
		return append(argv,
			"-Dlog.file="+filepath.Join(logDir, role+".log"),
			"-Dlog4j.configurationFile=file:"+filepath.Join(confDir, "log4j-console.properties"),
			"-Djava.io.tmpdir="+filepath.Join(cfg.Dir, "tmp"),
		)
	}
	out := map[string][]string{}
	out[JobManager] = append(append(base(JobManager, jm.jvm...), "-cp", cp,
		"org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
		"--configDir", confDir, "--executionMode", "cluster"), jm.dyn...)
	tmFlags := append([]string{"-XX:+UseG1GC"}, tm.jvm...)
	out[TaskManager] = append(append(base(TaskManager, tmFlags...), "-cp", cp,
		"org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "--configDir", confDir), tm.dyn...)
	out[SQLGateway] = append(base(SQLGateway, "-Xmx"+cfg.GatewayHeap),
		"-cp", cp+string(os.PathListSeparator)+cfg.GatewayJar, "org.apache.flink.table.gateway.SqlGateway")
	return out, nil
}

// RestURL is the JobManager REST API and web UI.
func (c *Cluster) RestURL() string { return fmt.Sprintf("http://127.0.0.1:%d", c.ports.REST) }

// ConfigFile is the cluster's config.yaml, which Python workers read to
// share its catalog store, time zone and Python settings.
func (c *Cluster) ConfigFile() string { return filepath.Join(c.cfg.Dir, "conf", "config.yaml") }

// GatewayURL is the SQL Gateway REST API.
func (c *Cluster) GatewayURL() string { return fmt.Sprintf("http://127.0.0.1:%d", c.ports.Gateway) }

// LogDir is where the JVMs write their logs.
func (c *Cluster) LogDir() string { return filepath.Join(c.cfg.Dir, "log") }

// WaitReady waits until the JobManager has a registered TaskManager with
// slots and the gateway answers. On timeout the error carries the tail of
// the logs of whatever is not up.
func (c *Cluster) WaitReady(ctx context.Context) error {
	jm := flink.NewJobManager(c.RestURL(), nil)
	gw := flink.NewGateway(c.GatewayURL(), nil)
	var lastErr error
	for {
		lastErr = c.probe(ctx, jm, gw)
		if lastErr == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return &NotReadyError{Waiting: lastErr, LogDir: c.LogDir(), Crashes: c.crashTails()}
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (c *Cluster) probe(ctx context.Context, jm *flink.JobManager, gw *flink.Gateway) error {
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	o, err := jm.Overview(pctx)
	if err != nil {
		return fmt.Errorf("the JobManager does not answer (%s): %w", NetCause(err), err)
	}
	if o.TaskManagers < 1 || o.SlotsTotal < 1 {
		return errors.New("no TaskManager has registered with the JobManager")
	}
	if _, err := gw.Info(pctx); err != nil {
		return fmt.Errorf("the SQL Gateway does not answer (%s): %w", NetCause(err), err)
	}
	return nil
}

// NotReadyError is why a local cluster did not come up in time: what it
// was still waiting for, where the logs are, and the end of the output of
// every process that crashed.
type NotReadyError struct {
	Waiting error
	LogDir  string
	Crashes string
}

// Error says it in words: "Flink did not start: the SQL Gateway does not
// answer (connection refused). Its logs are in …".
func (e *NotReadyError) Error() string {
	msg := e.Waiting.Error()
	if i := strings.Index(msg, "): "); i >= 0 {
		msg = msg[:i+1] // the words and the cause, without the Go error again
	}
	return fmt.Sprintf("Flink did not start: %s. Its logs are in %s.%s", msg, e.LogDir, e.Crashes)
}

func (e *NotReadyError) Unwrap() error { return e.Waiting }

// NetCause is the end of a network error worth showing a person:
// "connection refused" of "Get "http://…": dial tcp 127.0.0.1:8081:
// connect: connection refused", a timeout as such, else the error's text.
func NetCause(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer in time"
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		msg := op.Err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return msg
	}
	return err.Error()
}

// Close stops the gateway, the TaskManager, the JobManager and the Kafka
// broker together (SIGTERM, then SIGKILL after a grace period), waits until
// all have exited and every goroutine of the cluster has returned. It
// returns the first error of stopping them, in the order gateway,
// TaskManager, JobManager, Kafka, and logs the others; a JVM that ends on
// SIGTERM is no error. Later calls return the same.
func (c *Cluster) Close() error {
	c.restartMu.Lock()
	defer c.restartMu.Unlock()
	c.closeOnce.Do(func() {
		errs := c.stopRoles(SQLGateway, TaskManager, JobManager, KafkaBroker)
		c.spawner.close()
		for _, err := range errs {
			if err == nil {
				continue
			}
			if c.closeErr == nil {
				c.closeErr = fmt.Errorf("localflink: stop: %w", err)
			} else {
				c.cfg.Logger.Warn("local flink: stopping a process failed", "err", err)
			}
		}
	})
	return c.closeErr
}

// writeFileAtomic writes data to path through a temp file, fsync and rename.
func writeFileAtomic(path, data string) error {
	return atomicfile.Write(path, strings.NewReader(data))
}

// crashTails returns the end of the output of every JVM that has crashed,
// so a start-up failure says why without opening the logs.
func (c *Cluster) crashTails() string {
	var b strings.Builder
	for _, role := range c.roles() {
		if p := c.process(role); p != nil && p.restartCount() > 0 {
			fmt.Fprintf(&b, "\n%s crashed %d times; the end of %s:\n%s", role, p.restartCount(), p.logPath, tail(p.logPath, 8))
		}
	}
	return b.String()
}

// tail returns the last lines of a log file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(lastLines(b, n))
}
