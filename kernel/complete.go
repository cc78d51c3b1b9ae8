package kernel

import (
	"context"
	"strings"
	"sync"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flink"
)

// maxCandidates bounds the completion candidates returned; the rest are
// dropped.
const maxCandidates = 200

// Complete returns completion candidates for a paragraph's text with the
// cursor at byte offset pos, from the gateway's statement completion in the
// kernel's own gateway session, so the note's temporary tables and views
// are offered. If the gateway has lost that session, it is reopened and
// replayed as for a run, and completion is asked again, once. Only SQL
// paragraphs complete; others, and a cursor in the header, get none.
func (k *Kernel) Complete(ctx context.Context, text string, pos int) ([]string, error) {
	if code, line, col, ok := pythonCompletionInput(text, pos); ok {
		return k.completePython(ctx, code, line, col)
	}
	stmt, at, ok := completionInput(text, pos)
	if !ok {
		return nil, nil
	}
	var out []string
	_, err := k.inSession(ctx, func(handle string) (err error) {
		out, err = complete(ctx, k.gw, handle, stmt, at)
		return err
	})
	return out, err
}

// Completer completes SQL and browses the catalogs for notes that have no
// kernel, in one gateway session shared by all of them ("eddy:completion").
// Nothing runs in it, so it knows the catalogs and their tables but no
// note's temporary ones. The
// session is opened on first use and reopened when the gateway has lost it.
// A Completer is safe for concurrent use.
type Completer struct {
	gw *flink.Gateway

	mu     sync.Mutex // guards handle and closed
	handle string     // the shared gateway session; "" until first needed
	closed bool
}

// NewCompleter returns a Completer for the cluster's gateway. It opens
// nothing until the first completion.
func NewCompleter(c *Cluster) *Completer {
	return &Completer{gw: c.Gateway}
}

// Complete returns completion candidates for a paragraph's text with the
// cursor at byte offset pos, as Kernel.Complete does but in the shared
// gateway session. If the gateway says that session does not exist, a new
// one is opened and completion is asked again, once. Failing to open a
// session is an eddy.EUNAVAILABLE error, as is completing after Close.
func (c *Completer) Complete(ctx context.Context, text string, pos int) ([]string, error) {
	stmt, at, ok := completionInput(text, pos)
	if !ok {
		return nil, nil
	}
	var out []string
	err := c.inSession(ctx, func(handle string) (err error) {
		out, err = complete(ctx, c.gw, handle, stmt, at)
		return err
	})
	return out, err
}

// inSession calls f with the shared gateway session handle. If the gateway
// says that session does not exist, a new one is opened and f is called
// again, once.
func (c *Completer) inSession(ctx context.Context, f func(handle string) error) error {
	handle, err := c.session(ctx, "")
	if err != nil {
		return err
	}
	if err = f(handle); !flink.IsSessionNotFound(err) {
		return err
	}
	if handle, err = c.session(ctx, handle); err != nil {
		return err
	}
	return f(handle)
}

// session returns the shared gateway session, opening one when there is
// none yet or when the current one is lost, the handle a caller saw fail.
// Concurrent callers wait for one opening rather than each opening a session.
func (c *Completer) session(ctx context.Context, lost string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return "", eddy.Errorf(eddy.EUNAVAILABLE, "SQL completion has stopped")
	}
	if c.handle != "" && c.handle != lost {
		return c.handle, nil
	}
	handle, err := c.gw.OpenSession(ctx, "eddy:completion", nil)
	if err != nil {
		return "", eddy.Wrap(eddy.EUNAVAILABLE, err, "cannot open a gateway session for completion")
	}
	c.handle = handle
	return handle, nil
}

// Close closes the shared gateway session, if one was opened, and returns
// the gateway's error. Completions after Close fail.
func (c *Completer) Close(ctx context.Context) error {
	c.mu.Lock()
	handle := c.handle
	c.handle, c.closed = "", true
	c.mu.Unlock()
	if handle == "" {
		return nil
	}
	return c.gw.CloseSession(ctx, handle)
}

// CompleteHeader returns, when the cursor at byte offset pos is in the
// interpreter name of a paragraph's first line ("%fl|"), the headers of
// the interpreters Eddy runs (SupportedHeaders), unfiltered: the editor
// matches them against what is typed. ok is false elsewhere.
func CompleteHeader(text string, pos int) (candidates []string, ok bool) {
	if pos < 0 || pos > len(text) {
		return nil, false
	}
	head := strings.TrimLeft(text[:pos], " \t\r\n")
	if !strings.HasPrefix(head, "%") {
		return nil, false
	}
	for i := 1; i < len(head); i++ {
		if !isWordByte(head[i]) && head[i] != '.' {
			return nil, false
		}
	}
	return SupportedHeaders(), true
}

// completionInput returns the statement of a paragraph's text that the
// cursor at byte offset pos is in, and the cursor's offset in it. ok is
// false when there is nothing to complete: not a SQL paragraph, a cursor
// outside the text or in the header.
func completionInput(text string, pos int) (stmt string, at int, ok bool) {
	if pos < 0 || pos > len(text) {
		return "", 0, false
	}
	h, err := ParseParagraph(text)
	if err != nil || pos < h.BodyOffset {
		return "", 0, false
	}
	if in, err := ResolveInterpreter(h.Interpreter, GroupFlink); err != nil || (in.Kind != InterpreterSQLStream && in.Kind != InterpreterSQLBatch) {
		return "", 0, false
	}
	// The body is trimmed: a cursor in trailing white space is at its end.
	stmt, at = statementAt(h.Body, min(pos-h.BodyOffset, len(h.Body)))
	return stmt, at, true
}

// complete asks the gateway for candidates for stmt at offset at in a
// gateway session, at most maxCandidates of them.
func complete(ctx context.Context, gw *flink.Gateway, session, stmt string, at int) ([]string, error) {
	out, err := gw.CompleteStatement(ctx, session, stmt, at)
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
