package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flink"
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
	// The token comes from a file (so it is not in ps); EDDY_TOKEN is set
	// too, to check that no JVM inherits it.
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, base := runEddyMain(t, []string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--token-file", tokenFile},
		[]string{
			"EDDY_TOKEN=env-token-never-used",
			"EDDY_FLINK_HOME=" + filepath.Join(root, ".flink", "home"),
			"EDDY_GATEWAY_JAR=" + jars[0],
			"EDDY_CONNECTORS_DIR=" + filepath.Join(root, ".flink", "connectors"),
			"EDDY_CATALOG_JAR=" + filepath.Join(root, ".flink", "catalog", "eddy-catalog.jar"),
			"EDDY_KAFKA_LIB=" + filepath.Join(root, ".kafka", "lib"),
		},
		3*time.Minute) // a loaded 2-core machine starts JVMs slowly
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

// runEddyMain runs this test binary as eddy with args and extra
// environment, and returns the child and its base URL once it prints it
// (within wait). Its log's last lines are shown when the test fails.
func runEddyMain(t *testing.T, args, env []string, wait time.Duration) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), "EDDY_TEST_AS_MAIN=1", "EDDY_TEST_ARGS="+strings.Join(args, "\x1f")), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	var (
		logMu   sync.Mutex
		logTail []string
	)
	t.Cleanup(func() {
		if t.Failed() {
			logMu.Lock()
			t.Logf("eddy's log (last lines):\n%s", strings.Join(logTail, "\n"))
			logMu.Unlock()
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			if logTail = append(logTail, sc.Text()); len(logTail) > 200 {
				logTail = logTail[1:]
			}
			logMu.Unlock()
			if _, rest, found := strings.Cut(sc.Text(), "Eddy is running at "); found {
				u, _, _ := strings.Cut(rest, "/?token=")
				urls <- u
			}
		}
	}()
	select {
	case base := <-urls:
		return cmd, base
	case <-time.After(wait):
		t.Fatal("eddy did not print its URL")
	}
	return nil, ""
}

func TestEddy_StopLeavesNoJVM(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd, _ := startEddy(t, dir)
			jvms := flinktest.JVMsUsing(dir)
			if len(jvms) != 4 {
				t.Fatalf("found %d JVMs for %s, want 4 (jobmanager, taskmanager, gateway, kafka)", len(jvms), dir)
			}
			// No JVM (where job code runs) can read the token.
			for _, pid := range jvms {
				env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(env, []byte("EDDY_TOKEN=")) {
					t.Fatalf("JVM %d inherited EDDY_TOKEN", pid)
				}
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
					if flinktest.Alive(pid) {
						left = append(left, pid)
					}
				}
				if len(left) == 0 {
					t.Logf("%s: eddy and its JVMs gone after %s", sig, time.Since(start).Round(time.Millisecond))
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Fatalf("JVMs still running after %s of eddy: %v", sig, flinktest.JVMsUsing(dir))
		})
	}
}

// api sends a request with the test token to a running eddy and decodes
// Zeppelin's envelope; it fails the test unless the answer is 200.
func api(t *testing.T, base, method, path string, body any) json.RawMessage {
	t.Helper()
	var env struct {
		Message string          `json:"message"`
		Body    json.RawMessage `json:"body"`
	}
	if code := native(t, base, method, path, body, &env); code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, code, env.Message)
	}
	return env.Body
}

// runNote creates a note with one paragraph per text, runs them in order
// (synchronously) and returns the last TABLE result of each.
func runNote(t *testing.T, base, name string, texts ...string) []string {
	t.Helper()
	id, pids := createNote(t, base, name, texts...)
	out := make([]string, len(pids))
	for i, pid := range pids {
		var res struct {
			Msg []struct {
				Type string `json:"type"`
				Data string `json:"data"`
			} `json:"msg"`
		}
		_ = json.Unmarshal(api(t, base, http.MethodPost, "/api/notebook/run/"+id+"/"+pid, nil), &res)
		for _, m := range res.Msg {
			if m.Type == "TABLE" {
				out[i] = m.Data
			}
		}
	}
	stopSessionOf(t, base, id) // give its KPUs back for the next note
	return out
}

// stopSessionOf ends the note's notebook session.
func stopSessionOf(t *testing.T, base, noteID string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Sessions []struct {
			ID     string `json:"id"`
			NoteID string `json:"noteId"`
		} `json:"sessions"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&list)
	resp.Body.Close()
	for _, s := range list.Sessions {
		if s.NoteID == noteID {
			req, _ := http.NewRequest(http.MethodDelete, base+"/api/v1/sessions/"+s.ID, nil)
			req.Header.Set("Authorization", "Bearer t")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}
	}
}

// TestEddy_CatalogLastsAndIsShared: a table, a view, a function and a
// catalog created in one note are seen by another note at once, and after
// eddy is killed (SIGKILL) or stopped (SIGTERM) and started again on the
// same data directory they are still there, with the same SHOW CREATE
// TABLE. Two
// notes creating 50 tables each at once leave all 100 in the catalog.
func TestEddy_CatalogLastsAndIsShared(t *testing.T) {
	dir := t.TempDir()
	cmd, base := startEddy(t, dir)
	const table = "CREATE TABLE orders (id BIGINT NOT NULL COMMENT 'order id', amount DECIMAL(10, 2), ts TIMESTAMP(3), " +
		"amount_cents AS CAST(amount * 100 AS BIGINT), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND, PRIMARY KEY (id) NOT ENFORCED) " +
		"COMMENT 'orders of the day' WITH ('connector' = 'datagen', 'number-of-rows' = '10', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '10')"
	runNote(t, base, "A", "%flink.ssql\n"+table+";\nCREATE VIEW big_orders AS SELECT id, amount FROM orders WHERE amount > 100;\n"+
		"CREATE FUNCTION py_upper AS 'udfs.upper' LANGUAGE PYTHON;\n"+
		"CREATE CATALOG extra WITH ('type' = 'eddy', 'path' = 'file://"+filepath.Join(dir, "extra-catalog")+"')")
	seen := runNote(t, base, "B", "%flink.bsql\nSHOW CREATE TABLE orders", "%flink.bsql\nSELECT COUNT(*), SUM(id) FROM orders",
		"%flink.bsql\nSHOW VIEWS", "%flink.bsql\nSHOW USER FUNCTIONS", "%flink.bsql\nSHOW CURRENT CATALOG")
	showCreate := seen[0]
	for _, want := range []string{"`eddy`.`default`.`orders`", "WATERMARK FOR `ts`", "PRIMARY KEY (`id`)", "COMMENT 'orders of the day'", "`amount_cents` AS"} {
		if !strings.Contains(showCreate, want) {
			t.Fatalf("SHOW CREATE TABLE lacks %q:\n%s", want, showCreate)
		}
	}
	if !strings.Contains(seen[1], "10\t55") || !strings.Contains(seen[2], "big_orders") || !strings.Contains(seen[3], "py_upper") || !strings.Contains(seen[4], "eddy") {
		t.Fatalf("another note sees %q", seen[1:])
	}

	// Two notes create 50 tables each, at once.
	var wg sync.WaitGroup
	for _, n := range []string{"x", "y"} {
		var ddl strings.Builder
		ddl.WriteString("%flink.ssql\n")
		for i := range 50 {
			fmt.Fprintf(&ddl, "CREATE TABLE t_%s_%d (a INT) WITH ('connector' = 'datagen');\n", n, i)
		}
		wg.Add(1)
		go func() { defer wg.Done(); runNote(t, base, "many "+n, ddl.String()) }()
	}
	wg.Wait()
	count := func(base string) int {
		tables := runNote(t, base, "count", "%flink.bsql\nSHOW TABLES")[0]
		return strings.Count(tables, "\nt_")
	}
	if n := count(base); n != 100 {
		t.Fatalf("%d tables t_*, want 100", n)
	}

	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		// A paragraph runs when eddy is killed: after the restart it is
		// ABORT and says why, not RUNNING for ever.
		var running [2]string
		if sig == syscall.SIGKILL {
			running = startRunning(t, base)
		}
		_ = cmd.Process.Signal(sig)
		_ = cmd.Wait()
		waitNoJVM(t, dir)
		cmd, base = startEddy(t, dir)
		if running[0] != "" {
			p := paragraph(t, base, running[0], running[1])
			if p.Status != "ABORT" || !strings.Contains(p.ErrorMessage, "Eddy restarted") || len(p.Results.Msg) == 0 ||
				!strings.Contains(p.Results.Msg[len(p.Results.Msg)-1].Data, "Eddy restarted") {
				t.Fatalf("after %s the running paragraph is %s %q %+v", sig, p.Status, p.ErrorMessage, p.Results)
			}
		}
		after := runNote(t, base, "after "+sig.String(), "%flink.bsql\nSHOW CREATE TABLE orders", "%flink.bsql\nSHOW VIEWS",
			"%flink.bsql\nSHOW USER FUNCTIONS", "%flink.bsql\nSHOW CATALOGS")
		if after[0] != showCreate || !strings.Contains(after[1], "big_orders") || !strings.Contains(after[2], "py_upper") || !strings.Contains(after[3], "extra") {
			t.Fatalf("after %s: %q, want SHOW CREATE TABLE %q, the view, the function and the catalog 'extra'", sig, after, showCreate)
		}
		if n := count(base); n != 100 {
			t.Fatalf("after %s: %d tables t_*, want 100", sig, n)
		}
	}
}

// storedParagraph is a paragraph as GET /api/notebook/{id}/paragraph/{pid} answers.
type storedParagraph struct {
	Status       string `json:"status"`
	ErrorMessage string `json:"errorMessage"`
	Results      struct {
		Msg []struct {
			Type string `json:"type"`
			Data string `json:"data"`
		} `json:"msg"`
	} `json:"results"`
}

func paragraph(t *testing.T, base, noteID, pid string) storedParagraph {
	t.Helper()
	var p storedParagraph
	if err := json.Unmarshal(api(t, base, http.MethodGet, "/api/notebook/"+noteID+"/paragraph/"+pid, nil), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// startRunning starts an endless streaming query and returns its note and
// paragraph ids once the query shows rows.
func startRunning(t *testing.T, base string) [2]string {
	t.Helper()
	var id string
	_ = json.Unmarshal(api(t, base, http.MethodPost, "/api/notebook", map[string]any{"name": "running", "paragraphs": []map[string]string{{
		"text": "%flink.ssql(type=update)\nCREATE TEMPORARY TABLE g (a INT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');\nSELECT COUNT(*) AS n FROM g"}}}), &id)
	var note struct {
		Paragraphs []struct {
			ID string `json:"id"`
		} `json:"paragraphs"`
	}
	_ = json.Unmarshal(api(t, base, http.MethodGet, "/api/notebook/"+id, nil), &note)
	pid := note.Paragraphs[0].ID
	api(t, base, http.MethodPost, "/api/notebook/job/"+id+"/"+pid, nil)
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		p := paragraph(t, base, id, pid)
		if p.Status == "RUNNING" && len(p.Results.Msg) > 0 {
			return [2]string{id, pid}
		}
		if p.Status == "ERROR" || time.Now().After(deadline) {
			t.Fatalf("the streaming query did not run: %s %q", p.Status, p.ErrorMessage)
		}
	}
}

// waitNoJVM waits until no JVM of a stopped eddy is left.
func waitNoJVM(t *testing.T, dir string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(flinktest.JVMsUsing(dir)) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("JVMs still running: %v", flinktest.JVMsUsing(dir))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// native sends a request to a native /api/v1 route of a running eddy and
// decodes the answer into v; it returns the HTTP status.
func native(t *testing.T, base, method, path string, body, v any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, r)
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		_ = json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode
}

// TestEddy_AddConnector adds a connector by Maven coordinates through the
// API (downloaded from Maven Central, SHA-1 checked): the Flink JVMs
// restart with it and a new note uses the connector with no ADD JAR.
// Wrong coordinates change nothing.
func TestEddy_AddConnector(t *testing.T) {
	dir := t.TempDir()
	_, base := startEddy(t, dir)

	var list struct {
		Connectors []struct {
			File      string   `json:"file"`
			Origin    string   `json:"origin"`
			Factories []string `json:"factories"`
		} `json:"connectors"`
		CanAdd bool `json:"canAdd"`
	}
	if native(t, base, http.MethodGet, "/api/v1/connectors", nil, &list) != http.StatusOK || !list.CanAdd {
		t.Fatalf("list %+v", list)
	}
	kafka := false
	for _, c := range list.Connectors {
		kafka = kafka || (strings.HasPrefix(c.File, "flink-sql-connector-kafka") && c.Origin == "bundled" && len(c.Factories) >= 2)
	}
	if !kafka {
		t.Fatalf("the bundled Kafka connector is not listed: %+v", list)
	}

	var errBody struct {
		Message string `json:"message"`
	}
	if code := native(t, base, http.MethodPost, "/api/v1/connectors", map[string]any{"coordinates": "org.apache.flink:flink-no-such-connector:2.3.0"}, &errBody); code != http.StatusNotFound {
		t.Fatalf("wrong coordinates: %d %q", code, errBody.Message)
	}

	// A note's own package (flink.execution.packages) goes with it into an
	// application on its own cluster: the connector is not installed
	// cluster-wide yet.
	pkgOut := filepath.Join(dir, "pkg")
	pkgNote, _ := createNote(t, base, "with a package",
		"%flink.conf\nflink.execution.packages org.apache.flink:flink-table-filesystem-test-utils:2.3.0",
		"%flink.ssql\nCREATE TEMPORARY TABLE s3 (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3', 'fields.a.kind' = 'sequence', 'fields.a.start' = '1', 'fields.a.end' = '3');\n"+
			"CREATE TEMPORARY TABLE tf3 (a INT) WITH ('connector' = 'test-filesystem', 'path' = 'file://"+pkgOut+"', 'format' = 'csv')",
		"%flink.ssql\nINSERT INTO tf3 SELECT a FROM s3")
	var pa app
	if code := native(t, base, http.MethodPost, "/api/v1/applications", map[string]any{"noteId": pkgNote, "name": "with-package"}, &pa); code != http.StatusCreated ||
		!strings.Contains(pa.Script, "ADD JAR '") {
		t.Fatalf("create with a package: %d %+v", code, pa)
	}
	native(t, base, http.MethodPost, "/api/v1/applications/"+pa.ID+"/start", map[string]any{"restore": "NONE"}, &pa)
	waitApp(t, base, pa.ID, "the bounded job with the note's connector", 3*time.Minute, func(a app) bool {
		return a.Status == "READY" && hasEvent(t, base, a.ID, "finished", "")
	})

	// An application on the notebook cluster (the session target) runs
	// while the connector is added: the restart of the cluster's JVMs ends
	// its job, and Eddy starts it again from its latest checkpoint.
	noteID, _ := createNote(t, base, "on the notebook cluster",
		"%flink.ssql\nCREATE TEMPORARY TABLE g (a BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5');\nCREATE TEMPORARY TABLE b (a BIGINT) WITH ('connector' = 'blackhole')",
		"%flink.ssql\nINSERT INTO b SELECT a FROM g")
	var a app
	if code := native(t, base, http.MethodPost, "/api/v1/applications", map[string]any{"noteId": noteID, "name": "on-session", "target": "session", "checkpointIntervalMs": 1000}, &a); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	native(t, base, http.MethodPost, "/api/v1/applications/"+a.ID+"/start", map[string]any{"restore": "NONE"}, &a)
	a = waitApp(t, base, a.ID, "start on the notebook cluster", 2*time.Minute, func(a app) bool { return a.Status == "RUNNING" })
	waitCheckpoints(t, base, a, 1, 0)
	if code := native(t, base, http.MethodPost, "/api/v1/connectors", map[string]any{"coordinates": "org.apache.flink:flink-table-filesystem-test-utils:2.3.0"}, &errBody); code != http.StatusConflict {
		t.Fatalf("adding under a running job without force: %d %q", code, errBody.Message)
	}
	var added struct {
		File string `json:"file"`
	}
	if code := native(t, base, http.MethodPost, "/api/v1/connectors", map[string]any{"coordinates": "org.apache.flink:flink-table-filesystem-test-utils:2.3.0", "force": true}, &added); code != http.StatusCreated {
		t.Fatalf("add: %d", code)
	}
	a = waitApp(t, base, a.ID, "started again after the cluster's restart", 3*time.Minute, func(a app) bool {
		return a.Status == "RUNNING" && hasEvent(t, base, a.ID, "lost", "was gone from its cluster")
	})
	if !hasEvent(t, base, a.ID, "starting", "from its latest checkpoint chk-") {
		t.Fatalf("not started from its checkpoint: %v", appEvents(t, base, a.ID))
	}
	native(t, base, http.MethodPost, "/api/v1/applications/"+a.ID+"/stop", map[string]any{"snapshot": false}, &a)
	waitApp(t, base, a.ID, "force stop", time.Minute, func(a app) bool { return a.Status == "READY" })
	files := filepath.Join(dir, "tf")
	got := runNote(t, base, "uses it",
		"%flink.bsql\nCREATE TEMPORARY TABLE tf (a INT) WITH ('connector' = 'test-filesystem', 'path' = 'file://"+files+"', 'format' = 'csv');\nINSERT INTO tf VALUES (1), (2), (3)",
		"%flink.bsql\nSELECT SUM(a) FROM tf")
	if !strings.Contains(got[1], "\n6") {
		t.Fatalf("a new note with the added connector: %q", got)
	}
	if native(t, base, http.MethodGet, "/api/v1/connectors", nil, &list); !strings.Contains(fmt.Sprint(list.Connectors), added.File) {
		t.Fatalf("%s not listed: %+v", added.File, list)
	}
}

// TestEddy_GatewayCrashLeavesNoJob: when the SQL Gateway dies under a
// running query the paragraph ends, and its Flink job, which the gateway
// can no longer cancel, is cancelled by Eddy through the JobManager
// instead of running on untracked.
func TestEddy_GatewayCrashLeavesNoJob(t *testing.T) {
	dir := t.TempDir()
	_, base := startEddy(t, dir)
	running := startRunning(t, base)
	var cluster struct {
		RestURL string `json:"restUrl"`
	}
	native(t, base, http.MethodGet, "/api/v1/cluster", nil, &cluster)
	jm := flink.NewJobManager(cluster.RestURL, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var jobID string
	for jobID == "" {
		jobs, _ := jm.Jobs(ctx)
		for _, j := range jobs {
			if j.Name == "eddy:"+running[0]+":"+running[1] && j.State == flink.JobRunning {
				jobID = j.ID
			}
		}
		if ctx.Err() != nil {
			t.Fatal("the query's job is not running")
		}
		time.Sleep(200 * time.Millisecond)
	}

	gateway := 0
	for _, pid := range flinktest.JVMsUsing(dir) {
		if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); strings.Contains(string(cmdline), "sql-gateway.log") {
			gateway = pid
		}
	}
	if gateway == 0 {
		t.Fatal("no gateway JVM found")
	}
	if err := syscall.Kill(gateway, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for {
		d, err := jm.Job(ctx, jobID)
		if err == nil && d.State == flink.JobCanceled {
			break
		}
		if ctx.Err() != nil {
			p := paragraph(t, base, running[0], running[1])
			t.Fatalf("job %s is %s (%v) after the gateway died, want CANCELED; the paragraph is %s %q", jobID, d.State, err, p.Status, p.ErrorMessage)
		}
		time.Sleep(500 * time.Millisecond)
	}
	var p storedParagraph
	for p = paragraph(t, base, running[0], running[1]); p.Status == "RUNNING"; p = paragraph(t, base, running[0], running[1]) {
		if ctx.Err() != nil {
			t.Fatal("the paragraph still runs")
		}
		time.Sleep(200 * time.Millisecond)
	}
	var all []string
	for _, m := range p.Results.Msg {
		all = append(all, m.Data)
	}
	if text := strings.Join(all, "\n"); !strings.Contains(text, "cancelled it") || !strings.Contains(text, jobID) {
		t.Fatalf("the paragraph (%s) does not say its job was cancelled: %q", p.Status, text)
	}
	// It says what happened, not a raw HTTP error.
	if !strings.Contains(p.ErrorMessage, "Flink SQL Gateway") && !strings.Contains(p.ErrorMessage, "SQL Gateway no longer knows this query") {
		t.Fatalf("error message %q does not say the gateway went away", p.ErrorMessage)
	}
}
