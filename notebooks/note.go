package notebooks

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Note is a notebook: an ordered list of paragraphs plus note-level state,
// with Zeppelin's fields. Name is the last segment of Path; Path is where the
// note sits in the folder tree ("/folder/name"; the trash is "/~Trash/...").
type Note struct {
	Paragraphs              []*Paragraph   `json:"paragraphs"`
	Name                    string         `json:"name"`
	ID                      string         `json:"id"`
	DefaultInterpreterGroup string         `json:"defaultInterpreterGroup,omitempty"`
	Version                 string         `json:"version,omitempty"`
	NoteParams              map[string]any `json:"noteParams,omitempty"`
	NoteForms               map[string]any `json:"noteForms,omitempty"`
	AngularObjects          map[string]any `json:"angularObjects,omitempty"`
	Config                  map[string]any `json:"config,omitempty"`
	Info                    map[string]any `json:"info,omitempty"`
	// Path is served over the API but not written to note files (Zeppelin
	// derives it from the file name).
	Path string `json:"path,omitempty"`

	// Extra holds fields this type does not model, verbatim.
	Extra map[string]json.RawMessage `json:"-"`
}

// MarshalJSON writes the note as Eddy's API serves it: Zeppelin's fields in
// Zeppelin's order, then fields Eddy does not know, then the path.
func (n *Note) MarshalJSON() ([]byte, error) {
	w := newObjectWriter(len(n.Extra) > 0)
	if err := n.writeParagraphs(w); err != nil {
		return nil, err
	}
	w.value("name", n.Name)
	w.value("id", n.ID)
	n.writeHead(w)
	if n.Path != "" {
		w.extrasExcept(n.Extra, "paragraphs", "name", "id", "path")
		w.value("path", n.Path)
	} else {
		w.extrasExcept(n.Extra, "paragraphs", "name", "id")
	}
	return w.finish()
}

// encodeFile writes the note as a Zeppelin file holds it: as MarshalJSON
// but without the path.
func (n *Note) encodeFile() ([]byte, error) {
	w := newObjectWriter(len(n.Extra) > 0)
	if err := n.writeParagraphs(w); err != nil {
		return nil, err
	}
	w.value("name", n.Name)
	w.value("id", n.ID)
	n.writeHead(w)
	w.extrasExcept(n.Extra, "paragraphs", "name", "id")
	return w.finish()
}

// EncodeDocument returns the note-level JSON a store keeps beside the
// paragraphs: every field but paragraphs, name, id and path, which the store
// keeps apart. AssembleNoteJSON puts the parts back together.
func (n *Note) EncodeDocument() ([]byte, error) {
	w := newObjectWriter(len(n.Extra) > 0)
	n.writeHead(w)
	w.extrasExcept(n.Extra, "paragraphs", "name", "id", "path")
	return w.finish()
}

// AssembleNoteJSON builds what Note.MarshalJSON writes from a store's parts:
// the paragraphs' JSON (each as Paragraph.MarshalJSON wrote it), the
// note-level document from EncodeDocument, the id and the path. It lets a
// store serve a note without decoding it.
func AssembleNoteJSON(id, path string, document []byte, paragraphs [][]byte) ([]byte, error) {
	document = bytes.TrimSpace(document)
	if len(document) < 2 || document[0] != '{' || document[len(document)-1] != '}' {
		return nil, fmt.Errorf("note %s: stored document is not a JSON object", id)
	}
	size := len(document) + len(path)*2 + 64
	for _, p := range paragraphs {
		size += len(p) + 1
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	buf.WriteString(`{"paragraphs":[`)
	for i, p := range paragraphs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(p)
	}
	buf.WriteString(`],"name":`)
	writeJSONString(buf, NameOf(path))
	buf.WriteString(`,"id":`)
	writeJSONString(buf, id)
	if inner := bytes.TrimSpace(document[1 : len(document)-1]); len(inner) > 0 {
		buf.WriteByte(',')
		buf.Write(inner)
	}
	buf.WriteString(`,"path":`)
	writeJSONString(buf, path)
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func writeJSONString(buf *bytes.Buffer, s string) {
	b, _ := json.Marshal(s) // a string always encodes
	buf.Write(b)
}

// writeParagraphs writes the paragraphs array, each paragraph as its own
// MarshalJSON writes it (no second pass over the bytes).
func (n *Note) writeParagraphs(w *objectWriter) error {
	w.key("paragraphs")
	w.buf.WriteByte('[')
	for i, p := range n.Paragraphs {
		if i > 0 {
			w.buf.WriteByte(',')
		}
		b, err := p.MarshalJSON()
		if err != nil {
			return fmt.Errorf("paragraph %s: %w", p.ID, err)
		}
		w.buf.Write(b)
	}
	w.buf.WriteByte(']')
	return nil
}

// writeHead writes the note-level fields after name and id, in Zeppelin's order.
func (n *Note) writeHead(w *objectWriter) {
	if n.DefaultInterpreterGroup != "" {
		w.value("defaultInterpreterGroup", n.DefaultInterpreterGroup)
	}
	if n.Version != "" {
		w.value("version", n.Version)
	}
	for _, f := range []struct {
		key string
		m   map[string]any
	}{
		{"noteParams", n.NoteParams},
		{"noteForms", n.NoteForms},
		{"angularObjects", n.AngularObjects},
		{"config", n.Config},
		{"info", n.Info},
	} {
		if f.m != nil {
			w.value(f.key, f.m)
		}
	}
}

// DecodeDocument reads what EncodeDocument wrote into a note without
// paragraphs; the caller sets ID, Path and Paragraphs.
func DecodeDocument(data []byte) (*Note, error) {
	var n Note
	if err := n.UnmarshalJSON(data); err != nil {
		return nil, err
	}
	return &n, nil
}

// UnmarshalJSON reads a note leniently (see Paragraph.UnmarshalJSON); only a
// paragraphs field that is not an array of objects is an error.
func (n *Note) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*n = Note{}
	for k, v := range raw {
		var err error
		switch k {
		case "paragraphs":
			if err := decodeParagraphs(v, &n.Paragraphs); err != nil {
				return err
			}
			continue
		case "name":
			err = decodeString(v, &n.Name)
		case "id":
			err = decodeString(v, &n.ID)
		case "defaultInterpreterGroup":
			err = decodeString(v, &n.DefaultInterpreterGroup)
		case "version":
			err = decodeString(v, &n.Version)
		case "noteParams":
			err = decodeObject(v, &n.NoteParams)
		case "noteForms":
			err = decodeObject(v, &n.NoteForms)
		case "angularObjects":
			err = decodeObject(v, &n.AngularObjects)
		case "config":
			err = decodeObject(v, &n.Config)
		case "info":
			err = decodeObject(v, &n.Info)
		case "path":
			err = decodeString(v, &n.Path)
		default:
			err = errUnknownField
		}
		if err != nil {
			if n.Extra == nil {
				n.Extra = make(map[string]json.RawMessage)
			}
			n.Extra[k] = v
		}
	}
	return nil
}

func decodeParagraphs(v json.RawMessage, dst *[]*Paragraph) error {
	var raws []json.RawMessage
	if err := json.Unmarshal(v, &raws); err != nil {
		return fmt.Errorf("field paragraphs must be an array of paragraph objects: %w", err)
	}
	ps := make([]*Paragraph, 0, len(raws))
	for i, r := range raws {
		if string(r) == "null" {
			continue
		}
		var p Paragraph
		if err := p.UnmarshalJSON(r); err != nil {
			return fmt.Errorf("paragraphs[%d] must be an object: %w", i, err)
		}
		ps = append(ps, &p)
	}
	*dst = ps
	return nil
}

// NoteInfo returns the note's list entry.
func (n *Note) NoteInfo() NoteInfo {
	return NoteInfo{ID: n.ID, Path: n.Path, Name: trimSlash(n.Path)}
}

// Paragraph returns the paragraph with the given id and its index, or nil and -1.
func (n *Note) Paragraph(id string) (*Paragraph, int) {
	for i, p := range n.Paragraphs {
		if p.ID == id {
			return p, i
		}
	}
	return nil, -1
}

// Clone returns a deep copy of n.
func (n *Note) Clone() *Note {
	b, err := n.MarshalJSON()
	if err != nil {
		c := *n
		return &c
	}
	var c Note
	if err := c.UnmarshalJSON(b); err != nil {
		c := *n
		return &c
	}
	return &c
}

func trimSlash(path string) string {
	if len(path) > 0 && path[0] == '/' {
		return path[1:]
	}
	return path
}
