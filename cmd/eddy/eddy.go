package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/applications"
	appsqlite "github.com/eddy-notebooks/eddy/applications/sqlite"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/connectors"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/localflink"
	"github.com/eddy-notebooks/eddy/kernel/maven"
	"github.com/eddy-notebooks/eddy/kernel/pyworker"
	"github.com/eddy-notebooks/eddy/metrics"
	"github.com/eddy-notebooks/eddy/notebooks/sqlite"
	"github.com/eddy-notebooks/eddy/server"
	"github.com/eddy-notebooks/eddy/sessions"
	sessionsqlite "github.com/eddy-notebooks/eddy/sessions/sqlite"
)

// Config is everything Eddy can be told at start. DefaultConfig holds the defaults.
type Config struct {
	Addr         string // HTTP listen address
	DataDir      string // notes database, Flink config, logs, savepoints
	Token        string // API credential; generated when empty
	TokenFile    string // file whose first line is the token (instead of Token)
	MaxBodyBytes int64  // request body limit
	// EmbedFrameAncestors are the origins that may frame a paragraph
	// link's embed view, separated by spaces or commas ("" for Eddy only).
	EmbedFrameAncestors string

	// Remote mode: both set means Eddy launches nothing and uses this cluster.
	FlinkGateway string // SQL Gateway base URL
	FlinkRest    string // JobManager REST base URL

	// Local mode.
	FlinkHome        string // Flink distribution (lib/, bin/bash-java-utils.jar)
	GatewayJar       string // flink-sql-gateway jar of the same version
	ConnectorsDir    string // connector and format jars for every Flink process
	CatalogJar       string // Eddy's persistent catalog, kept in <data-dir>/catalog
	TaskManagerSlots int

	// Python is an interpreter with apache-flink (make python's venv), or
	// "" for none. In local mode the cluster runs Python UDFs with it; in
	// both modes it runs the notes' Python workers.
	Python string

	// Kafka: local mode runs a broker (from KafkaLib) unless Kafka is false
	// or KafkaBootstrap names an existing one; remote mode uses
	// KafkaBootstrap, if set.
	Kafka          bool
	KafkaBootstrap string
	KafkaLib       string

	MavenRepository string // where flink.execution.packages come from

	// Sessions and KPUs.
	KPUCapacity        int           // 0: derived (local: 2 per TaskManager slot; remote: 2 per cluster slot)
	ParallelismPerKPU  int           // job parallelism one KPU carries
	SessionIdleTimeout time.Duration // 0 disables
	KPUPricePerHour    float64       // for cost estimates
	MaxResultRows      int           // rows kept per result

	// ApplicationQuotas bound applications (defaults: Studio's).
	ApplicationQuotas applications.Quotas
	// Autoscale is the applications' autoscaling rule (default: Amazon
	// Managed Service for Apache Flink's).
	Autoscale applications.Autoscale

	LogOutput io.Writer // where Eddy's own log goes; stderr by default
	LogFormat string    // "text" (default) or "json"

	// MetricsListen, when set, is a second listen address that serves
	// /metrics without authentication (a host-less ":9464" binds
	// loopback). The main address serves /metrics to signed-in users.
	MetricsListen string
	// PprofListen, when set, is a listen address that serves Go's
	// profiles (/debug/pprof/) without authentication (":6060" binds
	// loopback).
	PprofListen string
}

// makePrivate takes group and other access away from dir, which holds the
// notes, the catalog and the cluster's state. It returns the mode it had
// when it changed it, else 0.
func makePrivate(dir string) (os.FileMode, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, err
	}
	mode := fi.Mode().Perm()
	if mode&0o077 == 0 {
		return 0, nil
	}
	if err := os.Chmod(dir, mode&0o700); err != nil {
		return 0, fmt.Errorf("make the data directory private: %w", err)
	}
	return mode, nil
}

// readTokenFile reads the API token from the first line of a file.
func readTokenFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--token-file: %w", err)
	}
	tok, _, _ := strings.Cut(string(b), "\n")
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return "", fmt.Errorf("--token-file %s: the first line is empty", path)
	}
	return tok, nil
}

// DefaultConfig returns the configuration Eddy runs with when given no flags.
func DefaultConfig() Config {
	return Config{
		Addr:             "127.0.0.1:8890",
		DataDir:          "./data",
		MaxBodyBytes:     server.DefaultMaxBodyBytes,
		FlinkHome:        defaultFlinkPath("EDDY_FLINK_HOME", "home"),
		GatewayJar:       defaultFlinkPath("EDDY_GATEWAY_JAR", ""),
		ConnectorsDir:    defaultFlinkPath("EDDY_CONNECTORS_DIR", "connectors"),
		CatalogJar:       defaultFlinkPath("EDDY_CATALOG_JAR", filepath.Join("catalog", "eddy-catalog.jar")),
		TaskManagerSlots: 4,
		Python:           defaultPython(),
		Kafka:            true,
		KafkaLib:         defaultKafkaLib(),
		MavenRepository:  maven.DefaultRepository,
		LogOutput:        os.Stderr,
		LogFormat:        logText,

		ParallelismPerKPU:  1,
		SessionIdleTimeout: sessions.DefaultIdleTimeout,
		KPUPricePerHour:    sessions.DefaultPricePerHour,
		MaxResultRows:      kernel.DefaultMaxRows,
		ApplicationQuotas:  applications.DefaultQuotas,
		Autoscale:          applications.DefaultAutoscale,
	}
}

// RegisterFlags binds the serve flags to c.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "HTTP listen address")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "log format: text or json")
	fs.StringVar(&c.MetricsListen, "metrics-listen", c.MetricsListen, "also serve Prometheus /metrics WITHOUT authentication on this address, e.g. 127.0.0.1:9464 (':9464' binds loopback; default: only on --addr, to signed-in users)")
	fs.StringVar(&c.PprofListen, "pprof-listen", c.PprofListen, "serve Go's profiles (/debug/pprof/) WITHOUT authentication on this address, e.g. 127.0.0.1:6060 (':6060' binds loopback; default: not served)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "data directory (notes database, Flink config and logs)")
	fs.StringVar(&c.Token, "token", c.Token, "API token (default: $EDDY_TOKEN, else a random token printed at start); it shows in ps: prefer --token-file")
	fs.StringVar(&c.TokenFile, "token-file", c.TokenFile, "file holding the API token (its first line)")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest accepted request body, in bytes")
	fs.StringVar(&c.EmbedFrameAncestors, "embed-frame-ancestors", c.EmbedFrameAncestors, "origins that may put a shared paragraph's embed view in an iframe, e.g. 'https://dash.example.com' (default: Eddy's own pages only)")
	fs.StringVar(&c.FlinkGateway, "flink-gateway", c.FlinkGateway, "remote mode: URL of an existing Flink SQL Gateway")
	fs.StringVar(&c.FlinkRest, "flink-rest", c.FlinkRest, "remote mode: URL of the JobManager REST API of that cluster")
	fs.StringVar(&c.FlinkHome, "flink-home", c.FlinkHome, "local mode: Flink distribution directory (make flink installs one)")
	fs.StringVar(&c.GatewayJar, "gateway-jar", c.GatewayJar, "local mode: the flink-sql-gateway jar")
	fs.StringVar(&c.ConnectorsDir, "connectors-dir", c.ConnectorsDir, "local mode: directory of connector and format jars put on every Flink process's classpath")
	fs.StringVar(&c.CatalogJar, "catalog-jar", c.CatalogJar, "local mode: the jar of Eddy's persistent catalog (make flink builds it)")
	fs.BoolVar(&c.Kafka, "kafka", c.Kafka, "local mode: run a local Kafka broker beside Flink")
	fs.StringVar(&c.KafkaBootstrap, "kafka-bootstrap", c.KafkaBootstrap, "use an existing Kafka at host:port instead of a local broker")
	fs.StringVar(&c.MavenRepository, "maven-repository", c.MavenRepository, "Maven repository that notes' flink.execution.packages are fetched from")
	fs.StringVar(&c.KafkaLib, "kafka-lib", c.KafkaLib, "local mode: directory of the Kafka broker's jars (make kafka installs them)")
	fs.StringVar(&c.Python, "python", c.Python, "Python with apache-flink, for Python UDFs in the local cluster and for Python workers ('' for none; make python installs one)")
	fs.IntVar(&c.TaskManagerSlots, "taskmanager-slots", c.TaskManagerSlots, "local mode: task slots of the TaskManager")
	fs.IntVar(&c.KPUCapacity, "kpu-capacity", c.KPUCapacity, "KPUs the cluster offers (default: 2 per task slot)")
	fs.IntVar(&c.ParallelismPerKPU, "parallelism-per-kpu", c.ParallelismPerKPU, "job parallelism that one KPU carries")
	fs.DurationVar(&c.SessionIdleTimeout, "session-idle-timeout", c.SessionIdleTimeout, "end a notebook session idle this long (0 disables)")
	fs.Float64Var(&c.KPUPricePerHour, "kpu-price-per-hour", c.KPUPricePerHour, "price of one KPU-hour, for cost estimates")
	fs.IntVar(&c.MaxResultRows, "max-result-rows", c.MaxResultRows, "rows kept and shown per result")
	fs.IntVar(&c.ApplicationQuotas.Applications, "max-applications", c.ApplicationQuotas.Applications, "most applications")
	fs.IntVar(&c.ApplicationQuotas.KPUsPerApplication, "max-application-kpus", c.ApplicationQuotas.KPUsPerApplication, "most KPUs one application may hold")
	fs.IntVar(&c.ApplicationQuotas.TagsPerApplication, "max-application-tags", c.ApplicationQuotas.TagsPerApplication, "most tags per application")
	fs.IntVar(&c.ApplicationQuotas.SnapshotsPerApplication, "max-application-snapshots", c.ApplicationQuotas.SnapshotsPerApplication, "most snapshots kept per application")
	fs.Float64Var(&c.Autoscale.UpCPU, "autoscale-up-cpu", c.Autoscale.UpCPU, "autoscaling: double an application's parallelism when its CPU use (percent of its vCPUs) stays at or above this for --autoscale-up-window")
	fs.DurationVar(&c.Autoscale.UpWindow, "autoscale-up-window", c.Autoscale.UpWindow, "autoscaling: how long the CPU use must stay high to scale up")
	fs.Float64Var(&c.Autoscale.DownCPU, "autoscale-down-cpu", c.Autoscale.DownCPU, "autoscaling: halve an application's parallelism (never below the one set) when its CPU use stays below this for --autoscale-down-window")
	fs.DurationVar(&c.Autoscale.DownWindow, "autoscale-down-window", c.Autoscale.DownWindow, "autoscaling: how long the CPU use must stay low to scale down")
	fs.DurationVar(&c.Autoscale.Interval, "autoscale-interval", c.Autoscale.Interval, "autoscaling: how often an application's TaskManagers' CPU time is read")
}

// Validate reports the first configuration error, if any.
func (c *Config) Validate() error {
	switch {
	case c.LogFormat != "" && c.LogFormat != logText && c.LogFormat != logJSON:
		return fmt.Errorf("--log-format must be %s or %s, not %q", logText, logJSON, c.LogFormat)
	case c.Token != "" && c.TokenFile != "":
		return errors.New("give the token with --token or --token-file, not both")
	case (c.FlinkGateway == "") != (c.FlinkRest == ""):
		return errors.New("remote mode needs both --flink-gateway and --flink-rest")
	case c.TaskManagerSlots < 1:
		return errors.New("--taskmanager-slots must be at least 1")
	case c.MaxBodyBytes < 1024:
		return errors.New("--max-body-bytes must be at least 1024")
	case c.KPUCapacity < 0:
		return errors.New("--kpu-capacity must not be negative")
	case c.KPUCapacity > 0 && c.KPUCapacity < sessions.SessionKPUs+sessions.FirstJobKPUs:
		return fmt.Errorf("--kpu-capacity must be 0 (derived) or at least %d: a session's %d KPUs and %d for its first job",
			sessions.SessionKPUs+sessions.FirstJobKPUs, sessions.SessionKPUs, sessions.FirstJobKPUs)
	case c.ParallelismPerKPU < 1:
		return errors.New("--parallelism-per-kpu must be at least 1")
	case c.SessionIdleTimeout < 0:
		return errors.New("--session-idle-timeout must not be negative")
	case c.KPUPricePerHour < 0:
		return errors.New("--kpu-price-per-hour must not be negative")
	case c.MaxResultRows < 1:
		return errors.New("--max-result-rows must be at least 1")
	case c.ApplicationQuotas.Applications < 1 || c.ApplicationQuotas.TagsPerApplication < 0 || c.ApplicationQuotas.SnapshotsPerApplication < 1:
		return errors.New("--max-applications and --max-application-snapshots must be at least 1, --max-application-tags not negative")
	case c.ApplicationQuotas.KPUsPerApplication < applications.OrchestrationKPUs+1:
		return fmt.Errorf("--max-application-kpus must be at least %d: an application's orchestration KPU and one for its job", applications.OrchestrationKPUs+1)
	case c.Autoscale.DownCPU <= 0 || c.Autoscale.UpCPU > 100 || c.Autoscale.DownCPU >= c.Autoscale.UpCPU:
		return fmt.Errorf("--autoscale-down-cpu (%g) and --autoscale-up-cpu (%g) must satisfy 0 < down < up ≤ 100", c.Autoscale.DownCPU, c.Autoscale.UpCPU)
	case c.Autoscale.UpWindow <= 0 || c.Autoscale.DownWindow <= 0:
		return errors.New("--autoscale-up-window and --autoscale-down-window must be positive")
	case c.Autoscale.Interval <= 0 || c.Autoscale.Interval > min(c.Autoscale.UpWindow, c.Autoscale.DownWindow):
		return errors.New("--autoscale-interval must be positive and at most the shorter autoscaling window")
	}
	return nil
}

// Main is the composition root: it owns every long-lived component.
type Main struct {
	Config Config
	Log    *slog.Logger

	metrics    *metrics.Metrics
	metricsSrv *sideServer // nil without --metrics-listen
	pprofSrv   *sideServer // nil without --pprof-listen

	server  *server.Server
	cluster *kernel.Cluster
	local   *localflink.Cluster // nil in remote mode
	notes   *sqlite.Store       // the one owner of the database file; closed last
	started time.Time           // when Run began: jobs started before are not this run's
	jars    *maven.Resolver     // jars notes ask for by coordinates
	conns   *connectors.Service // the cluster's connector jars
	manager *sessions.Manager
	apps    *applications.Manager
	// appsOpen is closed once apps is set: the cluster's readiness
	// goroutine waits for it before resuming applications.
	appsOpen chan struct{}

	ctx    context.Context // canceled by Close; owns background start-up work
	cancel context.CancelFunc
	wg     sync.WaitGroup // background start-up work (waiting for the local cluster)
}

// NewMain returns a Main for cfg; Run starts it.
func NewMain(cfg Config) *Main {
	if cfg.LogOutput == nil {
		cfg.LogOutput = os.Stderr
	}
	return &Main{Config: cfg, Log: newLogger(cfg.LogOutput, cfg.LogFormat)}
}

// Run validates the configuration and starts everything; it returns once
// Eddy is serving. Close stops what Run started, also after a failed Run.
func (m *Main) Run(ctx context.Context) error {
	cfg := &m.Config
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.TokenFile != "" {
		tok, err := readTokenFile(cfg.TokenFile)
		if err != nil {
			return err
		}
		cfg.Token = tok
	}
	generated := cfg.Token == ""
	if generated {
		buf := make([]byte, 24)
		if _, err := rand.Read(buf); err != nil {
			return err
		}
		cfg.Token = hex.EncodeToString(buf)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if was, err := makePrivate(cfg.DataDir); err != nil {
		return err
	} else if was != 0 {
		m.Log.Warn("the data directory was readable by others; it is now private to its owner", "dir", cfg.DataDir, "was", was, "now", os.FileMode(0o700))
	}
	notes, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, sqlite.FileName))
	if err != nil {
		return err
	}
	m.notes = notes
	m.openMetrics()
	// Nothing runs before the sessions start: a paragraph stored as running
	// was cut off by a crash.
	if n, err := notes.AbortInterrupted(ctx, "Eddy restarted while this paragraph was running, which ended its run. Run it again."); err != nil {
		return err
	} else if n > 0 {
		m.Log.Warn("paragraphs were running when Eddy last stopped; marked ABORT", "count", n)
	}

	m.started = time.Now()
	m.appsOpen = make(chan struct{})
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.jars = &maven.Resolver{Repository: cfg.MavenRepository, Dir: filepath.Join(cfg.DataDir, "jars")}
	m.conns = &connectors.Service{Dir: filepath.Join(cfg.DataDir, "connectors"), Fetch: m.jars.Fetch}
	if err := m.startFlink(ctx); err != nil {
		return err
	}
	capacity := cfg.KPUCapacity
	if capacity == 0 {
		capacity = m.defaultCapacity(ctx)
	}
	m.manager = sessions.NewManager(sessions.Config{
		OpenKernel:        m.openKernel,
		Completer:         kernel.NewCompleter(m.cluster),
		Store:             m.notes,
		Usage:             sessionsqlite.NewUsageStore(m.notes),
		KPUCapacity:       capacity,
		ParallelismPerKPU: cfg.ParallelismPerKPU,
		IdleTimeout:       cfg.SessionIdleTimeout,
		PricePerHour:      cfg.KPUPricePerHour,
		Logger:            m.Log,
		RunWithoutSession: func(ctx context.Context, noteID, paragraphID string) error {
			return kernel.RunWithoutSession(ctx, kernel.Config{NoteID: noteID, Store: m.notes, Logger: m.Log}, paragraphID)
		},
	})
	m.manager.Open()
	if m.local == nil && cfg.KPUCapacity == 0 {
		m.followRemoteCapacity()
	}
	if err := m.metrics.Register(metrics.NewRuntime(m.manager)); err != nil {
		return err
	}
	if err := m.openApplications(ctx); err != nil {
		return err
	}
	close(m.appsOpen)

	examples, err := filepath.Abs(filepath.Join(cfg.DataDir, "examples"))
	if err != nil {
		return err
	}
	m.server, err = server.New(server.Config{
		ExampleFiles:   examples,
		Addr:           cfg.Addr,
		Token:          cfg.Token,
		MaxBodyBytes:   cfg.MaxBodyBytes,
		FrameAncestors: strings.FieldsFunc(cfg.EmbedFrameAncestors, func(r rune) bool { return r == ',' || r == ' ' }),
		Logger:         m.Log,
		Cluster:        m.cluster,
		Notes:          m.notes,
		Access:         access.NewStore(m.notes),
		Sessions:       m.manager,
		Connectors:     m.conns,
		Applications:   m.apps,
		Metrics:        m.metrics,
		MetricsHandler: m.metrics.Handler(),
	})
	if err != nil {
		return err
	}
	if err := m.server.Open(); err != nil {
		return err
	}
	if cfg.MetricsListen != "" {
		addr, err := sideListenAddr("metrics-listen", cfg.MetricsListen)
		if err != nil {
			return err
		}
		if m.metricsSrv, err = openMetricsServer(addr, m.metrics.Handler(), m.Log); err != nil {
			return err
		}
		m.Log.Info("serving metrics without authentication", "url", "http://"+m.metricsSrv.Addr()+"/metrics")
	}
	if cfg.PprofListen != "" {
		addr, err := sideListenAddr("pprof-listen", cfg.PprofListen)
		if err != nil {
			return err
		}
		if m.pprofSrv, err = openPprofServer(addr, m.Log); err != nil {
			return err
		}
		m.Log.Info("serving Go profiles without authentication", "url", "http://"+m.pprofSrv.Addr()+"/debug/pprof/")
	}
	// The token is printed only when Eddy made it up: one given with
	// --token-file, --token or $EDDY_TOKEN stays out of logs.
	if generated {
		fmt.Fprintf(cfg.LogOutput, "Eddy is running at %s/?token=%s\n", m.server.URL(), cfg.Token)
	} else {
		fmt.Fprintf(cfg.LogOutput, "Eddy is running at %s\nOpen %s/?token=TOKEN with the token you gave, or sign in at %s/login\n", m.server.URL(), m.server.URL(), m.server.URL())
	}
	return nil
}

// openKernel opens a note's kernel on the cluster: sessions call it when a
// note's session starts.
func (m *Main) openKernel(ctx context.Context, kc sessions.KernelConfig) (sessions.Kernel, error) {
	k, err := kernel.Open(ctx, kernel.Config{
		NoteID:   kc.NoteID,
		Cluster:  m.cluster,
		Store:    m.notes,
		Admitter: kc.Admitter,
		Packages: m.jars,
		MaxRows:  m.Config.MaxResultRows,
		Logger:   m.Log.With("session", kc.SessionID),
		OnChange: kc.OnChange,
		PlansDir: kernel.PlansDir(m.cluster, m.Config.DataDir),
	})
	if err != nil {
		return nil, err // not a nil *kernel.Kernel inside the interface
	}
	return k, nil
}

// Close shuts down in a fixed order: HTTP and websockets first, then the
// notebook sessions (their jobs), the background start-up work, the Flink
// cluster, and the database last. It honours ctx and returns the first
// error.
func (m *Main) Close(ctx context.Context) error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if m.cancel != nil {
		m.cancel()
	}
	if m.metricsSrv != nil {
		keep(m.metricsSrv.Close(ctx))
	}
	if m.pprofSrv != nil {
		keep(m.pprofSrv.Close(ctx))
	}
	if m.server != nil {
		keep(m.server.Close(ctx))
	}
	if m.apps != nil {
		// Before the sessions and the cluster: running applications stop
		// with a snapshot to resume from at the next start.
		keep(m.apps.Close(ctx))
	}
	if m.manager != nil {
		keep(m.manager.Close(ctx))
	}
	m.wg.Wait() // the readiness wait ends with m.ctx
	if m.local != nil {
		keep(m.local.Close())
	}
	if m.notes != nil {
		keep(m.notes.Close())
	}
	if m.metrics != nil {
		flink.SetCallObserver(nil)
	}
	return first
}

// defaultFlinkPath finds the provisioned Flink next to the binary
// (bin/eddy → ../.flink), unless env names a path.
func defaultFlinkPath(env, name string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	dir := filepath.Join(filepath.Dir(filepath.Dir(exe)), ".flink")
	if name != "" {
		return filepath.Join(dir, name)
	}
	jars, _ := filepath.Glob(filepath.Join(dir, "jars", "flink-sql-gateway-*.jar"))
	if len(jars) > 0 {
		return jars[0]
	}
	return ""
}

// defaultPython is the Python that make python installs next to the
// binary (bin/eddy → ../.flink/pyvenv/bin/python), or $EDDY_PYTHON; ""
// when that file does not exist, so Eddy runs without Python.
func defaultPython() string {
	p := defaultFlinkPath("EDDY_PYTHON", filepath.Join("pyvenv", "bin", "python"))
	if _, err := os.Stat(p); p == "" || err != nil {
		return ""
	}
	return p
}

// defaultKafkaLib finds the provisioned Kafka broker next to the binary
// (bin/eddy → ../.kafka/lib), unless EDDY_KAFKA_LIB names a directory.
func defaultKafkaLib() string {
	if v := os.Getenv("EDDY_KAFKA_LIB"); v != "" {
		return v
	}
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return filepath.Join(filepath.Dir(filepath.Dir(exe)), ".kafka", "lib")
}

// connectorJars lists the jars in dir; a missing directory has none.
func connectorJars(dir string) []string {
	if dir == "" {
		return nil
	}
	jars, _ := filepath.Glob(filepath.Join(dir, "*.jar"))
	return jars
}

// pythonWorkers says how notes' Python workers start: they submit to the
// JobManager at restURL and, given the local cluster's config file, share
// its catalog store and settings. Nil without --python.
func (m *Main) pythonWorkers(restURL, confFile string) *pyworker.Config {
	cfg := &m.Config
	if cfg.Python == "" {
		return nil
	}
	conf := map[string]string{"execution.target": "remote"}
	if u, err := url.Parse(restURL); err == nil {
		conf["rest.address"] = u.Hostname()
		if p := u.Port(); p != "" {
			conf["rest.port"] = p
		}
	}
	// Absolute: the SQL Gateway imports the shared functions' modules
	// from file:// URLs under it.
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "python"))
	if err != nil {
		dir = filepath.Join(cfg.DataDir, "python")
	}
	var jars []string
	if cfg.CatalogJar != "" {
		jars = append(jars, cfg.CatalogJar)
	}
	return &pyworker.Config{
		Python:   cfg.Python,
		Dir:      dir,
		ConfFile: confFile,
		Conf:     conf,
		// The catalog jar also reads query results for the worker.
		Classpath: jars,
		Jars:      m.conns.Jars,
		Logger:    m.Log,
	}
}

// localReadyTimeout bounds how long a local cluster may take to come up.
const localReadyTimeout = 5 * time.Minute

// startFlink connects to the remote cluster, or launches the local one. A
// local cluster comes up in the background: Eddy serves at once and reports
// the cluster as not ready until it is.
func (m *Main) startFlink(ctx context.Context) error {
	cfg := &m.Config
	if cfg.FlinkGateway != "" {
		m.cluster = kernel.NewCluster(kernel.ModeRemote, cfg.FlinkGateway, cfg.FlinkRest)
		m.cluster.JobManager = m.cluster.JobManager.WithWebUI(server.FlinkUIPath)
		m.cluster.Kafka, m.cluster.KafkaMode = cfg.KafkaBootstrap, kernel.ModeRemote
		m.cluster.Python = m.pythonWorkers(cfg.FlinkRest, "")
		m.watchKafka()
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			m.reconcileJobs()
			m.resumeApplications()
		}()
		return nil
	}
	catalogDir, err := filepath.Abs(filepath.Join(cfg.DataDir, "catalog"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.CatalogJar); err != nil {
		return fmt.Errorf("eddy's catalog jar %q: %w: run 'make flink' or pass --catalog-jar", cfg.CatalogJar, err)
	}
	m.conns.Bundled = append(connectorJars(cfg.ConnectorsDir), cfg.CatalogJar)
	lc := localflink.Config{
		FlinkHome:        cfg.FlinkHome,
		GatewayJar:       cfg.GatewayJar,
		ConnectorJars:    m.conns.Jars(),
		CatalogDir:       catalogDir,
		Dir:              filepath.Join(cfg.DataDir, "flink"),
		TaskManagerSlots: cfg.TaskManagerSlots,
		Python:           cfg.Python,
		Logger:           m.Log,
	}
	if cfg.Kafka && cfg.KafkaBootstrap == "" {
		lc.Kafka = localflink.KafkaConfig{Lib: cfg.KafkaLib, Dir: filepath.Join(cfg.DataDir, "kafka")}
	}
	local, err := localflink.Start(ctx, lc)
	if err != nil {
		return err
	}
	m.local = local
	m.cluster = kernel.NewCluster(kernel.ModeLocal, local.GatewayURL(), local.RestURL())
	m.cluster.JobManager = m.cluster.JobManager.WithWebUI(server.FlinkUIPath) // links go through Eddy, whatever the ports
	m.cluster.SetStarting(time.Now())
	m.cluster.Python = m.pythonWorkers(local.RestURL(), local.ConfigFile())
	m.conns.Restart = func(ctx context.Context, jars []string) error {
		// Restarting, the cluster reports its processes as starting; after
		// either outcome it reports what its processes answer.
		m.cluster.SetStarting(time.Now())
		defer m.cluster.SetReady()
		if err := local.RestartFlink(ctx, jars); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(ctx, localReadyTimeout)
		defer cancel()
		return local.WaitReady(ctx)
	}
	m.conns.JobsRunning = func(ctx context.Context) (int, error) {
		ov, err := m.cluster.JobManager.Overview(ctx)
		return ov.JobsRunning, err
	}
	switch {
	case local.KafkaBootstrap() != "":
		m.cluster.Kafka, m.cluster.KafkaMode = local.KafkaBootstrap(), kernel.ModeLocal
		m.cluster.KafkaCrashes = local.KafkaCrashes
	case cfg.KafkaBootstrap != "":
		m.cluster.Kafka, m.cluster.KafkaMode = cfg.KafkaBootstrap, kernel.ModeRemote
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		readyCtx, cancel := context.WithTimeout(m.ctx, localReadyTimeout)
		defer cancel()
		start := time.Now()
		if err := local.WaitReady(readyCtx); err != nil {
			if m.ctx.Err() == nil {
				m.cluster.SetStartError(err.Error())
				m.Log.Error("local flink cluster did not become ready", "err", err)
			}
			return
		}
		m.cluster.SetReady()
		m.Log.Info("local flink cluster ready", "after", time.Since(start).Round(time.Millisecond), "webui", local.RestURL())
		m.reconcileJobs()
		m.resumeApplications()
		if err := local.WaitKafkaReady(readyCtx); err != nil {
			if m.ctx.Err() == nil {
				m.Log.Error("local kafka broker did not become ready", "err", err)
			}
			return
		}
		if b := local.KafkaBootstrap(); b != "" {
			m.Log.Info("local kafka broker ready", "after", time.Since(start).Round(time.Millisecond), "bootstrap", b)
		}
		m.watchKafka() // once up: a broker still starting has no outage to report
	}()
	return nil
}

// reconcileJobs cancels the cluster's jobs that an earlier run of Eddy
// started for its notes and nothing follows any more (kernel.ReconcileJobs).
func (m *Main) reconcileJobs() {
	ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
	defer cancel()
	known := func(noteID string) bool {
		_, err := m.notes.FindNoteByID(ctx, noteID)
		return err == nil
	}
	cancelled, err := kernel.ReconcileJobs(ctx, m.cluster.JobManager, m.started, known)
	for _, j := range cancelled {
		m.Log.Warn("cancelled a job an earlier run of Eddy left running", "job", j.ID, "name", j.Name)
	}
	if err != nil && m.ctx.Err() == nil {
		m.Log.Warn("cannot check the cluster for jobs left running", "err", err)
	}
}

// watchKafka follows the Kafka broker's outages (kernel.Cluster.WatchKafka)
// until Eddy stops, so paragraphs can tell why a Kafka job stalled.
func (m *Main) watchKafka() {
	if m.cluster.Kafka == "" {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.cluster.WatchKafka(m.ctx)
	}()
}

// defaultCapacity derives the KPU capacity: two per task slot, so that each
// slot can carry a job KPU while notebook sessions' two orchestration KPUs
// each are covered too. With the default 4 slots that is 8 KPUs: two notes
// each running a parallelism-2 job (2 + 2 KPUs each). In remote mode the
// slots are read from the JobManager (if it cannot be reached, 8), and
// followed while Eddy runs (followRemoteCapacity).
func (m *Main) defaultCapacity(ctx context.Context) int {
	if m.local != nil {
		return 2 * m.Config.TaskManagerSlots
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if ov, err := m.cluster.JobManager.Overview(ctx); err == nil && ov.SlotsTotal > 0 {
		return 2 * ov.SlotsTotal
	}
	m.Log.Warn("cannot read the cluster's slots; KPU capacity defaults to 8 (set --kpu-capacity)")
	return 8
}

// capacityPoll is how often Eddy reads a remote cluster's task slots to
// derive its KPU capacity.
const capacityPoll = 5 * time.Second

// followRemoteCapacity keeps the KPU capacity of a remote cluster at two per
// task slot it has now, until Eddy stops: TaskManagers that register late,
// are added or are lost change it. While the JobManager does not answer, or
// reports no slot at all, the capacity stays as it was (a cluster briefly
// without TaskManagers keeps its sessions).
func (m *Main) followRemoteCapacity() {
	ledger := m.manager.Ledger()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(capacityPoll)
		defer tick.Stop()
		for {
			select {
			case <-m.ctx.Done():
				return
			case <-tick.C:
			}
			ctx, cancel := context.WithTimeout(m.ctx, capacityPoll)
			ov, err := m.cluster.JobManager.Overview(ctx)
			cancel()
			if err != nil || ov.SlotsTotal <= 0 {
				continue
			}
			if was, now := ledger.Capacity(), 2*ov.SlotsTotal; now != was {
				ledger.SetCapacity(now)
				m.Log.Info("the remote cluster's task slots changed; KPU capacity follows", "slots", ov.SlotsTotal, "kpus", now, "was", was)
			}
		}
	}()
}

// openApplications loads the applications. In local mode they run on
// their own clusters by default (or on the notebook cluster); in remote
// mode only on the remote cluster, as detached jobs.
func (m *Main) openApplications(ctx context.Context) error {
	cfg := &m.Config
	dir, err := filepath.Abs(filepath.Join(cfg.DataDir, "applications"))
	if err != nil {
		return err
	}
	runners := map[string]applications.Runner{
		applications.TargetSession: &applications.SessionRunner{Gateway: m.cluster.Gateway, JobManager: m.cluster.JobManager, LocalState: m.local != nil},
	}
	target := applications.TargetSession
	if m.local != nil {
		runners[applications.TargetStandalone] = &applications.StandaloneRunner{Base: m.local.Config, SlotsPerTaskManager: cfg.ParallelismPerKPU, WebUI: server.FlinkAppUIPath}
		target = applications.TargetStandalone
	}
	m.apps = applications.NewManager(applications.Config{
		Store:             appsqlite.NewStore(m.notes),
		Notes:             m.notes,
		Capacity:          m.manager,
		Gateway:           m.cluster.Gateway,
		Packages:          m.jars,
		Runners:           runners,
		DefaultTarget:     target,
		Dir:               dir,
		Quotas:            cfg.ApplicationQuotas,
		ParallelismPerKPU: cfg.ParallelismPerKPU,
		PricePerHour:      cfg.KPUPricePerHour,
		Autoscale:         cfg.Autoscale,
		NoteJobs:          m.manager,
		Logger:            m.Log,
	})
	return m.apps.Open(ctx)
}

// resumeApplications starts again the applications that ran when Eddy
// last stopped, once the cluster is up.
func (m *Main) resumeApplications() {
	select {
	case <-m.appsOpen:
	case <-m.ctx.Done():
		return
	}
	m.apps.Resume(m.ctx)
}
