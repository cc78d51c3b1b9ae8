package examples

import (
	"regexp"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy"
)

func TestList(t *testing.T) {
	all := List()
	if len(all) < 3 {
		t.Fatalf("%d examples, want at least 3", len(all))
	}
	seen := map[string]bool{}
	placeholder := regexp.MustCompile(`\{\{[^}]*\}\}`)
	for _, e := range all {
		if e.Name == "" || e.Title == "" || e.Description == "" || len(e.Paragraphs) == 0 {
			t.Errorf("example %+v lacks a name, title, description or paragraphs", e)
		}
		if seen[e.Name] {
			t.Errorf("two examples named %q", e.Name)
		}
		seen[e.Name] = true
		for _, p := range e.Paragraphs {
			for _, ph := range placeholder.FindAllString(p.Text, -1) {
				if ph != "{{kafka}}" && ph != "{{files}}" {
					t.Errorf("%s: unknown placeholder %s", e.Name, ph)
				}
			}
			if !strings.HasPrefix(p.Text, "%") {
				t.Errorf("%s: paragraph %q names no interpreter", e.Name, p.Title)
			}
		}
	}
}

func TestExample_Note(t *testing.T) {
	vars := Vars{Kafka: "127.0.0.1:19092", Files: "/data/examples"}
	for _, e := range List() {
		n, err := e.Note(vars)
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		if n.Path != Folder+"/"+e.Title || len(n.Paragraphs) != len(e.Paragraphs) {
			t.Fatalf("%s: note %+v", e.Name, n)
		}
		for _, p := range n.Paragraphs {
			if strings.Contains(p.Text, "{{") {
				t.Errorf("%s: placeholder left in %q", e.Name, p.Text)
			}
		}
	}
	t.Run("ErrNoKafka", func(t *testing.T) {
		e, err := Find("stock-ticks-into-kafka")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Note(Vars{Files: "/x"}); eddy.ErrorCode(err) != eddy.EUNAVAILABLE || !strings.Contains(eddy.ErrorMessage(err), "--kafka-bootstrap") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := Find("nope"); eddy.ErrorCode(err) != eddy.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
	})
}
