package notebooks

import (
	"bytes"

	"github.com/eddy-notebooks/eddy"
)

// MaxJSONDepth bounds how deeply objects and arrays may nest in anything
// Eddy stores: notes, paragraphs, their config, form values and results.
// Zeppelin's own documents nest about ten levels; a limit keeps a small but
// deep document from costing memory and time out of all proportion.
const MaxJSONDepth = 64

// CheckDepth refuses JSON nested deeper than MaxJSONDepth. It scans the
// bytes once and needs the JSON to be well formed only in its strings.
func CheckDepth(what string, data []byte) error {
	var str stringScan
	depth := 0
	for i, c := range data {
		switch {
		case str.in(c):
		case c == '{' || c == '[':
			if depth++; depth > MaxJSONDepth {
				return eddy.Errorf(eddy.EINVALID, "%s nests objects and arrays more than %d deep (at byte offset %d)", what, MaxJSONDepth, i)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

// stringScan follows JSON text byte by byte to tell the bytes of strings
// (their quotes included) from structure.
type stringScan struct{ inString, escaped bool }

// in reports whether c belongs to a string, and moves past it.
func (s *stringScan) in(c byte) bool {
	switch {
	case s.inString:
		switch {
		case s.escaped:
			s.escaped = false
		case c == '\\':
			s.escaped = true
		case c == '"':
			s.inString = false
		}
		return true
	case c == '"':
		s.inString = true
		return true
	}
	return false
}

// exportIndentDepth is how many levels of a note an export lays out one
// member to a line; deeper values stay compact on their line.
const exportIndentDepth = 4

// indentShallow indents compact JSON to exportIndentDepth levels, leaving
// what is deeper compact, so an export is at most a few times its input
// whatever the nesting (indenting every level costs the square of the
// depth).
func indentShallow(src []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(src) + len(src)/4)
	newline := func(depth int) {
		out.WriteByte('\n')
		for range depth {
			out.WriteString("  ")
		}
	}
	var str stringScan
	depth := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		if str.in(c) {
			out.WriteByte(c)
			continue
		}
		switch c {
		case '{', '[':
			out.WriteByte(c)
			depth++
			// An empty object or array stays "{}" / "[]".
			if depth <= exportIndentDepth && i+1 < len(src) && src[i+1] != '}' && src[i+1] != ']' {
				newline(depth)
			}
		case '}', ']':
			if depth <= exportIndentDepth && i > 0 && src[i-1] != '{' && src[i-1] != '[' {
				newline(depth - 1)
			}
			depth--
			out.WriteByte(c)
		case ',':
			out.WriteByte(c)
			if depth <= exportIndentDepth {
				newline(depth)
			}
		case ':':
			out.WriteByte(c)
			if depth <= exportIndentDepth {
				out.WriteByte(' ')
			}
		default:
			out.WriteByte(c)
		}
	}
	return out.Bytes()
}
