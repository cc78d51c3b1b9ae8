package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/eddy-notebooks/eddy/kernel/atomicfile"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// Compiled plans.
//
// With Config.PlansDir set, a streaming paragraph's INSERT job (INSERT,
// EXECUTE INSERT, a statement set) is compiled with
//
//	COMPILE PLAN '<file>' FOR
//	<INSERT ... | STATEMENT SET BEGIN ... END>
//
// and runs as EXECUTE PLAN '<file>' (see runCompiled), so its operators
// get the explicit ids of a compiled plan (uids "<id>_<transformation>")
// and an application compiled from the same SQL can take over the job's
// savepoint (see HandOff). The file is
// <PlansDir>/<noteID>/<paragraphID>-<unixnano>.json, new for every job
// (of an existing file, COMPILE AND EXECUTE PLAN silently executes the
// plan it holds, compiling nothing). A paragraph's plan files stay until
// its next run starts, which deletes them.
//
// The header ends with a line break and "EXECUTE" is blanked out rather
// than cut, so Flink's "line L, column C" in the user's statement is one
// line off and nothing else; compiledError puts it back.

// planHeader is what precedes a compiled statement's text; it is one line.
const planHeader = "COMPILE PLAN '%s' FOR\n"

// planBody returns the text that follows planHeader for st, and false when
// st is not an INSERT job a plan is compiled for: not an INSERT, EXECUTE
// INSERT or statement set (UPDATE, DELETE, EXECUTE PLAN, ... run as they
// are). The body keeps every character of st at its line and column.
func planBody(st Statement) (string, bool) {
	if st.Pieces != nil {
		return unitBody(st)
	}
	text := st.Text
	switch st.Kind {
	case StmtDML:
		if hasWord(text, "INSERT") {
			return text, true
		}
		if rest, ok := afterWord(text, "EXECUTE"); ok && hasWord(rest, "INSERT") {
			return blankPrefix(text, len(text)-len(rest)), true
		}
	case StmtStatementSet:
		if rest, ok := afterWord(text, "EXECUTE"); ok && hasWord(rest, "STATEMENT") {
			return blankPrefix(text, len(text)-len(rest)), true
		}
	}
	return "", false
}

// unitBody turns an interactive BEGIN STATEMENT SET; ...; END unit into
// STATEMENT SET BEGIN ...; END at the same lines and columns.
func unitBody(st Statement) (string, bool) {
	ps := st.Pieces
	if len(ps) < 3 || st.Offset < 0 {
		return "", false
	}
	for _, p := range ps[1 : len(ps)-1] {
		if p.Kind != StmtDML || !hasWord(p.Text, "INSERT") {
			return "", false
		}
	}
	first := ps[1].Offset - st.Offset // the first INSERT, in st.Text
	if first <= 0 || first > len(st.Text) {
		return "", false
	}
	const begin = "STATEMENT SET BEGIN"
	head := blankPrefix(st.Text[:first], first)
	if i := strings.IndexByte(head, '\n'); i < 0 && len(head) >= len(begin) || i >= len(begin) {
		head = begin + head[len(begin):]
	} else {
		head = begin + "\n" + head
	}
	return head + st.Text[first:], true
}

// hasWord reports whether text starts with the keyword w (any case).
func hasWord(text, w string) bool {
	_, ok := afterWord(text, w)
	return ok
}

// afterWord returns what follows the keyword w at the start of text, its
// leading white space and comments skipped.
func afterWord(text, w string) (string, bool) {
	if len(text) < len(w) || !strings.EqualFold(text[:len(w)], w) {
		return "", false
	}
	rest := text[len(w):]
	if rest != "" && !unicode.IsSpace(rune(rest[0])) && rest[0] != '/' && rest[0] != '-' {
		return "", false
	}
	for {
		trimmed := strings.TrimLeftFunc(rest, unicode.IsSpace)
		switch {
		case strings.HasPrefix(trimmed, "--"), strings.HasPrefix(trimmed, "//"):
			i := strings.IndexByte(trimmed, '\n')
			if i < 0 {
				return "", true
			}
			rest = trimmed[i:]
		case strings.HasPrefix(trimmed, "/*") && !strings.HasPrefix(trimmed, "/*+"):
			i := strings.Index(trimmed, "*/")
			if i < 0 {
				return "", true
			}
			rest = trimmed[i+2:]
		default:
			return trimmed, true
		}
	}
}

// blankPrefix replaces the first n bytes of text with spaces, keeping line
// breaks, so what follows stays at its line and column.
func blankPrefix(text string, n int) string {
	b := []byte(text)
	for i := 0; i < n; i++ {
		if b[i] != '\n' && b[i] != '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}

// planPath returns a new plan file path for a job of the paragraph,
// creating its directory. It never returns the path of an existing file.
func (k *Kernel) planPath(paragraphID string) (string, error) {
	dir := filepath.Join(k.cfg.PlansDir, k.cfg.NoteID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create the plans directory: %w", err)
	}
	for {
		path := filepath.Join(dir, paragraphID+"-"+strconv.FormatInt(time.Now().UnixNano(), 10)+".json")
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			return path, nil
		}
		time.Sleep(time.Microsecond)
	}
}

// removePlans deletes the plan files of the paragraph's earlier runs.
func (k *Kernel) removePlans(paragraphID string) {
	if k.cfg.PlansDir == "" || !planName(k.cfg.NoteID) || !planName(paragraphID) {
		return
	}
	dir := filepath.Join(k.cfg.PlansDir, k.cfg.NoteID)
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		stamp, ok := strings.CutPrefix(e.Name(), paragraphID+"-")
		stamp, json := strings.CutSuffix(stamp, ".json")
		if _, err := strconv.ParseInt(stamp, 10, 64); !ok || !json || err != nil {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			k.log.Warn("cannot remove an old plan file", "path", filepath.Join(dir, e.Name()), "err", err)
		}
	}
}

// planName reports whether a note or paragraph id can name a plan file or
// directory as it is (Eddy's and Zeppelin's ids can); a job of a paragraph
// whose ids cannot runs uncompiled.
func planName(id string) bool {
	if id == "" || id[0] == '.' {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// planUnsupported matches Flink's refusals to write a compiled plan for a
// statement it can run uncompiled: a node, function, type or literal that
// has no JSON form. Nothing else is retried uncompiled, so a user's SQL
// error never runs twice.
var planUnsupported = regexp.MustCompile(`(?i)not supported in compiled plans|` +
	`can ?not be serialized|cannot serialize|is not supported for serializing|` +
	`unsupported exec node|is not listed in the unsupported classes|` +
	`deprecated function stack are not supported|unsupported anonymous function kind|` +
	`asymmetric external serializers|unsupported special case for raw type`)

// runCompiled runs st, an INSERT job, from a compiled plan: it reports
// false, running nothing, when st is not one (see planBody). When Flink
// cannot compile a plan for st, it runs st uncompiled with a message that
// says so.
//
// The plan is compiled (COMPILE PLAN), its node ids numbered 1, 2, ... in
// its order (renumberPlan), and then executed (EXECUTE PLAN): Flink numbers
// the nodes of every plan its JVM compiles from one counter, so without
// that a run of the same SQL from a savepoint would find none of the
// savepoint's operators.
func (ex *execution) runCompiled(ctx context.Context, st Statement, base map[string]string) (bool, error) {
	if !ex.streaming || ex.k.cfg.PlansDir == "" || !planName(ex.note.ID) || !planName(ex.p.ID) {
		return false, nil
	}
	body, ok := planBody(st)
	if !ok {
		return false, nil
	}
	path, err := ex.k.planPath(ex.p.ID)
	if err != nil {
		return true, err
	}
	handle, op, err := ex.k.executeStatement(ctx, fmt.Sprintf(planHeader, quoteSQL(path))+body, maps.Clone(base))
	if err == nil {
		err = ex.k.finish(ctx, handle, op)
	}
	if ctx.Err() != nil {
		_ = os.Remove(path)
		return true, nil
	}
	if err != nil {
		_ = os.Remove(path)
		return true, ex.uncompiled(ctx, st, base, err)
	}
	if err := renumberPlan(path); err != nil {
		return true, fmt.Errorf("renumber the compiled plan %s: %w", path, err)
	}
	ex.plan, ex.planSource = path, st.Text
	defer func() { ex.plan, ex.planSource = "", "" }()
	return true, ex.runStatement(ctx, Statement{Text: fmt.Sprintf("EXECUTE PLAN '%s'", quoteSQL(path)), Offset: -1,
		Kind: StmtDML, SubmitsJob: true}, base)
}

// uncompiled handles Flink's refusal to compile a plan for st: st runs
// uncompiled when Flink cannot write its plan (planUnsupported); any other
// error is the statement's own and is returned, its line numbers counted
// from the statement (compiledError).
func (ex *execution) uncompiled(ctx context.Context, st Statement, base map[string]string, err error) error {
	var apiErr *flink.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	if !planUnsupported.MatchString(apiErr.RootCause + "\n" + strings.Join(apiErr.Causes, "\n")) {
		return compiledError(err)
	}
	ex.addMessage(notebooks.MessageText, "This job runs without a compiled plan: Flink cannot compile one for it ("+
		apiErr.RootCause+"). A hand-off to an application cannot carry its state.")
	for _, part := range st.Parts() {
		if err := ex.runStatement(ctx, part, base); err != nil || ctx.Err() != nil || ex.handedOff {
			return err
		}
	}
	return nil
}

// compiledPlan is what renumberPlan reads of a compiled plan.
type compiledPlan struct {
	Nodes []struct {
		ID int64 `json:"id"`
	} `json:"nodes"`
	Edges []struct {
		Source int64 `json:"source"`
		Target int64 `json:"target"`
	} `json:"edges"`
}

// planIDLine is a node's id or an edge's end in Flink's pretty-printed
// plan: a field of an element of the top-level nodes or edges array.
var planIDLine = regexp.MustCompile(`(?m)^    "(id|source|target)" : (\d+)(,?)$`)

// renumberPlan numbers the nodes of the compiled plan at path 1, 2, ...
// in the order the plan lists them, rewriting the edges to match, and
// leaves every other byte as Flink wrote it. It checks the result.
func renumberPlan(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var plan compiledPlan
	if err := json.Unmarshal(b, &plan); err != nil {
		return err
	}
	ids := make(map[int64]int64, len(plan.Nodes))
	for i, n := range plan.Nodes {
		ids[n.ID] = int64(i + 1)
	}
	var bad error
	out := planIDLine.ReplaceAllFunc(b, func(m []byte) []byte {
		sub := planIDLine.FindSubmatch(m)
		old, _ := strconv.ParseInt(string(sub[2]), 10, 64)
		id, ok := ids[old]
		if !ok {
			bad = fmt.Errorf("%s %d names no node", sub[1], old)
			return m
		}
		return []byte(fmt.Sprintf(`    "%s" : %d%s`, sub[1], id, sub[3]))
	})
	if bad != nil {
		return bad
	}
	var check compiledPlan
	if err := json.Unmarshal(out, &check); err != nil {
		return err
	}
	if len(check.Nodes) != len(plan.Nodes) || len(check.Edges) != len(plan.Edges) {
		return errors.New("nodes or edges lost")
	}
	for i, n := range check.Nodes {
		if n.ID != int64(i+1) {
			return fmt.Errorf("node %d has id %d after renumbering: the plan is not laid out as expected", i, n.ID)
		}
	}
	for i, e := range check.Edges {
		if e.Source != ids[plan.Edges[i].Source] || e.Target != ids[plan.Edges[i].Target] {
			return fmt.Errorf("edge %d is %d->%d after renumbering: the plan is not laid out as expected", i, e.Source, e.Target)
		}
	}
	return atomicfile.Write(path, bytes.NewReader(out))
}

var linePos = regexp.MustCompile(`line (\d+), column (\d+)`)

// compiledError moves Flink's "line L, column C" in a compiled
// statement's error back by the header's one line, so they count from the
// user's statement.
func compiledError(err error) error {
	var apiErr *flink.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	fix := func(s string) string {
		return linePos.ReplaceAllStringFunc(s, func(m string) string {
			sub := linePos.FindStringSubmatch(m)
			n, _ := strconv.Atoi(sub[1])
			if n <= 1 {
				return m // in the header: not the user's text
			}
			return "line " + strconv.Itoa(n-1) + ", column " + sub[2]
		})
	}
	apiErr.RootCause = fix(apiErr.RootCause)
	for i, c := range apiErr.Causes {
		apiErr.Causes[i] = fix(c)
	}
	apiErr.Trace = fix(apiErr.Trace)
	return err
}

// PlansDir returns the directory under dataDir where the cluster's
// notebook jobs keep their compiled plans (Config.PlansDir): "" for a
// cluster Eddy does not run, whose SQL Gateway need not share Eddy's files.
func PlansDir(c *Cluster, dataDir string) string {
	if c == nil || c.Mode != ModeLocal {
		return ""
	}
	dir, err := filepath.Abs(filepath.Join(dataDir, "plans"))
	if err != nil {
		return ""
	}
	return dir
}
