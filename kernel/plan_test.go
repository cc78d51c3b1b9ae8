package kernel

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPlanBody: the statements compiled into a plan, and what follows the
// header for each, every character of the user's text at its line and
// column.
func TestPlanBody(t *testing.T) {
	for _, tc := range []struct {
		name, sql, want string
		ok              bool
	}{
		{"INSERT", "INSERT INTO t SELECT 1", "INSERT INTO t SELECT 1", true},
		{"insert lower case", "insert\ninto t select 1", "insert\ninto t select 1", true},
		{"EXECUTE INSERT", "EXECUTE INSERT INTO t SELECT 1", "        INSERT INTO t SELECT 1", true},
		{"EXECUTE, comment, INSERT", "EXECUTE -- c\nINSERT INTO t SELECT 1", "            \nINSERT INTO t SELECT 1", true},
		{"EXECUTE STATEMENT SET", "EXECUTE STATEMENT SET BEGIN\nINSERT INTO t SELECT 1;\nEND",
			"        STATEMENT SET BEGIN\nINSERT INTO t SELECT 1;\nEND", true},
		{"unit", "BEGIN STATEMENT SET;\nINSERT INTO t SELECT 1;\nINSERT INTO u SELECT 2;\nEND",
			"STATEMENT SET BEGIN \nINSERT INTO t SELECT 1;\nINSERT INTO u SELECT 2;\nEND", true},
		{"unit on one line", "BEGIN STATEMENT SET; INSERT INTO t SELECT 1; END",
			"STATEMENT SET BEGIN  INSERT INTO t SELECT 1; END", true},
		{"EXECUTE PLAN", "EXECUTE PLAN '/tmp/p.json'", "", false},
		{"UPDATE", "UPDATE t SET a = 1", "", false},
		{"DELETE", "DELETE FROM t", "", false},
		{"SELECT", "SELECT 1", "", false},
		{"CTAS", "CREATE TABLE t AS SELECT 1", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stmts := SplitStatements(tc.sql + ";")
			if len(stmts) != 1 {
				t.Fatalf("%d statements", len(stmts))
			}
			got, ok := planBody(stmts[0])
			if ok != tc.ok || got != tc.want {
				t.Fatalf("planBody = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
			if ok && len(got) >= len(stmts[0].Text) && got[len(got)-len("SELECT 1"):] != stmts[0].Text[len(stmts[0].Text)-len("SELECT 1"):] {
				t.Fatalf("the text moved: %q", got)
			}
		})
	}
}

// TestRenumberPlan: nodes are numbered from 1 in their order and edges
// follow; every other byte stays.
func TestRenumberPlan(t *testing.T) {
	plan := `{
  "flinkVersion" : "2.3",
  "nodes" : [ {
    "id" : 36,
    "type" : "stream-exec-table-source-scan_2",
    "outputType" : "ROW<` + "`id`" + ` BIGINT>"
  }, {
    "id" : 40,
    "type" : "stream-exec-sink_2",
    "inputProperties" : [ {
      "id" : 7
    } ]
  } ],
  "edges" : [ {
    "source" : 36,
    "target" : 40,
    "shuffle" : {
      "type" : "FORWARD"
    }
  } ]
}`
	path := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(path, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := renumberPlan(path); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	want := strings.NewReplacer(`"id" : 36`, `"id" : 1`, `"id" : 40`, `"id" : 2`, `"source" : 36`, `"source" : 1`, `"target" : 40`, `"target" : 2`).Replace(plan)
	if string(b) != want {
		t.Fatalf("renumbered:\n%s\nwant:\n%s", b, want)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}

	t.Run("an edge to no node", func(t *testing.T) {
		bad := strings.Replace(plan, `"target" : 40`, `"target" : 41`, 1)
		if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := renumberPlan(path); err == nil {
			t.Fatal("no error")
		}
	})
}
