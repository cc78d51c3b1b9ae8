package remotemode

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

// The remote cluster: a JobManager, two TaskManagers and a SQL Gateway
// started here with Flink's own entry points, in their own directory and
// on their own ports, as an operator would run them. Nothing of Eddy's
// launcher (kernel/localflink) is used, so the suite sees Eddy only as a
// client of a cluster it does not own.

// Sizes of the remote cluster, kept small: make test runs other packages
// and the shared cluster at the same time on two cores.
const (
	taskManagers     = 2
	slotsPerTM       = 3 // not 2: 2 × 3 slots give 12 KPUs, unlike the 8 Eddy falls back to
	clusterStartWait = 3 * time.Minute
)

// Java 17 needs these for Flink, as Flink's scripts pass them
// (env.java.opts.all in the distribution's default config).
var javaOpens = []string{
	"-XX:+IgnoreUnrecognizedVMOptions",
	"--add-exports=java.base/sun.net.util=ALL-UNNAMED",
	"--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
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

// remoteCluster is a running remote cluster. Its processes are killed
// (whole process groups) when the test that started it ends.
type remoteCluster struct {
	dir     string
	rest    string // JobManager REST API
	gateway string // SQL Gateway REST API
	procs   map[string]*exec.Cmd
	argv    map[string][]string // how each process was started, to start it again
	spawn   *spawner
}

// startRemoteCluster writes a Flink config into a temporary directory,
// starts the four JVMs and waits until the JobManager has both
// TaskManagers' slots and the gateway answers.
func startRemoteCluster(t *testing.T) *remoteCluster {
	t.Helper()
	root, err := flinktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(root, ".flink", "home")
	gatewayJars, _ := filepath.Glob(filepath.Join(root, ".flink", "jars", "flink-sql-gateway-*.jar"))
	if len(gatewayJars) != 1 {
		t.Fatalf("want one flink-sql-gateway jar under .flink/jars, found %d: run 'make flink'", len(gatewayJars))
	}
	java := "java"
	if h := os.Getenv("JAVA_HOME"); h != "" {
		java = filepath.Join(h, "bin", "java")
	}
	dir, err := os.MkdirTemp("", "eddy-remote-")
	if err != nil {
		t.Fatal(err)
	}
	c := &remoteCluster{dir: dir, procs: map[string]*exec.Cmd{}, argv: map[string][]string{}, spawn: newSpawner()}
	t.Cleanup(func() { c.stop(t) })

	ports, err := freePorts(3)
	if err != nil {
		t.Fatal(err)
	}
	rpc, rest, gw := ports[0], ports[1], ports[2]
	c.rest = fmt.Sprintf("http://127.0.0.1:%d", rest)
	c.gateway = fmt.Sprintf("http://127.0.0.1:%d", gw)
	conf := filepath.Join(dir, "conf")
	for _, d := range []string{conf, filepath.Join(dir, "log"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	settings := map[string]string{
		"jobmanager.rpc.address":                 "127.0.0.1",
		"jobmanager.rpc.port":                    fmt.Sprint(rpc),
		"jobmanager.bind-host":                   "127.0.0.1",
		"jobmanager.memory.process.size":         "1024m",
		"taskmanager.host":                       "127.0.0.1",
		"taskmanager.bind-host":                  "127.0.0.1",
		"taskmanager.numberOfTaskSlots":          fmt.Sprint(slotsPerTM),
		"taskmanager.memory.process.size":        "1024m",
		"taskmanager.memory.managed.fraction":    "0.1",
		"rest.address":                           "127.0.0.1",
		"rest.bind-address":                      "127.0.0.1",
		"rest.port":                              fmt.Sprint(rest),
		"blob.server.port":                       "0",
		"parallelism.default":                    "1",
		"io.tmp.dirs":                            filepath.Join(dir, "tmp"),
		"heartbeat.interval":                     "2000",
		"heartbeat.timeout":                      "10000",
		"sql-gateway.endpoint.rest.address":      "127.0.0.1",
		"sql-gateway.endpoint.rest.bind-address": "127.0.0.1",
		"sql-gateway.endpoint.rest.port":         fmt.Sprint(gw),
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: '%s'\n", k, settings[k])
	}
	if err := os.WriteFile(filepath.Join(conf, "config.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	log4j := "rootLogger.level = INFO\nrootLogger.appenderRef.file.ref = File\n" +
		"appender.file.name = File\nappender.file.type = File\nappender.file.fileName = ${sys:log.file}\n" +
		"appender.file.layout.type = PatternLayout\nappender.file.layout.pattern = %d %-5p %c - %m%n\n"
	if err := os.WriteFile(filepath.Join(conf, "log4j.properties"), []byte(log4j), 0o644); err != nil {
		t.Fatal(err)
	}

	cp, err := flinkClasspath(home)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	jmJVM, jmDyn, err := memoryParams(ctx, java, home, cp, conf, "GET_JM_RESOURCE_PARAMS")
	if err != nil {
		t.Fatal(err)
	}
	tmJVM, tmDyn, err := memoryParams(ctx, java, home, cp, conf, "GET_TM_RESOURCE_PARAMS")
	if err != nil {
		t.Fatal(err)
	}
	jvm := func(role string, flags ...string) []string {
		argv := append([]string{java}, javaOpens...)
		argv = append(argv, flags...)
		return append(argv, "-Dlog.file="+filepath.Join(dir, "log", role+".log"),
			"-Dlog4j.configurationFile=file:"+filepath.Join(conf, "log4j.properties"),
			"-Djava.io.tmpdir="+filepath.Join(dir, "tmp"))
	}
	c.start(t, "jobmanager", append(append(jvm("jobmanager", jmJVM...), "-cp", cp,
		"org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
		"--configDir", conf, "--executionMode", "cluster"), jmDyn...))
	for i := 1; i <= taskManagers; i++ {
		name := fmt.Sprintf("tm%d", i)
		c.start(t, name, append(append(jvm(name, tmJVM...), "-cp", cp,
			"org.apache.flink.runtime.taskexecutor.TaskManagerRunner", "--configDir", conf,
			"-Dtaskmanager.resource-id="+name), tmDyn...))
	}
	c.start(t, "gateway", append(jvm("gateway", "-Xmx512m"), "-cp", cp+string(os.PathListSeparator)+gatewayJars[0],
		"org.apache.flink.table.gateway.SqlGateway"))

	deadline := time.Now().Add(clusterStartWait)
	for {
		var ov overview
		errJM := getJSON(c.rest+"/overview", &ov)
		errGW := getJSON(c.gateway+"/v1/info", &struct{}{})
		if errJM == nil && errGW == nil && ov.TaskManagers == taskManagers && ov.SlotsTotal == taskManagers*slotsPerTM {
			return c
		}
		for name, cmd := range c.procs {
			if cmd.ProcessState != nil || !flinktest.Alive(cmd.Process.Pid) {
				t.Fatalf("remote cluster: %s exited:\n%s", name, c.logTail(name))
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("remote cluster not ready after %s (jobmanager: %v, gateway: %v, %+v)", clusterStartWait, errJM, errGW, ov)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// start runs one JVM of the cluster in its own process group, with the
// cluster's config directory in FLINK_CONF_DIR (the gateway reads it there).
func (c *remoteCluster) start(t *testing.T, name string, argv []string) {
	t.Helper()
	out, err := os.OpenFile(filepath.Join(c.dir, "log", name+".out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), "FLINK_CONF_DIR="+filepath.Join(c.dir, "conf"))
	if err := c.spawn.start(cmd); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	c.procs[name], c.argv[name] = cmd, argv
}

// restart starts a killed process again, as an operator would.
func (c *remoteCluster) restart(t *testing.T, name string) {
	t.Helper()
	c.start(t, name, c.argv[name])
}

// kill ends one process of the cluster with SIGKILL, as a crash or a lost
// machine would, and waits for it.
func (c *remoteCluster) kill(t *testing.T, name string) {
	t.Helper()
	cmd := c.procs[name]
	if cmd == nil {
		t.Fatalf("no process %q", name)
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
}

// stop kills every process group of the cluster, checks that no JVM of it
// is left and removes its directory (kept, with its logs, if the test failed).
func (c *remoteCluster) stop(t *testing.T) {
	for _, cmd := range c.procs {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		if cmd.ProcessState == nil {
			_ = cmd.Wait()
		}
	}
	c.spawn.close()
	for deadline := time.Now().Add(20 * time.Second); len(flinktest.JVMsUsing(c.dir)) > 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("JVMs of the remote cluster still running: %v", flinktest.JVMsUsing(c.dir))
			break
		}
	}
	if t.Failed() {
		for name := range c.procs {
			t.Logf("remote cluster %s log (last lines):\n%s", name, c.logTail(name))
		}
		t.Logf("remote cluster directory kept: %s", c.dir)
		return
	}
	_ = os.RemoveAll(c.dir)
}

// logTail returns the last lines of a process's log.
func (c *remoteCluster) logTail(name string) string {
	var all []string
	for _, f := range []string{name + ".out", name + ".log"} {
		b, _ := os.ReadFile(filepath.Join(c.dir, "log", f))
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) > 15 {
			lines = lines[len(lines)-15:]
		}
		all = append(all, lines...)
	}
	return strings.Join(all, "\n")
}

// busyTaskManager returns the resource id (the process name, tm1 or tm2)
// of a TaskManager whose slots are in use; it fails the test if none is.
func (c *remoteCluster) busyTaskManager(t *testing.T) string {
	t.Helper()
	tm := c.taskManagerInUse(t)
	if tm == "" {
		t.Fatal("no TaskManager has a slot in use")
	}
	return tm
}

// taskManagerInUse returns the resource id of a TaskManager whose slots
// are in use, "" if none is.
func (c *remoteCluster) taskManagerInUse(t *testing.T) string {
	t.Helper()
	var tms struct {
		TaskManagers []struct {
			ID        string `json:"id"`
			SlotsNum  int    `json:"slotsNumber"`
			FreeSlots int    `json:"freeSlots"`
		} `json:"taskmanagers"`
	}
	if err := getJSON(c.rest+"/taskmanagers", &tms); err != nil {
		t.Fatal(err)
	}
	for _, tm := range tms.TaskManagers {
		if tm.FreeSlots < tm.SlotsNum {
			return tm.ID
		}
	}
	return ""
}

// jobState returns a job's state as the remote JobManager reports it.
func (c *remoteCluster) jobState(t *testing.T, jobID string) string {
	t.Helper()
	var job struct {
		State string `json:"state"`
	}
	if err := getJSON(c.rest+"/jobs/"+jobID, &job); err != nil {
		t.Fatal(err)
	}
	return job.State
}

// overview is the JobManager's /overview.
type overview struct {
	TaskManagers int `json:"taskmanagers"`
	SlotsTotal   int `json:"slots-total"`
	JobsRunning  int `json:"jobs-running"`
}

func getJSON(url string, v any) error {
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// flinkClasspath is lib/*.jar with flink-dist last, as Flink's scripts
// build it.
func flinkClasspath(home string) (string, error) {
	jars, _ := filepath.Glob(filepath.Join(home, "lib", "*.jar"))
	sort.Strings(jars)
	var cp []string
	dist := ""
	for _, j := range jars {
		if strings.HasPrefix(filepath.Base(j), "flink-dist") {
			dist = j
			continue
		}
		cp = append(cp, j)
	}
	if dist == "" {
		return "", fmt.Errorf("no flink-dist jar in %s/lib: run 'make flink'", home)
	}
	return strings.Join(append(cp, dist), string(os.PathListSeparator)), nil
}

// memoryParams asks Flink's BashJavaUtils for a role's JVM memory flags
// and -D memory settings, as jobmanager.sh and taskmanager.sh do.
func memoryParams(ctx context.Context, java, home, cp, conf, command string) (jvm, dynamic []string, err error) {
	out, err := exec.CommandContext(ctx, java, "-cp", filepath.Join(home, "bin", "bash-java-utils.jar")+string(os.PathListSeparator)+cp,
		"org.apache.flink.runtime.util.bash.BashJavaUtils", command, "--configDir", conf).CombinedOutput()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w: %s", command, err, out)
	}
	var results []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if r, ok := strings.CutPrefix(sc.Text(), "BASH_JAVA_UTILS_EXEC_RESULT:"); ok {
			results = append(results, r)
		}
	}
	if len(results) < 2 {
		return nil, nil, fmt.Errorf("%s: unexpected output: %s", command, out)
	}
	return strings.Fields(results[0]), strings.Fields(results[len(results)-1]), nil
}

// freePorts returns n distinct free ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	var out []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// spawner starts children from one locked OS thread, so that their
// parent-death signal (SIGKILL) fires when the test process dies, even
// without its cleanups (a panic, a go test timeout), and not before.
type spawner struct {
	reqs chan spawnReq
	done chan struct{}
}

type spawnReq struct {
	cmd *exec.Cmd
	err chan error
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnReq), done: make(chan struct{})}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		for {
			select {
			case r := <-s.reqs:
				r.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
				r.err <- r.cmd.Start()
			case <-s.done:
				return
			}
		}
	}()
	return s
}

func (s *spawner) start(cmd *exec.Cmd) error {
	r := spawnReq{cmd: cmd, err: make(chan error, 1)}
	select {
	case s.reqs <- r:
		return <-r.err
	case <-s.done:
		return errors.New("spawner closed")
	}
}

// close ends the spawner's thread: children still running get SIGKILL.
func (s *spawner) close() { close(s.done) }
