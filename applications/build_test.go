package applications

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// testNote returns a note and its paragraphs p0, p1, ... with the given
// texts.
func testNote(texts ...string) (*notebooks.Note, []*notebooks.Paragraph) {
	paras := make([]*notebooks.Paragraph, len(texts))
	for i, text := range texts {
		paras[i] = &notebooks.Paragraph{ID: fmt.Sprintf("p%d", i), Text: text}
	}
	return &notebooks.Note{ID: "2NOTE", Name: "Orders"}, paras
}

// mustBuild builds and fails the test on a refusal.
func mustBuild(t *testing.T, note *notebooks.Note, paras []*notebooks.Paragraph) *Build {
	t.Helper()
	b, err := BuildNote(note, paras)
	if err != nil {
		t.Fatalf("BuildNote: %v", err)
	}
	return b
}

func TestBuildNote(t *testing.T) {
	note := &notebooks.Note{ID: "2ORDERS", Name: "Orders\npipeline", NoteParams: map[string]any{"region": "eu"}}
	paras := []*notebooks.Paragraph{
		{ID: "p0", Text: "%md\n# Orders"},
		{ID: "p1", Title: "Settings", Text: "%flink.conf\nexecution.checkpointing.interval 10 s\ntable.exec.state.ttl: 1 h"},
		{ID: "p2", Title: "Tables", Text: "%flink.ssql\n-- the source\nCREATE TABLE orders (id BIGINT, region STRING) WITH ('connector' = 'datagen');\n" +
			"CREATE TEMPORARY TABLE big (id BIGINT) WITH ('connector' = 'blackhole');\n" +
			"CREATE TABLE IF NOT EXISTS small (id BIGINT) WITH ('connector' = 'blackhole');\n" +
			"DROP VIEW old_view;\nUSE CATALOG eddy"},
		{ID: "p3", Title: "Big orders", Text: "%flink.ssql(parallelism=2, type=update)\n" +
			"INSERT INTO big SELECT id FROM orders WHERE id > ${min=0} AND region = '$${region}'",
			Settings: notebooks.Settings{Params: map[string]any{"min": "5"}}},
		{ID: "p4", Text: "%flink.ssql\nSELECT * FROM orders;\nSHOW TABLES"},
		{ID: "p5", Text: "%flink.ssql(jobName=mine)\nEXECUTE INSERT INTO small /* all */ SELECT id FROM orders;\nSELECT 1"},
		{ID: "p6", Text: "%flink.ssql\nINSERT INTO big SELECT 1", Config: map[string]any{"enabled": false}},
		{ID: "p7", Text: "%flink.ssql\n  "},
		{ID: "p8", Text: ""},
		{ID: "p9", Text: "%flink.ssql\n-- only a comment"},
	}
	b := mustBuild(t, note, paras)

	wantScript := `-- Built by Eddy from note "Orders pipeline" (2ORDERS)
SET 'execution.runtime-mode' = 'streaming';

-- paragraph 2: Settings
SET 'execution.checkpointing.interval' = '10 s';
SET 'table.exec.state.ttl' = '1 h';

-- paragraph 3: Tables
CREATE TABLE IF NOT EXISTS orders (id BIGINT, region STRING) WITH ('connector' = 'datagen');
CREATE TEMPORARY TABLE big (id BIGINT) WITH ('connector' = 'blackhole');
CREATE TABLE IF NOT EXISTS small (id BIGINT) WITH ('connector' = 'blackhole');
DROP VIEW IF EXISTS old_view;
USE CATALOG eddy;

-- the note's INSERTs, run as one job
EXECUTE STATEMENT SET
BEGIN
-- paragraph 4: Big orders
INSERT INTO big SELECT id FROM orders WHERE id > 5 AND region = 'eu';
-- paragraph 6: p5
INSERT INTO small /* all */ SELECT id FROM orders;
END;
`
	if b.Script != wantScript {
		t.Errorf("Script:\n%s\nwant:\n%s", b.Script, wantScript)
	}
	if b.Batch {
		t.Error("Batch = true for streaming INSERTs")
	}
	wantSettings := map[string]string{"execution.runtime-mode": "streaming", "execution.checkpointing.interval": "10 s", "table.exec.state.ttl": "1 h"}
	if !reflect.DeepEqual(b.Settings, wantSettings) {
		t.Errorf("Settings = %v, want %v", b.Settings, wantSettings)
	}
	wantIncluded := []Inclusion{
		{ParagraphID: "p1", Index: 1, Title: "Settings", Statements: []string{"SET", "SET"}},
		{ParagraphID: "p2", Index: 2, Title: "Tables", Statements: []string{"DDL", "DDL", "DDL", "DDL", "USE"}, Notes: []string{
			"CREATE TABLE made IF NOT EXISTS: the application shares the catalog with the notes and restarts",
			"DROP VIEW made IF EXISTS: the application restarts"}},
		{ParagraphID: "p3", Index: 3, Title: "Big orders", Statements: []string{"DML"}, Notes: []string{
			"parallelism hint ignored: the application's parallelism applies"}},
		{ParagraphID: "p5", Index: 5, Statements: []string{"DML"}, Notes: []string{
			"jobName ignored: the application names its job", "dropped: SELECT (only displays results)"}},
	}
	if !reflect.DeepEqual(b.Included, wantIncluded) {
		t.Errorf("Included:\n%+v\nwant\n%+v", b.Included, wantIncluded)
	}
	wantExcluded := []Exclusion{
		{ParagraphID: "p0", Index: 0, Reason: "Markdown only displays"},
		{ParagraphID: "p4", Index: 4, Reason: "SELECT and SHOW only display results"},
		{ParagraphID: "p6", Index: 6, Reason: "disabled"},
		{ParagraphID: "p7", Index: 7, Reason: "empty"},
		{ParagraphID: "p8", Index: 8, Reason: "empty"},
		{ParagraphID: "p9", Index: 9, Reason: "empty"},
	}
	if !reflect.DeepEqual(b.Excluded, wantExcluded) {
		t.Errorf("Excluded:\n%+v\nwant\n%+v", b.Excluded, wantExcluded)
	}
	wantForms := []BakedForm{
		{ParagraphID: "p3", Name: "min", Value: "5"},
		{ParagraphID: "p3", Name: "region", Value: "eu", Note: true},
	}
	if !reflect.DeepEqual(b.Forms, wantForms) {
		t.Errorf("Forms = %+v, want %+v", b.Forms, wantForms)
	}

	// Statements mirror the script; Inserts name their paragraphs.
	var kinds []string
	var indexes []int
	for _, st := range b.Statements {
		kinds = append(kinds, st.Kind.String())
		indexes = append(indexes, st.Index)
	}
	if want := []string{"SET", "SET", "SET", "DDL", "DDL", "DDL", "DDL", "USE", "STATEMENT_SET"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("statement kinds = %v, want %v", kinds, want)
	}
	if want := []int{-1, 1, 1, 2, 2, 2, 2, 2, -1}; !reflect.DeepEqual(indexes, want) {
		t.Errorf("statement indexes = %v, want %v", indexes, want)
	}
	var joined strings.Builder
	for _, st := range b.Statements {
		joined.WriteString(st.Text + ";\n")
	}
	if got := stripComments(joined.String()); got != stripComments(b.Script) {
		t.Errorf("Statements do not make the script:\n%s\nvs\n%s", got, stripComments(b.Script))
	}
	wantInserts := []ScriptStatement{
		{ParagraphID: "p3", Index: 3, Kind: kernel.StmtDML, Text: "INSERT INTO big SELECT id FROM orders WHERE id > 5 AND region = 'eu'"},
		{ParagraphID: "p5", Index: 5, Kind: kernel.StmtDML, Text: "INSERT INTO small /* all */ SELECT id FROM orders"},
	}
	if !reflect.DeepEqual(b.Inserts, wantInserts) {
		t.Errorf("Inserts = %+v, want %+v", b.Inserts, wantInserts)
	}

	// The script splits into the statements it was built from.
	split := kernel.SplitStatements(b.Script)
	if len(split) != len(b.Statements) {
		t.Fatalf("the script splits into %d statements, want %d", len(split), len(b.Statements))
	}
	for i, st := range split {
		if st.Kind != b.Statements[i].Kind {
			t.Errorf("statement %d splits as %s, want %s", i, st.Kind, b.Statements[i].Kind)
		}
	}
}

// stripComments drops -- comment lines and blank lines.
func stripComments(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "--") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestBuildNote_StatementSets checks that INSERTs of both kinds of
// statement set and plain INSERTs all end up in one statement set, in note
// order.
func TestBuildNote_StatementSets(t *testing.T) {
	note, paras := testNote(
		"%flink.ssql\nCREATE TEMPORARY TABLE s (a INT) WITH ('connector' = 'datagen');\nADD JAR '/opt/udf.jar';\nLOAD MODULE hive WITH ('hive-version' = '3.1.3');\nUNLOAD MODULE hive",
		"%flink.ssql\nBEGIN STATEMENT SET;\nINSERT INTO a SELECT * FROM s;\nINSERT INTO b SELECT * FROM s;\nEND;",
		"%flink.ssql\nINSERT OVERWRITE c SELECT * FROM s",
		"%flink.ssql(runAsOne=true)\nEXECUTE STATEMENT SET BEGIN\n  INSERT INTO d SELECT * FROM s;\n  EXECUTE INSERT INTO e SELECT 1;\nEND;\nCREATE TEMPORARY VIEW v AS SELECT 1",
	)
	b := mustBuild(t, note, paras)
	var got []string
	for _, ins := range b.Inserts {
		got = append(got, ins.ParagraphID+": "+ins.Text)
	}
	want := []string{
		"p1: INSERT INTO a SELECT * FROM s",
		"p1: INSERT INTO b SELECT * FROM s",
		"p2: INSERT OVERWRITE c SELECT * FROM s",
		"p3: INSERT INTO d SELECT * FROM s",
		"p3: INSERT INTO e SELECT 1",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Inserts:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if want := "ADD JAR '/opt/udf.jar';\nLOAD MODULE hive WITH ('hive-version' = '3.1.3');\nUNLOAD MODULE hive;\n"; !strings.Contains(b.Script, want) {
		t.Errorf("Script lacks\n%s\n%s", want, b.Script)
	}
	if want := []string{"DDL", "OTHER", "OTHER", "OTHER"}; !reflect.DeepEqual(b.Included[0].Statements, want) {
		t.Errorf("paragraph 0 statements = %v, want %v", b.Included[0].Statements, want)
	}
	if n := strings.Count(b.Script, "STATEMENT SET"); n != 1 {
		t.Errorf("the script has %d statement sets, want 1:\n%s", n, b.Script)
	}
	// DDL after an INSERT paragraph stays before the statement set.
	if v, set := strings.Index(b.Script, "CREATE TEMPORARY VIEW v"), strings.Index(b.Script, "EXECUTE STATEMENT SET"); v < 0 || v > set {
		t.Errorf("the view is not before the statement set:\n%s", b.Script)
	}
	if want := []string{"DML", "DML", "DDL"}; !reflect.DeepEqual(b.Included[3].Statements, want) {
		t.Errorf("paragraph 3 statements = %v, want %v", b.Included[3].Statements, want)
	}
	if b.Included[3].Notes != nil {
		t.Errorf("runAsOne gave notes %v", b.Included[3].Notes)
	}
}

func TestBuildNote_Conf(t *testing.T) {
	note, paras := testNote(
		"%flink.conf\n# comment\nparallelism.default 2\nflink.execution.jars /opt/a.jar, /opt/it's.jar\nexecution.runtime-mode batch",
		"%flink.conf\nflink.execution.packages org.apache.flink:flink-connector-jdbc:3.3.0-1.20",
		"%flink.conf\n# nothing but a comment",
		"%flink.ssql\nINSERT INTO t SELECT 1",
	)
	b := mustBuild(t, note, paras)
	want := "SET 'parallelism.default' = '2';\nADD JAR '/opt/a.jar';\nADD JAR '/opt/it''s.jar';\n"
	if !strings.Contains(b.Script, want) {
		t.Errorf("Script lacks\n%s\n%s", want, b.Script)
	}
	if b.Settings["parallelism.default"] != "2" || b.Settings["execution.runtime-mode"] != "streaming" {
		t.Errorf("Settings = %v", b.Settings)
	}
	if want := []string{"execution.runtime-mode ignored: the paragraphs' interpreters decide the mode"}; !reflect.DeepEqual(b.Included[0].Notes, want) {
		t.Errorf("notes = %v, want %v", b.Included[0].Notes, want)
	}
	wantExcluded := []Exclusion{
		{ParagraphID: "p1", Index: 1, Reason: "flink.execution.packages ignored: the application uses the connectors installed on its cluster"},
		{ParagraphID: "p2", Index: 2, Reason: "empty"},
	}
	if !reflect.DeepEqual(b.Excluded, wantExcluded) {
		t.Errorf("Excluded = %+v, want %+v", b.Excluded, wantExcluded)
	}
}

func TestBuildNote_Settings(t *testing.T) {
	t.Run("SetAndReset", func(t *testing.T) {
		note, paras := testNote("%flink.ssql\nSET 'a' = 'it''s';\nSET b = 2;\nSET 'c' = '3';\nRESET 'c';\nSET;\n" +
			"SET 'execution.runtime-mode' = 'batch';\nINSERT INTO t SELECT 1")
		b := mustBuild(t, note, paras)
		want := map[string]string{"a": "it's", "b": "2", "execution.runtime-mode": "streaming"}
		if !reflect.DeepEqual(b.Settings, want) {
			t.Errorf("Settings = %v, want %v", b.Settings, want)
		}
		if strings.Contains(b.Script, "'batch'") || strings.Contains(b.Script, "SET;") {
			t.Errorf("the runtime mode SET or a bare SET is in the script:\n%s", b.Script)
		}
		wantNotes := []string{"SET execution.runtime-mode ignored: the paragraphs' interpreters decide the mode", "dropped: SET (only displays results)"}
		if !reflect.DeepEqual(b.Included[0].Notes, wantNotes) {
			t.Errorf("notes = %v, want %v", b.Included[0].Notes, wantNotes)
		}
	})
	t.Run("ResetAll", func(t *testing.T) {
		note, paras := testNote("%flink.bsql\nSET 'a' = '1';\nRESET;\nSET 'b' = '2';\nINSERT INTO t SELECT 1")
		b := mustBuild(t, note, paras)
		if want := map[string]string{"b": "2", "execution.runtime-mode": "batch"}; !reflect.DeepEqual(b.Settings, want) {
			t.Errorf("Settings = %v, want %v", b.Settings, want)
		}
		// RESET clears the mode set at the top: it is set again.
		if n := strings.Count(b.Script, "SET 'execution.runtime-mode' = 'batch';"); n != 2 {
			t.Errorf("the mode is set %d times, want 2:\n%s", n, b.Script)
		}
		last := b.Statements[len(b.Statements)-2]
		if last.Text != "SET 'execution.runtime-mode' = 'batch'" {
			t.Errorf("the statement before the set is %q", last.Text)
		}
	})
}

func TestBuildNote_Batch(t *testing.T) {
	t.Run("AllBatch", func(t *testing.T) {
		note, paras := testNote("%flink.bsql\nCREATE TABLE t (a INT) WITH ('connector' = 'blackhole')", "%flink.bsql\nINSERT INTO t SELECT 1")
		b := mustBuild(t, note, paras)
		if !b.Batch || !strings.HasPrefix(stripComments(b.Script), "SET 'execution.runtime-mode' = 'batch';\n") {
			t.Errorf("Batch = %v, script:\n%s", b.Batch, b.Script)
		}
	})
	t.Run("BatchDDLStreamingInsert", func(t *testing.T) {
		// Only the paragraphs with INSERTs decide the mode.
		note, paras := testNote("%flink.bsql\nCREATE TABLE t (a INT) WITH ('connector' = 'blackhole')", "%flink.ssql\nINSERT INTO t SELECT 1")
		if b := mustBuild(t, note, paras); b.Batch {
			t.Error("Batch = true")
		}
	})
	t.Run("NoPrefixInFlinkNote", func(t *testing.T) {
		note, paras := testNote("INSERT INTO t SELECT 1")
		if b := mustBuild(t, note, paras); b.Batch || len(b.Inserts) != 1 {
			t.Errorf("Batch = %v, Inserts = %v", b.Batch, b.Inserts)
		}
	})
}

func TestBuildNote_Forms(t *testing.T) {
	t.Run("DefaultsAndParams", func(t *testing.T) {
		note, paras := testNote("%flink.ssql\nINSERT INTO t SELECT * FROM s WHERE c IN (${checkbox:c=a|b,a|b|c}) AND d = '${d=x,x|y}' AND e = '${e=}'")
		paras[0].Settings.Params = map[string]any{"d": "y"}
		b := mustBuild(t, note, paras)
		want := []BakedForm{{ParagraphID: "p0", Name: "c", Value: "a,b"}, {ParagraphID: "p0", Name: "d", Value: "y"}, {ParagraphID: "p0", Name: "e", Value: ""}}
		if !reflect.DeepEqual(b.Forms, want) {
			t.Errorf("Forms = %+v, want %+v", b.Forms, want)
		}
		if !strings.Contains(b.Script, "IN (a,b) AND d = 'y' AND e = ''") {
			t.Errorf("values not in the script:\n%s", b.Script)
		}
	})
	t.Run("OnlyInDisplayedParagraph", func(t *testing.T) {
		// Neither baked nor refused: the paragraph is not in the script.
		note, paras := testNote("%flink.ssql\nSELECT '${password:pw}', ${n}", "%flink.ssql\nINSERT INTO t SELECT 1")
		b := mustBuild(t, note, paras)
		if len(b.Forms) != 0 {
			t.Errorf("Forms = %+v", b.Forms)
		}
	})
}

// TestBuildNote_PythonFunctions: a Python paragraph that registered
// functions for SQL when it last ran contributes them to the script (the
// same saved module, the same LANGUAGE PYTHON functions), so an INSERT
// calling one runs in the application too.
func TestBuildNote_PythonFunctions(t *testing.T) {
	note := &notebooks.Note{ID: "2PY", Name: "py"}
	paras := []*notebooks.Paragraph{
		{ID: "p0", Text: "%flink.pyflink\n@udf(result_type=DataTypes.BIGINT())\ndef triple_plus(x):\n    return x * 3 + 1\nst_env.create_temporary_system_function('triple_plus', triple_plus)",
			Config: map[string]any{kernel.ConfigPythonFunctions: map[string]any{"module": "eddy_udfs_2PY_0123", "dir": "/data/python/2PY/modules",
				"functions": []any{map[string]any{"name": "triple_plus", "system": true, "kind": "scalar"}}}}},
		{ID: "p1", Text: "%flink.ssql\nCREATE TABLE out_t (r BIGINT) WITH ('connector' = 'blackhole');\nINSERT INTO out_t SELECT triple_plus(1)"},
	}
	b := mustBuild(t, note, paras)
	for _, want := range []string{"SET 'python.files' = 'file:///data/python/2PY/modules';",
		"CREATE TEMPORARY SYSTEM FUNCTION `triple_plus` AS 'eddy_udfs_2PY_0123.triple_plus' LANGUAGE PYTHON;",
		"INSERT INTO out_t SELECT triple_plus(1);"} {
		if !strings.Contains(b.Script, want) {
			t.Errorf("script lacks %q:\n%s", want, b.Script)
		}
	}
	if len(b.Included) != 2 || !strings.Contains(strings.Join(b.Included[0].Notes, " "), "triple_plus") {
		t.Errorf("included %+v", b.Included)
	}
}

func TestBuildNote_Refusals(t *testing.T) {
	tests := []struct {
		name  string
		texts []string
		index int    // of the paragraph named, -1 for none
		title string // of that paragraph, if set
		// reason must contain this.
		reason string
	}{
		{name: "PyFlinkDisplay", texts: []string{"%flink.ssql\nINSERT INTO t SELECT 1", "%flink.pyflink\nz.show(st_env.from_path('t'))"}, index: 1,
			reason: "Zeppelin's z (display and dynamic forms) does not exist in an application"},
		{name: "IPyFlinkMagic", texts: []string{"%flink.ipyflink\n%timeit 1"}, index: 0, reason: "IPython magics"},
		{name: "Scala", texts: []string{"%flink\nval x = 1"}, index: 0, reason: "Eddy does not run the Flink Scala interpreter"},
		{name: "UnknownInterpreter", texts: []string{"%sh\nls"}, index: 0, reason: "unknown interpreter %sh"},
		{name: "BadHeader", texts: []string{"%flink.ssql(type=update\nINSERT INTO t SELECT 1"}, index: 0, reason: "not closed"},
		{name: "Unterminated", texts: []string{"%flink.ssql\nINSERT INTO t SELECT 'x"}, index: 0, reason: "not terminated"},
		{name: "UnterminatedStatementSet", texts: []string{"%flink.ssql\nBEGIN STATEMENT SET;\nINSERT INTO t SELECT 1;"}, index: 0, reason: "not terminated"},
		{name: "CTAS", texts: []string{"%flink.ssql\nCREATE TABLE t WITH ('connector' = 'blackhole') AS SELECT 1"}, index: 0,
			reason: "CREATE TABLE … AS SELECT runs its own job: write CREATE TABLE and INSERT INTO to deploy it"},
		{name: "RTAS", texts: []string{"%flink.ssql\nCREATE OR REPLACE TABLE t AS SELECT 1"}, index: 0, reason: "REPLACE TABLE … AS SELECT runs its own job"},
		{name: "ReplaceTableAs", texts: []string{"%flink.ssql\nREPLACE TABLE t AS SELECT 1"}, index: 0, reason: "REPLACE TABLE … AS SELECT runs its own job"},
		{name: "MaterializedTable", texts: []string{"%flink.ssql\nCREATE MATERIALIZED TABLE m FRESHNESS = INTERVAL '1' MINUTE AS SELECT 1"}, index: 0,
			reason: "CREATE MATERIALIZED TABLE"},
		{name: "ExecutePlan", texts: []string{"%flink.ssql\nEXECUTE PLAN '/tmp/p.json'"}, index: 0, reason: "EXECUTE PLAN runs a compiled plan"},
		{name: "Update", texts: []string{"%flink.bsql\nUPDATE t SET a = 1"}, index: 0, reason: "UPDATE changes rows once"},
		{name: "Delete", texts: []string{"%flink.bsql\nDELETE FROM t"}, index: 0, reason: "DELETE changes rows once"},
		{name: "Upsert", texts: []string{"%flink.ssql\nUPSERT INTO t SELECT 1"}, index: 0, reason: "UPSERT INTO is not supported"},
		{name: "StopJob", texts: []string{"%flink.ssql\nSTOP JOB '0123' WITH SAVEPOINT"}, index: 0, reason: "STOP JOB acts on another job"},
		{name: "Call", texts: []string{"%flink.ssql\nCALL cat.sys.compact('t')"}, index: 0, reason: "CALL runs a catalog procedure"},
		{name: "CompilePlan", texts: []string{"%flink.ssql\nCOMPILE PLAN '/tmp/p.json' FOR INSERT INTO t SELECT 1"}, index: 0, reason: "COMPILE PLAN"},
		{name: "RemoveJar", texts: []string{"%flink.ssql\nADD JAR '/a.jar';\nREMOVE JAR '/a.jar'"}, index: 0, reason: "REMOVE JAR is not supported"},
		{name: "Other", texts: []string{"%flink.ssql\nHELP"}, index: 0, reason: "HELP cannot be deployed"},
		{name: "SelectInStatementSet", texts: []string{"%flink.ssql\nEXECUTE STATEMENT SET BEGIN SELECT 1; END"}, index: 0,
			reason: "a statement set may hold only INSERT statements, not SELECT"},
		{name: "FormWithoutValue", texts: []string{"%flink.ssql\nINSERT INTO ${sink} SELECT 1"}, index: 0,
			reason: "form ${sink} has no value: set it in the note before deploying"},
		{name: "FormEmptyParamNoDefault", texts: []string{"%flink.ssql\nINSERT INTO t SELECT '${x}'"}, index: 0, reason: "form ${x} has no value"},
		{name: "NoteFormWithoutValue", texts: []string{"%flink.ssql\nINSERT INTO t SELECT '$${x}'"}, index: 0, reason: "form $${x} has no value"},
		{name: "FormIsTheWholeParagraph", texts: []string{"%flink.ssql\n${statement}"}, index: 0, reason: "form ${statement} has no value"},
		{name: "PasswordForm", texts: []string{"%flink.ssql\nCREATE TABLE t (a INT) WITH ('password' = '${password:pw}');\nINSERT INTO t SELECT 1"}, index: 0,
			reason: "the password form ${pw} would be written into the application's script in clear text"},
		{name: "UnknownFormType", texts: []string{"%flink.ssql\nINSERT INTO t SELECT ${slider:x}"}, index: 0, reason: "slider"},
		{name: "BatchThenStreaming", texts: []string{"%flink.ssql\nCREATE TABLE t (a INT)", "%flink.bsql\nINSERT INTO t SELECT 1", "%flink.ssql\nINSERT INTO t SELECT 2"},
			index: 1, reason: "batch (%flink.bsql) and streaming paragraphs cannot run as one application"},
		{name: "StreamingThenBatch", texts: []string{"%flink.ssql\nINSERT INTO t SELECT 2", "%md\nx", "%flink.bsql\nINSERT INTO t SELECT 1", "%flink.bsql\nINSERT INTO t SELECT 3"},
			index: 2, reason: "batch (%flink.bsql) and streaming paragraphs"},
		{name: "NoInsert", texts: []string{"%flink.ssql\nCREATE TABLE t (a INT)", "%flink.ssql\nSELECT * FROM t"}, index: -1,
			reason: "the note writes to no table: an application needs at least one INSERT INTO"},
		{name: "FirstRefusalWins", texts: []string{"%flink.ssql\nINSERT INTO t SELECT 1", "%flink.ssql\nCALL p()", "%flink.pyflink\nx"}, index: 1, reason: "CALL"},
		{name: "DisabledIsNotRefused", texts: []string{"%flink.ssql\nCALL p()"}, index: -1, reason: "writes to no table"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			note, paras := testNote(tt.texts...)
			if tt.name == "DisabledIsNotRefused" {
				paras[0].Config = map[string]any{"enabled": false}
			}
			b, err := BuildNote(note, paras)
			if err == nil {
				t.Fatalf("built, want a refusal:\n%s", b.Script)
			}
			checkRefusal(t, err, tt.index, tt.reason)
		})
	}
	t.Run("MessageNamesTitle", func(t *testing.T) {
		note, paras := testNote("%flink.ssql\nINSERT INTO t SELECT 1", "%flink.ssql\nCALL p()")
		paras[1].Title = "Compact"
		_, err := BuildNote(note, paras)
		want := `paragraph 2 ("Compact" / p1): CALL runs a catalog procedure once: run it from the note, not in an application`
		if got := eddy.ErrorMessage(err); got != want {
			t.Errorf("message = %q, want %q", got, want)
		}
	})
}

// checkRefusal checks that err is a build refusal naming the paragraph at
// index (p<index>) with a reason containing reason.
func checkRefusal(t *testing.T, err error, index int, reason string) {
	t.Helper()
	var e *eddy.Error
	if !errors.As(err, &e) || e.Code != eddy.EINVALID {
		t.Fatalf("err = %v, want an EINVALID *eddy.Error", err)
	}
	r, ok := e.Details.(Refusal)
	if !ok {
		t.Fatalf("Details = %#v, want a Refusal", e.Details)
	}
	if r.Index != index || !strings.Contains(r.Reason, reason) {
		t.Errorf("refusal = %+v, want index %d and a reason containing %q", r, index, reason)
	}
	if index < 0 {
		if r.ParagraphID != "" || e.Message != r.Reason {
			t.Errorf("refusal of the whole note: id %q, message %q", r.ParagraphID, e.Message)
		}
		return
	}
	id := fmt.Sprintf("p%d", index)
	prefix, suffix := fmt.Sprintf("paragraph %d (", index+1), id+"): "+r.Reason
	if r.ParagraphID != id || !strings.HasPrefix(e.Message, prefix) || !strings.HasSuffix(e.Message, suffix) {
		t.Errorf("refusal names %q in %q, want %q in %q…%q", r.ParagraphID, e.Message, id, prefix, suffix)
	}
}

func TestMakeIdempotent(t *testing.T) {
	tests := []struct {
		in, want, note string
	}{
		{"CREATE TABLE t (a INT)", "CREATE TABLE IF NOT EXISTS t (a INT)", "CREATE TABLE made IF NOT EXISTS"},
		{"create table `my table` (a INT)", "create table IF NOT EXISTS `my table` (a INT)", "CREATE TABLE made IF NOT EXISTS"},
		{"CREATE\n  TABLE\tcat.db.t (a INT)", "CREATE\n  TABLE IF NOT EXISTS\tcat.db.t (a INT)", "CREATE TABLE made IF NOT EXISTS"},
		{"CREATE /* c */ TABLE t (a INT)", "CREATE /* c */ TABLE IF NOT EXISTS t (a INT)", "CREATE TABLE made IF NOT EXISTS"},
		{"CREATE TABLE -- c\n t (a INT)", "CREATE TABLE IF NOT EXISTS -- c\n t (a INT)", "CREATE TABLE made IF NOT EXISTS"},
		{"CREATE VIEW v AS SELECT 1", "CREATE VIEW IF NOT EXISTS v AS SELECT 1", "CREATE VIEW made IF NOT EXISTS"},
		{"CREATE FUNCTION f AS 'com.x.F'", "CREATE FUNCTION IF NOT EXISTS f AS 'com.x.F'", "CREATE FUNCTION made IF NOT EXISTS"},
		{"CREATE DATABASE db", "CREATE DATABASE IF NOT EXISTS db", "CREATE DATABASE made IF NOT EXISTS"},
		{"CREATE CATALOG c WITH ('type' = 'generic_in_memory')", "CREATE CATALOG IF NOT EXISTS c WITH ('type' = 'generic_in_memory')", "CREATE CATALOG made IF NOT EXISTS"},
		{"CREATE MODEL m WITH ('provider' = 'x')", "CREATE MODEL IF NOT EXISTS m WITH ('provider' = 'x')", "CREATE MODEL made IF NOT EXISTS"},
		{"CREATE TABLE IF NOT EXISTS t (a INT)", "CREATE TABLE IF NOT EXISTS t (a INT)", ""},
		{"create table if not exists t (a INT)", "create table if not exists t (a INT)", ""},
		{"CREATE TEMPORARY TABLE t (a INT)", "CREATE TEMPORARY TABLE t (a INT)", ""},
		{"CREATE TEMPORARY SYSTEM FUNCTION f AS 'x'", "CREATE TEMPORARY SYSTEM FUNCTION f AS 'x'", ""},
		{"CREATE OR ALTER MATERIALIZED TABLE m AS SELECT 1", "CREATE OR ALTER MATERIALIZED TABLE m AS SELECT 1", ""},
		{"CREATE TABLE", "CREATE TABLE", ""},
		{"DROP TABLE t", "DROP TABLE IF EXISTS t", "DROP TABLE made IF EXISTS"},
		{"drop view `v`", "drop view IF EXISTS `v`", "DROP VIEW made IF EXISTS"},
		{"DROP TEMPORARY TABLE t", "DROP TEMPORARY TABLE IF EXISTS t", "DROP TABLE made IF EXISTS"},
		{"DROP TEMPORARY SYSTEM FUNCTION f", "DROP TEMPORARY SYSTEM FUNCTION IF EXISTS f", "DROP FUNCTION made IF EXISTS"},
		{"DROP DATABASE db CASCADE", "DROP DATABASE IF EXISTS db CASCADE", "DROP DATABASE made IF EXISTS"},
		{"DROP CATALOG c", "DROP CATALOG IF EXISTS c", "DROP CATALOG made IF EXISTS"},
		{"DROP MATERIALIZED TABLE m", "DROP MATERIALIZED TABLE IF EXISTS m", "DROP TABLE made IF EXISTS"},
		{"DROP TABLE IF EXISTS t", "DROP TABLE IF EXISTS t", ""},
		{"ALTER TABLE t ADD b INT", "ALTER TABLE t ADD b INT", ""},
		{"DROP", "DROP", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, note := makeIdempotent(tt.in)
			if got != tt.want || !strings.HasPrefix(note, tt.note) || (tt.note == "") != (note == "") {
				t.Errorf("makeIdempotent(%q) = %q, %q; want %q, %q…", tt.in, got, note, tt.want, tt.note)
			}
			// The rewrite is one statement of the same kind.
			if st := kernel.SplitStatements(got); len(st) != 1 || st[0].Kind != kernel.StmtDDL {
				t.Errorf("%q splits into %+v", got, st)
			}
		})
	}
}

func TestParseSet(t *testing.T) {
	tests := []struct {
		in         string
		key, value string
		op         int
	}{
		{"SET 'a.b' = 'c d'", "a.b", "c d", setValue},
		{"set 'k'='it''s'", "k", "it's", setValue},
		{"SET\n'k'\n=\n''", "k", "", setValue},
		{"SET k = v", "k", "v", setValue},
		{"SET k=v w", "k", "v w", setValue},
		{"RESET 'k'", "k", "", setReset},
		{"reset k", "k", "", setReset},
		{"SET", "", "", setList},
		{"RESET", "", "", setResetAll},
		{"SET 'k' = ", "", "", setUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			key, value, op := parseSet(tt.in)
			if key != tt.key || value != tt.value || op != tt.op {
				t.Errorf("parseSet(%q) = %q, %q, %d; want %q, %q, %d", tt.in, key, value, op, tt.key, tt.value, tt.op)
			}
		})
	}
}

func TestLeadingWords(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want []string
	}{
		{"CREATE TABLE t (a INT)", 4, []string{"CREATE", "TABLE", "T"}},
		{"execute /* x */ insert -- y\n into t", 3, []string{"EXECUTE", "INSERT", "INTO"}},
		{"DROP TABLE `t`", 4, []string{"DROP", "TABLE"}},
		{"SET 'a' = 'b'", 4, []string{"SET"}},
		{"a b c d e", 2, []string{"A", "B"}},
		{"/* unclosed", 2, nil},
		{"", 2, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, w := range leadingWords(tt.in, tt.n) {
			got = append(got, w.upper)
			if !strings.EqualFold(tt.in[w.start:w.end], w.upper) {
				t.Errorf("%q: word %q at %d:%d", tt.in, w.upper, w.start, w.end)
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("leadingWords(%q, %d) = %v, want %v", tt.in, tt.n, got, tt.want)
		}
	}
}

// zeppelinFixtures is the directory of Zeppelin's own tutorial notes, kept
// beside the repository.
func zeppelinFixtures(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "shared", "fixtures", "zeppelin")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("no Zeppelin fixtures beside the repository (../shared/fixtures/zeppelin): %v", err)
	}
	return dir
}

func importFixture(t *testing.T, name string) *notebooks.Note {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(zeppelinFixtures(t), name))
	if err != nil {
		t.Fatal(err)
	}
	note, err := notebooks.ImportZeppelin(data, "")
	if err != nil {
		t.Fatal(err)
	}
	return note
}

// TestBuildNote_Zeppelin builds Zeppelin's own tutorial notes.
func TestBuildNote_Zeppelin(t *testing.T) {
	t.Run("StreamingETL", func(t *testing.T) {
		note := importFixture(t, "4._Streaming_ETL_2EYD56B9B.zpln")
		b := mustBuild(t, note, note.Paragraphs)
		var excluded []string
		for _, e := range b.Excluded {
			excluded = append(excluded, string(rune('0'+e.Index))+" "+e.Reason)
		}
		want := []string{
			"0 Markdown only displays",
			"1 flink.execution.packages ignored: the application uses the connectors installed on its cluster",
			"5 SELECT only displays results",
			"6 empty",
		}
		if !reflect.DeepEqual(excluded, want) {
			t.Errorf("Excluded:\n%s\nwant\n%s", strings.Join(excluded, "\n"), strings.Join(want, "\n"))
		}
		if len(b.Included) != 3 || b.Included[0].Title != "Create kafka source table" {
			t.Errorf("Included = %+v", b.Included)
		}
		for _, want := range []string{
			`-- Built by Eddy from note "4. Streaming ETL" (2EYD56B9B)`,
			"-- paragraph 3: Create kafka source table\nDROP TABLE IF EXISTS source_kafka;\nCREATE TABLE IF NOT EXISTS source_kafka (",
			"-- paragraph 4: Create kafka sink table\nDROP TABLE IF EXISTS sink_kafka;\nCREATE TABLE IF NOT EXISTS sink_kafka (",
			"EXECUTE STATEMENT SET\nBEGIN\n-- paragraph 5: Transform the data in source table and write it to sink table\n" +
				"insert into sink_kafka select status, direction, cast(event_ts/1000000000 as timestamp(3)) from source_kafka where status <> 'foo';\nEND;\n",
		} {
			if !strings.Contains(b.Script, want) {
				t.Errorf("Script lacks %q:\n%s", want, b.Script)
			}
		}
		if strings.Contains(b.Script, "select * from sink_kafka") {
			t.Errorf("the preview SELECT is in the script")
		}
	})
	refusals := []struct {
		file   string
		index  int
		reason string
	}{
		// A Python note whose last paragraph shows a table with z.show.
		{"2._Three_Essential_Steps_for_Building_Flink_Job_2F7SKEHPA.zpln", 6, "Zeppelin's z"},
		{"1._Flink_Basics_2F2YS7PCE.zpln", 1, "Eddy does not run the Flink Scala interpreter"},
		{"7._Batch_Data_Analytics_2EZ9G3JJU.zpln", 1, "unknown interpreter %sh"},
		{"1._IPython_Basic_2EYDJKFFY.zpln", 7, "IPython magics"},
	}
	for _, tt := range refusals {
		t.Run(tt.file, func(t *testing.T) {
			note := importFixture(t, tt.file)
			_, err := BuildNote(note, note.Paragraphs)
			var e *eddy.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want a refusal", err)
			}
			r := e.Details.(Refusal)
			if r.Index != tt.index || r.ParagraphID != note.Paragraphs[tt.index].ID || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("refusal = %+v, want paragraph %d (%s): %q", r, tt.index, note.Paragraphs[tt.index].ID, tt.reason)
			}
		})
	}
}

// TestBuildNote_LineComments: line comments inside kept statements leave
// the script (Flink's SqlDriver does not know `//` comments), hints stay.
func TestBuildNote_LineComments(t *testing.T) {
	note, paras := testNote(
		"%flink.ssql\nCREATE TEMPORARY TABLE src (id BIGINT) // don't; it breaks\n  WITH ('connector' = 'datagen') -- rows",
		"%flink.ssql\nCREATE TEMPORARY TABLE snk (id BIGINT) WITH ('connector' = 'blackhole');\nINSERT INTO snk SELECT /*+ OPTIONS('rows-per-second'='5') */ id FROM src -- all of them",
	)
	b := mustBuild(t, note, paras)
	for _, gone := range []string{"don't", "//", "-- rows", "all of them"} {
		if strings.Contains(b.Script, gone) {
			t.Errorf("the script keeps %q:\n%s", gone, b.Script)
		}
	}
	if !strings.Contains(b.Script, "CREATE TEMPORARY TABLE src (id BIGINT)\n  WITH ('connector' = 'datagen');") ||
		!strings.Contains(b.Script, "INSERT INTO snk SELECT /*+ OPTIONS('rows-per-second'='5') */ id FROM src;") {
		t.Fatalf("script:\n%s", b.Script)
	}
}

// TestBuildNoteResolving: a note's flink.execution.packages become ADD JAR
// statements of the jars the resolver gives; one it cannot fetch refuses
// the build naming the paragraph.
func TestBuildNoteResolving(t *testing.T) {
	note, paras := testNote(
		"%flink.conf\nflink.execution.packages org.example:a:1, org.example:b:2",
		"%flink.ssql\nCREATE TEMPORARY TABLE s (id BIGINT) WITH ('connector' = 'blackhole');\nINSERT INTO s VALUES (1)",
	)
	resolve := func(coords string) (string, error) {
		if coords == "org.example:missing:1" {
			return "", eddy.Errorf(eddy.ENOTFOUND, "%s is not in the repository", coords)
		}
		return "/jars/" + strings.ReplaceAll(coords, ":", "-") + ".jar", nil
	}
	b, err := BuildNoteResolving(note, paras, resolve)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.Script, "ADD JAR '/jars/org.example-a-1.jar';\nADD JAR '/jars/org.example-b-2.jar';") ||
		!strings.Contains(strings.Join(b.Included[0].Notes, "\n"), "org.example:b:2 added as org.example-b-2.jar") {
		t.Fatalf("script:\n%s\nincluded %+v", b.Script, b.Included)
	}
	paras[0].Text = "%flink.conf\nflink.execution.packages org.example:missing:1"
	_, err = BuildNoteResolving(note, paras, resolve)
	checkRefusal(t, err, 0, "package org.example:missing:1: org.example:missing:1 is not in the repository")
}
