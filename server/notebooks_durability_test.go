package server

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/access"
	"github.com/eddy-notebooks/eddy/kernel/connectors"
	"github.com/eddy-notebooks/eddy/notebooks/sqlite"
)

// durabilityChildEnv switches TestNotebookAPI_Durability into its child
// role; it names the data directory the child uses.
const durabilityChildEnv = "EDDY_TEST_DURABILITY_CHILD_DIR"

// Bounds of the child's burst: it stops by itself if it is never killed.
const (
	durabilityMaxEdits = 20_000
	durabilityMaxTime  = 60 * time.Second
	durabilityKillAt   = 60 // acknowledged edits before the parent kills the child
)

// TestNotebookAPI_Durability runs a real server and store in a child
// process that makes a burst of edits over loopback HTTP and prints each
// edit once it is acknowledged (200). The parent SIGKILLs the child in mid
// burst, reopens the database and checks that every acknowledged edit is
// there and that the database passes PRAGMA integrity_check.
func TestNotebookAPI_Durability(t *testing.T) {
	if dir := os.Getenv(durabilityChildEnv); dir != "" {
		runDurabilityChild(t, dir)
		return
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*durabilityMaxTime)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestNotebookAPI_Durability$", "-test.count=1")
	cmd.Env = append(os.Environ(), durabilityChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	// Acknowledged state: for each paragraph, the highest edit number the
	// child saw acknowledged (edits of one paragraph are numbered upwards).
	acked := map[string]int{}
	var noteID string
	var edits int
	killed := false
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "NOTE":
			noteID = f[1]
		case len(f) == 3 && f[0] == "ACK":
			n, err := strconv.Atoi(f[2])
			if err != nil {
				t.Fatalf("bad line %q", sc.Text())
			}
			acked[f[1]] = max(acked[f[1]], n)
			edits++
		}
		if edits == durabilityKillAt && !killed {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill child: %v", err)
			}
			killed = true
		}
	}
	werr := cmd.Wait()
	if !killed || noteID == "" {
		t.Fatalf("the child ended before the kill (%d edits acknowledged): %v", edits, werr)
	}
	t.Logf("child killed after %d acknowledged edits of %d paragraphs (%v)", edits, len(acked), werr)

	store, err := sqlite.Open(context.Background(), filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer store.Close()
	ps, err := store.ListParagraphs(context.Background(), noteID)
	if err != nil {
		t.Fatalf("read the note back: %v", err)
	}
	stored := map[string]int{}
	for _, p := range ps {
		n, err := strconv.Atoi(strings.TrimPrefix(p.Text, "edit "))
		if err != nil {
			t.Fatalf("paragraph %s has text %q", p.ID, p.Text)
		}
		stored[p.ID] = n
	}
	for pid, n := range acked {
		got, found := stored[pid]
		switch {
		case !found:
			t.Errorf("acknowledged paragraph %s is missing", pid)
		case got < n:
			t.Errorf("paragraph %s has edit %d; edit %d was acknowledged", pid, got, n)
		}
	}

	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, sqlite.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
}

// runDurabilityChild serves a store in dir and edits it through HTTP until
// it is killed or its bounds run out. It prints "NOTE id" once and then
// "ACK paragraphID n" after each acknowledged edit that set a paragraph's
// text to "edit n".
func runDurabilityChild(t *testing.T, dir string) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Addr: "127.0.0.1:0", Token: testToken, Notes: store, Access: access.NewStore(store), Sessions: newFakeSessions(), Cluster: fakeCluster{}, Connectors: &connectors.Service{Dir: filepath.Join(dir, "connectors")}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: srv, store: store, client: &http.Client{Timeout: 10 * time.Second}}
	noteID := ts.mustCreateNote(t, "durable")
	fmt.Printf("NOTE %s\n", noteID)

	var pids []string
	deadline := time.Now().Add(durabilityMaxTime)
	for i := 0; i < durabilityMaxEdits && time.Now().Before(deadline); i++ {
		text := fmt.Sprintf(`{"text": "edit %d"}`, i)
		if i%3 == 0 || len(pids) == 0 {
			var pid string
			ts.do(t, http.MethodPost, "/api/notebook/"+noteID+"/paragraph", text).mustOK(t, &pid)
			pids = append(pids, pid)
			fmt.Printf("ACK %s %d\n", pid, i)
			continue
		}
		pid := pids[i%len(pids)]
		ts.do(t, http.MethodPut, "/api/notebook/"+noteID+"/paragraph/"+pid, text).mustOK(t, nil)
		fmt.Printf("ACK %s %d\n", pid, i)
	}
	t.Error("the child was never killed")
}
