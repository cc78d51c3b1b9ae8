package localflink

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// javaModuleFlags are the flags Flink's own config.yaml passes to every JVM on
// Java 17 (env.java.opts.all): Flink and Kryo reach into these JDK internals.
var javaModuleFlags = []string{
	"-XX:+IgnoreUnrecognizedVMOptions",
	"--add-exports=java.base/sun.net.util=ALL-UNNAMED",
	"--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
	"--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED",
	"--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
	"--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED",
	"--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED",
	"--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED",
	"--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
	"--add-opens=java.base/java.lang=ALL-UNNAMED",
	"--add-opens=java.base/java.net=ALL-UNNAMED",
	"--add-opens=java.base/java.io=ALL-UNNAMED",
	"--add-opens=java.base/java.nio=ALL-UNNAMED",
	"--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
	"--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
	"--add-opens=java.base/java.text=ALL-UNNAMED",
	"--add-opens=java.base/java.time=ALL-UNNAMED",
	"--add-opens=java.base/java.util=ALL-UNNAMED",
	"--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
	"--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
	"--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
}

// ports are the loopback ports of one local cluster, chosen free at start.
type ports struct {
	RPC             int // JobManager RPC
	REST            int // JobManager REST API and web UI
	Gateway         int // SQL Gateway REST API
	Kafka           int // Kafka broker (PLAINTEXT listener)
	KafkaController int // Kafka's KRaft controller listener
}

// freePorts returns n distinct loopback ports that are free now, chosen at
// random below the kernel's ephemeral range. A port the kernel handed out
// (net.Listen on port 0) sits in that range, where every outgoing connection
// of this machine also takes its local port: one could take it in the second
// before a JVM binds it, and the JVM, restarted on the same port, would fail
// again for as long as that connection lives. Below the range only another
// listener can collide. A machine whose range leaves no room falls back to
// ports the kernel hands out.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	lo, hi := listenRange()
	out := make([]int, 0, n)
	for tries := 0; len(out) < n; tries++ {
		addr := "127.0.0.1:0"
		if hi-lo >= 1000 && tries < 200*n {
			addr = fmt.Sprintf("127.0.0.1:%d", lo+rand.IntN(hi-lo))
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			if addr != "127.0.0.1:0" {
				continue // taken: try another
			}
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// listenRange is where freePorts looks: from 10000 to the start of the
// kernel's ephemeral port range (Linux's default starts at 32768).
func listenRange() (lo, hi int) {
	lo, hi = 10000, 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var a, z int
		if _, err := fmt.Sscan(string(b), &a, &z); err == nil {
			hi = a
		}
	}
	return lo, hi
}

// flinkConfig returns the config.yaml of the local cluster: everything bound
// to loopback, state and logs under dir.
func flinkConfig(cfg Config, dir string, p ports) string {
	entries := map[string]string{
		"jobmanager.rpc.address":          "127.0.0.1",
		"jobmanager.rpc.port":             fmt.Sprint(p.RPC),
		"jobmanager.bind-host":            "127.0.0.1",
		"jobmanager.memory.process.size":  cfg.JobManagerMemory,
		"taskmanager.host":                "127.0.0.1",
		"taskmanager.bind-host":           "127.0.0.1",
		"taskmanager.numberOfTaskSlots":   fmt.Sprint(cfg.TaskManagerSlots),
		"taskmanager.memory.process.size": cfg.TaskManagerMemory,
		"parallelism.default":             "1",
		// Instants (TIMESTAMP_LTZ) print in the session's time zone; name it
		// rather than inherit whatever zone the machine has. A session
		// changes it with SET 'table.local-time-zone'.
		"table.local-time-zone": "UTC",
		"rest.address":          "127.0.0.1",
		"rest.bind-address":     "127.0.0.1",
		"rest.port":             fmt.Sprint(p.REST),
		// Eddy submits through the SQL Gateway and cancels through the
		// REST API: the web UI's jar upload and run (which would let any
		// local user run code in the cluster) and its cancel button (a job
		// cancelled behind Eddy's back) stay off.
		"web.submit.enable":                      "false",
		"web.cancel.enable":                      "false",
		"blob.server.port":                       "0",
		"execution.target":                       "remote",
		"execution.checkpointing.dir":            "file://" + filepath.Join(dir, "checkpoints"),
		"execution.checkpointing.savepoint-dir":  "file://" + filepath.Join(dir, "savepoints"),
		"io.tmp.dirs":                            filepath.Join(dir, "tmp"),
		"heartbeat.interval":                     "2000",
		"heartbeat.timeout":                      "20000",
		"sql-gateway.endpoint.rest.address":      "127.0.0.1",
		"sql-gateway.endpoint.rest.bind-address": "127.0.0.1",
		"sql-gateway.endpoint.rest.port":         fmt.Sprint(p.Gateway),
		// Eddy heartbeats its sessions; a long timeout only bounds leaks.
		"sql-gateway.session.idle-timeout": "60 min",
	}
	if cfg.CatalogDir != "" {
		// Catalogs persist in a file CatalogStore; sessions start in Eddy's.
		entries["table.catalog-store.kind"] = "file"
		entries["table.catalog-store.file.path"] = "file://" + filepath.Join(dir, "catalog-store")
		entries["table.builtin-catalog-name"] = CatalogName
	}
	pythonConfig(cfg, entries)
	return renderConfig(entries)
}

// pythonConfig names cfg's Python, if any, in a cluster's config.yaml:
// TaskManagers run Python UDF workers with python.executable, the gateway
// and JobManagers load Python functions with python.client.executable.
// Either must import pyflink, or the job fails only once it runs.
func pythonConfig(cfg Config, entries map[string]string) {
	if cfg.Python != "" {
		entries["python.executable"] = cfg.Python
		entries["python.client.executable"] = cfg.Python
	}
}

// renderConfig writes entries as a flat config.yaml, keys sorted.
func renderConfig(entries map[string]string) string {
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Written by Eddy at every start of this Flink cluster; edits are overwritten.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %s\n", k, yamlQuote(entries[k]))
	}
	return b.String()
}

func yamlQuote(v string) string {
	if strings.ContainsAny(v, ":#{}[],&*?|<>=!%@`'\" ") {
		return "'" + strings.ReplaceAll(v, "'", "''") + "'"
	}
	return v
}

// log4jConfig logs to the file named by the log.file system property, as
// Flink's own log4j-console.properties does, rolling at 20 MB.
const log4jConfig = `# Written by Eddy.
monitorInterval = 30
rootLogger.level = INFO
rootLogger.appenderRef.rolling.ref = RollingFile
logger.pekko.name = org.apache.pekko
logger.pekko.level = WARN
logger.kafka.name = org.apache.kafka
logger.kafka.level = WARN
logger.hadoop.name = org.apache.hadoop
logger.hadoop.level = WARN
logger.zookeeper.name = org.apache.zookeeper
logger.zookeeper.level = WARN
logger.netty.name = org.jboss.netty.channel.DefaultChannelPipeline
logger.netty.level = OFF
appender.rolling.name = RollingFile
appender.rolling.type = RollingFile
appender.rolling.append = true
appender.rolling.fileName = ${sys:log.file}
appender.rolling.filePattern = ${sys:log.file}.%i
appender.rolling.layout.type = PatternLayout
appender.rolling.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %-60c %x - %m%n
appender.rolling.policies.type = Policies
appender.rolling.policies.size.type = SizeBasedTriggeringPolicy
appender.rolling.policies.size.size = 20MB
appender.rolling.strategy.type = DefaultRolloverStrategy
appender.rolling.strategy.max = 3
`

// classpath returns Flink's lib classpath the way config.sh builds it: every
// jar in lib/, sorted, then the extra jars, with flink-dist last.
func classpath(home string, extra []string) (string, error) {
	jars, err := filepath.Glob(filepath.Join(home, "lib", "*.jar"))
	if err != nil {
		return "", err
	}
	sort.Strings(jars)
	var dist string
	var cp []string
	for _, j := range jars {
		if strings.HasPrefix(filepath.Base(j), "flink-dist") {
			dist = j
			continue
		}
		cp = append(cp, j)
	}
	if dist == "" {
		return "", fmt.Errorf("no flink-dist jar in %s/lib: run 'make flink' or pass --flink-home", home)
	}
	for _, j := range extra {
		if _, err := os.Stat(j); err != nil {
			return "", fmt.Errorf("connector jar %s: %w", j, err)
		}
		cp = append(cp, j)
	}
	return strings.Join(append(cp, dist), string(os.PathListSeparator)), nil
}

// classpath is the classpath of every JVM of a cluster with c (the
// gateway and application JobManagers add the gateway jar): lib/, the
// connector jars, flink-python when c has a Python, flink-dist last.
func (c Config) classpath() (string, error) {
	extra := c.ConnectorJars
	if c.Python != "" {
		jar, err := pythonJar(c.FlinkHome)
		if err != nil {
			return "", err
		}
		extra = append(extra[:len(extra):len(extra)], jar)
	}
	return classpath(c.FlinkHome, extra)
}

// pythonJar finds flink-python in the distribution's opt/. It must be on
// the JVMs' own classpath: the gateway loads Python functions through it
// (PythonFunctionFactory) and the callback server's py4j sees only the
// system classpath, so ADD JAR does not do.
func pythonJar(home string) (string, error) {
	jars, _ := filepath.Glob(filepath.Join(home, "opt", "flink-python-*.jar"))
	switch len(jars) {
	case 0:
		return "", fmt.Errorf("no flink-python jar in %s/opt, which a cluster with Python needs: run 'make flink' or pass --flink-home", home)
	case 1:
		return jars[0], nil
	default:
		return "", fmt.Errorf("%d flink-python jars in %s/opt, want one", len(jars), home)
	}
}

// resourceParams asks Flink's BashJavaUtils for a role's JVM memory flags
// and dynamic memory configuration, exactly as jobmanager.sh and
// taskmanager.sh do: it prints two result lines, JVM params then -D configs.
func resourceParams(ctx context.Context, java, home, confDir, command string) (jvm, dynamic []string, err error) {
	utils := filepath.Join(home, "bin", "bash-java-utils.jar")
	cp, err := classpath(home, nil)
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.CommandContext(ctx, java, "-cp", utils+string(os.PathListSeparator)+cp,
		"org.apache.flink.runtime.util.bash.BashJavaUtils", command, "--configDir", confDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, nil, fmt.Errorf("compute %s: %w: %s", command, err, lastLines(out, 5))
	}
	var results []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if r, found := strings.CutPrefix(sc.Text(), "BASH_JAVA_UTILS_EXEC_RESULT:"); found {
			results = append(results, r)
		}
	}
	if len(results) < 2 {
		return nil, nil, fmt.Errorf("compute %s: unexpected output: %s", command, lastLines(out, 5))
	}
	return strings.Fields(results[0]), strings.Fields(results[len(results)-1]), nil
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// CatalogName is the catalog every session starts in when the cluster has
// Eddy's persistent catalog.
const CatalogName = "eddy"

// prepareCatalog registers Eddy's catalog in the file CatalogStore (as
// CREATE CATALOG would), so that the gateway finds it as the built-in
// catalog of every session. It is rewritten at every start: the catalog's
// directory is Eddy's to say. Catalogs users create sit beside it.
func prepareCatalog(cfg Config) error {
	if cfg.CatalogDir == "" {
		return nil
	}
	if err := os.MkdirAll(cfg.CatalogDir, 0o755); err != nil {
		return err
	}
	opts := CatalogOptions(cfg)
	desc := fmt.Sprintf("default-database: %q\npath: %s\ntype: %q\n", opts["default-database"], yamlQuote(opts["path"]), opts["type"])
	return writeFileAtomic(filepath.Join(cfg.Dir, "catalog-store", CatalogName+".yaml"), desc)
}

// CatalogOptions are the options of CREATE CATALOG that make Eddy's
// persistent catalog; nil when the cluster has none. (Flink's SqlDriver
// does not read the catalog store, so an application's script creates it.)
func CatalogOptions(cfg Config) map[string]string {
	if cfg.CatalogDir == "" {
		return nil
	}
	return map[string]string{"type": "eddy", "path": "file://" + cfg.CatalogDir, "default-database": "default"}
}
