package kernel

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eddy-notebooks/eddy"
)

func ins(f ...any) Change { return Change{Kind: RowInsert, Fields: f} }
func ub(f ...any) Change  { return Change{Kind: RowUpdateBefore, Fields: f} }
func ua(f ...any) Change  { return Change{Kind: RowUpdateAfter, Fields: f} }
func del(f ...any) Change { return Change{Kind: RowDelete, Fields: f} }

// rowTexts renders rows as "a|b" strings for compact comparisons.
func rowTexts(rows []Row) []string {
	out := []string{}
	for _, r := range rows {
		parts := make([]string, len(r.Fields))
		for i, f := range r.Fields {
			parts[i] = FormatValue(f)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

func mustMaterializer(t testing.TB, opts Options, cols ...Column) *Materializer {
	t.Helper()
	m, err := NewMaterializer(opts)
	if err != nil {
		t.Fatal(err)
	}
	if cols == nil {
		cols = []Column{{Name: "k", Type: "STRING"}, {Name: "v", Type: "BIGINT"}}
	}
	m.SetColumns(cols)
	return m
}

func TestMaterializer(t *testing.T) {
	tsCols := []Column{{Name: "window_start", Type: "TIMESTAMP(3)"}, {Name: "cnt", Type: "BIGINT"}}
	n := func(s string) json.Number { return json.Number(s) }
	tests := []struct {
		name    string
		opts    Options
		cols    []Column
		changes []Change
		rows    []string
		hidden  int64
		ignored int64
		err     bool
	}{
		{name: "UpdateInsertOnly", changes: []Change{ins("a", 1), ins("b", 2)}, rows: []string{"a|1", "b|2"}},
		{name: "UpdateRetractInPlace", changes: []Change{ins("a", 1), ins("b", 2), ub("a", 1), ua("a", 3)}, rows: []string{"a|3", "b|2"}},
		{name: "UpdateDelete", changes: []Change{ins("a", 1), ins("b", 2), del("a", 1)}, rows: []string{"b|2"}},
		{name: "UpdateMultisetRemovesOne", changes: []Change{ins("a", 1), ins("a", 1), ins("a", 1), del("a", 1)}, rows: []string{"a|1", "a|1"}},
		{name: "UpdateRetractAbsentIgnored", changes: []Change{ins("a", 1), del("z", 9), ub("a", 2)}, rows: []string{"a|1"}, ignored: 2},
		{name: "UpdateNumberForms", changes: []Change{ins("a", n("1")), ins("b", n("2.50")), del("a", 1.0), del("b", 2.5)}, rows: []string{}},
		{name: "UpdateNumberNotString", changes: []Change{ins("a", "1"), del("a", 1)}, rows: []string{"a|1"}, ignored: 1},
		{name: "UpdateNull", changes: []Change{ins("a", nil), ins("b", "null"), del("a", nil)}, rows: []string{"b|null"}},
		{name: "UpdateNested", changes: []Change{
			ins("a", map[string]any{"x": []any{n("1"), "y"}, "z": nil}),
			del("a", map[string]any{"z": nil, "x": []any{1.0, "y"}}),
		}, rows: []string{}},
		{name: "UpdateUBWithoutUA", changes: []Change{ins("a", 1), ins("b", 1), ub("a", 1), ins("c", 1)}, rows: []string{"b|1", "c|1"}},
		{name: "UpdateBoundHidesNewRows", opts: Options{MaxRows: 2},
			changes: []Change{ins("a", 1), ins("b", 1), ins("c", 1), ins("d", 1)}, rows: []string{"a|1", "b|1"}, hidden: 2},
		{name: "UpdateBoundUpdatesStayInPlace", opts: Options{MaxRows: 2},
			changes: []Change{ins("a", 1), ins("b", 1), ins("c", 1), ub("a", 1), ua("a", 2), ub("c", 1), ua("c", 2)},
			rows:    []string{"a|2", "b|1"}, hidden: 1, ignored: 1},
		{name: "UpdateBoundSlotReservedAgainstInsert", opts: Options{MaxRows: 2},
			changes: []Change{ins("a", 1), ins("b", 1), ub("a", 1), ins("c", 1), ua("a", 2)},
			rows:    []string{"a|2", "b|1"}, hidden: 1},
		{name: "UpdateBoundRoomFreedByDelete", opts: Options{MaxRows: 2},
			changes: []Change{ins("a", 1), ins("b", 1), ins("c", 1), del("a", 1), ins("d", 1)},
			rows:    []string{"b|1", "d|1"}, hidden: 1},
		{name: "UpdateHiddenRetractedExactCount", opts: Options{MaxRows: 1},
			changes: []Change{ins("a", 1), ins("b", 1), ins("c", 1), del("b", 1)}, rows: []string{"a|1"}, hidden: 1, ignored: 1},
		{name: "AppendArrival", opts: Options{Mode: DisplayAppend}, changes: []Change{ins("b", 1), ins("a", 2), ua("c", 3)},
			rows: []string{"b|1", "a|2", "c|3"}},
		{name: "AppendNewestMaxRows", opts: Options{Mode: DisplayAppend, MaxRows: 2}, changes: []Change{ins("a", 1), ins("b", 2), ins("c", 3)},
			rows: []string{"b|2", "c|3"}, hidden: 1},
		{name: "AppendRetractionError", opts: Options{Mode: DisplayAppend}, changes: []Change{ins("a", 1), ub("a", 1), ins("b", 2)},
			rows: []string{"a|1", "b|2"}, ignored: 1, err: true},
		{name: "AppendTimestampSorted", opts: Options{Mode: DisplayAppend}, cols: tsCols,
			changes: []Change{ins("2024-01-01T10:02:00", 2), ins("2024-01-01T10:00:00", 0), ins("2024-01-01T10:01:00", 1), ins("2024-01-01T10:02:00", 3)},
			rows:    []string{"2024-01-01T10:00:00|0", "2024-01-01T10:01:00|1", "2024-01-01T10:02:00|2", "2024-01-01T10:02:00|3"}},
		{name: "AppendTimestampThreshold", opts: Options{Mode: DisplayAppend, Threshold: time.Minute}, cols: tsCols,
			changes: []Change{ins("2024-01-01T10:00:00", 0), ins("2024-01-01T10:00:30.5", 1), ins("2024-01-01T10:01:00", 2),
				ins("2024-01-01T10:01:20", 3), ins("2024-01-01T09:00:00", 9)},
			rows: []string{"2024-01-01T10:00:30.5|1", "2024-01-01T10:01:00|2", "2024-01-01T10:01:20|3"}},
		{name: "AppendTimestampWithZoneAndSpace", opts: Options{Mode: DisplayAppend, Threshold: time.Hour}, cols: tsCols,
			changes: []Change{ins("2024-01-01 10:00:00.000", 0), ins("2024-01-01T12:00:00Z", 1)},
			rows:    []string{"2024-01-01T12:00:00Z|1"}},
		{name: "AppendTimestampMaxRowsKeepsNewest", opts: Options{Mode: DisplayAppend, MaxRows: 2}, cols: tsCols,
			changes: []Change{ins("2024-01-01T10:03:00", 3), ins("2024-01-01T10:01:00", 1), ins("2024-01-01T10:02:00", 2), ins("2024-01-01T10:00:00", 0)},
			rows:    []string{"2024-01-01T10:02:00|2", "2024-01-01T10:03:00|3"}, hidden: 2},
		{name: "AppendTimestampNullDropped", opts: Options{Mode: DisplayAppend}, cols: tsCols,
			changes: []Change{ins(nil, 0), ins("2024-01-01T10:00:00", 1), ins(nil, 2)}, rows: []string{"2024-01-01T10:00:00|1"}},
		{name: "AppendTimestampNoWindow", opts: Options{Mode: DisplayAppend, Threshold: -1}, cols: tsCols,
			changes: []Change{ins("2020-01-01T00:00:00", 0), ins("2024-01-01T10:00:00", 1)},
			rows:    []string{"2020-01-01T00:00:00|0", "2024-01-01T10:00:00|1"}},
		{name: "SingleLatest", opts: Options{Mode: DisplaySingle}, changes: []Change{ins("a", 1), ub("a", 1), ua("a", 2), del("a", 2)},
			rows: []string{"a|2"}, ignored: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustMaterializer(t, tt.opts, tt.cols...)
			err := m.Apply(tt.changes)
			if tt.err != (err != nil) {
				t.Fatalf("Apply err = %v, want error %v", err, tt.err)
			}
			if err != nil && eddy.ErrorCode(err) != eddy.EINVALID {
				t.Fatalf("code = %q", eddy.ErrorCode(err))
			}
			tab := m.Snapshot()
			if got := rowTexts(tab.Rows); !slices.Equal(got, tt.rows) {
				t.Errorf("rows = %q, want %q", got, tt.rows)
			}
			if tab.RowsReceived != int64(len(tt.changes)) {
				t.Errorf("RowsReceived = %d, want %d", tab.RowsReceived, len(tt.changes))
			}
			if tab.RowsHidden != tt.hidden || tab.Truncated != (tt.hidden > 0) {
				t.Errorf("RowsHidden = %d Truncated = %v, want %d", tab.RowsHidden, tab.Truncated, tt.hidden)
			}
			if tab.RetractionsIgnored != tt.ignored {
				t.Errorf("RetractionsIgnored = %d, want %d", tab.RetractionsIgnored, tt.ignored)
			}
		})
	}
}

func TestMaterializer_UpdateInPlace(t *testing.T) {
	m := mustMaterializer(t, Options{})
	m.Apply([]Change{ins("a", 1), ins("b", 1), ins("c", 1)})
	before := m.Snapshot()
	m.Delta()
	// Interleaved pairs: each UPDATE_AFTER finds the slot of its own key.
	m.Apply([]Change{ub("a", 1), ub("b", 1), ua("b", 2), ua("a", 2)})
	after := m.Snapshot()
	if got := rowTexts(after.Rows); !slices.Equal(got, []string{"a|2", "b|2", "c|1"}) {
		t.Fatalf("rows = %q", got)
	}
	for i := range before.Rows {
		if before.Rows[i].ID != after.Rows[i].ID {
			t.Errorf("row %d ID %d -> %d, want unchanged", i, before.Rows[i].ID, after.Rows[i].ID)
		}
	}
	d := m.Delta()
	wantChanged := ChangedRows{{ID: before.Rows[0].ID, Cells: []Cell{{1, 2}}}, {ID: before.Rows[1].ID, Cells: []Cell{{1, 2}}}}
	if len(d.Removed) != 0 || len(d.Upserts) != 0 || !reflect.DeepEqual(d.Changed, wantChanged) {
		t.Errorf("delta = %+v, want two rows changed in place, one cell each", d)
	}
	// An update to the same values sends nothing for the row.
	m.Apply([]Change{ub("a", 2), ua("a", 2)})
	if d := m.Delta(); d.Empty() || len(d.Upserts)+len(d.Changed)+len(d.Removed) != 0 {
		t.Errorf("delta after a same-value update = %+v, want a new version and no rows", d)
	}
	// A pair split by a Delta still lands in place.
	m.Apply([]Change{ub("c", 1)})
	if d := m.Delta(); !slices.Equal(d.Removed, []int64{before.Rows[2].ID}) {
		t.Errorf("delta after UPDATE_BEFORE = %+v", d)
	}
	m.Apply([]Change{ua("c", 5)})
	if d := m.Delta(); len(d.Upserts) != 1 || d.Upserts[0].ID != before.Rows[2].ID || d.Upserts[0].Index != 2 {
		t.Errorf("delta after UPDATE_AFTER = %+v, want the row whole (viewers removed it)", d)
	}
	// A Snapshot taken between an UPDATE_BEFORE and its UPDATE_AFTER lacks
	// the row: the Delta sends it whole.
	m.Apply([]Change{ub("b", 2)})
	late := m.Snapshot()
	m.Apply([]Change{ua("b", 3)})
	d = m.Delta()
	if len(d.Upserts) != 1 || d.Upserts[0].ID != before.Rows[1].ID || len(d.Changed) != 0 {
		t.Errorf("delta after a snapshot of a retracted row = %+v, want it whole", d)
	}
	if rows := mustApplyDelta(t, late.Rows, d); !slices.Equal(rowTexts(rows), []string{"a|2", "b|3", "c|5"}) {
		t.Errorf("late viewer rows = %q", rowTexts(rows))
	}
}

// mustApplyDelta applies d to rows after a JSON round trip, as a viewer
// receives it: values must come back exact.
func mustApplyDelta(t testing.TB, rows []Row, d Delta) []Row {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	var wire Delta
	if err := dec.Decode(&wire); err != nil {
		t.Fatal(err)
	}
	out, err := ApplyDelta(rows, wire)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMaterializer_SlotExpires(t *testing.T) {
	m := mustMaterializer(t, Options{MaxRows: 2})
	m.Apply([]Change{ins("a", 1), ins("b", 1), ub("a", 1)})
	// The slot of a holds room until it expires after two Deltas.
	m.Delta()
	m.Apply([]Change{ins("c", 1)})
	if got := rowTexts(m.Snapshot().Rows); !slices.Equal(got, []string{"b|1"}) {
		t.Fatalf("rows = %q, want the slot still reserved", got)
	}
	m.Delta()
	m.Apply([]Change{ins("d", 1)})
	if got := rowTexts(m.Snapshot().Rows); !slices.Equal(got, []string{"b|1", "d|1"}) {
		t.Fatalf("rows = %q, want the slot expired", got)
	}
}

func TestMaterializer_DeltaResetsWhenLarge(t *testing.T) {
	m := mustMaterializer(t, Options{Mode: DisplayAppend, MaxRows: 10})
	live := mustApplyDelta(t, nil, m.Delta())
	m.Apply([]Change{ins("a", 1)})
	live = mustApplyDelta(t, live, m.Delta())
	// Far more rows than the delta tracks between two Delta calls.
	for i := range 5000 {
		m.Apply([]Change{ins(fmt.Sprint(i), i)})
	}
	d := m.Delta()
	if !d.Reset || len(d.Upserts) != 10 {
		t.Fatalf("delta = reset %v with %d upserts, want a reset with the 10 rows", d.Reset, len(d.Upserts))
	}
	live = mustApplyDelta(t, live, d)
	if snap := m.Snapshot(); !slices.Equal(rowTexts(live), rowTexts(snap.Rows)) || snap.RowsHidden != 4991 || snap.RowsReceived != 5001 {
		t.Fatalf("view %q, snapshot %+v", rowTexts(live), snap)
	}
	if d := m.Delta(); !d.Empty() || d.FromVersion != d.Version {
		t.Fatalf("idle delta = %+v", d)
	}
}

// TestMaterializer_Concurrent applies changes while another goroutine takes
// snapshots and deltas, as the fetch loop and the viewers do (run with -race).
func TestMaterializer_Concurrent(t *testing.T) {
	m := mustMaterializer(t, Options{MaxRows: 50})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			k := fmt.Sprint(i % 70)
			_ = m.Apply([]Change{ins(k, i), ub(k, i), ua(k, i+1)})
		}
	}()
	var live []Row
	for {
		select {
		case <-done:
			live = mustApplyDelta(t, live, m.Delta())
			if got, want := rowTexts(live), rowTexts(m.Snapshot().Rows); !slices.Equal(got, want) {
				t.Fatalf("view %q != snapshot %q", got, want)
			}
			return
		default:
			live = mustApplyDelta(t, live, m.Delta())
			_ = m.Snapshot()
			_ = m.Render()
		}
	}
}

func TestMaterializer_SetColumns(t *testing.T) {
	m := mustMaterializer(t, Options{})
	m.Apply([]Change{ins("a", 1)})
	m.Delta()
	m.SetColumns([]Column{{Name: "k", Type: "STRING"}, {Name: "v", Type: "BIGINT"}})
	if d := m.Delta(); !d.Empty() {
		t.Errorf("same columns changed the table: %+v", d)
	}
	cols := []Column{{Name: "x", Type: "INT"}}
	m.SetColumns(cols)
	tab := m.Snapshot()
	if len(tab.Rows) != 0 || tab.RowsReceived != 0 || !reflect.DeepEqual(tab.Columns, cols) {
		t.Errorf("after new columns: %+v", tab)
	}
	if d := m.Delta(); !d.Reset || !reflect.DeepEqual(d.Columns, cols) {
		t.Errorf("delta after new columns = %+v, want a reset", d)
	}
}

func TestNewMaterializer(t *testing.T) {
	t.Run("ErrMode", func(t *testing.T) {
		if _, err := NewMaterializer(Options{Mode: "table"}); eddy.ErrorCode(err) != eddy.EINVALID {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("Defaults", func(t *testing.T) {
		m, err := NewMaterializer(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if m.opts.MaxRows != DefaultMaxRows || m.opts.Mode != DisplayUpdate || m.opts.Threshold != DefaultThreshold || m.opts.Template != "{0}" {
			t.Errorf("opts = %+v", m.opts)
		}
	})
}

// TestMaterializer_Deltas applies random changelogs and checks that every
// Snapshot plus the following Deltas gives the next Snapshot, and that the
// update-mode table equals a reference multiset.
func TestMaterializer_Deltas(t *testing.T) {
	for _, mode := range []DisplayMode{DisplayUpdate, DisplayAppend, DisplaySingle} {
		for _, ts := range []bool{false, true} {
			if ts && mode != DisplayAppend {
				continue
			}
			t.Run(fmt.Sprintf("%s/ts=%v", mode, ts), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(1, uint64(len(mode))))
				cols := []Column{{Name: "k", Type: "STRING"}, {Name: "v", Type: "BIGINT"}}
				if ts {
					cols[0].Type = "TIMESTAMP(3)"
				}
				m := mustMaterializer(t, Options{Mode: mode, MaxRows: 20, Threshold: 40 * time.Second}, cols...)
				ref := map[string]int{} // update mode, unbounded: key -> count
				var live []Row          // rows as a viewer following deltas sees them
				var late [][]Row        // viewers that joined with a mid-interval snapshot
				var changed int         // rows sent as changed cells
				for step := range 3000 {
					var batch []Change
					for range rng.IntN(5) {
						batch = append(batch, randomChange(rng, mode, ts, ref))
					}
					_ = m.Apply(batch)
					if rng.IntN(40) == 0 {
						late = append(late, m.Snapshot().Rows)
					}
					if rng.IntN(4) == 0 {
						d := m.Delta()
						changed += len(d.Changed)
						live = mustApplyDelta(t, live, d)
						snap := m.Snapshot()
						if !reflect.DeepEqual(rowTexts(live), rowTexts(snap.Rows)) || !sameIDs(live, snap.Rows) {
							t.Fatalf("step %d: delta-following view\n%q\nsnapshot\n%q", step, rowTexts(live), rowTexts(snap.Rows))
						}
						for j := range late {
							late[j] = mustApplyDelta(t, late[j], d)
							if !reflect.DeepEqual(rowTexts(late[j]), rowTexts(snap.Rows)) || !sameIDs(late[j], snap.Rows) {
								t.Fatalf("step %d: late joiner %d view\n%q\nsnapshot\n%q", step, j, rowTexts(late[j]), rowTexts(snap.Rows))
							}
						}
						late = late[max(0, len(late)-8):]
						if mode == DisplayUpdate {
							checkSubMultiset(t, snap, ref)
						}
					}
				}
				if mode != DisplayAppend && changed == 0 {
					t.Errorf("no delta sent changed cells")
				}
			})
		}
	}
}

func sameIDs(a, b []Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}

// randomChange returns a plausible changelog row; for update mode it keeps
// ref, the true multiset, so retractions usually match a real row.
func randomChange(rng *rand.Rand, mode DisplayMode, ts bool, ref map[string]int) Change {
	key := fmt.Sprintf("k%d", rng.IntN(30))
	if ts {
		key = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(600)) * time.Second).Format("2006-01-02T15:04:05")
	}
	v := json.Number(fmt.Sprint(rng.IntN(3)))
	if mode != DisplayUpdate {
		return ins(key, v)
	}
	if rng.IntN(3) == 0 && len(ref) > 0 {
		keys := make([]string, 0, len(ref))
		for k := range ref {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		k := keys[rng.IntN(len(keys))]
		ref[k]--
		if ref[k] == 0 {
			delete(ref, k)
		}
		key, val, _ := strings.Cut(k, "|")
		kind := RowDelete
		if rng.IntN(2) == 0 {
			kind = RowUpdateBefore
		}
		return Change{Kind: kind, Fields: []any{key, json.Number(val)}}
	}
	ref[key+"|"+string(v)]++
	kind := RowInsert
	if rng.IntN(2) == 0 {
		kind = RowUpdateAfter
	}
	return Change{Kind: kind, Fields: []any{key, v}}
}

// checkSubMultiset verifies the display is part of Flink's table and the
// hidden count is exact.
func checkSubMultiset(t *testing.T, tab Table, ref map[string]int) {
	t.Helper()
	shown := map[string]int{}
	for _, r := range rowTexts(tab.Rows) {
		shown[r]++
	}
	total := 0
	for k, c := range ref {
		total += c
		if shown[k] > c {
			t.Fatalf("row %q shown %d times, Flink has %d", k, shown[k], c)
		}
	}
	for k := range shown {
		if ref[k] == 0 {
			t.Fatalf("stale row %q shown", k)
		}
	}
	if int64(total) != int64(len(tab.Rows))+tab.RowsHidden {
		t.Fatalf("shown %d + hidden %d != Flink's %d rows", len(tab.Rows), tab.RowsHidden, total)
	}
}

func TestMaterializer_Render(t *testing.T) {
	tests := []struct {
		name, tmpl string
		fields     []any
		want       string
	}{
		{name: "Default", fields: []any{json.Number("42")}, want: "42"},
		{name: "Template", tmpl: "<h1>{1}</h1> for {0}", fields: []any{"2024-01-01", json.Number("10")}, want: "<h1>10</h1> for 2024-01-01"},
		{name: "EscapesValues", tmpl: "<b>{0}</b>", fields: []any{"<script>alert(1)</script>"}, want: "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>"},
		{name: "NoReexpansion", tmpl: "{0} {1}", fields: []any{"{1}", "x"}, want: "{1} x"},
		{name: "MissingFieldKept", tmpl: "{0} {2} {x} {} {-1} {+0}", fields: []any{"a", "b"}, want: "a {2} {x} {} {-1} {+0}"},
		{name: "Null", tmpl: "{0}", fields: []any{nil}, want: "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustMaterializer(t, Options{Mode: DisplaySingle, Template: tt.tmpl})
			if got := m.Render(); got != "" {
				t.Errorf("Render before data = %q", got)
			}
			m.Apply([]Change{ins(tt.fields...)})
			if got := m.Render(); got != tt.want {
				t.Errorf("Render() = %q, want %q", got, tt.want)
			}
		})
	}
}

// BenchmarkMaterializerUpdate feeds an update-mode materializer a stream of
// UPDATE_BEFORE/UPDATE_AFTER pairs over 1000 keys, as a GROUP BY emits them,
// with the fields json.Number-decoded as the gateway client does.
func BenchmarkMaterializerUpdate(b *testing.B) {
	const keys, batch = 1000, 500
	counts := make([]int64, keys)
	cur := make([][]any, keys)
	var changes []Change
	for k := range keys {
		cur[k] = []any{fmt.Sprintf("user-%04d", k), json.Number("0"), "2024-01-01T00:00:00"}
		changes = append(changes, ins(cur[k]...))
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for len(changes) < 200_000 {
		k := rng.IntN(keys)
		counts[k]++
		next := []any{cur[k][0], json.Number(fmt.Sprint(counts[k])), "2024-01-01T00:00:00"}
		changes = append(changes, ub(cur[k]...), ua(next...))
		cur[k] = next
	}
	m := mustMaterializer(b, Options{})
	b.ResetTimer()
	rows := 0
	for i := 0; b.Loop(); i++ {
		start := (i * batch) % len(changes)
		if start == 0 && i > 0 {
			b.StopTimer()
			m = mustMaterializer(b, Options{})
			b.StartTimer()
		}
		end := min(start+batch, len(changes))
		_ = m.Apply(changes[start:end])
		rows += end - start
		if i%10 == 0 {
			m.Delta()
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkMaterializerAppend feeds append mode (no timestamp column) a
// stream far longer than MaxRows.
func BenchmarkMaterializerAppend(b *testing.B) {
	benchmarkAppend(b, []Column{{Name: "k", Type: "STRING"}, {Name: "v", Type: "BIGINT"}}, func(i int) any { return fmt.Sprintf("k%d", i%1000) })
}

// BenchmarkMaterializerAppendTimestamp feeds append mode with a timestamp
// first column, in time order, with a one-minute threshold.
func BenchmarkMaterializerAppendTimestamp(b *testing.B) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	benchmarkAppend(b, []Column{{Name: "window_start", Type: "TIMESTAMP(3)"}, {Name: "v", Type: "BIGINT"}},
		func(i int) any {
			return base.Add(time.Duration(i) * 100 * time.Millisecond).Format("2006-01-02T15:04:05.000")
		})
}

func benchmarkAppend(b *testing.B, cols []Column, first func(int) any) {
	const batch = 500
	changes := make([]Change, 100_000)
	for i := range changes {
		changes[i] = ins(first(i), json.Number(fmt.Sprint(i)))
	}
	m := mustMaterializer(b, Options{Mode: DisplayAppend, Threshold: time.Minute}, cols...)
	rows := 0
	for i := 0; b.Loop(); i++ {
		start := (i * batch) % len(changes)
		if start == 0 && i > 0 {
			b.StopTimer()
			m = mustMaterializer(b, Options{Mode: DisplayAppend, Threshold: time.Minute}, cols...)
			b.StartTimer()
		}
		_ = m.Apply(changes[start : start+batch])
		rows += batch
		if i%10 == 0 {
			m.Delta()
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

func TestDeltaCells_JSON(t *testing.T) {
	c := DeltaCells{ID: 7, Cells: []Cell{{1, "12345678901234567890.000000000001"}, {2, json.Number("98765432109876543210")}, {4, nil}}}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[7,1,"12345678901234567890.000000000001",2,98765432109876543210,4,null]`; string(b) != want {
		t.Fatalf("json = %s, want %s", b, want)
	}
	var got DeltaCells
	if err := json.Unmarshal(b, &got); err != nil || !reflect.DeepEqual(got, c) {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	for _, bad := range []string{`[7,1]`, `["7",1,"x"]`, `[7,1.5,"x"]`, `{}`} {
		if err := json.Unmarshal([]byte(bad), &got); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
	// Within a delta, IDs are distances from the previous row's.
	rows := ChangedRows{{ID: 12, Cells: []Cell{{1, "5"}}}, {ID: 13, Cells: []Cell{{1, "7"}}}, {ID: 20, Cells: []Cell{{0, "x"}}}}
	b, err = json.Marshal(Delta{Version: 1, Changed: rows})
	if err != nil || !strings.Contains(string(b), `"changed":[[12,1,"5"],[1,1,"7"],[7,0,"x"]]`) {
		t.Fatalf("delta json = %s, %v", b, err)
	}
	var d Delta
	if err := json.Unmarshal(b, &d); err != nil || !reflect.DeepEqual(d.Changed, rows) {
		t.Fatalf("delta round trip = %+v, %v", d.Changed, err)
	}
}
