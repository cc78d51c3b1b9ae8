package applications

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy/kernel"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
	"github.com/eddy-notebooks/eddy/notebooks"
)

// TestBuildNote_Python: a note with a Python paragraph builds into a
// Python program that keeps the note's order: SQL settings as table
// configuration, DDL (made idempotent) and INSERTs as st_env.execute_sql,
// the Python code as written, display-only paragraphs excluded with the
// reason, and the one submission at the end.
func TestBuildNote_Python(t *testing.T) {
	note, paras := testNote(
		"%flink.conf\ntable.exec.state.ttl: 1 h",
		"%flink.ssql\nSET 'pipeline.auto-watermark-interval' = '500 ms';\nRESET 'table.exec.state.ttl';\nCREATE TABLE src (id BIGINT) WITH ('connector' = 'datagen');\nSELECT * FROM src",
		"%flink.pyflink\n@udf(result_type=DataTypes.BIGINT())\ndef twice(x):\n    return 2 * x\n\nst_env.create_temporary_system_function('twice', twice)\n",
		"%flink.ssql\nSHOW TABLES",
		"%flink.ssql\nCREATE TEMPORARY TABLE snk (id BIGINT) WITH ('connector' = 'blackhole');\nINSERT INTO snk SELECT twice(id) FROM src",
		"%flink.pyflink\nt = st_env.from_path('src').select(col('id'))\nt.execute_insert('snk')",
	)
	paras[2].Title = "UDF"
	b := mustBuild(t, note, paras)
	if b.Language != LanguagePython || b.Batch {
		t.Fatalf("language %q, batch %v", b.Language, b.Batch)
	}
	body, ok := strings.CutPrefix(b.Script, `# Built by Eddy from note "Orders" (2NOTE): a PyFlink program run by Flink's PythonDriver.`+"\n"+pythonRuntime)
	if !ok {
		t.Fatalf("the program does not start with its header and Eddy's runtime:\n%s", b.Script)
	}
	want := `
# paragraph 1: p0
st_env.get_config().set("""table.exec.state.ttl""", """1 h""")

# paragraph 2: p1
st_env.get_config().set("""pipeline.auto-watermark-interval""", """500 ms""")
st_env.get_config().get_configuration().remove_config("""table.exec.state.ttl""")
st_env.execute_sql("""CREATE TABLE IF NOT EXISTS src (id BIGINT) WITH ('connector' = 'datagen')""")

# paragraph 3: UDF
@udf(result_type=DataTypes.BIGINT())
def twice(x):
    return 2 * x

st_env.create_temporary_system_function('twice', twice)

# paragraph 5: p4
st_env.execute_sql("""CREATE TEMPORARY TABLE snk (id BIGINT) WITH ('connector' = 'blackhole')""")
st_env.execute_sql("""INSERT INTO snk SELECT twice(id) FROM src""")

# paragraph 6: p5
t = st_env.from_path('src').select(col('id'))
t.execute_insert('snk')

# the note's INSERTs, run as one job
_eddy_run()
`
	if body != want {
		t.Errorf("program body:\n%s\nwant:\n%s", body, want)
	}
	if len(b.Excluded) != 1 || b.Excluded[0].Index != 3 || b.Excluded[0].Reason != "SHOW only displays results" {
		t.Errorf("excluded %+v", b.Excluded)
	}
	var kinds []string
	for _, in := range b.Included {
		kinds = append(kinds, strings.Join(in.Statements, "+"))
	}
	if got := strings.Join(kinds, " "); got != "SET SET+SET+DDL PYTHON DDL+DML PYTHON" {
		t.Errorf("included kinds %q", got)
	}
	if !strings.Contains(strings.Join(b.Included[1].Notes, " "), "dropped: SELECT") {
		t.Errorf("paragraph 2's notes %q do not say its SELECT was dropped", b.Included[1].Notes)
	}
	if len(b.Statements) != 5 || len(b.Inserts) != 1 || b.Inserts[0].Index != 4 {
		t.Errorf("statements %+v, inserts %+v", b.Statements, b.Inserts)
	}
	if _, ok := b.Settings["table.exec.state.ttl"]; ok || b.Settings["pipeline.auto-watermark-interval"] != "500 ms" || b.Settings[runtimeModeKey] != "streaming" {
		t.Errorf("settings %v", b.Settings)
	}
	if ScriptLanguage(&Version{Script: b.Script}) != LanguagePython || ScriptLanguage(&Version{Script: "-- Built by Eddy"}) != LanguageSQL {
		t.Errorf("ScriptLanguage does not tell a Python program from a SQL script")
	}
}

// TestBuildNote_PythonOnlyFunctionsStaysSQL: Python paragraphs that only
// registered functions for SQL keep the note a SQL application.
func TestBuildNote_PythonOnlyFunctionsStaysSQL(t *testing.T) {
	note, paras := testNote("%flink.pyflink\nst_env.create_temporary_system_function('f', f)", "%flink.ssql\nINSERT INTO t SELECT f(1)")
	paras[0].Config = map[string]any{kernel.ConfigPythonFunctions: map[string]any{"module": "m", "dir": "/d",
		"functions": []any{map[string]any{"name": "f", "system": true, "kind": "scalar"}}}}
	if b := mustBuild(t, note, paras); b.Language != LanguageSQL {
		t.Fatalf("language %q, want sql", b.Language)
	}
	paras = append(paras, testParagraph("p2", "%flink.pyflink\nprint('more')"))
	if b := mustBuild(t, note, paras); b.Language != LanguagePython || !strings.Contains(b.Script, "st_env.create_temporary_system_function('f', f)") {
		t.Fatalf("with a paragraph of other Python code: language %q:\n%s", b.Language, b.Script)
	}
}

func TestBuildNote_PythonRefusals(t *testing.T) {
	for _, tt := range []struct {
		name   string
		texts  []string
		index  int
		reason string
	}{
		{"BatchEnv", []string{"%flink.pyflink\nx = 1\nbt_env.execute_sql('INSERT INTO t SELECT 1')"}, 0, "line 2: the batch table environment (bt_env)"},
		{"ZeppelinShow", []string{"%flink.ssql\nINSERT INTO t SELECT 1", "%flink.pyflink\nz.show(st_env.from_path('t'))"}, 1, "line 1: Zeppelin's z"},
		{"ZeppelinForm", []string{"%flink.pyflink\nn = z.input('n', 3)\nst_env.execute_sql('INSERT INTO t SELECT 1')"}, 0, "Zeppelin's z"},
		{"ToPandas", []string{"%flink.pyflink\nst_env.execute_sql('INSERT INTO t SELECT 1')\nst_env.from_path('t').to_pandas()"}, 0, "line 2: to_pandas()"},
		{"Collect", []string{"%flink.pyflink\nwith st_env.execute_sql('SELECT 1').collect() as rows:\n    pass"}, 0, "collect()"},
		{"ExecuteAndCollect", []string{"%flink.pyflink\nst_env.execute_sql('INSERT INTO t SELECT 1')\ns_env.from_collection([1]).execute_and_collect()"}, 0, "line 2: execute_and_collect()"},
		{"Magic", []string{"%flink.ipyflink\nst_env.execute_sql('INSERT INTO t SELECT 1')\n%timeit 1"}, 0, "line 2: IPython magics"},
		{"Shell", []string{"%flink.ipyflink\n!ls"}, 0, "IPython magics and shell escapes"},
		{"BatchInsert", []string{"%flink.pyflink\nx = 1", "%flink.bsql\nINSERT INTO t SELECT 1"}, 1, "its INSERTs cannot be batch"},
		{"NoWrite", []string{"%flink.pyflink\nprint(st_env.list_tables())", "%flink.ssql\nCREATE TABLE t (a INT)"}, -1, "the note writes to no table"},
		{"ResetAll", []string{"%flink.pyflink\nx = 1", "%flink.ssql\nRESET;\nINSERT INTO t SELECT 1"}, 1, "RESET without a key"},
		{"SQLRefusalStillApplies", []string{"%flink.pyflink\nx = 1", "%flink.ssql\nCALL p()"}, 1, "CALL runs a catalog procedure"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			note, paras := testNote(tt.texts...)
			b, err := BuildNote(note, paras)
			if err == nil {
				t.Fatalf("built, want a refusal:\n%s", b.Script)
			}
			checkRefusal(t, err, tt.index, tt.reason)
		})
	}
}

func testParagraph(id, text string) *notebooks.Paragraph {
	return &notebooks.Paragraph{ID: id, Text: text}
}

func TestPyString(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"INSERT INTO t SELECT 'a'", `"""INSERT INTO t SELECT 'a'"""`},
		{"SELECT \"x\"", `"SELECT \"x\""`},
		{`a\nb`, `"a\\nb"`},
		{`a """ b`, `"a \"\"\" b"`},
		{"line1\nline2", "\"\"\"line1\nline2\"\"\""},
	} {
		if got := pyString(tt.in); got != tt.want {
			t.Errorf("pyString(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	// Python reads each back as it was.
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"a'b", `c"d`, `e\f`, "g\"\"\"h", "i\nj\tk", "ünï <&> \u2028"} {
		out, err := exec.Command(python, "-c", "import sys; sys.stdout.write("+pyString(s)+")").Output()
		if err != nil || string(out) != s {
			t.Errorf("python read %s as %q (%v), want %q", pyString(s), out, err, s)
		}
	}
}

// TestValidatePython: the program is compiled, and a syntax error refuses
// the build at the paragraph and line it is in; the SQL before the first
// Python paragraph goes through the gateway, which refuses an unknown
// table; the SQL after it is left to the run.
func TestValidatePython(t *testing.T) {
	ctx := context.Background()
	gw := flinktest.Cluster(t).Gateway
	python := flinktest.Cluster(t).Python
	if python == "" {
		python = "python3"
	}
	sfx := uniqueSuffix(t)
	t.Run("OK", func(t *testing.T) {
		note, paras := testNote(
			"%flink.ssql\nCREATE TEMPORARY TABLE s_"+sfx+" (id BIGINT) WITH ('connector' = 'datagen');\n"+
				"CREATE TEMPORARY TABLE k_"+sfx+" (id BIGINT) WITH ('connector' = 'blackhole');\nINSERT INTO k_"+sfx+" SELECT id FROM s_"+sfx,
			"%flink.pyflink\nst_env.execute_sql('CREATE TEMPORARY TABLE later (id BIGINT)')",
			"%flink.ssql\nINSERT INTO later SELECT 1")
		b := mustBuild(t, note, paras)
		plan, err := ValidatePython(ctx, gw, python, b)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, "k_"+sfx) || !strings.HasSuffix(strings.TrimSpace(plan), pythonPlanNote) {
			t.Errorf("plan:\n%s", plan)
		}
	})
	t.Run("SyntaxError", func(t *testing.T) {
		note, paras := testNote("%flink.ssql\nCREATE TEMPORARY TABLE x (id BIGINT)", "%flink.pyflink\nx = 1\nif x\n    st_env.execute_sql('INSERT INTO t SELECT 1')")
		_, err := ValidatePython(ctx, gw, python, mustBuild(t, note, paras))
		checkRefusal(t, err, 1, "line 2: SyntaxError")
	})
	t.Run("UnknownTable", func(t *testing.T) {
		note, paras := testNote("%flink.ssql\nINSERT INTO nowhere_"+sfx+" SELECT 1", "%flink.pyflink\nx = 1")
		_, err := ValidatePython(ctx, gw, python, mustBuild(t, note, paras))
		checkRefusal(t, err, 0, "nowhere_"+sfx)
	})
}
