package kernel

import (
	"fmt"
	"strings"
	"testing"

	"github.com/xwb1989/sqlparser"
)

// stmt is a compact expectation: the text and kind of a statement.
type stmt struct {
	text string
	kind StatementKind
}

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []stmt
	}{
		{name: "Empty", sql: "", want: nil},
		{name: "OnlyWhitespaceAndComments", sql: " \n-- c;\n/* ; */ ;; // x;\n", want: nil},
		{name: "One", sql: "SELECT 1", want: []stmt{{"SELECT 1", StmtQuery}}},
		{name: "TrailingSemicolon", sql: "SELECT 1;\n", want: []stmt{{"SELECT 1", StmtQuery}}},
		{name: "Two", sql: "SELECT 1;\nSELECT 2;", want: []stmt{{"SELECT 1", StmtQuery}, {"SELECT 2", StmtQuery}}},
		{name: "SemicolonInString", sql: "SELECT ';' AS a; SELECT 'it''s;'", want: []stmt{{"SELECT ';' AS a", StmtQuery}, {"SELECT 'it''s;'", StmtQuery}}},
		{name: "BackslashIsNotEscape", sql: `SELECT 'C:\'; SELECT 2`, want: []stmt{{`SELECT 'C:\'`, StmtQuery}, {"SELECT 2", StmtQuery}}},
		{name: "CStyleString", sql: `SELECT E'it\'s; fine'; SELECT 2`, want: []stmt{{`SELECT E'it\'s; fine'`, StmtQuery}, {"SELECT 2", StmtQuery}}},
		{name: "EInsideWordIsNotCStyle", sql: `SELECT CASE WHEN a THEN'x\' END; SELECT 2`,
			want: []stmt{{`SELECT CASE WHEN a THEN'x\' END`, StmtQuery}, {"SELECT 2", StmtQuery}}},
		{name: "SemicolonInBackticks", sql: "SELECT `a;b`, `c``;` FROM t; SELECT 2", want: []stmt{{"SELECT `a;b`, `c``;` FROM t", StmtQuery}, {"SELECT 2", StmtQuery}}},
		{name: "SemicolonInDoubleQuotes", sql: `SELECT "a;b"; SELECT 2`, want: []stmt{{`SELECT "a;b"`, StmtQuery}, {"SELECT 2", StmtQuery}}},
		{name: "SemicolonInLineComment", sql: "SELECT 1 -- no; split\n, 2; SELECT 3", want: []stmt{{"SELECT 1 -- no; split\n, 2", StmtQuery}, {"SELECT 3", StmtQuery}}},
		{name: "SlashSlashComment", sql: "SELECT 1 // no; split\n; SELECT 2", want: []stmt{{"SELECT 1", StmtQuery}, {"SELECT 2", StmtQuery}}},
		{name: "SemicolonInBlockComment", sql: "SELECT /* ; */ 1; SELECT 2", want: []stmt{{"SELECT /* ; */ 1", StmtQuery}, {"SELECT 2", StmtQuery}}},
		{name: "HintKept", sql: "SELECT /*+ OPTIONS('k'='v') */ * FROM t", want: []stmt{{"SELECT /*+ OPTIONS('k'='v') */ * FROM t", StmtQuery}}},
		{name: "LeadingAndTrailingCommentsDropped", sql: "-- intro\n/* more */ SELECT 1 -- tail\n; -- only a comment\n;",
			want: []stmt{{"SELECT 1", StmtQuery}}},
		{name: "HashIsNotComment", sql: "SELECT a # b; SELECT 2", want: []stmt{{"SELECT a # b", StmtQuery}, {"SELECT 2", StmtQuery}}},
		{name: "CommentNotNested", sql: "/* a /* b */ SELECT 1", want: []stmt{{"SELECT 1", StmtQuery}}},
		{name: "DashDashWithoutSpace", sql: "SELECT 1--x;\n;SELECT 2", want: []stmt{{"SELECT 1", StmtQuery}, {"SELECT 2", StmtQuery}}},
		{name: "ExecuteStatementSet",
			sql: "EXECUTE STATEMENT SET\nBEGIN\n  INSERT INTO a SELECT * FROM s;\n  INSERT INTO b SELECT * FROM s;\nEND;\nSELECT 1",
			want: []stmt{{"EXECUTE STATEMENT SET\nBEGIN\n  INSERT INTO a SELECT * FROM s;\n  INSERT INTO b SELECT * FROM s;\nEND", StmtStatementSet},
				{"SELECT 1", StmtQuery}}},
		{name: "ExecuteStatementSetCaseEndInside",
			sql:  "execute statement set begin insert into a select case when x then 1 end from s; end; select 2",
			want: []stmt{{"execute statement set begin insert into a select case when x then 1 end from s; end", StmtStatementSet}, {"select 2", StmtQuery}}},
		{name: "ExplainStatementSet", sql: "EXPLAIN STATEMENT SET BEGIN INSERT INTO a SELECT 1; END; SELECT 2",
			want: []stmt{{"EXPLAIN STATEMENT SET BEGIN INSERT INTO a SELECT 1; END", StmtExplain}, {"SELECT 2", StmtQuery}}},
		{name: "Query kinds", sql: "WITH x AS (SELECT 1) SELECT * FROM x; VALUES (1); (SELECT 1) UNION (SELECT 2)",
			want: []stmt{{"WITH x AS (SELECT 1) SELECT * FROM x", StmtQuery}, {"VALUES (1)", StmtQuery}, {"(SELECT 1) UNION (SELECT 2)", StmtQuery}}},
		{name: "Show describe explain", sql: "SHOW TABLES; SHOW CREATE TABLE t; DESCRIBE t; DESC t; EXPLAIN PLAN FOR SELECT 1; SHOW JOBS",
			want: []stmt{{"SHOW TABLES", StmtShow}, {"SHOW CREATE TABLE t", StmtShow}, {"DESCRIBE t", StmtDescribe}, {"DESC t", StmtDescribe},
				{"EXPLAIN PLAN FOR SELECT 1", StmtExplain}, {"SHOW JOBS", StmtShow}}},
		{name: "DML", sql: "INSERT INTO t SELECT 1; insert overwrite t select 1; EXECUTE INSERT INTO t VALUES (1); UPDATE t SET a = 1; DELETE FROM t WHERE a = 1",
			want: []stmt{{"INSERT INTO t SELECT 1", StmtDML}, {"insert overwrite t select 1", StmtDML}, {"EXECUTE INSERT INTO t VALUES (1)", StmtDML},
				{"UPDATE t SET a = 1", StmtDML}, {"DELETE FROM t WHERE a = 1", StmtDML}}},
		{name: "DDL", sql: "CREATE TABLE t (a INT) WITH ('connector' = 'datagen'); DROP TABLE t; ALTER TABLE t RENAME TO u; CREATE VIEW v AS SELECT 1; TRUNCATE TABLE t",
			want: []stmt{{"CREATE TABLE t (a INT) WITH ('connector' = 'datagen')", StmtDDL}, {"DROP TABLE t", StmtDDL},
				{"ALTER TABLE t RENAME TO u", StmtDDL}, {"CREATE VIEW v AS SELECT 1", StmtDDL}, {"TRUNCATE TABLE t", StmtDDL}}},
		{name: "SetUseOther", sql: "SET 'execution.runtime-mode' = 'batch'; RESET; SET; USE CATALOG c; USE db; USE MODULES hive; ADD JAR '/a.jar'; LOAD MODULE hive; STOP JOB 'x'; HELP",
			want: []stmt{{"SET 'execution.runtime-mode' = 'batch'", StmtSet}, {"RESET", StmtSet}, {"SET", StmtSet}, {"USE CATALOG c", StmtUse},
				{"USE db", StmtUse}, {"USE MODULES hive", StmtUse}, {"ADD JAR '/a.jar'", StmtOther}, {"LOAD MODULE hive", StmtOther},
				{"STOP JOB 'x'", StmtOther}, {"HELP", StmtOther}}},
		{name: "SetValueWithSemicolon", sql: "SET 'pipeline.name' = 'a;b'; SELECT 1", want: []stmt{{"SET 'pipeline.name' = 'a;b'", StmtSet}, {"SELECT 1", StmtQuery}}},
		{name: "StrayEnd", sql: "END; BEGIN", want: []stmt{{"END", StmtOther}, {"BEGIN", StmtOther}}},
		{name: "UnterminatedString", sql: "SELECT 1; SELECT 'abc; SELECT 3", want: []stmt{{"SELECT 1", StmtQuery}, {"SELECT 'abc; SELECT 3", StmtQuery}}},
		{name: "UnterminatedComment", sql: "SELECT 1; /* SELECT 2;", want: []stmt{{"SELECT 1", StmtQuery}}},
		{name: "NonASCII", sql: "SELECT ünïcode, '日本;語' FROM `tåble`; SELECT 2", want: []stmt{{"SELECT ünïcode, '日本;語' FROM `tåble`", StmtQuery}, {"SELECT 2", StmtQuery}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SplitStatements(tt.sql)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d statements %q, want %d", len(got), texts(got), len(tt.want))
			}
			for i, st := range got {
				if st.Text != tt.want[i].text || st.Kind != tt.want[i].kind {
					t.Errorf("statement %d = %q %v, want %q %v", i, st.Text, st.Kind, tt.want[i].text, tt.want[i].kind)
				}
				if tt.sql[st.Offset:st.Offset+len(st.Text)] != st.Text {
					t.Errorf("statement %d: Offset %d does not point at its Text", i, st.Offset)
				}
			}
		})
	}
}

func texts(sts []Statement) []string {
	var out []string
	for _, s := range sts {
		out = append(out, s.Text)
	}
	return out
}

func TestSplitStatements_SubmitsJob(t *testing.T) {
	tests := []struct {
		sql  string
		kind StatementKind
		job  bool
	}{
		{"SELECT 1", StmtQuery, false},
		{"INSERT INTO t SELECT 1", StmtDML, true},
		{"EXECUTE INSERT INTO t SELECT 1", StmtDML, true},
		{"EXECUTE PLAN '/tmp/plan.json'", StmtDML, true},
		{"DELETE FROM t", StmtDML, false},
		{"EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; END", StmtStatementSet, true},
		{"CREATE TABLE t AS SELECT * FROM s", StmtDDL, true},
		{"CREATE TABLE t WITH ('connector' = 'print') AS SELECT * FROM s", StmtDDL, true},
		{"CREATE OR REPLACE TABLE t AS SELECT 1", StmtDDL, true},
		{"CREATE TEMPORARY TABLE t (a INT) WITH ('k'='v') AS SELECT 1", StmtDDL, true},
		{"REPLACE TABLE t AS SELECT 1", StmtDDL, true},
		{"CREATE MATERIALIZED TABLE m FRESHNESS = INTERVAL '1' MINUTE AS SELECT 1", StmtDDL, true},
		{"CREATE TABLE t (a INT, b AS a + 1, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) WITH ('connector'='datagen')", StmtDDL, false},
		{"CREATE TABLE t LIKE s", StmtDDL, false},
		{"CREATE VIEW v AS SELECT 1", StmtDDL, false},
		{"CREATE FUNCTION f AS 'com.example.F'", StmtDDL, false},
		{"CREATE TEMPORARY SYSTEM FUNCTION f AS 'com.example.F'", StmtDDL, false},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			got := SplitStatements(tt.sql)
			if len(got) != 1 || got[0].Kind != tt.kind || got[0].SubmitsJob != tt.job {
				t.Fatalf("got %+v, want kind %v SubmitsJob %v", got, tt.kind, tt.job)
			}
		})
	}
}

func TestSplitStatements_StatementSetUnit(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		sql := "SET 'k' = 'v';\nBEGIN STATEMENT SET;\n-- first\nINSERT INTO a SELECT * FROM s;\nINSERT INTO b SELECT * FROM s;\nEND;\nSELECT 1;"
		got := SplitStatements(sql)
		if len(got) != 3 {
			t.Fatalf("got %q, want 3 statements", texts(got))
		}
		unit := got[1]
		wantText := "BEGIN STATEMENT SET;\n-- first\nINSERT INTO a SELECT * FROM s;\nINSERT INTO b SELECT * FROM s;\nEND"
		if unit.Text != wantText || unit.Kind != StmtStatementSet || !unit.SubmitsJob || unit.Unterminated {
			t.Fatalf("unit = %+v", unit)
		}
		want := []stmt{{"BEGIN STATEMENT SET", StmtStatementSet}, {"INSERT INTO a SELECT * FROM s", StmtDML},
			{"INSERT INTO b SELECT * FROM s", StmtDML}, {"END", StmtStatementSet}}
		parts := unit.Parts()
		if len(parts) != len(want) {
			t.Fatalf("parts = %q", texts(parts))
		}
		for i, p := range parts {
			if p.Text != want[i].text || p.Kind != want[i].kind || sql[p.Offset:p.Offset+len(p.Text)] != p.Text {
				t.Errorf("part %d = %+v, want %q %v", i, p, want[i].text, want[i].kind)
			}
		}
		if simple := got[0].Parts(); len(simple) != 1 || simple[0].Text != got[0].Text {
			t.Errorf("Parts of a simple statement = %+v", simple)
		}
	})
	t.Run("Lowercase", func(t *testing.T) {
		got := SplitStatements("begin statement set; insert into a values (1); end")
		if len(got) != 1 || len(got[0].Pieces) != 3 || got[0].Unterminated {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		got := SplitStatements("BEGIN STATEMENT SET; END;")
		if len(got) != 1 || len(got[0].Pieces) != 2 || got[0].Text != "BEGIN STATEMENT SET; END" {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("ErrUnterminated", func(t *testing.T) {
		got := SplitStatements("BEGIN STATEMENT SET; INSERT INTO a VALUES (1);")
		if len(got) != 1 || !got[0].Unterminated || len(got[0].Pieces) != 2 {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("ErrUnterminatedExecute", func(t *testing.T) {
		got := SplitStatements("EXECUTE STATEMENT SET BEGIN INSERT INTO a VALUES (1);")
		if len(got) != 1 || !got[0].Unterminated {
			t.Fatalf("got %+v", got)
		}
	})
	t.Run("ErrUnterminatedString", func(t *testing.T) {
		got := SplitStatements("SELECT 'abc")
		if len(got) != 1 || !got[0].Unterminated {
			t.Fatalf("got %+v", got)
		}
		if got := SplitStatements("SELECT 'abc'"); got[0].Unterminated {
			t.Fatalf("complete string marked unterminated")
		}
	})
}

// TestSplitStatements_SQLParserOracle compares the splitter with
// xwb1989/sqlparser's SplitStatementToPieces on input where MySQL's and
// Flink's lexical rules agree, and documents where they do not.
func TestSplitStatements_SQLParserOracle(t *testing.T) {
	normalize := func(pieces []string) []string {
		var out []string
		for _, p := range pieces {
			p = strings.TrimSpace(sqlparser.StripLeadingComments(p))
			if p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	agree := []string{
		"SELECT 1; SELECT 2",
		"SELECT ';' FROM t; INSERT INTO t VALUES ('a;b', 'it''s')",
		"CREATE TABLE t (a INT) WITH ('connector' = 'datagen');\nSELECT * FROM t;\n",
		"SELECT `a;b` FROM t; SELECT /* ; */ 2",
		"-- comment; here\nSELECT 1;\n/* x */ SELECT 2",
		"SET 'table.exec.state.ttl' = '1h'; USE db; SHOW TABLES",
	}
	for _, sql := range agree {
		t.Run("Agree/"+sql, func(t *testing.T) {
			theirs, err := sqlparser.SplitStatementToPieces(sql)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := texts(SplitStatements(sql)), normalize(theirs); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("SplitStatements = %q, sqlparser = %q", got, want)
			}
		})
	}
	// Where MySQL's lexer is wrong for Flink, the two must differ.
	differ := []struct{ name, sql string }{
		{"BackslashInString", `SELECT 'C:\'; SELECT 2`},
		{"HashComment", "SELECT 1 # not a comment in Flink; SELECT 2"},
		{"StatementSet", "EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT 1; END"},
	}
	for _, tt := range differ {
		t.Run("Differ/"+tt.name, func(t *testing.T) {
			theirs, _ := sqlparser.SplitStatementToPieces(tt.sql)
			if got, want := texts(SplitStatements(tt.sql)), normalize(theirs); fmt.Sprint(got) == fmt.Sprint(want) {
				t.Errorf("both split %q into %q", tt.sql, got)
			}
		})
	}
}

// checkSplitInvariants verifies the guarantees SplitStatements documents.
func checkSplitInvariants(t *testing.T, sql string) {
	t.Helper()
	got := SplitStatements(sql)
	prevEnd := 0
	for i, st := range got {
		end := st.Offset + len(st.Text)
		if st.Text == "" || st.Offset < prevEnd || end > len(sql) || sql[st.Offset:end] != st.Text {
			t.Fatalf("statement %d %+v out of place in %q", i, st, sql)
		}
		if isSpace(st.Text[0]) || startsWithComment(st.Text) ||
			(!st.Unterminated && (isSpace(st.Text[len(st.Text)-1]))) {
			t.Fatalf("statement %d %q has leading/trailing space or comment", i, st.Text)
		}
		if !onlySeparators(sql[prevEnd:st.Offset]) {
			t.Fatalf("gap %q before statement %d is not only white space, comments and ';' in %q", sql[prevEnd:st.Offset], i, sql)
		}
		prevEnd = end
		// Splitting a statement's text again gives that statement.
		again := SplitStatements(st.Text)
		if len(again) != 1 || again[0].Text != st.Text || again[0].Offset != 0 || again[0].Kind != st.Kind {
			t.Fatalf("re-split of %q = %+v", st.Text, again)
		}
		if st.Pieces != nil {
			pe := st.Offset
			for j, p := range st.Pieces {
				if p.Offset < pe || sql[p.Offset:p.Offset+len(p.Text)] != p.Text || p.Offset+len(p.Text) > end {
					t.Fatalf("piece %d %+v of %q out of place", j, p, st.Text)
				}
				pe = p.Offset + len(p.Text)
			}
			if st.Pieces[0].Offset != st.Offset || pe != end {
				t.Fatalf("pieces do not span unit %q", st.Text)
			}
		}
	}
	if !onlySeparators(sql[prevEnd:]) {
		t.Fatalf("tail %q is not only white space, comments and ';' in %q", sql[prevEnd:], sql)
	}
	// Joining the statements and splitting again gives the same statements.
	joined := strings.Join(texts(got), ";\n")
	again := SplitStatements(joined)
	if len(again) != len(got) {
		t.Fatalf("re-join of %q: %q, want %q", sql, texts(again), texts(got))
	}
	for i := range got {
		if again[i].Text != got[i].Text || again[i].Kind != got[i].Kind {
			t.Fatalf("re-join of %q: statement %d = %q %v, want %q %v", sql, i, again[i].Text, again[i].Kind, got[i].Text, got[i].Kind)
		}
	}
}

func startsWithComment(s string) bool {
	return strings.HasPrefix(s, "--") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/*")
}

// onlySeparators reports whether s is only white space, comments and ';',
// checked independently of the lexer.
func onlySeparators(s string) bool {
	for s != "" {
		switch {
		case isSpace(s[0]) || s[0] == ';':
			s = s[1:]
		case strings.HasPrefix(s, "--") || strings.HasPrefix(s, "//"):
			i := strings.IndexAny(s, "\r\n")
			if i < 0 {
				return true
			}
			s = s[i:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s[2:], "*/")
			if i < 0 {
				return true
			}
			s = s[2+i+2:]
		default:
			return false
		}
	}
	return true
}

// splitSeeds is the seed corpus of FuzzSplitStatements and the inputs of
// TestSplitStatements_Invariants.
var splitSeeds = []string{
	"",
	";",
	"SELECT 1",
	"SELECT 1;\nSELECT 2;",
	"SELECT ';' AS a; SELECT 'it''s;'",
	`SELECT 'C:\'; SELECT E'a\'b;'`,
	"SELECT `a;b``c`; SELECT \"x;\"\"y\"",
	"SELECT 1 -- c;\n, 2 // d;\r; /* e; */ SELECT 3 /* unterminated",
	"EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END; SELECT 1",
	"EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1;",
	"BEGIN STATEMENT SET; INSERT INTO a SELECT 1; INSERT INTO b SELECT 2; END; SELECT 1",
	"BEGIN STATEMENT SET; INSERT INTO a SELECT 'x",
	"begin statement set;;end;end;begin statement set",
	"CREATE TABLE t (a INT, b AS a + 1) WITH ('k' = 'v') AS SELECT 1; CREATE VIEW v AS SELECT 2",
	"SELECT 'abc",
	"SELECT E'abc\\",
	"/*/ SELECT 1; */ SELECT 2",
	"E';'; e'\\'';'",
	"(((SELECT 1)));\t\v\f",
	"SELECT ünï, '日本;語' FROM `tåble`",
	"-- only\n/* comments */",
	"STATEMENT SET BEGIN END; STATEMENT SET BEGIN x; end ;",
}

func TestSplitStatements_Invariants(t *testing.T) {
	for _, sql := range splitSeeds {
		t.Run(fmt.Sprintf("%.30q", sql), func(t *testing.T) {
			checkSplitInvariants(t, sql)
		})
	}
}

// FuzzSplitStatements checks that SplitStatements never panics and keeps its
// documented guarantees: statements in order at their offsets, nothing but
// white space, comments and ';' between them, and stable under re-splitting
// a statement and re-joining all of them.
func FuzzSplitStatements(f *testing.F) {
	for _, s := range splitSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		checkSplitInvariants(t, sql)
	})
}

func BenchmarkSplitStatements(b *testing.B) {
	var sb strings.Builder
	for i := range 200 {
		fmt.Fprintf(&sb, "-- statement %d\nINSERT INTO sink_%d SELECT id, name, 'a;b' AS c /* hint; */ FROM src WHERE x > %d;\n", i, i, i)
	}
	sql := sb.String()
	b.SetBytes(int64(len(sql)))
	for b.Loop() {
		SplitStatements(sql)
	}
}

func TestStripLineComments(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT 1 -- one\nFROM t", "SELECT 1\nFROM t"},
		{"SELECT 1 // don't; stop\nFROM t", "SELECT 1\nFROM t"},
		{"SELECT '--not' || \"//id\" FROM t", "SELECT '--not' || \"//id\" FROM t"},
		{"SELECT /*+ OPTIONS('a'='b') */ x FROM t -- end", "SELECT /*+ OPTIONS('a'='b') */ x FROM t"},
		{"SELECT /* -- kept */ x", "SELECT /* -- kept */ x"},
		{"SELECT E'it\\'s -- in' AS s", "SELECT E'it\\'s -- in' AS s"},
	} {
		if got := StripLineComments(tc.in); got != tc.want {
			t.Errorf("StripLineComments(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
