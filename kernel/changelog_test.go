package kernel

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// fieldTexts renders rows of fields as "a|b" strings.
func fieldTexts(rows [][]any) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		parts := make([]string, len(r))
		for i, f := range r {
			parts[i] = FormatValue(f)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

// sortedTexts is fieldTexts sorted, for comparing multisets.
func sortedTexts(rows [][]any) []string {
	out := fieldTexts(rows)
	slices.Sort(out)
	return out
}

func TestChangelog_Ring(t *testing.T) {
	t.Run("Empty", func(t *testing.T) {
		m := mustMaterializer(t, Options{ChangelogRows: 3})
		v := m.Changelog()
		if v.FirstSeq != 1 || v.LastSeq != 0 || v.Capacity != 3 || len(v.Entries) != 0 || len(v.Base) != 0 || !v.BaseComplete {
			t.Fatalf("empty view = %+v", v)
		}
		b, _ := json.Marshal(v)
		for _, want := range []string{`"base":[]`, `"entries":[]`, `"columns":[{"name":"k"`} {
			if !strings.Contains(string(b), want) {
				t.Fatalf("json %s lacks %s", b, want)
			}
		}
	})
	t.Run("KeepsTheNewest", func(t *testing.T) {
		m := mustMaterializer(t, Options{ChangelogRows: 3})
		before := time.Now()
		m.Apply([]Change{ins("a", 1), ins("b", 1)})
		time.Sleep(2 * time.Millisecond)
		m.Apply([]Change{ub("a", 1), ua("a", 2), del("b", 1)})
		v := m.Changelog()
		if v.FirstSeq != 3 || v.LastSeq != 5 {
			t.Fatalf("seqs %d..%d, want 3..5", v.FirstSeq, v.LastSeq)
		}
		var kinds []string
		for i, e := range v.Entries {
			kinds = append(kinds, e.Kind)
			if e.Seq != int64(3+i) {
				t.Fatalf("entry %d has seq %d", i, e.Seq)
			}
		}
		if want := []string{"-U", "+U", "-D"}; !slices.Equal(kinds, want) {
			t.Fatalf("kinds %v, want %v", kinds, want)
		}
		if got := fieldTexts([][]any{v.Entries[0].Fields, v.Entries[1].Fields, v.Entries[2].Fields}); !slices.Equal(got, []string{"a|1", "a|2", "b|1"}) {
			t.Fatalf("fields %v", got)
		}
		// One Apply call is one arrival; a later call arrives later.
		if !v.Entries[0].At.Equal(v.Entries[2].At) || v.Entries[0].At.Before(before) {
			t.Fatalf("arrival times %v", v.Entries)
		}
		if got := fieldTexts(v.Base); !slices.Equal(got, []string{"a|1", "b|1"}) {
			t.Fatalf("base %v, want the table before seq 3", got)
		}
		if v.Capacity != 3 {
			t.Fatalf("capacity %d", v.Capacity)
		}
	})
	t.Run("Default", func(t *testing.T) {
		m := mustMaterializer(t, Options{})
		for i := range DefaultChangelogRows + 5 {
			m.Apply([]Change{ins("k", i)})
		}
		v := m.Changelog()
		if v.Capacity != DefaultChangelogRows || len(v.Entries) != DefaultChangelogRows || v.FirstSeq != 6 || len(v.Base) != 5 {
			t.Fatalf("capacity %d, %d entries from %d, base %d", v.Capacity, len(v.Entries), v.FirstSeq, len(v.Base))
		}
	})
	t.Run("NewColumnsStartOver", func(t *testing.T) {
		m := mustMaterializer(t, Options{ChangelogRows: 2})
		m.Apply([]Change{ins("a", 1), ins("b", 1), ins("c", 1)})
		m.SetColumns([]Column{{Name: "x", Type: "INT"}})
		v := m.Changelog()
		if v.FirstSeq != 1 || v.LastSeq != 0 || len(v.Base) != 0 || len(v.Entries) != 0 || v.Columns[0].Name != "x" {
			t.Fatalf("after new columns: %+v", v)
		}
		m.Apply([]Change{ins(7)})
		if v := m.Changelog(); v.FirstSeq != 1 || v.LastSeq != 1 {
			t.Fatalf("seqs %d..%d", v.FirstSeq, v.LastSeq)
		}
	})
	t.Run("KeepsValuesAsGiven", func(t *testing.T) {
		m := mustMaterializer(t, Options{})
		m.Apply([]Change{ins("007", nil)})
		b, err := json.Marshal(m.Changelog().Entries[0])
		if err != nil {
			t.Fatal(err)
		}
		var e map[string]any
		json.Unmarshal(b, &e)
		if !reflect.DeepEqual(e["fields"], []any{"007", nil}) || e["kind"] != "+I" || e["seq"] != float64(1) {
			t.Fatalf("entry json %s", b)
		}
		if _, err := time.Parse(time.RFC3339Nano, e["at"].(string)); err != nil {
			t.Fatalf("at %v: %v", e["at"], err)
		}
	})
}

func TestChangelog_BaseFolds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		changes []Change
		base    []string // with capacity 1: the table before the last change
	}{
		{"Inserts", []Change{ins("a", 1), ins("b", 2), ins("a", 1), ins("z", 0)}, []string{"a|1", "a|1", "b|2"}}, // equal rows together
		{"UpdateBeforeRemovesOne", []Change{ins("a", 1), ins("a", 1), ub("a", 1), ins("z", 0)}, []string{"a|1"}},
		{"DeleteRemoves", []Change{ins("a", 1), ins("b", 1), del("a", 1), ins("z", 0)}, []string{"b|1"}},
		{"UpdateAfterAdds", []Change{ins("a", 1), ub("a", 1), ua("a", 2), ins("z", 0)}, []string{"a|2"}},
		{"RetractionOfNothingIgnored", []Change{del("q", 1), ins("a", 1), ins("z", 0)}, []string{"a|1"}},
		{"ComesBackLast", []Change{ins("a", 1), ins("b", 1), del("a", 1), ins("a", 1), ins("z", 0)}, []string{"b|1", "a|1"}},
		{"EqualByValue", []Change{ins("a", json.Number("1")), del("a", float64(1)), ins("z", 0)}, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := mustMaterializer(t, Options{ChangelogRows: 1})
			m.Apply(tc.changes)
			v := m.Changelog()
			if got := fieldTexts(v.Base); !slices.Equal(got, tc.base) {
				t.Fatalf("base %v, want %v", got, tc.base)
			}
			if !v.BaseComplete || v.FirstSeq != int64(len(tc.changes)) {
				t.Fatalf("complete %v, firstSeq %d", v.BaseComplete, v.FirstSeq)
			}
		})
	}
	t.Run("Compacts", func(t *testing.T) {
		m := mustMaterializer(t, Options{ChangelogRows: 1})
		for i := range 500 {
			m.Apply([]Change{ins("k", i), del("k", i)})
		}
		m.Apply([]Change{ins("last", 0), ins("z", 0)})
		if got := fieldTexts(m.Changelog().Base); !slices.Equal(got, []string{"last|0"}) {
			t.Fatalf("base %v", got)
		}
		if n := len(m.log.base); n > 130 {
			t.Fatalf("base keeps %d rows for 1 live row", n)
		}
	})
}

func TestChangelog_BaseIncomplete(t *testing.T) {
	m := mustMaterializer(t, Options{ChangelogRows: 2})
	changes := make([]Change, 0, maxBaseRows+3)
	for i := range maxBaseRows + 1 {
		changes = append(changes, ins("k", i))
	}
	changes = append(changes, ins("a", 0), ins("b", 0))
	m.Apply(changes)
	v := m.Changelog()
	if v.BaseComplete {
		t.Fatal("base marked complete past its bound")
	}
	if len(v.Base) != maxBaseRows {
		t.Fatalf("base has %d rows, want the bound %d", len(v.Base), maxBaseRows)
	}
	// The row past the bound is missing from every replay.
	got := Replay(v, v.LastSeq)
	if len(got) != maxBaseRows+2 || FormatValue(got[maxBaseRows-1][1]) != "9999" || FormatValue(got[maxBaseRows][0]) != "a" {
		t.Fatalf("replay has %d rows", len(got))
	}
	// Retracting makes room but the base stays incomplete: a and b, folded
	// while it was full, are missing.
	m.Apply([]Change{del("k", 0), del("k", 1), ins("c", 0), ins("d", 0)})
	if v := m.Changelog(); v.BaseComplete || len(v.Base) != maxBaseRows-2 {
		t.Fatalf("complete %v with %d rows", v.BaseComplete, len(v.Base))
	}
}

func TestReplay(t *testing.T) {
	e := func(seq int64, kind string, f ...any) ChangelogEntry {
		return ChangelogEntry{Seq: seq, Kind: kind, Fields: f}
	}
	v := ChangelogView{
		FirstSeq: 11, LastSeq: 16,
		Base: [][]any{{"a", "1"}, {"b", "1"}, {"a", "1"}},
		Entries: []ChangelogEntry{
			e(11, "-U", "a", "1"),
			e(12, "+U", "a", "2"),
			e(13, "+I", "c", "1"),
			e(14, "-D", "b", "1"),
			e(15, "-D", "x", "9"), // matches nothing
			e(16, "-U", "a", "1"),
		},
	}
	for _, tc := range []struct {
		upTo int64
		want []string
	}{
		{0, []string{"a|1", "b|1", "a|1"}},
		{10, []string{"a|1", "b|1", "a|1"}},
		{11, []string{"b|1", "a|1"}}, // the earliest equal row goes
		{12, []string{"b|1", "a|1", "a|2"}},
		{13, []string{"b|1", "a|1", "a|2", "c|1"}},
		{15, []string{"a|1", "a|2", "c|1"}},
		{16, []string{"a|2", "c|1"}},
		{99, []string{"a|2", "c|1"}},
	} {
		if got := fieldTexts(Replay(v, tc.upTo)); !slices.Equal(got, tc.want) {
			t.Errorf("Replay(%d) = %v, want %v", tc.upTo, got, tc.want)
		}
	}
	if got := Replay(ChangelogView{}, 5); len(got) != 0 {
		t.Fatalf("empty view replays to %v", got)
	}
}

// TestChangelog_ReplaysEverySnapshot checks, on random changelogs, that
// replaying the kept history to any point the view still covers gives the
// table the Materializer showed then.
func TestChangelog_ReplaysEverySnapshot(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		m := mustMaterializer(t, Options{ChangelogRows: 40, MaxRows: 100_000})
		ref := map[string]int{}
		var snaps []Table
		for range 60 {
			batch := make([]Change, 1+rng.IntN(5))
			for i := range batch {
				batch[i] = randomChange(rng, DisplayUpdate, false, ref)
			}
			m.Apply(batch)
			snaps = append(snaps, m.Snapshot())
		}
		v := m.Changelog()
		if v.FirstSeq <= 1 || len(v.Base) == 0 {
			t.Fatalf("seed %d: the base is not used (firstSeq %d)", seed, v.FirstSeq)
		}
		checked := 0
		for _, s := range snaps {
			if s.RowsReceived < v.FirstSeq-1 {
				continue
			}
			checked++
			want := make([][]any, len(s.Rows))
			for i, r := range s.Rows {
				want[i] = r.Fields
			}
			if got := Replay(v, s.RowsReceived); !slices.Equal(sortedTexts(got), sortedTexts(want)) {
				t.Fatalf("seed %d: replay to %d = %v, table then %v", seed, s.RowsReceived, sortedTexts(got), sortedTexts(want))
			}
		}
		if checked < 5 {
			t.Fatalf("seed %d: only %d snapshots in the kept history", seed, checked)
		}
	}
}
