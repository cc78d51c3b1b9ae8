package notebooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/eddy-notebooks/eddy"
)

// ZeppelinVersion is the note-format version Eddy writes into new notes: the
// Zeppelin release whose .zpln format Eddy reads and writes.
const ZeppelinVersion = "0.11.2"

// ImportZeppelin reads a Zeppelin note: a 0.9+ .zpln file, the pre-0.9
// note.json, or a note as Zeppelin's REST API returns it. It is lenient as
// Zeppelin is (missing fields, doubles for ints, config.results as an array,
// old paragraph ids, the pre-0.7 single result) and normalises what Eddy
// relies on:
//
//   - Path: notePath when given, else the note's "path" field, else its name
//     (which before 0.9 carried the folders: "dir/sub/My note"); Name is the
//     last segment of Path.
//   - Paragraph ids that are missing, malformed or repeated are replaced.
//   - A status of PENDING or RUNNING becomes ABORT and a missing one READY,
//     as Zeppelin does on load; info.isRunning is dropped.
//   - config.results written as an array becomes an object keyed "0", "1", …
//
// The id is kept as it is: the store decides whether it may be used. Errors
// are EINVALID and name the problem (for malformed JSON, the byte offset).
func ImportZeppelin(data []byte, notePath string) (*Note, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, eddy.Errorf(eddy.EINVALID, "the note file is empty")
	}
	if err := CheckDepth("the note file", data); err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, JSONError("the note file", data, err)
	}
	if top == nil {
		return nil, eddy.Errorf(eddy.EINVALID, "the note file is null; it must be a JSON object")
	}
	if _, isJupyter := top["cells"]; isJupyter {
		return nil, eddy.Errorf(eddy.EINVALID, "this is a Jupyter notebook (it has \"cells\"); Eddy imports Zeppelin notes (.zpln, note.json)")
	}
	var n Note
	if err := n.UnmarshalJSON(data); err != nil {
		return nil, eddy.Wrap(eddy.EINVALID, err, "the note file is not a Zeppelin note: %s", eddy.ErrorMessage(err))
	}

	path := notePath
	if path == "" {
		path = n.Path
	}
	if path == "" {
		path = n.Name
	}
	p, err := NormalizePath(path)
	if err != nil {
		return nil, err
	}
	n.Path, n.Name = p, NameOf(p)
	delete(n.Info, "isRunning")

	seen := make(map[string]bool, len(n.Paragraphs))
	now := time.Now()
	for _, para := range n.Paragraphs {
		if !ValidParagraphID(para.ID) || seen[para.ID] {
			para.ID = NewParagraphID(now)
			delete(para.Extra, "id")
		}
		seen[para.ID] = true
		switch para.Status {
		case "":
			para.Status = StatusReady
		case StatusPending, StatusRunning:
			para.Status = StatusAbort
		}
		normalizeConfigResults(para.Config)
	}
	if len(n.Paragraphs) > MaxParagraphsPerNote {
		return nil, eddy.Errorf(eddy.EINVALID, "the note has %d paragraphs; at most %d are allowed", len(n.Paragraphs), MaxParagraphsPerNote)
	}
	return &n, nil
}

// normalizeConfigResults turns an array config.results (older notes) into
// the object keyed by message index that current Zeppelin writes.
func normalizeConfigResults(config map[string]any) {
	arr, isArray := config["results"].([]any)
	if !isArray {
		return
	}
	obj := make(map[string]any, len(arr))
	for i, v := range arr {
		if v != nil {
			obj[strconv.Itoa(i)] = v
		}
	}
	config["results"] = obj
}

// ExportZeppelin writes a note as a Zeppelin .zpln file: Zeppelin's field
// order, two-space indentation, no path (Zeppelin takes it from the file name).
func ExportZeppelin(n *Note) ([]byte, error) {
	b, err := n.encodeFile()
	if err != nil {
		return nil, fmt.Errorf("export note %s: %w", n.ID, err)
	}
	return indentShallow(b), nil
}

// JSONError turns a JSON decoding error about data into an EINVALID error
// that says where and what the problem is; what names the document.
func JSONError(what string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := position(data, se.Offset)
		return eddy.Wrap(eddy.EINVALID, err, "%s is malformed JSON at byte offset %d (line %d, column %d): %s", what, se.Offset, line, col, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return eddy.Wrap(eddy.EINVALID, err, "%s is malformed JSON: it ends early", what)
	case errors.As(err, &te):
		if te.Field == "" {
			return eddy.Wrap(eddy.EINVALID, err, "%s must be a JSON object, not a JSON %s", what, te.Value)
		}
		return eddy.Wrap(eddy.EINVALID, err, "%s: field %q must be %s, not a JSON %s (byte offset %d)", what, te.Field, jsonKind(te.Type.Kind().String()), te.Value, te.Offset)
	}
	return eddy.Wrap(eddy.EINVALID, err, "%s is not valid: %v", what, err)
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "an array"
	case "int", "int64", "int32", "float64", "float32", "uint", "uint64":
		return "a number"
	}
	return "a " + goKind
}

// position returns the 1-based line and column of the byte a JSON error
// offset points after.
func position(data []byte, offset int64) (line, col int) {
	if offset > 0 {
		offset-- // the offending byte is the last one read
	}
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line, col = 1, 1
	for _, b := range data[:offset] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
