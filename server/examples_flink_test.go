package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/notebooks"
)

// installExample installs an example through the API and returns its note.
func (ts *testServer) installExample(t *testing.T, name string) *notebooks.Note {
	t.Helper()
	var out struct {
		NoteID string `json:"noteId"`
	}
	if code := ts.native(t, http.MethodPost, "/api/v1/examples/"+name, nil, &out); code != http.StatusCreated {
		t.Fatalf("install %s: HTTP %d", name, code)
	}
	return ts.mustGetNote(t, out.NoteID)
}

// runUntil starts a paragraph and waits until its live table satisfies ok
// (or, for a paragraph that ends, until it has FINISHED), failing on ERROR.
func (ts *testServer) runUntil(t *testing.T, n *notebooks.Note, i int, ok func(p *notebooks.Paragraph) bool) *notebooks.Paragraph {
	t.Helper()
	pid := n.Paragraphs[i].ID
	ts.do(t, http.MethodPost, "/api/notebook/job/"+n.ID+"/"+pid, nil).mustOK(t, nil)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var p notebooks.Paragraph
		ts.do(t, http.MethodGet, "/api/notebook/"+n.ID+"/paragraph/"+pid, nil).mustOK(t, &p)
		if ok(&p) {
			return &p
		}
		if p.Status == notebooks.StatusError {
			t.Fatalf("%s / %q failed: %s", n.Name, n.Paragraphs[i].Title, p.ErrorMessage)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s / %q: %s, results %+v; the cluster's jobs: %s", n.Name, n.Paragraphs[i].Title, p.Status, p.Results, ts.flinkJobs())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// flinkJobs describes the cluster's jobs (name, state, tasks by state)
// through Eddy's /flink/ proxy, to tell a job waiting for slots from one
// that produces nothing when a test times out.
func (ts *testServer) flinkJobs() string {
	req, err := http.NewRequest(http.MethodGet, ts.URL()+"/flink/jobs/overview", nil)
	if err != nil {
		return err.Error()
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	var overview struct {
		Jobs []struct {
			Name  string         `json:"name"`
			State string         `json:"state"`
			Tasks map[string]int `json:"tasks"`
		} `json:"jobs"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&overview); err != nil {
		return fmt.Sprintf("HTTP %d: %v", resp.StatusCode, err)
	}
	var out []string
	for _, j := range overview.Jobs {
		if j.State == "RUNNING" || j.State == "CREATED" || j.State == "INITIALIZING" || j.State == "RESTARTING" {
			out = append(out, fmt.Sprintf("%q %s %v", j.Name, j.State, j.Tasks))
		}
	}
	if len(out) == 0 {
		return fmt.Sprintf("none running (%d ended)", len(overview.Jobs))
	}
	return strings.Join(out, "; ")
}

func finished(p *notebooks.Paragraph) bool { return p.Status == notebooks.StatusFinished }

// tableLines returns the data lines of the paragraph's last TABLE result.
func tableLines(p *notebooks.Paragraph) []string {
	if p.Results == nil {
		return nil
	}
	for i := len(p.Results.Msg) - 1; i >= 0; i-- {
		if m := p.Results.Msg[i]; m.Type == notebooks.MessageTable {
			lines := strings.Split(strings.TrimRight(m.Data, "\n"), "\n")
			return lines[1:]
		}
	}
	return nil
}

// atLeast is true once a running paragraph shows n or more rows.
func atLeast(n int) func(p *notebooks.Paragraph) bool {
	return func(p *notebooks.Paragraph) bool { return len(tableLines(p)) >= n }
}

// TestExamples_RunEndToEnd installs the example notes through the API and
// runs every paragraph of them on the real cluster and Kafka broker: the
// files note exactly, the Kafka notes until each query shows rows.
func TestExamples_RunEndToEnd(t *testing.T) {
	ts, _ := mustOpenRunServer(t, 32)
	ts.cfg.ExampleFiles = filepath.Join(t.TempDir(), "examples")

	t.Run("Files", func(t *testing.T) {
		n := ts.installExample(t, "csv-files")
		ts.runUntil(t, n, 0, finished)
		ts.runUntil(t, n, 1, finished)
		ts.runUntil(t, n, 2, finished)
		p := ts.runUntil(t, n, 3, finished)
		if got := tableLines(p); len(got) != 1 || !strings.HasPrefix(got[0], "1000\t") {
			t.Fatalf("orders read back: %v", got)
		}
		p = ts.runUntil(t, n, 4, finished)
		if got := tableLines(p); len(got) != 10 {
			t.Fatalf("top customers: %v", got)
		}
	})

	t.Run("Kafka", func(t *testing.T) {
		gen := ts.installExample(t, "stock-ticks-into-kafka")
		ts.runUntil(t, gen, 0, finished)
		ts.runUntil(t, gen, 1, finished)
		ts.runUntil(t, gen, 2, func(p *notebooks.Paragraph) bool { return p.Status == notebooks.StatusRunning })
		defer ts.do(t, http.MethodDelete, "/api/notebook/job/"+gen.ID, nil)
		ts.runUntil(t, gen, 3, atLeast(5))
		ts.do(t, http.MethodDelete, "/api/notebook/job/"+gen.ID+"/"+gen.Paragraphs[3].ID, nil).mustOK(t, nil)

		an := ts.installExample(t, "stock-ticks-analysis")
		ts.runUntil(t, an, 0, finished)
		ts.runUntil(t, an, 1, finished)
		// Each query shows rows (windows close a few seconds after their end).
		for i, rows := range map[int]int{2: 1, 3: 1, 4: 1, 5: 2} {
			ts.runUntil(t, an, i, atLeast(rows))
			ts.do(t, http.MethodDelete, "/api/notebook/job/"+an.ID+"/"+an.Paragraphs[i].ID, nil).mustOK(t, nil)
		}
		ts.runUntil(t, an, 6, func(p *notebooks.Paragraph) bool { return p.Status == notebooks.StatusRunning })
		// The upsert topic exists once the job above has written to it;
		// reading it earlier fails with a hint, as a user would see.
		for attempt := 0; ; attempt++ {
			p := ts.runUntil(t, an, 7, func(p *notebooks.Paragraph) bool {
				return len(tableLines(p)) >= 2 || strings.Contains(p.ErrorMessage, "topic does not exist yet")
			})
			if p.Status == notebooks.StatusRunning || attempt == 20 {
				break
			}
			time.Sleep(time.Second)
		}
		ts.do(t, http.MethodDelete, "/api/notebook/job/"+an.ID, nil).mustOK(t, nil)
	})
}
