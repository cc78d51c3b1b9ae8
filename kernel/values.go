package kernel

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/eddy-notebooks/eddy/notebooks"
)

// RenderTemplate replaces each {i} in tmpl with fields[i], formatted by
// FormatValue and HTML-escaped, in one pass (a value containing "{1}" is not
// expanded again).
func RenderTemplate(tmpl string, fields []any) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(tmpl[open:], '}')
		if end < 0 {
			break
		}
		end += open
		n, err := strconv.Atoi(tmpl[open+1 : end])
		if err != nil || n < 0 || n >= len(fields) || tmpl[open+1] == '+' || tmpl[open+1] == '-' {
			b.WriteString(tmpl[:open+1])
			tmpl = tmpl[open+1:]
			continue
		}
		b.WriteString(tmpl[:open])
		b.WriteString(html.EscapeString(FormatValue(fields[n])))
		tmpl = tmpl[end+1:]
	}
	b.WriteString(tmpl)
	return b.String()
}

// ZeppelinTSV renders t as the data of a Zeppelin TABLE result: the column
// names separated by tabs, then one line per row, each line ending in "\n".
// As Zeppelin's TableDataUtils does, tabs and line breaks inside names and
// values become spaces and null becomes "null".
func (t Table) ZeppelinTSV() string {
	var b strings.Builder
	for i, c := range t.Columns {
		if i > 0 {
			b.WriteByte('\t')
		}
		b.WriteString(tsvCell(c.Name))
	}
	b.WriteByte('\n')
	for _, r := range t.Rows {
		for i, f := range r.Fields {
			if i > 0 {
				b.WriteByte('\t')
			}
			b.WriteString(tsvCell(FormatValue(f)))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Message returns t as a result message to store with its paragraph:
// Zeppelin's TABLE text, with the exact table beside it.
func (t Table) Message() notebooks.ResultMessage {
	data := &notebooks.TableData{Columns: make([]notebooks.TableColumn, len(t.Columns)), Rows: make([][]*string, len(t.Rows))}
	for i, c := range t.Columns {
		data.Columns[i] = notebooks.TableColumn{Name: c.Name, Type: c.Type, Zone: c.Zone}
	}
	for i, r := range t.Rows {
		row := make([]*string, len(r.Fields))
		for j, f := range r.Fields {
			if f != nil {
				s := FormatValue(f)
				row[j] = &s
			}
		}
		data.Rows[i] = row
	}
	return notebooks.ResultMessage{Type: notebooks.MessageTable, Data: t.ZeppelinTSV(), Table: data}
}

var tsvReplacer = strings.NewReplacer("\t", " ", "\r\n", " ", "\n", " ", "\r", " ")

func tsvCell(s string) string {
	if strings.ContainsAny(s, "\t\r\n") {
		return tsvReplacer.Replace(s)
	}
	return s
}

// FormatValue renders a JSON-decoded field as text: strings as they are, nil
// as "null", numbers without exponent where that is exact and short, and
// arrays and maps as JSON.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return formatFloat(x, 64)
	case float32:
		return formatFloat(float64(x), 32)
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case []any, map[string]any:
		if b, err := json.Marshal(x); err == nil {
			return string(b)
		}
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64, bits int) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, bits)
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}

// appendRowKey appends the canonical encoding of a row to buf.
func appendRowKey(buf []byte, fields []any) []byte {
	for _, f := range fields {
		buf = appendValueKey(buf, f)
	}
	return buf
}

// appendValueKey appends a canonical, unambiguous encoding of v: equal
// values (as Flink compares them) encode equally, whatever JSON decoding
// produced them. Numbers are reduced to an exact canonical form, so 1,
// 1.0, json.Number("1") and json.Number("1e0") are equal; strings are length
// prefixed; map keys are sorted.
func appendValueKey(buf []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(buf, 'z')
	case bool:
		if x {
			return append(buf, 't')
		}
		return append(buf, 'f')
	case string:
		buf = append(buf, 's')
		buf = strconv.AppendInt(buf, int64(len(x)), 10)
		buf = append(buf, ':')
		return append(buf, x...)
	case json.Number:
		return appendNumberKey(buf, string(x))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			buf = append(buf, 'n')
			buf = strconv.AppendInt(buf, int64(x), 10)
			return append(buf, ';')
		}
		return appendNumberKey(buf, strconv.FormatFloat(x, 'g', -1, 64))
	case float32:
		return appendValueKey(buf, float64(x))
	case int:
		return appendValueKey(buf, int64(x))
	case int32:
		return appendValueKey(buf, int64(x))
	case int64:
		buf = append(buf, 'n')
		buf = strconv.AppendInt(buf, x, 10)
		return append(buf, ';')
	case []any:
		buf = append(buf, 'a')
		buf = strconv.AppendInt(buf, int64(len(x)), 10)
		buf = append(buf, ':')
		for _, e := range x {
			buf = appendValueKey(buf, e)
		}
		return buf
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		buf = append(buf, 'm')
		buf = strconv.AppendInt(buf, int64(len(x)), 10)
		buf = append(buf, ':')
		for _, k := range keys {
			buf = appendValueKey(buf, k)
			buf = appendValueKey(buf, x[k])
		}
		return buf
	}
	s := fmt.Sprintf("%T:%v", v, v)
	buf = append(buf, 'x')
	buf = strconv.AppendInt(buf, int64(len(s)), 10)
	buf = append(buf, ':')
	return append(buf, s...)
}

// appendNumberKey appends the canonical form of a decimal number literal:
// integers as themselves ("-0" as "0"), other values as an exact reduced
// fraction. Literals that are not numbers, or absurdly long, are kept as
// written.
func appendNumberKey(buf []byte, s string) []byte {
	buf = append(buf, 'n')
	if isIntegerLiteral(s) {
		if s == "-0" {
			s = "0"
		}
		buf = append(buf, s...)
		return append(buf, ';')
	}
	if len(s) <= 64 {
		if r, ok := new(big.Rat).SetString(s); ok {
			if r.IsInt() {
				buf = append(buf, r.Num().String()...)
			} else {
				buf = append(buf, r.RatString()...)
			}
			return append(buf, ';')
		}
	}
	buf = append(buf, '?')
	buf = strconv.AppendInt(buf, int64(len(s)), 10)
	buf = append(buf, ':')
	buf = append(buf, s...)
	return append(buf, ';')
}

// isIntegerLiteral reports whether s is a JSON integer: an optional '-' and
// digits without a leading zero.
func isIntegerLiteral(s string) bool {
	if s != "" && s[0] == '-' {
		s = s[1:]
	}
	if s == "" || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
