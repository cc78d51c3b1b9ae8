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

func (noKafkaCluster) KafkaBootstrap() string { return "" }

func (noKafkaCluster) JobManagerURL() string { return "" }

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

	type installed struct {
		NoteID string `json:"noteId"`
	}
	for _, e := range examples.List() {
		var out installed
		if code := ts.native(t, http.MethodPost, "/api/v1/examples/"+e.Name, nil, &out); code != http.StatusCreated || out.NoteID == "" {
			t.Fatalf("install %s: %d %+v", e.Name, code, out)
		}
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
		var again installed
		if code := ts.native(t, http.MethodPost, "/api/v1/examples/"+e.Name, nil, &again); code != http.StatusOK || again.NoteID != out.NoteID {
			t.Fatalf("install %s again: %d %+v", e.Name, code, again)
		}
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
