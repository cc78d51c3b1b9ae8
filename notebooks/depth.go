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
	depth, inString, escaped := 0, false, false
	for i, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
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
	depth, inString, escaped := 0, false, false
	for i := 0; i < len(src); i++ {
		c := src[i]
		if inString {
			out.WriteByte(c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
			out.WriteByte(c)
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
