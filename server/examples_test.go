package server

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks/examples"
)

// noKafkaCluster is a ready cluster without Kafka.
type noKafkaCluster struct{}

func (noKafkaCluster) ClusterStatus(ctx context.Context) kernel.ClusterStatus {
	return kernel.ClusterStatus{Mode: kernel.ModeLocal, Ready: true}
}

type examplesList struct {
	Examples []exampleInfo `json:"examples"`
}

func TestExamplesAPIUnit(t *testing.T) {
	files := filepath.Join(t.TempDir(), "examples")
	ts := MustOpenServer(t, func(c *Config) { c.ExampleFiles = files })
	var list examplesList
	getJSON(t, ts, "/api/v1/examples", &list)
	if len(list.Examples) != len(examples.List()) || list.Examples[0].NoteID != "" {
		t.Fatalf("list %+v", list)
	}

	for _, e := range examples.List() {
		req, _ := http.NewRequest(http.MethodPost, ts.URL()+"/api/v1/examples/"+e.Name, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := ts.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			NoteID string `json:"noteId"`
		}
		if resp.StatusCode != http.StatusCreated || decodeJSONBody(resp, &out) != nil || out.NoteID == "" {
			t.Fatalf("install %s: %d %+v", e.Name, resp.StatusCode, out)
		}
		resp.Body.Close()
		n := ts.mustGetNote(t, out.NoteID)
		if n.Path != e.Path() || len(n.Paragraphs) != len(e.Paragraphs) {
			t.Fatalf("installed note %s with %d paragraphs", n.Path, len(n.Paragraphs))
		}
		for _, p := range n.Paragraphs {
			if strings.Contains(p.Text, "{{") {
				t.Fatalf("placeholder left: %q", p.Text)
			}
			if strings.Contains(p.Text, "'file://") && !strings.Contains(p.Text, "'file://"+files) {
				t.Fatalf("files not under %s: %q", files, p.Text)
			}
		}
		// Installing again answers the same note.
		resp, err = ts.client.Do(req.Clone(req.Context()))
		if err != nil {
			t.Fatal(err)
		}
		var again struct {
			NoteID string `json:"noteId"`
		}
		if resp.StatusCode != http.StatusOK || decodeJSONBody(resp, &again) != nil || again.NoteID != out.NoteID {
			t.Fatalf("install %s again: %d %+v", e.Name, resp.StatusCode, again)
		}
		resp.Body.Close()
	}
	getJSON(t, ts, "/api/v1/examples", &list)
	for _, e := range list.Examples {
		if e.NoteID == "" {
			t.Fatalf("%s not listed as installed", e.Name)
		}
	}
	ts.do(t, http.MethodPost, "/api/v1/examples/nope", nil).mustFail(t, http.StatusNotFound, "nope")

	t.Run("ErrKafkaExampleWithoutKafka", func(t *testing.T) {
		ts := MustOpenServer(t, func(c *Config) { c.ExampleFiles, c.Cluster = files, noKafkaCluster{} })
		r := ts.do(t, http.MethodPost, "/api/v1/examples/stock-ticks-into-kafka", nil)
		if r.Code != http.StatusServiceUnavailable || r.ErrCode != eddy.EUNAVAILABLE || !strings.Contains(r.Message, "needs Kafka") {
			t.Fatalf("install without kafka: %d %s %q", r.Code, r.ErrCode, r.Message)
		}
		var list examplesList
		getJSON(t, ts, "/api/v1/examples", &list)
		for _, e := range list.Examples {
			if e.NoteID != "" {
				t.Fatalf("a refused install left a note: %+v", e)
			}
		}
	})
}
