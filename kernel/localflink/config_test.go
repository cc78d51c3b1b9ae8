package localflink

import (
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fakeHome is a Flink distribution with empty jars: two in lib/ and,
// with python, flink-python in opt/.
func fakeHome(t *testing.T, python bool) string {
	t.Helper()
	home := t.TempDir()
	files := []string{"lib/flink-dist-2.3.0.jar", "lib/flink-table-2.3.0.jar", "gateway.jar"}
	if python {
		files = append(files, "opt/flink-python-2.3.0.jar")
	}
	for _, f := range files {
		p := filepath.Join(home, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

// TestConfig_Classpath: flink-python from opt/ joins the classpath of every
// JVM only when the cluster has a Python, before flink-dist; without it in
// opt/, a cluster with Python does not start.
func TestConfig_Classpath(t *testing.T) {
	t.Run("NoPython", func(t *testing.T) {
		home := fakeHome(t, true)
		cp, err := Config{FlinkHome: home}.classpath()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(cp, "flink-python") {
			t.Fatalf("classpath without Python has flink-python: %s", cp)
		}
	})
	t.Run("Python", func(t *testing.T) {
		home := fakeHome(t, true)
		connector := filepath.Join(home, "gateway.jar")       // any existing jar
		connectors := append(make([]string, 0, 2), connector) // room for an append to write into
		cp, err := Config{FlinkHome: home, Python: "/venv/bin/python", ConnectorJars: connectors}.classpath()
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join([]string{filepath.Join(home, "lib", "flink-table-2.3.0.jar"), connector,
			filepath.Join(home, "opt", "flink-python-2.3.0.jar"), filepath.Join(home, "lib", "flink-dist-2.3.0.jar")}, ":")
		if cp != want {
			t.Fatalf("classpath\n %s\nwant\n %s", cp, want)
		}
		if spare := connectors[:2][1]; spare != "" {
			t.Fatalf("classpath wrote %s into the caller's connector jars", spare)
		}
	})
	t.Run("ErrNoPythonJar", func(t *testing.T) {
		home := fakeHome(t, false)
		_, err := Config{FlinkHome: home, Python: "/venv/bin/python"}.classpath()
		if err == nil || !strings.Contains(err.Error(), "no flink-python jar") {
			t.Fatalf("err = %v, want no flink-python jar", err)
		}
	})
}

// TestCheckInstall_Python: a Python that is not there is a start error
// that says what to do.
func TestCheckInstall_Python(t *testing.T) {
	home := fakeHome(t, true)
	cfg := Config{FlinkHome: home, GatewayJar: filepath.Join(home, "gateway.jar"), Dir: t.TempDir(),
		Python: filepath.Join(home, "missing", "python")}
	cfg.setDefaults()
	err := checkInstall(cfg)
	if err == nil || !strings.Contains(err.Error(), "make python") {
		t.Fatalf("err = %v, want python not found: run 'make python'", err)
	}
}

// TestFlinkConfig_Python: the cluster's and an application's config.yaml
// name the Python for the TaskManagers' workers and for loading functions,
// and say nothing of Python without one.
func TestFlinkConfig_Python(t *testing.T) {
	ac := AppConfig{Dir: "/app", Name: "a", RunDir: "r", Parallelism: 1, SlotsPerTM: 1}
	for _, python := range []string{"", "/venv/bin/python"} {
		cfg := Config{Dir: "/data", Python: python}
		for name, yaml := range map[string]string{
			"cluster":     flinkConfig(cfg, cfg.Dir, ports{}),
			"application": appConfig(cfg, ac, 1, 2),
		} {
			for _, key := range []string{"python.executable", "python.client.executable"} {
				has := strings.Contains(yaml, "\n"+key+": "+python+"\n")
				if python == "" {
					has = strings.Contains(yaml, key)
				}
				if has != (python != "") {
					t.Errorf("%s config with Python %q: %s present = %v", name, python, key, has)
				}
			}
		}
	}
}

func TestFreePorts_BelowTheEphemeralRange(t *testing.T) {
	lo, hi := listenRange()
	if hi-lo < 1000 {
		t.Fatalf("this machine's ephemeral range leaves %d..%d: the test expects room below it", lo, hi)
	}
	// A port held open here is never handed out.
	held, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(lo+rand.IntN(hi-lo)))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldPort := held.Addr().(*net.TCPAddr).Port
	for range 20 {
		ports, err := freePorts(5)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int]bool{}
		for _, p := range ports {
			if p < lo || p >= hi {
				t.Fatalf("port %d outside %d..%d (the kernel hands out outgoing ports above %d)", p, lo, hi, hi)
			}
			if seen[p] || p == heldPort {
				t.Fatalf("port %d handed out twice or while held: %v", p, ports)
			}
			seen[p] = true
		}
		// Each is free: it can be bound at once.
		for _, p := range ports {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				t.Fatalf("port %d is not free: %v", p, err)
			}
			ln.Close()
		}
	}
}
