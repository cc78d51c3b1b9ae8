package remotemode

import (
	"bufio"
	"bytes"
	"encoding/json"
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

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/server"
	"github.com/gorilla/websocket"
)

// eddyProc is the real eddy binary serving in remote mode.
type eddyProc struct {
	base  string // http://127.0.0.1:port
	token string

	mu   sync.Mutex
	tail []string // last lines of its log
}

// startEddy builds eddy and runs `eddy serve` against the remote cluster
// with its own data directory; it returns once eddy reports the cluster
// ready. Eddy is killed when the test ends.
func startEddy(t *testing.T, c *remoteCluster, build <-chan buildResult) *eddyProc {
	t.Helper()
	b := <-build
	if b.err != nil {
		t.Fatalf("go build ./cmd/eddy: %v\n%s", b.err, b.out)
	}
	dataDir := t.TempDir()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &eddyProc{token: "t"}
	cmd := exec.Command(b.bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--token-file", tokenFile,
		"--flink-gateway", c.gateway, "--flink-rest", c.rest, "--python=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.spawn.start(cmd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		if t.Failed() {
			e.mu.Lock()
			t.Logf("eddy's log (last lines):\n%s", strings.Join(e.tail, "\n"))
			e.mu.Unlock()
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			e.mu.Lock()
			if e.tail = append(e.tail, sc.Text()); len(e.tail) > 200 {
				e.tail = e.tail[1:]
			}
			e.mu.Unlock()
			if _, rest, ok := strings.Cut(sc.Text(), "Eddy is running at "); ok {
				u, _, _ := strings.Cut(rest, "/?token=")
				u, _, _ = strings.Cut(u, "\n")
				urls <- strings.TrimSpace(u)
			}
		}
	}()
	select {
	case e.base = <-urls:
	case <-time.After(time.Minute):
		t.Fatal("eddy did not print its URL")
	}
	var st clusterStatus
	waitFor(t, "eddy to see the remote cluster ready", time.Minute, func() bool {
		e.native(t, http.MethodGet, "/api/v1/cluster", nil, &st)
		return st.Ready
	})
	return e
}

type buildResult struct {
	bin string
	out []byte
	err error
}

// buildEddy builds ./cmd/eddy into dir in the background.
func buildEddy(dir string) <-chan buildResult {
	done := make(chan buildResult, 1)
	go func() {
		root, err := flinktest.RepoRoot()
		if err != nil {
			done <- buildResult{err: err}
			return
		}
		bin := filepath.Join(dir, "eddy")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/eddy")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		done <- buildResult{bin: bin, out: out, err: err}
	}()
	return done
}

// clusterStatus is GET /api/v1/cluster.
type clusterStatus struct {
	Mode         string `json:"mode"`
	Ready        bool   `json:"ready"`
	RestURL      string `json:"restUrl"`
	WebUIURL     string `json:"webUiUrl"`
	TaskManagers int    `json:"taskManagers"`
	SlotsTotal   int    `json:"slotsTotal"`
}

// sessionList is GET /api/v1/sessions.
type sessionList struct {
	KPUCapacity int `json:"kpuCapacity"`
	KPUsInUse   int `json:"kpusInUse"`
	Sessions    []struct {
		ID     string `json:"id"`
		NoteID string `json:"noteId"`
		State  string `json:"state"`
		KPUs   int    `json:"kpus"`
		Jobs   []struct {
			JobID  string `json:"jobId"`
			Status string `json:"status"`
			KPUs   int    `json:"kpus"`
			URL    string `json:"url"`
		} `json:"jobs"`
	} `json:"sessions"`
}

// storedParagraph is a paragraph as the Zeppelin API returns it.
type storedParagraph struct {
	Status       string         `json:"status"`
	ErrorMessage string         `json:"errorMessage"`
	Config       map[string]any `json:"config"`
	Results      struct {
		Msg []struct {
			Type string `json:"type"`
			Data string `json:"data"`
		} `json:"msg"`
	} `json:"results"`
}

// native sends a request to eddy and decodes the answer into v; it returns
// the HTTP status.
func (e *eddyProc) native(t *testing.T, method, path string, body, v any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.base+path, r)
	req.Header.Set("Authorization", "Bearer "+e.token)
	req.Header.Set("Content-Type", "application/json")
	client := http.Client{Timeout: 3 * time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		_ = json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode
}

// api calls a Zeppelin-style route, which wraps its answer in
// {status, message, body}, and returns the body; non-200 fails the test.
func (e *eddyProc) api(t *testing.T, method, path string, body any) json.RawMessage {
	t.Helper()
	var env struct {
		Message string          `json:"message"`
		Body    json.RawMessage `json:"body"`
	}
	if code := e.native(t, method, path, body, &env); code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, code, env.Message)
	}
	return env.Body
}

// createNote creates a note with one paragraph per text and returns its id
// and paragraph ids.
func (e *eddyProc) createNote(t *testing.T, name string, texts ...string) (string, []string) {
	t.Helper()
	var ps []map[string]string
	for _, text := range texts {
		ps = append(ps, map[string]string{"text": text})
	}
	var id string
	if err := json.Unmarshal(e.api(t, http.MethodPost, "/api/notebook", map[string]any{"name": name, "paragraphs": ps}), &id); err != nil {
		t.Fatal(err)
	}
	var note struct {
		Paragraphs []struct {
			ID string `json:"id"`
		} `json:"paragraphs"`
	}
	_ = json.Unmarshal(e.api(t, http.MethodGet, "/api/notebook/"+id, nil), &note)
	var pids []string
	for _, p := range note.Paragraphs {
		pids = append(pids, p.ID)
	}
	return id, pids
}

// runSync runs a paragraph to its end and returns its stored state.
func (e *eddyProc) runSync(t *testing.T, noteID, pid string) storedParagraph {
	t.Helper()
	e.api(t, http.MethodPost, "/api/notebook/run/"+noteID+"/"+pid, nil)
	return e.paragraph(t, noteID, pid)
}

func (e *eddyProc) paragraph(t *testing.T, noteID, pid string) storedParagraph {
	t.Helper()
	var p storedParagraph
	if err := json.Unmarshal(e.api(t, http.MethodGet, "/api/notebook/"+noteID+"/paragraph/"+pid, nil), &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *eddyProc) sessions(t *testing.T) sessionList {
	t.Helper()
	var l sessionList
	if code := e.native(t, http.MethodGet, "/api/v1/sessions", nil, &l); code != http.StatusOK {
		t.Fatalf("GET /api/v1/sessions: %d", code)
	}
	return l
}

// stopSessionOf ends the note's notebook session, if it has one.
func (e *eddyProc) stopSessionOf(t *testing.T, noteID string) {
	t.Helper()
	for _, s := range e.sessions(t).Sessions {
		if s.NoteID == noteID {
			if code := e.native(t, http.MethodDelete, "/api/v1/sessions/"+s.ID, nil, nil); code != http.StatusOK && code != http.StatusNoContent {
				t.Fatalf("DELETE session %s: %d", s.ID, code)
			}
		}
	}
}

// viewer is a websocket client following one note, as the browser does.
type viewer struct {
	ws   *websocket.Conn
	msgs chan map[string]json.RawMessage
	rows []kernel.Row // the followed paragraph's result (next)
}

func (e *eddyProc) view(t *testing.T, noteID string) *viewer {
	t.Helper()
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(e.base, "http")+"/ws",
		http.Header{"Authorization": {"Bearer " + e.token}})
	if err != nil {
		t.Fatalf("websocket: %v", err)
	}
	resp.Body.Close()
	v := &viewer{ws: ws, msgs: make(chan map[string]json.RawMessage, 1024)}
	t.Cleanup(func() { ws.Close() })
	go func() {
		defer close(v.msgs)
		for {
			var m map[string]json.RawMessage
			if err := ws.ReadJSON(&m); err != nil {
				return
			}
			select {
			case v.msgs <- m:
			default: // a test that stopped reading loses messages, never blocks the reader
			}
		}
	}()
	v.send(t, map[string]any{"op": "hello", "protocol": server.ProtocolVersion})
	v.send(t, map[string]any{"op": "subscribe", "noteId": noteID})
	return v
}

func (v *viewer) send(t *testing.T, m map[string]any) {
	t.Helper()
	if err := v.ws.WriteJSON(m); err != nil {
		t.Fatal(err)
	}
}

// liveParagraph is the part of a paragraph's live state the suite reads;
// Rows is its result table as a viewer holds it once the message's
// snapshot or deltas are applied.
type liveParagraph struct {
	ParagraphID  string             `json:"paragraphId"`
	Status       string             `json:"status"`
	JobID        string             `json:"jobId"`
	JobURL       string             `json:"jobUrl"`
	ErrorMessage string             `json:"errorMessage"`
	Result       *kernel.LiveResult `json:"result"`
	Rows         []kernel.Row       `json:"-"`
}

// next returns the next live state of paragraph pid that satisfies ok,
// failing the test after d. It keeps the paragraph's result table up to
// date as the browser does, from snapshots and deltas.
func (v *viewer) next(t *testing.T, pid string, d time.Duration, what string, ok func(liveParagraph) bool) liveParagraph {
	t.Helper()
	timeout := time.After(d)
	var last liveParagraph
	for {
		select {
		case m, open := <-v.msgs:
			if !open {
				t.Fatalf("waiting for %s: the websocket closed", what)
			}
			var op string
			_ = json.Unmarshal(m["op"], &op)
			if op != "live" {
				continue
			}
			var ps []liveParagraph
			if err := json.Unmarshal(m["paragraphs"], &ps); err != nil {
				t.Fatalf("live message: %v", err)
			}
			for _, p := range ps {
				if p.ParagraphID != pid {
					continue
				}
				if r := p.Result; r != nil {
					if r.Snapshot != nil {
						v.rows = r.Snapshot.Rows
					}
					for _, delta := range r.Deltas {
						rows, err := kernel.ApplyDelta(v.rows, delta)
						if err != nil {
							t.Fatalf("apply a delta: %v", err)
						}
						v.rows = rows
					}
				}
				p.Rows = v.rows
				last = p
				if ok(p) {
					return p
				}
			}
		case <-timeout:
			t.Fatalf("no live state with %s within %s; last: %+v", what, d, last)
		}
	}
}

// waitFor polls cond until it holds, failing the test after d.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(d); !cond(); time.Sleep(250 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
	}
}
