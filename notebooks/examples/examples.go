// Package examples holds the example notes that ship with Eddy: a Kafka
// generator, an event-time analysis of its topic, and a files note. They
// are written for Eddy and installed on request into the Examples folder,
// with the addresses of this installation filled in.
package examples

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/notebooks"
)

//go:embed *.json
var files embed.FS

// Folder is where examples are installed.
const Folder = "/Examples"

// NeedKafka marks an example that reads or writes Kafka.
const NeedKafka = "kafka"

// Example is one example note.
type Example struct {
	Name        string      `json:"name"`        // stable identifier, used in URLs
	Title       string      `json:"title"`       // the note's name
	Description string      `json:"description"` // what it shows, one or two sentences
	Needs       []string    `json:"needs"`       // what it needs besides Flink: "kafka"
	Paragraphs  []paragraph `json:"paragraphs"`
}

type paragraph struct {
	Title  string         `json:"title"`
	Text   string         `json:"text"`
	Config map[string]any `json:"config,omitempty"`
}

// Vars are what an example's text refers to as {{kafka}} and {{files}}.
type Vars struct {
	Kafka string // the Kafka bootstrap address; "" when there is none
	Files string // an absolute directory where examples may write files
}

// List returns the examples in the order they are meant to be read.
func List() []Example {
	names, err := fs.Glob(files, "*.json")
	if err != nil {
		panic(err) // a malformed pattern: a bug
	}
	slices.Sort(names)
	out := make([]Example, 0, len(names))
	for _, name := range names {
		b, err := files.ReadFile(name)
		if err != nil {
			panic(err)
		}
		var e Example
		if err := json.Unmarshal(b, &e); err != nil {
			panic(fmt.Sprintf("examples: %s: %v", name, err)) // caught by the package's tests
		}
		out = append(out, e)
	}
	return out
}

// Find returns the example of that name.
func Find(name string) (Example, error) {
	for _, e := range List() {
		if e.Name == name {
			return e, nil
		}
	}
	return Example{}, eddy.Errorf(eddy.ENOTFOUND, "example %q not found", name)
}

// Path is the path of the note the example installs as.
func (e Example) Path() string { return Folder + "/" + e.Title }

// Note returns the note to create for the example, with vars filled in.
// An example that needs Kafka is refused without a Kafka address.
func (e Example) Note(vars Vars) (notebooks.NoteCreate, error) {
	if slices.Contains(e.Needs, NeedKafka) && vars.Kafka == "" {
		return notebooks.NoteCreate{}, eddy.Errorf(eddy.EUNAVAILABLE,
			"example %q needs Kafka: start Eddy with its local broker (the default in local mode) or with --kafka-bootstrap", e.Title)
	}
	r := strings.NewReplacer("{{kafka}}", vars.Kafka, "{{files}}", vars.Files)
	n := notebooks.NoteCreate{Path: e.Path(), DefaultInterpreterGroup: "flink"}
	for _, p := range e.Paragraphs {
		n.Paragraphs = append(n.Paragraphs, notebooks.ParagraphCreate{Title: p.Title, Text: r.Replace(p.Text), Config: withTitle(p.Config, p.Title)})
	}
	return n, nil
}

// withTitle shows a paragraph's title, as Zeppelin's config.title does.
func withTitle(cfg map[string]any, title string) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		out[k] = v
	}
	if title != "" {
		out["title"] = true
	}
	return out
}
