package applications

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/pyworker"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// Build is a note built into one SQL script: the note's settings and DDL in
// note order, then every INSERT of the note in one statement set, so the
// whole note runs as one Flink job.
type Build struct {
	// Language is what Script is written in: LanguageSQL, run by Flink's
	// SqlDriver, or LanguagePython, a PyFlink program run by its
	// PythonDriver (see BuildNote).
	Language string
	// Script is the application's SQL script, every statement ending in
	// ';', or its Python program.
	Script string
	// Settings are the SET statements in effect at the end of the script
	// (key to value; RESET removes).
	Settings map[string]string
	Included []Inclusion
	Excluded []Exclusion
	Forms    []BakedForm
	// Batch is true when the INSERTs come from %flink.bsql paragraphs: the
	// script runs in batch mode.
	Batch bool
	// Statements are the script's statements in order, the final statement
	// set included; Validate replays them.
	Statements []ScriptStatement
	// Inserts are the INSERTs of the final statement set, each with the
	// paragraph it comes from. A Python build lists its SQL paragraphs'
	// INSERTs only: its Python code adds its own when it runs.
	Inserts []ScriptStatement
}

// ScriptStatement is one statement of a build's script.
type ScriptStatement struct {
	// ParagraphID and Index name the paragraph the statement comes from;
	// Index is -1 (and ParagraphID "") for statements Eddy wrote: the
	// runtime mode and the final statement set.
	ParagraphID string
	Index       int
	Kind        kernel.StatementKind
	// Text is the statement as the script holds it, without its ';'.
	Text string
}

// Refusal is the Details of the eddy.EINVALID error of a note that cannot
// be built: the paragraph that stops it, and why.
type Refusal struct {
	ParagraphID string `json:"paragraphId,omitempty"`
	// Index is the paragraph's 0-based position, -1 when the refusal is
	// about the note as a whole.
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// Exclusion reasons that clients may recognise.
const (
	ReasonDisabled = "disabled"
	ReasonEmpty    = "empty"
	ReasonMarkdown = "Markdown only displays"
)

// BuildNote builds a note's paragraphs (in note order) into an application
// script. It does no I/O: Validate checks the result against Flink.
//
// Paragraphs that are disabled, empty, Markdown, or whose statements only
// display results (SELECT, SHOW, DESCRIBE, EXPLAIN) are excluded with the
// reason. SET, RESET, USE, DDL, ADD JAR and LOAD/UNLOAD MODULE are kept in
// order; a permanent CREATE gets IF NOT EXISTS and a DROP gets IF EXISTS,
// because the application shares the persistent catalog with the notes and
// restarts. Every INSERT (alone, EXECUTE INSERT, or in either
// kind of statement set) moves into one EXECUTE STATEMENT SET at the end.
// Dynamic forms are replaced by the values the note holds, and listed.
//
// A note with a Python paragraph (%flink.pyflink, %flink.ipyflink) builds
// into a Python program instead, as BuildPython says, unless each of its
// Python paragraphs only registered Python functions for SQL: those
// functions then join the SQL script, without the paragraph's other code.
//
// Anything that would change what the note does is refused rather than
// dropped: statements that run jobs or act of their own
// (CREATE TABLE ... AS, EXECUTE PLAN, UPDATE, DELETE, STOP JOB, CALL, ...),
// forms without a value or holding a password, batch and streaming INSERTs
// in one note, a note without an INSERT. The error is an *eddy.Error of code
// eddy.EINVALID whose Details is a Refusal; the first refusal stops the build.
func BuildNote(note *notebooks.Note, paras []*notebooks.Paragraph) (*Build, error) {
	return BuildNoteResolving(note, paras, nil)
}

// BuildNoteResolving is BuildNote that also carries the note's
// flink.execution.packages into the application, as the note's own runs
// do: resolve turns each Maven coordinate into a local jar (fetching it),
// which the script adds with ADD JAR. With a nil resolve the packages are
// left out with a note.
func BuildNoteResolving(note *notebooks.Note, paras []*notebooks.Paragraph, resolve func(coords string) (string, error)) (*Build, error) {
	if needsPython(note, paras) {
		return buildPython(note, paras, resolve)
	}
	bd := &builder{note: note, settings: map[string]string{}, resolve: resolve}
	for i, p := range paras {
		if err := bd.paragraph(i, p); err != nil {
			return nil, err
		}
	}
	if len(bd.inserts) == 0 {
		return nil, refuse(paraRef{index: -1},
			"the note writes to no table: an application needs at least one INSERT INTO")
	}
	return bd.finish(), nil
}

// paraRef names a paragraph in messages and results.
type paraRef struct {
	index int
	id    string
	title string
}

// String names the paragraph as a user sees it: counted from 1, with its
// title when it has one.
func (r paraRef) String() string {
	if r.title != "" {
		return fmt.Sprintf("paragraph %d (%q / %s)", r.index+1, r.title, r.id)
	}
	return fmt.Sprintf("paragraph %d (%s)", r.index+1, r.id)
}

// comment is the script's comment line above the paragraph's statements.
func (r paraRef) comment() string {
	label := r.title
	if label == "" {
		label = r.id
	}
	return fmt.Sprintf("-- paragraph %d: %s", r.index+1, oneLine(label))
}

// refuse returns the build's error for a refusal of paragraph r (index -1:
// the whole note).
func refuse(r paraRef, format string, args ...any) *eddy.Error {
	reason := fmt.Sprintf(format, args...)
	e := eddy.Errorf(eddy.EINVALID, "%s", reason)
	if r.index >= 0 {
		e.Message = r.String() + ": " + reason
	}
	e.Details = Refusal{ParagraphID: r.id, Index: r.index, Reason: reason}
	return e
}

// builder holds a build's state while it walks the paragraphs.
type builder struct {
	note     *notebooks.Note
	resolve  func(coords string) (string, error) // nil: packages are left out
	settings map[string]string
	sections []section
	inserts  []ScriptStatement
	included []Inclusion
	excluded []Exclusion
	forms    []BakedForm
	// firstBatch and firstStream are the first paragraphs whose INSERTs
	// run in batch and in streaming mode.
	firstBatch, firstStream *paraRef
	// resetAll is set by a RESET without a key, which also clears the
	// runtime mode written at the top: it is written again before the
	// statement set.
	resetAll bool
	// python builds a Python program: Python paragraphs run their code
	// (see pybuild.go).
	python bool
}

// section is the kept statements of one paragraph, in order, or a Python
// paragraph's code.
type section struct {
	ref        paraRef
	statements []ScriptStatement
	// inserts are the paragraph's INSERTs, which a Python program runs in
	// note order (a SQL script runs them all at its end).
	inserts []ScriptStatement
	python  string
}

// paragraphBuild collects what one paragraph contributes.
type paragraphBuild struct {
	ref        paraRef
	statements []ScriptStatement // kept, in order (INSERTs excluded)
	inserts    []ScriptStatement
	kinds      []string // of every kept statement, INSERTs included
	notes      []string
	dropped    []string // labels of statements dropped as display-only
}

// keep adds a statement to the script. Line comments go: Flink's
// SqlDriver, which runs the script, splits it with a lexer that does not
// know `//` comments (see kernel.StripLineComments).
func (pb *paragraphBuild) keep(kind kernel.StatementKind, text string) {
	text = kernel.StripLineComments(text)
	pb.statements = append(pb.statements, ScriptStatement{ParagraphID: pb.ref.id, Index: pb.ref.index, Kind: kind, Text: text})
	pb.kinds = append(pb.kinds, kind.String())
}

func (pb *paragraphBuild) insert(text string) {
	text = kernel.StripLineComments(text)
	pb.inserts = append(pb.inserts, ScriptStatement{ParagraphID: pb.ref.id, Index: pb.ref.index, Kind: kernel.StmtDML, Text: text})
	pb.kinds = append(pb.kinds, kernel.StmtDML.String())
}

func (pb *paragraphBuild) note(s string) {
	for _, n := range pb.notes {
		if n == s {
			return
		}
	}
	pb.notes = append(pb.notes, s)
}

func (pb *paragraphBuild) drop(label string) {
	for _, d := range pb.dropped {
		if d == label {
			return
		}
	}
	pb.dropped = append(pb.dropped, label)
}

func (pb *paragraphBuild) empty() bool { return len(pb.kinds) == 0 }

func (bd *builder) exclude(r paraRef, reason string) {
	bd.excluded = append(bd.excluded, Exclusion{ParagraphID: r.id, Index: r.index, Title: r.title, Reason: reason})
}

// pythonFunctions includes the Python functions a Python paragraph
// registered for SQL when it last ran (kernel.ConfigPythonFunctions): the
// application imports the same saved module. The paragraph's Python code
// itself does not run in an application yet, so one that registered
// nothing is refused rather than dropped unseen.
func (bd *builder) pythonFunctions(ref paraRef, p *notebooks.Paragraph) error {
	fs, ok := registeredFunctions(p)
	if !ok {
		return refuse(ref, "Python paragraphs cannot be deployed yet; only the Python functions a paragraph registered for SQL can (run it, then deploy)")
	}
	pb := &paragraphBuild{ref: ref}
	names := make([]string, len(fs.Functions))
	for i, f := range fs.Functions {
		names[i] = f.Name
	}
	for _, stmt := range kernel.PythonFunctionStatements(fs, true) {
		kind := kernel.StmtDDL
		if strings.HasPrefix(stmt, "SET ") {
			kind = kernel.StmtSet
		}
		pb.keep(kind, stmt)
	}
	pb.note("its Python functions " + strings.Join(names, ", ") + " (the paragraph's other Python code does not run in the application)")
	bd.included = append(bd.included, Inclusion{ParagraphID: ref.id, Index: ref.index, Title: ref.title,
		Statements: pb.kinds, Notes: pb.notes})
	bd.sections = append(bd.sections, section{ref: ref, statements: pb.statements})
	return nil
}

// registeredFunctions returns the Python functions a Python paragraph
// registered for SQL when it last ran, and false when it registered none.
func registeredFunctions(p *notebooks.Paragraph) (pyworker.Functions, bool) {
	var fs pyworker.Functions
	raw, ok := p.Config[kernel.ConfigPythonFunctions]
	if !ok {
		return fs, false
	}
	b, err := json.Marshal(raw)
	if err == nil {
		err = json.Unmarshal(b, &fs)
	}
	return fs, err == nil && fs.Module != "" && len(fs.Functions) > 0
}

// paragraph builds the paragraph at index i.
func (bd *builder) paragraph(i int, p *notebooks.Paragraph) error {
	ref := paraRef{index: i, id: p.ID, title: p.Title}
	if !p.Enabled() {
		bd.exclude(ref, ReasonDisabled)
		return nil
	}
	if strings.TrimSpace(p.Text) == "" {
		bd.exclude(ref, ReasonEmpty)
		return nil
	}
	h, err := kernel.ParseParagraph(p.Text)
	if err != nil {
		return refuse(ref, "%s", eddy.ErrorMessage(err))
	}
	interp, err := kernel.ResolveInterpreter(h.Interpreter, bd.note.DefaultInterpreterGroup)
	switch {
	case (interp.Kind == kernel.InterpreterPyFlink || interp.Kind == kernel.InterpreterIPyFlink) && bd.python:
		return bd.pythonParagraph(ref, h.Body, interp.Kind == kernel.InterpreterIPyFlink)
	case interp.Kind == kernel.InterpreterPyFlink || interp.Kind == kernel.InterpreterIPyFlink:
		return bd.pythonFunctions(ref, p)
	case err != nil:
		return refuse(ref, "%s", eddy.ErrorMessage(err))
	case interp.Kind == kernel.InterpreterMarkdown:
		bd.exclude(ref, ReasonMarkdown)
		return nil
	case h.Body == "":
		bd.exclude(ref, ReasonEmpty)
		return nil
	}
	params := kernel.ChosenParams(p.Settings.Params, p.Settings.Forms)
	fr, err := kernel.SubstituteForms(h.Body, params, kernel.ChosenParams(bd.note.NoteParams, bd.note.NoteForms))
	if err != nil {
		return refuse(ref, "%s", eddy.ErrorMessage(err))
	}

	pb := &paragraphBuild{ref: ref}
	if interp.Kind == kernel.InterpreterConf {
		err = bd.conf(pb, fr.Text)
	} else {
		err = bd.sql(pb, fr.Text)
	}
	if err != nil {
		return err
	}
	forms, formErr := bd.bakeForms(pb.ref, fr, params)
	if pb.empty() {
		// Forms only in statements that display are not in the script, but
		// a form without a value may be what left the paragraph empty.
		reason := ReasonEmpty
		switch {
		case len(pb.dropped) > 0:
			reason = displayReason(pb.dropped)
		case formErr != nil:
			return formErr
		case len(pb.notes) > 0:
			reason = strings.Join(pb.notes, "; ")
		}
		bd.exclude(ref, reason)
		return nil
	}
	if formErr != nil {
		return formErr
	}
	if len(pb.inserts) > 0 {
		if err := bd.checkMode(ref, interp.Kind == kernel.InterpreterSQLBatch); err != nil {
			return err
		}
	}
	localPropertyNotes(pb, h.Properties)
	if len(pb.dropped) > 0 {
		pb.note("dropped: " + strings.Join(pb.dropped, ", ") + " (" + displayVerb(len(pb.dropped)) + ")")
	}
	bd.included = append(bd.included, Inclusion{ParagraphID: ref.id, Index: ref.index, Title: ref.title,
		Statements: pb.kinds, Notes: pb.notes})
	if len(pb.statements) > 0 || bd.python && len(pb.inserts) > 0 {
		bd.sections = append(bd.sections, section{ref: ref, statements: pb.statements, inserts: pb.inserts})
	}
	bd.inserts = append(bd.inserts, pb.inserts...)
	bd.forms = append(bd.forms, forms...)
	return nil
}

// displayReason is the exclusion reason of a paragraph whose statements
// only display, e.g. "SELECT only displays results".
func displayReason(labels []string) string {
	return strings.Join(labels, " and ") + " " + displayVerb(len(labels))
}

func displayVerb(n int) string {
	if n == 1 {
		return "only displays results"
	}
	return "only display results"
}

// checkMode refuses batch and streaming INSERTs in one note: one job runs
// in one mode. It names the first %flink.bsql paragraph.
func (bd *builder) checkMode(ref paraRef, batch bool) error {
	if batch && bd.firstBatch == nil {
		bd.firstBatch = &ref
	}
	if !batch && bd.firstStream == nil {
		bd.firstStream = &ref
	}
	if bd.firstBatch != nil && bd.firstStream != nil {
		return refuse(*bd.firstBatch, "batch (%%flink.bsql) and streaming paragraphs cannot run as one application")
	}
	return nil
}

// bakeForms returns the value each form of a paragraph was given, or the
// refusal of the first form that cannot be baked.
func (bd *builder) bakeForms(ref paraRef, fr kernel.FormResult, params map[string]any) ([]BakedForm, error) {
	var out []BakedForm
	for _, scope := range []struct {
		forms  []kernel.Form
		values map[string]any
		note   bool
		sigil  string
	}{
		{fr.Forms, params, false, "$"},
		{fr.NoteForms, kernel.ChosenParams(bd.note.NoteParams, bd.note.NoteForms), true, "$$"},
	} {
		for _, f := range scope.forms {
			if f.Type == kernel.FormPassword {
				return nil, refuse(ref, "the password form %s{%s} would be written into the application's script in clear text",
					scope.sigil, f.Name)
			}
			v := kernel.FormValue(f, scope.values)
			if v == "" && f.DefaultValue == nil {
				return nil, refuse(ref, "form %s{%s} has no value: set it in the note before deploying", scope.sigil, f.Name)
			}
			out = append(out, BakedForm{ParagraphID: ref.id, Name: f.Name, Value: v, Note: scope.note})
		}
	}
	return out, nil
}

// Zeppelin's %flink.conf keys for jars, as the kernel reads them.
const (
	confPackages = "flink.execution.packages"
	confJars     = "flink.execution.jars"
)

// runtimeModeKey is decided by the interpreters, not by SET: the kernel
// runs every %flink.ssql statement in streaming and every %flink.bsql
// statement in batch mode, whatever the session says.
const runtimeModeKey = "execution.runtime-mode"

// conf turns a %flink.conf paragraph into SET and ADD JAR statements.
func (bd *builder) conf(pb *paragraphBuild, body string) error {
	entries, err := kernel.ParseConf(body)
	if err != nil {
		return refuse(pb.ref, "%s", eddy.ErrorMessage(err))
	}
	for _, e := range entries {
		switch e.Key {
		case confJars:
			for _, jar := range strings.Split(e.Value, ",") {
				if jar = strings.TrimSpace(jar); jar != "" {
					pb.keep(kernel.StmtOther, "ADD JAR "+quoteString(jar))
				}
			}
		case confPackages:
			if bd.resolve == nil {
				// Validate fails if the application needs one.
				pb.note(confPackages + " ignored: the application uses the connectors installed on its cluster")
				continue
			}
			for _, coords := range strings.Split(e.Value, ",") {
				if coords = strings.TrimSpace(coords); coords == "" {
					continue
				}
				jar, err := bd.resolve(coords)
				if err != nil {
					return refuse(pb.ref, "package %s: %s", coords, eddy.ErrorMessage(err))
				}
				pb.keep(kernel.StmtOther, "ADD JAR "+quoteString(jar))
				pb.note(fmt.Sprintf("%s %s added as %s", confPackages, coords, filepath.Base(jar)))
			}
		case runtimeModeKey:
			pb.note(runtimeModeKey + " ignored: the paragraphs' interpreters decide the mode")
		default:
			pb.keep(kernel.StmtSet, "SET "+quoteString(e.Key)+" = "+quoteString(e.Value))
			bd.settings[e.Key] = e.Value
		}
	}
	return nil
}

// sql sorts the statements of a SQL paragraph's substituted body.
func (bd *builder) sql(pb *paragraphBuild, body string) error {
	for _, st := range kernel.SplitStatements(body) {
		if st.Unterminated {
			return refuse(pb.ref, "a statement is not terminated (an open quote, or BEGIN STATEMENT SET without END)")
		}
		if err := bd.statement(pb, st); err != nil {
			return err
		}
	}
	return nil
}

// statement sorts one statement: kept, moved into the statement set,
// dropped as display-only, or refused.
func (bd *builder) statement(pb *paragraphBuild, st kernel.Statement) error {
	words := leadingWords(st.Text, 4)
	switch st.Kind {
	case kernel.StmtQuery:
		pb.drop("SELECT")
	case kernel.StmtShow:
		pb.drop("SHOW")
	case kernel.StmtDescribe:
		pb.drop("DESCRIBE")
	case kernel.StmtExplain:
		pb.drop("EXPLAIN")
	case kernel.StmtSet:
		bd.set(pb, st.Text)
	case kernel.StmtUse:
		pb.keep(st.Kind, st.Text)
	case kernel.StmtDDL:
		if st.SubmitsJob {
			return refuse(pb.ref, "%s", tableAsSelectReason(words))
		}
		if wordAt(words, 0) == "TRUNCATE" {
			pb.keep(st.Kind, st.Text)
			return nil
		}
		text, note := makeIdempotent(st.Text)
		if note != "" {
			pb.note(note)
		}
		pb.keep(st.Kind, text)
	case kernel.StmtOther:
		switch w0, w1 := wordAt(words, 0), wordAt(words, 1); {
		case w0 == "ADD" && w1 == "JAR", (w0 == "LOAD" || w0 == "UNLOAD") && w1 == "MODULE":
			pb.keep(st.Kind, st.Text)
		default:
			return refuse(pb.ref, "%s", otherReason(words))
		}
	case kernel.StmtDML:
		text, err := insertText(st.Text, words)
		if err != nil {
			return refuse(pb.ref, "%s", err.Error())
		}
		pb.insert(text)
	case kernel.StmtStatementSet:
		inner, err := statementSetInserts(st)
		if err != nil {
			return refuse(pb.ref, "%s", err.Error())
		}
		for _, text := range inner {
			pb.insert(text)
		}
	default:
		return refuse(pb.ref, "%s cannot be deployed in an application", statementName(words))
	}
	return nil
}

// set keeps a SET or RESET and tracks the settings it leaves. A SET without
// a key only lists the settings; one of the runtime mode is dropped.
func (bd *builder) set(pb *paragraphBuild, text string) {
	key, value, op := parseSet(text)
	switch {
	case op == setList:
		pb.drop("SET")
		return
	case key == runtimeModeKey:
		pb.note("SET " + runtimeModeKey + " ignored: the paragraphs' interpreters decide the mode")
		return
	}
	pb.keep(kernel.StmtSet, text)
	switch op {
	case setValue:
		bd.settings[key] = value
	case setReset:
		delete(bd.settings, key)
	case setResetAll:
		clear(bd.settings)
		bd.resetAll = true
	}
}

// Operations of a SET or RESET statement, as parseSet reads them.
const (
	setUnknown  = iota // a form parseSet does not read: kept, not tracked
	setList            // SET alone
	setValue           // SET 'key' = 'value'
	setReset           // RESET 'key'
	setResetAll        // RESET alone
)

var (
	setQuoted   = regexp.MustCompile(`(?is)^SET\s+'((?:[^']|'')*)'\s*=\s*'((?:[^']|'')*)'$`)
	setBare     = regexp.MustCompile(`(?is)^SET\s+([^\s=']+)\s*=\s*(.*?)$`)
	resetQuoted = regexp.MustCompile(`(?is)^RESET\s+'((?:[^']|'')*)'$`)
	resetBare   = regexp.MustCompile(`(?is)^RESET\s+([^\s']+)$`)
	setAlone    = regexp.MustCompile(`(?is)^(SET|RESET)$`)
)

// parseSet reads SET 'k' = 'v', SET k = v, RESET 'k', RESET k, SET and
// RESET (quotes doubled inside a quoted key or value stand for one).
func parseSet(text string) (key, value string, op int) {
	unquote := func(s string) string { return strings.ReplaceAll(s, "''", "'") }
	if m := setAlone.FindStringSubmatch(text); m != nil {
		if strings.EqualFold(m[1], "SET") {
			return "", "", setList
		}
		return "", "", setResetAll
	}
	if m := setQuoted.FindStringSubmatch(text); m != nil {
		return unquote(m[1]), unquote(m[2]), setValue
	}
	if m := setBare.FindStringSubmatch(text); m != nil {
		return m[1], strings.TrimSpace(m[2]), setValue
	}
	if m := resetQuoted.FindStringSubmatch(text); m != nil {
		return unquote(m[1]), "", setReset
	}
	if m := resetBare.FindStringSubmatch(text); m != nil {
		return m[1], "", setReset
	}
	return "", "", setUnknown
}

// word is a bare word at the start of a statement, upper-cased, and where
// it is in the statement's text.
type word struct {
	upper      string
	start, end int
}

// leadingWords returns up to n bare words (letters, digits, '_') at the
// start of text, skipping white space and comments between them. It stops
// at the first token that is not a bare word (a quoted name, punctuation).
func leadingWords(text string, n int) []word {
	var out []word
	for i := 0; i < len(text) && len(out) < n; {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case (c == '-' || c == '/') && i+1 < len(text) && text[i+1] == c:
			if e := strings.IndexAny(text[i:], "\r\n"); e >= 0 {
				i += e
			} else {
				i = len(text)
			}
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			if e := strings.Index(text[i+2:], "*/"); e >= 0 {
				i += e + 4
			} else {
				i = len(text)
			}
		case isWordChar(c):
			j := i
			for j < len(text) && isWordChar(text[j]) {
				j++
			}
			out = append(out, word{upper: strings.ToUpper(text[i:j]), start: i, end: j})
			i = j
		default:
			return out
		}
	}
	return out
}

func isWordChar(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// wordAt returns the i-th word, or "".
func wordAt(words []word, i int) string {
	if i < len(words) {
		return words[i].upper
	}
	return ""
}

// statementName names a statement by its first words, e.g. "STOP JOB".
func statementName(words []word) string {
	switch len(words) {
	case 0:
		return "this statement"
	case 1:
		return words[0].upper
	}
	return words[0].upper + " " + words[1].upper
}

// idempotentObjects are the objects whose CREATE takes IF NOT EXISTS and
// whose DROP takes IF EXISTS.
var idempotentObjects = map[string]bool{"TABLE": true, "VIEW": true, "FUNCTION": true, "DATABASE": true, "CATALOG": true, "MODEL": true}

// makeIdempotent rewrites CREATE <object> name into CREATE <object> IF NOT
// EXISTS name for permanent objects, and DROP [TEMPORARY [SYSTEM]] <object>
// name into DROP ... IF EXISTS name, returning the note that says so. A
// statement that already has the clause, a CREATE TEMPORARY or CREATE OR
// ..., and anything it cannot read are returned unchanged with no note.
func makeIdempotent(text string) (string, string) {
	words := leadingWords(text, 6)
	i := 1
	var clause, note string
	switch wordAt(words, 0) {
	case "CREATE":
		if w := wordAt(words, 1); w == "TEMPORARY" || w == "OR" {
			return text, ""
		}
		clause, note = " IF NOT EXISTS", "CREATE %s made IF NOT EXISTS: the application shares the catalog with the notes and restarts"
	case "DROP":
		if wordAt(words, i) == "TEMPORARY" {
			i++
			if wordAt(words, i) == "SYSTEM" {
				i++
			}
		}
		if wordAt(words, i) == "MATERIALIZED" && wordAt(words, i+1) == "TABLE" {
			i++
		}
		clause, note = " IF EXISTS", "DROP %s made IF EXISTS: the application restarts"
	default:
		return text, ""
	}
	obj := wordAt(words, i)
	if !idempotentObjects[obj] || wordAt(words, i+1) == "IF" {
		return text, ""
	}
	if i+1 >= len(words) && words[i].end == len(text) {
		return text, "" // no name follows: nothing to make idempotent
	}
	at := words[i].end
	return text[:at] + clause + text[at:], fmt.Sprintf(note, obj)
}

// tableAsSelectReason explains the refusal of a DDL statement that runs a
// job of its own.
func tableAsSelectReason(words []word) string {
	for _, w := range words {
		if w.upper == "MATERIALIZED" {
			return "CREATE MATERIALIZED TABLE is refreshed by Flink's own scheduler: it cannot be part of an application"
		}
	}
	what := "CREATE TABLE … AS SELECT"
	if wordAt(words, 0) == "REPLACE" || wordAt(words, 2) == "REPLACE" {
		what = "REPLACE TABLE … AS SELECT"
	}
	return what + " runs its own job: write CREATE TABLE and INSERT INTO to deploy it"
}

// otherReason explains the refusal of a statement that is neither kept nor
// dropped.
func otherReason(words []word) string {
	w0, w1 := wordAt(words, 0), wordAt(words, 1)
	switch {
	case w0 == "STOP" && w1 == "JOB":
		return "STOP JOB acts on another job: run it from the note, not in an application"
	case w0 == "CALL":
		return "CALL runs a catalog procedure once: run it from the note, not in an application"
	case w0 == "COMPILE":
		return "COMPILE PLAN writes a plan file: run it from the note, then deploy the INSERT it was compiled from"
	case w0 == "REMOVE" && w1 == "JAR":
		// "SQL Gateway doesn't support REMOVE JAR syntax now." (Flink 2.3),
		// and the application's script runs as the gateway runs statements.
		return "REMOVE JAR is not supported by Flink's SQL Gateway, which runs the application's script"
	case w0 == "ANALYZE":
		return "ANALYZE TABLE runs a batch job of its own: run it from the note, not in an application"
	}
	return statementName(words) + " cannot be deployed in an application"
}

// insertText returns the INSERT a DML statement contributes to the
// statement set (EXECUTE INSERT loses its EXECUTE), or why it cannot.
func insertText(text string, words []word) (string, error) {
	w0, w1 := wordAt(words, 0), wordAt(words, 1)
	switch {
	case w0 == "INSERT":
		return text, nil
	case w0 == "EXECUTE" && w1 == "INSERT":
		return text[words[1].start:], nil
	case w0 == "EXECUTE" && w1 == "PLAN":
		return "", fmt.Errorf("EXECUTE PLAN runs a compiled plan as a job of its own: deploy the INSERT the plan was compiled from")
	case w0 == "UPDATE", w0 == "DELETE":
		return "", fmt.Errorf("%s changes rows once, in batch mode: run it from the note, not in an application", w0)
	case w0 == "UPSERT" || w1 == "UPSERT":
		return "", fmt.Errorf("UPSERT INTO is not supported by Flink: write INSERT INTO")
	}
	return "", fmt.Errorf("%s cannot be deployed in an application", statementName(words))
}

// statementSetInserts returns the INSERTs of a statement set: EXECUTE
// STATEMENT SET BEGIN ... END, or the interactive BEGIN STATEMENT SET; ...;
// END; unit.
func statementSetInserts(st kernel.Statement) ([]string, error) {
	var inner []kernel.Statement
	if st.Pieces != nil {
		inner = st.Pieces[1 : len(st.Pieces)-1]
	} else {
		words := leadingWords(st.Text, 4)
		if len(words) < 4 || words[0].upper != "EXECUTE" || words[3].upper != "BEGIN" || len(st.Text) < 3 ||
			!strings.EqualFold(st.Text[len(st.Text)-3:], "END") {
			return nil, fmt.Errorf("this statement set cannot be read: write EXECUTE STATEMENT SET BEGIN INSERT ...; END")
		}
		inner = kernel.SplitStatements(st.Text[words[3].end : len(st.Text)-3])
	}
	out := make([]string, 0, len(inner))
	for _, s := range inner {
		if s.Kind != kernel.StmtDML {
			return nil, fmt.Errorf("a statement set may hold only INSERT statements, not %s", statementName(leadingWords(s.Text, 2)))
		}
		text, err := insertText(s.Text, leadingWords(s.Text, 2))
		if err != nil {
			return nil, err
		}
		out = append(out, text)
	}
	return out, nil
}

// localPropertyNotes notes the local properties the application ignores.
// Display properties (type, template, refreshInterval, threshold) and
// runAsOne (the application is one statement set anyway) go unsaid.
func localPropertyNotes(pb *paragraphBuild, props map[string]string) {
	for _, key := range slices.Sorted(maps.Keys(props)) {
		switch key {
		case "type", "template", "refreshInterval", "threshold", "runAsOne":
		case "parallelism", "maxParallelism":
			pb.note("parallelism hint ignored: the application's parallelism applies")
		case "jobName":
			pb.note("jobName ignored: the application names its job")
		case "savepointDir", "execution.savepoint.path", "resumeFromSavepoint", "resumeFromLatestCheckpoint":
			pb.note(key + " ignored: the application restores from its own snapshots")
		default:
			pb.note("local property " + key + " ignored")
		}
	}
}

// finish lays out the script: a header, the runtime mode, each included
// paragraph's statements under a comment, then the statement set.
func (bd *builder) finish() *Build {
	b := &Build{Language: LanguageSQL, Settings: bd.settings, Included: bd.included, Excluded: bd.excluded, Forms: bd.forms,
		Batch: bd.firstBatch != nil, Inserts: bd.inserts}
	mode := "streaming"
	if b.Batch {
		mode = "batch"
	}
	modeSet := ScriptStatement{Index: -1, Kind: kernel.StmtSet, Text: "SET " + quoteString(runtimeModeKey) + " = " + quoteString(mode)}
	b.Settings[runtimeModeKey] = mode

	var sb strings.Builder
	fmt.Fprintf(&sb, "-- Built by Eddy from note %q (%s)\n", oneLine(bd.note.Name), oneLine(bd.note.ID))
	emit := func(st ScriptStatement) {
		sb.WriteString(st.Text)
		sb.WriteString(";\n")
		b.Statements = append(b.Statements, st)
	}
	emit(modeSet)
	for _, s := range bd.sections {
		sb.WriteString("\n" + s.ref.comment() + "\n")
		for _, st := range s.statements {
			emit(st)
		}
	}
	// The statement set comes last, after every paragraph's DDL, including
	// DDL that the note ran after an INSERT paragraph: the note had run all
	// of it by the time its INSERTs' jobs planned, so the plan is the same.
	sb.WriteString("\n-- the note's INSERTs, run as one job\n")
	if bd.resetAll {
		emit(modeSet)
	}
	var set strings.Builder
	set.WriteString("EXECUTE STATEMENT SET\nBEGIN\n")
	last := -2
	for _, ins := range bd.inserts {
		if ins.Index != last {
			ref := paraRef{index: ins.Index, id: ins.ParagraphID, title: bd.titleOf(ins.Index)}
			set.WriteString(ref.comment() + "\n")
			last = ins.Index
		}
		set.WriteString(ins.Text)
		set.WriteString(";\n")
	}
	set.WriteString("END")
	emit(ScriptStatement{Index: -1, Kind: kernel.StmtStatementSet, Text: set.String()})
	b.Script = sb.String()
	return b
}

// titleOf returns the title of the included paragraph at index.
func (bd *builder) titleOf(index int) string {
	for _, in := range bd.included {
		if in.Index == index {
			return in.Title
		}
	}
	return ""
}

// quoteString writes s as a SQL string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// oneLine keeps a name on its comment line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
