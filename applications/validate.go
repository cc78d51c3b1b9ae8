package applications

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flink"
)

// validateSession is the name of Validate's gateway sessions, as the
// gateway lists them.
const validateSession = "eddy-validate"

// Validate checks a build with Flink and returns the plan of its statement
// set, as EXPLAIN prints it. It submits no job and leaves nothing behind in
// the persistent catalog: it replays the script in a throw-away gateway
// session, which it always closes, then explains the statement set.
//
// The replay keeps to the session. SET, RESET, USE, ADD JAR, LOAD/UNLOAD
// MODULE (all session-scoped in the gateway) and CREATE TEMPORARY ... are
// sent as written; a permanent CREATE TABLE, VIEW, FUNCTION or MODEL is
// sent as CREATE TEMPORARY ..., which shadows a permanent object of that
// name. Statements that would change shared state are skipped: CREATE
// DATABASE, CREATE CATALOG, ALTER, TRUNCATE, and DROP of a permanent
// object. So a USE of a database or catalog that only the script creates
// is skipped too when it fails (names then resolve in the session's current
// database), an ALTER the INSERTs rely on is not seen, and a table that
// already exists with another definition is planned with the note's (the
// application, whose CREATE has IF NOT EXISTS, will use the existing one).
//
// A statement Flink rejects refuses the build: the error is an *eddy.Error
// of code eddy.EINVALID whose Details is a Refusal naming the paragraph
// (when the statement set fails, each INSERT is explained alone to find
// it) and whose reason is Flink's root cause; the whole error is wrapped
// for the log. A gateway that does not answer gives eddy.EUNAVAILABLE.
func Validate(ctx context.Context, gw *flink.Gateway, b *Build) (plan string, err error) {
	if len(b.Inserts) == 0 {
		return "", refuse(paraRef{index: -1}, "the note writes to no table: an application needs at least one INSERT INTO")
	}
	session, err := gw.OpenSession(ctx, validateSession, nil)
	if err != nil {
		return "", unavailable(err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		_ = gw.CloseSession(closeCtx, session)
		cancel()
	}()

	createsNamespace := false // a skipped CREATE DATABASE or CATALOG
	for _, st := range b.Statements {
		if st.Kind == kernel.StmtStatementSet {
			continue
		}
		text, send := sessionScoped(st)
		if !send {
			if w := wordAt(leadingWords(st.Text, 2), 1); w == "DATABASE" || w == "CATALOG" {
				createsNamespace = true
			}
			continue
		}
		_, err := gw.Run(ctx, session, text, 1)
		var apiErr *flink.APIError
		switch {
		case err == nil:
		case st.Kind == kernel.StmtUse && createsNamespace && errors.As(err, &apiErr):
			// Most likely the database or catalog the skipped CREATE makes.
		default:
			return "", b.statementError(st, err)
		}
	}

	plan, err = explain(ctx, gw, session, statementSet(b.Inserts))
	if err == nil {
		return plan, nil
	}
	var apiErr *flink.APIError
	if !errors.As(err, &apiErr) {
		return "", unavailable(err)
	}
	// Which INSERT? The first one Flink refuses alone.
	for _, ins := range b.Inserts {
		if _, err := explain(ctx, gw, session, ins.Text); err != nil {
			return "", b.statementError(ins, err)
		}
	}
	return "", b.statementError(ScriptStatement{Index: -1}, err)
}

// explain runs EXPLAIN on statement and returns the plan.
func explain(ctx context.Context, gw *flink.Gateway, session, statement string) (string, error) {
	rows, err := gw.Run(ctx, session, "EXPLAIN "+statement, 1)
	if err != nil {
		return "", err
	}
	if len(rows) == 0 || len(rows[0].Fields) == 0 {
		return "", nil
	}
	plan, _ := rows[0].Fields[0].(string)
	return plan, nil
}

// statementSet is the statement set of the given INSERTs.
func statementSet(inserts []ScriptStatement) string {
	var sb strings.Builder
	sb.WriteString("STATEMENT SET BEGIN\n")
	for _, ins := range inserts {
		sb.WriteString(ins.Text)
		sb.WriteString(";\n")
	}
	sb.WriteString("END")
	return sb.String()
}

// temporaryObjects are the objects a permanent CREATE of which Validate
// sends as CREATE TEMPORARY.
var temporaryObjects = map[string]bool{"TABLE": true, "VIEW": true, "FUNCTION": true, "MODEL": true}

// sessionScoped returns the form of st that changes only the validation
// session, and false when st is to be skipped.
func sessionScoped(st ScriptStatement) (string, bool) {
	switch st.Kind {
	case kernel.StmtSet, kernel.StmtUse, kernel.StmtOther:
		return st.Text, true
	case kernel.StmtDDL:
	default:
		return "", false
	}
	words := leadingWords(st.Text, 2)
	switch w0, w1 := wordAt(words, 0), wordAt(words, 1); {
	case (w0 == "CREATE" || w0 == "DROP") && w1 == "TEMPORARY":
		return st.Text, true
	case w0 == "CREATE" && temporaryObjects[w1]:
		at := words[1].start
		return st.Text[:at] + "TEMPORARY " + st.Text[at:], true
	}
	return "", false
}

// statementError turns Flink's refusal of st into the build's refusal,
// naming st's paragraph; other failures are the gateway's.
func (b *Build) statementError(st ScriptStatement, err error) error {
	var apiErr *flink.APIError
	if !errors.As(err, &apiErr) {
		return unavailable(err)
	}
	ref := paraRef{index: st.Index, id: st.ParagraphID}
	for _, in := range b.Included {
		if in.Index == st.Index {
			ref.title = in.Title
		}
	}
	// The root cause says what is wrong; Flink's context around it mostly
	// repeats it, with positions in the statement as Validate sent it,
	// which are not the note's. A bare word (a class name) needs it.
	reason := apiErr.RootCause
	if !strings.ContainsAny(strings.TrimSpace(reason), " \n") {
		reason = apiErr.Message()
	}
	if st.Index < 0 {
		reason = "the INSERTs cannot run as one job: " + reason
	}
	e := refuse(ref, "%s", reason)
	e.Err = err
	return e
}

// unavailable wraps a failure to reach the gateway.
func unavailable(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return eddy.Wrap(eddy.EUNAVAILABLE, err, "the application cannot be validated: the Flink SQL Gateway did not answer")
}
