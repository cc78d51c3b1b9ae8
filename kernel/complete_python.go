package kernel

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// pythonNames are what a Python paragraph can use without importing:
// Zeppelin's bound names and the most used of the PyFlink names every
// paragraph has imported. They are offered before the note's worker runs.
var pythonNames = []string{
	"s_env", "st_env", "b_env", "bt_env", "senv", "stenv", "btenv", "z",
	"DataTypes", "Row", "RowKind", "EnvironmentSettings", "TableEnvironment", "StreamTableEnvironment",
	"StreamExecutionEnvironment", "Configuration", "Types", "TableDescriptor", "Schema", "FormatDescriptor",
	"udf", "udtf", "udaf", "udtaf", "ScalarFunction", "TableFunction", "AggregateFunction",
	"col", "lit", "call", "call_sql", "row", "array", "map_", "range_", "and_", "or_", "not_", "if_then_else",
	"Tumble", "Slide", "Session", "Over", "print",
}

// IsPython reports whether a paragraph's text is a Python paragraph
// (%flink.pyflink, %flink.ipyflink, %python, %python.ipython).
func IsPython(text string) bool {
	_, ok := pythonHeader(text)
	return ok
}

// pythonHeader parses the header of a Python paragraph; ok is false for
// any other paragraph.
func pythonHeader(text string) (h Header, ok bool) {
	h, err := ParseParagraph(text)
	if err != nil {
		return h, false
	}
	in, err := ResolveInterpreter(h.Interpreter, GroupFlink)
	return h, err == nil && (in.Kind == InterpreterPyFlink || in.Kind == InterpreterIPyFlink)
}

// pythonCompletionInput returns, for a cursor at byte offset pos in the
// body of a Python paragraph, the body and the cursor's line (1-based) and
// column (in characters), as jedi counts them.
func pythonCompletionInput(text string, pos int) (code string, line, col int, ok bool) {
	if pos < 0 || pos > len(text) {
		return "", 0, 0, false
	}
	h, ok := pythonHeader(text)
	if !ok || pos < h.BodyOffset {
		return "", 0, 0, false
	}
	code = text[h.BodyOffset:]
	before := code[:pos-h.BodyOffset]
	line = strings.Count(before, "\n") + 1
	col = utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:])
	return code, line, col, true
}

// completePython completes Python from the note's worker, which knows
// what its paragraphs defined and what objects have (jedi on its live
// namespace); before the worker runs, from pythonNames.
func (k *Kernel) completePython(ctx context.Context, code string, line, col int) ([]string, error) {
	w := k.PythonWorker()
	if w == nil {
		return staticPython(code, line, col), nil
	}
	items, err := w.Complete(ctx, code, line, col)
	if err != nil {
		return staticPython(code, line, col), nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Label)
	}
	if len(out) > maxCandidates {
		out = out[:maxCandidates]
	}
	return out, nil
}

// CompletePython completes a Python paragraph without a worker, from the
// names every Python paragraph has; ok is false for other paragraphs.
func CompletePython(text string, pos int) (candidates []string, ok bool) {
	code, line, col, ok := pythonCompletionInput(text, pos)
	if !ok {
		return nil, false
	}
	return staticPython(code, line, col), true
}

// staticPython offers pythonNames starting with the identifier before the
// cursor; none after a dot (an attribute needs the live object).
func staticPython(code string, line, col int) []string {
	lines := strings.Split(code, "\n")
	if line-1 >= len(lines) {
		return nil
	}
	runes := []rune(lines[line-1])
	col = min(col, len(runes))
	start := col
	for start > 0 && (unicode.IsLetter(runes[start-1]) || unicode.IsDigit(runes[start-1]) || runes[start-1] == '_') {
		start--
	}
	if start > 0 && runes[start-1] == '.' {
		return nil
	}
	word := string(runes[start:col])
	var out []string
	for _, n := range pythonNames {
		if strings.HasPrefix(n, word) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}
