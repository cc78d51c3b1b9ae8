package applications

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

func TestMain(m *testing.M) { flinktest.Main(m) }

// uniqueSuffix keeps this test's tables apart from those of other tests
// and earlier runs on the shared cluster's persistent catalog.
func uniqueSuffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// catalogNames lists the tables and databases a fresh gateway session sees.
func catalogNames(ctx context.Context, t *testing.T, gw *flink.Gateway) string {
	t.Helper()
	session, err := gw.OpenSession(ctx, "eddy-validate-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer gw.CloseSession(context.WithoutCancel(ctx), session)
	var names []string
	for _, stmt := range []string{"SHOW TABLES", "SHOW VIEWS", "SHOW DATABASES", "SHOW USER FUNCTIONS"} {
		rows, err := gw.Run(ctx, session, stmt, 0)
		if err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		for _, r := range rows {
			names = append(names, fmt.Sprint(r.Fields...))
		}
	}
	return strings.Join(names, "\n")
}

func TestValidate(t *testing.T) {
	gw := flinktest.Cluster(t).Gateway
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t.Run("OK", func(t *testing.T) {
		x := uniqueSuffix(t)
		root, err := flinktest.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		jars, _ := filepath.Glob(filepath.Join(root, ".flink", "connectors", "*.jar"))
		if len(jars) == 0 {
			t.Fatal("no connector jar to add")
		}
		note, paras := testNote(
			fmt.Sprintf("%%flink.ssql\nADD JAR '%s';\nCREATE TABLE src_%s (id BIGINT, name STRING) WITH ('connector' = 'datagen', 'rows-per-second' = '1');\n"+
				"CREATE VIEW named_%s AS SELECT * FROM src_%s WHERE name IS NOT NULL", jars[0], x, x, x),
			fmt.Sprintf("%%flink.ssql\nCREATE TABLE snk_a_%s (id BIGINT) WITH ('connector' = 'blackhole');\n"+
				"CREATE TEMPORARY TABLE snk_b_%s (name STRING, n BIGINT) WITH ('connector' = 'print');\n"+
				"CREATE DATABASE db_%s;\nALTER TABLE snk_a_%s SET ('x' = 'y');\nDROP TABLE src_%s", x, x, x, x, x),
			fmt.Sprintf("%%flink.ssql\nINSERT INTO snk_a_%s SELECT id FROM named_%s", x, x),
			fmt.Sprintf("%%flink.ssql\nSET 'table.exec.mini-batch.enabled' = 'false';\nINSERT INTO snk_b_%s SELECT name, COUNT(*) FROM src_%s GROUP BY name;\nSELECT 1", x, x),
		)
		b := mustBuild(t, note, paras)
		plans := t.TempDir()
		val, err := Validate(ctx, gw, b, plans)
		if err != nil {
			t.Fatalf("Validate: %v\n%s", err, b.Script)
		}
		plan, compiled, why := val.Plan, val.Compiled, val.Uncompiled
		if val.Catalog == "" || val.Database == "" {
			t.Errorf("Validate found no current catalog and database: %+v", val)
		}
		for _, want := range []string{"snk_a_" + x, "snk_b_" + x, "== Optimized Execution Plan =="} {
			if !strings.Contains(plan, want) {
				t.Errorf("plan lacks %q:\n%s", want, plan)
			}
		}
		// The statement set compiled: a JSON plan writing to both sinks,
		// and no file left behind.
		var cp struct {
			FlinkVersion string           `json:"flinkVersion"`
			Nodes        []map[string]any `json:"nodes"`
		}
		if err := json.Unmarshal(compiled, &cp); err != nil || len(cp.Nodes) == 0 || why != "" {
			t.Errorf("compiled plan: %v (why none: %q)\n%.300s", err, why, compiled)
		}
		for _, want := range []string{"snk_a_" + x, "snk_b_" + x} {
			if !strings.Contains(string(compiled), want) {
				t.Errorf("compiled plan lacks %q", want)
			}
		}
		if left, _ := os.ReadDir(plans); len(left) != 0 {
			t.Errorf("Validate left %d files in the plans directory", len(left))
		}
		// Nothing of the note reached the persistent catalog: its tables,
		// its view, its database; and the DROP did not run.
		if names := catalogNames(ctx, t, gw); strings.Contains(names, x) {
			t.Errorf("validation left objects in the catalog:\n%s", names)
		}
		// A permanent table would have been seen.
		control := "control_" + x
		session, err := gw.OpenSession(ctx, "eddy-validate-test", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer gw.CloseSession(context.WithoutCancel(ctx), session)
		if _, err := gw.Run(ctx, session, "CREATE TABLE "+control+" (a INT) WITH ('connector' = 'blackhole')", 0); err != nil {
			t.Fatal(err)
		}
		defer gw.Run(context.WithoutCancel(ctx), session, "DROP TABLE "+control, 0)
		if names := catalogNames(ctx, t, gw); !strings.Contains(names, control) {
			t.Errorf("a fresh session does not list %s:\n%s", control, names)
		}
	})

	t.Run("NewDatabase", func(t *testing.T) {
		// USE of a database only the script creates is skipped.
		x := uniqueSuffix(t)
		note, paras := testNote(fmt.Sprintf("%%flink.ssql\nCREATE DATABASE IF NOT EXISTS db_%s;\nUSE db_%s;\n"+
			"CREATE TABLE s (a INT) WITH ('connector' = 'datagen');\nCREATE TABLE k (a INT) WITH ('connector' = 'blackhole');\n"+
			"INSERT INTO k SELECT a FROM s", x, x))
		b := mustBuild(t, note, paras)
		if _, err := Validate(ctx, gw, b, ""); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		if names := catalogNames(ctx, t, gw); strings.Contains(names, x) {
			t.Errorf("validation created the database:\n%s", names)
		}
	})

	t.Run("UnknownTable", func(t *testing.T) {
		// A temporary table of another note is not there for the application.
		x := uniqueSuffix(t)
		note, paras := testNote(
			fmt.Sprintf("%%flink.ssql\nCREATE TEMPORARY TABLE s_%s (a INT) WITH ('connector' = 'datagen');\n"+
				"CREATE TEMPORARY TABLE k_%s (a INT) WITH ('connector' = 'blackhole')", x, x),
			fmt.Sprintf("%%flink.ssql\nINSERT INTO k_%s SELECT a FROM s_%s", x, x),
			fmt.Sprintf("%%flink.ssql\nINSERT INTO k_%s SELECT a FROM other_note_%s", x, x),
		)
		paras[2].Title = "From the other note"
		b := mustBuild(t, note, paras)
		_, err := Validate(ctx, gw, b, "")
		checkRefusal(t, err, 2, fmt.Sprintf("Object 'other_note_%s' not found", x))
		t.Logf("refusal: %s", eddy.ErrorMessage(err))
	})

	t.Run("UnknownConnector", func(t *testing.T) {
		x := uniqueSuffix(t)
		note, paras := testNote(
			fmt.Sprintf("%%flink.ssql\nCREATE TABLE k_%s (a INT) WITH ('connector' = 'no-such-connector')", x),
			fmt.Sprintf("%%flink.ssql\nINSERT INTO k_%s VALUES (1)", x),
		)
		b := mustBuild(t, note, paras)
		_, err := Validate(ctx, gw, b, "")
		checkRefusal(t, err, 1, "Could not find any factory for identifier 'no-such-connector'")
	})

	t.Run("BadDDL", func(t *testing.T) {
		x := uniqueSuffix(t)
		note, paras := testNote(
			"%flink.ssql\nSET 'parallelism.default' = '1'",
			fmt.Sprintf("%%flink.ssql\nCREATE TABLE k_%s (a INT WITH ('connector' = 'blackhole')", x),
			fmt.Sprintf("%%flink.ssql\nINSERT INTO k_%s VALUES (1)", x),
		)
		b := mustBuild(t, note, paras)
		_, err := Validate(ctx, gw, b, "")
		checkRefusal(t, err, 1, "Encountered")
		t.Logf("refusal: %s", eddy.ErrorMessage(err))
	})

	t.Run("Batch", func(t *testing.T) {
		x := uniqueSuffix(t)
		note, paras := testNote(
			fmt.Sprintf("%%flink.bsql\nCREATE TEMPORARY TABLE b_%s (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '10');\n"+
				"CREATE TEMPORARY TABLE u_%s (a INT) WITH ('connector' = 'datagen');\n"+
				"CREATE TEMPORARY TABLE k_%s (a INT) WITH ('connector' = 'blackhole')", x, x, x),
			fmt.Sprintf("%%flink.bsql\nINSERT INTO k_%s SELECT a FROM b_%s", x, x),
		)
		b := mustBuild(t, note, paras)
		if _, err := Validate(ctx, gw, b, ""); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		// An unbounded source cannot be read in batch mode.
		paras = append(paras, paras[1].Clone())
		paras[2].ID, paras[2].Text = "p2", fmt.Sprintf("%%flink.bsql\nINSERT INTO k_%s SELECT a FROM u_%s", x, x)
		b = mustBuild(t, note, paras)
		_, err := Validate(ctx, gw, b, "")
		checkRefusal(t, err, 2, fmt.Sprintf("Querying an unbounded table 'eddy.default.u_%s' in batch mode is not allowed", x))
	})
}
