package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

// TestEddy_ZeppelinJavaClient runs clients/zeppelin, a JUnit test that
// drives Eddy with Apache Zeppelin's own Java client (zeppelin-client from
// Maven Central, unchanged): it logs in as a member with a password, then
// creates, edits, runs, clones, renames and deletes notes. Maven runs
// offline: `make clients` (a prerequisite of `make test-go`) resolves the
// project's dependencies beforehand.
func TestEddy_ZeppelinJavaClient(t *testing.T) {
	mvn, err := exec.LookPath("mvn")
	if err != nil {
		t.Fatal("Maven is missing: install it (Debian: apt-get install maven)")
	}
	root, err := flinktest.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	base := startEddyOnTestCluster(t, t.TempDir())

	// A member made by the admin: the client logs in with a name and a
	// password, as it does with Zeppelin's Shiro login.
	buf := make([]byte, 12)
	_, _ = rand.Read(buf)
	user, password := "zeppelin-client", hex.EncodeToString(buf)
	var created struct {
		Name string `json:"name"`
		Role string `json:"role"`
	}
	if code := native(t, base, http.MethodPost, "/api/v1/users", map[string]string{"name": user, "password": password, "role": "member"}, &created); code != http.StatusCreated || created.Name != user || created.Role != "member" {
		t.Fatalf("create the member: HTTP %d %+v", code, created)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, mvn, "--batch-mode", "--offline", "-f", filepath.Join(root, "clients", "zeppelin", "pom.xml"), "test",
		"-Deddy.url="+base, "-Deddy.user="+user, "-Deddy.password="+password)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("Zeppelin's client against Eddy failed (%v); if a dependency is missing, run 'make clients':\n%s", err, out)
	}
	// Surefire's summary, so the log shows what ran.
	if i := strings.LastIndex(string(out), "Tests run:"); i >= 0 {
		summary, _, _ := strings.Cut(string(out[i:]), "\n")
		t.Log(summary)
		if strings.HasPrefix(summary, "Tests run: 0,") {
			t.Fatalf("no JUnit test ran:\n%s", out)
		}
	} else {
		t.Fatalf("Maven ran no tests:\n%s", out)
	}
}

// startEddyOnTestCluster runs eddy serve (with the token "t") against the
// Flink cluster and Kafka broker the test run shares (scripts/with-flink)
// and returns its base URL once the cluster is ready. Without a shared
// cluster it starts Eddy in local mode with its own (startEddy).
func startEddyOnTestCluster(t *testing.T, dataDir string) string {
	t.Helper()
	gateway, rest, kafka := os.Getenv(flinktest.EnvGateway), os.Getenv(flinktest.EnvRest), os.Getenv(flinktest.EnvKafka)
	if gateway == "" || rest == "" || kafka == "" {
		_, base := startEddy(t, dataDir)
		return base
	}
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, base := runEddyMain(t, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--token-file", tokenFile,
		"--flink-gateway", gateway, "--flink-rest", rest, "--kafka-bootstrap", kafka}, nil, time.Minute)
	deadline := time.Now().Add(time.Minute)
	for {
		var st struct {
			Ready bool `json:"ready"`
		}
		req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/cluster", nil)
		req.Header.Set("Authorization", "Bearer t")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
		}
		if st.Ready {
			return base
		}
		if time.Now().After(deadline) {
			t.Fatal("the shared cluster did not become ready for eddy")
		}
		time.Sleep(250 * time.Millisecond)
	}
}
