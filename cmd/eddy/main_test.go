package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

// TestMain lets the test binary act as eddy itself, so tests can run the
// real binary's main as a child process and signal it.
func TestMain(m *testing.M) {
	if os.Getenv("EDDY_TEST_AS_MAIN") == "1" {
		os.Args = append([]string{"eddy"}, strings.Split(os.Getenv("EDDY_TEST_ARGS"), "\x1f")...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startEddy runs eddy serve in local mode as a child and waits until its
// cluster is ready; it returns the child and the base URL.
func startEddy(t *testing.T, dataDir string) (*exec.Cmd, string) {
	t.Helper()
	root, err := flinktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	jars, _ := filepath.Glob(filepath.Join(root, ".flink", "jars", "flink-sql-gateway-*.jar"))
	if len(jars) == 0 {
		t.Fatal("flink is not provisioned: run 'make flink'")
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(),
		"EDDY_TEST_AS_MAIN=1",
		"EDDY_TEST_ARGS="+strings.Join([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--token", "t"}, "\x1f"),
		"EDDY_FLINK_HOME="+filepath.Join(root, ".flink", "home"),
		"EDDY_GATEWAY_JAR="+jars[0],
		"EDDY_CONNECTORS_DIR="+filepath.Join(root, ".flink", "connectors"),
		"EDDY_KAFKA_LIB="+filepath.Join(root, ".kafka", "lib"),
	)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if _, rest, found := strings.Cut(sc.Text(), "Eddy is running at "); found {
				u, _, _ := strings.Cut(rest, "/?token=")
				urls <- u
			}
		}
	}()
	var base string
	select {
	case base = <-urls:
	case <-time.After(time.Minute):
		t.Fatal("eddy did not print its URL")
	}
	deadline := time.Now().Add(4 * time.Minute)
	for {
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/cluster", nil)
		req.Header.Set("Authorization", "Bearer t")
		var st struct {
			Ready bool   `json:"ready"`
			Mode  string `json:"mode"`
			Kafka *struct {
				Ready     bool   `json:"ready"`
				Mode      string `json:"mode"`
				Bootstrap string `json:"bootstrap"`
			} `json:"kafka"`
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
		}
		if st.Ready && st.Kafka != nil && st.Kafka.Ready {
			if st.Mode != "local" || st.Kafka.Mode != "local" || !strings.HasPrefix(st.Kafka.Bootstrap, "127.0.0.1:") {
				t.Fatalf("mode = %q, kafka %+v; want both local on loopback", st.Mode, *st.Kafka)
			}
			return cmd, base
		}
		if time.Now().After(deadline) {
			t.Fatal("cluster or kafka did not become ready")
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// jvmsUsing returns the pids of live java processes whose command line
// mentions dir.
func jvmsUsing(dir string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), dir) || !strings.Contains(string(cmdline), "java") {
			continue
		}
		if alive(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

func TestEddy_StopLeavesNoJVM(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd, _ := startEddy(t, dir)
			jvms := jvmsUsing(dir)
			if len(jvms) != 4 {
				t.Fatalf("found %d JVMs for %s, want 4 (jobmanager, taskmanager, gateway, kafka)", len(jvms), dir)
			}
			start := time.Now()
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(shutdownTimeout + 5*time.Second):
				t.Fatalf("eddy did not exit within %s of %s", shutdownTimeout, sig)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			for ctx.Err() == nil {
				var left []int
				for _, pid := range jvms {
					if alive(pid) {
						left = append(left, pid)
					}
				}
				if len(left) == 0 {
					t.Logf("%s: eddy and its JVMs gone after %s", sig, time.Since(start).Round(time.Millisecond))
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Fatalf("JVMs still running after %s of eddy: %v", sig, jvmsUsing(dir))
		})
	}
}
