package kernel

import (
	"slices"
	"time"
)

// DefaultChangelogRows is how many changelog rows a Materializer keeps for
// the raw changelog view when Options.ChangelogRows is not set.
const DefaultChangelogRows = 1000

// maxBaseRows bounds the rows (counted with their multiplicity) of a
// changelog's base. A row that would go past it is dropped and the base is
// marked incomplete from then on.
const maxBaseRows = 10_000

// ChangelogEntry is one changelog row as Flink emitted it.
type ChangelogEntry struct {
	// Seq is the row's 1-based position in the changelog of its table.
	Seq int64 `json:"seq"`
	// Kind is Flink's short form: "+I", "-U", "+U" or "-D".
	Kind string `json:"kind"`
	// At is when the row reached the Materializer.
	At time.Time `json:"at"`
	// Fields are the values exactly as the Materializer got them.
	Fields []any `json:"fields"`
}

// ChangelogView is the newest part of a result's changelog: the kept rows
// (Entries, seq FirstSeq through LastSeq) and Base, Flink's table as it
// stood just before the oldest kept row. With no rows yet, FirstSeq is 1
// and LastSeq 0. Replay rebuilds the table at any point of it.
type ChangelogView struct {
	Columns []Column `json:"columns"`
	// Capacity is how many rows are kept; older ones are folded into Base.
	Capacity int   `json:"capacity"`
	FirstSeq int64 `json:"firstSeq"`
	LastSeq  int64 `json:"lastSeq"`
	// Base holds the rows of the table at FirstSeq-1 in order of first
	// appearance, an equal row once per occurrence (equal rows together).
	Base [][]any `json:"base"`
	// BaseComplete is false once Base had to drop a row for its bound
	// (maxBaseRows rows): it, and every replay, may then miss rows.
	BaseComplete bool             `json:"baseComplete"`
	Entries      []ChangelogEntry `json:"entries"`
}

// Short returns Flink's short form of k ("+I", "-U", "+U", "-D"), or k
// itself for a kind it does not know.
func (k RowKind) Short() string {
	switch k {
	case RowInsert:
		return "+I"
	case RowUpdateBefore:
		return "-U"
	case RowUpdateAfter:
		return "+U"
	case RowDelete:
		return "-D"
	}
	return string(k)
}

// isRetractionShort reports whether a short kind removes a row.
func isRetractionShort(kind string) bool { return kind == "-U" || kind == "-D" }

// Replay returns the table as it stood after changelog row upTo: Base with
// the kept rows up to seq upTo applied, in Flink's table semantics (+I and
// +U add a row, -U and -D remove one equal row, the earliest; one that
// matches nothing is ignored, as the Materializer does). Rows are in order
// of first appearance. An upTo before FirstSeq-1 gives the base, the
// oldest table the view can rebuild.
func Replay(v ChangelogView, upTo int64) [][]any {
	var t replayTable
	for _, fields := range v.Base {
		t.add(fields)
	}
	for _, e := range v.Entries {
		if e.Seq > upTo {
			break
		}
		if isRetractionShort(e.Kind) {
			t.remove(e.Fields)
		} else {
			t.add(e.Fields)
		}
	}
	return t.live()
}

// replayTable is a multiset of rows in order of first appearance.
type replayTable struct {
	rows   [][]any
	gone   []bool
	byKey  map[string][]int // key -> indexes of its live rows, ascending
	keyBuf []byte
}

func (t *replayTable) add(fields []any) {
	if t.byKey == nil {
		t.byKey = map[string][]int{}
	}
	t.keyBuf = appendRowKey(t.keyBuf[:0], fields)
	t.byKey[string(t.keyBuf)] = append(t.byKey[string(t.keyBuf)], len(t.rows))
	t.rows = append(t.rows, fields)
	t.gone = append(t.gone, false)
}

func (t *replayTable) remove(fields []any) {
	t.keyBuf = appendRowKey(t.keyBuf[:0], fields)
	ids := t.byKey[string(t.keyBuf)]
	if len(ids) == 0 {
		return
	}
	t.gone[ids[0]] = true
	if len(ids) == 1 {
		delete(t.byKey, string(t.keyBuf))
	} else {
		t.byKey[string(t.keyBuf)] = ids[1:]
	}
}

func (t *replayTable) live() [][]any {
	out := make([][]any, 0, len(t.rows))
	for i, r := range t.rows {
		if !t.gone[i] {
			out = append(out, r)
		}
	}
	return out
}

// changelog keeps a Materializer's newest changelog rows in a ring and
// folds the rows pushed out of it into a bounded base. The Materializer's
// mutex guards it.
type changelog struct {
	capacity int
	ring     []logEntry // full: ring[head] is the oldest
	head     int
	base     []*baseRow          // in order of first appearance; rows with n == 0 wait for compaction
	baseKeys map[string]*baseRow // key -> its row with n > 0
	baseLen  int                 // rows in base, counted with multiplicity
	zeros    int                 // rows of base with n == 0
	partial  bool                // a row was dropped for maxBaseRows
	keyBuf   []byte
}

type logEntry struct {
	seq    int64
	kind   RowKind
	at     int64 // Unix nanoseconds: no pointer for the collector to follow
	fields []any
}

// baseRow is a distinct row of the base and how many times it is there.
type baseRow struct {
	fields []any
	n      int
}

// reset empties the changelog, keeping its capacity.
func (l *changelog) reset() {
	clear(l.ring)
	l.ring, l.head = l.ring[:0], 0
	l.base, l.baseKeys, l.baseLen, l.zeros, l.partial = nil, map[string]*baseRow{}, 0, 0, false
}

// add records changelog row seq, folding the oldest kept row into the base
// when the ring is full.
func (l *changelog) add(c Change, seq int64, at time.Time) {
	e := logEntry{seq: seq, kind: c.Kind, at: at.UnixNano(), fields: c.Fields}
	if len(l.ring) < l.capacity {
		l.ring = append(l.ring, e)
		return
	}
	l.fold(l.ring[l.head])
	l.ring[l.head] = e
	l.head = (l.head + 1) % len(l.ring)
}

// fold applies a row leaving the ring to the base.
func (l *changelog) fold(e logEntry) {
	if !e.kind.IsRetraction() && l.baseLen >= maxBaseRows {
		l.partial = true
		return
	}
	l.keyBuf = appendRowKey(l.keyBuf[:0], e.fields)
	r := l.baseKeys[string(l.keyBuf)]
	if e.kind.IsRetraction() {
		if r == nil {
			return // it retracts nothing the base holds (or a dropped row)
		}
		r.n--
		l.baseLen--
		if r.n == 0 {
			delete(l.baseKeys, string(l.keyBuf))
			l.zeros++
			if l.zeros > 64 && l.zeros > len(l.base)/2 {
				l.base = slices.DeleteFunc(l.base, func(r *baseRow) bool { return r.n == 0 })
				l.zeros = 0
			}
		}
		return
	}
	l.baseLen++
	if r != nil {
		r.n++
		return
	}
	r = &baseRow{fields: e.fields, n: 1}
	l.baseKeys[string(l.keyBuf)] = r
	l.base = append(l.base, r)
}

// view returns the changelog; received is the count of rows recorded.
func (l *changelog) view(columns []Column, received int64) ChangelogView {
	v := ChangelogView{
		Columns:      slices.Clone(columns),
		Capacity:     l.capacity,
		FirstSeq:     received - int64(len(l.ring)) + 1,
		LastSeq:      received,
		Base:         make([][]any, 0, l.baseLen),
		BaseComplete: !l.partial,
		Entries:      make([]ChangelogEntry, 0, len(l.ring)),
	}
	if v.Columns == nil {
		v.Columns = []Column{}
	}
	for _, r := range l.base {
		for range r.n {
			v.Base = append(v.Base, r.fields)
		}
	}
	for i := range l.ring {
		e := l.ring[(l.head+i)%len(l.ring)]
		v.Entries = append(v.Entries, ChangelogEntry{Seq: e.seq, Kind: e.kind.Short(), At: time.Unix(0, e.at), Fields: e.fields})
	}
	return v
}

// Changelog returns the newest rows of the changelog the Materializer was
// given since its columns were last set, and the table before them. It
// shares the Fields slices with the Materializer; they are never modified.
func (m *Materializer) Changelog() ChangelogView {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.log.view(m.columns, m.received)
}

// Changelog returns the changelog of a paragraph's current or last query
// result, if it has run in this kernel and has one.
func (k *Kernel) Changelog(paragraphID string) (ChangelogView, bool) {
	k.mu.Lock()
	r := k.runs[paragraphID]
	k.mu.Unlock()
	if r == nil {
		return ChangelogView{}, false
	}
	r.mu.Lock()
	m := r.mat
	r.mu.Unlock()
	if m == nil {
		return ChangelogView{}, false
	}
	return m.Changelog(), true
}
