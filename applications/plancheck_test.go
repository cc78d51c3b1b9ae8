package applications_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
	"github.com/eddy-notebooks/eddy/applications"
	"github.com/eddy-notebooks/eddy/kernel/flink"
	"github.com/eddy-notebooks/eddy/kernel/flinktest"
)

// planTables are the tables of the plans compared here: two slow
// sequences (ids 1..100000, 40 a second; pairs with a value too), a file
// sink that commits on checkpoints, and black holes that take updates.
func planTables(out string) []string {
	return []string{
		"SET 'execution.checkpointing.interval' = '1s'",
		`CREATE TEMPORARY TABLE seq (id BIGINT, pt AS PROCTIME()) WITH ('connector' = 'datagen',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100000', 'rows-per-second' = '40')`,
		fmt.Sprintf(`CREATE TEMPORARY TABLE counts (id BIGINT, k BIGINT, cnt BIGINT) WITH (
  'connector' = 'filesystem', 'path' = 'file://%s', 'format' = 'csv')`, out),
		"CREATE TEMPORARY TABLE bh (k BIGINT, cnt BIGINT) WITH ('connector' = 'blackhole')",
		`CREATE TEMPORARY TABLE pairs (id BIGINT, v BIGINT, pt AS PROCTIME()) WITH ('connector' = 'datagen',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100000', 'rows-per-second' = '40')`,
		"CREATE TEMPORARY TABLE bh3 (a BIGINT, b BIGINT, c BIGINT) WITH ('connector' = 'blackhole')",
	}
}

// planSession opens a gateway session with the plans' tables and, when
// restore is set, the savepoint its jobs start from; it is closed at
// cleanup.
func planSession(t *testing.T, gw *flink.Gateway, out, restore string) string {
	t.Helper()
	ctx := context.Background()
	s, err := gw.OpenSession(ctx, "eddy-plancheck-test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.CloseSession(context.Background(), s) })
	stmts := planTables(out)
	if restore != "" {
		stmts = append(stmts, fmt.Sprintf("SET 'execution.state-recovery.path' = '%s'", restore))
	}
	for _, stmt := range stmts {
		if _, err := gw.Run(ctx, s, stmt, 0); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	return s
}

// compilePlan compiles insert into a plan file in dir through the gateway
// and returns the file's path and content.
func compilePlan(t *testing.T, gw *flink.Gateway, session, dir, name, insert string) (string, []byte) {
	t.Helper()
	path := filepath.Join(dir, name+".json")
	if _, err := gw.Run(context.Background(), session, fmt.Sprintf("COMPILE PLAN 'file://%s' FOR %s", path, insert), 0); err != nil {
		t.Fatalf("compile %s: %v", name, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, b
}

// The queries compared: a running count per key over a window (append
// only, so a file sink takes it) and per group (updates, into a black
// hole), a tumbling window's count, a join and a deduplication, each with
// variants that keep or break its state.
const (
	overCount = `INSERT INTO counts
SELECT id, k, COUNT(*) OVER (PARTITION BY k ORDER BY pt ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
FROM (SELECT id, id % 5 AS k, pt FROM seq)`
	overCountFiltered = `INSERT INTO counts
SELECT id, k, COUNT(*) OVER (PARTITION BY k ORDER BY pt ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
FROM (SELECT id, id % 5 AS k, pt FROM seq WHERE id > 0)`
	overCountProjected = `INSERT INTO counts
SELECT id, k, c + 0 FROM (
  SELECT id, k, COUNT(*) OVER (PARTITION BY k ORDER BY pt ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS c
  FROM (SELECT id, id % 5 AS k, pt FROM seq))`
	overCountOtherKey = `INSERT INTO counts
SELECT id, k, COUNT(*) OVER (PARTITION BY k ORDER BY pt ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
FROM (SELECT id, id % 3 AS k, pt FROM seq)`
	overSum = `INSERT INTO counts
SELECT id, k, SUM(id) OVER (PARTITION BY k ORDER BY pt ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
FROM (SELECT id, id % 5 AS k, pt FROM seq)`
	noAggregate = `INSERT INTO counts SELECT id, id % 5, id FROM seq`

	groupCount         = `INSERT INTO bh SELECT id % 5, COUNT(*) FROM seq GROUP BY id % 5`
	groupCountFiltered = `INSERT INTO bh SELECT id % 5, COUNT(*) FROM seq WHERE id > 0 GROUP BY id % 5`
	groupCountTwoKeys  = `INSERT INTO bh SELECT id % 5, COUNT(*) FROM seq GROUP BY id % 5, id % 2`
	groupSum           = `INSERT INTO bh SELECT id % 5, SUM(id) FROM seq GROUP BY id % 5`

	tumbleCount = `INSERT INTO bh3 SELECT id % 5, COUNT(*), 0
FROM TABLE(TUMBLE(TABLE seq, DESCRIPTOR(pt), INTERVAL '10' SECOND)) GROUP BY window_start, window_end, id % 5`
	tumbleFiltered = `INSERT INTO bh3 SELECT id % 5, COUNT(*), 0
FROM TABLE(TUMBLE(TABLE seq, DESCRIPTOR(pt), INTERVAL '10' SECOND)) WHERE id > 0 GROUP BY window_start, window_end, id % 5`
	tumbleLonger = `INSERT INTO bh3 SELECT id % 5, COUNT(*), 0
FROM TABLE(TUMBLE(TABLE seq, DESCRIPTOR(pt), INTERVAL '20' SECOND)) GROUP BY window_start, window_end, id % 5`

	joinByID     = `INSERT INTO bh3 SELECT s.id, p.v, 0 FROM seq s JOIN pairs p ON s.id = p.id`
	joinFiltered = `INSERT INTO bh3 SELECT s.id, p.v, 0 FROM seq s JOIN pairs p ON s.id = p.id WHERE s.id > 0`
	joinOnValue  = `INSERT INTO bh3 SELECT s.id, p.v, 0 FROM seq s JOIN pairs p ON s.id = p.v`

	latestPerValue = `INSERT INTO bh3 SELECT id, v, 0 FROM (
  SELECT id, v, ROW_NUMBER() OVER (PARTITION BY v ORDER BY pt DESC) AS rn FROM pairs) WHERE rn = 1`
	latestPerID = `INSERT INTO bh3 SELECT id, v, 0 FROM (
  SELECT id, v, ROW_NUMBER() OVER (PARTITION BY id ORDER BY pt DESC) AS rn FROM pairs) WHERE rn = 1`
)

// TestCheckPlans compares plans Flink compiled (in one gateway session, so
// that every plan numbers its nodes differently) with what each change
// does to the state of each stateful node.
func TestCheckPlans(t *testing.T) {
	gw := flinktest.Cluster(t).Gateway
	dir := t.TempDir()
	s := planSession(t, gw, filepath.Join(dir, "out"), "")
	plans := map[string][]byte{}
	for name, q := range map[string]string{"over": overCount, "overFiltered": overCountFiltered, "overProjected": overCountProjected,
		"overOtherKey": overCountOtherKey, "overSum": overSum, "noAggregate": noAggregate,
		"group": groupCount, "groupFiltered": groupCountFiltered, "groupTwoKeys": groupCountTwoKeys, "groupSum": groupSum,
		"tumble": tumbleCount, "tumbleFiltered": tumbleFiltered, "tumbleLonger": tumbleLonger,
		"join": joinByID, "joinFiltered": joinFiltered, "joinOnValue": joinOnValue, "latest": latestPerValue, "latestPerID": latestPerID,
		"set":         statementSet(overCount, groupCount),
		"setFiltered": statementSet(groupCountFiltered, overCountFiltered),
		"setOverOnly": statementSet(overCount)} {
		_, plans[name] = compilePlan(t, gw, s, dir, name, q)
	}

	type want struct {
		restorable bool
		reason     string // part of the reason, when not restorable
	}
	for _, tc := range []struct {
		name, old, new string
		compatible     bool
		// operators are the old plan's stateful nodes by role and type,
		// with what becomes of each.
		operators map[string]want
	}{
		{"OverFilterAdded", "over", "overFiltered", true, map[string]want{
			"source": {true, ""}, "stream-exec-over-aggregate_1": {true, ""}, "sink": {true, ""}}},
		{"OverProjectionChanged", "over", "overProjected", true, map[string]want{
			"source": {true, ""}, "stream-exec-over-aggregate_1": {true, ""}, "sink": {true, ""}}},
		{"OverOtherKey", "over", "overOtherKey", false, map[string]want{
			"source": {true, ""}, "sink": {true, ""},
			"stream-exec-over-aggregate_1": {false, "the over-aggregate's partition keys changed from [MOD(id, 5)] to [MOD(id, 3)]"}}},
		{"OverSumForCount", "over", "overSum", false, map[string]want{
			"source": {true, ""}, "sink": {true, ""},
			// Flink computes SUM over a window as a count and SUM0.
			"stream-exec-over-aggregate_1": {false, "the aggregate functions changed from [COUNT(*)] to [COUNT(id), SUM0(id)]"}}},
		{"OverGone", "over", "noAggregate", false, map[string]want{
			"source": {true, ""}, "sink": {true, ""},
			"stream-exec-over-aggregate_1": {false, "no over-aggregate node reads the same inputs in the new version"}}},
		{"GroupFilterAdded", "group", "groupFiltered", true, map[string]want{
			"source": {true, ""}, "stream-exec-group-aggregate_1": {true, ""}, "sink": {true, ""}}},
		{"GroupKeyAdded", "group", "groupTwoKeys", false, map[string]want{
			"source": {true, ""}, "sink": {true, ""},
			"stream-exec-group-aggregate_1": {false, "the aggregation's grouping keys changed from [MOD(id, 5)] to [MOD(id, 5), MOD(id, 2)]"}}},
		{"GroupSumForCount", "group", "groupSum", false, map[string]want{
			"source": {true, ""}, "sink": {true, ""},
			"stream-exec-group-aggregate_1": {false, "the aggregate functions changed from [COUNT(*)] to [SUM(id)]"}}},
		{"WindowFilterAdded", "tumble", "tumbleFiltered", true, map[string]want{
			"source": {true, ""}, "stream-exec-window-aggregate_1": {true, ""}, "sink": {true, ""}}},
		{"WindowLonger", "tumble", "tumbleLonger", false, map[string]want{
			"source": {true, ""}, "sink": {true, ""},
			"stream-exec-window-aggregate_1": {false, "the node's windowing.window.size changed from PT10S to PT20S"}}},
		{"JoinFilterAdded", "join", "joinFiltered", true, map[string]want{
			"source": {true, ""}, "source2": {true, ""}, "stream-exec-join_1": {true, ""}, "sink": {true, ""}}},
		{"JoinOtherKey", "join", "joinOnValue", false, map[string]want{
			"source": {true, ""}, "source2": {true, ""}, "sink": {true, ""},
			"stream-exec-join_1": {false, "the join's right keys changed from [id] to [v]"}}},
		{"DeduplicateOtherKey", "latest", "latestPerID", false, map[string]want{
			"source": {true, ""}, "sink": {true, ""},
			"stream-exec-deduplicate_1": {false, "the deduplication's partition keys changed from [v] to [id]"}}},
		{"StatementSetFiltered", "set", "setFiltered", true, map[string]want{
			"source": {true, ""}, "stream-exec-over-aggregate_1": {true, ""}, "stream-exec-group-aggregate_1": {true, ""},
			"sink": {true, ""}, "sink2": {true, ""}}},
		{"StatementSetInsertGone", "set", "setOverOnly", false, map[string]want{
			"source": {true, ""}, "stream-exec-over-aggregate_1": {true, ""}, "sink": {true, ""},
			"stream-exec-group-aggregate_1": {false, "no group-aggregate node reads the same inputs in the new version"},
			"sink2":                         {false, "the node is gone in the new version"}}},
		{"SinkGone", "over", "group", false, map[string]want{
			"source": {true, ""}, "sink": {false, "the node is gone in the new version"},
			"stream-exec-over-aggregate_1": {false, "no over-aggregate node reads the same inputs"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check, err := applications.CheckPlans(plans[tc.old], plans[tc.new])
			if err != nil {
				t.Fatal(err)
			}
			report, _ := json.MarshalIndent(check, "", "  ")
			t.Logf("%s", report)
			if check.Compatible != tc.compatible {
				t.Fatalf("compatible %v, want %v", check.Compatible, tc.compatible)
			}
			got := map[string]applications.OperatorCheck{}
			for _, oc := range check.Operators {
				key := oc.Type
				if oc.Role != applications.RoleOperator {
					key = oc.Role
				}
				if _, dup := got[key]; dup {
					key += "2"
				}
				got[key] = oc
			}
			if len(got) != len(tc.operators) {
				t.Fatalf("operators %v, want %v", keysOf(got), keysOf(tc.operators))
			}
			for key, w := range tc.operators {
				oc, ok := got[key]
				if !ok {
					t.Fatalf("no operator %s among %v", key, keysOf(got))
				}
				if oc.Restorable != w.restorable || (!w.restorable && !strings.Contains(oc.Reason, w.reason)) || (w.restorable && oc.Reason != "") {
					t.Fatalf("%s: restorable %v (%q), want %v (%q)", key, oc.Restorable, oc.Reason, w.restorable, w.reason)
				}
				if oc.Restorable && (oc.NewID == 0 || oc.PlanID != oc.ID) {
					t.Fatalf("%s restores but has new id %d and plan id %d (old %d)", key, oc.NewID, oc.PlanID, oc.ID)
				}
			}
			checkRemapped(t, plans[tc.old], plans[tc.new], check)
		})
	}

	t.Run("Recompiled", func(t *testing.T) {
		// The same query compiled again: other ids, the same operators.
		_, again := compilePlan(t, gw, s, dir, "overAgain", overCount)
		check, err := applications.CheckPlans(plans["over"], again)
		if err != nil {
			t.Fatal(err)
		}
		if !check.Compatible || len(check.Operators) != 3 || len(check.Added) != 0 {
			t.Fatalf("the same query recompiled: compatible %v, operators %+v, added %+v", check.Compatible, check.Operators, check.Added)
		}
		checkRemapped(t, plans["over"], again, check)
	})

	t.Run("ReusedIDs", func(t *testing.T) {
		// A plan compiled by another gateway JVM numbers its nodes from 1
		// again: here the filtered plan numbered as the old one's nodes
		// were, in reverse, so that its source has the old sink's id.
		reversed := reverseIDs(t, plans["overFiltered"], plans["over"])
		check, err := applications.CheckPlans(plans["over"], reversed)
		if err != nil {
			t.Fatal(err)
		}
		if !check.Compatible {
			t.Fatalf("not compatible: %+v", check.Operators)
		}
		checkRemapped(t, plans["over"], reversed, check)
	})

	t.Run("Identical", func(t *testing.T) {
		check, err := applications.CheckPlans(plans["group"], plans["group"])
		if err != nil {
			t.Fatal(err)
		}
		for _, oc := range check.Operators {
			if !oc.Restorable || oc.NewID != oc.ID || oc.PlanID != oc.ID {
				t.Fatalf("a plan against itself: %+v", oc)
			}
		}
		checkRemapped(t, plans["group"], plans["group"], check)
	})

	t.Run("Descriptions", func(t *testing.T) {
		check, err := applications.CheckPlans(plans["over"], plans["overFiltered"])
		if err != nil {
			t.Fatal(err)
		}
		var descs []string
		for _, oc := range check.Operators {
			descs = append(descs, oc.Description)
		}
		want := []string{"reads eddy.default.seq", "COUNT(*) OVER (PARTITION BY MOD(id, 5))", "writes eddy.default.counts"}
		if !reflect.DeepEqual(descs, want) {
			t.Fatalf("descriptions %q, want %q", descs, want)
		}
		check, err = applications.CheckPlans(plans["group"], plans["groupFiltered"])
		if err != nil {
			t.Fatal(err)
		}
		if d := check.Operators[1].Description; d != "COUNT(*) GROUP BY MOD(id, 5)" || !reflect.DeepEqual(check.Operators[1].State, []string{"groupAggregateState"}) {
			t.Fatalf("the aggregate is described as %q with state %v", d, check.Operators[1].State)
		}
	})

	t.Run("Added", func(t *testing.T) {
		check, err := applications.CheckPlans(plans["noAggregate"], plans["over"])
		if err != nil {
			t.Fatal(err)
		}
		if !check.Compatible || len(check.Added) != 1 || check.Added[0].Type != "stream-exec-over-aggregate_1" {
			t.Fatalf("an aggregate added: compatible %v, added %+v", check.Compatible, check.Added)
		}
		checkRemapped(t, plans["noAggregate"], plans["over"], check)
	})

	t.Run("TableOptions", func(t *testing.T) {
		// A table of the catalog (not a temporary one) is in the plan with
		// its options: other options are noted, another connector is
		// another state.
		name := "plancheck_" + randomSuffix(t)
		ctx := context.Background()
		t.Cleanup(func() { gw.Run(context.Background(), s, "DROP TABLE IF EXISTS "+name, 0) })
		ddl := func(stmt string) {
			t.Helper()
			if _, err := gw.Run(ctx, s, stmt, 0); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		insert := "INSERT INTO bh SELECT id % 5, COUNT(*) FROM " + name + " GROUP BY id % 5"
		ddl("CREATE TABLE " + name + " (id BIGINT) WITH ('connector' = 'datagen', 'rows-per-second' = '5')")
		_, before := compilePlan(t, gw, s, dir, "options1", insert)
		ddl("ALTER TABLE " + name + " SET ('rows-per-second' = '10')")
		_, faster := compilePlan(t, gw, s, dir, "options2", insert)
		ddl("DROP TABLE " + name)
		ddl(fmt.Sprintf("CREATE TABLE %s (id BIGINT) WITH ('connector' = 'filesystem', 'path' = 'file://%s', 'format' = 'csv')", name, dir))
		_, files := compilePlan(t, gw, s, dir, "options3", insert)

		check, err := applications.CheckPlans(before, faster)
		if err != nil {
			t.Fatal(err)
		}
		src := check.Operators[0]
		if !check.Compatible || src.Role != applications.RoleSource || !reflect.DeepEqual(src.Notes, []string{"the table's options changed: rows-per-second"}) {
			t.Fatalf("faster: compatible %v, source %+v", check.Compatible, src)
		}
		check, err = applications.CheckPlans(before, files)
		if err != nil {
			t.Fatal(err)
		}
		if src := check.Operators[0]; check.Compatible || src.Restorable || src.Reason != "the table's connector changed from datagen to filesystem" {
			t.Fatalf("another connector: compatible %v, source %+v", check.Compatible, src)
		}
		checkRemapped(t, before, files, check)
	})

	t.Run("NotAPlan", func(t *testing.T) {
		for _, bad := range []string{``, `[]`, `{"edges": []}`, `{"nodes": [{"id": 1}]}`,
			`{"nodes": [{"id": 1, "type": "stream-exec-calc_1"}], "edges": [{"source": 1, "target": 2}]}`} {
			if _, err := applications.CheckPlans(plans["over"], []byte(bad)); eddy.ErrorCode(err) != eddy.EINVALID {
				t.Errorf("%q read as a plan: %v", bad, err)
			}
		}
	})
}

// reverseIDs renumbers plan's nodes with other's ids in reverse order
// (plan may have fewer nodes; the rest keep theirs plus an offset).
func reverseIDs(t *testing.T, plan, other []byte) []byte {
	t.Helper()
	var p, o struct {
		FlinkVersion string           `json:"flinkVersion"`
		Nodes        []map[string]any `json:"nodes"`
		Edges        []map[string]any `json:"edges"`
	}
	if err := errors.Join(json.Unmarshal(plan, &p), json.Unmarshal(other, &o)); err != nil {
		t.Fatal(err)
	}
	ids := map[float64]float64{}
	for i, n := range p.Nodes {
		to := float64(1000 + i)
		if i < len(o.Nodes) {
			to = o.Nodes[len(o.Nodes)-1-i]["id"].(float64)
		}
		ids[n["id"].(float64)] = to
		n["id"] = to
	}
	for _, e := range p.Edges {
		e["source"], e["target"] = ids[e["source"].(float64)], ids[e["target"].(float64)]
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// randomSuffix keeps a catalog table of this test apart from those of
// other runs on a shared cluster.
func randomSuffix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// statementSet writes INSERTs as one statement set.
func statementSet(inserts ...string) string {
	return "STATEMENT SET BEGIN\n" + strings.Join(inserts, ";\n") + ";\nEND"
}

func keysOf[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// checkRemapped checks the remapped plan: the new plan with only its node
// ids changed, those of the restorable operators to their old ids and all
// others to ids that neither plan had.
func checkRemapped(t *testing.T, old, new []byte, check *applications.PlanCheck) {
	t.Helper()
	var o, n, r struct {
		Nodes []map[string]any `json:"nodes"`
		Edges []map[string]any `json:"edges"`
	}
	for _, x := range []struct {
		b []byte
		v any
	}{{old, &o}, {new, &n}, {check.Plan, &r}} {
		if err := json.Unmarshal(x.b, x.v); err != nil {
			t.Fatal(err)
		}
	}
	keep := map[int]int{}
	for _, oc := range check.Operators {
		if oc.Restorable {
			keep[oc.NewID] = oc.ID
		}
	}
	maxID, seen := 0, map[int]bool{}
	for _, nodes := range [][]map[string]any{o.Nodes, n.Nodes} {
		for _, nd := range nodes {
			maxID = max(maxID, int(nd["id"].(float64)))
		}
	}
	ids := map[int]int{}
	if len(r.Nodes) != len(n.Nodes) || len(r.Edges) != len(n.Edges) {
		t.Fatalf("the remapped plan has %d nodes and %d edges, the new one %d and %d", len(r.Nodes), len(r.Edges), len(n.Nodes), len(n.Edges))
	}
	for i, nd := range n.Nodes {
		from, to := int(nd["id"].(float64)), int(r.Nodes[i]["id"].(float64))
		if want, ok := keep[from]; ok && to != want {
			t.Fatalf("node %d restores node %d but is numbered %d", from, want, to)
		} else if !ok && to <= maxID {
			t.Fatalf("node %d restores nothing but is numbered %d, not above %d", from, to, maxID)
		}
		if seen[to] {
			t.Fatalf("two nodes numbered %d", to)
		}
		seen[to] = true
		ids[from] = to
		nd["id"] = float64(to)
	}
	for _, e := range n.Edges {
		e["source"] = float64(ids[int(e["source"].(float64))])
		e["target"] = float64(ids[int(e["target"].(float64))])
	}
	if !reflect.DeepEqual(n.Nodes, r.Nodes) || !reflect.DeepEqual(n.Edges, r.Edges) {
		t.Fatalf("the remapped plan differs from the new one in more than its ids")
	}
}

// TestCheckPlans_RestoresState is the proof on a real job: a running count
// per key run from a compiled plan is stopped with a savepoint; the plan
// compiled from the query with a filter added cannot restore it as
// compiled (Flink cannot map the old operators' state), and restores it
// once remapped: the sink then holds every count of every key exactly
// once, continuing where the first job stopped.
func TestCheckPlans_RestoresState(t *testing.T) {
	fl := flinktest.Cluster(t)
	gw, jm := fl.Gateway, fl.JobManager
	ctx := context.Background()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")

	s := planSession(t, gw, out, "")
	basePath, base := compilePlan(t, gw, s, dir, "base", overCount)
	newPath, newPlan := compilePlan(t, gw, s, dir, "filtered", overCountFiltered)
	check, err := applications.CheckPlans(base, newPlan)
	if err != nil {
		t.Fatal(err)
	}
	if !check.Compatible {
		t.Fatalf("the filtered count is not compatible: %+v", check.Operators)
	}
	remappedPath := filepath.Join(dir, "remapped.json")
	if err := os.WriteFile(remappedPath, check.Plan, 0o644); err != nil {
		t.Fatal(err)
	}

	first := executePlan(t, gw, s, basePath)
	waitCommitted(t, out, 120)
	// Flink names each operator by its node: uid <id>_<transformation>,
	// which the operator id (a chain's vertex id) is the hash of.
	firstVertices := vertexIDs(t, jm, first)
	for _, oc := range check.Operators[:2] {
		uid := fmt.Sprintf("%d_%s", oc.ID, map[string]string{applications.RoleSource: "source", applications.RoleOperator: "over-aggregate"}[oc.Role])
		if !slices.Contains(firstVertices, uidHash(uid)) {
			t.Fatalf("no vertex of the first job has the id of uid %s (%s) among %v", uid, uidHash(uid), firstVertices)
		}
	}
	savepoint := stopWithSavepoint(t, jm, first)
	atSavepoint := committed(t, out)
	t.Logf("savepoint %s with %d rows committed", savepoint, atSavepoint)

	// As compiled, the new plan's operators have other uids. Flink refuses
	// the job when it is submitted (or, if it took it, fails it).
	var failure string
	if refused, err := startPlan(t, gw, planSession(t, gw, out, savepoint), newPath); err != nil {
		failure = err.Error()
	} else {
		failure = waitFailed(t, jm, refused)
	}
	if !strings.Contains(failure, "Cannot map checkpoint/savepoint state for operator") {
		t.Fatalf("the plan as compiled failed with %q, want Flink unable to map the savepoint's state", failure)
	}
	t.Logf("as compiled: %s", failure)

	// A plan whose aggregate keys its counts otherwise gets a fresh id for
	// it, remapped: Flink refuses the old counts rather than misread them.
	_, otherKey := compilePlan(t, gw, s, dir, "otherKey", overCountOtherKey)
	otherCheck, err := applications.CheckPlans(base, otherKey)
	if err != nil {
		t.Fatal(err)
	}
	if otherCheck.Compatible {
		t.Fatal("counts keyed otherwise are compatible")
	}
	otherPath := filepath.Join(dir, "otherKey-remapped.json")
	if err := os.WriteFile(otherPath, otherCheck.Plan, 0o644); err != nil {
		t.Fatal(err)
	}
	if refused, err := startPlan(t, gw, planSession(t, gw, out, savepoint), otherPath); err != nil {
		failure = err.Error()
	} else {
		failure = waitFailed(t, jm, refused)
	}
	if !strings.Contains(failure, "Cannot map checkpoint/savepoint state for operator") {
		t.Fatalf("the remapped plan keyed otherwise failed with %q, want Flink unable to map the savepoint's state", failure)
	}

	// Remapped, the compatible plan restores.
	second := executePlan(t, gw, planSession(t, gw, out, savepoint), remappedPath)
	st, err := jm.Checkpoints(ctx, second)
	for deadline := time.Now().Add(time.Minute); err == nil && st.Latest.Restored == nil; {
		job, jerr := jm.Job(ctx, second)
		if jerr != nil || flink.JobTerminal(job.State) {
			reason, _ := jm.RootException(ctx, second)
			t.Fatalf("the remapped plan's job is %s (%v): %s", job.State, jerr, reason)
		}
		if time.Now().After(deadline) {
			t.Fatal("the remapped plan's job restored nothing within a minute")
		}
		time.Sleep(200 * time.Millisecond)
		st, err = jm.Checkpoints(ctx, second)
	}
	if err != nil {
		t.Fatal(err)
	}
	if r := st.Latest.Restored; !r.IsSavepoint || !strings.Contains(r.ExternalPath, filepath.Base(savepoint)) {
		t.Fatalf("the remapped plan's job restored %+v, want savepoint %s", r, savepoint)
	}
	waitCommitted(t, out, atSavepoint+120)
	if got := vertexIDs(t, jm, second); !slices.Equal(got, firstVertices) {
		t.Fatalf("the remapped plan's job has vertices %v, the first job %v", got, firstVertices)
	}
	stopWithSavepoint(t, jm, second)
	checkCounts(t, out) // every count of every key once: none restarted, none repeated
	// And every id of the sequence up to the last one once: the source went
	// on from where it stood at the savepoint, skipping nothing.
	rows, err := flinktest.CommittedRows(out)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r[0]] = true
	}
	for id := 1; id <= len(rows); id++ {
		if !seen[fmt.Sprint(id)] {
			t.Fatalf("id %d missing among %d rows (%d committed before the savepoint)", id, len(rows), atSavepoint)
		}
	}
}

// executePlan runs EXECUTE PLAN of the plan at path in session and returns
// the job's id; the job is cancelled at cleanup if it still runs.
func executePlan(t *testing.T, gw *flink.Gateway, session, path string) string {
	t.Helper()
	jobID, err := startPlan(t, gw, session, path)
	if err != nil {
		t.Fatalf("execute plan %s: %v", filepath.Base(path), err)
	}
	return jobID
}

// startPlan is executePlan returning Flink's refusal.
func startPlan(t *testing.T, gw *flink.Gateway, session, path string) (string, error) {
	t.Helper()
	rows, err := gw.Run(context.Background(), session, fmt.Sprintf("EXECUTE PLAN 'file://%s'", path), 0)
	if err != nil {
		return "", err
	}
	if len(rows) != 1 || len(rows[0].Fields) != 1 {
		t.Fatalf("execute plan %s answered %v, want the job id", filepath.Base(path), rows)
	}
	jobID := fmt.Sprint(rows[0].Fields[0])
	t.Cleanup(func() {
		jm := flinktest.Cluster(t).JobManager
		if job, err := jm.Job(context.Background(), jobID); err == nil && !flink.JobTerminal(job.State) {
			jm.CancelJob(context.Background(), jobID)
		}
	})
	return jobID, nil
}

// vertexIDs are a job's vertex ids, sorted.
func vertexIDs(t *testing.T, jm *flink.JobManager, jobID string) []string {
	t.Helper()
	job, err := jm.Job(context.Background(), jobID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range job.Vertices {
		ids = append(ids, v.ID)
	}
	slices.Sort(ids)
	return ids
}

// uidHash is the operator id Flink derives from an operator's uid: the
// 128-bit MurmurHash3 (x64, seed 0) of its UTF-8 bytes, in hex, each half
// little-endian.
func uidHash(uid string) string {
	const c1, c2 = 0x87c37b91114253d5, 0x4cf5ad432745937f
	data := []byte(uid)
	var h1, h2 uint64
	for ; len(data) >= 16; data = data[16:] {
		h1 ^= bits.RotateLeft64(binary.LittleEndian.Uint64(data)*c1, 31) * c2
		h1 = (bits.RotateLeft64(h1, 27)+h2)*5 + 0x52dce729
		h2 ^= bits.RotateLeft64(binary.LittleEndian.Uint64(data[8:])*c2, 33) * c1
		h2 = (bits.RotateLeft64(h2, 31)+h1)*5 + 0x38495ab5
	}
	var k1, k2 uint64
	for i, b := range data {
		if i < 8 {
			k1 |= uint64(b) << (8 * i)
		} else {
			k2 |= uint64(b) << (8 * (i - 8))
		}
	}
	if len(data) > 8 {
		h2 ^= bits.RotateLeft64(k2*c2, 33) * c1
	}
	if len(data) > 0 {
		h1 ^= bits.RotateLeft64(k1*c1, 31) * c2
	}
	n := uint64(len(uid))
	h1, h2 = h1^n, h2^n
	h1 += h2
	h2 += h1
	fmix := func(k uint64) uint64 {
		k = (k ^ k>>33) * 0xff51afd7ed558ccd
		k = (k ^ k>>33) * 0xc4ceb9fe1a85ec53
		return k ^ k>>33
	}
	h1, h2 = fmix(h1), fmix(h2)
	h1 += h2
	h2 += h1
	out := make([]byte, 16)
	binary.LittleEndian.PutUint64(out, h1)
	binary.LittleEndian.PutUint64(out[8:], h2)
	return hex.EncodeToString(out)
}

// committed counts the rows the counts sink has committed under out.
func committed(t *testing.T, out string) int {
	t.Helper()
	rows, err := flinktest.CommittedRows(out)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return len(rows)
}

// waitCommitted waits until the sink has committed at least n rows.
func waitCommitted(t *testing.T, out string, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for committed(t, out) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d rows committed after two minutes, want %d", committed(t, out), n)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// stopWithSavepoint stops a job with a savepoint once all its tasks run
// and returns the savepoint's path.
func stopWithSavepoint(t *testing.T, jm *flink.JobManager, jobID string) string {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute)
	for {
		job, err := jm.Job(ctx, jobID)
		if err == nil && job.TasksRunning() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: tasks not running after a minute (%s, %v)", jobID, job.State, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	trigger, err := jm.StopWithSavepoint(ctx, jobID, "", false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	sp, err := jm.WaitSavepoint(ctx, jobID, trigger)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// waitFailed waits until a job has failed and returns why.
func waitFailed(t *testing.T, jm *flink.JobManager, jobID string) string {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		job, err := jm.Job(ctx, jobID)
		if err == nil && job.State == flink.JobFailed {
			reason, err := jm.RootException(ctx, jobID)
			if err != nil {
				t.Fatal(err)
			}
			return reason
		}
		if err == nil && flink.JobTerminal(job.State) {
			t.Fatalf("job %s ended %s, want FAILED", jobID, job.State)
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s has not failed after two minutes (%s, %v)", jobID, job.State, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
