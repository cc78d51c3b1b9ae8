package applications

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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
//
// With compileDir set, a streaming build's statement set is also compiled
// (COMPILE PLAN into a file of compileDir, read back and removed): the
// JSON plan the application runs with EXECUTE PLAN, whose node ids fix its
// operators' ids (see Version.CompiledPlan). The gateway writes the file,
// so compileDir must be a directory it shares with Eddy; when it cannot
// (a remote gateway) or Flink cannot compile the plan, Compiled is nil and
// Uncompiled says why.
func Validate(ctx context.Context, gw *flink.Gateway, b *Build, compileDir string) (*Validation, error) {
	if len(b.Inserts) == 0 {
		return nil, refuse(paraRef{index: -1}, "the note writes to no table: an application needs at least one INSERT INTO")
	}
	session, err := gw.OpenSession(ctx, validateSession, nil)
	if err != nil {
		return nil, unavailable(err)
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		_ = gw.CloseSession(closeCtx, session)
		cancel()
	}()

	val := &Validation{}
	if val.Catalog, val.Database, err = currentNamespace(ctx, gw, session); err != nil {
		return nil, unavailable(err)
	}
	if err := b.replay(ctx, gw, session); err != nil {
		return nil, err
	}
	val.Plan, err = explain(ctx, gw, session, statementSet(b.Inserts))
	if err == nil {
		switch {
		case b.Batch:
			val.Uncompiled = "a batch job runs from its SQL"
		case compileDir == "":
			val.Uncompiled = "no directory to compile plans in"
		default:
			val.Compiled, val.Uncompiled, err = compilePlan(ctx, gw, session, compileDir, statementSet(b.Inserts))
		}
		return val, err
	}
	var apiErr *flink.APIError
	if !errors.As(err, &apiErr) {
		return nil, unavailable(err)
	}
	// Which INSERT? The first one Flink refuses alone.
	for _, ins := range b.Inserts {
		if _, err := explain(ctx, gw, session, ins.Text); err != nil {
			return nil, b.statementError(ins, err)
		}
	}
	return nil, b.statementError(ScriptStatement{Index: -1}, err)
}

// Validation is what Validate found of a build.
type Validation struct {
	// Plan is the statement set's plan as EXPLAIN prints it.
	Plan string
	// Compiled is the statement set's compiled plan, nil when Uncompiled
	// says why there is none.
	Compiled   []byte
	Uncompiled string
	// Catalog and Database are where a gateway session starts, so where
	// the note's names resolve.
	Catalog, Database string
}

// currentNamespace returns the session's current catalog and database.
func currentNamespace(ctx context.Context, gw *flink.Gateway, session string) (catalog, database string, err error) {
	for _, q := range []struct {
		stmt string
		into *string
	}{{"SHOW CURRENT CATALOG", &catalog}, {"SHOW CURRENT DATABASE", &database}} {
		rows, err := gw.Run(ctx, session, q.stmt, 1)
		if err != nil {
			return "", "", err
		}
		if len(rows) > 0 && len(rows[0].Fields) > 0 {
			*q.into, _ = rows[0].Fields[0].(string)
		}
	}
	return catalog, database, nil
}

// compilePlan compiles statement in session into a file of dir and returns
// the plan, or why there is none: Flink refused to compile what it could
// explain (a node without a compiled form), or the file the gateway wrote
// is not where Eddy can read it.
func compilePlan(ctx context.Context, gw *flink.Gateway, session, dir, statement string) ([]byte, string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", eddy.Wrap(eddy.EINTERNAL, err, "applications: the plans directory")
	}
	f, err := os.CreateTemp(dir, "compile-*.json")
	if err != nil {
		return nil, "", eddy.Wrap(eddy.EINTERNAL, err, "applications: the plans directory")
	}
	path := f.Name()
	f.Close()
	// COMPILE PLAN refuses a file that exists (IF NOT EXISTS would keep it).
	os.Remove(path)
	defer os.Remove(path)
	if _, err := gw.Run(ctx, session, "COMPILE PLAN "+quoteString(fileURI(path))+" FOR "+statement, 1); err != nil {
		var apiErr *flink.APIError
		if !errors.As(err, &apiErr) {
			return nil, "", unavailable(err)
		}
		return nil, "Flink cannot compile the job's plan: " + firstLine(apiErr.RootCause), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "the gateway wrote the compiled plan where Eddy cannot read it (a remote gateway)", nil
	}
	return data, "", nil
}

// fileURI is the file: URI of a local path.
func fileURI(path string) string {
	if strings.Contains(path, "://") {
		return path
	}
	return "file://" + path
}

// replay runs the build's statements but the statement set in session,
// each in its session-scoped form.
func (b *Build) replay(ctx context.Context, gw *flink.Gateway, session string) error {
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
			return b.statementError(st, err)
		}
	}
	return nil
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

// pythonPlanNote ends a Python version's Plan: only the SQL before its
// first Python paragraph can be explained before the program runs.
const pythonPlanNote = "The plan of a Python application's job is known only when its program runs."

// ValidatePython checks a Python build. python (an interpreter) compiles
// the program without running any of it; a syntax error refuses the build,
// naming the paragraph and its line. The gateway then checks the SQL
// paragraphs that come before the first Python paragraph, as Validate
// does (their INSERTs are explained together when there are any); later
// SQL may use what the Python code defines, so it is checked only when
// the application runs. The plan is that EXPLAIN's, or a note that there
// is none yet.
func ValidatePython(ctx context.Context, gw *flink.Gateway, python string, b *Build) (plan string, err error) {
	if err := compilePython(ctx, python, b); err != nil {
		return "", err
	}
	first := -1
	for _, in := range b.Included {
		if slices.Equal(in.Statements, []string{"PYTHON"}) {
			first = in.Index
			break
		}
	}
	before := &Build{Included: b.Included}
	for _, st := range b.Statements {
		if st.Index < first {
			before.Statements = append(before.Statements, st)
		}
	}
	for _, ins := range b.Inserts {
		if ins.Index < first {
			before.Inserts = append(before.Inserts, ins)
		}
	}
	if len(before.Inserts) > 0 {
		val, err := Validate(ctx, gw, before, "")
		if err != nil {
			return "", err
		}
		return val.Plan + "\n" + pythonPlanNote + "\n", nil
	}
	if len(before.Statements) > 0 {
		session, err := gw.OpenSession(ctx, validateSession, nil)
		if err != nil {
			return "", unavailable(err)
		}
		defer func() {
			closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			_ = gw.CloseSession(closeCtx, session)
			cancel()
		}()
		if err := before.replay(ctx, gw, session); err != nil {
			return "", err
		}
	}
	return pythonPlanNote, nil
}

// pySyntaxLine finds the line py_compile reports an error at.
var pySyntaxLine = regexp.MustCompile(`line (\d+)`)

// compilePython compiles a Python build's program with python -m
// py_compile. A syntax error refuses the build at the paragraph (and its
// line) the program's line comes from.
func compilePython(ctx context.Context, python string, b *Build) error {
	dir, err := os.MkdirTemp("", "eddy-pycheck-")
	if err != nil {
		return eddy.Wrap(eddy.EINTERNAL, err, "the application cannot be validated")
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "app.py")
	if err := os.WriteFile(file, []byte(b.Script), 0o600); err != nil {
		return eddy.Wrap(eddy.EINTERNAL, err, "the application cannot be validated")
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, python, "-m", "py_compile", file)
	cmd.Env = append(os.Environ(), "PYTHONPYCACHEPREFIX="+filepath.Join(dir, "cache"))
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return eddy.Wrap(eddy.EUNAVAILABLE, err, "the application cannot be validated: Python %s did not run", python)
	}
	msg := strings.TrimSpace(strings.ReplaceAll(string(out), file, "app.py"))
	if lines := strings.Split(msg, "\n"); len(lines) > 0 {
		msg = strings.TrimSpace(lines[len(lines)-1]) // e.g. SyntaxError: invalid syntax
	}
	ref, line := paraRef{index: -1}, 0
	if m := pySyntaxLine.FindStringSubmatch(string(out)); m != nil {
		n, _ := strconv.Atoi(m[1])
		ref, line = b.pythonLine(n)
	}
	if line > 0 {
		return refuse(ref, "line %d: %s", line, msg)
	}
	return refuse(ref, "%s", msg)
}

// pythonLine maps a line of a Python build's program to the paragraph it
// comes from and the line in that paragraph (0 when the line is Eddy's).
func (b *Build) pythonLine(n int) (paraRef, int) {
	lines := strings.Split(b.Script, "\n")
	for i := min(n, len(lines)) - 1; i >= 0; i-- {
		var k int
		if _, err := fmt.Sscanf(lines[i], "# paragraph %d:", &k); err != nil || !strings.HasPrefix(lines[i], "# paragraph ") {
			continue
		}
		ref := paraRef{index: k - 1}
		for _, in := range b.Included {
			if in.Index == k-1 {
				ref.id, ref.title = in.ParagraphID, in.Title
			}
		}
		return ref, n - i - 1
	}
	return paraRef{index: -1}, 0
}
