package kernel

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/eddy-notebooks/eddy"
)

// InterpreterKind says how a paragraph is run.
type InterpreterKind int

// Interpreter kinds.
const (
	// InterpreterSQLStream is %flink.ssql: Flink SQL in streaming mode.
	InterpreterSQLStream InterpreterKind = iota + 1
	// InterpreterSQLBatch is %flink.bsql: Flink SQL in batch mode.
	InterpreterSQLBatch
	// InterpreterConf is %flink.conf: session configuration, one
	// java-properties line per key (see ParseConf).
	InterpreterConf
	// InterpreterMarkdown is %md: Markdown rendered to HTML.
	InterpreterMarkdown
	// InterpreterPyFlink is %flink.pyflink (and Zeppelin's %python): Python
	// on PyFlink in the note's Python worker.
	InterpreterPyFlink
	// InterpreterIPyFlink is %flink.ipyflink (and %python.ipython): the
	// same worker through IPython.
	InterpreterIPyFlink
)

// String returns the canonical prefix of k, e.g. "%flink.ssql".
func (k InterpreterKind) String() string {
	for _, s := range interpreterTable {
		if s.kind == k {
			return prefixOf(s.group, s.name)
		}
	}
	return "InterpreterKind(" + strconv.Itoa(int(k)) + ")"
}

// Interpreter is a resolved paragraph prefix.
type Interpreter struct {
	// Kind says how the paragraph runs.
	Kind InterpreterKind
	// Group and Name are the interpreter group and the interpreter in it,
	// as Zeppelin names them ("flink" and "ssql", "md" and "md").
	Group string
	Name  string
	// Supported is false for interpreters Eddy recognises but cannot run
	// (none at present); ResolveInterpreter returns an error for them too.
	Supported bool
	// EditorMode is the editor language Zeppelin uses for the paragraph:
	// "sql", "python", "markdown" or "text".
	EditorMode string
}

// Prefix returns the canonical paragraph prefix, e.g. "%flink.ssql" or "%md".
func (i Interpreter) Prefix() string { return prefixOf(i.Group, i.Name) }

// prefixOf writes an interpreter the way users do: "%md" rather than
// "%md.md" when the interpreter is named after its group.
func prefixOf(group, name string) string {
	if group == name {
		return "%" + name
	}
	return "%" + group + "." + name
}

// Interpreter groups Eddy knows.
const (
	// GroupFlink is the Flink interpreter group and Eddy's default group.
	GroupFlink = "flink"
	// GroupMarkdown is the Markdown interpreter group.
	GroupMarkdown = "md"
	// GroupPython is Zeppelin's Python interpreter group.
	GroupPython = "python"
)

// interpreterSpec is one interpreter Eddy knows about, runnable or not.
type interpreterSpec struct {
	group, name string
	kind        InterpreterKind
	supported   bool
	editorMode  string
	// headers are local property lists worth offering after the prefix.
	headers []string
}

// interpreterTable lists every interpreter Eddy resolves, in the order the
// error message lists them. Read-only.
var interpreterTable = []interpreterSpec{
	{GroupFlink, "ssql", InterpreterSQLStream, true, "sql",
		[]string{"(type=update)", "(type=append)", "(type=single, template=<h1>{0}</h1>)"}},
	{GroupFlink, "bsql", InterpreterSQLBatch, true, "sql", nil},
	{GroupFlink, "conf", InterpreterConf, true, "text", nil},
	{GroupMarkdown, "md", InterpreterMarkdown, true, "markdown", nil},
	{GroupFlink, "pyflink", InterpreterPyFlink, true, "python", nil},
	{GroupFlink, "ipyflink", InterpreterIPyFlink, true, "python", nil},
	// Zeppelin's Python group runs in the same worker, PyFlink bound too.
	{GroupPython, "python", InterpreterPyFlink, true, "python", nil},
	{GroupPython, "ipython", InterpreterIPyFlink, true, "python", nil},
}

// SupportedHeaders returns the paragraph headers of the interpreters Eddy
// runs, in the table's order: each prefix ("%flink.ssql", "%md"), then
// the local property lists worth offering with it
// ("%flink.ssql(type=append)"). Interpreters Eddy refuses are not among
// them.
func SupportedHeaders() []string {
	var out []string
	for _, s := range interpreterTable {
		if !s.supported {
			continue
		}
		prefix := prefixOf(s.group, s.name)
		out = append(out, prefix)
		for _, h := range s.headers {
			out = append(out, prefix+h)
		}
	}
	return out
}

// unsupportedReason explains why Eddy refuses an interpreter that Zeppelin
// or Studio notes use, or returns "" for one it has never heard of.
func unsupportedReason(group, name string) string {
	if group == GroupFlink && name == "flink" {
		return "Eddy does not run the Flink Scala interpreter"
	}
	return ""
}

// NeedsFlink reports whether running a paragraph needs a Flink session:
// false for Markdown, and for text Eddy refuses before reaching Flink (an
// interpreter it does not run, a malformed header).
func NeedsFlink(text, defaultGroup string) bool {
	h, err := ParseParagraph(text)
	if err != nil {
		return false
	}
	in, err := ResolveInterpreter(h.Interpreter, defaultGroup)
	return err == nil && in.Kind != InterpreterMarkdown
}

// ResolveInterpreter resolves a paragraph's interpreter name, as written
// after '%' (Header.Interpreter), in a note whose default interpreter group
// is defaultGroup ("" means "flink", Eddy's default).
//
// Resolution follows Zeppelin: "group.name" names an interpreter directly; a
// bare "x" is first the interpreter x of the default group (so %ssql and
// %bsql work in a flink note) and otherwise the default interpreter of group
// x (so %md works everywhere and %flink means the flink group's default);
// "markdown" is accepted as an alias of "md". An empty name means the default
// group's default interpreter.
//
// The flink group's default interpreter in Zeppelin is the Scala %flink,
// which Eddy does not run. Eddy's choice: a paragraph with no prefix in a
// flink note runs as %flink.ssql, the interpreter Studio notes use most. An
// explicit %flink still resolves to Scala and is refused, so nothing written
// for Scala is silently run as SQL.
//
// Unknown and unsupported interpreters (%sh, %spark, %flink Scala) give an
// eddy.EINVALID error whose message lists the available interpreters. For
// a recognised but unsupported interpreter the returned Interpreter is
// filled in too (Supported false), so an editor can still pick the right
// language.
func ResolveInterpreter(name, defaultGroup string) (Interpreter, error) {
	if defaultGroup == "" {
		defaultGroup = GroupFlink
	}
	group, iname, ok := strings.Cut(name, ".")
	switch {
	case name == "":
		group, iname = defaultGroup, ""
	case !ok:
		// A bare name: an interpreter of the default group, else a group.
		if lookupInterpreter(defaultGroup, name) != nil || unsupportedReason(defaultGroup, name) != "" {
			group, iname = defaultGroup, name
		} else {
			group, iname = name, ""
		}
	}
	if group == "markdown" {
		group = GroupMarkdown
	}
	if iname == "" {
		iname = defaultInterpreterOf(group)
	}
	if iname == "markdown" && group == GroupMarkdown {
		iname = "md"
	}
	spec := lookupInterpreter(group, iname)
	if spec == nil {
		if reason := unsupportedReason(group, iname); reason != "" {
			return Interpreter{}, eddy.Errorf(eddy.EINVALID, "interpreter %%%s is not supported: %s; %s",
				name, reason, availableInterpreters())
		}
		if name == "" {
			return Interpreter{}, eddy.Errorf(eddy.EINVALID,
				"a paragraph without an interpreter prefix runs with the default of the note's group %q, which Eddy does not have; %s",
				defaultGroup, availableInterpreters())
		}
		return Interpreter{}, eddy.Errorf(eddy.EINVALID, "unknown interpreter %%%s; %s", name, availableInterpreters())
	}
	it := Interpreter{Kind: spec.kind, Group: spec.group, Name: spec.name, Supported: spec.supported, EditorMode: spec.editorMode}
	if !spec.supported {
		return it, eddy.Errorf(eddy.EINVALID, "interpreter %s is not yet supported by Eddy; %s",
			it.Prefix(), availableInterpreters())
	}
	return it, nil
}

// defaultInterpreterOf returns the interpreter a bare group name or an empty
// prefix stands for: Zeppelin's group default, except ssql for flink.
func defaultInterpreterOf(group string) string {
	switch group {
	case GroupFlink:
		return "ssql"
	case GroupMarkdown:
		return "md"
	case GroupPython:
		return "python"
	}
	return ""
}

func lookupInterpreter(group, name string) *interpreterSpec {
	for i := range interpreterTable {
		if s := &interpreterTable[i]; s.group == group && s.name == name {
			return s
		}
	}
	return nil
}

// availableInterpreters is the sentence that ends every resolution error.
func availableInterpreters() string {
	var ok, later []string
	for _, s := range interpreterTable {
		if s.supported {
			ok = append(ok, prefixOf(s.group, s.name))
		} else {
			later = append(later, prefixOf(s.group, s.name))
		}
	}
	if len(later) == 0 {
		return "available interpreters: " + strings.Join(ok, ", ")
	}
	return fmt.Sprintf("available interpreters: %s (not yet supported: %s)",
		strings.Join(ok, ", "), strings.Join(later, ", "))
}

// ConfEntry is one key and value of a %flink.conf paragraph.
type ConfEntry struct {
	Key   string
	Value string
}

// ParseConf parses the body of a %flink.conf paragraph. Zeppelin reads it
// with java.util.Properties.load, so this follows that format: one entry per
// logical line; '#' or '!' as the first non-blank character starts a
// comment; the key ends at the first unescaped '=', ':' or white space,
// after which white space and at most one '=' or ':' are skipped, so
// "key value", "key=value" and "key: value" all work; a line ending in an
// odd number of backslashes continues on the next line (whose leading white
// space is dropped); backslash escapes \t \n \r \f and \uXXXX are decoded and
// any other escaped character stands for itself.
//
// Entries are returned in order. A key set twice appears twice; the last one
// wins when applied, as with Properties. A malformed \u escape is an
// eddy.EINVALID error naming the line.
func ParseConf(body string) ([]ConfEntry, error) {
	var entries []ConfEntry
	lines := splitLines(body)
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		// Join continuation lines.
		for endsWithOddBackslashes(line) && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + strings.TrimLeft(lines[i], " \t\f")
		}
		if endsWithOddBackslashes(line) {
			line = line[:len(line)-1] // a dangling '\' at the end of input is dropped
		}
		keyEnd := 0
		for keyEnd < len(line) {
			c := line[keyEnd]
			if c == '\\' {
				keyEnd += 2
				continue
			}
			if c == '=' || c == ':' || c == ' ' || c == '\t' || c == '\f' {
				break
			}
			keyEnd++
		}
		keyEnd = min(keyEnd, len(line))
		rest := strings.TrimLeft(line[keyEnd:], " \t\f")
		if rest != "" && (rest[0] == '=' || rest[0] == ':') {
			rest = strings.TrimLeft(rest[1:], " \t\f")
		}
		key, err := unescapeProperties(line[:keyEnd])
		if err != nil {
			return nil, eddy.Errorf(eddy.EINVALID, "invalid %%flink.conf line %d: %v", lineNo, err)
		}
		value, err := unescapeProperties(rest)
		if err != nil {
			return nil, eddy.Errorf(eddy.EINVALID, "invalid %%flink.conf line %d: %v", lineNo, err)
		}
		entries = append(entries, ConfEntry{Key: key, Value: value})
	}
	return entries, nil
}

// splitLines splits on \n, \r\n and \r, as Properties.load does.
func splitLines(s string) []string {
	var lines []string
	for s != "" {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return lines
}

func endsWithOddBackslashes(s string) bool {
	n := 0
	for i := len(s) - 1; i >= 0 && s[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// unescapeProperties decodes java.util.Properties escapes.
func unescapeProperties(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			r, err := parseUnicodeEscape(s, i+1)
			if err != nil {
				return "", err
			}
			i += 4
			// Java strings are UTF-16: a surrogate pair is two escapes.
			if utf16.IsSurrogate(r) && i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				if lo, err := parseUnicodeEscape(s, i+3); err == nil {
					if dec := utf16.DecodeRune(r, lo); dec != utf8.RuneError {
						r = dec
						i += 6
					}
				}
			}
			b.WriteRune(r)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), nil
}

// parseUnicodeEscape parses the four hex digits of a \uXXXX escape at s[at:].
func parseUnicodeEscape(s string, at int) (rune, error) {
	if at+4 > len(s) {
		return 0, fmt.Errorf("malformed \\uxxxx escape")
	}
	r, err := strconv.ParseUint(s[at:at+4], 16, 16)
	if err != nil {
		return 0, fmt.Errorf("malformed \\uxxxx escape %q", s[at-2:at+4])
	}
	return rune(r), nil
}
