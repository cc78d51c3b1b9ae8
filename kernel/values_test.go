package kernel

import (
	"encoding/json"
	"testing"
)

func TestTable_ZeppelinTSV(t *testing.T) {
	tab := Table{
		Columns: []Column{{Name: "name"}, {Name: "tab\tcol"}, {Name: "n"}},
		Rows: []Row{
			{ID: 1, Fields: []any{"a", "multi\nline\r\nvalue", json.Number("1.50")}},
			{ID: 2, Fields: []any{nil, "t\tb\rc", 3.0}},
			{ID: 3, Fields: []any{true, []any{1.0, "x"}, map[string]any{"b": 1.0, "a": nil}}},
		},
	}
	want := "name\ttab col\tn\n" +
		"a\tmulti line value\t1.50\n" +
		"null\tt b c\t3\n" +
		"true\t[1,\"x\"]\t{\"a\":null,\"b\":1}\n"
	if got := tab.ZeppelinTSV(); got != want {
		t.Errorf("ZeppelinTSV() =\n%q\nwant\n%q", got, want)
	}
}

// TestTable_Message keeps, beside Zeppelin's text, what the text loses:
// the column types and zone, NULL apart from the string "null", and tabs
// and line breaks inside values.
func TestTable_Message(t *testing.T) {
	tab := Table{
		Columns: []Column{{Name: "d", Type: "DECIMAL(10, 2)"}, {Name: "s", Type: "STRING"}, {Name: "ts", Type: "TIMESTAMP_LTZ(3)", Zone: "Asia/Tokyo"}},
		Rows: []Row{
			{ID: 1, Fields: []any{"10.50", "null", "1970-01-01 09:00:00.000"}},
			{ID: 2, Fields: []any{nil, "a\tb\nc", nil}},
		},
	}
	m := tab.Message()
	if m.Type != "TABLE" || m.Data != tab.ZeppelinTSV() {
		t.Fatalf("message %+v", m)
	}
	got, err := json.Marshal(m.Table)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"columns":[{"name":"d","type":"DECIMAL(10, 2)"},{"name":"s","type":"STRING"},{"name":"ts","type":"TIMESTAMP_LTZ(3)","zone":"Asia/Tokyo"}],` +
		`"rows":[["10.50","null","1970-01-01 09:00:00.000"],[null,"a\tb\nc",null]]}`
	if string(got) != want {
		t.Fatalf("table\n got %s\nwant %s", got, want)
	}
}

func TestFormatValue(t *testing.T) {
	for _, tt := range []struct {
		v    any
		want string
	}{
		{nil, "null"}, {"s", "s"}, {json.Number("12345678901234567890"), "12345678901234567890"},
		{1.0, "1"}, {0.1, "0.1"}, {1e21, "1e+21"}, {-2.5, "-2.5"}, {true, "true"}, {int64(7), "7"},
		{[]any{"a", nil}, `["a",null]`},
	} {
		if got := FormatValue(tt.v); got != tt.want {
			t.Errorf("FormatValue(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestAppendValueKey(t *testing.T) {
	equal := [][2]any{
		{json.Number("1"), 1.0},
		{json.Number("1.0"), json.Number("1")},
		{json.Number("1e2"), 100.0},
		{json.Number("0.1"), 0.1},
		{json.Number("-0"), 0.0},
		{json.Number("2.50"), 2.5},
		{int64(3), json.Number("3")},
		{map[string]any{"a": 1.0, "b": "x"}, map[string]any{"b": "x", "a": json.Number("1")}},
		{[]any{nil, true}, []any{nil, true}},
	}
	for _, p := range equal {
		if a, b := string(appendValueKey(nil, p[0])), string(appendValueKey(nil, p[1])); a != b {
			t.Errorf("%#v and %#v encode differently: %q %q", p[0], p[1], a, b)
		}
	}
	differ := [][2]any{
		{"1", 1.0}, {nil, "null"}, {true, "true"}, {json.Number("0.1"), json.Number("0.10000000000000001")},
		{[]any{"a", "b"}, []any{"ab"}}, {[]any{}, map[string]any{}}, {"", nil},
	}
	for _, p := range differ {
		if a, b := string(appendValueKey(nil, p[0])), string(appendValueKey(nil, p[1])); a == b {
			t.Errorf("%#v and %#v encode equally: %q", p[0], p[1], a)
		}
	}
	// Row keys are unambiguous across field boundaries.
	if string(appendRowKey(nil, []any{"a", "bc"})) == string(appendRowKey(nil, []any{"ab", "c"})) {
		t.Error("row keys collide across field boundaries")
	}
}
