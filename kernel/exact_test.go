package kernel_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/eddy-notebooks/eddy/notebooks"
)

// typeValues are expressions of every kind of Flink value a result can
// hold, at the edges where a lossy path shows: integers beyond 2^53,
// DECIMALs with trailing zeros and 38 digits, doubles that print with an
// exponent or as NaN, Unicode and right-to-left text, a tab inside a
// value, the string 'NULL' beside real NULLs, fractional seconds, instants
// and intervals, and nested types.
var typeValues = []string{
	"CAST(-128 AS TINYINT)",
	"CAST(32767 AS SMALLINT)",
	"CAST(-2147483648 AS INT)",
	"CAST(9223372036854775807 AS BIGINT)",
	"CAST(-9223372036854775808 AS BIGINT)",
	"CAST(9007199254740993 AS BIGINT)",
	"CAST(3.4028235E38 AS FLOAT)",
	"CAST(0.1 AS FLOAT)",
	"CAST(1.0E20 AS DOUBLE)",
	"CAST(0.1 AS DOUBLE)",
	"CAST('NaN' AS DOUBLE)",
	"CAST('Infinity' AS DOUBLE)",
	"CAST('-Infinity' AS DOUBLE)",
	"CAST(1.0E-7 AS DOUBLE)",
	"CAST(10.50 AS DECIMAL(10, 2))",
	"CAST(3 AS DECIMAL(10, 2))",
	"CAST('0.000000000000000001' AS DECIMAL(38, 18))",
	"CAST('12345678901234567890.123456789012345678' AS DECIMAL(38, 18))",
	"CAST('-99999999999999999999999999999999999999' AS DECIMAL(38, 0))",
	"CAST('ab' AS CHAR(5))",
	"'héllo wörld ✓ 日本語 😀'",
	"'שלום עולם مرحبا'",
	"'tab\tinside'",
	"'NULL'",
	"TRUE",
	"CAST(X'00FF' AS BINARY(3))",
	"X'CAFEBABE'",
	"DATE '2024-02-29'",
	"CAST('23:59:59.123' AS TIME(3))",
	"CAST('2024-01-01 00:00:00.1' AS TIMESTAMP(3))",
	"CAST('2024-01-01 12:34:56.123456789' AS TIMESTAMP(9))",
	"TO_TIMESTAMP_LTZ(0, 3)",
	"TO_TIMESTAMP_LTZ(1704067200123, 3)",
	"INTERVAL '2' DAY",
	"INTERVAL '1-3' YEAR TO MONTH",
	"INTERVAL '10 01:02:03.456' DAY TO SECOND(3)",
	"ARRAY[1, 2, CAST(NULL AS INT)]",
	"MAP['k', 1.5, 'q', CAST(NULL AS DOUBLE)]",
	"ROW(1, 'x', CAST(NULL AS STRING))",
	"CAST(NULL AS BIGINT)",
	"CAST(NULL AS STRING)",
	"CAST(NULL AS TIMESTAMP_LTZ(3))",
}

func selectOf(exprs []string, wrap string) string {
	cols := make([]string, len(exprs))
	for i, e := range exprs {
		cols[i] = fmt.Sprintf(wrap+" AS c%d", e, i)
	}
	return "SELECT " + strings.Join(cols, ", ")
}

// storedTable returns the exact table of p's last TABLE message.
func storedTable(t *testing.T, p *notebooks.Paragraph) *notebooks.TableData {
	t.Helper()
	if p.Results != nil {
		for i := len(p.Results.Msg) - 1; i >= 0; i-- {
			if m := p.Results.Msg[i]; m.Type == notebooks.MessageTable {
				if m.Table == nil {
					t.Fatalf("TABLE message without its exact table: %q", m.Data)
				}
				return m.Table
			}
		}
	}
	t.Fatalf("no TABLE message in %+v", p.Results)
	return nil
}

func text(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%q", *s)
}

// TestKernel_ValuesExactlyAsFlinkPrints runs a table of every Flink type,
// streaming (the live path) in two session time zones, and checks that
// each value Eddy keeps, live and as saved with the note, is the string
// Flink itself prints: CAST(x AS STRING) of the same expression, computed
// by Flink in the same session. BINARY is the one type whose CAST decodes
// the bytes as UTF-8 (losing them); there the value is Flink's printed
// literal x'…', as its SQL client shows it.
func TestKernel_ValuesExactlyAsFlinkPrints(t *testing.T) {
	f := newFixture(t)
	for _, zone := range []string{"UTC", "Asia/Tokyo"} {
		t.Run(strings.ReplaceAll(zone, "/", "_"), func(t *testing.T) {
			f.t = t
			n, k := f.note(
				fmt.Sprintf("%%flink.ssql\nSET 'table.local-time-zone' = '%s';", zone),
				"%flink.ssql\n"+selectOf(typeValues, "%s"),
				"%flink.bsql\n"+selectOf(typeValues, "CAST(%s AS STRING)"),
				"%flink.bsql\nSELECT COLLECT(x) AS ms, CAST(COLLECT(x) AS STRING) AS s FROM (VALUES ('a'), ('a'), ('b')) AS t(x)",
			)
			f.mustFinish(f.run(n, k, 0))
			shown := f.run(n, k, 1)
			f.mustFinish(shown)
			cast := f.run(n, k, 2)
			f.mustFinish(cast)
			got, want := storedTable(t, shown), storedTable(t, cast)
			if len(got.Rows) != 1 || len(want.Rows) != 1 {
				t.Fatalf("rows: shown %d, cast %d", len(got.Rows), len(want.Rows))
			}
			// The live table, as a viewer receives it over JSON.
			live, ok := k.Live(n.Paragraphs[1].ID)
			if !ok || live.Result == nil || live.Result.Snapshot == nil {
				t.Fatalf("no live table: %+v", live)
			}
			wire, err := json.Marshal(live.Result.Snapshot.Rows[0].Fields)
			if err != nil {
				t.Fatal(err)
			}
			var liveRow []*string
			if err := json.Unmarshal(wire, &liveRow); err != nil {
				t.Fatalf("live fields are not strings and nulls: %s", wire)
			}
			for i, e := range typeValues {
				g, w := got.Rows[0][i], want.Rows[0][i]
				col := got.Columns[i]
				if strings.HasPrefix(col.Type, "BINARY") || strings.HasPrefix(col.Type, "BYTES") || strings.HasPrefix(col.Type, "VARBINARY") {
					if g == nil || !strings.HasPrefix(*g, "x'") {
						t.Errorf("%s (%s): %s, want Flink's literal x'…'", e, col.Type, text(g))
					}
				} else if text(g) != text(w) {
					t.Errorf("%s (%s): shown %s, Flink prints %s", e, col.Type, text(g), text(w))
				}
				if text(liveRow[i]) != text(g) {
					t.Errorf("%s: live %s, saved %s", e, text(liveRow[i]), text(g))
				}
				wantZone := ""
				if strings.HasPrefix(col.Type, "TIMESTAMP_LTZ") {
					wantZone = zone
				}
				if col.Zone != wantZone {
					t.Errorf("%s (%s): zone %q, want %q", e, col.Type, col.Zone, wantZone)
				}
			}
			// Spot checks of what a lossy path would get wrong.
			for i, w := range map[int]string{5: "9007199254740993", 14: "10.50", 15: "3.00", 16: "0.000000000000000001", 23: "NULL"} {
				if text(got.Rows[0][i]) != fmt.Sprintf("%q", w) {
					t.Errorf("%s: %s, want %q", typeValues[i], text(got.Rows[0][i]), w)
				}
			}
			midnightUTC := map[string]string{"UTC": "1970-01-01 00:00:00.000", "Asia/Tokyo": "1970-01-01 09:00:00.000"}[zone]
			if text(got.Rows[0][31]) != fmt.Sprintf("%q", midnightUTC) {
				t.Errorf("TO_TIMESTAMP_LTZ(0, 3) in %s: %s, want %q", zone, text(got.Rows[0][31]), midnightUTC)
			}
			if got.Rows[0][39] != nil || got.Columns[31].Type != "TIMESTAMP_LTZ(3)" {
				t.Errorf("NULL BIGINT %s, LTZ column type %q", text(got.Rows[0][39]), got.Columns[31].Type)
			}
			ms := f.run(n, k, 3)
			f.mustFinish(ms)
			mt := storedTable(t, ms)
			if len(mt.Rows) != 1 || text(mt.Rows[0][0]) != text(mt.Rows[0][1]) || !strings.HasPrefix(mt.Columns[0].Type, "MULTISET") {
				t.Errorf("MULTISET: %+v", mt)
			}
		})
	}
}

// TestKernel_FailedParagraphKeepsEarlierOutput runs a paragraph whose third
// statement fails: the output of the first two stays, in order, and the
// error comes last, live and as saved.
func TestKernel_FailedParagraphKeepsEarlierOutput(t *testing.T) {
	f := newFixture(t)
	n, k := f.note("%flink.bsql\nCREATE TEMPORARY VIEW v AS SELECT CAST(10.50 AS DECIMAL(4, 2)) AS x;\nSELECT * FROM v;\nSELECT * FROM missing_table;")
	p := f.run(n, k, 0)
	if p.Status != notebooks.StatusError {
		t.Fatalf("status %s", p.Status)
	}
	var kinds []string
	for _, m := range p.Results.Msg {
		kinds = append(kinds, m.Type+":"+strings.SplitN(m.Data, "\n", 2)[0])
	}
	want := []string{"TEXT:View has been created.", "TABLE:x", "TEXT:Object 'missing_table' not found"}
	if len(kinds) != len(want) {
		t.Fatalf("messages %q, want %q", kinds, want)
	}
	for i := range want {
		if !strings.HasPrefix(kinds[i], want[i]) {
			t.Fatalf("messages %q, want %q", kinds, want)
		}
	}
	if tbl := storedTable(t, p); text(tbl.Rows[0][0]) != `"10.50"` {
		t.Fatalf("table %+v", tbl)
	}
	// Live viewers get the statements' output without the error, which
	// comes apart and is shown last.
	live, _ := k.Live(n.Paragraphs[0].ID)
	if len(live.Messages) != 1 || live.Result == nil || !strings.HasPrefix(live.ErrorMessage, "Object 'missing_table' not found") {
		t.Fatalf("live %+v", live)
	}
}
