package localflink_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

// TestCluster_PythonUDF runs a Python scalar function from SQL through the
// gateway of the shared cluster: flink-python on the gateway's classpath
// loads it, the TaskManager's Python worker runs it.
func TestCluster_PythonUDF(t *testing.T) {
	ep := flinktest.Cluster(t)
	if ep.Python == "" {
		t.Fatalf("the test cluster has no Python (%s unset): run 'make python', which bin/eddy flink and flinktest then find in .flink/pyvenv", flinktest.EnvPython)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	udfs := filepath.Join(dir, "udfs.py")
	src := "from pyflink.table import DataTypes\n" +
		"from pyflink.table.udf import udf\n\n" +
		"@udf(result_type=DataTypes.BIGINT())\n" +
		"def triple_plus(x):\n" +
		"    return x * 3 + 1\n"
	if err := os.WriteFile(udfs, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	rows, err := query(ctx, ep.Gateway,
		`SET 'python.files' = 'file://`+udfs+`'`,
		`CREATE TEMPORARY FUNCTION triple_plus AS 'udfs.triple_plus' LANGUAGE PYTHON`,
		`SELECT triple_plus(id) FROM (VALUES (CAST(1 AS BIGINT)), (CAST(14 AS BIGINT))) AS t(id)`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rows {
		got = append(got, fmt.Sprint(r.Fields...))
	}
	slices.Sort(got) // the rows come in no particular order
	if fmt.Sprint(got) != "[4 43]" {
		t.Fatalf("triple_plus over 1 and 14 = %v, want [4 43]", got)
	}
}
