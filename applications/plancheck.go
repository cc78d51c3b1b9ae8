package applications

// Comparing compiled plans.
//
// A job run from a Flink compiled plan (EXECUTE PLAN) gives each of its
// operators a uid made from the id of the plan node it comes from
// (table.exec.uid.generation PLAN_ONLY, table.exec.uid.format
// "<id>_<transformation>"), and a savepoint stores each operator's state
// under that uid. The ids are handed out by a counter of the JVM that
// compiles the plan, so a plan compiled from an edited query, or from the
// same query at another time, numbers its nodes differently, and its job
// cannot restore the old job's savepoint: Flink refuses with "Cannot map
// checkpoint/savepoint state for operator …".
//
// CheckPlans pairs the nodes of the two plans that hold state, says for
// each node of the old plan whether the new one can take over its state,
// and renumbers the new plan so that every node that can keeps its old id
// (and so its old uid), while every other node gets an id no old node had,
// so that no state lands in an operator that would misread it.
//
// The nodes that hold state are the sources (their read position: a
// sequence's next value, Kafka offsets), the sinks (a file sink's pending
// files, a transactional sink's transactions) and every node that is not
// one of the known stateless kinds (calc, exchange, union, …): aggregates,
// joins, ranks, deduplications, windows, over-aggregates and the like,
// whether or not the plan lists their state.
//
// Pairing: sources and sinks by their table, in plan order when one table
// is read or written more than once; any other node by its kind and its
// inputs — the nearest stateful nodes or sources upstream of it, through
// stateless ones, must be paired with each other. Among several such
// candidates the one that differs least wins.
//
// A paired node can restore when what its state means is unchanged: the
// same kind and version, the same declared state (names; a TTL may change
// but not appear or disappear), the same keys and aggregate functions —
// their columns computed by the same expressions from the same paired
// nodes, however the stateless nodes between are arranged — the same
// configuration and window, and, for a node that keeps input rows (a
// join, a rank, a deduplication, an event-time over-aggregate…), the same
// column types coming in. A filter added on a stateless path, or a changed
// projection after an aggregate, changes none of that. Sources and sinks
// restore when their table keeps its connector (other options are noted;
// a sink holding state of its own also needs the same input; state new to
// a sink starts empty). When in doubt the answer is no, with the reason.
//
// The ids are rewritten in the nodes and the edges, the only places a
// compiled plan refers to them; everything else is kept byte for byte.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/eddy-notebooks/eddy"
)

// PlanCheck is the comparison of a running job's compiled plan with a new
// one.
type PlanCheck struct {
	// Operators are the stateful nodes of the old plan, in plan order, each
	// with whether the new plan can restore its state.
	Operators []OperatorCheck `json:"operators"`
	// Added are the stateful nodes of the new plan that take over no old
	// state: they start empty.
	Added []OperatorCheck `json:"added"`
	// Compatible is true when every old operator can be restored: a job of
	// Plan starts from the old job's savepoint without losing state.
	Compatible bool `json:"compatible"`
	// Plan is the new plan with its node ids remapped: each node that can
	// restore an old node's state has that node's id, every other node an
	// id above those of both plans.
	Plan []byte `json:"-"`
}

// Roles of a stateful node.
const (
	RoleSource   = "source"
	RoleSink     = "sink"
	RoleOperator = "operator"
)

// OperatorCheck is one stateful node of a plan and what becomes of its
// state.
type OperatorCheck struct {
	// ID is the node's id in the old plan (for Added: 0).
	ID int `json:"id"`
	// Type is the node's type and version, e.g. "stream-exec-group-aggregate_1".
	Type string `json:"type"`
	// Role is RoleSource, RoleSink or RoleOperator.
	Role string `json:"role"`
	// Description says what the node does: the table it reads or writes,
	// or its keys and aggregates.
	Description string `json:"description"`
	// State lists the state the plan declares for the node, if any.
	State []string `json:"state,omitempty"`
	// Restorable is true when the new plan restores the node's state.
	Restorable bool `json:"restorable"`
	// Reason says why not, when not.
	Reason string `json:"reason,omitempty"`
	// Notes are changes that do not prevent the restore but may matter.
	Notes []string `json:"notes,omitempty"`
	// NewID is the id of the paired node in the new plan as compiled (0
	// when none), PlanID its id in the remapped plan.
	NewID  int `json:"newId,omitempty"`
	PlanID int `json:"planId,omitempty"`
}

// CheckPlans compares the compiled plan a running job came from (old) with
// a new plan and says, per stateful node of the old plan, whether the new
// plan can restore its state. Its Plan is the new plan with node ids
// remapped so that the nodes that can restore keep the old ids (hence the
// old uids), and all others take ids that collide with nothing old. It
// fails only on a plan it cannot read, with eddy.EINVALID.
func CheckPlans(old, new []byte) (*PlanCheck, error) {
	op, err := parsePlan(old)
	if err != nil {
		return nil, eddy.Wrap(eddy.EINVALID, err, "the old plan cannot be read")
	}
	np, err := parsePlan(new)
	if err != nil {
		return nil, eddy.Wrap(eddy.EINVALID, err, "the new plan cannot be read")
	}
	c := &planComparison{old: op, new: np, pair: map[int]int{}, back: map[int]int{}}
	c.pairTables(RoleSource)
	c.pairTables(RoleSink)
	c.pairOperators()

	check := &PlanCheck{Operators: []OperatorCheck{}, Added: []OperatorCheck{}, Compatible: true}
	keep := map[int]int{} // new id → old id, for the nodes that restore
	for _, n := range op.nodes {
		if n.role == "" {
			continue
		}
		oc := OperatorCheck{ID: n.id, Type: n.typ, Role: n.role, Description: op.describe(n), State: n.stateNames()}
		if m, ok := c.pair[n.id]; ok {
			oc.NewID = m
			oc.Reason, oc.Notes = c.difference(n, np.byID[m])
			oc.Restorable = oc.Reason == ""
			if oc.Restorable {
				keep[m] = n.id
			}
		} else {
			oc.Reason = "the node is gone in the new version"
			if n.role == RoleOperator {
				oc.Reason = "no " + strings.TrimPrefix(n.kind, "stream-exec-") + " node reads the same inputs in the new version"
			}
		}
		check.Compatible = check.Compatible && oc.Restorable
		check.Operators = append(check.Operators, oc)
	}

	ids := remapIDs(op, np, keep)
	for i := range check.Operators {
		if m := check.Operators[i].NewID; m != 0 {
			check.Operators[i].PlanID = ids[m]
		}
	}
	for _, n := range np.nodes {
		if _, paired := c.back[n.id]; n.role == "" || paired {
			continue
		}
		check.Added = append(check.Added, OperatorCheck{Type: n.typ, Role: n.role, Description: np.describe(n), State: n.stateNames(),
			NewID: n.id, PlanID: ids[n.id], Reason: "new in this version: it starts with empty state"})
	}
	if check.Plan, err = np.renumbered(ids); err != nil {
		return nil, eddy.Wrap(eddy.EINTERNAL, err, "renumbering the new plan")
	}
	return check, nil
}

// remapIDs gives every node of the new plan its id in the remapped plan:
// the old id of the node it restores, or else a fresh one above every id
// of both plans, in plan order.
func remapIDs(op, np *plan, keep map[int]int) map[int]int {
	next := max(op.maxID, np.maxID)
	ids := map[int]int{}
	for _, n := range np.nodes {
		if o, ok := keep[n.id]; ok {
			ids[n.id] = o
			continue
		}
		next++
		ids[n.id] = next
	}
	return ids
}

// planComparison pairs the nodes of two plans.
type planComparison struct {
	old, new *plan
	pair     map[int]int // old id → new id
	back     map[int]int // new id → old id
	// lineages memoizes lineage, which names paired nodes: a new pair
	// clears it.
	lineages map[lineageKey]string
}

type lineageKey struct {
	p       *plan
	id, idx int
}

func (c *planComparison) link(o, n int) {
	c.pair[o] = n
	c.back[n] = o
	clear(c.lineages)
}

// pairTables pairs the sources (or sinks) of the two plans by table, in
// plan order among those of one table.
func (c *planComparison) pairTables(role string) {
	for _, o := range c.old.nodes {
		if o.role != role {
			continue
		}
		for _, n := range c.new.nodes {
			if _, taken := c.back[n.id]; !taken && n.role == role && n.table == o.table && n.kind == o.kind {
				c.link(o.id, n.id)
				break
			}
		}
	}
}

// pairOperators pairs the other stateful nodes, upstream first, by kind
// and paired inputs; among several candidates the one with the fewest
// differences, then the first.
func (c *planComparison) pairOperators() {
	for _, o := range c.old.topological() {
		if o.role != RoleOperator {
			continue
		}
		want := c.old.anchors(o)
		var best *node
		bestScore := 0
		for _, n := range c.new.nodes {
			if _, taken := c.back[n.id]; taken || n.role != RoleOperator || n.kind != o.kind {
				continue
			}
			got := c.new.anchors(n)
			if len(got) != len(want) {
				continue
			}
			same := true
			for i := range got {
				if m, ok := c.pair[want[i]]; !ok || m != got[i] {
					same = false
				}
			}
			if !same {
				continue
			}
			score := len(c.fieldDiff(o, n))
			if best == nil || score < bestScore {
				best, bestScore = n, score
			}
		}
		if best != nil {
			c.link(o.id, best.id)
		}
	}
}

// difference says why node n of the new plan cannot restore the state of
// node o of the old one ("" when it can), and notes changes that do not
// prevent it.
func (c *planComparison) difference(o, n *node) (string, []string) {
	if o.typ != n.typ {
		return fmt.Sprintf("the node's implementation changed from %s to %s", o.typ, n.typ), nil
	}
	var notes []string
	if len(o.state) == 0 && len(n.state) > 0 && o.role != RoleOperator {
		// State of a new operator in the node (a sink's upsert materializer):
		// it starts empty, the rest restores.
		notes = append(notes, fmt.Sprintf("the node keeps new state %v, which starts empty", declNames(n.state)))
	} else if reason := stateDifference(o.state, n.state); reason != "" {
		return reason, nil
	}
	switch o.role {
	case RoleSource, RoleSink:
		reason, more := optionsDifference(o.options, n.options)
		notes = append(notes, more...)
		if reason != "" || o.role == RoleSource || len(o.state) == 0 {
			return reason, notes
		}
		// A sink with state of its own (an upsert materializer) keeps rows.
		return c.inputDifference(o, n), notes
	}
	if reason := c.keyDifference(o, n); reason != "" {
		return reason, nil
	}
	if oa, na := c.old.aggregates(o), c.new.aggregates(n); !reflect.DeepEqual(c.normalizedAggs(c.old, o), c.normalizedAggs(c.new, n)) {
		return fmt.Sprintf("the aggregate functions changed from [%s] to [%s]", strings.Join(oa, ", "), strings.Join(na, ", ")), nil
	}
	if c.old.keepsRows(o) || c.new.keepsRows(n) {
		if reason := c.inputDifference(o, n); reason != "" {
			return reason, nil
		}
	}
	if d := c.fieldDiff(o, n); len(d) > 0 {
		if len(d) == 1 && d[0] == "configuration" {
			return "the node's configuration changed: " + configDifference(o.fields["configuration"], n.fields["configuration"]), nil
		}
		on, nn := c.normalized(c.old, o), c.normalized(c.new, n)
		path, ov, nv := leafDifference(d[0], on[d[0]], nn[d[0]])
		if len(d) == 1 && len(ov) <= 80 && len(nv) <= 80 {
			return fmt.Sprintf("the node's %s changed from %s to %s", path, ov, nv), nil
		}
		return fmt.Sprintf("the node's %s changed", strings.Join(d, ", ")), nil
	}
	return "", nil
}

// leafDifference finds the first place where two decoded values differ,
// below path, and renders both values there.
func leafDifference(path string, o, n any) (string, string, string) {
	om, ok1 := o.(map[string]any)
	nm, ok2 := n.(map[string]any)
	if ok1 && ok2 {
		keys := map[string]bool{}
		for k := range om {
			keys[k] = true
		}
		for k := range nm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			if !reflect.DeepEqual(om[k], nm[k]) {
				return leafDifference(path+"."+k, om[k], nm[k])
			}
		}
	}
	ol, ok1 := o.([]any)
	nl, ok2 := n.([]any)
	if ok1 && ok2 && len(ol) == len(nl) {
		for i := range ol {
			if !reflect.DeepEqual(ol[i], nl[i]) {
				return leafDifference(fmt.Sprintf("%s[%d]", path, i), ol[i], nl[i])
			}
		}
	}
	render := func(v any) string {
		if v == nil {
			return "nothing"
		}
		if s, ok := v.(string); ok {
			return s
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	return path, render(o), render(n)
}

// stateDifference compares the declared state of two nodes: Flink finds
// state by name, and state written without a TTL cannot be read with one
// (nor the other way round).
func stateDifference(o, n []stateDecl) string {
	if len(o) == 0 && len(n) == 0 {
		return ""
	}
	if len(o) != len(n) {
		return fmt.Sprintf("the node's state changed from %v to %v", declNames(o), declNames(n))
	}
	for i := range o {
		if o[i].Name != n[i].Name || o[i].Index != n[i].Index {
			return fmt.Sprintf("the node's state changed from %v to %v", declNames(o), declNames(n))
		}
		if ttlOff(o[i].TTL) != ttlOff(n[i].TTL) {
			return fmt.Sprintf("the state %s's TTL changed from %s to %s: state kept without a TTL cannot be read with one, nor the other way round",
				o[i].Name, o[i].TTL, n[i].TTL)
		}
	}
	return ""
}

func ttlOff(ttl string) bool {
	f := strings.Fields(ttl)
	return len(f) == 0 || f[0] == "0"
}

func declNames(ds []stateDecl) []string {
	names := []string{}
	for _, d := range ds {
		names = append(names, d.Name)
	}
	return names
}

// optionsDifference compares the options of a source's or sink's table
// when the plans carry them: another connector is another state; other
// options are noted.
func optionsDifference(o, n map[string]string) (string, []string) {
	if o == nil || n == nil {
		return "", nil
	}
	if o["connector"] != n["connector"] {
		return fmt.Sprintf("the table's connector changed from %s to %s", o["connector"], n["connector"]), nil
	}
	var changed []string
	for k, v := range o {
		if n[k] != v {
			changed = append(changed, k)
		}
	}
	for k := range n {
		if _, ok := o[k]; !ok {
			changed = append(changed, k)
		}
	}
	if len(changed) == 0 {
		return "", nil
	}
	sort.Strings(changed)
	return "", []string{"the table's options changed: " + strings.Join(changed, ", ")}
}

// inputDifference compares the column types flowing into two nodes,
// input by input (names do not matter to state; types do).
func (c *planComparison) inputDifference(o, n *node) string {
	if len(o.inputs) != len(n.inputs) {
		return fmt.Sprintf("the node's inputs changed from %d to %d", len(o.inputs), len(n.inputs))
	}
	for i := range o.inputs {
		ot, nt := c.old.byID[o.inputs[i]].columnTypes(), c.new.byID[n.inputs[i]].columnTypes()
		if !slices.Equal(ot, nt) {
			what := "input's"
			if len(o.inputs) > 1 {
				what = fmt.Sprintf("input %d's", i+1)
			}
			return fmt.Sprintf("the %s column types changed from (%s) to (%s)", what, strings.Join(ot, ", "), strings.Join(nt, ", "))
		}
	}
	return ""
}

// keyFields are, per kind of node, where its plan lists the key of its
// state (indexes into its input), one path per input.
var keyFields = map[string][][]string{
	"stream-exec-group-aggregate":             {{"grouping"}},
	"stream-exec-global-group-aggregate":      {{"grouping"}},
	"stream-exec-incremental-group-aggregate": {{"partialAggGrouping"}},
	"stream-exec-window-aggregate":            {{"grouping"}},
	"stream-exec-global-window-aggregate":     {{"grouping"}},
	"stream-exec-group-window-aggregate":      {{"grouping"}},
	"stream-exec-over-aggregate":              {{"overSpec", "partition", "fields"}},
	"stream-exec-rank":                        {{"partitionSpec", "fields"}},
	"stream-exec-window-rank":                 {{"partitionSpec", "fields"}},
	"stream-exec-deduplicate":                 {{"uniqueKeys"}},
	"stream-exec-window-deduplicate":          {{"partitionKeys"}},
	"stream-exec-changelog-normalize":         {{"uniqueKeys"}},
	"stream-exec-join":                        {{"joinSpec", "leftKeys"}, {"joinSpec", "rightKeys"}},
	"stream-exec-interval-join":               {{"joinSpec", "leftKeys"}, {"joinSpec", "rightKeys"}},
	"stream-exec-window-join":                 {{"joinSpec", "leftKeys"}, {"joinSpec", "rightKeys"}},
	"stream-exec-temporal-join":               {{"joinSpec", "leftKeys"}, {"joinSpec", "rightKeys"}},
}

// keyDifference compares the keys of two nodes by what computes them: the
// same expressions over the same paired nodes upstream.
func (c *planComparison) keyDifference(o, n *node) string {
	paths, ok := keyFields[o.kind]
	if !ok {
		return ""
	}
	for i, path := range paths {
		if i >= len(o.inputs) {
			break
		}
		oks, nk := intsAt(o.decoded, path), intsAt(n.decoded, path)
		var ol, nl []string
		for _, k := range oks {
			ol = append(ol, c.lineage(c.old, o.inputs[i], k))
		}
		for _, k := range nk {
			nl = append(nl, c.lineage(c.new, n.inputs[i], k))
		}
		if !slices.Equal(ol, nl) {
			what := "keys"
			switch {
			case strings.Contains(o.kind, "aggregate") && o.kind != "stream-exec-over-aggregate":
				what = "grouping keys"
			case len(o.inputs) == 1:
				what = "partition keys"
			case i == 0:
				what = "left keys"
			default:
				what = "right keys"
			}
			return fmt.Sprintf("the %s's %s changed from [%s] to [%s]", nodeNoun(o.kind), what,
				strings.Join(c.old.fieldNames(o.inputs[i], oks), ", "), strings.Join(c.new.fieldNames(n.inputs[i], nk), ", "))
		}
	}
	return ""
}

// nodeNoun names a kind of node in a sentence: "stream-exec-over-aggregate"
// is the "over-aggregate".
func nodeNoun(kind string) string {
	switch kind = strings.TrimPrefix(kind, "stream-exec-"); {
	case strings.HasSuffix(kind, "group-aggregate"), kind == "window-aggregate", kind == "global-window-aggregate":
		return "aggregation"
	case strings.HasSuffix(kind, "deduplicate"):
		return strings.TrimSuffix(kind, "deduplicate") + "deduplication"
	default:
		return kind
	}
}

// lineage renders what computes column idx of node id, traced through
// stateless nodes to the nodes that hold state or read tables, named by
// their old ids so that the two plans' renderings compare. What it cannot
// trace renders as something the other plan's rendering never equals.
func (c *planComparison) lineage(p *plan, id, idx int) string {
	key := lineageKey{p, id, idx}
	if l, ok := c.lineages[key]; ok {
		return l
	}
	l := c.trace(p, id, idx)
	if c.lineages == nil {
		c.lineages = map[lineageKey]string{}
	}
	c.lineages[key] = l
	return l
}

// trace is lineage without the memo.
func (c *planComparison) trace(p *plan, id, idx int) string {
	n := p.byID[id]
	unknown := fmt.Sprintf("?%p#%d#%d", p, id, idx)
	if n == nil {
		return unknown
	}
	anchor := func() string {
		oid := n.id
		if p == c.new {
			if o, ok := c.back[n.id]; ok {
				oid = o
			} else {
				return fmt.Sprintf("new%d#%d", n.id, idx)
			}
		}
		cols := n.columns()
		if idx >= len(cols) {
			return fmt.Sprintf("@%d#%d", oid, idx)
		}
		if n.role == RoleSource {
			return fmt.Sprintf("@%d.%s:%s", oid, cols[idx].name, cols[idx].typ)
		}
		return fmt.Sprintf("@%d#%d:%s", oid, idx, cols[idx].typ)
	}
	if n.role != "" {
		return anchor()
	}
	switch n.kind {
	case "stream-exec-calc":
		proj, _ := n.decoded["projection"].([]any)
		if idx >= len(proj) || len(n.inputs) != 1 {
			return unknown
		}
		return c.renderExpr(p, n.inputs[0], proj[idx])
	case "stream-exec-union":
		var parts []string
		for _, in := range n.inputs {
			parts = append(parts, c.lineage(p, in, idx))
		}
		return "union(" + strings.Join(parts, ",") + ")"
	}
	if passThrough[n.kind] && len(n.inputs) == 1 {
		return c.lineage(p, n.inputs[0], idx)
	}
	var parts []string
	for _, a := range p.anchors(n) {
		if p == c.new {
			if o, ok := c.back[a]; ok {
				a = o
			} else {
				a = -a
			}
		}
		parts = append(parts, strconv.Itoa(a))
	}
	return fmt.Sprintf("%s(%s)#%d", n.kind, strings.Join(parts, ","), idx)
}

// renderExpr renders a Calc's expression with its input references
// replaced by their lineage.
func (c *planComparison) renderExpr(p *plan, input int, e any) string {
	switch v := e.(type) {
	case map[string]any:
		if v["kind"] == "INPUT_REF" {
			i, _ := toInt(v["inputIndex"])
			return c.lineage(p, input, i)
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteByte('{')
		for _, k := range keys {
			fmt.Fprintf(&b, "%s:%s;", k, c.renderExpr(p, input, v[k]))
		}
		b.WriteByte('}')
		return b.String()
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = c.renderExpr(p, input, x)
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		return fmt.Sprint(v)
	}
}

// configDifference lists the configuration keys whose values differ.
func configDifference(o, n json.RawMessage) string {
	var om, nm map[string]string
	_ = json.Unmarshal(o, &om)
	_ = json.Unmarshal(n, &nm)
	var parts []string
	for k, v := range om {
		if nm[k] != v {
			parts = append(parts, fmt.Sprintf("%s %s → %s", k, v, nm[k]))
		}
	}
	for k, v := range nm {
		if _, ok := om[k]; !ok {
			parts = append(parts, fmt.Sprintf("%s → %s", k, v))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// ignoredFields are the fields of a node that say nothing about its state
// beyond what difference checks by other means: its id, its text, its
// output (derived from its inputs and what it does), the distribution it
// asks of its inputs (its keys) and its declared state.
var ignoredFields = map[string]bool{"id": true, "type": true, "description": true, "outputType": true, "inputProperties": true, "state": true}

// fieldDiff lists the top-level fields that differ between two nodes of
// one kind, compared by meaning: column indexes as the lineage of the
// columns, aggregate calls without their aliases, keys left to
// keyDifference.
func (c *planComparison) fieldDiff(o, n *node) []string {
	on, nn := c.normalized(c.old, o), c.normalized(c.new, n)
	var diff []string
	keys := map[string]bool{}
	for k := range on {
		keys[k] = true
	}
	for k := range nn {
		keys[k] = true
	}
	for k := range keys {
		if !reflect.DeepEqual(on[k], nn[k]) {
			diff = append(diff, k)
		}
	}
	sort.Strings(diff)
	return diff
}

// normalized copies a node's fields for comparison with its pair: without
// the ignored fields and its keys; with the column indexes of aggregate
// arguments, filters and orderings replaced by the columns' lineage, and
// without aggregate aliases.
func (c *planComparison) normalized(p *plan, n *node) map[string]any {
	input := -1
	if len(n.inputs) > 0 {
		input = n.inputs[0]
	}
	col := func(v any) any {
		i, ok := toInt(v)
		if !ok || i < 0 || input < 0 {
			return v
		}
		return c.lineage(p, input, i)
	}
	var walk func(v any, key string) any
	walk = func(v any, key string) any {
		switch x := v.(type) {
		case map[string]any:
			_, fn := x["internalName"]
			_, args := x["argList"]
			aggCall := fn && args
			out := map[string]any{}
			for k, e := range x {
				switch {
				case aggCall && k == "name":
				case aggCall && k == "filterArg":
					out[k] = col(e)
				case k == "timeAttributeIndex":
					out[k] = col(e)
				case aggCall && k == "argList", key == "fields" && k == "index":
					out[k] = walk(e, "columns")
				case key == "overSpec" && (k == "partition" || k == "originalInputFields"):
				default:
					out[k] = walk(e, k)
				}
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = walk(e, key)
			}
			return out
		default:
			if key == "columns" {
				return col(v)
			}
			return v
		}
	}
	skip := map[string]bool{}
	for _, path := range keyFields[n.kind] {
		if len(path) == 1 {
			skip[path[0]] = true
		}
	}
	out := map[string]any{}
	for k, v := range n.decoded {
		if ignoredFields[k] || skip[k] {
			continue
		}
		if k == "joinSpec" {
			v = withoutKeys(v, "leftKeys", "rightKeys")
		}
		out[k] = walk(v, k)
	}
	return out
}

// withoutKeys copies a decoded object without some of its fields.
func withoutKeys(v any, keys ...string) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for k, x := range m {
		if !slices.Contains(keys, k) {
			out[k] = x
		}
	}
	return out
}

// aggCallsOf collects every "aggCalls" list of a decoded node, in order.
func aggCallsOf(v any) []any {
	var out []any
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "aggCalls" {
				if l, ok := x[k].([]any); ok {
					out = append(out, l...)
				}
				continue
			}
			out = append(out, aggCallsOf(x[k])...)
		}
	case []any:
		for _, e := range x {
			out = append(out, aggCallsOf(e)...)
		}
	}
	return out
}

// keepsRows reports whether a node keeps input rows in its state (a join,
// a rank, a bounded or event-time window of rows…), so that the types of
// its input columns are part of its state. Aggregations keep only keys
// and accumulators; so does an over-aggregate from the first row to the
// current one in processing time.
func (p *plan) keepsRows(n *node) bool {
	switch n.kind {
	case "stream-exec-group-aggregate", "stream-exec-global-group-aggregate", "stream-exec-incremental-group-aggregate",
		"stream-exec-window-aggregate", "stream-exec-global-window-aggregate":
		return false
	case "stream-exec-over-aggregate":
		groups, _ := intsPath(n.decoded, "overSpec", "groups").([]any)
		if len(groups) == 0 || len(n.inputs) == 0 {
			return true
		}
		cols := p.byID[n.inputs[0]].columns()
		for _, g := range groups {
			lower, _ := intsPath(g, "lowerBound", "kind").(string)
			upper, _ := intsPath(g, "upperBound", "kind").(string)
			fields, _ := intsPath(g, "orderBy", "fields").([]any)
			if lower != "UNBOUNDED_PRECEDING" || upper != "CURRENT_ROW" || len(fields) != 1 {
				return true
			}
			i, _ := toInt(intsPath(fields[0], "index"))
			if i >= len(cols) || !strings.Contains(cols[i].typ, "PROCTIME") {
				return true
			}
		}
		return false
	}
	return true
}

// intsPath reads the value at path in a decoded JSON value.
func intsPath(v any, path ...string) any {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// passThrough are stateless kinds of node whose output columns are their
// input's.
var passThrough = map[string]bool{
	"stream-exec-exchange":            true,
	"stream-exec-watermark-assigner":  true,
	"stream-exec-drop-update-before":  true,
	"stream-exec-mini-batch-assigner": true,
}

// statelessKinds are the kinds of node that keep no state of their own in
// a savepoint; every other node that is not a source or sink is taken to
// keep some.
var statelessKinds = map[string]bool{
	"stream-exec-calc":                   true,
	"stream-exec-exchange":               true,
	"stream-exec-union":                  true,
	"stream-exec-expand":                 true,
	"stream-exec-correlate":              true,
	"stream-exec-values":                 true,
	"stream-exec-drop-update-before":     true,
	"stream-exec-mini-batch-assigner":    true,
	"stream-exec-watermark-assigner":     true,
	"stream-exec-local-group-aggregate":  true,
	"stream-exec-local-window-aggregate": true,
}

// plan is a compiled plan read for comparison and renumbering. Its nodes
// and edges keep their fields in their original order and bytes, so that
// a renumbered plan differs from the compiled one in its ids only.
type plan struct {
	top   object
	nodes []*node
	edges []object
	byID  map[int]*node
	maxID int
}

// node is one ExecNode of a plan.
type node struct {
	id      int
	typ     string // e.g. stream-exec-group-aggregate_1
	kind    string // typ without its version
	role    string // RoleSource, RoleSink, RoleOperator, or "" for a stateless node
	table   string // the table of a source or sink
	options map[string]string
	state   []stateDecl
	fields  map[string]json.RawMessage
	decoded map[string]any
	inputs  []int // in input order
	outputs []int
	order   int // position in the plan
}

// stateDecl is one entry of a node's "state" list.
type stateDecl struct {
	Index int    `json:"index"`
	TTL   string `json:"ttl"`
	Name  string `json:"name"`
}

func (n *node) stateNames() []string {
	if len(n.state) == 0 {
		return nil
	}
	return declNames(n.state)
}

// parsePlan reads a compiled plan.
func parsePlan(b []byte) (*plan, error) {
	p := &plan{byID: map[int]*node{}}
	if err := json.Unmarshal(b, &p.top); err != nil {
		return nil, fmt.Errorf("not a compiled plan: %w", err)
	}
	var nodes []object
	if raw := p.top.get("nodes"); raw == nil {
		return nil, errors.New("not a compiled plan: no nodes")
	} else if err := json.Unmarshal(raw, &nodes); err != nil {
		return nil, fmt.Errorf("not a compiled plan: nodes: %w", err)
	}
	if raw := p.top.get("edges"); raw != nil {
		if err := json.Unmarshal(raw, &p.edges); err != nil {
			return nil, fmt.Errorf("not a compiled plan: edges: %w", err)
		}
	}
	for i, obj := range nodes {
		n, err := readNode(obj)
		if err != nil {
			return nil, err
		}
		if _, dup := p.byID[n.id]; dup {
			return nil, fmt.Errorf("two nodes with id %d", n.id)
		}
		n.order = i
		p.nodes = append(p.nodes, n)
		p.byID[n.id] = n
		p.maxID = max(p.maxID, n.id)
	}
	for _, e := range p.edges {
		var src, dst int
		if err := json.Unmarshal(e.get("source"), &src); err != nil {
			return nil, fmt.Errorf("an edge without a source: %w", err)
		}
		if err := json.Unmarshal(e.get("target"), &dst); err != nil {
			return nil, fmt.Errorf("an edge without a target: %w", err)
		}
		s, t := p.byID[src], p.byID[dst]
		if s == nil || t == nil {
			return nil, fmt.Errorf("an edge from %d to %d joins a node the plan does not have", src, dst)
		}
		t.inputs = append(t.inputs, src)
		s.outputs = append(s.outputs, dst)
	}
	return p, nil
}

func readNode(obj object) (*node, error) {
	n := &node{fields: map[string]json.RawMessage{}}
	for _, m := range obj {
		n.fields[m.key] = m.value
	}
	if err := json.Unmarshal(n.fields["id"], &n.id); err != nil {
		return nil, fmt.Errorf("a node without an id: %w", err)
	}
	if err := json.Unmarshal(n.fields["type"], &n.typ); err != nil || n.typ == "" {
		return nil, fmt.Errorf("node %d has no type", n.id)
	}
	n.kind = n.typ
	if i := strings.LastIndexByte(n.typ, '_'); i > 0 {
		n.kind = n.typ[:i]
	}
	raw, _ := obj.MarshalJSON()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&n.decoded); err != nil {
		return nil, fmt.Errorf("node %d: %w", n.id, err)
	}
	if s := n.fields["state"]; s != nil {
		if err := json.Unmarshal(s, &n.state); err != nil {
			return nil, fmt.Errorf("node %d: state: %w", n.id, err)
		}
	}
	var table struct {
		Table struct {
			Identifier    string `json:"identifier"`
			ResolvedTable *struct {
				Options map[string]string `json:"options"`
			} `json:"resolvedTable"`
		} `json:"table"`
	}
	switch {
	case n.fields["scanTableSource"] != nil:
		n.role = RoleSource
		_ = json.Unmarshal(n.fields["scanTableSource"], &table)
	case n.fields["dynamicTableSink"] != nil:
		n.role = RoleSink
		_ = json.Unmarshal(n.fields["dynamicTableSink"], &table)
	case strings.HasSuffix(n.kind, "-sink"):
		n.role = RoleSink
	case !statelessKinds[n.kind] || len(n.state) > 0:
		n.role = RoleOperator
	}
	n.table = table.Table.Identifier
	if rt := table.Table.ResolvedTable; rt != nil {
		n.options = rt.Options
		if n.options == nil {
			n.options = map[string]string{}
		}
	}
	return n, nil
}

// topological returns the plan's nodes inputs first.
func (p *plan) topological() []*node {
	var out []*node
	seen := map[int]bool{}
	var visit func(n *node)
	visit = func(n *node) {
		if seen[n.id] {
			return
		}
		seen[n.id] = true
		for _, in := range n.inputs {
			visit(p.byID[in])
		}
		out = append(out, n)
	}
	for _, n := range p.nodes {
		visit(n)
	}
	return out
}

// anchors are the nearest stateful nodes and sources upstream of n,
// through stateless nodes, in input order, each once.
func (p *plan) anchors(n *node) []int {
	var out []int
	seen := map[int]bool{}
	var walk func(id int)
	walk = func(id int) {
		if seen[id] {
			return
		}
		seen[id] = true
		in := p.byID[id]
		if in.role != "" {
			out = append(out, id)
			return
		}
		for _, i := range in.inputs {
			walk(i)
		}
	}
	for _, i := range n.inputs {
		walk(i)
	}
	return out
}

// describe says what a stateful node does, in words.
func (p *plan) describe(n *node) string {
	switch n.role {
	case RoleSource:
		return "reads " + tableName(n.table)
	case RoleSink:
		if n.table == "" {
			return fmt.Sprint(n.decoded["description"])
		}
		return "writes " + tableName(n.table)
	}
	desc, _ := n.decoded["description"].(string)
	paths, ok := keyFields[n.kind]
	if !ok || len(n.inputs) == 0 {
		return desc
	}
	keys := p.fieldNames(n.inputs[0], intsAt(n.decoded, paths[0]))
	aggs := p.aggregates(n)
	switch {
	case n.kind == "stream-exec-over-aggregate":
		return fmt.Sprintf("%s OVER (PARTITION BY %s)", strings.Join(aggs, ", "), strings.Join(keys, ", "))
	case strings.Contains(n.kind, "window"):
		return fmt.Sprintf("%s GROUP BY %s, %s", strings.Join(aggs, ", "), strings.Join(keys, ", "), bracketed(desc, "window="))
	case strings.Contains(n.kind, "aggregate"):
		return fmt.Sprintf("%s GROUP BY %s", strings.Join(aggs, ", "), strings.Join(keys, ", "))
	}
	return desc
}

// bracketed returns what follows name=[ in a node's description, up to its
// closing bracket, e.g. TUMBLE(time_col=[pt], size=[10 s]).
func bracketed(desc, name string) string {
	i := strings.Index(desc, name+"[")
	if i < 0 {
		return ""
	}
	s := desc[i+len(name)+1:]
	depth := 0
	for j, r := range s {
		switch r {
		case '[':
			depth++
		case ']':
			if depth == 0 {
				return s[:j]
			}
			depth--
		}
	}
	return ""
}

// tableName writes `cat`.`db`.`t` as cat.db.t.
func tableName(id string) string {
	return strings.ReplaceAll(id, "`", "")
}

// aggregates renders a node's aggregate calls, e.g. COUNT(*), SUM(v).
func (p *plan) aggregates(n *node) []string {
	out := []string{}
	input := -1
	if len(n.inputs) > 0 {
		input = n.inputs[0]
	}
	for _, a := range aggCallsOf(n.decoded) {
		m, _ := a.(map[string]any)
		name, _ := m["internalName"].(string)
		name = strings.Trim(name, "$")
		if i := strings.LastIndexByte(name, '$'); i > 0 {
			name = name[:i]
		}
		args, _ := m["argList"].([]any)
		var idx []int
		for _, x := range args {
			i, _ := toInt(x)
			idx = append(idx, i)
		}
		arg := "*"
		if len(idx) > 0 {
			arg = strings.Join(p.fieldNames(input, idx), ", ")
		}
		if d, _ := m["distinct"].(bool); d {
			arg = "DISTINCT " + arg
		}
		out = append(out, fmt.Sprintf("%s(%s)", name, arg))
	}
	return out
}

// fieldNames names columns of node id's output for people: the column's
// name, or, for a name the planner made up ($1, EXPR$0), the expression
// that computes it.
func (p *plan) fieldNames(id int, idx []int) []string {
	out := []string{}
	for _, i := range idx {
		out = append(out, p.fieldName(id, i))
	}
	return out
}

func (p *plan) fieldName(id, idx int) string {
	n := p.byID[id]
	if n == nil {
		return fmt.Sprintf("$%d", idx)
	}
	name := n.columnName(idx)
	if name != "" && !generatedName(name) {
		return name
	}
	if passThrough[n.kind] && len(n.inputs) == 1 {
		return p.fieldName(n.inputs[0], idx)
	}
	if n.kind == "stream-exec-calc" {
		desc, _ := n.decoded["description"].(string)
		if items := selectList(desc); idx < len(items) {
			item := items[idx]
			if i := strings.LastIndex(item, " AS "); i > 0 {
				item = item[:i]
			}
			return item
		}
	}
	if name == "" {
		return fmt.Sprintf("$%d", idx)
	}
	return name
}

// generatedName reports whether the planner made a column name up.
func generatedName(name string) bool {
	return strings.HasPrefix(name, "$") || strings.HasPrefix(name, "EXPR$")
}

// selectList splits the select=[…] list of a Calc's description at its
// top-level commas.
func selectList(desc string) []string {
	i := strings.Index(desc, "select=[")
	if i < 0 {
		return nil
	}
	s := desc[i+len("select=["):]
	var items []string
	depth, start := 0, 0
	for j, r := range s {
		switch r {
		case '(', '[':
			depth++
		case ')':
			depth--
		case ']':
			if depth == 0 {
				return append(items, strings.TrimSpace(s[start:j]))
			}
			depth--
		case ',':
			if depth == 0 {
				items = append(items, strings.TrimSpace(s[start:j]))
				start = j + 1
			}
		}
	}
	return nil
}

// columns reads a node's output row type: either a string such as
// ROW<`id` BIGINT, `k` INT> or an object {"type":"ROW","fields":[…]}.
func (n *node) columns() []column {
	raw := n.fields["outputType"]
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return parseRowType(s)
	}
	var obj struct {
		Fields []struct {
			Name      string          `json:"name"`
			FieldType json.RawMessage `json:"fieldType"`
		} `json:"fields"`
	}
	if json.Unmarshal(raw, &obj) != nil {
		return nil
	}
	var cols []column
	for _, f := range obj.Fields {
		cols = append(cols, column{name: f.Name, typ: typeText(f.FieldType)})
	}
	return cols
}

// column is one column of a row type.
type column struct{ name, typ string }

func (n *node) columnName(idx int) string {
	cols := n.columns()
	if idx < 0 || idx >= len(cols) {
		return ""
	}
	return cols[idx].name
}

func (n *node) columnTypes() []string {
	var out []string
	for _, c := range n.columns() {
		out = append(out, c.typ)
	}
	return out
}

// typeText renders a serialized logical type: a string as it is, an object
// as its type name with its attributes.
func typeText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return string(raw)
	}
	t, _ := m["type"].(string)
	var attrs []string
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "type" {
			continue
		}
		v, _ := json.Marshal(m[k])
		attrs = append(attrs, k+"="+string(v))
	}
	if len(attrs) == 0 {
		return t
	}
	return t + "{" + strings.Join(attrs, " ") + "}"
}

// parseRowType splits ROW<`a` BIGINT, `b` DECIMAL(10, 2)> [NOT NULL] into
// its columns.
func parseRowType(s string) []column {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "ROW<") {
		return nil
	}
	s = s[len("ROW<"):]
	end := strings.LastIndexByte(s, '>')
	if end < 0 {
		return nil
	}
	s = s[:end]
	var cols []column
	depth, start, quoted := 0, 0, false
	for i := 0; i <= len(s); i++ {
		if i < len(s) {
			switch c := s[i]; {
			case c == '`':
				quoted = !quoted
				continue
			case quoted:
				continue
			case c == '<' || c == '(':
				depth++
				continue
			case c == '>' || c == ')':
				depth--
				continue
			case c != ',' || depth > 0:
				continue
			}
		}
		cols = append(cols, parseColumn(strings.TrimSpace(s[start:i])))
		start = i + 1
	}
	return cols
}

// parseColumn splits `name` TYPE (a name's backticks doubled inside it).
func parseColumn(s string) column {
	if !strings.HasPrefix(s, "`") {
		name, typ, _ := strings.Cut(s, " ")
		return column{name: name, typ: typ}
	}
	for i := 1; i < len(s); i++ {
		if s[i] != '`' {
			continue
		}
		if i+1 < len(s) && s[i+1] == '`' {
			i++
			continue
		}
		return column{name: strings.ReplaceAll(s[1:i], "``", "`"), typ: strings.TrimSpace(s[i+1:])}
	}
	return column{typ: s}
}

// intsAt reads a list of integers at path in a decoded node.
func intsAt(v any, path []string) []int {
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	l, _ := v.([]any)
	var out []int
	for _, x := range l {
		if i, ok := toInt(x); ok {
			out = append(out, i)
		}
	}
	return out
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case json.Number:
		i, err := strconv.Atoi(x.String())
		return i, err == nil
	case float64:
		return int(x), true
	}
	return 0, false
}

// renumbered writes the plan with node ids replaced by ids[old] in the
// nodes and in the edges (the only places a compiled plan refers to node
// ids), everything else as it was.
func (p *plan) renumbered(ids map[int]int) ([]byte, error) {
	var nodes []object
	if err := json.Unmarshal(p.top.get("nodes"), &nodes); err != nil {
		return nil, err
	}
	for _, obj := range nodes {
		var id int
		if err := json.Unmarshal(obj.get("id"), &id); err != nil {
			return nil, err
		}
		obj.set("id", json.RawMessage(strconv.Itoa(ids[id])))
	}
	edges := make([]object, len(p.edges))
	for i, e := range p.edges {
		edges[i] = slices.Clone(e)
		for _, k := range []string{"source", "target"} {
			var id int
			if err := json.Unmarshal(e.get(k), &id); err != nil {
				return nil, err
			}
			edges[i].set(k, json.RawMessage(strconv.Itoa(ids[id])))
		}
	}
	top := slices.Clone(p.top)
	nb, err := json.Marshal(nodes)
	if err != nil {
		return nil, err
	}
	top.set("nodes", nb)
	if p.top.get("edges") != nil {
		eb, err := json.Marshal(edges)
		if err != nil {
			return nil, err
		}
		top.set("edges", eb)
	}
	flat, err := top.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, flat, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// object is a JSON object whose members keep their order and their bytes.
type object []member

type member struct {
	key   string
	value json.RawMessage
}

func (o object) get(key string) json.RawMessage {
	for _, m := range o {
		if m.key == key {
			return m.value
		}
	}
	return nil
}

func (o object) set(key string, v json.RawMessage) {
	for i := range o {
		if o[i].key == key {
			o[i].value = v
			return
		}
	}
}

// UnmarshalJSON reads an object's members in order.
func (o *object) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	*o = (*o)[:0]
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*o = append(*o, member{key: key, value: v})
	}
	_, err := dec.Token()
	return err
}

// MarshalJSON writes an object's members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// normalizedAggs are a node's aggregate calls without their aliases, their
// arguments by lineage.
func (c *planComparison) normalizedAggs(p *plan, n *node) any {
	return c.normalized(p, &node{kind: n.kind, inputs: n.inputs, decoded: map[string]any{"aggCalls": aggCallsOf(n.decoded)}})["aggCalls"]
}
