package kernel

import (
	"encoding/json"
	"math"
	mathbits "math/bits"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/eddy-notebooks/eddy"
)

// DefaultMaxRows is Zeppelin's default bound on displayed rows.
const DefaultMaxRows = 1000

// Options configure a Materializer.
type Options struct {
	// Mode is the display mode; "" means update.
	Mode DisplayMode
	// MaxRows bounds the displayed rows; 0 or less means DefaultMaxRows.
	MaxRows int
	// Threshold is the append-mode time window (see Materializer); 0
	// means DefaultThreshold and a negative value disables the window.
	Threshold time.Duration
	// Template renders the single-mode row; "" means DefaultTemplate.
	Template string
	// ChangelogRows is how many changelog rows Changelog keeps; 0 or
	// less means DefaultChangelogRows.
	ChangelogRows int
}

// Materializer turns a Flink changelog into the table a user sees. It is
// safe for concurrent use: typically one goroutine applies fetched changes
// while another takes snapshots and deltas for viewers.
//
// Update mode keeps Flink's current table as a multiset: INSERT and
// UPDATE_AFTER add a row, UPDATE_BEFORE and DELETE remove exactly one equal
// row (the earliest shown), compared by value after canonical encoding (so
// json.Number("1") equals float64(1), and maps compare regardless of key
// order). A retraction that matches no shown row is counted in
// RetractionsIgnored and otherwise ignored. Rows are shown in the order they
// first appeared. An UPDATE_BEFORE followed by an UPDATE_AFTER updates the
// row in place, same position and same ID: the UPDATE_BEFORE leaves a slot
// that the next UPDATE_AFTER takes; with several slots pending, the one whose
// old fields share the most values with the new row wins (ties: the oldest).
// A slot is kept until it is taken, for at most 1024 further changelog rows
// and until the second following Delta call. Past the bound: while MaxRows
// rows are shown (pending slots count as shown), a new row is not kept; it is
// counted in RowsHidden, which stays exact (rows added and not shown minus
// retractions that matched nothing), and it appears if Flink emits it again
// (the next update of its key) when there is room. So the display is always a
// sub-multiset of Flink's current table: never a stale row, but not all rows
// when Truncated. Rows not shown are not kept, so memory stays bounded.
//
// Append mode is for insert-only results. UPDATE_AFTER counts as an insert;
// UPDATE_BEFORE and DELETE are ignored and make Apply return an error, as
// Zeppelin's append mode fails on them. If the first column is a TIMESTAMP
// (any precision, with or without time zone), rows are kept sorted by it, and,
// as in Zeppelin, only rows whose timestamp is greater than the newest
// timestamp minus Threshold are kept (default one hour); a row without a
// parsable timestamp sorts first and leaves with the first timestamped row.
// Otherwise rows are kept in arrival order. Either way, the newest MaxRows rows
// are kept (the oldest leave first) and the rows dropped for the bound are
// counted in RowsHidden.
//
// Single mode keeps the latest INSERT or UPDATE_AFTER row as its only row
// (ID 1); retractions are ignored, as in Zeppelin. Render fills the template.
//
// Zeppelin sorts update and append tables by the first column as text on every
// refresh; Eddy keeps the changelog order so rows do not jump, and sorting is
// left to the table view.
type Materializer struct {
	mu sync.Mutex // guards every field below

	opts    Options
	columns []Column
	tsMode  bool // append mode with a timestamp first column

	rows   rowList            // rows in display order, with dead ones held by slots
	first  map[string]int64   // update: key -> smallest ID of the equal rows shown
	dups   map[string][]int64 // update: key -> further IDs, ascending
	slots  []slot             // update: pending UPDATE_BEFORE slots, oldest first
	dead   int                // update: dead rows in rows, one per non-phantom slot
	nextID int64
	maxTS  int64 // append tsMode: newest timestamp kept
	haveTS bool

	received, hidden, ignored int64
	version                   int64

	// Delta state.
	touched     map[int64]*rowChange // rows added, changed or removed since the last Delta
	needReset   bool                 // too much changed to track, or new columns
	lastVersion int64                // the Version of the last Delta
	deltas      int64                // number of Delta calls

	keyBuf []byte // scratch for canonical keys

	log changelog // the newest changelog rows, for Changelog
}

// slot is an UPDATE_BEFORE waiting for its UPDATE_AFTER.
type slot struct {
	// row is the retracted row, left in place as a tombstone (dead) so the
	// UPDATE_AFTER can revive it without moving anything; nil for a
	// phantom slot, whose UPDATE_BEFORE matched no shown row.
	row     *mrow
	fields  []any // the retracted fields
	seq     int64 // received count when created
	deltaNo int64 // Delta calls when created
}

// mrow is a stored row.
type mrow struct {
	id     int64
	key    string // update mode: canonical encoding of fields
	ts     int64  // append tsMode: timestamp in nanoseconds
	fields []any
	dead   bool // update mode: retracted, held by a pending slot, not shown
}

const (
	maxSlots    = 256  // pending UPDATE_BEFORE slots
	slotWindow  = 1024 // changelog rows a slot waits for its UPDATE_AFTER
	singleRowID = 1
)

// NewMaterializer returns a Materializer for opts. An invalid Mode is an
// eddy.EINVALID error.
func NewMaterializer(opts Options) (*Materializer, error) {
	mode, err := ParseDisplayMode(string(opts.Mode))
	if err != nil {
		return nil, err
	}
	opts.Mode = mode
	if opts.MaxRows <= 0 {
		opts.MaxRows = DefaultMaxRows
	}
	if opts.Threshold == 0 {
		opts.Threshold = DefaultThreshold
	}
	if opts.Template == "" {
		opts.Template = DefaultTemplate
	}
	if opts.ChangelogRows <= 0 {
		opts.ChangelogRows = DefaultChangelogRows
	}
	m := &Materializer{opts: opts, touched: map[int64]*rowChange{}}
	m.log.capacity = opts.ChangelogRows
	m.resetRows()
	return m, nil
}

// resetRows empties the table; the caller holds mu.
func (m *Materializer) resetRows() {
	m.rows = rowList{}
	m.first = map[string]int64{}
	m.dups = map[string][]int64{}
	m.slots, m.dead = nil, 0
	m.haveTS = false
	m.received, m.hidden, m.ignored = 0, 0, 0
	m.log.reset()
	clear(m.touched)
	m.needReset = true
}

// SetColumns sets the result's columns. Setting different columns than
// before starts a new, empty table (the next Delta is a Reset); setting the
// same columns does nothing.
func (m *Materializer) SetColumns(cols []Column) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if slices.Equal(m.columns, cols) && m.columns != nil {
		return
	}
	m.columns = slices.Clone(cols)
	m.tsMode = m.opts.Mode == DisplayAppend && len(cols) > 0 && isTimestampType(cols[0].Type)
	m.resetRows()
	m.version++
}

// isTimestampType reports whether a Flink type name is a TIMESTAMP type.
func isTimestampType(t string) bool {
	return len(t) >= 9 && strings.EqualFold(t[:9], "TIMESTAMP")
}

// Apply applies changes in order. The Materializer keeps the Fields slices;
// the caller must not modify them afterwards. In append mode a retraction
// makes Apply return an eddy.EINVALID error after applying the other changes.
func (m *Materializer) Apply(changes []Change) error {
	if len(changes) == 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var err error
	now := time.Now()
	for _, c := range changes {
		m.received++
		m.log.add(c, m.received, now)
		switch m.opts.Mode {
		case DisplayUpdate:
			m.applyUpdate(c)
		case DisplayAppend:
			if c.Kind.IsRetraction() {
				m.ignored++
				if err == nil {
					err = eddy.Errorf(eddy.EINVALID, "type=append needs an insert-only result, but the query "+
						"produced %s rows: use type=update for results that change", c.Kind)
				}
				continue
			}
			m.applyAppend(c.Fields)
		case DisplaySingle:
			if c.Kind.IsRetraction() {
				m.ignored++
				continue
			}
			if m.rows.len() == 0 {
				m.rows.insertAt(0, &mrow{id: singleRowID, fields: c.Fields})
				m.touch(singleRowID, false)
			} else {
				r := m.rows.at(0)
				m.touchFields(singleRowID, true, r.fields, c.Fields)
				r.fields = c.Fields
			}
		}
	}
	m.version++
	return err
}

// rowChange is what the current Delta interval did to one row.
type rowChange struct {
	// whole: send the row whole, because a viewer at some version of the
	// interval may not hold it (it was not shown when the interval began,
	// or a Snapshot was taken while it was retracted, awaiting its update).
	whole bool
	// changed has bit i set when column i changed at some point of the
	// interval. Not only the columns that differ from the interval's start:
	// a viewer may hold the row at any version of the interval (from a
	// Snapshot), and a cell that changed and changed back must reach it.
	changed []uint64
}

// touch records that the row id changed since the last Delta; shown says
// whether the row was shown before this change. The caller holds mu. It
// returns nil when the next Delta is a Reset anyway.
func (m *Materializer) touch(id int64, shown bool) *rowChange {
	if m.needReset {
		return nil
	}
	c := m.touched[id]
	if c == nil {
		// The first change of the interval: the row is as it was at the
		// interval's start.
		c = &rowChange{whole: !shown}
		m.touched[id] = c
		// Past this many changes a full table is cheaper than the delta.
		if len(m.touched) > 2*m.opts.MaxRows+1024 {
			m.needReset = true
			clear(m.touched)
			return nil
		}
	}
	return c
}

// touchFields records that a shown (or retracted, awaiting its update) row
// changed its fields from old to fields; the caller holds mu.
func (m *Materializer) touchFields(id int64, shown bool, old, fields []any) {
	c := m.touch(id, shown)
	if c == nil || c.whole {
		return
	}
	if len(old) != len(fields) {
		c.whole = true
		return
	}
	for i := range fields {
		if !sameValue(old[i], fields[i]) {
			if c.changed == nil {
				c.changed = make([]uint64, (len(fields)+63)/64)
			}
			c.changed[i/64] |= 1 << (i % 64)
		}
	}
}

// sameValue reports whether two field values are equal after canonical
// encoding (json.Number("1") equals float64(1)); strings, the usual case,
// compare directly.
func sameValue(a, b any) bool {
	if x, ok := a.(string); ok {
		y, ok := b.(string)
		return ok && x == y
	}
	if x, ok := a.(json.Number); ok {
		if y, ok := b.(json.Number); ok && x == y {
			return true
		}
	}
	return string(appendValueKey(nil, a)) == string(appendValueKey(nil, b))
}

// applyUpdate applies one change in update mode; the caller holds mu.
func (m *Materializer) applyUpdate(c Change) {
	m.keyBuf = appendRowKey(m.keyBuf[:0], c.Fields)
	m.expireSlots()
	if c.Kind.IsRetraction() {
		id, ok := m.first[string(m.keyBuf)]
		if !ok {
			m.ignored++
			if m.hidden > 0 {
				m.hidden-- // it retracts a row that was not shown
			}
			if c.Kind == RowUpdateBefore {
				m.addSlot(slot{fields: c.Fields})
			}
			return
		}
		m.removeKeyID(string(m.keyBuf))
		i := m.rows.searchID(id)
		m.touch(id, true)
		if c.Kind == RowUpdateBefore {
			r := m.rows.at(i)
			r.dead = true
			m.dead++
			m.addSlot(slot{row: r, fields: c.Fields})
		} else {
			m.rows.removeAt(i)
		}
		return
	}
	if c.Kind == RowUpdateAfter && len(m.slots) > 0 {
		if s := m.takeSlot(c.Fields); s.row != nil {
			r := s.row
			// A row retracted in an earlier interval was sent as removed:
			// touch sends it whole then.
			m.touchFields(r.id, false, r.fields, c.Fields)
			r.key, r.fields, r.dead = string(m.keyBuf), c.Fields, false
			m.dead--
			m.addKeyID(r.key, r.id)
			return
		}
	}
	// Dead rows count: they hold the places of pending updates.
	if m.rows.len() >= m.opts.MaxRows {
		m.hidden++
		return
	}
	m.nextID++
	key := string(m.keyBuf)
	m.addKeyID(key, m.nextID)
	m.rows.insertAt(m.rows.len(), &mrow{id: m.nextID, key: key, fields: c.Fields})
	m.touch(m.nextID, false)
}

// addKeyID adds id to the multiset index key -> IDs.
func (m *Materializer) addKeyID(key string, id int64) {
	f, ok := m.first[key]
	switch {
	case !ok:
		m.first[key] = id
	case id < f:
		m.first[key] = id
		m.dups[key] = insertSorted(m.dups[key], f)
	default:
		m.dups[key] = insertSorted(m.dups[key], id)
	}
}

// removeKeyID removes the smallest ID of key, the one first[key] names.
func (m *Materializer) removeKeyID(key string) {
	if d := m.dups[key]; len(d) > 0 {
		m.first[key] = d[0]
		if len(d) == 1 {
			delete(m.dups, key)
		} else {
			m.dups[key] = d[1:]
		}
		return
	}
	delete(m.first, key)
}

func insertSorted(ids []int64, id int64) []int64 {
	i, _ := slices.BinarySearch(ids, id)
	return slices.Insert(ids, i, id)
}

// addSlot records a pending UPDATE_BEFORE.
func (m *Materializer) addSlot(s slot) {
	s.seq, s.deltaNo = m.received, m.deltas
	if len(m.slots) == maxSlots {
		m.dropSlots(1)
	}
	m.slots = append(m.slots, s)
}

// expireSlots drops slots that waited too long for their UPDATE_AFTER.
func (m *Materializer) expireSlots() {
	n := 0
	for n < len(m.slots) && (m.received-m.slots[n].seq > slotWindow || m.slots[n].deltaNo < m.deltas-1) {
		n++
	}
	if n > 0 {
		m.dropSlots(n)
	}
}

// dropSlots gives up the n oldest slots, removing their dead rows.
func (m *Materializer) dropSlots(n int) {
	for _, s := range m.slots[:n] {
		if s.row != nil {
			m.rows.removeAt(m.rows.searchID(s.row.id))
			m.dead--
		}
	}
	m.slots = slices.Delete(m.slots, 0, n)
}

// takeSlot removes and returns the pending slot that best matches fields.
func (m *Materializer) takeSlot(fields []any) slot {
	best := 0
	if len(m.slots) > 1 {
		newKeys := fieldKeys(fields)
		bestScore := -1
		for i, s := range m.slots {
			old := fieldKeys(s.fields)
			score := 0
			for j := range min(len(old), len(newKeys)) {
				if old[j] == newKeys[j] {
					score++
				}
			}
			if score > bestScore {
				best, bestScore = i, score
			}
		}
	}
	s := m.slots[best]
	m.slots = slices.Delete(m.slots, best, best+1)
	return s
}

// fieldKeys returns the canonical encoding of each field.
func fieldKeys(fields []any) []string {
	keys := make([]string, len(fields))
	var buf []byte
	for i, f := range fields {
		buf = appendValueKey(buf[:0], f)
		keys[i] = string(buf)
	}
	return keys
}

// applyAppend adds one row in append mode; the caller holds mu.
func (m *Materializer) applyAppend(fields []any) {
	maxRows := m.opts.MaxRows
	if !m.tsMode {
		m.nextID++
		m.rows.insertAt(m.rows.len(), &mrow{id: m.nextID, fields: fields})
		m.touch(m.nextID, false)
		if m.rows.len() > maxRows {
			m.touch(m.rows.at(0).id, false)
			m.rows.dropFront(1)
			m.hidden++
		}
		return
	}
	ts, ok := int64(math.MinInt64), false
	if len(fields) > 0 {
		ts, ok = parseTimestamp(fields[0])
		if !ok {
			ts = math.MinInt64
		}
	}
	window := m.opts.Threshold > 0
	if window && m.haveTS && !m.inWindow(ts) {
		return // older than the window: Zeppelin drops it at the next refresh
	}
	// Rows are sorted by (ts, id); a new row goes after equal timestamps.
	i := m.rows.len()
	for i > 0 && m.rows.at(i-1).ts > ts {
		i--
	}
	if i == 0 && m.rows.len() >= maxRows {
		m.hidden++ // it would be the oldest row of a full table
		return
	}
	m.nextID++
	m.rows.insertAt(i, &mrow{id: m.nextID, ts: ts, fields: fields})
	m.touch(m.nextID, false)
	if ok && (!m.haveTS || ts > m.maxTS) {
		m.maxTS, m.haveTS = ts, true
		if window {
			n := 0
			for n < m.rows.len() && !m.inWindow(m.rows.at(n).ts) {
				m.touch(m.rows.at(n).id, false)
				n++
			}
			m.rows.dropFront(n)
		}
	}
	if over := m.rows.len() - maxRows; over > 0 {
		for j := range over {
			m.touch(m.rows.at(j).id, false)
		}
		m.rows.dropFront(over)
		m.hidden += int64(over)
	}
}

// inWindow reports whether ts is newer than the newest timestamp minus the
// threshold (Zeppelin keeps rows with ts > max - threshold).
func (m *Materializer) inWindow(ts int64) bool {
	if ts == math.MinInt64 {
		return false
	}
	lo := m.maxTS - int64(m.opts.Threshold)
	if lo > m.maxTS { // overflow
		return true
	}
	return ts > lo
}

// timestampLayouts are the forms in which the gateway writes timestamps:
// ISO-8601 for rowFormat=JSON, with a space for PLAIN_TEXT.
var timestampLayouts = []string{
	"2006-01-02T15:04:05.999999999",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseTimestamp returns a timestamp field in nanoseconds since the epoch,
// reading values without a zone as UTC and numbers as epoch milliseconds.
func parseTimestamp(v any) (int64, bool) {
	switch x := v.(type) {
	case string:
		for _, layout := range timestampLayouts {
			if t, err := time.Parse(layout, x); err == nil {
				return t.UnixNano(), true
			}
		}
	case json.Number:
		if ms, err := x.Int64(); err == nil {
			return ms * int64(time.Millisecond), true
		}
	case float64:
		return int64(x) * int64(time.Millisecond), true
	}
	return 0, false
}

// Snapshot returns the table at the current version. It shares the Fields
// slices with the Materializer; they are never modified.
func (m *Materializer) Snapshot() Table {
	m.mu.Lock()
	defer m.mu.Unlock()
	// A viewer starting from this Snapshot lacks the retracted rows that
	// wait for their update: the next Delta must send them whole.
	for _, s := range m.slots {
		if s.row == nil {
			continue
		}
		if c := m.touched[s.row.id]; c != nil {
			c.whole = true
		}
	}
	t := Table{
		Mode:               m.opts.Mode,
		Columns:            slices.Clone(m.columns),
		Rows:               m.liveRows(),
		RowsReceived:       m.received,
		RowsHidden:         m.hidden,
		Truncated:          m.hidden > 0,
		RetractionsIgnored: m.ignored,
		Version:            m.version,
	}
	return t
}

// Delta returns what changed since the previous Delta call (or since the
// Materializer was made) and starts a new interval. A client applies it
// (see Delta) to any Snapshot whose Version lies between the Delta's
// FromVersion and Version, so a viewer can start from a Snapshot and follow
// the Deltas sent after it. A Delta whose FromVersion is not the viewer's
// version means a missed Delta: take a new Snapshot. When a delta would be
// larger than the table (or the columns changed) it is a Reset holding the
// whole table.
func (m *Materializer) Delta() Delta {
	m.mu.Lock()
	defer m.mu.Unlock()
	d := Delta{
		FromVersion:        m.lastVersion,
		Version:            m.version,
		RowsReceived:       m.received,
		RowsHidden:         m.hidden,
		Truncated:          m.hidden > 0,
		RetractionsIgnored: m.ignored,
	}
	d.At = time.Now().UnixMilli()
	m.lastVersion = m.version
	m.deltas++
	switch {
	case m.needReset:
		d.Reset = true
		d.Columns = slices.Clone(m.columns)
		rows := m.liveRows()
		d.Upserts = make([]DeltaRow, len(rows))
		for i, r := range rows {
			d.Upserts[i] = DeltaRow{ID: r.ID, Index: i, Fields: r.Fields}
		}
	case len(m.touched) > 0:
		index := m.indexOf()
		for id, c := range m.touched {
			r, i, ok := index(id)
			switch {
			case !ok:
				d.Removed = append(d.Removed, id)
			case c.whole:
				d.Upserts = append(d.Upserts, DeltaRow{ID: id, Index: i, Fields: r.fields})
			case c.changed != nil:
				var cells []Cell
				for w, bits := range c.changed {
					for ; bits != 0; bits &= bits - 1 {
						col := w*64 + mathbits.TrailingZeros64(bits)
						cells = append(cells, Cell{Column: col, Value: r.fields[col]})
					}
				}
				d.Changed = append(d.Changed, DeltaCells{ID: id, Cells: cells})
			}
			// Otherwise the row is as it was: nothing to send.
		}
		sort.Slice(d.Upserts, func(i, j int) bool { return d.Upserts[i].Index < d.Upserts[j].Index })
		sort.Slice(d.Changed, func(i, j int) bool { return d.Changed[i].ID < d.Changed[j].ID })
		slices.Sort(d.Removed)
	}
	m.needReset = false
	clear(m.touched)
	return d
}

// liveRows returns the shown rows; the caller holds mu.
func (m *Materializer) liveRows() []Row {
	rows := make([]Row, 0, m.rows.len()-m.dead)
	for i := range m.rows.len() {
		if r := m.rows.at(i); !r.dead {
			rows = append(rows, Row{ID: r.id, Fields: r.fields})
		}
	}
	return rows
}

// indexOf returns a function that finds a shown row and its index among the
// shown rows by ID; the caller holds mu.
func (m *Materializer) indexOf() func(int64) (*mrow, int, bool) {
	if !m.tsMode {
		// Rows are in ID order in every other mode; the few dead rows
		// before a row shift its index.
		return func(id int64) (*mrow, int, bool) {
			i := m.rows.searchID(id)
			if i == m.rows.len() || m.rows.at(i).id != id || m.rows.at(i).dead {
				return nil, 0, false
			}
			index := i
			for _, s := range m.slots {
				if s.row != nil && s.row.id < id {
					index--
				}
			}
			return m.rows.at(i), index, true
		}
	}
	pos := make(map[int64]int, m.rows.len())
	for i := range m.rows.len() {
		pos[m.rows.at(i).id] = i
	}
	return func(id int64) (*mrow, int, bool) {
		i, ok := pos[id]
		if !ok {
			return nil, 0, false
		}
		return m.rows.at(i), i, true
	}
}

// Render returns the single-mode template with {0}, {1}, ... replaced by the
// latest row's fields, HTML-escaped (the template itself is the author's
// HTML and is not escaped). A placeholder without a field stays as written;
// null is "null". Before the first row, and in other modes, it returns "".
func (m *Materializer) Render() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.opts.Mode != DisplaySingle || m.rows.len() == 0 {
		return ""
	}
	return RenderTemplate(m.opts.Template, m.rows.at(0).fields)
}

// rowList is a slice of rows that drops from the front in O(1).
type rowList struct {
	buf  []*mrow
	head int
}

func (l *rowList) len() int       { return len(l.buf) - l.head }
func (l *rowList) at(i int) *mrow { return l.buf[l.head+i] }
func (l *rowList) removeAt(i int) { l.buf = slices.Delete(l.buf, l.head+i, l.head+i+1) }
func (l *rowList) dropFront(n int) {
	clear(l.buf[l.head : l.head+n])
	l.head += n
	if l.head == len(l.buf) {
		l.buf, l.head = l.buf[:0], 0
	}
}

func (l *rowList) insertAt(i int, r *mrow) {
	if l.head > 0 && len(l.buf) == cap(l.buf) {
		n := copy(l.buf, l.buf[l.head:])
		clear(l.buf[n:])
		l.buf, l.head = l.buf[:n], 0
	}
	l.buf = slices.Insert(l.buf, l.head+i, r)
}

// searchID returns the index of the first row with an ID >= id, for lists
// kept in ID order.
func (l *rowList) searchID(id int64) int {
	lo, hi := l.head, len(l.buf)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if l.buf[mid].id < id {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo - l.head
}
