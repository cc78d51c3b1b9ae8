package notebooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/eddy-notebooks/eddy"
)

// errUnknownField marks a field a decoder does not model; it is kept in Extra.
var errUnknownField = errors.New("unknown field")

// objectWriter writes a JSON object field by field, in the order given, so
// notes come out in Zeppelin's field order. Extras follow, sorted, skipping
// keys that a known field already wrote.
type objectWriter struct {
	buf   bytes.Buffer
	keys  []string // written keys; tracked only when extras may collide
	track bool
	err   error
}

func newObjectWriter(track bool) *objectWriter {
	w := &objectWriter{track: track}
	w.buf.WriteByte('{')
	return w
}

func (w *objectWriter) key(k string) {
	if w.buf.Len() > 1 {
		w.buf.WriteByte(',')
	}
	kb, _ := json.Marshal(k) // a string always encodes
	w.buf.Write(kb)
	w.buf.WriteByte(':')
	if w.track {
		w.keys = append(w.keys, k)
	}
}

func (w *objectWriter) value(k string, v any) {
	if w.err != nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		w.err = fmt.Errorf("field %s: %w", k, err)
		return
	}
	w.key(k)
	w.buf.Write(b)
}

func (w *objectWriter) extras(extra map[string]json.RawMessage) {
	w.extrasExcept(extra)
}

// extrasExcept writes the extras, sorted by key, leaving out the keys given
// and those a known field already wrote.
func (w *objectWriter) extrasExcept(extra map[string]json.RawMessage, skip ...string) {
	if w.err != nil || len(extra) == 0 {
		return
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		if !slices.Contains(skip, k) && !slices.Contains(w.keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := extra[k]
		if !json.Valid(v) {
			w.err = fmt.Errorf("field %s: invalid JSON kept from input", k)
			return
		}
		w.key(k)
		w.buf.Write(v)
	}
}

func (w *objectWriter) finish() ([]byte, error) {
	if w.err != nil {
		return nil, w.err
	}
	w.buf.WriteByte('}')
	return w.buf.Bytes(), nil
}

// decodeAny decodes v into dst keeping numbers as json.Number, so that a
// value like 12.0 is written back exactly as it came.
func decodeAny(v json.RawMessage, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	return dec.Decode(dst)
}

func decodeString(v json.RawMessage, dst *string) error {
	if isNull(v) {
		*dst = ""
		return nil
	}
	return json.Unmarshal(v, dst)
}

// decodeText decodes a paragraph's text: a string, null (""), or a number
// or boolean kept as written.
func decodeText(v json.RawMessage, dst *string) error {
	s := strings.TrimSpace(string(v))
	switch {
	case isNull(v):
		*dst = ""
	case s != "" && s[0] == '"':
		return json.Unmarshal(v, dst)
	case s == "true" || s == "false" || s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9'):
		*dst = s
	default:
		return eddy.Errorf(eddy.EINVALID, "a paragraph's text must be a string, not %s", ValueKind(v))
	}
	return nil
}

// ValueKind names the kind of a JSON value by its first byte: "null",
// "an object", "an array", "a string", "a boolean" or "a number".
func ValueKind(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case 'n':
		return "null"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	}
	return "a number"
}

// decodeInt accepts 3, 3.0 (Gson writes ints in untyped maps as doubles),
// "3" and null.
func decodeInt(v json.RawMessage, dst *int) error {
	if isNull(v) {
		*dst = 0
		return nil
	}
	s := strings.TrimSpace(string(v))
	if unq, err := strconv.Unquote(s); err == nil {
		s = strings.TrimSpace(unq)
	}
	if i, err := strconv.Atoi(s); err == nil {
		*dst = i
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f > math.MaxInt32 || f < math.MinInt32 {
		return fmt.Errorf("not an integer: %s", s)
	}
	*dst = int(f)
	return nil
}

func decodeObject(v json.RawMessage, dst *map[string]any) error {
	if isNull(v) {
		*dst = nil
		return nil
	}
	var m map[string]any
	if err := decodeAny(v, &m); err != nil {
		return err
	}
	*dst = m
	return nil
}

func decodeArray(v json.RawMessage, dst *[]any) error {
	if isNull(v) {
		*dst = nil
		return nil
	}
	var a []any
	if err := decodeAny(v, &a); err != nil {
		return err
	}
	*dst = a
	return nil
}

func decodeSettings(v json.RawMessage, dst *Settings) error {
	if isNull(v) {
		*dst = Settings{}
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		return err
	}
	var s Settings
	for k, f := range raw {
		switch k {
		case "params":
			if err := decodeObject(f, &s.Params); err != nil {
				return err
			}
		case "forms":
			if err := decodeObject(f, &s.Forms); err != nil {
				return err
			}
		default:
			return errUnknownField // keep the whole value verbatim rather than lose a key
		}
	}
	if s.Params == nil {
		s.Params = map[string]any{}
	}
	if s.Forms == nil {
		s.Forms = map[string]any{}
	}
	*dst = s
	return nil
}

func decodeResult(v json.RawMessage, dst **Result) error {
	if isNull(v) {
		*dst = nil
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		return err
	}
	var r Result
	for k, f := range raw {
		switch k {
		case "code":
			if err := decodeString(f, &r.Code); err != nil {
				return err
			}
		case "msg":
			if isNull(f) {
				continue
			}
			if err := json.Unmarshal(f, &r.Msg); err != nil {
				return err
			}
		default:
			return errUnknownField
		}
	}
	if r.Msg == nil {
		r.Msg = []ResultMessage{}
	}
	*dst = &r
	return nil
}

// isEmptyValue reports whether v is null, "", 0 or 0.0: values that an
// omitempty field does not write.
func isEmptyValue(v json.RawMessage) bool {
	switch s := string(bytes.TrimSpace(v)); s {
	case "null", `""`, "0":
		return true
	default:
		f, err := strconv.ParseFloat(s, 64)
		return err == nil && f == 0
	}
}

func isNull(v json.RawMessage) bool {
	return string(bytes.TrimSpace(v)) == "null"
}
