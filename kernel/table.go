package kernel

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/eddy-notebooks/eddy"
)

// RowKind is the kind of a changelog row, named as the SQL Gateway names it.
type RowKind string

// Row kinds.
const (
	RowInsert       RowKind = "INSERT"
	RowUpdateBefore RowKind = "UPDATE_BEFORE"
	RowUpdateAfter  RowKind = "UPDATE_AFTER"
	RowDelete       RowKind = "DELETE"
)

// IsRetraction reports whether k removes a row (UPDATE_BEFORE or DELETE).
func (k RowKind) IsRetraction() bool { return k == RowUpdateBefore || k == RowDelete }

// Column is a result column as the gateway describes it.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"` // Flink SQL type, e.g. "TIMESTAMP(3)" or "INT NOT NULL"
	// Zone is, for an instant (TIMESTAMP_LTZ), the session time zone its
	// values are printed in, e.g. "UTC" or "Asia/Tokyo"; empty when the
	// session does not name one (Flink then uses its JVM's zone).
	Zone string `json:"zone,omitempty"`
}

// Change is one changelog row. Fields hold the values the gateway sent:
// for a notebook's statements the string Flink prints for each value, or
// nil (see flink.RowFormatText); JSON values (json.Number or float64 for
// numbers, string, bool, nil, []any, map[string]any) elsewhere.
type Change struct {
	Kind   RowKind
	Fields []any
}

// Row is a displayed row. ID is stable for as long as the row is shown, and
// an update in place keeps it.
type Row struct {
	ID     int64 `json:"id"`
	Fields []any `json:"fields"`
}

// Table is a materialised result at one version.
type Table struct {
	Mode    DisplayMode `json:"mode"`
	Columns []Column    `json:"columns"`
	// Rows are the displayed rows in display order, at most MaxRows.
	Rows []Row `json:"rows"`
	// RowsReceived is the exact number of changelog rows applied.
	RowsReceived int64 `json:"rowsReceived"`
	// RowsHidden counts rows not displayed because of MaxRows. In update
	// mode it is the number of rows of Flink's current table that are not
	// shown; in append mode the number of rows dropped so far.
	RowsHidden int64 `json:"rowsHidden"`
	// Truncated is RowsHidden > 0: the display is not the whole result.
	Truncated bool `json:"truncated"`
	// RetractionsIgnored counts UPDATE_BEFORE and DELETE rows that removed
	// nothing (update: no equal row shown; append, single: not applicable).
	RetractionsIgnored int64 `json:"retractionsIgnored"`
	// Version increases with every change of the table.
	Version int64 `json:"version"`
}

// DeltaRow is a row a Delta sends whole (added, or one a viewer may not
// hold), with its index in the table at the Delta's version.
type DeltaRow struct {
	ID     int64 `json:"id"`
	Index  int   `json:"index"`
	Fields []any `json:"fields"`
}

// DeltaCells is a row that a viewer holds and whose cells changed in place,
// with the new values of those cells. A changed row keeps its place in the
// table. In JSON it is one flat array, [id, column, value, column, value,
// ...], columns ascending (within a Delta, see ChangedRows, the id is
// written as the distance from the previous row's).
type DeltaCells struct {
	ID    int64
	Cells []Cell // by ascending Column
}

// Cell is a changed cell: the column index and the new value.
type Cell struct {
	Column int
	Value  any
}

// MarshalJSON encodes c as [id, column, value, ...].
func (c DeltaCells) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 16+16*len(c.Cells))
	b = append(b, '[')
	b = strconv.AppendInt(b, c.ID, 10)
	for _, cell := range c.Cells {
		v, err := json.Marshal(cell.Value)
		if err != nil {
			return nil, err
		}
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(cell.Column), 10)
		b = append(b, ',')
		b = append(b, v...)
	}
	return append(b, ']'), nil
}

// UnmarshalJSON decodes [id, column, value, ...]; numbers among the values
// come back as json.Number, exact.
func (c *DeltaCells) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var parts []any
	if err := dec.Decode(&parts); err != nil {
		return err
	}
	if len(parts)%2 != 1 {
		return eddy.Errorf(eddy.EINVALID, "changed row %s: want [id, column, value, ...]", b)
	}
	id, err := jsonInt(parts[0])
	if err != nil {
		return err
	}
	*c = DeltaCells{ID: id, Cells: make([]Cell, 0, len(parts)/2)}
	for i := 1; i < len(parts); i += 2 {
		col, err := jsonInt(parts[i])
		if err != nil {
			return err
		}
		c.Cells = append(c.Cells, Cell{Column: int(col), Value: parts[i+1]})
	}
	return nil
}

// ChangedRows are a Delta's rows changed in place, by ascending ID. In JSON
// each is a DeltaCells array whose first number is the row's ID minus the
// previous row's (the first row's: its ID): [[12, 1, "5"], [1, 1, "7"]] are
// rows 12 and 13. Small distances compress better than IDs when most rows of
// a table change at every update, the case where the bytes matter (about
// a fifth fewer bytes after deflate, BenchmarkLiveFrameCompression).
type ChangedRows []DeltaCells

// MarshalJSON writes the rows with ID distances.
func (rows ChangedRows) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+24*len(rows))
	b = append(b, '[')
	var prev int64
	for i, r := range rows {
		if i > 0 {
			b = append(b, ',')
		}
		rb, err := DeltaCells{ID: r.ID - prev, Cells: r.Cells}.MarshalJSON()
		if err != nil {
			return nil, err
		}
		b = append(b, rb...)
		prev = r.ID
	}
	return append(b, ']'), nil
}

// UnmarshalJSON reads rows written by MarshalJSON.
func (rows *ChangedRows) UnmarshalJSON(b []byte) error {
	var out []DeltaCells
	if err := json.Unmarshal(b, &out); err != nil {
		return err
	}
	var prev int64
	for i := range out {
		out[i].ID += prev
		prev = out[i].ID
	}
	*rows = out
	return nil
}

func jsonInt(v any) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, eddy.Errorf(eddy.EINVALID, "%v is not an integer", v)
	}
	return n.Int64()
}

// Delta is what changed between two versions of a table. A client holding
// the table at any version from FromVersion to Version brings it to Version
// thus: with Reset, start from no rows; remove every row named in Removed
// or Upserts; set the Cells of every row named in Changed (the client holds
// each of them); then insert the Upserts in ascending Index order, each at
// its Index. ApplyDelta is these steps in Go.
type Delta struct {
	FromVersion int64 `json:"fromVersion"`
	Version     int64 `json:"version"`
	// At is when Eddy made this Delta, i.e. when its Version became what
	// viewers are sent (server clock, Unix ms): clients measure delivery
	// latency from it. How long the changes waited before (Flink, the
	// gateway, refreshInterval) is freshness, not delivery.
	At int64 `json:"at,omitempty"`
	// Reset means: discard the rows (and columns) you have; Columns and
	// Upserts are the whole table.
	Reset   bool     `json:"reset,omitempty"`
	Columns []Column `json:"columns,omitempty"`
	// Upserts are the rows sent whole, by ascending Index: rows added, and
	// changed rows that a viewer may not hold.
	Upserts []DeltaRow `json:"upserts,omitempty"`
	// Changed are the rows changed in place, by ascending ID, with only the
	// cells that changed during the interval.
	Changed ChangedRows `json:"changed,omitempty"`
	// Removed are the IDs of rows no longer shown. It may name rows a
	// client never saw; removing those does nothing.
	Removed []int64 `json:"removed,omitempty"`

	RowsReceived       int64 `json:"rowsReceived"`
	RowsHidden         int64 `json:"rowsHidden"`
	Truncated          bool  `json:"truncated"`
	RetractionsIgnored int64 `json:"retractionsIgnored"`
}

// Empty reports whether d changes nothing.
func (d Delta) Empty() bool { return d.FromVersion == d.Version && !d.Reset }

// ApplyDelta is the reference client algorithm (see Delta): it returns
// rows, a table at a version from d.FromVersion to d.Version, brought to
// d.Version. rows is not modified. The browser implements the same steps.
// A Changed row that rows lacks means rows is not at such a version: it is
// an eddy.EINVALID error (a client then takes a Snapshot).
func ApplyDelta(rows []Row, d Delta) ([]Row, error) {
	if d.Reset {
		rows = nil
	}
	drop := make(map[int64]bool, len(d.Removed)+len(d.Upserts))
	for _, id := range d.Removed {
		drop[id] = true
	}
	for _, u := range d.Upserts {
		drop[u.ID] = true
	}
	changed := make(map[int64][]Cell, len(d.Changed))
	for _, c := range d.Changed {
		changed[c.ID] = c.Cells
	}
	out := make([]Row, 0, len(rows)+len(d.Upserts))
	for _, r := range rows {
		if drop[r.ID] {
			continue
		}
		if cells, ok := changed[r.ID]; ok {
			fields := slices.Clone(r.Fields)
			for _, c := range cells {
				if c.Column < 0 || c.Column >= len(fields) {
					return nil, eddy.Errorf(eddy.EINVALID, "delta %d: row %d has no column %d", d.Version, r.ID, c.Column)
				}
				fields[c.Column] = c.Value
			}
			r = Row{ID: r.ID, Fields: fields}
			delete(changed, r.ID)
		}
		out = append(out, r)
	}
	if len(changed) > 0 {
		return nil, eddy.Errorf(eddy.EINVALID, "delta %d changes %d rows the table lacks: it does not follow this version", d.Version, len(changed))
	}
	for _, u := range d.Upserts {
		i := min(max(u.Index, 0), len(out))
		out = slices.Insert(out, i, Row{ID: u.ID, Fields: u.Fields})
	}
	return out, nil
}
