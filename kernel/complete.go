package kernel

import (
	"context"
	"strings"
)

// maxCandidates bounds the completion candidates returned.
const maxCandidates = 200

// Complete returns completion candidates for a paragraph's text with the
// cursor at byte offset pos, from the gateway's statement completion in the
// given gateway session (so the note's own tables and columns are known).
// Only SQL paragraphs complete; others, and a cursor in the header, get none.
func Complete(ctx context.Context, c *Cluster, session, text string, pos int) ([]string, error) {
	if pos < 0 || pos > len(text) {
		return nil, nil
	}
	h, err := ParseParagraph(text)
	if err != nil || pos < h.BodyOffset {
		return nil, nil
	}
	if in, err := ResolveInterpreter(h.Interpreter, GroupFlink); err != nil || (in.Kind != InterpreterSQLStream && in.Kind != InterpreterSQLBatch) {
		return nil, nil
	}
	// The body is trimmed: a cursor in trailing white space is at its end.
	stmt, at := statementAt(h.Body, min(pos-h.BodyOffset, len(h.Body)))
	out, err := c.Gateway.CompleteStatement(ctx, session, stmt, at)
	if len(out) > maxCandidates {
		out = out[:maxCandidates]
	}
	return out, err
}

// statementAt returns the statement of body the cursor at rel is in, and
// the cursor's offset in it. Between statements it is the text from the end
// of the previous one up to the cursor: a statement being typed.
func statementAt(body string, rel int) (string, int) {
	rel = max(0, min(rel, len(body)))
	start := 0
	for _, st := range SplitStatements(body) {
		end := st.Offset + len(st.Text)
		if rel >= st.Offset && rel <= end {
			return st.Text, rel - st.Offset
		}
		if end <= rel {
			start = end
			if start < len(body) && body[start] == ';' {
				start++
			}
		}
	}
	stmt := strings.TrimLeft(body[start:rel], " \t\r\n")
	return stmt, len(stmt)
}
