package applications

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// Languages of a build's script (Build.Language, Version.Language).
const (
	LanguageSQL    = "sql"
	LanguagePython = "python"
)

// pythonRuntime is what a Python application's program runs before the
// note's paragraphs: the names a note's Python worker gives them, and the
// hooks that gather every INSERT into the one job _eddy_run submits.
//
//go:embed pyapp.py
var pythonRuntime string

// pythonHeader starts every Python program Eddy builds (a SQL script
// starts with "-- Built by Eddy").
const pythonHeader = "# Built by Eddy from note "

// ScriptLanguage returns the language of a version's script: its
// Language, or for a version that does not say, the language its script's
// first line names.
func ScriptLanguage(v *Version) string {
	if v.Language != "" {
		return v.Language
	}
	if strings.HasPrefix(v.Script, pythonHeader) {
		return LanguagePython
	}
	return LanguageSQL
}

// needsPython reports whether a note builds into a Python program: it has
// an enabled Python paragraph with code that did not only register Python
// functions for SQL.
func needsPython(note *notebooks.Note, paras []*notebooks.Paragraph) bool {
	for _, p := range paras {
		if !p.Enabled() || strings.TrimSpace(p.Text) == "" {
			continue
		}
		h, err := kernel.ParseParagraph(p.Text)
		if err != nil || h.Body == "" {
			continue
		}
		interp, _ := kernel.ResolveInterpreter(h.Interpreter, note.DefaultInterpreterGroup)
		if interp.Kind != kernel.InterpreterPyFlink && interp.Kind != kernel.InterpreterIPyFlink {
			continue
		}
		if _, ok := registeredFunctions(p); !ok {
			return true
		}
	}
	return false
}

// buildPython builds a note with Python paragraphs into a PyFlink program
// that Flink's PythonDriver runs as the application (see BuildNote for the
// SQL rules, which apply to its SQL paragraphs):
//
//   - the program starts with Eddy's runtime, which makes st_env (a
//     streaming StreamTableEnvironment on the cluster's persistent catalog),
//     s_env and Zeppelin's other names, as the note's Python worker does;
//   - then each paragraph in note order: a Python paragraph's code as
//     written, a SQL paragraph's kept statements as st_env.execute_sql
//     calls (SET and RESET of a key set st_env's configuration, as
//     execute_sql takes neither; display-only statements excluded);
//   - every INSERT, from SQL or Python (execute_sql, Table.execute_insert,
//     a statement set's), joins one statement set, which the program
//     submits once, after the last paragraph, as the application's one job;
//     a DataStream pipeline the code executes with s_env joins that job.
//
// Refused: %flink.bsql INSERTs (the job is streaming), the batch table
// environment bt_env, Zeppelin's z (display and forms), to_pandas(),
// collect() and execute_and_collect() (an application shows nothing),
// IPython magics and shell escapes, RESET of every key, and a note with
// nothing that may write. At run time the program raises
// EddyApplicationError on a query run for display (execute_sql of a
// SELECT, Table.execute()) and when it wrote to no table.
func buildPython(note *notebooks.Note, paras []*notebooks.Paragraph, resolve func(coords string) (string, error)) (*Build, error) {
	bd := &builder{note: note, settings: map[string]string{}, resolve: resolve, python: true}
	for i, p := range paras {
		if err := bd.paragraph(i, p); err != nil {
			return nil, err
		}
	}
	if bd.firstBatch != nil {
		return nil, refuse(*bd.firstBatch, "a Python application runs one streaming job: its INSERTs cannot be batch (%%flink.bsql) ones")
	}
	if err := bd.checkPythonSettings(); err != nil {
		return nil, err
	}
	if !bd.mayWrite() {
		return nil, refuse(paraRef{index: -1},
			"the note writes to no table: an application needs at least one INSERT INTO (in SQL, or through st_env in Python)")
	}
	return bd.finishPython(), nil
}

// checkPythonSettings refuses the SET and RESET statements a Python
// program cannot apply: a table environment's execute_sql takes neither,
// so the program sets and removes keys of st_env's configuration, which
// needs the key (and a SET its value).
func (bd *builder) checkPythonSettings() error {
	for _, s := range bd.sections {
		for _, st := range s.statements {
			if st.Kind != kernel.StmtSet {
				continue
			}
			switch _, _, op := parseSet(st.Text); op {
			case setResetAll:
				return refuse(s.ref, "RESET without a key cannot run in a Python application: RESET each key")
			case setUnknown:
				return refuse(s.ref, "%s cannot be read: write SET 'key' = 'value' (or RESET 'key') in a Python application", firstLine(st.Text))
			}
		}
	}
	return nil
}

// pythonWrites are the calls through which Python code may write to a
// table or run a DataStream pipeline.
var pythonWrites = regexp.MustCompile(`\b(execute_sql|execute_insert|add_insert_sql|add_insert|execute|sink_to|add_sink)\s*\(`)

// mayWrite reports whether the program may write anywhere: a SQL INSERT,
// or Python code that calls something that can. Whether it does is only
// known when it runs (the program then fails if it wrote to no table).
func (bd *builder) mayWrite() bool {
	for _, s := range bd.sections {
		if len(s.inserts) > 0 || pythonWrites.MatchString(s.python) {
			return true
		}
	}
	return false
}

// pythonRefusals are what a Python paragraph's code may not use in an
// application, each with why. They match the code's text, comments and
// strings included: a false alarm is a paragraph to edit, never a job that
// does something else than the note.
var pythonRefusals = []struct {
	re     *regexp.Regexp
	reason string
}{
	{regexp.MustCompile(`(?m)^\s*[%!]`), "IPython magics and shell escapes (lines starting with % or !) cannot run in an application"},
	{regexp.MustCompile(`\b(bt_env|btenv)\b`), "the batch table environment (bt_env) cannot run in an application, which runs one streaming job: use st_env"},
	{regexp.MustCompile(`\bz\s*\.\s*(show|input|textbox|password|select|checkbox|noteTextbox|noteSelect|noteCheckbox)\b`),
		"Zeppelin's z (display and dynamic forms) does not exist in an application: remove its use, or disable the paragraph"},
	{regexp.MustCompile(`\.\s*to_pandas\s*\(`), "to_pandas() collects a table's rows to display them, which an application cannot show (and on an unbounded table never ends)"},
	{regexp.MustCompile(`\.\s*collect\s*\(`), "collect() reads a result's rows to display them, which an application cannot show (and on an unbounded table never ends)"},
	{regexp.MustCompile(`\bexecute_and_collect\s*\(`), "execute_and_collect() runs a job of its own to display its rows, which an application cannot show"},
}

// pythonParagraph adds a Python paragraph's code to the program.
func (bd *builder) pythonParagraph(ref paraRef, code string, ipython bool) error {
	for _, r := range pythonRefusals {
		if m := r.re.FindStringIndex(code); m != nil {
			line := strings.Count(code[:m[0]], "\n") + 1
			return refuse(ref, "line %d: %s", line, r.reason)
		}
	}
	notes := []string{"its Python code runs in the application; its INSERTs join the application's one job"}
	if ipython {
		notes = append(notes, "runs as plain Python: IPython's display of a last expression does not apply")
	}
	bd.included = append(bd.included, Inclusion{ParagraphID: ref.id, Index: ref.index, Title: ref.title,
		Statements: []string{"PYTHON"}, Notes: notes})
	bd.sections = append(bd.sections, section{ref: ref, python: code})
	return nil
}

// finishPython lays out the program: a header, Eddy's runtime, each
// included paragraph under a comment, then the submission of the job.
func (bd *builder) finishPython() *Build {
	b := &Build{Language: LanguagePython, Settings: bd.settings, Included: bd.included, Excluded: bd.excluded,
		Forms: bd.forms}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s%q (%s): a PyFlink program run by Flink's PythonDriver.\n", pythonHeader, oneLine(bd.note.Name), oneLine(bd.note.ID))
	sb.WriteString(pythonRuntime)
	for _, s := range bd.sections {
		sb.WriteString("\n" + pyComment(s.ref) + "\n")
		if s.python != "" {
			sb.WriteString(strings.TrimRight(s.python, " \t\r\n"))
			sb.WriteString("\n")
			continue
		}
		for _, st := range s.statements {
			b.Statements = append(b.Statements, st)
			if key, value, op := parseSet(st.Text); st.Kind == kernel.StmtSet {
				// A table environment's execute_sql takes no SET or RESET
				// (checkPythonSettings refused the others).
				if op == setValue {
					fmt.Fprintf(&sb, "st_env.get_config().set(%s, %s)\n", pyString(key), pyString(value))
				} else {
					fmt.Fprintf(&sb, "st_env.get_config().get_configuration().remove_config(%s)\n", pyString(key))
				}
				continue
			}
			fmt.Fprintf(&sb, "st_env.execute_sql(%s)\n", pyString(st.Text))
		}
		for _, ins := range s.inserts {
			fmt.Fprintf(&sb, "st_env.execute_sql(%s)\n", pyString(ins.Text))
			b.Inserts = append(b.Inserts, ins)
		}
	}
	sb.WriteString("\n# the note's INSERTs, run as one job\n_eddy_run()\n")
	b.Script = sb.String()
	b.Settings[runtimeModeKey] = "streaming"
	return b
}

// pyComment is the program's comment line above a paragraph.
func pyComment(r paraRef) string {
	return "#" + strings.TrimPrefix(r.comment(), "--")
}

// pyString writes s as a Python string literal: triple-quoted where that
// reads as s does, else JSON's escapes, which Python reads alike.
func pyString(s string) string {
	if !strings.ContainsAny(s, `\`) && !strings.Contains(s, `"""`) && !strings.HasSuffix(s, `"`) {
		return `"""` + s + `"""`
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// python is the interpreter that checks Python programs: the one the
// standalone target runs them with, else python3 from PATH.
func (m *Manager) python() string {
	if r, ok := m.cfg.Runners[TargetStandalone].(*StandaloneRunner); ok && r.Base != nil {
		if p := r.Base().Python; p != "" {
			return p
		}
	}
	return "python3"
}
